"""Keying sheets (« fiches de saisie ») for the paper returns whose handwriting waits for HR.

A scanned form's tick boxes are read when it arrives; its handwriting is
not. For each such return this module cuts every writing zone out of the
archived scan (located through the page's registration marks and the form's
printed geometry, its ``PaperMap``) and writes one fillable PDF in
``saisie/<campagne>/``: the zone's picture, the question, an empty field
under it; then the tick-box questions as read, to confirm. HR fills it and
drops it in the inbox, where ``inbox/keying_reader.py`` reads it back.

A return whose pages cannot be located (marks not found, a form issued
before the tool read paper, a template gone) still gets a sheet: the pages
of the scan are shown whole, with the fields to fill below, and the report
says why. One return's trouble never stops the others.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pikepdf
from PIL import Image

from entretien_forms.errors import EntretienError, RejectedFile
from entretien_forms.forms import Catalog, load_catalog
from entretien_forms.forms.contract import OPTION_SEPARATOR, radio_options
from entretien_forms.forms.model import Field, FormLayout
from entretien_forms.forms.paper import Box, PaperMap, PaperPage, Rect, Zone, ZoneKind
from entretien_forms.forms.prefill import label_context
from entretien_forms.identity import sign_keying
from entretien_forms.inbox.marks import Registration, answers_from_boxes, read_boxes, register
from entretien_forms.inbox.scan import ScanFormat, page_image
from entretien_forms.render.keying import (
    ScannedPage,
    SheetHeader,
    TickOption,
    TickQuestion,
    WrittenAnswer,
    render_keying_sheet,
)
from entretien_forms.sanitize import safe_filename
from entretien_forms.store import AnswerValue, IssuedForm, Store, Submission
from entretien_forms.workspace import Workspace

__all__ = ["KEYING_FOLDER", "KeyingReport", "KeyingSheet", "make_keying_sheets"]


KEYING_FOLDER = "saisie"
SCAN_DPI = 200  # the scan drawn again at the resolution it was read at
ZONE_MARGIN = 6.0  # points of paper kept around a zone: a word written over its line
BOX_MARGIN = 5.0
# A zone is blank when, inside its printed frame (inset so the frame's line and a
# slightly skewed scan stay out), fewer than this many pixels are darker than
# ``BLANK_LEVEL``: a speck of dust is a few pixels, one written digit a hundred at
# 200 dpi. Blank zones get no picture, which keeps the sheet short; when in doubt
# a zone counts as written.
BLANK_INSET = 3.5
BLANK_LEVEL = 160
BLANK_PIXELS = 15

Grey = npt.NDArray[np.uint8]
# Finds how a scanned page lies (page points to scan pixels): ``None`` when its
# registration marks are not found. ``marks.register``, or a known transform in tests.
Locate = Callable[[Grey, PaperMap], Registration | None]


@dataclass(frozen=True)
class KeyingSheet:
    """One sheet written, and what HR should know about it."""

    path: Path
    reference: str
    matricule: str
    written: int  # handwritten answers to key
    ticks: int  # tick-box questions to confirm
    notes: tuple[str, ...] = ()  # French: pages shown whole, and why


@dataclass
class KeyingReport:
    """Every sheet written, every return left without one (with why), and the folder."""

    folder: Path
    sheets: list[KeyingSheet] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # already there: HR may be filling them
    problems: list[str] = field(default_factory=list)  # French: a return left without a sheet


def make_keying_sheets(
    workspace: Workspace,
    store: Store,
    *,
    only: Sequence[str] | None = None,
    now: datetime,
    replace: bool = False,
    locate: Locate | None = None,
) -> KeyingReport:
    """Write the keying sheet of every current paper return awaiting keying (or of ``only``).

    ``only`` names references: their current paper return gets a sheet even
    when already keyed (to correct it). A sheet already in ``saisie/`` is
    kept unless ``replace``: HR may be filling it. ``locate`` replaces the
    registration-mark reader (tests).
    """
    report = KeyingReport(workspace.root / KEYING_FOLDER)
    targets = _targets(store, only, report)
    if not targets:
        return report
    context = _Context(workspace, store, now, locate or register)
    for submission in targets:
        try:
            _one(context, submission, report, replace=replace)
        except RejectedFile as exc:
            report.problems.append(f"{submission.reference} : {exc.reason} {exc.advice}")
        except OSError as exc:  # the archived scan unreadable, the sheet not writable
            report.problems.append(
                f"{submission.reference} : fiche non écrite ({exc.strerror or exc}). "
                "Vérifiez la place sur le disque et les droits du dossier, puis relancez."
            )
    return report


# --------------------------------------------------------------------------- targets


def _targets(store: Store, only: Sequence[str] | None, report: KeyingReport) -> list[Submission]:
    if only is None:
        return store.awaiting_keying()
    current = {s.reference: s for s in store.submissions() if s.paper}
    found = []
    for reference in dict.fromkeys(r.strip() for r in only):
        submission = current.get(reference)
        if submission is not None:
            found.append(submission)
        elif store.issued(reference) is None:
            report.problems.append(
                f"{reference} : référence inconnue de cet espace de travail (voir « entretien "
                "status »)."
            )
        else:
            report.problems.append(
                f"{reference} : aucun formulaire papier scanné n'est enregistré pour cette "
                "référence ; rien à saisir."
            )
    return found


# --------------------------------------------------------------------------- one return


@dataclass
class _Context:
    """What every return of a run shares: read once."""

    workspace: Workspace
    store: Store
    now: datetime
    locate: Locate
    _names: dict[str, str] | None = None
    _catalog: Catalog | None = None
    _layouts: dict[tuple[str, str | None, str, str | None], FormLayout | None] = field(
        default_factory=dict
    )

    def employee_name(self, matricule: str) -> str:
        if self._names is None:
            self._names = {
                e.matricule: f"{e.prenom} {e.nom}".strip() for e in self.store.current_employees()
            }
        return self._names.get(matricule, f"matricule {matricule}")

    def layout(self, issued: IssuedForm | None, submission: Submission) -> FormLayout | None:
        """The form as it was laid out for this return (labels of questions), if still known."""
        grid = issued.grid if issued else None
        occasions = issued.occasions if issued else None
        key = (submission.form_id, grid, submission.campaign, occasions)
        if key not in self._layouts:
            self._layouts[key] = self._build_layout(issued, submission)
        return self._layouts[key]

    def _build_layout(self, issued: IssuedForm | None, submission: Submission) -> FormLayout | None:
        try:
            if self._catalog is None:
                self._catalog = load_catalog(self.workspace.templates_dir)
            definition = self._catalog.forms.get(submission.form_id)
            if definition is None:
                return None
            context = label_context(
                submission.campaign, self.now.date(), self.workspace.settings.company
            )
            return definition.layout(
                issued.grid if issued else None,
                context,
                issued.layout_occasions if issued else None,
            )
        except EntretienError:
            return None


def _one(context: _Context, submission: Submission, report: KeyingReport, *, replace: bool) -> None:
    assert submission.id is not None
    target = (
        report.folder
        / safe_filename(submission.campaign)
        / f"{safe_filename(submission.matricule)}-{safe_filename(submission.reference)}.pdf"
    )
    if target.exists() and not replace:
        report.kept.append(target)
        return
    store, workspace = context.store, context.workspace
    issued = store.issued(submission.reference)
    paper_map = _paper_map(store, issued)
    layout = context.layout(issued, submission)
    try:
        scan = (workspace.root / submission.archive_path).read_bytes()
    except FileNotFoundError:
        report.problems.append(
            f"{submission.reference} : le scan archivé {submission.archive_path} est introuvable "
            "(déplacé ou supprimé ?). Remettez-le à sa place, ou redéposez le scan dans inbox/."
        )
        return
    scan_format: ScanFormat = "image" if submission.format == "image" else "pdf"
    notes: list[str] = []
    if paper_map is None:
        notes.append(
            "Ce formulaire a été émis avant que l'outil sache lire le papier (ou son modèle "
            "d'impression est perdu) : les pages du scan sont montrées entières."
        )
    file_pages = _file_pages(submission, paper_map, scan, scan_format)
    stored = {a.field_id: a.value for a in store.answers(submission.id)}

    written: list[WrittenAnswer] = []
    ticks: list[TickQuestion] = []
    whole: list[ScannedPage] = []
    fields = {f.id: f for f in layout.fields} if layout else {}
    for number, index in enumerate(file_pages, start=1):
        try:
            image = page_image(scan, scan_format, index, dpi=SCAN_DPI, name=submission.source_file)
        except RejectedFile:
            notes.append(
                f"Page {number} du formulaire (page {index} du scan) illisible : reportez-vous "
                "au scan archivé."
            )
            image = None
        registration = None
        if image is not None and paper_map is not None:
            registration = context.locate(image, paper_map)
            if registration is None:
                notes.append(
                    f"Page {number} : repères d'impression introuvables sur le scan (page "
                    "rognée, tachée ou d'un autre modèle) ; elle est montrée entière."
                )
        if image is not None and registration is None:
            whole.append(ScannedPage(number, Image.fromarray(np.asarray(image))))
        page = paper_map.page(number) if paper_map else None
        if page is not None:
            found = _Page(number, page, image, registration)
            written += [found.written(zone) for zone in page.zones]
            ticks += [found.question(boxes, fields, stored) for boxes in _questions(page.boxes)]
    if paper_map is None and layout is not None:
        written, ticks = _from_layout(layout, stored)
    if not written and not ticks:
        report.problems.append(
            f"{submission.reference} : le modèle « {submission.form_id} » de ce formulaire "
            "n'est plus dans templates/ et sa mise en page n'est pas connue : aucune question à "
            "présenter. Remettez le modèle dans templates/ puis relancez « entretien saisie »."
        )
        return

    header = SheetHeader(
        reference=submission.reference,
        submission_id=submission.id,
        scan_sha256=submission.sha256,
        signature=sign_keying(
            workspace.secret(),
            reference=submission.reference,
            submission_id=submission.id,
            scan_sha256=submission.sha256,
        ),
        employee_name=context.employee_name(submission.matricule),
        matricule=submission.matricule,
        form_title=layout.title if layout else submission.form_id,
        campaign=submission.campaign,
        scan_name=submission.source_file,
        received_at=submission.received_at,
    )
    data = render_keying_sheet(header, written, ticks, pages=whole, notes=notes)
    _write(target, data)
    report.sheets.append(
        KeyingSheet(
            target,
            submission.reference,
            submission.matricule,
            len(written),
            len(ticks),
            tuple(notes),
        )
    )


def _paper_map(store: Store, issued: IssuedForm | None) -> PaperMap | None:
    if issued is None or issued.paper_map is None:
        return None
    text = store.paper_map(issued.paper_map)
    return PaperMap.from_json(text) if text is not None else None


def _file_pages(
    submission: Submission, paper_map: PaperMap | None, scan: bytes, scan_format: ScanFormat
) -> list[int]:
    """The scan's page (1-based) holding each page of the form, in the form's order."""
    if submission.pages:
        try:
            pages = json.loads(submission.pages)
        except ValueError:
            pages = None
        if isinstance(pages, list) and all(isinstance(p, int) and p >= 1 for p in pages):
            return pages
    total = _page_count(scan, scan_format)
    if paper_map is not None:
        total = min(total, len(paper_map.pages))
    return list(range(1, total + 1))


def _page_count(scan: bytes, scan_format: ScanFormat) -> int:
    try:
        if scan_format == "pdf":
            with pikepdf.open(io.BytesIO(scan)) as pdf:
                return len(pdf.pages)
        with Image.open(io.BytesIO(scan)) as image:
            return int(getattr(image, "n_frames", 1))
    except (pikepdf.PdfError, OSError, ValueError):
        return 1  # ``page_image`` says what is wrong with it


# --------------------------------------------------------------------------- pictures


def _grown(rect: Rect, margin: float) -> Rect:
    x0, y0, x1, y1 = rect
    return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def _union(rects: Sequence[Rect]) -> Rect:
    return (
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    )


def _crop(image: Grey, registration: Registration, rect: Rect) -> tuple[Image.Image, float] | None:
    """The part of the scan where ``rect`` of the page was printed, and its pixels per inch.

    The four corners are mapped (a scan is never quite straight) and their
    bounding box is cut, clipped to the image.
    """
    x0, y0, x1, y1 = rect
    columns, rows = registration.to_pixels(
        np.array([x0, x1, x0, x1], dtype=np.float64), np.array([y0, y0, y1, y1], dtype=np.float64)
    )
    height, width = image.shape[:2]
    left = max(0, math.floor(float(columns.min())))
    right = min(width, math.ceil(float(columns.max())))
    top = max(0, math.floor(float(rows.min())))
    bottom = min(height, math.ceil(float(rows.max())))
    if right - left < 2 or bottom - top < 2:
        return None
    picture = Image.fromarray(np.ascontiguousarray(image[top:bottom, left:right]))
    return picture, registration.pixels_per_point * 72


def _blank(picture: Image.Image) -> bool:
    """Whether nothing is written in ``picture`` (the inside of a zone on the scan)."""
    return int((np.asarray(picture) < BLANK_LEVEL).sum()) < BLANK_PIXELS


# --------------------------------------------------------------------------- tick boxes


def _questions(boxes: Sequence[Box]) -> list[list[Box]]:
    """The page's boxes by question, in printed order: a radio group, or a multiple choice."""
    grouped: dict[str, list[Box]] = {}
    for box in boxes:
        grouped.setdefault(box.key.split(OPTION_SEPARATOR, 1)[0], []).append(box)
    return list(grouped.values())


@dataclass(frozen=True)
class _Page:
    """One page of the form on the scan: its picture and where the page lies on it, if found."""

    number: int
    paper: PaperPage
    image: Grey | None
    registration: Registration | None

    def _crop(self, rect: Rect, margin: float) -> tuple[Image.Image, float] | None:
        if self.image is None or self.registration is None:
            return None
        return _crop(self.image, self.registration, _grown(rect, margin))

    def written(self, zone: Zone) -> WrittenAnswer:
        crop = self._crop(zone.rect, ZONE_MARGIN)
        inside = self._crop(_grown(zone.rect, -BLANK_INSET), 0.0)
        blank = inside is not None and _blank(inside[0])
        return WrittenAnswer(
            zone.key,
            zone.label,
            zone.kind,
            self.number,
            None if blank or crop is None else crop[0],
            crop[1] if crop else SCAN_DPI,
            zone.rect[3] - zone.rect[1],
            blank=blank,
        )

    def question(
        self, boxes: Sequence[Box], fields: Mapping[str, Field], stored: Mapping[str, AnswerValue]
    ) -> TickQuestion:
        crop = self._crop(_union([b.rect for b in boxes]), BOX_MARGIN)
        read = self.marks
        return _question(
            boxes,
            self.number,
            fields,
            stored,
            read,
            crop[0] if crop else None,
            crop[1] if crop else SCAN_DPI,
        )

    @cached_property
    def marks(self) -> _Marks | None:
        """The marks read again on this page: what is sure, and which keys are in doubt."""
        if self.image is None or self.registration is None:
            return None
        readings = read_boxes(self.image, self.paper, self.registration)
        sure, _ = answers_from_boxes(readings, self.paper)
        inked = {r.box.key for r in readings if r.state != "vide"}
        return _Marks(sure, frozenset(inked - set(sure)))


@dataclass(frozen=True)
class _Marks:
    sure: Mapping[str, str | bool]
    doubtful: frozenset[str]


def _question(
    boxes: Sequence[Box],
    page: int,
    fields: Mapping[str, Field],
    stored: Mapping[str, AnswerValue],
    read: _Marks | None,
    image: Image.Image | None,
    dpi: float,
) -> TickQuestion:
    """One question's boxes, ticked as stored (else as read now), flagged when in doubt.

    In doubt: a box the mark reader could not decide (a dot, a box filled
    solid, two ticks for one answer), or, where the page could not be read
    again, a question without any stored answer.
    """
    field_id = boxes[0].key.split(OPTION_SEPARATOR, 1)[0]
    found = fields.get(field_id)
    answer = stored.get(field_id)
    radio = isinstance(boxes[0].value, str)
    texts = {o.value: o.text for o in radio_options(found)} if found and radio else {}
    options = []
    for box in boxes:
        if radio:
            text = texts.get(str(box.value), str(box.value))
            if answer is not None:
                ticked = str(answer) == box.value
            else:
                ticked = read is not None and read.sure.get(box.key) == box.value
        else:
            text, ticked = _check_box(box, found, answer, read)
        options.append(TickOption(box.key, box.value, text, ticked))
    if read is not None:
        unsure = answer is None and any(box.key in read.doubtful for box in boxes)
    else:
        unsure = answer is None
    label = found.label if found else field_id
    return TickQuestion(label, page, tuple(options), radio, unsure, image, dpi)


def _check_box(
    box: Box, found: Field | None, answer: AnswerValue | None, read: _Marks | None
) -> tuple[str, bool]:
    """A check box's text and whether it is ticked: a box of its own, or a multichoice option."""
    if OPTION_SEPARATOR not in box.key:
        ticked = answer is True if answer is not None else bool(read and read.sure.get(box.key))
        return "Oui", ticked
    n = int(box.key.rsplit(OPTION_SEPARATOR, 1)[1])
    text = found.options[n - 1] if found and 0 < n <= len(found.options) else box.key
    if answer is not None:
        return text, isinstance(answer, list) and text in answer
    return text, bool(read and read.sure.get(box.key) is True)


def _from_layout(
    layout: FormLayout, stored: Mapping[str, AnswerValue]
) -> tuple[list[WrittenAnswer], list[TickQuestion]]:
    """Every answer of the form, without pictures: a return the map cannot place."""
    written: list[WrittenAnswer] = []
    ticks: list[TickQuestion] = []
    kinds: dict[str, ZoneKind] = {
        "text": "text",
        "number": "number",
        "date": "date",
        "longtext": "multiline",
    }
    for item in layout.fields:
        if item.locked:
            continue
        if item.type in kinds:
            kind = kinds[item.type]
            written.append(WrittenAnswer(item.id, item.label, kind, 0, height=120))
            continue
        if item.type in ("choice", "rating"):
            boxes = [Box(item.id, o.value, (0, 0, 0, 0)) for o in radio_options(item)]
        elif item.type == "multichoice":
            boxes = [
                Box(f"{item.id}{OPTION_SEPARATOR}{n}", True, (0, 0, 0, 0))
                for n in range(1, len(item.options) + 1)
            ]
        else:
            boxes = [Box(item.id, True, (0, 0, 0, 0))]
        ticks.append(_question(boxes, 0, {item.id: item}, stored, None, None, SCAN_DPI))
    return written, ticks


# --------------------------------------------------------------------------- writing


def _write(target: Path, data: bytes) -> None:
    """Write the sheet whole or not at all: a half-written PDF would open as damaged."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".saisie-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
