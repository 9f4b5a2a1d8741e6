"""Benchmark `gktool collect` against `gktool validate` over the same files, in the same run.

    python bench/bench_collect.py [--files 500] [--repeat 3] [--dir FOLDER] [--built] [--no-half]

Reports wall-clock medians of whole commands (interpreter start included), run alternately:
  validate: `gktool validate --format json DIR`
  collect:  `gktool collect DIR -o 汇总.xlsx --force --format json`   (goal: <= 1.5x validate)
and the peak memory (max RSS) of the collect process over all the files and over half of
them: memory should stay flat in the number of files. The summary written is then validated.
`--dir` reuses a folder of workbooks. By default the units' workbooks are copies of one workbook
with the unit name changed (3,000 in seconds); `--built` writes each with `gktool new` (minutes).
Also measured: reading the summary back with validate, and the CPU cost of one file's check in a
single process (the unit of work when the check is mapped over a cluster).
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
from gktool.writers.workbook import new_workbook  # noqa: E402


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


def say(text: str) -> None:
    """Progress of the benchmark itself, on stderr (a 20,000-unit run takes the better part of an hour)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


PER_FILE = """
import sys, time
from gktool.validate import check_file
paths = sys.argv[1:]
check_file(paths[0])  # imports and the spec, once
t = time.process_time()
for p in paths:
    check_file(p)
print((time.process_time() - t) / len(paths))
"""


def per_file_cost(files: list[Path], n: int) -> tuple[float, int]:
    """CPU seconds of one `check_file` (read + all checks) in one process: the unit of work a cluster maps."""
    sample = [str(p) for p in files[:: max(1, len(files) // n)][:n]]
    out = subprocess.run([sys.executable, "-c", PER_FILE, *sample], capture_output=True, text=True, check=True)
    return float(out.stdout.strip()), len(sample)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", help="a folder of workbooks to use instead of making new ones")
    ap.add_argument(
        "--built", action="store_true", help="write every workbook with gktool new (slow) instead of per-unit copies"
    )
    ap.add_argument("--no-half", action="store_true", help="skip the second collect over half the files (memory)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "in"
        folder.mkdir()
        say(f"准备 {args.files} 个工作簿")
        if args.dir:
            for p in sorted(Path(args.dir).glob("*.xlsx"))[: args.files]:
                shutil.copy(p, folder / p.name)
        elif args.built:
            make_workbooks(folder, args.files)
        else:
            make_copies(folder, args.files, say)
        files = sorted(folder.iterdir())
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
        for i in range(args.repeat):
            say(f"第 {i + 1}/{args.repeat} 轮：validate")
            v_times.append(run(validate_cmd)[0])
            say(f"第 {i + 1}/{args.repeat} 轮：collect（validate 用时 {v_times[-1]:.1f} 秒）")
            t, rss = run(collect_cmd)
            c_times.append(t)
            c_rss.append(rss)
            say(f"collect 用时 {t:.1f} 秒，峰值内存 {rss / 1024:.0f} MB")
        small_rss = None
        if not args.no_half:
            small = tmp / "small"
            small.mkdir()
            for p in files[: max(1, len(files) // 2)]:
                os.link(p, small / p.name)
            say("collect 一半的文件（比较内存）")
            _, small_rss = run(GKTOOL + ["collect", str(small), "-o", str(tmp / "small.xlsx"), "--force"])
        say("validate 汇总工作簿（读回）")
        start = time.perf_counter()
        check = subprocess.run(GKTOOL + ["validate", str(out)], capture_output=True, text=True)
        readback = time.perf_counter() - start
        size = out.stat().st_size
        csv_path = out.with_name(f"{out.stem}（明细）.csv")
        csv_size = csv_path.stat().st_size if csv_path.exists() else None
        say("单个文件的检查成本（单进程）")
        cost, sampled = per_file_cost(files, 200)
    v, c = statistics.median(v_times), statistics.median(c_times)
    print(f"{len(files)} workbooks, {args.repeat} runs each, alternating ({os.cpu_count()} CPUs)")
    print(f"  gktool validate --format json : {v:8.2f} s")
    print(f"  gktool collect -o 汇总.xlsx    : {c:8.2f} s   -> {c / v:4.2f}x validate (goal <= 1.5x)")
    half = f", {small_rss / 1024:6.0f} MB over {len(files) // 2}" if small_rss else ""
    print(f"  collect peak memory           : {max(c_rss) / 1024:6.0f} MB over {len(files)} files{half}")
    last = check.stdout.strip().splitlines()[-1] if check.stdout.strip() else check.stderr.strip()
    print(
        f"  summary workbook              : {size / 1024 / 1024:6.1f} MB, read back by gktool validate in "
        f"{readback:.1f} s, exit {check.returncode} ({last})"
    )
    if csv_size is not None:
        print(f"  明细 beside it as CSV          : {csv_size / 1024 / 1024:6.1f} MB")
    print(f"  per-file check (one process)  : {cost * 1000:8.1f} ms CPU (read + all checks, {sampled} files sampled)")


if __name__ == "__main__":
    main()
