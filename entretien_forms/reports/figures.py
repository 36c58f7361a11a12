"""The key figures HR shows the CSE: computed once, laid out by the workbook and by status.

The Synthèse sheet of suivi-entretiens.xlsx and ``entretien status`` must never
disagree, so neither counts anything itself: both take a ``KeyFigures`` value
computed here from the follow-up (``follow_up.FollowUp``), and only place it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from entretien_forms.reports.follow_up import FollowUp, awaits_keying, owed_for_sure
from entretien_forms.rules import Status, add_months

# The statuses of the rules, the most urgent first (the order people read them in).
STATUSES: tuple[Status, ...] = (
    "en_retard",
    "a_verifier",
    "a_planifier",
    "a_jour",
    "sorti",
    "non_concerne",
)
# Reviews and top-ups ahead are counted this many months ahead.
HORIZON_MONTHS = 12


@dataclass(frozen=True)
class KeyFigures:
    """What a CSE or an inspector asks first, as of ``today``, for one campaign.

    Counts of top-ups are kept apart by certainty: owed (the review was held
    or its deadline passed, not paid yet), paid (HR's top-ups sheet), to fear
    (owed if nothing changes, review within 12 months) and to check (neither
    owed nor cleared: the tool lacks a fact). Never one total of the four.
    """

    today: date
    campaign: str
    employees: int
    by_status: Mapping[Status, int]  # every status, zeros included
    interviews_last_year: int  # professional interviews held in the last 12 months
    employees_interviewed_last_year: int
    reviews_held_last_year: int
    reviews_late: int
    reviews_to_check: int
    reviews_due_within_year: int
    topups_owed: int
    topups_owed_amount: int
    topups_paid: int
    topups_paid_amount: float
    topups_feared: int
    topups_feared_amount: int
    topups_to_check: int
    forms_issued: int
    forms_returned: int
    files_rejected: int
    forms_to_key: int  # paper returns whose handwritten answers wait for HR's keying

    @property
    def forms_missing(self) -> int:
        return self.forms_issued - self.forms_returned

    @property
    def return_rate(self) -> float | None:
        """Returned over issued; ``None`` when nothing was issued."""
        return self.forms_returned / self.forms_issued if self.forms_issued else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable, keys in English, dates ISO."""
        data = asdict(self)
        data["today"] = self.today.isoformat()
        data["by_status"] = dict(self.by_status)
        data["forms_missing"] = self.forms_missing
        data["return_rate"] = self.return_rate
        return data


def key_figures(facts: FollowUp, today: date) -> KeyFigures:
    """Count once what both the Synthèse sheet and ``entretien status`` show."""
    year_ago = add_months(today, -HORIZON_MONTHS)
    horizon = add_months(today, HORIZON_MONTHS)
    people = facts.people
    statuses = Counter(p.assessment.status for p in people)
    held: set[tuple[str, date]] = set()
    for person in people:
        a = person.assessment
        days = [r.interview.held_on for r in person.recorded]
        if a.last_interview is not None:
            days.append(a.last_interview.held_on)
        held.update((a.matricule, d) for d in days if year_ago < d <= today)
    reviews = [r for p in people for r in p.assessment.reviews]
    owed_all = [(p, r) for p in people for r in p.assessment.reviews if owed_for_sure(r)]
    paid = [
        (r, payment)
        for p, r in owed_all
        if (payment := facts.payment(p.employee.matricule, r)) is not None
    ]
    owed = [r for p, r in owed_all if facts.payment(p.employee.matricule, r) is None]
    feared = [r for r in reviews if r.topup.owed and r.provisional and r.due <= horizon]
    forms = facts.forms
    return KeyFigures(
        today=today,
        campaign=forms.name,
        employees=len(people),
        by_status={status: statuses[status] for status in STATUSES},
        interviews_last_year=len(held),
        employees_interviewed_last_year=len({m for m, _ in held}),
        reviews_held_last_year=sum(
            1 for r in reviews if r.held_on is not None and year_ago < r.held_on <= today
        ),
        reviews_late=sum(
            1 for r in reviews if r.held_on is None and r.due < today and not r.unknown
        ),
        reviews_to_check=sum(1 for r in reviews if r.unknown),
        reviews_due_within_year=sum(
            1 for r in reviews if r.held_on is None and today <= r.due <= horizon
        ),
        topups_owed=len(owed),
        topups_owed_amount=sum(r.topup.amount for r in owed),
        topups_paid=len(paid),
        topups_paid_amount=sum(r.topup.amount if p.amount is None else p.amount for r, p in paid),
        topups_feared=len(feared),
        topups_feared_amount=sum(r.topup.amount for r in feared),
        topups_to_check=sum(1 for r in reviews if r.topup.to_check and not r.provisional),
        forms_issued=len(forms.issued),
        forms_returned=sum(1 for k in forms.issued if k in forms.returned),
        files_rejected=sum(forms.rejected.values()),
        forms_to_key=sum(1 for s in forms.returned.values() if awaits_keying(s)),
    )
