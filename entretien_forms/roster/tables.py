"""The tolerant table reader: any file HR gives us, as numbered rows of raw cells.

Shared by the roster and the HR sheets (``reports/sheets.py``: trainings,
absences, top-ups, history), so that both read the same files the same way:
the format decided by content (a ".xls" that is really a CSV export is
common), a header found under title rows, headers matched as people write
them, cells parsed with the same rules. One file may offer several candidate
tables (the sheets of a workbook, or a CSV parsed with each usual separator):
the caller keeps the one whose header it recognises best.

Reading streams: a workbook's rows are parsed as they are read
(``_xlsx.py``) and a CSV is decoded one line at a time (``_csv.py``), so the
memory a read needs does not grow with the file; a file too big to be a list
of employees is refused before it is read (``max_bytes``, and the inflated
size of a workbook).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from entretien_forms.errors import UnreadableFileError
from entretien_forms.roster import _csv, _xlsx
from entretien_forms.roster._headers import (
    HEADER_SEARCH_ROWS,
    MIN_HEADER_FIELDS,
    SYNONYMS,
    loose_key,
    match_field,
)
from entretien_forms.roster._table import Report, Row, Table
from entretien_forms.roster._values import as_text, is_blank, parse_date
from entretien_forms.roster.model import CellValue

__all__ = [
    "HEADER_SEARCH_ROWS",
    "MIN_HEADER_FIELDS",
    "SYNONYMS",
    "CellValue",
    "Report",
    "Row",
    "Table",
    "as_text",
    "is_blank",
    "loose_key",
    "match_field",
    "open_tables",
    "parse_date",
]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Name of the stream holding an encrypted OOXML package (MS-OFFCRYPTO), in UTF-16.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@contextmanager
def open_tables(
    path: Path, *, head_rows: int = HEADER_SEARCH_ROWS, max_bytes: int
) -> Iterator[list[Table]]:
    """The candidate tables of ``path``, readable until the block exits.

    A workbook stays open for the whole read: its shared strings and styles are
    loaded once, then each sheet is parsed as its rows are asked for.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            start = handle.read(8)
    except FileNotFoundError:
        raise UnreadableFileError(f"{path} : fichier introuvable. Vérifiez le chemin.") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path} est un dossier, pas un fichier Excel ou CSV.") from None
    except OSError as exc:
        raise UnreadableFileError(f"{path.name} : lecture impossible ({exc.strerror}).") from exc
    if size == 0:
        raise UnreadableFileError(f"{path.name} : le fichier est vide.")
    if size > max_bytes:
        raise UnreadableFileError(
            f"{path.name} : fichier trop volumineux ({size // 1_000_000} Mo, limite "
            f"{max_bytes // 1_000_000} Mo). Exportez seulement le tableau utile, ou "
            "relevez [lecture] taille_max_mo dans entretien.toml."
        )
    if start.startswith(_ZIP_MAGIC):
        _check_zip(path)
        with _xlsx.Workbook.open(path) as workbook:
            yield workbook.tables(head_rows)
        return
    if start.startswith(_OLE_MAGIC):
        raise UnreadableFileError(_ole_message(path))
    if start.startswith(b"%PDF"):
        raise UnreadableFileError(
            f"{path.name} est un PDF. Exportez le tableau en Excel (.xlsx) ou CSV."
        )
    yield _csv.tables(path, head_rows)


def _ole_message(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(1_000_000)
    if _ENCRYPTED_STREAM in start:
        return (
            f"{path.name} est protégé par un mot de passe. Ouvrez-le dans Excel, retirez la "
            "protection (Fichier > Informations > Protéger le classeur) et enregistrez-le."
        )
    return (
        f"{path.name} est au format Excel 97-2003 (.xls), que nous ne lisons pas. Ouvrez-le dans "
        "Excel ou LibreOffice et enregistrez-le en .xlsx (ou en CSV)."
    )


def _check_zip(path: Path) -> None:
    """Refuse what is not a workbook, and a workbook that would inflate beyond reason.

    The sizes checked are those the archive declares: ``zipfile`` never
    inflates an entry beyond its declared size, so they bound the work.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        # ValueError: an entry name flagged UTF-8 that is not (UnicodeDecodeError)
        raise UnreadableFileError(
            f"{path.name} : fichier compressé endommagé. Enregistrez-le à nouveau depuis Excel."
        ) from exc
    if "xl/workbook.xml" not in names:
        kind = (
            "OpenDocument (.ods)" if "content.xml" in names else "un document qui n'est pas Excel"
        )
        raise UnreadableFileError(
            f"{path.name} est {kind}. Enregistrez le tableau au format Excel (.xlsx) ou CSV."
        )
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries) or 1
    if total > _xlsx.MAX_INFLATED or (total / packed > _xlsx.MAX_RATIO and total > 50_000_000):
        raise UnreadableFileError(
            f"{path.name} : le classeur se décompresse en {total // 1_000_000} Mo, c'est anormal "
            "(fichier piégé ou corrompu). Exportez à nouveau le tableau."
        )
