"""The content rules on published reports: the fee as section 六 states it, R9 against the text, headings."""

import pytest

from gktool.readers.published import split_sections
from gktool.validate import check_file

from . import published_fixtures as pf


def _report(tmp_path, monkeypatch, six=None, request=None, kind="docx"):
    sections = [list(x) for x in pf.SECTIONS]
    if six is not None:
        sections[5][1] = six
    if request is not None:
        sections[0][1] = [request if "{new}" in p else p for p in sections[0][1]]
    monkeypatch.setattr(pf, "SECTIONS", [tuple(x) for x in sections])
    rep = pf.consistent_report(3)
    path = tmp_path / f"某县2023年报告.{kind}"
    if kind == "docx":
        pf.docx_report(path, rep)
    else:
        pf.html_report(path, rep)
    return path, rep


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_clean_published_report_passes_with_the_fee_read_from_section_six(tmp_path, monkeypatch, kind):
    path, _ = _report(tmp_path, monkeypatch, kind=kind)
    analysis = check_file(path)
    assert analysis.result.ok, [f.message for f in analysis.result.findings]
    report = analysis.report
    assert (report.field("fee_count"), report.field("fee_amount")) == (0, 0)
    assert report.place("六、其他事项", report.spec.field_cells["fee_amount"].cell).at.startswith("第六部分")
    assert (report.field("website"), report.field("phone")) == ("http://www.example.gov.cn", "0951-1234567")


def test_the_fee_stated_in_section_six_is_checked(tmp_path, monkeypatch):
    path, rep = _report(tmp_path, monkeypatch, six=["本年度收取信息处理费 3 件，共计 150 元。"])
    report = check_file(path).report
    assert (report.field("fee_count"), report.field("fee_amount")) == (3, 150)
    total = (
        rep.values[("三", "一、本年新收政府信息公开申请数量", "总计")]
        + rep.values[("三", "二、上年结转政府信息公开申请数量", "总计")]
    )
    (tmp_path / "x").mkdir()
    too_many, _ = _report(tmp_path / "x", monkeypatch, six=[f"本年度收取信息处理费 {int(total) + 5} 件，共计 150 元。"])
    result = check_file(too_many).result
    assert "X1" in {f.rule for f in result.findings}, [f.message for f in result.findings]


def test_section_six_silent_about_the_fee_is_k4_as_in_a_workbook(tmp_path, monkeypatch):
    """A published report that never states the fee is missing it, as a workbook with the cells left blank."""
    path, _ = _report(tmp_path, monkeypatch, six=["无。"])
    result = check_file(path).result
    k4 = [f for f in result.findings if f.rule == "K4"]
    assert len(k4) == 2 and all(f.severity == "error" and "第六部分" in f.message for f in k4) and not result.ok
    assert not [f for f in result.findings if f.rule == "R9"]


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_published_report_without_contact_details_is_k1(tmp_path, monkeypatch, kind):
    sections = [list(x) for x in pf.SECTIONS]
    sections[0][1] = [p for p in sections[0][1] if "联系" not in p]
    monkeypatch.setattr(pf, "SECTIONS", [tuple(x) for x in sections])
    rep = pf.consistent_report(3)
    path = tmp_path / f"某县2023年报告.{kind}"
    pf.docx_report(path, rep) if kind == "docx" else pf.html_report(path, rep)
    result = check_file(path).result
    k1 = [f for f in result.findings if f.rule == "K1"]
    assert len(k1) == 1 and k1[0].severity == "error" and not result.ok
    assert all(w in k1[0].message for w in ("网站网址", "通信地址", "联系电话", "如对本报告有疑问"))


def test_narrative_contradicting_the_table_is_r9(tmp_path, monkeypatch):
    """A real 2023 report speaks of 17 applications while its table shows 95."""
    path, rep = _report(tmp_path, monkeypatch, request="全年新收政府信息公开申请17件。")
    result = check_file(path).result
    new = int(rep.values[("三", "一、本年新收政府信息公开申请数量", "总计")])
    r9 = [f for f in result.findings if f.rule == "R9"]
    assert new != 17 and len(r9) == 1 and "17" in r9[0].message and str(new) in r9[0].message


def test_sections_are_found_by_number_or_by_their_official_names():
    text = (
        "总体情况\n甲\n主动公开政府信息情况\n收到和处理政府信息公开申请情况\n"
        "因政府信息公开工作被申请行政复议和提起行政诉讼情况\n存在的主要问题及改进情况\n乙\n其他需要报告的事项\n丙"
    )
    names = {
        "一": ["总体情况"],
        "二": ["主动公开政府信息情况"],
        "三": ["收到和处理政府信息公开申请情况"],
        "四": ["政府信息公开行政复议、行政诉讼情况", "因政府信息公开工作被申请行政复议和提起行政诉讼情况"],
        "五": ["存在的主要问题及改进情况"],
        "六": ["其他需要报告的事项"],
    }
    sections = split_sections(text, names)
    assert sections == {"一": "甲", "二": "", "三": "", "四": "", "五": "乙", "六": "丙"}
    numbered = split_sections("一、总体情况\n甲\n（一）主动公开\n乙\n六、其他需要报告的事项\n丙")
    assert numbered == {"一": "甲\n（一）主动公开\n乙", "六": "丙"}


def test_contact_details_are_read_as_reports_print_them(tmp_path, monkeypatch):
    """The website with or without http://, after 网址：; the address and phone after their labels."""
    sections = [list(x) for x in pf.SECTIONS]
    sections[0][1] = [
        "本报告电子版可在本县政府门户网站查阅，网址：zn.gov.cn。" if "联系" in p else p for p in sections[0][1]
    ]
    sections[5][1] = sections[5][1] + ["联系我们：通讯地址: 某县北街2号，联系电话 0951 7654321。"]
    monkeypatch.setattr(pf, "SECTIONS", [tuple(x) for x in sections])
    path = tmp_path / "某县2023年报告.html"
    pf.html_report(path, pf.consistent_report(3))
    analysis = check_file(path)
    report = analysis.report
    assert [report.field(k) for k in ("website", "address", "phone")] == ["zn.gov.cn", "某县北街2号", "0951 7654321"]
    assert analysis.result.ok, [f.message for f in analysis.result.findings]


def test_an_address_whose_colon_a_pdf_lost_is_still_read(spec):
    """LibreOffice's PDF of a Word report can drop a full-width colon that ends a line ("（地址" / "行政中心…"):
    the address is still found, so the report is not told it lacks one (K1)."""
    import re

    pattern = dict(spec.published.contacts)["address"]
    assert re.search(pattern, "请与甲县人民政府办公室联系（地址行政中心501室；邮编：75100）")[1] == "行政中心501室"
    assert re.search(pattern, "（通信地址：中宁县行政中心501室；电话")[1] == "中宁县行政中心501室"
