"""What the follow-up is computed from: the store's interviews, the campaign's forms, the rules.

The compliance workbook and ``entretien status`` show the same figures; both
take them from here. Nothing in this module writes a file.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from entretien_forms.config import Settings
from entretien_forms.reports.sheets import (
    AbsenceRecord,
    HistoryRecord,
    TopUpPayment,
    TrainingRecord,
    matricule_key,
)
from entretien_forms.reports.sheets import occasion_of as occasion_of  # shared with the history
from entretien_forms.roster import Employee, manager_labels
from entretien_forms.rules import (
    Absence,
    Assessment,
    EmployeeFacts,
    Interview,
    Occasion,
    Review,
    Training,
    assess,
)
from entretien_forms.store import AnswerValue, IssuedForm, Store, Submission
from entretien_forms.text import fold

# Form kinds that prove a professional interview (the EDL is held as one).
INTERVIEW_KINDS = ("professionnel", "etat_des_lieux")
KIND_LABELS: dict[str, str] = {
    "professionnel": "entretien professionnel",
    "etat_des_lieux": "état des lieux",
    "annuel": "entretien annuel",
}
STATUS_LABELS: dict[str, str] = {
    "a_jour": "à jour",
    "a_planifier": "à planifier",
    "a_verifier": "à vérifier",
    "en_retard": "en retard",
    "sorti": "sorti",
    "non_concerne": "non concerné",
}
STATUS_ORDER = {
    "en_retard": 0,
    "a_verifier": 1,
    "a_planifier": 2,
    "a_jour": 3,
    "sorti": 4,
    "non_concerne": 5,
}
_REFERENCE = re.compile(r"[A-Z]{1,10}-[A-Z0-9]{1,16}-\d{5}")
# What mail clients and file managers add to a name saved twice, once folded:
# "Dupont-Jean-M001-annuel (2)", "... - Copie", "... - Copie (3)".
_COPY_SUFFIX = re.compile(r"(?: copie)?(?: \d{1,3})?$")
NO_MANAGER = "Sans responsable"

# ---------------------------------------------------------------------------
# Facts read from the store
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedInterview:
    """A professional interview proven by a returned form, and how its date was read."""

    matricule: str
    interview: Interview
    reference: str
    kind: str
    paper: bool
    dated_by_reception: bool  # no interview date on the form: the day it was received

    def describe(self) -> str:
        """Where the date comes from, in French, for the Source column."""
        text = f"formulaire {self.reference}"
        if self.paper:
            return f"{text} (papier : date de réception)"
        if self.dated_by_reception:
            return f"{text} (date de l'entretien absente : date de réception)"
        return text


def recorded_interviews(
    store: Store, submissions: Sequence[Submission] | None = None
) -> dict[str, list[RecordedInterview]]:
    """Professional interviews and états des lieux returned, by matricule, oldest first.

    ``submissions`` saves reading them again when the caller has them already.
    """
    found: dict[str, list[RecordedInterview]] = defaultdict(list)
    answers = store.answers_matching(["entretien.date", "entretien.occasion"])
    for submission in store.submissions() if submissions is None else submissions:
        if submission.kind not in INTERVIEW_KINDS:
            continue
        found[submission.matricule].append(
            _recorded(submission, answers.get(submission.id or 0, {}))
        )
    return dict(found)


def _recorded(submission: Submission, answers: Mapping[str, AnswerValue]) -> RecordedInterview:
    received = submission.received_at.date()
    held_on: date | None = None
    occasion: Occasion = "etat_des_lieux" if submission.kind == "etat_des_lieux" else "periodique"
    # A paper return has answers once HR keyed them (« entretien saisie »): its date then.
    if answers:
        held = answers.get("entretien.date")
        if isinstance(held, str):
            try:
                held_on = date.fromisoformat(held)
            except ValueError:
                held_on = None
        if "entretien.occasion" in answers and occasion != "etat_des_lieux":
            occasion = occasion_of(answers["entretien.occasion"])
    return RecordedInterview(
        matricule=submission.matricule,
        interview=Interview(held_on or received, occasion),
        reference=submission.reference,
        kind=submission.kind,
        paper=submission.paper,
        dated_by_reception=held_on is None,
    )


@dataclass(frozen=True)
class Person:
    employee: Employee
    manager: str  # name shown in the Responsable columns, « Martin Dupont (M010) » for a namesake
    manager_matricule: str | None  # None: no manager, or a name the roster could not resolve
    assessment: Assessment
    recorded: tuple[RecordedInterview, ...]
    planned: tuple[TrainingRecord, ...]  # trainings not yet done, for the EDL sheet


def awaits_keying(submission: Submission) -> bool:
    """A paper return whose handwritten answers HR has not keyed yet (« entretien saisie »)."""
    return submission.paper and submission.keying == "a_saisir"


@dataclass
class CampaignForms:
    """Forms of one campaign: who got which, what came back, what was rejected."""

    name: str
    issued: dict[tuple[str, str], IssuedForm]
    returned: dict[tuple[str, str], Submission]
    rejected: Counter[str]  # matricule ("" when the file could not be attributed) → files
    kinds: tuple[str, ...]

    def state(self, matricule: str, kind: str) -> str:
        submission = self.returned.get((matricule, kind))
        if submission is not None:
            if submission.paper:
                return (
                    "retourné (papier, à saisir)"
                    if awaits_keying(submission)
                    else ("retourné (papier)")
                )
            return "retourné"
        return "manquant" if (matricule, kind) in self.issued else "non émis"


def campaign_forms(store: Store, name: str, submissions: Sequence[Submission]) -> CampaignForms:
    issued = {(f.matricule, f.kind): f for f in store.current_issued(campaign=name)}
    returned = {(s.matricule, s.kind): s for s in submissions if s.campaign == name}
    kinds = sorted(
        {k for _, k in issued} | {k for _, k in returned},
        key=lambda k: (list(KIND_LABELS).index(k) if k in KIND_LABELS else 99, k),
    )
    return CampaignForms(name, issued, returned, _rejections(store, name, issued), tuple(kinds))


def _rejections(
    store: Store, campaign: str, issued: Mapping[tuple[str, str], IssuedForm]
) -> Counter[str]:
    """Rejected files of this campaign, by employee.

    The audit log names the file and sometimes the reference. A file is this
    campaign's when its reference was issued for it, or when its name is the
    name of a form issued for it (the name the tool gave, maybe with " (2)"
    added by a mail client). Other rejections since the campaign started are
    counted as not attributable.
    """
    stems: dict[str, str] = {}
    for issued_form in issued.values():
        for path in (issued_form.docx_path, issued_form.pdf_path):
            if path:
                stems[fold(PurePosixPath(path.replace("\\", "/")).stem)] = issued_form.matricule
    start = min((f.issued_at for f in issued.values()), default=None)
    counts: Counter[str] = Counter()
    for at, event, source_file, reference, _detail in store.audit_log():
        if event != "rejete":
            continue
        references = [reference] if reference else _REFERENCE.findall(source_file.upper())
        form = next((f for r in references if (f := store.issued(r)) is not None), None)
        if form is not None:
            if form.campaign == campaign:
                counts[form.matricule] += 1
            continue
        if start is None or at < start.isoformat(timespec="seconds"):
            continue
        stem = fold(PurePosixPath(source_file.replace("\\", "/")).stem)
        matricule = stems.get(stem) or stems.get(_COPY_SUFFIX.sub("", stem), "")
        counts[matricule] += 1
    return counts


def _owners(employees: Sequence[Employee]) -> Callable[[str], str | None]:
    """The roster matricule an HR sheet's matricule stands for (« 42 » for « 00042 »)."""
    keys: dict[str, str | None] = {}
    for e in employees:
        key = matricule_key(e.matricule)
        keys[key] = None if key in keys else e.matricule  # ambiguous: exact match only
    exact = {e.matricule for e in employees}

    def owner(matricule: str) -> str | None:
        return matricule if matricule in exact else keys.get(matricule_key(matricule))

    return owner


def owed_for_sure(review: Review) -> bool:
    """A top-up owed whatever happens now: the review was held, or its deadline passed."""
    return review.topup.owed and not review.provisional


def settle_topups(
    people: Sequence[Person], payments: Iterable[TopUpPayment]
) -> tuple[dict[tuple[str, int], TopUpPayment], list[TopUpPayment]]:
    """Which owed top-up each payment HR recorded settles, and the payments left over.

    An employee's payments, oldest first, settle their owed top-ups, earliest
    review first: HR pays them in that order, and a payment names no review.
    Keys are (matricule, review number). A payment for nobody in the roster,
    or beyond the top-ups owed, is left over for HR to check.
    """
    owner = _owners([p.employee for p in people])
    owed = {
        p.employee.matricule: sorted(
            (r for r in p.assessment.reviews if owed_for_sure(r)), key=lambda r: r.due
        )
        for p in people
    }
    settled: dict[tuple[str, int], TopUpPayment] = {}
    left: list[TopUpPayment] = []
    for payment in sorted(payments, key=lambda p: (p.paid_on, p.row)):
        who = owner(payment.matricule)
        pending = owed.get(who, []) if who is not None else []
        if not pending:
            left.append(payment)
            continue
        settled[who or "", pending.pop(0).number] = payment
    return settled, left


def history_known_since(followed_since: date, in_history_sheet: bool) -> date | None:
    """From which day the tool has every interview of an employee; None: since hire.

    What the tool knows (legal-rules.md): every form returned since it started
    following the company (its first roster import), and HR's history sheet,
    which lists an employee's interviews since hire. The rules add the
    roster's last interview (nothing was held between it and the export)
    when its date is usable. Before that day, a missing interview is a fact
    to check, not a failure.
    """
    return None if in_history_sheet else followed_since


def _managers(employees: Sequence[Employee]) -> Callable[[Employee], tuple[str, str | None]]:
    """Each employee's manager: the name the Responsable columns show, and the matricule.

    Namesake managers carry their matricule (``roster.manager_labels``), or the
    Campagne sheet and ``entretien status`` would show two rows nobody can tell
    apart; a name typed in the roster that matches no employee has no matricule.
    """
    labels = manager_labels(employees)
    known = {e.matricule for e in employees}

    def manager_of(employee: Employee) -> tuple[str, str | None]:
        matricule = employee.manager_matricule
        label = labels.get(employee.matricule) or NO_MANAGER
        return label, matricule if matricule in known else None

    return manager_of


def assess_people(
    settings: Settings,
    employees: Sequence[Employee],
    recorded: Mapping[str, Sequence[RecordedInterview]],
    trainings: Sequence[TrainingRecord],
    absences: Sequence[AbsenceRecord],
    today: date,
    *,
    history: Sequence[HistoryRecord] = (),
    followed_since: date | None = None,
    trainings_known: bool = True,
) -> tuple[list[Person], list[str]]:
    """Assess everyone; also return the sheets' matricules that match nobody.

    ``followed_since`` is the first roster import (``Store.first_import_on``);
    ``None`` treats every employee's history as complete, as pure tests do.
    """
    owner = _owners(employees)
    unmatched: list[str] = []
    past: dict[str, list[Interview]] = defaultdict(list)
    for row in history:
        who = owner(row.matricule)
        if who is None:
            unmatched.append(row.matricule)
        else:
            past[who].append(replace(row.interview, source="historique_rh"))
    done: dict[str, list[Training]] = defaultdict(list)
    planned: dict[str, list[TrainingRecord]] = defaultdict(list)
    leaves: dict[str, list[Absence]] = defaultdict(list)
    for record in trainings:
        who = owner(record.matricule)
        if who is None:
            unmatched.append(record.matricule)
        elif record.completed:
            done[who].append(record.training)
        elif record.status != "annulé":
            planned[who].append(record)
    for leave in absences:
        who = owner(leave.matricule)
        if who is None:
            unmatched.append(leave.matricule)
        else:
            leaves[who].append(leave.absence)
    manager_of = _managers(employees)
    people = []
    for employee in employees:
        proofs = tuple(recorded.get(employee.matricule, ()))
        listed = employee.matricule in past
        facts = EmployeeFacts.from_employee(
            employee,
            interviews=[*past.get(employee.matricule, ()), *(r.interview for r in proofs)],
            absences=leaves.get(employee.matricule, ()),
            trainings=done.get(employee.matricule, ()),
            history_known_since=(
                None if followed_since is None else history_known_since(followed_since, listed)
            ),
            trainings_known=trainings_known,
        )
        manager, manager_matricule = manager_of(employee)
        people.append(
            Person(
                employee=employee,
                manager=manager,
                manager_matricule=manager_matricule,
                assessment=assess(facts, today, settings.legal, settings.company.headcount),
                recorded=proofs,
                planned=tuple(
                    sorted(planned.get(employee.matricule, ()), key=lambda t: t.training.start)
                ),
            )
        )
    people.sort(key=urgency)
    return people, list(dict.fromkeys(unmatched))


def urgency(person: Person) -> tuple[int, int, date, str, str, str]:
    a = person.assessment
    due = a.next_due.due if a.next_due else date.max
    e = person.employee
    return (STATUS_ORDER[a.status], -a.days_late, due, fold(e.nom), fold(e.prenom), e.matricule)


# Rows of the campaign's progress that are not managers.
NOT_IN_ROSTER = "Salariés hors fichier actuel"
UNATTRIBUTED = "Fichiers non attribués"
TOTAL = "Total"
# A row of the campaign's progress: the manager's matricule (None for a name typed in
# the roster, or a row that is not a manager) and the name shown.
_Team = tuple[str | None, str]


@dataclass(frozen=True)
class ManagerProgress:
    """One row of the Campagne sheet: a manager's forms for the campaign."""

    manager: str
    employees: int
    issued: int
    returned: int
    paper: int  # among returned
    missing: int
    rejected: int  # files set aside in rejected/
    # None: not a manager of the roster (total, files...)
    manager_matricule: str | None = None
    to_key: int = 0  # paper returns whose written answers HR has not keyed yet

    @property
    def return_rate(self) -> float | None:
        """Returned over issued; ``None`` with nothing issued (a row of rejected files only)."""
        return self.returned / self.issued if self.issued else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "manager": self.manager,
            "manager_matricule": self.manager_matricule,
            "employees": self.employees,
            "issued": self.issued,
            "returned": self.returned,
            "paper": self.paper,
            "to_key": self.to_key,
            "missing": self.missing,
            "rejected": self.rejected,
            "return_rate": self.return_rate,
        }


def manager_progress(
    people: Sequence[Person], forms: CampaignForms
) -> tuple[tuple[ManagerProgress, ...], ManagerProgress]:
    """The Campagne sheet's rows and its total, counted as that sheet counts them.

    A form counts for the manager its employee has today; a returned form
    since replaced counts as returned, not issued; a rejected file goes to its
    employee's manager, or to « Fichiers non attribués » when no form names it.
    Managers are told apart by matricule: two namesakes are two rows.
    """
    manager_of: dict[str, _Team] = {
        p.employee.matricule: (p.manager_matricule, p.manager) for p in people
    }
    outside: _Team = (None, NOT_IN_ROSTER)
    counts: dict[_Team, Counter[str]] = defaultdict(Counter)
    for matricule, kind in forms.issued:
        manager = manager_of.get(matricule, outside)
        returned = forms.returned.get((matricule, kind))
        counts[manager]["issued"] += 1
        counts[manager]["returned" if returned is not None else "missing"] += 1
        counts[manager]["paper"] += returned is not None and returned.paper
        counts[manager]["to_key"] += returned is not None and awaits_keying(returned)
    for key, submission in forms.returned.items():
        if key not in forms.issued:
            manager = manager_of.get(key[0], outside)
            counts[manager]["returned"] += 1
            counts[manager]["paper"] += submission.paper
            counts[manager]["to_key"] += awaits_keying(submission)
    for matricule, files in forms.rejected.items():
        manager = manager_of.get(matricule, outside) if matricule else (None, UNATTRIBUTED)
        counts[manager]["rejected"] += files
    people_of: dict[_Team, set[str]] = defaultdict(set)
    for matricule, _kind in [*forms.issued, *forms.returned]:
        people_of[manager_of.get(matricule, outside)].add(matricule)

    def order(team: _Team) -> tuple[int, str, str]:
        matricule, name = team
        rank = 0 if matricule else {NO_MANAGER: 1, NOT_IN_ROSTER: 2, UNATTRIBUTED: 3}.get(name, 0)
        return (rank, fold(name), matricule or "")

    def progress(team: _Team, c: Counter[str], employees: int) -> ManagerProgress:
        return ManagerProgress(
            manager=team[1],
            manager_matricule=team[0],
            employees=employees,
            issued=c["issued"],
            returned=c["returned"],
            paper=c["paper"],
            missing=c["missing"],
            rejected=c["rejected"],
            to_key=c["to_key"],
        )

    rows = tuple(
        progress(team, counts[team], len(people_of[team])) for team in sorted(counts, key=order)
    )
    everyone: set[str] = set().union(*people_of.values())
    return rows, progress((None, TOTAL), sum(counts.values(), Counter()), len(everyone))


@dataclass(frozen=True)
class FollowUp:
    """Everyone assessed as of a day, and the campaign's forms: what both views show."""

    people: list[Person]  # the most urgent first
    unmatched: list[str]  # matricules of the HR sheets that match nobody
    forms: CampaignForms
    paid: dict[tuple[str, int], TopUpPayment]  # (matricule, review number) → its payment
    unsettled: list[TopUpPayment]  # payments with no owed top-up to settle

    def payment(self, matricule: str, review: Review) -> TopUpPayment | None:
        return self.paid.get((matricule, review.number))


def compute_follow_up(
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
) -> FollowUp:
    """The workbook's and ``entretien status``'s figures, computed once from the store.

    ``trainings_known`` is False when HR gave no trainings sheet: then no
    training found is no proof that none was followed (SAN-1 « à vérifier »).
    """
    submissions = store.submissions()
    people, unmatched = assess_people(
        settings,
        store.current_employees(),
        recorded_interviews(store, submissions),
        list(trainings),
        list(absences),
        today,
        history=list(history),
        followed_since=store.first_import_on(),
        trainings_known=trainings_known,
    )
    paid, unsettled = settle_topups(people, topups)
    return FollowUp(
        people, unmatched, campaign_forms(store, campaign, submissions), paid, unsettled
    )
