"""Every current submission with its answers, for integrators (JSON) and HR (CSV).

The JSON shape is a contract other tools rely on; the CSV is for Excel in
France: ``;`` separator, UTF-8 with BOM, one row per submission and one
column per field id, every cell neutralised against formula injection.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from entretien_forms.sanitize import safe_cell
from entretien_forms.store import Store

_META = (
    "reference",
    "matricule",
    "kind",
    "campaign",
    "version",
    "received_at",
    "source_file",
    "status",
)


def export_records(store: Store) -> list[dict[str, Any]]:
    """``[{"reference", "matricule", "kind", "campaign", "version", "received_at",
    "source_file", "status", "answers": {field id: value}}]``, oldest first."""
    records = []
    for submission in store.submissions():
        assert submission.id is not None
        records.append(
            {
                "reference": submission.reference,
                "matricule": submission.matricule,
                "kind": submission.kind,
                "campaign": submission.campaign,
                "version": submission.form_version,
                "received_at": submission.received_at.isoformat(timespec="seconds"),
                "source_file": submission.source_file,
                "status": "papier" if submission.paper else submission.status,
                "answers": {a.field_id: a.value for a in store.answers(submission.id)},
            }
        )
    return records


def export_json(store: Store) -> str:
    return json.dumps(export_records(store), ensure_ascii=False, indent=2)


def export_csv(store: Store) -> str:
    records = export_records(store)
    fields: dict[str, None] = {}
    for record in records:
        fields.update(dict.fromkeys(record["answers"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([*_META, *fields])
    for record in records:
        answers = record["answers"]
        row = [record[key] for key in _META] + [_cell(answers.get(f)) for f in fields]
        writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return value
