"""Every kind of file managers send back goes through ``entretien ingest`` end to end.

The readers have their own tests; these check the inbox routes each format to
its reader and stores what it read: a form saved as .odt by LibreOffice, a
.doc converted by LibreOffice, and the refusal when LibreOffice is missing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from factories import TODAY

from entretien_forms.forms import load_catalog
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.inbox import convert
from entretien_forms.inbox.export import export_records
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.roster import read_roster
from entretien_forms.sample.returns import fill_docx, fill_pdf
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
)
FILLED = {
    "entretien.date": "12/12/2026",
    "entretien.mode": "Visio",
    "formations.1.theme": "Négociation avancée",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    init_workspace(tmp_path / "ws")
    workspace = open_workspace(tmp_path / "ws")
    roster_file = tmp_path / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY)
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY)
        catalog = load_catalog(workspace.templates_dir)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    return workspace


def _filled_docx(workspace: Workspace) -> bytes:
    (issued,) = workspace.outbox.glob("2026/*/*-S2-annuel.docx")
    return fill_docx(issued, FILLED, {})


def _saved_as(soffice: str, data: bytes, target: str, folder: Path) -> bytes:
    """``data`` (a .docx) as LibreOffice saves it in the format ``target``."""
    folder.mkdir()
    (folder / "form.docx").write_bytes(data)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(folder / "out"),
            str(folder / "form.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return (folder / "out" / f"form.{target}").read_bytes()


def _ingest(workspace: Workspace, name: str, data: bytes) -> Any:
    (workspace.inbox / name).write_bytes(data)
    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 1, 9))
    (outcome,) = report.outcomes
    return outcome


def _answers(workspace: Workspace) -> dict[str, Any]:
    with Store.open(workspace.database_path) as store:
        (record,) = export_records(store)
    return dict(record["answers"])


@pytest.mark.integration
@pytest.mark.parametrize("target", ["odt", "doc"])
def test_a_form_saved_by_libreoffice_as_odt_or_doc_is_read(
    workspace: Workspace,
    require_tool: Callable[[str], str],
    tmp_path: Path,
    target: str,
) -> None:
    data = _saved_as(require_tool("soffice"), _filled_docx(workspace), target, tmp_path / "lo")

    outcome = _ingest(workspace, f"retour-eloise.{target}", data)

    assert outcome.status == "ok", outcome.message
    answers = _answers(workspace)
    assert answers["entretien.date"] == "2026-12-12"
    assert answers["entretien.mode"] == "Visio"
    assert answers["formations.1.theme"] == "Négociation avancée"
    archived = outcome.destination
    assert archived.suffix == f".{target}" and archived.read_bytes() == data
    with Store.open(workspace.database_path) as store:
        (submission,) = store.submissions()
    assert submission.format == target
    if target == "doc":
        assert any("Converti depuis Word 97-2003" in w for w in outcome.warnings)


def test_a_doc_without_libreoffice_is_set_aside_with_the_way_round(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(convert, "libreoffice", lambda: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600

    outcome = _ingest(workspace, "ancien.doc", ole)

    assert outcome.status == "rejected"
    assert outcome.code == "unsupported_format"
    note = (workspace.root / "rejected" / "ancien.doc.txt").read_text("utf-8")
    assert ".docx" in note


@pytest.mark.integration
@pytest.mark.parametrize("tool", ["pdftk", "qpdf"])
def test_a_flattened_pdf_is_read_from_its_text_where_each_field_was(
    workspace: Workspace, require_tool: Callable[[str], str], tmp_path: Path, tool: str
) -> None:
    (issued,) = workspace.outbox.glob("2026/*/*-S2-annuel.pdf")
    filled = tmp_path / "rempli.pdf"
    filled.write_bytes(fill_pdf(issued, FILLED, {}))
    flat = tmp_path / "aplati.pdf"
    command = {
        "pdftk": [require_tool("pdftk"), str(filled), "output", str(flat), "flatten"],
        "qpdf": [require_tool("qpdf"), "--flatten-annotations=all", str(filled), str(flat)],
    }[tool]
    subprocess.run(command, check=True, capture_output=True, timeout=120)

    outcome = _ingest(workspace, "aplati.pdf", flat.read_bytes())

    assert outcome.status == "ok", outcome.message
    answers = _answers(workspace)
    assert answers["entretien.date"] == "2026-12-12"
    assert answers["entretien.mode"] == "Visio"
    assert answers["formations.1.theme"] == "Négociation avancée"
    with Store.open(workspace.database_path) as store:
        (submission,) = store.submissions()
        methods = {a.field_id: a.method for a in store.answers(submission.id or 0)}
    assert not submission.paper and submission.keying is None
    assert methods["formations.1.theme"] == "pdf_text"


@pytest.mark.integration
def test_the_word_form_exported_to_pdf_is_read_from_its_text(
    workspace: Workspace, require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    exported = _saved_as(require_tool("soffice"), _filled_docx(workspace), "pdf", tmp_path / "lo")

    outcome = _ingest(workspace, "export-word.pdf", exported)

    assert outcome.status == "ok", outcome.message
    answers = _answers(workspace)
    assert answers["entretien.date"] == "2026-12-12"
    assert answers["entretien.mode"] == "Visio"
    assert answers["formations.1.theme"] == "Négociation avancée"
    with Store.open(workspace.database_path) as store:
        (submission,) = store.submissions()
        methods = {a.field_id: a.method for a in store.answers(submission.id or 0)}
    assert not submission.paper and submission.keying is None
    assert methods["formations.1.theme"] == "pdf_text"
    assert any("Formulaire Word exporté en PDF" in w for w in outcome.warnings)


@pytest.mark.integration
def test_a_form_printed_to_pdf_is_read_from_its_text_line_breaks_kept(
    workspace: Workspace, require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    """pdftocairo re-draws the pages as a "print to PDF" driver does: fields gone, 1 pt fonts."""
    (issued,) = workspace.outbox.glob("2026/*/*-S2-annuel.pdf")
    filled = tmp_path / "rempli.pdf"
    filled.write_bytes(fill_pdf(issued, {**FILLED, "bilan.reussites": "Ligne un\nLigne deux"}, {}))
    printed = tmp_path / "imprime.pdf"
    subprocess.run(
        [require_tool("pdftocairo"), "-pdf", str(filled), str(printed)],
        check=True,
        capture_output=True,
        timeout=120,
    )

    outcome = _ingest(workspace, "imprime.pdf", printed.read_bytes())

    assert outcome.status == "ok", outcome.message
    answers = _answers(workspace)
    assert answers["entretien.mode"] == "Visio"
    assert answers["formations.1.theme"] == "Négociation avancée"
    assert answers["bilan.reussites"] == "Ligne un\nLigne deux"
