"""Measure `gktool extract` on published reports against hand-checked values: cell accuracy.

    python bench/extract_accuracy.py [--real DIR] [--no-real] [--no-soffice] [--seeds 3] [--show 20] [--strict]
                                     [--only docx,html]

The gold set:
  - the real published reports in DIR (default /work/shared/reference/real-reports): every
    `NN-name.expected.json` whose file sits beside it (values checked by hand; never copied
    into the project);
  - generated fixtures in every shape the reference describes (tests/published_fixtures.py),
    with the figures they were built from;
  - round trips: `gktool report` output for a workbook, and that .docx converted by LibreOffice
    (expected: `gktool extract` of the workbook itself).

Each expected cell is counted as
  exact   the value read equals the expected value (or both are "nothing": a blank or "/" cell),
  unread  nothing read where a number was expected (value null, or the cell missing),
  wrong   a different number: "flagged" when a finding names the cell, else SILENT (the one
          outcome that must never happen).
Goal (issue 10): >= 99.5 % exact overall and no silent wrong cell. `--strict` exits 1 otherwise.
Extraction runs one `gktool extract` per batch, as a user would; timings are per file.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_REAL = Path("/work/shared/reference/real-reports")
# This checkout's gktool (run from ROOT), whatever `gktool` another install puts on PATH.
GKTOOL = [sys.executable, "-c", "import sys; from gktool.cli import main; sys.exit(main())"]
Key = tuple[str, str, str]  # (table, official row label, official column label)


@dataclass
class Case:
    name: str  # shown in the table
    path: Path
    expected: dict[Key, float | None]  # None: the cell prints nothing (blank, "/")
    group: str = "fixture"  # "real" | "fixture" | "roundtrip"


@dataclass
class Score:
    cells: int = 0
    exact: int = 0
    unread: int = 0
    flagged: int = 0
    silent: int = 0
    extra: int = 0
    details: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ running extract
def extract(paths: list[Path], jobs: int = 2) -> dict[str, dict]:
    """`gktool extract` over the files, one JSON object per file, keyed by the file as given."""
    if not paths:
        return {}
    proc = subprocess.run(
        GKTOOL + ["extract", "--jobs", str(jobs)] + [str(p) for p in paths], capture_output=True, text=True, cwd=ROOT
    )
    out = {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            obj = json.loads(line)
            out[obj.get("file", "")] = obj
    for p in paths:
        if str(p) not in out:
            out[str(p)] = {
                "file": str(p),
                "values": [],
                "findings": [],
                "error": (proc.stderr.strip().splitlines() or ["(no output)"])[-1],
            }
    return out


def values_of(obj: dict) -> dict[Key, dict]:
    return {(v["table"], v["row"], v["column"]): v for v in obj.get("values", [])}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def score(case: Case, obj: dict) -> Score:
    s = Score()
    got = values_of(obj)
    named = set()
    for f in obj.get("findings", []):
        named.update(f.get("cells") or [])
        if f.get("at"):
            named.add(f["at"])
    if "error" in obj:
        s.details.append(f"  {case.name}: 未能读取：{obj['error']}")
    for key, want in case.expected.items():
        s.cells += 1
        v = got.get(key)
        value = None if v is None else v.get("value")
        if _same(value, want):
            s.exact += 1
        elif value is None:
            s.unread += 1
            s.details.append(
                f"  {case.name}: 未读 {'/'.join(key)} 应为 {want}"
                + (f"（印为 {v.get('printed')!r}，{v.get('at')}）" if v else "（输出中没有）")
            )
        else:
            at = v.get("at", "")
            flagged = at in named or any(at and at in (f.get("message") or "") for f in obj.get("findings", []))
            if flagged:
                s.flagged += 1
            else:
                s.silent += 1
            s.details.append(
                f"  {case.name}: {'错（有提示）' if flagged else '错（无提示！）'} {'/'.join(key)} "
                f"读为 {value} 应为 {want}（印为 {v.get('printed')!r}，{at}）"
            )
    s.extra = len(set(got) - set(case.expected))
    return s


# ------------------------------------------------------------------ gold set: real published files
def real_cases(folder: Path) -> list[Case]:
    cases = []
    if not folder.is_dir():
        return cases
    for exp in sorted(folder.glob("*.expected.json")):
        data = json.loads(exp.read_text(encoding="utf-8"))
        path = folder / data.get("file", exp.name.replace(".expected.json", ""))
        if not path.exists():
            continue
        expected = {(v["table"], v["row"], v["column"]): v["value"] for v in data["values"]}
        cases.append(Case(path.name, path, expected, "real"))
    return cases


# ------------------------------------------------------------------ gold set: generated .html and .docx
def html_docx_cases(tmp: Path, args) -> list[Case]:
    from tests import published_fixtures as fx

    cases = []
    html_shapes = {
        "utf-8": dict(),
        "gbk": dict(encoding="gbk"),
        "gb18030-undeclared": dict(encoding="gb18030", declare=None),
        "utf8-declared-gb2312": dict(declared_as="gb2312"),
        "word-export-gbk": dict(word=True, encoding="gbk"),
        "split-tables": dict(split=True),
        "nbsp-font": dict(pad=True),
        "layout-table": dict(layout_table=True),
    }
    docx_shapes = {
        "typed": dict(),
        "styled": dict(styled=True),
        "nested": dict(nested=True),
        "split": dict(split=True),
        "variants": dict(
            variants={
                "numbering": "、",
                "t2_norm": "规范性文件",
                "t3_heads": ["自然人", "商业|企业", "科研¶机构", "社会公益¶组织", "法律服务¶机构", "其他", "总 计"],
            }
        ),
    }
    hard = {"relabel": fx.HARD_LABELS, "halfwidth": True, "numbering": "、"}
    html_shapes["hard-labels"] = dict(variants=hard, word=True)
    docx_shapes["hard-labels"] = dict(variants=hard)

    def hard_cells(rep):
        """Cells as real reports print them: a note inside a number, "—" and blank for nothing."""
        note = ("二", "行政规范性文件", "本年制发件数")
        rep.printed[note] = f"{int(rep.values[note])}（其中修订{int(rep.values[note]) // 2}件）"
        for key in [k for k in rep.values if k[0] == "三" and k[2] == "科研机构"][:6]:
            if rep.values[key] == 0:
                rep.printed[key] = "—"

    for seed in range(args.seeds):
        for name, kw in html_shapes.items():
            rep = fx.consistent_report(seed * 100 + len(name), big=seed % 2 == 1)
            if seed == 2:  # blanks and "/" as real reports print them in 法人 columns
                for key in list(rep.values)[40:60:3]:
                    rep.printed[key] = "" if key[2] != "其他" else "/"
            if name == "hard-labels":
                hard_cells(rep)
            path = fx.html_report(tmp / f"{seed}-{name}.html", rep, **kw)
            cases.append(Case(path.name, path, fx.expected(rep)))
        for name, kw in docx_shapes.items():
            rep = fx.consistent_report(seed * 100 + 50 + len(name), big=seed % 2 == 0)
            if name == "hard-labels":
                hard_cells(rep)
            path = fx.docx_report(tmp / f"{seed}-{name}.docx", rep, **kw)
            cases.append(Case(path.name, path, fx.expected(rep)))
    return cases


# ------------------------------------------------------------------ gold set: round trips of `gktool report`
def roundtrip_cases(tmp: Path, soffice: bool) -> list[Case]:
    """A workbook, its `gktool report` .docx, and that .docx as HTML by LibreOffice: same values."""
    example = ROOT / "examples" / "zhongning-2023.json"
    book = tmp / "rt.xlsx"
    report = tmp / "rt-report.docx"
    subprocess.run(GKTOOL + ["new", "-o", str(book), "--fill", str(example)], check=True, capture_output=True, cwd=ROOT)
    subprocess.run(GKTOOL + ["report", str(book), "-o", str(report)], check=True, capture_output=True, cwd=ROOT)
    # an empty workbook cell is printed "0" by the report (gktool's own workbook reads it as null)
    truth = {k: 0 if v["value"] is None else v["value"] for k, v in values_of(extract([book])[str(book)]).items()}
    cases = [Case("report.docx", report, truth, "roundtrip")]
    if soffice and shutil.which("soffice"):
        out = tmp / "lo"
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "html", "--outdir", str(out), str(report)],
            capture_output=True,
            timeout=180,
        )
        subprocess.run(
            [
                "soffice",
                "--headless",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(tmp / "lo-docx"),
                str(report),
            ],
            capture_output=True,
            timeout=180,
        )
        html = out / "rt-report.html"
        if html.exists():
            cases.append(Case("report.docx→LibreOffice.html", html, truth, "roundtrip"))
        resaved = tmp / "lo-docx" / "rt-report.docx"
        if resaved.exists():
            cases.append(Case("report.docx→LibreOffice.docx", resaved, truth, "roundtrip"))
    return cases


# ------------------------------------------------------------------ gold set: PDF (PDF reader's section)
# The PDF helper adds its generated PDF cases here, as a function (tmp, args) -> list[Case]
# (args.no_soffice says whether LibreOffice may be used), and lists it in CASE_SOURCES below. Real PDFs come in through real_cases() already.


CASE_SOURCES = [html_docx_cases]


# ------------------------------------------------------------------ report
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", type=Path, default=DEFAULT_REAL, help="folder of real reports with *.expected.json")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--no-soffice", action="store_true", help="skip the LibreOffice round trip")
    ap.add_argument("--seeds", type=int, default=3, help="rounds of generated fixtures")
    ap.add_argument("--show", type=int, default=30, help="how many wrong/unread cells to list")
    ap.add_argument("--strict", action="store_true", help="exit 1 below 99.5 %% or on any silent wrong cell")
    ap.add_argument("--only", default="", help="file kinds to measure, e.g. docx,html (default: all)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gk-acc-") as tmpdir:
        tmp = Path(tmpdir)
        cases = [] if args.no_real else real_cases(args.real)
        for source in CASE_SOURCES:
            cases += source(tmp, args)
        cases += roundtrip_cases(tmp, not args.no_soffice)
        if args.only:
            kinds = {k.strip().lstrip(".").lower() for k in args.only.split(",")}
            cases = [c for c in cases if c.path.suffix.lstrip(".").lower() in kinds]
        t = time.perf_counter()
        results = extract([c.path for c in cases])
        seconds = time.perf_counter() - t

        total = Score()
        print(f"{'文件':<40} {'单元格':>6} {'正确':>6} {'未读':>5} {'错有提示':>8} {'错无提示':>8} {'准确率':>8}")
        for case in cases:
            s = score(case, results[str(case.path)])
            for f in ("cells", "exact", "unread", "flagged", "silent", "extra"):
                setattr(total, f, getattr(total, f) + getattr(s, f))
            total.details += s.details
            pct = 100 * s.exact / s.cells if s.cells else 0.0
            print(
                f"{case.group[:4]}:{case.name:<35} {s.cells:>6} {s.exact:>6} {s.unread:>5} {s.flagged:>8} "
                f"{s.silent:>8} {pct:>7.2f}%"
            )
        kinds: dict[str, Score] = {}
        for case in cases:
            s = score(case, results[str(case.path)])
            k = kinds.setdefault(case.path.suffix.lstrip(".").lower(), Score())
            for f in ("cells", "exact", "unread", "flagged", "silent"):
                setattr(k, f, getattr(k, f) + getattr(s, f))
        for kind, k in sorted(kinds.items()):
            print(
                f"{'小计 .' + kind:<40} {k.cells:>6} {k.exact:>6} {k.unread:>5} {k.flagged:>8} {k.silent:>8} "
                f"{100 * k.exact / max(k.cells, 1):>7.2f}%"
            )
        pct = 100 * total.exact / total.cells if total.cells else 0.0
        print(
            f"{'合计':<40} {total.cells:>6} {total.exact:>6} {total.unread:>5} {total.flagged:>8} "
            f"{total.silent:>8} {pct:>7.2f}%"
        )
        print(
            f"文件 {len(cases)} 个，extract 共 {seconds:.2f} 秒（含解释器启动），平均每个 {seconds / max(len(cases), 1):.3f} 秒"
        )
        if total.details:
            print("\n未读或读错的单元格：")
            for line in total.details[: args.show]:
                print(line)
            if len(total.details) > args.show:
                print(f"  ……另有 {len(total.details) - args.show} 处")
        ok = pct >= 99.5 and total.silent == 0
        print("\n目标（≥99.5% 且无静默错误）：" + ("达到" if ok else "未达到"))
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
