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

import bisect
import re
import statistics
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GkError
from ..findings import Finding
from .grid import Document, Grid, GridCell

MAX_FILE_BYTES = 50 * 1024 * 1024  # real reports: 0.1–5 MB
MAX_PAGES = 200  # real reports: 3–30 pages
MAX_CHARS_PAGE = 60_000  # a dense A4 page holds ~2,500 glyphs
MAX_CHARS_TOTAL = 500_000  # bounds memory (a glyph is kept as a small dict): ~200 dense pages
MAX_EDGES_PAGE = 6_000  # ruling segments on one page (a big table: a few hundred)
MAX_CONTENT_PAGE = 16 * 1024 * 1024  # decompressed drawing instructions of one page
TIME_BUDGET = 60.0  # seconds for one file

SCANNED = "扫描件，没有文字层，无法读取（本工具不做文字识别）"

TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}

_PAGE_NUMBER = re.compile(r"^[\s\-—–－―~～·•]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／共]\s*\d{1,4}\s*页?)?[\s\-—–－―~～·•]*$")
_DASHED_NUMBER = re.compile(r"^\s*[\-—–－―~～]+\s*\d{1,4}\s*[\-—–－―~～]+\s*$")
_HEADING = re.compile(r"^\s*[一二三四五六七八九十]{1,2}\s*[、.．]")
# what a value cell may hold (numbers, possibly wrapped or run together, or a "not applicable" mark):
# never glued onto a label
_VALUE_LIKE = re.compile(r"^[\d\s.,，+\-/／—–－]*$")


def _refuse(path, why: str) -> GkError:
    from ..fsutil import shown_path

    return GkError(f"{shown_path(path)}：{why}", 2)


# ------------------------------------------------------------------ pre-flight
def _preflight(path: Path) -> None:
    shown = str(path)
    try:
        if path.is_dir():
            raise _refuse(shown, "这是一个文件夹，不是 PDF 文件")
        if not path.exists():
            raise _refuse(shown, "文件不存在，请检查路径和文件名")
        if not path.is_file():
            raise _refuse(shown, "这不是普通文件（可能是设备或管道），请给出 PDF 文件")
        size = path.stat().st_size
        if size == 0:
            raise _refuse(shown, "文件是空的（0 字节），可能没有下载完整，请重新获取")
        if size > MAX_FILE_BYTES:
            raise _refuse(
                shown, f"PDF 文件过大（{size // 1024 // 1024} MB），年度报告一般只有几 MB，请确认文件是否正确"
            )
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except PermissionError:
        raise _refuse(shown, "没有读取该文件的权限，请检查文件权限或复制一份后再试") from None
    except OSError as exc:
        raise _refuse(shown, f"无法读取文件（{exc.strerror or type(exc).__name__}），请检查路径后重试") from None
    except ValueError:
        raise _refuse(shown, "文件路径无效，请检查路径和文件名") from None
    if b"%PDF-" not in head:
        raise _refuse(shown, "这不是 PDF 文件（文件内容无法识别，可能只是改了扩展名）")


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
            raise _refuse(shown, "PDF 设置了打开密码（已加密），请取消密码后再提交") from None
        raise _refuse(shown, "PDF 文件已损坏，无法读取（可能没有下载完整），请重新获取原文件") from None
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise _refuse(
                shown,
                f"PDF 页数过多（{count} 页，上限 {MAX_PAGES} 页），年度报告一般只有几页到几十页，请确认文件是否正确",
            )
        pages = []
        for i in range(count):
            if time.monotonic() > deadline:
                raise _refuse(shown, f"PDF 读取超时（超过 {int(TIME_BUDGET)} 秒），文件可能异常复杂或已损坏")
            page = pdf[i]
            try:
                pages.append(_read_page(page, i + 1, shown))
            finally:
                page.close()
            if sum(p.chars for p in pages) > MAX_CHARS_TOTAL:
                raise _refuse(
                    shown, f"PDF 文字数量异常（超过 {MAX_CHARS_TOTAL} 个字符），年度报告没有这么长，请确认文件是否正确"
                )
    except GkError:
        raise
    except MemoryError:
        raise _refuse(shown, "PDF 内容过大，内存不足以读取，请确认文件是否正确") from None
    except Exception:  # pdfium reports damage inside a page as PdfiumError or a failed call
        raise _refuse(shown, "PDF 文件已损坏，无法读取（可能没有下载完整），请重新获取原文件") from None
    finally:
        pdf.close()
    try:
        return _assemble(pages, shown)
    except GkError:
        raise
    except Exception:  # a layout no rule here foresaw: one line for the user, not a traceback
        raise _refuse(shown, "PDF 的版面无法解析，未能读取；请提供 Word 或网页版本") from None


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
                    raise _refuse(
                        shown, f"PDF 页数过多（超过 {MAX_PAGES} 页），年度报告一般只有几页到几十页，请确认文件是否正确"
                    )
                if _content_too_big(page):
                    raise _refuse(shown, f"PDF 第{n}页内容异常庞大，无法读取，请确认文件是否正确")
    except GkError:
        raise
    except PDFEncryptionError:
        raise _refuse(shown, "PDF 设置了打开密码（已加密），请取消密码后再提交") from None
    except MemoryError:
        raise _refuse(shown, "PDF 内容过大，内存不足以读取，请确认文件是否正确") from None
    except RecursionError:
        raise _refuse(shown, "PDF 结构嵌套过深，文件可能已损坏或被构造") from None
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


# ------------------------------------------------------------------ one page
@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    words: list = field(default_factory=list)  # (text, x0, x1): runs of glyphs split at gaps of ~1 em


@dataclass
class Part:
    """One table as found on one page."""

    page: int
    index: int  # 1-based among the tables of its page
    top: float
    bottom: float
    xs: list[float]  # column boundaries
    nrows: int
    cells: list[tuple[int, int, int, int, str]]  # (r1, c1, r2, c2) 1-based inclusive, text


@dataclass
class PageRead:
    number: int
    height: float
    width: float
    lines: list[Line]
    parts: list[Part]
    chars: int
    images: int
    undecodable: int = 0
    edges_skipped: bool = False


class _PageView:
    """What pdfplumber's table finder reads from a page: its ruling edges and bounding box."""

    def __init__(self, edges, width, height):
        self.edges = edges
        self.chars = []
        self.bbox = (0, 0, width, height)


def _read_page(page, number: int, shown: str) -> PageRead:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    left, bottom = page.get_mediabox()[:2]
    textpage = page.get_textpage()
    try:
        n = pdfium_c.FPDFText_CountChars(textpage.raw)
        if n > MAX_CHARS_PAGE:
            raise _refuse(shown, f"PDF 第{number}页文字数量异常（{n} 个字符），无法读取，请确认文件是否正确")
        chars, undecodable = _chars(textpage, n, left, bottom, height)
    finally:
        textpage.close()
    edges, images, paths = _edges(page, left, bottom, height)
    parts: list[Part] = []
    skipped = len(edges) > MAX_EDGES_PAGE
    if chars and edges and not skipped:
        from pdfplumber.table import TableFinder

        for table in TableFinder(_PageView(edges, width, height), TABLE_SETTINGS).tables:
            part = _part(table, chars, number, len(parts) + 1)
            if part is not None:
                parts.append(part)
    boxes = [(p.xs[0], p.top, p.xs[-1], p.bottom) for p in parts]
    rest = [c for c in chars if not any(_inside(c, b) for b in boxes)]
    lines = _lines(rest)
    if not parts:  # no ruled table on this page: look for one printed as aligned text
        for part, used in _aligned_tables(lines, number, float(height), 1):
            parts.append(part)
            lines = [ln for ln in lines if id(ln) not in used]
    return PageRead(number, float(height), float(width), lines, parts, len(chars), images, undecodable, skipped)


def _chars(textpage, n: int, left: float, bottom: float, height: float):
    """The page's glyphs as dicts (text, x0, x1, top, bottom, size), top-down coordinates; generated ones left out."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    out, seen, undecodable = [], set(), 0
    for i in range(n):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if code in (0, 0xFFFE, 0xFFFF, 10, 13) or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            continue
        if pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1:
            undecodable += 1
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(rect)):
            continue
        text = chr(code)
        x0, x1 = rect.left - left, rect.right - left
        top, bot = height - (rect.top - bottom), height - (rect.bottom - bottom)
        if x1 < x0:
            x0, x1 = x1, x0
        if bot < top:
            top, bot = bot, top
        key = (text, round(x0), round(top))  # a glyph drawn twice (fake bold) counts once
        if key in seen:
            continue
        seen.add(key)
        out.append({"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bot, "size": max(bot - top, 1.0)})
    return out, undecodable


def _edges(page, left: float, bottom: float, height: float):
    """Ruling lines as pdfplumber edges: stroked straight segments, and thin filled bars; shading left out."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    edges, images, paths = [], [0], 0
    fx, fy = ctypes.c_float(), ctypes.c_float()
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    for raw, m in _drawn_objects(page, images):
        paths += 1
        if paths > 4 * MAX_EDGES_PAGE:
            break
        pdfium_c.FPDFPath_GetDrawMode(raw, ctypes.byref(mode), ctypes.byref(stroke))
        stroked, filled = bool(stroke.value), mode.value != 0
        if not stroked and not filled:
            continue
        white = False
        if filled and not stroked and pdfium_c.FPDFPageObj_GetFillColor(raw, *(ctypes.byref(x) for x in (r, g, b, a))):
            white = min(r.value, g.value, b.value) > 242 or a.value == 0
        pts_sub: list[list[tuple[float, float] | None]] = []
        for k in range(pdfium_c.FPDFPath_CountSegments(raw)):
            seg = pdfium_c.FPDFPath_GetPathSegment(raw, k)
            if not pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(fx), ctypes.byref(fy)):
                continue
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            x = m[0] * fx.value + m[2] * fy.value + m[4] - left
            y = height - (m[1] * fx.value + m[3] * fy.value + m[5] - bottom)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not pts_sub:
                pts_sub.append([(x, y)])
            elif kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
                pts_sub[-1].append(None)  # a curve breaks the straight run
                pts_sub[-1].append((x, y))
            else:
                pts_sub[-1].append((x, y))
            if pdfium_c.FPDFPathSegment_GetClose(seg) and pts_sub[-1][0] is not None:
                pts_sub[-1].append(pts_sub[-1][0])
        for sub in pts_sub:
            pts = [p for p in sub if p is not None]
            if not pts:
                continue
            if stroked:
                for p, q in zip(sub, sub[1:], strict=False):
                    if p is None or q is None:
                        continue
                    _add_edge(edges, p, q)
            elif not white:
                xs_, ys_ = [p[0] for p in pts], [p[1] for p in pts]
                w, h = max(xs_) - min(xs_), max(ys_) - min(ys_)
                if h <= 2.0 and w > 2.0:  # a bar drawn as a thin filled rectangle
                    y = (min(ys_) + max(ys_)) / 2
                    _add_edge(edges, (min(xs_), y), (max(xs_), y))
                elif w <= 2.0 and h > 2.0:
                    x = (min(xs_) + max(xs_)) / 2
                    _add_edge(edges, (x, min(ys_)), (x, max(ys_)))
    return edges, images[0], paths


def _drawn_objects(page, images: list):
    """(raw path object, its matrix to page space) for every path, forms included; counts images.

    Walks pdfium's object list directly: wrapping each of thousands of glyph objects costs more than reading them."""
    import pypdfium2.raw as pdfium_c

    fs = pdfium_c.FS_MATRIX()

    def matrix(obj):
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, fs):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        return (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)

    def times(m, n):  # m then n
        return (
            m[0] * n[0] + m[1] * n[2],
            m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4],
            m[4] * n[1] + m[5] * n[3] + n[5],
        )

    def walk(count, get, parent, outer, depth):
        for i in range(count(parent)):
            obj = get(parent, i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                yield obj, times(matrix(obj), outer) if outer else matrix(obj)
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                images[0] += 1
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 4:
                m = times(matrix(obj), outer) if outer else matrix(obj)
                yield from walk(pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, obj, m, depth + 1)

    yield from walk(pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, page.raw, None, 0)


def _add_edge(edges: list, p, q) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) < 1.0 and abs(x1 - x0) >= 1.0:
        y = (y0 + y1) / 2
        a, b = sorted((x0, x1))
        edges.append(
            {
                "x0": a,
                "x1": b,
                "top": y,
                "bottom": y,
                "width": b - a,
                "height": 0,
                "orientation": "h",
                "object_type": "line",
            }
        )
    elif abs(x1 - x0) < 1.0 and abs(y1 - y0) >= 1.0:
        x = (x0 + x1) / 2
        a, b = sorted((y0, y1))
        edges.append(
            {
                "x0": x,
                "x1": x,
                "top": a,
                "bottom": b,
                "width": 0,
                "height": b - a,
                "orientation": "v",
                "object_type": "line",
            }
        )


def _inside(c, box, pad: float = 1.0) -> bool:
    cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    return box[0] - pad <= cx <= box[2] + pad and box[1] - pad <= cy <= box[3] + pad


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float, tol: float = 2.0) -> int:
    i = bisect.bisect_left(bounds, v - tol)
    return i if i < len(bounds) and abs(bounds[i] - v) <= tol else -1


def _part(table, chars, page_no: int, index: int) -> Part | None:
    bboxes = table.cells
    xs = _cluster([b[0] for b in bboxes] + [b[2] for b in bboxes], 2.0)
    ys = _cluster([b[1] for b in bboxes] + [b[3] for b in bboxes], 2.0)
    if len(xs) < 3 or len(ys) < 2:  # one column: a framed paragraph, not a table
        return None
    spans = []
    owner: dict[tuple[int, int], int] = {}
    for b in bboxes:
        c1, c2 = _index(xs, b[0]), _index(xs, b[2])
        r1, r2 = _index(ys, b[1]), _index(ys, b[3])
        if min(c1, c2, r1, r2) < 0 or c2 <= c1 or r2 <= r1:
            continue
        k = len(spans)
        spans.append((r1, c1, r2, c2))
        for r in range(r1, r2):
            for c in range(c1, c2):
                owner.setdefault((r, c), k)
    texts: list[list] = [[] for _ in spans]
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        if not (x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1):
            continue
        c = min(max(bisect.bisect_right(xs, cx) - 1, 0), len(xs) - 2)
        r = min(max(bisect.bisect_right(ys, cy) - 1, 0), len(ys) - 2)
        k = owner.get((r, c))
        if k is not None:
            texts[k].append(ch)
    cells = []
    for (r1, c1, r2, c2), cs in zip(spans, texts, strict=True):
        cells.append((r1 + 1, c1 + 1, r2, c2, _cell_text(cs)))
    if len({c[1] for c in cells}) < 2:
        return None
    return Part(page_no, index, y0, y1, xs, len(ys) - 1, cells)


def _cell_text(chars) -> str:
    """Glyphs of one cell as lines, top to bottom; a visible gap inside a line becomes a space."""
    return "\n".join(ln.text for ln in _lines(chars))


def _words(row, em: float) -> list[tuple[str, float, float]]:
    """Runs of glyphs on one line split where the gap is wide (0.8 em): the columns of an unruled table."""
    words: list[list] = []
    for ch in row:
        if ch["text"].isspace():
            continue
        if words and ch["x0"] - words[-1][2] <= 0.8 * em:
            w = words[-1]
            w[0] += (" " if ch["x0"] - w[2] > 0.25 * max(ch["size"], 1) else "") + ch["text"]
            w[2] = max(w[2], ch["x1"])
        else:
            words.append([ch["text"], ch["x0"], ch["x1"]])
    return [tuple(w) for w in words]


def _lines(chars) -> list[Line]:
    """Group glyphs into printed lines by vertical overlap (digits and CJK have different boxes)."""
    rows: list[list] = []  # [top, bottom, chars]
    for ch in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        h = ch["bottom"] - ch["top"]
        best, best_ov = None, 0.0
        for row in rows[-4:]:
            ov = min(row[1], ch["bottom"]) - max(row[0], ch["top"])
            if ov > 0.5 * min(h, row[1] - row[0]) and ov > best_ov:
                best, best_ov = row, ov
        if best is None:
            rows.append([ch["top"], ch["bottom"], [ch]])
        else:
            best[2].append(ch)
            if h <= best[1] - best[0]:  # the row's box follows its smaller glyphs: keeps rows apart
                best[0], best[1] = max(best[0], ch["top"]), min(best[1], ch["bottom"])
    out = []
    for _, _, row in rows:
        row.sort(key=lambda c: c["x0"])
        pieces = []
        prev = None
        for ch in row:
            t = ch["text"]
            if (
                prev is not None
                and ch["x0"] - prev["x1"] > 0.25 * max(ch["size"], 1)
                and not t.isspace()
                and not (pieces and pieces[-1].endswith(" "))
            ):
                pieces.append(" ")
            pieces.append(t)
            prev = ch
        text = re.sub(r"[ \u3000\xa0\t]+", " ", "".join(pieces)).strip()
        if not text:
            continue
        # the type size: a CJK glyph is one em wide; loose box heights differ from font to font
        wide = [c["x1"] - c["x0"] for c in row if 0x3400 <= ord(c["text"]) <= 0x9FFF] or [0.8 * c["size"] for c in row]
        em = statistics.median(wide)
        out.append(
            Line(
                text,
                row[0]["x0"],
                max(c["x1"] for c in row),
                min(c["top"] for c in row),
                max(c["bottom"] for c in row),
                em,
                _words(row, em),
            )
        )
    out.sort(key=lambda ln: (round(ln.top), ln.x0))
    return out


# ------------------------------------------------------------------ tables without ruling lines
_VALUE_WORD = re.compile(r"^[\d\s.,，+\-/／—–－]*\d[\d\s.,，+\-/／—–－]*$|^[/／—–－\-]{1,2}$")


def _aligned_tables(lines: list[Line], page_no: int, height: float, first_index: int):
    """Tables printed without ruling lines, recovered from word positions.

    A block is a run of lines with wide gaps between their words (plus short label lines among them),
    between headings and prose. Value columns are where the numbers of the block line up; each
    header word goes to the value columns it stands over; labels fill the columns before them in
    reading order. A number that cannot be given one column of its own (two in one column, or one
    run across two columns: "801000081") makes its row's values one cell as printed, never split.
    """
    body = [ln for ln in lines if 0.06 * height < ln.top and ln.bottom < 0.94 * height]
    if not body:
        return []
    width = max(ln.x1 for ln in body) - min(ln.x0 for ln in body)
    kinds = []
    for ln in body:
        if _HEADING.match(ln.text) and len(ln.words) == 1:
            kinds.append("P")
        elif len(ln.words) >= 2:
            kinds.append("T")
        elif ln.x1 - ln.x0 < 0.5 * width:
            kinds.append("S")
        else:
            kinds.append("P")
    out = []
    k = 0
    while k < len(body):
        if kinds[k] == "P":
            k += 1
            continue
        end = k
        while end < len(body) and kinds[end] != "P":
            end += 1
        block = body[k:end]
        k = end
        values = [
            ln for ln in block if sum(bool(_VALUE_WORD.match(w[0])) for w in ln.words) >= 1 and len(ln.words) >= 2
        ]
        if not values or (len(values) < 2 and max(len(ln.words) for ln in values) < 5):
            continue
        part = _aligned_part(block, values, page_no, first_index + len(out))
        if part is not None:
            out.append((part, {id(ln) for ln in block}))
    return out


def _aligned_part(block: list[Line], values: list[Line], page_no: int, index: int) -> Part | None:
    em = statistics.median(ln.size for ln in block)
    centres = sorted((w[1] + w[2]) / 2 for ln in values for w in ln.words if _VALUE_WORD.match(w[0]))
    clusters: list[list[float]] = []
    for c in centres:
        if clusters and c - clusters[-1][-1] <= 1.2 * em:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    cols = [statistics.mean(c) for c in clusters]
    half = [(cols[i + 1] - cols[i]) / 2 for i in range(len(cols) - 1)]
    left_edge = cols[0] - (half[0] if half else 2 * em)
    value_set = {id(ln) for ln in values}

    def value_cols(x0: float, x1: float) -> list[int]:
        inside = [i for i, c in enumerate(cols) if x0 - 0.3 * em <= c <= x1 + 0.3 * em]
        return inside or [min(range(len(cols)), key=lambda i: abs(cols[i] - (x0 + x1) / 2))]

    def labels_over_values(w) -> bool:  # a word wider than half the value area is no merged value cell
        return (w[2] - w[1]) > 0.75 * max(cols[-1] - cols[0], 1)

    rows: list[dict] = []  # {"labels": [texts], "cells": {col: text}, "spans": {col: last col}}
    nlabel = 0
    for ln in block:
        labels = [w for w in ln.words if (w[1] + w[2]) / 2 < left_edge]
        rest = [w for w in ln.words if (w[1] + w[2]) / 2 >= left_edge]
        if id(ln) not in value_set and not rest and rows and rows[-1]["value"]:
            # a label line with nothing over the value columns: the rest of the row above
            prev = rows[-1]["labels"]
            for w in labels:  # to the label above it
                mid = (w[1] + w[2]) / 2
                j = min(range(len(prev)), key=lambda i: abs((prev[i][1] + prev[i][2]) / 2 - mid)) if prev else None
                if j is None:
                    prev.append(list(w))
                else:
                    prev[j][0] += "\n" + w[0]
            continue
        row = {"labels": [list(w) for w in labels], "cells": {}, "spans": {}, "value": id(ln) in value_set}
        taken: dict[int, list] = {}
        if (
            len(rest) == 1
            and len(cols) > 1
            and not labels_over_values(rest[0])
            and abs((rest[0][1] + rest[0][2]) / 2 - (cols[0] + cols[-1]) / 2) <= 1.0 * em
        ):
            # one word centred over all the value columns: a cell merged across them (表二's 处理决定数量)
            row["cells"], row["spans"] = {0: rest[0][0]}, {0: len(cols) - 1}
            nlabel = max(nlabel, len(row["labels"]))
            rows.append(row)
            continue
        for w in rest:
            span = value_cols(w[1], w[2])
            if row["value"] and _VALUE_WORD.match(w[0]) and len(span) > 1:
                taken.setdefault(-1, []).append(w)  # one run of digits over several columns
                continue
            taken.setdefault(span[0], []).append(w)
            if len(span) > 1:
                row["spans"][span[0]] = span[-1]
        if row["value"] and (-1 in taken or any(len(v) > 1 for v in taken.values())):
            # numbers that cannot be told apart: the row's values as printed, in one cell over all columns
            row["cells"] = {0: " ".join(w[0] for w in rest)}
            row["spans"] = {0: len(cols) - 1} if len(cols) > 1 else {}
        else:
            row["cells"] = {c: " ".join(w[0] for w in ws) for c, ws in taken.items()}
        nlabel = max(nlabel, len(row["labels"]))
        rows.append(row)
    if len(cols) + nlabel < 2:
        return None
    cells = []
    for r, row in enumerate(rows, 1):
        for n, (text, _, _) in enumerate(row["labels"]):
            cells.append((r, n + 1, r, n + 1, text))
        for c, text in row["cells"].items():
            last = row["spans"].get(c, c)
            cells.append((r, nlabel + c + 1, r, nlabel + last + 1, text))
    xs = [block[0].x0] * (nlabel + 1) + [cols[i] + (half[i] if i < len(half) else 2 * em) for i in range(len(cols))]
    xs = [min(ln.x0 for ln in block) + n for n in range(nlabel + 1)] + xs[nlabel + 1 :]
    return Part(page_no, index, min(ln.top for ln in block), max(ln.bottom for ln in block), xs, len(rows), cells)


# ------------------------------------------------------------------ the whole document
def _assemble(pages: list[PageRead], shown: str) -> Document:
    """The pages together: tables joined over page breaks, the narrative, the reader's own findings."""
    total_chars = sum(p.chars for p in pages)
    if total_chars == 0:
        raise _refuse(shown, SCANNED)
    if sum(p.undecodable for p in pages) > 0.5 * total_chars:
        raise _refuse(shown, "PDF 中的文字无法解码（字体缺少编码映射），无法读取；请提供 Word 或网页版本")
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
    grids = _join_tables(pages)
    title, text = _narrative(pages)
    return Document(kind="pdf", grids=grids, text=text, title=title or "", findings=findings)


def _drop_running_lines(pages: list[PageRead]) -> None:
    """Page numbers ("— 3 —", "-3-", "第3页") and running headers/footers repeated on several pages."""
    repeated: dict[str, int] = {}
    for p in pages:
        for ln in p.lines:
            if ln.top < 0.1 * p.height or ln.bottom > 0.88 * p.height:
                repeated[ln.text] = repeated.get(ln.text, 0) + 1
    many = len(pages) >= 3
    for p in pages:
        keep = []
        for ln in p.lines:
            margin = ln.top < 0.1 * p.height or ln.bottom > 0.88 * p.height
            if (
                _DASHED_NUMBER.match(ln.text)
                or (margin and _PAGE_NUMBER.match(ln.text))
                or (margin and many and repeated.get(ln.text, 0) >= max(2, len(pages) // 2))
            ):
                continue
            keep.append(ln)
        p.lines = keep


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _join_tables(pages: list[PageRead]) -> list[Grid]:
    """One Grid per table: a table that ends a page and one that starts the next page, with nothing
    printed between them and the same outer edges, are one table going on over the page break."""
    chains: list[list[Part]] = []
    tail: list[Part] | None = None  # the chain whose last part ends page n-1 with nothing below it
    for p in pages:
        items = sorted(
            [(ln.top, 0, ln) for ln in p.lines] + [(t.top, 1, t) for t in p.parts], key=lambda x: (x[0], x[1])
        )
        for pos, (_, is_table, obj) in enumerate(items):
            if not is_table:
                continue
            if pos == 0 and tail is not None and _same_edges(tail[-1].xs, obj.xs):
                tail.append(obj)
            else:
                chains.append([obj])
        tail = chains[-1] if items and items[-1][1] == 1 else None
    grids = []
    for chain in chains:
        bounds, maps = _union_columns(chain)
        grid = Grid(name=f"第{chain[0].page}页 表格{chain[0].index}", page=chain[0].page)
        st = {"rows": 0, "header": []}
        for k, part in enumerate(chain):
            _append(grid, st, part, maps[k], first=k == 0)
        grid.merges.sort()
        grids.append(grid)
    return grids


def _tolerance(xs: list[float]) -> float:
    return max(4.0, 0.01 * (xs[-1] - xs[0]))


def _same_edges(a: list[float], b: list[float]) -> bool:
    width = a[-1] - a[0]
    return (
        width > 0
        and abs(a[0] - b[0]) <= 8
        and abs(a[-1] - b[-1]) <= 8
        and abs((b[-1] - b[0]) - width) <= max(8.0, 0.03 * width)
    )


def _union_columns(chain: list[Part]) -> tuple[list[float], list[list[int]]]:
    """The column boundaries of all parts of one table together (a part whose rows merge two columns
    lacks the boundary between them), and for each part where its boundaries fall among them."""
    first = chain[0].xs
    bounds = list(first)
    tol = _tolerance(first)
    for part in chain[1:]:
        shift = part.xs[0] - first[0]  # pages of one file can be placed a little apart
        for x in part.xs[1:-1]:
            x -= shift
            if all(abs(b - x) > tol for b in bounds):
                bisect.insort(bounds, x)
    maps = []
    for part in chain:
        shift = part.xs[0] - first[0]
        m = []
        for i, x in enumerate(part.xs):
            if i == 0:
                m.append(0)
            elif i == len(part.xs) - 1:
                m.append(len(bounds) - 1)
            else:
                m.append(min(range(len(bounds)), key=lambda k: abs(bounds[k] - (x - shift))))
        maps.append(m)
    return bounds, maps


def _append(grid: Grid, st: dict, part: Part, colmap: list[int], first: bool = False) -> None:
    """Add one page's part of a table to its Grid: header rows repeated from the first page dropped,
    cells cut by the page break joined to their top half."""
    # by page-local row, then global column: (global c2, r1, r2, text, local c1)
    by_row: dict[int, dict[int, tuple]] = {}
    for r1, c1, r2, c2, text in part.cells:
        by_row.setdefault(r1, {})[colmap[c1 - 1] + 1] = (colmap[c2], r1, r2, text, c1)
    drop = 0 if first else _repeated_header_rows(st["header"], by_row, part.nrows)
    joined: set = set()
    offset = st["rows"] - drop
    if not first and drop < part.nrows:
        pairs = _pairs(grid, st["rows"], by_row.get(drop + 1, {}))
        split = _split_row(pairs, by_row.get(drop + 1, {}))
        if split:
            offset -= 1  # the first row here is the rest of the table's last row
        joined = _join_cut_cells(grid, pairs, offset, split)
    for r in sorted(by_row):
        if r <= drop:
            continue
        for gc1, (gc2, r1, r2, text, local_col) in sorted(by_row[r].items()):
            if (r1, gc1) in joined:
                continue
            grid.cells[(r1 + offset, gc1)] = GridCell(
                text=text, at=f"第{part.page}页 表格{part.index} 第{r1}行第{local_col}列"
            )
            if r2 > r1 or gc2 > gc1:
                grid.merges.append((r1 + offset, gc1, r2 + offset, gc2))
    if first:
        st["header"] = [
            tuple(sorted((c, _norm(v[3])) for c, v in by_row.get(r, {}).items()))
            for r in range(1, min(part.nrows, 4) + 1)
        ]
    st["rows"] = offset + part.nrows
    st["last_part"] = part


def _repeated_header_rows(header: list, by_row: dict, nrows: int) -> int:
    best = 0
    for h in range(1, min(len(header), nrows - 1) + 1):
        same = all(
            tuple(sorted((c, _norm(v[3])) for c, v in by_row.get(r, {}).items())) == header[r - 1]
            for r in range(1, h + 1)
        )
        if same and any(any(t for _, t in header[r]) for r in range(h)):
            best = h
        elif not same:
            break
    return best


def _pairs(grid: Grid, last: int, first_row: dict) -> dict:
    """For each cell of a part's first row: the grid cell with the same columns that ends on the last row."""
    ends = {}
    for r, c in grid.cells:
        ends[(r, c)] = (r, c, r, c)
    for m in grid.merges:
        ends[(m[0], m[1])] = m
    by_cols = {(m[1], m[3]): m for m in ends.values() if m[2] == last}
    out = {}
    for gc1, (gc2, r1, r2, text, _) in first_row.items():
        m = by_cols.get((gc1, gc2))
        if m is not None:
            out[gc1] = (m, grid.cells[(m[0], m[1])].text, text, r1, r2, gc2)
    return out


_ROW_START = re.compile(r"^\s*([0-9０-９]+\s*[.．、]|[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+\s*、)")


def _split_row(pairs: dict, first_row: dict) -> bool:
    """True when the first row of a page is the rest of a row the page break cut in two.

    Every cell lines up with a cell of the last row; no column has a number on both sides or a number
    beside text; and some label goes on from one side to the other without starting a new item.
    """
    if not first_row or len(pairs) != len(first_row):
        return False
    went_on = False
    for _, old, new, *_ in pairs.values():
        old_num, new_num = bool(old and _VALUE_LIKE.match(old)), bool(new and _VALUE_LIKE.match(new))
        if (old_num and new) or (new_num and old):
            return False
        if old and new:
            if _ROW_START.match(new):
                return False
            went_on = True
    return went_on


def _join_cut_cells(grid: Grid, pairs: dict, offset: int, split: bool) -> set:
    """Join cells cut by the page break to their top half (a merged label such as "（四）无" / "法提供")."""
    joined = set()
    for gc1, (m, old, new, r1, r2, gc2) in pairs.items():
        if not split:
            if (
                (old and _VALUE_LIKE.match(old))
                or (new and (_VALUE_LIKE.match(new) or _ROW_START.match(new)))
                or not (m[2] > m[0] or r2 > r1)
            ):
                continue
        cell = grid.cells[(m[0], m[1])]
        text = old + "\n" + new if old and new else old or new
        grid.cells[(m[0], m[1])] = GridCell(text=text, at=cell.at)
        if m in grid.merges:
            grid.merges.remove(m)
        bottom = max(m[2], r2 + offset)
        if bottom > m[0] or gc2 > m[1]:
            grid.merges.append((m[0], m[1], bottom, gc2))
        joined.add((r1, gc1))
    return joined


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
            or _HEADING.match(ln.text)
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
