"""Form definitions: loading, validation messages, layout, pre-fill and the JSON contract."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from factories import TODAY

from entretien_forms.config import Settings
from entretien_forms.errors import FormDefinitionError, UnknownFormError
from entretien_forms.forms import (
    campaign_context,
    describe,
    grid_for,
    load_catalog,
    load_definition,
    prefill_values,
)
from entretien_forms.forms.catalog import builtin_directory
from entretien_forms.forms.model import Table
from entretien_forms.forms.prefill import prefill_scope
from entretien_forms.roster import Employee

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = campaign_context("2026", 2026, TODAY, "Horizon SAS", 28)

MINIMAL = """
id = "mini"
title = "Mini {{ campagne.annee }}"
kind = "annuel"
version = "1"

[[sections]]
title = "Identité"

  [[sections.fields]]
  id = "salarie.nom"
  label = "Nom"
  type = "text"
  prefill = "{{ salarie.nom }}"
  locked = true
"""


def _employee(**changes: object) -> Employee:
    values: dict[str, object] = {
        "matricule": "S004",
        "nom": "Lefèvre",
        "prenom": "Éloïse",
        "date_entree": date(2019, 3, 4),
        "poste": "Commerciale sédentaire",
        "row": 5,
        "service": "Ventes",
        "extra": {"CA réalisé": 125000, "Taux de closing": "32 %"},
    }
    values.update(changes)
    return Employee(**values)  # type: ignore[arg-type]


def _write(tmp_path: Path, text: str, name: str = "form.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_forms_load_and_cover_the_three_kinds() -> None:
    catalog = load_catalog(None)
    assert [(f.id, f.kind) for f in catalog] == [
        ("entretien-annuel", "annuel"),
        ("entretien-professionnel", "professionnel"),
        ("etat-des-lieux", "etat_des_lieux"),
    ]


def test_repository_workspace_holds_copies_of_the_builtin_forms() -> None:
    for builtin in builtin_directory().glob("*.toml"):
        assert (ROOT / "templates" / builtin.name).read_text() == builtin.read_text()


def test_annual_form_skills_grid_follows_the_job() -> None:
    form = load_catalog(None).get("entretien-annuel")
    commercial = form.layout("commercial", CONTEXT)
    unknown = form.layout("inexistante", CONTEXT)
    skills = next(
        i
        for s in commercial.sections
        for i in s.items
        if isinstance(i, Table) and i.id == "competences"
    )
    keys = [row.key for row in skills.rows]
    assert keys[:3] == ["prospection", "negociation", "closing"]
    assert keys[-4:] == ["adaptabilite", "creativite", "esprit_equipe", "communication"]
    assert [c.id for c in skills.rows[0].cells] == [
        "competences.prospection.auto",
        "competences.prospection.manager",
        "competences.prospection.commentaire",
    ]
    assert unknown.grid == "generique"
    assert commercial.title == "Entretien annuel 2026"


def test_every_field_id_is_unique_in_each_layout_and_fits_a_word_tag() -> None:
    for form in load_catalog(None):
        for grid in [*form.grids, None]:
            ids = [f.id for f in form.layout(grid, CONTEXT).fields]
            assert len(ids) == len(set(ids)), form.id
            assert all(len(i) <= 64 for i in ids)


def test_same_field_id_means_the_same_thing_across_builtin_forms() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for form in load_catalog(None):
        for field in form.layout(None, CONTEXT).fields:
            if field.id in seen:
                assert seen[field.id][0] == field.type, field.id
            seen[field.id] = (field.type, form.id)


def test_prefill_from_roster_and_extra_columns() -> None:
    form = load_catalog(None).get("entretien-annuel")
    manager = _employee(matricule="M001", nom="Martin", prenom="Claire", extra={})
    values = prefill_values(form, _employee(), manager, CONTEXT, TODAY)
    assert values["salarie.nom_complet"] == "Éloïse Lefèvre"
    assert values["salarie.date_entree"] == "04/03/2019"
    assert values["manager.nom_complet"] == "Claire Martin"
    assert values["bilan.ca_realise"] == "125000"
    assert values["bilan.taux_closing"] == "32 %"
    assert "bilan.leads_generes" not in values  # column absent: left for the manager


def test_prefill_without_manager_leaves_the_field_empty() -> None:
    form = load_catalog(None).get("entretien-professionnel")
    values = prefill_values(form, _employee(), None, CONTEXT, TODAY)
    assert "manager.nom_complet" not in values


def test_prefill_scope_gives_the_last_interview_dates_the_french_way() -> None:
    employee = _employee(
        date_dernier_entretien_pro=date(2024, 9, 2), date_dernier_etat_des_lieux=date(2022, 3, 14)
    )
    salarie = prefill_scope(employee, None, CONTEXT, TODAY)["salarie"]

    assert str(salarie["date_dernier_entretien_pro"]) == "02/09/2024"
    assert str(salarie["date_dernier_etat_des_lieux"]) == "14/03/2022"
    assert (
        prefill_scope(_employee(), None, CONTEXT, TODAY)["salarie"]["date_dernier_etat_des_lieux"]
        is None
    )


def test_etat_des_lieux_period_is_eight_years_or_since_hiring() -> None:
    form = load_catalog(None).get("etat-des-lieux")
    old = prefill_values(form, _employee(date_entree=date(2010, 1, 4)), None, CONTEXT, TODAY)
    recent = prefill_values(form, _employee(date_entree=date(2021, 6, 1)), None, CONTEXT, TODAY)
    assert (old["periode.debut"], old["periode.fin"]) == ("26/11/2018", "26/11/2026")
    assert recent["periode.debut"] == "01/06/2021"


@pytest.mark.parametrize(
    ("poste", "grid"),
    [
        ("Commerciale sédentaire", "commercial"),
        ("Key account manager", "commercial"),
        ("Chargé d'affaires", "commercial"),
        ("SDR", "commercial"),
        ("Responsable SEO", "marketing"),
        ("Growth marketer", "marketing"),
        ("Comptable", None),
    ],
)
def test_grid_for_job_titles(poste: str, grid: str | None) -> None:
    assert grid_for(poste, Settings().job_grids) == grid


def test_describe_json_contract() -> None:
    described = describe(load_catalog(None).get("entretien-annuel"), company="X", headcount=10)
    assert {"id", "title", "kind", "version", "fields"} <= set(described)
    by_id = {f["id"]: f for f in described["fields"]}
    assert set(by_id["entretien.mode"]) >= {
        "id",
        "label",
        "type",
        "required",
        "options",
        "scale",
        "prefilled",
    }
    assert by_id["entretien.mode"]["options"] == ["Présentiel", "Visio"]
    assert by_id["salarie.nom_complet"]["prefilled"] is True
    assert by_id["objectifs.2.cible"]["type"] == "text"
    assert by_id["projection.charge_travail"]["scale"] == [1, 2, 3, 4]
    assert by_id["competences.seo.auto"]["grids"] == ["marketing"]
    assert by_id["competences.communication.auto"]["grids"] == [
        "commercial",
        "marketing",
        "generique",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('type = "text"', 'type = "texte"'),
            "form.toml, champ « salarie.nom » : type « texte » inconnu (types possibles : text, "
            "longtext, date, choice, multichoice, checkbox, rating, number, table, skills).",
        ),
        (
            ('id = "salarie.nom"', 'id = "Salarié Nom"'),
            "form.toml, champ « Salarié Nom » : id « Salarié Nom » invalide : lettres minuscules "
            "sans accent, chiffres, _ et points, 40 caractères au plus.",
        ),
        (
            ("{{ salarie.nom }}", "{{ salarie.nom "),
            "form.toml, champ « salarie.nom » : expression Jinja2 incorrecte dans « {{ salarie.nom  » "
            "(unexpected end of template, expected 'end of print statement'.).",
        ),
        (
            ("{{ salarie.nom }}", "{{ salaire.nom }}"),
            "form.toml, champ « salarie.nom » : variable(s) salaire inconnue(s) dans "
            "« {{ salaire.nom }} » (variables possibles : campagne, "
            "entreprise, entretien, etat_des_lieux, manager, salarie).",
        ),
        (
            ('label = "Nom"', 'label = "Nom de {{ salarie.nom }}"'),
            "form.toml, champ « salarie.nom » : variable(s) salarie inconnue(s) dans « Nom de "
            "{{ salarie.nom }} » (variables possibles : campagne, entreprise).",
        ),
        (
            ('kind = "annuel"', 'kind = "mensuel"'),
            "form.toml : kind « mensuel » inconnu (valeurs possibles : annuel, professionnel, "
            "etat_des_lieux).",
        ),
        (
            ("locked = true", 'locked = "oui"'),
            "form.toml, champ « salarie.nom » : « locked » doit valoir true ou false.",
        ),
        (
            ("locked = true", "verrouille = true"),
            "form.toml, champ « salarie.nom » : clé(s) inconnue(s) verrouille (clés possibles : "
            "columns, help, id, label, lines, locked, options, prefill, required, row_header, rows, "
            "scale, scale_labels, type).",
        ),
    ],
)
def test_definition_mistakes_name_file_field_and_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(FormDefinitionError) as caught:
        load_definition(path)
    assert str(caught.value) == message


def test_duplicate_field_id_is_reported(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + '\n  [[sections.fields]]\n  id = "salarie.nom"\n  label = "Encore"\n  type = "text"\n'
    )
    with pytest.raises(FormDefinitionError, match="« salarie.nom » : id utilisé deux fois"):
        load_definition(_write(tmp_path, text))


def test_rating_needs_a_scale_and_matching_labels(tmp_path: Path) -> None:
    text = MINIMAL + (
        '\n  [[sections.fields]]\n  id = "note"\n  label = "Note"\n  type = "rating"\n'
        '  scale = [1, 4]\n  scale_labels = ["a", "b"]\n'
    )
    with pytest.raises(FormDefinitionError, match="« note » : « scale_labels » doit avoir 4"):
        load_definition(_write(tmp_path, text))


def test_skills_table_requires_a_generic_grid(tmp_path: Path) -> None:
    text = MINIMAL + (
        '\n  [[sections.fields]]\n  id = "competences"\n  label = "C"\n  type = "skills"\n'
        '    [[sections.fields.columns]]\n    id = "auto"\n    label = "Auto"\n    type = "rating"\n'
        '    scale = [1, 4]\n\n[grids]\ncommercial = [{ id = "closing", label = "Closing" }]\n'
    )
    with pytest.raises(FormDefinitionError, match="la grille « generique » est obligatoire"):
        load_definition(_write(tmp_path, text))


def test_broken_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(FormDefinitionError, match="form.toml : syntaxe TOML incorrecte"):
        load_definition(_write(tmp_path, "id = \n"))


def test_workspace_templates_replace_builtins_and_ids_must_be_unique(tmp_path: Path) -> None:
    _write(tmp_path, MINIMAL, "a.toml")
    catalog = load_catalog(tmp_path)
    assert [f.id for f in catalog] == ["mini"]
    assert catalog.for_kind("annuel").id == "mini"
    with pytest.raises(UnknownFormError, match="Aucun formulaire de type « professionnel »"):
        catalog.for_kind("professionnel")
    _write(tmp_path, MINIMAL, "b.toml")
    with pytest.raises(
        FormDefinitionError, match="b.toml : l'id « mini » est déjà celui de a.toml"
    ):
        load_catalog(tmp_path)


def test_several_forms_of_one_kind_need_form_option(tmp_path: Path) -> None:
    _write(tmp_path, MINIMAL, "a.toml")
    _write(tmp_path, MINIMAL.replace('id = "mini"', 'id = "mini2"'), "b.toml")
    catalog = load_catalog(tmp_path)
    with pytest.raises(UnknownFormError, match=r"Plusieurs formulaires .* --form ID"):
        catalog.for_kind("annuel")
    assert catalog.for_kind("annuel", "mini2").id == "mini2"


def test_prefill_error_names_the_employee(tmp_path: Path) -> None:
    form = load_definition(
        _write(tmp_path, MINIMAL.replace("{{ salarie.nom }}", "{{ salarie.nom.inconnu }}"))
    )
    with pytest.raises(
        FormDefinitionError,
        match="« salarie.nom » : le pré-remplissage a échoué pour le matricule S004",
    ):
        prefill_values(form, _employee(), None, CONTEXT, TODAY)


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    form = load_definition(
        _write(tmp_path, MINIMAL.replace("{{ salarie.nom }}", "{{ salarie.__class__.__mro__ }}"))
    )
    with pytest.raises(FormDefinitionError):
        prefill_values(form, _employee(), None, CONTEXT, TODAY)
