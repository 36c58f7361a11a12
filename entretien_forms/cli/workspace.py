"""``entretien init`` and ``entretien demo``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.cli.generate import print_summary
from entretien_forms.cli.roster import print_import_report, print_roster_summary
from entretien_forms.sample import SAMPLE_COMPANY, DemoReport, run_demo
from entretien_forms.text import count
from entretien_forms.workspace import InitReport, init_workspace

_DIR = click.Path(file_okay=False, path_type=Path)


@cli.command()
@click.argument("directory", type=_DIR, required=False)
@click.pass_obj
def init(app: AppContext, directory: Path | None) -> None:
    """Créer un espace de travail (réglages, modèles de formulaires, dossiers).

    Relancer la commande complète un espace existant sans jamais écraser un
    fichier que vous avez modifié.
    """
    report = init_workspace(directory or app.workspace_dir)
    _print_init(report)
    click.echo(
        "Prochaine étape : renseignez le nom de l'entreprise et l'effectif dans "
        f"{report.root / 'entretien.toml'}, puis « entretien roster check VOTRE_FICHIER »."
    )


def _print_init(report: InitReport) -> None:
    click.echo(f"Espace de travail : {report.root}")
    for name in report.created:
        click.echo(f"  créé      {name}")
    for name in report.kept:
        click.echo(f"  conservé  {name} (modifié par vous, non écrasé)")
    if report.unchanged:
        click.echo(f"  {len(report.unchanged)} fichier(s) déjà à jour.")


@cli.command()
@click.argument("directory", type=_DIR, default="entretien-demo")
def demo(directory: Path) -> None:
    """Essayer l'outil sur l'entreprise fictive fournie (dossier DIRECTORY).

    Crée l'espace de travail de démonstration, y copie la liste des salariés
    d'exemple, la vérifie, l'importe et prépare les formulaires d'entretien
    annuel et professionnel de chaque salarié (Word, PDF, PDF à imprimer par
    équipe) ; quelques responsables renvoient leurs formulaires remplis (dont un
    incomplet et un fichier illisible), qui sont relus et rangés ; enfin les
    deux classeurs de suivi sont construits.
    """
    click.echo(f"Démonstration avec l'entreprise fictive {SAMPLE_COMPANY}.")
    started = time.perf_counter()
    report = run_demo(directory)
    _print_demo(report, seconds=time.perf_counter() - started)


def _print_demo(report: DemoReport, *, seconds: float) -> None:
    workspace, campaign = report.workspace, report.campaign
    _print_init(report.init)
    click.echo("")
    print_roster_summary(report.imported.roster)
    print_import_report(report.imported.stored)
    click.echo("")
    click.echo("Équipes :")
    for team in report.teams:
        if team.manager is not None:
            boss = team.manager
            click.echo(f"  {boss.full_name} ({boss.poste}) : {team.size} salarié(s)")
        else:
            click.echo(f"  sans responsable : {team.size} salarié(s)")
    click.echo("")
    for plan, issued in report.generations:
        print_summary(workspace, plan, issued)
    click.echo("")
    if report.returns is None:
        click.echo("Retours déjà reçus lors d'une démonstration précédente : rien de nouveau.")
    else:
        click.echo(
            f"Les responsables renvoient {count(report.returns.files, 'fichier', 'fichiers')} "
            f"dans {workspace.inbox} ; relecture :"
        )
        for outcome in report.returns.ingest.outcomes:
            click.echo(f"  {outcome.message}")
            for warning in outcome.warnings:
                click.echo(f"          remarque : {warning}")
    click.echo("")
    click.echo(f"Démonstration terminée en {seconds:.0f} s. À ouvrir :")
    click.echo(f"  formulaires      {workspace.outbox / campaign}")
    click.echo(f"  à imprimer       {workspace.outbox / campaign / 'impression'}")
    click.echo(f"  retours rangés   {workspace.root / 'archive'}")
    click.echo(f"  mis de côté      {workspace.root / 'rejected'}")
    for path in report.workbooks:
        click.echo(f"  classeur         {path}")
    click.echo(f"Liste d'exemple : {report.roster_file}")
    click.echo(f"Espace de travail prêt : {workspace.root}")
