"""Benchmark form generation: renderers alone, peers on the same form, and ``generate`` end to end.

Run from the repository root with the project's virtualenv:

    python bench/bench_forms.py [--employees 1000] [--full 5000] [--peer-forms 40]

What it prints, for the built-in annual interview form (commercial skills grid):

- forms per second for ``--employees`` employees: .docx alone, .pdf alone, both
  formats, in one process and on every core (a process pool, as on an office PC);
- the same form rendered by peers, in the same run: docxtpl rendering an
  equivalent template (our document with a Jinja2 placeholder in every field),
  and reportlab drawing the form from scratch for each employee (what
  ``PdfTemplate.compile`` does once), when those libraries are installed;
- ``entretien generate`` for ``--full`` employees (both formats and the print
  batches) in a fresh process: wall time and peak memory (max RSS).

This is a benchmark for maintainers, not a test: it exits with 0 unless a
renderer produced nothing (an empty output must not pass for a fast one).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from importlib.util import find_spec
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_roster import generate_people, write_csv

from entretien_forms.forms import label_context, load_catalog, prefill_values
from entretien_forms.forms.model import FormLayout, FormValues, Identity
from entretien_forms.render.docx import DocxTemplate
from entretien_forms.render.pdf import PdfTemplate
from entretien_forms.roster import Employee, read_roster
from entretien_forms.workspace import init_workspace, open_workspace

TODAY = date(2026, 11, 26)
CAMPAIGN = "2026"
TARGET_DOCX_PER_S = 500
TARGET_PDF_PER_S = 200
TARGET_DOCXTPL_RATIO = 10
TARGET_FULL_S = 60
TARGET_FULL_MB = 200
TARGET_FULL_EMPLOYEES = 5_000

Job = tuple[Identity, FormValues]


# --------------------------------------------------------------------------- fixtures


def build_jobs(root: Path, employees: int) -> tuple[FormLayout, list[Job], Path]:
    """A workspace, a roster of ``employees`` and each one's identity and pre-fill values."""
    workspace_dir = root / "ws"
    init_workspace(workspace_dir)
    workspace = open_workspace(workspace_dir)
    roster_path = root / "salaries.csv"
    write_csv(generate_people(employees), roster_path)
    catalog = load_catalog(workspace.templates_dir)
    definition = catalog.for_kind("annuel", None)
    roster = read_roster(roster_path, today=TODAY, extra_columns=definition.roster_columns)
    context = label_context(CAMPAIGN, TODAY, workspace.settings.company)
    layout = definition.layout("commercial", context)
    by_matricule = {e.matricule: e for e in roster.employees}
    jobs = [
        (
            _identity(e, by_matricule.get(e.manager_matricule or ""), n),
            prefill_values(
                definition, e, by_matricule.get(e.manager_matricule or ""), context, TODAY
            ),
        )
        for n, e in enumerate(roster.employees, start=1)
    ]
    return layout, jobs, roster_path


def _identity(employee: Employee, manager: Employee | None, number: int) -> Identity:
    return Identity(
        reference=f"EA-{CAMPAIGN}-{number:05d}",
        form_id="entretien-annuel",
        form_version="1",
        kind="annuel",
        campaign=CAMPAIGN,
        matricule=employee.matricule,
        employee_name=employee.full_name,
        manager_name=manager.full_name if manager else None,
        company="Société Générale de Négoce & Services SAS",
        signature="0" * 64,
        issued_on=TODAY,
    )


# --------------------------------------------------------------------------- renderers


def render_all(layout: FormLayout, jobs: Sequence[Job], formats: Sequence[str]) -> int:
    """Render every job in every format; returns the bytes written (checked non-empty)."""
    templates = []
    if "docx" in formats:
        templates.append(DocxTemplate.compile(layout))
    if "pdf" in formats:
        templates.append(PdfTemplate.compile(layout))  # type: ignore[arg-type]
    total = 0
    for identity, values in jobs:
        for template in templates:
            total += len(template.render(identity, values))
    return total


def unzipped_parts(layout: FormLayout, jobs: Sequence[Job]) -> list[list[tuple[str, bytes]]]:
    """Each job's .docx as its parts, to zip them again with ``zipfile`` (not timed)."""
    template = DocxTemplate.compile(layout)
    forms = []
    for identity, values in jobs:
        with zipfile.ZipFile(io.BytesIO(template.render(identity, values))) as archive:
            forms.append([(name, archive.read(name)) for name in archive.namelist()])
    return forms


def zip_with_zipfile(forms: Sequence[Sequence[tuple[str, bytes]]]) -> int:
    """The zip step alone, done by ``zipfile`` as a plain writer would (deflate, level 6).

    The measure behind render/_docx_parts.py's own zip writer: it compresses
    the constant XML once and appends only what changes; ``zipfile`` has to
    compress every part of every form again.
    """
    total = 0
    for parts in forms:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name, data in parts:
                archive.writestr(name, data)
        total += len(buffer.getvalue())
    return total


def _worker_render(args: tuple[FormLayout, Sequence[Job], Sequence[str]]) -> int:
    return render_all(*args)


def render_parallel(
    layout: FormLayout, jobs: Sequence[Job], formats: Sequence[str], workers: int
) -> int:
    """Split the jobs into one chunk per worker; each worker compiles its own templates."""
    size = -(-len(jobs) // workers)
    chunks = [(layout, jobs[i : i + size], formats) for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(_worker_render, chunks))


def timed(label: str, count: int, action: Callable[[], int]) -> float:
    start = time.perf_counter()
    written = action()
    elapsed = time.perf_counter() - start
    if written <= 0:
        print(f"{label}: nothing was written", file=sys.stderr)
        raise SystemExit(1)
    rate = count / elapsed
    print(f"  {label:<44} {count:6d} forms  {elapsed:7.2f} s  {rate:8.1f} forms/s")
    return rate


# --------------------------------------------------------------------------- peers


def docxtpl_template(layout: FormLayout, jobs: Sequence[Job]) -> bytes:
    """Our own document, with a Jinja2 placeholder in place of every value: an equivalent
    template for docxtpl, with the same controls, tables and size."""
    identity, values = jobs[0]
    placeholders: dict[str, str | bool] = {}
    for n, field in enumerate(layout.fields):
        if field.type in ("text", "longtext", "date", "number"):
            placeholders[field.id] = "{{ v%d }}" % n  # noqa: UP031  # literal Jinja braces
        elif field.id in values:
            placeholders[field.id] = values[field.id]
    disguised = Identity(
        reference="{{ reference }}",
        form_id=identity.form_id,
        form_version=identity.form_version,
        kind=identity.kind,
        campaign=identity.campaign,
        matricule="{{ matricule }}",
        employee_name="{{ employee_name }}",
        manager_name="{{ manager_name }}",
        company="{{ company }}",
        signature=identity.signature,
        issued_on=identity.issued_on,
    )
    return DocxTemplate.compile(layout).render(disguised, placeholders)


def run_docxtpl(layout: FormLayout, jobs: Sequence[Job]) -> int:
    from docxtpl import DocxTemplate as PeerTemplate  # type: ignore[import-untyped]

    source = docxtpl_template(layout, jobs)
    index = {field.id: n for n, field in enumerate(layout.fields)}
    total = 0
    for identity, values in jobs:
        template = PeerTemplate(io.BytesIO(source))
        context: dict[str, object] = {
            f"v{index[key]}": value for key, value in values.items() if isinstance(value, str)
        }
        context |= {
            "reference": identity.reference,
            "matricule": identity.matricule,
            "employee_name": identity.employee_name,
            "manager_name": identity.manager_name or "",
            "company": identity.company,
        }
        template.render(context, autoescape=True)
        out = io.BytesIO()
        template.save(out)
        total += len(out.getvalue())
    return total


def run_reportlab_from_scratch(layout: FormLayout, jobs: Sequence[Job]) -> int:
    """reportlab lays out and draws the whole form (text, tables, widgets) for each employee."""
    total = 0
    for identity, values in jobs:
        total += len(PdfTemplate.compile(layout).render(identity, values))
    return total


# --------------------------------------------------------------------------- end to end


def run_full(root: Path, employees: int) -> tuple[float, float, int]:
    """``entretien generate`` in a fresh process: wall seconds, peak RSS in MB, files written."""
    workspace = root / "full"
    init_workspace(workspace)
    roster = root / "full.csv"
    write_csv(generate_people(employees), roster)
    command = [
        sys.executable,
        "-m",
        "entretien_forms",
        "--workspace",
        str(workspace),
        "generate",
        str(roster),
        "--kind",
        "annuel",
        "--campaign",
        CAMPAIGN,
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    out = process.stdout.read().decode() if process.stdout else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        print(out, file=sys.stderr)
        raise SystemExit(f"generate failed with exit code {process.returncode}")
    files = sum(1 for p in (workspace / "outbox").rglob("*") if p.is_file())
    peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return elapsed, peak_mb, files


# --------------------------------------------------------------------------- main


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--full", type=int, default=TARGET_FULL_EMPLOYEES)
    parser.add_argument("--peer-forms", type=int, default=40)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="bench-forms-") as tmp:
        root = Path(tmp)
        layout, jobs, _ = build_jobs(root, args.employees)
        n = len(jobs)
        fields = len(layout.fields)
        print("Form generation benchmark")
        print(
            f"  form {layout.form_id} (grid {layout.grid}, {fields} fields), {n} employees, "
            f"Python {sys.version.split()[0]}, {cores} CPUs"
        )
        start = time.perf_counter()
        docx_sample = DocxTemplate.compile(layout)
        docx_compile = time.perf_counter() - start
        start = time.perf_counter()
        pdf_sample = PdfTemplate.compile(layout)
        pdf_compile = time.perf_counter() - start
        one_docx = docx_sample.render(*jobs[0])
        one_pdf = pdf_sample.render(*jobs[0])
        with zipfile.ZipFile(io.BytesIO(one_docx)) as archive:
            parts = len(archive.namelist())
        print(
            f"  compile once: docx {docx_compile * 1000:.0f} ms, pdf {pdf_compile * 1000:.0f} ms;"
            f" one form: {len(one_docx) / 1024:.0f} KiB .docx ({parts} parts), "
            f"{len(one_pdf) / 1024:.0f} KiB .pdf"
        )
        print()
        print("entretien-forms (compile once, then write only what changes):")
        docx_rate = timed("docx, 1 process", n, lambda: render_all(layout, jobs, ["docx"]))
        pdf_rate = timed("pdf, 1 process", n, lambda: render_all(layout, jobs, ["pdf"]))
        unzipped = unzipped_parts(layout, jobs)
        zip_rate = timed("  zip step alone, by zipfile", n, lambda: zip_with_zipfile(unzipped))
        timed("docx + pdf, 1 process", n, lambda: render_all(layout, jobs, ["docx", "pdf"]))
        if cores > 1:
            timed(
                f"docx, {cores} processes",
                n,
                lambda: render_parallel(layout, jobs, ["docx"], cores),
            )
            timed(
                f"pdf, {cores} processes", n, lambda: render_parallel(layout, jobs, ["pdf"], cores)
            )
            timed(
                f"docx + pdf, {cores} processes",
                n,
                lambda: render_parallel(layout, jobs, ["docx", "pdf"], cores),
            )

        print()
        print(f"Peers, same form, {args.peer_forms} employees, 1 process:")
        peers = jobs[: args.peer_forms]
        docxtpl_rate: float | None = None
        if find_spec("docxtpl"):
            docxtpl_rate = timed(
                "docxtpl (equivalent template)", len(peers), lambda: run_docxtpl(layout, peers)
            )
        else:
            print("  docxtpl: skipped, not installed (pip install docxtpl)")
        reportlab_rate = timed(
            "reportlab, whole form drawn per employee",
            len(peers),
            lambda: run_reportlab_from_scratch(layout, peers),
        )

        print()
        print(f"entretien generate, {args.full} employees, both formats and print batches:")
        full_s, full_mb, files = run_full(root, args.full)
        print(f"  {full_s:.1f} s wall, peak memory {full_mb:.0f} MB (max RSS), {files} files")

    print()
    print("Targets:")
    print(
        f"  docx  {docx_rate:8.1f} forms/s   target >= {TARGET_DOCX_PER_S}   "
        f"{verdict(docx_rate >= TARGET_DOCX_PER_S)}"
    )
    print(
        f"  pdf   {pdf_rate:8.1f} forms/s   target >= {TARGET_PDF_PER_S}   "
        f"{verdict(pdf_rate >= TARGET_PDF_PER_S)}"
    )
    print(
        f"  docx whole render vs zipfile's zip step alone: {docx_rate / zip_rate:.1f}x "
        "(why render/_docx_parts.py writes its own zip)"
    )
    if docxtpl_rate:
        ratio = docx_rate / docxtpl_rate
        print(
            f"  docx vs docxtpl  {ratio:6.1f}x   target >= {TARGET_DOCXTPL_RATIO}x   "
            f"{verdict(ratio >= TARGET_DOCXTPL_RATIO)}"
        )
    print(f"  pdf vs reportlab from scratch  {pdf_rate / reportlab_rate:6.1f}x")
    if args.full == TARGET_FULL_EMPLOYEES:
        print(
            f"  generate {args.full}: {full_s:6.1f} s   target < {TARGET_FULL_S} s   "
            f"{verdict(full_s < TARGET_FULL_S)}"
        )
        print(
            f"  generate {args.full}: {full_mb:6.0f} MB  target < {TARGET_FULL_MB} MB  "
            f"{verdict(full_mb < TARGET_FULL_MB)}"
        )
    else:
        print(f"  generate: n/a (targets are for {TARGET_FULL_EMPLOYEES} employees)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
