"""Recomputing totals and rule sides from input values, the same way the Excel formulas do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .refs import Ref, parse_sum_formula
from .spec import Check, Spec

TOLERANCE = 0.005  # amounts have 2 decimals; counts are whole numbers

Key = tuple[str, str]  # (sheet name, cell address in spec coordinates)


def as_number(value) -> float | None:
    """A cell value as a number; None for blank; raises ValueError for text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(value)


class Evaluator:
    """Values of spec cells: inputs as found (blank = 0, text = 0 and reported elsewhere),
    computed cells recomputed from inputs unless their formula was replaced by a constant."""

    def __init__(self, spec: Spec, values: Mapping[Key, object], replaced: Iterable[Key] = ()):
        self.spec = spec
        self.values = values
        self.replaced = set(replaced)
        self._memo: dict[Key, float] = {}

    def value(self, sheet: str, cell: str) -> float:
        key = (sheet, cell)
        if key in self._memo:
            return self._memo[key]
        spec_cell = self.spec.sheet(sheet).spec_cell(cell)
        if spec_cell is not None and spec_cell.kind == "computed" and key not in self.replaced:
            result = self.sum(parse_sum_formula(spec_cell.formula, sheet))
        else:
            try:
                result = as_number(self.values.get(key)) or 0.0
            except ValueError:
                result = 0.0
        self._memo[key] = result
        return result

    def sum(self, refs: Iterable[Ref]) -> float:
        return sum(self.value(r.sheet, c) for r in refs for c in r.cells())

    def check(self, check: Check) -> tuple[float, float, bool]:
        left, right = self.sum(check.left), self.sum(check.right)
        return left, right, holds(left, check.op, right)


def holds(left: float, op: str, right: float) -> bool:
    if op == "==":
        return abs(left - right) <= TOLERANCE
    if op == ">=":
        return left >= right - TOLERANCE
    if op == "<=":
        return left <= right + TOLERANCE
    raise ValueError(op)


def tidy(x: float) -> int | float:
    """3.0 -> 3 for messages and JSON; amounts keep 2 decimals."""
    return int(x) if float(x).is_integer() else round(x, 2)
