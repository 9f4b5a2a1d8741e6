"""The CPU-bound jobs of `gktool serve`, run in worker processes so that the server keeps
answering while files are checked and reports written. Each takes and returns plain data."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..collection import Collection, Roster, mismatch_finding
from ..findings import Result
from ..fsutil import shown_path
from ..publish import report_from_file
from ..spec import load_spec
from ..validate import check_file
from ..writers.annotation import annotate_analysis, default_output
from ..writers.report import default_report_path
from ..writers.summary import write_summary
from ..writers.workbook import default_filename, new_workbook


def warm() -> int:
    """Load the spec once in a worker, so the first upload is answered as fast as the rest."""
    load_spec()
    return os.getpid()


def _hide(text: str, path: str, shown: str) -> str:
    """Messages name the file: the server's own path becomes the name the unit uploaded."""
    return text.replace(shown_path(path), shown).replace(Path(path).name, shown)


def check(path: str, shown: str, unit: str | None = None) -> tuple[str, bool]:
    """Check a stored upload: (the JSON line of `gktool validate --format json`, unreadable).

    `unit` is the unit whose link received it: a file naming another unit gets an error (it is not counted)."""
    result = check_file(path).result
    other = mismatch_finding(unit, result.unit) if unit and not result.unreadable else None
    findings = [dataclasses.replace(f, message=_hide(f.message, path, shown)) for f in result.findings]
    if other is not None:
        findings.insert(0, other)
    out = Result(shown, result.format, findings, result.unreadable, result.kind, result.unit, result.year)
    return out.to_json(), result.unreadable


def annotated(path: str, shown: str, out: str) -> str:
    """Write the unit's file back with the findings on its cells (`gktool annotate`); returns the name to offer."""
    analysis = check_file(path)
    result = analysis.result
    findings = [dataclasses.replace(f, message=_hide(f.message, path, shown)) for f in result.findings]
    analysis.result = Result(shown, result.format, findings, result.unreadable, result.kind, result.unit, result.year)
    annotate_analysis(analysis, Path(out), force=True, source=path)
    return default_output(Path(shown).name).name


def report(path: str, out: str, fmt: str = "docx", unit: str | None = None, year: int | None = None) -> str:
    """Write the report (Word, web page or PDF) of a passing upload to `out`, as `gktool report` does (read
    back and compared); returns the file name to offer. `unit`, `year` (the link's unit, the collection year)
    stand in where the file does not say them."""
    _, analysis = report_from_file(path, out, force=True, unit=unit, year=year, given_fills_only=True)
    return default_report_path(analysis, Path(".")).with_suffix("." + fmt).name


def blank(unit: str, year: int, out: str) -> str:
    """Write the blank workbook (`gktool new`) for a unit and year; returns the file name to offer."""
    new_workbook(load_spec(), Path(out), unit=unit, year=year, force=True)
    return default_filename(unit, year)


def summary(entries: list[tuple[str, str, str]], roster: list[str], year: int, out: str) -> str:
    """Write the 汇总 workbook (`gktool collect`) over (unit, stored path, uploaded name) entries.

    The unit is the one whose link received the file: that decides whose submission it is, and a
    file naming another unit is shown beside it as 不一致 and not summed. `shown` says which
    submission it is. Returns the file name to offer."""
    with Collection(roster=Roster(roster), year=year) as collection:
        for unit, path, shown in entries:
            analysis = check_file(path)
            analysis.result.file = f"{unit}/{shown}"
            other = None if analysis.result.unreadable else mismatch_finding(unit, analysis.result.unit)
            if other is not None:  # the same error the upload got, so 状态 counts it as the unit saw it
                analysis.result.findings.insert(0, other)
            collection.add(analysis, link=unit)
        write_summary(collection, Path(out), force=True)
    return f"{year}年政府信息公开工作年度报告汇总.xlsx"
