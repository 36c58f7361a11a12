"""Per-employee values of the pre-filled fields, from Jinja2 expressions.

The context mirrors how HR thinks: ``salarie`` (the roster row),
``manager`` (the manager's row, or none), ``campagne`` and ``entreprise``.
Dates print as dd/mm/yyyy whatever the expression does with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2.exceptions import TemplateError

from entretien_forms.errors import FormDefinitionError
from entretien_forms.forms.definition import FormDefinition
from entretien_forms.forms.model import FormValues
from entretien_forms.roster import Employee
from entretien_forms.text import fold

_TRUE = {"oui", "true", "vrai", "1", "x"}


class FrenchDate(date):
    """A date that prints the French way inside templates."""

    def __str__(self) -> str:
        return self.strftime("%d/%m/%Y")


def _fr(value: date | None) -> FrenchDate | None:
    return None if value is None else FrenchDate(value.year, value.month, value.day)


@dataclass(frozen=True)
class Campaign:
    nom: str
    annee: int
    date: FrenchDate


def campaign_context(
    name: str, year: int, today: date, company: str, headcount: int
) -> dict[str, Any]:
    """What labels may use: the same for every employee of a run."""
    return {
        "campagne": Campaign(name, year, FrenchDate(today.year, today.month, today.day)),
        "entreprise": {"nom": company, "effectif": headcount},
    }


def _person(employee: Employee | None, today: date) -> dict[str, Any] | None:
    if employee is None:
        return None
    seniority = None
    if employee.date_entree:
        seniority = (
            today.year
            - employee.date_entree.year
            - ((today.month, today.day) < (employee.date_entree.month, employee.date_entree.day))
        )
    return {
        "matricule": employee.matricule,
        "nom": employee.nom,
        "prenom": employee.prenom,
        "nom_complet": employee.full_name,
        "poste": employee.poste,
        "service": employee.service or "",
        "email": employee.email or "",
        "type_contrat": employee.type_contrat or "",
        "temps_partiel": employee.temps_partiel,
        "date_entree": _fr(employee.date_entree),
        "date_naissance": _fr(employee.date_naissance),
        "date_dernier_entretien_pro": _fr(employee.date_dernier_entretien_pro),
        "date_dernier_entretien_annuel": _fr(employee.date_dernier_entretien_annuel),
        "anciennete": seniority,
        "colonnes": dict(employee.extra),
    }


def prefill_scope(
    employee: Employee, manager: Employee | None, context: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """What pre-fill expressions (and a company's Word template) see for one employee."""
    return {**context, "salarie": _person(employee, today), "manager": _person(manager, today)}


def prefill_values(
    definition: FormDefinition,
    employee: Employee,
    manager: Employee | None,
    context: Mapping[str, Any],
    today: date,
) -> FormValues:
    """Render every pre-fill expression of ``definition`` for one employee."""
    scope = prefill_scope(employee, manager, context, today)
    values: dict[str, str | bool] = {}
    for field in definition.field_defs():
        if field.prefill is None:
            continue
        try:
            text = field.prefill.render(scope).strip()
        except TemplateError as exc:
            raise FormDefinitionError(
                f"{definition.source.name}, champ « {field.id} » : le pré-remplissage a échoué "
                f"pour le matricule {employee.matricule} ({exc}). Corrigez l'expression, par "
                "exemple avec « {{ salarie.colonnes.get('CA réalisé', '') }} »."
            ) from exc
        if field.type == "checkbox":
            values[field.id] = fold(text) in _TRUE
        elif text and text != "None":
            values[field.id] = text
    return values


def grid_for(poste: str, job_grids: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The skills grid of a job title: first grid with a keyword in the title."""
    folded = fold(poste)
    for grid, keywords in job_grids:
        for keyword in keywords:
            # Match at a word start so "commercial" finds "Commerciale sédentaire"
            # but "sdr" does not find "lsdr".
            if fold(keyword) and re.search(rf"(?<![a-z0-9]){re.escape(fold(keyword))}", folded):
                return grid
    return None
