"""One PDF page as the reader sees it: glyphs and ruling lines in top-down display coordinates, its tables."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GkError
from ..fsutil import shown_path
from .pdf_layout import Line, Part, aligned_tables, inside, lines_of, part_of

MAX_CHARS_PAGE = 60_000  # a dense A4 page holds ~2,500 glyphs
MAX_EDGES_PAGE = 6_000  # ruling segments on one page (a big table: a few hundred)

TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}


def refuse(path, why: str) -> GkError:
    """The one Chinese line (exit code 2) for a PDF gktool will not read."""
    return GkError(f"{shown_path(path)}：{why}", 2)


@dataclass
class PageRead:
    """What one PDF page gave: its text lines, table parts and counts of what could not be read."""

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


def read_page(page, number: int, shown: str) -> PageRead:
    """One page's glyphs, ruling lines and tables, in top-down coordinates of the page as displayed."""
    import pypdfium2.raw as pdfium_c

    view = _View(page)
    width, height = view.width, view.height
    textpage = page.get_textpage()
    try:
        n = pdfium_c.FPDFText_CountChars(textpage.raw)
        if n > MAX_CHARS_PAGE:
            raise refuse(shown, f"PDF 第{number}页文字数量异常（{n} 个字符），无法读取，请确认文件是否正确")
        chars, undecodable = _chars(textpage, n, view)
    finally:
        textpage.close()
    edges, images, paths = _edges(page, view)
    parts: list[Part] = []
    skipped = len(edges) > MAX_EDGES_PAGE
    if not skipped:  # bounded like the rest: a page of thousands of segments is not looked at
        edges += _close_open_ends(edges)
    if chars and edges and not skipped:
        from pdfplumber.table import TableFinder

        for table in TableFinder(_PageView(edges, width, height), TABLE_SETTINGS).tables:
            part = part_of(table, chars, number, len(parts) + 1)
            if part is not None:
                _mark_page_edge(part, width)
                parts.append(part)
    boxes = [(p.xs[0], p.top, p.xs[-1], p.bottom) for p in parts]
    # glyphs outside the visible page (beyond the crop box) are not part of the narrative a person reads
    seen = (0, 0, width, height)
    rest = [c for c in chars if inside(c, seen, 0.0) and not any(inside(c, b) for b in boxes)]
    lines = lines_of(rest)
    if not parts:  # no ruled table on this page: look for one printed as aligned text
        for part, used in aligned_tables(lines, number, float(height), 1):
            parts.append(part)
            lines = [ln for ln in lines if id(ln) not in used]
    return PageRead(number, float(height), float(width), lines, parts, len(chars), images, undecodable, skipped)


class _View:
    """Where a point of the page's drawing space is shown: the crop box turned by /Rotate, top-down.

    A page stored turned (/Rotate 90, its content drawn turned the other way) looks upright to a person;
    the reader works in what the person sees, so its lines run left to right whatever the storage."""

    def __init__(self, page):
        ml, mb, mr, mt = page.get_mediabox()
        cl, cb, cr, ct = page.get_cropbox()
        # the visible area is the crop box clipped to the media box (PDF 32000 §14.11.2)
        self.l, self.b, self.r, self.t = max(ml, cl), max(mb, cb), min(mr, cr), min(mt, ct)
        if self.r <= self.l or self.t <= self.b:
            self.l, self.b, self.r, self.t = ml, mb, mr, mt
        self.rotation = page.get_rotation() % 360
        w, h = self.r - self.l, self.t - self.b
        self.width, self.height = (h, w) if self.rotation in (90, 270) else (w, h)

    def show(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) in drawing space -> (x, top) on the displayed page, top-down."""
        if self.rotation == 90:
            return y - self.b, x - self.l
        if self.rotation == 180:
            return self.r - x, y - self.b
        if self.rotation == 270:
            return self.t - y, self.r - x
        return x - self.l, self.t - y


def _chars(textpage, n: int, view: _View):
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
        (ax, ay), (bx, by) = view.show(rect.left, rect.top), view.show(rect.right, rect.bottom)
        x0, x1, top, bot = min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)
        key = (text, round(x0), round(top))  # a glyph drawn twice (fake bold) counts once
        if key in seen:
            continue
        seen.add(key)
        # part of the glyph beyond the visible page: a person sees it cut (a number may lose digits)
        cut = x0 < -0.5 or top < -0.5 or x1 > view.width + 0.5 or bot > view.height + 0.5
        glyph = {"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bot, "size": max(bot - top, 1.0)}
        if cut:
            glyph["cut"] = True
        out.append(glyph)
    return out, undecodable


def _mark_page_edge(part: Part, width: float) -> None:
    """A table whose side lies on the page's edge went on beyond it (wider than the paper, cut off when
    printed): its outer cells may have lost columns or digits, so none of them is vouched for."""
    part.at_edge = part.xs[-1] >= width - 2 or part.xs[0] <= 2
    last, near = len(part.xs) - 1, 8.0  # text this close to the edge may go on beyond it
    for r1, c1, _r2, c2, _text in part.cells:
        left, right = part.reach.get((r1, c1), (None, None))
        if part.xs[-1] >= width - 2 and c2 == last and (right is None or right > width - near):
            part.unsure.add((r1, c1))
        elif part.xs[0] <= 2 and c1 == 1 and (left is None or left < near):
            part.unsure.add((r1, c1))


def _close_open_ends(edges: list) -> list:
    """Rules across the open top or bottom of a table cut by a page break.

    A browser prints the row that goes on after a page break without the rule above it (and the row
    before the break without the one below): three or more column rules ending at the same height with
    no rule across them there are closed by one, so that row is a row of the table, not loose text."""
    rows: dict[int, list] = {}
    for e in edges:
        if e["orientation"] == "h":
            rows.setdefault(round(e["top"]), []).append(e)

    def covered(x: float, y: float) -> bool:
        for k in range(round(y) - 3, round(y) + 4):
            for h in rows.get(k, ()):
                if h["x0"] - 3 <= x <= h["x1"] + 3 and abs(h["top"] - y) <= 3:
                    return True
        return False

    ends: dict[int, list[float]] = {}
    for e in edges:
        if e["orientation"] == "v":
            for y in (e["top"], e["bottom"]):
                if not covered(e["x0"], y):
                    ends.setdefault(round(y), []).append(e["x0"])
    added = []
    for y, xs in ends.items():
        xs += ends.get(y - 1, []) + ends.get(y + 1, [])  # the same height, rounded either way
        if len(set(round(x) for x in xs)) >= 3:
            _add_edge(added, (min(xs), float(y)), (max(xs), float(y)))
    return added


def _edges(page, view: _View):
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
            x, y = view.show(m[0] * fx.value + m[2] * fy.value + m[4], m[1] * fx.value + m[3] * fy.value + m[5])
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
        edges.append(_edge(a, b, y, y, "h"))
    elif abs(x1 - x0) < 1.0 and abs(y1 - y0) >= 1.0:
        x = (x0 + x1) / 2
        a, b = sorted((y0, y1))
        edges.append(_edge(x, x, a, b, "v"))


def _edge(x0: float, x1: float, top: float, bottom: float, orientation: str) -> dict:
    # a ruling line as pdfplumber's table finder takes it
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
        "object_type": "line",
    }
