"""Who a campaign issues a professional interview or an état des lieux to, and why.

Every active employee gets the annual interview, but a professional interview
or an état des lieux only falls due now and then (``shared/legal-rules.md``):
issued to everyone, most forms would stay "missing" in the follow-up and hide
the ones that matter. A campaign issues them to the employees whose interview
falls due within its horizon (``[campagne] horizon_mois``), and says for each
employee why it does or does not.

The obligation that calls for a form also decides what the form asks and
knows: its occasion (a return from which leave, mid-career, before 60...), the
topics the law adds for that occasion (EPP-7), and for an état des lieux the
period examined with the interviews and trainings known in it. Those reach the
form's pre-fill expressions as ``entretien`` and ``etat_des_lieux``
(``interview_scope``; the keys are those of ``forms.prefill.BLANK_SCOPE``).

Everything here is pure: the assessments come from ``reports.follow_up``
(``generate.plan_forms`` makes that call), the horizon's end is a parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from entretien_forms.forms.model import Kind
from entretien_forms.forms.prefill import BLANK_INTERVIEW, BLANK_REVIEW, french_date
from entretien_forms.reports.sheets import TrainingRecord, matricule_key
from entretien_forms.rules import (
    ABSENCE_LABELS,
    Assessment,
    Obligation,
    Occasion,
    Review,
    Training,
    add_months,
    fr,
)

# The periodic cycle: its window opens at the previous interview (or the hire), so
# only its deadline says whether it falls due within the horizon.
CYCLE: frozenset[Occasion] = frozenset({"premiere_annee", "periodique"})
# Occasions that add topics to the interview (EPP-7). Any interview held while
# their window is open meets them (rules._age_obligations), so the form asks them.
TOPIC_OCCASIONS: frozenset[Occasion] = frozenset({"mi_carriere", "avant_60"})
# How the état des lieux form names an interview's occasion (its table's options).
SHORT_OCCASIONS: Mapping[Occasion, str] = {
    "premiere_annee": "Première année",
    "periodique": "Périodique",
    "retour_conge": "Retour de congé",
    "avant_conge": "Avant un congé",
    "mi_carriere": "Mi-carrière",
    "avant_60": "Avant 60 ans",
    "etat_des_lieux": "État des lieux",
}
TRAINING_KINDS = {"apprentissage": "apprentissage", "bilan": "bilan de compétences", "vae": "VAE"}
TO_COMPLETE = "à compléter"


@dataclass(frozen=True)
class Target:
    """Whether one employee is due this form, the obligation behind it, and why (French).

    ``obligation`` calls for the form; when the employee is not due it is the
    next one (a form issued anyway with ``--tous`` still names its occasion).
    ``covered`` are the obligations the interview meets, whose topics the form
    asks. For an état des lieux, ``review`` is the one to hold, ``held`` the
    interviews held in its period and ``trainings`` those followed in it.
    """

    matricule: str
    kind: Kind
    due: bool
    reason: str
    obligation: Obligation | None = None
    covered: tuple[Obligation, ...] = ()
    review: Review | None = None
    held: tuple[Obligation, ...] = ()
    trainings: tuple[Training, ...] = ()

    @property
    def occasions(self) -> tuple[str, ...] | None:
        """The occasions the form is laid out for; ``None``: unknown, every section."""
        if self.kind != "professionnel" or not self.covered:
            return None
        return tuple(dict.fromkeys(o.occasion for o in self.covered))


def horizon_end(start: date, months: int) -> date:
    """The last day an interview may fall due to be issued in a campaign starting ``start``."""
    return add_months(start, months)


def _callable_on(obligation: Obligation) -> date:
    """From when a form may be issued for it: its deadline for the cycle, else its window."""
    return obligation.due if obligation.occasion in CYCLE else obligation.window_start


def _when(obligation: Obligation, today: date) -> str:
    if obligation.occasion not in CYCLE and obligation.window_start > today:
        return (
            f"à tenir à partir du {fr(obligation.window_start)}, au plus tard le "
            f"{fr(obligation.due)}"
        )
    return f"au plus tard le {fr(obligation.due)}"


def _why(obligation: Obligation, today: date) -> str:
    text = f"{obligation.label} {_when(obligation, today)} ({obligation.reason})"
    return f"{text} ; à vérifier : {obligation.unknown}" if obligation.unknown else text


def _not_due(next_one: Obligation | None, assessment: Assessment, end: date, what: str) -> str:
    if next_one is None:
        if assessment.notes and not assessment.obligations:
            note = assessment.notes[0].rstrip(".")
            return f"aucun {what} à prévoir ({note[:1].lower()}{note[1:]})"
        return f"aucun {what} à prévoir"
    if next_one.occasion in CYCLE:
        when = f"au plus tard le {fr(next_one.due)}"
    else:
        when = f"à partir du {fr(next_one.window_start)}"
    return f"prochain {next_one.label} {when}, après l'horizon du {fr(end)}"


def professional_target(assessment: Assessment, end: date) -> Target:
    """The professional interview this campaign owes one employee, if any.

    The earliest pending interview that falls due by ``end`` calls for the
    form; one « à vérifier » (the tool lacks some history) is issued too, with
    its missing fact in the reason. The mid-career and end-of-career
    interviews whose window is open when it can be held are met by the same
    interview, so their topics join the form.
    """
    today = assessment.today
    pending = [o for o in assessment.obligations if o.occasion != "etat_des_lieux"]
    calling = next((o for o in pending if _callable_on(o) <= end), None)
    if calling is None:
        following = min(pending, key=_callable_on, default=None)
        return Target(
            matricule=assessment.matricule,
            kind="professionnel",
            due=False,
            reason=_not_due(following, assessment, end, "entretien professionnel"),
            obligation=following,
            covered=_covered(following, pending, today) if following else (),
        )
    covered = _covered(calling, pending, today)
    reason = _why(calling, today)
    also = [o.label for o in covered if o is not calling]
    if also:
        reason += f" ; vaut aussi {' et '.join(also)} (thèmes ajoutés au formulaire)"
    return Target(
        matricule=assessment.matricule,
        kind="professionnel",
        due=True,
        reason=reason,
        obligation=calling,
        covered=covered,
    )


def _covered(
    calling: Obligation, pending: Sequence[Obligation], today: date
) -> tuple[Obligation, ...]:
    held_from = max(today, calling.window_start)
    others = [
        o
        for o in pending
        if o is not calling
        and o.occasion in TOPIC_OCCASIONS
        and o.occasion != calling.occasion
        and o.window_start <= held_from
    ]
    return (calling, *others)


def review_target(assessment: Assessment, end: date, trainings: Sequence[Training] = ()) -> Target:
    """The état des lieux this campaign owes one employee, if any, with what the form shows.

    A pending état des lieux whose window opens by ``end`` calls for the
    form (the window opens at 8 years of seniority, or 7 after the first
    interview); ``trainings`` are the employee's completed trainings, of which
    those of the review's period are kept.
    """
    today = assessment.today
    pending = [o for o in assessment.obligations if o.occasion == "etat_des_lieux"]
    calling = next((o for o in pending if o.window_start <= end), None)
    chosen = calling or (pending[0] if pending else None)
    review = _review_of(assessment, chosen) if chosen is not None else None
    held: tuple[Obligation, ...] = ()
    followed: tuple[Training, ...] = ()
    if review is not None:
        cutoff = min(review.period_end, today)
        held = _held_in(assessment, review.period_start, cutoff)
        followed = tuple(
            sorted(
                (
                    t
                    for t in trainings
                    if t.start <= cutoff and (t.end is None or t.end > review.period_start)
                ),
                key=lambda t: (t.start, t.title),
            )
        )
    if calling is None:
        reason = _not_due(chosen, assessment, end, "état des lieux récapitulatif")
    else:
        reason = _why(calling, today)
    return Target(
        matricule=assessment.matricule,
        kind="etat_des_lieux",
        due=calling is not None,
        reason=reason,
        obligation=chosen,
        covered=(chosen,) if chosen is not None else (),
        review=review,
        held=held,
        trainings=followed,
    )


def _review_of(assessment: Assessment, obligation: Obligation) -> Review | None:
    return next(
        (
            r
            for r in assessment.reviews
            if r.held_on is None
            and r.due == obligation.due
            and r.window_start == obligation.window_start
        ),
        None,
    )


def _held_in(assessment: Assessment, start: date, end: date) -> tuple[Obligation, ...]:
    """The professional interviews held in [start, end], one per day.

    An interview that met several obligations (periodic and end-of-career)
    is named by the most specific one.
    """
    by_day: dict[date, Obligation] = {}
    for o in sorted(
        (o for o in assessment.history if o.occasion != "etat_des_lieux" and o.held_on),
        key=lambda o: o.occasion in CYCLE,
    ):
        if o.held_on is not None and start <= o.held_on <= end:
            by_day.setdefault(o.held_on, o)
    return tuple(by_day[day] for day in sorted(by_day))


def choose_targets(
    assessments: Iterable[Assessment],
    kind: Kind,
    *,
    end: date,
    trainings: Iterable[TrainingRecord] = (),
) -> dict[str, Target]:
    """Per matricule, whether it is due ``kind`` by ``end`` and why; ``annuel``: nobody listed.

    ``trainings`` are the HR sheet's rows and those declared in returned forms
    (``reports.status.workspace_inputs``); a sheet's « 42 » is the roster's « 00042 ».
    """
    if kind == "annuel":
        return {}
    done: dict[str, list[Training]] = defaultdict(list)
    for record in trainings:
        if record.completed:
            done[matricule_key(record.matricule)].append(record.training)
    out: dict[str, Target] = {}
    for assessment in assessments:
        if kind == "professionnel":
            out[assessment.matricule] = professional_target(assessment, end)
        else:
            out[assessment.matricule] = review_target(
                assessment, end, done.get(matricule_key(assessment.matricule), ())
            )
    return out


# ---------------------------------------------------------------------------
# What the form's pre-fill expressions see
# ---------------------------------------------------------------------------


def interview_scope(target: Target | None) -> dict[str, Any]:
    """``entretien`` and ``etat_des_lieux`` for the form ``target`` calls for (blank: None)."""
    interview = dict(BLANK_INTERVIEW)
    review_scope = dict(BLANK_REVIEW)
    if target is None:
        return {"entretien": interview, "etat_des_lieux": review_scope}
    obligation = target.obligation
    if obligation is not None:
        interview.update(
            occasion=obligation.occasion,
            occasions=list(target.occasions or (obligation.occasion,)),
            libelle=obligation.label,
            echeance=french_date(obligation.due),
            a_partir_du=french_date(obligation.window_start),
            motif=obligation.reason,
            type_conge=obligation.leave or "",
            conge=ABSENCE_LABELS[obligation.leave] if obligation.leave else "",
            a_verifier=obligation.unknown or "",
        )
    review = target.review
    if review is not None:
        review_scope.update(_review_scope(target, review))
    return {"entretien": interview, "etat_des_lieux": review_scope}


def _review_scope(target: Target, review: Review) -> dict[str, Any]:
    missing = _review_unknowns(target, review)
    known = review.interviews_known and not missing
    return {
        "numero": review.number,
        "debut": french_date(review.period_start),
        "fin": french_date(review.period_end),
        "echeance": french_date(review.due),
        "a_partir_du": french_date(review.window_start),
        "motif": review.reason,
        "entretiens": [
            {
                "date": french_date(o.held_on),
                "occasion": SHORT_OCCASIONS[o.occasion],
                "libelle": o.label,
            }
            for o in target.held
        ],
        "entretiens_manques": [
            {"echeance": french_date(o.due), "libelle": o.label} for o in review.missed_interviews
        ],
        "entretiens_connus": known,
        "entretiens_tous_tenus": known and not review.missed_interviews,
        "resume_entretiens": _interviews_text(target, review, missing),
        "formations": [
            {
                "intitule": t.title,
                "debut": french_date(t.start),
                "fin": french_date(t.end),
                "obligatoire": t.mandatory,
                "certifiante": t.certifying,
            }
            for t in target.trainings
        ],
        "formation": review.training,
        "formation_non_obligatoire": review.non_mandatory_training,
        "certification": review.certification,
        "progression": review.progression,
        "resume_criteres": _criteria_text(target, review),
        "a_verifier": " ; ".join(missing),
    }


def _review_unknowns(target: Target, review: Review) -> list[str]:
    """The facts the tool lacks about the interviews of the review's period, once each."""
    found = [review.unknown] if review.unknown else []
    obligation = target.obligation
    if obligation is not None and obligation.unknown:
        found.append(obligation.unknown)
    if not review.interviews_known and not found:
        found.append("historique des entretiens de la période incomplet")
    return list(dict.fromkeys(found))


def _interviews_text(target: Target, review: Review, missing: Sequence[str]) -> str:
    parts = []
    if target.held:
        listed = ", ".join(
            f"{fr(o.held_on)} ({o.label})" for o in target.held if o.held_on is not None
        )
        parts.append(f"Entretiens connus de l'outil sur la période : {listed}.")
    else:
        parts.append("Aucun entretien connu de l'outil sur la période.")
    if review.missed_interviews:
        listed = " ; ".join(f"{o.label} dû le {fr(o.due)}" for o in review.missed_interviews)
        parts.append(f"Dus et non tenus à l'échéance : {listed}.")
    if missing:
        parts.append(f"{TO_COMPLETE.capitalize()} : {' ; '.join(missing)}.")
    return " ".join(parts)


def _training_text(training: Training) -> str:
    if training.end is None:
        dates = f"depuis le {fr(training.start)}"
    elif training.end != training.start:
        dates = f"du {fr(training.start)} au {fr(training.end)}"
    else:
        dates = f"le {fr(training.start)}"
    details = [dates]
    if training.kind in TRAINING_KINDS:
        details.append(TRAINING_KINDS[training.kind])
    details.append("obligatoire" if training.mandatory else "non obligatoire")
    if training.certifying:
        details.append("certifiante")
    return f"{training.title} ({', '.join(details)})"


def _criteria_text(target: Target, review: Review) -> str:
    if target.trainings:
        listed = " ; ".join(_training_text(t) for t in target.trainings)
        parts = [f"Formations connues de l'outil sur la période : {listed}."]
    else:
        parts = [f"Formations suivies sur la période : {TO_COMPLETE} (aucune connue de l'outil)."]
    if review.progression:
        parts.append("Progression salariale ou professionnelle connue de l'outil sur la période.")
    else:
        parts.append(f"Progression salariale ou professionnelle : {TO_COMPLETE}.")
    return " ".join(parts)
