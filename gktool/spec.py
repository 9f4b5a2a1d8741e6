"""The declarative format spec: loading, expanding and describing cells.

A spec file (``workbook_templates/*.toml``) describes one official format
version. Everything else in gktool is derived from the frozen objects built
here: the writer lays the workbook out from them, the reader finds cells by
them, the rules check them, and the Word report draws its tables from them.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.util import find_spec
from pathlib import Path

from .cells import col_index, col_letters, parse_cell, parse_range, range_cells
from .errors import GkError
from .refs import Ref, SpecProblem, parse_ref, parse_sum_formula
from .spec_crossyear import CrossYear, cross_year_problems, parse_cross_year

TEMPLATE_PACKAGE = "gktool.workbook_templates"  # the shipped formats: one TOML file each
DEFAULT_FORMAT = "national-2021"


# ----------------------------------------------------------------- spec objects
@dataclass(frozen=True)
class InputType:
    """A value type of the format: what a cell may hold, its bounds and its number format."""

    key: str
    description: str
    integer: bool = False
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    plausible_max: float | None = None
    number_format: str = "General"
    unit: str = ""

    @property
    def numeric(self) -> bool:
        return self.key != "text" and self.key != "narrative"


TEXT_TYPES = ("text", "narrative")


@dataclass(frozen=True)
class Label:
    """A fixed text of the official form at its cell or merged range."""

    sheet: str
    range: str  # "A1" or "A1:C3"; a range is merged
    text: str
    header: bool = False

    @property
    def cell(self) -> str:
        return self.range.split(":")[0]

    @property
    def merged(self) -> bool:
        return ":" in self.range


@dataclass(frozen=True)
class Field:
    """One named item of a form sheet (unit, year, contacts, narrative sections)."""

    key: str
    label: str
    type: str
    required: bool = False
    note: str = ""
    heading: str = ""
    publish: bool = False  # must be filled before the report can be published (K1, K2, K4)


@dataclass(frozen=True)
class SpecCell:
    """An input or computed cell: where it lives and how a person names it."""

    sheet: str
    cell: str
    kind: str  # "input" | "computed"
    type: str  # input type key; "count" for computed totals
    defined_name: str
    merge: str | None = None  # range merged into this cell, if any
    formula: str | None = None  # computed cells: without the leading "="
    field: str | None = None  # form fields: the field key


@dataclass(frozen=True)
class Check:
    """One expanded instance of a rule: left op right for one column/row."""

    rule: str
    severity: str
    sheet: str
    title: str
    hint: str
    where: str  # "自然人列", "第4行", "" when the rule has one instance
    left: tuple[Ref, ...]
    op: str  # "==", ">=", "<="
    right: tuple[Ref, ...]

    def cells(self) -> list[tuple[str, str]]:
        return [(r.sheet, c) for r in self.left + self.right for c in r.cells()]


@dataclass(frozen=True)
class PairCheck:
    """Two figures that must be both 0 or both above 0 (a fee counted without an amount is a slip)."""

    id: str
    severity: str
    title: str
    first: Ref
    second: Ref
    message: str  # {first} and {second} are replaced by the two figures


@dataclass(frozen=True)
class RatioCheck:
    """numerator / denominator must lie in [min, max] when both are read and the denominator is > 0."""

    id: str
    severity: str
    what: str
    numerator: Ref
    denominator: Ref
    min: float
    max: float
    unit: str
    hint: str


@dataclass(frozen=True)
class Published:
    """The [published] table: how published reports (Word, web page, PDF) print what the workbook holds.

    Patterns are compiled when the spec loads, so a mistake in one is named then, not when a report is read."""

    title: re.Pattern | None = None  # a report's title: group 1 the unit, group 2 the year
    label_aliases: tuple[tuple[str, str], ...] = ()  # (label as printed in real reports, official label)
    heading_variants: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (section, headings printed besides the official)
    fee_none: re.Pattern | None = None  # the fee stated as none
    fee_amount: re.Pattern | None = None  # group 1: the amount in 元
    fee_count: re.Pattern | None = None  # the first group that matched: the number of applications
    contacts: tuple[tuple[str, re.Pattern], ...] = ()  # (cover field key, how the text prints it)
    legacy_notice: str = ""
    legacy_labels: tuple[str, ...] = ()  # R11: labels of the 2019 trial format


def _published(data: dict) -> Published:
    def pattern(key: str, text) -> re.Pattern | None:
        if text is None:
            return None
        try:
            return re.compile(text)
        except re.error as exc:
            raise SpecProblem(f"[published] 的 {key} 不是正确的正则表达式（{exc}）") from None

    title = pattern("title", data.get("title"))
    if title is not None and title.groups < 2:
        raise SpecProblem("[published] 的 title 须有两个括号分组（单位、年度）")
    return Published(
        title,
        tuple(data.get("label_aliases", {}).items()),
        tuple((k, tuple(v)) for k, v in data.get("heading_variants", {}).items()),
        pattern("fee_none", data.get("fee_none")),
        pattern("fee_amount", data.get("fee_amount")),
        pattern("fee_count", data.get("fee_count")),
        tuple((k, pattern(f"contacts.{k}", v)) for k, v in data.get("contacts", {}).items()),
        data.get("legacy_notice", ""),
        tuple(data.get("legacy_labels", [])),
    )


@dataclass(frozen=True)
class ReportFigures:
    """The [report] table: the cells the Word report's generated paragraphs quote (for a section left empty)."""

    active: str  # the table described row by row (表二)
    new: Ref
    carried_in: Ref
    resolved: Ref
    carried_out: Ref
    outcomes: tuple[tuple[str, Ref], ...]  # (what the paragraph calls it, its cells)
    reviews: tuple[Ref, ...]
    suits: tuple[Ref, ...]

    def refs(self) -> list[Ref]:
        """Every cell the table names, for checking that each is a cell of the spec."""
        return [self.new, self.carried_in, self.resolved, self.carried_out, *(r for _, r in self.outcomes)] + [
            *self.reviews,
            *self.suits,
        ]


def _report_figures(data: dict | None, fields: dict) -> ReportFigures | None:
    if not data:
        return None

    def refs(value) -> tuple[Ref, ...]:
        return tuple(parse_ref(t, "", fields) for t in (value if isinstance(value, list) else [value]))

    return ReportFigures(
        data["active"],
        *(parse_ref(data[k], "", fields) for k in ("new", "carried_in", "resolved", "carried_out")),
        tuple((o["what"], parse_ref(o["cells"], "", fields)) for o in data.get("outcomes", [])),
        refs(data.get("reviews", [])),
        refs(data.get("suits", [])),
    )


@dataclass(frozen=True)
class NarrativeCheck:
    """A figure the narrative must quote: a pattern that finds it and the cells it must equal."""

    what: str
    pattern: str
    cells: tuple[Ref, ...]


@dataclass(frozen=True)
class Sheet:
    """One sheet of the official workbook: its labels, cells, fields and print layout."""

    key: str
    name: str
    kind: str  # "form" | "table"
    section: str = ""
    heading: str = ""
    short: str = ""
    title: str = ""
    instructions: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    labels: tuple[Label, ...] = ()
    cells: tuple[SpecCell, ...] = ()
    widths: tuple[tuple[str, float], ...] = ()
    freeze: str = ""
    header_rows: int = 0

    @cached_property
    def _cell_map(self) -> dict[str, SpecCell]:
        return {c.cell: c for c in self.cells}

    @cached_property
    def _label_grid(self) -> dict[tuple[int, int], Label]:
        grid = {}
        for lab in self.labels:
            r1, c1, r2, c2 = parse_range(lab.range)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    grid[(r, c)] = lab
        return grid

    def label_at(self, row: int, col: int) -> Label | None:
        """The label covering a cell (merged ranges included), if any."""
        return self._label_grid.get((row, col))

    def spec_cell(self, cell: str) -> SpecCell | None:
        return self._cell_map.get(cell)

    @property
    def inputs(self) -> list[SpecCell]:
        return [c for c in self.cells if c.kind == "input"]

    @property
    def computed(self) -> list[SpecCell]:
        return [c for c in self.cells if c.kind == "computed"]

    @cached_property
    def bounds(self) -> tuple[int, int]:
        """(max_row, max_col) of everything the spec puts on this sheet."""
        rows, cols = [1], [1]
        for rng in [lab.range for lab in self.labels] + [c.merge or c.cell for c in self.cells]:
            r1, c1, r2, c2 = parse_range(rng)
            rows.append(r2)
            cols.append(c2)
        return max(rows), max(cols)

    def field_cell(self, key: str) -> SpecCell | None:
        for c in self.cells:
            if c.field == key:
                return c
        return None

    def describe(self, cell: str) -> str:
        """How a person reads a cell: '表三 （七）总计 × 自然人'."""
        spec_cell = self.spec_cell(cell)
        if self.kind == "form":
            for f in self.fields:
                if spec_cell is not None and spec_cell.field == f.key:
                    return f"{self.name} {f.label}"
            return self.name
        row, col = parse_cell(cell)
        grid = self._label_grid
        parts = [p for p in (self._row_label(row, col, grid), self._col_label(row, col, grid)) if p]
        return f"{self.short} " + " × ".join(parts) if parts else self.short

    def row_label(self, cell: str) -> str:
        row, col = parse_cell(cell)
        return self._row_label(row, col, self._label_grid)

    def col_label(self, cell: str) -> str:
        row, col = parse_cell(cell)
        return self._col_label(row, col, self._label_grid)

    def _row_label(self, row: int, col: int, grid) -> str:
        found = []
        for c in range(col - 1, 0, -1):
            lab = grid.get((row, c))
            if lab is None or lab.header or (found and lab is found[-1]):
                continue
            found.append(lab)
            if not lab.text[:1].isdigit():
                break
        return " ".join(lab.text for lab in reversed(found))

    def _col_label(self, row: int, col: int, grid) -> str:
        texts = [lab.text for lab in self.labels if lab.header]
        found = []
        for r in range(row - 1, 0, -1):
            lab = grid.get((r, col))
            if lab is None:
                if found:
                    break
                continue
            if not lab.header:
                if found:
                    break
                continue
            if found and lab is found[-1]:
                continue
            found.append(lab)
            if texts.count(lab.text) == 1:  # a repeated header (结果维持) needs its parent
                break
        return " ".join(lab.text for lab in reversed(found))


@dataclass(frozen=True)
class Spec:
    """One official format, parsed from its TOML file and checked when loaded."""

    format_name: str
    id: str
    version: str
    title: str
    notice: str
    law: str
    notice_title: str
    fee_notice: str
    report_title: str
    sheets: tuple[Sheet, ...]
    types: dict[str, InputType] = field(hash=False, compare=False)
    checks: tuple[Check, ...] = ()
    narrative_checks: tuple[NarrativeCheck, ...] = ()
    ratio_checks: tuple[RatioCheck, ...] = ()
    pair_checks: tuple[PairCheck, ...] = ()
    report_figures: ReportFigures | None = None  # [report]
    fingerprint: str = ""
    cross_year: CrossYear = field(default_factory=CrossYear, hash=False, compare=False)  # [cross_year], parsed
    published: Published = field(default_factory=Published, hash=False, compare=False)  # [published], parsed
    # report_title with "|" where a long title may break between words (the title itself without them)
    report_title_breaks: str = ""

    def sheet(self, name_or_key: str) -> Sheet:
        for s in self.sheets:
            if s.name == name_or_key or s.key == name_or_key:
                return s
        raise KeyError(name_or_key)

    @cached_property
    def field_cells(self) -> dict[str, SpecCell]:
        return {c.field: c for s in self.sheets for c in s.cells if c.field}

    @property
    def format_id(self) -> str:
        return f"{self.id}/{self.version}"

    def describe(self, sheet: str, cell: str) -> str:
        return f"{self.sheet(sheet).describe(cell)}（{sheet}!{cell}）"

    def rule_ids(self) -> list[str]:
        seen = []
        for c in self.checks:
            if c.rule not in seen:
                seen.append(c.rule)
        return seen


# ----------------------------------------------------------------- loading
def form_layout(sheet_data: dict) -> tuple[list[tuple[int, dict]], int]:
    """Row of each field on a form sheet: fields start after the instructions and one blank row."""
    first = 2 + len(sheet_data.get("instructions", [])) + 1
    return [(first + i, f) for i, f in enumerate(sheet_data.get("fields", []))], first


def _expand_axis(value) -> list:
    if isinstance(value, list):
        return value
    a, _, b = str(value).partition(":")
    if a.isdigit():
        return list(range(int(a), int(b or a) + 1))
    return [col_letters(i) for i in range(col_index(a), col_index(b or a) + 1)]


_PLACEHOLDER = re.compile(r"\{(row|col)([+-]\d+)?\}")


def _fill(template: str, row=None, col=None) -> str:
    def sub(m):
        off = int(m.group(2) or 0)
        if m.group(1) == "row":
            return str(row + off)
        return col_letters(col_index(col) + off)

    return _PLACEHOLDER.sub(sub, template)


def _defined_name(sheet_key: str, cell: str, field_key: str | None) -> str:
    return f"GK_{field_key}" if field_key else f"GK_{sheet_key}_{cell}"


def _build_sheet(data: dict) -> Sheet:
    name, key = data["name"], data["key"]
    labels, cells = [], []
    if data["kind"] == "form":
        rows, _ = form_layout(data)
        labels.append(Label(name, "A1:C1", data.get("title", name), header=True))
        for row, f in rows:
            labels.append(Label(name, f"A{row}", f["label"]))
            cells.append(
                SpecCell(name, f"B{row}", "input", f["type"], _defined_name(key, f"B{row}", f["key"]), field=f["key"])
            )
    for lab in data.get("labels", []):
        labels.append(Label(name, lab["cell"], lab["text"], lab.get("header", False)))
    for block in data.get("inputs", []):
        if block.get("merged"):
            first = block["cells"].split(":")[0]
            cells.append(
                SpecCell(name, first, "input", block["type"], _defined_name(key, first, None), merge=block["cells"])
            )
        else:
            for c in range_cells(block["cells"]):
                cells.append(SpecCell(name, c, "input", block["type"], _defined_name(key, c, None)))
    for block in data.get("computed", []):
        for c in range_cells(block["cells"]):
            row, col = parse_cell(c)
            formula = _fill(block["formula"], row=row, col=col_letters(col))
            cells.append(SpecCell(name, c, "computed", "count", _defined_name(key, c, None), formula=formula))
    fields = tuple(
        Field(
            f["key"],
            f["label"],
            f["type"],
            f.get("required", False),
            f.get("note", ""),
            f.get("heading", ""),
            f.get("publish", False),
        )
        for f in data.get("fields", [])
    )
    return Sheet(
        key=key,
        name=name,
        kind=data["kind"],
        section=data.get("section", ""),
        heading=data.get("heading", ""),
        short=data.get("short", name),
        title=data.get("title", ""),
        instructions=tuple(data.get("instructions", [])),
        fields=fields,
        labels=tuple(labels),
        cells=tuple(cells),
        widths=tuple(data.get("widths", {}).items()),
        freeze=data.get("freeze", ""),
        header_rows=data.get("header_rows", 0),
    )


def _expand_rule(rule: dict, fields: dict[str, SpecCell], sheets: dict[str, Sheet]) -> list[Check]:
    sheet = rule["sheet"]
    axes = rule.get("for_each", {})
    if "col" in axes:
        instances = [({"col": c}, c) for c in _expand_axis(axes["col"])]
    elif "row" in axes:
        instances = [({"row": r}, r) for r in _expand_axis(axes["row"])]
    else:
        instances = [({}, None)]
    out = []
    for params, _at in instances:
        left = tuple(parse_ref(_fill(t, **params), sheet, fields) for t in rule["left"])
        right = tuple(parse_ref(_fill(t, **params), sheet, fields) for t in rule["right"])
        first = left[0].cells()[0]
        if "col" in params:
            where = f"“{sheets[sheet].col_label(first)}”列"
        elif "row" in params:
            where = f"“{sheets[sheet].row_label(first)}”行"
        else:
            where = ""
        out.append(
            Check(
                rule["id"], rule["severity"], sheet, rule["title"], rule.get("hint", ""), where, left, rule["op"], right
            )
        )
    return out


def _fingerprint(data: dict) -> str:
    layout = {k: data.get(k) for k in ("id", "version", "sheets", "rules")}
    blob = json.dumps(layout, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


REQUIRED_FIELDS = ("unit", "year")  # every report names its unit and year
OPS = ("==", ">=", "<=")
SEVERITIES = ("error", "warning")


def check_spec(spec: Spec) -> list[str]:
    """Every problem of a built spec, each named at its place (empty when the spec is sound)."""
    problems = []
    names = [s.name for s in spec.sheets]
    keys = [s.key for s in spec.sheets]
    for dup in sorted({n for n in names if names.count(n) > 1} | {k for k in keys if keys.count(k) > 1}):
        problems.append(f"工作表名称或 key “{dup}”重复")
    fields = [c.field for c in spec.field_cells.values()]
    for key in REQUIRED_FIELDS:
        if key not in spec.field_cells:
            problems.append(f"缺少 key 为“{key}”的填报项（封面须有单位名称和报告年度）")
    if len(fields) != len(set(fields)):
        problems.append("填报项的 key 有重复")
    cells = {(s.name, c.cell): c for s in spec.sheets for c in s.cells}

    def unknown_cells(what: str, refs) -> None:
        problems.extend(
            f"{what}引用的 {r.sheet}!{x} 不是可填或合计单元格"
            for r in refs
            for x in r.cells()
            if (r.sheet, x) not in cells
        )

    defined = [c.defined_name for s in spec.sheets for c in s.cells]
    for dup in sorted({n for n in defined if defined.count(n) > 1}):
        problems.append(f"定义名称“{dup}”重复（同一工作表的 key 或单元格写了两次）")
    for s in spec.sheets:
        if len(s.name) > 31 or re.search(r"[\[\]:*?/\\]", s.name):
            problems.append(f"工作表名称“{s.name}”不能用作 Excel 工作表名（最多 31 个字符，不能有 []:*?/\\）")
        occupied: dict[str, str] = {}
        for what, rng in [(f"标签“{lab.text}”", lab.range) for lab in s.labels] + [
            (f"单元格 {c.cell}", c.merge or c.cell) for c in s.cells
        ]:
            for x in range_cells(rng):
                if x in occupied:
                    problems.append(f"工作表“{s.name}”{x} 既是{occupied[x]}又是{what}")
                occupied.setdefault(x, what)
    for s in spec.sheets:
        for c in s.cells:
            if c.type not in spec.types:
                problems.append(f"工作表“{s.name}”{c.cell} 的类型“{c.type}”没有在 [types] 中定义")
            if c.formula:
                try:
                    refs = parse_sum_formula(c.formula, s.name)
                except ValueError:
                    problems.append(f"工作表“{s.name}”{c.cell} 的公式“{c.formula}”不是 SUM(…)")
                    continue
                for r in refs:
                    for x in r.cells():
                        if (r.sheet, x) not in cells:
                            problems.append(
                                f"工作表“{s.name}”{c.cell} 的公式引用了 {r.sheet}!{x}，那里不是可填或合计单元格"
                            )
    for check in spec.checks:
        where = f"规则 {check.rule}{('（' + check.where + '）') if check.where else ''}"
        if check.severity not in SEVERITIES:
            problems.append(f"{where} 的 severity “{check.severity}”应为 error 或 warning")
        if check.op not in OPS:
            problems.append(f"{where} 的 op “{check.op}”应为 ==、>= 或 <=")
        for r in check.left + check.right:
            if r.sheet not in names:
                problems.append(f"{where} 引用的工作表“{r.sheet}”不存在")
                continue
            for x in r.cells():
                if (r.sheet, x) not in cells:
                    problems.append(f"{where} 引用的 {r.sheet}!{x} 不是可填或合计单元格")
    for n in spec.narrative_checks:
        try:
            if re.compile(n.pattern).groups != 1:
                problems.append(f"文字核对“{n.what}”的 pattern 须有且只有一个括号分组（数字）")
        except re.error as exc:
            problems.append(f"文字核对“{n.what}”的 pattern 不是正确的正则表达式（{exc}）")
        unknown_cells(f"文字核对“{n.what}”", n.cells)
    for rc in spec.ratio_checks:
        if rc.severity not in SEVERITIES:
            problems.append(f"比例核对“{rc.what}”的 severity “{rc.severity}”应为 error 或 warning")
        unknown_cells(f"比例核对“{rc.what}”", (rc.numerator, rc.denominator))
    if spec.report_figures is not None:
        if spec.report_figures.active not in names:
            problems.append(f"[report] 的 active “{spec.report_figures.active}”不是工作表")
        unknown_cells("[report] ", spec.report_figures.refs())
    for pc in spec.pair_checks:
        if pc.severity not in SEVERITIES:
            problems.append(f"成对核对 {pc.id} 的 severity “{pc.severity}”应为 error 或 warning")
        unknown_cells(f"成对核对 {pc.id} ", (pc.first, pc.second))
        try:
            pc.message.format(first=0, second=0)
        except (KeyError, IndexError, ValueError):
            problems.append(f"成对核对 {pc.id} 的 message 只能用 {{first}} 和 {{second}} 两个占位符")
    contact_keys = {f.key for sh in spec.sheets for f in sh.fields}
    for key, _ in spec.published.contacts:
        if key not in contact_keys:
            problems.append(f"[published] contacts 的“{key}”不是填报项")
    if spec.report_title_breaks.replace("|", "") != spec.report_title:
        problems.append("report_title_breaks 去掉“|”后应与 report_title 相同")
    problems.extend(cross_year_problems(spec))
    return list(dict.fromkeys(problems))


def load_spec_text(text: str, format_name: str) -> Spec:
    """Build a spec from TOML text and check it; raises SpecProblem naming each problem's place."""
    spec = _build_spec(text, format_name)
    problems = check_spec(spec)
    if problems:
        shown = "；".join(problems[:8]) + (f"；等 {len(problems)} 处" if len(problems) > 8 else "")
        raise SpecProblem(shown)
    return spec


def _build_spec(text: str, format_name: str) -> Spec:
    data = tomllib.loads(text)
    sheets = tuple(_build_sheet(s) for s in data["sheets"])
    by_name = {s.name: s for s in sheets}
    fields = {c.field: c for s in sheets for c in s.cells if c.field}
    checks = tuple(c for r in data.get("rules", []) for c in _expand_rule(r, fields, by_name))
    narrative = tuple(
        NarrativeCheck(n["what"], n["pattern"], tuple(parse_ref(t, "", fields) for t in n["cells"]))
        for n in data.get("narrative_checks", [])
    )
    ratios = tuple(
        RatioCheck(
            r["id"],
            r["severity"],
            r["what"],
            parse_ref(r["numerator"], "", fields),
            parse_ref(r["denominator"], "", fields),
            float(r["min"]),
            float(r["max"]),
            r.get("unit", ""),
            r.get("hint", ""),
        )
        for r in data.get("ratio_checks", [])
    )
    pairs = tuple(
        PairCheck(
            p["id"],
            p["severity"],
            p["title"],
            parse_ref(p["first"], "", fields),
            parse_ref(p["second"], "", fields),
            p["message"],
        )
        for p in data.get("pair_checks", [])
    )
    types = {k: InputType(key=k, **v) for k, v in data.get("types", {}).items()}
    for t in TEXT_TYPES:
        types[t] = InputType(key=t, description="文字")
    return Spec(
        format_name=format_name,
        id=data["id"],
        version=str(data["version"]),
        title=data["title"],
        notice=data["notice"],
        law=data["law"],
        notice_title=data["notice_title"],
        fee_notice=data["fee_notice"],
        report_title=data["report_title"],
        sheets=sheets,
        types=types,
        checks=checks,
        narrative_checks=narrative,
        ratio_checks=ratios,
        pair_checks=pairs,
        report_figures=_report_figures(data.get("report"), fields),
        fingerprint=_fingerprint(data),
        cross_year=parse_cross_year(
            data.get("cross_year", {}),
            fields,
            (data["law"], data["notice_title"], data["fee_notice"], data["notice"]),
        ),
        published=_published(data.get("published", {})),
        report_title_breaks=data.get("report_title_breaks", data["report_title"]),
    )


@cache
def _templates() -> Path:
    # the package's folder, found the way Python finds it (an editable install maps it from the project root);
    # importlib.resources would do the same but its import alone costs a tenth of a one-file check's start-up
    return Path(find_spec(TEMPLATE_PACKAGE).submodule_search_locations[0])


def available_formats() -> list[str]:
    """The names of the shipped formats."""
    return sorted(p.stem for p in _templates().glob("*.toml"))


_CACHE: dict[str, Spec] = {}


def load_spec(format_name: str = DEFAULT_FORMAT) -> Spec:
    """Load a shipped spec by name (e.g. 'national-2021') or from a .toml path."""
    if format_name in _CACHE:
        return _CACHE[format_name]
    if format_name.endswith(".toml"):
        try:
            text = Path(format_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GkError(f"格式定义文件“{format_name}”无法读取（{getattr(exc, 'strerror', None) or exc}）") from None
    else:
        res = _templates() / f"{format_name}.toml"
        if not res.is_file():
            raise GkError(f"未知的报告格式“{format_name}”，可用的格式：{'、'.join(available_formats())}", 2)
        text = res.read_text(encoding="utf-8")
    try:
        spec = load_spec_text(text, Path(format_name).stem)
    except SpecProblem as exc:
        raise GkError(f"格式定义文件“{format_name}”有误：{exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GkError(f"格式定义文件“{format_name}”不是正确的 TOML：{exc}") from None
    except KeyError as exc:
        raise GkError(f"格式定义文件“{format_name}”有误：缺少必需的项 {exc}") from None
    except (TypeError, ValueError, re.error) as exc:
        raise GkError(f"格式定义文件“{format_name}”有误：{exc}") from None
    _CACHE[format_name] = spec
    return spec


def spec_for_format_id(format_id: str) -> Spec | None:
    """The shipped spec whose 'id/version' matches a workbook's stamp."""
    for name in available_formats():
        spec = load_spec(name)
        if spec.format_id == format_id:
            return spec
    return None
