"""Benchmark `gktool validate` against openpyxl baselines, measured in the same run.

    python bench/bench_validate.py [--files 200] [--repeat 5]

Reports wall-clock medians of whole commands (interpreter start included) and ratios:
  batch:  one `gktool validate` over N filled workbooks
          vs a Python loop that only loads each file with openpyxl twice (formulas, data_only)
  single: `gktool validate F` vs `python -c "import openpyxl; openpyxl.load_workbook(F)"`
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
from gktool.writer import new_workbook

ROOT = Path(__file__).resolve().parent.parent
GKTOOL = [sys.executable, "-m", "gktool.cli"] if not shutil.which("gktool") else [shutil.which("gktool")]


def make_workbooks(folder: Path, n: int) -> list[Path]:
    spec = load_spec()
    base = load_fill(spec, ROOT / "examples" / "zhongning-2023.json")
    rng = random.Random(1)
    paths = []
    for i in range(n):
        values = dict(base)
        values[("封面", "B9")] = f"测试单位{i:03d}"
        extra = rng.randint(0, 30)                      # keep 表三 balanced: more resolved, more received
        values[("三、依申请公开", "D6")] = 12 + extra
        values[("三、依申请公开", "D4")] = 28 + extra
        values[("二、主动公开", "B7")] = rng.randint(0, 200000)
        paths.append(new_workbook(spec, folder / f"unit{i:03d}.xlsx", values=values))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_workbooks(folder, args.files)
        loop = ("import openpyxl, glob\n"
                f"for f in sorted(glob.glob({str(folder / '*.xlsx')!r})):\n"
                "    openpyxl.load_workbook(f); openpyxl.load_workbook(f, data_only=True)\n")
        batch_base = timed([sys.executable, "-c", loop], max(1, args.repeat // 2))
        batch_gk = timed(GKTOOL + ["validate", "--format", "json", str(folder)], args.repeat)
        one = str(paths[0])
        single_base = timed([sys.executable, "-c", f"import openpyxl; openpyxl.load_workbook({one!r})"], args.repeat * 2)
        single_gk = timed(GKTOOL + ["validate", one], args.repeat * 2)
    print(f"batch of {args.files} files")
    print(f"  openpyxl loop, 2 loads per file : {batch_base:8.3f} s")
    print(f"  gktool validate (one call)      : {batch_gk:8.3f} s   -> {batch_base / batch_gk:5.1f}x faster (goal >= 5x)")
    print("single file")
    print(f"  python -c 'load_workbook(F)'    : {single_base:8.3f} s")
    print(f"  gktool validate F               : {single_gk:8.3f} s   -> {single_base / single_gk:5.1f}x faster (goal >= 1x)")


if __name__ == "__main__":
    main()
