"""Finding the official tables by their labels in any grids of printed text.

Shared by every reader that does not have gktool's defined names: a workbook made by
hand or by a provincial template, a Word table, an HTML table, a table recovered from
a PDF. Rows are recognised by their official row label, columns by their official
header (or, where the header cannot be found, by the order of the numbers when their
count leaves no doubt). Everything is derived from the spec: no label is written here.

Never a wrong number silently: a cell that holds anything but one number is reported at
that cell and left unread; a row whose numbers cannot be told apart is refused.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from ..cells import cell_name, parse_cell, parse_range
from ..findings import Finding
from ..model import FilledReport, Place
from ..spec import Sheet, Spec
from .grid import Grid, GridCell

NOT_APPLICABLE = {"/", "／", "-", "－", "—", "——", "--", "―", "――", "–", "无", "\\"}
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
SIMILAR = 0.8  # a label at least this similar to the official one is taken, with a warning


# ----------------------------------------------------------------- normalising
@cache
def label_normaliser(aliases: tuple[tuple[str, str], ...]) -> Callable[[str], str]:
    """How labels are compared under a format's [published] label_aliases: widths, spaces, line breaks, quotes
    and '1、' vs '1.' ignored, and the aliases (variants seen in real reports) read as the official label."""
    table = {_label_form(k): _label_form(v) for k, v in aliases}

    @cache
    def norm(text: str) -> str:
        t = _label_form(text)
        return table.get(t, t)

    return norm


def spec_norm(spec: Spec) -> Callable[[str], str]:
    """The label normaliser of `spec` (its own aliases, whether shipped or given with --spec)."""
    return label_normaliser(spec.published.label_aliases)


def _label_form(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    t = "".join(t.split())
    t = re.sub(r"[“”\"'‘’「」]", "", t)
    t = re.sub(r"^(\d+)[、.．,，]", r"\1.", t)
    return t.replace("：", ":").replace("，", ",").replace("；", ";")


def parse_number(text: str) -> tuple[str, float | None]:
    """('number', v) | ('blank', None) | ('na', None) | ('text', None) for a printed cell."""
    t = unicodedata.normalize("NFKC", text or "").strip()
    t = "".join(t.split())
    if not t:
        return "blank", None
    if t in NOT_APPLICABLE:
        return "na", None
    # thousands separators only where they group by three ("3,985,758"): "1,2,3" is not 123
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", t) or re.fullmatch(r"[-+]?\d+(\.\d+)?", t):
        return "number", float(t.replace(",", ""))
    return "text", None


# ----------------------------------------------------------------- the spec's tables
@dataclass(frozen=True)
class SpecRow:
    """A data row of an official table as the label reader looks for it."""

    row: int  # spec row
    leaf: str  # the official leaf label, as printed in the spec
    full: str  # group and leaf, e.g. "（三）不予公开 1.属于国家秘密"
    cols: tuple[int, ...]  # spec columns holding this row's values, in order
    group: str = ""  # the group label of a leaf ("（六）其他处理"), if any


@dataclass(frozen=True)
class SpecTable:
    """An official table as the label reader looks for it: its rows and column headers."""

    sheet: Sheet
    rows: tuple[SpecRow, ...]
    headers: tuple[tuple[int, str], ...]  # (spec column, leaf header text) for every data column
    first_header: str  # a header that only this table has, to find it


@cache
def spec_tables(spec: Spec) -> tuple[SpecTable, ...]:
    """The table sheets of a spec as row and column descriptions for matching."""
    out = []
    for sheet in spec.sheets:
        if sheet.kind != "table":
            continue
        by_row: dict[int, list[int]] = {}
        for c in sheet.cells:
            r, col = parse_cell(c.cell)
            by_row.setdefault(r, []).append(col)
        rows = []
        for r, cols in sorted(by_row.items()):
            first = cell_name(r, min(cols))
            full = sheet.row_label(first)
            leaf = _leaf_label(sheet, r, min(cols))
            group = full[: -len(leaf)].strip() if leaf and full.endswith(leaf) else ""
            rows.append(SpecRow(r, leaf or "", full, tuple(sorted(cols)), group))
        headers = []
        for col in sorted({c for cols in by_row.values() for c in cols}):
            r = min(r for r, cols in by_row.items() if col in cols)
            headers.append((col, _header_above(sheet, r, col)))
        tops = [lab.text for lab in sheet.labels if lab.header and parse_range(lab.range)[0] == 1]
        out.append(SpecTable(sheet, tuple(rows), tuple(headers), tops[0] if tops else ""))
    return tuple(out)


def _leaf_label(sheet: Sheet, row: int, col: int) -> str:
    for c in range(col - 1, 0, -1):
        lab = sheet.label_at(row, c)
        if lab is not None and not lab.header:
            return lab.text
    return ""


def _header_above(sheet: Sheet, row: int, col: int) -> str:
    for r in range(row - 1, 0, -1):
        lab = sheet.label_at(r, col)
        if lab is not None and lab.header:
            return lab.text
    return ""


# ----------------------------------------------------------------- matching
@dataclass
class _Match:
    """A printed row matched to an official row."""

    grid: Grid
    grid_row: int
    label_col: int  # the grid column of the row label (last label cell)
    spec_row: SpecRow
    printed_label: str
    exact: bool


@dataclass
class Matched:
    """What the matcher made of the grids: the report's table values and its findings."""

    values: dict = field(default_factory=dict)
    printed: dict = field(default_factory=dict)
    places: dict = field(default_factory=dict)
    unread: set = field(default_factory=set)
    absent: set = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)


def _is_label(cell: GridCell | None) -> bool:
    if cell is None or cell.value is not None:
        return False
    kind, _ = parse_number(cell.text)
    return kind == "text"


def _row_cells(grid: Grid, row: int) -> list[tuple[int, GridCell]]:
    return sorted((c, cell) for (r, c), cell in grid.cells.items() if r == row)


class _Matcher:
    def __init__(self, spec: Spec, grids: list[Grid], text: str | None = None):
        self.spec = spec
        self.norm = norm = spec_norm(spec)
        self.grids = grids
        self.out = Matched()
        # a published document (its narrative given): what it prints tells a table or row that is not there
        # from one gktool did not read. Workbooks are left out: their check sheets quote every label.
        self.document = text is not None
        cells = [norm(c.text) for g in grids for c in g.cells.values()]
        self.printed = norm(text or "") + "|" + "|".join(cells)
        words = {norm(w) for line in (text or "").splitlines() for w in [line, *line.split()]}
        self.printed_alone = set(cells) | words  # a label as a whole cell, line or word, not inside a sentence
        self.rows_by_grid = {id(g): _rows_index(g) for g in grids}
        self._blanks: dict[tuple[str, str], list] = {}
        self._matchers: dict[str, difflib.SequenceMatcher] = {}

    def _similar(self, printed: str, leaf: str) -> difflib.SequenceMatcher:
        # one matcher per official leaf: difflib caches what it learns of the second sequence
        sm = self._matchers.get(leaf)
        if sm is None:
            sm = self._matchers[leaf] = difflib.SequenceMatcher(None, "", leaf)
        sm.set_seq1(printed)
        return sm

    def add(self, rule, severity, sheet, cells, message, expected=None, actual=None):
        self.out.findings.append(Finding(rule, severity, sheet, tuple(cells), message, expected, actual))

    def run(self) -> Matched:
        for table in spec_tables(self.spec):
            if table.headers and len({h for _, h in table.headers}) < len(table.headers) and len(table.rows) == 1:
                self._single_row_table(table)
            else:
                self._row_table(table)
        return self.out

    # -------------------------------------------------------- tables with row labels (二, 三)
    def _row_table(self, table: SpecTable) -> None:
        leaves = {}
        for sr in table.rows:
            leaves.setdefault(self.norm(sr.leaf), []).append(sr)
        groups = {self.norm(sr.group): sr for sr in table.rows if sr.group}
        matches: dict[int, _Match] = {}
        group_only: list[tuple[_Match, list[SpecRow]]] = []
        for grid in self.grids:
            for r, cells in self.rows_by_grid[id(grid)].items():
                found = self._match_row(grid, r, cells, table, leaves, groups)
                if found is None:
                    continue
                m, rows = found
                if len(rows) > 1:  # a group printed as one row, without its sub-items
                    if not any(x.row in matches for x in rows):
                        group_only.append((m, rows))
                    continue
                matches.setdefault(m.spec_row.row, m)
        if not matches and not group_only:
            if self._printed_but_unread(table):  # printed: its cells are there, null, each said unread
                return
            self.out.absent.add(table.sheet.name)
            self.add(
                "T1",
                "error",
                table.sheet.short,
                [],
                f"没有找到{table.sheet.short}（{table.sheet.heading}）：文件中没有这张表的行标签。请确认报告包含官方格式的全部三张表格。",
            )
            return
        columns = {}
        self._cut_columns = {}
        for m in sorted(matches.values(), key=lambda m: m.grid_row):
            key = id(m.grid)
            if key not in columns:
                columns[key] = self._header_columns(m.grid, table, m.grid_row, m.label_col)
                if not columns[key] and m.grid.cut_rows:
                    self._cut_columns[key] = self._header_columns(m.grid, table, m.grid_row, m.label_col, cut=True)
        for sr in table.rows:
            m = matches.get(sr.row)
            if m is None:
                continue
            if not m.exact:
                self.add(
                    "T2",
                    "warning",
                    m.grid.name,
                    [_short(m.grid, m.grid_row, m.label_col)],
                    f"{table.sheet.short}的行标签“{m.printed_label.strip()}”与官方格式“{sr.leaf}”不一致，已按“{sr.leaf}”读取；请改用官方文字。",
                )
            self._take_row(table, m, sr, columns.get(id(m.grid), {}))
        for m, rows in group_only:
            last = rows[-1]
            self.add(
                "T3",
                "warning",
                m.grid.name,
                [_short(m.grid, m.grid_row, m.label_col)],
                f"{table.sheet.short}中“{m.printed_label.strip()}”只有一行，没有官方格式的 {len(rows)} 个分项；"
                f"其数字按“{last.leaf}”读取，请按官方格式分项填写。",
            )
            self._take_row(
                table, m, last, columns.get(id(m.grid)) or self._header_columns(m.grid, table, m.grid_row, m.label_col)
            )
            for x in rows[:-1]:
                matches[x.row] = m
                for col, last_col in zip(x.cols, last.cols, strict=False):
                    # not printed: named by the one row the file does print, never by gktool's own sheet
                    folded = self.out.places.get((table.sheet.name, cell_name(last.row, last_col)))
                    if folded is not None:
                        self.out.places[(table.sheet.name, cell_name(x.row, col))] = folded
        missing = [sr for sr in table.rows if sr.row not in matches and not any(sr in rows for _, rows in group_only)]
        for sr in missing:
            self._unread_row(table, sr)
        seen = {id(m.grid): m.grid for m in matches.values()}.values()
        cut = [cell for g in seen for cell in g.cells.values() if cell.unsure and _is_label(cell)]
        printed = [sr for sr in missing if self.document and self.norm(sr.leaf) in self.printed]
        if missing and (cut or printed):
            # the rows are printed (or may be the ones whose labels the page edge cut): gktool's failure
            where = "、".join(dict.fromkeys(c.at for c in cut)) or "见文件"
            names = "、".join(f"“{sr.leaf}”" for sr in missing[:6]) + ("等" if len(missing) > 6 else "")
            why = (
                f"表中有被页面边缘截断的标签（{where}）"
                if cut
                else "这些标签印在文件中，但 gktool 未能在表格中找到与之对应的数字"
            )
            self.add(
                "P3",
                "warning",
                table.sheet.short,
                [c.at for c in cut][:10],
                f"gktool 未能读出{table.sheet.short}的 {len(missing)} 行：{names}；{why}。这些数字未读取，"
                "请核对原件，或提供 Word、网页版本。",
            )
            return
        if missing:
            names = "、".join(f"“{sr.leaf}”" for sr in missing[:6]) + ("等" if len(missing) > 6 else "")
            self.add(
                "T1",
                "error",
                table.sheet.short,
                [],
                f"{table.sheet.short}缺少 {len(missing)} 行：{names}。请按官方格式补全这些行。",
            )

    def _match_row(self, grid, r, cells, table: SpecTable, leaves, groups):
        """The spec row a grid row holds: an official leaf label anywhere in the row first,
        then, at the label just before the numbers, a group printed alone, run-together
        numbers (refused) or a label close enough to the official one (with a warning)."""
        labels = [(c, cell) for c, cell in cells if _is_label(cell)]
        for c, cell in labels:
            n = self.norm(cell.text)
            if n in leaves and len(leaves[n]) == 1:
                return _Match(grid, r, c, leaves[n][0], cell.text, True), [leaves[n][0]]
            numbers_after = any(cc > c and parse_number(x.text)[0] == "number" for cc, x in cells)
            if cell.unsure and n and c == cells[0][0] and numbers_after:
                # a row label the page's left edge cut ("章" of "规章"), first in a row of numbers: the official
                # label it is the end of, when only one is (a cut header cell such as "总计" is never taken)
                ends = [rows[0] for leaf, rows in leaves.items() if leaf.endswith(n) and len(rows) == 1]
                if len(ends) == 1:
                    return _Match(grid, r, c, ends[0], cell.text, True), ends
        for i, (c, cell) in enumerate(cells):
            if i + 1 < len(cells) and _is_label(cells[i + 1][1]):
                continue
            n = self.norm(cell.text)
            if _is_label(cell) and n in groups:
                rows = [sr for sr in table.rows if self.norm(sr.group) == n]
                if len(rows) > 1 and i + 1 < len(cells):
                    return _Match(grid, r, c, rows[-1], cell.text, True), rows
            # numbers run together with the label ("…申请数量801000081"): refuse, never split
            stripped = re.sub(r"[\d\s.]+$", "", n)
            if stripped != n and len(n) - len(stripped) >= 2 and stripped in leaves and len(leaves[stripped]) == 1:
                self._refuse_run_together(table, leaves[stripped][0], grid, r, c, cell.text)
                return None
            if _is_label(cell) and len(n) >= 3:
                best, score = None, 0.0
                for leaf, rows in leaves.items():
                    if len(rows) != 1 or not leaf:
                        continue
                    sm = self._similar(n, leaf)
                    # the two quick upper bounds first (as difflib.get_close_matches does): a leaf that cannot
                    # beat the best so far, or reach SIMILAR, is never the answer, so the result is the same
                    floor = max(score, SIMILAR - 1e-9)
                    if sm.real_quick_ratio() <= floor or sm.quick_ratio() <= floor:
                        continue
                    sc = sm.ratio()
                    if sc > score:
                        best, score = rows[0], sc
                if best is not None and score >= SIMILAR:
                    return _Match(grid, r, c, best, cell.text, False), [best]
        return None

    def _unread_row(self, table: SpecTable, sr: SpecRow, place: Place | None = None) -> None:
        """Every value of a spec row left unread (a finding says why), at `place` where the row was seen."""
        for col in sr.cols:
            key = (table.sheet.name, cell_name(sr.row, col))
            self.out.unread.add(key)
            self.out.values[key] = None
            if place is not None:
                self.out.places[key] = place

    def _refuse_run_together(self, table, sr, grid, r, c, text) -> None:
        where = _short(grid, r, c)
        self._unread_row(table, sr, Place(grid.name, where, grid.cells[(r, c)].at))
        self.add(
            "T4",
            "error",
            grid.name,
            [where],
            f"{table.sheet.short}“{sr.leaf}”一行的数字与标签连在一起（“{text.strip()[-30:]}”），无法分清各栏的数字，未读取这一行。"
            "请提供表格保留单元格的文件（Word、网页原文或工作簿）。",
        )

    def _header_columns(
        self, grid: Grid, table: SpecTable, first_row: int, start_col: int, cut: bool = False
    ) -> dict[int, int]:
        """spec column -> grid column, from the header cells above the table's first data row.

        Columns are taken left to right from `start_col`, each header at the first place
        right of the previous one, so a repeated header (总计, 结果维持) or a table beside
        this one sharing the header rows cannot be confused."""
        found: dict[str, list[int]] = {}
        for (r, c), cell in grid.cells.items():
            if first_row - 8 <= r < first_row and c > start_col:
                found.setdefault(self.norm(cell.text), []).append(c)
        out, previous = {}, start_col
        for col, text in table.headers:
            later = [c for c in found.get(self.norm(text), []) if c > previous]
            if not later:
                # cut: a table the page's right edge cut off keeps its first columns, each under its own
                # printed header; the headers beyond the edge are missing, and their values unread
                return out if cut and out else {}
            previous = out[col] = min(later)
        return out

    def _take_row(self, table: SpecTable, m: _Match, sr: SpecRow, columns: dict[int, int]) -> None:
        grid, r = m.grid, m.grid_row
        by_header = all(columns.get(col, 0) > m.label_col for col in sr.cols)
        if by_header:
            taken = {columns[col] for col in sr.cols}
            # a number printed in the row outside the header's columns (a sub-table with columns of its own,
            # joined to the one above it): the header does not describe this row, so it is not read by it
            # (only under this table's own header span: a table printed beside it has numbers further right)
            last = max(columns.values())
            by_header = not any(
                rr == r and m.label_col < c <= last and c not in taken and cell.text.strip() and not _is_label(cell)
                for (rr, c), cell in grid.cells.items()
            )
        if by_header:
            chosen = [(columns[col], grid.cells.get((r, columns[col]))) for col in sr.cols]
        else:
            right = sorted((c, cell) for (rr, c), cell in grid.cells.items() if rr == r and c > m.label_col)
            for i, (_c, cell) in enumerate(right):  # a table beside this one starts at its next label
                if _is_label(cell) and not NUMBER.search(unicodedata.normalize("NFKC", cell.text)):
                    right = right[:i]
                    break
            filled = [(c, cell) for c, cell in right if cell.text.strip() or cell.value is not None]
            if len(filled) == len(sr.cols):
                chosen = filled
            elif len(right) == len(sr.cols):
                chosen = right
            else:
                where = _short(grid, r, m.label_col)
                self._unread_row(table, sr, Place(grid.name, where, grid.cells[(r, m.label_col)].at))
                if r in grid.cut_rows or any(cell.unsure for _, cell in right):
                    # the page edge cut the row: gktool's limit (and the reader's), not the report's fault
                    seen = self._cut_columns.get(id(grid), {})
                    for col in sr.cols:  # the columns still on the page, each under its printed header
                        if seen.get(col, 0) > m.label_col:
                            cell = grid.cells.get((r, seen[col]))
                            if cell is not None and not cell.unsure:
                                self.out.unread.discard((table.sheet.name, cell_name(sr.row, col)))
                                self._take_cell(table, sr.row, col, grid, r, seen[col], cell)
                    left = [col for col in sr.cols if (table.sheet.name, cell_name(sr.row, col)) in self.out.unread]
                    done = (
                        f"已按表头读出页面上的 {len(sr.cols) - len(left)} 栏，其余 {len(left)} 栏未读取"
                        if len(left) < len(sr.cols)
                        else "无法分清各栏，未读取"
                    )
                    self.add(
                        "P3",
                        "warning",
                        grid.name,
                        [where],
                        f"gktool 未能读出{table.sheet.short}“{sr.leaf}”一行（{grid.cells[(r, m.label_col)].at}）的全部数字："
                        f"这一行被页面边缘截断，只看得到 {len(filled)} 个数字（应有 {len(sr.cols)} 个），{done}。"
                        "请核对原件，或提供 Word、网页版本。",
                    )
                    return
                self.add(
                    "T4",
                    "error",
                    grid.name,
                    [where],
                    f"{table.sheet.short}“{sr.leaf}”一行应有 {len(sr.cols)} 个数字，找到 {len(filled)} 个，无法分清各栏，未读取这一行。"
                    "请按官方表格的栏目填写。",
                )
                return
        for col, (gc, cell) in zip(sr.cols, chosen, strict=True):
            self._take_cell(table, sr.row, col, grid, r, gc, cell)

    def _take_cell(self, table: SpecTable, row: int, col: int, grid: Grid, gr: int, gc: int, cell: GridCell | None):
        key = (table.sheet.name, cell_name(row, col))
        short = _short(grid, gr, gc)
        at = cell.at if cell is not None else f"{grid.name}!{short}" if _is_sheet(grid) else short
        self.out.places[key] = Place(grid.name, short, at)
        if cell is not None and cell.value is not None:
            self.out.values[key] = float(cell.value)
            self.out.printed[key] = cell.text or _plain(cell.value)
            return
        text = cell.text if cell is not None else ""
        self.out.printed[key] = text
        if cell is not None and cell.unsure:  # never a number with digits cut off: unread, and said so
            self.out.values[key] = None
            self.out.unread.add(key)
            self.add(
                "P3",
                "warning",
                grid.name,
                [short],
                f"gktool 未能读取{table.sheet.describe(cell_name(row, col))}（{at}）：文件中这一格的文字被页面边缘"
                f"或表格线截断（印出的是“{text.strip()}”），无法确定完整的数字，未读取。请核对原件，或提供 Word、网页版本。",
                None,
                text.strip(),
            )
            return
        kind, value = parse_number(text)
        self.out.values[key] = value
        if kind == "text":
            self.out.unread.add(key)
            desc = f"{table.sheet.describe(cell_name(row, col))}（{at}）"
            if text.startswith("="):
                self.add(
                    "R5",
                    "error",
                    grid.name,
                    [short],
                    f"{desc}是公式“{text}”，文件中没有保存计算结果，无法读出数值；"
                    "请在 Excel/WPS 中打开后保存一次，或直接填写数字。",
                    None,
                    text,
                )
                return
            digits = NUMBER.findall(unicodedata.normalize("NFKC", text))
            hint = (
                f"如果是 {digits[0]}，请只写数字 {digits[0]}，不要带单位或说明"
                if len(digits) == 1
                else "多个数字写在一格里，无法分清"
                if len(digits) > 1
                else "没有发生的请写 0"
            )
            self.add(
                "R5",
                "error",
                grid.name,
                [short],
                f"{desc}写的是“{text.strip()}”，不是一个数字，未读取；{hint}。",
                None,
                text.strip(),
            )
        elif kind in ("blank", "na"):
            self._blanks.setdefault((grid.name, kind), []).append((key, short, text))

    # -------------------------------------------------------- tables with one value row (四)
    def _single_row_table(self, table: SpecTable) -> None:
        sr = table.rows[0]
        top = self.norm(table.first_header)
        for grid in self.grids:
            anchors = [(r, c) for (r, c), cell in grid.cells.items() if self.norm(cell.text) == top]
            for ar, ac in sorted(anchors):
                columns = self._header_columns(grid, table, ar + 8, ac - 1)
                cols = [columns[col] for col in sr.cols if col in columns]
                header_rows = [
                    r
                    for (r, c), cell in grid.cells.items()
                    if ar <= r <= ar + 6 and any(self.norm(cell.text) == self.norm(h) for _, h in table.headers)
                ]
                last_header = max(header_rows or [ar])
                value_row = None
                for r in sorted({r for (r, _c) in grid.cells if r > last_header})[:3]:
                    row_cells = dict(_row_cells(grid, r))
                    if any(
                        parse_number(cell.text)[0] == "number" or cell.value is not None for cell in row_cells.values()
                    ):
                        value_row = r
                        break
                if value_row is None:
                    continue
                row_cells = _row_cells(grid, value_row)
                if len(cols) == len(sr.cols):
                    chosen = [(c, grid.cells.get((value_row, c))) for c in cols]
                else:
                    filled = [(c, cell) for c, cell in row_cells if cell.text.strip() or cell.value is not None]
                    if len(filled) != len(sr.cols):
                        self._refuse_row(table, sr, grid, value_row, row_cells, len(filled))
                        return
                    chosen = filled
                for col, (gc, cell) in zip(sr.cols, chosen, strict=True):
                    self._take_cell(table, sr.row, col, grid, value_row, gc, cell)
                return
        if self._printed_but_unread(table):
            return
        self.out.absent.add(table.sheet.name)
        self.add(
            "T1",
            "error",
            table.sheet.short,
            [],
            f"没有找到{table.sheet.short}（{table.sheet.heading}）：文件中没有这张表的表头“{table.first_header}”及其数字行。请确认报告包含官方格式的全部三张表格。",
        )

    def _printed_but_unread(self, table: SpecTable) -> bool:
        """A table whose header labels are all printed in the file but whose numbers gktool could not
        place: said as gktool's failure (P3), never as a table the report lacks (T1)."""
        heads = {self.norm(h) for _, h in table.headers}
        if not self.document or not all(h in self.printed_alone for h in heads):
            return False
        for sr in table.rows:
            self._unread_row(table, sr)
        shown = "、".join(f"“{h}”" for h in list(dict.fromkeys(h for _, h in table.headers))[:5])
        self.add(
            "P3",
            "warning",
            table.sheet.short,
            [],
            f"gktool 未能读出{table.sheet.short}（{table.sheet.heading}）：文件中印有这张表的表头（{shown}），"
            "但未能把数字对应到各栏，这张表的数字未读取。请核对原件，或提供 Word、网页版本。",
        )
        return True

    def _refuse_row(self, table, sr, grid, r, row_cells, found) -> None:
        c0 = row_cells[0][0] if row_cells else 1
        where = _short(grid, r, c0)
        at = row_cells[0][1].at if row_cells else grid.name
        self._unread_row(table, sr, Place(grid.name, where, at))
        if r in grid.cut_rows or any(cell.unsure for _, cell in row_cells):
            self.add(
                "P3",
                "warning",
                grid.name,
                [where],
                f"gktool 未能读出{table.sheet.short}的数字行（{at}）：这一行被页面边缘截断，只看得到 {found} 个数字"
                f"（应有 {len(sr.cols)} 个），无法分清各栏，未读取。请核对原件，或提供 Word、网页版本。",
            )
            return
        self.add(
            "T4",
            "error",
            grid.name,
            [where],
            f"{table.sheet.short}的数字行应有 {len(sr.cols)} 个数字，找到 {found} 个，无法分清各栏，未读取这张表。请按官方表格的栏目填写。",
        )


def _rows_index(grid: Grid) -> dict[int, list[tuple[int, GridCell]]]:
    rows: dict[int, list[tuple[int, GridCell]]] = {}
    for (r, c), cell in grid.cells.items():
        rows.setdefault(r, []).append((c, cell))
    return {r: sorted(cells, key=lambda x: x[0]) for r, cells in sorted(rows.items())}


def _short(grid: Grid, r: int, c: int) -> str:
    """A cell as a finding lists it: the address within its sheet ("D7"), or the reader's own words
    for a document table ("第3页 表格1 第4行第3列"), which say where a person finds it."""
    cell = grid.cells.get((r, c))
    if cell is not None and cell.at.startswith(grid.name + "!"):
        return cell.at[len(grid.name) + 1 :]
    if cell is not None and cell.at:
        return cell.at
    if _is_sheet(grid):  # a blank cell of a worksheet: named like every other cell there ("E4")
        return cell_name(r, c)
    return f"{grid.name} 第{r}行第{c}列"


def _is_sheet(grid: Grid) -> bool:
    """Whether a grid is a worksheet, whose cells are named "Sheet1!D7" (not a document's table)."""
    return any(cell.at.startswith(grid.name + "!") for cell in grid.cells.values())


def _plain(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def match_tables(spec: Spec, grids: list[Grid], text: str | None = None) -> Matched:
    """Find tables 二, 三 and 四 in the grids: values by spec key, where each came from, findings.

    `text`: a published document's narrative, so a table printed but not read is not called missing."""
    m = _Matcher(spec, grids, text)
    out = m.run()
    for (grid_name, kind), items in m._blanks.items():
        shown = "、".join(short for _, short, _ in items[:12]) + ("等" if len(items) > 12 else "")
        if kind == "blank":
            msg = (
                f"{grid_name}中有 {len(items)} 个应填数字的单元格是空白（{shown}），已按 0 读取；没有发生的事项请填 0。"
            )
        else:
            msg = f"{grid_name}中有 {len(items)} 个单元格写的是“/”“—”等（{shown}），已按 0 读取；没有发生的事项请填 0。"
        out.findings.append(Finding("T5", "warning", grid_name, tuple(short for _, short, _ in items[:50]), msg))
    return out


# ----------------------------------------------------------------- unit and year
def unit_and_year(spec: Spec, *texts: str) -> tuple[str | None, int | None]:
    """Unit and year from a title such as '××县2023年政府信息公开工作年度报告', by the format's [published] title."""
    title = spec.published.title
    if title is None:
        return None, None
    for text in texts:
        for line in (text or "").splitlines():
            m = title.search(line.strip())
            if m:
                unit = m.group(1).strip(" 《》“”\"'")
                return (unit or None), int(m.group(2))
    return None, None


# "统计期限为2023年1月1日至12月31日", "…统计期限自2023年1月1日起至2023年12月31日止": a whole calendar year
PERIOD = re.compile(
    r"统计期限[^0-9。]{0,8}(20\d\d)\s*年\s*1\s*月\s*1\s*日\s*起?\s*至\s*(?:(20\d\d)\s*年\s*)?12\s*月\s*31\s*日"
)


def period_year(text: str) -> int | None:
    """The year of the statistics period the narrative states, when it is one whole calendar year."""
    m = PERIOD.search(re.sub(r"\s+", "", text or ""))
    if m and (m.group(2) is None or m.group(2) == m.group(1)):
        return int(m.group(1))
    return None


def legacy_labels(spec: Spec, report: FilledReport, grids: list[Grid], findings: list[Finding]) -> None:
    """R11: rows of the 2019 trial format left in a report for 2021 or later."""
    legacy = {_bare_label(x) for x in spec.published.legacy_labels}
    if not legacy or (report.year is not None and report.year < 2021):
        return
    seen = []
    for g in grids:
        for (_r, _c), cell in sorted(g.cells.items()):
            if _bare_label(cell.text) in legacy:
                seen.append((g.name, cell))
    if seen:
        labels = "、".join(dict.fromkeys(f"“{cell.text.strip()}”" for _, cell in seen))
        findings.append(
            Finding(
                "R11",
                "warning",
                seen[0][0],
                tuple(dict.fromkeys(cell.at for _, cell in seen))[:10],
                f"表格中有 2019 年试行格式（{spec.published.legacy_notice}）的栏目 {labels}；"
                f"{report.year or '本'}年度报告应按 {spec.notice} 的格式填写，请改用现行表格。",
            )
        )


def _bare_label(text: str) -> str:
    return re.sub(r"[\s（）()、.．：:]", "", text or "")


def build_report(
    spec: Spec, source: str, kind: str, grids: list[Grid], title_texts: list[str], text: str | None = None
) -> tuple[FilledReport, list[Finding]]:
    """A filled report from grids: tables by labels, unit and year from titles or the file name."""
    matched = match_tables(spec, grids, text)
    report = FilledReport(spec, source, kind)
    report.values.update(matched.values)
    report.printed.update(matched.printed)
    report.places.update(matched.places)
    report.unread |= matched.unread
    report.absent = set(matched.absent) | {s.name for s in spec.sheets if s.kind != "table"}
    report.unit, report.year = unit_and_year(spec, *title_texts)
    legacy_labels(spec, report, grids, matched.findings)
    return report, matched.findings
