"""A Word form exported to PDF ("Exporter au format PDF") is read from the text of its pages.

Real forms are issued, filled the way Word stores answers (``fill_docx``),
and exported to PDF by LibreOffice; what ``read_docx_export`` reads from the
PDF must be what ``extract_docx`` reads from the filled .docx itself.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from factories import TODAY, issue_for_everyone, workspace_with_roster

from entretien_forms.forms import load_catalog
from entretien_forms.forms.model import FormLayout, Kind, Table
from entretien_forms.forms.prefill import label_context
from entretien_forms.inbox.docx_export import read_docx_export
from entretien_forms.inbox.docx_reader import extract_docx
from entretien_forms.sample.returns import fill_docx
from entretien_forms.workspace import Workspace

pytestmark = pytest.mark.integration

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
)
# Wraps over several lines of the answer box, then a second paragraph.
LONG_ANSWER = (
    "Trois nouveaux comptes signés, dont un grand compte régional, après une prospection "
    "menée seule sur tout le secteur ouest pendant le premier semestre, malgré un fichier "
    "clients incomplet.\nSalon professionnel réussi : 40 leads qualifiés."
)


def _issued(tmp_path: Path, kind: Kind) -> tuple[Workspace, Path, FormLayout]:
    """A workspace, Éloïse's issued Word form of ``kind`` and the layout it was issued with."""
    workspace = workspace_with_roster(tmp_path, ROSTER)
    (issued,) = [f for f in issue_for_everyone(workspace, kind) if f.matricule == "S2"]
    assert issued.docx_path is not None
    definition = load_catalog(workspace.templates_dir).forms[issued.form_id]
    context = label_context(issued.campaign, TODAY, workspace.settings.company)
    layout = definition.layout(issued.grid, context, issued.layout_occasions)
    return workspace, workspace.outbox / issued.docx_path, layout


def _exported(soffice: str, data: bytes, name: str, folder: Path) -> bytes:
    """``data`` (a .docx, or any document LibreOffice opens) exported to PDF by LibreOffice."""
    folder.mkdir(exist_ok=True)
    source = folder / name
    source.write_bytes(data)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return (folder / "out" / f"{source.stem}.pdf").read_bytes()


def _values(answers: Mapping[str, object]) -> dict[str, object]:
    return {key: answer.value for key, answer in answers.items()}  # type: ignore[attr-defined]


def _read_back(
    soffice: str, docx: bytes, layout: FormLayout, folder: Path
) -> tuple[dict[str, object], dict[str, object]]:
    """(what the exported PDF gives, what the .docx gives) for one filled form."""
    pdf = _exported(soffice, docx, "retour.docx", folder)
    extraction = read_docx_export(pdf, "retour.pdf", layout)
    assert extraction is not None
    assert {a.method for a in extraction.answers.values()} == {"pdf_text"}
    assert "exporté en PDF" in extraction.notes[0] and "vérifiez" in extraction.notes[0]
    return _values(extraction.answers), _values(extract_docx(docx, "retour.docx", layout).answers)


def _table(layout: FormLayout, table_id: str) -> Table:
    return next(
        item
        for section in layout.sections
        for item in section.items
        if isinstance(item, Table) and item.id == table_id
    )


def test_an_exported_annual_form_gives_every_answer_the_word_file_holds(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    _, path, layout = _issued(tmp_path, "annuel")
    skills = _table(layout, "competences").rows
    first, last = skills[0].key, skills[-1].key
    text = {
        "entretien.date": "12/12/2026",
        "entretien.mode": "Visio",
        "bilan.ca_realise": "125 000",
        "bilan.taux_closing": "32 %",
        "bilan.reussites": LONG_ANSWER,
        # Four rows, partly filled: the first whole, the third one cell.
        "objectifs_precedents.1.objectif": "Ouvrir dix comptes",
        "objectifs_precedents.1.resultat": "Douze comptes ouverts",
        "objectifs_precedents.1.atteinte": "4",
        "objectifs_precedents.3.resultat": "Reporté au printemps",
        f"competences.{first}.auto": "3",
        f"competences.{first}.manager": "2",
        f"competences.{first}.commentaire": "Relances régulières, fichier bien qualifié",
        f"competences.{last}.manager": "1",
        "projection.charge_travail": "2",
        "projection.aspirations_3_ans": "Encadrer une petite équipe.",
        "objectifs.1.objectif": "Signer cinq grands comptes",
        "objectifs.1.echeance": "30/06/2027",
        "objectifs.2.cible": "5",
        "formations.1.theme": "Négociation avancée",
        "formations.1.modalite": "Mentorat",
        "formations.1.priorite": "Haute",
        "signature.salarie": "Éloïse Lefèvre, le 12/12/2026",
    }
    checked = {"formations.1.obligatoire": True, "formations.3.obligatoire": True}
    docx = fill_docx(path, text, checked)

    got, expected = _read_back(require_tool("soffice"), docx, layout, tmp_path / "lo")

    assert got == expected
    assert got["bilan.reussites"] == LONG_ANSWER
    assert got["objectifs_precedents.1.atteinte"] == "4"  # "4 – Dépassé" on the page
    assert got["formations.1.obligatoire"] is True and got["formations.2.obligatoire"] is False
    assert "objectifs_precedents.2.objectif" not in got  # "Saisir ici": no answer
    assert "objectifs_precedents.3.atteinte" not in got  # "Choisir": no answer
    assert "engagements.salarie" not in got


def test_an_exported_professional_form_gives_its_boxes_choices_and_table_dates(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    _, path, layout = _issued(tmp_path, "professionnel")
    text = {
        "entretien.date": "12/12/2026",
        "entretien.mode": "Présentiel",
        # A choice whose text wraps in its half of the page.
        "entretien.occasion": "Mi-carrière (après la visite médicale des 45 ans)",
        "perspectives.projet_2_5_ans": "Devenir responsable de secteur.\nPasser par un tutorat.",
        "formations_suivies.1.intitule": "Sécurité routière",
        "formations_suivies.1.date": "03/02/2026",
        "formations_suivies.3.intitule": "Excel avancé",
        "formations.2.theme": "Anglais commercial",
        "formations.2.modalite": "Bilan de compétences",
        "copie_remise_le": "14/12/2026",
    }
    checked = {
        "perspectives.mobilite#2": True,
        "perspectives.mobilite#5": True,
        "formations_suivies.1.obligatoire": True,
        "formations_suivies.3.certifiante": True,
        "information.vae": True,
        "information.cep": True,
    }
    docx = fill_docx(path, text, checked)

    got, expected = _read_back(require_tool("soffice"), docx, layout, tmp_path / "lo")

    assert got == expected
    assert got["perspectives.mobilite#2"] is True and got["perspectives.mobilite#1"] is False
    assert got["information.cep"] is True and got["information.cpf"] is False
    assert got["entretien.occasion"] == "Mi-carrière (après la visite médicale des 45 ans)"
    assert got["formations_suivies.1.date"] == "03/02/2026"


def test_an_exported_form_left_empty_gives_only_what_was_prefilled(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    _, path, layout = _issued(tmp_path, "annuel")
    docx = path.read_bytes()

    got, expected = _read_back(require_tool("soffice"), docx, layout, tmp_path / "lo")

    assert got == expected
    assert got["salarie.matricule"] == "S2"
    assert not [key for key in got if key.startswith(("entretien.", "objectifs", "bilan.r"))]


def test_the_pdf_export_of_another_document_is_not_read(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    _, _, layout = _issued(tmp_path, "annuel")
    letter = (
        "Objet : demande de congés\n\nMadame, Monsieur,\n\nJe souhaite poser mes congés du "
        "3 au 14 août. Date de l'entretien : 12/12/2026.\n\nCordialement,\nÉloïse Lefèvre\n"
    )
    pdf = _exported(require_tool("soffice"), letter.encode("utf-8"), "lettre.txt", tmp_path / "lo")

    assert read_docx_export(pdf, "lettre.pdf", layout) is None
