"""Read a returned form saved as OpenDocument text (.odt): identity and answers.

A manager who opens our .docx in LibreOffice may save it in LibreOffice's own
format. What LibreOffice 7.4 keeps, checked on real round trips
(``tests/test_inbox_odt.py``):

- the custom properties, as ``meta:user-defined`` entries of ``meta.xml``
  (same names, ``entretien_*``): the identity survives whole;
- every control, in document order, none of them tagged: a text or long-text
  control becomes an input field (``text:text-input``, its text literal, line
  breaks typed in the field dialog kept as line feeds); a drop-down, a date
  and a check box become ``loext:content-control`` elements with their items,
  date format and state. LibreOffice 7.5 and later also write ``loext:tag``
  and ``loext:alias``: a tag is read as the field id when present;
- a long answer keeps its first paragraph in the field, the others after it
  in the same box, outside the field (as in a .docx LibreOffice re-saves).

So answers are read by tag when there is one, else by position against the
blank form's controls (``docx_controls``, or the company template's), only
when every count and type lines up, like ``docx_reader``. Values are read
with the Word reader's rules (placeholders, list items, typed ticks).

The file comes from outside: the package was checked by preflight (entries,
sizes, ratios); parts are read through ``docx_reader``'s bounded reader and
parsed with a parser that loads no DTD, resolves no entity and reaches no
network; an encrypted or macro-carrying document is refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.forms.model import FormLayout
from entretien_forms.inbox.docx_reader import (
    _ZIP_ERRORS,
    MAX_DOCUMENT_BYTES,
    MAX_SMALL_PART_BYTES,
    _blank_plan,
    _box,
    _encrypted,
    _field_items,
    _is_placeholder,
    _item_value,
    _Plan,
    _plan,
    _read,
    _short,
    _Slot,
    added_text_note,
    software,
)
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, Method, RawAnswer
from entretien_forms.text import count, fold

# --------------------------------------------------------------------------- names

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_LOEXT = "{urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0}"
_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"

_INPUT = f"{_TEXT}text-input"
_CONTROL = f"{_LOEXT}content-control"
_LIST_ITEM = f"{_LOEXT}list-item"
_P, _H, _LIST = f"{_TEXT}p", f"{_TEXT}h", f"{_TEXT}list"
_S, _TAB, _LINE_BREAK = f"{_TEXT}s", f"{_TEXT}tab", f"{_TEXT}line-break"
_CELL = f"{_TABLE}table-cell"
# Deleted text of tracked changes and comments: not what the document shows.
_NOT_SHOWN = frozenset(
    {
        f"{_TEXT}tracked-changes",
        f"{_OFFICE}annotation",
        f"{_TEXT}note-citation",
        f"{_TEXT}sequence-decls",
        _LIST_ITEM,
    }
)
_TRUE = "true"

_MIMETYPES = frozenset(
    {
        b"application/vnd.oasis.opendocument.text",
        b"application/vnd.oasis.opendocument.text-template",
    }
)
_CONTENT, _META_PART, _MANIFEST_PART = "content.xml", "meta.xml", "META-INF/manifest.xml"
# Where an OpenDocument file keeps macros (StarBasic, scripts).
_MACRO_FOLDERS = ("basic/", "scripts/")
_PROPERTIES = {
    "entretien_reference": "reference",
    "entretien_form_id": "form_id",
    "entretien_form_version": "form_version",
    "entretien_kind": "kind",
    "entretien_campaign": "campaign",
    "entretien_matricule": "matricule",
    "entretien_signature": "signature",
}
_LINE_ENDS = re.compile(r"\r\n?")
_BLANKS = re.compile(r"[ \t\r\n]+")

# --------------------------------------------------------------------------- rejections

_RESAVE = (
    "Ouvrez le formulaire dans LibreOffice, enregistrez-le au format Word (.docx) "
    "et déposez-le à nouveau."
)


def _damaged(name: str, part: str) -> RejectedFile:
    return RejectedFile(
        f"{name} est endommagé : impossible de lire {part} (document OpenDocument .odt).",
        _RESAVE,
        RejectionCode.DAMAGED,
    )


def _unsafe(name: str, why: str) -> RejectedFile:
    return RejectedFile(
        f"{name} n'a pas été ouvert par sécurité : {why}.",
        "Demandez au responsable de renvoyer le formulaire d'origine rempli, au format .docx.",
        RejectionCode.UNSAFE_CONTENT,
    )


# --------------------------------------------------------------------------- package


@dataclass(frozen=True)
class _Package:
    name: str
    archive: zipfile.ZipFile
    infos: dict[str, zipfile.ZipInfo]

    def xml(self, part: str, limit: int = MAX_SMALL_PART_BYTES) -> Any:
        info = self.infos.get(part)
        if info is None:
            return None
        return _parse(_read(self.archive, info, self.name, limit), self.name, part)


def _parse(raw: bytes, name: str, part: str) -> Any:
    """The root element of ``raw``; a DTD (entities, external files) is refused outright."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _unsafe(name, f"{part} contient une déclaration DOCTYPE (entités XML)")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(raw, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _damaged(name, part) from exc
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise _unsafe(name, f"{part} contient une déclaration DOCTYPE (entités XML)")
    return root


def _open(data: bytes, name: str) -> _Package:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise _damaged(name, "l'archive") from exc
    seen: set[str] = set()
    for entry in entries:
        key = entry.filename.replace("\\", "/").lstrip("/").lower()
        if key in seen:
            raise RejectedFile(
                f"{name} contient deux fois la partie {key} : impossible de savoir laquelle "
                "compte (fichier modifié hors de LibreOffice, ou piégé).",
                "Demandez au responsable de renvoyer le formulaire d'origine rempli, "
                "enregistré depuis Word ou LibreOffice.",
                RejectionCode.AMBIGUOUS,
            )
        seen.add(key)
        if key.startswith(_MACRO_FOLDERS) and not entry.is_dir():
            raise _unsafe(name, "il contient des macros")
        if entry.flag_bits & 0x1:
            raise _encrypted(name)
    package = _Package(name, archive, {info.filename: info for info in entries})
    mimetype = package.infos.get("mimetype")
    kind = _read(archive, mimetype, name, 200).strip() if mimetype is not None else b""
    if kind not in _MIMETYPES:
        raise RejectedFile(
            f"{name} n'est pas un document texte OpenDocument (.odt) lisible.",
            _RESAVE,
            RejectionCode.DAMAGED,
        )
    manifest = package.xml(_MANIFEST_PART)
    if (
        manifest is not None
        and next(manifest.iter(f"{_MANIFEST}encryption-data"), None) is not None
    ):
        raise _encrypted(name)  # LibreOffice's "save with password"
    if _CONTENT not in package.infos:
        raise _damaged(name, _CONTENT)
    return package


def _identity(package: _Package) -> tuple[ClaimedIdentity, str | None]:
    """The ``entretien_*`` user-defined properties, and the generator (the producer)."""
    meta = package.xml(_META_PART)
    if meta is None:
        return ClaimedIdentity(), None
    found: dict[str, str] = {}
    for prop in meta.iter(f"{_META}user-defined"):
        key = _PROPERTIES.get(prop.get(f"{_META}name") or "")
        value = "".join(prop.itertext()).strip()
        if key is not None and key not in found and value:
            found[key] = value
    generator = next(meta.iter(f"{_META}generator"), None)
    producer = "".join(generator.itertext()).strip() if generator is not None else ""
    return ClaimedIdentity(**found), producer or None


# --------------------------------------------------------------------------- text


def _text(node: Any, literal: bool = False) -> str:
    """What ``node`` shows. ``literal``: an input field keeps its line feeds as typed.

    Elsewhere ODF collapses white space; ``text:s``, ``text:tab`` and
    ``text:line-break`` say what is meant.
    """
    out: list[str] = []

    def add(text: str | None) -> None:
        if text:
            out.append(_LINE_ENDS.sub("\n", text) if literal else _BLANKS.sub(" ", text))

    def walk(element: Any) -> None:
        add(element.text)
        for child in element:
            tag = child.tag
            if tag == _S:
                spaces = child.get(f"{_TEXT}c") or "1"
                out.append(" " * (int(spaces) if spaces.isdecimal() and len(spaces) < 4 else 1))
            elif tag == _TAB:
                out.append("\t")
            elif tag == _LINE_BREAK:
                out.append("\n")
            elif tag in (_P, _H):
                if out:
                    out.append("\n")
                walk(child)
            elif tag not in _NOT_SHOWN:
                walk(child)
            add(child.tail)

    walk(node)
    return "".join(out)


# --------------------------------------------------------------------------- controls


@dataclass(slots=True)
class _Control:
    """One field of the document: an input field or a content control."""

    element: Any
    kind: str  # "input" (text or long text), or a ControlKind
    tag: str | None = None
    alias: str | None = None
    placeholder: bool = False
    checked: bool | None = None

    def items(self) -> list[tuple[str, str]]:
        return [
            (item.get(f"{_LOEXT}display-text") or "", item.get(f"{_LOEXT}value") or "")
            for item in self.element.iterchildren(_LIST_ITEM)
        ]


def _kind(control: Any) -> str:
    get = control.get
    if get(f"{_LOEXT}checkbox") == _TRUE:
        return "checkbox"
    if get(f"{_LOEXT}date") == _TRUE:
        return "date"
    if (
        get(f"{_LOEXT}dropdown") == _TRUE
        or get(f"{_LOEXT}combobox") == _TRUE
        or next(control.iterchildren(_LIST_ITEM), None) is not None
    ):
        return "dropDownList"
    if get(f"{_LOEXT}picture") == _TRUE:
        return "other"
    return "text" if get(f"{_LOEXT}plain-text") == _TRUE else "richText"


def _controls(body: Any) -> list[_Control]:
    """The fields in document order; a content control holding others is only a wrapper."""
    found: list[_Control] = []
    handed_down: dict[Any, str] = {}
    for element in body.iter(_INPUT, _CONTROL):
        if any(a.tag in _NOT_SHOWN for a in element.iterancestors()):
            continue  # deleted by a tracked change, or in a comment
        if element.tag == _INPUT:
            alias = element.get(f"{_TEXT}description") or None
            found.append(_Control(element, "input", alias=alias))
            continue
        tag = element.get(f"{_LOEXT}tag") or handed_down.get(element)
        inside = list(element.iter(_INPUT, _CONTROL))[1:]
        if inside:
            if tag is not None and len(inside) == 1:
                handed_down[inside[0]] = tag
            continue
        control = _Control(
            element,
            _kind(element),
            tag=tag,
            alias=element.get(f"{_LOEXT}alias") or None,
            placeholder=element.get(f"{_LOEXT}showing-place-holder") == _TRUE,
        )
        if control.kind == "checkbox":
            control.checked = element.get(f"{_LOEXT}checked") == _TRUE
        if control.kind != "other":
            found.append(control)
    return found


def _fits(control: _Control, slot: _Slot) -> bool:
    """Whether ``control`` can be the blank form's ``slot``: same type, same name if any."""
    if control.tag is not None and control.tag != slot.key:
        return False
    texts = ("text", "richText")
    if control.kind in ("input", *texts):
        if slot.kind not in texts:
            return False
    elif control.kind != slot.kind:
        return False
    alias = control.alias
    return alias is None or not slot.alias or fold(alias) == fold(slot.alias)


def _misfit(controls: list[_Control], slots: tuple[_Slot, ...]) -> str | None:
    """Why ``controls`` cannot be matched one for one to ``slots``, or None if they can."""
    if len(controls) != len(slots):
        return f"{len(controls)} champs trouvés, {len(slots)} attendus"
    for n, (control, slot) in enumerate(zip(controls, slots, strict=True), start=1):
        if not _fits(control, slot):
            return f"le champ n° {n} devrait être « {slot.field.label} »"
    return None


# --------------------------------------------------------------------------- public


def identify_odt(data: bytes, name: str) -> ClaimedIdentity:
    """Who the form says it is, from its user-defined properties: no answer is read."""
    return _identity(_open(data, name))[0]


def extract_odt(
    data: bytes, name: str, layout: FormLayout | None, *, blank: bytes | None = None
) -> Extraction:
    """Every answer of a form saved as .odt, each with the way it was found.

    ``layout`` is the form's layout once identified (without it only tagged
    fields can be read); ``blank`` the company Word template it was issued
    from, if any (see ``docx_reader.extract_docx``).
    """
    package = _open(data, name)
    identity, producer = _identity(package)
    extraction = Extraction(identity=identity, producer=producer)
    root = package.xml(_CONTENT, MAX_DOCUMENT_BYTES)
    body = next(root.iter(f"{_OFFICE}text"), None) if root is not None else None
    if body is None:
        raise _damaged(name, _CONTENT)
    plan = None
    if layout is not None:
        plan = _plan(layout) if blank is None else _blank_plan(layout, blank)
    _Reading(body, plan, extraction).run()
    return extraction


class _Reading:
    """One .odt read into one ``Extraction``: by tag, else by position."""

    def __init__(self, body: Any, plan: _Plan | None, extraction: Extraction) -> None:
        self.body = body
        self.plan = plan
        self.extraction = extraction
        self.answers = extraction.answers
        self.notes = extraction.notes
        self.seen: set[str] = set()
        self.consumed: set[Any] = set()  # paragraphs read as the rest of a long answer

    def run(self) -> None:
        controls = _controls(self.body)
        untagged = [c for c in controls if c.tag is None]
        unknown: list[str] = []
        for control in controls:
            if control.tag is None:
                continue
            slot = self.plan.by_key.get(control.tag) if self.plan is not None else None
            if self.plan is not None and slot is None:
                unknown.append(control.tag)
            else:
                self.take(control.tag, control, slot, "control")
        if untagged:
            self.by_position(controls, len(untagged))
        if unknown:
            shown = ", ".join(_short(tag) for tag in unknown[:3])
            shown += ", …" if len(unknown) > 3 else ""
            self.notes.append(
                f"{count(len(unknown), 'champ étiqueté', 'champs étiquetés')} hors de ce "
                f"formulaire ({shown}) : non lus."
            )
        self.added_text()

    def take(self, key: str, control: _Control, slot: _Slot | None, method: Method) -> None:
        if key in self.seen:
            return  # a copied field: the first one counts
        self.seen.add(key)
        answer = self.read(control, slot, method)
        if answer is not None:
            self.answers[key] = answer

    def read(self, control: _Control, slot: _Slot | None, method: Method) -> RawAnswer | None:
        literal = control.kind == "input"
        text = "" if control.placeholder else _text(control.element, literal).strip()
        if control.kind == "checkbox" or (slot is not None and slot.box):
            return _box(text, control.checked, method)
        if literal and slot is not None and slot.kind == "richText":
            text = self.rest_of_box(control, text)
        if _is_placeholder(text):
            return None
        if control.kind == "dropDownList":
            items = control.items() or _field_items(slot.field if slot else None)
            text = _item_value(text, items)
        return RawAnswer(text, method)

    def rest_of_box(self, control: _Control, text: str) -> str:
        """A long answer: the paragraphs after the field's, in its box, belong to it."""
        paragraph = control.element.getparent()
        if paragraph is None or paragraph.tag not in (_P, _H):
            return text
        box = paragraph.getparent()
        if box is None or box.tag != _CELL:
            return text
        following = [
            p
            for p in paragraph.itersiblings(_P, _H, _LIST)
            if next(p.iter(_INPUT, _CONTROL), None) is None
        ]
        if not following:
            return text
        self.consumed.update(following)
        rest = "\n".join(_text(p) for p in following)
        return f"{'' if _is_placeholder(text) else text}\n{rest}".strip()

    def by_position(self, controls: list[_Control], n: int) -> None:
        who = software(self.extraction.producer)
        unlabelled = count(n, "champ sans étiquette", "champs sans étiquette")
        if self.plan is None:
            self.notes.append(
                f"Enregistré par {who} (.odt) : {unlabelled} non lus, faute de connaître "
                "le formulaire."
            )
            return
        slots = self.plan.slots
        problem = _misfit(controls, slots)
        if problem is not None:
            self.notes.append(
                f"Enregistré par {who} (.odt) : {unlabelled} ne correspondent pas au "
                f"formulaire vierge ({problem}) ; ils n'ont pas été lus. Demandez au "
                "responsable d'enregistrer le formulaire au format .docx et de le renvoyer."
            )
            return
        for control, slot in zip(controls, slots, strict=True):
            if control.tag is None:
                self.take(slot.key, control, slot, "control_order")
        self.notes.append(
            f"Enregistré par {who} au format .odt : "
            + (
                "1 champ sans étiquette, repéré par sa position."
                if n == 1
                else f"{n} champs sans étiquette, repérés par leur position."
            )
        )

    def added_text(self) -> None:
        """A note quoting text typed outside the fields (see ``docx_reader.added_text_note``)."""
        if self.plan is None:
            return
        note = added_text_note(self.outside(), self.plan.known, self.extraction)
        if note is not None:
            self.notes.append(note)

    def outside(self) -> Iterable[str]:
        for paragraph in self.body.iter(_P, _H):
            if paragraph in self.consumed or any(
                a.tag in _NOT_SHOWN or a.tag == _CONTROL for a in paragraph.iterancestors()
            ):
                continue
            yield _outside_text(paragraph)


def _outside_text(node: Any) -> str:
    """The text of ``node`` without its fields (a frame's paragraphs are read on their own)."""
    out: list[str] = [node.text or ""]
    for child in node:
        tag = child.tag
        if tag in (_S, _TAB, _LINE_BREAK):
            out.append(" ")
        elif tag not in (_INPUT, _CONTROL, _P, _H) and tag not in _NOT_SHOWN:
            out.append(_outside_text(child))
        out.append(child.tail or "")
    return "".join(out)
