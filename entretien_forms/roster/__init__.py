"""Read the company's employee list (roster) from a messy HR export.

Every later stage works from ``Roster.employees``. Reading never stops at a
bad row: each row is kept, excluded (with a reason) or reported as an error,
and every problem names the row and the column as the user sees them. Only a
file that cannot be read as a roster at all raises ``RosterError``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entretien_forms.config import RosterSettings
from entretien_forms.errors import CellValueError, RosterError
from entretien_forms.roster import _headers, _values, tables
from entretien_forms.roster._table import french_number
from entretien_forms.roster._values import absence_kind
from entretien_forms.roster.model import (
    FIELDS,
    FIELDS_BY_NAME,
    MAX_KEPT_PROBLEMS,
    CellValue,
    Employee,
    Excluded,
    Problem,
    Roster,
    RosterAbsence,
    Severity,
    manager_labels,
)
from entretien_forms.text import clean, fold

if TYPE_CHECKING:
    from entretien_forms.roster.importing import RosterImport
    from entretien_forms.workspace import Workspace

__all__ = [
    "MAX_DATA_ROWS",
    "MAX_KEPT_PROBLEMS",
    "Employee",
    "Excluded",
    "Problem",
    "Roster",
    "RosterAbsence",
    "absence_kind",
    "import_file",
    "manager_labels",
    "parse_french_date",
    "read_roster",
]

_REQUIRED = tuple(f.name for f in FIELDS if f.required)
_EMPTY = {
    name: f"cellule vide, alors que {FIELDS_BY_NAME[name].label} est obligatoire ; complétez-la."
    for name in _REQUIRED
}
# The absence columns: read together into one ``RosterAbsence``, never as such.
_ABSENCE_DATES = ("date_debut_absence", "date_retour_absence", "date_fin_absence")
_ABSENCE_FIELDS = ("type_absence", *_ABSENCE_DATES)
_ABSENCE_DROPPED = " L'absence est ignorée ; le salarié est gardé."
# Dates of interviews already held: neither in the future nor before hire. (The last
# professional interview is not checked yet: existing rosters, the sample's among
# them, give one before hire, and how the rules read it is their concern.)
_HELD_DATES = ("date_dernier_etat_des_lieux",)
# First words of the summary lines some exports put under the table.
_TOTAL_LINE_STARTS = ("total", "sous total", "effectif total", "nombre de salaries")
# Columns whose values are mostly distinct: caching their conversions would cost memory
# for nothing. The others keep at most _CACHE_SIZE converted values each.
_UNIQUE_FIELDS = frozenset({"matricule", "email"})
_CACHE_SIZE = 50_000
_MISSING = object()
# Data rows (not blank) a roster may have, kept, excluded or in error. An employee costs
# about 1 KB until the roster is stored, and a row in error about 30 µs to report, so
# this bounds a read to about 300 MB and 15 s whatever the file holds. 1.5 times the
# largest roster we benchmark (bench/bench_roster.py --big), far beyond any company
# this tool is for; beyond it the file is refused whole, never cut (a roster cut short
# would make everyone after the cut look departed).
MAX_DATA_ROWS = 300_000


def read_roster(
    path: Path,
    *,
    today: date | None = None,
    settings: RosterSettings | None = None,
    extra_columns: Iterable[str] = (),
) -> Roster:
    """Read, check and normalise a roster file (.xlsx or .csv).

    ``extra_columns`` names the non-standard columns a caller needs (KPIs a
    form pre-fills, such as "CA réalisé"); every other unknown column is
    dropped here so that salaries or bank details never travel further.
    """
    today = today or date.today()
    settings = settings or RosterSettings()
    with tables.open_tables(
        path, head_rows=_headers.HEADER_SEARCH_ROWS, max_bytes=settings.max_file_mb * 1_000_000
    ) as candidates:
        best = _best_header(candidates)
        if best is None:
            where = "dans les 30 premières lignes" + (
                " d'aucune feuille" if candidates and candidates[0].name else ""
            )
            raise RosterError(
                f"{path.name} : aucune ligne d'en-tête reconnue {where}. Nous cherchons les "
                f"{_headers.describe_expected_columns()}. Renommez les colonnes de votre export "
                "ou ajoutez une ligne d'en-tête."
            )
        table, header_row, header_cells = best
        header = _headers.read_header(header_row, header_cells, extra_columns)
        missing = [f for f in _REQUIRED if f not in header.fields]
        if missing:
            raise RosterError(
                f"{path.name}, {table.description}, ligne {header_row} : colonne(s) obligatoire(s) "
                f"introuvable(s) : {_headers.describe_missing(missing)}. Ajoutez-les ou renommez "
                "les colonnes existantes."
            )
        reader = _RowReader(header, today, settings, path.name)
        reader.read(table.rows(reader.problems.add), header_row)
    reader.resolve_managers()
    ignored = sum(
        1
        for i, text in enumerate(header.headers)
        if text and i not in header.fields.values() and i not in header.extra.values()
    )
    left_off = reader.problems.left_off
    return Roster(
        source=path,
        sheet=table.name,
        header_row=header_row,
        columns={f: header.headers[i] for f, i in header.fields.items()},
        employees=tuple(reader.employees),
        excluded=tuple(reader.excluded),
        problems=reader.problems.kept(),
        ignored_columns=ignored,
        errors_left_off=left_off["error"],
        warnings_left_off=left_off["warning"],
    )


def import_file(
    path: Path, workspace: Workspace, *, now: datetime | None = None, today: date | None = None
) -> RosterImport:
    """Read ``path``, then store its valid rows as the workspace's current roster.

    See ``roster.importing``; imported here on call, as the store and the form
    catalogue it needs themselves import this package.
    """
    from entretien_forms.roster import importing

    return importing.import_file(path, workspace, now=now, today=today)


def _best_header(
    candidates: Sequence[tables.Table],
) -> tuple[tables.Table, int, Sequence[CellValue]] | None:
    best: tuple[int, tables.Table, int, Sequence[CellValue]] | None = None
    for table in candidates:
        for number, cells in table.head:
            score = _headers.header_score(cells)
            if score >= _headers.MIN_HEADER_FIELDS and (best is None or score > best[0]):
                best = (score, table, number, cells)
    return None if best is None else best[1:]


class _Problems:
    """The first ``MAX_KEPT_PROBLEMS`` problems in row and column order; the rest counted.

    Found in reading order, mostly: the manager checks come after every row,
    the reading's own warnings (a line's encoding) at the end of the file. A
    bounded heap keeps the first ones whatever the order they come in, so a
    file with a million bad rows costs the memory of a thousand problems.
    """

    def __init__(self, header: _headers.Header, limit: int = MAX_KEPT_PROBLEMS) -> None:
        # A header text's column (its first occurrence), to order the problems of a row.
        self.positions = {text: i for i, text in reversed(list(enumerate(header.headers)))}
        self.limit = limit
        # Keys negated, so that heap[0] is the last problem kept: a max-heap.
        self.heap: list[tuple[int, int, int, Problem]] = []
        self.count = 0
        self.left_off: dict[Severity, int] = {"error": 0, "warning": 0}

    def add(self, problem: Problem) -> None:
        self.new(problem.row, problem.column, problem.field, problem.severity, problem.message)

    def new(
        self,
        row: int | None,
        column: str | None,
        field: str | None,
        severity: Severity,
        message: str,
    ) -> None:
        """Keep or count a problem, building it only when it is kept."""
        self.count += 1
        key = (-(row or 0), -self.positions.get(column or "", -1), -self.count)
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, (*key, Problem(row, column, field, severity, message)))
            return
        if key > self.heap[0][:3]:  # comes before the last one kept
            last = heapq.heapreplace(
                self.heap, (*key, Problem(row, column, field, severity, message))
            )
            severity = last[3].severity
        self.left_off[severity] += 1

    def kept(self) -> tuple[Problem, ...]:
        return tuple(item[3] for item in sorted(self.heap, reverse=True))


class _RowReader:
    """Turns data rows into employees, exclusions and problems (one pass)."""

    def __init__(
        self, header: _headers.Header, today: date, settings: RosterSettings, file_name: str
    ) -> None:
        self.header = header
        self.today = today
        self.file_name = file_name
        self.latest_hire = today + timedelta(days=settings.future_hire_tolerance_days)
        self.tolerance = settings.future_hire_tolerance_days
        self.employees: list[Employee] = []
        self.excluded: list[Excluded] = []
        self.problems = _Problems(header)
        self.first_row_of: dict[str, int] = {}
        self.gone: set[str] = set()  # folded matricules and names of excluded rows
        self.error_count = 0
        self.data_rows = 0
        # An absence needs its type and its start: without both columns none is
        # read, and the other absence columns are left unparsed (see read()).
        self.reads_absences = {"type_absence", "date_debut_absence"} <= header.fields.keys()
        self.columns = sorted(
            (
                (name, index)
                for name, index in header.fields.items()
                if self.reads_absences or name not in _ABSENCE_FIELDS
            ),
            key=lambda item: item[1],
        )
        self.folded_header = [fold(h) for h in header.headers]
        self.header_words = frozenset(self.folded_header)
        # Converted cells by raw value, per column whose values repeat (dates, jobs,
        # services, first names...): a large roster converts each value once, and its
        # employees share one string or date object per value instead of a copy each.
        self.caches: dict[str, dict[CellValue, object]] = {
            name: {} for name, _ in self.columns if name not in _UNIQUE_FIELDS
        }

    def problem(self, row: int, field: str | None, severity: Severity, message: str) -> None:
        column = self.header.headers[self.header.fields[field]] if field else None
        self.problems.new(row, column, field, severity, message)
        self.error_count += severity == "error"

    def read(self, rows: Iterable[tables.Row], header_row: int) -> None:
        for index, field_name in self.header.duplicates:
            kept = self.header.headers[self.header.fields[field_name]]
            self.problems.add(
                Problem(
                    header_row,
                    self.header.headers[index],
                    field_name,
                    "warning",
                    f"deuxième colonne pour {FIELDS_BY_NAME[field_name].label} ; seule la "
                    f"colonne « {kept} » est lue.",
                )
            )
        self.check_absence_columns(header_row)
        for number, cells in rows:
            if number > header_row:
                self.read_row(number, cells)

    def check_absence_columns(self, header_row: int) -> None:
        if self.reads_absences:
            return
        fields = self.header.fields
        if "type_absence" in fields:
            self.problem(
                header_row,
                "type_absence",
                "warning",
                "pas de colonne de date de début d'absence : les absences ne sont pas lues. "
                "Ajoutez une colonne « Date de début d'absence ».",
            )
            return
        dates = sorted((fields[name], name) for name in _ABSENCE_DATES if name in fields)
        if dates:
            self.problem(
                header_row,
                dates[0][1],
                "warning",
                "pas de colonne de type d'absence : les dates d'absence ne sont pas lues. "
                "Ajoutez une colonne « Type d'absence » (congé de maternité, congé parental "
                "d'éducation, arrêt maladie...).",
            )

    def repeats_header(self, cells: Sequence[CellValue]) -> bool:
        width = len(self.folded_header)
        folded = [fold(c) if isinstance(c, str) else "" for c in cells[:width]]
        return folded == self.folded_header

    def read_row(self, number: int, cells: Sequence[CellValue]) -> None:
        # The non-blank cells of the columns read (is_blank inlined: it runs for every cell).
        width = len(cells)
        raw: dict[str, CellValue] = {}
        for name, index in self.columns:
            if index < width:
                value = cells[index]
                if value is not None and (not isinstance(value, str) or value.strip()):
                    raw[name] = value
        if not raw:
            return
        self.data_rows += 1
        if self.data_rows > MAX_DATA_ROWS:
            raise RosterError(
                f"{self.file_name}, ligne {number} : plus de {french_number(MAX_DATA_ROWS)} "
                "lignes de données, bien "
                "au-delà de ce que l'outil sait suivre. Vérifiez que c'est la bonne liste, ou "
                "découpez-la par établissement."
            )
        first: CellValue = None
        for cell in cells:  # the row's first non-blank cell (a loop: cheaper than next())
            if cell is not None and (not isinstance(cell, str) or cell.strip()):
                first = cell
                break
        if isinstance(first, str):
            folded_first = fold(first)
            if folded_first.startswith(_TOTAL_LINE_STARTS):
                return  # a "Total : 30 salariés" line under the table
            # Header repeated on every printed page of some exports; folding the whole
            # row only when its first cell is a header keeps ordinary rows cheap.
            if folded_first in self.header_words and self.repeats_header(cells):
                return

        values: dict[str, Any] = {}
        errors_before = self.error_count
        unusable_absence = False
        for field_name in _REQUIRED:
            if field_name not in raw:
                self.problem(number, field_name, "error", _EMPTY[field_name])
        for field_name, value in raw.items():
            cache = self.caches.get(field_name)
            converted = _MISSING if cache is None else cache.get(value, _MISSING)
            if converted is _MISSING:
                try:
                    converted = self.convert(field_name, value)
                except CellValueError as error:
                    converted = error
                if cache is not None and len(cache) < _CACHE_SIZE:
                    cache[value] = converted
            if not isinstance(converted, CellValueError):
                values[field_name] = converted
            else:
                kind = FIELDS_BY_NAME[field_name].kind
                severity: Severity = "error" if kind == "date" else "warning"
                message = str(converted)
                if field_name == "type_contrat":
                    values[field_name] = _values.as_text(value)
                if field_name in _ABSENCE_FIELDS:
                    # Secondary data: a bad absence date must not drop the employee.
                    severity, unusable_absence = "warning", True
                    if field_name in _ABSENCE_DATES:  # the type's message says it already
                        message += _ABSENCE_DROPPED
                self.problem(number, field_name, severity, message)
        self.check_dates(number, values)
        self.check_duplicate(number, values)
        if self.error_count > errors_before:
            return

        reason = self.exclusion(values)
        if reason is not None:
            self.problem(number, reason[0], "warning", reason[1])
            prenom, nom = values["prenom"], values["nom"]
            self.gone.update(
                fold(k) for k in (values["matricule"], f"{prenom} {nom}", f"{nom} {prenom}")
            )
            self.excluded.append(
                Excluded(
                    number,
                    values["matricule"],
                    f"{values['prenom']} {values['nom']}",
                    reason[1],
                    values.get("date_sortie"),
                )
            )
            return
        absence = self.absence(number, raw.get("type_absence"), values, usable=not unusable_absence)
        extra = {
            name: _clean_extra(cells[i] if i < len(cells) else None)
            for name, i in self.header.extra.items()
        }
        self.employees.append(Employee(row=number, absence=absence, extra=extra, **values))

    def convert(self, field_name: str, value: CellValue) -> object:
        kind = FIELDS_BY_NAME[field_name].kind
        if kind == "date":
            return _values.parse_date(value, self.today)
        if kind == "email":
            return _values.parse_email(value)
        if kind == "contract":
            return _values.parse_contract(value)
        if kind == "flag":
            return _values.parse_flag(value)
        if kind == "absence":
            return _values.parse_absence(value)
        return _values.as_text(value)

    def check_dates(self, number: int, values: dict[str, Any]) -> None:
        hired: date | None = values.get("date_entree")
        born: date | None = values.get("date_naissance")
        if hired is not None and hired > self.latest_hire:
            self.problem(
                number,
                "date_entree",
                "error",
                f"date d'entrée dans le futur ({hired:%d/%m/%Y}), au-delà de la tolérance de "
                f"{self.tolerance} jours ; vérifiez l'année.",
            )
        if hired is not None and born is not None and born >= hired:
            self.problem(
                number,
                "date_naissance",
                "error",
                f"date de naissance ({born:%d/%m/%Y}) postérieure à la date d'entrée "
                f"({hired:%d/%m/%Y}) ; l'une des deux est fausse.",
            )
        for name in _HELD_DATES:
            self.check_held(number, name, values, hired)

    def check_held(
        self, number: int, name: str, values: dict[str, Any], hired: date | None
    ) -> None:
        """Drop a last-interview date that cannot be one, keeping the employee.

        The rules count the legal periods from it: a date in the future (the
        next interview typed instead of the last) would make an overdue
        employee look up to date, and one before hire belongs to an earlier
        contract. The rest of the row is sound, so it is a warning, not an error.
        """
        held: date | None = values.get(name)
        label = FIELDS_BY_NAME[name].label
        if held is None:
            return
        if held > self.today:
            message = (
                f"{label} est dans le futur ({held:%d/%m/%Y}) : indiquez le dernier entretien "
                "déjà tenu, pas le prochain. Date ignorée."
            )
        elif hired is not None and held < hired:
            message = (
                f"{label} ({held:%d/%m/%Y}) est antérieure à la date d'entrée "
                f"({hired:%d/%m/%Y}) : un entretien d'un contrat précédent ne compte pas ; "
                "vérifiez les deux dates. Date ignorée."
            )
        else:
            return
        del values[name]
        self.problem(number, name, "warning", message)

    def absence(
        self, number: int, written: CellValue, values: dict[str, Any], *, usable: bool = True
    ) -> RosterAbsence | None:
        """Take the absence columns out of ``values``, as one absence or none.

        An absence the rules cannot place in time is left out with a warning
        rather than guessed: a made-up start would shift seniority and the
        long sick leave test. Paid holidays and other leaves that call for no
        interview are read without a word, as exports list them routinely.
        """
        recognised = "type_absence" in values
        kind = values.pop("type_absence", None)
        start: date | None = values.pop("date_debut_absence", None)
        returned: date | None = values.pop("date_retour_absence", None)
        last_day: date | None = values.pop("date_fin_absence", None)
        if not usable:
            return None  # a date could not be read: already reported
        for name, day in (("date_retour_absence", returned), ("date_fin_absence", last_day)):
            if start is not None and day is not None and day < start:
                self.problem(
                    number,
                    name,
                    "warning",
                    f"{FIELDS_BY_NAME[name].label} ({day:%d/%m/%Y}) est antérieure au début de "
                    f"l'absence ({start:%d/%m/%Y}) ; l'une des deux dates est fausse."
                    + _ABSENCE_DROPPED,
                )
                return None
        if returned is None and last_day is not None:
            returned = last_day + timedelta(days=1)
        if _values.is_blank(written):
            if start is not None or returned is not None:
                self.problem(
                    number,
                    "type_absence",
                    "warning",
                    "dates d'absence sans type d'absence ; absence ignorée. Indiquez le type "
                    "(par exemple « congé de maternité », « arrêt maladie »).",
                )
            return None
        if not recognised or kind is None:
            return None  # unknown type (already reported), or a leave with no interview
        text = _values.as_text(written)
        if start is None and returned is None:
            self.problem(
                number,
                "type_absence",
                "warning",
                f"absence « {text} » sans date de début ni de retour ; absence ignorée. "
                "Indiquez la date de début (et la date de retour si le salarié a repris).",
            )
            return None
        if start is None:
            self.problem(
                number,
                "date_debut_absence",
                "warning",
                f"date de début manquante pour l'absence « {text} » ; absence ignorée. "
                "Indiquez la date de début.",
            )
            return None
        return RosterAbsence(kind, start, returned)

    def check_duplicate(self, number: int, values: dict[str, Any]) -> None:
        matricule = values.get("matricule")
        if matricule is None:
            return
        first = self.first_row_of.setdefault(matricule, number)
        if first != number:
            self.problem(
                number,
                "matricule",
                "error",
                f"matricule « {matricule} » déjà utilisé ligne {first} ; cette ligne est écartée. "
                "Corrigez le matricule en double.",
            )

    def exclusion(self, values: dict[str, Any]) -> tuple[str, str] | None:
        contract = values.get("type_contrat")
        if contract == "intérim":
            return (
                "type_contrat",
                "intérimaire : salarié de l'agence d'intérim, pas de "
                "l'entreprise ; ligne exclue des entretiens.",
            )
        if contract == "stage":
            return (
                "type_contrat",
                "stagiaire : pas salarié de l'entreprise ; ligne exclue des entretiens.",
            )
        left: date | None = values.get("date_sortie")
        if left is not None and left < self.today:
            return (
                "date_sortie",
                f"salarié sorti le {left:%d/%m/%Y} ; ligne exclue des entretiens.",
            )
        return None

    def resolve_managers(self) -> None:
        """Link each "manager" cell to an employee, by matricule, full name or e-mail."""
        # First names and surnames repeat across a company: folding each part once
        # and joining them costs a fraction of folding every full name both ways.
        fold_part = lru_cache(maxsize=8192)(fold)
        keys: dict[str, str] = {}
        for e in self.employees:
            prenom, nom = fold_part(e.prenom), fold_part(e.nom)
            for key in (
                fold(e.matricule),
                f"{prenom} {nom}".strip(),
                f"{nom} {prenom}".strip(),
                fold(e.email) if e.email else "",
            ):
                if key:
                    keys.setdefault(key, e.matricule)
        for e in self.employees:
            target = None
            if e.manager:
                target = keys.get(fold_part(e.manager))
                if target is None:
                    self.problem(
                        e.row, "manager", "warning", _unknown_manager(e.manager, self.gone)
                    )
            elif e.email_manager:
                target = keys.get(fold_part(e.email_manager))
            if target is not None:
                # Set in place rather than copied (dataclasses.replace): nothing outside
                # this reader has seen the employee yet, and a copy of each costs a third
                # of reading a large roster.
                object.__setattr__(e, "manager_matricule", target)


def parse_french_date(text: str, today: date) -> date | None:
    """A date as people type it (14/03/2021, 14/3/21, 2021-03-14, 14 mars 2021), or None.

    The roster's date reading, shared with the inbox so that a form's date
    answers are read exactly like the roster's dates.
    """
    try:
        return _values.parse_date(text, today)
    except CellValueError:
        return None


def _unknown_manager(name: str, gone: set[str]) -> str:
    if fold(name) in gone:
        return (
            f"responsable « {name} » exclu de la liste (sorti ou intérimaire) ; le salarié "
            "est gardé sans responsable, indiquez son nouveau responsable."
        )
    return (
        f"responsable « {name} » introuvable parmi les salariés (ni matricule, ni nom) ; "
        "le salarié est gardé sans responsable."
    )


def _clean_extra(value: CellValue) -> CellValue:
    if isinstance(value, str):
        return clean(value) or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
