"""The Excel side of the rules: the 校验 sheet's rows and the formulas they hold.

The Python side (gktool.checks.content) evaluates the same `Check` objects; tests
recalculate a filled workbook in LibreOffice and compare the two verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .cells import cell_name, parse_cell, quote_sheet
from .compute import TOLERANCE
from .refs import Ref
from .spec import Check, Sheet, Spec

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
    # for rows that are not a spec rule instance: (left, right) from the values {(sheet, cell): value},
    # computed the way the row's formulas compute them, for the cached results gktool writes
    compute: Callable[[dict], tuple[float, float]] | None = field(default=None, compare=False, hash=False)

    @property
    def failed_text(self) -> str:
        """What the status column says when this row does not hold: 不通过 for errors, 警告 for warnings."""
        return "不通过" if self.severity == "error" else "警告"

    def status_formula(self, row: int, failed: str | None = None) -> str:
        """The status cell's formula: 通过, else `failed` (by default 不通过 or 警告 by severity)."""
        return f'IF({condition(f"E{row}", self.op, f"G{row}")},"通过","{failed or self.failed_text}")'


def overall_formula(status_range: str) -> str:
    """The 校验 sheet's overall line, as validate words its verdict: how many errors and warnings."""
    errors, warnings = f'COUNTIF({status_range},"不通过")', f'COUNTIF({status_range},"警告")'
    return (
        f'IF({errors}=0,IF({warnings}=0,"通过","通过（"&{warnings}&" 项警告，请核实）"),'
        f'"不通过："&{errors}&" 项错误"&IF({warnings}=0,"","，"&{warnings}&" 项警告"))'
    )


def overall_text(errors: int, warnings: int) -> str:
    """The overall line's value for `errors` failing error rows and `warnings` failing warning rows."""
    if errors:
        return f"不通过：{errors} 项错误" + (f"，{warnings} 项警告" if warnings else "")
    return f"通过（{warnings} 项警告，请核实）" if warnings else "通过"


def sum_formula(refs: tuple[Ref, ...], local: str | None = None) -> str:
    """SUM over refs; references on `local` are written without the sheet name."""
    return "SUM(" + ",".join(r.range if r.sheet == local else r.excel() for r in refs) + ")"


def condition(left: str, op: str, right: str) -> str:
    if op == "==":
        return f"ABS(({left})-({right}))<={TOLERANCE}"
    return f"({left}){op}({right})"


def _absolute(refs: tuple[Ref, ...]) -> tuple[Ref, ...]:
    return tuple(
        Ref(r.sheet, ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", p) for p in r.range.split(":"))) for r in refs
    )


def violated_formula(check: Check, local: str) -> str:
    """Conditional-format formula: true while `check` fails (same-sheet rules only).

    References are absolute: one formula serves every highlighted cell, and Excel
    would otherwise shift relative references from the first cell to each other one."""
    return (
        "NOT("
        + condition(sum_formula(_absolute(check.left), local), check.op, sum_formula(_absolute(check.right), local))
        + ")"
    )


def input_blocks(sheet: Sheet, integer_only: bool = False, types: dict | None = None) -> list[str]:
    """A table's input cells as rectangular ranges (for COUNT/COUNTIF and highlighting);
    with `integer_only`, only cells whose type asks for whole numbers."""
    strips: list[list[int]] = []
    for c in sheet.inputs:
        if integer_only and not types[c.type].integer:
            continue
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


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _build_rows(spec: Spec) -> list[CheckRow]:
    rows = [
        CheckRow(c.rule, c.severity, c.title, c.where, sum_formula(c.left), c.op, sum_formula(c.right), c.hint, check=c)
        for c in spec.checks
    ]
    for sheet in spec.sheets:
        if sheet.kind != "table":
            continue
        rows.append(_type_row(spec, sheet))
    rows.extend(_completeness_rows(spec))
    rows.extend(_ratio_rows(spec))
    return sorted(rows, key=lambda r: _rule_order(r.rule))


def _type_row(spec: Spec, sheet: Sheet) -> CheckRow:
    """R5 for one table: text, negative numbers and fractions where whole numbers belong."""
    q = quote_sheet(sheet.name)
    blocks = input_blocks(sheet)
    text = "+".join(f"(COUNTA({q}!{b})-COUNT({q}!{b}))" for b in blocks)
    negative = "+".join(f'COUNTIF({q}!{b},"<0")' for b in blocks)
    # a fraction in a count; text makes INT fail, and text already fails this row, hence IFERROR(…,1)
    fraction = "+".join(f"SUMPRODUCT(--({q}!{b}<>INT({q}!{b})))" for b in input_blocks(sheet, True, spec.types))
    inputs = [(c.cell, spec.types[c.type]) for c in sheet.inputs]

    def compute(values: dict) -> tuple[float, float]:
        bad = 0
        for cell, t in inputs:
            v = values.get((sheet.name, cell))
            if isinstance(v, str) and v != "" or isinstance(v, bool):
                bad += 1
            elif _is_number(v) and (v < 0 or (t.integer and not float(v).is_integer())):
                bad += 1
        return bad, 0

    return CheckRow(
        "R5",
        "error",
        "数字单元格只能填写不小于0的数，件数须为整数（文字、负数、小数的个数）",
        sheet.short,
        f"IFERROR({text}+{negative}+{fraction or 0},1)",
        "==",
        "0",
        "把文字、负数、小数改为不小于0的整数（金额可有两位小数）；没有发生的填0",
        type_sheet=sheet.name,
        compute=compute,
    )


def _field_refs(spec: Spec, predicate) -> list[tuple[str, str, str]]:
    return [
        (s.name, s.field_cell(f.key).cell, f.label)
        for s in spec.sheets
        if s.kind == "form"
        for f in s.fields
        if predicate(f)
    ]


def _completeness_rows(spec: Spec) -> list[CheckRow]:
    """K1–K4 (and C1's required fields) as live rows: what a publishable report cannot leave empty."""
    rows = []
    groups = [
        ("C1", "error", "必填的封面信息（单位名称、报告年度）", lambda f: f.required, "填写单位全称和四位年份"),
        (
            "K1",
            "error",
            "联系方式（地址、电话、网站）已填写",
            lambda f: f.publish and f.type == "text",
            "在封面填写通信地址、联系电话和网站网址",
        ),
        (
            "K2",
            "warning",
            "必写的文字部分已填写",
            lambda f: f.publish and f.type == "narrative",
            "写明总体情况和存在的主要问题",
        ),
        (
            "K4",
            "error",
            "信息处理费的件数和金额已填写",
            lambda f: f.publish and f.type not in ("text", "narrative"),
            "没有收取的填 0，不要留空",
        ),
    ]
    for rule, severity, title, predicate, hint in groups:
        refs = _field_refs(spec, predicate)
        if not refs:
            continue
        formula = "+".join(f"(LEN(TRIM({quote_sheet(sh)}!{cell}))=0)" for sh, cell, _ in refs)

        def compute(values: dict, refs=refs) -> tuple[float, float]:
            return sum(_blank(values.get((sh, cell))) for sh, cell, _ in refs), 0

        rows.append(
            CheckRow(
                rule,
                severity,
                title + "（空白的个数）",
                "、".join(label for _, _, label in refs),
                formula,
                "==",
                "0",
                hint,
                compute=compute,
            )
        )
    tables = [s for s in spec.sheets if s.kind == "table"]
    if tables:
        filled = "+".join(f"COUNTA({quote_sheet(s.name)}!{b})" for s in tables for b in input_blocks(s))
        keys = [(s.name, c.cell) for s in tables for c in s.inputs]

        def count_filled(values: dict) -> tuple[float, float]:
            return sum(not _blank(values.get(k)) for k in keys), 1

        rows.append(
            CheckRow(
                "K3",
                "error",
                "表格已填写（填了数字的单元格个数）",
                "表二、表三、表四",
                filled,
                ">=",
                "1",
                "没有发生的事项填 0；全部留空看不出是否填写过",
                compute=count_filled,
            )
        )
    return rows


def _ratio_rows(spec: Spec) -> list[CheckRow]:
    """Amounts per case out of scale (e.g. the fee per charged application), as 0 = fine, 1 = check."""
    rows = []
    for rc in spec.ratio_checks:
        num, den = rc.numerator.excel(), rc.denominator.excel()
        formula = (
            f"IF(AND(ISNUMBER({num}),ISNUMBER({den}),N({den})>0,N({num})>0),"
            f"IF(AND({num}/{den}>={rc.min:g},{num}/{den}<={rc.max:g}),0,1),0)"
        )
        keys = [(rc.numerator.sheet, rc.numerator.cells()[0]), (rc.denominator.sheet, rc.denominator.cells()[0])]

        def compute(values: dict, keys=keys, rc=rc) -> tuple[float, float]:
            top, bottom = (values.get(k) for k in keys)
            if not (_is_number(top) and _is_number(bottom)) or bottom <= 0 or top <= 0:
                return 0, 0
            return (0 if rc.min <= top / bottom <= rc.max else 1), 0

        rows.append(
            CheckRow(
                rc.id,
                rc.severity,
                f"{rc.what}在 {rc.min:g}–{rc.max:g} {rc.unit} 之间（不在时为 1）",
                "六、其他事项",
                formula,
                "==",
                "0",
                rc.hint,
                compute=compute,
            )
        )
    return rows


def _rule_order(rule: str) -> tuple[str, int]:
    """'R5' -> ('R', 5): R10 after R9, not after R1."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", rule)
    return (m.group(1), int(m.group(2))) if m else (rule, 0)
