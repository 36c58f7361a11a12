"""What the inbox readers hand over: the identity a file claims, and its raw answers.

Readers (``docx_reader``, ``pdf_reader``) only read: they never decide
whether a value is valid or whether the form is known. ``validate`` does that
for every format the same way, then ``ingest`` stores and files the
document. Keys of ``answers`` are control keys: a field id
(``objectifs.2.cible``), or ``<field id>#<n>`` for option ``n`` (1-based) of a
multiple choice, exactly as the renderers named them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How an answer was obtained, shown to HR next to it:
# control: a Word content control or a PDF form field, read by its tag/name;
# control_order: a Word control that lost its tag (re-saved by an editor), matched
#   by its position among the form's controls;
# table_cell: no control left, read from the form's table cell next to the label;
# typed_mark: a check box typed by hand (X, ☒) instead of ticked;
# paper: a scanned or flattened form: the interview is recorded, answers are not.
Method = Literal["control", "control_order", "table_cell", "typed_mark", "paper"]
METHOD_LABELS: dict[str, str] = {
    "control": "champ du formulaire",
    "control_order": "champ du formulaire sans étiquette (repéré par sa position)",
    "table_cell": "cellule du tableau",
    "typed_mark": "case cochée à la main",
    "paper": "formulaire papier",
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
