"""What the renderers write and the readers expect: the one place both sides agree on.

A form is issued as a Word file or a fillable PDF and comes back, filled, to
a reader that must find every answer again. Everything that reader relies on
is fixed here, and both sides import it from here rather than from each
other, so that a renderer cannot change what a reader expects by accident:

- **keys**: a field id names the Word control (its tag) and the PDF field;
  a multiple choice is one check box per option, ``<id>#<n>`` (1-based);
  in a PDF, the dots of an id are a field hierarchy (ISO 32000-1 forbids dots
  in a partial name), so a viewer reports the full id again;
- **the controls of a layout, in order** (``docx_controls``): LibreOffice 7.4
  drops every tag when it re-saves a form, and the reader then matches the
  controls it finds to these, one for one. ``render/docx.py`` takes its
  controls from this list and stops if its document order ever differs;
- **the PDF fields of a layout** (``pdf_fields``), and the hidden field that
  carries the reference; a choice or a rating is a radio group, one printed
  tick box per option (``radio_options``: export value, text, on-state);
- **identity**: Word custom properties ``entretien_*`` and PDF ``/Info`` keys
  ``Entretien*``;
- **texts as written**: check box glyphs, the placeholders of empty
  controls (a reader must take them as empty), the items of drop-down lists,
  radio groups and the combo boxes of PDF forms issued before radio groups
  (a rating shows "3 – Maîtrisée" and means 3);
- **the OOXML names** a reader of a .docx needs: namespaces, part names,
  content types.

Pure data and pure functions of a ``FormLayout``: no I/O, no rendering.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from entretien_forms.forms.model import Column, Field, FieldType, FormLayout, Identity

# --------------------------------------------------------------------------- keys

OPTION_SEPARATOR = "#"


def option_key(field_id: str, n: int) -> str:
    """The key of option ``n`` (1-based) of a multiple choice: ``formations#2``."""
    return f"{field_id}{OPTION_SEPARATOR}{n}"


def field_keys(field: Field) -> tuple[str, ...]:
    """The keys an answer to ``field`` is found under: its id, or one per option."""
    if field.type == "multichoice":
        return tuple(option_key(field.id, n) for n in range(1, len(field.options) + 1))
    return (field.id,)


# --------------------------------------------------------------------------- texts as written

CHECKED = "\u2612"  # ☒
UNCHECKED = "\u2610"  # ☐
# What an empty Word control shows, in grey, by field type. LibreOffice 7.4
# keeps it as plain text on re-save: a reader must take it for no answer.
PLACEHOLDERS: Mapping[str, str] = {
    "text": "Saisir ici",
    "number": "Saisir ici",
    "longtext": "Saisir ici",
    "date": "jj/mm/aaaa",
    "choice": "Choisir",
    "rating": "Choisir",
}
# A locked field the roster left empty: the manager cannot type there.
LOCKED_PLACEHOLDER = "Non renseigné"

# Characters XML 1.0 cannot hold at all, even escaped: a roster cell with one
# of them would make the whole file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BLANKS = re.compile(r"\r\n|[\r\n\t]")


def xml_chars(value: str) -> str:
    """``value`` without the characters XML forbids: what any XML file gives back of it."""
    return _NOT_XML.sub("", value) if _NOT_XML.search(value) else value


def one_line(value: str) -> str:
    """``value`` as an attribute of a Word file holds it: on one line, XML characters only.

    A parser turns line breaks and tabs in an attribute into spaces anyway;
    writing them so keeps the alias a reader finds equal to the one expected.
    """
    return xml_chars(_BLANKS.sub(" ", value))


def rating_options(scale: Sequence[int], labels: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(value, text) of each level of a rating: "3" shown as "3 – Maîtrisée" when labelled."""
    if labels and len(labels) == len(scale):
        return tuple((str(v), f"{v} – {label}") for v, label in zip(scale, labels, strict=True))
    return tuple((str(v), str(v)) for v in scale)


def rating_items(field: Field | Column) -> tuple[tuple[str, str], ...]:
    """(text, value) of each level, in the order of a Word list item: "3 – Maîtrisée" and "3"."""
    return tuple((text, value) for value, text in rating_options(field.scale, field.scale_labels))


def list_items(field: Field | Column) -> tuple[tuple[str, str], ...]:
    """(text, value) of each item of a choice or rating's Word drop-down list."""
    if field.type == "rating":
        return rating_items(field)
    return tuple((option, option) for option in field.options)


def combo_options(field: Field | Column) -> tuple[tuple[str, str], ...]:
    """(export value, text) of each option of a choice or rating's PDF field.

    The items of the combo boxes of PDF forms issued before radio groups, and
    the options of today's radio groups (``radio_options``).
    """
    if field.type == "rating":
        return rating_options(field.scale, field.scale_labels)
    return tuple((option, option) for option in field.options)


# --------------------------------------------------------------------------- Word controls

# The type element of a control's ``w:sdtPr``, as a reader names it: none is rich text.
ControlKind = Literal["text", "richText", "date", "dropDownList", "checkbox"]
CONTROL_KINDS: Mapping[FieldType, ControlKind] = {
    "text": "text",
    "number": "text",
    "longtext": "richText",  # several paragraphs may be typed in it
    "date": "date",
    "choice": "dropDownList",
    "rating": "dropDownList",
    "checkbox": "checkbox",
    "multichoice": "checkbox",  # one per option
}


@dataclass(frozen=True, slots=True)
class ControlSpec:
    """One content control of a Word form, as the renderer writes it and a reader finds it."""

    key: str  # the tag: the field id, or "<id>#<n>" for an option of a multiple choice
    kind: ControlKind
    alias: str  # the name Word shows: the field's label, or the option's text; one line
    field: Field
    option: int | None = None  # 1-based option of a multiple choice
    box: bool = False  # a check box: its answer is a tick, whatever text it shows


def controls_of(field: Field) -> tuple[ControlSpec, ...]:
    """The controls that hold the answer to ``field``, in document order."""
    kind = CONTROL_KINDS[field.type]
    if field.type == "multichoice":
        return tuple(
            ControlSpec(option_key(field.id, n), kind, one_line(option), field, n, True)
            for n, option in enumerate(field.options, start=1)
        )
    return (ControlSpec(field.id, kind, one_line(field.label), field, None, kind == "checkbox"),)


def docx_controls(layout: FormLayout) -> tuple[ControlSpec, ...]:
    """Every content control of ``layout``'s Word form, in document order.

    Fields are written in the order of ``layout.fields`` (a table row by row),
    header and footer hold none: a re-saved form whose tags are gone is read
    by matching its n-th control to the n-th of this list.
    """
    return tuple(spec for field in layout.fields for spec in controls_of(field))


# --------------------------------------------------------------------------- PDF fields

# The field type (/FT) of a PDF form field. Choices and ratings were combo
# boxes ("Ch") until forms were read on paper; a returned form issued before
# still has them, and readers keep reading both.
PdfFieldType = Literal["Tx", "Ch", "Btn"]
PDF_FIELD_TYPES: Mapping[FieldType, PdfFieldType] = {
    "text": "Tx",
    "number": "Tx",
    "longtext": "Tx",  # with the multiline flag
    "date": "Tx",
    "choice": "Btn",  # a radio group: one tick box per option
    "rating": "Btn",  # a radio group: one tick box per level
    "checkbox": "Btn",
    "multichoice": "Btn",  # one check box per option
}
# How the answer is held: a text, a check box (ticked or not), or a radio
# group (one field, one widget per option, the field's value naming the option).
PdfFieldKind = Literal["text", "checkbox", "radio"]
PDF_FIELD_KINDS: Mapping[FieldType, PdfFieldKind] = {
    "text": "text",
    "number": "text",
    "longtext": "text",
    "date": "text",
    "choice": "radio",
    "rating": "radio",
    "checkbox": "checkbox",
    "multichoice": "checkbox",
}
# The hidden text field holding the form's reference: a PDF viewer may drop
# /Info on saving, never a form field.
HIDDEN_FIELD = "entretien_reference"
# The export value of a ticked PDF check box (French, like the form); any
# state but /Off reads as ticked.
PDF_ON_STATE = "Oui"
PDF_OFF_STATE = "Off"  # the state of an unticked box, fixed by ISO 32000-1


@dataclass(frozen=True, slots=True)
class RadioOption:
    """One option of a radio group: what it means, what is printed, what a viewer stores.

    The group's ``/Opt`` array holds the export values, in the order of its
    widgets; ``state``, the widget's on-state name that a viewer stores as
    the field's value, is the option's 0-based position in it ("0", "1"...),
    the convention of ISO 32000-1 (12.7.4.2.4). Not the value itself:
    pdftk (iText) fills a group that has ``/Opt`` by writing the position of
    the value, so a rating whose states were its levels "1".."4" would show
    level 3 ticked when asked for 4.
    """

    value: str  # the export value: "3" for a rating, the option's text for a choice
    text: str  # printed beside the box: "3 – Maîtrisée", or the option's text
    state: str


def radio_options(field: Field | Column) -> tuple[RadioOption, ...]:
    """The options of a choice or a rating's radio group, in printed and ``/Opt`` order."""
    return tuple(
        RadioOption(value, text, str(index))
        for index, (value, text) in enumerate(combo_options(field))
    )


def radio_value(state: str, exports: Sequence[str]) -> str:
    """The export value a radio group's state stands for, ``exports`` being its ``/Opt``.

    A position in ``exports`` (our state names, and what pdftk writes); else
    the state itself (a group without ``/Opt``, or a viewer storing the value).
    """
    if state.isdigit() and state.isascii() and int(state) < len(exports):
        return exports[int(state)]
    return state


@dataclass(frozen=True, slots=True)
class PdfFieldSpec:
    """One terminal field of a fillable PDF form."""

    name: str  # the full name: the field id, or "<id>#<n>" for an option
    type: PdfFieldType
    field: Field
    option: int | None = None  # 1-based option of a multiple choice

    @property
    def kind(self) -> PdfFieldKind:
        return PDF_FIELD_KINDS[self.field.type]


def pdf_name_parts(name: str) -> tuple[str, ...]:
    """The partial names of a full field name: ``objectifs.2.cible`` hangs under two parents."""
    return tuple(name.split("."))


def pdf_fields_of(field: Field) -> tuple[PdfFieldSpec, ...]:
    """The PDF fields that hold the answer to ``field``, in reading order."""
    kind = PDF_FIELD_TYPES[field.type]
    if field.type == "multichoice":
        return tuple(
            PdfFieldSpec(option_key(field.id, n), kind, field, n)
            for n in range(1, len(field.options) + 1)
        )
    return (PdfFieldSpec(field.id, kind, field),)


def pdf_fields(layout: FormLayout) -> tuple[PdfFieldSpec, ...]:
    """Every answer field of ``layout``'s PDF form (the hidden reference field aside)."""
    return tuple(spec for field in layout.fields for spec in pdf_fields_of(field))


# --------------------------------------------------------------------------- identity

# What identifies an issued form, as ``Identity`` attributes; the readers claim
# all but the issue date, which is informative.
IDENTITY_ATTRIBUTES = (
    "reference",
    "form_id",
    "form_version",
    "kind",
    "campaign",
    "matricule",
    "signature",
    "issued_on",
)
CLAIMED_ATTRIBUTES = IDENTITY_ATTRIBUTES[:-1]
# Word custom document properties (docProps/custom.xml), by attribute.
DOCX_PROPERTIES: Mapping[str, str] = {
    "reference": "entretien_reference",
    "form_id": "entretien_form_id",
    "form_version": "entretien_form_version",
    "kind": "entretien_kind",
    "campaign": "entretien_campaign",
    "matricule": "entretien_matricule",
    "signature": "entretien_signature",
    "issued_on": "entretien_issued_on",
}
# PDF document information (/Info) keys, by attribute.
PDF_INFO_KEYS: Mapping[str, str] = {
    "reference": "EntretienReference",
    "form_id": "EntretienFormId",
    "form_version": "EntretienFormVersion",
    "kind": "EntretienKind",
    "campaign": "EntretienCampaign",
    "matricule": "EntretienMatricule",
    "signature": "EntretienSignature",
    "issued_on": "EntretienIssuedOn",
}


def identity_texts(identity: Identity) -> dict[str, str]:
    """The identifying attributes of ``identity`` as the text written into a file."""
    return {
        "reference": identity.reference,
        "form_id": identity.form_id,
        "form_version": identity.form_version,
        "kind": identity.kind,
        "campaign": identity.campaign,
        "matricule": identity.matricule,
        "signature": identity.signature,
        "issued_on": identity.issued_on.isoformat(),
    }


def docx_properties(identity: Identity) -> dict[str, str]:
    """The custom properties that say which issued form a Word file is."""
    return {DOCX_PROPERTIES[a]: value for a, value in identity_texts(identity).items()}


def pdf_info(identity: Identity) -> dict[str, str]:
    """The ``/Info`` entries that say which issued form a PDF is."""
    return {PDF_INFO_KEYS[a]: value for a, value in identity_texts(identity).items()}


# --------------------------------------------------------------------------- OOXML names

NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_CUSTOM = f"{REL}/custom-properties"
CT_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
# Part names: where our forms keep the answers, the identity and the producer.
DOCUMENT = "word/document.xml"
CUSTOM = "docProps/custom.xml"
APP = "docProps/app.xml"
CONTENT_TYPES = "[Content_Types].xml"
PACKAGE_RELS = "_rels/.rels"
