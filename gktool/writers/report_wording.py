"""The Word report's wording: every sentence and every number of the report, decided from the analysis.

`report_blocks` turns an analysed report into a plain list of blocks (title, headings, paragraphs, tables),
so the wording can be tested without Word; `report.py` lays them out, and the web page uses them too. The
facts a paragraph quotes are read from the spec's tables by their labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..cells import parse_range
from ..compute import tidy
from ..spec import Label, Sheet, Spec
from .year_on_year import year_on_year

CN_DIGITS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Block:
    """One piece of the report: kind is title | para | h1 | h2 | table | closing.

    A para's `lead` is a run-in sub-heading set like a level-2 heading ("（一）…。" before the text)."""

    kind: str
    text: str = ""
    sheet: Sheet | None = None
    lead: str = ""


def report_title(analysis) -> str:
    unit, year = report_unit(analysis), report_year(analysis)
    return analysis.spec.report_title.format(unit=unit, year=year if year else "")


# ----------------------------------------------------------------- wording
def report_blocks(analysis) -> list[Block]:
    """Everything the report says, in order: numbers are taken from the analysis only."""
    spec: Spec = analysis.spec
    blocks = [Block("title", report_title(analysis)), Block("para", _opening(analysis))]
    for sheet in spec.sheets:
        if not sheet.section:
            continue
        blocks.append(Block("h1", f"{sheet.section}、{sheet.heading}"))
        if sheet.kind == "table":
            blocks.append(Block("table", sheet=sheet))
            continue
        blocks.extend(_form_blocks(analysis, sheet))
    closing = _closing(analysis)
    if closing:
        blocks.append(Block("closing", closing))
    return blocks


def narrative_paragraphs(text: str) -> list[str]:
    """A narrative cell as paragraphs: one per non-empty line, surrounding (full-width) spaces removed."""
    text = re.sub(r"\r\n?|[\x0b\x0c\u2028\u2029]", "\n", str(text or ""))
    return [line.strip() for line in xml_safe(text).split("\n") if line.strip()]


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """Drop characters XML cannot hold (control characters pasted into a cell), which python-docx refuses."""
    return _XML_UNSAFE.sub("", text)


def _field(analysis, key: str, default=""):
    if key not in analysis.spec.field_cells:
        return default
    value = analysis.field(key)
    return default if value is None else value


def report_unit(analysis) -> str:
    """The unit the report is written for."""
    # a source without the cover's cell (any other workbook, a published report) has the unit its reader
    # found in a title or the file name; without it the report's title would lose the unit
    found = getattr(analysis.report, "unit", None) or ""
    return str(_field(analysis, "unit") or found).strip()


def report_year(analysis) -> int:
    """The year the report is written for."""
    try:
        return int(_field(analysis, "year", 0) or getattr(analysis.report, "year", None) or 0)
    except (TypeError, ValueError):
        return 0


def _num(x: float) -> str:
    t = tidy(x)
    return str(t) if isinstance(t, int) else f"{x:.2f}"


def _opening(analysis) -> str:
    spec = analysis.spec
    unit, year = report_unit(analysis), report_year(analysis)
    who = unit or "本机关"
    parts = [
        f"本报告依据{spec.law}的规定，按照{spec.notice_title}（{spec.notice}）规定的格式编制，"
        f"报告{who}{year}年度政府信息公开工作情况。"
    ]
    parts.append(f"报告中所列数据的统计期限为{year}年1月1日至12月31日。")
    name, site = str(_field(analysis, "website_name")).strip(), str(_field(analysis, "website")).strip()
    if name and site:
        parts.append(f"本报告的电子版可在{name}（{site}）下载。")
    elif name or site:
        parts.append(f"本报告的电子版可在{name or site}下载。")
    return "".join(parts)


def _closing(analysis) -> str:
    office = str(_field(analysis, "contact_office")).strip() or report_unit(analysis)
    details = [
        (label, str(_field(analysis, key)).strip())
        for key, label in (("address", "地址"), ("postcode", "邮编"), ("phone", "电话"), ("email", "邮箱"))
    ]
    details = [f"{label}：{value}" for label, value in details if value]
    if not office and not details:
        return ""
    text = f"如对本报告有疑问，请与{office or '我们'}联系"
    if details:
        text += "（" + "；".join(details) + "）"
    return text + "。"


def _form_blocks(analysis, sheet: Sheet) -> list[Block]:
    out: list[Block] = []
    fields = sheet.fields
    narratives = [f for f in fields if f.type == "narrative"]
    empty_section = all(not narrative_paragraphs(_field(analysis, f.key)) for f in narratives)
    # sections whose sub-headings come from the spec (一) keep them; elsewhere (五, 六) the clerk's own
    # "（一）…" paragraphs are the sub-headings
    clerk_headings = not any(f.heading for f in narratives)
    fee_at = None
    sub = 0
    for f in fields:
        if f.key in ("fee_count", "fee_amount"):
            if fee_at is None:
                fee_at = len(out)
                out.append(Block("para", _fee_sentence(analysis)))
            continue
        if f.type != "narrative":
            value = analysis.field(f.key)
            shown = value if isinstance(value, str) else _num(value)
            if shown:
                out.append(Block("para", f"{f.label}：{shown}"))
            continue
        if f.heading:
            sub += 1
            label = f.label if f.label.startswith(("（", "(")) else f"（{_cn(sub)}）{f.heading}"
            out.append(Block("h2", label))
        paras = narrative_paragraphs(_field(analysis, f.key))
        if not paras:
            text = _generated(analysis, sheet, f, empty_section)
            paras = [text] if text else []
        out.extend(_clerk_block(p) if clerk_headings else Block("para", p) for p in paras)
    numbered = [b for b in out if b.kind == "h2" or b.lead]
    if fee_at is not None and numbered:
        # the clerk numbered the section: the fee sentence becomes the next item, set the same way,
        # instead of an unnumbered paragraph in front of （一）
        fee = out.pop(fee_at)
        n = max(_cn_value(_SUBHEAD.match(b.lead or b.text).group(1)) for b in numbered) + 1
        heading = f"（{_cn(n)}）收取信息处理费情况"
        if any(b.kind == "h2" for b in numbered):
            out += [Block("h2", heading), fee]
        else:
            out.append(Block("para", fee.text, lead=heading + "。"))
    return out


_SUBHEAD = re.compile(r"[（(]([一二三四五六七八九十]{1,3})[）)]")
_SENTENCE_END = "。；！？;!?"
SUBHEAD_CHARS = 40  # a stand-alone or run-in sub-heading is at most this long


def _clerk_block(text: str) -> Block:
    """A clerk's paragraph: "（一）标题" alone is a level-2 heading; "（一）标题。正文…" a run-in heading."""
    if not _SUBHEAD.match(text):
        return Block("para", text)
    body = text.rstrip(_SENTENCE_END)
    if len(text) <= SUBHEAD_CHARS and not any(ch in body for ch in _SENTENCE_END):
        return Block("h2", text)
    cut = min((i for i, ch in enumerate(text) if ch in _SENTENCE_END), default=len(text))
    if cut < SUBHEAD_CHARS and cut + 1 < len(text):
        return Block("para", text[cut + 1 :], lead=text[: cut + 1])
    return Block("para", text)


def _cn_value(numeral: str) -> int:
    """'三' -> 3, '十二' -> 12, '二十一' -> 21; anything else -> 0."""
    digit = {c: i + 1 for i, c in enumerate(CN_DIGITS[:9])}
    m = re.fullmatch(r"([一二三四五六七八九])?(十)?([一二三四五六七八九])?", numeral)
    if not m or not numeral or (m.group(1) and m.group(3) and not m.group(2)):
        return 0
    tens, ten, ones = m.groups()
    if not ten:
        return digit[tens or ones]
    return (digit[tens] if tens else 1) * 10 + (digit[ones] if ones else 0)


def _cn(n: int) -> str:
    if n <= 10:
        return CN_DIGITS[n - 1]
    return ("" if n < 20 else CN_DIGITS[n // 10 - 1]) + "十" + (CN_DIGITS[n % 10 - 1] if n % 10 else "")


def _generated(analysis, sheet: Sheet, f, empty_section: bool) -> str:
    """A paragraph for an empty narrative cell: facts from the tables, or a neutral sentence."""
    unit, year = report_unit(analysis), report_year(analysis)
    who = unit or "本机关"
    if f.key == "overview":
        return f"现将{who}{year}年政府信息公开工作情况报告如下。"
    if f.key == "active":
        text = _active_summary(analysis)
        if text:
            return text + _year_on_year(analysis, f.key)
    if f.key == "request":
        text = _request_summary(analysis)
        if text:
            return text + _year_on_year(analysis, f.key)
    if f.key == "other":
        return "无其他需要报告的事项。"
    if f.key in ("problems", "improvements"):
        # one sentence for an empty section 五; a filled half speaks for itself
        if empty_section and f is next(x for x in sheet.fields if x.type == "narrative"):
            return "本年度没有需要专门报告的问题及改进情况。"
        return ""
    topic = f.heading or f.label
    return f"本年度{topic}方面没有需要专门说明的情况。"


def _year_on_year(analysis, key: str) -> str:
    """Figures against last year's, when `report --previous` gave its report (see crossyear.py)."""
    last = getattr(analysis, "previous", None)
    if last is None or analysis.report is None:
        return ""
    return year_on_year(analysis.report, last, key)


def _fee_sentence(analysis) -> str:
    spec = analysis.spec
    count, amount = float(_field(analysis, "fee_count", 0) or 0), float(_field(analysis, "fee_amount", 0) or 0)
    if count <= 0 and amount <= 0:
        return f"按照{spec.fee_notice}的规定，本年度没有收取信息处理费。"
    return (
        f"按照{spec.fee_notice}的规定，本年度对{_num(count)}件政府信息公开申请收取了信息处理费，"
        f"信息处理费金额合计{_num(amount)}元。"
    )


# ----------------------------------------------------------------- facts from the tables
def value_text(analysis, sheet: Sheet, cell: str) -> str:
    """A table value as the report prints it."""
    c = sheet.spec_cell(cell)
    return format_number(analysis.spec, c.type if c else "count", analysis.number(sheet.name, cell))


def format_number(spec: Spec, type_key: str, value: float) -> str:
    """A table number as printed: counts as integers, amounts with their decimals; 0 as 0."""
    t = spec.types.get(type_key)
    value = float(value or 0)
    if t is not None and t.decimals is not None and not t.integer:
        return f"{value:.{t.decimals}f}"
    return _num(value)


def _active_summary(analysis) -> str:
    """表二 in one sentence: every data row with its column headings, e.g. 行政规范性文件本年制发3件."""
    figures = analysis.spec.report_figures
    if figures is None:
        return ""
    sheet = analysis.spec.sheet(figures.active)
    rows: dict[int, list] = {}
    for c in sheet.inputs + sheet.computed:
        row, _ = parse_range(c.cell)[:2]
        rows.setdefault(row, []).append(c)
    items = []
    for row in sorted(rows):
        cells = sorted(rows[row], key=lambda c: parse_range(c.cell)[1])
        parts = []
        for c in cells:
            measure, unit = _measure(_column_heading(sheet, c.cell))
            parts.append(f"{measure}{value_text(analysis, sheet, c.cell)}{unit}")
        items.append(_row_heading(sheet, cells[0].cell) + "、".join(parts))
    if not items:
        return ""
    year = report_year(analysis)
    return f"{year}年主动公开政府信息的主要数据为：" + "；".join(items) + f"。详见本报告第{sheet.section}部分。"


def _column_heading(sheet: Sheet, cell: str) -> str:
    """The nearest header label above a cell: '本年制发件数' for 表二 B3."""
    row, col = parse_range(cell)[:2]
    for r in range(row - 1, 0, -1):
        lab = sheet.label_at(r, col)
        if lab is not None and lab.header:
            return lab.text
    return ""


def _row_heading(sheet: Sheet, cell: str) -> str:
    """The nearest row label left of a cell: '行政规范性文件' for 表二 B4."""
    row, col = parse_range(cell)[:2]
    for c in range(col - 1, 0, -1):
        lab = sheet.label_at(row, c)
        if lab is not None and not lab.header:
            return lab.text
    return ""


def _measure(header: str) -> tuple[str, str]:
    """'本年收费金额（单位：万元）' -> ('本年收费金额', '万元'); '本年制发件数' -> ('本年制发', '件')."""
    m = re.search(r"[（(]\s*单位[:：]\s*(.+?)\s*[）)]", header)
    unit = m.group(1) if m else "件"
    base = re.sub(r"[（(]\s*单位[:：].*?[）)]", "", header).strip()
    if not m:
        base = re.sub(r"(件数|数量|数)$", "", base)
    return base, unit


def _labels(sheet: Sheet, header: bool) -> list[Label]:
    return [lab for lab in sheet.labels if lab.header == header]


def _request_summary(analysis) -> str:
    """Applications (表三) and the reviews and lawsuits they led to (表四), from the cells [report] names."""
    figures = analysis.spec.report_figures
    if figures is None:
        return ""
    ev = analysis.report.evaluator
    new, carried_in, resolved, carried_out = (
        ev.sum((ref,)) for ref in (figures.new, figures.carried_in, figures.resolved, figures.carried_out)
    )
    outcomes = [f"{what}{_num(value)}件" for what, ref in figures.outcomes if (value := ev.sum((ref,)))]
    year, who = report_year(analysis), report_unit(analysis) or "本机关"
    if not (new or carried_in or resolved or carried_out):
        text = f"{year}年，{who}没有收到政府信息公开申请，也没有上年结转的申请。"
    else:
        text = f"{year}年，{who}新收政府信息公开申请{_num(new)}件，"
        text += f"上年结转{_num(carried_in)}件。" if carried_in else "没有上年结转的申请。"
        text += f"本年度办结{_num(resolved)}件"
        text += "，其中" + "、".join(outcomes) if outcomes else ""
        text += f"；结转下年度继续办理{_num(carried_out)}件。" if carried_out else "；没有需要结转下年度办理的申请。"
    return text + _review_sentence(analysis)


def _review_sentence(analysis) -> str:
    figures = analysis.spec.report_figures
    ev = analysis.report.evaluator
    reviews, suits = ev.sum(figures.reviews), ev.sum(figures.suits)
    if not reviews and not suits:
        return "本年度没有因政府信息公开引起的行政复议和行政诉讼。"
    return f"因政府信息公开引起行政复议{_num(reviews)}件、行政诉讼{_num(suits)}件。"
