"""Word reports built with python-docx in the shapes real published reports take, for the PDF reader.

Each fixture is a .docx holding a title, the six sections and the three official tables laid out
from the spec (merged cells as the official format merges them), with narrow label columns so that
labels wrap inside their cells ("（三）不 / 予公开"), the vertical 三、本年度办理结果 label, table 四's
three-level header, and enough narrative for table 三 to break across pages. LibreOffice headless turns
them into PDFs the way Word's "export to PDF" does. `expected_cells` says which text each table cell holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from gktool.cells import parse_cell, parse_range
from gktool.spec import Spec

HEADINGS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]

FILLER = (
    "坚持以人民为中心的发展思想，严格落实《中华人民共和国政府信息公开条例》各项规定，"
    "围绕保障民生、深化改革、优化营商环境等工作主线，持续加大政府信息主动公开力度，"
    "规范依申请公开办理流程，加强政府信息管理和公开平台建设，强化监督保障。"
)


@dataclass
class Shape:
    """How a fixture report is laid out."""

    name: str
    unit: str = "测试县人民政府"
    year: int = 2023
    paragraphs_before: int = 6  # narrative paragraphs in section 一 (pushes the tables down)
    lines_before_table4: int = 0  # short paragraphs after 表三 (to move 表四 about a page break)
    borders: bool = True  # False: tables printed without ruling lines (aligned text only)
    running_header: str = ""  # a line printed at the top of every page
    touching: str = ""  # tables ("C", "BC") whose numbers are pushed together (no cell margins,
    # alternate alignment): printed figures that cannot be told apart
    repeat_header: bool = True  # table 三's header rows repeated on each page
    label_widths_mm: tuple = (14, 12, 30)  # table 三's label columns: narrow, so labels wrap
    half_width_labels: bool = False  # "(三)不予公开", "1、" instead of "1."
    blank_cells: tuple = ()  # (table key, cell) printed empty
    slash_cells: tuple = ()  # (table key, cell) printed "/"
    font_size: float = 9
    seed: int = 1
    values: dict = field(default_factory=dict)


def consistent_values(spec: Spec, seed: int) -> dict[tuple[str, str], float]:
    """Random figures for every value cell of tables 二, 三, 四 that satisfy R1–R4."""
    rnd = random.Random(seed)
    v: dict[tuple[str, str], float] = {}
    for col in "BCD":
        v[("A", f"{col}3")] = rnd.randint(0, 30)
        v[("A", f"{col}4")] = rnd.randint(0, 300)
    v[("A", "D3")] = v[("A", "B3")] + rnd.randint(0, 50)
    v[("A", "D4")] = v[("A", "B4")] + rnd.randint(0, 500)
    for cell in ("B7", "B10", "B11"):
        v[("A", cell)] = rnd.randint(0, 4_000_000)
    v[("A", "B14")] = round(rnd.uniform(0, 99999), 1)
    cols = "DEFGHI"
    for c in cols:
        for r in range(6, 27):
            v[("B", f"{c}{r}")] = rnd.choice([0, 0, 0, rnd.randint(0, 9), rnd.randint(0, 900)])
        v[("B", f"{c}27")] = sum(v[("B", f"{c}{r}")] for r in range(6, 27))
        v[("B", f"{c}28")] = rnd.randint(0, 120)
        v[("B", f"{c}5")] = rnd.randint(0, min(40, v[("B", f"{c}27")] + v[("B", f"{c}28")]))
        v[("B", f"{c}4")] = v[("B", f"{c}27")] + v[("B", f"{c}28")] - v[("B", f"{c}5")]
    for r in range(4, 29):
        v[("B", f"J{r}")] = sum(v[("B", f"{c}{r}")] for c in cols)
    for group in ("ABCDE", "FGHIJ", "KLMNO"):
        for c in group[:4]:
            v[("C", f"{c}4")] = rnd.randint(0, 240)
        v[("C", f"{group[4]}4")] = sum(v[("C", f"{c}4")] for c in group[:4])
    return v


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def table_layout(spec: Spec, key: str, shape: Shape, values: dict) -> tuple[int, int, dict, list]:
    """(rows, cols, {(r, c): text}, merges) of one official table as the fixture prints it."""
    sheet = next(s for s in spec.sheets if s.key == key)
    texts: dict[tuple[int, int], str] = {}
    merges: list[tuple[int, int, int, int]] = []
    rows = cols = 0
    for lab in sheet.labels:
        r1, c1, r2, c2 = parse_range(lab.range)
        text = lab.text
        if shape.half_width_labels:
            text = text.replace("（", "(").replace("）", ")")
            if text[:1].isdigit() and text[1:2] == ".":
                text = text[0] + "、" + text[2:]
        texts[(r1, c1)] = text
        if (r1, c1) != (r2, c2):
            merges.append((r1, c1, r2, c2))
        rows, cols = max(rows, r2), max(cols, c2)
    for c in sheet.cells:
        r, col = parse_cell(c.cell)
        text = number_text(values[(key, c.cell)])
        if (key, c.cell) in shape.blank_cells:
            text = ""
        elif (key, c.cell) in shape.slash_cells:
            text = "/"
        texts[(r, col)] = text
        if c.merge:
            merges.append(parse_range(c.merge))
            r2, c2 = parse_range(c.merge)[2:]
            rows, cols = max(rows, r2), max(cols, c2)
        rows, cols = max(rows, r), max(cols, col)
    return rows, cols, texts, merges


def _font(run, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "宋体")
    fonts.set(qn("w:ascii"), "Times New Roman")
    fonts.set(qn("w:hAnsi"), "Times New Roman")


def _para(doc, text: str, size: float = 14, bold: bool = False, indent: bool = True, center: bool = False):
    p = doc.add_paragraph()
    pf = p.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if indent:
        pf.first_line_indent = Pt(2 * size)
    if center:
        p.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    _font(p.add_run(text), size, bold)
    return p


def _para_in(p, text: str) -> None:
    p.alignment = WD_PARAGRAPH_ALIGNMENT.RIGHT
    _font(p.add_run(text), 10.5)


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    _font(p.add_run("— "), 12)
    run = p.add_run()
    for tag, attr in (("w:fldChar", "begin"), ("w:instrText", None), ("w:fldChar", "separate")):
        el = OxmlElement(tag)
        if attr:
            el.set(qn("w:fldCharType"), attr)
        else:
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        run._element.append(el)
    _font(p.add_run("1"), 12)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    p.add_run()._element.append(end)
    _font(p.add_run(" —"), 12)


def _table(
    doc,
    rows: int,
    cols: int,
    texts: dict,
    merges: list,
    widths_mm: list[float],
    size: float,
    header_rows: int,
    repeat_header: bool,
    borders: bool = True,
    touching: bool = False,
):
    table = doc.add_table(rows=rows, cols=cols)
    if touching:  # no cell margins: neighbouring numbers print with almost no gap
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), "0")
            el.set(qn("w:type"), "dxa")
            margins.append(el)
        table._tbl.tblPr.append(margins)
    if borders:
        table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for r1, c1, r2, c2 in merges:
        table.cell(r1 - 1, c1 - 1).merge(table.cell(r2 - 1, c2 - 1))
    for j, w in enumerate(widths_mm):
        table.columns[j].width = Mm(w)
    for i, row in enumerate(table.rows):
        if repeat_header and i < header_rows:
            trpr = row._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:tblHeader"))
        cells = row.cells  # once per row: each call walks the row
        for j, w in enumerate(widths_mm):
            cells[j].width = Mm(w)
    grid = table._cells  # once, after the merges: table.cell() recomputes the whole grid on every call
    for (r, c), text in texts.items():
        cell = grid[(r - 1) * cols + c - 1]
        p = cell.paragraphs[0]
        p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
        p.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
        if touching and r > header_rows:
            p.alignment = WD_PARAGRAPH_ALIGNMENT.RIGHT if c % 2 else WD_PARAGRAPH_ALIGNMENT.LEFT
        if text:
            _font(p.add_run(text), size)
    return table


def build_docx(spec: Spec, shape: Shape, path: Path) -> Path:
    """Write the fixture report `shape` as a .docx at `path`."""
    values = shape.values or consistent_values(spec, shape.seed)
    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number_footer(section)
    if shape.running_header:
        _para_in(section.header.paragraphs[0], shape.running_header)
    _para(doc, shape.unit, 22, indent=False, center=True)
    _para(doc, f"{shape.year}年政府信息公开工作年度报告", 22, indent=False, center=True)
    _para(
        doc,
        f"本报告由{shape.unit}办公室根据《中华人民共和国政府信息公开条例》编制。报告所列统计期限自"
        f"{shape.year}年1月1日至{shape.year}年12月31日。",
    )
    _para(doc, HEADINGS[0], bold=True)
    for i in range(shape.paragraphs_before):
        _para(doc, f"（{'一二三四五六七八九十'[i % 10]}）工作情况。" + FILLER * 2)
    widths = {
        "A": [45, 35, 35, 35],
        "B": list(shape.label_widths_mm) + [(156 - sum(shape.label_widths_mm)) / 7] * 7,
        "C": [156 / 15] * 15,
    }
    for heading, key in zip(HEADINGS[1:4], "ABC", strict=True):
        if key == "C":
            for i in range(shape.lines_before_table4):
                _para(doc, f"注{i + 1}：以上数据截至{shape.year}年12月31日。")
        _para(doc, heading, bold=True)
        rows, cols, texts, merges = table_layout(spec, key, shape, values)
        _table(
            doc,
            rows,
            cols,
            texts,
            merges,
            widths[key],
            shape.font_size if key != "C" else 9,
            {"A": 0, "B": 3, "C": 3}[key],
            shape.repeat_header,
            shape.borders,
            key in shape.touching,
        )
    _para(doc, HEADINGS[4], bold=True)
    _para(doc, "一是政策解读质量仍需提升；二是队伍建设还需加强。" + FILLER)
    _para(doc, HEADINGS[5], bold=True)
    _para(doc, f"{shape.year}年，本机关未收取政府信息公开信息处理费。")
    # the contact details a publishable report ends with (K1): after the tables, so no page break moves
    _para(
        doc,
        "本报告电子版可在本机关网站（http://www.example.gov.cn）下载。如对本报告有疑问，请与本机关办公室联系"
        "（地址：某县人民路1号；电话：0955-1234567）。",
    )
    doc.save(str(path))
    return path


def expected_cells(spec: Spec, shape: Shape) -> dict[str, tuple[dict, list]]:
    """For each table key: ({(r, c): text}, merges) as printed in the fixture."""
    values = shape.values or consistent_values(spec, shape.seed)
    out = {}
    for key in "ABC":
        _, _, texts, merges = table_layout(spec, key, shape, values)
        out[key] = (texts, merges)
    return out


# each shape puts a page break somewhere else (found by trying: LibreOffice decides where pages end)
SHAPES = [
    Shape("repeat-header", paragraphs_before=0),  # 表三 over a break, header rows repeated
    Shape("no-repeat-halfwidth", paragraphs_before=1, repeat_header=False, half_width_labels=True, seed=2),
    Shape(
        "columns-join",
        paragraphs_before=10,  # 表三's first page lacks the B|C rule
        running_header="测试县人民政府2023年政府信息公开工作年度报告（公开）",
    ),
    Shape(
        "blanks",
        paragraphs_before=3,
        repeat_header=False,
        seed=3,  # 表二 and 表三 split; blanks, "/"
        blank_cells=(("B", "E4"), ("B", "F9"), ("C", "K4")),
        slash_cells=(("B", "G20"), ("A", "C4")),
    ),
    Shape("table4-split", paragraphs_before=2, lines_before_table4=1, repeat_header=False, seed=5),
    Shape("borderless", borders=False, paragraphs_before=1, seed=7),  # no rules: aligned text only
    Shape("borderless-touching", borders=False, touching="C", paragraphs_before=4, seed=8),
    Shape("borderless-touching-3", borders=False, touching="BC", paragraphs_before=4, seed=9),
]


def expected_values(spec: Spec, shape: Shape) -> list[dict]:
    """What `gktool extract` must give for the fixture: every value cell by its official labels."""
    from gktool.extract import official_labels

    values = shape.values or consistent_values(spec, shape.seed)
    names = {s.key: s.name for s in spec.sheets}
    out = []
    for key in "ABC":
        for sheet, cell, table, row, column in official_labels(spec):
            if sheet != names[key]:
                continue
            v = values[(key, cell)]
            if (key, cell) in shape.blank_cells or (key, cell) in shape.slash_cells:
                v = None
            out.append({"table": table, "row": row, "column": column, "value": v})
    return out
