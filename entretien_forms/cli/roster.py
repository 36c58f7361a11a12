"""``entretien roster check|import``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.errors import RosterError
from entretien_forms.roster import Roster, import_file, read_roster
from entretien_forms.store import ImportReport
from entretien_forms.text import count
from entretien_forms.workspace import Workspace

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.group()
def roster() -> None:
    """Lire et importer la liste des salariés (export Excel ou CSV)."""


@roster.command("check")
@click.argument("file", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON, pour les scripts.")
@click.pass_obj
def check(app: AppContext, file: Path, as_json: bool) -> None:
    """Vérifier un fichier salariés sans rien enregistrer.

    Code de sortie : 0 sans erreur, 1 si des lignes sont en erreur, 2 si le
    fichier ne peut pas être lu comme une liste de salariés.
    """
    workspace = app.workspace_if_any()
    try:
        result = read_roster(file, settings=workspace.settings.roster if workspace else None)
    except RosterError as exc:
        if as_json:
            click.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            click.secho(f"Erreur : {exc}", fg="red", err=True)
        sys.exit(2)
    if as_json:
        summary: dict[str, object] = {
            "employees": len(result.employees),
            "excluded": len(result.excluded),
            "problems": [p.as_dict() for p in result.problems],
        }
        if result.problems_left_off:  # found beyond the problems listed: counted, not listed
            summary["problems_left_off"] = result.problems_left_off
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_roster_summary(result)
    sys.exit(1 if result.has_errors else 0)


@roster.command("import")
@click.argument("file", type=_FILE)
@click.pass_obj
def import_(app: AppContext, file: Path) -> None:
    """Vérifier puis enregistrer les salariés valides dans l'espace de travail.

    Un export plus récent met à jour la liste et garde l'historique (départs,
    dates corrigées). Les lignes en erreur ne sont pas importées (code de sortie 1).
    """
    result = import_roster_file(file, app.workspace())
    sys.exit(1 if result.has_errors else 0)


def import_roster_file(file: Path, workspace: Workspace) -> Roster:
    """``roster.import_file``, then its report printed; for ``roster import``,
    ``generate FILE`` and ``report --roster FILE``."""
    result = import_file(file, workspace)
    print_roster_summary(result.roster)
    print_import_report(result.stored)
    return result.roster


def print_roster_summary(result: Roster) -> None:
    where = f"feuille « {result.sheet} », " if result.sheet else ""
    click.echo(f"Fichier {result.source.name} ({where}en-tête ligne {result.header_row})")
    click.echo(
        f"{count(len(result.employees), 'salarié retenu', 'salariés retenus')}, "
        f"{count(len(result.excluded), 'exclu', 'exclus')}, "
        f"{count(result.error_count, 'erreur', 'erreurs')}, "
        f"{count(result.warning_count, 'avertissement', 'avertissements')}."
    )
    if result.ignored_columns:
        click.echo(
            count(result.ignored_columns, "colonne non reconnue", "colonnes non reconnues")
            + " ignorée(s), jamais recopiée(s)."
        )
    for title, problems, colour in (
        ("Erreurs (lignes non retenues) :", result.errors, "red"),
        ("Avertissements :", result.warnings, "yellow"),
    ):
        if problems:
            click.secho(title, fg=colour)
            for problem in problems:
                click.echo(f"  {problem.describe()}")
    if result.problems_left_off:
        click.echo(
            f"… et {count(result.problems_left_off, 'autre problème', 'autres problèmes')} "
            f"(seuls les {len(result.problems)} premiers sont listés) : corrigez ceux-ci, "
            "puis relancez la vérification."
        )


def print_import_report(report: ImportReport) -> None:
    click.echo(
        f"Import enregistré : {count(len(report.added), 'nouveau salarié', 'nouveaux salariés')}, "
        f"{count(len(report.updated), 'fiche mise à jour', 'fiches mises à jour')}, "
        f"{count(len(report.departed), 'départ', 'départs')}, "
        f"{count(report.unchanged, 'fiche inchangée', 'fiches inchangées')}."
    )
    if report.missing:
        click.secho(
            f"{count(len(report.missing), 'salarié absent', 'salariés absents')} de ce fichier "
            f"mais présents dans l'import précédent : {', '.join(report.missing)}. Ils ne sont "
            "plus considérés comme actifs ; vérifiez qu'ils ont bien quitté l'entreprise.",
            fg="yellow",
        )
