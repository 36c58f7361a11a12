"""The bundled fictional company used by ``entretien demo`` and the README's examples.

Horizon Ventes & Conseil SAS: 28 employees in sales and marketing under three
managers, exported the way payroll software does it (title line, a salary
column we must ignore, a total line, one departed employee, one temp worker).
``run_demo`` takes a workspace through every step with it.
"""

from __future__ import annotations

from entretien_forms.sample.company import (
    SAMPLE_COMPANY,
    SAMPLE_HEADCOUNT,
    SAMPLE_ROSTER,
    copy_sample_roster,
    set_sample_company,
)
from entretien_forms.sample.demo import DemoReport, DemoReturns, DemoTeam, run_demo

__all__ = [
    "SAMPLE_COMPANY",
    "SAMPLE_HEADCOUNT",
    "SAMPLE_ROSTER",
    "DemoReport",
    "DemoReturns",
    "DemoTeam",
    "copy_sample_roster",
    "run_demo",
    "set_sample_company",
]
