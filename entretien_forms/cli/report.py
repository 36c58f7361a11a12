"""``entretien report``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from entretien_forms.campaign import current_campaign
from entretien_forms.cli import AppContext, cli
from entretien_forms.cli.options import as_of_option
from entretien_forms.cli.roster import import_roster_file
from entretien_forms.reports.build import build_reports
from entretien_forms.store import Store
from entretien_forms.text import count

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.command()
@click.option("--roster", "roster", type=_FILE, help="Importer d'abord cette liste des salariés.")
@click.option(
    "--campaign",
    help="Campagne du plan de formation (par défaut : [campagne] nom d'entretien.toml, "
    "sinon la dernière campagne émise, sinon l'année en cours).",
)
@click.option(
    "--formations",
    "trainings",
    type=_FILE,
    help="Tableau des formations tenu par les RH (sinon formations.xlsx/.csv s'il existe).",
)
@click.option(
    "--absences",
    "absences",
    type=_FILE,
    help="Tableau des absences (sinon absences.xlsx/.csv s'il existe).",
)
@click.option(
    "--abondements",
    "topups",
    type=_FILE,
    help="Abondements correctifs déjà versés (sinon abondements.xlsx/.csv s'il existe).",
)
@click.option(
    "--historique",
    "history",
    type=_FILE,
    help="Historique des entretiens passés tenu par les RH (sinon historique.xlsx/.csv s'il "
    "existe).",
)
@as_of_option
@click.pass_obj
def report(
    app: AppContext,
    roster: Path | None,
    campaign: str | None,
    trainings: Path | None,
    absences: Path | None,
    topups: Path | None,
    history: Path | None,
    as_of: date | None,
) -> None:
    """Construire les deux classeurs Excel dans outbox/.

    plan-developpement-competences-<campagne>.xlsx (demandes de formation,
    synthèse, matrice de compétences, engagements) et suivi-entretiens.xlsx
    (échéances légales par salarié, états des lieux, campagne, synthèse CSE).
    """
    workspace = app.workspace()
    today = as_of or date.today()
    if roster is not None:
        import_roster_file(roster, workspace)
        click.echo("")
    with Store.open(workspace.database_path) as store:
        result = build_reports(
            workspace,
            store,
            campaign=campaign or current_campaign(workspace.settings, store, today),
            today=today,
            trainings_file=trainings,
            absences_file=absences,
            topups_file=topups,
            history_file=history,
        )
    for sheet in result.sheets:
        where = f" (feuille « {sheet.sheet} »)" if sheet.sheet else ""
        kept = count(len(sheet.records), "ligne retenue", "lignes retenues")
        click.echo(
            f"{sheet.source.name}{where} : {kept}, "
            f"{count(len(sheet.errors), 'erreur', 'erreurs')}, "
            f"{count(len(sheet.warnings), 'avertissement', 'avertissements')}."
        )
        for problem in sheet.problems:
            click.echo(f"  {problem.describe()}")
    for path in result.workbooks:
        click.echo(f"Classeur écrit : {path}")
        if path in result.copies:
            click.echo(
                f"  {result.copies[path].name} est ouvert (sans doute dans Excel) : la nouvelle "
                "version porte la date du jour. Fermez-le : la prochaine mise à jour "
                "reprendra son nom."
            )
