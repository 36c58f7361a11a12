"""``entretien ingest`` and ``entretien export``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.inbox.export import export_csv, export_json
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.store import Store
from entretien_forms.text import count


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def ingest(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Relire les formulaires remplis (par défaut : tout le dossier inbox/).

    Chaque fichier est enregistré puis rangé dans archive/<campagne>/<matricule>/,
    ou mis de côté dans rejected/ avec un .txt qui dit pourquoi et quoi faire.
    Code de sortie 1 si un fichier a été mis de côté.
    """
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, list(paths) or [workspace.inbox])
    for outcome in report.outcomes:
        if outcome.status == "ignored":
            continue
        click.secho(outcome.message, fg="red" if outcome.status == "rejected" else None)
        for warning in outcome.warnings:
            click.echo(f"          remarque : {warning}")
    ok, rejected = report.count("ok"), report.count("rejected")
    click.echo(
        f"{count(ok, 'formulaire enregistré', 'formulaires enregistrés')}, "
        f"{count(rejected, 'fichier mis de côté', 'fichiers mis de côté')}"
        + (f" (voir {workspace.root / 'rejected'})" if rejected else "")
        + "."
    )
    if rejected:
        sys.exit(1)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json pour les intégrations, csv pour Excel.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier à écrire (par défaut : la sortie standard).",
)
@click.pass_obj
def export(app: AppContext, fmt: str, output: Path | None) -> None:
    """Exporter les formulaires reçus (les derniers en date) et leurs réponses."""
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:
        text = export_json(store) if fmt == "json" else export_csv(store)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        click.echo(f"Export écrit dans {output}.", err=True)
