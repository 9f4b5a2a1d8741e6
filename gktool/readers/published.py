"""A published report (Word, web page, PDF) as read: tables by their labels, narrative by its headings."""
from __future__ import annotations

import re
from pathlib import Path

from ..findings import Finding
from ..model import FilledReport, Place
from ..spec import Spec
from .grid import Document
from .labels import build_report

NUMERALS = "一二三四五六七八九十"
HEADING = re.compile(r"^\s*([一二三四五六七八九十])\s*[、.．]\s*(.{0,40})$")


def split_sections(text: str) -> dict[str, str]:
    """The narrative by its top-level headings 一、… 六、 (styled or typed), in order."""
    sections: dict[str, list[str]] = {}
    current, last = None, -1
    for line in text.splitlines():
        m = HEADING.match(line)
        if m and NUMERALS.index(m.group(1)) > last and len(line.strip()) <= 40:
            current, last = m.group(1), NUMERALS.index(m.group(1))
            sections[current] = []
            continue
        if current is not None:
            sections[current].append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


def report_from_document(doc: Document, source: str, spec: Spec) -> tuple[FilledReport, list[Finding]]:
    """A published report's Document as the filled report, plus the reader's and the matcher's findings."""
    lines = [doc.title] + (doc.text or "").splitlines()[:15] + [Path(source).stem]
    report, findings = build_report(spec, source, doc.kind, doc.grids, lines)
    sections = split_sections(doc.text or "")
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
        report.places[(sheet.name, cell.cell)] = Place(f"{sheet.section}、{sheet.heading}", "正文",
                                                       f"第{sheet.section}部分 {sheet.heading}")
        report.absent.discard(sheet.name)
        # numbers the narrative states (the fee) are not read from text: they stay unread
        for f in sheet.fields:
            if f.type != "narrative":
                c = sheet.field_cell(f.key)
                report.unread.add((sheet.name, c.cell))
    return report, list(doc.findings) + findings
