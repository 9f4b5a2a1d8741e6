"""Workbooks not made by gktool (.xlsx by hand or from a provincial template, .xls, .ods, .xlsb).

Every sheet becomes a grid of printed values; the official tables are then found by
their labels (labels.py), wherever they are. `.xlsx` goes through gktool's own guarded
streaming reader; `.xls`, `.ods` and `.xlsb` through python-calamine (values only).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..cells import cell_name
from ..contract import CHECK_SHEET
from ..errors import GkError
from ..findings import Finding
from ..fsutil import read_start, shown_path
from ..model import FilledReport, Place
from ..spec import TEXT_TYPES, Spec, load_spec
from .grid import Grid, GridCell
from .labels import build_report, spec_norm
from .ooxml import MAX_FILE_BYTES
from .xlsx import FOREIGN_AREA, RawWorkbook


def _text(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "" if value is None else str(value)


def grids_from_raw(wb: RawWorkbook) -> list[Grid]:
    """Each sheet of a workbook read by gktool's own reader as a grid."""
    grids = []
    for name in wb.sheet_names:
        raw = wb.sheets.get(name)
        if raw is None:
            continue
        g = Grid(name)
        for (r, c), cell in raw.cells.items():
            v = cell.value
            if (v is None or v == "") and cell.formula:
                v = "=" + cell.formula  # a formula saved without its result: reported at the cell
            if v is None or v == "":
                continue
            number = v if isinstance(v, float) and not cell.damaged else None
            g.cells[(r, c)] = GridCell(_text(v), f"{name}!{cell_name(r, c)}", number)
        grids.append(g)
    return grids


def grids_from_calamine(path: str | Path) -> list[Grid]:
    """Each sheet of an .xls/.ods/.xlsb workbook as a grid (values only)."""
    shown = shown_path(path)
    p = Path(path)
    read_start(
        path,
        not_folder="这是一个文件夹，不是工作簿文件；请给出文件夹中的工作簿文件",
        not_special="这不是普通文件（可能是设备或管道），请给出工作簿文件",
        max_bytes=MAX_FILE_BYTES,
        too_big="正常的报告只有几十 KB，请确认文件是否正确",
        limit=0,
    )
    try:
        wb = CalamineWorkbook.from_path(str(p))
        grids = []
        rows_max, cols_max = FOREIGN_AREA
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            g = Grid(name)
            for r, row in enumerate(sheet.iter_rows(), start=1):
                if r > rows_max:
                    break
                for c, v in enumerate(row[:cols_max], start=1):
                    if v is None or v == "":
                        continue
                    number = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
                    g.cells[(r, c)] = GridCell(
                        _text(float(v) if number is not None else v), f"{name}!{cell_name(r, c)}", number
                    )
            grids.append(g)
        return grids
    except GkError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged or encrypted files
        why = str(exc)
        if "password" in why.lower() or "encrypt" in why.lower():
            raise GkError(f"{shown}：工作簿设置了打开密码（已加密），请取消密码后另存再提交") from None
        raise GkError(
            f"{shown}：文件已损坏或不是工作簿，无法打开；请在 Excel/WPS 中打开后另存为 .xlsx 再提交"
        ) from None


def read_form_fields(spec: Spec, grids: list[Grid], report: FilledReport) -> None:
    """Cover and narrative fields by their labels (a gktool workbook saved in another format)."""
    norm = spec_norm(spec)
    wanted = {}
    for sheet in spec.sheets:
        if sheet.kind != "form":
            continue
        for f in sheet.fields:
            wanted.setdefault(norm(f.label), (sheet, f))
    seen_sheets = set()
    for g in grids:
        for (r, c), cell in sorted(g.cells.items()):
            hit = wanted.get(norm(cell.text))
            if hit is None:
                continue
            sheet, f = hit
            sc = sheet.field_cell(f.key)
            key = (sheet.name, sc.cell)
            if key in report.places:
                continue
            target = g.cells.get((r, c + 1))
            report.places[key] = Place(g.name, cell_name(r, c + 1), f"{g.name}!{cell_name(r, c + 1)}")
            seen_sheets.add(sheet.name)
            if spec.types[f.type].key in TEXT_TYPES:
                report.values[key] = target.text.strip() if target else ""
            elif target is not None:
                report.printed[key] = target.text
                if target.value is not None:
                    report.values[key] = target.value
                elif target.text.strip():
                    report.values[key] = None
                    report.unread.add(key)
    report.absent -= seen_sheets


def _unlabelled_fields(spec: Spec, report: FilledReport) -> None:
    """Fields of a form found in part (a hand-made contact block): the unit and year come from the
    title, fields a report must have stay blank (K1/K4 say so), the rest were never asked for."""
    for sheet in spec.sheets:
        if sheet.kind != "form" or not report.has(sheet.name):
            continue
        for f in sheet.fields:
            key = (sheet.name, sheet.field_cell(f.key).cell)
            if key in report.places:
                continue
            if f.key == "unit" and report.unit:
                report.values[key] = report.unit
            elif f.key == "year" and report.year:
                report.values[key] = float(report.year)
            elif not f.publish or f.type == "narrative":
                report.unread.add(key)


def report_from_grids(spec: Spec, source: str, kind: str, grids: list[Grid]) -> tuple[FilledReport, list[Finding]]:
    """A workbook's grids as a filled report, with a warning that it is not a gktool workbook."""
    titles = [cell.text for g in grids for (_r, _c), cell in sorted(g.cells.items())[:40]]
    report, findings = build_report(spec, source, kind, grids, titles + [Path(source).stem])
    read_form_fields(spec, grids, report)
    unit_cell, year_cell = spec.field_cells.get("unit"), spec.field_cells.get("year")
    if unit_cell is not None:
        unit = report.values.get((unit_cell.sheet, unit_cell.cell))
        if isinstance(unit, str) and unit.strip():
            report.unit = unit.strip()
    if year_cell is not None:
        year = report.values.get((year_cell.sheet, year_cell.cell))
        if isinstance(year, float) and year.is_integer():
            report.year = int(year)
    _unlabelled_fields(spec, report)
    if _gktool_layout(spec, grids):
        # gktool's own sheets, without its stamp: the file was saved again by another program or format
        how = f"另存为 .{kind} 格式" if kind != "xlsx" else "被其他程序另存过，gktool 的格式标识已丢失"
        message = (
            f"这是 gktool 生成的工作簿，但{how}：已按标签读取，检查照常进行；“校验”表的实时检查和单元格保护在另存后"
            "可能不再可靠。请用 Excel 或 WPS 把它另存为 .xlsx 格式（Excel 工作簿）后再填写和提交。"
        )
    else:
        message = (
            "这不是 gktool 生成的工作簿：已按标签找到官方表格并读取，检查照常进行。"
            "建议用 gktool new 生成填报工作簿，填写时可随时看到检查结果。"
        )
    findings.insert(0, Finding("S9", "warning", "", (), message))
    return report, findings


def _gktool_layout(spec: Spec, grids: list[Grid]) -> bool:
    """Whether a workbook has every sheet a gktool workbook of this format has, 校验 included."""
    return {s.name for s in spec.sheets} | {CHECK_SHEET} <= {g.name for g in grids}


def report_from_raw_workbook(wb: RawWorkbook, spec: Spec | None = None) -> tuple[FilledReport, list[Finding]]:
    """An .xlsx not made by gktool (already read with every sheet) as a filled report."""
    return report_from_grids(spec or load_spec(), wb.path, "xlsx", grids_from_raw(wb))


def read_calamine_kind(path: str | Path, kind: str, spec: Spec | None = None) -> tuple[FilledReport, list[Finding]]:
    """An .xls, .ods or .xlsb workbook as a filled report."""
    return report_from_grids(spec or load_spec(), str(path), kind, grids_from_calamine(path))
