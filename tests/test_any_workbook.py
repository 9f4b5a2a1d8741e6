"""Reading any workbook that holds the official tables: layouts, label variants, other file formats, extract."""

import csv
import io
import json
import random
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gktool.cli import main
from gktool.errors import GkError
from gktool.extract import extract_record, official_labels
from gktool.spec import load_spec
from gktool.validate import check_file
from gktool.writers.workbook import new_workbook

from .foreign import Layout, consistent_values, random_layout, write_foreign
from .helpers import soffice_available, soffice_convert

CONTENT = ("R", "X", "C")


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def values(spec):
    return consistent_values(spec, random.Random(7))


def extracted(path) -> list:
    return [(v["table"], v["row"], v["column"], v["value"]) for v in extract_record(check_file(path))["values"]]


def expected(spec, values) -> list:
    out = []
    for sheet, cell, table, row, column in official_labels(spec):
        v = values.get((sheet, cell), 0)
        out.append((table, row, column, int(v) if float(v).is_integer() else v))
    return out


def content_rules(result) -> list:
    return sorted((f.rule, f.severity) for f in result.findings if f.rule[0] in CONTENT)


LAYOUTS = {
    "three sheets with a title row": Layout(),
    "one sheet, stacked": Layout(one_sheet=True),
    "one sheet, side by side": Layout(one_sheet=True, side_by_side=True),
    "no title, unmerged": Layout(title_rows=0, merge=False),
    "three title rows, other sheet names": Layout(title_rows=3, sheet_names=("Sheet1", "Sheet2", "Sheet3")),
    "half-width punctuation": Layout(half_width=True),
    "spaces inside labels": Layout(spaces=True),
    "line breaks inside labels": Layout(breaks=True),
    "1、 for 1.": Layout(comma_numbers=True),
    "规范性文件": Layout(short_names=True),
    "tables in another order": Layout(order=(2, 0, 1)),
    "everything at once": Layout(
        one_sheet=True,
        side_by_side=True,
        merge=False,
        half_width=True,
        spaces=True,
        breaks=True,
        comma_numbers=True,
        short_names=True,
    ),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layouts_and_label_variants_read_exactly(name, spec, values, tmp_path):
    path = tmp_path / "手工.xlsx"
    write_foreign(path, spec, values, LAYOUTS[name], unit="某某县", year=2024)
    result = check_file(path).result
    assert result.ok and result.kind == "xlsx", [f.message for f in result.findings]
    if LAYOUTS[name].title_rows or LAYOUTS[name].one_sheet:  # read from the title
        assert result.unit == "某某县" and result.year == 2024
    else:  # nothing says it: never guessed
        assert result.unit is None and result.year is None
    assert {f.rule for f in result.findings} <= {"S9", "T2"}, [f.message for f in result.findings]
    assert extracted(path) == expected(spec, values)


def test_blank_and_slash_cells_are_zero_with_one_warning_each(spec, values, tmp_path):
    for flag in ("blanks_for_zero", "slash_for_zero"):
        path = tmp_path / f"{flag}.xlsx"
        write_foreign(path, spec, values, Layout(**{flag: True}))
        result = check_file(path).result
        t5 = [f for f in result.findings if f.rule == "T5"]
        assert result.ok and t5 and len(t5) <= 3, [f.message for f in result.findings]
        read = extract_record(check_file(path))["values"]
        zeros = [v for v in read if v["value"] is None]
        assert zeros and all(v["printed"] in ("", "/") for v in zeros)


def test_the_variant_label_is_quoted_beside_the_official_one(spec, values, tmp_path):
    path = tmp_path / "typo.xlsx"
    write_foreign(path, spec, values, Layout())
    wb = openpyxl.load_workbook(path)
    ws = wb["表三"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "5.属于三类内部事务信息")
    cell.value = "5.属于三类内容事务信息"
    wb.save(path)
    result = check_file(path).result
    t2 = [f for f in result.findings if f.rule == "T2"]
    assert (
        result.ok
        and len(t2) == 1
        and "“5.属于三类内容事务信息”" in t2[0].message
        and "“5.属于三类内部事务信息”" in t2[0].message
    )
    assert extracted(path) == expected(spec, values)


def test_an_unbalanced_column_is_r1_at_that_columns_cells(spec, values, tmp_path):
    path = tmp_path / "不平.xlsx"
    bad = dict(values)
    bad[("三、依申请公开", "F28")] += 1  # 科研机构: carried over one more than the column allows
    bad[("三、依申请公开", "J28")] += 1
    write_foreign(path, spec, bad, Layout(one_sheet=True, title_rows=2))
    result = check_file(path).result
    r1 = [f for f in result.findings if f.rule == "R1"]
    assert not result.ok and len(r1) == 2, [f.message for f in result.findings]  # 科研机构 and 总计 columns
    science = next(f for f in r1 if "科研机构" in f.message)
    sheet = openpyxl.load_workbook(path)["表二"]
    label = next(c for row in sheet.iter_rows() for c in row if c.value == "四、结转下年度继续办理")
    col = next(c for row in sheet.iter_rows(max_row=label.row) for c in row if c.value == "科研机构").column
    assert sheet.cell(label.row, col).coordinate in science.cells
    assert science.sheet == "表二"


def test_a_missing_table_is_an_error_naming_it(spec, values, tmp_path):
    path = tmp_path / "缺表.xlsx"
    write_foreign(path, spec, values, Layout())
    wb = openpyxl.load_workbook(path)
    wb.remove(wb["表四"])
    wb.save(path)
    result = check_file(path).result
    assert not result.ok
    t1 = [f for f in result.findings if f.rule == "T1"]
    assert len(t1) == 1 and "表四" in t1[0].message


def test_text_in_a_number_cell_is_an_error_at_its_cell_and_unread(spec, values, tmp_path):
    path = tmp_path / "文字.xlsx"
    write_foreign(path, spec, values, Layout())
    wb = openpyxl.load_workbook(path)
    ws = wb["表三"]
    label = next(c for row in ws.iter_rows() for c in row if c.value == "（一）予以公开")
    ws.cell(label.row, 4).value = "12件"
    wb.save(path)
    result = check_file(path).result
    r5 = [f for f in result.findings if f.rule == "R5"]
    assert len(r5) == 1 and ws.cell(label.row, 4).coordinate in r5[0].cells and "12件" in r5[0].message
    assert not [f for f in result.findings if f.rule in ("R1", "R2")]  # one mistake, one finding
    value = next(
        v
        for v in extract_record(check_file(path))["values"]
        if v["row"] == "（一）予以公开" and v["column"] == "自然人"
    )
    assert value["value"] is None and value["printed"] == "12件"


def test_numbers_run_together_are_refused_not_split(spec, values, tmp_path):
    path = tmp_path / "连在一起.xlsx"
    write_foreign(path, spec, values, Layout())
    wb = openpyxl.load_workbook(path)
    ws = wb["表三"]
    label = next(c for row in ws.iter_rows() for c in row if c.value == "一、本年新收政府信息公开申请数量")
    label.value += "801000081"
    for col in range(4, 11):
        ws.cell(label.row, col).value = None
    wb.save(path)
    result = check_file(path).result
    assert not result.ok and any(f.rule == "T4" for f in result.findings)
    row = [v for v in extract_record(check_file(path))["values"] if v["row"] == "一、本年新收政府信息公开申请数量"]
    assert len(row) == 7 and all(v["value"] is None for v in row)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_random_consistent_data_in_random_layouts_validates_clean_and_extracts_exactly(seed, spec, tmp_path):
    rng = random.Random(seed)
    values = consistent_values(spec, rng)
    layout = random_layout(rng)
    path = tmp_path / f"r{seed}.xlsx"
    write_foreign(path, spec, values, layout)
    result = check_file(path).result
    assert result.ok, (layout, [f.message for f in result.findings])
    got = extracted(path)
    want = expected(spec, values)
    if layout.blanks_for_zero or layout.slash_for_zero:  # blank and "/" read as "nothing" (0 in the sums)
        want = [(t, r, c, None if v == 0 else v) for t, r, c, v in want]
        got = [(t, r, c, None if v == 0 else v) for t, r, c, v in got]
    assert got == want


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="needs LibreOffice")
def test_same_data_in_every_form_gives_the_same_extract_and_findings(spec, values, tmp_path):
    gk = tmp_path / "gk.xlsx"
    entries = {k: v for k, v in values.items() if spec.sheet(k[0]).spec_cell(k[1]).kind == "input"}
    publish = {
        "address": "某县某路1号",
        "phone": "0000-1234567",
        "website": "http://www.example.gov.cn",
        "overview": "本年度做好政府信息公开工作。",
        "problems": "一是公开内容还不够全面。",
        "fee_count": 0,
        "fee_amount": 0,
    }
    for key, value in (("unit", "某某县"), ("year", 2024), *publish.items()):
        c = spec.field_cells[key]
        entries[(c.sheet, c.cell)] = value
    new_workbook(spec, gk, unit="某某县", year=2024, values=entries)
    hand = tmp_path / "hand.xlsx"
    write_foreign(hand, spec, values, Layout(one_sheet=True, half_width=True), unit="某某县", year=2024)
    out = tmp_path / "out"
    soffice_convert([gk, hand], out, to="ods")
    soffice_convert([gk], out, to="xls")
    files = [gk, hand, out / "gk.ods", out / "hand.ods", out / "gk.xls"]
    kinds = ["gktool", "xlsx", "ods", "ods", "xls"]
    want = expected(spec, values)
    first = None
    for path, kind in zip(files, kinds, strict=True):
        result = check_file(path).result
        assert result.kind == kind and result.ok, (path, [f.message for f in result.findings])
        assert result.unit == "某某县" and result.year == 2024, path
        assert extracted(path) == want, path
        first = first if first is not None else content_rules(result)
        assert content_rules(result) == first, path


def test_extract_cli_json_and_csv(spec, values, tmp_path):
    path = tmp_path / "手工.xlsx"
    write_foreign(path, spec, values, Layout())
    r = CliRunner().invoke(main, ["extract", str(path)])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    assert set(rec) == {"file", "ok", "kind", "format", "unit", "year", "values", "findings"}
    assert len(rec["values"]) == 200 and set(rec["values"][0]) == {"table", "row", "column", "value", "printed", "at"}
    first = next(v for v in rec["values"] if v["row"] == "（七）总计" and v["column"] == "总计")
    assert first["at"].startswith("表三!") and first["value"] == values[("三、依申请公开", "J27")]
    r4 = [v["row"] for v in rec["values"] if v["table"] == "四"]
    assert sorted(set(r4)) == sorted({"行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"})
    out = tmp_path / "数据.csv"
    r = CliRunner().invoke(main, ["extract", "--format", "csv", "-o", str(out), str(path), str(path)])
    assert r.exit_code == 0, r.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["file", "unit", "year", "table", "row", "column", "value", "printed", "at"]
    assert len(rows) == 1 + 400
    again = CliRunner().invoke(main, ["extract", "--format", "csv", "-o", str(out), str(path)])
    assert again.exit_code == 2 and "已存在" in again.output


def test_wps_et_and_unknown_files_get_one_clear_line(tmp_path):
    et = tmp_path / "表.et"
    et.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = check_file(et).result
    assert result.unreadable and "另存为” .xlsx" in result.findings[0].message
    txt = tmp_path / "说明.txt"
    txt.write_text("你好")
    assert "不是工作簿" in check_file(txt).result.findings[0].message


def test_spec_is_checked_when_loaded(tmp_path):
    from importlib import resources

    text = (resources.files("gktool.workbook_templates") / "national-2021.toml").read_text(encoding="utf-8")
    cases = {
        "rule": (text.replace('right = ["{col}27", "{col}28"]', 'right = ["{col}27", "Z99"]', 1), "Z99"),
        "ref": (text.replace('left = ["@fee_count"]', 'left = ["@nosuch"]', 1), "nosuch"),
        "field": (text.replace('key = "unit"', 'key = "org"', 1), "unit"),
        "type": (
            text.replace('{ cells = "D28:I28", type = "count" }', '{ cells = "D28:I28", type = "counts" }', 1),
            "counts",
        ),
    }
    for name, (changed, word) in cases.items():
        p = tmp_path / f"{name}.toml"
        p.write_text(changed, encoding="utf-8")
        with pytest.raises(GkError) as info:
            load_spec(str(p))
        assert word in info.value.message and "\n" not in info.value.message, info.value.message
        r = subprocess.run(
            [sys.executable, "-m", "gktool.cli", "new", "--format", str(p), "-o", str(tmp_path / "x.xlsx")],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_a_workbook_made_with_a_custom_spec_validates_with_it(tmp_path):
    from importlib import resources

    text = (resources.files("gktool.workbook_templates") / "national-2021.toml").read_text(encoding="utf-8")
    custom = tmp_path / "my.toml"
    custom.write_text(
        text.replace('id = "gov-info-disclosure-annual-report"', 'id = "my-province"', 1), encoding="utf-8"
    )
    book = tmp_path / "my.xlsx"
    r = CliRunner().invoke(main, ["new", "--format", str(custom), "--unit", "某县", "--year", "2024", "-o", str(book)])
    assert r.exit_code == 0, r.output
    plain = CliRunner().invoke(main, ["validate", str(book)])
    assert plain.exit_code == 1 and "--spec" in plain.output
    given_spec = CliRunner().invoke(main, ["validate", "--spec", str(custom), str(book)])
    assert "S1" not in given_spec.output and "通过" in given_spec.output.splitlines()[-1], given_spec.output


def test_printed_numbers_are_read_only_when_they_are_one_number():
    from gktool.readers.labels import parse_number

    assert parse_number("3,985,758") == ("number", 3985758.0)
    assert parse_number("１２") == ("number", 12.0)
    assert parse_number(" 5949.09 ") == ("number", 5949.09)
    for text in ("1,2,3", "12,34", "22（其中修订16件）", "251000元", "减4"):
        assert parse_number(text)[0] == "text", text
    assert (
        parse_number("/") == ("na", None) and parse_number("—") == ("na", None) and parse_number("") == ("blank", None)
    )
