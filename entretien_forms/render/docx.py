"""Forms as Word documents: one content control per answer, filled in Word or LibreOffice.

Every answer is a content control (``w:sdt``) tagged with its field id, so
that a returned form is read back by tag, whatever the manager did to the
text around it. Pre-filled identity fields are locked controls; empty ones
show a grey placeholder (``w:showingPlcHdr``), which a reader must take as
empty. Which controls a layout gets, in which order, with which tag, alias
and kind, is the forms' contract (``forms.contract.docx_controls``): the
document takes its controls from that list, and compiling fails if it would
place them in another order, since a form re-saved without its tags is read
by position.

A campaign issues hundreds of forms of one layout, so the work is split:
``DocxTemplate.compile`` writes every part once, as constant XML with slots
for what differs between employees; ``render`` only fills the slots and
zips, reusing the compressed bytes of everything constant (see
``_docx_parts``).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from typing import TypeAlias

from entretien_forms.forms.contract import (
    CHECKED,
    LOCKED_PLACEHOLDER,
    PLACEHOLDERS,
    UNCHECKED,
    ControlSpec,
    docx_controls,
    docx_properties,
    field_keys,
    list_items,
    rating_items,
)
from entretien_forms.forms.model import (
    KIND_LABELS,
    Column,
    Field,
    FormLayout,
    FormValues,
    Identity,
    Table,
)
from entretien_forms.render import _docx_parts as parts
from entretien_forms.render._docx_parts import attr, text
from entretien_forms.render.qr import qr_payload, qr_png

# Page geometry, in twips (1/20 pt): A4 portrait, 2 cm side margins.
PAGE_WIDTH = 11906
PAGE_HEIGHT = 16838
SIDE_MARGIN = 1134
TOP_MARGIN = 2381  # 4.2 cm: the header holds a 2 cm QR code
HEADER_DISTANCE = 567
CONTENT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN
LINE_HEIGHT = 454  # 0.8 cm of handwriting per line of a long answer
QR_SIZE_EMU = 720_000  # 2 cm
QR_SCALE = 4  # pixels per module: 100 px for a short reference, sharp at 2 cm
QR_CELL_WIDTH = 1418  # 2.5 cm
ROW_NUMBER_WIDTH = 567  # 1 cm: "N°" column of numbered tables
ROW_LABEL_WIDTH = 2948  # 5.2 cm: skill names

REQUIRED_MARK = " *"

# Relative widths of table columns, by the type of their cells.
_COLUMN_WEIGHT: Mapping[str, float] = {
    "text": 3.0,
    "longtext": 4.0,
    "choice": 2.0,
    "rating": 1.6,
    "date": 1.4,
    "number": 1.1,
    "checkbox": 0.9,
    "multichoice": 2.4,
}
# A 9 pt bold character is about 110 twips wide; cells have 108 twips of margin a side.
_CHAR_WIDTH = 110
_CELL_PADDING = 230
_MIN_CELL_WIDTH: Mapping[str, int] = {"date": 1300, "rating": 1100, "choice": 1100}
_KEEP_TOGETHER_ROWS = 8
# Short answers laid out two by two.
_COMPACT = frozenset({"text", "number", "date", "choice", "rating"})
_CENTERED = frozenset({"date", "rating", "checkbox", "number"})
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_LOCK = '<w:lock w:val="sdtContentLocked"/>'
_GOTHIC = (
    '<w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/>'
)
_CENTER = '<w:jc w:val="center"/>'
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

Value: TypeAlias = str | bool | None


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True)
class _FieldSlot:
    """The XML of one answer: constant while the field gets no value."""

    field_id: str
    draw: Callable[[Value], str]
    empty: str

    def render(self, identity: Identity, values: FormValues) -> str:
        return self.draw(values.get(self.field_id))


@dataclass(frozen=True)
class _IdentitySlot:
    """XML that names the employee or the form issued: differs on every form."""

    draw: Callable[[Identity], str]

    def render(self, identity: Identity, values: FormValues) -> str:
        return self.draw(identity)


_Slot: TypeAlias = _FieldSlot | _IdentitySlot
_Piece: TypeAlias = str | _Slot


@dataclass(frozen=True)
class _Constant:
    raw: bytes
    deflated: bytes


class _CompiledPart:
    """One XML part: constant runs compressed once, slots written on each render."""

    def __init__(self, name: str, pieces: Iterable[_Piece], variable: frozenset[str]) -> None:
        self.name = name
        items: list[_Constant | _Slot] = []
        pending: list[str] = []

        def close_constant() -> None:
            if pending:
                raw = "".join(pending).encode("utf-8")
                items.append(_Constant(raw, parts.deflate_piece(raw)))
                pending.clear()

        for piece in pieces:
            if isinstance(piece, str):
                pending.append(piece)
            elif isinstance(piece, _FieldSlot) and piece.field_id not in variable:
                pending.append(piece.empty)
            else:
                close_constant()
                items.append(piece)
        close_constant()
        self.items = tuple(items)

    def entry(self, identity: Identity, values: FormValues) -> parts.ZipEntry:
        chunks: list[bytes] = []
        crc = size = 0
        filled: list[str] = []
        for item in self.items:
            if isinstance(item, _Constant):
                if filled:
                    raw = "".join(filled).encode("utf-8")
                    filled.clear()
                    chunks.append(parts.stored_piece(raw))
                    crc = zlib.crc32(raw, crc)
                    size += len(raw)
                chunks.append(item.deflated)
                crc = zlib.crc32(item.raw, crc)
                size += len(item.raw)
            else:
                filled.append(item.render(identity, values))
        if filled:
            raw = "".join(filled).encode("utf-8")
            chunks.append(parts.stored_piece(raw))
            crc = zlib.crc32(raw, crc)
            size += len(raw)
        chunks.append(parts.FINAL_BLOCK)
        return parts.ZipEntry(self.name, b"".join(chunks), crc, size, 8)


# --------------------------------------------------------------------------- runs, paragraphs


def _run(value: str, rpr: str = "") -> str:
    """A run of text; line breaks in ``value`` become ``w:br``."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")
    body = "<w:br/>".join(f'<w:t xml:space="preserve">{text(line)}</w:t>' for line in lines)
    return f"<w:r>{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}{body}</w:r>"


def _one_line(value: str) -> str:
    """``value`` for a plain text control, which holds no line break."""
    return " ".join(value.split("\n")).replace("\r", " ").replace("\t", " ")


def _p(style: str, content: str = "", ppr: str = "") -> str:
    """A paragraph; ``ppr`` holds properties that follow ``w:pStyle`` in schema order."""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{ppr}</w:pPr>{content}</w:p>'


def _p_open(style: str, ppr: str = "") -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{ppr}</w:pPr>'


def _required(field_required: bool) -> str:
    if not field_required:
        return ""
    return _run(REQUIRED_MARK, f'<w:rStyle w:val="{parts.REQUIRED_STYLE}"/>')


def _placeholder(words: str) -> str:
    return _run(words, f'<w:rStyle w:val="{parts.PLACEHOLDER_STYLE}"/>')


# --------------------------------------------------------------------------- controls


def _sdt_pr(spec: ControlSpec, sdt_id: int, *, empty: bool, kind: str) -> str:
    """``w:sdtPr`` in the order of CT_SdtPr: alias, tag, id, lock, showingPlcHdr, type."""
    return (
        f'<w:sdtPr><w:alias w:val="{attr(spec.alias)}"/><w:tag w:val="{attr(spec.key)}"/>'
        f'<w:id w:val="{sdt_id}"/>{_LOCK if spec.field.locked else ""}'
        f"{'<w:showingPlcHdr/>' if empty else ''}{kind}</w:sdtPr>"
    )


def shown_text(value: Value) -> str | None:
    """The text to write for a text-like answer, or None when there is none."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    return value if value.strip() else None


def is_checked(value: Value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"oui", "true", "vrai", "1", "x"}
    return bool(value)


def parse_date(value: str) -> date | None:
    """A pre-filled date, as prefill writes it (dd/mm/yyyy) or in ISO form."""
    value = value.strip()
    found = _DMY.fullmatch(value)
    try:
        if found:
            day, month, year = (int(g) for g in found.groups())
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        return None


def _drop_down(field: Field, shown: str | None) -> tuple[str, str | None]:
    """The ``w:dropDownList`` of a choice or rating, and the text the value shows as."""
    items = list_items(field)
    chosen = None
    if shown is not None:
        wanted = shown.strip()
        chosen = next((i for i in items if wanted in i), None)
    last = f' w:lastValue="{attr(chosen[1])}"' if chosen else ""
    xml = (
        f"<w:dropDownList{last}>"
        + "".join(
            f'<w:listItem w:displayText="{attr(display)}" w:value="{attr(value)}"/>'
            for display, value in items
        )
        + "</w:dropDownList>"
    )
    return xml, (chosen[0] if chosen else shown)


def _date(shown: str | None) -> tuple[str, str | None]:
    parsed = parse_date(shown) if shown is not None else None
    full = f' w:fullDate="{parsed.isoformat()}T00:00:00Z"' if parsed else ""
    xml = (
        f'<w:date{full}><w:dateFormat w:val="dd/MM/yyyy"/><w:lid w:val="fr-FR"/>'
        '<w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>'
    )
    return xml, (parsed.strftime("%d/%m/%Y") if parsed else shown)


def checkbox_control(spec: ControlSpec, sdt_id: int, checked: bool) -> str:
    """A Word 2010 check box (``w14:checkbox``), drawn with the MS Gothic ballot boxes."""
    # w14:checkbox comes after every w: child of w:sdtPr, where Word writes it.
    kind = (
        f'<w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
        f'<w14:checkedState w14:val="{ord(CHECKED):04X}" w14:font="MS Gothic"/>'
        f'<w14:uncheckedState w14:val="{ord(UNCHECKED):04X}" w14:font="MS Gothic"/>'
        "</w14:checkbox>"
    )
    return (
        "<w:sdt>"
        + _sdt_pr(spec, sdt_id, empty=False, kind=kind)
        + f"<w:sdtContent><w:r><w:rPr>{_GOTHIC}</w:rPr>"
        f"<w:t>{CHECKED if checked else UNCHECKED}</w:t></w:r></w:sdtContent></w:sdt>"
    )


def inline_control(spec: ControlSpec, sdt_id: int, value: Value) -> str:
    """The run-level control of a short answer or of a check box, of the contract's kind."""
    field = spec.field
    if spec.kind == "checkbox":
        return checkbox_control(spec, sdt_id, is_checked(value))
    shown = shown_text(value)
    if spec.kind == "dropDownList":
        kind, display = _drop_down(field, shown)
    elif spec.kind == "date":
        kind, display = _date(shown)
    elif spec.kind == "text":
        kind, display = "<w:text/>", shown
    else:
        raise ValueError(f"{spec.key}: a {spec.kind} control does not fit in a run")
    if display is None:
        content = _placeholder(LOCKED_PLACEHOLDER if field.locked else PLACEHOLDERS[field.type])
    else:
        content = _run(_one_line(display))
    return (
        "<w:sdt>"
        + _sdt_pr(spec, sdt_id, empty=display is None, kind=kind)
        + f"<w:sdtContent>{content}</w:sdtContent></w:sdt>"
    )


def rich_text_control(spec: ControlSpec, sdt_id: int, value: Value) -> str:
    """A block-level rich text control: several paragraphs may be typed in it."""
    shown = shown_text(value)
    if shown is None:
        words = LOCKED_PLACEHOLDER if spec.field.locked else PLACEHOLDERS["longtext"]
        content = _p("Reponse", _placeholder(words))
    else:
        lines = shown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        content = "".join(_p("Reponse", _run(line)) for line in lines)
    # No type element: a rich text control.
    return (
        "<w:sdt>"
        + _sdt_pr(spec, sdt_id, empty=shown is None, kind="")
        + f"<w:sdtContent>{content}</w:sdtContent></w:sdt>"
    )


def selected_options(field: Field, value: Value) -> frozenset[str]:
    """Options ticked by a pre-filled multiple choice: texts separated by ";" or lines."""
    if not isinstance(value, str):
        return frozenset()
    wanted = {part.strip() for part in re.split(r"[;\n]", value)}
    return frozenset(option for option in field.options if option in wanted)


_Placed: TypeAlias = tuple[tuple[int, ControlSpec], ...]  # (w:id, control) in document order


def _multichoice(field: Field, controls: _Placed, style: str, value: Value) -> str:
    """One paragraph per option: its check box (tag ``<id>#<n>``), then its text."""
    selected = selected_options(field, value)
    return "".join(
        _p_open(style)
        + checkbox_control(spec, sdt_id, option in selected)
        + _run(f" {option}")
        + "</w:p>"
        for (sdt_id, spec), option in zip(controls, field.options, strict=True)
    )


# --------------------------------------------------------------------------- document


class _Builder:
    """Collects the pieces of a part, placing the content controls the contract lists."""

    def __init__(self, controls: Sequence[ControlSpec] = ()) -> None:
        self.pieces: list[_Piece] = []
        self._controls = tuple(controls)
        self._placed = 0

    def add(self, *xml: str) -> None:
        self.pieces.extend(xml)

    def controls(self, field: Field) -> _Placed:
        """The contract's next controls, numbered: they must be ``field``'s.

        A form re-saved without its tags is read by matching its controls, in
        order, to ``docx_controls(layout)``: a document that placed a field
        elsewhere would file answers under the wrong questions, so it fails
        here, when the layout is compiled.
        """
        start = self._placed
        end = start + len(field_keys(field))
        taken = self._controls[start:end]
        if len(taken) != end - start or any(spec.field.id != field.id for spec in taken):
            expected = self._controls[start].key if start < len(self._controls) else "nothing"
            raise RuntimeError(
                f"the document places {field.id!r} where the forms contract expects {expected!r}"
            )
        self._placed = end
        return tuple((n + 1, self._controls[n]) for n in range(start, end))

    def finish(self) -> None:
        """Check that every control of the contract was placed."""
        if self._placed != len(self._controls):
            missing = self._controls[self._placed].key
            raise RuntimeError(f"the document leaves out {missing!r}, a control of the contract")

    def field(self, field: Field, draw: Callable[[Value], str]) -> None:
        self.pieces.append(_FieldSlot(field.id, draw, draw(None)))

    def identity(self, draw: Callable[[Identity], str]) -> None:
        self.pieces.append(_IdentitySlot(draw))


def _control_slot(b: _Builder, field: Field, *, in_cell: bool, keep_next: bool = False) -> None:
    """The control(s) of ``field`` with the paragraphs that hold them."""
    controls = b.controls(field)
    if field.type == "multichoice":
        style = "Cellule" if in_cell else "Option"
        b.field(field, partial(_multichoice, field, controls, style))
        return
    [(sdt_id, spec)] = controls
    if spec.kind == "richText":
        b.field(field, partial(rich_text_control, spec, sdt_id))
        return
    if in_cell:
        keep = "<w:keepNext/>" if keep_next else ""
        b.add(_p_open("Cellule", keep + (_CENTER if field.type in _CENTERED else "")))
    else:
        b.add(_p_open("ChampVerrouille" if field.locked else "Champ"))
    b.field(field, partial(inline_control, spec, sdt_id))
    b.add("</w:p>")


def _legend(field: Field | Column) -> str | None:
    """The options of a list, printed: on paper a drop-down shows nothing."""
    if field.type == "choice" and field.options:
        return " · ".join(field.options)
    if field.type == "rating" and field.scale:
        return " · ".join(display for display, _ in rating_items(field))
    return None


def _box_open(lines: int) -> str:
    """A framed one-cell table, at least ``lines`` handwritten lines high."""
    side = f'w:val="single" w:sz="4" w:space="0" w:color="{parts.BOX_GREY}"'
    return (
        f'<w:tbl><w:tblPr><w:tblW w:w="{CONTENT_WIDTH}" w:type="dxa"/><w:tblBorders>'
        f"<w:top {side}/><w:left {side}/><w:bottom {side}/><w:right {side}/></w:tblBorders>"
        '<w:tblLayout w:type="fixed"/><w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0"'
        ' w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="0"/></w:tblPr>'
        f'<w:tblGrid><w:gridCol w:w="{CONTENT_WIDTH}"/></w:tblGrid>'
        f'<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="{max(lines, 1) * LINE_HEIGHT}"'
        f' w:hRule="atLeast"/></w:trPr><w:tc><w:tcPr><w:tcW w:w="{CONTENT_WIDTH}" w:type="dxa"/>'
        "</w:tcPr>"
    )


# Two tables in a row would merge into one in Word: a thin paragraph ends each.
_SPACER = _p("Espacement")
_BOX_CLOSE = "</w:tc></w:tr></w:tbl>" + _SPACER


def _standalone_field(b: _Builder, field: Field) -> None:
    if field.type == "checkbox":
        # The box first, its label beside it, as on a paper form.
        [(sdt_id, spec)] = b.controls(field)
        b.add(_p_open("Libelle"))
        b.field(field, partial(inline_control, spec, sdt_id))
        b.add(_run(f" {field.label}"), _required(field.required), "</w:p>")
        if field.help:
            b.add(_p("Aide", _run(field.help)))
        return
    b.add(_p("Libelle", _run(field.label) + _required(field.required)))
    if field.help:
        b.add(_p("Aide", _run(field.help)))
    legend = _legend(field)
    if legend:
        b.add(_p("Aide", _run(f"Choix possibles : {legend}")))
    if field.type == "longtext":
        b.add(_box_open(field.lines))
        _control_slot(b, field, in_cell=False)
        b.add(_BOX_CLOSE)
    else:
        _control_slot(b, field, in_cell=False)


def _min_column_width(column: Column) -> int:
    """Room for the longest word of the header (9 pt bold) and for the cell's content."""
    longest = max((len(word) for word in column.label.split()), default=1)
    return max(longest * _CHAR_WIDTH + _CELL_PADDING, _MIN_CELL_WIDTH.get(column.type, 0))


def column_widths(table: Table) -> tuple[int, ...]:
    """Fixed widths (twips) of the row-header column and of each column: they fill the page.

    Columns share the width by the type of their cells; one that would be too
    narrow for its header's longest word gets that much, taken from the others.
    """
    numbered = all(row.label is None for row in table.rows)
    lead = ROW_NUMBER_WIDTH if numbered else ROW_LABEL_WIDTH
    weights = [_COLUMN_WEIGHT.get(c.type, 2.0) for c in table.columns]
    minimums = [_min_column_width(c) for c in table.columns]
    free = CONTENT_WIDTH - lead
    fixed: dict[int, int] = {}
    while True:
        shared = [i for i in range(len(weights)) if i not in fixed]
        rest = free - sum(fixed.values())
        total = sum(weights[i] for i in shared)
        sizes = {i: int(rest * weights[i] / total) for i in shared}
        short = [i for i in shared if sizes[i] < minimums[i]]
        if not short or len(short) == len(shared):
            break
        fixed.update((i, minimums[i]) for i in short)
    widths = [fixed.get(i, sizes.get(i, 0)) for i in range(len(weights))]
    widths[-1] += free - sum(widths)
    return (lead, *widths)


def _cell_open(width: int, fill: str | None = None) -> str:
    shd = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shd}<w:vAlign w:val="center"/></w:tcPr>'
    )


def _table(b: _Builder, table: Table) -> None:
    b.add(_p("Libelle", _run(table.label)))
    if table.help:
        b.add(_p("Aide", _run(table.help)))
    widths = column_widths(table)
    numbered = widths[0] == ROW_NUMBER_WIDTH
    b.add(
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{parts.TABLE_STYLE}"/>'
        f'<w:tblW w:w="{CONTENT_WIDTH}" w:type="dxa"/>{parts.TABLE_BORDERS}'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:val="0620" w:firstRow="1" w:lastRow="0"'
        ' w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>'
        + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        + "</w:tblGrid>"
    )
    # Header row, repeated at the top of every page the table runs onto.
    lead_title = table.row_header or ("N°" if numbered else "")
    b.add("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>")
    for width, title in zip(widths, (lead_title, *(c.label for c in table.columns)), strict=True):
        b.add(_cell_open(width, parts.HEADER_FILL), _p("EnTeteTableau", _run(title)), "</w:tc>")
    b.add("</w:tr>")
    # A short table stays on one page: Word keeps a row with the next one when
    # its paragraphs have keepNext. A long one (skills grid) may break.
    keep_together = len(table.rows) <= _KEEP_TOGETHER_ROWS
    for number, row in enumerate(table.rows, start=1):
        keep = keep_together and number < len(table.rows)
        b.add("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        lead = row.label if row.label is not None else row.key
        b.add(
            _cell_open(widths[0], parts.ROW_LABEL_FILL),
            _p(
                "Cellule",
                _run(lead),
                ("<w:keepNext/>" if keep else "") + (_CENTER if numbered else ""),
            ),
            "</w:tc>",
        )
        for width, cell in zip(widths[1:], row.cells, strict=True):
            b.add(_cell_open(width))
            _control_slot(b, cell, in_cell=True, keep_next=keep)
            b.add("</w:tc>")
        b.add("</w:tr>")
    b.add("</w:tbl>")
    for column in table.columns:
        legend = _legend(column)
        if legend:
            b.add(_p("Aide", _run(f"{column.label} : {legend}")))
    b.add(_SPACER)


def _field_grid(b: _Builder, fields: Sequence[Field]) -> None:
    """Short fields two by two, in a borderless table: half the height on paper."""
    half = CONTENT_WIDTH // 2
    gap = 142  # half of the 0.5 cm between the two columns
    b.add(
        f'<w:tbl><w:tblPr><w:tblW w:w="{CONTENT_WIDTH}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/>'
        "</w:tblCellMar>"
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
        ' w:noHBand="0" w:noVBand="0"/></w:tblPr>'
        f'<w:tblGrid><w:gridCol w:w="{half}"/><w:gridCol w:w="{CONTENT_WIDTH - half}"/></w:tblGrid>'
    )
    cells = (
        f'<w:tc><w:tcPr><w:tcW w:w="{half}" w:type="dxa"/><w:tcMar>'
        f'<w:right w:w="{gap}" w:type="dxa"/></w:tcMar><w:vAlign w:val="bottom"/></w:tcPr>',
        f'<w:tc><w:tcPr><w:tcW w:w="{CONTENT_WIDTH - half}" w:type="dxa"/><w:tcMar>'
        f'<w:left w:w="{gap}" w:type="dxa"/></w:tcMar><w:vAlign w:val="bottom"/></w:tcPr>',
    )
    for start in range(0, len(fields), 2):
        pair = fields[start : start + 2]
        b.add("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        for cell, field in zip(cells, pair, strict=False):
            b.add(cell)
            _standalone_field(b, field)
            b.add("</w:tc>")
        if len(pair) == 1:
            b.add(cells[1], "<w:p/></w:tc>")
        b.add("</w:tr>")
    b.add("</w:tbl>", _SPACER)


def _section_items(b: _Builder, items: Sequence[Field | Table]) -> None:
    pending: list[Field] = []
    for item in [*items, None]:
        if isinstance(item, Field) and item.type in _COMPACT:
            pending.append(item)
            continue
        if len(pending) > 1:
            _field_grid(b, pending)
        elif pending:
            _standalone_field(b, pending[0])
        pending = []
        if isinstance(item, Table):
            _table(b, item)
        elif item is not None:
            _standalone_field(b, item)


def _identity_line(identity: Identity) -> str:
    bold = "<w:b/><w:bCs/>"
    kind = KIND_LABELS.get(identity.kind, identity.kind)
    lines = [
        _run("Salarié : ", bold)
        + _run(f"{identity.employee_name} (matricule {identity.matricule})"),
        _run("Responsable : ", bold) + _run(identity.manager_name or "non renseigné"),
        _run("Campagne : ", bold)
        + _run(f"{identity.campaign} · {kind[:1].upper()}{kind[1:]}")
        + _run(" · Référence : ", bold)
        + _run(f"{identity.reference}, émis le {identity.issued_on.strftime('%d/%m/%Y')}"),
    ]
    return "<w:r><w:br/></w:r>".join(lines)


_SECTION_PROPERTIES = (
    f'<w:sectPr><w:headerReference w:type="default" r:id="{parts.HEADER_RID}"/>'
    f'<w:footerReference w:type="default" r:id="{parts.FOOTER_RID}"/>'
    f'<w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/>'
    f'<w:pgMar w:top="{TOP_MARGIN}" w:right="{SIDE_MARGIN}" w:bottom="{SIDE_MARGIN}"'
    f' w:left="{SIDE_MARGIN}" w:header="{HEADER_DISTANCE}" w:footer="{HEADER_DISTANCE}"'
    ' w:gutter="0"/><w:cols w:space="708"/><w:docGrid w:linePitch="360"/></w:sectPr>'
)


def _document_pieces(layout: FormLayout) -> list[_Piece]:
    b = _Builder(docx_controls(layout))
    b.add(parts.XML_DECLARATION, f"<w:document {parts.WML_NAMESPACES}><w:body>")
    b.add(_p("Title", _run(layout.title)), _p_open("Identite"))
    b.identity(_identity_line)
    b.add("</w:p>", _p("Mention", _run(layout.privacy_notice)))
    if any(f.required for f in layout.fields):
        b.add(_p("Mention", _required(True) + _run(" : réponse obligatoire")))
    for section in layout.sections:
        b.add(_p("Heading1", _run(section.title)))
        if section.guidance:
            b.add(_p("Consigne", _run(section.guidance)))
        _section_items(b, section.items)
    # Word wants a paragraph after a final table; it also ends the form cleanly.
    b.add(_SPACER, _SECTION_PROPERTIES, "</w:body></w:document>")
    b.finish()
    return b.pieces


# --------------------------------------------------------------------------- header, footer


_QR_DRAWING = (
    '<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
    f'<wp:extent cx="{QR_SIZE_EMU}" cy="{QR_SIZE_EMU}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
    '<wp:docPr id="1" name="Code QR" descr="Code QR de la référence du formulaire"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    f'<a:graphic><a:graphicData uri="{parts.NS_PIC}"><pic:pic><pic:nvPicPr>'
    '<pic:cNvPr id="0" name="qr.png"/><pic:cNvPicPr><a:picLocks noChangeAspect="1"/>'
    f'</pic:cNvPicPr></pic:nvPicPr><pic:blipFill><a:blip r:embed="{parts.QR_RID}"/>'
    "<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm>"
    f'<a:off x="0" y="0"/><a:ext cx="{QR_SIZE_EMU}" cy="{QR_SIZE_EMU}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>'
    "</a:graphic></wp:inline></w:drawing></w:r>"
)


def _header_pieces(layout: FormLayout) -> list[_Piece]:
    b = _Builder()
    text_width = CONTENT_WIDTH - QR_CELL_WIDTH
    accent = f'<w:b/><w:bCs/><w:color w:val="{parts.ACCENT}"/>'
    b.add(
        parts.XML_DECLARATION,
        f"<w:hdr {parts.WML_NAMESPACES}>",
        f'<w:tbl><w:tblPr><w:tblW w:w="{CONTENT_WIDTH}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/>'
        '</w:tblCellMar><w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0"'
        ' w:lastColumn="0" w:noHBand="0" w:noVBand="0"/></w:tblPr>'
        f'<w:tblGrid><w:gridCol w:w="{text_width}"/><w:gridCol w:w="{QR_CELL_WIDTH}"/></w:tblGrid>'
        f'<w:tr><w:tc><w:tcPr><w:tcW w:w="{text_width}" w:type="dxa"/><w:vAlign w:val="top"/>'
        "</w:tcPr>",
        _p_open("Header"),
    )
    b.identity(lambda i: _run(i.company, accent))
    b.add(
        "</w:p>",
        _p("Header", _run(layout.title, f'{accent}<w:sz w:val="26"/><w:szCs w:val="26"/>')),
        _p_open("Header"),
    )
    b.identity(lambda i: _run("Salarié : ", "<w:b/><w:bCs/>") + _run(i.employee_name))
    b.add(
        "</w:p></w:tc>",
        f'<w:tc><w:tcPr><w:tcW w:w="{QR_CELL_WIDTH}" w:type="dxa"/><w:vAlign w:val="top"/>'
        "</w:tcPr>",
        _p("Header", _QR_DRAWING, '<w:jc w:val="right"/>'),
        "</w:tc></w:tr></w:tbl>",
        # A header must end with a paragraph; this one draws the rule under it.
        _p(
            "Header",
            "",
            f'<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="{parts.ACCENT}"/>'
            "</w:pBdr>",
        ),
        "</w:hdr>",
    )
    return b.pieces


def _field_code(instruction: str, shown: str) -> str:
    """A complex field (``PAGE``, ``NUMPAGES``) with the result shown before an update."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r><w:t>{shown}</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _footer_pieces(layout: FormLayout) -> list[_Piece]:
    b = _Builder()
    b.add(
        parts.XML_DECLARATION,
        f"<w:ftr {parts.WML_NAMESPACES}>",
        _p_open(
            "Footer",
            f'<w:tabs><w:tab w:val="center" w:pos="{CONTENT_WIDTH // 2}"/>'
            f'<w:tab w:val="right" w:pos="{CONTENT_WIDTH}"/></w:tabs>',
        ),
    )
    b.identity(lambda i: _run(f"Réf. {i.reference}"))
    b.add(
        "<w:r><w:tab/></w:r>",
        _run(f"{layout.title} · version {layout.version}"),
        "<w:r><w:tab/></w:r>",
        _run("page "),
        _field_code("PAGE", "1"),
        _run(" / "),
        _field_code("NUMPAGES", "1"),
        "</w:p></w:ftr>",
    )
    return b.pieces


# --------------------------------------------------------------------------- properties


def identity_properties(identity: Identity) -> dict[str, str]:
    """The custom document properties that say which issued form a file is (the contract's)."""
    return docx_properties(identity)


def custom_properties_xml(properties: Mapping[str, str]) -> str:
    """``docProps/custom.xml`` holding ``properties`` as text (``vt:lpwstr``)."""
    return (
        parts.XML_DECLARATION
        + f'<Properties xmlns="{parts.NS_CUSTOM}" xmlns:vt="{parts.NS_VT}">'
        + "".join(
            f'<property fmtid="{_CUSTOM_FMTID}" pid="{pid}" name="{attr(name)}">'
            f"<vt:lpwstr>{text(value)}</vt:lpwstr></property>"
            for pid, (name, value) in enumerate(properties.items(), start=2)
        )
        + "</Properties>"
    )


def _core_pieces(layout: FormLayout) -> list[_Piece]:
    b = _Builder()
    b.add(
        parts.XML_DECLARATION,
        f'<cp:coreProperties xmlns:cp="{parts.NS_CORE}" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{text(layout.title)}</dc:title><dc:subject>",
    )
    b.identity(lambda i: text(i.employee_name))
    b.add("</dc:subject><dc:creator>")
    b.identity(lambda i: text(i.company))
    b.add("</dc:creator><cp:keywords>")
    b.identity(lambda i: text(i.reference))
    b.add('</cp:keywords><dcterms:created xsi:type="dcterms:W3CDTF">')
    b.identity(lambda i: f"{i.issued_on.isoformat()}T00:00:00Z")
    b.add('</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">')
    b.identity(lambda i: f"{i.issued_on.isoformat()}T00:00:00Z")
    b.add("</dcterms:modified></cp:coreProperties>")
    return b.pieces


@cache
def _fixed_entries() -> Mapping[str, parts.ZipEntry]:
    """The parts every form shares, compressed once per process."""
    fixed = {
        parts.CONTENT_TYPES: parts.CONTENT_TYPES_XML,
        parts.PACKAGE_RELS: parts.PACKAGE_RELS_XML,
        parts.DOCUMENT_RELS: parts.DOCUMENT_RELS_XML,
        parts.STYLES: parts.STYLES_XML,
        parts.SETTINGS: parts.SETTINGS_XML,
        parts.HEADER_RELS: parts.HEADER_RELS_XML,
        parts.APP: parts.APP_XML,
    }
    return {name: parts.deflated_entry(name, xml.encode("utf-8"), 9) for name, xml in fixed.items()}


# --------------------------------------------------------------------------- template

# Value sets outside the pre-filled fields are rare (a caller filling answers
# in); each gets its own compiled document, kept for the next forms.
_MAX_VARIANTS = 16


class DocxTemplate:
    """A form layout compiled into the parts of a .docx, ready to fill per employee."""

    def __init__(
        self,
        layout: FormLayout,
        document: Sequence[_Piece],
        header: Sequence[_Piece],
        footer: Sequence[_Piece],
        core: Sequence[_Piece],
    ) -> None:
        self.layout = layout
        self._document_pieces = tuple(document)
        self._field_ids = frozenset(f.id for f in layout.fields)
        self._prefilled = frozenset(f.id for f in layout.fields if f.prefilled)
        self._documents = {
            self._prefilled: _CompiledPart(parts.DOCUMENT, document, self._prefilled)
        }
        none: frozenset[str] = frozenset()
        self._header = _CompiledPart(parts.HEADER, header, none)
        self._footer = _CompiledPart(parts.FOOTER, footer, none)
        self._core = _CompiledPart(parts.CORE, core, none)

    @classmethod
    def compile(cls, layout: FormLayout) -> DocxTemplate:
        """Write every part of ``layout`` once (tens of milliseconds for a long form)."""
        return cls(
            layout,
            _document_pieces(layout),
            _header_pieces(layout),
            _footer_pieces(layout),
            _core_pieces(layout),
        )

    def render(self, identity: Identity, values: FormValues) -> bytes:
        """The .docx of one employee's form (well under a millisecond plus the QR code)."""
        fixed = _fixed_entries()
        custom = custom_properties_xml(identity_properties(identity)).encode("utf-8")
        png = qr_png(qr_payload(identity.reference), QR_SCALE)
        return parts.zip_bytes(
            (
                fixed[parts.CONTENT_TYPES],
                fixed[parts.PACKAGE_RELS],
                self._document(values).entry(identity, values),
                fixed[parts.DOCUMENT_RELS],
                fixed[parts.STYLES],
                fixed[parts.SETTINGS],
                self._header.entry(identity, values),
                fixed[parts.HEADER_RELS],
                self._footer.entry(identity, values),
                parts.stored_entry(parts.QR_IMAGE, png),
                self._core.entry(identity, values),
                fixed[parts.APP],
                parts.deflated_entry(parts.CUSTOM, custom, 1),
            )
        )

    def _document(self, values: FormValues) -> _CompiledPart:
        """The compiled document whose slots cover every field ``values`` fills."""
        variable = self._prefilled
        if not values.keys() <= variable:
            variable = variable | (values.keys() & self._field_ids)
        compiled = self._documents.get(variable)
        if compiled is None:
            compiled = _CompiledPart(parts.DOCUMENT, self._document_pieces, variable)
            if len(self._documents) < _MAX_VARIANTS:
                self._documents[variable] = compiled
        return compiled
