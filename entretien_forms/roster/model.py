"""What a roster is once read: employees, the rows set aside, and the problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]
CellValue = str | int | float | date | None


@dataclass(frozen=True)
class FieldSpec:
    """A canonical roster field: its name, how messages refer to it, what it holds."""

    name: str
    label: str  # French, for messages: "le matricule"
    kind: Literal["text", "date", "email", "contract", "flag"]
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
    FieldSpec("date_dernier_entretien_annuel", "la date du dernier entretien annuel", "date"),
)
FIELDS_BY_NAME: Mapping[str, FieldSpec] = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class Employee:
    """One employee as the rest of the pipeline sees them (unknown columns dropped)."""

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
    date_dernier_entretien_annuel: date | None = None
    # Only the extra columns a caller asked for (KPIs a form declares), by their header.
    extra: Mapping[str, CellValue] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.prenom} {self.nom}"


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
    problems: tuple[Problem, ...]
    ignored_columns: int = 0
