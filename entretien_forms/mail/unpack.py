"""An e-mail dropped in (or collected into) the inbox: its forms out, the message filed.

A message is not a return itself. ``unpack_message`` reads it
(``messages.attachments_of``), checks that its sender is known (an e-mail of
the roster, an employee's or a manager's, HR's own address, or
``[courriel.collecte] expediteurs_autorises``), writes each attachment into
``inbox/`` under a name of its own (claimed exclusively: never over another
file), records where each came from (``mail_attachments``: the attachment's
sha256 → the Message-ID) and files the message in ``archive/courriels/``. The
attachments are then ordinary files of the inbox, read as any other.

Never twice, never lost:

- the message is recorded (``mail_received``, status ``depose``) before any
  attachment is written, and ``traite`` once all are: a message recorded
  ``traite`` unpacks nothing again (a second copy, or the same message
  collected twice) and is only filed;
- each attachment is written (to a hidden temporary file, flushed, then linked
  to its name) before its provenance is recorded: a crash in between writes it
  again next time, and the inbox then finds the same bytes already stored (a
  duplicate), never a lost form;
- a message refused (unknown sender, nothing attached) goes to ``rejected/``
  with its reason note, and is recorded ``refuse``: dropped again later (the
  sender added to the roster meanwhile), it is judged again.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.inbox.filing import (
    NOTE_SUFFIX,
    candidates,
    display_name,
    move_new,
    set_aside,
)
from entretien_forms.inbox.model import Outcome
from entretien_forms.inbox.preflight import check_entry, message_kind, read_regular_file
from entretien_forms.mail.messages import MessageContent, RefusedAttachment, attachments_of
from entretien_forms.roster.model import Employee
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace

_LOGGER = logging.getLogger(__name__)

# Where the messages whose attachments were taken are kept, under archive/.
MAIL_ARCHIVE = "courriels"

UnpackStatus = Literal["unpacked", "duplicate", "rejected"]


@dataclass(frozen=True)
class UnpackReport:
    """What became of one message file, and of each file attached to it."""

    path: Path  # the message as it was dropped
    status: UnpackStatus
    line: str  # the French line the user reads
    message: MessageContent | None = None  # None when the message could not be read
    written: tuple[Path, ...] = ()  # the attachments now in inbox/, to be ingested
    refused: tuple[RefusedAttachment, ...] = ()  # attached files not taken, and why
    destination: Path | None = None  # archive/courriels/... or rejected/...
    rejection: RejectedFile | None = None  # rejected: why, what to do, the code
    note: Path | None = None  # rejected: the reason note beside it

    def as_outcome(self) -> Outcome:
        """The message file's own outcome, for the inbox's report and the acknowledgement.

        Unpacked: ``ok`` with no return of its own (its attachments have theirs);
        a second copy: ``duplicate``; refused: ``rejected`` with its code and note.
        """
        if self.status == "unpacked":
            return Outcome(self.path, "ok", self.line, destination=self.destination, returns=0)
        if self.status == "duplicate":
            return Outcome(self.path, "duplicate", self.line, destination=self.destination)
        if self.rejection is None:  # gone before it could be set aside
            return Outcome(self.path, "ignored", self.line)
        return Outcome(
            self.path,
            "rejected",
            self.line,
            destination=self.destination,
            code=self.rejection.code,
            note=self.note,
        )


def unpack_message(
    workspace: Workspace, store: Store, path: Path, now: datetime, *, data: bytes | None = None
) -> UnpackReport:
    """Take the forms attached to the message ``path`` into the inbox, then file the message.

    ``data``: the file's bytes when the caller has already read them (ingest's
    preflight). Raises only for a disk or database problem; a message we
    refuse is set aside in ``rejected/`` and reported.
    """
    name = display_name(path)
    collect = workspace.settings.mail.collect
    try:
        if data is None:
            check_entry(path, name)
            data = read_regular_file(path, name, workspace.settings.inbox.max_file_mb * 1_000_000)
        kind = message_kind(data)
        if kind is None:
            raise RejectedFile(
                f"{name} n'est pas un courriel (.eml ou .msg) lisible.",
                "Déposez le courriel enregistré depuis votre messagerie, ou ses pièces jointes.",
                RejectionCode.WRONG_TYPE,
            )
        message = attachments_of(
            data,
            name,
            kind,
            max_message_mb=collect.max_message_mb,
            max_attachments=collect.max_attachments,
        )
    except RejectedFile as rejection:
        return _reject(workspace, store, path, rejection, None, now)

    known = store.received_mail(message.message_id)
    if known is not None and known.status == "traite":
        return _file_duplicate(workspace, path, message, known.received_at)

    if not is_known_sender(message.sender, store.current_employees(), _allowed(workspace)):
        return _reject(workspace, store, path, _unknown_sender(name, message), message, now)
    if not message.attachments:
        return _reject(workspace, store, path, _nothing_attached(name, message), message, now)

    _record(store, message, now, "depose")
    taken = {sha for sha, _ in store.mail_attachments(message.message_id)}
    written: list[Path] = []
    for attachment in message.attachments:
        if attachment.sha256 in taken:
            continue  # written by an earlier run cut short, or attached twice
        target = write_new_file(workspace.inbox, attachment.name, attachment.data)
        store.record_mail_attachment(attachment.sha256, message.message_id, target.name)
        taken.add(attachment.sha256)
        written.append(target)
    _record(store, message, now, "traite", _refused_detail(message.refused))
    destination = _archive(workspace, path)
    count = len(written)
    line = (
        f"COURRIEL  {name} : {count} pièce{'s' if count > 1 else ''} jointe"
        f"{'s' if count > 1 else ''} déposée{'s' if count > 1 else ''} dans inbox/"
        f" (de {message.sender})"
    )
    if (refused := _refused_detail(message.refused)) is not None:
        line += f" ; non prise(s) : {refused}"
    _LOGGER.info("unpacked %s: %d attachment(s) from %s", name, count, message.sender)
    return UnpackReport(
        path,
        "unpacked",
        line,
        message,
        tuple(written),
        message.refused,
        destination,
    )


def is_known_sender(sender: str, employees: Iterable[Employee], allowed: Iterable[str]) -> bool:
    """True when ``sender`` is an employee's or a manager's e-mail, or allowed by the settings.

    ``allowed``: whole addresses, or domains written ``@exemple.fr``. Compared
    without case. An empty sender is never known.
    """
    address = sender.strip().lower()
    if "@" not in address:
        return False
    for entry in allowed:
        wanted = entry.strip().lower()
        if wanted.startswith("@") and address.endswith(wanted):
            return True
        if wanted and wanted == address:
            return True
    for employee in employees:
        for known in (employee.email, employee.email_manager):
            if known and known.strip().lower() == address:
                return True
    return False


def write_new_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` under ``name`` in ``folder``, or the first free ``name-2``, ``name-3``...

    Written whole to a hidden temporary file (ignored by the inbox and the
    watcher), flushed, then linked to a name nobody holds: the file appears
    complete or not at all, and never replaces another.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{uuid.uuid4().hex}.part"
    try:
        with tmp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for candidate in candidates(name, len(NOTE_SUFFIX)):
            target = folder / candidate
            if os.path.lexists(target) or os.path.lexists(folder / (candidate + NOTE_SUFFIX)):
                continue
            try:
                move_new(tmp, target)
            except FileExistsError:
                continue
            return target
        raise FileExistsError(f"no free name left for {name} in {folder}")
    finally:
        with suppress(OSError):
            tmp.unlink()


# --------------------------------------------------------------------------- private


def _allowed(workspace: Workspace) -> tuple[str, ...]:
    """The settings' allowed senders, and HR's own addresses (a form forwarded by HR)."""
    mail = workspace.settings.mail
    own = tuple(a for a in (mail.sender, mail.reply_to) if a)
    return (*mail.collect.allowed_senders, *own)


def _record(
    store: Store, message: MessageContent, now: datetime, status: str, detail: str | None = None
) -> None:
    store.record_mail_received(
        message.message_id,
        sender=message.sender,
        subject=message.subject,
        sent_date=message.date,
        now=now,
        status=status,
        detail=detail,
    )


def _refused_detail(refused: tuple[RefusedAttachment, ...]) -> str | None:
    if not refused:
        return None
    return " ; ".join(f"{r.name} ({r.reason})" for r in refused)


def _unknown_sender(name: str, message: MessageContent) -> RejectedFile:
    who = message.sender or "un expéditeur sans adresse"
    return RejectedFile(
        f"Le courriel {name} vient de {who}, qui n'est ni un salarié ni un responsable du "
        "fichier du personnel, ni un expéditeur autorisé : ses pièces jointes n'ont pas été "
        "ouvertes.",
        "Si cet expéditeur est légitime, ajoutez son adresse au fichier du personnel (colonne "
        "e-mail) ou dans entretien.toml, [courriel.collecte] expediteurs_autorises, puis "
        "redéposez ce courriel dans inbox/ ; sinon, supprimez-le.",
        RejectionCode.UNKNOWN_SENDER,
    )


def _nothing_attached(name: str, message: MessageContent) -> RejectedFile:
    if message.refused:
        listed = _refused_detail(message.refused)
        return RejectedFile(
            f"Le courriel {name} (de {message.sender}) ne contient aucun formulaire : pièces "
            f"jointes non prises : {listed}.",
            "Demandez à l'expéditeur de joindre le formulaire lui-même (.docx, .pdf ou scan), "
            "sans le compresser, et de renvoyer son courriel.",
            RejectionCode.NO_ATTACHMENT,
        )
    return RejectedFile(
        f"Le courriel {name} (de {message.sender}) n'a aucune pièce jointe : il n'y a pas de "
        "formulaire à lire.",
        "Demandez à l'expéditeur de joindre le formulaire rempli (.docx, .pdf ou scan) à son "
        "courriel et de le renvoyer.",
        RejectionCode.NO_ATTACHMENT,
    )


def _reject(
    workspace: Workspace,
    store: Store,
    path: Path,
    rejection: RejectedFile,
    message: MessageContent | None,
    now: datetime,
) -> UnpackReport:
    """Set the message aside in ``rejected/`` with its note, record why (audit and mail row)."""
    name = display_name(path)

    def note(new_name: str) -> str:
        shown = os.fsencode(new_name).decode("utf-8", "replace")
        renamed = "" if shown == name else f" (rangé ici sous le nom {shown})"
        sender = "" if message is None else f"Expéditeur : {message.sender or 'inconnu'}\n"
        return (
            f"Fichier : {name}{renamed}\nReçu le : {now:%d/%m/%Y à %H:%M}\n{sender}"
            f"Code (pour le support) : {rejection.code}\n\n"
            f"Pourquoi il est mis de côté :\n{rejection.reason}\n\n"
            f"Que faire :\n{rejection.advice}\n"
        )

    rejected = workspace.root / "rejected"
    try:
        target, reason = set_aside(path, rejected, note)
    except FileNotFoundError:
        return UnpackReport(path, "rejected", f"ignoré  {name} (disparu entre-temps)", message)
    if message is not None:
        _record(store, message, now, "refuse", rejection.reason)
    store.log_event("rejete", name, now=now, detail=rejection.reason, code=rejection.code)
    _LOGGER.info("rejected message %s (%s): %s", name, rejection.code, rejection.reason)
    return UnpackReport(
        path,
        "rejected",
        f"REJETÉ  {name} : {rejection.reason}",
        message,
        refused=() if message is None else message.refused,
        destination=target,
        rejection=rejection,
        note=reason,
    )


def _file_duplicate(
    workspace: Workspace, path: Path, message: MessageContent, first: datetime
) -> UnpackReport:
    name = display_name(path)
    destination = _archive(workspace, path)
    return UnpackReport(
        path,
        "duplicate",
        f"déjà reçu  {name} : courriel déjà traité le {first:%d/%m/%Y à %H:%M}, "
        "ses pièces jointes ne sont pas reprises une deuxième fois.",
        message,
        destination=destination,
    )


def _archive(workspace: Workspace, path: Path) -> Path | None:
    """Move the message into ``archive/courriels/`` under a free name; None if already gone."""
    folder = workspace.root / "archive" / MAIL_ARCHIVE
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in candidates(path.name, len(NOTE_SUFFIX)):
        target = folder / candidate
        if os.path.lexists(target):
            continue
        try:
            move_new(path, target)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        return target
    raise FileExistsError(f"no free name left for {path.name} in {folder}")
