"""Per-employee values of the pre-filled fields, from Jinja2 expressions.

The context mirrors how HR thinks: ``salarie`` (the roster row),
``manager`` (the manager's row, or none), ``campagne``, ``entreprise``, and
what the tool knows of the interview the form is issued for: ``entretien``
(its occasion, deadline and reason) and ``etat_des_lieux`` (the period
examined, the interviews and trainings known in it). Those two are built by
``targeting.py`` from the rules; here they have a blank value with the same
keys, so that a form issued without them (``--kind annuel``, a test, an old
form reprinted) pre-fills nothing rather than failing.
Dates print as dd/mm/yyyy whatever the expression does with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2.exceptions import TemplateError

from entretien_forms.config import CompanySettings
from entretien_forms.errors import FormDefinitionError
from entretien_forms.forms.definition import FormDefinition, TableDef
from entretien_forms.forms.model import FormValues
from entretien_forms.roster import Employee
from entretien_forms.text import fold

_TRUE = {"oui", "true", "vrai", "1", "x"}


class FrenchDate(date):
    """A date that prints the French way inside templates."""

    def __str__(self) -> str:
        return self.strftime("%d/%m/%Y")


def french_date(value: date | None) -> FrenchDate | None:
    """A date as templates get it: printed dd/mm/yyyy however the expression uses it."""
    return None if value is None else FrenchDate(value.year, value.month, value.day)


# What pre-fill expressions see of the interview when the tool does not know it:
# every key ``targeting.interview_scope`` fills, empty (the keys are the contract).
BLANK_INTERVIEW: Mapping[str, Any] = {
    "occasion": "",  # the rules' code: "periodique", "retour_conge"...
    "occasions": [],  # every occasion the interview meets (its topics)
    "libelle": "",  # "entretien de retour"
    "echeance": None,  # due date
    "a_partir_du": None,  # start of its window
    "motif": "",  # the rules' reason, in French
    "type_conge": "",  # the leave's code for a return or before-leave interview
    "conge": "",  # the leave, named: "congé parental d'éducation"
    "a_verifier": "",  # the fact the tool lacks, when it is « à vérifier »
}
BLANK_REVIEW: Mapping[str, Any] = {
    "numero": None,
    "debut": None,  # period examined
    "fin": None,
    "echeance": None,
    "a_partir_du": None,
    "motif": "",
    "entretiens": [],  # held in the period: {date, occasion (short label), libelle}
    "entretiens_manques": [],  # due and not held by their deadline: {echeance, libelle}
    "entretiens_connus": False,  # the whole history of the period is known
    "entretiens_tous_tenus": False,  # known, and none missed
    "resume_entretiens": "",  # the above in one French text, « à compléter » where unknown
    "formations": [],  # followed in the period: {intitule, debut, fin, obligatoire, certifiante}
    "formation": False,  # the rules' criteria (EDL-2), from the trainings known
    "formation_non_obligatoire": False,
    "certification": False,
    "progression": False,
    "resume_criteres": "",  # trainings, certification, progression: « à compléter » if unknown
    "a_verifier": "",
}
BLANK_SCOPE: Mapping[str, Any] = {"entretien": BLANK_INTERVIEW, "etat_des_lieux": BLANK_REVIEW}


@dataclass(frozen=True)
class Campaign:
    nom: str
    annee: int
    date: FrenchDate


def campaign_year(campaign: str, today: date) -> int:
    """The year a campaign is about: the one in its name (« Automne 2026 »), else this year."""
    found = re.search(r"(19|20)\d{2}", campaign)
    return int(found.group()) if found else today.year


def label_context(campaign: str, today: date, company: CompanySettings) -> dict[str, Any]:
    """What a form's labels may use for one campaign, issued or read back alike."""
    return campaign_context(
        campaign, campaign_year(campaign, today), today, company.name, company.headcount
    )


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
        "date_entree": french_date(employee.date_entree),
        "date_naissance": french_date(employee.date_naissance),
        "date_dernier_entretien_pro": french_date(employee.date_dernier_entretien_pro),
        "date_dernier_etat_des_lieux": french_date(employee.date_dernier_etat_des_lieux),
        "date_dernier_entretien_annuel": french_date(employee.date_dernier_entretien_annuel),
        "anciennete": seniority,
        "colonnes": dict(employee.extra),
    }


def prefill_scope(
    employee: Employee,
    manager: Employee | None,
    context: Mapping[str, Any],
    today: date,
    interview: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What pre-fill expressions (and a company's Word template) see for one employee.

    ``interview`` holds ``entretien`` and ``etat_des_lieux`` for the form being
    issued (``targeting.interview_scope``); blank when not known.
    """
    return {
        **context,
        **BLANK_SCOPE,
        **(interview or {}),
        "salarie": _person(employee, today),
        "manager": _person(manager, today),
    }


def prefill_values(
    definition: FormDefinition,
    employee: Employee,
    manager: Employee | None,
    context: Mapping[str, Any],
    today: date,
    interview: Mapping[str, Any] | None = None,
) -> FormValues:
    """Render every pre-fill expression of ``definition`` for one employee."""
    scope = prefill_scope(employee, manager, context, today, interview)
    values: dict[str, str | bool] = {}
    for field in definition.field_defs():
        if field.prefill is None:
            continue
        try:
            text = field.prefill.render(scope).strip()
        except TemplateError as exc:
            raise _failed(definition, field.id, employee, exc) from exc
        if field.type == "checkbox":
            values[field.id] = fold(text) in _TRUE
        elif text and text != "None":
            values[field.id] = text
    for table in definition.table_defs():
        if table.prefill is not None:
            values.update(_table_values(definition, table, scope, employee))
    return values


def reprint_values(
    definition: FormDefinition,
    employee: Employee,
    manager: Employee | None,
    context: Mapping[str, Any],
    today: date,
    issued: Mapping[str, str | bool] | None,
) -> FormValues:
    """What a form printed again later shows: today's roster, the interview as issued.

    The employee and the manager are those of today's roster, like the
    printed header. What came from the rules on the day of issue (the
    occasion, the état des lieux's period and interviews) is kept as issued:
    computed again it could name another occasion than the file the manager
    has. ``issued`` is None for a form issued before the ledger kept its values.
    """
    values = dict(prefill_values(definition, employee, manager, context, today))
    if issued is None:
        return values
    for field in definition.field_defs():
        if field.from_interview:
            values.pop(field.id, None)
            if field.id in issued:
                values[field.id] = issued[field.id]
    for table in definition.table_defs():
        if table.from_interview:
            prefix = f"{table.id}."
            for key in [k for k in values if k.startswith(prefix)]:
                del values[key]
            values.update({k: v for k, v in issued.items() if k.startswith(prefix)})
    return values


def _failed(
    definition: FormDefinition, field_id: str, employee: Employee, exc: Exception
) -> FormDefinitionError:
    return FormDefinitionError(
        f"{definition.source.name}, champ « {field_id} » : le pré-remplissage a échoué "
        f"pour le matricule {employee.matricule} ({exc}). Corrigez l'expression, par "
        "exemple avec « {{ salarie.colonnes.get('CA réalisé', '') }} »."
    )


def _table_values(
    definition: FormDefinition, table: TableDef, scope: Mapping[str, Any], employee: Employee
) -> dict[str, str | bool]:
    """The cells of a table's first rows, from its expression's list of {column id: value}.

    Rows beyond the table's are left out (the form has no room for them; a
    summary field can list them all), as are values for unknown columns.
    """
    assert table.prefill is not None
    try:
        rows = table.prefill(**scope)
        if not isinstance(rows, Iterable) or isinstance(rows, str | Mapping):
            raise TypeError(f"une liste de lignes est attendue, pas « {rows} »")
        values: dict[str, str | bool] = {}
        for number, row in enumerate(list(rows)[: table.rows], start=1):
            if not isinstance(row, Mapping):
                raise TypeError(f"chaque ligne doit associer colonne et valeur, pas « {row} »")
            for column in table.columns:
                value = row.get(column.id)
                cell = f"{table.id}.{number}.{column.id}"
                if column.type == "checkbox":
                    if value is not None and value != "":
                        values[cell] = value is True or fold(str(value)) in _TRUE
                    continue
                text = _cell_text(value)
                if text:
                    values[cell] = text
    except (TemplateError, TypeError) as exc:
        raise _failed(definition, table.id, employee, exc) from exc
    return values


def _cell_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return "oui" if value else ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


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
