"""Read a roster file as numbered rows of raw cells, whatever its format.

The format is decided by the file's content, not its extension (a ".xls"
that is really a CSV export is common). One file may offer several candidate
tables (the sheets of a workbook, or a CSV parsed with each usual separator):
the caller keeps the one whose header it recognises best.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from entretien_forms.errors import UnreadableFileError
from entretien_forms.roster.model import CellValue

Row = tuple[int, Sequence[CellValue]]  # (row number as the user sees it, cells)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Name of the stream holding an encrypted OOXML package (MS-OFFCRYPTO), in UTF-16.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_SEPARATORS = (";", ",", "\t", "|")
# A workbook whose parts inflate beyond this is a zip bomb, not a roster.
_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
_MAX_RATIO = 200
# What openpyxl and zipfile raise on a damaged or hand-made workbook: SyntaxError
# for bad XML, zlib.error for a bad deflate stream, RuntimeError for an encrypted
# or unsupported zip entry, TypeError/ValueError/LookupError for XML that does not
# follow the schema, ArithmeticError for an out-of-range date...
_BROKEN_WORKBOOK: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    SyntaxError,
    RuntimeError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    ArithmeticError,
    EOFError,
    OSError,
)


@dataclass(frozen=True)
class Table:
    """One candidate grid of cells: a sheet, or a CSV read with one separator."""

    name: str | None  # sheet name; None for CSV
    head: list[Row]  # the first rows, to find the header
    rows: Callable[[], Iterator[Row]]  # every row, from the top, each call anew
    description: str  # French, for messages: "feuille « Salariés »", "CSV séparé par « ; »"


@contextmanager
def open_tables(path: Path, *, head_rows: int, max_bytes: int) -> Iterator[list[Table]]:
    """The candidate tables of ``path``, readable until the block exits.

    A workbook stays open for the whole read: loading it (shared strings
    included) is half the cost of reading a large .xlsx, so it is done once.
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
        with _workbook(path) as workbook:
            yield _xlsx_tables(path, workbook, head_rows)
        return
    if start.startswith(_OLE_MAGIC):
        raise UnreadableFileError(_ole_message(path))
    if start.startswith(b"%PDF"):
        raise UnreadableFileError(
            f"{path.name} est un PDF. Exportez le tableau en Excel (.xlsx) ou CSV."
        )
    yield _csv_tables(path, head_rows)


def _ole_message(path: Path) -> str:
    if _ENCRYPTED_STREAM in path.read_bytes()[:1_000_000]:
        return (
            f"{path.name} est protégé par un mot de passe. Ouvrez-le dans Excel, retirez la "
            "protection (Fichier > Informations > Protéger le classeur) et enregistrez-le."
        )
    return (
        f"{path.name} est au format Excel 97-2003 (.xls), que nous ne lisons pas. Ouvrez-le dans "
        "Excel ou LibreOffice et enregistrez-le en .xlsx (ou en CSV)."
    )


def _xlsx_tables(path: Path, workbook: Any, head_rows: int) -> list[Table]:
    tables = []
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            continue
        head = list(islice(_sheet_rows(path, sheet), head_rows))
        rows = functools.partial(_sheet_rows, path, sheet)
        tables.append(Table(sheet.title, head, rows, f"feuille « {sheet.title} »"))
    return tables


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """The workbook in read-only mode, on a file handle closed on exit.

    Read-only mode keeps its file open until ``close()``; left to the garbage
    collector, that would lock the file on Windows. Opening a handle rather than
    the path also makes openpyxl read the content whatever the file's extension.
    """
    import openpyxl  # deferred: costs 0.2 s to import, and CSV rosters never need it

    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except _BROKEN_WORKBOOK as exc:
            raise _broken_workbook(path, exc) from exc
        try:
            yield workbook
        finally:
            workbook.close()


def _sheet_rows(path: Path, sheet: Any) -> Iterator[Row]:
    # Some exporters write a wrong sheet size; without this, read-only mode
    # would trust it and silently drop columns.
    sheet.reset_dimensions()
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_from_excel(c) for c in cells]
    except _BROKEN_WORKBOOK as exc:  # sheets are parsed lazily, row by row
        raise _broken_workbook(path, exc) from exc


def _broken_workbook(path: Path, exc: Exception) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path.name} : classeur Excel illisible ou endommagé ({type(exc).__name__}). "
        "Ouvrez-le dans Excel et enregistrez-le à nouveau, ou exportez-le en CSV."
    )


def _check_zip(path: Path) -> None:
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
    if total > _MAX_UNCOMPRESSED or (total / packed > _MAX_RATIO and total > 50_000_000):
        raise UnreadableFileError(
            f"{path.name} : le classeur se décompresse en {total // 1_000_000} Mo, c'est anormal "
            "(fichier piégé ou corrompu). Exportez à nouveau le tableau."
        )


def _from_excel(value: object) -> CellValue:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if value is None or isinstance(value, str | int | float | datetime):
        return value
    if isinstance(value, time | timedelta):
        return None  # a bare time of day or a duration is never one of our fields
    return str(value)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")  # Excel's "Texte Unicode" export
    if b"\x00" in raw[:4096]:
        raise UnreadableFileError(
            f"{name} n'est ni un classeur Excel ni un fichier texte (CSV). "
            "Exportez le tableau en .xlsx ou .csv."
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Excel in France writes "CSV (séparateur : point-virgule)" in Windows-1252.
        return raw.decode("cp1252", errors="replace")


def _csv_tables(path: Path, head_rows: int) -> list[Table]:
    text = _decode(path.read_bytes(), path.name)
    tables: list[Table] = []
    failure: UnreadableFileError | None = None
    for separator in _SEPARATORS:

        def rows(separator: str = separator) -> Iterator[Row]:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
            start = 1
            try:
                for cells in reader:
                    yield start, cells
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise UnreadableFileError(
                    f"{path.name}, ligne {start} : CSV mal formé ({exc}). Ouvrez-le dans Excel "
                    "et enregistrez-le à nouveau."
                ) from exc

        label = "tabulation" if separator == "\t" else f"« {separator} »"
        try:
            head = list(islice(rows(), head_rows))
        except UnreadableFileError as exc:  # this separator cannot be right; try the others
            failure = failure or exc
            continue
        tables.append(Table(None, head, rows, f"CSV séparé par {label}"))
    if not tables and failure is not None:
        raise failure
    return tables
