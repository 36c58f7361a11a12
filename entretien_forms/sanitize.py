"""Neutralise hostile values where they are written, not where they are read.

A roster cell or a form answer is data: we keep it as typed. It becomes
dangerous only when used as a file name (path traversal, reserved Windows
names) or written into a spreadsheet (formula injection, OWASP "CSV
injection"). Every writer goes through one of these two helpers.
"""

from __future__ import annotations

import re

from entretien_forms.text import ascii_fold

# Windows refuses these names whatever the extension (learn.microsoft.com,
# "Naming Files, Paths, and Namespaces").
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
# Characters XML 1.0 forbids (openpyxl refuses them with IllegalCharacterError), and
# lone surrogates (a JSON "\ud800" decodes to one), which UTF-8 cannot encode.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Text a spreadsheet would run as a formula or a DDE command.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_filename(value: str, *, max_length: int = 60) -> str:
    """Turn any text into a portable file name stem.

    Accents are transliterated, every run of other characters (path separators,
    dots and dashes included, so ``..`` cannot survive) becomes one dash, and the
    result is capped at ``max_length`` characters.
    """
    stem = _UNSAFE.sub("-", ascii_fold(value)).strip("-_")[:max_length].strip("-_")
    if not stem:
        return "sans-nom"
    if stem.lower() in _RESERVED:
        return f"{stem}-"
    return stem


class UniqueFileNames:
    """Hands out safe file name stems, never the same one twice.

    Comparison ignores case, as the Windows and macOS file systems do, so
    "Dupont" and "DUPONT" do not overwrite each other there.
    """

    def __init__(self, *, max_length: int = 60) -> None:
        self._max_length = max_length
        self._taken: set[str] = set()

    def claim(self, value: str) -> str:
        stem = safe_filename(value, max_length=self._max_length)
        candidate, n = stem, 1
        while candidate.lower() in self._taken:
            n += 1
            suffix = f"-{n}"
            candidate = stem[: self._max_length - len(suffix)].rstrip("-_") + suffix
        self._taken.add(candidate.lower())
        return candidate


def safe_cell(value: object) -> object:
    """Return ``value`` so that a spreadsheet shows it and never evaluates it.

    Text starting with a formula character gets a leading apostrophe, the
    neutralisation OWASP recommends; characters XML cannot hold (a control
    character typed in a PDF field, say) are dropped, as no workbook could
    be saved with them. Numbers, dates and booleans pass through.
    """
    if not isinstance(value, str):
        return value
    if not value.isprintable():  # a fast test; only the rare text with one goes on
        value = XML_ILLEGAL.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
