"""What every workbook we write shares: styles, formats, safe cells and an atomic save.

Both workbooks are built with openpyxl in normal (not write-only) mode:
conditional formatting, charts and auto-filters need it, and 10,000 rows stay
well within its reach. Every cell written from user text goes through
``sanitize.safe_cell``, so an answer typed as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from entretien_forms.errors import EntretienError
from entretien_forms.sanitize import safe_cell

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


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector while a workbook is built and saved.

    A big workbook is half a million small objects that stay alive until it is
    saved; each full collection walks all of them in vain, which took a third
    of the build time. The collector resumes afterwards and frees the workbook
    (its sheets and cells refer to each other) at its next pass.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def table_sheet(
    workbook: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: Sequence[float] | None = None,
    formats: dict[int, str] | None = None,
) -> Worksheet:
    """A sheet holding one table: styled header, frozen, filtered, printed landscape.

    ``formats`` maps a 0-based column to a number format (dates, euros).
    Text cells are neutralised against formula injection.
    """
    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, GRID
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    # A mapping skips the empty cells (most of HR's columns), which cost as much
    # as full ones to create; a formatted column keeps them, styled for what HR types later.
    kept = {n + 1 for n in formats or ()}
    count = 0
    for row in rows:
        sheet.append(
            {n: safe_cell(v) for n, v in enumerate(row, start=1) if v is not None or n in kept}
        )
        count += 1
    if formats and count:
        for column, number_format in formats.items():
            letter = get_column_letter(column + 1)
            restyle(
                (cell for (cell,) in sheet[f"{letter}2:{letter}{count + 1}"]),
                number_format=number_format,
            )
    for n, header in enumerate(headers):
        width = widths[n] if widths and n < len(widths) else max(10, min(40, len(header) + 4))
        sheet.column_dimensions[get_column_letter(n + 1)].width = width
    sheet.freeze_panes = "A2"
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    setup_print(sheet)
    return sheet


def restyle(
    cells: Iterable[Cell],
    *,
    number_format: str | None = None,
    alignment: Alignment | None = None,
    fill: PatternFill | None = None,
    font: Font | None = None,
) -> None:
    """Set the same style attributes on many cells, looking each resulting style up once.

    Setting ``cell.alignment`` hashes the style object and searches the
    workbook's style table, which costs as much as creating the cell; cells
    that start from the same style end with the same one, so the first such
    cell's style array is copied to the others (as openpyxl's own
    ``WorksheetCopy`` copies styles).
    """
    done: dict[tuple[int, ...], Any] = {}
    for cell in cells:
        before = tuple(cell._style or ())  # None until a style is set
        after = done.get(before)
        if after is None:
            if number_format is not None:
                cell.number_format = number_format
            if alignment is not None:
                cell.alignment = alignment
            if fill is not None:
                cell.fill = fill
            if font is not None:
                cell.font = font
            done[before] = copy(cell._style)
        else:
            cell._style = copy(after)


def setup_print(sheet: Worksheet) -> None:
    """Landscape, fitted to the page width, header row repeated on each printed page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def save_atomically(workbook: Workbook, path: Path) -> None:
    """Save through a temporary file and a rename: Excel never opens a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        workbook.save(tmp)
        tmp.replace(path)
    except PermissionError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise EntretienError(
            f"Impossible d'écrire {path.name} : le classeur est sans doute ouvert dans Excel. "
            "Fermez-le et relancez la commande."
        ) from exc
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
