"""The streamed rows of the big sheets: every value as openpyxl would write it, in its place."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from entretien_forms.errors import EntretienError
from entretien_forms.reports._rows import Look
from entretien_forms.reports._workbook import (
    DATE_FORMAT,
    EURO_FORMAT,
    RED,
    Report,
    dated_copy_name,
    save_atomically,
    table_sheet,
)


def _reopen(report: Report) -> openpyxl.Workbook:
    saved = io.BytesIO()
    report.save(saved)
    return openpyxl.load_workbook(saved)


def test_values_of_every_kind_read_back_as_written() -> None:
    report = Report("essai")
    sheet = report.create_sheet("Valeurs")
    rows = report.stream(sheet, 1)
    dated = rows.style(Look(number_format=DATE_FORMAT))
    stamped = rows.style(Look(number_format="DD/MM/YYYY HH:MM"))
    values = [
        "texte",
        "  espaces gardés  ",
        "a & b < c > d",
        "ligne 1\nligne 2",
        True,
        42,
        2.5,
        Decimal("1234.50"),
        date(2026, 2, 28),
        datetime(2026, 11, 26, 14, 30),
        "é€ — 😀",
    ]
    rows.append(values, {9: dated, 10: stamped})

    (read,) = _reopen(report)["Valeurs"].iter_rows(values_only=True)

    assert list(read) == [
        "texte",
        "  espaces gardés  ",
        "a & b < c > d",
        "ligne 1\nligne 2",
        True,
        42,
        2.5,
        1234.5,
        datetime(2026, 2, 28),  # openpyxl reads every date cell as a datetime
        datetime(2026, 11, 26, 14, 30),
        "é€ — 😀",
    ]


def test_hostile_text_stays_text_and_the_file_stays_valid() -> None:
    report = Report("essai")
    sheet = report.create_sheet("Hostile")
    rows = report.stream(sheet, 1)
    rows.append(
        [
            '=HYPERLINK("http://evil.example","clic")',
            "+33 6 12 34 56 78",
            "nul\x00 et\x07 bip\ud800",
            "</t></is></c><c r='Z9'><v>1</v></c>",
            "x" * 40_000,
            float("nan"),
        ]
    )

    (read,) = _reopen(report)["Hostile"].iter_rows(values_only=True)

    assert read[0] == '\'=HYPERLINK("http://evil.example","clic")'
    assert read[1] == "'+33 6 12 34 56 78"
    assert read[2] == "nul et bip"  # characters XML forbids are dropped
    assert read[3] == "</t></is></c><c r='Z9'><v>1</v></c>"
    assert len(read[4]) == 32_767 and read[4].endswith("…")  # Excel's limit
    assert read[5] == "nan"


def test_streamed_rows_sit_between_openpyxl_rows_in_order() -> None:
    report = Report("essai")
    sheet = report.create_sheet("Mêlé")
    sheet["A1"] = "titre"
    sheet["A2"] = "en-tête"
    rows = report.stream(sheet, 3)
    for n in range(3):
        rows.append({1: f"ligne {n}", 4: n})
    sheet["A7"] = "total"
    sheet["D7"] = 3

    reopened = _reopen(report)["Mêlé"]

    assert list(reopened.iter_rows(values_only=True)) == [
        ("titre", None, None, None),
        ("en-tête", None, None, None),
        ("ligne 0", None, None, 0),
        ("ligne 1", None, None, 1),
        ("ligne 2", None, None, 2),
        (None, None, None, None),
        ("total", None, None, 3),
    ]
    assert reopened.dimensions == "A1:D7"


def test_a_row_written_twice_is_refused() -> None:
    report = Report("essai")
    sheet = report.create_sheet("Conflit")
    rows = report.stream(sheet, 2)
    rows.append(["streamed"])
    sheet["B2"] = "openpyxl"  # a programming error: two writers for row 2

    with pytest.raises(ValueError, match="row 2"):
        report.save(io.BytesIO())


def test_table_sheet_formats_wraps_and_filters(tmp_path: Path) -> None:
    report = Report("essai")
    long_text = "Une remarque assez longue pour tenir sur plusieurs lignes de la colonne. " * 3
    table_sheet(
        report,
        "Table",
        ["Nom", "Date", "Montant", "Remarque", "Retard"],
        [
            ["Durand", date(2026, 1, 5), 1500, long_text, 12],
            ["Martin", None, None, "courte", None],
        ],
        widths=[12, 12, 12, 30, 10],
        formats={1: DATE_FORMAT, 2: EURO_FORMAT, 4: Look(fill=RED, font=Font(bold=True))},
        wrap=[3],
    )
    path = tmp_path / "table.xlsx"
    report.save(path)
    sheet = openpyxl.load_workbook(path)["Table"]

    assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith("1F3864")
    assert sheet["B2"].number_format == DATE_FORMAT
    assert sheet["C2"].number_format == EURO_FORMAT
    assert sheet["D2"].alignment.wrap_text and not sheet["D3"].alignment.wrap_text
    assert sheet.row_dimensions[2].height > 15 and sheet.row_dimensions[3].height is None
    assert sheet["E2"].fill.fgColor.rgb.endswith("FFC7CE") and sheet["E2"].font.bold
    # Empty cells of a formatted column get the column's format for what HR types later.
    assert sheet.column_dimensions["B"].number_format == DATE_FORMAT
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3"
    assert sheet.page_setup.orientation == "landscape"
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None


def test_empty_table_is_its_header_alone() -> None:
    report = Report("essai")
    table_sheet(report, "Vide", ["A", "B"], [])

    sheet = _reopen(report)["Vide"]

    assert list(sheet.iter_rows(values_only=True)) == [("A", "B")]
    assert sheet.auto_filter.ref is None


def _locked_replace(locked: Path) -> object:
    real_replace = Path.replace

    def replace(self: Path, target: str | Path) -> Path:
        if Path(target) == locked:
            raise PermissionError(13, "Permission denied", str(target))
        return real_replace(self, target)

    return replace


def test_workbook_open_in_excel_gets_a_dated_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "suivi-entretiens.xlsx"
    target.write_bytes(b"ancienne version ouverte dans Excel")
    monkeypatch.setattr(Path, "replace", _locked_replace(target))
    report = Report("essai")
    table_sheet(report, "Table", ["A"], [["nouveau"]])

    first = save_atomically(report, target, now=datetime(2026, 11, 26, 14, 5))
    assert first.name == "suivi-entretiens-2026-11-26-14h05.xlsx"
    assert target.read_bytes() == b"ancienne version ouverte dans Excel"
    assert openpyxl.load_workbook(first)["Table"]["A2"].value == "nouveau"
    first.touch()  # the same minute again: a second name
    assert dated_copy_name(target, datetime(2026, 11, 26, 14, 5)).name == (
        "suivi-entretiens-2026-11-26-14h05-2.xlsx"
    )

    # The next run (the watcher's next batch) replaces the copy instead of adding one.
    second = save_atomically(report, target, now=datetime(2026, 11, 26, 15, 40))
    assert second.name == "suivi-entretiens-2026-11-26-15h40.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "suivi-entretiens-2026-11-26-15h40.xlsx",
        "suivi-entretiens.xlsx",
    ]  # no temporary file left behind

    # Excel closed: the workbook is written under its name and the copy goes.
    monkeypatch.undo()
    assert save_atomically(report, target) == target
    assert [p.name for p in tmp_path.iterdir()] == ["suivi-entretiens.xlsx"]
    assert openpyxl.load_workbook(target)["Table"]["A2"].value == "nouveau"


def test_unwritable_folder_is_a_french_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, target: str | Path) -> Path:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(Path, "replace", refuse)
    report = Report("essai")
    table_sheet(report, "Table", ["A"], [["x"]])

    with pytest.raises(EntretienError, match="Impossible d'écrire suivi.xlsx"):
        save_atomically(report, tmp_path / "suivi.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_libreoffice_reads_the_streamed_rows_back(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    """LibreOffice Calc parses our rows: it re-saves the same values, types and formats."""
    soffice = require_tool("soffice")
    report = Report("essai")
    table_sheet(
        report,
        "Table",
        ["Nom", "Date", "Montant", "Remarque"],
        [
            ["Durand & fils <SARL>", date(2026, 1, 5), 1500, "=1+1"],
            ["  Martin  ", date(2024, 2, 29), 2.5, None],
        ],
        formats={1: DATE_FORMAT, 2: EURO_FORMAT},
    )
    sheet = report["Table"]
    sheet["A5"] = "total"  # an openpyxl cell below the streamed ones
    source = tmp_path / "source.xlsx"
    report.save(source)

    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "resaved"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    resaved = openpyxl.load_workbook(tmp_path / "resaved" / "source.xlsx")["Table"]

    assert list(resaved.iter_rows(values_only=True)) == [
        ("Nom", "Date", "Montant", "Remarque"),
        ("Durand & fils <SARL>", datetime(2026, 1, 5), 1500, "'=1+1"),
        ("  Martin  ", datetime(2024, 2, 29), 2.5, None),
        (None, None, None, None),
        ("total", None, None, None),
    ]
    assert resaved["B2"].is_date and "€" in resaved["C2"].number_format


# --- The contract with openpyxl ----------------------------------------------------------
# _rows.py relies on a few openpyxl details that are not its documented API (pyproject.toml
# pins openpyxl to 3.1.x for that reason). Each is checked here, so that a new openpyxl that
# changes one fails these tests with a name, not a workbook Excel refuses to open.


def test_openpyxl_contract_excel_writer_writes_the_package_into_a_given_archive() -> None:
    import zipfile
    from io import BytesIO

    from openpyxl.writer.excel import ExcelWriter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "titre"
    workbook.create_sheet("Vide")
    package = BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        ExcelWriter(workbook, archive).save()
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        assert sheet.path.lstrip("/") in names  # "/xl/worksheets/sheet1.xml"
        full = archive.read("xl/worksheets/sheet1.xml")
        empty = archive.read("xl/worksheets/sheet2.xml")
    # _spliced finds the rows by these tags and widens this dimension.
    assert b'<dimension ref="A1:A1"' in full
    assert b'<sheetData><row r="1"' in full and b"</sheetData>" in full
    assert any(
        tag in empty for tag in (b"<sheetData/>", b"<sheetData />", b"<sheetData></sheetData>")
    )


def test_openpyxl_contract_a_cells_style_id_registers_the_style_once() -> None:
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    first = Cell(sheet)
    first.font = Font(bold=True)
    second = Cell(sheet)
    second.font = Font(bold=True)
    plain = Cell(sheet)

    # StreamedRows.style writes this number as the s="…" attribute of its cells.
    assert first.style_id == second.style_id != plain.style_id
    assert isinstance(first.style_id, int) and first.style_id > 0
