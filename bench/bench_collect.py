"""Benchmark `gktool collect` against `gktool validate` over the same files, in the same run.

    python bench/bench_collect.py [--files 500] [--repeat 3] [--dir FOLDER]

Reports wall-clock medians of whole commands (interpreter start included), run alternately:
  validate: `gktool validate --format json DIR`
  collect:  `gktool collect DIR -o 汇总.xlsx --force --format json`   (goal: <= 1.5x validate)
and the peak memory (max RSS) of the collect process over all the files and over half of
them: memory should stay flat in the number of files. The summary written is then validated.
`--dir` reuses a folder of workbooks (making 500 takes a few minutes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import GKTOOL, ROOT, make_workbooks  # noqa: E402

from gktool.filldata import load_fill  # noqa: E402
from gktool.spec import load_spec  # noqa: E402
from gktool.writer import new_workbook  # noqa: E402


def make_copies(folder: Path, n: int, progress=None) -> list[Path]:
    """N gktool workbooks for N units, fast: one workbook is written, then copied part by part with the
    unit name changed (in the cover's shared string and the document properties). Each file is read and
    checked exactly like a workbook written by `gktool new` (same parts), and 3,000 take seconds, not minutes."""
    spec = load_spec()
    values = load_fill(spec, ROOT / "examples" / "zhongning-2023.json")
    unit = spec.field_cells["unit"]
    values[(unit.sheet, unit.cell)] = "测试单位ZZZZZZ"
    template = folder.parent / "template.xlsx"
    new_workbook(spec, template, values=values, force=True)
    with zipfile.ZipFile(template) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    paths = []
    for i in range(n):
        path = folder / f"unit{i:05d}.xlsx"
        mark = f"{i:06d}".encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in parts:
                out.writestr(info, data.replace(b"ZZZZZZ", mark))
        paths.append(path)
        if progress and (i + 1) % 1000 == 0:
            progress(f"已生成 {i + 1}/{n} 个工作簿")
    template.unlink()
    return paths


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KB) of one command (the process itself, not its worker processes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", help="a folder of workbooks to use instead of making new ones")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.dir:
            source = sorted(Path(args.dir).glob("*.xlsx"))[: args.files]
            folder = tmp / "in"
            folder.mkdir()
            for p in source:
                shutil.copy(p, folder / p.name)
        else:
            folder = tmp / "in"
            folder.mkdir()
            make_workbooks(folder, args.files)
        files = sorted(folder.iterdir())
        small = tmp / "small"
        small.mkdir()
        for p in files[: max(1, len(files) // 2)]:
            shutil.copy(p, small / p.name)
        out = tmp / "汇总.xlsx"
        validate_cmd = GKTOOL + ["validate", "--format", "json", str(folder)]
        collect_cmd = GKTOOL + [
            "collect",
            str(folder),
            "-o",
            str(out),
            "--force",
            "--format",
            "json",
            "--cover",
            str(files[0]),
        ]  # the office's contact details (K1)
        v_times, c_times, c_rss = [], [], []
        for _ in range(args.repeat):
            v_times.append(run(validate_cmd)[0])
            t, rss = run(collect_cmd)
            c_times.append(t)
            c_rss.append(rss)
        _, small_rss = run(GKTOOL + ["collect", str(small), "-o", str(tmp / "small.xlsx"), "--force"])
        check = subprocess.run(GKTOOL + ["validate", str(out)], capture_output=True, text=True)
        size = out.stat().st_size
    v, c = statistics.median(v_times), statistics.median(c_times)
    print(f"{len(files)} workbooks, {args.repeat} runs each, alternating")
    print(f"  gktool validate --format json : {v:8.2f} s")
    print(f"  gktool collect -o 汇总.xlsx    : {c:8.2f} s   -> {c / v:4.2f}x validate (goal <= 1.5x)")
    print(
        f"  collect peak memory           : {max(c_rss) / 1024:6.0f} MB over {len(files)} files, "
        f"{small_rss / 1024:6.0f} MB over {len(files) // 2}"
    )
    print(
        f"  summary workbook              : {size / 1024 / 1024:6.1f} MB, gktool validate exit {check.returncode}"
        f" ({check.stdout.strip().splitlines()[-1] if check.stdout.strip() else check.stderr.strip()})"
    )


if __name__ == "__main__":
    main()
