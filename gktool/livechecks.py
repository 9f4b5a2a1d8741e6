"""The Excel side of the rules: the 校验 sheet's rows and the formulas they hold.

The Python side (gktool.rules) evaluates the same `Check` objects; tests
recalculate a filled workbook in LibreOffice and compare the two verdicts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .compute import TOLERANCE
from .spec import Check, Ref, Sheet, Spec, cell_name, parse_cell, quote_sheet

CHECK_SHEET = "校验"
CHECK_FIRST_ROW = 4          # 1-based row of the first check on the 校验 sheet (row 3: headers)
CHECK_COLUMNS = 9            # A:I
OVERALL_CELL = "C1"          # the overall verdict, the first thing on the sheet (merged C1:D1)
OP_TEXT = {"==": "=", ">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class CheckRow:
    """One row of the 校验 sheet: a rule instance, or the R5 type check of one table."""
    rule: str
    severity: str
    title: str
    where: str
    left_formula: str
    op: str
    right_formula: str
    hint: str
    check: Check | None = None
    type_sheet: str | None = None

    def status_formula(self, row: int) -> str:
        return f'IF({condition(f"E{row}", self.op, f"G{row}")},"通过","不通过")'


def sum_formula(refs: tuple[Ref, ...], local: str | None = None) -> str:
    """SUM over refs; references on `local` are written without the sheet name."""
    return "SUM(" + ",".join(r.range if r.sheet == local else r.excel() for r in refs) + ")"


def condition(left: str, op: str, right: str) -> str:
    if op == "==":
        return f"ABS(({left})-({right}))<={TOLERANCE}"
    return f"({left}){op}({right})"


def _absolute(refs: tuple[Ref, ...]) -> tuple[Ref, ...]:
    return tuple(Ref(r.sheet, ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", p) for p in r.range.split(":")))
                 for r in refs)


def violated_formula(check: Check, local: str) -> str:
    """Conditional-format formula: true while `check` fails (same-sheet rules only).

    References are absolute: one formula serves every highlighted cell, and Excel
    would otherwise shift relative references from the first cell to each other one."""
    return "NOT(" + condition(sum_formula(_absolute(check.left), local), check.op,
                              sum_formula(_absolute(check.right), local)) + ")"


def input_blocks(sheet: Sheet) -> list[str]:
    """A table's input cells as rectangular ranges (for COUNT/COUNTIF and highlighting)."""
    strips: list[list[int]] = []
    for c in sheet.inputs:
        r, col = parse_cell(c.cell)
        if strips and strips[-1][0] == r and strips[-1][3] == col - 1:
            strips[-1][3] = col
        else:
            strips.append([r, col, r, col])
    blocks: list[list[int]] = []
    for s in strips:
        b = blocks[-1] if blocks else None
        if b and b[1] == s[1] and b[3] == s[3] and b[2] == s[0] - 1:
            b[2] = s[0]
        else:
            blocks.append(list(s))
    return [f"{cell_name(b[0], b[1])}:{cell_name(b[2], b[3])}" for b in blocks]


_ROWS: dict[tuple[str, str], list[CheckRow]] = {}


def check_rows(spec: Spec) -> list[CheckRow]:
    """The 校验 sheet's rows, ordered by rule id (R1…R6, then X1); instances keep the spec's order."""
    key = (spec.format_name, spec.fingerprint)
    if key not in _ROWS:
        _ROWS[key] = _build_rows(spec)
    return _ROWS[key]


def _build_rows(spec: Spec) -> list[CheckRow]:
    rows = [CheckRow(c.rule, c.severity, c.title, c.where, sum_formula(c.left), c.op,
                     sum_formula(c.right), c.hint, check=c) for c in spec.checks]
    for sheet in spec.sheets:
        if sheet.kind != "table":
            continue
        q = quote_sheet(sheet.name)
        blocks = input_blocks(sheet)
        text = "+".join(f"(COUNTA({q}!{b})-COUNT({q}!{b}))" for b in blocks)
        negative = "+".join(f'COUNTIF({q}!{b},"<0")' for b in blocks)
        rows.append(CheckRow("R5", "error", "数字单元格只能填写不小于0的数（文字、负数的个数）", sheet.short,
                             f"{text}+{negative}", "==", "0",
                             "把文字、负数改为不小于0的数字；没有发生的填0", type_sheet=sheet.name))
    return sorted(rows, key=lambda r: _rule_order(r.rule))


def _rule_order(rule: str) -> tuple[str, int]:
    """'R5' -> ('R', 5): R10 after R9, not after R1."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", rule)
    return (m.group(1), int(m.group(2))) if m else (rule, 0)
