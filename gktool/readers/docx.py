"""Reading a published report from a Word `.docx` into a `Document` of grids and narrative.

The zip goes through the same guarded opening as a workbook (`reader.preflight`:
size, entry count, compression ratio, paths) and every part through `ooxml.Parts`
(size caps, node counts, expat with DOCTYPE refused, depth bounded), so a zip or XML
bomb is refused with one line before anything large is built. `word/document.xml` is
parsed as a stream into tables and paragraphs; nothing else of the document is kept.

What a reader of real reports meets, and how it is read:
- merged cells: `w:gridSpan` and `w:vMerge` (and the old `w:hMerge`) become grid merges,
  the text given once at the merge's top-left cell;
- labels split over runs join as printed; paragraphs and `w:br` inside a cell become "\\n";
- numbers Word draws itself (automatic numbering "一、", "（一）", "1.") are put in front
  of the paragraph text, as printed, because a reader would see them;
- tables nested in cells and tables in text boxes become grids of their own;
- deleted revisions, hidden text, field codes and the fallback copy of a text box are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ..fsutil import shown_path
from .grid import Document, Grid, GridCell
from .html import HEADING_START
from .ooxml import MAX_DEPTH, Parts, preflight

_W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MAX_TABLES = 2000
MAX_CELLS = 20_000  # a report's three tables have ~300 cells
MAX_PARAGRAPHS = 50_000  # a 100-page report has ~2,000
MAX_GRID_COLS = 1000  # Word itself allows 63 columns
MAX_TEXT_CHARS = 5_000_000


_SPLIT: dict[str, tuple[str, str]] = {}


def _split(tag: str) -> tuple[str, str]:
    """("uri", "local") of an expat "uri}local" name; cached, as a document repeats a few dozen names."""
    got = _SPLIT.get(tag)
    if got is None:
        uri, _, local = tag.rpartition("}")
        got = (uri, local)
        if len(_SPLIT) < 10000:
            _SPLIT[tag] = got
    return got


def _wattr(attrs: dict, name: str) -> str | None:
    for k, v in attrs.items():
        if k.rpartition("}")[2].rpartition(":")[2] == name:
            return v
    return None


def _on(attrs: dict) -> bool:
    """A Word toggle property: present and not switched off."""
    return (_wattr(attrs, "val") or "true").lower() not in ("0", "false", "off", "none")


def _int(text: str | None, default: int, lo: int = 0, hi: int = MAX_GRID_COLS) -> int:
    try:
        n = int(text) if text is not None else default
    except ValueError:
        return default
    return min(max(n, lo), hi)


# ------------------------------------------------------------------ automatic numbering
_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"


def _chinese(n: int, digits: str = _CN_DIGITS, ten: str = "十") -> str:
    if n <= 0 or n >= 100:
        return str(n)
    tens, units = divmod(n, 10)
    if tens == 0:
        return digits[units]
    head = "" if tens == 1 and digits is _CN_DIGITS else digits[tens]
    return head + ten + (digits[units] if units else "")


def _roman(n: int) -> str:
    out = ""
    for value, sym in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out += sym
            n -= value
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand"):
        return _chinese(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return _chinese(n, _CN_LEGAL, "拾")
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt == "ideographZodiac" and 1 <= n <= 12:
        return "子丑寅卯辰巳午未申酉戌亥"[n - 1]
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate({ord(c): 0xFF10 + ord(c) - 48 for c in "0123456789"})
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter") and n >= 1:
        letter = chr(65 + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman") and 1 <= n < 4000:
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    return str(n)


class _Numbering:
    """Word's automatic paragraph numbers, counted in document order as Word draws them."""

    def __init__(self, parts: Parts):
        self.levels: dict[str, dict[int, tuple[int, str, str, str]]] = {}  # numId -> ilvl -> (start, fmt, text, suffix)
        self.style_num: dict[str, tuple[str | None, int | None]] = {}
        self.counters: dict[str, list[int]] = {}
        self._read_numbering(parts)
        self._read_styles(parts)

    def _read_numbering(self, parts: Parts) -> None:
        root = parts.xml("word/numbering.xml")
        if root is None:
            return
        abstract: dict[str, dict[int, tuple[int, str, str, str]]] = {}
        for el in root:
            if _split(el.tag)[1] == "abstractNum":
                abstract[_wattr(el.attrib, "abstractNumId") or ""] = self._levels(el)
        for el in root:
            if _split(el.tag)[1] != "num":
                continue
            levels = {}
            overrides = {}
            for child in el:
                local = _split(child.tag)[1]
                if local == "abstractNumId":
                    levels = dict(abstract.get(_wattr(child.attrib, "val") or "", {}))
                elif local == "lvlOverride":
                    ilvl = _int(_wattr(child.attrib, "ilvl"), 0, 0, 8)
                    for sub in child:
                        sub_local = _split(sub.tag)[1]
                        if sub_local == "startOverride" and ilvl in levels:
                            start = _int(_wattr(sub.attrib, "val"), 1, 0, 10**6)
                            overrides[ilvl] = (start,) + levels[ilvl][1:]
                        elif sub_local == "lvl":
                            overrides.update(self._levels_of([sub]))
            levels.update(overrides)
            self.levels[_wattr(el.attrib, "numId") or ""] = levels

    def _levels(self, abstract_el) -> dict[int, tuple[int, str, str, str]]:
        return self._levels_of([c for c in abstract_el if _split(c.tag)[1] == "lvl"])

    @staticmethod
    def _levels_of(lvls) -> dict[int, tuple[int, str, str, str]]:
        out = {}
        for lvl in lvls:
            ilvl = _int(_wattr(lvl.attrib, "ilvl"), 0, 0, 8)
            start, fmt, text, suff = 1, "decimal", "", "tab"
            for child in lvl:
                local = _split(child.tag)[1]
                val = _wattr(child.attrib, "val")
                if local == "start":
                    start = _int(val, 1, 0, 10**6)
                elif local == "numFmt":
                    fmt = val or "decimal"
                elif local == "lvlText":
                    text = val or ""
                elif local == "suff":
                    suff = val or "tab"
            out[ilvl] = (start, fmt, text, suff)
        return out

    def _read_styles(self, parts: Parts) -> None:
        """Each style's numbering (through basedOn). styles.xml is often 300 KB of latent styles
        and fonts; it has passed `Parts.read` (size, node count, no DOCTYPE or ENTITY in its
        bytes) and is parsed by libxml2 with entities, DTDs and network off: ~50x faster than
        Python callbacks for every element."""
        if not self.levels:
            return  # no numbering defined: no style can number a paragraph
        data = parts.read("word/styles.xml")
        if data is None or b"numPr" not in data:
            return
        parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError:
            raise parts.damaged("word/styles.xml") from None
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise parts.refuse("文件内部含有 DOCTYPE/实体声明（可能是恶意构造的文件），已拒绝读取")
        w = root.tag.rpartition("}")[0] + "}" if root.tag.startswith("{") else ""  # lxml: "{uri}styles"
        raw: dict[str, tuple] = {}  # styleId -> (basedOn, numId, ilvl)
        for style in root.iterchildren(f"{w}style"):
            based = style.find(f"{w}basedOn")
            num_pr = style.find(f"{w}pPr/{w}numPr")
            num = ilvl = None
            if num_pr is not None:
                num_el, ilvl_el = num_pr.find(f"{w}numId"), num_pr.find(f"{w}ilvl")
                num = None if num_el is None else _wattr(num_el.attrib, "val")
                ilvl = None if ilvl_el is None else _int(_wattr(ilvl_el.attrib, "val"), 0, 0, 8)
            raw[_wattr(style.attrib, "styleId") or ""] = (
                None if based is None else _wattr(based.attrib, "val"),
                num,
                ilvl,
            )
        for sid in raw:
            seen = set()
            cur = sid
            num = ilvl = None
            while cur in raw and cur not in seen:  # basedOn chains may loop in damaged files
                seen.add(cur)
                based, n, i = raw[cur]
                num = num if num is not None else n
                ilvl = ilvl if ilvl is not None else i
                cur = based
            self.style_num[sid] = (num, ilvl)

    def label(self, style: str | None, num_id: str | None, ilvl: int | None) -> str:
        """The number Word draws before this paragraph ("" when none), advancing the count."""
        if num_id is None and style is not None:
            num_id, style_ilvl = self.style_num.get(style, (None, None))
            ilvl = ilvl if ilvl is not None else style_ilvl
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        levels = self.levels[num_id]
        ilvl = ilvl or 0
        if ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        start, fmt, text, suff = levels[ilvl]
        if fmt in ("bullet", "none"):
            return ""
        out = text
        for k in range(ilvl, -1, -1):
            if f"%{k + 1}" not in out:
                continue
            k_start, k_fmt = levels.get(k, (1, "decimal", "", ""))[:2]
            n = k_start + max(counts[k], 1) - 1
            out = out.replace(f"%{k + 1}", _format_number(n, k_fmt))
        if out and suff != "nothing":
            # Word sets a tab or space after the number: keep it, so that a number list style left on
            # a value cell reads "1. 12" (refused), never "1.12"
            out += " "
        return out


# ------------------------------------------------------------------ tables
class _Table:
    """One w:tbl being read: rows of cells at grid columns, merges resolved at the end."""

    def __init__(self, index: int):
        self.index = index
        self.name = f"第{index}个表格"
        self.rows: list[list[list]] = []  # per row: [col, span, vmerge, text]
        self.col = 1

    def new_row(self) -> None:
        self.rows.append([])
        self.col = 1


class _Reader:
    """The stream state over word/document.xml."""

    def __init__(self, numbering: _Numbering):
        self.numbering = numbering
        self.body: list[str] = []  # narrative paragraphs, in order
        self.tables: list[_Table] = []  # every table, in the order it starts
        self.table_stack: list[_Table] = []
        self.containers: list[list[str]] = [self.body]  # where a finished paragraph goes
        self.paras: list[list[str]] = []  # paragraphs being read (text boxes nest them)
        self.para_props: list[dict] = []
        self.stack: list[str] = []  # local names of the open elements
        self.skip = 0  # depth inside content that is not printed
        self.cell: list | None = None
        self.cells_stack: list[list | None] = []
        self.hidden = False
        self.bold = False
        self.apart = False
        self.chars = 0
        self.cells = 0
        self.n_paras = 0
        self.grids: dict[int, Grid] = {}

    # -- events
    def start(self, tag: str, attrs: dict) -> None:
        uri, local = _split(tag)
        parent = self.stack[-1] if self.stack else ""
        self.stack.append(local)
        if self.skip:
            self.skip += 1
            return
        if uri == _MC and local == "Fallback":
            self.skip = 1  # the same text box again, for old readers
            return
        if uri not in _W_NAMESPACES:
            return
        if local in (
            "del",
            "moveFrom",
            "instrText",
            "delInstrText",
            "rPrChange",
            "pPrChange",
            "tblPrChange",
            "trPrChange",
            "tcPrChange",
            "sectPrChange",
            "numberingChange",
        ):
            self.skip = 1
            return
        if local == "p":
            self.n_paras += 1
            if self.n_paras > MAX_PARAGRAPHS:
                raise _TooMuch("paragraphs")
            self.paras.append([])
            self.para_props.append({"style": None, "num": None, "ilvl": None, "bold": 0, "open": True})
        elif local == "pStyle" and parent == "pPr" and self.para_props:
            self.para_props[-1]["style"] = _wattr(attrs, "val")
        elif local == "numId" and parent == "numPr" and self.para_props and self.stack[-3] == "pPr":
            self.para_props[-1]["num"] = _wattr(attrs, "val")
        elif local == "ilvl" and parent == "numPr" and self.para_props and self.stack[-3] == "pPr":
            self.para_props[-1]["ilvl"] = _int(_wattr(attrs, "val"), 0, 0, 8)
        elif local == "r":
            self.hidden = False
            self.bold = False
            self.apart = False
        elif local == "b" and parent == "rPr" and len(self.stack) >= 3 and self.stack[-3] == "r":
            self.bold = _on(attrs)
        elif (
            local in ("vanish", "strike", "dstrike")
            and parent == "rPr"
            and len(self.stack) >= 3
            and self.stack[-3] == "r"
        ):
            # hidden text is not printed; struck-out text is withdrawn ("5" struck, "6" typed: 6, never 56)
            self.hidden = self.hidden or _on(attrs)
        elif local == "vertAlign" and parent == "rPr" and len(self.stack) >= 3 and self.stack[-3] == "r":
            self.apart = (_wattr(attrs, "val") or "") in ("superscript", "subscript")
        elif local in ("br", "cr") and self.paras:
            self._add("\n")
        elif local == "tab" and parent == "r" and self.paras:
            self._add(" ")
        elif local == "noBreakHyphen" and self.paras:
            self._add("-")
        elif local == "tbl":
            if len(self.tables) >= MAX_TABLES:
                raise _TooMuch("tables")
            table = _Table(len(self.tables) + 1)
            self.tables.append(table)
            self.table_stack.append(table)
            self.cells_stack.append(self.cell)
            self.cell = None
        elif local == "tr" and self.table_stack:
            self.table_stack[-1].new_row()
        elif local == "gridBefore" and parent == "trPr" and self.table_stack:
            self.table_stack[-1].col += _int(_wattr(attrs, "val"), 0)
        elif local == "tc" and self.table_stack and self.table_stack[-1].rows:
            self.cells += 1
            if self.cells > MAX_CELLS:
                raise _TooMuch("cells")
            self.cell = [self.table_stack[-1].col, 1, None, []]
            self.containers.append(self.cell[3])
        elif local == "gridSpan" and parent == "tcPr" and self.cell is not None:
            self.cell[1] = _int(_wattr(attrs, "val"), 1, 1)
        elif local == "vMerge" and parent == "tcPr" and self.cell is not None:
            self.cell[2] = "restart" if (_wattr(attrs, "val") or "continue") == "restart" else "continue"
        elif local == "hMerge" and parent == "tcPr" and self.cell is not None:
            if (_wattr(attrs, "val") or "continue") != "restart":
                self.cell[2] = "hcontinue"
        elif local == "txbxContent":
            self.containers.append(self.containers[-1])  # its paragraphs read where the box is anchored

    def end(self, tag: str) -> None:
        uri, local = _split(tag)
        self.stack.pop()
        if self.skip:
            self.skip -= 1
            return
        if uri not in _W_NAMESPACES:
            return
        if local == "p" and self.paras:
            text = "".join(self.paras.pop())
            props = self.para_props.pop()
            label = self.numbering.label(props["style"], props["num"], props["ilvl"])
            bold = props["bold"]
            if 0 < bold < len(text.rstrip()) and HEADING_START.match("".join((label + text[:bold]).split())):
                text = text[:bold] + "\n" + text[bold:]  # a bold heading with the text running on
            lines = [line.strip() for line in (label + text).split("\n")]
            self.containers[-1].append("\n".join(line for line in lines if line))
        elif local == "tc" and self.cell is not None and self.table_stack:
            table = self.table_stack[-1]
            col, span, vmerge, paras = self.cell
            self.containers.pop()
            text = "\n".join(p for p in paras if p)
            if vmerge == "hcontinue" and table.rows[-1]:
                table.rows[-1][-1][1] += span  # old-style horizontal merge: widen the cell before
            else:
                table.rows[-1].append([col, span, vmerge, text])
            table.col = col + span
            self.cell = None
        elif local == "tbl" and self.table_stack:
            table = self.table_stack.pop()
            self.grids[table.index] = _table_grid(table)
            self.cell = self.cells_stack.pop()
        elif local == "txbxContent":
            self.containers.pop()

    def text(self, data: str) -> None:
        if self.skip or not self.paras or self.hidden or not self.stack or self.stack[-1] != "t":
            return
        # a footnote mark set in superscript is kept apart: "5" + superscript "1" reads "5 1", never 51
        self._add(f" {data} " if self.apart else data)

    def _add(self, s: str) -> None:
        self.chars += len(s)
        if self.chars > MAX_TEXT_CHARS:
            raise _TooMuch("text")
        self.paras[-1].append(s)
        props = self.para_props[-1]
        if props["open"]:  # the bold runs a paragraph starts with
            if self.bold:
                props["bold"] += len(s)
            elif s.strip():
                props["open"] = False


class _TooMuch(Exception):
    """A document far beyond any real report: refused rather than read for minutes."""


def _table_grid(table: _Table) -> Grid:
    """Resolve the rows' grid columns and vertical merges into a Grid with its merges."""
    grid = Grid(table.name)
    active: dict[int, list] = {}  # first grid column -> [r1, c1, r2, c2] of a cell still open downwards
    for r, row in enumerate(table.rows, start=1):
        touched = set()
        for col, span, vmerge, text in row:
            c2 = col + span - 1
            top = active.get(col)
            if vmerge == "continue" and top is not None and top[3] == c2 and top[2] == r - 1:
                top[2] = r
                touched.add(col)
                continue
            for c in list(active):
                if active[c][1] <= c2 and active[c][3] >= col:  # a cell here ends what was open above
                    del active[c]
            active[col] = [r, col, r, c2]
            touched.add(col)
            grid.cells[(r, col)] = GridCell(text, f"{table.name} 第{r}行第{col}列")
            grid.merges.append(active[col])  # the list object keeps growing while the merge continues
        for c in [c for c in active if c not in touched]:
            del active[c]
    grid.merges = [tuple(m) for m in grid.merges if m[0] != m[2] or m[1] != m[3]]
    return grid


def _core_title(parts: Parts) -> str:
    root = parts.xml("docProps/core.xml")
    if root is None:
        return ""
    for el in root:
        if _split(el.tag)[1] == "title" and el.text:
            return el.text.strip()
    return ""


_DRAFT = re.compile(r"[（(]?(?:征求意见稿|送审稿|草稿)[）)]?$")


def _title(paragraphs: list[str], fallback: str) -> str:
    """The title line among the first paragraphs: one that ends in 报告 and is no sentence."""
    for p in paragraphs[:8]:
        line = "".join(p.split())
        if (
            _DRAFT.sub("", line).endswith("报告") and len(line) <= 80 and not any(ch in line for ch in "，。；《")
        ):  # a sentence about the report is no title
            return line
    return fallback


def read_docx(path: str | Path) -> Document:
    """Read a .docx report into its tables (as grids) and its narrative text."""
    shown = shown_path(path)
    zf = preflight(path, "docx")
    try:
        parts = Parts(shown, zf, "年度报告 Word 文件")
        data = parts.read("word/document.xml")
        if data is None:
            raise parts.refuse("这不是 Word 文件（缺少文档主体部件 word/document.xml），请确认文件是否完整")
        numbering = _Numbering(parts)
        state = _Reader(numbering)
        try:
            parts.parse("word/document.xml", data, state.start, state.end, state.text, MAX_DEPTH)
        except _TooMuch:
            raise parts.refuse("文档中的表格或文字异常多，不像正常的年度报告，已拒绝读取") from None
        title = _title(state.body, _core_title(parts))
    finally:
        zf.close()
    grids = [state.grids[t.index] for t in state.tables if t.index in state.grids]
    text = "\n".join(p for p in state.body if p)
    return Document("docx", grids, text=text, title=title)


__all__ = ["read_docx"]
