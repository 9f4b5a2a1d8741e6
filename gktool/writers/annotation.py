"""Sending a unit its own file back with every finding on its cell (gktool annotate).

A workbook (a gktool workbook or any .xlsx read by label) comes back as a copy of itself:
each cell a finding names is highlighted (red for an error, yellow for a warning) and carries
a comment with the rule and the message, and an added sheet 检查意见 holds the verdict and
every finding, including those that belong to no cell. The copy is written by adding parts to
the unit's package (`xlsxpackage`), so nothing the unit wrote changes. Files that cannot carry
comments (.xls, .ods, .xlsb, .docx, .html, .pdf) get a findings workbook listing each finding
with its place instead; the outcome says which was written. There is no format conversion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from ..contract import EXTRA_SHEETS_PROPERTY
from ..errors import GkError
from ..findings import SEVERITY_ZH, Finding, Result
from ..fsutil import atomic_output, shown_path
from ..model import Analysis
from .xlsx_notes import AddedSheet, Note, annotate_package, text_lines

SHEET = "检查意见"
SUFFIX = "（检查意见）"
PACKAGE_KINDS = ("gktool", "xlsx")  # read from the .xlsx package itself: comments can go on its cells
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")
HEADER = ["序号", "级别", "规则", "工作表", "单元格", "问题及修改方法", "位置"]
WIDTHS = [6, 6, 6, 18, 14, 90, 16]


@dataclass(frozen=True)
class Annotated:
    """What `annotate` wrote: the file, whether it is the unit's own workbook with notes on its cells
    (`copy`) or a findings workbook, how many findings sit on cells, and the verdict."""

    source: str
    output: Path
    copy: bool
    kind: str | None
    on_cells: int
    result: Result

    def describe(self) -> str:
        """One Chinese line for the user: what was written and where."""
        total = len(self.result.findings)
        if self.copy:
            return (
                f"已写出 {self.output}：{total} 个问题，其中 {self.on_cells} 个标在单元格上（批注），"
                f"全部问题和结论列在“{SHEET}”工作表中；原文件未改动"
            )
        what = f"{total} 个问题及其位置" if total else "检查结论（没有发现问题）"
        return f"已写出 {self.output}：{Path(self.source).suffix or '该'} 文件不能直接加批注，检查意见工作簿列出{what}；原文件未改动"


def default_output(path: str | Path) -> Path:
    """Beside the input: 某县2023年报告（检查意见）.xlsx."""
    p = Path(path)
    return p.with_name(f"{p.stem}{SUFFIX}.xlsx")


def verdict_line(result: Result) -> str:
    """The overall verdict as the 检查意见 sheet states it."""
    if result.unreadable:
        return "结论：无法读取，未检查"
    if result.ok:
        return "结论：通过" + (f"（{result.warnings} 个警告，请核实）" if result.warnings else "，没有发现问题")
    return f"结论：不通过，{result.errors} 个错误" + (f"，{result.warnings} 个警告" if result.warnings else "")


def _targets(f: Finding, sheets: set[str]) -> list[tuple[str, str]]:
    """The (worksheet, cell) pairs of the unit's own workbook a finding names, in its order.

    A finding lists cells of its own sheet as "D4" and others as "表二!D4"; last year's file
    ("[上年文件]…") and places that are not cells of this workbook have no cell to mark."""
    out: list[tuple[str, str]] = []
    for ref in f.cells:
        if ref.startswith("["):
            continue
        sheet, cell = f.sheet, ref
        if "!" in ref:
            sheet, _, cell = ref.rpartition("!")
            if len(sheet) > 1 and sheet[0] == sheet[-1] == "'":
                sheet = sheet[1:-1].replace("''", "'")
        m = _CELL.fullmatch(cell.split(":")[0].strip())  # a range is marked at its first cell
        if sheet in sheets and m:
            pair = (sheet, f"{m.group(1).upper()}{m.group(2)}")
            if pair not in out:
                out.append(pair)
    return out


def _tag(f: Finding) -> str:
    return f"【{SEVERITY_ZH[f.severity]} {f.rule}】"


def plan(result: Result, sheets: list[str]) -> tuple[dict[str, dict[str, Note]], list[tuple[Finding, list]]]:
    """The notes per sheet and cell, and every finding with the cells it was put on.

    The first cell a finding names gets its full message; the other cells it names (the addends of
    a sum) are highlighted with a short pointer to that cell, so a 25-cell relation is one message."""
    names = set(sheets)
    lines: dict[tuple[str, str], list[str]] = {}
    worst: dict[tuple[str, str], str] = {}
    placed: list[tuple[Finding, list]] = []
    for f in result.findings:
        targets = _targets(f, names)
        placed.append((f, targets))
        for i, pair in enumerate(targets):
            first = targets[0]
            where = first[1] if first[0] == pair[0] else f"{first[0]}!{first[1]}"
            text = f"{_tag(f)}{f.message}" if i == 0 else f"{_tag(f)}与 {where} 批注中的问题有关，请一并核对"
            lines.setdefault(pair, []).append(text)
            if f.severity == "error" or pair not in worst:
                worst[pair] = f.severity
    notes: dict[str, dict[str, Note]] = {}
    for (sheet, cell), texts in lines.items():
        notes.setdefault(sheet, {})[cell] = Note("\n".join(texts), worst[(sheet, cell)])
    return notes, placed


def _rows(result: Result, placed, skipped: dict[str, set[str]], copy: bool) -> list[list[str]]:
    intro = (
        "标红（错误）、标橙（警告）的单元格上有批注，鼠标移到单元格上即可看到。下表列出全部问题；"
        "“位置”为“本表”的问题不属于某个单元格。改正后请重新检查。"
        if copy
        else "原文件不能加批注，下表列出全部问题及其在文件中的位置。改正后请重新检查。"
    )
    rows = [[verdict_line(result)], [f"文件：{Path(result.file).name}"], [intro], [], HEADER]
    for i, (f, targets) in enumerate(placed, 1):
        marked = [(s, c) for s, c in targets if c not in skipped.get(s, set())]
        if copy:
            where = "单元格批注" if marked else "本表"
        else:
            where = "、".join(f.cells[:6]) + ("等" if len(f.cells) > 6 else "")
        shown = [c if s == f.sheet else f"{s}!{c}" for s, c in (marked or targets)] if copy else []
        cells = "、".join(shown[:4]) + (f" 等 {len(shown)} 个" if len(shown) > 4 else "")
        rows.append([str(i), SEVERITY_ZH[f.severity], f.rule, f.sheet or "（整个文件）", cells, f.message, where])
    return rows


def _sheet_name(existing: list[str]) -> str:
    name, n = SHEET, 2
    while name in existing:
        name, n = f"{SHEET}{n}", n + 1
    return name


def _findings_workbook(rows: list[list[str]], out: Path, shaded: str | None) -> None:
    """A findings workbook (for files that cannot carry comments): the same list as the 检查意见 sheet."""
    wb = xlsxwriter.Workbook(str(out))
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    head = wb.add_format({"text_wrap": True, "valign": "top", "bold": True, "bg_color": "#D9D9D9"})
    verdict = wb.add_format(
        {"bold": True, "bg_color": {"error": "#FFC7CE", "warning": "#F8CBAD"}.get(shaded or "", "#C6EFCE")}
    )
    ws = wb.add_worksheet(SHEET)
    for c, w in enumerate(WIDTHS):
        ws.set_column(c, c, w)
    for r, values in enumerate(rows):
        fmt = verdict if r == 0 else head if r == 4 else wrap if r > 4 else None
        for c, v in enumerate(values):
            ws.write_string(r, c, v, *([fmt] if fmt else []))
        if r >= 4:  # viewers do not grow rows for wrapped text when opening a file
            ws.set_row(r, 15 * text_lines(values, WIDTHS))
    ws.freeze_panes(5, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    wb.close()


def annotate_analysis(
    analysis: Analysis, output: str | Path | None = None, force: bool = False, source: str | Path | None = None
) -> Annotated:
    """Write the annotated copy (or findings workbook) for a file already checked.

    `source` is the file to copy when the result names it otherwise (the server stores an upload
    under its own name but shows the unit the name it uploaded)."""
    result = analysis.result
    if result.unreadable:
        raise GkError(result.findings[0].message if result.findings else f"{shown_path(result.file)}：无法读取")
    src = Path(source if source is not None else result.file)
    out = Path(output) if output is not None else default_output(src)
    if out.suffix.lower() != ".xlsx":
        raise GkError(f"输出文件“{out}”须是 .xlsx 工作簿")
    if out.exists() and src.exists() and out.resolve() == src.resolve():
        raise GkError(f"输出文件不能是原文件“{out}”：原文件从不改动，请换一个文件名")
    kind = result.kind
    severity = "error" if result.errors else "warning" if result.warnings else None
    if kind in PACKAGE_KINDS:
        placed: list = []

        def notes_for(sheets: list[str]) -> dict:
            notes, found = plan(result, sheets)
            placed.extend(found)
            return notes

        def sheet_for(sheets: list[str], skipped: dict[str, set[str]]) -> AddedSheet:
            rows = _rows(result, placed, skipped, True)
            return AddedSheet(_sheet_name(sheets), rows, WIDTHS, {0: severity} if severity else {}, 4)

        with atomic_output(out, force) as tmp:
            skipped = annotate_package(
                src, tmp, notes_for, sheet_for, EXTRA_SHEETS_PROPERTY if kind == "gktool" else None
            )
        on_cells = sum(1 for _, t in placed if any(c not in skipped.get(s, set()) for s, c in t))
        return Annotated(str(src), out, True, kind, on_cells, result)
    rows = _rows(result, [(f, []) for f in result.findings], {}, False)
    with atomic_output(out, force) as tmp:
        _findings_workbook(rows, tmp, severity)
    return Annotated(str(src), out, False, kind, 0, result)
