"""A later return never loses answers: paper copies, scans and digital returns in every order.

A manager often sends the filled Word or PDF file, then prints it, has it
signed and scanned, and the scan lands in the inbox too. The scan must be
kept as the signed copy of the return, not replace its answers.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from factories import issue_for_everyone, workspace_with_roster

from entretien_forms.cli import cli
from entretien_forms.inbox.export import export_records
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.sample.returns import fill_docx, fill_pdf
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
)
FILLED = {"entretien.date": "12/12/2026", "formations.1.theme": "Négociation avancée"}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """Claire and her team member Éloïse imported, their annual forms issued (Word, PDF)."""
    workspace = workspace_with_roster(tmp_path, ROSTER)
    issue_for_everyone(workspace, "annuel")
    return workspace


def _issued(workspace: Workspace, fmt: str) -> Path:
    (found,) = workspace.outbox.glob(f"2026/*/*-S2-annuel.{fmt}")
    return found


def _scan(pdf: bytes, dpi: int = 150) -> bytes:
    """The pages as a scanner gives them: greyscale images in an image-only PDF."""
    document = pdfium.PdfDocument(pdf)
    try:
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def _drop_and_ingest(workspace: Workspace, name: str, data: bytes, hour: int) -> Any:
    (workspace.inbox / name).write_bytes(data)
    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 1, hour))
    (outcome,) = report.outcomes
    assert outcome.status == "ok", outcome.message
    return outcome


def _current(workspace: Workspace) -> list[dict[str, Any]]:
    with Store.open(workspace.database_path) as store:
        return export_records(store)


def _all(workspace: Workspace) -> list[tuple[str, str, bool, int | None]]:
    with Store.open(workspace.database_path) as store:
        return [
            (s.source_file, s.status, s.paper, s.attached_to)
            for s in store.submissions(current_only=False)
        ]


def test_digital_then_signed_scan_keeps_the_answers_and_attaches_the_scan(
    workspace: Workspace,
) -> None:
    digital = fill_pdf(_issued(workspace, "pdf"), FILLED, {})
    _drop_and_ingest(workspace, "rempli.pdf", digital, 9)

    outcome = _drop_and_ingest(workspace, "signe.pdf", _scan(digital), 10)

    (record,) = _current(workspace)
    assert record["source_file"] == "rempli.pdf"
    assert record["answers"]["formations.1.theme"] == "Négociation avancée"
    assert record["answers"]["entretien.date"] == "2026-12-12"
    assert "[copie papier jointe]" in outcome.message
    assert any("ses réponses sont conservées" in w for w in outcome.warnings)
    first, scan = _submissions(workspace)
    assert (first.source_file, first.status) == ("rempli.pdf", "valide")
    assert (scan.source_file, scan.status, scan.paper) == ("signe.pdf", "jointe", True)
    assert scan.attached_to == first.id and scan.keying is None


def _submissions(workspace: Workspace) -> list[Any]:
    with Store.open(workspace.database_path) as store:
        return store.submissions(current_only=False)


def test_scan_then_digital_the_answers_supersede_the_scan(workspace: Workspace) -> None:
    digital = fill_pdf(_issued(workspace, "pdf"), FILLED, {})
    _drop_and_ingest(workspace, "scan.pdf", _scan(digital), 9)

    _drop_and_ingest(workspace, "rempli.pdf", digital, 10)

    (record,) = _current(workspace)
    assert record["source_file"] == "rempli.pdf"
    assert record["answers"]["formations.1.theme"] == "Négociation avancée"
    assert [(f, s) for f, s, _, _ in _all(workspace)] == [
        ("scan.pdf", "remplace"),
        ("rempli.pdf", "valide"),
    ]


def test_digital_then_digital_the_later_answers_supersede(workspace: Workspace) -> None:
    _drop_and_ingest(workspace, "v1.docx", fill_docx(_issued(workspace, "docx"), FILLED, {}), 9)
    later = {**FILLED, "formations.1.theme": "Prospection"}
    _drop_and_ingest(workspace, "v2.docx", fill_docx(_issued(workspace, "docx"), later, {}), 10)

    (record,) = _current(workspace)
    assert record["answers"]["formations.1.theme"] == "Prospection"
    assert [(f, s) for f, s, _, _ in _all(workspace)] == [
        ("v1.docx", "remplace"),
        ("v2.docx", "valide"),
    ]


def test_a_second_scan_of_an_unkeyed_paper_return_replaces_it(workspace: Workspace) -> None:
    blank = _issued(workspace, "pdf").read_bytes()
    _drop_and_ingest(workspace, "scan-flou.pdf", _scan(blank, dpi=150), 9)

    _drop_and_ingest(workspace, "scan-net.pdf", _scan(blank, dpi=200), 10)

    assert [(f, s) for f, s, _, _ in _all(workspace)] == [
        ("scan-flou.pdf", "remplace"),
        ("scan-net.pdf", "valide"),
    ]
    with Store.open(workspace.database_path) as store:
        (waiting,) = store.awaiting_keying()
    assert waiting.source_file == "scan-net.pdf"


def test_status_and_the_workbook_count_paper_returns_waiting_for_keying(
    workspace: Workspace,
) -> None:
    blank = _issued(workspace, "pdf").read_bytes()
    _drop_and_ingest(workspace, "scan.pdf", _scan(blank), 9)
    runner = CliRunner()

    shown = runner.invoke(cli, ["-w", str(workspace.root), "status", "--date", "01/12/2026"])
    built = runner.invoke(cli, ["-w", str(workspace.root), "report", "--date", "01/12/2026"])

    assert shown.exit_code == 0, shown.output
    assert "1 retour papier attend la saisie des réponses écrites à la main" in shown.output
    assert built.exit_code == 0, built.output
    book = openpyxl.load_workbook(workspace.outbox / "suivi-entretiens.xlsx")
    summary = {row[0]: row[1] for row in book["Synthèse"].iter_rows(max_col=2, values_only=True)}
    assert summary["Retours papier à saisir (campagne)"] == 1
    header = [c.value for c in book["Campagne"][1]]
    assert book["Campagne"].cell(2, header.index("Papier à saisir") + 1).value == 1
