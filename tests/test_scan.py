"""Scans of paper forms: stacks of several employees' forms, in any order and any way up.

Fixtures are our own forms: a print batch rendered with ``PdfTemplate`` and
drawn to greyscale images with pdfium, as a scanner gives them back. Stacks
are built from those pages (shuffled, some turned a half or a quarter, blank
backs and a separator sheet between them, a page missing, a page twice) and
saved the ways scanners save: a PDF of images, a multi-page TIFF, one JPEG or
PNG per page. Hostile files (a page slow to draw, a PNG declaring 400 million
pixels) are built in code too.
"""

from __future__ import annotations

import io
import random
import struct
import time
import zlib
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from factories import TODAY
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.forms import campaign_context, load_catalog, prefill_values
from entretien_forms.forms.model import FormValues, Identity
from entretien_forms.inbox import scan
from entretien_forms.inbox.preflight import examine
from entretien_forms.inbox.scan import (
    ScanFormat,
    ScannedForm,
    ScanPage,
    group_forms,
    iter_pages,
    note,
    page_image,
)
from entretien_forms.render.pdf import PdfTemplate, write_print_batch
from entretien_forms.render.qr import qr_payload, qr_png
from entretien_forms.roster import Employee

CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
EMPLOYEE = Employee(
    matricule="S004",
    nom="Lefèvre",
    prenom="Éloïse",
    date_entree=date(2019, 3, 4),
    poste="Commerciale sédentaire",
    row=5,
    service="Ventes",
    extra={"CA réalisé": 125000},
)
DPI = 150  # the scanner's resolution in most fixtures: the lowest we advise
FIRST, SECOND, THIRD = "EA-2026-00101", "EA-2026-00102", "EA-2026-00103"
# A team's stack, as HR fed it to the scanner: (reference, page, quarter turns the
# sheet went through counterclockwise), a blank back, a separator sheet. Page 3 of
# THIRD and page 4 of SECOND never made it; page 2 of SECOND went through twice.
STACK: tuple[tuple[str, int, int] | str, ...] = (
    (FIRST, 1, 0),
    (FIRST, 2, 2),  # upside down
    (SECOND, 3, 0),
    "blank",
    (FIRST, 4, 0),
    "separator",
    (SECOND, 1, 1),  # a quarter turn counterclockwise
    (FIRST, 3, 0),
    (SECOND, 2, 0),
    (THIRD, 2, 3),  # a quarter turn clockwise
    (THIRD, 1, 0),
    (SECOND, 2, 0),
    (THIRD, 4, 2),
    "blank",
)


# --------------------------------------------------------------------------- fixtures


@cache
def _annual() -> tuple[PdfTemplate, FormValues]:
    definition = load_catalog(None).for_kind("annuel", None)
    layout = definition.layout("commercial", CONTEXT)
    return PdfTemplate.compile(layout), prefill_values(definition, EMPLOYEE, None, CONTEXT, TODAY)


def _identity(reference: str) -> Identity:
    return Identity(
        reference=reference,
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


@cache
def _printed(references: tuple[str, ...]) -> bytes:
    """The print batch of the annual forms of ``references``: what managers print."""
    template, values = _annual()
    target = io.BytesIO()
    write_print_batch(iter([(template, _identity(r), values) for r in references]), target)
    return target.getvalue()


def _drawn(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page of ``pdf`` as a greyscale image, as a scanner sees the printed sheet."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


@cache
def _sheets(dpi: int = DPI) -> dict[tuple[str, int], Image.Image]:
    """Each printed page of the three forms, scanned upright, by (reference, page)."""
    pages = _drawn(_printed((FIRST, SECOND, THIRD)), dpi)
    return {(ref, n): pages[i * 4 + n - 1] for i, ref in enumerate((FIRST, SECOND, THIRD)) for n in range(1, 5)}  # fmt: skip


def _blank(size: tuple[int, int]) -> Image.Image:
    """A blank back, with the dust and the speck of toner a real scan has."""
    page = Image.new("L", size, 250)
    draw = ImageDraw.Draw(page)
    chance = random.Random(3)
    for _ in range(40):
        x, y = chance.randrange(size[0]), chance.randrange(size[1])
        draw.point((x, y), fill=chance.randrange(60, 200))
    draw.ellipse((300, 400, 303, 403), fill=40)
    return page


def _separator(size: tuple[int, int]) -> Image.Image:
    """The sheet HR slips between two teams: big letters, no code."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=size[0] // 9)
    draw.text((size[0] // 2, size[1] // 2), "SÉPARATEUR", fill=0, font=font, anchor="mm")
    return page


def _stack(dpi: int = DPI) -> list[Image.Image]:
    sheets = _sheets(dpi)
    size = sheets[FIRST, 1].size
    images = []
    for entry in STACK:
        if isinstance(entry, str):
            images.append(_blank(size) if entry == "blank" else _separator(size))
        else:
            reference, page, turns = entry
            images.append(sheets[reference, page].rotate(90 * turns, expand=True))
    return images


def _pdf_of_images(images: Sequence[Image.Image], dpi: int = DPI) -> bytes:
    """Images in an image-only PDF, as a scanner's "scan to PDF" writes (JPEG pages)."""
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=list(images[1:]), resolution=dpi)
    return buffer.getvalue()


def _tiff(images: Sequence[Image.Image], dpi: int = DPI) -> bytes:
    """A multi-page black-and-white TIFF (CCITT Group 4), as office scanners write."""
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


def _saved(image: Image.Image, kind: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


@cache
def _stack_pdf() -> bytes:
    return _pdf_of_images(_stack())


@cache
def _stack_tiff() -> bytes:
    return _tiff(_stack())


def _read(data: bytes, format: ScanFormat = "pdf", **options: Any) -> list[ScanPage]:
    return [page.without_image() for page in iter_pages(data, "lot.pdf", format, **options)]


def _page_with_code(payload: str, *, at: tuple[float, float] = (500, 760)) -> bytes:
    """One A4 PDF page with one QR code of ``payload`` (a Word form's code at the top right)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawImage(ImageReader(io.BytesIO(qr_png(payload, scale=4))), *at, width=57, height=57)
    page.drawString(72, 700, "Entretien professionnel")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _pdfium_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """A list that grows by one each time pdfium's function ``name`` is called."""
    calls: list[int] = []
    original = getattr(pdfium_c, name)

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(pdfium_c, name, counting)
    return calls


def _rejection(data: bytes, format: ScanFormat, name: str = "lot.pdf") -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        list(iter_pages(data, name, format))
    assert caught.value.reason.startswith(f"« {name} »") and caught.value.advice
    return caught.value


# --------------------------------------------------------------------------- stacks

EXPECTED_FORMS = (
    ScannedForm(FIRST, 4, {1: 1, 2: 2, 3: 8, 4: 5}, missing=(), repeated=()),
    ScannedForm(SECOND, 4, {1: 7, 2: 9, 3: 3}, missing=(4,), repeated=(2,), copies=(12,)),
    ScannedForm(THIRD, 4, {1: 11, 2: 10, 4: 13}, missing=(3,), repeated=()),
)
# Clockwise turn that stands each page of STACK upright (0 for a page without code).
EXPECTED_ROTATIONS = [0, 180, 0, 0, 0, 0, 90, 0, 0, 270, 0, 0, 180, 0]


@pytest.mark.parametrize("saved", ["pdf", "tiff"])
def test_a_shuffled_stack_of_three_employees_is_sorted_into_their_forms(saved: str) -> None:
    format: ScanFormat = "pdf" if saved == "pdf" else "image"
    pages = _read(_stack_pdf() if saved == "pdf" else _stack_tiff(), format)
    assert [page.index for page in pages] == list(range(1, 15))
    assert [page.rotation for page in pages] == EXPECTED_ROTATIONS
    result = group_forms(pages)
    assert result.forms == EXPECTED_FORMS
    assert (result.blank, result.unknown, result.unread, result.page_total) == (
        (4, 14),
        (6,),
        (),
        14,
    )
    assert [note(form) for form in result.forms] == [
        "Formulaire papier scanné, pages 1, 2, 5 et 8 du fichier : les 4 pages sont présentes ; saisissez les réponses.",
        "Formulaire papier scanné, pages 3, 7, 9 et 12 du fichier : page 4 sur 4 manquante ; page 2 scannée plusieurs fois (la première est retenue) ; demandez la page manquante au responsable, puis saisissez les réponses.",
        "Formulaire papier scanné, pages 10, 11 et 13 du fichier : page 3 sur 4 manquante ; demandez la page manquante au responsable, puis saisissez les réponses.",
    ]


def test_pages_come_upright_with_the_code_at_the_top_right() -> None:
    upright: dict[tuple[str, int | None], list[np.ndarray]] = {}
    for page in iter_pages(_stack_pdf(), "lot.pdf", "pdf"):
        assert page.image is not None and page.image.dtype == np.uint8
        assert not page.image.flags.writeable
        assert page.dpi == pytest.approx(200, abs=0.5)
        if page.reference is None:
            assert page.qr is None
            continue
        height, width = page.image.shape
        # Portrait A4 at 200 dpi, whatever the turn (to a pixel: the scan is 150 dpi).
        assert abs(width - 1654) <= 1 and abs(height - 2339) <= 1
        assert page.qr is not None and len(page.qr) == 4
        xs, ys = [x for x, _ in page.qr], [y for _, y in page.qr]
        assert min(xs) > width * 0.75 and max(ys) < height * 0.12  # top right, upright
        (top_left, top_right, *_) = page.qr
        assert top_left[0] < top_right[0]  # the code itself reads left to right
        upright.setdefault((page.reference, page.page), []).append(page.image)
    # A page turned upright is the sheet scanned upright, pixel for pixel (nearly: JPEG).
    for turned in ((FIRST, 2), (SECOND, 1), (THIRD, 2)):
        straight = _pdf_of_images([_sheets()[turned]])
        (page,) = iter_pages(straight, "page.pdf", "pdf")
        assert page.image is not None and page.rotation == 0
        difference = np.abs(upright[turned][0].astype(int) - page.image.astype(int))
        assert difference.mean() < 2


def test_page_image_draws_a_page_again_as_iter_pages_did() -> None:
    data = _stack_pdf()
    seen = {
        page.index: page for page in iter_pages(data, "lot.pdf", "pdf") if page.index in (2, 7, 10)
    }
    for index, page in seen.items():
        again = page_image(data, "pdf", index)
        assert page.image is not None and np.array_equal(again, page.image)
        assert np.array_equal(page_image(data, "pdf", index, rotation=page.rotation), page.image)
    tiff = _stack_tiff()
    (page,) = [p for p in iter_pages(tiff, "lot.tif", "image") if p.index == 13]
    assert page.image is not None and np.array_equal(page_image(tiff, "image", 13), page.image)


def test_jpeg_and_png_pages_are_read_and_turned() -> None:
    sheet = _drawn(_printed((FIRST,)), 400)[2]  # page 3, scanned at 400 dpi
    jpeg = _saved(sheet.rotate(180), "JPEG", quality=80, dpi=(400, 400))
    (page,) = iter_pages(jpeg, "page.jpg", "image")
    assert (page.reference, page.page, page.pages, page.rotation) == (FIRST, 3, 4, 180)
    assert page.dpi == pytest.approx(200)  # decoded at half size directly
    assert page.image is not None and page.image.shape == (2339, 1654)
    # A PNG without a declared resolution: guessed from an A4 page (150 dpi here).
    png = _saved(_sheets()[THIRD, 4].rotate(90, expand=True), "PNG")
    (page,) = iter_pages(png, "page.png", "image")
    assert (page.reference, page.page, page.rotation) == (THIRD, 4, 90)
    assert page.dpi == pytest.approx(150, abs=1)


def test_a_word_form_s_pages_join_by_their_reference_in_file_order() -> None:
    word = _page_with_code(qr_payload("EP-2026-00007"))
    with pikepdf.open(io.BytesIO(word)) as document:
        document.pages.extend([document.pages[0]] * 2)
        other = pikepdf.open(io.BytesIO(_page_with_code(qr_payload("EA-2026-00042", 1, 1))))
        document.pages.insert(1, other.pages[0])
        buffer = io.BytesIO()
        document.save(buffer)
        other.close()
    pages = _read(buffer.getvalue())
    assert [(p.reference, p.page) for p in pages] == [
        ("EP-2026-00007", None),
        ("EA-2026-00042", 1),
        ("EP-2026-00007", None),
        ("EP-2026-00007", None),
    ]
    word_form, pdf_form = group_forms(pages).forms
    assert word_form == ScannedForm("EP-2026-00007", None, {1: 1, 2: 3, 3: 4}, (), ())
    assert pdf_form == ScannedForm("EA-2026-00042", 1, {1: 2}, (), ())
    assert note(word_form) == (
        "Formulaire papier scanné, pages 1, 3 et 4 du fichier (imprimé depuis Word) : "
        "référence lue sur 3 pages ; saisissez les réponses."
    )
    assert note(pdf_form) == (
        "Formulaire papier scanné, page 2 du fichier : la page unique est présente ; "
        "saisissez les réponses."
    )


def test_a_48_page_stack_is_read_whole() -> None:
    references = tuple(f"EA-2026-{n:05d}" for n in range(201, 213))
    images = _drawn(_printed(references), DPI)
    chance = random.Random(48)
    chance.shuffle(images)
    pages = _read(_pdf_of_images(images), dpi=DPI)
    assert len(pages) == 48 and not any(page.unread for page in pages)
    result = group_forms(pages)
    assert sorted(form.reference for form in result.forms) == list(references)
    assert all(form.missing == () and len(form.file_pages) == 4 for form in result.forms)


# --------------------------------------------------------------------------- grouping alone


def _page(index: int, reference: str | None = None, page: int | None = None, **kw: Any) -> ScanPage:
    pages = kw.pop("pages", None if page is None else 3)
    return ScanPage(index, reference, page, pages, kw.pop("blank", False), 0, None, 200.0, **kw)


def test_grouping_names_what_is_missing_repeated_or_unnumbered() -> None:
    pages = [
        _page(1, "EA-2026-00001", 2),
        _page(2, blank=True),
        _page(3, "EA-2026-00001", 2),
        _page(4, "EA-2026-00001"),  # the bare reference on a page of a numbered form
        _page(5, unread="out_of_time"),
        _page(6),
        _page(7, "EA-2026-00001", 2),
    ]
    result = group_forms(pages)
    (form,) = result.forms
    assert form == ScannedForm(
        "EA-2026-00001", 3, {2: 1}, missing=(1, 3), repeated=(2,), copies=(3, 7), unnumbered=(4,)
    )
    assert form.file_indices == (1, 3, 4, 7)
    assert (result.blank, result.unknown, result.unread, result.page_total) == ((2,), (6,), (5,), 7)
    assert note(form) == (
        "Formulaire papier scanné, pages 1, 3, 4 et 7 du fichier : pages 1 et 3 sur 3 "
        "manquantes ; page 2 scannée plusieurs fois (la première est retenue) ; 1 page porte "
        "la référence sans numéro de page ; demandez les pages manquantes au responsable, puis "
        "saisissez les réponses."
    )


def test_pages_hold_no_pixels_once_kept() -> None:
    (page,) = iter_pages(_page_with_code(qr_payload("EA-2026-00042", 1, 2)), "p.pdf", "pdf")
    assert page.image is not None
    kept = page.without_image()
    assert kept.image is None and kept == page  # the image is not part of what a page is
    assert "image" not in repr(kept)


# --------------------------------------------------------------------------- hostile files


def _one_page(contents: bytes, **xobjects: Any) -> bytes:
    with pikepdf.new() as document:
        document.add_blank_page(page_size=(595.28, 841.89))
        page = document.pages[0].obj
        page.Contents = document.make_stream(contents)
        if xobjects:
            named = {f"/{name}": make(document) for name, make in xobjects.items()}
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(named))
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


def _joined(*pdfs: bytes) -> bytes:
    with pikepdf.new() as document:
        sources = [pikepdf.open(io.BytesIO(pdf)) for pdf in pdfs]
        for source in sources:
            document.pages.extend(source.pages)
        buffer = io.BytesIO()
        document.save(buffer)
        for source in sources:
            source.close()
    return buffer.getvalue()


@cache
def _curves() -> bytes:
    """2.6 MB of long stroked curves: within what pdfium may parse, but a minute to draw."""
    chance = random.Random(16)
    return _one_page(
        b"".join(
            b"%d %d m %d %d %d %d %d %d c S\n" % tuple(chance.randrange(800) for _ in range(8))
            for _ in range(60_000)
        )
    )


def test_a_page_slow_to_draw_is_abandoned_at_its_deadline_and_the_next_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scan, "PAGE_SECONDS", 0.5)
    data = _joined(_curves(), _page_with_code(qr_payload("EA-2026-00049", 2, 2)))
    start = time.monotonic()
    pages = _read(data)
    assert time.monotonic() - start < 10  # loosely: drawing the curves alone takes over 10 s
    assert [(p.unread, p.reference, p.page) for p in pages] == [
        ("out_of_time", None, None),
        (None, "EA-2026-00049", 2),
    ]
    assert group_forms(pages).unread == (1,)


def test_a_file_past_its_time_budget_is_not_drawn_further(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "FILE_SECONDS", 0.0)
    monkeypatch.setattr(scan, "SECONDS_PER_PAGE", 0.0)
    renders = _pdfium_calls(monkeypatch, "FPDF_RenderPageBitmap_Start")
    pages = _read(_stack_pdf())
    assert [page.unread for page in pages] == ["out_of_time"] * 14
    assert renders == []


def test_a_page_too_heavy_to_draw_is_skipped_without_being_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def small_form(document: pikepdf.Pdf) -> pikepdf.Stream:
        form = document.make_stream(b"".join(b"%d %d 2 2 re f\n" % (i, i) for i in range(20)))
        form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 50, 50]
        return form

    hostile = _one_page(b"/X Do\n" * 100_000, X=small_form)
    data = _joined(_page_with_code(qr_payload("EA-2026-00050", 1, 2)), hostile)
    loads = _pdfium_calls(monkeypatch, "FPDF_LoadPage")
    pages = _read(data)
    assert [(p.unread, p.reference) for p in pages] == [
        (None, "EA-2026-00050"),
        ("too_heavy", None),
    ]
    assert len(loads) == 1


def _png_header_only(width: int, height: int) -> bytes:
    """A 1-bit PNG of ``width`` × ``height`` white pixels, compressed row by row (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def test_a_png_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    bomb = _png_header_only(20_000, 20_000)  # 400 million pixels in 60 kB
    assert len(bomb) < 100_000
    for rejection in (_rejection(bomb, "image", "scan.png"), _preflight_rejection(bomb)):
        assert rejection.code == RejectionCode.TOO_LARGE
        assert "est une image démesurée (plus de 80 millions de pixels)" in rejection.reason
    # Under Pillow's own limit, over ours: refused from the size the header declares.
    large = _png_header_only(9_500, 9_000)
    rejection = _rejection(large, "image", "scan.png")
    assert rejection.reason == (
        "« scan.png » est une image démesurée (9500 × 9000 pixels, soit 86 millions) : une "
        "page scannée en compte au plus 80 millions (format A3 à 600 ppp), c'est un fichier "
        "piégé ou mal enregistré."
    )
    assert rejection.advice == (
        "Scannez de nouveau le formulaire en 200 à 300 ppp (dpi), en noir et blanc ou en "
        "niveaux de gris, puis déposez ce scan."
    )
    assert _preflight_rejection(large).reason.startswith("scan.png est une image démesurée (9500")


def _preflight_rejection(data: bytes) -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        examine(data, "scan.png")
    return caught.value


def test_an_image_is_weighed_from_its_header_for_the_heavy_files_gate() -> None:
    tiff = _stack_tiff()
    sniffed = examine(tiff, "lot.tif")
    width, height = _sheets()[FIRST, 1].size
    # The largest frame (a page turned a quarter is as large), decoded then made grey.
    assert (sniffed.format, sniffed.weight) == ("image", width * height * 2)
    assert examine(b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "f.png").weight == 28  # unreadable: its size


def test_a_stack_beyond_any_scanner_batch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "MAX_SCAN_PAGES", 10)
    stacks: tuple[tuple[bytes, ScanFormat], ...] = ((_stack_pdf(), "pdf"), (_stack_tiff(), "image"))
    for data, format in stacks:
        rejection = _rejection(data, format)
        assert rejection.reason == (
            "« lot.pdf » compte plus de 10 pages : bien plus qu'un lot de formulaires scannés."
        )
        assert rejection.code == RejectionCode.TOO_LARGE


def test_damaged_and_protected_files_are_refused_with_a_reason() -> None:
    scanned = _pdf_of_images(_stack()[:2])
    with pikepdf.open(io.BytesIO(scanned)) as document:
        buffer = io.BytesIO()
        document.save(buffer, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    locked = _rejection(buffer.getvalue(), "pdf")
    assert locked.reason == "« lot.pdf » est protégé par un mot de passe : il ne peut pas être lu."
    assert locked.code == RejectionCode.ENCRYPTED
    cut = _rejection(scanned[: len(scanned) // 2], "pdf")
    assert cut.code == RejectionCode.DAMAGED and "incomplet" in cut.reason
    tiff = _stack_tiff()
    broken = _rejection(tiff[: len(tiff) // 2], "image", "lot.tif")
    assert broken.reason == (
        "« lot.tif » est une image endommagée ou incomplète (ou d'un type non pris en charge) : "
        "elle ne peut pas être lue."
    )
    assert broken.code == RejectionCode.DAMAGED
    gif = _saved(Image.new("L", (10, 10)), "GIF")
    assert _rejection(gif, "image", "x.gif").code == RejectionCode.DAMAGED


@cache
def _small_images() -> tuple[bytes, ...]:
    """One small page saved as each format we read: the seeds of the mutations below."""
    sheet = _sheets()[FIRST, 1].reduce(2)
    return (
        _saved(sheet, "PNG"),
        _saved(sheet, "JPEG", quality=60),
        _tiff([sheet, sheet.rotate(180)]),
        _saved(sheet, "TIFF", compression="tiff_lzw", save_all=True, append_images=[sheet]),
    )


@pytest.mark.parametrize("seed", range(40))
def test_any_damaged_image_gives_pages_or_a_rejection(seed: int) -> None:
    chance = random.Random(seed)
    data = bytearray(chance.choice(_small_images()))
    if seed % 2:
        for _ in range(chance.randint(1, 20)):
            data[chance.randrange(8, len(data))] = chance.randrange(256)  # the signature kept
    else:
        start = chance.randrange(8, len(data))
        del data[start : start + chance.randint(1, 2_000)]
    try:
        pages = list(iter_pages(bytes(data), "abime.png", "image"))
    except RejectedFile as rejection:
        assert rejection.reason.startswith("« abime.png »") and rejection.advice
    else:
        assert all(page.image is not None and page.image.ndim == 2 for page in pages)
    try:
        assert examine(bytes(data), "abime.png").format == "image"
    except RejectedFile as rejection:  # a size flipped beyond any page's
        assert rejection.code == RejectionCode.TOO_LARGE
