"""``entretien demo`` as one library call: the whole tour of the tool on the sample company.

The CLI only prints the returned ``DemoReport``; a test calls ``run_demo``
directly and checks the same figures without parsing French output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from entretien_forms.forms.model import Kind
from entretien_forms.generate import (
    GenerationPlan,
    GenerationReport,
    GenerationRequest,
    carry_out,
    plan_forms,
)
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.inbox.model import IngestReport
from entretien_forms.reports.build import build_reports
from entretien_forms.roster.importing import RosterImport, import_file
from entretien_forms.roster.model import Employee
from entretien_forms.sample.company import copy_sample_roster, set_sample_company
from entretien_forms.sample.returns import sample_returns
from entretien_forms.store import Store
from entretien_forms.workspace import InitReport, Workspace, init_workspace, open_workspace

DEMO_KINDS: tuple[Kind, ...] = ("annuel", "professionnel")
# How many issued forms the managers send back: 4 annual (.docx), 3 professional (.pdf).
_ANNUAL_RETURNS = 4
_PROFESSIONAL_RETURNS = 3


@dataclass(frozen=True)
class DemoTeam:
    """One team of the sample roster: its manager (``None``: no manager in the list)."""

    manager: Employee | None
    size: int


@dataclass(frozen=True)
class DemoReturns:
    """The files the managers dropped in the inbox, and what the inbox made of them."""

    files: int
    ingest: IngestReport


@dataclass(frozen=True)
class DemoReport:
    """Everything ``entretien demo`` did, in the order it prints it."""

    init: InitReport
    workspace: Workspace
    roster_file: Path
    imported: RosterImport
    teams: list[DemoTeam]
    campaign: str
    generations: list[tuple[GenerationPlan, GenerationReport]] = field(default_factory=list)
    # None when an earlier demo already stored returns: none are played again.
    returns: DemoReturns | None = None
    workbooks: list[Path] = field(default_factory=list)


def run_demo(directory: Path, *, today: date | None = None) -> DemoReport:
    """Create the demo workspace in ``directory`` and take it through every step once.

    Init, sample roster imported, annual and professional forms issued, a few
    returns played by the managers through the real inbox (Word, PDF, one
    incomplete, one unreadable), then both workbooks. Running it again is
    harmless: nothing is issued twice and the returns are not played again.
    """
    today = today or date.today()
    init = init_workspace(directory)
    if "entretien.toml" in init.created:
        set_sample_company(init.root / "entretien.toml")
    workspace = open_workspace(directory)
    roster_file = copy_sample_roster(workspace.root)
    imported = import_file(roster_file, workspace)
    campaign = str(today.year)
    generations = []
    with Store.open(workspace.database_path) as store:
        for kind in DEMO_KINDS:
            request = GenerationRequest(kind=kind, campaign=campaign, today=today)
            plan = plan_forms(workspace, store, request)
            generations.append((plan, carry_out(workspace, store, plan)))
        returns = None
        if not store.submissions():
            returns = _play_the_managers(workspace, store, campaign, today)
        workbooks = build_reports(workspace, store, campaign=campaign, today=today).workbooks
    return DemoReport(
        init=init,
        workspace=workspace,
        roster_file=roster_file,
        imported=imported,
        teams=count_teams(imported.roster.employees),
        campaign=campaign,
        generations=generations,
        returns=returns,
        workbooks=workbooks,
    )


def count_teams(employees: Sequence[Employee]) -> list[DemoTeam]:
    """Team sizes by manager matricule, in matricule order (no manager sorts as « - »).

    A manager matricule that names nobody in the list gives a team without a
    manager, as an employee without one does.
    """
    sizes: dict[str, int] = {}
    for employee in employees:
        key = employee.manager_matricule or "-"
        sizes[key] = sizes.get(key, 0) + 1
    by_matricule = {e.matricule: e for e in employees}
    return [DemoTeam(by_matricule.get(key), size) for key, size in sorted(sizes.items())]


def _play_the_managers(
    workspace: Workspace, store: Store, campaign: str, today: date
) -> DemoReturns:
    """Managers return a few forms (Word, PDF, one incomplete, one unreadable), then ingest."""
    issued = store.current_issued(campaign=campaign)
    annual = [
        ("annuel", workspace.outbox / f.docx_path)
        for f in issued
        if f.kind == "annuel" and f.docx_path
    ]
    professional = [
        ("professionnel", workspace.outbox / f.pdf_path)
        for f in issued
        if f.kind == "professionnel" and f.pdf_path
    ]
    returned = sample_returns(
        annual[:_ANNUAL_RETURNS] + professional[:_PROFESSIONAL_RETURNS], today
    )
    for name, data in returned:
        (workspace.inbox / name).write_bytes(data)
    return DemoReturns(len(returned), ingest_paths(workspace, store, [workspace.inbox]))
