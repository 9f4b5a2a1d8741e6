"""`gktool serve` over real HTTP: the real server in a child process on a loopback port.

Links, uploads (the JSON answer is exactly `gktool validate --format json`), pages, downloads,
the board, every security rule (403 that reveals nothing, 413 while streaming, names never
paths, headers, hostile files as in the CLI), restart, half-received uploads, and a bounded
load test of 50 parallel uploads from 50 units."""

from __future__ import annotations

import hashlib
import html as htmllib
import io
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import openpyxl
import pytest

from gktool.filldata import load_fill
from gktool.serve.storage import TOKEN_BYTES
from gktool.spec import load_spec
from gktool.writers.workbook import new_workbook

from .mutants import rezip, split
from .servekit import Server, leftovers, multipart, read_links, stored_files, with_unit
from .test_hostile import BILLION_LAUGHS, cfb, docx_bytes

ROOT = Path(__file__).resolve().parent.parent
ROSTER = ["甲县", "乙县", "丙县", "丁县", "戊县", "己县人民政府办公室", "庚县", "辛县"]
MB = 1024 * 1024


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, bytes]:
    """A passing workbook (中宁县 2023) and one with 表三 D4 changed so that R1 fails."""
    spec = load_spec()
    folder = tmp_path_factory.mktemp("books")
    values = load_fill(spec, ROOT / "examples" / "zhongning-2023.json")
    good = new_workbook(spec, folder / "good.xlsx", values=values)
    # written by gktool too, so that `own` can rename its unit as in the good one
    bad = new_workbook(spec, folder / "bad.xlsx", values={**values, ("三、依申请公开", "D4"): 99})
    return {"good": good.read_bytes(), "bad": bad.read_bytes()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(ROSTER, tmp_path_factory.mktemp("serve") / "数据", workers=2).start()  # uploads side by side
    yield s
    assert s.stop() == 0


def own(data: bytes, unit: str) -> bytes:
    """A test workbook (made for 中宁县) as `unit`'s own report: a file naming another unit is refused."""
    return with_unit(data, "中宁县", unit)


def cli_json_lines(folder: Path, names: list[str]) -> list[str]:
    """What `gktool validate --format json` prints for these files, run where they are."""
    r = subprocess.run(
        [sys.executable, "-m", "gktool.cli", "validate", "--format", "json", "-j", "1", *names],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert r.stderr == "" and r.returncode in (0, 1, 2), r.stderr
    return r.stdout.splitlines()


def submission_urls(page: str) -> list[str]:
    return re.findall(r'href="(?:\./|\.\./)?(s/\d+)"', page)


def count_submissions(data: Path) -> int:
    with sqlite3.connect(data / "gktool-serve.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]


# ------------------------------------------------------------------ links
def test_links_csv_one_row_per_unit_plus_board(server):
    raw = (server.data / "links.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfunit,url\r\n")
    assert list(server.links) == ROSTER + ["管理"]
    tokens = [urlsplit(u).path.split("/")[2] for u in server.links.values()]
    assert len(set(tokens)) == len(tokens)
    for url, token in zip(server.links.values(), tokens, strict=True):
        assert url == f"{server.base}k/{token}/"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token) and len(token) >= 4 * TOKEN_BYTES // 3
    assert any(str((server.data / "links.csv").resolve()) in line for line in server.output), server.output
    assert server.base.startswith("http://127.0.0.1:")


def test_listens_on_loopback_only_by_default(server):
    port = urlsplit(server.base).port
    listening = (
        [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:] if line.split()[3] == "0A"]
        if Path("/proc/net/tcp").exists()
        else []
    )
    if not listening:
        pytest.skip("no /proc/net/tcp")
    ours = [fields[1] for fields in listening if int(fields[1].split(":")[1], 16) == port]
    assert ours == [f"0100007F:{port:04X}"]  # 127.0.0.1, not 0.0.0.0


# ------------------------------------------------------------------ uploads
def test_json_answer_is_the_cli_json_line(server, books, tmp_path):
    """Good, failing, and hostile files: the answer is byte for byte what the CLI prints, status 200."""
    parts = split(books["good"])
    sheet4 = "xl/worksheets/sheet4.xml"
    cases = {
        "中宁县 2023年报告.xlsx": own(books["good"], "甲县"),
        "有错误.xlsx": own(books["bad"], "甲县"),
        "truncated.xlsx": books["good"][: len(books["good"]) // 2],
        "random.xlsx": bytes(range(256)) * 64,
        "empty.xlsx": b"",
        "bomb.xlsx": rezip(
            {**parts, sheet4: parts[sheet4].replace(b"<sheetData>", b"<sheetData>" + b" " * (60 * MB), 1)}
        ),
        "laughs.xlsx": rezip({**parts, "xl/sharedStrings.xml": BILLION_LAUGHS}),
        "renamed-docx.xlsx": docx_bytes(),
        "legacy.xls": cfb(["Workbook"]),
        "报告.et": cfb(["Workbook"]),
        "notes.txt": "这不是工作簿".encode(),
        "手工制作的表格.xlsx": _foreign(tmp_path, "甲县"),
    }
    assert len(cases["bomb.xlsx"]) < 20 * MB
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    expected = cli_json_lines(tmp_path, list(cases))
    assert len(expected) == len(cases)
    for (name, data), line in zip(cases.items(), expected, strict=True):
        answer = server.upload("甲县", name, data)
        assert answer.status == 200, (name, answer)
        assert answer.headers["content-type"].startswith("application/json")
        got, cli = json.loads(answer.text), json.loads(line)
        if cli["unit"] not in (None, "甲县"):  # another unit's report on 甲县's link: the one added error
            assert got["findings"][0]["rule"] == "C1" and "不是报送单位“甲县”" in got["findings"][0]["message"]
            assert got["findings"][1:] == cli["findings"] and not got["ok"], name
        else:
            assert answer.text == line + "\n", name
        assert got["file"] == name
        assert str(server.data) not in answer.text and "/files/" not in answer.text
    verdicts = {name: json.loads(line)["ok"] for name, line in zip(cases, expected, strict=True)}
    assert json.loads(expected[-1])["kind"] == "xlsx" and json.loads(expected[-1])["ok"]  # read by labels
    assert verdicts["中宁县 2023年报告.xlsx"] and not verdicts["有错误.xlsx"] and not verdicts["bomb.xlsx"]
    assert "压缩炸弹" in json.loads(expected[list(cases).index("bomb.xlsx")])["findings"][0]["message"]
    assert leftovers(server.data) == []


def test_browser_form_upload_redirects_to_findings_grouped_by_sheet(server, books):
    answer = server.upload("乙县", "乙县 有错误.xlsx", books["bad"], json=False)
    assert answer.status == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"s/\d+", location)  # relative: works under a proxy's prefix
    page = server.get(server.links["乙县"] + location)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "结论：不通过" in html and "乙县 有错误.xlsx" in html
    assert "【三、依申请公开】" in html and "R1" in html and "D4" in html and "D27" in html
    assert "下载 Word 年度报告" not in html
    verdict = json.loads(server.upload("乙县", "x.xlsx", books["bad"]).text)
    text = htmllib.unescape(html)
    for f in verdict["findings"]:  # every finding is on the page, message and cells
        assert f["message"] in text
        for cell in f["cells"][:6]:
            assert cell in text


def test_every_upload_is_kept_and_listed(server, books):
    before = stored_files(server.data)
    ids = []
    for _ in range(3):
        answer = server.upload("丙县", "同名.xlsx", books["good"], json=False)
        ids.append(answer.headers["location"])
    added = stored_files(server.data) - before
    assert len(added) == 3
    page = server.get(server.links["丙县"]).text
    assert page.count("同名.xlsx") == 3
    assert set(ids) <= set(submission_urls(page))
    for location in ids:  # each upload downloads back byte for byte
        assert server.get(server.links["丙县"] + location + "/file").body == books["good"]


def test_upload_names_never_become_paths(server, books, tmp_path):
    before = stored_files(server.data)
    names = [
        "../../../escape.xlsx",
        "..\\..\\windows.xlsx",
        "/etc/passwd",
        "a/b/c.xlsx",
        "<img src=x onerror=alert(1)>.xlsx",
        "quote'.xlsx",
        "x" * 500 + ".xlsx",
        "bell\x07tab\t.xlsx",
        "..",
        ".xlsx",
    ]
    for name in names:
        answer = server.upload("丁县", name, books["good"])
        assert answer.status == 200, (name, answer)
        shown = json.loads(answer.text)["file"]
        assert "/" not in shown and "\\" not in shown and "\r" not in shown and "\n" not in shown
        assert len(shown) <= 200
    added = stored_files(server.data) - before
    assert len(added) == len(names)
    assert all(re.fullmatch(r"[0-9a-f]{32}(\.[a-z0-9]{1,8})?", n) for n in added), added
    assert not (server.data.parent / "escape.xlsx").exists() and not (server.data / "escape.xlsx").exists()
    page = server.get(server.links["丁县"]).text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in page
    for location in submission_urls(page):  # the original name is offered on download, safely
        answer = server.get(server.links["丁县"] + location + "/file")
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition


def test_missing_or_wrong_form_is_one_clear_answer(server, books):
    before = count_submissions(server.data)
    body, ctype = multipart({"other": ("a.xlsx", books["good"])})
    for headers, data in [
        ({"Content-Type": ctype, "Accept": "application/json"}, body),
        ({"Content-Type": "application/octet-stream", "Accept": "application/json"}, books["good"]),
        ({"Content-Type": "multipart/form-data; boundary=zzz", "Accept": "application/json"}, b"garbage"),
    ]:
        answer = server.request("POST", server.links["戊县"], data, headers)
        assert answer.status == 400, answer
        assert set(json.loads(answer.text)) == {"error"}
    empty, ctype = multipart({"file": ("", b"")})  # the form sent with no file chosen
    answer = server.request("POST", server.links["戊县"], empty, {"Content-Type": ctype})
    assert answer.status == 400 and "请选择要上传的文件" in answer.text
    assert count_submissions(server.data) == before


def test_every_link_works_under_a_reverse_proxy_prefix(server, books):
    """As behind nginx `location /baosong/ { proxy_pass http://127.0.0.1:PORT/; }`: every link
    and redirect, resolved against the public address, stays under the prefix and answers."""
    public = "https://gk.example.gov.cn/baosong/"

    def backend(url: str) -> str:
        assert url.startswith(public), url
        return "/" + url[len(public) :]

    unit = "己县人民政府办公室"
    start = public + urlsplit(server.links[unit]).path.lstrip("/")
    server.upload(unit, "坏.xlsx", own(books["bad"], unit))
    redirect = server.upload(unit, "好.xlsx", own(books["good"], unit), json=False).headers["location"]
    todo = [urljoin(start, redirect), start, public + urlsplit(server.links["管理"]).path.lstrip("/")]
    seen: set[str] = set()
    while todo:
        url = todo.pop()
        if url in seen or len(seen) > 80:
            continue
        seen.add(url)
        answer = server.get(backend(url))
        assert answer.status == 200, (url, re.sub(r"<[^>]+>|\s+", " ", answer.text)[-400:])
        if answer.headers["content-type"].startswith("text/html"):
            todo += [
                urljoin(url, h)
                for h in re.findall(r'(?:href|action)="([^"]*)"', answer.text)
                if not h.endswith(("report.docx", "summary.xlsx")) or unit in answer.text
            ]
    assert any(u.endswith("gktool.css") for u in seen) and any(u.endswith("/file") for u in seen)
    assert any(u.endswith("report.docx") for u in seen) and any("/unit/" in u for u in seen)


# ------------------------------------------------------------------ downloads
def test_blank_workbook_for_the_unit_and_year(server, tmp_path):
    answer = server.get(server.links["己县人民政府办公室"] + "blank.xlsx")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=utf-8''" in answer.headers["content-disposition"]
    path = tmp_path / "blank.xlsx"
    path.write_bytes(answer.body)
    from gktool.validate import check_file

    analysis = check_file(path, strict=True)
    assert analysis.result.kind == "gktool"
    assert (analysis.report.unit, analysis.report.year) == ("己县人民政府办公室", 2023)
    assert leftovers(server.data) == [] and list((server.data / "cache").glob("blank-*")) == []


def test_word_report_only_once_the_file_passes(server, books):
    good = server.upload("庚县", "好.xlsx", own(books["good"], "庚县"), json=False).headers["location"]
    bad = server.upload("庚县", "坏.xlsx", own(books["bad"], "庚县"), json=False).headers["location"]
    base = server.links["庚县"]
    assert "下载 Word 年度报告" in server.get(base + good).text
    answer = server.get(base + good + "/report.docx")
    assert answer.status == 200
    assert answer.headers["content-type"].endswith("wordprocessingml.document")
    assert "filename*=utf-8''" in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.body)) as z:
        document = z.read("word/document.xml").decode()
    assert "庚县" in document and "政府信息公开工作年度报告" in document
    again = server.get(base + good + "/report.docx")  # cached: same document
    assert again.body == answer.body
    refused = server.get(base + bad + "/report.docx")
    assert refused.status == 409 and "有错误" in refused.text


# ------------------------------------------------------------------ the board
def test_board_shows_every_unit_latest_verdict_and_files(server, books):
    server.upload("辛县", "第一次.xlsx", books["bad"])
    last = server.upload("辛县", "第二次.xlsx", books["good"], json=False).headers["location"]
    board = server.links["管理"]
    html = server.get(board).text
    rows = dict(re.findall(r'<td class="unit"><a href="(?:\./)?unit/(\d+)">([^<]+)</a>', html))
    assert sorted(rows.values()) == sorted(ROSTER)
    row = html.split(">辛县</a>", 1)[1].split("</tr>", 1)[0]
    assert "不通过" in row and "第二次.xlsx" in row and ">2</td>" in row
    # 辛县's link received 中宁县's report: an error for that upload, shown beside the link's unit, not counted
    assert "文件中的单位为“中宁县”，与报送单位不一致" in row and "不纳入（没有无错误的提交）" in row
    assert "第一次.xlsx" not in row
    assert re.search(r"共 8 个单位", html)
    # a unit nobody uploaded for is 未提交 (戊县 only ever had refused uploads)
    row = html.split(">戊县</a>", 1)[1].split("</tr>", 1)[0]
    assert "未提交" in row and ">0</td>" in row
    # the board opens and downloads any unit's files, and lists every upload of a unit
    sid = last.split("/")[1]
    assert server.get(f"{board}s/{sid}").status == 200
    assert server.get(f"{board}s/{sid}/file").body == books["good"]
    uid = {v: k for k, v in rows.items()}["辛县"]
    history = server.get(f"{board}unit/{uid}").text
    assert "第一次.xlsx" in history and "第二次.xlsx" in history


# ------------------------------------------------------------------ security
def test_without_a_valid_token_everything_is_the_same_403(server, books):
    a = server.links["甲县"]
    board = server.links["管理"]
    token = urlsplit(a).path.split("/")[2]
    b_sub = server.upload("乙县", "乙.xlsx", books["good"], json=False).headers["location"]
    a_sub = server.upload("甲县", "甲.xlsx", books["good"], json=False).headers["location"]
    uid = re.search(r'href="(?:\./)?unit/(\d+)">甲县<', server.get(board).text).group(1)
    body, ctype = multipart({"file": ("x.xlsx", books["good"])})
    before = count_submissions(server.data)
    probes = [
        ("GET", "/"),
        ("GET", "/k/"),
        ("GET", "/k/x/"),
        ("GET", "/k/" + token[:-1] + "/"),
        ("GET", "/k/" + token + "x/"),
        ("GET", "/k/" + token.upper() + "/"),
        ("GET", "/k/%2e%2e/"),
        ("GET", "/k/nosuch"),
        ("GET", "/nosuch"),
        ("GET", "/static/../k/"),
        ("DELETE", urlsplit(a).path),
        ("GET", "/k/nosuch/s/1"),
        ("GET", "/k/nosuch/s/1/file"),
        ("GET", "/k/nosuch/blank.xlsx"),
        ("GET", "/k/nosuch/summary.xlsx"),
        ("GET", "/k/nosuch/unit/1"),
        ("GET", a + b_sub),
        ("GET", a + b_sub + "/file"),
        ("GET", a + b_sub + "/report.docx"),  # another unit's
        ("GET", a + "s/999999"),
        ("GET", a + "s/999999/file"),  # none at all
        ("GET", a + f"unit/{uid}"),
        ("GET", a + "summary.xlsx"),  # the board's
        ("GET", board + "blank.xlsx"),
        ("POST", board),
        ("POST", "/k/nosuch/"),
    ]
    answers = []
    for method, url in probes:
        data = body if method == "POST" else None
        answers.append(server.request(method, url, data, {"Content-Type": ctype} if data else {}))
    for (method, url), answer in zip(probes, answers, strict=True):
        assert answer.status == 403, (method, url, answer)
        assert answer.body == answers[0].body, (method, url)
        assert "甲县" not in answer.text and "乙县" not in answer.text
        assert {k for k in answer.headers if k != "date"} == {k for k in answers[0].headers if k != "date"}
    assert count_submissions(server.data) == before
    assert server.get(a + a_sub).status == 200
    bare = server.get(urlsplit(a).path.rstrip("/"))  # a valid link without its last "/" is forgiven
    assert bare.status == 307 and bare.headers["location"] == token + "/"


def test_security_headers_on_every_answer(server, books):
    unit = server.links["甲县"]
    loc = server.upload("甲县", "h.xlsx", books["good"], json=False).headers["location"]
    answers = {
        "unit page": server.get(unit),
        "submission": server.get(unit + loc),
        "board": server.get(server.links["管理"]),
        "file": server.get(unit + loc + "/file"),
        "blank": server.get(unit + "blank.xlsx"),
        "json": server.upload("甲县", "h.xlsx", books["good"]),
        "redirect": server.upload("甲县", "h.xlsx", books["good"], json=False),
        "403": server.get("/k/nosuch/"),
        "400": server.upload("甲县", "h.xlsx", b"x", field="wrong"),
        "413": server.request(
            "POST",
            unit,
            b"x",
            {
                "Content-Type": "multipart/form-data; boundary=a",
                "Content-Length": str(21 * MB),
                "Expect": "100-continue",
            },
        ),
        "static": server.get("/static/gktool.css"),
    }
    for what, answer in answers.items():
        h = answer.headers
        assert h["x-content-type-options"] == "nosniff", what
        assert h["x-frame-options"] == "DENY", what
        assert "frame-ancestors 'none'" in h["content-security-policy"], what
        assert "script-src" not in h["content-security-policy"] and "default-src 'none'" in h["content-security-policy"]
        assert h["referrer-policy"] == "no-referrer", what  # capability links never leak in Referer
        assert "set-cookie" not in h, what  # no cookies, hence no CSRF tokens needed
        assert "server" not in h, what
        if what != "static":
            assert h["cache-control"] == "no-store", what
    assert answers["413"].status == 413 and answers["400"].status == 400
    # an uploaded HTML file is never served as HTML from the office's origin
    evil = server.upload("甲县", "evil.html", b"<html><script>alert(1)</script></html>", json=False)
    answer = server.get(unit + evil.headers["location"] + "/file")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment")


def _raw(server, head: bytes, chunks, read: bool = True, pause: float = 0) -> bytes:
    parts = urlsplit(server.base)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(head)
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            if pause:
                time.sleep(pause)
        if not read:
            return b""
        out = b""
        while data := sock.recv(65536):
            out += data
        return out


def test_uploads_over_20_mb_get_413_while_streaming_and_leave_nothing(server):
    unit = server.links["甲县"]
    path = urlsplit(unit).path
    before_files, before_count = stored_files(server.data), count_submissions(server.data)

    # the exact limit is accepted; one byte more is not
    exact = server.upload("甲县", "exact.bin", b"\0" * (20 * MB))
    assert exact.status == 200 and json.loads(exact.text)["file"] == "exact.bin"
    over = server.upload("甲县", "over.bin", b"\0" * (20 * MB + 1))
    assert over.status == 413 and "20 MB" in json.loads(over.text)["error"]

    # announced too large: refused before the body is read (a client waiting for 100-continue sends nothing)
    start = time.monotonic()
    answer = server.request(
        "POST",
        unit,
        None,
        {"Content-Type": "multipart/form-data; boundary=a", "Content-Length": str(500 * MB), "Expect": "100-continue"},
    )
    assert answer.status == 413 and time.monotonic() - start < 5

    # chunked, no length announced: counted while streaming, stopped past the limit
    body, ctype = multipart({"file": ("big.xlsx", b"\1" * (30 * MB))})
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    chunks = [b"%x\r\n" % len(body[i : i + MB]) + body[i : i + MB] + b"\r\n" for i in range(0, len(body), MB)] + [
        b"0\r\n\r\n"
    ]
    reply = _raw(server, head, chunks)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"20 MB" in reply

    assert len(stored_files(server.data) - before_files) == 1
    assert count_submissions(server.data) == before_count + 1  # only the exact-limit file
    assert leftovers(server.data) == []


def test_half_received_upload_leaves_nothing(server, books):
    unit = server.links["乙县"]
    before_files, before_count = stored_files(server.data), count_submissions(server.data)
    body, ctype = multipart({"file": ("half.xlsx", books["good"] * 20)})
    head = (
        f"POST {urlsplit(unit).path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    for cut in (100, len(body) // 2, len(body) - 10):  # inside the headers, the file, the closing boundary
        _raw(server, head, [body[:cut]], read=False)
    time.sleep(1)
    assert stored_files(server.data) == before_files
    assert count_submissions(server.data) == before_count
    assert leftovers(server.data) == []
    assert server.upload("乙县", "after.xlsx", books["good"]).status == 200  # and the server is fine


# ------------------------------------------------------------------ start, restart, errors
def test_restart_keeps_everything(tmp_path, books):
    data = tmp_path / "data"
    s = Server(["一号单位", "二号单位", "三号单位"], data).start()
    try:
        loc = s.upload("一号单位", "一.xlsx", own(books["good"], "一号单位"), json=False).headers["location"]
        s.upload("二号单位", "二.xlsx", books["bad"])
        links, board = dict(s.links), s.get(s.links["管理"]).text
    finally:
        assert s.stop() == 0
    s.roster_path.write_text("一号单位\n二号单位\n四号单位\n", encoding="utf-8")  # 三 leaves, 四 joins
    s = Server(None, data).start()
    try:
        path = {unit: urlsplit(url).path for unit, url in links.items()}  # the port is new, the tokens are not
        assert urlsplit(s.links["一号单位"]).path == path["一号单位"] and urlsplit(s.links["管理"]).path == path["管理"]
        assert "四号单位" in s.links and "三号单位" not in s.links
        assert s.get(path["三号单位"]).status == 403  # a unit off the roster: its link stops
        assert s.get(path["一号单位"] + loc + "/file").body == own(books["good"], "一号单位")
        after = s.get(s.links["管理"]).text

        def row(html: str, unit: str) -> str:
            return re.sub(r"s/\d+", "", html.split(f">{unit}</a>", 1)[1].split("</tr>", 1)[0])

        for unit in ("一号单位", "二号单位"):
            assert row(after, unit) == row(board, unit)
        assert "四号单位" in after
    finally:
        assert s.stop() == 0


def test_start_errors_are_one_line(tmp_path):
    def run(*args):
        r = subprocess.run(
            [sys.executable, "-m", "gktool.cli", "serve", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            cwd=tmp_path,
        )
        assert "Traceback" not in r.stderr
        return r

    roster = tmp_path / "r.txt"
    roster.write_text("甲县\n甲县\n", encoding="utf-8")
    r = run("--roster", str(roster), "--data", "d")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "重复" in r.stderr
    roster.write_text("管理\n", encoding="utf-8")
    assert "管理" in run("--roster", str(roster), "--data", "d").stderr
    r = run("--roster", str(tmp_path / "none.txt"), "--data", "d")
    assert r.returncode == 2 and "不存在" in r.stderr
    roster.write_text("甲县\n", encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = run("--roster", str(roster), "--data", "d", "--port", str(busy.getsockname()[1]))
    assert r.returncode == 2 and "已被占用" in r.stderr and r.stderr.count("\n") == 1
    r = run("--roster", str(roster), "--data", "d", "--url", "gk.example/")
    assert r.returncode == 2 and "--url" in r.stderr


def test_roster_in_gb18030_with_comments(tmp_path):
    from gktool.serve.storage import read_roster

    path = tmp_path / "名单.txt"
    path.write_bytes("# 2024 年名单\r\n甲县\r\n\r\n  乙县  人民政府 \r\n".encode("gb18030"))
    assert read_roster(path) == ["甲县", "乙县 人民政府"]
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "单位名称"])
    wb.active.append([1, "甲县"])
    wb.active.append([2, "乙县人民政府办公室"])
    wb.save(tmp_path / "名单.xlsx")
    assert read_roster(tmp_path / "名单.xlsx") == ["甲县", "乙县人民政府办公室"]


def test_url_option_writes_the_public_address(tmp_path):
    s = Server(["甲县"], tmp_path / "data", extra=("--url", "https://gk.example.gov.cn/baosong")).start()
    try:
        links = read_links(tmp_path / "data" / "links.csv")
        assert links["甲县"].startswith("https://gk.example.gov.cn/baosong/k/")
        assert s.get(urlsplit(links["甲县"]).path.removeprefix("/baosong")).status == 200
    finally:
        s.stop()


# ------------------------------------------------------------------ load
def test_fifty_parallel_uploads_from_fifty_units_all_land(tmp_path):
    units = [f"第{i:02d}单位" for i in range(1, 51)]
    spec = load_spec()
    placeholder = "占位单位名称甲乙丙"
    base = new_workbook(
        spec,
        tmp_path / "base.xlsx",
        unit=placeholder,
        year=2023,
        values=load_fill(spec, ROOT / "examples" / "zhongning-2023.json"),
    ).read_bytes()
    books = {u: with_unit(base, placeholder, u) for u in units}
    s = Server(units, tmp_path / "data", workers=2).start()
    try:
        start = time.monotonic()
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda u: (u, s.upload(u, f"{u}.xlsx", books[u])), units))
        elapsed = time.monotonic() - start
        assert elapsed < 120, elapsed
        for unit, answer in answers:
            assert answer.status == 200, (unit, answer)
            got = json.loads(answer.text)
            assert got["ok"] and got["unit"] == unit and got["file"] == f"{unit}.xlsx"
        html = s.get(s.links["管理"]).text
        assert "通过 50" in html and "未提交 0" in html
        assert "文件中的单位为" not in html  # every file names the unit that sent it
        with sqlite3.connect(tmp_path / "data" / "gktool-serve.sqlite3") as db:
            rows = db.execute(
                "SELECT u.name, s.filename, s.file_unit, s.sha256 FROM submissions s JOIN units u ON u.id = s.unit_id"
            ).fetchall()
        assert len(rows) == 50
        for name, filename, file_unit, digest in rows:  # nothing lost, nothing mixed up
            assert filename == f"{name}.xlsx" and file_unit == name
            assert digest == hashlib.sha256(books[name]).hexdigest()
        assert leftovers(tmp_path / "data") == []
    finally:
        assert s.stop() == 0


# ------------------------------------------------------------------ the 汇总
def test_summary_sums_each_units_latest_passing_submission(tmp_path, books):
    from gktool.validate import check_file

    units = ["甲单位", "乙单位", "丙单位", "丁单位"]
    s = Server(units, tmp_path / "data").start()
    try:
        s.upload("甲单位", "甲-第一次.xlsx", own(books["good"], "甲单位"))
        s.upload("甲单位", "甲-第二次.xlsx", own(books["bad"], "甲单位"))  # newest fails: the passing one is summed
        s.upload("乙单位", "乙.xlsx", own(books["good"], "乙单位"))
        s.upload("丙单位", "丙.xlsx", own(books["bad"], "丙单位"))  # never passed: not summed, explained on 状态
        board = s.links["管理"]
        assert "2 个单位最新的无错误提交" in s.get(board).text
        answer = s.get(board + "summary.xlsx")
        assert answer.status == 200 and answer.headers["content-type"].endswith("spreadsheetml.sheet")
        assert "filename*=utf-8''" in answer.headers["content-disposition"]
        path = tmp_path / "汇总.xlsx"
        path.write_bytes(answer.body)
        summed, one = (
            check_file(path, strict=True),
            check_file(_write(tmp_path / "good.xlsx", books["good"]), strict=True),
        )
        # every rule on the numbers holds; the cover's contact details (K1) are the office's own to fill in
        assert {f.rule for f in summed.result.findings if f.severity == "error"} <= {"K1"}, summed.result.findings
        numbers = [k for k, v in one.report.values.items() if isinstance(v, float) and k[0] != "封面"]
        assert len(numbers) > 50
        for sheet, cell in numbers:
            assert summed.report.number(sheet, cell) == 2 * one.report.number(sheet, cell), (sheet, cell)
        status = {r[0]: r for r in openpyxl.load_workbook(path)["状态"].iter_rows(min_row=2, values_only=True) if r[0]}
        assert set(status) == set(units)
        assert (
            status["甲单位"][4] == "通过"
            and status["甲单位"][8] == "是"
            and status["甲单位"][10].endswith(" 提交的 甲-第一次.xlsx")
        )
        assert status["乙单位"][8] == "是"
        assert status["丙单位"][4] == "不通过" and status["丙单位"][8] == "否"
        assert status["丁单位"][4] == "未提交"
        assert s.get(board + "summary.xlsx").body == answer.body  # built once for the same submissions
        s.upload("丙单位", "丙-改正.xlsx", own(books["good"], "丙单位"))
        again = tmp_path / "again.xlsx"
        again.write_bytes(s.get(board + "summary.xlsx").body)
        assert check_file(again, strict=True).report.number("三、依申请公开", "D4") == 3 * one.report.number(
            "三、依申请公开", "D4"
        )
        for unit in units:  # the board's alone
            assert s.get(s.links[unit] + "summary.xlsx").status == 403
    finally:
        assert s.stop() == 0


def test_summary_needs_a_passing_submission(tmp_path, books):
    s = Server(["甲单位"], tmp_path / "data").start()
    try:
        s.upload("甲单位", "坏.xlsx", books["bad"])
        board = s.get(s.links["管理"]).text
        assert "暂不能汇总" in board and "summary.xlsx" not in board
        assert s.get(s.links["管理"] + "summary.xlsx").status == 409
    finally:
        s.stop()


def _foreign(folder: Path, unit: str = "某某县") -> bytes:
    """A hand-made workbook holding the three official tables (not made by gktool), consistent."""
    import random

    from .foreign import Layout, consistent_values, write_foreign

    spec = load_spec()
    path = folder / "foreign-source.xlsx"
    write_foreign(path, spec, consistent_values(spec, random.Random(3)), Layout(), unit=unit, year=2023)
    data = path.read_bytes()
    path.unlink()
    return data


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_killed_worker_process_loses_no_upload(tmp_path, books):
    """A worker killed (e.g. by the out-of-memory killer) breaks the pool; it is rebuilt and the upload lands."""
    import os
    import signal

    s = Server(["甲单位"], tmp_path / "data", workers=2).start()  # one is killed, one goes on
    try:
        assert s.upload("甲单位", "一.xlsx", own(books["good"], "甲单位")).status == 200
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
            except (OSError, ValueError, IndexError):
                continue
            if ppid == s.proc.pid and "spawn_main" in cmdline and "resource_tracker" not in cmdline:
                workers.append(int(stat.parent.name))
        assert workers
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(0.5)
        answers = [s.upload("甲单位", f"{i}.xlsx", own(books["good"], "甲单位")) for i in range(3)]
        assert [json.loads(a.text)["ok"] for a in answers] == [True, True, True]
        assert count_submissions(tmp_path / "data") == 4
    finally:
        assert s.stop() == 0
