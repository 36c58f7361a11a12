"""Draw a form's static pages once with reportlab, and note where each answer box is.

This is the compile-time half of the PDF renderer. Everything that is the
same for every employee is drawn here with reportlab's platypus: text
wrapping, tables split across pages with their header row repeated, and the
answer boxes themselves (so they print the same whether the form is filled
on screen or flattened in a print batch). reportlab's own AcroForm support
is not used: ``pdf.py`` writes the form fields itself, at the rectangles
recorded here, because it needs a field hierarchy, shared appearance streams
and per-employee values that reportlab cannot produce fast enough.

Per-employee parts (company and employee names, footer reference, QR code)
are left blank, at the places given by the constants below.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER, TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
)
from reportlab.platypus import Table as GridTable

# rating_options is the forms' contract; it stays importable from here.
from entretien_forms.forms.contract import RadioOption, pdf_fields_of, radio_options
from entretien_forms.forms.contract import rating_options as rating_options
from entretien_forms.forms.model import (
    KIND_LABELS,
    Column,
    Field,
    FormLayout,
    Section,
    Table,
)
from entretien_forms.forms.paper import Box, PaperMap, PaperPage, Rect, Zone, ZoneKind
from entretien_forms.render._pdf_text import fit, width_function, winansi, winansi_lines, wrap

# --------------------------------------------------------------------------- page geometry
# Shared with the render phase, which draws the per-employee parts at these places.

PAGE_WIDTH: float = A4[0]
PAGE_HEIGHT: float = A4[1]
MARGIN_X: float = 18 * mm
CONTENT_WIDTH: float = PAGE_WIDTH - 2 * MARGIN_X

QR_SIZE: float = 20 * mm  # quiet zone included
QR_X: float = PAGE_WIDTH - MARGIN_X - QR_SIZE + 2 * mm  # the quiet zone may enter the margin
QR_Y: float = PAGE_HEIGHT - 7 * mm - QR_SIZE

HEADER_TEXT_WIDTH: float = QR_X - MARGIN_X - 4 * mm
COMPANY_BASELINE: float = PAGE_HEIGHT - 10 * mm
COMPANY_FONT_SIZE: float = 8.5
TITLE_BASELINE: float = PAGE_HEIGHT - 17 * mm
SUBTITLE_BASELINE: float = PAGE_HEIGHT - 22 * mm
EMPLOYEE_BASELINE: float = PAGE_HEIGHT - 28 * mm
EMPLOYEE_FONT_SIZE: float = 10.5
HEADER_RULE_Y: float = PAGE_HEIGHT - 31 * mm

FOOTER_RULE_Y: float = 14 * mm
FOOTER_BASELINE: float = 9.5 * mm
FOOTER_FONT_SIZE: float = 8.0
FOOTER_RIGHT: float = PAGE_WIDTH - MARGIN_X
FOOTER_STATIC_WIDTH: float = 95 * mm  # the left part; the reference goes on the right

FRAME_TOP: float = HEADER_RULE_Y - 4 * mm
FRAME_BOTTOM: float = FOOTER_RULE_Y + 3 * mm

# Registration marks: a filled black square near each corner, the same on every
# page, so that a scan (shifted, turned a little, scaled) can be mapped back
# onto the page. 8 mm from the edges is inside what any office printer prints;
# the side margins (18 mm) keep them clear of the header, the footer and the
# QR code (whose quiet zone ends 16 mm from the right edge).
MARK_SIZE: float = 5 * mm
MARK_INSET: float = 8 * mm  # from the page edge to the mark's outer side
_MARK_NEAR: float = MARK_INSET + MARK_SIZE / 2
# Centres: top left, top right, bottom left, bottom right.
MARK_CENTRES: tuple[tuple[float, float], ...] = (
    (_MARK_NEAR, PAGE_HEIGHT - _MARK_NEAR),
    (PAGE_WIDTH - _MARK_NEAR, PAGE_HEIGHT - _MARK_NEAR),
    (_MARK_NEAR, _MARK_NEAR),
    (PAGE_WIDTH - _MARK_NEAR, _MARK_NEAR),
)

# --------------------------------------------------------------------------- look

INK = colors.HexColor("#1d2733")
ACCENT = colors.HexColor("#1f3a5f")
MUTED = colors.HexColor("#56616e")
RULE = colors.HexColor("#b8c2cf")
BAND = colors.HexColor("#e6edf5")
HEADER_FILL = colors.HexColor("#eef2f7")
BOX_BORDER = colors.HexColor("#7d8a9a")
BOX_FILL = colors.HexColor("#f7f9fc")
LOCKED_FILL = colors.HexColor("#eceef1")
WHITE = colors.white

# Colours of the per-employee parts, as PDF operators (same palette).
INK_RGB = b"0.114 0.153 0.2"
MUTED_RGB = b"0.337 0.38 0.431"

BOX_BORDER_WIDTH = 0.6
FIELD_FONT_SIZE = 10.0
CELL_FONT_SIZE = 9.0
LINE_HEIGHT = 6.5 * mm  # one handwritten line in a free-text box
SINGLE_BOX_HEIGHT = 7.5 * mm
CELL_BOX_HEIGHT = 8 * mm  # with the cell padding, a table row is about 1 cm: room for a pen
CHECKBOX_SIZE = 11.0
CELL_CHECKBOX_SIZE = 9.0  # a tick box in a table cell: four levels fit a narrow column
CHECKBOX_BORDER_WIDTH = 0.8
OPTION_FONT_SIZE = 8.8
CELL_OPTION_FONT_SIZE = 7.5
DATE_HINT = "jj/mm/aaaa"
REQUIRED_LEGEND = "* réponse obligatoire"
_REQUIRED_MARK = ' <font color="#b03030">*</font>'

_STYLES = {
    "label": ParagraphStyle(
        "label", fontName="Helvetica-Bold", fontSize=9, leading=11.5, textColor=INK
    ),
    "help": ParagraphStyle(
        "help", fontName="Helvetica", fontSize=7.8, leading=9.6, textColor=MUTED
    ),
    "legend": ParagraphStyle(
        "legend", fontName="Helvetica", fontSize=7.5, leading=9.2, textColor=MUTED
    ),
    "notice": ParagraphStyle(
        "notice",
        fontName="Helvetica-Oblique",
        fontSize=7,
        leading=8.6,
        textColor=MUTED,
        alignment=TA_RIGHT,
    ),
    "intro": ParagraphStyle("intro", fontName="Helvetica", fontSize=8, leading=10.5, textColor=INK),
    "section": ParagraphStyle(
        "section", fontName="Helvetica-Bold", fontSize=11.5, leading=14, textColor=ACCENT
    ),
    "guidance": ParagraphStyle(
        "guidance",
        fontName="Helvetica-Oblique",
        fontSize=8.5,
        leading=11,
        textColor=INK,
        spaceAfter=6,
    ),
    "table_title": ParagraphStyle(
        "table_title", fontName="Helvetica-Bold", fontSize=9.5, leading=12, textColor=INK
    ),
    "th": ParagraphStyle("th", fontName="Helvetica-Bold", fontSize=7.8, leading=9.4, textColor=INK),
    "th_center": ParagraphStyle(
        "th_center",
        fontName="Helvetica-Bold",
        fontSize=7.8,
        leading=9.4,
        textColor=INK,
        alignment=TA_CENTER,
    ),
    "row_label": ParagraphStyle(
        "row_label", fontName="Helvetica", fontSize=8.3, leading=10, textColor=INK
    ),
    "option": ParagraphStyle(
        "option", fontName="Helvetica", fontSize=8.8, leading=11, textColor=INK
    ),
}

# --------------------------------------------------------------------------- widgets

WidgetKind = Literal["text", "multiline", "radio", "checkbox"]


@dataclass(frozen=True)
class WidgetSpec:
    """One PDF widget as it will be written: a field, an option of a multichoice or of a radio."""

    name: str  # the full field name: the field id, or "<field id>#<n>" for an option
    field: Field
    kind: WidgetKind
    tooltip: str
    font_size: float
    option: str | None = None  # multichoice: the option this checkbox stands for
    options: tuple[RadioOption, ...] = ()  # radio: every option of the group, in /Opt order
    choice: RadioOption | None = None  # radio: the option this widget ticks


@dataclass(frozen=True)
class PlacedWidget:
    spec: WidgetSpec
    page: int  # 0-based
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1 in points


def widget_specs(field: Field, *, in_cell: bool) -> tuple[WidgetSpec, ...]:
    """The widgets that stand for ``field``: one, or one per option (a multichoice, a radio)."""
    size = CELL_FONT_SIZE if in_cell else FIELD_FONT_SIZE
    if field.type == "multichoice":
        return tuple(
            WidgetSpec(
                name=spec.name,
                field=field,
                kind="checkbox",
                tooltip=f"{field.label} : {option}",
                font_size=size,
                option=option,
            )
            for spec, option in zip(pdf_fields_of(field), field.options, strict=True)
        )
    [spec] = pdf_fields_of(field)
    if field.type == "checkbox":
        return (WidgetSpec(spec.name, field, "checkbox", field.label, size),)
    if field.type in ("choice", "rating"):
        options = radio_options(field)
        return tuple(
            WidgetSpec(spec.name, field, "radio", field.label, size, options=options, choice=o)
            for o in options
        )
    if field.type == "date":
        return (WidgetSpec(spec.name, field, "text", f"{field.label} ({DATE_HINT})", size),)
    kind: WidgetKind = "multiline" if field.type == "longtext" else "text"
    return (WidgetSpec(spec.name, field, kind, field.label, size),)


class _Recorder:
    """Collects where each widget was drawn; the flowables report to it from ``draw``."""

    def __init__(self) -> None:
        self.placed: list[PlacedWidget] = []

    def record(self, canv: Any, spec: WidgetSpec, width: float, height: float) -> None:
        x, y = canv.absolutePosition(0, 0)
        page = canv.getPageNumber() - 1
        self.placed.append(PlacedWidget(spec, page, (x, y, x + width, y + height)))


class _AnswerBox(Flowable):  # type: ignore[misc]
    """The box an answer is typed or written into; as wide as its space unless fixed."""

    def __init__(
        self,
        recorder: _Recorder,
        spec: WidgetSpec,
        height: float,
        width: float | None = None,
        *,
        framed: bool = True,
    ) -> None:
        super().__init__()
        self.recorder = recorder
        self.spec = spec
        self.height = height
        self._fixed_width = width
        self.width = width or 0.0
        self.framed = framed

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = min(self._fixed_width or avail_width, avail_width)
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        canv.setFillColor(LOCKED_FILL if self.spec.field.locked else BOX_FILL)
        canv.setStrokeColor(BOX_BORDER)
        canv.setLineWidth(BOX_BORDER_WIDTH)
        canv.rect(0, 0, self.width, self.height, stroke=1 if self.framed else 0, fill=1)
        canv.restoreState()
        self.recorder.record(canv, self.spec, self.width, self.height)


def _draw_checkbox(
    canv: Any, recorder: _Recorder, spec: WidgetSpec, size: float = CHECKBOX_SIZE
) -> None:
    canv.saveState()
    canv.setFillColor(LOCKED_FILL if spec.field.locked else WHITE)
    canv.setStrokeColor(BOX_BORDER)
    canv.setLineWidth(CHECKBOX_BORDER_WIDTH)
    canv.rect(0, 0, size, size, stroke=1, fill=1)
    canv.restoreState()
    recorder.record(canv, spec, size, size)


class _CheckBox(Flowable):  # type: ignore[misc]
    """A lone checkbox, centred in its space (a table cell)."""

    def __init__(self, recorder: _Recorder, spec: WidgetSpec) -> None:
        super().__init__()
        self.recorder = recorder
        self.spec = spec
        self.width = self.height = CHECKBOX_SIZE

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return self.width, CHECKBOX_SIZE

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.translate((self.width - CHECKBOX_SIZE) / 2, 0)
        _draw_checkbox(self.canv, self.recorder, self.spec)
        self.canv.restoreState()


class _CheckOption(Flowable):  # type: ignore[misc]
    """A checkbox followed by its wrapped text (a checkbox field, a multichoice option)."""

    _GAP = 5.0

    def __init__(self, recorder: _Recorder, spec: WidgetSpec, label: Paragraph) -> None:
        super().__init__()
        self.recorder = recorder
        self.spec = spec
        self.label = label
        self._label_height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        _, self._label_height = self.label.wrap(
            avail_width - CHECKBOX_SIZE - self._GAP, avail_height
        )
        self.width = avail_width
        self.height = max(CHECKBOX_SIZE, self._label_height)
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.translate(0, self.height - CHECKBOX_SIZE)
        _draw_checkbox(self.canv, self.recorder, self.spec)
        self.canv.restoreState()
        top = self.height - self._label_height + 1  # first baseline level with the box
        self.label.drawOn(self.canv, CHECKBOX_SIZE + self._GAP, top)


_helvetica_width = width_function("Helvetica")


class _OptionBoxes(Flowable):  # type: ignore[misc]
    """The options of a choice or a rating: a tick box each, followed by its text.

    Options go left to right in columns as wide as the widest, as many to a
    row as fit; a text too long for the whole width wraps beside its box.
    ``spread`` shares the width out between the columns (a question's
    options, like those of a multichoice); ``left`` and ``centre`` keep the
    columns at their natural width (the levels of a scale, a table cell).
    """

    def __init__(
        self,
        recorder: _Recorder,
        items: Sequence[tuple[WidgetSpec, str]],
        *,
        box: float,
        font_size: float,
        align: Literal["spread", "left", "centre"],
    ) -> None:
        super().__init__()
        self.recorder = recorder
        self.items = [(spec, winansi(text)) for spec, text in items]
        self.box = box
        self.font_size = font_size
        self.align = align
        self._leading = font_size * 1.2
        self._gap = box * 0.25  # between a box and its text
        self._spacing = box * 0.5  # between two options of a row
        self._row_gap = box * 0.3
        self._placed: list[tuple[WidgetSpec, list[str], float, float]] = []  # x, top

    def natural_width(self) -> float:
        """The width of the widest option, box and text."""
        widest = max(_helvetica_width(text, self.font_size) for _, text in self.items)
        return self.box + self._gap + widest

    def fits_in_one_row(self, width: float) -> bool:
        count = len(self.items)
        return count * self.natural_width() + (count - 1) * self._spacing <= width

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        natural = self.natural_width()
        count = len(self.items)
        room = math.floor((avail_width + self._spacing) / (natural + self._spacing))
        per_row = max(1, min(count, room))
        if self.align == "spread":
            column = (avail_width + self._spacing) / per_row - self._spacing
        else:
            column = min(natural, avail_width)
        used = per_row * column + (per_row - 1) * self._spacing
        left = max(0.0, (avail_width - used) / 2) if self.align == "centre" else 0.0
        text_width = max(column - self.box - self._gap, self.font_size)
        self._placed = []
        top = 0.0
        for start in range(0, count, per_row):
            row_height = self.box
            for index, (spec, text) in enumerate(self.items[start : start + per_row]):
                lines = wrap(text, "Helvetica", self.font_size, text_width)
                x = left + index * (column + self._spacing)
                self._placed.append((spec, lines, x, top))
                # Down to the last line's descenders, the first line centred on the box.
                last = (self.box + 0.7 * self.font_size) / 2 + (len(lines) - 1) * self._leading
                row_height = max(row_height, last + 0.25 * self.font_size)
            top += row_height + self._row_gap
        self.width = avail_width
        self.height = top - self._row_gap
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        box = self.box
        for spec, lines, x, top in self._placed:
            y = self.height - top - box
            canv.saveState()
            canv.translate(x, y)
            _draw_checkbox(canv, self.recorder, spec, box)
            canv.restoreState()
            canv.saveState()
            canv.setFillColor(INK)
            canv.setFont("Helvetica", self.font_size)
            baseline = y + (box - self.font_size * 0.7) / 2
            for line in lines:
                canv.drawString(x + box + self._gap, baseline, line)
                baseline -= self._leading
            canv.restoreState()


# --------------------------------------------------------------------------- text helpers


def _markup(text: str) -> str:
    """Text for reportlab's mini-markup: drawable characters, markup characters escaped."""
    lines = [winansi(line) for line in winansi_lines(text)]
    escaped = "\n".join(lines).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def _para(text: str, style: str) -> Paragraph:
    return Paragraph(_markup(text), _STYLES[style])


def _label(field: Field) -> Paragraph:
    markup = _markup(field.label)
    if field.required:
        markup += _REQUIRED_MARK
    if field.type == "date":
        markup += f' <font name="Helvetica" size="7.8" color="#56616e">({DATE_HINT})</font>'
    return Paragraph(markup, _STYLES["label"])


def _scale_legend(field: Field | Column) -> Paragraph:
    """The levels of a rating and their labels, when the boxes show the numbers only."""
    shown = [text for _, text in rating_options(field.scale, field.scale_labels)]
    return _para("Échelle : " + " · ".join(shown), "legend")


def _option_texts(field: Field | Column, *, labelled: bool) -> dict[str, str]:
    """The text beside each option's box, by export value: the level alone unless labelled."""
    return {o.value: (o.text if labelled else o.value) for o in radio_options(field)}


_PLAIN: list[tuple[Any, ...]] = [
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ("TOPPADDING", (0, 0), (-1, -1), 0),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]


# --------------------------------------------------------------------------- flowables

_COMPACT_TYPES = ("text", "date", "number", "choice", "rating", "checkbox")
_NARROW_WIDTH = {"date": 34 * mm, "number": 45 * mm}


@dataclass
class _Builder:
    """Turns a layout into platypus flowables, with one recorder for every box."""

    layout: FormLayout
    recorder: _Recorder = field(default_factory=_Recorder)

    def story(self) -> list[Any]:
        story: list[Any] = [self._intro()]
        for section in self.layout.sections:
            story.extend(self._section(section))
        return story

    def _intro(self) -> GridTable:
        text = self.layout.privacy_notice
        if any(f.required for f in self.layout.fields):
            text += " Les réponses marquées d'un astérisque (*) sont obligatoires."
        return GridTable(
            [[_para(text, "intro")]],
            colWidths=[CONTENT_WIDTH],
            style=[
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ],
        )

    def _section(self, section: Section) -> Iterator[Any]:
        band = GridTable(
            [[_para(section.title, "section")]],
            colWidths=[CONTENT_WIDTH],
            style=[
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LINEBEFORE", (0, 0), (0, -1), 3, ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ],
        )
        # No spacers between a heading and what follows: they would break the
        # keep-with-next chain and leave a heading alone at the bottom of a page.
        band.spaceBefore, band.spaceAfter, band.keepWithNext = 9, 5, True
        yield band
        if section.guidance:
            guidance = _para(section.guidance, "guidance")
            guidance.keepWithNext = True
            yield guidance
        pending: list[Field] = []
        for item in [*section.items, None]:
            if isinstance(item, Field) and item.type in _COMPACT_TYPES:
                pending.append(item)
                continue
            if pending:
                yield from self._compact_group(pending)
                pending = []
            if isinstance(item, Table):
                yield from self._table(item)
                yield Spacer(0, 9)
            elif isinstance(item, Field):
                yield from _chain(self._field(item, CONTENT_WIDTH))
                yield Spacer(0, 9)

    def _field(self, field: Field, width: float) -> list[Any]:
        """A stand-alone field: bold label, grey help, the box, and the allowed answers."""
        specs = widget_specs(field, in_cell=False)
        parts: list[Any] = []
        if field.type == "checkbox":
            parts.append(_CheckOption(self.recorder, specs[0], _label(field)))
            if field.help:
                parts.append(_indented(_para(field.help, "help"), CHECKBOX_SIZE + 5))
            return parts
        if field.type == "longtext":
            # The GDPR reminder goes where free text is written.
            notice_width = min(62 * mm, width * 0.42)
            parts.append(
                GridTable(
                    [[_label(field), _para(self.layout.privacy_notice, "notice")]],
                    colWidths=[width - notice_width, notice_width],
                    style=[*_PLAIN, ("LEFTPADDING", (1, 0), (1, 0), 8)],
                )
            )
        else:
            parts.append(_label(field))
        if field.help:
            parts.append(_para(field.help, "help"))
        parts.append(Spacer(0, 2.5))
        if field.type == "multichoice":
            parts.append(self._options_grid(field, specs, width))
        elif field.type in ("choice", "rating"):
            parts += self._radio(field, specs, width)
        elif field.type == "longtext":
            parts.append(_AnswerBox(self.recorder, specs[0], max(field.lines, 1) * LINE_HEIGHT))
        else:
            # A one-line answer may ask for more room on paper (a signature).
            height = max(SINGLE_BOX_HEIGHT, field.lines * LINE_HEIGHT)
            box = _AnswerBox(self.recorder, specs[0], height, _NARROW_WIDTH.get(field.type))
            box.hAlign = "LEFT"
            parts.append(box)
        return parts

    def _radio(self, field: Field, specs: Sequence[WidgetSpec], width: float) -> list[Any]:
        """A choice or a rating: a box per option, with its text; a long scale as a legend.

        A rating's levels read left to right: when they do not fit on one row
        with their labels, the boxes show the numbers and the labels go below.
        """

        def boxes(labelled: bool) -> _OptionBoxes:
            texts = _option_texts(field, labelled=labelled)
            items = [(spec, texts[spec.choice.value]) for spec in specs if spec.choice]
            align: Literal["spread", "left"] = "spread" if labelled else "left"
            return _OptionBoxes(
                self.recorder, items, box=CHECKBOX_SIZE, font_size=OPTION_FONT_SIZE, align=align
            )

        flowable = boxes(labelled=True)
        if field.type != "rating" or not field.scale_labels or flowable.fits_in_one_row(width):
            return [flowable]
        return [boxes(labelled=False), Spacer(0, 2), _scale_legend(field)]

    def _options_grid(self, field: Field, specs: Sequence[WidgetSpec], width: float) -> GridTable:
        """Multichoice options, two or three to a row, each a checkbox and its text."""
        per_row = 3 if len(specs) > 4 else 2
        cells: list[Any] = [
            _CheckOption(self.recorder, spec, _para(spec.option or "", "option")) for spec in specs
        ]
        rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        rows[-1] += [""] * (per_row - len(rows[-1]))
        return GridTable(
            rows,
            colWidths=[width / per_row] * per_row,
            style=[
                *_PLAIN,
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ],
            hAlign="LEFT",
        )

    def _compact_group(self, fields: Sequence[Field]) -> Iterator[Any]:
        """Short fields two to a row, so that an identity block does not take a page."""
        gap = 8 * mm
        col = (CONTENT_WIDTH - gap) / 2
        for i in range(0, len(fields), 2):
            pair = [self._field(f, col) for f in fields[i : i + 2]]
            row = GridTable(
                [[pair[0], "", pair[1] if len(pair) > 1 else ""]],
                colWidths=[col, gap, col],
                style=[*_PLAIN, ("BOTTOMPADDING", (0, 0), (-1, -1), 8)],
                hAlign="LEFT",
            )
            yield row

    def _table(self, table: Table) -> list[Any]:
        """A grid: header row (repeated on each page), row labels, one box per cell."""
        numbered = table.row_header is None and all(row.label is None for row in table.rows)
        lead_width = 9 * mm if numbered else 58 * mm
        weights = [_column_weight(c) for c in table.columns]
        free = CONTENT_WIDTH - lead_width
        widths = [lead_width] + [free * w / sum(weights) for w in weights]
        header: list[Any] = [_para("N°" if numbered else (table.row_header or ""), "th")]
        header += [
            _para(c.label, "th" if c.type in ("text", "longtext") else "th_center")
            for c in table.columns
        ]
        data: list[list[Any]] = [header]
        for row in table.rows:
            cells: list[Any] = [_para(row.key if numbered else (row.label or row.key), "row_label")]
            for cell in row.cells:
                specs = widget_specs(cell, in_cell=True)
                if cell.type == "checkbox":
                    cells.append(_CheckBox(self.recorder, specs[0]))
                elif cell.type == "multichoice":
                    options = [
                        _CheckOption(self.recorder, s, _para(s.option or "", "row_label"))
                        for s in specs
                    ]
                    for option in options[:-1]:
                        option.spaceAfter = 3
                    cells.append(options)
                elif cell.type in ("choice", "rating"):
                    texts = _option_texts(cell, labelled=cell.type == "choice")
                    items = [(s, texts[s.choice.value]) for s in specs if s.choice]
                    cells.append(
                        _OptionBoxes(
                            self.recorder,
                            items,
                            box=CELL_CHECKBOX_SIZE,
                            font_size=CELL_OPTION_FONT_SIZE,
                            align="centre",
                        )
                    )
                else:
                    height = CELL_BOX_HEIGHT
                    if cell.type == "longtext":
                        height = max(CELL_BOX_HEIGHT, cell.lines * LINE_HEIGHT)
                    cells.append(_AnswerBox(self.recorder, specs[0], height, framed=False))
            data.append(cells)
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, 0), 4),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 4),
            ("LEFTPADDING", (0, 0), (0, -1), 4),
            ("RIGHTPADDING", (0, 0), (0, -1), 4),
        ]
        if numbered:
            style += [
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("TEXTCOLOR", (0, 1), (0, -1), MUTED),
            ]
        grid = GridTable(data, colWidths=widths, repeatRows=1, style=style, hAlign="LEFT")
        title: list[Any] = [_label_of_table(table)]
        if table.help:
            title.append(_para(table.help, "help"))
        title.append(Spacer(0, 3))
        # A rating's boxes show the levels: their labels are said once, below.
        legends = [
            _para(f"{c.label} : " + " · ".join(_column_choices(c)), "legend")
            for c in table.columns
            if c.type == "rating" and c.scale_labels
        ]
        tail: list[Any] = [Spacer(0, 2), *legends] if legends else []
        if len(table.rows) <= 4:  # a short table is not worth splitting
            return _chain([*title, grid, *tail])
        return [*_chain([*title, grid]), *tail]


def _chain(parts: list[Any]) -> list[Any]:
    """Keep ``parts`` on one page, and with the heading before them if it has the flag.

    Flags rather than ``KeepTogether``: platypus does not chain a heading's
    keep-with-next into a ``KeepTogether``, which left section titles alone at
    the bottom of a page.
    """
    for part in parts[:-1]:
        part.keepWithNext = True
    return parts


def _label_of_table(table: Table) -> Paragraph:
    markup = _markup(table.label)
    if any(f.required for f in table.fields):
        markup += _REQUIRED_MARK
    return Paragraph(markup, _STYLES["table_title"])


def _indented(flowable: Any, left: float) -> GridTable:
    return GridTable([["", flowable]], colWidths=[left, None], style=_PLAIN)


_COLUMN_WEIGHT = {
    "text": 3.0,
    "longtext": 4.0,
    "choice": 1.7,
    "rating": 1.5,  # four levels' boxes side by side
    "date": 1.25,
    "number": 1.1,
    "checkbox": 1.5,
    "multichoice": 2.4,
}


def _column_weight(column: Column) -> float:
    weight = _COLUMN_WEIGHT[column.type]
    if column.type == "rating" and column.scale_labels:
        weight *= 1.25
    return weight


def _column_choices(column: Column) -> tuple[str, ...]:
    return tuple(text for _, text in rating_options(column.scale, column.scale_labels))


# --------------------------------------------------------------------------- pages


def _draw_page_frame(canv: Any, layout: FormLayout) -> None:
    """Static header and footer: title, form reference, rules (names and QR come later)."""
    canv.saveState()
    title = winansi(layout.title)
    size = 16.0
    while size > 11 and canv.stringWidth(title, "Helvetica-Bold", size) > HEADER_TEXT_WIDTH:
        size -= 0.5
    canv.setFillColor(ACCENT)
    canv.setFont("Helvetica-Bold", size)
    canv.drawString(MARGIN_X, TITLE_BASELINE, fit(title, "Helvetica-Bold", size, HEADER_TEXT_WIDTH))
    kind = KIND_LABELS.get(layout.kind, layout.kind)
    subtitle = winansi(
        f"{kind[:1].upper()}{kind[1:]} · formulaire {layout.form_id} · version {layout.version}"
    )
    canv.setFillColor(MUTED)
    canv.setFont("Helvetica", 8.5)
    canv.drawString(MARGIN_X, SUBTITLE_BASELINE, fit(subtitle, "Helvetica", 8.5, HEADER_TEXT_WIDTH))
    canv.setStrokeColor(ACCENT)
    canv.setLineWidth(1)
    canv.line(MARGIN_X, HEADER_RULE_Y, PAGE_WIDTH - MARGIN_X, HEADER_RULE_Y)
    canv.setStrokeColor(RULE)
    canv.setLineWidth(0.5)
    canv.line(MARGIN_X, FOOTER_RULE_Y, PAGE_WIDTH - MARGIN_X, FOOTER_RULE_Y)
    canv.setFont("Helvetica", FOOTER_FONT_SIZE - 0.5)
    left = winansi(f"{layout.title} · version {layout.version}")
    if any(f.required for f in layout.fields):
        left = f"{left}   {REQUIRED_LEGEND}"
    canv.drawString(
        MARGIN_X,
        FOOTER_BASELINE,
        fit(left, "Helvetica", FOOTER_FONT_SIZE - 0.5, FOOTER_STATIC_WIDTH),
    )
    canv.setFillColor(colors.black)
    for x, y in MARK_CENTRES:
        half = MARK_SIZE / 2
        canv.rect(x - half, y - half, MARK_SIZE, MARK_SIZE, stroke=0, fill=1)
    canv.restoreState()


@dataclass(frozen=True)
class DrawnForm:
    """The static pages of a form, as content streams, and where its widgets go."""

    pages: tuple[bytes, ...]  # one uncompressed content stream per page
    fonts: dict[str, str]  # resource name used by the streams -> standard font name
    widgets: tuple[PlacedWidget, ...]  # in reading order


def draw_form(layout: FormLayout) -> DrawnForm:
    """Lay out and draw the whole form, empty (tens of milliseconds for 150 fields)."""
    builder = _Builder(layout)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        invariant=1,
        pageCompression=0,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
    )
    frame = Frame(
        MARGIN_X,
        FRAME_BOTTOM,
        CONTENT_WIDTH,
        FRAME_TOP - FRAME_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="content",
    )
    on_page = lambda canv, _doc: _draw_page_frame(canv, layout)  # noqa: E731
    doc.addPageTemplates([PageTemplate(id="form", frames=[frame], onPage=on_page)])
    doc.build(builder.story())
    expected = [s.name for f in layout.fields for s in widget_specs(f, in_cell=False)]
    drawn = [p.spec.name for p in builder.recorder.placed]
    if sorted(drawn) != sorted(expected):
        raise RuntimeError(f"widgets drawn {len(drawn)} times for {len(expected)} expected")
    pages, fonts = _read_pages(buffer.getvalue())
    return DrawnForm(pages=pages, fonts=fonts, widgets=tuple(builder.recorder.placed))


def _read_pages(pdf: bytes) -> tuple[tuple[bytes, ...], dict[str, str]]:
    """Take the page content streams and font names out of reportlab's output."""
    reader = PdfReader(io.BytesIO(pdf))
    pages: list[bytes] = []
    fonts: dict[str, str] = {}
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        unexpected = set(resources) - {"/Font", "/ProcSet"}
        if unexpected:
            raise RuntimeError(f"unexpected page resources {sorted(unexpected)}")
        for name, font in resources.get("/Font", {}).items():
            fonts[str(name)[1:]] = str(font.get_object()["/BaseFont"])[1:]
        contents = page.get_contents()
        pages.append(contents.get_data() if contents is not None else b"")
    return tuple(pages), fonts


# --------------------------------------------------------------------------- paper map

_ZONE_KINDS: dict[str, ZoneKind] = {
    "text": "text",
    "number": "number",
    "longtext": "multiline",
    "date": "date",
}
_QR_RECT: Rect = (QR_X, QR_Y, QR_X + QR_SIZE, QR_Y + QR_SIZE)


def _rounded(rect: tuple[float, float, float, float]) -> Rect:
    """A rectangle as the widgets' ``/Rect`` writes it: 1/100 point is below any scan's pixel."""
    x0, y0, x1, y1 = (round(v, 2) for v in rect)
    return (x0, y0, x1, y1)


def paper_map(drawn: DrawnForm) -> PaperMap:
    """Where each answer of ``drawn`` is printed: its tick boxes and writing zones, page by page.

    Taken from the rectangles the widgets were recorded at while drawing, so
    the map is where the boxes are, not where they were meant to be. A locked
    field (the roster's data, printed for information) has nothing to read.
    """
    boxes: list[list[Box]] = [[] for _ in drawn.pages]
    zones: list[list[Zone]] = [[] for _ in drawn.pages]
    for placed in drawn.widgets:
        spec = placed.spec
        if spec.field.locked:
            continue
        rect = _rounded(placed.rect)
        if spec.kind == "radio" and spec.choice is not None:
            boxes[placed.page].append(Box(spec.name, spec.choice.value, rect))
        elif spec.kind == "checkbox":
            boxes[placed.page].append(Box(spec.name, True, rect))
        else:
            zone = Zone(spec.name, spec.field.label, _ZONE_KINDS[spec.field.type], rect)
            zones[placed.page].append(zone)
    return PaperMap(
        width=round(PAGE_WIDTH, 2),
        height=round(PAGE_HEIGHT, 2),
        marks=tuple((round(x, 2), round(y, 2)) for x, y in MARK_CENTRES),
        mark_size=round(MARK_SIZE, 2),
        qr=_rounded(_QR_RECT),
        pages=tuple(
            PaperPage(number, tuple(page_boxes), tuple(page_zones))
            for number, (page_boxes, page_zones) in enumerate(zip(boxes, zones, strict=True), 1)
        ),
    )
