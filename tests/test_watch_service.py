"""``entretien watch`` as a real process on a real workspace, killed and restarted.

The forms dropped are the ones ``generate`` writes (an unfilled form is a
valid submission), plus junk and the lock and temporary files editors leave
behind. Whatever happens to the process, every file must end up exactly once
in archive/ or rejected/ and the database must count each form once.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from entretien_forms.forms import load_catalog
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

TODAY = date(2026, 11, 26)
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
    "S3;Dubois;Thomas;01/09/2021;Responsable SEO;Marketing;M1\n"
    "S4;Petit;Hugo;01/09/2022;Comptable;Finance;\n"
)
# Never taken, never set aside: they must still be in the inbox at the end.
IGNORED = [
    "~$Dubois-Thomas-S3-annuel.docx",
    ".~lock.Martin-Claire-M1-annuel.docx#",
    "Martin-Claire-M1-annuel.docx.tmp",
    "Petit-Hugo-S4-annuel.pdf.part",
    "Thumbs.db",
    ".DS_Store",
]
TIMEOUT = 60.0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    init_workspace(tmp_path / "ws")
    return open_workspace(tmp_path / "ws")


@pytest.fixture
def forms(workspace: Workspace) -> list[Path]:
    """The 8 forms issued to 4 employees (Word and PDF each)."""
    roster_file = workspace.root / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY)
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY)
        catalog = load_catalog(workspace.templates_dir)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    files = sorted(p for p in workspace.outbox.rglob("*-annuel.*") if p.parent.name != "impression")
    assert len(files) == 8
    return files


class Service:
    """One ``entretien watch`` process, its output in a file (a pipe could fill up)."""

    def __init__(self, workspace: Workspace, log: Path, *options: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "entretien_forms",
                    "-w",
                    str(workspace.root),
                    "watch",
                    *options,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: "Surveillance de" in self.output(), "the service to start")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def services(workspace: Workspace, tmp_path: Path) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def start(*options: str) -> Service:
        started.append(Service(workspace, tmp_path / "service.log", *options))
        return started[-1]

    yield start
    for service in started:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def filed(workspace: Workspace) -> tuple[list[Path], list[Path], set[str]]:
    """Files in archive/, files in rejected/ (without their reasons), and the odd ones.

    A rejected file ``X`` comes with ``X.txt``; anything in rejected/ that is
    neither is odd (a reason without its file, a file without its reason).
    """
    archived = sorted(p for p in (workspace.root / "archive").rglob("*") if p.is_file())
    names = {p.name for p in (workspace.root / "rejected").iterdir()}
    rejected_names = {n for n in names if f"{n}.txt" in names}
    odd = names - rejected_names - {f"{n}.txt" for n in rejected_names}
    rejected = sorted(workspace.root / "rejected" / n for n in rejected_names)
    return archived, rejected, odd


def left_in_inbox(workspace: Workspace) -> set[str]:
    return {p.relative_to(workspace.inbox).as_posix() for p in workspace.inbox.rglob("*")}


@pytest.mark.integration
def test_every_file_is_filed_once_across_a_kill_and_a_restart(
    workspace: Workspace, forms: list[Path], services: Callable[..., Service]
) -> None:
    dropped: Counter[str] = Counter()  # sha256 of every file that must be filed
    for name in IGNORED:
        (workspace.inbox / name).write_bytes(b"lock")
    first = services("--interval", "0.5")

    # A form saved slowly, as over a slow network: 20 chunks over 2 s.
    slow_form = next(f for f in forms if f.name == "Lefevre-Eloise-S2-annuel.docx")
    data = slow_form.read_bytes()
    step = len(data) // 20 + 1
    with (workspace.inbox / slow_form.name).open("wb") as handle:
        for start in range(0, len(data), step):
            handle.write(data[start : start + step])
            handle.flush()
            time.sleep(0.1)
    dropped[sha256(data)] += 1

    # 300 files at once: 10 copies of each other form under new names, and junk.
    others = [f for f in forms if f != slow_form]
    batch: list[tuple[str, bytes]] = []
    for form in others:
        for n in range(10):
            batch.append((f"copie-{n}-{form.name}", form.read_bytes()))
    for n in range(300 - len(batch)):
        batch.append((f"notes-{n:03d}.txt", f"Notes de réunion n° {n}\n".encode()))
    batch.sort()  # copies and junk interleaved by name
    for name, content in batch:
        (workspace.inbox / name).write_bytes(content)
        dropped[sha256(content)] += 1

    def done() -> int:
        archived, rejected, _ = filed(workspace)
        return len(archived) + len(rejected)

    wait_for(lambda: done() >= 40, "part of the batch")
    first.process.kill()  # SIGKILL: no chance to finish anything
    first.process.wait(timeout=10)
    assert done() < dropped.total(), "the batch was over before the kill"

    second = services("--polling", "--interval", "0.5")
    wait_for(lambda: done() == dropped.total(), "every file to be filed")
    wait_for(lambda: second.output().count("Lot traité") >= 1, "the end of the batch")
    assert second.stop(signal.SIGTERM) == 0

    archived, rejected, odd = filed(workspace)
    assert odd == set()
    assert left_in_inbox(workspace) == set(IGNORED)
    for folder in ("archive", "rejected"):
        assert not [p for p in (workspace.root / folder).rglob("*") if p.suffix == ".part"]
    # Exactly once: the files filed are, byte for byte, the files dropped.
    assert Counter(sha256(p.read_bytes()) for p in archived + rejected) == dropped
    # Each distinct form is archived once; its other copies are duplicates.
    distinct_forms = {sha256(f.read_bytes()) for f in forms}
    assert sorted(sha256(p.read_bytes()) for p in archived) == sorted(distinct_forms)
    for path in rejected:
        reason = Path(f"{path}.txt").read_text(encoding="utf-8")
        if sha256(path.read_bytes()) in distinct_forms:
            assert "doublon" in reason, reason
        else:
            assert "ni un document Word (.docx) ni un PDF" in reason, reason
    with Store.open(workspace.database_path) as store:
        every = store.submissions(current_only=False)
        current = store.submissions()
        assert store.unfiled_submissions() == []
    assert sorted(s.sha256 for s in every) == sorted(distinct_forms)
    # Word and PDF of one form are two returns of it: the later one is current.
    assert sorted(s.reference for s in current) == sorted({s.reference for s in every})
    assert len(current) == 4


def test_sigterm_stops_cleanly_with_exit_code_0(
    workspace: Workspace, services: Callable[..., Service]
) -> None:
    service = services()
    (workspace.inbox / "notes.txt").write_text("pas un formulaire", encoding="utf-8")
    wait_for(lambda: "REJETÉ  notes.txt" in service.output(), "the file to be set aside")
    assert service.stop(signal.SIGTERM) == 0
    lines = service.output().splitlines()
    assert lines[-2].endswith("Arrêt demandé, fin du fichier en cours…")
    assert lines[-1].endswith("Service arrêté.")
    assert (workspace.root / "rejected" / "notes.txt").is_file()
    assert (workspace.root / "rejected" / "notes.txt.txt").is_file()


def test_ctrl_c_stops_cleanly_too(workspace: Workspace, services: Callable[..., Service]) -> None:
    service = services("--polling", "--interval", "0.2")
    assert service.stop(signal.SIGINT) == 0
    assert "Service arrêté." in service.output()
    assert "Traceback" not in service.output()


def test_a_second_watcher_on_the_same_workspace_is_refused(
    workspace: Workspace, services: Callable[..., Service]
) -> None:
    services()
    second = subprocess.run(
        [sys.executable, "-m", "entretien_forms", "-w", str(workspace.root), "watch"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1
    assert "Un autre « entretien watch » surveille déjà l'espace de travail" in second.stderr
