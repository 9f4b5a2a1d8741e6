"""Pre-fill data for `gktool new --fill`: a JSON file keyed the way people read the form.

    {"封面": {"单位名称": "中宁县", "报告年度": 2023},
     "一、总体情况": {"（一）主动公开": "……"},
     "三、依申请公开": {"D4": 28, "D6": 12}}

Form sheets are keyed by field label, table sheets by cell address. Every value
is checked against its cell's input type before anything is written: a workbook
pre-filled with "无" or -3 in a count cell would only fail later, in the clerk's hands.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .compute import tidy
from .errors import GkError
from .model import FilledReport
from .spec import TEXT_TYPES, InputType, Spec


def _finite(x: int | float) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


def _shown(value) -> str:
    """The value as the user wrote it in the JSON file (short)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def check_value(t: InputType, value, where: str):
    """`value` converted for a cell of type `t`, or GkError naming `where` and the value."""
    if value is None or value == "":
        return None
    if t.key in TEXT_TYPES:
        if isinstance(value, str):
            return value
        return str(value)  # a phone number or post code written as a JSON number
    wrong = f"预填数据中“{where}”的值 {_shown(value)} 不对：这里只能填{t.description}"
    if t.min is not None and t.max is not None:
        wrong += f"（{t.min:g}–{t.max:g}）"
    if not isinstance(value, (int, float)):
        raise GkError(wrong + "，请写成不带引号、不带单位的数字")
    if t.integer and value != int(value):
        raise GkError(wrong)
    if t.min is not None and value < t.min or t.max is not None and value > t.max:
        raise GkError(wrong)
    if t.decimals is not None and round(value, t.decimals) != value:
        raise GkError(wrong)
    return int(value) if t.integer else value


def load_fill(spec: Spec, path: str | Path) -> dict[tuple[str, str], object]:
    """Read a pre-fill JSON file into {(sheet, cell): value}, each value checked against its type."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GkError(f"预填数据文件“{path}”不存在") from None
    except (OSError, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError, ints past 4300 digits
        raise GkError(f"预填数据文件“{path}”无法读取：{exc}") from None
    except RecursionError:
        raise GkError(f"预填数据文件“{path}”无法读取：嵌套层次过深，不是预填数据的格式") from None
    if not isinstance(data, dict):
        raise GkError(f"预填数据文件“{path}”的内容应是一个 JSON 对象")
    values: dict[tuple[str, str], object] = {}
    for sheet_name, entries in data.items():
        try:
            sheet = spec.sheet(sheet_name)
        except KeyError:
            raise GkError(f"预填数据中的工作表“{sheet_name}”不存在") from None
        if not isinstance(entries, dict):
            raise GkError(f"预填数据中“{sheet_name}”的内容应是一个 JSON 对象")
        for key, value in entries.items():
            if sheet.kind == "form":
                field = next((f for f in sheet.fields if f.label == key or f.key == key), None)
                if field is None:
                    raise GkError(f"预填数据中“{sheet_name}”没有名为“{key}”的填报项")
                cell = sheet.field_cell(field.key).cell
            else:
                cell = key.upper()
                c = sheet.spec_cell(cell)
                if c is None or c.kind != "input":
                    raise GkError(f"预填数据中的“{sheet_name}!{key}”不是可填写的单元格")
            if (
                value is not None
                and not isinstance(value, (str, int, float))
                or isinstance(value, bool)
                or isinstance(value, (int, float))
                and not _finite(value)
            ):
                raise GkError(f"预填数据中“{sheet_name}!{key}”的值只能是数字或文字")
            where = f"{sheet_name}!{key}" if sheet.kind == "form" else f"{sheet_name}!{key}（{sheet.describe(cell)}）"
            values[(sheet.name, cell)] = check_value(spec.types[sheet.spec_cell(cell).type], value, where)
    return values


def prefill(spec: Spec, last: FilledReport) -> dict[tuple[str, str], object]:
    """Values a new workbook starts with: the carry-over from last year, unit, website, contact details.

    The narrative is never copied: each year's text is written afresh."""
    values: dict[tuple[str, str], object] = {}
    for tk, lk in spec.cross_year.carry:
        if last.usable(lk):
            values[tk] = tidy(last.number(*lk))
    for key in spec.cross_year.carry_fields:
        c = spec.field_cells.get(key)
        if c is None or c.type != "text":
            continue
        v = last.values.get((c.sheet, c.cell))
        if isinstance(v, str) and v.strip():
            values[(c.sheet, c.cell)] = v.strip()
    unit = spec.field_cells["unit"]
    if last.unit and (unit.sheet, unit.cell) not in values:  # read from a title or file name
        values[(unit.sheet, unit.cell)] = last.unit
    return values
