"""The keying sheet: a paper return's handwriting cut out of the scan, keyed by HR, read back.

A paper return is built in code: an annual form issued as a fillable PDF is
drawn by pdfium at 200 dpi (what a scanner gives), a few words are written in
one of its zones and a box is ticked with Pillow, and the pages are saved as
an image-only PDF, archived and recorded as the ingest records a scan. The
sheet made from it is filled with PyMuPDF (another PDF library, as HR's
viewer would be) and read back by the inbox's reader.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import ModuleType

import numpy as np
import pikepdf
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner
from factories import TODAY
from PIL import ImageDraw, ImageFont

from entretien_forms.cli import cli
from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.forms import load_catalog
from entretien_forms.forms.paper import Box, PaperMap, Zone
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.identity import KEYING_INFO_SUBMISSION, sign_keying, verify_keying
from entretien_forms.inbox.keying_reader import (
    check_sheet,
    is_keying_sheet,
    read_keying_sheet,
)
from entretien_forms.inbox.marks import Registration
from entretien_forms.keying import make_keying_sheets
from entretien_forms.roster import read_roster
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

NOW = datetime(2026, 11, 27, 10)
DPI = 200
SCALE = DPI / 72
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
)


@pytest.fixture(scope="module")
def pymupdf() -> ModuleType:
    """PyMuPDF, a second PDF library: skipped where missing, but required in CI."""
    try:
        import pymupdf  # a test-only dependency
    except ImportError:
        if os.environ.get("ENTRETIEN_INTEGRATION") == "required":
            pytest.fail("PyMuPDF is not installed (pip install pymupdf)")
        pytest.skip("PyMuPDF is not installed (pip install pymupdf)")
    return pymupdf


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    init_workspace(tmp_path / "ws")
    return open_workspace(tmp_path / "ws")


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    roster_file = workspace.root / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY)
    with Store.open(workspace.database_path) as opened:
        opened.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        yield opened


@dataclass(frozen=True)
class PaperReturn:
    """A scanned annual form, stored as the ingest stores one, and what was written on it."""

    submission: Submission
    issued: IssuedForm
    paper_map: PaperMap
    zone: Zone  # the zone written in
    page: int  # its page
    box: Box  # a check box ticked on the scan
    box_page: int
    radio: Box  # an option of a choice or rating, with a dot in it when asked


def _issued(workspace: Workspace, store: Store) -> IssuedForm:
    request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY, formats=("pdf",))
    catalog = load_catalog(workspace.templates_dir)
    plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
    report = issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    form = next(f for f in report.issued if f.matricule == "S2")
    issued = store.issued(form.reference)
    assert issued is not None and issued.pdf_path is not None
    return issued


def _to_pixels(x: float, y: float, height: float) -> tuple[float, float]:
    return x * SCALE, (height - y) * SCALE


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _scan(workspace: Workspace, store: Store, *, dot: bool = False) -> PaperReturn:
    """Print the issued form (pdfium at 200 dpi), write in a zone, tick a box, archive it.

    ``dot``: a dot in a choice's box, which the mark reader cannot call a tick.
    """
    issued = _issued(workspace, store)
    assert issued.paper_map is not None
    stored_map = store.paper_map(issued.paper_map)
    assert stored_map is not None
    paper_map = PaperMap.from_json(stored_map)
    assert paper_map is not None
    page_number, zone = next((page.number, zone) for page in paper_map.pages for zone in page.zones)
    box_page, box = next(
        (page.number, box)
        for page in paper_map.pages
        for box in page.boxes
        if box.value is True and "#" not in box.key
    )
    radio_page, radio = next(
        (page.number, box)
        for page in paper_map.pages
        for box in page.boxes
        if isinstance(box.value, str)
    )
    path = Path(issued.pdf_path or "")
    pdf = pdfium.PdfDocument(path if path.is_absolute() else workspace.outbox / path)
    images = []
    for index in range(len(pdf)):
        image = pdf[index].render(scale=SCALE, grayscale=True).to_pil().convert("L")
        draw = ImageDraw.Draw(image)
        if index + 1 == page_number:
            x, y = _to_pixels(zone.rect[0] + 4, zone.rect[3] - 2, paper_map.height)
            draw.text((x, y), "Devenir chef d'équipe", fill=0, font=_font(30))
        if index + 1 == box_page:
            x0, y0 = _to_pixels(box.rect[0] + 1, box.rect[3] - 1, paper_map.height)
            x1, y1 = _to_pixels(box.rect[2] - 1, box.rect[1] + 1, paper_map.height)
            draw.line((x0, y0, x1, y1), fill=0, width=4)
            draw.line((x0, y1, x1, y0), fill=0, width=4)
        if dot and index + 1 == radio_page:
            x, y = _to_pixels(
                (radio.rect[0] + radio.rect[2]) / 2,
                (radio.rect[1] + radio.rect[3]) / 2,
                paper_map.height,
            )
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=0)
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    data = buffer.getvalue()
    archive = workspace.root / "archive" / "2026" / "S2" / "scan-20261127.pdf"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(data)
    submission = Submission(
        reference=issued.reference,
        matricule=issued.matricule,
        form_id=issued.form_id,
        kind=issued.kind,
        campaign=issued.campaign,
        form_version=issued.form_version,
        received_at=NOW,
        source_file="scan équipe.pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        format="pdf",
        producer=None,
        paper=True,
        warnings=(),
        archive_path=archive.relative_to(workspace.root).as_posix(),
        keying="a_saisir",
    )
    submission_id = store.record_submission(
        submission, [StoredAnswer(box.key, True, "paper_mark")], now=NOW
    )
    stored = store.submission(submission_id)
    assert stored is not None
    return PaperReturn(stored, issued, paper_map, zone, page_number, box, box_page, radio)


@pytest.fixture
def paper(workspace: Workspace, store: Store) -> PaperReturn:
    return _scan(workspace, store)


def _known_transform(image: np.ndarray, paper_map: PaperMap) -> Registration:
    """Where the page lies on a scan drawn by pdfium at 200 dpi: no marks needed."""
    return Registration(
        matrix=(SCALE, 0.0, 0.0, 0.0, -SCALE, paper_map.height * SCALE),
        residual=0.0,
        marks=(),
        white=255.0,
        black=0.0,
    )


def _fill(pymupdf: ModuleType, data: bytes, values: dict[str, str | bool]) -> bytes:
    """Fill the sheet as HR's viewer would, and save it (incrementally, as viewers do)."""
    document = pymupdf.open(stream=data, filetype="pdf")
    for page in document:
        for widget in page.widgets():
            if widget.field_name in values:
                value = values[widget.field_name]
                if isinstance(value, bool):
                    widget.field_value = widget.on_state() if value else "Off"
                else:
                    widget.field_value = value
                widget.update()
    return bytes(document.tobytes())


def _widgets(pymupdf: ModuleType, data: bytes) -> dict[str, list[tuple[str, object]]]:
    found: dict[str, list[tuple[str, object]]] = {}
    document = pymupdf.open(stream=data, filetype="pdf")
    for page in document:
        for widget in page.widgets():
            found.setdefault(widget.field_name, []).append(
                (widget.field_type_string, widget.field_value)
            )
    return found


# --------------------------------------------------------------------------- signature


def test_the_signature_binds_reference_return_and_scan() -> None:
    secret = b"s" * 32
    signature = sign_keying(secret, reference="EA-2026-00001", submission_id=4, scan_sha256="ab")
    assert verify_keying(
        secret, signature.upper(), reference="EA-2026-00001", submission_id=4, scan_sha256="AB"
    )
    for changed in (
        {"reference": "EA-2026-00002", "submission_id": 4, "scan_sha256": "ab"},
        {"reference": "EA-2026-00001", "submission_id": 5, "scan_sha256": "ab"},
        {"reference": "EA-2026-00001", "submission_id": 4, "scan_sha256": "cd"},
    ):
        assert not verify_keying(secret, signature, **changed)  # type: ignore[arg-type]
    assert not verify_keying(
        b"t" * 32, signature, reference="EA-2026-00001", submission_id=4, scan_sha256="ab"
    )


# --------------------------------------------------------------------------- the sheet


def test_a_sheet_shows_each_zone_with_an_empty_field_named_after_its_key(
    workspace: Workspace, store: Store, paper: PaperReturn, pymupdf: ModuleType
) -> None:
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    assert report.problems == []
    [sheet] = report.sheets
    assert sheet.path == workspace.root / "saisie" / "2026" / f"S2-{paper.submission.reference}.pdf"
    zones = [z for page in paper.paper_map.pages for z in page.zones]
    questions = {box.key.split("#")[0] for page in paper.paper_map.pages for box in page.boxes}
    assert (sheet.written, sheet.ticks) == (len(zones), len(questions))
    data = sheet.path.read_bytes()
    assert is_keying_sheet(data)
    widgets = _widgets(pymupdf, data)
    for zone in zones:
        assert widgets[zone.key] == [("Text", "")], zone.key
    # The box read as ticked is pre-ticked, for HR to confirm.
    [(kind, value)] = widgets[paper.box.key]
    assert (kind, value) == ("CheckBox", "Oui")
    # Unanswered questions (every box empty on the scan) are not flagged.
    document = pymupdf.open(stream=data, filetype="pdf")
    assert "À vérifier" not in " ".join(page.get_text() for page in document)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = {str(k): str(v) for k, v in pdf.docinfo.items()}
        images = [name for page in pdf.pages for name, _ in page.get_images().items()]
    assert info["/EntretienFiche"] == "saisie"
    assert info["/EntretienReference"] == paper.submission.reference
    assert info["/EntretienRetour"] == str(paper.submission.id)
    assert info["/EntretienScan"] == paper.submission.sha256
    # A picture of the zone written in and of each question's boxes; the zones left
    # blank on the scan get a note instead, which keeps the sheet short.
    assert len(images) == 1 + len(questions)
    # The annual form's sheet stays small: its pictures are greyscale JPEG.
    assert len(data) < 200_000 * len(paper.paper_map.pages)


def test_a_sheet_passes_qpdf_check(
    workspace: Workspace,
    store: Store,
    paper: PaperReturn,
    require_tool: Callable[[str], str],
) -> None:
    qpdf = require_tool("qpdf")
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    result = subprocess.run(
        [qpdf, "--check", str(report.sheets[0].path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_zone_picture_holds_what_was_written(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    """The first picture of the sheet is the written zone: dark where the words are."""
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    with pikepdf.open(report.sheets[0].path) as pdf:
        streams = [image for page in pdf.pages for image in page.get_images().values()]
        assert isinstance(streams[0], pikepdf.Stream)
        picture = pikepdf.PdfImage(streams[0]).as_pil_image().convert("L")
    pixels = np.asarray(picture)
    assert pixels.min() < 80  # handwriting (the printed zone is a light frame)
    assert picture.width > picture.height


def test_the_registration_marks_locate_the_zones(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    """End to end: the real mark reader places the zones; no page is shown whole."""
    report = make_keying_sheets(workspace, store, now=NOW)
    assert report.problems == []
    assert report.sheets[0].notes == ()


def test_a_page_whose_marks_are_not_found_is_shown_whole(
    workspace: Workspace, store: Store, paper: PaperReturn, pymupdf: ModuleType
) -> None:
    report = make_keying_sheets(workspace, store, now=NOW, locate=lambda image, paper_map: None)
    [sheet] = report.sheets
    pages = len(paper.paper_map.pages)
    assert len(sheet.notes) == pages
    assert sheet.notes[0].startswith("Page 1 : repères d'impression introuvables")
    assert report.problems == []  # a sheet was written all the same
    # HR can key anyway: every field is there.
    widgets = _widgets(pymupdf, sheet.path.read_bytes())
    assert paper.zone.key in widgets


def test_a_doubtful_mark_is_flagged_and_left_empty(
    workspace: Workspace, store: Store, pymupdf: ModuleType
) -> None:
    paper = _scan(workspace, store, dot=True)
    report = make_keying_sheets(workspace, store, now=NOW)
    data = report.sheets[0].path.read_bytes()
    widgets = _widgets(pymupdf, data)
    assert {value for _, value in widgets[paper.radio.key]} <= {"Off", "", None}
    document = pymupdf.open(stream=data, filetype="pdf")
    text = " ".join(page.get_text() for page in document)
    assert text.count("À vérifier") == 1


def test_a_form_issued_without_a_paper_map_is_keyed_from_whole_pages(
    workspace: Workspace, store: Store, paper: PaperReturn, pymupdf: ModuleType
) -> None:
    """A form issued before paper was read: every question of its layout, under the pages."""
    older = replace(paper.submission, reference="EA-2026-09999", sha256="e" * 64, id=None)
    store.record_submission(older, [], now=datetime(2026, 11, 28))
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    [sheet] = report.sheets
    assert sheet.reference == "EA-2026-09999"
    assert sheet.notes[0].startswith("Ce formulaire a été émis avant que l'outil sache lire")
    widgets = _widgets(pymupdf, sheet.path.read_bytes())
    assert paper.zone.key in widgets and paper.box.key in widgets
    with pikepdf.open(sheet.path) as pdf:
        pictures = [image for page in pdf.pages for image in page.get_images().values()]
    assert len(pictures) == len(paper.paper_map.pages)


def test_a_sheet_being_filled_is_kept(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    first = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    path = first.sheets[0].path
    path.write_bytes(b"HR's work")
    again = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    assert (again.sheets, again.kept) == ([], [path])
    assert path.read_bytes() == b"HR's work"
    replaced = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform, replace=True)
    assert [s.path for s in replaced.sheets] == [path]


def test_only_names_references(workspace: Workspace, store: Store, paper: PaperReturn) -> None:
    report = make_keying_sheets(
        workspace,
        store,
        only=["EA-2026-99999", paper.submission.reference],
        now=NOW,
        locate=_known_transform,
    )
    assert [s.reference for s in report.sheets] == [paper.submission.reference]
    assert report.problems == [
        "EA-2026-99999 : référence inconnue de cet espace de travail (voir « entretien status »)."
    ]


# --------------------------------------------------------------------------- reading it back


def test_a_filled_sheet_reads_back_as_keyed_answers(
    workspace: Workspace, store: Store, paper: PaperReturn, pymupdf: ModuleType
) -> None:
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    data = report.sheets[0].path.read_bytes()
    filled = _fill(pymupdf, data, {paper.zone.key: "Devenir chef d'équipe"})
    sheet = read_keying_sheet(filled, "fiche.pdf")
    assert (sheet.reference, sheet.submission_id, sheet.scan_sha256) == (
        paper.submission.reference,
        paper.submission.id,
        paper.submission.sha256,
    )
    assert sheet.answers[paper.zone.key].value == "Devenir chef d'équipe"
    assert {a.method for a in sheet.answers.values()} == {"keyed"}
    # Untouched zones are not answers; the pre-ticked box is a confirmed mark.
    zones = {z.key for page in paper.paper_map.pages for z in page.zones}
    assert {k for k in sheet.answers if k in zones} == {paper.zone.key}
    assert sheet.answers[paper.box.key].value is True
    assert "entretien_saisie" not in sheet.answers
    assert (
        check_sheet(sheet, "fiche.pdf", secret=workspace.secret(), store=store) == paper.submission
    )


def test_a_sheet_without_info_is_known_by_its_hidden_field(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    with pikepdf.open(report.sheets[0].path) as pdf:
        del pdf.trailer["/Info"]
        buffer = io.BytesIO()
        pdf.save(buffer)
    data = buffer.getvalue()
    assert is_keying_sheet(data)
    sheet = read_keying_sheet(data, "fiche.pdf")
    assert sheet.submission_id == paper.submission.id
    check_sheet(sheet, "fiche.pdf", secret=workspace.secret(), store=store)


def test_a_sheet_moved_onto_another_return_fails_verification(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    with pikepdf.open(report.sheets[0].path) as pdf:
        pdf.docinfo[f"/{KEYING_INFO_SUBMISSION}"] = str((paper.submission.id or 0) + 1)
        buffer = io.BytesIO()
        pdf.save(buffer)
    sheet = read_keying_sheet(buffer.getvalue(), "fiche.pdf")
    assert sheet.submission_id == (paper.submission.id or 0) + 1
    assert sheet.notes and "diffèrent" in sheet.notes[-1]
    with pytest.raises(RejectedFile) as caught:
        check_sheet(sheet, "fiche.pdf", secret=workspace.secret(), store=store)
    assert caught.value.code == RejectionCode.TAMPERED


def test_a_sheet_of_a_replaced_return_is_refused(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    report = make_keying_sheets(workspace, store, now=NOW, locate=_known_transform)
    sheet = read_keying_sheet(report.sheets[0].path.read_bytes(), "fiche.pdf")
    store.record_submission(
        replace(paper.submission, sha256="f" * 64, id=None), [], now=datetime(2026, 11, 28)
    )
    with pytest.raises(RejectedFile, match="remplacé depuis"):
        check_sheet(sheet, "fiche.pdf", secret=workspace.secret(), store=store)


def test_a_returned_form_is_not_a_keying_sheet(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    path = Path(paper.issued.pdf_path or "")
    form = (path if path.is_absolute() else workspace.outbox / path).read_bytes()
    assert not is_keying_sheet(form)
    assert not is_keying_sheet(b"not a pdf")
    assert not is_keying_sheet(b"%PDF-1.7\n garbage")


# --------------------------------------------------------------------------- command


def test_the_command_prints_one_line_per_sheet_and_the_folder(
    workspace: Workspace, store: Store, paper: PaperReturn
) -> None:
    result = CliRunner().invoke(cli, ["-w", str(workspace.root), "saisie"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"OK      {paper.submission.reference}")
    assert lines[-1].endswith(str(workspace.root / "saisie"))
