"""The rule catalogue and the checks that turn a read workbook into findings."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .compute import Evaluator, tidy
from .findings import SEVERITY_ZH, Finding, Result
from .livechecks import CHECK_COLUMNS, CHECK_FIRST_ROW, CHECK_SHEET, check_rows
from .locate import LocatedSheet, label_at, located_sheets, normalize_label
from .reader import RawCell, RawWorkbook
from .spec import (TEXT_TYPES, Check, Ref, Spec, available_formats, cell_name, load_spec, parse_cell,
                   parse_sum_formula, spec_for_format_id)

PROP_FORMAT, PROP_VERSION, PROP_FINGERPRINT = "gktool.format", "gktool.format_version", "gktool.fingerprint"


@dataclass(frozen=True)
class RuleInfo:
    id: str
    topic: str
    severity: str
    title: str


# Built-in rules; the consistency rules (R1–R4, R6, X1) come from the spec.
BUILTIN = [
    RuleInfo("E0", "读取", "error", "文件无法读取（损坏、加密、旧版 .xls、不是工作簿等）"),
    RuleInfo("S1", "结构", "error", "不是 gktool 生成的工作簿，或格式版本未知"),
    RuleInfo("S2", "结构", "error", "缺少工作表"),
    RuleInfo("S3", "结构", "error", "表格标签被修改"),
    RuleInfo("S4", "结构", "error", "表格中插入或删除了行、列"),
    RuleInfo("S5", "结构", "error", "工作簿包含宏（VBA）"),
    RuleInfo("S6", "结构", "error", "工作簿包含外部链接"),
    RuleInfo("S7", "结构", "warning", "工作簿由另一版本的模板生成（版式指纹不同）"),
    RuleInfo("S8", "结构", "warning", "表格区域以外还有内容（不会被读取）"),
    RuleInfo("C1", "封面", "error", "必填的封面信息未填写或不正确"),
    RuleInfo("R5", "数据类型", "error", "数量须为不小于0的整数，金额须为不小于0的数；不能填文字"),
    RuleInfo("R7", "数据类型", "warning", "金额超过两位小数，或大得不合常理（可能把“元”填成了“万元”）"),
    RuleInfo("F1", "公式", "error", "合计单元格的公式被删除或改动"),
    RuleInfo("F2", "公式", "warning", "文件中保存的合计值与按填报数据重新计算的值不一致"),
    RuleInfo("F3", "公式", "warning", "“校验”表的公式被改动"),
    RuleInfo("X2", "跨表", "warning", "收取信息处理费的件数与金额不匹配（一个为0、另一个不为0）"),
    RuleInfo("R9", "文字与表格", "warning", "文字说明中引用的数字与表格不一致"),
]


def catalogue(spec: Spec) -> list[RuleInfo]:
    """Every rule id with its topic, severity and title, in a stable order."""
    rules = list(BUILTIN)
    seen = {r.id for r in rules}
    for c in spec.checks:
        if c.rule not in seen:
            seen.add(c.rule)
            topic = "跨表" if c.rule.startswith("X") else "勾稽关系"
            rules.append(RuleInfo(c.rule, topic, c.severity, c.title))
    order = ["E", "S", "C", "R", "F", "X"]
    return sorted(rules, key=lambda r: (order.index(r.id[0]), int(r.id[1:])))


def catalogue_markdown(spec: Spec) -> str:
    lines = ["| 编号 | 类别 | 级别 | 检查内容 |", "| --- | --- | --- | --- |"]
    for r in catalogue(spec):
        lines.append(f"| {r.id} | {r.topic} | {SEVERITY_ZH[r.severity]} | {r.title} |")
    return "\n".join(lines)


def normalize_formula(text: str | None) -> str:
    if not text:
        return ""
    text = text.lstrip("=").upper().replace("$", "").replace(" ", "")
    return re.sub(r"'([^']+)'!", lambda m: m.group(1).replace("''", "'") + "!", text)


def _num_text(x) -> str:
    return str(tidy(x)) if isinstance(x, (int, float)) else f"“{x}”"


class _Validation:
    def __init__(self, spec: Spec, wb: RawWorkbook, result: Result):
        self.spec = spec
        self.wb = wb
        self.result = result
        self.located: dict[str, LocatedSheet] = {}
        self.values: dict[tuple[str, str], object] = {}
        self.replaced: set[tuple[str, str]] = set()

    def add(self, rule, severity, sheet, cells, message, expected=None, actual=None):
        self.result.findings.append(Finding(rule, severity, sheet, tuple(cells), message, expected, actual))

    def place(self, sheet: str, cell: str) -> str:
        actual = self.located[sheet].where(cell) if sheet in self.located else cell
        return f"{self.spec.sheet(sheet).describe(cell)}（{sheet}!{actual}）"

    def actual(self, sheet: str, cell: str, home: str | None = None) -> str:
        a = self.located[sheet].where(cell) if sheet in self.located else cell
        return a if home is None or sheet == home else f"{sheet}!{a}"

    # ------------------------------------------------------------ structure
    def structure(self) -> None:
        wb, spec = self.wb, self.spec
        if wb.has_macros:
            self.add("S5", "error", "", [], "工作簿中含有宏（VBA 代码）。请用 gktool new 生成的工作簿重新填写，或在 Excel 中另存为不含宏的 .xlsx。")
        if wb.has_external_links:
            self.add("S6", "error", "", [], "工作簿中含有指向其他文件的外部链接，数字可能随其他文件变化。请把链接的单元格改为直接填写的数字后再保存。")
        fp = wb.properties.get(PROP_FINGERPRINT)
        if fp and fp != spec.fingerprint:
            self.add("S7", "warning", "", [], "这个工作簿由另一版本的模板生成，版式可能与当前格式略有不同；建议用 gktool new 生成新模板并转抄数据。")
        for sheet in spec.sheets:
            if sheet.name not in wb.sheets:
                self.add("S2", "error", sheet.name, [], f"缺少工作表“{sheet.name}”。工作表可能被删除或改名，请恢复原名称，或用 gktool new 重新生成模板后转抄。")
        self.located = located_sheets(spec, wb)
        for name, loc in self.located.items():
            moved = loc.moved
            if moved and loc.spec.kind == "table":
                spec_cell, actual = moved[0]
                self.add("S4", "error", name, [a for _, a in moved[:10]],
                         f"{loc.spec.short}中插入或删除了行或列（如{loc.spec.describe(spec_cell)}原在 {spec_cell}，现在 {actual}）。"
                         "请撤销插入或删除，保持官方表格的行列不变。")
            self._outside(loc)
            for lab in loc.spec.labels:
                actual, value = label_at(loc, lab.range)
                if normalize_label(value) != normalize_label(lab.text):
                    shown = "空白" if value in (None, "") else f"“{value}”"
                    self.add("S3", "error", name, [actual],
                             f"标签被修改：{name}!{actual} 应为“{lab.text}”，现在是{shown}。请恢复官方标签文字。",
                             None, None if value is None else str(value))

    def _outside(self, loc: LocatedSheet) -> None:
        """Content a person typed beside the form: kept out of the numbers, but worth a word."""
        rows, cols = loc.spec.bounds
        max_row, max_col = parse_cell(loc.where(cell_name(rows, cols)))
        stray = sorted((r, c) for (r, c), cell in loc.raw.cells.items()
                       if (r > max_row or c > max_col) and cell.value not in (None, ""))
        count = len(stray) + loc.raw.outside
        if count:
            shown = [cell_name(r, c) for r, c in stray[:5]]
            self.add("S8", "warning", loc.spec.name, shown,
                     f"工作表“{loc.spec.name}”在表格区域以外还有 {count} 个单元格有内容"
                     f"{'（如 ' + '、'.join(shown) + '）' if shown else ''}，这些内容不会被读取，也不会进入报告；"
                     "需要说明的情况请写在文字说明栏中。")

    # ------------------------------------------------------------ cell types
    def types(self) -> None:
        for name, loc in self.located.items():
            for c in loc.spec.inputs:
                raw = loc.raw_cell(c.cell)
                self.values[(name, c.cell)] = self._input_value(loc, c, raw)

    def _input_value(self, loc: LocatedSheet, c, raw: RawCell | None):
        name = loc.spec.name
        t = self.spec.types[c.type]
        value = None if raw is None else raw.value
        if t.key in TEXT_TYPES and isinstance(value, str) and (value.strip() or not c.field):
            return value.strip()
        if t.key not in TEXT_TYPES and isinstance(value, float) and not raw.damaged and not raw.formula \
                and value >= (t.min or 0) and (t.max is None or value <= t.max) \
                and (not t.integer or value.is_integer()) and (t.decimals is None or round(value, t.decimals) == value) \
                and (t.plausible_max is None or value <= t.plausible_max):
            return value      # the common case: a valid number, nothing to report
        where = self.place(name, c.cell)
        cells = [loc.where(c.cell)]
        if t.key in TEXT_TYPES:
            text = "" if value is None else (str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
            field = next(f for f in loc.spec.fields if f.key == c.field) if c.field else None
            if field is not None and field.required and not text.strip():
                self.add("C1", "error", name, cells, f"{where}未填写，这是必填项。")
            return text.strip()
        if raw is not None and raw.formula and value in (None, ""):
            self.add("R5", "error", name, cells, f"{where}填的是公式“={raw.formula}”且没有保存计算结果，无法读出数值。请直接填写数字。",
                     None, "=" + raw.formula)
            return None
        if value is None or value == "":
            if c.field == "year":
                self.add("C1", "error", name, cells, f"{where}未填写，这是必填项（四位年份，如 2023）。")
            return None
        if raw.damaged or isinstance(value, bool) or isinstance(value, str):
            text = str(value)
            digits = re.findall(r"\d+(?:\.\d+)?", text)
            hint = f"如果是 {digits[0]}，请只填数字 {digits[0]}，不要带单位或文字" if len(digits) == 1 else \
                "没有发生的请填 0，不要填“无”“—”等文字"
            kind = "数据已损坏，无法识别" if raw.damaged else (
                "填的是文本格式的数字（Excel 求和时会忽略它）" if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", text) else f"填的是文字“{text}”，不是数字")
            self.add("R5", "error", name, cells, f"{where}{kind}。这里应填{t.description}；{hint}。", None, text)
            return None
        if t.min is not None and value < t.min:
            self.add("R5", "error", name, cells, f"{where}填的是 {_num_text(value)}，不能小于 {tidy(t.min)}。", None, tidy(value))
            return None
        if t.max is not None and value > t.max:
            self.add("C1" if c.field else "R5", "error", name, cells, f"{where}填的是 {_num_text(value)}，超出了允许的范围（{tidy(t.min)}–{tidy(t.max)}）。", None, tidy(value))
            return None
        if t.integer and not float(value).is_integer():
            self.add("R5", "error", name, cells, f"{where}填的是 {value}，这里应填整数（件数、次数不能有小数）。", None, value)
            return value
        if t.decimals is not None and round(value, t.decimals) != round(value, 9):
            self.add("R7", "warning", name, cells, f"{where}填的是 {value}，金额最多保留两位小数，请四舍五入到分。", None, value)
        if t.plausible_max is not None and value > t.plausible_max:
            self.add("R7", "warning", name, cells,
                     f"{where}填的是 {_num_text(value)}{t.unit}，大得不合常理；请确认单位是“{t.unit}”（例如把元填成了万元）。",
                     None, tidy(value))
        return value

    # ------------------------------------------------------------ formulas
    def formulas(self) -> None:
        for name, loc in self.located.items():
            for c in loc.spec.computed:
                raw = loc.raw_cell(c.cell)
                expected = self._expected_formula(loc, c)
                found = raw.formula if raw is not None else None
                if normalize_formula(found) == normalize_formula(expected):
                    continue
                where, cells = self.place(name, c.cell), [loc.where(c.cell)] + self._addends(name, c.cell)
                self.replaced.add((name, c.cell))
                value = None if raw is None else raw.value
                self.values[(name, c.cell)] = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
                if found:
                    msg = f"{where}的公式应为“={expected}”，现在是“={found}”。请恢复原公式（或用 gktool new 重新生成模板后转抄）。"
                else:
                    shown = "空白" if value in (None, "") else f"固定值 {_num_text(value)}"
                    msg = f"{where}的合计公式被删除，现在是{shown}。合计必须由公式“={expected}”自动计算。"
                self.add("F1", "error", name, cells, msg, None, None if found is None and value is None else
                         ("=" + found if found else (tidy(value) if isinstance(value, (int, float)) else str(value))))
        evaluator = Evaluator(self.spec, self.values, self.replaced)
        self.evaluator = evaluator
        for name, loc in self.located.items():
            for c in loc.spec.computed:
                if (name, c.cell) in self.replaced:
                    continue
                raw = loc.raw_cell(c.cell)
                if raw is None or not isinstance(raw.value, float):
                    continue
                want = evaluator.value(name, c.cell)
                if abs(raw.value - want) > 0.005:
                    self.add("F2", "warning", name, [loc.where(c.cell)],
                             f"{self.place(name, c.cell)}在文件中保存的值是 {_num_text(raw.value)}，按填报数据重新计算应为 {_num_text(want)}。"
                             "请在 Excel/WPS 中重新计算（Ctrl+Alt+F9）后保存；本工具以重新计算的值为准。",
                             tidy(want), tidy(raw.value))
        self._check_sheet()

    def _expected_formula(self, loc: LocatedSheet, c) -> str:
        """The spec formula, with references moved along if rows/columns moved."""
        refs = parse_sum_formula(c.formula, loc.spec.name)
        parts = []
        for r in refs:
            a, _, b = r.range.partition(":")
            parts.append(loc.where(a) + (":" + loc.where(b) if b else ""))
        return f"SUM({','.join(parts)})"

    def _check_sheet(self) -> None:
        raw = self.wb.sheets.get(CHECK_SHEET)
        if raw is None:
            self.add("F3", "warning", CHECK_SHEET, [], "缺少“校验”工作表，填写时无法随时看到检查结果（不影响本工具的检查）。")
            return
        changed = []
        for i, row in enumerate(check_rows(self.spec)):
            r = CHECK_FIRST_ROW + i
            for col, want in ((5, row.left_formula), (7, row.right_formula), (8, row.status_formula(r))):
                cell = raw.cells.get((r, col))
                if normalize_formula(cell.formula if cell else None) != normalize_formula(want):
                    changed.append(f"{'ABCDEFGHI'[col - 1]}{r}")
        if changed:
            self.add("F3", "warning", CHECK_SHEET, changed[:20],
                     f"“校验”表中有 {len(changed)} 个公式被改动或删除，表内显示的检查结果不可信（本工具的检查不受影响）。")

    def _addends(self, sheet: str, cell: str) -> list[str]:
        c = self.spec.sheet(sheet).spec_cell(cell)
        if c is None or c.kind != "computed":
            return []
        return [self.actual(r.sheet, x) for r in parse_sum_formula(c.formula, sheet) for x in r.cells()]

    # ------------------------------------------------------------ consistency
    def consistency(self) -> None:
        for check in self.spec.checks:
            if any(r.sheet not in self.located for r in check.left + check.right):
                continue
            left, right, ok = self.evaluator.check(check)
            if ok:
                continue
            self._report_check(check, left, right)
        self._fee_pair()

    def _terms(self, check: Check, refs: tuple[Ref, ...]) -> str:
        out = []
        for r in refs:
            sheet = self.spec.sheet(r.sheet)
            cells = r.cells()
            if len(cells) == 1:
                if check.where.endswith("列”列") or check.where.endswith("”列"):
                    label = sheet.row_label(cells[0]) or sheet.describe(cells[0])
                elif check.where.endswith("”行"):
                    label = sheet.col_label(cells[0])
                else:
                    label = sheet.describe(cells[0])
                out.append(f"{label}（{r.sheet}!{self.actual(r.sheet, cells[0])}）{_num_text(self.evaluator.value(r.sheet, cells[0]))}")
            else:
                a, b = self.actual(r.sheet, cells[0]), self.actual(r.sheet, cells[-1])
                out.append(f"{r.sheet}!{a}:{b} 各项之和 {_num_text(self.evaluator.sum((r,)))}")
        return " + ".join(out)

    def _report_check(self, check: Check, left: float, right: float) -> None:
        cells = []
        for r in check.left + check.right:
            for x in r.cells():
                for c in [self.actual(r.sheet, x, check.sheet)] + [
                        a if r.sheet == check.sheet else f"{r.sheet}!{a}" for a in self._addends(r.sheet, x)]:
                    if c not in cells:
                        cells.append(c)
        sheet = self.spec.sheet(check.sheet)
        where = f"{sheet.short}{check.where}" if check.where else sheet.short
        relation = {"==": "应等于", ">=": "应不少于", "<=": "应不超过"}[check.op]
        diff = f"，相差 {_num_text(abs(left - right))}" if check.op == "==" else ""
        msg = (f"{where}：{check.title}不成立。{self._terms(check, check.left)}，合计 {_num_text(left)}；"
               f"{relation} {self._terms(check, check.right)}，合计 {_num_text(right)}{diff}。{check.hint}。")
        self.add(check.rule, check.severity, check.sheet, cells, msg, tidy(right), tidy(left))

    def _fee_pair(self) -> None:
        fc, fa = self.spec.field_cells.get("fee_count"), self.spec.field_cells.get("fee_amount")
        if fc is None or fa is None or fc.sheet not in self.located:
            return
        count, amount = self.evaluator.value(fc.sheet, fc.cell), self.evaluator.value(fa.sheet, fa.cell)
        if (count > 0) != (amount > 0):
            self.add("X2", "warning", fc.sheet, [self.actual(fc.sheet, fc.cell), self.actual(fa.sheet, fa.cell)],
                     f"收取信息处理费的件数是 {_num_text(count)}，金额是 {_num_text(amount)} 元，两者应同时为0或同时大于0，请核对。",
                     None, tidy(amount))

    # ------------------------------------------------------------ narrative
    def narrative(self) -> None:
        for name, loc in self.located.items():
            for c in loc.spec.inputs:
                if c.type != "narrative":
                    continue
                text = self.values.get((name, c.cell)) or ""
                if not text:
                    continue
                for nc in self.spec.narrative_checks:
                    if any(r.sheet not in self.located for r in nc.cells):
                        continue
                    want = self.evaluator.sum(nc.cells)
                    for m in re.finditer(nc.pattern, text):
                        got = float(m.group(1))
                        if abs(got - want) > 0.005:
                            quote = text[max(0, m.start() - 6):m.end() + 2].replace("\n", " ")
                            places = "、".join(self.place(r.sheet, x) for r in nc.cells for x in r.cells())
                            self.add("R9", "warning", name, [loc.where(c.cell)] + [self.actual(r.sheet, x, name) for r in nc.cells for x in r.cells()],
                                     f"{self.place(name, c.cell)}中写“…{quote}…”，{nc.what}是 {_num_text(got)}，"
                                     f"但表格中为 {_num_text(want)}（{places}）。请使文字与表格一致。",
                                     tidy(want), tidy(got))


@cache
def sheet_areas() -> dict[str, tuple[int, int]]:
    """The area of every sheet any shipped spec defines, so one read serves all formats."""
    areas: dict[str, tuple[int, int]] = {}
    for name in available_formats():
        spec = load_spec(name)
        for s in spec.sheets:
            r, c = s.bounds
            pr, pc = areas.get(s.name, (0, 0))
            areas[s.name] = (max(r, pr), max(c, pc))
        rows = CHECK_FIRST_ROW + len(check_rows(spec))
        pr, pc = areas.get(CHECK_SHEET, (0, 0))
        areas[CHECK_SHEET] = (max(rows, pr), max(CHECK_COLUMNS, pc))
    return areas


def select_spec(wb: RawWorkbook, result: Result, default: Spec | None) -> Spec | None:
    fmt, version = wb.properties.get(PROP_FORMAT), wb.properties.get(PROP_VERSION)
    if fmt and version:
        spec = spec_for_format_id(f"{fmt}/{version}")
        if spec is None:
            result.findings.append(Finding("S1", "error", "", (), f"工作簿的格式版本“{fmt} {version}”本工具不认识，可能由更新版本的 gktool 生成；请升级 gktool。", None, f"{fmt}/{version}"))
        return spec
    spec = default or load_spec()
    result.findings.append(Finding("S1", "error", "", (), "工作簿缺少 gktool 的格式标识，不是由 gktool new 生成的模板（或标识被删除）。请用 gktool new 生成模板并转抄数据；以下按现行格式尽量检查。"))
    return spec


@dataclass
class Analysis:
    """A validated workbook: the findings plus the values a report is built from."""
    spec: Spec | None
    result: Result
    values: dict
    evaluator: Evaluator | None

    def number(self, sheet: str, cell: str) -> float:
        return self.evaluator.value(sheet, cell)

    def field(self, key: str):
        c = self.spec.field_cells[key]
        if c.type in TEXT_TYPES:
            return self.values.get((c.sheet, c.cell)) or ""
        return self.evaluator.value(c.sheet, c.cell)


def analyse(wb: RawWorkbook, spec: Spec | None = None) -> Analysis:
    """Validate a read workbook: every finding, no exceptions for wrong values."""
    result = Result(wb.path)
    spec = select_spec(wb, result, spec)
    if spec is None:
        return Analysis(None, result, {}, None)
    result.format = spec.format_id
    v = _Validation(spec, wb, result)
    v.structure()
    v.types()
    v.formulas()
    v.consistency()
    v.narrative()
    return Analysis(spec, result, v.values, v.evaluator)


def check_workbook(wb: RawWorkbook, spec: Spec | None = None) -> Result:
    return analyse(wb, spec).result
