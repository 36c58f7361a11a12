"""Text as the PDF renderer writes it: WinAnsi for what is drawn, PDF strings for the rest.

The form uses the 14 standard fonts (Helvetica, ZapfDingbats): no font file
to embed, so a PDF stays small and fast to write, and every viewer has them.
Their WinAnsi encoding (Windows-1252) holds every French character (é, œ, «,
’, –, …), but not "Ł" or "ż" from a roster with foreign names: those are
transliterated here, so no viewer ever shows a blank or a black square.
Roster values are also hostile (parentheses and backslashes end a PDF
string early; control characters break lines): everything drawn or stored
goes through the helpers of this module.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache

from reportlab.pdfbase.pdfmetrics import getFont  # type: ignore[import-untyped]

# Letters that NFKD does not decompose into a base letter and an accent.
_SPECIAL: dict[str, str] = {
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ħ": "h",
    "Ħ": "H",
    "ı": "i",
    "ŀ": "l",
    "Ŀ": "L",
    "ĸ": "k",
    "ŋ": "n",
    "Ŋ": "N",
    "ŧ": "t",
    "Ŧ": "T",
    "ſ": "s",
    "ǝ": "e",
    "ə": "e",
    "Ə": "E",
    "ȷ": "j",
    "‐": "-",
    "‑": "-",
    "‒": "–",
    "―": "—",
    "−": "-",
    "′": "’",
    "″": '"',
    "⁄": "/",
    "→": "->",
    "←": "<-",
    "✓": "x",
    "✔": "x",
    "☐": "[ ]",
    "☒": "[x]",
}
_UNKNOWN = "?"
_PLAIN_SPACES = {"\t": " ", "\n": " ", "\r": " "}


def _transliterate(char: str) -> str:
    """The closest WinAnsi text for one character that cp1252 cannot encode."""
    if char in _SPECIAL:
        return _SPECIAL[char]
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ""  # controls, invisible format marks (zero-width joiner, BOM...)
    if category.startswith("Z"):
        return " "  # every kind of space and line separator
    kept = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part):
            continue
        try:
            part.encode("cp1252")
        except UnicodeEncodeError:
            part = _SPECIAL.get(part, "")
        kept.append(part)
    return "".join(kept) or _UNKNOWN


class _WinAnsiTable(dict[int, str | None]):
    """``str.translate`` table filled on first use: one dict look-up per character after that."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        value: str | None
        if char in _PLAIN_SPACES:
            value = _PLAIN_SPACES[char]
        elif code < 0x20 or 0x7F <= code < 0xA0:
            value = None  # C0 and C1 controls
        else:
            try:
                char.encode("cp1252")
                value = char
            except UnicodeEncodeError:
                value = _transliterate(char)
        self[code] = value
        return value


_LINE_TABLE = _WinAnsiTable()
_MULTILINE_TABLE = _WinAnsiTable({ord("\n"): "\n"})


def winansi(text: str) -> str:
    """``text`` on one line, with only characters Helvetica's WinAnsi encoding can draw."""
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_LINE_TABLE)


def winansi_lines(text: str) -> list[str]:
    """``text`` split into its lines (any line break), each made drawable like ``winansi``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_MULTILINE_TABLE).split("\n")


def _escape(data: bytes) -> bytes:
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def show(text: str) -> bytes:
    """A PDF literal string ``(...)`` for a content stream: ``text`` must come from ``winansi``."""
    return b"(" + _escape(text.encode("cp1252")) + b")"


def pdf_text(text: str) -> bytes:
    """A PDF text string (field values, names, tooltips, metadata), exact for any character.

    Outside content streams, PDF text strings are PDFDocEncoding or UTF-16BE
    with a byte order mark; UTF-16 keeps every character the way it was given.
    """
    if text.isascii() and text.isprintable():
        return b"(" + _escape(text.encode("ascii")) + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode("ascii") + b">"


def pdf_name(name: str) -> bytes:
    """A PDF name object ``/...`` (checkbox states), with delimiters and non-ASCII escaped."""
    out = bytearray(b"/")
    for byte in name.encode("utf-8"):
        if 0x21 <= byte <= 0x7E and byte not in b"#()<>[]{}/%":
            out.append(byte)
        else:
            out += b"#%02X" % byte
    return bytes(out)


def number(value: float) -> bytes:
    """A PDF number with at most two decimals and no trailing zeros (1/100 pt is invisible)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return b"0" if text in ("-0", "") else text.encode("ascii")


@cache
def _widths(font: str) -> tuple[float, ...]:
    widths: list[float] = getFont(font).widths
    return tuple(w / 1000 for w in widths)


def width_function(font: str) -> Callable[[str, float], float]:
    """A fast ``(text, size) -> width`` for a standard font (``text`` from ``winansi``)."""
    table = _widths(font)

    def width(text: str, size: float) -> float:
        return sum(table[b] for b in text.encode("cp1252")) * size

    return width


def fit(text: str, font: str, size: float, max_width: float) -> str:
    """``text`` (from ``winansi``) cut with an ellipsis so that it fits ``max_width``."""
    table = _widths(font)
    data = text.encode("cp1252")
    if sum(table[b] for b in data) * size <= max_width:
        return text
    room = max_width / size - table[0x85]  # leave room for "…"
    used = 0.0
    for end, byte in enumerate(data):
        used += table[byte]
        if used > room:
            return data[:end].decode("cp1252").rstrip() + "…"
    return text  # pragma: no cover - the whole text fitted after all


def wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Lines of ``text`` (from ``winansi_lines``, joined by "\\n") broken at spaces to fit.

    A word longer than the line is cut where it overflows, so that a hostile
    value without spaces cannot run out of its box.
    """
    table = _widths(font)
    limit = max_width / size
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        line_width = 0.0
        for word in paragraph.split(" "):
            word_width = sum(table[b] for b in word.encode("cp1252"))
            space = table[0x20] if line else 0.0
            if line_width + space + word_width <= limit:
                line = f"{line} {word}" if line else word
                line_width += space + word_width
                continue
            if line:
                lines.append(line)
            line, line_width = "", 0.0
            while word and word_width > limit:
                cut, used = 0, 0.0
                for cut, byte in enumerate(word.encode("cp1252")):  # noqa: B007
                    used += table[byte]
                    if used > limit:
                        break
                cut = max(cut, 1)
                lines.append(word[:cut])
                word = word[cut:]
                word_width = sum(table[b] for b in word.encode("cp1252"))
            line, line_width = word, word_width
        lines.append(line)
    return lines
