"""Validating files: one read per file, in parallel over many."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .crossyear import compare, missing_in, no_previous, unit_key
from .errors import GkError
from .findings import Finding, Result
from .model import FilledReport
from .reader import shown_path
from .readers import read_report
from .rules import Analysis, finish
from .spec import load_spec

PARALLEL_THRESHOLD = 16   # below this, starting worker processes costs more than it saves
INTERNAL_ERROR = "检查时发生内部错误"


def _unreadable(path, message: str) -> Analysis:
    return Analysis(None, Result(str(path), None, [Finding("E0", "error", "", (), message)], unreadable=True))


def check_file(path: str | Path, format_name: str | None = None, previous=None) -> Analysis:
    """Read any supported file and check it. Never raises for a bad file: it gets an E0 finding.

    `format_name` (a shipped format or a .toml path) overrides the format a workbook names.
    `previous` (last year's report: a file, or a `PreviousIndex` of a folder) adds the Y rules."""
    try:
        report, findings = read_report(path, load_spec(format_name) if format_name else None)
        analysis = finish(report, findings, Result(str(path)))
        if previous is not None and report is not None:
            analysis.result.findings.extend(cross_year(report, previous, format_name))
        return analysis
    except GkError as exc:
        return _unreadable(path, exc.message)
    except RecursionError:
        return _unreadable(path, f"{shown_path(path)}：文件结构异常，无法读取")
    except Exception as exc:   # a bug in gktool, not the user's fault: still one verdict, so a batch goes on
        return _unreadable(path, f"{shown_path(path)}：{INTERNAL_ERROR}（{type(exc).__name__}），请把这个文件发给 gktool 的维护者")


def validate_file(path: str | Path, format_name: str | None = None, previous=None) -> Result:
    """The verdict on one file (never raises for a bad file)."""
    return check_file(path, format_name, previous).result


def analyse_file(path: str | Path, format_name: str | None = None, previous=None) -> Analysis:
    """Read and check one file; raises GkError if it cannot be read."""
    report, findings = read_report(path, load_spec(format_name) if format_name else None)
    analysis = finish(report, findings, Result(str(path)))
    if previous is not None and report is not None:
        analysis.result.findings.extend(cross_year(report, previous, format_name))
    return analysis


# ----------------------------------------------------------------- last year's report
@dataclass
class PreviousIndex:
    """Last year's reports in a folder, by unit and year (plain data: travels to worker processes)."""
    folder: str
    files: dict[tuple[str, int], str] = field(default_factory=dict)
    unreadable: int = 0

    def find(self, unit: str | None, year: int | None) -> str | None:
        """The file of `unit` for `year`, if the folder holds one."""
        if not unit or year is None:
            return None
        return self.files.get((unit_key(unit), year))


def _identity(path: str, format_name: str | None):
    try:
        report, _ = read_report(path, load_spec(format_name) if format_name else None)
    except GkError:
        return path, None, None
    except Exception:       # a file gktool cannot read is counted, never fatal to the batch
        return path, None, None
    if report is None:
        return path, None, None
    return path, report.unit, report.year


def index_previous(folder: str | Path, jobs: int | None = None, format_name: str | None = None) -> PreviousIndex:
    """Read every file of last year's folder once for its unit and year."""
    index = PreviousIndex(str(folder))
    if not Path(folder).is_dir():
        raise GkError(f"上年报告文件夹“{shown_path(folder)}”不存在或不是文件夹")
    for path, unit, year in _map(_identity, expand_paths([str(folder)]), jobs, format_name):
        if not unit or year is None:
            index.unreadable += 1
            continue
        index.files.setdefault((unit_key(unit), year), path)    # sorted paths: the first of duplicates wins
    return index


def read_previous(path: str | Path, format_name: str | None = None) -> FilledReport:
    """Last year's report for --previous; raises GkError (one line) when it cannot be read."""
    try:
        report, _ = read_report(path, load_spec(format_name) if format_name else None)
    except GkError as exc:
        raise GkError(f"上年报告无法读取：{exc.message}", exc.exit_code) from None
    if report is None:
        raise GkError(f"上年报告“{shown_path(path)}”无法识别格式，不能用于比较")
    return report


def cross_year(report: FilledReport, previous, format_name: str | None = None) -> list[Finding]:
    """The Y findings of `report` against `previous` (a file, a FilledReport, or a PreviousIndex)."""
    if isinstance(previous, PreviousIndex):
        found = previous.find(report.unit, None if report.year is None else report.year - 1)
        if found is None:
            return [missing_in(report, previous.folder, previous.unreadable)]
        previous = found
    if not isinstance(previous, FilledReport):
        try:
            previous = read_previous(previous, format_name)
        except GkError as exc:
            return [no_previous(report, exc.message.rstrip("。"))]
    return compare(report, previous)


def expand_paths(args: Iterable[str]) -> list[str]:
    """Files as given; a folder means every file inside it, recursively (lock and hidden files skipped).

    Every file a folder holds gets its verdict, including ones gktool cannot read: nothing is skipped silently."""
    out = []
    for a in args:
        p = Path(a)
        if p.is_dir():
            found = sorted(str(x) for x in p.rglob("*")
                           if x.is_file() and not any(part.startswith((".", "~$")) for part in x.relative_to(p).parts))
            if not found:
                raise GkError(f"文件夹“{a}”中没有文件")
            out.extend(found)
        else:
            out.append(a)
    return out


def _map(func, paths: list[str], jobs: int | None, format_name: str | None, *extra):
    jobs = jobs or os.cpu_count() or 1
    if format_name:
        load_spec(format_name)      # a bad format file is one error for the batch, before any worker starts
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        for p in paths:
            yield func(p, format_name, *extra)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(func, paths, [format_name] * len(paths), *([e] * len(paths) for e in extra),
                            chunksize=max(1, len(paths) // (jobs * 4)))


def validate_files(paths: list[str], jobs: int | None = None, format_name: str | None = None,
                   previous=None) -> Iterator[Result]:
    """Results in the order of `paths`; uses worker processes for large batches.

    `previous`: last year's report (a path) or a `PreviousIndex` of last year's folder."""
    if previous is None:
        yield from _map(validate_file, paths, jobs, format_name)
    else:
        yield from _map(validate_file, paths, jobs, format_name, previous)


def check_files(paths: list[str], jobs: int | None = None, format_name: str | None = None) -> Iterator[Analysis]:
    """Checked reports in the order of `paths` (for extract and collect)."""
    yield from _map(check_file, paths, jobs, format_name)
