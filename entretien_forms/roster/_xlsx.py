"""Stream the cell values of an .xlsx workbook, one row at a time.

Why not openpyxl: in read-only mode it spends about 8 µs a cell in Python (a
5,000-employee export took 0.6 s, 200,000 rows 27 s on the 2-core reference
machine), where this reader, on the same expat parser from the standard
library, takes a fifth of that. Why not python-calamine (Rust, faster still):
it loads a whole sheet into one dense grid sized by the farthest cell, so a
1.5 KB file with a value in A1 and one in XFD100000 asks for 52 GB and the
process aborts (seen with 0.9.1): no exception to catch, on a file anyone can
send. ``bench/README.md`` has the figures.

What is read is what openpyxl's ``load_workbook(read_only=True,
data_only=True)`` gives, which the roster relied on until now: the visible
worksheets in workbook order; each row padded with ``None`` from column A to
its last cell; the cached value of a formula, never the formula; numbers as
``int`` when written without a decimal point or exponent, else ``float``;
numbers styled as dates as ``datetime`` (1900 or 1904 calendar), as ``None``
for a bare time of day or a duration; booleans as "oui"/"non"; shared and
inline strings with their rich-text runs joined and phonetic guides left out.
Rows out of order are dropped, as openpyxl does. Blank rows are not given at
all (openpyxl gives them as empty tuples): every caller skips them, and a
file with a row numbered 1,000,000,000 must not make us count up to it.

Untrusted input: a document type declaration (the way to entity expansion
attacks) makes the file unreadable; the sizes of the parts are checked before
they are read (``MAX_*``), and the cells and rows a sheet may hold are
counted as they come, so a read is bounded in time and memory whatever the
file holds.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from xml.parsers import expat

from entretien_forms.errors import (
    UnreadableFileError,
    UnsafeXmlError,
    WorkbookPartTooLargeError,
)
from entretien_forms.roster._table import MAX_ROWS, Report, Row, Table, french_number
from entretien_forms.roster.model import CellValue, Problem

# Whole package, inflated: beyond it a workbook is refused before anything is read.
MAX_INFLATED = 600_000_000
MAX_RATIO = 200  # inflated / packed, for packages over 50 MB inflated (zip bombs)
# One sheet's XML, inflated: a 200,000-employee export with 17 columns written by
# openpyxl (inline strings, the largest form) is 152 MB.
MAX_SHEET_XML = 400_000_000
# Cells parsed in one sheet (blank ones included): 200,000 × 17 columns is 3.4 million;
# six million bound a hostile sheet to about 20 s.
MAX_CELLS = 6_000_000
# Columns kept in a row; cells beyond are dropped with one warning (a roster or an
# HR sheet has a few dozen). Bounds the padding of a row with a cell far to the right.
MAX_COLUMNS = 1_000
# The shared strings are held in memory for the whole read.
MAX_SHARED_XML = 150_000_000
MAX_SHARED_STRINGS = 2_000_000
# The small parts (workbook, relationships, styles) are parsed whole.
MAX_SMALL_XML = 30_000_000
_CHUNK = 1 << 16

_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # Strict OOXML
)
_DOC_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _names(local: str) -> frozenset[str]:
    """An element's names as expat reports them with namespaces ("<uri> <local>")."""
    return frozenset(f"{ns} {local}" for ns in _MAIN)


_T, _RPH, _SI = (_names(n) for n in ("t", "rPh", "si"))  # the shared strings
_SHEET, _WORKBOOK_PR, _NUM_FMT, _XF, _CELL_XFS = (
    _names(n) for n in ("sheet", "workbookPr", "numFmt", "xf", "cellXfs")
)
_REL_ID = frozenset(f"{ns} id" for ns in _DOC_RELS)
_RELATIONSHIP = f"{_PACKAGE_RELS} Relationship"

# What openpyxl and zipfile raise on a damaged or hand-made package: BadZipFile
# (bad CRC), zlib.error (bad deflate stream), NotImplementedError (another
# compression), RuntimeError (an encrypted entry), KeyError (a missing part),
# IndexError (a shared string that does not exist), ValueError (a number or a
# reference that is not one), OverflowError (a date beyond year 9999)...
_BROKEN: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    expat.ExpatError,
    NotImplementedError,
    RuntimeError,
    LookupError,
    ValueError,
    ArithmeticError,
    EOFError,
    OSError,
)

# Built-in number formats that are dates or times (ECMA-376 18.8.30); [h]:mm:ss (46)
# and the custom ones with [h], [m] or [s] are durations.
_BUILTIN_DATES = frozenset([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47])
_BUILTIN_DURATIONS = frozenset([46])
_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')  # quoted text, [$-40C], [Red]
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION_CODE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)
_WINDOWS_EPOCH = datetime(1899, 12, 30)
_MAC_EPOCH = datetime(1904, 1, 1)
_COLUMN_LETTERS = re.compile(r"\$?([A-Za-z]{1,3})\$?\d*")
_ROW_NUMBER = re.compile(r"\d+(?:\.0*)?")


def _parser(*, namespaces: bool = True) -> Any:
    parser = expat.ParserCreate(namespace_separator=" ") if namespaces else expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> None:
        raise UnsafeXmlError("déclaration de type de document")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _elements(data: bytes) -> list[tuple[str, dict[str, str], str]]:
    """Every element of a small part: (name, attributes, parent's name)."""
    found: list[tuple[str, dict[str, str], str]] = []
    stack = [""]
    parser = _parser()

    def start(name: str, attributes: dict[str, str]) -> None:
        found.append((name, attributes, stack[-1]))
        stack.append(name)

    def end(_: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return found


def _prefix(root: str, attributes: dict[str, str]) -> str:
    """The prefix ("" or "x:") a sheet's root element gives the SpreadsheetML namespace.

    The sheets, the big parts, are parsed without expat's namespace processing
    (it costs a tenth of the read) and their elements recognised by the prefix
    their root declares. A document that binds that prefix to another namespace
    deeper down is not one any spreadsheet program writes; it is read as if it
    did not.
    """
    prefix = root.rpartition(":")[0]
    declared = attributes.get(f"xmlns:{prefix}" if prefix else "xmlns")
    if declared not in _MAIN:
        raise ValueError(f"élément racine « {root} » hors de l'espace de noms SpreadsheetML")
    return f"{prefix}:" if prefix else ""


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date or a time (openpyxl's rule)."""
    code = _LITERALS.sub("", code.split(";")[0])
    return _DATE_CODE.search(code) is not None


def is_duration_format(code: str) -> bool:
    return _DURATION_CODE.search(code.split(";")[0]) is not None


def _from_serial(value: float, epoch: datetime) -> datetime | None:
    """An Excel date serial as openpyxl turns it into a datetime; None for a time of day."""
    day, fraction = divmod(value, 1)
    diff = timedelta(milliseconds=round(fraction * 86_400_000))
    if 0 <= value < 1 and diff.days == 0:
        return None  # a bare time of day is never one of our fields
    if 0 < value < 60 and epoch == _WINDOWS_EPOCH:
        day += 1  # Lotus 1-2-3's 29/02/1900, kept by Excel
    return epoch + timedelta(days=day) + diff


_COLUMNS: dict[str, int] = {}


def _column(reference: str) -> int:
    """1-based column of a cell reference ("AB12" → 28)."""
    letters = reference.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None:
        match = _COLUMN_LETTERS.fullmatch(reference)
        if match is None:
            raise ValueError(f"référence de cellule « {reference} »")
        column = 0
        for letter in match[1].upper():
            column = column * 26 + ord(letter) - 64
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = column
    return column


class Workbook:
    """An .xlsx package open for reading: its sheets, shared strings and date styles."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self.archive = archive
        relationships = self._relationships("xl/_rels/workbook.xml.rels", "xl")
        self.epoch = _WINDOWS_EPOCH
        self.sheets: list[tuple[str, str]] = []  # (title, part) of each visible worksheet
        for name, attributes, parent in _elements(self._small("xl/workbook.xml")):
            if name in _WORKBOOK_PR and attributes.get("date1904") in ("1", "true"):
                self.epoch = _MAC_EPOCH
            elif name in _SHEET and parent.endswith(" sheets"):
                kind, part = next(
                    (relationships[v] for k, v in attributes.items() if k in _REL_ID),
                    ("", ""),
                )
                visible = attributes.get("state", "visible") == "visible"
                if kind.endswith("/worksheet") and visible:
                    self.sheets.append((attributes.get("name", ""), part))
        parts = {kind.rsplit("/", 1)[-1]: part for kind, part in relationships.values()}
        self.dates, self.durations = self._styles(parts.get("styles", "xl/styles.xml"))
        self.strings = self._shared_strings(parts.get("sharedStrings", "xl/sharedStrings.xml"))

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Workbook]:
        try:
            archive = zipfile.ZipFile(path)
        except _BROKEN as exc:
            raise _broken(path, exc) from exc
        try:
            try:
                workbook = cls(path, archive)
            except WorkbookPartTooLargeError as exc:
                raise UnreadableFileError(f"{path.name} : {exc}") from None
            except _BROKEN as exc:
                raise _broken(path, exc) from exc
            yield workbook
        finally:
            archive.close()

    def tables(self, head_rows: int) -> list[Table]:
        found = []
        for title, part in self.sheets:

            def rows(report: Report | None, title: str = title, part: str = part) -> Iterator[Row]:
                return self.rows(title, part, report)

            # Head: the rows numbered up to head_rows, as openpyxl's first head_rows rows.
            head = [row for row in islice(rows(None), head_rows) if row[0] <= head_rows]
            found.append(Table(title, head, rows, f"feuille « {title} »"))
        return found

    def _size(self, part: str, limit: int, what: str) -> None:
        if self.archive.getinfo(part).file_size > limit:
            raise WorkbookPartTooLargeError(
                f"{what} fait plus de {limit // 1_000_000} Mo une fois décompressée, bien "
                "au-delà d'une liste de salariés. Exportez seulement le tableau utile."
            )

    def _small(self, part: str) -> bytes:
        self._size(part, MAX_SMALL_XML, f"la partie {part} du classeur")
        return self.archive.read(part)

    def _relationships(self, part: str, folder: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, part name inside the package)."""
        if part not in self.archive.namelist():
            return {}
        found = {}
        for name, attributes, _ in _elements(self._small(part)):
            if name == _RELATIONSHIP and attributes.get("TargetMode") != "External":
                target = attributes.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
                found[attributes.get("Id", "")] = (
                    attributes.get("Type", ""),
                    posixpath.normpath(path),
                )
        return found

    def _styles(self, part: str) -> tuple[frozenset[int], frozenset[int]]:
        """Indexes of the cell styles showing a date or time, and of those showing a duration."""
        if part not in self.archive.namelist():
            return frozenset(), frozenset()
        codes: dict[int, str] = {}
        dates: set[int] = set()
        durations: set[int] = set()
        index = 0
        for name, attributes, parent in _elements(self._small(part)):
            if name in _NUM_FMT:
                codes[int(attributes.get("numFmtId", "0"))] = attributes.get("formatCode", "")
            elif name in _XF and parent in _CELL_XFS:
                number = int(attributes.get("numFmtId", "0"))
                code = codes.get(number)
                if code is None:
                    date, duration = number in _BUILTIN_DATES, number in _BUILTIN_DURATIONS
                else:
                    date, duration = is_date_format(code), is_duration_format(code)
                if date:
                    dates.add(index)
                if duration:
                    durations.add(index)
                index += 1
        return frozenset(dates), frozenset(durations)

    def _shared_strings(self, part: str) -> list[str]:
        if part not in self.archive.namelist():
            return []
        self._size(part, MAX_SHARED_XML, "la table des textes du classeur")
        strings: list[str] = []
        pieces: list[str] = []
        state = {"phonetic": 0, "text": False}
        parser = _parser()

        def start(name: str, _: object) -> None:
            if name in _T:
                state["text"] = not state["phonetic"]
            elif name in _RPH:
                state["phonetic"] += 1
            elif name in _SI:
                pieces.clear()

        def end(name: str) -> None:
            if name in _T:
                state["text"] = False
            elif name in _RPH:
                state["phonetic"] -= 1
            elif name in _SI:
                if len(strings) >= MAX_SHARED_STRINGS:
                    raise WorkbookPartTooLargeError(
                        "la table des textes du classeur compte plus de "
                        f"{french_number(MAX_SHARED_STRINGS)} textes, bien au-delà d'une liste "
                        "de salariés. Exportez seulement le tableau utile."
                    )
                strings.append("".join(pieces).replace("x005F_", ""))

        def text(data: str) -> None:
            if state["text"]:
                pieces.append(data)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        with self.archive.open(part) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
        return strings

    def rows(self, title: str, part: str, report: Report | None) -> Iterator[Row]:
        try:
            self._size(part, MAX_SHEET_XML, f"la feuille « {title} »")
            yield from _sheet_rows(self, title, part, report)
        except WorkbookPartTooLargeError as exc:
            raise UnreadableFileError(f"{self.path.name} : {exc}") from None
        except _BROKEN as exc:
            raise _broken(self.path, exc) from exc


def _sheet_rows(workbook: Workbook, title: str, part: str, report: Report | None) -> Iterator[Row]:
    """One pass over a sheet: the expat handlers take cells in, complete rows come out.

    Expat pushes: each chunk fed to the parser completes some rows, collected in
    ``done`` and handed out before the next chunk is read, so a row is held only
    while it is read. The handlers are closures over local state, not methods:
    they run for every element of the sheet, and this halves their cost.
    """
    strings, dates, durations, epoch = (
        workbook.strings,
        workbook.dates,
        workbook.durations,
        workbook.epoch,
    )
    serials: dict[int | float, CellValue] = {}  # date cells by serial: dates repeat
    done: list[Row] = []
    cells: list[CellValue] = []
    row = 0  # number of the row being read
    next_row = 1  # rows numbered below it come too late and are dropped, as openpyxl does
    column = 0
    kind: str | None = None
    style = 0
    pieces: list[str] = []
    text = False  # inside a cell's <v>, or an inline string's <t>
    in_cell = in_inline = False
    phonetic = 0
    cell_count = row_count = 0
    wide_row: int | None = None
    # Element names with the root's prefix, set by ``root``; nothing matches before.
    c_name = v_name = t_name = is_name = row_name = rph_name = "\0"

    def root(name: str, attributes: dict[str, str]) -> None:
        nonlocal c_name, v_name, t_name, is_name, row_name, rph_name
        prefix = _prefix(name, attributes)
        c_name, v_name, t_name, is_name, row_name, rph_name = (
            prefix + local for local in ("c", "v", "t", "is", "row", "rPh")
        )
        parser.StartElementHandler = start

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal column, kind, style, text, in_cell, in_inline, phonetic, cell_count
        nonlocal row, row_count, cells
        if name == c_name:
            cell_count += 1
            if cell_count > MAX_CELLS:
                raise WorkbookPartTooLargeError(
                    f"la feuille « {title} » contient plus de {MAX_CELLS // 1_000_000} "
                    "millions de cellules, bien au-delà d'une liste de salariés. Exportez "
                    "seulement les lignes et les colonnes utiles."
                )
            reference = attributes.get("r")
            if reference is None:
                column += 1
            else:
                found = _COLUMNS.get(reference.rstrip("0123456789"))
                column = _column(reference) if found is None else found
            kind = attributes.get("t")
            number = attributes.get("s")
            style = int(number) if number else 0
            pieces.clear()
            in_cell = True
        elif name == is_name:
            in_inline = in_cell
        elif name == t_name:
            text = in_inline and not phonetic
        elif name == v_name:
            text = in_cell and kind != "inlineStr"
        elif name == row_name:
            row_count += 1
            if row_count > MAX_ROWS:
                raise WorkbookPartTooLargeError(
                    f"la feuille « {title} » a plus de lignes qu'Excel n'en permet "
                    f"({french_number(MAX_ROWS)}) : ce n'est pas un classeur enregistré par Excel. "
                    "Exportez à nouveau le tableau."
                )
            number = attributes.get("r")
            if number is None:
                row += 1
            elif _ROW_NUMBER.fullmatch(number):
                row = int(float(number))
            else:
                raise ValueError(f"numéro de ligne « {number} »")
            column = 0
            cells = []
        elif name == rph_name:
            phonetic += 1

    def end(name: str) -> None:
        nonlocal text, in_cell, in_inline, phonetic, next_row, wide_row
        if name == c_name:
            in_cell = in_inline = text = False
            # The cell's value, as openpyxl's read-only, data-only mode gives it (inlined:
            # this runs for every cell).
            value: CellValue = None
            if kind == "inlineStr":
                value = "".join(pieces) if pieces else None
            elif pieces:
                content = pieces[0] if len(pieces) == 1 else "".join(pieces)
                if kind is None or kind == "n":
                    if "." in content or "e" in content or "E" in content:
                        value = float(content)
                    else:
                        value = int(content)
                    if style in dates:
                        value = None if style in durations else date_of(value)
                elif kind == "s":
                    value = strings[int(content)]
                elif kind == "b":
                    value = "oui" if int(content) else "non"
                elif kind == "d":
                    try:
                        value = datetime.fromisoformat(content.removesuffix("Z"))
                    except ValueError:
                        value = content
                else:  # "str" (a formula's text result), "e" (an error such as #N/A)
                    value = content
            width = len(cells)
            if column == width + 1:
                cells.append(value)
            elif column > MAX_COLUMNS:
                if value is not None and wide_row is None:
                    wide_row = row
            elif column > width:
                cells.extend([None] * (column - width - 1))
                cells.append(value)
            else:
                cells[column - 1] = value  # a cell written twice: the last one wins
        elif name in (t_name, v_name):
            text = False
        elif name == is_name:
            in_inline = False
        elif name == row_name:
            if row >= next_row:
                next_row = row + 1
                if cells:
                    done.append((row, cells))
        elif name == rph_name:
            phonetic -= 1

    def data(content: str) -> None:
        if text:
            pieces.append(content)

    def date_of(serial: int | float) -> CellValue:
        """A number styled as a date (None for a bare time of day); dates repeat: cached."""
        if serial in serials:
            return serials[serial]
        try:
            value: CellValue = _from_serial(serial, epoch)
        except OverflowError:
            value = serial  # beyond year 9999: the field's reader says it is no date
        if len(serials) < 100_000:
            serials[serial] = value
        return value

    parser = _parser(namespaces=False)
    parser.StartElementHandler = root
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    with workbook.archive.open(part) as source:
        while chunk := source.read(_CHUNK):
            parser.Parse(chunk, False)
            if done:
                yield from done
                done.clear()
    parser.Parse(b"", True)
    yield from done
    if wide_row is not None and report is not None:
        report(
            Problem(
                wide_row,
                None,
                None,
                "warning",
                f"cellules au-delà de la colonne {MAX_COLUMNS} ignorées (la première sur cette "
                "ligne) ; placez le tableau dans les premières colonnes de la feuille.",
            )
        )


def _broken(path: Path, exc: Exception) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path.name} : classeur Excel illisible ou endommagé ({type(exc).__name__}). "
        "Ouvrez-le dans Excel et enregistrez-le à nouveau, ou exportez-le en CSV."
    )
