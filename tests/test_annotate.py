"""gktool annotate: the unit's own workbook back with each finding on its cell, nothing it wrote changed."""

import hashlib
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from gktool.annotate import Folder, annotate_file
from gktool.errors import GkError
from gktool.validate import check_file
from gktool.writers.annotation import SHEET, default_output
from gktool.writers.workbook import new_workbook
from tests.foreign import Layout, consistent_values, write_foreign
from tests.helpers import soffice_available, soffice_convert

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DOCX = ROOT / "examples" / "中宁县2023年政府信息公开工作年度报告.docx"


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _canon(elem) -> bytes:
    return etree.tostring(elem, method="c14n")


def _findings(path):
    return [(f.rule, f.severity, f.sheet, f.cells, f.message) for f in check_file(path).result.findings]


@pytest.fixture(scope="module")
def failing(tmp_path_factory, spec, example_values):
    """A gktool workbook (protected sheets, validations, conditional formats, defined names) with an
    R1 error (new requests raised by 5) and the R9 warning that follows from the narrative's figure."""
    values = dict(example_values)
    values[("三、依申请公开", "D4")] = values.get(("三、依申请公开", "D4"), 0) + 5
    path = tmp_path_factory.mktemp("annotate") / "某县2023年报告.xlsx"
    return new_workbook(spec, path, values=values)


def _cells(root) -> dict[str, etree._Element]:
    return {c.get("r"): c for c in root.iter(f"{NS}c")}


def _sheet_parts(parts: dict[str, bytes]) -> set[str]:
    return {n for n in parts if n.startswith("xl/worksheets/sheet")}


def test_copy_changes_nothing_the_unit_wrote(failing, tmp_path):
    before_digest = _digest(failing)
    out = annotate_file(failing, tmp_path / "copy.xlsx")
    assert _digest(failing) == before_digest  # the input is never modified
    assert out.copy and out.on_cells >= 1 and out.result.errors >= 1
    old, new = _parts(failing), _parts(out.output)
    assert set(old) <= set(new)
    touched = {n for n in old if old[n] != new[n]}
    # only these may differ: the noted sheets, styles (appended to), the package's lists of parts, properties
    allowed = _sheet_parts(old) | {
        "xl/styles.xml",
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/custom.xml",
    }
    allowed |= {n for n in old if n.startswith("xl/worksheets/_rels/")}
    assert touched <= allowed, touched - allowed

    old_styles, new_styles = etree.fromstring(old["xl/styles.xml"]), etree.fromstring(new["xl/styles.xml"])
    for tag in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"):
        o, n = old_styles.find(f"{NS}{tag}"), new_styles.find(f"{NS}{tag}")
        if o is None:
            continue
        assert [_canon(e) for e in o] == [_canon(e) for e in n][: len(o)], tag  # existing entries unchanged
    old_xfs = list(old_styles.find(f"{NS}cellXfs"))
    new_xfs = list(new_styles.find(f"{NS}cellXfs"))

    highlighted = 0
    for name in _sheet_parts(old):
        o, n = etree.fromstring(old[name]), etree.fromstring(new[name])
        # everything outside the cells is as it was, apart from the one element pointing at the comments
        rest = [_canon(e) for e in o if e.tag != f"{NS}sheetData"]
        rest_new = [_canon(e) for e in n if e.tag not in (f"{NS}sheetData", f"{NS}legacyDrawing")]
        assert rest == rest_new, name
        oc, nc = _cells(o), _cells(n)
        assert set(oc) <= set(nc)
        for ref, cell in oc.items():
            twin = nc[ref]
            assert [_canon(e) for e in cell] == [_canon(e) for e in twin], (name, ref)  # value, formula
            assert {k: v for k, v in cell.attrib.items() if k != "s"} == {
                k: v for k, v in twin.attrib.items() if k != "s"
            }
            if cell.get("s", "0") != twin.get("s", "0"):
                highlighted += 1
                a, b = old_xfs[int(cell.get("s", "0"))], new_xfs[int(twin.get("s"))]
                keep = {k: v for k, v in a.attrib.items() if k not in ("fillId", "applyFill")}
                assert keep == {k: v for k, v in b.attrib.items() if k not in ("fillId", "applyFill")}
                assert [_canon(e) for e in a] == [_canon(e) for e in b]  # alignment, protection kept
        for ref in set(nc) - set(oc):  # cells that had no element: added empty, only to carry the highlight
            assert len(nc[ref]) == 0 and set(nc[ref].attrib) == {"r", "s"}
    assert highlighted >= 1

    ow, nw = etree.fromstring(old["xl/workbook.xml"]), etree.fromstring(new["xl/workbook.xml"])
    assert [_canon(e) for e in ow if e.tag != f"{NS}sheets"] == [_canon(e) for e in nw if e.tag != f"{NS}sheets"]
    assert [_canon(e) for e in ow.find(f"{NS}sheets")] == [_canon(e) for e in nw.find(f"{NS}sheets")][:-1]
    props_old = {p.get("name"): _canon(p) for p in etree.fromstring(old["docProps/custom.xml"])}
    props_new = {p.get("name"): _canon(p) for p in etree.fromstring(new["docProps/custom.xml"])}
    assert {k: v for k, v in props_new.items() if k in props_old and k != "gktool.extra_sheets"} == {
        k: v for k, v in props_old.items() if k != "gktool.extra_sheets"
    }

    # the copy is the same report: the same findings, word for word (its added sheet is declared)
    assert _findings(out.output) == _findings(failing)


def test_findings_are_on_their_cells(failing, tmp_path):
    out = annotate_file(failing, tmp_path / "copy.xlsx")
    wb = openpyxl.load_workbook(out.output)
    assert wb.sheetnames[-1] == SHEET
    for f in out.result.findings:
        cells = [c for c in f.cells if "!" not in c and not c.startswith("[")]
        if not cells:
            continue
        comment = wb[f.sheet][cells[0]].comment
        assert comment is not None and f"{f.rule}】" in comment.text and f.message in comment.text
        fill = wb[f.sheet][cells[0]].fill.fgColor.rgb
        assert fill in ("FFFFC7CE", "FFF8CBAD")
    listed = [[c.value for c in row] for row in wb[SHEET].iter_rows()]
    assert listed[0][0].startswith("结论：不通过")
    rules = [row[2] for row in listed[5:]]
    assert sorted(rules) == sorted(f.rule for f in out.result.findings)


def test_default_name_and_no_overwrite(failing, tmp_path):
    src = tmp_path / failing.name
    src.write_bytes(failing.read_bytes())
    out = annotate_file(src)
    assert out.output == default_output(src) == tmp_path / "某县2023年报告（检查意见）.xlsx"
    with pytest.raises(GkError, match="已存在"):
        annotate_file(src)
    annotate_file(src, force=True)
    with pytest.raises(GkError, match="原文件"):
        annotate_file(out.output, out.output, force=True)


def test_workbook_read_by_label(spec, tmp_path):
    values = consistent_values(spec, random.Random(7))
    values[("三、依申请公开", "D4")] = values.get(("三、依申请公开", "D4"), 0) + 3
    src = tmp_path / "自制.xlsx"
    write_foreign(src, spec, values, Layout(one_sheet=False, title_rows=2))
    report = check_file(src).report
    place = report.place("三、依申请公开", "D4")
    out = annotate_file(src, tmp_path / "copy.xlsx")
    assert out.copy and out.kind == "xlsx"
    comment = openpyxl.load_workbook(out.output)[place.sheet][place.cell].comment
    assert comment is not None and "R1" in comment.text  # where the value was read, not the spec address
    assert _findings(out.output) == _findings(src)


def test_sheet_with_its_own_comments_is_left_alone(spec, tmp_path):
    values = consistent_values(spec, random.Random(3))
    values[("三、依申请公开", "D4")] = values.get(("三、依申请公开", "D4"), 0) + 2
    src = tmp_path / "有批注.xlsx"
    write_foreign(src, spec, values, Layout(one_sheet=True))
    tables = check_file(src).report.place("三、依申请公开", "D4").sheet  # the sheet the tables are on
    wb = openpyxl.load_workbook(src)
    wb[tables]["A1"].comment = openpyxl.comments.Comment("单位自己的批注", "填报人")
    wb.save(src)
    out = annotate_file(src, tmp_path / "copy.xlsx")
    again = openpyxl.load_workbook(out.output)
    assert again[tables]["A1"].comment.text == "单位自己的批注"
    assert all(c.comment is None or c.coordinate == "A1" for row in again[tables].iter_rows() for c in row)
    places = [row[6].value for row in again[SHEET].iter_rows(min_row=6)]
    assert places and all(p == "本表" for p in places)  # listed on the added sheet instead
    assert out.on_cells == 0


def test_document_gets_a_findings_workbook(tmp_path):
    src = tmp_path / EXAMPLE_DOCX.name
    src.write_bytes(EXAMPLE_DOCX.read_bytes())
    out = annotate_file(src)
    assert not out.copy and out.output.suffix == ".xlsx"
    assert "不能直接加批注" in out.describe()
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(out.output)[SHEET].iter_rows()]
    assert rows[0][0].startswith("结论：")
    assert len(rows) - 5 == len(out.result.findings)


def test_unreadable_file_is_one_line(tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(GkError) as exc:
        annotate_file(bad)
    assert "\n" not in exc.value.message and not (tmp_path / "坏（检查意见）.xlsx").exists()


def test_folder_names_are_unique_and_passing_files_skipped(failing, filled_workbook, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "报告.xlsx").write_bytes(failing.read_bytes())
    folder = Folder(tmp_path / "意见")
    for p in (a / "报告.xlsx", b / "报告.xlsx", filled_workbook):
        folder.add(check_file(p))
    names = sorted(p.name for p in folder.folder.iterdir())
    assert names == ["报告（检查意见）.xlsx", "报告（检查意见）（2）.xlsx"]


def test_cli_exit_codes_and_collect(failing, tmp_path):
    src = tmp_path / "单位.xlsx"
    src.write_bytes(failing.read_bytes())
    run = [sys.executable, "-m", "gktool.cli"]
    done = subprocess.run([*run, "annotate", str(src)], capture_output=True, text=True)
    assert done.returncode == 1 and "检查意见" in done.stdout and not done.stderr.strip()
    done = subprocess.run([*run, "annotate", str(tmp_path / "没有.xlsx")], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.startswith("错误：")
    inbox = tmp_path / "收到"
    inbox.mkdir()
    (inbox / "单位.xlsx").write_bytes(failing.read_bytes())
    done = subprocess.run(
        [*run, "collect", str(inbox), "-o", str(tmp_path / "汇总.xlsx"), "--annotate", str(inbox / "意见")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert (inbox / "意见" / "单位（检查意见）.xlsx").exists()


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice not installed")
def test_libreoffice_reads_the_comments(failing, tmp_path):
    out = annotate_file(failing, tmp_path / "copy.xlsx")
    (resaved,) = soffice_convert([out.output], tmp_path / "lo")
    wb = openpyxl.load_workbook(resaved)
    f = next(f for f in out.result.findings if f.severity == "error" and f.cells)
    comment = wb[f.sheet][f.cells[0]].comment
    assert comment is not None and f.rule in comment.text


def test_serve_offers_the_annotated_copy(failing, filled_workbook, tmp_path):
    from tests.servekit import Server, with_unit

    server = Server(["甲县", "乙县"], tmp_path / "数据").start()
    try:
        bad = server.upload("甲县", "甲县报告.xlsx", failing.read_bytes(), json=False).headers["location"]
        own = with_unit(filled_workbook.read_bytes(), "中宁县", "甲县")  # 甲县's own report: it passes
        good = server.upload("甲县", "好.xlsx", own, json=False).headers["location"]
        base = server.links["甲县"]
        assert "download-annotated" in server.get(base + bad).text
        assert f"{bad}/annotated.xlsx" in server.get(base).text  # the unit page's list of its uploads
        assert "download-annotated" not in server.get(base + good).text
        answer = server.get(base + bad + "/annotated.xlsx")
        assert answer.status == 200 and "filename*=utf-8''" in answer.headers["content-disposition"]
        copy = tmp_path / "copy.xlsx"
        copy.write_bytes(answer.body)
        wb = openpyxl.load_workbook(copy)
        assert wb[SHEET]["A2"].value == "文件：甲县报告.xlsx"  # the uploaded name, not the server's own
        assert any(c.comment for ws in wb.worksheets for row in ws.iter_rows() for c in row)
        assert server.get(base + good + "/annotated.xlsx").status == 409
        assert server.get(server.links["乙县"] + bad + "/annotated.xlsx").status == 403
        board = server.links["管理"]
        assert "annotated.xlsx" not in server.get(board).text  # 甲县's latest upload passes
        other = server.upload("乙县", "乙.xlsx", failing.read_bytes(), json=False).headers["location"]
        assert f"{other}/annotated.xlsx" in server.get(board).text
        assert server.get(board + bad + "/annotated.xlsx").body == answer.body
    finally:
        assert server.stop() == 0


def test_text_xml_cannot_hold_is_kept_readable(failing, tmp_path):
    """A message may quote the unit's own text: control characters must not break the comment or the sheet."""
    from gktool.writers.xlsx_notes import AddedSheet, Note, annotate_package

    out = tmp_path / "copy.xlsx"
    annotate_package(
        failing,
        out,
        lambda sheets: {"三、依申请公开": {"D4": Note("甲\x01乙 <丙> & _x0041_", "error")}},
        lambda sheets, skipped: AddedSheet(SHEET, [["说\x0b明 _x0041_"]], [20], {}, 0),
    )
    wb = openpyxl.load_workbook(out)  # well-formed: the control characters became spaces
    assert wb["三、依申请公开"]["D4"].comment.text.startswith("甲 乙 <丙> & _x")
    assert wb[SHEET]["A1"].value.startswith("说 明 _x")
    added = [p for n, p in _parts(out).items() if n.startswith(("xl/comments", "xl/worksheets/sheet"))]
    # a literal "_x0041_" is escaped as Excel reads text (else Excel would show "A")
    assert sum(b"_x005F_x0041_" in p for p in added) == 2
