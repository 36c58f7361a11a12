from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from factories import TODAY

from entretien_forms.errors import StoreError
from entretien_forms.roster import Roster, read_roster
from entretien_forms.store import MIGRATIONS, Store

HEADER = "Matricule;Nom;Prénom;Date d'entrée;Poste;Date de sortie;Responsable;CA réalisé"


def _roster(tmp_path: Path, name: str, *lines: str) -> Roster:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return read_roster(path, today=TODAY, extra_columns=["CA réalisé"])


def test_new_database_is_migrated_to_the_latest_schema(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS)


def test_first_import_adds_everyone_with_extra_columns(tmp_path: Path, store: Store) -> None:
    roster = _roster(
        tmp_path,
        "a.csv",
        "1;Martin;Claire;01/02/2015;Directrice commerciale;;;",
        "2;Dubois;Thomas;01/03/2020;Commercial;;1;125000",
    )
    report = store.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 9))
    assert report.added == ["1", "2"]
    employees = store.current_employees()
    assert [e.matricule for e in employees] == ["1", "2"]
    assert employees[1].manager_matricule == "1"
    assert employees[1].date_entree == date(2020, 3, 1)
    assert employees[1].extra == {"CA réalisé": "125000"}  # CSV cells stay text


def test_newer_export_updates_and_keeps_history(tmp_path: Path, store: Store) -> None:
    first = _roster(
        tmp_path,
        "a.csv",
        "1;Martin;Claire;01/02/2015;Directrice;;;",
        "2;Dubois;Thomas;01/03/2020;Commercial;;1;",
        "3;Simon;Léa;01/03/2021;Commerciale;;1;",
    )
    store.import_roster(first, sha256="a", now=datetime(2026, 1, 5, 9))
    second = _roster(
        tmp_path,
        "b.csv",
        "1;Martin;Claire;01/02/2015;Directrice;;;",
        "2;Dubois;Thomas;01/04/2020;Commercial;;1;",  # corrected hire date
        "3;Simon;Léa;01/03/2021;Commerciale;30/09/2026;1;",  # left
        "4;Roux;Théo;02/11/2026;SDR;;1;",
    )
    report = store.import_roster(second, sha256="b", now=datetime(2026, 11, 26, 9))

    assert report.added == ["4"]
    assert report.updated == {"2": ["date_entree"]}
    assert report.departed == ["3"]
    assert report.unchanged == 1
    assert [e.matricule for e in store.current_employees()] == ["1", "2", "4"]
    assert store.current_employee_count() == 3  # the one who left is not counted
    history = store.history("2")
    assert [(h.field, h.old_value, h.new_value) for h in history] == [
        ("statut", None, "actif"),
        ("date_entree", "2020-03-01", "2020-04-01"),
    ]
    assert history[1].source_name == "b.csv"
    assert [(h.field, h.new_value) for h in store.history("3")][-2:] == [
        ("statut", "sorti"),
        ("date_sortie", "2026-09-30"),
    ]


def test_employee_missing_from_a_newer_export_becomes_absent(tmp_path: Path, store: Store) -> None:
    store.import_roster(
        _roster(
            tmp_path, "a.csv", "1;Martin;Claire;01/02/2015;D;;;", "2;Roux;Théo;01/02/2019;C;;;"
        ),
        sha256="a",
        now=datetime(2026, 1, 1),
    )
    report = store.import_roster(
        _roster(tmp_path, "b.csv", "1;Martin;Claire;01/02/2015;D;;;"),
        sha256="b",
        now=datetime(2026, 2, 1),
    )
    assert report.missing == ["2"]
    assert [e.matricule for e in store.current_employees()] == ["1"]
    assert store.current_employee_count() == 1
    assert store.roster_import_count() == 2


def test_temp_workers_are_never_stored(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "Matricule;Nom;Prénom;Date d'entrée;Poste;Contrat\n"
        "9;Henry;Lucie;01/02/2026;Assistante;Intérim\n",
        encoding="utf-8",
    )
    store.import_roster(read_roster(path, today=TODAY), sha256="a", now=datetime(2026, 3, 1))
    assert store.current_employees() == []
    assert store.history("9") == []


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entretien.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    connection.close()
    with pytest.raises(StoreError, match="version plus récente"):
        Store.open(path)


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "entretien.sqlite3"
    path.write_bytes(b"ceci n'est pas une base" * 100)
    with pytest.raises(StoreError, match="illisible"):
        Store.open(path)


def _with_last_reviews(tmp_path: Path, name: str, *lines: str) -> Roster:
    path = tmp_path / name
    header = "Matricule;Nom;Prénom;Date d'entrée;Poste;Dernier EP;Dernier état des lieux"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return read_roster(path, today=TODAY)


def test_last_etat_des_lieux_round_trip_and_history(tmp_path: Path, store: Store) -> None:
    first = _with_last_reviews(
        tmp_path,
        "a.csv",
        "1;Martin;Claire;01/02/2015;D;14/03/2022;14/03/2022",
        "2;Roux;Théo;01/02/2019;C;;",
    )
    store.import_roster(first, sha256="a", now=datetime(2026, 1, 5, 9))
    second = _with_last_reviews(
        tmp_path,
        "b.csv",
        "1;Martin;Claire;01/02/2015;D;10/03/2026;14/03/2022",
        "2;Roux;Théo;01/02/2019;C;;03/02/2025",
    )
    report = store.import_roster(second, sha256="b", now=datetime(2026, 11, 26, 9))

    assert report.updated == {
        "1": ["date_dernier_entretien_pro"],
        "2": ["date_dernier_etat_des_lieux"],
    }
    assert [(e.matricule, e.date_dernier_etat_des_lieux) for e in store.current_employees()] == [
        ("1", date(2022, 3, 14)),
        ("2", date(2025, 2, 3)),
    ]
    assert [(h.field, h.old_value, h.new_value) for h in store.history("2")] == [
        ("statut", None, "actif"),
        ("date_dernier_etat_des_lieux", None, "2025-02-03"),
    ]


def test_database_without_the_last_etat_des_lieux_column_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "entretien.sqlite3"
    connection = sqlite3.connect(path)
    released = MIGRATIONS.index(next(m for m in MIGRATIONS if "date_dernier_etat_des_lieux" in m))
    for script in MIGRATIONS[:released]:
        connection.executescript(script)
    connection.executescript(
        "INSERT INTO roster_imports VALUES (1, '2026-01-05T09:00:00', 'a.csv', 'a', 1, 0);"
        "INSERT INTO employees (matricule, nom, prenom, date_entree, poste, "
        "date_dernier_entretien_pro, status, first_import, last_import) VALUES ('1', 'Roy', "
        "'Léa', '2023-01-09', 'Comptable', '2024-09-02', 'actif', 1, 1);"
        f"PRAGMA user_version = {released};"
    )
    connection.close()

    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        (employee,) = store.current_employees()
    assert (employee.date_dernier_entretien_pro, employee.date_dernier_etat_des_lieux) == (
        date(2024, 9, 2),
        None,
    )
