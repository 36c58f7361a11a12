"""The workspace database (SQLite): the one place state lives.

One file, ``.entretien/entretien.sqlite3``. The schema is versioned with
``PRAGMA user_version`` and grows by appending to ``MIGRATIONS``; a database
from a newer version of the tool is refused rather than damaged. Every write
is a transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from entretien_forms.errors import StoreError, is_corruption, storage_problem
from entretien_forms.roster import Employee, Roster, RosterAbsence

MIGRATIONS: tuple[str, ...] = (
    # 1: the roster, with the history of every import.
    """
    CREATE TABLE roster_imports (
        id INTEGER PRIMARY KEY,
        imported_at TEXT NOT NULL,
        source_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        employees INTEGER NOT NULL,
        excluded INTEGER NOT NULL
    );
    CREATE TABLE employees (
        matricule TEXT PRIMARY KEY,
        nom TEXT NOT NULL,
        prenom TEXT NOT NULL,
        date_entree TEXT NOT NULL,
        poste TEXT NOT NULL,
        email TEXT,
        date_naissance TEXT,
        service TEXT,
        manager TEXT,
        manager_matricule TEXT,
        email_manager TEXT,
        type_contrat TEXT,
        temps_partiel INTEGER,
        date_sortie TEXT,
        date_dernier_entretien_pro TEXT,
        date_dernier_entretien_annuel TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL CHECK (status IN ('actif', 'sorti', 'absent')),
        first_import INTEGER NOT NULL REFERENCES roster_imports(id),
        last_import INTEGER NOT NULL REFERENCES roster_imports(id)
    );
    CREATE TABLE employee_history (
        id INTEGER PRIMARY KEY,
        matricule TEXT NOT NULL REFERENCES employees(matricule),
        import_id INTEGER NOT NULL REFERENCES roster_imports(id),
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT
    );
    CREATE INDEX employee_history_matricule ON employee_history(matricule);
    """,
    # 2: the ledger of issued forms.
    """
    CREATE TABLE reference_counters (
        prefix TEXT PRIMARY KEY,
        last INTEGER NOT NULL
    );
    CREATE TABLE issued_forms (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        matricule TEXT NOT NULL,
        form_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        campaign TEXT NOT NULL,
        form_version TEXT NOT NULL,
        grid TEXT,
        signature TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        docx_path TEXT,
        docx_sha256 TEXT,
        pdf_path TEXT,
        pdf_sha256 TEXT,
        status TEXT NOT NULL DEFAULT 'emis' CHECK (status IN ('emis', 'remplace')),
        replaced_by TEXT
    );
    CREATE INDEX issued_forms_lookup ON issued_forms(matricule, kind, campaign);
    """,
    # 3: returned forms, their answers, and what happened to every file of the inbox.
    """
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL,
        matricule TEXT NOT NULL,
        form_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        campaign TEXT NOT NULL,
        form_version TEXT NOT NULL,
        received_at TEXT NOT NULL,
        source_file TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL CHECK (format IN ('docx', 'pdf')),
        producer TEXT,
        paper INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'valide' CHECK (status IN ('valide', 'remplace')),
        superseded_by INTEGER REFERENCES submissions(id),
        warnings TEXT NOT NULL DEFAULT '[]',
        archive_path TEXT NOT NULL,
        filed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX submissions_current ON submissions(matricule, kind, campaign, status);
    CREATE TABLE answers (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        field_id TEXT NOT NULL,
        value TEXT NOT NULL,
        method TEXT NOT NULL,
        PRIMARY KEY (submission_id, field_id)
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        source_file TEXT NOT NULL,
        sha256 TEXT,
        reference TEXT,
        detail TEXT
    );
    """,
    # 4: the absence a roster may give for each employee (type as the rules' kind).
    """
    ALTER TABLE employees ADD COLUMN type_absence TEXT;
    ALTER TABLE employees ADD COLUMN date_debut_absence TEXT;
    ALTER TABLE employees ADD COLUMN date_retour_absence TEXT;
    """,
    # 5: what a form was issued for: the occasions it was laid out for, its pre-filled values.
    """
    ALTER TABLE issued_forms ADD COLUMN occasions TEXT;
    ALTER TABLE issued_forms ADD COLUMN prefill TEXT;
    """,
    # 6: the date of the last état des lieux récapitulatif a roster may give.
    """
    ALTER TABLE employees ADD COLUMN date_dernier_etat_des_lieux TEXT;
    """,
    # 7: why a file was set aside, for machines: a ``RejectionCode`` beside the French detail.
    """
    ALTER TABLE audit_log ADD COLUMN code TEXT;
    """,
    # 8: paper. The printed geometry of each layout (``forms.paper.PaperMap``), shared by
    # the forms issued from it; several returns in one file (a scanned stack: one row per
    # form, ``part`` 1, 2…, each with its ``pages`` of the file); more formats; returns
    # without answers kept beside the answered one (``jointe``, ``attached_to``), keying
    # sheets (``saisie``) and whether a paper return's written answers wait for keying.
    # SQLite cannot change a CHECK or a UNIQUE: the table is rebuilt (foreign keys are
    # checked at commit, once the new table has the old one's name).
    """
    CREATE TABLE paper_maps (
        key TEXT PRIMARY KEY,
        map TEXT NOT NULL
    );
    ALTER TABLE issued_forms ADD COLUMN paper_map TEXT REFERENCES paper_maps(key);
    PRAGMA defer_foreign_keys = ON;
    CREATE TABLE submissions_v8 (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL,
        matricule TEXT NOT NULL,
        form_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        campaign TEXT NOT NULL,
        form_version TEXT NOT NULL,
        received_at TEXT NOT NULL,
        source_file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        part INTEGER NOT NULL DEFAULT 0,
        pages TEXT,
        format TEXT NOT NULL CHECK (format IN ('docx', 'pdf', 'odt', 'doc', 'image')),
        producer TEXT,
        paper INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'valide'
            CHECK (status IN ('valide', 'remplace', 'jointe', 'saisie')),
        superseded_by INTEGER REFERENCES submissions(id),
        attached_to INTEGER REFERENCES submissions(id),
        keying TEXT CHECK (keying IN ('a_saisir', 'saisi')),
        warnings TEXT NOT NULL DEFAULT '[]',
        archive_path TEXT NOT NULL,
        filed INTEGER NOT NULL DEFAULT 0,
        UNIQUE (sha256, part)
    );
    INSERT INTO submissions_v8 (id, reference, matricule, form_id, kind, campaign,
        form_version, received_at, source_file, sha256, format, producer, paper, status,
        superseded_by, warnings, archive_path, filed)
    SELECT id, reference, matricule, form_id, kind, campaign, form_version, received_at,
        source_file, sha256, format, producer, paper, status, superseded_by, warnings,
        archive_path, filed FROM submissions;
    DROP INDEX submissions_current;
    DROP TABLE submissions;
    ALTER TABLE submissions_v8 RENAME TO submissions;
    CREATE INDEX submissions_current ON submissions(matricule, kind, campaign, status);
    CREATE INDEX submissions_attached ON submissions(attached_to);
    """,
    # 9: e-mail. Every message sent (forms, reminders, acknowledgements) once, by what it
    # is for; every message collected from the mailbox once, by Message-ID; the message a
    # returned file came with (its provenance), by the file's sha256.
    """
    CREATE TABLE mail_sent (
        id INTEGER PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('envoi', 'relance', 'accuse')),
        campaign TEXT,
        recipient TEXT NOT NULL,
        matricule TEXT,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        in_reply_to TEXT,
        references_ TEXT,
        attachments TEXT NOT NULL DEFAULT '[]',
        sent_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('a_envoyer', 'envoye', 'echec', 'brouillon')),
        error TEXT
    );
    CREATE INDEX mail_sent_lookup ON mail_sent(purpose, campaign, recipient);
    CREATE TABLE mail_received (
        message_id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        subject TEXT NOT NULL,
        sent_date TEXT,
        received_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('telecharge', 'depose', 'traite', 'refuse')),
        detail TEXT
    );
    CREATE TABLE mail_attachments (
        sha256 TEXT NOT NULL,
        message_id TEXT NOT NULL REFERENCES mail_received(message_id),
        file_name TEXT NOT NULL,
        PRIMARY KEY (sha256, message_id)
    );
    """,
)

# Employee attributes stored as columns, in table order (row/extra handled apart); the
# absence is spread over columns of its own, so that the history shows what changed.
_ABSENCE_COLUMNS = ("type_absence", "date_debut_absence", "date_retour_absence")
_COLUMNS = (
    *(f.name for f in fields(Employee) if f.name not in {"row", "extra", "absence"}),
    *_ABSENCE_COLUMNS,
)
_DATE_COLUMNS = {name for name in _COLUMNS if "date" in name}


@dataclass
class ImportReport:
    """What an import changed, for the summary the user reads."""

    import_id: int
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # matricule → changed fields
    departed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # active before, absent from this file
    unchanged: int = 0


@dataclass(frozen=True)
class IssuedForm:
    """One line of the ledger: a form as it was handed out."""

    reference: str
    matricule: str
    form_id: str
    kind: str
    campaign: str
    form_version: str
    grid: str | None
    signature: str
    issued_at: datetime
    docx_path: str | None = None
    docx_sha256: str | None = None
    pdf_path: str | None = None
    pdf_sha256: str | None = None
    status: str = "emis"
    replaced_by: str | None = None
    # The occasions of the interview, comma-separated ("periodique,avant_60"): the form
    # left out the sections of other occasions, and is read back the same way. None:
    # every section (an annual form, or a form issued before the tool knew occasions).
    occasions: str | None = None
    # The pre-filled values as issued (JSON, field id → text or tick), so that a print
    # batch rebuilt later prints what the files say. None: computed again.
    prefill: str | None = None
    # The key of the printed geometry (``paper_maps``) a scan of this form is read
    # against. None: issued before the tool read paper; its scans are keyed by hand.
    paper_map: str | None = None

    @property
    def layout_occasions(self) -> tuple[str, ...] | None:
        """The occasions the form was laid out for (None: every section), to read it back."""
        if self.occasions is None:
            return None
        return tuple(o for o in self.occasions.split(",") if o)

    @property
    def issued_values(self) -> dict[str, str | bool] | None:
        """The pre-filled values the form was issued with (None: the ledger did not keep them)."""
        if self.prefill is None:
            return None
        try:
            found = json.loads(self.prefill)
        except ValueError:
            return None
        if not isinstance(found, dict):
            return None
        return {str(k): v for k, v in found.items() if isinstance(v, str | bool)}


_ISSUED_COLUMNS = tuple(f.name for f in fields(IssuedForm))

AnswerValue = str | int | float | bool | list[str]


@dataclass(frozen=True)
class StoredAnswer:
    field_id: str
    value: AnswerValue  # dates as ISO strings, ratings as int, check boxes as bool
    method: str  # inbox.model.Method


@dataclass(frozen=True)
class Submission:
    """One returned form, as received; ``status`` tells whether a later return replaced it."""

    reference: str
    matricule: str
    form_id: str
    kind: str
    campaign: str
    form_version: str
    received_at: datetime
    source_file: str
    sha256: str
    format: str
    producer: str | None
    paper: bool
    warnings: tuple[str, ...]
    archive_path: str
    status: str = "valide"  # valide, remplace, jointe (a copy without answers), saisie
    filed: bool = False
    id: int | None = None
    superseded_by: int | None = None
    # A scanned stack holds many forms: each is a return of its own (``part`` 1, 2…),
    # pointing to its pages of the one archived file (JSON list, 1-based). 0 and None:
    # the whole file is the return.
    part: int = 0
    pages: str | None = None
    # The answered return a ``jointe`` or ``saisie`` row belongs to.
    attached_to: int | None = None
    # A paper return: "a_saisir" while its written answers wait for keying, then "saisi".
    keying: str | None = None


_SUBMISSION_COLUMNS = (
    "reference",
    "matricule",
    "form_id",
    "kind",
    "campaign",
    "form_version",
    "received_at",
    "source_file",
    "sha256",
    "format",
    "producer",
    "paper",
    "warnings",
    "archive_path",
    "status",
    "filed",
    "part",
    "pages",
    "attached_to",
    "keying",
    "id",
    "superseded_by",
)
# Columns a new return is written with (the id is given by SQLite, nothing replaces it yet).
_INSERTED_COLUMNS = tuple(c for c in _SUBMISSION_COLUMNS if c not in ("id", "superseded_by"))


@dataclass(frozen=True)
class HistoryEntry:
    imported_at: datetime
    source_name: str
    field: str
    old_value: str | None
    new_value: str | None


class Store:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) and migrate the database at ``path``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            # The watcher and a command typed by HR may write at the same time:
            # wait for the other's transaction instead of failing at once.
            connection.execute("PRAGMA busy_timeout = 15000")
            store = cls(connection)
            store._migrate(path)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(_open_failure(path, exc)) from exc
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self, path: Path) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"La base {path} vient d'une version plus récente d'entretien-forms "
                f"(schéma {version}, celle-ci connaît {len(MIGRATIONS)}). Mettez à jour l'outil."
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def import_roster(self, roster: Roster, *, sha256: str, now: datetime) -> ImportReport:
        """Make ``roster`` the current one, recording every change against the previous."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO roster_imports (imported_at, source_name, sha256, employees, excluded)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    now.isoformat(timespec="seconds"),
                    roster.source.name,
                    sha256,
                    len(roster.employees),
                    len(roster.excluded),
                ),
            )
            import_id = int(cursor.lastrowid or 0)
            report = ImportReport(import_id)
            known = {
                row[0]: row
                for row in db.execute(
                    f"SELECT matricule, {', '.join(_COLUMNS[1:])}, extra, status FROM employees"
                )
            }
            seen: set[str] = set()
            for employee in roster.employees:
                seen.add(employee.matricule)
                values = _to_row(employee)
                self._upsert(db, import_id, known.get(employee.matricule), values, "actif", report)
            for excluded in roster.excluded:
                previous = known.get(excluded.matricule)
                if excluded.date_sortie is None or excluded.matricule in seen or previous is None:
                    continue  # intérim and interns are never employees; strangers stay unknown
                seen.add(excluded.matricule)
                values = dict(
                    zip(("matricule", *_COLUMNS[1:], "extra"), previous[:-1], strict=True)
                )
                values["date_sortie"] = excluded.date_sortie.isoformat()
                self._upsert(db, import_id, previous, values, "sorti", report)
                report.departed.append(excluded.matricule)
            for matricule, row in known.items():
                if matricule not in seen and row[-1] == "actif":
                    db.execute(
                        "UPDATE employees SET status = 'absent', last_import = ? "
                        "WHERE matricule = ?",
                        (import_id, matricule),
                    )
                    _history(db, matricule, import_id, "statut", "actif", "absent")
                    report.missing.append(matricule)
        return report

    def _upsert(
        self,
        db: sqlite3.Connection,
        import_id: int,
        previous: tuple[Any, ...] | None,
        values: dict[str, Any],
        status: str,
        report: ImportReport,
    ) -> None:
        names = [*_COLUMNS, "extra"]
        if previous is None:
            db.execute(
                f"INSERT INTO employees ({', '.join(names)}, status, first_import, last_import) "
                f"VALUES ({', '.join('?' * (len(names) + 3))})",
                [values[n] for n in names] + [status, import_id, import_id],
            )
            _history(db, values["matricule"], import_id, "statut", None, status)
            report.added.append(values["matricule"])
            return
        before = dict(zip(names, previous[:-1], strict=True))
        changed = [n for n in names if before[n] != values[n]]
        if previous[-1] != status:
            _history(db, values["matricule"], import_id, "statut", previous[-1], status)
        for name in changed:
            _history(db, values["matricule"], import_id, name, before[name], values[name])
        db.execute(
            f"UPDATE employees SET {', '.join(f'{n} = ?' for n in names)}, status = ?, "
            "last_import = ? WHERE matricule = ?",
            [values[n] for n in names] + [status, import_id, values["matricule"]],
        )
        if changed and status == "actif":
            report.updated[values["matricule"]] = changed
        elif status == "actif":
            report.unchanged += 1

    def current_employees(self) -> list[Employee]:
        """The employees of the latest import who are still employed, in file order."""
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)}, extra FROM employees WHERE status = 'actif' "
            "ORDER BY rowid"
        ).fetchall()
        return [_from_row(row) for row in rows]

    def current_employee_count(self) -> int:
        """How many employees ``current_employees`` would give, without building them."""
        return int(
            self._db.execute("SELECT count(*) FROM employees WHERE status = 'actif'").fetchone()[0]
        )

    def roster_import_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM roster_imports").fetchone()[0])

    def first_import_on(self) -> date | None:
        """The day the tool started following this company: every form since is on record."""
        row = self._db.execute("SELECT min(imported_at) FROM roster_imports").fetchone()
        return datetime.fromisoformat(row[0]).date() if row and row[0] else None

    def reserve_references(self, prefix: str, count: int) -> range:
        """Reserve ``count`` consecutive numbers for references starting with ``prefix``.

        Numbers are never reused, even when a generation is interrupted: a gap
        is harmless, a reference given twice is not.
        """
        with self.transaction() as db:
            row = db.execute(
                "SELECT last FROM reference_counters WHERE prefix = ?", (prefix,)
            ).fetchone()
            first = (row[0] if row else 0) + 1
            db.execute(
                "INSERT INTO reference_counters (prefix, last) VALUES (?, ?) "
                "ON CONFLICT(prefix) DO UPDATE SET last = excluded.last",
                (prefix, first + count - 1),
            )
        return range(first, first + count)

    def current_issued(
        self, *, campaign: str | None = None, kind: str | None = None
    ) -> list[IssuedForm]:
        """Forms handed out and not replaced, oldest first."""
        query = f"SELECT {', '.join(_ISSUED_COLUMNS)} FROM issued_forms WHERE status = 'emis'"
        args: list[str] = []
        if campaign is not None:
            query += " AND campaign = ?"
            args.append(campaign)
        if kind is not None:
            query += " AND kind = ?"
            args.append(kind)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [_issued_from_row(r) for r in rows]

    def issued(self, reference: str) -> IssuedForm | None:
        row = self._db.execute(
            f"SELECT {', '.join(_ISSUED_COLUMNS)} FROM issued_forms WHERE reference = ?",
            (reference,),
        ).fetchone()
        return None if row is None else _issued_from_row(row)

    def latest_campaign(self) -> str | None:
        """The campaign whose first form was issued last; None before any form is issued.

        Its first form, not its last: issuing one late form for last year's
        campaign must not make it the current one again.
        """
        row = self._db.execute(
            "SELECT campaign FROM issued_forms GROUP BY campaign ORDER BY MIN(id) DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])

    def record_issued(self, forms: list[IssuedForm]) -> None:
        """Add issued forms to the ledger, marking the forms they replace."""
        with self.transaction() as db:
            for form in forms:
                db.execute(
                    "UPDATE issued_forms SET status = 'remplace', replaced_by = ? "
                    "WHERE matricule = ? AND kind = ? AND campaign = ? AND status = 'emis'",
                    (form.reference, form.matricule, form.kind, form.campaign),
                )
                values = [getattr(form, c) for c in _ISSUED_COLUMNS]
                values[_ISSUED_COLUMNS.index("issued_at")] = form.issued_at.isoformat(
                    timespec="seconds"
                )
                db.execute(
                    f"INSERT INTO issued_forms ({', '.join(_ISSUED_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_ISSUED_COLUMNS))})",
                    values,
                )

    def record_paper_maps(self, maps: Mapping[str, str]) -> None:
        """Keep the printed geometry of layouts (key → ``PaperMap.to_json()``), once each.

        Written before the forms that name them (``IssuedForm.paper_map``).
        """
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO paper_maps (key, map) VALUES (?, ?)", sorted(maps.items())
            )

    def paper_map(self, key: str) -> str | None:
        """The stored geometry ``key`` names (JSON), ``None`` if unknown."""
        row = self._db.execute("SELECT map FROM paper_maps WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # --- returned forms ---------------------------------------------------------

    def record_submission(
        self, submission: Submission, answers: list[StoredAnswer], *, now: datetime
    ) -> int:
        """Store a return and its answers in one transaction; a ``valide`` one replaces the current.

        The file is not yet filed (``filed`` = 0): ``mark_filed`` is called once it
        sits in the archive, so a crash in between is finished at the next start.
        """
        return self.record_submissions([(submission, answers)], now=now)[0]

    def record_submissions(
        self, parts: Sequence[tuple[Submission, Sequence[StoredAnswer]]], *, now: datetime
    ) -> list[int]:
        """Store every return read from one file (a scanned stack holds many) in one transaction.

        All or nothing: a crash never leaves half a stack stored, so the file found
        again in the inbox is either wholly new or wholly known.
        """
        ids = []
        with self.transaction() as db:
            for submission, answers in parts:
                ids.append(self._insert_submission(db, submission, answers, now))
        return ids

    def _insert_submission(
        self,
        db: sqlite3.Connection,
        submission: Submission,
        answers: Sequence[StoredAnswer],
        now: datetime,
    ) -> int:
        values = [getattr(submission, c) for c in _INSERTED_COLUMNS]
        values[_INSERTED_COLUMNS.index("received_at")] = submission.received_at.isoformat(
            timespec="seconds"
        )
        values[_INSERTED_COLUMNS.index("warnings")] = json.dumps(
            list(submission.warnings), ensure_ascii=False
        )
        cursor = db.execute(
            f"INSERT INTO submissions ({', '.join(_INSERTED_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_INSERTED_COLUMNS))})",
            values,
        )
        new_id = int(cursor.lastrowid or 0)
        if submission.status == "valide":  # a copy or a keying sheet replaces nothing
            db.execute(
                "UPDATE submissions SET status = 'remplace', superseded_by = ? "
                "WHERE matricule = ? AND kind = ? AND campaign = ? AND status = 'valide' "
                "AND id != ?",
                (new_id, submission.matricule, submission.kind, submission.campaign, new_id),
            )
        db.executemany(
            "INSERT INTO answers (submission_id, field_id, value, method) VALUES (?, ?, ?, ?)",
            [
                (new_id, a.field_id, json.dumps(a.value, ensure_ascii=False), a.method)
                for a in answers
            ],
        )
        event = {"jointe": "joint", "saisie": "saisie"}.get(submission.status, "recu")
        self._audit(
            db,
            now,
            event,
            submission.source_file,
            submission.sha256,
            submission.reference,
            "; ".join(submission.warnings) or None,
        )
        return new_id

    def mark_filed(self, submission_id: int, *, now: datetime) -> None:
        """The file of this return (and of every return read from the same file) is archived."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT source_file, sha256, reference, archive_path FROM submissions WHERE id = ?",
                (submission_id,),
            ).fetchone()
            if row is None:
                return
            db.execute("UPDATE submissions SET filed = 1 WHERE sha256 = ?", (row[1],))
            self._audit(db, now, "archive", row[0], row[1], row[2], row[3])

    def set_archive_path(self, sha256: str, archive_path: str) -> None:
        """Another archive name for a file not yet filed (the chosen one was taken meanwhile)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE submissions SET archive_path = ? WHERE sha256 = ? AND filed = 0",
                (archive_path, sha256),
            )

    def submission_by_sha256(self, sha256: str) -> Submission | None:
        row = self._db.execute(
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions WHERE sha256 = ?",
            (sha256,),
        ).fetchone()
        return None if row is None else _submission_from_row(row)

    def submissions_by_sha256(self, sha256: str) -> list[Submission]:
        """Every return read from the file ``sha256``: one, or one per form of a scanned stack."""
        rows = self._db.execute(
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions WHERE sha256 = ? "
            "ORDER BY part",
            (sha256,),
        ).fetchall()
        return [_submission_from_row(r) for r in rows]

    def submission(self, submission_id: int) -> Submission | None:
        row = self._db.execute(
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions WHERE id = ?",
            (submission_id,),
        ).fetchone()
        return None if row is None else _submission_from_row(row)

    def current_submission(self, matricule: str, kind: str, campaign: str) -> Submission | None:
        """The return that holds an interview's answers now (``valide``), if any."""
        row = self._db.execute(
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions "
            "WHERE matricule = ? AND kind = ? AND campaign = ? AND status = 'valide' "
            "ORDER BY id DESC LIMIT 1",
            (matricule, kind, campaign),
        ).fetchone()
        return None if row is None else _submission_from_row(row)

    def attachments(self, submission_id: int) -> list[Submission]:
        """The copies and keying sheets kept beside an answered return, oldest first."""
        rows = self._db.execute(
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions "
            "WHERE attached_to = ? ORDER BY id",
            (submission_id,),
        ).fetchall()
        return [_submission_from_row(r) for r in rows]

    def record_keyed_answers(
        self,
        paper_id: int,
        sheet: Submission,
        answers: list[StoredAnswer],
        *,
        now: datetime,
    ) -> int:
        """Put the answers HR keyed on a paper return, and keep the keying sheet beside it.

        The keyed answers replace, field by field, what the paper return held (a mark
        read as unsure, confirmed or corrected by HR); the return stays the current
        one: keying is not a new version of the interview. Returns the sheet's row id.
        """
        with self.transaction() as db:
            sheet_id = self._insert_submission(
                db, replace(sheet, status="saisie", attached_to=paper_id, keying=None), (), now
            )
            db.executemany(
                "INSERT INTO answers (submission_id, field_id, value, method) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (submission_id, field_id) DO UPDATE SET value = excluded.value, "
                "method = excluded.method",
                [
                    (paper_id, a.field_id, json.dumps(a.value, ensure_ascii=False), a.method)
                    for a in answers
                ],
            )
            db.execute("UPDATE submissions SET keying = 'saisi' WHERE id = ?", (paper_id,))
        return sheet_id

    def awaiting_keying(self, campaign: str | None = None) -> list[Submission]:
        """Current paper returns whose written answers HR has not keyed yet."""
        query = (
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions "
            "WHERE status = 'valide' AND keying = 'a_saisir'"
        )
        args: list[str] = []
        if campaign is not None:
            query += " AND campaign = ?"
            args.append(campaign)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [_submission_from_row(r) for r in rows]

    def unfiled_submissions(self) -> list[Submission]:
        rows = self._db.execute(
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions WHERE filed = 0 ORDER BY id"
        ).fetchall()
        return [_submission_from_row(r) for r in rows]

    def submissions(self, *, current_only: bool = True) -> list[Submission]:
        """Returned forms, oldest first; by default only those not replaced by a later return."""
        query = f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM submissions"
        if current_only:
            query += " WHERE status = 'valide'"
        rows = self._db.execute(query + " ORDER BY id").fetchall()
        return [_submission_from_row(r) for r in rows]

    def answers(self, submission_id: int) -> list[StoredAnswer]:
        rows = self._db.execute(
            "SELECT field_id, value, method FROM answers WHERE submission_id = ? ORDER BY rowid",
            (submission_id,),
        ).fetchall()
        return [StoredAnswer(r[0], json.loads(r[1]), r[2]) for r in rows]

    def answers_matching(
        self, patterns: Sequence[str], *, campaign: str | None = None
    ) -> dict[int, dict[str, AnswerValue]]:
        """Submission id → {field id: value} of every current return, in one query.

        Only the fields whose id matches one of the GLOB ``patterns``
        (``formations.*``): reports read a few fields of thousands of forms,
        and decoding every answer form by form costs seconds. Field ids are
        ``[a-z0-9_.#]``, so only the ``*`` a caller writes is special.
        """
        if not patterns:
            return {}
        query = (
            "SELECT a.submission_id, a.field_id, a.value FROM answers a "
            "JOIN submissions s ON s.id = a.submission_id WHERE s.status = 'valide' AND ("
            + " OR ".join("a.field_id GLOB ?" for _ in patterns)
            + ")"
        )
        args = list(patterns)
        if campaign is not None:
            query += " AND s.campaign = ?"
            args.append(campaign)
        rows = self._db.execute(query, args).fetchall()
        # One JSON document for all the values: a single call of the C decoder
        # instead of one per answer (175,000 for 10,000 forms).
        values = json.loads("[" + ",".join(value for _, _, value in rows) + "]")
        found: dict[int, dict[str, AnswerValue]] = {}
        for (submission_id, field_id, _), value in zip(rows, values, strict=True):
            found.setdefault(submission_id, {})[field_id] = value
        return found

    def log_event(
        self,
        event: str,
        source_file: str,
        *,
        now: datetime,
        sha256: str | None = None,
        reference: str | None = None,
        detail: str | None = None,
        code: str | None = None,
    ) -> None:
        """Add a line to the audit log (a rejection and its code, a duplicate, a failure...)."""
        with self.transaction() as db:
            self._audit(db, now, event, source_file, sha256, reference, detail, code)

    def audit_log(self) -> list[tuple[str, str, str, str | None, str | None]]:
        """(at, event, source file, reference, detail), oldest first."""
        return [
            (r[0], r[1], r[2], r[3], r[4])
            for r in self._db.execute(
                "SELECT at, event, source_file, reference, detail FROM audit_log ORDER BY id"
            )
        ]

    @staticmethod
    def _audit(
        db: sqlite3.Connection,
        now: datetime,
        event: str,
        source_file: str,
        sha256: str | None,
        reference: str | None,
        detail: str | None,
        code: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO audit_log (at, event, source_file, sha256, reference, detail, code) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                now.isoformat(timespec="seconds"),
                event,
                source_file,
                sha256,
                reference,
                detail,
                code,
            ),
        )

    def history(self, matricule: str) -> list[HistoryEntry]:
        rows = self._db.execute(
            "SELECT i.imported_at, i.source_name, h.field, h.old_value, h.new_value "
            "FROM employee_history h JOIN roster_imports i ON i.id = h.import_id "
            "WHERE h.matricule = ? ORDER BY h.id",
            (matricule,),
        )
        return [HistoryEntry(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]

    # --- e-mail sent -------------------------------------------------------------

    def record_mail_pending(self, mail: SentMail) -> int:
        """Add a message about to be sent (``a_envoyer``), before the server sees it."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO mail_sent (purpose, campaign, recipient, matricule, subject, "
                "message_id, in_reply_to, references_, attachments, sent_at, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    mail.purpose,
                    mail.campaign,
                    mail.recipient,
                    mail.matricule,
                    mail.subject,
                    mail.message_id,
                    mail.in_reply_to,
                    mail.references,
                    mail.attachments,
                    None if mail.sent_at is None else mail.sent_at.isoformat(timespec="seconds"),
                    mail.status,
                    mail.error,
                ),
            )
        return int(cursor.lastrowid or 0)

    def mark_mail(
        self, mail_id: int, status: str, *, now: datetime, error: str | None = None
    ) -> None:
        """What became of a message: ``envoye`` (at ``now``) or ``echec`` with the French error."""
        with self.transaction() as db:
            db.execute(
                "UPDATE mail_sent SET status = ?, error = ?, sent_at = ? WHERE id = ?",
                (status, error, now.isoformat(timespec="seconds"), mail_id),
            )

    def mail_sent(
        self,
        *,
        purpose: str | None = None,
        campaign: str | None = None,
        recipient: str | None = None,
        status: str | None = None,
    ) -> list[SentMail]:
        """Messages recorded, oldest first, filtered by what is given."""
        query = f"SELECT {', '.join(_MAIL_COLUMNS)} FROM mail_sent WHERE 1 = 1"
        args: list[str] = []
        for column, value in (
            ("purpose", purpose),
            ("campaign", campaign),
            ("recipient", recipient),
            ("status", status),
        ):
            if value is not None:
                query += f" AND {column} = ?"
                args.append(value)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [_mail_from_row(r) for r in rows]

    # --- e-mail received -----------------------------------------------------------

    def received_mail(self, message_id: str) -> ReceivedMail | None:
        """The e-mail recorded under ``message_id`` (collected or dropped in the inbox)."""
        row = self._db.execute(
            f"SELECT {', '.join(_RECEIVED_COLUMNS)} FROM mail_received WHERE message_id = ?",
            (message_id,),
        ).fetchone()
        return None if row is None else _received_from_row(row)

    def record_mail_received(
        self,
        message_id: str,
        *,
        sender: str,
        subject: str,
        sent_date: datetime | None,
        now: datetime,
        status: str,
        detail: str | None = None,
    ) -> None:
        """Record an e-mail, or move a known one on to ``status`` (its first receipt is kept).

        A status never goes back: ``telecharge`` (collected), then ``depose`` (in
        inbox/) or ``refuse``, then ``traite`` (its attachments taken). A message
        refused and dropped again is judged again (``refuse`` → ``depose``).
        """
        with self.transaction() as db:
            db.execute(
                "INSERT INTO mail_received (message_id, sender, subject, sent_date, received_at, "
                "status, detail) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO "
                "UPDATE SET status = excluded.status, detail = excluded.detail "
                f"WHERE {_MAIL_STEP.format('excluded')} >= {_MAIL_STEP.format('mail_received')}",
                (
                    message_id,
                    sender,
                    subject,
                    None if sent_date is None else sent_date.isoformat(timespec="seconds"),
                    now.isoformat(timespec="seconds"),
                    status,
                    detail,
                ),
            )

    def record_mail_attachment(self, sha256: str, message_id: str, file_name: str) -> None:
        """Remember that the file of hash ``sha256`` came attached to ``message_id``."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO mail_attachments (sha256, message_id, file_name) "
                "VALUES (?, ?, ?)",
                (sha256, message_id, file_name),
            )

    def mail_attachments(self, message_id: str) -> list[tuple[str, str]]:
        """(sha256, file name) of each file taken from ``message_id``, in the order taken."""
        rows = self._db.execute(
            "SELECT sha256, file_name FROM mail_attachments WHERE message_id = ? ORDER BY rowid",
            (message_id,),
        )
        return [(r[0], r[1]) for r in rows]

    def mail_of_attachment(self, sha256: str) -> ReceivedMail | None:
        """The e-mail a file came attached to (the latest, if sent twice), ``None`` if none."""
        row = self._db.execute(
            f"SELECT {', '.join('r.' + c for c in _RECEIVED_COLUMNS)} FROM mail_attachments a "
            "JOIN mail_received r ON r.message_id = a.message_id WHERE a.sha256 = ? "
            "ORDER BY a.rowid DESC LIMIT 1",
            (sha256,),
        ).fetchone()
        return None if row is None else _received_from_row(row)


def _open_failure(path: Path, exc: sqlite3.DatabaseError | OSError) -> str:
    """Why ``path`` cannot be opened, in French; "illisible" only when the file is damaged.

    A full disk or missing rights also make SQLite fail, on a database that
    is intact: advising to move it away then would throw good data out.
    """
    if is_corruption(exc) or (isinstance(exc, sqlite3.DatabaseError) and not storage_problem(exc)):
        return (
            f"Base de données {path} illisible ({exc}). Restaurez une sauvegarde de ce "
            "fichier, ou déplacez-le pour repartir d'une base vide."
        )
    problem = storage_problem(exc) or str(exc)
    return (
        f"Base de données {path} inaccessible : {problem}. La base elle-même n'est pas en cause : "
        "ne la déplacez pas et ne la supprimez pas. Libérez de la place sur le disque ou "
        "rétablissez les droits d'écriture sur le dossier .entretien/, puis relancez la commande."
    )


def _history(
    db: sqlite3.Connection,
    matricule: str,
    import_id: int,
    name: str,
    old: object,
    new: object,
) -> None:
    db.execute(
        "INSERT INTO employee_history (matricule, import_id, field, old_value, new_value) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            matricule,
            import_id,
            name,
            None if old is None else str(old),
            None if new is None else str(new),
        ),
    )


def _submission_from_row(row: tuple[Any, ...]) -> Submission:
    values = dict(zip(_SUBMISSION_COLUMNS, row, strict=True))
    values["received_at"] = datetime.fromisoformat(values["received_at"])
    values["warnings"] = tuple(json.loads(values["warnings"]))
    values["paper"] = bool(values["paper"])
    values["filed"] = bool(values["filed"])
    return Submission(**values)


def _issued_from_row(row: tuple[Any, ...]) -> IssuedForm:
    values = dict(zip(_ISSUED_COLUMNS, row, strict=True))
    values["issued_at"] = datetime.fromisoformat(values["issued_at"])
    return IssuedForm(**values)


def _to_row(employee: Employee) -> dict[str, Any]:
    row: dict[str, Any] = {}
    absence = employee.absence
    spread = {
        "type_absence": absence.kind if absence else None,
        "date_debut_absence": absence.start if absence else None,
        "date_retour_absence": absence.returned_on if absence else None,
    }
    for name in _COLUMNS:
        value = spread[name] if name in spread else getattr(employee, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = int(value)
        row[name] = value
    row["extra"] = json.dumps(
        {k: v.isoformat() if isinstance(v, date) else v for k, v in employee.extra.items()},
        ensure_ascii=False,
        sort_keys=True,
    )
    return row


def _from_row(row: tuple[Any, ...]) -> Employee:
    values = dict(zip(_COLUMNS, row[:-1], strict=True))
    for name in _DATE_COLUMNS:
        if values[name] is not None:
            values[name] = date.fromisoformat(values[name])
    if values["temps_partiel"] is not None:
        values["temps_partiel"] = bool(values["temps_partiel"])
    kind, start, returned = (values.pop(name) for name in _ABSENCE_COLUMNS)
    absence = None if kind is None or start is None else RosterAbsence(kind, start, returned)
    return Employee(row=0, absence=absence, extra=json.loads(row[-1]), **values)


# --- e-mail sent ----------------------------------------------------------------


@dataclass(frozen=True)
class SentMail:
    """One line of ``mail_sent``: a message and what became of it.

    ``attachments`` is JSON: a list of ``{"reference": ..., "fichier": ...}``,
    the file relative to the outbox; ``status`` is ``a_envoyer``, ``envoye``,
    ``echec`` (``error`` in French) or ``brouillon``.
    """

    purpose: str  # envoi, relance, accuse
    campaign: str | None
    recipient: str
    matricule: str | None
    subject: str
    message_id: str
    attachments: str = "[]"
    status: str = "a_envoyer"
    sent_at: datetime | None = None
    error: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    id: int | None = None


_MAIL_COLUMNS = (
    "purpose",
    "campaign",
    "recipient",
    "matricule",
    "subject",
    "message_id",
    "attachments",
    "status",
    "sent_at",
    "error",
    "in_reply_to",
    "references_",
    "id",
)


def _mail_from_row(row: tuple[Any, ...]) -> SentMail:
    values = dict(zip(_MAIL_COLUMNS, row, strict=True))
    values["references"] = values.pop("references_")
    if values["sent_at"] is not None:
        values["sent_at"] = datetime.fromisoformat(values["sent_at"])
    return SentMail(**values)


# --- e-mail received ------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """A row of ``mail_received``: ``status`` telecharge, depose, traite or refuse."""

    message_id: str
    sender: str
    subject: str
    sent_date: datetime | None
    received_at: datetime
    status: str
    detail: str | None


# The order of ``mail_received.status`` (``{}``: the row's table name in SQL).
_MAIL_STEP = "(CASE {}.status WHEN 'telecharge' THEN 0 WHEN 'traite' THEN 2 ELSE 1 END)"
_RECEIVED_COLUMNS = (
    "message_id", "sender", "subject", "sent_date", "received_at", "status", "detail"
)  # fmt: skip


def _received_from_row(row: tuple[Any, ...]) -> ReceivedMail:
    return ReceivedMail(
        row[0],
        row[1],
        row[2],
        None if row[3] is None else datetime.fromisoformat(row[3]),
        datetime.fromisoformat(row[4]),
        row[5],
        row[6],
    )
