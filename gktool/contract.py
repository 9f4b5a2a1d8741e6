"""The gktool workbook's own contract: what `gktool new` writes beyond the official tables and the readers rely on.

The stamp (custom document properties), the names of the sheets gktool adds, and the layout of the hidden
上年数据 sheet. The writers and the readers both take these names from here, so the two cannot drift apart.
"""

from __future__ import annotations

from .refs import Ref

# The stamp: custom document properties naming the format a workbook was made from.
PROP_FORMAT = "gktool.format"
PROP_VERSION = "gktool.format_version"
PROP_TOOL = "gktool.tool_version"
PROP_FINGERPRINT = "gktool.fingerprint"
PROP_NAME = "gktool.format_name"
STAMP = {
    "format": PROP_FORMAT,
    "version": PROP_VERSION,
    "tool": PROP_TOOL,
    "fingerprint": PROP_FINGERPRINT,
    "name": PROP_NAME,
}

# The 校验 sheet: one row per check, the overall verdict first.
CHECK_SHEET = "校验"
CHECK_FIRST_ROW = 4  # 1-based row of the first check on the 校验 sheet (row 3: headers)
CHECK_COLUMNS = 9  # A:I
OVERALL_CELL = "C1"  # the overall verdict, the first thing on the sheet (merged C1:D1)

# The 上年数据 sheet (`gktool new --previous`): hidden, locked, last year's figures the 校验 rows compare with.
PREVIOUS_SHEET = "上年数据"
PREVIOUS_FIRST_ROW = 4

# A `gktool collect` summary is a gktool workbook with these two sheets more.
STATUS_SHEET, DETAIL_SHEET = "状态", "明细"
# Sheets another command added to a gktool workbook (the summary's 状态 and 明细, annotate's 检查意见), comma-separated
# in this property: the reader knows them and does not call them stray sheets (S10).
EXTRA_SHEETS_PROPERTY = "gktool.extra_sheets"


def previous_cells(spec) -> list[tuple[str, str]]:
    """Last year's cells the 校验 rows need, in the order of the 上年数据 sheet's rows."""
    found = spec.cross_year
    keys = [lk for _, lk in found.carry] + [(s.last.sheet, x) for s in found.stock for x in s.last.cells()]
    return list(dict.fromkeys(keys))


def previous_ref(spec, key: tuple[str, str]) -> Ref:
    """Where the 上年数据 sheet holds last year's value of `key`."""
    return Ref(PREVIOUS_SHEET, f"D{PREVIOUS_FIRST_ROW + previous_cells(spec).index(key)}")
