"""The optional HR sheets (trainings, absences, top-ups, history): read like the roster."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from factories import TODAY

from entretien_forms.errors import RosterError
from entretien_forms.reports.build import read_hr_sheets
from entretien_forms.reports.sheets import (
    AbsenceRecord,
    HistoryRecord,
    TopUpPayment,
    TrainingRecord,
    absence_kind,
    occasion_of,
    read_absences,
    read_history,
    read_topups,
    read_trainings,
    training_status,
)
from entretien_forms.roster import Problem
from entretien_forms.rules import Absence, AbsenceKind, Interview, Occasion, Training
from entretien_forms.workspace import init_workspace, open_workspace

TRAINING_HEADER = [
    "Matricule",
    "Intitulé de la formation",
    "Date de début",
    "Date de fin",
    "Nb heures",
    "Obligatoire",
    "Certifiante",
    "Coût (€)",
    "Statut",
]


def training(
    matricule: str,
    row: int,
    title: str,
    start: date,
    end: date | None,
    *,
    status: str = "réalisé",
    hours: float | None = None,
    cost: float | None = None,
    **facts: object,
) -> TrainingRecord:
    return TrainingRecord(
        matricule=matricule,
        training=Training(title, start, end, **facts),  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        row=row,
        hours=hours,
        cost=cost,
    )


# --- trainings ---------------------------------------------------------------------


def test_trainings_csv_is_read_whole(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "formations.csv",
        [
            TRAINING_HEADER,
            ["1001", "SST", "02/02/2026", "03/02/2026", "14", "oui", "non", "420", "réalisé"],
            ["1002", "Anglais", "1/3/26", "", "30,5 h", "Non", "OUI", "1 250,50 €", "Planifié"],
            ["1003", "Excel", "2027-01-10", "2027-01-11", "", "non", "", "", "validé"],
        ],
        encoding="cp1252",
    )

    sheet = read_trainings(path, today=TODAY)

    assert sheet.sheet is None and sheet.header_row == 1
    assert sheet.columns == {
        "matricule": "Matricule",
        "title": "Intitulé de la formation",
        "start": "Date de début",
        "end": "Date de fin",
        "hours": "Nb heures",
        "mandatory": "Obligatoire",
        "certifying": "Certifiante",
        "cost": "Coût (€)",
        "status": "Statut",
    }
    assert sheet.records == (
        training(
            "1001", 2, "SST", date(2026, 2, 2), date(2026, 2, 3), hours=14, cost=420, mandatory=True
        ),
        training(
            "1002",
            3,
            "Anglais",
            date(2026, 3, 1),
            None,
            status="planifié",
            hours=30.5,
            cost=1250.5,
            certifying=True,
        ),
        training("1003", 4, "Excel", date(2027, 1, 10), date(2027, 1, 11), status="validé"),
    )
    # A planned training that has started: nothing to report before its end.
    assert sheet.problems == ()
    assert [r.completed for r in sheet.records] == [True, False, False]


def test_trainings_xlsx_under_a_title_row(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "formations.xlsx",
        [
            ["Plan de formation 2026 — suivi RH"],
            [],
            ["Matricule salarié", "Formation", "Du", "Au", "Durée (h)", "Obligatoire (L6321-2)"],
            [
                1001,
                "Habilitation électrique",
                datetime(2025, 5, 12),
                datetime(2025, 5, 14),
                21,
                "x",
            ],
            ["1002", "Bilan de compétences", datetime(2026, 6, 1), None, None, "non"],
            ["Total", None, None, None, 21, None],
        ],
        sheet="Formations",
    )

    sheet = read_trainings(path, today=TODAY)

    assert (sheet.sheet, sheet.header_row) == ("Formations", 3)
    assert sheet.records == (
        training(
            "1001",
            4,
            "Habilitation électrique",
            date(2025, 5, 12),
            date(2025, 5, 14),
            hours=21,
            mandatory=True,
        ),
        # No status column: a training in the past took place; a one-day one without an end.
        training(
            "1002", 5, "Bilan de compétences", date(2026, 6, 1), date(2026, 6, 1), kind="bilan"
        ),
    )
    assert sheet.problems == ()


def test_training_rows_with_problems_are_located(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "formations.csv",
        [
            TRAINING_HEADER,
            ["", "SST", "31/02/2026", "", "", "non", "", "", ""],  # 2: two errors
            ["1001", "SST", "10/03/2026", "09/03/2026", "", "non", "", "", ""],  # 3
            ["1001", "Anglais", "10/03/2026", "", "beaucoup", "peut-être", "", "-5", "bof"],  # 4
            ["1001", "anglais", "10/03/2026", "", "", "non", "", "", ""],  # 5: duplicate of 4
            ["1002", "Excel", "01/02/2026", "02/02/2026", "", "", "", "", "planifié"],  # 6
            ["1003", "Management", "01/02/2027", "", "", "non", "", "", "fait"],  # 7
        ],
    )

    sheet = read_trainings(path, today=TODAY)

    assert sheet.problems == (
        Problem(
            2,
            "Matricule",
            "matricule",
            "error",
            "cellule vide, alors que le matricule est obligatoire ; complétez-la.",
        ),
        Problem(
            2,
            "Date de début",
            "start",
            "error",
            "date impossible « 31/02/2026 » (format attendu jj/mm/aaaa).",
        ),
        Problem(
            3,
            "Date de fin",
            "end",
            "error",
            "date de fin (09/03/2026) antérieure à la date de début (10/03/2026) ; l'une des "
            "deux est fausse.",
        ),
        Problem(
            4,
            "Nb heures",
            "hours",
            "warning",
            "« beaucoup » n'est pas un nombre positif (par exemple 14 ou 1 200,50) ; valeur "
            "ignorée.",
        ),
        Problem(
            4,
            "Obligatoire",
            "mandatory",
            "warning",
            "« peut-être » : indiquez oui ou non ; compté comme non.",
        ),
        Problem(
            4,
            "Coût (€)",
            "cost",
            "warning",
            "« -5 » n'est pas un nombre positif (par exemple 14 ou 1 200,50) ; valeur ignorée.",
        ),
        Problem(
            4,
            "Statut",
            "status",
            "warning",
            "statut « bof » non reconnu (envisagé, validé, planifié, réalisé, annulé) ; "
            "formation comptée comme envisagée, donc pas comme suivie.",
        ),
        Problem(
            5,
            "Intitulé de la formation",
            "title",
            "warning",
            "formation déjà indiquée ligne 4 (même salarié, même intitulé, même date de début) ; "
            "cette ligne est ignorée.",
        ),
        Problem(
            6,
            "Obligatoire",
            "mandatory",
            "warning",
            "cellule vide, donc formation comptée comme non obligatoire, ce qui peut écarter "
            "l'abondement correctif (SAN-1) ; indiquez oui ou non.",
        ),
        Problem(
            6,
            "Statut",
            "status",
            "warning",
            "formation planifiée qui s'est terminée le 02/02/2026 : si elle a eu lieu, indiquez "
            "« réalisé » (sinon elle ne compte pas pour l'état des lieux).",
        ),
        Problem(
            7,
            "Statut",
            "status",
            "warning",
            "formation indiquée réalisée mais qui commence le 01/02/2027, dans le futur ; "
            "vérifiez la date ou le statut.",
        ),
    )
    assert [(r.row, r.status) for r in sheet.records] == [
        (4, "envisagé"),
        (6, "planifié"),
        (7, "réalisé"),
    ]
    assert sheet.has_errors and len(sheet.errors) == 3 and len(sheet.warnings) == 8


# Every usual spelling of HR's statuses: feminine, plural, without accents, "(e)" forms.
STATUS_SPELLINGS = [
    ("Envisagé", "envisagé"),
    ("envisagee", "envisagé"),
    ("Demandée", "envisagé"),
    ("Demandes", "envisagé"),
    ("Souhaitée", "envisagé"),
    ("Proposée", "envisagé"),
    ("A valider", "envisagé"),
    ("À valider", "envisagé"),
    ("En attente de validation", "envisagé"),
    ("En cours de validation", "envisagé"),
    ("Validée", "validé"),
    ("VALIDEES", "validé"),
    ("Validé(e)", "validé"),
    ("Acceptée", "validé"),
    ("Accordée", "validé"),
    ("Approuvées", "validé"),
    ("À planifier", "validé"),  # agreed, no session booked yet
    ("a planifier", "validé"),
    ("Planifiée", "planifié"),
    ("Planifiées", "planifié"),
    ("planifiee", "planifié"),
    ("Planifié(e)s", "planifié"),
    ("Prévue", "planifié"),
    ("Programmée", "planifié"),
    ("En cours", "planifié"),
    ("Inscrit", "planifié"),
    ("Inscrit(e)", "planifié"),
    ("Inscrite", "planifié"),
    ("Inscrits", "planifié"),
    ("Inscrites", "planifié"),
    ("Inscrit(e)s", "planifié"),
    ("Inscrit·e", "planifié"),
    ("Réalisée", "réalisé"),
    ("Réalisées", "réalisé"),
    ("realisee", "réalisé"),
    ("Réalisé(e)", "réalisé"),
    ("Effectuée", "réalisé"),
    ("Terminée", "réalisé"),
    ("Terminé", "réalisé"),
    ("termine", "réalisé"),  # "terminé" without its accent stays itself
    ("Terminés", "réalisé"),
    ("Terminées", "réalisé"),
    ("Suivie", "réalisé"),
    ("Suivies", "réalisé"),
    ("Faite", "réalisé"),
    ("Faites", "réalisé"),
    ("Achevée", "réalisé"),
    ("Réalisée le 12/03/2026", "réalisé"),
    ("Annulée", "annulé"),
    ("Annulé(e)", "annulé"),
    ("Refusée", "annulé"),
    ("Abandonnée", "annulé"),
    ("Supprimée", "annulé"),
    # Several statuses: the most advanced, unless a cancellation comes last.
    ("Validée, planifiée le 12/03", "planifié"),
    ("Réalisée, validée par le manager", "réalisé"),
    ("Inscrit puis annulé", "annulé"),
    ("Annulée puis replanifiée", "planifié"),
]


@pytest.mark.parametrize(("written", "status"), STATUS_SPELLINGS)
def test_training_statuses_are_read_in_every_usual_form(
    write_csv: Callable[..., Path], written: str, status: str
) -> None:
    path = write_csv(
        "formations.csv",
        [["Matricule", "Intitulé", "Début", "Statut"], ["7", "SST", "01/02/2026", written]],
    )

    sheet = read_trainings(path, today=TODAY)

    assert [r.status for r in sheet.records] == [status]
    assert sheet.problems == ()


@pytest.mark.parametrize(
    "written", ["Non réalisée", "Pas encore planifiée", "Planifier", "Réalisable", "bof"]
)
def test_negated_or_unknown_status_is_no_status(written: str) -> None:
    assert training_status(written) is None


def test_negated_status_is_reported_and_not_counted(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "formations.csv",
        [["Matricule", "Intitulé", "Début", "Statut"], ["7", "SST", "01/02/2026", "Non réalisée"]],
    )

    sheet = read_trainings(path, today=TODAY)

    assert [(r.status, r.completed) for r in sheet.records] == [("envisagé", False)]
    assert sheet.problems == (
        Problem(
            2,
            "Statut",
            "status",
            "warning",
            "statut « Non réalisée » non reconnu (envisagé, validé, planifié, réalisé, annulé) ; "
            "formation comptée comme envisagée, donc pas comme suivie.",
        ),
    )


@pytest.mark.parametrize(
    ("title", "written_type", "kind"),
    [
        pytest.param("Bilan de compétences", "", "bilan", id="bilan-from-title"),
        pytest.param("Accompagnement VAE", "", "vae", id="vae-from-title"),
        pytest.param("Anglais", "", "formation", id="formation-by-default"),
        pytest.param(
            "Accompagnement", "Validation des acquis de l'expérience", "vae", id="type-vae"
        ),
        pytest.param("Titre pro", "Contrat d'apprentissage", "apprentissage", id="type-apprenti"),
        pytest.param("Excel", "AFEST", "formation", id="type-afest"),
    ],
)
def test_action_type_from_the_type_column_or_the_title(
    write_csv: Callable[..., Path], title: str, written_type: str, kind: str
) -> None:
    path = write_csv(
        "formations.csv",
        [
            ["Matricule", "Intitulé", "Début", "Type d'action"],
            ["7", title, "01/02/2026", written_type],
        ],
    )

    (record,) = read_trainings(path, today=TODAY).records

    assert record.training.kind == kind


def test_unknown_action_type_is_a_formation_with_a_warning(
    write_csv: Callable[..., Path],
) -> None:
    path = write_csv(
        "formations.csv",
        [
            ["Matricule", "Intitulé", "Début", "Type d'action"],
            ["7", "Visite", "01/02/2026", "Salon"],
        ],
    )

    sheet = read_trainings(path, today=TODAY)

    assert sheet.records[0].training.kind == "formation"
    assert sheet.problems == (
        Problem(
            2,
            "Type d'action",
            "kind",
            "warning",
            "type d'action « Salon » non reconnu (formation, bilan de compétences, VAE, "
            "apprentissage) ; compté comme une formation.",
        ),
    )


def test_second_column_for_a_field_and_repeated_headers(write_csv: Callable[..., Path]) -> None:
    header = ["Matricule", "Intitulé", "Début", "Formation"]
    path = write_csv(
        "formations.csv",
        [
            header,
            ["1", "SST", "01/02/2026", "Secourisme"],
            header,
            ["2", "Excel", "02/02/2026", ""],
        ],
    )

    sheet = read_trainings(path, today=TODAY)

    assert [(r.matricule, r.training.title, r.row) for r in sheet.records] == [
        ("1", "SST", 2),
        ("2", "Excel", 4),
    ]
    assert sheet.problems == (
        Problem(
            1,
            "Formation",
            "title",
            "warning",
            "deuxième colonne pour l'intitulé ; seule la colonne « Intitulé » est lue.",
        ),
    )


def test_trainings_without_a_required_column_are_refused(write_csv: Callable[..., Path]) -> None:
    path = write_csv("formations.csv", [["Matricule", "Intitulé", "Heures"], ["1", "SST", "7"]])

    with pytest.raises(RosterError) as caught:
        read_trainings(path, today=TODAY)

    assert str(caught.value) == (
        "formations.csv, CSV séparé par « ; », ligne 1 : colonne(s) obligatoire(s) "
        "introuvable(s) : la date de début (par exemple « Date de début », « Début », "
        "« Date début »). Ajoutez-les ou renommez les colonnes existantes."
    )


def test_a_file_without_a_header_is_refused(write_csv: Callable[..., Path]) -> None:
    path = write_csv("formations.csv", [["Liste"], ["1", "SST", "01/02/2026"]])

    with pytest.raises(RosterError, match="aucune ligne d'en-tête de formations reconnue"):
        read_trainings(path, today=TODAY)


# --- absences ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Congé maternité", "maternite"),
        ("CONGE DE MATERNITE", "maternite"),
        ("congé parental d'éducation", "conge_parental"),
        ("Congé parental d’éducation", "conge_parental"),  # typographic apostrophe
        ("Temps partiel parental", "temps_partiel_parental"),
        ("Congé de présence parentale", "presence_parentale"),
        ("Congé d'adoption", "adoption"),
        ("Congé supplémentaire de naissance", "conge_naissance"),
        ("Congé proche aidant", "proche_aidant"),
        ("Sabbatique", "sabbatique"),
        ("Mobilité volontaire sécurisée", "mobilite_volontaire"),
        ("Arrêt maladie", "maladie"),
        ("Longue maladie", "maladie"),
        ("Accident du travail", "maladie"),
        ("AT", "maladie"),
        ("Mandat syndical", "mandat_syndical"),
        ("Congé sans solde", "sans_solde"),
        ("Congé de solidarité familiale", "solidarite_familiale"),
        ("Congé paternité", None),
        ("Congé de naissance", None),  # the 3-day leave, not the congé supplémentaire
        ("CP", None),
        ("Mi-temps thérapeutique", None),
    ],
)
def test_absence_types_are_matched_tolerantly(written: str, kind: AbsenceKind | None) -> None:
    assert absence_kind(written) == kind


def test_unknown_absence_type_raises_key_error() -> None:
    with pytest.raises(KeyError):
        absence_kind("Séminaire")


def test_absences_xlsx_under_a_title_row(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx(
        "absences.xlsx",
        [
            ["Absences longues — export du 26/11/2026"],
            ["Mat.", "Motif d'absence", "Date de départ", "Date de reprise", "Arrêt long"],
            ["1001", "Congé maternité", datetime(2026, 3, 2), datetime(2026, 7, 20), None],
            [1002, "Arrêt maladie", datetime(2026, 1, 5), datetime(2026, 5, 4), "oui"],
            ["1003", "Congé parental d'éducation", datetime(2026, 9, 1), None, None],
        ],
        sheet="Absences",
    )

    sheet = read_absences(path, today=TODAY)

    assert (sheet.sheet, sheet.header_row) == ("Absences", 2)
    assert sheet.records == (
        AbsenceRecord(
            "1001", Absence("maternite", date(2026, 3, 2), date(2026, 7, 20)), 3, "Congé maternité"
        ),
        AbsenceRecord(
            "1002",
            Absence("maladie", date(2026, 1, 5), date(2026, 5, 4), long_sick_leave=True),
            4,
            "Arrêt maladie",
        ),
        AbsenceRecord(
            "1003",
            Absence("conge_parental", date(2026, 9, 1)),
            5,
            "Congé parental d'éducation",
        ),
    )
    assert sheet.problems == ()


def test_absence_end_date_is_the_last_day_away(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "absences.csv",
        [
            ["Matricule", "Type", "Début", "Fin"],
            ["1", "Congé sabbatique", "01/01/2026", "30/06/2026"],
        ],
    )

    (record,) = read_absences(path, today=TODAY).records

    assert record.absence == Absence("sabbatique", date(2026, 1, 1), date(2026, 7, 1))


def test_absence_rows_with_problems_are_located(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "absences.csv",
        [
            ["Matricule", "Type d'absence", "Date de début", "Date de retour"],
            ["1", "Séminaire", "01/02/2026", "03/02/2026"],  # 2
            ["2", "Congé paternité", "01/02/2026", "01/03/2026"],  # 3
            ["3", "Congé maternité", "01/06/2026", "01/02/2026"],  # 4
            ["", "", "hier", ""],  # 5
            ["4", "Congé maternité", "01/06/2026", "01/10/2026"],  # 6
            ["4", "congé de maternité", "01/06/2026", ""],  # 7: same leave again
        ],
    )

    sheet = read_absences(path, today=TODAY)

    known = (
        "« congé de maternité », « congé d'adoption », « congé supplémentaire de naissance », "
        "« congé parental d'éducation », « congé de proche aidant », « congé sabbatique », "
        "« période de mobilité volontaire sécurisée », « temps partiel parental », « arrêt "
        "maladie », « mandat syndical », « congé sans solde », « congé de solidarité "
        "familiale », « congé de présence parentale »"
    )
    assert sheet.problems == (
        Problem(
            2,
            "Type d'absence",
            "type",
            "warning",
            f"type d'absence « Séminaire » non reconnu ; ligne ignorée. Types reconnus : {known}.",
        ),
        Problem(
            3,
            "Type d'absence",
            "type",
            "warning",
            "« Congé paternité » n'appelle pas d'entretien professionnel au retour (L6315-1) ; "
            "ligne ignorée.",
        ),
        Problem(
            4,
            "Date de retour",
            "returned",
            "error",
            "la date de retour (01/02/2026) est antérieure au début de l'absence (01/06/2026) ; "
            "l'une des deux dates est fausse.",
        ),
        Problem(
            5,
            "Matricule",
            "matricule",
            "error",
            "cellule vide, alors que le matricule est obligatoire ; complétez-la.",
        ),
        Problem(
            5,
            "Type d'absence",
            "type",
            "error",
            "cellule vide, alors que le type d'absence est obligatoire ; complétez-la.",
        ),
        Problem(
            5,
            "Date de début",
            "start",
            "error",
            "« hier » n'est pas une date (format attendu jj/mm/aaaa).",
        ),
        Problem(
            7,
            "Type d'absence",
            "type",
            "warning",
            "absence déjà indiquée ligne 6 (même salarié, même type, même début) ; cette ligne "
            "est ignorée.",
        ),
    )
    assert [r.row for r in sheet.records] == [6]


def test_topups_paid_are_read_with_their_problems(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "abondements.csv",
        [
            ["Matricule", "Versé le", "Montant versé"],
            ["1", "15/03/2026", "3 000 €"],  # 2
            ["2", "01/12/2026", "3000"],  # 3: not paid yet
            ["", "01/02/2026", ""],  # 4
            ["3", "01/02/2026", "beaucoup"],  # 5: kept, amount ignored
        ],
    )

    sheet = read_topups(path, today=TODAY)

    assert sheet.records == (
        TopUpPayment("1", date(2026, 3, 15), 3000.0, 2),
        TopUpPayment("3", date(2026, 2, 1), None, 5),
    )
    assert [(p.row, p.column, p.severity) for p in sheet.problems] == [
        (3, "Versé le", "error"),
        (4, "Matricule", "error"),
        (5, "Montant versé", "warning"),
    ]
    assert sheet.problems[0].message == (
        "date de versement dans le futur (01/12/2026) ; n'indiquez que les abondements déjà versés."
    )


# --- history of past interviews ------------------------------------------------------


def past(
    matricule: str, row: int, held_on: date, occasion: Occasion, written: str | None
) -> HistoryRecord:
    return HistoryRecord(
        matricule, Interview(held_on, occasion, "historique_rh"), row, written_type=written
    )


def test_history_csv_is_read_whole(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "historique.csv",
        [
            ["Matricule", "Date de l'entretien", "Type d'entretien"],
            ["1001", "12/03/2020", "EP"],
            ["1001", "14/03/2022", "État des lieux récapitulatif"],
            ["1002", "2024-09-02", ""],
            ["00042", "5 mai 2025", "Entretien de retour (congé maternité)"],
        ],
        encoding="cp1252",
    )

    sheet = read_history(path, today=TODAY)

    assert (sheet.sheet, sheet.header_row) == (None, 1)
    assert sheet.columns == {
        "matricule": "Matricule",
        "held_on": "Date de l'entretien",
        "type": "Type d'entretien",
    }
    assert sheet.records == (
        past("1001", 2, date(2020, 3, 12), "periodique", "EP"),
        past("1001", 3, date(2022, 3, 14), "etat_des_lieux", "État des lieux récapitulatif"),
        past("1002", 4, date(2024, 9, 2), "periodique", None),
        past("00042", 5, date(2025, 5, 5), "retour_conge", "Entretien de retour (congé maternité)"),
    )
    assert sheet.problems == ()


def test_history_xlsx_under_a_title_row_without_a_type_column(
    write_xlsx: Callable[..., Path],
) -> None:
    path = write_xlsx(
        "historique.xlsx",
        [
            ["Entretiens professionnels tenus avant 2026"],
            [],
            ["Mat.", "Tenu le", "Commentaire"],
            [1001, datetime(2021, 6, 1), "avec la DRH"],
            ["1002", datetime(2023, 1, 16, 14, 30), None],
        ],
        sheet="Historique",
    )

    sheet = read_history(path, today=TODAY)

    assert (sheet.sheet, sheet.header_row) == ("Historique", 3)
    assert sheet.columns == {"matricule": "Mat.", "held_on": "Tenu le"}
    assert sheet.records == (
        past("1001", 4, date(2021, 6, 1), "periodique", None),
        past("1002", 5, date(2023, 1, 16), "periodique", None),
    )
    assert sheet.problems == ()


INTERVIEW_TYPES = [
    ("EP", "periodique"),
    ("EPP", "periodique"),
    ("ep", "periodique"),
    ("Entretien professionnel", "periodique"),
    ("Entretien de parcours professionnel", "periodique"),
    ("Périodique", "periodique"),
    ("Périodique (tous les 4 ans)", "periodique"),
    ("Entretien annuel et professionnel", "periodique"),
    ("EDL", "etat_des_lieux"),
    ("EP + EDL", "etat_des_lieux"),
    ("État des lieux", "etat_des_lieux"),
    ("Etat des lieux récapitulatif", "etat_des_lieux"),
    ("Bilan à 6 ans", "etat_des_lieux"),
    ("Entretien récapitulatif", "etat_des_lieux"),
    ("EPP état des lieux", "etat_des_lieux"),
    ("Entretien de retour", "retour_conge"),
    ("Retour de congé maternité", "retour_conge"),
    ("Retour de congé parental", "retour_conge"),
    ("EP de retour de congé", "retour_conge"),
    ("Avant congé", "avant_conge"),
    ("Entretien avant le congé", "avant_conge"),
    ("Mi-carrière", "mi_carriere"),
    ("Entretien des 45 ans", "mi_carriere"),
    ("Fin de carrière", "avant_60"),
    ("60 ans", "avant_60"),
    ("Avant 60 ans (fin de carrière)", "avant_60"),
    ("Premier entretien", "premiere_annee"),
    ("1er entretien", "premiere_annee"),
    ("Première année après l'embauche", "premiere_annee"),
    ("Embauche", "premiere_annee"),
]


@pytest.mark.parametrize(("written", "occasion"), INTERVIEW_TYPES)
def test_interview_types_map_to_the_rules_occasions(
    write_csv: Callable[..., Path], written: str, occasion: Occasion
) -> None:
    path = write_csv(
        "historique.csv",
        [["Matricule", "Date", "Type"], ["7", "01/02/2024", written]],
    )

    sheet = read_history(path, today=TODAY)

    assert [r.interview.occasion for r in sheet.records] == [occasion]
    assert sheet.problems == ()


@pytest.mark.parametrize(
    ("answer", "occasion"),
    [
        ("Périodique (tous les 4 ans)", "periodique"),
        ("Retour de congé ou d'absence", "retour_conge"),
        ("Mi-carrière (après la visite médicale des 45 ans)", "mi_carriere"),
        ("Demande du salarié", "periodique"),
        ("Entretien annuel", "periodique"),  # in a returned form, anything unknown is periodic
        (None, "periodique"),
    ],
)
def test_occasion_of_a_form_answer_uses_the_same_vocabulary(
    answer: object, occasion: Occasion
) -> None:
    assert occasion_of(answer) == occasion


def test_history_rows_with_problems_are_located(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "historique.csv",
        [
            ["N° salarié", "Date entretien", "Nature"],
            ["", "31/02/2024", "EP"],  # 2: two errors
            ["1", "15/01/2027", "EP"],  # 3: not held yet
            ["1", "10/03/2025", "Entretien annuel"],  # 4: not a professional interview
            ["1", "11/03/2025", "EAE"],  # 5
            ["1", "12/03/2025", "Entretien d'embauche"],  # 6
            ["2", "01/02/2024", "Point d'étape"],  # 7: unknown, counted as periodic
            ["2", "01/02/2024", "EP"],  # 8: same day as 7
            ["3", "05/06/2022", "EP"],  # 9
            ["03", "05/06/2022", "EDL"],  # 10: same day as 9, the EDL it was
            ["3", "05/06/2022", "Entretien professionnel"],  # 11: and again
        ],
    )

    sheet = read_history(path, today=TODAY)

    not_professional = (
        "n'est pas un entretien professionnel (L6315-1) : ni l'entretien annuel d'évaluation "
        "ni l'entretien d'embauche n'en tiennent lieu ; ligne ignorée."
    )
    assert sheet.problems == (
        Problem(
            2,
            "N° salarié",
            "matricule",
            "error",
            "cellule vide, alors que le matricule est obligatoire ; complétez-la.",
        ),
        Problem(
            2,
            "Date entretien",
            "held_on",
            "error",
            "date impossible « 31/02/2024 » (format attendu jj/mm/aaaa).",
        ),
        Problem(
            3,
            "Date entretien",
            "held_on",
            "error",
            "date de l'entretien dans le futur (15/01/2027) ; n'indiquez que les entretiens "
            "déjà tenus (l'outil calcule les suivants).",
        ),
        Problem(4, "Nature", "type", "warning", f"« Entretien annuel » {not_professional}"),
        Problem(5, "Nature", "type", "warning", f"« EAE » {not_professional}"),
        Problem(6, "Nature", "type", "warning", f"« Entretien d'embauche » {not_professional}"),
        Problem(
            7,
            "Nature",
            "type",
            "warning",
            "type d'entretien « Point d'étape » non reconnu (EP ou entretien professionnel, EDL "
            "ou état des lieux, retour de congé, avant congé, mi-carrière, fin de carrière ou 60 "
            "ans, première année) ; compté comme un entretien professionnel périodique.",
        ),
        Problem(
            8,
            "Date entretien",
            "held_on",
            "warning",
            "entretien déjà indiqué ligne 7 (même salarié, même date) ; cette ligne est ignorée.",
        ),
        Problem(
            10,
            "Date entretien",
            "held_on",
            "warning",
            "entretien déjà indiqué ligne 9 (même salarié, même date) : un seul entretien est "
            "compté, comme état des lieux ; cette ligne est ignorée.",
        ),
        Problem(
            11,
            "Date entretien",
            "held_on",
            "warning",
            "entretien déjà indiqué ligne 9 (même salarié, même date) ; cette ligne est ignorée.",
        ),
    )
    assert sheet.records == (
        past("2", 7, date(2024, 2, 1), "periodique", "Point d'étape"),
        past("3", 9, date(2022, 6, 5), "etat_des_lieux", "EP"),
    )
    assert sheet.has_errors and len(sheet.errors) == 3 and len(sheet.warnings) == 7


def test_history_interview_held_today_is_kept(write_csv: Callable[..., Path]) -> None:
    path = write_csv("historique.csv", [["Matricule", "Date"], ["1", "26/11/2026"]])

    sheet = read_history(path, today=TODAY)

    assert sheet.records == (past("1", 2, TODAY, "periodique", None),)
    assert sheet.problems == ()


def test_history_without_a_date_column_is_refused(write_csv: Callable[..., Path]) -> None:
    path = write_csv("historique.csv", [["Matricule", "Type d'entretien"], ["1", "EP"]])

    with pytest.raises(RosterError) as caught:
        read_history(path, today=TODAY)

    assert str(caught.value) == (
        "historique.csv, CSV séparé par « ; », ligne 1 : colonne(s) obligatoire(s) "
        "introuvable(s) : la date de l'entretien (par exemple « Date de l'entretien », "
        "« Date », « Date entretien »). Ajoutez-les ou renommez les colonnes existantes."
    )


def test_workspace_history_sheet_is_found_at_the_root(
    tmp_path: Path, write_xlsx: Callable[..., Path], write_csv: Callable[..., Path]
) -> None:
    init_workspace(tmp_path)
    write_xlsx(
        "historique.xlsx",
        [["Matricule", "Date de l'entretien", "Type"], ["1", datetime(2022, 3, 14), "EDL"]],
        sheet="Entretiens",
    )
    workspace = open_workspace(tmp_path)

    found = read_hr_sheets(workspace, today=TODAY)
    given = read_hr_sheets(
        workspace,
        today=TODAY,
        history_file=write_csv("autre.csv", [["Matricule", "Date"], ["2", "01/02/2024"]]),
    )

    assert found.history == (past("1", 2, date(2022, 3, 14), "etat_des_lieux", "EDL"),)
    assert [(s.source.name, s.sheet) for s in found.sheets] == [("historique.xlsx", "Entretiens")]
    assert given.history == (past("2", 2, date(2024, 2, 1), "periodique", None),)
    assert (found.trainings, found.absences, found.topups) == ((), (), ())
