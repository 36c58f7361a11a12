"""``entretien ingest`` and ``entretien export``."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.inbox.export import export_csv, export_json
from entretien_forms.inbox.ingest import Outcome, ingest_paths
from entretien_forms.mail.replies import acknowledge
from entretien_forms.mail.unpack import UnpackReport
from entretien_forms.store import Store
from entretien_forms.text import count


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--failfast",
    is_flag=True,
    help="S'arrêter au premier fichier mis de côté ou en échec ; les suivants restent dans "
    "inbox/ sans être touchés.",
)
@click.option(
    "--forcer-identite",
    "trust_reference",
    is_flag=True,
    help="Rattacher à sa référence un formulaire dont l'identité signée a été retirée, "
    "après avoir vérifié vous-même qu'il s'agit du bon salarié (à n'utiliser que sur ce "
    "fichier).",
)
@click.pass_obj
def ingest(app: AppContext, paths: tuple[Path, ...], failfast: bool, trust_reference: bool) -> None:
    """Relire les formulaires remplis (par défaut : tout le dossier inbox/).

    Chaque fichier est enregistré puis rangé dans archive/<campagne>/<matricule>/,
    ou mis de côté dans rejected/ avec un .txt qui dit pourquoi et quoi faire ;
    une ligne par fichier, affichée dès qu'il est traité. Un fichier déjà reçu
    (mêmes octets) n'est pas compté deux fois : sa copie va dans rejected/ avec
    une note « rien à faire ».

    \b
    Code de sortie :
      0  tout est enregistré (ou déjà reçu, ou rien à faire) ;
      1  au moins un fichier mis de côté dans rejected/ (lire son .txt) ;
      3  au moins un fichier non traité : disque plein, droits, ou erreur
         inattendue (le message dit où sont les détails).
    """
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:

        def reply(message: UnpackReport, outcomes: list[Outcome]) -> None:
            sent = acknowledge(
                workspace, store, message, outcomes, environ=os.environ, now=datetime.now()
            )
            if sent is not None and sent.status == "envoye":
                click.echo(f"          accusé de réception envoyé à {sent.recipient}")
            elif sent is not None:
                click.echo(f"          accusé de réception non envoyé : {sent.error}", err=True)

        report = ingest_paths(
            workspace,
            store,
            list(paths) or [workspace.inbox],
            on_outcome=_show,
            failfast=failfast,
            trust_reference=trust_reference,
            on_message=reply,
        )
    ok = sum(o.returns for o in report.outcomes if o.status == "ok")
    rejected = report.count("rejected")
    duplicates, failed = report.count("duplicate"), report.count("failed")
    parts = [
        count(ok, "formulaire enregistré", "formulaires enregistrés"),
        count(rejected, "fichier mis de côté", "fichiers mis de côté")
        + (f" (voir {workspace.root / 'rejected'})" if rejected else ""),
    ]
    if duplicates:
        parts.append(count(duplicates, "déjà reçu", "déjà reçus"))
    if failed:
        parts.append(count(failed, "échec", "échecs"))
    click.echo(", ".join(parts) + ".")
    if report.not_processed:
        click.secho(
            "Arrêt avant la fin : "
            + count(
                len(report.not_processed),
                "fichier non traité, laissé tel quel dans inbox/",
                "fichiers non traités, laissés tels quels dans inbox/",
            )
            + " : relancez « entretien ingest » une fois le problème réglé.",
            fg="yellow",
        )
    if report.exit_code:
        sys.exit(report.exit_code)


_COLOURS = {"rejected": "red", "failed": "red", "duplicate": "yellow"}


def _show(outcome: Outcome) -> None:
    """One file's line, as soon as it is known."""
    if outcome.status == "ignored":
        return
    click.secho(outcome.message, fg=_COLOURS.get(outcome.status))
    for warning in outcome.warnings:
        click.echo(f"          remarque : {warning}")


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
