"""Collecting a province: the summary reads back whatever its size, 明细 past Excel's row limit goes to a CSV,
and the zip-bomb guard still refuses bombs (a large sheet the checks must read is still capped)."""

import csv
import dataclasses
import os

import pytest

from gktool.collect import readable_by_gktool
from gktool.collection import Collection
from gktool.errors import GkError
from gktool.readers.ooxml import MAX_PART_BYTES
from gktool.validate import check_file
from gktool.writers import summary
from gktool.writers.report import write_report
from gktool.writers.summary import DETAIL_COLUMNS, detail_csv_path, write_summary

from .test_hostile import _bounded, _sheet, good, parts, with_parts, write  # noqa: F401  (fixtures)


def _collection(filled_workbook, units: int, prefix: str = "") -> Collection:
    """A collection of `units` units without reading `units` files: one checked workbook, renamed per unit."""
    analysis = check_file(filled_workbook)
    assert analysis.result.ok
    collection = Collection(year=2023)
    for i in range(units):
        name = f"{prefix}单位{i:05d}.xlsx"
        result = dataclasses.replace(analysis.result, file=f"/收到/{name}", unit=f"测试单位{i:05d}")
        collection.add(dataclasses.replace(analysis, result=result))
    return collection


def test_a_summary_with_a_large_detail_sheet_reads_back(filled_workbook, tmp_path):
    """800 units: 明细 is some 38 MB (beyond the 30 MB a part the checks read may have); it is not needed by the
    checks, so validate and report read the summary like any workbook."""
    out = tmp_path / "汇总.xlsx"
    with _collection(filled_workbook, 800) as c:
        write_summary(c, out, unit="某市")
    import zipfile

    with zipfile.ZipFile(out) as z:
        assert max(i.file_size for i in z.infolist()) > MAX_PART_BYTES  # the case the old guard refused
    analysis = check_file(out)
    assert not analysis.result.unreadable, analysis.result.findings
    assert {f.rule for f in analysis.result.findings if f.severity == "error"} <= {"K1"}  # no contact details
    d4 = analysis.report.number("三、依申请公开", "D4")
    assert d4 == 800 * check_file(filled_workbook).report.number("三、依申请公开", "D4")
    assert readable_by_gktool(out)
    # and `gktool report` accepts it once the cover has its contact details (draft: K1 is the only error)
    write_report(check_file(out, strict=True), tmp_path / "汇总报告.docx", draft=True)


def test_a_large_sheet_the_checks_read_is_still_refused(tmp_path, parts):  # noqa: F811
    """The same size in a sheet that is read (表三) at a ratio under the bound: the capped read refuses it,
    in bounded time and memory."""
    # ~37 MB of ordinary rows that compress ~6x
    filler = "".join(f'<row r="{r}"><c r="A{r}"><v>{r * 7919 % 100003}</v></c></row>' for r in range(1, 700001))
    filler = filler.encode()
    sheet = parts[_sheet(parts, 4)].replace(b"<sheetData>", b"<sheetData>" + filler, 1)
    path = write(tmp_path, "big.xlsx", with_parts(parts, {_sheet(parts, 4): sheet}))
    assert path.stat().st_size < 20 * 1024 * 1024
    out = _bounded(path)
    assert out["unreadable"] and "压缩炸弹" in out["message"]


def test_detail_beyond_the_row_limit_goes_to_a_csv(filled_workbook, tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "EXCEL_ROWS", 300)  # 3 units x ~200 values do not fit in 300 rows
    out = tmp_path / "汇总.xlsx"
    with _collection(filled_workbook, 3, prefix="=HYPERLINK(1)") as c:  # a file name a unit could send
        write_summary(c, out, unit="某市")
        keys = len(c.keys)
    target = detail_csv_path(out)
    assert target.name == "汇总（明细）.csv"
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel and WPS open it as UTF-8
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [title for title, _ in DETAIL_COLUMNS]
    assert len(rows) == 1 + 3 * keys
    assert {r[2] for r in rows[1:]} == {f"'=HYPERLINK(1)单位{i:05d}.xlsx" for i in range(3)}  # text, not a formula
    d4 = [r for r in rows[1:] if r[5].startswith("一、本年新收") and r[6] == "自然人" and r[7] == "填报"]
    total = check_file(out).report.number("三、依申请公开", "D4")
    assert sum(float(r[9]) for r in d4) == total  # the CSV adds up to the summed table
    import openpyxl

    wb = openpyxl.load_workbook(out, read_only=True)
    cover = " ".join(str(c.value) for row in wb["封面"].iter_rows() for c in row if c.value)
    assert target.name in cover
    note = [r for r in wb["明细"].iter_rows(values_only=True)]
    assert len(note) == 2 and target.name in note[1][0]
    with pytest.raises(GkError, match="已存在"):  # neither file is replaced without --force
        with _collection(filled_workbook, 3) as c:
            write_summary(c, tmp_path / "汇总.xlsx", unit="某市")
    os.unlink(out)
    with pytest.raises(GkError, match="已存在"):
        with _collection(filled_workbook, 3) as c:
            write_summary(c, out, unit="某市")
