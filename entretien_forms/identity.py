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
