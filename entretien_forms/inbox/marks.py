"""Tick boxes read on a scanned page: registration, ink in each box, answers.

A printed form comes back as a picture of each page, taken by a scanner that
shifts, turns and scales it a little. The layout's ``PaperMap`` says where,
on the page, the four registration marks and every tick box were printed.
Reading a page is three pure steps, arrays in and decisions out (no file, no
imaging library), so that the inbox, the tests and the bench call the same
code:

- ``register`` finds the marks (filled black squares near the corners) and
  fits the affine transform from page points to scan pixels;
- ``read_boxes`` measures, through that transform, the ink inside each box
  (its printed border left out) and gives each box a state;
- ``answers_from_boxes`` turns the states into answers, question by question.

The rule throughout is that a wrong answer costs more than no answer: a box
the reader is not sure of is ``"incertain"``, and a question with such a box,
or with two ticks, gets no value but a French remark for HR, who look at the
scan and key the answer. A box filled solid is the usual paper convention for
"I crossed this out" (``"annule"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import numpy.typing as npt

from entretien_forms.forms.paper import Box, PaperMap, PaperPage

__all__ = [
    "BoxReading",
    "BoxState",
    "Registration",
    "answers_from_boxes",
    "read_boxes",
    "register",
]

Grey = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]
# "coche": ticked (or crossed); "vide": empty; "incertain": some ink, but not a
# tick for sure (a dot, a dash, a half-filled box); "annule": filled solid.
BoxState = Literal["coche", "vide", "incertain", "annule"]

_MM = 72 / 25.4  # points per millimetre

# --------------------------------------------------------------------------- registration

# How far from where the map puts it a mark is looked for, from its centre.
# A mark 10.5 mm from the corner of an A4 page is 167 mm from the page centre:
# turned by 3° it moves 9 mm, scaled by 2 % another 3 mm, and the feeder shifts
# the sheet by a few mm. 20 mm covers all of it and still keeps the window
# clear of the section titles' dark bars.
SEARCH_REACH = 20 * _MM
# A mark is darker than the paper around it by at least this many grey levels:
# less is a blank corner (a page printed without marks, or cut off).
MIN_MARK_CONTRAST = 60.0
# The square filter (see ``_find_mark``): the share of dark pixels in a square
# that fits inside the mark however it is turned (3°) and scaled (2 %), and in
# the ring around it, clear of the mark. A QR code's finder pattern, the same
# size as a mark, is a hollow square: about two thirds dark, with dark modules
# in its ring, it never passes.
MARK_INNER = 0.88  # side of the inner square, in mark sides
MARK_CLEAR = 1.16  # inner side of the ring
MARK_RING = 0.25  # width of the ring
MIN_INNER_FILL = 0.85
MAX_RING_FILL = 0.12
# The dark area found around a mark, against the mark's own (scan scale ±2 %,
# blur and JPEG make the edges soft either way).
MARK_AREA = (0.7, 1.35)
# The affine fit of the marks: its RMS residual above this is a wrong mark (a
# blot taken for one), so the most square three are tried instead.
MAX_RESIDUAL = 0.75 * _MM
# A fit further than this from a plain shift, turn and scale is not a scan of
# this layout (3° and 2 % are the scanner's; the margins are generous).
MAX_SCALE_ERROR = 0.08  # relative, against the image size
MAX_SHEAR = 0.03
MAX_ROTATION = math.radians(6)


@dataclass(frozen=True, slots=True)
class Registration:
    """Where a page's points are on its scan: ``col = a·x + b·y + c``, ``row = d·x + e·y + f``.

    ``marks`` are the centres (column, row) of the marks the fit used, in the
    map's order, ``None`` for a mark not found or set aside; ``residual`` is
    the fit's RMS error in pixels (0 with three marks: three points always
    fit). ``white`` and ``black`` are the paper's and the marks' grey levels,
    so that ink is measured against this scan's contrast, not a guess.
    """

    matrix: tuple[float, float, float, float, float, float]
    residual: float
    marks: tuple[tuple[float, float] | None, ...]
    white: float
    black: float

    @property
    def pixels_per_point(self) -> float:
        """The scan's linear scale (about dpi / 72)."""
        a, b, _, d, e, _ = self.matrix
        return math.sqrt(abs(a * e - b * d))

    def to_pixels(self, x: Floats, y: Floats) -> tuple[Floats, Floats]:
        """Continuous (column, row) of page points: pixel (r, c) covers [c, c+1) × [r, r+1)."""
        a, b, c, d, e, f = self.matrix
        return a * x + b * y + c, d * x + e * y + f


@dataclass(frozen=True, slots=True)
class _Mark:
    centre: tuple[float, float]  # column, row
    white: float
    black: float


def register(image: Grey, paper: PaperMap) -> Registration | None:
    """Map ``paper``'s points onto ``image`` (an upright greyscale scan, 0 black) by its marks.

    ``None`` when fewer than three marks are found, or when the marks found
    do not make a plausible scan of the layout: the page cannot be read then,
    and the caller says so rather than reading boxes in the wrong place.
    """
    if image.ndim != 2 or min(image.shape) < 16 or paper.width <= 0 or paper.height <= 0:
        return None
    rows, cols = image.shape
    per_x, per_y = cols / paper.width, rows / paper.height
    scale = (per_x + per_y) / 2
    found: list[_Mark | None] = [
        _find_mark(image, x * per_x, (paper.height - y) * per_y, paper.mark_size * scale, scale)
        for x, y in paper.marks
    ]
    usable = [i for i, mark in enumerate(found) if mark is not None]
    if len(usable) < 3:
        return None
    # Four marks that agree are the fit; otherwise a mark is wrong (a blot taken for
    # one, a corner torn off) and the three that make the most square page are kept.
    subsets = [usable] if len(usable) == 3 else [usable, *map(list, combinations(usable, 3))]
    best: tuple[float, list[int], Floats, float] | None = None
    for subset in subsets:
        matrix, residual = _fit(paper, found, subset)
        distortion = _distortion(matrix, scale)
        if distortion is None or residual > MAX_RESIDUAL * scale:
            continue
        if len(subset) == 4:
            best = (distortion, subset, matrix, residual)
            break
        if best is None or distortion < best[0]:
            best = (distortion, subset, matrix, residual)
    if best is None:
        return None
    _, subset, matrix, residual = best
    marks = [found[i] for i in subset]
    return Registration(
        matrix=(
            float(matrix[0, 0]),
            float(matrix[1, 0]),
            float(matrix[2, 0]),
            float(matrix[0, 1]),
            float(matrix[1, 1]),
            float(matrix[2, 1]),
        ),
        residual=residual,
        marks=tuple(
            mark.centre if (mark := found[i]) is not None and i in subset else None
            for i in range(len(found))
        ),
        white=float(np.mean([m.white for m in marks if m is not None])),
        black=float(np.mean([m.black for m in marks if m is not None])),
    )


def _find_mark(image: Grey, col: float, row: float, side: float, scale: float) -> _Mark | None:
    """The registration mark nearest to a filled square of ``side`` pixels around (col, row).

    A square filter over a window: for every pixel, the share of dark pixels
    in a square inside the mark's size and in a ring around it, both from one
    integral image (a few array slices, no loop over pixels). A mark is the
    one place that is dark inside and light around; text is never dark over
    a whole square, and a QR code's finder pattern is hollow.
    """
    rows, cols = image.shape
    reach = SEARCH_REACH * scale
    r0, r1 = max(0, int(row - reach)), min(rows, int(row + reach) + 1)
    c0, c1 = max(0, int(col - reach)), min(cols, int(col + reach) + 1)
    if r1 - r0 < side or c1 - c0 < side:
        return None
    window = image[r0:r1, c0:c1]
    sample = window[::2, ::2]
    white = float(np.percentile(sample, 90))
    dark = float(np.percentile(sample, 0.5))
    if white - dark < MIN_MARK_CONTRAST:
        return None
    mask = (window < (white + dark) / 2).astype(np.int32)
    half_in = max(1, round(side * MARK_INNER / 2))
    half_clear = max(half_in + 1, math.ceil(side * MARK_CLEAR / 2))
    half_out = half_clear + max(2, round(side * MARK_RING))
    height, width = mask.shape
    pad = half_out  # outside the scan counts as paper
    integral = np.zeros((height + 2 * pad + 1, width + 2 * pad + 1), dtype=np.int32)
    integral[1:, 1:] = np.pad(mask, pad).cumsum(0).cumsum(1)

    def squares(half: int) -> npt.NDArray[np.int32]:
        # Dark pixels in the square of side 2·half centred on each pixel's corner.
        top, bottom = pad - half, pad + half
        return (
            integral[bottom : bottom + height, bottom : bottom + width]
            - integral[top : top + height, bottom : bottom + width]
            - integral[bottom : bottom + height, top : top + width]
            + integral[top : top + height, top : top + width]
        )

    inner = squares(half_in) / float((2 * half_in) ** 2)
    clear = squares(half_clear)
    ring = (squares(half_out) - clear) / float((2 * half_out) ** 2 - (2 * half_clear) ** 2)
    score = inner - ring
    at = int(np.argmax(score))
    i, j = divmod(at, width)
    if inner[i, j] < MIN_INNER_FILL or ring[i, j] > MAX_RING_FILL:
        return None
    top, left = i - half_clear, j - half_clear
    if top < 0 or left < 0 or i + half_clear > height or j + half_clear > width:
        return None  # cut by the edge of the scan: its centroid would be off
    # Refine: the centroid of darkness over the cleared square, to a fraction of a pixel.
    patch = window[top : i + half_clear, left : j + half_clear].astype(np.float64)
    core = window[i - half_in : i + half_in, j - half_in : j + half_in]
    black = float(np.median(core))
    ring_pixels = window[max(0, i - half_out) : i + half_out, max(0, j - half_out) : j + half_out]
    paper_white = float(np.percentile(ring_pixels, 75))
    contrast = paper_white - black
    if contrast < MIN_MARK_CONTRAST:
        return None
    weight = np.clip((paper_white - patch) / contrast * 1.25 - 0.125, 0.0, 1.0)
    area = float(weight.sum())
    if not MARK_AREA[0] * side * side <= area <= MARK_AREA[1] * side * side:
        return None
    ys, xs = np.indices(weight.shape)
    centre_row = r0 + top + float((weight * ys).sum()) / area + 0.5
    centre_col = c0 + left + float((weight * xs).sum()) / area + 0.5
    return _Mark((centre_col, centre_row), paper_white, black)


def _fit(paper: PaperMap, found: list[_Mark | None], subset: list[int]) -> tuple[Floats, float]:
    """Least-squares affine transform of the marks in ``subset``, and its RMS residual (pixels)."""
    points = np.array([[*paper.marks[i], 1.0] for i in subset])
    pixels = np.array([found_mark.centre for i in subset if (found_mark := found[i]) is not None])
    matrix, *_ = np.linalg.lstsq(points, pixels, rcond=None)
    errors = points @ matrix - pixels
    residual = float(np.sqrt((errors**2).sum(axis=1).mean()))
    return matrix, residual


def _distortion(matrix: Floats, scale: float) -> float | None:
    """How far the fit is from a shift, turn and scale of the page; ``None`` past the limits.

    The page's y goes up and the image's rows go down: an upright page has a
    negative ``e``. Columns of the linear part are the images of the page's
    unit x and y vectors: their lengths are the scales, their angle the shear.
    """
    ux = matrix[0]  # (dcol/dx, drow/dx)
    uy = -matrix[1]  # the page's downward unit: rows go down
    length_x, length_y = float(np.hypot(*ux)), float(np.hypot(*uy))
    if length_x == 0 or length_y == 0:
        return None
    scale_error = max(abs(length_x / scale - 1), abs(length_y / scale - 1))
    shear = abs(float(ux @ uy)) / (length_x * length_y)
    cross = float(ux[0] * uy[1] - ux[1] * uy[0])
    rotation = abs(math.atan2(float(ux[1]), float(ux[0])))
    if cross <= 0 or scale_error > MAX_SCALE_ERROR or shear > MAX_SHEAR:
        return None  # cross <= 0: a mirrored page, not a scan of this one
    if rotation > MAX_ROTATION:
        return None
    return scale_error + shear


# --------------------------------------------------------------------------- boxes

# The tick box's printed border (``render/_pdf_layout.CHECKBOX_BORDER_WIDTH``), centred
# on the box's rectangle. The inner area read for ink starts past half of it, plus a
# guard for the blur of scanner and JPEG (about 0.1 mm on paper) and for the
# misregistration (±1 px, and half a pixel of sampling): a border read as ink would
# tick every box.
BORDER_WIDTH = 0.8
GUARD_POINTS = 0.25
GUARD_PIXELS = 1.5
# A ring outside the box, to measure the paper's grey beside it (a scanner lights a
# page unevenly): from past the border to this far out, in points.
RING_OUT = 2.5
# Below this contrast between paper and ink (grey levels), nothing is measured:
# a washed-out scan gives "incertain" boxes, not guesses.
MIN_CONTRAST = 60.0
# A pixel is ink when it is darker than the paper by this share of the
# paper-to-mark contrast: 0.2 is about 40 grey levels on a usual scan, far
# above the scanner's noise (σ ≈ 5) and below a light pen's stroke (60 to 90).
INK_LEVEL = 0.2
# Half that is a trace: not ink, but a trace spread across a box otherwise empty
# (a pencil tick the scanner nearly washed out) makes it doubtful, not empty.
LIGHT_LEVEL = 0.1
# Decisions on the inner area's ink (thresholds measured with tests/paper_kit.py at
# 150 to 300 dpi: bench/bench_marks.py prints where each kind of mark falls). A box is:
# - "vide" below 2.5 % ink: a speck of dust or a JPEG ripple, never a tick (an
#   empty box reads under 1 %, a light pen's tick from 4.5 %, a pen's from 17 %);
# - "coche" from 5 % ink spread over at least 45 % of the box both across and
#   down: a tick's strokes reach from a third of the box to its far corner
#   (60 % of the box or more), a stray dot (up to 0.8 mm) less than 47 % of a
#   9 pt box, and the blot rule below takes those;
# - "annule" from 85 % ink with every ninth of the box at least 40 % dark on
#   average: a blackened box reads 99 % ink and 60 % dark in its lightest
#   ninth, the heaviest cross (0.6 mm pen in a 9 pt box at 150 dpi) 76 % ink
#   but its four white triangles leave a ninth under 25 % dark;
# - "incertain" otherwise: a dot, a dash, a box half blackened, a heavy cross
#   hard to tell from a fill. HR look at those.
EMPTY_FILL = 0.025
TICK_FILL = 0.05
TICK_EXTENT = 0.45
# A mark spanning less than 60 % of the box and filling more than half its own
# bounding box is a blot (a big dot), not a tick: a dot fills 55 % of its own or
# more, a tick that small (a light pen's) 41 % at most.
SMALL_EXTENT = 0.6
BLOB_SOLIDITY = 0.5
CANCEL_FILL = 0.85
CANCEL_CELL = 0.4
# Between a heavy cross and a fill: this much ink with every ninth this dark is a
# fill left unfinished as much as a cross, and is not called a tick.
HEAVY_FILL = 0.6
HEAVY_CELL = 0.3


@dataclass(frozen=True, slots=True)
class BoxReading:
    """What is inside one tick box: ``fill`` is the share of inked pixels, ``darkness`` the mean.

    Both measured over the box's inner area (its border left out), between 0
    (white) and 1 (as dark as the registration marks).
    """

    box: Box
    state: BoxState
    fill: float
    darkness: float


def read_boxes(image: Grey, page: PaperPage, registration: Registration) -> tuple[BoxReading, ...]:
    """The state of every tick box of ``page`` on ``image``, in the page's order.

    Boxes of one size are read together: the same grid of sample points in
    each box's frame, mapped through the registration, gathered in one
    indexing of the image (no loop over pixels, none over boxes but to name
    the results).
    """
    groups: dict[tuple[float, float], list[int]] = {}
    for index, box in enumerate(page.boxes):
        x0, y0, x1, y1 = box.rect
        groups.setdefault((round(x1 - x0, 2), round(y1 - y0, 2)), []).append(index)
    readings: list[BoxReading | None] = [None] * len(page.boxes)
    for (width, height), indices in groups.items():
        boxes = [page.boxes[i] for i in indices]
        for index, reading in zip(
            indices, _read_same_size(image, boxes, width, height, registration), strict=True
        ):
            readings[index] = reading
    return tuple(reading for reading in readings if reading is not None)


def _read_same_size(
    image: Grey, boxes: list[Box], width: float, height: float, registration: Registration
) -> list[BoxReading]:
    """Boxes of one size, sampled in their own frame (one sample a pixel) through the registration.

    Sampling in the box's frame rather than cutting a rectangle of pixels
    keeps the border out of the inner area whichever way the scan is turned.
    """
    scale = registration.pixels_per_point
    inset = BORDER_WIDTH / 2 + GUARD_POINTS + GUARD_PIXELS / scale
    # Offsets from each box's bottom-left corner (points, y up): the inner area...
    inner_x, inner_y = _grid(inset, width - inset, inset, height - inset, scale)
    # ...and the ring around the box, past the border's blur.
    outer_x, outer_y = _grid(-RING_OUT, width + RING_OUT, -RING_OUT, height + RING_OUT, scale)
    in_ring = (
        (outer_x < -inset)
        | (outer_x > width + inset)
        | (outer_y < -inset)
        | (outer_y > height + inset)
    )
    ring_x, ring_y = outer_x[in_ring], outer_y[in_ring]
    lefts = np.array([box.rect[0] for box in boxes])
    bottoms = np.array([box.rect[1] for box in boxes])
    inner, inner_ok = _gather(image, registration, lefts, bottoms, inner_x, inner_y)
    ring, ring_ok = _gather(image, registration, lefts, bottoms, ring_x, ring_y)
    white = np.full(len(boxes), registration.white)
    if ring.shape[1]:
        local = np.median(ring, axis=1)
        # A ring mostly inked (a fill gone over the edge) says nothing of the paper.
        usable = ring_ok & (local >= registration.white - MIN_CONTRAST / 2)
        white = np.where(usable, local, white)
    contrast = white - registration.black
    darkness = np.clip(
        (white[:, None, None] - inner) / np.maximum(contrast, 1.0)[:, None, None], 0.0, 1.0
    )
    ink = _without_specks(darkness > INK_LEVEL)
    fill = ink.mean(axis=(1, 2))
    light = _without_specks(darkness > LIGHT_LEVEL)
    light_fill = light.mean(axis=(1, 2))
    light_extent = np.minimum(light.any(axis=2).mean(axis=1), light.any(axis=1).mean(axis=1))
    # A trace too light to be ink, drawn across the box: a tick the scan almost lost.
    traced = (light_fill >= TICK_FILL) & (light_extent >= TICK_EXTENT)
    mean_darkness = darkness.mean(axis=(1, 2))
    rows, cols = inner_x.shape
    row_edges = (np.arange(3) * rows) // 3
    col_edges = (np.arange(3) * cols) // 3
    cells = np.add.reduceat(np.add.reduceat(darkness, row_edges, 1), col_edges, 2)
    sizes = np.outer(np.diff([*row_edges, rows]), np.diff([*col_edges, cols]))
    weakest = (cells / sizes).min(axis=(1, 2))  # the lightest ninth's mean darkness
    down, across = ink.any(axis=2).mean(axis=1), ink.any(axis=1).mean(axis=1)
    extent = np.minimum(down, across)
    # The share of the ink's bounding box it fills: a dot is round and solid (about
    # π/4), a tick or a cross is strokes across mostly white.
    solidity = fill / np.maximum(down * across, 1e-9)
    readings = []
    for i, box in enumerate(boxes):
        if not inner_ok[i] or contrast[i] < MIN_CONTRAST:
            # Off the scan (a page cut short), or a washed-out scan: not guessed.
            readings.append(BoxReading(box, "incertain", 0.0, 0.0))
            continue
        state = _state(float(fill[i]), float(weakest[i]), float(extent[i]), float(solidity[i]))
        if state == "vide" and traced[i]:
            state = "incertain"
        readings.append(
            BoxReading(box, state, round(float(fill[i]), 4), round(float(mean_darkness[i]), 4))
        )
    return readings


def _without_specks(ink: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Ink pixels with an inked neighbour (above, below, left or right): noise specks dropped.

    A pen stroke is two pixels wide or more even at 150 dpi (0.3 mm), while
    noise and JPEG ripples darken lone pixels: scattered over the box, they
    would span it like a tick does.
    """
    neighbour = np.zeros_like(ink)
    neighbour[:, 1:, :] |= ink[:, :-1, :]
    neighbour[:, :-1, :] |= ink[:, 1:, :]
    neighbour[:, :, 1:] |= ink[:, :, :-1]
    neighbour[:, :, :-1] |= ink[:, :, 1:]
    cleaned: npt.NDArray[np.bool_] = ink & neighbour
    return cleaned


def _grid(x0: float, x1: float, y0: float, y1: float, scale: float) -> tuple[Floats, Floats]:
    """Sample points over a rectangle, one per pixel, top row first (y going down the rows)."""
    columns = max(3, round((x1 - x0) * scale))
    rows = max(3, round((y1 - y0) * scale))
    xs = x0 + (np.arange(columns) + 0.5) * ((x1 - x0) / columns)
    ys = y1 - (np.arange(rows) + 0.5) * ((y1 - y0) / rows)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return grid_x, grid_y


def _gather(
    image: Grey,
    registration: Registration,
    lefts: Floats,
    bottoms: Floats,
    offset_x: Floats,
    offset_y: Floats,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """The pixels under each box's sample points, and whether the box is wholly on the scan."""
    a, b, c, d, e, f = registration.matrix
    shape = (len(lefts),) + (1,) * offset_x.ndim
    col = (a * lefts + b * bottoms + c).reshape(shape) + (a * offset_x + b * offset_y)
    row = (d * lefts + e * bottoms + f).reshape(shape) + (d * offset_x + e * offset_y)
    col_index, row_index = np.floor(col).astype(np.intp), np.floor(row).astype(np.intp)
    height, width = image.shape
    axes = tuple(range(1, col.ndim))
    on_scan = (
        (col_index.min(axis=axes) >= 0)
        & (row_index.min(axis=axes) >= 0)
        & (col_index.max(axis=axes) < width)
        & (row_index.max(axis=axes) < height)
    )
    np.clip(col_index, 0, width - 1, out=col_index)
    np.clip(row_index, 0, height - 1, out=row_index)
    values: npt.NDArray[np.float32] = image[row_index, col_index].astype(np.float32)
    return values, on_scan


def _state(fill: float, weakest: float, extent: float, solidity: float) -> BoxState:
    """A box's state from its ink: how much, how evenly (the lightest ninth), how far across."""
    if fill < EMPTY_FILL:
        return "vide"
    if fill >= CANCEL_FILL and weakest >= CANCEL_CELL:
        return "annule"
    if fill >= CANCEL_FILL or (fill >= HEAVY_FILL and weakest >= HEAVY_CELL):
        return "incertain"
    if fill >= TICK_FILL and extent >= TICK_EXTENT:
        if extent < SMALL_EXTENT and solidity > BLOB_SOLIDITY:
            return "incertain"  # a blot in the middle of the box, not strokes
        return "coche"
    return "incertain"


# --------------------------------------------------------------------------- answers


def answers_from_boxes(
    readings: tuple[BoxReading, ...], page: PaperPage
) -> tuple[dict[str, str | bool], list[str]]:
    """The answers the ticks of ``page`` give, and a French remark for each one left to HR.

    Boxes sharing a key with string values are one question: exactly one
    tick is its value (a box filled solid beside it is a cancelled choice);
    no tick is no answer; two ticks, a doubtful box, or a filled box alone
    (cancelled, or filled to answer?) give no value and a remark naming the
    question and the options, so HR look at the scan. A check box (value
    ``True``) is ``True`` ticked, ``False`` empty, and left to HR otherwise.
    """
    if len(readings) != len(page.boxes) or any(
        reading.box != box for reading, box in zip(readings, page.boxes, strict=False)
    ):
        raise ValueError(f"the readings are not those of page {page.number}'s boxes")
    questions: dict[str, list[BoxReading]] = {}
    for reading in readings:
        questions.setdefault(reading.box.key, []).append(reading)
    answers: dict[str, str | bool] = {}
    remarks: list[str] = []
    for key, boxes in questions.items():
        if all(isinstance(reading.box.value, bool) for reading in boxes):
            _check_box(key, boxes, answers, remarks)
        else:
            _choice(key, boxes, answers, remarks)
    return answers, remarks


def _choice(
    key: str, boxes: list[BoxReading], answers: dict[str, str | bool], remarks: list[str]
) -> None:
    ticked = [r for r in boxes if r.state == "coche"]
    unsure = [r for r in boxes if r.state == "incertain"]
    filled = [r for r in boxes if r.state == "annule"]
    if len(ticked) == 1 and not unsure:
        answers[key] = ticked[0].box.value
        return
    if not ticked and not unsure and not filled:
        return  # not answered
    parts: list[str] = []
    if len(ticked) > 1:
        parts.append(f"plusieurs cases cochées ({_options(ticked)})")
    elif ticked:
        parts.append(f"case cochée ({_options(ticked)})")
    if unsure:
        plural = "s" if len(unsure) > 1 else ""
        parts.append(f"marque{plural} douteuse{plural} ({_options(unsure)})")
    if filled and not ticked:
        plural = "s" if len(filled) > 1 else ""
        parts.append(f"case{plural} noircie{plural} ({_options(filled)}) : annulée ou choisie ?")
    remarks.append(f"« {key} » : {', '.join(parts)} ; réponse à confirmer sur le scan.")


def _check_box(
    key: str, boxes: list[BoxReading], answers: dict[str, str | bool], remarks: list[str]
) -> None:
    states = {reading.state for reading in boxes}
    if states == {"vide"}:
        answers[key] = False
    elif states == {"coche"} or states == {"coche", "vide"}:
        answers[key] = True
    elif "incertain" in states:
        remarks.append(
            f"« {key} » : marque douteuse dans la case (trait léger, point ou case à moitié "
            "remplie) ; réponse à confirmer sur le scan."
        )
    else:
        remarks.append(
            f"« {key} » : case noircie : annulée ou cochée ? Réponse à confirmer sur le scan."
        )


def _options(readings: list[BoxReading]) -> str:
    return ", ".join(str(reading.box.value) for reading in readings)
