"""``entretien generate``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from entretien_forms.campaign import campaign_to_issue
from entretien_forms.cli import AppContext, cli
from entretien_forms.cli.roster import import_roster_file
from entretien_forms.forms.model import KIND_LABELS, KINDS
from entretien_forms.generate import (
    FORMATS,
    GenerationPlan,
    GenerationReport,
    GenerationRequest,
    carry_out,
    plan_forms,
)
from entretien_forms.store import Store
from entretien_forms.text import count
from entretien_forms.workspace import Workspace


def _formats(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    wrong = [f for f in chosen if f not in FORMATS]
    if wrong or not chosen:
        raise click.BadParameter(
            f"formats possibles : {', '.join(FORMATS)} (par exemple docx,pdf)."
        )
    return chosen


@cli.command()
@click.argument(
    "roster", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--kind",
    "kind",
    required=True,
    type=click.Choice(KINDS),
    help="Type d'entretien : annuel, professionnel ou etat_des_lieux.",
)
@click.option("--form", "form_id", help="Id du formulaire, si plusieurs ont ce type.")
@click.option(
    "--campaign",
    help="Nom de la campagne, par exemple « Automne 2026 » (par défaut : [campagne] nom "
    "d'entretien.toml, sinon l'année en cours ; jamais la dernière campagne émise).",
)
@click.option(
    "--format",
    "formats",
    default="docx,pdf",
    show_default=True,
    callback=_formats,
    help="Formats à produire, séparés par des virgules.",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="MATRICULE",
    help="Seulement ce salarié (option répétable).",
)
@click.option("--manager", metavar="MATRICULE", help="Seulement l'équipe de ce responsable.")
@click.option(
    "--force", is_flag=True, help="Réémettre une nouvelle version des formulaires déjà émis."
)
@click.option(
    "--tous",
    "everyone",
    is_flag=True,
    help="Émettre pour tous les salariés actifs, même ceux dont l'entretien n'est pas dû.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Afficher ce qui serait fait, sans rien écrire (et pourquoi chacun est dû ou non).",
)
@click.pass_obj
def generate(
    app: AppContext,
    roster: Path | None,
    kind: str,
    form_id: str | None,
    campaign: str | None,
    formats: tuple[str, ...],
    only: tuple[str, ...],
    manager: str | None,
    force: bool,
    everyone: bool,
    dry_run: bool,
) -> None:
    """Produire le formulaire pré-rempli de chaque salarié (Word et PDF).

    Avec ROSTER, la liste des salariés est d'abord importée ; sinon la dernière
    liste importée est utilisée. Les formulaires vont dans
    outbox/<campagne>/<responsable>/, les PDF à imprimer par équipe dans
    outbox/<campagne>/impression/.

    L'entretien annuel est émis pour tous les salariés actifs. L'entretien
    professionnel et l'état des lieux ne le sont qu'aux salariés dont
    l'entretien est dû dans les 12 mois ([campagne] horizon_mois dans
    entretien.toml), pré-remplis avec leur occasion ; --tous les émet pour
    tous.
    """
    workspace = app.workspace()
    today = date.today()
    roster_errors = False
    if roster is not None:
        roster_errors = import_roster_file(roster, workspace).has_errors
        click.echo("")
    request = GenerationRequest(
        kind=kind,  # type: ignore[arg-type]  # click.Choice guarantees a Kind
        campaign=campaign or campaign_to_issue(workspace.settings, today),
        today=today,
        formats=formats,
        only=only,
        manager=manager,
        force=force,
        form_id=form_id,
        everyone=everyone,
    )
    with Store.open(workspace.database_path) as store:
        plan = plan_forms(workspace, store, request)
        if dry_run:
            for line in plan.lines():
                click.echo(line)
            would = count(len(plan.to_issue), "formulaire serait émis", "formulaires seraient émis")
            click.echo(f"Simulation : {would}, rien n'a été écrit.")
            return
        with click.progressbar(
            length=len(plan.to_issue), label="Génération", show_pos=True, file=sys.stderr
        ) as bar:
            report = carry_out(workspace, store, plan, progress=bar.update)
    print_summary(workspace, plan, report)
    if roster_errors or plan.unknown:
        sys.exit(1)


def print_summary(workspace: Workspace, plan: GenerationPlan, report: GenerationReport) -> None:
    """French end-of-run summary: how many, where, what was skipped and why."""
    request = plan.request
    folder = workspace.outbox / Path(plan.to_issue[0].stem).parts[0] if plan.to_issue else None
    click.echo(
        f"{count(len(report.issued), 'formulaire émis', 'formulaires émis')} "
        f"({KIND_LABELS[request.kind]}, campagne {request.campaign})"
        + (f" dans {folder}" if folder else "")
        + "."
    )
    if plan.not_due and plan.horizon is not None:
        click.echo(
            f"{count(len(plan.not_due), 'salarié', 'salariés')} sans "
            f"{KIND_LABELS[request.kind]} dû d'ici le {plan.horizon:%d/%m/%Y} : rien émis pour "
            "eux (--dry-run pour voir pourquoi, --tous pour émettre quand même)."
        )
    if plan.already_issued:
        click.echo(
            f"{count(len(plan.already_issued), 'salarié ignoré', 'salariés ignorés')} : "
            "formulaire déjà émis pour cette campagne (--force pour en émettre une nouvelle "
            "version)."
        )
    for matricule in plan.unknown:
        click.secho(
            f"Matricule {matricule} introuvable parmi les salariés actifs : rien émis.",
            fg="yellow",
        )
    if report.batches:
        click.echo(
            f"À imprimer : {count(len(report.batches), 'fichier', 'fichiers')} dans "
            f"{report.batches[0].parent} (un par équipe, et tous.pdf)."
        )
    for line in report.batch_skipped:
        click.secho(f"Non imprimé : {line}", fg="yellow")
