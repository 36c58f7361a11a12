"""Find the header row of a roster and map its columns onto canonical fields.

Exports from Silae, Sage, PayFit or a hand-kept Excel name the same column in
many ways. Matching is on the folded text (no case, accents or punctuation),
first as written, then without filler words ("de", "du", "n°"...), against the
synonyms below. Anything that matches nothing is ignored and never copied:
a roster may carry salaries or bank details.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from entretien_forms.roster.model import FIELDS, FIELDS_BY_NAME, CellValue
from entretien_forms.text import clean, fold

# The first synonym of each field is the name shown to users when it is missing.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "matricule": (
        "Matricule",
        "N° matricule",
        "Numéro de matricule",
        "Mat.",
        "Mat",
        "Matricule salarié",
        "Matricule paie",
        "ID salarié",
        "Identifiant salarié",
        "Identifiant",
        "Code salarié",
        "N° salarié",
        "Numéro salarié",
        "Réf. salarié",
        "Employee ID",
    ),
    "nom": (
        "Nom",
        "Nom de famille",
        "Nom salarié",
        "Nom du salarié",
        "Nom d'usage",
        "Nom patronymique",
        "Nom de naissance",
        "Last name",
        "Surname",
    ),
    "prenom": ("Prénom", "Prénom usuel", "Prénom salarié", "Prénom du salarié", "First name"),
    "date_entree": (
        "Date d'entrée",
        "Date entrée",
        "Date d'embauche",
        "Embauche",
        "Entrée",
        "Date d'entrée dans l'entreprise",
        "Date d'entrée société",
        "Date début contrat",
        "Date de début de contrat",
        "Date d'arrivée",
        "Date ancienneté",
        "Date d'ancienneté",
        "Hire date",
    ),
    "poste": (
        "Poste",
        "Intitulé du poste",
        "Intitulé de poste",
        "Emploi",
        "Fonction",
        "Libellé emploi",
        "Libellé du poste",
        "Métier",
        "Poste occupé",
        "Emploi occupé",
        "Job title",
    ),
    "email": (
        "E-mail",
        "Email",
        "Mail",
        "Adresse e-mail",
        "Adresse mail",
        "Courriel",
        "Mail pro",
        "E-mail professionnel",
        "Email professionnel",
        "Adresse électronique",
    ),
    "date_naissance": ("Date de naissance", "Naissance", "Né le", "Date naissance", "Birth date"),
    "service": (
        "Service",
        "Département",
        "Direction",
        "Équipe",
        "Pôle",
        "Établissement service",
        "Unité",
        "Team",
    ),
    "manager": (
        "Manager",
        "Responsable",
        "Responsable hiérarchique",
        "N+1",
        "Supérieur hiérarchique",
        "Nom du manager",
        "Nom du responsable",
        "Matricule manager",
        "Matricule responsable",
        "Manager direct",
        "Responsable direct",
    ),
    "email_manager": (
        "Mail responsable",
        "E-mail responsable",
        "Email responsable",
        "Mail manager",
        "E-mail manager",
        "Email manager",
        "Courriel responsable",
        "Mail N+1",
        "E-mail N+1",
        "Email du manager",
        "Mail du responsable",
    ),
    "type_contrat": (
        "Type de contrat",
        "Contrat",
        "Nature du contrat",
        "Type contrat",
        "Nature contrat",
    ),
    "temps_partiel": (
        "Temps partiel",
        "Temps de travail",
        "Taux d'activité",
        "Temps partiel O/N",
        "Quotité",
    ),
    "date_sortie": (
        "Date de sortie",
        "Sortie",
        "Date sortie",
        "Date de départ",
        "Date fin de contrat",
        "Date de fin de contrat",
        "Date fin contrat",
    ),
    "date_dernier_entretien_pro": (
        "Date dernier entretien professionnel",
        "Dernier entretien professionnel",
        "Dernier entretien pro",
        "Date dernier EP",
        "Dernier EP",
        "Dernier EPP",
        "Date du dernier entretien professionnel",
        "Dernier entretien de parcours professionnel",
    ),
    "date_dernier_etat_des_lieux": (
        "Date dernier état des lieux",
        "Dernier état des lieux",
        "Date du dernier état des lieux",
        "Dernier état des lieux récapitulatif",
        "Date du dernier état des lieux récapitulatif",
        "Dernier EDL",
        "Date dernier EDL",
        "Date du dernier EDL",
        "Dernier bilan à 6 ans",
        "Date du dernier bilan à 6 ans",
        "Dernier bilan des 6 ans",
    ),
    "date_dernier_entretien_annuel": (
        "Date dernier entretien annuel",
        "Dernier entretien annuel",
        "Dernier EAE",
        "Date dernier EAE",
        "Date du dernier entretien annuel",
        "Dernier entretien d'évaluation",
    ),
    # The current or last absence. Single words ("Motif", "Début", "Retour") are left
    # out: exports use them for the reason of a fixed-term contract or its dates.
    "type_absence": (
        "Type d'absence",
        "Motif d'absence",
        "Absence",
        "Nature de l'absence",
        "Motif de l'absence",
        "Type de congé",
        "Nature du congé",
    ),
    "date_debut_absence": (
        "Date de début d'absence",
        "Début d'absence",
        "Absent depuis",
        "Début de l'absence",
        "Date de début de congé",
        "Début du congé",
        "Date de départ en congé",
    ),
    "date_retour_absence": (
        "Date de retour",
        "Retour prévu",
        "Date de retour prévue",
        "Retour d'absence",
        "Date de retour d'absence",
        "Date de reprise",
        "Reprise prévue",
        "Date de reprise du travail",
    ),
    # The last day away, as payroll software exports it: the return is the day after.
    "date_fin_absence": (
        "Date de fin d'absence",
        "Fin d'absence",
        "Fin de l'absence",
        "Absent jusqu'au",
        "Date de fin de congé",
        "Fin du congé",
        "Dernier jour d'absence",
    ),
}

# Words dropped for the second matching pass ("N° de matricule" → "matricule").
_FILLERS = frozenset(
    [
        "n",
        "no",
        "num",
        "numero",
        "de",
        "du",
        "des",
        "d",
        "l",
        "la",
        "le",
        "les",
        "en",
        "dans",
        "au",
        "a",
        "the",
        "of",
        "salarie",
        "salariee",
    ]
)
# How many rows from the top we look through for the header (title blocks above it).
HEADER_SEARCH_ROWS = 30
# A row is a header when it names at least this many distinct fields.
MIN_HEADER_FIELDS = 3


def _strip_fillers(folded: str) -> str:
    return " ".join(w for w in folded.split() if w not in _FILLERS)


# Linking words among the fillers: all that is dropped from a header made only of
# fillers, so that "N° du salarié" still matches "N° salarié" but "N°" or
# "Salarié" alone (a line number, a full name) match nothing.
_LINKS = frozenset(["de", "du", "des", "d", "l", "la", "le", "les", "en", "dans", "au", "a"])


def loose_key(folded: str) -> str:
    """The key of the second matching pass: the folded header without filler words."""
    return _strip_fillers(folded) or " ".join(w for w in folded.split() if w not in _LINKS)


def _build_index() -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for field_name, names in SYNONYMS.items():
        for name in names:
            exact.setdefault(fold(name), field_name)
            loose.setdefault(loose_key(fold(name)), field_name)
    return exact, loose


_EXACT, _LOOSE = _build_index()


def match_field(header: str) -> str | None:
    """The canonical field a header names, or None."""
    folded = fold(header)
    if not folded:
        return None
    return _EXACT.get(folded) or _LOOSE.get(loose_key(folded))


@dataclass(frozen=True)
class Header:
    row: int
    headers: tuple[str, ...]  # cleaned text of every header cell, "" when blank
    fields: dict[str, int]  # canonical field → column index (first one wins)
    duplicates: tuple[tuple[int, str], ...]  # (column index, field) of later duplicates
    extra: dict[str, int]  # requested extra column name → column index


def read_header(
    row_number: int, cells: Sequence[CellValue], extra_columns: Iterable[str] = ()
) -> Header:
    headers = tuple(clean(c) if isinstance(c, str) else "" for c in cells)
    fields: dict[str, int] = {}
    duplicates: list[tuple[int, str]] = []
    unmatched: dict[str, int] = {}
    for index, text in enumerate(headers):
        field_name = match_field(text) if text else None
        if field_name is None:
            if text:
                unmatched.setdefault(fold(text), index)
        elif field_name in fields:
            duplicates.append((index, field_name))
        else:
            fields[field_name] = index
    extra = {name: unmatched[fold(name)] for name in extra_columns if fold(name) in unmatched}
    return Header(row_number, headers, fields, tuple(duplicates), extra)


def header_score(cells: Sequence[CellValue]) -> int:
    """Distinct fields a row names: how header-like it is."""
    return len({f for c in cells if isinstance(c, str) and (f := match_field(c))})


def describe_expected_columns() -> str:
    """French list of what we look for, for the 'no header found' message."""
    required = [SYNONYMS[f.name][0] for f in FIELDS if f.required]
    optional = [SYNONYMS[f.name][0] for f in FIELDS if not f.required]
    return f"colonnes obligatoires : {', '.join(required)} ; facultatives : {', '.join(optional)}"


def describe_missing(field_names: Iterable[str]) -> str:
    parts = []
    for name in field_names:
        examples = ", ".join(f"« {s} »" for s in SYNONYMS[name][:4])
        parts.append(f"{FIELDS_BY_NAME[name].label} (par exemple {examples})")
    return " ; ".join(parts)
