"""Pre-fill data for `gktool new --fill`: a JSON file keyed the way people read the form.

    {"封面": {"单位名称": "中宁县", "报告年度": 2023},
     "一、总体情况": {"（一）主动公开": "……"},
     "三、依申请公开": {"D4": 28, "D6": 12}}

Form sheets are keyed by field label, table sheets by cell address.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import GkError
from .spec import Spec


def _finite(x: int | float) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:      # an int too large for a float
        return False


def load_fill(spec: Spec, path: str | Path) -> dict[tuple[str, str], object]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GkError(f"预填数据文件“{path}”不存在") from None
    except (OSError, ValueError) as exc:     # JSONDecodeError, UnicodeDecodeError, ints past 4300 digits
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
            if value is not None and not isinstance(value, (str, int, float)) or isinstance(value, bool) \
                    or isinstance(value, (int, float)) and not _finite(value):
                raise GkError(f"预填数据中“{sheet_name}!{key}”的值只能是数字或文字")
            values[(sheet.name, cell)] = value
    return values
