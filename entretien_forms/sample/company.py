"""The sample company itself: its name, its headcount and its roster file.

Apart from ``demo`` so that copying the file needs none of the pipeline.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLE_ROSTER = "salaries-exemple.csv"
SAMPLE_COMPANY = "Horizon Ventes & Conseil SAS"
SAMPLE_HEADCOUNT = 30


def copy_sample_roster(target_dir: Path) -> Path:
    """Copy the sample roster into ``target_dir`` (kept as is if already there)."""
    target = target_dir / SAMPLE_ROSTER
    if not target.exists():
        target.write_bytes((resources.files("entretien_forms.sample") / SAMPLE_ROSTER).read_bytes())
    return target


def set_sample_company(config_path: Path) -> None:
    """Name the demo workspace after the fictional company, so its forms look real."""
    text = config_path.read_text(encoding="utf-8")
    text = text.replace('nom = "Mon entreprise"', f'nom = "{SAMPLE_COMPANY}"', 1)
    text = text.replace("effectif = 0", f"effectif = {SAMPLE_HEADCOUNT}", 1)
    config_path.write_text(text, encoding="utf-8")
