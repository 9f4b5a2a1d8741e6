"""The CPU-bound jobs of `gktool serve`, run in worker processes so that the server keeps
answering while files are checked and reports written. Each takes and returns plain data."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..errors import GkError
from ..findings import Result
from ..reader import shown_path


def warm() -> int:
    """Import the readers and load the spec once, so the first upload is answered as fast as the rest."""
    from ..readers import read_report  # noqa: F401
    from ..rules import finish  # noqa: F401
    from ..spec import load_spec

    load_spec()
    return os.getpid()


def _hide(text: str, path: str, shown: str) -> str:
    """Messages name the file: the server's own path becomes the name the unit uploaded."""
    return text.replace(shown_path(path), shown).replace(Path(path).name, shown)


def check(path: str, shown: str) -> tuple[str, bool]:
    """Check a stored upload: (the JSON line of `gktool validate --format json`, unreadable)."""
    from ..validate import check_file

    result = check_file(path).result
    findings = [dataclasses.replace(f, message=_hide(f.message, path, shown)) for f in result.findings]
    out = Result(shown, result.format, findings, result.unreadable, result.kind, result.unit, result.year)
    return out.to_json(), result.unreadable


def annotated(path: str, shown: str, out: str) -> str:
    """Write the unit's file back with the findings on its cells (`gktool annotate`); returns the name to offer."""
    from ..annotate import annotate_analysis, default_output
    from ..validate import check_file

    analysis = check_file(path)
    result = analysis.result
    findings = [dataclasses.replace(f, message=_hide(f.message, path, shown)) for f in result.findings]
    analysis.result = Result(shown, result.format, findings, result.unreadable, result.kind, result.unit, result.year)
    annotate_analysis(analysis, Path(out), force=True, source=path)
    return default_output(Path(shown).name).name


def report(path: str, out: str) -> str:
    """Write the Word report of a passing upload to `out`; returns the file name to offer."""
    from ..report import default_report_path, write_report
    from ..validate import analyse_file

    analysis = analyse_file(path)
    if analysis.spec is None or analysis.result.errors:
        raise GkError("文件有错误，不能生成报告")
    write_report(analysis, Path(out), force=True)
    return default_report_path(analysis, Path(".")).name


def blank(unit: str, year: int, out: str) -> str:
    """Write the blank workbook (`gktool new`) for a unit and year; returns the file name to offer."""
    from ..spec import load_spec
    from ..writer import default_filename, new_workbook

    new_workbook(load_spec(), Path(out), unit=unit, year=year, force=True)
    return default_filename(unit, year)


def summary(entries: list[tuple[str, str, str]], roster: list[str], year: int, out: str) -> str:
    """Write the 汇总 workbook (`gktool collect`) over (unit, stored path, uploaded name) entries.

    The unit is the one whose link received the file: that, not the name printed in the file,
    decides whose submission it is. Returns the file name to offer."""
    from ..collect import Collection, Roster
    from ..summary import write_summary
    from ..validate import check_file

    with Collection(roster=Roster(roster), year=year) as collection:
        for unit, path, shown in entries:
            analysis = check_file(path)
            analysis.result.file = f"{unit}/{shown}"
            analysis.result.unit = unit
            collection.add(analysis)
        write_summary(collection, Path(out), force=True)
    return f"{year}年政府信息公开工作年度报告汇总.xlsx"
