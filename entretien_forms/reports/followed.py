"""Trainings employees declared as followed, read from their professional interview forms.

The professional interview records "formations suivies depuis le dernier
entretien" (title, date, mandatory, certifying). They count for the état des
lieux as much as the rows of HR's trainings sheet: a company that keeps no
sheet still gets its criteria from the forms. A row here is « réalisé » by
nature (declared as followed) and carries no cost.
"""

from __future__ import annotations

import re
from datetime import date

from entretien_forms.reports.sheets import TrainingRecord
from entretien_forms.rules import Training
from entretien_forms.store import Store

TABLE = "formations_suivies"
_CELL = re.compile(rf"{TABLE}\.(\d+)\.([a-z_]+)")


def followed_trainings(store: Store) -> list[TrainingRecord]:
    """One record per filled row of the "formations suivies" table of current returns.

    A row needs a title and a date (an ISO date once validated); a row without
    a date cannot be placed in an état des lieux period and is left out.
    """
    by_submission = store.answers_matching([f"{TABLE}.*"])
    matricules = {s.id: s.matricule for s in store.submissions() if s.kind == "professionnel"}
    records: list[TrainingRecord] = []
    for submission_id, answers in sorted(by_submission.items()):
        matricule = matricules.get(submission_id)
        if matricule is None:
            continue
        rows: dict[int, dict[str, object]] = {}
        for field_id, value in answers.items():
            match = _CELL.fullmatch(field_id)
            if match is not None:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
        for number, row in sorted(rows.items()):
            title, held = row.get("intitule"), row.get("date")
            if not isinstance(title, str) or not title.strip() or not isinstance(held, str):
                continue
            try:
                start = date.fromisoformat(held)
            except ValueError:
                continue
            training = Training(
                title=title.strip(),
                start=start,
                end=start,
                mandatory=row.get("obligatoire") is True,
                certifying=row.get("certifiante") is True,
            )
            records.append(TrainingRecord(matricule, training, "réalisé", row=number))
    return records
