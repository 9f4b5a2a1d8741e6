"""The spec's [cross_year] table as typed records: which cells carry over from last year's report, which stock
follows from last year's, which figures to watch for swings, what wording is fixed. Parsed and checked when the
spec is loaded; the cross-year rules, `new --previous` and the Word report's year-on-year sentences read it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .refs import Ref, SpecProblem, parse_ref


@dataclass(frozen=True)
class Stock:
    """A stock that follows from last year's: this = last + plus - minus (Y2)."""

    this: Ref
    last: Ref
    plus: tuple[Ref, ...]
    minus: tuple[Ref, ...]


@dataclass(frozen=True)
class Swing:
    """A figure whose change from last year is worth a question above `factor` times (Y6)."""

    what: str
    cells: tuple[Ref, ...]
    factor: float
    floor: float
    unit: str


@dataclass(frozen=True)
class Figure:
    """A figure the Word report compares with last year's in a generated paragraph."""

    section: str  # the narrative field whose generated paragraph gets the sentence
    what: str
    cells: tuple[Ref, ...]


@dataclass(frozen=True)
class CrossYear:
    """The [cross_year] table, parsed: what is compared with what."""

    carry: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = ()  # (this key, last key), cell by cell
    stock: tuple[Stock, ...] = ()
    share: float = 0.8
    min_chars: int = 30
    fixed: tuple[re.Pattern, ...] = ()
    swings: tuple[Swing, ...] = ()
    year_on_year: tuple[Figure, ...] = ()
    carry_fields: tuple[str, ...] = ()  # cover fields `new --previous` copies from last year's report

    def refs(self) -> list[Ref]:
        """Every reference the table makes, for checking that each names a cell of the spec."""
        refs = [Ref(sheet, cell) for pair in self.carry for sheet, cell in pair]
        refs += [r for s in self.stock for r in (s.this, s.last, *s.plus, *s.minus)]
        return refs + [r for s in self.swings for r in s.cells] + [r for f in self.year_on_year for r in f.cells]


def squash(text: str) -> str:
    """Text without whitespace: fixed wording is matched whatever the line breaks."""
    return "".join(text.split())


def _refs(value, fields: dict) -> tuple[Ref, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for text in items:
        if not isinstance(text, str) or ("!" not in text and not text.startswith("@")):
            raise SpecProblem(f"[cross_year] 中的“{text}”应写成“工作表!单元格”或“@填报项”")
        try:
            out.append(parse_ref(text, "", fields))
        except SpecProblem as exc:
            raise SpecProblem(f"[cross_year] {exc}") from None
    return tuple(out)


def parse_cross_year(data: dict, fields: dict, fixed_texts: tuple[str, ...]) -> CrossYear:
    """The [cross_year] table of a spec file; raises SpecProblem naming the mistake."""
    try:
        return _parse(data, fields, fixed_texts)
    except re.error as exc:
        raise SpecProblem(f"[cross_year] fixed_wording 中有不正确的正则表达式（{exc}）") from None
    except SpecProblem:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecProblem(f"[cross_year] 有误：{exc}") from None


def _parse(data: dict, fields: dict, fixed_texts: tuple[str, ...]) -> CrossYear:
    carry = []
    for pair in data.get("carry", []):
        (this,), (last,) = _refs(pair["this"], fields), _refs(pair["last"], fields)
        a, b = this.cells(), last.cells()
        if len(a) != len(b):
            raise SpecProblem(f"[cross_year] carry 的 this（{len(a)} 格）与 last（{len(b)} 格）单元格数不同")
        carry.extend(((this.sheet, x), (last.sheet, y)) for x, y in zip(a, b, strict=True))
    stock = tuple(
        Stock(
            _refs(s["this"], fields)[0],
            _refs(s["last"], fields)[0],
            _refs(s.get("plus", []), fields),
            _refs(s.get("minus", []), fields),
        )
        for s in data.get("stock", [])
    )
    fixed = [re.escape(squash(t)) for t in fixed_texts if t]
    fixed += list(data.get("fixed_wording", []))
    swings = tuple(
        Swing(
            s["what"],
            _refs(s["cells"], fields),
            float(s.get("factor", 5)),
            float(s.get("floor", 20)),
            s.get("unit", ""),
        )
        for s in data.get("swings", [])
    )
    for s in swings:
        if s.factor <= 1 or s.floor < 0:
            raise SpecProblem(f"[cross_year] swings “{s.what}”的 factor 应大于 1、floor 不小于 0")
    share = float(data.get("copied_share", 0.8))
    if not 0 < share <= 1:
        raise SpecProblem("[cross_year] copied_share 应在 0 和 1 之间")
    figures = tuple(Figure(f["section"], f["what"], _refs(f["cells"], fields)) for f in data.get("year_on_year", []))
    for f in figures:
        c = fields.get(f.section)
        if c is None or c.type != "narrative":
            raise SpecProblem(f"[cross_year] year_on_year “{f.what}”的 section “{f.section}”不是文字说明填报项")
    return CrossYear(
        tuple(carry),
        stock,
        share,
        int(data.get("copied_min_chars", 30)),
        tuple(re.compile(p) for p in fixed),
        swings,
        figures,
        tuple(data.get("carry_fields", [])),
    )


def cross_year_problems(spec) -> list[str]:
    """The [cross_year] references that name no input or total cell of the spec (checked when it is loaded)."""
    cells = {(s.name, c.cell) for s in spec.sheets for c in s.cells}
    keys = [(r.sheet, x) for r in spec.cross_year.refs() for x in r.cells()]
    return [f"[cross_year] 引用的 {s}!{c} 不是可填或合计单元格" for s, c in dict.fromkeys(keys) if (s, c) not in cells]
