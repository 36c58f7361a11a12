"""``entretien courriel collecter``: the replies of the collecting mailbox into inbox/."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from entretien_forms.cli import AppContext
from entretien_forms.cli.mail import courriel
from entretien_forms.mail.collect import collect_mailbox
from entretien_forms.store import Store


@courriel.command("collecter")
@click.pass_obj
def collect(app: AppContext) -> None:
    """Relever la boîte des retours (section [courriel.collecte]) une fois.

    Chaque nouveau courriel du dossier est déposé dans inbox/ (fichier .eml),
    puis rangé sur le serveur dans le dossier des traités ; ses pièces jointes
    sont lues par « entretien ingest » ou par « entretien watch ». Un courriel
    déjà relevé n'est jamais déposé deux fois.
    """
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:
        report = collect_mailbox(workspace, store, datetime.now(), environ=os.environ)
    for line in report.lines():
        click.echo(line)
    dropped = report.count("depose")
    if not report.items:
        click.echo(f"Aucun nouveau courriel dans « {report.folder} ».")
    elif dropped:
        click.echo(
            f"{dropped} courriel(s) déposé(s) dans inbox/ : lancez « entretien ingest » pour "
            "lire leurs pièces jointes (ou laissez tourner « entretien watch »)."
        )
    sys.exit(report.exit_code)
