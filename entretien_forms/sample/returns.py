"""Fill issued forms in code, the way Word and a PDF viewer store answers.

Used by ``entretien demo`` to play the managers (returns that then go through
the real inbox) and by the tests' round trips. Word: the control's
placeholder flag is removed and its text replaced, a drop-down shows its
item's text, a check box gets ``w14:checked`` and ☒; PDF: field values are set
as a viewer saves them (pypdf), check boxes get their on-state.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = {"w": W, "w14": W14}


def fill_docx(source: Path, text: dict[str, str], checked: dict[str, bool]) -> bytes:
    """The .docx at ``source`` with ``text`` typed or chosen and ``checked`` boxes ticked."""
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(parts["word/document.xml"])
    for sdt in root.iter(f"{{{W}}}sdt"):
        tag = sdt.find("w:sdtPr/w:tag", NS)
        key = tag.get(f"{{{W}}}val") if tag is not None else None
        pr, content = sdt.find("w:sdtPr", NS), sdt.find("w:sdtContent", NS)
        assert pr is not None and content is not None
        if key in checked:
            box = pr.find("w14:checkbox/w14:checked", NS)
            assert box is not None, key
            box.set(f"{{{W14}}}val", "1" if checked[key] else "0")
            for t in content.iter(f"{{{W}}}t"):
                t.text = "☒" if checked[key] else "☐"
        elif key in text:
            value = text[key]
            for item in pr.iterfind("w:dropDownList/w:listItem", NS):
                if item.get(f"{{{W}}}value") == value:
                    value = item.get(f"{{{W}}}displayText") or value  # Word shows the text
            for placeholder in pr.findall("w:showingPlcHdr", NS):
                pr.remove(placeholder)
            paragraphs = content.findall("w:p", NS)
            lines = value.split("\n")
            if paragraphs:  # a block-level (rich text) control: one paragraph per line
                for p in paragraphs[1:]:
                    content.remove(p)
                first = paragraphs[0]
                for child in list(first):
                    if child.tag != f"{{{W}}}pPr":
                        first.remove(child)
                for n, line in enumerate(lines):
                    p = first if n == 0 else etree.SubElement(content, f"{{{W}}}p")
                    run = etree.SubElement(p, f"{{{W}}}r")
                    etree.SubElement(run, f"{{{W}}}t").text = line
            else:
                for child in list(content):
                    content.remove(child)
                run = etree.SubElement(content, f"{{{W}}}r")
                etree.SubElement(run, f"{{{W}}}t").text = value
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def fill_pdf(source: Path, text: dict[str, str], checked: dict[str, bool]) -> bytes:
    """The PDF at ``source`` with fields filled and boxes ticked, as a viewer saves it."""
    writer = PdfWriter(clone_from=PdfReader(source))
    radios = _radio_groups(writer)
    values: dict[str, Any] = {k: v for k, v in text.items() if k not in radios}
    writer.update_page_form_field_values(None, values, auto_regenerate=False)
    for name, group in radios.items():
        if name not in text:
            continue
        # A viewer clicks the option's box: the group's value and each box's state
        # become the on-state of that box (its position in /Opt).
        exports = [str(option) for option in group["/Opt"]]
        state = NameObject(f"/{exports.index(text[name])}")
        group[NameObject("/V")] = state
        for kid in group["/Kids"]:
            widget = kid.get_object()
            on = state in widget["/AP"]["/N"]
            widget[NameObject("/AS")] = state if on else NameObject("/Off")
    for page in writer.pages:
        for annotation in page.get("/Annots", []):
            widget = annotation.get_object()
            parent = widget.get("/Parent")
            name = _full_name(widget)
            if checked.get(name):
                target = widget if "/T" in widget else parent.get_object()
                target[NameObject("/V")] = NameObject("/Oui")
                widget[NameObject("/AS")] = NameObject("/Oui")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _radio_groups(writer: PdfWriter) -> dict[str, Any]:
    """The radio groups of the form (choices, ratings) by full name: a field with /Opt."""
    groups: dict[str, Any] = {}
    for page in writer.pages:
        for annotation in page.get("/Annots", []):
            parent = annotation.get_object().get("/Parent")
            if parent is None:
                continue
            group = parent.get_object()
            if group.get("/FT") == "/Btn" and "/Opt" in group:
                groups[_full_name(group)] = group
    return groups


def _full_name(widget: Any) -> str:
    parts = []
    node = widget
    while node is not None:
        node = node.get_object()
        if "/T" in node:
            parts.append(str(node["/T"]))
        node = node.get("/Parent")
    return ".".join(reversed(parts))


# What the demo's managers write: plausible, varied, and covering every field type.
_ANNUAL = (
    ("Présentiel", "Trois nouveaux comptes signés, dont un grand compte régional.", "SEO", "Haute"),
    ("Visio", "Salon professionnel réussi : 40 leads qualifiés.", "Négociation avancée", "Moyenne"),
    ("Présentiel", "Refonte du suivi client dans le CRM.", "formation SEO avancé", "Haute"),
    ("Visio", "Objectif de closing dépassé au second semestre.", "Anglais commercial", "Basse"),
)


def sample_returns(issued: list[tuple[str, Path]], today: date) -> list[tuple[str, bytes]]:
    """Returns as the demo's managers send them: (file name, content).

    ``issued`` is (kind, path of an issued .docx or .pdf). Annual forms come
    back filled in Word, professional ones filled in a PDF viewer; the last
    annual form comes back without its interview date (a required answer, so
    a warning, not a rejection); one hostile file (an old .doc) is added.
    """
    returns: list[tuple[str, bytes]] = []
    annual = [path for kind, path in issued if kind == "annuel" and path.suffix == ".docx"]
    professional = [p for kind, p in issued if kind == "professionnel" and p.suffix == ".pdf"]
    held = today.strftime("%d/%m/%Y")
    for n, path in enumerate(annual):
        mode, success, theme, priority = _ANNUAL[n % len(_ANNUAL)]
        text = {
            "entretien.date": held,
            "entretien.mode": mode,
            "bilan.reussites": success,
            "objectifs_precedents.1.objectif": "Développer le portefeuille clients",
            "objectifs_precedents.1.atteinte": str(2 + n % 3),
            "formations.1.theme": theme,
            "formations.1.modalite": "Formation",
            "formations.1.priorite": priority,
            "formations.1.periode": "Premier semestre",
            "competences.communication.auto": str(2 + n % 2),
            "competences.communication.manager": str(1 + n % 4),
            "competences.esprit_equipe.manager": "3",
        }
        if n == len(annual) - 1:
            del text["entretien.date"]  # forgotten by the manager: a warning on the return
        returns.append((f"retour-{path.name}", fill_docx(path, text, {})))
    occasion = "Périodique (tous les 4 ans)"
    for path in professional:
        text = {
            "entretien.date": held,
            "entretien.mode": "Présentiel",
            "entretien.occasion": occasion,
            "copie_remise_le": held,
            "perspectives.projet_2_5_ans": "Évoluer vers un poste de responsable de secteur.",
            "formations.1.theme": "Management d'équipe",
            "formations.1.modalite": "Formation",
            "formations.1.priorite": "Moyenne",
        }
        checked = {"information.vae": True, "information.cpf": True, "information.cep": True}
        returns.append((f"retour-{path.name}", fill_pdf(path, text, checked)))
    old_word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048  # a Word 97-2003 file
    returns.append(("entretien-ancien-format.doc", old_word))
    return returns
