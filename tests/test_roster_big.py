"""Big and hostile roster files: bounded problems, bounded work, the workbook reader's contract.

Issue 15: a 2 MB workbook of a million one-cell rows kept a million row errors
(1.9 GB); a value far to the right or far down made the reader pad or count
to it. Files are built in code, a few tens of thousands of rows at most, and
no test times anything (bench/bench_roster.py measures).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from factories import REQUIRED_HEADER, TODAY

from entretien_forms import roster as roster_package
from entretien_forms.cli import cli
from entretien_forms.errors import RosterError, UnreadableFileError
from entretien_forms.roster import MAX_KEPT_PROBLEMS, Problem, import_file, read_roster
from entretien_forms.roster import _csv as csv_reader
from entretien_forms.roster import _xlsx as xlsx_reader
from entretien_forms.roster.tables import open_tables
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _package(path: Path, sheet_data: str, *, before: str = "", shared: str | None = None) -> Path:
    """A minimal .xlsx written by hand: one sheet whose <sheetData> holds ``sheet_data``."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
        "xl/workbook.xml": f"<workbook xmlns='{MAIN}' xmlns:r='{rels}'><sheets>"
        "<sheet name='Salariés' sheetId='1' r:id='rId1'/></sheets></workbook>",
        "xl/_rels/workbook.xml.rels": "<Relationships xmlns='http://schemas.openxmlformats.org/"
        f"package/2006/relationships'><Relationship Id='rId1' Type='{rels}/worksheet' "
        "Target='worksheets/sheet1.xml'/>"
        f"<Relationship Id='rId2' Type='{rels}/sharedStrings' Target='sharedStrings.xml'/>"
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f"{before}<worksheet xmlns='{MAIN}'><sheetData>{sheet_data}"
        "</sheetData></worksheet>",
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f"<sst xmlns='{MAIN}'>{shared}</sst>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def _header_row() -> str:
    cells = "".join(f"<c t='inlineStr'><is><t>{h}</t></is></c>" for h in REQUIRED_HEADER)
    return f"<row r='1'>{cells}</row>"


def test_a_million_error_file_keeps_the_first_problems_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    """Issue 15's hostile workbook, scaled down: rows holding only a matricule."""
    rows = 30_000
    body = "".join(f"<row r='{i}'><c><v>{i}</v></c></row>" for i in range(2, rows + 2))
    path = _package(tmp_path / "salaries.xlsx", _header_row() + body)

    roster = read_roster(path, today=TODAY)

    assert roster.employees == ()
    assert len(roster.problems) == MAX_KEPT_PROBLEMS
    # Four empty required cells a row: the first 250 rows, in row then column order.
    assert [(p.row, p.column) for p in roster.problems[:5]] == [
        (2, "Nom"),
        (2, "Prénom"),
        (2, "Date d'entrée"),
        (2, "Poste"),
        (3, "Nom"),
    ]
    assert roster.problems[-1].row == 251
    assert (roster.errors_left_off, roster.warnings_left_off) == (4 * rows - 1_000, 0)
    assert roster.error_count == 4 * rows
    assert roster.has_errors


def test_problems_found_late_still_come_first_when_their_row_does() -> None:
    """The manager checks run after every row: the cap keeps the earliest rows anyway."""
    header = roster_package._headers.read_header(1, REQUIRED_HEADER)
    kept = roster_package._Problems(header, limit=3)
    for row in (5, 6, 7, 8):
        kept.add(Problem(row, "Nom", "nom", "warning", "w"))
    kept.add(Problem(2, "Poste", "poste", "error", "late"))
    kept.add(Problem(2, "Nom", "nom", "error", "late too"))

    assert [(p.row, p.column) for p in kept.kept()] == [(2, "Nom"), (2, "Poste"), (5, "Nom")]
    assert kept.left_off == {"error": 0, "warning": 3}


def test_an_error_beyond_the_cap_still_fails_the_check(write_csv: Callable[..., Path]) -> None:
    warnings = [
        [str(i), "Roy", "Léa", "01/02/2020", "Vendeuse", "pas un mail"]
        for i in range(1, MAX_KEPT_PROBLEMS + 1)
    ]
    path = write_csv(
        "salaries.csv",
        [
            [*REQUIRED_HEADER, "E-mail"],
            *warnings,
            ["9999", "Roy", "Léo", "31/02/2020", "Vendeur", ""],
        ],
    )

    roster = read_roster(path, today=TODAY)

    assert roster.errors == ()  # the only error is past the first thousand problems
    assert (roster.error_count, roster.errors_left_off, roster.has_errors) == (1, 1, True)


def test_roster_check_says_how_many_problems_are_not_listed(
    write_csv: Callable[..., Path],
) -> None:
    rows = [[str(i), "", "Léa", "01/02/2020", "Vendeuse"] for i in range(1, 1_201)]
    path = write_csv("salaries.csv", [REQUIRED_HEADER, *rows])

    result = CliRunner().invoke(cli, ["roster", "check", str(path)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1] == "0 salarié retenu, 0 exclu, 1200 erreurs, 0 avertissement."
    assert lines[-1] == (
        "… et 200 autres problèmes (seuls les 1000 premiers sont listés) : corrigez ceux-ci, "
        "puis relancez la vérification."
    )
    assert sum(line.startswith("  Ligne ") for line in lines) == 1_000


def test_a_cell_far_to_the_right_is_dropped_with_a_warning(tmp_path: Path) -> None:
    row = (
        "<row r='2'><c t='inlineStr'><is><t>1</t></is></c><c t='inlineStr'><is><t>Roy</t></is></c>"
    )
    row += "<c t='inlineStr'><is><t>Léa</t></is></c><c><v>43862</v></c>"
    row += "<c t='inlineStr'><is><t>Vendeuse</t></is></c><c r='XFD2'><v>1</v></c></row>"
    path = _package(tmp_path / "salaries.xlsx", _header_row() + row)

    with open_tables(path, max_bytes=10**6) as tables:
        widths = [len(cells) for _, cells in tables[0].rows()]
    roster = read_roster(path, today=TODAY)

    assert widths == [5, 5]
    assert [e.nom for e in roster.employees] == ["Roy"]
    assert roster.problems == (
        Problem(
            2,
            None,
            None,
            "warning",
            "cellules au-delà de la colonne 1000 ignorées (la première sur cette ligne) ; "
            "placez le tableau dans les premières colonnes de la feuille.",
        ),
    )


def test_a_row_numbered_far_down_is_not_counted_up_to(tmp_path: Path) -> None:
    far = "<row r='999999999'><c t='inlineStr'><is><t>Total : 0</t></is></c></row>"
    path = _package(tmp_path / "salaries.xlsx", _header_row() + far)

    with open_tables(path, max_bytes=10**6) as tables:
        numbers = [n for n, _ in tables[0].rows()]

    assert numbers == [1, 999_999_999]


def test_too_many_cells_are_refused_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_reader, "MAX_CELLS", 1_000)
    body = "".join(f"<row r='{i}'><c><v>{i}</v></c></row>" for i in range(2, 1_200))
    path = _package(tmp_path / "salaries.xlsx", _header_row() + body)

    with pytest.raises(UnreadableFileError) as caught:
        read_roster(path, today=TODAY)

    assert str(caught.value) == (
        "salaries.xlsx : la feuille « Salariés » contient plus de 0 millions de cellules, bien "
        "au-delà d'une liste de salariés. Exportez seulement les lignes et les colonnes utiles."
    )


def test_too_many_rows_are_refused_not_cut(
    write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roster cut short would mark everyone after the cut as departed: refuse it whole."""
    monkeypatch.setattr(roster_package, "MAX_DATA_ROWS", 10)
    rows = [[str(i), "Roy", "Léa", "01/02/2020", "Vendeuse"] for i in range(1, 11)]
    rows += [[], ["11", "", "", "pas une date", ""]]  # a blank line does not count, this does
    path = write_csv("salaries.csv", [REQUIRED_HEADER, *rows])

    with pytest.raises(RosterError) as caught:
        read_roster(path, today=TODAY)

    assert str(caught.value) == (
        "salaries.csv, ligne 13 : plus de 10 lignes de données, bien au-delà de ce que l'outil "
        "sait suivre. Vérifiez que c'est la bonne liste, ou découpez-la par établissement."
    )


def test_a_document_type_declaration_is_refused(tmp_path: Path) -> None:
    """The door to entity expansion ("billion laughs"): a spreadsheet never needs one."""
    dtd = "<!DOCTYPE worksheet [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>"
    path = _package(tmp_path / "salaries.xlsx", _header_row(), before=dtd)

    with pytest.raises(UnreadableFileError) as caught:
        read_roster(path, today=TODAY)

    assert str(caught.value).startswith("salaries.xlsx : classeur Excel illisible ou endommagé")


def test_a_shared_string_that_does_not_exist_is_a_broken_workbook(tmp_path: Path) -> None:
    path = _package(
        tmp_path / "salaries.xlsx",
        _header_row() + "<row r='2'><c t='s'><v>7</v></c></row>",
        shared="<si><t>Roy</t></si>",
    )

    with pytest.raises(UnreadableFileError) as caught:
        read_roster(path, today=TODAY)

    assert "classeur Excel illisible ou endommagé (IndexError)" in str(caught.value)


# ---------------------------------------------------------------------------
# The streamed reader gives what openpyxl's read-only mode gave (the contract).
# ---------------------------------------------------------------------------


def _from_openpyxl(path: Path) -> list[tuple[str, list[tuple[int, list[object]]]]]:
    """Rows as the roster read them through openpyxl, blank rows left out."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        found = []
        for sheet in workbook.worksheets:
            if sheet.sheet_state != "visible":
                continue
            sheet.reset_dimensions()
            rows = []
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                values = [
                    ("oui" if c else "non")
                    if isinstance(c, bool)
                    else None
                    if isinstance(c, time | timedelta)
                    else c
                    for c in cells
                ]
                if values:
                    rows.append((number, values))
            found.append((sheet.title, rows))
        return found
    finally:
        workbook.close()


def _to_shared_strings(path: Path) -> Path:
    """Move every inline string of the sheets into a shared strings table, as Excel writes.

    openpyxl (3.1) writes inline strings only; Excel writes shared ones.
    """
    inline = re.compile(
        rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t([^>]*)>(.*?)</t></is></c>'
    )
    strings: list[bytes] = []

    def shared(match: re.Match[bytes]) -> bytes:
        strings.append(b"<si><t" + match[3] + b">" + match[4] + b"</t></si>")
        return (
            b'<c r="'
            + match[1]
            + b'"'
            + (match[2] or b"")
            + b' t="s"><v>%d</v></c>' % (len(strings) - 1)
        )

    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    for name in [n for n in parts if n.startswith("xl/worksheets/")]:
        parts[name] = inline.sub(shared, parts[name])
    parts["xl/sharedStrings.xml"] = (
        f"<sst xmlns='{MAIN}' count='{len(strings)}'>".encode() + b"".join(strings) + b"</sst>"
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def _from_tables(path: Path) -> list[tuple[str, list[tuple[int, list[object]]]]]:
    with open_tables(path, max_bytes=10**7) as tables:
        return [(t.name or "", [(n, list(c)) for n, c in t.rows()]) for t in tables]


ROWS: Sequence[Sequence[object]] = (
    ["Texte", "Entier", "Décimal", "Date", "Heure", "Durée", "Booléen", "Vide", "Pourcent"],
    ["Hélène", 42, 3.5, datetime(2021, 3, 14), time(8, 30), timedelta(hours=30), True, None, 0.8],
    ["  espaces  ", -7, 1e20, datetime(1900, 2, 27), None, None, False, None, None],
    [],
    ["après une ligne vide", 0, 0.0, datetime(2024, 2, 29, 17, 45), None, None, None, None, 1],
)


@pytest.mark.parametrize("shared", [False, True], ids=["inline-strings", "shared-strings"])
@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write-only"])
@pytest.mark.parametrize("epoch_1904", [False, True], ids=["1900", "1904"])
def test_cells_read_as_openpyxl_read_them(
    tmp_path: Path, shared: bool, write_only: bool, epoch_1904: bool
) -> None:
    workbook = openpyxl.Workbook(write_only=write_only)
    if epoch_1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    if not write_only:
        workbook.remove(workbook.active)
    sheet = workbook.create_sheet("Données")
    hidden = workbook.create_sheet("Cachée")
    hidden.sheet_state = "hidden"
    hidden.append(["secret"])
    for row in ROWS:
        sheet.append(list(row))
    if not write_only:
        sheet["E2"].number_format = "hh:mm"
        sheet["F2"].number_format = "[h]:mm:ss"
        sheet["I2"].number_format = "0 %"
        sheet["D3"].number_format = "[$-40C]d\\ mmmm\\ yyyy;@"
    second = workbook.create_sheet("Deuxième")
    second.append([None, None, "C1"])
    path = tmp_path / "classeur.xlsx"
    workbook.save(path)
    if shared:
        _to_shared_strings(path)

    assert _from_tables(path) == _from_openpyxl(path)


def test_rich_text_formulas_and_odd_cells_read_as_openpyxl_read_them(
    tmp_path: Path, rewrite_zip_part: Callable[..., Path]
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Salariés"
    for row in (["Riche", "Formule", "Erreur", "Texte formule"], ["x", 1, 2, 3]):
        sheet.append(row)
    path = tmp_path / "classeur.xlsx"
    workbook.save(path)
    _to_shared_strings(path)
    rewrite_zip_part(
        path,
        "xl/sharedStrings.xml",
        lambda xml: xml.replace(
            b"<si><t>x</t></si>",
            b"<si><r><t>No</t></r><r><rPr><b/></rPr><t xml:space='preserve'>\xc3\xabl </t></r>"
            b"<rPh sb='0' eb='1'><t>\xe3\x83\x8e</t></rPh></si>",
        ),
    )
    rewrite_zip_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: (
            xml.replace(b'<c r="B2" t="n"><v>1</v></c>', b'<c r="B2"><f>1+1</f><v>2</v></c>')
            .replace(
                b'<c r="C2" t="n"><v>2</v></c>', b'<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
            )
            .replace(
                b'<c r="D2" t="n"><v>3</v></c>',
                b'<c r="D2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>',
            )
        ),
    )

    read = _from_tables(path)

    assert read == _from_openpyxl(path)
    assert read[0][1][1] == (2, ["Noël ", 2, "#DIV/0!", "ab"])


# ---------------------------------------------------------------------------
# roster.import_file: the library does the import, the CLI only prints it.
# ---------------------------------------------------------------------------


def test_import_file_reads_stores_and_reports(
    workspace: Workspace, write_csv: Callable[..., Path]
) -> None:
    path = write_csv(
        "salaries.csv",
        [
            REQUIRED_HEADER,
            ["1", "Roy", "Léa", "01/02/2020", "Vendeuse"],
            ["2", "Roy", "Léo", "31/02/2020", "Vendeur"],
        ],
    )

    result = import_file(path, workspace, now=datetime(2026, 11, 26, 9, 0), today=TODAY)

    assert [e.matricule for e in result.roster.employees] == ["1"]
    assert result.has_errors  # row 3 was left out
    assert (result.stored.added, result.stored.unchanged) == (["1"], 0)
    with Store.open(workspace.database_path) as store:
        assert [e.matricule for e in store.current_employees()] == ["1"]
        assert store.first_import_on() == date(2026, 11, 26)


@pytest.mark.parametrize("lines", [10, 11])
def test_a_csv_longer_than_excel_allows_is_refused(
    write_bytes: Callable[[str, bytes], Path], monkeypatch: pytest.MonkeyPatch, lines: int
) -> None:
    """A million lines of "1" would take minutes to report; Excel holds 1,048,576 rows."""
    monkeypatch.setattr(csv_reader, "MAX_ROWS", 10)
    numbers = "".join(f"{i}\n" for i in range(2, lines + 1))
    path = write_bytes("salaries.csv", (";".join(REQUIRED_HEADER) + "\n" + numbers).encode())

    if lines == 10:
        assert read_roster(path, today=TODAY).error_count == 4 * 9
        return
    with pytest.raises(UnreadableFileError) as caught:
        read_roster(path, today=TODAY)
    assert str(caught.value) == (
        "salaries.csv : plus de 10 lignes, plus qu'Excel n'en permet et bien au-delà d'une liste "
        "de salariés. Exportez seulement le tableau utile."
    )


@pytest.mark.parametrize("prefix", ["x", "ss"])
def test_a_sheet_with_a_namespace_prefix_is_read_the_same(
    tmp_path: Path, rewrite_zip_part: Callable[..., Path], prefix: str
) -> None:
    """Some generators (.NET's Open XML SDK) write <x:worksheet xmlns:x="...">."""
    row = (
        "<row r='2'><c t='inlineStr'><is><t>1</t></is></c><c t='inlineStr'><is><t>Roy</t></is></c>"
    )
    row += "<c t='inlineStr'><is><t>Léa</t></is></c><c t='inlineStr'><is><t>01/02/2020</t></is></c>"
    row += "<c t='inlineStr'><is><t>Vendeuse</t></is></c></row>"
    plain = _package(tmp_path / "sans.xlsx", _header_row() + row)
    prefixed = _package(tmp_path / "avec.xlsx", _header_row() + row)
    rewrite_zip_part(
        prefixed,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<(/?)(\w+)", rb"<\1" + prefix.encode() + rb":\2", xml).replace(
            b"xmlns=", b"xmlns:" + prefix.encode() + b"="
        ),
    )

    assert _from_tables(prefixed) == _from_tables(plain)
    assert [e.nom for e in read_roster(prefixed, today=TODAY).employees] == ["Roy"]


def test_a_sheet_outside_the_spreadsheet_namespace_is_a_broken_workbook(
    tmp_path: Path, rewrite_zip_part: Callable[..., Path]
) -> None:
    path = _package(tmp_path / "salaries.xlsx", _header_row())
    rewrite_zip_part(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(MAIN.encode(), b"urn:autre")
    )

    with pytest.raises(UnreadableFileError) as caught:
        read_roster(path, today=TODAY)

    assert "classeur Excel illisible ou endommagé (ValueError)" in str(caught.value)
