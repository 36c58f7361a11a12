"""Plain functions that build the states tests start from, shared by the test files.

Fixtures in ``conftest.py`` wrap the few that need ``tmp_path``; everything
else is called directly, so that a test reads its own setup in one line. Each
builder fills every field the tests do not care about with one fixed value,
and takes as keywords the ones a test pins.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from entretien_forms.forms import load_catalog
from entretien_forms.forms.model import Kind
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.roster import Employee, read_roster
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

# The day most tests run on: the autumn 2026 campaign, late enough that returns exist.
TODAY = date(2026, 11, 26)
# The day the roster-reading tests read their files (two-digit years, ages and seniority
# in their expected messages are computed from it).
ROSTER_DAY = date(2025, 6, 15)
# The five columns a roster cannot do without, as a CSV or sheet header row (a tuple:
# shared by every test, it must not be changed by one).
REQUIRED_HEADER = ("Matricule", "Nom", "Prénom", "Date d'entrée", "Poste")
# Where the ``store`` fixture and ``open_store`` keep the database.
STORE_PATH = Path("db") / "entretien.sqlite3"


def employee(matricule: str, row: int, **fields: object) -> Employee:
    """Léa Roy, accountant since 01/02/2020, read from ``row``; ``fields`` change the rest."""
    values: dict[str, object] = {
        "nom": "Roy",
        "prenom": "Léa",
        "date_entree": date(2020, 2, 1),
        "poste": "Comptable",
    }
    return Employee(matricule=matricule, row=row, **{**values, **fields})  # type: ignore[arg-type]


def issued_form(
    reference: str,
    matricule: str,
    kind: str = "annuel",
    *,
    campaign: str = "2026",
    docx_path: str | None = None,
    grid: str | None = None,
    signature: str = "sig",
    issued_at: datetime = datetime(2026, 10, 1, 9, 0),
) -> IssuedForm:
    """A ledger entry for one issued form of the built-in definition of ``kind``."""
    return IssuedForm(
        reference=reference,
        matricule=matricule,
        form_id=f"entretien-{kind}",
        kind=kind,
        campaign=campaign,
        form_version="2026.1",
        grid=grid,
        signature=signature,
        issued_at=issued_at,
        docx_path=docx_path,
    )


def submission(
    reference: str,
    matricule: str,
    kind: str = "annuel",
    *,
    received_at: datetime,
    sha256: str,
    campaign: str = "2026",
    form_id: str | None = None,
    form_version: str = "2026.1",
    paper: bool = False,
    fmt: str | None = None,
    source_file: str | None = None,
    archive_path: str | None = None,
) -> Submission:
    """A stored return of ``reference``: a .docx, or a .pdf when ``paper`` (a scan) or ``fmt``."""
    extension = fmt or ("pdf" if paper else "docx")
    return Submission(
        reference=reference,
        matricule=matricule,
        form_id=form_id or f"entretien-{kind}",
        kind=kind,
        campaign=campaign,
        form_version=form_version,
        received_at=received_at,
        source_file=source_file or f"{reference}.{extension}",
        sha256=sha256,
        format=extension,
        producer=None,
        paper=paper,
        warnings=(),
        archive_path=archive_path or f"archive/{reference}",
    )


def return_of(
    form: IssuedForm, sha256: str, received_at: datetime, *, paper: bool = False
) -> Submission:
    """The return of an issued form, as the inbox stores it."""
    return submission(
        form.reference,
        form.matricule,
        form.kind,
        received_at=received_at,
        sha256=sha256,
        campaign=form.campaign,
        form_id=form.form_id,
        form_version=form.form_version,
        paper=paper,
    )


def record_answers(
    store: Store, returned: Submission, answers: Mapping[str, Any], *, source: str = "control"
) -> None:
    """Store ``returned`` with ``answers`` (field id → value), received when it says."""
    stored = [StoredAnswer(key, value, source) for key, value in answers.items()]
    store.record_submission(returned, stored, now=returned.received_at)


def workspace_with_roster(
    tmp_path: Path,
    roster_csv: str,
    *,
    today: date = TODAY,
    now: datetime = datetime(2026, 11, 26, 8),
) -> Workspace:
    """A new workspace in ``tmp_path / "ws"`` whose current roster is ``roster_csv``.

    The CSV text is written to ``tmp_path / "salaries.csv"``, read as of ``today``
    and imported at ``now``; it must read without a problem, so that a test
    never runs on a roster it did not mean.
    """
    init_workspace(tmp_path / "ws")
    workspace = open_workspace(tmp_path / "ws")
    roster_file = tmp_path / "salaries.csv"
    roster_file.write_text(roster_csv, encoding="utf-8")
    roster = read_roster(roster_file, today=today)
    assert roster.problems == (), roster.problems
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="x", now=now)
    return workspace


def issue_for_everyone(
    workspace: Workspace,
    kind: Kind,
    *,
    campaign: str = "2026",
    today: date = TODAY,
    now: datetime = datetime(2026, 11, 26, 9),
) -> list[IssuedForm]:
    """Issue ``kind`` forms to every current employee of ``workspace`` (Word and PDF)."""
    with Store.open(workspace.database_path) as store:
        request = GenerationRequest(kind=kind, campaign=campaign, today=today)
        catalog = load_catalog(workspace.templates_dir)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        return issue_forms(workspace, plan, store, now=now).issued
