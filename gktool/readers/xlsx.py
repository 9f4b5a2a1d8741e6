"""Reading filled workbooks safely, in one pass, without openpyxl.

A filled form is ~30 KB. Only the ranges the spec defines are kept, and formulas and cached values come from one
read. Sheets and shared strings are parsed as streams that keep only the current cell, so time and memory stay
bounded by the caps of the guarded zip layer (`ooxml.py`) whatever a file contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..cells import cell_name, col_index, col_letters, parse_cell
from .ooxml import Parts, attribute, local_name, preflight, refuse, relationships

MAX_TEXT = 32767  # Excel's limit on the characters in a cell
MAX_MERGES = 10000
MAX_ROW, MAX_COL = 1048576, 16384
_ROW_RE = re.compile(r"[0-9]{1,7}")
MARGIN_ROWS = 40  # how far beyond the spec's area we look for moved labels
FOREIGN_AREA = (400, 60)  # rows, columns of each sheet of a workbook not made by gktool searched for the tables
MARGIN_COLS = 10


@dataclass(frozen=True)
class RawCell:
    """One cell as stored in the xlsx: cached value, formula, kind and style."""

    value: object  # float | str | bool | None (cached value for formulas)
    formula: str | None  # without the leading "="
    kind: str  # "n", "s", "str", "inlineStr", "b", "e", "d"
    damaged: bool = False  # a value that could not be decoded (garbage in <v>)
    style: int = 0  # index into the workbook's cell formats (tells a date from a number)


@dataclass
class RawSheet:
    """The cells of one worksheet within the area that was kept."""

    name: str
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    outside: int = 0  # non-empty cells beyond the area that was kept


@dataclass
class RawWorkbook:
    """An xlsx as read from its zip: sheets, defined names, properties and what it must not contain."""

    path: str
    sheet_names: list[str]
    sheets: dict[str, RawSheet]
    defined_names: dict[str, str]
    properties: dict[str, str]
    has_macros: bool = False
    has_external_links: bool = False
    date_styles: frozenset = frozenset()  # cell-format indexes that show a number as a date or time

    def is_date(self, cell: RawCell | None) -> bool:
        """Whether Excel shows this cell as a date (e.g. "5-1" typed into a count cell)."""
        return cell is not None and isinstance(cell.value, float) and cell.style in self.date_styles


class _StringText:
    """Collects the text of a string item (<si> or <is>) from expat events:
    the <t> runs directly inside it or inside its <r> runs, not phonetic <rPh>."""

    def __init__(self):
        self.path: list[str] = []  # local tags below the item
        self.pieces: list[str] = []
        self.size = 0

    def start(self, tag: str) -> None:
        self.path.append(tag)

    def end(self) -> None:
        self.path.pop()

    def text(self, data: str) -> None:
        if self.path in (["t"], ["r", "t"]) and self.size < MAX_TEXT:
            self.pieces.append(data)
            self.size += len(data)

    def value(self) -> str:
        return "".join(self.pieces)[:MAX_TEXT]


def _shared_strings(parts: Parts, path: str | None) -> list[str]:
    if not path:
        return []
    data = parts.read(path)
    if data is None:
        raise parts.refuse(f"文件已损坏，缺少共享字符串部件“{path}”，单元格中的文字无法读出，请重新获取原文件")
    out: list[str] = []
    item: _StringText | None = None

    def start(tag, attrs):
        nonlocal item
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if item is not None:
            item.start(tag)
        elif tag == "si":
            item = _StringText()

    def end(tag):
        nonlocal item
        if item is None:
            return
        if item.path:
            item.end()
        else:
            out.append(item.value())
            item = None

    def text(data):
        if item is not None:
            item.text(data)

    parts.parse(path, data, start, end, text)
    return out


_REF_RE = re.compile(r"(?<![A-Za-z0-9_.'!\"])(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?![0-9A-Za-z_(])")


def translate_formula(formula: str, drow: int, dcol: int) -> str:
    """Shift relative references, as Excel does for a shared formula's followers."""

    def shift(m):
        col = m.group(2) if m.group(1) else _col(col_index(m.group(2)) + dcol)
        row = m.group(4) if m.group(3) else str(int(m.group(4)) + drow)
        return f"{m.group(1)}{col}{m.group(3)}{row}"

    pieces = formula.split('"')
    for i in range(0, len(pieces), 2):  # leave string literals alone
        pieces[i] = _REF_RE.sub(shift, pieces[i])
    return '"'.join(pieces)


def _col(i: int) -> str:
    return col_letters(max(i, 1))


def _cell_ref(ref: str | None) -> tuple[int, int] | None:
    """(row, col) of an A1 reference inside Excel's grid; None for anything else."""
    if not ref:
        return None
    try:
        row, col = parse_cell(ref)
    except ValueError:
        return None
    return (row, col) if 1 <= row <= MAX_ROW and 1 <= col <= MAX_COL else None


def _row_number(r: str | None, previous: int) -> int:
    if r and _ROW_RE.fullmatch(r) and 1 <= int(r) <= MAX_ROW:
        return int(r)
    return min(previous + 1, MAX_ROW)


class _CellBuilder:
    """The parts of one <c> as expat reports them."""

    def __init__(self, attrs: dict):
        self.attrs = attrs
        self.path: list[str] = []
        self.v: list[str] | None = None
        self.f: list[str] | None = None
        self.f_attrs: dict = {}
        self.size = 0  # characters kept in v and f together
        self.inline: _StringText | None = None

    def start(self, tag: str, attrs: dict) -> None:
        if self.inline is not None:
            self.inline.start(tag)
        elif not self.path:
            if tag == "v":
                self.v = []
            elif tag == "f":
                self.f, self.f_attrs = [], attrs
            elif tag == "is":
                self.inline = _StringText()
        self.path.append(tag)

    def end(self) -> None:
        self.path.pop()
        if self.inline is not None and self.path:
            self.inline.end()

    def text(self, data: str) -> None:
        if len(self.path) == 1:
            target = self.v if self.path[0] == "v" else self.f if self.path[0] == "f" else None
            if target is not None and self.size < 2 * MAX_TEXT:
                target.append(data)
                self.size += len(data)
        elif self.inline is not None:
            self.inline.text(data)


def _parse_sheet(parts: Parts, path: str, name: str, strings: list[str], keep: tuple[int, int]) -> RawSheet:
    sheet = RawSheet(name)
    data = parts.read(path)
    if data is None:
        raise parts.refuse(f"文件已损坏，缺少工作表“{name}”的数据，请重新获取原文件")
    max_row, max_col = keep
    shared: dict[str, tuple[str, int, int]] = {}
    row_no = col_no = 0
    cell: _CellBuilder | None = None

    def start(tag, attrs):
        nonlocal row_no, col_no, cell
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if cell is not None:
            cell.start(tag, attrs)
        elif tag == "c":
            cell = _CellBuilder(attrs)
        elif tag == "row":
            row_no = _row_number(attrs.get("r"), row_no)
            col_no = 0
        elif tag == "mergeCell":
            ref = attrs.get("ref")
            if ref and len(sheet.merges) < MAX_MERGES:
                sheet.merges.append(ref.replace("$", ""))

    def end(tag):
        nonlocal col_no, cell
        if cell is None:
            return
        if cell.path:
            cell.end()
            return
        c, cell = cell, None
        rr, cc = _cell_ref(c.attrs.get("r")) or (max(row_no, 1), min(col_no + 1, MAX_COL))
        col_no = cc
        sheet.max_row = max(sheet.max_row, rr)
        sheet.max_col = max(sheet.max_col, cc)
        raw = _decode_cell(c, rr, cc, strings, shared)
        if raw is None:
            return
        if rr <= max_row and cc <= max_col:
            sheet.cells[(rr, cc)] = raw
        else:
            sheet.outside += 1

    def text(data):
        if cell is not None:
            cell.text(data)

    parts.parse(path, data, start, end, text)
    return sheet


def _decode_cell(c: _CellBuilder, row: int, col: int, strings: list[str], shared: dict) -> RawCell | None:
    kind = c.attrs.get("t") or "n"
    v = None if c.v is None else "".join(c.v)[:MAX_TEXT]
    inline = None if c.inline is None else c.inline.value()
    formula = None
    if c.f is not None:
        formula = "".join(c.f)[:MAX_TEXT].strip()
        if c.f_attrs.get("t") == "shared":
            si = c.f_attrs.get("si") or ""
            if formula:
                if len(shared) < MAX_MERGES:
                    shared[si] = (formula, row, col)
            elif si in shared:
                master, mr, mc = shared[si]
                formula = translate_formula(master, row - mr, col - mc)
        formula = formula.lstrip("=") or None
    if v is None and inline is None and formula is None:
        return None
    damaged = False
    if kind == "s":
        index = v.strip() if v else ""
        if index.isascii() and index.isdigit() and len(index) < 10 and int(index) < len(strings):
            value = strings[int(index)]
        else:
            value, damaged = v, True
    elif kind == "inlineStr":
        value = inline if inline is not None else v
    elif kind in ("str", "e", "d"):
        value = v
    elif kind == "b":
        value = v in ("1", "true")
    else:
        if v is None or v == "":
            value = None
        else:
            try:
                value = float(v)
                if value != value or value in (float("inf"), float("-inf")):
                    value, damaged = v, True
            except ValueError:
                value, damaged = v, True
    style = c.attrs.get("s") or "0"
    return RawCell(value, formula, kind, damaged, int(style) if style.isdigit() and len(style) < 7 else 0)


# number formats Excel has built in that show dates or times (including the CJK ones)
_BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))


def _is_date_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code).lower()
    return bool(re.search(r"[ymdhs]|年|月|日", code)) and "general" not in code


def _date_styles(parts: Parts) -> frozenset:
    root = parts.xml("xl/styles.xml")
    if root is None:
        return frozenset()
    custom = {}
    for elem in root.iter():
        if local_name(elem.tag) == "numFmt":
            fid = elem.get("numFmtId") or ""
            if fid.isdigit():
                custom[int(fid)] = elem.get("formatCode") or ""
    out = set()
    for elem in root.iter():
        if local_name(elem.tag) == "cellXfs":
            for i, xf in enumerate(x for x in elem if local_name(x.tag) == "xf"):
                fid = xf.get("numFmtId") or "0"
                fid = int(fid) if fid.isdigit() and len(fid) < 7 else 0
                if fid in _BUILTIN_DATE_FORMATS or (fid in custom and _is_date_code(custom[fid])):
                    out.add(i)
    return frozenset(out)


def _custom_properties(parts: Parts) -> dict[str, str]:
    path = "docProps/custom.xml"
    for target in relationships(parts, "").values():
        if target.endswith("custom.xml"):
            path = target
    root = parts.xml(path)
    out = {}
    if root is None:
        return out
    for prop in root:
        name = prop.get("name")
        if name is None:
            continue
        value = "".join(child.text or "" for child in prop)
        out[name] = value
    return out


def read_workbook(path: str | Path, keep=None) -> RawWorkbook:
    """Read `path`; `keep` gives, per sheet name, the (rows, cols) area to keep
    (plus a margin); sheets not named in `keep` are not parsed at all. `keep` may
    also be a function of (sheet names, custom properties) returning that dict."""
    shown = str(path)
    zf = preflight(path)
    with zf:
        parts = Parts(shown, zf)
        wb_path = "xl/workbook.xml"
        for target in relationships(parts, "").values():
            if target.endswith("workbook.xml"):
                wb_path = target
        root = parts.xml(wb_path)
        if root is None:
            raise refuse(shown, "这不是 Excel 工作簿（缺少工作簿主体部件），请确认提交的是填报工作簿")
        rels = relationships(parts, wb_path)
        sheet_paths: dict[str, str] = {}
        names: list[str] = []
        defined: dict[str, str] = {}
        shared_path = None
        for _rid, target in rels.items():
            if target.endswith("sharedStrings.xml"):
                shared_path = target
        for elem in root.iter():
            tag = local_name(elem.tag)
            if tag == "sheet":
                name = elem.get("name") or ""
                names.append(name)
                rid = attribute(elem, "id")
                if rid in rels:
                    sheet_paths[name] = rels[rid]
            elif tag == "definedName" and elem.get("localSheetId") is None:
                defined[elem.get("name") or ""] = (elem.text or "").strip()
        strings = _shared_strings(parts, shared_path)
        props = _custom_properties(parts)
        if callable(keep):  # the area to keep can depend on what the workbook is
            keep = keep(names, props)
        sheets = {}
        for name, area in (keep or {}).items():
            if name in sheet_paths:
                rows, cols = area
                sheets[name] = _parse_sheet(
                    parts, sheet_paths[name], name, strings, (rows + MARGIN_ROWS, cols + MARGIN_COLS)
                )
        dates = _date_styles(parts)
        macros = any(n.lower().endswith("vbaproject.bin") for n in parts.names)
        external = any(n.startswith("xl/externalLinks/") for n in parts.names) or any(
            t.startswith("external:") for t in rels.values()
        )
    return RawWorkbook(shown, names, sheets, defined, props, macros, external, dates)


def parse_defined_name(text: str) -> tuple[str, str] | None:
    """ "'三、依申请公开'!$D$4" -> ("三、依申请公开", "D4"); None for anything else."""
    sheet, sep, ref = text.rpartition("!")
    if not sep:
        return None
    sheet = sheet.strip()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    found = _cell_ref(ref.replace("$", ""))
    if found is None:
        return None
    return sheet, cell_name(*found)
