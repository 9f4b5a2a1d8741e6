"""The PDF reader: Word-exported reports (made here with python-docx and LibreOffice) read cell by cell,
the narrative without page furniture, and hostile files refused with one line, in bounded time."""

from __future__ import annotations

import hashlib
import re
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gktool.errors import GkError
from gktool.extract import extract_record
from gktool.readers.grid import Grid
from gktool.readers.pdf import MAX_PAGES, SCANNED, read_pdf
from gktool.validate import check_file
from gktool.writers.report import write_report

from .helpers import soffice_available, soffice_convert
from .pdf_fixtures import HEADINGS, SHAPES, build_docx, expected_cells, expected_values

SPLIT = {"repeat-header": "B", "no-repeat-halfwidth": "B", "columns-join": "B", "blanks": "AB", "table4-split": "C"}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def converted(tmp_path_factory, spec, filled_workbook):
    """All PDFs of this module in one soffice call: the fixture shapes and gktool's own report."""
    if not soffice_available():
        pytest.skip("LibreOffice not installed")
    folder = tmp_path_factory.mktemp("pdfdocx")
    docs = [build_docx(spec, shape, folder / f"{shape.name}.docx") for shape in SHAPES]
    report_docx = write_report(check_file(filled_workbook, strict=True), folder / "gktool-report.docx")
    pdfs = soffice_convert(docs + [report_docx], folder / "pdf", to="pdf")
    return {shape.name: (shape, pdf) for shape, pdf in zip(SHAPES, pdfs[:-1], strict=True)}, pdfs[-1]


@pytest.fixture(scope="module")
def fixture_pdfs(converted):
    return converted[0]


def _official_grids(doc) -> list[Grid]:
    """The three grids in reading order: 表二 (4 columns), 表三 (10), 表四 (15)."""
    widths = [max(c for _, c in g.cells) for g in doc.grids]
    assert widths == [4, 10, 15], [g.name for g in doc.grids]
    return doc.grids


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", [s.name for s in SHAPES if s.borders])
def test_word_exported_pdf_reads_every_cell_at_its_place(spec, fixture_pdfs, name):
    shape, pdf = fixture_pdfs[name]
    doc = read_pdf(pdf)
    assert doc.kind == "pdf" and doc.findings == []
    for grid, key in zip(_official_grids(doc), "ABC", strict=True):
        texts, merges = expected_cells(spec, shape)[key]
        got = {rc: _squash(cell.text) for rc, cell in grid.cells.items()}
        want = {rc: _squash(t) for rc, t in texts.items()}
        # every printed cell at its (row, col); cells the merges cover hold nothing of their own
        assert {rc: t for rc, t in got.items() if t} == {rc: t for rc, t in want.items() if t}, grid.name
        assert sorted(grid.merges) == sorted(merges), grid.name
        for cell in grid.cells.values():
            assert re.fullmatch(r"第\d+页 表格\d+ 第\d+行第\d+列", cell.at), cell.at


@pytest.mark.libreoffice
def test_a_table_over_a_page_break_is_one_grid(fixture_pdfs):
    """Each shape puts a table across a page break (so the cell-by-cell test covers the joins)."""
    for name, keys in SPLIT.items():
        doc = read_pdf(fixture_pdfs[name][1])
        for key in keys:
            grid = doc.grids["ABC".index(key)]
            pages = {int(re.match(r"第(\d+)页", c.at).group(1)) for c in grid.cells.values()}
            assert len(pages) == 2, (name, key)
            assert max(r for r, _ in grid.cells) == {"A": 14, "B": 28, "C": 4}[key]
        assert (6, 1, 27, 1) in doc.grids[1].merges  # 三、本年度办理结果, down the whole block


@pytest.mark.libreoffice
def test_labels_wrapped_inside_cells_keep_their_line_breaks(fixture_pdfs):
    doc = read_pdf(fixture_pdfs["repeat-header"][1])
    table3 = doc.grids[1]
    vertical = table3.cells[(6, 1)].text
    assert "\n" in vertical and _squash(vertical) == "三、本年度办理结果"
    assert "\n" in table3.cells[(8, 2)].text and _squash(table3.cells[(8, 2)].text) == "（三）不予公开"


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", [s.name for s in SHAPES])
def test_narrative_has_headings_on_their_own_lines_and_no_page_numbers(fixture_pdfs, name):
    shape, pdf = fixture_pdfs[name]
    doc = read_pdf(pdf)
    lines = doc.text.split("\n")
    for heading in HEADINGS:
        assert heading in lines, heading
    assert not re.search(r"—\s*\d+\s*—", doc.text)
    if shape.running_header:
        assert shape.running_header not in doc.text
    assert doc.title == f"{shape.unit}{shape.year}年政府信息公开工作年度报告"
    assert f"{shape.year}年，本机关未收取政府信息公开信息处理费。" in lines
    # no table text leaks into the narrative
    assert "信息内容" not in doc.text and "申请人情况" not in doc.text


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", [s.name for s in SHAPES])
def test_extract_reads_every_figure_of_the_fixture(spec, fixture_pdfs, name):
    shape, pdf = fixture_pdfs[name]
    record = extract_record(check_file(pdf, strict=True))
    assert record["kind"] == "pdf" and record["unit"] == shape.unit and record["year"] == shape.year
    got = {(v["table"], v["row"], v["column"]): v["value"] for v in record["values"]}
    want = {(v["table"], v["row"], v["column"]): v["value"] for v in expected_values(spec, shape)}
    touched = {"二三四"["ABC".index(k)] for k in shape.touching}
    if touched:  # numbers run together ("15177 227114 …"): refused, never split by guessing, never wrong
        for k, v in want.items():
            if k[0] in touched:
                assert got.get(k) is None or got[k] == v, (k, got.get(k), v)
        assert any(got.get(k) is None for k in want if k[0] in touched)
        assert any(f["rule"] in ("T1", "T4") for f in record["findings"]), record["findings"]
        want = {k: v for k, v in want.items() if k[0] not in touched}
        got = {k: v for k, v in got.items() if k[0] not in touched}
    assert got == want
    if not (shape.blank_cells or shape.slash_cells or shape.touching):  # figures balance: no sum rule fires
        rules = {f["rule"] for f in record["findings"] if f["severity"] == "error"}
        assert not rules & {"R1", "R2", "R3", "R4"}, record["findings"]


@pytest.mark.libreoffice
def test_gktool_report_as_pdf_reads_back_the_workbook_values(converted, filled_workbook):
    """`gktool report` → Word → PDF (LibreOffice) → extract: exactly the workbook's values."""
    pdf = converted[1]
    from_pdf = extract_record(check_file(pdf, strict=True))
    from_workbook = extract_record(check_file(filled_workbook, strict=True))
    assert from_pdf["kind"] == "pdf"
    key = lambda v: (v["table"], v["row"], v["column"])  # noqa: E731
    # the report prints a blank input as 0
    want = {key(v): 0 if v["value"] is None else v["value"] for v in from_workbook["values"]}
    assert {key(v): v["value"] for v in from_pdf["values"]} == want
    assert len(from_pdf["values"]) == 200
    assert (from_pdf["unit"], from_pdf["year"]) == (from_workbook["unit"], from_workbook["year"])


# ------------------------------------------------------------------ hand-made PDFs for hostile cases
def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A minimal PDF: objects numbered from 1, object 1 the catalog; a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _pages_pdf(n: int, content: bytes = b"", resources: bytes = b"<< >>", content_extra: bytes = b"") -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)]
    content_no = 3 + n
    for _ in range(n):
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
            % (resources, content_no)
        )
    objs.append(_stream(content, content_extra))
    return _pdf(objs)


def _scanned_pdf() -> bytes:
    """One page holding only a picture (what a scanner makes): no glyph at all."""
    pixels = bytes((x * 7 + y * 3) % 256 for y in range(64) for x in range(64))
    kids = b"3 0 R"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count 1 >>" % kids,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
        _stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q"),
        _stream(
            pixels, b"/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        ),
    ]
    return _pdf(objs)


def _encrypted_pdf() -> bytes:
    """A PDF whose Standard security handler accepts neither the empty nor any guessed password."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -4 >>",
    ]
    return _pdf(objs, b"/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ")


def _refused(path: Path, *words: str) -> str:
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    start = time.monotonic()
    with pytest.raises(GkError) as err:
        read_pdf(path)
    assert time.monotonic() - start < 10
    message = err.value.message
    assert "\n" not in message and err.value.exit_code == 2
    for w in words:
        assert w in message, message
    if before is not None:  # input never modified
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    return message


def test_scanned_pdf_is_refused_with_one_clear_line(tmp_path):
    path = tmp_path / "扫描.pdf"
    path.write_bytes(_scanned_pdf())
    assert _refused(path, SCANNED).endswith(SCANNED)


def test_a_scanned_page_among_text_pages_is_a_warning_naming_it(tmp_path):
    """Page 1 has text (a standard font), page 2 is only a picture: read, with a warning for page 2."""
    pixels = bytes(64 * 64)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 7 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 8 0 R >> >> /Contents 6 0 R >>",
        _stream(b"BT /F1 12 Tf 72 720 Td (Annual report 2023) Tj ET"),
        _stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(
            pixels, b"/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        ),
    ]
    path = tmp_path / "mixed.pdf"
    path.write_bytes(_pdf(objs))
    doc = read_pdf(path)
    assert "Annual report 2023" in doc.text
    assert [(f.rule, f.severity, f.cells) for f in doc.findings] == [("P1", "warning", ("第2页",))]
    assert "第2页是扫描图像" in doc.findings[0].message


def test_pdf_without_any_text_is_refused_as_a_scan(tmp_path):
    path = tmp_path / "blank.pdf"
    path.write_bytes(_pages_pdf(2))
    _refused(path, "没有文字层")


def test_encrypted_pdf_is_refused(tmp_path):
    path = tmp_path / "enc.pdf"
    path.write_bytes(_encrypted_pdf())
    _refused(path, "密码")


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n" + bytes(range(256)) * 40, b"%PDF-1.4\n1 0 obj << /Type /Catalog", b"%PDF-1.4\n" + b"[" * 100000],
)
def test_damaged_pdf_is_refused(tmp_path, data):
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    _refused(path, "PDF")


def test_not_a_pdf_is_refused(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 200)  # a Word file renamed
    _refused(path, "不是 PDF")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    _refused(empty, "空的")
    _refused(tmp_path / "missing.pdf", "不存在")


def test_too_many_pages_is_refused(tmp_path):
    path = tmp_path / "long.pdf"
    path.write_bytes(_pages_pdf(MAX_PAGES + 1, b"BT /F1 12 Tf 72 720 Td (x) Tj ET"))
    _refused(path, "页数过多")


def test_huge_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.4\n")
        fh.truncate(60 * 1024 * 1024)  # sparse: costs no disk
    _refused(path, "过大")


def test_page_that_inflates_into_a_huge_drawing_is_refused(tmp_path):
    bomb = zlib.compress(b" " * (40 * 1024 * 1024), 9)  # ~40 KB that unpack to 40 MB
    path = tmp_path / "bomb.pdf"
    path.write_bytes(_pages_pdf(1, bomb, content_extra=b"/Filter /FlateDecode "))
    assert path.stat().st_size < 200_000
    _refused(path, "内容异常庞大")


def _ruled_table_pdf(bars: bool = False) -> bytes:
    """One page: a 3×3 table drawn with stroked lines, or (bars=True) with thin filled rectangles as
    Microsoft Word's PDF export draws borders; a white background box behind it; numbers in its cells."""
    xs, ys = [72, 200, 300, 400], [700, 670, 640, 610]
    ops = [b"1 1 1 rg 60 600 360 110 re f 0 0 0 rg 0.5 w"]  # white shading: not a rule
    if bars:
        ops += [b"%d %.1f %d 0.5 re f" % (xs[0], y - 0.25, xs[-1] - xs[0]) for y in ys]
        ops += [b"%.1f %d 0.5 %d re f" % (x - 0.25, ys[-1], ys[0] - ys[-1]) for x in xs]
    else:
        ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
        ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    texts = [["Item", "2022", "2023"], ["A", "15", "177"], ["B", "0", "3985758"]]
    for r, row in enumerate(texts):
        for c, t in enumerate(row):
            ops.append(b"BT /F1 11 Tf %d %d Td (%s) Tj ET" % (xs[c] + 6, ys[r] - 20, t.encode()))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        _stream(b"\n".join(ops)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _pdf(objs)


@pytest.mark.parametrize("bars", [False, True])
def test_a_table_drawn_with_lines_is_read_cell_by_cell(tmp_path, bars):
    path = tmp_path / "ruled.pdf"
    path.write_bytes(_ruled_table_pdf(bars))
    doc = read_pdf(path)
    [grid] = doc.grids
    assert {rc: c.text for rc, c in grid.cells.items()} == {
        (1, 1): "Item",
        (1, 2): "2022",
        (1, 3): "2023",
        (2, 1): "A",
        (2, 2): "15",
        (2, 3): "177",
        (3, 1): "B",
        (3, 2): "0",
        (3, 3): "3985758",
    }
    assert grid.cells[(3, 3)].at == "第1页 表格1 第3行第3列" and grid.page == 1
    assert "3985758" not in doc.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.integers(0, 10**6),
)
def test_damaged_pdfs_are_read_or_refused_in_one_line(tmp_path, edits, cut):
    """Random bytes changed and the end cut off: a Document or one GkError line, quickly; never a traceback."""
    data = bytearray(_ruled_table_pdf())
    for pos, byte in edits:
        data[pos % len(data)] = byte
    data = data[: max(16, cut % (len(data) + 1))]
    path = tmp_path / "fuzz.pdf"
    path.write_bytes(bytes(data))
    start = time.monotonic()
    try:
        doc = read_pdf(path)
    except GkError as err:
        assert "\n" not in err.message
    else:
        assert doc.kind == "pdf"
    assert time.monotonic() - start < 5
