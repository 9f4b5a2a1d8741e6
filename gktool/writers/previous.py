"""Last year's report inside a new workbook (`gktool new --previous`): the hidden 上年数据 sheet and the 校验
rows that compare this year's entries with it (Y1 per column, Y2 per row), each with its verdict worked out now."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..checks.catalogue import CROSS_YEAR
from ..compute import Evaluator, holds, tidy
from ..contract import PREVIOUS_FIRST_ROW, PREVIOUS_SHEET, previous_cells, previous_ref
from ..fsutil import shown_path
from ..livechecks import CheckRow, sum_formula
from ..model import FilledReport
from ..refs import Ref
from ..spec import Check, Spec


@dataclass(frozen=True)
class LiveRow(CheckRow):
    """A 校验 row against last year's figures; its verdict is worked out when the workbook is written."""

    verdict: tuple | None = None


def live_rows(spec: Spec, values: dict, last: FilledReport | None) -> list[LiveRow]:
    """校验 rows comparing with last year's (Y1 per column, Y2 per row), each with its verdict now."""
    if last is None:
        return []
    ev = Evaluator(spec, values)
    info = {r.id: r for r in CROSS_YEAR}
    rows = []
    for tk, lk in spec.cross_year.carry:
        sheet = spec.sheet(tk[0])
        left, right = (Ref(*tk),), (previous_ref(spec, lk),)
        a, b = ev.value(*tk), last.number(*lk) if last.usable(lk) else 0.0
        check = Check(
            "Y1", "error", tk[0], info["Y1"].title, "", f"{sheet.short}“{sheet.col_label(tk[1])}”列", left, "==", right
        )
        rows.append(
            LiveRow(
                "Y1",
                "error",
                f"{sheet.row_label(tk[1])}等于上年报告的{spec.sheet(lk[0]).row_label(lk[1])}",
                check.where,
                sum_formula(left),
                "==",
                sum_formula(right),
                "请按上年报告填写上年结转（“上年数据”表中是上年报告的数字）",
                check=check,
                verdict=(a, b, holds(a, "==", b)),
            )
        )
    for s in spec.cross_year.stock:
        sheet = spec.sheet(s.this.sheet)
        first = s.this.cells()[0]
        # this + removals = last + additions: the same equation, written with sums only
        left = (s.this, *s.minus)
        right = tuple(previous_ref(spec, (s.last.sheet, x)) for x in s.last.cells()) + s.plus
        a = ev.sum(left)
        b = sum(last.number(s.last.sheet, x) for x in s.last.cells() if last.usable((s.last.sheet, x))) + ev.sum(s.plus)
        title = (
            f"本年{sheet.col_label(first)}加{'、'.join(sheet.col_label(r.cells()[0]) for r in s.minus)}"
            f"等于上年{sheet.col_label(first)}加{'、'.join(sheet.col_label(r.cells()[0]) for r in s.plus)}"
        )
        check = Check(
            "Y2", "warning", s.this.sheet, title, "", f"{sheet.short}“{sheet.row_label(first)}”行", left, "==", right
        )
        rows.append(
            LiveRow(
                "Y2",
                "warning",
                title,
                check.where,
                sum_formula(left),
                "==",
                sum_formula(right),
                "文件因有效期届满等原因失效时可能不相等，请核实",
                check=check,
                verdict=(a, b, holds(a, "==", b)),
            )
        )
    return rows


def write_previous_sheet(wb, spec: Spec, last: FilledReport, password: str, formats: dict) -> None:
    """The hidden, locked sheet holding last year's figures (xlsxwriter workbook `wb`)."""
    ws = wb.add_worksheet(PREVIOUS_SHEET)
    ws.set_column("A:A", 8)
    ws.set_column("B:B", 40)
    ws.set_column("C:C", 24)
    ws.set_column("D:D", 12)
    ws.write("A1", "上年报告的数字（gktool new --previous 写入，供“校验”表比较；请勿修改）", formats["title"])
    ws.write(
        "A2", f"来源：{Path(shown_path(last.source)).name}（{last.unit or ''}{last.year or ''}年度）", formats["note"]
    )
    for col, text in enumerate(["表格", "行", "列", "上年数字"]):
        ws.write(2, col, text, formats["header"])
    for i, (sheet_name, cell) in enumerate(previous_cells(spec)):
        sheet = spec.sheet(sheet_name)
        r = PREVIOUS_FIRST_ROW + i
        ws.write(f"A{r}", sheet.short, formats["label"])
        ws.write(f"B{r}", sheet.row_label(cell), formats["label"])
        ws.write(f"C{r}", sheet.col_label(cell), formats["label"])
        key = (sheet_name, cell)
        if last.usable(key):
            ws.write_number(f"D{r}", tidy(last.number(*key)), formats["value"])
        else:
            ws.write_blank(f"D{r}", None, formats["value"])
    ws.hide()
    ws.protect(password)
