"""Read a keying sheet (« fiche de saisie ») HR filled and dropped back in the inbox.

The sheet (``render/keying.py``) is a fillable PDF whose fields are named
after the paper return's answer keys: HR typed the handwriting of the scan
into its text fields and confirmed or corrected its tick boxes. Its fields
are read by ``pdf_reader``, the same reader as a returned form's, so that a
sheet saved by any viewer (incremental update, ``\\r`` line breaks, a radio
group's state or value) reads as a form saved by that viewer would.

What is an answer:

- a text field with something typed in it; an empty one is not (the zone
  stays unkeyed, it is not "answered empty");
- every tick box, ticked or not: the sheet showed each one pre-ticked as read
  on the scan (or flagged and empty when unsure), so what HR saves is what
  HR confirms;
- a radio group with an option ticked (one left without any is no answer).

Which return the sheet is for is claimed by its ``/Info`` keys and by a hidden
field (a viewer may drop ``/Info``), and signed (``identity.sign_keying``)
over the reference, the return's id and the scan's digest. ``check_sheet``
checks that claim against the store before anything is recorded.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Pdf

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.forms.contract import HIDDEN_FIELD
from entretien_forms.identity import (
    KEYING_FIELD,
    KEYING_INFO_REFERENCE,
    KEYING_INFO_SCAN,
    KEYING_INFO_SHEET,
    KEYING_INFO_SIGNATURE,
    KEYING_INFO_SUBMISSION,
    KEYING_SHEET,
    verify_keying,
)
from entretien_forms.inbox.model import RawAnswer
from entretien_forms.inbox.pdf_reader import extract_pdf
from entretien_forms.store import Store, Submission

__all__ = ["KeyedSheet", "check_sheet", "is_keying_sheet", "read_keying_sheet"]

_HEADER_WINDOW = 1024
_MAX_TOP_FIELDS = 5_000  # a sheet has a few hundred at most; a file beyond is not one


@dataclass(frozen=True)
class KeyedSheet:
    """What a filled keying sheet claims and holds.

    ``answers`` are by answer key (a field id, ``<id>#<n>`` for an option of
    a multiple choice), every one with method ``keyed``.
    """

    reference: str
    submission_id: int
    scan_sha256: str
    signature: str
    answers: dict[str, RawAnswer]
    producer: str | None = None
    notes: list[str] = field(default_factory=list)  # French: repairs, disagreeing identities


def is_keying_sheet(data: bytes) -> bool:
    """Whether ``data`` is a keying sheet (by its ``/Info``, or its hidden identity field).

    Cheap (qpdf parses only the trailer, ``/Info`` and the top-level fields)
    and never raises: a file that cannot be opened is simply not a sheet,
    and the usual readers say what is wrong with it.
    """
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        return False
    try:
        with Pdf.open(io.BytesIO(data)) as pdf:
            info = pdf.trailer.get("/Info")
            if isinstance(info, Dictionary) and _text(info.get(f"/{KEYING_INFO_SHEET}")) == (
                KEYING_SHEET
            ):
                return True
            return _hidden_identity(pdf) is not None
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, TypeError, RecursionError):
        return False


def read_keying_sheet(data: bytes, name: str) -> KeyedSheet:
    """The identity a keying sheet claims and the answers HR keyed on it.

    Raises ``RejectedFile`` for a file that cannot be read (the PDF reader's
    reasons) or whose identity is gone (``NOT_A_FORM``). The signature is not
    checked here: ``check_sheet`` does it, with the workspace's secret.
    """
    extraction = extract_pdf(data, name, None)
    notes = list(extraction.notes)
    with Pdf.open(io.BytesIO(data)) as pdf:
        info = pdf.trailer.get("/Info")
        claimed = _info_identity(info) if isinstance(info, Dictionary) else None
        hidden = _hidden_identity(pdf)
    if claimed is not None and hidden is not None and claimed != hidden:
        notes.append(
            f"Les propriétés de la fiche de saisie (retour n° {claimed[1]}) diffèrent de son "
            f"champ d'identité (retour n° {hidden[1]}) : les propriétés sont retenues."
        )
    identity = claimed or hidden
    if identity is None:
        raise RejectedFile(
            f"{name} : cette fiche de saisie a perdu son identité (référence, retour, signature) "
            "et ne peut être rattachée à aucun formulaire papier.",
            "Relancez « entretien saisie » pour obtenir une nouvelle fiche, recopiez-y les "
            "réponses puis déposez-la dans inbox/.",
            RejectionCode.NOT_A_FORM,
        )
    reference, submission_id, scan_sha256, signature = identity
    answers = {
        key: RawAnswer(answer.value, "keyed")
        for key, answer in extraction.answers.items()
        if key not in (KEYING_FIELD, HIDDEN_FIELD)
    }
    return KeyedSheet(
        reference=reference,
        submission_id=submission_id,
        scan_sha256=scan_sha256,
        signature=signature,
        answers=answers,
        producer=extraction.producer,
        notes=notes,
    )


def check_sheet(sheet: KeyedSheet, name: str, *, secret: bytes, store: Store) -> Submission:
    """The paper return a keying sheet is for, once its signature and the store agree.

    Refused (``TAMPERED``) when the signature does not match this workspace's
    secret for the reference, return and scan it names (edited, made for
    another return, or by another workspace); refused (``UNKNOWN_REFERENCE``)
    when that return is not a paper return of this reference; refused too
    when the return was replaced by a later one since the sheet was made: its
    keyed answers would land on a return that no longer counts.
    """
    if not verify_keying(
        secret,
        sheet.signature,
        reference=sheet.reference,
        submission_id=sheet.submission_id,
        scan_sha256=sheet.scan_sha256,
    ):
        raise RejectedFile(
            f"{name} : la signature de cette fiche de saisie ne correspond pas au formulaire "
            f"papier qu'elle désigne ({sheet.reference}, retour n° {sheet.submission_id}) : "
            "elle a été modifiée, faite pour un autre retour, ou par un autre espace de travail.",
            "Relancez « entretien saisie » pour obtenir la fiche de ce formulaire, recopiez-y "
            "les réponses puis déposez-la dans inbox/.",
            RejectionCode.TAMPERED,
        )
    paper = store.submission(sheet.submission_id)
    if (
        paper is None
        or not paper.paper
        or paper.reference != sheet.reference
        or paper.sha256 != sheet.scan_sha256
    ):
        raise RejectedFile(
            f"{name} : le formulaire papier de cette fiche de saisie ({sheet.reference}, retour "
            f"n° {sheet.submission_id}) est inconnu de cet espace de travail.",
            "Vérifiez que la fiche a été déposée dans le bon espace de travail ; sinon relancez "
            "« entretien saisie » pour en obtenir une nouvelle.",
            RejectionCode.UNKNOWN_REFERENCE,
        )
    if paper.status != "valide":
        raise RejectedFile(
            f"{name} : le formulaire papier de cette fiche de saisie ({sheet.reference}, reçu le "
            f"{paper.received_at:%d/%m/%Y}) a été remplacé depuis par un autre retour : les "
            "réponses saisies ne sont pas enregistrées.",
            "Relancez « entretien saisie » pour obtenir la fiche du retour actuel, s'il reste "
            "des réponses à saisir.",
            RejectionCode.TAMPERED,
        )
    return paper


# --------------------------------------------------------------------------- identity

_Identity = tuple[str, int, str, str]  # reference, submission id, scan sha256, signature


def _text(value: object) -> str | None:
    if isinstance(value, pikepdf.String):
        return str(value).strip()
    return None


def _info_identity(info: Dictionary) -> _Identity | None:
    values = [
        _text(info.get(f"/{key}"))
        for key in (
            KEYING_INFO_REFERENCE,
            KEYING_INFO_SUBMISSION,
            KEYING_INFO_SCAN,
            KEYING_INFO_SIGNATURE,
        )
    ]
    reference, submission, scan, signature = values
    if not reference or not submission or not scan or not signature:
        return None
    if not submission.isascii() or not submission.isdigit():
        return None
    return reference, int(submission), scan.lower(), signature


def _hidden_identity(pdf: Pdf) -> _Identity | None:
    """The identity in the hidden top-level field ``KEYING_FIELD``, if it is there and whole."""
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, Dictionary):
        return None
    fields = form.get("/Fields")
    if not isinstance(fields, Array) or len(fields) > _MAX_TOP_FIELDS:
        return None
    for node in fields:
        if not isinstance(node, Dictionary) or _text(node.get("/T")) != KEYING_FIELD:
            continue
        value = node.get("/V")
        text = str(value) if isinstance(value, pikepdf.String) else None
        if text is None:
            return None
        try:
            found = json.loads(text)
        except ValueError:
            return None
        if not isinstance(found, dict):
            return None
        reference, submission = found.get("reference"), found.get("retour")
        scan, signature = found.get("scan"), found.get("signature")
        if (
            isinstance(reference, str)
            and isinstance(submission, int)
            and not isinstance(submission, bool)
            and isinstance(scan, str)
            and isinstance(signature, str)
        ):
            return reference.strip(), submission, scan.strip().lower(), signature.strip()
        return None
    return None
