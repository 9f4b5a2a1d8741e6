"""The rule catalogue and the content rules: plain functions of a filled report, whatever its source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .compute import tidy
from .findings import SEVERITY_ZH, Finding, Result
from .livechecks import CHECK_COLUMNS, CHECK_FIRST_ROW, CHECK_SHEET, check_rows
from .model import FilledReport
from .reader import RawWorkbook
from .spec import TEXT_TYPES, Check, Ref, Spec, available_formats, load_spec, parse_sum_formula


@dataclass(frozen=True)
class RuleInfo:
    id: str
    topic: str
    severity: str
    title: str


# Built-in rules; the consistency rules (R1–R4, R6, X1) come from the spec.
BUILTIN = [
    RuleInfo("E0", "读取", "error", "文件无法读取（损坏、加密、扫描件、不是工作簿或报告等）"),
    RuleInfo("S1", "结构", "error", "gktool 工作簿的格式版本未知"),
    RuleInfo("S9", "结构", "warning", "不是 gktool 生成的工作簿（按标签找到官方表格读取）"),
    RuleInfo("S10", "结构", "warning", "工作簿中多了工作表（其中的内容不会被读取）"),
    RuleInfo("D1", "读取", "warning", "网页中有无法识别的字符（已用“�”代替）"),
    RuleInfo("P1", "读取", "warning", "PDF 中有扫描的页面（没有文字层，其中的内容未读取）"),
    RuleInfo("P2", "读取", "warning", "PDF 页面上的线条过多，未在该页查找表格"),
    RuleInfo(
        "P3",
        "读取",
        "warning",
        "gktool 未能读出文件中印着的数字或行（写明行和页）；结论为“未能完整读取”，退出码 3",
    ),
    RuleInfo("T1", "表格识别", "error", "缺少官方表格或表格中的行"),
    RuleInfo("T2", "表格识别", "warning", "表格标签与官方文字不一致（按官方标签读取）"),
    RuleInfo("T3", "表格识别", "warning", "分组只有一行，没有官方格式的分项"),
    RuleInfo("T4", "表格识别", "error", "一行的数字无法分清各栏（未读取）"),
    RuleInfo("T5", "表格识别", "warning", "应填数字的单元格为空白或“/”“—”（按 0 读取）"),
    RuleInfo("S2", "结构", "error", "缺少工作表"),
    RuleInfo("S3", "结构", "error", "表格标签被修改"),
    RuleInfo("S4", "结构", "error", "表格中插入或删除了行、列"),
    RuleInfo("S5", "结构", "error", "工作簿包含宏（VBA）"),
    RuleInfo("S6", "结构", "error", "工作簿包含外部链接"),
    RuleInfo("S7", "结构", "warning", "工作簿由另一版本的模板生成（版式指纹不同）"),
    RuleInfo("S8", "结构", "warning", "表格区域以外还有内容（不会被读取）"),
    RuleInfo("C1", "封面", "error", "必填的封面信息未填写或不正确"),
    RuleInfo("R5", "数据类型", "error", "数量须为不小于0的整数，金额须为不小于0的数；不能填文字"),
    RuleInfo("R7", "数据类型", "warning", "金额超过两位小数，或大小不合常理（可能把“元”与“万元”弄错，请核实单位）"),
    RuleInfo("F1", "公式", "error", "合计单元格的公式被删除或改动"),
    RuleInfo("F2", "公式", "warning", "文件中保存的合计值与按填报数据重新计算的值不一致"),
    RuleInfo("F3", "公式", "warning", "“校验”表的公式被改动"),
    RuleInfo("X2", "跨表", "warning", "收取信息处理费的件数与金额不匹配（一个为0、另一个不为0）"),
    RuleInfo("C2", "封面", "warning", "报告年度与文字说明中的统计期限不一致"),
    RuleInfo("K1", "完整性", "error", "联系方式（地址、电话、网站）未填写"),
    RuleInfo("K2", "完整性", "warning", "必写的文字部分（总体情况、存在的主要问题）是空的"),
    RuleInfo("K3", "完整性", "error", "三张表格都没有填写任何数字"),
    RuleInfo("K4", "完整性", "error", "信息处理费的件数或金额留空（没有收取应填 0）"),
    RuleInfo("R9", "文字与表格", "warning", "文字说明中引用的数字与表格不一致，或没有写明信息处理费"),
    RuleInfo("R11", "格式", "warning", "表格中有 2019 年试行格式的栏目"),
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
    from .crossyear import CATALOGUE  # the cross-year rules (validate --previous)

    rules.extend(CATALOGUE)
    order = ["E", "D", "P", "S", "T", "C", "K", "R", "F", "X", "Y"]
    return sorted(rules, key=lambda r: (order.index(r.id[0]), int(r.id[1:])))


def catalogue_markdown(spec: Spec) -> str:
    lines = ["| 编号 | 类别 | 级别 | 检查内容 |", "| --- | --- | --- | --- |"]
    for r in catalogue(spec):
        lines.append(f"| {r.id} | {r.topic} | {SEVERITY_ZH[r.severity]} | {r.title} |")
    return "\n".join(lines)


def _num_text(x) -> str:
    return str(tidy(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else f"“{x}”"


class _Content:
    """The content rules over one filled report; each adds findings, none raises for a wrong value."""

    def __init__(self, report: FilledReport):
        self.r = report
        self.spec = report.spec
        self.findings: list[Finding] = []

    def add(self, rule, severity, sheet, cells, message, expected=None, actual=None):
        self.findings.append(Finding(rule, severity, sheet, tuple(cells), message, expected, actual))

    def run(self) -> list[Finding]:
        self.values()
        self.cover()
        self.completeness()
        self.consistency()
        self.fee_pair()
        self.ratios()
        self.narrative()
        self.years()
        return self.findings

    # ------------------------------------------------------------ values
    def values(self) -> None:
        """R5/R7/C1 on numbers as read: sign, whole numbers, decimals, plausibility, ranges."""
        r = self.r
        for sheet in self.spec.sheets:
            if not r.has(sheet.name):
                continue
            for c in sheet.inputs:
                t = self.spec.types[c.type]
                value = r.values.get((sheet.name, c.cell))
                if t.key in TEXT_TYPES or not isinstance(value, float):
                    continue
                if (
                    value >= (t.min if t.min is not None else value)
                    and (t.max is None or value <= t.max)
                    and (not t.integer or value.is_integer())
                    and (t.decimals is None or round(value, t.decimals) == value)
                    and (t.plausible_max is None or value <= t.plausible_max)
                ):
                    continue  # the common case: nothing to say
                home = r.home(sheet.name)
                where, cells = r.describe(sheet.name, c.cell), [r.cell_ref(sheet.name, c.cell, home)]
                if (
                    (t.min is not None and value < t.min)
                    or (t.max is not None and value > t.max)
                    or (t.integer and not value.is_integer())
                ):
                    r.flagged.add((sheet.name, c.cell))  # the sums through it are consequences: one finding
                if t.min is not None and value < t.min:
                    self.add(
                        "C1" if c.field else "R5",
                        "error",
                        home,
                        cells,
                        f"{where}填的是 {_num_text(value)}，不能小于 {tidy(t.min)}。",
                        None,
                        tidy(value),
                    )
                elif t.max is not None and value > t.max:
                    self.add(
                        "C1" if c.field else "R5",
                        "error",
                        home,
                        cells,
                        f"{where}填的是 {_num_text(value)}，超出了允许的范围（{tidy(t.min)}–{tidy(t.max)}）。",
                        None,
                        tidy(value),
                    )
                elif t.integer and not value.is_integer():
                    self.add(
                        "C1" if c.field else "R5",
                        "error",
                        home,
                        cells,
                        f"{where}填的是 {value}，这里应填整数。",
                        None,
                        value,
                    )
                else:
                    if t.decimals is not None and round(value, t.decimals) != round(value, 9):
                        self.add(
                            "R7",
                            "warning",
                            home,
                            cells,
                            f"{where}填的是 {value}，金额最多保留两位小数，请四舍五入到分。",
                            None,
                            value,
                        )
                    if t.plausible_max is not None and value > t.plausible_max:
                        self.add(
                            "R7",
                            "warning",
                            home,
                            cells,
                            f"{where}填的是 {_num_text(value)}{t.unit}，大得不合常理；请核实单位是“{t.unit}”（例如把元填成了万元）。",
                            None,
                            tidy(value),
                        )

    def cover(self) -> None:
        """C1: required cover fields (where the source has a cover at all)."""
        r = self.r
        for sheet, f, c, value in self._fields(lambda f: f.required):
            if value is None or (isinstance(value, str) and not value.strip()):
                home = r.home(sheet.name)
                extra = "（四位年份，如 2023）" if f.type == "year" else ""
                self.add(
                    "C1",
                    "error",
                    home,
                    [r.cell_ref(sheet.name, c.cell, home)],
                    f"{r.describe(sheet.name, c.cell)}未填写，这是必填项{extra}。",
                )

    def _fields(self, predicate):
        """(sheet, field, cell, value) of the form fields the source holds and could read."""
        r = self.r
        for sheet in self.spec.sheets:
            if sheet.kind != "form" or not r.has(sheet.name):
                continue
            for f in sheet.fields:
                c = sheet.field_cell(f.key)
                if predicate(f) and (sheet.name, c.cell) not in r.unread:
                    yield sheet, f, c, r.values.get((sheet.name, c.cell))

    # ------------------------------------------------------------ completeness
    def completeness(self) -> None:
        """K1–K4: what a publishable report cannot leave empty (fields the spec marks `publish`)."""
        r = self.r
        missing_contact = []
        for sheet, f, c, value in self._fields(lambda f: f.publish):
            home = r.home(sheet.name)
            cells = [r.cell_ref(sheet.name, c.cell, home)]
            if f.type == "text":
                if not (isinstance(value, str) and value.strip()):
                    missing_contact.append((home, cells[0], f.label))
            elif f.type == "narrative":
                if not (isinstance(value, str) and value.strip()):
                    self.add(
                        "K2",
                        "warning",
                        home,
                        cells,
                        f"{r.describe(sheet.name, c.cell)}是空的。生成报告时只能由表格数字写一段概述；"
                        "请写明本单位的实际情况后再发布。",
                    )
            elif value is None:
                self.add(
                    "K4",
                    "error",
                    home,
                    cells,
                    f"{r.describe(sheet.name, c.cell)}是空白。没有收取的请填 0，留空无法确认是否收取过。",
                )
        if missing_contact:
            home = missing_contact[0][0]
            names = "、".join(label for _, _, label in missing_contact)
            self.add(
                "K1",
                "error",
                home,
                [cell for _, cell, _ in missing_contact],
                f"联系方式未填写：{names}。报告结尾要写明咨询的地址、电话和网站，没有这些的报告不能发布。",
            )
        tables = [s for s in self.spec.sheets if s.kind == "table" and r.has(s.name)]
        keys = [(s.name, c.cell) for s in tables for c in s.inputs]
        if keys and all(r.values.get(k) is None and k not in r.unread for k in keys):
            self.add(
                "K3",
                "error",
                r.home(tables[0].name),
                [],
                "表二、表三、表四都没有填写任何数字。没有发生的事项请填 0；全部留空的表格看不出是否填写过。",
            )

    def ratios(self) -> None:
        """Amounts per case that are out of scale: almost surely typed in the wrong unit."""
        r = self.r
        for rc in self.spec.ratio_checks:
            num, den = rc.numerator, rc.denominator
            keys = [(num.sheet, x) for x in num.cells()] + [(den.sheet, x) for x in den.cells()]
            if not all(r.has(k[0]) for k in keys) or any(k in r.unread or r.values.get(k) is None for k in keys):
                continue
            top, bottom = r.evaluator.sum((num,)), r.evaluator.sum((den,))
            if bottom <= 0 or top <= 0:
                continue
            each = top / bottom
            if rc.min <= each <= rc.max:
                continue
            home = r.home(num.sheet)
            self.add(
                rc.id,
                rc.severity,
                home,
                [r.cell_ref(*k, home) for k in keys],
                f"{rc.what}是 {_num_text(round(each, 2))} {rc.unit}（{_num_text(top)} ÷ {_num_text(bottom)}），"
                f"不在常见的 {_num_text(rc.min)}–{_num_text(rc.max)} {rc.unit} 之间。{rc.hint}。",
                None,
                round(each, 2),
            )

    # ------------------------------------------------------------ consistency
    def consistency(self) -> None:
        r = self.r
        for check in self.spec.checks:
            if any(not r.has(ref.sheet) for ref in check.left + check.right):
                continue
            left, right, ok = r.evaluator.check(check)
            if ok:
                continue
            keys = {(ref.sheet, x) for ref in check.left + check.right for x in ref.cells()}
            keys |= {k for k in list(keys) for k in self._addend_keys(*k)}
            if keys & (r.unread | r.flagged):
                continue  # the cause has its own finding at its cell: one mistake, one finding
            self._report_check(check, left, right)

    def _addend_keys(self, sheet: str, cell: str) -> list[tuple[str, str]]:
        c = self.spec.sheet(sheet).spec_cell(cell)
        if c is None or c.kind != "computed" or (sheet, cell) not in self.r.live:
            return []
        return [(ref.sheet, x) for ref in parse_sum_formula(c.formula, sheet) for x in ref.cells()]

    def _terms(self, check: Check, refs: tuple[Ref, ...]) -> str:
        r = self.r
        out = []
        for ref in refs:
            sheet = self.spec.sheet(ref.sheet)
            cells = ref.cells()
            if len(cells) == 1:
                if check.where.endswith("”列"):
                    label = sheet.row_label(cells[0]) or sheet.describe(cells[0])
                elif check.where.endswith("”行"):
                    label = sheet.col_label(cells[0])
                else:
                    label = sheet.describe(cells[0])
                out.append(f"{label}（{r.place(ref.sheet, cells[0]).at}）{_num_text(r.number(ref.sheet, cells[0]))}")
            else:
                a, b = r.place(ref.sheet, cells[0]), r.place(ref.sheet, cells[-1])
                span = (
                    f"{a.sheet}!{a.cell}:{b.cell}"
                    if a.sheet == b.sheet and "!" not in a.at[len(a.sheet) + 1 :]
                    else f"{a.at} 至 {b.at}"
                )
                out.append(f"{span} 各项之和 {_num_text(r.evaluator.sum((ref,)))}")
        return " + ".join(out)

    def _report_check(self, check: Check, left: float, right: float) -> None:
        r = self.r
        home = r.home(check.sheet)
        cells = []
        for ref in check.left + check.right:
            for x in ref.cells():
                for k in [(ref.sheet, x)] + self._addend_keys(ref.sheet, x):
                    c = r.cell_ref(*k, home)
                    if c not in cells:
                        cells.append(c)
        sheet = self.spec.sheet(check.sheet)
        where = f"{sheet.short}{check.where}" if check.where else sheet.short
        relation = {"==": "应等于", ">=": "应不少于", "<=": "应不超过"}[check.op]
        diff = f"，相差 {_num_text(abs(left - right))}" if check.op == "==" else ""
        msg = (
            f"{where}：{check.title}不成立。{self._terms(check, check.left)}，合计 {_num_text(left)}；"
            f"{relation} {self._terms(check, check.right)}，合计 {_num_text(right)}{diff}。{check.hint}。"
        )
        self.add(check.rule, check.severity, home, cells, msg, tidy(right), tidy(left))

    def fee_pair(self) -> None:
        r = self.r
        fc, fa = self.spec.field_cells.get("fee_count"), self.spec.field_cells.get("fee_amount")
        if fc is None or fa is None or not r.has(fc.sheet) or {(fc.sheet, fc.cell), (fa.sheet, fa.cell)} & r.unread:
            return
        count, amount = r.number(fc.sheet, fc.cell), r.number(fa.sheet, fa.cell)
        if (count > 0) != (amount > 0):
            home = r.home(fc.sheet)
            self.add(
                "X2",
                "warning",
                home,
                [r.cell_ref(fc.sheet, fc.cell, home), r.cell_ref(fa.sheet, fa.cell, home)],
                f"收取信息处理费的件数是 {_num_text(count)}，金额是 {_num_text(amount)} 元，两者应同时为0或同时大于0，请核对。",
                None,
                tidy(amount),
            )

    # ------------------------------------------------------------ narrative
    def narrative(self) -> None:
        r = self.r
        for sheet in self.spec.sheets:
            if not r.has(sheet.name):
                continue
            for c in sheet.inputs:
                if c.type != "narrative":
                    continue
                text = r.values.get((sheet.name, c.cell))
                if not isinstance(text, str) or not text:
                    continue
                home = r.home(sheet.name)
                for nc in self.spec.narrative_checks:
                    if any(not r.has(ref.sheet) for ref in nc.cells):
                        continue
                    keys = {(ref.sheet, x) for ref in nc.cells for x in ref.cells()}
                    keys |= {k for k in list(keys) for k in self._addend_keys(*k)}
                    if keys & (r.unread | r.flagged):
                        continue  # the table's number is already in question at its own cell
                    want = r.evaluator.sum(nc.cells)
                    for m in re.finditer(nc.pattern, text):
                        got = float(m.group(1))
                        if abs(got - want) <= 0.005 or self._other_year(text, m.start()):
                            continue
                        quote = text[max(0, m.start() - 6) : m.end() + 2].replace("\n", " ")
                        places = "、".join(r.describe(ref.sheet, x) for ref in nc.cells for x in ref.cells())
                        self.add(
                            "R9",
                            "warning",
                            home,
                            [r.cell_ref(sheet.name, c.cell, home)]
                            + [r.cell_ref(ref.sheet, x, home) for ref in nc.cells for x in ref.cells()],
                            f"{r.describe(sheet.name, c.cell)}中写“…{quote}…”，{nc.what}是 {_num_text(got)}，"
                            f"但表格中为 {_num_text(want)}（{places}）。请使文字与表格一致。",
                            tidy(want),
                            tidy(got),
                        )

    def _other_year(self, text: str, at: int) -> bool:
        """Whether the sentence around a number speaks of another year ("2022年新收…", "上年…")."""
        start = max(text.rfind(p, 0, at) for p in "。；;\n") + 1
        sentence = text[start:at]
        if re.search(r"上年|去年|上一年|同比|较上年|前年", sentence):
            return True
        years = [int(y) for y in re.findall(r"(20\d\d)\s*年", sentence)]
        return bool(years) and self.r.year is not None and years[-1] != self.r.year

    def years(self) -> None:
        """C2: the report year against the year the text gives for the statistical period."""
        r = self.r
        if r.year is None:
            return
        for sheet in self.spec.sheets:
            if not r.has(sheet.name):
                continue
            for c in sheet.inputs:
                text = r.values.get((sheet.name, c.cell))
                if c.type != "narrative" or not isinstance(text, str):
                    continue
                m = re.search(
                    r"(20\d\d)\s*年\s*1\s*月\s*1\s*日\s*(?:起\s*)?至\s*(?:20\d\d\s*年\s*)?12\s*月\s*31\s*日", text
                )
                if m and int(m.group(1)) != r.year:
                    home = r.home(sheet.name)
                    self.add(
                        "C2",
                        "warning",
                        home,
                        [r.cell_ref(sheet.name, c.cell, home)],
                        f"{r.describe(sheet.name, c.cell)}写的统计期限是“{m.group(0)}”，但报告年度是 {r.year} 年。"
                        "请核对年度（可能沿用了上年的文字）。",
                        r.year,
                        int(m.group(1)),
                    )


def check_report(report: FilledReport) -> list[Finding]:
    """The content rules on one filled report: a list of findings (none for a clean report)."""
    return _Content(report).run()


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


@dataclass
class Analysis:
    """A checked report: the filled report (None when it could not be read) and the verdict."""

    report: FilledReport | None
    result: Result
    previous: FilledReport | None = None  # last year's report, when one was given (report --previous)

    @property
    def spec(self) -> Spec | None:
        return self.report.spec if self.report else None

    def number(self, sheet: str, cell: str) -> float:
        """A value as the rules see it."""
        return self.report.number(sheet, cell)

    def field(self, key: str):
        """A cover or narrative field by its spec key."""
        return self.report.field(key)


def analyse(wb: RawWorkbook, spec: Spec | None = None) -> Analysis:
    """Check a workbook already read from its zip: the reader's findings, then the content rules."""
    from .readers.spreadsheet import report_from_raw_workbook
    from .readers.workbook import is_gktool_workbook, read_gktool_workbook, select_spec

    result = Result(wb.path)
    if not is_gktool_workbook(wb):
        return finish(*report_from_raw_workbook(wb, spec), result)
    findings: list[Finding] = []
    chosen = select_spec(wb, findings, spec)
    if chosen is None:
        return finish(None, findings, result)
    report, own = read_gktool_workbook(wb, chosen)
    return finish(report, findings + own, result)


def finish(report: FilledReport | None, findings: list[Finding], result: Result) -> Analysis:
    """The verdict: the reader's findings, then the content rules on what it read."""
    result.findings.extend(findings)
    if report is None:
        return Analysis(None, result)
    result.kind = report.kind
    result.format = report.spec.format_id
    result.unit, result.year = report.unit, report.year
    result.findings.extend(check_report(report))
    return Analysis(report, result)


def check_workbook(wb: RawWorkbook, spec: Spec | None = None) -> Result:
    """The verdict on a workbook already read from its zip."""
    return analyse(wb, spec).result
