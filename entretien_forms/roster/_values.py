"""Turn one raw cell into a typed value, or a French reason why it cannot be.

Cells come from openpyxl (str, int, float, datetime) or from CSV (always
str). Each parser returns the value or raises ``CellValueError`` with the message
part that follows "Ligne N, colonne « X » :".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from entretien_forms.errors import CellValueError
from entretien_forms.roster.model import ABSENCE_LABELS, AbsenceKind, CellValue
from entretien_forms.text import clean, fold

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 with Lotus's leap-year bug
_MAX_SERIAL = 2_958_465  # 9999-12-31
_DMY = re.compile(
    r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2})?)?"
)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
_LONG = re.compile(r"(\d{1,2})(?: ?er)? ([a-z]+) (\d{4})")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.0+)?")
_EMAIL = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}")
FORMAT_HINT = "format attendu jj/mm/aaaa"


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: CellValue) -> str:
    """Text as stored: numbers without a spurious ".0", dates as dd/mm/yyyy."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def parse_date(value: CellValue, today: date) -> date:
    """Real Excel dates, Excel serial numbers, dd/mm/yyyy, d/m/yy, ISO, "3 mars 2021"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value))
    text = as_text(value)
    if m := _DMY.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), _full_year(m[3], today)
        return _build(year, month, day, text)
    if m := _ISO.fullmatch(text):
        return _build(int(m[1]), int(m[2]), int(m[3]), text)
    if (long := _LONG.fullmatch(fold(text))) and long[2] in _MONTHS:
        return _build(int(long[3]), _MONTHS[long[2]], int(long[1]), text)
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text))
    raise CellValueError(f"« {text} » n'est pas une date ({FORMAT_HINT}).")


def _full_year(digits: str, today: date) -> int:
    if len(digits) == 4:
        return int(digits)
    # Two-digit years: the most recent year not later than next year
    # ("01/09/25" is 2025, a birth date "12/05/65" is 1965).
    year = 2000 + int(digits)
    return year if year <= today.year + 1 else year - 100


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellValueError(f"date impossible « {text} » ({FORMAT_HINT}).") from None


def _from_serial(serial: float) -> date:
    if not 1 <= serial <= _MAX_SERIAL:
        raise CellValueError(f"« {as_text(serial)} » n'est pas une date ({FORMAT_HINT}).")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_email(value: CellValue) -> str:
    text = as_text(value)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not _EMAIL.fullmatch(text):
        raise CellValueError(
            f"adresse e-mail mal formée « {text} » ; elle est ignorée, corrigez-la."
        )
    return text


# Contract types, by folded keyword. Intérim and internships are not employees
# of the company (the agency, or the school, is the employer).
CONTRACTS: dict[str, str] = {
    "cdi": "CDI",
    "contrat a duree indeterminee": "CDI",
    "duree indeterminee": "CDI",
    "cdd": "CDD",
    "contrat a duree determinee": "CDD",
    "duree determinee": "CDD",
    "apprentissage": "apprentissage",
    "apprenti": "apprentissage",
    "contrat d apprentissage": "apprentissage",
    "alternance": "apprentissage",
    "professionnalisation": "professionnalisation",
    "contrat de professionnalisation": "professionnalisation",
    "contrat pro": "professionnalisation",
    "pro": "professionnalisation",
    "interim": "intérim",
    "interimaire": "intérim",
    "travail temporaire": "intérim",
    "ctt": "intérim",
    "mission d interim": "intérim",
    "stage": "stage",
    "stagiaire": "stage",
    "convention de stage": "stage",
}
NOT_EMPLOYEES = {"intérim", "stage"}


def parse_contract(value: CellValue) -> str:
    folded = fold(as_text(value))
    if folded in CONTRACTS:
        return CONTRACTS[folded]
    for keyword, kind in CONTRACTS.items():
        if len(keyword) > 3 and keyword in folded:
            return kind
    raise CellValueError(
        f"type de contrat « {as_text(value)} » non reconnu (CDI, CDD, apprentissage, "
        "professionnalisation, intérim) ; gardé tel quel."
    )


_YES = {"oui", "o", "x", "yes", "y", "vrai", "true", "1", "temps partiel", "partiel", "tp"}
_NO = {
    "non",
    "n",
    "no",
    "faux",
    "false",
    "0",
    "temps plein",
    "plein",
    "temps complet",
    "complet",
    "tc",
}
_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*%?")


def parse_flag(value: CellValue) -> bool:
    """Part time from "Oui"/"Non", "X", "Temps plein", or an activity rate (80 %, 0.8)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
        return rate < 1 if rate <= 1 else rate < 100
    folded = fold(as_text(value))
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    if m := _PERCENT.fullmatch(as_text(value)):
        return float(m[1].replace(",", ".")) < 100
    raise CellValueError(
        f"« {as_text(value)} » : indiquez Oui ou Non, ou un taux d'activité (80 %)."
    )


# Phrases (folded, matched on whole words, first match wins) → kind. The order
# matters: "présence parentale" and "temps partiel parental" before "parental",
# "congé supplémentaire de naissance" before the 3-day congé de naissance.
# Shared by the roster's absence column and the HR absences sheet (reports/sheets.py).
_ABSENCE_WORDS: tuple[tuple[tuple[str, ...], AbsenceKind | None], ...] = (
    (("presence parentale",), "presence_parentale"),
    (("partiel", "parental"), "temps_partiel_parental"),
    (("parental",), "conge_parental"),
    (("maternite",), "maternite"),
    (("adoption",), "adoption"),
    (("supplementaire", "naissance"), "conge_naissance"),
    (("aidant",), "proche_aidant"),
    (("sabbatique",), "sabbatique"),
    (("mobilite",), "mobilite_volontaire"),
    (("solidarite",), "solidarite_familiale"),
    (("sans solde",), "sans_solde"),
    (("mandat",), "mandat_syndical"),
    (("syndical",), "mandat_syndical"),
    # Leaves that never call for an interview (EPP-4's list is closed).
    (("paternite",), None),
    (("naissance",), None),
    (("conges payes",), None),
    (("conge paye",), None),
    (("cp",), None),
    (("rtt",), None),
    (("formation",), None),
    (("therapeutique",), None),
    # Any other stop of work is a sick leave, long or not (EPP-4, 6-month test).
    (("maladie",), "maladie"),
    (("arret",), "maladie"),
    (("accident",), "maladie"),
    (("at",), "maladie"),
    (("ald",), "maladie"),
)
_EXACT_ABSENCES: dict[str, AbsenceKind] = {fold(v): k for k, v in ABSENCE_LABELS.items()}
KNOWN_ABSENCES = ", ".join(f"« {label} »" for label in ABSENCE_LABELS.values())


def absence_kind(text: str) -> AbsenceKind | None:
    """The kind a written absence type names, ``None`` for a leave with no interview.

    Raises ``KeyError`` when the text names nothing we know.
    """
    folded = fold(text)
    if folded in _EXACT_ABSENCES:
        return _EXACT_ABSENCES[folded]
    words = f" {folded} "
    for phrases, kind in _ABSENCE_WORDS:
        if all(f" {p} " in words for p in phrases):
            return kind
    raise KeyError(text)


def parse_absence(value: CellValue) -> AbsenceKind | None:
    """An absence type as HR writes it, or ``None`` for a leave that calls for no interview.

    ``None`` rather than an error: exports list paid holidays and RTT routinely.
    """
    text = as_text(value)
    try:
        return absence_kind(text)
    except KeyError:
        raise CellValueError(
            f"type d'absence « {text} » non reconnu ; absence ignorée. Indiquez l'un des "
            f"types reconnus : {KNOWN_ABSENCES}."
        ) from None
