"""The ``entretien`` command: a thin layer over the library.

Commands parse options, call one library function and print its result in
French. This module owns the one place where exceptions become messages:
a project error prints its French text (exit 1), a usage error is Click's
(exit 2), anything else is a bug: a short French line, the traceback in a
log file for the bug report.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from entretien_forms.errors import EntretienError
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
        except Exception:
            log = _write_crash_log(ctx)
            click.secho(
                "Erreur inattendue : ce n'est pas de votre faute. Les détails techniques sont "
                f"dans {log} ; joignez ce fichier à votre signalement.",
                fg="red",
                err=True,
            )
            sys.exit(1)


def _write_crash_log(ctx: click.Context) -> Path:
    app = ctx.find_object(AppContext)
    folder = Path(tempfile.gettempdir())
    if app is not None and (app.workspace_dir / STATE_FOLDER).is_dir():
        folder = app.workspace_dir / STATE_FOLDER / "logs"
        folder.mkdir(exist_ok=True)
    path = folder / f"entretien-erreur-{datetime.now():%Y%m%d-%H%M%S}.log"
    path.write_text(
        f"entretien {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}", encoding="utf-8"
    )
    logging.getLogger("entretien_forms").debug("crash log written to %s", path)
    return path


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
    cli(prog_name="entretien")


# Commands register themselves on ``cli`` when their module is imported.
from entretien_forms.cli import forms as _forms  # noqa: E402,F401
from entretien_forms.cli import generate as _generate  # noqa: E402,F401
from entretien_forms.cli import inbox as _inbox  # noqa: E402,F401
from entretien_forms.cli import report as _report  # noqa: E402,F401
from entretien_forms.cli import roster as _roster  # noqa: E402,F401
from entretien_forms.cli import status as _status  # noqa: E402,F401
from entretien_forms.cli import watch as _watch  # noqa: E402,F401
from entretien_forms.cli import workspace as _workspace  # noqa: E402,F401
