"""Publishing the report: Word, web page and PDF from one analysed workbook, each proved before it is kept.

`publish` writes each requested file to a temporary file in its target folder, reads it
back with gktool's own readers (the same ones `validate` and `extract` use on published
reports), and keeps it only if the reading gives exactly the workbook's figures — every
value cell of the three tables, the unit and the year — and the same verdict. A file
that does not read back is never left behind: the message names the cells that differ.
All files of one call are kept together or not at all.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

from .errors import EXIT_FINDINGS, EXIT_INPUT, GkError
from .fsutil import atomic_output, check_target

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
        from .writers.report import document_bytes

        return document_bytes(analysis, draft=draft)
    if fmt == "html":
        from .writers.webpage import page_bytes

        return page_bytes(analysis, draft=draft)
    from .writers.pdf import pdf_bytes

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
        from .writers.pdf import require_soffice

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
    from .extract import official_labels
    from .findings import Result
    from .readers import read_report
    from .readers.labels import unit_and_year
    from .validate import finish
    from .writers.report import format_number, report_title

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
        want = unit_and_year(report_title(analysis))
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
