"""Read the company's employee list (roster) from a messy HR export.

Every later stage works from ``Roster.employees``. Reading never stops at a
bad row: each row is kept, excluded (with a reason) or reported as an error,
and every problem names the row and the column as the user sees them. Only a
file that cannot be read as a roster at all raises ``RosterError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from entretien_forms.config import RosterSettings
from entretien_forms.errors import RosterError
from entretien_forms.roster import _headers, _sources, _values
from entretien_forms.roster.model import (
    FIELDS,
    FIELDS_BY_NAME,
    CellValue,
    Employee,
    Excluded,
    Problem,
    Roster,
    Severity,
)
from entretien_forms.text import clean, fold

__all__ = ["Employee", "Excluded", "Problem", "Roster", "parse_french_date", "read_roster"]

_REQUIRED = tuple(f.name for f in FIELDS if f.required)
# First words of the summary lines some exports put under the table.
_TOTAL_LINE_STARTS = ("total", "sous total", "effectif total", "nombre de salaries")


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
    with _sources.open_tables(
        path, head_rows=_headers.HEADER_SEARCH_ROWS, max_bytes=settings.max_file_mb * 1_000_000
    ) as tables:
        best = _best_header(tables)
        if best is None:
            where = "dans les 30 premières lignes" + (
                " d'aucune feuille" if tables and tables[0].name else ""
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
        reader = _RowReader(header, today, settings)
        reader.read(table.rows(), header_row)
    reader.resolve_managers()
    ignored = sum(
        1
        for i, text in enumerate(header.headers)
        if text and i not in header.fields.values() and i not in header.extra.values()
    )
    return Roster(
        source=path,
        sheet=table.name,
        header_row=header_row,
        columns={f: header.headers[i] for f, i in header.fields.items()},
        employees=tuple(reader.employees),
        excluded=tuple(reader.excluded),
        problems=tuple(sorted(reader.problems, key=_problem_order(header))),
        ignored_columns=ignored,
    )


def _best_header(
    tables: Sequence[_sources.Table],
) -> tuple[_sources.Table, int, Sequence[CellValue]] | None:
    best: tuple[int, _sources.Table, int, Sequence[CellValue]] | None = None
    for table in tables:
        for number, cells in table.head:
            score = _headers.header_score(cells)
            if score >= _headers.MIN_HEADER_FIELDS and (best is None or score > best[0]):
                best = (score, table, number, cells)
    return None if best is None else best[1:]


def _problem_order(header: _headers.Header) -> Any:
    positions = {text: i for i, text in reversed(list(enumerate(header.headers)))}

    def key(p: Problem) -> tuple[int, int]:
        return (p.row or 0, positions.get(p.column or "", -1))

    return key


class _RowReader:
    """Turns data rows into employees, exclusions and problems (one pass)."""

    def __init__(self, header: _headers.Header, today: date, settings: RosterSettings) -> None:
        self.header = header
        self.today = today
        self.latest_hire = today + timedelta(days=settings.future_hire_tolerance_days)
        self.tolerance = settings.future_hire_tolerance_days
        self.employees: list[Employee] = []
        self.excluded: list[Excluded] = []
        self.problems: list[Problem] = []
        self.first_row_of: dict[str, int] = {}
        self.gone: set[str] = set()  # folded matricules and names of excluded rows
        self.error_count = 0
        self.columns = sorted(header.fields.items(), key=lambda item: item[1])
        self.folded_header = [fold(h) for h in header.headers]
        self.header_words = frozenset(self.folded_header)

    def problem(self, row: int, field: str | None, severity: Severity, message: str) -> None:
        column = self.header.headers[self.header.fields[field]] if field else None
        self.problems.append(Problem(row, column, field, severity, message))
        self.error_count += severity == "error"

    def read(self, rows: Iterable[_sources.Row], header_row: int) -> None:
        for index, field_name in self.header.duplicates:
            kept = self.header.headers[self.header.fields[field_name]]
            self.problems.append(
                Problem(
                    header_row,
                    self.header.headers[index],
                    field_name,
                    "warning",
                    f"deuxième colonne pour {FIELDS_BY_NAME[field_name].label} ; seule la "
                    f"colonne « {kept} » est lue.",
                )
            )
        for number, cells in rows:
            if number > header_row:
                self.read_row(number, cells)

    def repeats_header(self, cells: Sequence[CellValue]) -> bool:
        width = len(self.folded_header)
        folded = [fold(c) if isinstance(c, str) else "" for c in cells[:width]]
        return folded == self.folded_header

    def read_row(self, number: int, cells: Sequence[CellValue]) -> None:
        raw = {f: cells[i] if i < len(cells) else None for f, i in self.columns}
        if all(_values.is_blank(v) for v in raw.values()):
            return
        first = next((c for c in cells if not _values.is_blank(c)), None)
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
        for field_name, value in raw.items():
            if _values.is_blank(value):
                if FIELDS_BY_NAME[field_name].required:
                    self.problem(
                        number,
                        field_name,
                        "error",
                        f"cellule vide, alors que {FIELDS_BY_NAME[field_name].label} est "
                        "obligatoire ; complétez-la.",
                    )
                continue
            try:
                values[field_name] = self.convert(field_name, value)
            except _values.BadValue as exc:
                kind = FIELDS_BY_NAME[field_name].kind
                severity: Severity = "error" if kind == "date" else "warning"
                if field_name == "type_contrat":
                    values[field_name] = _values.as_text(value)
                self.problem(number, field_name, severity, str(exc))
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
        extra = {
            name: _clean_extra(cells[i] if i < len(cells) else None)
            for name, i in self.header.extra.items()
        }
        self.employees.append(Employee(row=number, extra=extra, **values))

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
        resolved = []
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
            resolved.append(e if target is None else replace(e, manager_matricule=target))
        self.employees = resolved


def parse_french_date(text: str, today: date) -> date | None:
    """A date as people type it (14/03/2021, 14/3/21, 2021-03-14, 14 mars 2021), or None.

    The roster's date reading, shared with the inbox so that a form's date
    answers are read exactly like the roster's dates.
    """
    try:
        return _values.parse_date(text, today)
    except _values.BadValue:
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
