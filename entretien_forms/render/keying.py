"""The keying sheet (« fiche de saisie »): a scan's handwriting beside empty fields to type it in.

A form printed, written on with a pen and scanned comes back as pictures:
its tick boxes are read, its handwriting is not. Rather than a blank screen
and the scan in another window, HR gets one fillable PDF per paper return:
each written answer's zone cut out of the scan, its question above it and an
empty field right under it, named after the answer's key; then the tick-box
questions with the marks already read pre-ticked (to confirm or correct), the
ones the reader was unsure of flagged and left empty. HR fills it in any PDF
reader, saves it and drops it in the inbox, where ``inbox/keying_reader.py``
reads it back.

The static page (texts, frames, pictures) is drawn by reportlab; the form
fields are then added with pikepdf, as a proper field tree: answer keys hold
dots (``objectifs.2.cible``), which a PDF partial field name must not
(ISO 32000-1, 12.7.3.2), so each dot is a level of the tree and every viewer
reports the full key again, as for the forms themselves.

The sheet carries the paper return's identity (``/Info`` and a hidden field,
keys in ``identity.py``), signed over the reference, the return's id and the
scan's digest, so that it cannot be dropped onto another return.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String
from PIL import Image
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from entretien_forms.forms.contract import (
    HIDDEN_FIELD,
    PDF_OFF_STATE,
    PDF_ON_STATE,
    pdf_name_parts,
)
from entretien_forms.forms.paper import ZoneKind
from entretien_forms.identity import (
    KEYING_FIELD,
    KEYING_INFO_REFERENCE,
    KEYING_INFO_SCAN,
    KEYING_INFO_SHEET,
    KEYING_INFO_SIGNATURE,
    KEYING_INFO_SUBMISSION,
    KEYING_SHEET,
)
from entretien_forms.render._pdf_fields import cross_ops
from entretien_forms.render._pdf_text import fit, winansi, winansi_lines, wrap

__all__ = [
    "ScannedPage",
    "SheetHeader",
    "TickOption",
    "TickQuestion",
    "WrittenAnswer",
    "render_keying_sheet",
]

PRODUCER = "entretien-forms"

# Page geometry (points). A4 portrait, as the forms.
PAGE_WIDTH: float = A4[0]
PAGE_HEIGHT: float = A4[1]
MARGIN = 40.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP = PAGE_HEIGHT - MARGIN
BOTTOM = MARGIN + 18  # the footer sits under it
LABEL_SIZE = 9.5
NOTE_SIZE = 8.0
FIELD_FONT_SIZE = 10.0
LINE_FIELD_HEIGHT = 22.0
MULTILINE_MIN, MULTILINE_MAX = 60.0, 240.0
BOX_SIZE = 11.0
BLOCK_GAP = 14.0
_PAGE_TOP = TOP - 16  # from page 2, under the running header

# Pictures of the scan: dense enough to read handwriting, small enough that the
# sheet of a ten-page form stays a few hundred kilobytes (greyscale JPEG).
IMAGE_DPI = 150
IMAGE_QUALITY = 60
PAGE_IMAGE_DPI = 110  # whole pages (no registration): a page to read, not to zoom in on

_INK = (0.1, 0.1, 0.1)
_MUTED = (0.4, 0.4, 0.4)
_WARN = (0.75, 0.1, 0.05)
_FIELD_BG = (0.96, 0.97, 1.0)
_FIELD_BORDER = (0.45, 0.5, 0.65)
_DATE_HINT = "jj/mm/aaaa"

# Field and annotation flags (ISO 32000-1, tables 165, 221, 226, 228).
_FF_READ_ONLY = 1
_FF_MULTILINE = 1 << 12
_FF_RADIO = 1 << 15
_F_HIDDEN = 2
_F_PRINT = 4
_TEXT_FONT = "Helv"
_CHECK_FONT = "ZaDb"


# --------------------------------------------------------------------------- what is drawn


@dataclass(frozen=True)
class SheetHeader:
    """Who and what the sheet is for, and the signed identity of the paper return."""

    reference: str
    submission_id: int
    scan_sha256: str
    signature: str  # ``identity.sign_keying``
    employee_name: str
    matricule: str
    form_title: str
    campaign: str
    scan_name: str  # the file HR scanned, as received
    received_at: datetime


@dataclass(frozen=True)
class WrittenAnswer:
    """A handwritten answer to key: its zone of the scan (``None``: not found on it)."""

    key: str
    label: str
    kind: ZoneKind
    page: int  # of the form, 1-based; 0 when its place on paper is not known
    image: Image.Image | None = None  # greyscale, the zone and a little margin
    image_dpi: float = 200.0  # the picture's pixels per inch of paper: shown at printed size
    height: float = 0.0  # of the zone on paper (points): sizes a multiline field
    blank: bool = False  # nothing written in it on the scan: no picture, a note instead


@dataclass(frozen=True)
class TickOption:
    """One tick box of a question: the field it is, what ticking it means, if it is ticked.

    A choice or a rating is one radio group: every option has the question's
    key and its export value. A check box or an option of a multiple choice
    is a field of its own (``key`` is ``<id>#<n>`` for an option), ``value`` True.
    """

    key: str
    value: str | bool
    text: str
    ticked: bool = False


@dataclass(frozen=True)
class TickQuestion:
    """A tick-box question: a radio group, or check boxes side by side."""

    label: str
    page: int
    options: tuple[TickOption, ...]
    radio: bool
    unsure: bool = False  # the reader could not tell: flagged, left empty
    image: Image.Image | None = None  # its boxes on the scan
    image_dpi: float = 200.0


@dataclass(frozen=True)
class ScannedPage:
    """A whole page of the scan, shown when its zones could not be located on it."""

    page: int  # of the form
    image: Image.Image


# --------------------------------------------------------------------------- layout


WidgetKind = Literal["text", "multiline", "checkbox", "radio"]


@dataclass(frozen=True)
class _Widget:
    """A form field's widget, placed on a page of the sheet."""

    page: int  # 0-based page of the sheet
    rect: tuple[float, float, float, float]
    name: str
    kind: WidgetKind
    tooltip: str
    value: str | bool = ""  # a radio option's export value
    ticked: bool = False


Draw = Callable[[Canvas], None]


@dataclass
class _Page:
    draws: list[Draw] = field(default_factory=list)
    widgets: list[_Widget] = field(default_factory=list)


class _Layout:
    """Places blocks down the pages, starting a new page when a block does not fit."""

    def __init__(self, header: SheetHeader) -> None:
        self.header = header
        self.pages: list[_Page] = []
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = self._top_of_page()

    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def room(self) -> float:
        return self.y - BOTTOM

    def make_room(self, height: float) -> None:
        """A new page unless ``height`` fits under what this page holds already."""
        if height > self.room() and self.y < self._top_of_page():
            self.new_page()

    def _top_of_page(self) -> float:
        return TOP if len(self.pages) == 1 else _PAGE_TOP

    def draw(self, draw: Draw) -> None:
        self.page.draws.append(draw)

    def widget(self, widget: _Widget) -> None:
        self.page.widgets.append(widget)

    @property
    def page_index(self) -> int:
        return len(self.pages) - 1


def _text_lines(text: str, font: str, size: float, width: float) -> list[str]:
    return wrap("\n".join(winansi_lines(text)), font, size, width)


def _draw_lines(
    lines: Sequence[str],
    x: float,
    top: float,
    font: str,
    size: float,
    colour: tuple[float, float, float] = _INK,
) -> Draw:
    def draw(canvas: Canvas) -> None:
        canvas.setFillColorRGB(*colour)
        canvas.setFont(font, size)
        for n, line in enumerate(lines):
            canvas.drawString(x, top - size - n * size * 1.2, line)

    return draw


def _lines_height(lines: Sequence[str], size: float) -> float:
    return len(lines) * size * 1.2 + 2 if lines else 0.0


def _jpeg(image: Image.Image, width: float, height: float, dpi: int) -> ImageReader:
    """The picture in greyscale, at most ``dpi`` at the size it is shown, as a JPEG.

    reportlab embeds a JPEG as it is (DCTDecode): the sheet holds the
    compressed bytes, not a decoded bitmap ten times larger.
    """
    grey = image.convert("L")
    most = (max(1, math.ceil(width / 72 * dpi)), max(1, math.ceil(height / 72 * dpi)))
    if grey.width > most[0] or grey.height > most[1]:
        grey = grey.resize(most, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    grey.save(buffer, "JPEG", quality=IMAGE_QUALITY, optimize=True)
    buffer.seek(0)
    return ImageReader(buffer)


def _draw_image(image: ImageReader, x: float, y: float, width: float, height: float) -> Draw:
    def draw(canvas: Canvas) -> None:
        canvas.drawImage(image, x, y, width, height)
        canvas.setStrokeColorRGB(0.75, 0.75, 0.75)
        canvas.setLineWidth(0.5)
        canvas.rect(x, y, width, height, stroke=1, fill=0)

    return draw


def _draw_field_frame(x: float, y: float, width: float, height: float) -> Draw:
    """The field's look on the page itself: every viewer shows it, whatever its forms support."""

    def draw(canvas: Canvas) -> None:
        canvas.setFillColorRGB(*_FIELD_BG)
        canvas.setStrokeColorRGB(*_FIELD_BORDER)
        canvas.setLineWidth(0.8)
        canvas.rect(x, y, width, height, stroke=1, fill=1)

    return draw


def _image_size(image: Image.Image, width: float, room: float) -> tuple[float, float]:
    """The picture's size on the sheet: ``width`` points wide at most, ``room`` high at most."""
    ratio = image.height / max(1, image.width)
    shown_width = width
    shown_height = shown_width * ratio
    if shown_height > room:
        shown_height = room
        shown_width = shown_height / ratio
    return shown_width, shown_height


def _printed_width(image: Image.Image, dpi: float) -> float:
    """The picture's width on paper (points), where it fits: handwriting looks as written."""
    return min(CONTENT_WIDTH, image.width / max(dpi, 1.0) * 72)


def _header(layout: _Layout, header: SheetHeader, notes: Sequence[str]) -> None:
    lines_title = [
        fit(winansi(f"Fiche de saisie — {header.form_title}"), "Helvetica-Bold", 15, CONTENT_WIDTH)
    ]
    layout.draw(_draw_lines(lines_title, MARGIN, layout.y, "Helvetica-Bold", 15))
    layout.y -= 22
    facts = [
        f"Salarié : {header.employee_name} · matricule {header.matricule}",
        f"Formulaire {header.reference} · campagne {header.campaign}",
        f"Scan : {header.scan_name} (reçu le {header.received_at:%d/%m/%Y à %H:%M})",
    ]
    for fact in facts:
        lines = [fit(winansi(fact), "Helvetica", 10, CONTENT_WIDTH)]
        layout.draw(_draw_lines(lines, MARGIN, layout.y, "Helvetica", 10))
        layout.y -= 13
    layout.y -= 4
    guide = (
        "Recopiez dans chaque champ ce qui est écrit dans la zone du scan juste au-dessus ; "
        "laissez vide ce qui n'est pas écrit. Les cases sont cochées comme elles ont été lues "
        "sur le scan : confirmez-les ou corrigez-les ; celles marquées « à vérifier » n'ont pas "
        "pu être lues. Enregistrez ensuite ce fichier (sans changer son nom si possible) et "
        "déposez-le dans le dossier inbox/ de l'espace de travail."
    )
    lines = _text_lines(guide, "Helvetica", NOTE_SIZE + 0.5, CONTENT_WIDTH)
    layout.draw(_draw_lines(lines, MARGIN, layout.y, "Helvetica", NOTE_SIZE + 0.5, _MUTED))
    layout.y -= _lines_height(lines, NOTE_SIZE + 0.5) + 4
    for note in notes:
        lines = _text_lines(note, "Helvetica-Bold", NOTE_SIZE + 0.5, CONTENT_WIDTH)
        layout.make_room(_lines_height(lines, NOTE_SIZE + 0.5))
        layout.draw(_draw_lines(lines, MARGIN, layout.y, "Helvetica-Bold", NOTE_SIZE + 0.5, _WARN))
        layout.y -= _lines_height(lines, NOTE_SIZE + 0.5) + 2
    layout.y -= BLOCK_GAP


def _section_title(layout: _Layout, title: str) -> None:
    layout.make_room(60)
    lines = [fit(winansi(title), "Helvetica-Bold", 12, CONTENT_WIDTH)]
    layout.draw(_draw_lines(lines, MARGIN, layout.y, "Helvetica-Bold", 12))
    layout.y -= 20


def _label(answer_label: str, page: int, hint: str | None) -> tuple[list[str], list[str]]:
    label = _text_lines(answer_label, "Helvetica-Bold", LABEL_SIZE, CONTENT_WIDTH)
    details = [f"page {page} du formulaire"] if page > 0 else []  # 0: place unknown
    details += [hint] if hint else []
    detail = [fit(winansi(" · ".join(details)), "Helvetica", NOTE_SIZE, CONTENT_WIDTH)]
    return label, detail if details else []


def _written(layout: _Layout, answer: WrittenAnswer) -> None:
    hint = {"date": f"date au format {_DATE_HINT}", "number": "un nombre"}.get(answer.kind)
    if answer.blank:
        hint = "rien d'écrit dans cette zone du scan" + (f" ({hint})" if hint else "")
    label, detail = _label(answer.label, answer.page, hint)
    if answer.kind == "multiline" and answer.blank:
        field_height = MULTILINE_MIN
    elif answer.kind == "multiline":
        field_height = min(MULTILINE_MAX, max(MULTILINE_MIN, answer.height * 0.8))
    else:
        field_height = LINE_FIELD_HEIGHT
    text_height = _lines_height(label, LABEL_SIZE) + _lines_height(detail, NOTE_SIZE) + 2
    usable = _PAGE_TOP - BOTTOM
    image_room = usable - text_height - field_height - 8
    picture: tuple[ImageReader, float, float] | None = None
    if answer.image is not None:
        shown = _printed_width(answer.image, answer.image_dpi)
        width, height = _image_size(answer.image, shown, image_room)
        picture = (_jpeg(answer.image, width, height, IMAGE_DPI), width, height)
    needed = text_height + (picture[2] + 4 if picture else 0) + field_height
    layout.make_room(needed)
    layout.draw(_draw_lines(label, MARGIN, layout.y, "Helvetica-Bold", LABEL_SIZE))
    layout.y -= _lines_height(label, LABEL_SIZE)
    layout.draw(_draw_lines(detail, MARGIN, layout.y, "Helvetica", NOTE_SIZE, _MUTED))
    layout.y -= _lines_height(detail, NOTE_SIZE) + 2
    if picture is not None:
        reader, width, height = picture
        layout.draw(_draw_image(reader, MARGIN, layout.y - height, width, height))
        layout.y -= height + 4
    bottom = layout.y - field_height
    layout.draw(_draw_field_frame(MARGIN, bottom, CONTENT_WIDTH, field_height))
    kind: WidgetKind = "multiline" if answer.kind == "multiline" else "text"
    tooltip = answer.label + (f" ({_DATE_HINT})" if answer.kind == "date" else "")
    layout.widget(
        _Widget(
            layout.page_index,
            (MARGIN, bottom, MARGIN + CONTENT_WIDTH, layout.y),
            answer.key,
            kind,
            tooltip,
        )
    )
    layout.y = bottom - BLOCK_GAP


def _option_rows(options: Sequence[TickOption]) -> list[list[tuple[TickOption, float, str]]]:
    """Options flowing left to right, wrapped into rows: (option, x offset, text shown)."""
    rows: list[list[tuple[TickOption, float, str]]] = [[]]
    x = 0.0
    for option in options:
        text = fit(winansi(option.text), "Helvetica", LABEL_SIZE, CONTENT_WIDTH - BOX_SIZE - 6)
        width = BOX_SIZE + 4 + _width(text) + 14
        if x and x + width > CONTENT_WIDTH:
            rows.append([])
            x = 0.0
        rows[-1].append((option, x, text))
        x += width
    return rows


def _width(text: str) -> float:
    return float(stringWidth(text, "Helvetica", LABEL_SIZE))


def _ticks(layout: _Layout, question: TickQuestion) -> None:
    label, detail = _label(question.label, question.page, None)
    warning: list[str] = []
    if question.unsure:
        warning = _text_lines(
            "À vérifier : la case cochée n'a pas pu être lue sur le scan. "
            "Regardez la page du scan et cochez la bonne réponse.",
            "Helvetica-Bold",
            NOTE_SIZE,
            CONTENT_WIDTH,
        )
    rows = _option_rows(question.options)
    row_height = BOX_SIZE + 7
    text_height = (
        _lines_height(label, LABEL_SIZE)
        + _lines_height(detail, NOTE_SIZE)
        + _lines_height(warning, NOTE_SIZE)
        + 2
    )
    picture: tuple[ImageReader, float, float] | None = None
    if question.image is not None:
        shown = _printed_width(question.image, question.image_dpi)
        width, height = _image_size(question.image, shown, 120)
        picture = (_jpeg(question.image, width, height, IMAGE_DPI), width, height)
    layout.make_room(text_height + (picture[2] + 4 if picture else 0) + len(rows) * row_height)
    layout.draw(_draw_lines(label, MARGIN, layout.y, "Helvetica-Bold", LABEL_SIZE))
    layout.y -= _lines_height(label, LABEL_SIZE)
    layout.draw(_draw_lines(detail, MARGIN, layout.y, "Helvetica", NOTE_SIZE, _MUTED))
    layout.y -= _lines_height(detail, NOTE_SIZE)
    if warning:
        layout.draw(_draw_lines(warning, MARGIN, layout.y, "Helvetica-Bold", NOTE_SIZE, _WARN))
        layout.y -= _lines_height(warning, NOTE_SIZE)
    layout.y -= 2
    if picture is not None:
        reader, width, height = picture
        layout.draw(_draw_image(reader, MARGIN, layout.y - height, width, height))
        layout.y -= height + 4
    for row in rows:
        box_bottom = layout.y - BOX_SIZE - 2
        for option, offset, text in row:
            x = MARGIN + offset
            layout.draw(_draw_field_frame(x, box_bottom, BOX_SIZE, BOX_SIZE))
            layout.draw(
                _draw_lines(
                    [text], x + BOX_SIZE + 4, box_bottom + BOX_SIZE + 1.5, "Helvetica", LABEL_SIZE
                )
            )
            layout.widget(
                _Widget(
                    layout.page_index,
                    (x, box_bottom, x + BOX_SIZE, box_bottom + BOX_SIZE),
                    option.key,
                    "radio" if question.radio else "checkbox",
                    f"{question.label} : {option.text}",
                    option.value,
                    option.ticked and not question.unsure,
                )
            )
        layout.y -= row_height
    layout.y -= BLOCK_GAP


def _whole_page(layout: _Layout, page: ScannedPage) -> None:
    layout.make_room(PAGE_HEIGHT)  # a page of its own, unless this one is still empty
    caption = [winansi(f"Page {page.page} du formulaire, telle que scannée")]
    layout.draw(_draw_lines(caption, MARGIN, layout.y, "Helvetica-Bold", LABEL_SIZE))
    layout.y -= _lines_height(caption, LABEL_SIZE) + 2
    width, height = _image_size(page.image, CONTENT_WIDTH, layout.room())
    reader = _jpeg(page.image, width, height, PAGE_IMAGE_DPI)
    layout.draw(_draw_image(reader, MARGIN, layout.y - height, width, height))
    layout.y -= height + BLOCK_GAP


def _frame(canvas: Canvas, header: SheetHeader, index: int, total: int) -> None:
    """Running header (from page 2) and footer: a page printed alone still says whose it is."""
    canvas.setFont("Helvetica", NOTE_SIZE)
    canvas.setFillColorRGB(*_MUTED)
    if index > 0:
        text = fit(
            winansi(
                f"Fiche de saisie — {header.employee_name} · matricule {header.matricule} · "
                f"{header.reference}"
            ),
            "Helvetica",
            NOTE_SIZE,
            CONTENT_WIDTH,
        )
        canvas.drawString(MARGIN, TOP - NOTE_SIZE + 2, text)
    footer = winansi(f"Fiche de saisie {header.reference} — page {index + 1} / {total}")
    canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, footer)


# --------------------------------------------------------------------------- fields


def _appearance(pdf: Pdf, width: float, height: float, content: bytes) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, content)
    stream["/Type"] = Name.XObject
    stream["/Subtype"] = Name.Form
    stream["/BBox"] = Array([0, 0, width, height])
    stream["/Resources"] = Dictionary()
    return stream


class _FieldTree:
    """Non-terminal fields for each dotted prefix of the keys, and the top-level fields."""

    def __init__(self, pdf: Pdf) -> None:
        self.pdf = pdf
        self.top = Array()
        self.nodes: dict[tuple[str, ...], Dictionary] = {}

    def hang(self, name: str, terminal: Dictionary) -> None:
        """Give ``terminal`` its partial name and parent, creating the parents it needs."""
        parts = pdf_name_parts(name)
        parent: Dictionary | None = None
        for end in range(1, len(parts)):
            node = self.nodes.get(parts[:end])
            if node is None:
                node = self.pdf.make_indirect(Dictionary(T=String(parts[end - 1]), Kids=Array()))
                self._attach(node, parent)
                self.nodes[parts[:end]] = node
            parent = node
        terminal["/T"] = String(parts[-1])
        self._attach(terminal, parent)

    def _attach(self, node: Dictionary, parent: Dictionary | None) -> None:
        if parent is None:
            self.top.append(node)
        else:
            node["/Parent"] = parent
            parent["/Kids"].append(node)


def _add_fields(pdf: Pdf, pages: Sequence[_Page], header: SheetHeader) -> None:
    helvetica = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )
    dingbats = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.ZapfDingbats)
    )
    tree = _FieldTree(pdf)
    box_states: dict[bool, pikepdf.Stream] = {
        True: pdf.make_indirect(
            _appearance(pdf, BOX_SIZE, BOX_SIZE, cross_ops(BOX_SIZE, BOX_SIZE))
        ),
        False: pdf.make_indirect(_appearance(pdf, BOX_SIZE, BOX_SIZE, b"")),
    }
    radios: dict[str, Dictionary] = {}
    for index, page in enumerate(pages):
        pdf_page = pdf.pages[index].obj
        annots = Array()
        for widget in page.widgets:
            x0, y0, x1, y1 = widget.rect
            annot = pdf.make_indirect(
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Widget,
                    Rect=Array([round(v, 2) for v in widget.rect]),
                    P=pdf_page,
                    F=_F_PRINT,
                )
            )
            annots.append(annot)
            if widget.kind in ("text", "multiline"):
                annot["/FT"] = Name.Tx
                annot["/TU"] = String(widget.tooltip)
                annot["/DA"] = String(f"/{_TEXT_FONT} {FIELD_FONT_SIZE:g} Tf 0 g")
                if widget.kind == "multiline":
                    annot["/Ff"] = _FF_MULTILINE
                annot["/AP"] = Dictionary(
                    N=pdf.make_indirect(_appearance(pdf, x1 - x0, y1 - y0, b"/Tx BMC EMC"))
                )
                tree.hang(widget.name, annot)
            elif widget.kind == "checkbox":
                state = Name(f"/{PDF_ON_STATE}") if widget.ticked else Name(f"/{PDF_OFF_STATE}")
                annot["/FT"] = Name.Btn
                annot["/TU"] = String(widget.tooltip)
                annot["/DA"] = String(f"/{_CHECK_FONT} 0 Tf 0 g")
                annot["/MK"] = Dictionary(CA=String("8"))
                annot["/AP"] = Dictionary(
                    N=Dictionary({f"/{PDF_ON_STATE}": box_states[True], "/Off": box_states[False]})
                )
                annot["/AS"] = state
                annot["/V"] = state
                tree.hang(widget.name, annot)
            else:  # one option of a radio group: the group is the field, the box its widget
                group = radios.get(widget.name)
                if group is None:
                    group = radios[widget.name] = pdf.make_indirect(
                        Dictionary(
                            FT=Name.Btn,
                            Ff=_FF_RADIO,
                            TU=String(widget.tooltip.rsplit(" : ", 1)[0]),
                            DA=String(f"/{_CHECK_FONT} 0 Tf 0 g"),
                            Opt=Array(),
                            Kids=Array(),
                        )
                    )
                    tree.hang(widget.name, group)
                # The on-state is the option's position in /Opt, as in the forms (contract).
                on = str(len(group["/Opt"]))
                group["/Opt"].append(String(str(widget.value)))
                group["/Kids"].append(annot)
                annot["/Parent"] = group
                annot["/MK"] = Dictionary(CA=String("8"))
                annot["/AP"] = Dictionary(
                    N=Dictionary({f"/{on}": box_states[True], "/Off": box_states[False]})
                )
                annot["/AS"] = Name(f"/{on}") if widget.ticked else Name.Off
                if widget.ticked:
                    group["/V"] = Name(f"/{on}")
        if index == 0:
            annots.append(_identity_field(pdf, pdf_page, header, tree))
            annots.append(_reference_field(pdf, pdf_page, header, tree))
        if len(annots):
            pdf_page["/Annots"] = annots
    pdf.Root["/AcroForm"] = Dictionary(
        Fields=tree.top,
        NeedAppearances=False,
        DA=String(f"/{_TEXT_FONT} 0 Tf 0 g"),
        DR=Dictionary(Font=Dictionary({f"/{_TEXT_FONT}": helvetica, f"/{_CHECK_FONT}": dingbats})),
    )


def _identity_field(
    pdf: Pdf, page: Dictionary, header: SheetHeader, tree: _FieldTree
) -> Dictionary:
    """The sheet's identity as a hidden, read-only field: it survives a viewer dropping /Info."""
    value = json.dumps(
        {
            "reference": header.reference,
            "retour": header.submission_id,
            "scan": header.scan_sha256,
            "signature": header.signature,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    annot = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            Rect=Array([0, 0, 0, 0]),
            P=page,
            F=_F_HIDDEN,
            FT=Name.Tx,
            Ff=_FF_READ_ONLY,
            TU=String("Identité de la fiche de saisie"),
            DA=String(f"/{_TEXT_FONT} 8 Tf 0 g"),
            V=String(value),
            AP=Dictionary(N=pdf.make_indirect(_appearance(pdf, 0, 0, b"/Tx BMC EMC"))),
        )
    )
    tree.hang(KEYING_FIELD, annot)
    return annot


def _reference_field(
    pdf: Pdf, page: Dictionary, header: SheetHeader, tree: _FieldTree
) -> Dictionary:
    """The forms' hidden reference field: a PDF reader finds the reference as on a form.

    Without it, a sheet whose ``/Info`` a viewer dropped would be taken for a
    flattened form and its pages searched for QR codes.
    """
    annot = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            Rect=Array([0, 0, 0, 0]),
            P=page,
            F=_F_HIDDEN,
            FT=Name.Tx,
            Ff=_FF_READ_ONLY,
            TU=String("Référence du formulaire"),
            DA=String(f"/{_TEXT_FONT} 8 Tf 0 g"),
            V=String(header.reference),
            AP=Dictionary(N=pdf.make_indirect(_appearance(pdf, 0, 0, b"/Tx BMC EMC"))),
        )
    )
    tree.hang(HIDDEN_FIELD, annot)
    return annot


# --------------------------------------------------------------------------- public API


def render_keying_sheet(
    header: SheetHeader,
    written: Sequence[WrittenAnswer],
    ticks: Sequence[TickQuestion],
    *,
    pages: Sequence[ScannedPage] = (),
    notes: Sequence[str] = (),
) -> bytes:
    """The fillable keying sheet of one paper return, as PDF bytes.

    ``written`` in the order HR keys them (the form's page order), each with
    its zone of the scan when it was found; ``pages``: whole pages of the
    scan, shown first when zones could not be cut out of them; ``notes``:
    French lines printed under the header (why a page is shown whole...).
    """
    layout = _Layout(header)
    _header(layout, header, notes)
    for page in pages:
        _whole_page(layout, page)
    if written:
        _section_title(layout, "Réponses écrites à la main")
        for answer in written:
            _written(layout, answer)
    if ticks:
        _section_title(layout, "Cases à cocher")
        for question in ticks:
            _ticks(layout, question)

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"Fiche de saisie — {header.form_title} — {header.employee_name}")
    total = len(layout.pages)
    for index, sheet_page in enumerate(layout.pages):
        _frame(canvas, header, index, total)
        for draw in sheet_page.draws:
            draw(canvas)
        canvas.showPage()
    canvas.save()

    with Pdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        _add_fields(pdf, layout.pages, header)
        pdf.docinfo = pdf.make_indirect(
            Dictionary(
                {
                    "/Title": String(
                        f"Fiche de saisie — {header.form_title} — {header.employee_name}"
                    ),
                    "/Subject": String(f"Saisie du formulaire papier {header.reference}"),
                    "/Creator": String(PRODUCER),
                    "/Producer": String(PRODUCER),
                    f"/{KEYING_INFO_SHEET}": String(KEYING_SHEET),
                    f"/{KEYING_INFO_REFERENCE}": String(header.reference),
                    f"/{KEYING_INFO_SUBMISSION}": String(str(header.submission_id)),
                    f"/{KEYING_INFO_SCAN}": String(header.scan_sha256),
                    f"/{KEYING_INFO_SIGNATURE}": String(header.signature),
                }
            )
        )
        out = io.BytesIO()
        pdf.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    return out.getvalue()
