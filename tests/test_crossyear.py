"""Last year's report against this year's: rules Y0–Y6, in every form last year's report can come in."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gktool.checks.catalogue import CROSS_YEAR, catalogue
from gktool.checks.crossyear import compare, copied_share
from gktool.filldata import load_fill
from gktool.names import unit_key
from gktool.readers import read_report
from gktool.refs import SpecProblem
from gktool.spec_crossyear import cross_year_problems, parse_cross_year
from gktool.validate import check_file, index_previous, validate_files
from gktool.writers.workbook import new_workbook

from .conftest import EXAMPLE_JSON
from .foreign import Layout, consistent_values, write_foreign
from .helpers import soffice_convert
from .test_validate import publishable

A, B, C = "二、主动公开", "三、依申请公开", "四、复议诉讼"
S1, S6 = "一、总体情况", "六、其他事项"


def this_values(spec) -> dict:
    """中宁县 2023 (the example), with 2 applications carried over from 2022."""
    v = dict(load_fill(spec, EXAMPLE_JSON))
    v[(B, "D4")], v[(B, "D5")] = 26, 2
    request = spec.field_cells["request"]
    v[(request.sheet, request.cell)] = v[(request.sheet, request.cell)].replace(
        "新收政府信息公开申请28件", "新收政府信息公开申请26件"
    )
    return v


def last_values(spec) -> dict:
    """A consistent 中宁县 2022 whose 结转下年度 and 现行有效 lead to this_values."""
    unit, year = spec.field_cells["unit"], spec.field_cells["year"]
    v = {
        (unit.sheet, unit.cell): "中宁县",
        (year.sheet, year.cell): 2022,
        (A, "B3"): 0,
        (A, "C3"): 0,
        (A, "D3"): 0,
        (A, "B4"): 5,
        (A, "C4"): 2,
        (A, "D4"): 35,  # 35 + 3 − 10 = 28
        (A, "B7"): 120000,
        (A, "B10"): 3800,
        (A, "B11"): 1500,
        (A, "B14"): 2000.5,
        (B, "D4"): 20,
        (B, "D5"): 1,
        (B, "D6"): 10,
        (B, "D7"): 2,
        (B, "D16"): 5,
        (B, "D19"): 2,
        (B, "D28"): 2,
        (C, "C4"): 1,
        (C, "H4"): 3,
    }
    overview = spec.field_cells["overview"]
    v[(overview.sheet, overview.cell)] = (
        "2022年，县政府办公室牵头组织各乡镇和部门梳理公开目录，重点围绕疫情防控、"
        "稳经济一揽子政策和乡村振兴发布信息，并对基层政务公开标准化规范化建设开展督导。"
    )
    return v


def write(tmp_path, name, values, spec) -> Path:
    path = tmp_path / name
    new_workbook(spec, path, values=values, force=True)
    return path


def ys(result):
    return [f for f in result.findings if f.rule.startswith("Y")]


def run(tmp_path, spec, this_change=None, last_change=None):
    this, last = this_values(spec), last_values(spec)
    this.update(this_change or {})
    last.update(last_change or {})
    return check_file(
        write(tmp_path, "this.xlsx", this, spec), previous=str(write(tmp_path, "last.xlsx", last, spec))
    ).result


# ----------------------------------------------------------------- the catalogue
def test_catalogue_lists_every_y_rule_once(spec):
    ids = [r.id for r in catalogue(spec)]
    assert [r.id for r in CROSS_YEAR] == ["Y0", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6"]
    assert ids[-7:] == [r.id for r in CROSS_YEAR] and len(ids) == len(set(ids))


# ----------------------------------------------------------------- each rule passing and failing
def _no_previous(tmp_path, spec):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x", encoding="utf-8")
    return check_file(
        write(tmp_path, "this.xlsx", this_values(spec), spec), previous=index_previous(tmp_path / "empty")
    ).result


Y_CASES = {
    "Y0": _no_previous,
    "Y1": lambda t, s: run(t, s, last_change={(B, "D28"): 3, (B, "D4"): 21}),
    "Y2": lambda t, s: run(t, s, last_change={(A, "D3"): 1}),
    "Y3": lambda t, s: run(t, s, last_change={(S1, "B4"): this_values(s)[(S1, "B4")].replace("2023", "2022")}),
    "Y4": lambda t, s: run(t, s, last_change={k: v for k, v in this_values(s).items() if k[0] in (A, B, C)}),
    "Y5": lambda t, s: run(t, s, last_change={(s.field_cells["year"].sheet, s.field_cells["year"].cell): 2021}),
    "Y6": lambda t, s: run(t, s, last_change={(C, "C4"): 30}),
}


def test_every_y_rule_has_a_case(spec):
    assert set(Y_CASES) == {r.id for r in CROSS_YEAR}


@pytest.mark.parametrize("rule", sorted(Y_CASES))
def test_y_rule_fails_with_its_catalogue_severity(rule, tmp_path, spec):
    result = Y_CASES[rule](tmp_path, spec)
    found = [f for f in result.findings if f.rule == rule]
    assert found, result.findings
    assert all(f.severity == {r.id: r.severity for r in CROSS_YEAR}[rule] for f in found)
    assert result.ok == all(f.severity == "warning" for f in result.findings)


def test_consistent_pair_has_no_cross_year_finding(tmp_path, spec):
    result = run(tmp_path, spec)
    assert result.ok and not result.findings, result.findings


def test_y1_names_the_column_both_numbers_and_both_files(tmp_path, spec):
    result = run(tmp_path, spec, last_change={(B, "D28"): 3, (B, "D4"): 21})
    (f,) = ys(result)
    assert (f.rule, f.severity, f.expected, f.actual) == ("Y1", "error", 3, 2)
    assert "“自然人”列" in f.message and " 2（" in f.message and " 3（" in f.message
    assert "last.xlsx" in f.message and f.cells == ("D5", "[last.xlsx]三、依申请公开!D28")
    assert not result.ok


def test_y1_every_column(tmp_path, spec):
    result = run(tmp_path, spec, last_change={(B, "F28"): 1, (B, "F4"): 1, (B, "I28"): 4, (B, "I4"): 4})
    found = sorted(f.cells[0] for f in ys(result))
    assert found == ["F5", "I5"] and {f.rule for f in ys(result)} == {"Y1"}
    assert "表三“科研机构”列" in ys(result)[0].message


def test_y2_stock_chain(tmp_path, spec):
    result = run(tmp_path, spec, last_change={(A, "D4"): 40})
    (f,) = ys(result)
    assert (f.rule, f.severity, f.expected, f.actual) == ("Y2", "warning", 33, 28)
    assert "行政规范性文件" in f.message and "现行有效件数 40" in f.message and "请核实" in f.message
    assert result.ok  # a warning: documents also lapse at the end of their term


def test_y3_copied_section_is_named_with_its_share(tmp_path, spec):
    request = spec.field_cells["request"]
    this = this_values(spec)
    copied = this[(request.sheet, request.cell)].replace("28件", "19件").replace("24件", "17件").replace("2023", "2022")
    result = run(tmp_path, spec, last_change={(request.sheet, request.cell): copied})
    (f,) = ys(result)
    assert f.rule == "Y3" and f.severity == "warning" and "（二）依申请公开" in f.message
    assert f.actual == 100 and "100%" in f.message and f.cells[-1].startswith("[last.xlsx]")


def test_y3_partly_rewritten_section_below_the_share_passes(tmp_path, spec):
    mgmt = spec.field_cells["management"]
    text = this_values(spec)[(mgmt.sheet, mgmt.cell)]
    half = (
        text.split("\n")[0]
        + "\n今年重点推进公文类信息公开属性源头认定，建立发布前法制审核与保密审查双审机制，完善政府信息公开指南和目录。"
    )
    result = run(
        tmp_path, spec, this_change={(mgmt.sheet, mgmt.cell): text}, last_change={(mgmt.sheet, mgmt.cell): half}
    )
    # last year's text covers only part of this year's
    assert not ys(result)
    share = copied_share(text, half)
    assert 0 < share < 0.8


def test_y3_never_flags_fixed_official_wording(tmp_path, spec):
    other = spec.field_cells["other"]
    fixed = f"根据{spec.fee_notice}规定的按件、按量收费标准，本年度没有产生信息处理费。本年度无其他需要报告的事项。"
    result = run(
        tmp_path, spec, this_change={(other.sheet, other.cell): fixed}, last_change={(other.sheet, other.cell): fixed}
    )
    assert not ys(result)
    # the same wording around a copied paragraph: the paragraph is still found
    copied = fixed + "全年组织政府开放日活动二十五场次，建成村务公开小程序并确定试点村，每个行政村配备信息员。"
    result = run(
        tmp_path, spec, this_change={(other.sheet, other.cell): copied}, last_change={(other.sheet, other.cell): copied}
    )
    assert [f.rule for f in ys(result)] == ["Y3"]


def test_y4_identical_tables(tmp_path, spec):
    this = this_values(spec)
    same = {k: v for k, v in this.items() if k[0] in (A, B, C)}
    result = run(tmp_path, spec, last_change=same | {(B, "D28"): 2, (B, "D4"): 24, (B, "D5"): 2})
    assert "Y4" not in {f.rule for f in ys(result)}  # one number differs: not a copy
    zero = {k: 0 for k in last_values(spec) if k[0] in (A, B, C)}
    result = run(tmp_path, spec, last_change=zero | {k: v for k, v in this.items() if k[0] in (A, B, C)})
    rules = [f.rule for f in ys(result)]
    assert "Y4" in rules and all(f.severity == "warning" for f in ys(result) if f.rule == "Y4")


def test_y4_two_empty_years_are_not_a_copy(tmp_path, spec):
    this = {k: v for k, v in this_values(spec).items() if k[0] not in (A, B, C)}
    last = {k: v for k, v in last_values(spec).items() if k[0] not in (A, B, C)}
    p, q = write(tmp_path, "this.xlsx", this, spec), write(tmp_path, "last.xlsx", last, spec)
    assert not ys(check_file(p, previous=str(q)).result)


def test_y5_wrong_year_stops_every_other_comparison(tmp_path, spec):
    year = spec.field_cells["year"]
    result = run(tmp_path, spec, last_change={(year.sheet, year.cell): 2021, (B, "D28"): 3, (B, "D4"): 21})
    (f,) = ys(result)
    assert (f.rule, f.severity, f.expected, f.actual) == ("Y5", "error", 2022, 2021)
    assert "2021" in f.message and "last.xlsx" in f.message


def test_y5_another_unit(tmp_path, spec):
    unit = spec.field_cells["unit"]
    result = run(tmp_path, spec, last_change={(unit.sheet, unit.cell): "沙坡头区", (A, "D4"): 40})
    assert [f.rule for f in ys(result)] == ["Y5"] and "沙坡头区" in ys(result)[0].message
    # the same unit written with 人民政府 and full-width spaces is the same unit
    assert not ys(run(tmp_path, spec, last_change={(unit.sheet, unit.cell): "中宁县　人民政府"}))
    assert unit_key("中宁县人民政府") == unit_key(" 中宁县") != unit_key("中宁县人民政府办公室")


def test_y6_swing_worded_please_verify(tmp_path, spec):
    result = run(tmp_path, spec, last_change={(B, "D4"): 150, (B, "D6"): 141})
    (f,) = ys(result)
    assert (f.rule, f.severity, f.expected, f.actual) == ("Y6", "warning", 150, 26)
    assert "请核实" in f.message and "本年新收政府信息公开申请" in f.message
    # below the floor on both sides: no swing
    small = run(tmp_path, spec, this_change={(C, "C4"): 0, (C, "A4"): 0}, last_change={(C, "C4"): 15})
    assert not ys(small)
    big = run(tmp_path, spec, last_change={(C, "C4"): 25})
    assert [f.rule for f in ys(big)] == ["Y6"] and "行政复议" in ys(big)[0].message


def test_unreadable_previous_is_one_clear_line(tmp_path, spec):
    this = write(tmp_path, "this.xlsx", this_values(spec), spec)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    out = subprocess.run(
        [sys.executable, "-m", "gktool.cli", "validate", str(this), "--previous", str(bad)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "上年报告无法读取" in out.stderr
    assert "Traceback" not in out.stderr
    both = subprocess.run(
        [
            sys.executable,
            "-m",
            "gktool.cli",
            "validate",
            str(this),
            "--previous",
            str(this),
            "--previous-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert both.returncode == 2 and "只能用一个" in both.stderr


def test_json_contract_unchanged(tmp_path, spec):
    this = write(tmp_path, "this.xlsx", this_values(spec), spec)
    last_v = last_values(spec) | {(B, "D28"): 3, (B, "D4"): 21}
    last = write(tmp_path, "last.xlsx", last_v, spec)
    out = subprocess.run(
        [sys.executable, "-m", "gktool.cli", "validate", str(this), "--previous", str(last), "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    line = json.loads(out.stdout)
    assert set(line) == {"file", "ok", "kind", "format", "unit", "year", "errors", "warnings", "findings"}
    (f,) = line["findings"]
    assert set(f) == {"rule", "severity", "sheet", "cells", "message", "expected", "actual"}
    assert f["rule"] == "Y1" and f["cells"][-1] == "[last.xlsx]三、依申请公开!D28"


# ----------------------------------------------------------------- last year's report in every form
def mismatched_last(spec) -> dict:
    """Last year's values giving Y1 (two columns), Y2 (both rows) and Y6."""
    return last_values(spec) | {
        (B, "D28"): 3,
        (B, "D4"): 150,
        (B, "D6"): 140,
        (B, "E28"): 1,
        (B, "E4"): 1,
        (A, "D4"): 40,
        (A, "D3"): 2,
    }


def with_totals(spec, values: dict) -> dict:
    """Table values with their totals stated, as a hand-made workbook prints them."""
    from gktool.compute import Evaluator
    from gktool.refs import parse_sum_formula

    out = {k: v for k, v in values.items() if k[0] in (A, B, C)}
    ev = Evaluator(spec, out)
    for s in spec.sheets:
        for cc in s.computed:
            out[(s.name, cc.cell)] = ev.sum(parse_sum_formula(cc.formula, s.name))
    return out


def inputs_only(spec, values: dict) -> dict:
    computed = {(s.name, c.cell) for s in spec.sheets for c in s.computed}
    return {k: v for k, v in values.items() if k not in computed}


def key_of(f):
    return (f.rule, f.severity, f.cells[0], f.expected, f.actual)


@pytest.mark.libreoffice
def test_previous_in_every_readable_form_gives_the_same_findings(tmp_path, spec):
    this = write(tmp_path, "this.xlsx", this_values(spec), spec)
    last = mismatched_last(spec)
    gk = write(tmp_path, "中宁县2022.xlsx", last, spec)
    foreign = tmp_path / "手工表.xlsx"
    write_foreign(
        foreign, spec, with_totals(spec, last), Layout(one_sheet=True, half_width=True), unit="中宁县", year=2022
    )
    ods, xls = soffice_convert([gk], tmp_path / "ods", "ods") + soffice_convert([foreign], tmp_path / "xls", "xls")
    answers = {}
    for prev in (gk, foreign, ods, xls):
        report, _ = read_report(prev)
        assert (report.unit, report.year) == ("中宁县", 2022), prev
        answers[prev.suffix + prev.stem] = sorted(key_of(f) for f in ys(check_file(this, previous=str(prev)).result))
    first = next(iter(answers.values()))
    assert sorted({k[0] for k in first}) == ["Y1", "Y2", "Y6"] and len(first) == 5
    assert all(a == first for a in answers.values()), answers


# ----------------------------------------------------------------- a batch with --previous-dir
def _pair(spec, rng, unit, year):
    this = consistent_values(spec, rng)
    last = consistent_values(spec, rng)
    last = {k: v for k, v in last.items() if k not in {(s.name, c.cell) for s in spec.sheets for c in s.computed}}
    for col in "DEFGHI":
        last[(B, f"{col}28")] = this[(B, f"{col}5")]
        done = sum(last[(B, f"{col}{r}")] for r in range(6, 27))
        need = done + last[(B, f"{col}28")] - last[(B, f"{col}5")]
        if need < 0:
            last[(B, f"{col}6")] -= need
            need = 0
        last[(B, f"{col}4")] = need
    for r in (3, 4):
        last[(A, f"D{r}")] = this[(A, f"D{r}")] - this[(A, f"B{r}")] + this[(A, f"C{r}")]
    last.update({k: v for k, v in this.items() if k[0] == C})  # no random swing in 表四 (Y6)
    for k, j in ((this, year), (last, year - 1)):
        k[(spec.field_cells["unit"].sheet, spec.field_cells["unit"].cell)] = unit
        k[(spec.field_cells["year"].sheet, spec.field_cells["year"].cell)] = j
    return this, with_totals(spec, last) | {k: v for k, v in last.items() if k[0] not in (A, B, C)}


def test_batch_of_fifty_units_with_previous_dir(tmp_path, spec):
    rng = random.Random(11)
    now, before = tmp_path / "2023", tmp_path / "2022"
    now.mkdir(), before.mkdir()
    missing, broken = set(), set()
    for i in range(50):
        unit = f"第{i:02d}县"
        this, last = _pair(spec, rng, unit, 2023)
        if i % 7 == 3 and i % 5 != 1:
            last[(B, "E28")] += 1
            last[(B, "E4")] += 1
            broken.add(unit)
        if i % 10 == 0:  # a few gktool workbooks; the rest hand-made (faster to make, read by labels)
            new_workbook(spec, now / f"{unit}.xlsx", values={**publishable(spec), **inputs_only(spec, this)})
        else:
            write_foreign(now / f"{unit}.xlsx", spec, this, Layout(), unit=unit, year=2023)
        if i % 5 == 1:
            missing.add(unit)
        else:  # file names need not match: unit and year do
            write_foreign(before / f"上年-{i:02d}.xlsx", spec, last, Layout(one_sheet=i % 2 == 0), unit=unit, year=2022)
    (before / "说明.txt").write_text("不是报告", encoding="utf-8")
    # a report of another year of one unit is not its previous report
    other = _pair(spec, rng, "第01县", 2022)[1]
    write_foreign(before / "第01县2021.xlsx", spec, other, Layout(), unit="第01县", year=2021)

    index = index_previous(before, jobs=1)
    assert index.unreadable == 1 and len(index.files) == 50 - len(missing) + 1
    # through the command line: 50 files go to worker processes, one JSON line each, in order
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gktool.cli",
            "validate",
            str(now),
            "--previous-dir",
            str(before),
            "--format",
            "json",
            "-j",
            "2",
        ],
        capture_output=True,
        text=True,
    )
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert out.returncode == 1 and [x["file"] for x in lines] == sorted(str(p) for p in now.iterdir())
    by_unit = {x["unit"]: x for x in lines}
    assert len(by_unit) == 50
    assert {u for u, x in by_unit.items() if any(f["rule"] == "Y0" for f in x["findings"])} == missing
    for unit, x in by_unit.items():
        errors = {f["rule"] for f in x["findings"] if f["severity"] == "error"}
        assert errors == ({"Y1"} if unit in broken else set()), x["findings"]
        assert x["ok"] == (unit not in broken)
        if unit in missing:
            (y0,) = [f for f in x["findings"] if f["rule"] == "Y0"]
            assert (
                "没有找到上年报告" in y0["message"] and f"“{unit}”2022" in y0["message"] and y0["severity"] == "warning"
            )
        else:
            assert not any(f["rule"] == "Y0" for f in x["findings"])


def test_previous_index_travels_to_worker_processes(tmp_path, spec):
    rng = random.Random(5)
    now, before = tmp_path / "2023", tmp_path / "2022"
    now.mkdir(), before.mkdir()
    for i in range(16):
        this, last = _pair(spec, rng, f"乙{i}乡", 2023)
        last[(B, "D28")] += 1
        last[(B, "D4")] += 1
        write_foreign(now / f"{i}.xlsx", spec, this, Layout(), unit=f"乙{i}乡", year=2023)
        write_foreign(before / f"{i}.xlsx", spec, last, Layout(), unit=f"乙{i}乡", year=2022)
    paths = sorted(str(p) for p in now.iterdir())
    index = index_previous(before, jobs=2)
    assert len(index.reports) == 16 and all(r.spec is None for r in index.reports.values())  # small to send
    results = list(validate_files(paths, jobs=2, previous=index))
    assert [r.file for r in results] == paths
    # the report kept in the index gives exactly what reading the file again gives
    again = check_file(paths[0], previous=index.find("乙0乡", 2022)).result
    assert again.findings == results[0].findings
    assert all([f.rule for f in r.findings if f.rule != "S9"] == ["Y1"] for r in results), [
        [f.rule for f in r.findings] for r in results
    ]


@pytest.mark.parametrize(
    "table, problem",
    [
        ({"carry": [{"this": "三、依申请公开!D5:I5", "last": "三、依申请公开!D28:Z28"}]}, "单元格数不同"),
        ({"carry": [{"this": "D5", "last": "三、依申请公开!D28"}]}, "应写成“工作表!单元格”或“@填报项”"),
        ({"stock": [{"this": "@nosuch", "last": "二、主动公开!D3"}]}, "填报项“nosuch”不存在"),
        ({"swings": [{"what": "x", "cells": "二、主动公开!D4", "factor": 1}]}, "factor 应大于 1"),
        ({"copied_share": 2}, "copied_share 应在 0 和 1 之间"),
        ({"fixed_wording": ["("]}, "不正确的正则表达式"),
        ({"year_on_year": [{"section": "unit", "what": "x", "cells": "二、主动公开!D4"}]}, "不是文字说明填报项"),
        ({"stock": [{"this": "二、主动公开!D4"}]}, "有误"),
    ],
)
def test_each_kind_of_cross_year_mistake_is_named(spec, table, problem):
    """The [cross_year] table is parsed into typed records when the spec loads; each mistake is one named line."""
    with pytest.raises(SpecProblem) as caught:
        parse_cross_year(table, spec.field_cells, ())
    assert problem in str(caught.value) and str(caught.value).startswith("[cross_year]")


def test_cross_year_cells_must_exist(spec):
    from dataclasses import replace

    bad = replace(
        spec, cross_year=parse_cross_year({"stock": [{"this": "二、主动公开!Z9", "last": "二、主动公开!D3"}]}, {}, ())
    )
    assert cross_year_problems(bad) == ["[cross_year] 引用的 二、主动公开!Z9 不是可填或合计单元格"]
    assert cross_year_problems(spec) == [] and spec.cross_year.carry[0] == ((B, "D5"), (B, "D28"))


def test_compare_is_a_plain_function_of_two_reports(tmp_path, spec):
    this, _ = read_report(write(tmp_path, "this.xlsx", this_values(spec), spec))
    last, _ = read_report(write(tmp_path, "last.xlsx", mismatched_last(spec), spec))
    assert {f.rule for f in compare(this, last)} == {"Y1", "Y2", "Y6"}
    assert compare(this, this)[0].rule == "Y5"


# ----------------------------------------------------------------- gktool new --previous: live 校验 rows
def test_new_with_previous_prefills_carry_over_and_contacts_never_narrative(tmp_path, spec):
    last = write(tmp_path, "last.xlsx", last_values(spec) | {(B, "E28"): 1, (B, "E4"): 1}, spec)
    out = subprocess.run(
        [sys.executable, "-m", "gktool.cli", "new", "--previous", str(last), "-o", str(tmp_path / "new.xlsx")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    report, _ = read_report(tmp_path / "new.xlsx")
    assert (report.unit, report.year) == ("中宁县", 2023)
    assert [report.values.get((B, f"{c}5")) for c in "DEFGHI"] == [2, 1, 0, 0, 0, 0]
    assert all(report.field(k) == "" for k in ("overview", "request", "problems", "other"))
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "new.xlsx")
    assert wb["上年数据"].sheet_state == "hidden" and wb["上年数据"].protection.sheet
    # a previous report of another year or unit is refused in one line
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "gktool.cli",
            "new",
            "--previous",
            str(last),
            "--year",
            "2025",
            "-o",
            str(tmp_path / "x.xlsx"),
        ],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 2 and "2024 年度" in wrong.stderr and not (tmp_path / "x.xlsx").exists()


@pytest.mark.libreoffice
def test_live_check_rows_in_libreoffice_agree_with_validate_previous(tmp_path, spec):
    import openpyxl

    from gktool.contract import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL
    from gktool.filldata import prefill
    from gktool.livechecks import check_rows
    from gktool.writers.previous import live_rows

    from .helpers import fill
    from .seed import SEED_ENTRIES

    last_path = write(tmp_path, "last.xlsx", last_values(spec), spec)
    last, _ = read_report(last_path)
    blank = tmp_path / "blank.xlsx"
    new_workbook(spec, blank, values=prefill(spec, last), year=2023, previous=last)
    good = dict(SEED_ENTRIES)
    good[(B, "一、本年新收政府信息公开申请数量", "自然人")] = 26  # 26 + 2 carried over = 24 done + 4
    bad = dict(good)
    bad[(B, "二、上年结转政府信息公开申请数量", "自然人")] = 3  # last year carried 2 (Y1)
    bad[(B, "一、本年新收政府信息公开申请数量", "自然人")] = 25
    bad[(A, "行政规范性文件", "现行有效件数")] = 30  # 35 + 3 − 10 = 28 (Y2)
    files = [fill(blank, tmp_path / "good.xlsx", good), fill(blank, tmp_path / "bad.xlsx", bad)]
    saved = soffice_convert(files, tmp_path / "lo")
    base = len(check_rows(spec))
    rows = live_rows(spec, {}, last)
    assert [r.rule for r in rows] == ["Y1"] * 6 + ["Y2"] * 2
    for path, expect in zip(saved, ({}, {"Y1": ["D5"], "Y2": ["D4"]}), strict=True):
        wb = openpyxl.load_workbook(path, data_only=True)
        ws = wb[CHECK_SHEET]
        statuses = [ws.cell(row=CHECK_FIRST_ROW + base + i, column=8).value for i in range(len(rows))]
        assert set(statuses) <= {"通过", "不通过", "警告"}, statuses
        result = check_file(path, previous=str(last_path)).result
        failed_py = {(f.rule, f.cells[0]) for f in result.findings if f.rule.startswith("Y")}
        failed_live = {
            (row.rule, row.check.left[0].cells()[0]) for row, st in zip(rows, statuses, strict=True) if st != "通过"
        }
        assert failed_live == failed_py == {(rule, c) for rule, cells in expect.items() for c in cells}
        assert {f.rule for f in result.findings} == set(expect), result.findings
        assert ws[OVERALL_CELL].value == ("不通过：1 项错误，1 项警告" if expect else "通过")


# ----------------------------------------------------------------- gktool report --previous
def _report_pair(tmp_path, spec, last_change=None):
    request, active = spec.field_cells["request"], spec.field_cells["active"]
    this = this_values(spec) | {
        (B, "D4"): 28,
        (B, "D28"): 6,
        (request.sheet, request.cell): "",
        (active.sheet, active.cell): "",
    }
    last = last_values(spec) | {(B, "D4"): 22, (B, "D6"): 12} | (last_change or {})
    return write(tmp_path, "this.xlsx", this, spec), write(tmp_path, "last.xlsx", last, spec)


def _paragraphs(analysis):
    from gktool.writers.report_wording import report_blocks

    return [b.text for b in report_blocks(analysis) if b.kind == "para"]


def test_report_previous_adds_year_on_year_figures(tmp_path, spec):
    from gktool.validate import check_file, read_previous

    this, last = _report_pair(tmp_path, spec)
    analysis = check_file(this, previous=str(last), strict=True)
    assert analysis.result.ok, analysis.result.findings
    plain = _paragraphs(analysis)
    assert not any("较上年" in p for p in plain)  # without --previous: as before
    analysis.previous = read_previous(last)
    text = "\n".join(_paragraphs(analysis))
    assert "与2022年相比，新收政府信息公开申请28件，较上年增加6件、增长27.3%" in text
    assert "办结24件，较上年增加3件、增长14.3%" in text
    assert "行政复议2件，较上年增加1件、增长100%" in text and "行政诉讼4件，较上年增加1件、增长33.3%" in text
    assert (
        "制发行政规范性文件3件，较上年减少2件、下降40%" in text
        and "规章" not in text.split("与2022年相比")[1].split("。")[0]
    )


def test_report_previous_never_invents_missing_figures(tmp_path, spec):
    from gktool.writers.year_on_year import change_phrase, year_on_year

    this_path, last_path = _report_pair(tmp_path, spec)
    this, _ = read_report(this_path)
    last, _ = read_report(last_path)
    last.absent.add(C)  # last year's report had no 表四
    last.unread.add((B, "J27"))  # and its 办结 total could not be read
    text = year_on_year(this, last, "request")
    assert "新收政府信息公开申请28件" in text
    assert "办结" not in text and "行政复议" not in text and "行政诉讼" not in text
    last.unread.add((B, "J4"))
    assert year_on_year(this, last, "request") == ""
    assert change_phrase(5, 0) == "较上年增加5件"  # no percentage over nothing
    assert change_phrase(0, 4) == "较上年减少4件、下降100%"


def test_report_cli_with_previous(tmp_path, spec):
    from docx import Document

    this, last = _report_pair(tmp_path, spec)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gktool.cli",
            "report",
            str(this),
            "--previous",
            str(last),
            "-o",
            str(tmp_path / "r.docx"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    text = "\n".join(p.text for p in Document(tmp_path / "r.docx").paragraphs)
    assert "较上年增加6件、增长27.3%" in text
    # a carry-over that does not match last year's is an error: no report without --force
    (tmp_path / "x").mkdir()
    _, bad = _report_pair(tmp_path / "x", spec, {(B, "D28"): 3, (B, "D6"): 11})
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gktool.cli",
            "report",
            str(this),
            "--previous",
            str(bad),
            "-o",
            str(tmp_path / "r2.docx"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "Y1" in out.stderr and not (tmp_path / "r2.docx").exists()


def test_y3_never_flags_the_paragraphs_gktool_report_generates(tmp_path, spec):
    """Two years of reports whose narrative is what `gktool report` writes for empty sections."""
    from dataclasses import replace

    from gktool.checks.crossyear import y3_copied_text
    from gktool.spec_crossyear import squash
    from gktool.validate import check_file
    from gktool.writers.report_wording import report_blocks

    keys = [k for k, c in spec.field_cells.items() if c.type == "narrative"]
    labels = {f.label: f.key for s in spec.sheets for f in s.fields}
    cell = {k: (spec.field_cells[k].sheet, spec.field_cells[k].cell) for k in keys}

    def generated(values, name):
        blocks = report_blocks(
            check_file(write(tmp_path, name, values | {cell[k]: "" for k in keys}, spec), strict=True)
        )
        out, current = {}, None
        for b in blocks:
            if b.text.strip() in labels:
                current = labels[b.text.strip()]
            elif b.kind == "para" and current and b.text:
                out.setdefault(current, b.text)
        return out

    now, before = generated(this_values(spec), "t0.xlsx"), generated(last_values(spec), "l0.xlsx")
    assert {"active", "request", "management"} <= set(now)
    this = this_values(spec) | {cell[k]: t for k, t in now.items()}
    last = last_values(spec) | {cell[k]: t for k, t in before.items()}
    this_path, last_path = write(tmp_path, "this.xlsx", this, spec), write(tmp_path, "last.xlsx", last, spec)
    result = check_file(this_path, previous=str(last_path)).result
    assert not [f for f in result.findings if f.rule == "Y3"], result.findings
    # without the fixed wording the same texts would count as copied: the exclusion is what passes them
    official = tuple(
        re.compile(re.escape(squash(t))) for t in (spec.law, spec.notice_title, spec.fee_notice, spec.notice)
    )
    bare = replace(spec, cross_year=replace(spec.cross_year, fixed=official, min_chars=10))
    r_this, r_last = read_report(this_path)[0], read_report(last_path)[0]
    r_this.spec = r_last.spec = bare
    assert {f.cells[0] for f in y3_copied_text(r_this, r_last)} >= {"B5", "B6"}


def test_a_workbook_made_with_previous_is_checked_against_its_own_hidden_sheet(tmp_path, spec):
    """Its 校验 sheet compares the carry-over with 上年数据 offline; validate without --previous does too."""
    import openpyxl

    last = write(tmp_path, "last.xlsx", last_values(spec), spec)
    made = tmp_path / "new.xlsx"
    out = subprocess.run(
        [sys.executable, "-m", "gktool.cli", "new", "--previous", str(last), "-o", str(made)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert not [f for f in check_file(made).result.findings if f.rule == "Y1"]  # the carry-over was filled in
    wb = openpyxl.load_workbook(made)
    wb[B]["D5"] = 7  # 上年结转 typed over: last year carried 2 over in this column
    wb.save(tmp_path / "changed.xlsx")
    y1 = [f for f in check_file(tmp_path / "changed.xlsx").result.findings if f.rule == "Y1"]
    assert len(y1) == 1 and "自然人" in y1[0].message and "上年数据" in y1[0].message
