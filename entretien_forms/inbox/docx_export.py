"""Read our Word form exported to PDF ("Exporter au format PDF") from the text of its pages.

A manager opens the Word form, fills it, and exports it to PDF from Word or
LibreOffice. The file has no fields and no custom properties, only the Word
form's QR code (the caller identified the form by it) and the answers as
text, laid out as the Word document laid them out. The layout says which
texts are the form's own and in which order they come; the answers are read
around them, by position on the page:

- every page is cut into segments: the characters of one line, left to right,
  until a gap wider than a word space (two cells or two columns side by side
  are two segments). The page header and footer, printed identically on every
  page, are left out;
- the form's own texts are found among the segments: section titles,
  guidance, each field's label, help and list of choices, each table's header
  and row labels, each option of a multiple choice. A text that wraps is
  found as the segments that continue each other, line under line;
- a plain answer is what lies under its field's texts: each other segment
  belongs to the nearest text of the form above it that it overlaps
  horizontally (the short fields stand two by two: the two columns do not
  overlap); the lines of a long answer are kept as lines where a paragraph
  ends, joined with a space where the line only wrapped;
- a table's columns run from the left of each header text to the next; its
  rows are found by their labels in the first column ("1", "2"... or the
  skill's name), and each cell's text goes to the row whose label is nearest
  vertically (cells are centred on their row);
- check boxes are the ☒ and ☐ glyphs Word draws at the start of the line (an
  X typed instead counts as ticked); a drop-down's shown text ("3 – Maîtrisée")
  is mapped back to its value; a control's placeholder ("Saisir ici",
  "Choisir", "jj/mm/aaaa", "Non renseigné") is no answer.

``read_docx_export`` gives ``None`` when fewer than half of the form's labels
are in the text: the PDF is not our Word form's export (a scan, another
document, a text without usable characters), and the caller keeps it for
keying. Pages are measured before pdfium parses them (``scan``'s page cost
and time limits), and a file of more than ``MAX_PAGES`` pages is not read.
Who the form is for is not read here: the caller's identity stands.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

from entretien_forms.forms.contract import (
    LOCKED_PLACEHOLDER,
    PLACEHOLDERS,
    list_items,
    option_key,
    rating_items,
)
from entretien_forms.forms.model import Column, Field, FormLayout, Table
from entretien_forms.inbox import scan
from entretien_forms.inbox.model import ClaimedIdentity, Extraction, RawAnswer

__all__ = ["MAX_PAGES", "MAX_SEGMENTS", "read_docx_export"]

# Our forms run to a dozen pages; a longer PDF is another document.
MAX_PAGES = 50
# More segments than this in the whole file is not our form: its texts are not looked
# for (matching them costs texts × segments). A 12-page form has 2,000.
MAX_SEGMENTS = 10_000
# Half of the form's labels must be found in the text of the pages.
_LABELS_FOUND = 0.5
# A gap wider than this (points) between two characters of a line separates two
# segments: a word space is 2 to 3 points; two cells or columns are 10 points apart
# at least (the cells' margins).
_SEGMENT_GAP = 6.0
_WIDE_GAP = 0.6  # ...or this share of the text's size, for large text
# Characters whose baselines differ by less than this share of their size are on
# one line (a required mark "*" is drawn a little higher).
_SAME_LINE = 0.35
# The next line of a wrapped text starts within this many points of the first one's
# left, less than 2.3 line heights below.
_LEFT_TOLERANCE = 4.0
_NEXT_LINE = 2.3
# Where a table's column starts: this many points left of its header's text.
_COLUMN_MARGIN = 3.0
# The page header and footer: segments printed the same on two pages or more, in
# these top and bottom shares of the page.
_HEADER_BAND = 0.14
_FOOTER_BAND = 0.08
# A longer drop than the shortest one of an answer, by this much (points), is a new
# paragraph (paragraph spacing), not a wrapped line.
_PARAGRAPH_EXTRA = 2.5
# A line of one word ending this many sizes (ems) from its place's right edge, with no
# space after it, is a word too long for the line, cut there (the cells' margins and
# the estimate of the edge take about one).
_CUT_WORD = 2.0
# Text render modes that leave nothing on the page (ISO 32000-1, 9.3.6).
_INVISIBLE_MODES = frozenset({3, 7})
# What a check box shows: ticked (Word's ☒, or a cross or an X typed instead), or not.
_TICKED = frozenset("☒☑✓✔✗✘xX")
_UNTICKED = frozenset("☐□")
# pdfium's mark for a hyphen that ends a line, the soft hyphen, other hyphens.
_LINE_HYPHEN = "\x02"
_HYPHENS = re.compile("[-\x02\xad\u2010\u2011]")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " ", "\u202f": " "})
_EMPTY = frozenset(
    [*(p for p in PLACEHOLDERS.values()), LOCKED_PLACEHOLDER],
)


# --------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class _Segment:
    """The text of one line between two wide gaps, with its box (page coordinates)."""

    text: str
    left: float
    right: float
    bottom: float
    top: float
    baseline: float
    size: float
    index: int  # position on its page, for identity
    space_after: bool  # pdfium reads a space after it: a line that wrapped between words
    squeezed: str  # the text as texts are compared (``_squeezed``)

    @property
    def centre(self) -> float:
        return (self.bottom + self.top) / 2


@dataclass(frozen=True)
class _Char:
    text: str
    left: float
    right: float
    bottom: float
    top: float
    baseline: float
    size: float
    space_before: bool  # pdfium reads a space (typed or inferred) just before it
    space_after: bool = False


def _chars(text_page: pdfium.PdfTextPage) -> list[_Char]:
    """The visible characters of a page in pdfium's order, each saying if a space precedes it."""
    raw = text_page.raw
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    x, y = ctypes.c_double(), ctypes.c_double()
    modes: dict[int, int] = {}
    space = False
    found: list[_Char] = []
    for index in range(pdfium_c.FPDFText_CountChars(raw)):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        try:
            text = chr(code)
        except (ValueError, OverflowError):
            text = "\ufffd"
        generated = bool(pdfium_c.FPDFText_IsGenerated(raw, index))
        if text in "\r\n" or text == "\ufffe":
            continue
        if text.isspace():
            # A space pdfium inferred from a gap separates words within a line; only
            # a space the file holds says that a line ending with it wrapped there.
            space = True
            if not generated and found and not found[-1].space_after:
                found[-1] = replace(found[-1], space_after=True)
            continue
        handle = pdfium_c.FPDFText_GetTextObject(raw, index)
        obj = ctypes.cast(handle, ctypes.c_void_p).value if handle else None
        if obj is not None:
            if obj not in modes:
                modes[obj] = pdfium_c.FPDFTextObj_GetTextRenderMode(handle)
            if modes[obj] in _INVISIBLE_MODES:
                space = False
                continue
        elif not generated:
            continue
        pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top)
        pdfium_c.FPDFText_GetCharOrigin(raw, index, x, y)
        size = pdfium_c.FPDFText_GetFontSize(raw, index) or 10.0
        found.append(
            _Char(text, left.value, right.value, bottom.value, top.value, y.value, size, space)
        )
        space = False
    return found


def _segments(chars: Sequence[_Char]) -> list[_Segment]:
    """The page's characters cut into segments: one line, left to right, no wide gap."""
    lines: list[list[_Char]] = []
    for char in sorted(chars, key=lambda c: -c.baseline):
        if lines and abs(lines[-1][0].baseline - char.baseline) <= _SAME_LINE * max(
            char.size, lines[-1][0].size, 1.0
        ):
            lines[-1].append(char)
        else:
            lines.append([char])
    found: list[_Segment] = []
    for line in lines:
        line.sort(key=lambda c: c.left)
        run: list[_Char] = []
        for char in line:
            if run and char.left - run[-1].right > max(_SEGMENT_GAP, _WIDE_GAP * char.size):
                found.append(_segment(run, len(found)))
                run = []
            run.append(char)
        if run:
            found.append(_segment(run, len(found)))
    return found


def _segment(run: Sequence[_Char], index: int) -> _Segment:
    parts: list[str] = []
    for previous, char in zip([None, *run[:-1]], run, strict=True):
        if previous is not None:
            size = max(previous.size, char.size, 1.0)
            if char.space_before or char.left - previous.right > _WIDE_GAP * size:
                parts.append(" ")
        parts.append(char.text)
    sizes = sorted(c.size for c in run)
    text = "".join(parts)
    return _Segment(
        text=text,
        left=min(c.left for c in run),
        right=max(c.right for c in run),
        bottom=min(c.bottom for c in run),
        top=max(c.top for c in run),
        baseline=max(c.baseline for c in run),
        size=sizes[len(sizes) // 2],
        index=index,
        space_after=run[-1].space_after,
        squeezed=_squeezed(text),
    )


@dataclass
class _Page:
    number: int  # 1-based
    width: float
    height: float
    segments: list[_Segment]
    furniture: set[int] = field(default_factory=set)  # header and footer segments


def _mark_furniture(pages: Sequence[_Page]) -> None:
    """Set aside the segments printed alike on two pages or more at their top or bottom."""
    seen: dict[tuple[str, int, int], list[tuple[_Page, int]]] = {}
    for page in pages:
        for seg in page.segments:
            if page.height * (1 - _HEADER_BAND) < seg.bottom or seg.top < page.height * (
                _FOOTER_BAND
            ):
                key = (re.sub(r"\d", "#", seg.squeezed), round(seg.left / 2), round(seg.bottom / 2))
                seen.setdefault(key, []).append((page, seg.index))
    for places in seen.values():
        if len({page.number for page, _ in places}) > 1:
            for page, index in places:
                page.furniture.add(index)


# --------------------------------------------------------------------------- the form's texts


@dataclass(frozen=True)
class _Text:
    """A text the form prints, and the answer that follows it, if any."""

    text: str
    field: Field | None = None  # the answer under it is this field's
    label: bool = False  # a label: counts for telling our form
    option: int | None = None  # a check box line: the option (1-based), 0 for a check box


@dataclass(frozen=True)
class _Found:
    """A text of the form found on a page: the segments it spans."""

    text: _Text
    page: int
    segments: tuple[_Segment, ...]

    @property
    def left(self) -> float:
        return min(s.left for s in self.segments)

    @property
    def right(self) -> float:
        return max(s.right for s in self.segments)

    @property
    def bottom(self) -> float:
        return min(s.bottom for s in self.segments)

    @property
    def top(self) -> float:
        return max(s.top for s in self.segments)


def _legend(item: Field | Column) -> str | None:
    """The options of a list as the Word form prints them under it."""
    if item.type == "choice" and item.options:
        return " · ".join(item.options)
    if item.type == "rating" and item.scale:
        return " · ".join(display for display, _ in rating_items(item))
    return None


def _form_texts(layout: FormLayout) -> tuple[list[_Text], list[Table]]:
    """The texts the Word form prints around its answers, and its tables."""
    texts = [_Text(layout.title), _Text(layout.privacy_notice)]
    texts.append(_Text("* : réponse obligatoire"))
    tables: list[Table] = []
    for section in layout.sections:
        texts.append(_Text(section.title))
        if section.guidance:
            texts.append(_Text(section.guidance))
        for item in section.items:
            if isinstance(item, Table):
                tables.append(item)
                texts.append(_Text(item.label, label=True))
                if item.help:
                    texts.append(_Text(item.help))
                for column in item.columns:
                    legend = _legend(column)
                    if legend:
                        texts.append(_Text(f"{column.label} : {legend}"))
                continue
            required = " *" if item.required else ""
            if item.type == "checkbox":
                texts.append(_Text(item.label + required, item, label=True, option=0))
                if item.help:
                    texts.append(_Text(item.help))
                continue
            texts.append(_Text(item.label + required, item, label=True))
            if item.help:
                texts.append(_Text(item.help, item))
            legend = _legend(item)
            if legend:
                texts.append(_Text(f"Choix possibles : {legend}", item))
            if item.type == "multichoice":
                texts.extend(
                    _Text(option, item, option=n) for n, option in enumerate(item.options, 1)
                )
    return texts, tables


# --------------------------------------------------------------------------- public API


def read_docx_export(data: bytes, name: str, layout: FormLayout) -> Extraction | None:
    """The answers of our Word form exported to PDF, read from its text; ``None`` if not ours.

    ``layout`` is the layout the form was issued with (the caller identified
    the file by its QR code). ``None`` means the text does not hold half of
    the form's labels, or the file has more than ``MAX_PAGES`` pages: the
    caller reads it another way. The identity of the result is empty: the
    caller's stands. ``name`` is the file's name, for the notes. A file qpdf
    or pdfium cannot open raises the scan reader's ``RejectedFile``.
    """
    pages: list[_Page] = []
    unread: list[int] = []
    with scan._qpdf(data, name) as pdf:
        tree = scan._page_tree(pdf, name)
        if not tree or len(tree) > MAX_PAGES:
            return None
        with scan._pdfium(data, name, len(tree)) as document:
            deadline = time.monotonic() + scan.FILE_SECONDS + scan.SECONDS_PER_PAGE * len(tree)
            for number, (page_dict, resources) in enumerate(tree, 1):
                if time.monotonic() > deadline or not scan._bounded(page_dict, resources, name):
                    unread.append(number)
                    continue
                page = document[number - 1]
                try:
                    width, height = page.get_size()
                    text_page = page.get_textpage()
                    try:
                        chars = _chars(text_page)
                    finally:
                        text_page.close()
                finally:
                    page.close()
                pages.append(_Page(number, width, height, _segments(chars)))
            producer = _producer(document)
    if sum(len(page.segments) for page in pages) > MAX_SEGMENTS:
        return None
    _mark_furniture(pages)
    texts, tables = _form_texts(layout)
    reader = _Reader(pages)
    found = reader.find_texts(texts)
    labels = [t for t in texts if t.label]
    labels_found = {id(f.text) for f in found if f.text.label}
    if not labels or len(labels_found) < _LABELS_FOUND * len(labels):
        return None
    answers: dict[str, RawAnswer] = {}
    notes: list[str] = []
    taken = reader.read_tables(tables, answers)
    reader.read_fields(found, taken, answers)
    notes.insert(
        0,
        f"Formulaire Word exporté en PDF (sans champs) : réponses lues dans le texte de "
        f"« {name} » ; vérifiez-les.",
    )
    if unread:
        listed = ", ".join(str(n) for n in unread)
        notes.append(
            f"Page(s) {listed} du PDF non lue(s) (page trop lourde ou temps dépassé) : "
            "saisissez leurs réponses."
        )
    return Extraction(identity=ClaimedIdentity(), answers=answers, producer=producer, notes=notes)


def _producer(document: pdfium.PdfDocument) -> str | None:
    metadata = document.get_metadata_dict(skip_empty=True)
    producer, creator = metadata.get("Producer"), metadata.get("Creator")
    if producer and creator and creator != producer:
        return f"{producer} ({creator})"
    return producer or creator or None


# --------------------------------------------------------------------------- reading


@dataclass
class _TablePlace:
    """Where a table stands on one page: its columns and rows."""

    page: int
    header: tuple[_Found, ...]
    starts: tuple[float, ...]  # left edge of each column of answers
    rows: list[tuple[int, float]]  # (row index, vertical centre of its label)
    top: float
    bottom: float


class _Reader:
    def __init__(self, pages: Sequence[_Page]) -> None:
        self.pages = {page.number: page for page in pages}
        # The segments that are the form's texts, by page: not answers.
        self.static: dict[int, set[int]] = {page.number: set() for page in pages}

    def _body(self, page: _Page) -> list[_Segment]:
        return [s for s in page.segments if s.index not in page.furniture]

    # --- the form's texts

    def find_texts(self, texts: Sequence[_Text]) -> list[_Found]:
        """Where each text of the form is printed.

        A field's label is its first place not taken by a text before it; its
        help, list of choices and options are the first places after its
        label; the other texts (titles, guidance) are wherever they are printed.
        """
        found: list[_Found] = []
        taken: set[tuple[int, int]] = set()
        labels: dict[str, _Found] = {}
        for text in texts:
            places = self._places(text, taken)
            if not places and text.text.endswith(" *"):  # the required mark drawn apart
                places = self._places(replace(text, text=text.text[:-2]), taken)
            if text.field is not None:
                label = labels.get(text.field.id)
                if label is not None:
                    places = [p for p in places if _order(p) > _order(label)]
                    places.sort(key=_order)
                places = places[:1]
                if text.label and places:
                    labels[text.field.id] = places[0]
            for place in places:
                taken.update((place.page, s.index) for s in place.segments)
                self.static[place.page].update(s.index for s in place.segments)
                found.append(place)
        return found

    def _places(self, text: _Text, taken: set[tuple[int, int]]) -> list[_Found]:
        places: list[_Found] = []
        for page in self.pages.values():
            for chain in _chains(text, self._body(page)):
                if not any((page.number, s.index) in taken for s in chain):
                    places.append(_Found(text, page.number, chain))
        return places

    # --- tables

    def read_tables(
        self, tables: Sequence[Table], answers: dict[str, RawAnswer]
    ) -> dict[int, list[tuple[float, float]]]:
        """Read each table's cells; the vertical spans the tables take, by page."""
        spans: dict[int, list[tuple[float, float]]] = {}
        for table in tables:
            next_row = 0
            cells: dict[tuple[int, int], tuple[list[_Segment], float]] = {}
            for page in self.pages.values():
                if next_row >= len(table.rows):
                    break
                place = self._table_place(table, page, next_row)
                if place is None:
                    continue
                spans.setdefault(page.number, []).append((place.bottom, place.top))
                if place.rows:
                    next_row = place.rows[-1][0] + 1
                self._cells(place, page, cells)
            for (row, column), (segments, right) in cells.items():
                answers.update(_value(table.rows[row].cells[column], segments, right))
        return spans

    def _table_place(self, table: Table, page: _Page, first_row: int) -> _TablePlace | None:
        body = list(self._body(page))
        headers = _header(table, body, self.static[page.number])
        if headers is None:
            return None
        starts = tuple(h.left - _COLUMN_MARGIN for h in headers)
        header_bottom = min(h.bottom for h in headers)
        header_top = max(h.top for h in headers)
        header_ids = {s.index for h in headers for s in h.segments}
        lead = sorted(
            (
                s
                for s in body
                if s.left < starts[0] and s.top < header_bottom + 1 and s.index not in header_ids
            ),
            key=lambda s: (-s.baseline, s.left),
        )
        rows: list[tuple[int, float]] = []
        used: set[int] = set()
        bottom = 0.0
        expected = first_row
        for seg in lead:
            if seg.index in used:
                continue
            matched = None
            for candidate in range(expected, len(table.rows)):
                row = table.rows[candidate]
                target = _Text(row.label if row.label is not None else row.key)
                chain = next(iter(_chains(target, lead, start=seg)), None)
                if chain is not None:
                    matched = (candidate, chain)
                    break
                if rows:  # rows follow each other: only the next one may come
                    break
            if matched is None:
                bottom = seg.top
                break
            candidate, chain = matched
            used.update(s.index for s in chain)
            centre = (min(s.bottom for s in chain) + max(s.top for s in chain)) / 2
            rows.append((candidate, centre))
            expected = candidate + 1
        if not rows:
            return None
        self.static[page.number].update(header_ids | used)
        return _TablePlace(page.number, headers, starts, rows, header_top, bottom)

    def _cells(
        self,
        place: _TablePlace,
        page: _Page,
        cells: dict[tuple[int, int], tuple[list[_Segment], float]],
    ) -> None:
        header_bottom = min(h.bottom for h in place.header)
        for seg in self._body(page):
            if seg.index in self.static[page.number]:
                continue
            if not (place.bottom < seg.centre < header_bottom) or seg.left < place.starts[0]:
                continue
            column = max(i for i, start in enumerate(place.starts) if seg.left >= start)
            row = min(place.rows, key=lambda r: abs(r[1] - seg.centre))[0]
            ends = (*place.starts[1:], page.width - _margin(page))
            cells.setdefault((row, column), ([], ends[column] - _COLUMN_MARGIN))[0].append(seg)

    # --- fields out of tables

    def read_fields(
        self,
        found: Sequence[_Found],
        tables: dict[int, list[tuple[float, float]]],
        answers: dict[str, RawAnswer],
    ) -> None:
        """Each field's answer: the segments under its texts; check boxes from their lines."""
        owned: dict[str, list[_Segment]] = {}
        fields: dict[str, Field] = {}
        edges: dict[str, float] = {}  # the right edge of the answer's text, as far as its left
        for place in found:
            text = place.text
            if text.field is not None and text.option is not None:
                mark = _mark(place.segments[0].text)
                if mark is not None:
                    key = (
                        text.field.id
                        if text.option == 0
                        else option_key(text.field.id, text.option)
                    )
                    answers[key] = RawAnswer(mark, "pdf_text")
        by_page: dict[int, list[_Found]] = {}
        for place in found:
            by_page.setdefault(place.page, []).append(place)
        for number, page in self.pages.items():
            anchors = by_page.get(number, [])
            for seg in self._body(page):
                if seg.index in self.static[number] or seg.squeezed == "*":
                    continue
                if any(low <= seg.centre <= high for low, high in tables.get(number, [])):
                    continue
                owner = _owner(seg, anchors)
                if owner is None:
                    continue
                target = owner.text.field
                if target is None or owner.text.option is not None:
                    continue
                if target.type in ("checkbox", "multichoice"):
                    continue
                owned.setdefault(target.id, []).append(seg)
                fields[target.id] = target
                edges.setdefault(target.id, page.width - seg.left)
        for field_id, segments in owned.items():
            answers.update(_value(fields[field_id], segments, edges[field_id]))


# --------------------------------------------------------------------------- matching


def _chains(
    text: _Text, segments: Sequence[_Segment], start: _Segment | None = None
) -> Iterator[tuple[_Segment, ...]]:
    """The runs of segments, line under line, that print ``text`` (a box line: after its mark)."""
    target = _squeezed(text.text)
    if not target:
        return
    firsts = [start] if start is not None else segments
    for first in firsts:
        head = first.squeezed
        if text.option is not None:
            if not head or _mark(first.text) is None:
                continue
            head = head[1:]
        if not head or not target.startswith(head):
            continue
        chain = [first]
        rest = target[len(head) :]
        while rest:
            below = _next_line(chain[-1], chain[0], segments, rest)
            if below is None:
                break
            chain.append(below)
            rest = rest[len(below.squeezed) :]
        if not rest:
            yield tuple(chain)


def _next_line(
    last: _Segment, first: _Segment, segments: Sequence[_Segment], rest: str
) -> _Segment | None:
    """The segment on the line under ``last``, aligned with the text's start, that goes on."""
    best = None
    for seg in segments:
        drop = last.baseline - seg.baseline
        if not (0 < drop <= _NEXT_LINE * max(last.size, seg.size)):
            continue
        if abs(seg.left - first.left) > _LEFT_TOLERANCE and abs(seg.left - last.left) > (
            _LEFT_TOLERANCE
        ):
            continue
        squeezed = seg.squeezed
        if (
            squeezed
            and rest.startswith(squeezed)
            and (best is None or seg.baseline > best.baseline)
        ):
            best = seg
    return best


def _header(table: Table, body: Sequence[_Segment], claimed: set[int]) -> tuple[_Found, ...] | None:
    """The header texts of the table's columns on a page, left to right, if all are there.

    ``claimed``: segments already read as another table's (two tables may
    have the same columns).
    """
    texts = [_Text(column.label) for column in table.columns]
    body = [s for s in body if s.index not in claimed]
    for first in _chains(texts[0], body):
        found = [_Found(texts[0], 0, first)]
        for text in texts[1:]:
            previous = found[-1]
            band = (min(s.bottom for s in first) - 2, max(s.top for s in first) + 2)
            candidates = [
                _Found(text, 0, chain)
                for chain in _chains(text, body)
                if min(s.left for s in chain) > previous.left
                and min(s.bottom for s in chain) < band[1]
                and max(s.top for s in chain) > band[0]
            ]
            if not candidates:
                break
            found.append(min(candidates, key=lambda f: f.left))
        if len(found) == len(texts):
            return tuple(found)
    return None


def _owner(seg: _Segment, anchors: Sequence[_Found]) -> _Found | None:
    """The form's text right above ``seg`` that it overlaps horizontally."""
    best = None
    for anchor in anchors:
        if anchor.bottom < seg.centre or anchor.top <= seg.top:
            continue
        if anchor.right <= seg.left or seg.right <= anchor.left:
            continue
        if best is None or anchor.bottom < best.bottom:
            best = anchor
    return best


def _order(place: _Found) -> tuple[int, float]:
    """Where a text stands in reading order, page by page, top to bottom."""
    return (place.page, -place.top)


def _margin(page: _Page) -> float:
    """The page's left margin: where its leftmost text starts (the right one is alike)."""
    return min((s.left for s in page.segments if s.index not in page.furniture), default=0.0)


def _mark(text: str) -> bool | None:
    """Whether a check box line starts ticked (True), unticked (False), or with no box (None)."""
    head = text.lstrip()[:1]
    if head in _TICKED:
        return True
    if head in _UNTICKED:
        return False
    return None


def _squeezed(text: str) -> str:
    """Text without white space or hyphens, case folded: texts wrap and space differently."""
    text = unicodedata.normalize("NFC", text.translate(_APOSTROPHES))
    return _HYPHENS.sub("", _SPACES.sub("", text)).casefold()


# --------------------------------------------------------------------------- values


def _value(item: Field, segments: Sequence[_Segment], right: float) -> dict[str, RawAnswer]:
    """The answer(s) the segments of one field or cell show, by key.

    ``right`` is where the lines of the answer's place end: how a long
    answer's lines are told wrapped or broken.
    """
    ordered = sorted(segments, key=lambda s: (-s.baseline, s.left))
    if item.type == "checkbox":
        marks = [_mark(s.text) for s in ordered]
        known = [m for m in marks if m is not None]
        if len(known) == 1:
            return {item.id: RawAnswer(known[0], "pdf_text")}
        return {}
    if item.type == "multichoice":
        return _options(item, ordered)
    lines = _lines(ordered)
    if item.type == "longtext":
        text = _paragraphs(lines, right)
    else:
        text = " ".join(_joined(lines, right).split())
    if not text.strip() or _squeezed(text) in {_squeezed(e) for e in _EMPTY}:
        return {}
    if item.type in ("choice", "rating"):
        wanted = _squeezed(text)
        for shown, value in list_items(item):
            if _squeezed(shown) == wanted or _squeezed(value) == wanted:
                return {item.id: RawAnswer(value, "pdf_text")}
    return {item.id: RawAnswer(text, "pdf_text")}


def _options(item: Field, ordered: Sequence[_Segment]) -> dict[str, RawAnswer]:
    """Each option's tick in a table cell: a mark, then the option's text."""
    answers: dict[str, RawAnswer] = {}
    lines = _lines(ordered)
    current: tuple[bool, str] | None = None
    entries: list[tuple[bool, str]] = []
    for line in lines:
        text = " ".join(s.text for s in line)
        mark = _mark(text)
        if mark is not None:
            if current is not None:
                entries.append(current)
            current = (mark, _squeezed(text)[1:])
        elif current is not None:
            current = (current[0], current[1] + _squeezed(text))
    if current is not None:
        entries.append(current)
    for n, option in enumerate(item.options, 1):
        for mark, text in entries:
            if text == _squeezed(option):
                answers[option_key(item.id, n)] = RawAnswer(mark, "pdf_text")
                break
    return answers


def _lines(ordered: Sequence[_Segment]) -> list[list[_Segment]]:
    """Segments grouped by line, top to bottom, each line left to right."""
    lines: list[list[_Segment]] = []
    for seg in ordered:
        if lines and abs(lines[-1][0].baseline - seg.baseline) <= _SAME_LINE * seg.size:
            lines[-1].append(seg)
        else:
            lines.append([seg])
    for line in lines:
        line.sort(key=lambda s: s.left)
    return lines


def _line_text(line: Sequence[_Segment]) -> str:
    return " ".join(s.text.strip() for s in line)


def _joined(lines: Sequence[Sequence[_Segment]], right_edge: float) -> str:
    """The lines of a one-line answer that wrapped, joined as it was typed."""
    out = _line_text(lines[0]) if lines else ""
    for previous, line in itertools.pairwise(lines):
        out = _join(out, previous, _line_text(line), right_edge)
    return out.replace(_LINE_HYPHEN, "-")


def _join(out: str, previous: Sequence[_Segment], text: str, right_edge: float) -> str:
    """``text``, the next line, after ``out`` whose last line is ``previous``, as it wrapped.

    A space between them, but for a hyphen that ended the line, or a word too
    long for the line cut where the line ended (a single word filling it, with
    no space after).
    """
    if out.endswith(_LINE_HYPHEN):
        return out[:-1] + "-" + text
    last = previous[-1]
    if (
        len(previous) == 1
        and " " not in last.text.strip()
        and not last.space_after
        and last.right >= right_edge - _CUT_WORD * last.size
    ):
        return out + text
    return out + " " + text


def _paragraphs(lines: Sequence[Sequence[_Segment]], right_edge: float) -> str:
    """The lines of a long answer: a new line where a paragraph ended, joined where it wrapped.

    A paragraph ended where the next line's first word would have fitted on
    the line before (the text did not wrap), or where the drop between the
    lines is longer than the shortest drop of the answer (paragraph spacing).
    """
    if not lines:
        return ""
    drops = [a[0].baseline - b[0].baseline for a, b in itertools.pairwise(lines)]
    shortest = min(drops, default=0.0)
    out = _line_text(lines[0])
    for previous, line, drop in zip(lines, lines[1:], drops, strict=False):
        text = _line_text(line)
        first_word = text.split(" ", 1)[0]
        size = line[0].size
        word_width = (line[0].right - line[0].left) * len(first_word) / max(len(line[0].text), 1)
        fits = previous[-1].right + 0.3 * size + word_width < right_edge - size
        if drop > shortest + _PARAGRAPH_EXTRA or fits:
            out = out.replace(_LINE_HYPHEN, "-") + "\n" + text
        else:
            out = _join(out, previous, text, right_edge)
    return out.replace(_LINE_HYPHEN, "-")
