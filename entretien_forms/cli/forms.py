"""``entretien forms list|show``."""

from __future__ import annotations

import json

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.forms import Catalog, describe, load_catalog, summary
from entretien_forms.forms.definition import SECTION_OCCASIONS
from entretien_forms.forms.model import KIND_LABELS


def _catalog(app: AppContext) -> Catalog:
    workspace = app.workspace_if_any()
    return load_catalog(workspace.templates_dir if workspace else None)


@cli.group()
def forms() -> None:
    """Consulter les modèles de formulaires (dossier templates/)."""


@forms.command("list")
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON, pour les scripts.")
@click.pass_obj
def list_(app: AppContext, as_json: bool) -> None:
    """Lister les formulaires disponibles (id, type, titre, version)."""
    catalog = _catalog(app)
    if as_json:
        click.echo(json.dumps([summary(f) for f in catalog], ensure_ascii=False, indent=2))
        return
    for form in catalog:
        click.echo(f"{form.id:28} {KIND_LABELS[form.kind]:30} version {form.version}")
        if form.description:
            click.echo(f"{'':28} {form.description}")


@forms.command("show")
@click.argument("form_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON, pour les scripts.")
@click.pass_obj
def show(app: AppContext, form_id: str, as_json: bool) -> None:
    """Afficher les sections et les champs d'un formulaire."""
    workspace = app.workspace_if_any()
    company = workspace.settings.company if workspace else None
    described = describe(
        _catalog(app).get(form_id),
        company=company.name if company else "",
        headcount=company.headcount if company else 0,
    )
    if as_json:
        click.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{described['title']} ({described['id']}, {KIND_LABELS[described['kind']]}, "
        f"version {described['version']})"
    )
    section = None
    for field in described["fields"]:
        if field["section"] != section:
            section = field["section"]
            click.echo(f"\n{section}")
        marks = [field["type"]]
        if field["required"]:
            marks.append("obligatoire")
        if field["locked"]:
            marks.append("verrouillé")
        elif field["prefilled"]:
            marks.append("pré-rempli")
        if field.get("grids"):
            marks.append("grilles : " + ", ".join(field["grids"]))
        if field.get("occasions"):
            marks.append(
                "seulement : " + ", ".join(SECTION_OCCASIONS[o] for o in field["occasions"])
            )
        click.echo(f"  {field['id']:40} {field['label']} ({', '.join(marks)})")
