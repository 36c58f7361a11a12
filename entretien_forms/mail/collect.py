"""Collecting the mailbox managers reply to (IMAP): each new message into ``inbox/``.

For each message of ``[courriel.collecte] dossier``:

1. its Message-ID and size are read (``BODY.PEEK[HEADER.FIELDS]``, nothing
   marked as read); a message already recorded past ``telecharge`` is only
   moved (a crash between the drop and the move, last time);
2. it is downloaded whole (``BODY.PEEK[]``) and recorded ``telecharge``;
3. it is written into ``inbox/`` as a ``.eml`` file under a name of its own
   (whole, then linked to its name: the watcher never sees half a message),
   and recorded ``depose``; from there the inbox unpacks it like a message HR
   dropped (``unpack.py``, which records ``traite`` or ``refuse``);
4. only then is it moved to ``dossier_traites`` (created if missing): ``UID
   MOVE`` (RFC 6851) where the server offers it, else ``UID COPY``, ``\\Deleted``
   and ``EXPUNGE``.

A crash anywhere never ingests a message twice (its Message-ID is recorded,
and the inbox unpacks a Message-ID once) and never loses one (the server keeps
it until its ``.eml`` is safely in ``inbox/``). A status never goes back
(``Store.record_mail_received``).

A message over ``taille_max_message_mo`` is not downloaded: it is recorded
``refuse`` and moved, and the report names it.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from entretien_forms.config import MailCollectSettings
from entretien_forms.errors import MailError
from entretien_forms.mail.messages import header_facts
from entretien_forms.mail.secrets import mail_password
from entretien_forms.mail.unpack import write_new_file
from entretien_forms.sanitize import safe_filename
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
SECURITY_CHOICES = ("ssl", "starttls", "aucune")

CollectStatus = Literal["depose", "deja_recu", "trop_gros", "echec"]
_LABELS = {
    "depose": "DÉPOSÉ ",
    "deja_recu": "déjà reçu",
    "trop_gros": "REFUSÉ ",
    "echec": "ÉCHEC  ",
}


@dataclass(frozen=True)
class Collected:
    """What became of one message of the mailbox."""

    uid: str
    status: CollectStatus
    message_id: str
    sender: str
    subject: str
    file: Path | None = None  # depose: the .eml now in inbox/
    detail: str = ""  # French: why, for trop_gros and echec

    @property
    def line(self) -> str:
        what = f"« {self.subject or '(sans objet)'} » de {self.sender or 'expéditeur inconnu'}"
        tail = f" → inbox/{self.file.name}" if self.file is not None else ""
        reason = f" : {self.detail}" if self.detail else ""
        return f"{_LABELS[self.status]}  {what}{tail}{reason}"


@dataclass
class CollectReport:
    """Every message looked at in one run, in the mailbox's order."""

    folder: str
    done_folder: str
    items: list[Collected] = field(default_factory=list)

    def count(self, status: CollectStatus) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def exit_code(self) -> int:
        """1 when a message could not be collected or was refused, else 0."""
        return 1 if self.count("echec") or self.count("trop_gros") else 0

    def lines(self) -> list[str]:
        return [item.line for item in self.items]


def collect_mailbox(
    workspace: Workspace,
    store: Store,
    now: datetime,
    *,
    environ: Mapping[str, str],
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> CollectReport:
    """Bring every message of the collecting folder into ``inbox/``, then move it aside.

    ``environ``: the process environment, where the password may be
    (``[courriel] variable_mot_de_passe``, else the keyring: ``secrets.py``).
    ``MailError`` (French) when the server cannot be reached, refuses
    the login, or the folder does not exist; a message that fails is reported
    and the others go on.
    """
    settings = workspace.settings.mail.collect
    if not settings.host:
        raise MailError(
            "La collecte des courriels n'est pas configurée : renseignez [courriel.collecte] "
            "serveur (et utilisateur) dans entretien.toml."
        )
    if not settings.user:
        raise MailError(
            f"Aucun utilisateur pour la boîte {settings.host} : renseignez [courriel.collecte] "
            "utilisateur dans entretien.toml."
        )
    password = mail_password(
        host=settings.host,
        user=settings.user,
        variable=workspace.settings.mail.password_variable,
        environ=environ,
    )
    report = CollectReport(settings.folder, settings.done_folder)
    imap = _connect(settings, ssl_context, timeout)
    try:
        _login(imap, settings, password or "")
        _select(imap, settings)
        uids = _uids(imap)
        if uids:
            _ensure_folder(imap, settings)
        limit = settings.max_message_mb * 1_000_000
        for uid in uids:
            item = _collect_one(imap, uid, workspace, store, now, settings, limit)
            _LOGGER.info("collected %s: %s %s", uid, item.status, item.detail)
            report.items.append(item)
        if uids and "MOVE" not in imap.capabilities:
            imap.expunge()
    except (imaplib.IMAP4.abort, ConnectionError, TimeoutError, ssl.SSLError) as exc:
        raise MailError(
            f"La connexion au serveur {settings.host} a été coupée pendant la collecte "
            f"({_why(exc)}). Les courriels déjà déposés dans inbox/ sont gardés ; relancez "
            "« entretien courriel collecter » pour la suite."
        ) from None
    finally:
        _logout(imap)
    return report


# --------------------------------------------------------------------------- one message


def _collect_one(
    imap: imaplib.IMAP4,
    uid: str,
    workspace: Workspace,
    store: Store,
    now: datetime,
    settings: MailCollectSettings,
    limit: int,
) -> Collected:
    try:
        head, size = _headers_and_size(imap, uid)
        message_id, sender, subject, sent = header_facts(head)
        has_id = _has_message_id(head)
        known = store.received_mail(message_id) if has_id else None
        if known is not None and known.status != "telecharge":
            return _moved(imap, uid, settings, "deja_recu", message_id, sender, subject)
        if size > limit:
            detail = (
                f"courriel de {-(-size // 1_000_000)} Mo, au-delà de la limite de "
                f"{settings.max_message_mb} Mo : non téléchargé, rangé dans "
                f"« {settings.done_folder} » ; demandez à l'expéditeur d'envoyer ses formulaires "
                "en plusieurs courriels"
            )
            store.record_mail_received(
                message_id, sender=sender, subject=subject, sent_date=sent, now=now,
                status="refuse", detail=detail,
            )  # fmt: skip
            item = _moved(imap, uid, settings, "trop_gros", message_id, sender, subject)
            return item if item.status == "echec" else _with(item, detail=detail)
        data = _download(imap, uid)
        message_id, sender, subject, sent = header_facts(data)  # the same id unpack reads
        known = store.received_mail(message_id)
        if known is not None and known.status != "telecharge":
            return _moved(imap, uid, settings, "deja_recu", message_id, sender, subject)
        store.record_mail_received(
            message_id, sender=sender, subject=subject, sent_date=sent, now=now,
            status="telecharge",
        )  # fmt: skip
        stem = safe_filename(subject or "sans-objet", max_length=50)
        target = write_new_file(workspace.inbox, f"courriel-{now:%Y%m%d-%H%M%S}-{stem}.eml", data)
        store.record_mail_received(
            message_id, sender=sender, subject=subject, sent_date=sent, now=now, status="depose"
        )
        item = _moved(imap, uid, settings, "depose", message_id, sender, subject)
        return _with(item, file=target)
    except imaplib.IMAP4.abort:
        raise  # the connection is gone: the run stops, the next one takes up from here
    except imaplib.IMAP4.error as exc:
        return Collected(uid, "echec", "", "", "", detail=f"réponse du serveur : {_why(exc)}")


def _moved(
    imap: imaplib.IMAP4,
    uid: str,
    settings: MailCollectSettings,
    status: CollectStatus,
    message_id: str,
    sender: str,
    subject: str,
) -> Collected:
    """Move the message to the done folder; an ``echec`` line if the server refuses."""
    target = _mailbox(settings.done_folder)
    if "MOVE" in imap.capabilities:
        typ, data = imap.uid("MOVE", uid, target)
    else:
        typ, data = imap.uid("COPY", uid, target)
        if typ == "OK":
            typ, data = imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    if typ != "OK":
        kept = "déposé dans inbox/, mais " if status == "depose" else ""
        return Collected(
            uid,
            "echec",
            message_id,
            sender,
            subject,
            detail=f"{kept}non déplacé dans « {settings.done_folder} » ({_text(data)}) ; "
            "il sera seulement déplacé à la prochaine collecte",
        )
    return Collected(uid, status, message_id, sender, subject)


def _with(item: Collected, **changes: Any) -> Collected:
    values = {**item.__dict__, **changes}
    return Collected(**values)


# --------------------------------------------------------------------------- IMAP


def _connect(
    settings: MailCollectSettings, context: ssl.SSLContext | None, timeout: float
) -> imaplib.IMAP4:
    security = settings.security.strip().lower()
    if security not in SECURITY_CHOICES:
        raise MailError(
            f"[courriel.collecte] securite vaut « {settings.security} » : valeurs possibles "
            "« ssl » (port 993), « starttls » (port 143) ou « aucune » (réseau de confiance)."
        )
    where = f"{settings.host}:{settings.port}"
    context = context or ssl.create_default_context()
    try:
        if security == "ssl":
            return imaplib.IMAP4_SSL(
                settings.host, settings.port, ssl_context=context, timeout=timeout
            )
        imap = imaplib.IMAP4(settings.host, settings.port, timeout=timeout)
        if security == "starttls":
            try:
                imap.starttls(context)
            except imaplib.IMAP4.error as exc:
                _logout(imap)
                raise MailError(
                    f"Le serveur {where} refuse le chiffrement STARTTLS ({_why(exc)}) : "
                    "essayez [courriel.collecte] securite = « ssl » avec le port 993."
                ) from None
            except BaseException:
                _logout(imap)
                raise
        return imap
    except ssl.SSLCertVerificationError as exc:
        raise MailError(
            f"Le certificat du serveur {where} n'est pas reconnu ({exc.verify_message}) : "
            "vérifiez le nom du serveur dans [courriel.collecte] serveur, ou demandez à votre "
            "prestataire un certificat valide."
        ) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailError(
            f"Le serveur de courriel {where} ne répond pas ({_why(exc)}) : vérifiez "
            "[courriel.collecte] serveur, port et securite dans entretien.toml, et la "
            "connexion au réseau, puis relancez la collecte."
        ) from None


def _login(imap: imaplib.IMAP4, settings: MailCollectSettings, password: str) -> None:
    try:
        imap.login(settings.user, password)
    except imaplib.IMAP4.error as exc:
        raise MailError(
            f"Le serveur {settings.host} refuse la connexion de {settings.user} ({_why(exc)}) : "
            "vérifiez [courriel.collecte] utilisateur et le mot de passe enregistré "
            "(« entretien courriel mot-de-passe » ou la variable d'environnement)."
        ) from None
    except UnicodeEncodeError:
        raise MailError(
            f"Le mot de passe ou l'utilisateur de {settings.host} contient des caractères "
            "accentués, que la connexion IMAP simple ne transmet pas : changez-le, ou "
            "demandez à votre prestataire."
        ) from None


def _select(imap: imaplib.IMAP4, settings: MailCollectSettings) -> None:
    typ, data = imap.select(_mailbox(settings.folder))
    if typ != "OK":
        raise MailError(
            f"Le dossier « {settings.folder} » n'existe pas dans la boîte {settings.user} sur "
            f"{settings.host} ({_text(data)}) : corrigez [courriel.collecte] dossier dans "
            "entretien.toml (« INBOX » pour la boîte de réception)."
        )


def _uids(imap: imaplib.IMAP4) -> list[str]:
    # Not the messages flagged \Deleted: already copied, waiting for EXPUNGE (no MOVE).
    typ, data = imap.uid("SEARCH", "UNDELETED")
    if typ != "OK":
        raise MailError(f"Le serveur refuse de lister les courriels ({_text(data)}).")
    found = (data[0] or b"").split() if data else []
    return [uid.decode("ascii") for uid in found if uid.isdigit()]


def _ensure_folder(imap: imaplib.IMAP4, settings: MailCollectSettings) -> None:
    """Create the done folder if the server does not have it."""
    target = _mailbox(settings.done_folder)
    typ, data = imap.list('""', target)
    if typ == "OK" and any(item is not None for item in data):
        return
    typ, data = imap.create(target)
    if typ != "OK" and b"ALREADYEXISTS" not in _raw(data):
        raise MailError(
            f"Le dossier « {settings.done_folder} » n'a pas pu être créé sur {settings.host} "
            f"({_text(data)}) : créez-le dans votre messagerie, ou changez [courriel.collecte] "
            "dossier_traites dans entretien.toml."
        )


def _headers_and_size(imap: imaplib.IMAP4, uid: str) -> tuple[bytes, int]:
    typ, data = imap.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    if typ != "OK":
        raise imaplib.IMAP4.error(_text(data))
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            size = re.search(rb"RFC822\.SIZE (\d+)", item[0])
            return bytes(item[1]), int(size.group(1)) if size else 0
    raise imaplib.IMAP4.error("message disparu du dossier")


def _download(imap: imaplib.IMAP4, uid: str) -> bytes:
    typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.error(_text(data))
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and b"BODY[]" in item[0]:
            return bytes(item[1])
    raise imaplib.IMAP4.error("message disparu du dossier")


def _has_message_id(head: bytes) -> bool:
    return bool(re.search(rb"(?im)^message-id:\s*<", head))


def _logout(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        imap.logout()


def _mailbox(name: str) -> str:
    """A folder name as an IMAP argument: modified UTF-7 (RFC 3501 §5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _raw(data: Any) -> bytes:
    return b" ".join(d for d in (data or []) if isinstance(d, bytes))


def _text(data: Any) -> str:
    return _raw(data).decode("utf-8", "replace").strip() or "sans détail"


def _why(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or type(exc).__name__).strip()
