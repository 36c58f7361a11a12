"""The PDF renderer: fillable forms, their fields and metadata, QR codes, print batches."""

from __future__ import annotations

import gc
import io
import re
import subprocess
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from factories import TODAY
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject

from entretien_forms.errors import FormDefinitionError
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
from entretien_forms.render import pdf as pdf_module
from entretien_forms.render._pdf_text import fit, pdf_text, show, winansi, wrap
from entretien_forms.render.pdf import PdfTemplate, write_print_batch
from entretien_forms.roster import Employee

CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
LONG_NAME = "Marie-" + "Éléonore " * 33  # 303 characters
HOSTILE = "( ) \\ <>"
FORMULA = "=cmd|'/c calc'!A1"
POLISH = "Łukasz Żółć"


# --------------------------------------------------------------------------- fixtures


def _table(table_id: str, columns: tuple[Column, ...], rows: tuple[tuple[str, str | None], ...],
           row_header: str | None = None) -> Table:  # fmt: skip
    return Table(
        id=table_id,
        label=f"Tableau {table_id}",
        columns=columns,
        rows=tuple(
            TableRow(
                key,
                label,
                tuple(
                    Field(
                        id=f"{table_id}.{key}.{c.id}",
                        label=f"{c.label} ({label or key})",
                        type=c.type,
                        options=c.options,
                        scale=c.scale,
                        scale_labels=c.scale_labels,
                    )
                    for c in columns
                ),
            )
            for key, label in rows
        ),
        row_header=row_header,
    )


EVERY_TYPE = FormLayout(
    form_id="essai",
    title="Formulaire d'essai complet",
    kind="annuel",
    version="3",
    grid=None,
    privacy_notice="Ne notez ici aucune donnée de santé.",
    sections=(
        Section(
            title="Identité",
            guidance="Données reprises de la liste du personnel.",
            items=(
                Field("salarie.nom", "Nom du salarié", "text", prefilled=True, locked=True),
                Field("salarie.entree", "Date d'entrée", "date", prefilled=True, locked=True),
                Field("salarie.ca", "Chiffre d'affaires (€)", "number", prefilled=True),
                Field("salarie.note", "Remarque", "text", prefilled=True),
                Field("entretien.date", "Date de l'entretien", "date", required=True),
                Field(
                    "entretien.mode",
                    "Modalité",
                    "choice",
                    options=("Présentiel", "Visio"),
                    prefilled=True,
                ),
                Field(
                    "entretien.charge",
                    "Charge de travail",
                    "rating",
                    scale=(1, 2, 3, 4),
                    scale_labels=("Faible", "Adaptée", "Élevée", "Excessive"),
                    prefilled=True,
                ),
                Field("entretien.temps_partiel", "Temps partiel", "checkbox", prefilled=True),
                Field("entretien.accord", "Accord du salarié", "checkbox"),
            ),
        ),
        Section(
            title="Bilan",
            guidance=None,
            items=(
                Field(
                    "bilan.texte",
                    "Réussites de l'année",
                    "longtext",
                    lines=20,  # the form takes two pages
                    prefilled=True,
                    help="Des faits précis.",
                ),
                Field(
                    "bilan.langues",
                    "Langues pratiquées",
                    "multichoice",
                    options=("Anglais", "Espagnol", "Allemand"),
                    prefilled=True,
                ),
                _table(
                    "objectifs",
                    (
                        Column("objectif", "Objectif", "text"),
                        Column("atteinte", "Atteinte", "rating", scale=(1, 2, 3)),
                        Column("echeance", "Échéance", "date"),
                        Column("fait", "Fait", "checkbox"),
                        Column("modalite", "Modalité", "choice", options=("Interne", "Externe")),
                    ),
                    (("1", None), ("2", None)),
                ),
                _table(
                    "competences",
                    (
                        Column(
                            "niveau",
                            "Niveau",
                            "rating",
                            scale=(1, 2, 3, 4),
                            scale_labels=("À acquérir", "En cours", "Maîtrisée", "Expert"),
                        ),
                    ),
                    (("crm", "CRM : saisie du pipeline"), ("seo", "Référencement naturel")),
                    row_header="Compétence",
                ),
            ),
        ),
    ),
)

ONE_PAGE = FormLayout(
    form_id="court",
    title="Formulaire court",
    kind="professionnel",
    version="1",
    grid=None,
    privacy_notice="Ne notez ici aucune donnée de santé.",
    sections=(Section("Souhaits", None, (Field("souhaits", "Souhaits", "longtext", lines=3),)),),
)

EVERY_TYPE_VALUES: FormValues = {
    "salarie.nom": POLISH,
    "salarie.entree": "04/03/2019",
    "salarie.ca": "125000",
    "salarie.note": HOSTILE,
    "entretien.mode": "Visio",
    "entretien.charge": "3",
    "entretien.temps_partiel": True,
    "bilan.texte": f"Première ligne « réussie »\r\n{FORMULA}\x07",
    "bilan.langues": "Anglais;Allemand",
}

EXPECTED_NAMES = {
    "salarie.nom", "salarie.entree", "salarie.ca", "salarie.note", "entretien.date",
    "entretien.mode", "entretien.charge", "entretien.temps_partiel", "entretien.accord",
    "bilan.texte", "bilan.langues#1", "bilan.langues#2", "bilan.langues#3",
    "objectifs.1.objectif", "objectifs.1.atteinte", "objectifs.1.echeance", "objectifs.1.fait",
    "objectifs.1.modalite", "objectifs.2.objectif", "objectifs.2.atteinte",
    "objectifs.2.echeance", "objectifs.2.fait", "objectifs.2.modalite",
    "competences.crm.niveau", "competences.seo.niveau", "entretien_reference",
}  # fmt: skip


def _identity(**changes: Any) -> Identity:
    values: dict[str, Any] = {
        "reference": "EA-2026-00042",
        "form_id": "entretien-annuel",
        "form_version": "2026.1",
        "kind": "annuel",
        "campaign": "2026",
        "matricule": "S004",
        "employee_name": "Éloïse Lefèvre",
        "manager_name": "Claire Martin",
        "company": "Horizon Ventes & Conseil SAS",
        "signature": "0f" * 32,
        "issued_on": TODAY,
    }
    values.update(changes)
    return Identity(**values)


HOSTILE_IDENTITY = _identity(
    reference="EA-2026-00007",
    form_id="essai",
    form_version="3",
    company=f"{HOSTILE} {POLISH}",
    employee_name=LONG_NAME,
    matricule=FORMULA,
)


def _employee() -> Employee:
    return Employee(
        matricule="S004",
        nom="Lefèvre",
        prenom="Éloïse",
        date_entree=date(2019, 3, 4),
        poste="Commerciale sédentaire",
        row=5,
        service="Ventes",
        extra={"CA réalisé": 125000, "Taux de closing": "32 %"},
    )


@pytest.fixture(scope="module")
def every_type() -> PdfTemplate:
    return PdfTemplate.compile(EVERY_TYPE)


@pytest.fixture(scope="module")
def one_page() -> PdfTemplate:
    return PdfTemplate.compile(ONE_PAGE)


@pytest.fixture(scope="module")
def every_type_pdf(every_type: PdfTemplate) -> PdfReader:
    return PdfReader(io.BytesIO(every_type.render(HOSTILE_IDENTITY, EVERY_TYPE_VALUES)))


@pytest.fixture(scope="module")
def annual() -> tuple[PdfTemplate, FormValues]:
    definition = load_catalog(None).for_kind("annuel", None)
    template = PdfTemplate.compile(definition.layout("commercial", CONTEXT))
    return template, prefill_values(definition, _employee(), None, CONTEXT, TODAY)


@pytest.fixture(scope="module")
def annual_pdf(annual: tuple[PdfTemplate, FormValues]) -> bytes:
    template, values = annual
    return template.render(_identity(), values)


def _fields(reader: PdfReader) -> dict[str, Any]:
    return reader.get_fields() or {}


def _terminal(reader: PdfReader) -> dict[str, Any]:
    return {name: f for name, f in _fields(reader).items() if "/FT" in f}


def _widgets(reader: PdfReader) -> Iterator[DictionaryObject]:
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            yield annot.get_object()


def _check_xref(pdf: bytes) -> int:
    """Every cross-reference entry points at its object: the table is recomputed right."""
    start = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[start : start + 4] == b"xref"
    header = re.match(rb"xref\n0 (\d+)\n", pdf[start:])
    assert header is not None
    size = int(header.group(1))
    table = pdf[start + header.end() : start + header.end() + 20 * size]
    for number in range(1, size):
        offset = int(table[20 * number : 20 * number + 10])
        assert pdf.startswith(b"%d 0 obj" % number, offset), number
    assert pdf.count(b"startxref") == 1
    return size


def _page_image(pdf: bytes, index: int, scale: float = 3.0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = document[index].render(scale=scale).to_pil().convert("L")
        return image
    finally:
        document.close()


def _qr_texts(pdf: bytes, index: int) -> list[str]:
    image = _page_image(pdf, index)
    header = image.crop((image.width // 2, 0, image.width, image.height // 8))
    return [code.text for code in zxingcpp.read_barcodes(header)]


# --------------------------------------------------------------------------- text helpers


def test_french_text_keeps_its_accents_and_foreign_letters_are_transliterated() -> None:
    assert winansi("é è à ç œ Œ « » ’ – — … €") == "é è à ç œ Œ « » ’ – — … €"
    assert winansi(POLISH) == "Lukasz Zólc"
    assert winansi("a\tb\nc\x00\x07d\u200be\u202ff") == "a b cde f"
    assert winansi("中") == "?"
    assert show("( ) \\ é") == b"(\\( \\) \\\\ \xe9)"


def test_pdf_text_strings_escape_and_keep_any_character() -> None:
    assert pdf_text("a(b)\\") == b"(a\\(b\\)\\\\)"
    assert pdf_text("é") == b"<feff00e9>"


def test_long_text_is_cut_with_an_ellipsis_and_wrapped_inside_its_box() -> None:
    cut = fit(winansi(LONG_NAME), "Helvetica", 10, 100)
    assert cut.endswith("…") and LONG_NAME.startswith(cut[:-1])
    lines = wrap("mot " * 30 + "x" * 80, "Helvetica", 10, 100)
    assert len(lines) > 3 and "".join(lines).replace(" ", "") == "mot" * 30 + "x" * 80


# --------------------------------------------------------------------------- fillable form


def test_field_names_are_the_field_ids_through_a_real_hierarchy(
    every_type_pdf: PdfReader,
) -> None:
    fields = _fields(every_type_pdf)
    assert set(_terminal(every_type_pdf)) == EXPECTED_NAMES
    parents = {name for name, f in fields.items() if "/FT" not in f}
    assert parents == {"salarie", "entretien", "bilan", "objectifs", "objectifs.1",
                       "objectifs.2", "competences", "competences.crm", "competences.seo"}  # fmt: skip
    assert all("." not in str(w.get("/T", "")) for w in _widgets(every_type_pdf))
    assert fields["objectifs.2.echeance"]["/T"] == "echeance"


def test_field_types_flags_and_tooltips(every_type_pdf: PdfReader) -> None:
    fields = _terminal(every_type_pdf)
    kinds = {name: (f["/FT"], f.get("/Ff", 0)) for name, f in fields.items()}
    assert kinds["salarie.nom"] == ("/Tx", 1)  # read-only
    assert kinds["salarie.entree"] == ("/Tx", 1)
    assert kinds["salarie.ca"] == ("/Tx", 0)
    assert kinds["entretien.date"] == ("/Tx", 2)  # required
    assert kinds["entretien.mode"] == ("/Btn", 1 << 15)  # radio group
    assert kinds["entretien.charge"] == ("/Btn", 1 << 15)
    assert kinds["entretien.temps_partiel"] == ("/Btn", 0)
    assert kinds["bilan.texte"] == ("/Tx", 1 << 12)  # multiline
    assert kinds["bilan.langues#2"] == ("/Btn", 0)
    assert kinds["objectifs.1.objectif"] == ("/Tx", 0)
    assert kinds["objectifs.1.fait"] == ("/Btn", 0)
    assert kinds["entretien_reference"] == ("/Tx", 1)
    multiline = {name for name, (_, flags) in kinds.items() if flags & (1 << 12)}
    assert multiline == {"bilan.texte"}
    assert fields["salarie.entree"]["/TU"] == "Date d'entrée (jj/mm/aaaa)"
    assert fields["entretien.mode"]["/TU"] == "Modalité"
    assert fields["bilan.langues#3"]["/TU"] == "Langues pratiquées : Allemand"
    # A radio group's /Opt holds the export values, in the order of its widgets.
    assert list(fields["entretien.mode"]["/Opt"]) == ["Présentiel", "Visio"]
    assert list(fields["entretien.charge"]["/Opt"]) == ["1", "2", "3", "4"]
    assert list(fields["objectifs.1.atteinte"]["/Opt"]) == ["1", "2", "3"]
    assert list(fields["objectifs.2.modalite"]["/Opt"]) == ["Interne", "Externe"]


def test_prefilled_fields_carry_their_value_and_empty_ones_have_none(
    every_type_pdf: PdfReader,
) -> None:
    fields = _terminal(every_type_pdf)
    values = {name: f.get("/V") for name, f in fields.items() if f.get("/V") is not None}
    assert values == {
        "salarie.nom": "Lukasz Zólc",  # what Helvetica can draw, as drawn
        "salarie.entree": "04/03/2019",
        "salarie.ca": "125000",
        "salarie.note": HOSTILE,
        "entretien.mode": "/1",  # the state of the second option, "Visio"
        "entretien.charge": "/2",  # the state of the third level, "3"
        "entretien.temps_partiel": "/Oui",
        "bilan.texte": f"Première ligne « réussie »\n{FORMULA}",
        "bilan.langues#1": "/Oui",
        "bilan.langues#2": "/Off",
        "bilan.langues#3": "/Oui",
        "entretien_reference": "EA-2026-00007",
    }


def test_every_widget_has_an_appearance_and_checkboxes_an_on_state(
    every_type_pdf: PdfReader,
) -> None:
    widgets = list(_widgets(every_type_pdf))
    # 26 fields, 8 of them radio groups with a widget per option (24 in all).
    assert len(widgets) == len(EXPECTED_NAMES) - 8 + 24
    for widget in widgets:
        assert "/N" in widget["/AP"], widget.get("/T")
    buttons = [w for w in widgets if w.get("/FT") == "/Btn"]
    assert len(buttons) == 7
    for box in buttons:
        assert set(box["/AP"]["/N"]) == {"/Oui", "/Off"}
    boxes = {str(w["/T"]): w for w in buttons}
    assert boxes["temps_partiel"]["/AS"] == "/Oui"
    assert boxes["accord"]["/AS"] == "/Off" and "/V" not in boxes["accord"]
    # A radio widget's on-state is its option's position; the pre-filled one is ticked.
    radios: dict[str, list[tuple[list[str], str]]] = {}
    for widget in widgets:
        if "/T" not in widget:
            parent = widget["/Parent"].get_object()
            states = sorted(str(state) for state in widget["/AP"]["/N"])
            radios.setdefault(str(parent["/T"]), []).append((states, str(widget["/AS"])))
    assert radios["charge"] == [
        (["/0", "/Off"], "/Off"), (["/1", "/Off"], "/Off"), (["/2", "/Off"], "/2"),
        (["/3", "/Off"], "/Off"),
    ]  # fmt: skip
    assert radios["mode"] == [(["/0", "/Off"], "/Off"), (["/1", "/Off"], "/1")]
    form = every_type_pdf.trailer["/Root"]["/AcroForm"]
    assert form["/NeedAppearances"] is False or form["/NeedAppearances"] == False  # noqa: E712
    fonts = form["/DR"]["/Font"]
    assert fonts["/Helv"]["/BaseFont"] == "/Helvetica"
    assert fonts["/Helv"]["/Encoding"] == "/WinAnsiEncoding"
    assert fonts["/ZaDb"]["/BaseFont"] == "/ZapfDingbats"


def test_filled_appearance_shows_the_value_in_winansi(every_type_pdf: PdfReader) -> None:
    by_name = {str(w["/T"]): w for w in _widgets(every_type_pdf) if "/T" in w}
    note = by_name["note"]["/AP"]["/N"].get_data()
    assert b"(\\( \\) \\\\ <>) Tj" in note
    assert by_name["objectif"]["/AP"]["/N"].get_data() == b"/Tx BMC EMC"


def test_hidden_reference_field_and_metadata(every_type_pdf: PdfReader) -> None:
    hidden = next(w for w in _widgets(every_type_pdf) if w.get("/T") == "entretien_reference")
    assert hidden["/F"] == 2 and hidden["/Ff"] == 1
    assert hidden["/V"] == "EA-2026-00007"
    info = every_type_pdf.metadata
    assert info is not None
    assert {key: info[key] for key in info if key.startswith("/Entretien")} == {
        "/EntretienReference": "EA-2026-00007",
        "/EntretienFormId": "essai",
        "/EntretienFormVersion": "3",
        "/EntretienKind": "annuel",
        "/EntretienCampaign": "2026",
        "/EntretienMatricule": FORMULA,
        "/EntretienSignature": "0f" * 32,
        "/EntretienIssuedOn": "2026-11-26",
    }
    assert info["/Title"] == f"Formulaire d'essai complet — {LONG_NAME}"
    assert info["/Author"] == f"{HOSTILE} {POLISH}"
    assert info["/Producer"] == "entretien-forms"


def test_hostile_identity_is_printed_escaped_and_cut(every_type: PdfTemplate) -> None:
    pdf = every_type.render(HOSTILE_IDENTITY, EVERY_TYPE_VALUES)
    _check_xref(pdf)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "( ) \\ <> Lukasz Zólc" in text
    name_line = next(line for line in text.splitlines() if line.startswith("Salarié : "))
    assert name_line.startswith("Salarié : Marie-Éléonore Éléonore")
    assert "… · matricule =cmd|'/c calc'!A1" in name_line
    assert len(name_line) < 120


def test_values_of_fields_that_are_not_prefilled_are_written_too(
    every_type: PdfTemplate,
) -> None:
    values = {**EVERY_TYPE_VALUES, "objectifs.2.objectif": "Ouvrir Lyon", "objectifs.1.fait": True}
    pdf = every_type.render(HOSTILE_IDENTITY, values)
    _check_xref(pdf)
    fields = _terminal(PdfReader(io.BytesIO(pdf)))
    assert fields["objectifs.2.objectif"]["/V"] == "Ouvrir Lyon"
    assert fields["objectifs.1.fait"]["/V"] == "/Oui"
    assert fields["salarie.ca"]["/V"] == "125000"


def test_annual_form_pages_text_and_prefilled_values(annual_pdf: bytes) -> None:
    _check_xref(annual_pdf)
    reader = PdfReader(io.BytesIO(annual_pdf))
    assert len(reader.pages) == 4
    assert [float(v) for v in reader.pages[3].mediabox] == [0, 0, 595.28, 841.89]  # A4
    text = reader.pages[0].extract_text()
    for expected in (
        "Entretien annuel 2026",
        "Salarié : Éloïse Lefèvre · matricule S004",
        "Date d'entrée (jj/mm/aaaa)",
        "Modalité de l'entretien *",
        "Présentiel\nVisio",  # beside their boxes
        "Atteinte : 1 – Non atteint · 2 – Partiellement atteint · 3 – Atteint · 4 – Dépassé",
        "Horizon Ventes & Conseil SAS",
        "Réf. EA-2026-00042 — page 1 / 4",
    ):
        assert expected in text, expected
    assert "Réf. EA-2026-00042 — page 3 / 4" in reader.pages[2].extract_text()
    fields = _fields(reader)
    assert fields["salarie.nom_complet"]["/V"] == "Éloïse Lefèvre"
    assert fields["salarie.date_entree"]["/V"] == "04/03/2019"
    assert fields["bilan.ca_realise"]["/V"] == "125000"
    assert "/V" not in fields["manager.nom_complet"]
    assert fields["competences.prospection.auto"]["/FT"] == "/Btn"
    assert fields["competences.prospection.auto"]["/Ff"] == 1 << 15


def test_qr_code_on_each_page_holds_reference_and_page(annual_pdf: bytes) -> None:
    assert _qr_texts(annual_pdf, 0) == ["EA-2026-00042 p1/4"]
    assert _qr_texts(annual_pdf, 3) == ["EA-2026-00042 p4/4"]


def test_a_filled_form_reads_back_after_pypdf_fills_it(annual_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(annual_pdf))
    answers = {
        "entretien.date": "12/01/2027",
        "entretien.mode": "/1",  # a radio group's option, by its state: "Visio"
        "bilan.reussites": "Signature du contrat « Dupont » – 120 k€…\nDeux recrutements.",
        "objectifs.3.cible": "15 %",
        "competences.crm.manager": "/2",  # level 3
    }
    for page in writer.pages:
        writer.update_page_form_field_values(page, answers, auto_regenerate=False)
    writer.update_page_form_field_values(
        None, {"formations.2.obligatoire": "/Oui"}, auto_regenerate=False
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    fields = _fields(PdfReader(buffer))
    assert {name: fields[name]["/V"] for name in answers} == answers
    assert fields["formations.2.obligatoire"]["/V"] == "/Oui"
    assert fields["salarie.nom_complet"]["/V"] == "Éloïse Lefèvre"
    assert fields["entretien_reference"]["/V"] == "EA-2026-00042"


def test_ids_a_pdf_form_cannot_hold_are_refused() -> None:
    clash = FormLayout(
        form_id="x", title="X", kind="annuel", version="1", grid=None, privacy_notice="",
        sections=(Section("S", None, (Field("a", "A", "text"), Field("a.b", "B", "text"))),),
    )  # fmt: skip
    with pytest.raises(FormDefinitionError, match=r"Champ « a » : cet identifiant est aussi"):
        PdfTemplate.compile(clash)
    reserved = FormLayout(
        form_id="x", title="X", kind="annuel", version="1", grid=None, privacy_notice="",
        sections=(Section("S", None, (Field("entretien_reference", "A", "text"),)),),
    )  # fmt: skip
    with pytest.raises(FormDefinitionError, match="est réservé à la référence du formulaire"):
        PdfTemplate.compile(reserved)


# --------------------------------------------------------------------------- print batch


def _batch(entries: list[tuple[PdfTemplate, Identity, FormValues]]) -> tuple[int, bytes]:
    target = io.BytesIO()
    pages = write_print_batch(iter(entries), target)
    return pages, target.getvalue()


def test_print_batch_is_flattened_with_each_form_on_an_odd_page(
    annual: tuple[PdfTemplate, FormValues], every_type: PdfTemplate, one_page: PdfTemplate
) -> None:
    template, values = annual
    assert (one_page.page_count, every_type.page_count, template.page_count) == (1, 2, 4)
    pages, pdf = _batch(
        [
            (one_page, _identity(reference="EP-2026-00001"), {}),  # 1 page + 1 blank
            (every_type, HOSTILE_IDENTITY, EVERY_TYPE_VALUES),  # 2 pages
            (template, _identity(), values),  # 4 pages
            (one_page, _identity(reference="EP-2026-00002"), {}),  # 1 page + 1 blank
            (one_page, _identity(reference="EP-2026-00003"), {}),  # 1 page, no blank after
        ]
    )
    _check_xref(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert pages == len(reader.pages) == 11
    assert "/AcroForm" not in reader.trailer["/Root"]
    assert not any("/Annots" in page for page in reader.pages)
    footers = [
        re.findall(r"Réf\. (\S+) — page (\d) / (\d)", p.extract_text()) for p in reader.pages
    ]
    assert footers == [
        [("EP-2026-00001", "1", "1")], [],
        [("EA-2026-00007", "1", "2")], [("EA-2026-00007", "2", "2")],
        [("EA-2026-00042", "1", "4")], [("EA-2026-00042", "2", "4")],
        [("EA-2026-00042", "3", "4")], [("EA-2026-00042", "4", "4")],
        [("EP-2026-00002", "1", "1")], [],
        [("EP-2026-00003", "1", "1")],
    ]  # fmt: skip
    assert reader.pages[1].get_contents() is None  # the blank page is really blank
    first = reader.pages[4].extract_text()
    assert "Éloïse Lefèvre" in first.replace("Salarié : Éloïse Lefèvre", "")  # the value
    assert "04/03/2019" in first and "125000" in first
    assert _qr_texts(pdf, 5) == ["EA-2026-00042 p2/4"]


def _darkness(image: Image.Image, box: tuple[float, float, float, float], scale: float) -> int:
    """How many dark pixels a PDF rectangle holds on a page rendered at ``scale``."""
    x0, y0, x1, y1 = box
    height = image.height / scale
    crop = image.crop(
        (int(x0 * scale) + 3, int((height - y1) * scale) + 3,
         int(x1 * scale) - 3, int((height - y0) * scale) - 3)
    )  # fmt: skip
    return sum(crop.histogram()[:128])


def test_print_batch_draws_ticks_and_leaves_empty_boxes_to_write_in(
    every_type: PdfTemplate,
) -> None:
    _, pdf = _batch([(every_type, HOSTILE_IDENTITY, EVERY_TYPE_VALUES)])
    rects = {
        (p.spec.name, p.spec.choice.value if p.spec.choice else None): (p.page, p.rect)
        for p in every_type.drawn.widgets
    }
    images = {page: _page_image(pdf, page, 2) for page, _ in rects.values()}

    def dark(name: str, option: str | None = None) -> int:
        page, rect = rects[name, option]
        return _darkness(images[page], rect, 2)

    assert dark("entretien.temps_partiel") > 10  # ticked: a cross
    assert dark("bilan.langues#1") > 10 and dark("bilan.langues#3") > 10
    assert dark("entretien.accord") == dark("bilan.langues#2") == 0
    assert dark("salarie.ca") > 10 and dark("entretien.date") == 0
    # A choice and a rating: the box of the option chosen, and no other.
    assert dark("entretien.mode", "Visio") > 10 and dark("entretien.mode", "Présentiel") == 0
    assert [dark("entretien.charge", level) > 10 for level in "1234"] == [
        False, False, True, False
    ]  # fmt: skip
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "( ) \\ <>" in text and "Lukasz Zólc" in text


def test_print_batch_memory_does_not_grow_with_the_number_of_forms(
    tmp_path: Path, annual: tuple[PdfTemplate, FormValues], monkeypatch: pytest.MonkeyPatch
) -> None:
    template, values = annual
    # Without the QR row cache, whose bounded size would blur the measure.
    monkeypatch.setattr(pdf_module, "_row_runs", pdf_module._row_runs.__wrapped__)

    def batch(count: int) -> tuple[int, int, Path]:
        """Pages, peak traced memory and file of a batch of ``count`` forms."""

        def entries() -> Iterator[tuple[PdfTemplate, Identity, FormValues]]:
            for n in range(count):
                if n % 20 == 0:
                    gc.collect()  # measure what is kept, not garbage awaiting collection
                yield template, _identity(reference=f"EA-2026-{n:05d}"), values

        path = tmp_path / f"lot-{count}.pdf"
        tracemalloc.start()
        try:
            with path.open("wb") as target:
                pages = write_print_batch(entries(), target)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return pages, peak, path

    small_pages, small_peak, small = batch(20)
    pages, peak, path = batch(120)
    assert (small_pages, pages) == (80, 480)
    growth = path.stat().st_size - small.stat().st_size
    assert growth > 1_000_000
    # Only object offsets and page numbers are kept (a few bytes a page), never a form.
    assert peak - small_peak < growth / 20, (small_peak, peak)
    reader = PdfReader(path)
    assert len(reader.pages) == 480
    assert "Réf. EA-2026-00119 — page 4 / 4" in reader.pages[-1].extract_text()


# --------------------------------------------------------------------------- external viewer


def _not_blank(png: Path) -> None:
    with Image.open(png) as image:
        low, high = image.convert("L").getextrema()
    assert low < 64 and high > 200  # dark text on a white page


@pytest.mark.integration
def test_pdftoppm_renders_a_form_and_a_batch(
    tmp_path: Path,
    annual: tuple[PdfTemplate, FormValues],
    annual_pdf: bytes,
    require_tool: Callable[[str], str],
) -> None:
    pdftoppm = require_tool("pdftoppm")
    template, values = annual
    form = tmp_path / "formulaire.pdf"
    form.write_bytes(annual_pdf)
    batch = tmp_path / "lot.pdf"
    with batch.open("wb") as target:
        write_print_batch([(template, _identity(), values)] * 2, target)
    for source in (form, batch):
        result = subprocess.run(
            [pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(source),
             str(tmp_path / source.stem)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0 and result.stderr == "", result.stderr
        (png,) = tmp_path.glob(f"{source.stem}-*.png")
        _not_blank(png)
