"""A synthetic scan kit: pages drawn from a paper map, pen marks drawn in boxes, scanner effects.

The tick-box reader (``inbox/marks.py``) is measured on pages nobody had to
print, fill and scan: this kit draws a page (from a hand-made ``PaperMap``,
or a real rendered form), draws pen marks into its boxes the way pens do
(anti-aliased strokes of 0.3 to 0.6 mm, a little outside the box, uneven
pressure), then does what a scanner does to it (turn, shift, scale, blur,
paper and ink levels, noise, JPEG). Everything is seeded: a test run sees
the same pages every time. Used by ``tests/test_marks.py`` and
``bench/bench_marks.py``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from entretien_forms.forms.paper import Box, PaperMap, PaperPage, Rect
from entretien_forms.inbox.marks import BoxState
from entretien_forms.render.qr import qr_png

MM = 72 / 25.4
A4 = (595.28, 841.89)
# As the PDF renderer prints them (render/_pdf_layout.py): 5 mm squares 8 mm from the edges.
MARK_SIZE = 5 * MM
_NEAR = 8 * MM + MARK_SIZE / 2
MARKS = (
    (_NEAR, A4[1] - _NEAR),
    (A4[0] - _NEAR, A4[1] - _NEAR),
    (_NEAR, _NEAR),
    (A4[0] - _NEAR, _NEAR),
)
QR_RECT: Rect = (A4[0] - 18 * MM - 18 * MM, A4[1] - 27 * MM, A4[0] - 16 * MM, A4[1] - 7 * MM)
BOX_BORDER_GREY = 0x7D  # the renderer's #7d8a9a, in grey
BOX_BORDER_WIDTH = 0.8

MarkKind = Literal["tick", "cross", "fill", "empty", "faint", "dot"]
MARK_KINDS: tuple[MarkKind, ...] = ("tick", "cross", "fill", "empty", "faint", "dot")
# What the reader must say of each mark: the first state is the decision
# expected; a state in the second set is "not decided" (acceptable, counted
# against the decided share); any other state is a wrong decision.
EXPECTED: dict[MarkKind, BoxState] = {
    "tick": "coche",
    "cross": "coche",
    "faint": "coche",
    "fill": "annule",
    "empty": "vide",
    "dot": "vide",
}
TICKED_KINDS = ("tick", "cross", "faint")

Grey = npt.NDArray[np.uint8]


# --------------------------------------------------------------------------- pages


def hand_made_map(pages: int = 1, rows: int = 29) -> PaperMap:
    """An A4 layout dense with boxes: per row, a four-option question and four check boxes.

    Rows alternate 11 pt boxes (a stand-alone field's) and 9 pt boxes (a
    table cell's), so that both sizes the renderer prints are measured.
    """
    built = []
    for number in range(1, pages + 1):
        boxes: list[Box] = []
        for row in range(rows):
            size = 11.0 if row % 2 == 0 else 9.0
            y0 = 730.0 - row * 22.0
            for option in range(4):
                x0 = 60.0 + option * 34.0
                boxes.append(
                    Box(f"p{number}.q{row}", str(option + 1), (x0, y0, x0 + size, y0 + size))
                )
            for option in range(4):
                x0 = 320.0 + option * 60.0
                boxes.append(
                    Box(f"p{number}.c{row}#{option + 1}", True, (x0, y0, x0 + size, y0 + size))
                )
        built.append(PaperPage(number, tuple(boxes)))
    return PaperMap(
        width=A4[0],
        height=A4[1],
        marks=MARKS,
        mark_size=MARK_SIZE,
        qr=QR_RECT,
        pages=tuple(built),
    )


def page_size(paper: PaperMap, dpi: int) -> tuple[int, int]:
    return round(paper.width / 72 * dpi), round(paper.height / 72 * dpi)


def to_pixels(paper: PaperMap, dpi: int, x: float, y: float) -> tuple[float, float]:
    """Continuous (column, row) of a page point on a clean page drawn at ``dpi``."""
    return x / 72 * dpi, (paper.height - y) / 72 * dpi


def draw_page(
    paper: PaperMap, number: int, dpi: int, payload: str = "EA-2026-00042"
) -> Image.Image:
    """A clean page of ``paper`` at ``dpi``: marks, box borders with a label each, the QR code."""
    width, height = page_size(paper, dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    scale = dpi / 72
    for x, y in paper.marks:
        col, row = to_pixels(paper, dpi, x, y)
        half = paper.mark_size / 2 * scale
        # Pillow truncates coordinates: rounded, the square is centred on its point.
        draw.rectangle(
            (round(col - half), round(row - half), round(col + half) - 1, round(row + half) - 1),
            fill=0,
        )
    qr_pages = len(paper.pages)
    qr = Image.open(io.BytesIO(qr_png(f"{payload} p{number}/{qr_pages}", scale=1))).convert("L")
    x0, _, x1, y1 = paper.qr
    left, top = to_pixels(paper, dpi, x0, y1)
    side = round((x1 - x0) * scale)
    image.paste(qr.resize((side, side), Image.Resampling.NEAREST), (round(left), round(top)))
    font = ImageFont.load_default(size=max(8, round(8.8 * scale)))
    page = paper.page(number)
    assert page is not None
    border = max(1, round(BOX_BORDER_WIDTH * scale))
    for box in page.boxes:
        bx0, by0, bx1, by1 = box.rect
        left, top = to_pixels(paper, dpi, bx0, by1)
        right, bottom = to_pixels(paper, dpi, bx1, by0)
        # Pillow draws an outline inside the rectangle: widened by half the border
        # each way, it is centred on the box's edge, as the PDF renderer strokes it.
        half = border / 2
        draw.rectangle(
            (
                round(left - half),
                round(top - half),
                round(right + half) - 1,
                round(bottom + half) - 1,
            ),
            outline=BOX_BORDER_GREY,
            width=border,
        )
        label = "Option" if box.value is True else str(box.value)
        draw.text((right + 3 * scale, top), label, fill=30, font=font)
    return image


def render_pdf_page(pdf: bytes, index: int, dpi: int) -> Image.Image:
    """Page ``index`` of a PDF as pdfium draws it at ``dpi``, in grey."""
    document = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = document[index].render(scale=dpi / 72).to_pil().convert("L")
        return image
    finally:
        document.close()


# --------------------------------------------------------------------------- pen marks

_SUPERSAMPLE = 4  # strokes drawn 4× finer, then averaged: the soft edge of real ink


@dataclass(frozen=True)
class _Pen:
    width_mm: float
    ink: float  # grey level of a full stroke


def _pen(kind: MarkKind, rng: np.random.Generator) -> _Pen:
    if kind == "faint":  # a light pen (pencil, a pale felt-tip) pressed lightly
        return _Pen(float(rng.uniform(0.25, 0.45)), float(rng.uniform(130, 175)))
    return _Pen(float(rng.uniform(0.3, 0.6)), float(rng.uniform(10, 90)))


def draw_mark(
    image: Image.Image,
    paper: PaperMap,
    rect: Rect,
    kind: MarkKind,
    dpi: int,
    rng: np.random.Generator,
    ink: float | None = None,
) -> None:
    """Draw a pen mark of ``kind`` into the box at ``rect`` (points) on a clean page, in place.

    ``ink`` forces the grey of a full stroke (0 black), for a test's pen.
    """
    if kind == "empty":
        return
    pen = _pen(kind, rng)
    if ink is not None:
        pen = _Pen(pen.width_mm, ink)
    x0, y0, x1, y1 = rect
    size = x1 - x0
    margin = size * 0.6
    left, top = (math.floor(v) for v in to_pixels(paper, dpi, x0 - margin, y1 + margin))
    right, bottom = (math.ceil(v) for v in to_pixels(paper, dpi, x1 + margin, y0 - margin))
    factor = _SUPERSAMPLE
    layer = Image.new("L", ((right - left) * factor, (bottom - top) * factor), 0)
    draw = ImageDraw.Draw(layer)

    def at(u: float, v: float) -> tuple[float, float]:
        # Box units (0..1, v up) to the layer's supersampled pixels.
        col, row = to_pixels(paper, dpi, x0 + u * size, y0 + v * size)
        return (col - left) * factor, (row - top) * factor

    width = max(1, round(pen.width_mm * MM / 72 * dpi * factor))
    u = rng.uniform
    if kind in ("tick", "faint"):
        start = (u(0.1, 0.3), u(0.4, 0.65))
        low = (u(0.3, 0.5), u(0.05, 0.25))
        end = (u(0.75, 1.2), u(0.8, 1.25))
        _stroke(draw, [at(*p) for p in _curve(start, low, rng)], width)
        _stroke(draw, [at(*p) for p in _curve(low, end, rng)], width)
    elif kind == "cross":
        a, b = (u(-0.1, 0.2), u(0.8, 1.1)), (u(0.8, 1.1), u(-0.1, 0.2))
        c, d = (u(-0.1, 0.2), u(-0.1, 0.2)), (u(0.8, 1.1), u(0.8, 1.1))
        _stroke(draw, [at(*p) for p in _curve(a, b, rng)], width)
        _stroke(draw, [at(*p) for p in _curve(c, d, rng)], width)
    elif kind == "fill":
        # Blackened the way a pen does it: back and forth across the box, the
        # lines closer than the pen is wide, then over again the other way.
        pitch = width / factor / dpi * 72 / size * u(0.5, 0.9)  # in box units
        lines = math.ceil(1.16 / pitch) + 1
        across = [
            (u(-0.1, 0.03) if i % 2 == 0 else u(0.97, 1.1), -0.08 + i * pitch) for i in range(lines)
        ]
        down = [
            (-0.08 + i * pitch, u(-0.1, 0.03) if i % 2 == 0 else u(0.97, 1.1)) for i in range(lines)
        ]
        _stroke(draw, [at(*p) for p in across], width)
        _stroke(draw, [at(*p) for p in down], width)
    elif kind == "dot":
        col, row = at(u(0.25, 0.75), u(0.25, 0.75))
        radius = u(0.15, 0.4) * MM / 72 * dpi * factor
        draw.ellipse((col - radius, row - radius, col + radius, row + radius), fill=255)
    coverage = layer.resize((right - left, bottom - top), Image.Resampling.BOX)
    alpha = np.asarray(coverage, dtype=np.float32) / 255
    page = np.asarray(image.crop((left, top, right, bottom)), dtype=np.float32)
    inked = page - alpha * np.maximum(page - pen.ink, 0)
    image.paste(Image.fromarray(inked.round().astype(np.uint8)), (left, top))


def _curve(
    start: tuple[float, float], end: tuple[float, float], rng: np.random.Generator
) -> list[tuple[float, float]]:
    """A hand's stroke from ``start`` to ``end``: slightly bowed, as a quadratic curve."""
    bow = rng.uniform(-0.08, 0.08)
    mid = (
        (start[0] + end[0]) / 2 - bow * (end[1] - start[1]),
        (start[1] + end[1]) / 2 + bow * (end[0] - start[0]),
    )
    points = []
    for t in np.linspace(0, 1, 9):
        points.append(
            (
                (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * mid[0] + t**2 * end[0],
                (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * mid[1] + t**2 * end[1],
            )
        )
    return points


def _stroke(draw: ImageDraw.ImageDraw, points: Sequence[tuple[float, float]], width: int) -> None:
    draw.line(list(points), fill=255, width=width, joint="curve")
    for col, row in (points[0], points[-1]):  # round pen ends
        draw.ellipse((col - width / 2, row - width / 2, col + width / 2, row + width / 2), fill=255)


# --------------------------------------------------------------------------- marking plans


@dataclass(frozen=True)
class Marked:
    """What was drawn in each box of a page (``kinds`` in the page's box order).

    ``answers`` are the answers a careful reader would give (a question
    missing has no answer); ``unsure`` the questions a careful reader may
    leave to HR (a dot, a box blackened alone). A reader giving no value is
    never wrong, giving another value always is. ``corrected`` are the
    questions with one box blackened and another ticked.
    """

    kinds: tuple[MarkKind, ...]
    answers: dict[str, str | bool]
    unsure: frozenset[str]
    corrected: frozenset[str]


# Scenarios of a choice question, with their weights: mostly one tick, as forms come back.
_SCENARIOS = (
    ("tick", 4),
    ("cross", 2),
    ("faint", 2),
    ("empty", 1),
    ("corrected", 2),
    ("fill", 1),
    ("dot", 1),
)
_CHECK_KINDS: tuple[tuple[MarkKind, int], ...] = (
    ("tick", 3),
    ("cross", 2),
    ("faint", 2),
    ("empty", 4),
    ("fill", 1),
    ("dot", 1),
)


def _weighted(choices: Sequence[tuple[str, int]], rng: np.random.Generator) -> str:
    weights = np.array([w for _, w in choices], dtype=float)
    return choices[int(rng.choice(len(choices), p=weights / weights.sum()))][0]


def plan_marks(page: PaperPage, rng: np.random.Generator) -> Marked:
    """Choose, seeded, what goes in every box of ``page``, question by question."""
    kinds: dict[int, MarkKind] = {}
    answers: dict[str, str | bool] = {}
    unsure: set[str] = set()
    corrected: set[str] = set()
    questions: dict[str, list[int]] = {}
    for index, box in enumerate(page.boxes):
        questions.setdefault(box.key, []).append(index)
    for key, indices in questions.items():
        if isinstance(page.boxes[indices[0]].value, bool):
            for index in indices:
                kind: MarkKind = _weighted(_CHECK_KINDS, rng)  # type: ignore[assignment]
                kinds[index] = kind
                if kind in TICKED_KINDS:
                    answers[key] = True
                elif kind in ("empty", "dot"):
                    answers[key] = False  # a dot is no tick, if a reader is sure of it
                if kind in ("dot", "fill"):
                    unsure.add(key)
            continue
        for index in indices:
            kinds[index] = "empty"
        scenario = _weighted(_SCENARIOS, rng)
        chosen = int(rng.choice(indices))
        if scenario in TICKED_KINDS:
            kinds[chosen] = scenario  # type: ignore[assignment]
            answers[key] = page.boxes[chosen].value
        elif scenario == "corrected":
            other = int(rng.choice([i for i in indices if i != chosen]))
            kinds[chosen] = "tick"
            kinds[other] = "fill"
            answers[key] = page.boxes[chosen].value
            corrected.add(key)
        elif scenario in ("fill", "dot"):
            kinds[chosen] = scenario  # type: ignore[assignment]
            unsure.add(key)
    return Marked(
        tuple(kinds[i] for i in range(len(page.boxes))),
        answers,
        frozenset(unsure),
        frozenset(corrected),
    )


def mark_page(
    image: Image.Image,
    paper: PaperMap,
    page: PaperPage,
    marked: Marked,
    dpi: int,
    rng: np.random.Generator,
) -> None:
    """Draw ``marked``'s pen marks into the page's boxes, in place."""
    for box, kind in zip(page.boxes, marked.kinds, strict=True):
        draw_mark(image, paper, box.rect, kind, dpi, rng)


# --------------------------------------------------------------------------- the scanner


@dataclass(frozen=True)
class Scanner:
    """What one pass through the scanner did: the page's turn, shift, scale and image quality.

    The transform maps a clean page's continuous pixel (column, row) to the
    scan's: turned by ``angle`` degrees (counter-clockwise as seen) and scaled
    by ``scale`` about the page centre, then shifted by ``shift`` pixels.
    """

    angle: float
    shift: tuple[float, float]
    scale: float
    blur: float
    white: float
    black: float
    noise: float
    quality: int

    @classmethod
    def random(
        cls, rng: np.random.Generator, paper: PaperMap, dpi: int, max_angle: float = 3.0
    ) -> Scanner:
        """Any scan of an office feeder: up to ``max_angle``° either way, 4 mm, 2 %.

        A sheet turned 3° and shifted 4 mm can lose a corner off the scan: the
        draw is repeated until at least three marks are on it, as on the
        scans this reader is for (two marks lost is a page to rescan).
        """
        shift = 4 * MM / 72 * dpi
        while True:
            scanner = cls(
                angle=float(rng.uniform(-max_angle, max_angle)),
                shift=(float(rng.uniform(-shift, shift)), float(rng.uniform(-shift, shift))),
                scale=float(rng.uniform(0.98, 1.02)),
                blur=float(rng.uniform(0.3, 0.8)),
                white=float(rng.uniform(225, 250)),
                black=float(rng.uniform(10, 45)),
                noise=float(rng.uniform(2, 6)),
                quality=int(rng.integers(60, 91)),
            )
            if scanner.marks_on_scan(paper, dpi) >= 3:
                return scanner

    def marks_on_scan(self, paper: PaperMap, dpi: int) -> int:
        """How many registration marks land wholly on the scan, with 1 mm to spare."""
        size = page_size(paper, dpi)
        reach = (paper.mark_size / 2 * math.sqrt(2) + MM) / 72 * dpi
        count = 0
        for x, y in paper.marks:
            col, row = self.forward(size, *to_pixels(paper, dpi, x, y))
            if reach <= col <= size[0] - reach and reach <= row <= size[1] - reach:
                count += 1
        return count

    def forward(self, size: tuple[int, int], col: float, row: float) -> tuple[float, float]:
        """Where a clean page's point (column, row) lands on the scan."""
        cx, cy = size[0] / 2, size[1] / 2
        theta = math.radians(self.angle)
        dx, dy = col - cx, row - cy
        # Counter-clockwise as seen, with rows going down.
        x = self.scale * (math.cos(theta) * dx + math.sin(theta) * dy)
        y = self.scale * (-math.sin(theta) * dx + math.cos(theta) * dy)
        return cx + x + self.shift[0], cy + y + self.shift[1]

    def scan(self, page: Image.Image, rng: np.random.Generator) -> Grey:
        """The page as this scanner gives it back: greyscale array, 0 black."""
        size = page.size
        cx, cy = size[0] / 2, size[1] / 2
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta), math.sin(theta)
        # Pillow wants the inverse: for each scan pixel, the page pixel it comes from.
        inverse = np.array([[cos, -sin], [sin, cos]]) / self.scale
        offset = np.array([cx, cy]) - inverse @ np.array([cx + self.shift[0], cy + self.shift[1]])
        data = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
        moved = page.transform(
            size, Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR, fillcolor=255
        )
        moved = moved.filter(ImageFilter.GaussianBlur(self.blur))
        pixels = np.asarray(moved, dtype=np.float32)
        pixels = self.black + pixels * ((self.white - self.black) / 255)
        pixels += rng.standard_normal(pixels.shape, dtype=np.float32) * self.noise
        grey = Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8))
        buffer = io.BytesIO()
        grey.save(buffer, format="JPEG", quality=self.quality)
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            return np.asarray(decoded.convert("L")).copy()
