"""Adding notes to a unit's own .xlsx by adding parts to its zip package, not by re-saving it.

An openpyxl load-and-save rewrites every part and drops what openpyxl does not model
(some data validations, extensions, VML of its own, property types), so a unit would get
back a workbook that is no longer the one it sent. Here every part is copied as it was,
except the few this needs to touch, and those are only added to:

- each noted sheet's XML gets one `<legacyDrawing>` element and, on highlighted cells, a new
  style index (a copy of the cell's own format with a fill: number format, font, border and
  protection stay); a blank cell with no `<c>` element gets an empty one;
- `xl/styles.xml` gets fills and cell formats appended (existing indexes keep their meaning);
- new parts: a comments part and a VML drawing per sheet, the added sheet, their relationships;
- `[Content_Types].xml`, `xl/workbook.xml` and its relationships get entries for the new parts;
- optionally one custom document property is extended (the workbook's own declaration of
  sheets another gktool command added, so the copy does not warn about its extra sheet).

The package is opened through gktool's reader guards (size, ratio, part names) first, and
XML is parsed by lxml with entities and network access off.
"""

from __future__ import annotations

import copy
import re
import shutil
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from lxml import etree

from ..cells import cell_name, parse_cell
from ..errors import GkError
from ..fsutil import shown_path
from ..readers.ooxml import MAX_PART_BYTES, preflight

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_COMMENTS = f"{REL_NS}/comments"
REL_VML = f"{REL_NS}/vmlDrawing"
REL_SHEET = f"{REL_NS}/worksheet"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# pink as Excel's own "bad" cells; orange for warnings, as gktool's input cells are already light yellow
FILLS = {"error": "FFFFC7CE", "warning": "FFF8CBAD"}
AUTHOR = "gktool"
# Elements that follow <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order): it goes before the first.
_AFTER_LEGACY = (
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)
_CELL_RE = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _text(text: str) -> str:
    """Text for a cell or comment: characters XML cannot hold become spaces (a message may quote the unit's
    own text), and a literal "_x0041_" is escaped so Excel shows it as written; then XML-escaped."""
    return escape(_ESCAPED.sub(r"_x005F_\1", _NOT_XML.sub(" ", text)))


@dataclass(frozen=True)
class Note:
    """A note for one cell: the comment text and how bad it is ("error" or "warning")."""

    text: str
    severity: str


@dataclass(frozen=True)
class AddedSheet:
    """A sheet to append: its name, rows of text, column widths, and which rows to colour."""

    name: str
    rows: list[list[str]]
    widths: list[float]
    shaded: dict[int, str]  # row index -> "error" / "warning"
    header: int  # index of the header row (wrapped, shaded grey)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _xml(data: bytes, name: str, shown: str):
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        raise GkError(f"{shown}：文件已损坏，内部部件“{name}”不是有效的 XML，无法写入批注") from None


def _dump(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _resolve(base: str, target: str) -> str:
    """A relationship target as a path inside the zip, relative to the part `base`."""
    if target.startswith("/"):
        return target[1:]
    stack: list[str] = []
    for part in (str(PurePosixPath(base).parent / target)).split("/"):
        if part == "..":
            if stack:
                stack.pop()
        elif part and part != ".":
            stack.append(part)
    return "/".join(stack)


def _rels_name(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


def _relative(frm: str, to: str) -> str:
    """`to` as a target relative to the folder of part `frm`."""
    a, b = PurePosixPath(frm).parent.parts, PurePosixPath(to).parts
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return "/".join([".."] * (len(a) - i) + list(b[i:]))


class _Package:
    """The zip's parts by name, with the edits to write back."""

    def __init__(self, path: Path):
        self.shown = shown_path(path)
        self.zf = preflight(path)
        self.infos = self.zf.infolist()
        self.names = {i.filename for i in self.infos}
        self.read_cache: dict[str, bytes] = {}
        self.changed: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}
        if "[Content_Types].xml" not in self.names:
            raise GkError(f"{self.shown}：文件已损坏（缺少内容类型部件），无法写入批注，请重新获取原文件")
        self.content_types = self.tree("[Content_Types].xml")
        self.main = "xl/workbook.xml"  # the workbook part, as the package's root relationships name it
        for r in self.rels(""):
            if (r.get("Type") or "").endswith("/officeDocument"):
                self.main = _resolve("", r.get("Target") or "")
        if self.main not in self.names:
            raise GkError(f"{self.shown}：文件已损坏（缺少工作簿主体部件），无法写入批注，请重新获取原文件")

    def close(self) -> None:
        self.zf.close()

    def _read(self, name: str) -> bytes:
        """A part as stored, read with the reader's cap (only parts that are edited are read whole)."""
        if name not in self.read_cache:
            try:
                with self.zf.open(name) as fh:
                    data = fh.read(MAX_PART_BYTES + 1)
            except Exception:  # BadZipFile (CRC), zlib.error, ...: the reader met the same part without trouble
                raise GkError(f"{self.shown}：文件已损坏，内部部件“{name}”无法解压，请重新获取原文件") from None
            if len(data) > MAX_PART_BYTES:
                raise GkError(f"{self.shown}：文件内部部件“{name}”过大，无法写入批注")
            self.read_cache[name] = data
        return self.read_cache[name]

    def part(self, name: str) -> bytes | None:
        if name in self.added:
            return self.added[name]
        if name in self.changed:
            return self.changed[name]
        return self._read(name) if name in self.names else None

    def tree(self, name: str):
        data = self.part(name)
        return None if data is None else _xml(data, name, self.shown)

    def put(self, name: str, data: bytes) -> None:
        if name in self.names:
            self.changed[name] = data
        else:
            self.added[name] = data

    def free(self, pattern: str) -> str:
        """The first name `pattern.format(n)` (n = 1, 2, ...) not used in the package."""
        n = 1
        while pattern.format(n) in self.names or pattern.format(n) in self.added:
            n += 1
        return pattern.format(n)

    def rels(self, part: str):
        root = self.tree(_rels_name(part))
        if root is None:
            root = etree.Element(_q(PKG_REL_NS, "Relationships"), nsmap={None: PKG_REL_NS})
        return root

    def add_rel(self, rels, part: str, rel_type: str, target: str) -> str:
        """Append a relationship from `part` to the zip path `target`; its new id."""
        used = {r.get("Id") for r in rels}
        n = len(used) + 1
        while f"rId{n}" in used:
            n += 1
        rel = etree.SubElement(rels, _q(PKG_REL_NS, "Relationship"))
        rel.set("Id", f"rId{n}")
        rel.set("Type", rel_type)
        rel.set("Target", _relative(part, target))
        return f"rId{n}"

    def content_type(self, name: str, ctype: str) -> None:
        for o in self.content_types:
            if o.get("PartName") == "/" + name:
                return
        o = etree.SubElement(self.content_types, _q(CT_NS, "Override"))
        o.set("PartName", "/" + name)
        o.set("ContentType", ctype)

    def default_type(self, ext: str, ctype: str) -> None:
        for d in self.content_types:
            if etree.QName(d).localname == "Default" and (d.get("Extension") or "").lower() == ext:
                return
        d = etree.Element(_q(CT_NS, "Default"))
        d.set("Extension", ext)
        d.set("ContentType", ctype)
        self.content_types.insert(0, d)  # schema: Defaults may come in any order with Overrides

    def write(self, out: Path) -> None:
        self.put("[Content_Types].xml", _dump(self.content_types))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
            for info in self.infos:  # the original parts in their order, unchanged ones copied as a stream
                zi = zipfile.ZipInfo(info.filename, info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                if info.filename in self.changed:
                    zo.writestr(zi, self.changed[info.filename])
                    continue
                try:
                    with self.zf.open(info) as src, zo.open(zi, "w") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                except (zipfile.BadZipFile, zlib.error, EOFError):
                    raise GkError(
                        f"{self.shown}：文件已损坏，内部部件“{info.filename}”无法解压，请重新获取原文件"
                    ) from None
            for name, data in self.added.items():
                zi = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                zo.writestr(zi, data)


class _Styles:
    """Appends highlight fills and cell formats to xl/styles.xml (existing indexes untouched)."""

    def __init__(self, pkg: _Package, path: str | None):
        self.pkg, self.path = pkg, path
        self.root = pkg.tree(path) if path else None
        self.ns = etree.QName(self.root).namespace if self.root is not None else MAIN_NS
        self.fill_ids: dict[str, int] = {}
        self.xf_ids: dict[tuple[int, str], int] = {}
        self.plain: dict[str, int] = {}

    @property
    def usable(self) -> bool:
        return self.root is not None

    def _list(self, tag: str, before: tuple[str, ...]):
        found = self.root.find(_q(self.ns, tag))
        if found is None:
            found = etree.Element(_q(self.ns, tag))
            for i, child in enumerate(self.root):
                if etree.QName(child).localname in before:
                    self.root.insert(i, found)
                    break
            else:
                self.root.append(found)
        return found

    def _append(self, container, elem) -> int:
        container.append(elem)
        n = len([c for c in container if isinstance(c.tag, str)])
        container.set("count", str(n))
        return n - 1

    def _fill(self, colour: str) -> int:
        if colour not in self.fill_ids:
            fills = self._list("fills", ("borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles"))
            if not len(fills):  # Excel requires the two reserved fills first
                for kind in ("none", "gray125"):
                    f = etree.SubElement(fills, _q(self.ns, "fill"))
                    etree.SubElement(f, _q(self.ns, "patternFill")).set("patternType", kind)
                fills.set("count", "2")
            fill = etree.Element(_q(self.ns, "fill"))
            pattern = etree.SubElement(fill, _q(self.ns, "patternFill"))
            pattern.set("patternType", "solid")
            etree.SubElement(pattern, _q(self.ns, "fgColor")).set("rgb", colour)
            etree.SubElement(pattern, _q(self.ns, "bgColor")).set("indexed", "64")
            self.fill_ids[colour] = self._append(fills, fill)
        return self.fill_ids[colour]

    def _xfs(self):
        xfs = self._list("cellXfs", ("cellStyles", "dxfs", "tableStyles", "colors", "extLst"))
        if not len(xfs):
            etree.SubElement(xfs, _q(self.ns, "xf")).attrib.update(
                {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0", "xfId": "0"}
            )
            xfs.set("count", "1")
        return xfs

    def highlighted(self, style: int, severity: str) -> int:
        """A format like `style` (number format, font, border, protection) with the severity's fill."""
        key = (style, severity)
        if key not in self.xf_ids:
            xfs = self._xfs()
            items = [c for c in xfs if isinstance(c.tag, str)]
            base = items[style] if 0 <= style < len(items) else items[0]
            xf = copy.deepcopy(base)
            xf.set("fillId", str(self._fill(FILLS[severity])))
            xf.set("applyFill", "1")
            self.xf_ids[key] = self._append(xfs, xf)
        return self.xf_ids[key]

    def plain_format(self, kind: str, wrap: bool) -> int:
        """Formats for the added sheet: text at the top of the cell, wrapped or not, optionally shaded."""
        if (kind, wrap) not in self.plain:
            xf = etree.Element(_q(self.ns, "xf"))
            fill = self._fill({"grey": "FFD9D9D9", **FILLS}[kind]) if kind != "text" else 0
            xf.attrib.update(
                {
                    "numFmtId": "0",
                    "fontId": "0",
                    "fillId": str(fill),
                    "borderId": "0",
                    "xfId": "0",
                    "applyAlignment": "1",
                }
            )
            if fill:
                xf.set("applyFill", "1")
            al = etree.SubElement(xf, _q(self.ns, "alignment"))
            if wrap:
                al.set("wrapText", "1")
            al.set("vertical", "top")
            self.plain[(kind, wrap)] = self._append(self._xfs(), xf)
        return self.plain[(kind, wrap)]

    def save(self) -> None:
        if self.root is not None and (self.fill_ids or self.xf_ids or self.plain):
            self.pkg.put(self.path, _dump(self.root))


def _col_row(ref: str) -> tuple[int, int]:
    """'D27' -> (3, 26): 0-based column and row, as VML anchors count them."""
    row, col = parse_cell(ref)
    return col - 1, row - 1


class _Sheet:
    """One worksheet's XML with its cells by position, for inserting and restyling."""

    def __init__(self, root):
        self.root = root
        self.ns = etree.QName(root).namespace
        self.data = root.find(_q(self.ns, "sheetData"))
        if self.data is None:
            raise ValueError("sheetData")

    def cell(self, ref: str):
        """The `<c>` element for `ref`, inserted (empty) in order if the sheet has none."""
        col, row = _col_row(ref)
        rows = [r for r in self.data if isinstance(r.tag, str) and etree.QName(r).localname == "row"]
        number = 0
        target = None
        for r in rows:
            number = int(r.get("r")) if (r.get("r") or "").isdigit() else number + 1
            if number == row + 1:
                target = r
                break
            if number > row + 1:
                target = etree.Element(_q(self.ns, "row"))
                target.set("r", str(row + 1))
                r.addprevious(target)
                break
        if target is None:
            target = etree.SubElement(self.data, _q(self.ns, "row"))
            target.set("r", str(row + 1))
        index = -1
        for c in target:
            if not isinstance(c.tag, str) or etree.QName(c).localname != "c":
                continue
            r = c.get("r")
            index = _col_row(r)[0] if r and _CELL_RE.fullmatch(r) else index + 1
            if index == col:
                return c
            if index > col:
                new = etree.Element(_q(self.ns, "c"))
                new.set("r", ref)
                c.addprevious(new)
                return new
        new = etree.Element(_q(self.ns, "c"))
        new.set("r", ref)
        ext = [c for c in target if isinstance(c.tag, str) and etree.QName(c).localname == "extLst"]
        if ext:
            ext[0].addprevious(new)
        else:
            target.append(new)
        return new

    def legacy_drawing(self) -> str | None:
        found = self.root.find(_q(self.ns, "legacyDrawing"))
        return None if found is None else found.get(_q(REL_NS, "id"))

    def add_legacy_drawing(self, rid: str) -> None:
        elem = etree.Element(_q(self.ns, "legacyDrawing"))
        elem.set(_q(REL_NS, "id"), rid)
        for child in self.root:
            if isinstance(child.tag, str) and etree.QName(child).localname in _AFTER_LEGACY:
                child.addprevious(elem)
                return
        self.root.append(elem)


def _comments_xml(notes: dict[str, Note]) -> bytes:
    items = []
    for ref, note in notes.items():
        items.append(
            f'<comment ref="{ref}" authorId="0"><text><r><rPr><sz val="9"/><rFont val="宋体"/><charset val="134"/></rPr>'
            f'<t xml:space="preserve">{_text(note.text)}</t></r></text></comment>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{MAIN_NS}"><authors><author>{AUTHOR}</author></authors>'
        f"<commentList>{''.join(items)}</commentList></comments>"
    ).encode()


def _shape(shape_id: int, ref: str, text: str, z: int) -> str:
    col, row = _col_row(ref)
    lines = min(30, 2 + sum(len(line) // 18 + 1 for line in text.split("\n")))  # ~18 Chinese characters a line
    # Anchor: from (col+1, row) to (col+5, row+lines): the box opens to the right of the cell, like Excel's own
    anchor = f"{col + 1}, 15, {row}, 10, {col + 5}, 15, {row + lines}, 4"
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
        f'margin-top:1.5pt;width:240pt;height:{lines * 13}pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" '
        'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
        '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row>"
        f"<x:Column>{col}</x:Column></x:ClientData></v:shape>"
    )


def _vml(idmap: int, notes: dict[str, Note]) -> bytes:
    shapes = "".join(_shape(idmap * 1024 + i + 1, ref, n.text, i + 1) for i, (ref, n) in enumerate(notes.items()))
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" '
        'o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f"{shapes}</xml>"
    ).encode()


def _inline(ref: str, text: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_text(text)}</t></is></c>'


def _width(text: str) -> int:
    """Column-width units a line of text takes (a Chinese character about two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def text_lines(values: list[str], widths: list[float]) -> int:
    """How many lines the tallest cell of a row of wrapped text needs at these column widths."""
    return max([1] + [-(-_width(v) // max(1, int(widths[c]) - 1)) for c, v in enumerate(values) if c < len(widths)])


def _added_sheet_xml(sheet: AddedSheet, styles: _Styles) -> bytes:
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths)
    )
    rows = []
    for r, values in enumerate(sheet.rows):
        kind = "grey" if r == sheet.header else sheet.shaded.get(r, "text")
        wrap = r >= sheet.header  # the lines above the list run across the columns instead
        style = styles.plain_format(kind, wrap) if styles.usable else 0
        cells = "".join(_inline(cell_name(r + 1, c + 1), v, style) for c, v in enumerate(values) if v != "")
        # viewers do not grow a row for wrapped text on opening (LibreOffice keeps 15 pt): give the height
        height = f' ht="{15 * text_lines(values, sheet.widths)}" customHeight="1"' if wrap else ""
        rows.append(f'<row r="{r + 1}"{height}>{cells}</row>')
    pane = (
        f'<pane ySplit="{sheet.header + 1}" topLeftCell="A{sheet.header + 2}" activePane="bottomLeft" state="frozen"/>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView workbookViewId="0">{pane}'
        f'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f'<sheetData>{"".join(rows)}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        'header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToHeight="0"/></worksheet>'
    ).encode()


def _sheets(pkg: _Package) -> list[tuple[str, str]]:
    wb_rels = pkg.rels(pkg.main)
    targets = {r.get("Id"): _resolve(pkg.main, r.get("Target") or "") for r in wb_rels}
    root = pkg.tree(pkg.main)
    out = []
    sheets = root.find(_q(etree.QName(root).namespace, "sheets"))
    for s in sheets if sheets is not None else []:
        rid = s.get(_q(REL_NS, "id"))
        if rid in targets:
            out.append((s.get("name"), targets[rid]))
    return out


def _existing_notes(pkg: _Package, part: str) -> set[str]:
    """Cells of `part` that already have a comment (the unit's own: never replaced)."""
    rels = pkg.rels(part)
    for r in rels:
        if r.get("Type") == REL_COMMENTS:
            root = pkg.tree(_resolve(part, r.get("Target") or ""))
            if root is not None:
                return {
                    c.get("ref")
                    for c in root.iter()
                    if isinstance(c.tag, str) and etree.QName(c).localname == "comment"
                }
    return set()


def _custom_property(pkg: _Package, name: str, add: str) -> None:
    """Append `add` to the comma-separated text property `name` (created if missing)."""
    path = "docProps/custom.xml"
    vt = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    cp = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
    root = pkg.tree(path)
    if root is None:
        root = etree.Element(_q(cp, "Properties"), nsmap={None: cp, "vt": vt})
        pkg.content_type(path, "application/vnd.openxmlformats-officedocument.custom-properties+xml")
        rels = pkg.rels("")
        pkg.add_rel(rels, "", f"{REL_NS}/custom-properties", path)
        pkg.put("_rels/.rels", _dump(rels))
    for prop in root:
        if isinstance(prop.tag, str) and prop.get("name") == name:
            value = prop[0] if len(prop) else etree.SubElement(prop, _q(vt, "lpwstr"))
            items = [v for v in (value.text or "").split(",") if v]
            if add not in items:
                value.text = ",".join([*items, add])
            break
    else:
        pids = [int(p.get("pid")) for p in root if isinstance(p.tag, str) and (p.get("pid") or "").isdigit()]
        prop = etree.SubElement(root, _q(cp, "property"))
        prop.set("fmtid", "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}")
        prop.set("pid", str(max(pids, default=1) + 1))
        prop.set("name", name)
        etree.SubElement(prop, _q(vt, "lpwstr")).text = add
    pkg.put(path, _dump(root))


def annotate_package(
    src: str | Path,
    out: str | Path,
    notes_for: Callable[[list[str]], dict[str, dict[str, Note]]],
    sheet_for: Callable[[list[str], dict[str, set[str]]], AddedSheet],
    declare_property: str | None = None,
) -> dict[str, set[str]]:
    """Write `src` to `out` with notes as highlighted, commented cells and an added last sheet.

    `notes_for(sheet names)` gives the notes (sheet name -> cell -> note); `sheet_for(sheet names,
    cells that could not take a note by sheet)` gives the added sheet, so it can list what is not on
    a cell. Returns those cells. Nothing else in the package changes."""
    pkg = _Package(Path(src))
    try:
        return _annotate(pkg, Path(out), notes_for, sheet_for, declare_property)
    finally:
        pkg.close()


def _annotate(pkg: _Package, out: Path, notes_for, sheet_for, declare_property: str | None) -> dict[str, set[str]]:
    ordered = _sheets(pkg)
    sheets = dict(ordered)
    notes = notes_for([name for name, _ in ordered])
    styles_path = None
    wb_rels = pkg.rels(pkg.main)
    for r in wb_rels:
        if (r.get("Type") or "").endswith("/styles"):
            styles_path = _resolve(pkg.main, r.get("Target") or "")
    styles = _Styles(pkg, styles_path)
    skipped: dict[str, set[str]] = {}
    idmaps = {  # VML shape ids are numbered per drawing from its idmap: new drawings take unused ones
        int(m)
        for name in pkg.names
        if name.lower().endswith(".vml")
        for m in re.findall(rb'<o:idmap[^>]*data="([0-9]+)', pkg.part(name)[:4096])
    }
    idmap = max(idmaps, default=0) + 1
    for sheet_name, cells in notes.items():
        part = sheets.get(sheet_name)
        root = pkg.tree(part) if part else None
        if root is None or not part.startswith("xl/") or etree.QName(root).localname != "worksheet":
            skipped[sheet_name] = set(cells)  # a chartsheet or a missing part: nothing to write on
            continue
        try:
            sheet = _Sheet(root)
        except ValueError:
            skipped[sheet_name] = set(cells)
            continue
        if sheet.legacy_drawing() is not None:
            # The sheet already has comments or form controls of the unit's own: they are left alone, and the
            # findings for this sheet go on the added sheet (merging into another tool's VML risks breaking it).
            skipped[sheet_name] = set(cells)
            continue
        mine = {ref: note for ref, note in cells.items() if ref not in _existing_notes(pkg, part)}
        skipped[sheet_name] = set(cells) - set(mine)
        if not mine:
            continue
        for ref, note in mine.items():
            if styles.usable:
                c = sheet.cell(ref)
                c.set("s", str(styles.highlighted(int(c.get("s") or 0), note.severity)))
        comments = pkg.free("xl/comments{}.xml")
        vml = pkg.free("xl/drawings/vmlDrawing{}.vml")
        pkg.put(comments, _comments_xml(mine))
        pkg.put(vml, _vml(idmap, mine))
        idmap += max(1, (len(mine) + 1) // 1024 + 1)
        rels = pkg.rels(part)
        rid = pkg.add_rel(rels, part, REL_VML, vml)
        pkg.add_rel(rels, part, REL_COMMENTS, comments)
        sheet.add_legacy_drawing(rid)
        pkg.put(_rels_name(part), _dump(rels))
        pkg.put(part, _dump(root))
        pkg.content_type(comments, CT_COMMENTS)
        pkg.default_type("vml", CT_VML)
    skipped = {k: v for k, v in skipped.items() if v}
    added = sheet_for([name for name, _ in ordered], skipped)
    # the added sheet, last, so sheet indexes (defined names' localSheetId, the active tab) keep their meaning
    part = pkg.free("xl/worksheets/sheet{}.xml")
    pkg.put(part, _added_sheet_xml(added, styles))
    pkg.content_type(part, CT_SHEET)
    rid = pkg.add_rel(wb_rels, pkg.main, REL_SHEET, part)
    pkg.put(_rels_name(pkg.main), _dump(wb_rels))
    wb = pkg.tree(pkg.main)
    ns = etree.QName(wb).namespace
    sheets_elem = wb.find(_q(ns, "sheets"))
    ids = [int(s.get("sheetId")) for s in sheets_elem if (s.get("sheetId") or "").isdigit()]
    new = etree.SubElement(sheets_elem, _q(ns, "sheet"))
    new.set("name", added.name)
    new.set("sheetId", str(max(ids, default=0) + 1))
    new.set(_q(REL_NS, "id"), rid)
    pkg.put(pkg.main, _dump(wb))
    if declare_property:
        _custom_property(pkg, declare_property, added.name)
    styles.save()
    pkg.write(out)
    return skipped
