"""Fillable PDF forms, written thousands at a time from a byte template.

A form is compiled once per form and skills grid: reportlab lays out and
draws everything that is the same for every employee (``_pdf_layout``), and
the whole PDF is then turned into bytes with a few holes. Rendering one
employee's form only fills the holes (names in the header, reference in the
footer, a QR code per page, the pre-filled answers and the metadata) and
writes the cross-reference table: a few milliseconds, where reportlab would
take tens per form.

Objects that never change come first, so their cross-reference entries are
computed once; the per-employee objects follow them.

A print batch puts many forms in one PDF for managers who work on paper:
flattened (answers drawn on the page, no fields), each form starting on an
odd page for duplex printing, and written as it goes so that a batch of the
whole company does not have to fit in memory.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import count
from typing import BinaryIO

from entretien_forms.forms.contract import HIDDEN_FIELD, PDF_ON_STATE, pdf_fields, pdf_info
from entretien_forms.forms.model import KIND_LABELS, FormLayout, FormValues, Identity
from entretien_forms.forms.paper import PaperMap
from entretien_forms.render import _pdf_layout as geo
from entretien_forms.render._pdf_fields import (
    BOLD_FONT,
    CHECK_FONT,
    F_HIDDEN,
    FF_READ_ONLY,
    TEXT_FONT,
    Node,
    check_names,
    cross_ops,
    field_flags,
    form_xobject,
    node_dict,
    radio_choice,
    radio_head,
    radio_widget_head,
    radio_widget_states,
    rect_of,
    refs,
    split_name,
    text_appearance,
    value_ops,
    widget_head,
    widget_value,
)
from entretien_forms.render._pdf_layout import DrawnForm, PlacedWidget, draw_form, paper_map
from entretien_forms.render._pdf_text import (
    fit,
    number,
    pdf_name,
    pdf_text,
    show,
    width_function,
    winansi,
)
from entretien_forms.render.qr import qr_payload, qr_rows

__all__ = ["PdfTemplate", "write_print_batch"]

PRODUCER = "entretien-forms"
BATCH_TITLE = "Formulaires d'entretien à imprimer"
_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
_QUIET_ZONE = 2  # light modules around the QR code, inside QR_SIZE
_FONT_NAMES = {TEXT_FONT: "Helvetica", BOLD_FONT: "Helvetica-Bold", CHECK_FONT: "ZapfDingbats"}
_SYMBOLIC = ("ZapfDingbats", "Symbol")
_MEDIA_BOX = b"[0 0 %s %s]" % (number(geo.PAGE_WIDTH), number(geo.PAGE_HEIGHT))
_helvetica = width_function("Helvetica")


def _obj(num: int, body: bytes) -> bytes:
    return b"%d 0 obj\n%s\nendobj\n" % (num, body)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<<%s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


def _font_dict(base_font: str) -> bytes:
    encoding = b"" if base_font in _SYMBOLIC else b" /Encoding /WinAnsiEncoding"
    return b"<< /Type /Font /Subtype /Type1 /BaseFont /%s%s >>" % (base_font.encode(), encoding)


def _resources_dict(page_fonts: Mapping[str, str], font_numbers: Mapping[str, int]) -> bytes:
    """Page resources: reportlab's font names for the static text, ours for the rest."""
    names = {**page_fonts, **_FONT_NAMES}
    fonts = b" ".join(
        b"/%s %d 0 R" % (name.encode(), font_numbers[base]) for name, base in sorted(names.items())
    )
    return b"<< /Font << %s >> /ProcSet [/PDF /Text] >>" % fonts


# --------------------------------------------------------------------------- per-employee drawing


_DARK_RUN = re.compile(rb"\x01+")


@lru_cache(maxsize=1024)
def _row_runs(bits: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """Runs of dark modules of one row, as the operands around the row's y coordinate.

    Rows repeat from one code to the next (finder and timing patterns), so the
    cache saves most of the formatting.
    """
    return tuple(
        (b"%d" % run.start(), b"%d 1 re" % (run.end() - run.start()))
        for run in _DARK_RUN.finditer(bits)
    )


def _qr_ops(payload: str) -> bytes:
    """The QR code as one path of filled rectangles, one per run of dark modules in a row."""
    matrix = qr_rows(payload)
    size = len(matrix)
    unit = geo.QR_SIZE / (size + 2 * _QUIET_ZONE)
    ops = [
        b"q %s 0 0 %s %s %s cm 0 g"
        % (
            number(unit),
            number(unit),
            number(geo.QR_X + _QUIET_ZONE * unit),
            number(geo.QR_Y + _QUIET_ZONE * unit),
        )
    ]
    for y, row in enumerate(reversed(matrix)):  # PDF's y axis goes up, the rows go down
        y_operand = b" %d " % y
        ops += [x + y_operand + rest for x, rest in _row_runs(row)]
    ops.append(b"f Q")
    return b"\n".join(ops)


def _header_ops(identity: Identity) -> bytes:
    """Company and employee names, the same on every page of one form."""
    company = fit(
        winansi(identity.company), "Helvetica", geo.COMPANY_FONT_SIZE, geo.HEADER_TEXT_WIDTH
    )
    suffix = winansi(f" · matricule {identity.matricule}")
    size = geo.EMPLOYEE_FONT_SIZE
    room = geo.HEADER_TEXT_WIDTH - _helvetica(suffix, size)
    name = fit(winansi(f"Salarié : {identity.employee_name}"), "Helvetica-Bold", size, room)
    return b"\n".join(
        (
            b"BT /%s %s Tf %s rg 1 0 0 1 %s %s Tm %s Tj ET"
            % (
                TEXT_FONT.encode(),
                number(geo.COMPANY_FONT_SIZE),
                geo.MUTED_RGB,
                number(geo.MARGIN_X),
                number(geo.COMPANY_BASELINE),
                show(company),
            ),
            b"BT /%s %s Tf %s rg 1 0 0 1 %s %s Tm %s Tj /%s %s Tf %s Tj ET"
            % (
                BOLD_FONT.encode(),
                number(size),
                geo.INK_RGB,
                number(geo.MARGIN_X),
                number(geo.EMPLOYEE_BASELINE),
                show(name),
                TEXT_FONT.encode(),
                number(size),
                show(suffix),
            ),
        )
    )


def _footer_ops(reference: str, page: int, pages: int) -> bytes:
    text = winansi(f"Réf. {reference} — page {page} / {pages}")
    text = fit(text, "Helvetica", geo.FOOTER_FONT_SIZE, geo.CONTENT_WIDTH - geo.FOOTER_STATIC_WIDTH)
    x = geo.FOOTER_RIGHT - _helvetica(text, geo.FOOTER_FONT_SIZE)
    return b"BT /%s %s Tf %s rg 1 0 0 1 %s %s Tm %s Tj ET" % (
        TEXT_FONT.encode(),
        number(geo.FOOTER_FONT_SIZE),
        geo.MUTED_RGB,
        number(x),
        number(geo.FOOTER_BASELINE),
        show(text),
    )


def _page_overlay(header: bytes, reference: str, page: int, pages: int, extra: bytes) -> bytes:
    footer = _footer_ops(reference, page, pages)
    qr = _qr_ops(qr_payload(reference, page, pages))
    return _stream(b"q\n%s\n%s\n%s\nQ%s" % (header, footer, qr, extra))


def _info_dict(layout: FormLayout, identity: Identity) -> bytes:
    kind = KIND_LABELS.get(identity.kind, identity.kind)
    entries = {
        "Title": f"{layout.title} — {identity.employee_name}",
        "Author": identity.company,
        "Subject": f"{kind[:1].upper()}{kind[1:]}, campagne {identity.campaign}",
        "Creator": PRODUCER,
        "Producer": PRODUCER,
        **pdf_info(identity),  # Entretien*: what identifies the form, for the inbox
    }
    body = b" ".join(b"/%s %s" % (key.encode(), pdf_text(value)) for key, value in entries.items())
    created = identity.issued_on.strftime("D:%Y%m%d000000").encode()
    return b"<< %s /CreationDate (%s) >>" % (body, created)


# --------------------------------------------------------------------------- byte template


# Shared appearances of tick boxes, by box size: (ticked, empty) object numbers.
_BoxStates = Mapping[float, tuple[int, int]]


def _box_size(placed: PlacedWidget) -> float:
    return round(placed.rect[2] - placed.rect[0], 2)


@dataclass(frozen=True)
class _Widget:
    """One merged field and widget of the byte template: where it is and its constant bytes."""

    placed: PlacedWidget
    number: int
    appearance: int  # the appearance stream's object (text), 0 for a checkbox
    head: bytes

    @property
    def field_id(self) -> str:
        return self.placed.spec.field.id

    def annotations(self) -> list[tuple[PlacedWidget, int]]:
        return [(self.placed, self.number)]

    def objects(self, answer: str | bool | None, states: _BoxStates) -> list[tuple[int, bytes]]:
        """The widget dictionary (and its appearance stream) for the field's value ``answer``."""
        value = widget_value(self.placed.spec, answer)
        width, height = rect_of(self.placed)
        if self.appearance == 0:  # checkbox: shared appearances, chosen by /AS
            on, off = states[_box_size(self.placed)]
            state = pdf_name(PDF_ON_STATE if value is not None and value.shown else "Off")
            entries = b" /AP << /N << /%s %d 0 R /Off %d 0 R >> >> /AS %s" % (
                PDF_ON_STATE.encode(),
                on,
                off,
                state,
            )
            if value is not None:
                entries += b" /V " + value.entry
            return [(self.number, self.head + entries + b" >>")]
        shown = value.shown if value is not None and isinstance(value.shown, str) else None
        entries = b" /AP << /N %d 0 R >>" % self.appearance
        if value is not None:
            entries += b" /V " + value.entry
        content = text_appearance(self.placed.spec, width, height, shown)
        return [
            (self.number, self.head + entries + b" >>"),
            (self.appearance, form_xobject(width, height, content, _RESOURCES_NUMBER)),
        ]


@dataclass(frozen=True)
class _Radio:
    """A radio group of the byte template: its field, and a widget per option."""

    placed: tuple[PlacedWidget, ...]  # one per option, in /Opt order
    number: int  # the field
    kids: tuple[int, ...]  # the widgets
    head: bytes
    kid_heads: tuple[bytes, ...]

    @property
    def field_id(self) -> str:
        return self.placed[0].spec.field.id

    def annotations(self) -> list[tuple[PlacedWidget, int]]:
        return list(zip(self.placed, self.kids, strict=True))

    def objects(self, answer: str | bool | None, states: _BoxStates) -> list[tuple[int, bytes]]:
        """The field (its value names the state ticked) and each option's widget."""
        chosen = None if answer is None else radio_choice(self.placed[0].spec.options, answer)
        state = chosen.state if chosen is not None else None
        field = self.head + b" /Kids [%s]" % refs(self.kids)
        if state is not None:
            field += b" /V " + pdf_name(state)
        objects = [(self.number, field + b" >>")]
        for placed, number_, head in zip(self.placed, self.kids, self.kid_heads, strict=True):
            on, off = states[_box_size(placed)]
            objects.append((number_, head + radio_widget_states(placed, state, on, off) + b" >>"))
        return objects


_Entry = _Widget | _Radio


_RESOURCES_NUMBER = 3  # the shared resources dictionary: fixed so appearances can name it


class _FormBytes:
    """The PDF of one form with per-employee holes, for one set of variable fields.

    Objects are numbered in the order they are written: constant ones first
    (catalog, fonts, pages, static content, field tree, empty widgets), then
    the holes (pre-filled widgets, hidden reference, page overlays, metadata).
    """

    def __init__(self, template: PdfTemplate, variable: frozenset[str]) -> None:
        drawn = template.drawn
        pages = len(drawn.pages)
        self._numbers = count(1)
        catalog, page_tree, resources, acroform = (self._number() for _ in range(4))
        assert resources == _RESOURCES_NUMBER
        bases = sorted({*drawn.fonts.values(), *_FONT_NAMES.values()})
        fonts = {base: self._number() for base in bases}
        page_numbers = [self._number() for _ in range(pages)]
        static_numbers = [self._number() for _ in range(pages)]
        sizes = sorted(
            {_box_size(p) for p in drawn.widgets if p.spec.kind in ("checkbox", "radio")}
        )
        self.box_states = {size: (self._number(), self._number()) for size in sizes}
        nodes, self._top = self._field_tree(drawn.widgets)

        # A field each: a radio group's widgets share one field.
        groups: dict[str, list[PlacedWidget]] = {}
        for placed in drawn.widgets:
            groups.setdefault(placed.spec.name, []).append(placed)
        # Constant fields first, so that every constant object precedes the holes.
        numbered: dict[str, _Entry] = {}
        for constant_pass in (True, False):
            for name, placed_widgets in groups.items():
                if (placed_widgets[0].spec.field.id not in variable) == constant_pass:
                    numbered[name] = self._entry(placed_widgets, nodes, page_numbers)
            if constant_pass:
                last_constant = self._number() - 1
                self._numbers = count(last_constant + 1)
        entries = [numbered[name] for name in groups]
        self.variable: dict[str, list[_Entry]] = {}
        for entry in entries:
            if entry.field_id in variable:
                self.variable.setdefault(entry.field_id, []).append(entry)
        self.hidden = self._number(), self._number()
        self._top.append(self.hidden[0])
        self.overlays = [self._number() for _ in range(pages)]
        self.info = self._number()
        self.size = self._number()

        annots: list[list[int]] = [[] for _ in range(pages)]
        by_widget = {
            id(placed): number_ for entry in entries for placed, number_ in entry.annotations()
        }
        for placed in drawn.widgets:  # reading order, which is the tab order
            annots[placed.page].append(by_widget[id(placed)])
        annots[0].append(self.hidden[0])
        field_fonts = b"/%s %d 0 R /%s %d 0 R /%s %d 0 R" % (
            TEXT_FONT.encode(),
            fonts["Helvetica"],
            BOLD_FONT.encode(),
            fonts["Helvetica-Bold"],
            CHECK_FONT.encode(),
            fonts["ZapfDingbats"],
        )
        objects: list[tuple[int, bytes]] = [
            (
                catalog,
                b"<< /Type /Catalog /Pages %d 0 R /AcroForm %d 0 R /Lang (fr-FR) >>"
                % (page_tree, acroform),
            ),
            (
                page_tree,
                b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox %s >>"
                % (refs(page_numbers), pages, _MEDIA_BOX),
            ),
            (resources, _resources_dict(drawn.fonts, fonts)),
            (
                acroform,
                b"<< /Fields [%s] /NeedAppearances false /DA (/%s 0 Tf 0 g) "
                b"/DR << /Font << %s >> >> >>" % (refs(self._top), TEXT_FONT.encode(), field_fonts),
            ),
        ]
        objects += [(fonts[base], _font_dict(base)) for base in bases]
        for index, number_ in enumerate(page_numbers):
            objects.append(
                (
                    number_,
                    b"<< /Type /Page /Parent %d 0 R /Resources %d 0 R /Contents [%d 0 R %d 0 R] "
                    b"/Annots [%s] >>"
                    % (
                        page_tree,
                        resources,
                        static_numbers[index],
                        self.overlays[index],
                        refs(annots[index]),
                    ),
                )
            )
        objects += zip(static_numbers, template.static_streams, strict=True)
        for box, (on, off) in self.box_states.items():
            objects.append((on, form_xobject(box, box, cross_ops(box, box), resources)))
            objects.append((off, form_xobject(box, box, b"", resources)))
        objects += [(node.number, node_dict(node)) for node in nodes.values()]
        for entry in entries:
            if entry.field_id not in variable:
                objects += entry.objects(None, self.box_states)
        objects.sort()
        if [n for n, _ in objects] != list(range(1, last_constant + 1)):
            raise RuntimeError("constant PDF objects are not numbered in sequence")

        chunks = [_HEADER]
        offsets = []
        position = len(_HEADER)
        for number_, body in objects:
            data = _obj(number_, body)
            offsets.append(position)
            position += len(data)
            chunks.append(data)
        self.prefix = b"".join(chunks)
        self.constant_xref = b"0000000000 65535 f \n" + b"".join(
            b"%010d 00000 n \n" % offset for offset in offsets
        )
        self.hidden_head = (
            b"<< /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P %d 0 R /F %d /T %s /TU %s "
            b"/FT /Tx /Ff %d /DA (/%s 8 Tf 0 g) /AP << /N %d 0 R >>"
            % (
                page_numbers[0],
                F_HIDDEN,
                pdf_text(HIDDEN_FIELD),
                pdf_text("Référence du formulaire"),
                FF_READ_ONLY,
                TEXT_FONT.encode(),
                self.hidden[1],
            )
        )
        self.hidden_appearance = form_xobject(0, 0, b"/Tx BMC EMC", resources)
        del self._numbers  # numbering is over; and an iterator would not pickle

    def _number(self) -> int:
        return next(self._numbers)

    def _field_tree(
        self, widgets: Sequence[PlacedWidget]
    ) -> tuple[dict[tuple[str, ...], Node], list[int]]:
        """Non-terminal fields for every dotted prefix, and the top-level fields so far."""
        nodes: dict[tuple[str, ...], Node] = {}
        top: list[int] = []
        for placed in widgets:
            parts = split_name(placed.spec.name)
            for end in range(1, len(parts)):
                if parts[:end] in nodes:
                    continue
                parent = nodes.get(parts[: end - 1])
                node = Node(parts[end - 1], self._number(), parent.number if parent else None, [])
                nodes[parts[:end]] = node
                (parent.kids if parent else top).append(node.number)
        return nodes, top

    def _entry(
        self,
        placed_widgets: Sequence[PlacedWidget],
        nodes: Mapping[tuple[str, ...], Node],
        page_numbers: Sequence[int],
    ) -> _Entry:
        """Number one terminal field (and its widgets) and hang it in the tree."""
        first = placed_widgets[0]
        parts = split_name(first.spec.name)
        number_ = self._number()
        parent = nodes.get(parts[:-1])
        (parent.kids if parent else self._top).append(number_)
        flags = field_flags(first.spec)
        if first.spec.kind == "radio":
            kids = tuple(self._number() for _ in placed_widgets)
            head = radio_head(
                first.spec,
                partial=parts[-1],
                parent=parent.number if parent else None,
                field_flags=flags,
            )
            kid_heads = tuple(
                radio_widget_head(placed, field=number_, page=page_numbers[placed.page])
                for placed in placed_widgets
            )
            return _Radio(tuple(placed_widgets), number_, kids, head, kid_heads)
        appearance = 0 if first.spec.kind == "checkbox" else self._number()
        head = widget_head(
            first,
            partial=parts[-1],
            parent=parent.number if parent else None,
            page=page_numbers[first.page],
            field_flags=flags,
        )
        return _Widget(first, number_, appearance, head)

    def render(self, template: PdfTemplate, identity: Identity, values: FormValues) -> bytes:
        objects: list[tuple[int, bytes]] = []
        for field_id, entries in self.variable.items():
            value = values.get(field_id)
            for entry in entries:
                objects += entry.objects(value, self.box_states)
        objects.append(
            (self.hidden[0], self.hidden_head + b" /V %s >>" % pdf_text(identity.reference))
        )
        objects.append((self.hidden[1], self.hidden_appearance))
        header = _header_ops(identity)
        pages = len(self.overlays)
        for index, number_ in enumerate(self.overlays):
            objects.append(
                (number_, _page_overlay(header, identity.reference, index + 1, pages, b""))
            )
        objects.append((self.info, _info_dict(template.layout, identity)))
        objects.sort()

        chunks = [self.prefix]
        position = len(self.prefix)
        xref = [self.constant_xref]
        for number_, body in objects:
            data = _obj(number_, body)
            xref.append(b"%010d 00000 n \n" % position)
            position += len(data)
            chunks.append(data)
        file_id = hashlib.md5(
            f"{identity.reference}\x1f{identity.signature}".encode(), usedforsecurity=False
        ).hexdigest()
        chunks.append(b"xref\n0 %d\n" % self.size)
        chunks += xref
        chunks.append(
            b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n"
            b"%%%%EOF\n" % (self.size, self.info, file_id.encode(), file_id.encode(), position)
        )
        return b"".join(chunks)


# --------------------------------------------------------------------------- public API


class PdfTemplate:
    """A compiled form: render it for each employee (fast), or put it in a print batch."""

    def __init__(self, layout: FormLayout, drawn: DrawnForm) -> None:
        self.layout = layout
        self.drawn = drawn
        self.page_count = len(drawn.pages)
        self.static_streams = tuple(
            _stream(zlib.compress(b"q\n" + page + b"\nQ", 9), b" /Filter /FlateDecode")
            for page in drawn.pages
        )
        self._prefilled = frozenset(f.id for f in layout.fields if f.prefilled)
        self._known = {f.id for f in layout.fields}
        self._placed: dict[str, list[PlacedWidget]] = {}
        for placed in drawn.widgets:
            self._placed.setdefault(placed.spec.field.id, []).append(placed)
        self._variants: dict[frozenset[str], _FormBytes] = {}
        self._variant(self._prefilled)

    @classmethod
    def compile(cls, layout: FormLayout) -> PdfTemplate:
        """Lay out and draw ``layout`` once; raise ``FormDefinitionError`` for unusable ids."""
        check_names([spec.name for spec in pdf_fields(layout)])
        return cls(layout, draw_form(layout))

    @cached_property
    def paper_map(self) -> PaperMap:
        """Where this layout prints its tick boxes, writing zones and registration marks.

        The same for every employee (only names, reference and QR code
        change), and stored with the forms issued from it, so that a scan is
        read against the layout it was printed from.
        """
        return paper_map(self.drawn)

    def _variant(self, variable: frozenset[str]) -> _FormBytes:
        """The byte template whose per-employee holes are the fields of ``variable``.

        Pre-filled fields are the holes of the usual template; values given for
        other fields (a caller filling an answer) get a template of their own,
        built once.
        """
        found = self._variants.get(variable)
        if found is None:
            found = self._variants[variable] = _FormBytes(self, variable)
        return found

    def render(self, identity: Identity, values: FormValues) -> bytes:
        """One employee's fillable PDF: pre-filled answers, identity, reference and QR codes.

        ``values`` holds the pre-filled answers; ids that are not in the form
        (a field of another skills grid) are ignored.
        """
        extra = {key for key in values if key not in self._prefilled and key in self._known}
        variable = self._prefilled | extra if extra else self._prefilled
        return self._variant(variable).render(self, identity, values)

    def flattened_pages(self, identity: Identity, values: FormValues) -> list[bytes]:
        """Each page's per-employee content for print: header, footer, QR and drawn answers."""
        header = _header_ops(identity)
        drawn: list[list[bytes]] = [[] for _ in range(self.page_count)]
        for field_id, value in values.items():
            for placed in self._placed.get(field_id, ()):
                shown = widget_value(placed.spec, value)
                if shown is None or shown.shown is False:
                    continue  # an empty box stays empty, to be written in by hand
                width, height = rect_of(placed)
                drawn[placed.page].append(
                    b"q 1 0 0 1 %s %s cm %s Q"
                    % (
                        number(placed.rect[0]),
                        number(placed.rect[1]),
                        value_ops(placed.spec, width, height, shown.shown),
                    )
                )
        return [
            _page_overlay(
                header,
                identity.reference,
                page + 1,
                self.page_count,
                b"\n" + b"\n".join(answers) if answers else b"",
            )
            for page, answers in enumerate(drawn)
        ]


_SLICE = 256  # offsets or page numbers formatted at a time


class _BatchWriter:
    """Writes PDF objects straight to a file, keeping only their offsets."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.position = 0
        self.offsets = array("q", [0])  # 8 bytes an object, not a Python int's 36

    def reserve(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets) - 1

    def _emit(self, data: bytes) -> None:
        self.target.write(data)
        self.position += len(data)

    def write(self, body: bytes, number_: int | None = None) -> int:
        if number_ is None:
            number_ = self.reserve()
        self.offsets[number_] = self.position
        self._emit(_obj(number_, body))
        return number_

    def write_page_tree(self, number_: int, kids: Sequence[int]) -> None:
        """The page tree, its /Kids written in slices: a batch can have tens of thousands."""
        self.offsets[number_] = self.position
        self._emit(b"%d 0 obj\n<< /Type /Pages /Count %d /MediaBox %s /Kids [" % (
            number_, len(kids), _MEDIA_BOX))  # fmt: skip
        for start in range(0, len(kids), _SLICE):
            self._emit(b"".join(b"%d 0 R " % kid for kid in kids[start : start + _SLICE]))
        self._emit(b"] >>\nendobj\n")

    def finish(self, root: int, info: int) -> None:
        start_xref = self.position
        self._emit(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        for start in range(1, len(self.offsets), _SLICE):
            chunk = self.offsets[start : start + _SLICE]
            self._emit(b"".join(b"%010d 00000 n \n" % offset for offset in chunk))
        self.target.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), root, info, start_xref)
        )


class PrintBatch:
    """One printable PDF being written, form by form, straight to its file.

    Forms are added as flattened pages (``PdfTemplate.flattened_pages``), so
    that the same pages can go to several batches (a team's and the whole
    company's) while being computed once. Each form starts on an odd page (a
    blank page follows a form with an odd page count, except the last one), so
    that duplex printing never puts two employees on one sheet. The static
    pages of each template are written once and shared by every form using them.
    """

    def __init__(self, target: BinaryIO) -> None:
        self._writer = writer = _BatchWriter(target)
        target.write(_HEADER)
        writer.position = len(_HEADER)
        self._catalog, self._page_tree = writer.reserve(), writer.reserve()
        writer.write(
            b"<< /Type /Catalog /Pages %d 0 R /Lang (fr-FR) >>" % self._page_tree, self._catalog
        )
        self._font_numbers: dict[str, int] = {}
        # id(template) -> the template (kept so that its id is not reused), resources, statics
        self._shared: dict[int, tuple[PdfTemplate, int, list[int]]] = {}
        self._kids = array("q")
        self._pending_blank = False

    def add(self, template: PdfTemplate, pages: Sequence[bytes]) -> None:
        """Append one form: ``pages`` are its ``flattened_pages``."""
        writer, page_tree = self._writer, self._page_tree
        if id(template) not in self._shared:
            for base in sorted({*template.drawn.fonts.values(), *_FONT_NAMES.values()}):
                if base not in self._font_numbers:
                    self._font_numbers[base] = writer.write(_font_dict(base))
            resources = writer.write(_resources_dict(template.drawn.fonts, self._font_numbers))
            statics = [writer.write(stream) for stream in template.static_streams]
            self._shared[id(template)] = template, resources, statics
        _, resources, statics = self._shared[id(template)]
        if self._pending_blank:
            self._kids.append(writer.write(b"<< /Type /Page /Parent %d 0 R >>" % page_tree))
        for page, content in enumerate(pages):
            overlay = writer.write(content)
            self._kids.append(
                writer.write(
                    b"<< /Type /Page /Parent %d 0 R /Resources %d 0 R /Contents [%d 0 R %d 0 R] >>"
                    % (page_tree, resources, statics[page], overlay)
                )
            )
        self._pending_blank = len(pages) % 2 == 1

    def close(self) -> int:
        """Write the page tree, the metadata and the cross-reference table; return the pages."""
        writer = self._writer
        writer.write_page_tree(self._page_tree, self._kids)
        info = writer.write(
            b"<< /Title %s /Creator %s /Producer %s >>"
            % (pdf_text(BATCH_TITLE), pdf_text(PRODUCER), pdf_text(PRODUCER))
        )
        writer.finish(self._catalog, info)
        return len(self._kids)


def write_print_batch(
    entries: Iterable[tuple[PdfTemplate, Identity, FormValues]], target: BinaryIO
) -> int:
    """Write every form flattened into one printable PDF; return the number of pages."""
    batch = PrintBatch(target)
    for template, identity, values in entries:
        batch.add(template, template.flattened_pages(identity, values))
    return batch.close()
