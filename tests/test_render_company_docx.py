"""A company's own Word template: placeholders, tagged controls, checks and package safety."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from factories import TODAY
from lxml import etree

from entretien_forms.errors import FormDefinitionError
from entretien_forms.forms import campaign_context, load_catalog
from entretien_forms.forms.model import FormLayout, FormValues, Identity
from entretien_forms.render import _docx_parts as parts
from entretien_forms.render.company_docx import CompanyDocxTemplate

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
NSDECLS = f'xmlns:w="{parts.NS_W}" xmlns:w14="{parts.NS_W14}"'
CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
LAYOUT: FormLayout = load_catalog(None).get("entretien-annuel").layout("commercial", CONTEXT)
IDENTITY = Identity(
    reference="EA-2026-00042",
    form_id="entretien-annuel",
    form_version="2026.1",
    kind="annuel",
    campaign="2026",
    matricule="S004",
    employee_name="Éloïse Lefèvre",
    manager_name=None,
    company="Horizon SAS",
    signature="0f" * 32,
    issued_on=TODAY,
)
SALARIE = {
    "matricule": "S004",
    "nom": "Lefèvre",
    "prenom": "Éloïse",
    "nom_complet": "Éloïse Lefèvre",
    "poste": "Commerciale sédentaire",
}
SCOPE: Mapping[str, Any] = {**CONTEXT, "salarie": SALARIE, "manager": None}
VALUES: FormValues = {
    "salarie.nom_complet": "Éloïse Lefèvre",
    "salarie.date_entree": "04/03/2019",
    "manager.nom_complet": "",
}
PLACEHOLDER_STYLE = "Textedelespacerserv"  # the id a French Word gives "Placeholder Text"


def _sdt(tag: str, kind: str, content: str, *, alias: str = "Champ") -> str:
    return (
        f'<w:sdt {NSDECLS}><w:sdtPr><w:alias w:val="{alias}"/><w:tag w:val="{tag}"/>'
        f'<w:id w:val="{abs(hash(tag)) % 100000}"/>{kind}</w:sdtPr>'
        f"<w:sdtContent>{content}</w:sdtContent></w:sdt>"
    )


def _placeholder_run(words: str) -> str:
    return (
        f'<w:r><w:rPr><w:rStyle w:val="{PLACEHOLDER_STYLE}"/><w:sz w:val="28"/></w:rPr>'
        f"<w:t>{words}</w:t></w:r>"
    )


_SHOWING = "<w:showingPlcHdr/>"
_CHECKBOX = (
    '<w14:checkbox><w14:checked w14:val="0"/><w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
    '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox>'
)


def _controls_xml() -> list[str]:
    """The controls HR inserts with Word's Developer tab, as Word writes them."""
    return [
        _sdt("salarie.nom_complet", _SHOWING + "<w:text/>", _placeholder_run("Nom")),
        _sdt(
            "salarie.date_entree",
            _SHOWING + '<w:date><w:dateFormat w:val="dd/MM/yyyy"/><w:lid w:val="fr-FR"/>'
            '<w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>',
            _placeholder_run("Date"),
        ),
        _sdt(
            "projection.charge_travail",
            _SHOWING + '<w:dropDownList><w:listItem w:displayText="1 – Trop faible" w:value="1"/>'
            '<w:listItem w:displayText="2 – Adaptée" w:value="2"/></w:dropDownList>',
            _placeholder_run("Choisir"),
        ),
        _sdt(
            "formations.1.obligatoire",
            _CHECKBOX,
            '<w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:hAnsi="MS Gothic"/></w:rPr>'
            "<w:t>☐</w:t></w:r>",
        ),
        _sdt("manager.nom_complet", _SHOWING + "<w:text/>", _placeholder_run("Responsable")),
    ]


def _rich_block() -> str:
    return _sdt(
        "bilan.reussites",
        _SHOWING,
        '<w:p><w:pPr><w:jc w:val="both"/></w:pPr>' + _placeholder_run("Réussites") + "</w:p>",
    )


def _make_template(path: Path, *, body: list[str] | None = None, controls: bool = True) -> Path:
    """A template as HR makes it: placeholders split by Word into runs, tagged controls."""
    document = docx.Document()
    style = document.styles.add_style("Placeholder Text", WD_STYLE_TYPE.CHARACTER)
    style.element.set(qn("w:styleId"), PLACEHOLDER_STYLE)
    header = document.sections[0].header.paragraphs[0]
    header.add_run("{{ entreprise.nom }} – ")
    header.add_run("Entretien {{ campagne.")
    header.add_run("annee }}")
    document.sections[0].footer.paragraphs[0].add_run("Matricule {{ salarie.matricule }}")
    paragraph = document.add_paragraph()
    paragraph.add_run("Salarié : {{ sala")
    paragraph.add_run("rie.prenom }} {{").bold = True
    paragraph.add_run(" salarie.nom }}, poste {{ salarie.poste }}.")
    for text in body or []:
        document.add_paragraph(text)
    if controls:
        holder = document.add_paragraph("Réponses : ")
        for xml in _controls_xml():
            holder._p.append(parse_xml(xml))
        document.element.body.insert(len(document.element.body) - 1, parse_xml(_rich_block()))
    document.save(str(path))
    return path


@pytest.fixture
def template_docx(tmp_path: Path) -> Path:
    return _make_template(tmp_path / "modele-maison.docx")


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        return {name: package.read(name) for name in package.namelist()}


def _xml(data: bytes, part: str) -> etree._Element:
    return etree.fromstring(_parts(data)[part])


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def _controls(root: etree._Element) -> dict[str, etree._Element]:
    return {s.find(f"{W}sdtPr/{W}tag").get(f"{W}val"): s for s in root.iter(f"{W}sdt")}


def _pr(sdt: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in sdt.find(f"{W}sdtPr")]


def _render(path: Path, values: FormValues = VALUES, scope: Mapping[str, Any] = SCOPE) -> bytes:
    return CompanyDocxTemplate.compile(path, LAYOUT).render(IDENTITY, values, scope)


def _rewrite(path: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    with zipfile.ZipFile(path) as source:
        files = {name: source.read(name) for name in source.namelist()}
    change(files)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files.items():
            target.writestr(name, data)
    return path


# --------------------------------------------------------------------------- filling


def test_placeholders_split_across_runs_are_filled(template_docx: Path) -> None:
    data = _render(template_docx)
    body = _xml(data, parts.DOCUMENT).find(f"{W}body")
    first = body.find(f"{W}p")
    assert _text(first) == "Salarié : Éloïse Lefèvre, poste Commerciale sédentaire."
    # Each value sits in the run where its placeholder started, with that run's format.
    runs = [(_text(r), r.find(f"{W}rPr/{W}b") is not None) for r in first.iter(f"{W}r")]
    assert runs == [
        ("Salarié : Éloïse", False),
        (" Lefèvre", True),
        (", poste Commerciale sédentaire.", False),
    ]
    assert "{{" not in _text(body)


def test_header_and_footer_placeholders_are_filled(template_docx: Path) -> None:
    files = _parts(_render(template_docx))
    headers = [n for n in files if n.startswith("word/header")]
    footers = [n for n in files if n.startswith("word/footer")]
    assert [_text(etree.fromstring(files[n])) for n in headers] == ["Horizon SAS – Entretien 2026"]
    assert [_text(etree.fromstring(files[n])) for n in footers] == ["Matricule S004"]


def test_controls_with_values_are_filled_like_the_builtin_form(template_docx: Path) -> None:
    values: FormValues = {
        **VALUES,
        "projection.charge_travail": "2",
        "formations.1.obligatoire": True,
        "bilan.reussites": "Signature de deux grands comptes.\nCRM à jour.",
    }
    controls = _controls(_xml(_render(template_docx, values), parts.DOCUMENT))
    name = controls["salarie.nom_complet"]
    assert _text(name) == "Éloïse Lefèvre"
    assert _pr(name) == ["alias", "tag", "id", "lock", "text"]  # locked field, schema order
    run = name.find(f"{W}sdtContent/{W}r")
    assert [etree.QName(c).localname for c in run.find(f"{W}rPr")] == ["sz"]  # grey style gone
    entry = controls["salarie.date_entree"]
    assert _text(entry) == "04/03/2019"
    assert entry.find(f"{W}sdtPr/{W}date").get(f"{W}fullDate") == "2019-03-04T00:00:00Z"
    charge = controls["projection.charge_travail"]
    assert _text(charge) == "2 – Adaptée"
    assert charge.find(f"{W}sdtPr/{W}dropDownList").get(f"{W}lastValue") == "2"
    assert "lock" not in _pr(charge) and "showingPlcHdr" not in _pr(charge)
    box = controls["formations.1.obligatoire"]
    assert _text(box) == "☒"
    assert box.find(f"{W}sdtPr/{W14}checkbox/{W14}checked").get(f"{W14}val") == "1"
    rich = controls["bilan.reussites"]
    paragraphs = rich.findall(f"{W}sdtContent/{W}p")
    assert [_text(p) for p in paragraphs] == ["Signature de deux grands comptes.", "CRM à jour."]
    assert all(p.find(f"{W}pPr/{W}jc").get(f"{W}val") == "both" for p in paragraphs)


def test_controls_without_a_value_are_kept_as_made(template_docx: Path) -> None:
    with zipfile.ZipFile(template_docx) as source:
        before = _controls(etree.fromstring(source.read(parts.DOCUMENT)))
    after = _controls(_xml(_render(template_docx), parts.DOCUMENT))
    assert set(after) == set(before)
    for tag in ("manager.nom_complet", "projection.charge_travail", "bilan.reussites"):
        assert etree.tostring(after[tag], method="c14n") == etree.tostring(
            before[tag], method="c14n"
        ), tag


def test_custom_properties_are_added_with_their_package_entries(template_docx: Path) -> None:
    files = _parts(_render(template_docx))
    custom = etree.fromstring(files[parts.CUSTOM])
    props = {p.get("name"): p[0].text for p in custom}
    assert props == {
        "entretien_reference": "EA-2026-00042",
        "entretien_form_id": "entretien-annuel",
        "entretien_form_version": "2026.1",
        "entretien_kind": "annuel",
        "entretien_campaign": "2026",
        "entretien_matricule": "S004",
        "entretien_signature": "0f" * 32,
        "entretien_issued_on": "2026-11-26",
    }
    types = etree.fromstring(files[parts.CONTENT_TYPES])
    assert [o.get("ContentType") for o in types if o.get("PartName") == "/docProps/custom.xml"] == [
        parts.CT_CUSTOM
    ]
    rels = etree.fromstring(files[parts.PACKAGE_RELS])
    custom_rels = [r for r in rels if r.get("Type") == parts.REL_CUSTOM]
    assert [r.get("Target") for r in custom_rels] == ["docProps/custom.xml"]
    assert len({r.get("Id") for r in rels}) == len(rels)
    assert (
        docx.Document(io.BytesIO(_render(template_docx)))
        .paragraphs[0]
        .text.startswith("Salarié : Éloïse")
    )


def test_existing_custom_properties_are_kept_and_ours_replaced(template_docx: Path) -> None:
    own = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="{parts.NS_CUSTOM}"'
        f' xmlns:vt="{parts.NS_VT}"><property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}"'
        ' pid="2" name="Service RH"><vt:lpwstr>Paris</vt:lpwstr></property>'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3"'
        ' name="entretien_reference"><vt:lpwstr>EA-2025-00001</vt:lpwstr></property></Properties>'
    )

    def add_custom(files: dict[str, bytes]) -> None:
        files[parts.CUSTOM] = own.encode()
        files[parts.CONTENT_TYPES] = files[parts.CONTENT_TYPES].replace(
            b"</Types>",
            f'<Override PartName="/docProps/custom.xml" ContentType="{parts.CT_CUSTOM}"/></Types>'.encode(),
        )
        files[parts.PACKAGE_RELS] = files[parts.PACKAGE_RELS].replace(
            b"</Relationships>",
            f'<Relationship Id="rId9" Type="{parts.REL_CUSTOM}" Target="docProps/custom.xml"/>'
            "</Relationships>".encode(),
        )

    path = _rewrite(template_docx, add_custom)
    with zipfile.ZipFile(path) as source:
        original = {n: source.read(n) for n in (parts.CONTENT_TYPES, parts.PACKAGE_RELS)}
    files = _parts(_render(path))
    custom = etree.fromstring(files[parts.CUSTOM])
    props = [(p.get("name"), p.get("pid"), p[0].text) for p in custom]
    assert props[0] == ("Service RH", "2", "Paris")
    assert [name for name, _, _ in props].count("entretien_reference") == 1
    assert ("entretien_reference", "3", "EA-2026-00042") in props
    assert [int(pid) for _, pid, _ in props] == list(range(2, 2 + len(props)))
    assert {n: files[n] for n in original} == original  # nothing to add there


def test_every_other_part_is_copied_byte_for_byte(template_docx: Path) -> None:
    with zipfile.ZipFile(template_docx) as source:
        before = {n: source.read(n) for n in source.namelist()}
    after = _parts(_render(template_docx))
    changed = {n for n in before if before[n] != after.get(n)}
    headers_footers = {n for n in before if n.startswith(("word/header", "word/footer"))}
    assert changed == {
        parts.DOCUMENT,
        parts.CONTENT_TYPES,
        parts.PACKAGE_RELS,
        *headers_footers,
    }
    assert set(after) == set(before) | {parts.CUSTOM}


def test_hostile_values_are_escaped(template_docx: Path) -> None:
    nasty = 'Zoé <script>alert("x")</script> & ]]> \x00\x0b\ufffe \u202e fin'
    scope = {**SCOPE, "salarie": {**SALARIE, "prenom": nasty}}
    values: FormValues = {**VALUES, "salarie.nom_complet": nasty}
    data = CompanyDocxTemplate.compile(template_docx, LAYOUT).render(
        Identity(**{**IDENTITY.__dict__, "matricule": nasty}), values, scope
    )
    files = _parts(data)
    for name, content in files.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(content)
    clean = 'Zoé <script>alert("x")</script> & ]]>  \u202e fin'
    root = etree.fromstring(files[parts.DOCUMENT])
    assert _text(root.find(f"{W}body/{W}p")).startswith(f"Salarié : {clean} Lefèvre")
    assert _text(_controls(root)["salarie.nom_complet"]) == clean
    custom = {p.get("name"): p[0].text for p in etree.fromstring(files[parts.CUSTOM])}
    assert custom["entretien_matricule"] == clean


def test_a_missing_value_in_a_placeholder_names_it(tmp_path: Path) -> None:
    path = _make_template(tmp_path / "modele.docx", body=["Responsable : {{ manager.nom }}"])
    template = CompanyDocxTemplate.compile(path, LAYOUT)
    with pytest.raises(FormDefinitionError) as error:
        template.render(IDENTITY, VALUES, SCOPE)
    assert str(error.value).startswith(
        "modele.docx, repère « {{ manager.nom }} » : impossible de le remplir pour le "
        "matricule S004 ("
    )
    assert str(error.value).endswith("« {{ manager.nom if manager else '' }} ».")
    # Typed in Word, with AutoFormat's typographic quotes.
    guarded = _make_template(
        tmp_path / "garde.docx", body=["Responsable : {{ manager.nom if manager else ’aucun’ }}"]
    )
    data = CompanyDocxTemplate.compile(guarded, LAYOUT).render(IDENTITY, VALUES, SCOPE)
    body = _xml(data, parts.DOCUMENT).find(f"{W}body")
    assert "Responsable : aucun" in [_text(p) for p in body.iter(f"{W}p")]


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Poste : {{ salarie.poste",
            "modele.docx (dans le corps du document) : repère mal fermé dans « Poste : {{ "
            "salarie.poste » : écrivez-le sous la forme « {{ salarie.nom }} ».",
        ),
        (
            "Service : {{ salarie.service | }}",
            "modele.docx (dans le corps du document) : repère « {{ salarie.service | }} » "
            "incorrect (expected token 'name', got 'end of print statement'). Exemple de "
            "repère : « {{ salarie.nom }} ».",
        ),
        (
            "Salaire : {{ salaire.brut }}",
            "modele.docx (dans le corps du document) : repère « {{ salaire.brut }} » : "
            "variable(s) salaire inconnue(s) (variables possibles : campagne, entreprise, "
            "entretien, etat_des_lieux, manager, salarie).",
        ),
        (
            "{% if manager %}Responsable{% endif %}",
            "modele.docx (dans le corps du document) : « {% if manager %}Responsable{% endif %} » : "
            "seuls les repères « {{ ... }} » sont pris en charge (pas de « {% ... %} » ni de "
            "« {# ... #} »).",
        ),
    ],
)
def test_bad_placeholders_are_rejected_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _make_template(tmp_path / "modele.docx", body=[text])
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == message


def _template_with_control(tmp_path: Path, xml: str) -> Path:
    path = _make_template(tmp_path / "modele.docx", controls=False)

    def add(files: dict[str, bytes]) -> None:
        files[parts.DOCUMENT] = files[parts.DOCUMENT].replace(
            b"<w:sectPr", f"<w:p>{xml}</w:p><w:sectPr".encode(), 1
        )

    return _rewrite(path, add)


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        (
            "salarie.nom_complett",
            "le contrôle de contenu étiqueté « salarie.nom_complett » ne correspond à aucun "
            "champ du formulaire « entretien-annuel ». Dans Word (onglet Développeur > "
            "Propriétés du contrôle), donnez-lui pour étiquette l'identifiant d'un champ ; la "
            "liste : « entretien forms show entretien-annuel ».",
        ),
        (
            "salarie.poste#2",
            "le contrôle de contenu étiqueté « salarie.poste#2 » : seul un champ à choix "
            "multiples prend un numéro d'option ; étiquetez ce contrôle « salarie.poste ». Dans "
            "Word (onglet Développeur > Propriétés du contrôle), donnez-lui pour étiquette "
            "l'identifiant d'un champ ; la liste : « entretien forms show entretien-annuel ».",
        ),
    ],
)
def test_unknown_tags_are_rejected(tmp_path: Path, tag: str, reason: str) -> None:
    path = _template_with_control(tmp_path, _sdt(tag, "<w:text/>", "<w:r><w:t>x</w:t></w:r>"))
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == f"modele.docx (dans le corps du document) : {reason}"


def test_multichoice_controls_need_an_option_number(tmp_path: Path) -> None:
    professional = load_catalog(None).get("entretien-professionnel").layout(None, CONTEXT)
    multichoice = next(f for f in professional.fields if f.type == "multichoice")
    path = _template_with_control(
        tmp_path, _sdt(multichoice.id, _CHECKBOX, "<w:r><w:t>☐</w:t></w:r>")
    )
    with pytest.raises(
        FormDefinitionError,
        match=f"« {multichoice.id} » est un champ à choix multiples : mettez une case à cocher par option, étiquetées « {multichoice.id}#1 » à « {multichoice.id}#{len(multichoice.options)} »",
    ):
        CompanyDocxTemplate.compile(path, professional)
    ok = _template_with_control(
        tmp_path, _sdt(f"{multichoice.id}#2", _CHECKBOX, "<w:r><w:t>☐</w:t></w:r>")
    )
    values = {multichoice.id: multichoice.options[1]}
    data = CompanyDocxTemplate.compile(ok, professional).render(IDENTITY, values, SCOPE)
    box = _controls(_xml(data, parts.DOCUMENT))[f"{multichoice.id}#2"]
    assert _text(box) == "☒"


def test_a_tag_used_twice_is_rejected(tmp_path: Path) -> None:
    control = _sdt("salarie.poste", "<w:text/>", "<w:r><w:t>x</w:t></w:r>")
    path = _template_with_control(tmp_path, control + control)
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == (
        "modele.docx (dans le corps du document) : l'étiquette « salarie.poste » est portée "
        "par deux contrôles de contenu ; chaque champ ne doit figurer qu'une fois dans le modèle."
    )


def test_a_placeholder_inside_a_control_is_rejected(tmp_path: Path) -> None:
    control = _sdt("bilan.reussites", "", "<w:p><w:r><w:t>{{ salarie.nom }}</w:t></w:r></w:p>")

    def add(files: dict[str, bytes]) -> None:
        files[parts.DOCUMENT] = files[parts.DOCUMENT].replace(
            b"<w:sectPr", f"{control}<w:sectPr".encode(), 1
        )

    path = _rewrite(_make_template(tmp_path / "modele.docx", controls=False), add)
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == (
        "modele.docx (dans le corps du document) : le repère « {{ salarie.nom }} » est dans un "
        "contrôle de contenu ; placez-le en dehors des contrôles."
    )


# --------------------------------------------------------------------------- hostile files


def _ole(payload: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + payload


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"Bonjour, ceci est un texte.",
            "modele.docx n'est pas un document Word (.docx). Enregistrez le modèle depuis Word "
            "au format « Document Word (.docx) ».",
        ),
        (
            b"%PDF-1.7\n",
            "modele.docx n'est pas un document Word (.docx). Enregistrez le modèle depuis Word "
            "au format « Document Word (.docx) ».",
        ),
        (
            _ole("EncryptedPackage".encode("utf-16-le")),
            "modele.docx est protégé par un mot de passe. Retirez la protection dans Word "
            "(Fichier > Informations > Protéger le document) et enregistrez-le.",
        ),
        (
            _ole(b"WordDocument"),
            "modele.docx est au format Word 97-2003 (.doc). Ouvrez-le dans Word et "
            "enregistrez-le au format « Document Word (.docx) ».",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 40,
            "modele.docx : fichier compressé endommagé (File is not a zip file). Enregistrez à "
            "nouveau le modèle depuis Word.",
        ),
    ],
)
def test_files_that_are_not_a_docx_are_rejected(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "modele.docx"
    path.write_bytes(content)
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == message


def test_a_workbook_renamed_docx_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "modele.docx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(FormDefinitionError, match="modele.docx n'est pas un document Word"):
        CompanyDocxTemplate.compile(path, LAYOUT)


def test_a_zip_bomb_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "modele.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
        package.writestr("word/media/image1.bmp", b"\x00" * 30_000_000)
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == (
        "modele.docx : le modèle se décompresse en 30 Mo et 3 parties, c'est anormal (fichier "
        "piégé ou corrompu). Enregistrez à nouveau le modèle depuis Word."
    )


def test_encrypted_zip_entries_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "modele.docx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", b"\x00" * 12 + b"<w:document/>")
    # zipfile cannot encrypt: set the "encrypted" flag of every entry by hand.
    data = bytearray(path.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flag_offset] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == (
        "modele.docx contient des parties chiffrées. Enregistrez le modèle depuis Word sans "
        "mot de passe."
    )


def test_a_macro_template_is_rejected(template_docx: Path) -> None:
    def macro(files: dict[str, bytes]) -> None:
        files[parts.CONTENT_TYPES] = files[parts.CONTENT_TYPES].replace(
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            b"application/vnd.ms-word.document.macroEnabled.main+xml",
        )

    path = _rewrite(template_docx, macro)
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(path, LAYOUT)
    assert str(error.value) == (
        "modele-maison.docx contient des macros (.docm). Enregistrez le modèle au format "
        "« Document Word (.docx) », sans macros."
    )


def test_a_missing_template_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FormDefinitionError) as error:
        CompanyDocxTemplate.compile(tmp_path / "absent.docx", LAYOUT)
    assert (
        str(error.value)
        == f"{tmp_path / 'absent.docx'} : modèle Word introuvable. Vérifiez le chemin."
    )
