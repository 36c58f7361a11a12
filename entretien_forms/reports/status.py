"""Where the campaign stands, in a few lines: what ``entretien status`` prints.

The terminal must never contradict the follow-up workbook HR opens next
(suivi-entretiens.xlsx), so the figures come from the same facts
(``follow_up``) with the same inputs, and are counted the way the workbook
counts them: per-manager progress as in its Campagne sheet, statuses and
deadlines as in its Salariés sheet, états des lieux as in its État des lieux
sheet. Only the most urgent deadlines are kept; the workbook has them all.

``CampaignStatus.as_dict()`` is the ``--json`` output for scripts. Its keys
are English, like every JSON the tool prints (``roster check --json``,
``export``), and stable; dates are ISO (``2026-11-26``); statuses and
occasions are the rules' codes (``en_retard``, ``a_verifier``, ``a_planifier``,
``a_jour``, ``sorti``, ``non_concerne``; ``retour_conge``...), each with its French
label beside it. Each employee has up to two deadlines, the next professional
interview and the next état des lieux (``kind``), so that neither hides the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from entretien_forms.config import LegalSettings, Settings
from entretien_forms.reports.build import HRSheets, read_hr_sheets
from entretien_forms.reports.figures import STATUSES as STATUSES
from entretien_forms.reports.figures import KeyFigures, key_figures
from entretien_forms.reports.follow_up import (
    STATUS_LABELS,
    STATUS_ORDER,
    FollowUp,
    ManagerProgress,
    Person,
    compute_follow_up,
    manager_progress,
)
from entretien_forms.reports.followed import followed_trainings
from entretien_forms.reports.sheets import (
    AbsenceRecord,
    HistoryRecord,
    TopUpPayment,
    TrainingRecord,
)
from entretien_forms.rules import Obligation, Occasion, Status, add_months, obligation_status
from entretien_forms.store import Store
from entretien_forms.text import fold
from entretien_forms.workspace import Workspace

# Deadlines listed when the caller does not say (the terminal shows one screen).
DEFAULT_LIMIT = 15
# États des lieux are listed this many months ahead, as in the workbook.
REVIEW_HORIZON_MONTHS = 12

DeadlineKind = Literal["entretien_professionnel", "etat_des_lieux"]
DEADLINE_KIND_LABELS: dict[DeadlineKind, str] = {
    "entretien_professionnel": "entretien professionnel",
    "etat_des_lieux": "état des lieux",
}
ReviewSituation = Literal["en_retard", "a_verifier", "a_planifier", "a_venir"]
SITUATION_LABELS: dict[ReviewSituation, str] = {
    "en_retard": "en retard",
    "a_verifier": "à vérifier",
    "a_planifier": "à planifier",
    "a_venir": "à venir",
}


@dataclass(frozen=True)
class Deadline:
    """An employee's next professional interview, or next état des lieux, with its reason.

    Each employee has up to two: an overdue état des lieux must not hide when
    the next professional interview is due, nor the reverse.
    """

    matricule: str
    name: str
    manager: str
    kind: DeadlineKind
    due: date
    occasion: Occasion
    interview: str  # its French label: "entretien professionnel périodique"...
    reason: str
    rule: str
    status: Status
    days_late: int
    to_check: str | None = None  # « à vérifier »: the fact the tool lacks

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "matricule": self.matricule,
            "name": self.name,
            "manager": self.manager,
            "kind": self.kind,
            "kind_label": DEADLINE_KIND_LABELS[self.kind],
            "due": self.due.isoformat(),
            "occasion": self.occasion,
            "interview": self.interview,
            "reason": self.reason,
            "rule": self.rule,
            "status": self.status,
            "status_label": self.status_label,
            "days_late": self.days_late,
            "to_check": self.to_check,
        }


@dataclass(frozen=True)
class ReviewDue:
    """An état des lieux récapitulatif not held yet, late or due within 12 months."""

    matricule: str
    name: str
    manager: str
    number: int
    due: date
    situation: ReviewSituation
    days_late: int
    reason: str
    rule: str
    topup_applies: bool  # the company is at or above the headcount threshold (SAN-1)
    topup_amount: int  # the corrective CPF top-up it owes as things stand, 0 if none
    topup_provisional: bool  # owed only "si rien ne change" (the review can still avoid it)
    topup_paid_on: date | None = None  # HR recorded its payment (abondements sheet)
    topup_to_check: str | None = None  # neither owed nor cleared: the missing facts

    @property
    def situation_label(self) -> str:
        return SITUATION_LABELS[self.situation]

    def as_dict(self) -> dict[str, Any]:
        return {
            "matricule": self.matricule,
            "name": self.name,
            "manager": self.manager,
            "number": self.number,
            "due": self.due.isoformat(),
            "situation": self.situation,
            "situation_label": self.situation_label,
            "days_late": self.days_late,
            "reason": self.reason,
            "rule": self.rule,
            "topup_applies": self.topup_applies,
            "topup_amount": self.topup_amount,
            "topup_provisional": self.topup_provisional,
            "topup_paid_on": self.topup_paid_on.isoformat() if self.topup_paid_on else None,
            "topup_to_check": self.topup_to_check,
        }


@dataclass(frozen=True)
class CampaignStatus:
    """The campaign at a glance, as of ``today``.

    ``deadlines`` and ``reviews`` hold the first ``limit`` rows only;
    ``deadlines_total`` and ``reviews_total`` say how many there are in all.
    """

    campaign: str
    today: date
    employees: int
    by_status: Mapping[Status, int]  # every status, zeros included
    managers: tuple[ManagerProgress, ...]
    total: ManagerProgress
    deadlines: tuple[Deadline, ...]
    deadlines_total: int
    reviews: tuple[ReviewDue, ...]
    reviews_total: int
    figures: KeyFigures  # the Synthèse sheet's key figures, counted by the same function

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable, keys in English, dates ISO (see the module docstring)."""
        return {
            "campaign": self.campaign,
            "today": self.today.isoformat(),
            "employees": self.employees,
            "by_status": dict(self.by_status),
            "managers": [m.as_dict() for m in self.managers],
            "total": self.total.as_dict(),
            "deadlines": [d.as_dict() for d in self.deadlines],
            "deadlines_total": self.deadlines_total,
            "reviews": [r.as_dict() for r in self.reviews],
            "reviews_total": self.reviews_total,
            "key_figures": self.figures.as_dict(),
        }


def workspace_inputs(workspace: Workspace, store: Store, *, today: date) -> HRSheets:
    """Read what the workbook is computed from, so that status shows the workbook's figures.

    The same files as ``build_reports`` finds on its own (trainings, absences
    and top-ups paid, at the workspace's root), plus the trainings declared as
    followed in the returned forms.
    """
    hr = read_hr_sheets(workspace, today=today)
    return replace(hr, trainings=hr.trainings + tuple(followed_trainings(store)))


def campaign_status(
    store: Store,
    settings: Settings,
    *,
    campaign: str,
    today: date,
    trainings: Iterable[TrainingRecord] = (),
    absences: Iterable[AbsenceRecord] = (),
    topups: Iterable[TopUpPayment] = (),
    history: Iterable[HistoryRecord] = (),
    trainings_known: bool = True,
    limit: int | None = DEFAULT_LIMIT,
) -> CampaignStatus:
    """Statuses, campaign progress and the most urgent deadlines; ``limit=None`` keeps all.

    Takes the same arguments as ``build_compliance_workbook`` so that, given
    the same ones, both show the same figures.
    """
    facts = compute_follow_up(
        store,
        settings,
        campaign=campaign,
        today=today,
        trainings=trainings,
        absences=absences,
        topups=topups,
        history=history,
        trainings_known=trainings_known,
    )
    people = facts.people
    figures = key_figures(facts, today)
    managers, total = manager_progress(people, facts.forms)
    deadlines = sorted(
        (
            _deadline(p, kind, o, today, settings.legal)
            for p in people
            for kind, o in _next_two(p)
            if o is not None
        ),
        key=_urgency,
    )
    reviews = _reviews_due(facts, today, settings.legal.warning_days)
    return CampaignStatus(
        campaign=campaign,
        today=today,
        employees=figures.employees,
        by_status=figures.by_status,
        managers=managers,
        total=total,
        deadlines=tuple(deadlines[:limit]),
        deadlines_total=len(deadlines),
        reviews=tuple(reviews[:limit]),
        reviews_total=len(reviews),
        figures=figures,
    )


def _deadline(
    person: Person, kind: DeadlineKind, obligation: Obligation, today: date, legal: LegalSettings
) -> Deadline:
    e = person.employee
    status = obligation_status(obligation, today, legal)
    return Deadline(
        matricule=e.matricule,
        name=e.full_name,
        manager=person.manager,
        kind=kind,
        due=obligation.due,
        occasion=obligation.occasion,
        interview=obligation.label,
        reason=obligation.reason,
        rule=obligation.rule,
        status=status,
        days_late=(today - obligation.due).days if status == "en_retard" else 0,
        to_check=obligation.unknown if status == "a_verifier" else None,
    )


def _next_two(person: Person) -> tuple[tuple[DeadlineKind, Obligation | None], ...]:
    a = person.assessment
    return (("entretien_professionnel", a.next_interview), ("etat_des_lieux", a.next_review))


def _urgency(deadline: Deadline) -> tuple[int, int, date, str, str]:
    """The terminal's order: late first (longest late first), then to check, then by date."""
    return (
        STATUS_ORDER[deadline.status],
        -deadline.days_late,
        deadline.due,
        fold(deadline.name),
        deadline.matricule,
    )


def _reviews_due(facts: FollowUp, today: date, warning_days: int) -> list[ReviewDue]:
    """Each employee's état des lieux to act on, when late or due within 12 months.

    The rows of the État des lieux sheet that still call for a meeting (that
    sheet also keeps held ones that left a top-up owed), in its order.
    """
    horizon = add_months(today, REVIEW_HORIZON_MONTHS)
    found: list[tuple[Person, ReviewDue]] = []
    for person in facts.people:
        review = person.assessment.review
        if review is None or review.held_on is not None or review.due > horizon:
            continue
        remaining = (review.due - today).days
        situation: ReviewSituation = "a_venir"
        if review.unknown:
            situation = "a_verifier"
        elif remaining < 0:
            situation = "en_retard"
        elif remaining <= warning_days:
            situation = "a_planifier"
        e = person.employee
        found.append(
            (
                person,
                ReviewDue(
                    matricule=e.matricule,
                    name=e.full_name,
                    manager=person.manager,
                    number=review.number,
                    due=review.due,
                    situation=situation,
                    days_late=0 if review.unknown else max(0, -remaining),
                    reason=review.reason,
                    rule=review.rule,
                    topup_applies=review.topup.applies,
                    topup_amount=review.topup.amount if review.topup.owed else 0,
                    topup_provisional=review.topup.owed and review.provisional,
                    topup_to_check=review.topup.to_check,
                    topup_paid_on=paid.paid_on
                    if (paid := facts.payment(e.matricule, review))
                    else None,
                ),
            )
        )
    found.sort(key=lambda pr: (pr[1].due, fold(pr[0].employee.nom), pr[1].matricule))
    return [review for _person, review in found]
