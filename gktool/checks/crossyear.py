"""This year's report against last year's: rules Y0–Y6, plain functions of two filled reports.

What is compared comes from the spec's `[cross_year]` table (which cells carry over, which
stock follows from last year's, which figures to watch for swings, what wording is fixed);
the functions here only know how to compare. Last year's report may be any file gktool
reads, so values are taken by spec key and its places are quoted as its reader found them.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..compute import TOLERANCE, tidy
from ..findings import Finding
from ..fsutil import shown_path
from ..model import FilledReport
from ..names import unit_key
from ..spec_crossyear import squash

SHINGLE = 10  # characters: a run this long found in last year's text counts as copied, not as shared vocabulary


# ----------------------------------------------------------------- helpers
def _name(last: FilledReport) -> str:
    return shown_path(last.source)


def _there(last: FilledReport, sheet: str | None = None, cell: str | None = None) -> str:
    """Last year's file (and place) as listed in `cells`: Excel's own way to name another file's cell."""
    head = f"[{Path(shown_path(last.source)).name}]"
    return head + (last.place(sheet, cell).at if sheet else "")


def _n(x: float) -> str:
    return str(tidy(x))


# ----------------------------------------------------------------- the rules
def y5_identity(this: FilledReport, last: FilledReport) -> list[Finding]:
    """Y5: last year's report is the year before this one and of the same unit."""
    out = []
    name = _name(last)
    if this.year is not None and last.year is not None and last.year != this.year - 1:
        out.append(
            Finding(
                "Y5",
                "error",
                "",
                (_there(last),),
                f"上年报告“{name}”是 {last.year} 年度的，本报告是 {this.year} 年度的；请用 {this.year - 1} 年度的报告比较"
                f"（未做其他跨年度检查）。",
                this.year - 1,
                last.year,
            )
        )
    if this.unit and last.unit and unit_key(this.unit) != unit_key(last.unit):
        out.append(
            Finding(
                "Y5",
                "error",
                "",
                (_there(last),),
                f"上年报告“{name}”是“{last.unit}”的，本报告是“{this.unit}”的；请用本单位上一年度的报告比较"
                f"（未做其他跨年度检查）。",
                None,
                last.unit,
            )
        )
    return out


def y1_carry_over(this: FilledReport, last: FilledReport) -> list[Finding]:
    """Y1: this year's 上年结转 equals last year's 结转下年度继续办理, column by column."""
    out = []
    name = _name(last)
    for tk, lk in this.spec.cross_year.carry:
        if not (this.usable(tk) and last.usable(lk)):
            continue
        a, b = this.number(*tk), last.number(*lk)
        if abs(a - b) <= TOLERANCE:
            continue
        sheet = this.spec.sheet(tk[0])
        home = this.home(tk[0])
        col = sheet.col_label(tk[1])
        row, last_row = sheet.row_label(tk[1]), last.spec.sheet(lk[0]).row_label(lk[1])
        out.append(
            Finding(
                "Y1",
                "error",
                home,
                (this.cell_ref(*tk, home), _there(last, *lk)),
                f"{sheet.short}“{col}”列：本年“{row}”是 {_n(a)}（{this.place(*tk).at}），"
                f"上年报告“{name}”的“{last_row}”是 {_n(b)}（{last.place(*lk).at}），相差 {_n(abs(a - b))}。"
                f"上年结转应等于上年的结转下年度继续办理，请按上年报告改正（或核实上年报告）。",
                tidy(b),
                tidy(a),
            )
        )
    return out


def y2_stock(this: FilledReport, last: FilledReport) -> list[Finding]:
    """Y2: last year's 现行有效件数 + 本年制发 − 本年废止 = this year's 现行有效件数."""
    out = []
    name = _name(last)
    for s in this.spec.cross_year.stock:
        this_keys = [(r.sheet, x) for r in (s.this, *s.plus, *s.minus) for x in r.cells()]
        last_keys = [(s.last.sheet, x) for x in s.last.cells()]
        if not all(this.usable(k) for k in this_keys) or not all(last.usable(k) for k in last_keys):
            continue
        before = sum(last.number(*k) for k in last_keys)
        plus = sum(this.number(r.sheet, x) for r in s.plus for x in r.cells())
        minus = sum(this.number(r.sheet, x) for r in s.minus for x in r.cells())
        got = sum(this.number(s.this.sheet, x) for x in s.this.cells())
        want = before + plus - minus
        if abs(got - want) <= TOLERANCE:
            continue
        sheet = this.spec.sheet(s.this.sheet)
        first = s.this.cells()[0]
        home = this.home(s.this.sheet)
        col = sheet.col_label(first)
        terms = "".join(
            f"，加本年{sheet.col_label(r.cells()[0]).removeprefix('本年')} {_n(this.number(r.sheet, r.cells()[0]))}"
            for r in s.plus
        )
        terms += "".join(
            f"，减本年{sheet.col_label(r.cells()[0]).removeprefix('本年')} {_n(this.number(r.sheet, r.cells()[0]))}"
            for r in s.minus
        )
        cells = tuple(dict.fromkeys(this.cell_ref(*k, home) for k in this_keys)) + (_there(last, *last_keys[0]),)
        out.append(
            Finding(
                "Y2",
                "warning",
                home,
                cells,
                f"{sheet.short}“{sheet.row_label(first)}”：上年报告“{name}”的{col} {_n(before)}（{last.place(*last_keys[0]).at}）"
                f"{terms}，应为 {_n(want)}，但本年{col}是 {_n(got)}（{this.place(s.this.sheet, first).at}）。"
                f"文件因有效期届满等原因失效时可能不相等，请核实。",
                tidy(want),
                tidy(got),
            )
        )
    return out


def _core(text: str, fixed: tuple[re.Pattern, ...]) -> str:
    """The text a person wrote: no spaces, fixed official wording taken out, figures as '#'."""
    text = squash(text)
    for p in fixed:
        text = p.sub("", text)
    return re.sub(r"\d+(?:\.\d+)?", "#", text)


def copied_share(text: str, previous: str) -> float:
    """Share of `text`'s characters lying in a run of SHINGLE characters also found in `previous`."""
    if len(text) < SHINGLE or len(previous) < SHINGLE:
        return 0.0
    seen = {previous[i : i + SHINGLE] for i in range(len(previous) - SHINGLE + 1)}
    covered = [False] * len(text)
    for i in range(len(text) - SHINGLE + 1):
        if text[i : i + SHINGLE] in seen:
            covered[i : i + SHINGLE] = [True] * SHINGLE
    return sum(covered) / len(text)


def y3_copied_text(this: FilledReport, last: FilledReport) -> list[Finding]:
    """Y3: a narrative section largely the same as last year's (fixed official wording not counted)."""
    out = []
    found = this.spec.cross_year
    name = _name(last)
    for sheet in this.spec.sheets:
        if not this.has(sheet.name) or not last.has(sheet.name):
            continue
        for c in sheet.inputs:
            if c.type != "narrative":
                continue
            key = (sheet.name, c.cell)
            now, before = this.values.get(key), last.values.get(key)
            if not isinstance(now, str) or not isinstance(before, str):
                continue
            a, b = _core(now, found.fixed), _core(before, found.fixed)
            if len(a) < found.min_chars:
                continue
            share = copied_share(a, b)
            if share < found.share:
                continue
            pct = int(share * 100)
            home = this.home(sheet.name)
            # each label once: the section's title, then the field's own label where the section has several
            title = sheet.title or sheet.name
            label = next((f.label for f in sheet.fields if sheet.field_cell(f.key).cell == c.cell), "")
            several = sum(x.type == "narrative" for x in sheet.inputs) > 1
            section = f"“{title}”中的“{label}”" if label and (several or label not in title) else f"“{title}”"
            out.append(
                Finding(
                    "Y3",
                    "warning",
                    home,
                    (this.cell_ref(*key, home), _there(last, *key)),
                    f"{section}（{this.place(*key).at}）的文字有 {pct}% 与上年报告“{name}”的同一部分相同"
                    f"（固定的官方表述不计），像是沿用了上年的内容；请按本年的实际情况撰写。",
                    int(found.share * 100),
                    pct,
                )
            )
    return out


def _table_keys(report: FilledReport) -> list[tuple[str, str]]:
    return [(s.name, c.cell) for s in report.spec.sheets if s.kind == "table" for c in s.inputs]


def y4_same_tables(this: FilledReport, last: FilledReport) -> list[Finding]:
    """Y4: every number of the three tables is the same as last year's (and not all zero)."""
    keys = _table_keys(this)
    if not keys or any(not this.usable(k) or not last.usable(k) for k in keys):
        return []
    now = [this.number(*k) for k in keys]
    before = [last.number(*k) for k in keys]
    if not any(now) or any(abs(a - b) > TOLERANCE for a, b in zip(now, before, strict=True)):
        return []
    shorts = "、".join(s.short for s in this.spec.sheets if s.kind == "table")
    return [
        Finding(
            "Y4",
            "warning",
            "",
            (_there(last),),
            f"{shorts}的全部 {len(keys)} 个数字与上年报告“{_name(last)}”完全相同，可能误用了上年的数据；请核对本年数据。",
        )
    ]


def y6_swings(this: FilledReport, last: FilledReport) -> list[Finding]:
    """Y6: a watched figure grew or fell by the spec's factor, with at least `floor` on one side."""
    out = []
    name = _name(last)
    for s in this.spec.cross_year.swings:
        keys = [(r.sheet, x) for r in s.cells for x in r.cells()]
        if not all(this.usable(k) and last.usable(k) for k in keys):
            continue
        a = sum(this.number(*k) for k in keys)
        b = sum(last.number(*k) for k in keys)
        if max(a, b) < s.floor or not (a >= s.factor * b or b >= s.factor * a):
            continue
        if b == 0:
            change = "上年为 0"
        elif a == 0:
            change = "本年为 0"
        elif a > b:
            change = f"是上年的 {round(a / b, 1):g} 倍"
        else:
            change = f"只有上年的 {round(100 * a / b, 1):g}%"
        home = this.home(keys[0][0])
        places = "、".join(this.place(*k).at for k in keys)
        out.append(
            Finding(
                "Y6",
                "warning",
                home,
                tuple(this.cell_ref(*k, home) for k in keys) + (_there(last, *keys[0]),),
                f"{s.what}本年 {_n(a)} {s.unit}（{places}），上年 {_n(b)} {s.unit}（上年报告“{name}”），{change}，变化很大，请核实。",
                tidy(b),
                tidy(a),
            )
        )
    return out


RULES = (y1_carry_over, y2_stock, y3_copied_text, y4_same_tables, y6_swings)


def compare(this: FilledReport, last: FilledReport) -> list[Finding]:
    """All cross-year findings: Y5 first; when it fails, nothing else is compared."""
    identity = y5_identity(this, last)
    if identity:
        return identity
    return [f for rule in RULES for f in rule(this, last)]


def no_previous(this: FilledReport | None, why: str) -> Finding:
    """Y0: no last year's report to compare with (a warning: the file itself is still checked)."""
    return Finding("Y0", "warning", "", (), f"{why}，未做跨年度检查（上年结转、现行有效件数等）。")


def missing_in(this: FilledReport, folder: str, unreadable: int = 0) -> Finding:
    """Y0 for a unit that has no report of the year before in the previous-year folder."""
    note = f"（该文件夹中有 {unreadable} 个文件无法读取）" if unreadable else ""
    if not this.unit or this.year is None:
        return no_previous(
            this, f"本报告的单位或年度无法确定，没有找到上年报告（上年文件夹“{shown_path(folder)}”）{note}"
        )
    return no_previous(
        this, f"没有找到上年报告：上年文件夹“{shown_path(folder)}”中没有“{this.unit}”{this.year - 1} 年度的报告{note}"
    )


def identity_problem(unit: str | None, year: int | None, last: FilledReport) -> str | None:
    """Why `last` cannot be last year's report of a new workbook for `unit`/`year` (None when it can)."""
    if year is not None and last.year is not None and last.year != year - 1:
        return f"上年报告“{_name(last)}”是 {last.year} 年度的，新工作簿是 {year} 年度的；请给出 {year - 1} 年度的报告"
    if unit and last.unit and unit_key(unit) != unit_key(last.unit):
        return f"上年报告“{_name(last)}”是“{last.unit}”的，新工作簿是“{unit}”的；请给出本单位上一年度的报告"
    return None
