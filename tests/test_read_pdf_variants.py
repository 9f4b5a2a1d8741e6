"""PDFs made the ways people make them (tests/pdf_variants.py): pages stored turned, cropped, of mixed sizes,
Word exported at paper too small for its tables, a web page printed by a browser. Every figure read is
right; what gktool cannot read is said, at its row and page, and the verdict is 未能完整读取, not 不通过."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from gktool.cli import main
from gktool.extract import extract_record
from gktool.validate import check_file

from . import pdf_variants as pv
from .helpers import soffice_available, soffice_convert
from .pdf_fixtures import SHAPES, build_docx, expected_values

SHAPE = {s.name: s for s in SHAPES}


def _values(path) -> dict:
    record = extract_record(check_file(path))
    return {(v["table"], v["row"], v["column"]): v["value"] for v in record["values"]}


def _want(spec, shape) -> dict:
    return {(v["table"], v["row"], v["column"]): v["value"] for v in expected_values(spec, shape)}


@pytest.fixture(scope="module")
def exported(tmp_path_factory, spec, filled_workbook):
    """Word fixtures exported by LibreOffice: one on A4, one on A5 paper too narrow for 表三 (one soffice call)."""
    if not soffice_available():
        pytest.skip("LibreOffice not installed")
    folder = tmp_path_factory.mktemp("variants")
    a4 = build_docx(spec, SHAPE["repeat-header"], folder / "a4.docx")
    narrow = pv.docx_page_setup(
        build_docx(spec, SHAPE["columns-join"], folder / "src.docx"), folder / "a5.docx", 148, 210, 12
    )
    from . import published_fixtures as fx

    rep = fx.consistent_report(800)
    published = pv.docx_page_setup(fx.docx_report(folder / "pub.docx", rep), folder / "pub-a5.docx", 148, 210, 12)
    from gktool.validate import check_file
    from gktool.writers.report import write_report

    own = write_report(check_file(filled_workbook, strict=True), folder / "own.docx")
    own_a5 = pv.docx_page_setup(own, folder / "own-a5.docx", 148, 210, 12)
    header_cut = pv.docx_page_setup(  # 表四's header row "结果/维持" cut in two by the page break
        build_docx(spec, SHAPE["blanks"], folder / "blanks.docx"), folder / "blanks-m25.docx", 210, 297, 25
    )
    pdfs = soffice_convert([a4, narrow, published, own_a5, header_cut], folder / "pdf", to="pdf")
    out = dict(zip(["a4", "a5", "published-a5", "own-a5", "header-cut"], pdfs, strict=True))
    out["published-rep"] = rep
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("angle", [90, 180, 270])
def test_pages_stored_turned_read_as_a_person_sees_them(spec, exported, tmp_path, angle):
    turned = pv.rotated_copy(exported["a4"], tmp_path / "turned.pdf", angle)
    assert _values(turned) == _want(spec, SHAPE["repeat-header"])


@pytest.mark.libreoffice
def test_one_turned_page_among_upright_ones(spec, exported, tmp_path):
    turned = pv.rotated_copy(exported["a4"], tmp_path / "turned.pdf", 90, pages={1})
    assert _values(turned) == _want(spec, SHAPE["repeat-header"])


@pytest.mark.libreoffice
def test_crop_box_smaller_than_media_box_and_pages_of_two_sizes(spec, exported, tmp_path):
    cropped = pv.cropped_copy(exported["a4"], tmp_path / "cropped.pdf", pad=80, grow_every_other=60)
    assert _values(cropped) == _want(spec, SHAPE["repeat-header"])


@pytest.mark.libreoffice
def test_numbers_cut_by_the_page_edge_are_never_read_short(spec, exported):
    """On A5, 表三 runs off the page: the 总计 column shows "1283" of 12835. Never read as 1283: unread, said
    at its row and page, and the verdict is 未能完整读取 (exit code 3), not 不通过 for sums it cannot check."""
    got, want = _values(exported["a5"]), _want(spec, SHAPE["columns-join"])
    wrong = {k: (got[k], want[k]) for k in want if got.get(k) is not None and got[k] != want[k]}
    assert wrong == {}
    unread = [k for k in want if got.get(k) is None and want[k] is not None]
    assert unread  # the columns beyond the page edges
    analysis = check_file(exported["a5"])
    cut = [f for f in analysis.result.findings if f.rule == "P3"]
    assert len(cut) == len(unread)
    assert all(re.search(r"gktool 未能读取表[三四].*第\d+页", f.message) for f in cut)
    assert analysis.result.verdict == "未能完整读取" and analysis.result.errors == 0
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(exported["a5"])])
    assert result.exit_code == 3, result.output
    obj = json.loads(result.output.splitlines()[0])
    assert obj["ok"] is False and obj["errors"] == 0 and any(f["rule"] == "P3" for f in obj["findings"])
    text = CliRunner().invoke(main, ["validate", str(exported["a5"])])
    assert text.exit_code == 3 and "结论：未能完整读取" in text.output


# ------------------------------------------------------------------ a web page printed by a browser
def _table4_pages(pdf) -> dict[int, set[int]]:
    """The rows of 表四 (the 15-column table) by the page they are printed on."""
    from gktool.readers.pdf import read_pdf

    table4 = next(g for g in read_pdf(pdf).grids if max(c for _, c in g.cells) == 15)
    pages: dict[int, set] = {}
    for (r, _c), cell in table4.cells.items():
        pages.setdefault(int(re.match(r"第(\d+)页", cell.at).group(1)), set()).add(r)
    return pages


# The breaks this test is about: 表四's three header rows on one page and its value row on the next (landscape);
# 表四 starting at a page's foot with only its top header row (A5). Chromium decides where pages end, so the
# margin is searched until the break falls there (a change of the fixture's text moves it).
BREAKS = {
    "landscape": ("size: A4 landscape; margin: {m}mm", {1, 2, 3}),
    "a5": ("size: A5; margin: {m}mm", {1}),
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """A saved report page (site navigation first, Word-export markup) printed by headless Chromium on A5 and
    on A4 landscape, each with the margin that puts a page break where BREAKS says; every page carries the
    browser's date/title line and its URL/page-number line."""
    if not pv.chromium_available():
        pytest.skip("chromium not installed")
    from . import published_fixtures as fx

    folder = tmp_path_factory.mktemp("printed")
    rep = fx.consistent_report(701, big=True)
    page = fx.html_report(folder / "page.html", rep, word=True, encoding="gbk")
    out = {}
    for name, (css, first_page_rows) in BREAKS.items():
        for margin in range(10, 42, 3):
            pdf = pv.chromium_print(page, folder / f"{name}-{margin}.pdf", css.format(m=margin))
            pages = _table4_pages(pdf)
            if len(pages) == 2 and pages[min(pages)] == first_page_rows:
                out[name] = pdf
                break
    return rep, out


@pytest.mark.parametrize("paper", sorted(BREAKS))
def test_a_browser_print_reads_every_cell_over_its_page_breaks(printed, paper):
    from . import published_fixtures as fx

    rep, pdfs = printed
    assert paper in pdfs, f"no margin put the page break {BREAKS[paper][1]} into 表四"
    analysis = check_file(pdfs[paper])
    record = extract_record(analysis)
    got = {(v["table"], v["row"], v["column"]): v["value"] for v in record["values"]}
    assert got == fx.expected(rep)
    assert analysis.result.errors == 0, [f.message for f in analysis.result.findings if f.severity == "error"]
    # the title stands below the site's navigation, not at the top of page 1
    assert (record["unit"], record["year"]) == (rep.unit, rep.year)


def test_unit_and_year_from_the_title_below_navigation_or_from_the_statistics_period(tmp_path):
    """Site navigation first, the title further down: read from the title. No title at all: the year from
    "统计期限为2023年1月1日至12月31日", the unit left unknown (never guessed from anything else)."""
    if not pv.chromium_available():
        pytest.skip("chromium not installed")
    from . import published_fixtures as fx

    rep = fx.consistent_report(702, unit="某某市某某区", year=2022)
    page = fx.html_report(tmp_path / "page.html", rep)
    titled = pv.chromium_print(page, tmp_path / "titled.pdf", "size: A4; margin: 15mm")
    record = extract_record(check_file(titled))
    assert (record["unit"], record["year"]) == ("某某市某某区", 2022)

    html = page.read_text(encoding="utf-8")
    title = fx.title(rep)
    html = html.replace(title, "年度报告").replace(
        '<div class="TRS_Editor">', '<div class="TRS_Editor"><p>本报告统计期限为2022年1月1日至12月31日。</p>'
    )
    assert title not in html
    untitled_page = tmp_path / "untitled.html"
    untitled_page.write_text(html, encoding="utf-8")
    untitled = pv.chromium_print(untitled_page, tmp_path / "untitled.pdf", "size: A4; margin: 15mm")
    record = extract_record(check_file(untitled))
    assert (record["unit"], record["year"]) == (None, 2022)


@pytest.mark.libreoffice
def test_a_table_running_off_the_page_is_gktools_failure_not_the_reports(exported):
    """表三 wider than A5 paper: its 总计 column is beyond the page and not in the file at all. Each row
    shows 6 of 7 numbers: unread, said as gktool's failure (P3, naming row and page), never T4 "请按官方表格的
    栏目填写" or T1 "没有找到", and the verdict is 未能完整读取."""
    from . import published_fixtures as fx

    analysis = check_file(exported["published-a5"])
    record = extract_record(analysis)
    want = fx.expected(exported["published-rep"])
    got = {(v["table"], v["row"], v["column"]): v["value"] for v in record["values"]}
    assert set(got) == set(want)  # every cell is in the JSON, null where unread
    assert all(got[k] is None or got[k] == want[k] for k in want)
    assert any(got[k] is None for k in want)
    # the columns still on the page are read, each under its own printed header
    assert all(got[k] == want[k] for k in want if k[0] == "三" and k[2] == "自然人")
    rules = {f.rule for f in analysis.result.findings}
    assert not rules & {"T1", "T4", "R1", "R2", "R3", "R4"}, analysis.result.findings
    cut = [f for f in analysis.result.findings if f.rule == "P3"]
    assert cut and all(re.search(r"第\d+页", f.message) for f in cut)
    assert analysis.result.verdict == "未能完整读取"


def test_a_table_printed_but_not_read_is_never_called_missing(spec):
    """表四's three header rows are in the file but no value row could be placed (say the page with it was
    a scan): a P3 saying gktool could not read it, its cells null, not T1 "没有找到表四". The same grids
    from a workbook (no narrative: its check sheet quotes every label) still say T1."""
    from gktool.readers.grid import Grid, GridCell
    from gktool.readers.labels import match_tables

    heads = [["行政复议", "行政诉讼"], ["未经复议直接起诉", "复议后起诉"]]
    leaves = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    grid = Grid("第3页 表格2", page=3)
    for c, text in enumerate(heads[0] + heads[1] + leaves, 1):
        r = 1 if c <= 2 else 2 if c <= 4 else 3
        grid.cells[(r, c)] = GridCell(text, f"第3页 表格2 第{r}行第{c}列")
    matched = match_tables(spec, [grid], "")
    four = [f for f in matched.findings if f.sheet == "表四"]
    assert [f.rule for f in four] == ["P3"]
    assert "gktool 未能读出表四" in four[0].message
    table4 = next(s for s in spec.sheets if s.short == "表四")
    assert table4.name not in matched.absent
    assert all(matched.values[k] is None for k in matched.unread if k[0] == table4.name)
    assert any(k[0] == table4.name for k in matched.unread)
    workbook = match_tables(spec, [grid])
    assert "T1" in [f.rule for f in workbook.findings if f.sheet == "表四"]


@pytest.mark.libreoffice
def test_row_labels_the_left_page_edge_cut_are_read_by_the_one_label_they_end(exported, filled_workbook):
    """gktool's own report on A5: 表二 runs off the left edge, so "规章" shows as "章" and "行政规范性文件" as
    "政规范性文件". Read as the official rows they are the end of, with no T1 (missing row) and no T2 (the
    report's wording): the page edge cut them, the report printed them right."""
    analysis = check_file(exported["own-a5"])
    got = {(v["table"], v["row"], v["column"]): v["value"] for v in extract_record(analysis)["values"]}
    book = {
        (v["table"], v["row"], v["column"]): v["value"] for v in extract_record(check_file(filled_workbook))["values"]
    }
    for key in [k for k in book if k[0] == "二" and k[1] in ("规章", "行政规范性文件")]:
        assert got[key] == (book[key] or 0), key
    rules = {f.rule for f in analysis.result.findings}
    assert not rules & {"T1", "T2", "T4"}, [f.message for f in analysis.result.findings if f.rule in ("T1", "T2", "T4")]
    assert all(got[k] is None or got[k] == (book[k] or 0) for k in book)


@pytest.mark.libreoffice
def test_a_header_row_cut_in_two_by_the_page_break_is_joined(spec, exported):
    """表四's merged header cells "结果维持" etc. print "结果" at the foot of one page and "维持" atop the next,
    beside the next header row's cells: joined, so 表四's 15 columns are found by their headers."""
    from gktool.readers.pdf import read_pdf

    table4 = next(g for g in read_pdf(exported["header-cut"]).grids if max(c for _, c in g.cells) == 15)
    assert len({cell.at.split(" ")[0] for cell in table4.cells.values()}) == 2  # over a page break
    assert _values(exported["header-cut"]) == _want(spec, SHAPE["blanks"])


def test_a_batch_exit_code_is_its_worst_file():
    """Unreadable (2) over errors (1) over read only in part (3) over clean (0): a batch with a partly read
    report and a failing one exits 1, not 3."""
    from gktool.errors import worse

    assert worse(3, 1) == 1 and worse(1, 3) == 1
    assert worse(0, 3) == 3 and worse(3, 0) == 3
    assert worse(2, 3) == 2 and worse(3, 2) == 2 and worse(1, 2) == 2


def test_sub_tables_printed_touching_are_read_by_their_own_columns(tmp_path):
    """表二 as its four sub-tables, printed on a small page so they touch and are found as one ruled table:
    the 本年处理决定数量 rows have their number in a column of their own, never read from the column of
    本年制发件数 above them (which is blank there: that would claim a printed number is blank)."""
    if not pv.chromium_available():
        pytest.skip("chromium not installed")
    from . import published_fixtures as fx

    rep = fx.consistent_report(702 + len("split"))
    page = fx.html_report(tmp_path / "page.html", rep, split=True)
    pdf = pv.chromium_print(page, tmp_path / "a6.pdf", "size: 105mm 148mm; margin: 6mm", 0.7)
    analysis = check_file(pdf)
    got = {(v["table"], v["row"], v["column"]): v["value"] for v in extract_record(analysis)["values"]}
    assert got == fx.expected(rep)
    assert not [f for f in analysis.result.findings if f.rule == "T5"]
