"""Shared test fixtures.

Roster files are built in code, in ``tmp_path``: ``write_csv`` and ``write_xlsx``
return a function that writes one file and gives back its path. ``store`` and
``workspace`` give an empty database and a new workspace; a test file whose
tests share a populated one defines its own fixture of the same name. The
states themselves are built by the plain functions of ``factories.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest
from factories import STORE_PATH

from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

# Real mail servers on 127.0.0.1 (Dovecot, aiosmtpd): fixtures imap_server, smtp_server.
pytest_plugins = ["mailserver"]

Rows = Iterable[Sequence[object]]


def _csv_bytes(rows: Rows, *, encoding: str, sep: str, newline: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator=newline).writerows(rows)
    text = buffer.getvalue()
    if encoding == "utf-16":  # Excel's "Texte Unicode": UTF-16 LE with its BOM
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)  # "utf-8-sig" writes the BOM itself


def _xlsx(
    path: Path,
    sheets: Sequence[tuple[str, Rows]],
    *,
    states: Mapping[str, str],
    merged: Sequence[str],
) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for cells in sheet.iter_rows():
            for cell in cells:
                # openpyxl turns a string starting with "=" into a formula; a user's
                # text cell "=HYPERLINK(...)" is text, so keep it as text.
                if cell.data_type == "f":
                    cell.data_type = "s"
        sheet.sheet_state = states.get(title, "visible")
    for ref in merged:
        workbook.worksheets[0].merge_cells(ref)
    workbook.save(path)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty database (schema migrated, nothing imported), open for the test."""
    with Store.open(tmp_path / STORE_PATH) as opened:
        yield opened


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A new workspace in ``tmp_path / "ws"``: settings, form definitions, folders, no roster."""
    init_workspace(tmp_path / "ws")
    return open_workspace(tmp_path / "ws")


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write raw bytes to ``tmp_path / name``."""

    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """``write_csv(name, rows, encoding="utf-8", sep=";", newline="\\r\\n")``.

    Encodings: "utf-8", "utf-8-sig" (with BOM), "cp1252", "utf-16" (LE with BOM).
    Fields holding the separator, a quote or a line break are quoted, as Excel does.
    """

    def write(
        name: str,
        rows: Rows,
        *,
        encoding: str = "utf-8",
        sep: str = ";",
        newline: str = "\r\n",
    ) -> Path:
        path = tmp_path / name
        path.write_bytes(_csv_bytes(rows, encoding=encoding, sep=sep, newline=newline))
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """``write_xlsx(name, rows, sheet="Salariés", merged=())`` for one sheet, or
    ``write_xlsx(name, sheets=[(title, rows), ...], states={title: "hidden"})``.

    Rows are appended from row 1 (an empty row leaves a blank line); datetimes
    become real Excel dates; every string stays a text cell.
    """

    def write(
        name: str,
        rows: Rows | None = None,
        *,
        sheet: str = "Salariés",
        sheets: Sequence[tuple[str, Rows]] = (),
        states: Mapping[str, str] | None = None,
        merged: Sequence[str] = (),
    ) -> Path:
        assert (rows is None) != (not sheets), "give rows or sheets, not both"
        return _xlsx(
            tmp_path / name,
            sheets or [(sheet, rows or [])],
            states=states or {},
            merged=merged,
        )

    return write


@pytest.fixture
def rewrite_zip_part() -> Callable[[Path, str, Callable[[bytes], bytes]], Path]:
    """Rewrite one part of a zip (an .xlsx) in place: ``rewrite(path, part, transform)``."""

    def rewrite(path: Path, part: str, transform: Callable[[bytes], bytes]) -> Path:
        with zipfile.ZipFile(path) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in parts:
                target.writestr(info, transform(data) if info.filename == part else data)
        return path

    return rewrite


@pytest.fixture
def require_tool() -> Callable[[str], str]:
    """``require_tool("soffice")``: the tool's path; skips if missing, but fails in CI.

    ``.ci/run`` installs LibreOffice and poppler and sets
    ``ENTRETIEN_INTEGRATION=required``, so an integration test there can never
    pass by being skipped.
    """

    def find(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            message = f"{name} is not installed (Debian: libreoffice-writer-nogui, poppler-utils)"
            if os.environ.get("ENTRETIEN_INTEGRATION") == "required":
                pytest.fail(message)
            pytest.skip(message)
        return path

    return find
