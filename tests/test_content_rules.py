"""The content rules on the model: a FilledReport with inline values, checked by `check_report` (no file at all).

Each case changes the bundled example's values the way a clerk's mistake would and names the rule and the cells
it must be found at. The xlsx round trips in test_validate.py stay for what only a file can show (S*, F*, the
readers' T*, E0); these run in milliseconds."""

from __future__ import annotations

import copy

import pytest

from gktool.checks.catalogue import catalogue
from gktool.checks.content import check_report
from gktool.model import FilledReport

A, B, C = "二、主动公开", "三、依申请公开", "四、复议诉讼"
COVER, S1, S5, S6 = "封面", "一、总体情况", "五、问题及改进", "六、其他事项"


def report(spec, values, edits=(), printed=None, kind="gktool") -> FilledReport:
    """The example report with `edits` typed in; `printed` totals stand as a source printed them (not formulas)."""
    changed = dict(values) | dict(edits)
    r = FilledReport.from_values(spec, changed, source="例.xlsx", kind=kind)
    for key, value in (printed or {}).items():
        r.values[key] = value
        r.live.discard(key)
    return r


def field_key(spec, name):
    c = spec.field_cells[name]
    return (c.sheet, c.cell)


# rule -> (edits, printed totals, the cells the finding must name)
CASES = {
    "C1": (lambda s: {field_key(s, "year"): None}, None, None),
    "C2": (lambda s: {field_key(s, "overview"): "统计期限为2022年1月1日至12月31日。"}, None, None),
    "K1": (lambda s: {field_key(s, "phone"): None, field_key(s, "address"): ""}, None, None),
    "K2": (lambda s: {field_key(s, "overview"): ""}, None, None),
    "K3": (
        lambda s: {(sh.name, c.cell): None for sh in s.sheets if sh.kind == "table" for c in sh.inputs},
        None,
        None,
    ),
    "K4": (lambda s: {field_key(s, "fee_count"): None}, None, None),
    "R1": (lambda s: {(B, "E28"): 1}, None, None),
    "R2": (lambda s: {}, {(B, "D27"): 30.0}, None),
    "R3": (lambda s: {}, {(B, "J6"): 13.0}, None),
    "R4": (lambda s: {}, {(C, "E4"): 3.0}, None),
    "R5": (lambda s: {(B, "G6"): -1.0}, None, ["G6"]),
    "R6": (lambda s: {(A, "D4"): 2.0}, None, None),
    "R7": (lambda s: {(A, "B14"): 21577900.129}, None, ["B14"]),
    "R9": (lambda s: {field_key(s, "request"): "全年办结政府信息公开申请25件，结转下年度继续办理4件。"}, None, None),
    "X1": (lambda s: {field_key(s, "fee_count"): 40.0, field_key(s, "fee_amount"): 100.0}, None, None),
    "X2": (lambda s: {field_key(s, "fee_count"): 1.0}, None, None),
}


def test_the_example_is_clean(spec, example_values):
    assert check_report(report(spec, example_values)) == []


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fails_on_the_model(rule, spec, example_values):
    edits, printed, cells = CASES[rule]
    found = check_report(report(spec, example_values, edits(spec), printed))
    hits = [f for f in found if f.rule == rule]
    assert hits, [(f.rule, f.message) for f in found]
    assert hits[0].severity == {r.id: r.severity for r in catalogue(spec)}[rule]
    if cells is not None:
        assert list(hits[0].cells[: len(cells)]) == cells, hits[0].cells


def test_every_content_rule_has_a_model_case(spec):
    """The rules that are functions of the model alone (not of a file's structure, formulas or reading)."""
    content = {r.id for r in catalogue(spec) if r.id[0] in "CKRX" and r.id not in ("R11",)}
    assert content == set(CASES)


def test_check_report_does_not_change_the_report(spec, example_values):
    """A negative count flags its cell for the rule run, not in the report: a second run finds the same."""
    r = report(spec, example_values, {(B, "G6"): -1.0, (B, "F6"): 2.5})
    before = copy.deepcopy((r.values, r.flagged, r.unread, r.live, r.absent))
    first = check_report(r)
    assert (r.values, r.flagged, r.unread, r.live, r.absent) == before
    assert check_report(r) == first


def test_unread_cells_are_not_blamed(spec, example_values):
    """A cell a reader could not read is not a broken sum: its reader already said so."""
    values = dict(example_values) | {(B, "F6"): 5.0}
    printed = {(B, "J6"): FilledReport.from_values(spec, values).number(B, "J6")}  # the row's total as printed
    r = report(spec, values, {(B, "F6"): None}, printed)
    assert {f.rule for f in check_report(r) if f.rule.startswith("R")} == {"R2", "R3"}  # F6 reads 0: short
    r.unread.add((B, "F6"))
    assert not [f for f in check_report(r) if f.rule.startswith("R")]


def test_a_blank_fee_count_is_k4_not_a_pair_mismatch(spec, example_values):
    """A report that states the fee's amount but not the number of applications: K4 says the count is missing;
    X2 does not call the blank a 0."""
    found = check_report(
        report(spec, example_values, {field_key(spec, "fee_count"): None, field_key(spec, "fee_amount"): 3940.0})
    )
    assert "K4" in {f.rule for f in found} and "X2" not in {f.rule for f in found}
