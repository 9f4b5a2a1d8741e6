"""gktool collect: statuses, roster matching, the summed tables, 明细, determinism, LibreOffice."""

import json
import random
import re
import shutil
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from gktool.cli import main
from gktool.collect import collect_files, read_roster, readable_by_gktool
from gktool.collection import Collection, Roster, canonical_name, value_keys
from gktool.contract import CHECK_SHEET, DETAIL_SHEET, OVERALL_CELL, STATUS_SHEET
from gktool.extract import extract_record
from gktool.spec import load_spec
from gktool.validate import check_file
from gktool.writers.summary import STATUS_COLUMNS, write_summary
from gktool.writers.workbook import new_workbook

from .foreign import Layout, consistent_values, write_foreign
from .helpers import soffice_available, soffice_convert

B = "三、依申请公开"
UNITS = ["中宁县发展和改革局", "中宁县财政局", "中宁县教育局", "宁安镇人民政府", "中宁县市场监督管理局"]
ROSTER = [
    "中宁县人民政府办公室",
    "中宁县发展和改革局",
    "中宁县财政局",
    "中宁县教育局",
    "宁安镇人民政府",
    "中宁县市场监督管理局",
    "中宁县公安局",
]


@pytest.fixture(scope="module")
def spec():
    return load_spec()


CONTACT = {
    "fee_count": 0,
    "fee_amount": 0,
    "website": "http://www.example.gov.cn",
    "address": "某县某路1号",
    "phone": "0955-1234567",
}


def _inputs(spec, values):
    """A unit's table values plus what a publishable report needs besides (fees, contact details)."""
    keep = {(s.name, c.cell) for s in spec.sheets for c in s.inputs}
    out = {k: v for k, v in values.items() if k in keep}
    for key, v in CONTACT.items():
        c = spec.field_cells[key]
        out[(c.sheet, c.cell)] = v
    return out


@pytest.fixture(scope="module")
def inbox(spec, tmp_path_factory):
    """A collecting office's folder: gktool workbooks, a hand-made one, a failing one, an abbreviated
    name, a duplicate, last year's report, an unreadable file. Returns (folder, {file name: values})."""
    folder = tmp_path_factory.mktemp("inbox")
    (folder / "乡镇").mkdir()
    rng = random.Random(12)
    made = {}
    for i, unit in enumerate(UNITS[:4]):
        values = consistent_values(spec, rng)
        name = f"{unit}.xlsx" if i != 3 else "乡镇/宁安镇.xlsx"
        new_workbook(spec, folder / name, unit=unit, year=2024, values=_inputs(spec, values))
        made[name] = values
    values = consistent_values(spec, rng)  # the office's own template, with a shortened name in the title
    write_foreign(folder / "县市场监管局.xlsx", spec, values, Layout(), unit="县市场监管局", year=2024)
    made["县市场监管局.xlsx"] = values
    # 县政府办 (an abbreviation) submitted a workbook whose 表三 does not add up
    bad = dict(consistent_values(spec, rng))
    bad[(B, "D28")] += 5
    new_workbook(spec, folder / "县政府办.xlsx", unit="××县人民政府办公室", year=2024, values=_inputs(spec, bad))
    made["县政府办.xlsx"] = bad
    shutil.copy(folder / "中宁县财政局.xlsx", folder / "中宁县财政局（修改后）.xlsx")  # sent twice
    old = consistent_values(spec, rng)
    new_workbook(spec, folder / "中宁县教育局2023.xlsx", unit="中宁县教育局", year=2023, values=_inputs(spec, old))
    made["中宁县教育局2023.xlsx"] = old
    (folder / "说明.docx").write_bytes(b"not really a document")
    return folder, made


@pytest.fixture(scope="module")
def roster_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("roster") / "名单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年度政府信息公开工作年度报告报送名单"])
    ws.append(["序号", "单位名称", "联系人"])
    for i, name in enumerate(ROSTER, 1):
        ws.append([i, name, "张三"])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def collected(inbox, roster_file, tmp_path_factory):
    folder, _ = inbox
    out = tmp_path_factory.mktemp("out") / "汇总.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "collect",
            str(folder),
            "-o",
            str(out),
            "--roster",
            str(roster_file),
            "--unit",
            "中宁县",
            "--format",
            "json",
            "-j",
            "1",
            "--cover",
            str(folder / "中宁县财政局.xlsx"),
        ],
    )
    return out, result


def _status(path):
    ws = openpyxl.load_workbook(path)[STATUS_SHEET]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def _by_label(path):
    return {(v["table"], v["row"], v["column"]): v["value"] for v in extract_record(check_file(path))["values"]}


def test_summed_tables_equal_the_units_values_read_back_by_label(collected, inbox, spec):
    out, result = collected
    folder, made = inbox
    included = [r["路径"] for r in _status(out) if r["纳入汇总"] == "是"]
    # of two identical submissions the later file (in path order) is summed
    assert sorted(Path(p).name for p in included) == sorted(
        [
            "中宁县发展和改革局.xlsx",
            "中宁县财政局（修改后）.xlsx",
            "中宁县教育局.xlsx",
            "宁安镇.xlsx",
            "县市场监管局.xlsx",
        ]
    )
    units = [_by_label(p) for p in included]
    summed = _by_label(out)
    assert len(summed) == 200
    for label, value in summed.items():
        want = sum(u[label] or 0 for u in units)
        assert value == pytest.approx(want, abs=0.005), label
    assert any(v > 0 for v in summed.values())
    # the 六 fee fields are summed too
    fee = spec.field_cells["fee_count"]
    wb = openpyxl.load_workbook(out, data_only=True)
    assert wb[fee.sheet][fee.cell].value == sum(check_file(p).report.number(fee.sheet, fee.cell) for p in included)


def test_the_summary_validates_clean_and_report_writes_it(collected, tmp_path):
    out, result = collected
    verdict = check_file(out).result
    # no errors; the one thing left is K2: the county's own narrative, which no sum can write
    assert verdict.kind == "gktool" and verdict.ok, verdict.findings
    assert {f.rule for f in verdict.findings} == {"K2"}, verdict.findings
    assert verdict.unit == "中宁县" and verdict.year == 2024
    r = CliRunner().invoke(main, ["report", str(out), "-o", str(tmp_path / "汇总报告.docx")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "汇总报告.docx").stat().st_size > 10000


def test_every_file_once_in_status_with_unreadable_and_missing_units(collected, inbox):
    out, result = collected
    folder, _ = inbox
    rows = _status(out)
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    assert sorted(r["路径"] for r in rows if r["路径"]) == files
    assert Counter(r["路径"] for r in rows if r["路径"]).most_common(1)[0][1] == 1
    by_file = {Path(r["路径"]).name: r for r in rows if r["路径"]}
    assert by_file["说明.docx"]["结论"] == "无法读取" and by_file["说明.docx"]["纳入汇总"] == "否"
    assert by_file["县政府办.xlsx"]["结论"] == "不通过" and by_file["县政府办.xlsx"]["错误数"] >= 1
    assert "D28" in by_file["县政府办.xlsx"]["问题1"]
    missing = [r for r in rows if r["结论"] == "未提交"]
    assert [r["单位"] for r in missing] == ["中宁县公安局"]
    # rows needing action come first: unreadable, failing, missing before the rest
    order = [r["结论"] for r in rows]
    assert order[:3] == ["无法读取", "不通过", "未提交"]
    assert set(order[3:]) <= {"通过", "有警告"}
    flagged = [bool(r["需要核实"]) for r in rows[3:]]
    assert flagged == sorted(flagged, reverse=True)
    assert [c for c, _ in STATUS_COLUMNS] == list(rows[0].keys())


def test_duplicates_wrong_years_and_close_names_are_flagged(collected):
    out, result = collected
    by_file = {Path(r["路径"]).name: r for r in _status(out) if r["路径"]}
    dup = [by_file["中宁县财政局.xlsx"], by_file["中宁县财政局（修改后）.xlsx"]]
    assert all("重复提交" in r["需要核实"] for r in dup)
    assert sorted(r["纳入汇总"] for r in dup) == ["否", "是"]
    old = by_file["中宁县教育局2023.xlsx"]
    assert "年度不符" in old["需要核实"] and old["纳入汇总"] == "否" and old["年度"] == 2023
    assert by_file["中宁县教育局.xlsx"]["纳入汇总"] == "是"  # not a duplicate of last year's
    close = by_file["县政府办.xlsx"]
    assert close["单位"] == "中宁县人民政府办公室" and close["名单匹配"] == "近似，请确认"
    assert "请确认" in close["需要核实"]
    assert by_file["县市场监管局.xlsx"]["单位"] == "中宁县市场监督管理局"
    assert by_file["中宁县发展和改革局.xlsx"]["名单匹配"] == "一致"
    assert by_file["宁安镇.xlsx"]["名单匹配"] == "一致"
    summary = json.loads(result.output.strip().splitlines()[-1])["summary"]
    assert summary["missing"] == ["中宁县公安局"]
    assert sorted(Path(p).name for p in summary["duplicates"]) == ["中宁县财政局.xlsx", "中宁县财政局（修改后）.xlsx"]
    assert [Path(p).name for p in summary["wrong_year"]] == ["中宁县教育局2023.xlsx"]
    assert {Path(c["file"]).name for c in summary["to_confirm"]} == {"县政府办.xlsx", "县市场监管局.xlsx"}


def test_json_lines_like_validate_then_a_summary_and_the_exit_code(collected, inbox):
    out, result = collected
    folder, _ = inbox
    lines = [json.loads(x) for x in result.output.strip().splitlines()]
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    assert [x["file"] for x in lines[:-1]] == files
    assert set(lines[0]) == {"file", "ok", "kind", "format", "unit", "year", "errors", "warnings", "findings"}
    s = lines[-1]["summary"]
    assert (s["files"], s["included"], s["unreadable"], s["failed"], s["year"]) == (len(files), 5, 1, 1, 2024)
    assert result.exit_code == 2  # an unreadable file, as validate


def test_the_cover_states_which_units_are_summed_and_how_many(collected):
    out, _ = collected
    cover = openpyxl.load_workbook(out)["封面"]
    text = "\n".join(str(c.value) for row in cover.iter_rows(max_row=8, max_col=1) for c in row if c.value)
    assert "汇总了 5 个单位" in text and "没有错误的单位" in text
    for unit in ("中宁县发展和改革局", "中宁县财政局", "中宁县市场监督管理局"):
        assert unit in text
    assert "中宁县人民政府办公室" not in text.split("纳入汇总的")[1].split("\n")[0]


def test_detail_sheet_one_row_per_unit_value_with_source(collected, inbox, spec):
    out, _ = collected
    folder, _ = inbox
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb[DETAIL_SHEET].iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert head == ("单位", "年度", "文件名", "纳入汇总", "表", "行", "列", "类别", "来源", "数值")
    readable = 8  # every file but the unreadable one
    assert len(body) == readable * len(value_keys(spec))
    mine = [r for r in body if r[2] == "中宁县财政局.xlsx"]
    assert len(mine) == len(value_keys(spec))
    values = check_file(folder / "中宁县财政局.xlsx").report
    for r, k in zip(mine, value_keys(spec), strict=True):
        assert r[0] == "中宁县财政局" and r[1] == 2024 and r[8] == f"{k.sheet}!{k.cell}" and r[5] == k.row
    cell = next(r for r in mine if r[5] == "（七）总计" and r[6] == "自然人")
    assert cell[8] == f"{B}!D27" and cell[7] == "合计" and cell[9] == values.number(B, "D27")
    foreign = [r for r in body if r[2] == "县市场监管局.xlsx"]
    assert foreign and all(r[8].startswith("表") for r in foreign if r[4] in "二三四")
    # pivot: 填报 rows of the included units sum to the 汇总 table
    total = sum(r[9] or 0 for r in body if r[3] == "是" and r[5] == "（一）予以公开" and r[6] == "自然人")
    summary = openpyxl.load_workbook(out, data_only=True)
    assert summary[B]["D6"].value == total


def test_byte_identical_on_rerun_and_output_never_overwritten(inbox, roster_file, collected, tmp_path):
    folder, _ = inbox
    out, _ = collected
    again = tmp_path / "again.xlsx"
    r = CliRunner().invoke(
        main,
        [
            "collect",
            str(folder),
            "-o",
            str(again),
            "--roster",
            str(roster_file),
            "--unit",
            "中宁县",
            "-j",
            "2",
            "--cover",
            str(folder / "中宁县财政局.xlsx"),
        ],
    )
    assert r.exit_code == 2, r.output
    assert again.read_bytes() == out.read_bytes()
    before = again.read_bytes()
    r = CliRunner().invoke(main, ["collect", str(folder), "-o", str(again)])
    assert r.exit_code == 2 and "已存在" in r.output and again.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gktool-")]
    # last year's summary left in the folder is listed, never summed again
    shutil.copy(out, tmp_path / "汇总-上次.xlsx")
    paths = sorted(str(p) for p in folder.rglob("*") if p.is_file()) + [str(tmp_path / "汇总-上次.xlsx")]
    with collect_files(paths, jobs=1) as c:
        old = next(s for s in c.submissions if s.path.endswith("汇总-上次.xlsx"))
        assert not old.included and "汇总工作簿" in old.notes[0] and len(c.included) == 5


def test_include_failing_sums_every_readable_unit_and_says_so(inbox, tmp_path):
    folder, _ = inbox
    paths = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    with collect_files(paths, year=2024, jobs=1, include_failing=True) as c:
        write_summary(c, tmp_path / "all.xlsx")
        names = sorted(Path(s.path).name for s in c.included)
    assert "县政府办.xlsx" in names and "中宁县教育局2023.xlsx" not in names and len(names) == 6
    cover = openpyxl.load_workbook(tmp_path / "all.xlsx")["封面"]
    assert "含有错误的" in cover["A4"].value and "汇总了 6 个单位" in cover["A3"].value


def test_roster_names_match_after_normalising(tmp_path):
    roster = Roster(["县政府办", "中宁县发展和改革局", "宁安镇人民政府", "县财政局", "县财政所"])
    assert roster.match("××县人民政府办公室")[:2] == ("县政府办", "近似，请确认")
    assert roster.match("中宁县 发展和改革局")[:2] == ("中宁县发展和改革局", "一致")
    assert roster.match("中宁县发改局")[:2] == ("中宁县发展和改革局", "近似，请确认")
    assert roster.match("宁安镇")[0] == "宁安镇人民政府"
    assert roster.match("中宁县财政局")[0] == "县财政局"  # a 局 is not a 所
    assert roster.match("中宁县公安局")[0] is None
    assert roster.match(None, "县发改局")[0] == "中宁县发展和改革局"  # by file name when the file names no unit
    assert canonical_name("ＸＸ县人民政府办公室") == "县政府办"
    txt = tmp_path / "名单.txt"
    txt.write_bytes("单位名称\n县政府办\n\n 县财政局 \n县政府办\n".encode("gb18030"))
    assert read_roster(txt).names == ["县政府办", "县财政局"]
    r = CliRunner().invoke(
        main, ["collect", str(tmp_path), "-o", str(tmp_path / "x.xlsx"), "--roster", str(tmp_path / "无.xlsx")]
    )
    assert r.exit_code == 2 and "名单文件" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.xlsx").exists()


def test_memory_stays_flat_in_the_number_of_files(inbox, spec, tmp_path):
    folder, _ = inbox
    analysis = check_file(folder / "中宁县财政局.xlsx")
    with Collection(spec) as c:
        for _ in range(50):
            c.add(analysis)
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            c.add(analysis)
        grown = tracemalloc.get_traced_memory()[0] - start
        tracemalloc.stop()
        assert grown / 1000 < 2000, grown  # a status row, not the report (~70 KB pickled)
        c.finish()
        assert sum(1 for _ in c.records()) == 1050
        assert c.sums()[(B, "D6")] == analysis.report.number(B, "D6")  # 1050 times one unit: summed once
        assert len(c.included) == 1
        # 1050 units' 明细 (some 50 MB) is a sheet the checks do not read: the summary still reads back
        write_summary(c, tmp_path / "big.xlsx")
        assert readable_by_gktool(tmp_path / "big.xlsx") and not check_file(tmp_path / "big.xlsx").result.unreadable


def _recalculated_by_libreoffice(path, outdir):
    """Convert with LibreOffice set to recalculate every formula on load; cached values are zeroed
    first, so the totals read back can only have come from LibreOffice's own calculation."""
    outdir.mkdir()
    zeroed = outdir / "zeroed.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(zeroed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1<v>0</v>", data)
            zout.writestr(info, data)
    soffice_convert(
        [zeroed],
        outdir / "lo",
        registry='<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
        'oor:op="fuse"><value>0</value></prop></item>',
    )
    return outdir / "lo" / "zeroed.xlsx"


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice not installed")
def test_libreoffice_recalculates_the_summary_to_the_same_totals(collected, spec, tmp_path):
    out, _ = collected
    saved = _recalculated_by_libreoffice(out, tmp_path / "lo")
    ours = openpyxl.load_workbook(out, data_only=True)
    theirs = openpyxl.load_workbook(saved, data_only=True)
    computed = [(s.name, c.cell) for s in spec.sheets for c in s.computed]
    assert any(ours[s][c].value for s, c in computed)
    for s, c in computed:
        assert theirs[s][c].value == pytest.approx(ours[s][c].value), (s, c)
    assert theirs[CHECK_SHEET][OVERALL_CELL].value == "通过（1 项警告，请核实）"  # K2: narratives left to write
    # the 状态 and 明细 sheets survive the round trip (明细 cells are written without addresses)
    detail = list(theirs[DETAIL_SHEET].iter_rows(min_row=2, max_row=3, values_only=True))
    assert (
        detail[0][:5]
        == next(
            openpyxl.load_workbook(out, read_only=True)[DETAIL_SHEET].iter_rows(min_row=2, max_row=2, values_only=True)
        )[:5]
    )
    assert theirs[STATUS_SHEET]["E2"].value == "无法读取"
    assert check_file(saved).result.ok


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice not installed")
def test_ods_and_xls_submissions_are_read_and_summed(inbox, tmp_path):
    folder, _ = inbox
    src = [folder / "中宁县发展和改革局.xlsx", folder / "中宁县教育局.xlsx"]
    soffice_convert([src[0]], tmp_path / "in", "ods")
    soffice_convert([src[1]], tmp_path / "in", "xls")
    paths = sorted(str(p) for p in (tmp_path / "in").iterdir())
    with collect_files(paths, jobs=1) as c:
        write_summary(c, tmp_path / "汇总.xlsx")
        assert sorted(s.kind for s in c.included) == ["ods", "xls"]
    units = [_by_label(p) for p in src]
    for label, value in _by_label(tmp_path / "汇总.xlsx").items():
        assert value == pytest.approx(sum(u[label] or 0 for u in units), abs=0.005), label


def test_previous_dir_compares_each_unit_with_its_own_last_year(inbox, tmp_path):
    folder, _ = inbox
    last = tmp_path / "2023"
    last.mkdir()
    shutil.copy(folder / "中宁县教育局2023.xlsx", last / "中宁县教育局.xlsx")
    paths = [str(folder / "中宁县教育局.xlsx"), str(folder / "中宁县财政局.xlsx")]
    rules = {}
    with collect_files(
        paths,
        year=2024,
        jobs=1,
        previous_dir=str(last),
        on_file=lambda a, s: rules.setdefault(Path(s.path).name, {f.rule for f in a.result.findings}),
    ):
        pass
    assert "Y0" in rules["中宁县财政局.xlsx"]  # no report of its own last year: said so
    assert "Y0" not in rules["中宁县教育局.xlsx"]
    assert rules["中宁县教育局.xlsx"] & {"Y1", "Y2", "Y6"}  # random figures do not carry over


def test_a_report_gktool_read_only_in_part_is_never_summed(spec):
    """A PDF whose 总计 column ran off the page has unread cells (P3): they would be summed as 0, a wrong total.
    It is told apart (未能完整读取), left out with a note, and the total is the other unit's alone."""
    from gktool.filldata import load_fill
    from gktool.findings import Finding, Result
    from gktool.model import Analysis, FilledReport

    from .conftest import EXAMPLE_JSON

    example_values = load_fill(spec, EXAMPLE_JSON)

    def analysis(unit, partial):
        values = dict(example_values) | {(spec.field_cells["unit"].sheet, spec.field_cells["unit"].cell): unit}
        report = FilledReport.from_values(spec, values, source=f"{unit}.pdf", kind="pdf")
        findings = []
        if partial:
            report.values[("三、依申请公开", "D4")] = None
            report.unread.add(("三、依申请公开", "D4"))
            findings.append(Finding("P3", "warning", "三、依申请公开", ("D4",), "第5页 表格2 第4行：未能读出"))
        result = Result(f"{unit}.pdf", spec.format_id, findings, kind="pdf", unit=unit, year=2023)
        return Analysis(report, result)

    with Collection(spec) as c:
        whole, part = c.add(analysis("甲县", False)), c.add(analysis("乙县", True))
        c.finish()
        assert whole.included and not part.included and part.verdict == "未能完整读取"
        assert any("未能读出" in n for n in part.notes)
        assert c.sums()[("三、依申请公开", "D4")] == example_values[("三、依申请公开", "D4")]
        assert c.counts()["未能完整读取"] == 1
