from __future__ import annotations

import pytest

from entretien_forms.sanitize import UniqueFileNames, safe_cell, safe_filename
from entretien_forms.text import clean, count, fold


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Lefèvre Sophie", "Lefevre-Sophie"),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\Windows\\system32", "Windows-system32"),
        ("Œuvre d'Ève", "OEuvre-d-Eve"),
        ("CON", "CON-"),
        ("nul", "nul-"),
        ("", "sans-nom"),
        ("...", "sans-nom"),
        ("名前", "sans-nom"),
        ("a" * 200, "a" * 60),
    ],
)
def test_safe_filename(value: str, expected: str) -> None:
    assert safe_filename(value) == expected


def test_safe_filename_never_leaves_separators_or_dots() -> None:
    for hostile in ["a/../b", "/abs/path", "C:\\x", "x\x00y", "\n\t", "a..b"]:
        name = safe_filename(hostile)
        assert "/" not in name and "\\" not in name and ".." not in name and "\x00" not in name


def test_unique_file_names_are_unique_case_insensitively() -> None:
    names = UniqueFileNames(max_length=10)
    assert names.claim("Dupont") == "Dupont"
    assert names.claim("DUPONT") == "DUPONT-2"
    assert names.claim("dupont") == "dupont-3"
    assert names.claim("Abcdefghijkl") == "Abcdefghij"
    assert names.claim("Abcdefghijxx") == "Abcdefgh-2"


@pytest.mark.parametrize(
    "text", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")']
)
def test_safe_cell_neutralises_formula_starts(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Dupont", "", 12, 1.5, None, True])
def test_safe_cell_keeps_harmless_values(value: object) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bip\x07 bip", "bip bip"),
        ("\x00=HYPERLINK()", "'=HYPERLINK()"),  # dropped first, then neutralised
        ("seul\ud800", "seul"),
        ("ligne 1\nligne 2\ttab", "ligne 1\nligne 2\ttab"),  # XML keeps these
    ],
)
def test_safe_cell_drops_what_xml_cannot_hold(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


def test_clean_and_fold() -> None:
    assert clean("  Ame\u0301lie\u00a0 Du  Pont ") == "Amélie Du Pont"
    assert fold("N° de Matricule") == "n de matricule"
    assert fold("DATE  D'ENTRÉE") == "date d entree"


def test_count_uses_singular_for_zero_and_one() -> None:
    assert count(0, "erreur", "erreurs") == "0 erreur"
    assert count(1, "erreur", "erreurs") == "1 erreur"
    assert count(2, "erreur", "erreurs") == "2 erreurs"
