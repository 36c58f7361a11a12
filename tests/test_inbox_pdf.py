"""The PDF reader: fields filled by pypdf and by PyMuPDF, paper forms by QR code, hostile files.

Fixtures are our own forms, rendered with ``PdfTemplate`` and filled in code
the way a viewer saves what a person does. PyMuPDF writes its own appearance
streams and dictionaries, so it stands for a second viewer. Paper forms are
print batches, and "scans": their pages rendered to images and put back in
an image-only PDF. Layouts no library writes on purpose (a key written twice,
an incremental update by hand) are written as bytes; hostile pages (a million
rectangles, a form drawn 100,000 times) are built with pikepdf.

Everything goes through ``identify_pdf`` and ``extract_pdf``; what pdfium is
asked to do is counted by wrapping its functions (``pypdfium2.raw``).
"""

from __future__ import annotations

import io
import os
import random
import re
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from factories import TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.forms import campaign_context, load_catalog, prefill_values
from entretien_forms.forms.contract import radio_options
from entretien_forms.forms.model import Field, FormLayout, FormValues, Identity, Section
from entretien_forms.inbox import scan
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, RawAnswer
from entretien_forms.inbox.pdf_reader import extract_pdf, identify_pdf
from entretien_forms.render.pdf import PdfTemplate, write_print_batch
from entretien_forms.render.qr import qr_payload, qr_png
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
SHORT = FormLayout(
    form_id="court",
    title="Formulaire court",
    kind="professionnel",
    version="1",
    grid=None,
    privacy_notice="Ne notez ici aucune donnée de santé.",
    sections=(
        Section(
            "Souhaits",
            None,
            (
                Field("souhaits", "Souhaits", "longtext", lines=3),
                Field("accord", "Accord", "checkbox"),
            ),
        ),
    ),
)
# What a person types, ticks and picks in the annual form, as a viewer stores it.
TYPED = {
    "entretien.date": "12/01/2027",
    "entretien.mode": "Visio",
    "bilan.reussites": "Contrat « Dupont » signé (120 k€)\nDeux recrutements – enfin !",
    "objectifs.3.cible": "15 %",
    "competences.crm.manager": "3",  # a level: the box of its radio group ticked
    "competences.crm.auto": "2",
    "formations.2.theme": "Négociation \\ achats",
}
# Read back: the export value of the option ticked.
TYPED_READ = dict(TYPED)


def _identity(reference: str = "EA-2026-00042", **changes: Any) -> Identity:
    values: dict[str, Any] = {
        "reference": reference,
        "form_id": "entretien-annuel",
        "form_version": "2026.1",
        "kind": "annuel",
        "campaign": "2026",
        "matricule": "S004",
        "employee_name": "Éloïse Lefèvre",
        "manager_name": "Claire Martin",
        "company": "Horizon SAS",
        "signature": "0f" * 32,
        "issued_on": TODAY,
        **changes,
    }
    return Identity(**values)


CLAIMED = ClaimedIdentity(
    reference="EA-2026-00042",
    form_id="entretien-annuel",
    form_version="2026.1",
    kind="annuel",
    campaign="2026",
    matricule="S004",
    signature="0f" * 32,
)


@cache
def _annual() -> tuple[PdfTemplate, FormValues]:
    definition = load_catalog(None).for_kind("annuel", None)
    layout = definition.layout("commercial", CONTEXT)
    return PdfTemplate.compile(layout), prefill_values(definition, EMPLOYEE, None, CONTEXT, TODAY)


@cache
def _short() -> PdfTemplate:
    return PdfTemplate.compile(SHORT)


def _short_identity(reference: str = "EP-2026-00007") -> Identity:
    return _identity(reference, form_id="court", form_version="1", kind="professionnel")


@cache
def _short_pdf() -> bytes:
    return _short().render(_short_identity(), {})


@cache
def _short_filled() -> bytes:
    return _fill_with_pypdf(_short_pdf(), {"souhaits": "Devenir référente (CRM)\nFormation Excel"})


@pytest.fixture(scope="module")
def annual_layout() -> FormLayout:
    return _annual()[0].layout


@pytest.fixture(scope="module")
def annual_pdf() -> bytes:
    template, values = _annual()
    return template.render(_identity(), values)


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


def _prefilled() -> dict[str, str | bool]:
    """What the pristine annual form holds: pre-filled answers, unticked boxes, reference."""
    template, values = _annual()
    boxes = [p.spec.name for p in template.drawn.widgets if p.spec.kind == "checkbox"]
    return {**values, **dict.fromkeys(boxes, False), "entretien_reference": "EA-2026-00042"}


def _values(extraction: Extraction) -> dict[str, str | bool]:
    assert {answer.method for answer in extraction.answers.values()} <= {"control"}
    return {key: answer.value for key, answer in extraction.answers.items()}


@cache
def _radio_states() -> dict[str, dict[str, str]]:
    """The on-state of each option of the test forms' radio groups, by value and by text."""
    layouts = (_annual()[0].layout, SHORT)
    return {
        field.id: {
            **{option.text: option.state for option in radio_options(field)},
            **{option.value: option.state for option in radio_options(field)},
        }
        for layout in layouts
        for field in layout.fields
        if field.type in ("choice", "rating")
    }


def _fill_with_pypdf(pdf: bytes, values: Mapping[str, str], **metadata: str) -> bytes:
    """Filled by pypdf, which ticks a radio group's option when given its state, "/1"."""
    radios = _radio_states()
    values = {
        name: f"/{radios[name][value]}" if name in radios and value in radios[name] else value
        for name, value in values.items()
    }
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    for page in writer.pages:
        writer.update_page_form_field_values(page, dict(values), auto_regenerate=False)
    if metadata:
        writer.add_metadata({f"/{key}": value for key, value in metadata.items()})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _fill_with_pymupdf(
    pymupdf: ModuleType, pdf: bytes, values: Mapping[str, str | bool], **save: Any
) -> bytes:
    radios = _radio_states()
    document = pymupdf.open(stream=pdf, filetype="pdf")
    for page in document:
        for widget in page.widgets():
            if widget.field_name in values:
                value = values[widget.field_name]
                if widget.field_type == pymupdf.PDF_WIDGET_TYPE_RADIOBUTTON:
                    # A click on the option's box: the others of the group are unticked.
                    assert isinstance(value, str)
                    if widget.on_state() != radios[widget.field_name][value]:
                        continue
                    value = True
                widget.field_value = widget.on_state() if value is True else value
                widget.update()
    data: bytes = document.tobytes(**save)
    document.close()
    return data


def _edit(pdf: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    """The PDF rewritten by pypdf after ``change`` worked on its objects."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _terminal(writer: PdfWriter, name: str) -> DictionaryObject:
    """The field dictionary named ``name`` (its full dotted name)."""

    def walk(kids: ArrayObject, prefix: str) -> Iterator[tuple[str, DictionaryObject]]:
        for kid in kids:
            node = kid.get_object()
            if "/T" not in node:
                continue  # a widget of a radio group
            full = f"{prefix}.{node['/T']}" if prefix else str(node["/T"])
            yield full, node
            yield from walk(node.get("/Kids", ArrayObject()), full)

    fields = writer.root_object["/AcroForm"]["/Fields"]
    return next(node for full, node in walk(fields, "") if full == name)


def _edit_objects(pdf: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    """The PDF rewritten by pikepdf after ``change`` worked on its objects."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        change(document)
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


def _field_number(pdf: bytes, name: str) -> int:
    """The object number of the field dictionary named ``name`` (its full dotted name)."""

    def walk(nodes: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        for node in nodes:
            if "/T" in node:
                full = f"{prefix}.{node.T}" if prefix else str(node.T)
                yield full, node
                yield from walk(node.get("/Kids", []), full)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        found = dict(walk(document.Root.AcroForm.Fields, ""))
        number: int = found[name].objgen[0]
    return number


def _object_source(pdf: bytes, number: int, **changes: Any) -> bytes:
    """Object ``number`` of ``pdf`` as PDF source, ``changes`` made (``None``: key removed)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        node = document.get_object(number, 0)
        for key, value in changes.items():
            if value is None:
                if f"/{key}" in node:
                    del node[f"/{key}"]
            else:
                node[f"/{key}"] = value
        source: bytes = node.unparse(resolved=True)
    return source


def _append_update(pdf: bytes, objects: Mapping[int, bytes]) -> bytes:
    """``pdf`` with an incremental update appended, as a viewer saving in place writes it:
    ``objects`` (number → source), a cross-reference section for them, a trailer with /Prev.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        size = int(document.trailer.Size)
        root = document.trailer.Root.objgen[0]
        info = document.trailer.Info.objgen[0]
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number, source in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, source)
    table = len(out)
    out += b"xref\n"
    for number, offset in offsets.items():
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    size = max(size, *(number + 1 for number in objects))
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d >>\n" % (
        size,
        root,
        info,
        previous,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % table
    return bytes(out)


def _page_with_codes(*payloads: str, size: float = 57) -> bytes:
    """One A4 page with a QR code of each payload, as a scan of a printed page gives it."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for index, payload in enumerate(payloads):
        code = ImageReader(io.BytesIO(qr_png(payload, scale=4)))
        page.drawImage(code, 72 + index * 160, 700, width=size, height=size)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _jbig2(image: Image.Image) -> bytes:
    """A black-and-white image as a JBIG2 stream embedded in a PDF (ISO 14492, MMR coded).

    Scanners write JBIG2; no Python library does, so the page is coded as a CCITT
    Group 4 TIFF strip (what JBIG2 calls MMR) and wrapped in the two segments a
    PDF's JBIG2 stream holds: page information, then one immediate generic region.
    """
    width, height = image.size
    ink = ImageOps.invert(image.convert("L")).convert("1")  # in JBIG2 a 1 bit is black
    buffer = io.BytesIO()
    ink.save(buffer, "TIFF", compression="group4", strip_size=1 << 30)
    tiff = Image.open(io.BytesIO(buffer.getvalue()))
    (offset,), (length,) = tiff.tag_v2[273], tiff.tag_v2[279]  # the one strip
    mmr = buffer.getvalue()[offset : offset + length]

    def segment(number: int, kind: int, data: bytes) -> bytes:
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    page = segment(0, 48, struct.pack(">IIIIBH", width, height, 0, 0, 0, 0))
    region = struct.pack(">IIIIB", width, height, 0, 0, 0) + b"\x01" + mmr  # MMR = 1
    return page + segment(1, 38, region)


def _one_page(contents: bytes, **xobjects: Callable[[pikepdf.Pdf], pikepdf.Stream]) -> bytes:
    """A PDF of one A4 page drawing ``contents`` (compressed), with XObjects by name."""
    with pikepdf.new() as document:
        document.add_blank_page(page_size=(595.28, 841.89))
        page = document.pages[0].obj
        page.Contents = document.make_stream(contents)
        if xobjects:
            named = {f"/{name}": make(document) for name, make in xobjects.items()}
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(named))
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


def _pdfium_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """A list that grows by one each time pdfium's function ``name`` is called."""
    calls: list[int] = []
    original = getattr(pdfium_c, name)

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(pdfium_c, name, counting)
    return calls


def _batch(entries: list[tuple[PdfTemplate, Identity, FormValues]]) -> bytes:
    target = io.BytesIO()
    write_print_batch(iter(entries), target)
    return target.getvalue()


def _pages(pdf: bytes, keep: list[int]) -> bytes:
    """Only the pages ``keep`` (0-based) of ``pdf``, as a partial print or scan would."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for index in keep:
        writer.add_page(reader.pages[index])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


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


def _rejection(data: bytes, name: str = NAME, *, identify_too: bool = True) -> RejectedFile:
    """The rejection ``extract_pdf`` gives; ``identify_pdf`` gives the same unless told not
    to: it reads /Info alone when it can, so a damaged field tree is left to ``extract_pdf``.
    """
    with pytest.raises(RejectedFile) as caught:
        extract_pdf(data, name, None)
    if not identify_too:
        return caught.value
    with pytest.raises(RejectedFile) as identified:
        identify_pdf(data, name)
    assert (identified.value.reason, identified.value.advice, identified.value.code) == (
        caught.value.reason,
        caught.value.advice,
        caught.value.code,
    )
    return caught.value


# --------------------------------------------------------------------------- filled forms


def test_pristine_form_gives_its_identity_and_prefilled_answers(annual_pdf: bytes) -> None:
    extraction = extract_pdf(annual_pdf, NAME, None)
    assert extraction.identity == CLAIMED
    assert _values(extraction) == _prefilled()
    assert (extraction.paper, extraction.pages, extraction.page_count) == (False, (), None)
    assert extraction.producer == "entretien-forms"
    assert extraction.notes == []
    assert identify_pdf(annual_pdf, NAME) == CLAIMED


def test_form_filled_with_pypdf_reads_back_what_was_filled(annual_pdf: bytes) -> None:
    filled = _fill_with_pypdf(
        annual_pdf,
        {**TYPED, "formations.2.obligatoire": "/Oui"},
        Producer="macOS Version 14.5 (Build 23F79) Quartz PDFContext",
        Creator="Aperçu",
    )
    extraction = extract_pdf(filled, NAME, None)
    assert _values(extraction) == {
        **_prefilled(),
        **TYPED_READ,
        "formations.2.obligatoire": True,
    }
    assert extraction.identity == CLAIMED
    assert extraction.producer == "macOS Version 14.5 (Build 23F79) Quartz PDFContext (Aperçu)"


def test_form_filled_with_pymupdf_reads_back_what_was_filled(
    annual_pdf: bytes, pymupdf: ModuleType
) -> None:
    filled = _fill_with_pymupdf(
        pymupdf,
        annual_pdf,
        {**TYPED, "competences.crm.manager": "3 – Maîtrisée", "formations.1.obligatoire": True},
    )
    extraction = extract_pdf(filled, NAME, None)
    assert _values(extraction) == {
        **_prefilled(),
        **TYPED_READ,
        "formations.1.obligatoire": True,
    }
    assert extraction.identity == CLAIMED


def test_the_same_form_reads_the_same_whatever_its_file_layout(
    annual_pdf: bytes, pymupdf: ModuleType
) -> None:
    filled = _fill_with_pypdf(annual_pdf, {**TYPED, "formations.2.obligatoire": "/Oui"})
    expected = extract_pdf(filled, NAME, None)
    assert _values(expected) == {**_prefilled(), **TYPED_READ, "formations.2.obligatoire": True}
    assert (expected.identity, expected.notes) == (CLAIMED, [])

    def saved_by_qpdf(**options: Any) -> bytes:
        with pikepdf.open(io.BytesIO(filled)) as document:
            buffer = io.BytesIO()
            document.save(buffer, **options)
        return buffer.getvalue()

    document = pymupdf.open(stream=filled, filetype="pdf")
    by_pymupdf = document.tobytes(use_objstms=1, garbage=3)  # object and xref streams
    document.close()
    layouts = {
        "object streams": saved_by_qpdf(object_stream_mode=pikepdf.ObjectStreamMode.generate),
        "uncompressed, renumbered": saved_by_qpdf(qdf=True),
        "linearized": saved_by_qpdf(linearize=True),
        "PyMuPDF object streams": by_pymupdf,
        "rewritten by pypdf": _edit(filled, lambda writer: None),
    }
    for layout, data in layouts.items():
        extraction = extract_pdf(data, NAME, None)
        assert (extraction.identity, extraction.answers, extraction.notes) == (
            expected.identity,
            expected.answers,
            expected.notes,
        ), layout


def test_incremental_updates_are_read_in_their_latest_version(
    annual_pdf: bytes, pymupdf: ModuleType, tmp_path: Path
) -> None:
    # pypdf appends a cross-reference stream.
    writer = PdfWriter(io.BytesIO(annual_pdf), incremental=True)
    writer.update_page_form_field_values(
        writer.pages[0], {"entretien.date": "13/01/2027"}, auto_regenerate=False
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    by_pypdf = buffer.getvalue()
    assert by_pypdf.startswith(annual_pdf) and b"/Type /XRef" in by_pypdf[len(annual_pdf) :]
    # PyMuPDF appends a plain table with /Prev.
    path = tmp_path / NAME
    path.write_bytes(annual_pdf)
    document = pymupdf.open(path)
    for page in document:
        for widget in page.widgets():
            if widget.field_name == "entretien.date":
                widget.field_value = "13/01/2027"
                widget.update()
    document.saveIncr()
    document.close()
    by_pymupdf = path.read_bytes()
    assert by_pymupdf.startswith(annual_pdf) and b"/Prev" in by_pymupdf[len(annual_pdf) :]
    # Two updates of the same field, as a form saved twice in place: the last counts.
    number = _field_number(annual_pdf, "entretien.date")
    once = _append_update(
        annual_pdf, {number: _object_source(annual_pdf, number, V=pikepdf.String("12/01/2027"))}
    )
    twice = _append_update(
        once, {number: _object_source(annual_pdf, number, V=pikepdf.String("13/01/2027"))}
    )
    for updated in (by_pypdf, by_pymupdf, twice):
        extraction = extract_pdf(updated, NAME, None)
        assert _values(extraction) == {**_prefilled(), "entretien.date": "13/01/2027"}
        assert extraction.notes == []


DUPLICATE_KEYS = (
    "Le fichier PDF écrit deux fois certaines valeurs (une même clé répétée dans un objet) : "
    "la dernière écrite est retenue, comme dans les lecteurs PDF ; vérifiez les réponses."
)


@pytest.mark.parametrize(("first", "last"), [("Sur site", "Visio"), ("Visio", "Sur site")])
def test_a_value_written_twice_in_one_field_counts_by_its_last_occurrence(
    annual_pdf: bytes, first: str, last: str
) -> None:
    # pypdf keeps the first of two /V, qpdf and MuPDF the last: once, 1 answer in 94
    # depended on which reader took the file. Now one reader, one rule: the last.
    number = _field_number(annual_pdf, "entretien.mode")
    source = _object_source(annual_pdf, number, V=None)
    assert source.endswith(b">>") and b"/V " not in source
    twice = source[:-2] + f" /V ({first}) /V ({last}) >>".encode()
    extraction = extract_pdf(_append_update(annual_pdf, {number: twice}), NAME, None)
    assert _values(extraction) == {**_prefilled(), "entretien.mode": last}
    assert extraction.notes == [DUPLICATE_KEYS]


@pytest.mark.parametrize("ours_last", [True, False])
def test_a_catalog_with_two_form_dictionaries_reads_the_last(
    annual_pdf: bytes, ours_last: bool
) -> None:
    with pikepdf.open(io.BytesIO(annual_pdf)) as document:
        root = document.Root.objgen[0]
        ours = document.Root.AcroForm.objgen[0]
        other = int(document.trailer.Size)
    catalog = _object_source(annual_pdf, root, AcroForm=None)
    forms = (other, ours) if ours_last else (ours, other)
    catalog = catalog[:-2] + b" /AcroForm %d 0 R /AcroForm %d 0 R >>" % forms
    update = _append_update(
        annual_pdf,
        {
            root: catalog,
            other: b"<< /Fields [%d 0 R] >>" % (other + 1),
            other + 1: b"<< /T (bilan) /FT /Tx /V (Autre formulaire) >>",
        },
    )
    extraction = extract_pdf(update, NAME, None)
    assert extraction.identity == CLAIMED  # from /Info either way
    expected = _prefilled() if ours_last else {"bilan": "Autre formulaire"}
    assert _values(extraction) == expected
    assert extraction.notes == [DUPLICATE_KEYS]


def test_a_damaged_cross_reference_table_is_repaired_and_noted(annual_pdf: bytes) -> None:
    filled = _fill_with_pypdf(annual_pdf, TYPED)
    header = filled.index(b"\n") + 1
    shifted = (
        filled[:header]
        + b"% every offset of the table now points 40 bytes early\n"
        + filled[header:]
    )
    extraction = extract_pdf(shifted, NAME, None)
    assert _values(extraction) == {**_prefilled(), **TYPED_READ}
    assert extraction.identity == CLAIMED
    assert extraction.notes == [
        "Le fichier PDF était endommagé et a été réparé à la lecture : vérifiez que les "
        "réponses enregistrées sont complètes."
    ]
    assert identify_pdf(shifted, NAME) == CLAIMED


@pytest.mark.parametrize(
    ("on_state", "value"),
    [
        (NameObject("/Yes"), NameObject("/Yes")),
        (NameObject("/On"), NameObject("/On")),
        (NameObject("/1"), NameObject("/1")),
        (NameObject("/Yes"), TextStringObject("Yes")),  # a string where a name is due
    ],
)
def test_ticked_box_reads_true_whatever_its_on_state_is_called(
    annual_pdf: bytes, on_state: NameObject, value: Any
) -> None:
    def tick(writer: PdfWriter) -> None:
        box = _terminal(writer, "formations.1.obligatoire")
        states = box["/AP"]["/N"]
        states[on_state] = states.pop("/Oui")
        box[NameObject("/V")] = value
        box[NameObject("/AS")] = on_state

    extraction = extract_pdf(_edit(annual_pdf, tick), NAME, None)
    assert extraction.answers["formations.1.obligatoire"] == RawAnswer(True, "control")


def test_box_ticked_only_in_its_appearance_state_reads_true(annual_pdf: bytes) -> None:
    def tick(writer: PdfWriter) -> None:
        box = _terminal(writer, "formations.1.obligatoire")
        box[NameObject("/V")] = NameObject("/Off")
        box[NameObject("/AS")] = NameObject("/Oui")

    extraction = extract_pdf(_edit(annual_pdf, tick), NAME, None)
    assert extraction.answers["formations.1.obligatoire"].value is True


def test_acrobat_line_ends_and_empty_values(annual_pdf: bytes) -> None:
    filled = _fill_with_pypdf(
        annual_pdf,
        {
            "bilan.reussites": "un\rdeux\r\ntrois",
            "bilan.difficultes": "  \r ",
            "entretien.mode": "",
        },
    )
    values = _values(extract_pdf(filled, NAME, None))
    assert values["bilan.reussites"] == "un\ndeux\ntrois"
    assert "bilan.difficultes" not in values and "entretien.mode" not in values


def _as_combo(writer: PdfWriter, name: str, value: str, items: ArrayObject | None) -> None:
    """Field ``name`` made the combo box a form issued before radio groups had."""
    field = _terminal(writer, name)
    del field["/Kids"]
    field[NameObject("/FT")] = NameObject("/Ch")
    field[NameObject("/Ff")] = NumberObject(1 << 17)
    field[NameObject("/V")] = TextStringObject(value)
    if items is None:
        del field["/Opt"]
    else:
        field[NameObject("/Opt")] = items


def test_combo_box_of_a_form_issued_before_radio_groups_reads_its_item_value(
    annual_pdf: bytes,
) -> None:
    items = ArrayObject(
        ArrayObject([TextStringObject(str(n)), TextStringObject(text)])
        for n, text in enumerate(("À acquérir", "En cours", "Maîtrisée", "Expert"), 1)
    )
    edited = _edit(annual_pdf, lambda w: _as_combo(w, "competences.crm.auto", "En cours", items))
    assert extract_pdf(edited, NAME, None).answers["competences.crm.auto"].value == "2"


def test_combo_without_item_list_is_mapped_back_with_the_layout(
    annual_pdf: bytes, annual_layout: FormLayout
) -> None:
    edited = _edit(annual_pdf, lambda w: _as_combo(w, "competences.crm.auto", "4 – Expert", None))
    assert extract_pdf(edited, NAME, None).answers["competences.crm.auto"].value == "4 – Expert"
    assert extract_pdf(edited, NAME, annual_layout).answers["competences.crm.auto"].value == "4"


def test_radio_group_without_its_values_is_mapped_back_with_the_layout(
    annual_pdf: bytes, annual_layout: FormLayout
) -> None:
    def lose_values(writer: PdfWriter) -> None:
        del _terminal(writer, "competences.crm.auto")["/Opt"]

    edited = _edit(_fill_with_pypdf(annual_pdf, {"competences.crm.auto": "4"}), lose_values)
    # Without /Opt nor layout, the state is all there is: the position "3".
    assert extract_pdf(edited, NAME, None).answers["competences.crm.auto"].value == "3"
    assert extract_pdf(edited, NAME, annual_layout).answers["competences.crm.auto"].value == "4"


def test_radio_group_reads_the_box_shown_ticked_when_its_value_was_left_behind(
    annual_pdf: bytes,
) -> None:
    def tick_only(writer: PdfWriter) -> None:
        field = _terminal(writer, "entretien.mode")
        field[NameObject("/V")] = NameObject("/0")  # Présentiel, as it was
        for state, kid in enumerate(field["/Kids"]):
            kid.get_object()[NameObject("/AS")] = NameObject("/1" if state == 1 else "/Off")

    extraction = extract_pdf(_edit(annual_pdf, tick_only), NAME, None)
    assert extraction.answers["entretien.mode"] == RawAnswer("Visio", "control")


def test_identity_from_the_hidden_field_when_metadata_is_lost(annual_pdf: bytes) -> None:
    info = re.search(rb"/Info \d+ 0 R", annual_pdf)
    assert info is not None
    stripped = annual_pdf.replace(info[0], b" " * len(info[0]))  # same length: offsets hold
    expected = ClaimedIdentity(reference="EA-2026-00042")
    assert identify_pdf(stripped, NAME) == expected
    extraction = extract_pdf(stripped, NAME, None)
    assert (extraction.identity, extraction.producer) == (expected, None)
    assert _values(extraction) == _prefilled()


def test_metadata_and_hidden_field_that_disagree_are_noted(annual_pdf: bytes) -> None:
    def change(writer: PdfWriter) -> None:
        _terminal(writer, "entretien_reference")[NameObject("/V")] = TextStringObject(
            "EA-2026-00099"
        )

    extraction = extract_pdf(_edit(annual_pdf, change), NAME, None)
    assert extraction.identity == CLAIMED
    assert extraction.notes == [
        "La référence des propriétés du fichier (EA-2026-00042) diffère de celle du champ "
        "caché (EA-2026-00099) : la première est retenue."
    ]


def test_value_of_an_unexpected_type_is_left_out_with_a_note(annual_pdf: bytes) -> None:
    def break_values(writer: PdfWriter) -> None:
        _terminal(writer, "entretien.date")[NameObject("/V")] = DictionaryObject()
        _terminal(writer, "formations.1.obligatoire")[NameObject("/V")] = ArrayObject()
        _terminal(writer, "objectifs.1.cible")[NameObject("/V")] = NumberObject(15)

    extraction = extract_pdf(_edit(annual_pdf, break_values), NAME, None)
    values = _values(extraction)
    assert "entretien.date" not in values and "formations.1.obligatoire" not in values
    assert values["objectifs.1.cible"] == "15"
    assert extraction.notes == [
        "2 champs à la valeur illisible, ignorée : « entretien.date », "
        "« formations.1.obligatoire »."
    ]


def test_short_form_filled_with_pypdf_reads_back() -> None:
    assert _values(extract_pdf(_short_filled(), NAME, SHORT)) == {
        "souhaits": "Devenir référente (CRM)\nFormation Excel",
        "accord": False,
        "entretien_reference": "EP-2026-00007",
    }
    ticked = _fill_with_pypdf(_short_pdf(), {"accord": "/Oui"})
    assert extract_pdf(ticked, NAME, SHORT).answers["accord"] == RawAnswer(True, "control")


def test_rich_text_value_is_read(annual_pdf: bytes) -> None:
    def rich(writer: PdfWriter) -> None:
        stream = DecodedStreamObject()
        stream.set_data("Texte mis en forme\rsur deux lignes".encode("utf-16"))
        # pypdf has no public way to add an object: its own tests use _add_object too.
        _terminal(writer, "bilan.reussites")[NameObject("/V")] = writer._add_object(stream)

    edited = _edit(annual_pdf, rich)
    extraction = extract_pdf(edited, NAME, None)
    assert extraction.answers["bilan.reussites"].value == "Texte mis en forme\nsur deux lignes"


def test_an_image_where_a_text_is_due_is_left_out_not_called_encrypted(annual_pdf: bytes) -> None:
    # pypdf needs the jbig2dec program to decode JBIG2, and the missing dependency
    # used to be reported as "chiffré". An image is no text: the field is left out.
    number = _field_number(annual_pdf, "bilan.reussites")
    image = _jbig2(Image.new("1", (64, 16), 1))

    def image_value(document: pikepdf.Pdf) -> None:
        stream = pikepdf.Stream(document, b"")
        stream.write(image, filter=pikepdf.Name.JBIG2Decode)
        document.get_object(number, 0).V = document.make_indirect(stream)

    extraction = extract_pdf(_edit_objects(annual_pdf, image_value), NAME, None)
    assert "bilan.reussites" not in extraction.answers
    assert extraction.notes == ["1 champ à la valeur illisible, ignorée : « bilan.reussites »."]


def test_form_encrypted_without_a_user_password_is_read(annual_pdf: bytes) -> None:
    filled = _fill_with_pypdf(annual_pdf, TYPED)

    def encrypt(writer: PdfWriter) -> None:
        writer.encrypt(user_password="", owner_password="rh-secret", algorithm="RC4-128")

    encrypted = _edit(filled, encrypt)
    assert b"/Encrypt" in encrypted
    extraction = extract_pdf(encrypted, NAME, None)
    assert _values(extraction) == {**_prefilled(), **TYPED_READ}
    assert extraction.identity == CLAIMED
    assert identify_pdf(encrypted, NAME) == CLAIMED


# --------------------------------------------------------------------------- paper forms


def test_print_batch_of_one_form_is_a_paper_return(annual_pdf: bytes) -> None:
    template, values = _annual()
    batch = _batch([(template, _identity(), values)])
    extraction = extract_pdf(batch, NAME, None)
    assert extraction == Extraction(
        identity=ClaimedIdentity(reference="EA-2026-00042"),
        producer="entretien-forms",
        notes=[
            "Formulaire papier scanné : pages 1, 2, 3, 4 sur 4 reconnues ; saisissez les réponses."
        ],
        paper=True,
        pages=(1, 2, 3, 4),
        page_count=4,
    )
    assert identify_pdf(batch, NAME) == ClaimedIdentity(reference="EA-2026-00042")


def test_some_pages_of_a_form_give_the_pages_recognised() -> None:
    template, values = _annual()
    pages = _pages(_batch([(template, _identity(), values)]), [0, 1, 3])
    extraction = extract_pdf(pages, NAME, None)
    assert (extraction.pages, extraction.page_count) == ((1, 2, 4), 4)
    assert extraction.notes == [
        "Formulaire papier scanné : pages 1, 2, 4 sur 4 reconnues ; saisissez les réponses."
    ]
    single = extract_pdf(_pages(_batch([(template, _identity(), values)]), [2]), NAME, None)
    assert single.notes == [
        "Formulaire papier scanné : page 3 sur 4 reconnue ; saisissez les réponses."
    ]


def test_scanned_form_is_identified_by_its_qr_codes() -> None:
    template, values = _annual()
    scan = _scan(_batch([(template, _identity(), values)]))
    assert b"/AcroForm" not in scan
    extraction = extract_pdf(scan, "scan-0001.pdf", None)
    assert extraction.paper
    assert extraction.identity == ClaimedIdentity(reference="EA-2026-00042")
    assert (extraction.pages, extraction.page_count) == ((1, 2, 3, 4), 4)
    assert extraction.answers == {}
    assert identify_pdf(scan, "scan-0001.pdf") == ClaimedIdentity(reference="EA-2026-00042")


def test_fillable_form_printed_to_pdf_with_its_fields_gone(annual_pdf: bytes) -> None:
    def flatten(writer: PdfWriter) -> None:
        del writer.root_object["/AcroForm"]
        for page in writer.pages:
            del page["/Annots"]
        writer.add_metadata({"/Producer": "Microsoft: Print To PDF"})

    extraction = extract_pdf(_edit(annual_pdf, flatten), NAME, None)
    assert extraction.paper and extraction.pages == (1, 2, 3, 4)
    assert extraction.identity == CLAIMED  # the metadata agrees with the QR codes
    assert extraction.producer == "Microsoft: Print To PDF (entretien-forms)"  # (creator)


def test_scan_of_two_employees_forms_is_refused() -> None:
    short = _short()
    batch = _batch(
        [
            (short, _short_identity("EP-2026-00001"), {}),
            (short, _short_identity("EP-2026-00002"), {}),
        ]
    )
    rejection = _rejection(_scan(batch), "scan-equipe.pdf")
    assert rejection.reason == (
        "« scan-equipe.pdf » contient les formulaires de plusieurs salariés (références "
        "EP-2026-00001, EP-2026-00002)."
    )
    assert rejection.advice == (
        "Scannez le formulaire de chaque salarié dans un fichier à part, puis déposez chaque "
        "fichier."
    )
    assert rejection.code == RejectionCode.AMBIGUOUS


def test_pdf_without_fields_or_qr_code_is_not_a_form() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    rejection = _rejection(buffer.getvalue(), "page-blanche.pdf")
    assert rejection.reason == (
        "« page-blanche.pdf » n'est pas reconnu comme un formulaire d'entretien : il n'a pas "
        "de champs de formulaire, et aucun code QR de formulaire n'a été trouvé sur ses pages."
    )
    assert rejection.advice == (
        "Déposez le formulaire PDF envoyé par les RH, rempli tel quel. Pour un formulaire "
        "papier, imprimez-le depuis le PDF d'origine sans le redimensionner, laissez le code "
        "QR en haut de chaque page visible et propre, et scannez-le à 200 ppp (dpi) au moins."
    )
    assert rejection.code == RejectionCode.NOT_A_FORM


def test_another_fillable_pdf_without_our_reference_is_not_a_form() -> None:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.acroForm.textfield(name="nom", value="Dupont", x=72, y=700, width=200, height=20)
    page.showPage()
    page.save()
    rejection = _rejection(buffer.getvalue(), "conge.pdf")
    assert rejection.reason == (
        "« conge.pdf » n'est pas reconnu comme un formulaire d'entretien : ses champs ne "
        "portent pas de référence de formulaire, et aucun code QR de formulaire n'a été trouvé "
        "sur ses pages."
    )


def test_scanned_word_form_is_identified_by_its_reference_alone() -> None:
    extraction = extract_pdf(_page_with_codes(qr_payload("EA-2026-00046")), "scan-word.pdf", None)
    assert extraction.identity == ClaimedIdentity(reference="EA-2026-00046")
    assert (extraction.paper, extraction.pages, extraction.page_count) == (True, (), None)
    assert extraction.notes == [
        "Formulaire papier scanné (imprimé depuis Word) : référence lue sur 1 page ; "
        "saisissez les réponses."
    ]


def test_a_scanner_s_jbig2_page_is_read_for_its_qr_code() -> None:
    code = Image.open(io.BytesIO(qr_png(qr_payload("EA-2026-00048", 1, 1), scale=8)))
    scanned = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    scanned.paste(code.convert("L"), (1000, 80))
    with pikepdf.new() as document:
        document.add_blank_page(page_size=(595.28, 841.89))
        image = pikepdf.Stream(document, b"")
        image.write(_jbig2(scanned.convert("1")), filter=pikepdf.Name.JBIG2Decode)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = scanned.size
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 1
        page = document.pages[0].obj
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = document.make_stream(b"q 595.28 0 0 841.89 0 0 cm /Im0 Do Q")
        buffer = io.BytesIO()
        document.save(buffer)
    extraction = extract_pdf(buffer.getvalue(), "scan-jbig2.pdf", None)
    assert extraction.identity == ClaimedIdentity(reference="EA-2026-00048")
    assert (extraction.paper, extraction.pages, extraction.page_count) == (True, (1,), 1)


def test_qr_codes_that_are_not_ours_are_ignored() -> None:
    others = _page_with_codes("https://example.com/facture/42", "EA-2026-00042 p5/4")
    rejection = _rejection(others, "facture.pdf")
    assert rejection.reason == (
        "« facture.pdf » n'est pas reconnu comme un formulaire d'entretien : il n'a pas de "
        "champs de formulaire, et aucun code QR de formulaire n'a été trouvé sur ses pages."
    )
    prefixed = extract_pdf(_page_with_codes("Entretien RH-PRINTEMPS2026-00003 p1/2"), NAME, None)
    assert prefixed.identity == ClaimedIdentity(reference="Entretien RH-PRINTEMPS2026-00003")
    assert (prefixed.pages, prefixed.page_count) == ((1,), 2)


def test_a_scan_is_rendered_once_for_identify_and_extract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template, values = _annual()
    batch = _batch([(template, _identity("EA-2026-00043"), values)])
    renders = _pdfium_calls(monkeypatch, "FPDF_RenderPageBitmap_Start")
    identify_pdf(batch, NAME)
    extract_pdf(batch, NAME, None)
    assert len(renders) == 4


def test_a_small_or_faint_code_is_read_from_the_one_rendering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 14 points wide, the code is unreadable at 150 dpi and read at 300 dpi.
    small = _page_with_codes(qr_payload("EA-2026-00045", 1, 1), size=14)
    renders = _pdfium_calls(monkeypatch, "FPDF_RenderPageBitmap_Start")
    extraction = extract_pdf(small, NAME, None)
    assert (extraction.identity.reference, extraction.pages) == ("EA-2026-00045", (1,))
    assert len(renders) == 1


# --------------------------------------------------------------------------- hostile files


def test_a_file_that_is_not_a_pdf_is_refused() -> None:
    rejection = _rejection(random.Random(7).randbytes(3000), "facture.pdf")
    assert rejection.reason == (
        "« facture.pdf » n'est pas un fichier PDF lisible (son contenu ne commence pas comme "
        "un PDF)."
    )
    assert rejection.advice == (
        "Déposez le formulaire PDF tel que votre lecteur PDF l'a enregistré, ou le scan du "
        "formulaire papier enregistré au format PDF."
    )
    assert rejection.code == RejectionCode.WRONG_TYPE


def test_a_truncated_pdf_is_refused(annual_pdf: bytes) -> None:
    rejection = _rejection(annual_pdf[: len(annual_pdf) // 2])
    assert rejection.reason == (
        f"« {NAME} » est incomplet : la fin du fichier PDF manque (copie ou enregistrement "
        "interrompu)."
    )
    assert rejection.advice == (
        "Enregistrez ou copiez de nouveau le fichier, attendez la fin de la copie, puis "
        "redéposez-le."
    )
    assert rejection.code == RejectionCode.DAMAGED


def test_a_pdf_with_a_user_password_is_refused(annual_pdf: bytes) -> None:
    def encrypt(writer: PdfWriter) -> None:
        writer.encrypt(user_password="1234", owner_password="rh", algorithm="RC4-128")

    rejection = _rejection(_edit(annual_pdf, encrypt))
    assert (
        rejection.reason == f"« {NAME} » est protégé par un mot de passe : il ne peut pas être lu."
    )
    assert rejection.advice == (
        "Ouvrez-le avec son mot de passe, enregistrez une copie sans mot de passe, puis déposez "
        "cette copie."
    )
    assert rejection.code == RejectionCode.ENCRYPTED


def test_a_pdf_encrypted_with_aes_and_an_owner_password_only_is_read(
    annual_pdf: bytes, pymupdf: ModuleType
) -> None:
    document = pymupdf.open(stream=annual_pdf, filetype="pdf")
    encrypted = document.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="rh")
    document.close()
    assert extract_pdf(encrypted, NAME, None).identity == CLAIMED
    assert _values(extract_pdf(encrypted, NAME, None)) == _prefilled()


def test_an_unknown_encryption_is_refused_with_advice(annual_pdf: bytes) -> None:
    unknown = annual_pdf.replace(
        b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /AutreProtection /V 9 /R 9 >>"
    )
    assert unknown != annual_pdf  # the trailer follows the table: offsets hold
    rejection = _rejection(unknown)
    assert rejection.reason == f"« {NAME} » est chiffré d'une façon qui ne peut pas être lue ici."
    assert rejection.code == RejectionCode.ENCRYPTED
    assert rejection.advice == (
        "Ouvrez-le dans votre lecteur PDF, enregistrez une copie sans protection (ni mot de "
        "passe ni chiffrement), puis déposez cette copie."
    )


@pytest.mark.parametrize("loop", ["self", "parent"])
def test_a_field_tree_that_loops_is_refused(annual_pdf: bytes, loop: str) -> None:
    def make_loop(writer: PdfWriter) -> None:
        node = _terminal(writer, "objectifs")
        target = node if loop == "self" else writer.root_object["/AcroForm"]["/Fields"][0]
        node["/Kids"].append(target.indirect_reference)

    rejection = _rejection(_edit(annual_pdf, make_loop), identify_too=False)
    assert rejection.reason == (
        f"« {NAME} » contient un formulaire endommagé : ses champs ne peuvent pas être lus."
    )
    assert rejection.advice == (
        "Ouvrez le formulaire dans votre lecteur PDF, vérifiez les réponses, enregistrez-le de "
        "nouveau, puis redéposez-le."
    )
    assert rejection.code == RejectionCode.DAMAGED


def test_fields_that_are_not_a_list_are_refused(annual_pdf: bytes) -> None:
    def break_fields(writer: PdfWriter) -> None:
        writer.root_object["/AcroForm"][NameObject("/Fields")] = NumberObject(3)

    rejection = _rejection(_edit(annual_pdf, break_fields), identify_too=False)
    assert rejection.reason.endswith(
        "contient un formulaire endommagé : ses champs ne peuvent pas être lus."
    )


def test_a_stack_of_blank_pages_is_read_whole_and_is_not_a_form() -> None:
    # No page-count limit: 41 pages are read (the old limit was 40), none is a form.
    writer = PdfWriter()
    for _ in range(41):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    rejection = _rejection(buffer.getvalue(), "lot.pdf")
    assert rejection.reason.startswith("« lot.pdf » n'est pas reconnu comme un formulaire")
    assert rejection.code == RejectionCode.NOT_A_FORM


def test_a_page_count_that_lies_is_not_believed() -> None:
    # /Count says 4 billion: the page tree is walked instead, and holds 4 pages.
    template, values = _annual()
    lying = _batch([(template, _identity(), values)]).replace(b"/Count 4 ", b"/Count 4000000000 ")
    extraction = extract_pdf(lying, "lot.pdf", None)
    assert (extraction.paper, extraction.pages, extraction.page_count) == (True, (1, 2, 3, 4), 4)


def test_a_pdf_with_garbage_for_objects_is_refused() -> None:
    garbage = (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\n"
        + bytes(range(256)) * 4
        + b"\ntrailer\n<< /Root 1 0 R >>\nstartxref\n999999\n%%EOF\n"
    )
    rejection = _rejection(garbage, "abime.pdf")
    assert (
        rejection.reason == "« abime.pdf » est un fichier PDF endommagé : il ne peut pas être lu."
    )
    assert rejection.advice == (
        "Ouvrez-le dans votre lecteur PDF, enregistrez-le de nouveau, puis redéposez-le."
    )
    assert rejection.code == RejectionCode.DAMAGED


def _mutate(data: bytes, seed: int, kind: str) -> bytes:
    chance = random.Random(seed)
    buffer = bytearray(data)
    if kind == "flip":
        for _ in range(chance.randint(1, 20)):
            buffer[chance.randrange(len(buffer))] = chance.randrange(256)
    elif kind == "cut":
        start = chance.randrange(len(buffer))
        del buffer[start : start + chance.randint(1, 400)]
    elif kind == "splice":
        start = chance.randrange(len(buffer))
        buffer[start:start] = chance.randbytes(chance.randint(1, 200))
    else:  # a structural byte changed: brackets and delimiters make parsers loop
        positions = [i for i, byte in enumerate(buffer) if byte in b"<>[]()/"]
        for _ in range(chance.randint(1, 10)):
            buffer[chance.choice(positions)] = chance.choice(b"<>[]()/R0 ")
    return bytes(buffer)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=3000).map(lambda body: b"%PDF-1.7\n" + body + b"\n%%EOF\n"),
        st.tuples(
            st.integers(0, 2**32),
            st.sampled_from(["flip", "cut", "splice", "syntax"]),
            st.booleans(),
        ).map(lambda case: _mutate(_short_filled() if case[2] else _short_pdf(), case[0], case[1])),
    )
)
def test_any_input_gives_an_extraction_or_a_rejection(data: bytes) -> None:
    for read in (lambda: extract_pdf(data, NAME, SHORT), lambda: identify_pdf(data, NAME)):
        try:
            result = read()
        except RejectedFile as rejection:
            assert rejection.reason.startswith(f"« {NAME} »") and rejection.advice
        else:
            assert isinstance(result, (Extraction, ClaimedIdentity))


def test_scan_pages_are_released_as_they_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    original = pdfium.PdfBitmap.close

    def close(bitmap: Any) -> None:
        closed.append("bitmap")
        original(bitmap)

    monkeypatch.setattr(pdfium.PdfBitmap, "close", close)
    template, values = _annual()
    extract_pdf(_batch([(template, _identity("EA-2026-00044"), values)]), NAME, None)
    assert closed == ["bitmap"] * 4  # one rendering a page, released once read


# --------------------------------------------------------------------------- bounded rendering

TOO_HEAVY = (
    "n'a pas pu être lu comme un formulaire papier scanné : ses pages sont trop lourdes à "
    "afficher (dessins ou images démesurés) pour y chercher le code QR du formulaire."
)
RESCAN = (
    "Pour un formulaire papier, scannez-le de nouveau en 200 à 300 ppp (dpi), en noir et "
    "blanc ou en niveaux de gris, puis déposez ce scan ; sinon, déposez le formulaire PDF "
    "envoyé par les RH, rempli tel quel."
)


@cache
def _rectangles() -> bytes:
    """The hostile run's file: no field, one page of 1.5 million filled rectangles.

    3.6 MB that took 51 s and 596 MB when pdfium parsed and rendered it twice.
    """
    chance = random.Random(15)
    drawing = b"".join(
        b"%d %d 9 9 re f\n" % (chance.randrange(100), chance.randrange(100))
        for _ in range(1_500_000)
    )
    return _one_page(drawing)


def test_a_page_of_a_million_rectangles_is_refused_without_being_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hostile = _rectangles()
    assert 2_000_000 < len(hostile) < 5_000_000
    loads = _pdfium_calls(monkeypatch, "FPDF_LoadPage")
    renders = _pdfium_calls(monkeypatch, "FPDF_RenderPageBitmap_Start")
    start = time.monotonic()
    rejection = _rejection(hostile, "rectangles.pdf")
    assert time.monotonic() - start < 30  # loosely: the bound is on what pdfium gets
    assert (rejection.reason, rejection.advice) == (f"« rectangles.pdf » {TOO_HEAVY}", RESCAN)
    assert rejection.code == RejectionCode.TOO_LARGE
    assert (loads, renders) == ([], [])  # pdfium never parsed the page


def test_a_small_form_drawn_100_000_times_is_refused_without_being_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2 kB of file that pdfium expanded to 2 million paths and 800 MB.
    def small_form(document: pikepdf.Pdf) -> pikepdf.Stream:
        drawing = b"".join(b"%d %d 2 2 re f\n" % (i, i) for i in range(20))
        form = document.make_stream(drawing)
        form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 50, 50]
        return form

    hostile = _one_page(b"/X Do\n" * 100_000, X=small_form)
    assert len(hostile) < 5_000
    loads = _pdfium_calls(monkeypatch, "FPDF_LoadPage")
    rejection = _rejection(hostile, "formes.pdf")
    assert rejection.reason == f"« formes.pdf » {TOO_HEAVY}"
    assert loads == []


def test_an_image_of_400_million_pixels_is_refused_without_being_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def huge_image(document: pikepdf.Pdf) -> pikepdf.Stream:
        image = document.make_stream(bytes(20_000 // 8 * 20_000))  # 50 MB, compressed to 50 kB
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = 20_000, 20_000
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 1
        return image

    hostile = _one_page(b"q 595 0 0 842 0 0 cm /Im0 Do Q", Im0=huge_image)
    loads = _pdfium_calls(monkeypatch, "FPDF_LoadPage")
    rejection = _rejection(hostile, "image.pdf")
    assert rejection.reason == f"« image.pdf » {TOO_HEAVY}"
    assert loads == []


def test_drawing_a_file_stops_at_the_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2.6 MB of long stroked curves: within what pdfium may parse, but a minute to draw.
    chance = random.Random(16)
    curves = b"".join(
        b"%d %d m %d %d %d %d %d %d c S\n" % tuple(chance.randrange(800) for _ in range(8))
        for _ in range(60_000)
    )
    monkeypatch.setattr(scan, "PAGE_SECONDS", 0.5)
    renders = _pdfium_calls(monkeypatch, "FPDF_RenderPageBitmap_Start")
    start = time.monotonic()
    rejection = _rejection(_one_page(curves), "courbes.pdf", identify_too=False)
    assert time.monotonic() - start < 15  # loosely: drawing alone takes over 10 s
    assert rejection.reason == f"« courbes.pdf » {TOO_HEAVY}"
    assert len(renders) == 1


def test_a_heavy_page_is_skipped_and_the_others_read(monkeypatch: pytest.MonkeyPatch) -> None:
    with pikepdf.open(io.BytesIO(_page_with_codes(qr_payload("EA-2026-00049", 2, 2)))) as coded:
        heavy = pikepdf.open(io.BytesIO(_rectangles()))
        coded.pages.insert(0, heavy.pages[0])
        buffer = io.BytesIO()
        coded.save(buffer)
        heavy.close()
    loads = _pdfium_calls(monkeypatch, "FPDF_LoadPage")
    extraction = extract_pdf(buffer.getvalue(), NAME, None)
    assert extraction.identity == ClaimedIdentity(reference="EA-2026-00049")
    assert (extraction.pages, extraction.page_count) == ((2,), 2)
    assert len(loads) == 1  # the page with the code
