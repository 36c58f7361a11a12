"""The compliance workbook, read back with openpyxl: what HR shows the CSE or an inspector.

One small company, as of 26/11/2026, whose expected dates were worked out by
hand from ``shared/legal-rules.md`` (see each employee's comment):

1  Claire Martin, hired 01/02/2010, never interviewed, manages everyone else.
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
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from entretien_forms.config import CompanySettings, LegalSettings, Settings
from entretien_forms.reports._workbook import AMBER, DATE_FORMAT, EURO_FORMAT, GREEN, RED
from entretien_forms.reports.compliance import (
    COMPLIANCE_FILE_NAME,
    build_compliance_workbook,
    write_compliance_workbook,
)
from entretien_forms.reports.follow_up import occasion_of
from entretien_forms.reports.sheets import AbsenceRecord, TopUpPayment, TrainingRecord
from entretien_forms.roster import read_roster
from entretien_forms.rules import Absence, Training
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission

TODAY = date(2026, 11, 26)
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


def _issued(reference: str, matricule: str, kind: str, campaign: str = CAMPAIGN) -> IssuedForm:
    stem = {"4": "Petit-Zoe-4-professionnel"}.get(matricule, f"form-{matricule}-{kind}")
    return IssuedForm(
        reference=reference,
        matricule=matricule,
        form_id=f"entretien-{kind}",
        kind=kind,
        campaign=campaign,
        form_version="2026.1",
        grid=None,
        signature="sig",
        issued_at=datetime(2026, 10, 1, 9, 0),
        docx_path=f"automne-2026/Claire-Martin/{stem}.docx",
    )


def _submission(
    form: IssuedForm, sha: str, received: datetime, *, paper: bool = False
) -> Submission:
    return Submission(
        reference=form.reference,
        matricule=form.matricule,
        form_id=form.form_id,
        kind=form.kind,
        campaign=form.campaign,
        form_version=form.form_version,
        received_at=received,
        source_file=f"{form.reference}.{'pdf' if paper else 'docx'}",
        sha256=sha,
        format="pdf" if paper else "docx",
        producer=None,
        paper=paper,
        warnings=(),
        archive_path=f"archive/{form.reference}",
    )


@pytest.fixture
def store(tmp_path: Path, write_csv: Callable[..., Path]) -> Iterator[Store]:
    """The company above: roster imported, forms issued, returned and rejected."""
    roster = read_roster(write_csv("salaries.csv", ROSTER), today=TODAY)
    assert roster.problems == ()
    with Store.open(tmp_path / "db" / "entretien.sqlite3") as opened:
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
            _submission(spring, "a", datetime(2025, 2, 14, 10)),
            [
                StoredAnswer("entretien.date", "2025-02-10", "control"),
                StoredAnswer("entretien.occasion", "Première année après l'embauche", "control"),
            ],
            now=datetime(2025, 2, 14, 10),
        )
        opened.record_submission(
            _submission(current["3", "professionnel"], "b", datetime(2026, 11, 10, 8), paper=True),
            [],
            now=datetime(2026, 11, 10, 8),
        )
        opened.record_submission(
            _submission(current["1", "annuel"], "c", datetime(2026, 11, 12, 8)),
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
        "Prochaine échéance",
        "Entretien attendu",
        "Motif de l'échéance",
        "Règle",
        "Statut",
        "Jours de retard",
        "Prochain état des lieux",
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
    assert employees.auto_filter.ref == "A1:S8"
    assert employees.column_dimensions["K"].width == 45
    assert employees["K2"].alignment.wrap_text  # long reasons wrap instead of running over
    assert employees["F2"].number_format == DATE_FORMAT
    assert employees["I2"].number_format == DATE_FORMAT
    reviews = workbook["État des lieux"]
    amount = next(c.column_letter for c in reviews[1] if c.value == "Montant")
    assert reviews[f"{amount}2"].number_format == EURO_FORMAT
    assert workbook["Campagne"]["H2"].number_format == "0%"


# --- Salariés ---------------------------------------------------------------------


def test_each_employee_gets_status_dates_and_reason(workbook: openpyxl.Workbook) -> None:
    rows = records(workbook["Salariés"])

    # Late first, most days late first; then to plan; then on time by due date.
    assert list(rows) == ["1", "6", "5", "4", "7", "2", "3"]
    summary = {
        m: (
            r["Statut"],
            r["Prochaine échéance"],
            r["Entretien attendu"],
            r["Règle"],
            r["Jours de retard"],
        )
        for m, r in rows.items()
    }
    assert summary == {
        # Hired before the reform, never interviewed: due at hire + 2 years, long passed.
        "1": (
            "en retard",
            D(2012, 2, 1),
            "premier entretien professionnel",
            "transition",
            (TODAY - date(2012, 2, 1)).days,
        ),
        # 6 years of seniority on 01/03/2023: état des lieux due before 7 years (former
        # regime, fell before the reform), earlier than the periodic interview of 01/04/2025.
        "6": (
            "en retard",
            D(2024, 2, 29),
            "état des lieux récapitulatif",
            "transition",
            (TODAY - date(2024, 2, 29)).days,
        ),
        # Back from maternity leave on 01/09/2026: interview within a month (EPP-4).
        "5": ("en retard", D(2026, 10, 1), "entretien de retour", "EPP-4", 56),
        "4": ("à planifier", D(2027, 1, 15), "premier entretien professionnel", "EPP-1", None),
        "7": ("à jour", D(2027, 10, 31), "état des lieux récapitulatif", "EDL-1", None),
        # 10/02/2025 + 2 years was still running at the reform: moved to + 4 years.
        "2": ("à jour", D(2029, 2, 10), "entretien professionnel périodique", "transition", None),
        "3": ("à jour", D(2030, 11, 10), "entretien professionnel périodique", "EPP-2", None),
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
    assert rows["2"]["Responsable"] == "Claire Martin"
    assert rows["1"]["Responsable"] == "Sans responsable"


def test_last_interview_and_its_source(workbook: openpyxl.Workbook) -> None:
    rows = records(workbook["Salariés"])

    assert {
        m: (r["Dernier entretien professionnel"], r["Source du dernier entretien"])
        for m, r in rows.items()
    } == {
        "1": (None, None),
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
    rules = _rules(workbook["Salariés"])["M2:M8"]

    assert ("equal", '"en retard"', RED.bgColor.rgb) in rules
    assert ("equal", '"à planifier"', AMBER.bgColor.rgb) in rules
    assert ("equal", '"à jour"', GREEN.bgColor.rgb) in rules
    assert _rules(workbook["Salariés"])["P2:Q8"] == [("equal", '"manquant"', AMBER.bgColor.rgb)]


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
        # 6 years of seniority on 01/02/2016 (former regime, before the reform): due before
        # 7 years; no interview and no training: 3,000 € by the end of the next quarter.
        "1": (
            1,
            6,
            D(2017, 1, 31),
            "en retard",
            "✘",
            "✘",
            "✘",
            "✘",
            "à vérifier",
            "dû",
            3000,
            D(2017, 6, 30),
        ),
        # The English course (2021) was not mandatory: no top-up under the "et" reading.
        "6": (
            1,
            6,
            D(2024, 2, 29),
            "en retard",
            "✘",
            "✔",
            "✔",
            "✘",
            "à vérifier",
            "non dû",
            0,
            None,
        ),
        # 8 years on 01/11/2026 (new regime); the first interview was held late: a top-up
        # to fear if nothing changes, unless the planned training takes place.
        "7": (
            1,
            8,
            D(2027, 10, 31),
            "à venir",
            "✘",
            "✘",
            "✘",
            "✘",
            "à vérifier",
            "dû si rien ne change",
            3000,
            D(2028, 3, 31),
        ),
    }
    assert rows["7"]["Formation prévue"] == "Management (validé, le 01/03/2027)"
    assert rows["7"]["Entretiens dus non tenus à temps"] == (
        "premier entretien professionnel dû le 01/11/2020, tenu en retard le 01/12/2025"
    )
    assert rows["1"]["Motif"] == (
        "sur 6 ans : des entretiens dus n'ont pas eu lieu et aucune formation non obligatoire ; "
        "les deux conditions réunies (lecture « et ») : abondement de 3\u202f000\u00a0€ au CPF à "
        "verser au plus tard le 30/06/2017 (SAN-1, SAN-2)"
    )


def test_review_totals_under_the_table(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["État des lieux"]
    amount = next(c.column for c in sheet[1] if c.value == "Montant")

    totals = [
        (sheet.cell(r, 1).value, sheet.cell(r, amount - 1).value, sheet.cell(r, amount).value)
        for r in (6, 7)
    ]

    assert totals == [
        ("Abondements dus (état des lieux tenu ou échu)", 1, 3000),
        ("Abondements à craindre si rien ne change", 1, 3000),
    ]
    assert sheet.auto_filter.ref.endswith("4")  # the totals stay out of the filter


def test_or_reading_owes_a_topup_for_each_failing_review(store: Store) -> None:
    settings = replace(SETTINGS, legal=LegalSettings(topup_trigger="ou"))

    sheet = _build(store, settings)["État des lieux"]
    rows = records(sheet)

    # Employee 1's review at 12 years: interviews held, but no training at all.
    assert rows["1"]["Autres abondements dus"] == (
        "n° 2 à tenir au plus tard le 31/01/2023 : 3\u202f000\u00a0€"
    )
    assert rows["1"]["Montant des autres abondements"] == 3000
    assert rows["6"]["Abondement correctif"] == "dû"
    amount = next(c.column for c in sheet[1] if c.value == "Montant")
    assert [sheet.cell(r, amount).value for r in (6, 7)] == [9000, 3000]


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

    # Employee 1 owes two (reviews n° 1 and n° 2): the payment settles the earliest.
    assert rows["1"]["Abondement correctif"] == "versé le 01/03/2025"
    assert rows["1"]["Autres abondements dus"] == (
        "n° 2 à tenir au plus tard le 31/01/2023 : 3\u202f000\u00a0€"
    )
    assert rows["1"]["Montant des autres abondements"] == 3000
    assert rows["6"]["Abondement correctif"] == "versé le 10/01/2026"
    amount = next(c.column for c in sheet[1] if c.value == "Montant")
    totals = {
        sheet.cell(r, 1).value: (sheet.cell(r, amount - 1).value, sheet.cell(r, amount).value)
        for r in (6, 7, 8)
    }
    assert totals == {
        "Abondements dus (état des lieux tenu ou échu)": (1, 3000),
        "Abondements à craindre si rien ne change": (1, 3000),
        "Abondements déjà versés (tableau des abondements)": (2, 6000),
    }
    summary = _summary(workbook)
    assert summary["Abondements correctifs dus"][0] == 1
    assert summary["Montant des abondements correctifs dus"][0] == 3000
    assert summary["Abondements correctifs versés"][0] == 2
    assert summary["Montant des abondements correctifs versés"][0] == 6000
    assert summary["Abondements versés lus"][0] == 3
    assert summary["Versements sans abondement dû calculé"] == (
        1,
        "à vérifier (matricule inconnu, ou état des lieux non échu) : 99 (01/02/2026)",
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
        ("Claire Martin", 4, 5, 1, 1, 4, 2, 0.2),
        ("Sans responsable", 1, 1, 1, 0, 0, 0, 1),
        ("Fichiers non attribués", 0, 0, 0, 0, 0, 1, None),
        (None,) * 8,
        ("Total — campagne « Automne 2026 »", 5, 6, 2, 1, 4, 3, pytest.approx(1 / 3)),
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
    assert "<f>'Campagne'!$D$2:$D$3</f>" in xml and "<f>'Campagne'!$F$2:$F$3</f>" in xml
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
            "États des lieux tenus sur les 12 derniers mois",
            "États des lieux en retard",
            "Abondements correctifs dus",
            "Montant des abondements correctifs dus",
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
        "États des lieux tenus sur les 12 derniers mois": 0,
        # Employee 1's reviews at 6 and 12 years, employee 6's at 6 years.
        "États des lieux en retard": 3,
        "Abondements correctifs dus": 1,
        "Montant des abondements correctifs dus": 3000,
        "Abondements à craindre dans les 12 mois si rien ne change": 1,
        "Montant à craindre dans les 12 mois": 3000,
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
        "01/02/2012",  # dates printed as jj/mm/aaaa
        "Abondements dus",  # État des lieux
        "Fichiers non attribués",  # Campagne
        "Suivi des entretiens professionnels — Atelier Durand",  # Synthèse
    ):
        assert expected in text
    assert "'=HYPERLINK(" in text  # printed as text, not run
