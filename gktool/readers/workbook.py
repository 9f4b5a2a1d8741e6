"""Reading a gktool workbook into the filled report, with the checks only such a workbook has.

A gktool workbook describes itself (custom properties, a defined name per input cell),
so its cells are found by name, or by label where rows moved. The checks here are about
the file, not the report: structure (S*), formulas (F*), cells that cannot be read as
numbers (R5 at the cell). Everything about the report's content is left to the rules.
"""

from __future__ import annotations

import re
import unicodedata

from ..cells import cell_name, parse_cell
from ..compute import tidy
from ..contract import (
    CHECK_FIRST_ROW,
    CHECK_SHEET,
    EXTRA_SHEETS_PROPERTY,
    PREVIOUS_FIRST_ROW,
    PREVIOUS_SHEET,
    PROP_FINGERPRINT,
    PROP_FORMAT,
    PROP_VERSION,
    previous_cells,
)
from ..findings import Finding
from ..livechecks import check_rows
from ..model import FilledReport, Place
from ..refs import parse_sum_formula
from ..spec import TEXT_TYPES, Spec, spec_for_format_id
from .locate import LocatedSheet, label_at, located_sheets, normalize_label
from .xlsx import RawCell, RawWorkbook

FULL_WIDTH_NUMBER = re.compile(r"\s*[-－]?[0-9０-９]+([.．][0-9０-９]+)?\s*")


def select_spec(wb: RawWorkbook, findings: list[Finding], default: Spec | None) -> Spec | None:
    """The spec a gktool workbook names; None (with S1) when this gktool does not know it."""
    fmt, version = wb.properties.get(PROP_FORMAT), wb.properties.get(PROP_VERSION)
    spec = spec_for_format_id(f"{fmt}/{version}") if default is None else default
    if spec is None:
        findings.append(
            Finding(
                "S1",
                "error",
                "",
                (),
                f"工作簿的格式版本“{fmt} {version}”本工具不认识：可能由更新版本的 gktool 或自定义的格式定义文件生成；请升级 gktool，或用 --spec 指定该格式定义文件。",
                None,
                f"{fmt}/{version}",
            )
        )
    return spec


def is_gktool_workbook(wb: RawWorkbook) -> bool:
    """Whether the workbook carries gktool's format stamp."""
    return bool(wb.properties.get(PROP_FORMAT) and wb.properties.get(PROP_VERSION))


def normalize_formula(text: str | None) -> str:
    """Formulas compared the way Excel means them: no '=', '$', spaces or sheet quotes."""
    if not text:
        return ""
    text = text.lstrip("=").upper().replace("$", "").replace(" ", "")
    return re.sub(r"'([^']+)'!", lambda m: m.group(1).replace("''", "'") + "!", text)


def num_text(x) -> str:
    """A number as a message shows it; text in Chinese quotes."""
    return str(tidy(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else f"“{x}”"


class WorkbookReading:
    """One pass over a gktool workbook: builds the filled report and the file findings."""

    def __init__(self, spec: Spec, wb: RawWorkbook):
        self.spec = spec
        self.wb = wb
        self.findings: list[Finding] = []
        self.located: dict[str, LocatedSheet] = {}
        self.report = FilledReport(spec, wb.path, "gktool")

    def add(self, rule, severity, sheet, cells, message, expected=None, actual=None):
        self.findings.append(Finding(rule, severity, sheet, tuple(cells), message, expected, actual))

    def read(self) -> tuple[FilledReport, list[Finding]]:
        """Structure, values, formulas; returns the report and the file's own findings."""
        self.structure()
        self.values()
        self.formulas()
        r = self.report
        if any(f.rule == "S4" for f in self.findings):
            # rows or columns moved: saved and recomputed totals differ for that reason; recalculating won't help
            self.findings = [f for f in self.findings if f.rule != "F2"]
        r.absent = {s.name for s in self.spec.sheets if s.name not in self.located}
        r.embedded_previous = self._embedded_previous()
        r.sheet_names = tuple(self.wb.sheet_names)
        unit, year = r.values.get(self._field_key("unit")), r.values.get(self._field_key("year"))
        r.unit = unit.strip() if isinstance(unit, str) and unit.strip() else None
        r.year = int(year) if isinstance(year, float) and year.is_integer() else None
        return r, self.findings

    def _embedded_previous(self) -> FilledReport | None:
        """Last year's figures from the hidden 上年数据 sheet `gktool new --previous` writes (None without it)."""
        raw = self.wb.sheets.get(PREVIOUS_SHEET)
        if raw is None:
            return None
        last = FilledReport(self.spec, f"{self.wb.path}（{PREVIOUS_SHEET}表）", "gktool")
        for i, key in enumerate(previous_cells(self.spec)):
            row = PREVIOUS_FIRST_ROW + i
            cell = raw.cells.get((row, 4))
            last.places[key] = Place(PREVIOUS_SHEET, f"D{row}", f"{PREVIOUS_SHEET}!D{row}")
            if cell is not None and isinstance(cell.value, float) and not cell.damaged:
                last.values[key] = cell.value
            else:
                last.unread.add(key)  # blank or damaged: that comparison is not made
        return last

    def _field_key(self, key: str):
        c = self.spec.field_cells.get(key)
        return (c.sheet, c.cell) if c else None

    def place(self, sheet: str, cell: str) -> str:
        return self.report.describe(sheet, cell)

    # ------------------------------------------------------------ structure
    def structure(self) -> None:
        wb, spec = self.wb, self.spec
        if wb.has_macros:
            self.add(
                "S5",
                "error",
                "",
                [],
                "工作簿中含有宏（VBA 代码）。请用 gktool new 生成的工作簿重新填写，或在 Excel 中另存为不含宏的 .xlsx。",
            )
        if wb.has_external_links:
            self.add(
                "S6",
                "error",
                "",
                [],
                "工作簿中含有指向其他文件的外部链接，数字可能随其他文件变化。请把链接的单元格改为直接填写的数字后再保存。",
            )
        fp = wb.properties.get(PROP_FINGERPRINT)
        if fp and fp != spec.fingerprint:
            self.add(
                "S7",
                "warning",
                "",
                [],
                "这个工作簿由另一版本的模板生成，版式可能与当前格式略有不同；建议用 gktool new 生成新模板并转抄数据。",
            )
        for sheet in spec.sheets:
            if sheet.name not in wb.sheets:
                self.add(
                    "S2",
                    "error",
                    sheet.name,
                    [],
                    f"缺少工作表“{sheet.name}”。工作表可能被删除或改名，请恢复原名称，或用 gktool new 重新生成模板后转抄。",
                )
        known = {s.name for s in spec.sheets} | {CHECK_SHEET, PREVIOUS_SHEET}
        # sheets another gktool command declares it added (gktool collect: 状态, 明细)
        known |= set(filter(None, wb.properties.get(EXTRA_SHEETS_PROPERTY, "").split(",")))
        extra = [n for n in wb.sheet_names if n not in known]
        if extra:
            self.add(
                "S10",
                "warning",
                "",
                [],
                f"工作簿中多了工作表{'、'.join('“' + n + '”' for n in extra[:5])}，其中的内容不会被读取，"
                "也不会进入报告；需要说明的情况请写在文字说明栏中。",
            )
        self.located = located_sheets(spec, wb)
        for name, loc in self.located.items():
            for c in loc.spec.cells:
                actual = loc.where(c.cell)
                self.report.places[(name, c.cell)] = Place(name, actual, f"{name}!{actual}")
            moved = loc.moved
            if moved and loc.spec.kind == "table":
                spec_cell, actual = moved[0]
                self.add(
                    "S4",
                    "error",
                    name,
                    [a for _, a in moved[:10]],
                    f"{loc.spec.short}中插入或删除了行或列（如{loc.spec.describe(spec_cell)}原在 {spec_cell}，现在 {actual}）。"
                    "请撤销插入或删除，保持官方表格的行列不变。",
                )
            self._outside(loc)
            for lab in loc.spec.labels:
                actual, value = label_at(loc, lab.range)
                if normalize_label(value) != normalize_label(lab.text):
                    shown = "空白" if value in (None, "") else f"“{value}”"
                    self.add(
                        "S3",
                        "error",
                        name,
                        [actual],
                        f"标签被修改：{name}!{actual} 应为“{lab.text}”，现在是{shown}。请恢复官方标签文字。",
                        None,
                        None if value is None else str(value),
                    )

    def _outside(self, loc: LocatedSheet) -> None:
        """Content a person typed beside the form: kept out of the numbers, but worth a word."""
        rows, cols = loc.spec.bounds
        max_row, max_col = parse_cell(loc.where(cell_name(rows, cols)))
        stray = sorted(
            (r, c)
            for (r, c), cell in loc.raw.cells.items()
            if (r > max_row or c > max_col) and cell.value not in (None, "")
        )
        count = len(stray) + loc.raw.outside
        if count:
            shown = [cell_name(r, c) for r, c in stray[:5]]
            self.add(
                "S8",
                "warning",
                loc.spec.name,
                shown,
                f"工作表“{loc.spec.name}”在表格区域以外还有 {count} 个单元格有内容"
                f"{'（如 ' + '、'.join(shown) + '）' if shown else ''}，这些内容不会被读取，也不会进入报告；"
                "需要说明的情况请写在文字说明栏中。",
            )

    # ------------------------------------------------------------ values
    def values(self) -> None:
        r = self.report
        for name, loc in self.located.items():
            used: set[str] = set()
            for c in loc.spec.inputs:
                actual = loc.where(c.cell)
                if actual in used:  # a deleted row or column: two spec cells land on one cell; never count it twice
                    r.values[(name, c.cell)] = None
                    r.unread.add((name, c.cell))
                    continue
                used.add(actual)
                raw = loc.raw_cell(c.cell)
                if raw is not None and raw.value not in (None, ""):
                    r.printed[(name, c.cell)] = _printed(raw.value)
                r.values[(name, c.cell)] = self._input_value(loc, c, raw)

    def _input_value(self, loc: LocatedSheet, c, raw: RawCell | None):
        """The value of an input cell; a cell that cannot be read as a number is R5 here and unread."""
        name = loc.spec.name
        t = self.spec.types[c.type]
        value = None if raw is None else raw.value
        if t.key in TEXT_TYPES:
            if value is None:
                return ""
            if isinstance(value, float):
                return str(int(value)) if value.is_integer() else str(value)
            return str(value).strip()
        if isinstance(value, float) and not raw.damaged and not raw.formula:
            if self.wb.is_date(raw):
                self.report.unread.add((name, c.cell))
                self.add(
                    "R5",
                    "error",
                    name,
                    [loc.where(c.cell)],
                    f"{self.place(name, c.cell)}这里是日期，不是{t.description}（Excel 会把“5-1”这样的输入自动变成日期）。"
                    "请把单元格格式改为“常规”或“数值”后重新填写数字。",
                    None,
                    tidy(value),
                )
                return None
            return value
        if value in (None, "") and not (raw is not None and raw.formula):
            return None
        key = (name, c.cell)
        where = self.place(name, c.cell)
        cells = [loc.where(c.cell)]
        self.report.unread.add(key)
        if raw.formula and value in (None, ""):
            self.add(
                "R5",
                "error",
                name,
                cells,
                f"{where}填的是公式“={raw.formula}”且没有保存计算结果，无法读出数值。请直接填写数字。",
                None,
                "=" + raw.formula,
            )
            return None
        if raw.formula and isinstance(value, float):
            self.add(
                "R5",
                "error",
                name,
                cells,
                f"{where}填的是公式“={raw.formula}”（结果 {num_text(value)}）。这里应直接填写数字，请把公式改为数字。",
                None,
                "=" + raw.formula,
            )
            self.report.unread.discard(key)
            return value
        text = str(value)
        if raw.damaged:
            kind, hint = "数据已损坏，无法识别", "请重新填写这个数字"
        elif FULL_WIDTH_NUMBER.fullmatch(text):
            half = unicodedata.normalize("NFKC", text).strip()
            if half != text.strip():
                kind, hint = f"填的是全角数字“{text.strip()}”", f"请用半角数字填写 {half}"
            else:
                kind, hint = "填的是文本格式的数字（Excel 求和时会忽略它）", f"请把单元格改为数字格式后重新填写 {half}"
        else:
            digits = re.findall(r"\d+(?:\.\d+)?", unicodedata.normalize("NFKC", text))
            kind = f"填的是文字“{text}”，不是数字"
            hint = (
                f"如果是 {digits[0]}，请只填数字 {digits[0]}，不要带单位或文字"
                if len(digits) == 1
                else "没有发生的请填 0，不要填“无”“—”等文字"
            )
        self.add("R5", "error", name, cells, f"{where}{kind}。这里应填{t.description}；{hint}。", None, text)
        return None

    # ------------------------------------------------------------ formulas
    def formulas(self) -> None:
        r = self.report
        for name, loc in self.located.items():
            for c in loc.spec.computed:
                key = (name, c.cell)
                raw = loc.raw_cell(c.cell)
                value = None if raw is None else raw.value
                numeric = isinstance(value, float)
                r.values[key] = value if numeric else None
                if raw is not None and value not in (None, ""):
                    r.printed[key] = _printed(value)
                expected = self._expected_formula(loc, c)
                found = raw.formula if raw is not None else None
                if normalize_formula(found) == normalize_formula(expected):
                    r.live.add(key)
                    continue
                where, cells = self.place(name, c.cell), [loc.where(c.cell)] + self._addends(name, c.cell)
                if found:
                    msg = f"{where}的公式应为“={expected}”，现在是“={found}”。请恢复原公式（或用 gktool new 重新生成模板后转抄）。"
                else:
                    shown = "空白" if value in (None, "") else f"固定值 {num_text(value)}"
                    msg = f"{where}的合计公式被删除，现在是{shown}。合计必须由公式“={expected}”自动计算。"
                r.flagged.add(key)
                self.add(
                    "F1",
                    "error",
                    name,
                    cells,
                    msg,
                    None,
                    None
                    if found is None and value is None
                    else ("=" + found if found else (tidy(value) if numeric else str(value))),
                )
        evaluator = r.evaluator
        for name, loc in self.located.items():
            for c in loc.spec.computed:
                key = (name, c.cell)
                if key not in r.live:
                    continue
                raw = loc.raw_cell(c.cell)
                if raw is None or not isinstance(raw.value, float):
                    continue
                want = evaluator.value(name, c.cell)
                if abs(raw.value - want) > 0.005:
                    self.add(
                        "F2",
                        "warning",
                        name,
                        [loc.where(c.cell)],
                        f"{self.place(name, c.cell)}在文件中保存的值是 {num_text(raw.value)}，按填报数据重新计算应为 {num_text(want)}。"
                        "文件保存时没有重新计算；本工具以重新计算的值为准，在 Excel/WPS 中打开后保存一次即可更新。",
                        tidy(want),
                        tidy(raw.value),
                    )
        self._check_sheet()

    def _expected_formula(self, loc: LocatedSheet, c) -> str:
        """The spec formula, with references moved along if rows/columns moved."""
        refs = parse_sum_formula(c.formula, loc.spec.name)
        parts = []
        for ref in refs:
            a, _, b = ref.range.partition(":")
            parts.append(loc.where(a) + (":" + loc.where(b) if b else ""))
        return f"SUM({','.join(parts)})"

    def _addends(self, sheet: str, cell: str) -> list[str]:
        c = self.spec.sheet(sheet).spec_cell(cell)
        if c is None or c.kind != "computed":
            return []
        return [self.report.cell_ref(r.sheet, x, sheet) for r in parse_sum_formula(c.formula, sheet) for x in r.cells()]

    def _check_sheet(self) -> None:
        """F3: formulas on the 校验 sheet that no check of this format would write (edited by hand).

        Judged by membership, not position, so a workbook from an earlier gktool, whose 校验 rows
        came in another order, is not taken for an edited one (S7 already says it is older)."""
        raw = self.wb.sheets.get(CHECK_SHEET)
        if raw is None:
            self.add(
                "F3", "warning", CHECK_SHEET, [], "缺少“校验”工作表，填写时无法随时看到检查结果（不影响本工具的检查）。"
            )
            return
        rows = check_rows(self.spec)
        sides = {normalize_formula(f) for row in rows for f in (row.left_formula, row.right_formula)}
        changed, present = [], 0
        cross_year = {r for (r, col), cell in raw.cells.items() if col == 1 and str(cell.value or "").startswith("Y")}
        for (r, col), cell in sorted(raw.cells.items()):
            if r < CHECK_FIRST_ROW or col not in (5, 7, 8) or r in cross_year:
                continue  # the Y rows compare with last year's hidden sheet (gktool new --previous)
            if not cell.formula:
                if col == 8 and cell.value not in (None, ""):
                    changed.append(f"H{r}")  # a status typed over its formula
                continue
            present += col == 8
            found = normalize_formula(cell.formula)
            # a workbook from before warnings showed 警告 says 不通过 on every row: its formulas are intact too
            ok = (
                found in sides
                if col != 8
                else any(
                    found in {normalize_formula(row.status_formula(r, t)) for t in ("不通过", "警告")} for row in rows
                )
            )
            if not ok:
                changed.append(f"{'ABCDEFGHI'[col - 1]}{r}")
        if changed or (rows and present == 0):  # edited formulas, or every status formula gone
            self.add(
                "F3",
                "warning",
                CHECK_SHEET,
                changed[:20],
                f"“校验”表中有 {max(len(changed), 1)} 个公式被改动或删除，表内显示的检查结果不可信（本工具的检查不受影响）。",
            )


def _printed(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_gktool_workbook(wb: RawWorkbook, spec: Spec) -> tuple[FilledReport, list[Finding]]:
    """A gktool workbook (already read from its zip) as a filled report plus its file findings."""
    return WorkbookReading(spec, wb).read()
