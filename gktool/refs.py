"""References to the spec's cells: one term of a sum, as the spec, the rules and the formulas write it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .cells import quote_sheet, range_cells


@dataclass(frozen=True)
class Ref:
    """One term of a sum: a cell or range on a sheet."""

    sheet: str
    range: str

    def cells(self) -> list[str]:
        return range_cells(self.range)

    def excel(self) -> str:
        return f"{quote_sheet(self.sheet)}!{self.range}"


class SpecProblem(ValueError):
    """A mistake in a spec file, worded for the person who edits it."""


def parse_ref(text: str, default_sheet: str, fields: dict) -> Ref:
    """ "'表三'!D4:D6", "D4" (on `default_sheet`) or "@fee_count" (a field by key) as a Ref."""
    if text.startswith("@"):
        cell = fields.get(text[1:])
        if cell is None:
            raise SpecProblem(f"“{text}”引用的填报项“{text[1:]}”不存在（可用的：{'、'.join(sorted(fields))}）")
        return Ref(cell.sheet, cell.cell)
    if "!" in text:
        sheet, _, rng = text.rpartition("!")
        return Ref(sheet.strip("'"), rng)
    return Ref(default_sheet, text)


def parse_sum_formula(formula: str, sheet: str) -> tuple[Ref, ...]:
    """'SUM(D6:D26)' -> refs; the only formula shape the spec uses for totals."""
    m = re.fullmatch(r"SUM\((.*)\)", formula.strip().lstrip("="), re.I)
    if not m:
        raise ValueError(f"unsupported formula {formula!r}")
    return tuple(parse_ref(t.strip().replace("$", ""), sheet, {}) for t in m.group(1).split(","))
