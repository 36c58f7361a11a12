"""The demo as a library call: ``run_demo`` returns what ``entretien demo`` prints.

The CLI's wording is pinned in test_cli.py; here the figures are checked on
the returned report, with a fixed day so that who is due is always the same.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from entretien_forms.sample import SAMPLE_COMPANY, run_demo

DEMO_DAY = date(2026, 11, 26)


def test_run_demo_takes_the_sample_company_through_every_step(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo", today=DEMO_DAY)

    assert "entretien.toml" in report.init.created
    assert SAMPLE_COMPANY in (report.workspace.root / "entretien.toml").read_text("utf-8")
    assert report.roster_file == report.workspace.root / "salaries-exemple.csv"
    assert len(report.imported.roster.employees) == 28
    assert len(report.imported.stored.added) == 28
    assert [(t.manager.full_name if t.manager else None, t.size) for t in report.teams] == [
        (None, 3),
        ("Claire Martin", 12),
        ("Julien Bernard", 7),
        ("Sophie Lefèvre", 6),
    ]
    assert report.campaign == "2026"
    [(annual, annual_issued), (professional, professional_issued)] = report.generations
    assert (annual.request.kind, len(annual_issued.issued)) == ("annuel", 28)
    assert professional.request.kind == "professionnel"
    assert len(professional_issued.issued) + len(professional.not_due) == 28
    assert report.returns is not None
    assert report.returns.files == 8
    outcomes = report.returns.ingest.outcomes
    assert [o.status for o in outcomes].count("ok") == 7
    assert [o.path.name for o in outcomes if o.status == "rejected"] == [
        "entretien-ancien-format.doc"
    ]
    assert {p.name for p in report.workbooks} == {
        "plan-developpement-competences-2026.xlsx",
        "suivi-entretiens.xlsx",
    }


def test_run_demo_again_issues_nothing_and_plays_no_returns(tmp_path: Path) -> None:
    run_demo(tmp_path / "demo", today=DEMO_DAY)

    again = run_demo(tmp_path / "demo", today=DEMO_DAY)

    assert again.init.created == []
    assert again.imported.stored.added == [] and again.imported.stored.unchanged == 28
    assert [len(issued.issued) for _, issued in again.generations] == [0, 0]
    assert again.returns is None
