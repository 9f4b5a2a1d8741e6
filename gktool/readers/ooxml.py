"""The guarded zip and XML layer shared by the .xlsx and .docx readers.

What matters is that hostile or broken files are refused cheaply before any parser runs. The zip is opened with
`zipfile`; every XML part is size-capped, its element and attribute count is bounded (a byte count, before
parsing), and it is parsed with expat with any DOCTYPE refused at the parser (so no entity can be expanded,
whatever the encoding). Anything that goes wrong while reading becomes a GkError with a one-line message naming
the file.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from pyexpat import ExpatError, ParserCreate
from xml.etree import ElementTree as ET

from ..errors import GkError
from ..fsutil import read_start, shown_path

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
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DTD_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def attribute(elem, name: str) -> str | None:
    for k, v in elem.attrib.items():
        if local_name(k) == name:
            return v
    return None


# ------------------------------------------------------------------ pre-flight
def refuse(path: str, why: str) -> GkError:
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
    size, head = read_start(
        path,
        not_folder=words["dir"] if words else "这是一个文件夹，不是工作簿文件；请给出文件夹中的 .xlsx 文件",
        not_special=words["special"] if words else "这不是普通文件（可能是设备或管道），请给出 .xlsx 工作簿文件",
        max_bytes=MAX_FILE_BYTES,
        too_big=words["big"] if words else "正常的填报工作簿只有几十 KB，请确认文件是否正确",
    )
    if head.startswith(CFB_MAGIC):
        try:
            with open(p, "rb") as fh:
                blob = fh.read(min(size, 4 * 1024 * 1024))
        except OSError as exc:
            raise refuse(shown, f"无法读取文件（{exc.strerror or type(exc).__name__}），请检查路径后重试") from None
        if (
            "EncryptedPackage".encode("utf-16-le") in blob
            or b"EncryptionInfo" in blob
            or "EncryptionInfo".encode("utf-16-le") in blob
        ):
            raise refuse(
                shown,
                words["encrypted"]
                if words
                else "工作簿设置了打开密码（已加密），请在 Excel/WPS 中取消密码后另存为 .xlsx 再提交",
            )
        raise refuse(
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
        raise refuse(shown, why)
    try:
        zf = zipfile.ZipFile(p)
        infos = zf.infolist()
    except PermissionError:
        raise refuse(shown, "没有读取该文件的权限，请检查文件权限或复制一份后再试") from None
    except (
        Exception
    ):  # zipfile raises many types on damage: BadZipFile, ValueError, an unsupported method or version, ...
        raise refuse(shown, "文件已损坏，无法打开（可能没有下载或复制完整），请重新获取原文件") from None
    try:
        _check_entries(shown, zf, infos, kind)
    except GkError:
        zf.close()
        raise
    return zf


def _check_entries(shown: str, zf: zipfile.ZipFile, infos, kind: str = "xlsx") -> None:
    if len(infos) > MAX_ENTRIES:
        what = "年度报告 Word 文件" if kind == "docx" else "填报工作簿"
        raise refuse(shown, f"文件内部包含的部件过多，不像正常的{what}，已拒绝读取")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name:
            raise refuse(shown, "文件内部路径异常，已拒绝读取")
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refuse(shown, "文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
        if kind == "xlsx" and _WORKSHEET_RE.fullmatch(name):
            # A worksheet is only ever parsed through Parts.read, which stops after MAX_PART_BYTES and counts what it
            # really read (MAX_TOTAL_READ); sheets the checks do not need (a summary's 明细, a few hundred MB of
            # plain rows that compress ~20x) are not read at all. So a large sheet is not refused here for its size
            # alone: only for the ratio above, which a bomb cannot stay under.
            continue
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise refuse(shown, "文件内部数据解压后异常巨大（疑似“压缩炸弹”），已拒绝读取")
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise refuse(shown, "文件解压后过大（疑似“压缩炸弹”），已拒绝读取")
    names = {i.filename for i in infos}
    if kind == "docx":
        if "word/document.xml" not in names:
            if "xl/workbook.xml" in names:
                raise refuse(shown, "这是 Excel 工作簿，不是 Word 文件（.docx），请按工作簿检查")
            raise refuse(shown, "这不是 Word 文件（缺少文档主体部件 word/document.xml），请确认文件是否完整")
        return
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") and n.startswith("xl/") for n in names):
        if "word/document.xml" in names:
            raise refuse(shown, "这是 Word 文档（.docx），不是 Excel 工作簿，请提交 .xlsx 填报工作簿")
        if "ppt/presentation.xml" in names:
            raise refuse(shown, "这是 PowerPoint 文件，不是 Excel 工作簿")
        raise refuse(shown, "这不是 Excel 工作簿（缺少工作簿主体部件），请确认提交的是填报工作簿")


# ------------------------------------------------------------------ parts
class _Refused(Exception):
    """Raised inside expat callbacks; turned into a GkError naming the part."""


def _no_dtd(*_args):
    raise _Refused("dtd")


class Parts:
    """The zip's parts, each read once through the caps; XML parsed by expat."""

    def __init__(self, shown: str, zf: zipfile.ZipFile, what: str = "填报工作簿"):
        self.shown = shown
        self.what = what  # what the messages call the file: "填报工作簿", "年度报告 Word 文件"
        self.zf = zf
        self.names = set(zf.namelist())
        self.nodes = 0  # elements and attributes over all parts read so far
        self.bytes = 0  # decompressed bytes over all parts read so far

    def refuse(self, why: str) -> GkError:
        return refuse(self.shown, why)

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


def relationships(parts: Parts, name: str) -> dict[str, str]:
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
