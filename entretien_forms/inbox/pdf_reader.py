"""Read a returned PDF: the form fields a viewer saved, or the QR codes of a paper form.

A fillable form comes back with its AcroForm: every answer is the value of
the field named after its id, whatever viewer or library saved it. Viewers
disagree on details (what a ticked box's state is called, whether a combo
box keeps the item's value or the text shown, ``\\r`` or ``\\n`` between
the lines of a text), so values are read leniently.

Reading the fields of the annual form with pypdf takes 30 to 40 ms: its
object parser reads strings byte by byte, and a form has hundreds of them
(tooltips, item lists), and opening the file alone takes over a millisecond.
Most returned forms were saved by a library or a viewer that writes a plain
cross-reference table and plain objects, so ``_FastSyntax`` reads those with
a few linear regular expressions (possessive quantifiers: no backtracking)
in about 3 ms, and gives up on anything else (object streams, encryption, a
comment or a stream where a value was expected, an offset that does not
point at its object), which pypdf then reads. Both hand the field walk the
same plain values, so what is read does not depend on the path taken (the
tests compare them).

A form printed and scanned, or flattened (a print batch, a "print to PDF"),
has no fields left: it is identified by the QR code printed on each page
(``<reference> p<n>/<m>``), and HR types the answers.

Anything that goes wrong while reading becomes a ``RejectedFile`` with a
French reason and advice: the inbox must never stop on a hostile or broken
file, and the person who dropped it must learn what to do.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple, Protocol

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import zxingcpp
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
    create_string_object,
)

from entretien_forms.errors import RejectedFile
from entretien_forms.forms.model import Field, FormLayout
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, RawAnswer
from entretien_forms.render._pdf_fields import HIDDEN_FIELD
from entretien_forms.render._pdf_layout import rating_options
from entretien_forms.text import count

__all__ = ["extract_pdf", "identify_pdf"]

# /Info keys written by render/pdf._info_dict, as ClaimedIdentity attributes.
_INFO_KEYS = {
    "EntretienReference": "reference",
    "EntretienFormId": "form_id",
    "EntretienFormVersion": "form_version",
    "EntretienKind": "kind",
    "EntretienCampaign": "campaign",
    "EntretienMatricule": "matricule",
    "EntretienSignature": "signature",
}

# Limits on the work one file may cause. A form has a handful of pages and a
# few hundred fields; a file far beyond is not a form, or is built to hurt.
MAX_PAGES = 40  # also the most pages rendered when looking for QR codes
MAX_FIELD_NODES = 20_000
MAX_FIELD_DEPTH = 32
MAX_TEXT_CHARS = 100_000  # a rich-text /V stream longer than this is cut
_MAX_REFERENCE_HOPS = 8  # "1 0 R" pointing at "2 0 R" pointing at...
_MAX_XREF_SECTIONS = 64  # incremental updates followed through /Prev
# The PDF header may follow some junk, and %%EOF may be followed by some, within
# 1024 bytes for Acrobat; a little more is allowed here.
_HEADER_WINDOW = 1024
_TRAILER_WINDOW = 2048

# Rendering for QR codes: the code is 2 cm wide, about 25 modules: 150 dpi gives
# 5 pixels a module; a page where nothing is found is tried again finer, for a
# faint or skewed scan. Pixel caps keep a hostile page size from eating memory.
SCAN_DPI = (150.0, 300.0)
_MAX_SIDE_PX = 5000
_MAX_PIXELS = 16_000_000
_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# References are "<prefix>-<campaign code>-<number>" (identity.format_reference);
# a QR code of anything else (a supplier's code on a scanned page) is ignored.
_REFERENCE = r"[^\x00-\x1f\x7f]{1,60}?-[A-Z0-9]{1,16}-\d{5,9}"
_PAGE_PAYLOAD = re.compile(
    rf"(?P<reference>{_REFERENCE}) p(?P<page>\d{{1,4}})/(?P<pages>\d{{1,4}})"
)
_BARE_PAYLOAD = re.compile(_REFERENCE)  # the Word form's code: the reference alone
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
    )


def _truncated(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est incomplet : la fin du fichier PDF manque (copie ou enregistrement "
        "interrompu).",
        "Enregistrez ou copiez de nouveau le fichier, attendez la fin de la copie, puis "
        "redéposez-le.",
    )


def _corrupt(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est un fichier PDF endommagé : il ne peut pas être lu.",
        "Ouvrez-le dans votre lecteur PDF, enregistrez-le de nouveau, puis redéposez-le.",
    )


def _password(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est protégé par un mot de passe : il ne peut pas être lu.",
        "Ouvrez-le avec son mot de passe, enregistrez une copie sans mot de passe, puis déposez "
        "cette copie.",
    )


def _encrypted(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » est chiffré d'une façon qui ne peut pas être lue ici.",
        "Ouvrez-le dans votre lecteur PDF, enregistrez une copie sans protection (ni mot de "
        "passe ni chiffrement), puis déposez cette copie.",
    )


def _too_many_pages(name: str, pages: int) -> RejectedFile:
    return RejectedFile(
        f"« {name} » compte {pages} pages : un formulaire d'entretien n'en compte que "
        f"quelques-unes, et au plus {MAX_PAGES} pages sont lues par fichier.",
        "Déposez chaque formulaire dans un fichier à part : scannez les formulaires papier "
        "salarié par salarié.",
    )


def _broken_form(name: str) -> RejectedFile:
    return RejectedFile(
        f"« {name} » contient un formulaire endommagé : ses champs ne peuvent pas être lus.",
        "Ouvrez le formulaire dans votre lecteur PDF, vérifiez les réponses, enregistrez-le de "
        "nouveau, puis redéposez-le.",
    )


def _several_forms(name: str, references: list[str]) -> RejectedFile:
    return RejectedFile(
        f"« {name} » contient les formulaires de plusieurs salariés (références "
        f"{', '.join(references)}).",
        "Scannez le formulaire de chaque salarié dans un fichier à part, puis déposez chaque "
        "fichier.",
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
        "Déposez le formulaire PDF envoyé par les RH, rempli tel quel. Pour un formulaire "
        "papier, imprimez-le depuis le PDF d'origine sans le redimensionner, laissez le code "
        "QR en haut de chaque page visible et propre, et scannez-le à 200 ppp (dpi) au moins.",
    )


class _Malformed(Exception):
    """The field tree is not a tree (loop, shared node, too deep, not a list)."""


class _Unsupported(Exception):
    """The fast reader does not handle this file: pypdf reads it instead."""


class _Unreadable(Exception):
    """A field's value has a type its field cannot hold."""


# --------------------------------------------------------------------------- public API


def identify_pdf(data: bytes, name: str) -> ClaimedIdentity:
    """Who the PDF says it is: /Info and the hidden field; the QR codes only for paper.

    The pages are rendered only when the file carries no identity at all (a
    scan, a flattened form), since rendering is a hundred times slower.
    """
    quick = _info_identity(data)
    if quick is not None:
        return quick
    contents = _read(data, name, None)
    identity = contents.identity()
    if identity.reference is not None:
        return identity
    return ClaimedIdentity(reference=_paper(data, name, contents).reference)


def _info_identity(data: bytes) -> ClaimedIdentity | None:
    """The identity in /Info alone, read without walking the fields: the common case.

    Reading the fields costs most of a read and ``extract_pdf`` does it anyway;
    anything unusual (no /Info reference, a file the fast reader declines)
    returns None and takes the full path, which decides and explains.
    """
    if b"%PDF-" not in data[:_HEADER_WINDOW] or b"%%EOF" not in data[-_TRAILER_WINDOW:]:
        return None
    try:
        syntax = _FastSyntax(data)
        info = syntax.resolve(syntax.trailer.get(b"/Info"))
        if not isinstance(info, Mapping):
            return None
        values: dict[str, str | None] = {}
        for key, attribute in _INFO_KEYS.items():
            value = _plain_text(syntax.resolve(info.get(b"/" + key.encode())))
            values[attribute] = value.strip() if value and value.strip() else None
    except Exception:  # the fast reader declines: the full path decides
        return None
    if values["reference"] is None:
        return None
    return ClaimedIdentity(**values)


def extract_pdf(data: bytes, name: str, layout: FormLayout | None) -> Extraction:
    """Every answer of a fillable PDF, or the identification of a paper form.

    ``layout`` (when the form is known) maps a combo box's shown text back to
    its item's value when the file lost the item list.
    """
    contents = _read(data, name, layout)
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
        values = {attribute: self.info.get(key) for key, attribute in _INFO_KEYS.items()}
        if values["reference"] is None:
            values["reference"] = self.hidden_reference()
        return ClaimedIdentity(**values)

    def producer(self) -> str | None:
        """What saved the file last, as it says: "Producer (Creator)" when they differ."""
        producer, creator = self.info.get("Producer"), self.info.get("Creator")
        if producer and creator and creator != producer:
            return f"{producer} ({creator})"
        return producer or creator


def _read(data: bytes, name: str, layout: FormLayout | None) -> _Contents:
    """Read with the fast reader, or with pypdf when the fast one declines the file."""
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise _not_a_pdf(name)
    if b"%%EOF" not in data[-_TRAILER_WINDOW:]:
        raise _truncated(name)
    try:
        return _contents(_FastSyntax(data), layout)
    except Exception:  # anything unexpected in the fast path: pypdf decides
        pass
    syntax = _open_with_pypdf(data, name)
    try:
        return _contents(syntax, layout)
    except _Malformed as exc:
        raise _broken_form(name) from exc
    except DependencyError as exc:  # AES needs a crypto library pypdf did not find
        raise _encrypted(name) from exc
    except Exception as exc:  # pypdf raises many kinds on a broken file
        raise _corrupt(name) from exc


def _open_with_pypdf(data: bytes, name: str) -> _PypdfSyntax:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except DependencyError as exc:  # AES needs a crypto library pypdf did not find
        raise _encrypted(name) from exc
    except Exception as exc:
        raise _corrupt(name) from exc
    if encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # AES without a crypto library, a broken /Encrypt
            raise _encrypted(name) from exc
        if opened == PasswordType.NOT_DECRYPTED:
            raise _password(name)
    return _PypdfSyntax(reader)


def _contents(syntax: _Syntax, layout: FormLayout | None) -> _Contents:
    root = syntax.resolve(syntax.trailer.get(b"/Root"))
    if not isinstance(root, Mapping):
        raise _Unsupported("no document catalog")
    info = syntax.resolve(syntax.trailer.get(b"/Info"))
    texts = {}
    if isinstance(info, Mapping):
        for key in (*_INFO_KEYS, "Producer", "Creator"):
            value = _plain_text(syntax.resolve(info.get(b"/" + key.encode())))
            if value is not None and value.strip():
                texts[key] = value.strip()
    answers, terminals, notes = _read_fields(syntax, root, layout)
    pages = syntax.resolve(root.get(b"/Pages"))
    total = syntax.resolve(pages.get(b"/Count")) if isinstance(pages, Mapping) else None
    declared = total if isinstance(total, int) and not isinstance(total, bool) else 0
    return _Contents(texts, answers, terminals, declared, notes)


# --------------------------------------------------------------------------- plain values


class _Name(str):
    """A PDF name, without its slash."""

    __slots__ = ()


class _Ref(NamedTuple):
    """An indirect reference (the fast reader leaves generations to the xref table)."""

    number: int
    generation: int = 0


class _Stream:
    """A stream object's decoded data (only pypdf decodes them)."""

    def __init__(self, read: Callable[[], bytes]) -> None:
        self._read = read

    def text(self) -> str:
        data = self._read()[: MAX_TEXT_CHARS * 2]
        if data.startswith((b"\xfe\xff", b"\xff\xfe")):
            return data.decode("utf-16", errors="replace")
        return data.decode("utf-8", errors="replace")


class _Syntax(Protocol):
    """A parsed PDF handing out plain values: ``_Name``, ``str``, numbers, lists, mappings."""

    @property
    def trailer(self) -> Mapping[bytes, object]: ...

    def load(self, reference: _Ref) -> object: ...

    def resolve(self, value: object) -> object: ...


def _resolve(syntax: _Syntax, value: object) -> object:
    hops = 0
    while isinstance(value, _Ref):
        hops += 1
        if hops > _MAX_REFERENCE_HOPS:
            return None
        value = syntax.load(value)
    return value


def _plain_text(value: object) -> str | None:
    """A string, name or number as text; ``None`` for anything else."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


# --------------------------------------------------------------------------- pypdf syntax


class _PypdfSyntax:
    """pypdf's objects as plain values: slow, but reads any PDF pypdf can repair."""

    def __init__(self, reader: PdfReader) -> None:
        self._reader = reader
        self.trailer = _PypdfDict(reader.trailer)

    def load(self, reference: _Ref) -> object:
        number, generation = reference
        return _from_pypdf(
            self._reader.get_object(IndirectObject(number, generation, self._reader))
        )

    def resolve(self, value: object) -> object:
        return _resolve(self, value)


class _PypdfDict(Mapping[bytes, object]):
    """A pypdf dictionary under the fast reader's keys: names as bytes, with the slash."""

    def __init__(self, dictionary: DictionaryObject) -> None:
        self._dictionary = dictionary

    def __getitem__(self, key: bytes) -> object:
        return _from_pypdf(self._dictionary.raw_get(key.decode("utf-8", errors="replace")))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, bytes) and key.decode("utf-8", errors="replace") in self._dictionary

    def __iter__(self) -> Iterator[bytes]:
        return (str(key).encode("utf-8") for key in self._dictionary)

    def __len__(self) -> int:
        return len(self._dictionary)


def _from_pypdf(value: object) -> object:
    if isinstance(value, IndirectObject):
        return _Ref(value.idnum, value.generation)
    if isinstance(value, NameObject):
        return _Name(value[1:])
    if isinstance(value, TextStringObject):
        return str(value)
    if isinstance(value, ByteStringObject):  # a string pypdf could not decode
        return bytes(value).decode("latin-1")
    if isinstance(value, BooleanObject):
        return bool(value)
    if isinstance(value, NumberObject):
        return int(value)
    if isinstance(value, FloatObject):
        return float(value)
    if isinstance(value, ArrayObject):
        return [_from_pypdf(item) for item in value]
    if isinstance(value, StreamObject):
        return _Stream(value.get_data)
    if isinstance(value, DictionaryObject):
        return _PypdfDict(value)
    return None  # null, or an object pypdf could not find


# --------------------------------------------------------------------------- fast syntax

# The PDF syntax (ISO 32000-1, 7.2 and 7.3) as bytes patterns with possessive
# quantifiers: each one matches in a single pass, whatever the input.
_WS = rb"[\x00\t\n\x0c\r ]"
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_LITERAL = (  # one level of (nesting) inside; loops unrolled, as regex engines like them
    rb"\([^()\\]*+(?:(?:\\.|\([^()\\]*+(?:\\.[^()\\]*+)*+\))[^()\\]*+)*+\)"
)
_HEX = rb"<[^<>]*+>"
_NAME_TOKEN = rb"/" + _REGULAR + rb"*+"


def _nested(depth: int) -> bytes:
    """The inside of a dictionary or array, nested ``depth`` levels deep at most."""
    inner = rb"[^()<>\[\]%]*+(?:(?:" + _LITERAL + rb"|" + _HEX + rb")[^()<>\[\]%]*+)*+"
    for _ in range(depth):
        inner = (
            rb"[^()<>\[\]%]*+(?:(?:" + _LITERAL + rb"|(?:<<|\[)" + inner + rb"(?:>>|\])|"
            + _HEX + rb")[^()<>\[\]%]*+)*+"
        )  # fmt: skip
    return inner


# A value: a run of regular characters (number, keyword) with "0 R" after it for
# a reference, a name, a string, or a whole dictionary or array.
_VALUE = (
    rb"(?:" + _REGULAR + rb"++(?:" + _WS + rb"++\d++" + _WS + rb"++R(?!" + _REGULAR + rb"))?+|"
    + _NAME_TOKEN + rb"|" + _LITERAL + rb"|(?:<<|\[)" + _nested(4) + rb"(?:>>|\])|" + _HEX + rb")"
)  # fmt: skip
# One pass over a dictionary's or an array's inside: split() hands the pairs (or
# items) and what lies between them, which must be white space.
_PAIRS = re.compile(_WS + rb"*+(" + _NAME_TOKEN + rb")" + _WS + rb"*+(" + _VALUE + rb")", re.S)
_ITEMS = re.compile(_WS + rb"*+(" + _VALUE + rb")", re.S)
_WHITE_SPACE = b"\x00\t\n\x0c\r "
_REFS = re.compile(rb"(?:" + _WS + rb"*+\d++" + _WS + rb"++\d++" + _WS + rb"++R)*+" + _WS + rb"*+")
_REF_NUMBERS = re.compile(rb"(\d++)" + _WS + rb"++(\d++)" + _WS + rb"++R")
_HEADER = re.compile(_WS + rb"*+(\d++)" + _WS + rb"++\d++" + _WS + rb"++obj" + _WS + rb"*+")
_REF = re.compile(rb"(\d++)" + _WS + rb"++(\d++)" + _WS + rb"++R")
_STARTXREF = re.compile(rb"startxref" + _WS + rb"*+(\d++)" + _WS + rb"*+%%EOF")
_XREF = re.compile(_WS + rb"*+xref" + _WS + rb"*+")
_SUBSECTION = re.compile(rb"(\d++) (\d++)[ ]*+(?:\r\n|\r|\n)")
_ENTRY = re.compile(rb"(\d{10}) \d{5} ([fn])(?: \r| \n|\r\n)")
_TRAILER = re.compile(_WS + rb"*+trailer" + _WS + rb"*+(<<" + _nested(4) + rb">>)", re.S)
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n?|\n)|(.))|\r\n?", re.S)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_NOT_HEX = re.compile(rb"[^0-9A-Fa-f]")
_PLAIN_ASCII = re.compile(rb"[\t\n\r\x20-\x7e]*+")
_KEYWORDS: dict[bytes, object] = {b"true": True, b"false": False, b"null": None}
_MISSING = object()


class _FastSyntax:
    """Plain cross-reference tables and plain objects, read with regular expressions.

    Anything else (a cross-reference stream, an object stream, encryption, a
    stream where a value was expected, an offset that does not point at its
    object) raises ``_Unsupported``, and pypdf reads the file.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offsets: dict[int, int | None] = {}
        self._cache: dict[int, object] = {}
        self._scalars: dict[bytes, object] = {}
        self.trailer = self._read_xref()
        if b"/Encrypt" in self.trailer:
            raise _Unsupported("encrypted")

    def _read_xref(self) -> Mapping[bytes, object]:
        data = self._data
        start = data.rfind(b"startxref", max(0, len(data) - _TRAILER_WINDOW))
        found = _STARTXREF.match(data, start) if start >= 0 else None
        if found is None:
            raise _Unsupported("no startxref")
        offset: int | None = int(found[1])
        newest: Mapping[bytes, object] | None = None
        visited: set[int] = set()
        while offset is not None:
            if offset in visited or len(visited) >= _MAX_XREF_SECTIONS:
                raise _Unsupported("looping /Prev")
            visited.add(offset)
            trailer = self._xref_section(offset)
            if b"/XRefStm" in trailer:
                raise _Unsupported("hybrid file")
            if newest is None:
                newest = trailer
            previous = trailer.get(b"/Prev")
            offset = previous if isinstance(previous, int) else None
        assert newest is not None
        return newest

    def _xref_section(self, offset: int) -> Mapping[bytes, object]:
        """Record one table's offsets (newer tables come first: older entries do not win)."""
        data = self._data
        head = _XREF.match(data, offset)
        if head is None:
            raise _Unsupported("not a cross-reference table")
        position = head.end()
        while (section := _SUBSECTION.match(data, position)) is not None:
            first, size = int(section[1]), int(section[2])
            position = section.end()
            entries = _ENTRY.findall(data, position, position + 20 * size)
            if len(entries) != size:
                raise _Unsupported("irregular cross-reference entries")
            for number, (where, kind) in enumerate(entries, start=first):
                self._offsets.setdefault(number, int(where) if kind == b"n" else None)
            position += 20 * size
            while data[position : position + 1] in (b" ", b"\r", b"\n"):
                position += 1
        trailer = _TRAILER.match(data, position)
        if trailer is None:
            raise _Unsupported("no trailer")
        value = self.convert(trailer[1])
        if not isinstance(value, Mapping):
            raise _Unsupported("trailer is not a dictionary")
        return value

    def load(self, reference: _Ref) -> object:
        number = reference.number
        if number in self._cache:
            return self._cache[number]
        offset = self._offsets.get(number)
        value: object = None
        if offset is not None:
            data = self._data
            header = _HEADER.match(data, offset)
            if header is None or header[1] != b"%d" % number:
                raise _Unsupported(f"object {number} is not where the table says")
            start = header.end()
            end = data.find(b"endobj", start)
            if end < 0:
                raise _Unsupported(f"object {number} has no end")
            if data.startswith(b"<<", start):  # most objects: read in place, without a copy
                close = data.rfind(b">>", start, end)
                if close < 0 or data[close + 2 : end].strip(_WHITE_SPACE):
                    raise _Unsupported(f"object {number} is a stream")
                value = _RawDict(self, data, start + 2, close)
            else:
                value = self.convert(data[start:end].strip(_WHITE_SPACE))
        self._cache[number] = value
        return value

    def resolve(self, value: object) -> object:
        if not isinstance(value, _Ref):
            return value
        return _resolve(self, value)

    def convert(self, raw: bytes) -> object:
        """One value's bytes as a plain value; a stream, or any junk, is unsupported."""
        # Names, numbers and flags repeat from field to field: each is converted once.
        value = self._scalars.get(raw, _MISSING)
        if value is not _MISSING:
            return value
        if raw.startswith(b"<<"):
            if not raw.endswith(b">>"):
                raise _Unsupported("not a dictionary alone (a stream?)")
            return _RawDict(self, raw, 2, len(raw) - 2)
        if raw.startswith(b"["):
            if not raw.endswith(b"]"):
                raise _Unsupported("unterminated array")
            if _REFS.fullmatch(raw, 1, len(raw) - 1):  # /Kids, /Fields: references only
                return [_Ref(int(n), int(g)) for n, g in _REF_NUMBERS.findall(raw, 1)]
            parts = _ITEMS.split(raw[1:-1])  # between, item, between, item...
            if b"".join(parts[::2]).strip(_WHITE_SPACE):
                raise _Unsupported("junk in an array")
            return [self.convert(item) for item in parts[1::2]]
        value = self._scalars[raw] = _scalar(raw)
        return value


def _scalar(raw: bytes) -> object:
    """A value that is neither a dictionary nor an array."""
    first = raw[:1]
    if first == b"/":
        return _Name(_name_text(raw))
    if first == b"(":
        if not raw.endswith(b")"):
            raise _Unsupported("unterminated string")
        return _string_text(_unescape(raw[1:-1]))
    if first == b"<":
        if not raw.endswith(b">"):
            raise _Unsupported("unterminated hex string")
        digits = _NOT_HEX.sub(b"", raw[1:-1])
        return _string_text(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
    if raw in _KEYWORDS:
        return _KEYWORDS[raw]
    if raw.endswith(b"R"):
        reference = _REF.fullmatch(raw)
        if reference is None:
            raise _Unsupported("not a value")
        return _Ref(int(reference[1]), int(reference[2]))
    if b"." in raw:
        return float(raw)
    return int(raw)  # ValueError for junk: the caller falls back to pypdf


class _RawDict(Mapping[bytes, object]):
    """A dictionary whose values are converted when asked for: most never are."""

    def __init__(self, syntax: _FastSyntax, data: bytes, start: int, end: int) -> None:
        self._syntax = syntax
        body = data[start:end]
        parts = _PAIRS.split(body)  # between, key, value, between, key...
        if b"".join(parts[::3]).strip(_WHITE_SPACE):
            raise _Unsupported("junk in a dictionary")
        keys = parts[1::3]
        if b"#" in body and b"#" in b"".join(keys):  # /A#42 is /AB
            keys = [_escaped_key(key) for key in keys]
        self._raw = dict(
            zip(keys, parts[2::3], strict=True)
        )  # the last duplicate wins, as in pypdf

    def get(self, key: bytes, default: object = None) -> object:
        raw = self._raw.get(key)
        return default if raw is None else self._syntax.convert(raw)

    def __getitem__(self, key: bytes) -> object:
        return self._syntax.convert(self._raw[key])

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _escaped_key(key: bytes) -> bytes:
    return b"/" + _name_text(key).encode("utf-8") if b"#" in key else key


def _name_text(raw: bytes) -> str:
    name = raw[1:]
    if b"#" in name:
        name = _NAME_ESCAPE.sub(lambda m: bytes.fromhex(m[1].decode()), name)
    return name.decode("utf-8", errors="replace")


def _unescape(raw: bytes) -> bytes:
    """A literal string's bytes (ISO 32000-1, 7.3.4.2): escapes, line ends, continuations."""
    if b"\\" not in raw and b"\r" not in raw:
        return raw

    def replace(match: re.Match[bytes]) -> bytes:
        octal, continuation, other = match.groups()
        if octal is not None:
            return bytes((int(octal, 8) & 0xFF,))
        if continuation is not None:
            return b""
        if other is not None:
            return _ESCAPED.get(other, other)
        return b"\n"  # an unescaped line end in a string reads as \n

    return _ESCAPE.sub(replace, raw)


def _string_text(data: bytes) -> str:
    """A string's text as pypdf decodes it: UTF-16 or UTF-8 with a BOM, else PDFDocEncoding."""
    if _PLAIN_ASCII.fullmatch(data):  # the same in PDFDocEncoding, and much faster
        return data.decode("ascii")
    decoded = create_string_object(data)
    if isinstance(decoded, TextStringObject):
        return str(decoded)
    return data.decode("latin-1")


# --------------------------------------------------------------------------- form fields


class _Terminal(NamedTuple):
    """One terminal field: full name, inherited type and flags, its dict and widgets."""

    name: str
    kind: str | None
    flags: int
    node: Mapping[bytes, object]
    widgets: tuple[Mapping[bytes, object], ...]


class _Walk:
    """Resolves the nodes of the field tree, refusing any node reached twice."""

    def __init__(self, syntax: _Syntax) -> None:
        self.syntax = syntax
        self._seen: set[object] = set()
        self._direct: list[object] = []  # kept alive, so that their ids are not reused

    def node(self, item: object) -> Mapping[bytes, object] | None:
        if isinstance(item, _Ref):
            key: object = item
        elif isinstance(item, Mapping):  # a direct dictionary: only one path to it
            key = id(item)
            self._direct.append(item)
        else:
            return None
        if key in self._seen:
            raise _Malformed("node reached twice")
        self._seen.add(key)
        resolved = self.syntax.resolve(item)
        return resolved if isinstance(resolved, Mapping) else None


def _terminals(syntax: _Syntax, fields: object) -> Iterator[_Terminal]:
    """The terminal fields under ``/AcroForm /Fields``, walked without recursion."""
    if fields is None:
        return
    if not isinstance(fields, list):
        raise _Malformed("/Fields is not an array")
    walk = _Walk(syntax)
    stack: list[tuple[Mapping[bytes, object], str, str | None, int, int]] = []
    for item in reversed(fields):
        node = walk.node(item)
        if node is not None:
            stack.append((node, "", None, 0, 1))
    visited = 0
    resolve = syntax.resolve
    while stack:
        node, prefix, kind, flags, depth = stack.pop()
        visited += 1
        if visited > MAX_FIELD_NODES or depth > MAX_FIELD_DEPTH:
            raise _Malformed("field tree too large")
        get = node.get
        partial = _plain_text(resolve(get(b"/T")))
        name = (f"{prefix}.{partial}" if prefix else partial) if partial else prefix
        field_type = resolve(get(b"/FT"))
        if isinstance(field_type, _Name):
            kind = str(field_type)
        own_flags = resolve(get(b"/Ff"))
        if isinstance(own_flags, int) and not isinstance(own_flags, bool):
            flags = own_flags
        kids = resolve(get(b"/Kids"))
        field_kids: list[Mapping[bytes, object]] = []
        widgets: list[Mapping[bytes, object]] = []
        if kids is not None:
            if not isinstance(kids, list):
                raise _Malformed("/Kids is not an array")
            for item in kids:
                kid = walk.node(item)
                if kid is not None:
                    (field_kids if b"/T" in kid else widgets).append(kid)
        if field_kids:
            stack.extend((kid, name, kind, flags, depth + 1) for kid in reversed(field_kids))
        elif name:
            yield _Terminal(name, kind, flags, node, tuple(widgets) or (node,))


def _read_fields(
    syntax: _Syntax, root: Mapping[bytes, object], layout: FormLayout | None
) -> tuple[dict[str, RawAnswer], int, list[str]]:
    """Every non-empty terminal field value by full name, the field count, and notes."""
    form = syntax.resolve(root.get(b"/AcroForm"))
    if not isinstance(form, Mapping):
        return {}, 0, []
    answers: dict[str, RawAnswer] = {}
    unreadable: list[str] = []
    combos = _LayoutCombos(layout)
    terminals = 0
    for terminal in _terminals(syntax, syntax.resolve(form.get(b"/Fields"))):
        terminals += 1
        if terminal.name in answers:
            continue
        try:
            value = _value(syntax, terminal, combos)
        except _Unreadable:
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
    """Shown text → item value of the layout's combo boxes, built on first use."""

    def __init__(self, layout: FormLayout | None) -> None:
        self._layout = layout
        self._by_field: dict[str, dict[str, str]] | None = None

    def export(self, field_id: str, shown: str) -> str | None:
        if self._layout is None:
            return None
        if self._by_field is None:
            self._by_field = {
                item.id: {display: value for value, display in _options(item)}
                for item in self._layout.fields
                if item.type in ("rating", "choice")
            }
        return self._by_field.get(field_id, {}).get(shown)


def _options(item: Field) -> tuple[tuple[str, str], ...]:
    if item.type == "rating":
        return rating_options(item.scale, item.scale_labels)
    return tuple((option, option) for option in item.options)


def _value(syntax: _Syntax, terminal: _Terminal, combos: _LayoutCombos) -> str | bool | None:
    """The answer a terminal field holds, ``None`` when empty."""
    raw = syntax.resolve(terminal.node.get(b"/V"))
    if terminal.kind == "Btn":
        if terminal.flags & _FF_PUSHBUTTON:
            return None
        states = [_state(raw)] if raw is not None else []
        states += [_state(syntax.resolve(widget.get(b"/AS"))) for widget in terminal.widgets]
        on = [state for state in states if state not in (None, "", _OFF)]
        if terminal.flags & _FF_RADIO:
            return on[0] if on else None
        return bool(on)  # a box is always reported, ticked or not, as the Word reader does
    if terminal.kind == "Tx":
        return _nonempty(_field_text(syntax, raw))
    if terminal.kind == "Ch":
        shown = raw if isinstance(raw, list) else [raw]
        chosen = [_choice(syntax, terminal, _field_text(syntax, item), combos) for item in shown]
        return _nonempty("\n".join(text for text in chosen if text))
    return None  # signature fields and unknown types hold no answer


def _state(value: object) -> str | None:
    """A check box state: a name, or a string some libraries write instead."""
    if isinstance(value, str):  # _Name included
        return value.strip()
    if value is None:
        return None
    raise _Unreadable


def _field_text(syntax: _Syntax, value: object) -> str | None:
    value = syntax.resolve(value)
    if value is None:
        return None
    if isinstance(value, _Stream):  # rich text value (ISO 32000-1, 12.7.3.4)
        return value.text()
    text = _plain_text(value)
    if text is None:
        raise _Unreadable
    return text


def _nonempty(text: str | None) -> str | None:
    if text is None:
        return None
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)  # Acrobat separates lines with \r
    return text if text.strip() else None


def _choice(
    syntax: _Syntax, terminal: _Terminal, shown: str | None, combos: _LayoutCombos
) -> str | None:
    """The item's value for a combo's /V: some viewers store the text shown instead."""
    if shown is None:
        return None
    options = syntax.resolve(terminal.node.get(b"/Opt"))
    if isinstance(options, list):
        for option in options:
            pair = syntax.resolve(option)
            if isinstance(pair, list) and len(pair) == 2:
                export = _plain_text(syntax.resolve(pair[0]))
                display = _plain_text(syntax.resolve(pair[1]))
                if export is not None and shown in (export, display):
                    return export
    return combos.export(terminal.name, shown) or shown


# --------------------------------------------------------------------------- paper forms


@dataclass(frozen=True)
class _Code:
    """One of our QR codes found on a page of the file."""

    reference: str
    page: int | None  # the form's page it names; None for a Word form's code
    pages: int | None


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
    if contents.declared_pages > MAX_PAGES:  # refused before pdfium loads a hostile page tree
        raise _too_many_pages(name, contents.declared_pages)
    try:
        found = _page_codes(data)
    except _TooManyPages as exc:
        raise _too_many_pages(name, exc.pages) from exc
    except Exception as exc:  # pdfium could not open or render the file
        raise _corrupt(name) from exc
    codes = [code for page in found for code in page]
    references = sorted({code.reference for code in codes})
    if not references:
        raise _not_a_form(name, contents.field_count > 0)
    if len(references) > 1:
        raise _several_forms(name, references)
    numbered = [(code.page, code.pages) for code in codes if code.page and code.pages]
    return _Paper(
        reference=references[0],
        pages=tuple(sorted({page for page, _ in numbered})),
        page_count=max((pages for _, pages in numbered), default=None),
        pages_read=sum(1 for page in found if page),
    )


class _TooManyPages(Exception):
    def __init__(self, pages: int) -> None:
        super().__init__(pages)
        self.pages = pages


@lru_cache(maxsize=1)
def _page_codes(data: bytes) -> tuple[tuple[_Code, ...], ...]:
    """Our QR codes on each page of ``data``, rendered one page at a time.

    Cached for the last file: the inbox identifies a scan, then extracts it,
    and rendering is by far the slowest step of either.
    """
    document = pdfium.PdfDocument(data)
    try:
        pages = len(document)
        if pages > MAX_PAGES:
            raise _TooManyPages(pages)
        return tuple(_codes_on_page(document, index) for index in range(pages))
    finally:
        document.close()


def _codes_on_page(document: pdfium.PdfDocument, index: int) -> tuple[_Code, ...]:
    page = document[index]
    try:
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            return ()
        for dpi in SCAN_DPI:
            scale = min(
                dpi / 72,
                _MAX_SIDE_PX / max(width, height),
                (_MAX_PIXELS / (width * height)) ** 0.5,
            )
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                barcodes = zxingcpp.read_barcodes(bitmap.to_pil(), formats=_QR_FORMATS)
            finally:
                bitmap.close()
            codes = tuple(code for code in map(_parse, (b.text for b in barcodes)) if code)
            if codes:
                return codes
        return ()
    finally:
        page.close()


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
