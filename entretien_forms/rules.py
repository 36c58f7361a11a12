"""When each employee's professional interviews are due, and why, under French law.

The specification is ``shared/legal-rules.md``; rule ids (EPP-1, EDL-1, SAN-1...)
are quoted in the code and carried by every computed obligation so that an HR
person or a lawyer can check each date against its source. Every date comes
with a French reason, and anything that is a reading of ours rather than a
text (transition rules reported by secondary sources, an assumed medical visit
date, delays the law leaves open) carries a French note saying so.

Everything here is pure: no I/O and no clock. ``today`` is a parameter, so the
same facts give the same answer in a test, in a report and in a year's time.

Date arithmetic follows article 641 of the Code de procédure civile: a delay
in months or years ends on the same day of the month, or on the last day of
the month when that day does not exist. A first interview due one year after a
hire on 29/02/2028 is therefore due on 28/02/2029, not on 01/03/2029.
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from entretien_forms.config import LegalSettings

# The absence vocabulary belongs to the roster, which reads it too and comes first
# in the pipeline; re-exported so that the rules stay the place to look for it.
from entretien_forms.roster.model import ABSENCE_LABELS as ABSENCE_LABELS
from entretien_forms.roster.model import AbsenceKind as AbsenceKind

if TYPE_CHECKING:
    from entretien_forms.roster.model import Employee, RosterAbsence

# ---------------------------------------------------------------------------
# Legal landmarks and the values the settings do not (yet) hold
# ---------------------------------------------------------------------------

# Loi n° 2025-989 du 24 octobre 2025 came into force on this day.
T0 = date(2025, 10, 26)
# Transition: latest first-interview date for people hired before T0 without one.
HIRED_BEFORE_T0_DEADLINE = date(2026, 10, 26)
# Loi 2025-989 art. 3 II: agreements with a period longer than 4 years stop applying.
LONGER_AGREEMENTS_END = date(2026, 10, 1)
# Former regime (before T0). Not settings in config.py yet: LegalSettings holds the
# 2025 values only, and regime "avant-2025" must not reuse them.
FORMER_PERIOD_YEARS = 2
FORMER_REVIEW_PERIOD_YEARS = 6
# The law says "on return" without a delay; one month is our reading.
RETURN_INTERVIEW_DELAY_MONTHS = 1
# EPP-4b says "before the leave" without a window; three months is our reading.
BEFORE_LEAVE_WINDOW_MONTHS = 3
# EPP-6: the window is the 2 years before the end-of-career age.
END_OF_CAREER_WINDOW_YEARS = 2

FORMER_REGIME = "avant-2025"

# OLD-0: loi n° 2014-288 du 5 mars 2014. Nothing is due before this day; for
# earlier hires (and earlier interviews) the periods count from it.
LAW_2014 = date(2014, 3, 7)
# OLD-1: ord. 2020-387 as amended by ord. 2020-1501. Interviews due in this span
# could be held until its last day; the ministry tolerated them until the next date.
COVID_FROM = date(2020, 1, 1)
COVID_UNTIL = date(2021, 6, 30)
COVID_TOLERANCE_UNTIL = date(2021, 9, 30)
# OLD-2: loi 2021-689. The corrective top-up is owed from this day at the earliest.
TOPUP_FROM = date(2021, 10, 1)

Occasion = Literal[
    "premiere_annee",
    "periodique",
    "retour_conge",
    "avant_conge",
    "mi_carriere",
    "avant_60",
    "etat_des_lieux",
]
TrainingKind = Literal["formation", "apprentissage", "bilan", "vae"]
Status = Literal["a_jour", "a_planifier", "a_verifier", "en_retard", "sorti", "non_concerne"]
InterviewSource = Literal["fichier_salaries", "entretien_enregistre", "historique_rh"]

OCCASION_LABELS: dict[Occasion, str] = {
    "premiere_annee": "premier entretien professionnel",
    "periodique": "entretien professionnel périodique",
    "retour_conge": "entretien de retour",
    "avant_conge": "entretien avant le congé",
    "mi_carriere": "entretien de mi-carrière",
    "avant_60": "entretien de fin de carrière",
    "etat_des_lieux": "état des lieux récapitulatif",
}
SOURCE_LABELS: dict[InterviewSource, str] = {
    "fichier_salaries": "fichier salariés",
    "entretien_enregistre": "entretien enregistré",
    "historique_rh": "historique des entretiens (RH)",
}
# EPP-4 (maladie only when long, see _is_long_sick_leave); EPP-4b adds the two last.
RETURN_TRIGGERS: frozenset[AbsenceKind] = frozenset(
    {
        "maternite",
        "adoption",
        "conge_naissance",
        "conge_parental",
        "proche_aidant",
        "sabbatique",
        "mobilite_volontaire",
        "temps_partiel_parental",
        "maladie",
        "mandat_syndical",
        "solidarite_familiale",
    }
)
# EPP-4b: an interview before the leave as well as after (no 12-month exemption).
BEFORE_AND_AFTER: frozenset[AbsenceKind] = frozenset({"proche_aidant", "solidarite_familiale"})
# At work all along: an interview during the mandate or the part time is an ordinary one.
AT_WORK: frozenset[AbsenceKind] = frozenset({"mandat_syndical", "temps_partiel_parental"})
# EDL-1: unpaid suspensions left out of seniority.
NOT_SENIORITY: frozenset[AbsenceKind] = frozenset(
    {"sans_solde", "sabbatique", "solidarite_familiale", "presence_parentale"}
)
# Same values as roster/_values.py NOT_EMPLOYEES: the agency or the school employs them.
NOT_EMPLOYEES = frozenset({"intérim", "stage"})

_OCCASION_ORDER: dict[Occasion, int] = {name: i for i, name in enumerate(OCCASION_LABELS)}

TRANSITION_NOTE = (
    "Règle de transition de la réforme du 26/10/2025 (questions-réponses du ministère de "
    "février 2026, rapportées par des sources secondaires) : déduction, pas un texte de loi."
)
HIRED_BEFORE_T0_NOTE = (
    "Déduction, pas une source : pour un salarié embauché avant le 26/10/2025 et sans "
    "entretien, l'échéance retenue est la plus tôt de « embauche + 2 ans » et du 26/10/2026."
)
RETURN_DELAY_NOTE = (
    "Délai d'un mois après la reprise retenu par l'outil : la loi dit « à la reprise » "
    "sans fixer de délai."
)
BEFORE_LEAVE_NOTE = (
    "Fenêtre de 3 mois avant le départ en congé retenue par l'outil : la loi ne fixe pas de délai."
)
AGREEMENT_END_NOTE = (
    "Déduction, pas une source : l'accord prévoyant plus de 4 ans a cessé de s'appliquer "
    "le 01/10/2026 ; l'entretien est retenu comme dû ce jour-là."
)
REVIEW_NOTE = (
    "Lecture du ministère (questions-réponses de février 2026) : l'ancienneté se compte en "
    "années complètes, sans les congés non assimilés à du temps de travail ; l'état des lieux "
    "a donc lieu avant l'année d'ancienneté suivante."
)
OLD_LAW_NOTE = (
    "Loi du 5 mars 2014 (OLD-0) : aucune obligation avant le 07/03/2014 ; pour un salarié "
    "embauché avant, les périodes comptent à partir de ce jour."
)
COVID_NOTE = (
    "Report lié à la crise sanitaire (OLD-1, ord. 2020-387 modifiée par ord. 2020-1501) : "
    "entretiens et états des lieux dus entre le 01/01/2020 et le 30/06/2021 pouvaient être "
    "tenus jusqu'au 30/06/2021 (tolérance du ministère jusqu'au 30/09/2021)."
)
TOPUP_START_NOTE = (
    "Abondement correctif exigible au plus tôt le 01/10/2021 (OLD-2, loi 2021-689) : pour un "
    "état des lieux dû avant, l'échéance de versement est calculée à partir du 30/09/2021."
)
REVIEW_ACROSS_T0_NOTE = (
    "Période à cheval sur la réforme : les entretiens dus avant le 26/10/2025 selon l'ancien "
    "régime sont comptés parmi les entretiens dus (point incertain)."
)


def fr(day: date) -> str:
    """Dates shown to HR are always dd/mm/yyyy."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def add_months(day: date, months: int) -> date:
    """Art. 641 CPC: same day of the month, else the month's last day (31/01 + 1 → 28/02)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """Art. 641 CPC: 29/02 + 1 year is 28/02, the last day of February."""
    return add_months(day, 12 * years)


def end_of_next_quarter(day: date) -> date:
    """SAN-2: the top-up is paid by the last day of the calendar quarter after the EDL."""
    month = ((day.month - 1) // 3 + 2) * 3  # last month of the next quarter, 6 to 15
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _years(n: int) -> str:
    return f"{n} an" if n == 1 else f"{n} ans"


def _euros(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Interview:
    """A professional interview actually held (from a returned form or HR's records)."""

    held_on: date
    occasion: Occasion = "periodique"
    source: InterviewSource = "entretien_enregistre"


@dataclass(frozen=True)
class Absence:
    """A suspension of the contract: it may call for interviews and shift seniority.

    ``returned_on`` is the first day back at work (or the end of the mandate or of
    the parental part time); ``None`` while the employee is still away.
    ``long_sick_leave`` overrides the 6-month test for a sick leave (EPP-4).
    """

    kind: AbsenceKind
    start: date
    returned_on: date | None = None
    long_sick_leave: bool | None = None


@dataclass(frozen=True)
class Training:
    """A training action (L6313-1); ``end`` is ``None`` while it is still running."""

    title: str
    start: date
    end: date | None = None
    mandatory: bool = False
    certifying: bool = False
    kind: TrainingKind = "formation"


@dataclass(frozen=True)
class EmployeeFacts:
    """Everything the rules need to know about one employee, nothing more."""

    matricule: str
    hired_on: date
    born_on: date | None = None
    left_on: date | None = None
    contract: str | None = None
    last_interview_in_roster: date | None = None
    interviews: tuple[Interview, ...] = ()
    absences: tuple[Absence, ...] = ()
    trainings: tuple[Training, ...] = ()
    progressions: tuple[date, ...] = ()  # salary or professional progression dates
    midcareer_visit_on: date | None = None
    last_review_in_roster: date | None = None
    # What the tool knows and what it doesn't (legal-rules.md): every interview held
    # since this day is known; before it, only those listed. None: the whole history
    # since hire is known (HR's history sheet, or a hire the tool has followed).
    history_known_since: date | None = None
    # False when no trainings sheet was given: no training found then proves nothing.
    trainings_known: bool = True

    @classmethod
    def from_employee(
        cls,
        employee: Employee,
        *,
        interviews: Sequence[Interview] = (),
        absences: Sequence[Absence] = (),
        trainings: Sequence[Training] = (),
        progressions: Sequence[date] = (),
        midcareer_visit_on: date | None = None,
        history_known_since: date | None = None,
        trainings_known: bool = True,
    ) -> EmployeeFacts:
        """The roster gives the identity, the last interview and EDL, and maybe an absence.

        The store and the HR sheets give the rest; a leave given both ways counts once.
        """
        return cls(
            matricule=employee.matricule,
            hired_on=employee.date_entree,
            born_on=employee.date_naissance,
            left_on=employee.date_sortie,
            contract=employee.type_contrat,
            last_interview_in_roster=employee.date_dernier_entretien_pro,
            interviews=tuple(interviews),
            absences=_with_roster_absence(absences, employee.absence),
            trainings=tuple(trainings),
            progressions=tuple(progressions),
            midcareer_visit_on=midcareer_visit_on,
            last_review_in_roster=employee.date_dernier_etat_des_lieux,
            history_known_since=history_known_since,
            trainings_known=trainings_known,
        )


def _with_roster_absence(
    absences: Sequence[Absence], stated: RosterAbsence | None
) -> tuple[Absence, ...]:
    """The sheet's absences and the roster's, each leave once.

    HR often gives the same leave in both places; counted twice it would call
    for two return interviews and leave the same days out of seniority twice.
    The same kind starting the same day is the same leave. The sheet's record
    wins, as it may carry the long sick leave override; the roster, usually
    the fresher export, only adds a return date the sheet does not have yet.
    """
    found = list(absences)
    if stated is None:
        return tuple(found)
    for index, absence in enumerate(found):
        if (absence.kind, absence.start) == (stated.kind, stated.start):
            if absence.returned_on is None and stated.returned_on is not None:
                found[index] = replace(absence, returned_on=stated.returned_on)
            return tuple(found)
    return (*found, Absence(stated.kind, stated.start, stated.returned_on))


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Obligation:
    """One interview the employer owes: its window, deadline, reason and outcome.

    ``missed`` is for an interview that can no longer be held (before a leave
    that has started, before a 60th birthday that has passed); it still counts
    as an interview due and not held for the état des lieux.
    """

    occasion: Occasion
    rule: str
    window_start: date
    due: date
    reason: str
    held_on: date | None = None
    missed: bool = False
    inference: str | None = None
    # "À vérifier": the fact the tool lacks to say whether it was held in time.
    unknown: str | None = None
    # The leave that calls for it (retour_conge, avant_conge): the form names it.
    leave: AbsenceKind | None = None

    @property
    def pending(self) -> bool:
        return self.held_on is None and not self.missed

    @property
    def kept(self) -> bool:
        """Held by its deadline (held late is not held, for the état des lieux)."""
        return self.held_on is not None and self.held_on <= self.due

    @property
    def label(self) -> str:
        return OCCASION_LABELS[self.occasion]

    def describe(self) -> str:
        text = f"{self.label} au plus tard le {fr(self.due)} ({self.reason})"
        return f"{text} ; à vérifier : {self.unknown}" if self.unknown else text


@dataclass(frozen=True)
class LastInterview:
    held_on: date
    source: InterviewSource

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


@dataclass(frozen=True)
class TopUp:
    """SAN-1/SAN-2: whether the corrective CPF top-up is owed for one état des lieux."""

    applies: bool  # company at or above the headcount threshold
    owed: bool
    amount: int
    deadline: date | None
    reason: str
    # Neither owed nor cleared: the missing facts, named (never a top-up on a presumption).
    to_check: str | None = None


@dataclass(frozen=True)
class Review:
    """One état des lieux récapitulatif (EDL-1) and what it finds (EDL-2, SAN-1).

    Until the review is held or its deadline has passed the findings are
    ``provisional``: they describe the facts known today.
    """

    number: int
    seniority_years: int
    rule: str
    window_start: date
    due: date
    reason: str
    held_on: date | None
    period_start: date
    period_end: date
    provisional: bool
    interviews_held: bool
    missed_interviews: tuple[Obligation, ...]
    training: bool
    non_mandatory_training: bool
    certification: bool
    progression: bool
    topup: TopUp
    notes: tuple[str, ...] = ()
    # Whether the interviews due in the period are known (False: some history is missing).
    interviews_known: bool = True
    trainings_known: bool = True  # False: no trainings sheet, so no training found proves little
    # Its due date passed and the tool cannot tell whether it was held: the missing fact.
    unknown: str | None = None


@dataclass(frozen=True)
class Assessment:
    """Where one employee stands today, with every date explained."""

    matricule: str
    today: date
    status: Status
    status_label: str
    days_late: int
    next_due: Obligation | None
    last_interview: LastInterview | None
    obligations: tuple[Obligation, ...]  # still to hold, earliest first
    history: tuple[Obligation, ...]  # held or missed, earliest first
    reviews: tuple[Review, ...]
    notes: tuple[str, ...] = ()

    @property
    def review(self) -> Review | None:
        """The état des lieux to act on: the earliest not held, else the latest one."""
        open_reviews = [r for r in self.reviews if r.held_on is None]
        if open_reviews:
            return open_reviews[0]
        return self.reviews[-1] if self.reviews else None

    @property
    def topup(self) -> TopUp | None:
        return self.review.topup if self.review else None

    @property
    def next_interview(self) -> Obligation | None:
        """The next professional interview due, whatever the état des lieux."""
        return next((o for o in self.obligations if o.occasion != "etat_des_lieux"), None)

    @property
    def next_review(self) -> Obligation | None:
        """The next état des lieux due: shown apart, so neither hides the other."""
        return next((o for o in self.obligations if o.occasion == "etat_des_lieux"), None)

    @property
    def checks(self) -> tuple[str, ...]:
        """What HR must check before a figure can be definite, once each."""
        found: list[str] = []
        for obligation in (*self.obligations, *self.history):
            if obligation.unknown:
                found.append(
                    f"{obligation.label} dû le {fr(obligation.due)} : {obligation.unknown}"
                )
        for review in self.reviews:
            # A review still ahead can still avoid the top-up: only settled ones are checked.
            if review.topup.to_check and not review.provisional:
                found.append(
                    f"abondement de l'état des lieux n° {review.number} : {review.topup.to_check}"
                )
        return tuple(dict.fromkeys(found))

    @property
    def inferences(self) -> tuple[str, ...]:
        """Every note that flags a reading of ours rather than a source, once each."""
        found: list[str] = []
        for obligation in (*self.obligations, *self.history):
            if obligation.inference and obligation.inference not in found:
                found.append(obligation.inference)
        for review in self.reviews:
            found.extend(n for n in review.notes if n not in found)
        return tuple(found)

    def describe(self) -> str:
        if self.next_due is None:
            return self.status_label
        head = self.status_label
        if self.status == "en_retard":
            head = f"en retard de {self.days_late} jour{'s' if self.days_late > 1 else ''}"
        return f"{head} : {self.next_due.describe()}"


# ---------------------------------------------------------------------------
# Periodic interviews (EPP-1, EPP-2, EPP-3, transition, former regime)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    due: date
    reason: str
    rule: str
    inference: str | None = None


def _former(legal: LegalSettings) -> bool:
    return legal.regime == FORMER_REGIME


def _former_period(legal: LegalSettings) -> int:
    """Before the reform any agreement could change the 2-year period, longer or shorter."""
    return legal.agreement_period_years or FORMER_PERIOD_YEARS


def _deferred(step: _Step) -> _Step:
    """OLD-1: a deadline in the covid span moves to its last day, and says so."""
    if not COVID_FROM <= step.due < COVID_UNTIL:
        return step
    return _Step(
        COVID_UNTIL,
        f"{step.reason} ; échéance du {fr(step.due)} reportée au {fr(COVID_UNTIL)} "
        "(crise sanitaire)",
        f"{step.rule}, OLD-1",
        step.inference or COVID_NOTE,
    )


def _first_due(hired: date, legal: LegalSettings) -> _Step:
    hire = fr(hired)
    old_period = _former_period(legal)
    # OLD-0: for a hire before the 2014 law, the period counts from the law.
    before_law = hired < LAW_2014
    old_due = add_years(max(hired, LAW_2014), old_period)
    since = (
        f"embauché le {hire}, avant la loi du 5 mars 2014 : premier entretien au plus tard le "
        f"{fr(old_due)}, {_years(old_period)} après son entrée en vigueur le {fr(LAW_2014)}"
        if before_law
        else f"embauché le {hire} : premier entretien {_years(old_period)} après l'embauche"
    )
    rule = "OLD-0" if before_law else "avant-2025"
    if _former(legal):
        return _deferred(_Step(old_due, f"{since} (régime avant 2025)", rule))
    if hired >= T0:
        months = legal.first_interview_months
        within = "dans l'année" if months == 12 else f"dans les {months} mois"
        return _Step(
            add_months(hired, months), f"embauché le {hire} : premier entretien {within}", "EPP-1"
        )
    if old_due < T0:
        reason = (
            since
            if before_law
            else f"embauché le {hire} sans entretien : premier entretien dû le {fr(old_due)} "
            f"(embauche + {_years(old_period)}, ancien régime)"
        )
        return _deferred(
            _Step(
                old_due,
                f"{reason}, dépassé avant la réforme du 26/10/2025, non reporté",
                "OLD-0" if before_law else "transition",
                TRANSITION_NOTE,
            )
        )
    due = min(old_due, HIRED_BEFORE_T0_DEADLINE)
    return _Step(
        due,
        f"embauché le {hire} avant la réforme, sans entretien : au plus tard le {fr(due)}, "
        f"date la plus tôt entre embauche + {_years(old_period)} et le 26/10/2026",
        "transition",
        HIRED_BEFORE_T0_NOTE,
    )


def _new_regime_due(last: date, legal: LegalSettings) -> _Step:
    held = fr(last)
    period = max(1, legal.period_years)
    agreement = legal.agreement_period_years
    if agreement == 0:
        return _Step(
            add_years(last, period), f"dernier entretien le {held} + {_years(period)}", "EPP-2"
        )
    if agreement <= period:
        return _Step(
            add_years(last, agreement),
            f"dernier entretien le {held} + {_years(agreement)} (accord collectif)",
            "EPP-3",
        )
    longer = add_years(last, agreement)
    if longer < LONGER_AGREEMENTS_END:
        return _Step(
            longer,
            f"dernier entretien le {held} + {_years(agreement)} (ancien accord collectif, "
            "applicable jusqu'au 30/09/2026)",
            "EPP-3",
        )
    capped = add_years(last, period)
    if capped >= LONGER_AGREEMENTS_END:
        return _Step(
            capped,
            f"dernier entretien le {held} + {_years(period)} (accord de {_years(agreement)} "
            f"ramené à {_years(period)}, la durée maximale)",
            "EPP-3",
        )
    return _Step(
        LONGER_AGREEMENTS_END,
        f"dernier entretien le {held} : l'accord de {_years(agreement)} a cessé de "
        f"s'appliquer le 01/10/2026 et {_years(period)} étaient déjà écoulés",
        "EPP-3",
        AGREEMENT_END_NOTE,
    )


def _next_due(last: date, legal: LegalSettings) -> _Step:
    held = fr(last)
    old_period = _former_period(legal)
    old_due = add_years(max(last, LAW_2014), old_period)
    since = (
        f"dernier entretien le {held}, avant la loi du 5 mars 2014 : période comptée à partir "
        f"du {fr(LAW_2014)} + {_years(old_period)}"
        if last < LAW_2014
        else f"dernier entretien le {held} + {_years(old_period)}"
    )
    rule = "OLD-0" if last < LAW_2014 else "avant-2025"
    if _former(legal):
        return _deferred(_Step(old_due, f"{since} (régime avant 2025)", rule))
    if last >= T0:
        return _new_regime_due(last, legal)
    if old_due < T0:
        return _deferred(
            _Step(
                old_due,
                f"{since} (ancien régime) : échéance du {fr(old_due)} dépassée avant la "
                "réforme du 26/10/2025, non reportée",
                "OLD-0" if last < LAW_2014 else "transition",
                TRANSITION_NOTE,
            )
        )
    step = _new_regime_due(last, legal)
    return _Step(
        step.due,
        f"{step.reason} (échéance de {_years(old_period)} encore en cours le 26/10/2025, "
        "reportée par la réforme)",
        "transition",
        step.inference or TRANSITION_NOTE,
    )


def _first_after(days: Sequence[date], after: date, *, inclusive: bool = False) -> date | None:
    index = bisect.bisect_left(days, after) if inclusive else bisect.bisect_right(days, after)
    return days[index] if index < len(days) else None


def _periodic(hired: date, held: Sequence[date], legal: LegalSettings) -> list[Obligation]:
    """Replay the cycle: each interview, whatever its occasion, restarts the period.

    Only the interviews known are replayed; ``_unknown_history`` then says which
    obligations an interview the tool does not know of could have met.
    """
    out: list[Obligation] = []
    anchor: date | None = None
    while True:
        occasion: Occasion
        if anchor is None:
            step, occasion, start = _first_due(hired, legal), "premiere_annee", hired
            following = _first_after(held, hired, inclusive=True)
        else:
            step, occasion, start = _next_due(anchor, legal), "periodique", anchor
            following = _first_after(held, anchor)
        out.append(
            Obligation(
                occasion=occasion,
                rule=step.rule,
                window_start=max(start, LAW_2014),
                due=step.due,
                reason=step.reason,
                held_on=following,
                inference=step.inference,
            )
        )
        if following is None:
            return out
        anchor = following


def history_unknown(since: date) -> str:
    """The missing fact, named as HR will read it."""
    return f"historique des entretiens avant le {fr(since)} inconnu"


def _unknown_history(
    obligations: Sequence[Obligation], since: date | None, today: date, legal: LegalSettings
) -> list[Obligation]:
    """Obligations an unknown interview could have met become « à vérifier », never late.

    Before ``since`` the tool knows only some interviews: an obligation whose
    window opened before that day and that the known interviews do not meet
    may have been met by one it does not know of. The one exception is the
    periodic interview still pending: with no interview known since ``since``
    for a whole period, it is late whatever happened before.
    """
    if since is None:
        return list(obligations)
    out: list[Obligation] = []
    for o in obligations:
        # Still ahead: planned at its earliest possible date, an unknown interview
        # could only have pushed it later; nothing to check.
        if o.kept or o.window_start >= since or (o.pending and o.due >= today):
            out.append(o)
            continue
        if o.pending and o.occasion in ("premiere_annee", "periodique"):
            bound = _next_due(since, legal)
            if bound.due < today:
                out.append(
                    replace(
                        o,
                        rule=bound.rule,
                        window_start=since,
                        due=bound.due,
                        reason=f"aucun entretien connu depuis le {fr(since)}, historique "
                        f"antérieur inconnu : au plus tard le {fr(bound.due)} même si le "
                        "dernier avait eu lieu ce jour-là",
                        inference=bound.inference,
                    )
                )
                continue
            out.append(
                replace(
                    o,
                    unknown=f"{history_unknown(since)} ; au plus tard le {fr(bound.due)} si un "
                    "entretien a eu lieu juste avant",
                )
            )
            continue
        out.append(replace(o, unknown=history_unknown(since)))
    return out


# ---------------------------------------------------------------------------
# Leaves (EPP-4, EPP-4b), mid-career (EPP-5), end of career (EPP-6)
# ---------------------------------------------------------------------------


def _is_long_sick_leave(absence: Absence, returned: date, legal: LegalSettings) -> bool:
    if absence.long_sick_leave is not None:
        return absence.long_sick_leave
    return returned > add_months(absence.start, legal.long_sick_leave_months)


def _return_phrase(absence: Absence, legal: LegalSettings) -> str:
    if absence.kind == "mandat_syndical":
        return "fin du mandat syndical"
    if absence.kind == "temps_partiel_parental":
        return "fin du temps partiel parental"
    if absence.kind == "maladie":
        if absence.long_sick_leave is not None:
            return "retour d'un arrêt maladie qualifié de long (saisie manuelle)"
        return f"retour d'un arrêt maladie de plus de {legal.long_sick_leave_months} mois"
    return f"retour de {ABSENCE_LABELS[absence.kind]}"


def _leave_obligations(
    facts: EmployeeFacts,
    absences: Sequence[Absence],
    held: Sequence[date],
    today: date,
    legal: LegalSettings,
    notes: list[str],
) -> list[Obligation]:
    out: list[Obligation] = []
    for absence in absences:
        label = ABSENCE_LABELS[absence.kind]
        new_rules = not _former(legal)
        if absence.kind in BEFORE_AND_AFTER and new_rules and absence.start >= T0:
            start = add_months(absence.start, -BEFORE_LEAVE_WINDOW_MONTHS)
            before = _first_after(held, start, inclusive=True)
            held_before = before if before is not None and before <= absence.start else None
            out.append(
                Obligation(
                    occasion="avant_conge",
                    rule="EPP-4b",
                    window_start=start,
                    due=absence.start,
                    reason=f"départ en {label} le {fr(absence.start)} : entretien avant le congé",
                    held_on=held_before,
                    missed=held_before is None and absence.start < today,
                    inference=BEFORE_LEAVE_NOTE,
                    leave=absence.kind,
                )
            )
        returned = absence.returned_on
        if absence.kind not in RETURN_TRIGGERS or returned is None or returned < facts.hired_on:
            continue
        if absence.kind == "maladie" and not _is_long_sick_leave(absence, returned, legal):
            continue
        phrase = _return_phrase(absence, legal)
        exemption_applies = new_rules and returned >= T0 and absence.kind not in BEFORE_AND_AFTER
        if exemption_applies:
            since = add_months(returned, -legal.return_exemption_months)
            recent = _first_after(held, since, inclusive=True)
            if recent is not None and recent <= returned:
                notes.append(
                    f"{phrase[:1].upper()}{phrase[1:]} le {fr(returned)} : pas d'entretien de "
                    f"retour dû, un entretien a eu lieu le {fr(recent)}, dans les "
                    f"{legal.return_exemption_months} mois précédents (EPP-4)."
                )
                continue
        out.append(
            Obligation(
                occasion="retour_conge",
                rule="EPP-4b" if absence.kind in BEFORE_AND_AFTER and new_rules else "EPP-4",
                window_start=returned,
                due=add_months(returned, RETURN_INTERVIEW_DELAY_MONTHS),
                reason=f"{phrase} le {fr(returned)} : entretien à proposer à la reprise",
                held_on=(
                    _first_after(held, returned, inclusive=True)
                    if absence.kind in AT_WORK
                    # Held during the leave at the employee's request counts too.
                    else _first_after(held, absence.start)
                ),
                inference=RETURN_DELAY_NOTE,
                leave=absence.kind,
            )
        )
    return out


def _age_obligations(
    facts: EmployeeFacts, held: Sequence[date], today: date, legal: LegalSettings
) -> list[Obligation]:
    """EPP-5 and EPP-6 exist since the reform only, and only for windows ending after T0."""
    born = facts.born_on
    if born is None or _former(legal):
        return []
    out: list[Obligation] = []
    year = born.year + legal.midcareer_age
    delay = legal.midcareer_delay_months
    visit = facts.midcareer_visit_on
    if visit is not None:
        mid = Obligation(
            occasion="mi_carriere",
            rule="EPP-5",
            window_start=visit,
            due=add_months(visit, delay),
            reason=f"visite médicale de mi-carrière le {fr(visit)} : entretien dans les "
            f"{delay} mois qui suivent",
        )
    else:
        mid = Obligation(
            occasion="mi_carriere",
            rule="EPP-5",
            window_start=date(year, 1, 1),
            due=date(year, 12, 31),
            reason=f"{legal.midcareer_age} ans en {year}, date de la visite médicale de "
            f"mi-carrière inconnue : entretien à tenir en {year}",
            inference=(
                "Hypothèse : visite médicale de mi-carrière supposée dans l'année des "
                f"{legal.midcareer_age} ans ({year}), faute de date ; indiquez la date de la "
                "visite pour un calcul exact."
            ),
        )
    end_age = legal.end_of_career_age
    start = add_years(born, end_age - END_OF_CAREER_WINDOW_YEARS)
    birthday = add_years(born, end_age)
    late = Obligation(
        occasion="avant_60",
        rule="EPP-6",
        window_start=start,
        due=birthday - timedelta(days=1),
        reason=f"{end_age} ans le {fr(birthday)} : un entretien dans les "
        f"{_years(END_OF_CAREER_WINDOW_YEARS)} qui précèdent, à partir du {fr(start)}",
    )
    for obligation in (mid, late):
        if obligation.due < T0 or obligation.due < facts.hired_on:
            continue
        done = _first_after(held, obligation.window_start, inclusive=True)
        if obligation.occasion == "avant_60" and done is not None and done > obligation.due:
            done = None  # held after the birthday: no longer "before 60"
        missed = obligation.occasion == "avant_60" and done is None and obligation.due < today
        out.append(replace(obligation, held_on=done, missed=missed))
    return out


# ---------------------------------------------------------------------------
# État des lieux (EDL-1, EDL-2) and the CPF top-up (SAN-1, SAN-2)
# ---------------------------------------------------------------------------


def _overlap_days(start: date, end: date, low: date, high: date) -> int:
    return max(0, (min(end, high) - max(start, low)).days)


class _Seniority:
    """Dates at which seniority reaches a number of years, unpaid suspensions left out."""

    def __init__(self, hired: date, absences: Sequence[Absence], today: date) -> None:
        self.hired = hired
        # A leave still running is counted up to today; the date moves as it goes on.
        self.spans = [
            (a.start, a.returned_on if a.returned_on is not None else max(today, a.start))
            for a in absences
            if a.kind in NOT_SENIORITY
        ]

    def reached(self, years: int) -> tuple[date, int]:
        """The date and the number of days left out before it."""
        base = add_years(self.hired, years)
        current, left_out = base, 0
        while True:  # grows monotonically, bounded by the total of the spans
            left_out = sum(_overlap_days(s, e, self.hired, current) for s, e in self.spans)
            following = base + timedelta(days=left_out)
            if following == current:
                return current, left_out
            current = following


@dataclass(frozen=True)
class _Criteria:
    """SAN-1's two failures, each True (failed), False (met) or None (not known)."""

    interviews: bool | None
    training: bool | None
    unknown_interviews: str  # the missing facts, named, for when they are None
    unknown_training: str


def _topup(
    criteria: _Criteria,
    reference: date,
    provisional: bool,
    legal: LegalSettings,
    headcount: int,
    years: int,
) -> TopUp:
    if headcount < legal.topup_threshold:
        return TopUp(
            applies=False,
            owed=False,
            amount=0,
            deadline=None,
            reason=f"effectif de {headcount} salariés, sous le seuil de "
            f"{legal.topup_threshold} : pas d'abondement correctif (SAN-1)",
        )
    failures = {
        "des entretiens dus n'ont pas eu lieu": criteria.interviews,
        "aucune formation non obligatoire": criteria.training,
    }
    missing = [text for text, failed in failures.items() if failed]
    unknown = [
        text
        for text, failed in (
            (criteria.unknown_interviews, criteria.interviews),
            (criteria.unknown_training, criteria.training),
        )
        if failed is None
    ]
    met = [failed is False for failed in failures.values()]
    if legal.topup_trigger == "ou":
        owed, cleared = bool(missing), not missing and not unknown
        rule = "l'une des deux conditions suffit (lecture « ou »)"
    else:
        owed, cleared = len(missing) == 2, any(met)
        rule = "les deux conditions réunies (lecture « et »)"
    when = "si rien ne change, " if provisional else ""
    if owed:
        # OLD-2: never owed before 01/10/2021; SAN-2 counts the quarter from then.
        deadline = end_of_next_quarter(max(reference, TOPUP_FROM - timedelta(days=1)))
        reason = (
            f"sur {_years(years)} : {' et '.join(missing)} ; {rule} : {when}abondement de "
            f"{_euros(legal.topup_amount)} au CPF à verser au plus tard le {fr(deadline)} "
            "(SAN-1, SAN-2)"
        )
        if reference < TOPUP_FROM:
            reason += " ; exigible au plus tôt le 01/10/2021 (OLD-2)"
        return TopUp(True, True, legal.topup_amount, deadline, reason)
    if not cleared:
        to_check = " ; ".join(unknown)
        found = f"{' et '.join(missing)} ; " if missing else ""
        return TopUp(
            applies=True,
            owed=False,
            amount=0,
            deadline=None,
            reason=f"sur {_years(years)} : {found}{rule} : à vérifier, faute de savoir si "
            f"{to_check} (SAN-1)",
            to_check=to_check,
        )
    found = " et ".join(missing) if missing else "entretiens tenus et formation non obligatoire"
    if not missing and any(met) and not all(met):
        found = (
            "formation non obligatoire suivie"
            if criteria.training is False
            else "entretiens dus tous tenus"
        )
    return TopUp(
        applies=True,
        owed=False,
        amount=0,
        deadline=None,
        reason=f"sur {_years(years)} : {found} ; {rule} : {when}pas d'abondement dû (SAN-1)",
    )


def _counts_as_training(training: Training, legal: LegalSettings) -> bool:
    return training.kind in ("formation", "apprentissage") or legal.assessment_counts_as_training


def _reviews(
    facts: EmployeeFacts,
    absences: Sequence[Absence],
    interviews: Sequence[Interview],
    due_interviews: Sequence[Obligation],
    today: date,
    legal: LegalSettings,
    headcount: int,
    known_since: date | None,
) -> list[Review]:
    hired = facts.hired_on
    # OLD-0: seniority for the état des lieux counts from the 2014 law at the earliest.
    before_law = hired < LAW_2014
    seniority = _Seniority(max(hired, LAW_2014), absences, today)
    since = known_since
    former = _former(legal)
    new_period = max(1, legal.review_period_years)
    reviews_held = sorted({i.held_on for i in interviews if i.occasion == "etat_des_lieux"})
    held_all = sorted({i.held_on for i in interviews})
    first_year = _first_after(held_all, hired, inclusive=True)
    out: list[Review] = []
    previous_mark: int = 0
    used: date | None = None
    while True:
        number = len(out) + 1
        notes: list[str] = []
        old_mark = previous_mark + FORMER_REVIEW_PERIOD_YEARS
        old_due = seniority.reached(old_mark + 1)[0] - timedelta(days=1)
        if former:
            mark, rule = old_mark, "avant-2025"
        elif old_due < T0:
            mark, rule = old_mark, "transition"
            notes.append(TRANSITION_NOTE)
        else:
            mark, rule = previous_mark + new_period, "EDL-1"
            if seniority.reached(previous_mark)[0] < T0:
                notes.append(
                    f"Règle de transition : l'état des lieux à {FORMER_REVIEW_PERIOD_YEARS} ans "
                    f"encore en cours le 26/10/2025 passe à {new_period} ans. " + TRANSITION_NOTE
                )
        notes.append(REVIEW_NOTE)
        window_start, left_out = seniority.reached(mark)
        due = seniority.reached(mark + 1)[0] - timedelta(days=1)
        period_start = seniority.reached(previous_mark)[0]
        if before_law:
            reason = (
                f"embauché le {fr(hired)}, avant la loi du 5 mars 2014 : {_years(mark)} comptés "
                f"depuis le {fr(LAW_2014)} le {fr(window_start)}, état des lieux au plus tard "
                f"le {fr(due)} (OLD-0)"
            )
            if number == 1:
                notes.append(OLD_LAW_NOTE)
        else:
            reason = (
                f"{_years(mark)} d'ancienneté le {fr(window_start)} : état des lieux avant "
                f"{_years(mark + 1)} d'ancienneté, au plus tard le {fr(due)}"
            )
        if left_out:
            reason += f" ({left_out} jours de congé non assimilé à du temps de travail décomptés)"
        if rule == "transition":
            reason += " ; échéance de l'ancien régime dépassée avant la réforme, non reportée"
        if rule != "EDL-1" and COVID_FROM <= due < COVID_UNTIL:
            reason += f" ; reportée au {fr(COVID_UNTIL)} (crise sanitaire, OLD-1)"
            rule, due = f"{rule}, OLD-1", COVID_UNTIL
            notes.append(COVID_NOTE)
        if (
            number == 1
            and rule == "EDL-1"
            and first_year is not None
            and first_year <= add_months(hired, legal.first_interview_months)
        ):
            early = add_years(first_year, new_period - 1)
            if early < window_start:
                window_start = early
                reason += (
                    f" ; possible dès le {fr(early)}, {_years(new_period - 1)} après le "
                    "premier entretien"
                )
        # Each EDL interview closes one review only, the earliest still open.
        if used is not None and used >= window_start:
            held_on = _first_after(reviews_held, used)
        else:
            held_on = _first_after(reviews_held, window_start, inclusive=True)
        unknown = None
        if held_on is not None:
            reference, provisional = held_on, False
        else:
            reference, provisional = due, due >= today
            if since is not None and window_start < since and due < today:
                unknown = f"tenue de l'état des lieux inconnue ({history_unknown(since)})"
        cutoff = min(reference, today)
        counted = [o for o in due_interviews if period_start < o.due <= cutoff]
        # Held late is not held: otherwise one interview at review time would
        # make up for years without any, which is what SAN-1 sanctions.
        missed = tuple(o for o in counted if not o.kept and not o.unknown)
        interviews_known = bool(missed) or (
            (since is None or since <= period_start) and not any(o.unknown for o in counted)
        )
        late = [o for o in missed if o.held_on is not None]
        if late:
            listed = ", ".join(
                f"dû le {fr(o.due)} tenu le {fr(o.held_on)}" for o in late if o.held_on
            )
            notes.append(
                f"Entretiens tenus en retard comptés comme non tenus à l'échéance : {listed}."
            )
        if period_start < T0 < cutoff and not former:
            notes.append(REVIEW_ACROSS_T0_NOTE)
        trainings = [
            t
            for t in facts.trainings
            if t.start <= cutoff and (t.end is None or t.end > period_start)
        ]
        training = any(_counts_as_training(t, legal) for t in trainings)
        non_mandatory = any(_counts_as_training(t, legal) and not t.mandatory for t in trainings)
        criteria = _Criteria(
            interviews=bool(missed) if interviews_known else None,
            training=False if non_mandatory else (True if facts.trainings_known else None),
            unknown_interviews=(
                f"les entretiens dus ont été tenus ({history_unknown(since)})"
                if since is not None
                else "les entretiens dus ont été tenus"
            ),
            unknown_training="une formation non obligatoire a été suivie (aucun tableau des "
            "formations)",
        )
        topup = _topup(criteria, reference, provisional, legal, headcount, mark - previous_mark)
        if topup.owed and reference < TOPUP_FROM:
            notes.append(TOPUP_START_NOTE)
        out.append(
            Review(
                number=number,
                seniority_years=mark,
                rule=rule,
                window_start=window_start,
                due=due,
                reason=reason,
                held_on=held_on,
                period_start=period_start,
                period_end=reference,
                provisional=provisional,
                interviews_held=not missed,
                interviews_known=interviews_known,
                trainings_known=facts.trainings_known,
                unknown=unknown,
                missed_interviews=missed,
                training=training,
                non_mandatory_training=non_mandatory,
                certification=any(t.certifying for t in trainings),
                progression=any(period_start < p <= cutoff for p in facts.progressions),
                topup=topup,
                notes=tuple(notes),
            )
        )
        if held_on is not None:
            used = held_on
        previous_mark = mark
        if window_start > today:
            return out


def _review_obligation(review: Review) -> Obligation:
    return Obligation(
        occasion="etat_des_lieux",
        rule=review.rule,
        window_start=review.window_start,
        due=review.due,
        reason=review.reason,
        held_on=review.held_on,
        inference=review.notes[0] if review.notes else None,
        unknown=review.unknown,
    )


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def _status_label(status: Status, legal: LegalSettings) -> str:
    return {
        "a_jour": "à jour",
        "a_planifier": f"à planifier dans les {legal.warning_days} jours",
        "a_verifier": "à vérifier",
        "en_retard": "en retard",
        "sorti": "sorti",
        "non_concerne": "non concerné",
    }[status]


def obligation_status(obligation: Obligation, today: date, legal: LegalSettings) -> Status:
    """Where one obligation stands, read as ``assess`` reads the employee's next one."""
    if not obligation.pending:
        return "a_jour"
    remaining = (obligation.due - today).days
    if remaining < 0:
        return "a_verifier" if obligation.unknown else "en_retard"
    return "a_planifier" if remaining <= legal.warning_days else "a_jour"


def _usable_facts(
    facts: EmployeeFacts, today: date, notes: list[str]
) -> tuple[list[Interview], list[Absence]]:
    """Keep reading past bad records: each one set aside is named in a note.

    The roster's last état des lieux is one more interview held, of that occasion.
    """
    interviews: list[Interview] = []
    stated = facts.last_review_in_roster
    roster_review = (
        [Interview(stated, "etat_des_lieux", "fichier_salaries")]
        if stated is not None
        and not any(
            i.held_on == stated and i.occasion == "etat_des_lieux" for i in facts.interviews
        )
        else []
    )
    for interview in (*facts.interviews, *roster_review):
        if interview.held_on > today:
            notes.append(f"Entretien daté du {fr(interview.held_on)}, dans le futur : ignoré.")
        elif interview.held_on < facts.hired_on:
            notes.append(
                f"Entretien daté du {fr(interview.held_on)}, avant l'embauche du "
                f"{fr(facts.hired_on)} : ignoré."
            )
        else:
            interviews.append(interview)
    absences: list[Absence] = []
    for absence in facts.absences:
        label = ABSENCE_LABELS[absence.kind]
        if absence.returned_on is not None and absence.returned_on < absence.start:
            notes.append(
                f"{label[:1].upper()}{label[1:]} du {fr(absence.start)} : date de retour "
                f"{fr(absence.returned_on)} antérieure au départ, absence ignorée ; corrigez-la."
            )
            continue
        if absence.returned_on is None and absence.start <= today:
            notes.append(
                f"{label[:1].upper()}{label[1:]} en cours depuis le {fr(absence.start)} : "
                "l'entretien de retour sera calculé à la date de retour."
            )
        absences.append(absence)
    return interviews, absences


def _last_interview(
    facts: EmployeeFacts, interviews: Sequence[Interview], today: date
) -> LastInterview | None:
    latest = max(interviews, key=lambda i: i.held_on, default=None)
    roster = facts.last_interview_in_roster
    if roster is not None and (roster > today or roster < facts.hired_on):
        roster = None
    if roster is not None and (latest is None or roster > latest.held_on):
        return LastInterview(roster, "fichier_salaries")
    if latest is not None:
        return LastInterview(latest.held_on, latest.source)
    return None


def _known_since(facts: EmployeeFacts, today: date) -> date | None:
    """From which day every interview is known; None: the whole history since hire.

    The roster's last interview, when usable (not before hire, not in the
    future: ``_last_interview`` sets those aside too), says none was held
    between it and the export: the history is known from it on, whatever the
    caller knew before.
    """
    since = facts.history_known_since
    stated = facts.last_interview_in_roster
    if since is not None and stated is not None and facts.hired_on <= stated <= today:
        since = min(since, stated)
    return None if since is None or since <= facts.hired_on else since


def _order(obligation: Obligation) -> tuple[date, int]:
    return obligation.due, _OCCASION_ORDER[obligation.occasion]


def assess(facts: EmployeeFacts, today: date, legal: LegalSettings, headcount: int) -> Assessment:
    """Every interview one employee is owed, the état des lieux and the top-up, as of ``today``."""
    notes: list[str] = []
    interviews, absences = _usable_facts(facts, today, notes)
    last = _last_interview(facts, interviews, today)

    def closed(status: Status, note: str) -> Assessment:
        return Assessment(
            matricule=facts.matricule,
            today=today,
            status=status,
            status_label=_status_label(status, legal),
            days_late=0,
            next_due=None,
            last_interview=last,
            obligations=(),
            history=(),
            reviews=(),
            notes=(note,),
        )

    if facts.contract in NOT_EMPLOYEES:
        return closed(
            "non_concerne",
            f"Contrat « {facts.contract} » : pas salarié de l'entreprise, pas d'entretien dû.",
        )
    if facts.left_on is not None and facts.left_on < today:
        return closed("sorti", f"Sorti le {fr(facts.left_on)} : plus d'entretien à prévoir.")

    held = sorted({i.held_on for i in interviews} | ({last.held_on} if last else set()))
    since = _known_since(facts, today)
    if since is not None:
        notes.append(
            f"Historique incomplet : {history_unknown(since)} ; les échéances qu'il "
            "décide sont « à vérifier », jamais comptées en retard. Complétez-le avec "
            "l'historique des entretiens (historique.xlsx)."
        )
    if facts.born_on is None and not _former(legal):
        notes.append(
            "Date de naissance inconnue : entretiens de mi-carrière et de fin de carrière "
            "non calculés."
        )
    due_interviews = _unknown_history(
        [
            *_periodic(facts.hired_on, held, legal),
            *_leave_obligations(facts, absences, held, today, legal, notes),
            *_age_obligations(facts, held, today, legal),
        ],
        since,
        today,
        legal,
    )
    reviews = _reviews(facts, absences, interviews, due_interviews, today, legal, headcount, since)
    everything = [*due_interviews, *(_review_obligation(r) for r in reviews)]
    if facts.left_on is not None:
        after = [o for o in everything if o.pending and o.due > facts.left_on]
        if after:
            notes.append(
                f"Départ prévu le {fr(facts.left_on)} : {len(after)} échéance(s) postérieure(s) "
                "non retenue(s)."
            )
            everything = [o for o in everything if o not in after]
            reviews = [r for r in reviews if r.held_on is not None or r.due <= facts.left_on]
    pending = tuple(sorted((o for o in everything if o.pending), key=_order))
    history = tuple(sorted((o for o in everything if not o.pending), key=_order))
    # Late only on known facts; a deadline passed that an unknown interview may
    # have met is « à vérifier »; one still ahead is planned like any other.
    late = [o for o in pending if o.due < today and not o.unknown]
    to_check = [o for o in pending if o.due < today and o.unknown]
    ahead = [o for o in pending if o.due >= today]
    first = late or to_check or ahead
    next_due = first[0] if first else None
    status: Status = "a_jour"
    days_late = 0
    if late:
        status, days_late = "en_retard", (today - late[0].due).days
    elif to_check:
        status = "a_verifier"
    elif next_due is not None and (next_due.due - today).days <= legal.warning_days:
        status = "a_planifier"
    return Assessment(
        matricule=facts.matricule,
        today=today,
        status=status,
        status_label=_status_label(status, legal),
        days_late=days_late,
        next_due=next_due,
        last_interview=last,
        obligations=pending,
        history=history,
        reviews=tuple(reviews),
        notes=tuple(notes),
    )


def assess_all(
    facts: Iterable[EmployeeFacts], today: date, legal: LegalSettings, headcount: int
) -> tuple[Assessment, ...]:
    """The whole roster at one date, in input order, so a report is reproducible."""
    return tuple(assess(f, today, legal, headcount) for f in facts)
