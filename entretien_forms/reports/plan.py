"""The training plan workbook: what employees asked for, what HR booked, what is still owed.

HR builds its « plan de développement des compétences » from the training
requests written in the interviews. Managers type themes freely ("SEO",
"formation SEO avancé", "Anglais commercial"), so requests are folded into a
small taxonomy of theme groups before being counted. HR's own training sheet
(``PlannedTraining`` rows, read by the caller) says what was validated, booked
or done; a request of the same employee in the same theme group takes its
status, which is how the Engagements sheet finds the promises made in an
interview and not kept.

Figures are written as values, not formulas: the workbook is rebuilt from the
database whenever HR wants it fresh, and values show the same in Excel,
LibreOffice and the previews of mail clients, which compute nothing.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from entretien_forms.errors import EntretienError
from entretien_forms.forms.catalog import Catalog
from entretien_forms.forms.definition import COMMON_GRID, GENERIC_GRID, FormDefinition, TableDef
from entretien_forms.reports._rows import Look
from entretien_forms.reports._workbook import (
    AMBER,
    DATE_FORMAT,
    EURO_FORMAT,
    GREEN,
    GREY,
    GRID,
    HEADER_FILL,
    HEADER_FONT,
    RED,
    TITLE_FONT,
    Report,
    save_atomically,
    setup_print,
    table_sheet,
)
from entretien_forms.reports.sheets import matricule_key
from entretien_forms.roster import Employee, manager_labels
from entretien_forms.sanitize import safe_cell, safe_filename
from entretien_forms.store import AnswerValue, Store, Submission
from entretien_forms.text import clean, count, fold

TrainingStatus = Literal["envisagé", "validé", "planifié", "réalisé", "annulé"]
# From least to most advanced: when several of HR's rows match one request, the
# most advanced one gives its status (one cancelled session, one booked: booked).
TRAINING_STATUSES: tuple[TrainingStatus, ...] = (
    "annulé",
    "envisagé",
    "validé",
    "planifié",
    "réalisé",
)
REQUESTED: TrainingStatus = "envisagé"  # a request HR's sheet does not mention
KEPT_STATUSES = frozenset({"planifié", "réalisé"})  # a promise counts as kept once booked
OTHER_GROUP = "Autres"
DEFAULT_REQUIRED_LEVEL = 3  # « maîtrisée » on the built-in 1–4 scale
HR_ORIGIN = "Plan de formation RH"
UNKNOWN_EMPLOYEE = "Matricule absent de la liste du personnel"
NO_TEAM = "Sans service"
PRIORITIES = ("Haute", "Moyenne", "Basse")
NO_PRIORITY = "Non précisée"
HOURS_FORMAT = "0.0"
HEADER_HEIGHT = 30  # points: two lines of a wrapped header
ROW_HEIGHT_CM = 0.53  # Excel's default row (15 points)
AVERAGE_FORMAT = "0.0"
AUTO_FORMAT = '0" (auto)"'  # the value stays a number, so colours and averages still work
# Column ids of the built-in forms (entretien-annuel.toml, entretien-professionnel.toml).
THEME_COLUMN = "theme"
MANAGER_RATING, SELF_RATING = "manager", "auto"
INTERVIEW_DATE_FIELD = "entretien.date"
MANAGER_NAME_FIELD = "manager.nom_complet"

# Theme groups for sales and marketing SMEs, each with the words that send a
# free-text theme there. Keywords are compared accent- and case-blind, at a word
# start ("négoci" finds « Négociation » and « négocier »); keywords of three
# letters or fewer must be a whole word ("seo", "ia"). The keyword found first in
# the theme decides (French puts the head noun first: « Anglais commercial » is
# a language course), the longer one when two start at the same place.
# fmt: off
DEFAULT_THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Vente et négociation", (
        "vente", "vendre", "vendeur", "négoci", "closing", "conclure", "objection", "argumentaire",
        "argumentation", "commerci", "grands comptes", "key account", "account management",
        "pitch", "relation client", "service client", "fidélisation", "upsell", "cross-sell",
        "devis", "pricing", "avant-vente",
    )),
    ("Prospection et social selling", (
        "prospect", "social selling", "linkedin", "sales navigator", "réseau", "networking",
        "cold call", "cold email", "phoning", "téléprospection", "génération de leads", "lead",
        "salon", "appel à froid",
    )),
    ("Marketing digital et SEO", (
        "marketing", "seo", "sea", "sem", "référencement", "google ads", "adwords",
        "réseaux sociaux", "community", "emailing", "e-mailing", "newsletter", "growth", "inbound",
        "content", "contenu", "rédaction web", "copywriting", "analytics", "ga4",
        "analyse de données", "data", "digital", "web", "wordpress", "publicité", "branding",
        "marque", "acquisition",
    )),
    ("Outils et CRM", (
        "crm", "salesforce", "hubspot", "pipedrive", "zoho", "dynamics", "sellsy", "axonaut",
        "erp", "sap", "power bi", "looker", "intelligence artificielle", "ia", "chatgpt",
        "no-code", "automatisation",
    )),
    ("Management", (
        "manag", "encadrement", "leadership", "leader", "animation d'équipe", "animer une équipe",
        "gestion d'équipe", "chef d'équipe", "délégation", "déléguer", "recrutement", "recruter",
        "coaching", "feedback", "conduite d'entretien", "conduite du changement",
    )),
    ("Langues", (
        "langue", "anglais", "english", "toeic", "toefl", "linguaskill", "espagnol", "allemand",
        "italien", "portugais", "néerlandais", "chinois", "mandarin", "arabe", "japonais", "russe",
        "fle",
    )),
    ("Bureautique", (
        "bureautique", "excel", "word", "powerpoint", "power point", "outlook", "pack office",
        "office 365", "microsoft 365", "google workspace", "google sheets", "tableur", "teams",
    )),
    ("Sécurité et obligations légales", (
        "sécurité", "sst", "sauveteur secouriste", "secouris", "premiers secours", "incendie",
        "évacuation", "habilitation", "caces", "rgpd", "gdpr", "données personnelles",
        "conformité", "compliance", "harcèlement", "discrimination", "anticorruption",
        "anti-corruption", "blanchiment", "prévention des risques", "risques psychosociaux", "rps",
        "gestes et postures", "document unique",
    )),
    ("Communication", (
        "communication", "prise de parole", "parler en public", "présentation orale",
        "storytelling", "écrits professionnels", "écrit professionnel", "rédaction", "orthographe",
        "voltaire", "assertivité", "écoute active", "gestion des conflits", "relations presse",
        "média training",
    )),
    ("Organisation et gestion de projet", (
        "gestion du temps", "gestion des priorités", "organisation", "efficacité", "productivité",
        "gestion du stress", "stress", "gestion de projet", "conduite de projet", "agile", "scrum",
        "télétravail",
    )),
    ("Gestion, finance et droit", (
        "financ", "comptab", "budget", "contrôle de gestion", "rentabilité", "marge", "trésorerie",
        "business plan", "achat", "droit", "juridique", "contrat", "cgv",
    )),
    ("Évolution professionnelle", (
        "bilan de compétences", "vae", "validation des acquis", "cpf", "reconversion", "mobilité",
        "diplôme", "master", "mba", "tutorat", "tuteur",
    )),
)
# fmt: on

# Words that say nothing about the subject: « formation SEO avancé » and « SEO »
# are the same need. Compared after folding.
_FILLER = frozenset(
    {
        *("formation", "formations", "module", "stage", "cours", "session", "atelier"),
        *("certification", "initiation", "perfectionnement", "approfondissement"),
        *("avance", "avancee", "avances", "avancees", "debutant", "debutants"),
        *("intermediaire", "expert", "niveau", "bases", "base"),
        *("de", "des", "du", "la", "le", "les", "l", "d", "un", "une", "en", "et"),
        *("a", "au", "aux", "pour", "sur", "avec", "par"),
    }
)
_GRID_NAMES = {GENERIC_GRID: "Générique"}


@dataclass(frozen=True)
class PlannedTraining:
    """One row of HR's training sheet: a session validated, booked, done or dropped.

    It is matched to the interview requests of the same employee whose theme
    falls in the same theme group as ``title``.
    """

    matricule: str
    title: str
    start: date | None = None
    end: date | None = None
    hours: float | None = None
    cost: float | None = None  # euros, excluding tax as HR budgets it
    mandatory: bool = False
    status: TrainingStatus = "planifié"

    def __post_init__(self) -> None:
        if self.status not in TRAINING_STATUSES:
            allowed = ", ".join(TRAINING_STATUSES)
            raise EntretienError(
                f"Formation « {self.title} » du matricule {self.matricule} : statut "
                f"« {self.status} » inconnu. Statuts possibles : {allowed}."
            )


@dataclass
class _Request:
    """One line of the Demandes sheet, from an interview or from HR's sheet alone."""

    matricule: str
    name: str
    team: str
    manager: str
    theme: str
    group: str
    key: frozenset[str]
    modality: str
    priority: str
    mandatory: bool
    period: str
    interview: date | None
    origin: str
    status: TrainingStatus = REQUESTED
    trainings: list[PlannedTraining] = field(default_factory=list)
    cost: float | None = None
    hours: float | None = None

    @property
    def committed(self) -> bool:
        """Agreed in the interview: high priority, or mandatory (L6321-2 trainings)."""
        return self.priority == "Haute" or self.mandatory


@dataclass(frozen=True)
class _Rated:
    employee: Employee
    grid: str
    levels: Mapping[str, tuple[int, bool]]  # skill id → (level, self-assessed)


class _Taxonomy:
    """Folds a free-text theme into a theme group, with one regular expression pass."""

    def __init__(self, themes: Sequence[tuple[str, Sequence[str]]]) -> None:
        self.groups = tuple(clean(name) for name, _ in themes)
        self._owner: dict[str, str] = {}
        for (_, keywords), name in zip(themes, self.groups, strict=True):
            for keyword in keywords:
                if folded := fold(keyword):
                    self._owner.setdefault(folded, name)
        # At one position the engine takes the first alternative that matches: longest first.
        parts = [
            re.escape(k) + (r"(?![a-z0-9])" if len(k) <= 3 else "")
            for k in sorted(self._owner, key=len, reverse=True)
        ]
        self._pattern = re.compile(rf"(?<![a-z0-9])(?:{'|'.join(parts)})") if parts else None
        self._cache: dict[str, str] = {}

    def group(self, theme: str) -> str:
        folded = fold(theme)
        found = self._cache.get(folded)
        if found is None:
            match = self._pattern.search(folded) if self._pattern else None
            found = self._owner[match.group(0)] if match else OTHER_GROUP
            self._cache[folded] = found
        return found


@lru_cache(maxsize=4096)
def theme_key(theme: str) -> frozenset[str]:
    """The words that name a theme's subject, for spotting near-duplicates.

    Two themes are near-duplicates when one key holds the other: « SEO » and
    « Formation SEO avancé » both give {"seo"}.
    """
    words = fold(theme).split()
    key = {w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words if w not in _FILLER}
    return frozenset(key or words)


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and (a <= b or b <= a)


def plan_file_name(campaign: str) -> str:
    return f"plan-developpement-competences-{safe_filename(campaign)}.xlsx"


def write_plan_workbook(
    directory: Path,
    store: Store,
    catalog: Catalog,
    *,
    campaign: str,
    today: date,
    themes: Sequence[tuple[str, Sequence[str]]] = DEFAULT_THEMES,
    engagement_days: int = 60,
    trainings: Sequence[PlannedTraining] = (),
    required_levels: Mapping[str, Mapping[str, int]] | None = None,
) -> Path:
    """Build the plan and save it in ``directory``; returns the file written."""
    path = directory / plan_file_name(campaign)
    workbook = build_plan_workbook(
        store,
        catalog,
        campaign=campaign,
        today=today,
        themes=themes,
        engagement_days=engagement_days,
        trainings=trainings,
        required_levels=required_levels,
    )
    return save_atomically(workbook, path)


def build_plan_workbook(
    store: Store,
    catalog: Catalog,
    *,
    campaign: str,
    today: date,
    themes: Sequence[tuple[str, Sequence[str]]] = DEFAULT_THEMES,
    engagement_days: int = 60,
    trainings: Sequence[PlannedTraining] = (),
    required_levels: Mapping[str, Mapping[str, int]] | None = None,
) -> Report:
    """The four sheets HR works from, for the current returns of ``campaign``.

    Only employees of the current roster count: a departed employee's request
    is no longer in the plan. ``required_levels`` maps a skills grid (the job
    family, as in ``[grilles]``) to skill id → level; missing ones are
    ``DEFAULT_REQUIRED_LEVEL``.
    """
    taxonomy = _Taxonomy(themes)
    employees = {e.matricule: e for e in store.current_employees()}
    managers = manager_labels(employees.values())
    requests, rated = _gather(
        store, catalog, employees, managers, taxonomy, campaign=campaign, today=today
    )
    requests.extend(_match_trainings(requests, trainings, employees, managers, taxonomy))

    workbook = Report(f"Plan de développement des compétences {campaign}")
    _requests_sheet(workbook, requests, campaign)
    _summary_sheet(workbook, requests, taxonomy, campaign=campaign, today=today)
    _matrix_sheet(workbook, rated, catalog, required_levels or {}, campaign=campaign)
    _engagements_sheet(workbook, requests, today=today, days=engagement_days)
    return workbook


def _gather(
    store: Store,
    catalog: Catalog,
    employees: Mapping[str, Employee],
    managers: Mapping[str, str],
    taxonomy: _Taxonomy,
    *,
    campaign: str,
    today: date,
) -> tuple[list[_Request], list[_Rated]]:
    """The requests, sorted by team and name, and the skills rated in the returns.

    A function of its own so that the decoded answers are freed before the
    workbook's cells are created.
    """
    requests: list[_Request] = []
    rated: list[_Rated] = []
    grids = _issued_grids(store, campaign)
    returns = [
        s for s in store.submissions() if s.campaign == campaign and s.matricule in employees
    ]
    all_answers = _read_answers(store, campaign, catalog)
    tables = {form_id: _training_tables(d) for form_id, d in catalog.forms.items()}
    removed_form = _training_tables(None)
    for submission in returns:
        employee = employees[submission.matricule]
        definition = catalog.forms.get(submission.form_id)
        answers = all_answers.get(submission.id or 0, {})
        requests.extend(
            _requests(
                submission,
                tables.get(submission.form_id, removed_form),
                answers,
                employee,
                managers.get(employee.matricule, ""),
                taxonomy,
            )
        )
        if definition is not None and (levels := _levels(definition, answers)):
            grid = grids.get(submission.reference, "")
            if grid not in definition.grids or grid == COMMON_GRID:
                grid = _guess_grid(definition, levels)  # as ``layout`` falls back
            rated.append(_Rated(employee, grid, levels))
    folded = lru_cache(maxsize=None)(fold)  # a few hundred teams and names, met again and again
    requests.sort(key=lambda r: (folded(r.team), folded(r.name), r.interview or today))
    return requests, rated


# --- reading the returns -------------------------------------------------------------


def _read_answers(
    store: Store, campaign: str, catalog: Catalog
) -> dict[int, dict[str, AnswerValue]]:
    """Submission id → the answers the plan reads, for the current returns of ``campaign``.

    ``Store.answers`` decodes every answer of one form per call: 2.6 s for
    10,000 returns, when the plan needs a fifth of them (training tables,
    ratings, interview date, manager): one filtered query instead.
    """
    patterns = [INTERVIEW_DATE_FIELD, MANAGER_NAME_FIELD, "formations.*"]
    for definition in catalog:
        patterns.extend(f"{table}.*" for table in _training_tables(definition))
        if (skills := _skills_table(definition)) is not None:
            patterns.extend(f"{skills.id}.*.{c}" for c in (MANAGER_RATING, SELF_RATING))
    return store.answers_matching(patterns, campaign=campaign)


def _issued_grids(store: Store, campaign: str) -> dict[str, str]:
    """Reference → skills grid the form was generated with (the ledger knows it)."""
    return {f.reference: f.grid for f in store.current_issued(campaign=campaign) if f.grid}


def _text(value: AnswerValue | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, list):
        return ", ".join(clean(v) for v in value)
    return clean(str(value))


def _interview_date(answers: Mapping[str, AnswerValue], submission: Submission) -> date:
    value = answers.get(INTERVIEW_DATE_FIELD)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return submission.received_at.date()  # a return without its date: the day it came back


@lru_cache(maxsize=256)
def _priority(value: str) -> str:
    folded = fold(value)
    for priority in PRIORITIES:
        if folded == fold(priority):
            return priority
    return value or NO_PRIORITY


def _training_tables(definition: FormDefinition | None) -> tuple[str, ...]:
    if definition is None:
        return ("formations",)  # a form since removed from templates/: the built-in id
    return tuple(
        item.id
        for section in definition.sections
        for item in section.items
        if isinstance(item, TableDef)
        and not item.skills
        and any(c.id == THEME_COLUMN for c in item.columns)
    )


def _requests(
    submission: Submission,
    tables: Sequence[str],
    answers: Mapping[str, AnswerValue],
    employee: Employee,
    manager: str,  # as HR reads it (roster.manager_labels): namesakes carry their matricule
    taxonomy: _Taxonomy,
) -> Iterable[_Request]:
    rows: dict[tuple[str, str], dict[str, AnswerValue]] = defaultdict(dict)
    dotted = [t for t in tables if "." in t]  # a company template may name one so
    for field_id, value in answers.items():
        table, _, rest = field_id.partition(".")
        if table not in tables:
            if not dotted:
                continue
            table = next((t for t in dotted if field_id.startswith(f"{t}.")), "")
            if not table:
                continue
            rest = field_id[len(table) + 1 :]
        row, _, column = rest.partition(".")
        rows[table, row][column] = value
    if not rows:
        return
    interview = _interview_date(answers, submission)
    manager = manager or _text(answers.get(MANAGER_NAME_FIELD))
    for _, cells in sorted(rows.items(), key=lambda item: (item[0][0], _number(item[0][1]))):
        theme = _text(cells.get(THEME_COLUMN))
        if not theme:
            continue  # a priority ticked on an empty line is no request
        yield _Request(
            matricule=employee.matricule,
            name=employee.full_name,
            team=employee.service or NO_TEAM,
            manager=manager,
            theme=theme,
            group=taxonomy.group(theme),
            key=theme_key(theme),
            modality=_text(cells.get("modalite")),
            priority=_priority(_text(cells.get("priorite"))),
            mandatory=cells.get("obligatoire") is True,
            period=_text(cells.get("periode")),
            interview=interview,
            origin=f"{submission.reference} ({submission.form_id})",
        )


def _number(key: str) -> int:
    """Table rows are "1", "2"...: in the form's order, whatever order the answers came in."""
    return int(key) if key.isdigit() else 0


def _skills_table(definition: FormDefinition) -> TableDef | None:
    for section in definition.sections:
        for item in section.items:
            if isinstance(item, TableDef) and item.skills:
                return item
    return None


def _levels(
    definition: FormDefinition, answers: Mapping[str, AnswerValue]
) -> dict[str, tuple[int, bool]]:
    """Skill id → (level kept, self-assessed): the manager's rating, else the employee's."""
    table = _skills_table(definition)
    if table is None:
        return {}
    prefix = f"{table.id}."
    ratings: dict[str, dict[str, int]] = defaultdict(dict)
    for field_id, value in answers.items():
        if field_id.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool):
            skill, _, column = field_id[len(prefix) :].partition(".")
            ratings[skill][column] = value
    levels: dict[str, tuple[int, bool]] = {}
    for skill, by_column in ratings.items():
        if MANAGER_RATING in by_column:
            levels[skill] = (by_column[MANAGER_RATING], False)
        elif SELF_RATING in by_column:
            levels[skill] = (by_column[SELF_RATING], True)
    return levels


def _guess_grid(definition: FormDefinition, levels: Mapping[str, object]) -> str:
    """The grid whose own skills were rated most, for returns missing from the ledger."""
    scores = {
        grid: sum(s.id in levels for s in skills)
        for grid, skills in definition.grids.items()
        if grid != COMMON_GRID
    }
    best = max(scores, key=lambda g: scores[g], default=GENERIC_GRID)
    return best if scores.get(best) else GENERIC_GRID


def _match_trainings(
    requests: list[_Request],
    trainings: Sequence[PlannedTraining],
    employees: Mapping[str, Employee],
    managers: Mapping[str, str],
    taxonomy: _Taxonomy,
) -> list[_Request]:
    """Give each request the status of HR's rows for it; HR's other rows become lines too.

    A training's cost and hours are counted once, on the first request it
    matches, so budgets add up; a cancelled training costs nothing.
    """
    by_place: dict[tuple[str, str], list[PlannedTraining]] = defaultdict(list)
    groups: dict[int, str] = {}
    for training in trainings:
        groups[id(training)] = group = taxonomy.group(training.title)
        by_place[matricule_key(training.matricule), group].append(training)
    counted: set[int] = set()
    for request in requests:
        place = (matricule_key(request.matricule), request.group)
        for training in by_place.get(place, ()):
            if request.group == OTHER_GROUP and not _near(request.key, theme_key(training.title)):
                continue  # « Autres » gathers unrelated themes: only near-duplicates match
            request.trainings.append(training)
            if id(training) not in counted:
                counted.add(id(training))
                _add_cost(request, training)
        if request.trainings:
            request.status = max((t.status for t in request.trainings), key=_status_rank)
    roster = {matricule_key(m): e for m, e in employees.items()}
    extra: list[_Request] = []
    for training in trainings:
        if id(training) in counted:
            continue
        employee = roster.get(matricule_key(training.matricule))
        line = _Request(
            matricule=employee.matricule if employee else training.matricule,
            name=employee.full_name if employee else UNKNOWN_EMPLOYEE,
            team=(employee.service if employee else None) or NO_TEAM,
            manager=managers.get(employee.matricule, "") if employee else "",
            theme=clean(training.title),
            group=groups[id(training)],
            key=theme_key(training.title),
            modality="",
            priority=NO_PRIORITY,
            mandatory=training.mandatory,
            period="",
            interview=None,
            origin=HR_ORIGIN,
            status=training.status,
            trainings=[training],
        )
        _add_cost(line, training)
        extra.append(line)
    return extra


def _status_rank(status: TrainingStatus) -> int:
    return TRAINING_STATUSES.index(status)


def _add_cost(request: _Request, training: PlannedTraining) -> None:
    if training.status == "annulé":
        return
    if training.cost is not None:
        request.cost = (request.cost or 0) + training.cost
    if training.hours is not None:
        request.hours = (request.hours or 0) + training.hours


# --- Demandes --------------------------------------------------------------------------

_REQUEST_HEADERS = (
    "Salarié",
    "Matricule",
    "Service",
    "Responsable",
    "Thème demandé",
    "Groupe de thèmes",
    "Modalité",
    "Priorité",
    "Obligatoire",
    "Période souhaitée",
    "Date de l'entretien",
    "Origine",
    "Statut",
    "Formation prévue (plan RH)",
    "Début",
    "Fin",
    "Coût estimé",
    "Heures",
)
_REQUEST_WIDTHS = (24, 12, 18, 22, 34, 28, 16, 12, 12, 18, 14, 32, 12, 34, 12, 12, 14, 10)
_STATUS_COLUMN = _REQUEST_HEADERS.index("Statut")
_HR_FORMATS = {14: DATE_FORMAT, 15: DATE_FORMAT, 16: EURO_FORMAT, 17: HOURS_FORMAT}  # 0-based


def _requests_sheet(workbook: Report, requests: Sequence[_Request], campaign: str) -> None:
    rows = (
        (
            r.name,
            r.matricule,
            r.team,
            r.manager or None,
            r.theme,
            r.group,
            r.modality or None,
            r.priority,
            "Oui" if r.mandatory else "Non",
            r.period or None,
            r.interview,
            r.origin,
            r.status,
            "; ".join(clean(t.title) for t in r.trainings) or None,
            min((t.start for t in r.trainings if t.start), default=None),
            max((t.end for t in r.trainings if t.end), default=None),
            r.cost,
            r.hours,
        )
        for r in requests
    )
    sheet = table_sheet(
        workbook,
        "Demandes",
        _REQUEST_HEADERS,
        rows,
        widths=_REQUEST_WIDTHS,
        # HR's columns hold a value on few rows; their format also serves what HR types later.
        formats={10: DATE_FORMAT, **_HR_FORMATS},
    )
    sheet.row_dimensions[1].height = HEADER_HEIGHT
    if not requests:
        _note(sheet, 2, f"Aucune demande de formation dans les formulaires reçus ({campaign}).")
        return
    column = get_column_letter(_STATUS_COLUMN + 1)
    cells = f"{column}2:{column}{len(requests) + 1}"
    for status, fill in (("réalisé", GREEN), ("planifié", GREEN), ("validé", AMBER)):
        sheet.conditional_formatting.add(
            cells, CellIsRule(operator="equal", formula=[f'"{status}"'], fill=fill)
        )
    sheet.conditional_formatting.add(
        cells, CellIsRule(operator="equal", formula=['"annulé"'], fill=GREY)
    )


# --- Synthèse --------------------------------------------------------------------------


@dataclass
class _Tally:
    requests: int = 0
    people: set[str] = field(default_factory=set)
    high: int = 0
    mandatory: int = 0
    booked: int = 0
    hours: float = 0.0
    budget: float = 0.0
    items: list[_Request] = field(default_factory=list)

    def add(self, request: _Request) -> None:
        self.requests += 1
        self.people.add(request.matricule)
        self.high += request.priority == "Haute"
        self.mandatory += request.mandatory
        self.booked += request.status in KEPT_STATUSES
        self.hours += request.hours or 0
        self.budget += request.cost or 0
        self.items.append(request)

    def figures(self) -> list[object]:
        return [
            self.requests,
            len(self.people),
            self.high,
            self.mandatory,
            self.booked,
            self.hours,
            self.budget,
        ]


_TALLY_HEADERS = (
    "Demandes",
    "Salariés",
    "Priorité haute",
    "Obligatoires",
    "Planifiées ou réalisées",
    "Heures",
    "Budget estimé",
)
_TALLY_FORMATS = {6: HOURS_FORMAT, 7: EURO_FORMAT}  # 0-based, the label column first


def _tally(requests: Iterable[_Request], key: Callable[[_Request], str]) -> dict[str, _Tally]:
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for request in requests:
        tallies[key(request)].add(request)
    return tallies


def _summary_sheet(
    workbook: Report,
    requests: Sequence[_Request],
    taxonomy: _Taxonomy,
    *,
    campaign: str,
    today: date,
) -> None:
    sheet = workbook.create_sheet("Synthèse")
    sheet["A1"] = safe_cell(f"Plan de développement des compétences — campagne {campaign}")
    sheet["A1"].font = TITLE_FONT
    people = len({r.matricule for r in requests})
    budget = sum(r.cost or 0 for r in requests)
    _note(
        sheet,
        2,
        f"État au {today:%d/%m/%Y} : {count(len(requests), 'demande', 'demandes')} pour "
        f"{count(people, 'salarié', 'salariés')}, budget estimé {_euros(budget)} "
        "(formations du plan RH non annulées).",
    )
    widths = (36, 11, 11, 11, 12, 14, 10, 14, 70)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    setup_print(sheet)
    sheet.freeze_panes = "A3"
    if not requests:
        _note(sheet, 4, "Aucune demande de formation pour cette campagne.")
        return

    total = _tally(requests, lambda r: "Total")["Total"].figures()
    by_group = _tally(requests, lambda r: r.group)
    order = {name: n for n, name in enumerate(taxonomy.groups)}
    groups = sorted(
        by_group,
        key=lambda g: (g == OTHER_GROUP, -by_group[g].requests, order.get(g, len(order)), g),
    )
    headers = ("Groupe de thèmes", *_TALLY_HEADERS, "Thèmes les plus cités (demandes)")
    header = _block_header(sheet, 4, "Besoins par groupe de thèmes", headers)
    rows = [[g, *by_group[g].figures(), _cited(by_group[g].items)] for g in groups]
    last = _block_rows(sheet, header + 1, rows, total)
    top = last + 2 + _chart(sheet, header, header + len(groups), anchor=f"A{last + 2}") + 1

    by_team = _tally(requests, lambda r: r.team)
    header = _block_header(sheet, top, "Besoins par équipe", ("Service", *_TALLY_HEADERS))
    rows = [[t, *by_team[t].figures()] for t in sorted(by_team, key=fold)]
    last = _block_rows(sheet, header + 1, rows, total)

    by_priority = _tally(requests, lambda r: r.priority)
    ranks = {p: n for n, p in enumerate((*PRIORITIES, NO_PRIORITY))}
    header = _block_header(sheet, last + 2, "Besoins par priorité", ("Priorité", *_TALLY_HEADERS))
    rows = [
        [p, *by_priority[p].figures()]
        for p in sorted(by_priority, key=lambda p: (ranks.get(p, len(ranks)), fold(p)))
    ]
    _block_rows(sheet, header + 1, rows, total)


def _cited(requests: Sequence[_Request], limit: int = 5) -> str:
    """The group's themes, near-duplicates merged, most requested first: « SEO (3) ; … »."""
    by_key: dict[frozenset[str], Counter[str]] = defaultdict(Counter)
    for request in requests:
        by_key[request.key][request.theme] += 1
    clusters: list[tuple[frozenset[str], Counter[str]]] = []
    for key in sorted(by_key, key=lambda k: (len(k), -sum(by_key[k].values()), sorted(k))):
        for cluster_key, texts in clusters:
            if _near(cluster_key, key):
                texts.update(by_key[key])
                break
        else:
            clusters.append((key, Counter(by_key[key])))
    ranked = sorted(clusters, key=lambda c: -sum(c[1].values()))
    parts = []
    for _, texts in ranked[:limit]:
        label = min(texts, key=lambda t: (-texts[t], len(t), t))
        parts.append(f"{label} ({sum(texts.values())})")
    if len(ranked) > limit:
        parts.append(f"et {count(len(ranked) - limit, 'autre', 'autres')}")
    return " ; ".join(parts)


def _block_header(sheet: Worksheet, top: int, title: str, headers: Sequence[str]) -> int:
    sheet.cell(top, 1, title).font = Font(bold=True, size=12, color="1F3864")
    for n, text in enumerate(headers, start=1):
        _style_header(sheet.cell(top + 1, n, text))
    sheet.row_dimensions[top + 1].height = HEADER_HEIGHT
    return top + 1


def _style_header(cell: Any) -> None:
    cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, GRID
    cell.alignment = Alignment(wrap_text=True, vertical="center")


def _block_rows(
    sheet: Worksheet, first: int, rows: Sequence[Sequence[object]], total: Sequence[object]
) -> int:
    """Write the rows and a bold total line; returns the total's row."""
    for offset, values in enumerate([*rows, ["Total", *total]]):
        row = first + offset
        for n, value in enumerate(values, start=1):
            cell = sheet.cell(row, n, safe_cell(value))
            cell.border = GRID
            if n - 1 in _TALLY_FORMATS:
                cell.number_format = _TALLY_FORMATS[n - 1]
            if n == len(_TALLY_HEADERS) + 2:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if offset == len(rows):
                cell.font = Font(bold=True)
    return first + len(rows)


def _chart(sheet: Worksheet, header: int, last: int, *, anchor: str) -> int:
    """A bar per theme group, drawn from the table; returns the rows it covers."""
    chart = BarChart()
    chart.type = "bar"  # horizontal: theme group names are long
    chart.style = 10
    chart.title = "Demandes de formation par groupe de thèmes"
    chart.y_axis.title = "Nombre de demandes"
    chart.y_axis.majorGridlines = None
    chart.x_axis.scaling.orientation = "maxMin"  # same order as the table, top to bottom
    chart.x_axis.delete = False  # recent Excel hides axes openpyxl leaves undecided
    chart.y_axis.delete = False
    chart.y_axis.crosses = "max"  # the count axis below the bars, where one reads it
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    chart.width = 24
    chart.height = height = max(7.5, 0.75 * (last - header) + 3)  # cm
    sheet.add_chart(chart, anchor)
    return math.ceil(height / ROW_HEIGHT_CM)


# --- Matrice de compétences -----------------------------------------------------------

_MATRIX_IDENTITY = ("Salarié", "Matricule", "Service", "Poste", "Grille")
_MATRIX_WIDTHS = (30, 11, 18, 24, 12)
_GRID_COLUMN = _MATRIX_IDENTITY.index("Grille") + 1
_FIRST_SKILL = len(_MATRIX_IDENTITY) + 1
_REQUIRED_TOP = 4  # first row of the required levels, above the table


def _grid_name(grid: str) -> str:
    return _GRID_NAMES.get(grid, grid.replace("_", " ").capitalize())


def _skill_columns(
    definitions: Sequence[FormDefinition], rated: Sequence[_Rated]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Skill id → label, and grid → its skills (common ones included), in the forms' order."""
    labels: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for definition in definitions:
        common = definition.grids.get(COMMON_GRID, ())
        for grid, grid_skills in definition.grids.items():
            for skill in grid_skills:
                labels.setdefault(skill.id, skill.label)
            if grid != COMMON_GRID:
                own = members.setdefault(grid, [])
                own.extend(s.id for s in (*grid_skills, *common) if s.id not in own)
    for person in rated:  # skills rated in a return but since removed from the form
        own = members.setdefault(person.grid, [])
        for skill_id in person.levels:
            labels.setdefault(skill_id, skill_id)
            if skill_id not in own:
                own.append(skill_id)
    return labels, members


def _matrix_sheet(
    workbook: Report,
    rated: Sequence[_Rated],
    catalog: Catalog,
    required_levels: Mapping[str, Mapping[str, int]],
    *,
    campaign: str,
) -> None:
    """Employees × skills, coloured against the level each job family requires.

    The required levels sit above the table and the colours are conditional
    formats reading them, so HR can raise a level there and see who falls short.
    """
    sheet = workbook.create_sheet("Matrice de compétences")
    sheet["A1"] = safe_cell(f"Matrice de compétences — campagne {campaign}")
    sheet["A1"].font = TITLE_FONT
    definitions = [d for d in catalog if d.has_skills]
    _note(sheet, 2, _matrix_legend(definitions))
    setup_print(sheet)
    labels, members = _skill_columns(definitions, rated)
    grids = sorted({p.grid for p in rated}, key=list(members).index)
    skills = [s for s in labels if any(s in members[g] for g in grids)]
    if not rated or not skills:
        _note(sheet, 4, "Aucune grille de compétences remplie dans les formulaires reçus.")
        return

    required: dict[str, dict[str, int]] = {}
    for row, grid in enumerate(grids, start=_REQUIRED_TOP):
        overrides = required_levels.get(grid, {})
        required[grid] = {s: overrides.get(s, DEFAULT_REQUIRED_LEVEL) for s in members[grid]}
        sheet.cell(row, 1, "Niveau requis").font = Font(bold=True)
        sheet.cell(row, _GRID_COLUMN, _grid_name(grid)).font = Font(bold=True)
        for column, skill in enumerate(skills, start=_FIRST_SKILL):
            if skill in required[grid]:
                cell = sheet.cell(row, column, required[grid][skill])
                cell.fill, cell.border = GREY, GRID
                cell.alignment = Alignment(horizontal="center")
    required_bottom = _REQUIRED_TOP + len(grids) - 1

    header = required_bottom + 2
    headers = [*_MATRIX_IDENTITY, *(_short(labels[s]) for s in skills), "Sous le niveau requis"]
    for column, text in enumerate(headers, start=1):
        _style_header(sheet.cell(header, column, safe_cell(text)))
    sheet.row_dimensions[header].height = 64  # four lines: the generic skills' long names
    people = sorted(
        rated, key=lambda p: (fold(p.employee.service or NO_TEAM), fold(p.employee.full_name))
    )
    last_skill = _FIRST_SKILL + len(skills) - 1
    rows = workbook.stream(sheet, header + 1)
    auto = rows.style(Look(number_format=AUTO_FORMAT))
    for person in people:
        e, needs = person.employee, required[person.grid]
        identity = (
            e.full_name,
            e.matricule,
            e.service or NO_TEAM,
            e.poste,
            _grid_name(person.grid),
        )
        # A mapping: no cell at all for the skills of other grids (a third of the sheet).
        cells: dict[int, object] = dict(enumerate(identity, start=1))
        styles: dict[int, int] = {}
        short = 0
        for column, skill in enumerate(skills, start=_FIRST_SKILL):
            if (found := person.levels.get(skill)) is None:
                continue
            level, self_assessed = found
            cells[column] = level
            if self_assessed:
                styles[column] = auto
            if skill in needs:
                short += level < needs[skill]
        cells[last_skill + 1] = short
        rows.append(cells, styles)
    last = header + len(people)
    _gap_colours(sheet, header, last, required_bottom, last_skill)
    _team_averages(sheet, people, skills, top=last + 2)

    widths = (*_MATRIX_WIDTHS, *[14] * (len(skills) + 1))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"{get_column_letter(_FIRST_SKILL)}{header + 1}"
    sheet.auto_filter.ref = f"A{header}:{get_column_letter(last_skill + 1)}{last}"
    sheet.print_title_rows = f"{header}:{header}"


def _short(label: str) -> str:
    """« Prospection : identifier… » → « Prospection »: the grid's own short name."""
    head, sep, _ = label.partition(" : ")
    return head if sep else label


def _matrix_legend(definitions: Sequence[FormDefinition]) -> str:
    scale = ""
    for definition in definitions:
        table = _skills_table(definition)
        column = next((c for c in table.columns if c.id == MANAGER_RATING), None) if table else None
        if column and column.scale_labels:
            levels = zip(column.scale, column.scale_labels, strict=False)
            scale = "Niveaux : " + ", ".join(f"{v} {t.lower()}" for v, t in levels) + ". "
            break
    return (
        f"{scale}Niveau retenu : celui du responsable, sinon l'auto-évaluation du salarié, "
        "marquée « (auto) ». Rouge : 2 niveaux ou plus sous le niveau requis ; orange : "
        "1 niveau sous ; vert : niveau requis atteint. Les niveaux requis (en gris) se "
        "modifient : les couleurs suivent."
    )


def _gap_colours(
    sheet: Worksheet, header: int, last: int, required_bottom: int, last_skill: int
) -> None:
    """Red, amber, green from each level minus the level required for the row's grid."""
    first, stop = get_column_letter(_FIRST_SKILL), get_column_letter(last_skill)
    grid = get_column_letter(_GRID_COLUMN)
    cell = f"{first}{header + 1}"  # a rule's formula is written for its top-left cell
    need = (
        f"INDEX({first}${_REQUIRED_TOP}:{first}${required_bottom},"
        f"MATCH(${grid}{header + 1},${grid}${_REQUIRED_TOP}:${grid}${required_bottom},0))"
    )
    known = f"ISNUMBER({cell}),ISNUMBER({need})"
    for test, fill in (("<=-2", RED), ("=-1", AMBER), (">=0", GREEN)):
        sheet.conditional_formatting.add(
            f"{cell}:{stop}{last}",
            FormulaRule(formula=[f"AND({known},{cell}-{need}{test})"], fill=fill),
        )


def _team_averages(
    sheet: Worksheet, people: Sequence[_Rated], skills: Sequence[str], *, top: int
) -> None:
    sheet.cell(top, 1, "Moyennes par équipe").font = Font(bold=True, size=12, color="1F3864")
    teams: dict[str, list[_Rated]] = defaultdict(list)
    for person in people:
        teams[person.employee.service or NO_TEAM].append(person)
    lines = [(f"Moyenne — {team}", members) for team, members in teams.items()]
    lines.append(("Moyenne — toute l'entreprise", list(people)))
    for row, (label, members) in enumerate(lines, start=top + 1):
        sheet.cell(row, 1, safe_cell(label)).font = Font(bold=True)
        sheet.cell(row, 2, count(len(members), "salarié", "salariés"))
        for column, skill in enumerate(skills, start=_FIRST_SKILL):
            levels = [p.levels[skill][0] for p in members if skill in p.levels]
            if levels:
                cell = sheet.cell(row, column, round(sum(levels) / len(levels), 2))
                cell.number_format = AVERAGE_FORMAT
    first = get_column_letter(_FIRST_SKILL)
    stop = get_column_letter(_FIRST_SKILL + len(skills) - 1)
    sheet.conditional_formatting.add(
        f"{first}{top + 1}:{stop}{top + len(lines)}",
        ColorScaleRule(
            start_type="num",
            start_value=1,
            start_color="F8696B",
            mid_type="num",
            mid_value=2.5,
            mid_color="FFEB84",
            end_type="num",
            end_value=4,
            end_color="63BE7B",
        ),
    )


# --- Engagements -----------------------------------------------------------------------

_ENGAGEMENT_HEADERS = (
    "Salarié",
    "Matricule",
    "Service",
    "Responsable",
    "Thème demandé",
    "Groupe de thèmes",
    "Priorité",
    "Obligatoire",
    "Date de l'entretien",
    "À planifier avant le",
    "Jours de retard",
    "Statut",
    "Origine",
)
_ENGAGEMENT_WIDTHS = (24, 12, 18, 22, 34, 28, 12, 12, 14, 14, 12, 12, 32)


def _engagements_sheet(
    workbook: Report, requests: Sequence[_Request], *, today: date, days: int
) -> None:
    """Trainings agreed in an interview and still not booked ``days`` after it."""
    late = []
    for request in requests:
        if request.interview is None or not request.committed or request.status in KEPT_STATUSES:
            continue  # HR's own rows promise nothing to anyone
        deadline = request.interview + timedelta(days=days)
        if today > deadline:
            late.append((request, deadline, (today - deadline).days))
    late.sort(key=lambda item: (-item[2], fold(item[0].name)))
    rows = [
        (
            r.name,
            r.matricule,
            r.team,
            r.manager or None,
            r.theme,
            r.group,
            r.priority,
            "Oui" if r.mandatory else "Non",
            r.interview,
            deadline,
            overdue,
            r.status,
            r.origin,
        )
        for r, deadline, overdue in late
    ]
    sheet = table_sheet(
        workbook,
        "Engagements",
        _ENGAGEMENT_HEADERS,
        rows,
        widths=_ENGAGEMENT_WIDTHS,
        formats={
            8: DATE_FORMAT,
            9: DATE_FORMAT,
            _ENGAGEMENT_HEADERS.index("Jours de retard"): Look(fill=RED),
        },
    )
    sheet.row_dimensions[1].height = HEADER_HEIGHT
    if not rows:
        _note(
            sheet,
            2,
            f"Aucun engagement en retard au {today:%d/%m/%Y} : chaque formation prioritaire ou "
            f"obligatoire est planifiée, ou l'entretien date de moins de {days} jours.",
        )
        return


# --- shared bits -----------------------------------------------------------------------


def _note(sheet: Worksheet, row: int, text: str) -> None:
    cell = sheet.cell(row, 1, safe_cell(text))
    cell.font = Font(italic=True, color="595959")


def _euros(amount: float) -> str:
    return f"{amount:,.0f} €".replace(",", "\u202f")
