"""read_roster on CSV files whose lines are not all in one encoding (issue 15).

Each line is decoded on its own (UTF-8 when valid, else Windows-1252); the
file's main encoding is the one most of its non-ASCII lines use, and every
line in another encoding, undecodable or carrying mojibake gets a warning
naming it. The fixtures are built byte by byte, as the exports that mix them.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from factories import ROSTER_DAY

from entretien_forms.roster import Employee, Problem, read_roster
from entretien_forms.roster.tables import open_tables

HEADER = "Matricule;Nom;Prénom;Date d'entrée;Poste"
ROWS = (
    "1;Noël;Hélène;01/02/2020;Comptable",
    "2;Lefèvre;Zoé;03/04/2021;Chargée d'études",
    "3;Œillet;Jérôme;05/06/2022;Magasinier",
)
EMPLOYEES = (
    Employee("1", "Noël", "Hélène", date(2020, 2, 1), "Comptable", row=2),
    Employee("2", "Lefèvre", "Zoé", date(2021, 4, 3), "Chargée d'études", row=3),
    Employee("3", "Œillet", "Jérôme", date(2022, 6, 5), "Magasinier", row=4),
)
UTF8, CP1252 = "UTF-8", "Windows-1252"


def _lines(*encoded: tuple[str, str]) -> bytes:
    """Each (text, encoding) line encoded on its own, joined with CR LF as Excel does."""
    return b"".join(text.encode(encoding) + b"\r\n" for text, encoding in encoded)


def _other_encoding(row: int, line: str, main: str) -> Problem:
    return Problem(
        row,
        None,
        None,
        "warning",
        f"encodage différent du reste du fichier ({line} au lieu de {main}) ; la ligne est lue "
        f"en {line}, vérifiez ses accents. Pour éviter cet avertissement, enregistrez tout le "
        "fichier en CSV UTF-8.",
    )


def test_utf8_header_over_cp1252_rows(write_bytes: Callable[[str, bytes], Path]) -> None:
    """A header typed in UTF-8 pasted over an old export: the prénom column is found."""
    path = write_bytes(
        "salaries.csv", _lines((HEADER, "utf-8"), *((row, "cp1252") for row in ROWS))
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == EMPLOYEES
    assert roster.columns["prenom"] == "Prénom"
    # Most lines are Windows-1252: the header is the odd one out.
    assert roster.problems == (_other_encoding(1, UTF8, CP1252),)


def test_cp1252_header_over_utf8_rows(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes(
        "salaries.csv", _lines((HEADER, "cp1252"), *((row, "utf-8") for row in ROWS))
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == EMPLOYEES
    assert roster.problems == (_other_encoding(1, CP1252, UTF8),)


def test_one_cp1252_row_among_utf8_rows_is_named(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    path = write_bytes(
        "salaries.csv",
        _lines((HEADER, "utf-8"), (ROWS[0], "utf-8"), (ROWS[1], "cp1252"), (ROWS[2], "utf-8")),
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == EMPLOYEES
    assert roster.problems == (_other_encoding(3, CP1252, UTF8),)
    assert (
        roster.problems[0]
        .describe()
        .startswith(
            "Ligne 3 : encodage différent du reste du fichier (Windows-1252 au lieu de UTF-8)"
        )
    )


@pytest.mark.parametrize(
    ("bom", "expected"),
    [
        pytest.param(True, [(2, CP1252, UTF8), (3, CP1252, UTF8)], id="with-bom"),
        pytest.param(False, [(1, UTF8, CP1252)], id="without-bom"),
    ],
)
def test_bom_with_mixed_rows(
    write_bytes: Callable[[str, bytes], Path], bom: bool, expected: list[tuple[int, str, str]]
) -> None:
    """The UTF-8 byte order mark counts as one more UTF-8 line (ties go to UTF-8)."""
    path = write_bytes(
        "salaries.csv",
        (codecs.BOM_UTF8 if bom else b"")
        + _lines(
            (HEADER, "utf-8"),
            (ROWS[0], "cp1252"),
            (ROWS[1], "cp1252"),
            ("4;Martin;Paul;01/01/2020;Vendeur", "ascii"),
        ),
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees[:2] == EMPLOYEES[:2]
    assert roster.problems == tuple(_other_encoding(*e) for e in expected)


def test_bytes_in_neither_encoding_are_replaced_and_named(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    """0x81 is undefined in Windows-1252 and, alone, invalid in UTF-8."""
    bad = b"4;Ma\x81rtin;L\xe9a;07/08/2023;Vendeuse\r\n"
    path = write_bytes("salaries.csv", _lines((HEADER, "utf-8"), (ROWS[0], "utf-8")) + bad)

    roster = read_roster(path, today=ROSTER_DAY)

    assert [(e.nom, e.prenom) for e in roster.employees] == [
        ("Noël", "Hélène"),
        ("Ma\ufffdrtin", "Léa"),
    ]
    assert roster.problems == (
        Problem(
            3,
            None,
            None,
            "warning",
            "caractères illisibles (ni UTF-8 ni Windows-1252), remplacés par « \ufffd » ; "
            "corrigez cette ligne dans le fichier (les noms et les dates peuvent être faux).",
        ),
    )


def test_mojibake_is_repaired_and_named(write_bytes: Callable[[str, bytes], Path]) -> None:
    """UTF-8 once read as Windows-1252 and saved again: « NoÃ«l » is Noël."""
    mangled = ROWS[0].encode("utf-8").decode("cp1252")  # "1;NoÃ«l;HÃ©lÃ¨ne;..."
    path = write_bytes(
        "salaries.csv", _lines((HEADER, "utf-8"), (mangled, "utf-8"), (ROWS[1], "utf-8"))
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == EMPLOYEES[:2]
    assert roster.problems == (
        Problem(
            2,
            None,
            None,
            "warning",
            "accents mal convertis, « NoÃ«l » lu « Noël » ; vérifiez cette ligne, puis "
            "enregistrez le fichier en CSV UTF-8 depuis l'original.",
        ),
    )


def test_mojibake_header_is_found(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes(
        "salaries.csv",
        _lines((HEADER.encode("utf-8").decode("cp1252"), "utf-8"), (ROWS[0], "utf-8")),
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.columns["prenom"] == "Prénom"
    assert roster.employees == EMPLOYEES[:1]
    assert [p.row for p in roster.problems] == [1]


@pytest.mark.parametrize(
    "text",
    [
        "CONGÉ\u00a0MATERNITÉ",  # « É » then a non-breaking space would give « ɠ »
        "À l'essai",
        "Ça dépend",
    ],
)
def test_french_text_that_looks_like_mojibake_is_kept(
    write_bytes: Callable[[str, bytes], Path], text: str
) -> None:
    path = write_bytes(
        "salaries.csv", _lines((HEADER + ";Service", "utf-8"), (ROWS[0] + f";{text}", "utf-8"))
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees[0].service == text.replace("\u00a0", " ")
    assert roster.problems == ()


@pytest.mark.parametrize("bom", [True, False], ids=["with-bom", "without-bom"])
def test_utf16(write_bytes: Callable[[str, bytes], Path], bom: bool) -> None:
    """Excel's "Texte Unicode" (UTF-16 LE, tab-separated), and the same without its mark."""
    text = "\r\n".join([HEADER, *ROWS]).replace(";", "\t") + "\r\n"
    data = (codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le")
    path = write_bytes("salaries.txt", data)

    roster = read_roster(path, today=ROSTER_DAY)

    assert (roster.employees, roster.problems) == (EMPLOYEES, ())


def test_utf16_with_a_broken_character_is_read_with_a_warning(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    text = "\r\n".join([HEADER, ROWS[0]]).replace(";", "\t") + "\r\n"
    # A lone high surrogate on line 3, then an odd final byte (line 4).
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"\x00\xd8\r\x00\n\x00" + b"x"
    path = write_bytes("salaries.txt", data)

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == EMPLOYEES[:1]
    # (The two broken lines are also rows in error: their other cells are empty.)
    unreadable = [p for p in roster.problems if p.column is None]
    assert [p.row for p in unreadable] == [3, 4]
    assert unreadable[0].message.startswith(
        "caractères illisibles (octets qui ne sont pas de l'UTF-16), remplacés par « \ufffd »"
    )


def test_the_same_bytes_give_the_same_cells_with_or_without_listening(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    """The warnings are the only difference a listener makes (same answer for same bytes)."""
    mangled = ROWS[0].encode("utf-8").decode("cp1252")
    path = write_bytes(
        "salaries.csv", _lines((HEADER, "cp1252"), (mangled, "utf-8"), (ROWS[1], "cp1252"))
    )
    heard: list[Problem] = []

    with open_tables(path, max_bytes=1_000_000) as tables:
        table = tables[0]
        silent = [(n, list(c)) for n, c in table.rows()]
        listened = [(n, list(c)) for n, c in table.rows(heard.append)]

    assert silent == listened
    assert silent[1][1][1:3] == ["Noël", "Hélène"]
    assert sorted(p.row or 0 for p in heard) == [2, 2]  # another encoding, and mojibake
