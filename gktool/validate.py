"""Validating files: one read per file, in parallel over many."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .checks.content import check_report
from .checks.crossyear import compare, missing_in, no_previous, y1_carry_over, y2_stock
from .errors import GkError
from .findings import Finding, Result
from .fsutil import shown_path
from .model import Analysis, FilledReport
from .names import unit_key
from .readers import read_report
from .spec import load_spec

PARALLEL_THRESHOLD = 16  # below this, starting worker processes costs more than it saves
INTERNAL_ERROR = "检查时发生内部错误"


def finish(report: FilledReport | None, findings: list[Finding], result: Result) -> Analysis:
    """The verdict: the reader's findings, then the content rules on what it read."""
    result.findings.extend(findings)
    if report is None:
        return Analysis(None, result)
    result.kind = report.kind
    result.format = report.spec.format_id
    result.unit, result.year = report.unit, report.year
    result.findings.extend(check_report(report))
    return Analysis(report, result)


def _unreadable(path, message: str) -> Analysis:
    return Analysis(None, Result(str(path), None, [Finding("E0", "error", "", (), message)], unreadable=True))


def check_file(path: str | Path, format_name: str | None = None, previous=None, *, strict: bool = False) -> Analysis:
    """Read any supported file and check it: the one check of one file.

    A file that cannot be read gets an E0 finding (never an exception), so a batch goes on; with `strict` it
    raises GkError with the same one-line message instead (report, annotate: no output from an unread file).
    `format_name` (a shipped format or a .toml path) overrides the format a workbook names.
    `previous` (last year's report: a file, or a `PreviousIndex` of a folder) adds the Y rules."""
    if strict:
        return _checked(path, format_name, previous)
    try:
        return _checked(path, format_name, previous)
    except GkError as exc:
        return _unreadable(path, exc.message)
    except RecursionError:
        return _unreadable(path, f"{shown_path(path)}：文件结构异常，无法读取")
    except Exception as exc:  # a bug in gktool, not the user's fault: still one verdict, so a batch goes on
        return _unreadable(
            path, f"{shown_path(path)}：{INTERNAL_ERROR}（{type(exc).__name__}），请把这个文件发给 gktool 的维护者"
        )


def _verdict(path: str | Path, format_name: str | None = None, previous=None) -> Result:
    # what a worker process sends back for `validate`: the verdict alone, small to pickle
    return check_file(path, format_name, previous).result


def _checked(path, format_name: str | None, previous) -> Analysis:
    report, findings = read_report(path, load_spec(format_name) if format_name else None)
    analysis = finish(report, findings, Result(str(path)))
    if report is None:
        return analysis
    if previous is not None:
        analysis.result.findings.extend(cross_year(report, previous, format_name))
    elif report.embedded_previous is not None:
        # the workbook's 校验 sheet compares with its own 上年数据 sheet: so does validate, or the two would disagree
        last = report.embedded_previous
        analysis.result.findings.extend(y1_carry_over(report, last) + y2_stock(report, last))
    return analysis


# ----------------------------------------------------------------- last year's report
@dataclass
class PreviousIndex:
    """Last year's reports in a folder, by unit and year, each kept as read (without its spec,
    so the index is small enough to hand to every worker process once)."""

    folder: str
    files: dict[tuple[str, int], str] = field(default_factory=dict)
    reports: dict[str, FilledReport] = field(default_factory=dict)  # path -> report, spec detached
    specs: dict[str, str] = field(default_factory=dict)  # path -> format name to re-attach
    unreadable: int = 0

    def find(self, unit: str | None, year: int | None) -> str | None:
        """The file of `unit` for `year`, if the folder holds one."""
        if not unit or year is None:
            return None
        return self.files.get((unit_key(unit), year))

    def report(self, path: str) -> FilledReport | None:
        """Last year's report as read when the folder was indexed (None: read it again)."""
        kept = self.reports.get(path)
        if kept is None:
            return None
        try:
            return replace(kept, spec=load_spec(self.specs[path]))
        except GkError:
            return None


def _detached(path: str, format_name: str | None):
    """(path, unit, year, report without its spec, spec name) — or Nones for a file that cannot be read."""
    try:
        report, _ = read_report(path, load_spec(format_name) if format_name else None)
    except Exception:  # GkError or a bug: the file is counted as unreadable, never fatal to the batch
        return path, None, None, None, None
    if report is None:
        return path, None, None, None, None
    name = format_name or report.spec.format_name
    shipped = format_name is not None or report.spec is load_spec(report.spec.format_name)
    kept = replace(report, spec=None, _evaluator=None, _homes=None) if shipped else None
    return path, report.unit, report.year, kept, name


def index_previous(folder: str | Path, jobs: int | None = None, format_name: str | None = None) -> PreviousIndex:
    """Read every file of last year's folder once, for its unit and year and for the comparisons."""
    index = PreviousIndex(str(folder))
    if not Path(folder).is_dir():
        raise GkError(f"上年报告文件夹“{shown_path(folder)}”不存在或不是文件夹")
    for path, unit, year, kept, name in map_files(_detached, expand_paths([str(folder)]), jobs, format_name):
        if not unit or year is None:
            index.unreadable += 1
            continue
        if (unit_key(unit), year) in index.files:
            continue  # sorted paths: the first of duplicates wins
        index.files[(unit_key(unit), year)] = path
        if kept is not None:
            index.reports[path], index.specs[path] = kept, name
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
        previous = previous.report(found) or found
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
            found = sorted(
                str(x)
                for x in p.rglob("*")
                if x.is_file() and not any(part.startswith((".", "~$")) for part in x.relative_to(p).parts)
            )
            if not found:
                raise GkError(f"文件夹“{a}”中没有文件")
            out.extend(found)
        else:
            out.append(a)
    return out


def map_files(func, paths: list[str], jobs: int | None, format_name: str | None, *extra, initializer=None, initargs=()):
    """`func(path, format_name, *extra)` over `paths`, in order; in worker processes for a large batch."""
    jobs = jobs or os.cpu_count() or 1
    if format_name:
        load_spec(format_name)  # a bad format file is one error for the batch, before any worker starts
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        if initializer is not None:
            initializer(*initargs)
        for p in paths:
            yield func(p, format_name, *extra)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=initializer, initargs=initargs) as pool:
        yield from pool.map(
            func,
            paths,
            [format_name] * len(paths),
            *([e] * len(paths) for e in extra),
            chunksize=max(1, len(paths) // (jobs * 4)),
        )


def validate_files(
    paths: list[str], jobs: int | None = None, format_name: str | None = None, previous=None
) -> Iterator[Result]:
    """Results in the order of `paths`; uses worker processes for large batches.

    `previous`: last year's report (a path) or a `PreviousIndex` of last year's folder."""
    if previous is None:
        yield from map_files(_verdict, paths, jobs, format_name)
    elif isinstance(previous, PreviousIndex):
        # the index goes to each worker once, not with every chunk of files
        yield from map_files(
            _validate_with_installed, paths, jobs, format_name, initializer=_install_previous, initargs=(previous,)
        )
    else:
        yield from map_files(_verdict, paths, jobs, format_name, previous)


_INSTALLED = None  # the PreviousIndex of this (worker) process


def _install_previous(previous) -> None:
    global _INSTALLED
    _INSTALLED = previous


def _validate_with_installed(path: str, format_name: str | None) -> Result:
    return _verdict(path, format_name, _INSTALLED)


def check_files(paths: list[str], jobs: int | None = None, format_name: str | None = None) -> Iterator[Analysis]:
    """Checked reports in the order of `paths` (for extract and collect)."""
    yield from map_files(check_file, paths, jobs, format_name)
