"""The right form for the right people: who is due, with which occasion and topics.

A small company is built in code: a first-year hire, someone interviewed last
month, someone back from parental leave, someone turning 59, someone turning
45 next year and someone reaching 8 years of seniority. Only those due within
the campaign's horizon get a professional interview or an état des lieux, each
pre-filled with its occasion and showing its occasion's topics only; the
returned forms read back and validate.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from factories import TODAY
from lxml import etree
from pypdf import PdfReader

from entretien_forms.cli import cli
from entretien_forms.errors import FormDefinitionError
from entretien_forms.forms import (
    campaign_context,
    describe,
    load_catalog,
    load_definition,
    reprint_values,
)
from entretien_forms.generate import (
    GenerationPlan,
    GenerationRequest,
    issue_forms,
    plan_forms,
    write_print_batches,
)
from entretien_forms.inbox.export import export_records
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.inbox.model import RawAnswer
from entretien_forms.inbox.validate import validate_answers
from entretien_forms.roster import Employee, read_roster
from entretien_forms.rules import Assessment, Obligation, add_months, fr
from entretien_forms.sample.returns import fill_docx, fill_pdf
from entretien_forms.store import IssuedForm, Store
from entretien_forms.targeting import interview_scope, professional_target
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Responsable;Date de naissance;"
    "Dernier entretien professionnel;Type d'absence;Date de début d'absence;Date de retour\n"
    "M1;Martin;Claire;01/02/2012;Directrice;;05/05/1975;10/09/2026;;;\n"
    "P1;Premier;Paul;26/12/2025;Comptable;M1;10/10/1990;;;;\n"
    "P2;Recent;Rita;01/03/2020;Comptable;M1;10/10/1990;15/10/2026;;;\n"
    "P3;Parent;Pauline;15/01/2018;Comptable;M1;10/10/1990;01/06/2024;"
    "Congé parental;01/06/2025;02/11/2026\n"
    "P4;Senior;Serge;01/05/2010;Comptable;M1;10/12/1967;01/03/2025;;;\n"
    "P5;Milieu;Mia;01/09/2015;Comptable;M1;15/06/1982;01/09/2025;;;\n"
    "P6;Huit;Hugo;01/12/2018;Comptable;M1;10/10/1990;10/05/2022;;;\n"
)
TRAININGS = (
    "Matricule;Intitulé;Date de début;Date de fin;Obligatoire;Certifiante;Statut\n"
    "P6;SST;02/02/2021;03/02/2021;oui;non;réalisé\n"
    "P6;Excel avancé;10/10/2023;10/10/2023;non;oui;réalisé\n"
)
TEAM = "2026/Claire-Martin"
OCCASIONS = {
    "P1": "Première année après l'embauche",
    "P3": "Retour de congé ou d'absence",
    "P4": "Avant 60 ans (fin de carrière)",
    "P5": "Mi-carrière (après la visite médicale des 45 ans)",
    "P6": "Périodique (tous les 4 ans)",
}
PROFESSIONAL_DUE = [
    f"émettre   Paul Premier (P1) → {TEAM}/Premier-Paul-P1-professionnel [.docx, .pdf] : "
    "premier entretien professionnel au plus tard le 26/12/2026 (embauché le 26/12/2025 : "
    "premier entretien dans l'année)",
    f"émettre   Pauline Parent (P3) → {TEAM}/Parent-Pauline-P3-professionnel [.docx, .pdf] : "
    "entretien de retour au plus tard le 02/12/2026 (retour de congé parental d'éducation le "
    "02/11/2026 : entretien à proposer à la reprise)",
    f"émettre   Serge Senior (P4) → {TEAM}/Senior-Serge-P4-professionnel [.docx, .pdf] : "
    "entretien de fin de carrière au plus tard le 09/12/2027 (60 ans le 10/12/2027 : un "
    "entretien dans les 2 ans qui précèdent, à partir du 10/12/2025)",
    f"émettre   Mia Milieu (P5) → {TEAM}/Milieu-Mia-P5-professionnel [.docx, .pdf] : "
    "entretien de mi-carrière à tenir à partir du 01/01/2027, au plus tard le 31/12/2027 "
    "(45 ans en 2027, date de la visite médicale de mi-carrière inconnue : entretien à tenir "
    "en 2027)",
    f"émettre   Hugo Huit (P6) → {TEAM}/Huit-Hugo-P6-professionnel [.docx, .pdf] : "
    "entretien professionnel périodique au plus tard le 10/05/2024 (dernier entretien le "
    "10/05/2022 + 2 ans (ancien régime) : échéance du 10/05/2024 dépassée avant la réforme "
    "du 26/10/2025, non reportée)",
]
PROFESSIONAL_NOT_DUE = [
    "non dû    Claire Martin (M1) : prochain entretien professionnel périodique au plus tard "
    "le 10/09/2030, après l'horizon du 26/11/2027",
    "non dû    Rita Recent (P2) : prochain entretien professionnel périodique au plus tard le "
    "15/10/2030, après l'horizon du 26/11/2027",
]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    init_workspace(tmp_path / "ws")
    workspace = open_workspace(tmp_path / "ws")
    roster_file = tmp_path / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    (workspace.root / "formations.csv").write_text(TRAININGS, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY)
    assert roster.problems == ()
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
    return workspace


def _plan(workspace: Workspace, store: Store, kind: str, **options: Any) -> GenerationPlan:
    request = GenerationRequest(kind=kind, campaign="2026", today=TODAY, **options)  # type: ignore[arg-type]
    return plan_forms(workspace, store, request)


def _issue(workspace: Workspace, kind: str, **options: Any) -> dict[str, IssuedForm]:
    with Store.open(workspace.database_path) as store:
        plan = _plan(workspace, store, kind, **options)
        report = issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    return {form.matricule: form for form in report.issued}


def _pdf_fields(workspace: Workspace, form: IssuedForm) -> dict[str, Any]:
    fields = PdfReader(workspace.outbox / str(form.pdf_path)).get_fields() or {}
    values: dict[str, Any] = {}
    for name, field in fields.items():
        value = field.get("/V")
        options = field.get("/Opt")
        state = str(value).removeprefix("/") if value is not None else ""
        if options is not None and state.isdigit() and int(state) < len(options):
            value = str(options[int(state)])  # a radio group: its state is the option's position
        values[name] = value
    return values


def _docx_controls(workspace: Workspace, form: IssuedForm) -> dict[str, str]:
    """Each content control's tag and the text it shows."""
    with zipfile.ZipFile(workspace.outbox / str(form.docx_path)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    found = {}
    for sdt in root.iter(f"{w}sdt"):
        tag = sdt.find(f"{w}sdtPr/{w}tag")
        if tag is not None:
            found[tag.get(f"{w}val")] = "".join(t.text or "" for t in sdt.iter(f"{w}t"))
    return found


# --- who is due, and why -------------------------------------------------------------


def test_only_the_employees_due_get_a_professional_interview(workspace: Workspace) -> None:
    with Store.open(workspace.database_path) as store:
        plan = _plan(workspace, store, "professionnel")
    assert [item.employee.matricule for item in plan.to_issue] == ["P1", "P3", "P4", "P5", "P6"]
    assert plan.horizon == date(2027, 11, 26)
    assert plan.lines() == PROFESSIONAL_DUE + PROFESSIONAL_NOT_DUE


def test_tous_issues_to_every_active_employee_and_says_who_is_not_due(
    workspace: Workspace,
) -> None:
    with Store.open(workspace.database_path) as store:
        plan = _plan(workspace, store, "professionnel", everyone=True)
    assert [item.employee.matricule for item in plan.to_issue] == [
        "M1",
        "P1",
        "P2",
        "P3",
        "P4",
        "P5",
        "P6",
    ]
    assert plan.not_due == []
    assert plan.lines()[0] == (
        "émettre   Claire Martin (M1) → 2026/sans-responsable/Martin-Claire-M1-professionnel "
        "[.docx, .pdf] : --tous, non dû : prochain entretien professionnel périodique au plus "
        "tard le 10/09/2030, après l'horizon du 26/11/2027"
    )


def test_the_annual_interview_still_goes_to_everyone(workspace: Workspace) -> None:
    with Store.open(workspace.database_path) as store:
        plan = _plan(workspace, store, "annuel")
    assert len(plan.to_issue) == 7 and plan.not_due == [] and plan.horizon is None
    assert all(item.target is None for item in plan.to_issue)


def test_horizon_is_a_setting(workspace: Workspace) -> None:
    config = workspace.root / "entretien.toml"
    config.write_text(
        config.read_text("utf-8").replace("horizon_mois = 12", "horizon_mois = 1"), "utf-8"
    )
    workspace = open_workspace(workspace.root)
    with Store.open(workspace.database_path) as store:
        plan = _plan(workspace, store, "professionnel")
    # Within a month: the first-year interview, the return, the open end-of-career
    # window and the late periodic one; the mid-career window opens on 01/01/2027.
    assert [item.employee.matricule for item in plan.to_issue] == ["P1", "P3", "P4", "P6"]
    assert next(line for line in plan.lines() if "(P5)" in line) == (
        "non dû    Mia Milieu (P5) : prochain entretien de mi-carrière à partir du 01/01/2027, "
        "après l'horizon du 26/12/2026"
    )


def test_etat_des_lieux_goes_to_those_due_one(workspace: Workspace) -> None:
    with Store.open(workspace.database_path) as store:
        plan = _plan(workspace, store, "etat_des_lieux")
    due = {item.employee.matricule: item.target for item in plan.to_issue}
    # P6 reaches 8 years of seniority on 01/12/2026; the older ones' états des lieux
    # fell due before the tool knew their history: « à vérifier », so issued too.
    assert sorted(due) == ["M1", "P3", "P4", "P5", "P6"]
    assert [line for line in plan.lines() if "(P6)" in line] == [
        f"émettre   Hugo Huit (P6) → {TEAM}/Huit-Hugo-P6-etat_des_lieux [.docx, .pdf] : "
        "état des lieux récapitulatif à tenir à partir du 01/12/2026, au plus tard le "
        "30/11/2027 (8 ans d'ancienneté le 01/12/2026 : état des lieux avant 9 ans "
        "d'ancienneté, au plus tard le 30/11/2027)"
    ]
    p3 = next(line for line in plan.lines() if "(P3)" in line)
    assert p3.endswith(
        "; à vérifier : tenue de l'état des lieux inconnue (historique des entretiens avant "
        "le 01/06/2024 inconnu)"
    )
    assert [line for line in plan.lines() if line.startswith("non dû")] == [
        "non dû    Paul Premier (P1) : prochain état des lieux récapitulatif à partir du "
        "26/12/2033, après l'horizon du 26/11/2027",
        "non dû    Rita Recent (P2) : prochain état des lieux récapitulatif à partir du "
        "01/03/2028, après l'horizon du 26/11/2027",
    ]


# --- the form: its occasion and its topics ------------------------------------------


def test_the_occasion_is_prefilled_in_word_and_pdf(workspace: Workspace) -> None:
    issued = _issue(workspace, "professionnel")
    for matricule, occasion in OCCASIONS.items():
        assert _docx_controls(workspace, issued[matricule])["entretien.occasion"] == occasion
        assert _pdf_fields(workspace, issued[matricule])["entretien.occasion"] == occasion
    # A return names its leave.
    assert _pdf_fields(workspace, issued["P3"])["entretien.type_retour"] == (
        "Congé parental d'éducation"
    )
    assert _docx_controls(workspace, issued["P3"])["entretien.type_retour"] == (
        "Congé parental d'éducation"
    )
    assert _pdf_fields(workspace, issued["P1"]).get("entretien.type_retour") in (None, "")


def test_mid_career_and_end_of_career_topics_are_on_their_forms_only(
    workspace: Workspace,
) -> None:
    issued = _issue(workspace, "professionnel")

    def topics(matricule: str) -> set[str]:
        found = set()
        for name in [
            *_pdf_fields(workspace, issued[matricule]),
            *_docx_controls(workspace, issued[matricule]),
        ]:
            found.add(name.split(".")[0])
        return found & {"mi_carriere", "fin_carriere"}

    assert {m: topics(m) for m in OCCASIONS} == {
        "P1": set(),
        "P3": set(),
        "P4": {"fin_carriere"},
        "P5": {"mi_carriere"},
        "P6": set(),
    }
    # Every professional interview covers the common topics (EPP-7).
    for matricule in OCCASIONS:
        fields = _pdf_fields(workspace, issued[matricule])
        assert {"information.vae", "information.cpf", "information.cep"} <= fields.keys()
    assert {m: f.occasions for m, f in issued.items()} == {
        "P1": "premiere_annee",
        "P3": "retour_conge",
        "P4": "avant_60",
        "P5": "mi_carriere",
        "P6": "periodique",
    }


def test_an_interview_in_an_open_end_of_career_window_asks_its_topics_too() -> None:
    today = date(2026, 11, 26)
    periodic = Obligation("periodique", "EPP-2", date(2022, 5, 1), date(2026, 5, 1), "dernier")
    late = Obligation("avant_60", "EPP-6", date(2026, 1, 10), date(2028, 1, 9), "60 ans")
    target = professional_target(_assessment(today, periodic, late), add_months(today, 12))
    assert target.due and target.obligation is periodic
    assert target.occasions == ("periodique", "avant_60")
    assert target.reason == (
        "entretien professionnel périodique au plus tard le 01/05/2026 (dernier) ; vaut aussi "
        "entretien de fin de carrière (thèmes ajoutés au formulaire)"
    )


def test_an_interview_to_check_is_issued_with_the_missing_fact() -> None:
    today = date(2026, 11, 26)
    unknown = Obligation(
        "periodique",
        "EPP-2",
        date(2020, 1, 1),
        date(2024, 1, 1),
        "dernier entretien le 01/01/2020 + 4 ans",
        unknown="historique des entretiens avant le 26/11/2026 inconnu",
    )
    target = professional_target(_assessment(today, unknown), add_months(today, 12))
    assert target.due
    assert target.reason == (
        "entretien professionnel périodique au plus tard le 01/01/2024 (dernier entretien le "
        "01/01/2020 + 4 ans) ; à vérifier : historique des entretiens avant le 26/11/2026 inconnu"
    )
    assert interview_scope(target)["entretien"]["a_verifier"] == (
        "historique des entretiens avant le 26/11/2026 inconnu"
    )


def _assessment(today: date, *obligations: Obligation) -> Assessment:
    return Assessment(
        matricule="X1",
        today=today,
        status="a_jour",
        status_label="à jour",
        days_late=0,
        next_due=obligations[0] if obligations else None,
        last_interview=None,
        obligations=obligations,
        history=(),
        reviews=(),
    )


def test_etat_des_lieux_is_prefilled_with_period_interviews_and_trainings(
    workspace: Workspace,
) -> None:
    issued = _issue(workspace, "etat_des_lieux")
    fields = _pdf_fields(workspace, issued["P6"])
    assert {k: fields.get(k) for k in ("periode.debut", "periode.fin")} == {
        "periode.debut": "01/12/2018",
        "periode.fin": "30/11/2027",
    }
    assert fields["entretiens_tenus.1.date"] == "10/05/2022"
    assert fields["entretiens_tenus.1.occasion"] == "Première année"
    assert fields.get("entretiens_tenus.2.date") in (None, "")
    assert fields["entretiens.releve"] == (
        "Entretiens connus de l'outil sur la période : 10/05/2022 (premier entretien "
        "professionnel). Dus et non tenus à l'échéance : entretien professionnel périodique "
        "dû le 10/05/2024."
    )
    assert fields["criteres.details"] == (
        "Formations connues de l'outil sur la période : SST (du 02/02/2021 au 03/02/2021, "
        "obligatoire) ; Excel avancé (le 10/10/2023, non obligatoire, certifiante). "
        "Progression salariale ou professionnelle : à compléter."
    )
    assert {
        k: fields[k]
        for k in (
            "criteres.entretiens_tous_tenus",
            "criteres.formation",
            "criteres.formation_non_obligatoire",
            "criteres.certification",
            "criteres.progression",
        )
    } == {
        "criteres.entretiens_tous_tenus": "/Off",
        "criteres.formation": "/Oui",
        "criteres.formation_non_obligatoire": "/Oui",
        "criteres.certification": "/Oui",
        "criteres.progression": "/Off",
    }
    controls = _docx_controls(workspace, issued["P6"])
    assert controls["entretiens_tenus.1.date"] == "10/05/2022"
    assert controls["periode.debut"] == "01/12/2018"
    # What the tool does not know is left « à compléter ».
    p3 = _pdf_fields(workspace, issued["P3"])
    assert p3["entretiens.releve"] == (
        "Entretiens connus de l'outil sur la période : 01/06/2024 (premier entretien "
        "professionnel). À compléter : tenue de l'état des lieux inconnue (historique des "
        "entretiens avant le 01/06/2024 inconnu)."
    )
    assert p3["criteres.details"] == (
        "Formations suivies sur la période : à compléter (aucune connue de l'outil). "
        "Progression salariale ou professionnelle : à compléter."
    )


def test_print_batches_print_the_occasion_the_form_was_issued_for(
    workspace: Workspace,
) -> None:
    issued = _issue(workspace, "professionnel")
    with Store.open(workspace.database_path) as store:
        printed = write_print_batches(
            workspace,
            store.current_employees(),
            load_catalog(workspace.templates_dir),
            store,
            "2026",
            TODAY,
        )
    everyone = next(path for path in printed.batches if path.name == "tous.pdf")
    text = "".join(page.extract_text() for page in PdfReader(everyone).pages)
    for occasion in OCCASIONS.values():
        assert occasion in text
    assert "Congé parental d'éducation" in text
    assert issued["P3"].issued_values is not None


def test_a_reprint_keeps_the_interview_as_issued_and_today_s_names() -> None:
    definition = load_catalog(None).get("entretien-professionnel")
    context = campaign_context("2026", 2026, TODAY, "Horizon", 20)
    employee = Employee("P3", "Parent", "Pauline", date(2018, 1, 15), "Comptable", row=2)
    manager = Employee("M9", "Nouveau", "Marc", date(2010, 1, 1), "Directeur", row=3)
    issued = {
        "entretien.occasion": "Retour de congé ou d'absence",
        "entretien.type_retour": "Congé parental d'éducation",
        "manager.nom_complet": "Claire Martin",
    }
    values = reprint_values(definition, employee, manager, context, TODAY, issued)
    assert values["entretien.occasion"] == "Retour de congé ou d'absence"
    assert values["entretien.type_retour"] == "Congé parental d'éducation"
    assert values["manager.nom_complet"] == "Marc Nouveau"
    assert "entretien.occasion" not in reprint_values(
        definition, employee, manager, context, TODAY, None
    )


# --- returned forms of each occasion read back and validate ------------------------


PROFESSIONAL_ANSWERS = {
    "entretien.date": "10/12/2026",
    "entretien.mode": "Présentiel",
    "perspectives.projet_2_5_ans": "Devenir cheffe comptable.",
    "copie_remise_le": "11/12/2026",
}
PROFESSIONAL_TICKS = {"information.vae": True, "information.cpf": True, "information.cep": True}
TOPIC_ANSWERS = {
    "P4": {"fin_carriere.maintien_emploi": "Souhaite rester jusqu'à 62 ans."},
    "P5": {"mi_carriere.adaptation_poste": "Écran plus grand."},
}


def test_returned_forms_of_each_occasion_read_and_validate(workspace: Workspace) -> None:
    issued = _issue(workspace, "professionnel")
    edl = _issue(workspace, "etat_des_lieux")["P6"]
    for n, (matricule, form) in enumerate(sorted(issued.items())):
        text = {**PROFESSIONAL_ANSWERS, **TOPIC_ANSWERS.get(matricule, {})}
        if n % 2:
            data = fill_pdf(workspace.outbox / str(form.pdf_path), text, PROFESSIONAL_TICKS)
            name = f"retour-{matricule}.pdf"
        else:
            data = fill_docx(workspace.outbox / str(form.docx_path), text, PROFESSIONAL_TICKS)
            name = f"retour-{matricule}.docx"
        (workspace.inbox / name).write_bytes(data)
    edl_text = {"entretien.date": "12/12/2026", "copie_remise_le": "12/12/2026"}
    (workspace.inbox / "retour-edl.pdf").write_bytes(
        fill_pdf(
            workspace.outbox / str(edl.pdf_path),
            edl_text,
            {"entretiens_tenus.1.copie_remise": True},
        )
    )

    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 14, 9))
        records = {(r["matricule"], r["kind"]): r["answers"] for r in export_records(store)}

    assert [(o.status, o.warnings) for o in report.outcomes] == [("ok", ())] * 6
    for matricule, occasion in OCCASIONS.items():
        answers = records[matricule, "professionnel"]
        assert answers["entretien.occasion"] == occasion
        assert answers["entretien.date"] == "2026-12-10"
        topics = {k for k in answers if k.startswith(("mi_carriere.", "fin_carriere."))}
        assert topics == set(TOPIC_ANSWERS.get(matricule, {}))
    assert records["P3", "professionnel"]["entretien.type_retour"] == "Congé parental d'éducation"
    edl_answers = records["P6", "etat_des_lieux"]
    assert edl_answers["periode.debut"] == "2018-12-01"
    assert edl_answers["entretiens_tenus.1.date"] == "2022-05-10"
    assert edl_answers["entretiens_tenus.1.occasion"] == "Première année"
    assert edl_answers["entretiens_tenus.1.copie_remise"] is True


def test_a_word_form_resaved_without_tags_is_read_by_its_issued_layout(
    workspace: Workspace,
) -> None:
    """Controls without tags are matched by position: only the issued layout lines up."""
    form = _issue(workspace, "professionnel")["P4"]
    text = {**PROFESSIONAL_ANSWERS, **TOPIC_ANSWERS["P4"]}
    filled = fill_docx(workspace.outbox / str(form.docx_path), text, PROFESSIONAL_TICKS)
    with zipfile.ZipFile(io.BytesIO(filled)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(parts["word/document.xml"])
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for tag in list(root.iter(f"{w}tag")):
        tag.getparent().remove(tag)
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    (workspace.inbox / "retour-P4.docx").write_bytes(out.getvalue())

    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 14, 9))
        (record,) = export_records(store)

    (outcome,) = report.outcomes
    # Every control of the form as issued (without the mid-career section) lined up.
    assert (outcome.status, outcome.warnings) == (
        "ok",
        ("Enregistré par entretien-forms : 61 champs sans étiquette, repérés par leur position.",),
    )
    assert record["answers"]["fin_carriere.maintien_emploi"] == "Souhaite rester jusqu'à 62 ans."
    assert record["answers"]["entretien.occasion"] == OCCASIONS["P4"]


# --- the definition: sections for some occasions only -------------------------------

FORM = """
id = "court"
title = "Court"
kind = "professionnel"
version = "1"

[[sections]]
title = "Commun"
  [[sections.fields]]
  id = "entretien.date"
  label = "Date"
  type = "date"
  required = true

[[sections]]
title = "Fin de carrière"
occasions = ["avant_60"]
  [[sections.fields]]
  id = "fin.maintien"
  label = "Maintien dans l'emploi"
  type = "text"
  required = true
"""


def test_a_section_for_one_occasion_is_left_out_of_the_others_forms(tmp_path: Path) -> None:
    path = tmp_path / "court.toml"
    path.write_text(FORM, encoding="utf-8")
    definition = load_definition(path)
    context = campaign_context("2026", 2026, TODAY, "Horizon", 20)

    def titles(occasions: tuple[str, ...] | None) -> list[str]:
        return [s.title for s in definition.layout(None, context, occasions).sections]

    assert titles(None) == ["Commun", "Fin de carrière"]
    assert titles(("periodique",)) == ["Commun"]
    assert titles(("periodique", "avant_60")) == ["Commun", "Fin de carrière"]
    assert definition.variant(("retour_conge",)) == definition.variant(("periodique",)) == ()
    # A form without the section: its required answers are not missing.
    answers = {"entretien.date": RawAnswer("10/12/2026", "control")}
    short = definition.layout(None, context, ("periodique",))
    assert validate_answers(short, answers, today=TODAY).warnings == []
    full = definition.layout(None, context, None)
    assert validate_answers(full, answers, today=TODAY).warnings == [
        "« Maintien dans l'emploi » (fin.maintien) : réponse obligatoire absente."
    ]


def test_an_unknown_occasion_is_named(tmp_path: Path) -> None:
    path = tmp_path / "court.toml"
    path.write_text(FORM.replace('["avant_60"]', '["avant_65"]'), encoding="utf-8")
    with pytest.raises(FormDefinitionError) as caught:
        load_definition(path)
    assert str(caught.value) == (
        "court.toml, champ « section 2 » : occasion(s) avant_65 inconnue(s) dans « occasions » "
        "(occasions possibles : premiere_annee, periodique, retour_conge, avant_conge, "
        "mi_carriere, avant_60)."
    )


# --- the command --------------------------------------------------------------------


def test_cli_dry_run_says_who_is_due_and_tous_issues_to_everyone(tmp_path: Path) -> None:
    today = date.today()
    hired = add_months(today, -11)
    interviewed = add_months(today, -1)
    roster = tmp_path / "salaries.csv"
    roster.write_text(
        "Matricule;Nom;Prénom;Date d'entrée;Poste;Dernier entretien professionnel\n"
        f"A1;Neuf;Nina;{fr(hired)};Comptable;\n"
        f"A2;Vu;Victor;01/03/2020;Comptable;{fr(interviewed)}\n",
        encoding="utf-8",
    )
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    assert runner.invoke(cli, ["-w", str(root), "roster", "import", str(roster)]).exit_code == 0
    command = ["-w", str(root), "generate", "--kind", "professionnel", "--campaign", "C"]

    result = runner.invoke(cli, [*command, "--dry-run"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    horizon = fr(add_months(today, 12))
    lines = result.output.splitlines()
    assert lines[0].startswith("émettre   Nina Neuf (A1) → C/sans-responsable/Neuf-Nina-A1-")
    assert lines[0].endswith(
        f" : premier entretien professionnel au plus tard le {fr(add_months(hired, 12))} "
        f"(embauché le {fr(hired)} : premier entretien dans l'année)"
    )
    assert lines[1:] == [
        f"non dû    Victor Vu (A2) : prochain entretien professionnel périodique au plus tard "
        f"le {fr(add_months(interviewed, 48))}, après l'horizon du {horizon}",
        "Simulation : 1 formulaire serait émis, rien n'a été écrit.",
    ]

    result = runner.invoke(cli, [*command, "--format", "docx"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        f"1 formulaire émis (entretien professionnel, campagne C) dans {root / 'outbox' / 'C'}.",
        f"1 salarié sans entretien professionnel dû d'ici le {horizon} : rien émis pour eux "
        "(--dry-run pour voir pourquoi, --tous pour émettre quand même).",
    ]

    result = runner.invoke(cli, [*command, "--tous", "--dry-run"], catch_exceptions=False)
    assert result.output.splitlines() == [
        "émettre   Victor Vu (A2) → C/sans-responsable/Vu-Victor-A2-professionnel [.docx, .pdf] "
        f": --tous, non dû : prochain entretien professionnel périodique au plus tard le "
        f"{fr(add_months(interviewed, 48))}, après l'horizon du {horizon}",
        "déjà émis Nina Neuf (A1) : EP-C-00001 (--force pour émettre une nouvelle version)",
        "Simulation : 1 formulaire serait émis, rien n'a été écrit.",
    ]
    help_text = runner.invoke(cli, ["generate", "--help"]).output
    assert "--tous" in help_text and "Émettre pour tous les salariés actifs" in help_text


def test_forms_show_says_which_fields_are_for_one_occasion_only() -> None:
    described = describe(load_catalog(None).get("entretien-professionnel"))
    by_id = {f["id"]: f for f in described["fields"]}
    assert by_id["mi_carriere.adaptation_poste"]["occasions"] == ["mi_carriere"]
    assert by_id["fin_carriere.maintien_emploi"]["occasions"] == ["avant_60"]
    assert by_id["information.cpf"]["occasions"] == []
    shown = CliRunner().invoke(cli, ["forms", "show", "entretien-professionnel"]).output
    assert (
        "  fin_carriere.maintien_emploi             Maintien dans l'emploi (longtext, seulement : "
        "entretien de fin de carrière (avant 60 ans))"
    ) in shown.splitlines()
