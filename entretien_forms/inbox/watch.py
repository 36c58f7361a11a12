"""Watch the inbox and hand each dropped file, once complete, to a single worker.

Three threads, each owning its own state. The watchdog observer only turns file
events into paths on a queue: events are hints, never trusted. The thread that
calls ``run`` (the scheduler) owns a ``StabilityTracker`` and the rescan timer
and decides when a file is ready. One worker calls ``process`` on ready files,
one at a time and in arrival order, because the database and the moves into
``archive/`` must be serialised, and the same worker calls ``after_batch`` so
that rebuilding the reports never races with a file being stored.

A file is taken only once it has stopped changing: Word, a browser or a copy
onto a network share writes a file in several steps, and reading it halfway
would reject a good form as corrupt. A full rescan at start-up and every
``rescan_seconds`` catches what events miss: files dropped while the service
was stopped, shares that send no events, an overflowing event queue.

``stop()`` may be called from any thread and from a signal handler: it only
sets a flag and puts a wake-up marker on both queues (``SimpleQueue.put`` is
reentrant). A wait never relies on its timeout alone to notice a stop: on
CPython 3.11 a signal arriving during ``SimpleQueue.get(timeout=...)`` can
turn the remaining timeout negative, that is infinite, and a service that
only polled a flag then ignored SIGTERM forever.
"""

from __future__ import annotations

import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from entretien_forms.errors import WorkspaceError

# One rule for what is never a submission, shared with ``ingest`` so that the
# watcher and ``entretien ingest`` can never disagree: Office lock files
# (``~$x.docx``, ``.~lock.x#``), partial downloads and copies (``*.tmp``,
# ``*.part``, ``*.crdownload``), Finder and Explorer files (``.DS_Store``,
# ``Thumbs.db``, ``desktop.ini``), hidden files.
from entretien_forms.inbox.preflight import is_ignored
from entretien_forms.text import count

__all__ = ["InboxWatcher", "Signature", "StabilityTracker", "file_signature", "is_ignored"]

_LOGGER = logging.getLogger(__name__)

# Hidden folders inside the inbox (``.Trash-1000`` on a USB key or a Samba share,
# ``.git``, macOS ``.Spotlight-V100``) are never walked into.
_HIDDEN_PREFIX = "."
# How often idle threads look at the clock: the bound on how late a stable file or
# the end of a batch is noticed (a stop wakes them at once, see ``stop``).
_TICK_SECONDS = 0.1
# A file that keeps failing is retried less and less often, but at least hourly.
_MAX_RETRY_SECONDS = 3600.0


def _not_a_stop_race(record: logging.LogRecord) -> bool:
    """Drop watchdog's error about an inotify read racing with ``stop()``.

    The emitter then behaves as if no event came (watchdog pull request #963);
    an ERROR line in the service log at every stop would only worry people.
    """
    return "called when the thread is inactive" not in record.getMessage()


logging.getLogger("watchdog.observers.inotify").addFilter(_not_a_stop_race)

_STOPPING = "Arrêt demandé, fin du fichier en cours…"

Signature = tuple[int, int]
"""Size and modification time (ns) of an inbox entry: what "unchanged" compares."""


def file_signature(path: Path) -> Signature | None:
    """Size and date of the entry itself; ``None`` for one that is gone or is a folder.

    The entry, never what it points to (``lstat``): a link, a FIFO or a device
    dropped into the inbox is handed on like a file, so that ``ingest`` sets it
    aside with a reason instead of the watcher following it or ignoring it
    silently forever.
    """
    try:
        info = path.lstat()
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns


@dataclass
class _Pending:
    signature: Signature
    check_at: float


class StabilityTracker:
    """Says when a file has stopped changing; no thread, no sleep, the caller gives the time.

    A file is ready when nothing has been heard of it for ``stable_seconds``
    and its size and modification time are the same as then. A file still
    changing is checked again later, however long that takes (a slow upload is
    never given up on); a file that vanished is forgotten. Keeping this free of
    threads and clocks lets tests drive it with made-up times.
    """

    def __init__(
        self,
        stable_seconds: float,
        *,
        signature: Callable[[Path], Signature | None] = file_signature,
    ) -> None:
        self.stable_seconds = stable_seconds
        self._signature = signature
        self._pending: dict[Path, _Pending] = {}  # insertion order is arrival order

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, path: object) -> bool:
        return path in self._pending

    def track(self, path: Path, now: float, *, changed: bool = True) -> bool:
        """Start watching ``path``; True if it was not watched yet.

        ``changed`` (an event) restarts the countdown of a watched file; a
        rescan passes False, otherwise frequent rescans would keep a file from
        ever becoming ready.
        """
        pending = self._pending.get(path)
        if pending is not None and not changed:
            return False
        signature = self._signature(path)
        if signature is None:
            self._pending.pop(path, None)
            return False
        if pending is None:
            self._pending[path] = _Pending(signature, now + self.stable_seconds)
            return True
        pending.signature = signature
        pending.check_at = now + self.stable_seconds
        return False

    def forget(self, path: Path) -> None:
        self._pending.pop(path, None)

    def ready(self, now: float) -> list[Path]:
        """The files that stayed unchanged for the delay, in arrival order; they are dropped."""
        ready: list[Path] = []
        for path, pending in list(self._pending.items()):
            if pending.check_at > now:
                continue
            signature = self._signature(path)
            if signature is None:
                del self._pending[path]
            elif signature != pending.signature:
                pending.signature = signature  # still being written: look again later
                pending.check_at = now + self.stable_seconds
            else:
                del self._pending[path]
                ready.append(path)
        return ready

    def next_check(self) -> float | None:
        return min((p.check_at for p in self._pending.values()), default=None)


@dataclass
class _Backoff:
    """A file left in the inbox after ``process``: not retried before ``retry_at``."""

    signature: Signature
    retry_at: float
    delay: float


class _EventHandler(FileSystemEventHandler):
    """Turns watchdog events into paths worth a look; decides nothing else.

    Deletions and opened / closed-without-writing events (our own reads) are
    dropped here; moves out of the inbox (our own moves into ``archive/`` and
    ``rejected/``) give a destination outside it, which the scheduler drops.
    """

    def __init__(self, notify: Callable[[Path, bool], None]) -> None:
        self._notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == EVENT_TYPE_MOVED:
            raw = event.dest_path
        elif event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
            if event.is_directory and event.event_type != EVENT_TYPE_CREATED:
                return  # a folder is "modified" whenever a file in it changes
            raw = event.src_path
        else:
            return
        if raw:
            self._notify(Path(os.fsdecode(raw)), event.is_directory)


class _Wake:
    """The marker ``stop()`` puts on a queue to wake whoever waits on it."""


_WAKE = _Wake()


class InboxWatcher:
    """Calls ``process(path)`` once for every complete file dropped into ``inbox``.

    ``run()`` watches until ``stop()`` is called (from another thread or a
    signal handler), then finishes the file in progress and returns.
    ``process`` is expected to move the file out of the inbox. If it raises,
    the error is logged and the service goes on; the file stays where it is and
    is retried at a later rescan, with a growing delay, so that a file that
    always fails does not turn into a tight loop. ``after_batch()`` is called
    once the queue is empty and no file has arrived for ``quiet_seconds``.
    ``log`` receives French lines for the person watching the service.
    ``on_worker_exit()`` runs in the worker thread as it ends, to close what
    ``process`` opened there: an SQLite connection belongs to its thread.
    """

    def __init__(
        self,
        inbox: Path,
        process: Callable[[Path], object],
        after_batch: Callable[[], object],
        *,
        polling: bool = False,
        poll_interval: float = 2.0,
        stable_seconds: float = 1.0,
        rescan_seconds: float = 60.0,
        quiet_seconds: float = 2.0,
        ignore: Callable[[Path], bool] = is_ignored,
        log: Callable[[str], None] = _LOGGER.info,
        on_worker_exit: Callable[[], object] | None = None,
    ) -> None:
        # Absolute but not resolved: event paths are built from this exact path.
        self.inbox = inbox.absolute()
        self._process = process
        self._after_batch = after_batch
        self._polling = polling
        self._poll_interval = poll_interval
        self._rescan_seconds = rescan_seconds
        self._quiet_seconds = quiet_seconds
        self._ignore = ignore
        self._log = log
        self._on_worker_exit = on_worker_exit
        # Scheduler only.
        self._tracker = StabilityTracker(stable_seconds)
        self._inbox_missing = False
        # Observer → scheduler, and worker → scheduler for a file replaced meanwhile.
        self._events: queue.SimpleQueue[tuple[Path, bool] | _Wake] = queue.SimpleQueue()
        # Scheduler → worker.
        self._work: queue.SimpleQueue[Path | _Wake] = queue.SimpleQueue()
        # Plain booleans, not ``threading.Event``: ``stop()`` runs in signal handlers,
        # where taking the lock inside an Event could deadlock with the interrupted code.
        self._stopping = False  # asked to stop: the scheduler leaves its loop
        self._halt = False  # the worker ends after the file in progress
        # Shared between scheduler and worker, under the lock.
        self._lock = threading.Lock()
        self._queued: set[Path] = set()
        self._in_flight: set[Path] = set()
        self._backoff: dict[Path, _Backoff] = {}
        self._last_activity = time.monotonic()
        self._done_since_batch = 0

    # --- scheduler -------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run`` to return after the file in progress; safe from a signal handler.

        Called before ``run`` starts, ``run`` returns at once. Files still queued
        stay in the inbox and are taken at the next start.
        """
        self._stopping = True
        self._halt = True
        self._events.put(_WAKE)
        self._work.put(_WAKE)

    def run(self, stop: threading.Event | None = None) -> None:
        """Watch until ``stop()`` is called (or ``stop`` is set), then finish the file in progress.

        ``stop``, an Event, is only looked at every tick: prefer ``stop()``,
        which also wakes the waiting threads.
        """
        try:
            self._run(stop)
        finally:
            # Ready for another ``run``; a stop asked during this one is spent.
            self._stopping = False

    def _stop_requested(self, stop: threading.Event | None) -> bool:
        return self._stopping or (stop is not None and stop.is_set())

    def _run(self, stop: threading.Event | None) -> None:
        if not self.inbox.is_dir():
            raise WorkspaceError(
                f"Le dossier de dépôt {self.inbox} est introuvable. Recréez-le (entretien init "
                "sur l'espace de travail) ou vérifiez que le partage réseau est bien connecté."
            )
        if self._stop_requested(stop):
            self._log(_STOPPING)
            return
        self._reset()
        observer = self._start_observer()
        worker = threading.Thread(target=self._work_loop, name="entretien-inbox-worker")
        worker.start()
        try:
            now = time.monotonic()
            found = self._rescan(now)
            if found:
                waiting = count(found, "fichier déjà présent", "fichiers déjà présents")
                self._log(f"{waiting} dans le dossier de dépôt.")
            next_rescan = now + self._rescan_seconds
            while not self._stop_requested(stop):
                if not worker.is_alive():
                    raise RuntimeError("the inbox worker thread stopped unexpectedly")
                self._take_events(self._wait_time(next_rescan))
                now = time.monotonic()
                for path in self._tracker.ready(now):
                    self._enqueue(path, now)
                if now >= next_rescan:
                    observer = self._check_observer(observer)
                    self._rescan(now)
                    next_rescan = now + self._rescan_seconds
            self._log(_STOPPING)
        finally:
            # Stopping the observer waits for its current look at the folder, which
            # can take a while on a network share: never longer than the file in
            # progress plus a second (its threads are daemons, they cannot hold the
            # process up).
            stopper = threading.Thread(target=observer.stop, daemon=True)
            stopper.start()
            self._halt = True
            self._work.put(_WAKE)
            worker.join()
            stopper.join(timeout=1)
            observer.join(timeout=1)

    def _reset(self) -> None:
        """Forget what a previous ``run`` left queued: those files are still in the inbox."""
        self._halt = False
        self._tracker = StabilityTracker(self._tracker.stable_seconds)
        self._work = queue.SimpleQueue()
        with self._lock:
            self._queued.clear()
            self._in_flight.clear()
            self._done_since_batch = 0

    def _wait_time(self, next_rescan: float) -> float:
        now = time.monotonic()
        next_check = self._tracker.next_check()
        deadline = next_rescan if next_check is None else min(next_rescan, next_check)
        return max(0.0, min(_TICK_SECONDS, deadline - now))

    def _notify(self, path: Path, is_directory: bool) -> None:
        self._events.put((path, is_directory))

    def _take_events(self, timeout: float) -> None:
        """Wait up to ``timeout`` for an event (or a wake-up), then take all that came."""
        try:
            item = self._events.get(timeout=timeout) if timeout > 0 else self._events.get_nowait()
        except queue.Empty:
            return
        now = time.monotonic()
        while True:
            if not isinstance(item, _Wake):
                self._consider_event(*item, now)
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return

    def _consider_event(self, path: Path, is_directory: bool, now: float) -> None:
        if is_directory:  # a folder copied or moved in: its files may bring no event
            if self._inside(path):
                for file in self._walk(path):
                    self._consider(file, now, changed=True)
        else:
            self._consider(path, now, changed=True)

    def _consider(self, path: Path, now: float, *, changed: bool) -> None:
        if not self._inside(path) or self._ignore(path):
            return
        with self._lock:
            if path in self._queued or path in self._in_flight:
                return
            backoff = self._backoff.get(path)
        if backoff is not None:
            signature = file_signature(path)
            if signature == backoff.signature and now < backoff.retry_at:
                return
            if signature != backoff.signature:  # replaced by a new version: a fresh start
                with self._lock:
                    self._backoff.pop(path, None)
        if self._tracker.track(path, now, changed=changed):
            with self._lock:
                self._last_activity = now

    def _inside(self, path: Path) -> bool:
        """In the inbox and not in a hidden folder of it."""
        try:
            parts = path.relative_to(self.inbox).parts
        except ValueError:
            return False
        return bool(parts) and not any(p.startswith(_HIDDEN_PREFIX) for p in parts[:-1])

    def _enqueue(self, path: Path, now: float) -> None:
        with self._lock:
            if path in self._queued or path in self._in_flight:
                return
            self._queued.add(path)
            self._last_activity = now
        self._work.put(path)

    def _rescan(self, now: float) -> int:
        """Look at every file of the inbox, oldest first; return how many are new to us."""
        if not self.inbox.is_dir():
            if not self._inbox_missing:
                self._inbox_missing = True
                self._log(
                    f"Le dossier de dépôt {self.inbox} est inaccessible ; nouvel essai toutes "
                    f"les {self._rescan_seconds:g} s."
                )
            return 0
        if self._inbox_missing:
            self._inbox_missing = False
            self._log(f"Le dossier de dépôt {self.inbox} est de nouveau accessible.")
        files = []
        for path in self._walk(self.inbox):
            signature = file_signature(path)
            if signature is not None:
                files.append((signature[1], path))
        before = len(self._tracker)
        for _, path in sorted(files):
            self._consider(path, now, changed=False)
        return len(self._tracker) - before

    def _walk(self, folder: Path) -> Iterator[Path]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return  # gone meanwhile, or unreadable: the next rescan tries again
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith(_HIDDEN_PREFIX):
                    yield from self._walk(Path(entry.path))
            elif not self._ignore(Path(entry.path)):
                yield Path(entry.path)

    # --- observer --------------------------------------------------------------

    def _start_observer(self) -> BaseObserver:
        handler = _EventHandler(self._notify)
        if not self._polling:
            observer = Observer()
            try:
                observer.schedule(handler, str(self.inbox), recursive=True)
                observer.start()
                return observer
            except OSError as exc:  # inotify watch limit reached, unsupported file system...
                self._log(
                    f"Notifications de fichiers indisponibles pour {self.inbox} ({exc}) : "
                    f"passage en scrutation toutes les {self._poll_interval:g} s."
                )
                self._polling = True
        observer = PollingObserver(timeout=self._poll_interval)
        observer.schedule(handler, str(self.inbox), recursive=True)
        observer.start()
        return observer

    def _check_observer(self, observer: BaseObserver) -> BaseObserver:
        """Restart watching after the inbox vanished and came back (a share reconnected)."""
        alive = observer.is_alive() and all(e.is_alive() for e in observer.emitters)
        if alive or not self.inbox.is_dir():
            return observer
        observer.stop()
        observer.join(timeout=2)
        self._log(f"Surveillance du dossier de dépôt {self.inbox} relancée.")
        return self._start_observer()

    # --- worker ----------------------------------------------------------------

    def _work_loop(self) -> None:
        try:
            self._take_work()
        finally:
            if self._on_worker_exit is not None:
                self._on_worker_exit()

    def _take_work(self) -> None:
        while not self._halt:
            try:
                path = self._work.get(timeout=_TICK_SECONDS)
            except queue.Empty:
                self._maybe_end_batch()
                continue
            if isinstance(path, _Wake) or self._halt:
                continue  # a stop: the loop's test ends it; a queued file stays in the inbox
            with self._lock:
                self._queued.discard(path)
                self._in_flight.add(path)
            try:
                self._process_one(path)
            finally:
                with self._lock:
                    self._in_flight.discard(path)
                    self._last_activity = time.monotonic()

    def _process_one(self, path: Path) -> None:
        before = file_signature(path)
        if before is None:
            return  # taken away while it waited in the queue
        try:
            self._process(path)
        except Exception as exc:
            delay = self._postpone(path, before)
            self._log(
                f"ERREUR {self._name(path)} : {str(exc) or type(exc).__name__} — le fichier reste "
                f"dans le dossier de dépôt, nouvel essai dans {delay:g} s au plus tôt."
            )
            _LOGGER.error("processing %s failed", path, exc_info=True)
            return
        with self._lock:
            self._done_since_batch += 1
        after = file_signature(path)
        if after is None:
            with self._lock:
                self._backoff.pop(path, None)
        elif after == before:
            self._postpone(path, before)  # left in place on purpose: do not spin on it
        else:
            with self._lock:  # a new file of the same name arrived meanwhile
                self._backoff.pop(path, None)
            self._events.put((path, False))

    def _postpone(self, path: Path, signature: Signature) -> float:
        with self._lock:
            previous = self._backoff.get(path)
            delay = self._rescan_seconds
            if previous is not None and previous.signature == signature:
                delay = min(previous.delay * 2, _MAX_RETRY_SECONDS)
            self._backoff[path] = _Backoff(signature, time.monotonic() + delay, delay)
        return delay

    def _maybe_end_batch(self) -> None:
        with self._lock:
            if (
                not self._done_since_batch
                or self._queued
                or self._in_flight
                or time.monotonic() - self._last_activity < self._quiet_seconds
            ):
                return
            self._done_since_batch = 0
        try:
            self._after_batch()
        except Exception as exc:
            reason = str(exc) or type(exc).__name__
            self._log(f"ERREUR en fin de lot : {reason} — le service continue.")
            _LOGGER.error("after_batch failed", exc_info=True)

    def _name(self, path: Path) -> str:
        try:
            return path.relative_to(self.inbox).as_posix()
        except ValueError:
            return path.name
