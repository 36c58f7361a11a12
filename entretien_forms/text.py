"""French text normalisation: one way to clean a value, one way to compare two.

Rosters are typed by hand and exported by many tools, so the same header or
name comes with or without accents, in any case, with stray spaces and
punctuation. ``clean`` is for what we store and show; ``fold`` is only for
comparing.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def clean(value: str) -> str:
    """Trim, NFC-normalise and collapse runs of white space (non-breaking ones too)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def ascii_fold(value: str) -> str:
    """Drop accents and ligatures ("Œuvre" → "OEuvre") keeping case and punctuation."""
    value = value.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    value = value.replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", value)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode("ascii")
    )


def fold(value: str) -> str:
    """Comparison key: lower case, no accents, punctuation turned into single spaces."""
    return _NOT_ALNUM.sub(" ", ascii_fold(value).lower()).strip()


def count(n: int, singular: str, plural: str) -> str:
    """ "1 erreur", "2 erreurs", "0 erreur" (French uses the singular for 0 and 1)."""
    return f"{n} {singular if n <= 1 else plural}"
