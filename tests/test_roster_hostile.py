"""Hostile rosters: values are kept as data, files that are not rosters are refused.

The roster is the one input a stranger can shape (an export forwarded by
e-mail, a hand-edited sheet), so names that look like paths or formulas must
come through unchanged as text, and later writers neutralise them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import REQUIRED_HEADER, TODAY
from hypothesis import given, settings
from hypothesis import strategies as st

from entretien_forms.errors import RosterError, UnreadableFileError
from entretien_forms.roster import read_roster
from entretien_forms.sanitize import safe_cell, safe_filename
from entretien_forms.text import fold

HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\Windows\\System32",
    '=HYPERLINK("http://evil.example";"clic")',
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTab",
    "<script>alert(1)</script>",
    "Nom]]>avec&amp;",
    "CON",
    "a" * 300,
]


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_names_are_kept_as_text_and_neutralised_on_output(
    write_csv: Callable[..., Path], hostile: str
) -> None:
    path = write_csv(
        "salaries.csv", [REQUIRED_HEADER, ["S1", hostile, "Léa", "01/02/2020", "Vendeur"]]
    )

    roster = read_roster(path, today=TODAY)

    (employee,) = roster.employees
    assert employee.nom == hostile.strip()
    name = safe_filename(employee.nom)
    assert "/" not in name and "\\" not in name and ".." not in name
    assert 0 < len(name) <= 80
    cell = safe_cell(employee.nom)
    assert not (isinstance(cell, str) and cell[:1] in "=+-@\t")


def test_unknown_columns_never_reach_the_employee(write_csv: Callable[..., Path]) -> None:
    path = write_csv(
        "salaries.csv",
        [
            [*REQUIRED_HEADER, "IBAN", "Salaire brut"],
            ["S1", "Roy", "Léa", "01/02/2020", "Vendeur", "FR7630006000011234567890189", "42000"],
        ],
    )

    roster = read_roster(path, today=TODAY)

    assert roster.ignored_columns == 2
    assert "FR7630006000011234567890189" not in repr(roster.employees)
    assert "42000" not in repr(roster.employees)


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "salaries.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 300_000_000)

    with pytest.raises(UnreadableFileError) as caught:
        read_roster(path, today=TODAY)

    assert str(caught.value).startswith("salaries.xlsx : le classeur se décompresse en 300 Mo")


def test_truncated_workbook_gets_a_french_reason(
    tmp_path: Path, write_xlsx: Callable[..., Path]
) -> None:
    good = write_xlsx("bon.xlsx", [REQUIRED_HEADER, ["S1", "Roy", "Léa", "01/02/2020", "V"]])
    broken = tmp_path / "coupe.xlsx"
    broken.write_bytes(good.read_bytes()[:-200])

    with pytest.raises(UnreadableFileError) as caught:
        read_roster(broken, today=TODAY)

    assert "coupe.xlsx" in str(caught.value)


def test_binary_garbage_is_not_a_roster(tmp_path: Path) -> None:
    path = tmp_path / "salaries.csv"
    path.write_bytes(bytes(range(256)) * 40)

    with pytest.raises(RosterError) as caught:
        read_roster(path, today=TODAY)

    assert "salaries.csv" in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.text(max_size=12), min_size=0, max_size=7),
        min_size=0,
        max_size=8,
    )
)
def test_any_csv_content_reads_or_fails_with_a_roster_error(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    """Whatever the cells, the reader answers with a roster or a RosterError, never a crash."""
    path = tmp_path_factory.mktemp("fuzz") / "salaries.csv"
    path.write_text(
        "\n".join(";".join(c.replace("\r", " ") for c in row) for row in [REQUIRED_HEADER, *rows]),
        encoding="utf-8",
        errors="surrogatepass",
    )
    try:
        roster = read_roster(path, today=TODAY)
    except RosterError as exc:
        assert "salaries.csv" in str(exc)
    else:
        kept = {e.matricule for e in roster.employees}
        assert len(kept) == len(roster.employees)  # matricules stay unique
        for problem in roster.problems:
            assert problem.message and problem.severity in ("error", "warning")


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_ascii(value: str) -> None:
    folded = fold(value)
    assert folded.isascii()
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded
