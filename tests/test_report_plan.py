"""The training plan workbook, read back cell by cell.

The store is filled directly (roster import, then returns and their answers as
the inbox records them), so each test states exactly which answers it gives.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import STORE_PATH, issued_form, record_answers, submission
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from entretien_forms.errors import EntretienError
from entretien_forms.forms import Catalog, load_catalog
from entretien_forms.reports.plan import (
    DEFAULT_THEMES,
    OTHER_GROUP,
    PlannedTraining,
    build_plan_workbook,
    theme_key,
    write_plan_workbook,
)
from entretien_forms.roster import read_roster
from entretien_forms.store import Store

CAMPAIGN = "2026"
TODAY = date(2027, 2, 10)
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
    "S3;Dubois;Thomas;01/09/2021;Responsable SEO;Marketing;M1\n"
    "S4;Petit;Hugo;15/01/2020;Comptable;Finance;M1\n"
)
SHEETS = ["Demandes", "Synthèse", "Matrice de compétences", "Engagements"]
_sha = count(1)


def record(
    store: Store,
    matricule: str,
    reference: str,
    answers: Mapping[str, Any],
    *,
    kind: str = "annuel",
    campaign: str = CAMPAIGN,
) -> None:
    returned = submission(
        reference,
        matricule,
        kind,
        campaign=campaign,
        received_at=datetime(2026, 12, 20, 9),
        sha256=f"sha-{next(_sha)}",
        form_id="entretien-annuel" if kind == "annuel" else "entretien-professionnel",
        archive_path=f"archive/{reference}.docx",
    )
    record_answers(store, returned, answers, source="control_order")


def training_row(n: int, theme: str, priority: str = "", **cells: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f"formations.{n}.theme": theme}
    if priority:
        row[f"formations.{n}.priorite"] = priority
    row.update({f"formations.{n}.{column}": value for column, value in cells.items()})
    return row


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Four employees; returns for S2, S3 (annual and professional) and S4."""
    roster_file = tmp_path / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    with Store.open(tmp_path / STORE_PATH) as opened:
        roster = read_roster(roster_file, today=date(2026, 11, 1))
        opened.import_roster(roster, sha256="x", now=datetime(2026, 11, 1, 8))
        record(
            opened,
            "S2",
            "EA-2026-00002",
            {
                "entretien.date": "2026-12-01",
                **training_row(
                    1, "Négociation avancée", "Haute", modalite="Formation", periode="T1 2027"
                ),
                **training_row(2, "=cmd|' /C calc'!A0", "Basse"),
                "competences.prospection.auto": 3,
                "competences.prospection.manager": 2,
                "competences.negociation.auto": 2,
                "competences.closing.manager": 4,
                "competences.communication.manager": 1,
            },
        )
        record(
            opened,
            "S3",
            "EA-2026-00003",
            {
                "entretien.date": "2026-12-10",
                **training_row(1, "SEO", "Haute"),
                **training_row(2, "formation SEO avancé", "Moyenne"),
                **training_row(3, "Œnologie", "Basse"),
                "formations.4.priorite": "Haute",  # no theme: not a request
                "competences.seo.manager": 2,
                "competences.campagnes.manager": 3,
                "competences.communication.auto": 4,
            },
        )
        record(
            opened,
            "S3",
            "EP-2026-00001",
            {
                "entretien.date": "2026-12-15",
                **training_row(1, "Anglais commercial", "Haute"),
                **training_row(2, "+33 6 12 34 56 78", "Basse"),
            },
            kind="professionnel",
        )
        record(
            opened,
            "S4",
            "EA-2026-00004",
            {
                "entretien.date": "2026-12-05",
                **training_row(1, "Sauveteur secouriste du travail", "Moyenne", obligatoire=True),
                **training_row(2, "@SUM(A1:A9)", "Basse"),
                "competences.qualite.manager": 1,
                "competences.organisation.manager": 3,
            },
        )
        record(opened, "S4", "EA-2025-00004", training_row(1, "Excel"), campaign="2025")
        record(opened, "X9", "EA-2026-00099", training_row(1, "Excel", "Haute"))  # not employed
        yield opened


TRAININGS = (
    PlannedTraining(
        "S2",
        "Techniques de négociation",
        start=date(2027, 2, 1),
        end=date(2027, 2, 2),
        hours=14,
        cost=1200,
        status="planifié",
    ),
    PlannedTraining("S3", "Référencement naturel (SEO)", hours=7, cost=800, status="réalisé"),
    PlannedTraining("S4", "SST initial", cost=300, mandatory=True, status="validé"),
    PlannedTraining("M1", "Management d'équipe", hours=21, cost=2000, status="planifié"),
    PlannedTraining("S3", "Dégustation de vins", cost=500, status="annulé"),
)


Build = Callable[..., openpyxl.Workbook]


@pytest.fixture
def build(store: Store, catalog: Catalog, tmp_path: Path) -> Build:
    """``build(**options)``: the plan of ``store``, saved and read back as Excel would."""

    def run(**options: Any) -> openpyxl.Workbook:
        options = {"campaign": CAMPAIGN, "today": TODAY, "trainings": TRAININGS} | options
        build_plan_workbook(store, catalog, **options).save(tmp_path / "plan.xlsx")
        return openpyxl.load_workbook(tmp_path / "plan.xlsx")

    return run


def records(sheet: Worksheet) -> list[dict[str, Any]]:
    """The rows of a one-table sheet, as header → value."""
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def by_theme(sheet: Worksheet) -> dict[str, dict[str, Any]]:
    return {row["Thème demandé"]: row for row in records(sheet)}


# --- Demandes --------------------------------------------------------------------------


def test_sheets_in_order_with_french_headers(build: Build) -> None:
    workbook = build()

    assert workbook.sheetnames == SHEETS
    assert [c.value for c in workbook["Demandes"][1]] == [
        "Salarié",
        "Matricule",
        "Service",
        "Responsable",
        "Thème demandé",
        "Groupe de thèmes",
        "Modalité",
        "Priorité",
        "Obligatoire",
        "Période souhaitée",
        "Date de l'entretien",
        "Origine",
        "Statut",
        "Formation prévue (plan RH)",
        "Début",
        "Fin",
        "Coût estimé",
        "Heures",
    ]


def test_one_row_per_request_of_the_campaign_plus_hr_only_trainings(build: Build) -> None:
    sheet = build()["Demandes"]

    themes = [row["Thème demandé"] for row in records(sheet)]
    # 9 requests of current employees in 2026 (not 2025, not X9, not the line without
    # a theme), then HR's two trainings that match no request.
    assert len(themes) == 11
    assert themes[-2:] == ["Management d'équipe", "Dégustation de vins"]
    assert "Excel" not in themes
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R12"


def test_request_row_is_complete(build: Build) -> None:
    row = by_theme(build()["Demandes"])["Négociation avancée"]

    assert row == {
        "Salarié": "Éloïse Lefèvre",
        "Matricule": "S2",
        "Service": "Ventes",
        "Responsable": "Claire Martin",
        "Thème demandé": "Négociation avancée",
        "Groupe de thèmes": "Vente et négociation",
        "Modalité": "Formation",
        "Priorité": "Haute",
        "Obligatoire": "Non",
        "Période souhaitée": "T1 2027",
        "Date de l'entretien": datetime(2026, 12, 1),
        "Origine": "EA-2026-00002 (entretien-annuel)",
        "Statut": "planifié",
        "Formation prévue (plan RH)": "Techniques de négociation",
        "Début": datetime(2027, 2, 1),
        "Fin": datetime(2027, 2, 2),
        "Coût estimé": 1200,
        "Heures": 14,
    }


def test_dates_and_euros_are_formatted(build: Build) -> None:
    sheet = build()["Demandes"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[4].value == "Négociation avancée")

    assert row[10].number_format == "DD/MM/YYYY"
    assert row[14].number_format == "DD/MM/YYYY"
    assert "€" in row[16].number_format
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage


def test_themes_fold_into_groups(build: Build) -> None:
    rows = by_theme(build()["Demandes"])

    assert rows["SEO"]["Groupe de thèmes"] == rows["formation SEO avancé"]["Groupe de thèmes"]
    assert rows["SEO"]["Groupe de thèmes"] == "Marketing digital et SEO"
    assert rows["Anglais commercial"]["Groupe de thèmes"] == "Langues"  # first word decides
    assert rows["Sauveteur secouriste du travail"]["Groupe de thèmes"] == (
        "Sécurité et obligations légales"
    )
    assert rows["Œnologie"]["Groupe de thèmes"] == OTHER_GROUP


def test_status_and_cost_come_from_hr_rows_of_the_same_theme_group(build: Build) -> None:
    rows = by_theme(build()["Demandes"])

    # One SEO training done for two SEO requests: both done, its cost counted once.
    assert rows["SEO"]["Statut"] == rows["formation SEO avancé"]["Statut"] == "réalisé"
    assert [rows["SEO"]["Coût estimé"], rows["formation SEO avancé"]["Coût estimé"]] == [800, None]
    assert rows["Sauveteur secouriste du travail"]["Statut"] == "validé"
    assert rows["Anglais commercial"]["Statut"] == "envisagé"
    # « Autres » holds unrelated themes: a wine tasting does not answer « Œnologie ».
    assert rows["Œnologie"]["Statut"] == "envisagé"
    assert rows["Dégustation de vins"]["Statut"] == "annulé"
    assert rows["Dégustation de vins"]["Coût estimé"] is None  # cancelled: costs nothing
    assert rows["Management d'équipe"]["Origine"] == "Plan de formation RH"


def test_near_duplicate_other_themes_match_an_hr_training(build: Build) -> None:
    trainings = (PlannedTraining("S3", "Initiation à l'œnologie", cost=150, status="réalisé"),)
    rows = by_theme(build(trainings=trainings)["Demandes"])

    assert rows["Œnologie"]["Statut"] == "réalisé"
    assert rows["Œnologie"]["Coût estimé"] == 150


def test_hr_matricules_match_whatever_the_case_and_leading_zeros(build: Build) -> None:
    trainings = (
        PlannedTraining("s2", "Négociation grands comptes", status="réalisé"),
        PlannedTraining("0S4", "Excel", cost=90),
    )
    rows = by_theme(build(trainings=trainings)["Demandes"])

    assert rows["Négociation avancée"]["Statut"] == "réalisé"
    assert rows["Excel"]["Salarié"] == "Hugo Petit"
    assert rows["Excel"]["Matricule"] == "S4"  # as in the roster


def test_hostile_answers_stay_text(build: Build) -> None:
    sheet = build()["Demandes"]
    cells = {c.value: c for c in sheet["E"][1:]}

    for typed in ("=cmd|' /C calc'!A0", "+33 6 12 34 56 78", "@SUM(A1:A9)"):
        cell = cells["'" + typed]
        assert cell.data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_control_characters_typed_in_a_form_are_dropped_not_fatal(
    store: Store, build: Build
) -> None:
    """A PDF field may hold a control character: XML has no room for it, in any sheet."""
    record(
        store,
        "S4",
        "EA-2026-00040",
        {**training_row(1, "Comptabilité\x07 avancée", "Haute"), "responsable.nom": "Chef\x01"},
    )

    workbook = build()

    themes = [c.value for c in workbook["Demandes"]["E"][1:]]
    assert "Comptabilité avancée" in themes
    cited = [c.value for row in workbook["Synthèse"].iter_rows() for c in row]
    assert any(isinstance(v, str) and "Comptabilité avancée" in v for v in cited)


def test_custom_taxonomy_and_unknown_themes(build: Build) -> None:
    themes = [("Référencement", ["seo", "référencement"])]
    rows = by_theme(build(themes=themes, trainings=())["Demandes"])

    assert rows["formation SEO avancé"]["Groupe de thèmes"] == "Référencement"
    assert rows["Négociation avancée"]["Groupe de thèmes"] == OTHER_GROUP


def test_unknown_training_status_is_refused_in_french() -> None:
    with pytest.raises(EntretienError, match="statut « fini » inconnu"):
        PlannedTraining("S2", "Excel", status="fini")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("theme", "group"),
    [
        ("SEO", "Marketing digital et SEO"),
        ("Formation SEO avancé", "Marketing digital et SEO"),
        ("google ads", "Marketing digital et SEO"),
        ("Réseaux sociaux", "Marketing digital et SEO"),
        ("Prospection LinkedIn", "Prospection et social selling"),
        ("Techniques commerciales", "Vente et négociation"),
        ("négocier avec les achats", "Vente et négociation"),
        ("Leadership", "Management"),
        ("MANAGEMENT D'ÉQUIPE", "Management"),
        ("Excel avancé", "Bureautique"),
        ("Excel pour les commerciaux", "Bureautique"),
        ("CRM Salesforce", "Outils et CRM"),
        ("Habilitation électrique", "Sécurité et obligations légales"),
        ("RGPD", "Sécurité et obligations légales"),
        ("Prise de parole en public", "Communication"),
        ("Gestion du temps", "Organisation et gestion de projet"),
        ("Bilan de compétences", "Évolution professionnelle"),
        ("Séoul", OTHER_GROUP),  # « seo » is a whole word only
        ("Poterie", OTHER_GROUP),
    ],
)
def test_default_taxonomy(store: Store, build: Build, theme: str, group: str) -> None:
    record(store, "M1", "EA-2026-00001", training_row(1, theme, "Basse"))
    rows = by_theme(build(trainings=())["Demandes"])

    assert rows[theme]["Groupe de thèmes"] == group


def test_theme_key_drops_filler_words() -> None:
    assert theme_key("formation SEO avancé") == theme_key("SEO") == {"seo"}
    assert theme_key("Techniques de négociation") == {"technique", "negociation"}
    assert all(name and keywords for name, keywords in DEFAULT_THEMES)


# --- Synthèse --------------------------------------------------------------------------


def summary_table(sheet: Worksheet, title: str) -> dict[str, list[Any]]:
    """The block under ``title``: first column → the other values, to its total line."""
    rows = list(sheet.iter_rows(values_only=True))
    top = next(n for n, row in enumerate(rows) if row[0] == title)
    table: dict[str, list[Any]] = {"": list(rows[top + 1][1:])}
    for row in rows[top + 2 :]:
        table[row[0]] = list(row[1:])
        if row[0] == "Total":
            return table
    raise AssertionError(f"no total under {title}")


def test_summary_by_theme_group_with_budget(build: Build) -> None:
    sheet = build()["Synthèse"]
    table = summary_table(sheet, "Besoins par groupe de thèmes")

    assert table[""][:7] == [
        "Demandes",
        "Salariés",
        "Priorité haute",
        "Obligatoires",
        "Planifiées ou réalisées",
        "Heures",
        "Budget estimé",
    ]
    assert table["Marketing digital et SEO"][:7] == [2, 1, 1, 0, 2, 7, 800]
    assert table["Marketing digital et SEO"][7] == "SEO (2)"  # near-duplicates merged
    assert table["Vente et négociation"][:7] == [1, 1, 1, 0, 1, 14, 1200]
    assert table["Sécurité et obligations légales"][6] == 300
    assert table["Management"][6] == 2000
    assert table[OTHER_GROUP][0] == 5  # Œnologie, wine tasting, three hostile lines
    assert list(table)[-2] == OTHER_GROUP  # « Autres » comes last
    assert table["Total"][:7] == [11, 4, 3, 1, 4, 42, 4300]


def test_summary_by_team_and_priority(build: Build) -> None:
    sheet = build()["Synthèse"]
    teams = summary_table(sheet, "Besoins par équipe")
    priorities = summary_table(sheet, "Besoins par priorité")

    assert {k: v[0] for k, v in teams.items() if k} == {
        "Finance": 2,
        "Marketing": 6,
        "Ventes": 3,
        "Total": 11,
    }
    assert teams["Ventes"][6] == 3200
    assert list(priorities)[1:] == ["Haute", "Moyenne", "Basse", "Non précisée", "Total"]
    assert priorities["Haute"][:2] == [3, 2]  # three requests from two people
    assert priorities["Total"][6] == 4300


def test_summary_has_a_bar_chart_of_needs_by_group(store: Store, catalog: Catalog) -> None:
    workbook = build_plan_workbook(
        store, catalog, campaign=CAMPAIGN, today=TODAY, trainings=TRAININGS
    )
    (chart,) = workbook["Synthèse"]._charts  # openpyxl reads no chart back: check before saving

    assert chart.tagname == "barChart"
    (series,) = chart.series
    # Six groups under the header of row 5, « Autres » included.
    assert series.val.numRef.f == "'Synthèse'!$B$6:$B$11"
    assert (series.cat.numRef or series.cat.strRef).f == "'Synthèse'!$A$6:$A$11"


def test_empty_campaign_still_gives_a_readable_workbook(build: Build) -> None:
    workbook = build(campaign="2030", trainings=())

    assert workbook.sheetnames == SHEETS
    assert workbook["Demandes"]["A2"].value.startswith("Aucune demande de formation")
    assert workbook["Synthèse"]["A4"].value == "Aucune demande de formation pour cette campagne."
    assert workbook["Engagements"]["A2"].value.startswith("Aucun engagement en retard")
    assert not workbook["Synthèse"]._charts


# --- Matrice de compétences -------------------------------------------------------------


def matrix(workbook: openpyxl.Workbook) -> tuple[Worksheet, int, dict[str, dict[str, Any]]]:
    """The sheet, its header row and each employee's row by matricule (header → cell)."""
    sheet = workbook["Matrice de compétences"]
    header = next(c.row for c in sheet["A"] if c.value == "Salarié")
    names = [c.value for c in sheet[header]]
    rows: dict[str, dict[str, Any]] = {}
    for row in sheet.iter_rows(min_row=header + 1):
        if row[1].value is None or row[0].value.startswith("Moyenne"):
            break
        rows[row[1].value] = dict(zip(names, row, strict=True))
    return sheet, header, rows


def test_matrix_levels_manager_first_then_self_assessment(build: Build) -> None:
    _, _, rows = matrix(build())

    assert list(rows) == ["S4", "S3", "S2"]  # by team: Finance, Marketing, Ventes
    eloise = rows["S2"]
    assert eloise["Grille"].value == "Commercial"
    assert eloise["Prospection"].value == 2  # the manager's rating, not the self-assessment
    assert eloise["Prospection"].number_format == "General"
    assert eloise["Négociation"].value == 2  # only self-assessed...
    assert "(auto)" in eloise["Négociation"].number_format  # ...and shown as such
    assert eloise["SEO"].value is None  # not in her grid
    assert eloise["Sous le niveau requis"].value == 3
    assert rows["S3"]["Grille"].value == "Marketing"
    assert rows["S4"]["Grille"].value == "Générique"


def test_matrix_required_levels_default_to_3_and_can_be_overridden(build: Build) -> None:
    workbook = build(required_levels={"commercial": {"closing": 4}})
    sheet, header, rows = matrix(workbook)
    names = [c.value for c in sheet[header]]
    required = {
        row[4].value: dict(zip(names, (c.value for c in row), strict=True))
        for row in sheet.iter_rows(min_row=4, max_row=header - 2)
    }

    assert list(required) == ["Commercial", "Marketing", "Générique"]
    assert required["Commercial"]["Closing"] == 4
    assert required["Commercial"]["Prospection"] == 3
    assert required["Commercial"]["SEO"] is None
    assert required["Marketing"]["Communication"] == 3  # common skills are in every grid
    assert rows["S2"]["Sous le niveau requis"].value == 3  # closing 4 meets 4


def test_matrix_gaps_are_coloured_by_conditional_formatting(build: Build) -> None:
    sheet, header, rows = matrix(build())
    ranges = {str(r.sqref): r.rules for r in sheet.conditional_formatting}
    last = max(c.row for r in rows.values() for c in r.values())

    gaps = next(rules for ref, rules in ranges.items() if ref.startswith(f"F{header + 1}:"))
    assert [r.type for r in gaps] == ["expression"] * 3
    assert "INDEX(F$4:F$6,MATCH($E9,$E$4:$E$6,0))" in gaps[0].formula[0]
    assert ranges.keys() >= {f"F{header + 1}:{gaps_end(sheet, header)}{last}"}
    assert any(r.type == "colorScale" for rules in ranges.values() for r in rules)
    assert sheet.freeze_panes == f"F{header + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{header}:")


def gaps_end(sheet: Worksheet, header: int) -> str:
    last = [c for c in sheet[header] if c.value][-2]  # the last skill, before the count
    return str(last.column_letter)


def test_matrix_team_averages(build: Build) -> None:
    sheet, header, _ = matrix(build())
    names = [c.value for c in sheet[header]]
    averages = {
        row[0].value: dict(zip(names, (c.value for c in row), strict=True))
        for row in sheet.iter_rows(min_row=header)
        if isinstance(row[0].value, str) and row[0].value.startswith("Moyenne —")
    }

    assert list(averages) == [
        "Moyenne — Finance",
        "Moyenne — Marketing",
        "Moyenne — Ventes",
        "Moyenne — toute l'entreprise",
    ]
    # Communication: Éloïse 1 (manager), Thomas 4 (self-assessed).
    assert averages["Moyenne — toute l'entreprise"]["Communication"] == 2.5
    assert averages["Moyenne — Ventes"]["Salarié"] == "Moyenne — Ventes"
    assert averages["Moyenne — Ventes"]["Matricule"] == "1 salarié"


def test_matrix_grid_comes_from_the_ledger_when_known(store: Store, build: Build) -> None:
    # Her manager rated only the skills common to every grid: they cannot tell hers.
    record(store, "M1", "EA-2026-00001", {"competences.communication.manager": 4})
    _, _, guessed = matrix(build())
    issued = issued_form(
        "EA-2026-00001",
        "M1",
        "annuel",
        campaign=CAMPAIGN,
        grid="commercial",
        signature="x",
        issued_at=datetime(2026, 11, 2),
    )
    store.record_issued([issued])
    _, _, rows = matrix(build())

    assert guessed["M1"]["Grille"].value == "Générique"
    assert rows["M1"]["Grille"].value == "Commercial"


# --- Engagements -----------------------------------------------------------------------


def engagements(build: Build, today: date, **options: Any) -> list[str]:
    sheet = build(today=today, **options)["Engagements"]
    return [row["Thème demandé"] for row in records(sheet) if row["Matricule"]]


def test_engagement_listed_only_past_the_delay(build: Build) -> None:
    interview = date(2026, 12, 15)  # « Anglais commercial », priority Haute, not planned

    assert "Anglais commercial" not in engagements(build, interview + timedelta(60))
    assert "Anglais commercial" in engagements(build, interview + timedelta(61))
    assert "Anglais commercial" in engagements(build, interview + timedelta(31), engagement_days=30)
    assert "Anglais commercial" not in engagements(
        build, interview + timedelta(30), engagement_days=30
    )


def test_engagements_are_high_or_mandatory_and_not_booked(build: Build) -> None:
    sheet = build(today=date(2027, 6, 1))["Engagements"]
    rows = records(sheet)

    # Négociation (planifié) and SEO (réalisé) are kept; Œnologie is low priority;
    # HR's own rows promise nothing.
    assert [r["Thème demandé"] for r in rows] == [
        "Sauveteur secouriste du travail",  # mandatory, only « validé »: 118 days late
        "Anglais commercial",
    ]
    sst = rows[0]
    assert sst["Date de l'entretien"] == datetime(2026, 12, 5)
    assert sst["À planifier avant le"] == datetime(2027, 2, 3)
    assert sst["Jours de retard"] == 118
    assert sst["Statut"] == "validé"
    assert sst["Obligatoire"] == "Oui"
    assert sheet["I2"].number_format == "DD/MM/YYYY"


# --- the file ---------------------------------------------------------------------------


def test_write_saves_atomically_under_a_safe_name(
    store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    path = write_plan_workbook(
        tmp_path / "outbox", store, catalog, campaign="2026/../x", today=TODAY
    )

    assert path == tmp_path / "outbox" / "plan-developpement-competences-2026-x.xlsx"
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert openpyxl.load_workbook(path).sheetnames == SHEETS


@pytest.mark.integration
def test_libreoffice_converts_the_workbook(
    store: Store, catalog: Catalog, tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    soffice = require_tool("soffice")
    # soffice without Calc "converts" a workbook into nothing and still exits with 0.
    if not (Path(soffice).resolve().parent / "libsclo.so").exists():
        message = "LibreOffice Calc is not installed (Debian: libreoffice-calc-nogui)"
        if os.environ.get("ENTRETIEN_INTEGRATION") == "required":
            pytest.fail(message)
        pytest.skip(message)
    path = write_plan_workbook(
        tmp_path / "outbox", store, catalog, campaign=CAMPAIGN, today=TODAY, trainings=TRAININGS
    )
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(path)],
        capture_output=True, timeout=180, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr, result.stderr
    pdf = (tmp_path / "pdf" / path.with_suffix(".pdf").name).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for title in ("Négociation avancée", "campagne 2026", "Moyennes par équipe", "À planifier"):
        assert title in text  # the four sheets were printed


def test_requests_are_read_from_a_training_table_with_a_dotted_id() -> None:
    """A company template may name its table « bilan.formations »: item ids allow dots."""
    from entretien_forms.reports.plan import _requests, _Taxonomy
    from entretien_forms.roster import Employee

    employee = Employee("S2", "Lefèvre", "Éloïse", date(2019, 3, 4), "Commerciale", 2)
    returned = submission(
        "EA-2026-00001",
        "S2",
        "annuel",
        campaign=CAMPAIGN,
        received_at=datetime(2026, 12, 20, 9),
        sha256="x",
        form_id="maison",
        form_version="1",
        source_file="x.docx",
        archive_path="archive/x.docx",
    )
    answers = {
        "bilan.formations.1.theme": "SEO",
        "bilan.formations.1.priorite": "Haute",
        "bilan.formations.2.theme": "Anglais",
        "formations.1.theme": "pas cette table-ci",
        "bilan.autre": "rien",
    }

    requests = list(
        _requests(
            returned,
            ("bilan.formations",),
            answers,
            employee,
            {"S2": employee},
            _Taxonomy(DEFAULT_THEMES),
        )
    )

    assert [(r.theme, r.priority) for r in requests] == [
        ("SEO", "Haute"),
        ("Anglais", "Non précisée"),
    ]
