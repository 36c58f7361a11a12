"""The forms' contract: what the rendered files hold is exactly what the contract says.

Each built-in form is laid out for every skills grid and every set of occasions
that changes its sections, rendered as Word and as PDF, and read back with lxml
and pypdf (not with our readers): the Word controls are ``docx_controls`` in
order, the PDF fields are ``pdf_fields`` plus the hidden reference, and the
identity travels under the contract's names.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date
from functools import cache
from itertools import combinations
from typing import Any

import pytest
from factories import TODAY
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from entretien_forms.forms import campaign_context, load_catalog, prefill_values
from entretien_forms.forms.contract import (
    CUSTOM,
    DOCUMENT,
    DOCX_PROPERTIES,
    HIDDEN_FIELD,
    NS_CUSTOM,
    NS_W,
    NS_W14,
    PDF_INFO_KEYS,
    ControlSpec,
    RadioOption,
    combo_options,
    docx_controls,
    field_keys,
    identity_texts,
    list_items,
    pdf_fields,
    pdf_name_parts,
    radio_options,
    radio_value,
)
from entretien_forms.forms.definition import COMMON_GRID, FormDefinition
from entretien_forms.forms.model import Field, FormLayout, Identity, Section
from entretien_forms.render import docx as docx_module
from entretien_forms.render.docx import DocxTemplate
from entretien_forms.render.pdf import PdfTemplate
from entretien_forms.roster import Employee

W = f"{{{NS_W}}}"
W14 = f"{{{NS_W14}}}"
CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)
EMPLOYEE = Employee(
    matricule="S004",
    nom="Lefèvre",
    prenom="Éloïse",
    date_entree=date(2019, 3, 4),
    poste="Commerciale sédentaire",
    row=5,
    service="Ventes",
)
# The type element of w:sdtPr, by the kind the contract names; none is rich text.
KIND_OF = {
    f"{W}text": "text",
    f"{W}date": "date",
    f"{W}dropDownList": "dropDownList",
    f"{W14}checkbox": "checkbox",
}


def _variants(definition: FormDefinition) -> Iterator[tuple[str | None, tuple[str, ...] | None]]:
    """Every (grid, occasions) that gives ``definition`` a different layout."""
    kept = sorted({o for s in definition.sections for o in s.occasions})
    occasion_sets: list[tuple[str, ...] | None] = [None]
    occasion_sets += [c for n in range(len(kept) + 1) for c in combinations(kept, n)]
    grids = [g for g in definition.grids if g != COMMON_GRID] if definition.has_skills else [None]
    for grid in grids:
        for occasions in occasion_sets if kept else [None]:
            yield grid, occasions


def _case_id(form_id: str, grid: str | None, occasions: tuple[str, ...] | None) -> str:
    shown = "toutes" if occasions is None else "+".join(occasions) or "aucune"
    return f"{form_id}-{grid or 'sans-grille'}-{shown}"


CASES = [
    pytest.param(d.id, grid, occasions, id=_case_id(d.id, grid, occasions))
    for d in load_catalog(None)
    for grid, occasions in _variants(d)
]


@cache
def _layout(form_id: str, grid: str | None, occasions: tuple[str, ...] | None) -> FormLayout:
    return load_catalog(None).get(form_id).layout(grid, CONTEXT, occasions)


def _identity(layout: FormLayout) -> Identity:
    return Identity(
        reference="EA-2026-00042",
        form_id=layout.form_id,
        form_version=layout.version,
        kind=layout.kind,
        campaign="2026",
        matricule="S004",
        employee_name="Éloïse Lefèvre",
        manager_name="Marc Dubois",
        company="Horizon SAS",
        signature="0f" * 32,
        issued_on=TODAY,
    )


def _issued(form_id: str, layout: FormLayout, fmt: str) -> bytes:
    """The form as ``generate`` issues it: pre-filled identity, nothing answered."""
    values = prefill_values(load_catalog(None).get(form_id), EMPLOYEE, None, CONTEXT, TODAY)
    template = DocxTemplate if fmt == "docx" else PdfTemplate
    return template.compile(layout).render(_identity(layout), values)


def _part(data: bytes, name: str) -> Any:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read(name))


def _written(spec: ControlSpec) -> tuple[str, str, str, bool]:
    return spec.key, spec.kind, spec.alias, spec.box


def _found(sdt: Any) -> tuple[str, str, str, bool]:
    """What a content control of the file says it is: tag, kind, alias, check box or not."""
    pr = sdt.find(f"{W}sdtPr")
    kinds = [KIND_OF[child.tag] for child in pr if child.tag in KIND_OF]
    kind = kinds[0] if kinds else "richText"
    return (
        pr.find(f"{W}tag").get(f"{W}val"),
        kind,
        pr.find(f"{W}alias").get(f"{W}val"),
        kind == "checkbox",
    )


# --------------------------------------------------------------------------- Word


@pytest.mark.parametrize(("form_id", "grid", "occasions"), CASES)
def test_the_word_form_holds_the_contracts_controls_in_order(
    form_id: str, grid: str | None, occasions: tuple[str, ...] | None
) -> None:
    layout = _layout(form_id, grid, occasions)
    data = _issued(form_id, layout, "docx")
    found = [_found(sdt) for sdt in _part(data, DOCUMENT).iter(f"{W}sdt")]
    expected = [_written(spec) for spec in docx_controls(layout)]
    assert found == expected
    assert [key for key, *_ in found] == [k for f in layout.fields for k in field_keys(f)]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        others = [n for n in package.namelist() if n.endswith(".xml") and n != DOCUMENT]
    assert others
    assert [n for n in others if next(_part(data, n).iter(f"{W}sdt"), None) is not None] == []


def test_drop_down_lists_hold_the_contracts_items() -> None:
    layout = _layout(*CASES[0].values)
    root = _part(_issued(layout.form_id, layout, "docx"), DOCUMENT)
    by_key = {spec.key: spec for spec in docx_controls(layout)}
    lists = 0
    for sdt in root.iter(f"{W}sdt"):
        found = sdt.find(f"{W}sdtPr/{W}dropDownList")
        if found is None:
            continue
        lists += 1
        spec = by_key[sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val")]
        items = [(i.get(f"{W}displayText"), i.get(f"{W}value")) for i in found]
        assert items == list(list_items(spec.field))
    assert lists > 0


def test_ratings_read_as_written_on_both_sides() -> None:
    field = Field("n", "Niveau", "rating", scale=(1, 2), scale_labels=("Débutant", "Maîtrisé"))
    assert list_items(field) == (("1 – Débutant", "1"), ("2 – Maîtrisé", "2"))
    assert combo_options(field) == (("1", "1 – Débutant"), ("2", "2 – Maîtrisé"))
    bare = Field("n", "Niveau", "rating", scale=(1, 2, 3))
    assert list_items(bare) == (("1", "1"), ("2", "2"), ("3", "3"))


def test_a_multiline_label_is_one_alias_as_written() -> None:
    field = Field("a", "Première ligne\r\nseconde\tligne\x01", "text")
    layout = _one_field_layout(field)
    [spec] = docx_controls(layout)
    assert spec.alias == "Première ligne seconde ligne"
    root = _part(DocxTemplate.compile(layout).render(_identity(layout), {}), DOCUMENT)
    assert [_found(sdt) for sdt in root.iter(f"{W}sdt")] == [_written(spec)]


def test_the_word_renderer_refuses_an_order_other_than_the_contracts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A re-saved form is read by position: the renderer may not drift from the contract."""
    layout = _layout(*CASES[0].values)
    monkeypatch.setattr(docx_module, "docx_controls", lambda lay: docx_controls(lay)[::-1])
    with pytest.raises(RuntimeError, match="forms contract expects"):
        DocxTemplate.compile(layout)
    monkeypatch.setattr(docx_module, "docx_controls", lambda lay: docx_controls(lay)[:-1])
    with pytest.raises(RuntimeError, match="forms contract expects 'nothing'"):
        DocxTemplate.compile(layout)


def test_word_identity_properties_are_the_contracts() -> None:
    layout = _layout(*CASES[0].values)
    root = _part(_issued(layout.form_id, layout, "docx"), CUSTOM)
    found = {p.get("name"): "".join(p.itertext()) for p in root.iter(f"{{{NS_CUSTOM}}}property")}
    texts = identity_texts(_identity(layout))
    assert found == {DOCX_PROPERTIES[a]: value for a, value in texts.items()}
    assert found["entretien_reference"] == "EA-2026-00042"


# --------------------------------------------------------------------------- PDF


def _terminals(reader: PdfReader) -> list[tuple[str, str, tuple[str, ...], Any]]:
    """(full name, /FT, partial names, field) of every terminal field, walking /Kids."""
    found: list[tuple[str, str, tuple[str, ...], Any]] = []
    stack: list[tuple[Any, tuple[str, ...], str | None]] = [
        (ref.get_object(), (), None)
        for ref in reversed(reader.trailer["/Root"]["/AcroForm"]["/Fields"])
    ]
    while stack:
        node, above, inherited = stack.pop()
        names = (*above, str(node["/T"]))
        kind = str(node.get("/FT", inherited) or "")
        kids = [k.get_object() for k in node.get("/Kids", ArrayObject())]
        named = [k for k in kids if "/T" in k]
        if named:
            stack += [(kid, names, kind) for kid in reversed(named)]
        else:
            found.append((".".join(names), kind.lstrip("/"), names, node))
    return found


@pytest.mark.parametrize(("form_id", "grid", "occasions"), CASES)
def test_the_pdf_form_holds_the_contracts_fields(
    form_id: str, grid: str | None, occasions: tuple[str, ...] | None
) -> None:
    layout = _layout(form_id, grid, occasions)
    terminals = _terminals(PdfReader(io.BytesIO(_issued(form_id, layout, "pdf"))))
    found = sorted((name, kind) for name, kind, _, _ in terminals)
    expected = sorted(
        [(spec.name, spec.type) for spec in pdf_fields(layout)] + [(HIDDEN_FIELD, "Tx")]
    )
    assert found == expected
    # Dotted ids are a hierarchy of partial names, never a dotted partial name.
    assert all(parts == pdf_name_parts(name) for name, _, parts, _ in terminals)


def test_pdf_radio_groups_and_identity_are_the_contracts() -> None:
    layout = _layout(*CASES[0].values)
    reader = PdfReader(io.BytesIO(_issued(layout.form_id, layout, "pdf")))
    fields = {spec.name: spec for spec in pdf_fields(layout)}
    radios = 0
    for name, kind, _, node in _terminals(reader):
        spec = fields.get(name)
        if spec is not None and spec.kind == "radio":
            radios += 1
            assert kind == "Btn" and node["/Ff"] & (1 << 15)
            options = radio_options(spec.field)
            assert [str(o) for o in node["/Opt"]] == [o.value for o in options]
            # One widget per option, in /Opt order, its on-state the option's state.
            states = [
                sorted(str(s) for s in kid.get_object()["/AP"]["/N"]) for kid in node["/Kids"]
            ]
            assert states == [sorted((f"/{o.state}", "/Off")) for o in options]
            assert [radio_value(o.state, [o.value for o in options]) for o in options] == [
                o.value for o in options
            ]
        if name == HIDDEN_FIELD:
            assert node["/V"] == "EA-2026-00042"
    assert radios > 0
    info = reader.trailer["/Info"]
    assert isinstance(info.get_object(), DictionaryObject)
    texts = identity_texts(_identity(layout))
    assert {a: str(info[f"/{key}"]) for a, key in PDF_INFO_KEYS.items()} == texts


def test_radio_states_are_positions_and_read_back_as_export_values() -> None:
    rating = Field("n", "Niveau", "rating", scale=(1, 2, 3), scale_labels=("A", "B", "C"))
    assert radio_options(rating) == (
        RadioOption("1", "1 – A", "0"), RadioOption("2", "2 – B", "1"),
        RadioOption("3", "3 – C", "2"),
    )  # fmt: skip
    # pdftk fills "3" as the position of "3" in /Opt: state "2", which reads "3".
    assert radio_value("2", ["1", "2", "3"]) == "3"
    choice = Field("c", "Mode", "choice", options=("Off", "Visio"))
    assert [o.state for o in radio_options(choice)] == ["0", "1"]
    assert radio_value("0", ["Off", "Visio"]) == "Off"
    # Without /Opt, or a viewer storing the value itself: the state as it is.
    assert radio_value("Visio", ["Off", "Visio"]) == "Visio"
    assert radio_value("2", []) == "2"


# --------------------------------------------------------------------------- helpers


def _one_field_layout(field: Field) -> FormLayout:
    return FormLayout(
        form_id="essai",
        title="Essai",
        kind="annuel",
        version="1",
        grid=None,
        sections=(Section("Section", None, (field,)),),
        privacy_notice="Mention",
    )
