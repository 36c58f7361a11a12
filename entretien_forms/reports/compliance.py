"""The compliance workbook HR and the director show the CSE or a labour inspector.

Everything in it is computed by ``rules.assess`` from facts the tool holds:
the roster, the professional interviews and états des lieux returned through
the inbox, and the optional trainings and absences sheets. The workbook does
not judge anything itself; it lays out each computed date with its reason and
rule id, and its last sheet states the date, the regime and every setting the
figures depend on, so that anyone can check them against the law.

Returned forms are the interviews' proof: the date typed on the form
(``entretien.date``) is the interview date. A paper return (a scan, whose
answers are not read) and a form without a readable date count as held on
the day the file was received, and say so.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from entretien_forms.config import LegalSettings, Settings
from entretien_forms.reports._workbook import (
    AMBER,
    BLUE,
    DATE_FORMAT,
    EURO_FORMAT,
    GREEN,
    GREY,
    HEADER_FILL,
    HEADER_FONT,
    LINE_HEIGHT,
    PERCENT_FORMAT,
    RED,
    TITLE_FONT,
    Report,
    lines_of,
    save_atomically,
    setup_print,
    table_sheet,
)
from entretien_forms.reports.figures import HORIZON_MONTHS, key_figures
from entretien_forms.reports.follow_up import (
    KIND_LABELS,
    STATUS_LABELS,
    UNATTRIBUTED,
    CampaignForms,
    FollowUp,
    ManagerProgress,
    Person,
    compute_follow_up,
    manager_progress,
    owed_for_sure,
)
from entretien_forms.reports.sheets import (
    AbsenceRecord,
    HistoryRecord,
    TopUpPayment,
    TrainingRecord,
)
from entretien_forms.rules import (
    AGREEMENT_END_NOTE,
    BEFORE_LEAVE_NOTE,
    BEFORE_LEAVE_WINDOW_MONTHS,
    COVID_NOTE,
    FORMER_REGIME,
    HIRED_BEFORE_T0_NOTE,
    OLD_LAW_NOTE,
    RETURN_DELAY_NOTE,
    RETURN_INTERVIEW_DELAY_MONTHS,
    REVIEW_ACROSS_T0_NOTE,
    REVIEW_NOTE,
    TOPUP_START_NOTE,
    TRANSITION_NOTE,
    Assessment,
    Obligation,
    Review,
    add_months,
    fr,
)
from entretien_forms.sanitize import safe_cell
from entretien_forms.store import Store
from entretien_forms.text import fold

COMPLIANCE_FILE_NAME = "suivi-entretiens.xlsx"

_CHECK, _CROSS = "✔", "✘"
_NOT_TRACKED = "à vérifier"


# French label and unit of every legal setting, for the Synthèse sheet. A setting
# added to LegalSettings without a label here is still listed, under its TOML key.
_SETTING_LABELS: dict[str, str] = {
    "regime": "Régime légal appliqué",
    "first_interview_months": "Premier entretien après l'embauche (mois)",
    "period_years": "Périodicité de l'entretien professionnel (années)",
    "agreement_period_years": "Périodicité fixée par un accord collectif (années, 0 = aucun)",
    "review_period_years": "État des lieux récapitulatif tous les (années d'ancienneté)",
    "return_exemption_months": "Pas d'entretien de retour si entretien dans les (mois)",
    "long_sick_leave_months": "Arrêt maladie long à partir de (mois)",
    "midcareer_age": "Âge de la visite médicale de mi-carrière",
    "midcareer_delay_months": "Entretien de mi-carrière dans les (mois après la visite)",
    "end_of_career_age": "Âge de référence de l'entretien de fin de carrière",
    "topup_threshold": "Effectif à partir duquel l'abondement correctif s'applique",
    "topup_amount": "Montant de l'abondement correctif (€)",
    "topup_trigger": "Déclenchement de l'abondement (« et » : les deux manquements, « ou » : l'un)",
    "assessment_counts_as_training": "Bilan de compétences et VAE comptés comme formation",
    "warning_days": "Statut « à planifier » à partir de (jours avant l'échéance)",
}


# Readings of ours the rules flag (rules.py), summarised once for the whole company;
# each employee's own notes are in the Salariés sheet. Matched as substrings since
# the rules embed some of them in longer notes.
_READINGS: tuple[tuple[str, str, str], ...] = (
    (TRANSITION_NOTE, "Échéances à cheval sur la réforme du 26/10/2025", TRANSITION_NOTE),
    (
        HIRED_BEFORE_T0_NOTE,
        "Premier entretien des salariés embauchés avant la réforme",
        HIRED_BEFORE_T0_NOTE,
    ),
    (RETURN_DELAY_NOTE, "Délai de l'entretien de retour", RETURN_DELAY_NOTE),
    (BEFORE_LEAVE_NOTE, "Entretien avant un congé", BEFORE_LEAVE_NOTE),
    (AGREEMENT_END_NOTE, "Accord collectif de plus de 4 ans", AGREEMENT_END_NOTE),
    (REVIEW_NOTE, "Ancienneté retenue pour l'état des lieux", REVIEW_NOTE),
    (REVIEW_ACROSS_T0_NOTE, "État des lieux à cheval sur la réforme", REVIEW_ACROSS_T0_NOTE),
    (OLD_LAW_NOTE, "Salariés embauchés avant la loi du 5 mars 2014", OLD_LAW_NOTE),
    (COVID_NOTE, "Report lié à la crise sanitaire (2020-2021)", COVID_NOTE),
    (TOPUP_START_NOTE, "Abondement correctif avant le 01/10/2021", TOPUP_START_NOTE),
    (
        "Hypothèse : visite médicale de mi-carrière",
        "Date de la visite médicale de mi-carrière",
        "Hypothèse : sans date de visite médicale de mi-carrière, la visite est supposée "
        "avoir lieu dans l'année des 45 ans (EPP-5).",
    ),
)
# legal-rules.md, "Uncertain points" not already carried by a note above.
_UNCERTAIN: tuple[tuple[str, str], ...] = (
    (
        "Article L6323-13 (abondement correctif)",
        "Rédaction modifiée le 01/09/2026 ; le fond (50 salariés, 8 ans, 3 000 €) est réputé "
        "inchangé.",
    ),
    (
        "Déclenchement de l'abondement : « et » ou « ou »",
        "Lecture incertaine de L6315-1 II : voir le réglage declenchement_abondement ci-dessus.",
    ),
    (
        "Bilan de compétences et VAE",
        "Comptés ou non comme formation non obligatoire : voir le réglage "
        "bilan_vae_compte_comme_formation ci-dessus.",
    ),
)


def _split_notes(notes: Iterable[str]) -> tuple[str | None, str | None]:
    """Readings shared by many employees as their numbers in the Synthèse sheet, and
    everything specific to this employee in full."""
    numbers: set[int] = set()
    others: list[str] = []
    for note in notes:
        matched = {n for n, (key, _, _) in enumerate(_READINGS, start=1) if key in note}
        numbers |= matched
        if not matched and note not in others:
            others.append(note)
    points = ", ".join(f"n° {n}" for n in sorted(numbers)) or None
    return points, _joined(others)


def _readings(assessments: Sequence[Assessment]) -> list[tuple[str, int, str]]:
    """Each reading the rules flagged, numbered, with how many employees it concerns."""
    counts: Counter[int] = Counter()
    for a in assessments:
        notes = a.inferences
        for n, (key, _, _) in enumerate(_READINGS, start=1):
            if any(key in note for note in notes):
                counts[n] += 1
    return [
        (f"n° {n} — {_READINGS[n - 1][1]}", counts[n], _READINGS[n - 1][2]) for n in sorted(counts)
    ]


# ---------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------


def build_compliance_workbook(
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
) -> Report:
    """The four sheets (Salariés, État des lieux, Campagne, Synthèse), computed as of ``today``.

    Only trainings marked « réalisé » count as followed; the others are shown
    as planned beside the état des lieux they could still change. ``topups``
    are the corrective top-ups HR has paid: each settles one found owed.
    """
    trainings, absences, topups = list(trainings), list(absences), list(topups)
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
    people, unmatched, forms = facts.people, facts.unmatched, facts.forms
    workbook = Report(f"Suivi des entretiens professionnels — {campaign}")
    _employees_sheet(workbook, people, forms)
    _reviews_sheet(workbook, facts, settings.legal, today)
    _campaign_sheet(workbook, people, forms)
    _summary_sheet(
        workbook,
        people,
        forms,
        settings,
        today,
        facts=facts,
        trainings=trainings,
        absences=absences,
        topups=topups,
        unmatched=unmatched,
    )
    return workbook


def write_compliance_workbook(
    path: Path,
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
) -> Path:
    """Build and save atomically; a folder gets ``suivi-entretiens.xlsx`` inside it."""
    target = path / COMPLIANCE_FILE_NAME if path.is_dir() else path
    workbook = build_compliance_workbook(
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
    return save_atomically(workbook, target)


def _status_colours(sheet: Worksheet, column: int, rows: int, extra: Sequence[str] = ()) -> None:
    """Conditional formatting, so colours follow the text when HR sorts or edits."""
    if rows == 0:
        return
    letter = get_column_letter(column + 1)
    cells = f"{letter}2:{letter}{rows + 1}"
    for text, fill in (
        ("en retard", RED),
        ("à vérifier", BLUE),
        ("à planifier", AMBER),
        ("à jour", GREEN),
        ("à venir", GREEN),
        *((t, GREY) for t in extra),
    ):
        sheet.conditional_formatting.add(
            cells, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill)
        )


def _joined(items: Iterable[str]) -> str | None:
    return " | ".join(items) or None


def _reason(obligation: Obligation) -> str:
    """The reason, and what HR must check when the tool lacks a fact."""
    if obligation.unknown:
        return f"{obligation.reason} ; à vérifier : {obligation.unknown}"
    return obligation.reason


# --- Salariés ------------------------------------------------------------------------


def _employees_sheet(workbook: Report, people: Sequence[Person], forms: CampaignForms) -> None:
    form_headers = [f"Formulaire {KIND_LABELS.get(k, k)} ({forms.name})" for k in forms.kinds]
    headers = [
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
        *form_headers,
        "Points d'interprétation (n° en Synthèse)",
        "Remarques",
    ]
    rows = []
    for person in people:
        e, a = person.employee, person.assessment
        last = a.last_interview
        source = None
        if last is not None:
            source = last.source_label
            if last.source == "entretien_enregistre":
                proof = next(
                    (r for r in person.recorded if r.interview.held_on == last.held_on), None
                )
                source = proof.describe() if proof else source
        interview, review = a.next_interview, a.next_review
        readings, remarks = _split_notes(
            [
                *a.notes,
                *(
                    f"{r.reference} : formulaire papier, entretien compté à sa date de réception "
                    f"({fr(r.interview.held_on)}), la date réelle n'étant pas lue sur un scan."
                    for r in person.recorded
                    if r.paper
                ),
                *a.inferences,
            ]
        )
        rows.append(
            [
                e.matricule,
                e.nom,
                e.prenom,
                e.service,
                person.manager,
                e.date_entree,
                last.held_on if last else None,
                source,
                interview.due if interview else None,
                interview.label if interview else None,
                _reason(interview) if interview else a.status_label,
                interview.rule if interview else None,
                review.due if review else None,
                _reason(review) if review else None,
                STATUS_LABELS[a.status],
                a.days_late or None,
                _joined(a.checks),
                *(forms.state(e.matricule, k) for k in forms.kinds),
                readings,
                remarks,
            ]
        )
    status_column = headers.index("Statut")
    sheet = table_sheet(
        workbook,
        "Salariés",
        headers,
        rows,
        widths=[
            *(10, 16, 14, 14, 18, 11, 14, 24, 13, 20, 45, 9, 13, 40, 11, 8, 40),
            *(14 for _ in forms.kinds),
            16,
            50,
        ],
        formats={
            headers.index("Date d'entrée"): DATE_FORMAT,
            headers.index("Dernier entretien professionnel"): DATE_FORMAT,
            headers.index("Prochain entretien professionnel"): DATE_FORMAT,
            headers.index("Prochain état des lieux"): DATE_FORMAT,
        },
        wrap=[
            headers.index(name)
            for name in (
                "Source du dernier entretien",
                "Entretien attendu",
                "Motif de l'échéance",
                "Motif de l'état des lieux",
                "À vérifier",
                *form_headers,
                "Points d'interprétation (n° en Synthèse)",
                "Remarques",
            )
        ],
    )
    sheet.freeze_panes = "D2"  # keep the matricule and the name in view
    _status_colours(sheet, status_column, len(rows), ("sorti", "non concerné"))
    first_form = headers.index("À vérifier") + 1
    if rows and forms.kinds:
        letters = (
            get_column_letter(first_form + 1),
            get_column_letter(first_form + len(forms.kinds)),
        )
        sheet.conditional_formatting.add(
            f"{letters[0]}2:{letters[1]}{len(rows) + 1}",
            CellIsRule(operator="equal", formula=['"manquant"'], fill=AMBER),
        )


# --- État des lieux --------------------------------------------------------------------


def _situation(review: Review, today: date, legal: LegalSettings) -> str:
    if review.held_on is not None:
        return f"tenu le {fr(review.held_on)}"
    if review.unknown:
        return _NOT_TRACKED
    if review.due < today:
        return "en retard"
    if (review.due - today).days <= legal.warning_days:
        return "à planifier"
    return "à venir"


def _topup_state(review: Review, payment: TopUpPayment | None) -> str:
    topup = review.topup
    if payment is not None:
        return f"versé le {fr(payment.paid_on)}"
    if not topup.applies:
        return "non applicable (effectif sous le seuil)"
    if topup.to_check:
        return _NOT_TRACKED
    if not topup.owed:
        return "non dû"
    return "dû si rien ne change" if review.provisional else "dû"


def _review_rows(people: Sequence[Person], today: date) -> list[tuple[Person, Review]]:
    """Per employee, the review to act on, when due within 12 months, late or with a top-up.

    The review to act on is the earliest not held (an EDL held now closes that
    one first); employees whose reviews are all held appear only when one of
    them left a top-up owed.
    """
    horizon = add_months(today, 12)
    found = []
    for person in people:
        review = person.assessment.review
        if review is None:
            continue
        due_soon = review.held_on is None and review.due <= horizon
        to_check = any(
            r.unknown or (r.topup.to_check and not r.provisional) for r in person.assessment.reviews
        )
        if due_soon or to_check or any(owed_for_sure(r) for r in person.assessment.reviews):
            found.append((person, review))
    found.sort(key=lambda pr: (pr[1].due, fold(pr[0].employee.nom), pr[0].employee.matricule))
    return found


def _missed(obligation: Obligation) -> str:
    text = f"{obligation.label} dû le {fr(obligation.due)}"
    if obligation.held_on is not None:
        text += f", tenu en retard le {fr(obligation.held_on)}"
    return text


def _euros(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


def _mark(value: bool) -> str:
    return _CHECK if value else _CROSS


_REVIEW_HEADERS = (
    "Matricule",
    "Nom",
    "Prénom",
    "Responsable",
    "État des lieux n°",
    "Ancienneté (ans)",
    "Possible dès le",
    "À tenir au plus tard le",
    "Situation",
    "Jours de retard",
    "Période examinée",
    "Entretiens dus tous tenus",
    "Entretiens dus non tenus à temps",
    "Formation suivie",
    "Dont formation non obligatoire",
    "Certification (formation ou VAE)",
    "Progression salariale ou professionnelle",
    "Formation prévue",
    "Abondement correctif",
    "Montant",
    "À verser au plus tard le",
    "Motif",
    "Autres abondements dus",
    "Montant des autres abondements",
    "Règle",
    "Points d'interprétation (n° en Synthèse)",
    "Remarques",
)
_REVIEW_WIDTHS = (
    *(10, 16, 14, 18, 8, 9, 11, 11, 12, 8, 14, 11, 30, 10, 12, 13, 13),
    *(22, 14, 10, 11, 45, 26, 13, 9, 16, 45),
)
# Long texts wrap in their column instead of running over the next ones (and off the page).
_REVIEW_WRAPPED = (
    "Période examinée",
    "Entretiens dus non tenus à temps",
    "Formation prévue",
    "Abondement correctif",
    "Motif",
    "Autres abondements dus",
    "Points d'interprétation (n° en Synthèse)",
    "Remarques",
)


def _reviews_sheet(workbook: Report, facts: FollowUp, legal: LegalSettings, today: date) -> None:
    column = {h: i for i, h in enumerate(_REVIEW_HEADERS)}
    rows: list[list[Any]] = []
    owed_count = owed_amount = feared_count = feared_amount = paid_count = checked_count = 0
    paid_amount = 0.0
    for person, review in _review_rows(facts.people, today):
        e = person.employee
        topup = review.topup
        amount = topup.amount if topup.owed else 0
        others = [r for r in person.assessment.reviews if r is not review and owed_for_sure(r)]
        for r in (review, *others):
            if (payment := facts.payment(e.matricule, r)) is not None:
                paid_count += 1
                paid_amount += r.topup.amount if payment.amount is None else payment.amount
            elif owed_for_sure(r):
                owed_count, owed_amount = owed_count + 1, owed_amount + r.topup.amount
            elif r.topup.owed:
                feared_count, feared_amount = feared_count + 1, feared_amount + r.topup.amount
        checked_count += sum(
            1 for r in person.assessment.reviews if r.topup.to_check and not r.provisional
        )
        late = (
            (today - review.due).days
            if review.held_on is None and review.due < today and not review.unknown
            else 0
        )
        # What could still change the outcome: a non-mandatory training first.
        planned = next(
            (
                t
                for t in sorted(person.planned, key=lambda t: t.training.mandatory)
                if t.training.start <= review.due
            ),
            None,
        )
        readings, remarks = _split_notes(review.notes)
        rows.append(
            [
                e.matricule,
                e.nom,
                e.prenom,
                person.manager,
                review.number,
                review.seniority_years,
                review.window_start,
                review.due,
                _situation(review, today, legal),
                late or None,
                f"du {fr(review.period_start)} au {fr(review.period_end)}",
                _mark(review.interviews_held) if review.interviews_known else _NOT_TRACKED,
                _joined(_missed(o) for o in review.missed_interviews),
                _mark(review.training)
                if review.training or review.trainings_known
                else _NOT_TRACKED,
                (
                    _mark(review.non_mandatory_training)
                    if review.non_mandatory_training or review.trainings_known
                    else _NOT_TRACKED
                ),
                _mark(review.certification),
                _CHECK if review.progression else _NOT_TRACKED,
                (
                    f"{planned.training.title} ({planned.status}, le {fr(planned.training.start)})"
                    if planned
                    else None
                ),
                _topup_state(review, facts.payment(e.matricule, review)),
                amount,
                topup.deadline,
                f"{review.unknown} ; {topup.reason}" if review.unknown else topup.reason,
                _joined(
                    f"n° {r.number} à tenir au plus tard le {fr(r.due)} : {_euros(r.topup.amount)}"
                    + (f", versé le {fr(p.paid_on)}" if p else "")
                    for r in others
                    for p in [facts.payment(e.matricule, r)]
                ),
                sum(r.topup.amount for r in others if not facts.payment(e.matricule, r)) or None,
                review.rule,
                readings,
                remarks,
            ]
        )
    sheet = table_sheet(
        workbook,
        "État des lieux",
        _REVIEW_HEADERS,
        rows,
        widths=_REVIEW_WIDTHS,
        formats={
            column["Possible dès le"]: DATE_FORMAT,
            column["À tenir au plus tard le"]: DATE_FORMAT,
            column["Montant"]: EURO_FORMAT,
            column["À verser au plus tard le"]: DATE_FORMAT,
            column["Montant des autres abondements"]: EURO_FORMAT,
        },
        wrap=[column[name] for name in _REVIEW_WRAPPED],
    )
    sheet.freeze_panes = "D2"
    _status_colours(sheet, column["Situation"], len(rows))
    if rows:
        first = get_column_letter(column["Entretiens dus tous tenus"] + 1)
        last = get_column_letter(column["Progression salariale ou professionnelle"] + 1)
        sheet.conditional_formatting.add(
            f"{first}2:{last}{len(rows) + 1}",
            CellIsRule(operator="equal", formula=[f'"{_CROSS}"'], fill=RED),
        )
    # Totals under the table, after a blank row: outside the filter, not sorted with it.
    amount_column = column["Montant"] + 1
    first_total = len(rows) + 3
    for offset, (label, count, total) in enumerate(
        (
            ("Abondements dus (état des lieux tenu ou échu)", owed_count, owed_amount),
            ("Abondements à craindre si rien ne change", feared_count, feared_amount),
            ("Abondements à vérifier (historique ou formations inconnus)", checked_count, None),
            ("Abondements déjà versés (tableau des abondements)", paid_count, paid_amount),
        )
    ):
        bold = Font(bold=True)
        sheet.cell(first_total + offset, 1, label).font = bold
        sheet.cell(first_total + offset, amount_column - 1, count).font = bold
        total_cell = sheet.cell(first_total + offset, amount_column, total)
        total_cell.number_format, total_cell.font = EURO_FORMAT, bold


# --- Campagne ---------------------------------------------------------------------------


def _campaign_sheet(workbook: Report, people: Sequence[Person], forms: CampaignForms) -> None:
    progress, total = manager_progress(people, forms)
    headers = [
        "Responsable",
        "Salariés",
        "Formulaires émis",
        "Retournés",
        "Dont papier",
        "Papier à saisir",
        "Manquants",
        "Fichiers rejetés",
        "Taux de retour",
    ]

    def figures(p: ManagerProgress) -> list[Any]:
        return [
            p.employees,
            p.issued,
            p.returned,
            p.paper,
            p.to_key,
            p.missing,
            p.rejected,
            p.return_rate,
        ]

    rows = [[p.manager, *figures(p)] for p in progress]
    sheet = table_sheet(
        workbook,
        "Campagne",
        headers,
        rows,
        widths=[36, 10, 12, 11, 11, 11, 11, 12, 11],
        formats={8: PERCENT_FORMAT},
    )
    total_row = len(rows) + 3  # a blank row: outside the filter, not sorted with it
    for n, value in enumerate([f"Total — campagne « {forms.name} »", *figures(total)], start=1):
        sheet.cell(total_row, n, safe_cell(value)).font = Font(bold=True)
    sheet.cell(total_row, 9).number_format = PERCENT_FORMAT
    # One bar per manager; files that could not be attributed have no form to show.
    charted = sum(1 for p in progress if p.manager != UNATTRIBUTED)
    if charted:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        chart.title = f"Formulaires retournés et manquants par responsable — {forms.name}"
        chart.y_axis.title = "Formulaires"
        chart.x_axis.title = None
        chart.y_axis.majorGridlines = None
        last = charted + 1
        data = Reference(sheet, min_col=4, min_row=1, max_row=last)  # Retournés
        missing = Reference(sheet, min_col=7, min_row=1, max_row=last)  # Manquants
        chart.add_data(data, titles_from_data=True)
        chart.add_data(missing, titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=last))
        chart.series[0].graphicalProperties.solidFill = "70AD47"
        chart.series[1].graphicalProperties.solidFill = "ED7D31"
        chart.height = min(30.0, 7 + 0.6 * charted)
        chart.width = 18
        chart.legend.position = "b"
        sheet.add_chart(chart, "K2")


# --- Synthèse ----------------------------------------------------------------------------


def _setting_value(value: object) -> object:
    if isinstance(value, bool):
        return "oui" if value else "non"
    return value


def _summary_sheet(
    workbook: Report,
    people: Sequence[Person],
    forms: CampaignForms,
    settings: Settings,
    today: date,
    *,
    facts: FollowUp,
    trainings: Sequence[TrainingRecord],
    absences: Sequence[AbsenceRecord],
    topups: Sequence[TopUpPayment],
    unmatched: Sequence[str],
) -> None:
    legal = settings.legal
    headcount = settings.company.headcount
    figures = key_figures(facts, today)
    year_ago = add_months(today, -HORIZON_MONTHS)
    assessments = [p.assessment for p in people]
    regime = (
        "avant la réforme (entretien tous les 2 ans, état des lieux tous les 6 ans)"
        if legal.regime == FORMER_REGIME
        else "loi n° 2025-989 du 24 octobre 2025 (en vigueur le 26/10/2025)"
    )

    sheet = workbook.create_sheet("Synthèse")
    sheet.column_dimensions["A"].width = 62
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["C"].width = 90
    title = sheet.cell(
        1, 1, safe_cell(f"Suivi des entretiens professionnels — {settings.company.name}")
    )
    title.font = TITLE_FONT
    sheet.cell(2, 1, f"Calculé le {fr(today)}, pour la campagne « {forms.name} »")
    row = 4
    wrap = Alignment(wrap_text=True, vertical="top")  # few rows: all aligned to the top

    def section(label: str, columns: tuple[str, str, str]) -> None:
        nonlocal row
        row += 1 if row > 4 else 0
        sheet.cell(row, 1, label).font = Font(bold=True, size=12, color="1F3864")
        row += 1
        for n, text in enumerate(columns, start=1):
            cell = sheet.cell(row, n, text)
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        row += 1

    def line(label: str, value: object, detail: str = "", number_format: str | None = None) -> None:
        nonlocal row
        sheet.cell(row, 1, safe_cell(label)).alignment = wrap
        cell = sheet.cell(row, 2, safe_cell(value))
        if number_format:
            cell.number_format = number_format
        cell.alignment = Alignment(horizontal="center", vertical="top")
        sheet.cell(row, 3, safe_cell(detail)).alignment = wrap
        lines = max(lines_of(label, 62), lines_of(detail, 90))
        if lines > 1:
            sheet.row_dimensions[row].height = LINE_HEIGHT * lines
        row += 1

    section("Chiffres clés (CSE, BDESE)", ("Indicateur", "Valeur", "Précision"))
    k, statuses = figures, figures.by_status
    line("Salariés suivis", k.employees, "salariés présents dans le dernier fichier importé")
    line(
        "Entretiens professionnels tenus sur les 12 derniers mois",
        k.interviews_last_year,
        f"du {fr(year_ago)} au {fr(today)} : formulaires retournés et dates du fichier salariés",
    )
    line(
        "Salariés ayant eu un entretien sur les 12 derniers mois",
        k.employees_interviewed_last_year,
    )
    line("Salariés à jour", statuses["a_jour"])
    line(
        "Salariés dont l'entretien est à planifier",
        statuses["a_planifier"],
        f"échéance dans les {legal.warning_days} jours",
    )
    line("Salariés en retard", statuses["en_retard"], "échéance dépassée sans entretien")
    line(
        "Salariés à vérifier",
        statuses["a_verifier"],
        "échéance passée qu'un entretien inconnu de l'outil a pu respecter (historique "
        "incomplet) : jamais compté en retard ; complétez l'historique des entretiens "
        "(historique.xlsx) ou la colonne « Dernier état des lieux »",
    )
    line("États des lieux tenus sur les 12 derniers mois", k.reviews_held_last_year)
    line("États des lieux en retard", k.reviews_late)
    line(
        "États des lieux à vérifier",
        k.reviews_to_check,
        "échéance passée, tenue inconnue de l'outil (historique incomplet)",
    )
    line("États des lieux à tenir dans les 12 mois", k.reviews_due_within_year)
    line(
        "Abondements correctifs dus",
        k.topups_owed,
        "états des lieux tenus ou échus, hors abondements déjà versés (tableau des abondements ; "
        "détail : feuille État des lieux)",
    )
    line(
        "Montant des abondements correctifs dus",
        k.topups_owed_amount,
        "à verser au CPF via la Caisse des dépôts (SAN-1, SAN-2)",
        EURO_FORMAT,
    )
    line(
        "Abondements correctifs versés",
        k.topups_paid,
        "d'après le tableau des abondements tenu par les RH (abondements.xlsx)",
    )
    line(
        "Montant des abondements correctifs versés",
        k.topups_paid_amount,
        "montants du tableau, sinon le montant légal",
        EURO_FORMAT,
    )
    line("Abondements à craindre dans les 12 mois si rien ne change", k.topups_feared, "")
    line(
        "Montant à craindre dans les 12 mois",
        k.topups_feared_amount,
        "une formation non obligatoire ou les entretiens manquants tenus à temps l'évitent",
        EURO_FORMAT,
    )
    line(
        "Abondements correctifs à vérifier",
        k.topups_to_check,
        "ni dus ni écartés : un fait manque (entretiens avant le début de l'historique connu, "
        "ou formations suivies sans tableau des formations) ; aucun montant n'est compté",
    )
    line("Formulaires émis (campagne)", k.forms_issued)
    line("Formulaires retournés (campagne)", k.forms_returned)
    line("Formulaires manquants (campagne)", k.forms_missing)
    line(
        "Retours papier à saisir (campagne)",
        k.forms_to_key,
        "réponses écrites à la main : « entretien saisie » prépare les fiches de saisie",
    )
    line("Fichiers rejetés (campagne)", k.files_rejected, "voir le dossier rejected/")
    line("Taux de retour (campagne)", k.return_rate, "", PERCENT_FORMAT)

    section("Données utilisées", ("Donnée", "Valeur", "Précision"))
    line("Date de calcul", today, "statuts et retards calculés à cette date", DATE_FORMAT)
    line("Régime", legal.regime, regime)
    line(
        "Effectif retenu",
        headcount,
        (
            "[entreprise] effectif de entretien.toml"
            if headcount
            else "effectif non renseigné ([entreprise] effectif = 0) : l'abondement correctif "
            "n'est pas calculé ; renseignez l'effectif dans entretien.toml"
        ),
    )
    line(
        "Entretiens professionnels et états des lieux retournés (toutes campagnes)",
        sum(len(p.recorded) for p in people),
        "dont "
        f"{sum(1 for p in people for r in p.recorded if r.paper)} sur papier, comptés à leur "
        "date de réception",
    )
    line(
        "Formations lues",
        len(trainings),
        f"dont {sum(1 for t in trainings if t.completed)} réalisées (seules comptées comme "
        "suivies)",
    )
    line("Absences lues", len(absences))
    line("Abondements versés lus", len(topups))
    if facts.unsettled:
        listed = [f"{p.matricule} ({fr(p.paid_on)})" for p in facts.unsettled]
        shown = ", ".join(listed[:10]) + (" …" if len(listed) > 10 else "")
        line(
            "Versements sans abondement dû calculé",
            len(facts.unsettled),
            "à vérifier (matricule inconnu, état des lieux non échu ou abondement à vérifier) "
            f": {shown}",
        )
    if unmatched:
        shown = ", ".join(unmatched[:10]) + (" …" if len(unmatched) > 10 else "")
        line(
            "Matricules des fichiers formations ou absences inconnus",
            len(unmatched),
            f"lignes non prises en compte : {shown}",
        )

    section(
        "Réglages appliqués (entretien.toml, section [regles])",
        ("Réglage", "Valeur", "Clé"),
    )
    for f in dataclasses.fields(LegalSettings):
        key = f.metadata.get("toml", f.name)
        line(_SETTING_LABELS.get(f.name, key), _setting_value(getattr(legal, f.name)), key)
    section("Choix de l'outil (non réglables)", ("Choix", "Valeur", "Pourquoi"))
    line(
        "Délai de l'entretien de retour (mois après la reprise)",
        RETURN_INTERVIEW_DELAY_MONTHS,
        "la loi dit « à la reprise » sans fixer de délai",
    )
    line(
        "Fenêtre de l'entretien avant un congé de proche aidant ou de solidarité familiale (mois)",
        BEFORE_LEAVE_WINDOW_MONTHS,
        "la loi ne fixe pas de délai",
    )
    line(
        "Formations comptées",
        "réalisées",
        "une formation envisagée, validée ou planifiée ne prouve pas qu'elle a été suivie",
    )

    section(
        "Points d'interprétation et points incertains (à faire valider si besoin)",
        ("Point", "Salariés concernés", "Texte"),
    )
    for label, count, text in _readings(assessments):
        line(label, count, text)
    for label, text in _UNCERTAIN:
        line(label, None, text)
    setup_print(sheet)
