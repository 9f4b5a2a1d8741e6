"""Accuracy and speed of reading published PDF reports (`gktool extract` on .pdf).

Gold set: the real PDFs that have a hand-checked NAME.expected.json beside them (by default
../shared/reference/real-reports next to the repository; give another folder with --real), plus
the Word-exported fixtures of tests/pdf_fixtures.py (made with python-docx, turned into PDF by
LibreOffice headless), whose figures are known by construction.

For every expected value cell: right (same number, or both empty), wrong (a different number: the
thing that must never happen), unread (value null where a number was printed: reported, not guessed).
Variants (--variants, made here, never committed; tests/pdf_variants.py makes them): the generated web
pages and the real saved page printed by headless Chromium at several paper sizes and zooms (with its
date/title/URL/page-number margins), the same pages converted by LibreOffice, Word fixtures and gktool's own
report exported by LibreOffice at several paper sizes and margins, and copies with pages stored turned
(/Rotate 90/180/270, content drawn to match) or cropped and of mixed sizes. Per variant: % cells exact,
wrong numbers, and R1–R4/T1 errors invented on a report that balances (it must have none).

Speed: a 10-page Word-exported report, read_pdf alone and the whole extract, median of several runs.

    python bench/extract_accuracy_pdf.py [--real DIR] [--no-fixtures] [--variants] [--runs 5]
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


def _listed(values: dict) -> list[dict]:
    return [{"table": t, "row": r, "column": c, "value": v} for (t, r, c), v in values.items()]


def variant_cases(spec, out: Path, real: Path | None, quick: bool = False):
    """The PDFs people make of a report, generated: (name, pdf, expected values)."""
    from tests import pdf_variants as pv
    from tests import published_fixtures as fx
    from tests.helpers import soffice_convert
    from tests.pdf_fixtures import SHAPES, build_docx, expected_values

    out.mkdir(parents=True, exist_ok=True)
    pages = []  # (name, html, expected)
    html_shapes = {"plain": {}, "word-gbk": dict(word=True, encoding="gbk"), "split": dict(split=True)}
    for n, (name, kw) in enumerate(html_shapes.items()):
        rep = fx.consistent_report(700 + n, big=n == 1)
        pages.append((f"html-{name}", fx.html_report(out / f"html-{name}.html", rep, **kw), _listed(fx.expected(rep))))
    if real is not None:
        for html in sorted(real.glob("*.html")):
            exp = html.parent / (html.stem + ".expected.json")
            if exp.exists():
                pages.append((html.stem, html, json.loads(exp.read_text(encoding="utf-8"))["values"]))
    prints = pv.PRINTS[:3] if quick else pv.PRINTS
    cases = []
    if pv.chromium_available():
        for name, html, expected in pages:
            for pname, css, zoom in prints:
                pdf = out / f"{name}.chromium-{pname}.pdf"
                if not pdf.exists():  # a --keep folder is reused: printing is the slow part
                    pv.chromium_print(html, pdf, css, zoom)
                cases.append((f"{name} chromium {pname}", pdf, expected))
    lo = soffice_convert([h for _, h, _ in pages], out / "lo-html", to="pdf")
    cases += [(f"{name} LibreOffice", pdf, exp) for (name, _, exp), pdf in zip(pages, lo, strict=True) if pdf.exists()]
    # Word files at several paper sizes and margins, exported by LibreOffice
    docs = []
    for shape in [s for s in SHAPES if s.borders][: 2 if quick else 5]:
        # "~": blanks printed where the figures have numbers, so the sums do not hold: R1–R4 are right there
        name = f"docx-{shape.name}" + ("~" if shape.blank_cells or shape.slash_cells else "")
        docs.append((name, build_docx(spec, shape, out / f"d-{shape.name}.docx"), expected_values(spec, shape)))
    rep = fx.consistent_report(800)
    docs.append(("docx-published", fx.docx_report(out / "d-published.docx", rep), _listed(fx.expected(rep))))
    docs.append(own_report(out))
    setups = [("A4", 210, 297, 25), ("A5", 148, 210, 12), ("letter-landscape", 279, 216, 15), ("B5", 176, 250, 30)]
    made = []
    for name, doc, expected in docs:
        for sname, w, h, m in setups[: 2 if quick else 4]:
            made.append(
                (f"{name} {sname}", pv.docx_page_setup(doc, out / f"{doc.stem}-{sname}.docx", w, h, m), expected)
            )
    pdfs = soffice_convert([d for _, d, _ in made], out / "lo-docx", to="pdf")
    cases += [(f"{name} LibreOffice", pdf, exp) for (name, _, exp), pdf in zip(made, pdfs, strict=True)]
    # turned and cropped copies of some of the above
    base = [c for c in cases if c[0].endswith((" chromium a4", "docx-repeat-header A4 LibreOffice"))]
    for name, pdf, expected in base:
        for angle in (90, 180, 270):
            turned = pv.rotated_copy(pdf, out / f"{pdf.stem}.rot{angle}.pdf", angle)
            cases.append((f"{name} /Rotate {angle}", turned, expected))
        turned = pv.rotated_copy(pdf, out / f"{pdf.stem}.rot-odd.pdf", 90, pages={1, 3})
        cases.append((f"{name} /Rotate 90 pages 2,4", turned, expected))
        cropped = pv.cropped_copy(pdf, out / f"{pdf.stem}.crop.pdf", grow_every_other=50)
        cases.append((f"{name} CropBox+mixed sizes", cropped, expected))
    return cases


def own_report(out: Path):
    """gktool's own Word report of the example workbook, with the values the workbook holds."""
    import subprocess

    gk = [sys.executable, "-c", "import sys; from gktool.cli import main; sys.exit(main())"]
    book, report = out / "own.xlsx", out / "own-report.docx"
    book.unlink(missing_ok=True)  # `gktool new` and `report` never overwrite
    report.unlink(missing_ok=True)
    example = ROOT / "examples" / "zhongning-2023.json"
    subprocess.run(gk + ["new", "-o", str(book), "--fill", str(example)], check=True, capture_output=True)
    subprocess.run(gk + ["report", str(book), "-o", str(report)], check=True, capture_output=True)
    rec = extract_record(check_file(book))
    # an empty workbook cell is printed "0" by the report
    values = {(v["table"], v["row"], v["column"]): 0 if v["value"] is None else v["value"] for v in rec["values"]}
    return "docx-gktool-report", report, _listed(values)


INVENTED = {"R1", "R2", "R3", "R4", "T1"}


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
    ap.add_argument("--variants", action="store_true", help="also the generated browser/office/rotated variants")
    ap.add_argument("--quick", action="store_true", help="fewer variants")
    ap.add_argument("--keep", type=Path, help="write the variants into this folder (to look at them)")
    args = ap.parse_args()
    spec = load_spec()
    cases = real_cases(args.real) if args.real.is_dir() else []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_fixtures:
            cases += fixture_cases(spec, Path(tmp))
        if args.variants:
            cases += variant_cases(
                spec, args.keep or Path(tmp) / "variants", args.real if args.real.is_dir() else None, args.quick
            )
        total = {"cells": 0, "right": 0, "wrong": 0, "unread": 0, "missing": 0}
        legible = dict(total)
        print(
            f"{'file':40} {'pages':>5} {'cells':>6} {'right':>6} {'wrong':>6} {'unread':>6} {'missing':>7} "
            f"{'acc %':>7} {'invent':>6} {'P3':>4} {'read s (cpu)':>14} {'extract s (cpu)':>16}"
        )
        worst = 100.0
        invented_total = 0
        for name, path, expected in cases:
            analysis = check_file(path)
            record = extract_record(analysis)
            v = compare(expected, record)
            # errors of the balance rules or "table missing" on a report that balances: invented by the reader
            unbalanced = name.endswith("*") or "~" in name or name == "fixture:blanks"
            invented = [
                f for f in analysis.result.findings if f.severity == "error" and f.rule in INVENTED and not unbalanced
            ]
            p3 = sum(f.rule == "P3" for f in analysis.result.findings)
            invented_total += len(invented)
            if args.variants and not (name.startswith("fixture:ten") or name.startswith("06-")):
                read_s = extract_s = (0.0, 0.0)  # speed is measured on the 10-page report and the real PDFs
            else:
                read_s = timed(lambda p=path: read_pdf(p), args.runs)
                extract_s = timed(lambda p=path: check_file(p), args.runs)
            for k in total:
                n = v[k] if k in ("cells", "right") else len(v[k])
                total[k] += n
                if not name.endswith("*"):
                    legible[k] += n
            acc = 100.0 * v["right"] / max(v["cells"], 1)
            if not name.endswith("*"):
                worst = min(worst, acc)
            print(
                f"{name:40} {pages_of(path):5} {v['cells']:6} {v['right']:6} {len(v['wrong']):6} "
                f"{len(v['unread']):6} {len(v['missing']):7} {acc:7.2f} {len(invented):6} {p3:4} "
                f"{read_s[0]:6.3f} ({read_s[1]:.3f}) {extract_s[0]:7.3f} ({extract_s[1]:.3f})"
            )
            for f in invented:
                print(f"    INVENTED {f.rule} {f.sheet} {f.cells}: {f.message[:80]}")
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
        print(f"lowest % exact of a legible file: {worst:.2f}; invented R1–R4/T1 errors: {invented_total}")
        print("* printed with numbers run together: refusal expected (unread/missing), never a wrong number")
        print("~ blanks where the figures have numbers: R1–R4 errors are right, not counted as invented")
        print("P3: unread cells gktool says it could not read (cut by the page edge, a row it could not place)")
    return 1 if total["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
