"""read_roster: how one cell becomes a value (text, dates, matricules, flags, contracts)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from factories import ROSTER_DAY

from entretien_forms.roster import Employee, Problem, Roster, read_roster

DEFAULTS: dict[str, object] = {
    "Matricule": "7",
    "Nom": "Roy",
    "Prénom": "Léa",
    "Date d'entrée": "01/02/2020",
    "Poste": "Comptable",
}


def one_row(
    write: Callable[..., Path], name: str, cells: dict[str, object], today: date = ROSTER_DAY
) -> Roster:
    """Read a file holding one employee: the default cells, overridden or extended by ``cells``."""
    row = {**DEFAULTS, **cells}
    return read_roster(write(name, [list(row), list(row.values())]), today=today)


def only_employee(roster: Roster) -> Employee:
    assert roster.problems == ()
    (employee,) = roster.employees
    return employee


def test_names_are_trimmed_nfc_normalised_and_spaces_collapsed(
    write_csv: Callable[..., Path],
) -> None:
    roster = one_row(
        write_csv,
        "salaries.csv",
        {
            "Nom": "  Dupont\u00a0 de\u00a0la\tTour ",
            "Prénom": "Ame\u0301lie",  # decomposed é, as macOS writes it
            "Poste": "Chargée\u202fde   mission",
        },
    )

    employee = only_employee(roster)
    assert (employee.nom, employee.prenom, employee.poste) == (
        "Dupont de la Tour",
        "Amélie",
        "Chargée de mission",
    )
    assert employee.prenom == unicodedata.normalize("NFC", "Amélie")
    assert len(employee.prenom) == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("04/03/2021", date(2021, 3, 4)),
        ("4/3/2021", date(2021, 3, 4)),
        (" 04/03/2021 ", date(2021, 3, 4)),
        ("04.03.2021", date(2021, 3, 4)),
        ("04-03-2021", date(2021, 3, 4)),
        ("4/3/21", date(2021, 3, 4)),
        ("31/12/26", date(2026, 12, 31)),  # up to next year: this century
        ("01/01/27", date(1927, 1, 1)),  # beyond next year: the last century
        ("04/03/2021 10:30", date(2021, 3, 4)),
        ("04/03/2021 10h30", date(2021, 3, 4)),
        ("2021-03-04", date(2021, 3, 4)),
        ("2021-03-04 10:30:00", date(2021, 3, 4)),
        ("2021-03-04T10:30:00.123", date(2021, 3, 4)),
        ("3 mars 2021", date(2021, 3, 3)),
        ("1er mars 2021", date(2021, 3, 1)),
        ("15 AOÛT 2021", date(2021, 8, 15)),
        ("2 févr. 2021", date(2021, 2, 2)),
        ("44197", date(2021, 1, 1)),  # Excel serial number exported as text
        ("44197.0", date(2021, 1, 1)),
    ],
)
def test_csv_date_formats(write_csv: Callable[..., Path], text: str, expected: date) -> None:
    roster = one_row(write_csv, "salaries.csv", {"Dernier entretien annuel": text})

    assert only_employee(roster).date_dernier_entretien_annuel == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(datetime(2021, 3, 4), date(2021, 3, 4), id="excel-date"),
        pytest.param(datetime(2021, 3, 4, 17, 45), date(2021, 3, 4), id="excel-date-and-time"),
        pytest.param(44197, date(2021, 1, 1), id="serial-number"),
        pytest.param(44197.75, date(2021, 1, 1), id="serial-with-time"),
        pytest.param("04/03/2021", date(2021, 3, 4), id="text"),
    ],
)
def test_xlsx_date_cells(write_xlsx: Callable[..., Path], cell: object, expected: date) -> None:
    roster = one_row(write_xlsx, "salaries.xlsx", {"Date d'entrée": cell})

    assert only_employee(roster).date_entree == expected


def test_two_digit_years_around_today(write_csv: Callable[..., Path]) -> None:
    roster = one_row(
        write_csv,
        "salaries.csv",
        {"Date d'entrée": "01/09/25", "Date de naissance": "12/05/65"},
        today=date(2025, 9, 15),
    )

    employee = only_employee(roster)
    assert (employee.date_entree, employee.date_naissance) == (date(2025, 9, 1), date(1965, 5, 12))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(1042.0, "1042", id="float"),
        pytest.param(1042, "1042", id="int"),
        pytest.param("00123", "00123", id="text-leading-zeros"),
        pytest.param(" M-001 ", "M-001", id="text-trimmed"),
    ],
)
def test_xlsx_matricule(write_xlsx: Callable[..., Path], cell: object, expected: str) -> None:
    roster = one_row(write_xlsx, "salaries.xlsx", {"Matricule": cell})

    assert only_employee(roster).matricule == expected


def test_csv_matricule_keeps_leading_zeros(write_csv: Callable[..., Path]) -> None:
    roster = one_row(write_csv, "salaries.csv", {"Matricule": "00123", "Responsable": "00123"})

    employee = only_employee(roster)
    assert (employee.matricule, employee.manager_matricule) == ("00123", "00123")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oui", True),
        ("oui", True),
        ("O", True),
        ("X", True),
        ("x", True),
        ("Temps partiel", True),
        ("Non", False),
        ("N", False),
        ("Temps plein", False),
        ("TEMPS COMPLET", False),
        ("80 %", True),
        ("80%", True),
        ("0.8", True),
        ("0,8", True),
        ("100", False),
        ("100 %", False),
        ("", None),
    ],
)
def test_csv_part_time(write_csv: Callable[..., Path], text: str, expected: bool | None) -> None:
    roster = one_row(write_csv, "salaries.csv", {"Temps partiel": text})

    assert only_employee(roster).temps_partiel is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(0.8, True), (0.5, True), (1, False), (80, True), (100, False), ("Oui", True)],
)
def test_xlsx_activity_rate(write_xlsx: Callable[..., Path], cell: object, expected: bool) -> None:
    roster = one_row(write_xlsx, "salaries.xlsx", {"Taux d'activité": cell})

    assert only_employee(roster).temps_partiel is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CDI", "CDI"),
        (" cdi ", "CDI"),
        ("Contrat à durée indéterminée", "CDI"),
        ("CDD", "CDD"),
        ("Contrat à durée déterminée", "CDD"),
        ("Apprenti", "apprentissage"),
        ("Contrat d'apprentissage", "apprentissage"),
        ("Alternance", "apprentissage"),
        ("Contrat de professionnalisation", "professionnalisation"),
        ("Contrat pro", "professionnalisation"),
    ],
)
def test_contract_types(write_csv: Callable[..., Path], text: str, expected: str) -> None:
    roster = one_row(write_csv, "salaries.csv", {"Type de contrat": text})

    assert only_employee(roster).type_contrat == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lea.roy@exemple.fr", "lea.roy@exemple.fr"),
        (" Lea.Roy@Exemple.FR ", "Lea.Roy@Exemple.FR"),
        ("mailto:lea.roy@exemple.fr", "lea.roy@exemple.fr"),
        ("lea+rh@sous.domaine.exemple.com", "lea+rh@sous.domaine.exemple.com"),
    ],
)
def test_valid_emails(write_csv: Callable[..., Path], text: str, expected: str) -> None:
    roster = one_row(write_csv, "salaries.csv", {"E-mail": text, "Mail responsable": text})

    employee = only_employee(roster)
    assert (employee.email, employee.email_manager) == (expected, expected)


def test_date_cell_in_a_text_column_reads_as_french_date(write_xlsx: Callable[..., Path]) -> None:
    roster = one_row(write_xlsx, "salaries.xlsx", {"Poste": datetime(2021, 3, 4)})

    assert only_employee(roster).poste == "04/03/2021"


def test_boolean_cell_reads_as_oui_non(write_xlsx: Callable[..., Path]) -> None:
    roster = one_row(write_xlsx, "salaries.xlsx", {"Temps partiel": True, "Service": False})

    employee = only_employee(roster)
    assert (employee.temps_partiel, employee.service) == (True, "non")


def test_problem_describe_and_as_dict() -> None:
    problem = Problem(
        12,
        "Date d'entrée",
        "date_entree",
        "error",
        "date impossible « 31/02/2020 » (format attendu jj/mm/aaaa).",
    )

    assert problem.describe() == (
        "Ligne 12, colonne « Date d'entrée » : date impossible « 31/02/2020 » "
        "(format attendu jj/mm/aaaa)."
    )
    assert problem.as_dict() == {
        "row": 12,
        "column": "Date d'entrée",
        "field": "date_entree",
        "severity": "error",
        "message": "date impossible « 31/02/2020 » (format attendu jj/mm/aaaa).",
    }


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem(3, None, None, "warning", "ligne ignorée."), "Ligne 3 : ligne ignorée."),
        (Problem(None, "Nom", "nom", "warning", "vide."), "colonne « Nom » : vide."),
        (Problem(None, None, None, "error", "fichier vide."), "Fichier vide."),
    ],
)
def test_problem_describe_without_row_or_column(problem: Problem, text: str) -> None:
    assert problem.describe() == text
