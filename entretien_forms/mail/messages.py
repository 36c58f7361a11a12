"""What an e-mail holds for us: who sent it, what it answers, and the forms attached.

An e-mail is untrusted input: it is read by the standard library's ``email``
package (``policy.default``) for an Internet message (.eml) and by extract-msg
for an Outlook message (.msg), never by hand. Only the attachments whose name
ends like a form or a scan are kept (.docx, .pdf, .odt, .doc, images); their
names lose any folder (``../../x.docx`` → ``x.docx``) and go through
``sanitize.safe_filename``. A message attached to the message (a forward) is
opened one level deep, not more. An archive (.zip) is never opened: it is named
among the refused files. The message is refused whole beyond ``max_message_mb``
or with more than ``max_attachments`` attachments.

The flags (``auto_submitted``, ``bounce``, ``mailing_list``, ``no_reply``) say
whether a reply may be sent at all (RFC 3834): ``acknowledge.py`` never answers
a robot.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PureWindowsPath
from typing import Any, Literal

from entretien_forms.errors import RejectedFile, RejectionCode
from entretien_forms.sanitize import safe_filename

MessageKind = Literal["eml", "msg"]

# What a returned form or a scan may be saved as; anything else attached is refused.
SUPPORTED_SUFFIXES = (".docx", ".pdf", ".odt", ".doc", ".jpg", ".jpeg", ".png", ".tif", ".tiff")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
_ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz")
# Defaults of ``[courriel.collecte]`` (config.MailCollectSettings).
DEFAULT_MAX_MESSAGE_MB = 40
DEFAULT_MAX_ATTACHMENTS = 20
# A forward inside a forward inside a message is not a return: one level is opened.
_MAX_DEPTH = 1
# RFC 3834 §5: what robots write; "no-reply" mailboxes by their usual names.
_NO_REPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|ne[-_.]?pas[-_.]?repondre)")
_ROBOT_SENDERS = ("mailer-daemon", "postmaster")
_LIST_PRECEDENCE = ("bulk", "list", "junk")
_NAME_LENGTH = 80


@dataclass(frozen=True)
class Attachment:
    """A file attached to the message, kept: its safe name and its bytes."""

    name: str  # safe: no folder, no "..", portable characters
    data: bytes
    original_name: str  # as the sender's program wrote it, for the notes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class RefusedAttachment:
    """A file attached to the message that is not taken, and why (French)."""

    name: str
    reason: str


@dataclass(frozen=True)
class MessageContent:
    """The facts of one e-mail we act on; never its body text."""

    message_id: str  # "<...>"; derived from the bytes when the message has none
    sender: str  # the From address, lower case; "" when there is none
    sender_name: str
    subject: str
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    reply_to: str  # where a reply goes (Reply-To, else From); "" when none
    auto_submitted: bool = False  # Auto-Submitted other than "no", X-Autoreply...
    bounce: bool = False  # empty return path, mailer-daemon, multipart/report
    mailing_list: bool = False  # List-Id, Precedence: bulk / list / junk
    no_reply: bool = False  # a no-reply address
    attachments: tuple[Attachment, ...] = ()
    refused: tuple[RefusedAttachment, ...] = field(default=())

    @property
    def from_robot(self) -> bool:
        """True when no reply may ever be sent to this message (RFC 3834 §2)."""
        return self.auto_submitted or self.bounce or self.mailing_list or self.no_reply


def attachments_of(
    data: bytes,
    name: str,
    kind: MessageKind,
    *,
    max_message_mb: int = DEFAULT_MAX_MESSAGE_MB,
    max_attachments: int = DEFAULT_MAX_ATTACHMENTS,
) -> MessageContent:
    """The facts and the supported attachments of the message ``data``.

    ``name`` is the file as shown to people. ``RejectedFile`` for a message
    too big, with too many attachments, or that cannot be read at all.
    """
    limit = max_message_mb * 1_000_000
    if len(data) > limit:
        raise RejectedFile(
            f"Le courriel {name} pèse {-(-len(data) // 1_000_000)} Mo, au-delà de la limite "
            f"de {max_message_mb} Mo : ses pièces jointes n'ont pas été ouvertes.",
            "Demandez à l'expéditeur de renvoyer les formulaires en plusieurs courriels, ou "
            "scannés en 200 dpi noir et blanc ; la limite se règle dans entretien.toml, "
            "[courriel.collecte] taille_max_message_mo.",
            RejectionCode.TOO_LARGE,
        )
    fallback_id = f"<{hashlib.sha256(data).hexdigest()[:40]}@entretien.invalid>"
    read = _from_eml if kind == "eml" else _from_msg
    facts, found = read(data, name, fallback_id)
    kept: list[Attachment] = []
    refused: list[RefusedAttachment] = []
    for item in found:
        if isinstance(item, Attachment):
            kept.append(item)
        else:
            refused.append(item)
    if len(kept) + len(refused) > max_attachments:
        raise RejectedFile(
            f"Le courriel {name} contient {len(kept) + len(refused)} pièces jointes, au-delà "
            f"de la limite de {max_attachments} : aucune n'a été prise.",
            "Demandez à l'expéditeur d'envoyer les formulaires en plusieurs courriels ; la "
            "limite se règle dans entretien.toml, [courriel.collecte] pieces_jointes_max.",
            RejectionCode.TOO_MANY_ATTACHMENTS,
        )
    return MessageContent(**facts, attachments=tuple(kept), refused=tuple(refused))


def header_facts(data: bytes) -> tuple[str, str, str, datetime | None]:
    """(Message-ID, sender, subject, date) of an Internet message, from its headers only."""
    fallback_id = f"<{hashlib.sha256(data).hexdigest()[:40]}@entretien.invalid>"
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    try:
        message = parser.parsebytes(data)
    except Exception:  # the parser's errors have no common class
        return fallback_id, "", "", None
    facts = _facts(message, fallback_id)
    return facts["message_id"], facts["sender"], facts["subject"], facts["date"]


# --------------------------------------------------------------------------- .eml

_Found = Attachment | RefusedAttachment


def _from_eml(data: bytes, name: str, fallback_id: str) -> tuple[dict[str, Any], list[_Found]]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    facts = _facts(message, fallback_id)
    facts["bounce"] = facts["bounce"] or message.get_content_type() == "multipart/report"
    return facts, list(_eml_parts(message, 0))


def _eml_parts(message: Message, depth: int) -> Iterator[_Found]:
    for part in _leaves(message):
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            shown = _clean_name(part.get_filename() or "") or "message joint"
            if depth >= _MAX_DEPTH:
                yield RefusedAttachment(
                    shown, "message transféré dans un message transféré : non ouvert"
                )
                continue
            for sub in inner if isinstance(inner, list) else []:
                if isinstance(sub, Message):
                    yield from _eml_parts(sub, depth + 1)
            continue
        raw_name = _safe_header(lambda p=part: p.get_filename())
        if not raw_name:
            continue  # the body (text, HTML): not a file
        inline = (part.get_content_disposition() or "") == "inline" and part.get("Content-ID")
        if inline and raw_name.lower().endswith(_IMAGE_SUFFIXES):
            continue  # a picture shown in the body (a signature's logo), not a scan
        try:
            payload = part.get_payload(decode=True)
        except Exception:  # a transfer encoding email cannot undo
            payload = None
        yield _judged(raw_name, payload if isinstance(payload, bytes) else None)


def _leaves(message: Message) -> Iterator[Message]:
    """Each non-multipart part, in order, stopping at attached messages (opened apart)."""
    if message.get_content_type() == "message/rfc822":
        yield message
        return
    if message.is_multipart():
        payload = message.get_payload()
        for part in payload if isinstance(payload, list) else []:
            if isinstance(part, Message):
                yield from _leaves(part)
        return
    yield message


# --------------------------------------------------------------------------- .msg


def _from_msg(data: bytes, name: str, fallback_id: str) -> tuple[dict[str, Any], list[_Found]]:
    import extract_msg  # imported here: a second of start-up the other commands do not need

    try:
        msg: Any = extract_msg.openMsg(data)
    except Exception as exc:  # extract-msg's errors have no common class
        raise RejectedFile(
            f"Le courriel Outlook {name} ne peut pas être lu ({type(exc).__name__}) : fichier "
            "incomplet ou endommagé.",
            "Enregistrez à nouveau le message depuis Outlook (Fichier > Enregistrer sous), ou "
            "enregistrez ses pièces jointes et déposez-les dans inbox/.",
            RejectionCode.DAMAGED,
        ) from exc
    try:
        header = _safe_header(lambda: msg.header)
        facts = _facts(header if isinstance(header, Message) else Message(), fallback_id)
        if not facts["sender"]:
            sender = _safe_header(lambda: msg.sender) or ""
            facts["sender_name"], facts["sender"] = _address(str(sender))
            if not facts["sender"]:  # a name alone: the address is in a MAPI property
                facts["sender"] = _msg_sender_address(msg)
            facts["reply_to"] = facts["reply_to"] or facts["sender"]
        if not facts["subject"]:
            facts["subject"] = _one_line(str(_safe_header(lambda: msg.subject) or ""))
        if facts["message_id"] == fallback_id:
            facts["message_id"] = _message_id(str(_safe_header(lambda: msg.messageId) or ""))
            facts["message_id"] = facts["message_id"] or fallback_id
        if facts["in_reply_to"] is None:
            facts["in_reply_to"] = _message_id(str(_safe_header(lambda: msg.inReplyTo) or ""))
            facts["in_reply_to"] = facts["in_reply_to"] or None
        if facts["date"] is None:
            sent = _safe_header(lambda: msg.date)
            facts["date"] = sent if isinstance(sent, datetime) else None
        found = list(_msg_parts(msg, 0))
    finally:
        msg.close()
    return facts, found


# The sender's SMTP address among an Outlook message's properties, most precise first:
# PR_SENDER_SMTP_ADDRESS, PR_SENT_REPRESENTING_SMTP_ADDRESS, PR_SENDER_EMAIL_ADDRESS,
# PR_SENT_REPRESENTING_EMAIL_ADDRESS (the last two hold an Exchange name, "/O=...",
# for internal mail: not an address, skipped).
_MSG_SENDER_STREAMS = (
    "__substg1.0_5D01",
    "__substg1.0_5D02",
    "__substg1.0_0C1F",
    "__substg1.0_0065",
)


def _msg_sender_address(msg: Any) -> str:
    for stream in _MSG_SENDER_STREAMS:
        value = _safe_header(lambda s=stream: msg.getStringStream(s))
        _, address = _address(str(value or ""))
        if address:
            return address
    return ""


def _msg_parts(msg: Any, depth: int) -> Iterator[_Found]:
    from extract_msg.enums import AttachmentType

    try:
        attachments = list(msg.attachments)
    except Exception:  # a damaged attachment table
        yield RefusedAttachment("pièces jointes", "illisibles (message Outlook endommagé)")
        return
    for attachment in attachments:
        kind = getattr(attachment, "type", None)
        raw_name = str(
            _safe_header(lambda a=attachment: a.longFilename or a.shortFilename or a.displayName)
            or ""
        )
        if kind == AttachmentType.MSG:
            shown = _clean_name(raw_name) or "message joint"
            if depth >= _MAX_DEPTH:
                yield RefusedAttachment(
                    shown, "message transféré dans un message transféré : non ouvert"
                )
                continue
            inner = _safe_header(lambda a=attachment: a.data)
            if inner is not None and hasattr(inner, "attachments"):
                yield from _msg_parts(inner, depth + 1)
            continue
        if not raw_name:
            continue
        if getattr(attachment, "hidden", False) and raw_name.lower().endswith(_IMAGE_SUFFIXES):
            continue  # a picture shown in the body (a signature's logo), not a scan
        payload = _safe_header(lambda a=attachment: a.data) if kind == AttachmentType.DATA else None
        yield _judged(raw_name, payload if isinstance(payload, bytes) else None)


# --------------------------------------------------------------------------- shared


def _judged(raw_name: str, payload: bytes | None) -> _Found:
    """An attachment kept, or refused with the reason, from its name and bytes."""
    name = _clean_name(raw_name) or "sans-nom"
    lowered = name.lower()
    if lowered.endswith(_ARCHIVE_SUFFIXES):
        return RefusedAttachment(
            name, "archive compressée : non ouverte (un formulaire n'est jamais une archive)"
        )
    if not lowered.endswith(SUPPORTED_SUFFIXES):
        return RefusedAttachment(name, "type de fichier qui n'est pas un formulaire")
    if payload is None:
        return RefusedAttachment(name, "pièce jointe illisible (encodage endommagé)")
    if not payload:
        return RefusedAttachment(name, "pièce jointe vide (0 octet)")
    return Attachment(name, payload, _one_line(raw_name))


def _clean_name(raw: str) -> str:
    """The last component of ``raw`` (``/`` or ``\\``), made safe; "" when nothing is left.

    ``../../x.docx`` → ``x.docx``; ``C:\\Temp\\Évaluation été.pdf`` → ``Evaluation-ete.pdf``.
    """
    base = PureWindowsPath(_one_line(raw).replace("/", "\\")).name.strip(" .")
    if not base:
        return ""
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem or not re.fullmatch(r"[A-Za-z0-9]{1,8}", suffix):
        return safe_filename(base, max_length=_NAME_LENGTH)
    return f"{safe_filename(stem, max_length=_NAME_LENGTH)}.{suffix.lower()}"


def _facts(message: Message, fallback_id: str) -> dict[str, Any]:
    sender_name, sender = _address(_header(message, "From"))
    _, reply_to = _address(_header(message, "Reply-To"))
    auto = _header(message, "Auto-Submitted").strip().lower()
    return_path = _header(message, "Return-Path").strip()
    local = sender.partition("@")[0]
    precedence = _header(message, "Precedence").strip().lower()
    return {
        "message_id": _message_id(_header(message, "Message-ID")) or fallback_id,
        "sender": sender,
        "sender_name": sender_name,
        "subject": _one_line(_header(message, "Subject")),
        "date": _date(_header(message, "Date")),
        "in_reply_to": _message_id(_header(message, "In-Reply-To")) or None,
        "references": tuple(re.findall(r"<[^<>\s]+>", _header(message, "References")))[-20:],
        "reply_to": reply_to or sender,
        "auto_submitted": (bool(auto) and auto != "no")
        or precedence == "auto_reply"
        or any(_header(message, h) for h in ("X-Autoreply", "X-Autorespond")),
        "bounce": (return_path == "<>") or local in _ROBOT_SENDERS,
        "mailing_list": bool(_header(message, "List-Id")) or precedence in _LIST_PRECEDENCE,
        "no_reply": bool(_NO_REPLY.match(local)),
    }


def _header(message: Message, name: str) -> str:
    """A header's text; "" when absent or beyond what the parser can decode."""
    value = _safe_header(lambda: message.get(name))
    return "" if value is None else str(value)


def _safe_header(read: Any) -> Any:
    """``read()``, or ``None`` when the library raises on a malformed value."""
    try:
        return read()
    except Exception:  # a malformed header or property: treated as absent
        return None


def _address(value: str) -> tuple[str, str]:
    """(display name, address in lower case) of the first address in ``value``."""
    pairs: Iterable[tuple[str, str]] = getaddresses([_one_line(value)])
    for display, address in pairs:
        if "@" in address:
            return _one_line(display), address.strip().lower()
    return "", ""


def _message_id(value: str) -> str:
    found = re.search(r"<[^<>\s]{1,500}>", value)
    return found.group(0) if found else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _one_line(value: str) -> str:
    """Header text on one line, without control characters, at most 500 characters."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()[:500]
