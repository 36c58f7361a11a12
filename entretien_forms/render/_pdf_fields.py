"""Form fields as PDF bytes: the field tree, widget dictionaries, values and their look.

Field ids hold dots (``objectifs.2.cible``) but a PDF partial field name
must not (ISO 32000-1, 12.7.3.2): the id is split into a tree of
non-terminal fields, so that the full name a viewer or pypdf reports is the
id again. Each answer gets an appearance stream written here, because
``/NeedAppearances`` would make viewers redraw (and some, when printing,
forget) every value.

A value is drawn by the same code for the widget's appearance (fillable PDF)
and for the page itself (flattened print batch), so both look alike.

A choice or a rating is a radio group: one field named by the field id, with
an ``/Opt`` array of the export values, and one widget per option, the tick
box printed beside the option's text; each widget's on-state is the
option's state name (``contract.radio_options``), and the field's ``/V``
names the state ticked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from entretien_forms.errors import FormDefinitionError

# The hidden reference field and the ticked state are the forms' contract; the
# old names stay importable from here.
from entretien_forms.forms.contract import HIDDEN_FIELD as HIDDEN_FIELD
from entretien_forms.forms.contract import PDF_OFF_STATE as OFF_STATE
from entretien_forms.forms.contract import PDF_ON_STATE as ON_STATE
from entretien_forms.forms.contract import RadioOption, pdf_name_parts
from entretien_forms.render._pdf_layout import PlacedWidget, WidgetSpec
from entretien_forms.render._pdf_text import (
    number,
    pdf_name,
    pdf_text,
    show,
    width_function,
    winansi,
    winansi_lines,
    wrap,
)

# Field flags (ISO 32000-1, tables 221, 226, 228).
FF_READ_ONLY = 1
FF_REQUIRED = 2
FF_MULTILINE = 1 << 12
FF_RADIO = 1 << 15  # without NoToggleToOff: clicking the ticked box unticks it
# Annotation flags (table 165).
F_HIDDEN = 2
F_PRINT = 4

TEXT_FONT = "Helv"  # resource names, in the AcroForm's /DR and every page's resources
BOLD_FONT = "HeBo"
CHECK_FONT = "ZaDb"
MIN_FONT_SIZE = 6.0
_TRUE = frozenset({"oui", "true", "vrai", "1", "x", "yes"})
_helvetica_width = width_function("Helvetica")


# --------------------------------------------------------------------------- field tree


@dataclass
class Node:
    """A non-terminal field: one dot-separated part of several ids."""

    partial: str
    number: int
    parent: int | None
    kids: list[int]


def split_name(name: str) -> tuple[str, ...]:
    """The partial names of the contract's field hierarchy, refused when one is empty."""
    parts = pdf_name_parts(name)
    if any(not part for part in parts):
        raise FormDefinitionError(
            f"Champ « {name} » : un identifiant ne peut ni commencer ni finir par un point, ni "
            "en contenir deux de suite. Corrigez l'identifiant dans le modèle."
        )
    return parts


def check_names(names: Sequence[str]) -> None:
    """Refuse ids a PDF form cannot hold together: "a" and "a.b", or the reserved name."""
    terminal = set(names)
    for name in names:
        parts = split_name(name)
        if parts[0] == HIDDEN_FIELD:
            raise FormDefinitionError(
                f"Champ « {name} » : l'identifiant « {HIDDEN_FIELD} » est réservé à la "
                "référence du formulaire. Renommez ce champ dans le modèle."
            )
        for end in range(1, len(parts)):
            prefix = ".".join(parts[:end])
            if prefix in terminal:
                raise FormDefinitionError(
                    f"Champ « {prefix} » : cet identifiant est aussi le début de « {name} », "
                    "ce qu'un formulaire PDF ne peut pas représenter. Renommez l'un des deux "
                    "champs dans le modèle."
                )


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Value:
    """A widget's value: its ``/V`` entry and what is drawn (text, or a tick)."""

    entry: bytes
    shown: str | bool


def _checked(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    return value.strip().lower() in _TRUE


def _chosen(value: str | bool) -> set[str]:
    """Options picked in a multichoice value: one per line or separated by semicolons."""
    if isinstance(value, bool):
        return set()
    return {part.strip() for part in value.replace("\n", ";").split(";") if part.strip()}


def widget_value(spec: WidgetSpec, value: str | bool | None) -> Value | None:
    """The value a widget shows for a field value, or ``None`` when it stays empty."""
    if value is None:
        return None
    if spec.kind == "checkbox":
        checked = spec.option in _chosen(value) if spec.option is not None else _checked(value)
        return Value(pdf_name(ON_STATE if checked else "Off"), checked)
    if spec.kind == "radio":
        chosen = radio_choice(spec.options, value)
        if chosen is None:
            return None
        return Value(pdf_name(chosen.state), chosen == spec.choice)
    if isinstance(value, bool):
        value = "Oui" if value else "Non"
    if spec.kind == "multiline":
        text = "\n".join(winansi(line) for line in winansi_lines(value.strip()))
    else:
        text = winansi(value).strip()
    # /V holds what is drawn: a viewer that redraws the value with the same font
    # then shows the same text, and the inbox reads back what the manager saw.
    return Value(pdf_text(text), text) if text else None


def radio_choice(options: Sequence[RadioOption], value: str | bool) -> RadioOption | None:
    """The option a value picks: its export value or its text; ``None`` for anything else.

    A value that is no option (a roster cell mistyped) ticks nothing, so the
    manager picks the answer rather than the box showing a wrong one.
    """
    if isinstance(value, bool):
        value = "Oui" if value else "Non"
    text = value.strip()
    for option in options:
        if text in (option.value, option.text):
            return option
    return None


# --------------------------------------------------------------------------- drawing


def value_ops(spec: WidgetSpec, width: float, height: float, shown: str | bool) -> bytes:
    """Operators drawing a value in a ``width`` x ``height`` box whose corner is the origin."""
    if isinstance(shown, bool):
        return cross_ops(width, height) if shown else b""
    size = spec.font_size
    if spec.kind == "multiline":
        leading = size * 1.2
        room = max(1, math.floor((height - 4) / leading))
        lines = wrap(shown, "Helvetica", size, width - 6)[:room]
        body = b" T* ".join(show(line) + b" Tj" for line in lines)
        first = height - 3 - size * 0.85
        return b"q 1 1 %s %s re W n BT /%s %s Tf 0 g %s TL 3 %s Td %s ET Q" % (
            number(width - 2),
            number(height - 2),
            TEXT_FONT.encode(),
            number(size),
            number(leading),
            number(first),
            body,
        )
    text_width = _helvetica_width(shown, size)
    if text_width > width - 6:  # shrink a long value rather than hide its end
        size = max(MIN_FONT_SIZE, size * (width - 6) / text_width)
    baseline = (height - size * 0.7) / 2
    return b"q 1 1 %s %s re W n BT /%s %s Tf 0 g 3 %s Td %s Tj ET Q" % (
        number(width - 2),
        number(height - 2),
        TEXT_FONT.encode(),
        number(size),
        number(baseline),
        show(shown),
    )


def cross_ops(width: float, height: float) -> bytes:
    """A ☒-like cross inside a checkbox: the mark people draw by hand in France."""
    inset = min(width, height) * 0.22
    x0, y0, x1, y1 = (number(v) for v in (inset, inset, width - inset, height - inset))
    return b"q 0 G 1.4 w 1 J %s %s m %s %s l %s %s m %s %s l S Q" % (
        x0,
        y0,
        x1,
        y1,
        x0,
        y1,
        x1,
        y0,
    )


def form_xobject(width: float, height: float, content: bytes, resources: int) -> bytes:
    """An appearance stream (form XObject) of a widget."""
    head = b"<< /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources %d 0 R /Length %d >>" % (
        number(width),
        number(height),
        resources,
        len(content),
    )
    return b"%s\nstream\n%s\nendstream" % (head, content)


def text_appearance(spec: WidgetSpec, width: float, height: float, shown: str | None) -> bytes:
    """The content of a text widget's appearance: marked content, as viewers expect."""
    if shown is None:
        return b"/Tx BMC EMC"
    return b"/Tx BMC " + value_ops(spec, width, height, shown) + b" EMC"


# --------------------------------------------------------------------------- dictionaries


def rect_of(placed: PlacedWidget) -> tuple[float, float]:
    x0, y0, x1, y1 = placed.rect
    return x1 - x0, y1 - y0


def widget_head(
    placed: PlacedWidget, *, partial: str, parent: int | None, page: int, field_flags: int
) -> bytes:
    """The constant start of a merged field and widget dictionary (no value, no appearance)."""
    spec = placed.spec
    head = [
        _annotation(placed, page),
        b" /T " + pdf_text(partial),
        b" /TU " + pdf_text(spec.tooltip),
    ]
    if parent is not None:
        head.append(b" /Parent %d 0 R" % parent)
    if spec.kind == "checkbox":
        head.append(b" /FT /Btn /DA (/%s 0 Tf 0 g) /MK << /CA (8) >>" % CHECK_FONT.encode())
    else:
        da = b"/%s %s Tf 0 g" % (TEXT_FONT.encode(), number(spec.font_size))
        head.append(b" /FT /Tx /DA (%s) /MK << >>" % da)
    if field_flags:
        head.append(b" /Ff %d" % field_flags)
    return b"".join(head)


def _annotation(placed: PlacedWidget, page: int) -> bytes:
    rect = b" ".join(number(v) for v in placed.rect)
    return b"<< /Type /Annot /Subtype /Widget /Rect [%s] /P %d 0 R /F %d" % (rect, page, F_PRINT)


def radio_head(spec: WidgetSpec, *, partial: str, parent: int | None, field_flags: int) -> bytes:
    """The constant start of a radio group's field dictionary (no kids, no value)."""
    head = [b"<< /FT /Btn /T " + pdf_text(partial), b" /TU " + pdf_text(spec.tooltip)]
    if parent is not None:
        head.append(b" /Parent %d 0 R" % parent)
    head.append(b" /Ff %d /DA (/%s 0 Tf 0 g)" % (field_flags, CHECK_FONT.encode()))
    head.append(b" /Opt [%s]" % b" ".join(pdf_text(o.value) for o in spec.options))
    return b"".join(head)


def radio_widget_head(placed: PlacedWidget, *, field: int, page: int) -> bytes:
    """The constant start of one option's widget (no appearance, no state)."""
    return _annotation(placed, page) + b" /Parent %d 0 R /MK << /CA (8) >>" % field


def radio_widget_states(placed: PlacedWidget, chosen: str | None, on: int, off: int) -> bytes:
    """A radio widget's appearances and state: ticked when ``chosen`` is its on-state."""
    assert placed.spec.choice is not None
    state = placed.spec.choice.state
    shown = pdf_name(state if chosen == state else OFF_STATE)
    return b" /AP << /N << %s %d 0 R /Off %d 0 R >> >> /AS %s" % (pdf_name(state), on, off, shown)


def field_flags(spec: WidgetSpec) -> int:
    flags = 0
    if spec.field.locked:
        flags |= FF_READ_ONLY
    if spec.field.required:
        flags |= FF_REQUIRED
    if spec.kind == "multiline":
        flags |= FF_MULTILINE
    if spec.kind == "radio":
        flags |= FF_RADIO
    return flags


def node_dict(node: Node) -> bytes:
    parts = [b"<< /T " + pdf_text(node.partial)]
    if node.parent is not None:
        parts.append(b" /Parent %d 0 R" % node.parent)
    parts.append(b" /Kids [%s] >>" % refs(node.kids))
    return b"".join(parts)


def refs(numbers: Iterable[int]) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in numbers)
