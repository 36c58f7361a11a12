"""A text export (CSV) as rows, each line decoded on its own.

Why line by line: HR files are assembled by hand. A header typed in UTF-8 is
pasted over rows exported in Windows-1252 by an old payroll tool, rows are
appended from another export, a UTF-8 file once opened as Windows-1252 is
saved again with « NoÃ«l » for « Noël ». Decoding the whole file one way
either loses the header (« colonne prénom introuvable ») or stores mojibake
without a word. The rules:

- A UTF-16 byte order mark (Excel's "Texte Unicode"), or the NUL bytes of
  UTF-16 text without one, means UTF-16 for the whole file: its lines cannot
  be in another encoding. Bytes that do not decode become « � », with a warning
  on their line.
- Otherwise each physical line is decoded as UTF-8 when it is valid UTF-8
  (Windows-1252 French text almost never is), else as Windows-1252 (Excel's
  "CSV (séparateur : point-virgule)" in France). A line that is neither keeps
  « � » for the bytes that do not decode, with a warning. Splitting the bytes
  on line breaks is safe: neither encoding uses CR or LF inside a character.
- The file's main encoding is the one most of its non-ASCII lines use (a UTF-8
  byte order mark counts as one more UTF-8 line). Every non-ASCII line in the
  other encoding is still read right, and gets a warning naming it.
- Mojibake: a run such as « Ã« » (the UTF-8 bytes of « ë » shown as
  Windows-1252 characters) is turned back into « ë », with a warning on its
  line, when the result is a character Windows-1252 has (French text). « É »
  followed by a non-breaking space, which would give « ɠ », is left alone.

Every rule applies whether or not the caller listens to the warnings: the
same bytes always give the same cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from entretien_forms.errors import UnreadableFileError
from entretien_forms.roster._table import MAX_ROWS, Report, Row, Table, french_number
from entretien_forms.roster.model import Problem

SEPARATORS = (";", ",", "\t", "|")
_CHUNK = 1 << 20
_SNIFF = 4096
_NAMES = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}

# Every byte as Windows-1252 shows it; the five bytes it leaves undefined (0x81,
# 0x8D, 0x8F, 0x90, 0x9D) as the C1 control of the same number, as Windows does.
_SHOWN = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)}
_BYTE_OF = {char: b for b, char in _SHOWN.items()}
# Characters a repair may give: Windows-1252's own non-ASCII characters (French text).
_PLAUSIBLE = frozenset(_SHOWN[b] for b in range(0x80, 0x100) if _SHOWN[b] != chr(b) or b >= 0xA0)
_CONTINUATION = "".join(re.escape(_SHOWN[b]) for b in range(0x80, 0xC0))
# A UTF-8 lead byte of a 2- or 3-byte character, then its continuation bytes.
_MOJIBAKE = re.compile(f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}")
_TOKEN = re.compile(r"[^\s;,\t|\"]+")


def tables(path: Path, head_rows: int) -> list[Table]:
    """The file read with each usual separator: the caller keeps the best header."""
    utf16 = _utf16_codec(path)
    found: list[Table] = []
    failure: UnreadableFileError | None = None
    for separator in SEPARATORS:

        def rows(report: Report | None, separator: str = separator) -> Iterator[Row]:
            return _rows(path, utf16, separator, report)

        label = "tabulation" if separator == "\t" else f"« {separator} »"
        try:
            head = list(islice(rows(None), head_rows))
        except UnreadableFileError as exc:  # this separator cannot be right; try the others
            failure = failure or exc
            continue
        found.append(Table(None, head, rows, f"CSV séparé par {label}"))
    if not found and failure is not None:
        raise failure
    return found


def _rows(path: Path, utf16: str | None, separator: str, report: Report | None) -> Iterator[Row]:
    with path.open("rb") as handle:
        if utf16:
            # newline="": line breaks kept as written, split as csv expects (CR LF, CR, LF).
            text = io.TextIOWrapper(handle, encoding=utf16, errors="replace", newline="")
            lines = _utf16_lines(text, report)
        else:
            lines = _byte_lines(handle, report)
        reader = csv.reader(lines, delimiter=separator)
        start = 1
        try:
            for cells in reader:
                if start > MAX_ROWS:
                    raise UnreadableFileError(
                        f"{path.name} : plus de {french_number(MAX_ROWS)} lignes, plus "
                        "qu'Excel n'en permet et bien au-delà d'une liste de salariés. Exportez "
                        "seulement le tableau utile."
                    )
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as exc:
            raise UnreadableFileError(
                f"{path.name}, ligne {start} : CSV mal formé ({exc}). Ouvrez-le dans Excel "
                "et enregistrez-le à nouveau."
            ) from exc


def _utf16_codec(path: Path) -> str | None:
    """ "utf-16" (with a byte order mark) or "utf-16-le"/"-be" (without), None for bytes.

    Raises when NUL bytes say the file is binary, not text.
    """
    with path.open("rb") as handle:
        start = handle.read(_SNIFF)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Texte Unicode"
    if b"\x00" not in start:
        return None
    # UTF-16 text without a byte order mark: the other byte of most ASCII characters is NUL.
    even, odd = start[0::2], start[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    raise UnreadableFileError(
        f"{path.name} n'est ni un classeur Excel ni un fichier texte (CSV). "
        "Exportez le tableau en .xlsx ou .csv."
    )


def _utf16_lines(text: Iterator[str], report: Report | None) -> Iterator[str]:
    for number, line in enumerate(text, start=1):
        if "\ufffd" in line and report is not None:
            report(_unreadable(number, "octets qui ne sont pas de l'UTF-16"))
        yield _repaired(number, line, report)


def _split(handle: BinaryIO) -> Iterator[bytes]:
    """The file's physical lines, line breaks kept (CR LF, CR or LF), read by chunks."""
    pending = b""
    while chunk := handle.read(_CHUNK):
        lines = (pending + chunk).splitlines(keepends=True)
        # The last piece may be cut (a line, or CR LF across two chunks): keep it for later.
        pending = lines.pop()
        yield from lines
    if pending:
        yield pending


def _byte_lines(handle: BinaryIO, report: Report | None) -> Iterator[str]:
    """Each line decoded on its own (see the module's docstring)."""
    by_encoding: dict[str, list[int]] = {"utf-8": [], "cp1252": []}
    bom = False
    for number, raw in enumerate(_split(handle), start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, bom = raw[len(codecs.BOM_UTF8) :], True
        if raw.isascii():
            yield raw.decode("ascii")
            continue
        try:
            line = raw.decode("utf-8")
            by_encoding["utf-8"].append(number)
        except UnicodeDecodeError:
            try:
                line = raw.decode("cp1252")
                by_encoding["cp1252"].append(number)
            except UnicodeDecodeError:
                line = raw.decode("cp1252", errors="replace")
                if report is not None:
                    report(_unreadable(number, "ni UTF-8 ni Windows-1252"))
        yield _repaired(number, line, report)
    if report is None:
        return
    utf8, cp1252 = len(by_encoding["utf-8"]) + bom, len(by_encoding["cp1252"])
    main, other = ("utf-8", "cp1252") if utf8 >= cp1252 else ("cp1252", "utf-8")
    for number in by_encoding[other]:
        report(
            Problem(
                number,
                None,
                None,
                "warning",
                f"encodage différent du reste du fichier ({_NAMES[other]} au lieu de "
                f"{_NAMES[main]}) ; la ligne est lue en {_NAMES[other]}, vérifiez ses accents. "
                "Pour éviter cet avertissement, enregistrez tout le fichier en CSV UTF-8.",
            )
        )


def _unreadable(number: int, encodings: str) -> Problem:
    return Problem(
        number,
        None,
        None,
        "warning",
        f"caractères illisibles ({encodings}), remplacés par « \ufffd » ; corrigez "
        "cette ligne dans le fichier (les noms et les dates peuvent être faux).",
    )


def repair_mojibake(text: str) -> str:
    """``text`` with each run of UTF-8 read as Windows-1252 (« Ã© ») turned back (« é »)."""
    return _MOJIBAKE.sub(_repair_run, text)


def _repair_run(match: re.Match[str]) -> str:
    run = match.group()
    try:
        fixed = bytes(_BYTE_OF[c] for c in run).decode("utf-8")
    except UnicodeDecodeError:
        return run
    return fixed if all(c in _PLAUSIBLE for c in fixed) else run


def _repaired(number: int, line: str, report: Report | None) -> str:
    if _MOJIBAKE.search(line) is None:
        return line
    fixed = repair_mojibake(line)
    if fixed != line and report is not None:
        # The word to show; the run alone when it spans a space (« Ã\u00a0 » for « à »).
        word = next(
            (w for w in _TOKEN.findall(line) if repair_mojibake(w) != w),
            next(m.group() for m in _MOJIBAKE.finditer(line) if _repair_run(m) != m.group()),
        )
        report(
            Problem(
                number,
                None,
                None,
                "warning",
                f"accents mal convertis, « {word} » lu « {repair_mojibake(word)} » ; vérifiez "
                "cette ligne, puis enregistrez le fichier en CSV UTF-8 depuis l'original.",
            )
        )
    return fixed
