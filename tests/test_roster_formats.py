"""read_roster: file formats (xlsx, CSV encodings and separators), format by content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from factories import ROSTER_DAY

from entretien_forms.roster import Employee, Problem, Roster, read_roster

HEADER = [
    "Matricule",
    "Nom",
    "Prénom",
    "Date d'entrée",
    "Intitulé du poste",
    "Service",
    "Responsable",
    "E-mail",
]
COLUMNS = {
    "matricule": "Matricule",
    "nom": "Nom",
    "prenom": "Prénom",
    "date_entree": "Date d'entrée",
    "poste": "Intitulé du poste",
    "service": "Service",
    "manager": "Responsable",
    "email": "E-mail",
}
# The same three people as text (CSV) and as typed cells (xlsx). Every character
# exists in cp1252 ("Œ" is byte 0x8C there, not a Latin-1 character).
CSV_ROWS = [
    line.split(";")
    for line in (
        "1001;Martin;Claire;02/05/2012;Directrice commerciale;Ventes;;claire.martin@exemple.fr",
        "1002;Lefèvre;Hélène;01/09/2019;Chargée d'études;Marketing;Claire Martin;hl@exemple.fr",
        "1003;Œillet;Zoé;15/01/2024;Commercial;Ventes;1001;",
    )
]
XLSX_ROWS = [
    [1001, "Martin", "Claire", datetime(2012, 5, 2), "Directrice commerciale", "Ventes", None,
     "claire.martin@exemple.fr"],
    [1002.0, "Lefèvre", "Hélène", datetime(2019, 9, 1), "Chargée d'études", "Marketing",
     "Claire Martin", "hl@exemple.fr"],
    [1003, "Œillet", "Zoé", datetime(2024, 1, 15), "Commercial", "Ventes", "1001", None],
]  # fmt: skip
EMPLOYEES = (
    Employee(
        matricule="1001",
        nom="Martin",
        prenom="Claire",
        date_entree=date(2012, 5, 2),
        poste="Directrice commerciale",
        row=2,
        email="claire.martin@exemple.fr",
        service="Ventes",
    ),
    Employee(
        matricule="1002",
        nom="Lefèvre",
        prenom="Hélène",
        date_entree=date(2019, 9, 1),
        poste="Chargée d'études",
        row=3,
        email="hl@exemple.fr",
        service="Marketing",
        manager="Claire Martin",
        manager_matricule="1001",
    ),
    Employee(
        matricule="1003",
        nom="Œillet",
        prenom="Zoé",
        date_entree=date(2024, 1, 15),
        poste="Commercial",
        row=4,
        service="Ventes",
        manager="1001",
        manager_matricule="1001",
    ),
)


@pytest.fixture
def roster_xlsx(write_xlsx: Callable[..., Path]) -> Path:
    """A clean one-sheet workbook: header on row 1, three employees on rows 2-4."""
    return write_xlsx("salaries.xlsx", [HEADER, *XLSX_ROWS])


def test_xlsx_roster_is_read_whole(roster_xlsx: Path) -> None:
    assert read_roster(roster_xlsx, today=ROSTER_DAY) == Roster(
        source=roster_xlsx,
        sheet="Salariés",
        header_row=1,
        columns=COLUMNS,
        employees=EMPLOYEES,
        excluded=(),
        problems=(),
        ignored_columns=0,
    )


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [
        pytest.param("cp1252", ";", id="cp1252-excel-csv"),
        pytest.param("utf-8-sig", ";", id="utf8-with-bom"),
        pytest.param("utf-8", ";", id="utf8-without-bom"),
        pytest.param("utf-16", "\t", id="utf16-texte-unicode"),
    ],
)
def test_csv_encodings(write_csv: Callable[..., Path], encoding: str, sep: str) -> None:
    path = write_csv("salaries.csv", [HEADER, *CSV_ROWS], encoding=encoding, sep=sep)

    assert read_roster(path, today=ROSTER_DAY) == Roster(
        source=path,
        sheet=None,
        header_row=1,
        columns=COLUMNS,
        employees=EMPLOYEES,
        excluded=(),
        problems=(),
        ignored_columns=0,
    )


def test_cp1252_fixture_is_not_utf8(write_csv: Callable[..., Path]) -> None:
    """Guards the test above: the cp1252 file must take the fallback decoding path."""
    path = write_csv("salaries.csv", [HEADER, *CSV_ROWS], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"], ids=["semicolon", "comma", "tab", "pipe"])
def test_csv_separators(write_csv: Callable[..., Path], sep: str) -> None:
    path = write_csv("salaries.csv", [HEADER, *CSV_ROWS], sep=sep)

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == EMPLOYEES
    assert roster.problems == ()


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_csv_line_endings(write_csv: Callable[..., Path], newline: str) -> None:
    path = write_csv("salaries.csv", [HEADER, *CSV_ROWS], newline=newline)

    assert read_roster(path, today=ROSTER_DAY).employees == EMPLOYEES


@pytest.mark.parametrize("sep", [";", ","])
def test_quoted_fields_hold_separators_and_line_breaks(
    write_csv: Callable[..., Path], sep: str
) -> None:
    path = write_csv(
        "salaries.csv",
        [
            ["Matricule", "Nom", "Prénom", "Date d'entrée", "Poste", "Service"],  # line 1
            [
                "1",
                "Durand",
                "Paul",
                "01/02/2020",
                "Responsable\r\nqualité; sécurité, hygiène",
                "Usine",
            ],  # lines 2-3
            [
                "2",
                'Le "Grand" Bé',
                "Anne",
                "03/04/2021",
                "Technicienne",
                "Site\nde\nLyon",
            ],  # lines 4-6
            ["3", "Petit", "Luc", "31/02/2020", "Magasinier", "Usine"],  # line 7
        ],
        sep=sep,
    )

    roster = read_roster(path, today=ROSTER_DAY)

    assert roster.employees == (
        Employee(
            matricule="1",
            nom="Durand",
            prenom="Paul",
            date_entree=date(2020, 2, 1),
            poste="Responsable qualité; sécurité, hygiène",
            row=2,
            service="Usine",
        ),
        Employee(
            matricule="2",
            nom='Le "Grand" Bé',
            prenom="Anne",
            date_entree=date(2021, 4, 3),
            poste="Technicienne",
            row=4,
            service="Site de Lyon",
        ),
    )
    # The record after the multi-line ones is reported at its physical first line.
    assert roster.problems == (
        Problem(
            row=7,
            column="Date d'entrée",
            field="date_entree",
            severity="error",
            message="date impossible « 31/02/2020 » (format attendu jj/mm/aaaa).",
        ),
    )


def test_csv_content_named_xlsx_is_read_as_csv(write_csv: Callable[..., Path]) -> None:
    path = write_csv("salaries.xlsx", [HEADER, *CSV_ROWS])

    roster = read_roster(path, today=ROSTER_DAY)

    assert (roster.sheet, roster.employees, roster.problems) == (None, EMPLOYEES, ())


@pytest.mark.parametrize("name", ["salaries.csv", "salaries.xls", "salaries"])
def test_xlsx_content_with_another_extension_is_read_as_xlsx(
    write_xlsx: Callable[..., Path], name: str
) -> None:
    path = write_xlsx(name, [HEADER, *XLSX_ROWS])

    roster = read_roster(path, today=ROSTER_DAY)

    assert (roster.sheet, roster.employees, roster.problems) == ("Salariés", EMPLOYEES, ())


def test_xlsx_float_cells_written_with_decimals(
    write_xlsx: Callable[..., Path], rewrite_zip_part: Callable[..., Path]
) -> None:
    """openpyxl writes 1042.0 as "1042"; some exporters write "1042.0" (read as a float)."""
    path = write_xlsx(
        "salaries.xlsx",
        [
            ["Matricule", "Nom", "Prénom", "Date d'entrée", "Poste"],
            [1042, "Roux", "Inès", 44197, "Dev"],
        ],
    )
    rewrite_zip_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<v>1042</v>", b"<v>1042.0</v>").replace(
            b"<v>44197</v>", b"<v>44197.0</v>"
        ),
    )

    assert read_roster(path, today=ROSTER_DAY).employees == (
        Employee(
            matricule="1042",
            nom="Roux",
            prenom="Inès",
            date_entree=date(2021, 1, 1),
            poste="Dev",
            row=2,
        ),
    )
