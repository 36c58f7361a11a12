"""Generation end to end: plan, files, ledger, idempotence, print batches, CLI."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import TODAY
from pypdf import PdfReader

from entretien_forms.cli import cli
from entretien_forms.errors import FormDefinitionError, GenerationError
from entretien_forms.forms import load_catalog
from entretien_forms.generate import (
    GenerationRequest,
    issue_forms,
    plan_generation,
    write_print_batches,
)
from entretien_forms.identity import verify
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable;CA réalisé\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1;125000\n"
    "S3;Dubois;Thomas;01/09/2021;Responsable SEO;Marketing;M1;\n"
    "S4;../../etc;=HACK();01/09/2022;Comptable;Finance;;\n"
)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    init_workspace(tmp_path / "ws")
    return open_workspace(tmp_path / "ws")


@pytest.fixture
def store(workspace: Workspace) -> Store:
    roster_file = workspace.root / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY, extra_columns=["CA réalisé"])
    with Store.open(workspace.database_path) as opened:
        opened.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        yield opened


def _generate(workspace: Workspace, store: Store, **options: object) -> tuple:
    request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY, **options)  # type: ignore[arg-type]
    catalog = load_catalog(workspace.templates_dir)
    employees = store.current_employees()
    plan = plan_generation(workspace, employees, catalog, store, request)
    report = issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    return plan, report


def test_generates_docx_and_pdf_per_employee_in_manager_folders(
    workspace: Workspace, store: Store
) -> None:
    _, report = _generate(workspace, store)
    assert [f.reference for f in report.issued] == [
        "EA-2026-00001",
        "EA-2026-00002",
        "EA-2026-00003",
        "EA-2026-00004",
    ]
    files = sorted(
        p.relative_to(workspace.outbox).as_posix()
        for p in workspace.outbox.rglob("*")
        if p.is_file()
    )
    assert files == [
        "2026/Claire-Martin/Dubois-Thomas-S3-annuel.docx",
        "2026/Claire-Martin/Dubois-Thomas-S3-annuel.pdf",
        "2026/Claire-Martin/Lefevre-Eloise-S2-annuel.docx",
        "2026/Claire-Martin/Lefevre-Eloise-S2-annuel.pdf",
        "2026/sans-responsable/Martin-Claire-M1-annuel.docx",
        "2026/sans-responsable/Martin-Claire-M1-annuel.pdf",
        "2026/sans-responsable/etc-HACK-S4-annuel.docx",
        "2026/sans-responsable/etc-HACK-S4-annuel.pdf",
    ]


def test_hostile_names_stay_inside_the_outbox(workspace: Workspace, store: Store) -> None:
    _generate(workspace, store)
    for path in workspace.root.rglob("*"):
        assert workspace.root in path.resolve().parents or path.resolve() == workspace.root
    assert not (workspace.root.parent / "etc").exists()


def test_ledger_records_signed_identity_and_hashes(workspace: Workspace, store: Store) -> None:
    _generate(workspace, store)
    issued = store.issued("EA-2026-00002")
    assert issued is not None
    assert (issued.matricule, issued.kind, issued.campaign, issued.grid) == (
        "S2",
        "annuel",
        "2026",
        "commercial",
    )
    assert verify(
        workspace.secret(),
        issued.signature,
        reference=issued.reference,
        matricule="S2",
        kind="annuel",
        campaign="2026",
        version=issued.form_version,
    )
    import hashlib

    docx = (workspace.outbox / (issued.docx_path or "")).read_bytes()
    assert hashlib.sha256(docx).hexdigest() == issued.docx_sha256


def test_prefilled_values_and_reference_are_in_both_documents(
    workspace: Workspace, store: Store
) -> None:
    _generate(workspace, store, only=("S2",))
    issued = store.issued("EA-2026-00001")
    assert issued is not None and issued.matricule == "S2"
    docx = (workspace.outbox / (issued.docx_path or "")).read_bytes()
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        document = archive.read("word/document.xml").decode("utf-8")
        custom = archive.read("docProps/custom.xml").decode("utf-8")
    assert "Éloïse Lefèvre" in document and "125000" in document
    assert 'w:val="competences.prospection.auto"' in document  # commercial grid
    assert "EA-2026-00001" in custom and issued.signature in custom
    pdf = PdfReader(workspace.outbox / (issued.pdf_path or ""))
    fields = pdf.get_fields() or {}
    assert fields["salarie.nom_complet"].get("/V") == "Éloïse Lefèvre"
    assert fields["bilan.ca_realise"].get("/V") == "125000"
    assert "competences.seo.auto" not in fields  # marketing grid is not this job's


def test_rerun_does_not_duplicate_and_force_issues_a_new_version(
    workspace: Workspace, store: Store
) -> None:
    _generate(workspace, store)
    plan, report = _generate(workspace, store)
    assert report.issued == [] and len(plan.already_issued) == 4
    plan, report = _generate(workspace, store, only=("S2",), force=True)
    assert [f.reference for f in report.issued] == ["EA-2026-00005"]
    current = [f.reference for f in store.current_issued(campaign="2026") if f.matricule == "S2"]
    assert current == ["EA-2026-00005"]
    old = store.issued("EA-2026-00002")
    assert old is not None and (old.status, old.replaced_by) == ("remplace", "EA-2026-00005")


def test_manager_option_limits_to_the_team(workspace: Workspace, store: Store) -> None:
    _, report = _generate(workspace, store, manager="M1")
    assert sorted(f.matricule for f in report.issued) == ["S2", "S3"]
    with pytest.raises(GenerationError, match="--manager ZZ"):
        _generate(workspace, store, manager="ZZ")


def test_only_with_unknown_matricule_is_listed(workspace: Workspace, store: Store) -> None:
    plan, report = _generate(workspace, store, only=("S2", "NOPE"))
    assert plan.unknown == ["NOPE"]
    assert [f.matricule for f in report.issued] == ["S2"]


def test_format_option_writes_only_docx(workspace: Workspace, store: Store) -> None:
    _, report = _generate(workspace, store, formats=("docx",))
    assert all(f.pdf_path is None and f.docx_path for f in report.issued)
    assert not list(workspace.outbox.rglob("*.pdf"))


def test_dry_run_plan_lines(workspace: Workspace, store: Store) -> None:
    request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY, only=("S2",))
    plan = plan_generation(
        workspace, store.current_employees(), load_catalog(workspace.templates_dir), store, request
    )
    assert plan.lines() == [
        "émettre   Éloïse Lefèvre (S2) → 2026/Claire-Martin/Lefevre-Eloise-S2-annuel [.docx, .pdf]"
    ]
    assert not workspace.outbox.joinpath("2026").exists()


def test_print_batches_per_team_with_odd_page_starts(workspace: Workspace, store: Store) -> None:
    _generate(workspace, store)
    catalog = load_catalog(workspace.templates_dir)
    report = write_print_batches(
        workspace, store.current_employees(), catalog, store, "2026", TODAY
    )
    names = sorted(p.name for p in report.batches)
    assert names == ["Claire-Martin.pdf", "sans-responsable.pdf", "tous.pdf"]
    everyone = PdfReader(workspace.outbox / "2026" / "impression" / "tous.pdf")
    team = PdfReader(workspace.outbox / "2026" / "impression" / "Claire-Martin.pdf")
    assert len(everyone.pages) % 2 == 0 and len(team.pages) % 2 == 0
    assert "/AcroForm" not in everyone.trailer["/Root"]
    single = PdfReader(workspace.outbox / (store.issued("EA-2026-00002").pdf_path or ""))  # type: ignore[union-attr]
    per_form = len(single.pages) + len(single.pages) % 2
    assert len(team.pages) == 2 * per_form


def _import(workspace: Workspace, store: Store, roster: str, sha256: str) -> None:
    roster_file = workspace.root / f"salaries-{sha256}.csv"
    roster_file.write_text(roster, encoding="utf-8")
    store.import_roster(read_roster(roster_file, today=TODAY), sha256=sha256, now=datetime.now())


def _batches(workspace: Workspace, store: Store) -> dict[str, int]:
    """Print batch file name → pages."""
    report = write_print_batches(
        workspace,
        store.current_employees(),
        load_catalog(workspace.templates_dir),
        store,
        "2026",
        TODAY,
    )
    return {p.name: len(PdfReader(p).pages) for p in report.batches}


# Two « Martin Dupont », M010 (team: S1) and M020 (team: S2, S3), and a manager whose
# name is the tool's folder for employees without one.
NAMESAKES = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M010;Dupont;Martin;01/02/2010;Chef d'atelier;Atelier;\n"
    "M020;Dupont;Martin;01/03/2012;Chef de quai;Logistique;\n"
    "M5;Responsable;Sans;01/03/2012;Directeur;Direction;\n"
    "S1;Roy;Léa;01/09/2020;Soudeuse;Atelier;M010\n"
    "S2;Noël;Marc;01/09/2021;Magasinier;Logistique;M020\n"
    "S3;Faure;Inès;01/09/2022;Cariste;Logistique;M020\n"
    "S4;Blanc;Hugo;01/09/2023;Assistant;Direction;M5\n"
)


def test_namesake_managers_get_folders_and_batches_named_with_their_matricule(
    workspace: Workspace, store: Store
) -> None:
    _import(workspace, store, NAMESAKES, "homonymes")

    plan, _ = _generate(workspace, store)
    batches = _batches(workspace, store)

    assert sorted(item.stem for item in plan.to_issue) == [
        "2026/Martin-Dupont-M010/Roy-Lea-S1-annuel",
        "2026/Martin-Dupont-M020/Faure-Ines-S3-annuel",
        "2026/Martin-Dupont-M020/Noel-Marc-S2-annuel",
        "2026/Sans-Responsable-M5/Blanc-Hugo-S4-annuel",
        "2026/sans-responsable/Dupont-Martin-M010-annuel",
        "2026/sans-responsable/Dupont-Martin-M020-annuel",
        "2026/sans-responsable/Responsable-Sans-M5-annuel",
    ]
    per_form = batches["Martin-Dupont-M010.pdf"]
    assert batches == {
        "Martin-Dupont-M010.pdf": per_form,
        "Martin-Dupont-M020.pdf": 2 * per_form,
        "Sans-Responsable-M5.pdf": per_form,
        "sans-responsable.pdf": 3 * per_form,
        "tous.pdf": 7 * per_form,
    }


def test_a_namesakes_folder_does_not_depend_on_who_is_generated(
    workspace: Workspace, store: Store
) -> None:
    _import(workspace, store, NAMESAKES, "homonymes")

    first, _ = _generate(workspace, store, manager="M020")
    second, _ = _generate(workspace, store, manager="M010")

    assert [item.stem for item in first.to_issue] == [
        "2026/Martin-Dupont-M020/Noel-Marc-S2-annuel",
        "2026/Martin-Dupont-M020/Faure-Ines-S3-annuel",
    ]
    assert [item.stem for item in second.to_issue] == ["2026/Martin-Dupont-M010/Roy-Lea-S1-annuel"]


def test_print_batches_follow_todays_teams(workspace: Workspace, store: Store) -> None:
    _generate(workspace, store)
    # Thomas Dubois (S3) has no manager any more: his form is printed with theirs.
    _import(workspace, store, ROSTER.replace(";Marketing;M1;", ";Marketing;;"), "sans-S3")

    batches = _batches(workspace, store)

    per_form = batches["Claire-Martin.pdf"]
    assert batches == {
        "Claire-Martin.pdf": per_form,
        "sans-responsable.pdf": 3 * per_form,
        "tous.pdf": 4 * per_form,
    }


def test_no_partial_files_are_left_behind(workspace: Workspace, store: Store) -> None:
    _generate(workspace, store)
    assert not list(workspace.outbox.rglob(".*.part"))


def test_cli_generate_from_a_roster_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            "-w",
            str(root),
            "generate",
            str(roster),
            "--kind",
            "professionnel",
            "--campaign",
            "Printemps 2027",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "4 formulaires émis (entretien professionnel, campagne Printemps 2027)" in result.output
    assert "À imprimer : 3 fichiers" in result.output
    assert (root / "outbox" / "Printemps-2027" / "impression" / "tous.pdf").is_file()
    again = runner.invoke(
        cli,
        [
            "-w",
            str(root),
            "generate",
            "--kind",
            "professionnel",
            "--campaign",
            "Printemps 2027",
            "--dry-run",
        ],
    )
    assert "déjà émis" in again.output and "Simulation : 0 formulaire serait émis" in again.output


def test_cli_generate_without_roster_explains(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(root)])
    result = runner.invoke(cli, ["-w", str(root), "generate", "--kind", "annuel"])
    assert result.exit_code == 1
    assert "Aucun salarié dans l'espace de travail" in result.output


def test_cli_rejects_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--kind", "annuel", "--format", "odt"])
    assert result.exit_code == 2
    assert "formats possibles : docx, pdf" in result.output


def _company_template(path: Path) -> None:
    """A company's Word layout: a placeholder split by Word into runs, one tagged control."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("Bonjour {{ salarie.pre")
    paragraph.add_run("nom }}, entretien {{ campagne.annee }}.")
    holder = document.add_paragraph("Poste : ")
    holder._p.append(
        parse_xml(
            '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            '<w:sdtPr><w:tag w:val="salarie.poste"/><w:id w:val="7"/><w:text/></w:sdtPr>'
            "<w:sdtContent><w:r><w:t>poste</w:t></w:r></w:sdtContent></w:sdt>"
        )
    )
    document.save(str(path))


def _use_word_template(workspace: Workspace, name: str) -> None:
    definition = workspace.templates_dir / "entretien-annuel.toml"
    text = definition.read_text("utf-8")
    definition.write_text(
        text.replace('version = "2026.1"', f'version = "2026.1"\nword_template = "{name}"', 1),
        "utf-8",
    )


def test_company_word_template_is_used_for_docx(workspace: Workspace, store: Store) -> None:
    _company_template(workspace.templates_dir / "modele-maison.docx")
    _use_word_template(workspace, "modele-maison.docx")

    _, report = _generate(workspace, store, only=("S2",))

    issued = report.issued[0]
    with zipfile.ZipFile(workspace.outbox / str(issued.docx_path)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
        custom = archive.read("docProps/custom.xml").decode("utf-8")
    text = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", body))
    assert "Bonjour Éloïse, entretien 2026." in text, text
    assert "Commerciale sédentaire" in body
    assert f"<vt:lpwstr>{issued.reference}</vt:lpwstr>" in custom
    # The PDF keeps the built-in layout, with the same fields.
    fields = PdfReader(workspace.outbox / str(issued.pdf_path)).get_fields() or {}
    assert fields["salarie.poste"].get("/V") == "Commerciale sédentaire"


def test_company_word_template_mistakes_stop_before_any_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    workspace = open_workspace(ws)
    bad = workspace.templates_dir / "modele-maison.docx"
    _company_template(bad)
    with zipfile.ZipFile(bad) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"salarie.poste", b"salarie.postee"
    )
    with zipfile.ZipFile(bad, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    _use_word_template(workspace, "modele-maison.docx")
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER, encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["-w", str(ws), "generate", str(roster), "--kind", "annuel", "--dry-run"]
    )

    assert result.exit_code == 1
    assert "modele-maison.docx" in result.output and "salarie.postee" in result.output
    assert not list(workspace.outbox.rglob("*.docx"))


def test_missing_word_template_is_named(workspace: Workspace, store: Store) -> None:
    _use_word_template(workspace, "absent.docx")

    with pytest.raises(FormDefinitionError) as caught:
        _generate(workspace, store)

    assert str(caught.value) == (
        "entretien-annuel.toml : word_template « absent.docx » introuvable : placez le modèle "
        "Word dans le même dossier que entretien-annuel.toml et donnez seulement son nom de "
        "fichier."
    )


def test_cli_roster_with_errors_generates_for_valid_rows_and_lists_the_rest(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(root)])
    roster = tmp_path / "salaries.csv"
    roster.write_text(ROSTER + "S5;Roy;Léa;31/02/2020;Vendeuse;Ventes;M1;\n", encoding="utf-8")

    result = runner.invoke(
        cli, ["-w", str(root), "generate", str(roster), "--kind", "annuel", "--format", "docx"]
    )

    assert result.exit_code == 1
    assert "Ligne 6, colonne « Date d'entrée » : date impossible « 31/02/2020 »" in result.output
    assert "4 formulaires émis (entretien annuel" in result.output
    assert not list((root / "outbox").rglob("Roy-Lea-*"))
