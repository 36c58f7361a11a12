"""Messages to send: who gets which forms, worded from HR's templates, split by size.

The wording lives in the workspace's ``templates/`` folder (``courriel-envoi.txt``,
``courriel-relance.txt``, ``courriel-autoevaluation.txt``, copied by ``entretien
init``): the first line is ``Objet : …``, the body follows. They are Jinja2
templates rendered in the project's sandboxed environment, so a template
received from elsewhere cannot reach Python internals, and a misspelt
variable is an error naming the file.

A manager's message carries the team's forms as issued (the Word and the PDF
file of each); past ``pieces_jointes_max_mo`` the forms are spread over
several messages, "(1/2)", "(2/2)", never one form's files apart.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from entretien_forms.config import MailSettings
from entretien_forms.errors import MailError
from entretien_forms.forms.jinja import ENV
from entretien_forms.forms.model import KIND_LABELS
from entretien_forms.roster import Employee
from entretien_forms.store import IssuedForm
from entretien_forms.workspace import Workspace

PURPOSE_SEND = "envoi"
PURPOSE_REMINDER = "relance"
TEMPLATE_SEND = "courriel-envoi.txt"
TEMPLATE_REMINDER = "courriel-relance.txt"
TEMPLATE_SELF_ASSESSMENT = "courriel-autoevaluation.txt"
# Blocks on lines of their own leave no blank line behind: the templates stay readable.
_MAIL_ENV = ENV.overlay(trim_blocks=True, lstrip_blocks=True)
_UNDEFINED = re.compile(r"'(.+)' is undefined")
_SUBJECT = re.compile(r"\s*objet\s*:\s*(?P<subject>.*)", re.IGNORECASE)
_MIME_TYPES = {
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".pdf": ("application", "pdf"),
}


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: a manager (their team's forms) or an employee (their own)."""

    address: str
    prenom: str
    nom: str
    matricule: str | None

    @property
    def full_name(self) -> str:
        return f"{self.prenom} {self.nom}".strip()


@dataclass(frozen=True)
class FormFiles:
    """An issued form and the files of it that exist, to attach together."""

    form: IssuedForm
    employee: Employee
    files: tuple[Path, ...]  # absolute
    relative: tuple[str, ...]  # below the outbox, as the ledger has them

    @property
    def encoded_size(self) -> int:
        """Bytes the files take in a message (base64, lines of 76 characters)."""
        return sum(_encoded(path.stat().st_size) for path in self.files)


@dataclass(frozen=True)
class Skipped:
    """Something that is not sent, and why, in French (no address, no manager…)."""

    who: str
    reason: str


@dataclass(frozen=True)
class OutgoingMail:
    """A message ready for the server (or for a ``.eml`` file), and what it is for."""

    purpose: str
    campaign: str
    recipient: Recipient
    forms: tuple[FormFiles, ...]
    message: EmailMessage
    attached: tuple[str, ...]  # files attached, relative to the outbox

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def attachments_json(self) -> str:
        """What ``mail_sent.attachments`` keeps: each form's reference and its files."""
        entries = [
            {"reference": f.form.reference, "fichier": path}
            for f in self.forms
            for path in (f.relative if self.attached else ())
        ]
        if not self.attached:  # a reminder: the forms it is about, no file
            entries = [{"reference": f.form.reference, "fichier": ""} for f in self.forms]
        return json.dumps(entries, ensure_ascii=False)


@dataclass
class Batch:
    """The messages a command would send, and what it leaves out."""

    mails: list[OutgoingMail] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_deadline(settings: MailSettings) -> date | None:
    """``[courriel] date_limite`` (jj/mm/aaaa), None when not set."""
    text = settings.deadline.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise MailError(
            f"entretien.toml, [courriel] date_limite : date impossible « {text} » "
            "(format attendu jj/mm/aaaa, par exemple 15/12/2026)."
        ) from None


def check_settings(settings: MailSettings, *, need_server: bool) -> None:
    """Stop early, naming the key, when the settings cannot send anything."""
    if need_server and not settings.host.strip():
        raise MailError(
            "Aucun serveur d'envoi : renseignez la section [courriel] d'entretien.toml (clé "
            "serveur, et port, securite, utilisateur, expediteur ; exemples commentés dans le "
            "fichier), ou essayez sans rien envoyer avec --essai."
        )
    if "@" not in settings.sender:
        raise MailError(
            "entretien.toml, [courriel] expediteur : indiquez l'adresse qui envoie les "
            'messages, par exemple expediteur = "rh@exemple.fr".'
        )


def form_files(workspace: Workspace, form: IssuedForm, employee: Employee) -> FormFiles:
    """The files of ``form`` to attach; a missing file is an error naming it."""
    relative = tuple(p for p in (form.docx_path, form.pdf_path) if p)
    files = tuple(workspace.outbox / p for p in relative)
    for path, rel in zip(files, relative, strict=True):
        if not path.is_file():
            raise MailError(
                f"Formulaire {form.reference} ({employee.full_name}) : le fichier outbox/{rel} "
                "est introuvable. Remettez-le en place, ou émettez une nouvelle version avec "
                f"« entretien generate --kind {form.kind} --only {employee.matricule} --force »."
            )
    return FormFiles(form=form, employee=employee, files=files, relative=relative)


def group_by_manager(
    items: Sequence[FormFiles], roster: Mapping[str, Employee]
) -> list[tuple[Recipient | Skipped, list[FormFiles]]]:
    """Forms by the manager who holds the interviews, with that manager's address.

    The manager is the roster's (``Responsable``, resolved to a matricule); their
    address is their own ``E-mail``, else the team's ``E-mail responsable``. A
    team whose manager is not an employee is grouped by that address.
    """
    teams: dict[tuple[str, str], list[FormFiles]] = {}
    for item in items:
        employee = item.employee
        if employee.manager_matricule and employee.manager_matricule in roster:
            key = ("matricule", employee.manager_matricule)
        elif employee.email_manager:
            key = ("email", employee.email_manager.lower())
        else:
            key = ("", "")
        teams.setdefault(key, []).append(item)
    return [(_recipient(kind, value, team, roster), team) for (kind, value), team in teams.items()]


def _recipient(
    kind: str, value: str, team: Sequence[FormFiles], roster: Mapping[str, Employee]
) -> Recipient | Skipped:
    names = ", ".join(f.employee.full_name for f in team)
    if kind == "email":
        manager_name = next((f.employee.manager for f in team if f.employee.manager), "") or ""
        return Recipient(address=value, prenom=manager_name, nom="", matricule=None)
    if kind == "":
        return Skipped(
            f"Sans responsable ({names})",
            "aucun responsable connu : indiquez-le dans la colonne « Responsable » de la liste "
            "des salariés, ou remettez ces formulaires à la main.",
        )
    manager = roster[value]
    address = manager.email or next(
        (f.employee.email_manager for f in team if f.employee.email_manager), None
    )
    if not address:
        return Skipped(
            f"{manager.full_name} ({manager.matricule})",
            "pas d'adresse e-mail : renseignez la colonne « E-mail » de ce responsable (ou "
            "« E-mail responsable » de son équipe) dans la liste des salariés, puis importez-la.",
        )
    return Recipient(
        address=address, prenom=manager.prenom, nom=manager.nom, matricule=manager.matricule
    )


def compose(
    workspace: Workspace,
    *,
    template: str,
    purpose: str,
    campaign: str,
    recipient: Recipient,
    forms: Sequence[FormFiles],
    now: datetime,
    attach: bool = True,
    extra: Mapping[str, Any] | None = None,
    auto_submitted: str | None = None,
) -> list[OutgoingMail]:
    """The message(s) to ``recipient`` about ``forms``: several when the files are too heavy."""
    settings = workspace.settings.mail
    source = load_template(workspace, template)
    parts = split_by_size(forms, settings.max_attachments_mb * 1024 * 1024) if attach else [forms]
    deadline = parse_deadline(settings)
    mails = []
    for number, part in enumerate(parts, start=1):
        context: dict[str, Any] = {
            "entreprise": workspace.settings.company.name,
            "campagne": campaign,
            "date_limite": deadline.strftime("%d/%m/%Y") if deadline else "",
            "expediteur": settings.sender_name,
            "destinataire": {
                "prenom": recipient.prenom,
                "nom": recipient.nom,
                "nom_complet": recipient.full_name,
            },
            "salaries": [_employee_context(f, attach) for f in part],
            "partie": number,
            "parties": len(parts),
            **(extra or {}),
        }
        subject, body = render_template(source, template, context)
        files = [path for f in part for path in f.files] if attach else []
        message = build_message(
            settings,
            to=recipient,
            subject=subject,
            body=body,
            attachments=files,
            now=now,
            auto_submitted=auto_submitted,
        )
        attached = tuple(rel for f in part for rel in f.relative) if attach else ()
        mails.append(
            OutgoingMail(
                purpose=purpose,
                campaign=campaign,
                recipient=recipient,
                forms=tuple(part),
                message=message,
                attached=attached,
            )
        )
    return mails


def load_template(workspace: Workspace, name: str) -> str:
    """HR's wording from ``templates/``, else the built-in one."""
    path = workspace.templates_dir / name
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MailError(
            f"templates/{name} : le fichier n'est pas en UTF-8 ; enregistrez-le en UTF-8 "
            "depuis votre éditeur de texte."
        ) from None
    return (resources.files("entretien_forms") / "workspace_files" / name).read_text("utf-8")


def render_template(source: str, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of a template whose first line is ``Objet : …``."""
    first, _, rest = source.lstrip("\n").partition("\n")
    found = _SUBJECT.fullmatch(first)
    if found is None or not found["subject"].strip():
        raise MailError(
            f"templates/{name} : la première ligne doit donner l'objet du message, par "
            "exemple « Objet : Formulaires d'entretien »."
        )
    subject = _render(found["subject"], name, context, first_line=1)
    body = _render(rest, name, context, first_line=2)
    subject = " ".join(subject.split())
    body = re.sub(r"\n{3,}", "\n\n", body.strip("\n")) + "\n"
    return subject, body


def _render(source: str, name: str, context: Mapping[str, Any], *, first_line: int) -> str:
    try:
        return _MAIL_ENV.from_string(source).render(context)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc)
        where = f", ligne {line + first_line - 1}" if line else ""
        undefined = _UNDEFINED.fullmatch(str(exc.message or ""))
        why = f"variable « {undefined[1]} » inconnue" if undefined else str(exc)
        raise MailError(
            f"templates/{name}{where} : modèle de message incorrect ({why}). Corrigez-le, ou "
            "supprimez le fichier et relancez « entretien init » pour retrouver celui fourni."
        ) from None


def _template_line(exc: BaseException) -> int | None:
    """The template line a rendering error happened on (Jinja2 names its frames so)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def build_message(
    settings: MailSettings,
    *,
    to: Recipient,
    subject: str,
    body: str,
    attachments: Iterable[Path],
    now: datetime,
    auto_submitted: str | None = None,
) -> EmailMessage:
    """A MIME message from the sender, with its own Message-ID on the sender's domain."""
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = formataddr((to.full_name, to.address)) if to.full_name else to.address
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(now if now.tzinfo else now.astimezone())
    message["Message-ID"] = make_msgid(domain=sender_domain(settings))
    if auto_submitted:
        # RFC 3834: a message sent by a program, not a person; no out-of-office reply.
        message["Auto-Submitted"] = auto_submitted
    message.set_content(body)
    for path in attachments:
        maintype, subtype = _MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def sender_domain(settings: MailSettings) -> str:
    return settings.sender.rpartition("@")[2].strip() or socket.gethostname()


def split_by_size(forms: Sequence[FormFiles], limit: int) -> list[Sequence[FormFiles]]:
    """Forms in order, packed into parts whose files stay under ``limit`` bytes (encoded).

    A form heavier than the limit alone goes in a part of its own: the server
    may still refuse it, and the report then says so.
    """
    parts: list[list[FormFiles]] = []
    size = 0
    for item in forms:
        weight = item.encoded_size
        if not parts or (size + weight > limit and parts[-1]):
            parts.append([])
            size = 0
        parts[-1].append(item)
        size += weight
    return list(parts) or [[]]


def _employee_context(item: FormFiles, attach: bool) -> dict[str, Any]:
    employee = item.employee
    return {
        "prenom": employee.prenom,
        "nom": employee.nom,
        "nom_complet": employee.full_name,
        "matricule": employee.matricule,
        "poste": employee.poste,
        "service": employee.service or "",
        "entretien": KIND_LABELS.get(item.form.kind, item.form.kind),
        "reference": item.form.reference,
        "fichiers": [p.name for p in item.files] if attach else [],
    }


def _encoded(size: int) -> int:
    base64 = (size + 2) // 3 * 4
    return base64 + base64 // 76 * 2
