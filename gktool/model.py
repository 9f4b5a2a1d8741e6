"""The filled report: one format-neutral model of a report, whatever file it came from.

Readers (a gktool workbook, any workbook, Word, web page, PDF) produce a `FilledReport`
together with their own file-level findings; the content rules are plain functions of it;
writers (workbook, Word, summary) consume it. Values are keyed by the spec's stable key
(sheet name, cell address in the official layout, e.g. ("三、依申请公开", "D27")), so
nothing downstream needs to know where in the source a value was printed. That is kept
beside it, in words a person can find.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .compute import Evaluator
from .findings import Result
from .spec import TEXT_TYPES, Spec

Key = tuple[str, str]  # (spec sheet name, spec cell address)
_ROW_COL = re.compile(r"(.*?)第(\d+)行第(\d+)列")  # a document table's cell as its reader names it

KINDS = ("gktool", "xlsx", "xls", "ods", "xlsb", "docx", "html", "pdf")


@dataclass(frozen=True)
class Place:
    """Where a value was printed: `sheet` groups findings, `cell` is the short address
    within it, `at` is the full wording ("三、依申请公开!D4", "第2个表格 第4行第3列")."""

    sheet: str
    cell: str
    at: str


@dataclass
class FilledReport:
    """A report as read: values by key, totals as stated, unit, year, and provenance."""

    spec: Spec
    source: str  # the file as the user named it
    kind: str  # one of KINDS
    unit: str | None = None
    year: int | None = None
    values: dict[Key, object] = field(default_factory=dict)  # float, str (text fields), None (blank/unread)
    printed: dict[Key, str] = field(default_factory=dict)  # the text as found in the source
    places: dict[Key, Place] = field(default_factory=dict)
    live: set[Key] = field(default_factory=set)  # totals that follow the inputs (intact formulas): recomputed
    unread: set[Key] = field(default_factory=set)  # cells that could not be read (a finding says why)
    flagged: set[Key] = field(default_factory=set)  # cells whose reader already made an error finding (a
    # replaced total): sums through them are consequences, not news
    absent: set[str] = field(default_factory=set)  # spec sheets (tables/sections) not found in the source
    # last year's figures a workbook carries itself (`gktool new --previous`: the hidden 上年数据 sheet)
    embedded_previous: FilledReport | None = None
    sheet_names: tuple[str, ...] = ()  # a gktool workbook's sheets as saved (a collect summary has 状态 and 明细)
    _evaluator: Evaluator | None = field(default=None, repr=False)
    _homes: dict[str, str] | None = field(default=None, repr=False)

    @classmethod
    def from_values(cls, spec: Spec, values: dict, source: str = "", kind: str = "gktool") -> FilledReport:
        """A report from input values by key, totals computed from them (as `gktool new --fill` would)."""
        live = {(s.name, c.cell) for s in spec.sheets for c in s.computed}
        report = cls(spec, source, kind, values=dict(values), live=live)
        unit, year = spec.field_cells.get("unit"), spec.field_cells.get("year")
        u = values.get((unit.sheet, unit.cell)) if unit else None
        y = values.get((year.sheet, year.cell)) if year else None
        report.unit = u.strip() if isinstance(u, str) and u.strip() else None
        report.year = (
            int(y) if isinstance(y, (int, float)) and not isinstance(y, bool) and float(y).is_integer() else None
        )
        return report

    # ------------------------------------------------------------ numbers
    @property
    def evaluator(self) -> Evaluator:
        """Totals as stated in the source, except live formulas, which are recomputed."""
        if self._evaluator is None:
            replaced = {(s.name, c.cell) for s in self.spec.sheets for c in s.computed} - self.live
            self._evaluator = Evaluator(self.spec, self.values, replaced)
        return self._evaluator

    def number(self, sheet: str, cell: str) -> float:
        """The value a total or rule sees: blank and unread count as 0."""
        return self.evaluator.value(sheet, cell)

    def field(self, key: str):
        """A cover or narrative field by its spec key: text for text fields, else the number."""
        c = self.spec.field_cells[key]
        if c.type in TEXT_TYPES:
            v = self.values.get((c.sheet, c.cell))
            return v if isinstance(v, str) else ""
        return self.number(c.sheet, c.cell)

    def has(self, sheet: str) -> bool:
        """Whether the source holds this spec sheet (table or section) at all."""
        return sheet not in self.absent

    # ------------------------------------------------------------ provenance
    def usable(self, key: Key) -> bool:
        """Whether this report holds a value it read for `key` (its sheet is present and the cell was read)."""
        return self.has(key[0]) and key not in self.unread and key[0] in {s.name for s in self.spec.sheets}

    def place(self, sheet: str, cell: str) -> Place:
        """Where a spec cell's value came from (its spec address where the source has no other)."""
        found = self.places.get((sheet, cell))
        return found if found is not None else Place(sheet, cell, f"{sheet}!{cell}")

    def describe(self, sheet: str, cell: str) -> str:
        """'表三 （七）总计 × 自然人（三、依申请公开!D27）'."""
        return f"{self.spec.sheet(sheet).describe(cell)}（{self.place(sheet, cell).at}）"

    def cell_ref(self, sheet: str, cell: str, home: str | None = None) -> str:
        """A cell as listed in a finding: short within the finding's own sheet, else with its sheet."""
        p = self.place(sheet, cell)
        if p.at != f"{p.sheet}!{p.cell}":  # a document's own words ("第4页 表格2 第4行第1列") already say where
            return p.at
        return p.cell if home is None or p.sheet == home else f"{p.sheet}!{p.cell}"

    def span(self, sheet: str, first: str, last: str) -> str:
        """A run of cells named once: "三、依申请公开!D6:D26", "第4页 表格2 第4行第1–4列"."""
        a, b = self.place(sheet, first), self.place(sheet, last)
        if a.sheet == b.sheet and a.at == f"{a.sheet}!{a.cell}" and b.at == f"{b.sheet}!{b.cell}":
            return f"{a.sheet}!{a.cell}:{b.cell}"
        ma, mb = _ROW_COL.fullmatch(a.at), _ROW_COL.fullmatch(b.at)
        if ma and mb and ma[1] == mb[1]:
            (ra, ca), (rb, cb) = (ma[2], ma[3]), (mb[2], mb[3])
            if ra == rb:
                return f"{ma[1]}第{ra}行第{ca}–{cb}列"
            if ca == cb:
                return f"{ma[1]}第{ra}–{rb}行第{ca}列"
        return f"{a.at} 至 {b.at}"

    def home(self, sheet: str) -> str:
        """The source sheet/place holding a spec sheet, for grouping its findings."""
        if self._homes is None:
            self._homes = {}
            for (s, _), p in self.places.items():
                self._homes.setdefault(s, p.sheet)
        return self._homes.get(sheet, sheet)


@dataclass
class Analysis:
    """A checked report: the filled report (None when it could not be read) and the verdict."""

    report: FilledReport | None
    result: Result
    previous: FilledReport | None = None  # last year's report, when one was given (report --previous)

    @property
    def spec(self) -> Spec | None:
        """The format the report was read with."""
        return self.report.spec if self.report else None

    def number(self, sheet: str, cell: str) -> float:
        """A value as the rules see it."""
        return self.report.number(sheet, cell)

    def field(self, key: str):
        """A cover or narrative field by its spec key."""
        return self.report.field(key)
