"""``entretien courriel``: forms and reminders by e-mail, and the mail password."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.mail.reminders import send_reminders
from entretien_forms.mail.secrets import store_password
from entretien_forms.mail.send import MailReport, send_forms
from entretien_forms.store import Store

_CAMPAIGN_HELP = (
    "Campagne (par défaut : [campagne] nom d'entretien.toml, sinon la dernière campagne émise)."
)
_DRY_RUN_HELP = (
    "N'envoyer rien : écrire chaque message en fichier .eml dans outbox/<campagne>/courriels/ "
    "pour le relire (il s'ouvre dans Outlook, Thunderbird…)."
)


@cli.group("courriel")
def courriel() -> None:
    """Envoyer les formulaires et les relances par courriel (section [courriel])."""


@courriel.command("envoyer")
@click.option("--campaign", help=_CAMPAIGN_HELP)
@click.option(
    "--responsable",
    "manager",
    metavar="MATRICULE",
    help="Seulement l'équipe de ce responsable.",
)
@click.option(
    "--autoevaluation",
    "self_assessment",
    is_flag=True,
    help="Envoyer à chaque salarié son propre formulaire pour préparer l'entretien "
    "(modèle templates/courriel-autoevaluation.txt), au lieu des envois aux responsables.",
)
@click.option("--essai", "dry_run", is_flag=True, help=_DRY_RUN_HELP)
@click.option(
    "--renvoyer",
    "resend",
    is_flag=True,
    help="Envoyer aussi les formulaires déjà envoyés à la même adresse.",
)
@click.pass_obj
def send(
    app: AppContext,
    campaign: str | None,
    manager: str | None,
    self_assessment: bool,
    dry_run: bool,
    resend: bool,
) -> None:
    """Envoyer à chaque responsable les formulaires de son équipe.

    Un message par responsable, avec les formulaires émis (Word et PDF) en
    pièces jointes, rédigé d'après templates/courriel-envoi.txt ; au-delà de
    pieces_jointes_max_mo, l'envoi est réparti en plusieurs messages « (1/2) ».
    Relancer la commande n'envoie pas deux fois le même formulaire : seuls
    partent les messages qui avaient échoué et les formulaires émis depuis.
    """
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:
        report = send_forms(
            workspace,
            store,
            environ=os.environ,
            now=datetime.now(),
            campaign=campaign,
            manager=manager,
            self_assessment=self_assessment,
            dry_run=dry_run,
            resend=resend,
        )
    _print(report)


@courriel.command("relancer")
@click.option("--campaign", help=_CAMPAIGN_HELP)
@click.option("--essai", "dry_run", is_flag=True, help=_DRY_RUN_HELP)
@click.pass_obj
def remind(app: AppContext, campaign: str | None, dry_run: bool) -> None:
    """Relancer les responsables dont des formulaires ne sont pas revenus.

    Un message par responsable, avec la liste des formulaires manquants et la
    date limite (templates/courriel-relance.txt). Jamais deux relances à la
    même adresse en moins de relance_tous_les_jours jours.
    """
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:
        report = send_reminders(
            workspace,
            store,
            environ=os.environ,
            now=datetime.now(),
            campaign=campaign,
            dry_run=dry_run,
        )
    _print(report)


@courriel.command("mot-de-passe")
@click.option(
    "--collecte",
    "collect",
    is_flag=True,
    help="Le mot de passe de la boîte de réception ([courriel.collecte]) plutôt que celui "
    "de l'envoi.",
)
@click.pass_obj
def password(app: AppContext, collect: bool) -> None:
    """Enregistrer le mot de passe du compte de courriel dans le trousseau du système.

    Le mot de passe est demandé sans être affiché, et n'est jamais écrit dans
    entretien.toml ni dans un journal. Sur un serveur sans trousseau, utilisez
    plutôt la variable d'environnement nommée par variable_mot_de_passe.
    """
    settings = app.workspace().settings.mail
    host, user = (
        (settings.collect.host, settings.collect.user or settings.user)
        if collect
        else (settings.host, settings.user)
    )
    section = "[courriel.collecte]" if collect else "[courriel]"
    if not host or not user:
        raise click.ClickException(
            f"Renseignez d'abord serveur et utilisateur dans la section {section} "
            "d'entretien.toml : le mot de passe est rangé sous ce compte."
        )
    secret = click.prompt(
        f"Mot de passe de {user} sur {host}",
        hide_input=True,
        confirmation_prompt="Confirmez le mot de passe",
    )
    store_password(host=host, user=user, password=secret)
    click.echo(f"Mot de passe enregistré dans le trousseau du système pour {user} sur {host}.")


def _print(report: MailReport) -> None:
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(1)
