"""The year-on-year clauses of the Word report's generated paragraphs (`gktool report --previous`).

Which figures are compared is the spec's [cross_year] year_on_year list; a figure missing either year is left
out, never invented."""

from __future__ import annotations

from ..checks.crossyear import y5_identity
from ..compute import TOLERANCE, tidy
from ..model import FilledReport


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
    for f in this.spec.cross_year.year_on_year:
        if f.section != section:
            continue
        keys = [(r.sheet, x) for r in f.cells for x in r.cells()]
        if not all(this.usable(k) and last.usable(k) for k in keys):
            continue  # never invent last year's figure
        now, before = sum(this.number(*k) for k in keys), sum(last.number(*k) for k in keys)
        if now == 0 and before == 0:
            continue  # nothing either year: not worth a clause
        parts.append(f"{f.what}{_count(now)}件，{change_phrase(now, before)}")
    if not parts:
        return ""
    year = f"{last.year}年" if last.year else "上年"
    return f"与{year}相比，" + "；".join(parts) + "。"
