"""Benchmark the inbox: forms ingested per second, peers reading the same files, watcher latency.

Run from the repository root with the project's virtualenv:

    python bench/bench_inbox.py [--forms 400] [--latency-files 5]

What it prints:

- forms ingested per second by ``entretien ingest`` (preflight, identity and
  signature, extraction, validation, SQLite transaction, move to the archive),
  .docx and .pdf separately, in one process and with one worker process per core
  (what ``ingest`` does with many files) — the built-in annual form,
  as ``generate`` issues it (pre-filled identity and figures, about 100 controls);
- in the same run, python-docx and pypdf reading the same files naively
  (``docx.Document`` then every content control; ``PdfReader.get_fields()``),
  pikepdf alone (qpdf opening the file and giving every field's value: the
  floor under our PDF reader, which reads through it), and our readers alone
  (identification then extraction, without the store), best of 3 passes;
- the latency from a file landing in ``inbox/`` to its answers being stored,
  with the watcher on file events and with polling (interval 2 s).

This is a benchmark for maintainers, not a test: it exits with 1 only when a
form is not stored (a broken run must not pass for a fast one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_roster import generate_people, write_csv

from entretien_forms.forms import load_catalog
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.inbox.docx_reader import extract_docx, identify_docx
from entretien_forms.inbox.ingest import ingest_file, ingest_paths
from entretien_forms.inbox.pdf_reader import extract_pdf, identify_pdf
from entretien_forms.inbox.watch import InboxWatcher
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

TODAY = date(2026, 11, 26)
TARGET_PER_S = 200
TARGET_EVENT_LATENCY_S = 1.0
POLL_INTERVAL_S = 2.0


GRIDS: dict[str, str | None] = {}  # issued file name → skills grid of its form


def make_workspace(root: Path, forms: int) -> tuple[Workspace, list[Path], list[Path]]:
    """A workspace with ``forms`` employees and their issued annual forms (both formats)."""
    init_workspace(root)
    workspace = open_workspace(root)
    roster_path = root / "salaries.csv"
    write_csv(generate_people(forms), roster_path)
    catalog = load_catalog(workspace.templates_dir)
    definition = catalog.for_kind("annuel", None)
    roster = read_roster(roster_path, today=TODAY, extra_columns=definition.roster_columns)
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="bench", now=datetime(2026, 11, 26, 8))
        request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        report = issue_forms(workspace, plan, store)
    docx = [workspace.outbox / str(f.docx_path) for f in report.issued]
    pdf = [workspace.outbox / str(f.pdf_path) for f in report.issued]
    for issued in report.issued:
        for path in (issued.docx_path, issued.pdf_path):
            GRIDS[Path(str(path)).name] = issued.grid
    return workspace, docx, pdf


def stored_count(workspace: Workspace) -> int:
    with sqlite3.connect(workspace.database_path) as db:
        return int(db.execute("SELECT count(*) FROM submissions WHERE filed = 1").fetchone()[0])


def ingest_run(root: Path, forms: int, fmt: str, workers: int) -> tuple[int, float]:
    """Copy one format's forms into the inbox, time ``ingest`` over them; (stored, seconds)."""
    workspace, docx, pdf = make_workspace(root, forms)
    for source in docx if fmt == "docx" else pdf:
        shutil.copyfile(source, workspace.inbox / source.name)
    start = time.perf_counter()
    with Store.open(workspace.database_path) as store:
        report = ingest_paths(workspace, store, [workspace.inbox], workers=workers)
    elapsed = time.perf_counter() - start
    rejected = [o.message for o in report.outcomes if o.status == "rejected"]
    if rejected:
        print("\n".join(rejected[:5]), file=sys.stderr)
    return stored_count(workspace), elapsed


def readers_alone(
    files: Sequence[Path], fmt: str, layout_of: Callable[[str | None], object]
) -> float:
    """Identify then extract each file, with the layout of its own skills grid."""
    layouts = {GRIDS[path.name]: layout_of(GRIDS[path.name]) for path in files}
    start = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        layout = layouts[GRIDS[path.name]]
        if fmt == "docx":
            identify_docx(data, path.name)
            extract_docx(data, path.name, layout)  # type: ignore[arg-type]
        else:
            identify_pdf(data, path.name)
            extract_pdf(data, path.name, layout)  # type: ignore[arg-type]
    return time.perf_counter() - start


def python_docx_naive(files: Sequence[Path]) -> float:
    import docx

    start = time.perf_counter()
    for path in files:
        document = docx.Document(str(path))
        tag = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tag"
        found = {}
        for sdt in document.element.body.iter(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sdt"
        ):
            for node in sdt.iter(tag):
                found[node.get(node.tag.replace("tag", "val"))] = "".join(sdt.itertext())
    return time.perf_counter() - start


def pypdf_naive(files: Sequence[Path]) -> float:
    from pypdf import PdfReader

    start = time.perf_counter()
    for path in files:
        PdfReader(path).get_fields()
    return time.perf_counter() - start


def pikepdf_fields(files: Sequence[Path]) -> float:
    """qpdf's own walk of the form (its AcroForm helper), every field's name and value."""
    import pikepdf

    start = time.perf_counter()
    for path in files:
        with pikepdf.open(path, inherit_page_attributes=False) as pdf:
            {field.fully_qualified_name: field.value for field in pdf.acroform.fields}
    return time.perf_counter() - start


def best_of(passes: int, run: Callable[[], float]) -> float:
    """The shortest of ``passes`` runs: the machine's noise only ever adds time."""
    return min(run() for _ in range(passes))


def latency(root: Path, polling: bool, drops: int) -> list[float]:
    """Seconds from a file landing in the inbox to its submission being stored."""
    workspace, docx, _ = make_workspace(root, max(drops, 10))
    docx = docx[:drops]
    store_holder: dict[str, Store] = {}

    def process(path: Path) -> object:
        if "store" not in store_holder:
            store_holder["store"] = Store.open(workspace.database_path)
        return ingest_file(workspace, store_holder["store"], path)

    stop = threading.Event()
    watcher = InboxWatcher(
        workspace.inbox,
        process,
        lambda: None,
        polling=polling,
        poll_interval=POLL_INTERVAL_S,
        stable_seconds=0.3,
        log=lambda line: None,
    )
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(1.0)  # observer started, first rescan done
    delays = []
    for n, source in enumerate(docx, start=1):
        landed = time.perf_counter()
        tmp = workspace.root / f".drop-{n}"
        shutil.copyfile(source, tmp)
        tmp.replace(workspace.inbox / source.name)  # lands complete, as a copy by Explorer ends
        while stored_count(workspace) < n:
            if time.perf_counter() - landed > 30:
                raise SystemExit(f"{source.name} not stored after 30 s")
            time.sleep(0.01)
        delays.append(time.perf_counter() - landed)
        time.sleep(0.5)
    stop.set()
    thread.join(10)
    return delays


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=400)
    parser.add_argument("--latency-files", type=int, default=5)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    n = args.forms
    print("Inbox benchmark")
    print(
        f"  built-in annual form, {n} forms per format, Python {sys.version.split()[0]}, "
        f"{cores} CPUs"
    )
    rates: dict[str, float] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as tmp:
        root = Path(tmp)
        print()
        print("entretien ingest (every step, SQLite and file moves included):")
        for fmt in ("docx", "pdf"):
            for workers in (1, cores):
                stored, elapsed = ingest_run(root / f"{fmt}-{workers}", n, fmt, workers)
                failed |= stored != n
                rates[fmt] = stored / elapsed
                where = "1 process" if workers == 1 else f"{workers} worker processes"
                print(
                    f"  {fmt:4}, {where:20} {stored:5d} forms  {elapsed:6.2f} s  "
                    f"{rates[fmt]:7.1f} forms/s"
                )

        print()
        print("Reading alone, same files, 1 process:")
        workspace, docx_files, pdf_files = make_workspace(root / "peers", n)
        catalog = load_catalog(workspace.templates_dir)
        from entretien_forms.forms import label_context

        definition = catalog.for_kind("annuel", None)

        def layout(grid: str | None) -> object:
            return definition.layout(grid, label_context("2026", TODAY, workspace.settings.company))

        for label, seconds in (
            ("entretien-forms docx reader", readers_alone(docx_files, "docx", layout)),
            ("python-docx, Document() + controls", python_docx_naive(docx_files)),
            (
                "entretien-forms pdf reader",
                best_of(3, lambda: readers_alone(pdf_files, "pdf", layout)),
            ),
            ("pikepdf, open + acroform.fields", best_of(3, lambda: pikepdf_fields(pdf_files))),
            ("pypdf, PdfReader().get_fields()", pypdf_naive(pdf_files)),
        ):
            print(f"  {label:36} {seconds / n * 1000:6.2f} ms/form  {n / seconds:7.1f} forms/s")

        print()
        print("Latency, file landed in inbox/ → answers stored (watcher, one file at a time):")
        events = latency(root / "lat-events", False, args.latency_files)
        polled = latency(root / "lat-polling", True, args.latency_files)
        for label, delays in (("file events", events), (f"polling {POLL_INTERVAL_S:g} s", polled)):
            print(
                f"  {label:16} median {statistics.median(delays):5.2f} s, "
                f"max {max(delays):5.2f} s over {len(delays)} files"
            )

    print()
    print("Targets:")
    for fmt in ("docx", "pdf"):
        print(
            f"  ingest {fmt:4} {rates[fmt]:7.1f} forms/s on {cores} cores   target >= "
            f"{TARGET_PER_S}   {verdict(rates[fmt] >= TARGET_PER_S)}"
        )
    print(
        f"  latency, file events   max {max(events):5.2f} s   target < "
        f"{TARGET_EVENT_LATENCY_S:g} s   {verdict(max(events) < TARGET_EVENT_LATENCY_S)}"
    )
    bound = POLL_INTERVAL_S + 1
    print(
        f"  latency, polling       max {max(polled):5.2f} s   target < {bound:g} s   "
        f"{verdict(max(polled) < bound)}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
