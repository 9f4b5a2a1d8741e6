"""PDFs made the ways people make them of a report: a browser's print of the web page, an office suite's
export at another paper size, pages stored turned (/Rotate) or with a crop box. Used by the tests (a few
small variants) and by bench/extract_accuracy_pdf.py (many)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# (name, @page CSS, zoom): paper sizes and zooms a browser is set to, so page breaks fall on many rows
PRINTS = [
    ("a4", "size: A4; margin: 15mm", 1.0),
    ("a5", "size: A5; margin: 10mm", 1.0),
    ("letter", "size: letter; margin: 0.5in", 1.0),
    ("b5-zoom80", "size: B5; margin: 12mm", 0.8),
    ("a4-landscape", "size: A4 landscape; margin: 10mm", 1.0),
    ("a4-zoom125", "size: A4; margin: 20mm", 1.25),
    ("a6-zoom70", "size: 105mm 148mm; margin: 6mm", 0.7),  # Chromium knows no "A6" keyword
]


def chromium_available() -> bool:
    """Whether a chromium binary is installed (the print tests skip without it)."""
    return CHROMIUM is not None


def with_print_css(html: bytes, page_css: str, zoom: float) -> bytes:
    """The page with an injected @page rule and zoom (ASCII, so any declared encoding keeps it)."""
    style = f"<style>@page {{ {page_css} }} html {{ zoom: {zoom}; }}</style>".encode()
    low = html.lower()
    at = low.find(b"<head>")
    if at < 0:
        return style + html
    at += len(b"<head>")
    return html[:at] + style + html[at:]


def chromium_print(html_path: Path, out: Path, page_css: str, zoom: float = 1.0, header_footer: bool = True) -> Path:
    """Print a saved page to PDF with headless Chromium, as Ctrl+P "Save as PDF" does (date/title/URL/page
    number in the margins unless header_footer is False)."""
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / ("page" + Path(html_path).suffix)
        page.write_bytes(with_print_css(Path(html_path).read_bytes(), page_css, zoom))
        cmd = [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}",
        ]
        if not header_footer:
            cmd.append("--no-pdf-header-footer")
        subprocess.run(cmd + [page.as_uri()], capture_output=True, timeout=120, check=True)
    if not out.exists():
        raise RuntimeError(f"chromium did not print {html_path}")
    return out


def docx_page_setup(src: Path, dst: Path, width_mm: float, height_mm: float, margin_mm: float) -> Path:
    """A copy of a .docx with another paper size and margins on every section."""
    from docx import Document
    from docx.shared import Mm

    doc = Document(str(src))
    for s in doc.sections:
        s.page_width, s.page_height = Mm(width_mm), Mm(height_mm)
        s.left_margin = s.right_margin = s.top_margin = s.bottom_margin = Mm(margin_mm)
    doc.save(str(dst))
    return dst


def rotated_copy(src: Path, dst: Path, angle: int, pages: set[int] | None = None) -> Path:
    """Pages stored turned: the content drawn rotated by -angle, then /Rotate angle, so each page looks as
    before. pages: 0-based pages to turn (all when None)."""
    from pypdf import PdfWriter, Transformation
    from pypdf.generic import RectangleObject

    writer = PdfWriter(clone_from=str(src))
    for i, page in enumerate(writer.pages):
        if pages is None or i in pages:
            box = page.mediabox
            x0, y0, w, h = float(box.left), float(box.bottom), float(box.width), float(box.height)
            page.add_transformation(Transformation().translate(-x0, -y0))
            if angle == 90:  # (x, y) -> (h - y, x) on an h x w sheet; turned clockwise it is (x, y) again
                t, size = Transformation().rotate(90).translate(h, 0), (h, w)
            elif angle == 180:
                t, size = Transformation().rotate(180).translate(w, h), (w, h)
            else:  # 270
                t, size = Transformation().rotate(270).translate(0, w), (h, w)
            page.add_transformation(t)
            page.mediabox = RectangleObject([0, 0, *size])
            page.cropbox = RectangleObject([0, 0, *size])
            page.rotation = angle
    with open(dst, "wb") as fh:
        writer.write(fh)
    return dst


def cropped_copy(src: Path, dst: Path, pad: float = 60.0, grow_every_other: float = 0.0) -> Path:
    """Each page on a larger MediaBox with a CropBox the size of the old page (content moved to match); every
    other page grow_every_other points wider and taller (another paper size, content at the same place from
    its top left), so one file holds pages of different sizes."""
    from pypdf import PdfWriter, Transformation
    from pypdf.generic import RectangleObject

    writer = PdfWriter(clone_from=str(src))
    for i, page in enumerate(writer.pages):
        box = page.mediabox
        x0, y0, w, h = float(box.left), float(box.bottom), float(box.width), float(box.height)
        g = grow_every_other if i % 2 == 1 else 0.0
        page.add_transformation(Transformation().translate(-x0 + pad, -y0 + pad + g))
        page.mediabox = RectangleObject([0, 0, w + g + 2 * pad, h + g + 2 * pad])
        page.cropbox = RectangleObject([pad, pad, pad + w + g, pad + h + g])
    with open(dst, "wb") as fh:
        writer.write(fh)
    return dst
