"""The ``entretien`` command: a thin layer over the library.

Commands parse options, call one library function and print its result in
French. This module owns the one place where exceptions become messages:
a project error prints its French text (exit 1), a usage error is Click's
(exit 2), a full disk or missing rights say so in French (exit 1: not a bug,
and the data is intact), anything else is a bug: a short French line, the
traceback in a log file of its own for the bug report.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click

from entretien_forms.errors import EntretienError, storage_problem
from entretien_forms.logs import LOGS_FOLDER, write_log
from entretien_forms.workspace import STATE_FOLDER, Workspace, open_workspace


class AppContext:
    """What every command may need, resolved lazily (``roster check`` needs no workspace)."""

    def __init__(self, workspace_dir: Path | None) -> None:
        self.workspace_dir = workspace_dir or Path.cwd()
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.workspace_dir)
        return self._workspace

    def workspace_if_any(self) -> Workspace | None:
        try:
            return self.workspace()
        except EntretienError:
            return None


class _FriendlyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EntretienError as exc:
            click.secho(f"Erreur : {exc}", fg="red", err=True)
            sys.exit(getattr(exc, "exit_code", 1))
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("Interrompu.", err=True)
            sys.exit(130)
        except Exception as exc:
            problem = storage_problem(exc)
            if problem is not None:
                click.secho(_storage_message(exc, problem), fg="red", err=True)
                sys.exit(1)
            log = _write_crash_log(ctx)
            where = (
                f"Les détails techniques sont dans {log} ; joignez ce fichier à votre signalement."
                if log is not None
                else "Le journal n'a pas pu être écrit (disque plein ?) ; relancez la commande "
                "avec ENTRETIEN_DEBUG=1 pour voir le détail."
            )
            click.secho(
                f"Erreur inattendue : ce n'est pas de votre faute. {where}", fg="red", err=True
            )
            if log is None and os.environ.get("ENTRETIEN_DEBUG"):
                traceback.print_exc()
            sys.exit(1)


def _storage_message(exc: BaseException, problem: str) -> str:
    """A full disk or a read-only folder: say where, and that nothing is damaged."""
    raw = getattr(exc, "filename", None)
    where = f" ({os.fsdecode(raw)})" if isinstance(raw, str | bytes) else ""
    return (
        f"Erreur : impossible de terminer, {problem}{where}. Les fichiers déjà écrits ne sont "
        "pas abîmés : réglez ce problème (place sur le disque, droits d'écriture) puis relancez "
        "la commande."
    )


def _write_crash_log(ctx: click.Context) -> Path | None:
    """A new log file (never another's: two crashes in one second keep both); None if full."""
    app = ctx.find_object(AppContext)
    text = f"entretien {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}"
    folders = [Path(tempfile.gettempdir())]
    if app is not None and (app.workspace_dir / STATE_FOLDER).is_dir():
        folders.insert(0, app.workspace_dir / STATE_FOLDER / LOGS_FOLDER)
    for folder in folders:
        try:
            path = write_log(folder, "entretien-erreur", text)
        except OSError:
            continue
        logging.getLogger("entretien_forms").debug("crash log written to %s", path)
        return path
    return None


@click.group(cls=_FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-w",
    "--workspace",
    "workspace_dir",
    envvar="ENTRETIEN_WORKSPACE",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de l'espace de travail (sinon ENTRETIEN_WORKSPACE, sinon le dossier courant).",
)
@click.version_option(package_name="entretien-forms", message="entretien-forms %(version)s")
@click.pass_context
def cli(ctx: click.Context, workspace_dir: Path | None) -> None:
    """Entretiens annuels et professionnels : formulaires, collecte et suivi."""
    ctx.obj = AppContext(workspace_dir)


def main() -> None:
    _tolerant_console()
    cli(prog_name="entretien")


def _tolerant_console() -> None:
    """A console that cannot show a character (→, « » in cp1252, cp850) shows « ? », never crashes.

    A Windows console or a redirected output may use a legacy code page: every
    line the tool prints must still reach it, the work already done must not end
    in a traceback.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


# Commands register themselves on ``cli`` when their module is imported.
from entretien_forms.cli import forms as _forms  # noqa: E402,F401
from entretien_forms.cli import generate as _generate  # noqa: E402,F401
from entretien_forms.cli import inbox as _inbox  # noqa: E402,F401
from entretien_forms.cli import keying as _keying  # noqa: E402,F401
from entretien_forms.cli import mail as _mail  # noqa: E402,F401
from entretien_forms.cli import mail_collect as _mail_collect  # noqa: E402,F401
from entretien_forms.cli import report as _report  # noqa: E402,F401
from entretien_forms.cli import roster as _roster  # noqa: E402,F401
from entretien_forms.cli import status as _status  # noqa: E402,F401
from entretien_forms.cli import watch as _watch  # noqa: E402,F401
from entretien_forms.cli import workspace as _workspace  # noqa: E402,F401
