"""The mail servers the tests run against (``mailserver.py``) behave as real ones.

Dovecot: login (plain, STARTTLS, IMAPS), APPEND, LIST, FETCH, UID MOVE, a new
mailbox for each test. aiosmtpd: sending with and without AUTH, AUTH required,
a refused recipient.
"""

from __future__ import annotations

import imaplib
import smtplib
import time
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest
from mailserver import (
    SPECIAL_FOLDERS,
    ImapServer,
    SmtpServer,
    decode_folder,
    encode_folder,
    quote,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def message(subject: str, *, attachment: bytes = b"PK\x03\x04 not really a docx") -> bytes:
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["From"] = "Claire Martin <claire.martin@exemple.test>"
    mail["To"] = "Service RH <rh@exemple.test>"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{abs(hash(subject))}@exemple.test>"
    mail.set_content("Bonjour,\n\nVoici l'entretien annuel complété.\n\nClaire\n")
    mail.add_attachment(
        attachment,
        maintype=DOCX.split("/")[0],
        subtype=DOCX.split("/")[1],
        filename="Entretien annuel – Éloïse Lefèvre.docx",
    )
    return mail.as_bytes()


@pytest.mark.parametrize("name", ["INBOX", "Traités", "Entretiens/2026 & après", "日本"])
def test_folder_names_round_trip_through_modified_utf7(name: str) -> None:
    assert decode_folder(encode_folder(name)) == name
    assert encode_folder(name).isascii()


def test_known_modified_utf7_forms() -> None:
    assert encode_folder("Traités") == "Trait&AOk-s"
    assert encode_folder("A&B") == "A&-B"
    assert decode_folder("Envoy&AOk-s") == "Envoyés"


@pytest.mark.integration
class TestDovecot:
    def test_greeting_login_and_capabilities(self, imap_server: ImapServer) -> None:
        client = imap_server.connect(login=False)
        try:
            assert b"Dovecot" in client.welcome
            assert "STARTTLS" in client.capabilities
            assert client.login(imap_server.user, imap_server.password)[0] == "OK"
            typ, data = client.capability()
            assert typ == "OK"
            capabilities = data[0].split()
            for needed in (b"MOVE", b"UIDPLUS", b"IDLE", b"SPECIAL-USE"):
                assert needed in capabilities
        finally:
            client.logout()

    def test_a_wrong_password_is_refused_at_once(self, imap_server: ImapServer) -> None:
        client = imap_server.connect(login=False)
        started = time.monotonic()
        try:
            with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                client.login(imap_server.user, "pas le bon")
        finally:
            client.logout()
        assert time.monotonic() - started < 1.5  # auth_failure_delay = 0

    def test_starttls_and_imaps(self, imap_server: ImapServer) -> None:
        plain = imap_server.connect(login=False)
        try:
            plain.starttls(imap_server.ssl_context())
            assert plain.login(imap_server.user, imap_server.password)[0] == "OK"
        finally:
            plain.logout()
        secure = imaplib.IMAP4_SSL(
            imap_server.host, imap_server.ssl_port, ssl_context=imap_server.ssl_context()
        )
        try:
            assert secure.login(imap_server.user, imap_server.password)[0] == "OK"
        finally:
            secure.logout()

    def test_each_test_starts_with_an_empty_mailbox(self, imap_server: ImapServer) -> None:
        assert imap_server.folders() == ["INBOX", *SPECIAL_FOLDERS]
        assert imap_server.messages("INBOX") == []
        imap_server.append("INBOX", message("un"))
        imap_server.append("Traités", message("deux"))
        imap_server.dovecot.fresh_mailbox()  # what the fixture does before each test
        assert imap_server.messages("INBOX") == []
        assert "Traités" not in imap_server.folders()

    def test_append_list_and_fetch_return_the_same_bytes(self, imap_server: ImapServer) -> None:
        raws = [message(f"Entretien {n}", attachment=bytes(range(256)) * 40) for n in range(3)]
        for raw in raws:
            imap_server.append("INBOX", raw)
        imap_server.append("Entretiens/Traités", message("ailleurs"), flags="\\Seen")

        assert imap_server.messages("INBOX") == raws
        assert "Entretiens/Traités" in imap_server.folders()
        ((_uid, flags, _raw),) = imap_server.fetch_all("Entretiens/Traités")
        assert "\\Seen" in flags
        # BODY.PEEK leaves messages unread.
        assert all("\\Seen" not in flags for _uid, flags, _raw in imap_server.fetch_all())

    def test_uid_move_between_folders(self, imap_server: ImapServer) -> None:
        for n in range(3):
            imap_server.append("INBOX", message(f"Entretien {n}"))
        imap_server.create("Traités")
        with imap_server.session() as client:
            client.select("INBOX")
            typ, data = client.uid("SEARCH", "ALL")
            uids = data[0].split()
            assert typ == "OK"
            assert len(uids) == 3
            typ, data = client.uid("MOVE", uids[1].decode(), quote(encode_folder("Traités")))
            assert typ == "OK", data
        inbox = imap_server.messages("INBOX")
        moved = imap_server.messages("Traités")
        assert len(inbox) == 2
        assert len(moved) == 1
        assert b"Subject: Entretien 1" in moved[0]


class TestSmtp:
    def test_sending_without_auth(self, smtp_server: SmtpServer) -> None:
        raw = message("Votre entretien annuel")
        with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
            refused = client.sendmail(
                "rh@exemple.test", ["claire.martin@exemple.test", "paul@exemple.test"], raw
            )
        assert refused == {}
        (received,) = smtp_server.received
        assert received.mail_from == "rh@exemple.test"
        assert received.rcpt_tos == ["claire.martin@exemple.test", "paul@exemple.test"]
        assert received.content == raw
        assert received.login is None

    def test_sending_with_auth(self, smtp_server: SmtpServer) -> None:
        smtp_server.require_auth = True
        with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("rh@exemple.test", ["a@exemple.test"], message("x"))
            assert refused.value.smtp_code == 530
            client.login(smtp_server.user, smtp_server.password)
            client.sendmail("rh@exemple.test", ["a@exemple.test"], message("y"))
        (received,) = smtp_server.received
        assert received.login == smtp_server.user

    def test_a_wrong_password_is_refused(self, smtp_server: SmtpServer) -> None:
        with (
            smtplib.SMTP(smtp_server.host, smtp_server.port) as client,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            client.login(smtp_server.user, "pas le bon")

    def test_a_refused_recipient(self, smtp_server: SmtpServer) -> None:
        smtp_server.refuse("Parti@Exemple.test")
        with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
            refused = client.sendmail(
                "rh@exemple.test", ["parti@exemple.test", "ok@exemple.test"], message("z")
            )
            assert refused["parti@exemple.test"][0] == 550
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("rh@exemple.test", ["parti@exemple.test"], message("w"))
        (received,) = smtp_server.received
        assert received.rcpt_tos == ["ok@exemple.test"]
