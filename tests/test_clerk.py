"""What a clerk reads (issue 21): one finding per cause, places named once and readably, errors first."""

import random
import re

import openpyxl
import pytest

from gktool.spec import load_spec
from gktool.validate import validate_file

from .foreign import Layout, consistent_values, write_foreign

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "中宁县2023年政府信息公开工作年度报告.xlsx"
B = "三、依申请公开"


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def values(spec):
    return consistent_values(spec, random.Random(7))


def test_text_in_an_input_cell_is_one_finding_not_also_the_derived_total_column(tmp_path):
    """R5 at D6 is the cause; 表三's 总计 column J (a total of totals) must not give R1 or R9 too."""
    path = tmp_path / "d6.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[B]["D6"] = "12"
    wb.save(path)
    result = validate_file(path)
    assert [(f.rule, f.cells) for f in result.findings] == [("R5", ("D6",))], [f.message for f in result.findings]


def test_a_negative_input_folds_the_total_column_too(tmp_path):
    path = tmp_path / "neg.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[B]["E8"] = -1
    wb.save(path)
    result = validate_file(path)
    assert [f.rule for f in result.findings] == ["R5"], [f.message for f in result.findings]


def test_t5_names_blank_worksheet_cells_in_a1_form(spec, values, tmp_path):
    path = tmp_path / "blanks.xlsx"
    write_foreign(path, spec, values, Layout(blanks_for_zero=True))
    t5 = [f for f in validate_file(path).findings if f.rule == "T5"]
    assert t5
    for f in t5:
        assert all(re.fullmatch(r"[A-Z]+\d+", c) for c in f.cells), f.cells
        assert "行第" not in f.message, f.message
