"""Issue pre-filled forms: plan what to write, then write it.

Generation is a bulk file operation, so it is planned first (who gets which
form, where it goes, what is skipped and why) and then applied; ``--dry-run``
prints the plan. Each file is written to a temporary name and renamed, and a
form enters the ledger only once its files exist: an interrupted run leaves
no half-written file and no phantom form, and a re-run finishes the job.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from entretien_forms.errors import GenerationError
from entretien_forms.forms import (
    Catalog,
    FormDefinition,
    grid_for,
    label_context,
    load_catalog,
    prefill_scope,
    prefill_values,
    reprint_values,
)
from entretien_forms.forms.model import KIND_LABELS, FormLayout, FormValues, Identity, Kind
from entretien_forms.identity import format_reference, sign
from entretien_forms.render.company_docx import CompanyDocxTemplate
from entretien_forms.render.docx import DocxTemplate
from entretien_forms.render.pdf import PdfTemplate, PrintBatch
from entretien_forms.roster import Employee
from entretien_forms.sanitize import UniqueFileNames, safe_filename
from entretien_forms.store import IssuedForm, Store
from entretien_forms.targeting import Target, choose_targets, horizon_end, interview_scope
from entretien_forms.workspace import Workspace

FORMATS = ("docx", "pdf")
NO_MANAGER_FOLDER = "sans-responsable"
PRINT_FOLDER = "impression"
ALL_FORMS_BATCH = "tous"
# Where « entretien courriel envoyer --essai » writes its messages (mail/send.py).
MAIL_DRAFTS_FOLDER = "courriels"


@dataclass(frozen=True)
class GenerationRequest:
    kind: Kind
    campaign: str
    today: date
    formats: tuple[str, ...] = FORMATS
    only: tuple[str, ...] = ()
    manager: str | None = None
    force: bool = False
    form_id: str | None = None
    # --tous: a professional interview or état des lieux for every active employee,
    # even those not due within the campaign's horizon.
    everyone: bool = False


@dataclass(frozen=True)
class PlannedForm:
    employee: Employee
    manager: Employee | None
    grid: str | None
    stem: str  # path below the outbox, without extension: <campagne>/<manager>/<nom>-<kind>
    previous: IssuedForm | None  # the form this one replaces (--force), if any
    # Why the employee is due the form, and the obligation behind it (its occasion, the
    # topics, the état des lieux's period); None: not known (annual form, no targeting).
    target: Target | None = None


@dataclass
class GenerationPlan:
    request: GenerationRequest
    definition: FormDefinition
    to_issue: list[PlannedForm] = field(default_factory=list)
    already_issued: list[tuple[Employee, IssuedForm]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # --only matricules not in the roster
    # Employees left out because their interview does not fall due within the horizon.
    not_due: list[tuple[Employee, Target]] = field(default_factory=list)
    horizon: date | None = None  # its last day, when the plan knows who is due

    def lines(self) -> list[str]:
        """French description of the plan (``--dry-run``), with why each one is or is not due."""
        out = []
        for item in self.to_issue:
            action = "remplacer" if item.previous else "émettre"
            formats = ", ".join(f".{f}" for f in self.request.formats)
            why = ""
            if item.target is not None:
                forced = "" if item.target.due else "--tous, non dû : "
                why = f" : {forced}{item.target.reason}"
            out.append(
                f"{action:9} {item.employee.full_name} ({item.employee.matricule}) → "
                f"{item.stem} [{formats}]{why}"
            )
        for employee, target in self.not_due:
            out.append(f"non dû    {employee.full_name} ({employee.matricule}) : {target.reason}")
        for employee, issued in self.already_issued:
            out.append(
                f"déjà émis {employee.full_name} ({employee.matricule}) : {issued.reference}"
                " (--force pour émettre une nouvelle version)"
            )
        for matricule in self.unknown:
            out.append(f"inconnu   matricule {matricule} : absent de la liste des salariés actifs")
        return out


@dataclass
class GenerationReport:
    issued: list[IssuedForm] = field(default_factory=list)
    batches: list[Path] = field(default_factory=list)
    batch_skipped: list[str] = field(default_factory=list)


def team_folders(employees: Iterable[Employee]) -> dict[str | None, str]:
    """Each team's folder and print batch name, by manager matricule (None: no manager).

    The manager's name, as HR knows them. Two managers whose names make the same
    file name (two « Martin Dupont ») both get their matricule added,
    "Martin-Dupont-M010" and "Martin-Dupont-M020": a "-2" would not say whose
    team it is. So does a manager named like one of the tool's own folders
    ("Tous", "Sans responsable").
    Computed from the whole roster, not from the employees of one run, so that
    a team's forms go to the same folder whatever ``--only`` or ``--manager``
    picked.
    """
    by_matricule = {e.matricule: e for e in employees}
    managers = sorted(
        {m for e in by_matricule.values() if (m := e.manager_matricule or "") in by_matricule}
    )
    reserved = (NO_MANAGER_FOLDER, PRINT_FOLDER, ALL_FORMS_BATCH, MAIL_DRAFTS_FOLDER)
    names = UniqueFileNames()
    for name in reserved:
        names.claim(name)
    clashes = Counter(
        [*reserved, *(safe_filename(by_matricule[m].full_name).lower() for m in managers)]
    )
    folders: dict[str | None, str] = {None: NO_MANAGER_FOLDER}
    for matricule in managers:
        name = safe_filename(by_matricule[matricule].full_name)
        if clashes[name.lower()] > 1:
            tag = safe_filename(matricule, max_length=20)
            name = f"{safe_filename(name, max_length=59 - len(tag))}-{tag}"
        folders[matricule] = names.claim(name)
    return folders


def plan_generation(
    workspace: Workspace,
    employees: Iterable[Employee],
    catalog: Catalog,
    store: Store,
    request: GenerationRequest,
    targets: Mapping[str, Target] | None = None,
) -> GenerationPlan:
    """Who gets which form, where it goes, and who is skipped and why.

    ``targets`` (``targeting.choose_targets``) says who is due the form and
    why; an employee who is not is left out unless ``request.everyone``. None
    issues to everyone, knowing no occasion (the annual interview).
    """
    definition = catalog.for_kind(request.kind, request.form_id)
    employees = list(employees)
    by_matricule = {e.matricule: e for e in employees}
    plan = GenerationPlan(request, definition)
    plan.unknown = [m for m in request.only if m not in by_matricule]
    if request.manager is not None and request.manager not in by_matricule:
        raise GenerationError(
            f"--manager {request.manager} : aucun salarié actif n'a ce matricule. Vérifiez-le "
            "avec « entretien roster check »."
        )
    issued = {
        f.matricule: f for f in store.current_issued(campaign=request.campaign, kind=request.kind)
    }
    campaign_dir = safe_filename(request.campaign)
    folders = team_folders(employees)
    file_names: dict[str, UniqueFileNames] = {}
    for employee in employees:
        if request.only and employee.matricule not in request.only:
            continue
        if request.manager is not None and employee.manager_matricule != request.manager:
            continue
        manager = by_matricule.get(employee.manager_matricule or "")
        previous = issued.get(employee.matricule)
        if previous is not None and not request.force:
            plan.already_issued.append((employee, previous))
            continue
        target = targets.get(employee.matricule) if targets is not None else None
        if target is not None and not target.due and not request.everyone:
            plan.not_due.append((employee, target))
            continue
        key = manager.matricule if manager else None
        names = file_names.setdefault(folders[key], UniqueFileNames())
        stem = names.claim(f"{employee.nom}-{employee.prenom}-{employee.matricule}-{request.kind}")
        plan.to_issue.append(
            PlannedForm(
                employee=employee,
                manager=manager,
                grid=grid_for(employee.poste, workspace.settings.job_grids),
                stem=f"{campaign_dir}/{folders[key]}/{stem}",
                previous=previous,
                target=target,
            )
        )
    return plan


_TemplateKey = tuple[str, str | None, tuple[str, ...] | None]


class _Templates:
    """Compiled renderers, one per (form, grid, occasions): compiling is the slow part.

    ``occasions`` are those of the interview a form is issued for (sections of
    other occasions are left out); None keeps every section.
    """

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.context = context
        self._layouts: dict[_TemplateKey, FormLayout] = {}
        self._docx: dict[_TemplateKey, DocxTemplate] = {}
        self._pdf: dict[_TemplateKey, PdfTemplate] = {}
        self._company: dict[_TemplateKey, CompanyDocxTemplate] = {}
        self._paper: dict[_TemplateKey, tuple[str, str]] = {}

    def layout(
        self,
        definition: FormDefinition,
        grid: str | None,
        occasions: Sequence[str] | None = None,
    ) -> FormLayout:
        key = (definition.id, grid, definition.variant(occasions))
        if key not in self._layouts:
            self._layouts[key] = definition.layout(grid, self.context, occasions)
        return self._layouts[key]

    def docx(
        self,
        definition: FormDefinition,
        grid: str | None,
        occasions: Sequence[str] | None = None,
    ) -> DocxTemplate:
        layout = self.layout(definition, grid, occasions)
        key = (definition.id, layout.grid, layout.occasions)
        if key not in self._docx:
            self._docx[key] = DocxTemplate.compile(layout)
        return self._docx[key]

    def company(
        self,
        definition: FormDefinition,
        grid: str | None,
        occasions: Sequence[str] | None = None,
    ) -> CompanyDocxTemplate:
        assert definition.word_template is not None
        layout = self.layout(definition, grid, occasions)
        key = (definition.id, layout.grid, layout.occasions)
        if key not in self._company:
            self._company[key] = CompanyDocxTemplate.compile(definition.word_template, layout)
        return self._company[key]

    def render(
        self,
        fmt: str,
        definition: FormDefinition,
        item: PlannedForm,
        identity: Identity,
        values: FormValues,
        interview: Mapping[str, Any] | None = None,
    ) -> bytes:
        """One file of one form; a company's Word template also needs the pre-fill scope."""
        occasions = item.target.occasions if item.target is not None else None
        if fmt == "pdf":
            return self.pdf(definition, item.grid, occasions).render(identity, values)
        if definition.word_template is None:
            return self.docx(definition, item.grid, occasions).render(identity, values)
        scope = prefill_scope(
            item.employee, item.manager, self.context, identity.issued_on, interview
        )
        return self.company(definition, item.grid, occasions).render(identity, values, scope)

    def pdf(
        self,
        definition: FormDefinition,
        grid: str | None,
        occasions: Sequence[str] | None = None,
    ) -> PdfTemplate:
        layout = self.layout(definition, grid, occasions)
        key = (definition.id, layout.grid, layout.occasions)
        if key not in self._pdf:
            self._pdf[key] = PdfTemplate.compile(layout)
        return self._pdf[key]

    def paper_map(
        self,
        definition: FormDefinition,
        grid: str | None,
        occasions: Sequence[str] | None = None,
    ) -> tuple[str, str]:
        """The key and text of the printed geometry of a form's PDF layout.

        Every form has one, whatever its formats: a print batch prints a form
        issued as .docx from the PDF layout too.
        """
        layout = self.layout(definition, grid, occasions)
        key = (definition.id, layout.grid, layout.occasions)
        if key not in self._paper:
            paper = self.pdf(definition, grid, occasions).paper_map
            self._paper[key] = paper.key, paper.to_json()
        return self._paper[key]


def issue_forms(
    workspace: Workspace,
    plan: GenerationPlan,
    store: Store,
    *,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> GenerationReport:
    """Write every planned form and record it in the ledger."""
    request, definition = plan.request, plan.definition
    now = now or datetime.now()
    secret = workspace.secret()
    templates = _Templates(
        label_context(request.campaign, request.today, workspace.settings.company)
    )
    numbers = iter(
        store.reserve_references(
            f"{definition.reference_prefix}-{request.campaign}", len(plan.to_issue)
        )
    )
    report = GenerationReport()
    pending: list[IssuedForm] = []
    maps: dict[str, str] = {}  # paper maps of the forms pending, stored before them
    for item in plan.to_issue:
        identity = _identity(workspace, definition, request, item, next(numbers), secret)
        interview = interview_scope(item.target)
        values = prefill_values(
            definition, item.employee, item.manager, templates.context, request.today, interview
        )
        occasions = item.target.occasions if item.target is not None else None
        files: dict[str, tuple[str, str]] = {}
        for fmt in request.formats:
            data = templates.render(fmt, definition, item, identity, values, interview)
            relative = f"{item.stem}.{fmt}"
            write_atomically(workspace.outbox / relative, data)
            files[fmt] = (relative, hashlib.sha256(data).hexdigest())
        map_key, map_text = templates.paper_map(definition, item.grid, occasions)
        maps[map_key] = map_text
        pending.append(
            IssuedForm(
                reference=identity.reference,
                matricule=item.employee.matricule,
                form_id=definition.id,
                kind=definition.kind,
                campaign=request.campaign,
                form_version=definition.version,
                grid=templates.layout(definition, item.grid).grid,
                signature=identity.signature,
                issued_at=now,
                docx_path=files.get("docx", (None, None))[0],
                docx_sha256=files.get("docx", (None, None))[1],
                pdf_path=files.get("pdf", (None, None))[0],
                pdf_sha256=files.get("pdf", (None, None))[1],
                occasions=",".join(occasions) if occasions is not None else None,
                prefill=json.dumps(dict(values), ensure_ascii=False, sort_keys=True),
                paper_map=map_key,
            )
        )
        if len(pending) >= 200:
            store.record_paper_maps(maps)
            store.record_issued(pending)
            report.issued.extend(pending)
            pending = []
        if progress is not None:
            progress(1)
    store.record_paper_maps(maps)
    store.record_issued(pending)
    report.issued.extend(pending)
    return report


def plan_forms(workspace: Workspace, store: Store, request: GenerationRequest) -> GenerationPlan:
    """Plan ``generate`` on the stored roster, with the workspace's form definitions."""
    employees = store.current_employees()
    if not employees:
        raise GenerationError(
            "Aucun salarié dans l'espace de travail. Importez d'abord la liste : "
            "« entretien generate FICHIER --kind ... » ou « entretien roster import FICHIER »."
        )
    catalog = load_catalog(workspace.templates_dir)
    targets = due_targets(workspace, store, request)
    plan = plan_generation(workspace, employees, catalog, store, request, targets)
    if targets is not None:
        plan.horizon = campaign_horizon(workspace, request)
    if plan.definition.word_template is not None and "docx" in request.formats:
        # Check the company's Word template now, so that --dry-run reports its mistakes
        # and a real run stops before the first file rather than in the middle.
        templates = _Templates(
            label_context(request.campaign, request.today, workspace.settings.company)
        )
        variants = {
            (item.grid, item.target.occasions if item.target is not None else None)
            for item in plan.to_issue
        }
        for grid, occasions in sorted(variants, key=repr):
            templates.company(plan.definition, grid, occasions)
    return plan


def campaign_horizon(workspace: Workspace, request: GenerationRequest) -> date:
    """The last day an interview may fall due to be issued in this campaign."""
    return horizon_end(request.today, workspace.settings.campaign.horizon_months)


def due_targets(
    workspace: Workspace, store: Store, request: GenerationRequest
) -> dict[str, Target] | None:
    """Who is due a professional interview or an état des lieux, and why; None for annuel.

    Computed from the same facts as the follow-up workbook and ``entretien
    status`` (the store, the HR sheets at the workspace's root, the trainings
    declared in returned forms), so that a form goes to the people those show
    as due.
    """
    if request.kind == "annuel":
        return None
    # Imported here: the follow-up reads the HR sheets, which the inbox (it imports
    # this module for its labels) never needs.
    from entretien_forms.reports.follow_up import compute_follow_up
    from entretien_forms.reports.status import workspace_inputs

    inputs = workspace_inputs(workspace, store, today=request.today)
    follow_up = compute_follow_up(
        store,
        workspace.settings,
        campaign=request.campaign,
        today=request.today,
        # The HR sheets' records, by name: the one place they reach the follow-up here.
        trainings=inputs.trainings,
        absences=inputs.absences,
        topups=inputs.topups,
        history=inputs.history,
        trainings_known=inputs.trainings_known,
    )
    return choose_targets(
        (person.assessment for person in follow_up.people),
        request.kind,
        end=campaign_horizon(workspace, request),
        trainings=inputs.trainings,
    )


def carry_out(
    workspace: Workspace,
    store: Store,
    plan: GenerationPlan,
    *,
    progress: Callable[[int], None] | None = None,
) -> GenerationReport:
    """Issue the planned forms, then rebuild the campaign's print batches (PDF only)."""
    report = issue_forms(workspace, plan, store, progress=progress)
    request = plan.request
    if "pdf" in request.formats:
        printed = write_print_batches(
            workspace,
            store.current_employees(),
            load_catalog(workspace.templates_dir),
            store,
            request.campaign,
            request.today,
        )
        report.batches, report.batch_skipped = printed.batches, printed.batch_skipped
    return report


def _identity(
    workspace: Workspace,
    definition: FormDefinition,
    request: GenerationRequest,
    item: PlannedForm,
    number: int,
    secret: bytes,
) -> Identity:
    reference = format_reference(definition.reference_prefix, request.campaign, number)
    return Identity(
        reference=reference,
        form_id=definition.id,
        form_version=definition.version,
        kind=definition.kind,
        campaign=request.campaign,
        matricule=item.employee.matricule,
        employee_name=item.employee.full_name,
        manager_name=item.manager.full_name if item.manager else None,
        company=workspace.settings.company.name,
        signature=sign(
            secret,
            reference=reference,
            matricule=item.employee.matricule,
            kind=definition.kind,
            campaign=request.campaign,
            version=definition.version,
        ),
        issued_on=request.today,
    )


def write_print_batches(
    workspace: Workspace,
    employees: Iterable[Employee],
    catalog: Catalog,
    store: Store,
    campaign: str,
    today: date,
) -> GenerationReport:
    """One printable PDF per manager's team, and one with every form, for paper users.

    Built from the ledger (every current form of the campaign, all kinds), so a
    partial run (``--only``) does not shrink a team's batch. Teams are today's,
    as the forms printed name today's manager, and each batch is named like the
    team's folder (``team_folders``).
    """
    report = GenerationReport()
    by_matricule = {e.matricule: e for e in employees}
    folders = team_folders(by_matricule.values())
    templates = _Templates(label_context(campaign, today, workspace.settings.company))
    teams: dict[str, list[tuple[Employee, IssuedForm]]] = {}
    for issued in store.current_issued(campaign=campaign):
        employee = by_matricule.get(issued.matricule)
        if employee is None:
            continue  # left since: nothing to print
        definition = catalog.forms.get(issued.form_id)
        if definition is None or definition.version != issued.form_version:
            report.batch_skipped.append(
                f"{issued.reference} ({employee.full_name}) : modèle « {issued.form_id} » "
                f"modifié depuis l'émission (version {issued.form_version}) ; relancez avec "
                "--force pour réémettre ce formulaire."
            )
            continue
        manager = by_matricule.get(employee.manager_matricule or "")
        teams.setdefault(folders[manager.matricule if manager else None], []).append(
            (employee, issued)
        )
    if not teams:
        return report
    print_folder = workspace.outbox / safe_filename(campaign) / PRINT_FOLDER
    # Each form's pages are computed once and written to its team's batch and to
    # the whole company's, both streamed to disk: memory stays flat however large.
    with _AtomicFile(print_folder / f"{ALL_FORMS_BATCH}.pdf") as everyone_file:
        everyone = PrintBatch(everyone_file.handle)
        for team, members in sorted(teams.items()):
            members.sort(
                key=lambda m: (
                    m[0].nom,
                    m[0].prenom,
                    m[0].matricule,
                    list(KIND_LABELS).index(m[1].kind),
                )
            )
            with _AtomicFile(print_folder / f"{team}.pdf") as team_file:
                team_batch = PrintBatch(team_file.handle)
                for employee, issued in members:
                    definition = catalog.forms[issued.form_id]
                    manager = by_matricule.get(employee.manager_matricule or "")
                    identity = Identity(
                        reference=issued.reference,
                        form_id=issued.form_id,
                        form_version=issued.form_version,
                        kind=definition.kind,
                        campaign=campaign,
                        matricule=employee.matricule,
                        employee_name=employee.full_name,
                        manager_name=manager.full_name if manager else None,
                        company=workspace.settings.company.name,
                        signature=issued.signature,
                        issued_on=issued.issued_at.date(),
                    )
                    values = reprint_values(
                        definition,
                        employee,
                        manager,
                        templates.context,
                        today,
                        issued.issued_values,
                    )
                    template = templates.pdf(definition, issued.grid, issued.layout_occasions)
                    pages = template.flattened_pages(identity, values)
                    team_batch.add(template, pages)
                    everyone.add(template, pages)
                team_batch.close()
            report.batches.append(team_file.path)
        everyone.close()
    report.batches.append(everyone_file.path)
    return report


class _AtomicFile:
    """A file written under a temporary name and renamed into place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tmp = path.with_name(f".{path.name}.part")

    def __enter__(self) -> _AtomicFile:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle: BinaryIO = self._tmp.open("wb")
        except OSError as exc:
            raise _write_error(self.path, exc) from exc
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.handle.close()
        if error is not None:
            with suppress(OSError):
                self._tmp.unlink()
            return
        try:
            self._tmp.replace(self.path)
        except OSError as exc:
            with suppress(OSError):
                self._tmp.unlink()
            raise _write_error(self.path, exc) from exc


def _write_error(path: Path, exc: OSError) -> GenerationError:
    return GenerationError(
        f"Impossible d'écrire {path} : {exc.strerror}. Le fichier est peut-être ouvert dans "
        "Word ou le dossier protégé en écriture ; fermez-le et relancez la commande."
    )


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            handle.write(data)
        tmp.replace(path)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise _write_error(path, exc) from exc
