"""The watch service: what ``entretien watch`` runs, without the terminal.

The watcher (``watch.py``) only decides when a dropped file is ready; this
module makes a service of it: one instance per workspace (a lock held by the
operating system), recovery of what a killed run left, each ready file taken
through the inbox's steps, the workbooks rebuilt once per batch for the
current campaign, and a stop that always ends the run. It prints nothing: every
line for the person watching goes to ``report`` as a ``Notice``, which the CLI
prints with the time and a colour, and a test simply collects.

Stopping is cooperative and safe from a signal handler: ``stop()`` only sets
flags and wakes the waiting threads (see ``InboxWatcher.stop``); the file in
progress is finished, and ``run`` returns normally, so that the command exits
with 0 and systemd's ``Restart=on-failure`` only restarts real crashes.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Literal

from entretien_forms.campaign import current_campaign
from entretien_forms.errors import EntretienError, WorkspaceError
from entretien_forms.inbox.ingest import Inbox
from entretien_forms.inbox.model import Outcome, Status
from entretien_forms.inbox.watch import InboxWatcher
from entretien_forms.mail.unpack import UnpackReport
from entretien_forms.reports.build import ReportResult, build_reports
from entretien_forms.store import Store
from entretien_forms.text import count
from entretien_forms.workspace import Workspace

__all__ = [
    "STABLE_SECONDS",
    "STOP_SIGNALS",
    "Notice",
    "WatchService",
    "stop_on_signals",
]

_LOGGER = logging.getLogger(__name__)

# Ctrl-C, ``systemctl stop`` / ``docker stop``, and Ctrl-Break on Windows (what a
# console sends a program to stop it when Ctrl-C is disabled).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)
# A file must stay unchanged this long before it is read. On a network share the
# sizes other machines see may lag, so with polling it is at least one interval.
STABLE_SECONDS = 1.0
# Used when neither the command line nor entretien.toml gives an interval.
_POLL_INTERVAL_SECONDS = 2.0
_LOCK_FILE = "watch.lock"

Level = Literal["info", "warning", "error"]
"""How a line is shown: as is, as a warning (yellow), as a problem (red)."""

# How often the watcher looks whether reminders are due (they say themselves how often
# at most each manager gets one: [courriel] relance_tous_les_jours).
_REMINDER_CHECK_SECONDS = 3600.0

_LEVELS: dict[Status, Level] = {
    "ok": "info",
    "duplicate": "info",
    "ignored": "info",
    "rejected": "error",
    "failed": "error",
}


@dataclass(frozen=True)
class Notice:
    """One French line for the person watching the service, and how serious it is."""

    message: str
    level: Level = "info"
    outcome: Outcome | None = None  # when the line tells what became of one file


def _log_notice(notice: Notice) -> None:
    """The default ``report``: the service's lines in the log, for library callers."""
    level = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
    _LOGGER.log(level[notice.level], "%s", notice.message)


TemplatesState = frozenset[tuple[str, int, int]]
"""Name, size and modification time (ns) of each file of ``templates/``."""


def templates_state(folder: Path) -> TemplatesState:
    """What changes when a template is edited, added or removed; cheap enough per file.

    A few ``stat`` calls: far cheaper than loading the catalogue again, which
    is only done when this changes.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return frozenset()  # no templates/: the built-in forms, which do not change
    state = set()
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            state.add((entry.name, info.st_size, info.st_mtime_ns))
    return frozenset(state)


class WatchService:
    """Takes every form dropped into the workspace's inbox until ``stop()`` is called.

    ``polling`` and ``poll_interval`` default to ``[retours]`` of
    ``entretien.toml``. ``report`` receives every line (``Notice``), from the
    calling thread and from the worker thread: it must be thread-safe.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        polling: bool | None = None,
        poll_interval: float | None = None,
        stable_seconds: float = STABLE_SECONDS,
        rescan_seconds: float = 60.0,
        quiet_seconds: float = 2.0,
        report: Callable[[Notice], object] = _log_notice,
        mail: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        # E-mail ([courriel]): collect the mailbox, send reminders, acknowledge returns.
        self.mail = mail
        self._environ = os.environ if environ is None else environ
        self._mail_stopping = False
        self._mail_wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        settings = workspace.settings.inbox
        self.polling = settings.polling if polling is None else polling
        if poll_interval is None:
            poll_interval = float(settings.poll_interval_s) or _POLL_INTERVAL_SECONDS
        self.poll_interval = poll_interval
        self._report = report
        self._watcher = InboxWatcher(
            workspace.inbox,
            self._process,
            self._end_batch,
            polling=self.polling,
            poll_interval=poll_interval,
            stable_seconds=max(stable_seconds, poll_interval) if self.polling else stable_seconds,
            rescan_seconds=rescan_seconds,
            quiet_seconds=quiet_seconds,
            log=self._info,
            on_worker_exit=self._close,
        )
        # Worker thread only: an SQLite connection belongs to the thread that opened it.
        self._store: Store | None = None
        self._inbox: Inbox | None = None
        self._templates: TemplatesState | None = None
        self._batch: list[Outcome] = []

    def stop(self) -> None:
        """End ``run`` after the file in progress; safe from another thread or a signal handler."""
        self._mail_stopping = True
        self._mail_wake.put(None)  # SimpleQueue.put: safe in a signal handler
        self._watcher.stop()

    def run(self) -> None:
        """Serve until ``stop()``; an ``EntretienError`` (in French) if it cannot start.

        Refused when another service watches the same workspace, or when the
        database cannot be opened (a newer version of the tool): said once,
        now, rather than once per file by the worker.
        """
        with _single_instance(self.workspace):
            # Finish what a killed run left (stored, not yet filed) before anything new;
            # opening the database here also says now if it cannot be opened.
            with Store.open(self.workspace.database_path) as store:
                for outcome in Inbox(self.workspace, store).recover():
                    self._tell(outcome)
            mode = (
                f"scrutation toutes les {self.poll_interval:g} s"
                if self.polling
                else "notifications du système"
            )
            self._info(f"Surveillance de {self.workspace.inbox} ({mode}). Arrêt : Ctrl-C.")
            mail = self.workspace.settings.mail
            mail_thread = None
            if self.mail and (mail.collect.host or mail.host):
                mail_thread = threading.Thread(
                    target=self._mail_loop, name="entretien-courriel", daemon=True
                )
                mail_thread.start()
                if mail.collect.host:
                    self._info(
                        f"Relève de la boîte {mail.collect.user or mail.collect.host} toutes les "
                        f"{mail.collect.poll_seconds} s."
                    )
            try:
                self._watcher.run()
            finally:
                if mail_thread is not None:
                    self._mail_stopping = True
                    self._mail_wake.put(None)
                    mail_thread.join(timeout=60)
            self._info("Service arrêté.")

    def rebuild_reports(self, *, today: date | None = None) -> ReportResult | None:
        """Rebuild both workbooks of outbox/ for the current campaign; None if it failed.

        Called once per batch, not once per file: a drop of 300 forms would
        otherwise rebuild them 300 times. A failure (the database busy, a
        broken HR sheet) is reported and never stops the service: the next
        batch tries again.
        """
        today = today or date.today()
        try:
            with Store.open(self.workspace.database_path) as store:
                campaign = current_campaign(self.workspace.settings, store, today)
                result = build_reports(self.workspace, store, campaign=campaign, today=today)
        except EntretienError as exc:
            self._report(Notice(f"Classeurs non mis à jour : {exc}", "warning"))
            return None
        names = ", ".join(path.name for path in result.workbooks)
        self._info(f"Classeurs mis à jour (campagne « {campaign} ») : {names}.")
        for copy, original in result.copies.items():
            self._report(
                Notice(
                    f"{original.name} est ouvert (sans doute dans Excel) : version à jour dans "
                    f"{copy.name}.",
                    "warning",
                )
            )
        return result

    # --- worker thread ----------------------------------------------------------

    def _process(self, path: Path) -> Outcome:
        inbox = self._current_inbox()
        outcome = inbox.process(path)
        self._batch.append(outcome)
        self._tell(outcome)
        # An e-mail: its attachments now (not at the next event), then the reply.
        attached = []
        for written in outcome.unpacked:
            attached.append(inbox.process(written))
            self._batch.append(attached[-1])
            self._tell(attached[-1])
        unpacked = inbox.unpacked.pop(path, None)
        if unpacked is not None:
            self._acknowledge(unpacked, attached)
        return outcome

    def _acknowledge(self, unpacked: UnpackReport, outcomes: list[Outcome]) -> None:
        # The sending side (SMTP, message templates) is loaded only when a message
        # arrives: reading forms never needs it.
        from entretien_forms.mail.replies import acknowledge

        assert self._store is not None
        sent = acknowledge(
            self.workspace,
            self._store,
            unpacked,
            outcomes,
            environ=self._environ,
            now=datetime.now(),
        )
        if sent is not None and sent.status == "envoye":
            self._info(f"Accusé de réception envoyé à {sent.recipient}.")
        elif sent is not None:
            self._report(Notice(f"Accusé de réception non envoyé : {sent.error}", "warning"))

    # --- mail thread: the mailbox and the reminders, on their own schedule --------

    def _mail_loop(self) -> None:
        """Collect the mailbox every ``intervalle_s`` and send the reminders due, until stopped.

        A thread of its own: a slow mail server never holds a form back. Its
        wait is on a queue that ``stop()`` wakes (never a signal-interrupted
        timeout in the main thread).
        """
        settings = self.workspace.settings.mail
        interval = max(float(settings.collect.poll_seconds), 5.0)
        next_reminders = 0.0
        while not self._mail_stopping:
            if settings.collect.host:
                self._collect()
            if settings.host and time.monotonic() >= next_reminders:
                self._remind()
                next_reminders = time.monotonic() + _REMINDER_CHECK_SECONDS
            with suppress(queue.Empty):
                self._mail_wake.get(timeout=interval)

    def _collect(self) -> None:
        from entretien_forms.mail.collect import collect_mailbox

        try:
            with Store.open(self.workspace.database_path) as store:
                report = collect_mailbox(
                    self.workspace, store, datetime.now(), environ=self._environ
                )
        except EntretienError as exc:
            self._report(Notice(f"Boîte de collecte non relevée : {exc}", "warning"))
            return
        for line in report.lines():
            self._info(line)

    def _remind(self) -> None:
        from entretien_forms.mail.reminders import send_due_reminders

        try:
            with Store.open(self.workspace.database_path) as store:
                report = send_due_reminders(
                    self.workspace, store, datetime.now(), environ=self._environ
                )
        except EntretienError as exc:
            self._report(Notice(f"Relances non envoyées : {exc}", "warning"))
            return
        for line in report.lines() if report.outcomes or report.problem else ():
            self._info(line)

    def _current_inbox(self) -> Inbox:
        """The inbox with its catalogue, loaded again when a file of templates/ changed.

        Loading the catalogue for every file would cost more than reading the
        form; keeping it for the service's lifetime would ignore a template HR
        edits while it runs.
        """
        if self._store is None:
            self._store = Store.open(self.workspace.database_path)
        state = templates_state(self.workspace.templates_dir)
        if self._inbox is None or state != self._templates:
            if self._inbox is not None:
                self._info("Modèles de formulaires modifiés dans templates/ : rechargés.")
            self._inbox = Inbox(self.workspace, self._store)
            self._templates = state
        return self._inbox

    def _end_batch(self) -> None:
        done = len(self._batch)
        statuses = [o.status for o in self._batch]
        self._batch.clear()
        parts = [
            count(statuses.count("ok"), "enregistré", "enregistrés"),
            f"{statuses.count('rejected')} mis de côté",
        ]
        if statuses.count("duplicate"):
            parts.append(count(statuses.count("duplicate"), "déjà reçu", "déjà reçus"))
        if statuses.count("failed"):
            parts.append(count(statuses.count("failed"), "échec", "échecs"))
        self._info(f"Lot traité : {count(done, 'fichier', 'fichiers')} ({', '.join(parts)}).")
        self.rebuild_reports()

    def _close(self) -> None:
        self._inbox = None
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- lines ------------------------------------------------------------------

    def _info(self, message: str) -> None:
        self._report(Notice(message))

    def _tell(self, outcome: Outcome) -> None:
        self._report(Notice(outcome.message, _LEVELS[outcome.status], outcome))


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, the stop signals (``STOP_SIGNALS``) only call ``stop``; main thread only.

    The handler does nothing else: printing could collide with a write it
    interrupted, and taking a lock could wait forever for the code it
    interrupted. ``WatchService.stop`` only sets flags and wakes the waits.
    """

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _single_instance(workspace: Workspace) -> Iterator[None]:
    """Refuse a second watcher on the same workspace (say, the service plus a manual run).

    Two watchers would both pick up each file dropped. The lock is held by the
    operating system, so it is released even when the process is killed.
    """
    path = workspace.state_dir / _LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
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
