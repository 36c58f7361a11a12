"""The rows of the big sheets, written as SpreadsheetML text and spliced into openpyxl's package.

openpyxl builds a ``Cell`` object per value, keeps every one of them until the
workbook is saved, then serialises each through lxml element by element: about
20 µs a cell on an office PC, 6 s and 300 MB for 5,000 employees' workbooks.
Its write-only mode keeps the memory down but not the time (the same cell
writer), and XlsxWriter, tried in the same benchmark, is barely faster
(``bench/bench_reports.py`` prints all three). Yet the big tables (requests,
employees, skills) are plain values in a handful of styles: each row is
rendered here to text at once, ten times faster, and kept as text.

openpyxl still writes everything else (styles, headers, conditional formats,
charts, frozen panes, print setup, the small sheets); ``save_spliced`` saves its
package and puts these rows into their sheets' ``sheetData``, in row order.
The cells are those openpyxl would write: inline strings, dates as serial numbers
with a date style, styles registered in the workbook's own style table.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import IO

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from entretien_forms.sanitize import FORMULA_STARTS, XML_ILLEGAL

_MAX_TEXT = 32_767  # characters Excel keeps in a cell
_EPOCH = date(1899, 12, 30)  # Excel's day 0 in the 1900 date system, leap-year bug included
_ROW = re.compile(rb'<row r="(\d+)"')


@dataclass(frozen=True)
class Look:
    """The style attributes a streamed cell may carry; ``None`` leaves the default."""

    number_format: str | None = None
    fill: PatternFill | None = None
    font: Font | None = None
    alignment: Alignment | None = None


def text_xml(value: str) -> str:
    """An inline string cell's content: neutralised, legal XML, within Excel's limit.

    ``sanitize.safe_cell``'s neutralisation, inlined: this runs for every text cell.
    """
    if not value.isprintable():  # a fast C test; rare texts (line breaks, controls) go on
        value = XML_ILLEGAL.sub("", value)
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if len(value) > _MAX_TEXT:
        value = value[: _MAX_TEXT - 1] + "…"
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _cell_xml(ref: str, value: object, s: str) -> str:
    """A cell of any type; ``s`` is its style attribute (`` s="3"``) or empty."""
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr">{text_xml(value)}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s} t="n"><v>{value}</v></c>'
    if isinstance(value, float | Decimal):
        number = float(value)
        if math.isfinite(number):
            return f'<c r="{ref}"{s} t="n"><v>{number!r}</v></c>'
        return f'<c r="{ref}"{s} t="inlineStr">{text_xml(str(value))}</c>'
    if isinstance(value, datetime):
        delta = value - datetime(1899, 12, 30, tzinfo=value.tzinfo)
        serial = delta.days + delta.seconds / 86_400
        return f'<c r="{ref}"{s} t="n"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}"{s} t="n"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return f'<c r="{ref}"{s} t="n"><v>{seconds / 86_400!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr">{text_xml(str(value))}</c>'


class StreamedRows:
    """Consecutive rows of one sheet, from ``first_row`` down, rendered as they come.

    Everything openpyxl writes in the same sheet (a header above, totals below)
    must stay outside these rows; ``save_spliced`` checks it.
    """

    def __init__(self, sheet: Worksheet, first_row: int) -> None:
        self.sheet = sheet
        self.first_row = first_row
        self.next_row = first_row
        self.max_column = 0
        self._chunks: list[str] = []
        self._letters: list[str] = [""]  # by column number, from 1
        self._texts: dict[str, str] = {}
        self._styles: dict[Look, int] = {}

    @property
    def last_row(self) -> int:
        """The last row written (``first_row - 1`` while empty)."""
        return self.next_row - 1

    def style(self, look: Look) -> int:
        """The index of ``look`` in the workbook's cell styles, registered once."""
        found = self._styles.get(look)
        if found is None:
            probe = Cell(self.sheet)
            if look.number_format is not None:
                probe.number_format = look.number_format
            if look.fill is not None:
                probe.fill = look.fill
            if look.font is not None:
                probe.font = look.font
            if look.alignment is not None:
                probe.alignment = look.alignment
            found = self._styles[look] = probe.style_id
        return found

    def append(
        self,
        values: Sequence[object] | Mapping[int, object],
        styles: Mapping[int, int] | None = None,
        *,
        height: float | None = None,
    ) -> int:
        """Write one row; ``values`` by position or as column number (from 1) → value.

        ``styles`` maps a column number to a style index. Empty values are
        skipped: a column's format for them belongs to its column dimension.
        Returns the row number. The common types take a short path, and the
        texts met again (teams, managers, statuses) are escaped once.
        """
        row = self.next_row
        number = str(row)
        items = values.items() if isinstance(values, Mapping) else enumerate(values, start=1)
        styles = styles or {}
        letters, texts = self._letters, self._texts
        extra = f' ht="{height}" customHeight="1"' if height else ""
        parts = [f'<row r="{number}"{extra}>']
        last = 0
        for column, value in items:
            if value is None:
                continue
            if column >= len(letters):
                self._grow(column)
            ref = letters[column] + number
            style = styles.get(column)
            s = f' s="{style}"' if style else ""
            if type(value) is str:
                xml = texts.get(value)
                if xml is None:
                    xml = text_xml(value)
                    if len(texts) < 50_000:
                        texts[value] = xml
                parts.append(f'<c r="{ref}"{s} t="inlineStr">{xml}</c>')
            elif type(value) is int:
                parts.append(f'<c r="{ref}"{s} t="n"><v>{value}</v></c>')
            elif type(value) is date:
                parts.append(f'<c r="{ref}"{s} t="n"><v>{(value - _EPOCH).days}</v></c>')
            else:
                parts.append(_cell_xml(ref, value, s))
            if column > last:
                last = column
        if last > self.max_column:
            self.max_column = last
        parts.append("</row>")
        self._chunks.append("".join(parts))
        self.next_row += 1
        return row

    def _grow(self, column: int) -> None:
        while len(self._letters) <= column:
            self._letters.append(get_column_letter(len(self._letters)))

    def xml(self) -> Iterable[bytes]:
        """The rows' SpreadsheetML, in slices of a few hundred rows."""
        for start in range(0, len(self._chunks), 500):
            yield "".join(self._chunks[start : start + 500]).encode()


def save_spliced(
    workbook: Workbook, streams: Sequence[StreamedRows], target: Path | IO[bytes]
) -> None:
    """Save ``workbook`` to ``target`` with each stream's rows inside its sheet.

    openpyxl writes the package to memory (small: the big rows are not in it),
    then every part is copied to ``target``, the sheets with streamed rows
    getting them inserted at their place among openpyxl's own rows.
    """
    package = BytesIO()
    # Stored, not compressed: each part is compressed once, on its way to ``target``.
    with zipfile.ZipFile(package, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    by_path: dict[str, list[StreamedRows]] = {}
    for stream in streams:
        if stream.next_row > stream.first_row:
            by_path.setdefault(stream.sheet.path.lstrip("/"), []).append(stream)
    with (
        zipfile.ZipFile(package) as source,
        # The big sheets at the fastest level: a third of the default's time, 15 % more bytes.
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=1) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            sheet_streams = by_path.get(info.filename)
            if not sheet_streams:
                out.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=6)
                continue
            with out.open(info.filename, "w", force_zip64=True) as part:
                for chunk in _spliced(data, sheet_streams):
                    part.write(chunk)


def _spliced(sheet_xml: bytes, streams: Sequence[StreamedRows]) -> Iterable[bytes]:
    """openpyxl's sheet XML with the streamed rows in row order and the dimension widened."""
    streams = sorted(streams, key=lambda s: s.first_row)
    if b"<sheetData/>" in sheet_xml or b"<sheetData />" in sheet_xml:
        sheet_xml = re.sub(rb"<sheetData ?/>", b"<sheetData></sheetData>", sheet_xml, count=1)
    open_end = sheet_xml.index(b"<sheetData>") + len(b"<sheetData>")
    close = sheet_xml.index(b"</sheetData>")
    own_rows = [(int(m.group(1)), m.start()) for m in _ROW.finditer(sheet_xml, open_end, close)]
    for stream in streams:
        clash = [r for r, _ in own_rows if stream.first_row <= r <= stream.last_row]
        if clash:
            raise ValueError(
                f"{stream.sheet.title!r}: row {clash[0]} is both streamed and written by openpyxl"
            )
    head = _widened(sheet_xml[:open_end], streams)
    yield head
    position = open_end
    for stream in streams:
        insert = next((at for r, at in own_rows if r > stream.last_row), close)
        yield sheet_xml[position:insert]
        yield from stream.xml()
        position = insert
    yield sheet_xml[position:]


def _widened(head: bytes, streams: Sequence[StreamedRows]) -> bytes:
    """The ``<dimension>`` reference stretched over the streamed rows and columns."""
    match = re.search(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', head)
    if match is None:
        return head
    sheet = streams[0].sheet
    last_row = max(sheet.max_row, *(s.last_row for s in streams))
    last_column = max(sheet.max_column, *(s.max_column for s in streams))
    ref = f"A1:{get_column_letter(max(1, last_column))}{last_row}".encode()
    return head[: match.start()] + b'<dimension ref="' + ref + b'"' + head[match.end() :]
