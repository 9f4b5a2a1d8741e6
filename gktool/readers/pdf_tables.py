"""Tables that go on over page breaks: the parts found page by page joined into one Grid each (PDF reader)."""

from __future__ import annotations

import bisect
import re

from .grid import Grid, GridCell
from .pdf_layout import Part
from .pdf_page import PageRead

# what a value cell may hold (numbers, possibly wrapped or run together, or a "not applicable" mark):
# never glued onto a label
_VALUE_LIKE = re.compile(r"^[\d\s.,，+\-/／—–－]*$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def join_tables(pages: list[PageRead]) -> list[Grid]:
    """One Grid per table: a table that ends a page and one that starts the next page, with nothing
    printed between them and the same outer edges, are one table going on over the page break."""
    chains: list[list[Part]] = []
    tail: list[Part] | None = None  # the chain whose last part ends page n-1 with nothing below it
    for p in pages:
        items = sorted(
            [(ln.top, 0, ln) for ln in p.lines] + [(t.top, 1, t) for t in p.parts], key=lambda x: (x[0], x[1])
        )
        for pos, (_, is_table, obj) in enumerate(items):
            if not is_table:
                continue
            if pos == 0 and tail is not None and _same_edges(tail[-1].xs, obj.xs):
                tail.append(obj)
            else:
                chains.append([obj])
        tail = chains[-1] if items and items[-1][1] == 1 else None
    grids = []
    for chain in chains:
        bounds, maps = _union_columns(chain)
        grid = Grid(name=f"第{chain[0].page}页 表格{chain[0].index}", page=chain[0].page)
        st = {"rows": 0, "header": []}
        for k, part in enumerate(chain):
            _append(grid, st, part, maps[k], first=k == 0)
        grid.merges.sort()
        grids.append(grid)
    return grids


def _tolerance(xs: list[float]) -> float:
    return max(4.0, 0.01 * (xs[-1] - xs[0]))


def _same_edges(a: list[float], b: list[float]) -> bool:
    width = a[-1] - a[0]
    return (
        width > 0
        and abs(a[0] - b[0]) <= 8
        and abs(a[-1] - b[-1]) <= 8
        and abs((b[-1] - b[0]) - width) <= max(8.0, 0.03 * width)
    )


def _union_columns(chain: list[Part]) -> tuple[list[float], list[list[int]]]:
    """The column boundaries of all parts of one table together (a part whose rows merge two columns
    lacks the boundary between them), and for each part where its boundaries fall among them."""
    first = chain[0].xs
    bounds = list(first)
    tol = _tolerance(first)
    for part in chain[1:]:
        shift = part.xs[0] - first[0]  # pages of one file can be placed a little apart
        for x in part.xs[1:-1]:
            x -= shift
            if all(abs(b - x) > tol for b in bounds):
                bisect.insort(bounds, x)
    maps = []
    for part in chain:
        shift = part.xs[0] - first[0]
        m = []
        for i, x in enumerate(part.xs):
            if i == 0:
                m.append(0)
            elif i == len(part.xs) - 1:
                m.append(len(bounds) - 1)
            else:
                m.append(min(range(len(bounds)), key=lambda k: abs(bounds[k] - (x - shift))))
        maps.append(m)
    return bounds, maps


def _append(grid: Grid, st: dict, part: Part, colmap: list[int], first: bool = False) -> None:
    """Add one page's part of a table to its Grid: header rows repeated from the first page dropped,
    cells cut by the page break joined to their top half."""
    # by page-local row, then global column: (global c2, r1, r2, text, local c1)
    by_row: dict[int, dict[int, tuple]] = {}
    for r1, c1, r2, c2, text in part.cells:
        by_row.setdefault(r1, {})[colmap[c1 - 1] + 1] = (colmap[c2], r1, r2, text, c1)
    drop = 0 if first else _repeated_header_rows(st["header"], by_row, part.nrows)
    joined: set = set()
    offset = st["rows"] - drop
    if not first and drop < part.nrows:
        pairs = _pairs(grid, st["rows"], by_row.get(drop + 1, {}))
        split = _split_row(pairs, by_row.get(drop + 1, {}))
        if split:
            offset -= 1  # the first row here is the rest of the table's last row
        headers = _no_numbers([c.text for (r, _c), c in grid.cells.items() if r == st["rows"]]) and _no_numbers(
            [v[3] for v in by_row.get(drop + 1, {}).values()]
        )
        joined = _join_cut_cells(grid, pairs, offset, split, headers)
    for r in sorted(by_row):
        if r <= drop:
            continue
        for gc1, (gc2, r1, r2, text, local_col) in sorted(by_row[r].items()):
            if (r1, gc1) in joined:
                continue
            grid.cells[(r1 + offset, gc1)] = GridCell(
                text=text,
                at=f"第{part.page}页 表格{part.index} 第{r1}行第{local_col}列",
                unsure=(r1, local_col) in part.unsure,
            )
            if r2 > r1 or gc2 > gc1:
                grid.merges.append((r1 + offset, gc1, r2 + offset, gc2))
    if first:
        st["header"] = [
            tuple(sorted((c, _norm(v[3])) for c, v in by_row.get(r, {}).items()))
            for r in range(1, min(part.nrows, 4) + 1)
        ]
    if part.at_edge:
        grid.cut_rows |= {r + offset for r in range(drop + 1, part.nrows + 1)}
    st["rows"] = offset + part.nrows
    st["last_part"] = part


def _repeated_header_rows(header: list, by_row: dict, nrows: int) -> int:
    best = 0
    for h in range(1, min(len(header), nrows - 1) + 1):
        same = all(
            tuple(sorted((c, _norm(v[3])) for c, v in by_row.get(r, {}).items())) == header[r - 1]
            for r in range(1, h + 1)
        )
        if same and any(any(t for _, t in header[r]) for r in range(h)):
            best = h
        elif not same:
            break
    return best


def _pairs(grid: Grid, last: int, first_row: dict) -> dict:
    """For each cell of a part's first row: the grid cell with the same columns that ends on the last row."""
    ends = {}
    for r, c in grid.cells:
        ends[(r, c)] = (r, c, r, c)
    for m in grid.merges:
        ends[(m[0], m[1])] = m
    by_cols = {(m[1], m[3]): m for m in ends.values() if m[2] == last}
    out = {}
    for gc1, (gc2, r1, r2, text, _) in first_row.items():
        m = by_cols.get((gc1, gc2))
        if m is not None:
            out[gc1] = (m, grid.cells[(m[0], m[1])].text, text, r1, r2, gc2)
    return out


_ROW_START = re.compile(r"^\s*([0-9０-９]+\s*[.．、]|[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+\s*、)")


def _split_row(pairs: dict, first_row: dict) -> bool:
    """True when the first row of a page is the rest of a row the page break cut in two.

    Every cell lines up with a cell of the last row; no column has a number on both sides or a number
    beside text; and some label goes on from one side to the other without starting a new item.
    """
    if not first_row or len(pairs) != len(first_row):
        return False
    went_on = False
    for _, old, new, *_ in pairs.values():
        old_num, new_num = bool(old and _VALUE_LIKE.match(old)), bool(new and _VALUE_LIKE.match(new))
        if (old_num and new) or (new_num and old):
            return False
        if old and new:
            if _ROW_START.match(new):
                return False
            went_on = True
    return went_on


def _no_numbers(texts: list[str]) -> bool:
    """A row of labels only (a header row): no cell holds a number."""
    return bool(texts) and not any(t.strip() and _VALUE_LIKE.match(t) for t in texts)


def _join_cut_cells(grid: Grid, pairs: dict, offset: int, split: bool, headers: bool = False) -> set:
    """Join cells cut by the page break to their top half (a merged label such as "（四）无" / "法提供"; in a
    header row cut by the break, such as 表四's "结果" / "维持", any label over the same columns)."""
    joined = set()
    for gc1, (m, old, new, r1, r2, gc2) in pairs.items():
        if not split:
            if (
                (old and _VALUE_LIKE.match(old))
                or (new and (_VALUE_LIKE.match(new) or _ROW_START.match(new)))
                or not (m[2] > m[0] or r2 > r1 or (headers and old and new))
            ):
                continue
        cell = grid.cells[(m[0], m[1])]
        text = old + "\n" + new if old and new else old or new
        grid.cells[(m[0], m[1])] = GridCell(text=text, at=cell.at, unsure=cell.unsure)
        if m in grid.merges:
            grid.merges.remove(m)
        bottom = max(m[2], r2 + offset)
        if bottom > m[0] or gc2 > m[1]:
            grid.merges.append((m[0], m[1], bottom, gc2))
        joined.add((r1, gc1))
    return joined
