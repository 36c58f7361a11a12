"""A company of long-serving employees, as a new user imports it: only last-interview dates.

The roster is the only source of history here. Before the fix this file pins,
états des lieux were computed from years when the law did not exist (an
employee hired in 2000 had one "due 02/01/2007") and a missing history was
presumed a failure (half the staff "owed" 3,000 €). Now no date may fall
before the rules' first ones (OLD-0: 07/03/2016 for the first interview,
07/03/2020 for the first état des lieux; OLD-2: no top-up before 01/10/2021),
and a top-up that depends on an unknown history is « à vérifier ».
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from entretien_forms.cli import cli

# Twelve long-serving employees; the payroll export knows the last interview at most.
ROSTER = """Matricule;Nom;Prénom;Date d'entrée;Poste;Dernier entretien professionnel
A01;Garnier;Paul;02/01/2000;Comptable;01/03/2024
A02;Morel;Anne;15/06/1995;Directrice administrative;12/10/2023
A03;Lambert;Louis;01/09/2003;Magasinier;
A04;Fontaine;Julie;03/03/2008;Commerciale;20/05/2019
A05;Rousseau;Marc;10/01/2011;Technicien;30/11/2021
A06;Vincent;Sophie;01/04/2013;Acheteuse;
A07;Muller;Hugo;06/03/2014;Soudeur;07/03/2016
A08;Lefevre;Emma;07/03/2014;Cariste;02/02/2025
A09;Faure;Jean;01/02/1998;Chef d'atelier;15/09/2017
A10;Andre;Claire;12/12/2005;Assistante;01/06/2022
A11;Mercier;Luc;01/07/2009;Commercial;10/10/2012
A12;Blanc;Nina;20/08/2012;Comptable;05/01/2020
"""
OLD_LAW_FIRST_INTERVIEW = date(2016, 3, 7)
OLD_LAW_FIRST_REVIEW = date(2020, 3, 7)
TOPUP_FROM = date(2021, 10, 1)


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    config = root / "entretien.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("effectif = 0", "effectif = 60"),
        encoding="utf-8",
    )
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    imported = runner.invoke(cli, ["-w", str(root), "roster", "import", str(roster)])
    assert imported.exit_code == 0, imported.output
    return root


def test_no_date_before_the_law_and_no_topup_on_a_presumption(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    runner = CliRunner()
    as_of = date.today()

    status = runner.invoke(cli, ["-w", str(root), "status", "--json", "--limit", "0"])
    report = runner.invoke(cli, ["-w", str(root), "report"])

    assert status.exit_code == 0 and report.exit_code == 0, status.output + report.output
    data = json.loads(status.stdout)
    assert data["employees"] == 12
    deadlines = data["deadlines"]
    assert {d["kind"] for d in deadlines} == {"entretien_professionnel", "etat_des_lieux"}
    for deadline in deadlines:
        due = date.fromisoformat(deadline["due"])
        first = (
            OLD_LAW_FIRST_INTERVIEW
            if deadline["kind"] == "entretien_professionnel"
            else OLD_LAW_FIRST_REVIEW
        )
        assert due >= first, deadline
        if deadline["status"] == "en_retard":
            # Late only on known facts: nothing held since the roster's last interview.
            assert deadline["to_check"] is None, deadline
        elif deadline["status"] == "a_verifier":
            assert "inconnu" in deadline["to_check"], deadline
    by_status = data["by_status"]
    assert by_status["a_verifier"] >= 2  # A03 and A06: no interview known at all
    # Every employee's two deadlines, apart.
    assert len({(d["matricule"], d["kind"]) for d in deadlines}) == 24
    for review in data["reviews"]:
        assert review["topup_amount"] == 0, review
        if date.fromisoformat(review["due"]) < as_of:
            assert review["topup_to_check"], review

    workbook = openpyxl.load_workbook(root / "outbox" / "suivi-entretiens.xlsx")
    sheet = workbook["État des lieux"]
    headers = [c.value for c in sheet[1]]
    rows = [
        dict(zip(headers, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[0] is not None and row[1] is not None
    ]
    assert rows, "the old états des lieux are listed, to check"
    for row in rows:
        assert row["Abondement correctif"] in ("à vérifier", "non dû"), row
        assert row["Montant"] == 0
        deadline = row["À verser au plus tard le"]
        assert deadline is None or deadline.date() >= TOPUP_FROM
        assert row["À tenir au plus tard le"].date() >= OLD_LAW_FIRST_REVIEW
    summary = {
        r[0]: r[1] for r in workbook["Synthèse"].iter_rows(max_col=2, values_only=True) if r[0]
    }
    assert summary["Abondements correctifs dus"] == 0
    assert summary["Montant des abondements correctifs dus"] == 0
    assert summary["Abondements correctifs à vérifier"] >= 6
    employees = workbook["Salariés"]
    headers = [c.value for c in employees[1]]
    for values in employees.iter_rows(min_row=2, values_only=True):
        row = dict(zip(headers, values, strict=True))
        for column in ("Prochain entretien professionnel", "Prochain état des lieux"):
            assert row[column] is None or row[column] >= datetime(2016, 3, 7), row


def test_hr_history_sheet_makes_the_figures_definite(tmp_path: Path) -> None:
    """A02 listed with all her interviews: her first état des lieux is settled."""
    root = _workspace(tmp_path)
    (root / "historique.csv").write_text(
        "Matricule;Date;Type\n"
        "A02;10/02/2016;EP\n"
        "A02;05/02/2018;EP\n"
        "A02;15/01/2020;EDL\n"
        "A02;12/10/2023;EP\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(
        cli, ["-w", str(root), "status", "--json", "--limit", "0", "--date", "04/12/2026"]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    anne = [d for d in data["deadlines"] if d["matricule"] == "A02"]
    assert all(d["to_check"] is None for d in anne)
    assert all(r["matricule"] != "A02" or not r["topup_to_check"] for r in data["reviews"])


def test_report_reads_the_history_given_on_the_command_line(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    history = tmp_path / "entretiens-passes.csv"
    history.write_text(
        "Matricule;Date de l'entretien;Type d'entretien\n"
        "A03;15/01/2016;Entretien professionnel\n"
        "A03;10/01/2018;EP\n"
        "A03;12/04/2019;Entretien annuel\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(
        cli, ["-w", str(root), "report", "--historique", str(history), "--date", "04/12/2026"]
    )

    assert result.exit_code == 0, result.output
    assert "entretiens-passes.csv : 2 lignes retenues, 0 erreur, 1 avertissement." in result.output
    sheet = openpyxl.load_workbook(root / "outbox" / "suivi-entretiens.xlsx")["Salariés"]
    headers = [c.value for c in sheet[1]]
    rows = {
        r[0]: dict(zip(headers, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
        if r[0]
    }
    louis = rows["A03"]
    # His whole history is listed: the interview due 10/01/2020, deferred to 30/06/2021
    # (OLD-1), was missed, for sure.
    assert (louis["Statut"], louis["Prochain entretien professionnel"], louis["À vérifier"]) == (
        "en retard",
        datetime(2021, 6, 30),
        # No trainings sheet: the top-up of his 2021 état des lieux is still to check.
        "abondement de l'état des lieux n° 1 : une formation non obligatoire a été suivie "
        "(aucun tableau des formations)",
    )
    assert louis["Dernier entretien professionnel"] == datetime(2018, 1, 10)
    assert louis["Source du dernier entretien"] == "historique des entretiens (RH)"
