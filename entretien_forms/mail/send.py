"""Sending prepared messages over SMTP, each recorded in ``mail_sent`` once.

Every message enters the ledger as ``a_envoyer`` before the server sees it,
then becomes ``envoye`` or ``echec`` with the French reason. Only ``envoye``
counts as sent: running the command again sends what failed, and nothing that
went through (unless ``--renvoyer``). One refused address never stops the
others; a server that cannot be reached or refuses the login fails every
message of the run with the same reason, without knocking again for each.
``--essai`` writes each message as a ``.eml`` file (opened by any mail
program) under ``outbox/<campagne>/courriels/`` and records nothing.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from entretien_forms.campaign import current_campaign
from entretien_forms.config import MailSettings
from entretien_forms.errors import MailError
from entretien_forms.generate import MAIL_DRAFTS_FOLDER, write_atomically
from entretien_forms.mail.compose import (
    PURPOSE_SEND,
    TEMPLATE_SELF_ASSESSMENT,
    TEMPLATE_SEND,
    Batch,
    FormFiles,
    OutgoingMail,
    Recipient,
    Skipped,
    check_settings,
    compose,
    form_files,
    group_by_manager,
)
from entretien_forms.mail.secrets import mail_password
from entretien_forms.sanitize import safe_filename
from entretien_forms.store import SentMail, Store
from entretien_forms.text import count
from entretien_forms.workspace import Workspace

DRY_RUN_FOLDER = MAIL_DRAFTS_FOLDER  # reserved among the team folders
# Seconds to wait for the server at each step: a dead server fails the run in this time.
SMTP_TIMEOUT_S = 30


@dataclass(frozen=True)
class MailOutcome:
    """What became of one message: ``envoye``, ``echec`` (with why) or ``essai`` (a file)."""

    recipient: str
    subject: str
    status: str
    error: str | None = None
    path: Path | None = None


@dataclass
class MailReport:
    """A run of ``courriel envoyer`` or ``relancer``, for the user (and the watcher's log)."""

    campaign: str
    retry_command: str
    outcomes: list[MailOutcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A problem that stopped the whole run before any message (the scheduled reminders
    # report it instead of raising: the watcher must keep running).
    problem: str | None = None

    @property
    def failed(self) -> list[MailOutcome]:
        return [o for o in self.outcomes if o.status == "echec"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and self.problem is None

    def lines(self) -> list[str]:
        """One French line per message, then what was left out, then what to do."""
        out = []
        for o in self.outcomes:
            if o.status == "envoye":
                out.append(f"ENVOYÉ      {o.recipient} : {o.subject}")
            elif o.status == "essai":
                out.append(f"ESSAI       {o.recipient} : {o.subject} → {o.path}")
            else:
                out.append(f"ÉCHEC       {o.recipient} : {o.subject} — {o.error}")
        for s in self.skipped:
            out.append(f"NON ENVOYÉ  {s.who} : {s.reason}")
        out.extend(self.notes)
        if self.problem:
            out.append(self.problem)
        sent = sum(o.status == "envoye" for o in self.outcomes)
        drafts = sum(o.status == "essai" for o in self.outcomes)
        if drafts:
            out.append(
                f"{count(drafts, 'message écrit', 'messages écrits')} en .eml, rien n'a été "
                "envoyé ni enregistré comme envoyé (essai)."
            )
        elif self.outcomes:
            out.append(
                f"{count(sent, 'message envoyé', 'messages envoyés')}, "
                f"{count(len(self.failed), 'échec', 'échecs')}."
            )
        if self.failed:
            out.append(
                f"Corrigez la cause puis relancez « {self.retry_command} » : seuls les messages "
                "non partis seront envoyés."
            )
        return out


def send_forms(
    workspace: Workspace,
    store: Store,
    *,
    environ: Mapping[str, str],
    now: datetime,
    campaign: str | None = None,
    manager: str | None = None,
    self_assessment: bool = False,
    dry_run: bool = False,
    resend: bool = False,
) -> MailReport:
    """``entretien courriel envoyer``: each manager their team's forms (or each employee theirs).

    Forms already sent to the same address for the campaign are left out
    unless ``resend``; a form issued again (``generate --force``) has a new
    reference and is sent.
    """
    settings = workspace.settings.mail
    check_settings(settings, need_server=not dry_run)
    campaign = campaign or current_campaign(workspace.settings, store, now.date())
    retry = f'entretien courriel envoyer --campaign "{campaign}"'
    if manager:
        retry += f" --responsable {manager}"
    if self_assessment:
        retry += " --autoevaluation"
    report = MailReport(campaign=campaign, retry_command=retry)
    batch = plan_forms(
        workspace,
        store,
        campaign=campaign,
        manager=manager,
        self_assessment=self_assessment,
        resend=resend,
        now=now,
    )
    report.skipped.extend(batch.skipped)
    report.notes.extend(batch.notes)
    deliver(workspace, store, batch.mails, report, environ=environ, now=now, dry_run=dry_run)
    return report


def plan_forms(
    workspace: Workspace,
    store: Store,
    *,
    campaign: str,
    now: datetime,
    manager: str | None = None,
    self_assessment: bool = False,
    resend: bool = False,
) -> Batch:
    """The messages ``send_forms`` would send, before any of them is sent."""
    roster = {e.matricule: e for e in store.current_employees()}
    if manager is not None and manager not in roster:
        raise MailError(
            f"--responsable {manager} : aucun salarié actif n'a ce matricule dans la dernière "
            "liste importée."
        )
    issued = store.current_issued(campaign=campaign)
    if not issued:
        raise MailError(
            f"Aucun formulaire émis pour la campagne « {campaign} » : émettez-les d'abord avec "
            "« entretien generate », ou indiquez la campagne avec --campaign."
        )
    batch = Batch()
    items = [form_files(workspace, f, roster[f.matricule]) for f in issued if f.matricule in roster]
    if manager is not None:
        items = [i for i in items if i.employee.manager_matricule == manager]
    already = set() if resend else sent_references(store, PURPOSE_SEND, campaign)
    groups: list[tuple[Recipient | Skipped, list[FormFiles]]]
    if self_assessment:
        template = TEMPLATE_SELF_ASSESSMENT
        groups = [(_own_address(i), [i]) for i in items]
    else:
        template = TEMPLATE_SEND
        groups = group_by_manager(items, roster)
    kept = 0
    for recipient, forms in groups:
        if isinstance(recipient, Skipped):
            batch.skipped.append(recipient)
            continue
        todo = [f for f in forms if (recipient.address.lower(), f.form.reference) not in already]
        kept += len(forms) - len(todo)
        if todo:
            batch.mails.extend(
                compose(
                    workspace,
                    template=template,
                    purpose=PURPOSE_SEND,
                    campaign=campaign,
                    recipient=recipient,
                    forms=todo,
                    now=now,
                )
            )
    if kept:
        batch.notes.append(
            f"{count(kept, 'formulaire déjà envoyé', 'formulaires déjà envoyés')} à la même "
            "adresse : pas envoyé de nouveau (--renvoyer pour l'envoyer quand même)."
        )
    if not batch.mails and not batch.skipped:
        batch.notes.append("Rien à envoyer.")
    return batch


def sent_references(store: Store, purpose: str, campaign: str) -> set[tuple[str, str]]:
    """(address, form reference) of every form sent for ``purpose`` in ``campaign``."""
    found = set()
    for mail in store.mail_sent(purpose=purpose, campaign=campaign, status="envoye"):
        for entry in _attachments(mail):
            found.add((mail.recipient.lower(), entry))
    return found


def deliver(
    workspace: Workspace,
    store: Store,
    mails: Sequence[OutgoingMail],
    report: MailReport,
    *,
    environ: Mapping[str, str],
    now: datetime,
    dry_run: bool = False,
) -> None:
    """Send ``mails`` (or write them as ``.eml`` when ``dry_run``), adding each outcome."""
    if not mails:
        return
    if dry_run:
        for number, mail in enumerate(mails, start=1):
            report.outcomes.append(_write_eml(workspace, mail, number))
        return
    settings = workspace.settings.mail
    password = mail_password(
        host=settings.host,
        user=settings.user,
        variable=settings.password_variable,
        environ=environ,
    )
    connection: smtplib.SMTP | None = None
    fatal: str | None = None
    try:
        for mail in mails:
            mail_id = store.record_mail_pending(_ledger_entry(mail))
            error = fatal
            if error is None:
                try:
                    if connection is None:
                        connection = _connect(settings, password)
                    connection.send_message(
                        mail.message, from_addr=settings.sender, to_addrs=[mail.recipient.address]
                    )
                except _ServerError as exc:
                    error = fatal = str(exc)
                    connection = None
                except smtplib.SMTPRecipientsRefused as exc:
                    error = _refused(exc.recipients)
                except smtplib.SMTPSenderRefused as exc:
                    error = fatal = (
                        f"expéditeur {settings.sender} refusé par le serveur "
                        f"({_reply(exc.smtp_code, exc.smtp_error)}) : vérifiez [courriel] "
                        "expediteur, qui doit être une adresse du compte utilisé."
                    )
                except smtplib.SMTPDataError as exc:
                    error = (
                        f"message refusé par le serveur ({_reply(exc.smtp_code, exc.smtp_error)})"
                        " : trop lourd ? baissez pieces_jointes_max_mo dans [courriel]."
                    )
                except smtplib.SMTPServerDisconnected:
                    error = "le serveur a coupé la connexion pendant l'envoi"
                    connection = None
                except (smtplib.SMTPException, OSError) as exc:
                    error = f"envoi impossible ({type(exc).__name__} : {exc})"
                    _close(connection)
                    connection = None
            if error is None:
                store.mark_mail(mail_id, "envoye", now=now)
                report.outcomes.append(MailOutcome(mail.recipient.address, mail.subject, "envoye"))
            else:
                store.mark_mail(mail_id, "echec", now=now, error=error)
                report.outcomes.append(
                    MailOutcome(mail.recipient.address, mail.subject, "echec", error=error)
                )
    finally:
        _close(connection)


class _ServerError(Exception):
    """The server cannot be reached, or refuses the connection or the login (French text)."""


def _connect(settings: MailSettings, password: str | None) -> smtplib.SMTP:
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context()
    local = socket.gethostname()  # no DNS lookup (smtplib's default may hang for seconds)
    connection: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            connection = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                local_hostname=local,
                timeout=SMTP_TIMEOUT_S,
                context=context,
            )
        else:
            connection = smtplib.SMTP(
                settings.host, settings.port, local_hostname=local, timeout=SMTP_TIMEOUT_S
            )
            if settings.security == "starttls":
                connection.starttls(context=context)
        if settings.user:
            connection.login(settings.user, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        _close(connection)
        raise _ServerError(
            f"identifiant ou mot de passe refusé par {where} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}) : vérifiez [courriel] utilisateur et le "
            "mot de passe (« entretien courriel mot-de-passe »). Microsoft 365 et Gmail "
            "demandent un mot de passe d'application."
        ) from None
    except smtplib.SMTPNotSupportedError:
        _close(connection)
        raise _ServerError(
            f"le serveur {where} ne propose pas ce qu'il faut (connexion chiffrée ou "
            "identification) : vérifiez securite (ssl pour le port 465, starttls pour le port "
            "587) et utilisateur dans [courriel]."
        ) from None
    except smtplib.SMTPException as exc:
        _close(connection)
        text = (
            _reply(exc.smtp_code, exc.smtp_error)
            if isinstance(exc, smtplib.SMTPResponseException)
            else str(exc)
        )
        raise _ServerError(f"le serveur {where} a refusé la connexion ({text}).") from None
    except ssl.SSLError as exc:
        _close(connection)
        raise _ServerError(
            f"échec du chiffrement avec {where} ({exc.reason or exc}) : vérifiez securite dans "
            "[courriel] (ssl pour le port 465, starttls pour le port 587)."
        ) from None
    except socket.gaierror:
        raise _ServerError(
            f"serveur « {settings.host} » introuvable : vérifiez [courriel] serveur et la "
            "connexion à Internet."
        ) from None
    except (TimeoutError, OSError) as exc:
        _close(connection)
        why = (
            "pas de réponse"
            if isinstance(exc, TimeoutError)
            else "connexion refusée"
            if isinstance(exc, ConnectionRefusedError)
            else exc.strerror or type(exc).__name__
        )
        raise _ServerError(
            f"connexion impossible au serveur {where} ({why}) : vérifiez [courriel] serveur et "
            "port, et que le serveur est joignable depuis ce poste."
        ) from None
    return connection


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


def _refused(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    parts = [f"{address} ({_reply(*reply)})" for address, reply in recipients.items()]
    return (
        f"adresse refusée par le serveur : {', '.join(parts)}. Vérifiez l'adresse dans la liste "
        "des salariés."
    )


def _ledger_entry(mail: OutgoingMail) -> SentMail:
    return SentMail(
        purpose=mail.purpose,
        campaign=mail.campaign,
        recipient=mail.recipient.address,
        matricule=mail.recipient.matricule,
        subject=mail.subject,
        message_id=mail.message_id,
        attachments=mail.attachments_json(),
    )


def _attachments(mail: SentMail) -> set[str]:
    try:
        entries = json.loads(mail.attachments)
    except ValueError:
        return set()
    if not isinstance(entries, list):
        return set()
    return {str(e["reference"]) for e in entries if isinstance(e, dict) and "reference" in e}


def _write_eml(workspace: Workspace, mail: OutgoingMail, number: int) -> MailOutcome:
    folder = workspace.outbox / safe_filename(mail.campaign) / DRY_RUN_FOLDER
    name = safe_filename(f"{number:02d}-{mail.purpose}-{mail.recipient.address}", max_length=80)
    path = folder / f"{name}.eml"
    write_atomically(path, mail.message.as_bytes())
    return MailOutcome(
        mail.recipient.address, mail.subject, "essai", path=path.relative_to(workspace.root)
    )


def _own_address(item: FormFiles) -> Recipient | Skipped:
    employee = item.employee
    if not employee.email:
        return Skipped(
            f"{employee.full_name} ({employee.matricule})",
            "pas d'adresse e-mail : renseignez la colonne « E-mail » dans la liste des salariés, "
            "puis importez-la.",
        )
    return Recipient(
        address=employee.email,
        prenom=employee.prenom,
        nom=employee.nom,
        matricule=employee.matricule,
    )
