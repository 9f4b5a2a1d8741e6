"""`gktool new`: write the locked, self-checking workbook from a spec with xlsxwriter."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import xlsxwriter

from . import __version__
from .compute import Evaluator, tidy
from .errors import GkError
from .findings import SEVERITY_ZH
from .fsutil import atomic_output
from .livechecks import (CHECK_FIRST_ROW, CHECK_SHEET, OP_TEXT, OVERALL_CELL, CheckRow, check_rows,
                         input_blocks, violated_formula)
from .spec import Sheet, Spec, col_letters, form_layout, parse_cell, quote_sheet

FONT = "宋体"
PROPS = {"format": "gktool.format", "version": "gktool.format_version",
         "tool": "gktool.tool_version", "fingerprint": "gktool.fingerprint",
         "name": "gktool.format_name"}


def _lines(text: str, width: float) -> int:
    """Wrapped lines of `text` in a column `width` characters wide (a CJK character is two)."""
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, -(-units // int(width)))


def default_filename(unit: str | None, year: int | None, suffix: str = ".xlsx") -> str:
    return f"{unit or ''}{year}年政府信息公开工作年度报告{suffix}"


def new_workbook(spec: Spec, path: Path, *, unit: str | None = None, year: int | None = None,
                 password: str | None = None, values: dict[tuple[str, str], object] | None = None,
                 force: bool = False, extra_sheets=None) -> Path:
    """Write a new workbook for `spec` to `path` (atomically) and return the path.

    `values` pre-fills input cells, keyed by (sheet name, cell); cover fields
    `unit` and `year` may also be given directly. `extra_sheets(writer, position)` (optional)
    adds sheets of another tool (e.g. gktool collect) at position "first" and "last".
    """
    values = dict(values or {})
    if unit:
        c = spec.field_cells["unit"]
        values[(c.sheet, c.cell)] = unit
    if year:
        c = spec.field_cells["year"]
        values[(c.sheet, c.cell)] = int(year)
    for key in values:
        sheet = spec.sheet(key[0]) if key[0] in {s.name for s in spec.sheets} else None
        if sheet is None or sheet.spec_cell(key[1]) is None or sheet.spec_cell(key[1]).kind != "input":
            raise GkError(f"预填数据中的“{key[0]}!{key[1]}”不是可填写的单元格")
    with atomic_output(Path(path), force) as tmp:
        _Writer(spec, values, password, extra_sheets).write(tmp)
    return Path(path)


class _Writer:
    def __init__(self, spec: Spec, values: dict, password: str | None, extra_sheets=None):
        self.spec = spec
        self.extra_sheets = extra_sheets   # a callback adding other sheets before and after the spec's
        self.values = values
        self.password = password or ""
        self.eval = Evaluator(spec, values)

    def write(self, path: Path) -> None:
        wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                             "strings_to_urls": False})
        self.wb = wb
        self._formats()
        if self.extra_sheets:
            self.extra_sheets(self, "first")
        for sheet in self.spec.sheets:
            ws = wb.add_worksheet(sheet.name)
            if sheet.kind == "form":
                self._form(ws, sheet)
            else:
                self._table(ws, sheet)
            self._names(sheet)
            self._finish(ws, sheet)
        self._check_sheet(wb.add_worksheet(CHECK_SHEET))
        if self.extra_sheets:
            self.extra_sheets(self, "last")
        self._identity()
        wb.close()

    # ------------------------------------------------------------ formats
    def _formats(self) -> None:
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}
        box = {**base, "border": 1}
        add = self.wb.add_format
        self.f_header = add({**box, "bold": True, "align": "center", "bg_color": "#DDEBF7"})
        self.f_label = add({**box, "align": "left"})
        self.f_label_c = add({**box, "align": "center"})
        self.f_title = add({**base, "bold": True, "font_size": 16, "align": "center"})
        self.f_text = add({**base, "align": "left"})
        self.f_note = add({**base, "font_size": 9, "font_color": "#595959", "align": "left"})
        self.f_form_label = add({**box, "bold": True, "align": "left", "bg_color": "#DDEBF7"})
        self.f_input_text = add({**box, "locked": False, "bg_color": "#FFF2CC", "align": "left",
                                 "valign": "top"})
        self.f_inputs = {}
        for key, t in self.spec.types.items():
            if t.numeric:
                self.f_inputs[key] = add({**box, "locked": False, "bg_color": "#FFF2CC",
                                          "align": "center", "num_format": t.number_format})
        self.f_total = add({**box, "bg_color": "#E7E6E6", "bold": True, "align": "center",
                            "num_format": "0"})
        self.f_bad = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.f_ok = add({"bg_color": "#C6EFCE", "font_color": "#006100"})

    def _input_format(self, type_key: str):
        return self.f_inputs.get(type_key, self.f_input_text)

    # ------------------------------------------------------------ sheets
    def _form(self, ws, sheet: Sheet) -> None:
        ws.set_column("A:A", 24)
        ws.set_column("B:B", 64)
        ws.set_column("C:C", 28)
        ws.merge_range("A1:C1", sheet.labels[0].text, self.f_title)
        ws.set_row(0, 30)
        for i, line in enumerate(sheet.instructions):
            ws.merge_range(1 + i, 0, 1 + i, 2, line, self.f_text)
            ws.set_row(1 + i, 16 * _lines(line, 24 + 64 + 28) + 2)
        rows, _ = form_layout({"instructions": sheet.instructions,
                               "fields": [{"key": f.key} for f in sheet.fields]})
        for (row, _), f in zip(rows, sheet.fields):
            cell = sheet.field_cell(f.key)
            ws.write(f"A{row}", f.label, self.f_form_label)
            self._write_input(ws, sheet, cell.cell, f.type)
            if f.note or f.required:
                ws.write(f"C{row}", ("必填。" if f.required else "") + f.note, self.f_note)
            if f.type == "narrative":
                ws.set_row(row - 1, 160)
            else:
                ws.set_row(row - 1, 22)

    def _table(self, ws, sheet: Sheet) -> None:
        for cols, width in sheet.widths:
            ws.set_column(cols if ":" in cols else f"{cols}:{cols}", width)
        for lab in sheet.labels:
            fmt = self.f_header if lab.header else (self.f_label if parse_cell(lab.cell)[1] > 1 or
                                                    ":" not in lab.range else self.f_label_c)
            if lab.merged:
                ws.merge_range(lab.range, lab.text, fmt)
            else:
                ws.write(lab.cell, lab.text, fmt)
        for c in sheet.cells:
            if c.kind == "input":
                self._write_input(ws, sheet, c.cell, c.type, c.merge)
            else:
                value = self.eval.value(sheet.name, c.cell)
                ws.write_formula(c.cell, "=" + c.formula, self.f_total, tidy(value))
        # live checks: rules within this sheet turn the involved cells red
        for check in self.spec.checks:
            if {r.sheet for r in check.left + check.right} != {sheet.name}:
                continue
            bad = violated_formula(check, sheet.name)
            cells = sorted({c for _, c in check.cells()}, key=lambda a: parse_cell(a))
            ws.conditional_format(cells[0], {"type": "formula", "criteria": "=" + bad,
                                             "format": self.f_bad, "multi_range": " ".join(cells)})
        for block in input_blocks(sheet):
            top = block.split(":")[0]
            ws.conditional_format(block, {"type": "formula", "criteria": f"=OR(ISTEXT({top}),N({top})<0)",
                                          "format": self.f_bad})
        rows = sheet.bounds[0]
        ws.set_landscape() if sheet.bounds[1] > 6 else ws.set_portrait()
        if sheet.header_rows:
            ws.repeat_rows(0, sheet.header_rows - 1)
        ws.set_header(f'&C&"{FONT},加粗"&12{sheet.section}、{sheet.heading}')
        for r in range(rows):
            ws.set_row(r, 30 if sheet.key != "B" or r > 2 else 24)

    def _write_input(self, ws, sheet: Sheet, cell: str, type_key: str, merge: str | None = None) -> None:
        fmt = self._input_format(type_key)
        value = self.values.get((sheet.name, cell))
        if merge:
            ws.merge_range(merge, "", fmt)
        if value is None or value == "":
            ws.write_blank(cell, None, fmt)
        elif isinstance(value, str):
            ws.write_string(cell, value, fmt)
        else:
            ws.write_number(cell, value, fmt)
        t = self.spec.types[type_key]
        if not t.numeric:
            return
        what = sheet.describe(cell)
        prompt = f"{what}：{t.description}"[:250]
        options = {"input_title": "请输入", "input_message": prompt, "error_title": "输入错误",
                   "error_message": f"这里只能填{t.description}。没有发生的请填 0。"[:250],
                   "error_type": "stop"}
        if t.decimals is not None and not t.integer:
            options.update(validate="custom",
                           value=f"=AND(ISNUMBER({cell}),{cell}>={t.min or 0},ROUND({cell},{t.decimals})={cell})")
        else:
            if t.max is not None:
                options.update(validate="integer", criteria="between", minimum=t.min or 0, maximum=t.max)
            else:
                options.update(validate="integer", criteria=">=", value=t.min or 0)
        ws.data_validation(cell, options)

    def _names(self, sheet: Sheet) -> None:
        for c in sheet.cells:
            row, col = parse_cell(c.cell)
            self.wb.define_name(c.defined_name, f"={quote_sheet(sheet.name)}!${col_letters(col)}${row}")

    def _finish(self, ws, sheet: Sheet) -> None:
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        ws.center_horizontally()
        ws.set_footer("&C第 &P 页")
        if sheet.kind == "form":
            ws.set_portrait()
        if sheet.freeze:
            ws.freeze_panes(sheet.freeze)
        ws.protect(self.password, {"format_columns": True, "format_rows": True,
                                   "select_locked_cells": True, "select_unlocked_cells": True})

    def _check_sheet(self, ws) -> None:
        ws.set_column("A:A", 6)
        ws.set_column("B:B", 6)
        widths = {"C": 36, "D": 44, "I": 60}
        for col, width in widths.items():
            ws.set_column(f"{col}:{col}", width)
        ws.set_column("E:G", 8)
        ws.set_column("H:H", 9)
        ws.merge_range("A1:I1", "校验结果（自动计算，随填随查；请勿修改本表）", self.f_title)
        rows = check_rows(self.spec)
        last = CHECK_FIRST_ROW + len(rows) - 1
        status_range = f"H{CHECK_FIRST_ROW}:H{last}"
        verdicts = [self._verdict(r) for r in rows]
        overall = "通过" if all(v[2] for v, r in zip(verdicts, rows) if r.severity == "error") else "不通过"
        ws.write("A2", "总体", self.f_form_label)
        error_range = f"B{CHECK_FIRST_ROW}:B{last}"
        ws.write_formula(OVERALL_CELL, f'=IF(COUNTIFS({error_range},"错误",{status_range},"不通过")=0,"通过","不通过")',
                         self.f_label_c, overall)
        ws.merge_range("C2:I2", "“错误”必须全部通过才能提交；“警告”请核实后在报告中说明。", self.f_note)
        for col, text in enumerate(["编号", "级别", "检查内容", "位置", "左边", "关系", "右边", "状态", "怎样改正"]):
            ws.write(2, col, text, self.f_header)
        for i, (row, (left, right, ok)) in enumerate(zip(rows, verdicts)):
            r = CHECK_FIRST_ROW + i
            ws.write(f"A{r}", row.rule, self.f_label_c)
            ws.write(f"B{r}", SEVERITY_ZH[row.severity], self.f_label_c)
            ws.write(f"C{r}", row.title, self.f_label)
            ws.write(f"D{r}", row.where, self.f_label)
            ws.write_formula(f"E{r}", "=" + row.left_formula, self.f_total, tidy(left))
            ws.write(f"F{r}", OP_TEXT[row.op], self.f_label_c)
            ws.write_formula(f"G{r}", "=" + row.right_formula, self.f_total, tidy(right))
            ws.write_formula(f"H{r}", "=" + row.status_formula(r),
                             self.f_label_c, "通过" if ok else "不通过")
            ws.write(f"I{r}", row.hint, self.f_note)
            lines = max(_lines(row.title, widths["C"]), _lines(row.where, widths["D"]), _lines(row.hint, widths["I"] * 1.2))
            ws.set_row(r - 1, 15 * lines + 3)
        for rng in (status_range, OVERALL_CELL):
            ws.conditional_format(rng, {"type": "cell", "criteria": "==", "value": '"不通过"', "format": self.f_bad})
            ws.conditional_format(rng, {"type": "cell", "criteria": "==", "value": '"通过"', "format": self.f_ok})
        ws.freeze_panes("A4")
        ws.repeat_rows(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.protect(self.password, {"format_columns": True, "format_rows": True})

    def _verdict(self, row: CheckRow) -> tuple[float, float, bool]:
        if row.check is not None:
            return self.eval.check(row.check)
        sheet = self.spec.sheet(row.type_sheet)
        bad = 0
        for c in sheet.inputs:
            v = self.values.get((sheet.name, c.cell))
            if isinstance(v, str) and v != "" or (isinstance(v, (int, float)) and v < 0):
                bad += 1
        return bad, 0, bad == 0

    def _identity(self) -> None:
        spec = self.spec
        unit = self.values.get((spec.field_cells["unit"].sheet, spec.field_cells["unit"].cell)) or ""
        self.wb.set_properties({"title": f"{unit}政府信息公开工作年度报告", "author": "gktool",
                                "company": str(unit), "comments": f"{spec.title}（{spec.notice}）",
                                "created": _dt.datetime(2000, 1, 1)})
        for key, name in PROPS.items():
            value = {"format": spec.id, "version": spec.version, "tool": __version__,
                     "fingerprint": spec.fingerprint, "name": spec.format_name}[key]
            self.wb.set_custom_property(name, str(value), "text")
