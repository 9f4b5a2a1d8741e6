"""Reading a published report from a saved web page into a `Document` of grids and narrative.

Real pages are one article inside a government site's navigation, headers, footers
and scripts. The page is decoded (UTF-8, GBK, GB18030: declared or detected, a wrong
declaration survived), parsed by lxml's HTML parser (libxml2: no network, no entities
beyond HTML's own), chrome dropped, and the article found as the element that holds
most of the page's non-link text, widened to hold the page's data tables. Each
`<table>` in it becomes a grid with `rowspan`/`colspan` turned into merges; the text
of a cell is the text a reader sees: runs (`<span>`, `<font>`, Word's `<o:p>`) joined,
`<p>`, `<div>` and `<br>` as "\\n", `&nbsp;` and source line breaks as spaces, except
that a source line break between two Chinese characters is dropped, as browsers do.

Size, element count and nesting are bounded before and after parsing, each with one
clear line; nothing here recurses, so a deeply nested page cannot exhaust the stack.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from lxml import etree

from ..errors import GkError
from ..findings import Finding
from ..fsutil import read_start, shown_path
from .grid import Document, Grid, GridCell
from .ooxml import CFB_MAGIC, ZIP_MAGIC

MAX_HTML_BYTES = 20 * 1024 * 1024
MAX_TAGS = 100_000  # "<" in the bytes: bounds the parse (and its memory) before it starts; a report page has ~2,000
MAX_ELEMENTS = 50_000  # a report page has ~2,000 elements, a portal page ~10,000
MAX_CELLS = 20_000  # <td>/<th> over all tables; a report's three tables have ~300
MAX_GRID_MARKS = 200_000  # grid positions covered by all tables' cells (rowspan x colspan); a report has ~300
MAX_SPAN_COLS = 1000
MAX_TITLE = 200

# Elements whose content is never the report: page chrome and machinery.
_DROP = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "nav",
    "header",
    "footer",
    "aside",
    "select",
    "button",
    "input",
    "textarea",
    "head",
    "map",
    "audio",
    "video",  # not <form>: ASP.NET sites wrap the whole page in one
    "del",
    "s",
    "strike",
}  # struck-out text is withdrawn: "<del>5</del>6" means 6, never 56
# Elements that start a new line in what a reader sees.
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "center",
    "address",
    "hr",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "body",
    "html",
    "figure",
    "figcaption",
}
_CELL = {"td", "th"}
# Footnote marks and indices: set apart, so "5<sup>1</sup>" reads "5 1" (refused), never 51.
_APART = {"sup", "sub"}
# What may hold an article (a layout table's cell included); paragraphs and runs may not.
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "td",
    "th",
    "tr",
    "tbody",
    "table",
    "center",
    "blockquote",
    "body",
    "form",
    "span",
    "font",
}
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\f]*\\n[ \\t\\r\\n\\f]*(?=[{_CJK}])")
_SPACES = re.compile("[ \\t\\r\\n\\f\\v\u00a0\u3000\u200b\ufeff]+")
_BREAK = "\x1e"  # a hard line break while text is assembled
_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""", re.I)
_NUMBER = re.compile(r"^[\s　]*[-+−]?\d[\d,，]*(\.\d+)?[\s　]*$")


def _refuse(shown: str, why: str) -> GkError:
    return GkError(f"{shown}：{why}", 2)


# ------------------------------------------------------------------ bytes and encoding
def _read_bytes(path: str | Path, shown: str) -> bytes:
    _size, data = read_start(
        path,
        not_folder="这是一个文件夹，不是网页文件；请给出文件夹中的 .html 文件",
        not_special="这不是普通文件（可能是设备或管道），请给出 .html 网页文件",
        max_bytes=MAX_HTML_BYTES,
        too_big="正常的年度报告网页只有几百 KB，已拒绝读取",
        limit=MAX_HTML_BYTES + 1,
    )
    if len(data) > MAX_HTML_BYTES:
        raise _refuse(shown, "网页文件过大，正常的年度报告网页只有几百 KB，已拒绝读取")
    head = data[:8]
    if head.startswith(ZIP_MAGIC):
        raise _refuse(shown, "这不是网页文件，看起来是 Word/Excel 文件（可能只是改了扩展名），请按 .docx/.xlsx 检查")
    if head.startswith(CFB_MAGIC):
        raise _refuse(shown, "这不是网页文件，看起来是旧版 Word/Excel 文件（.doc/.xls），请另存为 .docx/.xlsx 后再检查")
    if head.startswith(b"%PDF"):
        raise _refuse(shown, "这不是网页文件，而是 PDF 文件（可能只是改了扩展名），请按 .pdf 检查")
    return data


def _declared(data: bytes) -> str | None:
    """The charset a <meta> declares in the page's head (the bytes a browser sniffs)."""
    m = _XML_ENCODING.match(data[:512]) or _CHARSET.search(data[:8192])  # XHTML's declaration, else <meta>
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    # GBK and GB2312 pages use GB18030's characters in practice; it decodes them all.
    return "gb18030" if name in ("gbk", "gb2312", "gb18030", "hz") else name


def _from_mhtml(data: bytes) -> bytes | None:
    """The page inside a single-file save (.mhtml/.mht: Chrome's "单个文件", IE, Word's 单个文件网页):
    the first text/html part with its transfer encoding undone, its charset put in front as a <meta>."""
    head = data[:4096].lower()
    if b"multipart/related" not in head or b"mime-version" not in head:
        return None
    import email
    import email.policy

    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                body = part.get_payload(decode=True)
                if not isinstance(body, bytes):
                    return None
                charset = part.get_content_charset()
                return (f'<meta charset="{charset}">'.encode("ascii", "replace") + body) if charset else body
    except Exception:  # a damaged MIME structure: fall back to reading the bytes as they are
        return None
    return None


def decode_html(data: bytes) -> tuple[str, str, bool]:
    """The page as text, the encoding used, and whether characters had to be replaced."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, "replace"), enc, False
    # Valid UTF-8 of Chinese text is never also meant as GBK, so trying it first is safe and
    # survives a page that declares gb2312 but was saved as UTF-8 (and the reverse).
    tried = []
    for enc in ("utf-8", _declared(data), "gb18030"):
        if enc is None or enc in tried:
            continue
        tried.append(enc)
        try:
            return data.decode(enc), enc, False
        except (UnicodeDecodeError, LookupError):
            continue
    declared = _declared(data) or "utf-8"
    best = min(("utf-8", "gb18030", declared), key=lambda e: data.decode(e, "replace").count("\ufffd"))
    return data.decode(best, "replace"), best, True


# ------------------------------------------------------------------ text as a reader sees it
_TAGS: dict[str, str] = {}


def _tag(el) -> str:
    """The element's name in lower case without any "o:" prefix; "" for comments and the like."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    got = _TAGS.get(tag)
    if got is None:
        got = tag.rpartition(":")[2].lower()
        if len(_TAGS) < 10000:
            _TAGS[tag] = got
    return got


def _all_text(el) -> str:
    return "".join(el.itertext())


def _finish(raw: str) -> list[str]:
    """Raw text with _BREAK marks -> the lines a reader sees (collapsed, stripped, no blanks)."""
    raw = _CJK_BREAK.sub("", raw)
    lines = (_SPACES.sub(" ", line).strip() for line in raw.split(_BREAK))
    return [line for line in lines if line]


# A heading at the start of a paragraph, in bold, with the text running on after it:
# "<p><strong>一、总体情况</strong>2023年，…</p>". The narrative puts it on its own line.
HEADING_START = re.compile(r"^(?:[一二三四五六七八九十]{1,2}[、.．]|[（(][一二三四五六七八九十]{1,2}[）)])\S.{0,38}$")


def _flat_text(el, skip, headings: bool = False) -> str:
    """The text under `el` with _BREAK at block boundaries, leaving out subtrees `skip` says;
    `headings`: also after a bold run that reads as a section heading."""
    out: list[str] = []
    stack = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = _tag(node)
        if closing:
            if tag in _BLOCK:
                out.append(_BREAK)
            elif tag in _CELL or tag in _APART:
                out.append(" ")
            elif headings and tag in ("strong", "b") and HEADING_START.match(_SPACES.sub("", _all_text(node))):
                out.append(_BREAK)
            if node.tail and node is not el:
                out.append(node.tail)
            continue
        if node is not el and skip(node, tag):
            if node.tail:
                out.append(node.tail)
            continue
        if tag in _BLOCK:
            out.append(_BREAK)
        elif tag in _APART:
            out.append(" ")
        if tag and node.text:
            out.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(out)


def _cell_text(td) -> str:
    return "\n".join(_finish(_flat_text(td, lambda n, tag: tag == "table")))


# ------------------------------------------------------------------ tables
def _span(value, default: int, hi: int) -> int:
    try:
        n = int(str(value).strip().split(".")[0] or default)
    except (TypeError, ValueError):
        return default
    return min(max(n, 1), hi)


def _rows(table) -> list:
    """The table's own rows, not those of tables nested in its cells."""
    head, body, foot = [], [], []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            body.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            # shown head first and foot last, wherever the source puts them (HTML 4 wrote <tfoot> first)
            {"thead": head, "tbody": body, "tfoot": foot}[tag].extend(c for c in child if _tag(c) == "tr")
    return head + body + foot


def _table_grid(table, name: str, budget: list[int]) -> Grid:
    grid = Grid(name)
    rows = _rows(table)
    n_rows = len(rows)
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(rows, start=1):
        c = 1
        for td in tr:
            if _tag(td) not in _CELL:
                continue
            while (r, c) in taken:
                c += 1
            rowspan = _span(td.get("rowspan"), 1, max(n_rows - r + 1, 1))
            colspan = _span(td.get("colspan"), 1, MAX_SPAN_COLS)
            budget[0] -= rowspan * colspan
            if budget[0] < 0:
                raise _TooBig("cells")
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    taken.add((rr, cc))
            grid.cells[(r, c)] = GridCell(_cell_text(td), f"{name} 第{r}行第{c}列")
            if rowspan > 1 or colspan > 1:
                grid.merges.append((r, c, r + rowspan - 1, c + colspan - 1))
            c += colspan
    return grid


class _TooBig(Exception):
    """A page far beyond any real report."""


# ------------------------------------------------------------------ the article
def _clean(root) -> None:
    """Drop page chrome and hidden content, so that neither text nor tables come from them."""
    doomed = []
    for el in root.iter():
        tag = _tag(el)
        if not tag:
            doomed.append(el)
        elif tag in _DROP:
            doomed.append(el)
        else:
            style = (el.get("style") or "").replace(" ", "").lower()
            if "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None:
                doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:  # keep the text that follows the dropped element
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def _own_text_sizes(root) -> dict:
    """Non-link text length under each element (children first: one pass, no recursion)."""
    size: dict = {}
    order = []
    stack = [root]
    while stack:
        el = stack.pop()
        order.append(el)
        stack.extend(el)
    for el in reversed(order):
        tag = _tag(el)
        own = 0
        if tag != "a":
            own += len((el.text or "").strip())
            for child in el:
                own += size.get(child, 0)
        for child in el:
            own += len((child.tail or "").strip())
        size[el] = own
    return size


_LABEL = re.compile(f"[{_CJK}]{{4,}}")


def _is_data_table(table) -> bool:
    """A table of figures with labels (a number cell and a label of 4+ Chinese characters, no table
    inside), not a layout table nor a calendar widget ("日 一 二 …" over 1–31)."""
    if any(_tag(d) == "table" for d in table.iterdescendants()):
        return False
    number = label = False
    for td in table.iter("td", "th"):
        text = _all_text(td) or ""
        number = number or bool(_NUMBER.match(text))
        label = label or bool(_LABEL.search(_SPACES.sub("", text)))
        if number and label:
            return True
    return False


def _article(body):
    """The element holding the report: descend while one child holds most of the text,
    then widen until it holds every data table of the page."""
    size = _own_text_sizes(body)
    node = body
    while True:
        total = size.get(node, 0)
        children = [c for c in node if _tag(c)]
        if not children or total == 0:
            break
        best = max(children, key=lambda c: size.get(c, 0))
        if size.get(best, 0) < 0.6 * total or _tag(best) not in _CONTAINERS:
            break
        if _tag(best) == "table" and not _is_layout_table(best):
            break  # a table of figures or labels is read as a grid, never entered
        node = best
    tables = [t for t in body.iter("table") if _is_data_table(t)]
    for t in tables:
        ancestors = set(t.iterancestors())
        while node is not body and node not in ancestors and node is not t:
            node = node.getparent()
    return node


def _is_layout_table(table) -> bool:
    """A table that lays out the page (holds tables or running text), not one of the report's."""
    if any(_tag(d) == "table" for d in table.iterdescendants()):
        return True
    return max((len(_all_text(td)) for td in table.iter("td", "th")), default=0) > 300


def _narrative_skip(node, tag) -> bool:
    """Tables are read as grids; only a table that lays out the page's text is read as text."""
    return tag == "table" and not _is_layout_table(node)


def _meta_title(root) -> str:
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == "articletitle" and (meta.get("content") or "").strip():
            return _SPACES.sub(" ", meta.get("content")).strip()[:MAX_TITLE]
    return ""


def _page_title(root) -> str:
    """<title> without the site's name ("报告_年报栏目_某某政府网")."""
    for t in root.iter("title"):
        text = _SPACES.sub(" ", _all_text(t) or "").strip()
        parts = [p.strip() for p in re.split(r"[_|｜]| - |－|——", text) if p.strip()]
        for p in parts:
            if "报告" in p:
                return p[:MAX_TITLE]
        return (parts[0] if parts else text)[:MAX_TITLE]
    return ""


def _heading_title(scope) -> str:
    for h in scope.iter("h1", "h2"):
        text = " ".join(_finish(_flat_text(h, lambda n, tag: False)))
        if text:
            return text[:MAX_TITLE]
    return ""


def read_html(path: str | Path) -> Document:
    """Read a saved web page holding a report into its tables (as grids) and narrative text."""
    shown = shown_path(path)
    data = _read_bytes(path, shown)
    if data.count(b"<") > MAX_TAGS:
        raise _refuse(shown, "网页中的标签异常多，不像正常的年度报告网页，已拒绝读取")
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(shown, "这不是网页文件（内容是二进制数据），请确认文件类型")
    inner = _from_mhtml(data)
    if inner is not None:
        data = inner
        if data.count(b"<") > MAX_TAGS:
            raise _refuse(shown, "网页中的标签异常多，不像正常的年度报告网页，已拒绝读取")
    text, encoding, replaced = decode_html(data)
    # The text is handed over as UTF-8 with the encoding given, so the page's own <meta>
    # (possibly wrong) is not obeyed a second time.
    # lxml.etree's parser, not lxml.html's: no per-element class lookup (a third of the time)
    parser = etree.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        raise _refuse(shown, "网页内容为空或无法解析，请确认保存的是完整网页") from None
    for err in parser.error_log:  # libxml2 stops at its limits and says so only here
        if "depth" in err.message.lower():
            raise _refuse(shown, "网页的标签嵌套层数异常深，不像正常的年度报告网页，已拒绝读取")
        if err.type_name == "ERR_RESOURCE_LIMIT" or "huge" in err.message.lower():
            raise _refuse(shown, "网页中有异常长的文字或数据块，超出读取上限，不像正常的年度报告网页，已拒绝读取")
    n = 0
    for _ in root.iter():
        n += 1
        if n > MAX_ELEMENTS:
            raise _refuse(shown, "网页中的元素异常多，不像正常的年度报告网页，已拒绝读取")
    if sum(1 for _ in root.iter("td", "th")) > MAX_CELLS:
        raise _refuse(shown, "网页表格的单元格异常多，不像正常的年度报告网页，已拒绝读取")
    meta_title, page_title = _meta_title(root), _page_title(root)  # before <head> goes with the chrome
    _clean(root)
    body = root.find("body")
    if body is None:
        body = root
    article = _article(body)
    title = meta_title or _heading_title(article) or page_title or _heading_title(body)
    budget = [MAX_GRID_MARKS]
    grids = []
    try:
        for i, table in enumerate(article.iter("table"), start=1):
            grids.append(_table_grid(table, f"第{i}个表格", budget))
    except _TooBig:
        raise _refuse(shown, "网页表格的单元格（含合并范围）异常多，不像正常的年度报告网页，已拒绝读取") from None
    narrative = "\n".join(_finish(_flat_text(article, _narrative_skip, headings=True)))
    findings = []
    if replaced:
        findings.append(
            Finding(
                "D1",
                "warning",
                "网页",
                (),
                f"网页中有无法按 {encoding} 识别的字符，已用“�”代替；"
                "相关文字或数字可能读不出，请核对原网页或另存为 UTF-8 后再检查",
            )
        )
    return Document("html", grids, text=narrative, title=title, findings=findings)
