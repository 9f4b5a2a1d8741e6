"""The content rules: plain functions of one filled report, whatever its source; they never change it."""

from __future__ import annotations

import re

from ..compute import tidy
from ..findings import Finding
from ..model import FilledReport
from ..refs import Ref, parse_sum_formula
from ..spec import TEXT_TYPES, Check


def _num_text(x) -> str:
    return str(tidy(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else f"“{x}”"


class _Content:
    """The content rules over one filled report; each adds findings, none raises for a wrong value."""

    def __init__(self, report: FilledReport):
        self.r = report
        self.spec = report.spec
        self.findings: list[Finding] = []
        self.flagged = set(report.flagged)  # cells with an error finding already; the report itself is not changed

    def add(self, rule, severity, sheet, cells, message, expected=None, actual=None):
        self.findings.append(Finding(rule, severity, sheet, tuple(cells), message, expected, actual))

    def run(self) -> list[Finding]:
        self.values()
        self.cover()
        self.completeness()
        self.consistency()
        self.pairs()
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
                    self.flagged.add((sheet.name, c.cell))  # the sums through it are consequences: one finding
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
        """K1–K4: what a publishable report cannot leave empty (fields the spec marks `publish`).

        Every source is held to this: a workbook or document that has no place for the contact
        details or the fee at all is missing them just as a blank cell is (K1, K4 errors)."""
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
                self.add("K4", "error", home, cells, self._no_fee(sheet, f, c))
        if r.kind != "gktool":  # a gktool workbook always has these places (else S2 says the sheet is gone)
            for sheet in self.spec.sheets:
                if sheet.kind != "form" or r.has(sheet.name):
                    continue
                for f in sheet.fields:
                    if f.publish and f.type == "text":
                        missing_contact.append(("", "", f.label))
                    elif f.publish and f.type != "narrative":
                        self.add("K4", "error", "", [], self._no_fee(sheet, f, sheet.field_cell(f.key)))
        if missing_contact:
            home = missing_contact[0][0]
            names = "、".join(label for _, _, label in missing_contact)
            self.add(
                "K1",
                "error",
                home,
                [cell for _, cell, _ in missing_contact if cell],
                f"联系方式未填写：{names}。{self._contact_home()}没有这些的报告不能发布。",
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

    def _contact_home(self) -> str:
        """Where a source of this kind keeps the contact details, in the words of its author."""
        if self.r.kind == "gktool":
            return "报告结尾要写明咨询的地址、电话和网站，请在封面填写；"
        if self.r.kind in ("docx", "html", "pdf"):
            return (
                "报告中没有找到这些内容：请在报告开头写明电子版所在的网站和网址（如“本报告电子版可在××网站"
                "（http://…）下载”），在结尾写明“如对本报告有疑问，请与××联系（地址：…；电话：…）”；"
            )
        return "工作簿中没有找到或没有填写：请在工作簿中加上这几项，左边一格写名称（如“通信地址”），右边一格填写；"

    def _no_fee(self, sheet, f, c) -> str:
        """K4's message: which fee figure is missing and where it belongs in this kind of source."""
        r = self.r
        if r.kind in ("docx", "html", "pdf"):
            return (
                f"报告第{sheet.section or '六'}部分没有写明{f.label}：请在“{sheet.section or '六'}、{sheet.heading or sheet.name}”中"
                "写明收取信息处理费的件数和金额（没有收取的写明“本年度未收取信息处理费”）。"
            )
        if r.kind != "gktool" and (sheet.name, c.cell) not in r.places:
            return (
                f"工作簿中没有找到“{f.label}”：请在工作簿中加上这一项，左边一格写“{f.label}”，右边一格填数字"
                "（没有收取的填 0）。"
            )
        return f"{r.describe(sheet.name, c.cell)}是空白。没有收取的请填 0，留空无法确认是否收取过。"

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
            keys |= {k for k in list(keys) for k in self._addend_keys(*k, deep=True)}
            if keys & (r.unread | self.flagged):
                continue  # the cause has its own finding at its cell: one mistake, one finding
            self._report_check(check, left, right)

    def _addend_keys(self, sheet: str, cell: str, deep: bool = False) -> list[tuple[str, str]]:
        """The cells a live total is summed from; `deep`: through totals of totals too (表三's 总计 column sums
        each column's totals), so that a cell already reported anywhere below makes the total a consequence."""
        c = self.spec.sheet(sheet).spec_cell(cell)
        if c is None or c.kind != "computed" or (sheet, cell) not in self.r.live:
            return []
        out = []
        for key in ((ref.sheet, x) for ref in parse_sum_formula(c.formula, sheet) for x in ref.cells()):
            out += [key, *(self._addend_keys(*key, deep=True) if deep else ())]
        return out

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
                span = r.span(ref.sheet, cells[0], cells[-1])
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

    def pairs(self) -> None:
        """The spec's pair checks (X2): two figures that must be both 0 or both above 0."""
        r = self.r
        for pc in self.spec.pair_checks:
            keys = [(ref.sheet, x) for ref in (pc.first, pc.second) for x in ref.cells()]
            if not all(r.has(k[0]) for k in keys) or set(keys) & r.unread:
                continue
            if any(r.values.get(k) is None for k in keys):
                continue  # a blank is not a 0: K4 (or the reader) already says it is missing, one cause one finding
            first, second = r.evaluator.sum((pc.first,)), r.evaluator.sum((pc.second,))
            if (first > 0) == (second > 0):
                continue
            home = r.home(pc.first.sheet)
            self.add(
                pc.id,
                pc.severity,
                home,
                [r.cell_ref(*k, home) for k in keys],
                pc.message.format(first=_num_text(first), second=_num_text(second)),
                None,
                tidy(second),
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
                    keys |= {k for k in list(keys) for k in self._addend_keys(*k, deep=True)}
                    if keys & (r.unread | self.flagged):
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
