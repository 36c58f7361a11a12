"""The inbox watcher as a real loop in a thread, with a recording fake ``process``.

Delays are small (stability 0.2 s, quiet 0.3 s). A test waits for what the
watcher does (a call, the end of a batch) on a condition the fake notifies,
with a timeout; the only plain sleeps are the short ones that prove something
did *not* happen, and those that play a slow writer.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from entretien_forms.errors import WorkspaceError
from entretien_forms.inbox import watch
from entretien_forms.inbox.watch import (
    InboxWatcher,
    Signature,
    StabilityTracker,
    file_signature,
    is_ignored,
)

STABLE = 0.2
QUIET = 0.3
TIMEOUT = 15.0

IGNORED_NAMES = [
    "~$rapport.docx",  # Word's owner file while the document is open
    "~$",
    ".~lock.rapport.docx#",  # LibreOffice lock
    "rapport.docx.tmp",
    "~WRL0003.tmp",
    "rapport.pdf.part",
    "rapport.pdf.crdownload",
    ".DS_Store",
    "Thumbs.db",
    "thumbs.db",
    "desktop.ini",
    "Desktop.ini",
    ".cache.docx",
    "._Lefevre.docx",  # macOS resource fork on a network share
]


class FakeIngest:
    """Records each call and moves the file out of the inbox, as the inbox's steps do.

    Every call and every end of batch notifies ``changed``, so that a test
    waits for exactly what it needs (``wait``) instead of sleeping.
    """

    def __init__(self, inbox: Path, archive: Path) -> None:
        self.inbox = inbox
        self.archive = archive
        self.calls: list[tuple[str, int]] = []  # (path relative to the inbox, size seen)
        self.times: list[float] = []
        self.batches = 0
        self.fail: Callable[[str, int], bool] = lambda name, attempt: False
        self.delay = 0.0
        self.active = 0
        self.max_active = 0
        self.finished: list[str] = []
        self.changed = threading.Condition()

    def __call__(self, path: Path) -> None:
        name = path.relative_to(self.inbox).as_posix()
        with self.changed:
            self.calls.append((name, path.lstat().st_size))
            self.times.append(time.monotonic())
            attempt = sum(1 for n, _ in self.calls if n == name)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.changed.notify_all()
        try:
            time.sleep(self.delay)
            if self.fail(name, attempt):
                raise ValueError(f"lecture impossible (essai {attempt})")
            target = self.archive / f"{len(self.calls):04d}-{path.name}"
            path.replace(target)
            with self.changed:
                self.finished.append(name)
        finally:
            with self.changed:
                self.active -= 1
                self.changed.notify_all()

    def after_batch(self) -> None:
        with self.changed:
            self.batches += 1
            self.changed.notify_all()

    def names(self) -> list[str]:
        with self.changed:
            return [name for name, _ in self.calls]

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        """Until ``condition()`` holds, woken by each call and each end of batch."""
        with self.changed:
            if not self.changed.wait_for(condition, timeout=timeout):
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "archive").mkdir()
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def fake(inbox: Path) -> FakeIngest:
    return FakeIngest(inbox, inbox.parent / "archive")


@pytest.fixture
def logs() -> list[str]:
    return []


class Running:
    def __init__(self, watcher: InboxWatcher, thread: threading.Thread) -> None:
        self.watcher = watcher
        self.thread = thread

    def stop_and_wait(self) -> float:
        """Call ``stop()``; how long ``run`` took to return."""
        began = time.monotonic()
        self.watcher.stop()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the watcher did not stop"
        return time.monotonic() - began


@pytest.fixture
def start(inbox: Path, fake: FakeIngest, logs: list[str]) -> Iterator[Callable[..., Running]]:
    """``start(**options)`` runs a watcher in a thread; stopped at teardown."""
    running: list[Running] = []

    def start_watcher(**options: object) -> Running:
        settings: dict[str, object] = {
            "stable_seconds": STABLE,
            "quiet_seconds": QUIET,
            "rescan_seconds": 60.0,
            "log": logs.append,
        }
        settings.update(options)
        watcher = InboxWatcher(inbox, fake, fake.after_batch, **settings)  # type: ignore[arg-type]
        thread = threading.Thread(target=watcher.run)
        thread.start()
        running.append(Running(watcher, thread))
        return running[-1]

    yield start_watcher
    for watcher in running:
        if watcher.thread.is_alive():
            watcher.stop_and_wait()


def drop(inbox: Path, name: str, data: bytes = b"%PDF-1.7 formulaire") -> Path:
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- is_ignored ----------------------------------------------------------------


@pytest.mark.parametrize("name", IGNORED_NAMES)
def test_lock_temporary_and_system_files_are_ignored(name: str) -> None:
    assert is_ignored(Path("inbox") / name)


@pytest.mark.parametrize(
    "name", ["Lefevre-Eloise-S2-annuel.docx", "scan 12.PDF", "rapport~$.docx", "partiel.docx"]
)
def test_ordinary_names_are_not_ignored(name: str) -> None:
    assert not is_ignored(Path("inbox") / name)


# --- StabilityTracker, driven with made-up times and sizes -----------------------


class FakeFiles:
    def __init__(self) -> None:
        self.signatures: dict[Path, Signature] = {}

    def __call__(self, path: Path) -> Signature | None:
        return self.signatures.get(path)


def test_tracker_releases_a_file_only_after_it_stopped_changing() -> None:
    files = FakeFiles()
    tracker = StabilityTracker(1.0, signature=files)
    a = Path("a.docx")
    files.signatures[a] = (10, 1)
    assert tracker.track(a, 0.0)
    assert tracker.ready(0.5) == []
    files.signatures[a] = (20, 2)  # grew without any event (a network share)
    assert tracker.ready(1.0) == []  # changed: looked at again one delay later
    assert tracker.next_check() == 2.0
    assert tracker.ready(1.9) == []
    assert tracker.ready(2.0) == [a]
    assert a not in tracker


def test_tracker_event_restarts_the_countdown_but_a_rescan_does_not() -> None:
    files = FakeFiles()
    tracker = StabilityTracker(1.0, signature=files)
    a = Path("a.docx")
    files.signatures[a] = (10, 1)
    tracker.track(a, 0.0)
    assert not tracker.track(a, 0.9, changed=False)  # a rescan
    assert tracker.ready(1.0) == [a]
    tracker.track(a, 2.0)
    tracker.track(a, 2.8)  # an event
    assert tracker.ready(3.0) == []
    assert tracker.ready(3.8) == [a]


def test_tracker_forgets_a_file_that_disappeared_and_keeps_arrival_order() -> None:
    files = FakeFiles()
    tracker = StabilityTracker(1.0, signature=files)
    first, gone, last = Path("1.pdf"), Path("2.pdf"), Path("3.pdf")
    for n, path in enumerate((first, gone, last)):
        files.signatures[path] = (n, n)
        tracker.track(path, 0.0)
    del files.signatures[gone]
    assert tracker.ready(5.0) == [first, last]
    assert len(tracker) == 0
    assert not tracker.track(gone, 6.0)


# --- the watcher as a real loop ------------------------------------------------


def test_file_written_slowly_is_processed_once_after_it_stopped_growing(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    start(stable_seconds=0.5)
    chunk = b"x" * 1000
    path = inbox / "lent.pdf"
    with path.open("wb") as handle:
        for _ in range(25):  # 2.5 s, a chunk every 0.1 s
            handle.write(chunk)
            handle.flush()
            time.sleep(0.1)
            assert fake.calls == [], "taken while still growing"
    finished_writing = time.monotonic()
    fake.wait(lambda: fake.batches == 1, "the end of the batch")
    assert fake.calls == [("lent.pdf", 25_000)]
    assert fake.times[0] >= finished_writing


def test_300_files_dropped_at_once_are_each_processed_exactly_once(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    start()
    names = [f"formulaire-{n:03d}.docx" for n in range(300)]
    for name in names:
        drop(inbox, name, name.encode())
    fake.wait(lambda: len(fake.calls) >= 300 and fake.batches >= 1, "300 files")
    assert sorted(fake.names()) == names
    assert fake.max_active == 1  # one at a time
    assert fake.batches == 1
    assert list(inbox.iterdir()) == []


def test_files_are_processed_in_arrival_order(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    start()
    names = ["c.pdf", "a.pdf", "e.pdf", "b.pdf", "d.pdf"]
    for name in names:
        drop(inbox, name)
        time.sleep(0.03)
    fake.wait(lambda: fake.batches == 1, "the end of the batch")
    assert fake.names() == names


def test_files_present_before_start_are_processed_including_subfolders(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    drop(inbox, "avant.docx")
    drop(inbox, "Claire-Martin/avant.pdf")
    drop(inbox, ".cache/cache.docx")  # hidden folder: never walked into
    drop(inbox, "~$avant.docx")
    start()
    fake.wait(lambda: fake.batches == 1, "the end of the batch")
    assert sorted(fake.names()) == ["Claire-Martin/avant.pdf", "avant.docx"]


def test_ignored_names_are_never_passed_to_process(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running], logs: list[str]
) -> None:
    for name in IGNORED_NAMES[:7]:
        drop(inbox, name)  # before start: found by the rescan
    start()
    for name in IGNORED_NAMES[7:]:
        drop(inbox, name)  # after start: seen as events
    drop(inbox, ".git/objects/formulaire.pdf")
    drop(inbox, "formulaire.pdf")  # dropped last, so the others were looked at first
    # Wait on what was processed, not on the batch count: on a loaded machine a pause
    # between two drops can end a batch early.
    fake.wait(lambda: "formulaire.pdf" in fake.names() and fake.batches >= 1, f"the form {logs}")
    assert fake.names() == ["formulaire.pdf"], logs  # the watcher's log says what it saw
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == sorted(IGNORED_NAMES)


def test_polling_mode_sees_new_files_without_file_events(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    drop(inbox, "avant.pdf")
    start(polling=True, poll_interval=0.1)
    fake.wait(lambda: fake.names() == ["avant.pdf"], "the start-up rescan")
    # No rescan before 60 s: only the polling observer can see these.
    drop(inbox, "partage.pdf")
    drop(inbox, "Claire-Martin/partage.docx")
    fake.wait(lambda: len(fake.calls) == 3, "the new files")
    assert sorted(fake.names()[1:]) == ["Claire-Martin/partage.docx", "partage.pdf"]


def test_after_batch_is_called_once_per_burst(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    start()
    for n in range(5):
        drop(inbox, f"premier-{n}.pdf")
    fake.wait(lambda: fake.batches == 1, "the first batch")
    assert len(fake.calls) == 5
    time.sleep(QUIET * 2)
    assert fake.batches == 1
    for n in range(3):
        drop(inbox, f"second-{n}.pdf")
    fake.wait(lambda: fake.batches == 2, "the second batch")
    assert len(fake.calls) == 8


def test_a_failing_file_is_logged_and_retried_at_a_later_rescan(
    inbox: Path, fake: FakeIngest, logs: list[str], start: Callable[..., Running]
) -> None:
    fake.fail = lambda name, attempt: name == "casse.docx" and attempt == 1
    start(rescan_seconds=0.5)
    drop(inbox, "casse.docx")
    drop(inbox, "bon-1.docx")
    fake.wait(lambda: "bon-1.docx" in fake.names(), "the good file")
    drop(inbox, "bon-2.docx")
    fake.wait(lambda: "casse.docx" in fake.finished, "the retry")
    fake.wait(lambda: "bon-2.docx" in fake.finished, "the file after the error")
    assert any(
        line.startswith("ERREUR casse.docx : lecture impossible (essai 1)") for line in logs
    ), logs
    first, second = (
        t for (n, _), t in zip(fake.calls, fake.times, strict=True) if n == "casse.docx"
    )
    assert second - first >= 0.5  # the next rescan, not a tight loop
    assert sorted(fake.finished) == ["bon-1.docx", "bon-2.docx", "casse.docx"]


def test_a_file_left_in_the_inbox_is_not_retried_in_a_tight_loop(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    fake.fail = lambda name, attempt: True
    start(rescan_seconds=0.2)
    drop(inbox, "toujours-casse.pdf")
    fake.wait(lambda: len(fake.calls) >= 2, "a retry")
    time.sleep(1.0)
    # Delays double: 0.2, 0.4, 0.8 s... hence at most 4 attempts in about 1.5 s.
    assert 2 <= len(fake.calls) <= 4


def test_a_file_is_not_queued_again_while_it_is_being_processed(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    fake.delay = 0.6  # several rescans and events happen meanwhile
    start(rescan_seconds=0.05)
    path = drop(inbox, "en-cours.pdf")
    fake.wait(lambda: fake.active == 1, "processing to begin")
    path.write_bytes(b"%PDF-1.7 touched while being read")
    fake.wait(lambda: fake.batches == 1, "the end of the batch")
    assert fake.names() == ["en-cours.pdf"]


def test_a_file_removed_before_it_is_stable_is_forgotten(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    start()
    drop(inbox, "repris.pdf").unlink()
    drop(inbox, "garde.pdf")
    fake.wait(lambda: fake.batches == 1, "the end of the batch")
    assert fake.names() == ["garde.pdf"]


def test_stop_is_prompt_and_finishes_the_file_in_progress(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running]
) -> None:
    fake.delay = 0.2
    for n in range(10):
        drop(inbox, f"file-{n:02d}.pdf")
    watcher = start()
    fake.wait(lambda: fake.active == 1, "processing to begin")
    assert watcher.stop_and_wait() < 2.0
    assert fake.finished == fake.names()  # nothing cut in the middle
    assert len(fake.finished) < 10
    assert len(list(inbox.iterdir())) == 10 - len(fake.finished)
    start()  # the next start takes what was left
    fake.wait(lambda: len(fake.finished) == 10, "the rest of the files")


def test_a_missing_inbox_is_a_clear_error(tmp_path: Path, fake: FakeIngest) -> None:
    watcher = InboxWatcher(tmp_path / "nulle-part", fake, fake.after_batch)
    with pytest.raises(WorkspaceError, match="Le dossier de dépôt .* est introuvable"):
        watcher.run()


def test_a_watcher_can_run_again_after_a_stop(inbox: Path, fake: FakeIngest) -> None:
    fake.delay = 0.2
    for n in range(5):
        drop(inbox, f"file-{n}.pdf")
    watcher = InboxWatcher(inbox, fake, fake.after_batch, stable_seconds=STABLE)
    for _ in range(2):  # the second run must take what the first left queued
        thread = threading.Thread(target=watcher.run)
        thread.start()
        fake.wait(lambda: fake.active == 1, "processing to begin")
        watcher.stop()
        thread.join(timeout=5)
        assert not thread.is_alive()
    thread = threading.Thread(target=watcher.run)
    thread.start()
    fake.wait(lambda: len(fake.finished) == 5, "every file")
    watcher.stop()
    thread.join(timeout=5)
    assert sorted(fake.names()) == [f"file-{n}.pdf" for n in range(5)]


def test_an_event_given_to_run_stops_it_too(inbox: Path, fake: FakeIngest) -> None:
    """The older way (``run(stop_event)``), still used by the benchmark."""
    watcher = InboxWatcher(inbox, fake, fake.after_batch, stable_seconds=STABLE)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    drop(inbox, "formulaire.pdf")
    fake.wait(lambda: fake.finished == ["formulaire.pdf"], "the file")
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_a_stop_asked_before_run_ends_it_at_once(
    inbox: Path, fake: FakeIngest, logs: list[str]
) -> None:
    """A SIGTERM during the service's start-up arrives before the watcher runs."""
    drop(inbox, "formulaire.pdf")
    watcher = InboxWatcher(inbox, fake, fake.after_batch, log=logs.append)
    watcher.stop()
    began = time.monotonic()
    watcher.run()
    assert time.monotonic() - began < 1.0
    assert fake.calls == []
    assert logs == ["Arrêt demandé, fin du fichier en cours…"]
    assert (inbox / "formulaire.pdf").is_file()  # taken at the next start


class WaitsForever(queue.SimpleQueue):  # type: ignore[type-arg]
    """A ``SimpleQueue`` whose timed ``get`` never times out.

    What CPython 3.11 does after a signal lands in ``get(timeout=...)``: the
    remaining timeout is computed again, may come out negative, and a negative
    timeout means "wait forever". Only a ``put`` ends such a wait.
    """

    def get(self, block: bool = True, timeout: float | None = None) -> object:
        return super().get(block, None if block else timeout)


def test_stop_wakes_waits_whose_timeout_never_expires(
    inbox: Path, fake: FakeIngest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        watch, "queue", SimpleNamespace(SimpleQueue=WaitsForever, Empty=queue.Empty)
    )
    watcher = InboxWatcher(inbox, fake, fake.after_batch, stable_seconds=STABLE)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    drop(inbox, "formulaire.pdf")  # an event: the scheduler wakes once, then waits forever
    time.sleep(0.3)  # both threads now in a wait that no timeout ends
    assert thread.is_alive()
    began = time.monotonic()
    watcher.stop()
    thread.join(timeout=5)
    assert not thread.is_alive(), "stop() did not wake the waits"
    assert time.monotonic() - began < 2.0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and FIFOs")
def test_links_and_fifos_are_handed_on_without_being_followed(
    inbox: Path, fake: FakeIngest, start: Callable[..., Running], tmp_path: Path
) -> None:
    """The steps set them aside with a reason; the watcher neither follows nor skips them."""
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe", encoding="utf-8")
    (inbox / "lien.pdf").symlink_to(secret)
    (inbox / "lien-dossier").symlink_to(tmp_path, target_is_directory=True)
    (inbox / "casse.pdf").symlink_to(tmp_path / "nulle-part.pdf")
    os.mkfifo(inbox / "tube.pdf")
    assert file_signature(inbox / "lien.pdf") == (
        (inbox / "lien.pdf").lstat().st_size,
        (inbox / "lien.pdf").lstat().st_mtime_ns,
    )
    assert file_signature(inbox) is None  # a folder is walked, never handed on
    start()
    expected = ["casse.pdf", "lien-dossier", "lien.pdf", "tube.pdf"]
    fake.wait(lambda: sorted(fake.finished) == expected, "the four entries")
    assert secret.read_text(encoding="utf-8") == "mot de passe"
