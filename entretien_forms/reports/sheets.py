"""Read the optional sheets HR keeps by hand: trainings, absences, top-ups paid, history.

The payroll export says nothing about trainings or leaves, yet the état des
lieux (training criteria, SAN-1) and the return interviews (EPP-4) depend on
them; nor does it say which corrective top-ups (SAN-1) were already paid, nor
which professional interviews were held before the tool was used. HR keeps
them in a spreadsheet of its own, typed by hand, so they are read with the
roster's tolerance: any format ``roster.tables`` reads (xlsx, CSV in any
usual encoding and separator), a header found under title rows, column names
matched as people write them, dates in every usual form. A bad row never
stops the reading: it is kept, or skipped with a French problem located as
the user sees it (row number as in Excel, column header as written), exactly
like ``roster.model.Problem`` for the roster.

Only a file that cannot be read as such a sheet at all raises
``RosterError`` (errors.py has no class of its own for these sheets yet).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Generic, Literal, TypeVar

from entretien_forms.config import RosterSettings
from entretien_forms.errors import CellValueError, RosterError
from entretien_forms.roster import absence_kind, tables
from entretien_forms.roster.model import CellValue, HasProblems, Problem, Severity
from entretien_forms.rules import (
    ABSENCE_LABELS,
    Absence,
    AbsenceKind,
    Interview,
    Occasion,
    Training,
    TrainingKind,
)
from entretien_forms.text import clean, fold

TrainingStatus = Literal["envisagé", "validé", "planifié", "réalisé", "annulé"]
TRAINING_STATUSES: tuple[TrainingStatus, ...] = (
    "envisagé",
    "validé",
    "planifié",
    "réalisé",
    "annulé",
)

RecordT = TypeVar("RecordT")


# ---------------------------------------------------------------------------
# What the reader hands over
# ---------------------------------------------------------------------------


def matricule_key(matricule: str) -> str:
    """How an HR sheet's matricule is compared: typed by hand, « 42 » is « 00042 »."""
    return fold(matricule).replace(" ", "").lstrip("0") or "0"


@dataclass(frozen=True)
class TrainingRecord:
    """One row of the trainings sheet: the rules' view plus what the plan needs."""

    matricule: str
    training: Training
    status: TrainingStatus
    row: int
    hours: float | None = None
    cost: float | None = None

    @property
    def completed(self) -> bool:
        """Only a training that took place proves anything at the état des lieux."""
        return self.status == "réalisé"


@dataclass(frozen=True)
class AbsenceRecord:
    """One row of the absences sheet, with the type as HR wrote it (for messages)."""

    matricule: str
    absence: Absence
    row: int
    written_type: str


@dataclass(frozen=True)
class TopUpPayment:
    """A corrective top-up paid into an employee's CPF, as HR recorded it."""

    matricule: str
    paid_on: date
    amount: float | None  # as written; None when the sheet does not say
    row: int


@dataclass(frozen=True)
class HistoryRecord:
    """A professional interview or état des lieux held in the past, as HR recorded it."""

    matricule: str
    interview: Interview
    row: int
    written_type: str | None  # as written, for messages; None when the cell is blank


@dataclass(frozen=True)
class HRSheet(HasProblems, Generic[RecordT]):
    """A sheet once read: its records, and every problem met on the way."""

    source: Path
    sheet: str | None  # sheet name; None for CSV
    header_row: int
    columns: Mapping[str, str]  # canonical field → header as written
    records: tuple[RecordT, ...]
    problems: tuple[Problem, ...]


AnyHRSheet = (
    HRSheet[TrainingRecord]
    | HRSheet[AbsenceRecord]
    | HRSheet[TopUpPayment]
    | HRSheet[HistoryRecord]
)


# ---------------------------------------------------------------------------
# A small generic reader: columns by synonyms, rows as dicts of raw cells
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str
    label: str  # French, for messages: "l'intitulé"
    synonyms: tuple[str, ...]  # the first one is shown to users
    required: bool = False


@dataclass(frozen=True)
class _Layout:
    """The columns of one sheet and how their headers are recognised."""

    what: str  # French, for messages: "formations"
    columns: tuple[_Column, ...]
    exact: Mapping[str, str] = field(init=False)
    loose: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        exact: dict[str, str] = {}
        loose: dict[str, str] = {}
        for column in self.columns:
            for name in column.synonyms:
                exact.setdefault(fold(name), column.name)
                # The roster's second pass: without filler words ("N° de", "du").
                if key := tables.loose_key(fold(name)):
                    loose.setdefault(key, column.name)
        object.__setattr__(self, "exact", exact)
        object.__setattr__(self, "loose", loose)

    def match(self, header: CellValue) -> str | None:
        if not isinstance(header, str):
            return None
        folded = fold(header)
        if not folded:
            return None
        return self.exact.get(folded) or self.loose.get(tables.loose_key(folded))

    def score(self, cells: Sequence[CellValue]) -> int:
        return len({name for c in cells if (name := self.match(c))})

    def column(self, name: str) -> _Column:
        return next(c for c in self.columns if c.name == name)


# A header row names at least this many of a sheet's columns (a title row names one).
_MIN_HEADER_COLUMNS = 2
_TOTAL_LINE_STARTS = ("total", "sous total")


@dataclass
class _Rows:
    """Data rows of a sheet as raw cells by canonical column, and the problems found."""

    sheet: str | None
    header_row: int
    headers: dict[str, str]  # canonical → header as written
    order: dict[str, int]  # canonical → column index, for sorting problems
    rows: list[tuple[int, dict[str, CellValue]]]
    problems: list[Problem] = field(default_factory=list)

    def problem(self, row: int, name: str | None, severity: Severity, message: str) -> None:
        column = self.headers.get(name) if name else None
        self.problems.append(Problem(row, column, name, severity, message))

    def sorted_problems(self) -> tuple[Problem, ...]:
        def key(p: Problem) -> tuple[int, int]:
            return (p.row or 0, self.order.get(p.field or "", -1))

        return tuple(sorted(self.problems, key=key))


def _read_rows(path: Path, layout: _Layout, settings: RosterSettings) -> _Rows:
    with tables.open_tables(
        path, head_rows=tables.HEADER_SEARCH_ROWS, max_bytes=settings.max_file_mb * 1_000_000
    ) as candidates:
        best: tuple[int, tables.Table, int, Sequence[CellValue]] | None = None
        for table in candidates:
            for number, cells in table.head:
                score = layout.score(cells)
                if score >= _MIN_HEADER_COLUMNS and (best is None or score > best[0]):
                    best = (score, table, number, cells)
        if best is None:
            raise RosterError(
                f"{path.name} : aucune ligne d'en-tête de {layout.what} reconnue dans les "
                f"{tables.HEADER_SEARCH_ROWS} premières lignes. Nous cherchons "
                f"{_describe_columns(layout)}. Renommez les colonnes ou ajoutez une ligne "
                "d'en-tête."
            )
        _, table, header_row, header_cells = best
        index: dict[str, int] = {}
        headers: dict[str, str] = {}
        duplicates: list[tuple[str, str]] = []
        for i, cell in enumerate(header_cells):
            name = layout.match(cell)
            if name is None or not isinstance(cell, str):
                continue
            if name in index:
                duplicates.append((name, clean(cell)))
                continue
            index[name] = i
            headers[name] = clean(cell)
        missing = [c for c in layout.columns if c.required and c.name not in index]
        if missing:
            examples = " ; ".join(
                f"{c.label} (par exemple {', '.join(f'« {s} »' for s in c.synonyms[:3])})"
                for c in missing
            )
            raise RosterError(
                f"{path.name}, {table.description}, ligne {header_row} : colonne(s) "
                f"obligatoire(s) introuvable(s) : {examples}. Ajoutez-les ou renommez les "
                "colonnes existantes."
            )
        result = _Rows(table.name, header_row, headers, index, [])
        for name, written in duplicates:
            result.problems.append(
                Problem(
                    header_row,
                    written,
                    name,
                    "warning",
                    f"deuxième colonne pour {layout.column(name).label} ; seule la colonne "
                    f"« {headers[name]} » est lue.",
                )
            )
        header_words = {fold(h) for h in headers.values()}
        for number, cells in table.rows():
            if number <= header_row:
                continue
            raw = {n: cells[i] if i < len(cells) else None for n, i in index.items()}
            if all(tables.is_blank(v) for v in raw.values()):
                continue
            first = next((c for c in cells if not tables.is_blank(c)), None)
            if isinstance(first, str) and fold(first).startswith(_TOTAL_LINE_STARTS):
                continue
            if all(isinstance(v, str) and fold(v) in header_words for v in raw.values()):
                continue  # the header repeated on each printed page
            result.rows.append((number, raw))
    return result


def _describe_columns(layout: _Layout) -> str:
    required = [c.synonyms[0] for c in layout.columns if c.required]
    optional = [c.synonyms[0] for c in layout.columns if not c.required]
    return f"les colonnes obligatoires {', '.join(required)} ; facultatives : {', '.join(optional)}"


# ---------------------------------------------------------------------------
# Cell readers shared by both sheets
# ---------------------------------------------------------------------------


_YES = frozenset({"oui", "o", "x", "yes", "y", "vrai", "true", "1"})
_NO = frozenset({"non", "n", "no", "faux", "false", "0"})
_NUMBER = re.compile(r"(-?\d+(?:[.,]\d+)?)(?:€|eur|euros?|h|heures?)?")


class _Cells:
    """Typed access to one row's raw cells.

    Readers never raise: each problem is recorded once, located, and an error
    sets ``failed`` so that every error of a row is reported, not only the first.
    """

    def __init__(self, rows: _Rows, layout: _Layout, row: int, raw: dict[str, CellValue]):
        self.rows, self.layout, self.row, self.raw = rows, layout, row, raw
        self.failed = False

    def has_column(self, name: str) -> bool:
        return name in self.rows.headers

    def blank(self, name: str) -> bool:
        return tables.is_blank(self.raw.get(name))

    def warn(self, name: str | None, message: str) -> None:
        self.rows.problem(self.row, name, "warning", message)

    def fail(self, name: str | None, message: str) -> None:
        self.rows.problem(self.row, name, "error", message)
        self.failed = True

    def _empty(self, name: str) -> None:
        label = self.layout.column(name).label
        self.fail(name, f"cellule vide, alors que {label} est obligatoire ; complétez-la.")

    def required_text(self, name: str) -> str:
        if self.blank(name):
            self._empty(name)
            return ""
        return tables.as_text(self.raw[name])

    def text(self, name: str) -> str | None:
        return None if self.blank(name) else tables.as_text(self.raw[name])

    def required_date(self, name: str, today: date) -> date:
        if self.blank(name):
            self._empty(name)
            return date.min
        return self.optional_date(name, today) or date.min

    def optional_date(self, name: str, today: date) -> date | None:
        if self.blank(name):
            return None
        try:
            return tables.parse_date(self.raw[name], today)
        except CellValueError as exc:
            self.fail(name, str(exc))
            return None

    def yes_no(self, name: str) -> bool | None:
        if self.blank(name):
            return None
        text = tables.as_text(self.raw[name])
        folded = fold(text)
        if folded in _YES:
            return True
        if folded in _NO:
            return False
        self.warn(name, f"« {text} » : indiquez oui ou non ; compté comme non.")
        return False

    def decimal(self, name: str) -> float | None:
        if self.blank(name):
            return None
        value = self.raw[name]
        number: float | None
        if isinstance(value, int | float):
            number = float(value)
        else:
            compact = re.sub(r"[\s\u00a0\u202f]+", "", tables.as_text(value).lower())
            found = _NUMBER.fullmatch(compact)
            number = float(found[1].replace(",", ".")) if found else None
        if number is None or number < 0:
            self.warn(
                name,
                f"« {tables.as_text(value)} » n'est pas un nombre positif (par exemple 14 ou "
                "1 200,50) ; valeur ignorée.",
            )
            return None
        return number


def _read_records(
    path: Path,
    layout: _Layout,
    settings: RosterSettings | None,
    convert: Callable[[_Cells], RecordT | None],
) -> HRSheet[RecordT]:
    rows = _read_rows(path, layout, settings or RosterSettings())
    records: list[RecordT] = []
    for number, raw in rows.rows:
        record = convert(_Cells(rows, layout, number, raw))
        if record is not None:
            records.append(record)
    return HRSheet(
        source=path,
        sheet=rows.sheet,
        header_row=rows.header_row,
        columns=dict(rows.headers),
        records=tuple(records),
        problems=rows.sorted_problems(),
    )


# ---------------------------------------------------------------------------
# Trainings
# ---------------------------------------------------------------------------

_TRAININGS = _Layout(
    what="formations",
    columns=(
        _Column("matricule", "le matricule", tables.SYNONYMS["matricule"], required=True),
        _Column(
            "title",
            "l'intitulé",
            (
                "Intitulé",
                "Intitulé de la formation",
                "Formation",
                "Action de formation",
                "Action",
                "Titre",
                "Libellé",
                "Libellé de la formation",
                "Nom de la formation",
                "Thème",
            ),
            required=True,
        ),
        _Column(
            "start",
            "la date de début",
            (
                "Date de début",
                "Début",
                "Date début",
                "Du",
                "Date",
                "Date de la formation",
                "Date début formation",
                "Date de début de formation",
            ),
            required=True,
        ),
        _Column(
            "end",
            "la date de fin",
            (
                "Date de fin",
                "Fin",
                "Date fin",
                "Au",
                "Date fin formation",
                "Date de fin de formation",
            ),
        ),
        _Column(
            "hours",
            "le nombre d'heures",
            (
                "Heures",
                "Nombre d'heures",
                "Nb heures",
                "Nb d'heures",
                "Durée (h)",
                "Durée en heures",
                "Durée",
                "Volume horaire",
            ),
        ),
        _Column(
            "mandatory",
            "le caractère obligatoire",
            (
                "Obligatoire",
                "Formation obligatoire",
                "Obligatoire (oui/non)",
                "Obligatoire (L6321-2)",
                "Réglementaire",
                "Formation réglementaire",
            ),
        ),
        _Column(
            "certifying",
            "le caractère certifiant",
            (
                "Certifiante",
                "Certifiant",
                "Formation certifiante",
                "Certifiante (oui/non)",
                "Certification",
                "Diplômante",
            ),
        ),
        _Column(
            "cost",
            "le coût",
            (
                "Coût",
                "Coût (€)",
                "Coût total",
                "Coût pédagogique",
                "Montant",
                "Prix",
                "Budget",
                "Coût HT",
            ),
        ),
        _Column(
            "status",
            "le statut",
            ("Statut", "État", "Statut de la formation", "Avancement", "Situation"),
        ),
        _Column(
            "kind",
            "le type d'action",
            ("Type d'action", "Type", "Nature de l'action", "Type de formation", "Nature"),
        ),
    ),
)

# Status phrases → status (legal-rules.md, "Training vocabulary"), folded and in
# the masculine singular: a status as written is read word by word, each word
# brought back to that form first (``_base_word``), so that « Planifiées »,
# « Inscrit(e)s » or « Réalisee » need no entry of their own.
_STATUSES: dict[str, TrainingStatus] = {
    "envisage": "envisagé",
    "souhaite": "envisagé",
    "demande": "envisagé",
    "propose": "envisagé",
    "a valider": "envisagé",
    "en attente": "envisagé",
    "en cours de validation": "envisagé",
    "valide": "validé",
    "accepte": "validé",
    "accorde": "validé",
    "approuve": "validé",
    # Agreed but no session booked yet: not « planifié », or the Engagements sheet
    # would count the promise as kept.
    "a planifier": "validé",
    "a programmer": "validé",
    "planifie": "planifié",
    "replanifie": "planifié",
    "prevu": "planifié",
    "programme": "planifié",
    "inscrit": "planifié",
    "en cours": "planifié",
    "realise": "réalisé",
    "fait": "réalisé",
    "effectue": "réalisé",
    "suivi": "réalisé",
    "termine": "réalisé",
    "acheve": "réalisé",
    "annule": "annulé",
    "abandonne": "annulé",
    "refuse": "annulé",
    "supprime": "annulé",
}
# Longest phrases first, so that « en cours de validation » is not read « en cours ».
_STATUS_PHRASES: tuple[tuple[tuple[str, ...], TrainingStatus], ...] = tuple(
    sorted(((tuple(k.split()), s) for k, s in _STATUSES.items()), key=lambda p: -len(p[0]))
)
_STATUS_WORDS = frozenset(word for phrase in _STATUSES for word in phrase.split())
# What « (e) », « (es) », « ·e », « .e.s » leave once folded: the inflection of the
# word before, not a word.
_INFLECTION_MARKS = frozenset({"e", "s", "es", "ee", "ees"})
# Endings that take a folded word back to its masculine singular, tried in this
# order and kept only when the result is a status word: « terminé » (folded
# "termine") stays itself, « terminées » loses "es", « inscrite » loses "e".
_INFLECTION_ENDINGS = ("", "s", "e", "es")
# A negated status (« non réalisée », « pas encore planifiée ») is no status at all.
_NEGATIONS = frozenset({"non", "pas", "jamais"})
# Action types (L6313-1); whether a bilan or a VAE counts for SAN-1 is a setting.
_KINDS: tuple[tuple[str, TrainingKind], ...] = (
    ("bilan", "bilan"),
    ("vae", "vae"),
    ("validation des acquis", "vae"),
    ("apprentissage", "apprentissage"),
    ("apprenti", "apprentissage"),
    ("alternance", "apprentissage"),
    ("formation", "formation"),
    ("afest", "formation"),
    ("action de formation", "formation"),
)


def _words(folded: str) -> str:
    return f" {folded} "


def _find_kind(text: str) -> TrainingKind | None:
    words = _words(fold(text))
    return next((kind for key, kind in _KINDS if f" {key} " in words), None)


def read_trainings(
    path: Path, *, today: date, settings: RosterSettings | None = None
) -> HRSheet[TrainingRecord]:
    """The trainings sheet HR keeps, one record per usable row.

    Without a status, a training whose last day has passed counts as
    « réalisé » and a later one as « planifié ». Without a type column, a
    title naming a bilan de compétences or a VAE gives that type; anything
    else is a « formation ».
    """
    seen: dict[tuple[str, str, date], int] = {}

    def convert(cells: _Cells) -> TrainingRecord | None:
        matricule = cells.required_text("matricule")
        title = cells.required_text("title")
        start = cells.required_date("start", today)
        end = cells.optional_date("end", today)
        if not cells.failed and end is not None and end < start:
            cells.fail(
                "end",
                f"date de fin ({end:%d/%m/%Y}) antérieure à la date de début "
                f"({start:%d/%m/%Y}) ; l'une des deux est fausse.",
            )
        if cells.failed:
            return None
        key = (fold(matricule), fold(title), start)
        if key in seen:
            cells.warn(
                "title",
                f"formation déjà indiquée ligne {seen[key]} (même salarié, même intitulé, même "
                "date de début) ; cette ligne est ignorée.",
            )
            return None
        seen[key] = cells.row
        mandatory = cells.yes_no("mandatory")
        if mandatory is None and cells.has_column("mandatory"):
            cells.warn(
                "mandatory",
                "cellule vide, donc formation comptée comme non obligatoire, ce qui peut écarter "
                "l'abondement correctif (SAN-1) ; indiquez oui ou non.",
            )
        status = _status(cells, start, end, today)
        return TrainingRecord(
            matricule=matricule,
            training=Training(
                title=title,
                start=start,
                # A finished training without an end date lasted a day, not forever.
                end=end if end is not None or status != "réalisé" else start,
                mandatory=bool(mandatory),
                certifying=bool(cells.yes_no("certifying")),
                kind=_kind(cells, title),
            ),
            status=status,
            row=cells.row,
            hours=cells.decimal("hours"),
            cost=cells.decimal("cost"),
        )

    return _read_records(path, _TRAININGS, settings, convert)


def _status(cells: _Cells, start: date, end: date | None, today: date) -> TrainingStatus:
    last_day = end or start
    text = cells.text("status")
    if text is None:
        return "réalisé" if last_day <= today else "planifié"
    status = training_status(text)
    if status is None:
        cells.warn(
            "status",
            f"statut « {text} » non reconnu ({', '.join(TRAINING_STATUSES)}) ; formation "
            "comptée comme envisagée, donc pas comme suivie.",
        )
        return "envisagé"
    if status == "réalisé" and start > today:
        cells.warn(
            "status",
            f"formation indiquée réalisée mais qui commence le {start:%d/%m/%Y}, dans le futur ; "
            "vérifiez la date ou le statut.",
        )
    elif status == "planifié" and end is not None and end < today:
        cells.warn(
            "status",
            f"formation planifiée qui s'est terminée le {end:%d/%m/%Y} : si elle a eu "
            "lieu, indiquez « réalisé » (sinon elle ne compte pas pour l'état des lieux).",
        )
    return status


def training_status(text: str) -> TrainingStatus | None:
    """The status a cell of HR's sheet gives, or None when it names none.

    HR types statuses in every form (« Planifiée », « Réalisés », « Inscrit(e) »,
    « Terminee »), and an unread « Réalisée » would leave a training out of the
    état des lieux: each word is brought back to its masculine singular before
    the phrases are looked up. When a cell names several (« Validée, planifiée
    le 12/03 »), a cancellation written last wins (« Inscrit puis annulé »);
    otherwise the most advanced status does (« Réalisée, validée par le
    manager » is « réalisé »).
    """
    words: list[str] = []
    for word in fold(text).split():
        if words and word in _INFLECTION_MARKS:
            continue  # « Inscrit(e)s » folds to "inscrit e s"
        words.append(_base_word(word))
    if _NEGATIONS.intersection(words):
        return None
    found: list[TrainingStatus] = []
    i = 0
    while i < len(words):
        for phrase, status in _STATUS_PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.append(status)
                i += len(phrase)
                break
        else:
            i += 1
    if not found:
        return None
    if found[-1] == "annulé":
        return "annulé"
    return max(found, key=_STATUS_PROGRESS.index)


# From least to most advanced, for a cell naming several statuses.
_STATUS_PROGRESS: tuple[TrainingStatus, ...] = (
    "annulé",
    "envisagé",
    "validé",
    "planifié",
    "réalisé",
)


def _base_word(word: str) -> str:
    """A folded word in the masculine singular when it is a status word, else as is."""
    for ending in _INFLECTION_ENDINGS:
        if word.endswith(ending):
            stem = word[: len(word) - len(ending)]
            if stem in _STATUS_WORDS:
                return stem
    return word


def _kind(cells: _Cells, title: str) -> TrainingKind:
    text = cells.text("kind")
    if text is None:
        return _find_kind(title) or "formation"
    kind = _find_kind(text)
    if kind is None:
        cells.warn(
            "kind",
            f"type d'action « {text} » non reconnu (formation, bilan de compétences, VAE, "
            "apprentissage) ; compté comme une formation.",
        )
        return "formation"
    return kind


# ---------------------------------------------------------------------------
# Absences
# ---------------------------------------------------------------------------

_ABSENCES = _Layout(
    what="absences",
    columns=(
        _Column("matricule", "le matricule", tables.SYNONYMS["matricule"], required=True),
        _Column(
            "type",
            "le type d'absence",
            (
                "Type d'absence",
                "Type",
                "Motif",
                "Motif d'absence",
                "Nature",
                "Nature de l'absence",
                "Type de congé",
                "Absence",
                "Congé",
            ),
            required=True,
        ),
        _Column(
            "start",
            "la date de début",
            (
                "Date de début",
                "Début",
                "Date début",
                "Date de départ",
                "Départ",
                "Du",
                "Début de l'absence",
                "Date de début d'absence",
            ),
            required=True,
        ),
        _Column(
            "returned",
            "la date de retour",
            (
                "Date de retour",
                "Retour",
                "Date de reprise",
                "Reprise",
                "Date de retour prévue",
                "Date de reprise du travail",
            ),
        ),
        _Column(
            "last_day",
            "la date de fin",
            ("Date de fin", "Fin", "Date fin", "Au", "Fin de l'absence", "Dernier jour"),
        ),
        _Column(
            "long",
            "l'arrêt long",
            ("Arrêt long", "Longue maladie", "Arrêt de longue durée", "Maladie longue"),
        ),
    ),
)


def read_absences(
    path: Path, *, today: date, settings: RosterSettings | None = None
) -> HRSheet[AbsenceRecord]:
    """The absences sheet HR keeps, one record per leave that matters to the rules.

    « Date de retour » is the first day back at work; a « Date de fin » column
    is the last day away, so the return is the day after. Without either, the
    employee is still away.
    """
    seen: dict[tuple[str, AbsenceKind, date], int] = {}
    known = ", ".join(f"« {label} »" for label in ABSENCE_LABELS.values())

    def convert(cells: _Cells) -> AbsenceRecord | None:
        matricule = cells.required_text("matricule")
        written = cells.required_text("type")
        start = cells.required_date("start", today)
        returned = cells.optional_date("returned", today)
        last_day = None if returned is not None else cells.optional_date("last_day", today)
        for name, day in (("returned", returned), ("last_day", last_day)):
            if not cells.failed and day is not None and day < start:
                cells.fail(
                    name,
                    f"{_ABSENCES.column(name).label} ({day:%d/%m/%Y}) est antérieure au début "
                    f"de l'absence ({start:%d/%m/%Y}) ; l'une des deux dates est fausse.",
                )
        if cells.failed:
            return None
        try:
            kind = absence_kind(written)
        except KeyError:
            cells.warn(
                "type",
                f"type d'absence « {written} » non reconnu ; ligne ignorée. Types reconnus : "
                f"{known}.",
            )
            return None
        if kind is None:
            cells.warn(
                "type",
                f"« {written} » n'appelle pas d'entretien professionnel au retour (L6315-1) ; "
                "ligne ignorée.",
            )
            return None
        key = (fold(matricule), kind, start)
        if key in seen:
            cells.warn(
                "type",
                f"absence déjà indiquée ligne {seen[key]} (même salarié, même type, même début) ; "
                "cette ligne est ignorée.",
            )
            return None
        seen[key] = cells.row
        if last_day is not None:
            returned = last_day + timedelta(days=1)
        return AbsenceRecord(
            matricule=matricule,
            absence=Absence(
                kind=kind,
                start=start,
                returned_on=returned,
                long_sick_leave=cells.yes_no("long") if kind == "maladie" else None,
            ),
            row=cells.row,
            written_type=written,
        )

    return _read_records(path, _ABSENCES, settings, convert)


# ---------------------------------------------------------------------------
# Corrective top-ups paid
# ---------------------------------------------------------------------------

_TOPUPS = _Layout(
    what="abondements versés",
    columns=(
        _Column("matricule", "le matricule", tables.SYNONYMS["matricule"], required=True),
        _Column(
            "paid_on",
            "la date du versement",
            (
                "Date du versement",
                "Date de versement",
                "Versé le",
                "Date de paiement",
                "Payé le",
                "Date",
            ),
            required=True,
        ),
        _Column(
            "amount",
            "le montant",
            ("Montant", "Montant versé", "Montant de l'abondement", "Abondement", "Somme"),
        ),
    ),
)


def read_topups(
    path: Path, *, today: date, settings: RosterSettings | None = None
) -> HRSheet[TopUpPayment]:
    """The corrective top-ups HR has paid (abondement correctif, SAN-1), one per row.

    Each payment settles one top-up the rules found owed; the workbook shows
    the rest as still to pay. A payment dated in the future is refused: HR
    records what was paid, not what is planned.
    """

    def convert(cells: _Cells) -> TopUpPayment | None:
        matricule = cells.required_text("matricule")
        paid_on = cells.required_date("paid_on", today)
        if not cells.failed and paid_on > today:
            cells.fail(
                "paid_on",
                f"date de versement dans le futur ({paid_on:%d/%m/%Y}) ; n'indiquez que les "
                "abondements déjà versés.",
            )
        if cells.failed:
            return None
        return TopUpPayment(matricule, paid_on, cells.decimal("amount"), cells.row)

    return _read_records(path, _TOPUPS, settings, convert)


# ---------------------------------------------------------------------------
# Professional interviews held in the past (history)
# ---------------------------------------------------------------------------

# The rules' occasion of an interview, by folded keywords on whole words, first
# match wins: the specific occasions come before the words that only say
# « professional interview », so that « EP de retour de congé » is a return and
# « EPP état des lieux » an état des lieux. Read from HR's history sheet and from
# the entretien.occasion answer of returned forms (templates/
# entretien-professionnel.toml), so that a company's reworded template still maps.
_OCCASION_WORDS: tuple[tuple[str, Occasion], ...] = (
    ("edl", "etat_des_lieux"),
    ("etat des lieux", "etat_des_lieux"),
    ("recapitulatif", "etat_des_lieux"),
    ("bilan a 6 ans", "etat_des_lieux"),
    ("bilan des 6 ans", "etat_des_lieux"),
    ("bilan a six ans", "etat_des_lieux"),
    ("bilan des six ans", "etat_des_lieux"),
    ("retour", "retour_conge"),
    ("avant le conge", "avant_conge"),
    ("avant conge", "avant_conge"),
    ("avant son conge", "avant_conge"),
    ("depart en conge", "avant_conge"),
    ("mi carriere", "mi_carriere"),
    ("45 ans", "mi_carriere"),
    ("60 ans", "avant_60"),
    ("fin de carriere", "avant_60"),
    ("premiere annee", "premiere_annee"),
    ("1ere annee", "premiere_annee"),
    ("premier entretien", "premiere_annee"),
    ("1er entretien", "premiere_annee"),
    ("embauche", "premiere_annee"),
    ("ep", "periodique"),
    ("epp", "periodique"),
    ("entretien professionnel", "periodique"),
    ("parcours professionnel", "periodique"),
    ("professionnel", "periodique"),
    ("periodique", "periodique"),
)
# Interviews that are not professional interviews (L6315-1): the annual appraisal
# and the job interview before hiring. A type naming one of these is one of them
# unless it also names a professional interview (« annuel et professionnel »).
_NOT_PROFESSIONAL_WORDS = (
    "annuel",
    "eae",
    "eai",
    "evaluation",
    "appreciation",
    "entretien d embauche",
    "recrutement",
)
_PROFESSIONAL_WORDS = ("professionnel", "ep", "epp", "edl", "etat des lieux", "recapitulatif")
_KNOWN_INTERVIEW_TYPES = (
    "EP ou entretien professionnel, EDL ou état des lieux, retour de congé, avant congé, "
    "mi-carrière, fin de carrière ou 60 ans, première année"
)


def _has_any(folded: str, keys: Sequence[str]) -> bool:
    words = _words(folded)
    return any(_words(key) in words for key in keys)


def _find_occasion(text: str) -> Occasion | None:
    words = _words(fold(text))
    return next((o for key, o in _OCCASION_WORDS if _words(key) in words), None)


def occasion_of(answer: object) -> Occasion:
    """The rules' occasion for an ``entretien.occasion`` answer (periodic when unknown).

    « Demande du salarié » and anything unknown are periodic: every interview
    restarts the period anyway, whatever its occasion.
    """
    if not isinstance(answer, str):
        return "periodique"
    return _find_occasion(answer) or "periodique"


_HISTORY = _Layout(
    what="entretiens passés",
    columns=(
        _Column("matricule", "le matricule", tables.SYNONYMS["matricule"], required=True),
        _Column(
            "held_on",
            "la date de l'entretien",
            (
                "Date de l'entretien",
                "Date",
                "Date entretien",
                "Date d'entretien",
                "Tenu le",
                "Date de tenue",
                "Date de réalisation",
                "Date de l'entretien professionnel",
                "Date de l'EP",
            ),
            required=True,
        ),
        _Column(
            "type",
            "le type d'entretien",
            (
                "Type d'entretien",
                "Type",
                "Nature",
                "Occasion",
                "Nature de l'entretien",
                "Type entretien",
                "Motif de l'entretien",
                "Objet de l'entretien",
            ),
        ),
    ),
)


def read_history(
    path: Path, *, today: date, settings: RosterSettings | None = None
) -> HRSheet[HistoryRecord]:
    """The professional interviews HR lists as held, one record per usable row.

    The roster gives at best the last interview, and the tool knows only the
    forms returned since it started: this sheet is how HR completes the
    history the legal checks (6-year état des lieux, SAN-1) look back on.
    A blank type is a periodic professional interview. An annual appraisal is
    no professional interview (L6315-1): the row is ignored with a warning. An
    interview dated in the future is refused: only interviews already held
    belong here, the tool computes the next ones. Two rows for the same
    employee and day are one interview; when one of them says état des lieux,
    that is what it was (an état des lieux is held during a professional
    interview).
    """
    seen: dict[tuple[str, date], tuple[int, Occasion]] = {}
    reviews: set[int] = set()  # rows of interviews a same-day duplicate says were an EDL

    def convert(cells: _Cells) -> HistoryRecord | None:
        matricule = cells.required_text("matricule")
        held_on = cells.required_date("held_on", today)
        if not cells.failed and held_on > today:
            cells.fail(
                "held_on",
                f"date de l'entretien dans le futur ({held_on:%d/%m/%Y}) ; n'indiquez que les "
                "entretiens déjà tenus (l'outil calcule les suivants).",
            )
        if cells.failed:
            return None
        written = cells.text("type")
        occasion: Occasion = "periodique"
        if written is not None:
            folded = fold(written)
            found = _find_occasion(written)
            if _has_any(folded, _NOT_PROFESSIONAL_WORDS) and not _has_any(
                folded, _PROFESSIONAL_WORDS
            ):
                cells.warn(
                    "type",
                    f"« {written} » n'est pas un entretien professionnel (L6315-1) : ni "
                    "l'entretien annuel d'évaluation ni l'entretien d'embauche n'en tiennent "
                    "lieu ; ligne ignorée.",
                )
                return None
            if found is None:
                cells.warn(
                    "type",
                    f"type d'entretien « {written} » non reconnu ({_KNOWN_INTERVIEW_TYPES}) ; "
                    "compté comme un entretien professionnel périodique.",
                )
            else:
                occasion = found
        key = (matricule_key(matricule), held_on)
        if key in seen:
            first, first_occasion = seen[key]
            counted = ""
            if occasion == "etat_des_lieux" and first_occasion != "etat_des_lieux":
                reviews.add(first)
                seen[key] = (first, occasion)
                counted = " : un seul entretien est compté, comme état des lieux"
            cells.warn(
                "held_on",
                f"entretien déjà indiqué ligne {first} (même salarié, même date){counted} ; "
                "cette ligne est ignorée.",
            )
            return None
        seen[key] = (cells.row, occasion)
        return HistoryRecord(
            matricule=matricule,
            interview=Interview(held_on, occasion, "historique_rh"),
            row=cells.row,
            written_type=written,
        )

    sheet = _read_records(path, _HISTORY, settings, convert)
    if not reviews:
        return sheet
    return replace(
        sheet,
        records=tuple(
            replace(r, interview=replace(r.interview, occasion="etat_des_lieux"))
            if r.row in reviews
            else r
            for r in sheet.records
        ),
    )
