"""References and signatures of issued forms.

Every issued form carries a reference (``EA-2026-00042``) and an HMAC of its
identity made with the workspace secret. When a form comes back, the inbox
recomputes the HMAC: a form whose reference, matricule, kind, campaign or
version was edited, or that was issued by another workspace, does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from entretien_forms.text import ascii_fold

_CAMPAIGN_CODE = re.compile(r"[^A-Z0-9]+")


def campaign_code(campaign: str) -> str:
    """The campaign as it appears inside a reference: "Printemps 2026" → "PRINTEMPS2026"."""
    return _CAMPAIGN_CODE.sub("", ascii_fold(campaign).upper())[:16] or "X"


def format_reference(prefix: str, campaign: str, number: int) -> str:
    return f"{prefix}-{campaign_code(campaign)}-{number:05d}"


def sign(
    secret: bytes, *, reference: str, matricule: str, kind: str, campaign: str, version: str
) -> str:
    message = "\x1f".join((reference, matricule, kind, campaign, version)).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    signature: str,
    *,
    reference: str,
    matricule: str,
    kind: str,
    campaign: str,
    version: str,
) -> bool:
    expected = sign(
        secret,
        reference=reference,
        matricule=matricule,
        kind=kind,
        campaign=campaign,
        version=version,
    )
    return hmac.compare_digest(expected, signature.strip().lower())


# --------------------------------------------------------------------------- keying sheets

# What makes a PDF a keying sheet (« fiche de saisie ») and names the paper return it
# belongs to: ``/Info`` keys written by ``render/keying.py`` and read by
# ``inbox/keying_reader.py``. Both sides import them from here, not from each other.
KEYING_SHEET = "saisie"  # the value of /EntretienFiche
KEYING_INFO_SHEET = "EntretienFiche"
KEYING_INFO_REFERENCE = "EntretienReference"
KEYING_INFO_SUBMISSION = "EntretienRetour"  # the paper return's submission id
KEYING_INFO_SCAN = "EntretienScan"  # sha256 of the archived scan
KEYING_INFO_SIGNATURE = "EntretienSignature"
# A hidden read-only field holding the same identity (JSON): a viewer may drop /Info
# when it saves a file, never a form field.
KEYING_FIELD = "entretien_saisie"

# Put before what a keying sheet's signature covers, so that no form signature
# (five fields) can ever be taken for a sheet's (three) or the other way round.
_KEYING_DOMAIN = "entretien-fiche-de-saisie"


def sign_keying(secret: bytes, *, reference: str, submission_id: int, scan_sha256: str) -> str:
    """The signature of a keying sheet: bound to one paper return and to its scan's bytes.

    A sheet filled for one return must not be dropped onto another one (a
    second return of the same form after a better scan, another employee's):
    the submission id and the scan's digest make it fit that return only.
    """
    message = "\x1f".join(
        (_KEYING_DOMAIN, reference, str(submission_id), scan_sha256.lower())
    ).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_keying(
    secret: bytes, signature: str, *, reference: str, submission_id: int, scan_sha256: str
) -> bool:
    """Whether ``signature`` is the one ``sign_keying`` gives for this return and scan."""
    expected = sign_keying(
        secret, reference=reference, submission_id=submission_id, scan_sha256=scan_sha256
    )
    return hmac.compare_digest(expected, signature.strip().lower())
