"""What a roster is once read: employees, the rows set aside, and the problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from entretien_forms.text import fold

Severity = Literal["error", "warning"]
# Problems a roster keeps (the first ones, in row order); the others are only counted.
MAX_KEPT_PROBLEMS = 1_000
CellValue = str | int | float | date | None

# The leaves the rules know (legal-rules.md, EPP-4, EPP-4b, EDL-1). They live with the
# roster, upstream of the rules and the HR sheets, because the roster reads them too.
AbsenceKind = Literal[
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
    "sans_solde",
    "solidarite_familiale",
    "presence_parentale",
]
ABSENCE_LABELS: dict[AbsenceKind, str] = {
    "maternite": "congé de maternité",
    "adoption": "congé d'adoption",
    "conge_naissance": "congé supplémentaire de naissance",
    "conge_parental": "congé parental d'éducation",
    "proche_aidant": "congé de proche aidant",
    "sabbatique": "congé sabbatique",
    "mobilite_volontaire": "période de mobilité volontaire sécurisée",
    "temps_partiel_parental": "temps partiel parental",
    "maladie": "arrêt maladie",
    "mandat_syndical": "mandat syndical",
    "sans_solde": "congé sans solde",
    "solidarite_familiale": "congé de solidarité familiale",
    "presence_parentale": "congé de présence parentale",
}


@dataclass(frozen=True)
class FieldSpec:
    """A canonical roster field: its name, how messages refer to it, what it holds."""

    name: str
    label: str  # French, for messages: "le matricule"
    kind: Literal["text", "date", "email", "contract", "flag", "absence"]
    required: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("matricule", "le matricule", "text", required=True),
    FieldSpec("nom", "le nom", "text", required=True),
    FieldSpec("prenom", "le prénom", "text", required=True),
    FieldSpec("date_entree", "la date d'entrée", "date", required=True),
    FieldSpec("poste", "le poste", "text", required=True),
    FieldSpec("email", "l'e-mail", "email"),
    FieldSpec("date_naissance", "la date de naissance", "date"),
    FieldSpec("service", "le service", "text"),
    FieldSpec("manager", "le responsable", "text"),
    FieldSpec("email_manager", "l'e-mail du responsable", "email"),
    FieldSpec("type_contrat", "le type de contrat", "contract"),
    FieldSpec("temps_partiel", "le temps partiel", "flag"),
    FieldSpec("date_sortie", "la date de sortie", "date"),
    FieldSpec("date_dernier_entretien_pro", "la date du dernier entretien professionnel", "date"),
    FieldSpec("date_dernier_etat_des_lieux", "la date du dernier état des lieux", "date"),
    FieldSpec("date_dernier_entretien_annuel", "la date du dernier entretien annuel", "date"),
    # One current or last absence per employee; more go in the absences sheet.
    FieldSpec("type_absence", "le type d'absence", "absence"),
    FieldSpec("date_debut_absence", "la date de début d'absence", "date"),
    FieldSpec("date_retour_absence", "la date de retour", "date"),
    FieldSpec("date_fin_absence", "la date de fin d'absence", "date"),
)
FIELDS_BY_NAME: Mapping[str, FieldSpec] = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class RosterAbsence:
    """The current or last absence an export gives for one employee.

    The rules turn it into their ``Absence``: keeping a roster-level value here
    spares the roster, upstream of the rules, an import of them. Only leaves
    the rules know are kept (not paid holidays), and ``returned_on`` is the
    first day back at work, ``None`` while the employee is still away.
    """

    kind: AbsenceKind
    start: date
    returned_on: date | None = None


@dataclass(frozen=True, slots=True)
class Employee:
    """One employee as the rest of the pipeline sees them (unknown columns dropped).

    Slots: a 200,000-row export keeps 200,000 of them, and a per-instance
    dictionary would be most of the roster's memory.
    """

    matricule: str
    nom: str
    prenom: str
    date_entree: date
    poste: str
    row: int
    email: str | None = None
    date_naissance: date | None = None
    service: str | None = None
    manager: str | None = None  # as written in the file
    manager_matricule: str | None = None  # resolved against the roster
    email_manager: str | None = None
    type_contrat: str | None = None
    temps_partiel: bool | None = None
    date_sortie: date | None = None
    date_dernier_entretien_pro: date | None = None
    # The last état des lieux récapitulatif (L6315-1 II): the next one is counted from it.
    date_dernier_etat_des_lieux: date | None = None
    date_dernier_entretien_annuel: date | None = None
    absence: RosterAbsence | None = None
    # Only the extra columns a caller asked for (KPIs a form declares), by their header.
    extra: Mapping[str, CellValue] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.prenom} {self.nom}"


def manager_labels(employees: Iterable[Employee]) -> dict[str, str]:
    """Each employee's manager as HR reads it, by the employee's matricule ("" if none).

    People are told apart by matricule: two managers named « Martin Dupont »
    are two teams, so their name carries the matricule, « Martin Dupont
    (M010) », wherever it is shown. A name typed in the roster that matches
    no employee is shown as typed.
    """
    people = list(employees)
    names = {e.matricule: e.full_name for e in people}
    managers = {e.manager_matricule for e in people if e.manager_matricule in names}
    namesakes = Counter(fold(names[m]) for m in managers if m is not None)
    labels: dict[str, str] = {}
    for employee in people:
        matricule = employee.manager_matricule
        if matricule is None or matricule not in names:
            labels[employee.matricule] = employee.manager or ""
            continue
        name = names[matricule]
        labels[employee.matricule] = name if namesakes[fold(name)] == 1 else f"{name} ({matricule})"
    return labels


@dataclass(frozen=True)
class Problem:
    """A row-level finding, located as the person sees it in Excel or a text editor."""

    row: int | None
    column: str | None  # the header as written in the file
    field: str | None  # canonical field name
    severity: Severity
    message: str

    def describe(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Ligne {self.row}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        prefix = ", ".join(where)
        return (
            f"{prefix} : {self.message}" if prefix else self.message[:1].upper() + self.message[1:]
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class Excluded:
    """A readable row that is not an employee to interview (intérim, departed...)."""

    row: int
    matricule: str
    full_name: str
    reason: str
    date_sortie: date | None = None


class HasProblems:
    """Errors and warnings among ``problems``: a roster, an HR sheet."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class Roster(HasProblems):
    source: Path
    sheet: str | None
    header_row: int
    columns: Mapping[str, str]  # canonical field → header as written
    employees: tuple[Employee, ...]
    excluded: tuple[Excluded, ...]
    problems: tuple[Problem, ...]  # the first MAX_KEPT_PROBLEMS, in row and column order
    ignored_columns: int = 0
    # Problems beyond the first MAX_KEPT_PROBLEMS are counted, not kept: a broken or
    # hostile file can have millions, and nobody reads past the first screens.
    errors_left_off: int = 0
    warnings_left_off: int = 0

    @property
    def error_count(self) -> int:
        """Every error found, kept or not."""
        return len(self.errors) + self.errors_left_off

    @property
    def warning_count(self) -> int:
        """Every warning found, kept or not."""
        return len(self.warnings) + self.warnings_left_off

    @property
    def problems_left_off(self) -> int:
        return self.errors_left_off + self.warnings_left_off

    @property
    def has_errors(self) -> bool:
        return self.errors_left_off > 0 or any(p.severity == "error" for p in self.problems)
