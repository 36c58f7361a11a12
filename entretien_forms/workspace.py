"""The workspace: the folder HR works in, and the only place we write.

A workspace is any folder holding ``entretien.toml``. Beside it: the form
definitions HR may edit (``templates/``), the drop folder (``inbox/``), what
we produce (``outbox/``), what we filed (``archive/``, ``rejected/``), and a
hidden ``.entretien/`` folder with the database, the signing secret and logs.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from entretien_forms.config import CONFIG_FILE_NAME, Settings, load_settings
from entretien_forms.errors import WorkspaceError

FOLDERS = ("templates", "inbox", "outbox", "archive", "rejected")
STATE_FOLDER = ".entretien"
SECRET_FILE = "secret.key"
DATABASE_FILE = "entretien.sqlite3"
# The e-mail messages HR may reword (mail/compose.py), copied into templates/ by init.
MAIL_TEMPLATES = ("courriel-envoi.txt", "courriel-relance.txt", "courriel-autoevaluation.txt")


@dataclass(frozen=True)
class Workspace:
    root: Path
    settings: Settings

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE_NAME

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_FOLDER

    @property
    def database_path(self) -> Path:
        return self.state_dir / DATABASE_FILE

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def secret(self) -> bytes:
        """The key that signs issued forms, created on first use if missing.

        A fresh clone of the repository is a workspace without a secret (it
        must never be committed), hence the lazy creation.
        """
        return _ensure_secret(self.state_dir / SECRET_FILE)[0]


@dataclass
class InitReport:
    """What ``init`` did to each file, so the user can see nothing was lost."""

    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def open_workspace(root: Path) -> Workspace:
    """Open the workspace at ``root``; say how to create one if there is none."""
    root = root.expanduser().resolve()
    if not (root / CONFIG_FILE_NAME).is_file():
        raise WorkspaceError(
            f"Le dossier {root} n'est pas un espace de travail ({CONFIG_FILE_NAME} introuvable). "
            "Créez-en un avec « entretien init DOSSIER », ou indiquez le bon dossier avec "
            "--workspace DOSSIER ou la variable ENTRETIEN_WORKSPACE."
        )
    return Workspace(root=root, settings=load_settings(root / CONFIG_FILE_NAME))


def init_workspace(root: Path) -> InitReport:
    """Create or complete a workspace without ever overwriting what the user edited."""
    root = root.expanduser().resolve()
    report = InitReport(root=root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for folder in FOLDERS:
            (root / folder).mkdir(exist_ok=True)
        _install(_builtin("workspace_files", CONFIG_FILE_NAME), root / CONFIG_FILE_NAME, report)
        for name, text in _builtin_templates():
            _install(text, root / "templates" / name, report)
        for name in MAIL_TEMPLATES:
            _install(_builtin("workspace_files", name), root / "templates" / name, report)
        (root / STATE_FOLDER).mkdir(exist_ok=True)
        created = _ensure_secret(root / STATE_FOLDER / SECRET_FILE)[1]
    except OSError as exc:
        raise WorkspaceError(
            f"Impossible de préparer l'espace de travail {root} : {exc.strerror} "
            f"({exc.filename}). Vérifiez les droits d'écriture sur ce dossier."
        ) from exc
    if created:
        report.created.append(f"{STATE_FOLDER}/{SECRET_FILE}")
    # Fail now, not at the next command, if an existing entretien.toml is invalid.
    load_settings(root / CONFIG_FILE_NAME)
    return report


def _install(text: str, target: Path, report: InitReport) -> None:
    relative = target.relative_to(report.root).as_posix()
    if not target.exists():
        _write_atomically(target, text)
        report.created.append(relative)
    elif target.read_bytes() == text.encode("utf-8"):
        report.unchanged.append(relative)
    else:
        report.kept.append(relative)


def _builtin(package_folder: str, name: str) -> str:
    return (resources.files("entretien_forms") / package_folder / name).read_text("utf-8")


def _builtin_templates() -> list[tuple[str, str]]:
    folder = resources.files("entretien_forms") / "templates"
    return sorted(
        (entry.name, entry.read_text("utf-8"))
        for entry in folder.iterdir()
        if entry.is_file() and not entry.name.startswith((".", "_"))
    )


def _write_atomically(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(target)


def _ensure_secret(path: Path) -> tuple[bytes, bool]:
    """Return the secret and whether it was just created (mode 0600, never overwritten).

    Written whole to a temporary file, then linked to its name: a full disk can
    leave no empty ``secret.key`` behind, which would sign forms with an empty key.
    """
    if path.exists():
        return _read_secret(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system (FAT, some shares)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key.hex() + "\n")
    except FileExistsError:  # created meanwhile by another process
        return _read_secret(path), False
    finally:
        tmp.unlink(missing_ok=True)
    return key, True


def _read_secret(path: Path) -> bytes:
    text = path.read_text("ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise WorkspaceError(
            f"La clé de signature {path} est vide ou abîmée (disque plein lors de sa création ?). "
            "Si aucun formulaire n'a encore été émis, supprimez ce fichier : une nouvelle clé "
            "sera créée ; sinon restaurez-le depuis une sauvegarde."
        )
    return key
