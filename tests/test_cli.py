"""The CLI's own behaviour: exit codes, French output, workspace selection."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entretien_forms.cli import cli
from entretien_forms.store import Store
from entretien_forms.workspace import open_workspace

GOOD = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;E-mail\n"
    "1;Martin;Claire;01/02/2015;Directrice;claire@exemple.fr\n"
    "2;Dubois;Thomas;31/02/2020;Commercial;thomas@@exemple\n"
)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def roster_csv(tmp_path: Path) -> Path:
    path = tmp_path / "salaries.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


@pytest.fixture
def workspace_root(tmp_path: Path) -> Path:
    """A workspace made by « entretien init », as the path the CLI is given."""
    root = tmp_path / "espace"
    assert run("init", str(root)).exit_code == 0
    return root


def test_roster_check_human_output(roster_csv: Path) -> None:
    result = run("roster", "check", str(roster_csv))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Fichier salaries.csv (en-tête ligne 1)",
        "1 salarié retenu, 0 exclu, 1 erreur, 1 avertissement.",
        "Erreurs (lignes non retenues) :",
        "  Ligne 3, colonne « Date d'entrée » : date impossible « 31/02/2020 » "
        "(format attendu jj/mm/aaaa).",
        "Avertissements :",
        "  Ligne 3, colonne « E-mail » : adresse e-mail mal formée « thomas@@exemple » ; "
        "elle est ignorée, corrigez-la.",
    ]


def test_roster_check_json(roster_csv: Path) -> None:
    result = run("roster", "check", str(roster_csv), "--json")
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "employees": 1,
        "excluded": 0,
        "problems": [
            {
                "row": 3,
                "column": "Date d'entrée",
                "field": "date_entree",
                "severity": "error",
                "message": "date impossible « 31/02/2020 » (format attendu jj/mm/aaaa).",
            },
            {
                "row": 3,
                "column": "E-mail",
                "field": "email",
                "severity": "warning",
                "message": "adresse e-mail mal formée « thomas@@exemple » ; elle est ignorée, "
                "corrigez-la.",
            },
        ],
    }


def test_roster_check_exit_0_without_errors(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text(GOOD.splitlines()[0] + "\n" + GOOD.splitlines()[1] + "\n", encoding="utf-8")
    assert run("roster", "check", str(path)).exit_code == 0


def test_roster_check_exit_2_when_not_a_roster(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("bonjour;le;monde\n1;2;3\n", encoding="utf-8")
    result = run("roster", "check", str(path))
    assert result.exit_code == 2
    assert "aucune ligne d'en-tête reconnue" in result.output
    assert "Traceback" not in result.output
    as_json = run("roster", "check", str(path), "--json")
    assert as_json.exit_code == 2
    assert "aucune ligne d'en-tête" in json.loads(as_json.output)["error"]


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("roster", "check", str(tmp_path / "absent.csv"))
    assert result.exit_code == 2


def test_import_outside_a_workspace_says_how_to_create_one(
    roster_csv: Path, tmp_path: Path
) -> None:
    result = run("-w", str(tmp_path / "vide"), "roster", "import", str(roster_csv))
    assert result.exit_code == 1
    assert "n'est pas un espace de travail" in result.output
    assert "entretien init" in result.output


def test_import_stores_valid_rows_and_reports_errors(
    roster_csv: Path, workspace_root: Path
) -> None:
    result = run("-w", str(workspace_root), "roster", "import", str(roster_csv))
    assert result.exit_code == 1  # one row had an error
    assert "Import enregistré : 1 nouveau salarié" in result.output
    with Store.open(open_workspace(workspace_root).database_path) as store:
        assert [e.matricule for e in store.current_employees()] == ["1"]


def test_workspace_from_environment_variable(roster_csv: Path, workspace_root: Path) -> None:
    result = run(
        "roster", "import", str(roster_csv), env={"ENTRETIEN_WORKSPACE": str(workspace_root)}
    )
    assert "Import enregistré" in result.output


def test_init_twice_says_what_it_kept(workspace_root: Path) -> None:
    config = workspace_root / "entretien.toml"
    config.write_text(config.read_text().replace("effectif = 0", "effectif = 55"))
    result = run("init", str(workspace_root))
    assert result.exit_code == 0
    assert "conservé  entretien.toml (modifié par vous, non écrasé)" in result.output


def test_config_error_is_french_without_traceback(workspace_root: Path, roster_csv: Path) -> None:
    (workspace_root / "entretien.toml").write_text("[entreprise]\neffectif = 'x'\n")
    result = run("-w", str(workspace_root), "roster", "import", str(roster_csv))
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : entretien.toml, [entreprise] effectif")
    assert "Traceback" not in result.output


def test_unexpected_failure_writes_a_log_not_a_traceback(
    workspace_root: Path, roster_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug interne")

    monkeypatch.setattr("entretien_forms.roster.importing.read_roster", boom)
    result = run("-w", str(workspace_root), "roster", "import", str(roster_csv))
    assert result.exit_code == 1
    assert "Erreur inattendue" in result.output
    assert "Traceback" not in result.output
    logs = list((workspace_root / ".entretien" / "logs").glob("*.log"))
    assert len(logs) == 1
    assert "RuntimeError: bug interne" in logs[0].read_text()


def test_demo_reads_and_imports_the_sample_company(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = run("demo", str(target))
    assert result.exit_code == 0, result.output
    assert "28 salariés retenus, 2 exclus, 0 erreur, 2 avertissements." in result.output
    assert "Claire Martin (Directrice commerciale) : 12 salarié(s)" in result.output
    assert (target / "salaries-exemple.csv").is_file()
    year = date.today().year
    assert f"28 formulaires émis (entretien annuel, campagne {year})" in result.output
    # Professional interviews go to the employees due within the campaign's horizon
    # (the sample's dates are fixed, so how many depends on today); the others are counted.
    issued = re.search(
        rf"(\d+) formulaires? émis \(entretien professionnel, campagne {year}\)", result.output
    )
    assert issued is not None, result.output
    not_due = re.search(r"(\d+) salariés? sans entretien professionnel dû", result.output)
    professional = int(issued.group(1))
    assert professional + (int(not_due.group(1)) if not_due else 0) == 28
    # The managers' returns went through the real inbox: 7 stored, 1 set aside.
    assert "Les responsables renvoient 8 fichiers" in result.output
    assert result.output.count("\n  OK      retour-") == 7
    assert "REJETÉ  entretien-ancien-format.doc" in result.output
    assert "(entretien.date) : réponse obligatoire absente." in result.output
    assert (target / "rejected" / "entretien-ancien-format.doc.txt").is_file()
    assert (target / "outbox" / f"plan-developpement-competences-{year}.xlsx").is_file()
    assert (target / "outbox" / "suivi-entretiens.xlsx").is_file()
    campaign = target / "outbox" / str(year)
    assert len(list(campaign.glob("*/*-annuel.docx"))) == 28
    assert len(list(campaign.glob("*/*-professionnel.pdf"))) == professional
    assert sorted(p.name for p in (campaign / "impression").iterdir()) == [
        "Claire-Martin.pdf",
        "Julien-Bernard.pdf",
        "Sophie-Lefevre.pdf",
        "sans-responsable.pdf",
        "tous.pdf",
    ]
    assert 'nom = "Horizon Ventes & Conseil SAS"' in (target / "entretien.toml").read_text("utf-8")
    # Running it again is harmless: same people, nothing new, no form issued twice.
    again = run("demo", str(target))
    assert "0 nouveau salarié" in again.output and "28 fiches inchangées" in again.output
    assert "0 formulaire émis" in again.output and "28 salariés ignorés" in again.output
    assert "Retours déjà reçus lors d'une démonstration précédente" in again.output


def test_module_entry_point_runs() -> None:
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "entretien_forms", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.startswith("entretien-forms ")


def test_a_legacy_code_page_console_never_crashes_the_command(tmp_path: Path) -> None:
    """Windows consoles in cp1252: « → » cannot be shown there; the demo must still finish."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [sys.executable, "-m", "entretien_forms", "demo", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode("cp1252", "replace")
    assert b"OK      retour-" in result.stdout
