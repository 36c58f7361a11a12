"""The forms a workspace offers: its ``templates/`` folder, else the built-in ones.

HR edits the copies in ``templates/``; the built-in definitions shipped in the
package are what ``init`` copies there and what a fresh workspace falls back
on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from entretien_forms.errors import FormDefinitionError, UnknownFormError
from entretien_forms.forms.definition import (
    COMMON_GRID,
    FormDefinition,
    TableDef,
    load_definition,
)
from entretien_forms.forms.model import KIND_LABELS, KINDS, Table
from entretien_forms.forms.prefill import campaign_context


@dataclass(frozen=True)
class Catalog:
    forms: Mapping[str, FormDefinition]

    def __iter__(self) -> Iterator[FormDefinition]:
        return iter(sorted(self.forms.values(), key=lambda f: (KINDS.index(f.kind), f.id)))

    def get(self, form_id: str) -> FormDefinition:
        if form_id not in self.forms:
            known = ", ".join(sorted(self.forms)) or "aucun"
            raise UnknownFormError(
                f"Formulaire « {form_id} » introuvable (formulaires disponibles : {known}). "
                "Voir « entretien forms list »."
            )
        return self.forms[form_id]

    def for_kind(self, kind: str, form_id: str | None = None) -> FormDefinition:
        """The form to use for ``kind``; ``form_id`` decides when several exist."""
        if form_id is not None:
            definition = self.get(form_id)
            if definition.kind != kind:
                raise UnknownFormError(
                    f"Le formulaire « {form_id} » est un {KIND_LABELS[definition.kind]}, pas un "
                    f"{KIND_LABELS.get(kind, kind)}."
                )
            return definition
        matching = [f for f in self if f.kind == kind]
        if not matching:
            raise UnknownFormError(
                f"Aucun formulaire de type « {kind} » dans templates/. Relancez « entretien init » "
                "pour retrouver les modèles fournis."
            )
        if len(matching) > 1:
            ids = ", ".join(f.id for f in matching)
            raise UnknownFormError(
                f"Plusieurs formulaires de type « {kind} » ({ids}) : choisissez avec --form ID."
            )
        return matching[0]


def builtin_directory() -> Path:
    return Path(str(resources.files("entretien_forms") / "templates"))


def load_catalog(templates_dir: Path | None = None) -> Catalog:
    """Load every ``*.toml`` of ``templates_dir`` (the built-ins if it has none)."""
    files = sorted(templates_dir.glob("*.toml")) if templates_dir and templates_dir.is_dir() else []
    if not files:
        files = sorted(builtin_directory().glob("*.toml"))
    forms: dict[str, FormDefinition] = {}
    for path in files:
        definition = load_definition(path)
        if definition.id in forms:
            raise FormDefinitionError(
                f"{path.name} : l'id « {definition.id} » est déjà celui de "
                f"{forms[definition.id].source.name} ; chaque formulaire doit avoir son id."
            )
        forms[definition.id] = definition
    return Catalog(forms)


def summary(definition: FormDefinition) -> dict[str, Any]:
    return {
        "id": definition.id,
        "kind": definition.kind,
        "title": definition.title_source,
        "version": definition.version,
    }


def describe(
    definition: FormDefinition, *, company: str = "", headcount: int = 0
) -> dict[str, Any]:
    """The JSON contract of ``forms show --json``, relied on by integrators.

    Fields of a skills grid are listed for every grid, each with the grids
    where it appears; labels are rendered for the current year.
    """
    today = date.today()
    context = campaign_context(str(today.year), today.year, today, company, headcount)
    grids: list[str | None] = [g for g in definition.grids if g != COMMON_GRID] or [None]
    fields: dict[str, dict[str, Any]] = {}
    for grid in grids:
        layout = definition.layout(grid, context)
        # Every section is in the layout (no occasion given), in the definition's order.
        for source, section in zip(definition.sections, layout.sections, strict=True):
            for item in section.items:
                cells = item.fields if isinstance(item, Table) else (item,)
                for field in cells:
                    entry = fields.get(field.id)
                    if entry is None:
                        entry = fields[field.id] = {
                            "id": field.id,
                            "label": field.label,
                            "type": field.type,
                            "required": field.required,
                            "options": list(field.options),
                            "scale": list(field.scale),
                            "scale_labels": list(field.scale_labels),
                            "prefilled": field.prefilled,
                            "locked": field.locked,
                            "section": section.title,
                            # Only on the forms issued for these occasions; []: on every form.
                            "occasions": list(source.occasions),
                            "table": item.id if isinstance(item, Table) else None,
                        }
                        if _in_skills_table(definition, item):
                            entry["grids"] = []
                    if "grids" in entry and grid is not None and grid not in entry["grids"]:
                        entry["grids"].append(grid)
    return {
        **summary(definition),
        "title": definition.title.render(context),
        "description": definition.description,
        "roster_columns": list(definition.roster_columns),
        "grids": {name: [s.id for s in skills] for name, skills in definition.grids.items()},
        "fields": list(fields.values()),
    }


def _in_skills_table(definition: FormDefinition, item: object) -> bool:
    if not isinstance(item, Table):
        return False
    return any(
        isinstance(i, TableDef) and i.skills and i.id == item.id
        for s in definition.sections
        for i in s.items
    )
