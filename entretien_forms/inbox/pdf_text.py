"""Read a PDF form whose fields are gone from what its pages show: text and ticks.

A filled PDF form sometimes comes back flattened: a print batch run through
``pdftk ... flatten`` or ``qpdf --flatten-annotations=all``, a viewer's
"print to PDF", PyMuPDF's ``bake()``. The answers are no longer field values,
but each field's appearance (the text a viewer drew for it, the cross in a
ticked box) is now part of the page, at the place the form gave the field.
The ``PaperMap`` stored with the issued form says where that is, so the
answers are read there, without anyone typing them:

- a written answer is the text of the text objects that start inside its
  zone. A whole object is taken, not the characters inside the rectangle: a
  viewer that drew a long value past the field's edge (clipped on screen,
  kept in the file) gives the whole value, as the form field held it. Text
  of another origin reaching into the zone makes it unreadable rather than
  cut or mixed;
- a tick box is ticked when something is drawn inside it, away from its
  printed outline: our appearance draws the cross as lines (``cross_ops``),
  PyMuPDF a disc, Acrobat a ZapfDingbats glyph; all are ink in the box. The
  page is rendered once and the inside of each box looked at.

Reading is only tried where it cannot mislead. A page is read when its four
registration marks are drawn exactly where the map puts them (a page printed
"fit to page" or on Letter paper moves them, and every zone with them), and
the file is taken for our form's text only when the visible text of the pages
holds the form's own labels: a scan has no text, or an OCR layer the scanner
made invisible; a "print to PDF" without a usable text encoding gives no
labels. Otherwise ``read_text_layer`` returns ``None`` and the caller treats
the file as a scan (QR codes, answers keyed by HR). Text or an image hiding a
zone or a box (an OCR layer under a scanned picture, a pasted signature) is
not read either.

Who the form is for is not read here: the caller identified the file
(``pdf_reader.identify_pdf``: /Info, hidden field, QR codes) and keeps that
identity; this reader only gives the answers, with provenance ``pdf_text``.
The pages are measured before pdfium parses them, as the scan reader does
(``scan``'s page cost, its time limits): a hostile page is not read.
"""

from __future__ import annotations

import ctypes
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

from entretien_forms.forms.paper import Box, PaperMap, PaperPage, Rect, Zone
from entretien_forms.inbox import scan
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, RawAnswer

__all__ = ["read_text_layer"]

# How far (points) a text object may start outside its zone and still be its
# answer: appearances start 1 to 3 points inside the widget; neighbouring zones
# are at least 4 points apart, and labels further.
TOLERANCE = 1.0
# Rendering for the tick boxes and registration marks: 3 pixels a point (216
# dpi) gives a 9-point box 27 pixels, and our cross's 1.4-point strokes 4.
_SCALE = 3.0
# The inside of a box looked at: its printed outline (0.8 point, centred on the
# edge) and a margin left out, so that only what was drawn in it counts.
_BOX_MARGIN = 1.5
_DARK = 128  # grey level under which a pixel is ink (our box fill is 247)
_TICKED_INK = 0.04  # share of the inside that is ink in a ticked box (a cross: ~40 %)
_MARK_INK = 0.9  # share of a mark's middle that is ink where a mark is printed
_MARK_MIDDLE = 0.6  # the middle of a mark looked at, as a share of its side
_SIZE_TOLERANCE = 1.0  # points between the page's size and the map's
# Text render modes that leave nothing on the page (ISO 32000-1, 9.3.6): OCR layers.
_INVISIBLE_MODES = frozenset({3, 7})
# Half of the form's labels must be found in the visible text of the pages read.
_LABELS_FOUND = 0.5
# A table cell's label is "<column> – <row>" or "<column> (<n>)" (forms.definition):
# only the column is printed; any label's head is printed as it is.
_LABEL_HEAD = re.compile(r" – | \(")
_SPACES = re.compile(r"\s+")
# A line's height as a share of the text's size: 1.2 in our appearances, 1.16 in
# pypdf's, 1.12 in PyMuPDF's; dividing a baseline's drop by it counts the lines.
_LEADING = 1.15
_PLAUSIBLE_SIZE = 4.0  # points: a smaller reported font size is a scaled 1 pt font

Grey = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class _Char:
    """One character of a page's text, in the order pdfium reads the content."""

    text: str
    generated: bool  # a space or line break pdfium inferred from the layout
    y: float  # the baseline, page coordinates
    left: float
    right: float
    centre: tuple[float, float]
    size: float
    obj: int | None  # the text object it belongs to (None for a generated one)
    visible: bool


@dataclass
class _Layer:
    """What one page shows: its characters, text objects, pictures and pixels."""

    chars: list[_Char]
    anchors: dict[int, tuple[float, float]]  # text object -> centre of its first character
    images: list[Rect]  # where pictures are drawn, page coordinates
    pixels: Grey  # the page in shades of grey at _SCALE, row 0 at the top
    height: float

    def visible_text(self) -> str:
        return "".join(c.text for c in self.chars if c.visible and not c.generated)

    def ink(self, rect: Rect) -> float:
        """The share of ``rect`` that is ink (0 when the rectangle is off the page)."""
        x0, y0, x1, y1 = rect
        top, bottom = round((self.height - y1) * _SCALE), round((self.height - y0) * _SCALE)
        left, right = round(x0 * _SCALE), round(x1 * _SCALE)
        region = self.pixels[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)]
        if region.size == 0:
            return 0.0
        return float(np.count_nonzero(region < _DARK)) / region.size


@dataclass
class _Reading:
    answers: dict[str, RawAnswer] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    heads: set[str] = field(default_factory=set)  # label heads of the pages read
    found: set[str] = field(default_factory=set)  # ... found in their visible text
    visible: int = 0  # visible characters on the pages read
    pages_read: int = 0


# --------------------------------------------------------------------------- public API


def read_text_layer(
    data: bytes, name: str, paper: PaperMap, file_pages: Mapping[int, int] | None = None
) -> Extraction | None:
    """The answers a flattened copy of our PDF form shows, or ``None`` if it shows none as text.

    ``paper`` is the map of the layout the form was issued from;
    ``file_pages`` says which page of the form (1-based) each page of the
    file (1-based) is, as the QR codes told; without it, the file's pages
    are the form's, in order. ``None`` means the file is not our form's text
    (a scan, text without usable characters, pages resized): the caller reads
    it as a scan. The identity of the result is empty: the caller's stands.
    ``name`` is the file's name, for the notes. A file qpdf or pdfium cannot
    open raises the scan reader's ``RejectedFile`` (damaged, password).
    """
    reading = _Reading()
    unread: list[int] = []
    with scan._qpdf(data, name) as pdf:
        tree = scan._page_tree(pdf, name)
        with scan._pdfium(data, name, len(tree)) as document:
            deadline = time.monotonic() + scan.FILE_SECONDS
            for file_page, form_page in _pages(file_pages, len(tree), paper):
                mapped = paper.page(form_page)
                if mapped is None:
                    continue
                page_dict, resources = tree[file_page - 1]
                layer = None
                if scan._bounded(page_dict, resources, name) and time.monotonic() < deadline:
                    page = document[file_page - 1]
                    try:
                        layer = _layer(page, paper)
                    finally:
                        page.close()
                if layer is None:
                    unread.append(form_page)
                else:
                    _read_page(layer, mapped, reading)
            producer = _producer(document)
    if not reading.pages_read or not _ours(reading):
        return None
    notes = [
        f"Formulaire PDF sans champs (aplati ou imprimé en PDF) : réponses lues dans le texte "
        f"de « {name} » ; vérifiez-les.",
        *reading.notes,
    ]
    if unread:
        listed = ", ".join(str(n) for n in sorted(unread))
        notes.append(
            f"Page(s) {listed} du formulaire non lue(s) (mise en page différente, page "
            "redimensionnée à l'impression, ou page trop lourde) : saisissez leurs réponses."
        )
    return Extraction(
        identity=ClaimedIdentity(), answers=reading.answers, producer=producer, notes=notes
    )


# --------------------------------------------------------------------------- pages


def _pages(
    file_pages: Mapping[int, int] | None, count: int, paper: PaperMap
) -> Iterator[tuple[int, int]]:
    """(file page, form page) pairs to read, 1-based, each form page once, in file order."""
    if file_pages is None:
        pairs = [(n, n) for n in range(1, min(count, len(paper.pages)) + 1)]
    else:
        pairs = sorted((f, p) for f, p in file_pages.items() if 1 <= f <= count)
    seen: set[int] = set()
    for file_page, form_page in pairs:
        if form_page not in seen:
            seen.add(form_page)
            yield file_page, form_page


def _layer(page: pdfium.PdfPage, paper: PaperMap) -> _Layer | None:
    """The page's text, pictures and pixels; ``None`` when it is not laid out as the map says."""
    width, height = page.get_size()
    if (
        abs(width - paper.width) > _SIZE_TOLERANCE
        or abs(height - paper.height) > _SIZE_TOLERANCE
        or page.get_rotation() % 360
    ):
        return None
    deadline = time.monotonic() + scan.PAGE_SECONDS
    pixels = scan._render(page, round(width * _SCALE), round(height * _SCALE), deadline)
    if pixels is None:
        return None
    layer = _Layer([], {}, [], pixels, height)
    half = paper.mark_size * _MARK_MIDDLE / 2
    for x, y in paper.marks:
        if layer.ink((x - half, y - half, x + half, y + half)) < _MARK_INK:
            return None
    text_page = page.get_textpage()
    try:
        layer.chars = list(_chars(text_page))
    finally:
        text_page.close()
    for index, char in enumerate(layer.chars):
        if char.obj is not None and char.obj not in layer.anchors and char.text.strip():
            layer.anchors[char.obj] = layer.chars[index].centre
    layer.images = list(_images(page))
    return layer


def _chars(text_page: pdfium.PdfTextPage) -> Iterator[_Char]:
    raw = text_page.raw
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    x, y = ctypes.c_double(), ctypes.c_double()
    modes: dict[int, int] = {}
    for index in range(pdfium_c.FPDFText_CountChars(raw)):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        generated = bool(pdfium_c.FPDFText_IsGenerated(raw, index))
        pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top)
        pdfium_c.FPDFText_GetCharOrigin(raw, index, x, y)
        handle = pdfium_c.FPDFText_GetTextObject(raw, index)
        obj = ctypes.cast(handle, ctypes.c_void_p).value if handle else None
        if obj is not None and obj not in modes:
            modes[obj] = pdfium_c.FPDFTextObj_GetTextRenderMode(handle)
        try:
            text = chr(code)
        except (ValueError, OverflowError):
            text = "\ufffd"
        yield _Char(
            text=text,
            generated=generated or obj is None,
            y=y.value,
            left=left.value,
            right=right.value,
            centre=((left.value + right.value) / 2, (bottom.value + top.value) / 2),
            size=pdfium_c.FPDFText_GetFontSize(raw, index),
            obj=obj,
            visible=obj is not None and modes[obj] not in _INVISIBLE_MODES,
        )


def _images(page: pdfium.PdfPage) -> Iterator[Rect]:
    """Where each picture of the page is drawn, in page coordinates (forms followed)."""
    matrices: dict[int | None, pdfium.PdfMatrix] = {None: pdfium.PdfMatrix()}
    for obj in page.get_objects(max_depth=8):
        container = _address(obj.container.raw) if obj.container is not None else None
        outer = matrices.get(container)
        if outer is None:
            continue
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            matrices[_address(obj.raw)] = obj.get_matrix().multiply(outer)
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            x0, y0, x1, y1 = outer.on_rect(*obj.get_bounds())
            yield (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _address(raw: Any) -> int | None:
    """A pdfium object's address: its identity while its page is open."""
    value: int | None = ctypes.cast(raw, ctypes.c_void_p).value
    return value


def _producer(document: pdfium.PdfDocument) -> str | None:
    metadata = document.get_metadata_dict(skip_empty=True)
    producer, creator = metadata.get("Producer"), metadata.get("Creator")
    if producer and creator and creator != producer:
        return f"{producer} ({creator})"
    return producer or creator or None


# --------------------------------------------------------------------------- answers


def _read_page(layer: _Layer, mapped: PaperPage, reading: _Reading) -> None:
    reading.pages_read += 1
    text = _squeezed(layer.visible_text())
    reading.visible += len(text)
    for zone in mapped.zones:
        head = _squeezed(_LABEL_HEAD.split(zone.label, maxsplit=1)[0])
        if head:
            reading.heads.add(head)
            if head in text:
                reading.found.add(head)
    owners: dict[int, str] = {}  # text object -> the zone or box it starts in
    areas: list[tuple[str, Rect]] = [(z.key, z.rect) for z in mapped.zones]
    areas += [(f"{b.key}={b.value}", b.rect) for b in mapped.boxes]
    for obj, point in layer.anchors.items():
        for key, rect in areas:
            if _inside(point, rect, TOLERANCE):
                owners[obj] = key
                break
    for zone in mapped.zones:
        value = _zone(layer, zone, owners)
        if value is None:
            reading.notes.append(
                f"« {zone.label} » : du texte ou une image déborde sur la zone de la réponse, "
                "qui n'a pas été lue ; saisissez-la."
            )
        elif value:
            reading.answers[zone.key] = RawAnswer(value, "pdf_text")
    _boxes(layer, mapped.boxes, reading)


def _zone(layer: _Layer, zone: Zone, owners: Mapping[int, str]) -> str | None:
    """The text written in ``zone``; ``None`` when something else covers it."""
    if any(_overlaps(image, zone.rect) for image in layer.images):
        return None
    members = {obj for obj, key in owners.items() if key == zone.key}
    for char in layer.chars:
        if (
            char.visible
            and not char.generated
            and char.text.strip()
            and char.obj not in owners
            and _inside(char.centre, zone.rect, 0.0)
        ):
            return None  # text of no answer (a label, an OCR layer) inside the zone
    lines = _text(layer.chars, members).split("\n")
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if zone.kind == "multiline":
        return "\n".join(lines)
    return " ".join(line.strip() for line in lines if line.strip())


def _text(chars: Sequence[_Char], members: set[int]) -> str:
    """The characters of ``members`` in reading order, with the spaces and breaks between them.

    A line break where the baseline moves by more than half the text's size,
    two where it moves twice a line's height (an empty line);
    a space where pdfium inferred one between two of them, or where two text
    objects on one line are apart.
    """
    out: list[str] = []
    previous: _Char | None = None
    space = False
    # Some writers (cairo, "print to PDF") set a 1 pt font scaled by the text matrix, and
    # pdfium reports that 1 pt: the line pitch is then taken from the text itself.
    pitch = _line_pitch([c for c in chars if not c.generated and c.obj in members])
    for char in chars:
        if char.generated:
            space = space or (previous is not None and char.text == " ")
            continue
        if char.obj not in members:
            space = False
            continue
        if previous is not None:
            size = max(char.size, previous.size, 1.0)
            drop = abs(char.y - previous.y)
            line = size * _LEADING
            if size < _PLAUSIBLE_SIZE and pitch is not None:
                size, line = pitch / _LEADING, pitch
            if drop > size / 2:  # a blank line drops the baseline twice as far
                out.append("\n" * max(1, round(drop / line)))
            elif (
                space or (char.obj != previous.obj and char.left - previous.right > size / 5)
            ) and (out and not out[-1].isspace() and not char.text.isspace()):
                out.append(" ")
        out.append(char.text)
        previous = char
        space = False
    return "".join(out)


def _line_pitch(chars: Sequence[_Char]) -> float | None:
    """The smallest move of the baseline from one line to the next, ``None`` on one line."""
    drops = [abs(b.y - a.y) for a, b in pairwise(chars) if abs(b.y - a.y) > 2.0]
    return min(drops) if drops else None


def _boxes(layer: _Layer, boxes: Sequence[Box], reading: _Reading) -> None:
    """Each question's ticks: a choice's one ticked value, each check box's True or False."""
    ticked: dict[str, list[str | bool]] = {}
    unreadable: set[str] = set()
    for box in boxes:
        ticked.setdefault(box.key, [])
        if any(_overlaps(image, box.rect) for image in layer.images):
            unreadable.add(box.key)
            continue
        x0, y0, x1, y1 = box.rect
        inside = (x0 + _BOX_MARGIN, y0 + _BOX_MARGIN, x1 - _BOX_MARGIN, y1 - _BOX_MARGIN)
        if layer.ink(inside) >= _TICKED_INK:
            ticked[box.key].append(box.value)
    for key, values in ticked.items():
        if key in unreadable:
            reading.notes.append(
                f"« {key} » : une image couvre les cases à cocher, non lues ; saisissez la réponse."
            )
        elif len(values) > 1:
            reading.notes.append(
                f"« {key} » : plusieurs cases cochées pour une seule réponse, aucune n'est "
                "retenue ; saisissez la réponse."
            )
        elif values:
            reading.answers[key] = RawAnswer(values[0], "pdf_text")
        elif any(box.value is True for box in boxes if box.key == key):
            reading.answers[key] = RawAnswer(False, "pdf_text")  # a check box left empty


def _ours(reading: _Reading) -> bool:
    """Whether the pages read show our form's own text (its labels), as text."""
    if reading.heads:
        return len(reading.found) >= _LABELS_FOUND * len(reading.heads)
    return reading.visible > 0


# --------------------------------------------------------------------------- geometry


def _inside(point: tuple[float, float], rect: Rect, tolerance: float) -> bool:
    x, y = point
    x0, y0, x1, y1 = rect
    return x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _squeezed(text: str) -> str:
    """Text without any white space, case folded: labels wrap and space differently."""
    return _SPACES.sub("", text).casefold()
