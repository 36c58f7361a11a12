"""What a form is: its definition as HR writes it, and its layout as renderers draw it.

A ``FormDefinition`` is read from a TOML file in ``templates/``. For one
campaign, one skills grid and the occasions of the interview it becomes a
``FormLayout``: every section and field with its final label and concrete
field ids. Renderers compile a layout once and then, per employee, only write the values
(``FormValues``) and the identity (``Identity``): this is what makes
generating thousands of forms fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

Kind = Literal["annuel", "professionnel", "etat_des_lieux"]
FieldType = Literal[
    "text", "longtext", "date", "choice", "multichoice", "checkbox", "rating", "number"
]
KINDS: tuple[Kind, ...] = ("annuel", "professionnel", "etat_des_lieux")
FIELD_TYPES: tuple[FieldType, ...] = (
    "text",
    "longtext",
    "date",
    "choice",
    "multichoice",
    "checkbox",
    "rating",
    "number",
)
KIND_LABELS: Mapping[str, str] = {
    "annuel": "entretien annuel",
    "professionnel": "entretien professionnel",
    "etat_des_lieux": "état des lieux récapitulatif",
}


@dataclass(frozen=True)
class Field:
    """One answer: a stand-alone field, or one cell of a table.

    ``id`` is the full, stable identifier (``objectifs.2.cible``): the same id
    means the same thing in every form, and it names the Word content control
    and the PDF form field.
    """

    id: str
    label: str
    type: FieldType
    required: bool = False
    help: str | None = None
    options: tuple[str, ...] = ()  # choice, multichoice
    scale: tuple[int, ...] = ()  # rating: the allowed values, e.g. (1, 2, 3, 4)
    scale_labels: tuple[str, ...] = ()  # rating: one label per value
    lines: int = 1  # printed writing space, in lines (longtext)
    prefilled: bool = False
    locked: bool = False  # pre-filled identity: the manager cannot edit it


@dataclass(frozen=True)
class Column:
    """A table column: the template of the cells below its header."""

    id: str
    label: str
    type: FieldType
    options: tuple[str, ...] = ()
    scale: tuple[int, ...] = ()
    scale_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableRow:
    key: str  # "1", "2"... or a skill id for a skills grid
    label: str | None  # the row header (skill name); None for numbered rows
    cells: tuple[Field, ...]  # one per column, ids "<table>.<key>.<column>"


@dataclass(frozen=True)
class Table:
    id: str
    label: str
    columns: tuple[Column, ...]
    rows: tuple[TableRow, ...]
    help: str | None = None
    row_header: str | None = None  # title of the row-label column ("Compétence")

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(cell for row in self.rows for cell in row.cells)


Item = Field | Table


@dataclass(frozen=True)
class Section:
    title: str
    guidance: str | None
    items: tuple[Item, ...]


@dataclass(frozen=True)
class FormLayout:
    """A form ready to draw: fixed for one form, campaign and skills grid."""

    form_id: str
    title: str
    kind: Kind
    version: str
    grid: str | None  # skills grid used, if the form has one
    sections: tuple[Section, ...]
    privacy_notice: str  # printed next to free-text boxes (GDPR: no health data)
    # The occasions the form was laid out for (sections of other occasions left out);
    # None: every section. The ledger keeps them so a returned form is read the same way.
    occasions: tuple[str, ...] | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        found: list[Field] = []
        for section in self.sections:
            for item in section.items:
                found.extend(item.fields if isinstance(item, Table) else (item,))
        return tuple(found)


@dataclass(frozen=True)
class Identity:
    """Who and what one issued form is for; printed, embedded and signed."""

    reference: str  # "EA-2026-00042"
    form_id: str
    form_version: str
    kind: Kind
    campaign: str
    matricule: str
    employee_name: str
    manager_name: str | None
    company: str
    signature: str  # hex HMAC-SHA256 over reference, matricule, kind, campaign, version
    issued_on: date


# Per-employee values of the pre-filled fields, by field id. Text for text-like
# fields (dates already formatted dd/mm/yyyy), bool for checkboxes.
FormValues = Mapping[str, str | bool]
