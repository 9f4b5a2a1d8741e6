"""`gktool new`: the locked official workbook, checked with openpyxl and LibreOffice."""
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from gktool.cli import main
from gktool.livechecks import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL, check_rows
from gktool.spec import range_cells
from gktool.validate import validate_file
from gktool.writer import new_workbook

from .helpers import fill, soffice_convert
from .seed import SEED_ENTRIES, SEED_TOTALS


@pytest.fixture(scope="module")
def book(blank_workbook):
    return openpyxl.load_workbook(blank_workbook)


def test_sheets_in_order(book, spec):
    assert book.sheetnames == [s.name for s in spec.sheets] + [CHECK_SHEET]


def test_labels_and_merges_are_official(book, spec):
    for sheet in spec.sheets:
        ws = book[sheet.name]
        merged = {str(r) for r in ws.merged_cells.ranges}
        for lab in sheet.labels:
            assert ws[lab.cell].value == lab.text, (sheet.name, lab.cell)
            if lab.merged:
                assert lab.range in merged, (sheet.name, lab.range)
        for cell in sheet.cells:
            if cell.merge:
                assert cell.merge in merged


def test_only_input_cells_are_unlocked_and_every_number_is_validated(book, spec):
    for sheet in spec.sheets:
        ws = book[sheet.name]
        assert ws.protection.sheet, f"{sheet.name} must be protected"
        inputs = {c.cell for c in sheet.inputs}
        validated = set()
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                validated.update(range_cells(str(rng)))
            assert dv.errorStyle in (None, "stop") and dv.error and dv.prompt
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
            for cell in row:
                if cell.coordinate in inputs:
                    assert cell.protection.locked is False, (sheet.name, cell.coordinate)
                elif type(cell).__name__ != "MergedCell":
                    assert cell.protection.locked is not False, (sheet.name, cell.coordinate)
        for c in sheet.inputs:
            if spec.types[c.type].numeric:
                assert c.cell in validated, (sheet.name, c.cell)
    assert book[CHECK_SHEET].protection.sheet


def test_totals_are_formulas_with_correct_cached_values(filled_workbook, spec):
    formulas = openpyxl.load_workbook(filled_workbook)
    values = openpyxl.load_workbook(filled_workbook, data_only=True)
    for sheet in spec.sheets:
        for c in sheet.computed:
            assert formulas[sheet.name][c.cell].value == "=" + c.formula
    for (sheet, cell), want in SEED_TOTALS.items():
        assert values[sheet][cell].value == want
    statuses = [values[CHECK_SHEET].cell(row=CHECK_FIRST_ROW + i, column=8).value
                for i in range(len(check_rows(spec)))]
    assert set(statuses) == {"通过"} and values[CHECK_SHEET][OVERALL_CELL].value == "通过"


def test_live_highlighting_uses_absolute_references(book, spec):
    """One formula serves all highlighted cells, so relative references would drift."""
    for sheet in spec.sheets:
        for cf in book[sheet.name].conditional_formatting:
            cells = [c for rng in cf.sqref.ranges for c in range_cells(str(rng))]
            for rule in cf.rules:
                formula = rule.formula[0]
                if formula.startswith("NOT("):
                    refs = re.findall(r"\$?[A-Z]{1,2}\$?\d+", formula)
                    assert refs and all(r.count("$") == 2 for r in refs), (sheet.name, formula)
                else:   # the text/negative check is written for the block's top-left cell
                    assert re.search(r"ISTEXT\(([A-Z]+\d+)\)", formula).group(1) == cells[0]


def test_identity_names_and_print_setup(book, spec):
    props = {p.name: p for p in book.custom_doc_props.props}
    assert props["gktool.format"].value == spec.id
    assert props["gktool.format_version"].value == spec.version
    assert props["gktool.fingerprint"].value == spec.fingerprint
    assert all(type(p).__name__ == "StringProperty" for p in props.values())
    for sheet in spec.sheets:
        for c in sheet.cells:
            target = book.defined_names[c.defined_name].attr_text
            assert target.replace("$", "").endswith(f"!{c.cell}")
        ws = book[sheet.name]
        assert ws.page_setup.paperSize in (9, "9")
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert book["三、依申请公开"].print_title_rows == "$1:$3"
    assert book["三、依申请公开"].freeze_panes == "D4"


def test_cli_default_name_and_no_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["new", "--unit", "中宁县", "--year", "2023"])
    assert result.exit_code == 0, result.output
    path = Path("中宁县2023年政府信息公开工作年度报告.xlsx")
    assert path.is_file()
    before = path.read_bytes()
    again = runner.invoke(main, ["new", "--unit", "中宁县", "--year", "2023"])
    assert again.exit_code == 2 and "已存在" in again.output and "--force" in again.output
    assert path.read_bytes() == before
    forced = runner.invoke(main, ["new", "--unit", "中宁县", "--year", "2023", "--force", "--password", "pw"])
    assert forced.exit_code == 0
    assert openpyxl.load_workbook(path)["封面"].protection.password
    assert [p.name for p in Path(".").iterdir()] == [path.name], "no temporary files left behind"


def test_prefill_rejects_unknown_cells(tmp_path, spec):
    from gktool.errors import GkError
    with pytest.raises(GkError):
        new_workbook(spec, tmp_path / "x.xlsx", values={("三、依申请公开", "J4"): 5})
    assert not (tmp_path / "x.xlsx").exists()


def _seed_filled(blank, tmp_path, change=None):
    entries = dict(SEED_ENTRIES)
    if change:
        entries.update(change)
    return fill(blank, tmp_path / ("unbalanced.xlsx" if change else "seed.xlsx"), entries)


@pytest.mark.libreoffice
def test_libreoffice_round_trip_recalculates_live_checks(blank_workbook, tmp_path, spec):
    seed = _seed_filled(blank_workbook, tmp_path)
    unbalanced = _seed_filled(blank_workbook, tmp_path,
                              {("三、依申请公开", "四、结转下年度继续办理", "自然人"): 5})
    saved_seed, saved_bad = soffice_convert([seed, unbalanced], tmp_path / "lo")
    rows = check_rows(spec)
    for path, expect_ok in ((saved_seed, True), (saved_bad, False)):
        wb = openpyxl.load_workbook(path, data_only=True)
        statuses = [wb[CHECK_SHEET].cell(row=CHECK_FIRST_ROW + i, column=8).value for i in range(len(rows))]
        assert set(statuses) <= {"通过", "不通过"}
        # the live formulas and the Python rules give the same verdicts, row by row
        result = validate_file(path)
        for row, status in zip(rows, statuses):
            if row.check is not None:
                assert (status == "不通过") == _python_failed(result, row), (row.rule, row.where)
        if expect_ok:
            for (sheet, cell), want in SEED_TOTALS.items():
                assert wb[sheet][cell].value == want, (sheet, cell)
            assert set(statuses) == {"通过"} and wb[CHECK_SHEET][OVERALL_CELL].value == "通过"
            assert result.ok and not result.findings, result.findings
        else:
            assert "不通过" in statuses and wb[CHECK_SHEET][OVERALL_CELL].value == "不通过"
            assert {f.rule for f in result.findings} == {"R1"}   # the 自然人 and the 总计 columns
            assert "D28" in result.findings[0].cells


def _python_failed(result, row) -> bool:
    """Whether the Python rules reported this rule instance (same rule id, same column/row)."""
    return any(f.rule == row.rule and row.check.where in f.message for f in result.findings)


def _dependency_dirs(requirements: list[str]) -> set[str]:
    """The site directories where this interpreter finds the given requirements and theirs, recursively."""
    import importlib.metadata as md

    dirs, seen, todo = set(), set(), list(requirements)
    while todo:
        req = todo.pop()
        if "extra ==" in req:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", req).group(0).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            assert ";" in req, f"{name} is required but not installed here"
            continue        # a requirement for another platform or Python version
        dirs.add(str(Path(dist.locate_file("")).resolve()))
        todo.extend(dist.requires or [])
    return dirs


def test_wheel_ships_the_spec_and_works_from_any_folder(tmp_path):
    # Offline and without borrowing the system site-packages: the wheel is built with this venv's
    # setuptools (a test extra), installed without dependencies into a venv that sees only itself,
    # and the dependencies the wheel declares are made visible from where this interpreter has them.
    import shutil

    root = Path(__file__).resolve().parent.parent
    src = tmp_path / "src"        # a copy, so that no stale build/ in the tree can end up in the wheel
    shutil.copytree(root, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("gktool-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "gktool/workbook_templates/national-2021.toml" in names
    assert not any(n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                                "--no-index", str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires, "the wheel declares its dependencies"
    inner_site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                capture_output=True, text=True, check=True).stdout.strip()
    (Path(inner_site) / "_outer_deps.pth").write_text("\n".join(sorted(_dependency_dirs(requires))) + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    out = subprocess.run([str(venv / "bin" / "gktool"), "new", "--unit", "某县", "--year", "2024"],
                         cwd=work, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert (work / "某县2024年政府信息公开工作年度报告.xlsx").is_file()
    origin = subprocess.run([str(py), "-c", "import gktool; print(gktool.__file__)"], cwd=work,
                            capture_output=True, text=True, env=env).stdout
    assert origin.startswith(str(venv)), "the installed wheel, not the source tree, must have been used"
