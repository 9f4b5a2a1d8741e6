"""What a clerk reads (issue 21): one finding per cause, places named once and readably, errors first."""

import random
import re

import openpyxl
import pytest

from gktool.spec import load_spec
from gktool.validate import check_file

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
    result = check_file(path).result
    assert [(f.rule, f.cells) for f in result.findings] == [("R5", ("D6",))], [f.message for f in result.findings]


def test_a_negative_input_folds_the_total_column_too(tmp_path):
    path = tmp_path / "neg.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[B]["E8"] = -1
    wb.save(path)
    result = check_file(path).result
    assert [f.rule for f in result.findings] == ["R5"], [f.message for f in result.findings]


def test_t5_names_blank_worksheet_cells_in_a1_form(spec, values, tmp_path):
    path = tmp_path / "blanks.xlsx"
    write_foreign(path, spec, values, Layout(blanks_for_zero=True))
    t5 = [f for f in check_file(path).result.findings if f.rule == "T5"]
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
    findings = check_file(path).result.findings
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
    from gktool.contract import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL
    from gktool.livechecks import check_rows

    ws = openpyxl.load_workbook(blank_workbook, data_only=True)[CHECK_SHEET]
    rows = check_rows(spec)
    status = {r.rule: ws.cell(CHECK_FIRST_ROW + i, 8).value for i, r in enumerate(rows)}
    assert status["K2"] == "警告" and status["K1"] == "不通过"
    result = check_file(blank_workbook).result
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

    for args in (["validate"], ["new", "--year", "2020"], ["validate", "--zzz", "a.xlsx"], ["new", "--unit"]):
        out = CliRunner().invoke(main, args).output
        said = re.sub(r"“[^”]*”|--\w+", "", out)  # commands and options are named as typed
        assert out.startswith("用法错误：") and not re.search(r"[A-Za-z]{3,}", said), out


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

    result = check_file(mixed_book).result
    lines = [x for x in render_text(result).splitlines() if x.startswith("  [")]
    is_error = ["错误" in x.split("]")[0] for x in lines]
    assert any(is_error) and not all(is_error), lines  # the case has both kinds
    assert is_error == sorted(is_error, reverse=True), lines  # every error before every warning


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


# ----------------------------------------------------------------- the Word report's title and last page
UNITS = [  # 4 to 30 characters, the way units name themselves
    "中宁县人",
    "中宁县民政局",
    "中宁县人民政府",
    "中宁县人民政府办公室",
    "中宁县住房和城乡建设局",
    "中卫市中宁县市场监督管理局",
    "中卫市中宁县自然资源局石空镇所",
    "宁夏回族自治区中卫市中宁县住房和城乡建设局",
    "宁夏回族自治区中卫市中宁县市场监督管理局石空镇市场所",
    "宁夏回族自治区中卫市中宁县市场监督管理局石空镇市场监督管理所",
]


def _report(spec, path, unit, other_lines=0):
    from gktool.filldata import load_fill
    from gktool.findings import Result
    from gktool.model import Analysis, FilledReport
    from gktool.writers.report import write_report

    values = load_fill(spec, ROOT / "examples" / "zhongning-2023.json")
    u, o = spec.field_cells["unit"], spec.field_cells["other"]
    values[(u.sheet, u.cell)] = unit
    if other_lines:
        values[(o.sheet, o.cell)] = "\n".join(
            ["本年度组织开展政府信息公开培训，提升工作人员的业务能力和服务水平。"] * other_lines
        )
    report = FilledReport.from_values(spec, values, str(path))
    return write_report(Analysis(report, Result(str(path))), path, force=True)


def _word_ends(spec, unit, year=2023) -> set[int]:
    """Where a title line may end: after the unit, the year, before 工作年度报告, or between the unit's levels."""
    from gktool.writers.report import title_words

    ends, at = set(), 0
    for w, _ in title_words(spec, unit, year):
        at += len(w)
        ends.add(at)
    return ends


@pytest.mark.parametrize("length", range(4, 31))
def test_title_lines_break_only_between_words_and_fit(spec, length):
    from gktool.writers.report import SIZE_TITLE, TEXT_WIDTH, title_lines, title_width

    unit = next((u for u in UNITS if len(u) == length), None) or ("中宁县" + "某" * (length - 6) + "管理局")
    lines = title_lines(spec, unit, 2023, TEXT_WIDTH / SIZE_TITLE)
    assert "".join(lines) == f"{unit}2023年政府信息公开工作年度报告"
    assert all(title_width(x) <= TEXT_WIDTH / SIZE_TITLE for x in lines)
    ends, at = _word_ends(spec, unit), 0
    for line in lines[:-1]:
        at += len(line)
        assert at in ends or title_width(unit) > TEXT_WIDTH / SIZE_TITLE, lines
    if len(unit) + 15 > 20:
        assert len(lines) >= 2


def _pdf_title_lines(pdf) -> list[str]:
    from gktool.writers.report import SIZE_TITLE

    chars = [c for c in pdf.pages[0].chars if c["size"] >= SIZE_TITLE.pt - 1]
    rows: dict[int, list] = {}
    for c in chars:
        rows.setdefault(round(c["top"]), []).append(c)
    return ["".join(c["text"] for c in sorted(r, key=lambda c: c["x0"])) for _, r in sorted(rows.items())]


@pytest.mark.libreoffice
def test_libreoffice_prints_the_title_between_words_and_never_the_contact_alone(spec, tmp_path):
    import pdfplumber

    from gktool.writers.report import SIZE_TITLE, TEXT_WIDTH, TITLE_SLACK_EM, title_lines

    from .helpers import soffice_convert

    docs = [_report(spec, tmp_path / f"t{i:02d}.docx", u) for i, u in enumerate(UNITS)]
    # section 六 of 8, 9 and 19 lines put the contact paragraph at the top of a new last page
    closings = [_report(spec, tmp_path / f"c{k:02d}.docx", "中宁县", k) for k in (8, 9, 19)]
    pdfs = soffice_convert(docs + closings, tmp_path / "pdf", "pdf")
    for unit, path in zip(UNITS, pdfs, strict=False):
        with pdfplumber.open(path) as pdf:
            printed = _pdf_title_lines(pdf)
        assert printed == title_lines(spec, unit, 2023, TEXT_WIDTH / SIZE_TITLE - TITLE_SLACK_EM), (unit, printed)
        ends, at = _word_ends(spec, unit), 0
        for line in printed[:-1]:
            at += len(line)
            assert at in ends, (unit, printed)
    for path in pdfs[len(UNITS) :]:
        with pdfplumber.open(path) as pdf:
            last = pdf.pages[-1].extract_text()
        body = [x for x in last.splitlines() if x.strip() and not re.fullmatch(r"—\s*\d+\s*—", x.strip())]
        assert not body[0].startswith("如对本报告有疑问"), last  # something of the report comes with it


def test_cover_instructions_agree_with_the_completeness_checks(blank_workbook, spec):
    """What K1, K3 and K4 require is what the cover says; blanks are not called harmless."""
    wb = openpyxl.load_workbook(blank_workbook)
    cover = spec.sheets[0]
    said = " ".join(str(wb[cover.name].cell(2 + i, 1).value) for i in range(len(cover.instructions)))
    assert "或留空" not in said and "留空按 0 计）" not in said, said
    must = [f for s in spec.sheets if s.kind == "form" for f in s.fields if f.publish and f.type != "narrative"]
    assert must
    for f in must:
        assert f.label in said, f.label
    assert "也要填 0" in said and "不能全部留空" in said
    fee = spec.field_cells["fee_count"]
    notes = " ".join(str(c.value) for row in wb[fee.sheet].iter_rows() for c in row if c.value)
    assert "没有的填 0，不能留空" in notes
    # and the checks say the same: a blank fee field is an error, a blank table part is read as 0
    result = check_file(blank_workbook).result
    assert {"K1", "K3", "K4"} <= {f.rule for f in result.findings if f.severity == "error"}


@pytest.mark.libreoffice
def test_a_gktool_workbook_saved_as_xls_or_ods_is_told_so(tmp_path):
    from .helpers import soffice_convert

    saved = soffice_convert([EXAMPLE], tmp_path / "xls", "xls") + soffice_convert([EXAMPLE], tmp_path / "ods", "ods")
    for path in saved:
        result = check_file(path).result
        (s9,) = [f for f in result.findings if f.rule == "S9"]
        suffix = path.suffix
        assert f"另存为 {suffix} 格式" in s9.message and "另存为 .xlsx 格式" in s9.message, s9.message
        assert "不是 gktool 生成" not in s9.message and "gktool new" not in s9.message
        assert result.ok
    # a hand-made workbook is still told what it is
    from gktool.spec import load_spec as _load

    spec = _load()
    plain = tmp_path / "手工.xlsx"
    write_foreign(plain, spec, consistent_values(spec, random.Random(7)), Layout())
    (s9,) = [f for f in check_file(plain).result.findings if f.rule == "S9"]
    assert "不是 gktool 生成" in s9.message


# ----------------------------------------------------------------- the README's examples
README = ROOT / "README.md"


def test_the_units_folder_is_what_its_script_makes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_units", ROOT / "examples" / "make_units.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.main(tmp_path / "各单位")
    shipped = sorted((ROOT / "examples" / "各单位").iterdir())
    assert [p.name for p in shipped] == sorted(p.name for p in made)
    for path in shipped:
        assert path.read_bytes() == (tmp_path / "各单位" / path.name).read_bytes(), f"{path.name} is out of date"
    verdicts = {p.name: check_file(p).result.ok for p in shipped}
    assert sorted(verdicts.values()) == [False, True, True], verdicts  # one unit with an error, by design


def test_readme_usage_block_runs_as_written_with_the_exit_codes_it_states(tmp_path):
    import os
    import shutil

    from click.testing import CliRunner

    from gktool.cli import main

    block = re.search(r"```sh\n(mkdir -p out && cd out\n.*?\ncd \.\.)\n```", README.read_text(), re.S).group(1)
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("*.py"))
    (tmp_path / "out").mkdir()
    old = os.getcwd()
    os.chdir(tmp_path / "out")
    ran = []
    try:
        for line in block.splitlines()[1:-1]:
            command, _, comment = line.partition("#")
            args = command.split()
            assert args[0] == "gktool", line
            result = CliRunner().invoke(main, args[1:])
            want = 1 if "退出码 1" in comment else 0
            assert result.exit_code == want, (line, result.output[-800:])
            ran.append(args[1])
    finally:
        os.chdir(old)
    assert "collect" in ran and "validate" in ran
    # collect sums the shipped units only: nothing left by the earlier examples is counted or refused
    summary = openpyxl.load_workbook(tmp_path / "out" / "汇总.xlsx", read_only=True)
    status = [row for row in summary["状态"].iter_rows(values_only=True)][1:]
    assert len(status) == 3 and not any("重复" in " ".join(map(str, row)) for row in status), status


def test_status_sheet_lists_errors_first(mixed_book, tmp_path):
    from gktool.collect import collect_files

    with collect_files([str(mixed_book)]) as c:
        (row,) = list(c.rows())
    assert row.messages and "不成立" in row.messages[0], row.messages


@pytest.mark.libreoffice
def test_pdf_messages_name_each_place_once(spec, tmp_path):
    from .helpers import soffice_convert
    from .pdf_fixtures import Shape, build_docx, consistent_values

    values = dict(consistent_values(spec, 1))
    values[("C", "E4")] += 1  # 行政复议 总计 one more than its four results: R4
    doc = build_docx(spec, Shape("r4", values=values), tmp_path / "r4.docx")
    (pdf,) = soffice_convert([doc], tmp_path / "pdf", "pdf")
    findings = check_file(pdf).result.findings
    (r4,) = [f for f in findings if f.rule == "R4"]
    assert re.search(r"应等于 第\d+页 表格\d+ 第\d+行第1–4列 各项之和", r4.message), r4.message
    for f in findings:
        assert "!" not in f.message and not any("!" in c for c in f.cells), f
