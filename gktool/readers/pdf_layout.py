"""Glyphs into printed lines and words, and ruled or aligned tables on one page into `Part`s (PDF reader)."""

from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass, field

HEADING = re.compile(r"^\s*[一二三四五六七八九十]{1,2}\s*[、.．]")


@dataclass
class Line:
    """One line of text on a PDF page, with its box and its words."""

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
    # (r1, c1) of cells whose text may be incomplete: glyphs cut by the page edge or running over a rule
    unsure: set = field(default_factory=set)
    reach: dict = field(default_factory=dict)  # (r1, c1) -> (leftmost x0, rightmost x1) of the cell's glyphs
    at_edge: bool = False  # a side lies on the page's edge: the table went on beyond the paper


def inside(c, box, pad: float = 1.0) -> bool:
    """Whether a glyph's centre lies in a box (x0, top, x1, bottom)."""
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


def part_of(table, chars, page_no: int, index: int) -> Part | None:
    """A ruled table pdfplumber found, with each glyph put into the cell that holds its centre."""
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
    unsure: set[int] = set()
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        if not y0 - 1 <= cy <= y1 + 1:
            continue
        r = min(max(bisect.bisect_right(ys, cy) - 1, 0), len(ys) - 2)
        if not x0 - 1 <= cx <= x1 + 1:
            # a glyph just outside the table's side, on one of its rows: the edge cell's text runs out of it
            w = max(ch["x1"] - ch["x0"], 1.0)
            # (or, anywhere beyond the visible page, a column the page edge cut off)
            if ch.get("cut") or (x0 - 1.5 * w <= ch["x1"] and ch["x0"] <= x1 + 1.5 * w):
                k = owner.get((r, 0 if cx < x0 else len(xs) - 2))
                if k is not None:
                    unsure.add(k)
            continue
        c = min(max(bisect.bisect_right(xs, cx) - 1, 0), len(xs) - 2)
        k = owner.get((r, c))
        if k is None:
            continue
        texts[k].append(ch)
        w = ch["x1"] - ch["x0"]
        left, right = xs[spans[k][1]], xs[spans[k][3]]
        if ch.get("cut") or ch["x0"] < left - 0.3 * w or ch["x1"] > right + 0.3 * w:
            unsure.add(k)  # cut by the page edge, or astride a rule: part of it may show in no cell
    unsure |= _touching_across_rules(texts)
    cells = []
    for (r1, c1, r2, c2), cs in zip(spans, texts, strict=True):
        cells.append((r1 + 1, c1 + 1, r2, c2, _cell_text(cs)))
    if len({c[1] for c in cells}) < 2:
        return None
    marked = {(spans[k][0] + 1, spans[k][1] + 1) for k in unsure}
    reach = {
        (sp[0] + 1, sp[1] + 1): (min(ch["x0"] for ch in cs), max(ch["x1"] for ch in cs))
        for sp, cs in zip(spans, texts, strict=True)
        if cs
    }
    return Part(page_no, index, y0, y1, xs, len(ys) - 1, cells, marked, reach)


def _touching_across_rules(texts: list[list]) -> set[int]:
    """Cells whose glyphs run into (overlap) a glyph of the next cell on the same line: text that overflowed
    its cell (a number too wide for its column), split by the rule into two wrong numbers."""
    glyphs = sorted(
        ((ch, k) for k, cs in enumerate(texts) for ch in cs if not ch["text"].isspace()), key=lambda g: g[0]["x0"]
    )
    out: set[int] = set()
    by_line: dict[int, list] = {}
    for ch, k in glyphs:
        by_line.setdefault(round((ch["top"] + ch["bottom"]) / 4), []).append((ch, k))
    for items in by_line.values():
        for (a, ka), (b, kb) in zip(items, items[1:], strict=False):
            # overlapping, not merely close: numbers that fill a narrow column sit right against its rules
            if ka != kb and b["x0"] < a["x1"] - 0.05 * max(a["size"], b["size"]):
                out |= {ka, kb}
    return out


def _cell_text(chars) -> str:
    """Glyphs of one cell as lines, top to bottom; a visible gap inside a line becomes a space."""
    return "\n".join(ln.text for ln in lines_of(chars))


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


def lines_of(chars) -> list[Line]:
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


def aligned_tables(lines: list[Line], page_no: int, height: float, first_index: int):
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
        if HEADING.match(ln.text) and len(ln.words) == 1:
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
