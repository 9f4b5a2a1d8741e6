"""Write examples/各单位/: the 2023 workbooks of three departments of 中宁县, one of them with an error.

They are what the README's `gktool collect` example sums up. Run from the repository's top folder:

    python examples/make_units.py            # or: python examples/make_units.py 另一个文件夹

gktool writes the same bytes every time, so running it again leaves the shipped files unchanged
(tests/test_clerk.py checks that they are what this script makes).
"""

from __future__ import annotations

import sys
from pathlib import Path

from gktool.spec import load_spec
from gktool.writers.workbook import new_workbook

FOLDER = Path(__file__).resolve().parent / "各单位"
B = "三、依申请公开"

# unit: (表三 inputs of the 自然人 column, 表二's 规范性文件 made/repealed/in force, a note); the third
# unit's 结转下年度 is one too many: new 5 + carried 0 ≠ done 4 + carried over 2 (R1 fails in 表三)
UNITS = {
    "中宁县发展和改革局": ({"D4": 6, "D6": 3, "D7": 1, "D16": 1, "D28": 1}, (1, 0, 12), "0955—5021101"),
    "中宁县教育局": ({"D4": 3, "D6": 2, "D19": 1}, (0, 2, 9), "0955—5021202"),
    "中宁县民政局": ({"D4": 5, "D6": 3, "D16": 1, "D28": 2}, (2, 1, 15), "0955—5021303"),
}


def unit_values(spec, unit: str, requests: dict, documents: tuple, phone: str) -> dict:
    """Everything one department fills in: cover, a short narrative without figures, the three tables."""
    fields = {
        "unit": unit,
        "year": 2023,
        "website_name": "中宁县人民政府网站",
        "website": "http://www.znzf.gov.cn",
        "contact_office": unit,
        "address": "中宁县行政中心",
        "postcode": "755100",
        "phone": phone,
        "overview": f"本年度，{unit}认真贯彻落实《中华人民共和国政府信息公开条例》，按照全县政务公开工作要点，"
        "做好主动公开、依申请公开和政策解读工作。",
        "problems": "政策解读形式比较单一，个别信息发布不够及时；下一步将加强培训，完善发布前审核。",
        "fee_count": 0,
        "fee_amount": 0,
    }
    values = {(spec.field_cells[k].sheet, spec.field_cells[k].cell): v for k, v in fields.items()}
    values.update({("二、主动公开", c): n for c, n in zip(("B4", "C4", "D4"), documents, strict=True)})
    for cell in ("E4", "F4", "G4", "H4", "I4"):  # only 自然人 applied: the other applicants' row is 0
        values[(B, cell)] = 0
    values.update({(B, cell): n for cell, n in requests.items()})
    return values


def main(folder: Path = FOLDER) -> list[Path]:
    """(Re)write every workbook of the folder; returns their paths."""
    spec = load_spec()
    folder.mkdir(exist_ok=True)
    out = []
    for unit, (requests, documents, phone) in UNITS.items():
        path = folder / f"{unit}2023年政府信息公开工作年度报告.xlsx"
        out.append(new_workbook(spec, path, values=unit_values(spec, unit, requests, documents, phone), force=True))
        print(f"已生成：{path}", file=sys.stderr)
    return out


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
