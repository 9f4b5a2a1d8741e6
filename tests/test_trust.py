"""What the collecting office adds up and publishes can be trusted (issue 18): the five ways a wrong
number or a wrong report used to get through silently, the roster's name rule, and the summary's print set-up."""

from __future__ import annotations

import json
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from gktool.cli import main
from gktool.collection import Roster
from gktool.contract import STATUS_SHEET
from gktool.spec import load_spec
from gktool.validate import check_file
from gktool.writers.workbook import new_workbook

from . import published_fixtures as pf
from .foreign import Layout, consistent_values, write_foreign
from .helpers import soffice_convert

B = "三、依申请公开"
NEW_PERSONS = (B, "D4")  # 表三 一、本年新收 × 自然人
CONTACT = {
    "website": "http://www.example.gov.cn",
    "address": "中宁县某路1号",
    "phone": "0955-1234567",
    "fee_count": 0,
    "fee_amount": 0,
}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def unit_book(spec, path: Path, unit: str, seed: int, year: int = 2023) -> dict:
    """A passing gktool workbook of `unit` (tables consistent, contact details and fee filled); returns its values."""
    keep = {(s.name, c.cell) for s in spec.sheets for c in s.inputs}
    values = {k: v for k, v in consistent_values(spec, random.Random(seed)).items() if k in keep}
    for key, v in CONTACT.items():
        c = spec.field_cells[key]
        values[(c.sheet, c.cell)] = v
    new_workbook(spec, path, unit=unit, year=year, values=values)
    assert check_file(path).result.ok
    return values


def status_rows(path: Path) -> list[dict]:
    ws = openpyxl.load_workbook(path)[STATUS_SHEET]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------ 1. serve: another unit's file on a link
def test_serve_a_file_on_another_units_link_is_an_error_and_not_counted(spec, tmp_path):
    from .servekit import Server

    edu = unit_book(spec, tmp_path / "教育局.xlsx", "中宁县教育局", 1)
    unit_book(spec, tmp_path / "自然资源局.xlsx", "中宁县自然资源局", 2)
    s = Server(["中宁县教育局", "中宁县自然资源局"], tmp_path / "data", workers=1).start()
    try:
        book = (tmp_path / "教育局.xlsx").read_bytes()
        assert json.loads(s.upload("中宁县教育局", "教育局.xlsx", book).text)["ok"]
        wrong = json.loads(s.upload("中宁县自然资源局", "教育局.xlsx", book).text)
        assert not wrong["ok"] and wrong["findings"][0]["severity"] == "error"
        assert "中宁县教育局" in wrong["findings"][0]["message"] and "不是报送单位" in wrong["findings"][0]["message"]
        board = s.get(s.links["管理"]).text
        row = board.split(">中宁县自然资源局</a>", 1)[1].split("</tr>", 1)[0]
        assert "不通过" in row and "文件中的单位为“中宁县教育局”，与报送单位不一致" in row
        assert "不纳入" in row  # which submission is counted: none of this unit's
        summary = tmp_path / "汇总.xlsx"
        summary.write_bytes(s.get(s.links["管理"] + "summary.xlsx").body)
    finally:
        assert s.stop() == 0
    assert check_file(summary, strict=True).report.number(*NEW_PERSONS) == edu[NEW_PERSONS]  # 教育局 once, not twice
    rows = {r["单位"]: r for r in status_rows(summary)}
    other = rows["中宁县自然资源局"]
    assert (other["文件中的单位名称"], other["名单匹配"], other["纳入汇总"]) == ("中宁县教育局", "不一致", "否")
    assert rows["中宁县教育局"]["纳入汇总"] == "是" and "提交的 教育局.xlsx" in rows["中宁县教育局"]["文件名"]


# ------------------------------------------------------------------ 2. collect --roster: outsiders are not summed
@pytest.fixture(scope="module")
def region(spec, tmp_path_factory):
    """Two roster units' reports, and another region's real-looking report left in the same folder."""
    folder = tmp_path_factory.mktemp("region")
    made = {
        "中宁县教育局": unit_book(spec, folder / "教育局.xlsx", "中宁县教育局", 3),
        "中宁县财政局": unit_book(spec, folder / "财政局.xlsx", "中宁县财政局", 4),
        "固原市教育局": unit_book(spec, folder / "固原市教育局2023年报告.xlsx", "固原市教育局", 5),
    }
    roster = folder.parent / f"{folder.name}-名单.txt"
    roster.write_text("中宁县教育局\n中宁县财政局\n", encoding="utf-8")
    return folder, roster, made


def test_collect_roster_leaves_out_units_not_on_it(region, tmp_path):
    folder, roster, made = region
    out = tmp_path / "汇总.xlsx"
    r = run("collect", folder, "-o", out, "--roster", roster, "--unit", "中宁县", "-j", "1")
    assert r.exit_code == 0, r.output
    listed = made["中宁县教育局"][NEW_PERSONS] + made["中宁县财政局"][NEW_PERSONS]
    assert check_file(out, strict=True).report.number(*NEW_PERSONS) == listed
    outsider = next(row for row in status_rows(out) if row["文件中的单位名称"] == "固原市教育局")
    assert outsider["纳入汇总"] == "否" and "不在名单中，未纳入汇总" in outsider["需要核实"]
    assert "不在名单" == outsider["名单匹配"]
    screen = next(line for line in r.output.splitlines() if "固原市教育局" in line)
    assert "未纳入汇总" in screen and "--include-unlisted" in screen
    # asked for: summed, and said so
    out2 = tmp_path / "汇总2.xlsx"
    r = run("collect", folder, "-o", out2, "--roster", roster, "--include-unlisted", "-j", "1")
    assert r.exit_code == 0, r.output
    assert check_file(out2, strict=True).report.number(*NEW_PERSONS) == listed + made["固原市教育局"][NEW_PERSONS]
    outsider = next(row for row in status_rows(out2) if row["文件中的单位名称"] == "固原市教育局")
    assert outsider["纳入汇总"] == "是" and "按 --include-unlisted 纳入汇总" in outsider["需要核实"]


def test_near_miss_names_follow_the_documented_rule():
    """README: spacing, width, punctuation and the usual long forms are ignored; an abbreviation (characters
    left out, same last character) is 近似，请确认 and counted as the roster's name; two different named
    places never match."""
    roster = Roster(["中宁县发展和改革局", "中宁县人民政府办公室", "中宁县教育局", "宁安镇人民政府"])
    assert roster.match("中宁县 发展和改革局")[:2] == ("中宁县发展和改革局", "一致")
    assert roster.match("发改局")[:2] == ("中宁县发展和改革局", "近似，请确认")
    assert roster.match("中宁县发改局")[:2] == ("中宁县发展和改革局", "近似，请确认")
    assert roster.match("县政府办")[:2] == ("中宁县人民政府办公室", "近似，请确认")
    assert roster.match("××县人民政府办公室")[:2] == ("中宁县人民政府办公室", "近似，请确认")
    assert roster.match("宁安镇")[:2] == ("宁安镇人民政府", "近似，请确认")
    assert roster.match("固原市教育局")[0] is None  # another place's 教育局
    assert roster.match("中宁县财政局")[0] is None  # another body
    assert Roster(["发改局"]).match("中宁县发展和改革局")[:2] == ("发改局", "近似，请确认")  # either way round
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "“发改局”与“中宁县发展和改革局”" in readme and "“固原市教育局”不是“中宁县教育局”" in readme


# ------------------------------------------------------------------ 3. report from any source: unit and year as read
def test_report_from_a_published_report_takes_the_unit_and_year_read(tmp_path):
    rep = pf.consistent_report(3)
    source = tmp_path / "某县2023年报告.docx"
    pf.docx_report(source, rep)
    r = run("report", source)
    assert r.exit_code == 0, r.output
    out = tmp_path / f"{rep.unit}{rep.year}年政府信息公开工作年度报告.docx"
    assert out.exists() and not (tmp_path / "年政府信息公开工作年度报告.docx").exists()
    text = _docx_text(out)
    assert text.startswith(f"{rep.unit}{rep.year}年政府信息公开工作年度报告")
    assert "0年" not in text.replace(f"{rep.year}年", "") and f"统计期限为{rep.year}年1月1日" in text
    assert "地址：" in text and "0951-1234567" in text  # the contact details as read


def test_report_refuses_when_unit_or_year_cannot_be_read(spec, tmp_path):
    source = tmp_path / "表格.xlsx"  # no title row, a file name that names nobody
    values = dict(consistent_values(spec, random.Random(6)))
    write_foreign(source, spec, values, Layout(title_rows=0), unit="", year="")
    assert (check_file(source, strict=True).report.unit, check_file(source, strict=True).report.year) == (None, None)
    r = run("report", source)
    assert r.exit_code == 2
    lines = [line for line in r.output.splitlines() if line.startswith("错误：")]
    assert len(lines) == 1 and "--unit" in lines[0] and "--year" in lines[0] and "Traceback" not in r.output
    assert list(tmp_path.glob("*.docx")) == []
    r = run("report", source, "--unit", "中宁县教育局", "--year", "2023")
    assert r.exit_code == 0, r.output
    out = tmp_path / "中宁县教育局2023年政府信息公开工作年度报告.docx"
    assert out.exists() and "报告中宁县教育局2023年度" in _docx_text(out)
    r = run("report", source, "--unit", "中宁县教育局", "--year", "2023", "-o", tmp_path / "again.docx")
    assert r.exit_code == 0  # what was given is used again; nothing read contradicts it


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return "\n".join("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p)) for p in xml.split("</w:p>"))


# ------------------------------------------------------------------ 4. completeness for every source
def test_a_hand_made_workbook_without_contact_or_fee_fails_as_a_gktool_workbook_does(spec, tmp_path):
    values = dict(consistent_values(spec, random.Random(7)))
    hand = tmp_path / "中宁县教育局2023年报告.xlsx"
    write_foreign(hand, spec, values, Layout(), unit="中宁县教育局", year=2023, contact=False)
    gk = tmp_path / "gktool.xlsx"
    keep = {(s.name, c.cell) for s in spec.sheets for c in s.inputs}
    new_workbook(spec, gk, unit="中宁县教育局", year=2023, values={k: v for k, v in values.items() if k in keep})
    hand_k = {(f.rule, f.severity) for f in check_file(hand).result.findings if f.rule in ("K1", "K4")}
    gk_k = {(f.rule, f.severity) for f in check_file(gk).result.findings if f.rule in ("K1", "K4")}
    assert hand_k == gk_k == {("K1", "error"), ("K4", "error")}
    result = check_file(hand).result
    assert not result.ok
    k1 = next(f for f in result.findings if f.rule == "K1")
    assert "工作簿中没有找到" in k1.message and "通信地址" in k1.message and "右边一格" in k1.message
    # with the details beside their labels, it passes
    write_foreign(hand, spec, values, Layout(), unit="中宁县教育局", year=2023, contact=True)
    assert check_file(hand).result.ok


# ------------------------------------------------------------------ 5. collect refuses nonsense input
def test_collect_refuses_a_year_no_file_has_and_an_output_without_xlsx(region, tmp_path):
    folder, roster, _ = region
    out = tmp_path / "汇总.xlsx"
    r = run("collect", folder, "-o", out, "--year", "2022", "-j", "1")
    assert r.exit_code == 2 and "没有 2022 年度的报告" in r.output and "2023 年 3 个" in r.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
    r = run("collect", folder, "-o", tmp_path / "汇总", "-j", "1")
    assert r.exit_code == 2 and ".xlsx" in r.output and "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []
    r = run("collect", folder, "-o", out, "--include-unlisted", "-j", "1")  # no roster: nothing to leave out
    assert r.exit_code == 2 and "--roster" in r.output and not out.exists()


# ------------------------------------------------------------------ the summary prints
def _sheet_xml(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        rid = re.search(rf'<sheet name="{name}" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
        target = re.search(rf'Id="{rid}" Type="[^"]*" Target="([^"]+)"', rels).group(1)
        return z.read("xl/" + target.lstrip("/").removeprefix("xl/")).decode("utf-8")


def test_the_summary_has_a_print_set_up(region, tmp_path):
    folder, roster, _ = region
    out = tmp_path / "汇总.xlsx"
    assert run("collect", folder, "-o", out, "--roster", roster, "--unit", "中宁县", "-j", "1").exit_code == 0
    with zipfile.ZipFile(out) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    assert re.search(r'_xlnm.Print_Titles" localSheetId="\d+">状态!\$1:\$1<', workbook)
    assert re.search(r'_xlnm.Print_Area" localSheetId="\d+">状态!\$A\$1:\$N\$\d+<', workbook)  # not 路径
    assert re.search(r'_xlnm.Print_Area" localSheetId="\d+">明细!\$L\$1<', workbook)  # the note alone
    status = _sheet_xml(out, "状态")
    assert 'orientation="landscape"' in status and 'paperSize="9"' in status and 'fitToHeight="0"' in status
    assert "不打印" in openpyxl.load_workbook(out)["明细"]["L1"].value
    for name in ("状态", "封面", "三、依申请公开", "校验", "明细"):
        footer = re.search(r"<oddFooter>([^<]*)</oddFooter>", _sheet_xml(out, name)).group(1)
        assert "中宁县 2023年度" in footer and "&amp;P" in footer, (name, footer)


@pytest.mark.libreoffice
def test_five_units_print_in_at_most_45_pages_with_readable_status_text(spec, tmp_path):
    import pdfplumber

    folder = tmp_path / "in"
    folder.mkdir()
    for i, unit in enumerate(["中宁县发展和改革局", "中宁县财政局", "中宁县教育局", "宁安镇人民政府", "中宁县公安局"]):
        unit_book(spec, folder / f"{unit}.xlsx", unit, 20 + i)
    out = tmp_path / "汇总.xlsx"
    assert run("collect", folder, "-o", out, "--unit", "中宁县", "-j", "1").exit_code == 0
    soffice_convert([out], tmp_path, "pdf")
    with pdfplumber.open(tmp_path / "汇总.pdf") as pdf:
        assert len(pdf.pages) <= 45
        status = [p for p in pdf.pages if (p.extract_text() or "").rstrip().endswith("状态")]
        assert status and all(p.width > p.height for p in status)  # landscape
        for page in status:
            body = [c["size"] for c in page.chars if c["text"].strip() and c["top"] < page.height * 0.9]
            assert min(body) >= 8, min(body)  # the scale that fits one page wide still leaves 8 pt
