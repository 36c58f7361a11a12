"""Measure mail throughput on real local servers: aiosmtpd (SMTP) and Dovecot (IMAP).

Run from the repository root with the project's virtualenv (the test extra:
aiosmtpd and pytest; Dovecot from Debian's ``dovecot-imapd``):

    python bench/bench_mail.py [--messages 500] [--size 50] [--batch 50]

The servers are the test fixtures' (``tests/mailserver.py``): an aiosmtpd
``Controller`` and a throw-away ``dovecot -F`` in a temporary folder, both on
127.0.0.1. The script builds ``--messages`` messages of about ``--size`` KB
each (a short text and a .docx-like attachment: a zip of random bytes, so
incompressible, base64 in the message), then times, in the same run:

- sending them all with smtplib over one connection (``sendmail`` per
  message), then with a new connection (EHLO, QUIT) per message;
- APPENDing them to a Dovecot folder (the setup of the next step);
- fetching them all with imaplib, ``UID FETCH n BODY.PEEK[]`` one message at a
  time, then ``--batch`` messages per command, over plain IMAP and IMAPS
  (login excluded);
- the project's own code on the same servers and messages, in a new workspace
  whose ``[courriel]`` points at them (no TLS): ``mail.send.deliver`` (what
  ``entretien courriel envoyer`` runs once the messages are composed: one
  connection, AUTH, the SQLite ledger) and ``mail.collect.collect_mailbox``
  (headers, download, ``.eml`` into ``inbox/``, ledger, UID MOVE to Traités).

Every count is checked (the messages the SMTP server stored, the bytes
fetched back against the bytes appended): it exits with 1 on a mismatch, 2 if
Dovecot is missing, else 0. A benchmark for maintainers, not a test.
"""

from __future__ import annotations

import argparse
import imaplib
import io
import random
import shutil
import smtplib
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mailserver import (  # the test fixtures' servers
    IMAP_PASSWORD,
    IMAP_USER,
    ImapServer,
    SmtpServer,
    find_dovecot,
    quote,
    start_dovecot,
    start_smtp,
)

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
FOLDER = "Retours"
ENVIRON = {"ENTRETIEN_COURRIEL_MOT_DE_PASSE": IMAP_PASSWORD}


def docx_like(size: int, rng: random.Random) -> bytes:
    """A zip shaped like a .docx ([Content_Types].xml, word/document.xml), ``size`` bytes or so."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", rng.randbytes(max(size - 300, 0)))
    return buffer.getvalue()


def build_messages(count: int, size_kb: int, seed: int = 2026) -> list[bytes]:
    """``count`` returns from managers, about ``size_kb`` KB each once encoded."""
    rng = random.Random(seed)
    attachment_size = size_kb * 1024 * 3 // 4 - 1500  # base64 grows it by 4/3
    messages = []
    for number in range(1, count + 1):
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["From"] = f"Manager {number} <manager{number}@exemple.test>"
        mail["To"] = "Service RH <rh@exemple.test>"
        mail["Subject"] = f"Entretien annuel EA-2026-{number:05d} complété"
        mail["Message-ID"] = f"<bench-{number}@exemple.test>"
        mail.set_content("Bonjour,\n\nVous trouverez l'entretien complété en pièce jointe.\n")
        mail.add_attachment(
            docx_like(attachment_size, rng),
            maintype=DOCX[0],
            subtype=DOCX[1],
            filename=f"EA-2026-{number:05d}.docx",
        )
        messages.append(mail.as_bytes())
    return messages


def timed(run: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = run()
    return time.perf_counter() - started, count


def send_reusing(server: SmtpServer, messages: Sequence[bytes]) -> int:
    with smtplib.SMTP(server.host, server.port) as client:
        for raw in messages:
            client.sendmail("rh@exemple.test", ["manager@exemple.test"], raw)
    return len(messages)


def send_one_by_one(server: SmtpServer, messages: Sequence[bytes]) -> int:
    for raw in messages:
        with smtplib.SMTP(server.host, server.port) as client:
            client.sendmail("rh@exemple.test", ["manager@exemple.test"], raw)
    return len(messages)


def append_all(server: ImapServer, messages: Sequence[bytes]) -> int:
    server.create(FOLDER)
    with server.session() as client:
        for raw in messages:
            typ, data = client.append(quote(FOLDER), None, None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND: {data!r}")
    return len(messages)


def fetch_all(client: imaplib.IMAP4, batch: int) -> list[bytes]:
    """Every message of ``FOLDER``, ``batch`` per UID FETCH command."""
    typ, data = client.select(quote(FOLDER), readonly=True)
    if typ != "OK":
        raise RuntimeError(f"SELECT: {data!r}")
    typ, data = client.uid("SEARCH", "ALL")
    uids = bytes(data[0] or b"").decode().split()
    found: list[bytes] = []
    for start in range(0, len(uids), batch):
        chunk = uids[start : start + batch]
        wanted = chunk[0] if len(chunk) == 1 else f"{chunk[0]}:{chunk[-1]}"
        typ, answer = client.uid("FETCH", wanted, "(BODY.PEEK[])")
        if typ != "OK":
            raise RuntimeError(f"FETCH: {answer!r}")
        found += [item[1] for item in answer if isinstance(item, tuple)]
    client.close()
    return found


def send_timed(
    send: Callable[[SmtpServer, Sequence[bytes]], int], messages: Sequence[bytes]
) -> tuple[float, list[bytes]]:
    """Seconds to ``send`` the messages to a new aiosmtpd, and the bytes it stored."""
    with start_smtp() as smtp:
        seconds, _ = timed(lambda: send(smtp, messages))
        return seconds, [item.content for item in smtp.received]


def fetch_timed(imap: ImapServer, batch: int, *, secure: bool) -> tuple[float, list[bytes]]:
    """Seconds to fetch the folder (login excluded), and the messages fetched."""
    client: imaplib.IMAP4
    if secure:
        client = imaplib.IMAP4_SSL(imap.host, imap.ssl_port, ssl_context=imap.ssl_context())
    else:
        client = imaplib.IMAP4(imap.host, imap.port)
    try:
        client.login(imap.user, imap.password)
        started = time.perf_counter()
        fetched = fetch_all(client, batch)
        return time.perf_counter() - started, fetched
    finally:
        client.logout()


PROJECT_TOML = """
[courriel]
serveur = "127.0.0.1"
port = {smtp_port}
securite = "aucune"
utilisateur = "rh@exemple.test"
expediteur = "rh@exemple.test"

[courriel.collecte]
serveur = "127.0.0.1"
port = {imap_port}
securite = "aucune"
utilisateur = "rh@exemple.test"
dossier = "INBOX"
dossier_traites = "Traités"
"""


def project_workspace(root: Path, smtp: SmtpServer, imap: ImapServer) -> Path:
    """A workspace whose ``[courriel]`` points at the two servers (no TLS)."""
    from entretien_forms.workspace import init_workspace

    init_workspace(root)
    config = root / "entretien.toml"
    with config.open("a", encoding="utf-8") as file:
        file.write(PROJECT_TOML.format(smtp_port=smtp.port, imap_port=imap.port))
    return root


def project_send(root: Path, smtp: SmtpServer, messages: Sequence[bytes]) -> tuple[float, int]:
    """``mail.send.deliver`` (what ``courriel envoyer`` runs once the messages are composed)."""
    from datetime import datetime
    from email import message_from_bytes
    from email.message import EmailMessage
    from email.policy import default

    from entretien_forms.mail.compose import OutgoingMail, Recipient
    from entretien_forms.mail.send import MailReport, deliver
    from entretien_forms.store import Store
    from entretien_forms.workspace import open_workspace

    workspace = open_workspace(root)
    mails = []
    for number, raw in enumerate(messages, start=1):
        message = message_from_bytes(raw, policy=default)
        assert isinstance(message, EmailMessage)
        recipient = Recipient(f"manager{number}@exemple.test", "Claire", "Martin", None)
        mails.append(OutgoingMail("envoi", "2026", recipient, (), message, ()))
    report = MailReport(campaign="2026", retry_command="")
    with Store.open(workspace.database_path) as store:
        started = time.perf_counter()
        deliver(workspace, store, mails, report, environ=ENVIRON, now=datetime.now())
        seconds = time.perf_counter() - started
    sent = sum(outcome.status == "envoye" for outcome in report.outcomes)
    return seconds, min(sent, len(smtp.received))


def project_collect(root: Path, imap: ImapServer, messages: Sequence[bytes]) -> tuple[float, int]:
    """``mail.collect.collect_mailbox`` on INBOX holding the messages (moved to Traités)."""
    from datetime import datetime

    from entretien_forms.mail.collect import collect_mailbox
    from entretien_forms.store import Store
    from entretien_forms.workspace import open_workspace

    imap.dovecot.fresh_mailbox()
    for raw in messages:
        imap.append("INBOX", raw)
    workspace = open_workspace(root)
    with Store.open(workspace.database_path) as store:
        started = time.perf_counter()
        report = collect_mailbox(workspace, store, datetime.now(), environ=ENVIRON)
        seconds = time.perf_counter() - started
    dropped = len(list(workspace.inbox.glob("*.eml")))
    return seconds, min(report.count("depose"), dropped, len(imap.messages("Traités")))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=500, help="messages sent and fetched")
    parser.add_argument("--size", type=int, default=50, help="size of a message, in KB")
    parser.add_argument("--batch", type=int, default=50, help="messages per FETCH command")
    options = parser.parse_args()
    if find_dovecot() is None:
        print("dovecot is not installed (Debian: dovecot-imapd)", file=sys.stderr)
        return 2

    messages = build_messages(options.messages, options.size)
    total_mb = sum(map(len, messages)) / 1e6
    count = len(messages)
    print("Mail benchmark")
    print(f"  {count} messages, {total_mb / count * 1000:.0f} KB each ({total_mb:.1f} MB in all)")
    failures: list[str] = []

    def report(label: str, seconds: float) -> None:
        print(
            f"  {label:44} {seconds:7.2f} s  {count / seconds:8.1f} messages/s"
            f"  {total_mb / seconds:6.1f} MB/s"
        )

    print()
    print("SMTP, smtplib to aiosmtpd on 127.0.0.1 (no TLS, no AUTH):")
    for label, send in (
        ("one connection for all", send_reusing),
        ("one connection per message", send_one_by_one),
    ):
        seconds, received = send_timed(send, messages)
        report(label, seconds)
        if received != messages:
            failures.append(f"SMTP {label}: {len(received)} messages stored, not the ones sent")

    print()
    print("IMAP, imaplib to Dovecot on 127.0.0.1:")
    root = Path(tempfile.mkdtemp(prefix="bench-mail-dovecot-"))
    started = time.perf_counter()
    dovecot = start_dovecot(root)
    print(f"  Dovecot started in {time.perf_counter() - started:.3f} s")
    try:
        imap = ImapServer(
            "127.0.0.1",
            dovecot.port,
            dovecot.ssl_port,
            IMAP_USER,
            IMAP_PASSWORD,
            dovecot.cafile,
            dovecot,
        )
        seconds, _ = timed(lambda: append_all(imap, messages))
        report("APPEND, one connection", seconds)
        for label, batch, secure in (
            ("FETCH BODY.PEEK[] one by one", 1, False),
            (f"FETCH BODY.PEEK[] {options.batch} at a time", options.batch, False),
            ("FETCH one by one, IMAPS", 1, True),
            (f"FETCH {options.batch} at a time, IMAPS", options.batch, True),
        ):
            seconds, fetched = fetch_timed(imap, batch, secure=secure)
            report(label, seconds)
            if fetched != messages:
                failures.append(f"IMAP {label}: {len(fetched)} messages, not the ones appended")

        print()
        print("The project's own functions, same servers and messages (no TLS):")
        with start_smtp() as smtp:
            smtp.password = IMAP_PASSWORD  # one password variable serves SMTP and IMAP
            work = Path(tempfile.mkdtemp(prefix="bench-mail-ws-"))
            try:
                project_workspace(work, smtp, imap)
                for label, measure in (
                    ("mail.send.deliver, AUTH", lambda: project_send(work, smtp, messages)),
                    ("mail.collect.collect_mailbox", lambda: project_collect(work, imap, messages)),
                ):
                    try:
                        seconds, done = measure()
                    except ImportError as exc:
                        print(f"  {label:44} skipped ({exc})")
                        continue
                    except Exception as exc:  # the project's code is what is measured
                        failures.append(f"{label}: {type(exc).__name__}: {exc}")
                        print(f"  {label:44} failed ({type(exc).__name__})")
                        continue
                    report(label, seconds)
                    if done != count:
                        failures.append(f"{label}: {done} of {count} messages went through")
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)

    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
