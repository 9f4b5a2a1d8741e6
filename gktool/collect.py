"""`gktool collect`: every unit's submission checked (in parallel for a large folder), fed to a `Collection`,
matched to the roster and summed; the roster read from a text file or a workbook."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .annotate import Folder
from .collection import Collection, Roster, Submission
from .errors import GkError
from .fsutil import check_target
from .model import Analysis
from .readers.ooxml import preflight
from .spec import Spec, load_spec
from .validate import PARALLEL_THRESHOLD, check_file, expand_paths, index_previous
from .writers.summary import cover_from, detail_csv_for, write_summary

CHUNK = 4  # files per worker task (see _checked)


def read_roster(path: str | Path) -> Roster:
    """A roster from a text file (one unit a line) or a workbook (the column headed 单位/名称, else the first)."""
    p = Path(path)
    if not p.is_file():
        raise GkError(f"名单文件“{path}”不存在或不是文件，请检查路径")
    suffix = p.suffix.lower()
    if suffix in (".txt", ".csv", ""):
        raw = p.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise GkError(f"名单文件“{path}”的文字编码无法识别，请另存为 UTF-8 文本")
        names = [line.split(",")[0].strip() if suffix == ".csv" else line.strip() for line in text.splitlines()]
        names = [n for n in names if n and n not in ("单位", "单位名称", "名称")]
    elif suffix in (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"):
        names = _roster_from_workbook(p)
    else:
        raise GkError(
            f"名单文件“{path}”的格式无法读取：请用 .xlsx/.xls/.ods 工作簿（一列单位名称）或 .txt 文本（每行一个单位）"
        )
    roster = Roster(names)
    if not roster.names:
        raise GkError(f"名单文件“{path}”中没有读到单位名称")
    return roster


def _roster_from_workbook(p: Path) -> list[str]:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(p))
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:
        raise GkError(f"名单文件“{p}”无法读取（可能已损坏或加密），请另存为 .xlsx 或 .txt 后重试") from None
    col, start = None, 0
    for i, row in enumerate(rows[:10]):  # a header such as 单位名称 names the column
        for j, v in enumerate(row):
            if isinstance(v, str) and re.search(r"单位|名称|机关|部门", v) and len(v) <= 8:
                col, start = j, i + 1
                break
        if col is not None:
            break
    if col is None:  # else the first column holding text
        counts = Counter(j for row in rows for j, v in enumerate(row) if isinstance(v, str) and v.strip())
        if not counts:
            return []
        col = min(j for j in counts if counts[j] == max(counts.values()))
    return [
        str(row[col]).strip()
        for row in rows[start:]
        if col < len(row) and isinstance(row[col], str) and row[col].strip()
    ]


_PREVIOUS = None  # last year's PreviousIndex in a worker process (installed once per worker)


def _install_previous(previous) -> None:
    global _PREVIOUS
    _PREVIOUS = previous


_SENT: set[tuple[int, int]] = set()  # the specs this worker process has already sent to the main process


def _check_one(path: str) -> tuple[Analysis, tuple[int, int], object]:
    """One file's check in a worker, made cheap to send back.

    A checked report holds its spec (44 KB pickled, ~19 ms to unpickle: more than the rest of the
    report), and the main process would unpickle it once per file while the workers wait on it
    (1.6x validate at 3,000 files). So each worker sends a spec once, then only a key for it; the
    main process puts the spec back. The report's cached evaluator is dropped too (rebuilt on use)."""
    analysis = check_file(path, None, _PREVIOUS)
    report = analysis.report
    if report is None:
        return analysis, (0, 0), None
    spec = report.spec
    key = (os.getpid(), id(spec))
    for r in (report, report.embedded_previous):
        if r is not None and r.spec is spec:
            r.spec = None
            r._evaluator = None
    first = key not in _SENT
    _SENT.add(key)
    return analysis, key, spec if first else None


def _received(results) -> Iterator[Analysis]:
    """The workers' results with their specs put back (a worker's first result carries its spec, and
    pool.map yields in order, so a key always arrives after its spec)."""
    specs: dict[tuple[int, int], object] = {}
    for analysis, key, spec in results:
        if spec is not None:
            specs[key] = spec
        report = analysis.report
        if report is not None:
            for r in (report, report.embedded_previous):
                if r is not None and r.spec is None:
                    r.spec = specs[key]
        yield analysis


def _checked(paths: list[str], jobs: int | None, previous=None) -> Iterator[Analysis]:
    """validate.check_file over the paths, in order, with small chunks for large batches.

    validate.check_files hands each worker len(paths)/(4*jobs) files at a time, and a chunk's
    checked reports (some 150 KB each in memory) arrive together, so its memory grows with the
    number of files. Slicing the paths costs a pool start and an idle tail per slice (1.46x
    validate at 500 files against 1.10x); a pool of CHUNK-sized tasks keeps memory flat at full
    speed. If check_files caps its chunks, this can become a plain call to it. `previous` (last
    year's PreviousIndex) goes to each worker once."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        for p in paths:
            yield check_file(p, None, previous)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_install_previous, initargs=(previous,)) as pool:
        yield from _received(pool.map(_check_one, paths, chunksize=CHUNK))


def collect_files(
    paths: list[str],
    *,
    roster: Roster | None = None,
    year: int | None = None,
    jobs: int | None = None,
    include_failing: bool = False,
    include_unlisted: bool = False,
    spec: Spec | None = None,
    previous_dir: str | None = None,
    on_file: Callable[[Analysis, Submission], None] | None = None,
) -> Collection:
    """Check every file (in parallel for large batches) into a Collection; `on_file` sees each as it arrives.

    `previous_dir`: last year's reports; each file is then also compared with its unit's (validate --previous-dir).

    The caller closes the returned Collection (or uses it in a `with` block)."""
    previous = None
    if previous_dir is not None:  # last year's folder: each unit is compared with its own report (Y rules)
        previous = index_previous(previous_dir, jobs)
    collection = Collection(spec, roster, year, include_failing, include_unlisted)
    try:
        for analysis in _checked(paths, jobs, previous):
            sub = collection.add(analysis)
            if on_file is not None:
                on_file(analysis, sub)
        collection.finish()
    except BaseException:
        collection.close()
        raise
    return collection


def readable_by_gktool(path: str | Path) -> bool:
    """Whether a written summary passes the reader's guards (file size, compression ratio, the parts it reads)."""
    try:
        preflight(path).close()
    except GkError:
        return False
    return True


@dataclass
class CollectRun:
    """What `collect` did: the closed collection, where the summary (and a 明细 CSV) went, and what to tell."""

    collection: Collection
    output: Path
    detail_csv: Path | None
    readable: bool  # whether validate and report can read the summary back
    has_cover: bool  # whether the cover's contact details came from --cover
    annotated: Folder | None


def collect_to(
    folders: Iterable[str],
    output: str | Path,
    *,
    roster: str | Path | None = None,
    year: int | None = None,
    unit: str = "各单位汇总",
    cover_file: str | Path | None = None,
    include_failing: bool = False,
    include_unlisted: bool = False,
    previous_dir: str | None = None,
    jobs: int | None = None,
    annotate_dir: str | Path | None = None,
    force: bool = False,
    on_file: Callable[[Analysis, Submission], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> CollectRun:
    """`gktool collect` as one library call: check every file of `folders`, match the roster, write the summary
    workbook to `output` (and one annotated copy per file with findings to `annotate_dir`). `on_start(n)` hears how
    many files there are, `on_file(analysis, submission)` each one as it is checked (for a progress bar).

    Raises GkError before any reading for a wrong output name, an option that needs another, or an existing
    output without `force`; and before writing when no file is of the `year` asked for."""
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise GkError(f"输出文件“{output}”的扩展名应为 .xlsx（汇总工作簿只能保存为 .xlsx 格式）")
    if include_unlisted and not roster:
        raise GkError("--include-unlisted 要与 --roster 名单一起使用（没有名单时所有单位都纳入汇总）")
    check_target(output, force)  # a bad output path is said before an hour of reading
    roster_list = read_roster(roster) if roster else None
    cover = cover_from(check_file(cover_file, strict=True).report, load_spec()) if cover_file else None
    notes = Folder(annotate_dir, force) if annotate_dir else None
    out = output.resolve()
    paths = [p for p in expand_paths(folders) if Path(p).resolve() != out]  # last run's summary is not a submission
    if notes is not None:  # the annotated copies of an earlier run are not submissions either
        paths = [p for p in paths if notes.folder.resolve() not in Path(p).resolve().parents]

    if on_start is not None:
        on_start(len(paths))

    def seen(analysis: Analysis, sub: Submission) -> None:
        if notes is not None:
            notes.add(analysis)
        if on_file is not None:
            on_file(analysis, sub)

    collection = collect_files(
        paths,
        roster=roster_list,
        year=year,
        jobs=jobs,
        include_failing=include_failing,
        include_unlisted=include_unlisted,
        previous_dir=previous_dir,
        on_file=seen,
    )
    with collection:
        if year is not None and not any(s.year == year for s in collection.submissions):
            # an all-zero summary for a year nobody reported would look like a real one
            found = Counter(s.year for s in collection.submissions if s.year is not None)
            seen_years = "、".join(f"{y} 年 {n} 个" for y, n in sorted(found.items())) or "没有读出年度"
            raise GkError(
                f"没有 {year} 年度的报告（读出的年度：{seen_years}），未写出汇总；请检查 --year 或文件夹是否正确"
            )
        write_summary(collection, output, unit=unit, force=force, cover=cover)
        csv_path = detail_csv_for(collection, output)
    return CollectRun(collection, output, csv_path, readable_by_gktool(output), bool(cover), notes)
