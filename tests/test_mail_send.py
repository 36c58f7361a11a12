"""Sending forms and reminders by e-mail, to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import issue_for_everyone, record_answers, return_of, workspace_with_roster
from mailserver import SMTP_PASSWORD, SMTP_USER, SmtpServer, free_port

from entretien_forms.cli import cli
from entretien_forms.errors import MailError
from entretien_forms.mail import secrets as mail_secrets
from entretien_forms.mail.reminders import send_due_reminders, send_reminders
from entretien_forms.mail.send import MailReport, send_forms
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, open_workspace

VARIABLE = "ENTRETIEN_COURRIEL_MOT_DE_PASSE"
ENV = {VARIABLE: SMTP_PASSWORD}
NOW = datetime(2026, 11, 26, 10, 0)
# Claire Martin (M1) manages Jean Petit, Léa Roy and Hugo Blanc; Jean manages Ana Noir;
# Claire's own interview goes to the board's address (« E-mail responsable »).
ROSTER = (
    "Matricule;Nom;Prénom;Date d'entrée;Poste;Responsable;E-mail;E-mail responsable\n"
    "M1;Martin;Claire;01/03/2015;Directrice commerciale;;claire.martin@exemple.test;"
    "conseil@exemple.test\n"
    "M2;Petit;Jean;01/03/2016;Chef d'atelier;M1;jean.petit@exemple.test;\n"
    "S1;Roy;Léa;01/02/2020;Comptable;M1;lea.roy@exemple.test;\n"
    "S2;Blanc;Hugo;01/09/2021;Vendeur;M1;;\n"
    "S3;Noir;Ana;01/09/2021;Soudeuse;M2;ana.noir@exemple.test;\n"
)
CLAIRE = "claire.martin@exemple.test"
JEAN = "jean.petit@exemple.test"
BOARD = "conseil@exemple.test"


@pytest.fixture(scope="module")
def issued_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose five employees each have an annual form (Word and PDF), once."""
    root = tmp_path_factory.mktemp("issued")
    workspace = workspace_with_roster(root, ROSTER)
    issue_for_everyone(workspace, "annuel")
    return workspace.root


@pytest.fixture
def mail_workspace(issued_workspace: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the issued workspace for one test (its ledger and files its own)."""
    root = tmp_path / "ws"
    shutil.copytree(issued_workspace, root)
    yield root


def configure(root: Path, server: SmtpServer | None = None, **keys: object) -> Workspace:
    """Write ``[courriel]`` for ``server`` (and ``keys``) into the workspace's settings."""
    values: dict[str, object] = {
        "serveur": server.host if server else "",
        "port": server.port if server else 587,
        "securite": "aucune",
        "utilisateur": SMTP_USER,
        "expediteur": "rh@exemple.test",
        "repondre_a": "retours@exemple.test",
        **keys,
    }
    lines = ["", "[courriel]"]
    for key, value in values.items():
        lines.append(f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"')
    config = root / "entretien.toml"
    base = config.read_text(encoding="utf-8").split("\n[courriel]")[0]
    config.write_text(base + "\n".join(lines) + "\n", encoding="utf-8")
    return open_workspace(root)


def received(server: SmtpServer) -> dict[str, EmailMessage]:
    """Messages received, by recipient (one each in these tests unless split)."""
    out = {}
    for item in server.received:
        message = email.message_from_bytes(item.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        for rcpt in item.rcpt_tos:
            out[rcpt] = message
    return out


def attachment_names(message: EmailMessage) -> list[str]:
    return sorted(part.get_filename() or "" for part in message.iter_attachments())


def send(workspace: Workspace, **options: object) -> MailReport:
    with Store.open(workspace.database_path) as store:
        return send_forms(workspace, store, environ=ENV, now=NOW, **options)  # type: ignore[arg-type]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


# --- sending ---------------------------------------------------------------------------


def test_each_manager_receives_the_team_forms_as_issued(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server, date_limite="15/12/2026")

    report = send(workspace)

    assert report.ok, report.lines()
    messages = received(smtp_server)
    assert sorted(messages) == sorted([CLAIRE, JEAN, BOARD])
    claire = messages[CLAIRE]
    assert attachment_names(claire) == [
        "Blanc-Hugo-S2-annuel.docx",
        "Blanc-Hugo-S2-annuel.pdf",
        "Petit-Jean-M2-annuel.docx",
        "Petit-Jean-M2-annuel.pdf",
        "Roy-Lea-S1-annuel.docx",
        "Roy-Lea-S1-annuel.pdf",
    ]
    assert attachment_names(messages[JEAN]) == ["Noir-Ana-S3-annuel.docx", "Noir-Ana-S3-annuel.pdf"]
    assert attachment_names(messages[BOARD]) == [
        "Martin-Claire-M1-annuel.docx",
        "Martin-Claire-M1-annuel.pdf",
    ]
    assert claire["Subject"] == "Mon entreprise – formulaires d'entretien de votre équipe (2026)"
    assert claire["Reply-To"] == "retours@exemple.test"
    assert claire["Message-ID"].endswith("@exemple.test>")
    assert "Auto-Submitted" not in claire
    text = body(claire)
    assert text.startswith("Bonjour Claire,")
    assert "- Léa Roy : entretien annuel (Roy-Lea-S1-annuel.docx, Roy-Lea-S1-annuel.pdf)" in text
    assert "avant le 15/12/2026" in text
    assert all(r.login == SMTP_USER for r in smtp_server.received)
    with Store.open(workspace.database_path) as store:
        sent = store.mail_sent(campaign="2026")
    assert [(m.recipient, m.status, m.purpose) for m in sent if m.recipient == CLAIRE] == [
        (CLAIRE, "envoye", "envoi")
    ]
    assert {m.matricule for m in sent} == {"M1", "M2", None}
    assert {m.message_id for m in sent} == {m["Message-ID"] for m in messages.values()}


def test_running_again_sends_nothing_already_sent(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server)
    send(workspace)
    first = len(smtp_server.received)

    again = send(workspace)

    assert len(smtp_server.received) == first
    assert again.outcomes == [] and again.ok
    assert any("5 formulaires déjà envoyés" in line for line in again.lines())
    resent = send(workspace, resend=True)
    assert len(resent.outcomes) == 3 and len(smtp_server.received) == first + 3


def test_a_refused_recipient_does_not_stop_the_others_and_is_retried(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server)
    smtp_server.refuse(JEAN)

    report = send(workspace)

    assert sorted(received(smtp_server)) == sorted([CLAIRE, BOARD])
    [failed] = report.failed
    assert failed.recipient == JEAN
    assert "adresse refusée par le serveur" in (failed.error or "")
    assert "550" in (failed.error or "")
    lines = report.lines()
    assert any(line.startswith(f"ÉCHEC       {JEAN}") for line in lines)
    assert 'relancez « entretien courriel envoyer --campaign "2026" »' in lines[-1]
    with Store.open(workspace.database_path) as store:
        assert [m.status for m in store.mail_sent(recipient=JEAN)] == ["echec"]

    smtp_server.refused.clear()
    retry = send(workspace)

    assert [o.recipient for o in retry.outcomes] == [JEAN] and retry.ok
    assert attachment_names(received(smtp_server)[JEAN]) == [
        "Noir-Ana-S3-annuel.docx",
        "Noir-Ana-S3-annuel.pdf",
    ]


def test_a_server_that_is_down_fails_every_message_with_a_french_reason(
    mail_workspace: Path,
) -> None:
    port = free_port()  # nothing listens there
    workspace = configure(mail_workspace, serveur="127.0.0.1", port=port)

    report = send(workspace)

    assert len(report.failed) == 3
    assert {o.error for o in report.failed} == {
        f"connexion impossible au serveur 127.0.0.1:{port} (connexion refusée) : vérifiez "
        "[courriel] serveur et port, et que le serveur est joignable depuis ce poste."
    }
    assert not report.ok


def test_a_wrong_password_is_refused_and_never_shown(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.require_auth = True
    workspace = configure(mail_workspace, smtp_server)
    wrong = "Faux-Secret-8423"

    with Store.open(workspace.database_path) as store:
        report = send_forms(workspace, store, environ={VARIABLE: wrong}, now=NOW)

    assert smtp_server.received == []
    assert len(report.failed) == 3
    assert "identifiant ou mot de passe refusé" in (report.failed[0].error or "")
    assert "mot de passe d'application" in (report.failed[0].error or "")
    assert wrong not in "\n".join(report.lines())


def test_a_server_that_requires_a_login_refuses_a_message_without_one(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.require_auth = True
    workspace = configure(mail_workspace, smtp_server, utilisateur="")

    report = send(workspace)

    assert len(report.failed) == 3 and smtp_server.received == []
    assert "530" in (report.failed[0].error or "")


def test_no_password_anywhere_says_where_to_put_it(
    mail_workspace: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_secrets, "_keyring", lambda: None)
    workspace = configure(mail_workspace, smtp_server)

    with (
        Store.open(workspace.database_path) as store,
        pytest.raises(MailError, match="définissez la variable d'environnement") as caught,
    ):
        send_forms(workspace, store, environ={}, now=NOW)

    assert "pip install keyring" in str(caught.value)


def test_trial_writes_eml_files_and_records_nothing(mail_workspace: Path) -> None:
    workspace = configure(mail_workspace)  # no server at all

    report = send(workspace, dry_run=True)

    assert [o.status for o in report.outcomes] == ["essai"] * 3
    files = sorted((mail_workspace / "outbox" / "2026" / "courriels").glob("*.eml"))
    assert len(files) == 3
    parsed = [email.message_from_bytes(f.read_bytes(), policy=default_policy) for f in files]
    assert sorted(str(m["To"]) for m in parsed) == sorted(
        [
            "Claire Martin <claire.martin@exemple.test>",
            "Jean Petit <jean.petit@exemple.test>",
            BOARD,
        ]
    )
    assert "rien n'a été envoyé" in report.lines()[-1]
    with Store.open(workspace.database_path) as store:
        assert store.mail_sent() == []


def test_heavy_teams_are_split_into_numbered_messages(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    # 0 MB: every form goes alone (a form is never split from its other file).
    workspace = configure(mail_workspace, smtp_server, pieces_jointes_max_mo=0)

    report = send(workspace, manager="M1")

    assert report.ok
    subjects = sorted(o.subject for o in report.outcomes)
    assert [s[-5:] for s in subjects] == ["(1/3)", "(2/3)", "(3/3)"]
    for item in smtp_server.received:
        message = email.message_from_bytes(item.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        assert len(attachment_names(message)) == 2


def test_self_assessment_sends_each_employee_their_own_form(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server)

    report = send(workspace, self_assessment=True)

    messages = received(smtp_server)
    assert sorted(messages) == sorted(
        [CLAIRE, JEAN, "lea.roy@exemple.test", "ana.noir@exemple.test"]
    )
    assert attachment_names(messages["lea.roy@exemple.test"]) == [
        "Roy-Lea-S1-annuel.docx",
        "Roy-Lea-S1-annuel.pdf",
    ]
    assert "préparez votre entretien" in str(messages["lea.roy@exemple.test"]["Subject"])
    [skipped] = report.skipped
    assert skipped.who == "Hugo Blanc (S2)" and "pas d'adresse e-mail" in skipped.reason


def test_an_edited_template_words_the_message(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server)
    (mail_workspace / "templates" / "courriel-envoi.txt").write_text(
        "Objet : Vos {{ salaries | length }} formulaires\nBonjour {{ destinataire.prenom }} !\n",
        encoding="utf-8",
    )

    send(workspace, manager="M1")

    message = received(smtp_server)[CLAIRE]
    assert message["Subject"] == "Vos 3 formulaires"
    assert body(message) == "Bonjour Claire !\n"


def test_a_broken_template_names_the_file(mail_workspace: Path) -> None:
    workspace = configure(mail_workspace)
    (mail_workspace / "templates" / "courriel-envoi.txt").write_text(
        "Objet : Formulaires\nBonjour {{ inconnu }}\n", encoding="utf-8"
    )

    with pytest.raises(
        MailError,
        match="templates/courriel-envoi.txt, ligne 2 : modèle de message incorrect \\(variable « inconnu » inconnue\\)",
    ):
        send(workspace, dry_run=True)


# --- reminders -------------------------------------------------------------------------


def _return_forms(workspace: Workspace, *matricules: str) -> None:
    with Store.open(workspace.database_path) as store:
        for form in store.current_issued(campaign="2026"):
            if form.matricule in matricules:
                record_answers(store, return_of(form, f"sha-{form.reference}", NOW), {})


def remind(workspace: Workspace, now: datetime, **options: object) -> MailReport:
    with Store.open(workspace.database_path) as store:
        return send_reminders(workspace, store, environ=ENV, now=now, **options)  # type: ignore[arg-type]


def test_reminders_go_only_to_managers_with_missing_forms(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server, date_limite="15/12/2026")
    _return_forms(workspace, "S1", "S3", "M1")  # Jean's team is complete, so is the board's

    report = remind(workspace, NOW)

    assert report.ok, report.lines()
    messages = received(smtp_server)
    assert list(messages) == [CLAIRE]
    text = body(messages[CLAIRE])
    assert "attendus avant le 15/12/2026" in text
    assert "- Jean Petit : entretien annuel (référence" in text
    assert "Hugo Blanc" in text and "Léa Roy" not in text
    assert attachment_names(messages[CLAIRE]) == []
    assert messages[CLAIRE]["Subject"].startswith("Relance")
    with Store.open(workspace.database_path) as store:
        [sent] = store.mail_sent(purpose="relance")
    assert sent.recipient == CLAIRE and sent.status == "envoye"


def test_a_manager_is_not_reminded_twice_within_the_period(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(mail_workspace, smtp_server, relance_tous_les_jours=7)
    _return_forms(workspace, "S3", "M1")
    remind(workspace, NOW)
    assert len(smtp_server.received) == 1

    later = remind(workspace, NOW + timedelta(days=6, hours=12))

    assert later.outcomes == []
    assert any(
        line.startswith(f"DÉJÀ RELANCÉ {CLAIRE} le 26/11/2026") and "03/12/2026" in line
        for line in later.lines()
    )
    week_after = remind(workspace, NOW + timedelta(days=7))
    assert [o.recipient for o in week_after.outcomes] == [CLAIRE]


def test_scheduled_reminders_wait_for_the_window_before_the_deadline(
    mail_workspace: Path, smtp_server: SmtpServer
) -> None:
    workspace = configure(
        mail_workspace, smtp_server, date_limite="15/12/2026", relance_jours_avant=7
    )
    with Store.open(workspace.database_path) as store:
        early = send_due_reminders(workspace, store, datetime(2026, 12, 7, 9), environ=ENV)
        due = send_due_reminders(workspace, store, datetime(2026, 12, 8, 9), environ=ENV)
        again = send_due_reminders(workspace, store, datetime(2026, 12, 8, 10), environ=ENV)

    assert early.outcomes == [] and early.problem is None
    assert sorted(o.recipient for o in due.outcomes) == sorted([CLAIRE, JEAN, BOARD])
    assert again.outcomes == []
    message = received(smtp_server)[CLAIRE]
    assert message["Auto-Submitted"] == "auto-generated"


def test_scheduled_reminders_do_nothing_without_a_deadline_and_never_raise(
    mail_workspace: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = configure(mail_workspace, smtp_server)
    with Store.open(workspace.database_path) as store:
        assert send_due_reminders(workspace, store, NOW, environ=ENV).outcomes == []

    monkeypatch.setattr(mail_secrets, "_keyring", lambda: None)
    workspace = configure(mail_workspace, smtp_server, date_limite="01/12/2026")
    with Store.open(workspace.database_path) as store:
        report = send_due_reminders(workspace, store, NOW, environ={})
    assert report.problem is not None and "Aucun mot de passe" in report.problem
    assert smtp_server.received == []


# --- the commands ----------------------------------------------------------------------


def test_commands_print_one_line_per_message_and_never_the_password(
    mail_workspace: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(mail_workspace, smtp_server, date_limite="15/12/2026")
    smtp_server.refuse(JEAN)
    runner = CliRunner()
    base = ["-w", str(mail_workspace), "courriel"]
    outputs = []

    for args, code in ((["envoyer", "--essai"], 0), (["envoyer"], 1), (["relancer"], 1)):
        result = runner.invoke(cli, [*base, *args], env=ENV)
        outputs.append(result.output)
        assert result.exit_code == code, result.output  # 1: Jean's address is refused
        assert SMTP_PASSWORD not in result.output

    assert "ESSAI" in outputs[0] and "ENVOYÉ      " + CLAIRE in outputs[1]
    assert f"ÉCHEC       {JEAN}" in outputs[1]
    assert "relancez « entretien courriel envoyer" in outputs[1]
    monkeypatch.setattr(mail_secrets, "_keyring", lambda: None)
    result = runner.invoke(
        cli, [*base, "mot-de-passe"], input=f"{SMTP_PASSWORD}\n{SMTP_PASSWORD}\n", env={}
    )
    assert result.exit_code == 1
    assert "« keyring » n'est pas installé" in result.output
    assert SMTP_PASSWORD not in result.output
    for path in mail_workspace.rglob("*"):
        if path.is_file() and path.suffix in {".log", ".txt", ".eml", ".toml"}:
            assert SMTP_PASSWORD not in path.read_text(encoding="utf-8", errors="replace")
