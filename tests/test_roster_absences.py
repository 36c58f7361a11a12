"""The absence a roster may give per employee: columns, problems, store, rules.

Rosters are built in code. The absences sheet (reports/sheets.py) gives the
same leave the other way: both must lead the rules to the same interviews,
and a leave given both ways must count once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import REQUIRED_HEADER

from entretien_forms.cli import cli
from entretien_forms.config import LegalSettings
from entretien_forms.reports import sheets
from entretien_forms.reports.sheets import read_absences
from entretien_forms.roster import (
    Employee,
    Problem,
    Roster,
    RosterAbsence,
    absence_kind,
    read_roster,
)
from entretien_forms.rules import Absence, EmployeeFacts, assess
from entretien_forms.store import MIGRATIONS, Store

TODAY = date(2026, 3, 16)
ABSENCE_HEADER = ["Type d'absence", "Date de début d'absence", "Date de retour"]
KNOWN = (
    "« congé de maternité », « congé d'adoption », « congé supplémentaire de naissance », "
    "« congé parental d'éducation », « congé de proche aidant », « congé sabbatique », "
    "« période de mobilité volontaire sécurisée », « temps partiel parental », "
    "« arrêt maladie », « mandat syndical », « congé sans solde », "
    "« congé de solidarité familiale », « congé de présence parentale »"
)


KEPT = " L'absence est ignorée ; le salarié est gardé."


def person(matricule: str, *more: str) -> list[str]:
    """A CSV row for a default employee, followed by the cells of the extra columns."""
    return [matricule, "Roy", "Léa", "09/01/2023", "Comptable", *more]


def employee(matricule: str, row: int, absence: RosterAbsence | None = None) -> Employee:
    return Employee(
        matricule=matricule,
        nom="Roy",
        prenom="Léa",
        date_entree=date(2023, 1, 9),
        poste="Comptable",
        row=row,
        absence=absence,
    )


@pytest.fixture
def read_csv(write_csv: Callable[..., Path]) -> Callable[..., Roster]:
    """``read_csv(rows, extra_header=ABSENCE_HEADER)``: REQUIRED_HEADER + extra header + rows, read."""

    def read(rows: Sequence[Sequence[str]], extra_header: Sequence[str] = ABSENCE_HEADER) -> Roster:
        path = write_csv("salaries.csv", [[*REQUIRED_HEADER, *extra_header], *rows])
        return read_roster(path, today=TODAY)

    return read


MATERNITY = RosterAbsence("maternite", date(2025, 11, 3), date(2026, 3, 2))


# --- columns and values ---------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ("Type d'absence", "Date de début d'absence", "Date de retour"),
        ("Motif d'absence", "Début d'absence", "Retour prévu"),
        ("ABSENCE", "Absent depuis", "Date de reprise"),
        ("Nature de l'absence", "Début de l'absence", "Date de retour prévue"),
        ("Type de congé", "Date début absence", "Retour d'absence"),
    ],
)
def test_absence_columns_are_recognised_by_their_usual_names(
    read_csv: Callable[..., Roster], header: tuple[str, str, str]
) -> None:
    roster = read_csv([person("1", "Congé maternité", "03/11/2025", "02/03/2026")], header)

    assert roster.columns["type_absence"] == header[0]
    assert roster.columns["date_debut_absence"] == header[1]
    assert roster.columns["date_retour_absence"] == header[2]
    assert (roster.employees, roster.problems) == ((employee("1", 2, MATERNITY),), ())


def test_end_of_absence_is_the_last_day_away(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv(
        [person("1", "Congé de maternité", "3 novembre 2025", "1/3/26")],
        ["Motif d'absence", "Absent depuis", "Fin d'absence"],
    )

    assert roster.columns["date_fin_absence"] == "Fin d'absence"
    assert (roster.employees, roster.problems) == ((employee("1", 2, MATERNITY),), ())


def test_absence_cells_of_a_workbook(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "salaries.xlsx",
        [
            [*REQUIRED_HEADER, *ABSENCE_HEADER],
            [1, "Roy", "Léa", datetime(2023, 1, 9), "Comptable", "Congé parental",
             datetime(2025, 9, 1), None],
            [2, "Roy", "Léa", datetime(2023, 1, 9), "Comptable", None, None, None],
        ],
    )  # fmt: skip

    roster = read_roster(path, today=TODAY)

    assert roster.employees == (
        employee("1", 2, RosterAbsence("conge_parental", date(2025, 9, 1))),
        employee("2", 3),
    )
    assert roster.problems == ()


def test_leaves_without_interview_are_read_silently(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv(
        [
            person("1", "Congés payés", "02/03/2026", "09/03/2026"),
            person("2", "RTT", "13/03/2026", ""),
            person("3", "Congé de paternité", "", ""),
        ]
    )

    assert roster.employees == (employee("1", 2), employee("2", 3), employee("3", 4))
    assert roster.problems == ()


def test_the_roster_and_the_sheet_share_one_vocabulary() -> None:
    assert sheets.absence_kind is absence_kind


# --- problems, located by row and column ------------------------------------------------


def test_unknown_absence_type_warns_with_the_accepted_types(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv([person("1", "Séminaire", "03/11/2025", "02/03/2026")])

    assert roster.employees == (employee("1", 2),)
    assert roster.problems == (
        Problem(
            2,
            "Type d'absence",
            "type_absence",
            "warning",
            f"type d'absence « Séminaire » non reconnu ; absence ignorée. Indiquez l'un des "
            f"types reconnus : {KNOWN}.",
        ),
    )


def test_missing_start_warns_on_the_start_column(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("1", "Congé maternité", "", "02/03/2026")])

    assert roster.employees == (employee("1", 2),)
    assert [p.describe() for p in roster.problems] == [
        "Ligne 2, colonne « Date de début d'absence » : date de début manquante pour "
        "l'absence « Congé maternité » ; absence ignorée. Indiquez la date de début."
    ]
    assert roster.warnings == roster.problems


def test_type_without_dates_warns_on_the_type_column(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("1", "Arrêt maladie", "", "")])

    assert roster.employees == (employee("1", 2),)
    assert [p.describe() for p in roster.problems] == [
        "Ligne 2, colonne « Type d'absence » : absence « Arrêt maladie » sans date de début ni "
        "de retour ; absence ignorée. Indiquez la date de début (et la date de retour si le "
        "salarié a repris)."
    ]


def test_dates_without_type_warn_on_the_type_column(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("1", "", "03/11/2025", "")])

    assert roster.employees == (employee("1", 2),)
    assert roster.problems == (
        Problem(
            2,
            "Type d'absence",
            "type_absence",
            "warning",
            "dates d'absence sans type d'absence ; absence ignorée. Indiquez le type (par "
            "exemple « congé de maternité », « arrêt maladie »).",
        ),
    )


FIELD = {"Date de retour": "date_retour_absence", "Fin d'absence": "date_fin_absence"}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(
            "Date de retour",
            "la date de retour (02/10/2025) est antérieure au début de l'absence (03/11/2025) ; "
            "l'une des deux dates est fausse.",
            id="return",
        ),
        pytest.param(
            "Fin d'absence",
            "la date de fin d'absence (02/10/2025) est antérieure au début de l'absence "
            "(03/11/2025) ; l'une des deux dates est fausse.",
            id="last-day",
        ),
    ],
)
def test_return_before_start_drops_the_absence_not_the_employee(
    read_csv: Callable[..., Roster], header: str, message: str
) -> None:
    roster = read_csv(
        [person("1", "Congé maternité", "03/11/2025", "02/10/2025"), person("2")],
        ["Type d'absence", "Date de début d'absence", header],
    )

    assert roster.employees == (employee("1", 2), employee("2", 3))
    assert roster.problems == (Problem(2, header, FIELD[header], "warning", message + KEPT),)


def test_unreadable_absence_date_drops_the_absence_not_the_employee(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv([person("1", "Congé maternité", "31/02/2026", "")])

    assert roster.employees == (employee("1", 2),)  # still followed, without the absence
    assert roster.errors == ()
    assert [p.describe() for p in roster.warnings] == [
        "Ligne 2, colonne « Date de début d'absence » : date impossible « 31/02/2026 » "
        "(format attendu jj/mm/aaaa). L'absence est ignorée ; le salarié est gardé."
    ]


def test_excluded_rows_say_nothing_about_their_absence(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv(
        [
            [*person("1", "Arrêt maladie", "", ""), "Intérim"],
            [*person("2", "", "03/11/2025", ""), "CDI"],
        ],
        [*ABSENCE_HEADER, "Contrat"],
    )

    assert [(p.row, p.field) for p in roster.problems] == [(2, "type_contrat"), (3, "type_absence")]


def test_type_column_without_start_column_warns_once_on_the_header(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv(
        [person("1", "Congé maternité", "02/03/2026"), person("2", "Séminaire", "n/a")],
        ["Absence", "Date de retour"],
    )

    assert roster.employees == (employee("1", 2), employee("2", 3))
    assert roster.problems == (
        Problem(
            1,
            "Absence",
            "type_absence",
            "warning",
            "pas de colonne de date de début d'absence : les absences ne sont pas lues. "
            "Ajoutez une colonne « Date de début d'absence ».",
        ),
    )


def test_date_columns_without_type_column_warn_once_on_the_header(
    read_csv: Callable[..., Roster],
) -> None:
    # Unread, the dates cannot cost a row an error.
    roster = read_csv([person("1", "03/11/2025", "à définir")], ["Absent depuis", "Retour prévu"])

    assert roster.employees == (employee("1", 2),)
    assert [p.describe() for p in roster.problems] == [
        "Ligne 1, colonne « Absent depuis » : pas de colonne de type d'absence : les dates "
        "d'absence ne sont pas lues. Ajoutez une colonne « Type d'absence » (congé de "
        "maternité, congé parental d'éducation, arrêt maladie...)."
    ]


def test_roster_check_reports_absence_problems(tmp_path: Path) -> None:
    path = tmp_path / "salaries.csv"
    path.write_text(
        ";".join([*REQUIRED_HEADER, *ABSENCE_HEADER])
        + "\n1;Roy;Léa;09/01/2023;Comptable;Congé maternité;03/11/2025;02/10/2025"
        + "\n2;Roy;Marc;09/01/2023;Comptable;Arrêt maladie;;\n",
        encoding="utf-8",
    )

    human = CliRunner().invoke(cli, ["roster", "check", str(path)], catch_exceptions=False)
    as_json = CliRunner().invoke(
        cli, ["roster", "check", str(path), "--json"], catch_exceptions=False
    )

    assert human.exit_code == as_json.exit_code == 0
    assert human.output.splitlines()[1:] == [
        "2 salariés retenus, 0 exclu, 0 erreur, 2 avertissements.",
        "Avertissements :",
        "  Ligne 2, colonne « Date de retour » : la date de retour (02/10/2025) est antérieure "
        "au début de l'absence (03/11/2025) ; l'une des deux dates est fausse." + KEPT,
        "  Ligne 3, colonne « Type d'absence » : absence « Arrêt maladie » sans date de début "
        "ni de retour ; absence ignorée. Indiquez la date de début (et la date de retour si le "
        "salarié a repris).",
    ]
    assert json.loads(as_json.output)["problems"] == [
        {
            "row": 2,
            "column": "Date de retour",
            "field": "date_retour_absence",
            "severity": "warning",
            "message": "la date de retour (02/10/2025) est antérieure au début de l'absence "
            "(03/11/2025) ; l'une des deux dates est fausse." + KEPT,
        },
        {
            "row": 3,
            "column": "Type d'absence",
            "field": "type_absence",
            "severity": "warning",
            "message": "absence « Arrêt maladie » sans date de début ni de retour ; absence "
            "ignorée. Indiquez la date de début (et la date de retour si le salarié a repris).",
        },
    ]


# --- the store ----------------------------------------------------------------------------


def test_absence_survives_the_import(read_csv: Callable[..., Roster], store: Store) -> None:
    roster = read_csv(
        [
            person("1", "Congé maternité", "03/11/2025", "02/03/2026"),
            person("2", "Congé parental", "01/09/2025", ""),
            person("3"),
        ]
    )

    store.import_roster(roster, sha256="a", now=datetime(2026, 3, 16, 9))

    assert [e.absence for e in store.current_employees()] == [
        MATERNITY,
        RosterAbsence("conge_parental", date(2025, 9, 1)),
        None,
    ]


def test_a_return_in_a_newer_export_is_an_update_with_history(
    read_csv: Callable[..., Roster], store: Store
) -> None:
    away = read_csv([person("1", "Congé maternité", "03/11/2025", "")])
    back = read_csv([person("1", "Congé maternité", "03/11/2025", "02/03/2026")])

    store.import_roster(away, sha256="a", now=datetime(2026, 1, 5, 9))
    report = store.import_roster(back, sha256="b", now=datetime(2026, 3, 16, 9))

    assert report.updated == {"1": ["date_retour_absence"]}
    assert store.current_employees()[0].absence == MATERNITY
    assert [(h.field, h.old_value, h.new_value) for h in store.history("1")] == [
        ("statut", None, "actif"),
        ("date_retour_absence", None, "2026-03-02"),
    ]


def test_database_without_absence_columns_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "entretien.sqlite3"
    connection = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        connection.executescript(script)
    connection.executescript(
        "INSERT INTO roster_imports VALUES (1, '2026-01-05T09:00:00', 'a.csv', 'a', 1, 0);"
        "INSERT INTO employees (matricule, nom, prenom, date_entree, poste, status, "
        "first_import, last_import) VALUES ('1', 'Roy', 'Léa', '2023-01-09', 'Comptable', "
        "'actif', 1, 1);"
        "PRAGMA user_version = 3;"
    )
    connection.close()

    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.current_employees() == [employee("1", 0)]


# --- the rules ----------------------------------------------------------------------------

LEGAL = LegalSettings()
LAST_INTERVIEW = "02/09/2024"


@pytest.fixture
def sheet_maternity(write_csv: Callable[..., Path]) -> list[Absence]:
    """The same maternity leave as MATERNITY, given by the absences sheet."""
    path = write_csv(
        "absences.csv",
        [
            ["Matricule", "Type d'absence", "Date de début", "Date de retour"],
            ["1", "Congé de maternité", "03/11/2025", "02/03/2026"],
        ],
    )
    return [record.absence for record in read_absences(path, today=TODAY).records]


def _back_from_maternity(read_csv: Callable[..., Roster], store: Store) -> Employee:
    """Léa, back from maternity leave according to the roster, as the reports see her."""
    roster = read_csv(
        [person("1", "Congé maternité", "03/11/2025", "02/03/2026", LAST_INTERVIEW)],
        [*ABSENCE_HEADER, "Dernier EP"],
    )
    store.import_roster(roster, sha256="a", now=datetime(2026, 3, 16, 9))
    return store.current_employees()[0]


def test_return_from_maternity_in_the_roster_calls_for_the_return_interview(
    read_csv: Callable[..., Roster], store: Store, sheet_maternity: list[Absence]
) -> None:
    from_roster = _back_from_maternity(read_csv, store)
    by_roster = assess(EmployeeFacts.from_employee(from_roster), TODAY, LEGAL, headcount=10)
    from_sheet = read_csv([person("1", LAST_INTERVIEW)], ["Dernier EP"]).employees[0]
    by_sheet = assess(
        EmployeeFacts.from_employee(from_sheet, absences=sheet_maternity),
        TODAY,
        LEGAL,
        headcount=10,
    )

    assert by_roster.next_due is not None
    assert (by_roster.next_due.occasion, by_roster.next_due.rule, by_roster.next_due.due) == (
        "retour_conge",
        "EPP-4",
        date(2026, 4, 2),
    )
    assert by_roster.next_due.reason == (
        "retour de congé de maternité le 02/03/2026 : entretien à proposer à la reprise"
    )
    assert by_roster.status == "a_planifier"
    assert (by_roster.obligations, by_roster.history, by_roster.reviews) == (
        by_sheet.obligations,
        by_sheet.history,
        by_sheet.reviews,
    )


def test_same_leave_in_the_roster_and_the_sheet_counts_once(
    read_csv: Callable[..., Roster], store: Store, sheet_maternity: list[Absence]
) -> None:
    from_roster = _back_from_maternity(read_csv, store)

    facts = EmployeeFacts.from_employee(from_roster, absences=sheet_maternity)
    result = assess(facts, TODAY, LEGAL, headcount=10)

    assert facts.absences == (Absence("maternite", date(2025, 11, 3), date(2026, 3, 2)),)
    assert [o.occasion for o in result.obligations].count("retour_conge") == 1


def test_unpaid_leave_in_both_places_is_left_out_of_seniority_once() -> None:
    unpaid = RosterAbsence("sans_solde", date(2022, 1, 3), date(2022, 7, 4))
    sheet = Absence("sans_solde", date(2022, 1, 3), date(2022, 7, 4))
    hired = Employee("1", "Roy", "Léa", date(2020, 1, 6), "Comptable", 0, absence=unpaid)

    both = assess(EmployeeFacts.from_employee(hired, absences=[sheet]), TODAY, LEGAL, 10)
    sheet_only = assess(
        EmployeeFacts.from_employee(
            Employee("1", "Roy", "Léa", date(2020, 1, 6), "Comptable", 0), absences=[sheet]
        ),
        TODAY,
        LEGAL,
        10,
    )

    # 182 days left out once: 8 years of seniority on 06/07/2028, not 06/01/2028 + 364 days.
    assert both.reviews[0].window_start == date(2028, 7, 6)
    assert both.reviews == sheet_only.reviews


def test_roster_gives_the_return_the_sheet_does_not_have_yet() -> None:
    stated = Employee("1", "Roy", "Léa", date(2023, 1, 9), "Comptable", 0, absence=MATERNITY)
    still_away = Absence("maternite", date(2025, 11, 3))
    other = Absence("maladie", date(2024, 1, 8), date(2024, 9, 2), long_sick_leave=True)

    facts = EmployeeFacts.from_employee(stated, absences=[other, still_away])

    assert facts.absences == (other, Absence("maternite", date(2025, 11, 3), date(2026, 3, 2)))


def test_different_leaves_in_the_roster_and_the_sheet_both_count() -> None:
    stated = Employee("1", "Roy", "Léa", date(2023, 1, 9), "Comptable", 0, absence=MATERNITY)
    earlier = Absence("maladie", date(2024, 1, 8), date(2024, 9, 2))

    facts = EmployeeFacts.from_employee(stated, absences=[earlier])

    assert facts.absences == (earlier, Absence("maternite", date(2025, 11, 3), date(2026, 3, 2)))
