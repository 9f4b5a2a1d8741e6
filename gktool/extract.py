"""`gktool extract`: what was read from each file, by official labels, as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from .findings import _json_number
from .model import Analysis
from .validate import check_file, map_files
from .value_cells import official_labels

CSV_FIELDS = ["file", "unit", "year", "table", "row", "column", "value", "printed", "at"]


def _plain(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return _json_number(v)


def extract_record(analysis: Analysis) -> dict:
    """One file's extract object: the verdict's fields plus every table value with its source."""
    result = analysis.result
    rec = {
        "file": result.file,
        "ok": result.ok,
        "kind": result.kind,
        "format": result.format,
        "unit": result.unit,
        "year": result.year,
        "values": [],
    }
    report = analysis.report
    if report is not None:
        for sheet, cell, table, row, column in official_labels(report.spec):
            if not report.has(sheet):
                continue
            key = (sheet, cell)
            value = report.values.get(key)
            number = None if key in report.unread or not isinstance(value, (int, float)) else _plain(value)
            rec["values"].append(
                {
                    "table": table,
                    "row": row,
                    "column": column,
                    "value": number,
                    "printed": report.printed.get(key, ""),
                    # a place the file has: gktool's own address only in a gktool workbook, else none
                    "at": report.place(sheet, cell).at if key in report.places or report.kind == "gktool" else None,
                }
            )
    rec["findings"] = [f.as_dict() for f in result.findings]
    return rec


def to_json_line(analysis: Analysis) -> str:
    """The extract object as one JSON line."""
    return json.dumps(extract_record(analysis), ensure_ascii=False)


def csv_rows(analysis: Analysis) -> list[list]:
    """One CSV row per value: file, unit, year, then the value's fields."""
    rec = extract_record(analysis)
    return [
        [
            rec["file"],
            rec["unit"] or "",
            rec["year"] or "",
            v["table"],
            v["row"],
            v["column"],
            "" if v["value"] is None else v["value"],
            v["printed"],
            v["at"],
        ]
        for v in rec["values"]
    ]


def csv_text(rows: list[list], header: bool) -> str:
    """Rows as CSV text (the caller adds the BOM once, at the start of the output)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if header:
        w.writerow(CSV_FIELDS)
    w.writerows(rows)
    return buf.getvalue()


def _extracted(path: str, format_name: str | None, fmt: str) -> tuple[str, bool]:
    # done in the worker process: what travels back is the text, not the report with its spec
    analysis = check_file(path, format_name)
    text = to_json_line(analysis) + "\n" if fmt == "json" else csv_text(csv_rows(analysis), header=False)
    return text, analysis.result.unreadable


def extract_files(
    paths: list[str], fmt: str = "json", jobs: int | None = None, format_name: str | None = None
) -> Iterator[tuple[str, bool]]:
    """`gktool extract` as one library call: each file's JSON line (or CSV rows, without the header) in the order
    of `paths`, with whether the file could not be read; in parallel for a large batch."""
    yield from map_files(_extracted, paths, jobs, format_name, fmt)
