"""Reading filled workbooks safely, in one pass, without openpyxl.

A filled form is ~30 KB; what matters is that hostile or broken files are
refused cheaply before any parser runs, that only the ranges the spec defines
are kept, and that formulas and cached values come from one read. The zip is
opened with `zipfile`; every XML part is size-capped, its element and attribute
count is bounded (a byte count, before parsing), and it is parsed with expat
with any DOCTYPE refused at the parser (so no entity can be expanded, whatever
the encoding). Sheets and shared strings are parsed as streams that keep only
the current cell, so time and memory stay bounded by the caps below whatever a
file contains. Anything that goes wrong while reading becomes a GkError with a
one-line message naming the file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from pyexpat import ExpatError, ParserCreate
from xml.etree import ElementTree as ET

from .errors import GkError
from .spec import cell_name, col_index, parse_cell

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 50 * 1024 * 1024
MAX_PART_BYTES = 30 * 1024 * 1024
MAX_RATIO = 100
MAX_TOTAL_READ = MAX_TOTAL_UNCOMPRESSED  # bytes actually decompressed over all parts read from one file
_WORKSHEET_RE = re.compile(r"xl/worksheets/[^/]+\.xml")
RATIO_MIN_SIZE = 256 * 1024  # tiny parts compress well legitimately
MAX_ENTRIES = 2000
MAX_NODES_PART = 1_000_000  # elements ("<") or attributes ('="') in one XML part
MAX_NODES_TREE = 200_000  # parts kept as a tree (workbook, relationships, properties)
MAX_NODES_TOTAL = 2_000_000  # over all parts read: bounds the parse time of one file
MAX_DEPTH = 200  # nesting depth of XML elements (real parts: < 10)
MAX_TEXT = 32767  # Excel's limit on the characters in a cell
MAX_MERGES = 10000
MAX_ROW, MAX_COL = 1048576, 16384
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DTD_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_ROW_RE = re.compile(r"[0-9]{1,7}")
MARGIN_ROWS = 40  # how far beyond the spec's area we look for moved labels
MARGIN_COLS = 10


@dataclass(frozen=True)
class RawCell:
    value: object  # float | str | bool | None (cached value for formulas)
    formula: str | None  # without the leading "="
    kind: str  # "n", "s", "str", "inlineStr", "b", "e", "d"
    damaged: bool = False  # a value that could not be decoded (garbage in <v>)
    style: int = 0  # index into the workbook's cell formats (tells a date from a number)


@dataclass
class RawSheet:
    name: str
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    outside: int = 0  # non-empty cells beyond the area that was kept


@dataclass
class RawWorkbook:
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


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attr(elem, name: str) -> str | None:
    for k, v in elem.attrib.items():
        if _local(k) == name:
            return v
    return None


# ------------------------------------------------------------------ pre-flight
_LINE_BREAKING = {i for i in range(32) if i != 9} | {0x7F, 0x85, 0x2028, 0x2029}


def shown_path(path) -> str:
    """The path as a message shows it: on one line, whatever the file is called."""
    return str(path).translate(dict.fromkeys(_LINE_BREAKING, "?"))


def _refuse(path: str, why: str) -> GkError:
    return GkError(f"{shown_path(path)}：{why}", 2)


# What the messages call the expected file; only the wording differs between kinds.
_DOCX_WORDS = {
    "dir": "这是一个文件夹，不是 Word 文件；请给出文件夹中的 .docx 文件",
    "special": "这不是普通文件（可能是设备或管道），请给出 .docx 文件",
    "big": "正常的年度报告 Word 文件只有几 MB 以内，请确认文件是否正确",
    "encrypted": "Word 文件设置了打开密码（已加密），请在 Word/WPS 中取消密码后另存为 .docx 再检查",
    "legacy": "这是旧版 Word .doc 文件，请在 Word/WPS 中另存为 .docx 后再检查",
    "text": "这不是 Word 文件（.docx），看起来是文本或网页文件（可能只是改了扩展名），请确认文件类型",
    "unknown": "这不是 Word 文件（.docx），文件内容无法识别，请确认文件类型",
}


def preflight(path: str | Path, kind: str = "xlsx") -> zipfile.ZipFile:
    """Open `path` as an OOXML zip ("xlsx" workbook or "docx" document), or raise GkError with a message a clerk can act on."""
    p = Path(path)
    shown = str(path)
    words = _DOCX_WORDS if kind == "docx" else None
    try:
        if p.is_dir():
            raise _refuse(
                shown, words["dir"] if words else "这是一个文件夹，不是工作簿文件；请给出文件夹中的 .xlsx 文件"
            )
        if not p.exists():
            raise _refuse(shown, "文件不存在，请检查路径和文件名")
        if not p.is_file():
            raise _refuse(
                shown, words["special"] if words else "这不是普通文件（可能是设备或管道），请给出 .xlsx 工作簿文件"
            )
        size = p.stat().st_size
        if size == 0:
            raise _refuse(shown, "文件是空的（0 字节），可能没有保存或下载完整，请重新获取")
        if size > MAX_FILE_BYTES:
            typical = words["big"] if words else "正常的填报工作簿只有几十 KB，请确认文件是否正确"
            raise _refuse(shown, f"文件过大（{size // 1024 // 1024} MB），{typical}")
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except PermissionError:
        raise _refuse(shown, "没有读取该文件的权限，请检查文件权限或复制一份后再试") from None
    except OSError as exc:
        raise _refuse(shown, f"无法读取文件（{exc.strerror or type(exc).__name__}），请检查路径后重试") from None
    except ValueError:  # e.g. a NUL character in the path
        raise _refuse(shown, "文件路径无效，请检查路径和文件名") from None
    if head.startswith(CFB_MAGIC):
        try:
            with open(p, "rb") as fh:
                blob = fh.read(min(size, 4 * 1024 * 1024))
        except OSError as exc:
            raise _refuse(shown, f"无法读取文件（{exc.strerror or type(exc).__name__}），请检查路径后重试") from None
        if (
            "EncryptedPackage".encode("utf-16-le") in blob
            or b"EncryptionInfo" in blob
            or "EncryptionInfo".encode("utf-16-le") in blob
        ):
            raise _refuse(
                shown,
                words["encrypted"]
                if words
                else "工作簿设置了打开密码（已加密），请在 Excel/WPS 中取消密码后另存为 .xlsx 再提交",
            )
        raise _refuse(
            shown,
            words["legacy"]
            if words
            else "这是旧版 .xls（或 .doc）格式文件，请在 Excel/WPS 中“另存为” .xlsx 格式后再提交",
        )
    if not head.startswith(ZIP_MAGIC):
        text_like = head and all(b >= 9 for b in head[:512])
        if words:
            why = words["text"] if text_like else words["unknown"]
        else:
            why = (
                "这不是 Excel 工作簿，看起来是文本或 CSV 文件（可能只是改了扩展名），请使用 gktool new 生成的 .xlsx 工作簿"
                if text_like
                else "这不是 Excel 工作簿（.xlsx），文件内容无法识别，请确认提交的是填报工作簿"
            )
        raise _refuse(shown, why)
    try:
        zf = zipfile.ZipFile(p)
        infos = zf.infolist()
    except PermissionError:
        raise _refuse(shown, "没有读取该文件的权限，请检查文件权限或复制一份后再试") from None
    except (
        Exception
    ):  # zipfile raises many types on damage: BadZipFile, ValueError, an unsupported method or version, ...
        raise _refuse(shown, "文件已损坏，无法打开（可能没有下载或复制完整），请重新获取原文件") from None
    try:
        _check_entries(shown, zf, infos, kind)
    except GkError:
        zf.close()
        raise
    return zf


def _check_entries(shown: str, zf: zipfile.ZipFile, infos, kind: str = "xlsx") -> None:
    if len(infos) > MAX_ENTRIES:
        what = "年度报告 Word 文件" if kind == "docx" else "填报工作簿"
        raise _refuse(shown, f"文件内部包含的部件过多，不像正常的{what}，已拒绝读取")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name:
            raise _refuse(shown, "文件内部路径异常，已拒绝读取")
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(shown, "文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
        if kind == "xlsx" and _WORKSHEET_RE.fullmatch(name):
            # A worksheet is only ever parsed through _Parts.read, which stops after MAX_PART_BYTES and counts what it
            # really read (MAX_TOTAL_READ); sheets the checks do not need (a summary's 明细, a few hundred MB of
            # plain rows that compress ~20x) are not read at all. So a large sheet is not refused here for its size
            # alone: only for the ratio above, which a bomb cannot stay under.
            continue
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise _refuse(shown, "文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise _refuse(shown, "文件解压后过大（疑似“压缩炸弹”），已拒绝读取")
    names = {i.filename for i in infos}
    if kind == "docx":
        if "word/document.xml" not in names:
            if "xl/workbook.xml" in names:
                raise _refuse(shown, "这是 Excel 工作簿，不是 Word 文件（.docx），请按工作簿检查")
            raise _refuse(shown, "这不是 Word 文件（缺少文档主体部件 word/document.xml），请确认文件是否完整")
        return
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") and n.startswith("xl/") for n in names):
        if "word/document.xml" in names:
            raise _refuse(shown, "这是 Word 文档（.docx），不是 Excel 工作簿，请提交 .xlsx 填报工作簿")
        if "ppt/presentation.xml" in names:
            raise _refuse(shown, "这是 PowerPoint 文件，不是 Excel 工作簿")
        raise _refuse(shown, "这不是 Excel 工作簿（缺少工作簿主体部件），请确认提交的是填报工作簿")


# ------------------------------------------------------------------ parts
class _Refused(Exception):
    """Raised inside expat callbacks; turned into a GkError naming the part."""


def _no_dtd(*_args):
    raise _Refused("dtd")


class _Parts:
    """The zip's parts, each read once through the caps; XML parsed by expat."""

    def __init__(self, shown: str, zf: zipfile.ZipFile, what: str = "填报工作簿"):
        self.shown = shown
        self.what = what  # what the messages call the file: "填报工作簿", "年度报告 Word 文件"
        self.zf = zf
        self.names = set(zf.namelist())
        self.nodes = 0  # elements and attributes over all parts read so far
        self.bytes = 0  # decompressed bytes over all parts read so far

    def refuse(self, why: str) -> GkError:
        return _refuse(self.shown, why)

    def damaged(self, name: str) -> GkError:
        return self.refuse(f"文件已损坏，内部部件“{name}”不是有效的 XML，请重新获取原文件")

    def read(self, name: str, max_nodes: int = MAX_NODES_PART) -> bytes | None:
        if name not in self.names:
            return None
        try:
            with self.zf.open(name) as fh:
                data = fh.read(MAX_PART_BYTES + 1)
        except Exception as exc:  # BadZipFile (CRC), zlib.error, an unsupported compression method, EOFError, ...
            raise self.refuse(
                f"文件已损坏，内部部件“{name}”无法解压（{type(exc).__name__}），请重新获取原文件"
            ) from None
        if len(data) > MAX_PART_BYTES:
            raise self.refuse("文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
        self.bytes += len(data)
        if self.bytes > MAX_TOTAL_READ:
            raise self.refuse("文件解压后过大（疑似“压缩炸弹”），已拒绝读取")
        if _DTD_RE.search(data):
            raise self.refuse("文件内部含有 DOCTYPE/实体声明（可能是恶意构造的文件），已拒绝读取")
        nodes = data.count(b"<") + data.count(b"=")
        self.nodes += nodes
        if nodes > max_nodes or self.nodes > MAX_NODES_TOTAL:
            raise self.refuse(f"文件内部部件“{name}”包含的数据项异常多，不像正常的{self.what}，已拒绝读取")
        return data

    def parse(self, name: str, data: bytes, start, end, text=None, max_depth: int | None = None) -> None:
        """Run expat over `data` with the given callbacks; DOCTYPE and entities refused.

        Tree parts (`max_depth` given) get "uri}local" tags; stream parsers get
        the names as written ("c" or "x:c") and keep no tree, so need no depth cap."""
        if max_depth is None:  # streams: raw names, callbacks drop any "x:" prefix themselves
            parser = ParserCreate()
            parser.StartElementHandler = start
            parser.EndElementHandler = end
        else:
            parser = ParserCreate(namespace_separator="}")
            depth = 0

            def on_start(tag, attrs):
                nonlocal depth
                depth += 1
                if depth > max_depth:
                    raise _Refused("depth")
                start(tag, attrs)

            def on_end(tag):
                nonlocal depth
                depth -= 1
                end(tag)

            parser.StartElementHandler = on_start
            parser.EndElementHandler = on_end
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _no_dtd
        parser.EntityDeclHandler = _no_dtd
        parser.ExternalEntityRefHandler = _no_dtd
        if text is not None:
            parser.CharacterDataHandler = text
        try:
            parser.Parse(data, True)
        except _Refused as exc:
            if exc.args[0] == "dtd":
                raise self.refuse("文件内部含有 DOCTYPE/实体声明（可能是恶意构造的文件），已拒绝读取") from None
            raise self.refuse(f"文件内部部件“{name}”的结构异常（嵌套过深），已拒绝读取") from None
        except (ExpatError, ValueError, LookupError, UnicodeError):  # bad XML, unknown encoding
            raise self.damaged(name) from None

    def xml(self, name: str):
        """A small part (workbook, relationships, properties) as an element tree."""
        data = self.read(name, MAX_NODES_TREE)
        if data is None:
            return None
        builder = ET.TreeBuilder()
        self.parse(name, data, builder.start, builder.end, builder.data, MAX_DEPTH)
        try:
            return builder.close()
        except Exception:  # no root element
            raise self.damaged(name) from None


def _rels(parts: _Parts, name: str) -> dict[str, str]:
    """Relationship id -> target path inside the zip, for the part `name`."""
    folder, _, base = name.rpartition("/")
    root = parts.xml(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
    out = {}
    if root is None:
        return out
    for rel in root:
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External":
            out[rel.get("Id")] = "external:" + target
            continue
        if target.startswith("/"):
            path = target[1:]
        else:
            path = str(PurePosixPath(folder) / target) if folder else target
            stack = []
            for part in path.split("/"):
                if part == "..":
                    if stack:
                        stack.pop()
                elif part and part != ".":
                    stack.append(part)
            path = "/".join(stack)
        out[rel.get("Id")] = path
    return out


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


def _shared_strings(parts: _Parts, path: str | None) -> list[str]:
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
    from .spec import col_letters

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


def _parse_sheet(parts: _Parts, path: str, name: str, strings: list[str], keep: tuple[int, int]) -> RawSheet:
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


def _date_styles(parts: _Parts) -> frozenset:
    root = parts.xml("xl/styles.xml")
    if root is None:
        return frozenset()
    custom = {}
    for elem in root.iter():
        if _local(elem.tag) == "numFmt":
            fid = elem.get("numFmtId") or ""
            if fid.isdigit():
                custom[int(fid)] = elem.get("formatCode") or ""
    out = set()
    for elem in root.iter():
        if _local(elem.tag) == "cellXfs":
            for i, xf in enumerate(x for x in elem if _local(x.tag) == "xf"):
                fid = xf.get("numFmtId") or "0"
                fid = int(fid) if fid.isdigit() and len(fid) < 7 else 0
                if fid in _BUILTIN_DATE_FORMATS or (fid in custom and _is_date_code(custom[fid])):
                    out.add(i)
    return frozenset(out)


def _custom_properties(parts: _Parts) -> dict[str, str]:
    path = "docProps/custom.xml"
    for target in _rels(parts, "").values():
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
        parts = _Parts(shown, zf)
        wb_path = "xl/workbook.xml"
        for target in _rels(parts, "").values():
            if target.endswith("workbook.xml"):
                wb_path = target
        root = parts.xml(wb_path)
        if root is None:
            raise _refuse(shown, "这不是 Excel 工作簿（缺少工作簿主体部件），请确认提交的是填报工作簿")
        rels = _rels(parts, wb_path)
        sheet_paths: dict[str, str] = {}
        names: list[str] = []
        defined: dict[str, str] = {}
        shared_path = None
        for _rid, target in rels.items():
            if target.endswith("sharedStrings.xml"):
                shared_path = target
        for elem in root.iter():
            tag = _local(elem.tag)
            if tag == "sheet":
                name = elem.get("name") or ""
                names.append(name)
                rid = _attr(elem, "id")
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
