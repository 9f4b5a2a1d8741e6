"""Reading filled workbooks safely, in one pass, without openpyxl.

A filled form is ~30 KB; what matters is that hostile or broken files are
refused cheaply before any parser runs, that only the ranges the spec defines
are kept, and that formulas and cached values come from one read. The zip is
opened with `zipfile`, every XML part is size-capped and refused if it declares
a DOCTYPE (so no entity can be expanded), and sheets are parsed incrementally.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from .errors import GkError
from .spec import cell_name, col_index, parse_cell

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 50 * 1024 * 1024
MAX_PART_BYTES = 30 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_SIZE = 256 * 1024      # tiny parts compress well legitimately
MAX_ENTRIES = 2000
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DTD_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
MARGIN_ROWS = 40                 # how far beyond the spec's area we look for moved labels
MARGIN_COLS = 10


@dataclass(frozen=True)
class RawCell:
    value: object            # float | str | bool | None (cached value for formulas)
    formula: str | None      # without the leading "="
    kind: str                # "n", "s", "str", "inlineStr", "b", "e", "d"
    damaged: bool = False    # a value that could not be decoded (garbage in <v>)


@dataclass
class RawSheet:
    name: str
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    outside: int = 0         # non-empty cells beyond the area that was kept


@dataclass
class RawWorkbook:
    path: str
    sheet_names: list[str]
    sheets: dict[str, RawSheet]
    defined_names: dict[str, str]
    properties: dict[str, str]
    has_macros: bool = False
    has_external_links: bool = False


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attr(elem, name: str) -> str | None:
    for k, v in elem.attrib.items():
        if _local(k) == name:
            return v
    return None


# ------------------------------------------------------------------ pre-flight
def _refuse(path: str, why: str) -> GkError:
    return GkError(f"{path}：{why}", 2)


def preflight(path: str | Path) -> zipfile.ZipFile:
    """Open `path` as an OOXML zip, or raise GkError with a message a clerk can act on."""
    p = Path(path)
    shown = str(path)
    try:
        if p.is_dir():
            raise _refuse(shown, "这是一个文件夹，不是工作簿文件")
        if not p.exists():
            raise _refuse(shown, "文件不存在，请检查路径和文件名")
        size = p.stat().st_size
        if size == 0:
            raise _refuse(shown, "文件是空的（0 字节），可能没有保存或下载完整，请重新获取")
        if size > MAX_FILE_BYTES:
            raise _refuse(shown, f"文件过大（{size // 1024 // 1024} MB），正常的填报工作簿只有几十 KB，请确认文件是否正确")
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except PermissionError:
        raise _refuse(shown, "没有读取该文件的权限") from None
    except OSError as exc:
        raise _refuse(shown, f"无法读取文件（{exc.strerror or exc}）") from None
    if head.startswith(CFB_MAGIC):
        with open(p, "rb") as fh:
            blob = fh.read(min(size, 4 * 1024 * 1024))
        if "EncryptedPackage".encode("utf-16-le") in blob or b"EncryptionInfo" in blob \
                or "EncryptionInfo".encode("utf-16-le") in blob:
            raise _refuse(shown, "工作簿设置了打开密码（已加密），请在 Excel/WPS 中取消密码后另存为 .xlsx 再提交")
        raise _refuse(shown, "这是旧版 .xls（或 .doc）格式文件，请在 Excel/WPS 中“另存为” .xlsx 格式后再提交")
    if not head.startswith(ZIP_MAGIC):
        text_like = head and all(b >= 9 for b in head[:512])
        why = ("这不是 Excel 工作簿，看起来是文本或 CSV 文件（可能只是改了扩展名），请使用 gktool new 生成的 .xlsx 工作簿"
               if text_like else "这不是 Excel 工作簿（.xlsx），文件内容无法识别，请确认提交的是填报工作簿")
        raise _refuse(shown, why)
    try:
        zf = zipfile.ZipFile(p)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse(shown, "文件已损坏，无法打开（可能没有下载或复制完整），请重新获取原文件") from None
    try:
        _check_entries(shown, zf, infos)
    except GkError:
        zf.close()
        raise
    return zf


def _check_entries(shown: str, zf: zipfile.ZipFile, infos) -> None:
    if len(infos) > MAX_ENTRIES:
        raise _refuse(shown, "文件内部包含的部件过多，不像正常的填报工作簿，已拒绝读取")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name:
            raise _refuse(shown, "文件内部路径异常，已拒绝读取")
        total += info.file_size
        if info.file_size > MAX_PART_BYTES or (
                info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise _refuse(shown, "文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise _refuse(shown, "文件解压后过大（疑似“压缩炸弹”），已拒绝读取")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") and n.startswith("xl/") for n in names):
        if "word/document.xml" in names:
            raise _refuse(shown, "这是 Word 文档（.docx），不是 Excel 工作簿，请提交 .xlsx 填报工作簿")
        if "ppt/presentation.xml" in names:
            raise _refuse(shown, "这是 PowerPoint 文件，不是 Excel 工作簿")
        raise _refuse(shown, "这不是 Excel 工作簿（缺少工作簿主体部件），请确认提交的是填报工作簿")


# ------------------------------------------------------------------ parts
class _Parts:
    def __init__(self, shown: str, zf: zipfile.ZipFile):
        self.shown = shown
        self.zf = zf
        self.names = set(zf.namelist())

    def read(self, name: str) -> bytes | None:
        if name not in self.names:
            return None
        try:
            with self.zf.open(name) as fh:
                data = fh.read(MAX_PART_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise _refuse(self.shown, f"文件已损坏，内部部件“{name}”无法解压（{type(exc).__name__}），请重新获取原文件") from None
        except Exception as exc:    # zlib.error and friends from a damaged stream
            raise _refuse(self.shown, f"文件已损坏，内部部件“{name}”无法解压（{type(exc).__name__}），请重新获取原文件") from None
        if len(data) > MAX_PART_BYTES:
            raise _refuse(self.shown, "文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
        if _DTD_RE.search(data):
            raise _refuse(self.shown, "文件内部含有 DOCTYPE/实体声明（可能是恶意构造的文件），已拒绝读取")
        return data

    def xml(self, name: str):
        data = self.read(name)
        if data is None:
            return None
        try:
            return ET.fromstring(data)
        except ET.ParseError:
            raise _refuse(self.shown, f"文件已损坏，内部部件“{name}”不是有效的 XML，请重新获取原文件") from None


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


def _text_of(elem) -> str:
    """Text of a shared/inline string: all <t> runs, skipping phonetic <rPh>."""
    out = []
    for child in elem:
        tag = _local(child.tag)
        if tag == "t":
            out.append(child.text or "")
        elif tag == "r":
            for t in child:
                if _local(t.tag) == "t":
                    out.append(t.text or "")
    return "".join(out)


def _shared_strings(parts: _Parts, path: str | None) -> list[str]:
    if not path:
        return []
    root = parts.xml(path)
    if root is None:
        return []
    return [_text_of(si) for si in root if _local(si.tag) == "si"]


_REF_RE = re.compile(r"(?<![A-Za-z0-9_.'!\"])(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?![0-9A-Za-z_(])")


def translate_formula(formula: str, drow: int, dcol: int) -> str:
    """Shift relative references, as Excel does for a shared formula's followers."""
    def shift(m):
        col = m.group(2) if m.group(1) else _col(col_index(m.group(2)) + dcol)
        row = m.group(4) if m.group(3) else str(int(m.group(4)) + drow)
        return f"{m.group(1)}{col}{m.group(3)}{row}"
    pieces = formula.split('"')
    for i in range(0, len(pieces), 2):       # leave string literals alone
        pieces[i] = _REF_RE.sub(shift, pieces[i])
    return '"'.join(pieces)


def _col(i: int) -> str:
    from .spec import col_letters
    return col_letters(max(i, 1))


def _parse_sheet(parts: _Parts, path: str, name: str, strings: list[str], keep: tuple[int, int]) -> RawSheet:
    sheet = RawSheet(name)
    data = parts.read(path)
    if data is None:
        raise _refuse(parts.shown, f"文件已损坏，缺少工作表“{name}”的数据，请重新获取原文件")
    max_row, max_col = keep
    shared: dict[str, tuple[str, int, int]] = {}
    row_no = 0
    try:
        parser = ET.XMLPullParser(events=("end",))
        step = 1 << 16
        for i in range(0, len(data), step):
            parser.feed(data[i:i + step])
            for _, elem in parser.read_events():
                tag = _local(elem.tag)
                if tag == "row":
                    r = elem.get("r")
                    row_no = int(r) if r and r.isdigit() else row_no + 1
                    col_no = 0
                    for c in elem:
                        if _local(c.tag) != "c":
                            continue
                        ref = c.get("r")
                        if ref:
                            try:
                                rr, cc = parse_cell(ref)
                            except ValueError:
                                rr, cc = row_no, col_no + 1
                        else:
                            rr, cc = row_no, col_no + 1
                        col_no = cc
                        sheet.max_row = max(sheet.max_row, rr)
                        sheet.max_col = max(sheet.max_col, cc)
                        cell = _decode_cell(c, rr, cc, strings, shared)
                        if cell is None:
                            continue
                        if rr <= max_row and cc <= max_col:
                            sheet.cells[(rr, cc)] = cell
                        else:
                            sheet.outside += 1
                    elem.clear()
                elif tag == "mergeCell":
                    ref = elem.get("ref")
                    if ref and len(sheet.merges) < 10000:
                        sheet.merges.append(ref.replace("$", ""))
        parser.close()
    except ET.ParseError:
        raise _refuse(parts.shown, f"文件已损坏，工作表“{name}”的数据不是有效的 XML，请重新获取原文件") from None
    return sheet


def _decode_cell(c, row: int, col: int, strings: list[str], shared: dict) -> RawCell | None:
    kind = c.get("t") or "n"
    v = f = None
    inline = None
    for child in c:
        tag = _local(child.tag)
        if tag == "v":
            v = child.text
        elif tag == "f":
            f = child
        elif tag == "is":
            inline = _text_of(child)
    formula = None
    if f is not None:
        formula = (f.text or "").strip()
        if f.get("t") == "shared":
            si = f.get("si") or ""
            if formula:
                shared[si] = (formula, row, col)
            elif si in shared:
                master, mr, mc = shared[si]
                formula = translate_formula(master, row - mr, col - mc)
        formula = formula.lstrip("=") or None
    if v is None and inline is None and formula is None:
        return None
    damaged = False
    if kind == "s":
        try:
            value = strings[int(v)]
        except (TypeError, ValueError, IndexError):
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
    return RawCell(value, formula, kind, damaged)


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


def read_workbook(path: str | Path, keep: dict[str, tuple[int, int]] | None = None) -> RawWorkbook:
    """Read `path`; `keep` gives, per sheet name, the (rows, cols) area to keep
    (plus a margin); sheets not named in `keep` are not parsed at all."""
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
            raise _refuse(shown, "这不是 Excel 工作簿（缺少工作簿主体部件）")
        rels = _rels(parts, wb_path)
        sheet_paths: dict[str, str] = {}
        names: list[str] = []
        defined: dict[str, str] = {}
        shared_path = None
        for rid, target in rels.items():
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
        sheets = {}
        for name, area in (keep or {}).items():
            if name in sheet_paths:
                rows, cols = area
                sheets[name] = _parse_sheet(parts, sheet_paths[name], name, strings,
                                            (rows + MARGIN_ROWS, cols + MARGIN_COLS))
        props = _custom_properties(parts)
        macros = any(n.lower().endswith("vbaproject.bin") for n in parts.names)
        external = any(n.startswith("xl/externalLinks/") for n in parts.names) or \
            any(t.startswith("external:") for t in rels.values())
    return RawWorkbook(shown, names, sheets, defined, props, macros, external)


def parse_defined_name(text: str) -> tuple[str, str] | None:
    """"'三、依申请公开'!$D$4" -> ("三、依申请公开", "D4"); None for anything else."""
    sheet, sep, ref = text.rpartition("!")
    if not sep:
        return None
    sheet = sheet.strip()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    ref = ref.replace("$", "")
    try:
        row, col = parse_cell(ref)
    except ValueError:
        return None
    return sheet, cell_name(row, col)
