"""`gktool new`: write the locked, self-checking workbook from a spec with xlsxwriter."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import xlsxwriter

from ..cells import col_index, col_letters, parse_cell, parse_range, quote_sheet
from ..compute import Evaluator, holds, tidy
from ..contract import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL, STAMP
from ..errors import GkError
from ..filldata import check_value
from ..findings import SEVERITY_ZH
from ..fsutil import atomic_output
from ..livechecks import OP_TEXT, CheckRow, check_rows, input_blocks, overall_formula, overall_text, violated_formula
from ..spec import InputType, Sheet, Spec, form_layout
from ..version import __version__
from .previous import live_rows, write_previous_sheet

FONT = "宋体"


FOOTER = "&C第 &P 页"
HEADER_FONT = f'&"{FONT},加粗"&12'
FORM_WIDTHS = (24, 64, 28)  # cover: label, value, note
# Narrative sheets (一、五、六): one unmerged wrapping cell per field, as tall as Excel allows
# (409 pt) and wide enough that such a cell shows about 2,500 Chinese characters at 10 pt
# (the real 中宁县 section 六 is that long) on screen and, at the print scale, on the page.
NARRATIVE_WIDTHS = (16, 160, 2)
NARRATIVE_ROW_HEIGHT = 409
NARRATIVE_FONT_SIZE = 10
NARRATIVE_CAPACITY = 2500  # characters such a cell shows (checked by rendering in tests)


def _lines(text: str, width: float) -> int:
    """Wrapped lines of `text` in a column `width` characters wide (a CJK character is two)."""
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, -(-units // int(width)))


def type_message(t: InputType) -> str:
    """What a cell of type `t` accepts, in words: its description, its range, and what to type for
    "nothing happened" where zero means that (counts and amounts, not a year)."""
    text = t.description
    if t.max is not None:
        text += f"（{tidy(t.min or 0)}–{tidy(t.max)}）"
    text += "。"
    if t.min == 0:
        text += "没有发生的请填 0。"
    return text


# Print geometry (A4, the margins _finish sets), in points, for placing page breaks.
A4 = (595.3, 841.9)
MARGIN_TOP_BOTTOM = 0.75 * 72
MARGIN_SIDES = 0.5 * 72


def _column_width(widths: dict[str, float], col: int) -> float:
    """A column's width in characters from the spec's `widths` ("A" or "A:O" keys); Excel's default otherwise."""
    for key, width in widths.items():
        first, _, last = key.partition(":")
        if col_index(first) <= col <= col_index(last or first):
            return width
    return 8.43


def page_breaks(sheet: Sheet, heights: list[float], widths: list[float], landscape: bool) -> tuple[int, list[int]]:
    """(print scale %, rows after which to break) so that a table's pages end between groups.

    The scale fits the width to the page. A page ends only where no merged row label spans the
    boundary (（五）不予处理 stays whole, with its label), unless that label is itself taller
    than a page (三、本年度办理结果). The header rows repeat on every page."""
    paper_w, paper_h = (A4[1], A4[0]) if landscape else A4
    width_pt = sum(int(w * 7 + 5) for w in widths) * 0.75  # Excel: 7 px a character + 5 px padding
    scale = min(100, int(100 * (paper_w - 2 * MARGIN_SIDES) / width_pt))
    room = (paper_h - 2 * MARGIN_TOP_BOTTOM) * 100 / scale
    head = sum(heights[: sheet.header_rows])
    spans = []
    for lab in sheet.labels:
        r1, _, r2, _ = parse_range(lab.range)
        if r2 > r1 and not lab.header and sum(heights[r1 - 1 : r2]) <= room - head:
            spans.append((r1, r2))
    allowed = [
        r for r in range(sheet.header_rows + 1, len(heights)) if not any(r1 <= r < r2 for r1, r2 in spans)
    ]  # a break after row r (1-based)
    breaks, used, last = [], head, sheet.header_rows
    for r in allowed + [len(heights)]:
        block = sum(heights[last:r])
        if used + block > room and last > sheet.header_rows and (not breaks or breaks[-1] != last):
            breaks.append(last)
            used = head
        used += block
        last = r
    return scale, breaks


NAME_MAX_BYTES = 200  # under the usual 255-byte limit, leaving room for atomic_output's temporary prefix


def default_filename(unit: str | None, year: int | None, suffix: str = ".xlsx") -> str:
    """`{单位}{年度}年政府信息公开工作年度报告.xlsx`, safe as one file name on any system.

    Path separators and characters Windows refuses become "_"; a unit name too long for
    a file name is shortened (with "…") so the name stays within NAME_MAX_BYTES of UTF-8."""
    unit = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", unit or "").strip(" .")
    tail = f"{year}年政府信息公开工作年度报告{suffix}"
    if len((unit + tail).encode("utf-8")) > NAME_MAX_BYTES:
        room = NAME_MAX_BYTES - len(("…" + tail).encode("utf-8"))
        while len(unit.encode("utf-8")) > room:
            unit = unit[:-1]
        unit += "…"
    return unit + tail


def new_workbook(
    spec: Spec,
    path: Path,
    *,
    unit: str | None = None,
    year: int | None = None,
    password: str | None = None,
    values: dict[tuple[str, str], object] | None = None,
    force: bool = False,
    previous=None,
    extra_sheets=None,
) -> Path:
    """Write a new workbook for `spec` to `path` (atomically) and return the path.

    `values` pre-fills input cells, keyed by (sheet name, cell); cover fields
    `unit` and `year` may also be given directly. `previous` (last year's FilledReport) adds
    a hidden sheet of last year's figures and 校验 rows comparing with them (crossyear.py).
    `extra_sheets(writer, position)` (optional) adds sheets of another tool (e.g. gktool collect)
    at position "first" and "last".
    """
    values = dict(values or {})
    if unit:
        c = spec.field_cells["unit"]
        values[(c.sheet, c.cell)] = unit
    if year:
        c = spec.field_cells["year"]
        values[(c.sheet, c.cell)] = year
    for key in list(values):
        sheet = spec.sheet(key[0]) if key[0] in {s.name for s in spec.sheets} else None
        if sheet is None or sheet.spec_cell(key[1]) is None or sheet.spec_cell(key[1]).kind != "input":
            raise GkError(f"预填数据中的“{key[0]}!{key[1]}”不是可填写的单元格")
        values[key] = check_value(spec.types[sheet.spec_cell(key[1]).type], values[key], sheet.describe(key[1]))
    with atomic_output(Path(path), force) as tmp:
        _Writer(spec, values, password, previous, extra_sheets).write(tmp)
    return Path(path)


class _Writer:
    def __init__(self, spec: Spec, values: dict, password: str | None, previous=None, extra_sheets=None):
        self.previous = previous
        self.spec = spec
        self.extra_sheets = extra_sheets  # a callback adding other sheets before and after the spec's
        self.values = values
        self.password = password or ""
        self.eval = Evaluator(spec, values)

    def write(self, path: Path) -> None:
        wb = xlsxwriter.Workbook(
            str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
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
        if self.previous is not None:
            write_previous_sheet(
                wb,
                self.spec,
                self.previous,
                self.password,
                {
                    "title": self.f_text,
                    "note": self.f_note,
                    "header": self.f_header,
                    "label": self.f_label,
                    "value": self.f_total,
                },
            )
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
        self.f_label_top = add({**box, "align": "center", "valign": "top"})
        self.f_title = add({**base, "bold": True, "font_size": 16, "align": "center"})
        self.f_text = add({**base, "align": "left"})
        self.f_note = add({**base, "font_size": 9, "font_color": "#595959", "align": "left"})
        self.f_form_label = add({**box, "bold": True, "align": "left", "bg_color": "#DDEBF7"})
        self.f_input_text = add({**box, "locked": False, "bg_color": "#FFF2CC", "align": "left"})
        self.f_narrative = add(
            {
                **box,
                "locked": False,
                "bg_color": "#FFF2CC",
                "align": "left",
                "valign": "top",
                "font_size": NARRATIVE_FONT_SIZE,
            }
        )
        self.f_inputs = {}
        for key, t in self.spec.types.items():
            if t.numeric:
                self.f_inputs[key] = add(
                    {**box, "locked": False, "bg_color": "#FFF2CC", "align": "center", "num_format": t.number_format}
                )
        self.f_total = add({**box, "bg_color": "#E7E6E6", "bold": True, "align": "center", "num_format": "0"})
        self.f_verdict = add({**box, "bold": True, "font_size": 22, "align": "center"})
        self.f_verdict_label = add({**box, "bold": True, "font_size": 16, "align": "center", "bg_color": "#DDEBF7"})
        self.f_bad = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.f_ok = add({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.f_warn = add({"bg_color": "#FFEB9C", "font_color": "#9C5700"})

    def _input_format(self, type_key: str):
        if type_key == "narrative":
            return self.f_narrative
        return self.f_inputs.get(type_key, self.f_input_text)

    # ------------------------------------------------------------ sheets
    def _form(self, ws, sheet: Sheet) -> None:
        narrative = any(f.type == "narrative" for f in sheet.fields)
        widths = NARRATIVE_WIDTHS if narrative else FORM_WIDTHS
        for col, width in zip("ABC", widths, strict=False):
            ws.set_column(f"{col}:{col}", width)
        ws.merge_range("A1:C1", sheet.labels[0].text, self.f_title)
        if sheet.section:
            # The section title is the sheet tab on screen and the page header in print, as on
            # the table sheets (表三 starts at A1, so no table can have a title row); the title
            # label stays in row 1 for the reader, hidden so that no sheet shows it twice.
            ws.set_row(0, None, None, {"hidden": True})
        else:
            ws.set_row(0, 30)
        for i, line in enumerate(sheet.instructions):
            ws.merge_range(1 + i, 0, 1 + i, 2, line, self.f_text)
            ws.set_row(1 + i, 16 * _lines(line, sum(widths)) + 2)
        rows, _ = form_layout({"instructions": sheet.instructions, "fields": [{"key": f.key} for f in sheet.fields]})
        for (row, _), f in zip(rows, sheet.fields, strict=False):
            cell = sheet.field_cell(f.key)
            ws.write(f"A{row}", f.label, self.f_form_label)
            self._write_input(ws, sheet, cell.cell, f.type)
            # what validate requires before publishing (K1, K4) is said where it is typed, as on the cover
            must = f.required or (f.publish and f.type != "narrative")
            zero = f.publish and self.spec.types[f.type].numeric
            note = ("必填。" if must else "") + ("没有的填 0，不能留空。" if zero else "") + f.note
            if f.type == "narrative":
                # No note column beside a narrative (its width would shrink the printed text): the
                # note shows when the cell is selected. Past the cell's room a warning (not a stop:
                # the text is still kept and read in full) says the end would not show.
                room = f"本格可显示约 {NARRATIVE_CAPACITY} 字，超出部分在屏幕和打印中看不到。"
                ws.data_validation(
                    cell.cell,
                    {
                        "validate": "length",
                        "criteria": "<=",
                        "value": NARRATIVE_CAPACITY,
                        "input_title": f.label[:32],
                        "input_message": ((note + "\n") if note else "") + room,
                        "error_type": "warning",
                        "error_title": "文字较长",
                        "error_message": f"文字超过 {NARRATIVE_CAPACITY} 字，单元格中可能显示不全、打印不全；"
                        "请精简。选“是”仍保留全部文字。",
                    },
                )
            elif note:
                ws.write(f"C{row}", note, self.f_note)
            label_height = 15 * _lines(f.label, widths[0] - 1) + 6
            ws.set_row(row - 1, NARRATIVE_ROW_HEIGHT if f.type == "narrative" else max(22, label_height))

    def _table(self, ws, sheet: Sheet) -> None:
        for cols, width in sheet.widths:
            ws.set_column(cols if ":" in cols else f"{cols}:{cols}", width)
        rows = sheet.bounds[0]
        landscape = sheet.bounds[1] > 6
        ws.set_landscape() if landscape else ws.set_portrait()
        heights = [30 if sheet.key != "B" or r > 2 else 24 for r in range(rows)]
        for r, height in enumerate(heights):
            ws.set_row(r, height)
        breaks: list[int] = []
        if sheet.header_rows:
            ws.repeat_rows(0, sheet.header_rows - 1)
            widths = dict(sheet.widths)
            _, breaks = page_breaks(
                sheet, heights, [_column_width(widths, c) for c in range(1, sheet.bounds[1] + 1)], landscape
            )
            # Fit to one page wide, height "automatic" (_finish): Excel and LibreOffice keep these
            # manual breaks, and a font wider than expected only makes each page hold more rows.
            ws.set_h_pagebreaks(breaks)
        for lab in sheet.labels:
            r1, _, r2, _ = parse_range(lab.range)
            if lab.header:
                fmt = self.f_header
            elif any(r1 <= b < r2 for b in breaks):  # a label longer than a page: on its first page
                fmt = self.f_label_top
            else:
                fmt = self.f_label if parse_cell(lab.cell)[1] > 1 or ":" not in lab.range else self.f_label_c
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
            ws.conditional_format(
                cells[0],
                {"type": "formula", "criteria": "=" + bad, "format": self.f_bad, "multi_range": " ".join(cells)},
            )
        for block in input_blocks(sheet):
            top = block.split(":")[0]
            ws.conditional_format(
                block, {"type": "formula", "criteria": f"=OR(ISTEXT({top}),N({top})<0)", "format": self.f_bad}
            )

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
        options = {
            "input_title": "请输入",
            "input_message": f"{what}：{type_message(t)}"[:250],
            "error_title": "输入错误",
            "error_message": f"这里只能填{type_message(t)}"[:250],
            "error_type": "stop",
        }
        if t.decimals is not None and not t.integer:
            options.update(
                validate="custom",
                value=f"=AND(ISNUMBER({cell}),{cell}>={t.min or 0},ROUND({cell},{t.decimals})={cell})",
            )
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
        side = 0.3 if sheet.kind == "form" and sheet.section else 0.5
        ws.set_margins(left=side, right=side, top=0.75, bottom=0.75)
        ws.center_horizontally()
        ws.set_footer(FOOTER)
        if sheet.section:  # every section sheet, table or form, prints its title the same way
            ws.set_header(f"&C{HEADER_FONT}{sheet.section}、{sheet.heading}")
        if sheet.kind == "form":
            wide = any(f.type == "narrative" for f in sheet.fields)
            ws.set_landscape() if wide else ws.set_portrait()
        if sheet.freeze:
            ws.freeze_panes(sheet.freeze)
        ws.protect(
            self.password,
            {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True},
        )

    def _check_sheet(self, ws) -> None:
        widths = {"A": 6, "B": 6, "C": 30, "D": 30, "E": 7, "F": 5, "G": 7, "H": 8, "I": 46}
        for col, width in widths.items():
            ws.set_column(f"{col}:{col}", width)
        rows = check_rows(self.spec) + live_rows(self.spec, self.values, self.previous)
        last = CHECK_FIRST_ROW + len(rows) - 1
        status_range = f"H{CHECK_FIRST_ROW}:H{last}"
        verdicts = [self._verdict(r) for r in rows]
        failing = [r.severity for v, r in zip(verdicts, rows, strict=False) if not v[2]]
        overall = overall_text(failing.count("error"), failing.count("warning"))
        # row 1: the overall verdict, large, before anything else
        ws.merge_range("A1:B1", "总体结论", self.f_verdict_label)
        end = f"{chr(ord(OVERALL_CELL[0]) + 1)}{OVERALL_CELL[1:]}"
        ws.merge_range(f"{OVERALL_CELL}:{end}", "", self.f_verdict)
        ws.write_formula(OVERALL_CELL, "=" + overall_formula(status_range), self.f_verdict, overall)
        ws.merge_range("E1:I1", "“错误”必须全部通过才能提交；“警告”请核实，确属实际情况的在报告中说明。", self.f_text)
        ws.set_row(0, 42)
        ws.merge_range(
            "A2:I2",
            "本表随填随算，请勿修改。文字说明中引用的数字是否与表格一致（R9）本表不检查，"
            "只在用 gktool validate 检查工作簿时检查。",
            self.f_text,
        )
        ws.set_row(1, 20)
        for col, text in enumerate(["编号", "级别", "检查内容", "位置", "左边", "关系", "右边", "状态", "怎样改正"]):
            ws.write(2, col, text, self.f_header)
        for i, (row, (left, right, ok)) in enumerate(zip(rows, verdicts, strict=False)):
            r = CHECK_FIRST_ROW + i
            ws.write(f"A{r}", row.rule, self.f_label_c)
            ws.write(f"B{r}", SEVERITY_ZH[row.severity], self.f_label_c)
            ws.write(f"C{r}", row.title, self.f_label)
            ws.write(f"D{r}", row.where, self.f_label)
            ws.write_formula(f"E{r}", "=" + row.left_formula, self.f_total, tidy(left))
            ws.write(f"F{r}", OP_TEXT[row.op], self.f_label_c)
            ws.write_formula(f"G{r}", "=" + row.right_formula, self.f_total, tidy(right))
            ws.write_formula(f"H{r}", "=" + row.status_formula(r), self.f_label_c, "通过" if ok else row.failed_text)
            ws.write(f"I{r}", row.hint, self.f_label)
            lines = max(_lines(t, widths[c] - 1) for c, t in (("C", row.title), ("D", row.where), ("I", row.hint)))
            ws.set_row(r - 1, 15 * lines + 5)
        for rng in (status_range, OVERALL_CELL):  # the overall line starts with its verdict, then the counts
            ws.conditional_format(
                rng, {"type": "text", "criteria": "begins with", "value": "不通过", "format": self.f_bad}
            )
            ws.conditional_format(
                rng, {"type": "text", "criteria": "begins with", "value": "通过", "format": self.f_ok}
            )
            ws.conditional_format(
                rng, {"type": "text", "criteria": "begins with", "value": "警告", "format": self.f_warn}
            )
        ws.freeze_panes("A4")
        ws.repeat_rows(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        ws.center_horizontally()
        ws.set_header(f"&C{HEADER_FONT}{CHECK_SHEET}")
        ws.set_footer(FOOTER)
        ws.protect(self.password, {"format_columns": True, "format_rows": True})

    def _verdict(self, row: CheckRow) -> tuple[float, float, bool]:
        if getattr(row, "verdict", None) is not None:  # rows against last year's figures
            return row.verdict
        if row.check is not None:
            return self.eval.check(row.check)
        left, right = row.compute(self.values)
        return left, right, holds(left, row.op, right)

    def _identity(self) -> None:
        spec = self.spec
        unit = self.values.get((spec.field_cells["unit"].sheet, spec.field_cells["unit"].cell)) or ""
        self.wb.set_properties(
            {
                "title": f"{unit}政府信息公开工作年度报告",
                "author": "gktool",
                "company": str(unit),
                "comments": f"{spec.title}（{spec.notice}）",
                "created": _dt.datetime(2000, 1, 1),
            }
        )
        for key, name in STAMP.items():
            value = {
                "format": spec.id,
                "version": spec.version,
                "tool": __version__,
                "fingerprint": spec.fingerprint,
                "name": spec.format_name,
            }[key]
            self.wb.set_custom_property(name, str(value), "text")
