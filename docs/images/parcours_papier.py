"""Draw docs/images/parcours-papier.png, the README's picture of the paper route.

Run from the repository root with the project's virtualenv:

    python docs/images/parcours_papier.py

A fictional employee's annual form is issued, its first page printed (drawn
by pdfium), ticked with a pen, scanned slightly askew and dropped in the
inbox; ``entretien saisie`` then makes its keying sheet. The picture shows
the top of the ticked page (QR code, registration marks, tick boxes) beside
the top of the keying sheet (the scanned zone above its empty field).
"""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont

from entretien_forms.forms import load_catalog
from entretien_forms.forms.paper import PaperMap
from entretien_forms.generate import GenerationRequest, issue_forms, plan_generation
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.keying import make_keying_sheets
from entretien_forms.roster import read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import init_workspace, open_workspace

TODAY = date(2026, 11, 26)
DPI = 200
SHOWN_DPI = 100
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1\n"
)
TICKS = {"entretien.mode": "Visio"}
HANDWRITTEN = {"entretien.date": "12/12/2026", "bilan.taux_closing": "32 %"}


def _page(pdf: bytes, index: int, dpi: int) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    document.init_forms()  # draw the fields' values, as a printer does
    try:
        image: Image.Image = document[index].render(scale=dpi / 72).to_pil().convert("L")
        return image
    finally:
        document.close()


def main() -> None:
    target = Path(__file__).with_name("parcours-papier.png")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        workspace = open_workspace(root)
        (Path(tmp) / "salaries.csv").write_text(ROSTER, encoding="utf-8")
        roster = read_roster(Path(tmp) / "salaries.csv", today=TODAY)
        with Store.open(workspace.database_path) as store:
            store.import_roster(roster, sha256="picture", now=datetime(2026, 11, 26, 8))
            request = GenerationRequest(kind="annuel", campaign="2026", today=TODAY)
            catalog = load_catalog(workspace.templates_dir)
            plan = plan_generation(workspace, store.current_employees(), catalog, store, request)
            issue_forms(workspace, plan, store, now=datetime(2026, 11, 26, 9))
            (issued,) = [f for f in store.current_issued(campaign="2026") if f.matricule == "S2"]
            geometry = PaperMap.from_json(store.paper_map(issued.paper_map or "") or "")
        assert geometry is not None and issued.pdf_path is not None
        pdf = (workspace.outbox / issued.pdf_path).read_bytes()
        pages = []
        for page in geometry.pages:
            image = _page(pdf, page.number - 1, DPI)
            draw = ImageDraw.Draw(image)
            for box in page.boxes:
                if TICKS.get(box.key) == box.value:
                    x0, y0, x1, y1 = (v / 72 * DPI for v in box.rect)
                    top, bottom = image.size[1] - y1, image.size[1] - y0
                    draw.line(
                        [(x0 + 3, (top + bottom) / 2), ((x0 + x1) / 2, bottom - 2), (x1 + 6, top - 6)],
                        fill=20,
                        width=4,
                    )
            for zone in page.zones:
                if zone.key in HANDWRITTEN:
                    x0, y0, x1, y1 = (v / 72 * DPI for v in zone.rect)
                    font = ImageFont.load_default(size=34)
                    draw.text((x0 + 12, image.size[1] - y1 + 8), HANDWRITTEN[zone.key], fill=40, font=font)
            pages.append(image.rotate(0.8, resample=Image.Resampling.BILINEAR, fillcolor=255))
        buffer = io.BytesIO()
        pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=DPI)
        (workspace.inbox / "scan.pdf").write_bytes(buffer.getvalue())
        with Store.open(workspace.database_path) as store:
            ingest_paths(workspace, store, [workspace.inbox], now=datetime(2026, 12, 1, 9))
            report = make_keying_sheets(workspace, store, now=datetime(2026, 12, 1, 10))
        (sheet,) = report.sheets
        scanned = pages[0].resize(
            (pages[0].size[0] * SHOWN_DPI // DPI, pages[0].size[1] * SHOWN_DPI // DPI)
        )
        keyed = _page(sheet.path.read_bytes(), 0, SHOWN_DPI)
    left = scanned.crop((0, 0, scanned.size[0], scanned.size[1] * 9 // 20))
    right = keyed.crop((0, 0, keyed.size[0], keyed.size[1] * 9 // 20))
    gap = 40
    picture = Image.new("L", (left.size[0] + right.size[0] + gap, left.size[1]), 255)
    picture.paste(left, (0, 0))
    picture.paste(right, (left.size[0] + gap, 0))
    ImageDraw.Draw(picture).line(
        [(left.size[0] + gap // 2, 20), (left.size[0] + gap // 2, left.size[1] - 20)], fill=160, width=2
    )
    picture.save(target, optimize=True)
    print(f"{target} ({picture.size[0]}×{picture.size[1]})")


if __name__ == "__main__":
    main()
