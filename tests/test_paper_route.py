"""The paper route end to end: print, tick, scan a stack, drop it, key what is written, done.

Forms are issued by the real ``generate``; their pages are drawn by pdfium at
scanner resolutions, ticked with the pens of ``paper_kit``, passed through
its scanner (turned, shifted, noisy, JPEG), shuffled into one stack with
pages upside down and a blank page, and dropped in the inbox. The keying
sheet ``entretien saisie`` makes is filled with PyMuPDF, as HR would in any
PDF reader, and dropped in the inbox too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from factories import issue_for_everyone, workspace_with_roster
from paper_kit import Scanner, draw_mark, render_pdf_page
from PIL import Image

from entretien_forms.cli import cli
from entretien_forms.forms.paper import PaperMap
from entretien_forms.inbox.export import export_records
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.store import Store, Submission
from entretien_forms.workspace import Workspace

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
    "S3;Dubois;Thomas;01/09/2021;Responsable SEO;Marketing;M1\n"
)
DPI = 200
# What each manager ticks with a pen: field id → option (the export value).
TICKS = {
    "S2": {"entretien.mode": "Visio", "objectifs_precedents.1.atteinte": "3"},
    "S3": {"entretien.mode": "Présentiel", "objectifs_precedents.1.atteinte": "4"},
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    workspace = workspace_with_roster(tmp_path, ROSTER)
    issue_for_everyone(workspace, kind="annuel", campaign="2026")
    return workspace


def _issued_pdf(workspace: Workspace, matricule: str) -> bytes:
    (found,) = workspace.outbox.glob(f"2026/*/*-{matricule}-annuel.pdf")
    return found.read_bytes()


def _paper_map(workspace: Workspace, matricule: str) -> PaperMap:
    with Store.open(workspace.database_path) as store:
        (issued,) = [f for f in store.current_issued(campaign="2026") if f.matricule == matricule]
        assert issued.paper_map is not None
        text = store.paper_map(issued.paper_map)
    assert text is not None
    found = PaperMap.from_json(text)
    assert found is not None
    return found


def _ticked_pages(workspace: Workspace, matricule: str, seed: int) -> list[Image.Image]:
    """The form's pages as printed and ticked with a pen, before the scanner."""
    pdf = _issued_pdf(workspace, matricule)
    geometry = _paper_map(workspace, matricule)
    rng = np.random.default_rng(seed)
    pages = []
    for page in geometry.pages:
        image = render_pdf_page(pdf, page.number - 1, DPI)
        for box in page.boxes:
            if TICKS[matricule].get(box.key) == box.value:
                draw_mark(image, geometry, box.rect, "tick", DPI, rng)
        pages.append(image)
    return pages


def _scanned(pages: Sequence[Image.Image], geometry: PaperMap, seed: int) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    scanned = []
    for page in pages:
        scanner = Scanner.random(rng, geometry, DPI, max_angle=2.0)
        scanned.append(Image.fromarray(scanner.scan(page, rng)))
    return scanned


def _image_pdf(pages: Sequence[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=list(pages[1:]), resolution=DPI)
    return buffer.getvalue()


def _ingest(workspace: Workspace, name: str, data: bytes, hour: int) -> Any:
    (workspace.inbox / name).write_bytes(data)
    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 1, hour))
    (outcome,) = report.outcomes
    assert outcome.status == "ok", outcome.message
    return outcome


def _submissions(workspace: Workspace) -> list[Submission]:
    with Store.open(workspace.database_path) as store:
        return store.submissions(current_only=False)


def _answers(workspace: Workspace, submission: Submission) -> dict[str, tuple[Any, str]]:
    with Store.open(workspace.database_path) as store:
        return {a.field_id: (a.value, a.method) for a in store.answers(submission.id or 0)}


def test_a_team_stack_in_any_order_is_split_into_returns_and_its_ticks_are_read(
    workspace: Workspace,
) -> None:
    geometry = _paper_map(workspace, "S2")
    eloise = _scanned(_ticked_pages(workspace, "S2", 1), geometry, 11)
    thomas = _scanned(_ticked_pages(workspace, "S3", 2), geometry, 12)
    blank = Image.new("L", eloise[0].size, 250)
    upside_down = eloise[0].rotate(180)
    # Thomas's page 4 never reached the scanner.
    stack = [thomas[1], upside_down, thomas[0], blank, eloise[1], eloise[2], eloise[3], thomas[2]]

    outcome = _ingest(workspace, "scan-equipe-claire.pdf", _image_pdf(stack), 9)

    assert "2 formulaires" in outcome.message
    first, second = _submissions(workspace)
    assert (first.matricule, first.part, json.loads(first.pages or "[]")) == ("S3", 1, [3, 1, 8])
    assert (second.matricule, second.part, json.loads(second.pages or "[]")) == (
        "S2",
        2,
        [2, 5, 6, 7],
    )
    assert first.archive_path == second.archive_path  # the scan is archived once
    assert (workspace.root / first.archive_path).is_file()
    for submission in (first, second):
        assert submission.paper and submission.keying == "a_saisir"
        answers = _answers(workspace, submission)
        ticks = TICKS[submission.matricule]
        assert answers["entretien.mode"] == (ticks["entretien.mode"], "paper_mark")
        assert answers["objectifs_precedents.1.atteinte"] == (
            int(ticks["objectifs_precedents.1.atteinte"]),
            "paper_mark",
        )
    assert any("page 4 sur 4 manquante" in w for w in first.warnings)
    assert any("page blanche" in w for w in first.warnings)


@pytest.mark.parametrize("kind", ["tiff", "jpeg", "png"])
def test_images_from_a_scanner_or_a_phone_are_returns_too(workspace: Workspace, kind: str) -> None:
    geometry = _paper_map(workspace, "S2")
    pages = _scanned(_ticked_pages(workspace, "S2", 3), geometry, 13)
    buffer = io.BytesIO()
    if kind == "tiff":
        pages[0].save(
            buffer, "TIFF", save_all=True, append_images=pages[1:], dpi=(DPI, DPI),
            compression="tiff_lzw",
        )  # fmt: skip
    else:
        pages[0].save(buffer, kind.upper(), dpi=(DPI, DPI))  # one page, as a phone takes it

    _ingest(workspace, f"scan.{'jpg' if kind == 'jpeg' else kind}", buffer.getvalue(), 9)

    (submission,) = _submissions(workspace)
    assert submission.format == "image" and submission.paper
    assert _answers(workspace, submission)["entretien.mode"] == ("Visio", "paper_mark")
    if kind != "tiff":
        assert any("pages 2 à 4 sur 4 manquantes" in w for w in submission.warnings), (
            submission.warnings
        )


def _fill_sheet(sheet: bytes, values: dict[str, str]) -> bytes:
    fitz = pytest.importorskip("fitz")
    document = fitz.open(stream=sheet, filetype="pdf")
    for page in document:
        for widget in page.widgets():
            if widget.field_name in values:
                widget.field_value = values[widget.field_name]
                widget.update()
    return bytes(document.tobytes())


def test_written_answers_are_keyed_on_a_sheet_and_stored_on_the_same_paper_return(
    workspace: Workspace,
) -> None:
    geometry = _paper_map(workspace, "S2")
    scan = _image_pdf(_scanned(_ticked_pages(workspace, "S2", 4), geometry, 14))
    _ingest(workspace, "scan-eloise.pdf", scan, 9)
    runner = CliRunner()

    made = runner.invoke(cli, ["-w", str(workspace.root), "saisie"])

    assert made.exit_code == 0, made.output
    (sheet,) = (workspace.root / "saisie").rglob("*.pdf")
    keyed = {"formations.1.theme": "Négociation avancée", "entretien.date": "12/12/2026"}
    outcome = _ingest(workspace, "fiche-eloise.pdf", _fill_sheet(sheet.read_bytes(), keyed), 10)

    assert "[fiche de saisie]" in outcome.message
    paper, kept_sheet = _submissions(workspace)
    assert (paper.status, paper.keying) == ("valide", "saisi")
    assert (kept_sheet.status, kept_sheet.attached_to) == ("saisie", paper.id)
    answers = _answers(workspace, paper)
    assert answers["formations.1.theme"] == ("Négociation avancée", "keyed")
    assert answers["entretien.date"] == ("2026-12-12", "keyed")
    assert answers["entretien.mode"][0] == "Visio"  # the tick read, confirmed on the sheet
    with Store.open(workspace.database_path) as store:
        (record,) = export_records(store)
        assert store.awaiting_keying() == []
    assert record["source_file"] == "scan-eloise.pdf"
    assert record["answers"]["formations.1.theme"] == "Négociation avancée"

    # The keyed paper return is not wiped by a later scan of the same signed form.
    _ingest(workspace, "scan-eloise-signe.pdf", _image_pdf(_scanned(
        _ticked_pages(workspace, "S2", 5), geometry, 15)), 11)  # fmt: skip
    assert _submissions(workspace)[-1].status == "jointe"
    assert _answers(workspace, paper)["formations.1.theme"][0] == "Négociation avancée"


def test_the_command_counts_the_forms_of_a_stack_not_its_files(workspace: Workspace) -> None:
    geometry = _paper_map(workspace, "S2")
    pages = _scanned(_ticked_pages(workspace, "S2", 6), geometry, 16)
    pages += _scanned(_ticked_pages(workspace, "S3", 7), geometry, 17)
    (workspace.inbox / "pile.pdf").write_bytes(_image_pdf(pages))

    result = CliRunner().invoke(cli, ["-w", str(workspace.root), "ingest"])

    assert result.exit_code == 0, result.output
    assert "2 formulaires enregistrés, 0 fichier mis de côté." in result.output


def test_a_picture_without_our_code_is_set_aside_in_plain_french(workspace: Workspace) -> None:
    buffer = io.BytesIO()
    Image.new("L", (800, 1100), 255).save(buffer, "JPEG")
    (workspace.inbox / "photo.jpg").write_bytes(buffer.getvalue())

    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 1, 9))

    (outcome,) = report.outcomes
    assert outcome.status == "rejected" and outcome.code == "not_a_form"
    assert "aucun code QR de formulaire lu sur sa page." in outcome.message
