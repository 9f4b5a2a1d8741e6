"""Benchmark `gktool validate` against openpyxl baselines, measured in the same run.

    python bench/bench_validate.py [--files 200] [--repeat 5]

Reports wall-clock medians of whole commands (interpreter start included) and ratios:
  batch:  one `gktool validate` over N filled workbooks
          vs a Python loop that only loads each file with openpyxl twice (formulas, data_only)
  single: `gktool validate F` vs `python -c "import openpyxl; openpyxl.load_workbook(F)"`, the two run in turn
          (goal: at most 0.6x). gktool's bytecode is compiled first, as pip compiles openpyxl's when it installs
          it: an editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile gktool on every run
  foreign: `gktool validate` over N hand-made workbooks (tables found by labels) vs over N gktool workbooks
           (goal: at most 3x)
  extract: `gktool extract` over the N gktool workbooks vs `gktool validate` over them (goal: no slower)
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gktool.filldata import load_fill
from gktool.spec import load_spec
from gktool.writers.workbook import new_workbook

ROOT = Path(__file__).resolve().parent.parent
GKTOOL = [sys.executable, "-m", "gktool.cli"] if not shutil.which("gktool") else [shutil.which("gktool")]


def make_workbooks(folder: Path, n: int) -> list[Path]:
    spec = load_spec()
    base = load_fill(spec, ROOT / "examples" / "zhongning-2023.json")
    rng = random.Random(1)
    paths = []
    for i in range(n):
        values = dict(base)
        unit = spec.field_cells["unit"]
        values[(unit.sheet, unit.cell)] = f"测试单位{i:03d}"
        extra = rng.randint(0, 30)  # keep 表三 balanced: more resolved, more received
        values[("三、依申请公开", "D6")] = 12 + extra
        values[("三、依申请公开", "D4")] = 28 + extra
        values[("二、主动公开", "B7")] = rng.randint(0, 200000)
        paths.append(new_workbook(spec, folder / f"unit{i:03d}.xlsx", values=values))
    return paths


def make_foreign(folder: Path, n: int) -> list[Path]:
    """N workbooks made by hand: the official tables in random layouts, no gktool stamp."""
    sys.path.insert(0, str(ROOT))
    from tests.foreign import consistent_values, random_layout, write_foreign

    spec = load_spec()
    rng = random.Random(2)
    paths = []
    for i in range(n):
        path = folder / f"hand{i:03d}.xlsx"
        write_foreign(path, spec, consistent_values(spec, rng), random_layout(rng), unit=f"手工单位{i:03d}")
        paths.append(path)
    return paths


def timed(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True)
        runs.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()}")
    return statistics.median(runs)


def timed_in_turn(first: list[str], second: list[str], repeat: int) -> tuple[float, float]:
    """Medians of two commands run alternately, so a machine that slows down mid-run slows both alike."""
    a, b = [], []
    for _ in range(repeat):
        a.append(timed(first, 1))
        b.append(timed(second, 1))
    return statistics.median(a), statistics.median(b)


def compile_bytecode() -> None:
    """Compile gktool's modules as an installed package has them (pip compiles at install time)."""
    import compileall

    import gktool

    compileall.compile_dir(Path(gktool.__file__).parent, quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_workbooks(folder, args.files)
        loop = (
            "import openpyxl, glob\n"
            f"for f in sorted(glob.glob({str(folder / '*.xlsx')!r})):\n"
            "    openpyxl.load_workbook(f); openpyxl.load_workbook(f, data_only=True)\n"
        )
        batch_base = timed([sys.executable, "-c", loop], max(1, args.repeat // 2))
        batch_gk = timed(GKTOOL + ["validate", "--format", "json", str(folder)], args.repeat)
        one = str(paths[0])
        single_base, single_gk = timed_in_turn(
            [sys.executable, "-c", f"import openpyxl; openpyxl.load_workbook({one!r})"],
            GKTOOL + ["validate", one],
            args.repeat * 4,
        )
        extract_gk = timed(GKTOOL + ["extract", str(folder)], args.repeat)
        hand = folder / "hand"
        hand.mkdir()
        make_foreign(hand, args.files)
        batch_hand = timed(GKTOOL + ["validate", "--format", "json", str(hand)], args.repeat)
    print(f"batch of {args.files} files")
    print(f"  openpyxl loop, 2 loads per file : {batch_base:8.3f} s")
    print(
        f"  gktool validate (one call)      : {batch_gk:8.3f} s   -> {batch_base / batch_gk:5.1f}x faster (goal >= 5x)"
    )
    print("single file")
    print(f"  python -c 'load_workbook(F)'    : {single_base:8.3f} s")
    print(
        f"  gktool validate F               : {single_gk:8.3f} s   -> {single_gk / single_base:5.2f}x the time (goal <= 0.6x)"
    )
    print(f"hand-made workbooks (tables found by labels), {args.files} files")
    print(f"  gktool validate, gktool books   : {batch_gk:8.3f} s")
    print(
        f"  gktool validate, hand-made books: {batch_hand:8.3f} s   -> {batch_hand / batch_gk:5.2f}x the gktool path (goal <= 3x)"
    )
    print(f"extract over the {args.files} gktool workbooks")
    print(
        f"  gktool extract (one call)       : {extract_gk:8.3f} s   -> {extract_gk / batch_gk:5.2f}x validate (goal <= 1x)"
    )


if __name__ == "__main__":
    main()
