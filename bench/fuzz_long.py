"""Long mutation fuzzing of the reader, the rules and (optionally) the Word report; not run in CI.

    python bench/fuzz_long.py --seconds 600 --seed 1 [--report] [--keep out/fuzz] [--max-mb 1024]

Mutants of the example workbook (the kinds in tests/mutants.py: byte flips,
truncations, damaged or missing XML parts, garbage values, huge references,
hostile inserts, ...) are made until the time is up. Each goes through
`read_workbook` + `report_from_workbook` + `finish` (and with --report, the report's wording and
document building). Anything that escapes other than GkError, takes longer
than --per-mutant seconds, or runs out of the --max-mb address space is a
crash: it is tallied by (kind, exception, place) and the file is kept in
--keep for reproduction. Exit status 1 if anything crashed.

The same seed gives the same mutants, so a crash is reproduced with
`--seed S --start I --count 1` (its index is printed).
"""

from __future__ import annotations

import argparse
import collections
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gktool.errors import GkError  # noqa: E402
from gktool.findings import Result  # noqa: E402
from gktool.readers import report_from_workbook, sheet_areas  # noqa: E402
from gktool.readers.xlsx import read_workbook  # noqa: E402
from gktool.validate import finish  # noqa: E402
from tests.mutants import MUTATORS, build_filled, mutants  # noqa: E402


class TooSlow(BaseException):  # not Exception: no handler in gktool may swallow it
    pass


def _alarm(signum, frame):
    raise TooSlow()


def run_one(path: Path, with_report: bool) -> str:
    try:
        wb = read_workbook(path, sheet_areas())
    except GkError as exc:
        if "\n" in exc.message or exc.exit_code != 2:
            raise AssertionError(f"refusal not one line / exit 2: {exc.message!r}") from None
        return "unreadable"
    analysis = finish(*report_from_workbook(wb), Result(wb.path))
    if with_report and analysis.spec is not None:
        from gktool.writers import report

        report.report_blocks(analysis)
        report.default_report_path(analysis, path)
        report.build_document(analysis)
    return "findings" if analysis.result.findings else "ok"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=300, help="stop after this long (default 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first mutant index (to reproduce one)")
    ap.add_argument("--count", type=int, default=None, help="stop after this many mutants")
    ap.add_argument("--kind", choices=sorted(MUTATORS), action="append", help="only these kinds (repeatable)")
    ap.add_argument("--report", action="store_true", help="also build the Word report of readable mutants")
    ap.add_argument("--per-mutant", type=int, default=10, help="seconds one mutant may take (default 10)")
    ap.add_argument("--max-mb", type=int, default=2048, help="address-space limit in MB (default 2048; 0 = none)")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep crashing mutants in")
    args = ap.parse_args(argv)

    if args.max_mb:
        limit = args.max_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    work = Path(tempfile.mkdtemp(prefix="gktool-fuzz-"))
    base = build_filled(work / "filled.xlsx")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)

    tally: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    crashes: collections.Counter = collections.Counter()
    first: dict[tuple, int] = {}
    slowest = (0.0, -1, "")
    started = time.monotonic()
    n = 0
    for index, kind, blob in mutants(base, args.seed, start=args.start):
        if args.kind and kind not in args.kind:
            continue
        if time.monotonic() - started > args.seconds or (args.count is not None and n >= args.count):
            break
        n += 1
        path = work / "mutant.xlsx"
        path.write_bytes(blob)
        t = time.perf_counter()
        signal.alarm(args.per_mutant)
        try:
            tally[kind][run_one(path, args.report)] += 1
        except (Exception, TooSlow) as exc:  # noqa: BLE001 - record whatever escapes
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            place = f"{Path(frame.filename).name}:{frame.lineno}" if frame else ""
            key = (kind, type(exc).__name__, place)
            crashes[key] += 1
            first.setdefault(key, index)
            tally[kind]["CRASH"] += 1
            if args.keep:
                (args.keep / f"seed{args.seed}-{index}-{kind}.xlsx").write_bytes(blob)
        finally:
            signal.alarm(0)
        dt = time.perf_counter() - t
        if dt > slowest[0]:
            slowest = (dt, index, kind)

    elapsed = time.monotonic() - started
    print(f"{n} mutants in {elapsed:.0f} s (seed {args.seed}); slowest {slowest[0]:.2f} s (#{slowest[1]} {slowest[2]})")
    for kind in sorted(tally):
        print(f"  {kind:20s} " + "  ".join(f"{k} {v}" for k, v in sorted(tally[kind].items())))
    if crashes:
        print("CRASHES (kind, exception, place): count, first index")
        for key, count in crashes.most_common():
            print(f"  {key}: {count}, first #{first[key]}")
        return 1
    print("no crashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
