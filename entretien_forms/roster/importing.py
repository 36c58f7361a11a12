"""Import a roster file into a workspace: read it, then store it as the current roster.

Shared by ``entretien roster import``, ``entretien demo`` and ``entretien
generate FILE``, and by anything else (a test, a future watcher of the roster
folder) that must give the same result: the CLI only prints the report.

Apart from the rest of the package because it needs the store and the form
catalogue, which themselves import ``roster`` (``roster.import_file`` imports
this module when called).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from entretien_forms.errors import UnreadableFileError
from entretien_forms.forms import load_catalog
from entretien_forms.roster import Roster, read_roster
from entretien_forms.store import ImportReport, Store
from entretien_forms.workspace import Workspace


@dataclass(frozen=True)
class RosterImport:
    """What an import read and what it changed, for the summary the user reads."""

    roster: Roster  # employees kept, rows excluded, problems found
    stored: ImportReport  # added, updated, departed, missing, unchanged

    @property
    def has_errors(self) -> bool:
        """Rows in error were not imported: the command says so in its exit code."""
        return self.roster.has_errors


def import_file(
    path: Path, workspace: Workspace, *, now: datetime | None = None, today: date | None = None
) -> RosterImport:
    """Read ``path`` and make its valid rows the workspace's current roster.

    Keeps the extra columns the workspace's forms pre-fill (KPIs), nothing
    else. The import records the file's SHA-256, so that it can be told which
    file it came from. Raises ``RosterError`` (or its ``UnreadableFileError``)
    when the file is not a roster: then nothing is stored.
    """
    extra = sorted(
        {c for form in load_catalog(workspace.templates_dir) for c in form.roster_columns}
    )
    roster = read_roster(path, today=today, settings=workspace.settings.roster, extra_columns=extra)
    digest = _sha256(path)
    with Store.open(workspace.database_path) as store:
        stored = store.import_roster(roster, sha256=digest, now=now or datetime.now())
    return RosterImport(roster, stored)


def _sha256(path: Path) -> str:
    """Hash by chunks: a roster may be tens of megabytes, and hashing must not hold it whole."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:  # removed or locked between the read and now
        raise UnreadableFileError(
            f"{path.name} : lecture impossible ({exc.strerror}) ; rien n'a été importé. "
            "Relancez l'import."
        ) from exc
