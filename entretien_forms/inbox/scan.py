"""Scans of paper forms: a stack of any size, pages in any order and any way up.

HR feeds a team's forms through the office scanner in one go: several
employees' forms, pages shuffled, some upside down, blank backs and separator
sheets between them, saved as one PDF, one multi-page TIFF, or one JPEG or
PNG a page. Every page of an issued form carries a QR code (``render/qr.py``):
``<reference> p<page>/<pages>`` on a PDF form's page, the bare reference on a
Word form's. The code is all this module reads; the answers are keyed by HR
(or read by the tick-box reader) afterwards.

Two steps, kept apart so that the pixels never outlive their page:

- ``iter_pages`` renders each page once (pdfium for a PDF, Pillow for an
  image), finds our code, turns the page upright and yields a ``ScanPage``
  holding its image; the caller keeps what it needs and drops the image;
- ``group_forms`` sorts the pages (without images) into forms, in the order
  they first appear, naming missing and repeated pages, blank pages and pages
  that are not ours (a separator sheet, a cover letter).

Where the code is tells the page's way up, and so does the code itself: a QR
code's finder patterns give its orientation, and the form prints it upright.
The code is printed top-right, so it is looked for first in the four corner
squares of the page (top-right when upright, bottom-left upside down, the
other two on a page turned a quarter), which costs a tenth of reading the
whole page; the whole page is read only when no corner holds one of our codes
and the page has ink.

Untrusted files are bounded by what they weigh and how long they take, never
by a page count a team's stack would reach: a PDF page is measured before
pdfium parses it (``_PageCost``) and drawn progressively, abandoned at its
deadline; an image frame's declared size is checked before it is decoded.
A file gets ``FILE_SECONDS`` plus ``SECONDS_PER_PAGE`` for each page met (at
most ``MAX_FILE_SECONDS``), a PDF page's drawing at most ``PAGE_SECONDS`` (an
image frame's decoding cannot be paused: its pixel count bounds it); a page
past its time or too heavy to draw is yielded as unread, and the others are
read.

``bench/bench_scan.py`` (40 pages at 200 dpi, one shared core): 65 pages a
second from an image-only PDF, where pdfium's drawing alone gives 69; 160 from
a black-and-white TIFF. Finding the code, turning the page and the blank test
add under a millisecond a page; zxing-cpp reading each whole page takes 4 ms.
"""

from __future__ import annotations

import ctypes
import io
import re
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pikepdf
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
import zxingcpp
from pikepdf import Array, Dictionary, Name, Pdf, Stream
from PIL import Image

from entretien_forms.errors import PageTooHeavyError, RejectedFile, RejectionCode
from entretien_forms.inbox.preflight import IMAGE_FORMATS, MAX_IMAGE_PIXELS, too_many_pixels
from entretien_forms.text import count

__all__ = [
    "ScanFormat",
    "ScanPage",
    "ScanResult",
    "ScannedForm",
    "Unread",
    "group_forms",
    "iter_pages",
    "note",
    "page_image",
]

ScanFormat = Literal["pdf", "image"]
# Why a page was not read: its drawing could not be bounded, or its time ran out.
Unread = Literal["too_heavy", "out_of_time"]
Grey = npt.NDArray[np.uint8]

# Time budget (seconds). A page of a 200 dpi scan takes 6 to 15 ms here (bench/
# bench_scan.py), so these only stop what is built to be slow: a 500-page stack
# needs under ten seconds and is given over eight minutes.
PAGE_SECONDS = 5.0  # one page: drawing (abandoned at the deadline) and reading
FILE_SECONDS = 10.0  # a file, whatever its pages...
SECONDS_PER_PAGE = 1.0  # ...plus this for each page met...
MAX_FILE_SECONDS = 1_800.0  # ...up to this
# Not a limit on stacks (a scanner's feeder takes 50 to 100 sheets, a day's
# batches a few hundred): it bounds the page tree walked before anything is drawn
# and the frames of a TIFF, which a hostile file can declare by the million.
MAX_SCAN_PAGES = 5_000

# Rendering. Pixel caps keep a hostile page size (a 200 × 200 inch page) from
# eating memory: the page is then drawn at a lower resolution.
_MAX_SIDE_PX = 7_000  # A3 at 400 dpi
_MAX_PIXELS = 24_000_000
_A4_LONG_INCHES = 297 / 25.4  # to guess an image's resolution when it declares none
_PLAUSIBLE_DPI = (100.0, 1_200.0)

# Finding the code. It is 2 cm wide, 7 mm from the top edge and 16 mm from the
# right one on a PDF form, in the page header's right cell on a Word form: a
# corner square of 30 % of the page's short side (63 mm on A4) holds it even
# when the sheet sat a centimetre off on the scanner glass.
_CORNER = 0.3
_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# A blank page: fewer than 3 in 10,000 pixels darker than mid-grey, a margin of
# 5 % left out on each side (punch holes, the scanner lid's shadow). A line of
# text is about 20 in 10,000; dust and JPEG noise stay far below.
BLANK_INK = 0.0003
_INK_LEVEL = 128
_BLANK_MARGIN = 0.05

# What pdfium may be asked to parse for one page before it is rendered. Our form's
# pages draw 7 to 15 kB; pdfium keeps ~400 bytes a drawing operation (~25 bytes
# of content), so 4 MB of drawing is about 60 MB and a fraction of a second.
# Form XObjects count as often as they are drawn: 1.7 kB drawing one small form
# 100,000 times took pdfium 800 MB.
MAX_PAGE_DRAWING = 4_000_000  # bytes of drawing operators, forms counted per use
MAX_PAGE_IMAGE_PIXELS = 64_000_000  # an A4 page scanned at 600 dpi has 35 million
_MAX_ANNOTATIONS = 2_000  # widgets drawn on one page (our forms have 50 at most)
_MAX_XOBJECTS = 1_000  # images and forms named in one resource dictionary
_MAX_FORM_DEPTH = 12  # a form drawing a form drawing a form...
_MAX_TREE_DEPTH = 32  # page tree levels
_MAX_PAGE_NODES = 2 * MAX_SCAN_PAGES  # nodes of the page tree visited
_SMALL_STREAM = 4_096  # raw bytes under which any filter's output is small enough
# Filters that code bytes, not pictures (ISO 32000-1, 7.4): an image (JBIG2, DCT,
# JPX, CCITT) is never decoded where drawing is due.
_GENERAL_FILTERS = frozenset(
    Name(f"/{name}")
    for name in ("FlateDecode", "LZWDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode")
)
# A Do operator and the name before it (ISO 32000-1, 8.8): counted, never parsed.
_DO = re.compile(rb"/[^\s/\[\]()<>{}%]*\s*Do(?![^\s/\[\]()<>{}%])")
# The PDF header may follow some junk, and %%EOF may be followed by some, within
# 1024 bytes for Acrobat. A file without %%EOF near its end is a copy still
# running or cut short: its last pages would be missing.
_HEADER_WINDOW = 1024
_TRAILER_WINDOW = 2048

# References are "<prefix>-<campaign code>-<number>" (identity.format_reference);
# a QR code of anything else (a supplier's code on a scanned page) is ignored.
_REFERENCE = r"[^\x00-\x1f\x7f]{1,60}?-[A-Z0-9]{1,16}-\d{5,9}"
_PAGE_PAYLOAD = re.compile(
    rf"(?P<reference>{_REFERENCE}) p(?P<page>\d{{1,4}})/(?P<pages>\d{{1,4}})"
)
_BARE_PAYLOAD = re.compile(_REFERENCE)  # the Word form's code: the reference alone


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ScanPage:
    """One page of a scanned file, as read: our code on it, its way up, its ink.

    ``rotation`` is how far the scanned image was turned clockwise to stand
    upright (0, 90, 180 or 270); ``qr`` the code's corners (top-left,
    top-right, bottom-right, bottom-left of the code) in the upright image's
    pixels. ``image`` is the upright page in shades of grey (read-only), set
    while iterating and dropped with ``without_image`` before the pages are
    kept: a 200 dpi page weighs 4 MB. ``unread`` says why a page was not
    looked at (then ``image`` is ``None`` and nothing else is known).
    """

    index: int  # 1-based page (or frame) of the file
    reference: str | None
    page: int | None  # the form's page the code names; None for a Word form's code
    pages: int | None
    blank: bool
    rotation: int
    qr: tuple[tuple[float, float], ...] | None
    dpi: float
    image: Grey | None = field(default=None, repr=False, compare=False)
    unread: Unread | None = None

    def without_image(self) -> ScanPage:
        return self if self.image is None else replace(self, image=None)


@dataclass(frozen=True)
class ScannedForm:
    """The pages of one form found in a scan, by the form's page numbers.

    ``file_pages`` maps a form page to the file page holding it (the first
    copy when a page was scanned twice; ``repeated`` names such form pages and
    ``copies`` the file pages of the later copies). A Word form's code carries
    no page number: its pages are numbered in file order, and ``page_count``
    is ``None``. Pages bearing the bare reference of a form whose other pages
    are numbered are listed in ``unnumbered``.
    """

    reference: str
    page_count: int | None
    file_pages: dict[int, int] = field(hash=False)
    missing: tuple[int, ...]
    repeated: tuple[int, ...]
    copies: tuple[int, ...] = ()
    unnumbered: tuple[int, ...] = ()

    @property
    def file_indices(self) -> tuple[int, ...]:
        """Every page of the file belonging to this form, in file order."""
        return tuple(sorted({*self.file_pages.values(), *self.copies, *self.unnumbered}))


@dataclass(frozen=True)
class ScanResult:
    """A scanned file sorted out: its forms in order of first appearance, and the rest."""

    forms: tuple[ScannedForm, ...]
    blank: tuple[int, ...]  # file pages with (almost) no ink
    unknown: tuple[int, ...]  # file pages with ink but none of our codes: separators, letters
    unread: tuple[int, ...] = ()  # file pages too heavy to draw, or past the time budget
    page_total: int = 0


@dataclass(frozen=True)
class _Code:
    """One of our QR codes: the reference, and the form's page it names."""

    reference: str
    page: int | None
    pages: int | None


@dataclass(frozen=True)
class _Found:
    code: _Code
    rotation: int
    corners: tuple[tuple[float, float], ...]  # in the scanned (not yet turned) image


# --------------------------------------------------------------------------- rejections

_RESCAN = (
    "Scannez de nouveau les formulaires en PDF, JPEG, PNG ou TIFF, en 200 à 300 ppp (dpi), "
    "en noir et blanc ou en niveaux de gris, puis déposez le fichier une fois enregistré."
)


def _damaged_pdf(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est un fichier PDF endommagé : il ne peut pas être lu.",
        "Ouvrez-le dans votre lecteur PDF, enregistrez-le de nouveau, puis redéposez-le.",
        RejectionCode.DAMAGED,
    )


def _not_a_pdf(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » n'est pas un fichier PDF lisible (son contenu ne commence pas comme un PDF).",
        _RESCAN,
        RejectionCode.WRONG_TYPE,
    )


def truncated_pdf(name: str) -> RejectedFile:
    """Shared with ``pdf_reader``: the same PDF faults in the same words."""
    return RejectedFile(
        f"« {name} » est incomplet : la fin du fichier PDF manque (copie ou enregistrement "
        "interrompu).",
        "Enregistrez ou copiez de nouveau le fichier, attendez la fin de la copie, puis "
        "redéposez-le.",
        RejectionCode.DAMAGED,
    )


def password_pdf(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est protégé par un mot de passe : il ne peut pas être lu.",
        "Ouvrez-le avec son mot de passe, enregistrez une copie sans mot de passe, puis déposez "
        "cette copie.",
        RejectionCode.ENCRYPTED,
    )


def encrypted_pdf(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est chiffré d'une façon qui ne peut pas être lue ici.",
        "Ouvrez-le dans votre lecteur PDF, enregistrez une copie sans protection (ni mot de "
        "passe ni chiffrement), puis déposez cette copie.",
        RejectionCode.ENCRYPTED,
    )


def _damaged_image(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est une image endommagée ou incomplète (ou d'un type non pris en charge) : "
        "elle ne peut pas être lue.",
        _RESCAN,
        RejectionCode.DAMAGED,
    )


def _too_many_pages(name: str) -> RejectedFile:
    most = f"{MAX_SCAN_PAGES:,}".replace(",", "\u202f")  # 5 000, with a narrow space
    return RejectedFile(
        f"« {name} » compte plus de {most} pages : bien plus qu'un lot de formulaires scannés.",
        "Scannez les formulaires par lots (quelques centaines de pages au plus par fichier), "
        "puis déposez chaque fichier.",
        RejectionCode.TOO_LARGE,
    )


def _too_heavy_page(name: str, index: int) -> RejectedFile:
    return RejectedFile(
        f"« {name} » : la page {index} est trop lourde à afficher (dessins ou images démesurés, "
        "ou affichage trop long).",
        _RESCAN,
        RejectionCode.TOO_LARGE,
    )


# --------------------------------------------------------------------------- public API


def iter_pages(data: bytes, name: str, format: ScanFormat, *, dpi: int = 200) -> Iterator[ScanPage]:
    """Each page of a scanned file, rendered once at about ``dpi``, upright, with our code.

    ``name`` is the file's name as shown in rejections. A file that cannot be
    read at all (damaged, encrypted, absurdly large) raises ``RejectedFile``,
    possibly after some pages were yielded (a TIFF whose fifth frame is
    broken); a page that cannot be read is yielded with ``unread`` set.
    """
    if format == "pdf":
        return _pdf_pages(data, name, dpi)
    if format == "image":
        return _image_pages(data, name, dpi)
    raise ValueError(f"unknown scan format {format!r}")


def page_image(
    data: bytes,
    format: ScanFormat,
    index: int,
    *,
    dpi: int = 200,
    rotation: int | None = None,
    name: str = "le scan",
) -> Grey:
    """Page ``index`` (1-based) of a scanned file drawn again, upright, in shades of grey.

    For the keying sheet, long after ``iter_pages`` dropped the pixels. The
    way up is found again from the code unless ``rotation`` (the page's
    ``ScanPage.rotation``) is given; a page without our code is left as
    scanned. Same bounds as ``iter_pages``: ``RejectedFile`` when the page
    cannot be drawn.
    """
    if index < 1:
        raise ValueError(f"pages are numbered from 1, not {index}")
    if format == "pdf":
        grey = _pdf_page_image(data, name, index, dpi)
    elif format == "image":
        grey = _image_frame(data, name, index, dpi)
    else:
        raise ValueError(f"unknown scan format {format!r}")
    if rotation is None:
        found, _ = _look(grey)
        rotation = found.rotation if found is not None else 0
    return _frozen(_turned(grey, rotation))


def group_forms(pages: Sequence[ScanPage]) -> ScanResult:
    """The forms of a scanned file, from its pages' codes, in order of first appearance.

    A page counts once per form page: a second copy of a page is named, not
    merged. A Word form's pages (bare reference) join the form of that
    reference in file order. Pages are expected without their image
    (``ScanPage.without_image``); only their codes are used.
    """
    builders: dict[str, _FormBuilder] = {}
    blank: list[int] = []
    unknown: list[int] = []
    unread: list[int] = []
    for page in pages:
        if page.unread is not None:
            unread.append(page.index)
        elif page.reference is None:
            (blank if page.blank else unknown).append(page.index)
        else:
            builders.setdefault(page.reference, _FormBuilder(page.reference)).add(page)
    return ScanResult(
        forms=tuple(builder.build() for builder in builders.values()),
        blank=tuple(blank),
        unknown=tuple(unknown),
        unread=tuple(unread),
        page_total=len(pages),
    )


def note(form: ScannedForm) -> str:
    """What HR reads about one form of a scan: where it is in the file, what is missing."""
    where = f"Formulaire papier scanné, {_pages_of_file(form.file_indices)}"
    if form.page_count is None:
        read = count(len(form.file_pages), "page", "pages")
        return f"{where} (imprimé depuis Word) : référence lue sur {read} ; saisissez les réponses."
    remarks = []
    if form.missing:
        word = "page" if len(form.missing) == 1 else "pages"
        gone = "manquante" if len(form.missing) == 1 else "manquantes"
        remarks.append(f"{word} {_listing(form.missing)} sur {form.page_count} {gone}")
    else:
        remarks.append(
            "la page unique est présente"
            if form.page_count == 1
            else f"les {form.page_count} pages sont présentes"
        )
    if form.repeated:
        word = "page" if len(form.repeated) == 1 else "pages"
        twice = "scannée" if len(form.repeated) == 1 else "scannées"
        remarks.append(
            f"{word} {_listing(form.repeated)} {twice} plusieurs fois (la première est retenue)"
        )
    if form.unnumbered:
        remarks.append(
            f"{count(len(form.unnumbered), 'page porte', 'pages portent')} la référence sans "
            "numéro de page"
        )
    advice = "saisissez les réponses"
    if form.missing:
        asked = "la page manquante" if len(form.missing) == 1 else "les pages manquantes"
        advice = f"demandez {asked} au responsable, puis {advice}"
    return f"{where} : {' ; '.join(remarks)} ; {advice}."


# --------------------------------------------------------------------------- grouping


class _FormBuilder:
    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.numbered: dict[int, int] = {}
        self.repeated: list[int] = []
        self.copies: list[int] = []
        self.bare: list[int] = []
        self.page_count: int | None = None

    def add(self, page: ScanPage) -> None:
        if page.page is None or page.pages is None:
            self.bare.append(page.index)
            return
        # Two page counts for one reference would be two printings of different
        # layouts: the larger keeps every page named.
        self.page_count = max(self.page_count or 0, page.pages)
        if page.page in self.numbered:
            if page.page not in self.repeated:
                self.repeated.append(page.page)
            self.copies.append(page.index)
        else:
            self.numbered[page.page] = page.index

    def build(self) -> ScannedForm:
        if self.page_count is None:  # a Word form: its pages in file order
            numbered = dict(enumerate(self.bare, 1))
            return ScannedForm(self.reference, None, numbered, (), ())
        missing = tuple(n for n in range(1, self.page_count + 1) if n not in self.numbered)
        return ScannedForm(
            reference=self.reference,
            page_count=self.page_count,
            file_pages=dict(sorted(self.numbered.items())),
            missing=missing,
            repeated=tuple(sorted(self.repeated)),
            copies=tuple(self.copies),
            unnumbered=tuple(self.bare),
        )


def _listing(numbers: Sequence[int]) -> str:
    """``1 à 4``, ``2 et 5``, ``1, 3 et 6 à 9``: runs of three or more as a range."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0]} à {run[-1]}")
        else:
            parts.extend(str(number) for number in run)
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} et {parts[-1]}"


def _pages_of_file(indices: Sequence[int]) -> str:
    word = "page" if len(indices) == 1 else "pages"
    return f"{word} {_listing(indices)} du fichier"


# --------------------------------------------------------------------------- reading a page


def _read_page(index: int, image: Grey, dpi: float) -> ScanPage:
    """The page's code, way up and ink, from its one rendering."""
    found, blank = _look(image)
    if found is None:
        return ScanPage(index, None, None, None, blank, 0, None, dpi, _frozen(image))
    height, width = image.shape
    corners = tuple(_turn_point(p, found.rotation, width, height) for p in found.corners)
    code = found.code
    upright = _frozen(_turned(image, found.rotation))
    return ScanPage(
        index, code.reference, code.page, code.pages, False, found.rotation, corners, dpi, upright
    )


def _look(image: Grey) -> tuple[_Found | None, bool]:
    """Our code on the page (corners first, then the whole page), and whether it is blank."""
    height, width = image.shape
    side = max(1, round(_CORNER * min(height, width)))
    # Top-right (upright), bottom-left (upside down), then the quarter turns.
    for top, left in ((0, width - side), (height - side, 0), (height - side, width - side), (0, 0)):
        found = _ours(image[top : top + side, left : left + side], top, left)
        if found is not None:
            return found, False
    if _is_blank(image):
        return None, True  # nothing to find: the whole page is not read
    return _ours(image, 0, 0), False


def _ours(region: Grey, top: int, left: int) -> _Found | None:
    """The first of our codes zxing finds in ``region``, placed in the page's pixels."""
    # Our codes are dark on light: trying the inverted image would only double the time.
    for barcode in zxingcpp.read_barcodes(region, formats=_QR_FORMATS, try_invert=False):
        code = _parse(barcode.text)
        if code is None:
            continue
        # zxing's orientation is how far the code is turned clockwise: turning the
        # page back by as much, to the nearest quarter, stands it upright.
        rotation = (-round(barcode.orientation / 90) * 90) % 360
        position = barcode.position
        corners = tuple(
            (float(point.x + left), float(point.y + top))
            for point in (
                position.top_left,
                position.top_right,
                position.bottom_right,
                position.bottom_left,
            )
        )
        return _Found(code, rotation, corners)
    return None


def _parse(payload: str) -> _Code | None:
    """Our code's text as reference and page, ``None`` for another QR code."""
    payload = payload.strip()
    match = _PAGE_PAYLOAD.fullmatch(payload)
    if match is not None:
        page, pages = int(match["page"]), int(match["pages"])
        if 1 <= page <= pages:
            return _Code(match["reference"], page, pages)
        return None
    if _BARE_PAYLOAD.fullmatch(payload):
        return _Code(payload, None, None)
    return None


def _is_blank(image: Grey) -> bool:
    height, width = image.shape
    top, side = int(height * _BLANK_MARGIN), int(width * _BLANK_MARGIN)
    inner = image[top : height - top : 2, side : width - side : 2]  # every other pixel is enough
    if inner.size == 0:
        return True
    return int(np.count_nonzero(inner < _INK_LEVEL)) <= BLANK_INK * inner.size


def _turned(image: Grey, rotation: int) -> Grey:
    """``image`` turned ``rotation`` degrees clockwise."""
    if rotation % 360 == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=-(rotation // 90)))


def _turn_point(
    point: tuple[float, float], rotation: int, width: int, height: int
) -> tuple[float, float]:
    """Where a pixel of a ``width`` × ``height`` image lands once turned clockwise."""
    x, y = point
    if rotation == 90:
        return (height - 1 - y, x)
    if rotation == 180:
        return (width - 1 - x, height - 1 - y)
    if rotation == 270:
        return (y, width - 1 - x)
    return (x, y)


def _frozen(image: Grey) -> Grey:
    image.flags.writeable = False
    return image


def _unread(index: int, why: Unread, dpi: float) -> ScanPage:
    return ScanPage(index, None, None, None, False, 0, None, dpi, None, why)


class _Budget:
    """The time a file may still take, growing with the pages met (see the module's notes)."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._pages = 0

    def next_page(self) -> float | None:
        """The deadline of the next page; ``None`` when the file's time is spent."""
        self._pages += 1
        allowed = min(MAX_FILE_SECONDS, FILE_SECONDS + SECONDS_PER_PAGE * self._pages)
        now = time.monotonic()
        if now >= self._start + allowed:
            return None
        return min(self._start + allowed, now + PAGE_SECONDS)


# --------------------------------------------------------------------------- PDF


def _pdf_pages(data: bytes, name: str, dpi: float) -> Iterator[ScanPage]:
    with _qpdf(data, name) as pdf:
        tree = _page_tree(pdf, name)
        with _pdfium(data, name, len(tree)) as document:
            budget = _Budget()
            for index, (page, resources) in enumerate(tree, 1):
                deadline = budget.next_page()
                if deadline is None:
                    yield _unread(index, "out_of_time", dpi)
                elif not _bounded(page, resources, name):
                    yield _unread(index, "too_heavy", dpi)
                else:
                    try:
                        rendered = _render_page(document, index - 1, dpi, deadline)
                    except pdfium.PdfiumError as exc:  # a page object it cannot load
                        raise _damaged_pdf(name) from exc
                    if rendered is None:
                        yield _unread(index, "out_of_time", dpi)
                    else:
                        yield _read_page(index, *rendered)


def _pdf_page_image(data: bytes, name: str, index: int, dpi: float) -> Grey:
    with _qpdf(data, name) as pdf:
        tree = _page_tree(pdf, name)
        if index > len(tree):
            raise ValueError(f"{name} has {len(tree)} pages, not {index}")
        with _pdfium(data, name, len(tree)) as document:
            page, resources = tree[index - 1]
            rendered = None
            if _bounded(page, resources, name):
                deadline = time.monotonic() + PAGE_SECONDS
                try:
                    rendered = _render_page(document, index - 1, dpi, deadline)
                except pdfium.PdfiumError as exc:
                    raise _damaged_pdf(name) from exc
            if rendered is None:
                raise _too_heavy_page(name, index)
            return rendered[0]


@contextmanager
def _qpdf(data: bytes, name: str) -> Iterator[Pdf]:
    """The file opened by qpdf, to measure its pages; what stops it as a rejection."""
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise _not_a_pdf(name)
    if b"%%EOF" not in data[-_TRAILER_WINDOW:]:
        raise truncated_pdf(name)
    try:
        pdf = pikepdf.open(io.BytesIO(data), inherit_page_attributes=False)
    except pikepdf.PasswordError as exc:  # a user password: an empty one does not open it
        raise password_pdf(name) from exc
    except pikepdf.PdfError as exc:
        if "encrypt" in str(exc).lower():
            raise encrypted_pdf(name) from exc
        raise _damaged_pdf(name) from exc
    with pdf:
        yield pdf


@contextmanager
def _pdfium(data: bytes, name: str, pages: int) -> Iterator[pdfium.PdfDocument]:
    """The file opened by pdfium, which must see the pages qpdf measured."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise password_pdf(name) from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise encrypted_pdf(name) from exc
        raise _damaged_pdf(name) from exc
    try:
        if len(document) != pages:  # two readers, two files: which pages count is unknown
            raise _damaged_pdf(name)
        yield document
    finally:
        document.close()


def _render_page(
    document: pdfium.PdfDocument, index: int, dpi: float, deadline: float
) -> tuple[Grey, float] | None:
    """One page drawn in shades of grey at about ``dpi``; ``None`` past ``deadline``.

    A page pdfium cannot load makes the file damaged (``_pdf_pages`` says so).
    """
    page = document[index]
    try:
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            return np.full((1, 1), 255, dtype=np.uint8), dpi
        scale = min(
            dpi / 72,
            _MAX_SIDE_PX / max(width, height),
            (_MAX_PIXELS / (width * height)) ** 0.5,
        )
        pixels = max(1, round(width * scale)), max(1, round(height * scale))
        image = _render(page, *pixels, deadline)
        return None if image is None else (image, scale * 72)
    finally:
        page.close()


# pdfium asks this between drawing operations whether to pause; pausing past the
# deadline, the rendering is then abandoned.
_PAUSE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(pdfium_c.IFSDK_PAUSE))


def _render(page: pdfium.PdfPage, width: int, height: int, deadline: float) -> Grey | None:
    """The page in shades of grey, or ``None`` when drawing it outlasted ``deadline``.

    pdfium's progressive rendering, so that a page slow to draw (a few MB of
    curves can take a minute) is abandoned at the deadline. The bitmap's
    buffer is Python's (a native bitmap): the array outlives the bitmap,
    which is released at once, without a copy.
    """
    bitmap = pdfium.PdfBitmap.new_native(
        width, height, pdfium_c.FPDFBitmap_Gray, rev_byteorder=False
    )
    try:
        pdfium_c.FPDFBitmap_FillRect(bitmap.raw, 0, 0, width, height, 0xFFFFFFFF)
        pause = pdfium_c.IFSDK_PAUSE(version=1)
        pause.NeedToPauseNow = _PAUSE(lambda _: int(time.monotonic() > deadline))
        # A grey bitmap is drawn grey; the FPDF_GRAYSCALE flag gives the same pixels
        # four times slower (38 ms against 9 ms a 200 dpi scanned page).
        flags = pdfium_c.FPDF_ANNOT
        status = pdfium_c.FPDF_RenderPageBitmap_Start(
            bitmap.raw, page.raw, 0, 0, width, height, 0, flags, ctypes.byref(pause)
        )
        while status == pdfium_c.FPDF_RENDER_TOBECONTINUED and time.monotonic() <= deadline:
            status = pdfium_c.FPDF_RenderPage_Continue(page.raw, ctypes.byref(pause))
        pdfium_c.FPDF_RenderPage_Close(page.raw)
        if status != pdfium_c.FPDF_RENDER_DONE:
            return None
        image: Grey = bitmap.to_numpy()
        return image
    finally:
        bitmap.close()


# --------------------------------------------------------------------------- images


def _image_pages(data: bytes, name: str, dpi: float) -> Iterator[ScanPage]:
    with _opened_image(data, name) as image:
        budget = _Budget()
        for index in _frames(image, name):
            deadline = budget.next_page()
            if deadline is None:
                yield _unread(index, "out_of_time", dpi)
            else:
                yield _read_page(index, *_decoded_frame(image, name, dpi))


def _image_frame(data: bytes, name: str, index: int, dpi: float) -> Grey:
    with _opened_image(data, name) as image:
        for frame in _frames(image, name):
            if frame == index:
                return _decoded_frame(image, name, dpi)[0]
    raise ValueError(f"{name} has fewer than {index} pages")


@contextmanager
def _opened_image(data: bytes, name: str) -> Iterator[Image.Image]:
    """The image opened by Pillow from its header alone; nothing decoded yet.

    Pillow refuses, or warns about, an image of more than its own limit
    (``Image.MAX_IMAGE_PIXELS``, 89 million): both are refused here, and so is
    any frame over ours (``MAX_IMAGE_PIXELS``, lower), before it is decoded.

    Pillow's plugins fail on a malformed file with whatever exception their
    parsing meets (``TypeError`` for a TIFF directory cut short, ``KeyError``,
    ``struct.error``...), and warn on some (turned into errors where warnings
    are, as in the tests): anything Pillow raises is a damaged image.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels(f"« {name} »") from exc
    except Exception as exc:  # see above: Pillow's parsing errors have no common class
        raise _damaged_image(name) from exc
    with image:
        yield image


def _frames(image: Image.Image, name: str) -> Iterator[int]:
    """The 1-based frames of ``image``, the current one each time: a TIFF's pages."""
    index = 1
    while True:
        yield index
        if image.format != "TIFF":
            return  # a JPEG's second picture is a thumbnail or a depth map, not a page
        if index >= MAX_SCAN_PAGES:
            raise _too_many_pages(name)
        try:
            image.seek(index)
        except EOFError:
            return
        except Exception as exc:  # Pillow's parsing errors (``_opened_image``)
            raise _damaged_image(name) from exc
        index += 1


def _decoded_frame(image: Image.Image, name: str, dpi: float) -> tuple[Grey, float]:
    """The current frame in shades of grey, reduced to about ``dpi``, and its resolution.

    The reduction is by a whole factor (a box filter, cheap); a JPEG is
    decoded at the reduced size directly (``draft``: a quarter of the work).
    """
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise too_many_pixels(f"« {name} »", width, height)
    source_dpi = _resolution(image)
    try:
        factor = int(source_dpi / dpi)
        if factor >= 2 and image.format == "JPEG":
            image.draft("L", (width // factor, height // factor))
        image.load()
        grey = image if image.mode == "L" else image.convert("L")
        factor = int(source_dpi * grey.width / width / dpi)
        if factor >= 2:
            grey = grey.reduce(factor)
    except Exception as exc:  # Pillow's decoding errors (``_opened_image``)
        raise _damaged_image(name) from exc
    array: Grey = np.asarray(grey)
    return array, source_dpi * array.shape[1] / width


def _resolution(image: Image.Image) -> float:
    """The frame's resolution as declared, or guessed from an A4 page when it is not."""
    declared = image.info.get("dpi")
    if isinstance(declared, tuple) and declared:
        try:
            value = float(declared[0])
        except (TypeError, ValueError):
            value = 0.0
        if _PLAUSIBLE_DPI[0] <= value <= _PLAUSIBLE_DPI[1]:
            return value
    return max(image.size) / _A4_LONG_INCHES


# --------------------------------------------------------------------------- page cost


def _page_tree(pdf: Pdf, name: str) -> list[tuple[Dictionary, object]]:
    """The page dictionaries in order, with the resources each inherits.

    Walked here rather than by qpdf's page list, which would copy a page
    listed a million times; a tree that loops, nests too deep or holds more
    than ``MAX_SCAN_PAGES`` pages is refused before pdfium sees it.
    """
    try:
        root = pdf.trailer.get("/Root")
        top = root.get("/Pages") if isinstance(root, Dictionary) else None
        if not isinstance(top, Dictionary):
            return []
        found: list[tuple[Dictionary, object]] = []
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[Dictionary, object, int]] = [(top, None, 0)]
        while stack:
            node, resources, depth = stack.pop()
            if len(seen) > _MAX_PAGE_NODES:
                raise _too_many_pages(name)
            if depth > _MAX_TREE_DEPTH or node.objgen in seen:
                raise _damaged_pdf(name)
            if node.objgen != (0, 0):
                seen.add(node.objgen)
            if "/Resources" in node:
                resources = node["/Resources"]
            kids = node.get("/Kids")
            if isinstance(kids, Array):
                if len(kids) > _MAX_PAGE_NODES:
                    raise _too_many_pages(name)
                items = [kid for kid in kids if isinstance(kid, Dictionary)]
                stack.extend((kid, resources, depth + 1) for kid in reversed(items))
            else:
                found.append((node, resources))
                if len(found) > MAX_SCAN_PAGES:
                    raise _too_many_pages(name)
        return found
    except pikepdf.PdfError as exc:
        raise _damaged_pdf(name) from exc


def _bounded(page: Dictionary, resources: object, name: str) -> bool:
    """Whether drawing the page is bounded (``_PageCost``); a damaged page is a rejection."""
    try:
        return _PageCost().bounded(page, resources)
    except pikepdf.PdfError as exc:
        raise _damaged_pdf(name) from exc


def bounded_bytes(stream: Stream, limit: int) -> bytes | None:
    """A stream's data, decoded, at most ``limit + 1`` bytes; ``None`` when it cannot be.

    Shared with ``pdf_reader`` (a field's text stream): one bound for every stream read.

    qpdf decodes a stream whole, and 20 kB of Flate can inflate to 20 MB: the
    usual Flate is inflated here with a bound. Another filter (or a chain) is
    decoded by qpdf only when the stream is small enough for any output to be
    small; an image filter where drawing is due is not decoded at all.
    """
    filters = stream.get("/Filter")
    if isinstance(filters, Array) and len(filters) == 1:
        filters = filters[0]
    raw = stream.read_raw_bytes()
    if filters is None:
        return raw[: limit + 1]
    if filters == Name.FlateDecode and "/DecodeParms" not in stream:
        try:
            return zlib.decompressobj().decompress(raw, limit + 1)
        except zlib.error:
            return None
    chain = list(filters) if isinstance(filters, Array) else [filters]
    if len(raw) > _SMALL_STREAM or any(f not in _GENERAL_FILTERS for f in chain):
        return None
    try:
        return stream.read_bytes(pikepdf.StreamDecodeLevel.generalized)[: limit + 1]
    except pikepdf.PdfError:  # data the filter rejects
        return None


class _PageCost:
    """What pdfium would parse and decode to draw one page, measured without drawing it.

    Drawing: the decoded bytes of the page's content, plus each form XObject
    as many times as a ``Do`` may draw it (the heaviest form of the resources
    for every ``Do``: an upper bound), plus the annotations' appearances.
    Images: the pixels of every image drawn. Counted on the streams qpdf
    decodes with a bound; nothing here decides what the page shows.
    """

    def __init__(self) -> None:
        self._forms: dict[tuple[int, int], int] = {}
        self._open: set[tuple[int, int]] = set()
        self._images: set[tuple[int, int]] = set()
        self._pixels = 0

    def bounded(self, page: Dictionary, resources: object) -> bool:
        try:
            drawing = self._contents(page.get("/Contents"), resources)
            annotations = page.get("/Annots")
            if isinstance(annotations, Array):
                if len(annotations) > _MAX_ANNOTATIONS:
                    return False
                for annotation in annotations:
                    if isinstance(annotation, Dictionary):
                        drawing += self._appearance(annotation)
                        self._check(drawing)
        except PageTooHeavyError:
            return False
        return True

    def _check(self, drawing: int) -> None:
        if drawing > MAX_PAGE_DRAWING or self._pixels > MAX_PAGE_IMAGE_PIXELS:
            raise PageTooHeavyError

    def _contents(self, contents: object, resources: object) -> int:
        streams = list(contents) if isinstance(contents, Array) else [contents]
        if len(streams) > _MAX_XOBJECTS:
            raise PageTooHeavyError
        drawing = 0
        for stream in streams:
            if isinstance(stream, Stream):
                drawing += self._drawing(stream, resources, 0)
                self._check(drawing)
        return drawing

    def _appearance(self, annotation: Dictionary) -> int:
        appearances = annotation.get("/AP")
        normal = appearances.get("/N") if isinstance(appearances, Dictionary) else None
        if isinstance(normal, Stream):
            return self._form(normal, 0)
        if isinstance(normal, Dictionary):  # one appearance a state (a check box)
            if len(normal) > 16:
                raise PageTooHeavyError
            states = [self._form(s, 0) for s in normal.values() if isinstance(s, Stream)]
            return max(states, default=0)
        return 0

    def _drawing(self, stream: Stream, resources: object, depth: int) -> int:
        data = bounded_bytes(stream, MAX_PAGE_DRAWING)
        if data is None:
            raise PageTooHeavyError  # a filter whose output cannot be bounded
        drawing = len(data)
        self._check(drawing)
        uses = sum(1 for _ in _DO.finditer(data))
        if uses:
            drawing += uses * self._heaviest(resources, depth)
        self._check(drawing)
        return drawing

    def _heaviest(self, resources: object, depth: int) -> int:
        """The heaviest form XObject of ``resources``; their images counted on the way."""
        xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
        if not isinstance(xobjects, Dictionary):
            return 0
        if len(xobjects) > _MAX_XOBJECTS:
            raise PageTooHeavyError
        heaviest = 0
        for key in xobjects.keys():  # noqa: SIM118 (items() decodes every name, and may fail)
            xobject = xobjects[key]
            if not isinstance(xobject, Stream):
                continue
            subtype = xobject.get("/Subtype")
            if subtype == Name.Form:
                heaviest = max(heaviest, self._form(xobject, depth + 1))
            elif subtype == Name.Image:
                self._image(xobject)
        return heaviest

    def _form(self, form: Stream, depth: int) -> int:
        key = form.objgen
        if key in self._forms:
            return self._forms[key]
        if key in self._open or depth > _MAX_FORM_DEPTH:
            raise PageTooHeavyError  # a form drawing itself
        self._open.add(key)
        weight = self._drawing(form, form.get("/Resources"), depth)
        self._open.discard(key)
        self._forms[key] = weight
        return weight

    def _image(self, image: Stream) -> None:
        if image.objgen in self._images:
            return
        self._images.add(image.objgen)
        width: object = image.get("/Width")  # ints, whatever pikepdf's hints say
        height: object = image.get("/Height")
        if isinstance(width, int) and isinstance(height, int):
            self._pixels += max(width, 0) * max(height, 0)
        self._check(0)
