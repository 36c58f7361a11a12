"""The e-mail loop end to end, against a real SMTP server (aiosmtpd) and a real IMAP one (Dovecot).

HR sends the team's forms; the manager fills one and replies with it; the
reply lands in the collecting mailbox; ``entretien courriel collecter`` drops
it into the inbox, ``entretien ingest`` stores the return and acknowledges it
in the thread; ``entretien status`` shows the form returned. Every step goes
through the commands, as HR runs them.
"""

from __future__ import annotations

import email
import threading
import time
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from aspose.email_foss import msg
from click.testing import CliRunner
from factories import issue_for_everyone, workspace_with_roster

from entretien_forms.cli import cli
from entretien_forms.inbox.export import export_records
from entretien_forms.inbox.service import WatchService
from entretien_forms.sample.returns import fill_docx
from entretien_forms.store import Store
from entretien_forms.workspace import open_workspace

ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Service;Responsable;E-mail\n"
    "M1;Martin;Claire;01/02/2012;Directrice commerciale;Ventes;;claire.martin@exemple.test\n"
    "S2;Lefèvre;Éloïse;04/03/2019;Commerciale sédentaire;Ventes;M1;eloise@exemple.test\n"
)
MANAGER = "claire.martin@exemple.test"


def _configure(root: Path, smtp: Any, imap: Any) -> None:
    config = root / "entretien.toml"
    config.write_text(
        config.read_text("utf-8") + "\n[courriel]\n"
        f'serveur = "{smtp.host}"\nport = {smtp.port}\nsecurite = "aucune"\n'
        'expediteur = "rh@exemple.test"\nrepondre_a = "rh@exemple.test"\n'
        "\n[courriel.collecte]\n"
        f'serveur = "{imap.host}"\nport = {imap.port}\nsecurite = "aucune"\n'
        f'utilisateur = "{imap.user}"\ndossier = "INBOX"\ndossier_traites = "Traités"\n',
        "utf-8",
    )


def _messages(smtp: Any) -> list[EmailMessage]:
    found = []
    for item in smtp.received:
        message = email.message_from_bytes(item.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def test_send_reply_collect_ingest_acknowledge_and_status(
    tmp_path: Path, smtp_server: Any, imap_server: Any
) -> None:
    workspace = workspace_with_roster(tmp_path, ROSTER)
    issue_for_everyone(workspace, "annuel")
    _configure(workspace.root, smtp_server, imap_server)
    env = {"ENTRETIEN_COURRIEL_MOT_DE_PASSE": imap_server.password}
    runner = CliRunner(env=env)
    run = ["-w", str(workspace.root)]

    sent = runner.invoke(cli, [*run, "courriel", "envoyer", "--responsable", "M1"])

    assert sent.exit_code == 0, sent.output
    (forms,) = [m for m in _messages(smtp_server) if MANAGER in str(m["To"])]
    attached = {part.get_filename(): part for part in forms.iter_attachments()}
    docx_name = next(name for name in attached if name and name.endswith("S2-annuel.docx"))
    issued = tmp_path / docx_name
    issued.write_bytes(attached[docx_name].get_content())

    # Claire fills the form in Word and answers the message with it attached.
    reply = EmailMessage()
    reply["From"] = f"Claire Martin <{MANAGER}>"
    reply["To"] = "rh@exemple.test"
    reply["Subject"] = f"RE: {forms['Subject']}"
    reply["Message-ID"] = make_msgid(domain="exemple.test")
    reply["In-Reply-To"] = forms["Message-ID"]
    reply.set_content("Bonjour, voici l'entretien d'Éloïse.\nClaire")
    filled = fill_docx(issued, {"entretien.mode": "Visio", "entretien.date": "12/12/2026"}, {})
    reply.add_attachment(
        filled,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=docx_name,
    )
    imap_server.append("INBOX", reply.as_bytes())
    before = len(smtp_server.received)

    collected = runner.invoke(cli, [*run, "courriel", "collecter"])
    ingested = runner.invoke(cli, [*run, "ingest"])
    again = runner.invoke(cli, [*run, "courriel", "collecter"])
    status = runner.invoke(cli, [*run, "status"])

    assert collected.exit_code == 0, collected.output
    assert ingested.exit_code == 0, ingested.output
    assert "1 formulaire enregistré" in ingested.output
    assert f"accusé de réception envoyé à {MANAGER}" in ingested.output
    with Store.open(workspace.database_path) as store:
        (record,) = export_records(store)
        (submission,) = store.submissions()
        mail = store.mail_of_attachment(submission.sha256)
    assert record["matricule"] == "S2" and record["answers"]["entretien.mode"] == "Visio"
    assert mail is not None and mail.sender == MANAGER
    assert imap_server.messages("INBOX") == [] and len(imap_server.messages("Traités")) == 1
    (acknowledgement,) = _messages(smtp_server)[before:]
    assert acknowledgement["In-Reply-To"] == reply["Message-ID"]
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    assert str(acknowledgement["To"]) == MANAGER
    assert "EA-" in acknowledgement.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert again.exit_code == 0 and not list(workspace.inbox.iterdir())  # nothing twice
    claire = next(line for line in status.output.splitlines() if line.startswith("Claire Martin"))
    assert claire.split()[2:4] == ["1", "1"]  # one form issued, one returned


def test_the_watcher_collects_the_mailbox_ingests_and_acknowledges(
    tmp_path: Path, smtp_server: Any, imap_server: Any
) -> None:
    workspace = workspace_with_roster(tmp_path, ROSTER)
    issue_for_everyone(workspace, "annuel")
    _configure(workspace.root, smtp_server, imap_server)
    workspace = open_workspace(workspace.root)
    (issued,) = workspace.outbox.glob("2026/*/*-S2-annuel.docx")
    reply = EmailMessage()
    reply["From"] = MANAGER
    reply["To"] = "rh@exemple.test"
    reply["Subject"] = "Entretien d'Éloïse"
    reply["Message-ID"] = make_msgid(domain="exemple.test")
    reply.set_content("Ci-joint.")
    reply.add_attachment(
        fill_docx(issued, {"entretien.mode": "Visio"}, {}),
        maintype="application",
        subtype="octet-stream",
        filename=issued.name,
    )
    imap_server.append("INBOX", reply.as_bytes())
    notices: list[str] = []
    service = WatchService(
        workspace,
        stable_seconds=0.1,
        quiet_seconds=0.1,
        report=lambda n: notices.append(n.message),
        environ={"ENTRETIEN_COURRIEL_MOT_DE_PASSE": imap_server.password},
    )
    thread = threading.Thread(target=service.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("Accusé" in n for n in notices):
            time.sleep(0.05)
    finally:
        service.stop()
        thread.join(timeout=30)

    assert not thread.is_alive()
    with Store.open(workspace.database_path) as store:
        (record,) = export_records(store)
    assert record["answers"]["entretien.mode"] == "Visio"
    assert any(f"Accusé de réception envoyé à {MANAGER}" in n for n in notices), notices
    assert imap_server.messages("INBOX") == []


def test_the_watcher_sends_the_reminders_due(tmp_path: Path, smtp_server: Any) -> None:
    workspace = workspace_with_roster(tmp_path, ROSTER)
    issue_for_everyone(workspace, "annuel")
    deadline = (date.today() + timedelta(days=3)).strftime("%d/%m/%Y")
    config = workspace.root / "entretien.toml"
    config.write_text(
        config.read_text("utf-8") + "\n[courriel]\n"
        f'serveur = "{smtp_server.host}"\nport = {smtp_server.port}\nsecurite = "aucune"\n'
        f'expediteur = "rh@exemple.test"\ndate_limite = "{deadline}"\n',
        "utf-8",
    )
    notices: list[str] = []
    service = WatchService(
        open_workspace(workspace.root), report=lambda n: notices.append(n.message), environ={}
    )
    thread = threading.Thread(target=service.run)
    thread.start()
    try:
        deadline_s = time.monotonic() + 30
        while time.monotonic() < deadline_s and not smtp_server.received:
            time.sleep(0.05)
    finally:
        service.stop()
        thread.join(timeout=30)

    assert not thread.is_alive()
    (reminder,) = _messages(smtp_server)
    assert MANAGER in str(reminder["To"])
    assert reminder["Auto-Submitted"] == "auto-generated"
    assert any(line.startswith("ENVOYÉ") for line in notices), notices


def test_an_outlook_msg_dropped_in_the_inbox_is_unpacked_and_its_form_stored(
    tmp_path: Path,
) -> None:
    """An Outlook message saved from Outlook (.msg), written here by a pure-Python MSG writer."""
    workspace = workspace_with_roster(tmp_path, ROSTER)
    issue_for_everyone(workspace, "annuel")
    (issued,) = workspace.outbox.glob("2026/*/*-S2-annuel.docx")
    message = msg.MapiMessage.create("Entretien d'Éloïse", "Bonjour, ci-joint. Claire")
    message.set_property(msg.PropertyId.SENDER_NAME, "Claire Martin")
    message.set_property(msg.PropertyId.SENDER_EMAIL_ADDRESS, MANAGER)
    message.add_recipient("rh@exemple.test", display_name="Service RH")
    message.add_attachment(
        "../../" + issued.name,
        fill_docx(issued, {"entretien.mode": "Présentiel"}, {}),
        mime_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    message.save(str(workspace.inbox / "retour d'Éloïse.msg"))

    result = CliRunner().invoke(cli, ["-w", str(workspace.root), "ingest"])

    assert result.exit_code == 0, result.output
    assert "1 formulaire enregistré" in result.output
    with Store.open(workspace.database_path) as store:
        (record,) = export_records(store)
        (submission,) = store.submissions()
        mail = store.mail_of_attachment(submission.sha256)
    assert record["answers"]["entretien.mode"] == "Présentiel"
    assert submission.source_file == issued.name  # the name, never the path it claimed
    assert mail is not None and mail.sender == MANAGER
    assert not list(workspace.inbox.iterdir())
    assert list((workspace.root / "archive" / "courriels").iterdir())
