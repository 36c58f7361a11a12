"""The printed form, read by optical mark reading: tick boxes, registration marks, paper map.

A choice or a rating is printed as a tick box per option and is a radio
group in the fillable PDF; every page has four black registration marks; the
template's ``paper_map`` says where each box, writing zone and mark is. The
map is checked against the page as pdfium draws it, the radio groups against
what PyMuPDF and pdftk write when they fill them, and the ledger against
what ``generate`` stores.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.sax.saxutils import escape

import pypdfium2 as pdfium
import pytest
from factories import TODAY
from PIL import Image
from pypdf import PdfReader

from entretien_forms.forms import load_catalog
from entretien_forms.forms.contract import field_keys, radio_options
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
from entretien_forms.forms.paper import PaperMap, Rect
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.inbox.pdf_reader import extract_pdf
from entretien_forms.render import _pdf_layout as geo
from entretien_forms.render.pdf import PdfTemplate, write_print_batch
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

SCALE = 4.0  # 288 dpi: a 9 pt box is 36 pixels, a border 3
LEVELS = ("À acquérir", "En cours", "Maîtrisée", "Expert")


def _skills(rows: tuple[tuple[str, str], ...]) -> Table:
    columns = (
        Column("niveau", "Niveau", "rating", scale=(1, 2, 3, 4), scale_labels=LEVELS),
        Column("action", "Action", "choice", options=("Formation", "Tutorat")),
        Column("faits", "Faits observés", "text"),
    )
    return Table(
        id="competences",
        label="Compétences",
        columns=columns,
        rows=tuple(
            TableRow(
                key,
                label,
                tuple(
                    Field(
                        f"competences.{key}.{c.id}",
                        f"{c.label} – {label}",
                        c.type,
                        options=c.options,
                        scale=c.scale,
                        scale_labels=c.scale_labels,
                    )
                    for c in columns
                ),
            )
            for key, label in rows
        ),
        row_header="Compétence",
    )


PAPER = FormLayout(
    form_id="papier",
    title="Formulaire papier",
    kind="annuel",
    version="1",
    grid=None,
    privacy_notice="Ne notez ici aucune donnée de santé.",
    sections=(
        Section(
            "Entretien",
            None,
            (
                Field("salarie.nom", "Salarié", "text", prefilled=True, locked=True),
                Field(
                    "salarie.statut",
                    "Statut",
                    "choice",
                    options=("Cadre", "Non cadre"),
                    prefilled=True,
                    locked=True,
                ),
                Field("entretien.date", "Date de l'entretien", "date", required=True),
                Field("entretien.mode", "Modalité", "choice", options=("Présentiel", "Visio")),
                Field("bilan.ca", "Chiffre d'affaires", "number"),
                Field(
                    "entretien.charge",
                    "Charge de travail",
                    "rating",
                    scale=(1, 2, 3, 4),
                    scale_labels=("Trop faible", "Adaptée", "Élevée", "Excessive"),
                    required=True,
                ),
                Field("entretien.accord", "Accord du salarié", "checkbox"),
                Field(
                    "bilan.langues",
                    "Langues",
                    "multichoice",
                    options=("Anglais", "Espagnol", "Allemand"),
                ),
                Field("bilan.texte", "Réussites", "longtext", lines=30),  # a second page
                _skills((("crm", "CRM"), ("seo", "Référencement"))),
                Field("interet", "Intérêt", "rating", scale=(1, 2, 3)),
            ),
        ),
    ),
)
CHOSEN: FormValues = {
    "entretien.mode": "Visio",
    "entretien.charge": "3",
    "competences.crm.niveau": "4",
    "competences.seo.action": "Formation",
    "interet": "1",
}


def _identity(reference: str = "EA-2026-00042") -> Identity:
    return Identity(
        reference=reference,
        form_id="papier",
        form_version="1",
        kind="annuel",
        campaign="2026",
        matricule="S004",
        employee_name="Éloïse Lefèvre",
        manager_name="Claire Martin",
        company="Horizon SAS",
        signature="0f" * 32,
        issued_on=TODAY,
    )


@pytest.fixture(scope="module")
def paper() -> PdfTemplate:
    return PdfTemplate.compile(PAPER)


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


def _batch(template: PdfTemplate, values: FormValues) -> bytes:
    target = io.BytesIO()
    write_print_batch([(template, _identity(), values)], target)
    return target.getvalue()


def _images(pdf: bytes) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=SCALE).to_pil().convert("L") for page in document]
    finally:
        document.close()


def _pixels(image: Image.Image, rect: Rect, inset: float) -> list[int]:
    """The pixels of a PDF rectangle shrunk by ``inset`` points on each side."""
    x0, y0, x1, y1 = rect
    top = geo.PAGE_HEIGHT - y1
    crop = image.crop(
        (
            round((x0 + inset) * SCALE),
            round((top + inset) * SCALE),
            round((x1 - inset) * SCALE),
            round((top + y1 - y0 - inset) * SCALE),
        )
    )
    return list(crop.tobytes())  # one byte a pixel in mode L


def _pixel(image: Image.Image, x: float, y: float) -> int:
    value: int = image.getpixel((int(x * SCALE), int((geo.PAGE_HEIGHT - y) * SCALE)))
    return value


def _answers(pdf: bytes) -> dict[str, Any]:
    extraction = extract_pdf(pdf, "formulaire.pdf", None)
    return {key: answer.value for key, answer in extraction.answers.items()}


def _radio_fields(layout: FormLayout) -> list[Field]:
    return [f for f in layout.fields if f.type in ("choice", "rating")]


# --------------------------------------------------------------------------- the map


def test_paper_map_holds_every_answer_the_manager_gives_and_no_locked_one(
    paper: PdfTemplate,
) -> None:
    paper_map = paper.paper_map
    assert len(paper_map.pages) == paper.page_count >= 2
    boxes = [box for page in paper_map.pages for box in page.boxes]
    zones = [zone for page in paper_map.pages for zone in page.zones]
    answerable = [f for f in PAPER.fields if not f.locked]
    ticked = [f for f in answerable if f.type in ("choice", "rating", "checkbox", "multichoice")]
    assert sorted({box.key for box in boxes}) == sorted(k for f in ticked for k in field_keys(f))
    by_key: dict[str, list[str | bool]] = {}
    for box in boxes:
        by_key.setdefault(box.key, []).append(box.value)
    for field in _radio_fields(PAPER):
        if not field.locked:
            assert by_key[field.id] == [o.value for o in radio_options(field)], field.id
    assert by_key["competences.crm.niveau"] == ["1", "2", "3", "4"]
    assert by_key["entretien.accord"] == [True]
    assert by_key["bilan.langues#2"] == [True]
    assert [(z.key, z.label, z.kind) for z in zones] == [
        ("entretien.date", "Date de l'entretien", "date"),
        ("bilan.ca", "Chiffre d'affaires", "number"),
        ("bilan.texte", "Réussites", "multiline"),
        ("competences.crm.faits", "Faits observés – CRM", "text"),
        ("competences.seo.faits", "Faits observés – Référencement", "text"),
    ]
    assert not {"salarie.nom", "salarie.statut"} & {*by_key, *(z.key for z in zones)}
    # Tick boxes are squares: 11 pt on their own, 9 pt in a table cell.
    sizes = {round(b.rect[2] - b.rect[0], 2) for b in boxes if b.key.startswith("competences")}
    assert sizes == {geo.CELL_CHECKBOX_SIZE}
    assert {round(b.rect[3] - b.rect[1], 2) for b in boxes if b.key == "entretien.mode"} == {
        geo.CHECKBOX_SIZE
    }


def test_paper_map_geometry_marks_and_qr(paper: PdfTemplate) -> None:
    paper_map = paper.paper_map
    mm = 72 / 25.4
    assert (paper_map.width, paper_map.height) == (595.28, 841.89)
    assert paper_map.mark_size == round(5 * mm, 2)
    near, far_x, far_y = 10.5 * mm, geo.PAGE_WIDTH - 10.5 * mm, geo.PAGE_HEIGHT - 10.5 * mm
    expected = [(near, far_y), (far_x, far_y), (near, near), (far_x, near)]
    assert [(round(x, 2), round(y, 2)) for x, y in expected] == list(paper_map.marks)
    assert paper_map.qr == tuple(
        round(v, 2) for v in (geo.QR_X, geo.QR_Y, geo.QR_X + geo.QR_SIZE, geo.QR_Y + geo.QR_SIZE)
    )
    half = paper_map.mark_size / 2
    qr_x0, qr_y0, qr_x1, qr_y1 = paper_map.qr
    for x, y in paper_map.marks:
        assert min(x - half, y - half) >= 8 * mm - 0.01  # inside any printer's area
        assert paper_map.width - (x + half) >= 8 * mm - 0.01
        assert paper_map.height - (y + half) >= 8 * mm - 0.01
        assert x + half < qr_x0 or x - half > qr_x1 or y + half < qr_y0 or y - half > qr_y1


def test_paper_map_round_trips_and_is_the_same_for_the_same_layout(paper: PdfTemplate) -> None:
    text = paper.paper_map.to_json()
    assert PaperMap.from_json(text) == paper.paper_map
    again = PdfTemplate.compile(PAPER).paper_map
    assert again.key == paper.paper_map.key
    assert paper.paper_map is paper.paper_map  # computed once


def test_paper_map_is_where_the_page_prints_its_boxes_zones_and_marks(
    paper: PdfTemplate,
) -> None:
    images = _images(_batch(paper, {}))
    half = paper.paper_map.mark_size / 2
    for page, image in zip(paper.paper_map.pages, images, strict=True):
        for box in page.boxes:
            x0, y0, x1, y1 = box.rect
            # The border runs along the map's rectangle, the inside is blank.
            middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
            edges = [(x0, middle_y), (x1, middle_y), (middle_x, y0), (middle_x, y1)]
            assert all(_pixel(image, x, y) < 200 for x, y in edges), box
            assert min(_pixels(image, box.rect, 1.2)) > 250, box
        for zone in page.zones:
            # The grey answer fill, from edge to edge: no border, page or grid inside.
            inside = _pixels(image, zone.rect, 1.0)
            assert min(inside) >= 240 and max(inside) <= 252, zone
        for x, y in paper.paper_map.marks:
            square = (x - half, y - half, x + half, y + half)
            assert max(_pixels(image, square, 0.8)) < 40  # black to its edges
            ring = (x - half - 6, y - half - 6, x + half + 6, y + half + 6)
            outside = [
                _pixel(image, px, py)
                for px, py in ((ring[0], y), (ring[2], y), (x, ring[1]), (x, ring[3]))
            ]
            assert min(outside) > 245  # nothing printed next to a mark


def test_fillable_form_prints_the_marks_on_every_page(paper: PdfTemplate) -> None:
    images = _images(paper.render(_identity(), {}))
    half = paper.paper_map.mark_size / 2
    assert len(images) == paper.page_count >= 2
    for image in images:
        for x, y in paper.paper_map.marks:
            assert max(_pixels(image, (x - half, y - half, x + half, y + half), 0.8)) < 40


# --------------------------------------------------------------------------- radio groups


def test_prefilled_values_tick_the_right_radio(paper: PdfTemplate) -> None:
    pdf = paper.render(_identity(), CHOSEN)
    answers = _answers(pdf)
    assert {key: answers.get(key) for key in CHOSEN} == CHOSEN
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    assert fields["entretien.charge"]["/V"] == "/2"  # the third level's state
    assert "/V" not in fields["competences.seo.niveau"]  # nothing given, nothing ticked


def test_print_batch_ticks_the_chosen_boxes_where_the_map_says(paper: PdfTemplate) -> None:
    images = _images(_batch(paper, CHOSEN))
    ticked = []
    for page, image in zip(paper.paper_map.pages, images, strict=True):
        for box in page.boxes:
            if min(_pixels(image, box.rect, 1.2)) < 100:  # a cross inside the border
                ticked.append((box.key, box.value))
    assert sorted(ticked) == sorted(CHOSEN.items())


def _click(pymupdf: ModuleType, pdf: bytes, values: Mapping[str, str]) -> bytes:
    """``pdf`` with the box of each value's option clicked in PyMuPDF."""
    states = {f.id: {o.value: o.state for o in radio_options(f)} for f in _radio_fields(PAPER)}
    document = pymupdf.open(stream=pdf, filetype="pdf")
    for page in document:
        for widget in page.widgets():
            value = values.get(widget.field_name)
            if value is not None and widget.on_state() == states[widget.field_name][value]:
                widget.field_value = True
                widget.update()
    data: bytes = document.tobytes()
    document.close()
    return data


def test_radio_groups_filled_in_pymupdf_read_back_as_export_values(
    paper: PdfTemplate, pymupdf: ModuleType
) -> None:
    pdf = paper.render(_identity(), {"entretien.mode": "Présentiel"})
    filled = _click(pymupdf, pdf, CHOSEN)
    answers = _answers(filled)
    assert {key: answers.get(key) for key in CHOSEN} == CHOSEN
    # A second click in a group unticks the first box: one answer, the last.
    again = _answers(_click(pymupdf, filled, {"entretien.charge": "1", "interet": "3"}))
    assert (again["entretien.charge"], again["interet"]) == ("1", "3")


def _xfdf(values: Mapping[str, str]) -> str:
    """An XFDF file filling ``values``, dotted names as the nested fields they are."""
    tree: dict[str, Any] = {}
    for name, value in values.items():
        *parents, last = name.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    def fields(node: Mapping[str, Any]) -> Iterator[str]:
        for name, value in node.items():
            inner = "".join(fields(value)) if isinstance(value, dict) else (
                f"<value>{escape(value)}</value>"
            )  # fmt: skip
            yield f'<field name="{escape(name)}">{inner}</field>'

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve"><fields>'
        + "".join(fields(tree))
        + "</fields></xfdf>"
    )


@pytest.mark.integration
def test_radio_groups_filled_by_pdftk_read_back_as_export_values(
    paper: PdfTemplate, tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    pdftk = require_tool("pdftk")
    source = tmp_path / "formulaire.pdf"
    source.write_bytes(paper.render(_identity(), {"entretien.mode": "Présentiel"}))
    xfdf = tmp_path / "valeurs.xfdf"
    # pdftk writes the position of the value in /Opt: "4" is state "3", read as "4".
    xfdf.write_text(_xfdf({**CHOSEN, "entretien.date": "12/01/2027"}), encoding="utf-8")
    target = tmp_path / "rempli.pdf"
    result = subprocess.run(
        [pdftk, str(source), "fill_form", str(xfdf), "output", str(target)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers = _answers(target.read_bytes())
    assert {key: answers.get(key) for key in CHOSEN} == CHOSEN
    assert answers["entretien.date"] == "12/01/2027"


@pytest.mark.integration
def test_forms_and_print_batches_pass_qpdf_check(
    paper: PdfTemplate, tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    qpdf = require_tool("qpdf")
    for name, data in (
        ("vierge.pdf", paper.render(_identity(), {})),
        ("prerempli.pdf", paper.render(_identity(), CHOSEN)),
        ("lot.pdf", _batch(paper, CHOSEN)),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        result = subprocess.run(
            [qpdf, "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0 and "No syntax or stream encoding errors" in result.stdout, (
            name,
            result.stdout,
            result.stderr,
        )


# --------------------------------------------------------------------------- ledger

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable;CA réalisé\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1;125000\n"
)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    init_workspace(tmp_path / "ws")
    return open_workspace(tmp_path / "ws")


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    roster_file = workspace.root / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY, extra_columns=["CA réalisé"])
    with Store.open(workspace.database_path) as opened:
        opened.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        yield opened


@pytest.mark.parametrize("formats", [("pdf",), ("docx",)])
def test_the_paper_map_is_stored_with_the_issued_forms(
    workspace: Workspace, store: Store, formats: tuple[str, ...]
) -> None:
    """A form issued as .docx only gets the map too: a print batch prints it from the PDF."""
    request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY, formats=formats)
    catalog = load_catalog(workspace.templates_dir)
    plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
    report = issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    assert len(report.issued) == 2
    for form in report.issued:
        issued = store.issued(form.reference)
        assert issued is not None and issued.paper_map is not None
        stored = store.paper_map(issued.paper_map)
        assert stored is not None
        paper_map = PaperMap.from_json(stored)
        assert paper_map is not None and paper_map.key == issued.paper_map
        assert any(box.key == "entretien.mode" for page in paper_map.pages for box in page.boxes)
    # Both employees have the same layout (commercial and common grids differ).
    assert len({store.issued(f.reference).paper_map for f in report.issued}) == len(  # type: ignore[union-attr]
        {f.grid for f in report.issued}
    )
