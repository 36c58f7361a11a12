"""What every workbook we write shares: styles, formats, safe cells and an atomic save.

Both workbooks are built with openpyxl in normal mode for what needs it
(styles, conditional formatting, charts, auto-filters, the small sheets),
while the big tables' rows are streamed as text beside it (``_rows.py``) and
spliced in at save time. Every cell written from user text goes through
``sanitize.safe_cell``, so an answer typed as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from entretien_forms.errors import EntretienError
from entretien_forms.reports._rows import Look, StreamedRows, save_spliced
from entretien_forms.sanitize import safe_cell

log = logging.getLogger(__name__)

DATE_FORMAT = "DD/MM/YYYY"
EURO_FORMAT = '#,##0 "€";-#,##0 "€"'
PERCENT_FORMAT = "0%"
HEADER_FILL = PatternFill("solid", start_color="1F3864", end_color="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F3864")
THIN = Side(style="thin", color="BFBFBF")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Status colours, the same in every sheet: green on time, amber soon, red late.
GREEN = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
AMBER = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
RED = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
GREY = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
# « À vérifier »: not late, not fine; a fact is missing that HR must supply.
BLUE = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


class Report:
    """A workbook being built: openpyxl's sheets, and the big tables' rows streamed beside them.

    Read like an openpyxl workbook (``report["Synthèse"]``, ``sheetnames``) for
    what openpyxl holds; the streamed rows exist only in the saved file.
    """

    def __init__(self, title: str) -> None:
        self.workbook = new_workbook()
        self.workbook.properties.title = title
        self.workbook.properties.creator = "entretien-forms"
        self.streams: list[StreamedRows] = []

    def __getitem__(self, title: str) -> Worksheet:
        return self.workbook[title]

    @property
    def sheetnames(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def create_sheet(self, title: str) -> Worksheet:
        return self.workbook.create_sheet(title)

    def stream(self, sheet: Worksheet, first_row: int) -> StreamedRows:
        """Rows of ``sheet`` from ``first_row`` down, written without openpyxl cells."""
        rows = StreamedRows(sheet, first_row)
        self.streams.append(rows)
        return rows

    def save(self, target: Path | IO[bytes]) -> None:
        save_spliced(self.workbook, self.streams, target)


def table_sheet(
    report: Report,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: Sequence[float] | None = None,
    formats: Mapping[int, str | Look] | None = None,
    wrap: Sequence[int] = (),
) -> Worksheet:
    """A sheet holding one table: styled header, frozen, filtered, printed landscape.

    ``formats`` maps a 0-based column to a number format (dates, euros) or a
    whole look; the column's empty cells get it too, for what HR types later.
    Long texts in the ``wrap`` columns wrap, their row made tall enough (LibreOffice
    keeps the height a file gives instead of fitting wrapped text). Text cells are
    neutralised against formula injection.
    """
    sheet = report.create_sheet(title)
    column_widths = [
        widths[n] if widths and n < len(widths) else max(10, min(40, len(header) + 4))
        for n, header in enumerate(headers)
    ]
    for n, (header, width) in enumerate(zip(headers, column_widths, strict=True), start=1):
        cell = sheet.cell(1, n, safe_cell(header))
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, GRID
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(n)].width = width
    stream = report.stream(sheet, 2)
    looks = {
        n + 1: look if isinstance(look, Look) else Look(number_format=look)
        for n, look in (formats or {}).items()
    }
    for column, look in looks.items():
        dimension = sheet.column_dimensions[get_column_letter(column)]
        if look.number_format:
            dimension.number_format = look.number_format
    styles = {column: stream.style(look) for column, look in looks.items()}
    wrapped = {
        n + 1: stream.style(dataclasses.replace(looks.get(n + 1, Look()), alignment=_WRAP))
        for n in wrap
    }
    lines = max(lines_of(h, w) for h, w in zip(headers, column_widths, strict=True))
    if lines > 1:
        sheet.row_dimensions[1].height = LINE_HEIGHT * (lines + 1)  # bold, and a margin
    for row in rows:
        cell_styles = styles
        height = None
        if wrap:
            tallest = 1
            for n in wrap:
                needed = lines_of(row[n], column_widths[n])
                if needed > 1:
                    if cell_styles is styles:
                        cell_styles = dict(styles)
                    cell_styles[n + 1] = wrapped[n + 1]
                    tallest = max(tallest, needed)
            if tallest > 1:
                height = min(_MAX_ROW_HEIGHT, LINE_HEIGHT * tallest)
        stream.append(row, cell_styles, height=height)
    count = stream.last_row - 1
    sheet.freeze_panes = "A2"
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    setup_print(sheet)
    return sheet


# Bottom-aligned like every other cell: aligning all of them to the top would
# cost a style per cell for nothing.
_WRAP = Alignment(wrap_text=True)
LINE_HEIGHT = 15  # points, Calibri 11
_MAX_ROW_HEIGHT = 409  # Excel's limit


def lines_of(text: object, width: float) -> int:
    """Lines a wrapped text takes: a column unit holds about 1.1 characters of Calibri 11."""
    if not isinstance(text, str):
        return 1
    return max(1, math.ceil(len(text) / max(1.0, width * 1.1)))


def setup_print(sheet: Worksheet) -> None:
    """Landscape, fitted to the page width, header row repeated on each printed page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def save_atomically(report: Report, path: Path, *, now: datetime | None = None) -> Path:
    """Save through a temporary file and a rename: Excel never opens a half-written file.

    Excel on Windows locks the workbooks it has open, and HR leaves the
    follow-up open all day: the new workbook is then written beside the old
    one under a dated name, and that path is returned, rather than failing
    the run (or the watcher's rebuild). Older dated copies are removed when
    nothing holds them open, so that outbox/ keeps one current version of each
    workbook and not one copy per batch the watcher saw.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        report.save(tmp)
        try:
            tmp.replace(path)
            written = path
        except PermissionError:
            written = dated_copy_name(path, now or datetime.now())
            tmp.replace(written)
            log.warning("%s is locked (open in Excel?): written to %s", path, written.name)
        _remove_stale_copies(path, keep=written)
        return written
    except PermissionError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise EntretienError(
            f"Impossible d'écrire {path.name} dans {path.parent} : le dossier est protégé en "
            "écriture ou le classeur est ouvert. Fermez-le ou vérifiez les droits du dossier, "
            "puis relancez la commande."
        ) from exc
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


def _remove_stale_copies(path: Path, *, keep: Path) -> None:
    dated = re.compile(
        re.escape(path.stem) + r"-\d{4}-\d{2}-\d{2}-\d{2}h\d{2}(?:-\d+)?" + re.escape(path.suffix)
    )
    for sibling in path.parent.iterdir():
        if sibling != keep and dated.fullmatch(sibling.name):
            with suppress(OSError):  # still open in Excel: removed at a later run
                sibling.unlink()


def dated_copy_name(path: Path, now: datetime) -> Path:
    """``suivi-entretiens-2026-11-26-14h05.xlsx``, not taken yet, beside ``path``."""
    stem = f"{path.stem}-{now:%Y-%m-%d-%Hh%M}"
    candidate, n = path.with_name(f"{stem}{path.suffix}"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{stem}-{n}{path.suffix}")
    return candidate
