"""Reminders: each manager whose team's forms are still missing, at most every N days.

A form is missing while the ledger has it issued (``emis``) for the campaign
and no current return (``Store.current_submission``), and its employee is
still in the roster. ``[courriel]`` decides when and how often:

- ``relance_tous_les_jours``: never two reminders to the same address within
  that many days (0: a single reminder per campaign);
- ``relance_jours_avant``: the scheduled reminders (the watcher) start that
  many days before ``date_limite`` and go on after it while forms are missing;
  without a deadline, the watcher sends none. ``entretien courriel relancer``
  sends when HR asks, still at most every ``relance_tous_les_jours`` days.

Reminders are recorded like sends (``purpose`` = ``relance``) and carry no
attachment: the forms went with the first message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from entretien_forms.campaign import current_campaign
from entretien_forms.errors import MailError
from entretien_forms.mail.compose import (
    PURPOSE_REMINDER,
    TEMPLATE_REMINDER,
    Batch,
    Skipped,
    check_settings,
    compose,
    form_files,
    group_by_manager,
    parse_deadline,
)
from entretien_forms.mail.send import MailReport, deliver
from entretien_forms.store import Store
from entretien_forms.text import count
from entretien_forms.workspace import Workspace


def send_reminders(
    workspace: Workspace,
    store: Store,
    *,
    environ: Mapping[str, str],
    now: datetime,
    campaign: str | None = None,
    dry_run: bool = False,
    scheduled: bool = False,
) -> MailReport:
    """``entretien courriel relancer``: a reminder to each manager with forms still missing."""
    settings = workspace.settings.mail
    check_settings(settings, need_server=not dry_run)
    campaign = campaign or current_campaign(workspace.settings, store, now.date())
    report = MailReport(
        campaign=campaign, retry_command=f'entretien courriel relancer --campaign "{campaign}"'
    )
    batch = plan_reminders(workspace, store, campaign=campaign, now=now, scheduled=scheduled)
    report.skipped.extend(batch.skipped)
    report.notes.extend(batch.notes)
    deliver(workspace, store, batch.mails, report, environ=environ, now=now, dry_run=dry_run)
    return report


def send_due_reminders(
    workspace: Workspace,
    store: Store,
    now: datetime,
    *,
    environ: Mapping[str, str] | None = None,
) -> MailReport:
    """The watcher's scheduled reminders: those due at ``now``, never an exception.

    Does nothing (an empty report) while ``[courriel]`` has no server or no
    ``date_limite``. A problem that stops the run (password unknown, template
    broken) is in ``report.problem`` for the watcher's log; the next call tries
    again. ``environ`` defaults to the process environment (the password variable).
    """
    settings = workspace.settings.mail
    empty = MailReport(campaign="", retry_command="entretien courriel relancer")
    if not settings.host.strip() or not settings.deadline.strip():
        return empty
    try:
        return send_reminders(
            workspace,
            store,
            environ=os.environ if environ is None else environ,
            now=now,
            scheduled=True,
        )
    except MailError as exc:
        empty.problem = f"Relances automatiques non envoyées : {exc}"
        return empty


def plan_reminders(
    workspace: Workspace, store: Store, *, campaign: str, now: datetime, scheduled: bool = False
) -> Batch:
    """The reminders due at ``now`` (``scheduled``: only within the deadline's window)."""
    settings = workspace.settings.mail
    batch = Batch()
    deadline = parse_deadline(settings)
    if scheduled:
        if deadline is None:
            return batch
        start = deadline - timedelta(days=settings.reminder_days_before)
        if now.date() < start:
            return batch
    roster = {e.matricule: e for e in store.current_employees()}
    missing = [
        form_files(workspace, form, roster[form.matricule])
        for form in store.current_issued(campaign=campaign)
        if form.matricule in roster
        and store.current_submission(form.matricule, form.kind, campaign) is None
    ]
    if not missing:
        batch.notes.append(f"Aucun formulaire manquant pour la campagne « {campaign} ».")
        return batch
    last = _last_reminders(store, campaign)
    extra = {
        "en_retard": deadline is not None and now.date() > deadline,
        "jours_restants": (deadline - now.date()).days if deadline else None,
    }
    for recipient, forms in group_by_manager(missing, roster):
        if isinstance(recipient, Skipped):
            batch.skipped.append(recipient)
            continue
        previous = last.get(recipient.address.lower())
        if previous is not None and not _due_again(previous, now, settings.reminder_every_days):
            batch.notes.append(
                f"DÉJÀ RELANCÉ {recipient.address} le {previous:%d/%m/%Y} "
                f"({count(len(forms), 'formulaire manquant', 'formulaires manquants')}) : "
                + (
                    f"pas de nouvelle relance avant le "
                    f"{previous + timedelta(days=settings.reminder_every_days):%d/%m/%Y} "
                    "(relance_tous_les_jours)."
                    if settings.reminder_every_days
                    else "une seule relance (relance_tous_les_jours = 0)."
                )
            )
            continue
        batch.mails.extend(
            compose(
                workspace,
                template=TEMPLATE_REMINDER,
                purpose=PURPOSE_REMINDER,
                campaign=campaign,
                recipient=recipient,
                forms=forms,
                now=now,
                attach=False,
                extra=extra,
                auto_submitted="auto-generated" if scheduled else None,
            )
        )
    return batch


def _last_reminders(store: Store, campaign: str) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for mail in store.mail_sent(purpose=PURPOSE_REMINDER, campaign=campaign, status="envoye"):
        if mail.sent_at is not None:
            key = mail.recipient.lower()
            last[key] = max(last.get(key, mail.sent_at), mail.sent_at)
    return last


def _due_again(previous: datetime, now: datetime, every_days: int) -> bool:
    if every_days == 0:
        return False
    # By calendar day: a reminder sent at 9:00 is due again N days later, at any hour.
    return (now.date() - previous.date()).days >= every_days
