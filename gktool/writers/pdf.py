"""`gktool report -o NAME.pdf`: the Word report turned into PDF by LibreOffice, headless.

The PDF is the Word report itself (same bytes as `report -o NAME.docx`), converted, so its
page, margins, fonts, tables and page numbers are the GB/T 9704 layout of `report.py`;
nothing is typeset twice. Every conversion runs in a throwaway folder with its own
LibreOffice profile (`-env:UserInstallation`: a LibreOffice the clerk has open is neither
used nor disturbed) and its own fontconfig file (FONTCONFIG_FILE: the system's rules plus
gktool's substitutes for the official fonts, for that one run, nothing installed), under
a time limit. The result is checked before it is handed on: every font embedded, and the
document's Title and Author naming the report and the unit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import EXIT_FINDINGS, EXIT_INPUT, GkError
from ..fsutil import atomic_output
from .report import document_bytes, fontconfig_xml
from .report_wording import report_title

PROPERTY_START = 100  # characters of title and unit the PDF's properties must show
CONVERT_TIMEOUT = 180  # seconds: a first LibreOffice start on a slow office PC takes tens of seconds
NO_LIBREOFFICE = (
    "没有找到 LibreOffice（soffice），无法生成 PDF；请安装 LibreOffice"
    "（Windows、macOS：从 libreoffice.org 下载安装；Debian/Ubuntu：apt-get install libreoffice-writer）后重试，"
    "或先生成 .docx 再用 Word、WPS 另存为 PDF"
)
# where the LibreOffice installers put soffice when it is not on PATH
_INSTALLED = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "/opt/libreoffice/program/soffice",
)


def find_soffice() -> str | None:
    """The LibreOffice program: `soffice` (or `libreoffice`) on PATH, else where its installer puts it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _INSTALLED if Path(p).is_file()), None)


def require_soffice() -> str:
    """The LibreOffice program, or GkError (exit 2) saying what to install."""
    found = find_soffice()
    if found is None:
        raise GkError(NO_LIBREOFFICE, EXIT_INPUT)
    return found


def _fontconfig_file(folder: Path) -> Path:
    """A fontconfig file for one run: the configuration in force, then gktool's substitutes."""
    ours = folder / "60-gktool-fonts.conf"
    ours.write_text(fontconfig_xml(), encoding="utf-8")
    base = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    main = folder / "fonts.conf"
    main.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{_xml(base)}</include>\n  <include>{_xml(str(ours))}</include>\n'
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return main


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def convert_docx(docx: Path, outdir: Path, timeout: float = CONVERT_TIMEOUT) -> Path:
    """Convert one .docx to PDF in `outdir` with a private profile and fontconfig; returns the PDF's path."""
    soffice = require_soffice()
    with tempfile.TemporaryDirectory(prefix="gktool-lo-") as work:
        work_dir = Path(work)
        profile = work_dir / "profile"
        env = dict(os.environ)
        if sys.platform != "win32":  # LibreOffice on Windows asks Windows for fonts, not fontconfig
            env["FONTCONFIG_FILE"] = str(_fontconfig_file(work_dir))
        args = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(docx),
        ]
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=sys.platform != "win32",  # a time-out ends soffice.bin too, not just the launcher
            )
        except OSError as exc:
            raise GkError(f"无法启动 LibreOffice（{soffice}）：{exc.strerror or exc}", EXIT_INPUT) from None
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise GkError(
                f"LibreOffice 在 {int(timeout)} 秒内没有完成 PDF 转换，已停止；请关闭其他 LibreOffice 窗口后重试",
                EXIT_INPUT,
            ) from None
    pdf = outdir / (docx.stem + ".pdf")
    if proc.returncode != 0 or not pdf.is_file():
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
        raise GkError(
            "LibreOffice 未能把报告转换为 PDF"
            + (f"（{detail[0][:200]}）" if detail else "")
            + "；请检查 LibreOffice 安装后重试",
            EXIT_INPUT,
        )
    return pdf


def _stop(proc: subprocess.Popen) -> None:
    """End a conversion that ran over time, with every process it started."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=10)


def pdf_facts(path: Path) -> tuple[dict[str, str], list[str]]:
    """(the document information: Title, Author, …; the fonts not embedded) of a PDF."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    def text(v) -> str:
        v = resolve1(v)
        if isinstance(v, bytes):
            return v[2:].decode("utf-16-be", "replace") if v.startswith(b"\xfe\xff") else v.decode("latin-1")
        return str(v)

    def embedded(font) -> bool:
        font = resolve1(font)
        subtype = resolve1(font.get("Subtype"))
        name = subtype.name if isinstance(subtype, PSLiteral) else str(subtype)
        if name == "Type3":  # glyphs drawn by the PDF itself
            return True
        if name == "Type0":
            return all(embedded(d) for d in resolve1(font.get("DescendantFonts")) or [])
        desc = resolve1(font.get("FontDescriptor")) or {}
        return any(k in desc for k in ("FontFile", "FontFile2", "FontFile3"))

    missing: list[str] = []
    with open(path, "rb") as fh:
        doc = PDFDocument(PDFParser(fh))
        info = {k: text(v) for k, v in (resolve1(doc.info[0]) if doc.info else {}).items()}
        for page in PDFPage.create_pages(doc):
            fonts = resolve1((resolve1(page.resources) or {}).get("Font")) or {}
            for ref in fonts.values():
                font = resolve1(ref)
                if not embedded(font):
                    base = resolve1(font.get("BaseFont"))
                    label = base.name if isinstance(base, PSLiteral) else str(base)
                    if label not in missing:
                        missing.append(label)
    return info, missing


def pdf_bytes(analysis, draft: bool = False, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """The report as PDF bytes, converted from the Word report and checked (fonts embedded, Title, Author)."""
    require_soffice()
    with tempfile.TemporaryDirectory(prefix="gktool-pdf-") as work:
        docx = Path(work) / "report.docx"
        docx.write_bytes(document_bytes(analysis, draft=draft))
        pdf = convert_docx(docx, Path(work), timeout)
        info, missing = pdf_facts(pdf)
        if missing:
            raise GkError(
                f"生成的 PDF 中有字体没有嵌入（{'、'.join(missing)}），未保存；请把这个工作簿发给 gktool 的维护者"
            )
        # Word's properties hold 255 characters: a very long title or unit is clipped, so its start is compared
        title = report_title(analysis)[:PROPERTY_START]
        unit = str(analysis.field("unit") or "").strip()[:PROPERTY_START]
        if title not in info.get("Title", "") or unit not in info.get("Author", ""):
            raise GkError(
                f"生成的 PDF 的文档属性不对（标题“{info.get('Title', '')}”，作者“{info.get('Author', '')}”），未保存；"
                "请把这个工作簿发给 gktool 的维护者",
                EXIT_FINDINGS,
            )
        return pdf.read_bytes()


def write_pdf(analysis, path: Path, force: bool = False, draft: bool = False) -> Path:
    """Write the PDF report for `analysis` to `path` atomically; never replaces a file without `force`."""
    path = Path(path)
    data = pdf_bytes(analysis, draft)
    with atomic_output(path, force) as tmp:
        Path(tmp).write_bytes(data)
    return path
