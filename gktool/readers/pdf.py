"""Read a published report from a PDF with a text layer into a `Document` (tables as grids, narrative text).

Most published reports are PDFs exported from Word or WPS. Their tables are drawn with ruling lines
and their text is placed glyph by glyph, so the tables are recovered from the lines (pdfplumber's
table finder, lines strategy) and each glyph is put into the cell that contains it. Where a page has
text laid out as a table but no ruling lines, columns are recovered from word positions under the
header, and a row whose words cannot be given one to a column is kept as found, never split by guessing.

A table that goes on over a page break becomes one Grid: repeated header rows are dropped and a
merged label cut by the break ("（四）无" / "法提供") is joined. Page numbers and running headers and
footers are left out of the narrative. Hostile files are bounded: size, page count, content per page,
and a time budget, each refused with one Chinese line.
"""

from __future__ import annotations

import re
import statistics
import time
import zlib
from pathlib import Path

from ..errors import GkError
from ..findings import Finding
from ..fsutil import read_start
from .grid import Document
from .pdf_layout import HEADING, Line
from .pdf_page import MAX_EDGES_PAGE, PageRead, read_page, refuse
from .pdf_tables import join_tables

MAX_FILE_BYTES = 50 * 1024 * 1024  # real reports: 0.1–5 MB
MAX_PAGES = 200  # real reports: 3–30 pages
MAX_CHARS_TOTAL = 500_000  # bounds memory (a glyph is kept as a small dict): ~200 dense pages
MAX_CONTENT_PAGE = 16 * 1024 * 1024  # decompressed drawing instructions of one page
TIME_BUDGET = 60.0  # seconds for one file

SCANNED = "扫描件，没有文字层，无法读取（本工具不做文字识别）"

_PAGE_NUMBER = re.compile(r"^[\s\-—–－―~～·•]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／共]\s*\d{1,4}\s*页?)?[\s\-—–－―~～·•]*$")
_DASHED_NUMBER = re.compile(r"^\s*[\-—–－―~～]+\s*\d{1,4}\s*[\-—–－―~～]+\s*$")


# ------------------------------------------------------------------ pre-flight
def _preflight(path: Path) -> None:
    shown = str(path)
    _size, head = read_start(
        path,
        not_folder="这是一个文件夹，不是 PDF 文件",
        not_special="这不是普通文件（可能是设备或管道），请给出 PDF 文件",
        max_bytes=MAX_FILE_BYTES,
        too_big="年度报告的 PDF 一般只有几 MB，请确认文件是否正确",
        limit=1024,
    )
    if b"%PDF-" not in head:
        raise refuse(shown, "这不是 PDF 文件（文件内容无法识别，可能只是改了扩展名）")


def read_pdf(path) -> Document:
    """Read a PDF report with a text layer into a Document; a scan, damage or oversize is one GkError line."""
    path = Path(path)
    _preflight(path)
    shown = str(path)
    deadline = time.monotonic() + TIME_BUDGET
    _check_structure(path, shown)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise refuse(shown, "PDF 设置了打开密码（已加密），请取消密码后再提交") from None
        raise refuse(shown, "PDF 文件已损坏，无法读取（可能没有下载完整），请重新获取原文件") from None
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise refuse(
                shown,
                f"PDF 页数过多（{count} 页，上限 {MAX_PAGES} 页），年度报告一般只有几页到几十页，请确认文件是否正确",
            )
        pages = []
        for i in range(count):
            if time.monotonic() > deadline:
                raise refuse(shown, f"PDF 读取超时（超过 {int(TIME_BUDGET)} 秒），文件可能异常复杂或已损坏")
            page = pdf[i]
            try:
                pages.append(read_page(page, i + 1, shown))
            finally:
                page.close()
            if sum(p.chars for p in pages) > MAX_CHARS_TOTAL:
                raise refuse(
                    shown, f"PDF 文字数量异常（超过 {MAX_CHARS_TOTAL} 个字符），年度报告没有这么长，请确认文件是否正确"
                )
    except GkError:
        raise
    except MemoryError:
        raise refuse(shown, "PDF 内容过大，内存不足以读取，请确认文件是否正确") from None
    except Exception:  # pdfium reports damage inside a page as PdfiumError or a failed call
        raise refuse(shown, "PDF 文件已损坏，无法读取（可能没有下载完整），请重新获取原文件") from None
    finally:
        pdf.close()
    try:
        return _assemble(pages, shown)
    except GkError:
        raise
    except Exception:  # a layout no rule here foresaw: one line for the user, not a traceback
        raise refuse(shown, "PDF 的版面无法解析，未能读取；请提供 Word 或网页版本") from None


def _check_structure(path: Path, shown: str) -> None:
    """Encryption, page count and the size of each page's drawing instructions, before anything is drawn."""
    import logging

    # pdfminer logs each damaged cross-reference entry; the user gets our one line instead
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        with open(path, "rb") as fh:
            doc = PDFDocument(PDFParser(fh))
            for n, page in enumerate(PDFPage.create_pages(doc), 1):
                if n > MAX_PAGES:
                    raise refuse(
                        shown, f"PDF 页数过多（超过 {MAX_PAGES} 页），年度报告一般只有几页到几十页，请确认文件是否正确"
                    )
                if _content_too_big(page):
                    raise refuse(shown, f"PDF 第{n}页内容异常庞大，无法读取，请确认文件是否正确")
    except GkError:
        raise
    except PDFEncryptionError:
        raise refuse(shown, "PDF 设置了打开密码（已加密），请取消密码后再提交") from None
    except MemoryError:
        raise refuse(shown, "PDF 内容过大，内存不足以读取，请确认文件是否正确") from None
    except RecursionError:
        raise refuse(shown, "PDF 结构嵌套过深，文件可能已损坏或被构造") from None
    except Exception:
        # pdfminer is stricter than pdfium about damaged cross-references: such a file is left to the pdfium
        # pass, which bounds it again (MAX_PAGES, the glyph caps and TIME_BUDGET in read_pdf)
        return


def _content_too_big(page) -> bool:
    """Inflate the page's drawing instructions with a cap, so a small file cannot unpack into gigabytes."""
    from pdfminer.pdftypes import resolve1

    total = 0
    contents = resolve1(page.attrs.get("Contents"))
    streams = contents if isinstance(contents, list) else [contents]
    for s in streams:
        s = resolve1(s)
        raw = getattr(s, "rawdata", None)
        if raw is None:
            continue
        filters = resolve1(s.attrs.get("Filter"))
        names = [getattr(resolve1(f), "name", f) for f in (filters if isinstance(filters, list) else [filters])]
        if names == ["FlateDecode"]:
            try:
                total += len(zlib.decompressobj().decompress(raw, MAX_CONTENT_PAGE + 1 - total))
            except zlib.error:
                pass
        else:
            total += len(raw)
        if total > MAX_CONTENT_PAGE:
            return True
    return False


# ------------------------------------------------------------------ the whole document
def _assemble(pages: list[PageRead], shown: str) -> Document:
    """The pages together: tables joined over page breaks, the narrative, the reader's own findings."""
    total_chars = sum(p.chars for p in pages)
    if total_chars == 0:
        raise refuse(shown, SCANNED)
    if sum(p.undecodable for p in pages) > 0.5 * total_chars:
        raise refuse(shown, "PDF 中的文字无法解码（字体缺少编码映射），无法读取；请提供 Word 或网页版本")
    findings = []
    scanned = [p.number for p in pages if p.chars == 0 and p.images > 0]
    if scanned:
        findings.append(
            Finding(
                "P1",
                "warning",
                "PDF",
                tuple(f"第{n}页" for n in scanned),
                f"第{'、'.join(map(str, scanned))}页是扫描图像，没有文字层，这些页的内容未读取（本工具不做文字识别）",
            )
        )
    crowded = [p.number for p in pages if p.edges_skipped]
    if crowded:  # never a table silently missing: say where the drawing was too dense to look at
        findings.append(
            Finding(
                "P2",
                "warning",
                "PDF",
                tuple(f"第{n}页" for n in crowded),
                f"第{'、'.join(map(str, crowded))}页的线条图形过多（超过 {MAX_EDGES_PAGE} 条），"
                "未在其中查找表格；如表格在这些页上，请提供 Word 或网页版本",
            )
        )
    _drop_running_lines(pages)
    grids = join_tables(pages)
    title, text = _narrative(pages)
    return Document(kind="pdf", grids=grids, text=text, title=title or "", findings=findings)


def _drop_running_lines(pages: list[PageRead]) -> None:
    """Page numbers ("— 3 —", "-3-", "第3页") and running headers/footers repeated on several pages."""
    repeated: dict[str, int] = {}
    for p in pages:
        for ln in p.lines:
            if ln.top < 0.1 * p.height or ln.bottom > 0.88 * p.height:
                repeated[_running_key(ln.text)] = repeated.get(_running_key(ln.text), 0) + 1
    many = len(pages) >= 3
    for p in pages:
        keep = []
        for ln in p.lines:
            margin = ln.top < 0.1 * p.height or ln.bottom > 0.88 * p.height
            if (
                _DASHED_NUMBER.match(ln.text)
                or (margin and _PAGE_NUMBER.match(ln.text))
                or (margin and many and repeated.get(_running_key(ln.text), 0) >= max(2, len(pages) // 2))
            ):
                continue
            keep.append(ln)
        p.lines = keep


# a line that is a report's title: "××县2023年政府信息公开工作年度报告" (可有“度”“政府”“工作”)
_TITLE = re.compile(r"20\d\d\s*年\s*度?\s*(政府)?\s*信息公开\s*(工作)?\s*年度报告$")


def _title_line(pages: list[PageRead]) -> str:
    """The report's title on the first pages where it is not the first thing printed: the largest line
    that is a whole title (a sentence that mentions the report is no title)."""
    found = [ln for p in pages for ln in p.lines if len(ln.text) <= 60 and _TITLE.search(re.sub(r"\s+", "", ln.text))]
    if not found:
        return ""
    best = max(found, key=lambda ln: ln.size)  # max keeps the first of equals: the earliest line
    return re.sub(r"\s+", "", best.text)


def _running_key(text: str) -> str:
    """A margin line with its numbers left out: a browser's "网址 5/9" footer is the same line on every page."""
    return re.sub(r"\d+", "#", text)


def _narrative(pages: list[PageRead]) -> tuple[str, str]:
    """Join the lines outside the tables into paragraphs; the title is the large type atop page 1."""
    lines = [(p, ln) for p in pages for ln in p.lines]
    if not lines:
        return "", ""
    body = statistics.median(ln.size for _, ln in lines)

    def edges(own: list[Line]) -> tuple[float, float]:
        lefts = [round(ln.x0) for ln in own]
        rights = sorted(ln.x1 for ln in own)
        return min(lefts, key=lambda x: (-lefts.count(x), x)), rights[int(0.9 * (len(rights) - 1))]

    everywhere = edges([ln for _, ln in lines if abs(ln.size - body) < 0.2 * body] or [ln for _, ln in lines])
    margins = {}
    for p in pages:  # each page its own margins where it has enough text: merged files shift pages
        own = [ln for ln in p.lines if abs(ln.size - body) < 0.2 * body]
        margins[id(p)] = edges(own) if len(own) >= 6 else everywhere
    title_lines = []
    i = 0
    while i < len(lines) and lines[i][0] is pages[0] and lines[i][1].size > 1.3 * body:
        title_lines.append(lines[i][1].text)
        i += 1
    title = re.sub(r"\s+", "", "".join(title_lines))
    if not _TITLE.search(title):  # a site's navigation or a header image above it: the title line further down
        title = _title_line(pages[:2]) or title
    paras: list[str] = []
    prev: Line | None = None
    prev_right = 0.0
    prev_page = pages[0]
    for p, ln in lines[i:]:
        left, right = margins[id(p)]
        new = (
            prev is None
            or ln.x0 > left + 0.8 * ln.size
            or prev.x1 < prev_right - 1.5 * prev.size
            or abs(ln.size - prev.size) > 0.2 * prev.size
            or _table_between(prev_page, prev, p, ln)
            or HEADING.match(ln.text)
            and (ln.x0 > left + 0.5 * ln.size or prev.text[-1:] in "。；：！？")
        )
        if new or not paras:
            paras.append(ln.text)
        else:
            joiner = " " if re.search(r"[A-Za-z0-9]$", paras[-1]) and re.match(r"[A-Za-z0-9]", ln.text) else ""
            paras[-1] += joiner + ln.text
        prev, prev_right, prev_page = ln, right, p
    return title, "\n".join(paras)


def _table_between(pa: PageRead, a: Line, pb: PageRead, b: Line) -> bool:
    """A table printed between two lines ends the paragraph, on one page or over a page break."""
    if pa is pb:
        return any(a.bottom <= t.top + 2 and t.bottom - 2 <= b.top for t in pb.parts)
    return any(t.top >= a.bottom - 2 for t in pa.parts) or any(t.bottom <= b.top + 2 for t in pb.parts)
