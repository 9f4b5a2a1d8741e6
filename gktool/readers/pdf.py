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

MAX_FILE_BYTES = 50 * 1024 * 1024     # real reports: 0.1–5 MB
MAX_PAGES = 200                       # real reports: 3–30 pages
MAX_CHARS_PAGE = 60_000               # a dense A4 page holds ~2,500 glyphs
MAX_EDGES_PAGE = 6_000                # ruling segments on one page (a big table: a few hundred)
MAX_CONTENT_PAGE = 16 * 1024 * 1024   # decompressed drawing instructions of one page
TIME_BUDGET = 60.0                    # seconds for one file

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
_NUMBER = re.compile(r"^\s*[+-]?\d[\d,，]*(\.\d+)?\s*$")


def _refuse(path, why: str) -> GkError:
    from ..reader import shown_path
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
            raise _refuse(shown, f"PDF 文件过大（{size // 1024 // 1024} MB），年度报告一般只有几 MB，请确认文件是否正确")
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


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        yield from (a for a in getattr(exc, "args", ()) if isinstance(a, BaseException))
        exc = exc.__cause__ or exc.__context__


def _content_too_big(page) -> bool:
    """Inflate the page's drawing instructions with a cap before pdfminer inflates them without one."""
    from pdfminer.pdftypes import resolve1
    total = 0
    try:
        contents = resolve1(page.page_obj.attrs.get("Contents"))
        streams = contents if isinstance(contents, list) else [contents]
        for s in streams:
            s = resolve1(s)
            raw = getattr(s, "rawdata", None)
            if raw is None:
                total += len(getattr(s, "data", b"") or b"")
                continue
            filters = resolve1(s.attrs.get("Filter"))
            names = [getattr(resolve1(f), "name", f) for f in (filters if isinstance(filters, list) else [filters])]
            if names == ["FlateDecode"]:
                d = zlib.decompressobj()
                try:
                    out = d.decompress(raw, MAX_CONTENT_PAGE + 1 - total)
                except zlib.error:
                    out = b""
                total += len(out)
            else:
                total += len(raw)
            if total > MAX_CONTENT_PAGE:
                return True
    except Exception:    # an odd content entry: let pdfminer judge it
        return False
    return False


# ------------------------------------------------------------------ reading
def read_pdf(path) -> Document:
    """Read a PDF report with a text layer into a Document; a scan, damage or oversize is one GkError line."""
    path = Path(path)
    _preflight(path)
    shown = str(path)
    try:
        import pdfplumber
    except ImportError:   # pragma: no cover - a dependency of gktool
        raise GkError("读取 PDF 需要 pdfplumber，请重新安装 gktool（pip install gktool）") from None
    deadline = time.monotonic() + TIME_BUDGET
    try:
        with pdfplumber.open(path) as pdf:
            count = _page_count(pdf)
            if count > MAX_PAGES:
                raise _refuse(shown, f"PDF 页数过多（{count} 页，上限 {MAX_PAGES} 页），年度报告一般只有几页到几十页，请确认文件是否正确")
            pages = []
            for page in pdf.pages[:MAX_PAGES]:
                if time.monotonic() > deadline:
                    raise _refuse(shown, f"PDF 读取超时（超过 {int(TIME_BUDGET)} 秒），文件可能异常复杂或已损坏")
                if _content_too_big(page):
                    raise _refuse(shown, f"PDF 第{page.page_number}页内容异常庞大，无法读取，请确认文件是否正确")
                pages.append(_read_page(page, shown))
                page.close()
            title_meta = pdf.metadata.get("Title") if isinstance(pdf.metadata, dict) else None
    except GkError:
        raise
    except MemoryError:
        raise _refuse(shown, "PDF 内容过大，内存不足以读取，请确认文件是否正确") from None
    except RecursionError:
        raise _refuse(shown, "PDF 结构嵌套过深，文件可能已损坏或被构造") from None
    except Exception as exc:
        names = {type(e).__name__ for e in _causes(exc)}
        if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"}:
            raise _refuse(shown, "PDF 设置了打开密码（已加密），请取消密码后再提交") from None
        raise _refuse(shown, "PDF 文件已损坏，无法读取（可能没有下载完整），请重新获取原文件") from None
    return _assemble(pages, shown, title_meta)


def _page_count(pdf) -> int:
    from pdfminer.pdftypes import resolve1
    try:
        return int(resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"]))
    except Exception:
        return 0


# ------------------------------------------------------------------ one page
@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class Part:
    """One table as found on one page."""
    page: int
    index: int                                   # 1-based among the tables of its page
    top: float
    bottom: float
    xs: list[float]                              # column boundaries
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
    dropped: list[Line] = field(default_factory=list)


def _visible_rule(obj) -> bool:
    """Keep glyphs and what draws a rule; drop filled backgrounds (paragraph and cell shading)."""
    kind = obj.get("object_type")
    if kind in ("rect", "curve"):
        w, h = obj["x1"] - obj["x0"], obj["bottom"] - obj["top"]
        if obj.get("stroke"):
            return True
        return min(w, h) <= 2.0 and obj.get("fill", False) and not _white(obj.get("non_stroking_color"))
    return True


def _white(color) -> bool:
    if color is None:
        return False
    vals = color if isinstance(color, (list, tuple)) else (color,)
    try:
        nums = [float(v) for v in vals]
    except (TypeError, ValueError):
        return False
    if len(nums) == 4:      # CMYK: white is no ink
        return all(v < 0.05 for v in nums)
    return all(v > 0.95 for v in nums)


def _read_page(page, shown: str) -> PageRead:
    chars_all = page.chars
    if len(chars_all) > MAX_CHARS_PAGE:
        raise _refuse(shown, f"PDF 第{page.page_number}页文字数量异常（{len(chars_all)} 个字符），无法读取，请确认文件是否正确")
    edges = len(page.lines) + len(page.rects) + len(page.curves)
    images = len(page.images)
    clean = page.filter(_visible_rule).dedupe_chars()
    chars = [c for c in clean.chars if c.get("upright", True) or c["text"].strip()]
    undecodable = sum(1 for c in chars if c["text"].startswith("(cid:"))
    parts: list[Part] = []
    if edges <= MAX_EDGES_PAGE and chars:
        for table in clean.find_tables(TABLE_SETTINGS):
            part = _part(table, chars, page.page_number, len(parts) + 1)
            if part is not None:
                parts.append(part)
    boxes = [(p.xs[0], p.top, p.xs[-1], p.bottom) for p in parts]
    rest = [c for c in chars if not any(_inside(c, b) for b in boxes)]
    lines = _lines(rest)
    if not parts:
        aligned = _aligned_table(lines, page.page_number)
        if aligned is not None:
            part, used = aligned
            parts.append(part)
            lines = [ln for ln in lines if id(ln) not in used]
    return PageRead(page.page_number, float(page.height), float(page.width), lines, parts,
                    len(chars), images, undecodable)


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
    if len(xs) < 3 or len(ys) < 3:      # one column or one row: a framed paragraph, not a table
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
    for (r1, c1, r2, c2), cs in zip(spans, texts):
        cells.append((r1 + 1, c1 + 1, r2, c2, _cell_text(cs)))
    if len({c[1] for c in cells}) < 2:
        return None
    return Part(page_no, index, y0, y1, xs, len(ys) - 1, cells)


def _cell_text(chars) -> str:
    """Glyphs of one cell as lines, top to bottom; a visible gap inside a line becomes a space."""
    return "\n".join(ln.text for ln in _lines(chars))


def _lines(chars) -> list[Line]:
    rows: list[list] = []
    for ch in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        mid = (ch["top"] + ch["bottom"]) / 2
        for row in reversed(rows[-3:]):
            r_top = min(c["top"] for c in row[:1])
            r_bot = row[0]["bottom"]
            if r_top - 0.5 <= mid <= r_bot + 0.5 and abs(ch["size"] - row[0]["size"]) < 0.6 * row[0]["size"] + 1:
                row.append(ch)
                break
        else:
            rows.append([ch])
    out = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        pieces = []
        prev = None
        for ch in row:
            t = ch["text"]
            if prev is not None and ch["x0"] - prev["x1"] > 0.3 * max(ch["size"], 1) and not t.isspace() \
                    and not (pieces and pieces[-1].endswith(" ")):
                pieces.append(" ")
            pieces.append(t)
            prev = ch
        text = re.sub(r"[ \u3000\xa0]+", " ", "".join(pieces)).strip()
        if not text:
            continue
        out.append(Line(text, row[0]["x0"], max(c["x1"] for c in row), min(c["top"] for c in row),
                        max(c["bottom"] for c in row), statistics.median(c["size"] for c in row)))
    out.sort(key=lambda ln: (round(ln.top), ln.x0))
    return out


# ------------------------------------------------------------------ tables without ruling lines
_ANCHORS = ("信息内容", "申请人情况", "行政复议")


def _aligned_table(lines: list[Line], page_no: int):
    """Table 四 (or any table) printed without rules: header words give the columns by x position.

    Only a run of lines whose items fall into columns shared with a header line is taken;
    a value line with fewer items than columns, or an item that straddles two columns, is kept
    as found in one cell spanning the whole row, so the label matcher refuses it.
    """
    # kept deliberately narrow: only 表四's shape (a header line naming 行政复议 and 行政诉讼,
    # a line of column names, and one line of numbers) is recovered without rules
    for i, ln in enumerate(lines):
        if not (ln.text.replace(" ", "").startswith("行政复议") and "行政诉讼" in ln.text):
            continue
        block = [ln]
        for nxt in lines[i + 1:i + 12]:
            block.append(nxt)
            if _NUMBER.match(nxt.text.split(" ")[0] or "x") and all(_NUMBER.match(w) for w in nxt.text.split(" ")):
                break
        else:
            return None
        values = block[-1]
        words = values.text.split(" ")
        header_lines = block[:-1]
        # the column centres: the most crowded header line (15 names when the header is printed flat)
        col_line = max(header_lines, key=lambda h: len(h.text.split(" ")))
        if len(words) == 15:
            cells = [(1, 1, 1, 5, "行政复议"), (1, 6, 1, 15, "行政诉讼")]
            cells += [(2, c + 1, 2, c + 1, w) for c, w in enumerate(_header_words(col_line, 15))]
            cells += [(3, c + 1, 3, c + 1, w) for c, w in enumerate(words)]
        else:   # numbers run together or missing: cannot be told apart
            cells = [(1, 1, 1, 5, "行政复议"), (1, 6, 1, 15, "行政诉讼"), (3, 1, 3, 15, values.text)]
        used = {id(x) for x in block}
        xs = [values.x0 + (values.x1 - values.x0) * k / 15 for k in range(16)]
        return Part(page_no, 1, ln.top, values.bottom, xs, 3, cells), used
    return None


def _header_words(line: Line, n: int) -> list[str]:
    words = line.text.split(" ")
    return words if len(words) == n else [""] * n


# ------------------------------------------------------------------ the whole document
def _assemble(pages: list[PageRead], shown: str, title_meta) -> Document:
    total_chars = sum(p.chars for p in pages)
    if total_chars == 0:
        raise _refuse(shown, SCANNED)
    if sum(p.undecodable for p in pages) > 0.5 * total_chars:
        raise _refuse(shown, "PDF 中的文字无法解码（字体缺少编码映射），无法读取；请提供 Word 或网页版本")
    findings = []
    scanned = [p.number for p in pages if p.chars == 0 and p.images > 0]
    if scanned:
        findings.append(Finding("P1", "warning", "PDF", tuple(f"第{n}页" for n in scanned),
                                f"第{'、'.join(map(str, scanned))}页是扫描图像，没有文字层，这些页的内容未读取（本工具不做文字识别）"))
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
            if _DASHED_NUMBER.match(ln.text) or (margin and _PAGE_NUMBER.match(ln.text)) \
                    or (margin and many and repeated.get(ln.text, 0) >= max(2, len(pages) // 2)):
                p.dropped.append(ln)
            else:
                keep.append(ln)
        p.lines = keep


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _join_tables(pages: list[PageRead]) -> list[Grid]:
    grids: list[Grid] = []
    state: dict[int, dict] = {}     # id(grid) -> {"xs", "rows", "last_row_cells"}
    prev_tail: Grid | None = None   # the table that ends page n-1 with nothing below it
    for p in pages:
        items = sorted([("line", ln.top, ln) for ln in p.lines] + [("table", t.top, t) for t in p.parts],
                       key=lambda x: x[1])
        for pos, (kind, _, obj) in enumerate(items):
            if kind != "table":
                continue
            first_on_page = pos == 0
            grid = None
            if first_on_page and prev_tail is not None:
                st = state[id(prev_tail)]
                colmap = _column_map(st["xs"], obj.xs)
                if colmap is not None:
                    grid = prev_tail
                    _append(grid, st, obj, colmap)
            if grid is None:
                grid = Grid(name=f"第{obj.page}页 表格{obj.index}", page=obj.page)
                st = {"xs": obj.xs, "rows": 0, "header": []}
                state[id(grid)] = st
                grids.append(grid)
                _append(grid, st, obj, list(range(len(obj.xs))), first=True)
        prev_tail = None
        if items and items[-1][0] == "table":
            last = items[-1][2]
            prev_tail = next(g for g in grids if state[id(g)].get("last_part") is last)
    for g in grids:
        g.merges.sort()
    return grids


def _column_map(xs_prev: list[float], xs_new: list[float]) -> list[int] | None:
    """Map each column boundary of a continuation onto the table's boundaries, or None if they differ."""
    width = xs_prev[-1] - xs_prev[0]
    if width <= 0 or abs((xs_new[-1] - xs_new[0]) - width) > max(8.0, 0.03 * width):
        return None
    out = []
    for i, x in enumerate(xs_new):
        tol = 8.0 if i in (0, len(xs_new) - 1) else max(4.0, 0.01 * width)
        if i == 0:
            j = 0
        elif i == len(xs_new) - 1:
            j = len(xs_prev) - 1
        else:
            j = min(range(len(xs_prev)), key=lambda k: abs(xs_prev[k] - x))
        if abs(xs_prev[j] - x) > tol or (out and j <= out[-1]):
            return None
        out.append(j)
    return out


def _append(grid: Grid, st: dict, part: Part, colmap: list[int], first: bool = False) -> None:
    # by page-local row, then global column: (global c2, r1, r2, text, local c1)
    by_row: dict[int, dict[int, tuple]] = {}
    for r1, c1, r2, c2, text in part.cells:
        by_row.setdefault(r1, {})[colmap[c1 - 1] + 1] = (colmap[c2], r1, r2, text, c1)
    drop = 0
    if not first:
        drop = _repeated_header_rows(st["header"], by_row, part.nrows)
    offset = st["rows"] - drop
    joined_rows = set()
    if not first:
        joined_rows = _continue_cells(grid, st, by_row.get(drop + 1, {}), offset, part)
    for r in sorted(by_row):
        if r <= drop:
            continue
        for gc1, (gc2, r1, r2, text, local_col) in sorted(by_row[r].items()):
            if (r, gc1) in joined_rows:
                continue
            cell = GridCell(text=text, at=f"第{part.page}页 表格{part.index} 第{r1}行第{local_col}列")
            grid.cells[(r1 + offset, gc1)] = cell
            if r2 > r1 or gc2 > gc1:
                grid.merges.append((r1 + offset, gc1, r2 + offset, gc2))
    if first:
        st["header"] = [tuple(sorted((c, _norm(v[3])) for c, v in by_row.get(r, {}).items()))
                        for r in range(1, min(part.nrows, 4) + 1)]
    st["rows"] = offset + part.nrows
    st["last_part"] = part
    st["xs"] = st["xs"] if not first else part.xs


def _repeated_header_rows(header: list, by_row: dict, nrows: int) -> int:
    best = 0
    for h in range(1, min(len(header), nrows - 1) + 1):
        same = all(tuple(sorted((c, _norm(v[3])) for c, v in by_row.get(r, {}).items())) == header[r - 1]
                   for r in range(1, h + 1))
        if same and any(any(t for _, t in header[r]) for r in range(h)):
            best = h
        elif not same:
            break
    return best


def _continue_cells(grid: Grid, st: dict, first_row: dict, offset: int, part: Part) -> set:
    """Join label cells cut by the page break (a merged label such as "（四）无" / "法提供")."""
    last = st["rows"]
    joined = set()
    for gc1, (gc2, r1, r2, text, _) in first_row.items():
        hit = None
        for (mr1, mc1, mr2, mc2) in grid.merges + [(r, c, r, c) for (r, c) in grid.cells]:
            if mr2 == last and mc1 == gc1 and mc2 == gc2:
                hit = (mr1, mc1, mr2, mc2)
                break
        if hit is None:
            continue
        old = grid.cells.get((hit[0], hit[1]))
        if old is None or _NUMBER.match(old.text or "x") or _NUMBER.match(text or "x"):
            continue
        if not (hit[2] > hit[0] or r2 > r1):
            continue
        new_text = old.text + ("\n" + text if text and old.text else text)
        grid.cells[(hit[0], hit[1])] = GridCell(text=new_text, at=old.at)
        if hit in grid.merges:
            grid.merges.remove(hit)
        grid.merges.append((hit[0], hit[1], r2 + offset, gc2))
        joined.add((r1, gc1))
    return joined


def _narrative(pages: list[PageRead]) -> tuple[str, str]:
    """Join the lines outside the tables into paragraphs; the title is the large type atop page 1."""
    lines = [(p, ln) for p in pages for ln in p.lines]
    if not lines:
        return "", ""
    body = statistics.median(ln.size for _, ln in lines)
    lefts = [round(ln.x0) for _, ln in lines if abs(ln.size - body) < 1]
    rights = [round(ln.x1) for _, ln in lines if abs(ln.size - body) < 1]
    left = statistics.mode(lefts) if lefts else min(ln.x0 for _, ln in lines)
    right = sorted(rights)[int(0.9 * (len(rights) - 1))] if rights else max(ln.x1 for _, ln in lines)
    title_lines = []
    i = 0
    while i < len(lines) and lines[i][0] is pages[0] and lines[i][1].size > 1.25 * body:
        title_lines.append(lines[i][1].text)
        i += 1
    title = re.sub(r"\s+", "", "".join(title_lines))
    paras: list[str] = []
    prev: Line | None = None
    for _, ln in lines[i:]:
        new = (prev is None or ln.x0 > left + 0.8 * ln.size or prev.x1 < right - 1.5 * prev.size
               or abs(ln.size - prev.size) > 1 or _HEADING.match(ln.text) and ln.x0 > left + 0.5 * ln.size)
        if new or not paras:
            paras.append(ln.text)
        else:
            joiner = " " if re.search(r"[A-Za-z0-9]$", paras[-1]) and re.match(r"[A-Za-z0-9]", ln.text) else ""
            paras[-1] += joiner + ln.text
        prev = ln
    return title, "\n".join(paras)
