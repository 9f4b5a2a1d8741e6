"""Builders of published-report files (.docx, .html) in the shapes real reports take.

The official tables are laid out here from the national format itself (国办公开办函〔2021〕30号),
not from gktool's spec, so a reader and matcher tested on these files are tested against
the format, not against themselves. Values are random but consistent (R1–R4 hold) unless
a test breaks them on purpose; `expected()` gives the values `gktool extract` must return,
by official table, row and column label.

Label text uses three marks for how it is broken up in the file:
  "|" a run boundary (`<span>`…`</span><span>`, or two Word runs),
  "\\n" a line break (`<br/>`, Word `w:br`),
  "¶" a paragraph break (`<p>`, a second Word paragraph).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
RESULTS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
T4_ROWS = ["行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"]

# 表三's rows: (group label or None, leaf label); the leaf is the official row label.
T3_ROWS = [
    (None, "一、本年新收政府信息公开申请数量"),
    (None, "二、上年结转政府信息公开申请数量"),
    ("", "（一）予以公开"),
    ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("（三）不予公开", "1.属于国家秘密"),
    ("（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("（三）不予公开", "3.危及“三安全一稳定”"),
    ("（三）不予公开", "4.保护第三方合法权益"),
    ("（三）不予公开", "5.属于三类内部事务信息"),
    ("（三）不予公开", "6.属于四类过程性信息"),
    ("（三）不予公开", "7.属于行政执法案卷"),
    ("（三）不予公开", "8.属于行政查询事项"),
    ("（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("（四）无法提供", "2.没有现成信息需要另行制作"),
    ("（四）无法提供", "3.补正后申请内容仍不明确"),
    ("（五）不予处理", "1.信访举报投诉类申请"),
    ("（五）不予处理", "2.重复申请"),
    ("（五）不予处理", "3.要求提供公开出版物"),
    ("（五）不予处理", "4.无正当理由大量反复申请"),
    ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("（六）其他处理", "3.其他"),
    ("", "（七）总计"),
    (None, "四、结转下年度继续办理"),
]
OUTCOMES = [leaf for group, leaf in T3_ROWS if group is not None and leaf != "（七）总计"]


@dataclass
class Report:
    """The figures of one report: {(table, row, column): number} plus the narrative facts."""

    unit: str
    year: int
    values: dict[tuple[str, str, str], float] = field(default_factory=dict)
    printed: dict[tuple[str, str, str], str] = field(default_factory=dict)  # overrides: "", "/", "12件"

    def text(self, key) -> str:
        if key in self.printed:
            return self.printed[key]
        v = self.values[key]
        return str(int(v)) if float(v).is_integer() and key[1] != "行政事业性收费" else f"{v:.2f}"


def consistent_report(seed: int, unit: str = "测试县", year: int = 2023, big: bool = False) -> Report:
    """Random figures that satisfy R1–R4, as a careful unit would print them."""
    rnd = random.Random(seed)
    top = 4000 if big else 30
    rep = Report(unit, year)
    v = rep.values
    v[("二", "规章", "本年制发件数")] = rnd.randint(0, 3)
    v[("二", "规章", "本年废止件数")] = rnd.randint(0, 3)
    v[("二", "规章", "现行有效件数")] = rnd.randint(3, 20)
    v[("二", "行政规范性文件", "本年制发件数")] = rnd.randint(0, 80)
    v[("二", "行政规范性文件", "本年废止件数")] = rnd.randint(0, 130)
    v[("二", "行政规范性文件", "现行有效件数")] = rnd.randint(80, 500)
    for row in ("行政许可", "行政处罚", "行政强制"):
        v[("二", row, "本年处理决定数量")] = rnd.randint(0, 4_000_000 if big else 3000)
    v[("二", "行政事业性收费", "本年收费金额（单位：万元）")] = round(rnd.uniform(0, 6000), 2)
    for col in APPLICANTS[:-1]:
        weight = 1 if col == "自然人" else rnd.choice([0, 0, 1, 4])
        outs = {
            leaf: (rnd.randint(0, top) if rnd.random() < 0.5 else 0) // (1 if weight == 1 else 3) * min(weight, 1)
            for leaf in OUTCOMES
        }
        done = sum(outs.values())
        carried_in = rnd.randint(0, 5) * min(weight, 1)
        carried_out = rnd.randint(0, 5) * min(weight, 1)
        new = done + carried_out - carried_in
        if new < 0:
            carried_out -= new
            new = 0
        for leaf, n in outs.items():
            v[("三", leaf, col)] = n
        v[("三", "一、本年新收政府信息公开申请数量", col)] = new
        v[("三", "二、上年结转政府信息公开申请数量", col)] = carried_in
        v[("三", "（七）总计", col)] = done
        v[("三", "四、结转下年度继续办理", col)] = carried_out
    for _, leaf in T3_ROWS:
        v[("三", leaf, "总计")] = sum(v[("三", leaf, c)] for c in APPLICANTS[:-1])
    for row in T4_ROWS:
        parts = [rnd.randint(0, 12) for _ in range(4)]
        for col, n in zip(RESULTS, parts + [sum(parts)], strict=True):
            v[("四", row, col)] = n
    return rep


def expected(rep: Report) -> dict[tuple[str, str, str], float | None]:
    """What `extract` must give: the number, or None where the cell is printed blank or "/"."""
    out = {}
    for key, value in rep.values.items():
        printed = rep.printed.get(key)
        out[key] = None if printed is not None and printed.strip() in ("", "/", "—", "-") else value
    return out


# ------------------------------------------------------------------ table layouts
@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    number: bool = False


HALF = str.maketrans("（）：，", "():,")
# Label variants real reports print (published-reports.md), for variants={"relabel": HARD_LABELS}
HARD_LABELS = {
    "2.其他法律行政法规禁止公开": "2.其他法律行政止公开",  # typo seen in a published report
    "（六）其他处理": "(六) 其他处理",
    "第二十条第（一）项": "第二十条 第（一）项",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "（二）部分公开（区分处理的，只计这一情 形，不计其他情形）",
    "现行有效件数": "现行有效件数（历史累计）",
    "总计": "总 计",
}


def official_tables(rep: Report, v: dict) -> dict[str, list[list[list[Cell]]]]:
    """The three tables as row blocks, label variants applied: v["relabel"] {official: printed},
    v["halfwidth"] half-width brackets and punctuation in every label."""
    blocks = {"二": table_two(rep, v), "三": table_three(rep, v), "四": table_four(rep, v)}
    relabel = v.get("relabel", {})
    for rows in (row for bs in blocks.values() for b in bs for row in b):
        for cell in rows:
            if cell.number:
                continue
            cell.text = relabel.get(cell.text, cell.text)
            if v.get("halfwidth"):
                cell.text = cell.text.translate(HALF)
    return blocks


def table_two(rep: Report, v: dict) -> list[list[list[Cell]]]:
    """表二 as four row blocks; one table, or four when the page splits it."""

    def head(t):
        return [Cell(t, colspan=4)]

    blocks = [
        [
            head(v.get("t2_1", "第二十条第（一）项")),
            [Cell("信息内容"), Cell("本年制发件数"), Cell("本年废止件数"), Cell(v.get("t2_valid", "现行有效件数"))],
            [Cell("规章")]
            + [
                Cell(rep.text(("二", "规章", c)), number=True) for c in ("本年制发件数", "本年废止件数", "现行有效件数")
            ],
            [Cell(v.get("t2_norm", "行政规范性文件"))]
            + [
                Cell(rep.text(("二", "行政规范性文件", c)), number=True)
                for c in ("本年制发件数", "本年废止件数", "现行有效件数")
            ],
        ],
        [
            head("第二十条第（五）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政许可"), Cell(rep.text(("二", "行政许可", "本年处理决定数量")), colspan=3, number=True)],
        ],
        [
            head("第二十条第（六）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政处罚"), Cell(rep.text(("二", "行政处罚", "本年处理决定数量")), colspan=3, number=True)],
            [Cell("行政强制"), Cell(rep.text(("二", "行政强制", "本年处理决定数量")), colspan=3, number=True)],
        ],
        [
            head("第二十条第（八）项"),
            [Cell("信息内容"), Cell("本年收费金额（单位：万元）", colspan=3)],
            [
                Cell("行政事业性收费"),
                Cell(rep.text(("二", "行政事业性收费", "本年收费金额（单位：万元）")), colspan=3, number=True),
            ],
        ],
    ]
    return blocks


def table_three(rep: Report, v: dict) -> list[list[list[Cell]]]:
    """表三 as one block (sites print it as one table)."""
    heads = v.get("t3_heads", ["自然人", "商业¶企业", "科研¶机构", "社会公|益组织", "法律服务机构", "其他", "总计"])
    rows = [
        [
            Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
            Cell(v.get("t3_applicant", "申请人情|况"), colspan=7),
        ],
        [Cell(heads[0], rowspan=2), Cell("法人或其他组织", colspan=5), Cell(heads[6], rowspan=2)],
        [Cell(h) for h in heads[1:6]],
    ]
    groups_done = set()
    n_result_rows = sum(1 for g, _ in T3_ROWS if g is not None)
    for group, leaf in T3_ROWS:
        nums = [Cell(rep.text(("三", leaf, c)), number=True) for c in APPLICANTS]
        if group is None:
            rows.append([Cell(leaf, colspan=3)] + nums)
            continue
        row = []
        if not groups_done:
            row.append(Cell(v.get("t3_results", "三、本¶年度办¶理结果"), rowspan=n_result_rows))
            groups_done.add("三")
        if group == "":
            row.append(Cell(leaf, colspan=2))
        else:
            if group not in groups_done:
                row.append(Cell(group, rowspan=sum(1 for g, _ in T3_ROWS if g == group)))
                groups_done.add(group)
            label = leaf
            if v.get("numbering") == "、":
                label = label.replace(".", "、", 1)
            row.append(Cell(label))
        rows.append(row + nums)
    return [rows]


def table_four(rep: Report, v: dict) -> list[list[list[Cell]]]:
    res = v.get("t4_results", ["结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计"])
    rows = [
        [Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)],
        [Cell(r, rowspan=2) for r in res] + [Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)],
        [Cell(r) for r in res] * 2,
        [Cell(rep.text(("四", row, c)), number=True) for row in T4_ROWS for c in RESULTS],
    ]
    return [rows]


SECTIONS = [
    (
        "一、总体情况",
        [
            "本报告电子版可在{unit}人民政府网站（http://www.example.gov.cn）下载。如对本报告有疑问，"
            "请与{unit}人民政府办公室联系（地址：{unit}人民路1号；邮编：750000；电话：0951-1234567）。",
            "{year}年，{unit}深入推进政务公开。全年主动公开政府信息1234条。",
            "（一）主动公开",
            "依托政府网站主动公开各类信息。",
            "（二）依申请公开",
            "全年新收政府信息公开申请{new}件。",
            "（三）政府信息管理",
            "严格落实审核制度。",
            "（四）政府信息公开平台建设",
            "完成网站改版。",
            "（五）监督保障",
            "开展考核评议。",
        ],
    ),
    ("二、主动公开政府信息情况", []),
    ("三、收到和处理政府信息公开申请情况", []),
    ("四、政府信息公开行政复议、行政诉讼情况", []),
    ("五、存在的主要问题及改进情况", ["一是解读形式单一；二是更新不够及时。", "下一步将加强培训。"]),
    ("六、其他需要报告的事项", ["本年度未收取信息处理费。"]),
]


def _plain(text: str) -> str:
    return text.replace("|", "").replace("¶", "").replace("\n", "")


def narrative(rep: Report) -> list[tuple[str, list[str]]]:
    new = int(rep.values[("三", "一、本年新收政府信息公开申请数量", "总计")])
    return [(h, [p.format(year=rep.year, unit=rep.unit, new=new) for p in ps]) for h, ps in SECTIONS]


def title(rep: Report) -> str:
    return f"{rep.unit}{rep.year}年政府信息公开工作年度报告"


# ------------------------------------------------------------------ HTML
def _html_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_label(text: str, word: bool) -> str:
    """Marks -> markup: "|" span runs, "\\n" <br/>, "¶" paragraphs; Word export wraps each in MsoNormal."""
    paras = text.split("¶")
    out = []
    for p in paras:
        runs = [_html_escape(r) for r in p.split("|")]
        if word:
            body = "".join(
                f"<span lang=EN-US style='font-size:10.5pt;font-family:宋体'>{r.replace(chr(10), '<br>')}</span>"
                for r in runs
            )
            out.append(
                f"<p class=MsoNormal align=center style='text-align:center'>{body}<span lang=EN-US><o:p></o:p></span></p>"
            )
        else:
            body = "</span><span>".join(r.replace("\n", "<br/>") for r in runs)
            out.append(
                f'<p style="text-indent: 0em;"><span>{body}</span></p>'
                if len(paras) > 1 or "|" in p
                else body.replace("</span><span>", "")
            )
    return "".join(out)


def _html_cell(cell: Cell, word: bool, pad: bool) -> str:
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    text = cell.text
    inner = _html_label(text, word) if text else ("<p class=MsoNormal>&nbsp;<o:p></o:p></p>" if word else "&nbsp;")
    if pad and cell.number and text:
        inner = f"&nbsp;<font face=宋体>{inner}</font>&nbsp;"
    return f"<td{attrs} valign=center style='border:solid windowtext 1.0pt'>{inner}</td>"


def _html_table(rows: list[list[Cell]], word: bool, pad: bool) -> str:
    trs = "".join(
        "<tr style='height:20pt'>" + "".join(_html_cell(c, word, pad) for c in row) + "</tr>\n" for row in rows
    )
    if word:
        return (
            f"<div align=center><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>\n{trs}</table></div>"
        )
    return f'<table border="1" cellspacing="0" align="center"><tbody>\n{trs}</tbody></table>'


CHROME_TOP = """<div class="header"><div class="logo"><h1 class="site">某某市人民政府门户网站</h1></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li>
<li><a href="/bsfw/">办事服务</a></li></ul>
<table class="layout"><tr><td><a href="/a">要闻动态</a></td><td><a href="/b">通知公告</a></td><td>2024年3月1日 星期五</td></tr></table></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>
<script>var tpl = "<table><tr><td>1</td></tr></table>"; document.write("一、假标题");</script>
<style>td { border: 1px solid #000 }</style>"""
CHROME_BOTTOM = """<div class="related"><h3>相关文章</h3><ul>
<li><a href="/1">某某市2022年政府信息公开工作年度报告</a></li><li><a href="/2">某某市2021年政府信息公开工作年度报告</a></li></ul></div>
<div class="footer"><p>主办单位：某某市人民政府办公室　承办单位：某某市大数据中心</p>
<p>网站标识码：3500000001　备案号：闽ICP备00000000号　地址：某某市人民路1号</p></div>
<noscript>请启用脚本</noscript>"""


def html_report(
    path: Path,
    rep: Report,
    *,
    encoding: str = "utf-8",
    declare: str | None = "meta",
    declared_as: str | None = None,
    word: bool = False,
    split: bool = False,
    pad: bool = False,
    variants: dict | None = None,
    chrome: bool = True,
    layout_table: bool = False,
) -> Path:
    """Write a saved report page: site chrome, then the article with the three tables.

    encoding/declare/declared_as: the bytes' encoding, how it is declared ("meta", "http-equiv",
    None) and what is declared (defaults to the true one). word: Word-exported markup.
    split: 表二 as its four official sub-tables (else one table per section). pad: number cells
    wrapped in &nbsp; and <font>. layout_table: the article inside an old-style layout table.
    """
    v = variants or {}
    blocks = official_tables(rep, v)
    paras = []
    for heading, ps in narrative(rep):
        paras.append(
            f'<p style="text-indent: 2em;"><strong>{heading}</strong></p>'
            if not word
            else f"<p class=MsoNormal style='text-indent:32.0pt'><b><span style='font-family:黑体'>{heading}"
            f"<span lang=EN-US><o:p></o:p></span></span></b></p>"
        )
        for p in ps:
            paras.append(
                f'<p style="text-indent: 2em;">{_html_escape(p)}</p>'
                if not word
                else f"<p class=MsoNormal style='text-indent:32.0pt'><span style='font-family:仿宋_GB2312'>"
                f"{_html_escape(p)}<span lang=EN-US><o:p></o:p></span></span></p>"
            )
        key = heading[0]
        if key in blocks:
            if split:
                paras += [_html_table(b, word, pad) for b in blocks[key]]
            else:
                paras.append(_html_table([row for b in blocks[key] for row in b], word, pad))
    article = "\n".join(paras)
    t = title(rep)
    declared = declared_as or encoding
    head_meta = ""
    if declare == "meta":
        head_meta = f'<meta charset="{declared}">'
    elif declare == "http-equiv":
        head_meta = f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">'
    ns = (
        (
            ' xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
            ' xmlns:w="urn:schemas-microsoft-com:office:word"'
        )
        if word
        else ""
    )
    meta = (
        (
            f'<meta name="ArticleTitle" content="{t}"/>\n<meta name="PubDate" content="{rep.year + 1}-03-08 15:34"/>\n'
            f'<meta name="ContentSource" content="{rep.unit}人民政府办公室"/>'
        )
        if chrome
        else ""
    )
    body_article = (
        f'<div class="article"><h2 class="title">{t}</h2>\n<div class="info">发布时间：{rep.year + 1}-03-08　来源：'
        f'{rep.unit}人民政府办公室</div>\n<div class="TRS_Editor">{article}</div></div>'
    )
    if word:
        body_article = (
            f"<div class=WordSection1>\n<p class=MsoTitle align=center><span>{t}</span></p>\n{article}\n</div>"
        )
    if layout_table:
        body_article = f'<table width="100%"><tr><td class="left"><a href="/x">栏目导航</a></td><td class="main">{body_article}</td></tr></table>'
    html = (
        f"<!DOCTYPE html>\n<html{ns}>\n<head>\n{head_meta}\n{meta}\n<title>{t}_政府信息公开年报_{rep.unit}人民政府</title>\n"
        f"</head>\n<body>\n{CHROME_TOP if chrome else ''}\n{body_article}\n{CHROME_BOTTOM if chrome else ''}\n</body>\n</html>\n"
    )
    path.write_bytes(html.encode(encoding))
    return path


# ------------------------------------------------------------------ Word
def docx_report(
    path: Path,
    rep: Report,
    *,
    styled: bool = False,
    nested: bool = False,
    variants: dict | None = None,
    split: bool = False,
) -> Path:
    """Write a report as a unit's clerk does in Word: typed (or styled) headings, merged cells,
    labels in several runs, paragraphs and line breaks; `nested` puts 表四 inside an outer table."""
    import docx
    from docx.shared import Pt

    v = variants or {}
    d = docx.Document()
    d.add_paragraph(title(rep))
    d.add_paragraph(f"本报告依据《中华人民共和国政府信息公开条例》编制。统计期限为{rep.year}年1月1日至12月31日。")
    blocks = official_tables(rep, v)
    for heading, ps in narrative(rep):
        if styled:
            d.add_heading(heading, level=1)
        else:
            run = d.add_paragraph().add_run(heading)
            run.bold = True
            run.font.size = Pt(16)
        for p in ps:
            d.add_paragraph(p)
        key = heading[0]
        if key in blocks:
            parts = blocks[key] if split else [[row for b in blocks[key] for row in b]]
            for rows in parts:
                if nested and key == "四":
                    outer = d.add_table(rows=1, cols=1)
                    outer.style = "Table Grid"
                    cell = outer.cell(0, 0)
                    cell.paragraphs[0].add_run("（表格如下）")
                    _docx_table(cell, rows)
                else:
                    _docx_table(d, rows)
    d.add_paragraph(f"{rep.unit}人民政府办公室")
    d.save(str(path))
    return path


def _place(rows: list[list[Cell]]) -> tuple[list[tuple[int, int, Cell]], int]:
    """HTML's table algorithm: each cell at its (row, col), skipping positions taken by spans."""
    taken = set()
    out = []
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            cell.rowspan = min(cell.rowspan, len(rows) - r)  # spans end with the table, as in a browser
            for rr in range(r, r + cell.rowspan):
                for cc in range(c, c + cell.colspan):
                    taken.add((rr, cc))
            out.append((r, c, cell))
            c += cell.colspan
            width = max(width, c)
    return out, width


def _docx_table(parent, rows: list[list[Cell]]) -> None:
    placed, width = _place(rows)
    table = parent.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    grid = table._cells  # once: table.cell() recomputes the whole grid per call
    for r, c, cell in placed:  # merges never overlap, so the corner cells stay valid
        target = grid[r * width + c]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(grid[(r + cell.rowspan - 1) * width + c + cell.colspan - 1])
        _docx_text(target, cell.text)


def _docx_text(cell, text: str) -> None:
    paras = text.split("¶")
    first = cell.paragraphs[0]
    for i, p in enumerate(paras):
        para = first if i == 0 else cell.add_paragraph()
        for j, run_text in enumerate(p.split("|")):
            lines = run_text.split("\n")
            run = para.add_run(lines[0])
            if j % 2:
                run.bold = False  # a second run with its own properties, as Word makes them
                run.font.size = None
            for line in lines[1:]:
                run.add_break()
                run.add_text(line)


def printed(text: str) -> str:
    """A label's marks as a reader gives them: runs joined, paragraphs and breaks as "\\n"."""
    return text.replace("|", "").replace("¶", "\n")


def expected_grids(
    rep: Report, *, split: bool = False, variants: dict | None = None, nested: bool = False
) -> list[tuple[dict[tuple[int, int], str], set]]:
    """Per table in document order: {(row, col): text} of every cell (1-based) and the merges."""
    v = variants or {}
    out = []
    for key, blocks in official_tables(rep, v).items():
        parts = blocks if split else [[row for b in blocks for row in b]]
        for rows in parts:
            if nested and key == "四":
                out.append(({(1, 1): "（表格如下）"}, set()))
            placed, _ = _place(rows)
            cells = {(r + 1, c + 1): printed(cell.text) for r, c, cell in placed}
            merges = {
                (r + 1, c + 1, r + cell.rowspan, c + cell.colspan)
                for r, c, cell in placed
                if cell.rowspan > 1 or cell.colspan > 1
            }
            out.append((cells, merges))
    return out


def heading_lines() -> list[str]:
    return [h for h, _ in SECTIONS]


def run_extract(*paths) -> dict[str, dict]:
    """`gktool extract` (JSON Lines) over the files, in-process; one object per file, by file name."""
    import json

    from click.testing import CliRunner

    from gktool.cli import main

    result = CliRunner().invoke(main, ["extract", "-j", "1"] + [str(p) for p in paths])
    assert result.exit_code in (0, 1), result.output
    out = {}
    for line in result.output.splitlines():
        if line.startswith("{"):
            obj = json.loads(line)
            out[Path(obj["file"]).name] = obj
    return out


def values_read(obj: dict) -> dict[tuple[str, str, str], float | None]:
    return {(v["table"], v["row"], v["column"]): v["value"] for v in obj["values"]}
