"""The .docx renderer: content controls, tables, identity, package validity, hostile values."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import docx
import pytest
from factories import TODAY
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from entretien_forms.forms import campaign_context, load_catalog, prefill_values
from entretien_forms.forms.model import (
    Column,
    Field,
    FormLayout,
    FormValues,
    Identity,
    Section,
    Table,
    TableRow,
)
from entretien_forms.render import _docx_parts as parts
from entretien_forms.render.docx import (
    CONTENT_WIDTH,
    LINE_HEIGHT,
    DocxTemplate,
    column_widths,
    identity_properties,
)
from entretien_forms.render.qr import qr_png
from entretien_forms.roster import Employee

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
NS = {
    "w": parts.NS_W,
    "w14": parts.NS_W14,
    "r": parts.NS_R,
    "a": parts.NS_A,
    "wp": parts.NS_WP,
    "pic": parts.NS_PIC,
}
CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

IDENTITY = Identity(
    reference="EA-2026-00042",
    form_id="essai",
    form_version="3",
    kind="annuel",
    campaign="2026",
    matricule="S004",
    employee_name="Éloïse Lefèvre",
    manager_name="Marc Dubois",
    company="Horizon SAS",
    signature="0f" * 32,
    issued_on=TODAY,
)
# Roster values as they come from a hostile or broken export.
HOSTILE_NAME = 'Zoé <script>alert("x")</script> & ]]> \x00\x01\x1f \u202eRTL\u200f ' + "x" * 5000
HOSTILE = Identity(
    reference="EA-2026-00043",
    form_id="essai",
    form_version="3",
    kind="annuel",
    campaign="2026 ]]> <campagne>",
    matricule="M<1>&\x0b\"'",
    employee_name=HOSTILE_NAME,
    manager_name="<b>&amp;</b>\r\nDupont",
    company="Dupont & Fils <SARL> \ufffe",
    signature="0f" * 32,
    issued_on=TODAY,
)


def _cells(table_id: str, key: str, label: str | None, columns: Sequence[Column]) -> TableRow:
    return TableRow(
        key,
        label,
        tuple(
            Field(
                id=f"{table_id}.{key}.{c.id}",
                label=f"{c.label} ({key})",
                type=c.type,
                options=c.options,
                scale=c.scale,
                scale_labels=c.scale_labels,
            )
            for c in columns
        ),
    )


def _every_type_layout() -> FormLayout:
    """A small form with every field type, a numbered table and a skills grid."""
    objective_columns = (
        Column("objectif", "Objectif", "text"),
        Column("echeance", "Échéance", "date"),
        Column("atteint", "Obligatoire", "checkbox"),
    )
    skill_columns = (
        Column(
            "niveau",
            "Niveau",
            "rating",
            scale=(1, 2, 3),
            scale_labels=("Débutant", "Confirmé", "Expert"),
        ),
        Column("preuves", "Preuves", "multichoice", options=("Observé", "Déclaré")),
    )
    return FormLayout(
        form_id="essai",
        title="Essai 2026",
        kind="annuel",
        version="3",
        grid=None,
        sections=(
            Section(
                "Salarié",
                "Informations reprises de la liste du personnel.",
                (
                    Field("salarie.nom", "Nom", "text", prefilled=True, locked=True),
                    Field("salarie.entree", "Date d'entrée", "date", prefilled=True, locked=True),
                    Field("salarie.service", "Service", "text", prefilled=True, locked=True),
                    Field("bilan.ca", "Chiffre d'affaires (€)", "number", prefilled=True),
                ),
            ),
            Section(
                "1. Bilan",
                None,
                (
                    Field(
                        "bilan.resume",
                        "Résumé de l'année",
                        "longtext",
                        required=True,
                        help="Trois phrases au plus.",
                        lines=5,
                    ),
                    Field("bilan.date", "Date de l'entretien", "date", required=True),
                    Field("bilan.mode", "Modalité", "choice", options=("Présentiel", "Visio")),
                    Field(
                        "bilan.sujets",
                        "Sujets abordés",
                        "multichoice",
                        options=("Charge de travail", "Formation", "Mobilité"),
                    ),
                    Field(
                        "bilan.lu", "Le salarié a lu le compte rendu", "checkbox", prefilled=True
                    ),
                    Field(
                        "bilan.charge",
                        "Charge de travail",
                        "rating",
                        scale=(1, 2, 3, 4),
                        scale_labels=("Faible", "Adaptée", "Élevée", "Excessive"),
                    ),
                    Table(
                        "objectifs",
                        "Objectifs",
                        objective_columns,
                        tuple(_cells("objectifs", str(n), None, objective_columns) for n in (1, 2)),
                    ),
                    Table(
                        "competences",
                        "Compétences",
                        skill_columns,
                        (
                            _cells("competences", "crm", "CRM : pipeline à jour", skill_columns),
                            _cells("competences", "closing", "Closing", skill_columns),
                        ),
                        help="1 : débutant, 3 : expert.",
                        row_header="Compétence",
                    ),
                ),
            ),
        ),
        privacy_notice="Ne notez ici aucune donnée de santé.",
    )


LAYOUT = _every_type_layout()
VALUES: FormValues = {
    "salarie.nom": "Éloïse Lefèvre",
    "salarie.entree": "04/03/2019",
    "bilan.ca": "125000",
    "bilan.lu": True,
}


@pytest.fixture(scope="module")
def template() -> DocxTemplate:
    return DocxTemplate.compile(LAYOUT)


@pytest.fixture(scope="module")
def rendered_docx(template: DocxTemplate) -> bytes:
    return template.render(IDENTITY, VALUES)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None  # every CRC checks out
        return {name: package.read(name) for name in package.namelist()}


def _xml(data: bytes, part: str) -> etree._Element:
    return etree.fromstring(_parts(data)[part])


def _controls(root: etree._Element) -> dict[str, etree._Element]:
    """Every content control by tag; a tag seen twice fails the test."""
    found: dict[str, etree._Element] = {}
    for sdt in root.iter(f"{W}sdt"):
        tag = sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val")
        assert tag not in found, f"tag {tag} used twice"
        found[tag] = sdt
    return found


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def _content(sdt: etree._Element) -> str:
    return _text(sdt.find(f"{W}sdtContent"))


def _pr(sdt: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in sdt.find(f"{W}sdtPr")]


def _expected_tags(layout: FormLayout) -> set[str]:
    tags = set()
    for field in layout.fields:
        if field.type == "multichoice":
            tags |= {f"{field.id}#{n}" for n in range(1, len(field.options) + 1)}
        else:
            tags.add(field.id)
    return tags


def _clean(value: str) -> str:
    return NOT_XML.sub("", value)


# --------------------------------------------------------------------------- opening


def test_python_docx_opens_the_form(rendered_docx: bytes) -> None:
    document = docx.Document(io.BytesIO(rendered_docx))
    assert document.core_properties.title == "Essai 2026"
    assert document.core_properties.author == "Horizon SAS"
    assert document.core_properties.created.date() == TODAY
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [
        "Salarié",
        "1. Bilan",
    ]
    section = document.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == (
        pytest.approx(210, abs=0.1),
        pytest.approx(297, abs=0.1),
    )


def test_render_is_deterministic(template: DocxTemplate, rendered_docx: bytes) -> None:
    assert template.render(IDENTITY, VALUES) == rendered_docx


# --------------------------------------------------------------------------- controls


def test_one_control_per_field_with_the_right_type(rendered_docx: bytes) -> None:
    controls = _controls(_xml(rendered_docx, parts.DOCUMENT))
    assert set(controls) == _expected_tags(LAYOUT)
    kinds = {tag: _pr(sdt) for tag, sdt in controls.items()}
    assert "text" in kinds["bilan.date"] or "date" in kinds["bilan.date"]
    assert kinds["salarie.nom"][-1] == "text"
    assert kinds["bilan.ca"][-1] == "text"
    assert kinds["objectifs.1.objectif"][-1] == "text"
    assert kinds["bilan.date"][-1] == "date"
    assert kinds["objectifs.2.echeance"][-1] == "date"
    assert kinds["bilan.mode"][-1] == "dropDownList"
    assert kinds["bilan.charge"][-1] == "dropDownList"
    assert kinds["competences.crm.niveau"][-1] == "dropDownList"
    assert kinds["bilan.lu"][-1] == "checkbox"
    assert kinds["objectifs.1.atteint"][-1] == "checkbox"
    assert kinds["bilan.sujets#2"][-1] == "checkbox"
    assert kinds["competences.closing.preuves#1"][-1] == "checkbox"
    # Long text: a rich text control (no type element), at block level.
    assert kinds["bilan.resume"] == ["alias", "tag", "id", "showingPlcHdr"]
    assert etree.QName(controls["bilan.resume"].getparent()).localname == "tc"


def test_aliases_are_labels_and_ids_are_unique(rendered_docx: bytes) -> None:
    root = _xml(rendered_docx, parts.DOCUMENT)
    controls = _controls(root)
    labels = {f.id: f.label for f in LAYOUT.fields}
    for tag, sdt in controls.items():
        alias = sdt.find(f"{W}sdtPr/{W}alias").get(f"{W}val")
        if "#" in tag:
            field_id, n = tag.split("#")
            options = next(f.options for f in LAYOUT.fields if f.id == field_id)
            assert alias == options[int(n) - 1]
        else:
            assert alias == labels[tag]
    ids = [e.get(f"{W}val") for e in root.iterfind(".//w:sdtPr/w:id", NS)]
    assert len(ids) == len(set(ids)) == len(controls)


def test_drop_down_items_are_the_options_and_the_scale(rendered_docx: bytes) -> None:
    controls = _controls(_xml(rendered_docx, parts.DOCUMENT))

    def items(tag: str) -> list[tuple[str, str]]:
        return [
            (i.get(f"{W}displayText"), i.get(f"{W}value"))
            for i in controls[tag].iterfind(".//w:listItem", NS)
        ]

    assert items("bilan.mode") == [("Présentiel", "Présentiel"), ("Visio", "Visio")]
    assert items("bilan.charge") == [
        ("1 – Faible", "1"),
        ("2 – Adaptée", "2"),
        ("3 – Élevée", "3"),
        ("4 – Excessive", "4"),
    ]
    assert items("competences.closing.niveau") == [
        ("1 – Débutant", "1"),
        ("2 – Confirmé", "2"),
        ("3 – Expert", "3"),
    ]


def test_date_picker_is_french(rendered_docx: bytes) -> None:
    controls = _controls(_xml(rendered_docx, parts.DOCUMENT))
    picker = controls["bilan.date"].find(f"{W}sdtPr/{W}date")
    assert picker.get(f"{W}fullDate") is None
    assert [(etree.QName(c).localname, c.get(f"{W}val")) for c in picker] == [
        ("dateFormat", "dd/MM/yyyy"),
        ("lid", "fr-FR"),
        ("storeMappedDataAs", "dateTime"),
        ("calendar", "gregorian"),
    ]
    filled = controls["salarie.entree"]
    assert filled.find(f"{W}sdtPr/{W}date").get(f"{W}fullDate") == "2019-03-04T00:00:00Z"
    assert _content(filled) == "04/03/2019"


def test_locked_prefilled_fields_carry_their_value_and_the_lock(rendered_docx: bytes) -> None:
    controls = _controls(_xml(rendered_docx, parts.DOCUMENT))
    for tag, value in (("salarie.nom", "Éloïse Lefèvre"), ("salarie.entree", "04/03/2019")):
        pr = _pr(controls[tag])
        assert "lock" in pr and "showingPlcHdr" not in pr
        lock = controls[tag].find(f"{W}sdtPr/{W}lock")
        assert lock.get(f"{W}val") == "sdtContentLocked"
        assert _content(controls[tag]) == value
    # Pre-filled but editable: the value, no lock.
    assert _content(controls["bilan.ca"]) == "125000"
    assert "lock" not in _pr(controls["bilan.ca"])
    # Locked, but the roster had nothing: says so, and stays empty for a reader.
    service = controls["salarie.service"]
    assert _content(service) == "Non renseigné"
    assert "showingPlcHdr" in _pr(service) and "lock" in _pr(service)


def test_empty_controls_show_a_grey_placeholder(rendered_docx: bytes) -> None:
    controls = _controls(_xml(rendered_docx, parts.DOCUMENT))
    expected = {
        "bilan.resume": "Saisir ici",
        "bilan.date": "jj/mm/aaaa",
        "bilan.mode": "Choisir",
        "bilan.charge": "Choisir",
        "objectifs.1.objectif": "Saisir ici",
        "objectifs.2.echeance": "jj/mm/aaaa",
        "competences.crm.niveau": "Choisir",
    }
    for tag, words in expected.items():
        sdt = controls[tag]
        assert "showingPlcHdr" in _pr(sdt), tag
        assert _content(sdt) == words, tag
        styles = {s.get(f"{W}val") for s in sdt.iterfind(".//w:sdtContent//w:rStyle", NS)}
        assert styles == {"PlaceholderText"}, tag


def test_check_boxes_show_their_state(template: DocxTemplate) -> None:
    values: FormValues = {**VALUES, "bilan.sujets": "Charge de travail;Mobilité", "bilan.lu": False}
    controls = _controls(_xml(template.render(IDENTITY, values), parts.DOCUMENT))
    states = {}
    for tag, sdt in controls.items():
        box = sdt.find(f"{W}sdtPr/{W14}checkbox")
        if box is None:
            continue
        assert box.find(f"{W14}checkedState").get(f"{W14}val") == "2612"
        assert box.find(f"{W14}uncheckedState").get(f"{W14}val") == "2610"
        assert box.find(f"{W14}checkedState").get(f"{W14}font") == "MS Gothic"
        checked = box.find(f"{W14}checked").get(f"{W14}val")
        assert _content(sdt) == ("☒" if checked == "1" else "☐")
        fonts = sdt.find(".//w:sdtContent//w:rFonts", NS)
        assert fonts.get(f"{W}ascii") == "MS Gothic"
        states[tag] = checked
    assert states == {
        "bilan.lu": "0",
        "bilan.sujets#1": "1",
        "bilan.sujets#2": "0",
        "bilan.sujets#3": "1",
        "objectifs.1.atteint": "0",
        "objectifs.2.atteint": "0",
        "competences.crm.preuves#1": "0",
        "competences.crm.preuves#2": "0",
        "competences.closing.preuves#1": "0",
        "competences.closing.preuves#2": "0",
    }
    ticked = _controls(_xml(template.render(IDENTITY, VALUES), parts.DOCUMENT))["bilan.lu"]
    assert _content(ticked) == "☒"


def test_multichoice_prints_each_option_beside_its_box(rendered_docx: bytes) -> None:
    root = _xml(rendered_docx, parts.DOCUMENT)
    controls = _controls(root)
    for n, option in enumerate(("Charge de travail", "Formation", "Mobilité"), start=1):
        paragraph = controls[f"bilan.sujets#{n}"].getparent()
        assert _text(paragraph) == f"☐ {option}"


def test_values_of_fields_not_prefilled_are_written_too(template: DocxTemplate) -> None:
    values: FormValues = {
        **VALUES,
        "bilan.charge": "3",
        "bilan.mode": "Visio",
        "bilan.resume": "Bonne année.\nObjectifs atteints.",
        "objectifs.2.echeance": "2027-06-30",
        "inconnu.champ": "ignoré",
    }
    controls = _controls(_xml(template.render(IDENTITY, values), parts.DOCUMENT))
    charge = controls["bilan.charge"]
    assert _content(charge) == "3 – Élevée"
    assert charge.find(f"{W}sdtPr/{W}dropDownList").get(f"{W}lastValue") == "3"
    assert "showingPlcHdr" not in _pr(charge)
    assert _content(controls["bilan.mode"]) == "Visio"
    resume = controls["bilan.resume"]
    paragraphs = resume.findall(f"{W}sdtContent/{W}p")
    assert [_text(p) for p in paragraphs] == ["Bonne année.", "Objectifs atteints."]
    assert _content(controls["objectifs.2.echeance"]) == "30/06/2027"
    # The usual values still give the usual document afterwards.
    again = _controls(_xml(template.render(IDENTITY, VALUES), parts.DOCUMENT))
    assert "showingPlcHdr" in _pr(again["bilan.charge"])


def test_longtext_box_has_room_to_write(rendered_docx: bytes) -> None:
    controls = _controls(_xml(rendered_docx, parts.DOCUMENT))
    row = controls["bilan.resume"].getparent().getparent()
    height = row.find(f"{W}trPr/{W}trHeight")
    assert (height.get(f"{W}val"), height.get(f"{W}hRule")) == (str(5 * LINE_HEIGHT), "atLeast")
    borders = row.getparent().find(f"{W}tblPr/{W}tblBorders")
    assert [etree.QName(b).localname for b in borders] == ["top", "left", "bottom", "right"]


# --------------------------------------------------------------------------- layout


def test_tables_keep_their_shape(rendered_docx: bytes) -> None:
    root = _xml(rendered_docx, parts.DOCUMENT)
    controls = _controls(root)
    for table_tag, header, leads in (
        ("objectifs.1.objectif", ["N°", "Objectif", "Échéance", "Obligatoire"], ["1", "2"]),
        (
            "competences.crm.niveau",
            ["Compétence", "Niveau", "Preuves"],
            ["CRM : pipeline à jour", "Closing"],
        ),
    ):
        table = next(a for a in controls[table_tag].iterancestors(f"{W}tbl"))
        rows = table.findall(f"{W}tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert [_text(tc) for tc in rows[0].findall(f"{W}tc")] == header
        assert [_text(r.find(f"{W}tc")) for r in rows[1:]] == leads
        assert table.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
        grid = [int(c.get(f"{W}w")) for c in table.iterfind("w:tblGrid/w:gridCol", NS)]
        assert sum(grid) == CONTENT_WIDTH
        assert len(grid) == len(header)
        for row in rows:
            widths = [int(w.get(f"{W}w")) for w in row.iterfind("w:tc/w:tcPr/w:tcW", NS)]
            assert widths == grid


def test_column_widths_fill_the_page_and_fit_their_headers() -> None:
    form = load_catalog(None).get("entretien-annuel").layout("commercial", CONTEXT)
    tables = {i.id: i for s in form.sections for i in s.items if isinstance(i, Table)}
    for table in tables.values():
        widths = column_widths(table)
        assert sum(widths) == CONTENT_WIDTH
    training = column_widths(tables["formations"])
    # "Obligatoire" (11 letters, 9 pt bold) gets room for the whole word.
    assert training[4] >= 11 * 110 + 230
    assert training[0] == 567


def test_sections_guidance_labels_and_required_marks(rendered_docx: bytes) -> None:
    root = _xml(rendered_docx, parts.DOCUMENT)
    by_style: dict[str, list[str]] = {}
    for paragraph in root.iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        if style is not None:
            by_style.setdefault(style.get(f"{W}val"), []).append(_text(paragraph))
    assert by_style["Heading1"] == ["Salarié", "1. Bilan"]
    assert by_style["Consigne"] == ["Informations reprises de la liste du personnel."]
    assert "Résumé de l'année *" in by_style["Libelle"]
    assert "Date de l'entretien *" in by_style["Libelle"]
    assert "Modalité" in by_style["Libelle"]
    assert "Trois phrases au plus." in by_style["Aide"]
    assert "Choix possibles : Présentiel · Visio" in by_style["Aide"]
    assert by_style["Mention"][:2] == [
        "Ne notez ici aucune donnée de santé.",
        " * : réponse obligatoire",
    ]
    marks = root.xpath(".//w:r[w:rPr/w:rStyle/@w:val='Obligatoire']", namespaces=NS)
    assert {_text(m) for m in marks} == {" *"}
    styles = etree.fromstring(_parts(rendered_docx)[parts.STYLES])
    heading = styles.find("w:style[@w:styleId='Heading1']", NS)
    assert heading.find(f"{W}name").get(f"{W}val") == "heading 1"
    consigne = styles.find("w:style[@w:styleId='Consigne']/w:rPr", NS)
    assert consigne.find(f"{W}i") is not None


def test_every_builtin_form_has_one_control_per_field() -> None:
    catalog = load_catalog(None)
    employee = Employee(
        matricule="S004",
        nom="Lefèvre",
        prenom="Éloïse",
        date_entree=date(2019, 3, 4),
        poste="Commerciale sédentaire",
        row=5,
        service="Ventes",
        extra={"CA réalisé": 125000},
    )
    for definition in catalog:
        values = prefill_values(definition, employee, None, CONTEXT, TODAY)
        for grid in [*definition.grids, None]:
            layout = definition.layout(grid, CONTEXT)
            data = DocxTemplate.compile(layout).render(IDENTITY, values)
            controls = _controls(_xml(data, parts.DOCUMENT))
            assert set(controls) == _expected_tags(layout), (definition.id, grid)
            for field_id, value in values.items():
                if isinstance(value, str):
                    assert _content(controls[field_id]) == value, field_id


# --------------------------------------------------------------------------- identity


def _custom_properties(data: bytes) -> dict[str, str]:
    root = _xml(data, parts.CUSTOM)
    found = {}
    for prop in root:
        assert prop.get("fmtid") == "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
        (value,) = prop
        assert etree.QName(value).localname == "lpwstr"
        found[prop.get("name")] = value.text or ""
    pids = [int(p.get("pid")) for p in root]
    assert pids == list(range(2, 2 + len(pids)))
    return found


def test_custom_properties_hold_the_identity(rendered_docx: bytes) -> None:
    assert _custom_properties(rendered_docx) == {
        "entretien_reference": "EA-2026-00042",
        "entretien_form_id": "essai",
        "entretien_form_version": "3",
        "entretien_kind": "annuel",
        "entretien_campaign": "2026",
        "entretien_matricule": "S004",
        "entretien_signature": "0f" * 32,
        "entretien_issued_on": "2026-11-26",
    }


def test_core_and_app_properties(rendered_docx: bytes) -> None:
    core = _xml(rendered_docx, parts.CORE)
    dc = "{http://purl.org/dc/elements/1.1/}"
    terms = "{http://purl.org/dc/terms/}"
    assert core.find(f"{dc}title").text == "Essai 2026"
    assert core.find(f"{dc}creator").text == "Horizon SAS"
    assert core.find(f"{terms}created").text == "2026-11-26T00:00:00Z"
    app = _xml(rendered_docx, parts.APP)
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
    assert app.find(f"{ns}Application").text == "entretien-forms"


def test_footer_has_the_reference_and_page_fields(rendered_docx: bytes) -> None:
    footer = _xml(rendered_docx, parts.FOOTER)
    assert _text(footer).startswith("Réf. EA-2026-00042")
    instructions = [t.text for t in footer.iter(f"{W}instrText")]
    assert instructions == [" PAGE ", " NUMPAGES "]
    chars = [c.get(f"{W}fldCharType") for c in footer.iter(f"{W}fldChar")]
    assert chars == ["begin", "separate", "end"] * 2
    assert "page 1 / 1" in _text(footer)


def test_header_names_company_form_and_employee_with_a_qr_code(rendered_docx: bytes) -> None:
    files = _parts(rendered_docx)
    header = etree.fromstring(files[parts.HEADER])
    assert [_text(p) for p in header.iter(f"{W}p")][:3] == [
        "Horizon SAS",
        "Essai 2026",
        "Salarié : Éloïse Lefèvre",
    ]
    blip = header.find(".//a:blip", NS)
    rels = etree.fromstring(files[parts.HEADER_RELS])
    (rel,) = [r for r in rels if r.get("Id") == blip.get(f"{{{parts.NS_R}}}embed")]
    assert rel.get("Target") == "media/qr.png"
    extent = header.find(".//wp:extent", NS)
    assert (extent.get("cx"), extent.get("cy")) == ("720000", "720000")  # 2 cm
    png = files[parts.QR_IMAGE]
    assert png == qr_png("EA-2026-00042", 4)
    # Optional test tools: the PNG comparison above already pins the image.
    image = pytest.importorskip("PIL.Image")
    zxingcpp = pytest.importorskip("zxingcpp")
    (code,) = zxingcpp.read_barcodes(image.open(io.BytesIO(png)).convert("L"))
    assert code.text == "EA-2026-00042"


def test_hostile_values_are_escaped_and_the_xml_parses(template: DocxTemplate) -> None:
    nasty = "<script>&amp;</script> ]]> \x00\x08\x0c\ufffe \u202e\u200f fin"
    values: FormValues = {**VALUES, "salarie.nom": nasty, "bilan.resume": nasty}
    data = template.render(HOSTILE, values)
    files = _parts(data)
    for name, content in files.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(content)  # raises on any escaping mistake
    controls = _controls(etree.fromstring(files[parts.DOCUMENT]))
    assert _content(controls["salarie.nom"]) == _clean(nasty)
    assert _content(controls["bilan.resume"]) == _clean(nasty)
    header = etree.fromstring(files[parts.HEADER])
    assert _clean(HOSTILE.company) in _text(header)
    assert f"Salarié : {_clean(HOSTILE_NAME)}" in [_text(p) for p in header.iter(f"{W}p")]
    assert _custom_properties(data) == {
        k: _clean(v) for k, v in identity_properties(HOSTILE).items()
    }
    assert docx.Document(io.BytesIO(data)).core_properties.author == _clean(HOSTILE.company)


@settings(max_examples=60, deadline=None)
@given(value=st.text(max_size=80))
def test_any_text_value_round_trips(template: DocxTemplate, value: str) -> None:
    controls = _controls(_xml(template.render(IDENTITY, {"bilan.ca": value}), parts.DOCUMENT))
    shown = _content(controls["bilan.ca"])
    cleaned = _clean(value).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    cleaned = re.sub("[\ud800-\udfff]", "", cleaned)
    if value.strip():
        assert shown == cleaned
    else:
        assert shown == "Saisir ici"


# --------------------------------------------------------------------------- package


def test_every_part_is_listed_in_content_types(rendered_docx: bytes) -> None:
    files = _parts(rendered_docx)
    types = etree.fromstring(files[parts.CONTENT_TYPES])
    ct = f"{{{parts.NS_CT}}}"
    defaults = {d.get("Extension") for d in types.iter(f"{ct}Default")}
    overrides = {o.get("PartName").lstrip("/") for o in types.iter(f"{ct}Override")}
    for name in files:
        if name != parts.CONTENT_TYPES:
            assert name in overrides or name.rsplit(".", 1)[1] in defaults, name
    assert overrides <= set(files)
    assert parts.CUSTOM in overrides and "png" in defaults


def test_every_relationship_points_to_a_part(rendered_docx: bytes) -> None:
    files = _parts(rendered_docx)
    for name in [n for n in files if n.endswith(".rels")]:
        base = name.replace("_rels/", "").removesuffix(".rels")
        folder = base.rsplit("/", 1)[0] + "/" if "/" in base else ""
        for rel in etree.fromstring(files[name]):
            target = rel.get("Target")
            assert f"{folder}{target}".lstrip("/") in files, (name, target)


def test_deflate_pieces_join_into_one_stream() -> None:
    first, second, third = b"<a>" * 500, "é\x00".encode() * 70_000, b"</a>"
    stream = (
        parts.deflate_piece(first)
        + parts.stored_piece(second)
        + parts.deflate_piece(third)
        + parts.FINAL_BLOCK
    )
    assert zlib.decompress(stream, -15) == first + second + third


def _names(words: str) -> list[str]:
    return words.split()


# Children order of the elements we write (ECMA-376 part 1, wml.xsd). Word
# reports a damaged file for an element out of this order.
_ORDER: Mapping[str, Sequence[str]] = {
    "sdtPr": _names(
        "rPr alias tag id lock placeholder temporary showingPlcHdr dataBinding label tabIndex TYPE"
    ),
    "sdt": ["sdtPr", "sdtEndPr", "sdtContent"],
    "pPr": _names(
        "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
        "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
        "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
        "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
        "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
    ),
    "rPr": _names(
        "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
        "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
        "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
    ),
    "tblPr": _names(
        "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
        "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
        "tblDescription"
    ),
    "trPr": _names(
        "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader "
        "tblCellSpacing jc hidden"
    ),
    "tcPr": _names(
        "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText "
        "vAlign hideMark"
    ),
    # "a|b": either, in any order, at this place.
    "tbl": ["tblPr", "tblGrid", "tr"],
    "tr": ["tblPrEx", "trPr", "tc|sdt"],
    "tc": ["tcPr", "p|tbl|sdt"],
    "p": ["pPr", "r|sdt"],
    "r": ["rPr", "t|br|tab|fldChar|instrText|drawing"],
    "body": ["p|tbl|sdt", "sectPr"],
    "pBdr": ["top", "left", "bottom", "right", "between", "bar"],
    "tblBorders": ["top", "left", "bottom", "right", "insideH", "insideV"],
    "tblCellMar": ["top", "left", "bottom", "right"],
    "tcMar": ["top", "left", "bottom", "right"],
    "date": ["dateFormat", "lid", "storeMappedDataAs", "calendar"],
    "sectPr": _names(
        "headerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders lnNumType "
        "pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid"
    ),
    "style": _names(
        "name aliases basedOn next link autoRedefine hidden uiPriority semiHidden "
        "unhideWhenUsed qFormat locked personal personalCompose personalReply rsid pPr rPr "
        "tblPr trPr tcPr tblStylePr"
    ),
    "settings": _names(
        "writeProtection view zoom documentProtection defaultTabStop autoHyphenation "
        "hyphenationZone characterSpacingControl updateFields compat docVars rsids "
        "themeFontLang decimalSymbol listSeparator"
    ),
}
_SDT_TYPES = set(
    _names(
        "equation comboBox date docPartObj docPartList dropDownList picture richText text "
        "citation group bibliography"
    )
)
_SAME_AS = {"footerReference": "headerReference"}


def _order_problems(root: etree._Element, part: str) -> Iterator[str]:
    for element in root.iter():
        name = etree.QName(element)
        if name.namespace != parts.NS_W or name.localname not in _ORDER:
            continue
        order = [alternative for slot in _ORDER[name.localname] for alternative in slot.split("|")]
        positions = {
            alternative: n
            for n, slot in enumerate(_ORDER[name.localname])
            for alternative in slot.split("|")
        }
        last = -1
        for child in element:
            child_name = etree.QName(child)
            local = _SAME_AS.get(child_name.localname, child_name.localname)
            if name.localname == "sdtPr":
                if child_name.namespace != parts.NS_W:
                    position = len(order)  # extensions (w14:checkbox) come last
                else:
                    position = positions["TYPE" if local in _SDT_TYPES else local]
            elif local not in positions:
                yield f"{part}: <{local}> unexpected in <{name.localname}>"
                continue
            else:
                position = positions[local]
            if position < last:
                yield f"{part}: <{local}> out of order in <{name.localname}>"
            last = max(last, position)


def test_elements_follow_the_schema_order(rendered_docx: bytes) -> None:
    files = _parts(rendered_docx)
    problems = []
    for part in (parts.DOCUMENT, parts.HEADER, parts.FOOTER, parts.STYLES, parts.SETTINGS):
        problems += list(_order_problems(etree.fromstring(files[part]), part))
    assert problems == []


def test_word_structure_rules(rendered_docx: bytes) -> None:
    """Rules Word enforces beyond the schema: a cell holds a block, tables do not touch."""
    files = _parts(rendered_docx)
    for part in (parts.DOCUMENT, parts.HEADER):
        root = etree.fromstring(files[part])
        for cell in root.iter(f"{W}tc"):
            blocks = [c for c in cell if etree.QName(c).localname in ("p", "tbl", "sdt")]
            assert blocks, f"empty cell in {part}"
        for table in root.iter(f"{W}tbl"):
            following = table.getnext()
            assert following is not None and etree.QName(following).localname != "tbl"
    body = etree.fromstring(files[parts.DOCUMENT]).find(f"{W}body")
    assert [etree.QName(c).localname for c in body[-2:]] == ["p", "sectPr"]


# --------------------------------------------------------------------------- LibreOffice

# What LibreOffice 7.4 keeps when it re-saves one of our forms as .docx
# (checked by the test below, for the future inbox reader):
# - the custom properties (entretien_reference, ...) and the order of the controls;
# - plain and rich text controls, with their alias (the label), but neither their tag
#   nor their lock;
# - drop-down lists (items kept) and date pickers (format kept), but without alias or
#   tag;
# - check boxes, as w14 check boxes without alias or tag, each wrapped in an extra
#   rich text control that carries the alias.
# LibreOffice 7.4 also shows plain text placeholders in black (it turns them into
# input fields). A reader therefore identifies a re-saved form by its custom
# properties and maps untagged controls by their order in the document.


def _leaf_controls(root: etree._Element) -> list[tuple[str, str | None, str | None]]:
    """(kind, alias, tag) of each control that holds no other control, in order."""
    found = []
    for sdt in root.iter(f"{W}sdt"):
        if sdt.find(f".//{W}sdt") is not None:
            continue
        pr = sdt.find(f"{W}sdtPr")
        kinds = [etree.QName(c).localname for c in pr]
        kind = next((k for k in kinds if k in _SDT_TYPES | {"checkbox"}), "richText")
        alias, tag = pr.find(f"{W}alias"), pr.find(f"{W}tag")
        found.append(
            (
                kind,
                None if alias is None else alias.get(f"{W}val"),
                None if tag is None else tag.get(f"{W}val"),
            )
        )
    return found


def _run_soffice(soffice: str, profile: Path, *args: str) -> None:
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", *args],
        check=True,
        capture_output=True,
        timeout=240,
    )


@pytest.mark.integration
def test_libreoffice_prints_and_resaves_the_form(
    tmp_path: Path, rendered_docx: bytes, require_tool: Callable[[str], str]
) -> None:
    soffice, pdftoppm = require_tool("soffice"), require_tool("pdftoppm")
    profile = tmp_path / "profile"
    source = tmp_path / "formulaire.docx"
    source.write_bytes(rendered_docx)
    _run_soffice(soffice, profile, "--convert-to", "pdf", "--outdir", str(tmp_path), str(source))
    pdf = tmp_path / "formulaire.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        [pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("page*.png")
    page = pytest.importorskip("PIL.Image").open(png).convert("L")
    assert page.size == (414, 585)  # A4 portrait at 50 dpi (210 × 297 mm)
    assert page.getextrema()[0] < 80  # something dark was printed

    resaved_dir = tmp_path / "resaved"
    _run_soffice(
        soffice, profile, "--convert-to", "docx", "--outdir", str(resaved_dir), str(source)
    )
    resaved = (resaved_dir / "formulaire.docx").read_bytes()
    assert _custom_properties(resaved) == _custom_properties(rendered_docx)
    ours = _leaf_controls(_xml(rendered_docx, parts.DOCUMENT))
    theirs = _leaf_controls(_xml(resaved, parts.DOCUMENT))
    assert [kind for kind, _, _ in theirs] == [kind for kind, _, _ in ours]
    for (kind, alias, tag), (_, our_alias, our_tag) in zip(theirs, ours, strict=True):
        assert tag in (None, our_tag)
        assert alias in (None, our_alias)
        if kind in ("text", "richText"):
            assert (alias, tag) != (None, None)  # still identifiable without the order
