"""The office's run as data: each unit's checked submission, the roster and its name rule, and the sums.

A collecting office (政务公开办) receives 30–100 reports a year, a province thousands. `Collection` takes the
checked files one at a time (streaming: the values of each file go to a spill file on disk, so memory stays
flat in the number of files), then decides, once everything is in, the collection year, the roster matches,
duplicates and which units are summed. It reads no file: `collect.py` checks the files and feeds it, and
writers/summary.py writes the result as one workbook.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .contract import DETAIL_SHEET, STATUS_SHEET
from .findings import Finding, status_word
from .model import Analysis
from .names import plain_name
from .spec import TEXT_TYPES, Spec, load_spec
from .value_cells import official_labels

VERDICT_ORDER = ("无法读取", "不通过", "未能完整读取", "未提交", "有警告", "通过")
MATCH_EXACT, MATCH_CLOSE, MATCH_OTHER = "一致", "近似，请确认", "不一致"


@dataclass(frozen=True)
class ValueKey:
    """One number a unit reports: its spec key and the official labels a person reads."""

    sheet: str
    cell: str
    table: str  # "二", "三", "四"; "六" for the fee fields
    row: str
    column: str
    input: bool  # a value the unit fills in (summed); else a total as the unit stated it
    decimals: int | None


def value_keys(spec: Spec) -> tuple[ValueKey, ...]:
    """Every number of a report in a fixed order: the three tables, then the numeric form fields."""
    out = []
    for sheet, cell, table, row, column in official_labels(spec):
        c = spec.sheet(sheet).spec_cell(cell)
        t = spec.types.get(c.type)
        out.append(
            ValueKey(
                sheet,
                cell,
                table,
                row,
                column,
                c.kind == "input",
                t.decimals if t is not None and not t.integer else None,
            )
        )
    for s in spec.sheets:
        if s.kind != "form":
            continue
        for f in s.fields:
            t = spec.types[f.type]
            if f.type in TEXT_TYPES or not t.numeric or f.key in ("year",):
                continue
            c = s.field_cell(f.key)
            out.append(
                ValueKey(s.name, c.cell, s.section or s.name, f.label, "", True, t.decimals if not t.integer else None)
            )
    return tuple(out)


@dataclass
class Submission:
    """One row of the 状态 sheet: a file received, or a roster unit with no file (path None)."""

    index: int  # order of the file in the run; roster-only rows after the files
    path: str | None
    kind: str | None = None
    unit: str | None = None  # as read from the file (cover, title or file name)
    year: int | None = None
    errors: int = 0
    warnings: int = 0
    messages: tuple[str, ...] = ()  # the first three findings, errors first
    unreadable: bool = False
    readable: bool = False  # values were read (a spill record exists)
    same_format: bool = True  # read with the collection's spec
    roster: str | None = None  # the roster name it was matched to
    match: str = ""  # MATCH_EXACT, MATCH_CLOSE or ""
    notes: list[str] = field(default_factory=list)  # duplicates, wrong year, not on roster, ...
    included: bool = False
    link: str | None = None  # serve: the unit whose upload link received the file (it decides whose it is)
    partial: int = 0  # places gktool could not read numbers the file prints (P3): never summed as if read

    @property
    def verdict(self) -> str:
        """通过 / 有警告 / 不通过 / 未能完整读取 / 无法读取 / 未提交."""
        if self.path is None:
            return "未提交"
        return status_word(self.unreadable, self.errors, bool(self.partial), self.warnings)

    @property
    def name(self) -> str:
        """The unit as the 状态 sheet shows it: the roster's name where matched."""
        return self.roster or self.unit or (Path(self.path).stem if self.path else "")

    def sort_key(self):
        """Rows that need action first: unreadable, failing, missing, flagged, warnings, passed."""
        group = VERDICT_ORDER.index(self.verdict)
        warned = VERDICT_ORDER.index("有警告")
        if group >= warned and self.notes:  # a passing file that needs confirming comes before the warnings
            group = warned - 0.5
        return (group, self.name, self.path or "")


# ------------------------------------------------------------------ names and the roster
_PLACEHOLDER = re.compile(r"[×xXＸｘ*＊○〇□]+")
_ABBREV = (
    ("中国共产党", "中共"),
    ("人民政府", "政府"),
    ("办公室", "办"),
    ("委员会", "委"),
    ("街道办事处", "街道"),
    ("管理委员会", "管委"),
)
_REGION = re.compile(r"^.{0,8}?(?:自治县|自治州|自治区|自治旗|特别行政区|省|市|州|盟|县|区|旗)")


def canonical_name(name: str) -> str:
    """A name with placeholders (××县) and the usual long forms reduced: 人民政府办公室 -> 政府办."""
    text = _PLACEHOLDER.sub("", plain_name(name))
    for long, short in _ABBREV:
        text = text.replace(long, short)
    return text


def _without_region(text: str) -> str:
    # a place is named with or without its government: 宁安镇 = 宁安镇人民政府, 中宁县 = 中宁县人民政府
    if len(text) > 3 and text.endswith("政府") and text[-3] in "镇乡县区市旗州道":
        text = text[:-2]
    m = _REGION.match(text)
    return text[m.end() :] if m and len(text) - m.end() >= 2 else text


def _region(text: str) -> str:
    """The place a canonical name starts with (中宁县 in 中宁县教育局); "" when it names none (县政府办)."""
    m = _REGION.match(text)
    return text[: m.end()] if m and m.end() >= 2 and len(text) - m.end() >= 2 else ""


def _same_region(a: str, b: str) -> bool:
    # 教育局 may be 中宁县教育局, but 固原市教育局 is never 中宁县教育局: two named places must agree
    ra, rb = _region(a), _region(b)
    return not ra or not rb or ra.endswith(rb) or rb.endswith(ra)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _closeness(a: str, b: str) -> float:
    """How well two canonical names match: 1 equal; else the abbreviation's share of the full
    name when one is the other with characters left out (发改局 in 发展和改革局); 0 no match."""
    if a == b:
        return 1.0
    short, long = sorted((a, b), key=len)
    if len(short) < 2 or short[-1] != long[-1]:  # the kind of body (局, 办, 镇, 委) must agree
        return 0.0
    return len(short) / len(long) * 0.99 if _subsequence(short, long) else 0.0


class Roster:
    """The list of units expected to submit, and the matching of names to it."""

    def __init__(self, names: Iterable[str]):
        seen, self.names = set(), []
        for n in names:
            n = " ".join(str(n).split())
            if n and plain_name(n) not in seen:
                seen.add(plain_name(n))
                self.names.append(n)
        self._plain = {plain_name(n): n for n in self.names}
        self._canon = [(n, canonical_name(n), _without_region(canonical_name(n))) for n in self.names]

    def match(self, *names: str | None) -> tuple[str | None, str, list[str]]:
        """(roster name, MATCH_EXACT or MATCH_CLOSE, other candidates) for the first of `names` that
        matches; (None, "", candidates) when nothing does or several fit equally well."""
        for name in names:
            if name and plain_name(name) in self._plain:
                return self._plain[plain_name(name)], MATCH_EXACT, []
        tied: list[str] = []
        for name in names:
            if not name:
                continue
            canon = canonical_name(name)
            bare = _without_region(canon)
            scored = []
            for roster_name, rc, rbare in self._canon:
                if not _same_region(canon, rc):
                    continue
                score = max(_closeness(canon, rc), _closeness(bare, rbare))
                if score > 0:
                    scored.append((score, roster_name))
            if not scored:
                continue
            best = max(s for s, _ in scored)
            top = sorted(n for s, n in scored if s == best)
            if len(top) == 1:
                return top[0], MATCH_CLOSE, []
            tied = tied or top
        return None, "", tied


def unit_mismatch(link_unit: str, file_unit: str | None) -> bool:
    """Whether a file names a unit other than the one it was submitted for (by the roster's name rule)."""
    return bool(file_unit) and Roster([link_unit]).match(file_unit)[0] is None


def mismatch_finding(link_unit: str, file_unit: str | None) -> Finding | None:
    """The error an upload gets when the file is another unit's report (serve): it is not counted."""
    if not unit_mismatch(link_unit, file_unit):
        return None
    return Finding(
        "C1",
        "error",
        "",
        (),
        f"文件中的单位是“{file_unit}”，不是报送单位“{link_unit}”：这份文件不算本单位的报送，也不纳入汇总。"
        "请确认是否选错了文件或用错了链接（每个单位只用自己的链接上传本单位的报告）。",
        None,
        file_unit,
    )


# ------------------------------------------------------------------ the collection
class Collection:
    """Checked files added one at a time; `finish()` then decides years, roster, duplicates, sums.

    Each file's numbers go to a spill file (pickle records in file order) rather than memory;
    `records()` streams them back. Use as a context manager so the spill file is removed."""

    def __init__(
        self,
        spec: Spec | None = None,
        roster: Roster | None = None,
        year: int | None = None,
        include_failing: bool = False,
        include_unlisted: bool = False,
    ):
        self.spec = spec or load_spec()
        self.keys = value_keys(self.spec)
        self._key_index = [(k.sheet, k.cell) for k in self.keys]
        self.roster = roster
        self.year = year
        self.year_given = year is not None
        self.include_failing = include_failing
        self.include_unlisted = include_unlisted  # sum units not on the roster too (only when asked)
        self.submissions: list[Submission] = []
        self._dir = tempfile.TemporaryDirectory(prefix="gktool-collect-")
        self._spill_path = Path(self._dir.name) / "values.pickle"
        self._spill = open(self._spill_path, "wb")
        self.finished = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Remove the spill file."""
        if not self._spill.closed:
            self._spill.close()
        self._dir.cleanup()

    # ------------------------------------------------------------ streaming in
    def add(self, analysis: Analysis, link: str | None = None) -> Submission:
        """Take one checked file: keep its verdict, spill its numbers, drop the rest.

        `link` (serve): the unit whose upload link received the file; a file naming another unit is not summed."""
        result, report = analysis.result, analysis.report
        findings = sorted(result.findings, key=lambda f: f.severity != "error")
        sub = Submission(
            len(self.submissions),
            result.file,
            result.kind,
            result.unit,
            result.year,
            result.errors,
            result.warnings,
            tuple(f.message for f in findings[:3]),
            result.unreadable,
            link=link,
            partial=result.unread_by_gktool,
        )
        if report is not None and result.kind == "gktool" and {STATUS_SHEET, DETAIL_SHEET} <= set(report.sheet_names):
            sub.notes.append("这是 gktool collect 生成的汇总工作簿，不是单位的报告，未纳入汇总")
            report = None
        if report is not None:
            if (report.spec.id, report.spec.version) != (self.spec.id, self.spec.version):
                sub.same_format = False
            else:
                sub.readable = True
                values, places = [], []
                for sheet, cell in self._key_index:
                    key = (sheet, cell)
                    v = report.values.get(key)
                    values.append(
                        None
                        if key in report.unread or not isinstance(v, (int, float)) or isinstance(v, bool)
                        else float(v)
                    )
                    places.append(report.place(sheet, cell).at if report.has(sheet) else "")
                pickle.dump((sub.index, values, places), self._spill, protocol=pickle.HIGHEST_PROTOCOL)
        self.submissions.append(sub)
        return sub

    def records(self) -> Iterator[tuple[int, list[float | None], list[str]]]:
        """(submission index, values in `keys` order, source places) for every readable file, in file order."""
        if not self._spill.closed:
            self._spill.flush()
        with open(self._spill_path, "rb") as fh:
            while True:
                try:
                    yield pickle.load(fh)
                except EOFError:
                    return

    # ------------------------------------------------------------ deciding
    def finish(self) -> None:
        """Collection year, roster matches, duplicates, wrong years and which files are summed."""
        if self.finished:
            return
        self.finished = True
        self._spill.close()
        files = [s for s in self.submissions if s.path is not None]
        if self.year is None:
            years = Counter(s.year for s in files if s.year is not None and s.readable)
            self.year = min(years, key=lambda y: (-years[y], -y)) if years else None
        for s in files:
            if not s.same_format:
                s.notes.append("报告格式与本次汇总不同，未纳入汇总")
            if s.year is not None and self.year is not None and s.year != self.year and not s.unreadable:
                s.notes.append(f"年度不符：文件是 {s.year} 年，本次汇总 {self.year} 年")
            elif s.year is None and s.readable:
                s.notes.append("未读出报告年度，请核实")
        if self.roster is not None:
            self._match_roster(files)
        groups: dict[tuple, list[Submission]] = {}
        for s in files:  # the same unit's report for the same year, more than once
            key = plain_name(s.roster) if s.roster else canonical_name(s.unit or "")
            if key and s.readable:
                groups.setdefault((key, s.year), []).append(s)
        for s in files:
            if s.readable and s.partial:  # a number gktool could not read would be summed as 0: a wrong total
                s.notes.append(
                    f"gktool 有 {s.partial} 处未能读出文件中印着的数字，未纳入汇总（请提交工作簿或原始文件）"
                )
            s.included = (
                s.readable
                and not s.partial
                and (s.errors == 0 or self.include_failing)
                and (s.year is None or self.year is None or s.year == self.year)
                and s.match != MATCH_OTHER
                and (self.roster is None or s.roster is not None or self.include_unlisted)
            )
        for members in groups.values():
            if len(members) < 2:
                continue
            chosen = [m for m in members if m.included]
            keep = min(chosen, key=lambda m: (m.errors, m.warnings, -m.index)) if chosen else None
            names = "、".join(Path(m.path).name for m in members[:5]) + ("等" if len(members) > 5 else "")
            for m in members:
                m.notes.append(f"重复提交：同一单位共 {len(members)} 个文件（{names}）")
                if m.included and m is not keep:
                    m.included = False
                    m.notes.append(f"未纳入汇总（已采用 {Path(keep.path).name}）")
        if self.roster is not None:
            found = {s.roster for s in files if s.roster}
            for name in self.roster.names:
                if name not in found:
                    self.submissions.append(Submission(len(self.submissions), None, roster=name))

    def _match_roster(self, files: list[Submission]) -> None:
        for s in files:
            if s.link is not None:  # an upload belongs to the unit whose link received it
                s.roster, s.match = self.roster.match(s.link)[0] or s.link, MATCH_EXACT
                if unit_mismatch(s.link, s.unit):
                    s.match = MATCH_OTHER
                    s.notes.append(f"文件中的单位是“{s.unit}”，不是报送单位“{s.link}”，未纳入汇总")
                continue
            stem = Path(s.path).stem
            name, how, tied = self.roster.match(s.unit, stem)
            s.roster, s.match = name, how
            if name is None:
                maybe = f"（可能是：{'、'.join(tied[:3])}）" if tied else ""
                if not s.unit:  # nothing to match but the file name
                    maybe = "（文件中没有读出单位名称，文件名也不是名单中的单位）" + maybe
                if self.include_unlisted:
                    s.notes.append(f"不在名单中{maybe}，按 --include-unlisted 纳入汇总")
                else:
                    s.notes.append(
                        f"不在名单中{maybe}，未纳入汇总（确属应汇总的单位请加入名单，或加 --include-unlisted）"
                    )
            elif how == MATCH_CLOSE:
                s.notes.append(f"名称与名单不完全一致：“{s.unit or stem}”按“{name}”计，请确认")

    # ------------------------------------------------------------ results
    @property
    def included(self) -> list[Submission]:
        """The files whose numbers are summed, in file order."""
        return [s for s in self.submissions if s.included]

    def sums(self) -> dict[tuple[str, str], float]:
        """The sum of the included units' input values, by spec key (blank counts as 0)."""
        self.finish()
        wanted = {s.index for s in self.submissions if s.included}
        totals = [0.0] * len(self.keys)
        for index, values, _ in self.records():
            if index in wanted:
                for i, v in enumerate(values):
                    if v is not None:
                        totals[i] += v
        out = {}
        for k, total in zip(self.keys, totals, strict=True):
            if k.input:
                out[(k.sheet, k.cell)] = round(total, k.decimals) if k.decimals is not None else round(total)
        return out

    def rows(self) -> list[Submission]:
        """The 状态 rows, those needing action first."""
        self.finish()
        return sorted(self.submissions, key=Submission.sort_key)

    def counts(self) -> dict[str, int]:
        """How many rows have each 结论, plus flagged, included and files."""
        self.finish()
        c = Counter(s.verdict for s in self.submissions)
        out = {v: c.get(v, 0) for v in VERDICT_ORDER}
        out["文件"] = sum(s.path is not None for s in self.submissions)
        out["纳入汇总"] = sum(s.included for s in self.submissions)
        out["需核实"] = sum(bool(s.notes) for s in self.submissions)
        return out
