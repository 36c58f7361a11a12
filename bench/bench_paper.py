"""Measure the paper route end to end: a scanned campaign dropped in the inbox and filed.

Run from the repository root with the project's virtualenv:

    python bench/bench_paper.py [--employees 125] [--teams 10] [--dpi 200]

The script issues the annual form (4 pages) to ``--employees`` employees in
``--teams`` teams, prints each form's pages with pdfium at ``--dpi``, ticks
two boxes per form with a pen-like stroke (the interview's mode and one
rating, from the stored paper map), turns every page by a small angle as a
feeder does and turns one page in eight upside down, and saves each team's
pages, shuffled, as one scanned PDF of JPEG pages. It then times, in the
same run:

- ``entretien ingest`` on the team stacks (identify by QR code, split into
  returns, register each page, read every tick box, validate, store, file):
  the target of issue 10 is a 500-page campaign filed in under 60 s on 2 cores;
- the same campaign as one single stack (one file: one worker);
- zxing-cpp alone decoding the QR code of each page (the whole page), the
  peer library every scan reader uses.

It exits with 1 if a form is not filed or a tick is not read as drawn (a
fast run that misses marks proves nothing), else 0.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image, ImageDraw

from entretien_forms.forms import load_catalog
from entretien_forms.forms.paper import PaperMap
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

TODAY = date(2026, 11, 26)
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
MODES = ("Présentiel", "Visio")


def _workspace(root: Path, employees: int, teams: int) -> Workspace:
    init_workspace(root)
    workspace = open_workspace(root)
    lines = ["Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable"]
    for team in range(teams):
        lines.append(f"M{team:03d};Chef{team};Equipe;01/02/2012;Responsable;Ventes;")
    for n in range(employees - teams):
        manager = f"M{n % teams:03d}"
        lines.append(f"S{n:04d};Nom{n};Prénom{n};04/03/2019;Commercial;Ventes;{manager}")
    roster_file = root / "salaries.csv"
    roster_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roster = read_roster(roster_file, today=TODAY)
    with Store.open(workspace.database_path) as store:
        store.import_roster(roster, sha256="bench", now=datetime(2026, 11, 26, 8))
        request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY, formats=("pdf",))
        catalog = load_catalog(workspace.templates_dir)
        plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
        issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
    return workspace


def _tick(image: Image.Image, rect: tuple[float, float, float, float], dpi: int) -> None:
    """A pen tick in the box: two strokes, 0.4 mm wide, a little past the box."""
    x0, y0, x1, y1 = rect
    height = image.size[1]

    def at(u: float, v: float) -> tuple[float, float]:
        x, y = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
        return x / 72 * dpi, height - y / 72 * dpi

    draw = ImageDraw.Draw(image)
    width = max(2, round(0.4 / 25.4 * dpi))
    draw.line([at(0.15, 0.5), at(0.4, 0.12), at(1.05, 1.1)], fill=30, width=width, joint="curve")


def _scans(
    workspace: Workspace, dpi: int, seed: int
) -> tuple[dict[str, list[Image.Image]], dict[str, tuple[str, str]]]:
    """Each team's scanned pages (shuffled), and what was ticked on each form."""
    rng = np.random.default_rng(seed)
    teams: dict[str, list[Image.Image]] = {}
    expected: dict[str, tuple[str, str]] = {}
    maps: dict[str, PaperMap] = {}
    with Store.open(workspace.database_path) as store:
        issued = store.current_issued(campaign="2026")
        for form in issued:
            assert form.paper_map is not None and form.pdf_path is not None
            if form.paper_map not in maps:
                loaded = PaperMap.from_json(store.paper_map(form.paper_map) or "")
                assert loaded is not None
                maps[form.paper_map] = loaded
    for form in issued:
        geometry = maps[form.paper_map or ""]
        mode = MODES[int(rng.integers(0, 2))]
        level = str(int(rng.integers(1, 5)))
        expected[form.reference] = (mode, level)
        wanted = {"entretien.mode": mode, "objectifs_precedents.1.atteinte": level}
        pdf = pdfium.PdfDocument((workspace.outbox / form.pdf_path).read_bytes())
        pages = []
        try:
            for page in geometry.pages:
                image = pdf[page.number - 1].render(scale=dpi / 72).to_pil().convert("L")
                for box in page.boxes:
                    if wanted.get(box.key) == box.value:
                        _tick(image, box.rect, dpi)
                angle = float(rng.uniform(-1.5, 1.5)) + (180 if rng.random() < 0.125 else 0)
                pages.append(image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255))
        finally:
            pdf.close()
        team = str(form.pdf_path).split("/")[1]
        teams.setdefault(team, []).extend(pages)
    for pages in teams.values():
        order = rng.permutation(len(pages))
        pages[:] = [pages[i] for i in order]
    return teams, expected


def _image_pdf(pages: list[Image.Image], dpi: int) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=dpi, quality=75)
    return buffer.getvalue()


def _ingest(workspace: Workspace, files: dict[str, bytes]) -> tuple[float, int, int]:
    """Seconds to file every stack, forms filed, ticks read as drawn (checked by the caller)."""
    for name, data in files.items():
        (workspace.inbox / name).write_bytes(data)
    with Store.open(workspace.database_path) as store:
        started = time.perf_counter()
        report = ingest_paths(workspace, store, [workspace.inbox])
        elapsed = time.perf_counter() - started
    bad = [o.message for o in report.outcomes if o.status != "ok"]
    if bad:
        print("\n".join(bad), file=sys.stderr)
    return elapsed, report.count("ok"), len(bad)


def _check(workspace: Workspace, expected: dict[str, tuple[str, str]]) -> int:
    """Forms whose two ticks were not read as drawn."""
    wrong = 0
    with Store.open(workspace.database_path) as store:
        answers = store.answers_matching(["entretien.mode", "objectifs_precedents.1.atteinte"])
        for submission in store.submissions():
            mode, level = expected[submission.reference]
            found = answers.get(submission.id or 0, {})
            read = (found.get("entretien.mode"), found.get("objectifs_precedents.1.atteinte"))
            if read != (mode, int(level)):
                wrong += 1
        filed = len(store.submissions())
    return wrong + (len(expected) - filed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=125)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--dpi", type=int, default=200)
    args = parser.parse_args()
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print(f"Préparation : {args.employees} formulaires annuels, {args.teams} équipes…")
        workspace = _workspace(base / "ws", args.employees, args.teams)
        shutil.copytree(base / "ws", base / "ws-one")
        # One pass of the whole campaign weighs more than the 100 MB a file may weigh by
        # default: HR raises the limit for such a scan ([retours] taille_max_mo).
        settings = base / "ws-one" / "entretien.toml"
        text = settings.read_text("utf-8").replace("taille_max_mo = 100", "taille_max_mo = 400")
        settings.write_text(text, "utf-8")
        single_workspace = open_workspace(base / "ws-one")
        teams, expected = _scans(workspace, args.dpi, seed=7)
        pages = [page for team in teams.values() for page in team]
        stacks = {f"scan-{team}.pdf": _image_pdf(p, args.dpi) for team, p in teams.items()}
        print(f"{len(pages)} pages scannées à {args.dpi} dpi, {len(stacks)} fichiers.")

        started = time.perf_counter()
        for page in pages:
            zxingcpp.read_barcodes(page, formats=_QR)
        zxing = time.perf_counter() - started

        elapsed, filed, bad = _ingest(workspace, stacks)
        wrong = _check(workspace, expected)
        print(
            f"entretien ingest, {len(stacks)} piles : {elapsed:.1f} s, "
            f"{len(pages) / elapsed:.1f} pages/s ; {filed} fichiers rangés, "
            f"{len(expected) - wrong}/{len(expected)} formulaires aux cases lues comme cochées"
        )
        status |= int(bool(bad or wrong))

        single = {"scan-campagne.pdf": _image_pdf(pages, args.dpi)}
        elapsed, filed, bad = _ingest(single_workspace, single)
        wrong = _check(single_workspace, expected)
        print(
            f"entretien ingest, une seule pile de {len(pages)} pages : {elapsed:.1f} s, "
            f"{len(pages) / elapsed:.1f} pages/s ; "
            f"{len(expected) - wrong}/{len(expected)} formulaires lus"
        )
        status |= int(bool(bad or wrong))
        print(f"zxing-cpp seul (code QR, page entière) : {len(pages) / zxing:.1f} pages/s")
    return status


if __name__ == "__main__":
    sys.exit(main())
