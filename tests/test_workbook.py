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

from gktool.cells import parse_range, range_cells
from gktool.cli import main
from gktool.contract import CHECK_FIRST_ROW, CHECK_SHEET, OVERALL_CELL
from gktool.livechecks import check_rows
from gktool.validate import check_file
from gktool.writers.workbook import NARRATIVE_CAPACITY, new_workbook

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
            if dv.type == "textLength":  # a narrative's room: warns, keeps the text
                assert dv.errorStyle == "warning" and dv.error and dv.prompt
            else:
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
    statuses = [values[CHECK_SHEET].cell(row=CHECK_FIRST_ROW + i, column=8).value for i in range(len(check_rows(spec)))]
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
                else:  # the text/negative check is written for the block's top-left cell
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
    unbalanced = _seed_filled(blank_workbook, tmp_path, {("三、依申请公开", "四、结转下年度继续办理", "自然人"): 5})
    saved_seed, saved_bad = soffice_convert([seed, unbalanced], tmp_path / "lo")
    rows = check_rows(spec)
    for path, expect_ok in ((saved_seed, True), (saved_bad, False)):
        wb = openpyxl.load_workbook(path, data_only=True)
        statuses = [wb[CHECK_SHEET].cell(row=CHECK_FIRST_ROW + i, column=8).value for i in range(len(rows))]
        assert set(statuses) <= {"通过", "不通过", "警告"}
        # the live formulas and the Python rules give the same verdicts, row by row
        result = check_file(path).result
        for row, status in zip(rows, statuses, strict=False):
            if row.check is not None:
                assert (status != "通过") == _python_failed(result, row), (row.rule, row.where)
        if expect_ok:
            for (sheet, cell), want in SEED_TOTALS.items():
                assert wb[sheet][cell].value == want, (sheet, cell)
            assert set(statuses) == {"通过"} and wb[CHECK_SHEET][OVERALL_CELL].value == "通过"
            assert result.ok and not result.findings, result.findings
        else:
            assert "不通过" in statuses and wb[CHECK_SHEET][OVERALL_CELL].value.startswith("不通过：")
            assert {f.rule for f in result.findings} == {"R1"}  # the 自然人 and the 总计 columns
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
            continue  # a requirement for another platform or Python version
        dirs.add(str(Path(dist.locate_file("")).resolve()))
        todo.extend(dist.requires or [])
    return dirs


def test_wheel_ships_the_spec_and_serve_pages_and_works_from_any_folder(tmp_path):
    # Offline and without borrowing the system site-packages: the wheel is built with this venv's
    # setuptools (a test extra), installed without dependencies into a venv that sees only itself,
    # and the dependencies the wheel declares are made visible from where this interpreter has them.
    import shutil

    root = Path(__file__).resolve().parent.parent
    src = tmp_path / "src"  # a copy, so that no stale build/ in the tree can end up in the wheel
    shutil.copytree(
        root,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"
        ),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("gktool-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "gktool/workbook_templates/national-2021.toml" in names
    assert not any(n.startswith("tests/") for n in names)
    # serve's pages and stylesheet are package data too: every one of them is in the wheel
    serve_files = {
        str(f.relative_to(root))
        for f in (root / "gktool" / "serve").rglob("*")
        if f.is_file() and f.suffix in (".py", ".html", ".css")
    }
    assert serve_files <= set(names) and "gktool/serve/templates/unit.html" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires, "the wheel declares its dependencies"
    inner_site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(inner_site) / "_outer_deps.pth").write_text("\n".join(sorted(_dependency_dirs(requires))) + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    out = subprocess.run(
        [str(venv / "bin" / "gktool"), "new", "--unit", "某县", "--year", "2024"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert (work / "某县2024年政府信息公开工作年度报告.xlsx").is_file()
    origin = subprocess.run(
        [str(py), "-c", "import gktool; print(gktool.__file__)"], cwd=work, capture_output=True, text=True, env=env
    ).stdout
    assert str(venv) in origin, "the installed wheel, not the source tree, must have been used"


# ---------------------------------------------------------------- the workbook as a clerk sees it
def _narrative_fields(spec):
    return [(sheet, f) for sheet in spec.sheets if sheet.kind == "form" for f in sheet.fields if f.type == "narrative"]


def _long_text(tag: str, length: int = 2500) -> str:
    """`length` characters of Chinese prose with a numbered marker every 100 characters."""
    prose = (
        "一是坚持以人民为中心的发展思想，持续深化政务公开工作，围绕重点领域信息公开，"
        "推动政务公开标准化规范化建设取得新成效；二是"
    ) * 40
    text = "".join(f"{prose[i : i + 92]}〔{tag}{i // 100:02d}〕" for i in range(0, length, 100))
    return text[:length]


def test_a_narrative_cell_has_room_for_2500_characters(book, spec):
    """Row height × column width fit the real 中宁县 section 六 (≈2,500 characters) at the cell's font."""
    for sheet, f in _narrative_fields(spec):
        ws = book[sheet.name]
        cell = ws[sheet.field_cell(f.key).cell]
        size = cell.font.sz or 11
        assert cell.alignment.wrap_text and not any(cell.coordinate in r for r in ws.merged_cells.ranges)
        height = ws.row_dimensions[cell.row].height
        width_px = ws.column_dimensions[cell.column_letter].width * 7 + 5
        per_line = int(width_px // (size * 4 / 3))  # a Chinese character is one em wide
        lines = int(height // (size * 1.35))  # Excel's line height for 宋体
        assert per_line * lines >= NARRATIVE_CAPACITY >= 2500, (sheet.name, f.label, per_line, lines)


def test_sheet_titles_are_consistent_and_every_sheet_numbers_its_pages(book, spec):
    """Section sheets show their title the same way: the tab on screen, the page header in print
    (表三 starts at A1, so no table can have a title row); no in-sheet title on some only."""
    for sheet in spec.sheets:
        ws = book[sheet.name]
        assert "&P" in ws.oddFooter.center.text, sheet.name
        if not sheet.section:
            continue
        assert f"{sheet.section}、{sheet.heading}" in ws.oddHeader.center.text, sheet.name
        if sheet.kind == "form":
            assert ws.row_dimensions[1].hidden, f"{sheet.name}: the title label is printed in the header"
    assert "&P" in book[CHECK_SHEET].oddFooter.center.text


def test_check_sheet_verdict_first_and_large_rules_by_id(book, spec):
    ws = book[CHECK_SHEET]
    verdict = ws[OVERALL_CELL]
    assert verdict.row == 1 and verdict.font.sz >= 18 and verdict.font.b
    ids = [ws.cell(row=CHECK_FIRST_ROW + i, column=1).value for i in range(len(check_rows(spec)))]
    assert ids == [r.rule for r in check_rows(spec)]
    assert ids == sorted(ids, key=lambda r: (r[0], int(r[1:])))
    assert ids.index("R5") < ids.index("R6"), "R5 rows among the rules, not after them"
    head = " ".join(str(c.value) for row in ws.iter_rows(max_row=CHECK_FIRST_ROW - 1) for c in row if c.value)
    assert "R9" in head and "gktool validate" in head
    assert ws.cell(row=CHECK_FIRST_ROW - 1, column=9).value == "怎样改正"
    hint = ws.cell(row=CHECK_FIRST_ROW, column=9)
    assert hint.alignment.wrap_text and (hint.font.sz or 11) >= 10 and ws.column_dimensions["I"].width >= 40
    assert ws.print_title_rows == f"${CHECK_FIRST_ROW - 1}:${CHECK_FIRST_ROW - 1}"


def test_validation_messages_fit_each_input_type(book, spec):
    """A year is not a count: "没有发生的请填 0" only where 0 means nothing happened."""
    seen = set()
    for sheet in spec.sheets:
        ws = book[sheet.name]
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                for cell in range_cells(str(rng)):
                    c = sheet.spec_cell(cell)
                    t = spec.types[c.type]
                    if not t.numeric:
                        continue
                    seen.add(t.key)
                    assert t.description in dv.error and t.description in dv.prompt
                    assert ("没有发生的请填 0" in dv.error) == (t.min == 0), (sheet.name, cell, dv.error)
    year = spec.field_cells["year"]
    assert {"year", "count", "amount_wan", "amount_yuan"} <= seen
    assert spec.types[year.type].key == "year"


def test_table_three_breaks_pages_between_groups(book, spec):
    """In print the page never breaks inside a group such as （五）不予处理, and the header repeats."""
    sheet = spec.sheet("B")
    ws = book[sheet.name]
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks, "表三 is longer than a page: it needs its breaks placed"
    for lab in sheet.labels:
        r1, _, r2, _ = parse_range(lab.range)
        if lab.header or r2 == r1 or r2 - r1 > 15:  # 三、本年度办理结果 is longer than a page
            continue
        assert not any(r1 <= b < r2 for b in breaks), (lab.text, breaks)
    assert ws.print_title_rows == "$1:$3"


@pytest.mark.libreoffice
def test_rendered_workbook_shows_every_character_and_keeps_groups_whole(blank_workbook, tmp_path, spec):
    """Fill every narrative cell of 一、五、六 with 2,500 characters by label, print through
    LibreOffice: every marker is on the page; （五）不予处理 and its five rows share a page."""
    entries = {
        (sheet.name, f.label, None): _long_text(f"{sheet.section}{i}")
        for i, (sheet, f) in enumerate(_narrative_fields(spec))
    }
    entries[("三、依申请公开", "5.要求行政机关确认或重新出具已获取信息", "自然人")] = 1
    filled = fill(blank_workbook, tmp_path / "long.xlsx", entries)
    (pdf,) = soffice_convert([filled], tmp_path / "pdf", to="pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for (sheet_name, label, _), value in entries.items():
        if sheet_name == "三、依申请公开":
            continue
        markers = re.findall(r"〔[^〕]+〕", value)
        missing = [m for m in markers if m not in flat]
        assert not missing, f"{sheet_name} {label}: {len(missing)} of {len(markers)} markers not printed"
    pages = [re.sub(r"\s+", "", p) for p in text.split("\f")]
    group = spec.sheet("B")
    rows = [lab.text for lab in group.labels if parse_range(lab.range)[0] >= 19 and parse_range(lab.range)[2] <= 23]
    title = re.sub(r"\s+", "", group.section + "、" + group.heading)  # the page header of 表三's pages
    holding = [i for i, p in enumerate(pages) if "（五）不予处理" in p and title in p]
    assert len(holding) == 1 and all(re.sub(r"\s+", "", r) in pages[holding[0]] for r in rows), rows


# ---------------------------------------------------------------- gktool new: bad input, one line
def _new(tmp_path, *args):
    runner = CliRunner()
    return runner.invoke(main, ["new", *args])


@pytest.mark.parametrize(
    "key, value",
    [
        (("封面", "报告年度"), "2023年"),
        (("封面", "报告年度"), 1999),
        (("三、依申请公开", "D4"), "无"),
        (("三、依申请公开", "D4"), -3),
        (("三、依申请公开", "D4"), 2.5),
        (("二、主动公开", "B14"), 1.234),
        (("六、其他事项", "收取信息处理费金额（元）"), "100元"),
    ],
)
def test_new_fill_refuses_values_of_the_wrong_type(tmp_path, key, value):
    import json as _json

    data = tmp_path / "fill.json"
    data.write_text(_json.dumps({key[0]: {key[1]: value}}, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "out.xlsx"
    r = _new(tmp_path, "--fill", str(data), "-o", str(target))
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and key[1] in lines[0] and _json.dumps(value, ensure_ascii=False) in lines[0], lines
    assert "Traceback" not in r.output and not target.exists()


def test_new_fill_writes_whole_numbers_and_text(tmp_path):
    """2.0 is the count 2; a phone number written as a JSON number is text."""
    import json as _json

    data = tmp_path / "fill.json"
    data.write_text(
        _json.dumps(
            {"三、依申请公开": {"D4": 2.0}, "封面": {"邮政编码": 755100, "报告年度": 2023}}, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    r = _new(tmp_path, "--fill", str(data), "-o", str(tmp_path / "out.xlsx"))
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert wb["三、依申请公开"]["D4"].value == 2 and wb["封面"]["B15"].value == "755100"


@pytest.mark.parametrize("name", ["x.xls", "x.ods", "x", "x.xlsx.docx"])
def test_new_refuses_an_output_that_is_not_xlsx(tmp_path, name):
    r = _new(tmp_path, "--unit", "某县", "-o", str(tmp_path / name))
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and ".xlsx" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_default_name_of_a_very_long_or_odd_unit(tmp_path, monkeypatch):
    """A 100-character unit name still gives a file name the file system accepts; "/" is not a folder."""
    monkeypatch.chdir(tmp_path)
    unit = "宁夏回族自治区中卫市中宁县人民政府办公室政务公开科" * 4
    r = _new(tmp_path, "--unit", unit, "--year", "2023")
    assert r.exit_code == 0, r.output
    (made,) = tmp_path.iterdir()
    assert len(made.name.encode("utf-8")) <= 255 and made.name.endswith("2023年政府信息公开工作年度报告.xlsx")
    assert openpyxl.load_workbook(made)["封面"]["B9"].value == unit, "the cell keeps the whole name"
    made.unlink()
    r = _new(tmp_path, "--unit", "某市/某局", "--year", "2023")
    assert r.exit_code == 0 and [p.name for p in tmp_path.iterdir()] == ["某市_某局2023年政府信息公开工作年度报告.xlsx"]
