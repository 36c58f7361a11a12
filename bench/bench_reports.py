"""Benchmark ``entretien report``: both workbooks for 5,000 employees and 10,000 returns.

Run from the repository root with the project's virtualenv:

    python bench/bench_reports.py [--employees 5000]

Builds (in a temporary workspace) a seeded roster and, for every employee, an
annual and a professional form issued and returned with realistic answers
(skills ratings, 0–3 training requests, interview dates and occasions), plus a
trainings sheet of 1,500 rows; then times ``build_reports`` — the same call as
``entretien report`` and the watcher, which writes the two workbooks in two
processes side by side — and reports the peak memory of the process and its
worker together (PSS and RSS sampled from /proc, Linux only). Target for 5,000
employees and 10,000 returns: under 4 s and 300 MB on 2 cores.

A benchmark for maintainers, not a test: it exits with 1 only if a workbook is
missing.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from entretien_forms.reports.build import build_reports
from entretien_forms.roster import read_roster
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission
from entretien_forms.workspace import init_workspace, open_workspace

TODAY = date(2027, 3, 1)
TARGET_S = 4.0
TARGET_MB = 300


def build_store(root: Path, employees: int) -> None:
    """A workspace with ``employees`` people, each with two returned forms."""
    random.seed(7)
    init_workspace(root)
    workspace = open_workspace(root)
    roster_path = root / "salaries.csv"
    store = Store.open(workspace.database_path)
    SERVICES = [
        "Ventes",
        "Marketing",
        "Grands comptes",
        "Support",
        "Finance",
        "Direction",
        "Export",
        "Relation client",
    ]
    POSTES = [
        ("Commercial terrain", "commercial"),
        ("Commerciale sédentaire", "commercial"),
        ("Chargé de marketing", "marketing"),
        ("Responsable SEO", "marketing"),
        ("Comptable", "generique"),
        ("Assistante de direction", "generique"),
    ]
    THEMES = [
        "SEO",
        "formation SEO avancé",
        "Négociation avancée",
        "Techniques de vente",
        "Anglais commercial",
        "Excel avancé",
        "Prospection LinkedIn",
        "Social selling",
        "Management d'équipe",
        "Prise de parole en public",
        "CRM Salesforce",
        "Sauveteur secouriste du travail",
        "RGPD",
        "Gestion du temps",
        "Google Ads",
        "Réseaux sociaux",
        "Œnologie",
        "Closing",
        "Power BI",
        "Anglais",
        "Espagnol débutant",
        "Leadership",
        "Storytelling",
        "Bilan de compétences",
        "Habilitation électrique",
        "Rédaction web",
        "Growth hacking",
        "Gestion des conflits",
        "IA générative",
    ]
    SKILLS = {
        "commercial": [
            "prospection",
            "negociation",
            "closing",
            "suivi_client",
            "vente_distance",
            "social_selling",
            "crm",
        ],
        "marketing": ["campagnes", "analyse_donnees", "seo", "reseaux_sociaux", "growth", "budget"],
        "generique": ["maitrise_technique", "qualite", "organisation", "relation_client"],
    }
    COMMON = ["adaptabilite", "creativite", "esprit_equipe", "communication"]
    lines = ["Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable"]
    people = []
    for n in range(employees):
        poste, grid = random.choice(POSTES)
        manager = "" if n < 50 else f"E{random.randrange(50):05d}"
        lines.append(
            f"E{n:05d};Nom{n};Prénom{n};01/03/2015;{poste};{random.choice(SERVICES)};{manager}"
        )
        people.append((f"E{n:05d}", grid))
    (roster_path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    store.import_roster(
        read_roster(roster_path, today=date(2026, 11, 1)), sha256="x", now=datetime(2026, 11, 1)
    )
    issued, k = [], 0
    for matricule, grid in people:
        for kind, prefix in (("annuel", "EA"), ("professionnel", "EP")):
            k += 1
            issued.append(
                IssuedForm(
                    f"{prefix}-2026-{k:05d}",
                    matricule,
                    f"entretien-{kind}",
                    kind,
                    "2026",
                    "2026.1",
                    grid if kind == "annuel" else None,
                    "sig",
                    datetime(2026, 11, 2),
                )
            )
    store.record_issued(issued)
    for form in issued:
        interview = date(2026, 11, 15) + timedelta(days=random.randrange(60))
        answers = {
            "salarie.nom_complet": "X Y",
            "salarie.matricule": form.matricule,
            "salarie.poste": "P",
            "salarie.date_entree": "2015-03-01",
            "manager.nom_complet": "M N",
            "entretien.date": interview.isoformat(),
            "entretien.mode": "Visio",
            "commentaires.salarie": "Rien à ajouter.",
            "signature.salarie": "X Y",
            "signature.manager": "M N",
        }
        if form.kind == "annuel":
            answers |= {
                "bilan.reussites": "Beaucoup de choses " * 5,
                "bilan.difficultes": "Quelques-unes",
                "projection.charge_travail": 2,
                "projection.motivation": 3,
                "projection.aspirations_3_ans": "Évoluer",
                "engagements.salarie": "S'engager",
                "engagements.manager": "Soutenir",
            }
            for i in range(1, 5):
                answers |= {
                    f"objectifs.{i}.objectif": "Objectif",
                    f"objectifs.{i}.indicateur": "CA",
                    f"objectifs.{i}.cible": "10",
                    f"objectifs.{i}.echeance": "2027-06-30",
                    f"objectifs_precedents.{i}.objectif": "Ancien",
                    f"objectifs_precedents.{i}.atteinte": 3,
                }
            for skill in SKILLS[form.grid] + COMMON:
                answers[f"competences.{skill}.auto"] = random.randint(1, 4)
                if random.random() < 0.85:
                    answers[f"competences.{skill}.manager"] = random.randint(1, 4)
                answers[f"competences.{skill}.commentaire"] = "Observé en clientèle"
            rows = random.choice([0, 1, 1, 2, 2, 3])
        else:
            answers |= {
                "perspectives.qualifications": "Des choses",
                "perspectives.mobilite": ["Autre service"],
                "information.vae": True,
                "information.cpf": True,
                "information.cep": True,
                "copie_remise_le": interview.isoformat(),
                "entretien.occasion": "Périodique (tous les 4 ans)",
            }
            rows = random.choice([0, 1, 1, 2])
        for i in range(1, rows + 1):
            answers |= {
                f"formations.{i}.theme": random.choice(THEMES),
                f"formations.{i}.modalite": "Formation",
                f"formations.{i}.priorite": random.choice(["Haute", "Moyenne", "Basse"]),
                f"formations.{i}.periode": "S1 2027",
            }
            if form.kind == "annuel" and random.random() < 0.1:
                answers[f"formations.{i}.obligatoire"] = True
        sub = Submission(
            form.reference,
            form.matricule,
            form.form_id,
            form.kind,
            "2026",
            "2026.1",
            datetime(2026, 12, 20),
            f"{form.reference}.docx",
            form.reference,
            "docx",
            None,
            False,
            (),
            f"a/{form.reference}",
        )
        store.record_submission(
            sub,
            [StoredAnswer(k2, v, "control_order") for k2, v in answers.items()],
            now=datetime(2026, 12, 20),
        )
    trainings = ["Matricule;Intitulé;Date de début;Date de fin;Heures;Obligatoire;Coût;Statut"]
    for _ in range(1500):
        trainings.append(
            f"E{random.randrange(employees):05d};{random.choice(THEMES)};01/03/2027;02/03/2027;14;"
            f"non;1200;{random.choice(['validé', 'planifié', 'réalisé', 'annulé'])}"
        )
    (root / "formations.csv").write_text("\n".join(trainings) + "\n", encoding="utf-8")
    store.close()


def _tree_memory_mb() -> tuple[float, float]:
    """(RSS, PSS) of this process and its children, now, in MB (Linux /proc).

    RSS counts pages a forked worker shares with its parent twice; PSS splits
    each shared page between the processes that map it, so its sum over the
    tree is the memory the machine really spends. Both are reported.
    """
    pids = [str(os.getpid())]
    for children in Path("/proc/self/task").glob("*/children"):
        pids += children.read_text().split()
    rss = pss = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # ended meanwhile
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def run_once(root: Path) -> None:
    """Child process: build the workbooks once, print seconds and peak memory of the tree."""
    workspace = open_workspace(root)
    peak = [0.0, 0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            rss, pss = _tree_memory_mb()
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with Store.open(workspace.database_path) as store:
        start = time.perf_counter()
        result = build_reports(workspace, store, campaign="2026", today=TODAY)
        elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    missing = [p for p in result.workbooks if not p.is_file()]
    print(f"{elapsed:.2f} {peak[0]:.0f} {peak[1]:.0f} {len(missing)}")


PEER_ROWS = 13_500  # the Demandes sheet of 5,000 employees: the biggest table


def _peer_rows() -> list[list[object]]:
    """Rows shaped like the Demandes sheet: 18 columns of text, a date, numbers."""
    random.seed(11)
    teams = ["Ventes", "Marketing", "Grands comptes", "Support", "Export"]
    themes = ["SEO", "Négociation avancée", "Excel avancé", "Anglais commercial", "RGPD"]
    rows: list[list[object]] = []
    for n in range(PEER_ROWS):
        rows.append(
            [
                f"Prénom{n % 5000} Nom{n % 5000}",
                f"S{n % 5000:05d}",
                random.choice(teams),
                f"Responsable {n % 40}",
                random.choice(themes),
                "Commercial",
                "Présentiel",
                random.choice(["Haute", "Moyenne", "Basse"]),
                "Non",
                "Premier semestre",
                date(2026, 1, 1) + timedelta(days=n % 300),
                f"EP-2026-{n:05d} (entretien-professionnel)",
                "envisagé",
                None,
                None,
                None,
                float(n % 7 * 150) or None,
                (n % 4) * 7 or None,
            ]
        )
    return rows


def peer_comparison() -> list[tuple[str, float | None]]:
    """Seconds to write the same big table with our streamed rows and with peer libraries.

    Each writer gets the same rows, a date format on the date column, and saves
    a real .xlsx; XlsxWriter is timed only when it is installed (it is not a
    dependency of the project).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from entretien_forms.reports._workbook import DATE_FORMAT, Report, table_sheet

    rows = _peer_rows()
    headers = [f"Colonne {n}" for n in range(1, 19)]
    results: list[tuple[str, float | None]] = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        out = Path(tmp)

        start = time.perf_counter()
        report = Report("essai")
        table_sheet(report, "Demandes", headers, rows, formats={10: DATE_FORMAT})
        report.save(out / "ours.xlsx")
        results.append(("entretien-forms streamed rows", time.perf_counter() - start))

        start = time.perf_counter()
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=11, max_col=11):
            cell.number_format = DATE_FORMAT
        workbook.save(out / "openpyxl.xlsx")
        results.append(("openpyxl, normal mode", time.perf_counter() - start))

        start = time.perf_counter()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Demandes")
        sheet.append(headers)
        for row in rows:
            cells: list[object] = list(row)
            dated = WriteOnlyCell(sheet, row[10])
            dated.number_format = DATE_FORMAT
            cells[10] = dated
            sheet.append(cells)
        workbook.save(out / "openpyxl-write-only.xlsx")
        results.append(("openpyxl, write-only mode", time.perf_counter() - start))

        try:
            import xlsxwriter  # type: ignore[import-not-found]
        except ImportError:
            results.append(("XlsxWriter (not installed)", None))
        else:
            start = time.perf_counter()
            book = xlsxwriter.Workbook(str(out / "xlsxwriter.xlsx"), {"constant_memory": True})
            sheet = book.add_worksheet("Demandes")
            dated_format = book.add_format({"num_format": "dd/mm/yyyy"})
            sheet.write_row(0, 0, headers)
            for number, row in enumerate(rows, start=1):
                for column, value in enumerate(row):
                    if column == 10:
                        sheet.write_datetime(number, column, value, dated_format)
                    elif value is not None:
                        sheet.write(number, column, value)
            book.close()
            results.append(("XlsxWriter, constant memory", time.perf_counter() - start))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_once(args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root = Path(tmp) / "ws"
        start = time.perf_counter()
        build_store(root, args.employees)
        print("Report benchmark")
        print(
            f"  {args.employees} employees, {2 * args.employees} returned forms, 1,500 HR training"
            f" rows (set-up {time.perf_counter() - start:.0f} s), Python {sys.version.split()[0]}"
        )
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(root)],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            runs.append((float(out[0]), float(out[1]), float(out[2]), int(out[3])))
        best = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        proportional = max(r[2] for r in runs)
        print(f"  build_reports, best of 3: {best:.2f} s; peak memory of the process and its"
              f" worker together, sampled every 20 ms: {proportional:.0f} MB PSS"
              f" ({peak:.0f} MB summing RSS, which counts shared pages twice)")  # fmt: skip
        for path in sorted((root / "outbox").glob("*.xlsx")):
            print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")
        print()
        print(f"Writing the same {PEER_ROWS:,}-row × 18-column table (the Demandes sheet):")
        peers = peer_comparison()
        ours = peers[0][1] or 1.0
        for name, seconds in peers:
            if seconds is None:
                print(f"  {name}")
            else:
                print(f"  {name:32} {seconds:5.2f} s  ({seconds / ours:4.1f}×)")
        print()
        print("Targets:")
        fast, total = best < TARGET_S, proportional
        print(f"  time   {best:6.2f} s   target < {TARGET_S:g} s   {'PASS' if fast else 'FAIL'}")
        verdict = "PASS" if total < TARGET_MB else "FAIL"
        print(f"  memory {total:6.0f} MB  target < {TARGET_MB} MB  {verdict} (PSS)")
        return 1 if any(r[3] for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
