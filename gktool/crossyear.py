"""This year's report against last year's: rules Y0–Y6, plain functions of two filled reports.

What is compared comes from the spec's `[cross_year]` table (which cells carry over, which
stock follows from last year's, which figures to watch for swings, what wording is fixed);
the functions here only know how to compare. Last year's report may be any file gktool
reads, so values are taken by spec key and its places are quoted as its reader found them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .compute import TOLERANCE, Evaluator, holds, tidy
from .findings import Finding
from .livechecks import CheckRow, sum_formula
from .model import FilledReport
from .reader import shown_path
from .rules import RuleInfo
from .spec import Check, Ref, Spec, SpecProblem, _parse_ref

TOPIC = "跨年度"
CATALOGUE = [
    RuleInfo(
        "Y0",
        TOPIC,
        "warning",
        "没有可用的上年报告（上年文件夹中没有同一单位上一年度的报告，或无法读取），未做跨年度检查",
    ),
    RuleInfo("Y1", TOPIC, "error", "二、上年结转等于上年报告的四、结转下年度继续办理（逐列）"),
    RuleInfo("Y2", TOPIC, "warning", "现行有效件数等于上年现行有效件数加本年制发件数减本年废止件数"),
    RuleInfo("Y3", TOPIC, "warning", "文字说明大部分与上年报告相同（固定的官方表述不计）"),
    RuleInfo("Y4", TOPIC, "warning", "三张表格的数字与上年报告完全相同"),
    RuleInfo("Y5", TOPIC, "error", "上年报告须是同一单位上一年度的报告（先于其他跨年度检查）"),
    RuleInfo("Y6", TOPIC, "warning", "数字与上年相比变化很大（如增减到5倍以上），请核实"),
]

SHINGLE = 10  # characters: a run this long found in last year's text counts as copied, not as shared vocabulary


@dataclass(frozen=True)
class Stock:
    this: Ref
    last: Ref
    plus: tuple[Ref, ...]
    minus: tuple[Ref, ...]


@dataclass(frozen=True)
class Swing:
    what: str
    cells: tuple[Ref, ...]
    factor: float
    floor: float
    unit: str


@dataclass(frozen=True)
class Figure:
    section: str  # the narrative field whose generated paragraph gets the sentence
    what: str
    cells: tuple[Ref, ...]


@dataclass(frozen=True)
class Links:
    """The spec's [cross_year] table, parsed: what is compared with what."""

    carry: tuple[tuple[tuple[str, str], tuple[str, str]], ...]  # (this key, last key), cell by cell
    stock: tuple[Stock, ...]
    share: float
    min_chars: int
    fixed: tuple[re.Pattern, ...]
    swings: tuple[Swing, ...]
    year_on_year: tuple[Figure, ...] = ()


def _refs(spec: Spec, value) -> tuple[Ref, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for text in items:
        if not isinstance(text, str) or ("!" not in text and not text.startswith("@")):
            raise SpecProblem(f"[cross_year] 中的“{text}”应写成“工作表!单元格”或“@填报项”")
        out.append(_parse_ref(text, "", spec.field_cells))
    return tuple(out)


def _build(spec: Spec) -> Links:
    data = spec.cross_year
    carry = []
    for pair in data.get("carry", []):
        (this,), (last,) = _refs(spec, pair["this"]), _refs(spec, pair["last"])
        a, b = this.cells(), last.cells()
        if len(a) != len(b):
            raise SpecProblem(f"[cross_year] carry 的 this（{len(a)} 格）与 last（{len(b)} 格）单元格数不同")
        carry.extend(((this.sheet, x), (last.sheet, y)) for x, y in zip(a, b, strict=True))
    stock = tuple(
        Stock(
            _refs(spec, s["this"])[0],
            _refs(spec, s["last"])[0],
            _refs(spec, s.get("plus", [])),
            _refs(spec, s.get("minus", [])),
        )
        for s in data.get("stock", [])
    )
    fixed = [re.escape(_squash(t)) for t in (spec.law, spec.notice_title, spec.fee_notice, spec.notice) if t]
    fixed += list(data.get("fixed_wording", []))
    swings = tuple(
        Swing(
            s["what"], _refs(spec, s["cells"]), float(s.get("factor", 5)), float(s.get("floor", 20)), s.get("unit", "")
        )
        for s in data.get("swings", [])
    )
    for s in swings:
        if s.factor <= 1 or s.floor < 0:
            raise SpecProblem(f"[cross_year] swings “{s.what}”的 factor 应大于 1、floor 不小于 0")
    share = float(data.get("copied_share", 0.8))
    if not 0 < share <= 1:
        raise SpecProblem("[cross_year] copied_share 应在 0 和 1 之间")
    figures = tuple(Figure(f["section"], f["what"], _refs(spec, f["cells"])) for f in data.get("year_on_year", []))
    for f in figures:
        c = spec.field_cells.get(f.section)
        if c is None or c.type != "narrative":
            raise SpecProblem(f"[cross_year] year_on_year “{f.what}”的 section “{f.section}”不是文字说明填报项")
    return Links(
        tuple(carry),
        stock,
        share,
        int(data.get("copied_min_chars", 30)),
        tuple(re.compile(p) for p in fixed),
        swings,
        figures,
    )


_LINKS: dict[int, tuple[Spec, Links]] = {}


def links(spec: Spec) -> Links:
    """The parsed [cross_year] table of a spec (cached per spec object)."""
    hit = _LINKS.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = _LINKS[id(spec)] = (spec, _build(spec))
    return hit[1]


def spec_problems(spec: Spec) -> list[str]:
    """Problems of a spec's [cross_year] table, each named (used when a spec is loaded)."""
    try:
        found = _build(spec)
    except SpecProblem as exc:
        return [str(exc)]
    except re.error as exc:
        return [f"[cross_year] fixed_wording 中有不正确的正则表达式（{exc}）"]
    except (KeyError, TypeError, ValueError) as exc:
        return [f"[cross_year] 有误：{exc}"]
    cells = {(s.name, c.cell) for s in spec.sheets for c in s.cells}
    keys = [k for pair in found.carry for k in pair]
    refs = [r for s in found.stock for r in (s.this, s.last, *s.plus, *s.minus)] + [
        r for s in found.swings for r in s.cells
    ]
    refs += [r for f in found.year_on_year for r in f.cells]
    keys += [(r.sheet, x) for r in refs for x in r.cells()]
    return [f"[cross_year] 引用的 {s}!{c} 不是可填或合计单元格" for s, c in dict.fromkeys(keys) if (s, c) not in cells]


# ----------------------------------------------------------------- helpers
def _squash(text: str) -> str:
    return "".join(text.split())


def _name(last: FilledReport) -> str:
    return shown_path(last.source)


def _there(last: FilledReport, sheet: str | None = None, cell: str | None = None) -> str:
    """Last year's file (and place) as listed in `cells`: Excel's own way to name another file's cell."""
    head = f"[{Path(shown_path(last.source)).name}]"
    return head + (last.place(sheet, cell).at if sheet else "")


def _n(x: float) -> str:
    return str(tidy(x))


def _usable(report: FilledReport, key: tuple[str, str]) -> bool:
    return report.has(key[0]) and key not in report.unread and key[0] in {s.name for s in report.spec.sheets}


def unit_key(unit: str | None) -> str:
    """A unit's name for matching: width, spaces and punctuation ignored; 某县 = 某县人民政府."""
    text = re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", unit or ""))
    return text.removesuffix("人民政府") or text


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
    for tk, lk in links(this.spec).carry:
        if not (_usable(this, tk) and _usable(last, lk)):
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
    for s in links(this.spec).stock:
        this_keys = [(r.sheet, x) for r in (s.this, *s.plus, *s.minus) for x in r.cells()]
        last_keys = [(s.last.sheet, x) for x in s.last.cells()]
        if not all(_usable(this, k) for k in this_keys) or not all(_usable(last, k) for k in last_keys):
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
    text = _squash(text)
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
    found = links(this.spec)
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
    if not keys or any(not _usable(this, k) or not _usable(last, k) for k in keys):
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
    for s in links(this.spec).swings:
        keys = [(r.sheet, x) for r in s.cells for x in r.cells()]
        if not all(_usable(this, k) and _usable(last, k) for k in keys):
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


# ----------------------------------------------------------------- gktool new --previous
PREVIOUS_SHEET = "上年数据"  # hidden, locked: last year's figures the 校验 rows compare with
PREVIOUS_FIRST_ROW = 4


def identity_problem(unit: str | None, year: int | None, last: FilledReport) -> str | None:
    """Why `last` cannot be last year's report of a new workbook for `unit`/`year` (None when it can)."""
    if year is not None and last.year is not None and last.year != year - 1:
        return f"上年报告“{_name(last)}”是 {last.year} 年度的，新工作簿是 {year} 年度的；请给出 {year - 1} 年度的报告"
    if unit and last.unit and unit_key(unit) != unit_key(last.unit):
        return f"上年报告“{_name(last)}”是“{last.unit}”的，新工作簿是“{unit}”的；请给出本单位上一年度的报告"
    return None


def prefill(spec: Spec, last: FilledReport) -> dict[tuple[str, str], object]:
    """Values a new workbook starts with: the carry-over from last year, unit, website, contact details.

    The narrative is never copied: each year's text is written afresh."""
    values: dict[tuple[str, str], object] = {}
    for tk, lk in links(spec).carry:
        if _usable(last, lk):
            values[tk] = tidy(last.number(*lk))
    for key in spec.cross_year.get("carry_fields", []):
        c = spec.field_cells.get(key)
        if c is None or c.type != "text":
            continue
        v = last.values.get((c.sheet, c.cell))
        if isinstance(v, str) and v.strip():
            values[(c.sheet, c.cell)] = v.strip()
    unit = spec.field_cells["unit"]
    if last.unit and (unit.sheet, unit.cell) not in values:  # read from a title or file name
        values[(unit.sheet, unit.cell)] = last.unit
    return values


def previous_cells(spec: Spec) -> list[tuple[str, str]]:
    """Last year's cells the 校验 rows need, in the order of the hidden sheet's rows."""
    found = links(spec)
    keys = [lk for _, lk in found.carry] + [(s.last.sheet, x) for s in found.stock for x in s.last.cells()]
    return list(dict.fromkeys(keys))


def _previous_ref(spec: Spec, key: tuple[str, str]):
    return Ref(PREVIOUS_SHEET, f"D{PREVIOUS_FIRST_ROW + previous_cells(spec).index(key)}")


@dataclass(frozen=True)
class LiveRow(CheckRow):
    """A 校验 row against last year's figures; its verdict is worked out when the workbook is written."""

    verdict: tuple | None = None


def live_rows(spec: Spec, values: dict, last: FilledReport | None) -> list[LiveRow]:
    """校验 rows comparing with last year's (Y1 per column, Y2 per row), each with its verdict now."""
    if last is None:
        return []
    ev = Evaluator(spec, values)
    info = {r.id: r for r in CATALOGUE}
    rows = []
    for tk, lk in links(spec).carry:
        sheet = spec.sheet(tk[0])
        left, right = (Ref(*tk),), (_previous_ref(spec, lk),)
        a, b = ev.value(*tk), last.number(*lk) if _usable(last, lk) else 0.0
        check = Check(
            "Y1", "error", tk[0], info["Y1"].title, "", f"{sheet.short}“{sheet.col_label(tk[1])}”列", left, "==", right
        )
        rows.append(
            LiveRow(
                "Y1",
                "error",
                f"{sheet.row_label(tk[1])}等于上年报告的{spec.sheet(lk[0]).row_label(lk[1])}",
                check.where,
                sum_formula(left),
                "==",
                sum_formula(right),
                "请按上年报告填写上年结转（“上年数据”表中是上年报告的数字）",
                check=check,
                verdict=(a, b, holds(a, "==", b)),
            )
        )
    for s in links(spec).stock:
        sheet = spec.sheet(s.this.sheet)
        first = s.this.cells()[0]
        # this + removals = last + additions: the same equation, written with sums only
        left = (s.this, *s.minus)
        right = tuple(_previous_ref(spec, (s.last.sheet, x)) for x in s.last.cells()) + s.plus
        a = ev.sum(left)
        b = sum(last.number(s.last.sheet, x) for x in s.last.cells() if _usable(last, (s.last.sheet, x))) + ev.sum(
            s.plus
        )
        title = (
            f"本年{sheet.col_label(first)}加{'、'.join(sheet.col_label(r.cells()[0]) for r in s.minus)}"
            f"等于上年{sheet.col_label(first)}加{'、'.join(sheet.col_label(r.cells()[0]) for r in s.plus)}"
        )
        check = Check(
            "Y2", "warning", s.this.sheet, title, "", f"{sheet.short}“{sheet.row_label(first)}”行", left, "==", right
        )
        rows.append(
            LiveRow(
                "Y2",
                "warning",
                title,
                check.where,
                sum_formula(left),
                "==",
                sum_formula(right),
                "文件因有效期届满等原因失效时可能不相等，请核实",
                check=check,
                verdict=(a, b, holds(a, "==", b)),
            )
        )
    return rows


def write_previous_sheet(wb, spec: Spec, last: FilledReport, password: str, formats: dict) -> None:
    """The hidden, locked sheet holding last year's figures (xlsxwriter workbook `wb`)."""
    ws = wb.add_worksheet(PREVIOUS_SHEET)
    ws.set_column("A:A", 8)
    ws.set_column("B:B", 40)
    ws.set_column("C:C", 24)
    ws.set_column("D:D", 12)
    ws.write("A1", "上年报告的数字（gktool new --previous 写入，供“校验”表比较；请勿修改）", formats["title"])
    ws.write(
        "A2", f"来源：{Path(shown_path(last.source)).name}（{last.unit or ''}{last.year or ''}年度）", formats["note"]
    )
    for col, text in enumerate(["表格", "行", "列", "上年数字"]):
        ws.write(2, col, text, formats["header"])
    for i, (sheet_name, cell) in enumerate(previous_cells(spec)):
        sheet = spec.sheet(sheet_name)
        r = PREVIOUS_FIRST_ROW + i
        ws.write(f"A{r}", sheet.short, formats["label"])
        ws.write(f"B{r}", sheet.row_label(cell), formats["label"])
        ws.write(f"C{r}", sheet.col_label(cell), formats["label"])
        key = (sheet_name, cell)
        if _usable(last, key):
            ws.write_number(f"D{r}", tidy(last.number(*key)), formats["value"])
        else:
            ws.write_blank(f"D{r}", None, formats["value"])
    ws.hide()
    ws.protect(password)


# ----------------------------------------------------------------- gktool report --previous
def _count(x: float) -> str:
    return str(tidy(x))


def change_phrase(now: float, before: float) -> str:
    """'较上年增加6件、增长27.3%'; no percentage where last year's figure was 0."""
    diff = now - before
    if abs(diff) <= TOLERANCE:
        return "与上年持平"
    word, rate = ("增加", "增长") if diff > 0 else ("减少", "下降")
    text = f"较上年{word}{_count(abs(diff))}件"
    if before > 0:
        text += f"、{rate}{round(100 * abs(diff) / before, 1):g}%"
    return text


def year_on_year(this: FilledReport, last: FilledReport, section: str) -> str:
    """The year-on-year sentence for a generated paragraph; empty when last year's figures are missing."""
    if y5_identity(this, last):
        return ""  # another year or unit: comparing would mislead
    parts = []
    for f in links(this.spec).year_on_year:
        if f.section != section:
            continue
        keys = [(r.sheet, x) for r in f.cells for x in r.cells()]
        if not all(_usable(this, k) and _usable(last, k) for k in keys):
            continue  # never invent last year's figure
        now, before = sum(this.number(*k) for k in keys), sum(last.number(*k) for k in keys)
        if now == 0 and before == 0:
            continue  # nothing either year: not worth a clause
        parts.append(f"{f.what}{_count(now)}件，{change_phrase(now, before)}")
    if not parts:
        return ""
    year = f"{last.year}年" if last.year else "上年"
    return f"与{year}相比，" + "；".join(parts) + "。"
