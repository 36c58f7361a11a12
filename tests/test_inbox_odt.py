"""The other files managers send back: .odt, .doc, forms re-saved by LibreOffice.

Fixtures are our own forms, rendered and filled in code as in
``test_inbox_docx.py``, then put through the real LibreOffice (integration
tests): saved as .odt, as .docx, as .doc and converted back. What LibreOffice
writes for something typed in it (a line feed in an input field, a paragraph
added) was first seen by driving LibreOffice 7.4 with a macro; those tests
write the same into a file LibreOffice made, then let it convert that file.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import parse_xml
from test_inbox_docx import (
    ANNUAL,
    ANNUAL_ANSWERS,
    NAME,
    PROFESSIONAL,
    _by_tag,
    _edit,
    _emptied,
    _filled_annual,
    _filled_professional,
    _issued,
    _layout,
    _methods,
    _professional_answers,
    _values,
    chosen,
    ticked,
    typed,
)
from test_render_company_docx import IDENTITY, LAYOUT, SCOPE, VALUES, _controls_xml, _make_template
from test_render_company_docx import _rich_block as _company_rich_block

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.inbox import convert
from entretien_forms.inbox.docx_reader import extract_docx, identify_docx
from entretien_forms.inbox.model import Extraction
from entretien_forms.inbox.odt_reader import extract_odt, identify_odt
from entretien_forms.render.company_docx import CompanyDocxTemplate

ODT_NAME = "EA-2026-00042.odt"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"

# --------------------------------------------------------------------------- LibreOffice


class _LibreOffice:
    """The real soffice, one profile for the module, each conversion done once."""

    def __init__(self, program: str, folder: Path) -> None:
        self.program = program
        self.folder = folder
        self.done: dict[tuple[bytes, str], bytes] = {}

    def convert(self, data: bytes, source: str, target: str) -> bytes:
        """``data`` (a .``source`` file) as LibreOffice saves it as .``target``."""
        key = (data, target)
        if key not in self.done:
            work = self.folder / f"{len(self.done)}"
            work.mkdir()
            (work / f"form.{source}").write_bytes(data)
            subprocess.run(
                [
                    self.program,
                    f"-env:UserInstallation={(self.folder / 'profile').as_uri()}",
                    "--headless",
                    "--convert-to",
                    target,
                    "--outdir",
                    str(work / "out"),
                    str(work / f"form.{source}"),
                ],
                check=True,
                capture_output=True,
                timeout=240,
            )
            self.done[key] = (work / "out" / f"form.{target}").read_bytes()
        return self.done[key]


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> _LibreOffice:
    """Like conftest's ``require_tool("soffice")``, for the whole module: skipped, or failed in CI."""
    program = shutil.which("soffice")
    if program is None:
        message = "soffice is not installed (Debian: libreoffice-writer-nogui)"
        if os.environ.get("ENTRETIEN_INTEGRATION") == "required":
            pytest.fail(message)
        pytest.skip(message)
    return _LibreOffice(program, tmp_path_factory.mktemp("libreoffice"))


# --------------------------------------------------------------------------- editing an .odt


def _odt_parts(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return [(info, package.read(info)) for info in package.infolist()]


def _odt_with(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """``data`` with ``part`` changed, ``mimetype`` first and stored as ODF wants."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info, content in _odt_parts(data):
            package.writestr(info, change(content) if info.filename == part else content)
    return out.getvalue()


def _typed_in_field(shown: str, typed_text: str) -> Callable[[bytes], bytes]:
    """The first input field showing ``shown`` now holds ``typed_text`` (line feeds literal).

    LibreOffice's input field dialog stores what is typed as is: a line feed
    is written as a line feed inside ``text:text-input``.
    """

    def change(content: bytes) -> bytes:
        pattern = re.compile(rf"(<text:text-input[^>]*>){re.escape(shown)}(</text:text-input>)")
        replaced, n = pattern.subn(
            lambda m: m[1] + typed_text.replace("&", "&amp;").replace("<", "&lt;") + m[2],
            content.decode(),
            count=1,
        )
        assert n == 1
        return replaced.encode()

    return change


def _paragraph_added(text: str) -> Callable[[bytes], bytes]:
    """A paragraph typed at the end of the document, outside any field."""

    def change(content: bytes) -> bytes:
        end = b"</office:text>"
        assert content.count(end) == 1
        return content.replace(end, f"<text:p>{text}</text:p>".encode() + end)

    return change


# --------------------------------------------------------------------------- .odt


@pytest.mark.integration
def test_odt_keeps_the_identity_and_every_answer_by_position(libreoffice: _LibreOffice) -> None:
    odt = libreoffice.convert(_filled_annual(), "docx", "odt")
    assert identify_odt(odt, ODT_NAME) == identify_docx(_filled_annual(), NAME)
    extraction = extract_odt(odt, ODT_NAME, _layout(ANNUAL))
    assert extraction.producer is not None and extraction.producer.startswith("LibreOffice/")
    assert _values(extraction) == ANNUAL_ANSWERS
    assert set(_methods(extraction).values()) == {"control_order"}
    assert extraction.notes == [
        "Enregistré par LibreOffice 7.4 au format .odt : 99 champs sans étiquette, repérés "
        "par leur position."
    ]


@pytest.mark.integration
def test_odt_multiple_choices_and_check_boxes(libreoffice: _LibreOffice) -> None:
    odt = libreoffice.convert(_filled_professional(), "docx", "odt")
    extraction = extract_odt(odt, ODT_NAME, _layout(PROFESSIONAL))
    assert _values(extraction) == _professional_answers()
    assert set(_methods(extraction).values()) == {"control_order"}


@pytest.mark.integration
def test_odt_of_an_unknown_form_is_not_guessed(libreoffice: _LibreOffice) -> None:
    extraction = extract_odt(libreoffice.convert(_filled_annual(), "docx", "odt"), ODT_NAME, None)
    assert extraction.answers == {}
    assert extraction.notes == [
        "Enregistré par LibreOffice 7.4 (.odt) : 99 champs sans étiquette non lus, faute de "
        "connaître le formulaire."
    ]


@pytest.mark.integration
def test_odt_with_a_field_missing_is_not_read_by_position(libreoffice: _LibreOffice) -> None:
    def drop_a_control(root: Any) -> None:
        control = _by_tag(root)["bilan.taux_closing"]
        control.getparent().remove(control)

    odt = libreoffice.convert(_edit(_filled_annual(), drop_a_control), "docx", "odt")
    extraction = extract_odt(odt, ODT_NAME, _layout(ANNUAL))
    assert extraction.answers == {}
    assert "(98 champs trouvés, 99 attendus)" in extraction.notes[0]


# --------------------------------------------------------------------------- line breaks


LINES = "Trois contrats majeurs\nUn client clé fidélisé\nDeux recrutements"


@pytest.mark.integration
def test_lines_typed_in_an_odt_field_are_kept(libreoffice: _LibreOffice) -> None:
    odt = _odt_with(
        libreoffice.convert(_issued(ANNUAL), "docx", "odt"),
        "content.xml",
        _typed_in_field("Saisir ici&#x0d;", LINES),
    )
    extraction = extract_odt(odt, ODT_NAME, _layout(ANNUAL))
    assert extraction.answers["bilan.reussites"].value == LINES


@pytest.mark.integration
def test_lines_typed_in_an_odt_field_survive_a_save_as_docx(libreoffice: _LibreOffice) -> None:
    """From an .odt, LibreOffice writes input fields as FILLIN fields: read from the box."""
    odt = _odt_with(
        libreoffice.convert(_issued(ANNUAL), "docx", "odt"),
        "content.xml",
        _typed_in_field("Saisir ici&#x0d;", LINES),
    )
    resaved = libreoffice.convert(odt, "odt", "docx")
    assert b"FILLIN" in _document(resaved)
    extraction = extract_docx(resaved, NAME, _layout(ANNUAL))
    assert extraction.answers["bilan.reussites"].value == LINES


def test_lines_libreoffice_writes_side_by_side_are_lines() -> None:
    """Lines typed in a field of a .docx open in LibreOffice 7.4, saved as .docx.

    Seen with LibreOffice 7.4.7 driven by a macro: the field keeps its content
    control, and each line is a ``w:t`` of its own in one run, no ``w:br``.
    """

    def fill(root: Any) -> None:
        content = _emptied(_by_tag(root)["bilan.reussites"])
        texts = "".join(f"<w:t>{line}</w:t>" for line in LINES.split("\n"))
        content.append(parse_xml(f'<w:p xmlns:w="{_W}"><w:r>{texts}</w:r></w:p>'))

    extraction = extract_docx(_edit(_issued(ANNUAL), fill), NAME, _layout(ANNUAL))
    assert extraction.answers["bilan.reussites"].value == LINES


@pytest.mark.integration
def test_paragraphs_of_a_long_answer_survive_a_libreoffice_resave(
    libreoffice: _LibreOffice,
) -> None:
    paragraphs = "Premier paragraphe.\nDeuxième paragraphe.\n\nAprès une ligne vide."

    def fill(root: Any) -> None:
        typed(paragraphs)(_by_tag(root)["bilan.difficultes"])

    filled = _edit(_filled_annual(), fill)
    for data, read in (
        (libreoffice.convert(filled, "docx", "docx"), extract_docx),
        (libreoffice.convert(filled, "docx", "odt"), extract_odt),
    ):
        extraction = read(data, NAME, _layout(ANNUAL))
        assert extraction.answers["bilan.difficultes"].value == paragraphs
        assert extraction.answers["bilan.reussites"].value == ANNUAL_ANSWERS["bilan.reussites"]
        assert not any(note.startswith("Texte ajouté") for note in extraction.notes)


def _document(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("word/document.xml")


# --------------------------------------------------------------------------- text outside fields

REMARK = "Le salarié souhaite passer à 80 % dès septembre, accord de principe donné."


@pytest.mark.integration
def test_text_typed_outside_the_fields_is_a_note(libreoffice: _LibreOffice) -> None:
    odt = _odt_with(
        libreoffice.convert(_filled_annual(), "docx", "odt"),
        "content.xml",
        _paragraph_added(REMARK),
    )
    expected = f"Texte ajouté hors des champs : « {REMARK} »."
    extraction = extract_odt(odt, ODT_NAME, _layout(ANNUAL))
    assert extraction.notes[-1] == expected
    assert _values(extraction) == ANNUAL_ANSWERS

    def add(root: Any) -> None:
        body = root.find(f"{{{_W}}}body")
        xml = f'<w:p xmlns:w="{_W}"><w:r><w:t>{REMARK}</w:t></w:r></w:p>'
        body.insert(len(body) - 1, parse_xml(xml))

    resaved = libreoffice.convert(_edit(_filled_annual(), add), "docx", "docx")
    extraction = extract_docx(resaved, NAME, _layout(ANNUAL))
    assert extraction.notes[-1] == expected
    assert _values(extraction) == ANNUAL_ANSWERS


def test_text_typed_outside_the_controls_of_a_word_form_is_a_note() -> None:
    def add(root: Any) -> None:
        body = root.find(f"{{{_W}}}body")
        body.insert(
            len(body) - 1, parse_xml(f'<w:p xmlns:w="{_W}"><w:r><w:t>{REMARK}</w:t></w:r></w:p>')
        )

    extraction = extract_docx(_edit(_filled_annual(), add), NAME, _layout(ANNUAL))
    assert extraction.notes == [f"Texte ajouté hors des champs : « {REMARK} »."]


def test_a_long_added_text_is_shortened_and_counted() -> None:
    long = "Remarque " + "très longue " * 30

    def add(root: Any) -> None:
        body = root.find(f"{{{_W}}}body")
        for n in range(5):
            xml = f'<w:p xmlns:w="{_W}"><w:r><w:t>{long} n° {n}</w:t></w:r></w:p>'
            body.insert(len(body) - 1, parse_xml(xml))

    [note] = extract_docx(_edit(_filled_annual(), add), NAME, _layout(ANNUAL)).notes
    assert note.startswith("Texte ajouté hors des champs : « Remarque très longue")
    assert note.endswith("… » (et 2 autres passages).")
    assert note.count("«") == 3
    assert len(note) < 600


def test_the_blank_form_and_its_answers_are_not_added_text() -> None:
    for form_id, data in ((ANNUAL, _issued(ANNUAL)), (PROFESSIONAL, _filled_professional())):
        assert extract_docx(data, NAME, _layout(form_id)).notes == []


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --------------------------------------------------------------------------- .doc


@pytest.mark.integration
def test_a_doc_is_converted_and_read_from_its_tables(libreoffice: _LibreOffice) -> None:
    doc = libreoffice.convert(_filled_annual(), "docx", "doc")
    converted = convert.doc_to_docx(doc, "formulaire.doc", soffice=libreoffice.program)
    assert identify_docx(converted, NAME) == identify_docx(_filled_annual(), NAME)
    extraction = extract_docx(converted, NAME, _layout(ANNUAL))
    values = _values(extraction)
    # The .doc format has no content control: answers come from the table cells, and
    # the line ending LibreOffice keeps at the end of a long answer's field becomes an
    # empty paragraph.
    assert values.pop("bilan.reussites") == "Trois contrats majeurs.\n\nUn client clé\tfidélisé."
    assert values == {k: v for k, v in ANNUAL_ANSWERS.items() if k != "bilan.reussites"}
    assert set(_methods(extraction).values()) == {"table_cell", "typed_mark"}


def test_without_libreoffice_a_doc_is_refused_with_the_way_to_save_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(convert, "libreoffice", lambda: None)
    with pytest.raises(RejectedFile) as refused:
        convert.doc_to_docx(b"\xd0\xcf\x11\xe0", "vieux.doc")
    assert refused.value.code == RejectionCode.UNSUPPORTED_FORMAT
    assert "vieux.doc" in refused.value.reason
    assert "Document Word (.docx)" in refused.value.advice


posix_only = pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands for soffice")


def _fake_soffice(tmp_path: Path, body: str) -> str:
    """A program called like soffice: ``$outdir`` and ``$source`` are set for ``body``."""
    script = tmp_path / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        'for last in "$@"; do :; done\n'
        'source="$last"\n'
        'while [ "$1" != "--outdir" ]; do shift; done\n'
        'outdir="$2"\n' + body + "\n"
    )
    script.chmod(0o755)
    return str(script)


@posix_only
def test_a_conversion_that_hangs_is_killed_and_refused(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    soffice = _fake_soffice(tmp_path, f"sleep 30 & echo $! > {marker}\nwait")
    with pytest.raises(RejectedFile) as refused:
        convert.doc_to_docx(b"doc", "lent.doc", timeout=0.5, soffice=soffice)
    assert refused.value.code == RejectionCode.UNREADABLE
    assert "n'a pas abouti en 0.5 secondes" in refused.value.reason
    child = int(marker.read_text())
    assert _gone(child)  # the whole group was killed, not only the first process


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(")")[-1].split()[0] == "Z"


@posix_only
def test_a_conversion_that_writes_nothing_is_refused(tmp_path: Path) -> None:
    soffice = _fake_soffice(tmp_path, "exit 0")
    with pytest.raises(RejectedFile) as refused:
        convert.doc_to_docx(b"doc", "vide.doc", soffice=soffice)
    assert refused.value.code == RejectionCode.UNREADABLE
    assert "n'a pas pu le convertir" in refused.value.reason


@posix_only
def test_a_conversion_too_large_is_refused_before_it_is_read(tmp_path: Path) -> None:
    soffice = _fake_soffice(tmp_path, 'head -c 2000 /dev/zero > "$outdir/formulaire.docx"')
    with pytest.raises(RejectedFile) as refused:
        convert.doc_to_docx(b"doc", "gros.doc", soffice=soffice, max_output=1000)
    assert refused.value.code == RejectionCode.TOO_LARGE


@posix_only
def test_the_sender_s_file_name_never_reaches_the_command_line(tmp_path: Path) -> None:
    arguments = tmp_path / "args"
    soffice = _fake_soffice(
        tmp_path,
        f'printf "%s\\n" "$source" > {arguments}\ncp "$source" "$outdir/formulaire.docx"',
    )
    assert convert.doc_to_docx(b"contenu", "--infilter=x; rm -rf ~.doc", soffice=soffice) == (
        b"contenu"
    )
    assert arguments.read_text().strip().endswith("/formulaire.doc")


# --------------------------------------------------------------------------- company template


def _company_template(path: Path) -> Path:
    """A company template with one control per paragraph, and HR's own wording."""
    _make_template(path, controls=False, body=["Entretien de l'année : à remplir avec soin."])
    document = docx.Document(str(path))
    labels = ["Nom", "Date d'entrée", "Charge", "Formation obligatoire", "Responsable"]
    for xml, label in zip(_controls_xml(), labels, strict=True):
        document.add_paragraph(f"{label} : ")._p.append(parse_xml(xml))
    document.add_paragraph("Réussites de l'année :")
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(_company_rich_block()))
    document.save(str(path))
    return path


COMPANY_ANSWERS: Mapping[str, str | bool] = {
    "salarie.nom_complet": "Éloïse Lefèvre",
    "salarie.date_entree": "04/03/2019",
    "projection.charge_travail": "2",
    "formations.1.obligatoire": True,
    "manager.nom_complet": "Marc Dubois",
    "bilan.reussites": "Deux grands comptes signés.",
}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """(the company's blank template, a form issued from it and filled in Word)."""
    template = _company_template(tmp_path_factory.mktemp("company") / "modele.docx")
    issued = CompanyDocxTemplate.compile(template, LAYOUT).render(IDENTITY, VALUES, SCOPE)

    def fill(root: Any) -> None:
        controls = _by_tag(root)
        typed("Marc Dubois")(controls["manager.nom_complet"])
        chosen("2 – Adaptée")(controls["projection.charge_travail"])
        ticked()(controls["formations.1.obligatoire"])
        typed("Deux grands comptes signés.")(controls["bilan.reussites"])

    return template.read_bytes(), _edit(issued, fill)


@pytest.mark.integration
@pytest.mark.parametrize("target", ["docx", "odt"])
def test_a_company_template_filled_in_libreoffice_is_read_by_position(
    libreoffice: _LibreOffice, company: tuple[bytes, bytes], target: str
) -> None:
    blank, filled = company
    assert _values(extract_docx(filled, NAME, LAYOUT)) == COMPANY_ANSWERS
    resaved = libreoffice.convert(filled, "docx", target)
    read = extract_docx if target == "docx" else extract_odt
    extraction: Extraction = read(resaved, NAME, LAYOUT, blank=blank)
    assert _values(extraction) == COMPANY_ANSWERS
    assert set(_methods(extraction).values()) == {"control_order"}
    assert len(extraction.notes) == 1  # "6 champs sans étiquette, repérés par leur position."
    assert "6 champs sans étiquette, repérés par leur position." in extraction.notes[0]
    # Without the template, its controls are not those of the built-in form: not guessed.
    assert read(resaved, NAME, LAYOUT).answers == {}


# --------------------------------------------------------------------------- .odt made in code


def _odt(
    content: str,
    meta: str = "",
    extra: Mapping[str, bytes] | None = None,
    *,
    mimetype: str = "application/vnd.oasis.opendocument.text",
    doctype: str = "",
) -> bytes:
    """A small .odt as LibreOffice lays it out, ``content`` inside ``office:text``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("mimetype", mimetype)
        package.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
            f'office:1.0" xmlns:text="{TEXT_NS}" xmlns:table="urn:oasis:names:tc:opendocument:'
            'xmlns:table:1.0" xmlns:loext="urn:org:documentfoundation:names:experimental:'
            'office:xmlns:loext:1.0"><office:body><office:text>'
            f"{content}</office:text></office:body></office:document-content>",
        )
        package.writestr(
            "meta.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<office:document-meta xmlns:office='
            '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:'
            f'tc:opendocument:xmlns:meta:1.0"><office:meta>{meta}</office:meta>'
            "</office:document-meta>",
        )
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


def test_tagged_content_controls_are_read_by_tag() -> None:
    """LibreOffice 7.5 and later keep the tag (``loext:tag``) of each control."""
    data = _odt(
        '<text:p><loext:content-control loext:tag="entretien.mode" loext:alias="Modalité">'
        '<loext:list-item loext:display-text="Visio" loext:value="Visio"/>Visio'
        "</loext:content-control></text:p>"
        '<text:p><loext:content-control loext:tag="formations.2.obligatoire" '
        'loext:checkbox="true" loext:checked="true">☒</loext:content-control></text:p>'
        '<text:p><loext:content-control loext:tag="competences.closing.auto">'
        '<loext:list-item loext:display-text="3 – Maîtrisée" loext:value="3"/>3 – Maîtrisée'
        "</loext:content-control></text:p>"
        '<text:p><loext:content-control loext:tag="bilan.taux_closing" loext:plain-text="true">'
        "32<text:s/>%</loext:content-control></text:p>",
        '<meta:user-defined meta:name="entretien_reference">EA-2026-00042</meta:user-defined>',
    )
    assert identify_odt(data, ODT_NAME).reference == "EA-2026-00042"
    extraction = extract_odt(data, ODT_NAME, _layout(ANNUAL))
    assert _values(extraction) == {
        "entretien.mode": "Visio",
        "formations.2.obligatoire": True,
        "competences.closing.auto": "3",
        "bilan.taux_closing": "32 %",
    }
    assert set(_methods(extraction).values()) == {"control"}


def _refused(data: bytes) -> RejectedFile:
    with pytest.raises(RejectedFile) as refused:
        extract_odt(data, ODT_NAME, _layout(ANNUAL))
    with pytest.raises(RejectedFile):
        identify_odt(data, ODT_NAME)
    return refused.value


HOSTILE_ODT: Mapping[str, tuple[Callable[[], bytes], RejectionCode]] = {
    "doctype": (
        lambda: _odt("", doctype='<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
        RejectionCode.UNSAFE_CONTENT,
    ),
    "macros": (
        lambda: _odt("", extra={"Basic/Standard/Module1.xml": b"<x/>"}),
        RejectionCode.UNSAFE_CONTENT,
    ),
    "password": (
        lambda: _odt(
            "",
            extra={
                "META-INF/manifest.xml": b'<manifest:manifest xmlns:manifest="urn:oasis:names:'
                b'tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path='
                b'"content.xml"><manifest:encryption-data/></manifest:file-entry>'
                b"</manifest:manifest>"
            },
        ),
        RejectionCode.ENCRYPTED,
    ),
    "spreadsheet": (
        lambda: _odt("", mimetype="application/vnd.oasis.opendocument.spreadsheet"),
        RejectionCode.DAMAGED,
    ),
    "broken xml": (
        lambda: _odt("<text:p>"),
        RejectionCode.DAMAGED,
    ),
    "not a zip": (lambda: b"PK\x03\x04 pas une archive", RejectionCode.DAMAGED),
}


@pytest.mark.parametrize("case", list(HOSTILE_ODT))
def test_hostile_odt_files_are_refused_with_a_reason(case: str) -> None:
    make, code = HOSTILE_ODT[case]
    data = make()
    if case == "broken xml":  # identify reads only meta.xml: fine there
        with pytest.raises(RejectedFile) as refused:
            extract_odt(data, ODT_NAME, _layout(ANNUAL))
        assert refused.value.code == code
        return
    refused_value = _refused(data)
    assert refused_value.code == code
    assert ODT_NAME in refused_value.reason


def test_deleted_text_and_comments_are_not_read() -> None:
    data = _odt(
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>'
        '<loext:content-control loext:tag="entretien.mode">Présentiel</loext:content-control>'
        "</text:p></text:deletion></text:changed-region></text:tracked-changes>"
        '<text:p><loext:content-control loext:tag="entretien.mode">'
        '<loext:list-item loext:display-text="Visio" loext:value="Visio"/>Visio'
        "</loext:content-control></text:p>"
    )
    assert _values(extract_odt(data, ODT_NAME, _layout(ANNUAL))) == {"entretien.mode": "Visio"}
