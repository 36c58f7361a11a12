"""Trainings declared in professional interviews become trainings the rules count."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from factories import record_answers, submission

from entretien_forms.reports.followed import followed_trainings
from entretien_forms.rules import Training
from entretien_forms.store import Store

NOW = datetime(2026, 11, 26, 10)


def _return(store: Store, reference: str, kind: str, answers: dict[str, object]) -> None:
    returned = submission(
        reference,
        "S2",
        kind,
        received_at=NOW,
        sha256=reference,
        form_version="1",
        fmt="pdf",
        archive_path=f"archive/{reference}.pdf",
    )
    record_answers(store, returned, answers)


def test_followed_trainings_are_read_from_professional_returns(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite3") as store:
        _return(
            store,
            "EP-1",
            "professionnel",
            {
                "formations_suivies.1.intitule": "Sauveteur secouriste du travail",
                "formations_suivies.1.date": "2025-03-04",
                "formations_suivies.1.obligatoire": True,
                "formations_suivies.2.intitule": "Anglais des affaires",
                "formations_suivies.2.date": "2024-06-10",
                "formations_suivies.2.certifiante": True,
                "formations_suivies.3.intitule": "Sans date",
                "entretien.date": "2026-11-20",
            },
        )
        _return(store, "EA-1", "annuel", {"formations_suivies.1.intitule": "Hors sujet"})

        records = followed_trainings(store)

    assert [(r.matricule, r.training, r.status, r.row) for r in records] == [
        (
            "S2",
            Training("Sauveteur secouriste du travail", date(2025, 3, 4), date(2025, 3, 4), True),
            "réalisé",
            1,
        ),
        (
            "S2",
            Training("Anglais des affaires", date(2024, 6, 10), date(2024, 6, 10), False, True),
            "réalisé",
            2,
        ),
    ]
