"""Benchmark `gktool serve` on loopback: the real server in a child process, real HTTP.

    python bench/bench_serve.py [--repeat 30] [--parallel 50] [--workers N]

Reports:
  single:   upload-to-answer time of one filled workbook (POST multipart with Accept: application/json,
            until the whole JSON answer is read), sequential, after a warm-up; median, p90, max
            (goal: median under 0.5 s)
  page:     the same through the browser path: POST, 303, GET of the findings page
  parallel: N units upload at once (one thread and connection each): wall time, uploads per second,
            median and max time to answer; then the board is read and must show N units 通过
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gktool.filldata import load_fill  # noqa: E402
from gktool.spec import load_spec  # noqa: E402
from gktool.writers.workbook import new_workbook  # noqa: E402
from tests.servekit import Server, with_unit  # noqa: E402

PLACEHOLDER = "占位单位名称甲乙丙"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def describe(times: list[float]) -> str:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return f"median {statistics.median(times) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--parallel", type=int, default=50)
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: the server's own)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        tmp = Path(tmp)
        spec = load_spec()
        base = new_workbook(
            spec,
            tmp / "base.xlsx",
            unit=PLACEHOLDER,
            year=2023,
            values=load_fill(spec, ROOT / "examples" / "zhongning-2023.json"),
        ).read_bytes()
        units = [f"第{i:03d}单位" for i in range(1, args.parallel + 1)]
        books = {u: with_unit(base, PLACEHOLDER, u) for u in units}
        server = Server(units, tmp / "data", workers=args.workers)
        t_start, _ = timed(server.start)
        try:
            print(f"server start (spawn workers, warm): {t_start:.2f} s")
            one = units[0]
            for _ in range(3):
                server.upload(one, "warm.xlsx", books[one])
            single = []
            for _ in range(args.repeat):
                t, answer = timed(lambda: server.upload(one, f"{one}.xlsx", books[one]))
                assert answer.status == 200 and json.loads(answer.text)["ok"], answer
                single.append(t)
            print(f"single upload to JSON answer ({len(books[one]):,} bytes, {args.repeat}×): {describe(single)}")

            page = []
            for _ in range(max(5, args.repeat // 3)):

                def browser_path():
                    r = server.upload(one, f"{one}.xlsx", books[one], json=False)
                    return server.get(server.links[one] + r.headers["location"])

                t, answer = timed(browser_path)
                assert answer.status == 200 and "结论：通过" in answer.text
                page.append(t)
            print(f"browser path (POST, 303, findings page): {describe(page)}")

            def up(unit):
                t, answer = timed(lambda: server.upload(unit, f"{unit}.xlsx", books[unit]))
                return unit, t, answer

            wall, results = timed(lambda: list(ThreadPoolExecutor(len(units)).map(up, units)))
            bad = [(u, a.status) for u, _, a in results if a.status != 200 or json.loads(a.text)["unit"] != u]
            assert not bad, bad
            print(
                f"{len(units)} parallel uploads from {len(units)} units: wall {wall:.2f} s, "
                f"{len(units) / wall:.1f} uploads/s; per upload {describe([t for _, t, _ in results])}"
            )
            board = server.get(server.links["管理"]).text
            assert f"共 {len(units)} 个单位" in board and "未提交 0" in board
            print(f"board after the parallel run: {len(units)} units, none 未提交")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
