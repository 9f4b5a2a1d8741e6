"""Finding the spec's cells in a read workbook: by defined name, else by label."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from ..cells import cell_name, parse_cell, parse_range
from ..spec import Sheet, Spec
from .xlsx import RawCell, RawSheet, RawWorkbook, parse_defined_name


def normalize_label(text) -> str:
    """Compare labels the way a person reads them: ignore width of punctuation and spaces."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(text.split())


@dataclass
class LocatedSheet:
    """A spec sheet matched to a workbook sheet, with rows and columns moved by the user mapped back."""

    spec: Sheet
    raw: RawSheet
    row_map: dict[int, int] = field(default_factory=dict)
    col_map: dict[int, int] = field(default_factory=dict)
    _where: dict[str, str] = field(default_factory=dict)  # filled once the maps are complete

    def _map(self, mapping: dict[int, int], index: int) -> int:
        if index in mapping:
            return mapping[index]
        below = [k for k in mapping if k < index]
        if below:
            k = max(below)
            return max(1, index + mapping[k] - k)
        above = [k for k in mapping if k > index]
        if above:
            k = min(above)  # a damaged name can map row/column k near 1: stay on the sheet
            return max(1, index + mapping[k] - k)
        return index

    def where(self, cell: str) -> str:
        """The actual address of a spec cell."""
        found = self._where.get(cell)
        if found is None:
            row, col = parse_cell(cell)
            found = self._where[cell] = cell_name(self._map(self.row_map, row), self._map(self.col_map, col))
        return found

    def raw_cell(self, cell: str) -> RawCell | None:
        row, col = parse_cell(self.where(cell))
        return self.raw.cells.get((row, col))

    @property
    def moved(self) -> list[tuple[str, str]]:
        """Spec cells that are not where the spec puts them: (spec address, actual address)."""
        out = []
        for c in self.spec.cells:
            actual = self.where(c.cell)
            if actual != c.cell:
                out.append((c.cell, actual))
        return out


def locate_sheet(spec_sheet: Sheet, raw: RawSheet, wb: RawWorkbook) -> LocatedSheet:
    loc = LocatedSheet(spec_sheet, raw)
    for c in spec_sheet.cells:
        target = parse_defined_name(wb.defined_names.get(c.defined_name, ""))
        if target is None or target[0] != spec_sheet.name:
            continue
        (sr, sc), (ar, ac) = parse_cell(c.cell), parse_cell(target[1])
        loc.row_map.setdefault(sr, ar)
        loc.col_map.setdefault(sc, ac)
    _map_by_labels(loc)  # rows and columns that hold no named cell (headers) follow their labels
    return loc


def _map_by_labels(loc: LocatedSheet) -> None:
    """Where names are gone: find each uniquely worded label and map its row/column."""
    texts: dict[str, list] = {}
    for lab in loc.spec.labels:
        texts.setdefault(normalize_label(lab.text), []).append(lab)
    found: dict[str, list[tuple[int, int]]] = {}
    wanted = {t for t, labs in texts.items() if len(labs) == 1}
    for (r, c), cell in loc.raw.cells.items():
        if isinstance(cell.value, str):
            t = normalize_label(cell.value)
            if t in wanted:
                found.setdefault(t, []).append((r, c))
    for t, positions in found.items():
        lab = texts[t][0]
        r1, c1, _, _ = parse_range(lab.range)
        ar, ac = min(positions, key=lambda p: abs(p[0] - r1) + abs(p[1] - c1))
        loc.row_map.setdefault(r1, ar)
        if lab.header:
            loc.col_map.setdefault(c1, ac)
        elif not lab.merged:
            loc.col_map.setdefault(c1, ac)


def label_at(loc: LocatedSheet, label_range: str) -> tuple[str, object]:
    first = label_range.split(":")[0]
    actual = loc.where(first)
    row, col = parse_cell(actual)
    cell = loc.raw.cells.get((row, col))
    return actual, (cell.value if cell else None)


def located_sheets(spec: Spec, wb: RawWorkbook) -> dict[str, LocatedSheet]:
    return {s.name: locate_sheet(s, wb.sheets[s.name], wb) for s in spec.sheets if s.name in wb.sheets}
