"""``entretien watch``: options in, timestamped French lines out.

The service itself (lock, recovery, signals, the loop, the workbooks) is
``inbox/service.py``; this module builds it from the options and prints each
``Notice`` it reports.
"""

from __future__ import annotations

import io
import sys
import threading
from datetime import datetime

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.inbox.service import STABLE_SECONDS, Notice, WatchService, stop_on_signals

_COLOURS = {"info": None, "warning": "yellow", "error": "red"}


@cli.command()
@click.option(
    "--polling",
    is_flag=True,
    help="Regarder le dossier à intervalle régulier au lieu d'attendre les notifications du "
    "système : nécessaire quand inbox/ est sur un partage réseau (Windows, NAS). "
    "Réglable aussi dans entretien.toml, [retours] scrutation.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    metavar="SECONDES",
    help="Intervalle de scrutation avec --polling (défaut : [retours] intervalle_scrutation_s "
    "d'entretien.toml, 2 secondes).",
)
@click.option(
    "--stable",
    type=click.FloatRange(min=0.05),
    default=STABLE_SECONDS,
    metavar="SECONDES",
    help="Un fichier n'est lu qu'après être resté inchangé pendant ce temps (défaut : 1 "
    "seconde ; avec --polling, au moins l'intervalle). Allongez-le si des fichiers sont lus "
    "avant la fin de leur copie.",
)
@click.pass_obj
def watch(app: AppContext, polling: bool, interval: float | None, stable: float) -> None:
    """Surveiller inbox/ et traiter chaque formulaire déposé, jusqu'à l'arrêt.

    Chaque fichier, une fois entièrement copié, est enregistré puis rangé dans
    archive/, ou mis de côté dans rejected/ avec un .txt qui dit pourquoi ; les
    fichiers déjà présents au démarrage sont traités d'abord. Une ligne par
    fichier, horodatée ; après chaque lot, les classeurs de outbox/ sont refaits
    pour la campagne en cours ([campagne] nom d'entretien.toml, sinon la
    dernière émise). Ctrl-C ou SIGTERM arrêtent proprement (le fichier en cours
    est terminé, code de sortie 0). Installation comme service : docs/service.md.
    """
    workspace = app.workspace()
    for stream in (sys.stdout, sys.stderr):
        # Redirected to a file on Windows, output is cp1252, which has no "→": a
        # log line must never stop the service, so unknown characters become "?".
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    service = WatchService(
        workspace,
        polling=polling or None,
        poll_interval=interval,
        stable_seconds=stable,
        report=_print,
    )
    with stop_on_signals(service.stop):
        service.run()


_PRINT_LOCK = threading.Lock()


def _print(notice: Notice) -> None:
    """One timestamped line; two threads report, so lines are written whole."""
    with _PRINT_LOCK:
        click.secho(f"{datetime.now():%H:%M:%S} {notice.message}", fg=_COLOURS[notice.level])
