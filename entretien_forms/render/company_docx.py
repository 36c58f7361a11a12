"""A company's own Word template, filled per employee like the built-in form.

HR lays out the form in Word, with its logo and wording: Jinja2 placeholders
(``{{ salarie.nom }}``) for what is pre-filled, and content controls tagged
with the form's field ids for the answers. The template is checked once, at
compile time, so that a typo in a placeholder or a tag is reported with the
file name before any form is issued, not in the middle of a campaign.

Word splits typed text into runs as it likes (spell check, formatting,
editing history), so a placeholder is often spread over several ``w:r``: the
runs of a paragraph are merged back around each placeholder first.
Everything HR made is kept as it is: only placeholders, the content of
controls with a value and the ``entretien_*`` custom properties change; other
parts are copied byte for byte.
"""

from __future__ import annotations

import contextlib
import copy
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from jinja2 import Template, TemplateError, TemplateSyntaxError, meta

# lxml comes with python-docx; it keeps namespace declarations that Word needs
# (mc:Ignorable names prefixes no element uses), where xml.etree drops them.
from lxml import etree  # type: ignore[import-untyped]

from entretien_forms.errors import FormDefinitionError
from entretien_forms.forms.contract import (
    CHECKED,
    OPTION_SEPARATOR,
    UNCHECKED,
    docx_properties,
    option_key,
    rating_items,
)
from entretien_forms.forms.definition import PREFILL_VARIABLES
from entretien_forms.forms.jinja import ENV
from entretien_forms.forms.model import Field, FormLayout, FormValues, Identity
from entretien_forms.render import _docx_parts as parts
from entretien_forms.render.docx import (
    Value,
    is_checked,
    parse_date,
    selected_options,
    shown_text,
)

W = f"{{{parts.NS_W}}}"
W14 = f"{{{parts.NS_W14}}}"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Name of the stream holding an encrypted OOXML package (MS-OFFCRYPTO), in UTF-16.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# A Word template is a few hundred kilobytes, a few megabytes with pictures:
# far beyond these, it is a zip bomb or not a template.
MAX_TEMPLATE_BYTES = 50_000_000
_MAX_UNCOMPRESSED = 200_000_000
_MAX_RATIO = 200
_MAX_ENTRIES = 2_000
_MACRO_DOCUMENT = "application/vnd.ms-word.document.macroEnabled.main+xml"
# Parts that may hold placeholders and content controls.
_TEXT_PART = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_STRAIGHT_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_MARKER = re.compile(r"<\?entretien (\d+)\?>")
_XMLNS = re.compile(r' xmlns(?::([\w.-]+))?="([^"]*)"')
# Character styles of Word's grey placeholder text, by name: the style id is
# translated ("PlaceholderText", « Textedelespacerserv » in a French Word).
_PLACEHOLDER_STYLE_NAME = "Placeholder Text"
_SDT_TYPES = frozenset(
    {
        "equation",
        "comboBox",
        "date",
        "docPartObj",
        "docPartList",
        "dropDownList",
        "picture",
        "richText",
        "text",
        "citation",
        "group",
        "bibliography",
    }
)
# Children of w:sdtPr that come after w:lock (CT_SdtPr order).
_AFTER_LOCK = (
    frozenset({"placeholder", "temporary", "showingPlcHdr", "dataBinding", "label", "tabIndex"})
    | _SDT_TYPES
)
# Text of a paragraph's own runs, also inside a link or a tracked insertion; not
# inside a content control, whose text belongs to the answer.
_PARAGRAPH_TEXT = "./w:r/w:t | ./w:ins/w:r/w:t | ./w:hyperlink/w:r/w:t | ./w:smartTag/w:r/w:t"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _where(part: str) -> str:
    """The place of ``part`` in the document, as HR sees it in Word."""
    if "header" in part:
        return "dans l'en-tête"
    if "footer" in part:
        return "dans le pied de page"
    return "dans le corps du document"


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True)
class _Placeholder:
    """``{{ ... }}`` in a run of text: replaced by its value, escaped."""

    source: str
    template: Template
    file_name: str

    def render(self, identity: Identity, values: FormValues, scope: Mapping[str, Any]) -> str:
        try:
            value = self.template.render(scope)
        except TemplateError as exc:
            raise FormDefinitionError(
                f"{self.file_name}, repère « {self.source} » : impossible de le remplir pour le "
                f"matricule {identity.matricule} ({exc}). Corrigez-le dans Word ; pour une valeur "
                "qui peut manquer, écrivez par exemple « {{ manager.nom if manager else '' }} »."
            ) from exc
        if value == "None":
            return ""
        return parts.text(value.replace("\r", " ").replace("\n", " "))


@dataclass(frozen=True)
class _Control:
    """A content control tagged with a field id: written anew when the field has a value."""

    field: Field
    option: int | None  # 1-based option of a multiple choice (tag "<id>#<n>")
    element: etree._Element  # the control as HR made it
    empty: str
    placeholder_styles: frozenset[str]
    inherited: Mapping[str | None, str]  # namespaces declared around the control

    def render(self, identity: Identity, values: FormValues, scope: Mapping[str, Any]) -> str:
        value = values.get(self.field.id)
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.empty
        sdt = copy.deepcopy(self.element)
        _fill(sdt, self.field, self.option, value, self.placeholder_styles)
        return _fragment(sdt, self.inherited)


_Slot: TypeAlias = _Placeholder | _Control


@dataclass(frozen=True)
class _CompiledPart:
    name: str
    pieces: tuple[str | _Slot, ...]

    def render(self, identity: Identity, values: FormValues, scope: Mapping[str, Any]) -> bytes:
        return "".join(
            p if isinstance(p, str) else p.render(identity, values, scope) for p in self.pieces
        ).encode("utf-8")


# --------------------------------------------------------------------------- filling controls


def _fragment(element: etree._Element, inherited: Mapping[str | None, str]) -> str:
    """``element`` as XML text without the namespace declarations its ancestors already make."""
    xml: str = etree.tostring(element, encoding="unicode", with_tail=False)
    head, rest = xml.split(">", 1)

    def keep(found: re.Match[str]) -> str:
        return "" if inherited.get(found.group(1)) == found.group(2) else found.group(0)

    return _XMLNS.sub(keep, head) + ">" + rest


def _w(name: str, **attrs: str) -> etree._Element:
    element = etree.Element(f"{W}{name}")
    for key, val in attrs.items():
        element.set(f"{W}{key}", val)
    return element


def _run_like(model: etree._Element | None, value: str, styles: frozenset[str]) -> etree._Element:
    """A run holding ``value``, formatted as ``model`` but without the placeholder style."""
    run = _w("r")
    rpr = model.find(f"{W}rPr") if model is not None else None
    if rpr is not None:
        rpr = copy.deepcopy(rpr)
        style = rpr.find(f"{W}rStyle")
        if style is not None and style.get(f"{W}val") in styles:
            rpr.remove(style)
        run.append(rpr)
    for n, line in enumerate(_lines(value)):
        if n:
            run.append(_w("br"))
        t = _w("t")
        t.text = parts.xml_chars(line)
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
    return run


def _set_lock(pr: etree._Element) -> None:
    lock = pr.find(f"{W}lock")
    if lock is None:
        lock = _w("lock")
        after = next((c for c in pr if etree.QName(c).localname in _AFTER_LOCK), None)
        if after is not None:
            after.addprevious(lock)
        else:
            pr.append(lock)
    lock.set(f"{W}val", "sdtContentLocked")


def _display(pr: etree._Element, field: Field, text: str) -> str:
    """What a control shows for ``text``: the item of a list, the French date."""
    lists = pr.find(f"{W}dropDownList")
    if lists is None:
        lists = pr.find(f"{W}comboBox")
    if lists is not None:
        items = [(i.get(f"{W}displayText") or "", i.get(f"{W}value") or "") for i in lists]
        if not items and field.type == "rating":
            items = list(rating_items(field))
        chosen = next((i for i in items if text.strip() in i), None)
        if chosen is not None:
            lists.set(f"{W}lastValue", chosen[1])
            return chosen[0] or chosen[1]
        return text
    picker = pr.find(f"{W}date")
    if picker is not None:
        parsed = parse_date(text)
        if parsed is not None:
            picker.set(f"{W}fullDate", f"{parsed.isoformat()}T00:00:00Z")
            return parsed.strftime("%d/%m/%Y")
    return text


def _fill(
    sdt: etree._Element,
    field: Field,
    option: int | None,
    value: Value,
    styles: frozenset[str],
) -> None:
    """Write ``value`` into ``sdt`` by the rules of the built-in form."""
    pr = sdt.find(f"{W}sdtPr")
    content = sdt.find(f"{W}sdtContent")
    if pr is None or content is None:
        return
    for shown in pr.findall(f"{W}showingPlcHdr"):
        pr.remove(shown)
    if field.locked:
        _set_lock(pr)
    box = pr.find(f"{W14}checkbox")
    if box is not None:
        if option is not None:
            checked = field.options[option - 1] in selected_options(field, value)
        else:
            checked = is_checked(value)
        _tick(box, content, checked)
        return
    text = shown_text(value)
    if text is None:
        return
    shown = _display(pr, field, text)
    paragraphs = content.findall(f"{W}p")
    if paragraphs:  # block-level: one paragraph per line
        model = paragraphs[0]
        ppr = model.find(f"{W}pPr")
        run = model.find(f".//{W}r")
        for child in list(content):
            content.remove(child)
        for line in _lines(shown):
            paragraph = _w("p")
            if ppr is not None:
                paragraph.append(copy.deepcopy(ppr))
            paragraph.append(_run_like(run, line, styles))
            content.append(paragraph)
    elif content.find(f"{W}tc") is None and content.find(f"{W}tr") is None:
        run = content.find(f".//{W}r")
        for child in list(content):
            content.remove(child)
        flat = shown if field.type == "longtext" else " ".join(_lines(shown))
        content.append(_run_like(run, flat, styles))


def _lines(value: str) -> list[str]:
    """Lines as typed (not ``str.splitlines``, which also breaks on form feeds and the like)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _tick(box: etree._Element, content: etree._Element, checked: bool) -> None:
    state = box.find(f"{W14}checked")
    if state is None:
        state = etree.Element(f"{W14}checked")
        box.insert(0, state)
    state.set(f"{W14}val", "1" if checked else "0")
    symbol = box.find(f"{W14}{'checkedState' if checked else 'uncheckedState'}")
    char = CHECKED if checked else UNCHECKED
    if symbol is not None and symbol.get(f"{W14}val"):
        with contextlib.suppress(ValueError):
            char = chr(int(symbol.get(f"{W14}val", ""), 16))
    t = content.find(f".//{W}t")
    if t is None:
        run = content.find(f".//{W}r")
        if run is None:
            run = etree.SubElement(content, f"{W}r")
        t = etree.SubElement(run, f"{W}t")
    t.text = char


# --------------------------------------------------------------------------- compiling


class _PartCompiler:
    """Turns one XML part into constant text and slots, checking what HR wrote."""

    def __init__(self, template: _TemplateCompiler, name: str, root: etree._Element) -> None:
        self.t = template
        self.name = name
        self.root = root
        self.slots: list[_Slot] = []

    def fail(self, reason: str) -> FormDefinitionError:
        return FormDefinitionError(f"{self.t.file_name} ({_where(self.name)}) : {reason}")

    def marker(self, slot: _Slot) -> etree._Element:
        self.slots.append(slot)
        return etree.ProcessingInstruction("entretien", str(len(self.slots) - 1))

    def compile(self) -> _CompiledPart | None:
        """The part's pieces, or None when it has nothing to fill (kept byte for byte)."""
        controls = [s for s in self.root.iter(f"{W}sdt") if self._tag(s) is not None]
        tagged = {id(s) for s in controls}
        for paragraph in list(self.root.iter(f"{W}p")):
            inside = any(id(a) in tagged for a in paragraph.iterancestors(f"{W}sdt"))
            self._placeholders(paragraph, inside_control=inside)
        for sdt in controls:
            self._control(sdt)
        if not self.slots:
            return None
        xml = etree.tostring(self.root, encoding="unicode")
        pieces: list[str | _Slot] = [parts.XML_DECLARATION]
        for n, chunk in enumerate(_MARKER.split(xml)):
            pieces.append(self.slots[int(chunk)] if n % 2 else chunk)
        return _CompiledPart(self.name, tuple(p for p in pieces if p != ""))

    @staticmethod
    def _tag(sdt: etree._Element) -> str | None:
        tag = sdt.find(f"{W}sdtPr/{W}tag")
        value = tag.get(f"{W}val") if tag is not None else None
        return value if value else None

    def _control(self, sdt: etree._Element) -> None:
        tag = self._tag(sdt)
        assert tag is not None
        field, option = self.t.field_for(tag, self)
        if any(self._tag(inner) is not None for inner in sdt.iter(f"{W}sdt") if inner is not sdt):
            return  # a group of controls: its members are filled, not the group
        if tag in self.t.seen:
            raise self.fail(
                f"l'étiquette « {tag} » est portée par deux contrôles de contenu ; chaque champ "
                "ne doit figurer qu'une fois dans le modèle."
            )
        self.t.seen.add(tag)
        parent = sdt.getparent()
        assert parent is not None
        inherited = dict(parent.nsmap)
        slot = _Control(
            field, option, copy.deepcopy(sdt), _fragment(sdt, inherited), self.t.styles, inherited
        )
        marker = self.marker(slot)
        marker.tail = sdt.tail
        parent.replace(sdt, marker)

    def _placeholders(self, paragraph: etree._Element, *, inside_control: bool) -> None:
        """Merge each ``{{ ... }}`` into one text node, then mark it for its value."""
        nodes = paragraph.xpath(_PARAGRAPH_TEXT, namespaces={"w": parts.NS_W})
        full = "".join(t.text or "" for t in nodes)
        if "{" not in full:
            return
        if "{%" in full or "{#" in full:
            raise self.fail(
                f"« {_excerpt(full)} » : seuls les repères « {{{{ ... }}}} » sont pris en charge "
                "(pas de « {% ... %} » ni de « {# ... #} »)."
            )
        spans = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(full)]
        rest = _PLACEHOLDER.sub("", full)
        if "{{" in rest or "}}" in rest:
            raise self.fail(
                f"repère mal fermé dans « {_excerpt(full)} » : écrivez-le sous la forme "
                "« {{ salarie.nom }} »."
            )
        if not spans:
            return
        if inside_control:
            raise self.fail(
                f"le repère « {full[spans[0][0] : spans[0][1]]} » est dans un contrôle de "
                "contenu ; placez-le en dehors des contrôles."
            )
        # Owner of each character: the node it is in. A placeholder goes whole
        # into the node where it starts; literal text stays where it was.
        owner = [n for n, t in enumerate(nodes) for _ in range(len(t.text or ""))]
        content: list[list[str | _Slot]] = [[] for _ in nodes]
        position = 0
        for start, end in [*spans, (len(full), len(full))]:
            for i in range(position, start):
                target = content[owner[i]]
                if target and isinstance(target[-1], str):
                    target[-1] += full[i]
                else:
                    target.append(full[i])
            if start < end:
                content[owner[start]].append(self.t.placeholder(full[start:end], self))
            position = end
        for node, pieces in zip(nodes, content, strict=True):
            node.text = None
            for child in list(node):
                node.remove(child)
            previous: etree._Element | None = None
            for piece in pieces:
                if isinstance(piece, str):
                    if previous is None:
                        node.text = piece
                    else:
                        previous.tail = piece
                else:
                    previous = self.marker(piece)
                    node.append(previous)
            node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _excerpt(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


class _TemplateCompiler:
    """What the parts of one template share: the layout, the tags met so far."""

    def __init__(self, file_name: str, layout: FormLayout, styles: frozenset[str]) -> None:
        self.file_name = file_name
        self.layout = layout
        self.fields = {f.id: f for f in layout.fields}
        self.styles = styles
        self.seen: set[str] = set()

    def field_for(self, tag: str, part: _PartCompiler) -> tuple[Field, int | None]:
        field_id, _, number = tag.partition(OPTION_SEPARATOR)
        field = self.fields.get(field_id)
        help_ = (
            "Dans Word (onglet Développeur > Propriétés du contrôle), donnez-lui pour "
            "étiquette l'identifiant d'un champ ; la liste : « entretien forms show "
            f"{self.layout.form_id} »."
        )
        if field is None:
            raise part.fail(
                f"le contrôle de contenu étiqueté « {tag} » ne correspond à aucun champ du "
                f"formulaire « {self.layout.form_id} ». {help_}"
            )
        if field.type == "multichoice":
            count = len(field.options)
            if not number.isdigit() or not 1 <= int(number) <= count:
                first, last = option_key(field_id, 1), option_key(field_id, count)
                raise part.fail(
                    f"« {field_id} » est un champ à choix multiples : mettez une case à cocher "
                    f"par option, étiquetées « {first} » à « {last} » "
                    f"(étiquette trouvée : « {tag} »)."
                )
            return field, int(number)
        if number or OPTION_SEPARATOR in tag:
            raise part.fail(
                f"le contrôle de contenu étiqueté « {tag} » : seul un champ à choix multiples "
                f"prend un numéro d'option ; étiquetez ce contrôle « {field_id} ». {help_}"
            )
        return field, None

    def placeholder(self, source: str, part: _PartCompiler) -> _Placeholder:
        # Word's AutoFormat turns typed quotes into typographic ones as HR types.
        expression = source.translate(_STRAIGHT_QUOTES)
        try:
            parsed = ENV.parse(expression)
            template = ENV.from_string(expression)
        except TemplateSyntaxError as exc:
            raise part.fail(
                f"repère « {source} » incorrect ({exc.message}). Exemple de repère : "
                "« {{ salarie.nom }} »."
            ) from exc
        unknown = meta.find_undeclared_variables(parsed) - PREFILL_VARIABLES
        if unknown:
            raise part.fail(
                f"repère « {source} » : variable(s) {', '.join(sorted(unknown))} inconnue(s) "
                f"(variables possibles : {', '.join(sorted(PREFILL_VARIABLES))})."
            )
        return _Placeholder(source, template, self.file_name)


# --------------------------------------------------------------------------- the package


def _read_package(path: Path) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    """Every entry of the template, after the checks that keep a hostile file out."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            start = handle.read(8)
    except FileNotFoundError:
        raise FormDefinitionError(
            f"{path} : modèle Word introuvable. Vérifiez le chemin."
        ) from None
    except OSError as exc:
        raise FormDefinitionError(f"{name} : lecture impossible ({exc.strerror}).") from exc
    if size > MAX_TEMPLATE_BYTES:
        raise FormDefinitionError(
            f"{name} : modèle trop volumineux ({size // 1_000_000} Mo). Réduisez les images du "
            "document (Fichier > Compresser les images dans Word)."
        )
    if start.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in path.read_bytes()[:1_000_000]:
            raise FormDefinitionError(
                f"{name} est protégé par un mot de passe. Retirez la protection dans Word "
                "(Fichier > Informations > Protéger le document) et enregistrez-le."
            )
        raise FormDefinitionError(
            f"{name} est au format Word 97-2003 (.doc). Ouvrez-le dans Word et enregistrez-le "
            "au format « Document Word (.docx) »."
        )
    if not start.startswith(_ZIP_MAGIC):
        raise FormDefinitionError(
            f"{name} n'est pas un document Word (.docx). Enregistrez le modèle depuis Word au "
            "format « Document Word (.docx) »."
        )
    try:
        with zipfile.ZipFile(path) as package:
            entries = package.infolist()
            _check_entries(name, entries)
            return entries, {e.filename: package.read(e) for e in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise FormDefinitionError(
            f"{name} : fichier compressé endommagé ({exc}). Enregistrez à nouveau le modèle "
            "depuis Word."
        ) from exc


def _check_entries(name: str, entries: Sequence[zipfile.ZipInfo]) -> None:
    if any(e.flag_bits & 0x1 for e in entries):
        raise FormDefinitionError(
            f"{name} contient des parties chiffrées. Enregistrez le modèle depuis Word sans "
            "mot de passe."
        )
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries) or 1
    if (
        len(entries) > _MAX_ENTRIES
        or total > _MAX_UNCOMPRESSED
        or (total / packed > _MAX_RATIO and total > 10_000_000)
    ):
        raise FormDefinitionError(
            f"{name} : le modèle se décompresse en {total // 1_000_000} Mo et "
            f"{len(entries)} parties, c'est anormal (fichier piégé ou corrompu). Enregistrez à "
            "nouveau le modèle depuis Word."
        )
    names = {e.filename for e in entries}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise FormDefinitionError(
            f"{name} n'est pas un document Word (.docx). Enregistrez le modèle depuis Word au "
            "format « Document Word (.docx) »."
        )


def _parse(file_name: str, part: str, data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FormDefinitionError(
            f"{file_name} : la partie {part} est illisible ({exc}). Ouvrez le modèle dans Word "
            "et enregistrez-le à nouveau."
        ) from exc


def _placeholder_styles(file_name: str, files: Mapping[str, bytes]) -> frozenset[str]:
    ids = {"PlaceholderText"}
    if "word/styles.xml" in files:
        styles = _parse(file_name, "word/styles.xml", files["word/styles.xml"])
        for style in styles.iter(f"{W}style"):
            name = style.find(f"{W}name")
            if name is not None and name.get(f"{W}val") == _PLACEHOLDER_STYLE_NAME:
                ids.add(style.get(f"{W}styleId") or "")
    return frozenset(ids)


def _xml_bytes(root: etree._Element) -> bytes:
    xml: str = etree.tostring(root, encoding="unicode")
    return (parts.XML_DECLARATION + xml).encode("utf-8")


@dataclass(frozen=True)
class _CustomProperties:
    """Where ``custom.xml`` is, what it holds besides ours, and the package changes it needs."""

    name: str
    base: etree._Element | None  # the template's own custom.xml, if any
    changed: Mapping[str, bytes]  # [Content_Types].xml and _rels/.rels, when they change

    def render(self, identity: Identity) -> bytes:
        if self.base is None:
            root = etree.Element(
                f"{{{parts.NS_CUSTOM}}}Properties", nsmap={None: parts.NS_CUSTOM, "vt": parts.NS_VT}
            )
        else:
            root = copy.deepcopy(self.base)
        ours = docx_properties(identity)
        for prop in list(root):
            if prop.get("name") in ours:
                root.remove(prop)
        pid = max(
            (int(p.get("pid") or 1) for p in root if (p.get("pid") or "").isdigit()), default=1
        )
        for name, value in ours.items():
            pid += 1
            prop = etree.SubElement(root, f"{{{parts.NS_CUSTOM}}}property")
            prop.set("fmtid", "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}")
            prop.set("pid", str(pid))
            prop.set("name", name)
            etree.SubElement(prop, f"{{{parts.NS_VT}}}lpwstr").text = parts.xml_chars(value)
        return _xml_bytes(root)


def _custom_properties(file_name: str, files: Mapping[str, bytes]) -> _CustomProperties:
    rels = (
        _parse(file_name, parts.PACKAGE_RELS, files[parts.PACKAGE_RELS])
        if (parts.PACKAGE_RELS in files)
        else etree.Element(f"{{{parts.PKG_REL}}}Relationships", nsmap={None: parts.PKG_REL})
    )
    target = next(
        (r.get("Target") for r in rels if r.get("Type") == parts.REL_CUSTOM and r.get("Target")),
        None,
    )
    if target is not None:
        name = target.lstrip("/")
        if name in files:
            return _CustomProperties(name, _parse(file_name, name, files[name]), {})
    # No custom properties yet: add the part, its relationship and its content type.
    name = parts.CUSTOM
    changed: dict[str, bytes] = {}
    if target is None:
        taken = {r.get("Id") for r in rels}
        rel_id = next(f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
        rel = etree.SubElement(rels, f"{{{parts.PKG_REL}}}Relationship")
        rel.set("Id", rel_id)
        rel.set("Type", parts.REL_CUSTOM)
        rel.set("Target", name)
        changed[parts.PACKAGE_RELS] = _xml_bytes(rels)
    else:
        name = target.lstrip("/")
    types = _parse(file_name, parts.CONTENT_TYPES, files[parts.CONTENT_TYPES])
    if not any(o.get("PartName") == f"/{name}" for o in types):
        override = etree.SubElement(types, f"{{{parts.NS_CT}}}Override")
        override.set("PartName", f"/{name}")
        override.set("ContentType", parts.CT_CUSTOM)
        changed[parts.CONTENT_TYPES] = _xml_bytes(types)
    return _CustomProperties(name, None, changed)


class CompanyDocxTemplate:
    """A company's .docx checked against a form layout, ready to fill per employee."""

    def __init__(
        self,
        path: Path,
        layout: FormLayout,
        order: Sequence[str],
        fixed: Mapping[str, parts.ZipEntry],
        compiled: Mapping[str, _CompiledPart],
        custom: _CustomProperties,
    ) -> None:
        self.path = path
        self.layout = layout
        self._order = tuple(order)
        self._fixed = dict(fixed)
        self._compiled = dict(compiled)
        self._custom = custom

    @classmethod
    def compile(cls, path: Path, layout: FormLayout) -> CompanyDocxTemplate:
        """Read and check ``path``: every placeholder compiles, every tag is a field id."""
        entries, files = _read_package(path)
        types = files["[Content_Types].xml"].decode("utf-8", "replace")
        if _MACRO_DOCUMENT in types:
            raise FormDefinitionError(
                f"{path.name} contient des macros (.docm). Enregistrez le modèle au format "
                "« Document Word (.docx) », sans macros."
            )
        shared = _TemplateCompiler(path.name, layout, _placeholder_styles(path.name, files))
        compiled: dict[str, _CompiledPart] = {}
        for entry in entries:
            if _TEXT_PART.fullmatch(entry.filename):
                root = _parse(path.name, entry.filename, files[entry.filename])
                part = _PartCompiler(shared, entry.filename, root).compile()
                if part is not None:
                    compiled[entry.filename] = part
        custom = _custom_properties(path.name, files)
        fixed: dict[str, parts.ZipEntry] = {}
        for entry in entries:
            name = entry.filename
            if name in compiled or name == custom.name or entry.is_dir():
                continue
            data = custom.changed.get(name, files[name])
            if entry.compress_type == zipfile.ZIP_STORED:
                fixed[name] = parts.stored_entry(name, data)
            else:
                fixed[name] = parts.deflated_entry(name, data)
        order = [e.filename for e in entries if not e.is_dir()]
        if custom.name not in order:
            order.append(custom.name)
        return cls(path, layout, order, fixed, compiled, custom)

    def render(self, identity: Identity, values: FormValues, scope: Mapping[str, Any]) -> bytes:
        """The filled .docx of one employee; ``scope`` is what pre-fill expressions see."""
        entries = []
        for name in self._order:
            if name in self._fixed:
                entries.append(self._fixed[name])
            elif name in self._compiled:
                raw = self._compiled[name].render(identity, values, scope)
                entries.append(parts.deflated_entry(name, raw, 1))
            elif name == self._custom.name:
                entries.append(parts.deflated_entry(name, self._custom.render(identity), 1))
        return parts.zip_bytes(entries)
