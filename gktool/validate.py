"""Validating files: one read per file, in parallel over many."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import GkError
from .findings import Finding, Result
from .reader import shown_path
from .readers import read_report
from .rules import Analysis, finish
from .spec import load_spec

PARALLEL_THRESHOLD = 16   # below this, starting worker processes costs more than it saves
INTERNAL_ERROR = "检查时发生内部错误"


def _unreadable(path, message: str) -> Analysis:
    return Analysis(None, Result(str(path), None, [Finding("E0", "error", "", (), message)], unreadable=True))


def check_file(path: str | Path, format_name: str | None = None) -> Analysis:
    """Read any supported file and check it. Never raises for a bad file: it gets an E0 finding.

    `format_name` (a shipped format or a .toml path) overrides the format a workbook names."""
    try:
        report, findings = read_report(path, load_spec(format_name) if format_name else None)
        return finish(report, findings, Result(str(path)))
    except GkError as exc:
        return _unreadable(path, exc.message)
    except RecursionError:
        return _unreadable(path, f"{shown_path(path)}：文件结构异常，无法读取")
    except Exception as exc:   # a bug in gktool, not the user's fault: still one verdict, so a batch goes on
        return _unreadable(path, f"{shown_path(path)}：{INTERNAL_ERROR}（{type(exc).__name__}），请把这个文件发给 gktool 的维护者")


def validate_file(path: str | Path, format_name: str | None = None) -> Result:
    """The verdict on one file (never raises for a bad file)."""
    return check_file(path, format_name).result


def analyse_file(path: str | Path, format_name: str | None = None) -> Analysis:
    """Read and check one file; raises GkError if it cannot be read."""
    report, findings = read_report(path, load_spec(format_name) if format_name else None)
    return finish(report, findings, Result(str(path)))


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


def _map(func, paths: list[str], jobs: int | None, format_name: str | None):
    jobs = jobs or os.cpu_count() or 1
    if format_name:
        load_spec(format_name)      # a bad format file is one error for the batch, before any worker starts
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        for p in paths:
            yield func(p, format_name)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(func, paths, [format_name] * len(paths), chunksize=max(1, len(paths) // (jobs * 4)))


def validate_files(paths: list[str], jobs: int | None = None, format_name: str | None = None) -> Iterator[Result]:
    """Results in the order of `paths`; uses worker processes for large batches."""
    yield from _map(validate_file, paths, jobs, format_name)


def check_files(paths: list[str], jobs: int | None = None, format_name: str | None = None) -> Iterator[Analysis]:
    """Checked reports in the order of `paths` (for extract and collect)."""
    yield from _map(check_file, paths, jobs, format_name)
