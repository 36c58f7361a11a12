"""Benchmark ``entretien_forms.roster.read_roster`` on a large, realistic roster.

Run from the repository root with the project's virtualenv:

    python bench/bench_roster.py [--employees 5000] [--repeat 5] [--keep] [--big]

The script writes a seeded, deterministic roster of French employees as an .xlsx
workbook (as a payroll export: title line, blank line, header, real Excel dates)
and as a .csv file (as Excel writes it in France: UTF-8 with BOM, ";" separator,
dd/mm/yyyy dates, CRLF line endings). It then times ``read_roster`` on each file,
times bare peer readers on the same files for comparison, measures the peak
memory of every read in a fresh subprocess, and checks the targets.

With ``--big``, it then runs ``entretien roster check`` in a fresh process on a
200,000-employee workbook and on issue 15's hostile workbook (rows holding one
number each: four row errors a row; 299,000 rows, and a million, refused), and
prints wall time and peak memory against the limits (under 30 s and 500 MB
whatever the file; exit code 2 for a refused file).

This is a benchmark for maintainers, not a test: it always exits with 0, except
when ``read_roster`` returns a different number of employees than were written
(a broken read must not pass for a fast one), where it exits with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import importlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib.util import find_spec
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

from entretien_forms.roster import read_roster

# --------------------------------------------------------------------------- settings

TODAY = date(2026, 11, 26)  # the reference day passed to read_roster
SEED = 20261126
DEFAULT_EMPLOYEES = 5_000
DEFAULT_REPEAT = 5
# Targets: best wall time of N reads of a roster of TARGET_EMPLOYEES, on a 2-core machine.
TARGET_EMPLOYEES = 5_000
TARGETS_S = {"xlsx": 0.3, "csv": 0.3}  # issue 14 (.xlsx was 1.5 s with openpyxl)
# --big: any roster file, however big or hostile, within these (issue 15).
BIG_EMPLOYEES = 200_000
# Issue 15's hostile workbook had a million one-cell rows (refused now: more data rows
# than a roster may have); 299,000 such rows are read, 1.2 million problems counted.
HOSTILE_ROWS = (299_000, 1_000_000)
LIMIT_S = 30.0
LIMIT_MB = 500

COMPANY = "Société Générale de Négoce & Services SAS"
HEADER = (
    "Matricule",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Date d'entrée",
    "Intitulé du poste",
    "Service",
    "Responsable hiérarchique",
    "Type de contrat",
    "Temps partiel",
    "Date de sortie",
    "Dernier entretien professionnel",
    "Dernier entretien annuel",
    "Salaire brut annuel",
    "CA réalisé",
    "Taux de closing",
    "E-mail",
)


def _names(text: str) -> tuple[str, ...]:
    """Comma-separated names, one block of text per list (some names contain spaces)."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


FIRST_NAMES = _names(
    """
    Élodie, Hélène, Jérôme, François, Clément, Léa, Chloé, Noémie, Zoé, Maël, Loïc, Anaïs,
    Gaëlle, Benoît, Cécile, Agnès, Mélanie, Céline, Stéphane, Frédéric, Sébastien, Thérèse,
    Raphaël, Joël, Inès, Jean-François, Marie-Hélène, Anne-Sophie, Jean-Michel, Émilie,
    Aurélien, Valérie, Régis, Ophélie, Timothée, Bérénice, Maëlys, Lucas, Thomas, Camille,
    Julien, Sarah, Nathan, Emma, Hugo, Manon, Louis, Mathilde, Éric, Françoise
    """
)
LAST_NAMES = _names(
    """
    Martin, Bernard, Dubois, Lefèvre, Moreau, Laurent, Simon, Michel, Garnier, Rousseau,
    Mercier, Bérard, Ménard, Gérard, Chevalier, Fontaine, Lemaître, Duchêne, Béranger,
    Hébert, Lévêque, Thévenin, Guérin, Noël, Maréchal, Séguin, Brûlé, Lebœuf, Le Goff,
    Le Gall, Lécuyer, D'Almeida, N'Diaye, Da Silva, Pérez, Müller, Nguyễn, Perrin,
    Gaillard, Benoît, Crémieux, Desprès, Château, Bénard, Faure, Roux, Vidal, Côté,
    Bouchard, Lacôte
    """
)
# Service → (job title of its director, job titles of its team managers, other job titles).
SERVICES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Ventes": (
        "Directrice commerciale",
        "Chef des ventes",
        ("Commercial terrain", "Business developer", "Ingénieur commercial", "Chargé d'affaires"),
    ),
    "Marketing": (
        "Directeur marketing",
        "Responsable marketing",
        ("Chargée de communication", "Chef de produit", "Responsable SEO", "Graphiste"),
    ),
    "Comptabilité": (
        "Directrice administrative et financière",
        "Chef comptable",
        ("Comptable général", "Comptable fournisseurs", "Contrôleur de gestion"),
    ),
    "Ressources humaines": (
        "DRH",
        "Responsable paie",
        ("Gestionnaire paie", "Assistante RH", "Chargé de recrutement"),
    ),
    "Logistique": (
        "Directeur logistique",
        "Chef d'équipe entrepôt",
        ("Préparateur de commandes", "Cariste", "Agent de quai", "Magasinier"),
    ),
    "Production": (
        "Directeur de production",
        "Chef d'atelier",
        ("Opérateur de production", "Technicien de maintenance", "Régleur", "Contrôleur qualité"),
    ),
    "Informatique": (
        "DSI",
        "Responsable études",
        ("Développeur", "Administrateur systèmes", "Technicien support", "Chef de projet"),
    ),
    "Service client": (
        "Directrice de la relation client",
        "Superviseur",
        ("Conseiller clientèle", "Chargée de clientèle", "Téléconseiller"),
    ),
}
# (contract type as written, weight, whether it has an end date)
CONTRACTS = (
    ("CDI", 80, False),
    ("CDD", 10, True),
    ("Apprentissage", 6, True),
    ("Contrat pro", 4, True),
)
TEAM_SIZE = 10  # roughly one team manager per this many employees
EXCEL_DATE_FORMAT = "dd/mm/yyyy"


# --------------------------------------------------------------------------- roster generation


@dataclass(frozen=True)
class Person:
    """One generated roster line, with typed values (each writer formats them its own way)."""

    matricule: str
    nom: str
    prenom: str
    birth: date
    hired: date
    job: str
    service: str
    manager: str  # matricule or "Prénom Nom" of the manager; "" for the CEO
    contract: str
    part_time: float | None  # activity rate (0.8) when part time, None when full time
    left: date | None  # planned end of a fixed-term contract (always after TODAY)
    last_pro_review: date | None
    last_annual_review: date | None
    salary: int
    revenue: int | None  # sales people only
    closing_rate: float | None  # sales people only, 0.16 for 16 %
    email: str


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _email_part(text: str) -> str:
    """ASCII e-mail local part: "Lebœuf" → "leboeuf", "D'Almeida" → "dalmeida"."""
    text = text.replace("œ", "oe").replace("Œ", "OE")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return "".join(c for c in ascii_text if c.isalnum() or c == "-")


def generate_people(count: int, seed: int = SEED) -> list[Person]:
    """A deterministic company: a CEO, one director per service, team managers, staff.

    Every generated person is a current employee (no temp worker, no departure in
    the past, no invalid cell), so ``read_roster`` must return exactly ``count``.
    """
    if count < 2 + len(SERVICES):
        raise ValueError(f"need at least {2 + len(SERVICES)} employees")
    rng = random.Random(seed)
    services = list(SERVICES)
    # Decide each position's role and service first, the reporting line afterwards.
    roles: list[tuple[str, str]] = [("ceo", "Direction générale")]
    roles += [("director", s) for s in services]
    team_count = max(len(services), (count - len(roles)) // TEAM_SIZE)
    roles += [("team", services[i % len(services)]) for i in range(team_count)]
    roles += [("staff", rng.choice(services)) for _ in range(count - len(roles))]
    roles = roles[:count]

    # Rows are listed by matricule, and matricules are not in hierarchy order.
    order = list(range(count))
    rng.shuffle(order)
    matricules = [f"S{position + 1:05d}" for position in order]
    names = [(rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)) for _ in range(count)]

    directors = {service: i for i, (role, service) in enumerate(roles) if role == "director"}
    teams: dict[str, list[int]] = {s: [] for s in services}
    for i, (role, service) in enumerate(roles):
        if role == "team":
            teams[service].append(i)

    emails_used: dict[str, int] = {}
    people: list[Person] = []
    for i, (role, service) in enumerate(roles):
        if role == "ceo":
            boss = None
            job = "Directeur général"
        elif role == "director":
            boss = 0
            job = SERVICES[service][0]
        elif role == "team":
            boss = directors[service]
            job = SERVICES[service][1]
        else:
            boss = rng.choice(teams[service])
            job = rng.choice(SERVICES[service][2])
        # Managers are mostly given by matricule, sometimes by full name (hand-kept files).
        if boss is None:
            manager = ""
        elif rng.random() < 0.9:
            manager = matricules[boss]
        else:
            manager = f"{names[boss][1]} {names[boss][0]}"

        nom, prenom = names[i]
        birth = _random_date(rng, date(1961, 1, 1), date(2006, 6, 30))
        earliest_hire = max(date(1990, 1, 2), birth + timedelta(days=round(18 * 365.25)))
        hired = _random_date(rng, earliest_hire, TODAY - timedelta(days=1))
        contract, _, fixed_term = rng.choices(CONTRACTS, weights=[c[1] for c in CONTRACTS])[0]
        if role != "staff":
            contract, fixed_term = "CDI", False
        left = (
            _random_date(rng, TODAY + timedelta(days=5), date(2028, 8, 31)) if fixed_term else None
        )
        draw = rng.random()
        part_time = None if draw < 0.85 else (0.8 if draw < 0.95 else 0.5)
        last_pro = (
            _random_date(rng, max(hired, date(2021, 1, 1)), TODAY - timedelta(days=1))
            if rng.random() < 0.75
            else None
        )
        last_annual = (
            _random_date(rng, max(hired, date(2025, 1, 1)), TODAY - timedelta(days=1))
            if rng.random() < 0.8
            else None
        )
        base = {"ceo": 150_000, "director": 85_000, "team": 52_000}.get(role, 24_000)
        salary = round(base * rng.uniform(1.0, 1.8), -2)
        sales = service == "Ventes" and role == "staff"
        revenue = round(rng.uniform(150_000, 900_000), -3) if sales else None
        closing = round(rng.uniform(0.08, 0.45), 2) if sales else None
        local = f"{_email_part(prenom)}.{_email_part(nom)}"
        emails_used[local] = emails_used.get(local, 0) + 1
        if emails_used[local] > 1:
            local += str(emails_used[local])
        people.append(
            Person(
                matricule=matricules[i],
                nom=nom,
                prenom=prenom,
                birth=birth,
                hired=hired,
                job=job,
                service=service,
                manager=manager,
                contract=contract,
                part_time=part_time,
                left=left,
                last_pro_review=last_pro,
                last_annual_review=last_annual,
                salary=int(salary),
                revenue=None if revenue is None else int(revenue),
                closing_rate=closing,
                email=f"{local}@sgns.example",
            )
        )
    people.sort(key=lambda p: p.matricule)
    return people


def _title() -> str:
    return f"Export du personnel - {COMPANY} - édité le {TODAY:%d/%m/%Y}"


def _total_line(count: int) -> str:
    return f"Total : {count} salariés"


def write_xlsx(people: Sequence[Person], path: Path) -> None:
    """Write the roster as a payroll export would: title, blank line, header, rows, total."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Salariés")

    def date_cell(value: date | None) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = EXCEL_DATE_FORMAT  # a real date cell, shown as in France
        return cell

    def percent_cell(value: float | None) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "0 %"
        return cell

    sheet.append([_title()])
    sheet.append([])
    sheet.append(list(HEADER))
    for p in people:
        sheet.append(
            [
                p.matricule,
                p.nom,
                p.prenom,
                date_cell(p.birth),
                date_cell(p.hired),
                p.job,
                p.service,
                p.manager or None,
                p.contract,
                "Non" if p.part_time is None else percent_cell(p.part_time),
                date_cell(p.left),
                date_cell(p.last_pro_review),
                date_cell(p.last_annual_review),
                p.salary,
                p.revenue,
                percent_cell(p.closing_rate),
                p.email,
            ]
        )
    sheet.append([_total_line(len(people))])
    workbook.save(path)


def write_csv(people: Sequence[Person], path: Path) -> None:
    """Write the roster as Excel in France saves "CSV UTF-8 (délimité par des points-virgules)"."""

    def fmt_date(value: date | None) -> str:
        return "" if value is None else f"{value:%d/%m/%Y}"

    def fmt_percent(value: float | None) -> str:
        return "" if value is None else f"{round(value * 100)} %"

    width = len(HEADER)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    # Excel pads every line to the width of the used range.
    writer.writerow([_title()] + [""] * (width - 1))
    writer.writerow([""] * width)
    writer.writerow(HEADER)
    for p in people:
        writer.writerow(
            [
                p.matricule,
                p.nom,
                p.prenom,
                fmt_date(p.birth),
                fmt_date(p.hired),
                p.job,
                p.service,
                p.manager,
                p.contract,
                "Non" if p.part_time is None else fmt_percent(p.part_time),
                fmt_date(p.left),
                fmt_date(p.last_pro_review),
                fmt_date(p.last_annual_review),
                str(p.salary),
                "" if p.revenue is None else str(p.revenue),
                fmt_percent(p.closing_rate),
                p.email,
            ]
        )
    writer.writerow([_total_line(len(people))] + [""] * (width - 1))
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


# --------------------------------------------------------------------------- readers under test

# Each reader takes a path and returns how many items it read: employees for
# read_roster, raw rows (title, blank and total lines included) for the peers.
Reader = Callable[[Path], int]


def roster_count(path: Path) -> int:
    return len(read_roster(path, today=TODAY).employees)


def openpyxl_rows(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def csv_rows(path: Path) -> int:
    text = path.read_bytes().decode("utf-8-sig")
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def calamine_rows(path: Path) -> int:
    # python-calamine is an optional peer (not a dependency: see bench/README.md).
    calamine = importlib.import_module("python_calamine")
    with calamine.CalamineWorkbook.from_path(str(path)) as workbook:
        return sum(1 for _ in workbook.get_sheet_by_index(0).iter_rows())


def pandas_excel_rows(path: Path) -> int:
    # pandas is an optional peer, used only when already installed.
    pandas = importlib.import_module("pandas")
    return len(pandas.read_excel(path, header=None))


def pandas_csv_rows(path: Path) -> int:
    pandas = importlib.import_module("pandas")
    frame = pandas.read_csv(path, sep=";", header=None, encoding="utf-8-sig", dtype=str)
    return len(frame)


READERS: dict[str, Reader] = {
    "roster": roster_count,
    "openpyxl": openpyxl_rows,
    "calamine": calamine_rows,
    "csv": csv_rows,
    "pandas-excel": pandas_excel_rows,
    "pandas-csv": pandas_csv_rows,
}


# --------------------------------------------------------------------------- measurement


@dataclass
class Result:
    """Timings and memory of one reader on one file."""

    label: str
    counts: list[int]  # what each timed call returned
    times: list[float]
    traced_peak_mib: float | None = None
    rss_growth_mib: float | None = None
    note: str = ""

    @property
    def items(self) -> int:
        return self.counts[-1]

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class FormatReport:
    """read_roster and its peers on one file format."""

    fmt: str
    path: Path
    roster: Result
    peers: list[Result] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def time_reader(reader: Reader, path: Path, repeat: int) -> tuple[list[int], list[float]]:
    """Item counts and wall times of ``repeat`` calls."""
    counts: list[int] = []
    times: list[float] = []
    for _ in range(repeat):
        gc.collect()  # do not bill one run for the garbage of the previous one
        start = time.perf_counter()
        counts.append(reader(path))
        times.append(time.perf_counter() - start)
    return counts, times


def _proc_status_kib(key: str) -> int | None:
    """A memory figure of this process from /proc/self/status (Linux), in KiB."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux 4.0+), so that the peak is this read's own."""
    # Without it, the peak also covers start-up (imports): an upper bound.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def probe_memory(reader_name: str, path: Path) -> dict[str, float | int | None]:
    """Run in a fresh subprocess: peak memory of one read, measured two ways.

    * RSS growth: peak resident set size (VmHWM) during one untraced read, minus
      the resident size before it. Counts everything, C buffers (expat, zlib) included.
    * Python peak: tracemalloc's peak during a second read. Counts only memory
      allocated through Python, but does not depend on what the process did before.
    """
    reader = READERS[reader_name]
    if reader_name.startswith("pandas"):
        importlib.import_module("pandas")  # the import is not part of the read
    gc.collect()
    _reset_peak_rss()
    rss_before = _proc_status_kib("VmRSS")
    items = reader(path)
    rss_peak = _proc_status_kib("VmHWM")
    rss_growth = None
    if rss_before is not None and rss_peak is not None:
        rss_growth = (rss_peak - rss_before) / 1024
    gc.collect()
    tracemalloc.start()
    reader(path)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"items": items, "rss_growth_mib": rss_growth, "traced_peak_mib": traced_peak / 2**20}


def measure_memory(result: Result, reader_name: str, path: Path) -> None:
    """Fill the memory figures of ``result`` from a fresh subprocess (so reads do not share
    a heap or a high-water mark)."""
    completed = subprocess.run(
        [sys.executable, __file__, "--probe", reader_name, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        result.note = f"memory probe failed: {completed.stderr.strip().splitlines()[-1:]}"
        return
    figures = json.loads(completed.stdout)
    result.traced_peak_mib = figures["traced_peak_mib"]
    result.rss_growth_mib = figures["rss_growth_mib"]


def run_reader(label: str, reader_name: str, path: Path, repeat: int) -> Result:
    counts, times = time_reader(READERS[reader_name], path, repeat)
    result = Result(label, counts, times)
    measure_memory(result, reader_name, path)
    return result


def bench_format(fmt: str, path: Path, repeat: int, have_pandas: bool) -> FormatReport:
    report = FormatReport(fmt, path, run_reader("read_roster", "roster", path, repeat))
    if fmt == "xlsx":
        report.peers.append(run_reader("openpyxl read-only", "openpyxl", path, repeat))
        if find_spec("python_calamine") is not None:
            report.peers.append(run_reader("python-calamine", "calamine", path, repeat))
        else:
            report.skipped.append("python-calamine: skipped, not installed")
        pandas_name, pandas_label = "pandas-excel", "pandas.read_excel"
    else:
        report.peers.append(run_reader("csv.reader", "csv", path, repeat))
        pandas_name, pandas_label = "pandas-csv", "pandas.read_csv"
    if have_pandas:
        report.peers.append(run_reader(pandas_label, pandas_name, path, repeat))
    else:
        report.skipped.append(f"{pandas_label}: skipped, pandas is not installed")
    return report


# --------------------------------------------------------------------------- big and hostile


def write_hostile_xlsx(path: Path, rows: int) -> None:
    """Issue 15's hostile workbook: a header, then ``rows`` rows holding only a number.

    Every row has four empty required cells, so four row errors: a reader that
    keeps them all holds millions of problems. Written by hand, as a few kilobytes
    of XML per thousand rows (openpyxl would take minutes to write it).
    """
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    header = "".join(
        f'<c t="inlineStr"><is><t>{name}</t></is></c>'
        for name in ("Matricule", "Nom", "Prénom", "Date d'entrée", "Poste")
    )
    body = "".join(f'<row r="{i}"><c><v>{i}</v></c></row>' for i in range(2, rows + 2))
    sheet = (
        f'<worksheet xmlns="{main}"><sheetData><row r="1">{header}</row>{body}</sheetData>'
        "</worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rels}"><sheets>'
            '<sheet name="Salariés" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet, compresslevel=9)


# Runs the CLI in the child and reports its own peak RSS (VmHWM) on stderr. Not the
# parent's wait4() figure: Linux starts a child's ru_maxrss at its parent's size at fork,
# and this script holds 200,000 generated people by then.
_CHECK = """
import sys
from entretien_forms.cli import main
sys.argv = ["entretien", "roster", "check", sys.argv[1]]
try:
    main()
finally:
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(peak, file=sys.stderr)
"""


def run_check(path: Path) -> tuple[float, float | None, int]:
    """`entretien roster check PATH` in a fresh process: wall time, peak RSS (MB), exit code."""
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _CHECK, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    last = completed.stderr.strip().splitlines()[-1:]
    peak = int(last[0]) / 1024 if last and last[0].isdigit() else None
    return elapsed, peak, completed.returncode


def bench_big(directory: Path) -> None:
    start = time.perf_counter()
    big = directory / f"salaries-{BIG_EMPLOYEES}.xlsx"
    write_xlsx(generate_people(BIG_EMPLOYEES), big)
    files = [(f"{BIG_EMPLOYEES} employees .xlsx", big)]
    for rows in HOSTILE_ROWS:
        hostile = directory / f"hostile-{rows}.xlsx"
        write_hostile_xlsx(hostile, rows)
        with zipfile.ZipFile(hostile) as archive:
            inflated = sum(i.file_size for i in archive.infolist())
        files.append(
            (f"hostile .xlsx ({rows} one-cell rows, {inflated / 1e6:.0f} MB of XML)", hostile)
        )
    print(
        f"roster check in a fresh process (files generated in {time.perf_counter() - start:.0f} s):"
    )
    for label, path in files:
        elapsed, peak_mb, code = run_check(path)
        within = elapsed < LIMIT_S and peak_mb is not None and peak_mb < LIMIT_MB
        print(
            f"  {label:<52} {path.stat().st_size / 1e6:5.1f} MB  {elapsed:6.1f} s  "
            f"peak {_mib(peak_mb):>5} MB  exit {code}  "
            f"(< {LIMIT_S:.0f} s, < {LIMIT_MB} MB: {'PASS' if within else 'FAIL'})"
        )


# --------------------------------------------------------------------------- output


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def print_table(reports: Sequence[FormatReport]) -> None:
    columns = f"{'format':<7}{'reader':<20}{'items':>7}{'best s':>9}{'median s':>10}"
    columns += f"{'reader/peer':>13}{'py peak MiB':>13}{'RSS +MiB':>10}"
    print(columns)
    print("-" * len(columns))
    for report in reports:
        rows = [report.roster, *report.peers]
        for result in rows:
            ratio = "" if result is report.roster else f"{report.roster.best / result.best:.1f}x"
            line = f"{report.fmt:<7}{result.label:<20}{result.items:>7}"
            line += f"{result.best:>9.3f}{result.median:>10.3f}{ratio:>13}"
            line += f"{_mib(result.traced_peak_mib):>13}{_mib(result.rss_growth_mib):>10}"
            print(line + (f"  ({result.note})" if result.note else ""))
        for note in report.skipped:
            print(f"{report.fmt:<7}{note}")
    print()
    print("items: employees for read_roster; raw rows (title, blank, header, total) for peers.")
    print("reader/peer: read_roster best time / peer best time.")
    print("py peak: tracemalloc peak of one read; RSS +: peak RSS growth of one read")
    print("(both measured in a fresh subprocess, one read each).")


def print_targets(reports: Sequence[FormatReport], employees: int, repeat: int) -> None:
    print()
    print(f"Targets (read_roster, best of {repeat}, {TARGET_EMPLOYEES} employees, 2 cores):")
    for report in reports:
        target = TARGETS_S[report.fmt]
        best = report.roster.best
        if employees != TARGET_EMPLOYEES:
            verdict = f"n/a (targets are for {TARGET_EMPLOYEES} employees)"
        else:
            verdict = "PASS" if best < target else "FAIL"
        print(f"  {report.fmt:<5} best {best:7.3f} s   target < {target:.1f} s   {verdict}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark read_roster on a generated roster.")
    parser.add_argument("--employees", type=int, default=DEFAULT_EMPLOYEES)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated files (e.g. to profile a read)"
    )
    parser.add_argument(
        "--big",
        action="store_true",
        help=f"also time `roster check` on {BIG_EMPLOYEES} employees and on a hostile workbook",
    )
    # Internal: the memory probe this script runs in a subprocess.
    parser.add_argument("--probe", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe:
        print(json.dumps(probe_memory(args.probe[0], Path(args.probe[1]))))
        return 0

    have_pandas = find_spec("pandas") is not None
    directory = Path(tempfile.mkdtemp(prefix="bench-roster-"))
    try:
        start = time.perf_counter()
        people = generate_people(args.employees)
        xlsx_path, csv_path = directory / "salaries.xlsx", directory / "salaries.csv"
        write_xlsx(people, xlsx_path)
        write_csv(people, csv_path)
        generated_in = time.perf_counter() - start

        print("read_roster benchmark")
        print(
            f"  {args.employees} employees, {args.repeat} reads each, today={TODAY}, "
            f"Python {sys.version.split()[0]}, openpyxl {openpyxl.__version__}, "
            f"{os.cpu_count()} CPUs"
        )
        for path in (xlsx_path, csv_path):
            print(f"  {path} ({path.stat().st_size / 1024:.0f} KiB)")
        print(f"  generated in {generated_in:.1f} s; openpyxl imported before timing")
        print()

        reports = [
            bench_format("xlsx", xlsx_path, args.repeat, have_pandas),
            bench_format("csv", csv_path, args.repeat, have_pandas),
        ]
        print_table(reports)
        print_targets(reports, args.employees, args.repeat)

        # Detail of the last read, so that a clean file is visibly clean.
        exit_code = 0
        print()
        for report in reports:
            roster = read_roster(report.path, today=TODAY)
            print(
                f"{report.fmt}: {len(roster.employees)} employees, {len(roster.excluded)} "
                f"excluded, {len(roster.errors)} errors, {len(roster.warnings)} warnings, "
                f"header on row {roster.header_row}"
            )
            if any(count != args.employees for count in report.roster.counts):
                print(
                    f"ERROR: read_roster returned {report.roster.counts} employees (one count "
                    f"per read) from the {report.fmt} file; {args.employees} were written."
                )
                exit_code = 1
        if args.big:
            print()
            bench_big(directory)
        if args.keep:
            print(f"\nfiles kept in {directory}")
        return exit_code
    finally:
        if not args.keep:
            shutil.rmtree(directory)


if __name__ == "__main__":
    sys.exit(main())
