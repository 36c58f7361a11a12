"""Acknowledge a message once its files are processed: the sender learns what became of them.

Called by ``entretien ingest`` and the watcher after an e-mail's attachments
went through the inbox (``inbox.ingest_paths(on_message=...)``): the inbox
itself sends nothing and imports nothing of the sending side.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from entretien_forms.errors import EntretienError
from entretien_forms.inbox.model import Outcome
from entretien_forms.mail.acknowledge import acknowledgement
from entretien_forms.mail.compose import OutgoingMail, Recipient
from entretien_forms.mail.send import MailOutcome, MailReport, deliver
from entretien_forms.mail.unpack import UnpackReport
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace

__all__ = ["acknowledge"]

_LOGGER = logging.getLogger(__name__)


def acknowledge(
    workspace: Workspace,
    store: Store,
    unpacked: UnpackReport,
    outcomes: Sequence[Outcome],
    *,
    environ: Mapping[str, str],
    now: datetime,
) -> MailOutcome | None:
    """Send the reply to one message (or nothing: no sending set up, a robot, a stranger).

    ``outcomes`` are those of the message's attachments; a message refused
    whole is answered from its own outcome. Never raises: a reply that cannot
    leave is logged, the returns are stored whatever happens to it.
    """
    settings = workspace.settings.mail
    message = unpacked.message
    if not settings.host or message is None:
        return None
    reply = acknowledgement(
        list(outcomes) or [unpacked.as_outcome()],
        message,
        settings,
        labels=_labels(store, outcomes),
        now=now,
    )
    if reply is None:
        return None
    mail = OutgoingMail(
        purpose="accuse",
        campaign="",
        recipient=Recipient(address=message.reply_to, prenom="", nom="", matricule=None),
        forms=(),
        message=reply,
        attached=(),
    )
    report = MailReport(campaign="", retry_command="entretien ingest")
    try:
        deliver(workspace, store, [mail], report, environ=environ, now=now)
    except EntretienError as exc:  # no password, a broken setting: the returns are stored
        _LOGGER.warning("acknowledgement to %s not sent: %s", message.reply_to, exc)
        return MailOutcome(message.reply_to, str(reply["Subject"]), "echec", str(exc))
    return report.outcomes[0] if report.outcomes else None


def _labels(store: Store, outcomes: Sequence[Outcome]) -> dict[str, str]:
    """A reference's words for people: « Éloïse Lefèvre, entretien annuel 2026 »."""
    names = {e.matricule: e.full_name for e in store.current_employees()}
    labels = {}
    for outcome in outcomes:
        if outcome.reference is None:
            continue
        issued = store.issued(outcome.reference)
        if issued is not None:
            who = names.get(issued.matricule, issued.matricule)
            labels[outcome.reference] = f"{who}, entretien {issued.kind} {issued.campaign}"
    return labels
