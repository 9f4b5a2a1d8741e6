"""`gktool report`: check a file, settle its unit and year, refuse unless it is publishable, then write the report
as Word, web page and PDF, each proved before it is kept.

`publish` writes each requested file to a temporary file in its target folder, reads it
back with gktool's own readers (the same ones `validate` and `extract` use on published
reports), and keeps it only if the reading gives exactly the workbook's figures — every
value cell of the three tables, the unit and the year — and the same verdict. A file
that does not read back is never left behind: the message names the cells that differ.
All files of one call are kept together or not at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from pathlib import Path

from .checks.crossyear import identity_problem
from .errors import EXIT_FINDINGS, EXIT_INPUT, GkError
from .extract import official_labels
from .findings import Result
from .fsutil import atomic_output, check_target
from .names import plain_name
from .readers import read_report
from .readers.labels import unit_and_year
from .validate import check_file, finish, read_previous
from .writers.pdf import pdf_bytes, require_soffice
from .writers.report import default_report_path, document_bytes
from .writers.report_wording import format_number, report_title
from .writers.webpage import page_bytes

FORMATS = {".docx": "docx", ".html": "html", ".pdf": "pdf"}
FORMAT_NAMES = {"docx": "Word 文件", "html": "网页", "pdf": "PDF"}
EXIT_MISMATCH = 3  # the written file did not read back as the workbook: a fault of gktool, not of the input
TITLE_UNIT_CHARS = 60  # the longest unit readers/labels.py TITLE takes from a title
SHOWN_CELLS = 6  # cells named in a mismatch message; the count says how many more


def output_format(path: Path) -> str:
    """The format a file name asks for, by its extension; GkError for any other."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise GkError(
            f"报告可以写成 Word 文件（.docx）、网页（.html）或 PDF（.pdf），“{path}”的扩展名不是其中之一", EXIT_INPUT
        )
    return fmt


def all_paths(path: Path) -> list[Path]:
    """The three files of `--all`, side by side: NAME.docx, NAME.html, NAME.pdf."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix.lower() in FORMATS else path
    return [stem.with_name(stem.name + suffix) for suffix in FORMATS]


def render(analysis, fmt: str, draft: bool = False) -> bytes:
    """The bytes of one format of the report."""
    if fmt == "docx":
        return document_bytes(analysis, draft=draft)
    if fmt == "html":
        return page_bytes(analysis, draft=draft)
    return pdf_bytes(analysis, draft=draft)


def publish(analysis, paths: list[Path], force: bool = False, draft: bool = False) -> list[Path]:
    """Write the report in the format of each path, each read back and compared before any is kept.

    Raises GkError: an output exists (without `force`), LibreOffice is missing for a PDF, or a
    written file does not read back as the workbook (EXIT_MISMATCH; the cells are named)."""
    if analysis.spec is None:
        raise GkError("无法识别工作簿的格式，不能生成报告", EXIT_FINDINGS)
    paths = [Path(p) for p in paths]
    formats = [output_format(p) for p in paths]
    for p in paths:  # every refusal before any work: an existing file, a missing folder
        check_target(p, force)
    if "pdf" in formats:
        require_soffice()
    with contextlib.ExitStack() as stack:
        for path, fmt in zip(paths, formats, strict=True):
            tmp = stack.enter_context(atomic_output(path, force))
            Path(tmp).write_bytes(render(analysis, fmt, draft))
            problems, only_rounding = read_back_problems(analysis, tmp, fmt)
            if problems:
                hint = (
                    "请在工作簿中把这些金额四舍五入到报告印出的小数位数后重新生成"
                    if only_rounding
                    else "请把这个工作簿发给 gktool 的维护者"
                )
                raise GkError(
                    f"{FORMAT_NAMES[fmt]}“{path.name}”读回后与工作簿不一致，未保存：{problems}；{hint}", EXIT_MISMATCH
                )
    return paths


def verdict(result) -> tuple[bool, tuple[str, ...]]:
    """What `validate` concludes, as compared between a workbook and its report: passes or not, and
    which rules fail (cross-year rules aside). Warnings are not compared: a published form cannot carry some of the
    workbook's fields (the cover's contact cells), and `report` writes text for empty sections."""
    # the Y rules compare two files (report --previous): the report alone cannot repeat them
    errors = sorted({f.rule for f in result.findings if f.severity == "error" and not f.rule.startswith("Y")})
    return (not errors, tuple(errors))


def read_back_problems(analysis, path: Path, fmt: str) -> tuple[str, bool]:
    """How the file at `path` reads differently from the workbook ('' when it reads the same), and
    whether the only difference is amounts the workbook holds with more decimals than the report prints."""

    name = FORMAT_NAMES[fmt]
    try:
        report, findings = read_report(path)
    except GkError as exc:
        return f"无法读取（{exc.message}）", False
    if report is None:
        return "读不出格式", False
    back = finish(report, findings, Result(str(path)))
    source = analysis.report
    differences = []
    # the unit and year a reader can take from the report's own title: the workbook's, except a unit
    # longer than any real one (the readers stop at 60 characters), which no reader finds in any file
    want = (source.unit or None, source.year)
    if len(source.unit or "") > TITLE_UNIT_CHARS:
        # the unit as far as a reader takes it from the title; the year is still read (from the statistics period)
        want = (unit_and_year(source.spec, report_title(analysis))[0], source.year)
    if (report.unit or None, report.year) != want:

        def shown(x) -> str:
            return "（读不出）" if x in (None, "") else f"“{x}”"

        differences.append(
            f"单位、年度读出{shown(report.unit)}{shown(report.year)}，应为{shown(want[0])}{shown(want[1])}"
        )
    cells, rounded = [], 0
    for sheet, cell, _table, _row, _column in official_labels(source.spec):
        want = analysis.number(sheet, cell)
        got = report.values.get((sheet, cell))
        if (sheet, cell) in report.unread or not isinstance(got, (int, float)) or isinstance(got, bool):
            got = None
        if got is None or not math.isclose(got, want, rel_tol=0, abs_tol=1e-9):
            shown = "读不出" if got is None else f"读出 {_number(got)}"
            where = f"{source.spec.sheet(sheet).describe(cell)}（{sheet}!{cell}）"
            cells.append(f"{where}应为 {_number(want)}，{name}中{shown}")
            spec_cell = source.spec.sheet(sheet).spec_cell(cell)
            printed = format_number(source.spec, spec_cell.type if spec_cell else "count", want)
            rounded += float(printed) != want  # more decimals in the workbook than the report prints
    if cells:
        more = f"等 {len(cells)} 个单元格" if len(cells) > SHOWN_CELLS else ""
        differences.append("；".join(cells[:SHOWN_CELLS]) + more)
    want_verdict, got_verdict = verdict(analysis.result), verdict(back.result)
    if want_verdict != got_verdict:
        differences.append(
            f"检查结论不同（工作簿：{_verdict_text(want_verdict)}；{name}：{_verdict_text(got_verdict)}）"
        )
    only_rounding = bool(cells) and rounded == len(cells) and len(differences) == 1
    return "；".join(differences), only_rounding


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _verdict_text(v: tuple[bool, tuple[str, ...]]) -> str:
    return "通过" if v[0] else "不通过，错误 " + "、".join(v[1])


def report_from_file(
    source,
    output=None,
    *,
    all_formats: bool = False,
    force: bool = False,
    draft: bool = False,
    previous=None,
    unit: str | None = None,
    year: int | None = None,
    given_fills_only: bool = False,
    show=None,
):
    """`gktool report` as one library call: check `source` (any file gktool reads; with last year's report
    `previous`, the cross-year rules too), settle its unit and year (`unit`, `year` stand in where the file does
    not say them; with `given_fills_only` they are never compared with what was read), refuse unless publishable, then write the report in the format of `output`'s extension (.docx
    when none is given, beside the source), or all three with `all_formats`, each read back before it is kept.

    `show(result)` is called with the findings before any refusal, so a caller can print them. Returns (paths,
    analysis); raises GkError for each refusal (an unreadable file, errors without `draft`, unknown unit or year,
    an existing output without `force`, no LibreOffice for a PDF, a file that does not read back)."""
    if output:
        output_format(Path(output))  # a wrong extension is refused before the file is read
    if all_formats or (output and output_format(Path(output)) == "pdf"):
        require_soffice()  # no LibreOffice: say what to install before any work
    last = read_previous(previous) if previous else None
    analysis = check_file(source, previous=last, strict=True)
    if last is not None and analysis.report is not None:
        problem = identity_problem(analysis.report.unit, analysis.report.year, last)
        if problem:
            raise GkError(problem)
        analysis.previous = last  # the Word report's year-on-year sentences read it
    if show is not None:
        show(analysis.result)
    if given_fills_only and analysis.report is not None:
        unit, year = (None if analysis.report.unit else unit), (None if analysis.report.year else year)
    settle_identity(analysis, unit, year)
    refuse_unless_publishable(analysis, draft)
    path = Path(output) if output else default_report_path(analysis, Path(source))
    paths = publish(
        analysis, all_paths(path) if all_formats else [path], force=force, draft=bool(analysis.result.errors)
    )
    return paths, analysis


def refuse_unless_publishable(analysis, draft: bool = False) -> None:
    """The policy: no report from a file with errors, unless it is asked for as a marked draft."""
    result = analysis.result
    if analysis.spec is None:
        raise GkError("无法识别报告的格式，不能生成报告", EXIT_FINDINGS)
    if result.errors and not draft:
        raise GkError(
            f"有 {result.errors} 个错误，未生成报告；请改正后重试（或加 --draft 生成标明草稿的报告）", EXIT_FINDINGS
        )


def settle_identity(analysis, unit: str | None = None, year: int | None = None) -> None:
    """Fix the unit and year the report is written for: as read from the file, else as given.

    The analysis gets its own copy of the report with them filled in. Raises GkError (exit 2) when either is neither read nor given, or a given one contradicts the
    file: a report titled "年政府信息公开工作年度报告" or saying "0年度" must never be written."""
    report = analysis.report
    if report is None:
        return
    unit = " ".join(unit.split()) if unit and unit.strip() else None
    if unit and report.unit and plain_name(unit) != plain_name(report.unit):
        raise GkError(
            f"文件中读出的单位是“{report.unit}”，与 --unit 给出的“{unit}”不同，未生成报告；请核对文件", EXIT_INPUT
        )
    if year and report.year and year != report.year:
        raise GkError(
            f"文件中读出的年度是 {report.year} 年，与 --year 给出的 {year} 年不同，未生成报告；请核对文件", EXIT_INPUT
        )
    unit, year = report.unit or unit, report.year or year
    missing = [
        (what, option)
        for what, option, value in (("单位名称", "--unit 中宁县", unit), ("报告年度", "--year 2023", year))
        if not value
    ]
    if missing:
        raise GkError(
            f"未能从文件中读出{'和'.join(w for w, _ in missing)}，未生成报告；"
            f"请用选项指定，如 {' '.join(o for _, o in missing)}",
            EXIT_INPUT,
        )
    report = analysis.report = dataclasses.replace(report, values=dict(report.values), unit=unit, year=year)
    for key, value in (("unit", unit), ("year", float(year))):
        cell = analysis.spec.field_cells.get(key)
        if cell is not None:  # the report's title, opening and file name read these fields
            report.values[(cell.sheet, cell.cell)] = value
