"""A1 cell arithmetic: addresses, ranges and quoted sheet names, as Excel writes them."""

from __future__ import annotations

import re
from functools import lru_cache

_CELL_RE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


def col_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(index: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@lru_cache(maxsize=65536)
def parse_cell(a1: str) -> tuple[int, int]:
    """'D27' -> (27, 4) as (row, col)."""
    m = _CELL_RE.match(a1.upper())
    if not m:
        raise ValueError(f"not a cell address: {a1!r}")
    return int(m.group(2)), col_index(m.group(1))


def cell_name(row: int, col: int) -> str:
    """(27, 4) -> 'D27'."""
    return f"{col_letters(col)}{row}"


def parse_range(a1: str) -> tuple[int, int, int, int]:
    """'B3:D4' -> (min_row, min_col, max_row, max_col); a single cell is a 1x1 range."""
    first, _, last = a1.partition(":")
    r1, c1 = parse_cell(first)
    r2, c2 = parse_cell(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_cells(a1: str) -> list[str]:
    """All cells of a range, row by row."""
    r1, c1, r2, c2 = parse_range(a1)
    return [cell_name(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def quote_sheet(name: str) -> str:
    """A sheet name as a formula quotes it: '三、依申请公开'."""
    return "'" + name.replace("'", "''") + "'"
