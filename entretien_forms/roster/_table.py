"""One candidate table of a file, whatever its format (see ``tables.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from entretien_forms.roster.model import CellValue, Problem

# Excel's own limit on rows: no export opened in Excel holds more, and it bounds the
# time a read takes (a million rows in error take about 10 s).
MAX_ROWS = 1_048_576
Row = tuple[int, Sequence[CellValue]]  # (row number as the user sees it, cells)


def french_number(number: int) -> str:
    """1048576 → "1 048 576" (thin no-break spaces), as limits are shown to users."""
    return f"{number:_}".replace("_", "\u202f")


# Receives what reading the file itself found on a row (a line in another encoding...).
Report = Callable[[Problem], None]


@dataclass(frozen=True)
class Table:
    """One candidate grid of cells: a sheet, or a CSV read with one separator."""

    name: str | None  # sheet name; None for CSV
    head: list[Row]  # the first rows, to find the header
    read: Callable[[Report | None], Iterator[Row]] = field(repr=False)
    description: str  # French, for messages: "feuille « Salariés »", "CSV séparé par « ; »"

    def rows(self, report: Report | None = None) -> Iterator[Row]:
        """Every row from the top, anew at each call.

        ``report`` receives the warnings of the reading itself, located by
        row: without it they are dropped, never the rows (the values are the
        same either way).
        """
        return self.read(report)
