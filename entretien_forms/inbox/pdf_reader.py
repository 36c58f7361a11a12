"""Read a returned PDF: the form fields a viewer saved, or the QR codes of a paper form.

A fillable form comes back with its AcroForm: every answer is the value of
the field named after its id, whatever viewer or library saved it. Viewers
disagree on details (what a ticked box's state is called, whether a combo
box keeps the item's value or the text shown, ``\\r`` or ``\\n`` between
the lines of a text), so values are read leniently.

Anyone can drop a file in the inbox, so the PDF syntax is read by qpdf
(through pikepdf), a maintained parser that repairs what it can; nothing
here parses PDF objects by hand, and there is no second reader to fall back
on. One reader gives one answer for the same logical content, whatever the
byte layout:

- an object rewritten by an incremental update (a viewer saving in place
  appends the filled values to the file, as pypdf and PyMuPDF do in the
  tests) is read in its latest version, as every viewer shows it;
- a key written twice in one dictionary (two ``/V``, two ``/AcroForm`` in
  the catalog) counts by its last occurrence: qpdf's rule, and MuPDF's;
- a field name given to two fields: the first field of the tree holding a
  value is read;
- a file qpdf had to repair (a damaged cross-reference table, a duplicate
  key) is read, with a note asking HR to check its answers.

qpdf parses an object when it is first asked for: identifying a form from
``/Info`` takes 0.2 ms, reading the annual form's 134 field dictionaries
about 2 ms, half of it qpdf's parsing (``bench/bench_inbox.py``).

A form printed and scanned, or flattened (a print batch, a "print to PDF"),
has no fields left: it is identified by the QR code printed on each page
(``<reference> p<n>/<m>``), and HR types the answers. ``scan.py`` renders
and reads the pages, each page once, its cost measured before pdfium parses
it and its drawing bounded in time; here, such a file must hold one form (a
stack of several is the scan route's, ``scan.group_forms``).

Anything that goes wrong while reading becomes a ``RejectedFile`` with a
French reason and advice: the inbox must never stop on a hostile or broken
file, and the person who dropped it must learn what to do.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import BinaryIO, NamedTuple

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream, String

from entretien_forms.errors import (
    FieldValueTypeError,
    MalformedFieldTreeError,
    RejectedFile,
    RejectionCode,
)
from entretien_forms.forms.contract import (
    CLAIMED_ATTRIBUTES,
    HIDDEN_FIELD,
    PDF_INFO_KEYS,
    combo_options,
    radio_value,
)
from entretien_forms.forms.model import FormLayout
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, RawAnswer
from entretien_forms.inbox.scan import (
    ScanPage,
    bounded_bytes,
    encrypted_pdf,
    group_forms,
    iter_pages,
    password_pdf,
    truncated_pdf,
)
from entretien_forms.text import count

__all__ = ["extract_pdf", "identify_pdf"]

# /Info keys of the identity a form claims, as ClaimedIdentity attributes (the contract's).
_INFO_KEYS = {PDF_INFO_KEYS[attribute]: attribute for attribute in CLAIMED_ATTRIBUTES}

# Limits on the work one file may cause. A form has a handful of pages and a
# few hundred fields; a file far beyond is not a form, or is built to hurt.
MAX_FIELD_NODES = 20_000
MAX_FIELD_DEPTH = 32
MAX_TEXT_CHARS = 100_000  # a rich-text /V stream longer than this is cut
_MAX_OPTIONS = 1_000  # combo box items looked at to map a shown text back to its value
# The PDF header may follow some junk, and %%EOF may be followed by some, within
# 1024 bytes for Acrobat; a little more is allowed here. A file without %%EOF
# near its end is a copy still running or cut short: qpdf would "repair" it into
# a form missing its last answers, so it is refused instead.
_HEADER_WINDOW = 1024
_TRAILER_WINDOW = 2048

# A paper form is read at 300 dpi here: a form printed to PDF (its fields
# flattened) may carry a smaller code than the printed one, and drawing a vector
# page is cheap (5 ms at 200 dpi); the scan route reads stacks at 200 dpi.
SCAN_DPI = 300
# Filters that code bytes, not pictures (ISO 32000-1, 7.4): an image (JBIG2, DCT,
# JPX, CCITT) is never decoded where text or drawing is due.
_NEWLINES = re.compile(r"\r\n?")

# Field flags (ISO 32000-1, tables 226 and 228).
_FF_RADIO = 1 << 15
_FF_PUSHBUTTON = 1 << 16
_OFF = "Off"


# --------------------------------------------------------------------------- rejections


def _not_a_pdf(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » n'est pas un fichier PDF lisible (son contenu ne commence pas comme un PDF).",
        "Déposez le formulaire PDF tel que votre lecteur PDF l'a enregistré, ou le scan du "
        "formulaire papier enregistré au format PDF.",
        RejectionCode.WRONG_TYPE,
    )


def _corrupt(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est un fichier PDF endommagé : il ne peut pas être lu.",
        "Ouvrez-le dans votre lecteur PDF, enregistrez-le de nouveau, puis redéposez-le.",
        RejectionCode.DAMAGED,
    )


def _broken_form(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » contient un formulaire endommagé : ses champs ne peuvent pas être lus.",
        "Ouvrez le formulaire dans votre lecteur PDF, vérifiez les réponses, enregistrez-le de "
        "nouveau, puis redéposez-le.",
        RejectionCode.DAMAGED,
    )


def _several_forms(name: str, references: list[str]) -> RejectedFile:
    return RejectedFile(
        f"« {name} » contient les formulaires de plusieurs salariés (références "
        f"{', '.join(references)}).",
        "Scannez le formulaire de chaque salarié dans un fichier à part, puis déposez chaque "
        "fichier.",
        RejectionCode.AMBIGUOUS,
    )


_SCAN_ADVICE = (
    "Déposez le formulaire PDF envoyé par les RH, rempli tel quel. Pour un formulaire "
    "papier, imprimez-le depuis le PDF d'origine sans le redimensionner, laissez le code "
    "QR en haut de chaque page visible et propre, et scannez-le à 200 ppp (dpi) au moins."
)


def _not_a_form(name: str, has_fields: bool) -> RejectedFile:
    what = (
        "ses champs ne portent pas de référence de formulaire"
        if has_fields
        else "il n'a pas de champs de formulaire"
    )
    return RejectedFile(
        f"« {name} » n'est pas reconnu comme un formulaire d'entretien : {what}, et aucun "
        "code QR de formulaire n'a été trouvé sur ses pages.",
        _SCAN_ADVICE,
        RejectionCode.NOT_A_FORM,
    )


def _too_heavy(name: str, skipped: int, pages: int) -> RejectedFile:
    if skipped == pages:
        which = "ses pages sont trop lourdes à afficher (dessins ou images démesurés)"
        elsewhere = ""
    else:
        verb = "est trop lourde" if skipped == 1 else "sont trop lourdes"
        which = f"{skipped} de ses {pages} pages {verb} à afficher (dessins ou images démesurés)"
        elsewhere = ", et aucun code n'a été trouvé sur les autres"
    return RejectedFile(
        f"« {name} » n'a pas pu être lu comme un formulaire papier scanné : {which} pour y "
        f"chercher le code QR du formulaire{elsewhere}.",
        "Pour un formulaire papier, scannez-le de nouveau en 200 à 300 ppp (dpi), en noir et "
        "blanc ou en niveaux de gris, puis déposez ce scan ; sinon, déposez le formulaire PDF "
        "envoyé par les RH, rempli tel quel.",
        RejectionCode.TOO_LARGE,
    )


_REPAIRED = (
    "Le fichier PDF était endommagé et a été réparé à la lecture : vérifiez que les réponses "
    "enregistrées sont complètes."
)
_DUPLICATE_KEYS = (
    "Le fichier PDF écrit deux fois certaines valeurs (une même clé répétée dans un objet) : "
    "la dernière écrite est retenue, comme dans les lecteurs PDF ; vérifiez les réponses."
)


# --------------------------------------------------------------------------- public API


def has_form_fields(data: bytes, name: str) -> bool:
    """Whether the PDF still has form fields: a filled form, not a scan or a flattened copy.

    Cheap (the catalogue only, no page drawn), so that the inbox can send a
    file without fields to the scan reader without reading it twice. A file
    qpdf cannot open is refused here as by ``identify_pdf``.
    """
    with _opened(data, name) as pdf:
        root = pdf.trailer.get("/Root")
        form = root.get("/AcroForm") if isinstance(root, Dictionary) else None
        fields = form.get("/Fields") if isinstance(form, Dictionary) else None
        return isinstance(fields, Array) and len(fields) > 0


def identify_pdf(data: bytes, name: str) -> ClaimedIdentity:
    """Who the PDF says it is: /Info and the hidden field; the QR codes only for paper.

    /Info alone answers for nearly every digital form, without walking the
    fields (``extract_pdf`` does that next). The pages are rendered only when
    the file carries no identity at all (a scan, a flattened form), since
    rendering is a hundred times slower.
    """
    with _opened(data, name) as pdf:
        identity = _identity(_info(pdf), None)
        if identity.reference is not None:
            return identity
        contents = _read(pdf, name, None)
    identity = contents.identity()
    if identity.reference is not None:
        return identity
    return ClaimedIdentity(reference=_paper(data, name, contents).reference)


def extract_pdf(data: bytes, name: str, layout: FormLayout | None) -> Extraction:
    """Every answer of a fillable PDF, or the identification of a paper form.

    ``layout`` (when the form is known) maps a combo box's shown text back to
    its item's value when the file lost the item list.
    """
    with _opened(data, name) as pdf:
        contents = _read(pdf, name, layout)
    identity = contents.identity()
    notes = list(contents.notes)
    hidden = contents.hidden_reference()
    if identity.reference is not None and hidden is not None and hidden != identity.reference:
        notes.append(
            f"La référence des propriétés du fichier ({identity.reference}) diffère de celle "
            f"du champ caché ({hidden}) : la première est retenue."
        )
    if contents.field_count:
        if identity.reference is None:  # fields kept, but metadata and hidden field lost
            identity = ClaimedIdentity(reference=_paper(data, name, contents).reference)
        return Extraction(
            identity=identity, answers=contents.answers, producer=contents.producer(), notes=notes
        )

    paper = _paper(data, name, contents)
    if identity.reference != paper.reference:
        identity = ClaimedIdentity(reference=paper.reference)
    return Extraction(
        identity=identity,
        producer=contents.producer(),
        notes=[*notes, paper.note()],
        paper=True,
        pages=paper.pages,
        page_count=paper.page_count,
    )


# --------------------------------------------------------------------------- opening


@contextmanager
def _opened(data: bytes, name: str) -> Iterator[Pdf]:
    """The file opened by qpdf; what stops it, or stops reading it, as a rejection.

    The body runs inside: a ``PdfError`` there is an object qpdf could not
    read even by repairing the file, and the file is refused as damaged.
    """
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise _not_a_pdf(name)
    if b"%%EOF" not in data[-_TRAILER_WINDOW:]:
        raise truncated_pdf(name)
    with _source(data) as (source, mode):
        try:
            pdf = pikepdf.open(source, inherit_page_attributes=False, access_mode=mode)
        except pikepdf.PasswordError as exc:  # a user password: an empty one does not open it
            raise password_pdf(name) from exc
        except pikepdf.PdfError as exc:
            # qpdf names the encryption dictionary in what it cannot decrypt (an unknown
            # handler, a newer revision); anything else is a file it could not repair.
            if "encrypt" in str(exc).lower():
                raise encrypted_pdf(name) from exc
            raise _corrupt(name) from exc
        with pdf:
            try:
                yield pdf
            except pikepdf.PdfError as exc:
                raise _corrupt(name) from exc


@contextmanager
def _source(data: bytes) -> Iterator[tuple[BinaryIO, pikepdf.AccessMode]]:
    """The bytes as a file qpdf reads directly, in memory, where the system allows it.

    qpdf reads a Python stream (``BytesIO``) through Python calls, some
    15,000 seeks, tells and reads for the annual form: a millisecond, as
    long as the parsing. Memory-mapped, it reads the bytes in place. Linux
    has anonymous in-memory files (``memfd``); elsewhere, a ``BytesIO``.
    """
    make = getattr(os, "memfd_create", None)
    if make is None:
        yield io.BytesIO(data), pikepdf.AccessMode.stream
        return
    with os.fdopen(make("entretien-pdf", os.MFD_CLOEXEC), "w+b") as file:
        file.write(data)
        file.seek(0)
        yield file, pikepdf.AccessMode.mmap


# --------------------------------------------------------------------------- reading


@dataclass
class _Contents:
    """What the file says of itself: /Info, the form fields, the pages it declares."""

    info: dict[str, str]
    answers: dict[str, RawAnswer]
    field_count: int
    declared_pages: int
    notes: list[str] = field(default_factory=list)

    def hidden_reference(self) -> str | None:
        hidden = self.answers.get(HIDDEN_FIELD)
        if hidden is None or not isinstance(hidden.value, str):
            return None
        return hidden.value.strip()

    def identity(self) -> ClaimedIdentity:
        return _identity(self.info, self.hidden_reference())

    def producer(self) -> str | None:
        """What saved the file last, as it says: "Producer (Creator)" when they differ."""
        producer, creator = self.info.get("Producer"), self.info.get("Creator")
        if producer and creator and creator != producer:
            return f"{producer} ({creator})"
        return producer or creator


def _identity(info: dict[str, str], hidden: str | None) -> ClaimedIdentity:
    values = {attribute: info.get(key) for key, attribute in _INFO_KEYS.items()}
    if values["reference"] is None:
        values["reference"] = hidden
    return ClaimedIdentity(**values)


def _info(pdf: Pdf) -> dict[str, str]:
    """The document information dictionary's texts we use, stripped, empty ones left out."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, Dictionary):
        return {}
    texts = {}
    for key in (*_INFO_KEYS, "Producer", "Creator"):
        if f"/{key}" in info:
            value = _text(info[f"/{key}"])
            if value is not None and value.strip():
                texts[key] = value.strip()
    return texts


def _read(pdf: Pdf, name: str, layout: FormLayout | None) -> _Contents:
    root = pdf.trailer.get("/Root")
    if not isinstance(root, Dictionary):
        raise _corrupt(name)
    try:
        answers, terminals, notes = _read_fields(root, layout)
    except MalformedFieldTreeError as exc:
        raise _broken_form(name) from exc
    pages = root.get("/Pages")
    # pikepdf gives PDF integers as Python ints; its type hints say Object.
    total: object = pages.get("/Count") if isinstance(pages, Dictionary) else None
    declared = total if isinstance(total, int) and not isinstance(total, bool) else 0
    return _Contents(_info(pdf), answers, terminals, declared, notes + _repairs(pdf))


def _repairs(pdf: Pdf) -> list[str]:
    """A note when qpdf warned while reading: it repaired something, so HR checks.

    qpdf's warnings are English sentences for developers; their words only
    choose ours. A warning qpdf itself calls "a common error handled
    correctly" (pypdf's incremental updates omit their own cross-reference
    entry) changes nothing read and is not worth HR's attention.
    """
    warnings = [w for w in pdf.get_warnings() if "handled correctly" not in w]
    if not warnings:
        return []
    if all("duplicated key" in warning for warning in warnings):
        return [_DUPLICATE_KEYS]
    return [_REPAIRED]


# --------------------------------------------------------------------------- plain values


def _text(value: object) -> str | None:
    """A string, name or number as text; ``None`` for anything else."""
    if isinstance(value, String):
        return str(value)  # PDFDocEncoding, or UTF-16 / UTF-8 after a byte order mark
    if isinstance(value, Name):  # str() raises on a name that is not UTF-8
        return bytes(value)[1:].decode("utf-8", errors="replace")
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return str(value)
    return None


# --------------------------------------------------------------------------- form fields


class _Terminal(NamedTuple):
    """One terminal field: full name, inherited type and flags, its dict, keys and widgets."""

    name: str
    kind: str | None
    flags: int
    node: Dictionary
    keys: set[str]
    widgets: tuple[Dictionary, ...]


class _Node(NamedTuple):
    """A field node to visit, with what its parents pass down."""

    node: Dictionary
    keys: set[str]  # asked once: qpdf answers a missing key slowly
    prefix: str
    kind: str | None
    flags: int
    depth: int


def _terminals(fields: object) -> Iterator[_Terminal]:
    """The terminal fields under ``/AcroForm /Fields``, walked without recursion.

    A node reached twice (a loop, or one node under two parents) makes the
    tree ambiguous: refused rather than read one way.
    """
    if fields is None:
        return
    if not isinstance(fields, Array) or len(fields) > MAX_FIELD_NODES:
        raise MalformedFieldTreeError("/Fields is not an array")
    seen: set[tuple[int, int]] = set()
    stack = [_Node(node, keys, "", None, 0, 1) for node, keys in reversed(_nodes(fields, seen))]
    visited = 0
    while stack:
        node, keys, prefix, kind, flags, depth = stack.pop()
        visited += 1
        if visited > MAX_FIELD_NODES or depth > MAX_FIELD_DEPTH:
            raise MalformedFieldTreeError("field tree too large")
        partial = _text(node["/T"]) if "/T" in keys else None
        name = (f"{prefix}.{partial}" if prefix else partial) if partial else prefix
        if "/FT" in keys:
            field_type = node["/FT"]
            if isinstance(field_type, Name):
                kind = _text(field_type)
        if "/Ff" in keys:
            own_flags: object = node["/Ff"]  # an int, whatever pikepdf's hints say
            if isinstance(own_flags, int) and not isinstance(own_flags, bool):
                flags = own_flags
        field_kids: list[_Node] = []
        widgets: list[Dictionary] = []
        if "/Kids" in keys:
            kids = node["/Kids"]
            if not isinstance(kids, Array) or len(kids) > MAX_FIELD_NODES:
                raise MalformedFieldTreeError("/Kids is not an array, or too long")
            for kid, kid_keys in _nodes(kids, seen):
                if "/T" in kid_keys:
                    field_kids.append(_Node(kid, kid_keys, name, kind, flags, depth + 1))
                else:
                    widgets.append(kid)
        if field_kids:
            stack.extend(reversed(field_kids))
        elif name:
            yield _Terminal(name, kind, flags, node, keys, tuple(widgets) or (node,))


def _nodes(items: Array, seen: set[tuple[int, int]]) -> list[tuple[Dictionary, set[str]]]:
    """The dictionaries of a /Fields or /Kids array with their keys, each reached once."""
    found = []
    for item in items:
        if isinstance(item, Dictionary):
            objgen = item.objgen
            if objgen != (0, 0):  # a direct dictionary has only one path to it
                if objgen in seen:
                    raise MalformedFieldTreeError("node reached twice")
                seen.add(objgen)
            found.append((item, item.keys()))
    return found


def _read_fields(
    root: Dictionary, layout: FormLayout | None
) -> tuple[dict[str, RawAnswer], int, list[str]]:
    """Every non-empty terminal field value by full name, the field count, and notes."""
    form = root.get("/AcroForm")
    if not isinstance(form, Dictionary):
        return {}, 0, []
    answers: dict[str, RawAnswer] = {}
    unreadable: list[str] = []
    combos = _LayoutCombos(layout)
    terminals = 0
    for terminal in _terminals(form.get("/Fields")):
        terminals += 1
        if terminal.name in answers:
            continue
        try:
            value = _value(terminal, combos)
        except FieldValueTypeError:
            unreadable.append(terminal.name)
            continue
        if value is not None:
            answers[terminal.name] = RawAnswer(value, "control")
    notes = []
    if unreadable:
        shown = ", ".join(f"« {name} »" for name in unreadable[:5])
        more = f" et {len(unreadable) - 5} autres" if len(unreadable) > 5 else ""
        notes.append(
            f"{count(len(unreadable), 'champ', 'champs')} à la valeur illisible, ignorée : "
            f"{shown}{more}."
        )
    return answers, terminals, notes


class _LayoutCombos:
    """Shown text → item value of the layout's choices and ratings, built on first use.

    What a combo box shows maps back to its item's value, and a radio group
    whose ``/Opt`` a viewer dropped still has the layout's export values.
    """

    def __init__(self, layout: FormLayout | None) -> None:
        self._layout = layout
        self._by_field: dict[str, tuple[tuple[str, str], ...]] | None = None

    def _options(self, field_id: str) -> tuple[tuple[str, str], ...]:
        """(value, text shown) of each option of the layout's field ``field_id``."""
        if self._layout is None:
            return ()
        if self._by_field is None:
            self._by_field = {
                item.id: combo_options(item)
                for item in self._layout.fields
                if item.type in ("rating", "choice")
            }
        return self._by_field.get(field_id, ())

    def export(self, field_id: str, shown: str) -> str | None:
        return next((value for value, text in self._options(field_id) if text == shown), None)

    def exports(self, field_id: str) -> list[str]:
        """The export values of a choice or rating's options, in the order of its widgets."""
        return [value for value, _ in self._options(field_id)]


def _value(terminal: _Terminal, combos: _LayoutCombos) -> str | bool | None:
    """The answer a terminal field holds, ``None`` when empty."""
    raw = terminal.node["/V"] if "/V" in terminal.keys else None
    if terminal.kind == "Btn":
        if terminal.flags & _FF_PUSHBUTTON:
            return None
        if terminal.flags & _FF_RADIO:
            return _radio(terminal, raw, combos)
        states = [_state(raw)] if raw is not None else []
        states += [_state(w["/AS"]) for w in terminal.widgets if "/AS" in w]
        on = [state for state in states if state not in (None, "", _OFF)]
        return bool(on)  # a box is always reported, ticked or not, as the Word reader does
    if terminal.kind == "Tx":
        return _nonempty(_field_text(raw))
    if terminal.kind == "Ch":
        shown = list(raw) if isinstance(raw, Array) else [raw]
        chosen = [_choice(terminal, _field_text(item), combos) for item in shown]
        return _nonempty("\n".join(text for text in chosen if text))
    return None  # signature fields and unknown types hold no answer


def _radio(terminal: _Terminal, raw: object, combos: _LayoutCombos) -> str | None:
    """The export value of the option ticked in a radio group, ``None`` when none is.

    The widget shown ticked wins: its position in ``/Kids`` is its option's
    in ``/Opt`` (some viewers tick a box and leave ``/V`` as it was). Else
    ``/V`` names the state, which ``contract.radio_value`` maps to its value
    (a position for our forms and pdftk; pypdf stores "/1" as a string) —
    unless it is a string holding one of the values itself: pypdf, given a
    value that is no state, stores it as it is and ticks no box.
    """
    exports = _exports(terminal) or combos.exports(terminal.name)
    stored = _state(raw)
    if isinstance(raw, String) and stored is not None and not stored.startswith("/"):
        given = stored if stored in exports else combos.export(terminal.name, stored)
    else:
        given = None
    if stored is not None:
        stored = stored.removeprefix("/")
    ticked: list[tuple[int, str]] = []
    for index, widget in enumerate(terminal.widgets):
        state = _state(widget["/AS"]) if "/AS" in widget else None
        if state and state != _OFF:
            ticked.append((index, state))
    if ticked and len(terminal.widgets) == len(exports):
        # Several boxes ticked (widgets sharing a state tick in unison): /V says which.
        index = next((i for i, state in ticked if state == stored), ticked[0][0])
        return exports[index]
    if given is not None and not ticked:
        return given
    for state in (stored, *(state for _, state in ticked)):
        if state and state != _OFF:
            return radio_value(state, exports)
    return None


def _exports(terminal: _Terminal) -> list[str]:
    """The export values of a radio group's ``/Opt``, in the order of its widgets."""
    options = terminal.node["/Opt"] if "/Opt" in terminal.keys else None
    if not isinstance(options, Array):
        return []
    exports = []
    for index, item in enumerate(options):
        if index >= _MAX_OPTIONS:
            break
        text = _text(item[0] if isinstance(item, Array) and len(item) == 2 else item)
        if text is None:
            raise FieldValueTypeError
        exports.append(text)
    return exports


def _state(value: object) -> str | None:
    """A check box state: a name, or a string some libraries write instead."""
    if value is None:
        return None
    if isinstance(value, (Name, String)):
        text = _text(value)
        return text.strip() if text is not None else None
    raise FieldValueTypeError


def _field_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Stream):  # rich text value (ISO 32000-1, 12.7.3.4)
        return _stream_text(value)
    text = _text(value)
    if text is None:
        raise FieldValueTypeError
    return text


def _stream_text(stream: Stream) -> str:
    data = bounded_bytes(stream, MAX_TEXT_CHARS * 2)
    if data is None:
        raise FieldValueTypeError
    data = data[: MAX_TEXT_CHARS * 2]
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def _nonempty(text: str | None) -> str | None:
    if text is None:
        return None
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)  # Acrobat separates lines with \r
    return text if text.strip() else None


def _choice(terminal: _Terminal, shown: str | None, combos: _LayoutCombos) -> str | None:
    """The item's value for a combo's /V: some viewers store the text shown instead."""
    if shown is None:
        return None
    options = terminal.node["/Opt"] if "/Opt" in terminal.keys else None
    if isinstance(options, Array):
        for index, pair in enumerate(options):
            if index >= _MAX_OPTIONS:
                break
            if isinstance(pair, Array) and len(pair) == 2:
                export, display = _text(pair[0]), _text(pair[1])
                if export is not None and shown in (export, display):
                    return export
    return combos.export(terminal.name, shown) or shown


# --------------------------------------------------------------------------- paper forms


@dataclass(frozen=True)
class _Paper:
    reference: str
    pages: tuple[int, ...]
    page_count: int | None
    pages_read: int  # pages of the file where a code was read

    def note(self) -> str:
        if self.page_count is None:
            return (
                "Formulaire papier scanné (imprimé depuis Word) : référence lue sur "
                f"{count(self.pages_read, 'page', 'pages')} ; saisissez les réponses."
            )
        listed = ", ".join(str(page) for page in self.pages)
        word, read = ("page", "reconnue") if len(self.pages) == 1 else ("pages", "reconnues")
        return (
            f"Formulaire papier scanné : {word} {listed} sur {self.page_count} {read} ; "
            "saisissez les réponses."
        )


def _paper(data: bytes, name: str, contents: _Contents) -> _Paper:
    """The one form a paper scan holds, from the QR codes of its pages."""
    pages = _scanned(data, name)
    result = group_forms(pages)
    if not result.forms:
        if result.unread:
            raise _too_heavy(name, len(result.unread), result.page_total)
        raise _not_a_form(name, contents.field_count > 0)
    if len(result.forms) > 1:
        raise _several_forms(name, sorted(form.reference for form in result.forms))
    (form,) = result.forms
    return _Paper(
        reference=form.reference,
        pages=tuple(form.file_pages) if form.page_count is not None else (),
        page_count=form.page_count,
        pages_read=sum(1 for page in pages if page.reference is not None),
    )


@lru_cache(maxsize=1)
def _scanned(data: bytes, name: str) -> tuple[ScanPage, ...]:
    """Each page's code, the pages rendered once and their pixels dropped as they come.

    Cached for the last file: the inbox identifies a scan, then extracts it,
    and rendering is by far the slowest step of either.
    """
    return tuple(page.without_image() for page in iter_pages(data, name, "pdf", dpi=SCAN_DPI))
