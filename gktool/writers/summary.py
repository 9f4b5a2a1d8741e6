"""The workbook `gktool collect` writes: 状态, the summed tables as a gktool workbook, 明细.

The summed tables are written by gktool's own writer (same labels, totals as formulas, live
校验 sheet), so the summary validates like any filled workbook and `gktool report` turns it
into the county's or city's report. The 状态 sheet is added through the writer's
`extra_sheets` hook. The 明细 sheet (one row per unit × table × row × column, some 200 rows a
unit) is too big for a cell-by-cell writer to stay fast, so its rows are streamed as XML from
the collection's spill file straight into the finished zip, with their strings appended to
the shared-string table. Everything is in a fixed order with fixed dates: a re-run on the same
files gives the same bytes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..collection import Collection, Submission
from ..contract import DETAIL_SHEET, EXTRA_SHEETS_PROPERTY, STATUS_SHEET
from ..fsutil import atomic_output, check_target
from .workbook import _Writer

# widths chosen so that 状态 prints one A4 landscape page wide at about 9 pt; the columns after
# 问题3 (路径) are for the screen only. LibreOffice's column unit is some 2.7 mm at 100 %.
STATUS_COLUMNS = [
    ("单位", 13),
    ("文件中的单位名称", 12),
    ("名单匹配", 6),
    ("年度", 5),
    ("结论", 6),
    ("错误数", 4),
    ("警告数", 4),
    ("需要核实", 18),
    ("纳入汇总", 4.5),
    ("类型", 8),
    ("文件名", 12),
    ("问题1", 14),
    ("问题2", 10),
    ("问题3", 10),
    ("路径", 40),
]
STATUS_WRAPPED = {"单位", "文件中的单位名称", "名单匹配", "需要核实", "类型", "文件名", "问题1", "问题2", "问题3"}
LINE_POINTS = 14.5  # one line of 11 pt text
DETAIL_COLUMNS = [
    ("单位", 24),
    ("年度", 7),
    ("文件名", 28),
    ("纳入汇总", 9),
    ("表", 5),
    ("行", 40),
    ("列", 16),
    ("类别", 7),
    ("来源", 24),
    ("数值", 12),
]
VERDICT_COLOURS = {
    "无法读取": ("#C00000", "#FFFFFF"),
    "不通过": ("#FFC7CE", "#9C0006"),
    "未能完整读取": ("#FFD966", "#7F6000"),
    "未提交": ("#F8CBAD", "#833C0B"),
    "有警告": ("#FFEB9C", "#9C5700"),
    "通过": ("#C6EFCE", "#006100"),
}
KIND_ZH = {
    "gktool": "gktool 工作簿",
    "xlsx": "Excel 工作簿",
    "xls": "Excel 97-2003 工作簿",
    "ods": "ODS 工作簿",
    "xlsb": "Excel 二进制工作簿",
    "docx": "Word 文档",
    "html": "网页",
    "pdf": "PDF 文件",
}
DETAIL_NOTE = "明细：共 {rows} 行，供筛选和数据透视表使用，不打印；需要时请筛选后选中区域打印"
MAX_COVER_NAMES = 400  # characters of unit names on the cover; the full list is on 状态


def _names(subs: list[Submission]) -> str:
    text, shown = "", 0
    for s in subs:
        piece = ("、" if text else "") + s.name
        if len(text) + len(piece) > MAX_COVER_NAMES:
            break
        text += piece
        shown += 1
    return text + (f" 等 {len(subs)} 个单位" if shown < len(subs) else "")


def cover_lines(collection: Collection, detail_csv: str | None = None) -> list[str]:
    """What the cover says about this summary: which units are summed and how many (and where 明细 is)."""
    included = collection.included
    c = collection.counts()
    rule = "全部读出数字的单位（含有错误的）" if collection.include_failing else "没有错误的单位"
    left_out = c["文件"] - c["纳入汇总"]
    return [
        "汇总说明（gktool collect 生成）：",
        f"1. 本工作簿汇总了 {len(included)} 个单位的{collection.year or ''}年度报告：表二至表四和信息处理费为各单位填报数字之和，合计由公式计算。",
        f"2. 纳入汇总的是{rule}，共 {len(included)} 个：{_names(included) or '无'}。",
        f"3. 共收到 {c['文件']} 个文件，{left_out} 个未纳入（无法读取、有错误、年度不符、重复提交、不在名单中或格式不同）；"
        + (f"名单中 {c['未提交']} 个单位未提交；" if collection.roster is not None else "")
        + "逐个单位的结论见“状态”工作表。",
        (
            f"4. 每个单位的每个数字及其来源单元格（明细）超过 Excel 工作表的行数上限，写在同一文件夹中的“{detail_csv}”"
            "（UTF-8 CSV，Excel、WPS、pandas 均可打开，可用于数据透视表）。"
            if detail_csv
            else "4. “明细”工作表列出每个单位的每个数字及其来源单元格，可直接用于数据透视表；它不打印（打印时只印出表头和这一说明）。"
        ),
        "5. 在本工作簿上运行 gktool report 可生成汇总的年度报告；文字说明各栏可按需填写。",
    ]


def _lines(text: str, width: float) -> int:
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, -(-units // int(width)))


class _Sheets:
    """The writer hook: 状态 before the official sheets; 明细 (header only) and the cover note after."""

    def __init__(self, collection: Collection, detail_rows: int, unit: str = "", detail_csv: str | None = None):
        self.c = collection
        self.detail_rows = detail_rows
        self.unit = unit
        self.detail_csv = detail_csv  # the CSV file beside the workbook holding 明细, when it is too long for a sheet

    def __call__(self, writer: _Writer, position: str) -> None:
        if position == "first":
            self.status(writer)
        else:
            self.cover(writer)
            self.detail(writer)
            self.footers(writer)
            writer.wb.set_custom_property(EXTRA_SHEETS_PROPERTY, f"{STATUS_SHEET},{DETAIL_SHEET}", "text")

    def footers(self, writer: _Writer) -> None:
        """Every printed page says whose summary, which year, which sheet and which page it is."""
        who = (self.unit + (f" {self.c.year}年度" if self.c.year else "") + " 汇总").replace("&", "&&")
        for ws in writer.wb.worksheets():
            ws.set_footer(f"&L&10{who}&C&10第 &P 页，共 &N 页&R&10&A")

    def status(self, writer: _Writer) -> None:
        wb = writer.wb
        ws = wb.add_worksheet(STATUS_SHEET)
        head = wb.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "font_name": "宋体",
            }
        )
        cell = wb.add_format({"valign": "top", "font_name": "宋体"})
        wrap = wb.add_format({"valign": "top", "text_wrap": True, "font_name": "宋体"})
        for col, (title, width) in enumerate(STATUS_COLUMNS):
            ws.write_string(0, col, title, head)
            ws.set_column(col, col, width, wrap if title in STATUS_WRAPPED else cell)
        ws.set_row(0, 2 * LINE_POINTS + 3)  # headers such as 纳入汇总 take two lines in their narrow columns
        rows = self.c.rows()
        for r, s in enumerate(rows, start=1):
            path = s.path or ""
            kind = KIND_ZH.get(s.kind or "", Path(path).suffix.lstrip(".").upper() if path else "")
            match = s.match if self.c.roster is not None else ""
            if self.c.roster is not None and s.path is not None and s.roster is None:
                match = "不在名单"
            values = [
                s.name,
                s.unit or "",
                match,
                s.year if s.year is not None else "",
                s.verdict,
                s.errors if s.path else "",
                s.warnings if s.path else "",
                "；".join(s.notes),
                "是" if s.included else "否",
                kind,
                Path(path).name if path else "",
                *(list(s.messages) + ["", "", ""])[:3],
                path,
            ]
            lines = 1
            for col, v in enumerate(values):
                title, width = STATUS_COLUMNS[col]
                if isinstance(v, int):
                    ws.write_number(r, col, v)
                elif v != "":
                    ws.write_string(r, col, v, wrap if title in STATUS_WRAPPED else cell)
                    if title in STATUS_WRAPPED:
                        lines = max(lines, _lines(v, width))
            # Excel and LibreOffice do not grow a row for wrapped text on opening a file: set its height
            ws.set_row(r, min(409, LINE_POINTS * lines + 3))
        last = max(len(rows), 1)
        ws.autofilter(0, 0, last, len(STATUS_COLUMNS) - 1)
        ws.freeze_panes(1, 1)
        for verdict, (bg, fg) in VERDICT_COLOURS.items():
            fmt = wb.add_format({"bg_color": bg, "font_color": fg})
            ws.conditional_format(
                1, 0, last, len(STATUS_COLUMNS) - 1, {"type": "formula", "criteria": f'=$E2="{verdict}"', "format": fmt}
            )
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as the rows need
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        ws.print_area(0, 0, last, len(STATUS_COLUMNS) - 2)  # the full path is for the screen; 文件名 prints
        ws.set_header(f'&C&"宋体,加粗"&12{STATUS_SHEET}（各单位报送情况）')
        ws.activate()  # the workbook opens on who needs chasing

    def cover(self, writer: _Writer) -> None:
        sheet = next(s for s in writer.spec.sheets if s.key == "cover" or s.kind == "form")
        ws = writer.wb.get_worksheet_by_name(sheet.name)
        slots = len(sheet.instructions)
        if slots == 0:
            return
        lines = cover_lines(self.c, self.detail_csv)
        if len(lines) > slots:  # a format with fewer instruction rows: the rest joins the last
            lines = lines[: slots - 1] + ["".join(lines[slots - 1 :])]
        lines += [""] * (slots - len(lines))
        for i, line in enumerate(lines):
            ws.write_string(1 + i, 0, line, writer.f_text)
            ws.set_row(1 + i, min(409, 16 * _lines(line, 24 + 64 + 28) + 2))

    def detail(self, writer: _Writer) -> None:
        wb = writer.wb
        ws = wb.add_worksheet(DETAIL_SHEET)
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "宋体"})
        for col, (title, width) in enumerate(DETAIL_COLUMNS):
            ws.write_string(0, col, title, head)
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        if self.detail_csv:
            ws.write_string(
                1,
                0,
                f"明细共 {self.detail_rows:,} 行，超过 Excel 工作表的行数上限（{EXCEL_ROWS:,} 行），"
                f"已写在同一文件夹中的“{self.detail_csv}”。",
            )
            return
        ws.autofilter(0, 0, max(self.detail_rows, 1), len(DETAIL_COLUMNS) - 1)
        # some 200 rows a unit are data for filters and pivot tables, not for paper: what prints is a
        # note that says so, in a cell apart from the table (a filtered selection can still be printed)
        note = len(DETAIL_COLUMNS) + 1
        ws.set_column(note, note, 70)
        ws.write_string(
            0, note, DETAIL_NOTE.format(rows=self.detail_rows), wb.add_format({"bold": True, "font_name": "宋体"})
        )
        ws.set_landscape()
        ws.set_paper(9)
        ws.print_area(0, note, 0, note)


CONTACT_FIELDS = ("website_name", "website", "contact_office", "address", "postcode", "phone", "email")


def cover_from(report, spec) -> dict[str, str]:
    """The collecting office's contact details (website, address, phone, ...) from one of its own reports."""
    out = {}
    for key in CONTACT_FIELDS:
        if key in spec.field_cells and report is not None:
            v = report.values.get((spec.field_cells[key].sheet, spec.field_cells[key].cell))
            if isinstance(v, str) and v.strip():
                out[key] = v.strip()
    return out


def summary_values(
    collection: Collection, unit: str, cover: dict[str, str] | None = None
) -> dict[tuple[str, str], object]:
    """The input values of the summary workbook: the sums, the unit and year, the contact details given."""
    spec = collection.spec
    values: dict[tuple[str, str], object] = dict(collection.sums())
    for key, text in (cover or {}).items():
        c = spec.field_cells.get(key)
        if c is not None:
            values[(c.sheet, c.cell)] = text
    u, y = spec.field_cells["unit"], spec.field_cells["year"]
    values[(u.sheet, u.cell)] = unit
    if collection.year is not None:
        values[(y.sheet, y.cell)] = int(collection.year)
    return values


def write_summary(
    collection: Collection,
    path: str | Path,
    *,
    unit: str = "各单位汇总",
    force: bool = False,
    cover: dict[str, str] | None = None,
) -> Path:
    """Write the collection's workbook to `path` atomically; the same files give the same bytes."""
    collection.finish()
    path = Path(path)
    readable = sum(s.readable for s in collection.submissions)
    detail_rows = readable * len(collection.keys)
    values = summary_values(collection, unit, cover)
    csv_path = detail_csv_for(collection, path)
    if csv_path is not None:  # both outputs are refused before either is written
        check_target(path, force)
        with atomic_output(csv_path, force) as tmp_csv:
            _write_detail_csv(collection, tmp_csv)
    with tempfile.TemporaryDirectory(prefix="gktool-summary-") as tmp:
        stage = Path(tmp) / "stage.xlsx"
        sheets = _Sheets(collection, detail_rows, unit, csv_path.name if csv_path else None)
        _Writer(collection.spec, values, None, extra_sheets=sheets).write(stage)
        with atomic_output(path, force) as out:
            _assemble(collection, stage, Path(tmp), out, rows=csv_path is None)
    return path


EXCEL_ROWS = 1_048_576  # rows in an Excel (and LibreOffice) worksheet, the header included


def detail_csv_path(path: str | Path) -> Path:
    """Where 明细 goes when it has more rows than a worksheet holds: beside the workbook."""
    p = Path(path)
    return p.with_name(f"{p.stem}（明细）.csv")


def detail_csv_for(collection: Collection, path: str | Path) -> Path | None:
    """The CSV holding 明细 for this collection's summary at `path`, or None when 明细 fits in its sheet."""
    rows = sum(s.readable for s in collection.submissions) * len(collection.keys)
    return detail_csv_path(path) if rows + 1 > EXCEL_ROWS else None


def _csv_text(text: str) -> str:
    """Text a spreadsheet would run as a formula when opening a CSV ("=HYPERLINK(...)" as a file or unit
    name sent in by anyone) is kept as text by a leading apostrophe, as OWASP advises for CSV exports."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _detail_rows(collection: Collection):
    """The 明细 rows as values, in file order: the same rows the sheet holds."""
    subs = {s.index: s for s in collection.submissions}
    keys = collection.keys
    for index, values, places in collection.records():
        s = subs[index]
        name, inc = Path(s.path).name, "是" if s.included else "否"
        for k, v, at in zip(keys, values, places, strict=True):
            yield (
                _csv_text(s.name),
                s.year if s.year is not None else "",
                _csv_text(name),
                inc,
                k.table,
                k.row,
                k.column or "—",
                "填报" if k.input else "合计",
                _csv_text(at),
                "" if v is None else _number(v),
            )


def _write_detail_csv(collection: Collection, path: Path) -> None:
    """明细 as CSV with a byte-order mark, so Excel and WPS open it as UTF-8; streamed, one row at a time."""
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([title for title, _ in DETAIL_COLUMNS])
        w.writerows(_detail_rows(collection))


# ------------------------------------------------------------------ the 明细 rows, streamed
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _xml_text(text: str) -> str:
    text = _CONTROL.sub(" ", text)
    text = _ESCAPED.sub(r"_x005F_\1", text)  # a literal "_x0041_" stays literal in Excel
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


class _Strings:
    """Strings appended to the workbook's shared-string table, numbered after the writer's own."""

    def __init__(self, base: int):
        self.base = base
        self.index: dict[str, int] = {}
        self.refs = 0

    def __call__(self, text: str) -> str:
        self.refs += 1
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = self.base + len(self.index)
        return f'<c t="s"><v>{i}</v></c>'

    def xml(self) -> str:
        out = []
        for text in self.index:
            space = ' xml:space="preserve"' if text != text.strip() else ""
            out.append(f"<si><t{space}>{_xml_text(text)}</t></si>")
        return "".join(out)


def _write_detail_rows(collection: Collection, strings: _Strings, fh) -> int:
    """The 明细 rows after the header, as sheetData XML; returns the last row number.

    Cells carry no "r" address (it is optional; each cell follows the previous one) except after
    a blank, which keeps the sheet part well within the size a reader accepts."""
    subs = {s.index: s for s in collection.submissions}
    keys = collection.keys
    key_cells = [
        strings(k.table) + strings(k.row) + strings(k.column or "—") + strings("填报" if k.input else "合计")
        for k in keys
    ]
    row = 1
    for index, values, places in collection.records():
        s = subs[index]
        unit, name, inc = strings(s.name), strings(Path(s.path).name), strings("是" if s.included else "否")
        year = f"<c><v>{s.year}</v></c>" if s.year is not None else None
        for i, (v, at) in enumerate(zip(values, places, strict=True)):
            row += 1
            third = name if year is not None else name.replace("<c ", f'<c r="C{row}" ', 1)
            value = f"<c><v>{_number(v)}</v></c>" if v is not None else ""
            fh.write(f'<row r="{row}">{unit}{year or ""}{third}{inc}{key_cells[i]}{strings(at)}{value}</row>')
    return row


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    wb = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = dict(re.findall(r'<Relationship Id="(rId\d+)" Type="[^"]*" Target="([^"]+)"', rels))
    out = {}
    for name, rid in re.findall(r'<sheet name="([^"]*)" sheetId="\d+" r:id="(rId\d+)"', wb):
        name = name.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        out[name] = "xl/" + targets[rid].lstrip("/").removeprefix("xl/")
    return out


def _assemble(collection: Collection, stage: Path, tmp: Path, out: Path, rows: bool = True) -> None:
    """Copy the writer's workbook part by part, streaming the 明细 rows and their strings in (unless
    `rows` is false: 明细 is then in the CSV beside the workbook)."""
    with zipfile.ZipFile(stage) as zin:
        detail_part = _sheet_parts(zin)[DETAIL_SHEET]
        sst = zin.read("xl/sharedStrings.xml").decode("utf-8")
        m = re.search(r'count="(\d+)" uniqueCount="(\d+)"', sst)
        strings = _Strings(int(m.group(2)))
        rows_path = tmp / "detail-rows.xml"
        with open(rows_path, "w", encoding="utf-8") as fh:
            last = _write_detail_rows(collection, strings, fh) if rows else 2
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                target = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                target.compress_type = zipfile.ZIP_DEFLATED
                target.external_attr = info.external_attr
                target.create_system = info.create_system
                data = zin.read(info)
                if info.filename == detail_part:
                    text = data.decode("utf-8")
                    ncols = len(DETAIL_COLUMNS)
                    text = re.sub(
                        r'<dimension ref="[^"]*"/>',
                        f'<dimension ref="A1:{chr(64 + ncols)}{max(last, 1)}"/>',
                        text,
                        count=1,
                    )
                    head, _, tail = text.partition("</sheetData>")
                    with zout.open(target, "w") as w, open(rows_path, "rb") as rows:
                        w.write(head.encode("utf-8"))
                        shutil.copyfileobj(rows, w, 1 << 20)
                        w.write(("</sheetData>" + tail).encode("utf-8"))
                elif info.filename == "xl/sharedStrings.xml":
                    total = int(m.group(1)) + strings.refs
                    unique = strings.base + len(strings.index)
                    text = sst[: m.start()] + f'count="{total}" uniqueCount="{unique}"' + sst[m.end() :]
                    head, _, tail = text.rpartition("</sst>")
                    zout.writestr(target, (head + strings.xml() + "</sst>" + tail).encode("utf-8"))
                else:
                    zout.writestr(target, data)


__all__ = [
    "write_summary",
    "detail_csv_path",
    "detail_csv_for",
    "EXCEL_ROWS",
    "cover_from",
    "cover_lines",
    "summary_values",
    "STATUS_SHEET",
    "DETAIL_SHEET",
]
