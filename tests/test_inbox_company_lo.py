"""Issue 10: a company Word template filled in LibreOffice, which drops the tags.

Fixtures are company templates built in code as HR makes them in Word
(``test_render_company_docx``), issued for one employee, filled as Word stores
answers, then re-saved by the real LibreOffice (integration tests). What
LibreOffice 7.4 writes, pinned by the tests below:

- a long answer in a block control keeps only its first paragraph in the
  control, now in a paragraph of its own; the others follow it as plain
  paragraphs, before the template's own next paragraph;
- a date, list or check box control followed by another control with nothing
  between them becomes a control holding the next one (its text after it),
  and when the last of them is a text control its closing tags go into the
  next paragraph (not well-formed XML), or nowhere at the end of the document.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import parse_xml
from lxml import etree  # type: ignore[import-untyped]
from test_inbox_docx import NAME, _by_tag, _edit, _methods, _values, chosen, ticked, typed
from test_render_company_docx import (
    IDENTITY,
    LAYOUT,
    SCOPE,
    VALUES,
    _controls_xml,
    _make_template,
    _rich_block,
)

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.inbox.docx_reader import extract_docx
from entretien_forms.render.company_docx import CompanyDocxTemplate

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
NOM, DATE, CHARGE, BOX, MANAGER = _controls_xml()
LONG = "Premier paragraphe.\nDeuxième paragraphe.\n\nAprès une ligne vide."
AFTER = "Commentaires du salarié sur l'année écoulée :"
SIGNED = "Signé par {{ salarie.prenom }} {{ salarie.nom }}, le :"

# --------------------------------------------------------------------------- LibreOffice


class _Converter:
    """LibreOffice's .docx of a .docx, with one isolated profile, each file converted once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.done: dict[bytes, bytes] = {}

    def resave(self, soffice: str, data: bytes) -> bytes:
        if data not in self.done:
            work = self.folder / str(len(self.done))
            work.mkdir()
            (work / "form.docx").write_bytes(data)
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={(self.folder / 'profile').as_uri()}",
                    "--headless",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    str(work / "out"),
                    str(work / "form.docx"),
                ],
                check=True,
                capture_output=True,
                timeout=240,
            )
            self.done[data] = (work / "out" / "form.docx").read_bytes()
        return self.done[data]


@pytest.fixture(scope="module")
def converter(tmp_path_factory: pytest.TempPathFactory) -> _Converter:
    return _Converter(tmp_path_factory.mktemp("libreoffice"))


@pytest.fixture
def resave(converter: _Converter, require_tool: Callable[[str], str]) -> Callable[[bytes], bytes]:
    """The file as LibreOffice saves it again as .docx (skipped without soffice, failed in CI)."""
    soffice = require_tool("soffice")
    return lambda data: converter.resave(soffice, data)


# --------------------------------------------------------------------------- templates


def _run(text: str) -> str:
    return f'<w:r xmlns:w="{W_NS}"><w:t xml:space="preserve">{text}</w:t></w:r>'


def _template(
    path: Path,
    lines: Sequence[Sequence[str]] = (),
    *,
    long_answer: bool = False,
    in_cell: bool = False,
    pair_in_cell: Sequence[str] = (),
    closing: Sequence[str] = ("Fin du formulaire.",),
) -> bytes:
    """A company template: one paragraph of controls per line, then the long answer.

    ``long_answer`` adds "Réussites de l'année :", the block control of
    ``bilan.reussites`` and HR's own text after it (a placeholder paragraph
    included); ``in_cell`` puts that block and the text after it in a table cell.
    ``pair_in_cell``: controls side by side in the first of two cells, at the end.
    """
    _make_template(path, controls=False, body=["Entretien de l'année : à remplir avec soin."])
    document = docx.Document(str(path))
    for line in lines:
        paragraph = document.add_paragraph("Champs : ")
        for xml in line:
            paragraph._p.append(parse_xml(xml))
    if long_answer:
        document.add_paragraph("Réussites de l'année :")
        if in_cell:
            cell = document.add_table(rows=1, cols=1).rows[0].cells[0]
            cell.paragraphs[0].add_run("Bilan :")
            cell._tc.append(parse_xml(_rich_block()))
            cell.add_paragraph(AFTER)
            cell.add_paragraph(SIGNED)
        else:
            body = document.element.body
            body.insert(len(body) - 1, parse_xml(_rich_block()))
            document.add_paragraph(AFTER)
            document.add_paragraph(SIGNED)
    if pair_in_cell:
        paragraph = document.add_table(rows=1, cols=2).rows[0].cells[0].paragraphs[0]
        for xml in pair_in_cell:
            paragraph._p.append(parse_xml(xml))
    for text in closing:
        document.add_paragraph(text)
    document.save(str(path))
    return path.read_bytes()


ANSWERS: Mapping[str, str | bool] = {
    "salarie.nom_complet": "Éloïse Lefèvre",
    "salarie.date_entree": "04/03/2019",
    "projection.charge_travail": "2",
    "formations.1.obligatoire": True,
    "manager.nom_complet": "Marc Dubois",
    "bilan.reussites": LONG,
}


def _filled(path: Path) -> bytes:
    """A form issued from the template at ``path``, filled in Word: each control it has."""
    issued = CompanyDocxTemplate.compile(path, LAYOUT).render(IDENTITY, VALUES, SCOPE)

    def fill(root: Any) -> None:
        controls = _by_tag(root)
        fills = {
            "manager.nom_complet": typed("Marc Dubois"),
            "projection.charge_travail": chosen("2 – Adaptée"),
            "formations.1.obligatoire": ticked(),
            "bilan.reussites": typed(LONG),
        }
        for tag, fill_in in fills.items():
            if tag in controls:
                fill_in(controls[tag])

    return _edit(issued, fill)


def _document(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("word/document.xml")


def _paragraphs(data: bytes) -> list[str]:
    root = etree.fromstring(_document(data))
    return ["".join(p.itertext()) for p in root.iter(f"{W}p")]


# --------------------------------------------------------------------------- long answers


@pytest.mark.integration
def test_paragraphs_of_a_long_answer_outside_a_table_survive_a_libreoffice_resave(
    tmp_path: Path, resave: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "modele.docx"
    blank = _template(path, [[NOM], [DATE], [CHARGE], [BOX], [MANAGER]], long_answer=True)
    filled = _filled(path)
    assert _values(extract_docx(filled, NAME, LAYOUT, blank=blank)) == ANSWERS

    resaved = resave(filled)
    # What LibreOffice 7.4 writes: the first paragraph alone in the control, the
    # others after it, then the template's own paragraphs.
    root = etree.fromstring(_document(resaved))
    rich = [s for s in root.iter(f"{W}sdt") if "Premier" in "".join(s.itertext())][-1]
    assert "".join(rich.itertext()) == "Premier paragraphe."
    texts = _paragraphs(resaved)
    start = texts.index("Premier paragraphe.")
    assert texts[start : start + 5] == [
        "Premier paragraphe.",
        "Deuxième paragraphe.",
        "",
        "Après une ligne vide.",
        AFTER,
    ]

    extraction = extract_docx(resaved, NAME, LAYOUT, blank=blank)
    assert _values(extraction) == ANSWERS
    assert set(_methods(extraction).values()) == {"control_order"}
    assert extraction.notes == [
        "Enregistré par LibreOffice 7.4 : 6 champs sans étiquette, repérés par leur position."
    ]


@pytest.mark.integration
def test_a_long_answer_stops_at_the_template_s_own_text_in_a_cell(
    tmp_path: Path, resave: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "modele.docx"
    blank = _template(path, [[NOM]], long_answer=True, in_cell=True)
    extraction = extract_docx(resave(_filled(path)), NAME, LAYOUT, blank=blank)
    assert extraction.answers["bilan.reussites"].value == LONG
    assert extraction.answers["bilan.reussites"].method == "control_order"
    assert not any(note.startswith("Texte ajouté") for note in extraction.notes)


@pytest.mark.integration
def test_text_typed_after_the_template_s_own_text_is_still_a_note(
    tmp_path: Path, resave: Callable[[bytes], bytes]
) -> None:
    remark = "Le salarié demande un temps partiel dès septembre."
    path = tmp_path / "modele.docx"
    blank = _template(path, [[NOM]], long_answer=True)

    def add(root: Any) -> None:
        body = root.find(f"{W}body")
        body.insert(len(body) - 1, parse_xml(f'<w:p xmlns:w="{W_NS}">{_run(remark)}</w:p>'))

    extraction = extract_docx(resave(_edit(_filled(path), add)), NAME, LAYOUT, blank=blank)
    assert extraction.answers["bilan.reussites"].value == LONG
    assert extraction.notes[-1] == f"Texte ajouté hors des champs : « {remark} »."


# --------------------------------------------------------------------------- side by side


def _tangled_note(labels: str) -> str:
    return (
        f"Enregistré par LibreOffice 7.4 : 2 champs non lus ({labels}). Placés côte à côte "
        "dans le modèle, sans rien entre eux, ils ont été imbriqués l'un dans l'autre par "
        "LibreOffice 7.4 : la réponse de chacun ne peut pas être distinguée. Reprenez ces "
        "réponses dans le document ; dans le modèle Word, séparez ces champs par un espace ou "
        "un libellé."
    )


@pytest.mark.integration
def test_fields_side_by_side_that_libreoffice_nests_are_not_guessed(
    tmp_path: Path, resave: Callable[[bytes], bytes]
) -> None:
    """A date then a list: well-formed, but the list's text ends up in the date."""
    path = tmp_path / "modele.docx"
    blank = _template(path, [[DATE, CHARGE], [NOM, _run(" "), MANAGER], [BOX]])
    resaved = resave(_filled(path))
    root = etree.fromstring(_document(resaved))
    date = next(s for s in root.iter(f"{W}sdt") if s.find(f"{W}sdtPr/{W}date") is not None)
    assert date.find(f".//{W}sdt/{W}sdtPr/{W}dropDownList") is not None  # nested

    extraction = extract_docx(resaved, NAME, LAYOUT, blank=blank)
    assert _values(extraction) == {
        "salarie.nom_complet": "Éloïse Lefèvre",
        "manager.nom_complet": "Marc Dubois",
        "formations.1.obligatoire": True,
    }
    assert extraction.notes == [
        "Enregistré par LibreOffice 7.4 : 3 champs sans étiquette, repérés par leur position.",
        _tangled_note("« Date d'entrée », « Charge de travail »"),
    ]


@pytest.mark.integration
@pytest.mark.parametrize("in_cell", [False, True], ids=["paragraph", "cell"])
def test_closing_tags_libreoffice_writes_in_the_next_paragraph_are_put_back(
    tmp_path: Path, resave: Callable[[bytes], bytes], in_cell: bool
) -> None:
    """A date then a text control: the date is closed in the next paragraph, or cell."""
    path = tmp_path / "modele.docx"
    pair = [DATE, MANAGER]
    lines = [[NOM], [BOX]] if in_cell else [[NOM], pair, [BOX]]
    blank = _template(path, lines, long_answer=True, pair_in_cell=pair if in_cell else ())
    resaved = resave(_filled(path))
    with pytest.raises(etree.XMLSyntaxError, match="Opening and ending tag mismatch: sdtContent"):
        etree.fromstring(_document(resaved))

    extraction = extract_docx(resaved, NAME, LAYOUT, blank=blank)
    assert extraction.answers["salarie.nom_complet"].value == "Éloïse Lefèvre"
    assert extraction.answers["formations.1.obligatoire"].value is True
    assert extraction.answers["bilan.reussites"].value == LONG
    assert "salarie.date_entree" not in extraction.answers
    assert "manager.nom_complet" not in extraction.answers
    assert extraction.notes[-1] == _tangled_note(
        "« Date d'entrée », « Responsable qui conduit l'entretien »"
    )


@pytest.mark.integration
def test_every_field_of_a_line_side_by_side_is_left_for_hr(
    tmp_path: Path, resave: Callable[[bytes], bytes]
) -> None:
    """The test templates' own line: five controls in a row, then a long answer."""
    path = _make_template(tmp_path / "modele.docx")
    blank = path.read_bytes()
    extraction = extract_docx(resave(_filled(path)), NAME, LAYOUT, blank=blank)
    assert _values(extraction) == {
        "salarie.nom_complet": "Éloïse Lefèvre",
        "bilan.reussites": LONG,
    }
    assert (
        "Enregistré par LibreOffice 7.4 : 4 champs non lus (« Date d'entrée »"
        in (extraction.notes[-1])
    )


@pytest.mark.integration
def test_fields_side_by_side_at_the_end_are_refused_with_what_to_do(
    tmp_path: Path, resave: Callable[[bytes], bytes]
) -> None:
    """At the very end of the document LibreOffice never closes the date: nothing to put back."""
    path = tmp_path / "modele.docx"
    blank = _template(path, [[NOM], [DATE, MANAGER]], closing=())
    with pytest.raises(RejectedFile) as refused:
        extract_docx(resave(_filled(path)), NAME, LAYOUT, blank=blank)
    assert refused.value.code == RejectionCode.DAMAGED
    assert refused.value.reason.startswith(
        f"{NAME} a été enregistré par LibreOffice 7.4 avec un texte de document invalide "
        "(word/document.xml, ligne 2, colonne "
    )
    assert "champs placés côte à côte sans rien entre eux" in refused.value.reason
    assert "endommagé" not in refused.value.reason
    assert refused.value.advice.startswith(
        "L'enregistrer à nouveau dans LibreOffice ne corrigerait rien : demandez au "
        "responsable de remplir le formulaire dans Microsoft Word, ou envoyez-lui le PDF"
    )


# --------------------------------------------------------------------------- without LibreOffice


def test_other_damaged_xml_is_still_refused_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "modele.docx"
    blank = _template(path, [[NOM]])

    with zipfile.ZipFile(io.BytesIO(_filled(path))) as package:
        files = {name: package.read(name) for name in package.namelist()}
    files["word/document.xml"] = files["word/document.xml"][:-40]  # cut short
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in files.items():
            package.writestr(name, content)
    with pytest.raises(RejectedFile) as refused:
        extract_docx(out.getvalue(), NAME, LAYOUT, blank=blank)
    assert refused.value.code == RejectionCode.DAMAGED
    assert str(refused.value) == (
        f"{NAME} est endommagé : impossible de lire le texte du document (word/document.xml)."
    )
