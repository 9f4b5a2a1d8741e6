"""Readers: any file a user has, turned into the filled report plus the file's own findings.

`read_report(path)` looks at the file's first bytes and its extension and hands it to
the reader for its kind: a gktool workbook (cells by defined name), any other workbook
(.xlsx, .xls, .ods, .xlsb: tables by labels), or a published report (.docx, .html, .pdf:
tables by labels, narrative by its headings). A new source is a new reader here; the
content rules never see a file format.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path

from ..contract import (
    CHECK_COLUMNS,
    CHECK_FIRST_ROW,
    CHECK_SHEET,
    PREVIOUS_FIRST_ROW,
    PREVIOUS_SHEET,
    PROP_FORMAT,
    PROP_VERSION,
    previous_cells,
)
from ..errors import GkError
from ..findings import Finding
from ..fsutil import read_start, shown_path
from ..livechecks import check_rows
from ..model import FilledReport
from ..spec import Spec, available_formats, load_spec
from .ooxml import CFB_MAGIC, ZIP_MAGIC, preflight
from .workbook import is_gktool_workbook, read_gktool_workbook, select_spec
from .xlsx import FOREIGN_AREA, RawWorkbook, read_workbook

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".et"}
DOCUMENT_SUFFIXES = {".docx", ".doc", ".html", ".htm", ".mhtml", ".mht", ".pdf", ".wps"}
SUFFIXES = WORKBOOK_SUFFIXES | DOCUMENT_SUFFIXES
# kind -> (module, function) of the published-report readers; each returns a grid.Document
DOCUMENT_READERS = {
    "docx": ("gktool.readers.docx", "read_docx"),
    "html": ("gktool.readers.html", "read_html"),
    "pdf": ("gktool.readers.pdf", "read_pdf"),
}


def _reader(module: str, func: str):
    """A reader loaded when a file first needs it: checking a gktool workbook never imports the label
    reader, and no workbook check imports the Word, web and PDF stacks (they cost the one-file start-up)."""
    return getattr(importlib.import_module(module), func)


def _head(path: str | Path) -> bytes:
    """The first bytes of a regular file; anything else is one clear line (a FIFO is never opened)."""
    return read_start(
        path,
        not_folder="这是一个文件夹，不是文件；请给出其中的文件，或把文件夹交给 validate/extract",
        not_special="这不是普通文件（可能是设备或管道），请给出工作簿或报告文件",
        limit=2048,
    )[1]


def sniff(path: str | Path) -> str:
    """What a file is, by its first bytes first and its extension second."""
    suffix = Path(path).suffix.lower()
    head = _head(path)
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(ZIP_MAGIC):
        if suffix in (".ods",) or b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
            return "ods"
        if suffix == ".docx" or b"word/" in head:
            return "docx"
        if suffix == ".xlsb":
            return "xlsb"
        return "xlsx"
    if head.startswith(CFB_MAGIC):
        if suffix in (".doc", ".wps"):
            return "doc"
        if suffix == ".docx":  # an encrypted .docx, or a .doc renamed: read_docx says which
            return "docx"
        if suffix == ".et":
            return "et"
        return "xls"
    if suffix in (".html", ".htm", ".mhtml", ".mht") or re.search(
        rb"<\s*(!doctype\s+html|html|head|body|table|meta)\b", head[:2048], re.I
    ):
        return "html"
    if suffix == ".et":
        return "et"
    return "xlsx" if suffix in (".xlsx", ".xlsm", "") else "unknown"


def read_report(path: str | Path, spec: Spec | None = None) -> tuple[FilledReport | None, list[Finding]]:
    """Read any supported file; raises GkError (one Chinese line) when it cannot be read at all."""
    kind = sniff(path)
    shown = shown_path(path)
    if kind == "xlsx":
        return _read_xlsx(path, spec)
    if kind in ("xls", "ods", "xlsb"):
        return _reader("gktool.readers.spreadsheet", "read_calamine_kind")(path, kind, spec)
    if kind == "et":
        raise GkError(f"{shown}：这是 WPS 表格 .et 文件，请在 WPS 中“另存为” .xlsx 格式后再提交")
    if kind == "doc":
        raise GkError(f"{shown}：这是旧版 Word .doc 文件，请在 Word/WPS 中“另存为” .docx 后再检查")
    if kind in DOCUMENT_READERS:
        document = _reader(*DOCUMENT_READERS[kind])(path)
        return _reader("gktool.readers.published", "report_from_document")(document, str(path), spec or load_spec())
    raise GkError(
        f"{shown}：不是工作簿或报告文件（可以读取 .xlsx、.xls、.ods、.xlsb、.docx、.html、.pdf），请确认提交的文件"
    )


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


def _gktool_or_foreign(areas):
    def keep(names, props):
        if props.get(PROP_FORMAT) and props.get(PROP_VERSION):
            return areas
        return {n: FOREIGN_AREA for n in names}

    return keep


def _read_xlsx(path, spec: Spec | None):
    areas = dict(sheet_areas())
    if spec is not None:  # a format file given by the user may lay its sheets out wider
        for sheet in spec.sheets:
            r, c = sheet.bounds
            pr, pc = areas.get(sheet.name, (0, 0))
            areas[sheet.name] = (max(r, pr), max(c, pc))
    spec_for_area = spec or load_spec()
    areas[PREVIOUS_SHEET] = (PREVIOUS_FIRST_ROW + len(previous_cells(spec_for_area)), 4)
    return report_from_workbook(read_workbook(path, _gktool_or_foreign(areas)), spec)


def report_from_workbook(wb: RawWorkbook, spec: Spec | None = None) -> tuple[FilledReport | None, list[Finding]]:
    """The filled report of a workbook already read from its zip: by defined name for a gktool workbook, else by
    labels; with the reader's findings. None (and the findings say why) when its format cannot be chosen."""
    if not is_gktool_workbook(wb):
        return _reader("gktool.readers.spreadsheet", "report_from_raw_workbook")(wb, spec)
    findings: list[Finding] = []
    chosen = select_spec(wb, findings, spec)
    if chosen is None:
        return None, findings
    report, own = read_gktool_workbook(wb, chosen)
    return report, findings + own


__all__ = ["read_report", "report_from_workbook", "sheet_areas", "sniff", "SUFFIXES", "preflight"]
