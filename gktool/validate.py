"""Validating files: one read per file, in parallel over many."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import GkError
from .findings import Finding, Result
from .reader import read_workbook, shown_path
from .rules import Analysis, analyse, check_workbook, sheet_areas

PARALLEL_THRESHOLD = 16   # below this, starting worker processes costs more than it saves
INTERNAL_ERROR = "检查时发生内部错误"


def validate_file(path: str | Path) -> Result:
    """Validate one workbook. Never raises for a bad file: an unreadable one gets an E0 finding."""
    try:
        wb = read_workbook(path, sheet_areas())
        return check_workbook(wb)
    except GkError as exc:
        return Result(str(path), None, [Finding("E0", "error", "", (), exc.message)], unreadable=True)
    except RecursionError:
        return Result(str(path), None, [Finding("E0", "error", "", (), f"{shown_path(path)}：文件结构异常，无法读取")], unreadable=True)
    except Exception as exc:   # a bug in gktool, not the user's fault: still one verdict, so a batch goes on
        return Result(str(path), None, [Finding("E0", "error", "", (), f"{shown_path(path)}：{INTERNAL_ERROR}"
                                                f"（{type(exc).__name__}），请把这个文件发给 gktool 的维护者")], unreadable=True)


def analyse_file(path: str | Path) -> Analysis:
    """Read and analyse one workbook; raises GkError if it cannot be read."""
    return analyse(read_workbook(path, sheet_areas()))


def expand_paths(args: Iterable[str]) -> list[str]:
    """Files as given; a folder means every .xlsx directly inside it (lock files skipped)."""
    out = []
    for a in args:
        p = Path(a)
        if p.is_dir():
            found = sorted(str(x) for x in p.iterdir()
                           if x.suffix.lower() == ".xlsx" and not x.name.startswith(("~$", ".")) and x.is_file())
            if not found:
                raise GkError(f"文件夹“{a}”中没有 .xlsx 工作簿")
            out.extend(found)
        else:
            out.append(a)
    return out


def validate_files(paths: list[str], jobs: int | None = None) -> Iterator[Result]:
    """Results in the order of `paths`; uses worker processes for large batches."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        for p in paths:
            yield validate_file(p)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(validate_file, paths, chunksize=max(1, len(paths) // (jobs * 4)))
