"""Hand-made workbooks holding the official tables, the way offices and provincial templates make them.

`write_foreign` lays the three tables of the spec out anywhere: one sheet or several,
title and note rows above, stacked or side by side, with the label variants real
templates show. Values are given by spec key; totals are written as numbers (stated).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

import openpyxl

from gktool.cells import parse_cell, parse_range
from gktool.spec import Spec

HALF = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "“": '"', "”": '"'})


@dataclass
class Layout:
    one_sheet: bool = False
    side_by_side: bool = False
    title_rows: int = 1
    gap: int = 2
    merge: bool = True
    half_width: bool = False
    spaces: bool = False
    breaks: bool = False
    comma_numbers: bool = False  # "1、" for "1."
    short_names: bool = False  # "规范性文件" for "行政规范性文件"
    blanks_for_zero: bool = False
    slash_for_zero: bool = False
    sheet_names: tuple[str, str, str] = ("表二", "表三", "表四")
    order: tuple[int, int, int] = (0, 1, 2)
    extra: dict = field(default_factory=dict)


def random_layout(rng: random.Random) -> Layout:
    """A layout with every option drawn at random."""
    return Layout(
        one_sheet=rng.random() < 0.5,
        side_by_side=rng.random() < 0.3,
        title_rows=rng.randint(0, 3),
        gap=rng.randint(1, 4),
        merge=rng.random() < 0.5,
        half_width=rng.random() < 0.5,
        spaces=rng.random() < 0.3,
        breaks=rng.random() < 0.3,
        comma_numbers=rng.random() < 0.5,
        short_names=rng.random() < 0.3,
        blanks_for_zero=rng.random() < 0.3,
        slash_for_zero=rng.random() < 0.2,
        sheet_names=rng.choice(
            [("表二", "表三", "表四"), ("Sheet1", "Sheet2", "Sheet3"), ("主动", "依申请", "复议诉讼")]
        ),
        order=tuple(rng.sample([0, 1, 2], 3)),
    )


def variant(text: str, layout: Layout, header: bool) -> str:
    """A label as a template might print it."""
    if layout.short_names and text == "行政规范性文件":
        text = "规范性文件"
    if layout.comma_numbers and len(text) > 2 and text[0].isdigit() and text[1] == ".":
        text = text[0] + "、" + text[2:]
    if layout.half_width:
        text = text.translate(HALF)
    if layout.spaces and len(text) > 3:
        text = text[:2] + " " + text[2:]
    if layout.breaks and len(text) > 5:
        text = text[:4] + "\n" + text[4:]
    return text


FOREIGN_CONTACT = {
    "website": "http://www.example.gov.cn",
    "address": "某县某路1号",
    "phone": "0955-1234567",
    "fee_count": 0,
    "fee_amount": 0,
}


def write_foreign(path, spec: Spec, values: dict, layout: Layout, unit="某县", year=2023, contact=True) -> None:
    """Write the three tables of `spec` with `values` {(sheet, cell): number} as a hand-made workbook.

    `contact`: also a sheet with the contact details and the fee, labelled as on gktool's cover
    (values from `values` where given), as a publishable hand-made report has them."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if contact:
        ws = wb.create_sheet("联系方式")
        for i, (key, default) in enumerate(FOREIGN_CONTACT.items(), start=1):
            c = spec.field_cells[key]
            ws.cell(i, 1, next(f.label for f in spec.sheet(c.sheet).fields if f.key == key))
            ws.cell(i, 2, values.get((c.sheet, c.cell), default))
    tables = [s for s in spec.sheets if s.kind == "table"]
    placed = []
    if layout.one_sheet:
        ws = wb.create_sheet(layout.sheet_names[0])
        ws.cell(1, 1, f"{unit}{year}年政府信息公开工作年度报告")
        row, col = 1 + layout.title_rows + 1, 1
        for i in layout.order:
            t = tables[i]
            rows, cols = t.bounds
            placed.append((ws, t, row, col))
            if layout.side_by_side:
                col += cols + layout.gap
            else:
                row += rows + layout.gap + 1
    else:
        for i in layout.order:
            t = tables[i]
            ws = wb.create_sheet(layout.sheet_names[i])
            for k in range(layout.title_rows):
                ws.cell(1 + k, 1, f"{unit}{year}年政府信息公开工作年度报告" if k == 0 else t.heading)
            placed.append((ws, t, layout.title_rows + 1, 1))
    for ws, t, r0, c0 in placed:
        if layout.one_sheet and not layout.side_by_side:
            ws.cell(r0 - 1, c0, f"{t.section}、{t.heading}")
        for lab in t.labels:
            r1, c1, r2, c2 = parse_range(lab.range)
            ws.cell(r0 + r1 - 1, c0 + c1 - 1, variant(lab.text, layout, lab.header))
            if layout.merge and lab.merged:
                ws.merge_cells(
                    start_row=r0 + r1 - 1, start_column=c0 + c1 - 1, end_row=r0 + r2 - 1, end_column=c0 + c2 - 1
                )
        for c in t.cells:
            r, col = parse_cell(c.cell)
            v = values.get((t.name, c.cell), 0)
            if v == 0 and layout.blanks_for_zero:
                continue
            ws.cell(r0 + r - 1, c0 + col - 1, "/" if v == 0 and layout.slash_for_zero else v)
            if layout.merge and c.merge:
                mr1, mc1, mr2, mc2 = parse_range(c.merge)
                ws.merge_cells(
                    start_row=r0 + mr1 - 1, start_column=c0 + mc1 - 1, end_row=r0 + mr2 - 1, end_column=c0 + mc2 - 1
                )
    wb.save(path)


def consistent_values(spec: Spec, rng: random.Random) -> dict:
    """Random values for the three tables whose totals all add up (R1–R4 hold, R6 holds)."""
    from gktool.compute import Evaluator
    from gktool.refs import parse_sum_formula

    vals = {}
    b, a, c = "三、依申请公开", "二、主动公开", "四、复议诉讼"
    for col in "DEFGHI":
        outcome = {f"{col}{r}": rng.choice([0, 0, 0, 1, 2, 5, 13]) for r in range(6, 27)}
        vals.update({(b, k): v for k, v in outcome.items()})
        done = sum(outcome.values())
        carry_out = rng.choice([0, 0, 1, 3])
        prev = rng.randint(0, min(3, done + carry_out))
        vals[(b, f"{col}28")] = carry_out
        vals[(b, f"{col}5")] = prev
        vals[(b, f"{col}4")] = done + carry_out - prev
    for r in (3, 4):
        made = rng.randint(0, 9)
        vals[(a, f"B{r}")], vals[(a, f"C{r}")], vals[(a, f"D{r}")] = made, rng.randint(0, 5), made + rng.randint(0, 30)
    for cell in ("B7", "B10", "B11"):
        vals[(a, cell)] = rng.randint(0, 5000)
    vals[(a, "B14")] = round(rng.uniform(0, 900), 2)
    for cell in "ABCDFGHIKLMN":
        vals[(c, f"{cell}4")] = rng.choice([0, 0, 1, 2, 7])
    ev = Evaluator(spec, vals)
    for s in spec.sheets:
        for cc in s.computed:
            vals[(s.name, cc.cell)] = ev.sum(parse_sum_formula(cc.formula, s.name))
    return vals


def norm(text) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())
