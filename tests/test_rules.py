"""Compliance rules, checked on dated scenarios against ``shared/legal-rules.md``.

Each row names the rule ids it pins (EPP-1, EDL-1, SAN-1... or "transition"
for the section on cycles straddling T0 = 26/10/2025) in its pytest id. The
expected dates were worked out by hand from the specification, not copied
from the code's output.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entretien_forms.config import LegalSettings
from entretien_forms.rules import (
    HIRED_BEFORE_T0_NOTE,
    TRANSITION_NOTE,
    Absence,
    AbsenceKind,
    Assessment,
    EmployeeFacts,
    Interview,
    Occasion,
    Training,
    add_months,
    add_years,
    assess,
    assess_all,
    end_of_next_quarter,
)

D = date
LEGAL = LegalSettings()
FORMER = LegalSettings(regime="avant-2025")
AGREEMENT_3 = LegalSettings(agreement_period_years=3)
# config.py refuses a period over 4 years; an older agreement can still be described
# in code, and the rules must cap it.
AGREEMENT_5 = LegalSettings(agreement_period_years=5)
OR_TRIGGER = LegalSettings(topup_trigger="ou")
BILAN_COUNTS = LegalSettings(assessment_counts_as_training=True)


def employee(
    hired: date, *held: date, interviews: tuple[Interview, ...] = (), **facts: Any
) -> EmployeeFacts:
    """An employee with periodic interviews held on ``held`` (other facts by keyword)."""
    periodic = tuple(Interview(day) for day in held)
    return EmployeeFacts("M001", hired, interviews=periodic + interviews, **facts)


def pending(result: Assessment, occasion: Occasion) -> list[tuple[date, date]]:
    return [(o.window_start, o.due) for o in result.obligations if o.occasion == occasion]


def past(result: Assessment, occasion: Occasion) -> list[tuple[date | None, bool]]:
    return [(o.held_on, o.missed) for o in result.history if o.occasion == occasion]


# ---------------------------------------------------------------------------
# Next interview due and status
# ---------------------------------------------------------------------------

NEXT_DUE = [
    # id (rules), facts, today, settings, expected occasion, due, status, days late
    pytest.param(
        employee(D(2026, 3, 1)),
        D(2026, 6, 1),
        LEGAL,
        ("premiere_annee", D(2027, 3, 1), "a_jour", 0),
        id="EPP-1-hired-in-the-last-year",
    ),
    pytest.param(
        employee(D(2025, 11, 15)),
        D(2026, 9, 1),
        LEGAL,
        ("premiere_annee", D(2026, 11, 15), "a_planifier", 0),
        id="EPP-1-first-year-ends-in-75-days",
    ),
    pytest.param(
        employee(D(2019, 1, 7), D(2021, 1, 5), D(2023, 11, 15)),
        D(2026, 6, 1),
        LEGAL,
        ("periodique", D(2027, 11, 15), "a_jour", 0),
        id="transition-EP-2023-due-2027",
    ),
    pytest.param(
        employee(D(2021, 9, 1), last_interview_in_roster=D(2024, 3, 12)),
        D(2026, 6, 1),
        LEGAL,
        ("periodique", D(2028, 3, 12), "a_jour", 0),
        id="transition-EP-march-2024-due-march-2028",
    ),
    pytest.param(
        employee(D(2022, 1, 10), D(2023, 3, 1)),
        D(2026, 6, 1),
        LEGAL,
        ("periodique", D(2025, 3, 1), "en_retard", 457),
        id="transition-deadline-passed-before-T0-stays-late",
    ),
    pytest.param(
        employee(D(2022, 1, 10), D(2023, 10, 26)),
        D(2026, 6, 1),
        LEGAL,
        ("periodique", D(2027, 10, 26), "a_jour", 0),
        id="transition-old-deadline-on-T0-still-running",
    ),
    pytest.param(
        employee(D(2022, 1, 10), D(2023, 10, 25)),
        D(2026, 6, 1),
        LEGAL,
        ("periodique", D(2025, 10, 25), "en_retard", 219),
        id="transition-old-deadline-day-before-T0-stays-late",
    ),
    pytest.param(
        employee(D(2025, 3, 1)),
        D(2026, 6, 1),
        LEGAL,
        ("premiere_annee", D(2026, 10, 26), "a_jour", 0),
        id="transition-hired-before-T0-no-interview-26-10-2026",
    ),
    pytest.param(
        employee(D(2024, 1, 15)),
        D(2026, 6, 1),
        LEGAL,
        ("premiere_annee", D(2026, 1, 15), "en_retard", 137),
        id="transition-hired-before-T0-no-interview-hire-plus-2-years",
    ),
    pytest.param(
        employee(D(2020, 5, 4)),
        D(2026, 6, 1),
        LEGAL,
        ("premiere_annee", D(2022, 5, 4), "en_retard", 1489),
        id="transition-hired-2020-never-interviewed-late-since-2022",
    ),
    pytest.param(
        employee(D(2026, 1, 1)),
        D(2026, 10, 2),
        LEGAL,
        ("premiere_annee", D(2027, 1, 1), "a_jour", 0),
        id="status-91-days-before-due",
    ),
    pytest.param(
        employee(D(2026, 1, 1)),
        D(2026, 10, 3),
        LEGAL,
        ("premiere_annee", D(2027, 1, 1), "a_planifier", 0),
        id="status-exactly-90-days-before-due",
    ),
    pytest.param(
        employee(D(2026, 1, 1)),
        D(2027, 1, 1),
        LEGAL,
        ("premiere_annee", D(2027, 1, 1), "a_planifier", 0),
        id="status-due-today",
    ),
    pytest.param(
        employee(D(2026, 1, 1)),
        D(2027, 1, 2),
        LEGAL,
        ("premiere_annee", D(2027, 1, 1), "en_retard", 1),
        id="status-one-day-late",
    ),
    pytest.param(
        employee(D(2025, 11, 3), D(2026, 2, 10)),
        D(2026, 6, 1),
        LEGAL,
        ("periodique", D(2030, 2, 10), "a_jour", 0),
        id="EPP-2-every-4-years",
    ),
    pytest.param(
        employee(D(2025, 11, 3), D(2026, 2, 10)),
        D(2026, 6, 1),
        AGREEMENT_3,
        ("periodique", D(2029, 2, 10), "a_jour", 0),
        id="EPP-3-agreement-3-years",
    ),
    pytest.param(
        employee(D(2025, 11, 3), D(2026, 2, 10)),
        D(2026, 6, 1),
        AGREEMENT_5,
        ("periodique", D(2030, 2, 10), "a_jour", 0),
        id="EPP-3-agreement-5-years-capped-at-4",
    ),
    pytest.param(
        employee(D(2020, 1, 6), D(2021, 6, 1)),
        D(2026, 4, 1),
        AGREEMENT_5,
        ("periodique", D(2026, 6, 1), "a_planifier", 0),
        id="EPP-3-agreement-5-years-still-applies-before-01-10-2026",
    ),
    pytest.param(
        employee(D(2020, 1, 6), D(2022, 3, 1)),
        D(2026, 6, 1),
        AGREEMENT_5,
        ("periodique", D(2026, 10, 1), "a_jour", 0),
        id="EPP-3-agreement-5-years-ends-01-10-2026",
    ),
    pytest.param(
        employee(D(2025, 11, 3), D(2026, 2, 10)),
        D(2026, 6, 1),
        FORMER,
        ("periodique", D(2028, 2, 10), "a_jour", 0),
        id="former-regime-every-2-years",
    ),
    pytest.param(
        employee(D(2026, 2, 10)),
        D(2026, 6, 1),
        FORMER,
        ("premiere_annee", D(2028, 2, 10), "a_jour", 0),
        id="former-regime-first-EP-2-years-after-hire",
    ),
    pytest.param(
        employee(D(2020, 1, 6), D(2023, 11, 15)),
        D(2026, 6, 1),
        FORMER,
        ("periodique", D(2025, 11, 15), "en_retard", 198),
        id="former-regime-no-transition-to-4-years",
    ),
    pytest.param(
        employee(D(2028, 2, 29)),
        D(2028, 6, 1),
        LEGAL,
        ("premiere_annee", D(2029, 2, 28), "a_jour", 0),
        id="EPP-1-hired-29-february",
    ),
    pytest.param(
        employee(
            D(2023, 1, 9),
            D(2024, 9, 2),
            absences=(Absence("maternite", D(2025, 11, 3), D(2026, 3, 2)),),
        ),
        D(2026, 3, 16),
        LEGAL,
        ("retour_conge", D(2026, 4, 2), "a_planifier", 0),
        id="EPP-4-return-from-maternity-comes-first",
    ),
    pytest.param(
        employee(D(2019, 1, 7), D(2021, 1, 5), D(2022, 12, 5), D(2024, 11, 4)),
        D(2028, 3, 1),
        LEGAL,
        ("etat_des_lieux", D(2028, 1, 6), "en_retard", 55),
        id="EDL-1-review-not-held-is-late",
    ),
]


@pytest.mark.parametrize(("facts", "today", "legal", "expected"), NEXT_DUE)
def test_next_due(
    facts: EmployeeFacts,
    today: date,
    legal: LegalSettings,
    expected: tuple[str, date, str, int],
) -> None:
    result = assess(facts, today, legal, headcount=10)
    assert result.next_due is not None
    assert (
        result.next_due.occasion,
        result.next_due.due,
        result.status,
        result.days_late,
    ) == expected


# ---------------------------------------------------------------------------
# Reasons, labels and inference notes
# ---------------------------------------------------------------------------

REASONS = [
    pytest.param(
        employee(D(2026, 9, 1)),
        D(2026, 10, 1),
        "embauché le 01/09/2026 : premier entretien dans l'année",
        None,
        id="EPP-1-reason",
    ),
    pytest.param(
        employee(D(2025, 11, 3), D(2026, 3, 12)),
        D(2026, 6, 1),
        "dernier entretien le 12/03/2026 + 4 ans",
        None,
        id="EPP-2-reason",
    ),
    pytest.param(
        employee(D(2021, 9, 1), D(2024, 3, 15)),
        D(2026, 6, 1),
        "dernier entretien le 15/03/2024 + 4 ans (échéance de 2 ans encore en cours le "
        "26/10/2025, reportée par la réforme)",
        TRANSITION_NOTE,
        id="transition-reason-and-note",
    ),
    pytest.param(
        employee(D(2022, 1, 10), D(2023, 3, 1)),
        D(2026, 6, 1),
        "dernier entretien le 01/03/2023 + 2 ans (ancien régime) : échéance du 01/03/2025 "
        "dépassée avant la réforme du 26/10/2025, non reportée",
        TRANSITION_NOTE,
        id="transition-stays-late-reason",
    ),
    pytest.param(
        employee(D(2025, 3, 1)),
        D(2026, 6, 1),
        "embauché le 01/03/2025 avant la réforme, sans entretien : au plus tard le 26/10/2026, "
        "date la plus tôt entre embauche + 2 ans et le 26/10/2026",
        HIRED_BEFORE_T0_NOTE,
        id="transition-hired-before-T0-is-an-inference",
    ),
    pytest.param(
        employee(
            D(2023, 1, 9),
            D(2024, 9, 2),
            absences=(Absence("maternite", D(2025, 11, 3), D(2026, 3, 2)),),
        ),
        D(2026, 3, 16),
        "retour de congé de maternité le 02/03/2026 : entretien à proposer à la reprise",
        "Délai d'un mois après la reprise retenu par l'outil : la loi dit « à la reprise » "
        "sans fixer de délai.",
        id="EPP-4-reason",
    ),
    pytest.param(
        employee(
            D(2023, 1, 9),
            D(2024, 9, 2),
            absences=(Absence("mandat_syndical", D(2023, 2, 1), D(2026, 3, 2)),),
        ),
        D(2026, 3, 16),
        "fin du mandat syndical le 02/03/2026 : entretien à proposer à la reprise",
        "Délai d'un mois après la reprise retenu par l'outil : la loi dit « à la reprise » "
        "sans fixer de délai.",
        id="EPP-4-end-of-union-mandate-reason",
    ),
    pytest.param(
        employee(D(2019, 1, 7), D(2021, 1, 5), D(2022, 12, 5), D(2024, 11, 4)),
        D(2027, 12, 1),
        "8 ans d'ancienneté le 07/01/2027 : état des lieux avant 9 ans d'ancienneté, "
        "au plus tard le 06/01/2028",
        "Règle de transition : l'état des lieux à 6 ans encore en cours le 26/10/2025 passe à "
        "8 ans. " + TRANSITION_NOTE,
        id="EDL-1-transition-6-becomes-8-reason",
    ),
    pytest.param(
        employee(D(2024, 1, 15), D(2024, 6, 3), born_on=D(1982, 7, 1)),
        D(2027, 10, 15),
        "45 ans en 2027, date de la visite médicale de mi-carrière inconnue : entretien à tenir "
        "en 2027",
        "Hypothèse : visite médicale de mi-carrière supposée dans l'année des 45 ans (2027), "
        "faute de date ; indiquez la date de la visite pour un calcul exact.",
        id="EPP-5-assumed-visit-is-flagged",
    ),
]


@pytest.mark.parametrize(("facts", "today", "reason", "inference"), REASONS)
def test_reason_of_next_due(
    facts: EmployeeFacts, today: date, reason: str, inference: str | None
) -> None:
    result = assess(facts, today, LEGAL, headcount=10)
    assert result.next_due is not None
    assert result.next_due.reason == reason
    assert result.next_due.inference == inference
    if inference is not None:
        assert inference in result.inferences


def test_status_labels_and_one_line_summary() -> None:
    hired = employee(D(2026, 1, 1))
    assert assess(hired, D(2026, 10, 3), LEGAL, 10).status_label == "à planifier dans les 90 jours"
    assert assess(hired, D(2026, 10, 3), replace(LEGAL, warning_days=30), 10).status == "a_jour"
    late = assess(hired, D(2027, 1, 2), LEGAL, 10)
    assert late.status_label == "en retard"
    assert late.describe() == (
        "en retard de 1 jour : premier entretien professionnel au plus tard le 01/01/2027 "
        "(embauché le 01/01/2026 : premier entretien dans l'année)"
    )


# ---------------------------------------------------------------------------
# Leaves, mid-career and end of career: which obligations exist
# ---------------------------------------------------------------------------

HIRED = D(2023, 1, 9)  # first EP due 09/01/2025 held 02/09/2024; next due 02/09/2028
FIRST_EP = D(2024, 9, 2)

OBLIGATIONS = [
    # id (rules), facts, today, settings, occasion, expected pending (window, due), history
    pytest.param(
        employee(HIRED, FIRST_EP, absences=(Absence("maternite", D(2025, 11, 3), D(2026, 3, 2)),)),
        D(2026, 3, 16),
        LEGAL,
        "retour_conge",
        [(D(2026, 3, 2), D(2026, 4, 2))],
        [],
        id="EPP-4-maternity-no-interview-in-previous-12-months",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            D(2025, 6, 2),
            absences=(Absence("maternite", D(2025, 11, 3), D(2026, 3, 2)),),
        ),
        D(2026, 3, 16),
        LEGAL,
        "retour_conge",
        [],
        [],
        id="EPP-4-maternity-interview-in-previous-12-months-exempts",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            D(2025, 6, 2),
            absences=(Absence("maternite", D(2025, 11, 3), D(2026, 3, 2)),),
        ),
        D(2026, 3, 16),
        FORMER,
        "retour_conge",
        [(D(2026, 3, 2), D(2026, 4, 2))],
        [],
        id="EPP-4-former-regime-has-no-12-month-exemption",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            interviews=(Interview(D(2026, 3, 20), "retour_conge"),),
            absences=(Absence("adoption", D(2025, 11, 3), D(2026, 3, 2)),),
        ),
        D(2026, 4, 15),
        LEGAL,
        "retour_conge",
        [],
        [(D(2026, 3, 20), False)],
        id="EPP-4-return-interview-held",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            D(2026, 1, 15),
            absences=(Absence("proche_aidant", D(2026, 2, 2), D(2026, 5, 4)),),
        ),
        D(2026, 5, 11),
        LEGAL,
        "retour_conge",
        [(D(2026, 5, 4), D(2026, 6, 4))],
        [],
        id="EPP-4b-proche-aidant-after-despite-interview-before",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            D(2026, 1, 15),
            absences=(Absence("proche_aidant", D(2026, 2, 2), D(2026, 5, 4)),),
        ),
        D(2026, 5, 11),
        LEGAL,
        "avant_conge",
        [],
        [(D(2026, 1, 15), False)],
        id="EPP-4b-proche-aidant-before-held",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            D(2026, 3, 2),
            absences=(Absence("proche_aidant", D(2026, 2, 2), D(2026, 5, 4)),),
        ),
        D(2026, 5, 11),
        LEGAL,
        "avant_conge",
        [],
        [(None, True)],
        id="EPP-4b-interview-during-the-leave-is-not-before-it",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, absences=(Absence("proche_aidant", D(2026, 7, 1)),)),
        D(2026, 6, 1),
        LEGAL,
        "avant_conge",
        [(D(2026, 4, 1), D(2026, 7, 1))],
        [],
        id="EPP-4b-proche-aidant-planned-interview-before",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, absences=(Absence("proche_aidant", D(2026, 2, 2)),)),
        D(2026, 3, 2),
        LEGAL,
        "avant_conge",
        [],
        [(None, True)],
        id="EPP-4b-proche-aidant-before-missed",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            absences=(Absence("solidarite_familiale", D(2026, 7, 1), D(2026, 9, 1)),),
        ),
        D(2026, 6, 1),
        LEGAL,
        "avant_conge",
        [(D(2026, 4, 1), D(2026, 7, 1))],
        [],
        id="EPP-4b-solidarite-familiale-before",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, absences=(Absence("maladie", D(2025, 11, 3), D(2026, 5, 11)),)),
        D(2026, 5, 20),
        LEGAL,
        "retour_conge",
        [(D(2026, 5, 11), D(2026, 6, 11))],
        [],
        id="EPP-4-sick-leave-over-6-months",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, absences=(Absence("maladie", D(2025, 11, 3), D(2026, 5, 3)),)),
        D(2026, 5, 20),
        LEGAL,
        "retour_conge",
        [],
        [],
        id="EPP-4-sick-leave-of-exactly-6-months",
    ),
    pytest.param(
        employee(
            HIRED, FIRST_EP, absences=(Absence("maladie", D(2026, 1, 5), D(2026, 3, 2), True),)
        ),
        D(2026, 3, 16),
        LEGAL,
        "retour_conge",
        [(D(2026, 3, 2), D(2026, 4, 2))],
        [],
        id="EPP-4-short-sick-leave-marked-long",
    ),
    pytest.param(
        employee(
            HIRED, FIRST_EP, absences=(Absence("maladie", D(2025, 6, 2), D(2026, 3, 2), False),)
        ),
        D(2026, 3, 16),
        LEGAL,
        "retour_conge",
        [],
        [],
        id="EPP-4-long-sick-leave-marked-not-long",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, absences=(Absence("sans_solde", D(2025, 11, 3), D(2026, 3, 2)),)),
        D(2026, 3, 16),
        LEGAL,
        "retour_conge",
        [],
        [],
        id="EPP-4-unpaid-leave-is-not-on-the-list",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, born_on=D(1981, 4, 20), midcareer_visit_on=D(2026, 3, 10)),
        D(2026, 4, 1),
        LEGAL,
        "mi_carriere",
        [(D(2026, 3, 10), D(2026, 5, 10))],
        [],
        id="EPP-5-within-2-months-of-the-visit",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, born_on=D(1982, 7, 1)),
        D(2026, 4, 1),
        LEGAL,
        "mi_carriere",
        [(D(2027, 1, 1), D(2027, 12, 31))],
        [],
        id="EPP-5-no-visit-date-year-of-45th-birthday",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            born_on=D(1981, 4, 20),
            midcareer_visit_on=D(2026, 3, 10),
            interviews=(Interview(D(2026, 4, 15), "mi_carriere"),),
        ),
        D(2026, 6, 1),
        LEGAL,
        "mi_carriere",
        [],
        [(D(2026, 4, 15), False)],
        id="EPP-5-held",
    ),
    pytest.param(
        employee(D(2015, 3, 2), D(2024, 9, 2), born_on=D(1979, 5, 5)),
        D(2026, 6, 1),
        LEGAL,
        "mi_carriere",
        [],
        [],
        id="EPP-5-45th-birthday-before-the-reform",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, born_on=D(1968, 9, 15)),
        D(2026, 6, 1),
        LEGAL,
        "avant_60",
        [(D(2026, 9, 15), D(2028, 9, 14))],
        [],
        id="EPP-6-window-from-58th-birthday",
    ),
    pytest.param(
        employee(
            HIRED,
            FIRST_EP,
            born_on=D(1968, 9, 15),
            interviews=(Interview(D(2027, 2, 1), "avant_60"),),
        ),
        D(2027, 3, 1),
        LEGAL,
        "avant_60",
        [],
        [(D(2027, 2, 1), False)],
        id="EPP-6-held-in-window",
    ),
    pytest.param(
        employee(HIRED, D(2023, 6, 5), born_on=D(1966, 1, 10)),
        D(2026, 6, 1),
        LEGAL,
        "avant_60",
        [],
        [(None, True)],
        id="EPP-6-60th-birthday-passed-without-interview",
    ),
    pytest.param(
        employee(HIRED, FIRST_EP, born_on=D(1968, 9, 15)),
        D(2026, 6, 1),
        FORMER,
        "avant_60",
        [],
        [],
        id="EPP-6-not-in-former-regime",
    ),
]


@pytest.mark.parametrize(
    ("facts", "today", "legal", "occasion", "expected_pending", "expected_history"),
    OBLIGATIONS,
)
def test_obligations(
    facts: EmployeeFacts,
    today: date,
    legal: LegalSettings,
    occasion: Occasion,
    expected_pending: list[tuple[date, date]],
    expected_history: list[tuple[date | None, bool]],
) -> None:
    result = assess(facts, today, legal, headcount=10)
    assert pending(result, occasion) == expected_pending
    assert past(result, occasion) == expected_history


def test_return_exemption_is_explained() -> None:
    facts = employee(
        HIRED,
        FIRST_EP,
        D(2025, 6, 2),
        absences=(Absence("maternite", D(2025, 11, 3), D(2026, 3, 2)),),
    )
    result = assess(facts, D(2026, 3, 16), LEGAL, 10)
    assert (
        "Retour de congé de maternité le 02/03/2026 : pas d'entretien de retour dû, un entretien "
        "a eu lieu le 02/06/2025, dans les 12 mois précédents (EPP-4)."
    ) in result.notes


# ---------------------------------------------------------------------------
# État des lieux and CPF top-up
# ---------------------------------------------------------------------------

EDL_HIRE = D(2019, 1, 7)  # 8 years of seniority on 07/01/2027, 9 on 07/01/2028
ON_TIME = (D(2021, 1, 5), D(2022, 12, 5), D(2024, 11, 4))  # due 07/01/2021, 05/01/2023, 05/12/2024
MISSED = (D(2021, 1, 5),)  # then nothing until the review: due 05/01/2023 is missed
REVIEW = Interview(D(2027, 3, 1), "etat_des_lieux")
NON_MANDATORY = Training("Excel avancé", D(2022, 5, 10), D(2022, 5, 12))
MANDATORY = Training("Habilitation électrique", D(2022, 5, 10), D(2022, 5, 12), mandatory=True)
BILAN = Training("Bilan de compétences", D(2023, 2, 1), D(2023, 4, 1), kind="bilan")


def review_facts(held: tuple[date, ...], *trainings: Training, **facts: Any) -> EmployeeFacts:
    """Hired 07/01/2019, review held 01/03/2027, interviews ``held`` before it."""
    return employee(EDL_HIRE, *held, interviews=(REVIEW,), trainings=trainings, **facts)


TOPUP = [
    # id (rules), facts, today, settings, headcount,
    # expected (interviews held, non-mandatory training, top-up applies, owed, amount, deadline)
    pytest.param(
        review_facts(MISSED),
        D(2027, 6, 1),
        LEGAL,
        60,
        (False, False, True, True, 3000, D(2027, 6, 30)),
        id="EDL-2-SAN-1-SAN-2-missed-and-no-training-owed",
    ),
    pytest.param(
        review_facts(MISSED, NON_MANDATORY),
        D(2027, 6, 1),
        LEGAL,
        60,
        (False, True, True, False, 0, None),
        id="SAN-1-and-missed-but-non-mandatory-training",
    ),
    pytest.param(
        review_facts(MISSED, NON_MANDATORY),
        D(2027, 6, 1),
        OR_TRIGGER,
        60,
        (False, True, True, True, 3000, D(2027, 6, 30)),
        id="SAN-1-or-missed-interviews-suffice",
    ),
    pytest.param(
        review_facts(ON_TIME),
        D(2027, 6, 1),
        LEGAL,
        60,
        (True, False, True, False, 0, None),
        id="SAN-1-and-interviews-held-no-training",
    ),
    pytest.param(
        review_facts(ON_TIME),
        D(2027, 6, 1),
        OR_TRIGGER,
        60,
        (True, False, True, True, 3000, D(2027, 6, 30)),
        id="SAN-1-or-no-training-suffices",
    ),
    pytest.param(
        review_facts(MISSED, MANDATORY),
        D(2027, 6, 1),
        LEGAL,
        60,
        (False, False, True, True, 3000, D(2027, 6, 30)),
        id="SAN-1-mandatory-training-does-not-count",
    ),
    pytest.param(
        review_facts(MISSED),
        D(2027, 6, 1),
        LEGAL,
        49,
        (False, False, False, False, 0, None),
        id="SAN-1-SAN-3-under-50-employees",
    ),
    pytest.param(
        review_facts(MISSED),
        D(2027, 6, 1),
        LEGAL,
        50,
        (False, False, True, True, 3000, D(2027, 6, 30)),
        id="SAN-1-SAN-3-exactly-50-employees",
    ),
    pytest.param(
        review_facts(MISSED, BILAN),
        D(2027, 6, 1),
        LEGAL,
        60,
        (False, False, True, True, 3000, D(2027, 6, 30)),
        id="SAN-1-bilan-not-a-training-by-default",
    ),
    pytest.param(
        review_facts(MISSED, BILAN),
        D(2027, 6, 1),
        BILAN_COUNTS,
        60,
        (False, True, True, False, 0, None),
        id="SAN-1-bilan-counts-when-set",
    ),
    pytest.param(
        employee(EDL_HIRE, *MISSED),
        D(2028, 3, 1),
        LEGAL,
        60,
        (False, False, True, True, 3000, D(2028, 6, 30)),
        id="SAN-2-review-never-held-deadline-from-due-date",
    ),
    pytest.param(
        employee(EDL_HIRE, *MISSED, interviews=(Interview(D(2027, 12, 15), "etat_des_lieux"),)),
        D(2028, 1, 10),
        LEGAL,
        60,
        (False, False, True, True, 3000, D(2028, 3, 31)),
        id="SAN-2-review-in-december-pays-by-31-march",
    ),
    pytest.param(
        employee(EDL_HIRE, *MISSED, interviews=(Interview(D(2025, 3, 3), "etat_des_lieux"),)),
        D(2026, 6, 1),
        FORMER,
        60,
        (False, False, True, True, 3000, D(2025, 6, 30)),
        id="former-regime-6-year-review-top-up",
    ),
]


@pytest.mark.parametrize(("facts", "today", "legal", "headcount", "expected"), TOPUP)
def test_review_and_topup(
    facts: EmployeeFacts,
    today: date,
    legal: LegalSettings,
    headcount: int,
    expected: tuple[bool, bool, bool, bool, int, date | None],
) -> None:
    review = assess(facts, today, legal, headcount).reviews[0]
    assert (
        review.interviews_held,
        review.non_mandatory_training,
        review.topup.applies,
        review.topup.owed,
        review.topup.amount,
        review.topup.deadline,
    ) == expected


def test_review_lists_the_missed_interview_and_all_criteria() -> None:
    """EDL-2: a held review, one interview held 4 years late, training, VAE, pay rise."""
    vae = Training("VAE titre professionnel", D(2024, 1, 8), D(2024, 6, 28), True, True, "vae")
    facts = review_facts(MISSED, vae, progressions=(D(2024, 1, 1),))
    review = assess(facts, D(2027, 6, 1), LEGAL, 60).reviews[0]
    assert (review.number, review.seniority_years, review.rule) == (1, 8, "EDL-1")
    assert (review.window_start, review.due, review.held_on) == (
        D(2027, 1, 7),
        D(2028, 1, 6),
        D(2027, 3, 1),
    )
    assert (review.period_start, review.period_end, review.provisional) == (
        EDL_HIRE,
        D(2027, 3, 1),
        False,
    )
    assert [(o.due, o.held_on) for o in review.missed_interviews] == [
        (D(2023, 1, 5), D(2027, 3, 1))
    ]
    # A VAE certifies but is not a training unless the setting says so.
    assert (review.training, review.certification, review.progression) == (False, True, True)
    assert "3\u202f000\u00a0€" in review.topup.reason
    assert (
        "Entretiens tenus en retard comptés comme non tenus à l'échéance : dû le 05/01/2023 "
        "tenu le 01/03/2027."
    ) in review.notes


REVIEW_DATES = [
    # id (rules), facts, today, settings, expected (number, years, rule, window start, due)
    pytest.param(
        employee(EDL_HIRE),
        D(2026, 6, 1),
        LEGAL,
        (1, 8, "EDL-1", D(2027, 1, 7), D(2028, 1, 6)),
        id="EDL-1-transition-6-year-review-becomes-8",
    ),
    pytest.param(
        employee(EDL_HIRE),
        D(2026, 6, 1),
        FORMER,
        (1, 6, "avant-2025", D(2025, 1, 7), D(2026, 1, 6)),
        id="former-regime-review-at-6-years",
    ),
    pytest.param(
        employee(D(2017, 3, 6)),
        D(2026, 6, 1),
        LEGAL,
        (1, 6, "transition", D(2023, 3, 6), D(2024, 3, 5)),
        id="transition-6-year-review-passed-before-T0-stays-late",
    ),
    pytest.param(
        employee(D(2017, 3, 6), interviews=(Interview(D(2024, 6, 3), "etat_des_lieux"),)),
        D(2031, 6, 1),
        LEGAL,
        (2, 14, "EDL-1", D(2031, 3, 6), D(2032, 3, 5)),
        id="EDL-1-next-review-8-years-after-the-late-one",
    ),
    pytest.param(
        employee(D(2020, 1, 6), absences=(Absence("sans_solde", D(2022, 1, 3), D(2022, 7, 4)),)),
        D(2026, 6, 1),
        LEGAL,
        (1, 8, "EDL-1", D(2028, 7, 6), D(2029, 7, 6)),
        id="EDL-1-unpaid-leave-left-out-of-seniority",
    ),
    pytest.param(
        employee(
            D(2020, 1, 6),
            absences=(Absence("solidarite_familiale", D(2022, 1, 3), D(2022, 7, 4)),),
        ),
        D(2026, 6, 1),
        LEGAL,
        (1, 8, "EDL-1", D(2028, 7, 6), D(2029, 7, 6)),
        id="EDL-1-solidarite-familiale-left-out-of-seniority",
    ),
    pytest.param(
        employee(D(2020, 1, 6), absences=(Absence("maternite", D(2022, 1, 3), D(2022, 7, 4)),)),
        D(2026, 6, 1),
        LEGAL,
        (1, 8, "EDL-1", D(2028, 1, 6), D(2029, 1, 5)),
        id="EDL-1-maternity-counts-as-seniority",
    ),
    pytest.param(
        employee(D(2026, 9, 1), D(2027, 3, 1)),
        D(2027, 6, 1),
        LEGAL,
        (1, 8, "EDL-1", D(2034, 3, 1), D(2035, 8, 31)),
        id="EDL-1-first-review-7-years-after-first-year-EPP",
    ),
    pytest.param(
        employee(D(2028, 2, 29)),
        D(2028, 6, 1),
        LEGAL,
        (1, 8, "EDL-1", D(2036, 2, 29), D(2037, 2, 27)),
        id="EDL-1-hired-29-february",
    ),
]


@pytest.mark.parametrize(("facts", "today", "legal", "expected"), REVIEW_DATES)
def test_review_dates(
    facts: EmployeeFacts,
    today: date,
    legal: LegalSettings,
    expected: tuple[int, int, str, date, date],
) -> None:
    review = assess(facts, today, legal, headcount=10).review
    assert review is not None
    assert (
        review.number,
        review.seniority_years,
        review.rule,
        review.window_start,
        review.due,
    ) == expected


def test_future_review_is_provisional() -> None:
    review = assess(employee(EDL_HIRE, *MISSED), D(2026, 6, 1), LEGAL, 60).review
    assert review is not None
    assert review.provisional
    assert review.topup.owed  # the 05/01/2023 interview is already missed
    assert review.topup.reason.startswith("sur 8 ans : des entretiens dus n'ont pas eu lieu")
    assert "si rien ne change" in review.topup.reason


# ---------------------------------------------------------------------------
# Departures, contracts, bad records
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Rules before the reform: OLD-0 (2014 law), OLD-1 (covid deferral), OLD-2 (top-up start)
# ---------------------------------------------------------------------------

OLD_RULES = [
    # facts, today, settings, expected (first periodic (window start, due, rule), first review
    # (window start, due, rule))
    pytest.param(
        employee(D(2014, 3, 6)),
        D(2026, 12, 4),
        LEGAL,
        ((D(2014, 3, 7), D(2016, 3, 7), "OLD-0"), (D(2020, 3, 7), D(2021, 6, 30))),
        id="OLD-0-OLD-1-hired-2014-03-06-counts-from-the-law",
    ),
    pytest.param(
        employee(D(2014, 3, 7)),
        D(2026, 12, 4),
        LEGAL,
        ((D(2014, 3, 7), D(2016, 3, 7), "transition"), (D(2020, 3, 7), D(2021, 6, 30))),
        id="OLD-0-hired-2014-03-07-the-law-day",
    ),
    pytest.param(
        employee(D(2014, 3, 8)),
        D(2026, 12, 4),
        LEGAL,
        ((D(2014, 3, 8), D(2016, 3, 8), "transition"), (D(2020, 3, 8), D(2021, 6, 30))),
        id="OLD-0-hired-after-the-law-from-hire",
    ),
    pytest.param(
        employee(D(2000, 1, 2)),
        D(2026, 12, 4),
        LEGAL,
        ((D(2014, 3, 7), D(2016, 3, 7), "OLD-0"), (D(2020, 3, 7), D(2021, 6, 30))),
        id="OLD-0-hired-2000-nothing-before-2016-and-2020",
    ),
    pytest.param(
        employee(D(2000, 1, 2)),
        D(2026, 12, 4),
        FORMER,
        ((D(2014, 3, 7), D(2016, 3, 7), "OLD-0"), (D(2020, 3, 7), D(2021, 6, 30))),
        id="OLD-0-former-regime-too",
    ),
]


@pytest.mark.parametrize(("facts", "today", "legal", "expected"), OLD_RULES)
def test_nothing_is_due_before_the_2014_law(
    facts: EmployeeFacts,
    today: date,
    legal: LegalSettings,
    expected: tuple[tuple[date, date, str], tuple[date, date]],
) -> None:
    result = assess(facts, today, legal, 60)
    first = next(
        o for o in (*result.history, *result.obligations) if o.occasion == "premiere_annee"
    )
    review = result.reviews[0]
    assert ((first.window_start, first.due, first.rule), (review.window_start, review.due)) == (
        expected
    )
    every_date = [o.due for o in (*result.obligations, *result.history)] + [
        d for r in result.reviews for d in (r.window_start, r.due, r.topup.deadline) if d
    ]
    assert min(every_date) >= D(2016, 3, 7)


COVID = [
    # last interview held, expected next due and rule (OLD-1: due in [01/01/2020, 30/06/2021))
    pytest.param(
        D(2017, 12, 31), D(2019, 12, 31), "transition", id="OLD-1-due-2019-12-31-not-moved"
    ),
    pytest.param(
        D(2018, 1, 1), D(2021, 6, 30), "transition, OLD-1", id="OLD-1-due-2020-01-01-moved"
    ),
    pytest.param(
        D(2019, 6, 29), D(2021, 6, 30), "transition, OLD-1", id="OLD-1-due-2021-06-29-moved"
    ),
    pytest.param(D(2019, 6, 30), D(2021, 6, 30), "transition", id="OLD-1-due-2021-06-30-itself"),
    pytest.param(D(2019, 7, 1), D(2021, 7, 1), "transition", id="OLD-1-due-2021-07-01-not-moved"),
]


@pytest.mark.parametrize(("held", "due", "rule"), COVID)
def test_covid_deferral(held: date, due: date, rule: str) -> None:
    result = assess(employee(D(2016, 1, 4), held), D(2026, 12, 4), LEGAL, 60)
    assert (result.next_due and (result.next_due.due, result.next_due.rule)) == (due, rule)
    assert result.status == "en_retard"
    if "OLD-1" in rule:
        assert "reportée au 30/06/2021 (crise sanitaire)" in result.next_due.reason


TOPUP_START = [
    # EDL held (late) on this day, the top-up's payment deadline, OLD-2 named in the reason
    pytest.param(
        D(2021, 9, 30), D(2021, 12, 31), True, id="OLD-2-EDL-2021-09-30-pay-by-2021-12-31"
    ),
    pytest.param(D(2021, 10, 1), D(2022, 3, 31), False, id="OLD-2-EDL-2021-10-01-SAN-2-as-usual"),
    pytest.param(None, D(2021, 12, 31), True, id="OLD-2-EDL-due-2021-06-30-never-held"),
]


@pytest.mark.parametrize(("held", "deadline", "named"), TOPUP_START)
def test_topup_is_never_owed_before_october_2021(
    held: date | None, deadline: date, named: bool
) -> None:
    interviews = (Interview(held, "etat_des_lieux"),) if held else ()
    facts = employee(D(2014, 3, 7), interviews=interviews)
    review = assess(facts, D(2026, 12, 4), LEGAL, 60).reviews[0]
    assert (review.due, review.held_on, review.topup.owed, review.topup.deadline) == (
        D(2021, 6, 30),
        held,
        True,
        deadline,
    )
    assert ("exigible au plus tôt le 01/10/2021 (OLD-2)" in review.topup.reason) is named


# ---------------------------------------------------------------------------
# What the tool knows and what it doesn't: « à vérifier », never late on a presumption
# ---------------------------------------------------------------------------


def test_roster_last_interview_only_is_to_check_not_late() -> None:
    """Hired in 2000, last EP 01/03/2024 (roster): earlier history unknown."""
    facts = employee(
        D(2000, 1, 2),
        last_interview_in_roster=D(2024, 3, 1),
        history_known_since=D(2024, 3, 1),
    )
    result = assess(facts, D(2026, 12, 4), LEGAL, 60)
    assert result.status == "a_verifier"
    assert result.days_late == 0
    # The next EP, apart from the EDL: 01/03/2024 + 4 years (transition).
    assert result.next_interview is not None
    assert (result.next_interview.due, result.next_interview.unknown) == (D(2028, 3, 1), None)
    # The 2021 EDL may have been held: to check, named.
    review = result.reviews[0]
    assert review.due == D(2021, 6, 30)
    assert review.unknown == (
        "tenue de l'état des lieux inconnue (historique des entretiens avant le 01/03/2024 inconnu)"
    )
    assert result.next_review is not None and result.next_review.unknown == review.unknown
    assert (review.interviews_known, review.topup.owed, review.topup.amount) == (False, False, 0)
    assert review.topup.to_check == (
        "les entretiens dus ont été tenus (historique des entretiens avant le 01/03/2024 inconnu)"
    )
    assert "à vérifier" in review.topup.reason
    # The first EP (due 07/03/2016) met only by the 2024 interview: unknown, not "held late".
    first = result.history[0]
    assert (first.due, first.held_on, first.unknown) == (
        D(2016, 3, 7),
        D(2024, 3, 1),
        "historique des entretiens avant le 01/03/2024 inconnu",
    )
    assert any("historique des entretiens avant le 01/03/2024 inconnu" in c for c in result.checks)


def test_roster_last_review_settles_whether_it_was_held() -> None:
    facts = employee(
        D(2000, 1, 2),
        last_interview_in_roster=D(2024, 3, 1),
        last_review_in_roster=D(2021, 5, 10),
        history_known_since=D(2024, 3, 1),
    )
    result = assess(facts, D(2026, 12, 4), LEGAL, 60)
    review = result.reviews[0]
    assert (review.held_on, review.unknown) == (D(2021, 5, 10), None)
    assert review.topup.to_check is not None  # the interviews before it are still unknown
    assert result.status == "a_jour"
    assert result.next_review is not None
    # EDL-1 after the transition: 14 years counted from the 2014 law, before 15.
    assert (result.next_review.window_start, result.next_review.due) == (
        D(2028, 3, 7),
        D(2029, 3, 6),
    )


def test_training_followed_clears_the_topup_even_with_unknown_interviews() -> None:
    training = Training("Négociation", D(2019, 5, 2), D(2019, 5, 3))
    facts = employee(
        D(2000, 1, 2),
        last_interview_in_roster=D(2024, 3, 1),
        history_known_since=D(2024, 3, 1),
        trainings=(training,),
    )
    review = assess(facts, D(2026, 12, 4), LEGAL, 60).reviews[0]
    assert (review.topup.owed, review.topup.to_check) == (False, None)
    # With the "ou" reading an unknown interview history leaves it to check.
    review = assess(facts, D(2026, 12, 4), OR_TRIGGER, 60).reviews[0]
    assert (review.topup.owed, review.topup.to_check is not None) == (False, True)


def test_no_trainings_sheet_is_not_proof_of_no_training() -> None:
    facts = employee(D(2014, 3, 7), trainings_known=False)
    review = assess(facts, D(2026, 12, 4), LEGAL, 60).reviews[0]
    assert review.interviews_held is False  # history known: the 2016 EP was missed
    assert (review.topup.owed, review.topup.to_check) == (
        False,
        "une formation non obligatoire a été suivie (aucun tableau des formations)",
    )


def test_no_interview_known_since_the_tool_started() -> None:
    """Nothing in the roster, nothing returned since the first import on 01/11/2026."""
    facts = employee(D(2000, 1, 2), history_known_since=D(2026, 11, 1))
    result = assess(facts, D(2026, 12, 4), LEGAL, 60)
    assert result.status == "a_verifier"
    assert result.next_interview is not None
    assert result.next_interview.unknown == (
        "historique des entretiens avant le 01/11/2026 inconnu ; au plus tard le 01/11/2030 si "
        "un entretien a eu lieu juste avant"
    )
    assert not any(r.topup.owed for r in result.reviews)
    # Four years later still nothing: late whatever happened before, from the bound.
    later = assess(facts, D(2031, 1, 2), LEGAL, 60)
    assert later.next_interview is not None
    assert (later.status, later.next_interview.due, later.next_interview.unknown) == (
        "en_retard",
        D(2030, 11, 1),
        None,
    )


@pytest.mark.parametrize(
    "stated",
    [D(2015, 1, 1), D(2027, 5, 1)],
    ids=["roster-last-interview-before-hire", "roster-last-interview-in-the-future"],
)
def test_an_unusable_roster_date_does_not_make_the_history_known(stated: date) -> None:
    """A typo in the roster must not turn an unknown history into a certain delay."""
    facts = employee(
        D(2017, 7, 17), last_interview_in_roster=stated, history_known_since=D(2026, 12, 4)
    )
    result = assess(facts, D(2026, 12, 10), LEGAL, 60)
    assert (result.status, result.days_late) == ("a_verifier", 0)
    assert result.next_interview is not None and result.next_interview.due == D(2019, 7, 17)


def test_hire_after_the_history_starts_is_fully_known() -> None:
    facts = employee(D(2026, 1, 10), history_known_since=D(2025, 11, 1))
    result = assess(facts, D(2027, 2, 1), LEGAL, 60)
    assert (result.status, result.checks) == ("en_retard", ())


def test_departed_employee_has_no_obligation() -> None:
    facts = employee(D(2020, 1, 6), left_on=D(2026, 5, 31))
    result = assess(facts, D(2026, 6, 1), LEGAL, 60)
    assert (result.status, result.status_label, result.next_due) == ("sorti", "sorti", None)
    assert (result.obligations, result.history, result.reviews) == ((), (), ())
    assert result.notes == ("Sorti le 31/05/2026 : plus d'entretien à prévoir.",)


def test_last_day_of_work_is_still_employed() -> None:
    result = assess(employee(D(2024, 1, 15), left_on=D(2026, 6, 1)), D(2026, 6, 1), LEGAL, 10)
    assert result.status == "en_retard"


def test_planned_departure_drops_later_deadlines() -> None:
    result = assess(employee(D(2026, 3, 1), left_on=D(2026, 8, 31)), D(2026, 6, 1), LEGAL, 10)
    assert (result.status, result.next_due, result.obligations) == ("a_jour", None, ())
    assert (
        result.notes[-1]
        == "Départ prévu le 31/08/2026 : 2 échéance(s) postérieure(s) non retenue(s)."
    )


def test_interim_is_not_concerned() -> None:
    result = assess(employee(D(2024, 1, 15), contract="intérim"), D(2026, 6, 1), LEGAL, 10)
    assert (result.status, result.status_label, result.obligations) == (
        "non_concerne",
        "non concerné",
        (),
    )


def test_last_interview_source() -> None:
    recorded = employee(D(2021, 9, 1), D(2024, 3, 12))
    roster = replace(recorded, last_interview_in_roster=D(2025, 2, 3))
    first = assess(recorded, D(2026, 6, 1), LEGAL, 10).last_interview
    second = assess(roster, D(2026, 6, 1), LEGAL, 10).last_interview
    assert first is not None and second is not None
    assert (first.held_on, first.source_label) == (D(2024, 3, 12), "entretien enregistré")
    assert (second.held_on, second.source_label) == (D(2025, 2, 3), "fichier salariés")


def test_bad_records_are_set_aside_with_a_note() -> None:
    facts = employee(
        D(2024, 1, 15),
        D(2023, 5, 2),
        D(2027, 1, 1),
        absences=(Absence("maternite", D(2025, 6, 2), D(2025, 3, 1)),),
    )
    result = assess(facts, D(2026, 6, 1), LEGAL, 10)
    assert result.last_interview is None
    assert result.notes[:3] == (
        "Entretien daté du 02/05/2023, avant l'embauche du 15/01/2024 : ignoré.",
        "Entretien daté du 01/01/2027, dans le futur : ignoré.",
        "Congé de maternité du 02/06/2025 : date de retour 01/03/2025 antérieure au départ, "
        "absence ignorée ; corrigez-la.",
    )


# ---------------------------------------------------------------------------
# Date arithmetic (art. 641 CPC: missing day → last day of the month)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 11, 15), 2, D(2027, 1, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2027, 1, 1), D(2027, 6, 30)),
        (D(2027, 3, 31), D(2027, 6, 30)),
        (D(2027, 4, 1), D(2027, 9, 30)),
        (D(2027, 8, 15), D(2027, 12, 31)),
        (D(2027, 12, 15), D(2028, 3, 31)),
    ],
)
def test_end_of_next_quarter(day: date, expected: date) -> None:
    assert end_of_next_quarter(day) == expected


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

KINDS: list[AbsenceKind] = [
    "maternite",
    "conge_parental",
    "proche_aidant",
    "maladie",
    "sans_solde",
    "solidarite_familiale",
    "mandat_syndical",
]
OCCASIONS: list[Occasion] = ["periodique", "retour_conge", "mi_carriere", "etat_des_lieux"]


@st.composite
def facts_strategy(draw: st.DrawFn) -> EmployeeFacts:
    hired = draw(st.dates(D(2008, 1, 1), D(2030, 12, 31)))
    interviews = tuple(
        Interview(hired + timedelta(days=offset), occasion)
        for offset, occasion in draw(
            st.lists(st.tuples(st.integers(0, 7000), st.sampled_from(OCCASIONS)), max_size=5)
        )
    )
    absences = tuple(
        Absence(
            kind,
            hired + timedelta(days=start),
            None if length is None else hired + timedelta(days=start + length),
            override,
        )
        for kind, start, length, override in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(KINDS),
                    st.integers(-100, 6000),
                    st.none() | st.integers(0, 900),
                    st.none() | st.booleans(),
                ),
                max_size=3,
            )
        )
    )
    return EmployeeFacts(
        "M001",
        hired,
        born_on=draw(st.none() | st.dates(D(1955, 1, 1), D(2006, 12, 31))),
        left_on=draw(st.none() | st.dates(D(2010, 1, 1), D(2040, 12, 31))),
        last_interview_in_roster=draw(st.none() | st.dates(D(2010, 1, 1), D(2036, 12, 31))),
        interviews=interviews,
        absences=absences,
        trainings=(NON_MANDATORY,) if draw(st.booleans()) else (),
        midcareer_visit_on=draw(st.none() | st.dates(D(2020, 1, 1), D(2050, 12, 31))),
    )


SETTINGS = st.sampled_from([LEGAL, FORMER, AGREEMENT_3, AGREEMENT_5, OR_TRIGGER])
TODAY = st.dates(D(2015, 1, 1), D(2040, 12, 31))


@settings(deadline=None)
@given(facts_strategy(), TODAY, SETTINGS, st.integers(0, 200))
def test_property_deterministic(
    facts: EmployeeFacts, today: date, legal: LegalSettings, headcount: int
) -> None:
    first = assess(facts, today, legal, headcount)
    assert first == assess(facts, today, legal, headcount)
    assert assess_all([facts, facts], today, legal, headcount) == (first, first)


@settings(deadline=None)
@given(facts_strategy(), TODAY, SETTINGS)
def test_property_departed_has_no_obligation(
    facts: EmployeeFacts, today: date, legal: LegalSettings
) -> None:
    facts = replace(facts, left_on=today - timedelta(days=1))
    result = assess(facts, today, legal, 60)
    assert (result.status, result.next_due, result.obligations) == ("sorti", None, ())


@settings(deadline=None)
@given(facts_strategy(), TODAY, SETTINGS)
def test_property_nothing_due_before_the_last_interview(
    facts: EmployeeFacts, today: date, legal: LegalSettings
) -> None:
    """A late état des lieux is the only thing an ordinary interview does not settle."""
    result = assess(facts, today, legal, 60)
    for obligation in result.obligations + result.history:
        assert obligation.window_start <= obligation.due
    if result.last_interview is None:
        return
    for obligation in result.obligations:
        if obligation.occasion != "etat_des_lieux":
            assert obligation.due >= result.last_interview.held_on


@settings(deadline=None)
@given(facts_strategy(), TODAY, SETTINGS)
def test_property_status_follows_the_earliest_deadline(
    facts: EmployeeFacts, today: date, legal: LegalSettings
) -> None:
    result = assess(facts, today, legal, 60)
    if result.status in ("sorti", "non_concerne"):
        return
    dues = [o.due for o in result.obligations]
    assert dues == sorted(dues)
    if result.next_due is None:
        assert result.status == "a_jour"
        return
    remaining = (result.next_due.due - today).days
    assert (result.status == "en_retard") == (remaining < 0)
    assert result.days_late == max(0, -remaining)
    assert (result.status == "a_planifier") == (0 <= remaining <= legal.warning_days)


@given(st.dates(D(1900, 1, 1), D(2200, 12, 31)), st.integers(-100, 100))
def test_property_add_years_keeps_the_month(day: date, years: int) -> None:
    moved = add_years(day, years)
    assert (moved.year, moved.month) == (day.year + years, day.month)
    assert moved.day == day.day or (day.day == 29 and moved.day == 28)
