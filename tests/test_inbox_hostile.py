"""The inbox against hostile files and a hostile environment: one file, one outcome.

Each case of the hostile run (issue 15) is pinned here with its neighbours: a
bug on one file of a batch, links and FIFOs in the inbox, names too long or not
UTF-8, a full disk, a read-only or remote archive, two ``ingest`` at once,
reason notes that could overwrite each other, a Word file that looks like a
PDF, a package with two copies of a part. Whatever happens, every file ends
up in exactly one place with a French reason, and nothing is lost.
"""

from __future__ import annotations

import errno
import io
import multiprocessing
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import warnings
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from factories import TODAY

from entretien_forms import errors
from entretien_forms.cli import cli
from entretien_forms.errors import RejectedFile, RejectionCode, StoreError
from entretien_forms.forms import load_catalog
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.inbox import docx_reader, filing
from entretien_forms.inbox.ingest import Inbox, ingest_file, ingest_paths
from entretien_forms.inbox.model import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, IngestReport
from entretien_forms.inbox.preflight import INBOX_NOTE_SUFFIX, is_ignored, sniff
from entretien_forms.logs import write_log
from entretien_forms.roster import read_roster
from entretien_forms.sample.returns import fill_docx
from entretien_forms.store import MIGRATIONS, Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

NOW = datetime(2026, 11, 27, 10, 30)
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
    "S3;Dubois;Thomas;01/09/2021;Responsable SEO;Marketing;M1\n"
)
JUNK = "Notes de la réunion, pas un formulaire.\n".encode()
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX file system semantics")
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a roster and the annual forms issued, built once and copied."""
    root = tmp_path_factory.mktemp("template") / "ws"
    init_workspace(root)
    workspace = open_workspace(root)
    roster_file = root.parent / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY)
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY)
        catalog = load_catalog(workspace.templates_dir)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    return root


@pytest.fixture
def workspace(template: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(template, tmp_path / "ws", symlinks=True)
    return open_workspace(tmp_path / "ws")


def issued(workspace: Workspace, matricule: str, fmt: str = "docx") -> Path:
    (found,) = workspace.outbox.glob(f"2026/*/*-{matricule}-annuel.{fmt}")
    return found


def form(workspace: Workspace, matricule: str = "S2", mode: str = "Visio") -> bytes:
    return fill_docx(issued(workspace, matricule), {"entretien.mode": mode}, {})


def drop(workspace: Workspace, name: str | bytes, data: bytes) -> Path:
    path = workspace.inbox / (os.fsdecode(name) if isinstance(name, bytes) else name)
    path.write_bytes(data)
    return path


def ingest(workspace: Workspace, **options: Any) -> IngestReport:
    with Store.open(workspace.database_path) as store:
        return ingest_paths(workspace, store, [workspace.inbox], now=NOW, **options)


def rejected(workspace: Workspace) -> dict[str, bytes]:
    folder = workspace.root / "rejected"
    return {
        p.name: (b"<link>" if p.is_symlink() else p.read_bytes())
        for p in sorted(folder.iterdir())
        if not p.is_fifo()
    }


def audit(workspace: Workspace) -> list[tuple[str, str, str | None, str | None]]:
    """(event, source file, code, sha256) of every audit line, oldest first."""
    with sqlite3.connect(workspace.database_path) as db:
        rows = db.execute("SELECT event, source_file, code, sha256 FROM audit_log ORDER BY id")
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def stored(workspace: Workspace) -> list[tuple[str, int]]:
    with Store.open(workspace.database_path) as store:
        return [(s.source_file, int(s.filed)) for s in store.submissions(current_only=False)]


def _zip(parts: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts:
                archive.writestr(name, data)
    return buffer.getvalue()


def _parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def run_cli(workspace: Workspace, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-w", str(workspace.root), *args])


# --- 1. one file, one outcome ---------------------------------------------------------


def _explode_on(monkeypatch: pytest.MonkeyPatch, name: str, where: str = "extract") -> None:
    """A bug in the docx reader (or elsewhere) for the file called ``name`` only."""
    target = {"extract": docx_reader, "identify": docx_reader}[where]
    attribute = f"{where}_docx"
    original = getattr(target, attribute)

    def buggy(data: bytes, shown: str, *args: Any, **kwargs: Any) -> Any:
        if shown == name:
            raise RuntimeError("bogue du lecteur")
        return original(data, shown, *args, **kwargs)

    monkeypatch.setattr(target, attribute, buggy)


def test_a_bug_on_file_2_of_3_fails_that_file_only_and_the_batch_goes_on(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "1-claire.docx", form(workspace, "M1"))
    drop(workspace, "2-eloise.docx", form(workspace, "S2"))
    drop(workspace, "3-thomas.docx", form(workspace, "S3"))
    _explode_on(monkeypatch, "2-eloise.docx")
    seen: list[str] = []

    report = ingest(workspace, on_outcome=lambda o: seen.append(o.path.name))

    assert [o.status for o in report.outcomes] == ["ok", "failed", "ok"]
    assert seen == ["1-claire.docx", "2-eloise.docx", "3-thomas.docx"]
    assert report.exit_code == EXIT_FAILED
    failed = report.outcomes[1]
    assert failed.log is not None and failed.log.parent == workspace.state_dir / "logs"
    assert "RuntimeError: bogue du lecteur" in failed.log.read_text("utf-8")
    assert failed.message == (
        "ÉCHEC   2-eloise.docx : erreur inattendue (RuntimeError), mis de côté dans "
        f"rejected/2-eloise.docx ; détails pour le support : .entretien/logs/{failed.log.name}."
    )
    note = (workspace.root / "rejected" / "2-eloise.docx.txt").read_text("utf-8")
    assert "Une erreur inattendue s'est produite en traitant 2-eloise.docx (RuntimeError)" in note
    assert f"en joignant le fichier .entretien/logs/{failed.log.name}" in note
    assert not list(workspace.inbox.iterdir())
    assert [name for name, _ in stored(workspace)] == ["1-claire.docx", "3-thomas.docx"]
    assert ("echec", "2-eloise.docx", None, None) in audit(workspace)


def test_outcomes_reach_the_caller_as_each_file_is_done(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        drop(workspace, f"{n}.txt", JUNK + bytes([n]))
    events: list[str] = []
    analyse = Inbox.analyse

    def traced(self: Inbox, path: Path, *, now: datetime) -> Any:
        events.append(f"read {path.name}")
        return analyse(self, path, now=now)

    monkeypatch.setattr(Inbox, "analyse", traced)
    ingest(workspace, on_outcome=lambda o: events.append(f"shown {o.path.name}"))

    assert events == [
        "read 0.txt", "shown 0.txt", "read 1.txt", "shown 1.txt", "read 2.txt", "shown 2.txt"
    ]  # fmt: skip


def test_a_bug_while_storing_sets_the_file_aside_and_stores_nothing(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "eloise.docx", form(workspace))

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("bogue de la base")

    monkeypatch.setattr(Store, "record_submissions", broken)
    (outcome,) = ingest(workspace).outcomes

    assert outcome.status == "failed" and "(ValueError)" in outcome.message
    assert (workspace.root / "rejected" / "eloise.docx").is_file()
    assert stored(workspace) == []


def test_a_bug_after_storing_leaves_the_file_for_the_archive_with_a_note(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "eloise.docx", form(workspace))

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("bogue du rangement")

    monkeypatch.setattr(filing, "move_new", broken)
    monkeypatch.setattr("entretien_forms.inbox.ingest.move_new", broken)
    (outcome,) = ingest(workspace).outcomes

    assert outcome.status == "failed"
    assert (
        "erreur inattendue (ValueError), laissé dans son dossier avec une note" in outcome.message
    )
    assert stored(workspace) == [("eloise.docx", 0)]  # stored, not filed: never rejected
    note = workspace.inbox / f"eloise.docx{INBOX_NOTE_SUFFIX}"
    assert "Ses réponses sont enregistrées" in note.read_text("utf-8")
    monkeypatch.undo()

    report = ingest(workspace)  # the note itself is never taken for a submission

    assert [o.status for o in report.outcomes] == ["ok"]
    assert "reprise après interruption" in report.outcomes[0].message
    assert stored(workspace) == [("eloise.docx", 1)]
    assert not list(workspace.inbox.iterdir())  # file filed, its old note gone


def test_an_archive_name_taken_while_the_file_waited_gets_the_next_name(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored, then the move failed; meanwhile another file took its archive name."""
    data = form(workspace)
    drop(workspace, "eloise.docx", data)

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("bogue du rangement")

    monkeypatch.setattr("entretien_forms.inbox.ingest.move_new", broken)
    (outcome,) = ingest(workspace).outcomes
    assert outcome.status == "failed"
    monkeypatch.undo()
    with Store.open(workspace.database_path) as store:
        (waiting,) = store.unfiled_submissions()
    taken = workspace.root / waiting.archive_path
    taken.parent.mkdir(parents=True, exist_ok=True)
    taken.write_bytes(b"un autre fichier, range entre-temps")

    report = ingest(workspace)

    assert [o.status for o in report.outcomes] == ["ok"]
    assert taken.read_bytes() == b"un autre fichier, range entre-temps"  # untouched
    with Store.open(workspace.database_path) as store:
        (filed,) = store.submissions()
    assert filed.filed and filed.archive_path != waiting.archive_path
    assert (workspace.root / filed.archive_path).read_bytes() == data
    assert not list(workspace.inbox.iterdir())


def test_a_reason_note_left_without_its_file_by_a_kill_is_removed_once_old(
    workspace: Workspace,
) -> None:
    rejected = workspace.root / "rejected"
    rejected.mkdir(exist_ok=True)
    orphan, young, hr_own = (rejected / n for n in ("a.pdf.txt", "b.pdf.txt", "notes.txt"))
    orphan.write_text("Fichier : a.pdf\nReçu le : 01/12/2026 à 10:00\n", "utf-8")
    young.write_text("Fichier : b.pdf\nReçu le : 01/12/2026 à 10:00\n", "utf-8")
    hr_own.write_text("mes notes sur les retours", "utf-8")
    old = datetime(2026, 11, 1).timestamp()
    os.utime(orphan, (old, old))
    os.utime(hr_own, (old, old))

    ingest(workspace)

    assert not orphan.exists()
    assert young.exists() and hr_own.exists()


def test_a_file_forced_from_rejected_takes_its_old_reason_note_with_it(
    workspace: Workspace,
) -> None:
    data = form(workspace)
    rejected = workspace.root / "rejected"
    rejected.mkdir(exist_ok=True)
    (rejected / "eloise.docx").write_bytes(data)
    (rejected / "eloise.docx.txt").write_text("Fichier : eloise.docx\nancienne raison\n", "utf-8")
    with Store.open(workspace.database_path) as store:
        report = ingest_paths(
            workspace, store, [rejected / "eloise.docx"], now=NOW, trust_reference=True
        )

    assert [o.status for o in report.outcomes] == ["ok"]
    assert not list(rejected.iterdir())


def test_a_file_that_cannot_even_be_set_aside_stays_with_a_note_beside_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "eloise.docx", form(workspace))
    _explode_on(monkeypatch, "eloise.docx", "identify")

    def no_room(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "rejected")

    monkeypatch.setattr("entretien_forms.inbox.ingest.set_aside", no_room)
    (outcome,) = ingest(workspace).outcomes

    assert outcome.status == "failed"
    assert outcome.note == workspace.inbox / "eloise.docx.erreur.txt"
    assert outcome.note.read_text("utf-8").startswith("Fichier : eloise.docx\n")
    assert (workspace.inbox / "eloise.docx").is_file()
    assert is_ignored(outcome.note)


def test_failfast_stops_at_the_first_file_set_aside(workspace: Workspace) -> None:
    drop(workspace, "1-notes.txt", JUNK)
    drop(workspace, "2-eloise.docx", form(workspace))

    report = ingest(workspace, failfast=True)

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.not_processed == [workspace.inbox / "2-eloise.docx"]
    assert (workspace.inbox / "2-eloise.docx").is_file()
    assert report.exit_code == EXIT_REJECTED


def test_cli_prints_every_file_and_the_exit_code_says_the_worst(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "1-claire.docx", form(workspace, "M1"))
    drop(workspace, "2-eloise.docx", form(workspace, "S2"))
    drop(workspace, "3-notes.txt", JUNK)
    _explode_on(monkeypatch, "2-eloise.docx")

    result = run_cli(workspace, "ingest")

    assert result.exit_code == EXIT_FAILED, result.output
    lines = [line for line in result.output.splitlines() if "remarque :" not in line]
    assert lines[0].startswith("OK      1-claire.docx → archive/2026/M1/")
    assert lines[1].startswith("ÉCHEC   2-eloise.docx : erreur inattendue (RuntimeError)")
    assert lines[2].startswith("REJETÉ  3-notes.txt : ")
    assert lines[-1].startswith("1 formulaire enregistré, 1 fichier mis de côté (voir ")
    assert lines[-1].endswith(", 1 échec.")
    assert "Traceback" not in result.output


def test_cli_exit_codes_for_each_kind_of_run(workspace: Workspace) -> None:
    data = form(workspace)
    drop(workspace, "eloise.docx", data)
    assert run_cli(workspace, "ingest").exit_code == EXIT_OK
    drop(workspace, "encore.docx", data)
    again = run_cli(workspace, "ingest")
    assert again.exit_code == EXIT_OK  # « déjà reçu » is not a problem
    assert "DÉJÀ REÇU  encore.docx : déjà reçu le " in again.output
    assert "1 déjà reçu." in again.output
    drop(workspace, "notes.txt", JUNK)
    assert run_cli(workspace, "ingest").exit_code == EXIT_REJECTED
    drop(workspace, "a.txt", JUNK + b"a")
    drop(workspace, "b.txt", JUNK + b"b")
    stopped = run_cli(workspace, "ingest", "--failfast")
    assert stopped.exit_code == EXIT_REJECTED
    assert (
        "Arrêt avant la fin : 1 fichier non traité, laissé tel quel dans inbox/" in stopped.output
    )
    assert [p.name for p in workspace.inbox.iterdir()] == ["b.txt"]


def test_a_worker_that_dies_fails_its_file_only(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    if multiprocessing.get_start_method() != "fork":
        pytest.skip("worker processes inherit the patch only when forked")
    for n in range(30):
        drop(workspace, f"{n:02d}-notes.txt", JUNK + str(n).encode())
    drop(workspace, "15-crash.txt", JUNK)
    analyse = Inbox.analyse

    def deadly(self: Inbox, path: Path, *, now: datetime) -> Any:
        if path.name == "15-crash.txt":
            os._exit(1)  # a segfault in a C library, the OOM killer
        return analyse(self, path, now=now)

    monkeypatch.setattr(Inbox, "analyse", deadly)
    report = ingest(workspace, workers=2)

    statuses = {o.path.name: o.status for o in report.outcomes}
    assert len(statuses) == 31
    assert statuses.pop("15-crash.txt") == "failed"
    assert set(statuses.values()) == {"rejected"}
    assert not list(workspace.inbox.iterdir())


# --- 2. rejection codes ---------------------------------------------------------------


def test_the_catalogue_is_one_strenum_of_unique_stable_values() -> None:
    values = [code.value for code in RejectionCode]
    assert len(values) == len(set(values))
    assert all(value == value.lower() and " " not in value for value in values)
    assert RejectionCode("encrypted") is RejectionCode.ENCRYPTED
    assert not hasattr(errors, "EntretienWarning")
    assert RejectedFile("r", "a").code is RejectionCode.UNREADABLE


def test_every_rejection_stores_its_code_beside_the_sentence(
    workspace: Workspace, tmp_path: Path
) -> None:
    docx = issued(workspace, "S2").read_bytes()
    parts = _parts(docx)
    custom = dict(parts)["docProps/custom.xml"]
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"root:x:0:0")
    files: dict[str, bytes] = {
        "vide.docx": b"",
        "ancien.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "notes.txt": JUNK,
        "casse.docx": b"PK\x03\x04" + b"\0" * 40,
        "protege.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + "EncryptedPackage".encode("utf-16-le"),
        "double.docx": _zip([*parts, ("word/document.xml", b"<autre/>")]),
        "bombe.docx": _zip([("word/document.xml", b"\0" * 60_000_000)]),
        "sans-reference.docx": _zip(
            [(n, c.replace(b"entretien_reference", b"autre")) for n, c in parts]
        ),
        "inconnu.docx": _zip(
            [(n, c.replace(b"EA-2026-00002", b"EA-2026-09999")) for n, c in parts]
        ),
        "triche.docx": _zip(
            [
                (n, c.replace(b">S2<", b">S3<") if n == "docProps/custom.xml" else c)
                for n, c in parts
            ]
        ),
        "macro.docx": _zip([*parts, ("word/vbaProject.bin", b"\0")]),
    }
    assert b">S2<" in custom
    for name, data in files.items():
        drop(workspace, name, data)
    (workspace.inbox / "lien.pdf").symlink_to(secret)

    report = ingest(workspace)

    codes = {name: code for event, name, code, _ in audit(workspace) if event == "rejete"}
    assert codes == {
        "vide.docx": "empty",
        "ancien.doc": "unreadable",  # LibreOffice tried to convert it, and could not
        "notes.txt": "wrong_type",
        "casse.docx": "damaged",
        "protege.docx": "encrypted",
        "double.docx": "ambiguous",
        "bombe.docx": "too_large",
        "sans-reference.docx": "not_a_form",
        "inconnu.docx": "unknown_reference",
        "triche.docx": "tampered",
        "macro.docx": "unsafe_content",
        "lien.pdf": "not_a_regular_file",
    }
    assert {o.path.name: o.code for o in report.outcomes} == codes
    for name, code in codes.items():
        note = (workspace.root / "rejected" / f"{name}.txt").read_text("utf-8")
        assert f"Code (pour le support) : {code}\n" in note
    with Store.open(workspace.database_path) as store:
        assert store.schema_version == len(MIGRATIONS)


# --- 3. reason notes never collide ----------------------------------------------------


@pytest.mark.parametrize(
    "order", [("compte-rendu.txt", "compte-rendu"), ("compte-rendu", "compte-rendu.txt")]
)
def test_a_reason_note_never_overwrites_another_rejected_file(
    workspace: Workspace, order: tuple[str, str]
) -> None:
    first, second = order
    drop(workspace, first, b"premier")
    ingest(workspace)
    drop(workspace, second, b"second")
    ingest(workspace)

    files = rejected(workspace)
    contents = [v for v in files.values() if v in (b"premier", b"second")]
    assert sorted(contents) == [b"premier", b"second"]  # both kept, byte for byte
    for name, data in files.items():
        if data in (b"premier", b"second"):
            note = files[f"{name}.txt"].decode()
            original = first if data == b"premier" else second
            assert note.startswith(f"Fichier : {original}")
    assert len(files) == 4


def test_a_name_ending_in_txt_is_not_used_where_it_would_read_as_a_note(
    workspace: Workspace,
) -> None:
    folder = workspace.root / "rejected"
    folder.mkdir(exist_ok=True)
    (folder / "a").write_bytes("sans sa note (arrêt brutal)".encode())
    drop(workspace, "a.txt", JUNK)

    (outcome,) = ingest(workspace).outcomes

    assert outcome.destination == folder / "a-2.txt"
    assert (folder / "a-2.txt.txt").is_file()
    assert not (folder / "a.txt").exists()


def test_same_name_rejected_again_and_again_gets_numbered_names(workspace: Workspace) -> None:
    for n in range(3):
        drop(workspace, "notes", JUNK + bytes([n]))
        ingest(workspace)
    assert sorted(rejected(workspace)) == [
        "notes", "notes-2", "notes-2.txt", "notes-3", "notes-3.txt", "notes.txt"
    ]  # fmt: skip


def test_set_aside_notes_are_written_whole_and_names_claimed_exclusively(tmp_path: Path) -> None:
    folder = tmp_path / "rejected"
    folder.mkdir()
    (folder / "x").write_bytes(b"other")
    assert not filing.write_new(folder / "x", "note")  # never over an existing file
    assert (folder / "x").read_bytes() == b"other"
    assert filing.write_new(folder / "y.txt", "note")
    assert (folder / "y.txt").read_text("utf-8") == "note"
    source = tmp_path / "source"
    source.write_bytes(b"data")
    with pytest.raises(FileExistsError):
        filing.move_new(source, folder / "x")
    assert source.read_bytes() == b"data" and (folder / "x").read_bytes() == b"other"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_second_process_late_on_the_same_file_never_touches_the_first_ones_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race behind "4 reasons lost in 2,400": B looked at the folder before A moved X."""
    folder = tmp_path / "rejected"
    source = tmp_path / "inbox" / "X"
    source.parent.mkdir()
    source.write_bytes(b"x")
    filing.set_aside(source, folder, lambda name: "note de A")  # process A
    monkeypatch.setattr(filing.os.path, "lexists", lambda path: False)  # B's stale look

    with pytest.raises(FileNotFoundError):
        filing.set_aside(source, folder, lambda name: "note de B")  # process B

    assert sorted(p.name for p in folder.iterdir()) == ["X", "X.txt"]
    assert (folder / "X.txt").read_text("utf-8") == "note de A"


def test_where_hard_links_are_refused_moves_still_never_overwrite(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT, some shares, or Linux's protected_hardlinks on a file dropped by another user."""

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)
    folder = workspace.root / "rejected"
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_bytes(b"un autre fichier")
    drop(workspace, "notes", JUNK)
    drop(workspace, "eloise.docx", form(workspace))

    report = ingest(workspace)

    assert [o.status for o in report.outcomes] == ["ok", "rejected"]
    assert (folder / "notes.txt").read_bytes() == b"un autre fichier"
    assert (folder / "notes-2").read_bytes() == JUNK
    assert (folder / "notes-2.txt").read_text("utf-8").startswith("Fichier : notes ")
    assert not list(workspace.inbox.iterdir())


@POSIX
def test_two_ingest_at_once_lose_no_file_and_no_reason(workspace: Workspace) -> None:
    names = [f"compte-rendu{suffix}" for suffix in ("", ".txt", ".txt.txt", "-2", "-2.txt")]
    dropped = {}
    for n in range(150):
        name = f"{n:03d}-{names[n % len(names)]}" if n % 3 else names[n % len(names)]
        if name in dropped:
            continue
        data = JUNK + str(n).encode()
        drop(workspace, name, data)
        dropped[name] = data
    command = [sys.executable, "-m", "entretien_forms", "-w", str(workspace.root), "ingest"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
    outputs = [run.communicate(timeout=120) for run in runs]

    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode in (EXIT_OK, EXIT_REJECTED), err.decode()
        assert b"Traceback" not in err
    files = rejected(workspace)
    notes = {name: data for name, data in files.items() if data.startswith(b"Fichier : ")}
    kept = {name: data for name, data in files.items() if name not in notes}
    assert sorted(kept.values()) == sorted(dropped.values())  # every file once, intact
    for name, data in kept.items():
        note = notes.pop(f"{name}.txt").decode()
        original = next(n for n, d in dropped.items() if d == data)
        assert note.startswith(f"Fichier : {original}")
    assert notes == {}  # no note without its file
    assert not list(workspace.inbox.iterdir())


# --- 4. links, FIFOs, devices: never followed, never opened ---------------------------


@POSIX
def test_links_fifos_and_devices_are_set_aside_without_being_opened(
    workspace: Workspace, tmp_path: Path
) -> None:
    secret = tmp_path / "passwd"
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    outside = tmp_path / "dehors.docx"
    outside.write_bytes(form(workspace))
    (tmp_path / "dossier").mkdir()
    inbox = workspace.inbox
    (inbox / "passwd.pdf").symlink_to(secret)
    (inbox / "environ.docx").symlink_to("/proc/self/environ")
    (inbox / "formulaire.docx").symlink_to(outside)
    (inbox / "dossier-lie").symlink_to(tmp_path / "dossier")
    (inbox / "casse.pdf").symlink_to(tmp_path / "absent.pdf")
    os.mkfifo(inbox / "tube.pdf")
    expected = {"passwd.pdf", "environ.docx", "formulaire.docx", "dossier-lie", "casse.pdf"}
    if ROOT:
        os.mknod(inbox / "zero.pdf", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    result: list[IngestReport] = []
    worker = threading.Thread(target=lambda: result.append(ingest(workspace)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # a FIFO was opened: unblock it, then fail
        with (inbox / "tube.pdf").open("wb"):
            pass
        pytest.fail("ingest blocked on a FIFO")

    (report,) = result
    every = expected | {"tube.pdf"} | ({"zero.pdf"} if ROOT else set())
    codes = {o.path.name: o.code for o in report.outcomes}
    assert codes == dict.fromkeys(every, RejectionCode.NOT_A_REGULAR_FILE)
    folder = workspace.root / "rejected"
    for name in expected:
        assert (folder / name).is_symlink(), name  # the link itself, moved
    assert stat.S_ISFIFO((folder / "tube.pdf").lstat().st_mode)
    assert outside.is_file() and secret.is_file()  # targets untouched
    assert stored(workspace) == []
    assert all(sha is None for _, _, _, sha in audit(workspace))  # nothing read, nothing hashed
    note = (folder / "passwd.pdf.txt").read_text("utf-8")
    assert "passwd.pdf est un lien (raccourci) vers un autre fichier" in note
    assert not list(inbox.iterdir())


@POSIX
def test_a_link_given_on_the_command_line_is_not_followed_either(
    workspace: Workspace, tmp_path: Path
) -> None:
    outside = tmp_path / "dehors.docx"
    outside.write_bytes(form(workspace))
    link = tmp_path / "lien.docx"
    link.symlink_to(outside)
    with Store.open(workspace.database_path) as store:
        (outcome,) = ingest_paths(workspace, store, [link], now=NOW).outcomes
    assert outcome.code is RejectionCode.NOT_A_REGULAR_FILE
    assert outside.is_file() and stored(workspace) == []


@POSIX
def test_an_inbox_that_is_itself_a_link_is_still_read(workspace: Workspace, tmp_path: Path) -> None:
    share = tmp_path / "partage"
    share.mkdir()
    (share / "eloise.docx").write_bytes(form(workspace))
    workspace.inbox.rmdir()
    workspace.inbox.symlink_to(share)

    (outcome,) = ingest(workspace).outcomes

    assert outcome.status == "ok"


# --- 5. names and file systems -----------------------------------------------------------


@POSIX
@pytest.mark.parametrize("length", [251, 252, 255])
def test_names_up_to_the_limit_are_filed_or_set_aside_with_a_note(
    workspace: Workspace, length: int
) -> None:
    junk = "é" * ((length - 4) // 2) + "x" * ((length - 4) % 2) + ".pdf"
    good = "g" * (length - 5) + ".docx"
    assert len(os.fsencode(junk)) == len(os.fsencode(good)) == length
    drop(workspace, junk, JUNK)
    drop(workspace, good, form(workspace))

    report = ingest(workspace)

    by_name = {o.path.name: o for o in report.outcomes}
    assert by_name[good].status == "ok"
    assert by_name[junk].status == "rejected"
    destination = by_name[junk].destination
    assert destination is not None and by_name[junk].note is not None
    assert destination.read_bytes() == JUNK
    assert len(os.fsencode(by_name[junk].note.name)) <= 255
    assert by_name[junk].note.read_text("utf-8").startswith(f"Fichier : {junk}")
    assert not list(workspace.inbox.iterdir())


@POSIX
def test_long_names_that_shorten_to_the_same_name_stay_apart(workspace: Workspace) -> None:
    for last in "ab":
        drop(workspace, "n" * 250 + last + ".pdf", JUNK + last.encode())
    report = ingest(workspace)
    assert [o.status for o in report.outcomes] == ["rejected", "rejected"]
    kept = sorted(data for data in rejected(workspace).values() if data.startswith(JUNK))
    assert kept == [JUNK + b"a", JUNK + b"b"]
    assert len(rejected(workspace)) == 4


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux accepts any bytes in a name")
def test_names_that_are_not_utf8_are_filed_and_shown_readably(workspace: Workspace) -> None:
    drop(workspace, b"caf\xe9.txt", JUNK)
    drop(workspace, b"\xe9t\xe9-eloise.docx", form(workspace))

    result = run_cli(workspace, "ingest")

    assert result.exit_code == EXIT_REJECTED, result.output
    assert "REJETÉ  caf\ufffd.txt : caf\ufffd.txt n'est ni un document Word" in result.output
    assert "OK      \ufffdt\ufffd-eloise.docx → archive/2026/S2/t-eloise-20" in result.output
    assert stored(workspace) == [("\ufffdt\ufffd-eloise.docx", 1)]
    assert sorted(os.fsencode(p.name) for p in (workspace.root / "rejected").iterdir()) == [
        b"caf\xe9.txt",
        b"caf\xe9.txt.txt",
    ]  # the original bytes kept: the pair still matches
    assert not list(workspace.inbox.iterdir())


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux accepts any bytes in a name")
def test_the_watcher_entry_point_never_raises_on_odd_names(workspace: Workspace) -> None:
    paths = [drop(workspace, b"\xff\xfe.pdf", JUNK), drop(workspace, "x" * 251 + ".pdf", JUNK)]
    with Store.open(workspace.database_path) as store:
        outcomes = [ingest_file(workspace, store, path, now=NOW) for path in paths]
    assert [o.status for o in outcomes] == ["rejected", "rejected"]
    assert not list(workspace.inbox.iterdir())  # gone: the watcher will not retry them


def _refuse_links_into(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Make hard links and renames into ``folder`` fail with ``code`` (EXDEV, EACCES...)."""
    real_link, real_replace, real_open = os.link, os.replace, os.open

    def inside(path: Any) -> bool:
        return Path(os.fsdecode(path)).is_relative_to(folder)

    def link(src: Any, dst: Any, **kwargs: Any) -> None:
        if inside(dst) and not Path(os.fsdecode(src)).is_relative_to(folder):
            raise OSError(code, os.strerror(code), os.fsdecode(src), None, os.fsdecode(dst))
        real_link(src, dst, **kwargs)

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if inside(dst):
            raise OSError(code, os.strerror(code), os.fsdecode(src), None, os.fsdecode(dst))
        real_replace(src, dst, **kwargs)

    def opener(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if code != errno.EXDEV and inside(path) and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "open", opener)


def test_an_archive_on_another_file_system_is_filled_by_copy(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = form(workspace)
    drop(workspace, "eloise.docx", data)
    drop(workspace, "notes.txt", JUNK)
    _refuse_links_into(monkeypatch, workspace.root / "archive", errno.EXDEV)
    _refuse_links_into(monkeypatch, workspace.root / "rejected", errno.EXDEV)

    report = ingest(workspace)

    assert [o.status for o in report.outcomes] == ["ok", "rejected"]
    assert report.outcomes[0].destination is not None
    assert report.outcomes[0].destination.read_bytes() == data
    assert stored(workspace) == [("eloise.docx", 1)]
    assert not list(workspace.inbox.iterdir())
    assert list(workspace.root.rglob(".*.part")) == []


@POSIX
def test_an_archive_really_on_another_file_system(workspace: Workspace) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == workspace.root.stat().st_dev:
        pytest.skip("no second file system at hand")
    remote = Path(shm / f"entretien-archive-{os.getpid()}")
    remote.mkdir()
    try:
        shutil.rmtree(workspace.root / "archive")
        (workspace.root / "archive").symlink_to(remote)
        drop(workspace, "eloise.docx", form(workspace))

        (outcome,) = ingest(workspace).outcomes

        assert outcome.status == "ok", outcome.message
        assert [p.name for p in (remote / "2026" / "S2").iterdir()] == [
            "eloise-20261127-103000.docx"
        ]
        assert not list(workspace.inbox.iterdir())
    finally:
        shutil.rmtree(remote)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_a_read_only_archive_keeps_the_file_in_the_inbox_and_says_which_folder(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    drop(workspace, "eloise.docx", form(workspace))
    drop(workspace, "thomas.docx", form(workspace, "S3"))
    (workspace.root / "archive" / "2026" / "S2").mkdir(parents=True)
    _refuse_links_into(monkeypatch, workspace.root / "archive" / "2026" / "S2", code)

    report = ingest(workspace)

    assert [o.status for o in report.outcomes] == ["failed", "ok"]  # the batch goes on
    failed = report.outcomes[0]
    assert failed.message.startswith("ÉCHEC   eloise.docx : impossible de terminer, ")
    assert "(archive/2026/S2) ; ses réponses sont enregistrées ; il reste dans son dossier" in (
        failed.message
    )
    assert "Donnez les droits d'écriture sur ce dossier" in failed.message
    assert failed.log is None and not failed.halt
    assert (workspace.inbox / "eloise.docx").is_file()
    assert (workspace.inbox / "eloise.docx.erreur.txt").is_file()
    assert report.exit_code == EXIT_FAILED
    monkeypatch.undo()

    (recovered,) = ingest(workspace).outcomes

    assert recovered.status == "ok" and "reprise après interruption" in recovered.message
    assert not list(workspace.inbox.iterdir())


@pytest.mark.skipif(ROOT or os.name != "posix", reason="root writes anywhere")
def test_a_really_read_only_archive(workspace: Workspace) -> None:
    archive = workspace.root / "archive"
    archive.chmod(0o555)
    try:
        drop(workspace, "eloise.docx", form(workspace))
        (outcome,) = ingest(workspace).outcomes
        assert outcome.status == "failed" and "(archive)" in outcome.message
        assert (workspace.inbox / "eloise.docx").is_file()
    finally:
        archive.chmod(0o755)


def _full_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode = 13  # type: ignore[attr-defined]  # SQLITE_FULL
        raise exc

    monkeypatch.setattr(Store, "record_submissions", full)


def test_a_full_disk_stops_the_run_loses_nothing_and_says_so(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "1-eloise.docx", form(workspace))
    drop(workspace, "2-thomas.docx", form(workspace, "S3"))
    _full_database(monkeypatch)

    result = run_cli(workspace, "ingest")

    assert result.exit_code == EXIT_FAILED
    assert (
        "ÉCHEC   1-eloise.docx : impossible de terminer, le disque est plein (base de données "
        ".entretien/entretien.sqlite3) ; rien n'est perdu : le fichier reste dans son dossier. "
        "Libérez de la place sur le disque puis relancez « entretien ingest »." in result.output
    )
    assert "Arrêt avant la fin : 1 fichier non traité, laissé tel quel dans inbox/" in result.output
    assert sorted(p.name for p in workspace.inbox.iterdir()) == [
        "1-eloise.docx", "1-eloise.docx.erreur.txt", "2-thomas.docx"
    ]  # fmt: skip
    assert stored(workspace) == []
    monkeypatch.undo()
    assert run_cli(workspace, "ingest").exit_code == EXIT_OK
    assert not list(workspace.inbox.iterdir())


def test_no_room_for_a_reason_note_leaves_the_file_where_it_is(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(workspace, "notes.txt", JUNK)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "rejected/.x.part")

    monkeypatch.setattr(filing, "_write_flushed", full)
    (outcome,) = ingest(workspace).outcomes

    assert outcome.status == "failed" and outcome.halt
    assert "le disque est plein" in outcome.message
    assert (workspace.inbox / "notes.txt").read_bytes() == JUNK
    assert not list((workspace.root / "rejected").iterdir())


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (13, "le disque est plein"),
        (8, "la base est en lecture seule"),
        (14, "ne peut pas être ouvert"),
    ],
)
def test_an_intact_database_on_a_full_disk_is_not_called_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        exc = sqlite3.OperationalError("boom")
        exc.sqlite_errorcode = code  # type: ignore[attr-defined]
        raise exc

    monkeypatch.setattr(sqlite3, "connect", failing)
    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path / "base.sqlite3")
    message = str(caught.value)
    assert words in message and "ne la déplacez pas et ne la supprimez pas" in message
    assert "illisible" not in message


def test_a_database_folder_that_cannot_be_created_is_not_called_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".entretien"))

    monkeypatch.setattr(Path, "mkdir", refused)
    with pytest.raises(StoreError, match="inaccessible : les droits manquent"):
        Store.open(tmp_path / ".entretien" / "base.sqlite3")


def test_a_damaged_database_is_still_called_unreadable(workspace: Workspace) -> None:
    workspace.database_path.write_bytes(b"ceci n'est pas une base SQLite" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{workspace.database_path}{suffix}").unlink(missing_ok=True)
    result = run_cli(workspace, "status")
    assert result.exit_code == 1
    assert "illisible" in result.output and "Restaurez une sauvegarde" in result.output


def test_a_command_stopped_by_a_full_disk_says_so_without_a_crash_log(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "outbox/suivi.xlsx")

    monkeypatch.setattr("entretien_forms.cli.inbox.ingest_paths", full)
    result = run_cli(workspace, "ingest")
    assert result.exit_code == 1
    assert "impossible de terminer, le disque est plein (outbox/suivi.xlsx)" in result.output
    assert not (workspace.state_dir / "logs").exists()


def test_crash_logs_of_the_same_second_never_overwrite_each_other(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = write_log(tmp_path, "entretien-erreur", "un", now=NOW)
    second = write_log(tmp_path, "entretien-erreur", "deux", now=NOW)
    assert first != second
    assert (first.read_text("utf-8"), second.read_text("utf-8")) == ("un", "deux")

    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bogue")

    monkeypatch.setattr("entretien_forms.cli.inbox.ingest_paths", bug)
    for _ in range(3):
        assert "Erreur inattendue" in run_cli(workspace, "ingest").output
    assert len(list((workspace.state_dir / "logs").glob("entretien-erreur-*.log"))) == 3


def test_an_empty_signing_key_is_refused_not_used(workspace: Workspace) -> None:
    drop(workspace, "1-eloise.docx", form(workspace))
    drop(workspace, "2-thomas.docx", form(workspace, "S3"))
    (workspace.state_dir / "secret.key").write_text("", encoding="ascii")  # disk full once
    with pytest.raises(errors.WorkspaceError, match="clé de signature .* vide ou abîmée"):
        workspace.secret()

    report = ingest(workspace)

    (outcome,) = report.outcomes  # not "tampered": the workspace is at fault, and it stops
    assert outcome.status == "failed" and outcome.halt and outcome.log is None
    assert outcome.message.startswith("ÉCHEC   1-eloise.docx : La clé de signature ")
    assert outcome.message.endswith("Le fichier reste dans son dossier.")
    assert report.not_processed == [workspace.inbox / "2-thomas.docx"]
    assert (workspace.inbox / "1-eloise.docx").is_file()


# --- 6. type by content, ambiguous and oversized packages --------------------------------


def test_a_docx_whose_first_part_holds_pdf_magic_is_read_as_word(workspace: Workspace) -> None:
    parts = _parts(form(workspace))
    data = _zip([("%PDF-1.7.xml", b"%PDF-1.7 pas un PDF"), *parts])
    assert b"%PDF-" in data[:1024]
    assert sniff(data, "f.docx") == "docx"
    drop(workspace, "polyglotte.docx", data)

    (outcome,) = ingest(workspace).outcomes

    assert outcome.status == "ok", outcome.message


@pytest.mark.parametrize(
    ("data", "result"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\0" * 1000 + b"%PDF-1.7\n", "pdf"),  # junk before the header: allowed
        (b"\0" * 1020 + b"%PDF-1.7\n", "wrong_type"),  # header past 1,024 bytes
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1%PDF-1.7" + b"\0" * 100, "doc"),
        (b"{\\rtf1 %PDF-1.7}", "unsupported_format"),
    ],
)
def test_pdf_magic_counts_only_after_the_offset_0_signatures(data: bytes, result: str) -> None:
    try:
        assert sniff(data, "f.docx") == result
    except RejectedFile as rejection:
        assert rejection.code == result


def test_a_zip_with_pdf_magic_but_no_document_is_not_a_pdf() -> None:
    with pytest.raises(RejectedFile) as caught:
        sniff(_zip([("a.txt", b"%PDF-1.7")]), "f.pdf")
    assert caught.value.code is RejectionCode.WRONG_TYPE
    assert "archive compressée (.zip)" in caught.value.reason


@pytest.mark.parametrize(
    ("part", "copy"),
    [
        ("word/document.xml", "word/document.xml"),
        ("word/document.xml", "Word/Document.xml"),  # Office compares part names without case
        ("word/document.xml", "/word/document.xml"),
        ("[Content_Types].xml", "[Content_Types].xml"),
        ("docProps/custom.xml", "docProps/custom.xml"),
    ],
)
def test_a_package_with_a_part_given_twice_is_refused(
    workspace: Workspace, part: str, copy: str
) -> None:
    parts = _parts(form(workspace))
    original = dict(parts)[part]
    data = _zip([*parts, (copy, original.replace(b"Visio", b"Presentiel"))])
    with pytest.raises(RejectedFile) as caught:
        sniff(data, "double.docx")
    assert caught.value.code is RejectionCode.AMBIGUOUS
    assert f"contient deux fois la partie {part.lower()}" in caught.value.reason
    with pytest.raises(RejectedFile) as read:  # the reader says no by itself too
        docx_reader.extract_docx(data, "double.docx", None)
    assert read.value.code is RejectionCode.AMBIGUOUS


def test_a_document_part_over_the_cap_is_refused_before_it_is_parsed(
    workspace: Workspace,
) -> None:
    parts = _parts(form(workspace))
    document = dict(parts)["word/document.xml"]
    # Varied text compresses like real text (~5x): no bomb, just too big.
    words = b" ".join(str(n * 7919 % 100_003).encode() for n in range(1_800_000))
    padded = document.replace(
        b"</w:body>", b"<w:p><w:r><w:t>" + words + b"</w:t></w:r></w:p></w:body>"
    )
    assert len(padded) > docx_reader.MAX_DOCUMENT_BYTES
    data = _zip([(n, padded if n == "word/document.xml" else c) for n, c in parts])
    drop(workspace, "enorme.docx", data)

    (outcome,) = ingest(workspace).outcomes

    assert outcome.code is RejectionCode.TOO_LARGE
    assert "word/document.xml se décompresse en 1" in outcome.message


def test_a_central_directory_of_thousands_of_parts_is_refused_unread() -> None:
    data = _zip([(f"p{n}.xml", b"") for n in range(3000)])
    with pytest.raises(RejectedFile) as caught:
        sniff(data, "f.docx")
    assert caught.value.code is RejectionCode.TOO_LARGE
    assert caught.value.reason.startswith("f.docx contient 3000 parties compressées")


def test_temporaries_left_by_a_killed_write_are_removed_at_the_next_run(tmp_path: Path) -> None:
    """A SIGKILL during a note or a cross-device copy leaves `.<hex>.part`: cleaned at recovery."""
    from entretien_forms.inbox.filing import remove_orphan_temporaries

    folder = tmp_path / "rejected" / "sous-dossier"
    folder.mkdir(parents=True)
    orphan = folder / f".{'a1' * 16}.part"
    orphan.write_text("moitié")
    theirs = folder / ".brouillon.part"  # not one of ours: left alone
    theirs.write_text("x")
    kept = folder / "formulaire.docx"
    kept.write_text("y")

    assert remove_orphan_temporaries(tmp_path / "rejected") == 1
    assert sorted(p.name for p in folder.iterdir()) == [".brouillon.part", "formulaire.docx"]
