"""Check raw answers against the form definition, the same way for every format.

Readers report what they found as text or booleans; here each answer takes
its type (a date, a rating within its scale, one of the options) so that the
export and the workbooks can rely on it. A value that cannot be understood is
not guessed: it is left out of the answers and reported, with the raw text,
as a warning on the submission (the original file is archived, so nothing is
lost). A missing required answer is a warning too, never a rejection: the
interview took place, HR can complete the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from entretien_forms.forms.model import Field, FormLayout
from entretien_forms.inbox.model import Method, RawAnswer
from entretien_forms.roster import parse_french_date
from entretien_forms.store import AnswerValue, StoredAnswer
from entretien_forms.text import fold

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_LEADING_INT = re.compile(r"\s*(\d+)\b")
_TRUE = {"oui", "vrai", "true", "x", "1", "☒", "☑", "✓", "✔"}
_FALSE = {"non", "faux", "false", "0", "☐", ""}


@dataclass(frozen=True)
class Validation:
    answers: list[StoredAnswer]
    warnings: list[str]  # French, one per problem, naming the field by its label


def validate_answers(
    layout: FormLayout, raw: Mapping[str, RawAnswer], *, today: date, required: bool = True
) -> Validation:
    """Typed answers for every field of ``layout`` found in ``raw``, and the warnings.

    ``required=False`` for a paper return whose written answers wait for keying:
    a required answer not read yet is not missing.
    """
    answers: list[StoredAnswer] = []
    warnings: list[str] = []

    for field in layout.fields:
        if field.type == "multichoice":
            chosen, method = _multichoice(field, raw)
            if chosen:
                answers.append(StoredAnswer(field.id, chosen, method))
            elif field.required and required:
                warnings.append(_missing(field))
            continue
        found = raw.get(field.id)
        if found is None or (isinstance(found.value, str) and not found.value.strip()):
            if field.required and required:
                warnings.append(_missing(field))
            continue
        value = _typed(field, found.value, today)
        if value is False and field.type == "checkbox":
            # An empty box cannot be told from an unanswered one: only ticks are answers,
            # the same for Word (which reports unticked boxes) and PDF (which does not).
            if field.required and required:
                warnings.append(_missing(field))
            continue
        if value is None:
            warnings.append(
                f"« {field.label} » ({field.id}) : valeur non reconnue « {_short(found.value)} » "
                f"({_expected(field)}) ; à corriger dans le dossier du salarié."
            )
            continue
        answers.append(StoredAnswer(field.id, value, found.method))
    return Validation(answers, warnings)


def _typed(field: Field, value: str | bool, today: date) -> AnswerValue | None:
    if field.type == "checkbox":
        if isinstance(value, bool):
            return value
        folded = value.strip().lower()
        if folded in _TRUE:
            return True
        return False if folded in _FALSE else None
    text = value if isinstance(value, str) else ("oui" if value else "non")
    text = text.strip()
    if field.type in ("text", "longtext"):
        return text
    if field.type == "date":
        parsed = parse_french_date(text, today)
        return None if parsed is None else parsed.isoformat()
    if field.type == "number":
        compact = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        match = _NUMBER.search(compact)
        if match is None:
            return None
        number = float(match.group().replace(",", "."))
        return int(number) if number.is_integer() else number
    if field.type == "rating":
        match = _LEADING_INT.match(text)
        if match is None or int(match.group(1)) not in field.scale:
            return _rating_by_label(field, text)
        return int(match.group(1))
    if field.type == "choice":
        by_fold = {fold(option): option for option in field.options}
        return by_fold.get(fold(text))
    return None


def _rating_by_label(field: Field, text: str) -> int | None:
    for level, label in zip(field.scale, field.scale_labels, strict=False):
        if fold(label) == fold(text):
            return level
    return None


def _multichoice(field: Field, raw: Mapping[str, RawAnswer]) -> tuple[list[str], Method]:
    chosen: list[str] = []
    method: Method = "control"
    for n, option in enumerate(field.options, start=1):
        found = raw.get(f"{field.id}#{n}")
        if found is None:
            continue
        ticked = _typed(
            Field(id=field.id, label=field.label, type="checkbox"), found.value, date.min
        )
        if ticked:
            chosen.append(option)
            method = found.method
    return chosen, method


def _missing(field: Field) -> str:
    return f"« {field.label} » ({field.id}) : réponse obligatoire absente."


def _expected(field: Field) -> str:
    if field.type == "date":
        return "date attendue, jj/mm/aaaa"
    if field.type == "number":
        return "nombre attendu"
    if field.type == "rating":
        return f"niveau attendu parmi {', '.join(str(n) for n in field.scale)}"
    if field.type == "choice":
        return f"choix possibles : {', '.join(field.options)}"
    if field.type == "checkbox":
        return "case cochée ou non"
    return "texte"


def _short(value: str | bool) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "…"
