"""`gktool validate`: every rule fails and passes by its id; properties; CLI contract."""

import json
import re

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gktool.checks.catalogue import catalogue, catalogue_markdown
from gktool.cli import main
from gktool.contract import CHECK_SHEET
from gktool.validate import check_file
from gktool.writers.workbook import new_workbook

from .helpers import rewrite_zip, sheet_part

A, B, C, S6 = "二、主动公开", "三、依申请公开", "四、复议诉讼", "六、其他事项"


def rules_of(result):
    return {f.rule for f in result.findings}


def edited(src, dst, **cells):
    """A copy of `src` with cells changed by openpyxl, the way a script would fill it.
    Keyword names are 'Sheet__A1' with '__' for '!'; None clears the cell."""
    wb = openpyxl.load_workbook(src)
    for key, value in cells.items():
        sheet, cell = key.split("__")
        wb[{"A": A, "B": B, "C": C, "S6": S6, "cover": "封面", "s1": "一、总体情况", "chk": CHECK_SHEET}[sheet]][
            cell
        ] = value
    wb.save(dst)
    return dst


# --------------------------------------------------------------- failing cases, by rule id
def case_E0(src, tmp):
    p = tmp / "e0.xlsx"
    p.write_bytes(src.read_bytes()[:3000])
    return p


def case_S1(src, tmp):
    """A format version this gktool does not know (made by a newer gktool)."""
    return rewrite_zip(
        src,
        tmp / "s1.xlsx",
        lambda n, d: d.replace(b">2021</vt:lpwstr>", b">2099</vt:lpwstr>") if n == "docProps/custom.xml" else d,
    )


def foreign(src, tmp, name, **cells):
    """The filled workbook as a hand-made one: no gktool stamp, totals typed as numbers; then edited."""
    plain = rewrite_zip(src, tmp / f"plain-{name}", lambda n, d: None if n == "docProps/custom.xml" else d)
    wb = openpyxl.load_workbook(plain, data_only=True)  # formulas become the numbers they showed
    wb.save(plain)
    return edited(plain, tmp / name, **cells) if cells else plain


def case_R11(src, tmp):
    """A hand-made workbook still carrying a 2019 trial-format column header."""
    return foreign(src, tmp, "r11.xlsx", A__B2="本年新制作数量")


def case_S9(src, tmp):
    return foreign(src, tmp, "s9.xlsx")


def case_T1(src, tmp):
    wb = openpyxl.load_workbook(foreign(src, tmp, "t1-plain.xlsx"))
    wb.remove(wb[C])
    wb.save(tmp / "t1.xlsx")
    return tmp / "t1.xlsx"


def case_T2(src, tmp):
    return foreign(src, tmp, "t2.xlsx", B__C9="2.其他法律行政止公开")


def case_T3(src, tmp):
    """（六）其他处理 printed as one row, without its three sub-items."""
    wb = openpyxl.load_workbook(foreign(src, tmp, "t3-plain.xlsx"))
    ws = wb[B]
    ws.unmerge_cells("B24:B26")
    ws.delete_rows(25, 2)
    ws["C24"] = None
    wb.save(tmp / "t3.xlsx")
    return tmp / "t3.xlsx"


def case_T4(src, tmp):
    """Numbers typed into the label cell, run together: they cannot be told apart."""
    return foreign(src, tmp, "t4.xlsx", B__A4="一、本年新收政府信息公开申请数量2800000028", B__D4=None, B__J4=None)


def case_T5(src, tmp):
    return foreign(src, tmp, "t5.xlsx", B__E4=None)


def case_S2(src, tmp):
    wb = openpyxl.load_workbook(src)
    wb.remove(wb[C])
    wb.save(tmp / "s2.xlsx")
    return tmp / "s2.xlsx"


def case_S3(src, tmp):
    return edited(src, tmp / "s3.xlsx", A__A3="规章制度")


def case_S4(src, tmp):
    """A row inserted in 表二 above 第二十条第（五）项, as Excel does it: cells and names move."""
    wb = openpyxl.load_workbook(src)
    ws = wb[A]
    for rng in [r for r in ws.merged_cells.ranges if r.min_row >= 5]:
        ws.unmerge_cells(str(rng))
    ws.move_range("A5:D14", rows=1)
    for _name, dn in list(wb.defined_names.items()):
        m = re.fullmatch(r"'二、主动公开'!\$([A-Z])\$(\d+)", dn.attr_text)
        if m and int(m.group(2)) >= 5:
            dn.attr_text = f"'二、主动公开'!${m.group(1)}${int(m.group(2)) + 1}"
    wb.save(tmp / "s4.xlsx")
    return tmp / "s4.xlsx"


def case_S5(src, tmp):
    return rewrite_zip(src, tmp / "s5.xlsx", lambda n, d: {"xl/vbaProject.bin": b"\0" * 64} if n == "" else d)


def case_S6(src, tmp):
    link = b'<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    return rewrite_zip(
        src, tmp / "s6.xlsx", lambda n, d: {"xl/externalLinks/externalLink1.xml": link} if n == "" else d
    )


def case_S7(src, tmp):
    return rewrite_zip(
        src,
        tmp / "s7.xlsx",
        lambda n, d: (
            re.sub(rb"[0-9a-f]{16}</vt:lpwstr>", b"0000000000000000</vt:lpwstr>", d)
            if n == "docProps/custom.xml"
            else d
        ),
    )


def case_S8(src, tmp):
    return edited(src, tmp / "s8.xlsx", B__M30="备注：另有2件电话咨询")


# A total that does not add up: in a gktool workbook an overwritten formula is F1 (its consequences folded
# into it); in a hand-made workbook, whose totals are stated numbers, it is the R rule itself.
def case_R2(src, tmp):
    return foreign(src, tmp, "r2.xlsx", B__D27=30)


def case_R3(src, tmp):
    return foreign(src, tmp, "r3.xlsx", B__J6=13)


def case_R4(src, tmp):
    return foreign(src, tmp, "r4.xlsx", C__E4=3)


def case_R5(src, tmp):
    return edited(src, tmp / "r5.xlsx", B__F6="12件", B__G6=-1, A__B7=1.5)


def case_F1(src, tmp):
    return edited(src, tmp / "f1.xlsx", B__J27="=SUM(D27:H27)")


def case_F2(src, tmp):
    part = sheet_part(src, B)
    return rewrite_zip(
        src,
        tmp / "f2.xlsx",
        lambda n, d: re.sub(rb"(<c r=\"D27\"[^>]*><f>[^<]*</f><v>)24(</v>)", rb"\g<1>25\g<2>", d) if n == part else d,
    )


def case_F3(src, tmp):
    return edited(src, tmp / "f3.xlsx", chk__H4="通过")


def case_S10(src, tmp):
    wb = openpyxl.load_workbook(src)
    wb.create_sheet("草稿").append(["我的计算"])
    wb.save(tmp / "s10.xlsx")
    return tmp / "s10.xlsx"


def _field_cell(key):
    from gktool.spec import load_spec

    c = load_spec().field_cells[key]
    return c.sheet, c.cell


def edited_fields(src, dst, **fields):
    """A copy of `src` with form fields (by spec key) set; None clears."""
    wb = openpyxl.load_workbook(src)
    for key, value in fields.items():
        sheet, cell = _field_cell(key)
        wb[sheet][cell] = value
    wb.save(dst)
    return dst


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def test_every_rule_in_the_catalogue_has_a_failing_case(spec):
    # the content rules are failed on the model in test_content_rules.py; the cross-year rules (Y*) and the
    # published-report readers' own (D*, P*) have their cases in test_crossyear.py, test_read_html.py and
    # test_read_pdf.py; here are the cases only a file can show
    from .test_content_rules import CASES as MODEL_CASES

    assert {r.id for r in catalogue(spec) if not r.id.startswith(("Y", "D", "P"))} == set(CASES) | set(MODEL_CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fails(rule, filled_workbook, tmp_path, spec):
    result = check_file(CASES[rule](filled_workbook, tmp_path)).result
    assert rule in rules_of(result), [f.message for f in result.findings]
    finding = next(f for f in result.findings if f.rule == rule)
    assert finding.message and re.search(r"[\u4e00-\u9fff]", finding.message)
    assert finding.severity == {r.id: r.severity for r in catalogue(spec)}[rule]


def test_an_empty_workbook_does_not_pass(blank_workbook):
    result = check_file(blank_workbook).result
    assert not result.ok and {"K1", "K2", "K3", "K4"} <= rules_of(result), [f.message for f in result.findings]


def test_fee_amounts_in_the_wrong_unit_are_questioned(filled_workbook, tmp_path):
    half_yuan = edited_fields(filled_workbook, tmp_path / "fee.xlsx", fee_count=1, fee_amount=0.5)
    r7 = [f for f in check_file(half_yuan).result.findings if f.rule == "R7"]
    assert len(r7) == 1 and "请核实单位" in r7[0].message and "0.5" in r7[0].message
    in_yuan = edited(filled_workbook, tmp_path / "wan.xlsx", A__B14=2157800)  # 215.78万元 typed in 元
    r7 = [f for f in check_file(in_yuan).result.findings if f.rule == "R7"]
    assert len(r7) == 1 and "请核实单位" in r7[0].message


def test_a_date_in_a_count_cell_is_named_as_a_date(filled_workbook, tmp_path):
    import datetime

    path = edited(filled_workbook, tmp_path / "date.xlsx", B__E6=datetime.datetime(2023, 5, 1))
    result = check_file(path).result
    r5 = [f for f in result.findings if f.rule == "R5"]
    assert len(r5) == 1 and "日期" in r5[0].message and r5[0].cells == ("E6",)
    assert not [f for f in result.findings if f.rule.startswith(("R1", "R2", "R3"))]


@pytest.mark.parametrize("cells", [{"B__F6": "12"}, {"B__J4": 5}])
def test_one_mistake_is_one_finding(filled_workbook, tmp_path, cells):
    """Text "12" in a count cell, or a total overwritten: the cause at its cell, consequences folded in."""
    result = check_file(edited(filled_workbook, tmp_path / "one.xlsx", **cells)).result
    assert result.errors == 1 and result.warnings == 0, [f.message for f in result.findings]


def test_r9_reads_sentences_about_last_year_as_last_year(filled_workbook, tmp_path):
    path = edited(
        filled_workbook,
        tmp_path / "lastyear.xlsx",
        s1__B7="2022年新收政府信息公开申请20件。本年新收政府信息公开申请28件，办结24件。",
    )
    assert "R9" not in rules_of(check_file(path).result)


def test_seed_report_validates_clean(filled_workbook):
    result = check_file(filled_workbook).result
    assert result.ok and result.findings == [], result.findings


def test_findings_name_the_cells_to_look_at(filled_workbook, tmp_path):
    r5 = check_file(case_R5(filled_workbook, tmp_path)).result
    text = next(f for f in r5.findings if f.actual == "12件")
    assert text.cells == ("F6",) and "12件" in text.message and text.sheet == B
    assert {f.cells for f in r5.findings if f.rule == "R5"} >= {("F6",), ("G6",), ("B7",)}
    overwritten = check_file(edited(filled_workbook, tmp_path / "f1d27.xlsx", B__D27=30)).result
    f1 = next(f for f in overwritten.findings if f.rule == "F1")
    assert f1.cells[0] == "D27" and "D6" in f1.cells and "D26" in f1.cells
    r2 = check_file(case_R2(filled_workbook, tmp_path)).result
    r2f = next(f for f in r2.findings if f.rule == "R2" and "自然人" in f.message)
    assert (r2f.expected, r2f.actual) == (24, 30)


def test_moved_rows_are_read_through_their_names(filled_workbook, tmp_path):
    result = check_file(case_S4(filled_workbook, tmp_path)).result
    assert rules_of(result) == {"S4"}, [f.message for f in result.findings]


def test_moved_rows_without_names_are_found_by_their_labels(filled_workbook, tmp_path):
    moved = case_S4(filled_workbook, tmp_path)
    nameless = rewrite_zip(
        moved,
        tmp_path / "nameless.xlsx",
        lambda n, d: (
            re.sub(rb"<definedName name=\"GK_[^\"]+\"[^>]*>[^<]*</definedName>", b"", d)
            if n == "xl/workbook.xml"
            else d
        ),
    )
    result = check_file(nameless).result
    assert rules_of(result) == {"S4"}, [f.message for f in result.findings]


def test_blank_workbook_is_clean_apart_from_required_cover(spec, tmp_path):
    path = new_workbook(spec, tmp_path / "b.xlsx")
    assert rules_of(check_file(path).result) == {"C1", "K1", "K2", "K3", "K4"}


def test_input_file_is_not_modified(filled_workbook):
    before = filled_workbook.read_bytes()
    check_file(filled_workbook)
    assert filled_workbook.read_bytes() == before


# --------------------------------------------------------------- properties
def _consistent(draw_counts, carry_in, carry_out):
    values = {}
    for col_i, col in enumerate("DEFGHI"):
        outcomes = draw_counts[col_i]
        for row, n in zip(range(6, 27), outcomes, strict=False):
            values[(B, f"{col}{row}")] = n
        values[(B, f"{col}5")] = carry_in[col_i]
        values[(B, f"{col}28")] = carry_out[col_i]
        values[(B, f"{col}4")] = sum(outcomes) + carry_out[col_i] - carry_in[col_i]
    return values


counts = st.integers(min_value=0, max_value=50)


@st.composite
def consistent_tables(draw):
    outcomes = [draw(st.lists(counts, min_size=21, max_size=21)) for _ in range(6)]
    carry_out = [draw(counts) for _ in range(6)]
    carry_in = [draw(st.integers(0, sum(o) + co)) for o, co in zip(outcomes, carry_out, strict=False)]
    values = _consistent(outcomes, carry_in, carry_out)
    for cell in ["B3", "C3", "B4", "C4", "B7", "B10", "B11"]:
        values[(A, cell)] = draw(counts)
    values[(A, "D3")] = values[(A, "B3")] + draw(counts)
    values[(A, "D4")] = values[(A, "B4")] + draw(counts)
    values[(A, "B14")] = draw(st.integers(0, 10**6)) / 100
    for cell in ["A4", "B4", "C4", "D4", "F4", "G4", "H4", "I4", "K4", "L4", "M4", "N4"]:
        values[(C, cell)] = draw(counts)
    values[("封面", "B9")] = "某县"
    values[("封面", "B10")] = 2024
    return values


def publishable(spec) -> dict:
    """The cover and narrative a report needs before it can be published (K1, K2, K4)."""
    text = {
        "address": "某县某路1号",
        "phone": "0000-1234567",
        "website": "http://www.example.gov.cn",
        "overview": "本年度按照条例要求做好政府信息公开工作。",
        "problems": "一是公开内容还不够全面。",
        "fee_count": 0,
        "fee_amount": 0,
    }
    return {(spec.field_cells[k].sheet, spec.field_cells[k].cell): v for k, v in text.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=consistent_tables())
def test_random_consistent_data_validates_clean(values, spec, tmp_path_factory):
    values = {**publishable(spec), **values}
    path = new_workbook(spec, tmp_path_factory.mktemp("p") / "p.xlsx", values=values)
    result = check_file(path).result
    assert result.ok and result.findings == [], [f.message for f in result.findings]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=consistent_tables(), pick=st.data())
def test_a_single_changed_cell_is_caught_at_that_cell(values, pick, spec, tmp_path_factory):
    inputs = [c.cell for c in spec.sheet(B).inputs]
    cell = pick.draw(st.sampled_from(inputs))
    delta = pick.draw(st.sampled_from([-3, -1, 1, 2, 7]))
    old = values[(B, cell)]
    if old + delta < 0:
        delta = -delta
    values = dict(values)
    values[(B, cell)] = old + delta
    path = new_workbook(spec, tmp_path_factory.mktemp("q") / "q.xlsx", values=values)
    result = check_file(path).result
    assert not result.ok
    assert any(f.rule == "R1" and cell in f.cells for f in result.findings)


# --------------------------------------------------------------- CLI contract
def test_cli_exit_codes_and_json_lines(filled_workbook, tmp_path):
    runner = CliRunner()
    bad = edited(filled_workbook, tmp_path / "r1.xlsx", B__E28=1)
    broken = tmp_path / "坏 文件.xlsx"
    broken.write_bytes(b"not a workbook")
    ok = runner.invoke(main, ["validate", str(filled_workbook)])
    assert ok.exit_code == 0 and "通过" in ok.output
    wrong = runner.invoke(main, ["validate", str(bad)])
    assert wrong.exit_code == 1 and "R1" in wrong.output and "【三、依申请公开】" in wrong.output
    assert "（七）总计（三、依申请公开!E27）" in wrong.output and "不通过" in wrong.output.splitlines()[-1]
    mixed = runner.invoke(main, ["validate", "--format", "json", str(filled_workbook), str(bad), str(broken)])
    assert mixed.exit_code == 2
    lines = [json.loads(line) for line in mixed.output.splitlines()]
    assert [line["file"] for line in lines] == [str(filled_workbook), str(bad), str(broken)]
    for line in lines:
        assert set(line) == {"file", "ok", "kind", "format", "unit", "year", "errors", "warnings", "findings"}
        for f in line["findings"]:
            assert set(f) == {"rule", "severity", "sheet", "cells", "message", "expected", "actual"}
            assert f["severity"] in ("error", "warning") and isinstance(f["cells"], list)
    assert [line["ok"] for line in lines] == [True, False, False]
    assert lines[2]["findings"][0]["rule"] == "E0" and lines[2]["errors"] == 1
    assert runner.invoke(main, ["validate"]).exit_code == 2
    assert runner.invoke(main, ["validate", "--format", "xml", str(filled_workbook)]).exit_code == 2


def test_cli_folder_and_parallel_jobs(filled_workbook, tmp_path):
    folder = tmp_path / "收到的工作簿"
    folder.mkdir()
    for i in range(20):
        (folder / f"单位{i:02d}.xlsx").write_bytes(filled_workbook.read_bytes())
    (folder / "~$单位00.xlsx").write_bytes(b"lock")
    (folder / "说明.txt").write_text("x")
    (folder / "子文件夹").mkdir()
    (folder / "子文件夹" / "单位99.xlsx").write_bytes(filled_workbook.read_bytes())
    out = CliRunner().invoke(main, ["validate", "--format", "json", "--jobs", "2", str(folder)])
    assert out.exit_code == 2  # 说明.txt cannot be read: every file gets its line, none is skipped
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert len(lines) == 22 and sum(line["ok"] for line in lines) == 21
    assert [line["file"] for line in lines] == sorted(line["file"] for line in lines)
    txt = next(line for line in lines if line["file"].endswith("说明.txt"))
    assert txt["findings"][0]["rule"] == "E0" and "不是工作簿" in txt["findings"][0]["message"]
    assert all(
        line["unit"] == "中宁县" and line["year"] == 2023 and line["kind"] == "gktool" for line in lines if line["ok"]
    )
    text = CliRunner().invoke(main, ["validate", "--jobs", "2", str(folder)])
    assert "21 个通过" in text.output and "1 个无法读取（说明.txt）" in text.output


def test_readme_rule_table_is_generated_from_the_catalogue(spec):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert catalogue_markdown(spec) in readme


def test_excel_style_shared_formulas_and_inline_strings_read_clean(filled_workbook, tmp_path):
    """Excel stores a filled-down column as one shared formula, and may write text inline."""
    part = sheet_part(filled_workbook, B)

    def excelify(name, data):
        if name != part:
            return data
        text = data.decode()
        text = text.replace("<f>SUM(D4:I4)</f>", '<f t="shared" ref="J4:J28" si="0">SUM(D4:I4)</f>')
        text = re.sub(
            r'(<c r="J(?:[5-9]|1\d|2[0-8])" s="\d+">)<f>SUM\(D\d+:I\d+\)</f>', r'\1<f t="shared" si="0"/>', text
        )
        label = "二、上年结转政府信息公开申请数量"
        text = re.sub(
            r'<c r="A5" (s="\d+") t="s"><v>\d+</v></c>',
            rf'<c r="A5" \1 t="inlineStr"><is><t>{label}</t></is></c>',
            text,
        )
        assert text.count('si="0"/>') == 24 and "inlineStr" in text
        return text.encode()

    result = check_file(rewrite_zip(filled_workbook, tmp_path / "excel.xlsx", excelify)).result
    assert result.ok and result.findings == [], [f.message for f in result.findings]
    broken = rewrite_zip(
        filled_workbook,
        tmp_path / "shifted.xlsx",
        lambda n, d: (
            d.replace(b"<f>SUM(D4:I4)</f>", b'<f t="shared" ref="J4:J28" si="0">SUM(D4:H4)</f>').replace(
                b"<f>SUM(D5:I5)</f>", b'<f t="shared" si="0"/>'
            )
            if n == part
            else d
        ),
    )
    f1 = [f for f in check_file(broken).result.findings if f.rule == "F1"]
    assert [f.cells[0] for f in f1] == ["J4", "J5"] and "SUM(D5:H5)" in f1[1].message
