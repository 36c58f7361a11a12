"""read_roster: which rows become employees, which are set aside, and every problem."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from factories import REQUIRED_HEADER, ROSTER_DAY, employee

from entretien_forms.config import RosterSettings
from entretien_forms.roster import Employee, Excluded, Problem, Roster, manager_labels, read_roster


def person(matricule: str, *more: str, prenom: str = "Léa") -> list[str]:
    """A CSV row for the default employee, followed by the cells of the extra columns."""
    return [matricule, "Roy", prenom, "01/02/2020", "Comptable", *more]


@pytest.fixture
def read_csv(write_csv: Callable[..., Path]) -> Callable[..., Roster]:
    """``read_csv(rows, extra_header=(), today=ROSTER_DAY, settings=None)``: REQUIRED_HEADER + rows, read."""

    def read(
        rows: Sequence[Sequence[str]],
        extra_header: Sequence[str] = (),
        today: date = ROSTER_DAY,
        settings: RosterSettings | None = None,
    ) -> Roster:
        path = write_csv("salaries.csv", [[*REQUIRED_HEADER, *extra_header], *rows])
        return read_roster(path, today=today, settings=settings)

    return read


# --- rows that are not employees ---------------------------------------------------


def test_blank_rows_are_skipped_in_csv(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv(
        [
            person("1", "à revoir"),
            ["", "", "", "", "", ""],
            ["  ", "\u00a0", "\t", "", "", ""],
            [],
            ["", "", "", "", "", "seulement un commentaire"],  # only an ignored column
            person("2", ""),
        ],
        extra_header=["Commentaire"],
    )

    assert roster.employees == (employee("1", 2), employee("2", 7))
    assert roster.problems == ()


def test_blank_rows_are_skipped_in_xlsx(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "salaries.xlsx",
        [
            [*REQUIRED_HEADER, "Salaire brut"],
            [1, "Roy", "Léa", datetime(2020, 2, 1), "Comptable", 30000],
            [],
            [None, None, None, None, None, None],
            [None, " ", None, None, None, 31000],
            [2, "Roy", "Léa", datetime(2020, 2, 1), "Comptable", 32000],
        ],
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert (roster.employees, roster.problems) == ((employee("1", 2), employee("2", 6)), ())


@pytest.mark.parametrize(
    "total",
    [
        ["Total : 30 salariés", "", "", "", ""],
        ["", "TOTAL GÉNÉRAL", "", "", ""],
        ["Sous-total Ventes", "", "", "", ""],
        ["Effectif total : 2", "", "", "", ""],
        ["Nombre de salariés : 2", "", "", "", ""],
    ],
)
def test_total_line_is_not_an_employee(read_csv: Callable[..., Roster], total: list[str]) -> None:
    roster = read_csv([person("1"), person("2"), total])

    assert (roster.employees, roster.excluded, roster.problems) == (
        (employee("1", 2), employee("2", 3)),
        (),
        (),
    )


def test_header_repeated_mid_file_is_skipped(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("1"), ["", "", "", "", ""], REQUIRED_HEADER, person("2")])

    assert (roster.employees, roster.problems) == ((employee("1", 2), employee("2", 5)), ())


# --- errors: the row is not kept -----------------------------------------------------


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        pytest.param(
            ["1", "", "Léa", "01/02/2020", "Comptable"],
            Problem(2, "Nom", "nom", "error",
                    "cellule vide, alors que le nom est obligatoire ; complétez-la."),
            id="missing-required-value",
        ),
        pytest.param(
            ["1", "Roy", "Léa", "31/02/2020", "Comptable"],
            Problem(2, "Date d'entrée", "date_entree", "error",
                    "date impossible « 31/02/2020 » (format attendu jj/mm/aaaa)."),
            id="impossible-date",
        ),
        pytest.param(
            ["1", "Roy", "Léa", "début 2020", "Comptable"],
            Problem(2, "Date d'entrée", "date_entree", "error",
                    "« début 2020 » n'est pas une date (format attendu jj/mm/aaaa)."),
            id="not-a-date",
        ),
        pytest.param(
            ["1", "Roy", "Léa", "0", "Comptable"],
            Problem(2, "Date d'entrée", "date_entree", "error",
                    "« 0 » n'est pas une date (format attendu jj/mm/aaaa)."),
            id="not-a-serial-number",
        ),
        pytest.param(
            ["1", "Roy", "Léa", "15/08/2025", "Comptable"],
            Problem(2, "Date d'entrée", "date_entree", "error",
                    "date d'entrée dans le futur (15/08/2025), au-delà de la tolérance de "
                    "60 jours ; vérifiez l'année."),
            id="hire-date-beyond-tolerance",
        ),
    ],
)  # fmt: skip
def test_row_error(read_csv: Callable[..., Roster], row: list[str], problem: Problem) -> None:
    roster = read_csv([row, person("2")])

    assert roster.employees == (employee("2", 3),)
    assert roster.excluded == ()
    assert roster.problems == (problem,)
    assert (roster.errors, roster.warnings, roster.has_errors) == ((problem,), (), True)


def test_impossible_date_is_described_with_row_and_column(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv([["1", "Roy", "Léa", "31/02/2020", "Comptable"]])

    assert [p.describe() for p in roster.problems] == [
        "Ligne 2, colonne « Date d'entrée » : date impossible « 31/02/2020 » "
        "(format attendu jj/mm/aaaa)."
    ]


def test_hire_date_within_the_tolerance_is_kept(read_csv: Callable[..., Roster]) -> None:
    # ROSTER_DAY + 60 days is the last accepted date.
    roster = read_csv([["1", "Roy", "Léa", "14/08/2025", "Comptable"]])

    assert roster.employees == (employee("1", 2, date_entree=date(2025, 8, 14)),)
    assert roster.problems == ()


def test_hire_date_tolerance_comes_from_settings(read_csv: Callable[..., Roster]) -> None:
    rows = [["1", "Roy", "Léa", "15/06/2025", "Comptable"], ["2", "Roy", "Léa", "16/06/2025", "X"]]

    roster = read_csv(rows, settings=RosterSettings(future_hire_tolerance_days=0))

    assert roster.employees == (employee("1", 2, date_entree=date(2025, 6, 15)),)
    assert roster.problems == (
        Problem(
            3,
            "Date d'entrée",
            "date_entree",
            "error",
            "date d'entrée dans le futur (16/06/2025), au-delà de la tolérance de 0 jours ; "
            "vérifiez l'année.",
        ),
    )


def test_birth_date_after_hire_date(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("1", "03/04/2021"), person("2", "03/04/1990")], ["Date de naissance"])

    assert roster.employees == (employee("2", 3, date_naissance=date(1990, 4, 3)),)
    assert roster.problems == (
        Problem(
            2,
            "Date de naissance",
            "date_naissance",
            "error",
            "date de naissance (03/04/2021) postérieure à la date d'entrée (01/02/2020) ; "
            "l'une des deux est fausse.",
        ),
    )


def test_last_etat_des_lieux_is_read_with_the_last_interview(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv(
        [person("1", "02/09/2024", "14/03/2022"), person("2", "", "")],
        ["Dernier EP", "Dernier état des lieux"],
    )

    assert roster.columns["date_dernier_etat_des_lieux"] == "Dernier état des lieux"
    assert roster.employees == (
        employee(
            "1",
            2,
            date_dernier_entretien_pro=date(2024, 9, 2),
            date_dernier_etat_des_lieux=date(2022, 3, 14),
        ),
        employee("2", 3),
    )
    assert roster.problems == ()


def test_last_etat_des_lieux_in_the_future_or_before_hire_is_ignored(
    read_csv: Callable[..., Roster],
) -> None:
    header, field, label = (
        "Date du dernier EDL",
        "date_dernier_etat_des_lieux",
        "la date du dernier état des lieux",
    )
    # Hired 01/02/2020; ROSTER_DAY is 15/06/2025.
    roster = read_csv(
        [person("1", "16/06/2025"), person("2", "31/01/2020"), person("3", "15/06/2025")],
        [header],
    )

    assert roster.employees == (
        employee("1", 2),
        employee("2", 3),
        employee("3", 4, **{field: date(2025, 6, 15)}),
    )
    assert roster.problems == (
        Problem(
            2,
            header,
            field,
            "warning",
            f"{label} est dans le futur (16/06/2025) : indiquez le dernier entretien déjà "
            "tenu, pas le prochain. Date ignorée.",
        ),
        Problem(
            3,
            header,
            field,
            "warning",
            f"{label} (31/01/2020) est antérieure à la date d'entrée (01/02/2020) : un "
            "entretien d'un contrat précédent ne compte pas ; vérifiez les deux dates. "
            "Date ignorée.",
        ),
    )
    assert not roster.has_errors


def test_duplicate_matricule_keeps_the_first_row(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("7"), person("8"), person("7", prenom="Marc")])

    assert roster.employees == (employee("7", 2), employee("8", 3))
    assert roster.problems == (
        Problem(
            4,
            "Matricule",
            "matricule",
            "error",
            "matricule « 7 » déjà utilisé ligne 2 ; cette ligne est écartée. "
            "Corrigez le matricule en double.",
        ),
    )


def test_bad_optional_date_is_an_error_too(read_csv: Callable[..., Roster]) -> None:
    roster = read_csv([person("1", "32/01/2024")], ["Date de sortie"])

    assert roster.employees == ()
    assert roster.problems == (
        Problem(
            2,
            "Date de sortie",
            "date_sortie",
            "error",
            "date impossible « 32/01/2024 » (format attendu jj/mm/aaaa).",
        ),
    )


def test_every_problem_of_a_row_is_reported_in_column_order(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv(
        [
            person("1"),
            ["2", "", "Léa", "31/02/2020", "Comptable", "lea@", "oui"],
            ["", "Roy", "", "01/02/2020", "", "", ""],
        ],
        ["E-mail", "Temps partiel"],
    )

    assert [p.describe() for p in roster.problems] == [
        "Ligne 3, colonne « Nom » : cellule vide, alors que le nom est obligatoire ; complétez-la.",
        "Ligne 3, colonne « Date d'entrée » : date impossible « 31/02/2020 » "
        "(format attendu jj/mm/aaaa).",
        "Ligne 3, colonne « E-mail » : adresse e-mail mal formée « lea@ » ; elle est ignorée, "
        "corrigez-la.",
        "Ligne 4, colonne « Matricule » : cellule vide, alors que le matricule est obligatoire ; "
        "complétez-la.",
        "Ligne 4, colonne « Prénom » : cellule vide, alors que le prénom est obligatoire ; "
        "complétez-la.",
        "Ligne 4, colonne « Poste » : cellule vide, alors que le poste est obligatoire ; "
        "complétez-la.",
    ]
    assert roster.employees == (employee("1", 2),)
    assert (len(roster.errors), len(roster.warnings)) == (5, 1)


# --- warnings: the row is kept, or set aside with a reason ----------------------------


@pytest.mark.parametrize(
    ("column", "field", "cell", "kept", "message"),
    [
        pytest.param("E-mail", "email", "lea.roy@exemple", {"email": None},
                     "adresse e-mail mal formée « lea.roy@exemple » ; elle est ignorée, "
                     "corrigez-la.", id="malformed-email"),
        pytest.param("Mail responsable", "email_manager", "chef chez exemple.fr",
                     {"email_manager": None},
                     "adresse e-mail mal formée « chef chez exemple.fr » ; elle est ignorée, "
                     "corrigez-la.", id="malformed-manager-email"),
        pytest.param("Responsable", "manager", "Paul Inconnu", {"manager": "Paul Inconnu"},
                     "responsable « Paul Inconnu » introuvable parmi les salariés (ni matricule, "
                     "ni nom) ; le salarié est gardé sans responsable.", id="unknown-manager"),
        pytest.param("Type de contrat", "type_contrat", "Freelance", {"type_contrat": "Freelance"},
                     "type de contrat « Freelance » non reconnu (CDI, CDD, apprentissage, "
                     "professionnalisation, intérim) ; gardé tel quel.", id="unknown-contract"),
        pytest.param("Temps partiel", "temps_partiel", "parfois", {"temps_partiel": None},
                     "« parfois » : indiquez Oui ou Non, ou un taux d'activité (80 %).",
                     id="unreadable-part-time"),
    ],
)  # fmt: skip
def test_warning_keeps_the_employee(
    read_csv: Callable[..., Roster],
    column: str,
    field: str,
    cell: str,
    kept: dict[str, object],
    message: str,
) -> None:
    roster = read_csv([person("1", cell)], [column])

    assert roster.employees == (employee("1", 2, **kept),)
    assert roster.problems == (Problem(2, column, field, "warning", message),)
    assert roster.columns[field] == column
    assert (roster.errors, roster.has_errors) == ((), False)


@pytest.mark.parametrize(
    ("contract", "reason"),
    [
        ("Intérim", "intérimaire : salarié de l'agence d'intérim, pas de l'entreprise ; "
                    "ligne exclue des entretiens."),
        ("Travail temporaire", "intérimaire : salarié de l'agence d'intérim, pas de "
                               "l'entreprise ; ligne exclue des entretiens."),
        ("Stage", "stagiaire : pas salarié de l'entreprise ; ligne exclue des entretiens."),
        ("Convention de stage",
         "stagiaire : pas salarié de l'entreprise ; ligne exclue des entretiens."),
    ],
)  # fmt: skip
def test_temps_and_interns_are_excluded(
    read_csv: Callable[..., Roster], contract: str, reason: str
) -> None:
    roster = read_csv([person("1", "CDI"), person("2", contract, prenom="Marc")], ["Contrat"])

    assert roster.employees == (employee("1", 2, type_contrat="CDI"),)
    assert roster.excluded == (Excluded(3, "2", "Marc Roy", reason),)
    assert roster.problems == (Problem(3, "Contrat", "type_contrat", "warning", reason),)


@pytest.mark.parametrize(
    ("left", "kept"),
    [
        pytest.param("14/06/2025", False, id="yesterday"),
        pytest.param("15/06/2025", True, id="today"),
        pytest.param("30/09/2025", True, id="future"),
    ],
)
def test_departed_employees_are_excluded(
    read_csv: Callable[..., Roster], left: str, kept: bool
) -> None:
    roster = read_csv([person("1", left)], ["Date de sortie"])

    day, month, year = map(int, left.split("/"))
    if kept:
        assert roster.employees == (employee("1", 2, date_sortie=date(year, month, day)),)
        assert (roster.excluded, roster.problems) == ((), ())
    else:
        reason = f"salarié sorti le {left} ; ligne exclue des entretiens."
        assert roster.employees == ()
        assert roster.excluded == (Excluded(2, "1", "Léa Roy", reason, date(year, month, day)),)
        assert roster.problems == (Problem(2, "Date de sortie", "date_sortie", "warning", reason),)


# --- managers --------------------------------------------------------------------------

MANAGER_HEADER = ["Responsable", "Mail responsable", "E-mail"]


def test_managers_are_resolved_by_matricule_name_or_email(
    read_csv: Callable[..., Roster],
) -> None:
    roster = read_csv(
        [
            ["10", "Lefèvre", "Hélène", "01/02/2015", "Directrice", "", "", "h.lefevre@exemple.fr"],
            ["11", "Roy", "Léa", "01/02/2020", "Comptable", "10", "", ""],
            ["12", "Roy", "Marc", "01/02/2020", "Comptable", "Hélène Lefèvre", "", ""],
            ["13", "Roy", "Zoé", "01/02/2020", "Comptable", "LEFEVRE Helene", "", ""],
            ["14", "Roy", "Noé", "01/02/2020", "Comptable", "  lefèvre   hélène ", "", ""],
            ["15", "Roy", "Ana", "01/02/2020", "Comptable", "", "H.Lefevre@Exemple.FR", ""],
            ["16", "Roy", "Eva", "01/02/2020", "Comptable", "", "personne@exemple.fr", ""],
            ["17", "Roy", "Tom", "01/02/2020", "Comptable", "Paul Dubois", "", ""],  # forward
            ["18", "Dubois", "Paul", "01/02/2010", "Directeur", "", "", ""],
        ],
        MANAGER_HEADER,
    )

    assert [(e.matricule, e.manager, e.manager_matricule) for e in roster.employees] == [
        ("10", None, None),
        ("11", "10", "10"),
        ("12", "Hélène Lefèvre", "10"),
        ("13", "LEFEVRE Helene", "10"),
        ("14", "lefèvre hélène", "10"),
        ("15", None, "10"),
        ("16", None, None),  # an unknown manager e-mail is not reported
        ("17", "Paul Dubois", "18"),
        ("18", None, None),
    ]
    assert roster.problems == ()


@pytest.mark.parametrize("written", ["9", "Jean Parti", "PARTI Jean", "parti jean"])
def test_manager_who_left_is_reported_as_excluded(
    read_csv: Callable[..., Roster], written: str
) -> None:
    roster = read_csv(
        [
            ["9", "Parti", "Jean", "01/02/2010", "Directeur", "", "31/12/2024"],
            ["10", "Roy", "Léa", "01/02/2020", "Comptable", written, ""],
        ],
        ["Responsable", "Date de sortie"],
    )

    assert roster.employees == (employee("10", 3, manager=written),)
    assert [p.describe() for p in roster.problems] == [
        "Ligne 2, colonne « Date de sortie » : salarié sorti le 31/12/2024 ; ligne exclue des "
        "entretiens.",
        f"Ligne 3, colonne « Responsable » : responsable « {written} » exclu de la liste "
        "(sorti ou intérimaire) ; le salarié est gardé sans responsable, indiquez son nouveau "
        "responsable.",
    ]


def test_namesake_managers_are_labelled_with_their_matricule() -> None:
    """Two « Martin Dupont » manage two teams: whoever reads a Responsable column must tell."""

    def person(matricule: str, nom: str, prenom: str, manager: str | None = None) -> Employee:
        return Employee(
            matricule=matricule,
            nom=nom,
            prenom=prenom,
            date_entree=date(2020, 1, 6),
            poste="Technicien",
            manager_matricule=manager,
            row=2,
        )

    people = [
        person("M010", "Dupont", "Martin"),
        person("M020", "Dupont", "Martin"),
        person("M030", "Petit", "Zoé"),
        person("S1", "Roy", "Léa", "M010"),
        person("S2", "Noël", "Marc", "M020"),
        person("S3", "Faure", "Inès", "M030"),
        person("S4", "Dupont", "Martin", "M030"),  # a namesake who manages nobody
    ]

    assert manager_labels(people) == {
        "M010": "",
        "M020": "",
        "M030": "",
        "S1": "Martin Dupont (M010)",
        "S2": "Martin Dupont (M020)",
        "S3": "Zoé Petit",
        "S4": "Zoé Petit",
    }
