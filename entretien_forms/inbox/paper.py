"""Read a scanned file: which forms it holds, on which pages, and the boxes ticked on them.

The scan (``scan``) gives each page upright with the reference and page
number of its QR code; the printed geometry of the form's layout
(``forms.paper.PaperMap``, stored at issue time) says where the registration
marks and the tick boxes are; ``marks`` maps the page onto the layout and
decides each box. A page is looked at once and its picture dropped at once:
a 500-page stack never sits in memory.

Written answers are not read here: they wait for HR's keying sheet
(``entretien saisie``). A tick box read is stored with its provenance
(« case cochée (papier) »); a box the reader is unsure of is never guessed
but named in a remark for HR to confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from entretien_forms.forms.paper import PaperMap
from entretien_forms.inbox import marks, scan
from entretien_forms.inbox.model import RawAnswer
from entretien_forms.text import count

__all__ = ["PaperForm", "PaperRead", "read_paper"]


@dataclass(frozen=True)
class PaperForm:
    """One form found in a scanned file, as one return."""

    reference: str
    page_count: int | None
    file_pages: dict[int, int]  # form page → page of the file (1-based both)
    answers: dict[str, RawAnswer] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    marks_read: bool = False  # at least one page was registered and its boxes measured


@dataclass(frozen=True)
class PaperRead:
    """Every form of a scanned file, in order of first appearance, and the file's own remarks."""

    forms: tuple[PaperForm, ...]
    notes: tuple[str, ...] = ()
    pages: int = 0


@dataclass
class _PageResult:
    answers: dict[str, str | bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    registered: bool = False


def read_paper(
    data: bytes,
    name: str,
    format: Literal["pdf", "image"],
    *,
    paper_map: Callable[[str], PaperMap | None],
) -> PaperRead:
    """The forms of a scanned file and the marks on their pages.

    ``paper_map(reference)`` gives the printed geometry the form was issued
    with (``None``: issued before the tool read paper, or unknown reference:
    its pages are grouped, its marks left for keying).
    """
    pages: list[scan.ScanPage] = []
    results: dict[tuple[str, int], _PageResult] = {}
    maps: dict[str, PaperMap | None] = {}
    for page in _pages(data, name, format):
        if page.reference is not None and page.page is not None and page.image is not None:
            if page.reference not in maps:
                maps[page.reference] = paper_map(page.reference)
            geometry = maps[page.reference]
            if geometry is not None:
                results[(page.reference, page.page)] = _read_page(page, geometry)
        pages.append(page.without_image())  # the picture is not kept
    grouped = scan.group_forms(pages)
    forms = []
    for found in grouped.forms:
        answers: dict[str, RawAnswer] = {}
        notes: list[str] = []
        registered = False
        missing_note = scan.note(found)
        if missing_note:
            notes.append(missing_note)
        for form_page in sorted(found.file_pages):
            result = results.get((found.reference, form_page))
            if result is None:
                continue
            registered = registered or result.registered
            notes.extend(result.notes)
            for key, value in result.answers.items():
                answers[key] = RawAnswer(value, "paper_mark")
        if maps.get(found.reference) is None:
            notes.append(
                "Formulaire émis avant la lecture des cases à cocher : toutes les réponses "
                "sont à saisir (« entretien saisie »)."
            )
        forms.append(
            PaperForm(
                reference=found.reference,
                page_count=found.page_count,
                file_pages=dict(found.file_pages),
                answers=answers,
                notes=tuple(notes),
                marks_read=registered,
            )
        )
    file_notes = []
    if grouped.blank:
        file_notes.append(
            f"{count(len(grouped.blank), 'page blanche ignorée', 'pages blanches ignorées')} "
            f"({_pages_list(grouped.blank)})."
        )
    if grouped.unread:
        file_notes.append(
            f"{count(len(grouped.unread), 'page non lue', 'pages non lues')} "
            f"({_pages_list(grouped.unread)}) : trop lourde(s) à afficher ou temps dépassé ; "
            "vérifiez-les dans le fichier archivé."
        )
    if grouped.unknown:
        file_notes.append(
            f"{count(len(grouped.unknown), 'page sans code', 'pages sans code')} "
            f"({_pages_list(grouped.unknown)}) : intercalaire ou page d'un autre document, "
            "non lue."
        )
    return PaperRead(tuple(forms), tuple(file_notes), len(pages))


def _pages(data: bytes, name: str, format: Literal["pdf", "image"]) -> Iterator[scan.ScanPage]:
    yield from scan.iter_pages(data, name, format)


def _read_page(page: scan.ScanPage, geometry: PaperMap) -> _PageResult:
    assert page.image is not None and page.page is not None
    layout_page = geometry.page(page.page)
    if layout_page is None:
        return _PageResult(notes=[f"Page {page.page} : absente du formulaire émis, non lue."])
    if not layout_page.boxes:
        return _PageResult(registered=True)
    registration = marks.register(page.image, geometry)
    if registration is None:
        return _PageResult(
            notes=[
                f"Page {page.page} (page {page.index} du fichier) : repères d'alignement "
                "introuvables, cases non lues : à saisir."
            ]
        )
    readings = marks.read_boxes(page.image, layout_page, registration)
    answers, remarks = marks.answers_from_boxes(readings, layout_page)
    return _PageResult(dict(answers), [f"Page {page.page} : {r}" for r in remarks], True)


def _pages_list(indexes: tuple[int, ...]) -> str:
    word = "page" if len(indexes) == 1 else "pages"
    return f"{word} {', '.join(str(i) for i in indexes)} du fichier"
