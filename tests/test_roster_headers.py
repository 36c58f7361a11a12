"""read_roster: finding the header row and mapping its columns onto fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from factories import ROSTER_DAY, employee

from entretien_forms.errors import RosterError
from entretien_forms.roster import Problem, read_roster
from entretien_forms.roster.model import FIELDS
from entretien_forms.roster.tables import SYNONYMS, loose_key, match_field
from entretien_forms.text import fold

REQUIRED = ["Matricule", "Nom", "Prénom", "Date d'entrée", "Poste"]
EXPECTED_COLUMNS = (
    "colonnes obligatoires : Matricule, Nom, Prénom, Date d'entrée, Poste ; facultatives : "
    "E-mail, Date de naissance, Service, Manager, Mail responsable, Type de contrat, "
    "Temps partiel, Date de sortie, Date dernier entretien professionnel, "
    "Date dernier état des lieux, Date dernier entretien annuel, Type d'absence, "
    "Date de début d'absence, Date de retour, Date de fin d'absence"
)


# --- where the header is --------------------------------------------------------


@pytest.fixture
def titled_roster_xlsx(write_xlsx: Callable[..., Path]) -> Path:
    """A title merged over A1:F1, two blank rows, the header on row 4, a blank row 6."""
    return write_xlsx(
        "salaries.xlsx",
        [
            ["Export du personnel — Horizon SAS, édité le 02/06/2025"],
            [],
            [],
            [*REQUIRED, "Service"],
            [7, "Roy", "Léa", datetime(2020, 2, 1), "Comptable", "Finance"],
            [],
            [8, "Roy", "Marc", "31/02/2020", "Comptable", "Finance"],
            [9, "Roy", "Zoé", "01/02/2020", "Comptable", None],
        ],
        merged=["A1:F1"],
    )


def test_header_under_title_rows_in_xlsx(titled_roster_xlsx: Path) -> None:
    roster = read_roster(titled_roster_xlsx, today=ROSTER_DAY)

    assert (roster.sheet, roster.header_row) == ("Salariés", 4)
    assert roster.employees == (
        employee("7", 5, service="Finance"),
        employee("9", 8, prenom="Zoé"),
    )
    # Row numbers are Excel's, counting the title and the blank rows.
    assert [p.describe() for p in roster.problems] == [
        "Ligne 7, colonne « Date d'entrée » : date impossible « 31/02/2020 » "
        "(format attendu jj/mm/aaaa)."
    ]


def test_header_under_title_lines_in_csv(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "salaries.csv",
        [
            ["Export du personnel - Horizon SAS - édité le 02/06/2025", "", "", "", ""],
            [],
            REQUIRED,
            ["7", "Roy", "Léa", "01/02/2020", "Comptable"],
            ["8", "Roy", "Marc", "pas de date", "Comptable"],
        ],
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.header_row == 3
    assert roster.employees == (employee("7", 4),)
    assert roster.problems == (
        Problem(
            5,
            "Date d'entrée",
            "date_entree",
            "error",
            "« pas de date » n'est pas une date (format attendu jj/mm/aaaa).",
        ),
    )


@pytest.mark.parametrize(("title_lines", "found"), [(29, True), (30, False)])
def test_header_is_searched_in_the_first_30_rows(
    write_csv: Callable[..., Path], title_lines: int, found: bool
) -> None:
    path = write_csv(
        "salaries.csv",
        [[f"Titre {n}"] for n in range(title_lines)]
        + [REQUIRED, ["7", "Roy", "Léa", "01/02/2020", "Comptable"]],
    )

    if found:
        assert read_roster(path, today=ROSTER_DAY).employees == (employee("7", 31),)
    else:
        with pytest.raises(RosterError, match="aucune ligne d'en-tête reconnue"):
            read_roster(path, today=ROSTER_DAY)


def test_roster_on_the_second_sheet(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "salaries.xlsx",
        sheets=[
            ("Notes", [["Liste arrêtée au 15/06/2025"], ["Voir l'onglet suivant"]]),
            ("Effectif", [REQUIRED, [7, "Roy", "Léa", datetime(2020, 2, 1), "Comptable"]]),
        ],
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert (roster.sheet, roster.header_row, roster.employees) == (
        "Effectif",
        1,
        (employee("7", 2),),
    )


def test_sheet_with_the_most_recognised_columns_wins(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "salaries.xlsx",
        sheets=[
            ("Organigramme", [["Nom", "Prénom", "Service"], ["Roy", "Léa", "Finance"]]),
            ("Effectif", [REQUIRED, [7, "Roy", "Léa", datetime(2020, 2, 1), "Comptable"]]),
        ],
    )

    assert read_roster(path, today=ROSTER_DAY).sheet == "Effectif"


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_skipped(write_xlsx: Callable[..., Path], state: str) -> None:
    # The hidden sheet names more fields: it would win if it were read.
    path = write_xlsx(
        "salaries.xlsx",
        sheets=[
            (
                "Ancienne liste",
                [[*REQUIRED, "Service", "E-mail"], [1, "Vieux", "Jean", "01/01/2001", "X", "", ""]],
            ),
            ("Effectif", [REQUIRED, [7, "Roy", "Léa", datetime(2020, 2, 1), "Comptable"]]),
        ],
        states={"Ancienne liste": state},
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert (roster.sheet, roster.employees) == ("Effectif", (employee("7", 2),))


def test_roster_only_on_a_hidden_sheet_is_not_found(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "salaries.xlsx",
        sheets=[
            ("Accueil", [["Bienvenue"]]),
            ("Effectif", [REQUIRED, [7, "Roy", "Léa", datetime(2020, 2, 1), "Comptable"]]),
        ],
        states={"Effectif": "hidden"},
    )

    with pytest.raises(RosterError) as caught:
        read_roster(path, today=ROSTER_DAY)

    assert str(caught.value) == (
        "salaries.xlsx : aucune ligne d'en-tête reconnue dans les 30 premières lignes d'aucune "
        f"feuille. Nous cherchons les {EXPECTED_COLUMNS}. Renommez les colonnes de votre export "
        "ou ajoutez une ligne d'en-tête."
    )


# --- header not usable ------------------------------------------------------------


def test_no_recognisable_header(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "export.csv",
        [["Code", "Libellé", "Montant"], ["A1", "Loyer", "1200"], ["A2", "Électricité", "80"]],
    )

    with pytest.raises(RosterError) as caught:
        read_roster(path, today=ROSTER_DAY)

    assert str(caught.value) == (
        "export.csv : aucune ligne d'en-tête reconnue dans les 30 premières lignes. Nous "
        f"cherchons les {EXPECTED_COLUMNS}. Renommez les colonnes de votre export ou ajoutez "
        "une ligne d'en-tête."
    )


def test_missing_required_column_is_named(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "salaries.csv",
        [["Matricule", "Nom", "Prénom", "Date d'entrée", "Service"], ["7", "Roy", "Léa", "", ""]],
    )

    with pytest.raises(RosterError) as caught:
        read_roster(path, today=ROSTER_DAY)

    assert str(caught.value) == (
        "salaries.csv, CSV séparé par « ; », ligne 1 : colonne(s) obligatoire(s) "
        "introuvable(s) : le poste (par exemple « Poste », « Intitulé du poste », "
        "« Intitulé de poste », « Emploi »). Ajoutez-les ou renommez les colonnes existantes."
    )


def test_every_missing_required_column_is_named(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "salaries.xlsx", [["Titre"], ["Nom", "Prénom", "Service", "E-mail"], ["Roy", "Léa"]]
    )

    with pytest.raises(RosterError) as caught:
        read_roster(path, today=ROSTER_DAY)

    assert str(caught.value) == (
        "salaries.xlsx, feuille « Salariés », ligne 2 : colonne(s) obligatoire(s) "
        "introuvable(s) : le matricule (par exemple « Matricule », « N° matricule », "
        "« Numéro de matricule », « Mat. ») ; la date d'entrée (par exemple « Date d'entrée », "
        "« Date entrée », « Date d'embauche », « Embauche ») ; le poste (par exemple « Poste », "
        "« Intitulé du poste », « Intitulé de poste », « Emploi »). Ajoutez-les ou renommez les "
        "colonnes existantes."
    )


# --- matching header text -----------------------------------------------------------

BASE = {
    "matricule": ("Matricule", "7"),
    "nom": ("Nom", "Roy"),
    "prenom": ("Prénom", "Léa"),
    "date_entree": ("Date d'entrée", "01/02/2020"),
    "poste": ("Poste", "Comptable"),
}


@pytest.mark.parametrize(
    ("text", "field", "written"),
    [
        ("N° matricule", "matricule", "N° matricule"),
        ("Mat.", "matricule", "Mat."),
        ("MATRICULE", "matricule", "MATRICULE"),
        ("n° de matricule", "matricule", "n° de matricule"),
        ("Numéro du salarié", "matricule", "Numéro du salarié"),
        ("Nom de famille", "nom", "Nom de famille"),
        ("NOM", "nom", "NOM"),
        ("Prénom usuel", "prenom", "Prénom usuel"),
        ("prenom", "prenom", "prenom"),
        ("Date d'embauche", "date_entree", "Date d'embauche"),
        ("Date entrée", "date_entree", "Date entrée"),
        ("DATE  D'ENTREE", "date_entree", "DATE D'ENTREE"),
        ("Date d’entrée", "date_entree", "Date d’entrée"),
        ("date_entree", "date_entree", "date_entree"),
        ("Date d'entrée dans la société", "date_entree", "Date d'entrée dans la société"),
        ("Intitulé du poste", "poste", "Intitulé du poste"),
        ("Emploi", "poste", "Emploi"),
        ("Département", "service", "Département"),
        ("\u00a0Service  ", "service", "Service"),
        ("Responsable hiérarchique", "manager", "Responsable hiérarchique"),
        ("N+1", "manager", "N+1"),
        ("Mail responsable", "email_manager", "Mail responsable"),
        ("Adresse e-mail", "email", "Adresse e-mail"),
        ("Courriel", "email", "Courriel"),
        ("Contrat", "type_contrat", "Contrat"),
        ("Temps partiel (O/N)", "temps_partiel", "Temps partiel (O/N)"),
        ("Taux d'activité", "temps_partiel", "Taux d'activité"),
        ("Date de naissance", "date_naissance", "Date de naissance"),
        ("Date de sortie", "date_sortie", "Date de sortie"),
        ("Dernier EPP", "date_dernier_entretien_pro", "Dernier EPP"),
        ("Dernier état des lieux", "date_dernier_etat_des_lieux", "Dernier état des lieux"),
        ("Date du dernier EDL", "date_dernier_etat_des_lieux", "Date du dernier EDL"),
        ("DERNIER ETAT DES LIEUX RECAPITULATIF", "date_dernier_etat_des_lieux",
         "DERNIER ETAT DES LIEUX RECAPITULATIF"),
        ("Dernier bilan à 6 ans", "date_dernier_etat_des_lieux", "Dernier bilan à 6 ans"),
        ("Date du dernier entretien annuel", "date_dernier_entretien_annuel",
         "Date du dernier entretien annuel"),
    ],
)  # fmt: skip
def test_header_synonyms(
    write_csv: Callable[..., Path], text: str, field: str, written: str
) -> None:
    header = dict(BASE)
    header[field] = (text, header[field][1] if field in BASE else "")
    path = write_csv(
        "salaries.csv",
        [[name for name, _ in header.values()], [value for _, value in header.values()]],
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.columns[field] == written  # as written, spaces cleaned
    assert roster.employees == (employee("7", 2),)
    assert roster.problems == ()


def test_no_synonym_maps_to_two_fields() -> None:
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for field, names in SYNONYMS.items():
        for name in names:
            assert exact.setdefault(fold(name), field) == field, name
            assert loose.setdefault(loose_key(fold(name)), field) == field, name


def test_every_synonym_matches_its_field() -> None:
    assert {f.name for f in FIELDS} == set(SYNONYMS)
    for field, names in SYNONYMS.items():
        for name in names:
            assert match_field(name) == field, name
            assert match_field(name.upper()) == field, name


@pytest.mark.parametrize("text", ["N°", "No", "Numéro", "Salarié", "Salariée", "De", "", " - "])
def test_filler_words_alone_match_no_field(text: str) -> None:
    assert match_field(text) is None


def test_line_number_column_is_not_taken_for_the_matricule(
    write_csv: Callable[..., Path],
) -> None:
    path = write_csv(
        "salaries.csv",
        [
            ["N°", "Salarié", *REQUIRED],
            ["1", "Léa Roy", "7", "Roy", "Léa", "01/02/2020", "Comptable"],
        ],
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.columns["matricule"] == "Matricule"
    assert (roster.employees, roster.problems, roster.ignored_columns) == (
        (employee("7", 2),),
        (),
        2,
    )


def test_duplicated_column_warns_on_the_header_row(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "salaries.csv",
        [
            [*REQUIRED, "E-mail", "Mail"],
            ["7", "Roy", "Léa", "01/02/2020", "Comptable", "lea@exemple.fr", "autre@exemple.fr"],
        ],
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == (employee("7", 2, email="lea@exemple.fr"),)
    assert roster.problems == (
        Problem(
            1,
            "Mail",
            "email",
            "warning",
            "deuxième colonne pour l'e-mail ; seule la colonne « E-mail » est lue.",
        ),
    )
    assert roster.ignored_columns == 1


# --- unknown and extra columns ------------------------------------------------------

IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def roster_with_private_columns_xlsx(write_xlsx: Callable[..., Path]) -> Path:
    """Salary and bank details next to KPI columns a form may ask for."""
    return write_xlsx(
        "salaries.xlsx",
        [
            [*REQUIRED, "Salaire brut", "IBAN", "CA RÉALISÉ", "Taux de closing"],
            [7, "Roy", "Léa", datetime(2020, 2, 1), "Comptable", 41250.5, IBAN, 125000.0, 0.35],
            [8, "Roy", "Marc", datetime(2020, 2, 1), "Comptable", 39999, None, None, "  12 %  "],
        ],
    )


def test_unknown_columns_are_dropped(roster_with_private_columns_xlsx: Path) -> None:
    roster = read_roster(roster_with_private_columns_xlsx, today=ROSTER_DAY)

    assert roster.employees == (employee("7", 2), employee("8", 3, prenom="Marc"))
    assert roster.ignored_columns == 4
    assert set(roster.columns) == {"matricule", "nom", "prenom", "date_entree", "poste"}
    for private in (IBAN, "FR76", "41250", "39999", "125000"):
        assert private not in repr(roster)


def test_extra_columns_are_kept_typed_under_the_requested_name(
    roster_with_private_columns_xlsx: Path,
) -> None:
    roster = read_roster(
        roster_with_private_columns_xlsx,
        today=ROSTER_DAY,
        extra_columns=["CA réalisé", "taux de closing", "Leads générés"],
    )

    assert [e.extra for e in roster.employees] == [
        {"CA réalisé": 125000, "taux de closing": 0.35},
        {"CA réalisé": None, "taux de closing": "12 %"},
    ]
    assert type(roster.employees[0].extra["CA réalisé"]) is int
    assert roster.ignored_columns == 2
    for private in (IBAN, "FR76", "41250", "39999"):
        assert private not in repr(roster)
