"""What a clerk reads (issue 21): one finding per cause, places named once and readably, errors first."""

import random
import re

import openpyxl
import pytest

from gktool.spec import load_spec
from gktool.validate import validate_file

from .foreign import Layout, consistent_values, write_foreign

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "中宁县2023年政府信息公开工作年度报告.xlsx"
B = "三、依申请公开"


@pytest.fixture(scope="module")
def values(spec):
    return consistent_values(spec, random.Random(7))


def test_text_in_an_input_cell_is_one_finding_not_also_the_derived_total_column(tmp_path):
    """R5 at D6 is the cause; 表三's 总计 column J (a total of totals) must not give R1 or R9 too."""
    path = tmp_path / "d6.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[B]["D6"] = "12"
    wb.save(path)
    result = validate_file(path)
    assert [(f.rule, f.cells) for f in result.findings] == [("R5", ("D6",))], [f.message for f in result.findings]


def test_a_negative_input_folds_the_total_column_too(tmp_path):
    path = tmp_path / "neg.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[B]["E8"] = -1
    wb.save(path)
    result = validate_file(path)
    assert [f.rule for f in result.findings] == ["R5"], [f.message for f in result.findings]


def test_t5_names_blank_worksheet_cells_in_a1_form(spec, values, tmp_path):
    path = tmp_path / "blanks.xlsx"
    write_foreign(path, spec, values, Layout(blanks_for_zero=True))
    t5 = [f for f in validate_file(path).findings if f.rule == "T5"]
    assert t5
    for f in t5:
        assert all(re.fullmatch(r"[A-Z]+\d+", c) for c in f.cells), f.cells
        assert "行第" not in f.message, f.message


def _one_row_six(rep, pf, monkeypatch):
    """表三 with （六）其他处理 printed as one row (its three sub-items added up), as some sites print it."""
    six = [leaf for group, leaf in pf.T3_ROWS if group == "（六）其他处理"]
    rows = []
    for group, leaf in pf.T3_ROWS:
        if group != "（六）其他处理":
            rows.append((group, leaf))
        elif leaf == six[0]:
            rows.append(("", "（六）其他处理"))
    monkeypatch.setattr(pf, "T3_ROWS", rows)
    for c in pf.APPLICANTS:
        rep.values[("三", "（六）其他处理", c)] = sum(rep.values[("三", leaf, c)] for leaf in six)
    return six


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_extract_at_names_only_places_the_file_has(kind, tmp_path, monkeypatch):
    from gktool.extract import extract_record
    from gktool.validate import check_file

    from . import published_fixtures as pf

    rep = pf.consistent_report(3)
    six = _one_row_six(rep, pf, monkeypatch)
    path = (pf.html_report if kind == "html" else pf.docx_report)(tmp_path / f"six.{kind}", rep)
    rec = extract_record(check_file(path))
    assert "T3" in {f["rule"] for f in rec["findings"]}
    sheets = {"二、主动公开", "三、依申请公开", "四、复议诉讼"}
    for v in rec["values"]:
        assert v["at"] is None or not any(v["at"].startswith(s) for s in sheets), v
    folded = {v["column"]: v["at"] for v in rec["values"] if v["row"] == six[-1]}
    for v in rec["values"]:
        if v["row"] in six[:-1]:
            assert v["at"] in (None, folded[v["column"]]), v


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_document_messages_name_each_place_once(kind, tmp_path):
    from . import published_fixtures as pf

    rep = pf.consistent_report(3)
    rep.values[("四", pf.T4_ROWS[0], "总计")] += 1
    rep.values[("三", "（一）予以公开", "总计")] += 1
    path = (pf.html_report if kind == "html" else pf.docx_report)(tmp_path / f"r4.{kind}", rep)
    findings = validate_file(path).findings
    r4 = [f for f in findings if f.rule == "R4"]
    r3 = [f for f in findings if f.rule == "R3"]
    assert r4 and r3
    assert re.search(r"第\d+个表格 第4行第1–4列 各项之和", r4[0].message), r4[0].message
    assert re.search(r"第\d+个表格 第6行第4–9列 各项之和", r3[0].message), r3[0].message
    for f in findings:
        assert "!" not in f.message and not any("!" in c for c in f.cells), f


def test_a_pdf_place_run_is_named_once(spec):
    from gktool.model import FilledReport, Place

    r = FilledReport(spec, "x.pdf", "pdf")
    for i, cell in enumerate(["A4", "B4", "C4", "D4"], start=1):
        r.places[("四、复议诉讼", cell)] = Place(
            "第4页 表格2", f"第4页 表格2 第4行第{i}列", f"第4页 表格2 第4行第{i}列"
        )
    assert r.span("四、复议诉讼", "A4", "D4") == "第4页 表格2 第4行第1–4列"
    assert r.cell_ref("四、复议诉讼", "A4", "别处") == "第4页 表格2 第4行第1列"


def test_check_sheet_says_warning_for_warnings_and_counts_both(blank_workbook, spec):
    from gktool.livechecks import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL, check_rows

    ws = openpyxl.load_workbook(blank_workbook, data_only=True)[CHECK_SHEET]
    rows = check_rows(spec)
    status = {r.rule: ws.cell(CHECK_FIRST_ROW + i, 8).value for i, r in enumerate(rows)}
    assert status["K2"] == "警告" and status["K1"] == "不通过"
    result = validate_file(blank_workbook)
    assert result.warnings and result.errors
    failing = [r for i, r in enumerate(rows) if ws.cell(CHECK_FIRST_ROW + i, 8).value != "通过"]
    errors = sum(r.severity == "error" for r in failing)
    warnings = sum(r.severity == "warning" for r in failing)
    assert ws[OVERALL_CELL].value == f"不通过：{errors} 项错误，{warnings} 项警告"
    formulas = openpyxl.load_workbook(blank_workbook)[CHECK_SHEET]
    assert '"警告"' in formulas[OVERALL_CELL].value


def test_usage_errors_carry_no_english():
    from click.testing import CliRunner

    from gktool.cli import main

    for args in (["validate"], ["new", "--year", "2020"], ["validate", "--zzz", "a.xlsx"], ["chek"]):
        out = CliRunner().invoke(main, args).output
        assert out.startswith("用法错误：") and not re.search(r"[A-Za-z]{4,}", out.replace("gktool", "")), out


@pytest.mark.parametrize("key", ["problems", "other", "request"])
def test_y3_names_each_label_once(key, tmp_path, spec):
    from .test_crossyear import run, this_values

    c = spec.field_cells[key]
    text = this_values(spec)[(c.sheet, c.cell)]
    text = (
        text
        if len(text) > 60
        else text + "全年组织政府开放日活动二十五场次，建成村务公开小程序并确定试点村，每个行政村配备信息员。"
    )
    result = run(tmp_path, spec, this_change={(c.sheet, c.cell): text}, last_change={(c.sheet, c.cell): text})
    (f,) = [f for f in result.findings if f.rule == "Y3"]
    sheet = spec.sheet(c.sheet)
    said = f.message.split("的文字有")[0].rsplit("（", 1)[0]  # the section as named, before its place
    assert said.count(f"“{sheet.title}”") == 1 and f"{sheet.name} " not in said, said
    label = next(x.label for x in sheet.fields if x.key == key)
    assert said.count(f"“{label}”") <= 1, said
    assert f"“{label}”" in said or label in sheet.title, said


@pytest.fixture(scope="module")
def mixed_book(tmp_path_factory):
    """The example with an empty 总体概述 and 存在的主要问题 (K2 warnings, sections 一 and 五) and an R1 error in 表三."""
    spec = load_spec()
    path = tmp_path_factory.mktemp("mixed") / "mixed.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    for key in ("overview", "problems"):
        c = spec.field_cells[key]
        wb[c.sheet][c.cell] = None
    wb[B]["D28"] = 9
    wb.save(path)
    return path


def test_validate_text_lists_errors_before_warnings(mixed_book):
    from gktool.findings import render_text

    result = validate_file(mixed_book)
    lines = [x for x in render_text(result).splitlines() if x.startswith("  [")]
    kinds = ["错误" in x.split("]")[0] for x in lines]
    assert True in kinds and False in kinds and kinds == sorted(kinds, reverse=True), lines


def test_serve_pages_errors_first_403_in_the_sites_look_and_a_clerks_words(mixed_book, tmp_path):
    from .servekit import Server

    s = Server(["甲县"], tmp_path / "数据").start()
    try:
        answer = s.upload("甲县", "有错误.xlsx", mixed_book.read_bytes(), json=False)
        page = s.get(s.links["甲县"] + answer.headers["location"]).text
        tags = re.findall(r'<tr class="(error|warning)">', page)
        assert "error" in tags and "warning" in tags and tags == sorted(tags), tags  # "error" < "warning"
        refused = s.get("/k/nosuch/")
        assert refused.status == 403
        assert 'class="top"' in refused.text and "<style>" in refused.text and "政务公开办" in refused.text
        assert "索取" in refused.text and "禁止访问。请使用收到的完整链接" not in refused.text
        plain = s.request("POST", s.links["甲县"], b"x", {"Content-Type": "application/octet-stream"})
        assert plain.status == 400 and "multipart" not in plain.text and "file 字段" not in plain.text
        assert "选择文件" in plain.text
    finally:
        assert s.stop() == 0
