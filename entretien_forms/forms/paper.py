"""Where each answer sits on a printed page: the contract between the PDF layout and paper readers.

A form printed, filled with a pen and scanned comes back as pictures of
pages. To read it, a reader needs to know, for the form's exact layout, where
the registration marks are (to map a scan back onto the page), where each
tick box is and what ticking it means, and where each written answer is.
The PDF renderer knows all this when it lays a form out; it writes it down
here, once per layout, as a ``PaperMap``. The map is stored with the forms
issued from that layout, so that a scan is read against the layout it was
printed from even after the template has changed.

Coordinates are PDF points (1/72 inch) with the origin at the bottom-left
corner of the page, as the renderer draws them. Pure data: no I/O, no
rendering, no imaging.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Box", "PaperMap", "PaperPage", "Rect", "Zone", "ZoneKind"]

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, y going up

ZoneKind = Literal["text", "multiline", "date", "number"]

# Bumped when the meaning of a map's fields changes: a stored map of another
# format is not used (the scan's answers are then keyed, not read).
MAP_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Box:
    """One printed tick box, and what ticking it answers.

    ``key`` is the answer's key as readers report it (``contract.field_keys``):
    the field id, or ``<id>#<n>`` for option ``n`` of a multiple choice.
    ``value`` is what a tick means: the option's export value for a choice or
    a rating (``"3"``), ``True`` for a check box or a multiple choice's option.
    Boxes sharing a ``key`` with string values are one question with one
    answer (a choice, a rating): two ticks there are not a value.
    """

    key: str
    value: str | bool
    rect: Rect


@dataclass(frozen=True, slots=True)
class Zone:
    """The area a written answer goes in (a text line, a free-text box, a table cell)."""

    key: str
    label: str  # the question, to show beside the scanned zone when HR keys it
    kind: ZoneKind
    rect: Rect


@dataclass(frozen=True, slots=True)
class PaperPage:
    """The tick boxes and writing zones of one page (``number`` is 1-based)."""

    number: int
    boxes: tuple[Box, ...] = ()
    zones: tuple[Zone, ...] = ()


@dataclass(frozen=True, slots=True)
class PaperMap:
    """The printed geometry of one form layout, the same for every employee it was issued to.

    ``marks`` are the centres of the registration marks (filled squares of
    side ``mark_size``), the same on every page; ``qr`` is where the page's
    QR code is printed (quiet zone included).
    """

    width: float
    height: float
    marks: tuple[tuple[float, float], ...]
    mark_size: float
    qr: Rect
    pages: tuple[PaperPage, ...]

    def page(self, number: int) -> PaperPage | None:
        """Page ``number`` (1-based), ``None`` past the end."""
        if 1 <= number <= len(self.pages):
            return self.pages[number - 1]
        return None

    def to_json(self) -> str:
        """A stable text form: the same map always gives the same text (and ``key``)."""
        data = {
            "format": MAP_FORMAT,
            "width": self.width,
            "height": self.height,
            "marks": [list(mark) for mark in self.marks],
            "mark_size": self.mark_size,
            "qr": list(self.qr),
            "pages": [
                {
                    "number": page.number,
                    "boxes": [[box.key, box.value, list(box.rect)] for box in page.boxes],
                    "zones": [
                        [zone.key, zone.label, zone.kind, list(zone.rect)] for zone in page.zones
                    ],
                }
                for page in self.pages
            ],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @property
    def key(self) -> str:
        """A digest of the map: forms issued from one layout share one stored map."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:32]

    @classmethod
    def from_json(cls, text: str) -> PaperMap | None:
        """The map ``to_json`` wrote; ``None`` for a map of another format."""
        data: Mapping[str, Any] = json.loads(text)
        if data.get("format") != MAP_FORMAT:
            return None
        return cls(
            width=float(data["width"]),
            height=float(data["height"]),
            marks=tuple((float(x), float(y)) for x, y in data["marks"]),
            mark_size=float(data["mark_size"]),
            qr=_rect(data["qr"]),
            pages=tuple(
                PaperPage(
                    number=int(page["number"]),
                    boxes=tuple(Box(key, value, _rect(rect)) for key, value, rect in page["boxes"]),
                    zones=tuple(
                        Zone(key, label, kind, _rect(rect))
                        for key, label, kind, rect in page["zones"]
                    ),
                )
                for page in data["pages"]
            ),
        )


def _rect(values: Any) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in values)
    return (x0, y0, x1, y1)
