"""Measure the inbox on hostile input: time and peak memory of the whole process tree.

Run from the repository root with the project's virtualenv (Linux: memory is read
from /proc):

    python bench/bench_inbox_hostile.py [--workers 4] [--heavy 30]

Each case runs ``ingest_paths`` in a child process over a fresh workspace and
prints its wall time, the peak of the resident memory summed over the child and
its worker processes (RSS: pages shared after fork are counted once per process,
so this overstates), and the peak of the proportional set size (PSS: shared
pages divided among the processes sharing them: what the machine really gives).
The issue's limits are 30 s and 500 MB per case. Cases:

- a valid .docx whose document.xml is 47 MB (refused by its declared size);
- a valid .docx at the cap (9.9 MB of document.xml made of the smallest
  elements: the worst case for lxml that is still read);
- ``--heavy`` distinct documents of 9 MB each in one ingest, with ``--workers``
  worker processes (one heavy file read at a time, memory given back after);
- a ZIP declaring 65,000 entries (refused before zipfile reads its directory);
- 200 hostile names and entries: links to /etc/passwd, FIFOs, 252-byte and
  non-UTF-8 names.

This is a benchmark for maintainers, not a test: it exits with 1 only when a
case goes over the limits.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

from entretien_forms.forms import load_catalog
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import init_workspace, open_workspace

LIMIT_MB = 500
LIMIT_S = 30.0
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
)
_CHILD = """
import sys
from pathlib import Path
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.store import Store
from entretien_forms.workspace import open_workspace
workspace = open_workspace(Path(sys.argv[1]))
with Store.open(workspace.database_path) as store:
    report = ingest_paths(workspace, store, [workspace.inbox], workers=int(sys.argv[2]))
print({s: report.count(s) for s in ("ok", "duplicate", "rejected", "failed", "ignored")})
"""


def make_workspace(root: Path) -> Path:
    """A workspace with two employees' annual forms issued; returns Éloïse's .docx."""
    init_workspace(root)
    workspace = open_workspace(root)
    roster_file = root / "salaries.csv"
    roster_file.write_text(ROSTER, encoding="utf-8")
    roster = read_roster(roster_file, today=date(2026, 11, 26))
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="x", now=datetime(2026, 11, 26, 8))
        request = GenerationRequest(kind="annuel", campaign="2026", today=date(2026, 11, 26))
        catalog = load_catalog(workspace.templates_dir)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    roster_file.unlink()
    (found,) = workspace.outbox.glob("2026/*/*-S2-annuel.docx")
    return found


def padded_docx(form: Path, megabytes: float, *, words: int, seed: int) -> bytes:
    """``form`` with paragraphs of random words added until document.xml has ``megabytes``."""
    rnd = random.Random(seed)
    vocabulary = [
        bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
        for _ in range(5000)
    ]
    with zipfile.ZipFile(form) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    chunks, size = [], 0
    while size < megabytes * 1_000_000:
        text = b" ".join(rnd.choice(vocabulary) for _ in range(words))
        chunk = b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>"
        chunks.append(chunk)
        size += len(chunk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            if name == "word/document.xml":
                at = data.rindex(b"<w:sectPr")
                data = data[:at] + b"".join(chunks) + data[at:]
            target.writestr(name, data)
    return buffer.getvalue()


def many_entries() -> bytes:
    """A small ZIP whose end record declares 65,535 entries (a ZIP64 pointer)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", b"<w/>")
    data = bytearray(buffer.getvalue())
    at = data.rindex(b"PK\x05\x06")
    data[at + 8 : at + 12] = b"\xff\xff\xff\xff"
    return bytes(data)


def hostile_names(inbox: Path) -> None:
    for n in range(40):
        (inbox / f"passwd-{n}.pdf").symlink_to("/etc/passwd")
        os.mkfifo(inbox / f"tube-{n}.pdf")
        (inbox / (f"{n:03d}" + "a" * 245 + ".pdf")).write_bytes(b"x")
        (inbox / os.fsdecode(b"caf\xe9-%d.docx" % n)).write_bytes(b"hello")
        (inbox / f"{n}.txt").write_bytes(b"notes")


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text()
                todo.extend(int(child) for child in children.split())
        except OSError:
            pass
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes, 0 if gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        values = dict(line.split(":", 1) for line in lines if ":" in line)
    except OSError:
        return 0, 0
    rss = int(values.get("Rss", "0 kB").split()[0]) * 1024
    pss = int(values.get("Pss", "0 kB").split()[0]) * 1024
    return rss, pss


def measure(root: Path, workers: int) -> tuple[float, float, float, str]:
    """(seconds, peak RSS MB, peak PSS MB, counts) of one ingest in a child process."""
    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(root), str(workers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak_rss = peak_pss = 0
    while child.poll() is None:
        sizes = [_memory(pid) for pid in _tree(child.pid)]
        peak_rss = max(peak_rss, sum(rss for rss, _ in sizes))
        peak_pss = max(peak_pss, sum(pss for _, pss in sizes))
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    output = (child.stdout.read() if child.stdout else "").strip()
    return elapsed, peak_rss / 1e6, peak_pss / 1e6, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--heavy", type=int, default=30)
    args = parser.parse_args()
    over = False
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        form = make_workspace(base)
        cases = {
            "document.xml de 47 Mo": lambda inbox: (inbox / "gros.docx").write_bytes(
                padded_docx(form, 47, words=12, seed=1)
            ),
            "document.xml au plafond (9,9 Mo, petits éléments)": lambda inbox: (
                inbox / "plafond.docx"
            ).write_bytes(padded_docx(form, 9.9, words=1, seed=2)),
            f"{args.heavy} documents de 9 Mo, {args.workers} processus": lambda inbox: [
                (inbox / f"lourd-{n:02d}.docx").write_bytes(
                    padded_docx(form, 9, words=1, seed=10 + n)
                )
                for n in range(args.heavy)
            ],
            "zip annonçant 65 535 parties": lambda inbox: (inbox / "parties.docx").write_bytes(
                many_entries()
            ),
            "200 noms et entrées hostiles": hostile_names,
        }
        print("Inbox, hostile cases (wall time, peak memory of the process tree)")
        for title, fill in cases.items():
            root = Path(tmp) / "case"
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(base, root, symlinks=True)
            fill(root / "inbox")
            seconds, rss, pss, counts = measure(root, args.workers)
            flag = ""
            if seconds > LIMIT_S or pss > LIMIT_MB:
                flag, over = "  <-- over the limits", True
            print(f"  {title:<48} {seconds:5.1f} s  RSS {rss:4.0f} MB  PSS {pss:4.0f} MB{flag}")
            print(f"  {'':<48} {counts}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
