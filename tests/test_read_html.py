"""Saved web pages read into grids and narrative: every cell's text at its place, chrome left out."""

from __future__ import annotations

import time

import pytest

from gktool.errors import GkError
from gktool.readers.html import decode_html, read_html

from .published_fixtures import HARD_LABELS, consistent_report, expected_grids, heading_lines, html_report, title

SHAPES = {
    "plain utf-8": dict(),
    "gbk declared in meta": dict(encoding="gbk"),
    "gbk declared by http-equiv": dict(encoding="gbk", declare="http-equiv"),
    "gb18030 undeclared": dict(encoding="gb18030", declare=None),
    "utf-8 declared gb2312": dict(declared_as="gb2312"),
    "gbk declared utf-8": dict(encoding="gbk", declared_as="utf-8"),
    "word export, gbk": dict(word=True, encoding="gbk"),
    "several tables per section": dict(split=True),
    "numbers padded with nbsp and font": dict(pad=True, split=True),
    "article in a layout table": dict(layout_table=True),
    "no chrome": dict(chrome=False),
    "hard labels, word export": dict(
        word=True, variants={"relabel": HARD_LABELS, "halfwidth": True, "numbering": "、"}
    ),
}


def assert_grids(doc, rep, **kw):
    want = expected_grids(rep, **kw)
    assert len(doc.grids) == len(want)
    for i, (grid, (cells, merges)) in enumerate(zip(doc.grids, want, strict=True), start=1):
        assert grid.name == f"第{i}个表格"
        assert {k: c.text for k, c in grid.cells.items()} == cells, grid.name
        assert set(grid.merges) == merges, grid.name
        for (r, c), cell in grid.cells.items():
            assert cell.at == f"第{i}个表格 第{r}行第{c}列"


@pytest.mark.parametrize("shape", SHAPES)
def test_every_cell_read_at_its_place(tmp_path, shape):
    kw = SHAPES[shape]
    rep = consistent_report(seed=len(shape), big=shape.startswith("word"))
    path = html_report(tmp_path / "report.html", rep, **kw)
    doc = read_html(path)
    assert doc.kind == "html"
    assert doc.title == title(rep)
    assert_grids(doc, rep, split=kw.get("split", False), variants=kw.get("variants"))
    lines = doc.text.splitlines()
    assert [line for line in lines if line in heading_lines()] == heading_lines()
    assert f"全年新收政府信息公开申请{int(rep.values[('三', '一、本年新收政府信息公开申请数量', '总计')])}件。" in lines
    for chrome in ("首页", "当前位置", "假标题", "相关文章", "主办单位", "请启用脚本", "栏目导航", "星期五"):
        assert chrome not in doc.text
    assert doc.findings == []


def test_labels_broken_by_markup_read_as_printed(tmp_path):
    page = """<html><body><div><p>一、总体情况</p><p>正文。</p><table>
    <tr><td>商业<p>企业</p></td><td>结果<br/>纠正</td><td>三、本<p>年度办 &nbsp;<p>理结果</td>
        <td><span>申请人情</span><span>况</span></td><td><font>社会</font>\n   <font>公益组织</font></td></tr>
    <tr><td><p class=MsoNormal><span lang=EN-US>12<o:p></o:p></span></p></td><td>&nbsp;</td><td> 1\n2 </td>
        <td>1 234</td><td>&#12288;7&#12288;</td></tr>
    </table></div></body></html>"""
    path = tmp_path / "labels.html"
    path.write_text(page, encoding="utf-8")
    grid = read_html(path).grids[0]
    assert [grid.cells[(1, c)].text for c in range(1, 6)] == [
        "商业\n企业",
        "结果\n纠正",
        "三、本\n年度办\n理结果",
        "申请人情况",
        "社会公益组织",
    ]
    # a source line break between Chinese characters vanishes (as in a browser); between digits it is a space,
    # so run-together numbers stay visibly two numbers for the matcher to refuse
    assert [grid.cells[(2, c)].text for c in range(1, 6)] == ["12", "", "1 2", "1 234", "7"]


def test_rowspan_colspan_and_nested_tables(tmp_path):
    page = """<html><body><table>
    <tr><td rowspan=2 colspan=2>A</td><td>B</td></tr>
    <tr><td>C<table><tr><td>inner</td><td>9</td></tr></table></td></tr>
    <tr><td>D</td><td rowspan=5>E</td><td colspan="0">F</td></tr>
    </table></body></html>"""
    path = tmp_path / "spans.html"
    path.write_text(page, encoding="utf-8")
    outer, inner = read_html(path).grids
    assert {k: c.text for k, c in outer.cells.items()} == {
        (1, 1): "A",
        (1, 3): "B",
        (2, 3): "C",
        (3, 1): "D",
        (3, 2): "E",
        (3, 3): "F",
    }
    assert outer.merges == [(1, 1, 2, 2)]  # a rowspan past the last row ends with the table
    assert {k: c.text for k, c in inner.cells.items()} == {(1, 1): "inner", (1, 2): "9"}
    assert inner.name == "第2个表格"


def test_narrative_headings_each_on_its_own_line(tmp_path):
    page = (
        "<html><body><div class=nav><a href=/>首页</a></div><div class=content>"
        "<p><strong>一、总体情况</strong></p><p>　　本年度…</p><div>二、主动公开政府信息情况</div>"
        "<p>三、收到和处理政府信息公开申请情况<br>正文甲<br/>正文乙</p>" + "<p>正文。</p>" * 20 + "</div></body></html>"
    )
    path = tmp_path / "n.html"
    path.write_text(page, encoding="utf-8")
    lines = read_html(path).text.splitlines()
    assert lines[:5] == [
        "一、总体情况",
        "本年度…",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "正文甲",
    ]
    assert "首页" not in lines


def test_title_sources(tmp_path):
    for page, want in (
        (
            "<html><head><title>甲县2023年政府信息公开工作年度报告_年报_甲县人民政府</title></head><body><p>x</p></body></html>",
            "甲县2023年政府信息公开工作年度报告",
        ),
        (
            "<html><head><title>站点</title></head><body><div><h1>乙市2024年政府信息公开工作年度报告</h1><p>正文</p>"
            "</div></body></html>",
            "乙市2024年政府信息公开工作年度报告",
        ),
    ):
        path = tmp_path / "t.html"
        path.write_text(page, encoding="utf-8")
        assert read_html(path).title == want


def test_decoding():
    text = "<p>商业企业 行政复议</p>"
    assert decode_html(text.encode("utf-8"))[:2] == (text, "utf-8")
    assert decode_html(text.encode("gbk"))[:2] == (text, "gb18030")
    declared = '<meta charset="gbk">' + text
    assert decode_html(declared.encode("utf-8"))[0] == declared  # declared gbk, saved as UTF-8
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"))[0] == text
    assert decode_html("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))[0] == text
    broken = text.encode("gbk") + b"\xff\xff<p>12</p>"
    out, _, replaced = decode_html(broken)
    assert replaced and "商业企业" in out and "12" in out


def test_undecodable_bytes_are_a_warning(tmp_path):
    path = tmp_path / "bad.html"
    path.write_bytes("<table><tr><td>商业企业</td><td>".encode("gbk") + b"\xff\xff" + b"</td></tr></table>")
    doc = read_html(path)
    assert [f.rule for f in doc.findings] == ["D1"] and "�" in doc.grids[0].cells[(1, 2)].text


# ------------------------------------------------------------------ hostile pages
def refused(path, words: str) -> str:
    with pytest.raises(GkError) as info:
        read_html(path)
    message = info.value.message
    assert "\n" not in message and words in message and info.value.exit_code == 2
    return message


def test_wrong_kinds_and_empty(tmp_path):
    cases = {
        "zip.html": (b"PK\x03\x04" + bytes(100), "Word/Excel"),
        "old.html": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), ".doc/.xls"),
        "pdf.html": (b"%PDF-1.7\n" + bytes(100), "PDF"),
        "empty.html": (b"", "空的"),
        "bin.html": (bytes(range(256)) * 4, "二进制"),
    }
    for name, (data, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        refused(tmp_path / name, words)
    refused(tmp_path, "文件夹")
    refused(tmp_path / "missing.html", "不存在")


def test_huge_page_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.html"
    with open(path, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    t = time.perf_counter()
    refused(path, "过大")
    assert time.perf_counter() - t < 1


def test_deep_nesting_refused(tmp_path):
    path = tmp_path / "deep.html"
    path.write_text(
        "<html><body>" + "<div>" * 20_000 + "<table><tr><td>1</td></tr></table>" + "</div>" * 20_000 + "</body></html>",
        encoding="utf-8",
    )
    t = time.perf_counter()
    refused(path, "嵌套层数")
    assert time.perf_counter() - t < 5


def test_many_tags_refused(tmp_path):
    path = tmp_path / "tags.html"
    path.write_bytes(b"<html><body>" + b"<b></b>" * 1_100_000 + b"</body></html>")
    t = time.perf_counter()
    refused(path, "标签异常多")
    assert time.perf_counter() - t < 5


@pytest.mark.parametrize(
    "what, page, words",
    [
        (
            "elements under the tag cap, many per tag",
            b"<html><body>" + b"<p>x" * 70_000 + b"</body></html>",
            "元素异常多",
        ),
        ("cells", b"<table>" + b"<tr>" + b"<td>1" * 25_000 + b"</table>", "单元格异常多"),
        ("one huge text node", b"<p>" + "字".encode() * 4_000_000 + b"</p>", "超出读取上限"),
    ],
)
def test_page_bounds_each_a_clear_line(tmp_path, what, page, words):
    path = tmp_path / "bounds.html"
    path.write_bytes(page)
    t = time.perf_counter()
    refused(path, words)
    assert time.perf_counter() - t < 5, what


def test_huge_spans_bounded(tmp_path):
    path = tmp_path / "spans.html"
    rows = "".join(f'<tr><td rowspan="65534" colspan="1000">{i}</td></tr>' for i in range(200))
    path.write_text(f"<html><body><table>{rows}</table></body></html>", encoding="utf-8")
    t = time.perf_counter()
    refused(path, "单元格")
    assert time.perf_counter() - t < 5


def test_input_never_modified(tmp_path):
    rep = consistent_report(seed=3)
    path = html_report(tmp_path / "r.html", rep, word=True, encoding="gbk")
    before = path.read_bytes()
    read_html(path)
    assert path.read_bytes() == before


def test_speed(tmp_path):
    """A report page (chrome, Word markup, three tables) reads in well under 0.2 s."""
    rep = consistent_report(seed=4)
    path = html_report(tmp_path / "r.html", rep, word=True, encoding="gbk")
    read_html(path)
    best = min(_timed(read_html, path) for _ in range(5))
    assert best < 0.2, best


def _timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


# ------------------------------------------------------------------ through `gktool extract` and `validate`
def test_extract_gives_exactly_the_fixture_values(tmp_path):
    from .published_fixtures import expected, run_extract, values_read

    reps = {}
    for i, shape in enumerate(SHAPES):
        rep = consistent_report(seed=100 + i, big=i % 2 == 0)
        if i % 3 == 0:  # blanks and "/" where real reports print them
            for key in list(rep.values)[41:70:4]:
                rep.printed[key] = "" if i % 2 else "/"
        name = f"{i:02d}.html"
        html_report(tmp_path / name, rep, **SHAPES[shape])
        reps[name] = (shape, rep)
    out = run_extract(*(tmp_path / n for n in reps))
    for name, (shape, rep) in reps.items():
        obj = out[name]
        assert obj["kind"] == "html", shape
        assert values_read(obj) == expected(rep), shape
        assert (obj["unit"], obj["year"]) == (rep.unit, rep.year), shape


def test_validate_runs_the_arithmetic_rules(tmp_path):
    import json

    from click.testing import CliRunner

    from gktool.cli import main

    rep = consistent_report(seed=7)
    html_report(tmp_path / "clean.html", rep, word=True, encoding="gbk")
    key = ("四", "行政复议", "总计")
    rep.values[key] += 5  # the real case: parts that do not add up to the printed 总计
    html_report(tmp_path / "broken.html", rep, word=True, encoding="gbk")
    result = CliRunner().invoke(
        main, ["validate", "--format", "json", "-j", "1", str(tmp_path / "clean.html"), str(tmp_path / "broken.html")]
    )
    lines = {
        json.loads(line)["file"].rsplit("/", 1)[-1]: json.loads(line)
        for line in result.output.splitlines()
        if line.startswith("{")
    }
    arithmetic = {"R1", "R2", "R3", "R4"}
    assert not [f for f in lines["clean.html"]["findings"] if f["rule"] in arithmetic]
    r4 = [f for f in lines["broken.html"]["findings"] if f["rule"] == "R4"]
    assert r4 and r4[0]["severity"] == "error"
    assert not lines["broken.html"]["ok"]


# ------------------------------------------------------------------ fuzz: damaged pages never crash
def test_damaged_pages_read_or_refused_in_one_line(tmp_path):
    import random

    rng = random.Random(20)
    rep = consistent_report(seed=21)
    base = html_report(tmp_path / "base.html", rep, word=True, encoding="gbk").read_bytes()
    pieces = [
        b"<table>",
        b"</table>",
        b"<tr>",
        b"<td rowspan=99999>",
        b"<td colspan=-4>",
        b"<td rowspan=x>",
        b"</td>",
        b"<p>",
        b"<br>",
        b"<o:p>",
        b"<!--",
        b"<script>",
        b"&#0;",
        b"&#xD800;",
        b"\x00",
        b"<meta charset=utf-16>",
    ]
    for k in range(60):
        d = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            i, j = sorted(rng.randrange(len(d)) for _ in range(2))
            op = rng.randrange(4)
            if op == 0:
                del d[i:j]
            elif op == 1:
                d[i:i] = d[i : min(j, i + 3000)]
            elif op == 2:
                d[i:i] = rng.choice(pieces)
            else:
                d[i] = rng.randrange(256)
        path = tmp_path / f"m{k}.html"
        path.write_bytes(bytes(d))
        try:
            doc = read_html(path)
        except GkError as exc:
            assert "\n" not in exc.message and exc.exit_code == 2
            continue
        for grid in doc.grids:
            for r1, c1, r2, c2 in grid.merges:
                assert 1 <= r1 <= r2 and 1 <= c1 <= c2 and (r1, c1) in grid.cells


def test_xhtml_declaration_and_big5_declared(tmp_path):
    page = '<?xml version="1.0" encoding="gb2312"?><html><body><table><tr><td>商业企业</td><td>3</td></tr></table></body></html>'
    (tmp_path / "x.html").write_bytes(page.encode("gb2312"))
    assert read_html(tmp_path / "x.html").grids[0].cells[(1, 1)].text == "商业企业"
    page = '<meta charset="big5"><table><tr><td>行政復議</td><td>3</td></tr></table>'
    (tmp_path / "b.html").write_bytes(page.encode("big5"))
    assert read_html(tmp_path / "b.html").grids[0].cells[(1, 1)].text == "行政復議"


def test_bold_heading_running_into_its_text_gets_its_own_line(tmp_path):
    page = (
        "<html><body><div><p><strong>一、总体情况</strong>2023年，本县深入推进政务公开。</p>"
        "<p><b>（一）主动公开</b>全年公开信息。</p><p><strong>重点</strong>工作取得进展。</p></div></body></html>"
    )
    (tmp_path / "b.html").write_text(page, encoding="utf-8")
    assert read_html(tmp_path / "b.html").text.splitlines() == [
        "一、总体情况",
        "2023年，本县深入推进政务公开。",
        "（一）主动公开",
        "全年公开信息。",
        "重点工作取得进展。",
    ]


def test_struck_out_and_footnote_marks_never_merge_into_a_number(tmp_path):
    page = (
        "<table><tr><td><del>5</del>6</td><td>22<sup>1</sup></td><td><s>3</s>4</td><td><strike>7</strike>8</td>"
        "<td>H<sub>2</sub>O</td></tr></table>"
    )
    (tmp_path / "m.html").write_text(page, encoding="utf-8")
    grid = read_html(tmp_path / "m.html").grids[0]
    assert [grid.cells[(1, c)].text for c in range(1, 6)] == ["6", "22 1", "4", "8", "H 2 O"]


@pytest.mark.parametrize("encoding, charset_param", [("utf-8", False), ("gbk", True)])
def test_single_file_save_mhtml(tmp_path, encoding, charset_param):
    """Chrome's "单个文件" save (.mhtml): the page is a quoted-printable part of a MIME message."""
    import quopri
    from email.header import Header

    rep = consistent_report(seed=41)
    page = html_report(tmp_path / "page.html", rep, encoding=encoding).read_bytes()
    boundary = "----MultipartBoundary--abc123----"
    ctype = "text/html" + (f"; charset={encoding}" if charset_param else "")
    mhtml = (
        (
            f"From: <Saved by Blink>\r\nSubject: {Header(title(rep), 'utf-8').encode()}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="{boundary}"\r\n\r\n\r\n'
            f"--{boundary}\r\nContent-Type: {ctype}\r\nContent-ID: <frame-1@mhtml.blink>\r\n"
            f"Content-Transfer-Encoding: quoted-printable\r\nContent-Location: https://www.example.gov.cn/a.htm\r\n\r\n"
        ).encode("ascii")
        + quopri.encodestring(page)
        + (
            f"\r\n--{boundary}\r\nContent-Type: text/css\r\nContent-Location: https://www.example.gov.cn/a.css\r\n\r\n"
            f"td {{ border: 1px }}\r\n--{boundary}--\r\n"
        ).encode("ascii")
    )
    path = tmp_path / "page.mhtml"
    path.write_bytes(mhtml)
    doc = read_html(path)
    assert doc.title == title(rep)
    assert_grids(doc, rep)


def test_table_sections_in_display_order(tmp_path):
    page = (
        "<table><tfoot><tr><td>注</td></tr></tfoot><tbody><tr><td>2</td></tr></tbody>"
        "<thead><tr><th>表头</th></tr></thead></table>"
    )
    (tmp_path / "t.html").write_text(page, encoding="utf-8")
    grid = read_html(tmp_path / "t.html").grids[0]
    assert [grid.cells[(r, 1)].text for r in (1, 2, 3)] == ["表头", "2", "注"]


def test_mht_with_a_base64_page_through_extract(tmp_path):
    """IE/Word's .mht keeps the page in base64: nothing of it is visible in the first bytes."""
    import base64

    from .published_fixtures import expected, run_extract, values_read

    rep = consistent_report(seed=42)
    page = html_report(tmp_path / "p.html", rep, word=True, encoding="gbk").read_bytes()
    mht = (
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="----=_NextPart_01"\r\n\r\n'
        b"------=_NextPart_01\r\nContent-Location: file:///C:/report.htm\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Type: text/html; charset="gb2312"\r\n\r\n'
        + base64.encodebytes(page)
        + b"\r\n------=_NextPart_01--\r\n"
    )
    (tmp_path / "report.mht").write_bytes(mht)
    obj = run_extract(tmp_path / "report.mht")["report.mht"]
    assert obj["kind"] == "html" and values_read(obj) == expected(rep)


def test_a_format_given_as_a_file_brings_its_own_label_aliases_and_title(tmp_path):
    """--spec FILE: the readers take that format's label aliases and title pattern, not the shipped ones."""
    from gktool.extract import extract_record
    from gktool.spec import _templates
    from gktool.validate import check_file

    from .published_fixtures import expected, values_read

    rep = consistent_report(3)
    page = html_report(tmp_path / "page.html", rep)
    text = page.read_text(encoding="utf-8")
    assert title(rep) in text and "1.属于国家秘密" in text
    page.write_text(
        text.replace(title(rep), f"{rep.unit}{rep.year}年度政务公开年报").replace("属于国家秘密", "涉及国家秘密"),
        encoding="utf-8",
    )
    shipped = (_templates() / "national-2021.toml").read_text(encoding="utf-8")
    title_line = next(line for line in shipped.splitlines() if line.startswith('title = "^'))
    own = shipped.replace("label_aliases = { ", 'label_aliases = { "1.涉及国家秘密" = "1.属于国家秘密", ').replace(
        title_line, r"title = '^\s*(.{2,60}?)\s*(20\d\d)\s*年度?政务公开年报'"
    )
    assert own.count("涉及国家秘密") == 1 and "政务公开年报" in own
    fmt = tmp_path / "own-format.toml"
    fmt.write_text(own, encoding="utf-8")

    row = ("三", "1.属于国家秘密", "自然人")
    assert row in expected(rep)
    with_shipped = check_file(page)
    assert (with_shipped.report.unit, with_shipped.report.year) == (None, None)
    assert values_read(extract_record(with_shipped)).get(row) is None  # the variant label is not the official one

    with_own = check_file(page, str(fmt))
    assert (with_own.report.unit, with_own.report.year) == (rep.unit, rep.year)
    assert values_read(extract_record(with_own)) == expected(rep)
