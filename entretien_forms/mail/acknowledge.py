"""The acknowledgement of a returned form sent by e-mail: a reply in the same thread.

One reply per message received, listing what became of each file attached:
received and stored (the employee, the form's reference, the remarks read), a
copy already received, or put aside with the reason and what to do. Built
here, sent by ``mail.send`` like any other message.

Never a reply to a robot (RFC 3834 §2): an automatic message (``Auto-Submitted``
other than ``no``), a bounce (empty return path, mailer-daemon,
``multipart/report``), a mailing list (``List-Id``, ``Precedence: bulk``) or a
no-reply address; nor to an unknown sender (a forged sender would make us send
mail to strangers), nor to ourselves. Every reply says ``Auto-Submitted:
auto-replied`` so that a well-behaved robot does not answer it either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from entretien_forms.config import MailSettings
from entretien_forms.errors import RejectionCode
from entretien_forms.inbox.model import Outcome
from entretien_forms.mail.messages import MessageContent

# Subjects that already say "a reply" (French Outlook writes « RE : », German « AW: »).
_REPLY_PREFIXES = ("re:", "re :", "aw:")
# Rejections that get no reply: the sender is not someone we write to.
_SILENT = frozenset({RejectionCode.UNKNOWN_SENDER})
_NOTE_TODO = "Que faire :\n"
_DEFAULT_TODO = "Le service RH a été prévenu et reviendra vers vous si besoin."


def acknowledgement(
    outcome: Outcome | Sequence[Outcome],
    message: MessageContent,
    settings: MailSettings,
    *,
    labels: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage | None:
    """The reply to ``message`` saying what became of its files; ``None``: no reply at all.

    ``outcome``: the outcome of each file taken from the message (or of the
    message itself when it was refused whole). ``labels``: a reference's
    words for people (« Claire Martin, entretien annuel 2026 »), when known.
    """
    outcomes = [outcome] if isinstance(outcome, Outcome) else list(outcome)
    if not settings.acknowledge or not settings.sender:
        return None
    if message.from_robot or not message.reply_to:
        return None
    if message.reply_to.lower() in {settings.sender.lower(), settings.reply_to.lower()}:
        return None  # never a reply to ourselves (a loop)
    if any(o.code in _SILENT for o in outcomes):
        return None
    shown = [o for o in outcomes if o.status != "ignored"]
    if not shown and not message.refused:
        return None
    lines = [
        "Bonjour,",
        "",
        f"Votre courriel « {message.subject or '(sans objet)'} » a bien été reçu par le "
        "service RH. Voici ce qu'il en est de chaque fichier joint :",
        "",
    ]
    for item in shown:
        lines += _paragraph(item, labels or {})
    for refused in message.refused:
        lines += [f"- {refused.name} : non pris ({refused.reason}).", ""]
    lines += [
        "Ce message est envoyé automatiquement : inutile d'y répondre. Pour toute question, "
        "écrivez au service RH.",
        "",
        "Cordialement,",
        settings.sender_name,
    ]
    reply = EmailMessage()
    reply["From"] = formataddr((settings.sender_name, settings.sender))
    reply["To"] = message.reply_to
    if settings.reply_to:
        reply["Reply-To"] = settings.reply_to
    reply["Subject"] = _reply_subject(message.subject)
    reply["In-Reply-To"] = message.message_id
    reply["References"] = " ".join((*message.references, message.message_id))
    reply["Auto-Submitted"] = "auto-replied"
    reply["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office reply to this
    reply["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    if now is not None:
        reply["Date"] = format_datetime(now if now.tzinfo else now.astimezone())
    reply.set_content("\n".join(lines) + "\n")
    return reply


def _paragraph(outcome: Outcome, labels: Mapping[str, str]) -> list[str]:
    name = outcome.path.name
    if outcome.status == "ok":
        what = f"formulaire {outcome.reference}" if outcome.reference else "formulaire"
        if outcome.reference and outcome.reference in labels:
            what += f" ({labels[outcome.reference]})"
        lines = [f"- {name} : reçu et enregistré ({what})."]
        lines += [f"  Remarque : {w}" for w in outcome.warnings]
        return [*lines, ""]
    if outcome.status == "duplicate":
        return [
            f"- {name} : déjà reçu auparavant, il n'est pas compté deux fois ; rien à faire.",
            "",
        ]
    if outcome.status == "rejected":
        reason = outcome.message.partition(" : ")[2] or outcome.message
        return [
            f"- {name} : mis de côté, non enregistré.",
            f"  Raison : {reason}",
            f"  Que faire : {_todo(outcome)}",
            "",
        ]
    return [
        f"- {name} : reçu, mais il n'a pas pu être lu automatiquement ; le service RH s'en "
        "occupe, vous n'avez rien à faire pour l'instant.",
        "",
    ]


def _todo(outcome: Outcome) -> str:
    """The « Que faire » of the reason note written beside the file, else a general line."""
    if outcome.note is None:
        return _DEFAULT_TODO
    with suppress(OSError, UnicodeDecodeError):
        text = outcome.note.read_text(encoding="utf-8")
        if _NOTE_TODO in text:
            return " ".join(text.partition(_NOTE_TODO)[2].split()) or _DEFAULT_TODO
    return _DEFAULT_TODO


def _reply_subject(subject: str) -> str:
    if subject.lower().startswith(_REPLY_PREFIXES):
        return subject
    return f"Re: {subject}" if subject else "Re: votre formulaire d'entretien"
