"""``entretien watch``: the service that takes every form dropped into inbox/.

The watcher (``inbox/watch.py``) decides when a file is ready; this module
plugs ``ingest_file`` into it and turns outcomes into one timestamped French
line each, for the terminal or the service journal. Stopping is cooperative:
SIGINT/SIGTERM only set a flag, the file in progress is finished, and the exit
code is 0, so that systemd's ``Restart=on-failure`` only restarts real crashes.
"""

from __future__ import annotations

import io
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import FrameType

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.errors import EntretienError, WorkspaceError
from entretien_forms.inbox.ingest import Inbox, Outcome, ingest_file
from entretien_forms.inbox.watch import InboxWatcher
from entretien_forms.reports.build import build_reports
from entretien_forms.store import Store
from entretien_forms.text import count
from entretien_forms.workspace import Workspace

_LOGGER = logging.getLogger(__name__)

# Ctrl-C, ``systemctl stop`` / ``docker stop``, and Ctrl-Break on Windows (what a
# console sends a program to stop it when Ctrl-C is disabled).
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)
# A file must stay unchanged this long before it is read; on a network share the
# sizes other machines see may lag, so polling waits at least one interval.
_STABLE_SECONDS = 1.0
_LOCK_FILE = "watch.lock"


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
@click.pass_obj
def watch(app: AppContext, polling: bool, interval: float | None) -> None:
    """Surveiller inbox/ et traiter chaque formulaire déposé, jusqu'à l'arrêt.

    Chaque fichier, une fois entièrement copié, est enregistré puis rangé dans
    archive/, ou mis de côté dans rejected/ avec un .txt qui dit pourquoi ; les
    fichiers déjà présents au démarrage sont traités d'abord. Une ligne par
    fichier, horodatée. Ctrl-C ou SIGTERM arrêtent proprement (le fichier en
    cours est terminé). Installation comme service : docs/service.md.
    """
    workspace = app.workspace()
    settings = workspace.settings.inbox
    polling = polling or settings.polling
    if interval is None:
        interval = float(settings.poll_interval_s) or 2.0
    # Fail now, in French, if the database cannot be opened (newer version...),
    # rather than once per file in the worker.
    with Store.open(workspace.database_path):
        pass
    with _single_instance(workspace):
        # Finish what a killed run left (stored, not yet filed) before anything new.
        with Store.open(workspace.database_path) as store:
            for outcome in Inbox(workspace, store).recover():
                _echo(outcome.message)
        _serve(workspace, polling=polling, interval=interval)


def _serve(workspace: Workspace, *, polling: bool, interval: float) -> None:
    for stream in (sys.stdout, sys.stderr):
        # Redirected to a file on Windows, output is cp1252, which has no "→": a
        # log line must never stop the service, so unknown characters become "?".
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    service = _Service(workspace)
    stop = threading.Event()
    watcher = InboxWatcher(
        workspace.inbox,
        service.process,
        service.end_batch,
        polling=polling,
        poll_interval=interval,
        stable_seconds=max(_STABLE_SECONDS, interval) if polling else _STABLE_SECONDS,
        log=_echo,
        on_worker_exit=service.close,
    )
    mode = f"scrutation toutes les {interval:g} s" if polling else "notifications du système"
    _echo(f"Surveillance de {workspace.inbox} ({mode}). Arrêt : Ctrl-C.")
    with _stop_on_signals(stop):
        watcher.run(stop)
    _echo("Service arrêté.")


class _Service:
    """What the watcher calls in its worker thread, which alone touches the store."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._store: Store | None = None  # opened in the worker: SQLite is per thread
        self._batch: list[Outcome] = []

    def process(self, path: Path) -> Outcome:
        if self._store is None:
            self._store = Store.open(self.workspace.database_path)
        outcome = ingest_file(self.workspace, self._store, path)
        self._batch.append(outcome)
        _echo(outcome.message, fg="red" if outcome.status == "rejected" else None)
        return outcome

    def end_batch(self) -> None:
        ok = sum(1 for o in self._batch if o.status == "ok")
        rejected = sum(1 for o in self._batch if o.status == "rejected")
        _echo(
            f"Lot traité : {count(len(self._batch), 'fichier', 'fichiers')} "
            f"({count(ok, 'enregistré', 'enregistrés')}, {rejected} mis de côté)."
        )
        self._batch.clear()
        rebuild_reports(self.workspace)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def rebuild_reports(workspace: Workspace) -> None:
    """Rebuild both workbooks of outbox/ once per batch, not once per file.

    A drop of 300 forms would otherwise rebuild them 300 times. A failure (the
    workbook open in Excel, say) is logged and never stops the service: the
    next batch tries again.
    """
    try:
        with Store.open(workspace.database_path) as store:
            today = date.today()
            result = build_reports(workspace, store, campaign=str(today.year), today=today)
    except EntretienError as exc:
        _echo(f"Classeurs non mis à jour : {exc}", fg="yellow")
        return
    names = ", ".join(path.name for path in result.workbooks)
    _echo(f"Classeurs mis à jour : {names}.")
    for copy, original in result.copies.items():
        _echo(
            f"{original.name} est ouvert (sans doute dans Excel) : version à jour dans "
            f"{copy.name}.",
            fg="yellow",
        )


_ECHO_LOCK = threading.Lock()


def _echo(message: str, fg: str | None = None) -> None:
    """One timestamped line; several threads log, so lines are written whole."""
    with _ECHO_LOCK:
        click.secho(f"{datetime.now():%H:%M:%S} {message}", fg=fg)


@contextmanager
def _single_instance(workspace: Workspace) -> Iterator[None]:
    """Refuse a second watcher on the same workspace (say, the service plus a manual run).

    Two watchers would both pick up each file dropped. The lock is held by the
    operating system, so it is released even when the process is killed.
    """
    path = workspace.state_dir / _LOCK_FILE
    with path.open("a+b") as handle:
        handle.seek(0)  # Windows locks bytes from the current position
        try:
            _lock(handle.fileno())
        except OSError as exc:
            raise WorkspaceError(
                f"Un autre « entretien watch » surveille déjà l'espace de travail "
                f"{workspace.root}. Un seul à la fois : arrêtez l'autre (service ou fenêtre "
                "ouverte) avant d'en lancer un nouveau."
            ) from exc
        yield


def _lock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Turn stop signals into ``stop.set()`` while the service runs.

    The handler only sets the flag (printing from a signal handler can
    collide with a write in progress); the watcher says it is stopping.
    """

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
