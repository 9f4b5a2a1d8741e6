"""A published report (Word, web page, PDF) as read: tables by their labels, narrative by its headings."""

from __future__ import annotations

import re
from pathlib import Path

from ..findings import Finding
from ..model import FilledReport, Place
from ..spec import Spec
from .grid import Document
from .labels import build_report, period_year

NUMERALS = "一二三四五六七八九十"
HEADING = re.compile(r"^\s*([一二三四五六七八九十])\s*[、.．]\s*(.{0,40})$")


def _bare(text: str) -> str:
    return re.sub(r"[\s（）()、.．：:]", "", text)


def split_sections(text: str, headings: dict[str, list[str]] | None = None) -> dict[str, str]:
    """The narrative by its top-level headings 一、… 六、, in order: numbered lines, or (styled headings
    whose number is not in the text) a line that is exactly a section's heading or a known variant."""
    by_name = {_bare(h): k for k, names in (headings or {}).items() for h in names}
    sections: dict[str, list[str]] = {}
    current, last = None, -1
    for line in text.splitlines():
        m = HEADING.match(line)
        key = (
            m.group(1)
            if m and len(line.strip()) <= 40
            else by_name.get(_bare(line))
            if len(line.strip()) <= 40
            else None
        )
        if key is not None and NUMERALS.index(key) > last:
            current, last = key, NUMERALS.index(key)
            sections[current] = []
            continue
        if current is not None:
            sections[current].append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


def _headings(spec: Spec) -> dict[str, list[str]]:
    names = {s.section: [s.heading] for s in spec.sheets if s.section}
    for key, variants in spec.published.heading_variants:
        names.setdefault(key, []).extend(variants)
    return names


def _fee(spec: Spec, report: FilledReport, sheet, text: str, findings: list[Finding]) -> None:
    """The 信息处理费 as section 六 states it; said nowhere, the fields stay unread, with a warning."""
    pub = spec.published
    count, amount = spec.field_cells.get("fee_count"), spec.field_cells.get("fee_amount")
    if count is None or amount is None or count.sheet != sheet.name:
        return
    place = Place(f"{sheet.section}、{sheet.heading}", "正文", f"第{sheet.section}部分 {sheet.heading}")
    keys = {(count.sheet, count.cell): None, (amount.sheet, amount.cell): None}
    if pub.fee_none is not None and pub.fee_none.search(text):
        keys = dict.fromkeys(keys, 0.0)
    else:
        m = pub.fee_amount.search(text) if pub.fee_amount is not None else None
        if m:
            keys[(amount.sheet, amount.cell)] = float(m.group(1))
        m = pub.fee_count.search(text) if pub.fee_count is not None else None
        if m:
            keys[(count.sheet, count.cell)] = float(next(g for g in m.groups() if g))
    for key, value in keys.items():
        report.places[key] = place
        report.unread.discard(key)
        if value is None:  # not stated: blank, as in a workbook, so K4 says it is missing
            report.values.pop(key, None)
        else:
            report.values[key] = value
            report.printed[key] = str(int(value)) if value.is_integer() else str(value)


def _contacts(spec: Spec, report: FilledReport, text: str) -> None:
    """The cover as a published report prints it: the website, address and phone found in the text
    (blank when not found, so K1 says so), the unit and year from the title; the rest unread."""
    patterns = dict(spec.published.contacts)
    unit, year = spec.field_cells.get("unit"), spec.field_cells.get("year")
    if not patterns or unit is None:
        return
    cover = spec.sheet(unit.sheet)
    place = Place("正文", "正文", "报告正文")
    report.absent.discard(cover.name)
    for f in cover.fields:
        key = (cover.name, cover.field_cell(f.key).cell)
        if f.key in patterns:
            m = patterns[f.key].search(text)
            found = next((g for g in m.groups() if g), m.group(0)).strip() if m else ""
            report.values[key] = found
            report.places[key] = place
            if found:
                report.printed[key] = found
        elif f.key == "unit" and report.unit:
            report.values[key] = report.unit
        elif year is not None and f.key == "year" and report.year:
            report.values[key] = float(report.year)
        else:  # not printed as such in a published report
            report.unread.add(key)


def report_from_document(doc: Document, source: str, spec: Spec) -> tuple[FilledReport, list[Finding]]:
    """A published report's Document as the filled report, plus the reader's and the matcher's findings."""
    lines = [doc.title] + (doc.text or "").splitlines()[:15] + [Path(source).stem]
    report, findings = build_report(spec, source, doc.kind, doc.grids, lines, doc.text or "")
    if report.year is None:  # no title with a year: the statistics period, when the text states one
        report.year = period_year(doc.text)
    sections = split_sections(doc.text or "", _headings(spec))
    for sheet in spec.sheets:
        if sheet.kind != "form" or not sheet.section:
            continue
        text = sections.get(sheet.section)
        if text is None:
            continue
        narrative = [f for f in sheet.fields if f.type == "narrative"]
        if not narrative:
            continue
        cell = sheet.field_cell(narrative[0].key)
        report.values[(sheet.name, cell.cell)] = text
        report.places[(sheet.name, cell.cell)] = Place(
            f"{sheet.section}、{sheet.heading}", "正文", f"第{sheet.section}部分 {sheet.heading}"
        )
        report.absent.discard(sheet.name)
        for f in sheet.fields:  # other text fields of the section are not printed as such: unread
            c = sheet.field_cell(f.key)
            if f.key != narrative[0].key:
                report.unread.add((sheet.name, c.cell))
        _fee(spec, report, sheet, text, findings)
    _contacts(spec, report, doc.text or "")
    return report, list(doc.findings) + findings
