"""Seeded mutants of a filled workbook, built in memory, for the fuzz tests.

Used by tests/test_fuzz.py (a fixed number of mutants in CI) and by
bench/fuzz_long.py (a time-bounded run). Every mutator takes the original zip
bytes, its parts and a `random.Random`, and returns new file bytes; the kinds
cover damage at the byte level (what a bad download or disk does) and at the
XML level inside a zip that is itself intact (what a buggy or hostile program
writes), where the zip's CRC cannot catch it.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

EXAMPLE_FILL = Path(__file__).resolve().parent.parent / "examples" / "zhongning-2023.json"

Parts = dict[str, bytes]


def build_filled(path: Path) -> bytes:
    """Write the example workbook (中宁县 2023) to `path` and return its bytes."""
    from gktool.filldata import load_fill
    from gktool.spec import load_spec
    from gktool.writers.workbook import new_workbook

    spec = load_spec()
    new_workbook(spec, path, values=load_fill(spec, EXAMPLE_FILL), force=True)
    return path.read_bytes()


def split(blob: bytes) -> Parts:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(parts: Parts, stored: bool = False) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in parts.items():  # a fixed date: the same seed gives the same bytes
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


XML_PARTS_WEIGHTED = [  # the parts the reader parses, most often the ones that carry data
    "xl/worksheets/sheet3.xml",
    "xl/worksheets/sheet4.xml",
    "xl/worksheets/sheet5.xml",
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/worksheets/sheet8.xml",
    "xl/sharedStrings.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "docProps/custom.xml",
    "_rels/.rels",
    "[Content_Types].xml",
]

JUNK = [
    "",
    " ",
    "-1",
    "abc",
    "1e999",
    "nan",
    "inf",
    "-0",
    "0x10",
    "１２",
    "١٢",
    "²",
    "1_000",
    "9" * 40,
    "9" * 5000,
    "12件",
    "'",
    '"',
    "&amp;",
    "&#0;",
    "\u202e",
    "中文",
    "A0",
    "ZZZZ1",
    "XFD1048576",
    "XFE1",
    "A1048577",
    "A-1",
    "$",
    "!",
    "#REF!",
    "SUM(",
    "=",
    "1.5",
    "1e308",
    "-1e308",
    "2147483648",
    "18446744073709551616",
    "true",
    "\x01",
]


def _pick_part(parts: Parts, rng: random.Random) -> str:
    names = [n for n in XML_PARTS_WEIGHTED if n in parts]
    if rng.random() < 0.15:
        names = list(parts)
    return rng.choice(names)


def _some_sheets(parts: Parts, rng: random.Random, most: int) -> list[str]:
    sheets = [n for n in parts if n.startswith("xl/worksheets/")]
    return rng.sample(sheets, min(len(sheets), rng.randrange(1, most + 1)))


def _junk(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 12)))
    return rng.choice(JUNK)


def _xml_safe(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace("\x01", "&#x1;")


def _sub_some(
    pattern: str, data: bytes, rng: random.Random, repl: Callable[[re.Match], bytes], share: float | None = None
) -> bytes:
    """Replace a random subset of the matches of `pattern` (at least one if any)."""
    matches = list(re.finditer(pattern.encode(), data, re.S))
    if not matches:
        return data
    share = share if share is not None else rng.choice([0.0, 0.05, 0.3, 1.0])
    chosen = {rng.randrange(len(matches))} | {i for i in range(len(matches)) if rng.random() < share}
    out, last = [], 0
    for i, m in enumerate(matches):
        if i in chosen:
            out += [data[last : m.start()], repl(m)]
            last = m.end()
    out.append(data[last:])
    return b"".join(out)


# ------------------------------------------------------------------ byte level
def byte_flips(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    data = bytearray(blob)
    for _ in range(rng.choice([1, 1, 2, 4, 16, 64])):
        i = rng.randrange(len(data))
        data[i] = rng.randrange(256) if rng.random() < 0.5 else data[i] ^ (1 << rng.randrange(8))
    return bytes(data)


def truncate(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    return blob[: rng.randrange(0, len(blob))]


def chop_tail(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    """Damage near the end: the central directory, where zip readers start."""
    cut = rng.randrange(1, min(len(blob), 600))
    if rng.random() < 0.5:
        return blob[:-cut]
    data = bytearray(blob)
    for _ in range(rng.randrange(1, 6)):
        data[len(data) - rng.randrange(1, cut + 1)] = rng.randrange(256)
    return bytes(data)


def stored_flips(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    """Byte flips in an uncompressed zip: XML bytes change, CRC catches it (or not: header bytes)."""
    return byte_flips(rezip(parts, stored=True), parts, rng)


# ------------------------------------------------------------------ part level
def drop_part(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    new = dict(parts)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if new:
            new.pop(_pick_part(new, rng), None)
    return rezip(new)


def _with_part(parts: Parts, rng: random.Random, change: Callable[[bytes], bytes]) -> bytes:
    name = _pick_part(parts, rng)
    new = dict(parts)
    new[name] = change(parts[name])
    return rezip(new)


def cut_xml(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    def change(data):
        return data[: rng.randrange(0, len(data) + 1)] if rng.random() < 0.7 else data[: len(data) // 2]

    return _with_part(parts, rng, change)


def xml_byte_flips(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    """Flip bytes inside an XML part before zipping: the zip is intact, the XML is not."""

    def change(data):
        data = bytearray(data)
        for _ in range(rng.choice([1, 2, 8])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)

    return _with_part(parts, rng, change)


def rename_tags(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    def change(data):
        tags = sorted(set(re.findall(rb"<([A-Za-z][\w:]*)", data)))
        if not tags:
            return data
        old = rng.choice(tags)
        new = rng.choice(
            [
                b"x",
                b"row",
                b"c",
                b"v",
                b"f",
                b"si",
                b"t",
                b"sheet",
                b"definedName",
                b"mergeCell",
                b"Relationship",
                b"property",
                b"is",
                b"r",
            ]
        )
        both = rng.random() < 0.7  # rename start and end tags alike (still well-formed)
        pat = rb"(</?)" + re.escape(old) + rb"(?=[\s/>])" if both else rb"(<)" + re.escape(old) + rb"(?=[\s/>])"
        return re.sub(pat, lambda m: m.group(1) + new, data, count=0 if rng.random() < 0.5 else 1)

    return _with_part(parts, rng, change)


def garble_attrs(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    def change(data):
        def repl(m):
            return m.group(1) + b'="' + _xml_safe(_junk(rng)).encode() + b'"'

        return _sub_some(r'(\b[\w:]+)="[^"]*"', data, rng, repl)

    return _with_part(parts, rng, change)


def garbage_values(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    def change(data):
        return _sub_some(r"<v>[^<]*</v>", data, rng, lambda m: b"<v>" + _xml_safe(_junk(rng)).encode() + b"</v>")

    new = dict(parts)
    for name in _some_sheets(parts, rng, 3):
        new[name] = change(parts[name])
    return rezip(new)


def huge_refs(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    refs = ["XFD1048576", "XFD1", "A1048576", "ZZZ9999999", "A0", "A99999999", "XFE1", "$A$1", "a1", ""]

    def change(data):
        data = _sub_some(r'<c r="[^"]*"', data, rng, lambda m: b'<c r="' + rng.choice(refs).encode() + b'"', share=0.05)
        data = _sub_some(
            r'<row r="[^"]*"',
            data,
            rng,
            lambda m: b'<row r="' + rng.choice(["1048576", "0", "99999999999", "9" * 5000, "²", "-3"]).encode() + b'"',
            share=0.05,
        )
        if rng.random() < 0.5:
            data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
        if rng.random() < 0.5:  # a real cell far away, as a program that touched XFD1048576 writes
            data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
        return data

    new = dict(parts)
    for name in _some_sheets(parts, rng, 2):
        new[name] = change(parts[name])
    return rezip(new)


def shared_formula_junk(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    def master(m):
        si = rng.choice(["0", "1", "", "x", "-1", "99999999999"])
        text = rng.choice(
            [
                "SUM(D4:I4)",
                "",
                "SUM(",
                "A1+XFD1048576",
                "$A$1+B2",
                '"A1"&B2',
                "ZZZ9999999",
                "SUM(" + "A1," * 2000 + "A1)",
                _xml_safe(_junk(rng)),
            ]
        )
        ref = rng.choice(["D4:D30", "A1:XFD1048576", "", "junk"])
        return f'<f t="shared" si="{si}" ref="{ref}">{text}</f>'.encode()

    def follower(m):
        return f'<f t="shared" si="{rng.choice(["0", "1", "", "x"])}"/>'.encode()

    def change(data):
        data = _sub_some(r"<f>[^<]*</f>", data, rng, master, share=0.1)
        return _sub_some(
            r"<c ([^>]*?)(/?)>",
            data,
            rng,
            lambda m: (
                b"<c " + m.group(1) + b">" + follower(m) + b"<v>1</v></c>" if m.group(2) else m.group(0) + follower(m)
            ),
            share=0.1,
        )

    new = dict(parts)
    for name in _some_sheets(parts, rng, 3):
        new[name] = change(parts[name])
    return rezip(new)


def bad_string_index(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    def change(data):
        return _sub_some(
            r'(t="s"[^>]*>)<v>[^<]*</v>',
            data,
            rng,
            lambda m: (
                m.group(1)
                + b"<v>"
                + rng.choice([b"abc", b"-1", b"99999", b"", b"1.5", b"9" * 5000, b"\xd9\xa1", b" 3 ", b"0x1"])
                + b"</v>"
            ),
        )

    new = dict(parts)
    for name in _some_sheets(parts, rng, 3):
        new[name] = change(parts[name])
    return rezip(new)


def garble_names(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    """Defined names, sheet names, relationships and custom properties pointing anywhere."""
    targets = [
        "'三、依申请公开'!$A$1",
        "'三、依申请公开'!$A$0",
        "'封面'!$A$1",
        "'封面'!$XFD$1048576",
        "'四、复议诉讼'!$B$2",
        "'nosuch'!$D$4",
        "$D$4",
        "",
        "#REF!",
        "'二、主动公开'!$Z$99",
        "'三、依申请公开'!$D$4:$D$9",
        "'二、主动公开'!A1",
        "'''!$A$1",
    ]
    new = dict(parts)
    if not all(n in parts for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docProps/custom.xml")):
        return drop_part(blob, parts, rng)
    wb = parts["xl/workbook.xml"]
    choice = rng.randrange(5)
    if choice == 0:
        wb = _sub_some(
            r"(<definedName [^>]*>)[^<]*(</definedName>)",
            wb,
            rng,
            lambda m: m.group(1) + _xml_safe(rng.choice(targets)).encode() + m.group(2),
        )
    elif choice == 1:
        wb = _sub_some(
            r'(<sheet name=")[^"]*(")',
            wb,
            rng,
            lambda m: m.group(1) + rng.choice(["封面", "校验", "", "三、依申请公开", "x"]).encode() + m.group(2),
        )
    elif choice == 2:
        wb = _sub_some(
            r'(r:id=")[^"]*(")',
            wb,
            rng,
            lambda m: m.group(1) + rng.choice(["rId1", "rId4", "rId11", "rId9", "", "x"]).encode() + m.group(2),
        )
    elif choice == 3:
        rels = parts["xl/_rels/workbook.xml.rels"]
        new["xl/_rels/workbook.xml.rels"] = _sub_some(
            r'(Target=")[^"]*(")',
            rels,
            rng,
            lambda m: (
                m.group(1)
                + rng.choice(
                    [
                        "sharedStrings.xml",
                        "worksheets/sheet4.xml",
                        "../../../etc/passwd",
                        "/xl/workbook.xml",
                        "workbook.xml",
                        "",
                        'http://x/y.xlsx" TargetMode="External',
                        "styles.xml",
                        "theme/theme1.xml",
                        "worksheets/nosuch.xml",
                    ]
                ).encode()
                + m.group(2)
            ),
        )
    else:
        custom = parts["docProps/custom.xml"]
        new["docProps/custom.xml"] = _sub_some(
            r"(<vt:lpwstr>)[^<]*(</vt:lpwstr>)",
            custom,
            rng,
            lambda m: m.group(1) + _xml_safe(_junk(rng)).encode() + m.group(2),
        )
    new["xl/workbook.xml"] = wb
    return rezip(new)


def hostile_insert(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    """Things a hostile file adds: a DOCTYPE, entities, many elements, huge text, odd encodings."""
    name = _pick_part(parts, rng)
    data = parts[name]
    kind = rng.randrange(6)
    if kind == 0:
        data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)
    elif kind == 1:
        text = data.decode("utf-8", "replace").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        data = b"\xff\xfe" + text.replace("?>", '?><!DOCTYPE x [<!ENTITY a "aa">]>', 1).encode("utf-16-le")
    elif kind == 2:
        data = re.sub(
            rb"(<sheetData>|<sst[^>]*>|<definedNames>)", lambda m: m.group(1) + b"<x/>" * 200_000, data, count=1
        )
    elif kind == 3:
        data = data.replace(b"<v>", b"<v>" + b"9" * 100_000, 1).replace(
            b"<t>", b"<t>" + "办结".encode() + b"1" * 100_000, 1
        )
    elif kind == 4:
        data = re.sub(rb"<c ", b"<c " + b" ".join(b'a%d="1"' % i for i in range(5000)) + b" ", data, count=1)
    else:
        data = data.replace(b"</sheetData>", b"<row>" + b'<c t="n"><v>1</v></c>' * 20_000 + b"</row></sheetData>")
    new = dict(parts)
    new[name] = data
    return rezip(new)


def mixed(blob: bytes, parts: Parts, rng: random.Random) -> bytes:
    """Two XML-level mutations on top of each other."""
    a, b = rng.sample(XML_KINDS, 2)
    once = split(MUTATORS[a](blob, parts, rng))
    return MUTATORS[b](rezip(once), once, rng)


MUTATORS: dict[str, Callable[[bytes, Parts, random.Random], bytes]] = {
    "byte_flips": byte_flips,
    "truncate": truncate,
    "chop_tail": chop_tail,
    "stored_flips": stored_flips,
    "drop_part": drop_part,
    "cut_xml": cut_xml,
    "xml_byte_flips": xml_byte_flips,
    "rename_tags": rename_tags,
    "garble_attrs": garble_attrs,
    "garbage_values": garbage_values,
    "huge_refs": huge_refs,
    "shared_formula_junk": shared_formula_junk,
    "bad_string_index": bad_string_index,
    "garble_names": garble_names,
    "hostile_insert": hostile_insert,
    "mixed": mixed,
}
XML_KINDS = [
    "cut_xml",
    "xml_byte_flips",
    "rename_tags",
    "garble_attrs",
    "garbage_values",
    "huge_refs",
    "shared_formula_junk",
    "bad_string_index",
    "garble_names",
    "drop_part",
]


def mutants(blob: bytes, seed: int, count: int | None = None, start: int = 0):
    """Yield (index, kind, bytes) from index `start`: kinds in turn, so every kind gets its share.
    Mutant i depends only on (seed, i), so any one can be made again alone."""
    parts = split(blob)
    kinds = list(MUTATORS)
    i = start
    while count is None or i < start + count:
        rng = random.Random(f"{seed}:{i}")
        kind = kinds[i % len(kinds)]
        yield i, kind, MUTATORS[kind](blob, parts, rng)
        i += 1
