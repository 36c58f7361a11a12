"""The compliance workbook, read back with openpyxl: what HR shows the CSE or an inspector.

One small company, as of 26/11/2026, whose expected dates were worked out by
hand from ``shared/legal-rules.md`` (see each employee's comment):

1  Claire Martin, hired 01/02/2010, one interview (01/02/2016, history sheet), manages everyone.
2  Thomas Dubois, hired 01/03/2024, interview returned on a form (10/02/2025).
3  a hostile name, hired 03/11/2025, paper return received 10/11/2026.
4  Zoé Petit, hired 15/01/2026: first interview due within 90 days.
5  Léa Roy, hired 02/02/2026, back from maternity leave on 01/09/2026.
6  Marc Noël, hired 01/03/2017, last interview 01/04/2023, one training done.
7  Inès Faure, hired 01/11/2018, last interview 01/12/2025, état des lieux due 31/10/2027.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import STORE_PATH, TODAY, issued_form, return_of
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from entretien_forms.config import CompanySettings, LegalSettings, Settings
from entretien_forms.reports._workbook import AMBER, BLUE, DATE_FORMAT, EURO_FORMAT, GREEN, RED
from entretien_forms.reports.compliance import (
    COMPLIANCE_FILE_NAME,
    build_compliance_workbook,
    write_compliance_workbook,
)
from entretien_forms.reports.follow_up import occasion_of
from entretien_forms.reports.sheets import (
    AbsenceRecord,
    HistoryRecord,
    TopUpPayment,
    TrainingRecord,
)
from entretien_forms.roster import read_roster
from entretien_forms.rules import Absence, Interview, Training
from entretien_forms.store import IssuedForm, Store, StoredAnswer

CAMPAIGN = "Automne 2026"
HOSTILE = '=HYPERLINK("http://evil.example","clic")'
SETTINGS = Settings(company=CompanySettings(name="Atelier Durand", headcount=60))
ROSTER = [
    [
        "Matricule",
        "Nom",
        "Prénom",
        "Date d'entrée",
        "Poste",
        "Responsable",
        "Service",
        "Dernier entretien professionnel",
    ],
    ["1", "Martin", "Claire", "01/02/2010", "Directrice", "", "Direction", ""],
    ["2", "Dubois", "Thomas", "01/03/2024", "Commercial", "1", "Ventes", ""],
    ["3", HOSTILE, "Eve", "03/11/2025", "Technicienne", "1", "+33 Atelier", ""],
    ["4", "Petit", "Zoé", "15/01/2026", "Comptable", "1", "Gestion", ""],
    ["5", "Roy", "Léa", "02/02/2026", "Acheteuse", "1", "Gestion", ""],
    ["6", "Noël", "Marc", "01/03/2017", "Magasinier", "1", "Atelier", "01/04/2023"],
    ["7", "Faure", "Inès", "01/11/2018", "Soudeuse", "1", "Atelier", "01/12/2025"],
]
TRAININGS = (
    # Matricules as HR types them in its own sheet: leading zeros, no match for "99".
    TrainingRecord("006", Training("Anglais", date(2021, 3, 1), date(2021, 6, 30)), "réalisé", 2),
    TrainingRecord("7", Training("Management", date(2027, 3, 1)), "validé", 3),
    TrainingRecord("7", Training("Soudure TIG", date(2027, 2, 1), mandatory=True), "planifié", 4),
    TrainingRecord("99", Training("Excel", date(2026, 1, 5), date(2026, 1, 6)), "réalisé", 5),
)
ABSENCES = (
    AbsenceRecord(
        "5", Absence("maternite", date(2026, 4, 1), date(2026, 9, 1)), 2, "Congé maternité"
    ),
)


# HR completed employee 1's history: one interview, on 01/02/2016, and none since.
HISTORY = (HistoryRecord("1", Interview(date(2016, 2, 1)), 2, "EP"),)


def _issued(reference: str, matricule: str, kind: str, campaign: str = CAMPAIGN) -> IssuedForm:
    stem = {"4": "Petit-Zoe-4-professionnel"}.get(matricule, f"form-{matricule}-{kind}")
    return issued_form(
        reference,
        matricule,
        kind,
        campaign=campaign,
        docx_path=f"automne-2026/Claire-Martin/{stem}.docx",
    )


@pytest.fixture
def store(tmp_path: Path, write_csv: Callable[..., Path]) -> Iterator[Store]:
    """The company above: roster imported, forms issued, returned and rejected."""
    roster = read_roster(write_csv("salaries.csv", ROSTER), today=TODAY)
    assert roster.problems == ()
    with Store.open(tmp_path / STORE_PATH) as opened:
        opened.import_roster(roster, sha256="x", now=datetime(2026, 9, 1))
        spring = _issued("EP-PRINTEMPS2025-00001", "2", "professionnel", "Printemps 2025")
        current = {
            (m, k): _issued(f"{'EP' if k == 'professionnel' else 'EA'}-AUTOMNE2026-0000{n}", m, k)
            for n, (m, k) in enumerate(
                [
                    ("2", "professionnel"),
                    ("3", "professionnel"),
                    ("4", "professionnel"),
                    ("5", "professionnel"),
                    ("1", "annuel"),
                    ("2", "annuel"),
                ],
                start=1,
            )
        }
        opened.record_issued([spring, *current.values()])
        opened.record_submission(
            return_of(spring, "a", datetime(2025, 2, 14, 10)),
            [
                StoredAnswer("entretien.date", "2025-02-10", "control"),
                StoredAnswer("entretien.occasion", "Première année après l'embauche", "control"),
            ],
            now=datetime(2025, 2, 14, 10),
        )
        opened.record_submission(
            return_of(current["3", "professionnel"], "b", datetime(2026, 11, 10, 8), paper=True),
            [],
            now=datetime(2026, 11, 10, 8),
        )
        opened.record_submission(
            return_of(current["1", "annuel"], "c", datetime(2026, 11, 12, 8)),
            [StoredAnswer("entretien.date", "2026-11-12", "control")],
            now=datetime(2026, 11, 12, 8),
        )
        for at, name, reference in (
            (datetime(2026, 9, 15), "Petit-Zoe-4-professionnel.docx", None),  # before the campaign
            (datetime(2026, 11, 2), "Petit-Zoe-4-professionnel (2).docx", None),
            (datetime(2026, 11, 3), "scan-0001.pdf", None),
            (datetime(2026, 11, 4), "retour.docx", "EP-PRINTEMPS2025-00001"),  # other campaign
            (datetime(2026, 11, 5), "Léa.docx", "EP-AUTOMNE2026-00004"),  # employee 5
        ):
            opened.log_event("rejete", name, now=at, reference=reference, detail="illisible")
        yield opened


def _build(store: Store, settings: Settings = SETTINGS, **kwargs: Any) -> openpyxl.Workbook:
    """The workbook built with these settings, saved and read back as Excel would."""
    kwargs.setdefault("trainings", TRAININGS)
    kwargs.setdefault("absences", ABSENCES)
    kwargs.setdefault("history", HISTORY)
    saved = io.BytesIO()
    build_compliance_workbook(store, settings, campaign=CAMPAIGN, today=TODAY, **kwargs).save(saved)
    return openpyxl.load_workbook(saved)


@pytest.fixture
def workbook(store: Store, tmp_path: Path) -> openpyxl.Workbook:
    """The workbook as HR gets it: saved, then opened again."""
    path = write_compliance_workbook(
        tmp_path,
        store,
        SETTINGS,
        campaign=CAMPAIGN,
        today=TODAY,
        trainings=TRAININGS,
        absences=ABSENCES,
        history=HISTORY,
    )
    return openpyxl.load_workbook(path)


def records(sheet: Worksheet) -> dict[str, dict[str, Any]]:
    """Data rows by matricule, each as header → value (the table stops at the first blank row)."""
    headers = [c.value for c in sheet[1]]
    found: dict[str, dict[str, Any]] = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        found[str(row[0])] = dict(zip(headers, row, strict=True))
    return found


def D(year: int, month: int, day: int) -> datetime:
    """Dates come back from openpyxl as datetimes at midnight."""
    return datetime(year, month, day)


# --- structure ---------------------------------------------------------------------


def test_sheets_headers_and_row_counts(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["Salariés", "État des lieux", "Campagne", "Synthèse"]
    employees = workbook["Salariés"]
    assert [c.value for c in employees[1]] == [
        "Matricule",
        "Nom",
        "Prénom",
        "Service",
        "Responsable",
        "Date d'entrée",
        "Dernier entretien professionnel",
        "Source du dernier entretien",
        "Prochain entretien professionnel",
        "Entretien attendu",
        "Motif de l'échéance",
        "Règle",
        "Prochain état des lieux",
        "Motif de l'état des lieux",
        "Statut",
        "Jours de retard",
        "À vérifier",
        "Formulaire entretien professionnel (Automne 2026)",
        "Formulaire entretien annuel (Automne 2026)",
        "Points d'interprétation (n° en Synthèse)",
        "Remarques",
    ]
    assert employees.max_row == 8
    assert len(records(workbook["État des lieux"])) == 3
    assert workbook["Campagne"]["A1"].value == "Responsable"


def test_every_table_looks_finished(workbook: openpyxl.Workbook) -> None:
    for name in ("Salariés", "État des lieux", "Campagne", "Synthèse"):
        sheet = workbook[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.page_setup.fitToWidth == 1, name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, name
    employees = workbook["Salariés"]
    assert employees.freeze_panes == "D2"
    assert employees.auto_filter.ref == "A1:U8"
    assert employees.column_dimensions["K"].width == 45
    assert employees["K2"].alignment.wrap_text  # long reasons wrap instead of running over
    assert employees["F2"].number_format == DATE_FORMAT
    assert employees["I2"].number_format == DATE_FORMAT
    reviews = workbook["État des lieux"]
    amount = next(c.column_letter for c in reviews[1] if c.value == "Montant")
    assert reviews[f"{amount}2"].number_format == EURO_FORMAT
    assert workbook["Campagne"]["I2"].number_format == "0%"


# --- Salariés ---------------------------------------------------------------------


def test_each_employee_gets_status_dates_and_reason(workbook: openpyxl.Workbook) -> None:
    rows = records(workbook["Salariés"])

    # Late first, most days late first; then to plan; then on time by their next date.
    assert list(rows) == ["1", "6", "5", "4", "7", "2", "3"]
    summary = {
        m: (
            r["Statut"],
            r["Prochain entretien professionnel"],
            r["Entretien attendu"],
            r["Règle"],
            r["Jours de retard"],
            r["Prochain état des lieux"],
        )
        for m, r in rows.items()
    }
    assert summary == {
        # Hired before the 2014 law: first interview due 07/03/2016 (OLD-0), held on
        # 01/02/2016 (history sheet); the next one, due 01/02/2018, fell before the reform.
        # The first état des lieux (6 years counted from 07/03/2014) was deferred to
        # 30/06/2021 (OLD-1).
        "1": (
            "en retard",
            D(2018, 2, 1),
            "entretien professionnel périodique",
            "transition",
            (TODAY - date(2018, 2, 1)).days,
            D(2021, 6, 30),
        ),
        # Last interview 01/04/2023 (roster): the next was due 01/04/2025, before the
        # reform; the état des lieux of 29/02/2024 is apart (and to check, see below).
        "6": (
            "en retard",
            D(2025, 4, 1),
            "entretien professionnel périodique",
            "transition",
            604,
            D(2024, 2, 29),
        ),
        # Back from maternity leave on 01/09/2026: interview within a month (EPP-4).
        "5": ("en retard", D(2026, 10, 1), "entretien de retour", "EPP-4", 56, D(2035, 2, 1)),
        "4": (
            "à planifier",
            D(2027, 1, 15),
            "premier entretien professionnel",
            "EPP-1",
            None,
            D(2035, 1, 14),
        ),
        # Its état des lieux (31/10/2027) comes before its next interview (01/12/2029).
        "7": (
            "à jour",
            D(2029, 12, 1),
            "entretien professionnel périodique",
            "EPP-2",
            None,
            D(2027, 10, 31),
        ),
        # 10/02/2025 + 2 years was still running at the reform: moved to + 4 years.
        "2": (
            "à jour",
            D(2029, 2, 10),
            "entretien professionnel périodique",
            "transition",
            None,
            D(2033, 2, 28),
        ),
        "3": (
            "à jour",
            D(2030, 11, 10),
            "entretien professionnel périodique",
            "EPP-2",
            None,
            D(2034, 11, 2),
        ),
    }
    assert rows["5"]["Motif de l'échéance"] == (
        "retour de congé de maternité le 01/09/2026 : entretien à proposer à la reprise"
    )
    assert rows["2"]["Motif de l'échéance"] == (
        "dernier entretien le 10/02/2025 + 4 ans (échéance de 2 ans encore en cours le "
        "26/10/2025, reportée par la réforme)"
    )
    assert rows["4"]["Motif de l'échéance"] == (
        "embauché le 15/01/2026 : premier entretien dans l'année"
    )
    assert rows["1"]["Motif de l'état des lieux"] == (
        "embauché le 01/02/2010, avant la loi du 5 mars 2014 : 6 ans comptés depuis le "
        "07/03/2014 le 07/03/2020, état des lieux au plus tard le 06/03/2021 (OLD-0) ; "
        "échéance de l'ancien régime dépassée avant la réforme, non reportée ; reportée au "
        "30/06/2021 (crise sanitaire, OLD-1)"
    )
    # What the tool does not know is named, never counted late.
    assert rows["6"]["À vérifier"] == (
        "état des lieux récapitulatif dû le 29/02/2024 : tenue de l'état des lieux inconnue "
        "(historique des entretiens avant le 01/04/2023 inconnu) | premier entretien "
        "professionnel dû le 01/03/2019 : historique des entretiens avant le 01/04/2023 inconnu"
    )
    assert rows["1"]["À vérifier"] is None
    assert rows["2"]["Responsable"] == "Claire Martin"
    assert rows["1"]["Responsable"] == "Sans responsable"


def test_without_history_nothing_is_late_on_a_presumption(store: Store) -> None:
    """Employee 1 without HR's history sheet: never interviewed as far as the tool knows."""
    rows = records(_build(store, history=())["Salariés"])

    row = rows["1"]
    assert (row["Statut"], row["Jours de retard"], row["Prochain entretien professionnel"]) == (
        "à vérifier",
        None,
        D(2016, 3, 7),  # OLD-0: never before the 2014 law's first date
    )
    assert row["À vérifier"].startswith(
        "premier entretien professionnel dû le 07/03/2016 : historique des entretiens avant "
        "le 01/09/2026 inconnu ; au plus tard le 01/09/2030 si un entretien a eu lieu juste "
        "avant | état des lieux récapitulatif dû le 30/06/2021 : tenue de l'état des lieux "
        "inconnue"
    )
    reviews = records(_build(store, history=())["État des lieux"])
    assert (
        reviews["1"]["Situation"],
        reviews["1"]["Entretiens dus tous tenus"],
        reviews["1"]["Abondement correctif"],
        reviews["1"]["Montant"],
    ) == ("à vérifier", "à vérifier", "à vérifier", 0)


def test_last_interview_and_its_source(workbook: openpyxl.Workbook) -> None:
    rows = records(workbook["Salariés"])

    assert {
        m: (r["Dernier entretien professionnel"], r["Source du dernier entretien"])
        for m, r in rows.items()
    } == {
        "1": (D(2016, 2, 1), "historique des entretiens (RH)"),
        "2": (D(2025, 2, 10), "formulaire EP-PRINTEMPS2025-00001"),
        "3": (D(2026, 11, 10), "formulaire EP-AUTOMNE2026-00002 (papier : date de réception)"),
        "4": (None, None),
        "5": (None, None),
        "6": (D(2023, 4, 1), "fichier salariés"),
        "7": (D(2025, 12, 1), "fichier salariés"),
    }
    assert (
        "EP-AUTOMNE2026-00002 : formulaire papier, entretien compté à sa date de réception "
        "(10/11/2026), la date réelle n'étant pas lue sur un scan."
    ) in rows["3"]["Remarques"]


def test_forms_of_the_campaign_per_kind(workbook: openpyxl.Workbook) -> None:
    rows = records(workbook["Salariés"])

    assert {
        m: (
            r["Formulaire entretien professionnel (Automne 2026)"],
            r["Formulaire entretien annuel (Automne 2026)"],
        )
        for m, r in rows.items()
    } == {
        "1": ("non émis", "retourné"),
        "2": ("manquant", "manquant"),
        "3": ("retourné (papier)", "non émis"),
        "4": ("manquant", "non émis"),
        "5": ("manquant", "non émis"),
        "6": ("non émis", "non émis"),
        "7": ("non émis", "non émis"),
    }


def _rules(sheet: Worksheet) -> dict[str, list[tuple[str, str, str | None]]]:
    """Conditional formatting: range → [(operator, formula, fill colour)]."""
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for entry in sheet.conditional_formatting:
        for rule in entry.rules:
            fill = rule.dxf.fill
            colour = fill.bgColor.rgb if fill is not None else None
            found.setdefault(str(entry.sqref), []).append((rule.operator, rule.formula[0], colour))
    return found


def test_status_is_coloured_green_amber_red(workbook: openpyxl.Workbook) -> None:
    rules = _rules(workbook["Salariés"])["O2:O8"]

    assert ("equal", '"en retard"', RED.bgColor.rgb) in rules
    assert ("equal", '"à vérifier"', BLUE.bgColor.rgb) in rules
    assert ("equal", '"à planifier"', AMBER.bgColor.rgb) in rules
    assert ("equal", '"à jour"', GREEN.bgColor.rgb) in rules
    assert _rules(workbook["Salariés"])["R2:S8"] == [("equal", '"manquant"', AMBER.bgColor.rgb)]


def test_hostile_text_stays_text(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["Salariés"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "3")

    assert row[1].value == "'" + HOSTILE
    assert row[1].data_type == "s"
    assert row[3].value == "'+33 Atelier"
    formulas = [
        c.coordinate for ws in workbook for r in ws.iter_rows() for c in r if c.data_type == "f"
    ]
    assert formulas == []


# --- État des lieux -------------------------------------------------------------------


def test_reviews_due_or_late_with_criteria_and_topups(workbook: openpyxl.Workbook) -> None:
    rows = records(workbook["État des lieux"])

    assert list(rows) == ["1", "6", "7"]  # by deadline
    keys = (
        "État des lieux n°",
        "Ancienneté (ans)",
        "À tenir au plus tard le",
        "Situation",
        "Entretiens dus tous tenus",
        "Formation suivie",
        "Dont formation non obligatoire",
        "Certification (formation ou VAE)",
        "Progression salariale ou professionnelle",
        "Abondement correctif",
        "Montant",
        "À verser au plus tard le",
    )
    assert {m: tuple(r[k] for k in keys) for m, r in rows.items()} == {
        # Hired before the 2014 law: 6 years counted from 07/03/2014 (OLD-0), due before 7,
        # deferred to 30/06/2021 (OLD-1). The interview due 01/02/2018 was missed and no
        # training followed: 3,000 €, owed from 01/10/2021 at the earliest (OLD-2), so paid
        # by the end of the quarter after 30/09/2021.
        "1": (
            1,
            6,
            D(2021, 6, 30),
            "en retard",
            "✘",
            "✘",
            "✘",
            "✘",
            "à vérifier",
            "dû",
            3000,
            D(2021, 12, 31),
        ),
        # Due 29/02/2024, before the history known (roster's last interview, 01/04/2023):
        # whether it was held and whether the interviews were is unknown. The English
        # course (2021) was not mandatory: no top-up under the "et" reading, whatever.
        "6": (
            1,
            6,
            D(2024, 2, 29),
            "à vérifier",
            "à vérifier",
            "✔",
            "✔",
            "✘",
            "à vérifier",
            "non dû",
            0,
            None,
        ),
        # 8 years on 01/11/2026 (new regime); the first interview (due 30/06/2021 after
        # the covid deferral) was met by 01/12/2025 only as far as the tool knows: to check,
        # not a top-up to fear.
        "7": (
            1,
            8,
            D(2027, 10, 31),
            "à venir",
            "à vérifier",
            "✘",
            "✘",
            "✘",
            "à vérifier",
            "à vérifier",
            0,
            None,
        ),
    }
    assert rows["7"]["Formation prévue"] == "Management (validé, le 01/03/2027)"
    assert rows["7"]["Entretiens dus non tenus à temps"] is None
    assert rows["1"]["Entretiens dus non tenus à temps"] == (
        "entretien professionnel périodique dû le 01/02/2018"
    )
    assert rows["1"]["Motif"] == (
        "sur 6 ans : des entretiens dus n'ont pas eu lieu et aucune formation non obligatoire ; "
        "les deux conditions réunies (lecture « et ») : abondement de 3\u202f000\u00a0€ au CPF à "
        "verser au plus tard le 31/12/2021 (SAN-1, SAN-2) ; exigible au plus tôt le 01/10/2021 "
        "(OLD-2)"
    )
    assert rows["7"]["Motif"] == (
        "sur 8 ans : aucune formation non obligatoire ; les deux conditions réunies (lecture "
        "« et ») : à vérifier, faute de savoir si les entretiens dus ont été tenus (historique "
        "des entretiens avant le 01/12/2025 inconnu) (SAN-1)"
    )


def test_review_totals_under_the_table(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["État des lieux"]
    amount = next(c.column for c in sheet[1] if c.value == "Montant")

    totals = [
        (sheet.cell(r, 1).value, sheet.cell(r, amount - 1).value, sheet.cell(r, amount).value)
        for r in (6, 7, 8)
    ]

    assert totals == [
        ("Abondements dus (état des lieux tenu ou échu)", 1, 3000),
        # Employee 7's top-up is to check, not to fear: its interview history is unknown.
        ("Abondements à craindre si rien ne change", 0, 0),
        ("Abondements à vérifier (historique ou formations inconnus)", 0, None),
    ]
    assert sheet.auto_filter.ref.endswith("4")  # the totals stay out of the filter


def test_or_reading_owes_a_topup_for_each_failing_review(store: Store) -> None:
    settings = replace(SETTINGS, legal=LegalSettings(topup_trigger="ou"))

    sheet = _build(store, settings)["État des lieux"]
    rows = records(sheet)

    assert {m: (r["Abondement correctif"], r["Montant"]) for m, r in rows.items()} == {
        "1": ("dû", 3000),
        # The training no longer clears it: under « ou » the unknown interviews decide.
        "6": ("à vérifier", 0),
        # No training known: under « ou » that alone will owe it, whatever the interviews.
        "7": ("dû si rien ne change", 3000),
    }
    assert rows["6"]["Motif"] == (
        "tenue de l'état des lieux inconnue (historique des entretiens avant le 01/04/2023 "
        "inconnu) ; sur 6 ans : l'une des deux conditions suffit (lecture « ou ») : à "
        "vérifier, faute de savoir si les entretiens dus ont été tenus (historique des "
        "entretiens avant le 01/04/2023 inconnu) (SAN-1)"
    )
    amount = next(c.column for c in sheet[1] if c.value == "Montant")
    assert [sheet.cell(r, amount - 1).value for r in (6, 7, 8)] == [1, 1, 1]
    assert [sheet.cell(r, amount).value for r in (6, 7, 8)] == [3000, 3000, None]
    # Employee 1's next review (at 14 years from 07/03/2014) will owe one too if nothing
    # changes: no training at all.
    review = next(r for r in _follow_up_reviews(store, settings, "1") if r.number == 2)
    assert (review.due, review.topup.owed, review.provisional) == (date(2029, 3, 6), True, True)


def _follow_up_reviews(store: Store, settings: Settings, matricule: str) -> tuple[Any, ...]:
    from entretien_forms.reports.follow_up import compute_follow_up

    facts = compute_follow_up(
        store, settings, campaign=CAMPAIGN, today=TODAY, trainings=TRAININGS, history=HISTORY
    )
    person = next(p for p in facts.people if p.employee.matricule == matricule)
    return person.assessment.reviews


def test_topups_paid_settle_the_earliest_owed_and_leave_the_rest(store: Store) -> None:
    settings = replace(SETTINGS, legal=LegalSettings(topup_trigger="ou"))
    paid = [
        TopUpPayment("6", date(2026, 1, 10), 3000.0, 3),
        TopUpPayment("0001", date(2025, 3, 1), None, 2),  # « 1 » as typed by hand
        TopUpPayment("99", date(2026, 2, 1), 3000.0, 4),  # nobody's
    ]

    workbook = _build(store, settings, topups=paid)
    sheet = workbook["État des lieux"]
    rows = records(sheet)

    # Employee 1 owes one (review n° 1): the payment settles it.
    assert rows["1"]["Abondement correctif"] == "versé le 01/03/2025"
    assert rows["1"]["Autres abondements dus"] is None
    # Employee 6's top-up is to check, not owed: a payment settles nothing and is listed.
    assert rows["6"]["Abondement correctif"] == "à vérifier"
    amount = next(c.column for c in sheet[1] if c.value == "Montant")
    totals = {
        sheet.cell(r, 1).value: (sheet.cell(r, amount - 1).value, sheet.cell(r, amount).value)
        for r in (6, 7, 8, 9)
    }
    assert totals == {
        "Abondements dus (état des lieux tenu ou échu)": (0, 0),
        "Abondements à craindre si rien ne change": (1, 3000),
        "Abondements à vérifier (historique ou formations inconnus)": (1, None),
        "Abondements déjà versés (tableau des abondements)": (1, 3000),
    }
    summary = _summary(workbook)
    assert summary["Abondements correctifs dus"][0] == 0
    assert summary["Montant des abondements correctifs dus"][0] == 0
    assert summary["Abondements correctifs versés"][0] == 1
    assert summary["Montant des abondements correctifs versés"][0] == 3000
    assert summary["Abondements correctifs à vérifier"][0] == 1
    assert summary["Abondements versés lus"][0] == 3
    assert summary["Versements sans abondement dû calculé"] == (
        2,
        "à vérifier (matricule inconnu, état des lieux non échu ou abondement à vérifier) : "
        "6 (10/01/2026), 99 (01/02/2026)",
    )


def test_below_the_headcount_threshold_no_topup(store: Store) -> None:
    small = replace(SETTINGS, company=CompanySettings(headcount=12))

    rows = records(_build(store, small)["État des lieux"])

    assert {m: (r["Abondement correctif"], r["Montant"]) for m, r in rows.items()} == {
        "1": ("non applicable (effectif sous le seuil)", 0),
        "6": ("non applicable (effectif sous le seuil)", 0),
        "7": ("non applicable (effectif sous le seuil)", 0),
    }


# --- Campagne ---------------------------------------------------------------------------


def test_campaign_progress_by_manager(workbook: openpyxl.Workbook) -> None:
    rows = list(workbook["Campagne"].iter_rows(min_row=2, values_only=True))

    assert rows == [
        ("Claire Martin", 4, 5, 1, 1, 0, 4, 2, 0.2),
        ("Sans responsable", 1, 1, 1, 0, 0, 0, 0, 1),
        ("Fichiers non attribués", 0, 0, 0, 0, 0, 0, 1, None),
        (None,) * 9,
        ("Total — campagne « Automne 2026 »", 5, 6, 2, 1, 0, 4, 3, pytest.approx(1 / 3)),
    ]


def test_campaign_sheet_has_a_bar_chart(store: Store, tmp_path: Path) -> None:
    path = write_compliance_workbook(
        tmp_path / COMPLIANCE_FILE_NAME, store, SETTINGS, campaign=CAMPAIGN, today=TODAY
    )

    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        (chart,) = charts
        xml = archive.read(chart).decode("utf-8")
        sheet_rels = archive.read("xl/worksheets/_rels/sheet3.xml.rels").decode("utf-8")
    assert "<barChart>" in xml and '<grouping val="stacked"/>' in xml
    # Returned and missing, per manager: neither unattributed files nor the total.
    assert "<f>'Campagne'!$D$2:$D$3</f>" in xml and "<f>'Campagne'!$G$2:$G$3</f>" in xml
    assert "<f>'Campagne'!$A$2:$A$3</f>" in xml
    assert "drawing" in sheet_rels


# --- Synthèse ------------------------------------------------------------------------------


def _summary(workbook: openpyxl.Workbook) -> dict[str, tuple[Any, Any]]:
    return {
        str(a): (b, c)
        for a, b, c in workbook["Synthèse"].iter_rows(min_col=1, max_col=3, values_only=True)
        if a is not None
    }


def test_headline_figures_for_the_cse(workbook: openpyxl.Workbook) -> None:
    figures = {k: v[0] for k, v in _summary(workbook).items()}

    assert (
        workbook["Synthèse"]["A1"].value == "Suivi des entretiens professionnels — Atelier Durand"
    )
    assert {
        k: figures[k]
        for k in (
            "Salariés suivis",
            "Entretiens professionnels tenus sur les 12 derniers mois",
            "Salariés à jour",
            "Salariés dont l'entretien est à planifier",
            "Salariés en retard",
            "Salariés à vérifier",
            "États des lieux tenus sur les 12 derniers mois",
            "États des lieux en retard",
            "États des lieux à vérifier",
            "Abondements correctifs dus",
            "Montant des abondements correctifs dus",
            "Abondements correctifs à vérifier",
            "Abondements à craindre dans les 12 mois si rien ne change",
            "Montant à craindre dans les 12 mois",
            "Formulaires émis (campagne)",
            "Formulaires retournés (campagne)",
            "Fichiers rejetés (campagne)",
        )
    } == {
        "Salariés suivis": 7,
        # 10/11/2026 (paper, employee 3) and 01/12/2025 (roster, employee 7).
        "Entretiens professionnels tenus sur les 12 derniers mois": 2,
        "Salariés à jour": 3,
        "Salariés dont l'entretien est à planifier": 1,
        "Salariés en retard": 3,
        "Salariés à vérifier": 0,
        "États des lieux tenus sur les 12 derniers mois": 0,
        # Employee 1's (deferred to 30/06/2021); employee 6's may have been held.
        "États des lieux en retard": 1,
        "États des lieux à vérifier": 1,
        "Abondements correctifs dus": 1,
        "Montant des abondements correctifs dus": 3000,
        # Employee 6's is cleared by a training, whatever its unknown interviews.
        "Abondements correctifs à vérifier": 0,
        # Employee 7's depends on interviews the tool does not know: to check, not to fear.
        "Abondements à craindre dans les 12 mois si rien ne change": 0,
        "Montant à craindre dans les 12 mois": 0,
        "Formulaires émis (campagne)": 6,
        "Formulaires retournés (campagne)": 2,
        "Fichiers rejetés (campagne)": 3,
    }


def test_summary_states_date_regime_and_every_legal_setting(
    workbook: openpyxl.Workbook,
) -> None:
    summary = _summary(workbook)

    assert summary["Date de calcul"][0] == D(2026, 11, 26)
    assert summary["Régime"] == (
        "2025",
        "loi n° 2025-989 du 24 octobre 2025 (en vigueur le 26/10/2025)",
    )
    assert summary["Effectif retenu"][0] == 60
    keys = {detail: value for value, detail in summary.values()}
    assert {
        key: keys[key]
        for key in (
            "regime",
            "premier_entretien_mois",
            "periode_entretien_pro_annees",
            "periode_accord_annees",
            "periode_etat_des_lieux_annees",
            "exemption_retour_mois",
            "arret_maladie_long_mois",
            "age_mi_carriere",
            "delai_mi_carriere_mois",
            "age_fin_carriere",
            "seuil_abondement",
            "montant_abondement",
            "declenchement_abondement",
            "bilan_vae_compte_comme_formation",
            "alerte_jours",
        )
    } == {
        "regime": "2025",
        "premier_entretien_mois": 12,
        "periode_entretien_pro_annees": 4,
        "periode_accord_annees": 0,
        "periode_etat_des_lieux_annees": 8,
        "exemption_retour_mois": 12,
        "arret_maladie_long_mois": 6,
        "age_mi_carriere": 45,
        "delai_mi_carriere_mois": 2,
        "age_fin_carriere": 60,
        "seuil_abondement": 50,
        "montant_abondement": 3000,
        "declenchement_abondement": "et",
        "bilan_vae_compte_comme_formation": "non",
        "alerte_jours": 90,
    }
    # The readings the rules flagged, each with the number of employees concerned.
    assert summary["n° 2 — Premier entretien des salariés embauchés avant la réforme"] == (
        1,
        "Déduction, pas une source : pour un salarié embauché avant le 26/10/2025 et sans "
        "entretien, l'échéance retenue est la plus tôt de « embauche + 2 ans » et du 26/10/2026.",
    )
    assert summary["Matricules des fichiers formations ou absences inconnus"] == (
        1,
        "lignes non prises en compte : 99",
    )


def test_former_regime_and_missing_headcount_are_stated(store: Store) -> None:
    settings = Settings(legal=LegalSettings(regime="avant-2025"))

    summary = _summary(_build(store, settings))

    assert summary["Régime"][1] == (
        "avant la réforme (entretien tous les 2 ans, état des lieux tous les 6 ans)"
    )
    assert summary["Effectif retenu"] == (
        0,
        "effectif non renseigné ([entreprise] effectif = 0) : l'abondement correctif n'est "
        "pas calculé ; renseignez l'effectif dans entretien.toml",
    )


# --- inputs and output -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "occasion"),
    [
        ("Périodique (tous les 4 ans)", "periodique"),
        ("Première année après l'embauche", "premiere_annee"),
        ("Retour de congé ou d'absence", "retour_conge"),
        ("Mi-carrière (après la visite médicale des 45 ans)", "mi_carriere"),
        ("Avant 60 ans (fin de carrière)", "avant_60"),
        ("Demande du salarié", "periodique"),
        (None, "periodique"),
    ],
)
def test_occasion_answers_map_to_the_rules(answer: object, occasion: str) -> None:
    assert occasion_of(answer) == occasion


def test_empty_workspace_gives_an_empty_but_complete_workbook(tmp_path: Path) -> None:
    with Store.open(tmp_path / "vide.sqlite3") as empty:
        workbook = build_compliance_workbook(empty, Settings(), campaign=CAMPAIGN, today=TODAY)

    assert workbook.sheetnames == ["Salariés", "État des lieux", "Campagne", "Synthèse"]
    assert workbook["Salariés"].max_row == 1
    assert workbook["Campagne"]._charts == []


def test_written_atomically_under_its_name(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()

    path = write_compliance_workbook(folder, store, SETTINGS, campaign=CAMPAIGN, today=TODAY)

    assert path == folder / "suivi-entretiens.xlsx"
    assert [p.name for p in folder.iterdir()] == ["suivi-entretiens.xlsx"]


@pytest.mark.integration
def test_libreoffice_opens_and_prints_the_workbook(
    store: Store, tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    soffice = require_tool("soffice")
    path = write_compliance_workbook(
        tmp_path,
        store,
        SETTINGS,
        campaign=CAMPAIGN,
        today=TODAY,
        trainings=TRAININGS,
        absences=ABSENCES,
        history=HISTORY,
    )
    profile = (tmp_path / "lo-profile").as_uri()

    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )

    reader = PdfReader(tmp_path / "pdf" / "suivi-entretiens.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert len(reader.pages) >= 4  # one sheet or more per page, fitted to the width
    for expected in (
        "Source du dernier entretien",  # Salariés
        "01/02/2018",  # dates printed as jj/mm/aaaa
        "Abondements dus",  # État des lieux
        "Fichiers non attribués",  # Campagne
        "Suivi des entretiens professionnels — Atelier Durand",  # Synthèse
    ):
        assert expected in text
    assert "'=HYPERLINK(" in text  # printed as text, not run
