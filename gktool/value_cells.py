"""The value cells of the official tables, each named by its table, row and column labels as the spec prints them.

`extract` lists values this way, `collect` sums and lists them (明细), and `report`'s read-back compares them."""

from __future__ import annotations

from functools import cache

from .cells import parse_cell
from .spec import Sheet, Spec


def _header_chain(sheet: Sheet, row: int, col: int) -> list[str]:
    chain = []
    for r in range(row - 1, 0, -1):
        lab = sheet.label_at(r, col)
        if lab is not None and lab.header and (not chain or chain[-1] != lab.text):
            chain.append(lab.text)
    return chain  # nearest first


@cache
def official_labels(spec: Spec) -> tuple[tuple[str, str, str, str, str], ...]:
    """(sheet name, cell, table, row label, column label) for every value cell of the tables, in order."""
    out = []
    for sheet in spec.sheets:
        if sheet.kind != "table":
            continue
        for c in sorted(sheet.cells, key=lambda c: parse_cell(c.cell)):
            row, col = parse_cell(c.cell)
            chain = _header_chain(sheet, row, col)
            column = chain[0] if chain else ""
            leaf = ""
            for cc in range(col - 1, 0, -1):
                lab = sheet.label_at(row, cc)
                if lab is not None and not lab.header:
                    leaf = lab.text
                    break
            if not leaf:  # a table whose rows are named by its header groups (表四)
                groups = list(reversed(chain[1:]))
                leaf = groups[0] + "".join(f"（{t}）" for t in groups[1:]) if groups else ""
            out.append((sheet.name, c.cell, sheet.section, leaf, column))
    return tuple(out)
