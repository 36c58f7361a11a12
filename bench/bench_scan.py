"""Measure reading scanned stacks: ``scan.iter_pages`` next to zxing-cpp alone, same pages.

Run from the repository root with the project's virtualenv:

    python bench/bench_scan.py [--pages 40] [--dpi 200] [--repeat 3]

The script prints pages of annual forms (a print batch of ``--pages / 4``
employees) with pdfium at ``--dpi``, turns a quarter of them upside down and
a few a quarter turn, and saves them as a scanner does: an image-only PDF
(JPEG pages) and a black-and-white multi-page TIFF (CCITT Group 4). It then
times, in the same run and on the same pages (best of ``--repeat``):

- ``iter_pages`` on the PDF and on the TIFF at ``--dpi``: pages per second,
  everything included (drawing or decoding, finding the code, turning the
  page upright, the blank-page test);
- pdfium alone drawing the PDF's pages at ``--dpi`` (the floor for a PDF);
- zxing-cpp alone on those drawn pages, the whole page each time
  (``read_barcodes`` with its defaults, QR codes only): what reading the
  codes costs without the corner-first search.

It exits with 1 when a page's code is not found (a fast read that misses
codes proves nothing), else 0: a benchmark for maintainers, not a test.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image

from entretien_forms.forms import campaign_context, load_catalog, prefill_values
from entretien_forms.forms.model import Identity
from entretien_forms.inbox.scan import group_forms, iter_pages
from entretien_forms.render.pdf import PdfTemplate, write_print_batch
from entretien_forms.roster import Employee

TODAY = date(2026, 11, 26)
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def print_batch(forms: int) -> bytes:
    """The print batch of ``forms`` annual forms (4 pages each)."""
    context = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
    employee = Employee(
        matricule="S004",
        nom="Lefèvre",
        prenom="Éloïse",
        date_entree=date(2019, 3, 4),
        poste="Commerciale sédentaire",
        row=5,
        service="Ventes",
    )
    definition = load_catalog(None).for_kind("annuel", None)
    template = PdfTemplate.compile(definition.layout("commercial", context))
    values = prefill_values(definition, employee, None, context, TODAY)
    entries = []
    for number in range(1, forms + 1):
        identity = Identity(
            reference=f"EA-2026-{number:05d}",
            form_id="entretien-annuel",
            form_version="2026.1",
            kind="annuel",
            campaign="2026",
            matricule="S004",
            employee_name="Éloïse Lefèvre",
            manager_name="Claire Martin",
            company="Horizon SAS",
            signature="0f" * 32,
            issued_on=TODAY,
        )
        entries.append((template, identity, values))
    target = io.BytesIO()
    write_print_batch(iter(entries), target)
    return target.getvalue()


def scanned_sheets(pdf: bytes, dpi: int) -> list[Image.Image]:
    """The printed pages as a scanner gives them back: grey, some upside down or sideways."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()
    for index in range(0, len(pages), 4):
        pages[index] = pages[index].rotate(180)
    for index in range(2, len(pages), 10):
        pages[index] = pages[index].rotate(90, expand=True)
    return pages


def as_pdf(images: list[Image.Image], dpi: int) -> bytes:
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def as_tiff(images: list[Image.Image], dpi: int) -> bytes:
    bilevel = [image.convert("1", dither=Image.Dither.NONE) for image in images]
    buffer = io.BytesIO()
    bilevel[0].save(
        buffer,
        "TIFF",
        save_all=True,
        append_images=bilevel[1:],
        compression="group4",
        dpi=(dpi, dpi),
    )
    return buffer.getvalue()


def best(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """The best wall time of ``repeat`` runs, and what the last run returned."""
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def drawn_pages(pdf: bytes, dpi: int) -> list[np.ndarray]:
    """Every page drawn by pdfium into a grey bitmap, as ``scan.py`` asks (no time checks)."""
    document = pdfium.PdfDocument(pdf)
    drawn = []
    try:
        for page in document:
            width, height = (round(side * dpi / 72) for side in page.get_size())
            bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray)
            pdfium_c.FPDFBitmap_FillRect(bitmap.raw, 0, 0, width, height, 0xFFFFFFFF)
            flags = pdfium_c.FPDF_ANNOT
            pdfium_c.FPDF_RenderPageBitmap(bitmap.raw, page.raw, 0, 0, width, height, 0, flags)
            drawn.append(bitmap.to_numpy())
            bitmap.close()
            page.close()
    finally:
        document.close()
    return drawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=40, help="pages of the stack (4 a form)")
    parser.add_argument("--dpi", type=int, default=200, help="scan and reading resolution")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (best kept)")
    options = parser.parse_args()
    forms = max(1, options.pages // 4)
    sheets = scanned_sheets(print_batch(forms), options.dpi)
    pdf, tiff = as_pdf(sheets, options.dpi), as_tiff(sheets, options.dpi)
    pages = len(sheets)
    sizes = f"PDF {len(pdf) / 1e6:.1f} MB, TIFF {len(tiff) / 1e6:.1f} MB"
    print(f"{pages} pages at {options.dpi} dpi: {sizes}")

    failures = 0

    def read(data: bytes, format: str) -> Callable[[], int]:
        def run() -> int:
            found = [p.without_image() for p in iter_pages(data, "bench", format, dpi=options.dpi)]  # type: ignore[arg-type]
            result = group_forms(found)
            return sum(len(form.file_pages) for form in result.forms)

        return run

    rows = []
    for label, data, format in (
        ("iter_pages, PDF", pdf, "pdf"),
        ("iter_pages, TIFF", tiff, "image"),
    ):
        seconds, read_pages = best(options.repeat, read(data, format))
        failures += pages - read_pages
        rows.append((label, seconds, read_pages))

    seconds, drawn = best(options.repeat, lambda: len(drawn_pages(pdf, options.dpi)))
    rows.append(("pdfium alone (drawing)", seconds, drawn))
    images = drawn_pages(pdf, options.dpi)

    def zxing_alone() -> int:
        return sum(1 for image in images if zxingcpp.read_barcodes(image, formats=_QR))

    seconds, coded = best(options.repeat, zxing_alone)
    failures += pages - coded
    rows.append(("zxing-cpp alone (whole page)", seconds, coded))

    print(f"{'':32} {'seconds':>8} {'pages/s':>8} {'codes':>6}")
    for label, seconds, found in rows:
        print(f"{label:32} {seconds:8.3f} {pages / seconds:8.1f} {found:>6}")
    # What iter_pages costs beyond drawing (measuring, corners first, turning, the
    # blank test), as a ratio: the difference is within the noise of a shared machine.
    print(
        f"iter_pages / pdfium alone: {rows[0][1] / rows[2][1]:.2f}; zxing alone: "
        f"{rows[3][1] / pages * 1000:.2f} ms a page"
    )
    if failures:
        print(f"{failures} codes not found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
