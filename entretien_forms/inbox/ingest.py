"""Take one returned file through the inbox: store its answers and archive it, or set it aside.

The steps are small and in this order: preflight (ignored name, directory
entry, size, type by content, hash, duplicate) → identify (reference in the
ledger, signature) → extract (one reader per format) → validate (one set of
rules) → store (one transaction) → file away. Each step either lets the file
go on, or stops it with a known reason (``RejectedFile`` and its
``RejectionCode``); anything else a step raises is caught around the file, so
that every file ends in exactly one ``Outcome`` (see ``model``) and a batch
never stops on one bad file: ``archive/<campagne>/<matricule>/`` once its
answers are committed, ``rejected/`` with a ``.txt`` saying why and what to do,
or still in the inbox (with a ``.erreur.txt`` note when useful) when the disk
or the rights are the problem, to be finished at the next run.

Crash safety rests on two facts: the submission row is committed *before*
the file moves (with ``filed`` = 0), and a move claims its name exclusively
(``filing``). A file found in the inbox whose hash is already stored but not
filed is the interrupted case: it is moved, not counted again. The same bytes
arriving once the first copy is filed are a duplicate (« déjà reçu »): not a
rejection, the copy goes to ``rejected/`` with a note saying there is nothing
to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import logging
import os
import sqlite3
import stat
import sys
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from multiprocessing import get_context
from multiprocessing.synchronize import Semaphore
from pathlib import Path
from typing import Any, Literal
from weakref import WeakKeyDictionary

from entretien_forms.errors import (
    EntretienError,
    FormDefinitionError,
    RejectedFile,
    RejectionCode,
    UnknownFormError,
    storage_problem,
)
from entretien_forms.forms import Catalog, label_context, load_catalog
from entretien_forms.forms.model import FormLayout
from entretien_forms.forms.paper import PaperMap
from entretien_forms.identity import verify
from entretien_forms.inbox import (
    convert,
    docx_export,
    docx_reader,
    filing,
    keying_reader,
    odt_reader,
    pdf_reader,
    pdf_text,
)
from entretien_forms.inbox.filing import (
    display_name,
    inbox_note,
    move_new,
    replace_note,
    set_aside,
)
from entretien_forms.inbox.model import (
    ClaimedIdentity,
    Extraction,
    IngestReport,
    Outcome,
    Status,
)
from entretien_forms.inbox.paper import PaperForm, read_paper
from entretien_forms.inbox.preflight import (
    Sniffed,
    check_entry,
    examine,
    is_ignored,
    read_regular_file,
)
from entretien_forms.inbox.validate import validate_answers
from entretien_forms.logs import LOGS_FOLDER, write_log
from entretien_forms.mail.unpack import UnpackReport, unpack_message
from entretien_forms.sanitize import safe_filename
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission
from entretien_forms.text import count
from entretien_forms.workspace import Workspace, open_workspace

__all__ = [
    "Analysis",
    "Inbox",
    "IngestReport",
    "Outcome",
    "Status",
    "ingest_file",
    "ingest_paths",
]

_LOGGER = logging.getLogger(__name__)

# A file that may inflate beyond this (declared XML size of a .docx, size of a PDF)
# is read by one worker at a time: parsing costs ~14 bytes of memory per byte of
# XML, so four 10 MB documents side by side would take 600 MB.
HEAVY_BYTES = 2_000_000
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM = 24
# ...or when they weigh this much together: a few scanned stacks are minutes of work.
PARALLEL_BYTES = 8_000_000
# Files handed to the workers ahead of the one being stored: enough to keep them
# busy, few enough that a run over 10,000 files holds 10,000 nothing.
_AHEAD_PER_WORKER = 4


@dataclass(frozen=True)
class Failure:
    """An error that is not a known rejection, in words that cross process boundaries.

    ``problem`` is set for a disk or permission problem (« le disque est
    plein ») and for a project error about the workspace (its French text: an
    unreadable signing key, a database from a newer version): the file is not at
    fault and stays where it is. Otherwise it is a bug: ``detail`` holds the
    traceback for the log.
    """

    kind: str
    problem: str | None
    where: str | None
    detail: str
    halt: bool
    says_what_to_do: bool = False  # ``problem`` is a whole French message with its advice

    @classmethod
    def of(cls, exc: BaseException, root: Path) -> Failure:
        detail = "".join(traceback.format_exception(exc))
        if isinstance(exc, EntretienError):  # the workspace, not the file: every file stops
            return cls(type(exc).__name__, str(exc), None, detail, True, says_what_to_do=True)
        problem = storage_problem(exc)
        where: str | None = None
        if isinstance(exc, sqlite3.Error):
            where = "base de données .entretien/entretien.sqlite3"
        elif isinstance(exc, OSError):
            raw = exc.filename2 or exc.filename
            if raw is not None:
                target = Path(os.fsdecode(raw))
                if exc.filename2 is not None or not os.path.lexists(target):
                    target = target.parent  # a move, a file to create: the folder is the question
                where = _shown(target, root)
        # A full disk or a database we cannot write stops every next file the same way.
        halt = problem is not None and (
            isinstance(exc, sqlite3.Error)
            or (isinstance(exc, OSError) and exc.errno in _WORKSPACE_WIDE)
        )
        return cls(type(exc).__name__, problem, where, detail, halt)


@dataclass(frozen=True)
class Analysis:
    """What ``Inbox.analyse`` found, small and picklable (it crosses process boundaries).

    ``status``: ignored (``text`` is the line to show), rejected (``text`` the reason,
    ``advice`` what to do, ``code`` the cause), known (these bytes are already
    stored), ready, failed (``failure`` says what went wrong).
    """

    status: Literal["ignored", "rejected", "known", "ready", "failed", "message"]
    text: str = ""
    advice: str = ""
    sha: str | None = None
    parts: tuple[Part, ...] = ()  # ready: one return, or one per form of a scanned stack
    code: RejectionCode | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class Part:
    """One return read from a file, with its checked answers, not yet stored."""

    submission: Submission
    answers: tuple[StoredAnswer, ...] = ()


@dataclass
class _Job:
    """One file on its way through the steps: what each step found, for the next."""

    path: Path
    name: str
    now: datetime
    data: bytes = b""
    sniffed: Sniffed | None = None
    reader: str = ""  # the format read: a .doc is read as the .docx it converts to
    sha: str | None = None
    claimed: ClaimedIdentity | None = None
    issued: IssuedForm | None = None
    layout: FormLayout | None = None
    extraction: Extraction | None = None
    warnings: list[str] = field(default_factory=list)
    answers: list[StoredAnswer] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)  # set by the paper route: one per form


# Extensions an archived file keeps (any other is dropped: the name is the sender's).
_ARCHIVED_SUFFIXES = (".docx", ".pdf", ".odt", ".doc", ".jpg", ".jpeg", ".png", ".tif", ".tiff")

# Errors that no other file can escape either: the run stops instead of failing them all.
_WORKSPACE_WIDE = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT") if hasattr(errno, name)
)

_Step = Callable[[_Job], "Analysis | None"]


class Inbox:
    """The inbox of one workspace, with what is worth loading once per run.

    ``gate``, in worker processes, is shared by all workers: a heavy file is
    read only while holding it (see ``HEAVY_BYTES``).
    """

    def __init__(
        self,
        workspace: Workspace,
        store: Store,
        *,
        gate: Semaphore | None = None,
        trust_reference: bool = False,
    ) -> None:
        self.workspace = workspace
        self.store = store
        self._gate = gate
        # HR's explicit decision (``ingest --forcer-identite``): a form recognised by its
        # reference alone is filed under the ledger's employee, with a remark.
        self.trust_reference = trust_reference
        self._catalog: Catalog | None = None
        self._layouts: dict[tuple[str, str | None, str, tuple[str, ...] | None], FormLayout] = {}
        self._maps: dict[str, PaperMap | None] = {}
        self._secret: bytes | None = None
        self._templates: dict[Path, bytes | None] = {}
        # Messages unpacked in this run, by the message file's path: what the
        # acknowledgement of each will say once its attachments are processed.
        self.unpacked: dict[Path, UnpackReport] = {}

    @property
    def rejected_dir(self) -> Path:
        return self.workspace.root / "rejected"

    # --- public --------------------------------------------------------------

    def recover(self, *, now: datetime | None = None) -> list[Outcome]:
        """Finish what a killed run left: submissions stored but whose file did not move.

        Also removes the temporary files a killed copy or note left behind.
        """
        now = now or datetime.now()
        for folder in (self.rejected_dir, self.workspace.root / "archive"):
            filing.remove_orphan_temporaries(folder)
        filing.remove_orphan_notes(self.rejected_dir)
        done = []
        seen: set[str] = set()
        for submission in self.store.unfiled_submissions():
            if submission.sha256 in seen:
                continue  # another return of the same scanned file: filed with it
            seen.add(submission.sha256)
            source = self.workspace.inbox / submission.source_file
            try:
                outcome = self._recover_one(submission, source, now)
            except Exception as exc:
                outcome = self._fail(source, Failure.of(exc, self.workspace.root), now, stored=True)
            if outcome is not None:
                done.append(outcome)
        return done

    def process(self, path: Path, *, now: datetime | None = None) -> Outcome:
        """Take ``path`` through every step; always an outcome, never an exception for a file."""
        now = now or datetime.now()
        return self.commit(path, self.analyse(path, now=now), now=now)

    def analyse(self, path: Path, *, now: datetime) -> Analysis:
        """Read, identify, extract and validate ``path``; writes nothing, moves nothing.

        The part that costs CPU, so ``ingest_paths`` runs it in worker processes;
        ``commit`` then stores and files the results one at a time, in order.
        Never raises (but for ``KeyboardInterrupt``): a bug in a reader is a
        ``failed`` analysis, so that one file cannot end a batch.
        """
        try:
            return self._analyse(path, now)
        except Exception as exc:
            return Analysis("failed", failure=Failure.of(exc, self.workspace.root))

    def commit(self, path: Path, analysis: Analysis, *, now: datetime) -> Outcome:
        """Store and file one analysed file (or set it aside); the only step that writes."""
        try:
            return self._commit(path, analysis, now)
        except Exception as exc:
            return self._fail(path, Failure.of(exc, self.workspace.root), now)

    # --- analysis: the steps, in order ----------------------------------------

    def _analyse(self, path: Path, now: datetime) -> Analysis:
        name = display_name(path)
        if is_ignored(path):
            return Analysis("ignored", f"ignoré  {name} (fichier temporaire)")
        job = _Job(path, name, now)
        preflight: tuple[_Step, ...] = (
            self._check_entry,
            self._read,
            self._sniff,
            self._message,
            self._known,
        )
        try:
            for step in preflight:
                if (stop := step(job)) is not None:
                    return stop
            assert job.sniffed is not None
            reading = self._reading(job)
            # A scan is read one page at a time: its memory does not grow with its size.
            weight = 0 if reading == (self._read_paper,) else job.sniffed.weight
            with self._heavy(weight):
                for step in reading:
                    if (stop := step(job)) is not None:
                        return stop
        except RejectedFile as rejection:
            return Analysis(
                "rejected", rejection.reason, rejection.advice, job.sha, code=rejection.code
            )
        except FileNotFoundError:
            return Analysis("ignored", f"ignoré  {name} (disparu entre-temps)")
        except (FormDefinitionError, UnknownFormError) as error:  # a broken file in templates/
            return Analysis(
                "rejected",
                str(error),
                "Corrigez le problème indiqué puis redéposez le fichier.",
                job.sha,
                code=RejectionCode.INVALID_TEMPLATE,
            )
        if job.parts:
            return Analysis("ready", sha=job.sha, parts=tuple(job.parts))
        return Analysis(
            "ready", sha=job.sha, parts=(Part(self._submission(job), tuple(job.answers)),)
        )

    def _reading(self, job: _Job) -> tuple[_Step, ...]:
        """The reading steps for this kind of file: a form with its fields, or a scan."""
        assert job.sniffed is not None
        if job.sniffed.format == "pdf" and keying_reader.is_keying_sheet(job.data):
            return (self._read_keying,)
        if job.sniffed.format == "image" or (
            job.sniffed.format == "pdf" and not pdf_reader.has_form_fields(job.data, job.name)
        ):
            return (self._read_paper,)
        return (self._identify, self._extract, self._validate)

    def _check_entry(self, job: _Job) -> None:
        check_entry(job.path, job.name)  # links, FIFOs, devices: never opened

    def _read(self, job: _Job) -> None:
        limit = self.workspace.settings.inbox.max_file_mb * 1_000_000
        job.data = read_regular_file(job.path, job.name, limit)

    def _sniff(self, job: _Job) -> None:
        job.sniffed = examine(job.data, job.name)

    def _message(self, job: _Job) -> Analysis | None:
        """An e-mail (.eml, Outlook .msg): not a return, the envelope of returns.

        Unpacked by ``commit``, in the process that writes (its attachments are
        written into the inbox and recorded with the message they came with).
        """
        assert job.sniffed is not None
        if job.sniffed.format == "message":
            return Analysis("message")
        return None

    def _known(self, job: _Job) -> Analysis | None:
        job.sha = hashlib.sha256(job.data).hexdigest()
        if self.store.submission_by_sha256(job.sha) is not None:
            return Analysis("known", sha=job.sha)  # a duplicate, or a move a crash interrupted
        return None

    def _identify(self, job: _Job) -> None:
        assert job.sniffed is not None
        job.reader = job.sniffed.format
        if job.reader == "doc":
            # Word 97-2003: LibreOffice (when installed) makes a .docx of it, read as
            # any; the original bytes are what is hashed and archived.
            job.data = convert.doc_to_docx(job.data, job.name)
            job.reader = "docx"
            job.warnings.append(
                "Converti depuis Word 97-2003 (.doc) avec LibreOffice : vérifiez les réponses."
            )
        if job.reader == "docx":
            job.claimed = docx_reader.identify_docx(job.data, job.name)
        elif job.reader == "odt":
            job.claimed = odt_reader.identify_odt(job.data, job.name)
        else:
            job.claimed = pdf_reader.identify_pdf(job.data, job.name)
        job.issued = self._issued(job.name, job.claimed)
        job.layout, version_note = self._layout(job.issued, job.now.date())
        if version_note:
            job.warnings.append(version_note)

    def _extract(self, job: _Job) -> None:
        assert job.sniffed is not None and job.claimed is not None and job.issued is not None
        if job.reader == "docx":
            blank = self._company_template(job.issued)
            job.extraction = docx_reader.extract_docx(job.data, job.name, job.layout, blank=blank)
        elif job.reader == "odt":
            blank = self._company_template(job.issued)
            job.extraction = odt_reader.extract_odt(job.data, job.name, job.layout, blank=blank)
        else:
            job.extraction = pdf_reader.extract_pdf(job.data, job.name, job.layout)
        job.data = b""  # read: the bytes are not needed any more
        notes = list(job.extraction.notes)
        if not job.extraction.paper and _reference_only(job.claimed):
            # Some viewers drop a PDF's metadata on saving: only the reference (hidden
            # field or QR code) is left. References are numbered in order, so anyone can
            # write another employee's: nothing signed, nothing filed under an employee,
            # unless HR, having looked at the file, says so.
            if not self.trust_reference:
                raise RejectedFile(
                    f"{job.name} : son identité signée a été retirée (par le logiciel qui l'a "
                    f"enregistré, ou à la main) ; il ne porte plus que la référence "
                    f"{job.issued.reference}, qui ne prouve pas à quel salarié il appartient.",
                    "Ouvrez le fichier et vérifiez qu'il s'agit bien du formulaire de "
                    f"{job.issued.matricule} ; si oui, déposez-le avec « entretien ingest "
                    "--forcer-identite FICHIER », sinon demandez le formulaire d'origine.",
                    RejectionCode.UNVERIFIED_IDENTITY,
                )
            notes.append(
                "Identité signée absente : formulaire rattaché à sa seule référence "
                f"({job.issued.reference}) sur décision des RH (--forcer-identite)."
            )
        elif not job.extraction.paper:
            self._check_signature(job.name, job.claimed, job.issued)
        if not job.extraction.paper:
            self._check_shown_identity(job.name, job.extraction, job.issued)
        job.warnings[:0] = notes  # the reader's notes first, as they were always shown

    def _check_shown_identity(self, name: str, extraction: Extraction, issued: IssuedForm) -> None:
        """The matricule printed in the form must be the one its signed identity names.

        A signed identity copied whole from another form verifies, but the answers
        are about the employee the page shows: filing them under the other one
        would put one person's interview in another's file.
        """
        shown = extraction.answers.get(SHOWN_MATRICULE)
        if shown is None or not isinstance(shown.value, str):
            return
        if shown.value.strip() and shown.value.strip() != issued.matricule:
            raise RejectedFile(
                f"{name} : le formulaire affiche le matricule {shown.value.strip()}, mais son "
                f"identité signée ({issued.reference}) désigne le matricule {issued.matricule} : "
                "l'identité d'un autre formulaire y a été recopiée.",
                "Demandez au responsable le formulaire d'origine de ce salarié, rempli sans "
                "modifier ses propriétés.",
                RejectionCode.TAMPERED,
            )

    def _validate(self, job: _Job) -> None:
        assert job.extraction is not None and job.issued is not None and job.layout is not None
        if job.issued.status == "remplace":
            job.warnings.append(
                f"Ce formulaire ({job.issued.reference}) avait été remplacé par "
                f"{job.issued.replaced_by} ; ses réponses sont enregistrées quand même."
            )
        if job.extraction.paper:
            job.warnings.append(
                "Formulaire papier : l'entretien est enregistré, les réponses sont à saisir."
            )
            return
        checked = validate_answers(job.layout, job.extraction.answers, today=job.now.date())
        job.answers = checked.answers
        job.warnings.extend(checked.warnings)

    def _submission(self, job: _Job) -> Submission:
        issued, extraction = job.issued, job.extraction
        assert issued is not None and extraction is not None and job.sniffed is not None
        assert job.sha is not None
        return Submission(
            reference=issued.reference,
            matricule=issued.matricule,
            form_id=issued.form_id,
            kind=issued.kind,
            campaign=issued.campaign,
            form_version=issued.form_version,
            received_at=job.now,
            source_file=job.name,
            sha256=job.sha,
            format=job.sniffed.format,
            producer=extraction.producer,
            paper=extraction.paper,
            warnings=tuple(job.warnings),
            archive_path="",  # chosen by ``commit``, one file at a time
            keying="a_saisir" if extraction.paper else None,
        )

    @contextmanager
    def _heavy(self, weight: int) -> Iterator[None]:
        """Hold the workers' shared gate while reading a heavy file; give memory back after."""
        if weight < HEAVY_BYTES:
            yield
            return
        if self._gate is not None:
            self._gate.acquire()
        try:
            yield
        finally:
            if self._gate is not None:
                self._gate.release()
            _give_back_memory()

    # --- paper: a scanned file, one form or a stack of many ------------------------

    def _read_paper(self, job: _Job) -> None:
        """Every form of a scan, each a return of its own, its ticked boxes read."""
        assert job.sniffed is not None and job.sha is not None
        fmt: Literal["pdf", "image"] = "image" if job.sniffed.format == "image" else "pdf"
        found = read_paper(job.data, job.name, fmt, paper_map=self._paper_map)
        known: list[tuple[PaperForm, IssuedForm]] = []
        unknown: list[str] = []
        for form in found.forms:
            issued = self.store.issued(form.reference)
            if issued is None:
                unknown.append(form.reference)
            else:
                known.append((form, issued))
        if not known:
            references = [form.reference for form in found.forms]
            if references:
                self._issued(job.name, ClaimedIdentity(reference=references[0]))
            raise RejectedFile(
                f"{job.name} n'est pas reconnu comme un formulaire d'entretien de cet outil : "
                f"aucun code QR de formulaire lu sur {_its_pages(found.pages)}.",
                "Pour un formulaire papier, scannez-le de nouveau en 200 à 300 ppp (dpi), sans "
                "recadrer ni masquer le code QR en haut à droite de chaque page ; sinon "
                "déposez le formulaire Word ou PDF rempli.",
                RejectionCode.NOT_A_FORM,
            )
        file_notes = list(found.notes)
        if unknown:
            file_notes.append(
                f"Formulaire(s) {', '.join(unknown)} : référence inconnue de cet espace de "
                "travail, pages non enregistrées (formulaire d'un autre espace ?)."
            )
        several = len(known) > 1
        for number, (form, issued) in enumerate(known, start=1):
            part = self._paper_part(
                job, form, issued, number if several else 0, alone=len(found.forms) == 1
            )
            job.parts.append(part)
        if file_notes:
            first = job.parts[0]
            job.parts[0] = replace(
                first,
                submission=replace(
                    first.submission, warnings=(*first.submission.warnings, *file_notes)
                ),
            )
        job.data = b""

    def _read_keying(self, job: _Job) -> None:
        """A keying sheet HR filled: its answers go onto the paper return it was made for."""
        assert job.sha is not None
        sheet = keying_reader.read_keying_sheet(job.data, job.name)
        secret = self._secret = self._secret or self.workspace.secret()
        paper = keying_reader.check_sheet(sheet, job.name, secret=secret, store=self.store)
        issued = self._issued(job.name, ClaimedIdentity(reference=paper.reference))
        layout, version_note = self._layout(issued, job.now.date())
        checked = validate_answers(layout, sheet.answers, today=job.now.date(), required=False)
        keyed = sum(1 for answer in checked.answers if answer.method == "keyed")
        warnings = [
            f"Fiche de saisie : {count(keyed, 'réponse saisie', 'réponses saisies')}, "
            f"enregistrée(s) sur le retour papier {paper.source_file} du "
            f"{paper.received_at:%d/%m/%Y}.",
            *sheet.notes,
            *checked.warnings,
        ]
        if version_note:
            warnings.append(version_note)
        submission = Submission(
            reference=paper.reference,
            matricule=paper.matricule,
            form_id=paper.form_id,
            kind=paper.kind,
            campaign=paper.campaign,
            form_version=paper.form_version,
            received_at=job.now,
            source_file=job.name,
            sha256=job.sha,
            format="pdf",
            producer=sheet.producer,
            paper=False,
            warnings=tuple(warnings),
            archive_path="",
            status="saisie",
            attached_to=paper.id,
        )
        job.parts.append(Part(submission, tuple(checked.answers)))
        job.data = b""

    def _paper_map(self, reference: str) -> PaperMap | None:
        issued = self.store.issued(reference)
        if issued is None or issued.paper_map is None:
            return None
        if issued.paper_map not in self._maps:
            text = self.store.paper_map(issued.paper_map)
            self._maps[issued.paper_map] = None if text is None else PaperMap.from_json(text)
        return self._maps[issued.paper_map]

    def _paper_part(
        self, job: _Job, form: PaperForm, issued: IssuedForm, number: int, *, alone: bool
    ) -> Part:
        assert job.sniffed is not None and job.sha is not None
        layout, version_note = self._layout(issued, job.now.date())
        warnings: list[str] = [*form.notes]
        if version_note:
            warnings.append(version_note)
        if issued.status == "remplace":
            warnings.append(
                f"Ce formulaire ({issued.reference}) avait été remplacé par "
                f"{issued.replaced_by} ; sa copie papier est enregistrée quand même."
            )
        geometry = self._paper_map(issued.reference)
        text = None
        if job.sniffed.format == "pdf" and form.page_count is None and alone:
            # Pages printed from Word (the bare reference): the Word form exported to PDF
            # ("Exporter au format PDF"), read in its text by the form's labels.
            text = docx_export.read_docx_export(job.data, job.name, layout)
        elif job.sniffed.format == "pdf" and geometry is not None:
            # Flattened or printed to PDF: its text is there, read where each field was.
            text = pdf_text.read_text_layer(
                job.data,
                job.name,
                geometry,
                {file_page: form_page for form_page, file_page in form.file_pages.items()},
            )
        if text is not None:
            checked = validate_answers(layout, text.answers, today=job.now.date())
            warnings = [*text.notes, *checked.warnings, *warnings[len(form.notes) :]]
        else:
            checked = validate_answers(layout, form.answers, today=job.now.date(), required=False)
            warnings.extend(checked.warnings)
        if text is None and form.marks_read:
            ticked = sum(1 for answer in checked.answers if answer.method == "paper_mark")
            warnings.insert(
                0,
                f"Formulaire papier : {count(ticked, 'réponse lue', 'réponses lues')} sur les "
                "cases cochées ; les réponses écrites sont à saisir (« entretien saisie »).",
            )
        elif text is None:
            warnings.insert(
                0,
                "Formulaire papier : l'entretien est enregistré, les réponses sont à saisir "
                "(« entretien saisie »).",
            )
        ordered = [form.file_pages[page] for page in sorted(form.file_pages)]
        submission = Submission(
            reference=issued.reference,
            matricule=issued.matricule,
            form_id=issued.form_id,
            kind=issued.kind,
            campaign=issued.campaign,
            form_version=issued.form_version,
            received_at=job.now,
            source_file=job.name,
            sha256=job.sha,
            format=job.sniffed.format,
            producer=None,
            paper=text is None,
            warnings=tuple(warnings),
            archive_path="",
            part=number,
            pages=json.dumps(ordered),
            keying="a_saisir" if text is None else None,
        )
        return Part(submission, tuple(checked.answers))

    # --- identity ----------------------------------------------------------------

    def _issued(self, name: str, claimed: ClaimedIdentity) -> IssuedForm:
        if not claimed.reference:
            raise RejectedFile(
                f"{name} n'est pas reconnu comme un formulaire d'entretien de cet outil : il ne "
                "porte pas de référence (ni dans ses propriétés, ni en QR code).",
                "Utilisez le formulaire envoyé par les RH (dossier outbox/), rempli sans le "
                "recopier dans un nouveau document, puis déposez-le à nouveau.",
                RejectionCode.NOT_A_FORM,
            )
        issued = self.store.issued(claimed.reference)
        if issued is None:
            raise RejectedFile(
                f"{name} porte la référence {claimed.reference}, inconnue de cet espace de "
                "travail : formulaire d'un autre espace de travail, d'une autre installation "
                "ou référence modifiée.",
                "Vérifiez que le formulaire a bien été émis depuis cet espace (entretien "
                "generate) ; sinon déposez-le dans l'espace de travail qui l'a émis.",
                RejectionCode.UNKNOWN_REFERENCE,
            )
        return issued

    def _check_signature(self, name: str, claimed: ClaimedIdentity, issued: IssuedForm) -> None:
        secret = self._secret = self._secret or self.workspace.secret()
        fields = {
            "matricule": claimed.matricule,
            "kind": claimed.kind,
            "campaign": claimed.campaign,
            "version": claimed.form_version,
        }
        expected = {
            "matricule": issued.matricule,
            "kind": issued.kind,
            "campaign": issued.campaign,
            "version": issued.form_version,
        }
        changed = [key for key, value in fields.items() if value != expected[key]]
        intact = (
            not changed
            and claimed.signature is not None
            and verify(
                secret,
                claimed.signature,
                reference=issued.reference,
                matricule=issued.matricule,
                kind=issued.kind,
                campaign=issued.campaign,
                version=issued.form_version,
            )
        )
        if not intact:
            what = ", ".join(changed) if changed else "signature"
            raise RejectedFile(
                f"{name} : l'identité du formulaire {issued.reference} a été modifiée "
                f"({what} ne correspond plus à ce qui a été émis) ou il vient d'un autre "
                "espace de travail.",
                "Demandez au responsable de remplir le formulaire d'origine sans modifier ses "
                "propriétés, ou réémettez-le (entretien generate --only MATRICULE --force).",
                RejectionCode.TAMPERED,
            )

    def _company_template(self, issued: IssuedForm) -> bytes | None:
        """The company Word template a form was issued from, if its definition names one.

        An editor that drops the controls' tags leaves them to be matched by
        position: against the template's controls, not the built-in layout's.
        """
        if self._catalog is None:
            self._catalog = load_catalog(self.workspace.templates_dir)
        definition = self._catalog.forms.get(issued.form_id)
        template = None if definition is None else definition.word_template
        if template is None:
            return None
        if template not in self._templates:
            try:
                self._templates[template] = template.read_bytes()
            except OSError:
                self._templates[template] = None
        return self._templates[template]

    def _layout(self, issued: IssuedForm, today: date) -> tuple[FormLayout, str | None]:
        if self._catalog is None:
            self._catalog = load_catalog(self.workspace.templates_dir)
        definition = self._catalog.forms.get(issued.form_id)
        if definition is None:
            raise RejectedFile(
                f"Le modèle « {issued.form_id} » du formulaire {issued.reference} n'existe plus "
                "dans templates/ : impossible de relire les réponses.",
                f"Remettez le fichier du modèle « {issued.form_id} » dans templates/ puis "
                "redéposez le formulaire.",
                RejectionCode.TEMPLATE_MISSING,
            )
        # Laid out as issued: a form for one occasion left out the others' sections.
        occasions = issued.layout_occasions
        key = (issued.form_id, issued.grid, issued.campaign, definition.variant(occasions))
        if key not in self._layouts:
            context = label_context(issued.campaign, today, self.workspace.settings.company)
            self._layouts[key] = definition.layout(issued.grid, context, occasions)
        note = None
        if definition.version != issued.form_version:
            note = (
                f"Formulaire émis avec la version {issued.form_version} du modèle, relu avec la "
                f"version {definition.version} : vérifiez les champs modifiés entre-temps."
            )
        return self._layouts[key], note

    # --- commit: store, then file away -------------------------------------------

    def _commit(self, path: Path, analysis: Analysis, now: datetime) -> Outcome:
        name = display_name(path)
        if analysis.status == "ignored":
            return Outcome(path, "ignored", analysis.text)
        if analysis.status == "failed":
            assert analysis.failure is not None
            return self._fail(path, analysis.failure, now)
        if analysis.status == "rejected":
            code = analysis.code or RejectionCode.UNREADABLE
            rejection = RejectedFile(analysis.text, analysis.advice, code)
            return self.reject(path, rejection, sha=analysis.sha, now=now)
        if analysis.status == "message":
            unpacked = unpack_message(self.workspace, self.store, path, now)
            self.unpacked[unpacked.path] = unpacked
            return replace(unpacked.as_outcome(), unpacked=unpacked.written)
        assert analysis.sha is not None
        known = self.store.submission_by_sha256(analysis.sha)
        if known is not None and not known.filed:
            return self._file_away(path, known, now, recovered=True)
        if known is not None:
            return self._duplicate(path, known, analysis.sha, now)
        if not analysis.parts:  # known when analysed, gone since: read it again
            return self.process(path, now=now)
        # The archive name is chosen here, one file at a time, so that two files of the
        # same employee analysed side by side can never be given the same name. A
        # scanned stack is archived once, under its first form's employee.
        archive_path = (
            self._archive_path(path, analysis.parts[0].submission, now)
            .relative_to(self.workspace.root)
            .as_posix()
        )
        parts = [
            (self._placed(replace(part.submission, archive_path=archive_path), part.answers),
             part.answers)
            for part in analysis.parts
        ]  # fmt: skip
        try:
            (first, answers), *_ = parts
            if first.status == "saisie" and first.attached_to is not None:
                self.store.record_keyed_answers(first.attached_to, first, list(answers), now=now)
            else:
                self.store.record_submissions(parts, now=now)
        except sqlite3.IntegrityError:
            # Another process (the watcher, a second « entretien ingest ») stored these
            # very bytes between our check and our write: it also files the document.
            return Outcome(path, "ignored", f"ignoré  {name} (traité par un autre processus)")
        stored = self.store.submissions_by_sha256(analysis.sha)
        return self._file_away(path, stored[0], now, recovered=False)

    def _placed(self, submission: Submission, answers: tuple[StoredAnswer, ...]) -> Submission:
        """Whether a return becomes the interview's answers, or a copy kept beside them.

        A later return never loses answers: a paper return (a signed scan, a
        printed copy) of an interview whose current return holds answers typed
        or keyed is kept as its signed copy (``jointe``), with a remark, and its
        marks, if any, are compared. A return with answers read from a file
        supersedes as before; so does a paper return over a paper return nobody
        has keyed yet (a better scan).
        """
        if not submission.paper:
            return submission
        current = self.store.current_submission(
            submission.matricule, submission.kind, submission.campaign
        )
        if current is None or current.id is None:
            return submission
        kept = self.store.answers(current.id)
        if not kept or (current.paper and current.keying != "saisi" and answers):
            return submission
        remarks = [
            f"Copie papier jointe au retour du {current.received_at:%d/%m/%Y} "
            f"({current.source_file}) : ses réponses sont conservées, rien n'est remplacé."
        ]
        stored = {answer.field_id: answer.value for answer in kept}
        differs = [
            answer.field_id
            for answer in answers
            if answer.field_id in stored and stored[answer.field_id] != answer.value
        ]
        if differs:
            shown = ", ".join(differs[:5]) + (" …" if len(differs) > 5 else "")
            remarks.append(
                f"Sur la copie papier, {len(differs)} case(s) diffèrent des réponses "
                f"enregistrées ({shown}) : vérifiez avec le responsable."
            )
        return replace(
            submission,
            status="jointe",
            attached_to=current.id,
            keying=None,
            warnings=(*submission.warnings, *remarks),
        )

    def _archive_path(self, path: Path, submission: Submission, now: datetime) -> Path:
        folder = (
            self.workspace.root
            / "archive"
            / safe_filename(submission.campaign)
            / safe_filename(submission.matricule)
        )
        stem = f"{safe_filename(path.stem)}-{now:%Y%m%d-%H%M%S}"
        suffix = path.suffix.lower() if path.suffix.lower() in _ARCHIVED_SUFFIXES else ""
        candidate, n = folder / f"{stem}{suffix}", 1
        while os.path.lexists(candidate):
            n += 1
            candidate = folder / f"{stem}-{n}{suffix}"
        return candidate

    def _file_away(
        self, path: Path, submission: Submission, now: datetime, *, recovered: bool
    ) -> Outcome:
        """Move a stored file into the archive; its answers are safe whatever happens here."""
        name = display_name(path)
        target = self.workspace.root / submission.archive_path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            move_new(path, target)  # claimed exclusively: never over another file
            assert submission.id is not None
            self.store.mark_filed(submission.id, now=now)
        except FileNotFoundError as exc:
            if not os.path.lexists(path):  # another process filed it meanwhile
                return Outcome(path, "ignored", f"ignoré  {name} (traité par un autre processus)")
            return self._fail(path, Failure.of(exc, self.workspace.root), now, stored=True)
        except Exception as exc:
            return self._fail(path, Failure.of(exc, self.workspace.root), now, stored=True)
        _forget_inbox_note(path)
        note = " (reprise après interruption)" if recovered else ""
        parts = self.store.submissions_by_sha256(submission.sha256) or [submission]
        warnings = tuple(
            warning if len(parts) == 1 else f"{part.reference} : {warning}"
            for part in parts
            for warning in part.warnings
        )
        extra = f" ; {len(warnings)} remarque(s)" if warnings else ""
        shown = ", ".join(f"{part.reference}{_part_label(part)}" for part in parts)
        if len(parts) > 1:
            shown = f"{len(parts)} formulaires : {shown}"
        return Outcome(
            path,
            "ok",
            f"OK      {name}{note} → {submission.archive_path} ({shown}){extra}",
            submission.reference,
            target,
            warnings,
            returns=len(parts),
        )

    def _recover_one(self, submission: Submission, source: Path, now: datetime) -> Outcome | None:
        archived = self.workspace.root / submission.archive_path
        if _same_file(source, submission.sha256):
            if os.path.lexists(archived) and not _same_file(archived, submission.sha256):
                # Another file took the name between the choice and the move (two runs
                # in the same second): this one gets the next free name.
                archived = self._archive_path(source, submission, submission.received_at)
                self.store.set_archive_path(
                    submission.sha256, archived.relative_to(self.workspace.root).as_posix()
                )
                submission = replace(
                    submission,
                    archive_path=archived.relative_to(self.workspace.root).as_posix(),
                )
            if not os.path.lexists(archived):
                archived.parent.mkdir(parents=True, exist_ok=True)
                move_new(source, archived)
        if not archived.exists():
            return None  # neither here nor there yet: ``process`` will find it in the inbox
        if _same_file(source, submission.sha256) and _same_file(archived, submission.sha256):
            source.unlink()  # a copy into another file system killed before the removal
        assert submission.id is not None
        self.store.mark_filed(submission.id, now=now)
        _forget_inbox_note(source)
        return Outcome(
            source,
            "ok",
            f"OK      {submission.source_file} (reprise après interruption) → "
            f"{submission.archive_path}",
            submission.reference,
            archived,
        )

    # --- setting aside: duplicates, rejections, failures ---------------------------

    def reject(
        self, path: Path, rejection: RejectedFile, *, sha: str | None, now: datetime
    ) -> Outcome:
        """Record a rejection: the file and its reason note into ``rejected/``, the code stored.

        The one place a rejection is recorded, so that the note, the audit log
        (code and French sentence) and the line shown always agree.
        """
        name = display_name(path)

        def note(new_name: str) -> str:
            return _note_text(
                name,
                new_name,
                now,
                why=rejection.reason,
                todo=rejection.advice,
                code=rejection.code,
            )

        try:
            target, reason = set_aside(path, self.rejected_dir, note)
        except FileNotFoundError:
            return Outcome(path, "ignored", f"ignoré  {name} (disparu entre-temps)")
        _forget_inbox_note(path)
        _LOGGER.info("rejected %s (%s): %s", name, rejection.code, rejection.reason)
        self._audit("rejete", name, now, sha=sha, detail=rejection.reason, code=rejection.code)
        return Outcome(
            path,
            "rejected",
            f"REJETÉ  {name} : {rejection.reason}",
            destination=target,
            code=rejection.code,
            note=reason,
        )

    def _duplicate(self, path: Path, known: Submission, sha: str, now: datetime) -> Outcome:
        name = display_name(path)
        why = (
            f"déjà reçu le {known.received_at:%d/%m/%Y à %H:%M} (formulaire {known.reference}, "
            f"fichier {known.source_file}) : doublon exact, non compté une deuxième fois."
        )

        def note(new_name: str) -> str:
            return _note_text(
                name,
                new_name,
                now,
                why=f"{name} a été {why}",
                todo="Rien à faire : les réponses sont déjà enregistrées ; vous pouvez supprimer "
                "ce fichier et cette note. Pour corriger un formulaire, déposez la version "
                "modifiée.",
                title="Déjà reçu",
            )

        try:
            target, reason = set_aside(path, self.rejected_dir, note)
        except FileNotFoundError:
            return Outcome(path, "ignored", f"ignoré  {name} (disparu entre-temps)")
        _forget_inbox_note(path)
        self._audit("doublon", name, now, sha=sha, detail=why, reference=known.reference)
        return Outcome(
            path,
            "duplicate",
            f"DÉJÀ REÇU  {name} : {why}",
            known.reference,
            target,
            note=reason,
        )

    def _fail(
        self, path: Path, failure: Failure, now: datetime, *, stored: bool = False
    ) -> Outcome:
        """Record what is not a known rejection; never raises, whatever the disk does.

        A disk or rights problem leaves the file where it is (nothing is lost, a
        later run finishes it). A bug leaves a log with the traceback and sets
        the file aside with a note (or leaves it with a note beside it when it
        cannot be moved, or when its answers are already stored: it must reach
        the archive, not ``rejected/``).
        """
        name = display_name(path)
        if failure.problem is not None:
            return self._fail_on_storage(path, name, failure, now, stored=stored)
        # The traceback goes to a log file of its own, not to the user's terminal.
        _LOGGER.debug("processing %s failed:\n%s", name, failure.detail)
        log = self._write_log(name, failure, now)
        shown_log = _shown(log, self.workspace.root) if log else None
        why = (
            f"Une erreur inattendue s'est produite en traitant {name} ({failure.kind}) : ce "
            "n'est pas forcément la faute du fichier."
        )
        todo = (
            "Signalez l'erreur au support"
            + (f" en joignant le fichier {shown_log}" if shown_log else "")
            + " ; une fois l'outil corrigé, redéposez ce fichier dans inbox/."
        )
        if stored:
            why += " Ses réponses sont enregistrées, mais il n'a pas pu être rangé."
            todo = (
                "Signalez l'erreur au support"
                + (f" en joignant le fichier {shown_log}" if shown_log else "")
                + " ; laissez ce fichier dans inbox/ : il sera rangé au prochain passage."
            )
        target = note = None
        if not stored:
            try:
                target, note = set_aside(
                    path,
                    self.rejected_dir,
                    lambda new_name: _note_text(name, new_name, now, why=why, todo=todo),
                )
            except FileNotFoundError:
                return Outcome(path, "ignored", f"ignoré  {name} (disparu entre-temps)")
            except Exception:
                _LOGGER.debug("setting %s aside failed", name, exc_info=True)
        if target is None and os.path.lexists(path):
            note = _leave_note(
                path, _note_text(name, path.name, now, why=why, todo=todo, here=True)
            )
        where = (
            f"mis de côté dans rejected/{display_name(target)}"
            if target is not None
            else "laissé dans son dossier" + (" avec une note à côté" if note else "")
        )
        details = f" ; détails pour le support : {shown_log}" if shown_log else ""
        message = f"ÉCHEC   {name} : erreur inattendue ({failure.kind}), {where}{details}."
        self._audit("echec", name, now, detail=message)
        return Outcome(path, "failed", message, destination=target, note=note, log=log)

    def _fail_on_storage(
        self, path: Path, name: str, failure: Failure, now: datetime, *, stored: bool
    ) -> Outcome:
        assert failure.problem is not None
        where = f" ({failure.where})" if failure.where else ""
        fix = _fix_for(failure.problem)
        kept = (
            "ses réponses sont enregistrées ; il reste dans son dossier et sera rangé au "
            "prochain passage"
            if stored
            else "rien n'est perdu : le fichier reste dans son dossier"
        )
        message = (
            f"ÉCHEC   {name} : impossible de terminer, {failure.problem}{where} ; {kept}. "
            f"{fix[0].upper()}{fix[1:]} puis relancez « entretien ingest »."
        )
        if failure.says_what_to_do:
            message = f"ÉCHEC   {name} : {failure.problem} Le fichier reste dans son dossier."
            fix = "réglez le problème indiqué"
        _LOGGER.info("%s left in place: %s%s", name, failure.problem, where)
        text = _note_text(
            name,
            path.name,
            now,
            why=f"Impossible de terminer : {failure.problem.rstrip('.')}{where}. Le fichier n'est "
            "pas en cause" + (" et ses réponses sont enregistrées." if stored else "."),
            todo=f"{fix[0].upper()}{fix[1:]} ; le fichier sera traité au prochain passage "
            "(entretien ingest, ou tout seul si le service de surveillance tourne).",
            here=True,
        )
        # Moved already, only the database could not note it: no note for a file not there.
        note = _leave_note(path, text) if os.path.lexists(path) else None
        self._audit("echec", name, now, detail=message)
        return Outcome(path, "failed", message, note=note, halt=failure.halt)

    def _write_log(self, name: str, failure: Failure, now: datetime) -> Path | None:
        text = f"entretien : échec du traitement de {name} le {now:%d/%m/%Y à %H:%M:%S}\n\n"
        try:
            return write_log(
                self.workspace.state_dir / LOGS_FOLDER, "fichier-erreur", text + failure.detail
            )
        except OSError:
            # No log file (disk full?): the traceback is all there is, keep it somewhere.
            _LOGGER.error("processing %s failed:\n%s", name, failure.detail)
            return None

    def _audit(
        self,
        event: str,
        name: str,
        now: datetime,
        *,
        sha: str | None = None,
        detail: str | None = None,
        reference: str | None = None,
        code: RejectionCode | None = None,
    ) -> None:
        """One line in the audit log; a full disk there must not undo what was done."""
        try:
            self.store.log_event(
                event, name, now=now, sha256=sha, reference=reference, detail=detail, code=code
            )
        except (sqlite3.Error, OSError):
            _LOGGER.info("audit log entry %s for %s lost", event, name, exc_info=True)


_FIXES = {
    "le disque est plein": "libérez de la place sur le disque",
    "le quota de disque est atteint": "libérez de la place ou faites relever le quota",
}


def _fix_for(problem: str) -> str:
    """What to do about a storage problem, said to the person who can act."""
    if problem in _FIXES:
        return _FIXES[problem]
    if "droits" in problem or "lecture seule" in problem or "refusé" in problem:
        return "donnez les droits d'écriture sur ce dossier (ou remettez le disque en écriture)"
    if "occupée" in problem:
        return "fermez le programme qui utilise la base (ou attendez la fin de son travail)"
    return "vérifiez le disque ou la connexion au partage réseau"


def _note_text(
    name: str,
    new_name: str,
    now: datetime,
    *,
    why: str,
    todo: str,
    code: RejectionCode | None = None,
    title: str = "Pourquoi il est mis de côté",
    here: bool = False,
) -> str:
    """The reason note HR opens: which file, when, why, what to do.

    ``new_name`` is the name the file got (raw, maybe not UTF-8), ``name`` the
    one shown for the original.
    """
    shown = os.fsencode(new_name).decode("utf-8", "replace")
    renamed = "" if here or shown == name else f" (rangé ici sous le nom {shown})"
    lines = [f"Fichier : {name}{renamed}", f"Reçu le : {now:%d/%m/%Y à %H:%M}"]
    if code is not None:
        lines.append(f"Code (pour le support) : {code}")
    heading = "Pourquoi il n'a pas été traité" if here else title
    return "\n".join(lines) + f"\n\n{heading} :\n{why}\n\nQue faire :\n{todo}\n"


def _leave_note(path: Path, text: str) -> Path | None:
    """A note beside a file that stays where it is; ``None`` if even that cannot be written."""
    note = inbox_note(path)
    try:
        replace_note(note, text.replace("\x00", ""))
    except OSError:
        _LOGGER.info("could not leave a note beside %s", display_name(path), exc_info=True)
        return None
    return note


def _forget_inbox_note(path: Path) -> None:
    """The note left by an earlier attempt is out of date once the file is handled.

    That is the ``.erreur.txt`` beside a file left in place, and, for a file HR
    took from ``rejected/`` (``ingest --forcer-identite rejected/x.pdf``), the
    reason note beside it there.
    """
    with suppress(OSError):
        inbox_note(path).unlink()
    reason = path.with_name(path.name + filing.NOTE_SUFFIX)
    if path.parent.name == "rejected" and not os.path.lexists(path):
        with suppress(OSError):
            with reason.open("rb") as handle:
                ours = handle.read(len(filing.NOTE_FIRST_LINE.encode())) == (
                    filing.NOTE_FIRST_LINE.encode()
                )
            if ours:
                reason.unlink()


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


_INBOXES: WeakKeyDictionary[Store, Inbox] = WeakKeyDictionary()


def ingest_file(
    workspace: Workspace, store: Store, path: Path, *, now: datetime | None = None
) -> Outcome:
    """Process one file (the watcher's entry point); caches what is loaded once per store.

    Never raises for a file: a problem is a ``failed`` outcome, and a file left
    in the inbox (disk full, rights) keeps its size and date, so the watcher
    waits longer before each new try.
    """
    inbox = _INBOXES.get(store)
    if inbox is None or inbox.workspace.root != workspace.root:
        inbox = _INBOXES[store] = Inbox(workspace, store)
        inbox.recover(now=now)
    return inbox.process(path, now=now)


def ingest_paths(
    workspace: Workspace,
    store: Store,
    paths: list[Path],
    *,
    now: datetime | None = None,
    workers: int | None = None,
    on_outcome: Callable[[Outcome], object] | None = None,
    failfast: bool = False,
    trust_reference: bool = False,
    on_message: Callable[[UnpackReport, list[Outcome]], object] | None = None,
) -> IngestReport:
    """Process files and folders (every file below them), in name order.

    ``on_outcome`` is called with each outcome as soon as it is known, so that
    a long run shows its progress and a crash of the whole process still leaves
    the lines of the files done. The run stops early, leaving the next files
    untouched (``IngestReport.not_processed``), when the workspace itself is the
    problem (a full disk) or, with ``failfast``, at the first file rejected or
    failed.

    An e-mail (.eml, .msg) is unpacked: its attachments are processed right
    after it, then ``on_message`` gets the message and their outcomes (the
    caller acknowledges it; the inbox sends nothing).

    Reading and checking a form is CPU work: with many files it runs in worker
    processes, while this process alone writes the database and moves the
    files, in name order, exactly as a sequential run would.
    """
    now = now or datetime.now()
    inbox = Inbox(workspace, store, trust_reference=trust_reference)
    report = IngestReport()

    def emit(outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    for outcome in inbox.recover(now=now):
        emit(outcome)
    files, unreadable = _files(paths, workspace.root)
    for outcome in unreadable:
        emit(outcome)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    # Forcing an identity is HR's decision on a few files they looked at: done here, in
    # this process, which holds that decision (the workers do not).
    many = len(files) >= PARALLEL_FROM or (len(files) > 1 and _total_size(files) >= PARALLEL_BYTES)
    parallel = workers > 1 and many and not trust_reference
    analyses = _analyse_in_workers(workspace, files, now, workers) if parallel else None
    try:
        for index, file in enumerate(files):
            if analyses is not None:
                outcome = inbox.commit(file, next(analyses), now=now)
            else:
                outcome = inbox.process(file, now=now)
            emit(outcome)
            attached = [inbox.process(written, now=now) for written in outcome.unpacked]
            for attached_outcome in attached:
                emit(attached_outcome)
            unpacked = inbox.unpacked.pop(file, None)
            if unpacked is not None and on_message is not None:
                on_message(unpacked, attached)
            worst = [outcome, *attached]
            if any(o.halt for o in worst) or (
                failfast and any(o.status in ("rejected", "failed") for o in worst)
            ):
                report.not_processed = files[index + 1 :]
                break
    finally:
        if analyses is not None:
            analyses.close()  # cancels what the workers have not started
    return report


def _total_size(files: Iterable[Path]) -> int:
    total = 0
    for file in files:
        with suppress(OSError):
            total += file.lstat().st_size
    return total


def _files(paths: Iterable[Path], root: Path) -> tuple[list[Path], list[Outcome]]:
    """Every entry below ``paths``, in name order; links to folders are entries, not followed.

    A folder given by name is walked even if it is a link (the inbox may be a
    link to a share); inside, nothing is followed. Hidden folders (``.Trash-1000``,
    ``.git``) are skipped, as the watcher does.
    """
    files: list[Path] = []
    problems: list[Outcome] = []

    def walk(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            shown = _shown(folder, root)
            problems.append(
                Outcome(
                    folder,
                    "failed",
                    f"ÉCHEC   dossier {display_name(folder)} : impossible d'en lire la liste des "
                    f"fichiers ({storage_problem(exc) or exc.strerror}) ; ses fichiers n'ont pas "
                    f"été traités. Donnez le droit de lecture sur {shown} puis relancez.",
                )
            )
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    walk(Path(entry.path))
            else:
                files.append(Path(entry.path))

    for path in paths:
        if path.is_dir():
            walk(path)
        elif os.path.lexists(path):
            files.append(path)
    return files, problems


def _analyse_in_workers(
    workspace: Workspace, files: list[Path], now: datetime, workers: int
) -> Generator[Analysis, None, None]:
    """The analyses of ``files``, in order, computed ``workers`` at a time.

    Only a few files per worker are handed out ahead (memory stays flat
    whatever the number of files), and one heavy file at a time is read (the
    gate). A worker that dies (killed for memory, a crash in a C library)
    breaks the pool: the files it held are analysed again one by one in a
    fresh process each, so that only the file that kills its reader fails.
    """
    context = get_context()
    gate = context.Semaphore(1)
    ahead = workers * _AHEAD_PER_WORKER
    todo = deque(files)
    pending: deque[tuple[Path, Future[Analysis]]] = deque()
    pool = _pool(workspace, now, workers, gate)
    try:
        while todo or pending:
            try:
                while todo and len(pending) < ahead:
                    pending.append((todo[0], pool.submit(_analyse_in_worker, todo[0])))
                    todo.popleft()
                analysis = pending[0][1].result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                held = [file for file, _ in pending]
                pending.clear()
                for file in held:
                    yield _analyse_alone(workspace, file, now)
                pool = _pool(workspace, now, workers, gate)
                continue
            pending.popleft()
            yield analysis
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(
    workspace: Workspace, now: datetime, workers: int, gate: Semaphore
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, initializer=_start_worker, initargs=(workspace.root, now, gate)
    )


def _analyse_alone(workspace: Workspace, file: Path, now: datetime) -> Analysis:
    """Analyse one file in a process of its own; a crash there fails that file only."""
    with _pool(workspace, now, 1, get_context().Semaphore(1)) as pool:
        try:
            return pool.submit(_analyse_in_worker, file).result()
        except BrokenProcessPool as exc:
            return Analysis("failed", failure=Failure.of(exc, workspace.root))


_WORKER: dict[str, Any] = {}


def _start_worker(root: Path, now: datetime, gate: Semaphore) -> None:
    workspace = open_workspace(root)
    _WORKER["inbox"] = Inbox(workspace, Store.open(workspace.database_path), gate=gate)
    _WORKER["now"] = now


def _analyse_in_worker(path: Path) -> Analysis:
    inbox: Inbox = _WORKER["inbox"]
    return inbox.analyse(path, now=_WORKER["now"])


# The form field that shows the employee's matricule (locked, pre-filled): a form's own
# content, compared with what its signed identity says.
SHOWN_MATRICULE = "salarie.matricule"


def _reference_only(claimed: ClaimedIdentity) -> bool:
    return all(
        value is None
        for value in (
            claimed.signature,
            claimed.matricule,
            claimed.kind,
            claimed.campaign,
            claimed.form_version,
        )
    )


def _same_file(path: Path, sha256: str) -> bool:
    """Is ``path`` a regular file (not a link) holding exactly these bytes?"""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return False
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        digest = hashlib.sha256()
        with os.fdopen(os.open(path, flags), "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == sha256


def _give_back_memory() -> None:
    """Return the memory freed by a big parse to the system (glibc keeps it otherwise).

    lxml builds a document with malloc; freed, those blocks stay in the
    process (a worker that once read a 10 MB document.xml would keep 150 MB
    for the rest of the run). Nothing to do where there is no glibc.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None  # musl (Alpine) has no malloc_trim
    return trim


_MALLOC_TRIM = _malloc_trim()


def _part_label(submission: Submission) -> str:
    if submission.status == "jointe":
        return " [copie papier jointe]"
    if submission.status == "saisie":
        return " [fiche de saisie]"
    return " [papier]" if submission.paper else ""


def _its_pages(pages: int) -> str:
    """« sa page », « ses 3 pages »: a scan's pages, in words."""
    return "sa page" if pages == 1 else f"ses {pages} pages"
