"""What the inbox hands over: what a file claims and holds, and what became of it.

Readers (``docx_reader``, ``pdf_reader``) only read: they never decide
whether a value is valid or whether the form is known. ``validate`` does that
for every format the same way, then ``ingest`` stores and files the
document. Keys of ``answers`` are control keys: a field id
(``objectifs.2.cible``), or ``<field id>#<n>`` for option ``n`` (1-based) of a
multiple choice, exactly as the renderers named them.

Every file ``ingest`` looks at ends in one ``Outcome``, whatever happens:

- ``ok``: answers stored, file in ``archive/<campagne>/<matricule>/``;
- ``duplicate``: the same bytes were already received and filed: nothing is
  counted twice; the copy goes to ``rejected/`` with a note saying there is
  nothing to do (« déjà reçu »). Not a problem: the exit code stays 0;
- ``ignored``: not a submission (lock and temporary files), gone meanwhile,
  or taken by another process at the same moment; not shown;
- ``rejected``: a known reason (``code``, a ``RejectionCode``): the file is in
  ``rejected/`` with a ``.txt`` saying why and what to do;
- ``failed``: not the file's known fault: a disk full, a folder we may not
  write (the file stays where it was, nothing is lost, a later run finishes
  it), or a bug (traceback in ``.entretien/logs/``, file set aside with a
  note, or left in place with a note beside it when it cannot be moved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from entretien_forms.errors import RejectionCode

# How an answer was obtained, shown to HR next to it:
# control: a Word content control or a PDF form field, read by its tag/name;
# control_order: a Word control that lost its tag (re-saved by an editor), matched
#   by its position among the form's controls;
# table_cell: no control left, read from the form's table cell next to the label;
# typed_mark: a check box typed by hand (X, ☒) instead of ticked;
# paper: a scanned form whose answers were not read (issued before paper was read);
# paper_mark: a tick box read on a scan (ticked or empty, never a guess);
# keyed: typed by HR on the keying sheet, from the scanned zone beside the field;
# pdf_text: read from the text of a PDF whose fields are gone (flattened, printed to PDF,
#   exported from Word), inside the field's known place on the page.
Method = Literal[
    "control", "control_order", "table_cell", "typed_mark", "paper", "paper_mark", "keyed",
    "pdf_text",
]  # fmt: skip
METHOD_LABELS: dict[str, str] = {
    "control": "champ du formulaire",
    "control_order": "champ du formulaire sans étiquette (repéré par sa position)",
    "table_cell": "cellule du tableau",
    "typed_mark": "case cochée à la main",
    "paper": "formulaire papier",
    "paper_mark": "case cochée (papier)",
    "keyed": "saisi d'après le scan",
    "pdf_text": "texte du PDF",
}


@dataclass(frozen=True)
class ClaimedIdentity:
    """Who and what the document says it is, before anything is checked.

    Read from Word custom properties ``entretien_*``, PDF ``/Info`` keys
    ``/Entretien*`` and the hidden ``entretien_reference`` field, or from the
    QR codes of a scan (which give only the reference). ``None`` when absent.
    """

    reference: str | None = None
    form_id: str | None = None
    form_version: str | None = None
    kind: str | None = None
    campaign: str | None = None
    matricule: str | None = None
    signature: str | None = None


@dataclass(frozen=True)
class RawAnswer:
    """One answer as found in the file, not yet validated.

    ``value`` is text for text-like controls (a drop-down gives its item's
    value when it can be told, else the text shown), ``bool`` for a check box.
    Empty controls (placeholder shown, nothing typed) are not reported at all.
    """

    value: str | bool
    method: Method


@dataclass
class Extraction:
    """Everything one reader got out of one file."""

    identity: ClaimedIdentity
    answers: dict[str, RawAnswer] = field(default_factory=dict)
    producer: str | None = None  # "LibreOffice/7.4.7.2$Linux_X86_64", "Microsoft Office Word"...
    notes: list[str] = field(default_factory=list)  # French, e.g. "3 champs sans étiquette..."
    paper: bool = False  # a scan or a flattened form: identified, answers to be typed by HR
    pages: tuple[int, ...] = ()  # paper: the page numbers whose QR code was read
    page_count: int | None = None  # paper: pages the form has, from its QR codes


Status = Literal["ok", "duplicate", "ignored", "rejected", "failed"]

# ``entretien ingest``'s exit code, from the outcomes: the worst one wins.
EXIT_OK = 0  # every file stored, or nothing to do (duplicates and ignored files included)
EXIT_REJECTED = 1  # at least one file set aside in rejected/: HR reads its .txt
EXIT_FAILED = 3  # at least one file not handled (disk, rights, bug): see the message, the logs


@dataclass(frozen=True)
class Outcome:
    """What became of one file, with the French line the user reads."""

    path: Path
    status: Status
    message: str
    reference: str | None = None
    destination: Path | None = None  # where the file is now (archive/ or rejected/)
    warnings: tuple[str, ...] = ()
    code: RejectionCode | None = None  # rejected only
    note: Path | None = None  # the reason note written for it, if any
    log: Path | None = None  # failed by a bug: the traceback for the bug report
    # The workspace itself is the problem (disk full, database not writable): the
    # next files would fail the same way, so a batch stops and leaves them in place.
    halt: bool = False
    returns: int = 1  # ok: the returns stored from the file (a scanned stack holds many)
    unpacked: tuple[Path, ...] = ()  # an e-mail: its attachments, written into the inbox


@dataclass
class IngestReport:
    """Every outcome of one run, in order, and the files left untouched when it stopped."""

    outcomes: list[Outcome] = field(default_factory=list)
    not_processed: list[Path] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        """The worst outcome's code: ``EXIT_FAILED``, else ``EXIT_REJECTED``, else ``EXIT_OK``.

        Files left untouched by a stop add nothing: the outcome that stopped the
        run (a failure, or a rejection with ``--failfast``) already says it.
        """
        if self.count("failed"):
            return EXIT_FAILED
        if self.count("rejected"):
            return EXIT_REJECTED
        return EXIT_OK
