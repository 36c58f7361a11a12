"""Returns by e-mail: a message's forms taken into the inbox, the mailbox collected (IMAP).

Messages are built in code with the standard library (``EmailMessage``), their
attachments real forms issued and filled by ``sample.returns.fill_docx``. The
IMAP tests run against the real Dovecot of ``tests/mailserver.py``.

Outlook .msg files are not tested end to end: no library we can install writes
one (extract-msg and olefile only read), and a binary fixture nobody can
rebuild is not committed. The .msg path is extract-msg's reading, behind the
same ``attachments_of``.
"""

from __future__ import annotations

import io
import socket
import zipfile
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from factories import issue_for_everyone, workspace_with_roster
from mailserver import ImapServer, free_port

from entretien_forms.config import MailSettings
from entretien_forms.errors import MailError, RejectedFile, RejectionCode
from entretien_forms.inbox.ingest import ingest_paths
from entretien_forms.inbox.model import Outcome
from entretien_forms.inbox.preflight import examine, message_kind
from entretien_forms.mail.acknowledge import acknowledgement
from entretien_forms.mail.collect import CollectReport, collect_mailbox
from entretien_forms.mail.messages import attachments_of
from entretien_forms.mail.unpack import UnpackReport, unpack_message
from entretien_forms.sample.returns import fill_docx
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace

NOW = datetime(2026, 12, 14, 9, 30)
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable;E-mail;Mail responsable\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;;claire.martin@exemple.fr;\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1;;Claire.Martin@exemple.fr\n"
)
MANAGER = "claire.martin@exemple.fr"
STRANGER = "pirate@ailleurs.test"
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PASSWORD_VARIABLE = "ENTRETIEN_COURRIEL_MOT_DE_PASSE"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """Claire Martin (manager, with an e-mail) and Éloïse Lefèvre (none: her manager's)."""
    return workspace_with_roster(tmp_path, ROSTER)


@pytest.fixture
def filled_docx(workspace: Workspace) -> bytes:
    """Éloïse's annual Word form, issued, then filled by her manager."""
    (form,) = [f for f in issue_for_everyone(workspace, "annuel") if f.matricule == "S2"]
    assert form.docx_path is not None
    return fill_docx(
        workspace.outbox / form.docx_path,
        {"entretien.date": "12/12/2026", "entretien.mode": "Visio"},
        {},
    )


def _eml(
    *files: tuple[str, bytes],
    sender: str = MANAGER,
    message_id: str = "<retour-1@exemple.fr>",
    subject: str = "Entretien d'Éloïse",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Claire Martin <{sender}>"
    message["To"] = "rh@exemple.fr"
    message["Subject"] = subject
    message["Date"] = "Mon, 14 Dec 2026 08:00:00 +0100"
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("Bonjour,\nVoici le formulaire rempli.\n")
    for name, data in files:
        maintype, subtype = DOCX_TYPE if name.endswith(".docx") else ("application", "zip")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _drop(workspace: Workspace, data: bytes, name: str = "retour.eml") -> Path:
    path = workspace.inbox / name
    path.write_bytes(data)
    return path


def _unpack(workspace: Workspace, path: Path) -> tuple[UnpackReport, Store]:
    store = Store.open(workspace.database_path)
    return unpack_message(workspace, store, path, NOW), store


# --------------------------------------------------------------------------- detection


def test_an_eml_is_told_by_its_headers_not_its_name(filled_docx: bytes) -> None:
    data = _eml(("f.docx", filled_docx))

    assert examine(data, "retour.txt").format == "message"
    assert message_kind(data) == "eml"
    assert examine(filled_docx, "retour.eml").format == "docx"
    with pytest.raises(RejectedFile) as refused:
        examine(b"Bonjour,\nvoici mon texte: rien de plus\n", "note.eml")
    assert refused.value.code == RejectionCode.WRONG_TYPE


def test_the_message_facts_are_read(filled_docx: bytes) -> None:
    data = _eml(("f.docx", filled_docx), headers={"References": "<a@x> <b@x>"})

    content = attachments_of(data, "retour.eml", "eml")

    assert content.sender == MANAGER and content.sender_name == "Claire Martin"
    assert content.message_id == "<retour-1@exemple.fr>"
    assert content.references == ("<a@x>", "<b@x>")
    assert content.date is not None and content.date.day == 14
    assert [a.name for a in content.attachments] == ["f.docx"]
    assert content.attachments[0].data == filled_docx
    assert not content.from_robot


# --------------------------------------------------------------------------- unpacking


def test_a_form_sent_by_its_manager_is_unpacked_then_ingested(
    workspace: Workspace, filled_docx: bytes
) -> None:
    path = _drop(workspace, _eml(("Entretien Éloïse.docx", filled_docx)))

    report, store = _unpack(workspace, path)
    with store:
        assert report.status == "unpacked"
        (written,) = report.written
        assert written.parent == workspace.inbox and written.name == "Entretien-Eloise.docx"
        assert not path.exists()
        assert (workspace.root / "archive" / "courriels" / "retour.eml").exists()
        received = store.received_mail("<retour-1@exemple.fr>")
        assert received is not None and received.status == "traite"
        assert received.sender == MANAGER
        outcomes = ingest_paths(workspace, store, [written], now=NOW, workers=1).outcomes

        assert [o.status for o in outcomes] == ["ok"]
        assert report.message is not None
        submission = store.submission_by_sha256(report.message.attachments[0].sha256)
        assert submission is not None
        source = store.mail_of_attachment(submission.sha256)
        assert source is not None and source.message_id == "<retour-1@exemple.fr>"


def test_the_same_message_twice_unpacks_nothing_the_second_time(
    workspace: Workspace, filled_docx: bytes
) -> None:
    data = _eml(("f.docx", filled_docx))
    first, store = _unpack(workspace, _drop(workspace, data))
    with store:
        second = unpack_message(workspace, store, _drop(workspace, data, "copie.eml"), NOW)

    assert first.status == "unpacked"
    assert second.status == "duplicate" and second.written == ()
    assert [p.name for p in workspace.inbox.iterdir()] == ["f.docx"]
    assert second.as_outcome().status == "duplicate"


def test_an_attachment_name_never_leaves_the_inbox(
    workspace: Workspace, filled_docx: bytes
) -> None:
    path = _drop(workspace, _eml(("../../x.docx", filled_docx)))

    report, store = _unpack(workspace, path)
    store.close()

    assert [p.name for p in report.written] == ["x.docx"]
    assert not (workspace.root.parent / "x.docx").exists()
    assert not (workspace.root / "x.docx").exists()


def test_a_name_already_in_the_inbox_is_kept_and_the_attachment_renamed(
    workspace: Workspace, filled_docx: bytes
) -> None:
    (workspace.inbox / "f.docx").write_bytes(b"another file")
    report, store = _unpack(workspace, _drop(workspace, _eml(("f.docx", filled_docx))))
    store.close()

    assert [p.name for p in report.written] == ["f-2.docx"]
    assert (workspace.inbox / "f.docx").read_bytes() == b"another file"


def test_an_unknown_sender_is_set_aside_with_a_note(
    workspace: Workspace, filled_docx: bytes
) -> None:
    path = _drop(workspace, _eml(("f.docx", filled_docx), sender=STRANGER))

    report, store = _unpack(workspace, path)
    with store:
        received = store.received_mail("<retour-1@exemple.fr>")

    assert report.status == "rejected" and report.written == ()
    assert report.rejection is not None and report.message is not None
    assert report.rejection.code == RejectionCode.UNKNOWN_SENDER
    assert report.destination == workspace.root / "rejected" / "retour.eml"
    note = (workspace.root / "rejected" / "retour.eml.txt").read_text(encoding="utf-8")
    assert STRANGER in note and "expediteurs_autorises" in note
    assert list(workspace.inbox.iterdir()) == []
    assert received is not None and received.status == "refuse"
    # Never a reply to a stranger: a forged sender would make us write to anyone.
    assert acknowledgement(report.as_outcome(), report.message, _mail(workspace)) is None


def test_an_allowed_domain_is_a_known_sender(workspace: Workspace, filled_docx: bytes) -> None:
    settings = workspace.settings
    collect = replace(settings.mail.collect, allowed_senders=("@ailleurs.test",))
    allowed = replace(
        workspace, settings=replace(settings, mail=replace(settings.mail, collect=collect))
    )
    path = _drop(allowed, _eml(("f.docx", filled_docx), sender=STRANGER))

    report, store = _unpack(allowed, path)
    store.close()

    assert report.status == "unpacked"


def test_a_message_over_the_size_limit_is_refused_unopened(workspace: Workspace) -> None:
    big = b"\x00" * 30_000_000  # 30 MB: 41 MB once in base64, over the 40 MB limit
    path = _drop(workspace, _eml(("scan.docx", big)))

    report, store = _unpack(workspace, path)
    store.close()

    assert report.status == "rejected" and report.rejection is not None
    assert report.rejection.code == RejectionCode.TOO_LARGE
    assert "40 Mo" in report.rejection.reason
    assert list(workspace.inbox.iterdir()) == []


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * 20_000_000)
    return buffer.getvalue()


def test_an_attached_zip_is_never_opened_and_is_named(workspace: Workspace) -> None:
    path = _drop(workspace, _eml(("formulaires.zip", _zip_bomb())))

    report, store = _unpack(workspace, path)
    store.close()

    assert report.rejection is not None
    assert report.rejection.code == RejectionCode.NO_ATTACHMENT
    assert "formulaires.zip" in report.rejection.reason
    assert list(workspace.inbox.iterdir()) == []


def test_a_zip_bomb_named_docx_is_refused_by_the_inbox(workspace: Workspace) -> None:
    path = _drop(workspace, _eml(("formulaire.docx", _zip_bomb())))

    report, store = _unpack(workspace, path)
    with store:
        outcomes = ingest_paths(workspace, store, list(report.written), now=NOW, workers=1)

    assert [(o.status, o.code) for o in outcomes.outcomes] == [
        ("rejected", RejectionCode.TOO_LARGE)
    ]


def test_a_forwarded_message_is_opened_one_level(workspace: Workspace, filled_docx: bytes) -> None:
    inner = EmailMessage()
    inner["From"] = "eloise@exemple.fr"
    inner["Subject"] = "mon formulaire"
    inner.set_content("ci-joint")
    inner.add_attachment(
        filled_docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename="f.docx"
    )
    deeper = EmailMessage()
    deeper["Subject"] = "encore"
    deeper.set_content("x")
    deeper.add_attachment(inner)
    outer = EmailMessage()
    outer["From"] = MANAGER
    outer["Message-ID"] = "<fwd@exemple.fr>"
    outer["Subject"] = "TR: mon formulaire"
    outer.set_content("transféré")
    outer.add_attachment(inner)
    outer.add_attachment(deeper)

    content = attachments_of(outer.as_bytes(), "fwd.eml", "eml")

    assert [a.name for a in content.attachments] == ["f.docx"]
    assert [r.reason for r in content.refused] == [
        "message transféré dans un message transféré : non ouvert"
    ]


def test_too_many_attachments_refuse_the_message(filled_docx: bytes) -> None:
    data = _eml(*[(f"f{n}.docx", filled_docx) for n in range(3)])

    with pytest.raises(RejectedFile) as refused:
        attachments_of(data, "retour.eml", "eml", max_attachments=2)

    assert refused.value.code == RejectionCode.TOO_MANY_ATTACHMENTS


# --------------------------------------------------------------------------- acknowledgement


def _mail(workspace: Workspace) -> MailSettings:
    return replace(workspace.settings.mail, sender="rh@exemple.fr", sender_name="Service RH")


def test_the_acknowledgement_is_a_threaded_french_reply(
    workspace: Workspace, filled_docx: bytes
) -> None:
    data = _eml(("f.docx", filled_docx), headers={"References": "<envoi@exemple.fr>"})
    content = attachments_of(data, "retour.eml", "eml")
    outcome = Outcome(Path("f.docx"), "ok", "OK", reference="EA-2026-00002")

    reply = acknowledgement(outcome, content, _mail(workspace), now=NOW)

    assert reply is not None
    assert reply["To"] == MANAGER
    assert reply["Subject"] == "Re: Entretien d'Éloïse"
    assert reply["In-Reply-To"] == "<retour-1@exemple.fr>"
    assert reply["References"] == "<envoi@exemple.fr> <retour-1@exemple.fr>"
    assert reply["Auto-Submitted"] == "auto-replied"
    body = reply.get_content()
    assert "reçu et enregistré (formulaire EA-2026-00002)" in body


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Return-Path": "<>"},
        {"List-Id": "<rh.exemple.fr>"},
        {"Precedence": "bulk"},
    ],
)
def test_no_acknowledgement_to_a_robot(
    workspace: Workspace, filled_docx: bytes, headers: dict[str, str]
) -> None:
    content = attachments_of(_eml(("f.docx", filled_docx), headers=headers), "r.eml", "eml")
    outcome = Outcome(Path("f.docx"), "ok", "OK", reference="EA-2026-00002")

    assert acknowledgement(outcome, content, _mail(workspace)) is None


def test_no_acknowledgement_to_a_no_reply_address(workspace: Workspace, filled_docx: bytes) -> None:
    data = _eml(("f.docx", filled_docx), sender="no-reply@exemple.fr")
    content = attachments_of(data, "r.eml", "eml")

    assert content.no_reply
    assert acknowledgement(Outcome(Path("f.docx"), "ok", "OK"), content, _mail(workspace)) is None


# --------------------------------------------------------------------------- collecting (IMAP)


def _collecting(workspace: Workspace, server: ImapServer, **changes: object) -> Workspace:
    settings = workspace.settings
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": "starttls",
        "user": server.user,
        **changes,
    }
    collect = replace(settings.mail.collect, **values)  # type: ignore[arg-type]
    return replace(
        workspace, settings=replace(settings, mail=replace(settings.mail, collect=collect))
    )


def _collect(
    workspace: Workspace, server: ImapServer, password: str | None = None
) -> CollectReport:
    with Store.open(workspace.database_path) as store:
        return collect_mailbox(
            workspace,
            store,
            NOW,
            environ={PASSWORD_VARIABLE: password or server.password},
            ssl_context=server.ssl_context(),
            timeout=10,
        )


def test_collecting_drops_each_message_then_moves_it(
    workspace: Workspace, filled_docx: bytes, imap_server: ImapServer
) -> None:
    ws = _collecting(workspace, imap_server)
    imap_server.append("INBOX", _eml(("f.docx", filled_docx)))
    imap_server.append("INBOX", _eml(message_id="<autre@exemple.fr>", subject="Sans pièce"))

    report = _collect(ws, imap_server)

    assert [i.status for i in report.items] == ["depose", "depose"]
    dropped = sorted(ws.inbox.glob("*.eml"))
    assert len(dropped) == 2
    assert imap_server.messages("INBOX") == []
    assert len(imap_server.messages("Traités")) == 2
    with Store.open(ws.database_path) as store:
        received = store.received_mail("<retour-1@exemple.fr>")
        assert received is not None and received.status == "depose"
        # The inbox path takes it from there: unpacked once.
        (form_mail,) = [p for p in dropped if "Eloise" in p.name]
        unpacked = unpack_message(ws, store, form_mail, NOW)
        assert [p.name for p in unpacked.written] == ["f.docx"]
    assert _collect(ws, imap_server).items == []


def test_a_message_already_collected_is_only_moved(
    workspace: Workspace, filled_docx: bytes, imap_server: ImapServer
) -> None:
    """A crash between the drop and the move: the next run moves it, never drops it again."""
    ws = _collecting(workspace, imap_server)
    data = _eml(("f.docx", filled_docx))
    with Store.open(ws.database_path) as store:
        store.record_mail_received(
            "<retour-1@exemple.fr>", sender=MANAGER, subject="x", sent_date=None, now=NOW,
            status="depose",
        )  # fmt: skip
    imap_server.append("INBOX", data)

    report = _collect(ws, imap_server)

    assert [i.status for i in report.items] == ["deja_recu"]
    assert list(ws.inbox.iterdir()) == []
    assert imap_server.messages("INBOX") == []
    assert len(imap_server.messages("Traités")) == 1


def test_collecting_over_implicit_tls(
    workspace: Workspace, filled_docx: bytes, imap_server: ImapServer
) -> None:
    ws = _collecting(workspace, imap_server, security="ssl", port=imap_server.ssl_port)
    imap_server.append("INBOX", _eml(("f.docx", filled_docx)))

    assert [i.status for i in _collect(ws, imap_server).items] == ["depose"]


def test_a_refused_login_says_so(workspace: Workspace, imap_server: ImapServer) -> None:
    ws = _collecting(workspace, imap_server)

    with pytest.raises(MailError, match="refuse la connexion de rh@exemple.test"):
        _collect(ws, imap_server, password="mauvais")


def test_a_missing_folder_says_so(workspace: Workspace, imap_server: ImapServer) -> None:
    ws = _collecting(workspace, imap_server, folder="Retours")

    with pytest.raises(MailError, match="« Retours » n'existe pas"):
        _collect(ws, imap_server)


def test_a_server_down_says_so(workspace: Workspace, imap_server: ImapServer) -> None:
    port = free_port()  # nothing listens there
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    ws = _collecting(workspace, imap_server, port=port)

    with pytest.raises(MailError, match="ne répond pas"):
        _collect(ws, imap_server)
