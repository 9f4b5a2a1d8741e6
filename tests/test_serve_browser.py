"""`gktool serve` end to end in a real browser: Debian's chromium, headless, driven by Selenium
through the system chromedriver (no browser download). A clerk uploads a failing and a passing
workbook, reads the findings, downloads the blank workbook and the Word report; the office
checks the board and downloads a unit's file. A screenshot of each page is saved (set
GKTOOL_SCREENSHOTS=folder to keep them) so a person can look at it."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from gktool.filldata import load_fill
from gktool.spec import load_spec
from gktool.validate import check_file
from gktool.writers.workbook import new_workbook

from .servekit import Server

ROOT = Path(__file__).resolve().parent.parent
ROSTER = ["甲县人民政府办公室", "乙县", "丙县"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="Debian packages chromium and chromium-driver not installed"
    ),
]


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("GKTOOL_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    spec = load_spec()
    folder = tmp_path_factory.mktemp("upload")
    values = load_fill(spec, ROOT / "examples" / "zhongning-2023.json")
    # the bad file is 中宁县's (another unit's report on the link); the good one is the unit's own
    good = new_workbook(spec, folder / "中宁县2023年报告.xlsx", values=values)
    wb = openpyxl.load_workbook(good)
    wb["三、依申请公开"]["D4"] = 99
    wb.save(folder / "有错误的报告.xlsx")
    good = new_workbook(spec, folder / f"{ROSTER[0]}2023年报告.xlsx", values=values, unit=ROSTER[0], force=True)
    big = folder / "太大的文件.xlsx"
    with open(big, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    return {"good": good, "bad": folder / "有错误的报告.xlsx", "big": big}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(ROSTER, tmp_path_factory.mktemp("serve") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def by(css):
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR, css


def shoot(browser, shots: Path, name: str) -> None:
    """A full-page screenshot: the window is stretched to the page's height first."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, max(800, min(height + 40, 6000)))
    browser.save_screenshot(str(shots / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def wait_download(folder: Path, suffix: str, known: set[str], timeout: float = 90) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == suffix and p.name not in known]
        if done and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded: {os.listdir(folder)}")


def upload(browser, path: Path) -> None:
    """Choose the file, press the button, and wait until the answer's page has replaced this one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(*by("html"))
    browser.find_element(*by("#file")).send_keys(str(path))
    browser.find_element(*by("#upload button")).click()
    WebDriverWait(browser, 120).until(expected_conditions.staleness_of(old))
    WebDriverWait(browser, 120).until(lambda d: d.execute_script("return document.readyState") == "complete")


def follow(browser, link) -> None:
    """Click a link (an element, or a CSS selector) to another page and wait for it."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(*by("html"))
    (browser.find_element(*by(link)) if isinstance(link, str) else link).click()
    WebDriverWait(browser, 60).until(expected_conditions.staleness_of(old))
    WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_a_unit_uploads_a_bad_then_a_good_file(server, browser, files, downloads, shots):
    unit = ROSTER[0]
    browser.get(server.links[unit])
    assert unit in browser.title and browser.find_element(*by("h1")).text == unit
    assert "还没有提交过文件" in browser.page_source
    shoot(browser, shots, "1-unit-empty")

    upload(browser, files["bad"])
    assert "/s/" in browser.current_url
    assert browser.find_element(*by("#verdict")).text.startswith("结论：不通过")
    sheets = [h.text for h in browser.find_elements(*by("section.sheet h3"))]
    assert "【三、依申请公开】" in sheets
    rows = [r.find_elements(*by("td")) for r in browser.find_elements(*by("table.findings tbody tr"))]
    first = next(r for r in rows if r[1].text == "R1")
    assert first[0].text == "错误" and "D4" in first[2].text
    assert "表三" in first[3].text and "相差 71" in first[3].text
    other = next(r for r in rows if r[1].text == "C1")  # another unit's file on this link: an error of its own
    assert other[0].text == "错误" and f"不是报送单位“{unit}”" in other[3].text
    assert not browser.find_elements(*by("#download-report"))  # no report while there are errors
    assert f"中宁县，2023 不是{unit}" in browser.find_element(*by("dl.facts")).text  # the file is another unit's
    shoot(browser, shots, "2-findings-bad")

    follow(browser, ".crumbs a")
    upload(browser, files["good"])
    assert browser.find_element(*by("#verdict")).text.startswith("结论：通过")
    assert not browser.find_elements(*by("table.findings"))
    shoot(browser, shots, "3-findings-good")

    known = set(os.listdir(downloads))
    browser.find_element(*by("#download-report")).click()
    report = wait_download(downloads, ".docx", known)
    assert report.name == f"{unit}2023年政府信息公开工作年度报告.docx"
    with zipfile.ZipFile(report) as z:
        assert unit in z.read("word/document.xml").decode()

    follow(browser, ".crumbs a")
    history = browser.find_elements(*by("#history tbody tr"))
    assert [r.find_elements(*by("td"))[2].text for r in history] == ["通过", "不通过"]  # newest first
    known = set(os.listdir(downloads))
    browser.find_element(*by("#blank")).click()
    blank = wait_download(downloads, ".xlsx", known)
    analysis = check_file(blank, strict=True)
    assert (analysis.report.unit, analysis.report.year, analysis.result.kind) == (unit, 2023, "gktool")
    shoot(browser, shots, "4-unit-history")


def test_too_large_and_forbidden_pages(server, browser, files, shots):
    browser.get(server.links["乙县"])
    upload(browser, files["big"])
    assert "文件超过 20 MB" in browser.find_element(*by("#message")).text
    shoot(browser, shots, "5-too-large")
    browser.get(server.links["乙县"].replace("/k/", "/k/x"))
    assert "无法打开这个页面" in browser.page_source and "乙县" not in browser.page_source
    shoot(browser, shots, "6-forbidden")


def test_the_office_board(server, browser, files, downloads, shots):
    browser.get(server.links["管理"])
    assert browser.find_element(*by("h1")).text == "报送情况总表"
    rows = {r.find_elements(*by("td"))[0].text: r for r in browser.find_elements(*by("#board tbody tr"))}
    assert set(rows) == set(ROSTER)
    cells = [td.text for td in rows[ROSTER[0]].find_elements(*by("td"))]
    assert cells[1] == "通过" and cells[5] == files["good"].name and cells[6] == "2"
    assert files["good"].name in cells[7]  # 汇总采用: the submission the summary counts
    assert [td.text for td in rows["丙县"].find_elements(*by("td"))][1] == "未提交"
    assert "未提交 2" in browser.find_element(*by("#counts")).text
    shoot(browser, shots, "7-board")

    known = set(os.listdir(downloads))
    browser.find_element(*by("#summary")).click()
    summary = wait_download(downloads, ".xlsx", known)
    summed = check_file(summary, strict=True)
    assert summed.report.year == 2023 and summed.report.kind == "gktool"
    assert {f.rule for f in summed.result.findings if f.severity == "error"} <= {"K1"}  # contact details: the office's
    assert summed.report.number("三、依申请公开", "D4") == check_file(files["good"], strict=True).report.number(
        "三、依申请公开", "D4"
    )

    known = set(os.listdir(downloads))
    rows[ROSTER[0]].find_elements(*by("td"))[5].find_element(*by("a")).click()
    got = wait_download(downloads, ".xlsx", known)
    assert got.read_bytes() == files["good"].read_bytes()

    follow(browser, rows[ROSTER[0]].find_element(*by("td.unit a")))
    assert browser.find_element(*by("h1")).text == f"{ROSTER[0]} 的全部提交"
    assert len(browser.find_elements(*by("#history tbody tr"))) == 2
    shoot(browser, shots, "8-board-unit")
    follow(browser, browser.find_elements(*by("#history tbody tr"))[1].find_element(*by("a")))
    assert browser.find_element(*by("#verdict")).text.startswith("结论：不通过")
    shoot(browser, shots, "9-board-submission")
