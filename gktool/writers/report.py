"""`gktool report`: the publishable Word report, typeset after GB/T 9704, from an analysed workbook.

The report is built in two steps. `report_blocks` turns the analysis into a
plain list of blocks (title, headings, paragraphs, tables) — all wording and
every number is decided there, so it can be tested without Word. `_Renderer`
then lays the blocks out with python-docx: page, fonts, indents, line spacing,
page numbers and the official tables, whose rows, columns, merged headers and
labels come from the spec sheets, never from code.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.table import _Cell

from ..cells import col_index, parse_range
from ..errors import EXIT_FINDINGS, GkError
from ..fsutil import atomic_output
from ..spec import Sheet, Spec
from .report_wording import Block, report_blocks, report_title, report_unit, report_year, value_text, xml_safe

# ----------------------------------------------------------------- typesetting (GB/T 9704-2012)
FONT_TITLE = "方正小标宋简体"  # 2号 title
FONT_BODY = "仿宋_GB2312"  # 3号 body
FONT_H1 = "黑体"  # 一、 headings
FONT_H2 = "楷体_GB2312"  # （一） headings
FONT_TABLE = "宋体"  # table text
FONT_PAGE = "宋体"  # page number
FONT_LATIN = "Times New Roman"  # digits and Latin letters in body and tables


@dataclass(frozen=True)
class FontDecl:
    """How a font is declared for substitution where it is missing.

    Word and WPS read the fontTable entry (w:altName, w:panose1, w:charset,
    w:family); LibreOffice ignores all of these (writerfilter's FontTable.cxx
    drops altName, panose1 and family) and asks fontconfig, whose default for
    an unknown Chinese name is the sans CJK font, so `fontconfig_xml()` gives
    fontconfig the same substitutes as a file the reader can install.
    """

    name: str
    alt: str  # a font Windows ships, the closest in design
    family: str  # w:family: roman = serif (宋/仿宋), swiss = sans (黑), script = brush (楷)
    panose: str  # the PANOSE Word records for the official font
    fallbacks: tuple[str, ...]  # fontconfig: installed look-alikes, best first, then the generic family
    bold: bool = False  # the substitute is set bold (小标宋 is a heavy Song)


FONT_DECLS = (
    FontDecl(
        FONT_TITLE,
        "宋体",
        "roman",
        "02000000000000000000",
        ("Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "思源宋体", "serif"),
        bold=True,
    ),
    FontDecl(
        FONT_BODY,
        "仿宋",
        "roman",
        "02010609030101010101",
        ("仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "serif"),
    ),
    FontDecl(
        FONT_H1,
        "SimHei",
        "swiss",
        "02010609060101010101",
        ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "sans-serif"),
    ),
    FontDecl(
        FONT_H2,
        "楷体",
        "script",
        "02010609030101010101",
        ("楷体", "KaiTi", "STKaiti", "AR PL UKai CN", "LXGW WenKai", "Noto Serif CJK SC", "serif"),
    ),
    FontDecl(
        FONT_TABLE,
        "SimSun",
        "roman",
        "02010600030101010101",
        ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "serif"),
    ),
)
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
GB2312_SIG = {
    "usb0": "00000001",
    "usb1": "080E0000",
    "usb2": "00000010",
    "usb3": "00000000",
    "csb0": "00040000",
    "csb1": "00000000",
}  # code page bit 18: Simplified Chinese

SIZE_TITLE = Pt(22)  # 2号
SIZE_BODY = Pt(16)  # 3号
SIZE_TABLE = Pt(10.5)  # 五号
SIZE_PAGE = Pt(14)  # 4号
LINE = Pt(28.95)  # 225 mm text block / 22 lines

PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 156 mm
CELL_MARGIN_TWIPS = 57  # 1 mm left and right in table cells
TWIPS_PER_EMU = 1 / 635
KEEP_TOGETHER_ROWS = 16  # tables up to this many rows are kept on one page
WIDTH_SLACK = Mm(0.3)  # borders and rounding: a column for n characters needs a little more than n


# The title's widths in ems of SIZE_TITLE, measured on LibreOffice's PDF of a report: ideographs are one em
# in every CJK face; digits are 0.636 em in DejaVu Sans, which LibreOffice substitutes when 方正小标宋简体 is
# missing (the face's own digits are 0.5 em, so the wider value is safe for both), and LibreOffice puts
# 0.2 em between a run of digits and the ideographs on either side.
TITLE_NARROW_EM = 0.636
TITLE_AUTOSPACE_EM = 0.2
TITLE_SLACK_EM = 0.25  # a line filled to the last quarter em may still wrap in another program
TITLE_MAX_LINES = 4  # a longer title is no title to lay out: it wraps by itself
TITLE_MAX_WORDS = 14  # every choice of breaks among this many words is tried (2**13 at most)
# A unit name too long for one line breaks only after one of its administrative levels (…自治区|…市|…县|…局);
# the characters after 市/县/区/乡 that make a word with it (市场, 县委, 区域, 乡村 …) forbid the break.
_UNIT_LEVEL = re.compile(
    r"(?:人民政府|自治区|自治州|自治县|街道|省|(?<![城都])市(?![场政容民级属直委辖])|县(?![委级域属直])"
    r"|(?<![社园景片小])区(?![域委级属直])|旗|盟|镇(?![委])|(?<![城])乡(?![村镇委]))(?=.)"
)


# ----------------------------------------------------------------- public API
def title_width(text: str) -> float:
    """The printed width of a title line in ems of the title size (see TITLE_NARROW_EM)."""
    boundaries = sum(a.isascii() != b.isascii() for a, b in zip(text, text[1:], strict=False))
    return sum(TITLE_NARROW_EM if ch.isascii() else 1.0 for ch in text) + TITLE_AUTOSPACE_EM * boundaries


def title_words(spec: Spec, unit: str, year) -> list[tuple[str, bool]]:
    """The title as the pieces a line may end after — the unit's levels, the year, the spec's phrases —
    each with whether it is a piece of the unit name followed by more of it (a break there splits the name)."""
    words = []
    for piece in spec.report_title_breaks.split("|"):
        if "{unit}" in piece and unit:
            cuts = [0] + [m.end() for m in _UNIT_LEVEL.finditer(unit)] + [len(unit)]
            parts = [unit[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
            head, tail = piece.split("{unit}", 1)
            parts[0], parts[-1] = head + parts[0], parts[-1] + tail.format(year=year)
            words.extend((x, i + 1 < len(parts)) for i, x in enumerate(parts))
        else:
            text = piece.format(unit=unit, year=year)
            if text:
                words.append((text, False))
    return words


def title_lines(spec: Spec, unit: str, year, per_line: float) -> list[str]:
    """The title in as few lines as fit `per_line` ems, breaking only between words (title_words): the unit
    name kept whole where it fits, then the longest line as short as possible. A unit name with no level
    to break after and longer than a line is the one thing cut where the line ends. A title of more than
    TITLE_MAX_LINES lines (a unit name of paragraph length) is left to wrap by itself, as one piece."""
    words, n = title_words(spec, unit, year), 0
    while n < len(words):
        w, inner = words[n]
        if title_width(w) > per_line:
            cut = 1
            while cut < len(w) and title_width(w[: cut + 1]) <= per_line:
                cut += 1
            words[n : n + 1] = [(w[:cut], True), (w[cut:], inner)]
        n += 1
    whole = ["".join(w for w, _ in words)]
    if len(words) > TITLE_MAX_WORDS:
        return whole
    best = None
    for mask in range(1 << max(0, len(words) - 1)):  # every choice of breaks: a title has a handful of words
        lines, line, split = [], words[0][0], 0
        for i, (w, _) in enumerate(words[1:]):
            if mask >> i & 1:
                lines.append(line)
                line, split = w, split + words[i][1]
            else:
                line += w
        lines.append(line)
        widest = max(title_width(x) for x in lines)
        if widest <= per_line and (best is None or (len(lines), split, widest) < best[0]):
            best = ((len(lines), split, widest), lines)
    return best[1] if best and len(best[1]) <= TITLE_MAX_LINES else whole


MAX_NAME_BYTES = 240  # file names: 255 bytes on most file systems, with room to spare
PROPERTY_CHARS = 255  # Word's limit for a document property
DRAFT_MARK = "草稿——未通过校验，不得发布"


def default_report_path(analysis, workbook_path: Path) -> Path:
    """`{单位}{年度}年政府信息公开工作年度报告.docx` beside the workbook; a very long unit name is shortened."""

    def safe(title: str) -> str:
        return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).strip(" .")

    def fits(name: str) -> bool:
        return len(f"{name}.docx".encode()) <= MAX_NAME_BYTES

    name = safe(report_title(analysis)) or "政府信息公开工作年度报告"
    if not fits(name):
        # keep the year and the report's own words; shorten the unit, marking the cut with …
        unit, year = report_unit(analysis), report_year(analysis)
        for keep in range(len(unit) - 1, -1, -1):
            shorter = safe(analysis.spec.report_title.format(unit=unit[:keep] + "…", year=year or ""))
            if fits(shorter):
                name = shorter
                break
        while not fits(name):
            name = name[:-1]
    return Path(workbook_path).parent / f"{name}.docx"


def write_report(analysis, path: Path, force: bool = False, draft: bool = False) -> Path:
    """Write the Word report for `analysis` to `path` atomically; never replaces a file without `force`.

    `draft` marks every page as a draft that failed validation."""
    if analysis.spec is None:
        raise GkError("无法识别工作簿的格式，不能生成报告", EXIT_FINDINGS)
    path = Path(path)
    data = document_bytes(analysis, draft=draft)
    with atomic_output(path, force) as tmp:
        Path(tmp).write_bytes(data)
    return path


def build_document(analysis, draft: bool = False):
    """The python-docx Document of the report (not saved)."""
    return _Renderer(analysis, draft=draft).render(report_blocks(analysis))


def document_bytes(analysis, draft: bool = False) -> bytes:
    """The .docx file as bytes: the same workbook always gives the same bytes (dates come from the data)."""
    buffer = io.BytesIO()
    build_document(analysis, draft=draft).save(buffer)
    return _stable_zip(buffer.getvalue(), _report_date(analysis).timetuple()[:6])


def fontconfig_xml() -> str:
    """A fontconfig file giving LibreOffice (Linux) serif, sans and kai substitutes for the official fonts."""
    out = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<!-- gktool: substitutes for the official fonts of GB/T 9704 documents (政府信息公开年度报告)."
        " Used only where the official font is not installed. -->",
        "<fontconfig>",
    ]
    for decl in FONT_DECLS:
        families = "".join(f"<string>{_xml_escape(f)}</string>" for f in decl.fallbacks)
        out.append('  <match target="pattern">')
        out.append(f'    <test name="family"><string>{_xml_escape(decl.name)}</string></test>')
        out.append(f'    <edit name="family" mode="append" binding="strong">{families}</edit>')
        if decl.bold:
            out.append('    <edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>')
        out.append("  </match>")
    out.append("</fontconfig>")
    return "\n".join(out) + "\n"


def _report_date(analysis) -> _dt.datetime:
    """The report's fixed date: 1 January after the report year (when reports are due), not the clock."""
    year = report_year(analysis)
    return _dt.datetime(year + 1, 1, 1) if 1980 <= year + 1 <= 2107 else _dt.datetime(1980, 1, 1)


def _stable_zip(data: bytes, when: tuple) -> bytes:
    """Rewrite a zip with fixed entry dates and attributes, entries in their original order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0  # the same bytes on every platform
            entry.external_attr = 0
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _clip(text: str, limit: int = PROPERTY_CHARS) -> str:
    """A document property: XML-safe and within Word's length limit (python-docx raises beyond 255)."""
    text = xml_safe(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------- layout
def _set_fonts(rpr, east_asia: str, latin: str) -> None:
    """Explicit font names on an rPr: East Asian name in w:eastAsia, theme attributes removed."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


def _set_lang(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _indent(paragraph, chars: int, size) -> None:
    """First-line indent of `chars` characters: twips for every program, firstLineChars for Word."""
    _indent_format(paragraph.paragraph_format, paragraph._p.get_or_add_pPr(), chars, size)


def _indent_format(pf, ppr, chars: int, size) -> None:
    pf.first_line_indent = Pt(chars * size.pt) if chars else Pt(0)
    ppr.find(qn("w:ind")).set(qn("w:firstLineChars"), str(chars * 100))


class _Renderer:
    ROLES = {  # role: (east asian font, latin font, size)
        "title": (FONT_TITLE, FONT_TITLE, SIZE_TITLE),
        "h1": (FONT_H1, FONT_H1, SIZE_BODY),
        "h2": (FONT_H2, FONT_H2, SIZE_BODY),
        "para": (FONT_BODY, FONT_LATIN, SIZE_BODY),
        "closing": (FONT_BODY, FONT_LATIN, SIZE_BODY),
        "table": (FONT_TABLE, FONT_LATIN, SIZE_TABLE),
        "page": (FONT_PAGE, FONT_PAGE, SIZE_PAGE),
        "draft": (FONT_H1, FONT_H1, SIZE_PAGE),
    }
    HEADING_STYLES = {"h1": ("Heading 1", 0), "h2": ("Heading 2", 1)}

    def __init__(self, analysis, draft: bool = False):
        self.analysis = analysis
        self.spec: Spec = analysis.spec
        self.draft = draft
        self.doc = Document()

    def render(self, blocks: list[Block]):
        self._page()
        self._styles()
        self._package()
        self._properties(blocks)
        for b in blocks:
            if b.kind == "table":
                self._table(b.sheet)
            else:
                self._paragraph(b.kind, b.text, b.lead)
        return self.doc

    # ------------------------------------------------------------ document setup
    def _page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_W, PAGE_H
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
        section.header_distance = Mm(15)
        section.footer_distance = Mm(24)  # number's top edge about 7 mm below the text block
        p = section.footer.paragraphs[0]
        self._plain(p, WD_PARAGRAPH_ALIGNMENT.CENTER)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        self._run(p, "— ", "page")
        self._field(p, "PAGE", "1")
        self._run(p, " —", "page")
        if self.draft:
            # in the page header, so every page of a printed or converted draft carries it
            h = section.header.paragraphs[0]
            self._plain(h, WD_PARAGRAPH_ALIGNMENT.CENTER)
            h.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            run = self._run(h, DRAFT_MARK, "draft")
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    def _styles(self) -> None:
        styles_el = self.doc.styles.element
        for fonts in styles_el.iter(qn("w:rFonts")):  # theme fonts override explicit names: drop them
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)
        defaults = styles_el.find(qn("w:docDefaults"))
        rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr_default, FONT_BODY, FONT_LATIN)
        _set_lang(rpr_default)
        normal = self.doc.styles["Normal"]
        normal.font.size = SIZE_BODY
        rpr = normal.element.get_or_add_rPr()
        _set_fonts(rpr, FONT_BODY, FONT_LATIN)
        _set_lang(rpr)
        pf = normal.paragraph_format
        pf.space_before = pf.space_after = Pt(0)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = LINE
        pf.alignment = WD_PARAGRAPH_ALIGNMENT.JUSTIFY
        pf.first_line_indent = Pt(2 * SIZE_BODY.pt)
        normal.element.get_or_add_pPr().find(qn("w:ind")).set(qn("w:firstLineChars"), "200")
        # the built-in heading styles, restyled as GB/T 9704 headings: Word's navigation pane and
        # table of contents find them, and a clerk's （一） heading gets the same style as ours
        for kind, (name, _level) in self.HEADING_STYLES.items():
            style = self.doc.styles[name]
            east, latin, size = self.ROLES[kind]
            rpr = style.element.get_or_add_rPr()
            for tag in ("w:color", "w:b", "w:bCs", "w:i", "w:iCs", "w:sz", "w:szCs"):
                for el in rpr.findall(qn(tag)):
                    rpr.remove(el)
            style.font.size = size
            style.font.bold = False
            _set_fonts(rpr, east, latin)
            ppr = style.element.get_or_add_pPr()
            for tag in ("w:spacing", "w:ind"):
                for el in ppr.findall(qn(tag)):
                    ppr.remove(el)
            spf = style.paragraph_format
            spf.space_before = spf.space_after = Pt(0)
            spf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            spf.line_spacing = LINE
            spf.keep_with_next = True
            spf.alignment = WD_PARAGRAPH_ALIGNMENT.JUSTIFY
            _indent_format(spf, ppr, 2, SIZE_BODY)

    def _package(self) -> None:
        """Parts that describe the document honestly: no Word thumbnail, gktool as the application,
        the official fonts declared with their substitutes, Chinese as the theme's East Asian language."""
        package = self.doc.part.package
        for rels, drop in ((package.rels, (RT.THUMBNAIL,)), (self.doc.part.rels, (RT.CUSTOM_XML, STYLES_WITH_EFFECTS))):
            for rid in [rid for rid, rel in rels.items() if rel.reltype in drop]:
                del rels[rid]
        settings = self.doc.settings.element
        for el in settings.findall(qn("w:savePreviewPicture")):
            settings.remove(el)
        lang = settings.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), "zh-CN")
        for part in package.iter_parts():
            if part.partname == "/docProps/app.xml":
                part._blob = _app_xml()
            elif part.partname == "/word/fontTable.xml":
                part._blob = _font_table_xml()

    def _properties(self, blocks: list[Block]) -> None:
        props = self.doc.core_properties
        when = _report_date(self.analysis)
        title = blocks[0].text
        props.title = _clip(f"（草稿）{title}" if self.draft else title)
        props.author = props.last_modified_by = _clip(report_unit(self.analysis) or "gktool")
        props.subject = _clip(self.spec.title)
        props.comments = _clip(
            "由 gktool report 根据填报工作簿生成" + ("；工作簿未通过校验，此为草稿" if self.draft else "")
        )
        props.keywords = "草稿" if self.draft else ""
        props.language = "zh-CN"
        props.created = props.modified = when
        props.revision = 1

    # ------------------------------------------------------------ paragraphs
    def _run(self, paragraph, text: str, role: str):
        east, latin, size = self.ROLES[role]
        run = paragraph.add_run(xml_safe(text))
        run.font.size = size
        _set_fonts(run._element.get_or_add_rPr(), east, latin)
        return run

    def _field(self, paragraph, instruction: str, shown: str) -> None:
        def fld(kind):
            run = self._run(paragraph, "", "page")
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._element.append(el)

        fld("begin")
        run = self._run(paragraph, "", "page")
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = f" {instruction} "
        run._element.append(instr)
        fld("separate")
        self._run(paragraph, shown, "page")
        fld("end")

    @staticmethod
    def _plain(paragraph, alignment) -> None:
        """No first-line indent (overrides Normal's 2 characters)."""
        paragraph.alignment = alignment
        _indent(paragraph, 0, SIZE_BODY)

    def _paragraph(self, kind: str, text: str, lead: str = "") -> None:
        p = self.doc.add_paragraph()
        pf = p.paragraph_format
        if kind == "title":
            self._plain(p, WD_PARAGRAPH_ALIGNMENT.CENTER)
            pf.line_spacing = Pt(36)
            pf.space_after = LINE
            pf.keep_with_next = True
            # a long title breaks between words (after the unit, the year …), never inside one
            per_line = TEXT_WIDTH / SIZE_TITLE - TITLE_SLACK_EM
            lines = title_lines(self.spec, report_unit(self.analysis), report_year(self.analysis) or "", per_line)
            if "".join(lines) == text:
                for i, line in enumerate(lines):
                    run = self._run(p, line, kind)
                    if i + 1 < len(lines):
                        run.add_break()
                return
        elif kind == "closing" and self.doc.paragraphs:
            # the contact paragraph never stands alone on the last page: the paragraph before comes with it
            self.doc.paragraphs[-2].paragraph_format.keep_with_next = True
        elif kind in self.HEADING_STYLES:
            name, level = self.HEADING_STYLES[kind]
            p.style = self.doc.styles[name]
            outline = OxmlElement("w:outlineLvl")  # also on the paragraph, for programs ignoring the style
            outline.set(qn("w:val"), str(level))
            p._p.get_or_add_pPr().append(outline)
        # opening, body and closing are justified by the Normal style, long URLs included:
        # a ragged paragraph among justified ones looks unfinished
        if lead:
            self._run(p, lead, "h2")
        self._run(p, text, kind)

    # ------------------------------------------------------------ tables
    def _table(self, sheet: Sheet) -> None:
        n_rows, n_cols = sheet.bounds
        table = self.doc.add_table(rows=n_rows, cols=n_cols)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        widths = column_widths(sheet, int(TEXT_WIDTH), SIZE_TABLE)
        tbl = table._tbl
        tbl_pr = tbl.tblPr
        tbl_w = tbl_pr.find(qn("w:tblW"))
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(round(sum(widths) * TWIPS_PER_EMU)))
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            m = OxmlElement(f"w:{side}")
            m.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
            m.set(qn("w:type"), "dxa")
            margins.append(m)
        look = tbl_pr.find(qn("w:tblLook"))  # schema order: tblCellMar comes before tblLook
        look.addprevious(margins) if look is not None else tbl_pr.append(margins)
        for col, w in zip(table.columns, widths, strict=False):
            col.width = Emu(w)
        # work on the w:tc grid directly: python-docx's table.cell() rescans the table on every call
        grid = [list(tr.tc_lst) for tr in tbl.tr_lst]
        for row in grid:
            for tc, w in zip(row, widths, strict=False):
                tc.width = Emu(w)  # merging adds the widths of the swallowed cells
        for i, tr in enumerate(tbl.tr_lst):
            tr_pr = tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))
            if i < sheet.header_rows:
                tr_pr.append(OxmlElement("w:tblHeader"))
            height = OxmlElement("w:trHeight")
            height.set(qn("w:val"), str(round(Mm(6) * TWIPS_PER_EMU)))
            height.set(qn("w:hRule"), "atLeast")
            tr_pr.append(height)
        contents: list[tuple[str, str, str, bool]] = []  # (range, text, alignment, label)
        for lab in sheet.labels:
            align = "center" if lab.header or _is_vertical(lab.range) else "left"
            contents.append((lab.range, lab.text, align, True))
        for c in sheet.cells:
            contents.append((c.merge or c.cell, value_text(self.analysis, sheet, c.cell), "center", False))
        usable_pad = Pt(2 * CELL_MARGIN_TWIPS / 20) + WIDTH_SLACK
        for rng, text, align, label in contents:  # ranges never overlap, so corner cells survive merges
            r1, c1, r2, c2 = parse_range(rng)
            tc = grid[r1 - 1][c1 - 1]
            if (r1, c1) != (r2, c2):
                tc = tc.merge(grid[r2 - 1][c2 - 1])
            cell = _Cell(tc, table)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            self._table_paragraph(p, align)
            if label and align == "center":
                # the official text exactly, wrapping by itself; a narrower line makes a short label
                # wrap evenly (商业/企业, not 商业企/业) without a hard break in the text
                usable = sum(widths[c1 - 1 : c2]) - usable_pad
                per_line = balanced_width(text, int(usable // SIZE_TABLE))
                if per_line:
                    side = Emu(max(0, int((usable - (per_line + 0.5) * SIZE_TABLE) / 2)))
                    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
            self._run(p, text, "table")
        # header rows stay with the first data row; a table that fits on a page (表二, 表四) is
        # kept on one page: every row keeps with the next
        for i, tr in enumerate(tbl.tr_lst):
            keep = i < n_rows - 1 and (i < sheet.header_rows or n_rows <= KEEP_TOGETHER_ROWS)
            for tc in tr.tc_lst:
                cell = _Cell(tc, table)
                for p in cell.paragraphs:
                    if not p.runs:
                        self._table_paragraph(p, "center")
                    if keep:
                        p.paragraph_format.keep_with_next = True
        # one short empty line after a table so the next heading does not touch it
        after = self.doc.add_paragraph()
        after.paragraph_format.line_spacing = Pt(14)

    @staticmethod
    def _table_paragraph(p, align: str) -> None:
        _indent(p, 0, SIZE_TABLE)
        pf = p.paragraph_format
        pf.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER if align == "center" else WD_PARAGRAPH_ALIGNMENT.LEFT
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        pf.space_before = pf.space_after = Pt(0)


def balanced_width(text: str, per_line: int) -> int:
    """Characters per line that make a centred label wrap evenly, or 0 when the natural wrap is fine:
    '商业企业' in a 3-character column -> 2 (商业/企业); '社会公益组织' -> 0 (3 + 3 already)."""
    n = len(text)
    if per_line < 1 or n <= per_line or re.search(r"[\x21-\x7e\s]", text):
        return 0
    lines = -(-n // per_line)
    even = -(-n // lines)
    return even if even < per_line else 0


def _app_xml() -> bytes:
    """docProps/app.xml naming gktool (python-docx's template says Microsoft Macintosh Word); no version,
    so a new gktool release does not change the bytes of an unchanged report."""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        b"<Application>gktool</Application><DocSecurity>0</DocSecurity>"
        b"<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        b"<HyperlinksChanged>false</HyperlinksChanged></Properties>"
    )


def _font_table_xml() -> bytes:
    """word/fontTable.xml: every font the report names, with what Word and WPS may substitute."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    entries = [
        '<w:font w:name="Times New Roman"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/>'
        '<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>'
    ]
    sig = "".join(f' w:{k}="{v}"' for k, v in GB2312_SIG.items())
    for d in FONT_DECLS:
        entries.append(
            f'<w:font w:name="{_xml_escape(d.name)}"><w:altName w:val="{_xml_escape(d.alt)}"/>'
            f'<w:panose1 w:val="{d.panose}"/><w:charset w:val="86"/><w:family w:val="{d.family}"/>'
            f'<w:pitch w:val="variable"/><w:sig{sig}/></w:font>'
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:fonts xmlns:w="{w}">'
        + "".join(entries)
        + "</w:fonts>"
    ).encode("utf-8")


def _is_vertical(rng: str) -> bool:
    r1, c1, r2, c2 = parse_range(rng)
    return r2 > r1 and c1 == c2


def column_widths(sheet: Sheet, total: int, font_size) -> list[int]:
    """Column widths (EMU) summing to `total`: the spec's Excel widths, scaled, with narrow
    columns widened to hold three characters of table text where the page allows."""
    n_cols = sheet.bounds[1]
    excel = {i: 8.43 for i in range(1, n_cols + 1)}
    for key, width in sheet.widths:
        a, _, b = key.partition(":")
        for i in range(col_index(a), col_index(b or a) + 1):
            if i in excel:
                excel[i] = float(width)
    minimum = min(total / n_cols, 3 * font_size + Pt(2 * CELL_MARGIN_TWIPS / 20) + WIDTH_SLACK)
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in excel if i not in fixed]
        room = total - sum(fixed.values())
        scale = room / sum(excel[i] for i in free)
        narrow = [i for i in free if excel[i] * scale < minimum]
        if not narrow:
            break
        for i in narrow:
            fixed[i] = minimum
    widths = [int(fixed.get(i, excel[i] * scale)) for i in range(1, n_cols + 1)]
    widths[-1] += total - sum(widths)
    return widths
