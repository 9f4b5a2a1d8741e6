"""Accuracy and speed of reading published PDF reports (`gktool extract` on .pdf).

Gold set: the real PDFs that have a hand-checked NAME.expected.json beside them (by default
../shared/reference/real-reports next to the repository; give another folder with --real), plus
the Word-exported fixtures of tests/pdf_fixtures.py (made with python-docx, turned into PDF by
LibreOffice headless), whose figures are known by construction.

For every expected value cell: right (same number, or both empty), wrong (a different number: the
thing that must never happen), unread (value null where a number was printed: reported, not guessed).
Speed: a 10-page Word-exported report, read_pdf alone and the whole extract, median of several runs.

    python bench/extract_accuracy_pdf.py [--real DIR] [--no-fixtures] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gktool.extract import extract_record  # noqa: E402
from gktool.readers.pdf import read_pdf  # noqa: E402
from gktool.spec import load_spec  # noqa: E402
from gktool.validate import check_file  # noqa: E402


def compare(expected: list[dict], record: dict) -> dict:
    """Cell-by-cell verdict of one extract record against expected values."""
    got = {(v["table"], v["row"], v["column"]): v for v in record.get("values", [])}
    # missing: the value is not in the output at all (its table was not found): unread as well
    out = {"cells": 0, "right": 0, "wrong": [], "unread": [], "missing": []}
    for e in expected:
        key = (e["table"], e["row"], e["column"])
        out["cells"] += 1
        g = got.get(key)
        if g is None:
            out["missing"].append(key)
        elif g["value"] is None and e["value"] is None:
            out["right"] += 1
        elif g["value"] is None:
            out["unread"].append((key, g.get("printed"), g.get("at")))
        elif e["value"] is not None and abs(float(g["value"]) - float(e["value"])) < 1e-9:
            out["right"] += 1
        else:
            out["wrong"].append((key, e["value"], g["value"], g.get("at")))
    return out


def real_cases(folder: Path) -> list[tuple[str, Path, list[dict]]]:
    cases = []
    for pdf in sorted(folder.glob("*.pdf")):
        exp = pdf.parent / (pdf.stem + ".expected.json")
        if exp.exists():
            cases.append((pdf.name, pdf, json.loads(exp.read_text(encoding="utf-8"))["values"]))
    return cases


def fixture_cases(spec, out: Path, long_report: bool = True):
    from tests.helpers import soffice_convert
    from tests.pdf_fixtures import SHAPES, Shape, build_docx, expected_values

    shapes = list(SHAPES)
    if long_report:
        shapes.append(Shape("ten-pages", paragraphs_before=35, seed=11))
    docs = [build_docx(spec, s, out / f"{s.name}.docx") for s in shapes]
    pdfs = soffice_convert(docs, out / "pdf", to="pdf")
    # a fixture whose numbers are printed run together is there to be refused: marked with "*"
    return [
        (f"fixture:{s.name}" + ("*" if s.touching else ""), p, expected_values(spec, s))
        for s, p in zip(shapes, pdfs, strict=True)
    ]


def pages_of(path: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def timed(func, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is what a shared, busy machine does not inflate)."""
    func()  # warm: imports and caches
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "reference" / "real-reports")
    ap.add_argument("--no-fixtures", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    spec = load_spec()
    cases = real_cases(args.real) if args.real.is_dir() else []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_fixtures:
            cases += fixture_cases(spec, Path(tmp))
        total = {"cells": 0, "right": 0, "wrong": 0, "unread": 0, "missing": 0}
        legible = dict(total)
        print(
            f"{'file':40} {'pages':>5} {'cells':>6} {'right':>6} {'wrong':>6} {'unread':>6} {'missing':>7} "
            f"{'acc %':>7} {'read s (cpu)':>14} {'extract s (cpu)':>16}"
        )
        for name, path, expected in cases:
            record = extract_record(check_file(path))
            v = compare(expected, record)
            read_s = timed(lambda p=path: read_pdf(p), args.runs)
            extract_s = timed(lambda p=path: check_file(p), args.runs)
            for k in total:
                n = v[k] if k in ("cells", "right") else len(v[k])
                total[k] += n
                if not name.endswith("*"):
                    legible[k] += n
            acc = 100.0 * v["right"] / max(v["cells"], 1)
            print(
                f"{name:40} {pages_of(path):5} {v['cells']:6} {v['right']:6} {len(v['wrong']):6} "
                f"{len(v['unread']):6} {len(v['missing']):7} {acc:7.2f} {read_s[0]:6.3f} ({read_s[1]:.3f}) "
                f"{extract_s[0]:7.3f} ({extract_s[1]:.3f})"
            )
            for key, want, got, at in v["wrong"]:
                print(f"    WRONG {key}: expected {want}, extracted {got} at {at}")
            for key, printed, at in v["unread"]:
                print(f"    unread {key}: printed {printed!r} at {at}")
            for key in v["missing"]:
                print(f"    missing {key}")
        for label, t in (("overall", total), ("overall without * (legible files)", legible)):
            acc = 100.0 * t["right"] / max(t["cells"], 1)
            print(
                f"{label:40} {'':5} {t['cells']:6} {t['right']:6} {t['wrong']:6} {t['unread']:6} "
                f"{t['missing']:7} {acc:7.2f}"
            )
        print("* printed with numbers run together: refusal expected (unread/missing), never a wrong number")
    return 1 if total["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
