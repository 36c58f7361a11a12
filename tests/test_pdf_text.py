"""Flattened and exported PDF forms read from their text layer, and encrypted forms.

Fixtures are our annual form, rendered with ``PdfTemplate``, filled in code by
PyMuPDF (a viewer writing its own appearances) or pypdf (which keeps ours for
the tick boxes), then flattened by the real tools people use: ``pdftk ...
flatten``, ``qpdf --flatten-annotations=all`` and PyMuPDF's ``bake()``. Every
written answer must come back exactly, and every tick, as ``extract_pdf``
reads them from the same form before it was flattened. Encrypted copies (AES
with an empty user password: qpdf and pdftk) go through the normal reader.

The tools are real programs: the tests using them are integration tests,
skipped where a tool is missing and failed in CI (``ENTRETIEN_INTEGRATION``).
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from types import ModuleType

import pikepdf
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from factories import TODAY
from pypdf import PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from entretien_forms.forms import campaign_context, load_catalog, prefill_values
from entretien_forms.forms.contract import PDF_ON_STATE, radio_options
from entretien_forms.forms.model import FormValues, Identity
from entretien_forms.forms.paper import PaperMap
from entretien_forms.inbox.model import Extraction
from entretien_forms.inbox.pdf_reader import extract_pdf, identify_pdf
from entretien_forms.inbox.pdf_text import read_text_layer
from entretien_forms.render.pdf import PdfTemplate, write_print_batch
from entretien_forms.roster import Employee

NAME = "EA-2026-00042.pdf"
CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
EMPLOYEE = Employee(
    matricule="S004",
    nom="Lefèvre",
    prenom="Éloïse",
    date_entree=date(2019, 3, 4),
    poste="Commerciale sédentaire",
    row=5,
    service="Ventes",
    extra={"CA réalisé": 125000},
)
IDENTITY = Identity(
    reference="EA-2026-00042",
    form_id="entretien-annuel",
    form_version="2026.1",
    kind="annuel",
    campaign="2026",
    matricule="S004",
    employee_name="Éloïse Lefèvre",
    manager_name="Claire Martin",
    company="Horizon SAS",
    signature="0f" * 32,
    issued_on=TODAY,
)
# A value for every kind of written answer, short enough for its zone.
MULTILINE = "Contrat « Dupont » signé (120 k€)\nDeux recrutements – enfin !"
TYPED: dict[str, str | bool] = {
    "manager.nom_complet": "Claire Martin",
    "entretien.date": "12/01/2027",
    "bilan.leads_generes": "340",
    "bilan.taux_closing": "18 % (objectif 20 %)",
    "objectifs_precedents.1.objectif": "Ouvrir 10 comptes",
    "objectifs_precedents.1.resultat": "12 ouverts",
    "bilan.reussites": MULTILINE,
    "bilan.difficultes": "Outils lents\nPas de CRM mobile",
    "competences.crm.commentaire": "Saisie à jour, l'œil sur le pipeline",
    "projection.organisation": "Télétravail : 2 jours",
    "objectifs.3.cible": "15 %",
    "objectifs.3.echeance": "30/06/2027",
    "formations.2.theme": "Négociation \\ achats",
    "commentaires.salarie": "Merci pour l'échange.",
    # Ticks: radio groups (one option each) and a check box.
    "entretien.mode": "Visio",
    "objectifs_precedents.1.atteinte": "4",
    "competences.crm.auto": "2",
    "competences.crm.manager": "3",
    "projection.motivation": "1",
    "formations.1.modalite": "Mentorat",
    "formations.1.obligatoire": True,
}


@cache
def _template() -> tuple[PdfTemplate, FormValues]:
    definition = load_catalog(None).for_kind("annuel", None)
    layout = definition.layout("commercial", CONTEXT)
    return PdfTemplate.compile(layout), prefill_values(definition, EMPLOYEE, None, CONTEXT, TODAY)


@cache
def _issued() -> bytes:
    template, values = _template()
    return template.render(IDENTITY, values)


def _paper() -> PaperMap:
    return _template()[0].paper_map


@cache
def _states() -> dict[str, dict[str, str]]:
    """The on-state of each option of the form's radio groups, by option value."""
    layout = _template()[0].layout
    return {
        field.id: {option.value: option.state for option in radio_options(field)}
        for field in layout.fields
        if field.type in ("choice", "rating")
    }


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


def _fill_with_pymupdf(pymupdf: ModuleType, pdf: bytes, values: Mapping[str, str | bool]) -> bytes:
    """Filled as a viewer does: PyMuPDF draws each field's appearance itself."""
    states = _states()
    document = pymupdf.open(stream=pdf, filetype="pdf")
    for page in document:
        for widget in page.widgets():
            value = values.get(widget.field_name)
            if value is None:
                continue
            if widget.field_type == pymupdf.PDF_WIDGET_TYPE_RADIOBUTTON:
                if widget.on_state() != states[widget.field_name][str(value)]:
                    continue  # a click on the option's box: the others stay unticked
                value = True
            widget.field_value = widget.on_state() if value is True else value
            widget.update()
    data: bytes = document.tobytes()
    document.close()
    return data


def _fill_with_pypdf(pdf: bytes, values: Mapping[str, str | bool]) -> bytes:
    """Filled by pypdf: its own text appearances, our drawn cross for the ticks."""
    states = _states()
    given: dict[str, str] = {}
    for name, value in values.items():
        if name in states:
            given[name] = f"/{states[name][str(value)]}"  # pypdf ticks a radio by its state
        elif isinstance(value, bool):
            given[name] = f"/{PDF_ON_STATE}" if value else "/Off"
        else:
            given[name] = value
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    for page in writer.pages:
        writer.update_page_form_field_values(page, given, auto_regenerate=False)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _tool(require_tool: Callable[[str], str], tmp_path: Path, name: str, data: bytes) -> bytes:
    """``data`` run through a command line tool (``name``), as HR or a print job would."""
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(data)
    commands = {
        "pdftk": [require_tool("pdftk"), source, "output", target, "flatten"],
        "qpdf": [require_tool("qpdf"), "--flatten-annotations=all", source, target],
        "qpdf-aes256": [require_tool("qpdf"), "--encrypt", "", "rh", "256", "--", source, target],
        "qpdf-aes128": [
            require_tool("qpdf"), "--encrypt", "", "rh", "128", "--use-aes=y", "--", source, target
        ],
        "pdftk-rc4-128": [
            require_tool("pdftk"), source, "output", target, "encrypt_128bit", "owner_pw", "rh"
        ],
        "pdftk-aes128": [
            require_tool("pdftk"), source, "output", target, "encrypt_aes128", "owner_pw", "rh"
        ],
    }  # fmt: skip
    subprocess.run([str(part) for part in commands[name]], check=True, capture_output=True)
    return target.read_bytes()


def _baked(pymupdf: ModuleType, data: bytes) -> bytes:
    document = pymupdf.open(stream=data, filetype="pdf")
    document.bake()
    baked: bytes = document.tobytes()
    document.close()
    return baked


def _read(data: bytes, file_pages: Mapping[int, int] | None = None) -> Extraction:
    extraction = read_text_layer(data, NAME, _paper(), file_pages)
    assert extraction is not None
    assert {answer.method for answer in extraction.answers.values()} <= {"pdf_text"}
    return extraction


def _values(extraction: Extraction) -> dict[str, str | bool]:
    return {key: answer.value for key, answer in extraction.answers.items()}


def _mapped_keys() -> set[str]:
    pages = _paper().pages
    return {box.key for page in pages for box in page.boxes} | {
        zone.key for page in pages for zone in page.zones
    }


def _as_filled(filled: bytes) -> dict[str, str | bool]:
    """What ``extract_pdf`` reads in the fillable form, for the answers the map places."""
    answers = extract_pdf(filled, NAME, _template()[0].layout).answers
    return {key: answer.value for key, answer in answers.items() if key in _mapped_keys()}


def _without_fields(pdf: bytes) -> bytes:
    """The form with its fields removed and nothing drawn for them: a print without forms."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        del document.Root.AcroForm
        for page in document.pages:
            del page.obj.Annots
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def _with_content(pdf: bytes, page_index: int, content: bytes, *, before: bytes = b"") -> bytes:
    """``content`` drawn over one page (and ``before`` under it), as an editor would add it."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[page_index]
        if before:
            page.contents_add(pikepdf.Stream(document, before), prepend=True)
        page.contents_add(pikepdf.Stream(document, content))
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


# --------------------------------------------------------------------------- flattened forms


@pytest.mark.integration
@pytest.mark.parametrize("filler", ["pymupdf", "pypdf"])
@pytest.mark.parametrize("flatten", ["pdftk", "qpdf", "bake"])
def test_flattened_form_reads_back_every_answer_as_the_filled_form_held_it(
    filler: str,
    flatten: str,
    pymupdf: ModuleType,
    require_tool: Callable[[str], str],
    tmp_path: Path,
) -> None:
    if filler == "pymupdf":
        filled = _fill_with_pymupdf(pymupdf, _issued(), TYPED)
    else:
        filled = _fill_with_pypdf(_issued(), TYPED)
    if flatten == "bake":
        flat = _baked(pymupdf, filled)
    else:
        flat = _tool(require_tool, tmp_path, flatten, filled)
    assert extract_pdf(flat, NAME, None).paper  # no field left: the normal reader sees paper

    extraction = _read(flat)
    expected = _as_filled(filled)
    assert {key: expected[key] for key in TYPED} == TYPED  # the fixture is what it says
    assert _values(extraction) == expected
    assert extraction.identity.reference is None  # identity is the caller's
    assert extraction.paper is False
    assert len(extraction.notes) == 1


def test_our_print_batch_reads_its_drawn_answers() -> None:
    """A print batch draws answers with the form's own appearances: text and crosses."""
    template, prefilled = _template()
    values = {**prefilled, **TYPED}
    target = io.BytesIO()
    write_print_batch(iter([(template, IDENTITY, values)]), target)
    read = _values(_read(target.getvalue()))
    assert {key: read[key] for key in TYPED} == TYPED
    assert read["bilan.ca_realise"] == "125000"  # pre-filled, left as it was: an answer
    assert "salarie.nom_complet" not in read  # locked roster data: printed, not an answer


@pytest.mark.integration
def test_a_value_drawn_past_its_field_is_read_whole(
    pymupdf: ModuleType, require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    """PyMuPDF draws a long value past the edge (clipped on screen): the field held it all."""
    long = "Négociation grands comptes et achats publics, niveau avancé"
    filled = _fill_with_pymupdf(pymupdf, _issued(), {"formations.2.theme": long})
    flat = _tool(require_tool, tmp_path, "qpdf", filled)
    assert _values(_read(flat))["formations.2.theme"] == long


@pytest.mark.integration
def test_blank_lines_of_a_free_text_are_kept(
    pymupdf: ModuleType, require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    text = "Premier point\n\nSecond point"
    filled = _fill_with_pymupdf(pymupdf, _issued(), {"bilan.difficultes": text})
    flat = _tool(require_tool, tmp_path, "qpdf", filled)
    assert _values(_read(flat))["bilan.difficultes"] == text


def test_pages_given_by_their_qr_codes_are_read_as_those_pages() -> None:
    """A file holding pages 3 and 4 of the form (the others not returned)."""
    template, prefilled = _template()
    target = io.BytesIO()
    write_print_batch(iter([(template, IDENTITY, {**prefilled, **TYPED})]), target)
    with pikepdf.open(io.BytesIO(target.getvalue())) as document:
        del document.pages[0:2]
        buffer = io.BytesIO()
        document.save(buffer)
    read = _values(_read(buffer.getvalue(), {1: 3, 2: 4}))
    assert read["objectifs.3.cible"] == "15 %"
    assert read["formations.1.modalite"] == "Mentorat"
    assert "entretien.date" not in read  # page 1 is not in the file


def test_two_ticks_for_one_answer_are_not_a_value() -> None:
    template, prefilled = _template()
    target = io.BytesIO()
    write_print_batch(iter([(template, IDENTITY, {**prefilled, **TYPED})]), target)
    [box] = [b for b in _paper().pages[0].boxes if b.key == "entretien.mode" and b.value != "Visio"]
    x0, y0, x1, y1 = box.rect
    cross = b"q 0 G 1.4 w %.2f %.2f m %.2f %.2f l S Q" % (x0 + 2, y0 + 2, x1 - 2, y1 - 2)
    extraction = _read(_with_content(target.getvalue(), 0, cross))
    assert "entretien.mode" not in extraction.answers
    assert any("plusieurs cases cochées" in note for note in extraction.notes)


# --------------------------------------------------------------------------- not our text


def _scanned(pdf: bytes) -> bytes:
    """The pages as a scanner gives them: greyscale pictures in an image-only PDF."""
    document = pdfium.PdfDocument(pdf)
    try:
        images = [page.render(scale=150 / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return buffer.getvalue()


def _printed_batch() -> bytes:
    template, prefilled = _template()
    target = io.BytesIO()
    write_print_batch(iter([(template, IDENTITY, {**prefilled, **TYPED})]), target)
    return target.getvalue()


def test_a_scan_has_no_text_layer() -> None:
    assert read_text_layer(_scanned(_printed_batch()), NAME, _paper()) is None


def test_a_scan_with_an_invisible_ocr_layer_is_not_read_as_text() -> None:
    """Scanners add the recognised text, invisible, over the picture: it is not read."""
    scan = _scanned(_printed_batch())
    document = pdfium.PdfDocument(scan)
    page_one = document[0].render(scale=150 / 72, grayscale=True).to_pil()
    document.close()
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(_paper().width, _paper().height))
    sheet.drawImage(ImageReader(page_one), 0, 0, _paper().width, _paper().height)
    text = sheet.beginText()
    text.setTextRenderMode(3)
    text.setFont("Helvetica", 10)
    for zone in _paper().pages[0].zones:
        text.setTextOrigin(zone.rect[0] + 3, zone.rect[1] + 6)
        text.textOut(zone.label)
    sheet.drawText(text)
    sheet.save()
    assert read_text_layer(buffer.getvalue(), NAME, _paper(), {1: 1}) is None


def test_a_form_printed_smaller_fit_to_page_is_not_read() -> None:
    """Resized at printing, every zone moved: the marks are not where the map says."""
    shrunk = b"q 0.94 0 0 0.94 17.86 25.26 cm"
    data = _printed_batch()
    with pikepdf.open(io.BytesIO(data)) as document:
        for page in document.pages:
            page.contents_add(pikepdf.Stream(document, shrunk), prepend=True)
            page.contents_add(pikepdf.Stream(document, b"Q"))
        buffer = io.BytesIO()
        document.save(buffer)
    assert read_text_layer(buffer.getvalue(), NAME, _paper()) is None


def test_a_picture_over_a_zone_leaves_it_unread() -> None:
    """A pasted signature or a scanned patch: what is under it is not read."""
    [zone] = [z for z in _paper().pages[2].zones if z.key == "objectifs.3.cible"]
    x0, y0, x1, y1 = zone.rect
    with pikepdf.open(io.BytesIO(_printed_batch())) as document:
        image = pikepdf.Stream(document, b"\x80" * 4)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 2, 2, 8
        image.ColorSpace = pikepdf.Name.DeviceGray
        page = document.pages[2]
        page.Resources.XObject = pikepdf.Dictionary(Im9=image)
        place = b"q %.2f 0 0 %.2f %.2f %.2f cm /Im9 Do Q" % (x1 - x0 - 20, y1 - y0, x0 + 10, y0)
        page.contents_add(pikepdf.Stream(document, place))
        buffer = io.BytesIO()
        document.save(buffer)
    extraction = _read(buffer.getvalue())
    assert "objectifs.3.cible" not in extraction.answers
    assert extraction.answers["objectifs.3.echeance"].value == "30/06/2027"
    assert any("Cible (3)" in note for note in extraction.notes)


def test_fields_removed_without_their_appearance_give_no_answer() -> None:
    """A viewer printing without form fields: our text is there, the answers are not."""
    extraction = _read(_without_fields(_fill_with_pypdf(_issued(), TYPED)))
    assert {k: v for k, v in _values(extraction).items() if v is not False} == {}


# --------------------------------------------------------------------------- encrypted forms


@pytest.mark.integration
@pytest.mark.parametrize("encrypt", ["qpdf-aes256", "qpdf-aes128", "pdftk-rc4-128", "pdftk-aes128"])
def test_form_encrypted_without_a_user_password_reads_like_the_plain_file(
    encrypt: str, require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    filled = _fill_with_pypdf(_issued(), TYPED)
    encrypted = _tool(require_tool, tmp_path, encrypt, filled)
    assert b"/Encrypt" in encrypted
    plain = extract_pdf(filled, NAME, None)
    read = extract_pdf(encrypted, NAME, None)
    assert read.answers == plain.answers
    assert read.identity == plain.identity == identify_pdf(encrypted, NAME)
    assert read.notes == plain.notes


@pytest.mark.integration
@pytest.mark.parametrize("encrypt", ["qpdf-aes256", "qpdf-aes128", "pdftk-rc4-128"])
def test_flattened_form_encrypted_without_a_user_password_is_read(
    encrypt: str, require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    flat = _tool(require_tool, tmp_path, "qpdf", _fill_with_pypdf(_issued(), TYPED))
    encrypted = _tool(require_tool, tmp_path, encrypt, flat)
    assert b"/Encrypt" in encrypted
    assert identify_pdf(encrypted, NAME) == identify_pdf(flat, NAME)
    assert extract_pdf(encrypted, NAME, None) == extract_pdf(flat, NAME, None)
    assert _values(_read(encrypted)) == _values(_read(flat))
