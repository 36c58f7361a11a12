"""Read a returned Word form: the identity it claims, and the answers in it.

Our forms hold one content control (``w:sdt``) per answer, tagged with its
field id, and Word gives them back untouched. Other editors are less kind, so
a file is read the best way it allows, and each answer says how it was found
(``Method``), for HR to see which ones deserve a second look:

- ``control``: by tag, the normal case;
- ``control_order``: LibreOffice 7.4 drops every tag on re-save but keeps the
  controls, their type and their order, so the n-th control is the n-th of a
  blank form of the same layout. Only taken when every count, type and label
  lines up: an answer filed under the wrong question is worse than none;
- ``table_cell``: an editor that knows no content controls (or a manager who
  re-typed the form) leaves only text, found in the table cell under the
  column header and beside the row header, or in the box under the label;
- ``typed_mark``: a check box ticked by typing ☒, ✓ or X instead of clicking.

A form issued from a company's own template is matched by position to that
template's controls (``blank``), not to the built-in form's; the rest of a
long answer that LibreOffice leaves after its control is read up to the
template's own next paragraph. Fields side by side that LibreOffice 7.4 nests
into one another (and sometimes closes in the next paragraph: the closing
tags are put back, or the file is refused saying why) are left unread, with a
note. Text typed outside the controls (a remark under a table, after a
field) is no answer, but it is not dropped unseen: a note quotes it
(``added_text_note``, shared with ``odt_reader``).

The file comes from outside. The package is checked before anything is
inflated (declared sizes, compression ratio, encryption, macros), the XML
parser loads no DTD and resolves no entity, and every way a file can be
unreadable ends in ``RejectedFile``. The document part is parsed once, with
lxml, and walked with lxml's C iterators: on the shared 2-core development
VM an annual form of a hundred controls is read in 3.5 to 5 ms, 1.5 to 2 ms
of which is lxml building the tree (python-docx takes 5 ms just to open the
file). ``identify_docx`` reads only the properties, in 0.2 to 0.3 ms.
"""

from __future__ import annotations

import io
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from entretien_forms.errors import RejectedFile, RejectionCode

# The OOXML names (namespaces, part names, content types) our forms use: the contract's.
from entretien_forms.forms import contract as parts
from entretien_forms.forms.contract import (
    CHECKED,
    LOCKED_PLACEHOLDER,
    PLACEHOLDERS,
    UNCHECKED,
    ControlSpec,
    docx_controls,
    rating_items,
)
from entretien_forms.forms.model import Field, FormLayout, Table
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, Method, RawAnswer
from entretien_forms.text import count, fold

# --------------------------------------------------------------------------- limits

# A filled form's document.xml is 100-200 KB; 10 MB is 50 times that. lxml needs
# ~14 bytes of memory per byte of XML made of small elements: a 47 MB part took
# 532 MB; 10 MB stays under 150 MB.
MAX_DOCUMENT_BYTES = 10_000_000
# Content types, properties: a few kilobytes each.
MAX_SMALL_PART_BYTES = 1_000_000
# Word XML compresses 5 to 20 times; a bomb compresses thousands of times. Below
# 1 MB a part can do no harm, whatever its ratio.
MAX_RATIO = 100
_RATIO_FLOOR = 1_000_000

# --------------------------------------------------------------------------- names

_W = f"{{{parts.NS_W}}}"
_W14 = f"{{{parts.NS_W14}}}"
_W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_MC_FALLBACK = f"{{{parts.NS_MC}}}Fallback"
# ISO 29500 "Strict" documents (an option of Word's Save As) use other namespace
# names for the same elements.
_STRICT_W = b"http://purl.oclc.org/ooxml/wordprocessingml/main"

_STRICT_DOCUMENT = f"{{{_STRICT_W.decode()}}}document"

_W_DOCUMENT = f"{_W}document"
_W_SDT, _W_SDTPR, _W_SDTCONTENT = f"{_W}sdt", f"{_W}sdtPr", f"{_W}sdtContent"
_W_TAG, _W_ALIAS, _W_SHOWING = f"{_W}tag", f"{_W}alias", f"{_W}showingPlcHdr"
_W_LISTITEM, _W_VAL = f"{_W}listItem", f"{_W}val"
_W_P, _W_T, _W_TAB, _W_BR, _W_CR = f"{_W}p", f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"
_W_NB_HYPHEN = f"{_W}noBreakHyphen"
_W_PPR, _W_RPR = f"{_W}pPr", f"{_W}rPr"
_W_INS, _W_DEL, _W_MOVE_FROM, _W_MOVE_TO = f"{_W}ins", f"{_W}del", f"{_W}moveFrom", f"{_W}moveTo"
_W_TBL, _W_TR, _W_TC, _W_TRPR, _W_TCPR = f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}trPr", f"{_W}tcPr"
_W_GRID_SPAN, _W_GRID_BEFORE = f"{_W}gridSpan", f"{_W}gridBefore"
_W14_CHECKBOX, _W14_CHECKED = f"{_W14}checkbox", f"{_W14}checked"
_W14_VAL, _W_DISPLAY, _W_VALUE = f"{_W14}val", f"{_W}displayText", f"{_W}value"

# The type element of w:sdtPr, by the kind of control it makes. No type element:
# a rich text control. LibreOffice's combo boxes read like drop-down lists.
_OTHER_KINDS = (
    "picture",
    "docPartObj",
    "docPartList",
    "group",
    "citation",
    "bibliography",
    "equation",
)
_KINDS: Mapping[str, str] = {
    f"{_W}text": "text",
    f"{_W}richText": "richText",
    f"{_W}date": "date",
    f"{_W}dropDownList": "dropDownList",
    f"{_W}comboBox": "dropDownList",
    _W14_CHECKBOX: "checkbox",
    **{f"{_W}{other}": "other" for other in _OTHER_KINDS},
    f"{_W15}repeatingSection": "other",
    f"{_W15}repeatingSectionItem": "other",
}
# Kinds that can hold an answer; pictures and building blocks never do.
_ANSWER_KINDS = frozenset({"text", "richText", "date", "dropDownList", "checkbox"})
# Not text: deleted revisions, and the copy of a drawing for old readers.
_SKIPPED = frozenset({_W_DEL, _W_MOVE_FROM, _MC_FALLBACK, _W_SDTPR, _W_PPR, _W_RPR})
_REVISIONS = frozenset({_W_INS, _W_DEL, _W_MOVE_FROM, _W_MOVE_TO})
# What text is made of, for lxml's filtered walk.
_TEXT_SLOW = frozenset(_REVISIONS | {_MC_FALLBACK})
_TEXT_PARTS = (_W_T, _W_P, _W_TAB, _W_BR, _W_CR, _W_NB_HYPHEN, *_TEXT_SLOW)

# Marks a person types for a ticked box, and for an empty one.
_TICKS = frozenset({CHECKED, "\u2611", "\u2713", "\u2714", "X", "x"})  # ☒ ☑ ✓ ✔ X x
_BOX_MARKS = frozenset(_TICKS | {UNCHECKED})
# What our empty controls show: LibreOffice 7.4 keeps it as text, not as a placeholder.
_PLACEHOLDER_WORDS = frozenset({*PLACEHOLDERS.values(), LOCKED_PLACEHOLDER})
_TRUE_VALUES = frozenset({"1", "true", "on"})
_FALSE_VALUES = frozenset({"0", "false", "off"})

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    }
)
_MACRO_TYPES = frozenset(
    {
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
        "application/vnd.ms-office.vbaProject",
    }
)
_APP_TYPE = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
# Everything zipfile and its decompressors raise on a damaged archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_PART_NAMES: Mapping[str, str] = {
    parts.CONTENT_TYPES: "la liste des parties du document",
    parts.CUSTOM: "les propriétés du document",
    parts.APP: "les informations sur le logiciel",
}
_PROPERTIES: Mapping[str, str] = {
    "entretien_reference": "reference",
    "entretien_form_id": "form_id",
    "entretien_form_version": "form_version",
    "entretien_kind": "kind",
    "entretien_campaign": "campaign",
    "entretien_matricule": "matricule",
    "entretien_signature": "signature",
}

# --------------------------------------------------------------------------- rejections

_RESAVE = (
    "Ouvrez le formulaire dans Word ou LibreOffice, enregistrez-le au format .docx "
    "et déposez-le à nouveau."
)


def _not_a_docx(name: str) -> RejectedFile:
    return RejectedFile(
        f"{name} n'est pas un document Word (.docx) lisible : le fichier est endommagé "
        "ou d'un autre format.",
        _RESAVE,
        RejectionCode.DAMAGED,
    )


def _encrypted(name: str) -> RejectedFile:
    return RejectedFile(
        f"{name} est protégé par un mot de passe : impossible de lire les réponses.",
        "Enregistrez le formulaire au format .docx sans mot de passe et déposez-le à nouveau.",
        RejectionCode.ENCRYPTED,
    )


def _too_big(name: str, part: str, size: int) -> RejectedFile:
    return RejectedFile(
        f"{name} n'a pas été ouvert par sécurité : {part} se décompresse en "
        f"{size / 1_000_000:.0f} Mo, ce qui est anormal pour un formulaire "
        "(fichier piégé ou corrompu).",
        "Demandez au responsable de renvoyer le formulaire d'origine rempli, au format .docx.",
        RejectionCode.TOO_LARGE,
    )


def _bomb(name: str, part: str, ratio: float) -> RejectedFile:
    times = f"{ratio:,.0f}".replace(",", " ")  # "12 345", as French writes it
    return RejectedFile(
        f"{name} n'a pas été ouvert par sécurité : {part} est compressé {times} fois, ce qui "
        "est anormal pour un formulaire (fichier piégé ou corrompu).",
        "Demandez au responsable de renvoyer le formulaire d'origine rempli, au format .docx.",
        RejectionCode.TOO_LARGE,
    )


def _damaged(name: str, part: str) -> RejectedFile:
    what = _PART_NAMES.get(part, "le texte du document")
    return RejectedFile(
        f"{name} est endommagé : impossible de lire {what} ({part}).",
        _RESAVE,
        RejectionCode.DAMAGED,
    )


def _check(info: zipfile.ZipInfo, name: str, limit: int) -> None:
    """Refuse a part from what the zip declares, before anything is inflated."""
    part = info.filename
    if info.flag_bits & 0x1:
        raise _encrypted(name)
    if info.file_size > limit:
        raise _too_big(name, part, info.file_size)
    if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * info.compress_size:
        raise _bomb(name, part, info.file_size / max(info.compress_size, 1))


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int) -> bytes:
    """The bytes of one part, refused before inflating when its sizes look like a bomb."""
    part = info.filename
    _check(info, name, limit)
    try:
        with archive.open(info) as stream:
            # zipfile stops at the declared size; the limit is a second guard.
            raw: bytes = stream.read(limit + 1)
    except _ZIP_ERRORS as exc:
        raise _damaged(name, part) from exc
    if len(raw) > limit:
        raise _too_big(name, part, len(raw))
    return raw


@dataclass(frozen=True)
class _Package:
    """An opened .docx whose structure passed the checks; parts are inflated on demand."""

    name: str
    archive: zipfile.ZipFile
    document: zipfile.ZipInfo
    custom: zipfile.ZipInfo | None
    app: zipfile.ZipInfo | None

    def xml(self, info: zipfile.ZipInfo, limit: int = MAX_SMALL_PART_BYTES) -> Any:
        return _parse(_read(self.archive, info, self.name, limit), self.name, info.filename)


def _parse(raw: bytes, name: str, part: str) -> Any:
    """The root element of ``raw``; a DTD (entities, external files) is refused outright."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _doctype(name, part)
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
        raise _doctype(name, part)  # a DTD the byte search missed (UTF-16)
    return root


def _doctype(name: str, part: str) -> RejectedFile:
    return RejectedFile(
        f"{name} n'a pas été ouvert par sécurité : {part} contient une déclaration DOCTYPE "
        "(entités XML), ce qu'un document Word ne contient jamais.",
        "Demandez au responsable de renvoyer le formulaire d'origine rempli, au format .docx.",
        RejectionCode.UNSAFE_CONTENT,
    )


def _open(data: bytes, name: str) -> _Package:
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise _encrypted(name)
        raise RejectedFile(
            f"{name} est au format Word 97-2003 (.doc), que nous ne lisons pas.",
            "Ouvrez-le dans Word ou LibreOffice, enregistrez-le au format .docx et "
            "déposez-le à nouveau.",
            RejectionCode.UNSUPPORTED_FORMAT,
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise _not_a_docx(name) from exc
    # Two entries of one name (or differing in case only, as Office compares part
    # names): a dict would keep the last, another reader the first. Refused.
    seen: set[str] = set()
    for entry in entries:
        key = entry.filename.replace("\\", "/").lstrip("/").lower()
        if key in seen:
            raise RejectedFile(
                f"{name} contient deux fois la partie {key} : impossible de savoir laquelle "
                "compte (fichier modifié hors de Word, ou piégé).",
                "Demandez au responsable de renvoyer le formulaire d'origine rempli, "
                "enregistré depuis Word ou LibreOffice.",
                RejectionCode.AMBIGUOUS,
            )
        seen.add(key)
    infos = {info.filename: info for info in entries}
    main, custom, app = parts.DOCUMENT, parts.CUSTOM, parts.APP
    types = infos.get(parts.CONTENT_TYPES)
    if types is not None:
        raw = _read(archive, types, name, MAX_SMALL_PART_BYTES)
        for entry in _parse(raw, name, types.filename):
            content_type = entry.get("ContentType") or ""
            if content_type in _MACRO_TYPES:
                raise _macros(name)
            part = (entry.get("PartName") or "").lstrip("/")
            if content_type in _MAIN_TYPES:
                main = part
            elif content_type == parts.CT_CUSTOM:
                custom = part
            elif content_type == _APP_TYPE:
                app = part
    if any(n.lower().endswith("vbaproject.bin") for n in infos):
        raise _macros(name)
    document = infos.get(main)
    if document is None:
        raise RejectedFile(
            f"{name} n'est pas un document Word : l'archive ne contient pas de texte de "
            f"document ({main}).",
            _RESAVE,
            RejectionCode.DAMAGED,
        )
    _check(document, name, MAX_DOCUMENT_BYTES)  # identify reads no answer, but says no too
    return _Package(name, archive, document, infos.get(custom), infos.get(app))


def _macros(name: str) -> RejectedFile:
    return RejectedFile(
        f"{name} contient des macros (document .docm) : il n'est pas accepté, par sécurité.",
        "Enregistrez le formulaire au format « Document Word (.docx) », sans macros, "
        "et déposez-le à nouveau.",
        RejectionCode.UNSAFE_CONTENT,
    )


def _identity(package: _Package) -> ClaimedIdentity:
    if package.custom is None:
        return ClaimedIdentity()
    found: dict[str, str] = {}
    for prop in package.xml(package.custom):
        key = _PROPERTIES.get(prop.get("name") or "")
        if key is None or key in found:
            continue
        value = "".join(prop.itertext()).strip()
        if value:
            found[key] = value
    return ClaimedIdentity(**found)


def _producer(package: _Package) -> str | None:
    """``Application`` and ``AppVersion`` from docProps/app.xml, as one string."""
    if package.app is None:
        return None
    found: dict[str, str] = {}
    for child in package.xml(package.app):
        local = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
        if local in ("Application", "AppVersion"):
            found[local] = (child.text or "").strip()
    application, version = found.get("Application"), found.get("AppVersion")
    if not application:
        return None
    # LibreOffice's Application already says its version ("LibreOffice/7.4.7.2$Linux...")
    # and its AppVersion pretends to be Word's.
    if version and "/" not in application:
        return f"{application} {version}"
    return application


def software(producer: str | None) -> str:
    """The editor's name for a French note: "LibreOffice 7.4", "Microsoft Word"."""
    if not producer:
        return "un logiciel inconnu"
    found = re.match(r"LibreOffice/(\d+\.\d+)", producer)
    if found:
        return f"LibreOffice {found[1]}"
    if "Word" in producer and "Microsoft" in producer:
        return "Microsoft Word"
    return producer.split("$")[0].strip()


# --------------------------------------------------------------------------- controls


@dataclass(slots=True)
class _Control:
    """One content control that holds no other control, as found in the document.

    Aliases and list items are read only when needed: an attribute read costs
    more than the rest of a control, and most forms need neither.
    """

    sdt: Any
    content: Any = None
    properties: Any = None
    kind: str = "richText"
    tag: str | None = None
    placeholder: bool = False
    checked: bool | None = None
    list_element: Any = None
    # Inside another answer control, or holding one: fields side by side that
    # LibreOffice 7.4 nested (``_controls``); what each holds cannot be told.
    tangled: bool = False

    def alias(self) -> str | None:
        alias = None if self.properties is None else self.properties.find(_W_ALIAS)
        return None if alias is None else alias.get(_W_VAL)

    def items(self) -> list[tuple[str, str]]:
        """(display text, value) of each item of a drop-down list."""
        if self.list_element is None:
            return []
        return [
            (item.get(_W_DISPLAY) or "", item.get(_W_VALUE) or "")
            for item in self.list_element.iterchildren(_W_LISTITEM)
        ]


def _on(value: str | None) -> bool:
    """An ``ST_OnOff`` attribute, where no value means on."""
    return value is None or value.strip().lower() not in _FALSE_VALUES


def _checked(element: Any) -> bool | None:
    """The state of a ``w14:checked`` element."""
    value = (element.get(_W14_VAL) or "").strip().lower()
    if value in _TRUE_VALUES:
        return True
    return False if value in _FALSE_VALUES else None


def _controls(root: Any) -> list[_Control]:
    """The answer controls in document order.

    A rich text control that holds other controls is a wrapper (LibreOffice
    puts an untyped one around each check box): only what it holds is read,
    and its tag, if it has one, goes to the single control inside. Any other
    control holding one is ``tangled``, and so is every control inside it.
    """
    found: list[_Control] = []
    handed_down: dict[Any, str] = {}
    tangled: set[Any] = set()
    for sdt in root.iter(_W_SDT):
        control = _Control(sdt)
        for part in sdt:
            name = part.tag
            if name == _W_SDTCONTENT:
                control.content = part
            elif name == _W_SDTPR:
                control.properties = part
                _properties(control, part)
        if control.content is None:
            continue
        control.tag = control.tag or handed_down.get(sdt)
        # Rich text is the only kind Word lets hold other controls.
        if control.kind == "richText" and next(control.content.iter(_W_SDT), None) is not None:
            inside = list(control.content.iter(_W_SDT))
            if control.tag is not None and len(inside) == 1:
                handed_down[inside[0]] = control.tag
            continue
        if control.kind not in _ANSWER_KINDS:
            continue
        if sdt in tangled:
            control.tangled = True
        elif control.kind != "richText" and next(control.content.iter(_W_SDT), None) is not None:
            # Only rich text may hold controls. LibreOffice 7.4 saves a date, list
            # or check box followed by another control in one paragraph as one
            # holding the next, that one's text after it: no answer is certain.
            control.tangled = True
            tangled.update(control.content.iter(_W_SDT))
        found.append(control)
    return found


def _properties(control: _Control, properties: Any) -> None:
    for prop in properties:
        name = prop.tag
        if name == _W_TAG:
            control.tag = prop.get(_W_VAL) or None
        elif name == _W_SHOWING:
            control.placeholder = _on(prop.get(_W_VAL))
        elif name in _KINDS:
            control.kind = _KINDS[name]
            if name == _W14_CHECKBOX:
                checked = prop.find(_W14_CHECKED)
                control.checked = False if checked is None else _checked(checked)
            elif control.kind == "dropDownList":
                control.list_element = prop


class _Text:
    """Visible text of WordprocessingML, tracked changes read as accepted."""

    def __init__(self) -> None:
        self.revised = False  # some text read was a tracked insertion or deletion
        # Paragraphs outside any control read as part of an answer (the rest of a
        # long answer, after LibreOffice): not text added outside the fields.
        self.consumed: set[Any] = set()

    def of(self, node: Any) -> str:
        """The text of ``node``, paragraphs separated by line breaks.

        The common case (no revision, no drawing) is one filtered walk in C;
        anything else goes through ``joined``.
        """
        out: list[str] = []
        for element in node.iter(*_TEXT_PARTS):
            name = element.tag
            if name == _W_T:
                if _after_text(element):
                    out.append("\n")
                out.append(element.text or "")
            elif name == _W_P:
                if out:
                    out.append("\n")
            elif name == _W_TAB:
                out.append("\t")
            elif name == _W_NB_HYPHEN:
                out.append("-")
            elif name in _TEXT_SLOW:
                return self.joined([node])
            else:
                out.append("\n")  # w:br, w:cr
        return "".join(out)

    def joined(self, nodes: Iterable[Any]) -> str:
        """The text of ``nodes`` and what they hold: every paragraph ends with a line break.

        Inserted text is in, deleted and moved-away text is out; a paragraph whose
        mark was deleted runs on into the next one, as Word shows it once accepted.
        """
        out: list[str] = []
        stack: list[Iterator[Any] | str] = [iter(nodes)]
        while stack:
            top = stack.pop()
            if isinstance(top, str):
                out.append(top)
                continue
            for node in top:
                tag = node.tag
                if tag == _W_T:
                    if _after_text(node):
                        out.append("\n")
                    out.append(node.text or "")
                elif tag == _W_TAB:
                    out.append("\t")
                elif tag in (_W_BR, _W_CR):
                    out.append("\n")
                elif tag == _W_NB_HYPHEN:
                    out.append("-")
                elif tag in _SKIPPED:
                    if tag in _REVISIONS:
                        self.revised = True
                elif tag == _W_P:
                    joined = _mark_deleted(node)
                    self.revised = self.revised or joined
                    stack += (top, "" if joined else "\n", iter(node))
                    break
                elif len(node):
                    if tag in _REVISIONS:
                        self.revised = True
                    stack += (top, iter(node))
                    break
        return "".join(out)

    def paragraph(self, paragraph: Any) -> str:
        return self.of(paragraph).strip()

    def control(self, control: _Control) -> str:
        text = self.of(control.content)
        parent = control.sdt.getparent()
        if control.kind == "richText" and parent is not None and parent.tag == _W_P:
            # LibreOffice 7.4 re-saves a long answer as a control holding its first
            # paragraph, the others following it in the box outside the control.
            box = parent.getparent()
            if box is not None and box.tag == _W_TC:
                following = [
                    p for p in parent.itersiblings(_W_P) if next(p.iter(_W_SDT), None) is None
                ]
                if following:
                    self.consumed.update(following)
                    text += "\n" + self.joined(following)
        return text.strip()


def _after_text(t: Any) -> bool:
    """Whether ``t`` directly follows another ``w:t`` of its run: a line break between them.

    LibreOffice 7.4 writes a multi-line answer typed in a field as one ``w:t``
    per line, side by side, with nothing between them (it means ``w:br``);
    Word starts a new run after a break, so it never writes two in a row.
    """
    previous = t.getprevious()
    return previous is not None and previous.tag == _W_T


def _mark_deleted(paragraph: Any) -> bool:
    ppr = paragraph.find(_W_PPR)
    if ppr is None:
        return False
    rpr = ppr.find(_W_RPR)
    return rpr is not None and rpr.find(_W_DEL) is not None


def _is_placeholder(text: str) -> bool:
    return not text or text in _PLACEHOLDER_WORDS


def _item_value(shown: str, items: Iterable[tuple[str, str]]) -> str:
    """The value of the list item showing ``shown``; the text itself if none does."""
    items = tuple(items)
    for display, value in items:
        if shown == display:
            return value
    for _, value in items:
        if shown == value:
            return value
    folded = fold(shown)
    for display, value in items:
        if folded and fold(display) == folded:
            return value
    return shown


def _field_items(field: Field | None) -> tuple[tuple[str, str], ...]:
    if field is None:
        return ()
    if field.type == "rating":
        return rating_items(field)
    return tuple((option, option) for option in field.options)


def _box(text: str, state: bool | None, method: Method) -> RawAnswer:
    """A check box from the mark it shows and the state Word keeps, if any.

    What shows wins: an editor that does not know Word's check boxes lets a
    person type ☒ or X over ☐ without changing the state.
    """
    if text in _TICKS:
        return RawAnswer(True, method if state else "typed_mark")
    if text == UNCHECKED or _is_placeholder(text):
        return RawAnswer(bool(state) if text == "" and state is not None else False, method)
    if state is not None:
        return RawAnswer(state, method)
    return RawAnswer(text, method)  # "oui", "non"...: validation decides


# --------------------------------------------------------------------------- expected controls


# One control of a blank form of the layout, in document order: the forms' contract
# (key, kind, alias, field, and whether it is a box) is what the renderer writes.
_Slot = ControlSpec


@dataclass(frozen=True)
class _Plan:
    slots: tuple[_Slot, ...]
    by_key: Mapping[str, _Slot]
    known: FormText  # what the blank form prints outside its controls
    # A company template's long-text controls, by key: its paragraphs after the
    # control up to the next field, table or cell, as patterns of folded text.
    # LibreOffice 7.4 leaves the rest of a long answer before them (``long_text``).
    tails: Mapping[str, tuple[re.Pattern[str], ...]]


@lru_cache(maxsize=32)
def _plan_of(layout: FormLayout) -> _Plan:
    """The controls our renderer writes for ``layout``: what a re-saved form is matched to."""
    slots = docx_controls(layout)
    return _Plan(slots, {slot.key: slot for slot in slots}, form_text(layout), {})


# The last layouts seen, by identity: hashing a layout costs more than reading a form.
_RECENT: dict[int, tuple[FormLayout, _Plan]] = {}


def _plan(layout: FormLayout) -> _Plan:
    recent = _RECENT.get(id(layout))
    if recent is not None and recent[0] is layout:
        return recent[1]
    plan = _plan_of(layout)
    if len(_RECENT) >= 64:
        _RECENT.clear()
    _RECENT[id(layout)] = (layout, plan)
    return plan


@lru_cache(maxsize=8)
def _blank_plan(layout: FormLayout, blank: bytes) -> _Plan:
    """The controls of the blank document a form was issued from, in its order.

    A company's own Word template puts the form's fields where HR wants them,
    some of them only: once an editor has dropped the tags, its n-th control is
    the n-th tagged control of the template, not of ``docx_controls``. A
    control of the template whose tag names no field of ``layout`` is left out,
    so that a template changed since (or untagged) fails the position check.
    """
    fields = {f.id: f for f in layout.fields}
    slots: list[_Slot] = []
    root, _ = _document_root(_open(blank, "modèle vierge"))
    controls = _controls(root)
    text = _Text()
    paragraphs = _Paragraphs(root, controls)
    tails: dict[str, tuple[re.Pattern[str], ...]] = {}
    for control in controls:
        field_id, _, n = (control.tag or "").partition("#")
        field = fields.get(field_id)
        if field is None:
            continue
        box = control.kind == "checkbox" or field.type in ("checkbox", "multichoice")
        option = int(n) if n.isdecimal() and len(n) < 4 else None
        kind: Any = control.kind  # one of _ANSWER_KINDS: a ControlKind
        alias = control.alias() or ""
        slots.append(ControlSpec(control.tag or "", kind, alias, field, option, box))
        parent = control.sdt.getparent()
        last = next(control.content.iterchildren(_W_P, reversed=True), None)
        if (
            control.kind == "richText"
            and parent is not None
            and parent.tag != _W_P
            and last is not None
        ):
            # A block of paragraphs: the template's own text after it is not the answer's.
            after = (text.of(p) for p in paragraphs.after(last))
            tails[control.tag or ""] = tuple(_pattern(t) for t in after if t.strip())
    known = form_text(layout, (text.of(p) for p in root.iter(_W_P)))
    return _Plan(tuple(slots), {slot.key: slot for slot in slots}, known, tails)


class _Paragraphs:
    """The paragraphs of a document in order, and what follows a paragraph."""

    def __init__(self, root: Any, controls: list[_Control]) -> None:
        self.all = list(root.iter(_W_P))
        self.index = {p: n for n, p in enumerate(self.all)}
        self.controls = {control.sdt for control in controls}

    def after(self, paragraph: Any) -> list[Any]:
        """The paragraphs after ``paragraph`` up to the next field, table or cell."""
        cell = next(paragraph.iterancestors(_W_TC), None)
        found = []
        for following in self.all[self.index[paragraph] + 1 :]:
            if (
                next(following.iterancestors(_W_TC), None) is not cell
                or next(following.iter(_W_SDT), None) is not None
                or any(sdt in self.controls for sdt in following.iterancestors(_W_SDT))
            ):
                break
            found.append(following)
        return found


def _pattern(paragraph: str) -> re.Pattern[str]:
    """A template paragraph as a pattern of folded text, any value for a placeholder."""
    pieces = [fold(p) for p in _TEMPLATE_CODE.split(paragraph)]
    return re.compile(".*".join(re.escape(p) for p in pieces))


def _document_root(package: _Package, producer: str | None = None) -> tuple[Any, bool]:
    """The parsed ``w:document`` of ``package``, Strict namespaces read as transitional.

    True with it when the closing tags LibreOffice 7.4 misplaces after fields
    side by side were put back (``_put_back_closings``).
    """
    name, part = package.name, package.document.filename
    raw = _read(package.archive, package.document, name, MAX_DOCUMENT_BYTES)
    repaired = False
    try:
        root = _parse(raw, name, part)
    except RejectedFile as rejected:
        error = rejected.__cause__
        if not isinstance(error, etree.XMLSyntaxError) or not _closed_late(error):
            raise
        raw = _put_back_closings(raw)
        try:
            root = _parse(raw, name, part)
        except RejectedFile:
            raise _nested_fields(name, part, error, producer) from error
        repaired = True
    if root.tag == _STRICT_DOCUMENT:
        root = _parse(raw.replace(_STRICT_W, parts.NS_W.encode()), name, part)
    if root.tag != _W_DOCUMENT:
        raise _damaged(name, part)
    return root, repaired


# LibreOffice 7.4 writes a date, list or check box control followed, in the same
# paragraph and with nothing between, by a text control as one holding the next,
# and closes the first only in the next paragraph (of the next cell, in a table),
# after its properties: ``...</w:sdt></w:p><w:p><w:pPr>...</w:pPr></w:sdtContent>
# </w:sdt>...``. Put back before the ``</w:p>``, they close what the paragraph
# opened (a strict parse checks it), which ``_controls`` then reads as tangled:
# unread. Between the two paragraphs, only the markup of cells, rows and of
# controls that open (LibreOffice's wrapper of a check box) is let through.
_CLOSED_LATE = re.compile(
    rb"</w:p>((?:(?!</?w:p[\s>/]|</w:sdt>|</w:sdtContent>|<w:r[\s>/]).){0,4096}?)"
    rb"(<w:p(?:\s[^>]*)?>)(<w:pPr/>|<w:pPr(?:\s[^>]*)?>(?:(?!</w:pPr>).)*?</w:pPr>)?"
    rb"((?:</w:sdtContent></w:sdt>)+)",
    re.DOTALL,
)


def _closed_late(error: Any) -> bool:
    """Whether lxml stopped on a content control closed after the end of its paragraph."""
    return bool(error.code == etree.ErrorTypes.ERR_TAG_NAME_MISMATCH and "sdt" in (error.msg or ""))


def _put_back_closings(raw: bytes) -> bytes:
    return _CLOSED_LATE.sub(rb"\4</w:p>\1\2\3", raw)


def _nested_fields(name: str, part: str, error: Any, producer: str | None) -> RejectedFile:
    line, column = error.position
    return RejectedFile(
        f"{name} a été enregistré par {software(producer)} avec un texte de document invalide "
        f"({part}, ligne {line}, colonne {column} : champs de formulaire imbriqués de travers, "
        "un champ fermé après la fin de son paragraphe). LibreOffice 7.4 écrit ainsi des "
        "champs placés côte à côte sans rien entre eux dans un paragraphe du modèle : les "
        "réponses ne peuvent pas être rattachées sûrement à leurs questions.",
        "L'enregistrer à nouveau dans LibreOffice ne corrigerait rien : demandez au "
        "responsable de remplir le formulaire dans Microsoft Word, ou envoyez-lui le PDF du "
        "même formulaire (dossier outbox/<campagne>/<responsable>/). Dans le modèle Word, "
        "séparez ces champs par un espace ou un libellé.",
        RejectionCode.DAMAGED,
    )


# --------------------------------------------------------------------------- text added


# What the renderers write around a layout's own texts (header line, legends,
# required mark): words of the form, not of the person who filled it in.
_RENDERER_WORDS = (
    "Salarié matricule Responsable non renseigné Campagne Référence émis le réponse "
    "obligatoire Choix possibles N° Réf version page Entretien annuel professionnel "
    "état des lieux"
)
_WORD = re.compile(r"[a-z]{2,}")
_TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _words(text: str) -> set[str]:
    """The words of ``text`` as compared: folded, two letters or more, no digits."""
    return set(_WORD.findall(fold(text)))


@lru_cache(maxsize=32)
def _layout_words(layout: FormLayout) -> frozenset[str]:
    """Every word a blank form of ``layout`` prints outside its fields."""
    texts = [_RENDERER_WORDS, layout.title, layout.privacy_notice, layout.kind, layout.form_id]
    texts += [*PLACEHOLDERS.values(), LOCKED_PLACEHOLDER]
    for section in layout.sections:
        texts += [section.title, section.guidance or ""]
        for item in section.items:
            texts += [item.label, item.help or ""]
            if isinstance(item, Table):
                texts += [item.row_header or ""]
                texts += [row.label or row.key for row in item.rows]
                for column in item.columns:
                    texts += [column.label, *column.options, *column.scale_labels]
            else:
                texts += [*item.options, *item.scale_labels]
    words: set[str] = set()
    for text in texts:
        words |= _words(text)
    return frozenset(words)


@dataclass(frozen=True)
class FormText:
    """What a blank form prints outside its fields: text found beyond it was added.

    ``patterns`` are the paragraphs of a company template that hold pre-fill
    placeholders (``Salarié : {{ salarie.nom }}``), any value standing for them.
    """

    words: frozenset[str]
    patterns: tuple[re.Pattern[str], ...] = ()


def form_text(layout: FormLayout, blank_paragraphs: Iterable[str] = ()) -> FormText:
    """The words of ``layout``'s blank form, and of the blank document's paragraphs if given."""
    words = set(_layout_words(layout))
    patterns: list[re.Pattern[str]] = []
    for paragraph in blank_paragraphs:
        if _TEMPLATE_CODE.search(paragraph):
            patterns.append(_pattern(paragraph))
            paragraph = _TEMPLATE_CODE.sub(" ", paragraph)
        words |= _words(paragraph)
    return FormText(frozenset(words), tuple(patterns))


def added_text_note(
    paragraphs: Iterable[str], known: FormText, extraction: Extraction
) -> str | None:
    """The note quoting the paragraphs typed outside the fields, None if there are none.

    A paragraph is the form's own when every word of it is a word the blank
    form prints, a word of an answer or of the identity (the header line names
    the employee), or when it matches a template paragraph. Anything else was
    typed by someone outside the answer fields and would be lost unread: HR is
    told, with the text quoted (shortened).
    """
    words = set(known.words)
    identity = extraction.identity
    for value in (identity.reference, identity.matricule, identity.campaign, identity.kind):
        words |= _words(value or "")
    for answer in extraction.answers.values():
        if isinstance(answer.value, str):
            words |= _words(answer.value)
    reference = identity.reference
    added: list[str] = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        if not text or (reference and reference in text):
            continue  # the form's header line carries its reference
        if _words(text) <= words:
            continue
        folded = fold(text)
        if any(pattern.fullmatch(folded) for pattern in known.patterns):
            continue
        added.append(text)
    if not added:
        return None
    shown = " ; ".join(f"« {_short(text, 150)} »" for text in added[:3])
    more = len(added) - 3
    if more > 0:
        shown += f" (et {count(more, 'autre passage', 'autres passages')})"
    return f"Texte ajouté hors des champs : {shown}."


# --------------------------------------------------------------------------- public


def identify_docx(data: bytes, name: str) -> ClaimedIdentity:
    """Who the form says it is, from its custom properties: no need to read the answers."""
    return _identity(_open(data, name))


def extract_docx(
    data: bytes, name: str, layout: FormLayout | None, *, blank: bytes | None = None
) -> Extraction:
    """Every answer of a returned Word form, each with the way it was found.

    ``layout`` is the form's layout once identified; without it only tagged
    controls can be read. ``blank`` is the company Word template the form was
    issued from, if any: its controls, not the built-in form's, are what an
    untagged control is matched to by position, and its text is the form's own.
    """
    package = _open(data, name)
    extraction = Extraction(identity=_identity(package), producer=_producer(package))
    root, repaired = _document_root(package, extraction.producer)
    plan = None
    if layout is not None:
        plan = _plan(layout) if blank is None else _blank_plan(layout, blank)
    _Reading(root, layout, extraction, plan, repaired=repaired).run()
    return extraction


class _Reading:
    """One document read into one ``Extraction``: controls, then position, then tables."""

    def __init__(
        self,
        root: Any,
        layout: FormLayout | None,
        extraction: Extraction,
        plan: _Plan | None = None,
        *,
        repaired: bool = False,
    ) -> None:
        self.root = root
        self.repaired = repaired  # closing tags put back (``_document_root``)
        self.controls: list[_Control] = []
        self.paragraphs: _Paragraphs | None = None  # made when a long answer needs it
        self.answer_sdts: set[Any] | None = None
        self.layout = layout
        self.plan = plan
        self.extraction = extraction
        self.answers = extraction.answers
        self.notes = extraction.notes
        self.text = _Text()
        self.seen: set[str] = set()  # keys whose control was found, empty or not
        self.conflicts: list[str] = []
        self.misaligned = False  # untagged controls that could not be matched by position

    def run(self) -> None:
        controls = self.controls = _controls(self.root)
        untagged: list[_Control] = []
        unknown: list[str] = []
        for control in controls:
            if control.tag is None:
                untagged.append(control)
            elif self.plan is None:
                self.take(control.tag, control, None, "control")
            elif control.tag in self.plan.by_key:
                self.take(control.tag, control, self.plan.by_key[control.tag], "control")
            else:
                unknown.append(control.tag)
        if untagged:
            self.by_position(controls, untagged)
        if unknown:
            shown = ", ".join(_short(tag) for tag in unknown[:3])
            shown += ", …" if len(unknown) > 3 else ""
            self.notes.append(
                f"{count(len(unknown), 'champ étiqueté', 'champs étiquetés')} hors de ce "
                f"formulaire ({shown}) : non lus."
            )
        if self.plan is not None and self.layout is not None:
            missing = {slot.key for slot in self.plan.slots} - self.seen
            if missing:
                self.from_text(missing, len(controls))
        for key in self.conflicts:
            label = self.label(key)
            self.notes.append(
                f"« {label} » figure plusieurs fois dans le document avec des réponses "
                "différentes (contenu copié ?) : la première a été gardée, à vérifier."
            )
        if self.repaired and not any(control.tangled for control in controls):
            self.notes.append(
                f"Enregistré par {software(self.extraction.producer)} : des balises de champs "
                "fermées au paragraphe suivant ont été remises en place avant la lecture, "
                "réponses à vérifier."
            )
        if self.text.revised:
            self.notes.append(
                "Le document contient des modifications suivies : les réponses ont été lues "
                "comme si toutes les modifications étaient acceptées."
            )
        self.added_text()

    def added_text(self) -> None:
        """A note quoting text typed outside the controls, which no answer holds.

        Not when answers were read from the tables: the text outside controls
        is then where the answers are, and a note already asks for a check.
        """
        if self.plan is None or any(a.method == "table_cell" for a in self.answers.values()):
            return
        outside = _Text()
        paragraphs = []
        for paragraph in self.root.iter(_W_P):
            if paragraph in self.text.consumed or self.in_control(paragraph):
                continue
            kept = [child for child in paragraph if child.tag not in (_W_SDT, _W_PPR)]
            paragraphs.append(outside.joined(kept))
        note = added_text_note(paragraphs, self.plan.known, self.extraction)
        if note is not None:
            self.notes.append(note)

    def in_control(self, paragraph: Any) -> bool:
        """Whether ``paragraph`` is part of an answer (not of a control that only wraps others)."""
        if self.answer_sdts is None:
            self.answer_sdts = {control.sdt for control in self.controls}
        return any(sdt in self.answer_sdts for sdt in paragraph.iterancestors(_W_SDT))

    def label(self, key: str) -> str:
        slot = self.plan.by_key.get(key) if self.plan is not None else None
        if slot is None:
            return key
        n = key.partition("#")[2]
        if n.isdecimal() and 0 < int(n) <= len(slot.field.options):
            return f"{slot.field.label} : {slot.field.options[int(n) - 1]}"
        return slot.field.label

    def take(self, key: str, control: _Control, slot: _Slot | None, method: Method) -> None:
        """Record what ``control`` holds under ``key``: the first control with a value wins."""
        answer = self.read(control, slot, method)
        if key in self.seen:
            kept = self.answers.get(key)
            if kept is None:
                if answer is not None:
                    self.answers[key] = answer
            elif answer is not None and answer.value != kept.value and key not in self.conflicts:
                self.conflicts.append(key)
            return
        self.seen.add(key)
        if answer is not None:
            self.answers[key] = answer

    def read(self, control: _Control, slot: _Slot | None, method: Method) -> RawAnswer | None:
        if control.kind == "checkbox" or (slot is not None and slot.box):
            text = "" if control.placeholder else self.text.control(control)
            return _box(text, control.checked, method)
        if control.placeholder:
            return None
        tail = self.plan.tails.get(slot.key) if self.plan is not None and slot else None
        if tail is not None and control.kind == "richText":
            text = self.long_text(control, tail)
        else:
            text = self.text.control(control)
        if _is_placeholder(text):
            return None
        if control.kind == "dropDownList":
            text = _item_value(text, control.items() or _field_items(slot.field if slot else None))
        return RawAnswer(text, method)

    def long_text(self, control: _Control, tail: tuple[re.Pattern[str], ...]) -> str:
        """A company template's long answer: the control, and what LibreOffice left after it.

        LibreOffice 7.4 re-saves a block of paragraphs as a control holding the
        first, in a paragraph of its own, the others following it as plain
        paragraphs. They are taken up to the next field, table or cell, or up
        to the first paragraph of the template's own text after the control.
        """
        text = self.text.of(control.content)
        parent = control.sdt.getparent()
        if parent is None or parent.tag != _W_P:
            return text.strip()  # still a block (Word): the answer is all inside
        if self.paragraphs is None:
            self.paragraphs = _Paragraphs(self.root, self.controls)
        following: list[Any] = []
        for paragraph in self.paragraphs.after(parent):
            folded = fold(self.text.paragraph(paragraph))
            if folded and any(pattern.fullmatch(folded) for pattern in tail):
                break
            following.append(paragraph)
        if following:
            self.text.consumed.update(following)
            text += "\n" + self.text.joined(following)
        return text.strip()

    # --- untagged controls, by position ---------------------------------------

    def by_position(self, controls: list[_Control], untagged: list[_Control]) -> None:
        who = software(self.extraction.producer)
        n = len(untagged)
        unlabelled = count(n, "champ sans étiquette", "champs sans étiquette")
        if self.plan is None:
            self.notes.append(
                f"Enregistré par {who} : {unlabelled} non lus, faute de connaître le formulaire."
            )
            return
        if self.seen >= self.plan.by_key.keys():
            self.notes.append(
                f"{count(n, 'champ sans étiquette ajouté', 'champs sans étiquette ajoutés')} "
                "au formulaire : non lus, toutes les réponses attendues ont été trouvées."
            )
            return
        problem = _misaligned(controls, self.plan.slots)
        if problem is not None:
            self.misaligned = True
            self.notes.append(
                f"Enregistré par {who} : {unlabelled} ne correspondent pas au formulaire "
                f"vierge ({problem}) ; ils n'ont pas été repris par leur position, "
                "les réponses ont été cherchées dans les tableaux."
            )
            return
        tangled: list[str] = []
        for control, slot in zip(controls, self.plan.slots, strict=True):
            if control.tag is None and control.tangled:
                self.seen.add(slot.key)  # found, but what it holds is not certain
                tangled.append(self.label(slot.key))
            elif control.tag is None:
                self.take(slot.key, control, slot, "control_order")
        read = n - len(tangled)
        if read:
            self.notes.append(
                f"Enregistré par {who} : "
                + (
                    "1 champ sans étiquette, repéré par sa position."
                    if read == 1
                    else f"{read} champs sans étiquette, repérés par leur position."
                )
            )
        if tangled:
            shown = ", ".join(f"« {_short(label)} »" for label in tangled)
            self.notes.append(
                f"Enregistré par {who} : {count(len(tangled), 'champ', 'champs')} non lus "
                f"({shown}). Placés côte à côte dans le modèle, sans rien entre eux, ils ont "
                f"été imbriqués l'un dans l'autre par {who} : la réponse de chacun ne peut pas "
                "être distinguée. Reprenez ces réponses dans le document ; dans le modèle Word, "
                "séparez ces champs par un espace ou un libellé."
            )

    # --- no control: the text of the tables -----------------------------------

    def from_text(self, missing: set[str], controls: int) -> None:
        assert self.layout is not None
        found: dict[str, RawAnswer] = {}
        reader = _Paper(self.root, self.layout, self.text)
        for key, answer in reader.answers(missing):
            if key in missing and key not in found:
                found[key] = answer
        self.answers.update(found)
        if not found:
            return
        where = count(len(found), "réponse lue", "réponses lues")
        if controls == 0:
            self.notes.append(
                f"Le document ne contient plus aucun champ de formulaire (enregistré par "
                f"{software(self.extraction.producer)}) : {where} dans les cellules des "
                "tableaux et sous les libellés, à vérifier."
            )
        elif self.misaligned:
            self.notes.append(
                f"{where} dans les cellules des tableaux et sous les libellés, à vérifier."
            )
        else:
            self.notes.append(
                f"{where} dans le texte du formulaire, hors des champs (champs supprimés ou "
                "retapés) : à vérifier."
            )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _misaligned(controls: list[_Control], slots: tuple[_Slot, ...]) -> str | None:
    """Why ``controls`` cannot be matched one for one to ``slots``, or None if they can."""
    if len(controls) != len(slots):
        return f"{len(controls)} champs trouvés, {len(slots)} attendus"
    for n, (control, slot) in enumerate(zip(controls, slots, strict=True), start=1):
        alias = control.alias() if slot.alias is not None else None
        if (
            control.kind != slot.kind
            or (control.tag is not None and control.tag != slot.key)
            or (
                alias is not None
                and slot.alias is not None
                and alias != slot.alias
                and fold(alias) != fold(slot.alias)
            )
        ):
            return f"le champ n° {n} devrait être « {slot.field.label} »"
    return None


# --------------------------------------------------------------------------- text only


def _number(element: Any, default: int) -> int:
    """The ``w:val`` of ``element`` as a small count (a grid span), ``default`` if none."""
    value = element.get(_W_VAL) if element is not None else None
    return int(value) if value and value.isdecimal() and len(value) < 4 else default


def _children(parent: Any, tag: str) -> list[Any]:
    """Children of ``parent`` named ``tag``, also inside row or cell content controls."""
    found = []
    for child in parent:
        if child.tag == tag:
            found.append(child)
        elif child.tag == _W_SDT:
            for content in child.iterchildren(_W_SDTCONTENT):
                found.extend(content.iterchildren(tag))
    return found


def _rows(table: Any) -> list[list[tuple[int, Any]]]:
    """Each row's cells with the grid column each starts at (merged cells span several)."""
    rows = []
    for row in _children(table, _W_TR):
        start = _number(row.find(f"{_W_TRPR}/{_W_GRID_BEFORE}"), 0)
        cells = []
        for cell in _children(row, _W_TC):
            cells.append((start, cell))
            start += max(_number(cell.find(f"{_W_TCPR}/{_W_GRID_SPAN}"), 1), 1)
        rows.append(cells)
    return rows


def _option_mark(text: str) -> tuple[str, str]:
    """("☒", "Formation") from "☒ Formation": the mark typed or drawn before an option."""
    text = text.strip()
    if text[:1] in _BOX_MARKS and (text[:1] not in "Xx" or text[1:2].isspace()):
        return text[:1], text[1:].strip()
    return "", text


def _boxes_in(node: Any) -> bool | None:
    """The state of the first Word check box inside ``node``, if there is one."""
    box = next(node.iter(_W14_CHECKBOX), None)
    if box is None:
        return None
    checked = box.find(_W14_CHECKED)
    return False if checked is None else _checked(checked)


class _Paper:
    """The answers of a form whose controls are gone, found in its text as we lay it out.

    Tables: the cell under the column header and beside the row header. Other
    fields: the paragraphs after the label, in the same cell for short answers
    (laid out two by two), in the framed box below for long ones.
    """

    def __init__(self, root: Any, layout: FormLayout, text: _Text) -> None:
        self.root = root
        self.layout = layout
        self.text = text

    def answers(self, wanted: set[str]) -> Iterator[tuple[str, RawAnswer]]:
        tables = [i for s in self.layout.sections for i in s.items if isinstance(i, Table)]
        if any(c.id in wanted or f"{c.id}#1" in wanted for t in tables for c in t.fields):
            yield from self.tables(tables, wanted)
        fields = [i for s in self.layout.sections for i in s.items if isinstance(i, Field)]
        if any(f.id in wanted or f"{f.id}#1" in wanted for f in fields):
            yield from self.fields(fields)

    # --- tables ----------------------------------------------------------------

    def tables(self, tables: list[Table], wanted: set[str]) -> Iterator[tuple[str, RawAnswer]]:
        found = list(self.root.iter(_W_TBL))
        cursor = 0
        for table in tables:
            numbered = all(row.label is None for row in table.rows)
            title = table.row_header or ("N°" if numbered else "")
            signature = [fold(t) for t in (title, *(c.label for c in table.columns))]
            for index in range(cursor, len(found)):
                rows = _rows(found[index])
                if rows and [fold(self.text.of(tc)) for _, tc in rows[0]] == signature:
                    cursor = index + 1
                    yield from self.table(table, rows, wanted)
                    break

    def table(
        self, table: Table, rows: list[list[tuple[int, Any]]], wanted: set[str]
    ) -> Iterator[tuple[str, RawAnswer]]:
        column_at = {start: n for n, (start, _) in enumerate(rows[0])}
        by_lead = {fold(r.label if r.label is not None else r.key): r for r in table.rows}
        for cells in rows[1:]:
            lead = next((tc for start, tc in cells if start == 0), None)
            row = by_lead.pop(fold(self.text.of(lead)), None) if lead is not None else None
            if row is None:
                continue
            for start, tc in cells:
                n = column_at.get(start, 0)
                if n > 0:
                    field = row.cells[n - 1]
                    if field.id in wanted or f"{field.id}#1" in wanted:
                        yield from self.value(field, list(tc.iter(_W_P)))

    # --- stand-alone fields ------------------------------------------------------

    def fields(self, fields: list[Field]) -> Iterator[tuple[str, RawAnswer]]:
        paragraphs = list(self.root.iter(_W_P))
        texts = [self.text.paragraph(p) for p in paragraphs]
        folded = [fold(t) for t in texts]
        known = self.form_texts()
        cursor = 0
        for field in fields:
            label = fold(field.label)
            skip = {fold(field.help or ""), fold(f"Choix possibles : {_legend(field)}")}
            for i in range(cursor, len(paragraphs)):
                if field.type == "checkbox":
                    mark, rest = _option_mark(texts[i])
                    if fold(rest) == label:
                        cursor = i + 1
                        state = _boxes_in(paragraphs[i])
                        yield field.id, _box(mark, state, "table_cell")
                        break
                elif folded[i] == label:
                    cursor = i + 1
                    after = self.after_label(field, paragraphs, folded, i, skip, known)
                    yield from self.value(field, after)
                    break

    def after_label(
        self,
        field: Field,
        paragraphs: list[Any],
        folded: list[str],
        i: int,
        skip: set[str],
        known: set[str],
    ) -> list[Any]:
        """The paragraphs that hold the answer to the field labelled by paragraph ``i``."""
        cell = next(paragraphs[i].iterancestors(_W_TC), None)
        if cell is not None:  # short answers two by two: the rest of the label's cell
            inside = list(cell.iter(_W_P))
            start = inside.index(paragraphs[i]) + 1
            return [p for p in inside[start:] if fold(self.text.paragraph(p)) not in skip]
        limit = min(len(paragraphs), i + 1 + max(len(field.options), 1) + 4)
        taken: list[Any] = []
        for j in range(i + 1, limit):
            if folded[j] in skip:
                continue
            if field.type == "multichoice":
                rest = _option_mark(self.text.paragraph(paragraphs[j]))[1]
                if fold(rest) not in {fold(o) for o in field.options}:
                    break
                taken.append(paragraphs[j])
                continue
            box = next(paragraphs[j].iterancestors(_W_TC), None)
            if field.type == "longtext" and box is not None:
                return list(box.iter(_W_P))  # the framed box under the label
            if box is not None or folded[j] in known:
                break  # nothing typed here: what follows belongs to another question
            taken.append(paragraphs[j])
            if field.type != "longtext":
                break
        return taken

    def form_texts(self) -> set[str]:
        """What the form prints around answers: never taken for an answer."""
        texts = {fold(self.layout.title), fold(self.layout.privacy_notice)}
        for section in self.layout.sections:
            texts |= {fold(section.title), fold(section.guidance or "")}
            for item in section.items:
                texts |= {fold(item.label), fold(item.help or "")}
        texts.discard("")
        return texts

    # --- one value --------------------------------------------------------------

    def value(self, field: Field, paragraphs: list[Any]) -> Iterator[tuple[str, RawAnswer]]:
        if field.type == "multichoice":
            options = {fold(o): n for n, o in enumerate(field.options, start=1)}
            for paragraph in paragraphs:
                mark, rest = _option_mark(self.text.paragraph(paragraph))
                n = options.get(fold(rest))
                if n is not None:
                    yield f"{field.id}#{n}", _box(mark, _boxes_in(paragraph), "table_cell")
            return
        text = self.text.joined(paragraphs).strip()
        if field.type == "checkbox":
            state = next((s for p in paragraphs if (s := _boxes_in(p)) is not None), None)
            yield field.id, _box(text, state, "table_cell")
            return
        if _is_placeholder(text):
            return
        if field.type in ("choice", "rating"):
            text = _item_value(text, _field_items(field))
        yield field.id, RawAnswer(text, "table_cell")


def _legend(field: Field) -> str:
    """The list of choices printed under a drop-down, as the renderer writes it."""
    return " · ".join(display for display, _ in _field_items(field))
