"""`gktool report -o NAME.html`: the report as one self-contained web page for the unit's website.

The page says exactly what the Word report says: its words come from the same
`report_blocks` (title, headings, paragraphs, closing with the contact details), and
its three tables are laid out from the same spec sheets, labels and merges as the
Word tables (`rowspan`/`colspan`, header labels as `<th scope="col">`, row labels
as `<th scope="row">`), so nothing about the official tables is written here by hand.

What a CMS editor keeps decides the styling: editors drop `<head>`, classes and
scripts, but keep inline `style` attributes, so every element of the article carries
its own look inline and the `<style>` in the head only sets the page around it. There
are no scripts, links, images or fonts to fetch. Wide tables sit in their own
`overflow-x:auto` box, so on a phone the table scrolls sideways, not the page.
The same workbook always gives the same bytes.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from docx.shared import Pt

from ..cells import parse_range
from ..errors import EXIT_FINDINGS, GkError
from ..fsutil import atomic_output
from ..spec import Sheet
from .report import (
    CELL_MARGIN_TWIPS,
    DRAFT_MARK,
    FONT_BODY,
    FONT_DECLS,
    FONT_H1,
    FONT_H2,
    FONT_TABLE,
    FONT_TITLE,
    SIZE_TABLE,
    TEXT_WIDTH,
    WIDTH_SLACK,
    balanced_width,
    column_widths,
)
from .report_wording import Block, format_number, report_blocks

PASTE_BEGIN = "<!-- gktool：报告正文开始。粘贴到网站编辑器（源代码模式）时，复制从这里到“报告正文结束”之间的内容 -->"
PASTE_END = "<!-- gktool：报告正文结束 -->"
TABLE_EM_MIN = 3.2  # a number column is never narrower than this (em of table text): 6 digits and padding
LABEL_EM_MIN = 5  # a label column may wrap down to this many characters a line before the table scrolls

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def _text(s: str) -> str:
    """Text as HTML: escaped, with the control characters HTML forbids (pasted into a cell) dropped."""
    return escape(_CONTROL.sub("", str(s)), quote=True)


def _family(name: str) -> str:
    """A CSS font stack for an official font: the font itself, Windows' own, then gktool's look-alikes.

    The same knowledge as the Word report's fontTable and fontconfig rules (FONT_DECLS), so the
    page looks like the document wherever the fonts exist and falls back the same way elsewhere."""
    decl = next((d for d in FONT_DECLS if d.name == name), None)
    names = [name] if decl is None else [decl.name, decl.alt, *decl.fallbacks]
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    generic = {"serif", "sans-serif"}
    return ",".join(n if n in generic else f"'{n}'" for n in seen)


BODY_STYLE = f"font-family:{_family(FONT_BODY)};font-size:16px;line-height:1.8;color:#000"
STYLES = {
    "article": f"max-width:52em;margin:0 auto;padding:0 0 2em;{BODY_STYLE}",
    "title": f"font-family:{_family(FONT_TITLE)};font-size:26px;font-weight:bold;text-align:center;"
    "line-height:1.4;margin:1em 0",
    "h1": f"font-family:{_family(FONT_H1)};font-size:18px;font-weight:normal;margin:1.2em 0 .4em;line-height:1.6",
    "h2": f"font-family:{_family(FONT_H2)};font-size:16px;font-weight:normal;margin:.6em 0 .2em;"
    "line-height:1.8;text-indent:2em",
    "para": "margin:0 0 .4em;text-indent:2em;overflow-wrap:break-word",
    "lead": f"font-family:{_family(FONT_H2)}",
    "closing": "margin:1em 0 .4em;text-indent:2em;overflow-wrap:break-word",
    "draft": "color:#c00000;font-weight:bold;text-align:center;border:2px solid #c00000;padding:.3em;margin:1em 0",
    "box": "overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;margin:.4em 0 1em",
    "table": f"border-collapse:collapse;width:100%;font-family:{_family(FONT_TABLE)};font-size:14px;"
    "line-height:1.4;text-indent:0",
    "cell": "border:1px solid #000;padding:4px 3px;vertical-align:middle",
}
PAGE_STYLE = "body{margin:0;padding:0 12px;background:#fff}"


def page_bytes(analysis, draft: bool = False) -> bytes:
    """The web page of the report as UTF-8 bytes: the same workbook always gives the same bytes."""
    return render_page(analysis, report_blocks(analysis), draft).encode("utf-8")


def write_html(analysis, path: Path, force: bool = False, draft: bool = False) -> Path:
    """Write the web page for `analysis` to `path` atomically; never replaces a file without `force`."""
    if analysis.spec is None:
        raise GkError("无法识别工作簿的格式，不能生成报告", EXIT_FINDINGS)
    path = Path(path)
    data = page_bytes(analysis, draft)
    with atomic_output(path, force) as tmp:
        Path(tmp).write_bytes(data)
    return path


def render_page(analysis, blocks: list[Block], draft: bool = False) -> str:
    """The whole page: head (charset, viewport, title, author) and the article built from the blocks."""
    title = blocks[0].text if blocks and blocks[0].kind == "title" else ""
    unit = str(analysis.field("unit") or "").strip() if "unit" in analysis.spec.field_cells else ""
    head = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(('（草稿）' if draft else '') + title)}</title>",
    ]
    if unit:
        head.append(f'<meta name="author" content="{_text(unit)}">')
    head += ['<meta name="generator" content="gktool">', f"<style>{PAGE_STYLE}</style>", "</head>", "<body>"]
    return "\n".join(head + [PASTE_BEGIN, article(analysis, blocks, draft), PASTE_END, "</body>", "</html>"]) + "\n"


def article(analysis, blocks: list[Block], draft: bool = False) -> str:
    """The report as one `<article>` that carries all its styling inline (what a CMS editor keeps)."""
    out = [f'<article style="{STYLES["article"]}">']
    if draft:
        out.append(f'<p style="{STYLES["draft"]}">{_text(DRAFT_MARK)}</p>')
    for b in blocks:
        if b.kind == "title":
            out.append(f'<h1 style="{STYLES["title"]}">{_text(b.text)}</h1>')
        elif b.kind == "h1":
            out.append(f'<h2 style="{STYLES["h1"]}">{_text(b.text)}</h2>')
        elif b.kind == "h2":
            out.append(f'<h3 style="{STYLES["h2"]}">{_text(b.text)}</h3>')
        elif b.kind == "table":
            out.append(table(analysis, b.sheet))
        else:
            lead = f'<span style="{STYLES["lead"]}">{_text(b.lead)}</span>' if b.lead else ""
            style = STYLES["closing"] if b.kind == "closing" else STYLES["para"]
            out.append(f'<p style="{style}">{lead}{_text(b.text)}</p>')
    out.append("</article>")
    return "\n".join(out)


def table(analysis, sheet: Sheet) -> str:
    """One official table from its spec sheet: every label and value cell at its place, merges as spans."""
    n_rows, n_cols = sheet.bounds
    widths = column_widths(sheet, int(TEXT_WIDTH), SIZE_TABLE)  # the Word table's proportions
    ems = [max(w / SIZE_TABLE, TABLE_EM_MIN) for w in widths]
    # below this the table scrolls in its box instead of squeezing: label columns may wrap down to
    # LABEL_EM_MIN characters a line, number columns keep TABLE_EM_MIN (表二 fits a phone, 表三 and 表四 scroll)
    least = sum(min(e, LABEL_EM_MIN) for e in ems)
    starts: dict[tuple[int, int], str] = {}
    covered: set[tuple[int, int]] = set()
    pad = Pt(2 * CELL_MARGIN_TWIPS / 20) + WIDTH_SLACK
    for lab in sheet.labels:
        r1, c1, r2, c2 = parse_range(lab.range)
        align = "center" if lab.header or (r2 > r1 and c1 == c2) else "left"
        scope = "col" if lab.header else "row"
        # a centred label breaks its lines where the Word table does (商业/企业, 结果/维持, 三、本/年度办/理结果),
        # not wherever a browser's wider column happens to end (结果维/持)
        chars = int((sum(widths[c1 - 1 : c2]) - pad) // SIZE_TABLE)
        per_line = balanced_width(lab.text, chars) or (chars if len(lab.text) > chars else 0)
        starts[(r1, c1)] = _cell(
            "th", lab.text, r2 - r1 + 1, c2 - c1 + 1, align, scope, per_line if align == "center" else 0
        )
        covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
    for c in sheet.cells:
        r1, c1, r2, c2 = parse_range(c.merge or c.cell)
        value = format_number(analysis.spec, c.type, analysis.number(sheet.name, c.cell))
        starts[(r1, c1)] = _cell("td", value, r2 - r1 + 1, c2 - c1 + 1, "center")
        covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
    rows = []
    for r in range(1, n_rows + 1):
        cells = []
        for c in range(1, n_cols + 1):
            if (r, c) in starts:
                cells.append(starts[(r, c)])
            elif (r, c) not in covered:  # a spec that leaves a position empty still gets a full grid
                cells.append(_cell("td", "", 1, 1, "center"))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head, body = rows[: sheet.header_rows], rows[sheet.header_rows :]
    cols = "".join(f'<col style="width:{100 * e / sum(ems):.2f}%">' for e in ems)
    style = f"{STYLES['table']};min-width:{least + n_cols * 0.5:.1f}em"
    parts = [f'<div style="{STYLES["box"]}">', f'<table style="{style}">', f"<colgroup>{cols}</colgroup>"]
    if head:
        parts += ["<thead>", *head, "</thead>"]
    parts += ["<tbody>", *body, "</tbody>", "</table>", "</div>"]
    return "\n".join(parts)


def _cell(tag: str, text: str, rowspan: int, colspan: int, align: str, scope: str = "", per_line: int = 0) -> str:
    attrs = ""
    if scope:
        attrs += f' scope="{scope}"'
    if rowspan > 1:
        attrs += f' rowspan="{rowspan}"'
    if colspan > 1:
        attrs += f' colspan="{colspan}"'
    weight = "font-weight:normal;" if tag == "th" else ""
    style = f"{STYLES['cell']};{weight}text-align:{align}"
    inner = _text(text)
    if per_line:  # a narrower line box: the label's own text, no hard break (the readers see the same label)
        inner = f'<span style="display:inline-block;max-width:{per_line + 0.5}em">{inner}</span>'
    return f'<{tag}{attrs} style="{style}">{inner}</{tag}>'
