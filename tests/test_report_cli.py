"""``entretien report`` end to end: roster, forms, returns, HR sheets → two workbooks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from entretien_forms.cli import cli

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable;Date de naissance\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;;12/05/1975\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1;03/09/1990\n"
    "S3;Dubois;Thomas;01/09/2021;Responsable SEO;Marketing;M1;\n"
)
TRAININGS = (
    "Matricule;Intitulé;Date de début;Date de fin;Heures;Obligatoire;Coût;Statut\n"
    "S2;Négociation avancée;02/02/2026;03/02/2026;14;non;900;réalisé\n"
    "S9;Inconnu;02/02/2026;03/02/2026;7;non;100;réalisé\n"
    "S3;SEO technique;31/02/2026;01/03/2026;7;non;500;planifié\n"
)


def test_report_writes_both_workbooks_and_lists_sheet_problems(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    (root / "formations.csv").write_text(TRAININGS, encoding="utf-8")
    generated = runner.invoke(cli, ["-w", str(root), "generate", str(roster), "--kind", "annuel"])
    assert generated.exit_code == 0, generated.output

    result = runner.invoke(cli, ["-w", str(root), "report"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "formations.csv : 2 lignes retenues, 1 erreur" in result.output
    assert "Ligne 4, colonne « Date de début »" in result.output
    year = date.today().year
    plan = root / "outbox" / f"plan-developpement-competences-{year}.xlsx"
    follow_up = root / "outbox" / "suivi-entretiens.xlsx"
    assert f"Classeur écrit : {plan}" in result.output
    assert f"Classeur écrit : {follow_up}" in result.output
    assert openpyxl.load_workbook(plan).sheetnames == [
        "Demandes",
        "Synthèse",
        "Matrice de compétences",
        "Engagements",
    ]
    workbook = openpyxl.load_workbook(follow_up)
    assert workbook.sheetnames == ["Salariés", "État des lieux", "Campagne", "Synthèse"]
    matricules = [row[0].value for row in workbook["Salariés"].iter_rows(min_row=2)]
    assert sorted(str(m) for m in matricules if m) == ["M1", "S2", "S3"]


def test_report_says_when_a_workbook_is_open_in_excel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert runner.invoke(cli, ["-w", str(root), "roster", "import", str(roster)]).exit_code == 0
    follow_up = root / "outbox" / "suivi-entretiens.xlsx"
    real_replace = Path.replace

    def excel_holds_it(self: Path, target: str | Path) -> Path:
        if Path(target) == follow_up:
            raise PermissionError(13, "Permission denied", str(target))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", excel_holds_it)

    result = runner.invoke(cli, ["-w", str(root), "report"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "suivi-entretiens.xlsx est ouvert (sans doute dans Excel)" in result.output
    (copy,) = (root / "outbox").glob("suivi-entretiens-*.xlsx")
    assert f"Classeur écrit : {copy}" in result.output
    assert openpyxl.load_workbook(copy).sheetnames[0] == "Salariés"


def test_report_computes_as_of_the_date_given(tmp_path: Path) -> None:
    """`--date 31/12/2026`: the audit date, stated in the workbook, decides every status."""
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert runner.invoke(cli, ["-w", str(root), "roster", "import", str(roster)]).exit_code == 0

    result = runner.invoke(cli, ["-w", str(root), "report", "--date", "31/12/2030"])

    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(root / "outbox" / "suivi-entretiens.xlsx")["Synthèse"]
    assert summary["A2"].value.startswith("Calculé le 31/12/2030")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("31/02/2026", "« 31/02/2026 » n'est pas une date valide ; écrivez-la JJ/MM/AAAA"),
        ("demain", "« demain » n'est pas une date valide ; écrivez-la JJ/MM/AAAA"),
    ],
)
def test_report_and_status_refuse_a_bad_date_in_french(
    tmp_path: Path, written: str, message: str
) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0

    for command in ("report", "status"):
        result = runner.invoke(cli, ["-w", str(root), command, "--date", written])

        assert result.exit_code == 2
        assert message in result.stderr
        assert "Traceback" not in result.output
