"""Findings are data: frozen records collected per file and rendered at the edge."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from .errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_INPUT


def _json_number(x):
    """inf/nan (sums of absurd values) are not JSON numbers: give them as text."""
    return str(x) if isinstance(x, float) and not math.isfinite(x) else x


@dataclass(frozen=True)
class Finding:
    """One problem found: rule id, severity, where (sheet and cells) and a Chinese message."""

    rule: str
    severity: str  # "error" | "warning"
    sheet: str
    cells: tuple[str, ...]
    message: str  # Chinese: where, what, how to fix
    expected: float | int | None = None
    actual: float | int | str | None = None

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "sheet": self.sheet,
            "cells": list(self.cells),
            "message": self.message,
            "expected": _json_number(self.expected),
            "actual": _json_number(self.actual),
        }


@dataclass
class Result:
    """The verdict on one file."""

    file: str
    format: str | None = None
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    kind: str | None = None  # what the file was read as: gktool, xlsx, xls, ods, xlsb, docx, html, pdf
    unit: str | None = None
    year: int | None = None

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def unread_by_gktool(self) -> int:
        """Findings where gktool could not read numbers printed in the file (not the report's fault)."""
        return sum(f.rule in INCOMPLETE_RULES for f in self.findings)

    @property
    def ok(self) -> bool:
        # a report read only in part is not 通过: gktool did not see all of it
        return self.errors == 0 and not self.unreadable and not self.unread_by_gktool

    @property
    def verdict(self) -> str:
        """无法读取 / 不通过 / 未能完整读取 / 通过."""
        if self.unreadable:
            return "无法读取"
        if self.errors:
            return "不通过"
        return "未能完整读取" if self.unread_by_gktool else "通过"

    @property
    def exit_code(self) -> int:
        """2 unreadable, 1 errors, 3 read only in part (no errors), 0 clean."""
        return {"无法读取": EXIT_INPUT, "不通过": EXIT_FINDINGS, "未能完整读取": EXIT_INCOMPLETE}.get(self.verdict, 0)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "ok": self.ok,
            "kind": self.kind,
            "format": self.format,
            "unit": self.unit,
            "year": self.year,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.as_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


SEVERITY_ZH = {"error": "错误", "warning": "警告"}


def status_word(unreadable: bool, errors: int, incomplete: bool, warnings: int) -> str:
    """A file's 结论 as an office reads it (collect's 状态, serve's board): 无法读取, 不通过, 未能完整读取, 有警告, 通过."""
    if unreadable:
        return "无法读取"
    if errors:
        return "不通过"
    if incomplete:
        return "未能完整读取"
    return "有警告" if warnings else "通过"


INCOMPLETE_RULES = {"P3"}  # gktool could not read what is printed: the verdict is 未能完整读取, not 不通过


def errors_first(findings: list) -> list:
    """Findings (or their dicts) with the errors before the warnings, each kind in its own order."""
    return sorted(findings, key=lambda f: (f["severity"] if isinstance(f, dict) else f.severity) != "error")


def render_text(result: Result, color: bool = False) -> str:
    """Chinese text for a person: findings grouped by sheet, then a summary line."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines = [paint(f"== {result.file}", "1")]
    by_sheet: dict[str, list[Finding]] = {}
    for f in errors_first(result.findings):  # what must be fixed before what should be checked
        by_sheet.setdefault(f.sheet or "（整个文件）", []).append(f)
    for sheet, items in by_sheet.items():
        lines.append(f"【{sheet}】")
        for f in items:
            tag = paint(f"[{SEVERITY_ZH[f.severity]} {f.rule}]", "31" if f.severity == "error" else "33")
            lines.append(f"  {tag} {f.message}")
    if result.unreadable:
        summary = paint("无法读取，未检查", "31;1")
    elif result.verdict == "未能完整读取":
        summary = paint(
            f"未能完整读取：gktool 有 {result.unread_by_gktool} 处未能读出（见上），读出的部分没有发现错误", "33;1"
        )
        summary += "；请核对这些数字，或提供 Word、网页版本后重新检查"
    elif result.ok:
        summary = paint("通过", "32;1") + (f"（{result.warnings} 个警告，请核实）" if result.warnings else "")
    else:
        summary = paint(f"不通过：{result.errors} 个错误", "31;1") + (
            f"，{result.warnings} 个警告" if result.warnings else ""
        )
        if result.unread_by_gktool:
            summary += f"（另有 {result.unread_by_gktool} 处 gktool 未能读出）"
    lines.append(f"结论：{summary}")
    return "\n".join(lines)
