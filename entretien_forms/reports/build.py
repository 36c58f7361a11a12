"""Build both workbooks of a workspace: what ``entretien report`` and the watcher call.

The optional HR sheets (trainings, absences, top-ups, history) are given on the
command line or, for the watcher which has no command line, found in the
workspace under their usual names (``formations.xlsx`` / ``.csv``,
``absences.xlsx``, ``abondements.xlsx``, ``historique.xlsx``...). Trainings
declared as followed in the professional interview forms are added for the rules.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from entretien_forms.forms import load_catalog
from entretien_forms.reports.compliance import COMPLIANCE_FILE_NAME, write_compliance_workbook
from entretien_forms.reports.followed import followed_trainings
from entretien_forms.reports.plan import (
    DEFAULT_THEMES,
    PlannedTraining,
    plan_file_name,
    write_plan_workbook,
)
from entretien_forms.reports.sheets import (
    AbsenceRecord,
    AnyHRSheet,
    HistoryRecord,
    TopUpPayment,
    TrainingRecord,
    read_absences,
    read_history,
    read_topups,
    read_trainings,
)
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, open_workspace

TRAININGS_NAMES = ("formations.xlsx", "formations.csv")
ABSENCES_NAMES = ("absences.xlsx", "absences.csv")
TOPUPS_NAMES = ("abondements.xlsx", "abondements.csv")
HISTORY_NAMES = (
    "historique.xlsx",
    "historique.csv",
    "historique-entretiens.xlsx",
    "historique-entretiens.csv",
)


@dataclass
class ReportResult:
    workbooks: list[Path] = field(default_factory=list)
    sheets: list[AnyHRSheet] = field(default_factory=list)
    # A workbook written under a dated name → the one it stands for, locked (open in Excel).
    copies: dict[Path, Path] = field(default_factory=dict)


def find_sheet(workspace: Workspace, names: Sequence[str]) -> Path | None:
    """The first of ``names`` present at the workspace's root."""
    return next((workspace.root / n for n in names if (workspace.root / n).is_file()), None)


@dataclass(frozen=True)
class HRSheets:
    """The optional HR sheets, read with their problems, and the records they give."""

    trainings: tuple[TrainingRecord, ...] = ()
    absences: tuple[AbsenceRecord, ...] = ()
    topups: tuple[TopUpPayment, ...] = ()
    sheets: tuple[AnyHRSheet, ...] = ()
    # A trainings sheet was read: then a training it does not list was not followed.
    trainings_known: bool = False
    history: tuple[HistoryRecord, ...] = ()  # past interviews HR lists (historique.xlsx)


def read_hr_sheets(
    workspace: Workspace,
    *,
    today: date,
    trainings_file: Path | None = None,
    absences_file: Path | None = None,
    topups_file: Path | None = None,
    history_file: Path | None = None,
) -> HRSheets:
    """The trainings, absences, top-ups and history sheets given, or else found at the root.

    ``entretien report``, the watcher and ``entretien status`` all read them
    here, so that they compute from the same records.
    """
    trainings_file = trainings_file or find_sheet(workspace, TRAININGS_NAMES)
    absences_file = absences_file or find_sheet(workspace, ABSENCES_NAMES)
    topups_file = topups_file or find_sheet(workspace, TOPUPS_NAMES)
    history_file = history_file or find_sheet(workspace, HISTORY_NAMES)
    settings = workspace.settings.roster
    sheets: list[AnyHRSheet] = []
    trainings: tuple[TrainingRecord, ...] = ()
    absences: tuple[AbsenceRecord, ...] = ()
    topups: tuple[TopUpPayment, ...] = ()
    history: tuple[HistoryRecord, ...] = ()
    if trainings_file is not None:
        training_sheet = read_trainings(trainings_file, today=today, settings=settings)
        sheets.append(training_sheet)
        trainings = training_sheet.records
    if absences_file is not None:
        absence_sheet = read_absences(absences_file, today=today, settings=settings)
        sheets.append(absence_sheet)
        absences = absence_sheet.records
    if topups_file is not None:
        topup_sheet = read_topups(topups_file, today=today, settings=settings)
        sheets.append(topup_sheet)
        topups = topup_sheet.records
    if history_file is not None:
        history_sheet = read_history(history_file, today=today, settings=settings)
        sheets.append(history_sheet)
        history = history_sheet.records
    return HRSheets(
        trainings,
        absences,
        topups,
        tuple(sheets),
        trainings_known=trainings_file is not None,
        history=history,
    )


def build_reports(
    workspace: Workspace,
    store: Store,
    *,
    campaign: str,
    today: date,
    trainings_file: Path | None = None,
    absences_file: Path | None = None,
    topups_file: Path | None = None,
    history_file: Path | None = None,
) -> ReportResult:
    """Write the training plan and the follow-up workbook into ``outbox/``."""
    result = ReportResult()
    hr = read_hr_sheets(
        workspace,
        today=today,
        trainings_file=trainings_file,
        absences_file=absences_file,
        topups_file=topups_file,
        history_file=history_file,
    )
    result.sheets += hr.sheets
    planned = [
        PlannedTraining(
            matricule=r.matricule,
            title=r.training.title,
            start=r.training.start,
            end=r.training.end,
            hours=r.hours,
            cost=r.cost,
            mandatory=r.training.mandatory,
            status=r.status,
        )
        for r in hr.trainings
    ]
    plan_job = (workspace.root, campaign, today, tuple(planned))  # settings re-read by the worker
    if (os.cpu_count() or 1) > 1 and store.current_employee_count() >= PARALLEL_FROM:
        # The two workbooks share nothing: on two cores, write them side by side,
        # the plan in one worker (started first: it is the longer) and the
        # follow-up here (a second worker would only add its own copy of this
        # process's memory).
        with ProcessPoolExecutor(1) as pool:
            plan = pool.submit(_write_plan, *plan_job)
            compliance = _write_compliance(*_compliance_job(workspace, store, campaign, today, hr))
            result.workbooks += [plan.result(), compliance]
    else:
        result.workbooks += [
            _write_plan(*plan_job),
            _write_compliance(*_compliance_job(workspace, store, campaign, today, hr)),
        ]
    for written, name in zip(
        result.workbooks, (plan_file_name(campaign), COMPLIANCE_FILE_NAME), strict=True
    ):
        if written.name != name:
            result.copies[written] = written.with_name(name)
    return result


def _compliance_job(
    workspace: Workspace, store: Store, campaign: str, today: date, hr: HRSheets
) -> tuple[Path, str, date, HRSheets]:
    # The rules also count the trainings employees declared in their professional interviews.
    followed = tuple(followed_trainings(store))
    return (workspace.root, campaign, today, replace(hr, trainings=hr.trainings + followed))


# Below this many employees, starting a second process costs more than it saves.
PARALLEL_FROM = 1000


def _write_plan(
    root: Path, campaign: str, today: date, planned: tuple[PlannedTraining, ...]
) -> Path:
    workspace = open_workspace(root)
    with Store.open(workspace.database_path) as store:
        catalog = load_catalog(workspace.templates_dir)
        settings = workspace.settings
        return write_plan_workbook(
            workspace.outbox,
            store,
            catalog,
            campaign=campaign,
            today=today,
            trainings=planned,
            themes=settings.training_themes or DEFAULT_THEMES,
            engagement_days=settings.reports.engagement_days,
        )


def _write_compliance(root: Path, campaign: str, today: date, hr: HRSheets) -> Path:
    workspace = open_workspace(root)
    with Store.open(workspace.database_path) as store:
        return write_compliance_workbook(
            workspace.outbox,
            store,
            workspace.settings,
            campaign=campaign,
            today=today,
            trainings=hr.trainings,
            absences=hr.absences,
            topups=hr.topups,
            history=hr.history,
            trainings_known=hr.trainings_known,
        )
