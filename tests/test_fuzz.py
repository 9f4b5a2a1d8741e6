"""Seeded mutation fuzzing of a filled workbook, small enough for CI (~1,000 mutants).

Every mutant (see tests/mutants.py for the kinds) goes through the reader and the
rules in this process, and every fourth through `validate_files` in worker processes
as a batch. Nothing but GkError may escape; every file gets a Result; a refusal is
one line naming the file; no mutant takes more than a few seconds; the files
are not modified. The longer run is bench/fuzz_long.py.
"""

from __future__ import annotations

import collections
import hashlib
import json
import signal
import time
import traceback
from pathlib import Path

import pytest

from gktool.errors import GkError
from gktool.findings import Result
from gktool.readers import report_from_workbook, sheet_areas
from gktool.readers.xlsx import read_workbook
from gktool.validate import INTERNAL_ERROR, finish, validate_files

from .mutants import MUTATORS, build_filled, mutants

SEED = 20240521
COUNT = 66 * len(MUTATORS)  # 1,056: every kind 66 times
PER_MUTANT_SECONDS = 10
PARTS = 2
BATCH_EVERY = 4  # every 4th mutant also goes through validate_files' worker processes

pytestmark = pytest.mark.fuzz


class _TooSlow(BaseException):  # not Exception: no handler in gktool may swallow it
    pass


def _not_json(token):
    raise AssertionError(f"not standard JSON: {token}")


def _alarm(signum, frame):
    raise _TooSlow()


def check_one(path: Path, kind: str, index: int, crashes: list) -> tuple[bool, list[str]] | None:
    """(unreadable, rule ids) for one mutant, or None after recording a crash."""
    try:
        try:
            wb = read_workbook(path, sheet_areas())
        except GkError as exc:
            assert exc.exit_code == 2, exc
            assert str(path) in exc.message and "\n" not in exc.message, exc.message
            return True, ["E0"]
        analysis = finish(*report_from_workbook(wb), Result(wb.path))
        assert isinstance(analysis.result, Result)
        return False, [f.rule for f in analysis.result.findings]
    except _TooSlow:
        crashes.append((kind, "TooSlow", "", index, f"> {PER_MUTANT_SECONDS} s"))
    except Exception as exc:  # noqa: BLE001 - that is the point: record anything that escapes
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        crashes.append((kind, type(exc).__name__, f"{Path(frame.filename).name}:{frame.lineno}", index, str(exc)[:200]))
    return None


@pytest.mark.parametrize("part", range(PARTS))
def test_mutants_get_a_verdict_and_nothing_escapes(tmp_path, base, part):
    count = COUNT // PARTS  # the parts run side by side under pytest -n; together they are all COUNT mutants
    folder = tmp_path / "mutants"
    folder.mkdir()
    started = time.perf_counter()
    files: list[tuple[Path, str, int, str]] = []
    for index, kind, blob in mutants(base, SEED, count, start=part * count):
        path = folder / f"m{index:04d} {kind}.xlsx"
        path.write_bytes(blob)
        files.append((path, kind, index, hashlib.sha256(blob).hexdigest()))
    generated = time.perf_counter()

    crashes: list[tuple] = []
    verdicts: dict[Path, tuple[bool, list[str]]] = {}
    tally: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    use_alarm = hasattr(signal, "SIGALRM")
    old = signal.signal(signal.SIGALRM, _alarm) if use_alarm else None
    try:
        for path, kind, index, _ in files:
            if use_alarm:
                signal.alarm(PER_MUTANT_SECONDS)
            try:
                verdict = check_one(path, kind, index, crashes)
            finally:
                if use_alarm:
                    signal.alarm(0)
            if verdict is not None:
                verdicts[path] = verdict
                tally[kind]["unreadable" if verdict[0] else "findings" if verdict[1] else "ok"] += 1
    finally:
        if use_alarm:
            signal.signal(signal.SIGALRM, old)
    in_process = time.perf_counter()

    # a quarter of them, every kind alike, as one batch in worker processes, the way `gktool validate -j 2 folder/`
    # runs them: what the worker path adds (pickling, the pool) is the same for every mutant, and each mutant's
    # verdict was already checked in this process above
    batched = [f for f in files if f[2] // len(MUTATORS) % BATCH_EVERY == 0]  # every 4th round of all kinds
    results = list(validate_files([str(p) for p, *_ in batched], jobs=2))
    batch = time.perf_counter()

    summary = "\n".join(f"{k}: {dict(v)}" for k, v in sorted(tally.items()))
    print(
        f"\n{count} mutants: generate {generated - started:.1f} s, read+analyse {in_process - generated:.1f} s, "
        f"validate_files -j2 {batch - in_process:.1f} s\n{summary}"
    )
    assert not crashes, "exceptions escaped:\n" + "\n".join(map(repr, crashes[:30]))

    assert len(results) == len(batched) and {kind for _, kind, _, _ in batched} == set(MUTATORS)
    for (path, kind, index, _), result in zip(batched, results, strict=True):
        assert isinstance(result, Result) and result.file == str(path)
        json.loads(result.to_json(), parse_constant=_not_json)  # standard JSON: no NaN/Infinity
        assert not any(INTERNAL_ERROR in f.message for f in result.findings), (kind, index, result.findings)
        unreadable, rules = verdicts[path]
        assert result.unreadable == unreadable, (kind, index)
        assert [f.rule for f in result.findings] == rules, (kind, index)
    for path, _, _, digest in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, "a mutant was modified"

    # the mutants must exercise the rules, not only the pre-flight checks
    readable = sum(not u for u, _ in verdicts.values())
    assert readable > count // 4, summary
    assert sum(tally[k]["findings"] for k in tally) > count // 10, summary
    assert all(sum(tally[k].values()) == count // len(MUTATORS) for k in MUTATORS)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> bytes:
    return build_filled(tmp_path_factory.mktemp("fuzz") / "filled.xlsx")


def test_mutants_are_deterministic(base):
    """Mutant i depends only on (seed, i): a crash index from a log can be made again alone."""
    n = 2 * len(MUTATORS)
    first = list(mutants(base, 7, n))
    assert first == list(mutants(base, 7, n))
    assert [m for m in mutants(base, 7, 3, start=n - 3)] == first[-3:]
    assert {k for _, k, _ in first} == set(MUTATORS)
    assert all(blob != base for _, _, blob in first)
