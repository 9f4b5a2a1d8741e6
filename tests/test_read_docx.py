"""Word reports read into grids and narrative: merged cells, split labels, headings typed or styled."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from gktool.errors import GkError
from gktool.readers.docx import read_docx

from .helpers import soffice_convert
from .published_fixtures import HARD_LABELS, consistent_report, docx_report, expected_grids, heading_lines, title
from .test_hostile import cfb

SHAPES = {
    "typed headings": dict(),
    "styled headings": dict(styled=True),
    "table in a table": dict(nested=True),
    "several tables per section": dict(split=True),
    "half-width variants": dict(
        variants={
            "numbering": "、",
            "t2_norm": "规范性文件",
            "t3_heads": ["自然人", "商业|企业", "科研¶机构", "社会公益¶组织", "法律服务¶机构", "其他", "总 计"],
        }
    ),
    "hard labels": dict(variants={"relabel": HARD_LABELS, "halfwidth": True, "numbering": "、"}),
}


def assert_grids(doc, rep, **kw):
    want = expected_grids(rep, **kw)
    assert len(doc.grids) == len(want)
    for i, (grid, (cells, merges)) in enumerate(zip(doc.grids, want, strict=True), start=1):
        assert grid.name == f"第{i}个表格"
        assert {k: c.text for k, c in grid.cells.items()} == cells, grid.name
        assert set(grid.merges) == merges, grid.name
        assert all(c.at == f"第{i}个表格 第{r}行第{col}列" for (r, col), c in grid.cells.items())


@pytest.mark.parametrize("shape", SHAPES)
def test_every_cell_read_at_its_place(tmp_path, shape):
    kw = SHAPES[shape]
    rep = consistent_report(seed=10 + len(shape))
    doc = read_docx(docx_report(tmp_path / "r.docx", rep, **kw))
    assert doc.kind == "docx" and doc.title == title(rep)
    assert_grids(doc, rep, split=kw.get("split", False), nested=kw.get("nested", False), variants=kw.get("variants"))
    lines = doc.text.splitlines()
    assert [line for line in lines if line in heading_lines()] == heading_lines()
    assert "（表格如下）" not in lines  # a table's text is not narrative
    assert lines[-1] == f"{rep.unit}人民政府办公室"


def _body_xml(d, xml: str) -> None:
    d.element.body.insert(len(d.element.body) - 1, parse_xml(xml))


W = nsdecls("w")


def test_runs_breaks_paragraphs_hidden_and_deleted_text(tmp_path):
    d = docx.Document()
    _body_xml(
        d,
        f"""<w:tbl {W}><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>
      <w:tr><w:tc><w:p><w:r><w:t>申请人情</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>况</w:t></w:r></w:p></w:tc>
            <w:tc><w:p><w:r><w:t>结果</w:t><w:br/><w:t>纠正</w:t></w:r></w:p></w:tc>
            <w:tc><w:p><w:r><w:t>商业</w:t></w:r></w:p><w:p/><w:p><w:r><w:t xml:space="preserve"> 企业 </w:t></w:r></w:p></w:tc></w:tr>
      <w:tr><w:tc><w:p><w:r><w:t>1</w:t></w:r><w:del w:id="1" w:author="a"><w:r><w:delText>9</w:delText></w:r></w:del>
                           <w:ins w:id="2" w:author="a"><w:r><w:t>2</w:t></w:r></w:ins></w:p></w:tc>
            <w:tc><w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>88</w:t></w:r><w:r><w:t>7</w:t></w:r></w:p></w:tc>
            <w:tc><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> = 1+1 </w:instrText></w:r>
                           <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r>
                           <w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:tc></w:tr></w:tbl>""",
    )
    path = tmp_path / "runs.docx"
    d.save(str(path))
    grid = read_docx(path).grids[0]
    assert {k: c.text for k, c in grid.cells.items()} == {
        (1, 1): "申请人情况",
        (1, 2): "结果\n纠正",
        (1, 3): "商业\n企业",
        (2, 1): "12",
        (2, 2): "7",
        (2, 3): "2",
    }


def test_grid_before_hmerge_and_vmerge_continue_text_ignored(tmp_path):
    d = docx.Document()
    _body_xml(
        d,
        f"""<w:tbl {W}>
      <w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc>
            <w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>B</w:t></w:r></w:p></w:tc></w:tr>
      <w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>
            <w:tc><w:p><w:r><w:t>C</w:t></w:r></w:p></w:tc>
            <w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p><w:r><w:t>stale</w:t></w:r></w:p></w:tc></w:tr>
      <w:tr><w:tc><w:tcPr><w:hMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>D</w:t></w:r></w:p></w:tc>
            <w:tc><w:tcPr><w:hMerge/></w:tcPr><w:p/></w:tc>
            <w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>""",
    )
    path = tmp_path / "merge.docx"
    d.save(str(path))
    grid = read_docx(path).grids[0]
    assert {k: c.text for k, c in grid.cells.items()} == {(1, 1): "A", (1, 3): "B", (2, 2): "C", (3, 1): "D"}
    assert set(grid.merges) == {(1, 1, 1, 2), (1, 3, 3, 3), (3, 1, 3, 2)}


def _numbered(d, fmt_top="chineseCounting", text_top="%1、", fmt_sub="chineseCounting", text_sub="（%2）"):
    numbering = d.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(f"""<w:abstractNum {W} w:abstractNumId="90">
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt_top}"/><w:lvlText w:val="{text_top}"/><w:suff w:val="nothing"/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="{fmt_sub}"/><w:lvlText w:val="{text_sub}"/><w:suff w:val="nothing"/></w:lvl>
      </w:abstractNum>"""),
    )
    numbering.append(parse_xml(f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return "90"


def _numbered_paragraph(d, text, num_id, ilvl, style=None):
    p = d.add_paragraph(text, style=style)
    p._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {W}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )
    return p


def test_automatic_numbering_is_read_as_printed(tmp_path):
    """Headings numbered by Word itself ("一、" drawn, not typed) read as the reader sees them."""
    d = docx.Document()
    num = _numbered(d)
    _numbered_paragraph(d, "总体情况", num, 0, style="Heading 1")
    _numbered_paragraph(d, "主动公开", num, 1)
    _numbered_paragraph(d, "依申请公开", num, 1)
    _numbered_paragraph(d, "主动公开政府信息情况", num, 0, style="Heading 1")
    for _ in range(9):
        _numbered_paragraph(d, "x", num, 0)
    _numbered_paragraph(d, "第十三", num, 0)
    _numbered_paragraph(d, "子项", num, 1)
    path = tmp_path / "num.docx"
    d.save(str(path))
    lines = read_docx(path).text.splitlines()
    assert lines[:4] == ["一、总体情况", "（一）主动公开", "（二）依申请公开", "二、主动公开政府信息情况"]
    assert lines[-2:] == ["十二、第十三", "（一）子项"]


def test_numbering_from_a_style_and_decimal_labels_in_cells(tmp_path):
    d = docx.Document()
    num = _numbered(d, "decimal", "%1.", "decimal", "%1.%2")
    style = d.styles["List Number"]
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:numPr")):
        ppr.remove(old)
    ppr.append(parse_xml(f'<w:numPr {W}><w:numId w:val="{num}"/></w:numPr>'))
    table = d.add_table(rows=2, cols=1)
    table.cell(0, 0).paragraphs[0].style = style
    table.cell(0, 0).paragraphs[0].add_run("属于国家秘密")
    table.cell(1, 0).paragraphs[0].style = style
    table.cell(1, 0).paragraphs[0].add_run("其他法律行政法规禁止公开")
    path = tmp_path / "cells.docx"
    d.save(str(path))
    grid = read_docx(path).grids[0]
    assert [grid.cells[(r, 1)].text for r in (1, 2)] == ["1.属于国家秘密", "2.其他法律行政法规禁止公开"]


def test_text_box_read_once(tmp_path):
    d = docx.Document()
    d.add_paragraph("一、总体情况")
    box = f"""<w:p {W} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
        xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
        xmlns:v="urn:schemas-microsoft-com:vml"><w:r><mc:AlternateContent>
      <mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>框内文字</w:t></w:r></w:p>
      </w:txbxContent></wps:txbx></w:drawing></mc:Choice>
      <mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>框内文字</w:t></w:r></w:p></w:txbxContent>
      </v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"""
    _body_xml(d, box)
    d.add_paragraph("二、主动公开政府信息情况")
    path = tmp_path / "box.docx"
    d.save(str(path))
    assert read_docx(path).text.splitlines() == ["一、总体情况", "框内文字", "二、主动公开政府信息情况"]


# ------------------------------------------------------------------ refused files
def refused(path, words: str) -> None:
    with pytest.raises(GkError) as info:
        read_docx(path)
    assert "\n" not in info.value.message and words in info.value.message, info.value.message
    assert info.value.exit_code == 2


def _docx_with(tmp_path, name: str, changes: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> Path:
    d = docx.Document()
    d.add_paragraph("甲县2023年政府信息公开工作年度报告")
    buf = io.BytesIO()
    d.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", compress) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, changes.pop(info.filename, src.read(info.filename)))
        for n, data in changes.items():
            dst.writestr(n, data)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


def test_legacy_doc_and_encrypted_docx(tmp_path):
    (tmp_path / "old.doc").write_bytes(cfb(["WordDocument"]))
    refused(tmp_path / "old.doc", "这是旧版 Word .doc 文件，请在 Word/WPS 中另存为 .docx 后再检查")
    (tmp_path / "old.docx").write_bytes(cfb(["WordDocument"]))
    refused(tmp_path / "old.docx", "旧版 Word .doc")
    (tmp_path / "locked.docx").write_bytes(cfb(["EncryptionInfo", "EncryptedPackage"]))
    refused(tmp_path / "locked.docx", "打开密码")


def test_wrong_kinds(tmp_path):
    (tmp_path / "page.docx").write_text("<html><body>x</body></html>", encoding="utf-8")
    refused(tmp_path / "page.docx", "不是 Word 文件")
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    (tmp_path / "book.docx").write_bytes(book.getvalue())
    refused(tmp_path / "book.docx", "Excel 工作簿")
    (tmp_path / "cut.docx").write_bytes(b"PK\x03\x04" + bytes(50))
    refused(tmp_path / "cut.docx", "损坏")
    (tmp_path / "empty.docx").write_bytes(b"")
    refused(tmp_path / "empty.docx", "空的")
    refused(tmp_path, "文件夹")


def test_zip_bomb(tmp_path):
    body = (
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + b" " * (40 * 1024 * 1024)
        + b"</w:body></w:document>"
    )
    path = _docx_with(tmp_path, "bomb.docx", {"word/document.xml": body})
    assert path.stat().st_size < 1024 * 1024
    t = time.perf_counter()
    refused(path, "压缩炸弹")
    assert time.perf_counter() - t < 2


def test_doctype_and_entities_refused(tmp_path):
    body = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
        b"<w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    refused(_docx_with(tmp_path, "dtd.docx", {"word/document.xml": body}), "DOCTYPE")


def test_deep_nesting_and_many_elements_refused(tmp_path):
    deep = (
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + b"<w:tbl><w:tr><w:tc>" * 5000
        + b"</w:tc></w:tr></w:tbl>" * 5000
        + b"</w:body></w:document>"
    )
    refused(_docx_with(tmp_path, "deep.docx", {"word/document.xml": deep}, zipfile.ZIP_STORED), "嵌套过深")
    many = (
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
        + b"<w:r><w:t>1</w:t></w:r>" * 400_000
        + b"</w:p></w:body></w:document>"
    )
    t = time.perf_counter()
    refused(_docx_with(tmp_path, "many.docx", {"word/document.xml": many}, zipfile.ZIP_STORED), "异常多")
    assert time.perf_counter() - t < 5


def test_many_paragraphs_or_cells_under_the_node_cap_refused(tmp_path):
    """Under the zip's node cap but far beyond any report: refused by count, quickly."""
    import random

    rng = random.Random(3)
    head = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    paras = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % rng.randrange(10**9) for _ in range(60_000))
    cells = (
        b"<w:tbl>"
        + b"".join(
            b"<w:tr>"
            + b"".join(b"<w:tc><w:p><w:r><w:t>%d</w:t></w:r></w:p></w:tc>" % rng.randrange(10**9) for _ in range(12))
            + b"</w:tr>"
            for _ in range(2000)
        )
        + b"</w:tbl>"
    )
    for name, body in (("paras.docx", paras), ("cells.docx", cells)):
        path = _docx_with(tmp_path, name, {"word/document.xml": head + body + b"</w:body></w:document>"})
        t = time.perf_counter()
        refused(path, "异常多")
        assert time.perf_counter() - t < 5


def test_damaged_xml(tmp_path):
    refused(_docx_with(tmp_path, "bad.docx", {"word/document.xml": b"<w:document><w:body>"}), "不是有效的 XML")


def test_input_never_modified_and_speed(tmp_path):
    rep = consistent_report(seed=5, big=True)
    path = docx_report(tmp_path / "r.docx", rep, styled=True)
    before = path.read_bytes()
    read_docx(path)
    best = min(_timed(read_docx, path) for _ in range(5))
    assert path.read_bytes() == before
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
        rep = consistent_report(seed=200 + i, big=i % 2 == 1)
        if i % 2 == 0:
            for key in list(rep.values)[45:80:5]:
                rep.printed[key] = ""
        name = f"{i:02d}.docx"
        docx_report(tmp_path / name, rep, **SHAPES[shape])
        reps[name] = (shape, rep)
    out = run_extract(*(tmp_path / n for n in reps))
    for name, (shape, rep) in reps.items():
        obj = out[name]
        assert obj["kind"] == "docx", shape
        assert values_read(obj) == expected(rep), shape
        assert (obj["unit"], obj["year"]) == (rep.unit, rep.year), shape


def test_validate_runs_the_arithmetic_rules(tmp_path):
    import json

    from click.testing import CliRunner

    from gktool.cli import main

    rep = consistent_report(seed=8)
    rep.values[("三", "（七）总计", "自然人")] += 1  # R1 and R2 both fail in that column
    docx_report(tmp_path / "broken.docx", rep)
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(tmp_path / "broken.docx")])
    line = json.loads(next(x for x in result.output.splitlines() if x.startswith("{")))
    assert {"R1", "R2"} <= {f["rule"] for f in line["findings"] if f["severity"] == "error"}
    assert not line["ok"] and result.exit_code == 1


@pytest.mark.libreoffice
def test_report_output_reads_back_with_the_workbook_values(tmp_path, filled_workbook):
    """`gktool report` output, and the same .docx converted to HTML by LibreOffice, read back exactly."""
    import shutil

    from click.testing import CliRunner

    from gktool.cli import main

    from .published_fixtures import expected, run_extract, values_read

    out = tmp_path / "report.docx"
    result = CliRunner().invoke(main, ["report", str(filled_workbook), "-o", str(out)])
    assert result.exit_code == 0, result.output
    # a clerk's Word file re-saved by LibreOffice (as .docx and as a web page) reads back the same too
    rep = consistent_report(seed=31, big=True)
    clerk = docx_report(tmp_path / "clerk.docx", rep, nested=True, variants={"numbering": "、"})
    files = [filled_workbook, out, clerk]
    if shutil.which("soffice"):
        for fmt, folder in (("html", "lo"), ("docx:MS Word 2007 XML", "lo-docx")):
            soffice_convert([out, clerk], tmp_path / folder, to=fmt)
        files += [
            tmp_path / "lo" / "report.html",
            tmp_path / "lo" / "clerk.html",
            tmp_path / "lo-docx" / "report.docx",
            tmp_path / "lo-docx" / "clerk.docx",
        ]
    got = {}
    for f in files:  # same names in two folders: one extract per file
        got[f] = run_extract(f)[f.name]
    # the report prints an empty workbook cell as 0 (the workbook itself reads it as null)
    truth = {k: 0 if v is None else v for k, v in values_read(got[filled_workbook]).items()}
    assert len(truth) == 200
    for f in files[1:]:
        want = expected(rep) if f.stem == "clerk" else truth
        assert values_read(got[f]) == want, f
        assert not [x for x in got[f]["findings"] if x["rule"] in ("R1", "R2", "R3", "R4")], f


# ------------------------------------------------------------------ fuzz: damaged documents never crash
def _mutants(data: bytes, rng, n: int):
    """Damaged copies of an XML part: cut, repeated and swapped spans, hostile attribute values."""
    hostile = [b'w:val="-3"', b'w:val="99999999999"', b'w:val="x"', b'w:val=""', b'w:val="restart"', b'w:val="0"']
    for _ in range(n):
        d = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i, j = sorted(rng.randrange(len(d)) for _ in range(2))
            op = rng.randrange(5)
            if op == 0:
                del d[i:j]
            elif op == 1:
                d[i:i] = d[i : min(j, i + 2000)]
            elif op == 2:
                d[i:i] = rng.choice(
                    [
                        b"<w:tc>",
                        b"</w:tr>",
                        b"<w:tbl>",
                        b"</w:tbl>",
                        b"<w:vMerge/>",
                        b"<w:p>",
                        b'<w:gridSpan w:val="40"/>',
                        b"<w:br/>",
                        b"</w:tc>",
                        b'<w:gridBefore w:val="7"/>',
                    ]
                )
            elif op == 3:
                k = d.find(b'w:val="', i)
                if k > 0:
                    end = d.find(b'"', k + 7)
                    d[k : end + 1] = rng.choice(hostile)
            else:
                d[i] = rng.randrange(256)
        yield bytes(d)


def test_damaged_documents_read_or_refused_in_one_line(tmp_path):
    import random

    rng = random.Random(10)
    rep = consistent_report(seed=11)
    source = docx_report(tmp_path / "base.docx", rep, nested=True)
    with zipfile.ZipFile(source) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    outcomes = {"read": 0, "refused": 0}
    for k, mutant in enumerate(_mutants(parts["word/document.xml"], rng, 60)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in parts.items():
                zf.writestr(name, mutant if name == "word/document.xml" else data)
        path = tmp_path / f"m{k}.docx"
        path.write_bytes(buf.getvalue())
        try:
            doc = read_docx(path)
        except GkError as exc:
            assert "\n" not in exc.message and exc.exit_code == 2
            outcomes["refused"] += 1
            continue
        for grid in doc.grids:
            for (r, c), cell in grid.cells.items():
                assert r >= 1 and c >= 1 and cell.at.endswith(f"第{r}行第{c}列")
            for r1, c1, r2, c2 in grid.merges:
                assert 1 <= r1 <= r2 and 1 <= c1 <= c2 and (r1, c1) in grid.cells
        outcomes["read"] += 1
    assert outcomes["read"] > 5 and outcomes["refused"] > 5, outcomes


def test_refusals_reach_the_user_through_validate(tmp_path):
    """The reader's one line is what `gktool validate` prints, also for a .docx that is really a .doc."""
    import json

    from click.testing import CliRunner

    from gktool.cli import main

    (tmp_path / "old.docx").write_bytes(cfb(["WordDocument"]))
    (tmp_path / "locked.docx").write_bytes(cfb(["EncryptionInfo", "EncryptedPackage"]))
    (tmp_path / "old.doc").write_bytes(cfb(["WordDocument"]))
    result = CliRunner().invoke(main, ["validate", "--format", "json", "-j", "1", str(tmp_path)])
    assert result.exit_code == 2
    lines = {
        Path(d["file"]).name: d for d in map(json.loads, (x for x in result.output.splitlines() if x.startswith("{")))
    }
    assert "旧版 Word .doc" in lines["old.docx"]["findings"][0]["message"]
    assert "旧版 Word .doc" in lines["old.doc"]["findings"][0]["message"]
    assert "打开密码" in lines["locked.docx"]["findings"][0]["message"]


def test_bold_heading_running_into_its_text_gets_its_own_line(tmp_path):
    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("一、总体情况").bold = True
    p.add_run("2023年，本县深入推进政务公开。")
    p = d.add_paragraph()
    p.add_run("（一）主动公开").bold = True
    p.add_run("全年公开信息。")
    p = d.add_paragraph()
    p.add_run("重点").bold = True  # bold words that are no heading stay in their paragraph
    p.add_run("工作取得进展。")
    path = tmp_path / "bold.docx"
    d.save(str(path))
    assert read_docx(path).text.splitlines() == [
        "一、总体情况",
        "2023年，本县深入推进政务公开。",
        "（一）主动公开",
        "全年公开信息。",
        "重点工作取得进展。",
    ]


def test_struck_out_and_footnote_marks_never_merge_into_a_number(tmp_path):
    d = docx.Document()
    table = d.add_table(rows=1, cols=3)
    p = table.cell(0, 0).paragraphs[0]
    p.add_run("5").font.strike = True
    p.add_run("6")
    p = table.cell(0, 1).paragraphs[0]
    p.add_run("22")
    p.add_run("1").font.superscript = True
    p = table.cell(0, 2).paragraphs[0]
    p.add_run("3").font.double_strike = True
    p.add_run("4")
    path = tmp_path / "marks.docx"
    d.save(str(path))
    grid = read_docx(path).grids[0]
    assert [grid.cells[(1, c)].text for c in (1, 2, 3)] == ["6", "22 1", "4"]


def test_title_is_the_line_that_ends_in_report(tmp_path):
    d = docx.Document()
    d.add_paragraph("本报告依据《中华人民共和国政府信息公开条例》编制，内容如下报告")
    d.add_paragraph("甲县交通运输局")
    d.add_paragraph("2023年政府信息公开工作\n年度报告")
    d.add_paragraph("一、总体情况")
    d.core_properties.title = "文档标题"
    path = tmp_path / "t.docx"
    d.save(str(path))
    assert read_docx(path).title == "2023年政府信息公开工作年度报告"
    d2 = docx.Document()
    d2.add_paragraph("一、总体情况")
    d2.core_properties.title = "乙县2023年政府信息公开工作年度报告"
    d2.save(str(tmp_path / "t2.docx"))
    assert read_docx(tmp_path / "t2.docx").title == "乙县2023年政府信息公开工作年度报告"


def test_list_number_left_on_a_value_cell_never_makes_a_decimal(tmp_path):
    d = docx.Document()
    num = _numbered(d, "decimal", "%1.", "decimal", "%1.%2")
    numbering = d.part.numbering_part.element  # the same list, but Word's default: a tab after the number
    numbering.insert(
        0,
        parse_xml(f"""<w:abstractNum {W} w:abstractNumId="91"><w:lvl w:ilvl="0"><w:start w:val="1"/>
        <w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>"""),
    )
    numbering.append(parse_xml(f'<w:num {W} w:numId="91"><w:abstractNumId w:val="91"/></w:num>'))
    table = d.add_table(rows=1, cols=2)
    for col, num_id in ((0, "91"), (1, num)):
        p = table.cell(0, col).paragraphs[0]
        p.add_run("12")
        p._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {W}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>')
        )
    path = tmp_path / "list.docx"
    d.save(str(path))
    grid = read_docx(path).grids[0]
    assert grid.cells[(1, 1)].text == "1. 12"  # tab after the number: apart
    assert grid.cells[(1, 2)].text == "1.12"  # suffix "nothing": Word itself prints 1.12
