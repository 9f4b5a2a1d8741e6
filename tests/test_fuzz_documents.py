"""Seeded mutation fuzzing of published reports (.docx, .html, .pdf) through the whole read-and-check path.

Every mutant goes through `check_file` (sniffing, the reader for its kind, the label matcher and the
content rules). Nothing may escape; every file gets a verdict; a refusal is one line naming the file;
no mutant takes more than a few seconds; the files are not modified.
"""

from __future__ import annotations

import hashlib
import random
import signal
import time
from pathlib import Path

import pytest

from gktool.validate import INTERNAL_ERROR, check_file

from . import published_fixtures as pf
from .helpers import soffice_available, soffice_convert
from .mutants import MUTATORS, split

SEED = 20261127
ZIP_KINDS = [
    "byte_flips",
    "truncate",
    "chop_tail",
    "stored_flips",
    "cut_xml",
    "xml_byte_flips",
    "rename_tags",
    "garble_attrs",
    "hostile_insert",
]
PER_MUTANT_SECONDS = 10
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.fuzz


class _TooSlow(BaseException):
    pass


def _alarm(signum, frame):
    raise _TooSlow()


def text_mutant(blob: bytes, rng: random.Random) -> bytes:
    """Damage to a text or PDF file: flips, cuts, junk, repeated or deep markup."""
    kind = rng.randrange(6)
    data = bytearray(blob)
    if kind == 0:
        for _ in range(rng.choice([1, 4, 64])):
            i = rng.randrange(len(data))
            data[i] = rng.randrange(256)
        return bytes(data)
    if kind == 1:
        return blob[: rng.randrange(len(blob))]
    if kind == 2:
        i = rng.randrange(len(blob))
        return blob[:i] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) + blob[i:]
    if kind == 3:
        i, j = sorted(rng.randrange(len(blob)) for _ in range(2))
        return blob[:j] + blob[i:j] * rng.randrange(2, 20) + blob[j:]
    if kind == 4:
        return blob.replace(b"<td", b"<td><table><tr><td" * rng.randrange(1, 3), rng.randrange(1, 40))
    return blob.replace(b"\xe5", b"\xe6", rng.randrange(1, 50))


COUNTS = {"docx": 22 * len(ZIP_KINDS), "html": 150, "pdf": 60}


def _base(tmp: Path, kind: str) -> bytes:
    """The report of five units' figures as a Word file, a Word-saved web page, or (through LibreOffice) a PDF."""
    rep = pf.consistent_report(5)
    if kind == "html":
        pf.html_report(tmp / "base.html", rep, word=True)
        return (tmp / "base.html").read_bytes()
    pf.docx_report(tmp / "base.docx", rep)
    if kind == "docx":
        return (tmp / "base.docx").read_bytes()
    if not soffice_available():
        pytest.skip("LibreOffice (soffice) not installed: no PDF to mutate")
    (pdf,) = soffice_convert([tmp / "base.docx"], tmp / "pdf", to="pdf")
    return pdf.read_bytes()


@pytest.mark.parametrize("kind", list(COUNTS))  # side by side under pytest -n
def test_mutated_published_reports_always_get_a_verdict(tmp_path, kind):
    blob = _base(tmp_path, kind)
    crashes, seen = [], 0
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        parts = split(blob) if kind == "docx" else None
        for i in range(COUNTS[kind]):
            rng = random.Random(f"{SEED}:{kind}:{i}")
            if kind == "docx":
                how = ZIP_KINDS[i % len(ZIP_KINDS)]
                data = MUTATORS[how](blob, parts, rng)
            else:
                how, data = "bytes", text_mutant(blob, rng)
            path = tmp_path / f"m{i:04d}.{kind}"
            path.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            start = time.perf_counter()
            signal.alarm(PER_MUTANT_SECONDS)
            try:
                result = check_file(path).result
            except _TooSlow:
                crashes.append((kind, how, i, "too slow"))
                continue
            except Exception as exc:  # noqa: BLE001 - anything escaping is the finding
                crashes.append((kind, how, i, repr(exc)))
                continue
            finally:
                signal.alarm(0)
            seen += 1
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, "input modified"
            if any(INTERNAL_ERROR in f.message for f in result.findings):
                crashes.append((kind, how, i, result.findings[0].message))
            if result.unreadable:
                message = result.findings[0].message
                assert "\n" not in message and str(path) in message, message
            assert time.perf_counter() - start < PER_MUTANT_SECONDS
            path.unlink()
    finally:
        signal.signal(signal.SIGALRM, old)
    assert not crashes, crashes[:10]
    assert seen == COUNTS[kind]


@pytest.mark.parametrize(
    "name, data",
    [
        ("deep.html", b"<html><body>" + b"<div>" * 200000 + b"</body></html>"),
        ("huge.html", b"<html><body><table>" + b"<tr><td>1</td></tr>" * 1_500_000 + b"</table></body></html>"),
        ("wrong.pdf", b"PK\x03\x04 not really a pdf"),
        ("fake.docx", b"%PDF-1.4\n%%EOF\n"),
    ],
)
def test_hostile_documents_are_one_line_in_bounded_time(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    start = time.perf_counter()
    result = check_file(path).result
    assert time.perf_counter() - start < 20
    assert not any(INTERNAL_ERROR in f.message for f in result.findings), result.findings
    assert all("\n" not in f.message for f in result.findings)
