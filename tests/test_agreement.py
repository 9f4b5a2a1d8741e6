"""The 校验 sheet (recalculated by LibreOffice) and `gktool validate` never disagree.

A corpus of mistakes a clerk makes, typed the way Excel-like programs store them, is
filled into the example workbook, saved through LibreOffice headless (which recalculates
the live checks), and judged twice: by the sheet's overall verdict and by `validate`.
"""

import datetime

import openpyxl
import pytest

from gktool.contract import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL
from gktool.livechecks import check_rows
from gktool.validate import check_file

from .helpers import soffice_available, soffice_convert

B, A, S6 = "三、依申请公开", "二、主动公开", "六、其他事项"

CASES = {
    "correct": {},
    "text 12": {(B, "F6"): "12"},
    "text 12件": {(B, "F6"): "12件"},
    "full-width digits": {(B, "F6"): "１２"},
    "negative": {(B, "G6"): -1},
    "fraction in a count": {(A, "B7"): 1.5},
    "date in a count": {(B, "E6"): datetime.datetime(2023, 5, 1)},
    "overwritten total": {(B, "J4"): 5},
    "unbalanced column": {(B, "E28"): 1},
    "blank fee count": {"fee_count": None},
    "blank address": {"address": None},
    "blank problems": {"problems": None},
    "blank unit": {"unit": None},
    "three decimals (warning only)": {(A, "B14"): 2157.789},
    "half a yuan per case (warning only)": {"fee_count": 1, "fee_amount": 0.5},
    "current less than made (warning only)": {(A, "D4"): 2},
}


def _apply(src, dst, spec, edits):
    wb = openpyxl.load_workbook(src)
    for key, value in edits.items():
        if isinstance(key, str):
            c = spec.field_cells[key]
            key = (c.sheet, c.cell)
        wb[key[0]][key[1]] = value
    wb.save(dst)
    return dst


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="needs LibreOffice")
def test_check_sheet_and_validate_agree_on_every_case(filled_workbook, spec, tmp_path):
    files = [
        _apply(filled_workbook, tmp_path / f"case{i:02d}.xlsx", spec, edits) for i, edits in enumerate(CASES.values())
    ]
    saved = soffice_convert(files, tmp_path / "lo")
    rows = check_rows(spec)
    disagree = []
    for name, path in zip(CASES, saved, strict=True):
        sheet = openpyxl.load_workbook(path, data_only=True)[CHECK_SHEET]
        overall = sheet[OVERALL_CELL].value
        statuses = {(r.rule, sheet.cell(CHECK_FIRST_ROW + i, 8).value) for i, r in enumerate(rows)}
        result = check_file(path).result
        if overall.startswith("通过") != result.ok:
            disagree.append((name, overall, [f"{f.rule} {f.message[:60]}" for f in result.findings], statuses))
        failing_errors = {
            rule
            for rule, status in statuses
            if status == "不通过" and next(r for r in rows if r.rule == rule).severity == "error"
        }
        if failing_errors and result.ok:
            disagree.append((name, "sheet fails", failing_errors))
        # warnings say 警告, never 不通过; the overall line counts them as validate does
        failing_warnings = {rule for rule, status in statuses if status == "警告"}
        if any(next(r for r in rows if r.rule == rule).severity != "warning" for rule in failing_warnings):
            disagree.append((name, "警告 on an error row", failing_warnings))
        if failing_warnings and "项警告" not in overall or (not failing_warnings and "警告" in overall):
            disagree.append((name, "overall line and warning rows", overall, failing_warnings))
    assert not disagree, disagree
