"""Test helpers: fill a workbook the way a person does (by finding labelled cells),
and save it through LibreOffice headless the way a user's spreadsheet program does."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unicodedata
from pathlib import Path

import openpyxl


def _norm(text) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def _find(ws, text, max_row=60, max_col=20, before_row=None):
    hits = []
    for row in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
        for cell in row:
            if isinstance(cell.value, str) and _norm(cell.value) == _norm(text):
                if before_row is None or cell.row < before_row:
                    hits.append(cell)
    return hits


def _merged_span(ws, cell):
    for rng in ws.merged_cells.ranges:
        if cell.coordinate in rng:
            return rng.min_col, rng.max_col
    return cell.column, cell.column


def locate(ws, row_label: str, col_label=None):
    """The input cell at a row label × column header, as a person finds it on screen.

    `col_label` may be a tuple (parent header, header) for repeated headers
    such as 表四's 结果维持."""
    rows = _find(ws, row_label)
    assert rows, f"row label {row_label!r} not found on {ws.title}"
    row_cell = rows[0]
    if col_label is None:  # form sheets and single-value rows
        col = _merged_span(ws, row_cell)[1] + 1
        return ws.cell(row=row_cell.row, column=col)
    parent, label = col_label if isinstance(col_label, tuple) else (None, col_label)
    heads = _find(ws, label, before_row=row_cell.row)
    if parent:
        p = _find(ws, parent, before_row=row_cell.row)[0]
        lo, hi = _merged_span(ws, p)
        heads = [h for h in heads if lo <= h.column <= hi]
    assert heads, f"column header {label!r} not found on {ws.title}"
    head = max(heads, key=lambda h: h.row)  # the nearest header block above
    return ws.cell(row=row_cell.row, column=head.column)


def locate_header_value(ws, col_label):
    """表四: one value row under the headers; `col_label` is (parent, header)."""
    parent, label = col_label
    p = _find(ws, parent)[0]
    lo, hi = _merged_span(ws, p)
    head = [h for h in _find(ws, label) if lo <= h.column <= hi][0]
    return ws.cell(row=4, column=head.column)


def fill(path, out, entries):
    """Write `entries` {(sheet, row label, col label or None): value} into a copy of `path`."""
    wb = openpyxl.load_workbook(path)
    for (sheet, row_label, col_label), value in entries.items():
        ws = wb[sheet]
        cell = locate_header_value(ws, col_label) if row_label is None else locate(ws, row_label, col_label)
        cell.value = value
    wb.save(out)
    return Path(out)


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


class _Office:
    """One LibreOffice per test process, started when first needed and stopped at exit.

    Starting LibreOffice costs about 1.5 s of CPU; a conversion handed to a running one through its pipe costs a
    fraction of that. Its profile is private to this process (a LibreOffice the developer has open, or another
    pytest worker's, never serves it). If it cannot be started, every call starts its own LibreOffice."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.profile: str | None = None
        self.broken = False

    def _pipe(self) -> Path:
        # LibreOffice's single-instance pipe: named after the profile URL (MD5 of its UTF-16, each byte in hex)
        digest = "".join(f"{b:x}" for b in hashlib.md5(f"file://{self.profile}".encode("utf-16-le")).digest())
        return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{digest}"

    def profile_in_use(self) -> str | None:
        """The profile of the running LibreOffice (started now if need be), or None to start one per call."""
        if self.broken:
            return None
        if self.proc is not None and self.proc.poll() is None and self._pipe().exists():
            return self.profile
        self.stop()
        self.profile = tempfile.mkdtemp(prefix="gktool-test-office-")
        self.proc = subprocess.Popen(
            ["soffice", f"-env:UserInstallation=file://{self.profile}", "--headless", "--invisible", "--norestore"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, HOME=self.profile),
            start_new_session=True,  # its own process group: stop() ends soffice.bin too
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self._pipe().exists():
                return self.profile
            time.sleep(0.1)
        self.stop()
        self.broken = True
        return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None


_OFFICE = _Office()
atexit.register(_OFFICE.stop)


def soffice_convert(files, outdir, to="xlsx", *, registry: str | None = None, env: dict | None = None):
    """Convert several files in one LibreOffice call: every test's only way to run soffice.

    A plain conversion is handed to this process's running LibreOffice (see _Office). One with settings of its own
    gets a throwaway profile: `registry` is the inside of a registrymodifications.xcu for settings such as
    recalculating on load; `env` adds variables (for example a private FONTCONFIG_FILE). Every call has a timeout."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    shared = _OFFICE.profile_in_use() if registry is None and env is None else None
    with tempfile.TemporaryDirectory() as throwaway:
        profile = shared or throwaway
        if registry is not None:
            user = Path(profile) / "user"
            user.mkdir()
            (user / "registrymodifications.xcu").write_text(
                '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
                'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f"{registry}</oor:items>",
                encoding="utf-8",
            )
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            check=True,
            capture_output=True,
            timeout=300,
            env=dict(os.environ, HOME=profile, **(env or {})),
        )
    return [outdir / (Path(f).stem + "." + to.split(":")[0]) for f in files]


def rewrite_zip(src, dst, edit):
    """Copy an .xlsx part by part; `edit(name, data)` returns new bytes, or None to drop the part.
    Extra parts can be added by returning them from edit("", b"") as a dict."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
        extra = edit("", b"")
        if isinstance(extra, dict):
            for name, data in extra.items():
                zout.writestr(name, data)
    return Path(dst)


def sheet_part(path, sheet_name):
    """The zip part name of a worksheet, found through workbook.xml and its rels."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet_name)}" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")
