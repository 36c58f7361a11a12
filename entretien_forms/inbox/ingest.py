"""Take one returned file through the inbox: store its answers and archive it, or set it aside.

The steps are small and in this order: preflight (ignored name, size, type by
content, hash, duplicate) → identify (reference in the ledger, signature) →
extract (one reader per format) → validate (one set of rules) → store (one
transaction) → file away. Whatever happens, the file ends up in exactly one
place: ``archive/<campagne>/<matricule>/`` once its answers are committed,
``rejected/`` with a ``.txt`` saying why and what to do, or still in the
inbox if the process was killed, to be finished at the next run.

Crash safety rests on two facts: the submission row is committed *before*
the file moves (with ``filed`` = 0), and a move is a single rename. A file
found in the inbox whose hash is already stored but not filed is the
interrupted case: it is moved, not counted again. The same bytes arriving
once the first copy is filed are a duplicate, set aside with that reason.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from weakref import WeakKeyDictionary

from entretien_forms.errors import EntretienError, RejectedFile
from entretien_forms.forms import Catalog, label_context, load_catalog
from entretien_forms.forms.model import FormLayout
from entretien_forms.identity import verify
from entretien_forms.inbox import docx_reader, pdf_reader
from entretien_forms.inbox.model import ClaimedIdentity, Extraction
from entretien_forms.inbox.preflight import is_ignored, sniff
from entretien_forms.inbox.validate import validate_answers
from entretien_forms.sanitize import safe_filename
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission
from entretien_forms.workspace import Workspace, open_workspace

Status = Literal["ok", "rejected", "ignored"]


@dataclass(frozen=True)
class Outcome:
    """What became of one file, with the French line the user reads."""

    path: Path
    status: Status
    message: str
    reference: str | None = None
    destination: Path | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """What ``Inbox.analyse`` found, small and picklable (it crosses process boundaries).

    ``status``: ignored (``text`` is the line to show), rejected (``text`` the reason,
    ``advice`` what to do), known (these bytes are already stored), ready.
    """

    status: Literal["ignored", "rejected", "known", "ready"]
    text: str = ""
    advice: str = ""
    sha: str | None = None
    submission: Submission | None = None
    answers: tuple[StoredAnswer, ...] = ()


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class Inbox:
    """The inbox of one workspace, with what is worth loading once per run."""

    def __init__(self, workspace: Workspace, store: Store) -> None:
        self.workspace = workspace
        self.store = store
        self._catalog: Catalog | None = None
        self._layouts: dict[tuple[str, str | None, str, tuple[str, ...] | None], FormLayout] = {}
        self._secret: bytes | None = None

    # --- public --------------------------------------------------------------

    def recover(self, *, now: datetime | None = None) -> list[Outcome]:
        """Finish what a killed run left: submissions stored but whose file did not move."""
        now = now or datetime.now()
        done = []
        for submission in self.store.unfiled_submissions():
            archived = self.workspace.root / submission.archive_path
            source = self.workspace.inbox / submission.source_file
            if not archived.exists() and source.is_file() and _sha256(source) == submission.sha256:
                archived.parent.mkdir(parents=True, exist_ok=True)
                source.replace(archived)
            if archived.exists():
                assert submission.id is not None
                self.store.mark_filed(submission.id, now=now)
                done.append(
                    Outcome(source, "ok", f"OK      {submission.source_file} (reprise après "
                            f"interruption) → {submission.archive_path}",
                            submission.reference, archived)
                )  # fmt: skip
        return done

    def process(self, path: Path, *, now: datetime | None = None) -> Outcome:
        """Take ``path`` through every step; never raises for a bad file."""
        now = now or datetime.now()
        return self.commit(path, self.analyse(path, now=now), now=now)

    def analyse(self, path: Path, *, now: datetime) -> Analysis:
        """Read, identify, extract and validate ``path``; writes nothing, moves nothing.

        The part that costs CPU, so ``ingest_paths`` runs it in worker processes;
        ``commit`` then stores and files the results one at a time, in order.
        """
        if is_ignored(path):
            return Analysis("ignored", f"ignoré  {path.name} (fichier temporaire)")
        try:
            data = self._read(path)
        except RejectedFile as rejection:
            return Analysis("rejected", rejection.reason, rejection.advice)
        except FileNotFoundError:
            return Analysis("ignored", f"ignoré  {path.name} (disparu entre-temps)")
        sha = hashlib.sha256(data).hexdigest()
        if self.store.submission_by_sha256(sha) is not None:
            return Analysis("known", sha=sha)  # a duplicate, or a move a crash interrupted
        try:
            submission, answers = self._read_form(path, data, sha, now)
        except RejectedFile as rejection:
            return Analysis("rejected", rejection.reason, rejection.advice, sha)
        except EntretienError as error:  # a broken form definition in templates/, say
            return Analysis(
                "rejected",
                str(error),
                "Corrigez le problème indiqué puis redéposez le fichier.",
                sha,
            )
        return Analysis("ready", sha=sha, submission=submission, answers=tuple(answers))

    def commit(self, path: Path, analysis: Analysis, *, now: datetime) -> Outcome:
        """Store and file one analysed file (or set it aside); the only step that writes."""
        if analysis.status == "ignored":
            return Outcome(path, "ignored", analysis.text)
        if analysis.status == "rejected":
            return self._reject(
                path, RejectedFile(analysis.text, analysis.advice), analysis.sha, now
            )
        assert analysis.sha is not None
        known = self.store.submission_by_sha256(analysis.sha)
        if known is not None and not known.filed:
            return self._safely_filed(path, known, now, recovered=True)
        if known is not None:
            duplicate = RejectedFile(
                f"{path.name} a déjà été reçu le {known.received_at:%d/%m/%Y à %H:%M} "
                f"(formulaire {known.reference}, fichier {known.source_file}) : doublon "
                "exact, non compté une deuxième fois.",
                "Rien à faire : les réponses sont déjà enregistrées. Pour corriger un "
                "formulaire, déposez la version modifiée.",
            )
            return self._reject(path, duplicate, analysis.sha, now)
        if analysis.submission is None:  # known when analysed, gone since: read it again
            return self.process(path, now=now)
        # The archive name is chosen here, one file at a time, so that two files of the
        # same employee analysed side by side can never be given the same name.
        submission = replace(
            analysis.submission,
            archive_path=self._archive_path(path, analysis.submission, now)
            .relative_to(self.workspace.root)
            .as_posix(),
        )
        try:
            self.store.record_submission(submission, list(analysis.answers), now=now)
        except sqlite3.IntegrityError:
            # Another process (the watcher, a second « entretien ingest ») stored these
            # very bytes between our check and our write: it also files the document.
            return Outcome(path, "ignored", f"ignoré  {path.name} (traité par un autre processus)")
        stored = self.store.submission_by_sha256(analysis.sha)
        assert stored is not None
        return self._safely_filed(path, stored, now, recovered=False)

    def _safely_filed(
        self, path: Path, submission: Submission, now: datetime, *, recovered: bool
    ) -> Outcome:
        try:
            return self._file_away(path, submission, now, recovered=recovered)
        except FileNotFoundError:
            return Outcome(path, "ignored", f"ignoré  {path.name} (traité par un autre processus)")

    # --- steps ---------------------------------------------------------------

    def _read(self, path: Path) -> bytes:
        limit = self.workspace.settings.inbox.max_file_mb * 1_000_000
        size = path.stat().st_size
        if size > limit:
            raise RejectedFile(
                f"{path.name} pèse {size // 1_000_000} Mo, au-delà de la limite de "
                f"{limit // 1_000_000} Mo pour un formulaire.",
                "Enregistrez le formulaire sans images lourdes (ou scannez-le en 200 dpi, noir "
                "et blanc) ; la limite se règle dans entretien.toml, [retours] taille_max_mo.",
            )
        with path.open("rb") as handle:
            return handle.read(limit + 1)

    def _read_form(
        self, path: Path, data: bytes, sha: str, now: datetime
    ) -> tuple[Submission, list[StoredAnswer]]:
        fmt = sniff(data, path.name)
        if fmt == "docx":
            claimed = docx_reader.identify_docx(data, path.name)
        else:
            claimed = pdf_reader.identify_pdf(data, path.name)
        issued = self._issued(path.name, claimed)
        layout, version_note = self._layout(issued, now.date())
        extraction: Extraction
        if fmt == "docx":
            extraction = docx_reader.extract_docx(data, path.name, layout)
        else:
            extraction = pdf_reader.extract_pdf(data, path.name, layout)
        warnings = list(extraction.notes)
        if not extraction.paper and _reference_only(claimed):
            # Some viewers drop a PDF's metadata on saving: only the reference (hidden
            # field or QR code) is left, like a paper return. Nothing contradicts the
            # ledger, but nothing proves it either: say so.
            warnings.append(
                "Le logiciel qui a enregistré ce fichier a retiré son identité signée : "
                f"formulaire reconnu par sa seule référence ({issued.reference}) ; vérifiez "
                "qu'il s'agit bien du salarié indiqué."
            )
        elif not extraction.paper:
            self._check_signature(path.name, claimed, issued)
        if version_note:
            warnings.append(version_note)
        if issued.status == "remplace":
            warnings.append(
                f"Ce formulaire ({issued.reference}) avait été remplacé par "
                f"{issued.replaced_by} ; ses réponses sont enregistrées quand même."
            )
        answers: list[StoredAnswer] = []
        if extraction.paper:
            warnings.append(
                "Formulaire papier : l'entretien est enregistré, les réponses sont à saisir."
            )
        else:
            checked = validate_answers(layout, extraction.answers, today=now.date())
            answers = checked.answers
            warnings.extend(checked.warnings)
        submission = Submission(
            reference=issued.reference,
            matricule=issued.matricule,
            form_id=issued.form_id,
            kind=issued.kind,
            campaign=issued.campaign,
            form_version=issued.form_version,
            received_at=now,
            source_file=path.name,
            sha256=sha,
            format=fmt,
            producer=extraction.producer,
            paper=extraction.paper,
            warnings=tuple(warnings),
            archive_path="",  # chosen by ``commit``, one file at a time
        )
        return submission, answers

    def _issued(self, name: str, claimed: ClaimedIdentity) -> IssuedForm:
        if not claimed.reference:
            raise RejectedFile(
                f"{name} n'est pas reconnu comme un formulaire d'entretien de cet outil : il ne "
                "porte pas de référence (ni dans ses propriétés, ni en QR code).",
                "Utilisez le formulaire envoyé par les RH (dossier outbox/), rempli sans le "
                "recopier dans un nouveau document, puis déposez-le à nouveau.",
            )
        issued = self.store.issued(claimed.reference)
        if issued is None:
            raise RejectedFile(
                f"{name} porte la référence {claimed.reference}, inconnue de cet espace de "
                "travail : formulaire d'un autre espace de travail, d'une autre installation "
                "ou référence modifiée.",
                "Vérifiez que le formulaire a bien été émis depuis cet espace (entretien "
                "generate) ; sinon déposez-le dans l'espace de travail qui l'a émis.",
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
            )

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

    def _archive_path(self, path: Path, submission: Submission, now: datetime) -> Path:
        folder = (
            self.workspace.root
            / "archive"
            / safe_filename(submission.campaign)
            / safe_filename(submission.matricule)
        )
        stem = f"{safe_filename(path.stem)}-{now:%Y%m%d-%H%M%S}"
        suffix = path.suffix.lower() if path.suffix.lower() in (".docx", ".pdf") else ""
        candidate, n = folder / f"{stem}{suffix}", 1
        while candidate.exists():
            n += 1
            candidate = folder / f"{stem}-{n}{suffix}"
        return candidate

    # --- filing ----------------------------------------------------------------

    def _file_away(
        self, path: Path, submission: Submission, now: datetime, *, recovered: bool
    ) -> Outcome:
        target = self.workspace.root / submission.archive_path
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)  # one rename: the file is in one place or the other
        assert submission.id is not None
        self.store.mark_filed(submission.id, now=now)
        note = " (reprise après interruption)" if recovered else ""
        extra = f" ; {len(submission.warnings)} remarque(s)" if submission.warnings else ""
        paper = " [papier]" if submission.paper else ""
        return Outcome(
            path,
            "ok",
            f"OK      {path.name}{note} → {submission.archive_path} "
            f"({submission.reference}{paper}){extra}",
            submission.reference,
            target,
            submission.warnings,
        )

    def _reject(
        self, path: Path, rejection: RejectedFile, sha: str | None, now: datetime
    ) -> Outcome:
        folder = self.workspace.root / "rejected"
        folder.mkdir(parents=True, exist_ok=True)
        target, n = folder / path.name, 1
        # A reason note without its file is what a kill between the two writes leaves:
        # that name is free again and the note is rewritten.
        while target.exists():
            n += 1
            target = folder / f"{path.stem}-{n}{path.suffix}"
        note = target.with_name(target.name + ".txt")
        note.write_text(
            f"Fichier : {path.name}\nReçu le : {now:%d/%m/%Y à %H:%M}\n\n"
            f"Pourquoi il est mis de côté :\n{rejection.reason}\n\nQue faire :\n"
            f"{rejection.advice}\n",
            encoding="utf-8",
        )
        try:
            path.replace(target)
        except FileNotFoundError:
            with suppress(OSError):
                note.unlink()
            return Outcome(path, "ignored", f"ignoré  {path.name} (disparu entre-temps)")
        self.store.log_event("rejete", path.name, now=now, sha256=sha, detail=rejection.reason)
        return Outcome(path, "rejected", f"REJETÉ  {path.name} : {rejection.reason}", None, target)


_INBOXES: WeakKeyDictionary[Store, Inbox] = WeakKeyDictionary()


def ingest_file(
    workspace: Workspace, store: Store, path: Path, *, now: datetime | None = None
) -> Outcome:
    """Process one file (the watcher's entry point); caches what is loaded once per store."""
    inbox = _INBOXES.get(store)
    if inbox is None or inbox.workspace.root != workspace.root:
        inbox = _INBOXES[store] = Inbox(workspace, store)
        inbox.recover(now=now)
    return inbox.process(path, now=now)


# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM = 24


def ingest_paths(
    workspace: Workspace,
    store: Store,
    paths: list[Path],
    *,
    now: datetime | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Process files and folders (every file below them), in name order.

    Reading and checking a form is CPU work: with many files it runs in one
    worker process per core, while this process alone writes the database and
    moves the files, in name order, exactly as a sequential run would.
    """
    now = now or datetime.now()
    inbox = Inbox(workspace, store)
    report = IngestReport(inbox.recover(now=now))
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            files.append(path)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers > 1 and len(files) >= PARALLEL_FROM:
        with ProcessPoolExecutor(
            workers, initializer=_start_worker, initargs=(workspace.root, now)
        ) as pool:
            analyses = pool.map(_analyse_in_worker, files, chunksize=8)
            for file, analysis in zip(files, analyses, strict=True):
                report.outcomes.append(inbox.commit(file, analysis, now=now))
    else:
        for file in files:
            report.outcomes.append(inbox.process(file, now=now))
    return report


_WORKER: dict[str, Any] = {}


def _start_worker(root: Path, now: datetime) -> None:
    workspace = open_workspace(root)
    _WORKER["inbox"] = Inbox(workspace, Store.open(workspace.database_path))
    _WORKER["now"] = now


def _analyse_in_worker(path: Path) -> Analysis:
    inbox: Inbox = _WORKER["inbox"]
    return inbox.analyse(path, now=_WORKER["now"])


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
