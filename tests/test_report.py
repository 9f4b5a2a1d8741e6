"""`gktool report`: the Word report's numbers, wording, structure, typesetting, CLI and rendering."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from gktool.cells import parse_cell, parse_range
from gktool.cli import main
from gktool.errors import GkError
from gktool.findings import Result
from gktool.model import Analysis, FilledReport
from gktool.spec import load_spec, load_spec_text
from gktool.validate import check_file
from gktool.writers.report import (
    DRAFT_MARK,
    balanced_width,
    build_document,
    column_widths,
    default_report_path,
    document_bytes,
    fontconfig_xml,
    write_report,
)
from gktool.writers.report_wording import narrative_paragraphs, report_blocks
from gktool.writers.workbook import new_workbook

from .helpers import soffice_available, soffice_convert

A, B, C = "二、主动公开", "三、依申请公开", "四、复议诉讼"
COVER, S1, S5, S6 = "封面", "一、总体情况", "五、问题及改进", "六、其他事项"
EXAMPLE_XLSX = Path(__file__).parent.parent / "examples" / "中宁县2023年政府信息公开工作年度报告.xlsx"

# consistent figures (every rule holds): several applicant columns, so row and column totals differ
NUMBERS = {
    (A, "B3"): 1,
    (A, "C3"): 0,
    (A, "D3"): 4,
    (A, "B4"): 3,
    (A, "C4"): 10,
    (A, "D4"): 28,
    (A, "B7"): 153644,
    (A, "B10"): 4035,
    (A, "B11"): 1982,
    (A, "B14"): 2157.7,
    (B, "D4"): 28,
    (B, "E4"): 3,
    (B, "F4"): 1,
    (B, "H4"): 2,
    (B, "I4"): 1,
    (B, "D5"): 2,
    (B, "E5"): 1,
    (B, "D6"): 12,
    (B, "D7"): 3,
    (B, "D11"): 2,
    (B, "D16"): 5,
    (B, "D19"): 2,
    (B, "D24"): 1,
    (B, "E6"): 2,
    (B, "E13"): 1,
    (B, "F6"): 1,
    (B, "H7"): 2,
    (B, "I26"): 1,
    (B, "D28"): 5,
    (B, "E28"): 1,
    (C, "A4"): 1,
    (C, "C4"): 2,
    (C, "D4"): 1,
    (C, "G4"): 1,
    (C, "H4"): 3,
    (C, "K4"): 1,
}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def field_values(spec, **fields) -> dict:
    """{(sheet, cell): value} for form fields given by key."""
    return {(spec.field_cells[k].sheet, spec.field_cells[k].cell): v for k, v in fields.items()}


def base_values(spec, **fields) -> dict:
    values = dict(NUMBERS)
    values.update(
        field_values(
            spec,
            unit="测试县",
            year=2023,
            website_name="测试县人民政府网站",
            website="http://www.example.gov.cn",
            contact_office="测试县人民政府办公室",
            address="人民路1号",
            postcode="100000",
            phone="010-12345678",
            fee_count=0,
            fee_amount=0,
        )
    )
    values.update(field_values(spec, **fields))
    return values


def make_analysis(spec, tmp_path, name="t.xlsx", **fields) -> tuple[Analysis, Path]:
    path = tmp_path / name
    new_workbook(spec, path, values=base_values(spec, **fields))
    return check_file(path, strict=True), path


def body_items(document):
    """('p', text, outline level or None) and ('tbl', Table) in document order."""
    out = []
    tables = iter(document.tables)
    for el in document.element.body.iterchildren():
        if el.tag == qn("w:p"):
            lvl = el.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
            text = "".join(t.text or "" for t in el.iter(qn("w:t")))
            out.append(("p", text, None if lvl is None else int(lvl.get(qn("w:val")))))
        elif el.tag == qn("w:tbl"):
            out.append(("tbl", next(tables), None))
    return out


def paragraphs(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text]


@pytest.fixture(scope="module")
def full(spec, tmp_path_factory):
    """A workbook with every narrative filled (multi-paragraph cells) and its report."""
    tmp = tmp_path_factory.mktemp("full")
    analysis, path = make_analysis(
        spec,
        tmp,
        overview="第一段概述。\n\n　　第二段概述。  ",
        active="主动公开第一段。\n主动公开第二段。",
        request="依申请公开情况的说明。",
        management="管理情况。",
        platform="平台情况。",
        supervision="监督情况。",
        problems="一是问题甲；二是问题乙。",
        improvements="改进一。\n改进二。",
        other="其他事项说明。",
        fee_count=2,
        fee_amount=150.5,
        email="gk@example.gov.cn",
    )
    out = write_report(analysis, tmp / "report.docx")
    return analysis, out, docx.Document(str(out))


@pytest.fixture(scope="module")
def empty(spec, tmp_path_factory):
    """The same figures with every narrative cell empty and no fee."""
    tmp = tmp_path_factory.mktemp("empty")
    analysis, _ = make_analysis(spec, tmp)
    out = write_report(analysis, tmp / "empty.docx")
    return analysis, out, docx.Document(str(out))


# ----------------------------------------------------------------- numbers in the tables
def test_tables_carry_exactly_the_workbook_numbers(spec, full):
    analysis, _, document = full
    assert analysis.result.ok and not analysis.result.findings
    sheets = [s for s in spec.sheets if s.kind == "table"]
    assert len(document.tables) == len(sheets)
    checked = 0
    for sheet, table in zip(sheets, document.tables, strict=False):
        rows, cols = sheet.bounds
        assert (len(table.rows), len(table.columns)) == (rows, cols)
        for c in sheet.cells:
            r, col = parse_cell(c.cell)
            text = table.cell(r - 1, col - 1).text
            want = analysis.number(sheet.name, c.cell)
            assert text.strip(), f"{sheet.name}!{c.cell} is blank"
            assert float(text) == pytest.approx(want), f"{sheet.name}!{c.cell}"
            if spec.types[c.type].decimals and not spec.types[c.type].integer:
                assert re.fullmatch(r"\d+\.\d{2}", text), text  # amounts: two decimals
            else:
                assert re.fullmatch(r"\d+", text), text  # counts: integers, 0 as 0
            checked += 1
    assert checked == sum(len(s.cells) for s in sheets)
    assert document.tables[0].cell(13, 1).text == "2157.70"
    assert document.tables[1].cell(26, 9).text == str(int(analysis.number(B, "J27"))) == "32"


def test_table_labels_come_from_the_spec(spec, full):
    _, _, document = full
    sheets = [s for s in spec.sheets if s.kind == "table"]
    for sheet, table in zip(sheets, document.tables, strict=False):
        for lab in sheet.labels:
            r1, c1, _, _ = parse_range(lab.range)
            cell = table.cell(r1 - 1, c1 - 1)
            assert cell.text == lab.text, lab  # exactly the official text
            assert cell._tc.find(f".//{qn('w:br')}") is None, lab  # no hard line break: the cell wraps


def test_merged_headers_in_table_three(spec, full):
    _, _, document = full
    sheet = spec.sheet(B)
    table = document.tables[[s.name for s in spec.sheets if s.kind == "table"].index(B)]
    header = [tr for tr in table._tbl.tr_lst[: sheet.header_rows]]
    assert header[0].tc_lst[0].grid_span == 3  # A1:C3
    assert header[0].tc_lst[0].vMerge == "restart"
    assert header[0].tc_lst[1].grid_span == 7  # D1:J1 申请人情况
    assert header[1].tc_lst[0].vMerge == "continue"
    spans = [tc.grid_span for tc in header[1].tc_lst]
    assert spans == [3, 1, 5, 1]  # (A:C), 自然人, 法人或其他组织 E2:I2, 总计
    assert header[1].tc_lst[1].vMerge == "restart" and header[2].tc_lst[1].vMerge == "continue"
    # every merged label of every table is a merged cell
    for s, t in zip([s for s in spec.sheets if s.kind == "table"], document.tables, strict=False):
        for lab in s.labels:
            r1, c1, r2, c2 = parse_range(lab.range)
            tc = t.cell(r1 - 1, c1 - 1)._tc
            assert tc.grid_span == c2 - c1 + 1, lab
            assert tc.vMerge == ("restart" if r2 > r1 else None), lab


def test_table_rows_repeat_headers_and_never_split(spec, full):
    _, _, document = full
    for sheet, table in zip([s for s in spec.sheets if s.kind == "table"], document.tables, strict=False):
        for i, tr in enumerate(table._tbl.tr_lst):
            trpr = tr.trPr
            assert trpr.find(qn("w:cantSplit")) is not None
            assert (trpr.find(qn("w:tblHeader")) is not None) == (i < sheet.header_rows)
        tblpr = table._tbl.tblPr
        assert tblpr.find(qn("w:jc")).get(qn("w:val")) == "center"
        assert tblpr.find(qn("w:tblStyle")).get(qn("w:val")) == "TableGrid"


def test_tables_fit_the_text_width(spec):
    total = int(Mm(156))
    for sheet in [s for s in spec.sheets if s.kind == "table"]:
        widths = column_widths(sheet, total, Pt(10.5))
        assert sum(widths) == total and len(widths) == sheet.bounds[1]
        assert min(widths) > int(Mm(9))  # two characters of 五号 and the margins


def test_balanced_width():
    assert balanced_width("商业企业", 3) == 2  # 商业/企业, not 商业企/业
    assert balanced_width("结果维持", 3) == 2
    assert balanced_width("社会公益组织", 3) == 0  # 3 + 3 wraps evenly by itself
    assert balanced_width("自然人", 3) == 0
    assert balanced_width("三、本年度办理结果", 3) == 0  # 3 + 3 + 3
    assert balanced_width("申请人情况", 10) == 0


def test_table_three_label_column_holds_three_characters(spec):
    """三、本年度办理结果 in 表三's first column: lines of three characters (三、本/年度办/理结果), not two."""
    sheet = spec.sheet(B)
    widths = column_widths(sheet, int(Mm(156)), Pt(10.5))
    margins = Pt(2 * 57 / 20)
    assert widths[0] - margins >= 3 * Pt(10.5) + Mm(0.25)
    # the rows' own labels (A:C) still fit on one line: 一、本年新收政府信息公开申请数量 is 16 characters
    assert sum(widths[:3]) - margins >= 16 * Pt(10.5)


def test_short_tables_are_kept_on_one_page(full, spec):
    """表二 (14 rows) and 表四 keep every row with the next, so the table moves to a page where it fits."""
    _, _, document = full
    tables = dict(zip([s.name for s in spec.sheets if s.kind == "table"], document.tables, strict=False))
    for name in (A, C):
        rows = tables[name]._tbl.tr_lst
        for tr in rows[:-1]:
            for p in tr.iter(qn("w:p")):
                assert p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None, name


# ----------------------------------------------------------------- structure and wording
def test_sections_in_official_order(spec, full):
    analysis, _, document = full
    items = body_items(document)
    h1 = [t for kind, t, lvl in items if kind == "p" and lvl == 0]
    assert h1 == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert h1 == [f"{s.section}、{s.heading}" for s in spec.sheets if s.section]
    h2 = [t for kind, t, lvl in items if kind == "p" and lvl == 1]
    assert h2 == [
        "（一）主动公开",
        "（二）依申请公开",
        "（三）政府信息管理",
        "（四）政府信息公开平台建设",
        "（五）监督保障",
    ]
    # each table directly follows its section heading
    outline = ["TABLE" if kind == "tbl" else text for kind, text, lvl in items if kind == "tbl" or lvl == 0]
    assert outline == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "TABLE",
        "三、收到和处理政府信息公开申请情况",
        "TABLE",
        "四、政府信息公开行政复议、行政诉讼情况",
        "TABLE",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert [t for kind, t, _ in items if kind == "p" and t][0] == "测试县2023年政府信息公开工作年度报告"


def test_opening_and_closing(spec, full):
    _, _, document = full
    texts = paragraphs(document)
    assert texts[0] == "测试县2023年政府信息公开工作年度报告"
    opening = texts[1]
    for part in (
        spec.law,
        spec.notice_title,
        "国办公开办函〔2021〕30号",
        "2023年1月1日至12月31日",
        "测试县人民政府网站",
        "http://www.example.gov.cn",
    ):
        assert part in opening
    assert texts[-1] == (
        "如对本报告有疑问，请与测试县人民政府办公室联系（地址：人民路1号；邮编：100000；"
        "电话：010-12345678；邮箱：gk@example.gov.cn）。"
    )


def test_closing_skips_empty_parts(spec, empty):
    _, _, document = empty
    closing = paragraphs(document)[-1]
    assert closing.startswith("如对本报告有疑问，请与测试县人民政府办公室联系（地址：人民路1号")
    assert "邮箱" not in closing and "；）" not in closing


def test_narrative_cells_become_paragraphs(full):
    _, _, document = full
    texts = paragraphs(document)
    i = texts.index("一、总体情况")
    assert texts[i + 1 : i + 6] == [
        "第一段概述。",
        "第二段概述。",
        "（一）主动公开",
        "主动公开第一段。",
        "主动公开第二段。",
    ]
    assert texts[texts.index("（二）依申请公开") + 1] == "依申请公开情况的说明。"
    j = texts.index("五、存在的主要问题及改进情况")
    assert texts[j + 1 : j + 4] == ["一是问题甲；二是问题乙。", "改进一。", "改进二。"]
    k = texts.index("六、其他需要报告的事项")
    assert "信息处理费" in texts[k + 1] and texts[k + 2] == "其他事项说明。"
    assert narrative_paragraphs("甲\r\n\r\n　乙\x0b\n") == ["甲", "乙"]
    assert narrative_paragraphs("甲\x0b乙\x01丙\r丁") == ["甲", "乙丙", "丁"]  # XML-unsafe characters dropped


def test_empty_narrative_is_generated_from_the_tables(spec, empty):
    analysis, _, document = empty
    texts = paragraphs(document)

    def n(sheet, *cells):
        return str(int(sum(analysis.number(sheet, c) for c in cells)))

    request = texts[texts.index("（二）依申请公开") + 1]
    assert f"新收政府信息公开申请{n(B, 'J4')}件" in request  # 35
    assert f"上年结转{n(B, 'J5')}件" in request  # 3
    assert f"办结{n(B, 'J27')}件" in request  # 32
    assert f"予以公开{n(B, 'J6')}件" in request
    assert f"部分公开{n(B, 'J7')}件" in request
    assert f"不予公开{n(B, *[f'J{r}' for r in range(8, 16)])}件" in request
    assert f"无法提供{n(B, 'J16', 'J17', 'J18')}件" in request
    assert f"不予处理{n(B, *[f'J{r}' for r in range(19, 24)])}件" in request
    assert f"其他处理{n(B, 'J24', 'J25', 'J26')}件" in request
    assert f"结转下年度继续办理{n(B, 'J28')}件" in request
    assert f"行政复议{n(C, 'E4')}件" in request
    assert f"行政诉讼{n(C, 'J4', 'O4')}件" in request
    # the generated text passes the validator's own figure checks (R9 patterns)
    for nc in spec.narrative_checks:
        for m in re.finditer(nc.pattern, request):
            assert float(m.group(1)) == analysis.report.evaluator.sum(nc.cells), nc.what
    active = texts[texts.index("（一）主动公开") + 1]
    assert "行政规范性文件本年制发3件、本年废止10件、现行有效28件" in active
    assert "行政许可本年处理决定153644件" in active and "2157.70万元" in active
    for heading in ("（三）政府信息管理", "（四）政府信息公开平台建设", "（五）监督保障"):
        assert texts[texts.index(heading) + 1]  # a short neutral sentence
    j = texts.index("五、存在的主要问题及改进情况")
    assert texts[j + 2] == "六、其他需要报告的事项"  # one neutral sentence for 五
    k = texts.index("六、其他需要报告的事项")
    assert texts[k + 1] == f"按照{spec.fee_notice}的规定，本年度没有收取信息处理费。"
    assert texts[k + 2] == "无其他需要报告的事项。"


def test_zero_only_outcomes_are_not_mentioned(spec, tmp_path):
    values = {k: v for k, v in base_values(spec).items() if k[0] != B and k[0] != C}
    values.update({(B, "D4"): 5, (B, "D6"): 4, (B, "D28"): 1})
    path = tmp_path / "z.xlsx"
    new_workbook(spec, path, values=values)
    blocks = report_blocks(check_file(path, strict=True))
    request = blocks[[b.text for b in blocks].index("（二）依申请公开") + 1].text
    assert "其中予以公开4件；" in request and "不予公开" not in request
    assert "没有上年结转" in request
    assert "没有因政府信息公开引起的行政复议和行政诉讼" in request


def test_fee_sentence(spec, full):
    _, _, document = full
    texts = paragraphs(document)
    fee = texts[texts.index("六、其他需要报告的事项") + 1]
    assert spec.fee_notice in fee
    assert "对2件政府信息公开申请收取了信息处理费" in fee and "150.50元" in fee


# ----------------------------------------------------------------- typesetting
def test_fonts_are_set_on_every_run_and_the_normal_style(full):
    _, path, document = full
    runs = list(document.element.body.iter(qn("w:r")))
    runs += list(document.sections[0].footer._element.iter(qn("w:r")))
    assert runs
    for r in runs:
        fonts = r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None and fonts.get(qn("w:eastAsia")), r.xml[:200]
    normal = document.styles["Normal"].element
    fonts = normal.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.find(f"{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:eastAsia")) == "zh-CN"
    import zipfile

    with zipfile.ZipFile(path) as z:
        for part in ("word/styles.xml", "word/document.xml"):
            xml = z.read(part).decode()
            assert not re.search(r"w:(ascii|hAnsi|eastAsia|cs)theme=", xml, re.I), part

    def east(p):
        return p.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")), p.runs[0].font.size.pt

    ps = {p.text: p for p in document.paragraphs if p.text}
    assert east(ps["测试县2023年政府信息公开工作年度报告"]) == ("方正小标宋简体", 22)
    assert ps["测试县2023年政府信息公开工作年度报告"].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east(ps["一、总体情况"]) == ("黑体", 16)
    assert east(ps["（一）主动公开"]) == ("楷体_GB2312", 16)
    assert east(ps["第一段概述。"]) == ("仿宋_GB2312", 16)
    cell = document.tables[1].cell(3, 3).paragraphs[0]
    assert east(cell) == ("宋体", 10.5)
    assert cell.paragraph_format.line_spacing_rule == WD_LINE_SPACING.SINGLE


def test_page_indent_and_line_spacing(full):
    _, _, document = full
    s = document.sections[0]

    def mm(x):
        return round(x / 36000)

    assert (mm(s.page_width), mm(s.page_height)) == (210, 297)
    assert (mm(s.top_margin), mm(s.bottom_margin), mm(s.left_margin), mm(s.right_margin)) == (37, 35, 28, 26)
    normal = document.styles["Normal"]
    pf = normal.paragraph_format
    assert pf.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert pf.line_spacing.pt == pytest.approx(28.95, abs=0.05)
    ind = normal.element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200" and ind.get(qn("w:firstLine")) == "640"
    title = document.paragraphs[0]._p.pPr.find(qn("w:ind"))
    assert title.get(qn("w:firstLineChars")) == "0"
    footer = s.footer._element.xml
    assert "PAGE" in footer and "— " in footer and " —" in footer and 'fldCharType="begin"' in footer


# ----------------------------------------------------------------- another spec, its own tables
TOY_SPEC = """
id = "toy"
version = "1"
title = "测试格式"
notice = "测试〔2024〕1号"
law = "《测试条例》"
notice_title = "《关于测试格式的通知》"
fee_notice = "《测试收费办法》"
report_title = "{unit}{year}年测试报告"

[[sheets]]
key = "cover"
name = "封面"
kind = "form"
fields = [
  { key = "unit", label = "单位名称", type = "text", required = true },
  { key = "year", label = "报告年度", type = "year", required = true },
]

[[sheets]]
key = "s1"
name = "一、概况"
kind = "form"
section = "一"
heading = "概况"
fields = [ { key = "overview", label = "概述", type = "narrative" } ]

[[sheets]]
key = "T"
name = "二、数据"
kind = "table"
section = "二"
heading = "数据情况"
short = "表二"
header_rows = 2
labels = [
  { cell = "A1:A2", text = "项目", header = true },
  { cell = "B1:C1", text = "数量", header = true },
  { cell = "D1:D2", text = "合计", header = true },
  { cell = "B2", text = "甲类", header = true },
  { cell = "C2", text = "乙类", header = true },
  { cell = "A3", text = "第一项" },
  { cell = "A4", text = "第二项" },
  { cell = "A5", text = "金额" },
]
inputs = [ { cells = "B3:C4", type = "count" }, { cells = "B5:D5", type = "amount", merged = true } ]
computed = [ { cells = "D3:D4", formula = "SUM(B{row}:C{row})" } ]

[[rules]]
id = "R1"
severity = "error"
sheet = "二、数据"
title = "合计等于各类之和"
for_each = { row = "3:4" }
left = ["D{row}"]
op = "=="
right = ["B{row}:C{row}"]

[types.count]
description = "整数"
integer = true
min = 0
[types.amount]
description = "金额"
min = 0
decimals = 2
[types.year]
description = "年份"
integer = true
min = 2000
max = 2100
"""


def test_a_different_spec_produces_its_own_tables(tmp_path):
    toy = load_spec_text(TOY_SPEC, "toy")
    unit, year = toy.field_cells["unit"], toy.field_cells["year"]
    values = {
        (unit.sheet, unit.cell): "样例市",
        (year.sheet, year.cell): 2024,
        ("二、数据", "B3"): 1,
        ("二、数据", "C3"): 2,
        ("二、数据", "B4"): 0,
        ("二、数据", "C4"): 5,
        ("二、数据", "B5"): 7.5,
    }
    analysis = Analysis(FilledReport.from_values(toy, values, "toy.xlsx"), Result("toy.xlsx"))
    document = build_document(analysis)
    assert len(document.tables) == 1
    t = document.tables[0]
    assert (len(t.rows), len(t.columns)) == (5, 4)
    assert [t.cell(r, c).text for r in range(2, 5) for c in range(4)] == [
        "第一项",
        "1",
        "2",
        "3",
        "第二项",
        "0",
        "5",
        "5",
        "金额",
        "7.50",
        "7.50",
        "7.50",
    ]
    assert t.cell(0, 1)._tc.grid_span == 2 and t.cell(0, 0)._tc.vMerge == "restart"
    texts = paragraphs(document)
    assert texts[0] == "样例市2024年测试报告"
    assert [x for x in texts if x.endswith(("概况", "数据情况"))] == ["一、概况", "二、数据情况"]
    assert "《测试条例》" in texts[1]
    path = default_report_path(analysis, tmp_path / "x.xlsx")
    assert path == tmp_path / "样例市2024年测试报告.docx"


# ----------------------------------------------------------------- writing and the CLI
def test_default_path_is_beside_the_workbook(spec, empty, tmp_path):
    analysis, _, _ = empty
    assert (
        default_report_path(analysis, tmp_path / "sub" / "any.xlsx")
        == tmp_path / "sub" / "测试县2023年政府信息公开工作年度报告.docx"
    )


def test_write_report_never_overwrites_without_force(empty, tmp_path):
    analysis, _, _ = empty
    target = tmp_path / "r.docx"
    target.write_bytes(b"keep")
    with pytest.raises(GkError):
        write_report(analysis, target)
    assert target.read_bytes() == b"keep"
    write_report(analysis, target, force=True)
    assert docx.Document(str(target)).paragraphs[0].text == "测试县2023年政府信息公开工作年度报告"
    assert [p.name for p in tmp_path.iterdir()] == ["r.docx"]  # no temporary files left


def test_cli_report_writes_beside_the_workbook(spec, tmp_path):
    _, path = make_analysis(spec, tmp_path, "in.xlsx")
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "测试县2023年政府信息公开工作年度报告.docx"
    assert out.is_file() and "已生成" in result.output
    again = CliRunner().invoke(main, ["report", str(path)])
    assert again.exit_code == 2 and "已存在" in again.output
    custom = tmp_path / "custom.docx"
    assert CliRunner().invoke(main, ["report", str(path), "-o", str(custom)]).exit_code == 0
    assert custom.is_file()


def bad_workbook(spec, tmp_path) -> Path:
    values = base_values(spec)
    values[(B, "D4")] = 40  # breaks R1: new + carried ≠ resolved + carried out
    path = tmp_path / "bad.xlsx"
    new_workbook(spec, path, values=values)
    return path


def header_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(
            "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", z.read(n).decode()))
            for n in z.namelist()
            if re.fullmatch(r"word/header\d*\.xml", n)
        )


def test_cli_refuses_a_workbook_with_errors_unless_draft(spec, tmp_path):
    path = bad_workbook(spec, tmp_path)
    out = tmp_path / "测试县2023年政府信息公开工作年度报告.docx"
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 1
    assert "R1" in result.output and "未生成报告" in result.output and "--draft" in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]
    # --force only overwrites: it does not let errors through
    forced = CliRunner().invoke(main, ["report", str(path), "--force"])
    assert forced.exit_code == 1 and not out.exists()
    draft = CliRunner().invoke(main, ["report", str(path), "--draft"])
    assert draft.exit_code == 0 and out.is_file()
    assert "草稿" in draft.output
    assert DRAFT_MARK in header_text(out)  # in the page header: on every page
    assert "草稿" in docx.Document(str(out)).core_properties.title
    # a draft is not overwritten without --force either
    again = CliRunner().invoke(main, ["report", str(path), "--draft"])
    assert again.exit_code == 2 and "已存在" in again.output


def test_a_clean_workbook_gives_no_draft_mark(spec, tmp_path):
    _, path = make_analysis(spec, tmp_path, "in.xlsx")
    result = CliRunner().invoke(main, ["report", str(path), "--draft", "-o", str(tmp_path / "r.docx")])
    assert result.exit_code == 0
    assert header_text(tmp_path / "r.docx") == "" and "草稿" not in result.output


@pytest.mark.parametrize("name", ["out.doc", "out", "out.DOCX.txt", "out.htm"])
def test_cli_refuses_an_output_that_is_not_docx(spec, tmp_path, name):  # .html and .pdf: test_publish.py
    _, path = make_analysis(spec, tmp_path, "in.xlsx")
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / name)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and ".docx" in lines[0] and re.search(r"[\u4e00-\u9fff]", lines[0]), result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]
    upper = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "OUT.DOCX")])
    assert upper.exit_code == 0


def test_cli_existing_report_is_not_overwritten(spec, tmp_path):
    _, path = make_analysis(spec, tmp_path, "in.xlsx")
    out = tmp_path / "测试县2023年政府信息公开工作年度报告.docx"
    out.write_bytes(b"old")
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 2 and out.read_bytes() == b"old"
    assert CliRunner().invoke(main, ["report", str(path), "--force"]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_shipped_example_is_clean_and_its_report_agrees(spec):
    analysis = check_file(EXAMPLE_XLSX, strict=True)
    assert analysis.result.findings == []
    document = docx.Document(str(default_report_path(analysis, EXAMPLE_XLSX)))
    for sheet, table in zip([s for s in spec.sheets if s.kind == "table"], document.tables, strict=False):
        for c in sheet.cells:
            r, col = parse_cell(c.cell)
            assert float(table.cell(r - 1, col - 1).text) == pytest.approx(analysis.number(sheet.name, c.cell))
    assert paragraphs(document)[0] == "中宁县2023年政府信息公开工作年度报告"


# ----------------------------------------------------------------- a clerk's sub-headings
def styled(document):
    """(text, style name, outline level, eastAsia font of the first run) for each non-empty paragraph."""
    out = []
    for p in document.paragraphs:
        if not p.text:
            continue
        lvl = p._p.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        font = p.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia"))
        out.append((p.text, p.style.name, None if lvl is None else int(lvl.get(qn("w:val"))), font))
    return out


def test_clerk_sub_headings_in_five_and_six_are_level_two(spec, tmp_path):
    analysis, _ = make_analysis(
        spec,
        tmp_path,
        problems="（一）存在的主要问题\n一是问题甲。\n二是问题乙。",
        improvements="（二）改进措施\n下一步将加强培训。",
        other="（一）人大代表建议和政协提案办理情况\n办理建议5件。\n（二）政务公开工作要点落实情况\n全部落实。",
        fee_count=2,
        fee_amount=150.5,
    )
    document = build_document(analysis)
    rows = styled(document)
    texts = [r[0] for r in rows]
    by_text = {r[0]: r for r in rows}
    for heading in (
        "（一）存在的主要问题",
        "（二）改进措施",
        "（一）人大代表建议和政协提案办理情况",
        "（二）政务公开工作要点落实情况",
    ):
        assert by_text[heading][1:] == ("Heading 2", 1, "楷体_GB2312"), by_text[heading]
    assert by_text["（一）主动公开"][1:] == ("Heading 2", 1, "楷体_GB2312")  # the spec's own, same style
    assert by_text["一、总体情况"][1:] == ("Heading 1", 0, "黑体")
    assert by_text["一是问题甲。"][1:3] == ("Normal", None)
    # the fee sentence continues the clerk's numbering instead of standing in front of （一）
    k = texts.index("六、其他需要报告的事项")
    assert texts[k + 1] == "（一）人大代表建议和政协提案办理情况"
    assert texts[k + 5 : k + 7] == ["（三）收取信息处理费情况", texts[k + 6]]
    assert "对2件政府信息公开申请收取了信息处理费" in texts[k + 6] and "150.50元" in texts[k + 6]
    assert by_text["（三）收取信息处理费情况"][1] == "Heading 2"


def test_run_in_sub_headings_and_unnumbered_text(spec, tmp_path):
    analysis, _ = make_analysis(
        spec,
        tmp_path,
        other="（一）建议提案办理。本年度办理建议5件，全部按期办结。\n（二）要点落实。全部落实。",
        problems="问题在于培训不足。",
        improvements="（这是括号里的说明，不是小标题，因为它很长很长很长很长很长很长很长很长很长。）",
    )
    document = build_document(analysis)
    ps = [p for p in document.paragraphs if p.text]
    first = next(p for p in ps if p.text.startswith("（一）建议提案办理。"))
    assert first.style.name == "Normal"
    assert [r.text for r in first.runs] == ["（一）建议提案办理。", "本年度办理建议5件，全部按期办结。"]
    assert [r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in first.runs] == ["楷体_GB2312", "仿宋_GB2312"]
    texts = [p.text for p in ps]
    k = texts.index("六、其他需要报告的事项")
    assert texts[k + 1].startswith("（一）建议提案办理。") and texts[k + 2].startswith("（二）要点落实。")
    assert texts[k + 3].startswith("（三）收取信息处理费情况。按照")  # run-in, like the clerk's
    assert all(p.style.name == "Normal" for p in ps if p.text.startswith("（这是"))
    assert "问题在于培训不足。" in texts


def test_without_clerk_numbering_the_fee_sentence_opens_section_six(empty, spec):
    _, _, document = empty
    texts = paragraphs(document)
    k = texts.index("六、其他需要报告的事项")
    assert texts[k + 1].startswith("按照") and "信息处理费" in texts[k + 1]


def test_opening_and_closing_are_justified_like_the_body(full):
    _, _, document = full
    ps = [p for p in document.paragraphs if p.text]
    opening, closing = ps[1], ps[-1]
    assert "http://www.example.gov.cn" in opening.text and "gk@example.gov.cn" in closing.text
    for p in (opening, closing, ps[3]):
        assert p.alignment in (None, WD_ALIGN_PARAGRAPH.JUSTIFY), p.text
        assert p.paragraph_format.first_line_indent is None or p.paragraph_format.first_line_indent.pt == 32
    assert document.styles["Normal"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY


# ----------------------------------------------------------------- fonts declared for substitution
def test_official_fonts_are_declared_with_substitutes(full):
    _, path, _ = full
    with zipfile.ZipFile(path) as z:
        table = z.read("word/fontTable.xml").decode()
        settings = z.read("word/settings.xml").decode()
    fonts = dict(re.findall(r'<w:font w:name="([^"]+)">(.*?)</w:font>', table))
    want = {
        "方正小标宋简体": "roman",
        "仿宋_GB2312": "roman",
        "黑体": "swiss",
        "楷体_GB2312": "script",
        "宋体": "roman",
    }
    for name, family in want.items():
        decl = fonts[name]
        assert f'<w:family w:val="{family}"/>' in decl and '<w:charset w:val="86"/>' in decl, name
        assert re.search(r'<w:altName w:val="[^"]+"/>', decl) and re.search(r'<w:panose1 w:val="[0-9A-F]{20}"/>', decl)
    assert "ＭＳ" not in table  # no Japanese fonts from the template
    assert 'w:eastAsia="zh-CN"' in settings and "ja-JP" not in settings
    conf = fontconfig_xml()
    for name in want:
        assert f"<string>{name}</string>" in conf
    assert "Noto Serif CJK SC" in conf and "Noto Sans CJK SC" in conf


# ----------------------------------------------------------------- properties, bytes, long names
def test_document_properties_are_honest(full):
    _, path, document = full
    props = document.core_properties
    assert props.title == "测试县2023年政府信息公开工作年度报告"
    assert props.author == "测试县"
    assert (props.created.year, props.created.month, props.created.day) == (2024, 1, 1)  # from the data
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        app = z.read("docProps/app.xml").decode()
        rels = z.read("_rels/.rels").decode()
    assert re.search(r"<Application>gktool[^<]*</Application>", app) and "Microsoft" not in app
    assert not any("thumbnail" in n for n in names) and "thumbnail" not in rels
    assert not any(n.startswith("customXml") for n in names)
    assert {i.date_time for i in zipfile.ZipFile(path).infolist()} == {(2024, 1, 1, 0, 0, 0)}


README = Path(__file__).parent.parent / "README.md"


def test_readme_regeneration_is_byte_identical(tmp_path):
    """The README's regeneration command, run twice (seconds apart), gives the identical .docx; and the
    shipped example is what it gives."""
    command = re.search(
        r"```sh\n(gktool new --fill examples/zhongning-2023\.json[^\n]*)\n```", README.read_text()
    ).group(1)
    shutil.copytree(EXAMPLE_XLSX.parent, tmp_path / "examples")
    steps = [step.split() for step in command.split(" && ")]
    docx_name = EXAMPLE_XLSX.with_suffix(".docx").name
    outputs = []
    for attempt in range(2):
        if attempt:
            time.sleep(2.1)  # zip times have a 2-second resolution
        for args in steps:
            assert args[0] == "gktool"
            result = _run_in(tmp_path, args[1:])
            assert result.exit_code == 0, result.output
        outputs.append((tmp_path / "examples" / docx_name).read_bytes())
    assert outputs[0] == outputs[1]
    with (
        zipfile.ZipFile(EXAMPLE_XLSX.with_suffix(".docx")) as shipped,
        zipfile.ZipFile(tmp_path / "examples" / docx_name) as fresh,
    ):
        assert [(i.filename, i.date_time) for i in shipped.infolist()] == [
            (i.filename, i.date_time) for i in fresh.infolist()
        ]
        for name in shipped.namelist():
            assert shipped.read(name) == fresh.read(name), f"examples/{docx_name}: {name} is out of date"


def _run_in(folder: Path, args: list[str]):
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


def test_long_unit_names(spec, tmp_path):
    """A unit name beyond Word's 255-character property limit, and one of ~100 characters, which made a
    file name longer than 255 bytes: neither crashes; the file name is shortened and keeps the year."""
    huge = "宁夏回族自治区中卫市中宁县人民政府办公室" * 15  # 300 characters
    analysis, _ = make_analysis(spec, tmp_path, "huge.xlsx", unit=huge)
    data = document_bytes(analysis)
    document = docx.Document(__import__("io").BytesIO(data))
    props = document.core_properties
    assert len(props.title) <= 255 and len(props.author) <= 255 and props.title.startswith(huge[:100])
    assert paragraphs(document)[0].startswith(huge)  # the text itself is not cut
    long = "宁夏回族自治区中卫市中宁县" + "某某某乡镇人民政府" * 10  # 103 characters
    analysis, path = make_analysis(spec, tmp_path, "long.xlsx", unit=long)
    target = default_report_path(analysis, path)
    assert len(target.name.encode()) <= 255 and target.name.endswith("2023年政府信息公开工作年度报告.docx")
    assert target.name.startswith("宁夏回族自治区中卫市中宁县") and "…" in target.name
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 0, result.output
    assert target.is_file()
    for unit in (huge, long):
        _, p = make_analysis(spec, tmp_path, "x.xlsx", unit=unit)
        assert CliRunner().invoke(main, ["report", str(p), "--force"]).exit_code == 0
        p.unlink()


# ----------------------------------------------------------------- LibreOffice rendering
def convert_with_substitutes(files, outdir) -> list[Path]:
    """LibreOffice → PDF with gktool's fontconfig substitutes (LibreOffice ignores the fontTable's)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        conf = Path(work) / "gktool.conf"
        conf.write_text(fontconfig_xml(), encoding="utf-8")
        main_conf = Path(work) / "fonts.conf"
        main_conf.write_text(
            '<?xml version="1.0"?><fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf'
            f"</include><include>{conf}</include></fontconfig>",
            encoding="utf-8",
        )
        soffice_convert(files, outdir, to="pdf", env={"FONTCONFIG_FILE": str(main_conf)})
    return [outdir / (Path(f).stem + ".pdf") for f in files]


@pytest.fixture(scope="module")
def pdfs(spec, full, empty, tmp_path_factory):
    """PDFs of: the full report, the empty one, the shipped example (regenerated) and a draft."""
    if not soffice_available() or not shutil.which("pdftotext") or not shutil.which("pdffonts"):
        pytest.skip("LibreOffice or poppler-utils not installed")
    out = tmp_path_factory.mktemp("pdf")
    example = write_report(check_file(EXAMPLE_XLSX, strict=True), out / "example.docx")
    values = base_values(spec)
    values[(B, "D4")] = 40
    new_workbook(spec, out / "bad.xlsx", values=values)
    draft = write_report(check_file(out / "bad.xlsx", strict=True), out / "draft.docx", draft=True)
    return convert_with_substitutes([full[1], empty[1], example, draft], out / "pdf")


def _run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.mark.libreoffice
def test_pdf_embeds_chinese_fonts(pdfs):
    for pdf in pdfs:
        fonts = _run("pdffonts", str(pdf))
        assert re.search(r"CJK|Song|Hei|Kai|Fang|Ming|Han|WenQuanYi|Fallback", fonts), fonts


@pytest.mark.libreoffice
def test_pdf_text_has_title_headings_and_table_labels(spec, pdfs):
    text = "".join(_run("pdftotext", "-raw", str(pdfs[0]), "-").split())  # -raw: a cell's lines stay together
    must = ["测试县2023年政府信息公开工作年度报告", "一、总体情况", "六、其他需要报告的事项"]
    must += [lab.text for s in spec.sheets if s.kind == "table" for lab in s.labels]
    for label in must:
        assert "".join(label.split()) in text, label
    assert "—1—" in text and "—2—" in text


@pytest.mark.libreoffice
def test_pdf_text_stays_inside_the_margins(pdfs):
    """Every word (table 三 included) lies within the A4 text block: 28 mm left, 26 mm right."""
    mm = 72 / 25.4
    for pdf in pdfs:
        html = _run("pdftotext", "-bbox", str(pdf), "-")
        pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">', html)
        assert pages and all(abs(float(w) - 210 * mm) < 2 and abs(float(h) - 297 * mm) < 2 for w, h in pages)
        words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)
        assert words
        for x1, x2 in words:  # a full-width comma or full stop (16 pt) may hang past the margin
            assert float(x1) >= 28 * mm - 2 and float(x2) <= (210 - 26) * mm + 18, (x1, x2)


def pdf_texts(pdf) -> list[tuple[int, str, str]]:
    """(page, text, font of its first piece) for each run of text on a line, from pdftohtml -xml.

    LibreOffice splits one font into several subsets, so a line comes in pieces: pieces that touch
    on the same line are joined (table cells, separated by padding and borders, are not)."""
    names = {}
    for line in _run("pdffonts", str(pdf)).splitlines()[2:]:
        full_name = line.split()[0]
        names[full_name.split("+")[0]] = full_name
    xml = _run("pdftohtml", "-xml", "-i", "-stdout", str(pdf))
    families = dict(re.findall(r'<fontspec id="(\d+)" size="[\d.]+" family="([^"]+)"', xml))  # ids span pages
    out = []
    for number, body in re.findall(r'<page number="(\d+)"(.*?)</page>', xml, re.S):
        pieces = []
        for top, left, width, font, text in re.findall(
            r'<text top="(\d+)" left="(\d+)" width="(\d+)" height="\d+" font="(\d+)">(.*?)</text>', body
        ):
            family = families[font]
            pieces.append(
                [
                    int(top),
                    int(left),
                    int(left) + int(width),
                    re.sub(r"<[^>]+>", "", text),
                    names.get(family.split("+")[0], family),
                ]
            )
        pieces.sort()
        joined = []
        for piece in pieces:
            last = joined[-1] if joined else None
            if last and last[0] == piece[0] and 0 <= piece[1] - last[2] <= 3:
                last[2], last[3] = piece[2], last[3] + piece[3]
            else:
                joined.append(piece)
        out += [(int(number), text, font) for _, _, _, text, font in joined]
    return out


@pytest.mark.libreoffice
def test_pdf_title_headings_and_body_in_three_typefaces(pdfs):
    """With only Noto CJK installed: title a bold serif, 一、 headings sans, body serif — three fonts."""
    if not shutil.which("pdftohtml"):
        pytest.skip("pdftohtml (poppler-utils) not installed")
    pieces = pdf_texts(pdfs[2])  # the shipped example

    def font_of(start):
        return next(f for _, t, f in pieces if t.startswith(start))

    title, h1 = font_of("中宁县"), font_of("一、总体情况")
    body = font_of("本报告依据")
    assert len({title, h1, body}) == 3, (title, h1, body)
    if "Noto" in body + title + h1:  # fonts-noto-cjk is what CI installs
        assert "NotoSerifCJK" in body and "Bold" not in body, body
        assert "NotoSerifCJK" in title and "Bold" in title, title
        assert "NotoSansCJK" in h1, h1


@pytest.mark.libreoffice
def test_pdf_table_labels_wrap_evenly(pdfs):
    """三、本年度办理结果 wraps in lines of three characters; 商业企业 as 商业/企业."""
    if not shutil.which("pdftohtml"):
        pytest.skip("pdftohtml (poppler-utils) not installed")
    texts = [t.strip() for _, t, _ in pdf_texts(pdfs[2])]
    assert {"三、本", "年度办", "理结果"} <= set(texts), [t for t in texts if t[:1] in "三年理"]
    assert {"商业", "企业", "科研", "机构", "社会公", "益组织"} <= set(texts)


@pytest.mark.libreoffice
def test_pdf_table_two_on_one_page(spec, pdfs):
    """表二's 14 rows on one page (they were split 9 + 5 across pages 3 and 4)."""
    pages = ["".join(page.split()) for page in _run("pdftotext", "-raw", str(pdfs[2]), "-").split("\f")]
    labels = [lab.text for lab in spec.sheet(A).labels]
    first = [page for page in pages if labels[0] in page]  # 第二十条第（一）项: the table's top
    assert len(first) == 1
    assert [lab for lab in labels if lab not in first[0]] == []


@pytest.mark.libreoffice
def test_pdf_draft_is_marked_on_every_page(pdfs):
    draft = pdfs[3]
    pages = _run("pdftotext", "-layout", str(draft), "-").split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for i, page in enumerate(pages, 1):
        assert "草稿——未通过校验" in "".join(page.split()), f"page {i}"
    normal = [p for p in _run("pdftotext", "-layout", str(pdfs[0]), "-").split("\f") if p.strip()]
    assert not any("草稿" in p for p in normal)


@pytest.mark.parametrize("unit, year", [("测试\x01县\x0b", 2023), ("县" * 400, 99999), ("a/b:c*?", -5), ("", None)])
def test_odd_unit_and_year_never_crash(spec, tmp_path, unit, year):
    """Control characters, 400 characters, an impossible year: a report, a safe file name, no traceback."""
    u, y = spec.field_cells["unit"], spec.field_cells["year"]
    values = {(u.sheet, u.cell): unit, (y.sheet, y.cell): year}
    analysis = Analysis(FilledReport.from_values(spec, values, "x.xlsx"), Result("x.xlsx"))
    document = docx.Document(__import__("io").BytesIO(document_bytes(analysis)))
    assert len(document.core_properties.title) <= 255
    name = default_report_path(analysis, tmp_path / "x.xlsx").name
    assert len(name.encode()) <= 255 and name.endswith(".docx") and not re.search(r'[\x00-\x1f/\\:*?"<>|]', name)
    write_report(analysis, tmp_path / name)
