"""What every source reader hands to the label matcher: tables as grids of printed text.

A workbook sheet, a Word table, an HTML table and a table recovered from a PDF page
all become a `Grid`: cells by (row, column), 1-based, each holding the text as printed
and where a person finds it. Merged cells are given once, at their top-left cell, with
the merge listed in `merges`; readers never invent text for the other covered cells.
The label matcher (`labels.py`) finds the official tables in any list of grids, so a new
source only has to produce grids and the narrative text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GridCell:
    """One printed cell of a table as a reader saw it."""

    text: str  # as printed; line breaks inside a cell kept as "\n"
    at: str  # where a person finds it: "Sheet1!D7", "第2个表格 第4行第3列", "第3页"
    value: float | None = None  # a typed number where the source has one (spreadsheets); else None
    unsure: bool = False  # the reader cannot vouch for the text (PDF: glyphs cut by the page edge or a rule)


@dataclass
class Grid:
    """One table of a source: its cells by (row, column), merges and, for a PDF, page and cut rows."""

    name: str  # "Sheet1", "第2个表格", "第3页 表格1"
    cells: dict[tuple[int, int], GridCell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r1, c1, r2, c2)
    page: int | None = None  # PDF: the page the table starts on
    cut_rows: set[int] = field(default_factory=set)  # PDF: rows that run into the page's edge (may lack cells)


@dataclass
class Document:
    """A published report as read: its tables and its narrative text."""

    kind: str  # "docx" | "html" | "pdf" | "xlsx" | ...
    grids: list[Grid]
    text: str = ""  # the narrative, headings on their own lines, tables left out
    title: str = ""  # the report's title where the source has one
    findings: list = field(default_factory=list)  # the reader's own file-level findings
