"""Hostile and broken inputs, unwritable outputs: every case gets one clear line and an exit code.

Inputs: each case goes through `gktool validate` (text and JSON), through
`gktool report` where it reads a workbook, and through the library API.
Unreadable files exit 2 with one line naming the file and what to do;
readable but dangerous ones are refused (2) or reported as findings (1);
nothing prints a traceback, takes unbounded time or memory, or changes the input.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gktool.cli import main
from gktool.errors import GkError
from gktool.findings import Result
from gktool.readers import report_from_workbook, sheet_areas
from gktool.readers.xlsx import read_workbook
from gktool.validate import check_file, finish
from gktool.writers.workbook import new_workbook

from .mutants import rezip, split

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ------------------------------------------------------------------ builders
def cfb(streams: list[str]) -> bytes:
    """A minimal OLE/CFB (version 3) file whose root holds empty streams named `streams`.

    Enough for any reader that walks the directory: header, one FAT sector,
    one directory sector. An encrypted .xlsx is such a file holding
    EncryptionInfo and EncryptedPackage; a legacy .xls holds Workbook.
    """
    end, free, fat_sect, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH6s9I", 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    assert len(header) == 512
    fat = struct.pack("<II", fat_sect, end) + struct.pack("<I", free) * 126

    def entry(name: str, kind: int, left=no_stream, right=no_stream, child=no_stream) -> bytes:
        raw = (name + "\0").encode("utf-16-le") if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", left, right, child)
            + bytes(16)
            + struct.pack("<I", 0)
            + bytes(16)
            + struct.pack("<IQ", end, 0)
        )

    entries = [entry("Root Entry", 5, child=1 if streams else no_stream)]
    for i, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(streams) else no_stream))
    while len(entries) < 4:
        entries.append(entry("", 0))
    directory = b"".join(entries)
    assert len(directory) == 512
    return header + fat + directory


def docx_bytes() -> bytes:
    import docx

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("中宁县2023年政府信息公开工作年度报告")
    d.save(buf)
    return buf.getvalue()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    from gktool.filldata import load_fill
    from gktool.spec import load_spec

    spec = load_spec()
    path = tmp_path_factory.mktemp("good") / "good.xlsx"
    new_workbook(spec, path, values=load_fill(spec, ROOT / "examples" / "zhongning-2023.json"))
    return path.read_bytes()


@pytest.fixture(scope="module")
def parts(good) -> dict[str, bytes]:
    return split(good)


def with_parts(parts: dict[str, bytes], changes: dict[str, bytes] | None = None, drop=()) -> bytes:
    """The workbook re-zipped with some parts replaced or added, some dropped."""
    new = {k: v for k, v in parts.items() if k not in drop}
    new.update(changes or {})
    return rezip(new)


def _sheet(parts, n: int) -> str:
    name = f"xl/worksheets/sheet{n}.xml"
    assert name in parts
    return name


# ------------------------------------------------------------------ CLI helpers
def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def assert_unreadable(path: Path, why: str | None = None) -> None:
    """validate (text, JSON), report and the library all give one line naming the file, exit 2."""
    before = sha(path) if path.is_file() else None
    shown = str(path)

    r = run("validate", shown)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if "[错误 E0]" in line]
    assert len(lines) == 1 and shown in lines[0], r.output
    if why:
        assert why in lines[0], lines[0]

    r = run("validate", "--format", "json", shown)
    assert r.exit_code == 2
    out = r.stdout.splitlines()
    assert len(out) == 1
    data = json.loads(out[0])
    assert data["file"] == shown and data["ok"] is False
    assert [f["rule"] for f in data["findings"]] == ["E0"]
    message = data["findings"][0]["message"]
    assert shown in message and "\n" not in message

    result = check_file(path).result
    assert result.unreadable and result.findings[0].rule == "E0"
    with pytest.raises(GkError) as info:
        read_workbook(path, sheet_areas())
    assert info.value.exit_code == 2 and shown in info.value.message and "\n" not in info.value.message
    with pytest.raises(GkError):
        check_file(path, strict=True)

    if (ROOT / "gktool" / "report.py").exists() and not path.is_dir():
        r = run("report", shown, "-o", str(path.parent / "out-report.docx"))
        assert r.exit_code == 2, r.output
        err = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(err) == 1 and shown in err[0], r.stderr
        assert not (path.parent / "out-report.docx").exists()

    if before is not None:
        assert sha(path) == before, "the input was modified"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------ unreadable inputs
def test_truncated_zip(tmp_path, good):
    assert_unreadable(write(tmp_path, "truncated.xlsx", good[: len(good) // 2]), "损坏")


def test_truncated_at_many_points_never_crashes(tmp_path, good):
    for cut in (1, 3, 4, 30, 100, len(good) - 22, len(good) - 1):
        path = write(tmp_path, f"cut{cut}.xlsx", good[:cut])
        result = check_file(path).result
        assert result.unreadable, cut


def test_corrupt_zip_crc(tmp_path, good):
    data = bytearray(good)
    start = good.index(b"xl/worksheets/sheet4.xml") + 100  # inside the compressed data
    for i in range(start, start + 40):
        data[i] ^= 0x55
    assert_unreadable(write(tmp_path, "corrupt.xlsx", bytes(data)), "损坏")


def test_corrupt_central_directory(tmp_path, good):
    data = bytearray(good)
    data[-30:-10] = b"\xff" * 20
    assert_unreadable(write(tmp_path, "cd.xlsx", bytes(data)))


def test_not_a_zip(tmp_path):
    assert_unreadable(write(tmp_path, "random.xlsx", bytes(range(256)) * 40), "不是 Excel 工作簿")


def test_empty_file(tmp_path):
    assert_unreadable(write(tmp_path, "empty.xlsx", b""), "空的")


def test_docx_renamed(tmp_path):
    """A Word file named .xlsx is read as the Word report it is (its content decides), not refused."""
    path = write(tmp_path, "report.xlsx", docx_bytes())
    r = run("validate", "--format", "json", str(path))
    line = json.loads(r.output.strip().splitlines()[-1])
    assert line["kind"] == "docx" and r.exit_code == 1
    # no tables in it: each one named as missing; nor contact details or fee, as for any source (K1, K4)
    assert {f["rule"] for f in line["findings"]} == {"T1", "K1", "K4"}


def test_csv_renamed(tmp_path):
    assert_unreadable(write(tmp_path, "data.xlsx", "单位,件数\n中宁县,28\n".encode()), "CSV")


def test_encrypted_workbook(tmp_path):
    assert_unreadable(write(tmp_path, "encrypted.xlsx", cfb(["EncryptionInfo", "EncryptedPackage"])), "密码")


def test_legacy_xls(tmp_path):
    path = write(tmp_path, "old.xlsx", cfb(["Workbook", "\x05SummaryInformation"]))
    assert_unreadable(path, ".xls")


def test_folder(tmp_path):
    folder = tmp_path / "收到的 工作簿.xlsx"
    folder.mkdir()
    result = check_file(folder).result
    assert result.unreadable and "文件夹" in result.findings[0].message and str(folder) in result.findings[0].message
    with pytest.raises(GkError):
        read_workbook(folder)
    # the CLI treats a folder as "every .xlsx inside it"; an empty one is one clear line
    r = run("validate", str(folder))
    assert r.exit_code == 2 and str(folder) in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("report", str(folder))
    assert r.exit_code == 2 and str(folder) in r.output


def test_missing_path(tmp_path):
    assert_unreadable(tmp_path / "不存在 的文件.xlsx", "不存在")


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their permissions")
def test_unreadable_permission(tmp_path, good):
    path = write(tmp_path, "locked.xlsx", good)
    path.chmod(0)
    try:
        assert_unreadable(path, "权限")
    finally:
        path.chmod(0o644)


def test_unreadable_permission_simulated(tmp_path, good, monkeypatch):
    """The same message as root, where chmod 000 does not stop reading."""
    import gktool.fsutil as reader  # every reader's pre-check opens the file there

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = write(tmp_path, "locked.xlsx", good)
    monkeypatch.setattr(reader, "open", denied, raising=False)
    result = check_file(path).result
    assert result.unreadable and "权限" in result.findings[0].message and str(path) in result.findings[0].message


def test_special_file_is_refused(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    start = time.monotonic()
    result = check_file(fifo).result  # must not block waiting for a writer
    assert result.unreadable and time.monotonic() - start < 5


@pytest.mark.parametrize("name", ["中宁县 2023年 报告（副本）.xlsx", "带 空格/嵌套 目录/报告.xlsx", "a\tb.xlsx"])
def test_paths_with_spaces_and_chinese(tmp_path, good, name):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(good[:5000])
    assert_unreadable(path)
    path.write_bytes(good)
    r = run("validate", str(path))
    assert r.exit_code in (0, 1) and str(path) in r.output


def test_control_characters_in_a_name_stay_on_one_line(tmp_path):
    path = tmp_path / "bad\nname.xlsx"
    path.write_bytes(b"")
    result = check_file(path).result
    assert result.unreadable and "\n" not in result.findings[0].message


# ------------------------------------------------------------------ dangerous workbooks
def _measure(code: str, timeout: float = 60) -> dict:
    """Run `code` in a fresh interpreter; it prints JSON; add its peak memory and time."""
    wrapper = textwrap.dedent("""
        import json, resource, sys, time
        t = time.perf_counter()
        out = {}
        exec(sys.stdin.read())
        out["seconds"] = time.perf_counter() - t
        try:     # VmHWM: this process's own peak (ru_maxrss can carry the parent's RSS at fork)
            with open("/proc/self/status") as fh:
                out["peak_mb"] = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024
        except (OSError, StopIteration):
            out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
    """)
    proc = subprocess.run(
        [sys.executable, "-c", wrapper], input=code, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _bounded(path: Path) -> dict:
    code = f"""
from gktool.validate import check_file
r = check_file({str(path)!r}).result
out.update(unreadable=r.unreadable, rules=[f.rule for f in r.findings], message=r.findings[0].message if r.findings else "")
"""
    out = _measure(code)
    assert out["seconds"] < 10, out
    assert out["peak_mb"] < 500, out
    return out


def test_zip_bomb_one_huge_sheet(tmp_path, parts):
    sheet = parts[_sheet(parts, 4)].replace(b"<sheetData>", b"<sheetData>" + b" " * (60 * 1024 * 1024), 1)
    path = write(tmp_path, "bomb.xlsx", with_parts(parts, {_sheet(parts, 4): sheet}))
    assert path.stat().st_size < 2 * 1024 * 1024
    out = _bounded(path)
    assert out["unreadable"] and "压缩炸弹" in out["message"]
    assert_unreadable(path, "压缩炸弹")


def test_zip_bomb_ratio(tmp_path, parts):
    zeros = b"<x>" + b"0" * (5 * 1024 * 1024) + b"</x>"  # small total, ratio ~ 1000
    path = write(tmp_path, "ratio.xlsx", with_parts(parts, {"xl/media/image1.xml": zeros}))
    assert_unreadable(path, "压缩炸弹")


def test_zip_bomb_many_parts(tmp_path, parts):
    """Six 9 MB parts that compress only ~7x: no single part is a bomb, the total (54 MB) is."""
    blob = os.urandom(9 * 1024 * 1024).translate(bytes(b"01"[i & 1] for i in range(256)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in list(parts.items()) + [(f"xl/media/pad{i}.bin", blob) for i in range(6)]:
            zf.writestr(name, data)
    path = write(tmp_path, "many.xlsx", buf.getvalue())
    assert path.stat().st_size < 20 * 1024 * 1024
    out = _bounded(path)
    assert out["unreadable"] and "解压后过大" in out["message"]


def test_many_tiny_elements_are_bounded(tmp_path, parts):
    """Under the size caps but millions of elements: refused cheaply, not parsed for minutes."""
    # 24 MB of <x3f9/><x1c/>...: random names, so it compresses ~2x and is no "bomb"; 1.2 M elements
    filler = b"<x" + os.urandom(10 * 1024 * 1024).hex().encode().replace(b"0", b"/><x") + b"/>"
    sheet = parts[_sheet(parts, 4)].replace(b"<sheetData>", b"<sheetData>" + filler, 1)
    path = write(tmp_path, "tiny.xlsx", with_parts(parts, {_sheet(parts, 4): sheet}))
    out = _bounded(path)
    assert out["unreadable"] and "异常多" in out["message"]


def test_many_attributes_on_one_element_are_bounded(tmp_path, parts):
    attrs = b" ".join(b'a%d="1"' % i for i in range(1_200_000))
    sheet = parts[_sheet(parts, 4)].replace(b"<sheetData>", b"<sheetData><row " + attrs + b"/>", 1)
    path = write(tmp_path, "attrs.xlsx", with_parts(parts, {_sheet(parts, 4): sheet}))
    out = _bounded(path)
    assert out["unreadable"]


def test_deep_nesting_is_bounded(tmp_path, parts):
    rng = random.Random(1)
    names = [b"x%d" % rng.randrange(10**6) for _ in range(60_000)]  # not compressible enough to be a "bomb"
    deep = b"".join(b"<" + n + b">" for n in names) + b"".join(b"</" + n + b">" for n in reversed(names))
    for name in ("xl/workbook.xml", _sheet(parts, 4), "xl/sharedStrings.xml"):
        data = parts[name]
        head, sep, tail = data.partition(b"?>")
        first_close = tail.index(b">") + 1
        changed = head + sep + tail[:first_close] + deep + tail[first_close:]
        path = write(tmp_path, "deep.xlsx", with_parts(parts, {name: changed}))
        out = _bounded(path)  # a tree part is refused; streamed parts keep nothing
        assert out["unreadable"] == (name == "xl/workbook.xml"), (name, out)
        if out["unreadable"]:
            assert "嵌套过深" in out["message"]


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be-no-bom", "ebcdic"])
def test_billion_laughs_in_shared_strings(tmp_path, parts, encoding):
    """Refused however it is encoded: the check is in the parser, not only a byte search."""
    data = BILLION_LAUGHS
    if encoding == "utf-16":
        data = data.decode().replace("UTF-8", "UTF-16").encode("utf-16")
    elif encoding == "utf-16-be-no-bom":
        data = data.decode().replace("UTF-8", "UTF-16BE").encode("utf-16-be")
    elif encoding == "ebcdic":
        data = data.decode().replace("UTF-8", "cp500").encode("cp500")
    path = write(tmp_path, f"lol-{encoding}.xlsx", with_parts(parts, {"xl/sharedStrings.xml": data}))
    out = _bounded(path)
    assert out["unreadable"] and out["rules"] == ["E0"]
    assert_unreadable(path)


def test_external_entity_in_workbook(tmp_path, parts):
    data = (
        parts["xl/workbook.xml"]
        .replace(b"?>", b'?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
        .replace(b'name="', b'name="&x;', 1)
    )
    path = write(tmp_path, "xxe.xlsx", with_parts(parts, {"xl/workbook.xml": data}))
    assert_unreadable(path, "DOCTYPE")


def _findings_exit_1(path: Path, rule: str) -> None:
    before = sha(path)
    r = run("validate", str(path))
    assert r.exit_code == 1, r.output
    assert f"{rule}]" in r.output
    r = run("validate", "--format", "json", str(path))
    assert r.exit_code == 1
    assert rule in [f["rule"] for f in json.loads(r.stdout)["findings"]]
    assert rule in [f.rule for f in check_file(path).result.findings]
    wb = read_workbook(path, sheet_areas())
    assert rule in [f.rule for f in finish(*report_from_workbook(wb), Result(wb.path)).result.findings]
    if (ROOT / "gktool" / "report.py").exists():  # report refuses a workbook with errors
        r = run("report", str(path), "-o", str(path.parent / "refused.docx"))
        assert r.exit_code == 1 and not (path.parent / "refused.docx").exists()
    assert sha(path) == before


def test_macros_are_reported(tmp_path, parts):
    ct = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    path = write(
        tmp_path,
        "macro.xlsx",
        with_parts(parts, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(500), "[Content_Types].xml": ct}),
    )
    assert "xl/vbaProject.bin" in zipfile.ZipFile(path).namelist()
    _findings_exit_1(path, "S5")


def test_external_links_are_reported(tmp_path, parts):
    link = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>'
        b"</externalLink>"
    )
    path = write(tmp_path, "links.xlsx", with_parts(parts, {"xl/externalLinks/externalLink1.xml": link}))
    _findings_exit_1(path, "S6")


def test_external_relationship_is_reported(tmp_path, parts):
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"'
        b' Target="file:///C:/other.xlsx" TargetMode="External"/></Relationships>',
    )
    path = write(tmp_path, "extrel.xlsx", with_parts(parts, {"xl/_rels/workbook.xml.rels": rels}))
    _findings_exit_1(path, "S6")


def test_absurd_dimensions_are_fast(tmp_path, parts):
    name = _sheet(parts, 4)
    sheet = parts[name].replace(b'<dimension ref="', b'<dimension ref="A1:XFD1048576" x="', 1)
    sheet = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    path = write(tmp_path, "far.xlsx", with_parts(parts, {name: sheet}))
    start = time.perf_counter()
    result = check_file(path).result
    assert time.perf_counter() - start < 2
    assert not result.unreadable
    wb = read_workbook(path, sheet_areas())
    raw = next(s for s in wb.sheets.values() if s.max_col == 16384)
    assert raw.max_row == 1048576 and raw.outside == 1 and len(raw.cells) < 2000
    r = run("validate", str(path))
    assert r.exit_code in (0, 1)


def test_references_beyond_the_grid_are_not_cells(tmp_path, parts):
    name = _sheet(parts, 4)
    sheet = parts[name].replace(
        b"</sheetData>",
        b'<row r="99999999999"><c r="ZZZ9999999"><v>1</v></c>'
        b'<c r="A0"><v>2</v></c></row><row r="' + b"9" * 5000 + b'"><c><v>3</v></c></row></sheetData>',
    )
    path = write(tmp_path, "beyond.xlsx", with_parts(parts, {name: sheet}))
    wb = read_workbook(path, sheet_areas())
    assert all(s.max_row <= 1048576 and s.max_col <= 16384 for s in wb.sheets.values())
    assert not check_file(path).result.unreadable


@pytest.mark.parametrize(
    "missing, why",
    [
        ("xl/sharedStrings.xml", "共享字符串"),
        ("xl/worksheets/sheet4.xml", "缺少工作表"),
        ("xl/workbook.xml", "不是 Excel 工作簿"),
        ("xl/_rels/workbook.xml.rels", None),
    ],
)
def test_missing_parts(tmp_path, parts, missing, why):
    path = write(tmp_path, "missing.xlsx", with_parts(parts, drop=[missing]))
    if why is None:  # without relationships no sheet can be found: findings, not a crash
        r = run("validate", str(path))
        assert r.exit_code in (1, 2)
        assert check_file(path).result.findings
    else:
        assert_unreadable(path, why)


def test_missing_properties_reads_by_labels(tmp_path, parts):
    """Without gktool's stamp the workbook is read by its labels: a warning, and every check still runs."""
    path = write(tmp_path, "noprops.xlsx", with_parts(parts, drop=["docProps/custom.xml"]))
    result = check_file(path).result
    assert "S9" in [f.rule for f in result.findings] and result.kind == "xlsx"


@pytest.mark.parametrize("garbage", ["12件", "abc", "1e999", "nan", "", "-1", "9" * 5000, "١٢"])
def test_garbage_values_are_findings(tmp_path, parts, garbage):
    name = _sheet(parts, 4)
    data = parts[name]
    i = data.index(b'<c r="D4"')
    j = data.index(b"</c>", i) + 4
    cell = f'<c r="D4" s="6"><v>{garbage}</v></c>'.encode()
    path = write(tmp_path, "garbage.xlsx", with_parts(parts, {name: data[:i] + cell + data[j:]}))
    result = check_file(path).result
    assert not result.unreadable
    if garbage not in ("", "١٢"):
        assert any(f.rule == "R5" and "D4" in f.cells for f in result.findings), result.findings
    r = run("validate", str(path))
    assert r.exit_code in (0, 1)


def strict_json(line: str):
    def refuse(token):
        raise AssertionError(f"not JSON: {token}")

    return json.loads(line, parse_constant=refuse)


def test_absurd_numbers_keep_the_json_valid(tmp_path, parts):
    """Values near Excel's largest number add up to infinity: still standard JSON, still findings."""
    new = {}
    for name in (n for n in parts if n.startswith("xl/worksheets/")):
        new[name] = re.sub(rb'(<c r="[B-I][0-9]+" s="[0-9]+"><v>)[0-9.]+(</v>)', rb"\g<1>1.7e308\g<2>", parts[name])
    path = write(tmp_path, "huge.xlsx", with_parts(parts, new))
    r = run("validate", "--format", "json", str(path))
    assert r.exit_code == 1
    data = strict_json(r.stdout)
    assert data["errors"] > 0


def test_bad_shared_string_indices_are_findings(tmp_path, parts):
    name = _sheet(parts, 4)
    junk = iter([b"abc", b"-1", b"99999", b"1.5", b"9" * 5000, b"", b"\xd9\xa1"])
    data = re.sub(
        rb'(t="s"><v>)[0-9]+(</v>)', lambda m: m.group(1) + next(junk, b"0x1") + m.group(2), parts[name], count=7
    )
    path = write(tmp_path, "sst.xlsx", with_parts(parts, {name: data}))
    result = check_file(path).result
    assert not result.unreadable and result.findings
    r = run("validate", str(path))
    assert r.exit_code == 1


def test_invalid_xml_in_a_sheet(tmp_path, parts):
    name = _sheet(parts, 4)
    path = write(tmp_path, "cut.xlsx", with_parts(parts, {name: parts[name][: len(parts[name]) // 2]}))
    assert_unreadable(path, "不是有效的 XML")


# ------------------------------------------------------------------ batches
def test_one_bad_file_never_stops_a_batch(tmp_path, good, parts):
    files = []
    kinds = [
        ("good", good),
        ("empty", b""),
        ("truncated", good[:999]),
        ("csv", b"a,b\n1,2\n"),
        ("encrypted", cfb(["EncryptionInfo", "EncryptedPackage"])),
        ("xls", cfb(["Workbook"])),
        ("docx", docx_bytes()),
        ("macro", with_parts(parts, {"xl/vbaProject.bin": b"x"})),
        ("lol", with_parts(parts, {"xl/sharedStrings.xml": BILLION_LAUGHS})),
    ]
    for i in range(18):  # past the parallel threshold, so worker processes run too
        name, data = kinds[i % len(kinds)]
        files.append(write(tmp_path, f"{i:02d} {name}.xlsx", data))
    files.insert(5, tmp_path / "not there.xlsx")
    sums = {p: sha(p) for p in files if p.exists()}
    for jobs in ("1", "2"):
        r = run("validate", "--format", "json", "--jobs", jobs, *map(str, files))
        assert r.exit_code == 2
        lines = r.stdout.splitlines()
        assert len(lines) == len(files)
        results = [json.loads(line) for line in lines]
        assert [x["file"] for x in results] == [str(p) for p in files]
        for p, x in zip(files, results, strict=False):
            if " good" in p.name:
                assert x["ok"], x
            elif " macro" in p.name:
                assert "S5" in [f["rule"] for f in x["findings"]]
            elif " docx" in p.name:  # read as the Word report it is: its tables, contacts and fee missing
                assert {f["rule"] for f in x["findings"]} == {"T1", "K1", "K4"}, x
            else:
                assert [f["rule"] for f in x["findings"]] == ["E0"], x
    # a folder of them: the same
    r = run("validate", "--format", "json", str(tmp_path))
    assert r.exit_code == 2 and len(r.stdout.splitlines()) == len(files) - 1
    assert all(sha(p) == s for p, s in sums.items())


# ------------------------------------------------------------------ outputs
def test_new_refuses_a_missing_folder(tmp_path):
    target = tmp_path / "没有这个文件夹" / "报告.xlsx"
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(target))
    assert r.exit_code == 2 and "不存在" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not target.parent.exists()


def test_new_refuses_a_folder_as_target(tmp_path):
    folder = tmp_path / "输出"
    folder.mkdir()
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(folder))
    assert r.exit_code == 2 and "输出" in r.output
    assert list(folder.iterdir()) == []
    with pytest.raises(GkError, match="文件夹"):
        from gktool.spec import load_spec

        new_workbook(load_spec(), folder, unit="中宁县", year=2023)


@pytest.mark.skipif(IS_ROOT, reason="root writes into read-only folders")
def test_new_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "只读"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(folder / "a.xlsx"))
        assert r.exit_code == 2 and "权限" in r.stderr
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_new_refuses_a_read_only_folder_simulated(tmp_path, monkeypatch):
    import gktool.fsutil as fsutil

    monkeypatch.setattr(fsutil.os, "access", lambda *a, **k: False)
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(tmp_path / "a.xlsx"))
    assert r.exit_code == 2 and "权限" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_new_never_overwrites_without_force(tmp_path):
    target = tmp_path / "中宁县 报告.xlsx"
    target.write_bytes(b"precious")
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(target))
    assert r.exit_code == 2 and "--force" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert target.read_bytes() == b"precious"
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(target), "--force")
    assert r.exit_code == 0
    assert target.read_bytes().startswith(b"PK") and not check_file(target).result.unreadable
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_new_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    """The disk fills up half-way: no partial file, no temporary file, one clear line."""
    import errno

    import xlsxwriter.workbook

    def store(self):
        Path(self.filename).write_bytes(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", store)
    target = tmp_path / "报告.xlsx"
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(target))
    assert r.exit_code == 2 and str(target) in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"precious")  # with --force the old file survives a failed write
    r = run("new", "--unit", "中宁县", "--year", "2023", "-o", str(target), "--force")
    assert r.exit_code == 2 and target.read_bytes() == b"precious"
    assert list(tmp_path.iterdir()) == [target]


def test_new_unexpected_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    import xlsxwriter.workbook

    def store(self):
        Path(self.filename).write_bytes(b"PK\x03\x04 partial")
        raise RuntimeError("bug")

    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", store)
    from gktool.spec import load_spec

    with pytest.raises(RuntimeError):
        new_workbook(load_spec(), tmp_path / "x.xlsx", unit="中宁县", year=2023)
    assert list(tmp_path.iterdir()) == []


def test_report_output_is_atomic(tmp_path, good):
    src = write(tmp_path, "中宁县.xlsx", good)
    target = tmp_path / "报告.docx"
    target.write_bytes(b"precious")
    r = run("report", str(src), "-o", str(target))
    assert r.exit_code == 2 and target.read_bytes() == b"precious"
    r = run("report", str(src), "-o", str(tmp_path / "无此目录" / "报告.docx"))
    assert r.exit_code == 2 and "不存在" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, target.name])


@pytest.mark.parametrize(
    "name, content",
    [
        ("deep", "[" * 100_000 + "]" * 100_000),
        ("infinite", '{"三、依申请公开": {"D4": 1e400}}'),
        ("nan", '{"三、依申请公开": {"D4": NaN}}'),
        ("huge int", '{"三、依申请公开": {"D4": 1' + "0" * 400 + "}}"),
        ("huger int", '{"三、依申请公开": {"D4": 1' + "0" * 5000 + "}}"),
        ("utf-16", '\ufeff{"封面": {}}'.encode("utf-16").decode("latin-1")),
        ("list", "[1, 2]"),
        ("folder", None),
    ],
)
def test_new_fill_with_hostile_json(tmp_path, name, content):
    """`gktool new --fill` reads a file too: one line, exit 2, no workbook left behind."""
    fill = tmp_path / f"{name}.json"
    if content is None:
        fill.mkdir()
    else:
        fill.write_bytes(content.encode("latin-1") if name == "utf-16" else content.encode("utf-8"))
    target = tmp_path / "out.xlsx"
    r = run("new", "--fill", str(fill), "-o", str(target))
    assert r.exit_code == 2, r.output
    if content is None:  # click's own usage error for a folder: exit 2, names it
        assert str(fill) in r.stderr
    else:
        assert len(r.stderr.strip().splitlines()) == 1 and "预填数据" in r.stderr
    assert not target.exists()
