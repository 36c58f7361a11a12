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
_ODD_ASCII_SPACE = re.compile(r"\s\s|[^\S ]")  # two spaces in a row, or a tab, a newline...
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[^\w\s]+")
# Letters NFKD does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L", "ø": "o"}
    | {"Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"}
)


def clean(value: str) -> str:
    """Trim, NFC-normalise and collapse runs of white space (non-breaking ones too)."""
    if value.isascii() and not _ODD_ASCII_SPACE.search(value):
        return value.strip()  # the common case, three times cheaper
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def ascii_fold(value: str) -> str:
    """Drop accents and ligatures ("Œuvre" → "OEuvre") keeping case and punctuation."""
    value = value.translate(_LIGATURES)
    # NFKD splits "é" into "e" and a combining accent, which the ASCII encoding drops.
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")


def fold(value: str) -> str:
    """Comparison key: lower case, no accents, punctuation turned into single spaces.

    Non-ASCII punctuation (the typographic apostrophe of « Date d’entrée », the
    guillemets) becomes a space before ``ascii_fold`` would silently drop it and
    glue two words together.
    """
    if not value.isascii():
        value = ascii_fold(_NOT_WORD.sub(" ", value))
    return _NOT_ALNUM.sub(" ", value.lower()).strip()


def count(n: int, singular: str, plural: str) -> str:
    """ "1 erreur", "2 erreurs", "0 erreur" (French uses the singular for 0 and 1)."""
    return f"{n} {singular if n <= 1 else plural}"
