"""``entretien init`` and ``entretien demo``."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.cli.generate import print_summary
from entretien_forms.cli.roster import import_roster_file
from entretien_forms.generate import GenerationRequest, carry_out, plan_forms
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.reports.build import build_reports
from entretien_forms.sample import SAMPLE_COMPANY, copy_sample_roster, set_sample_company
from entretien_forms.sample.returns import sample_returns
from entretien_forms.store import Store
from entretien_forms.text import count
from entretien_forms.workspace import InitReport, Workspace, init_workspace, open_workspace

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
    init_report = init_workspace(directory)
    _print_init(init_report)
    if "entretien.toml" in init_report.created:
        set_sample_company(init_report.root / "entretien.toml")
    workspace = open_workspace(directory)
    roster_file = copy_sample_roster(workspace.root)
    click.echo("")
    result = import_roster_file(roster_file, workspace)
    teams: dict[str, int] = {}
    for employee in result.employees:
        teams[employee.manager_matricule or "-"] = (
            teams.get(employee.manager_matricule or "-", 0) + 1
        )
    by_matricule = {e.matricule: e for e in result.employees}
    click.echo("")
    click.echo("Équipes :")
    for manager, size in sorted(teams.items()):
        if manager in by_matricule:
            boss = by_matricule[manager]
            click.echo(f"  {boss.full_name} ({boss.poste}) : {size} salarié(s)")
        else:
            click.echo(f"  sans responsable : {size} salarié(s)")
    click.echo("")
    started = time.perf_counter()
    today = date.today()
    campaign = str(today.year)
    with Store.open(workspace.database_path) as store:
        for kind in ("annuel", "professionnel"):
            request = GenerationRequest(kind=kind, campaign=campaign, today=today)
            plan = plan_forms(workspace, store, request)
            print_summary(workspace, plan, carry_out(workspace, store, plan))
        click.echo("")
        if store.submissions():
            click.echo("Retours déjà reçus lors d'une démonstration précédente : rien de nouveau.")
        else:
            _play_the_managers(workspace, store, campaign, today)
        result_paths = build_reports(workspace, store, campaign=campaign, today=today).workbooks
    click.echo("")
    click.echo(f"Démonstration terminée en {time.perf_counter() - started:.0f} s. À ouvrir :")
    click.echo(f"  formulaires      {workspace.outbox / campaign}")
    click.echo(f"  à imprimer       {workspace.outbox / campaign / 'impression'}")
    click.echo(f"  retours rangés   {workspace.root / 'archive'}")
    click.echo(f"  mis de côté      {workspace.root / 'rejected'}")
    for path in result_paths:
        click.echo(f"  classeur         {path}")
    click.echo(f"Liste d'exemple : {roster_file}")
    click.echo(f"Espace de travail prêt : {workspace.root}")


def _play_the_managers(workspace: Workspace, store: Store, campaign: str, today: date) -> None:
    """Managers return a few forms (Word, PDF, one incomplete, one unreadable), then ingest."""
    issued = store.current_issued(campaign=campaign)
    annual = [
        ("annuel", workspace.outbox / f.docx_path)
        for f in issued
        if f.kind == "annuel" and f.docx_path
    ]
    professional = [
        ("professionnel", workspace.outbox / f.pdf_path)
        for f in issued
        if f.kind == "professionnel" and f.pdf_path
    ]
    returns = sample_returns(annual[:4] + professional[:3], today)
    for name, data in returns:
        (workspace.inbox / name).write_bytes(data)
    click.echo(
        f"Les responsables renvoient {count(len(returns), 'fichier', 'fichiers')} dans "
        f"{workspace.inbox} ; relecture :"
    )
    report = ingest_paths(workspace, store, [workspace.inbox])
    for outcome in report.outcomes:
        click.echo(f"  {outcome.message}")
        for warning in outcome.warnings:
            click.echo(f"          remarque : {warning}")
