"""Real mail servers on 127.0.0.1 for the tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Registered by ``conftest.py`` (``pytest_plugins``), so every test module can ask
for the fixtures:

- ``imap_server``: an :class:`ImapServer`. One Dovecot (``dovecot -F``) runs for
  the whole session in a temporary folder, as the current user, on free ports
  (plain IMAP with STARTTLS, and IMAPS, with a self-signed certificate made by
  ``openssl``); each test gets the user ``rh@exemple.test`` with a new, empty
  mailbox (INBOX and the special-use folders Sent, Drafts, Trash, Junk).
- ``smtp_server``: an :class:`SmtpServer`, an aiosmtpd ``Controller`` started for
  the test, that stores every accepted envelope. AUTH PLAIN/LOGIN is offered
  without TLS (one user and password) and becomes mandatory with
  ``require_auth = True``; ``refuse(address)`` makes it answer 550 to that
  recipient.

Without Dovecot the IMAP tests are skipped, or fail under
``ENTRETIEN_INTEGRATION=required`` (``.ci/run`` installs ``dovecot-imapd``).
The plain functions (:func:`start_dovecot`, :func:`start_smtp`) serve the
benchmarks too (``bench/bench_mail.py``).

Running as root (containers, CI), Dovecot's master keeps root and its processes
run as the Debian package's ``dovecot`` and ``dovenull`` accounts (Dovecot
refuses to run its login processes as root, and mail access as UID 0); the
system service itself is never started or used.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import imaplib
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
IMAP_USER = "rh@exemple.test"
IMAP_PASSWORD = "Entretien-2026!"
SMTP_USER = "rh@exemple.test"
SMTP_PASSWORD = "Envoi-2026!"
# Folders every new mailbox has (besides INBOX), with their RFC 6154 special use.
SPECIAL_FOLDERS = {"Sent": r"\Sent", "Drafts": r"\Drafts", "Trash": r"\Trash", "Junk": r"\Junk"}
_START_TIMEOUT = 15.0


# --- modified UTF-7 (RFC 3501 §5.1.3): IMAP folder names ---------------------------------


def encode_folder(name: str) -> str:
    """The IMAP (modified UTF-7) form of a folder name: ``"Traités"`` → ``"Trait&AOk-s"``."""
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
    return "".join(out)


def decode_folder(name: str) -> str:
    """The inverse of :func:`encode_folder`."""

    def decode(match: re.Match[str]) -> str:
        body = match.group(1)
        if not body:
            return "&"
        data = body.replace(",", "/")
        return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", decode, name)


def quote(text: str) -> str:
    """An IMAP quoted string (imaplib sends mailbox arguments as they are)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<sep>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')


def _parse_list(data: list[Any]) -> list[tuple[str, str]]:
    """``(name, flags)`` for each line of a LIST answer, names decoded."""
    found: list[tuple[str, str]] = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):  # the name came as a literal
            head, literal = item
            match = _LIST_LINE.match(head)
            raw_name = literal
        else:
            match = _LIST_LINE.match(item)
            raw_name = match.group("name") if match else b""
        if match is None:
            continue
        text = raw_name.decode("ascii")
        if text.startswith('"'):
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        found.append((decode_folder(text), match.group("flags").decode("ascii")))
    return found


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def missing_tool(message: str) -> None:
    """Skip, or fail under ``ENTRETIEN_INTEGRATION=required`` (CI)."""
    if os.environ.get("ENTRETIEN_INTEGRATION") == "required":
        pytest.fail(message)
    pytest.skip(message)


def find_dovecot() -> str | None:
    """The ``dovecot`` binary (in /usr/sbin, which a normal user's PATH often lacks)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


# --- Dovecot --------------------------------------------------------------------------


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: ``(cert.pem, key.pem)``.

    The certificate is its own CA (``CA:TRUE``), so a client can verify it with
    ``ssl.create_default_context(cafile=cert)``.
    """
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class _Accounts:
    """Who Dovecot's processes and mail files run as."""

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int


def _accounts() -> _Accounts:
    if os.getuid() != 0:
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        return _Accounts(user, group, user, os.getuid(), os.getgid())
    # Root: Dovecot wants unprivileged accounts; the Debian package creates these two.
    internal = pwd.getpwnam("dovecot")
    pwd.getpwnam("dovenull")
    group = grp.getgrgid(internal.pw_gid).gr_name
    return _Accounts("dovecot", group, "dovenull", internal.pw_uid, internal.pw_gid)


_CONFIG = """\
# Written by tests/mailserver.py: a throw-away Dovecot for the tests.
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
instance_name = entretien-tests-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {accounts.internal_user}
default_internal_group = {accounts.internal_group}
default_login_user = {accounts.login_user}
first_valid_uid = {accounts.mail_uid}
first_valid_gid = {accounts.mail_gid}
mail_uid = {accounts.mail_uid}
mail_gid = {accounts.mail_gid}
mail_location = maildir:{root}/mail/%u
mail_fsync = never
auth_failure_delay = 0
auth_mechanisms = plain login
disable_plaintext_auth = no
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
namespace inbox {{
  inbox = yes
  separator = /
{folders}
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins (auth penalty): without this socket,
  # the auth process skips it.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class Dovecot:
    """A running ``dovecot -F`` in ``root`` (the master process is ``process``)."""

    root: Path
    port: int
    ssl_port: int
    cafile: Path
    process: subprocess.Popen[bytes]
    accounts: _Accounts
    _mailboxes: int = 0

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def fresh_mailbox(self) -> None:
        """Give ``rh@exemple.test`` a new, empty mailbox (the old one is set aside).

        Renaming (not deleting) keeps a connection left open by a previous test
        from writing into the new mailbox.
        """
        mail = self.root / "mail"
        current = mail / IMAP_USER
        if current.exists():
            self._mailboxes += 1
            current.rename(self.root / "old" / f"{self._mailboxes:05d}")

    def stop(self) -> None:
        """Stop the master and every Dovecot process it started."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                # The master was started in its own session: its group is all of Dovecot.
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _folders_config() -> str:
    lines = []
    for name, use in SPECIAL_FOLDERS.items():
        lines += [
            f"  mailbox {name} {{",
            "    auto = subscribe",
            f"    special_use = {use}",
            "  }",
        ]
    return "\n".join(lines)


def start_dovecot(root: Path, binary: str | None = None) -> Dovecot:
    """Start a Dovecot in ``root`` (an empty folder) and wait for its greeting."""
    binary = binary or find_dovecot()
    if binary is None:
        raise FileNotFoundError("dovecot")
    accounts = _accounts()
    for name in ("run", "state", "mail", "old", "home"):
        (root / name).mkdir()
    cert, key = make_certificate(root)
    users = root / "users"
    users.write_text(
        f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{accounts.mail_uid}:{accounts.mail_gid}"
        f"::{root}/home::\n",
        encoding="utf-8",
    )
    if os.getuid() == 0:
        # Dovecot's own accounts must reach the folder, read the user list, write mail.
        root.chmod(0o755)
        users.chmod(0o644)
        for name in ("mail", "old", "home"):
            os.chown(root / name, accounts.mail_uid, accounts.mail_gid)
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind
        port, ssl_port = free_port(), free_port()
        config = root / "dovecot.conf"
        config.write_text(
            _CONFIG.format(
                host=HOST,
                root=root,
                port=port,
                ssl_port=ssl_port,
                accounts=accounts,
                cert=cert,
                key=key,
                folders=_folders_config(),
            ),
            encoding="utf-8",
        )
        with (root / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen(
                [binary, "-F", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        server = Dovecot(root, port, ssl_port, cert, process, accounts)
        if _wait_for_greeting(server):
            return server
        server.stop()
        last_error = (root / "stderr.log").read_text(errors="replace") + server.log()
        if "Address already in use" not in last_error:
            break
    raise RuntimeError(f"Dovecot did not start:\n{last_error}")


def _wait_for_greeting(server: Dovecot) -> bool:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, server.port), timeout=2) as connection:
                if connection.recv(200).startswith(b"* OK"):
                    return True
        except OSError:
            pass
        time.sleep(0.01)
    return False


@dataclass
class ImapServer:
    """The user ``rh@exemple.test`` on a running Dovecot, and helpers to look at the mailbox.

    ``port`` is plain IMAP (STARTTLS offered), ``ssl_port`` IMAPS; ``cafile`` is
    the self-signed certificate both present. Folder names are given and
    returned as text (``"Traités"``), encoded for IMAP by the helpers.
    """

    host: str
    port: int
    ssl_port: int
    user: str
    password: str
    cafile: Path
    dovecot: Dovecot

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def connect(self, *, login: bool = True) -> imaplib.IMAP4:
        """A new plain IMAP connection, logged in unless ``login=False``."""
        client = imaplib.IMAP4(self.host, self.port, timeout=30)
        if login:
            client.login(self.user, self.password)
        return client

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        client = self.connect()
        try:
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def create(self, folder: str) -> None:
        """Create ``folder`` if it does not exist yet."""
        with self.session() as client:
            _create(client, folder)

    def append(
        self,
        folder: str,
        raw: bytes,
        *,
        flags: str = "",
        when: float | None = None,
    ) -> None:
        """APPEND ``raw`` (a whole RFC 5322 message) to ``folder``, created if missing."""
        with self.session() as client:
            _create(client, folder)
            typ, data = client.append(
                quote(encode_folder(folder)),
                f"({flags})" if flags else None,
                imaplib.Time2Internaldate(time.time() if when is None else when),
                raw,
            )
            assert typ == "OK", data

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """Every message of ``folder``, whole, in UID order (read without setting \\Seen)."""
        return [raw for _uid, _flags, raw in self.fetch_all(folder)]

    def fetch_all(self, folder: str = "INBOX") -> list[tuple[int, str, bytes]]:
        """``(uid, flags, raw message)`` for each message of ``folder``, in UID order."""
        with self.session() as client:
            typ, data = client.select(quote(encode_folder(folder)), readonly=True)
            assert typ == "OK", data
            if int(data[0] or b"0") == 0:
                return []
            typ, fetched = client.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
            assert typ == "OK", fetched
        found: list[tuple[int, str, bytes]] = []
        for item in fetched:
            if not isinstance(item, tuple):
                continue
            head = item[0].decode("ascii")
            uid = re.search(r"UID (\d+)", head)
            flags = re.search(r"FLAGS \(([^)]*)\)", head)
            assert uid is not None, head
            found.append((int(uid.group(1)), flags.group(1) if flags else "", item[1]))
        return sorted(found)

    def folders(self) -> list[str]:
        """Every folder's name (INBOX first, then the server's order)."""
        with self.session() as client:
            typ, data = client.list('""', "*")
            assert typ == "OK", data
        names = [name for name, _flags in _parse_list(data)]
        return sorted(names, key=lambda name: name != "INBOX")


def _create(client: imaplib.IMAP4, folder: str) -> None:
    if folder.upper() == "INBOX":
        return
    typ, data = client.create(quote(encode_folder(folder)))
    if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(d for d in data if d):
        raise AssertionError(f"CREATE {folder!r}: {data!r}")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the session (starting it takes ~30 ms, stopping ~1 s)."""
    binary = find_dovecot()
    if binary is None:
        missing_tool("dovecot is not installed (Debian: dovecot-imapd)")
    # Not in tmp_path_factory's folder when root: that one is 0700, and Dovecot's
    # unprivileged processes must reach the mail folders.
    root = Path(tempfile.mkdtemp(prefix="entretien-dovecot-"))
    server = start_dovecot(root, binary)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_server(dovecot: Dovecot) -> ImapServer:
    """``rh@exemple.test`` with a new, empty mailbox on the session's Dovecot."""
    dovecot.fresh_mailbox()
    return ImapServer(
        host=HOST,
        port=dovecot.port,
        ssl_port=dovecot.ssl_port,
        user=IMAP_USER,
        password=IMAP_PASSWORD,
        cafile=dovecot.cafile,
        dovecot=dovecot,
    )


# --- SMTP (aiosmtpd) -------------------------------------------------------------------


@dataclass
class Received:
    """One accepted message: the envelope and the bytes as received."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None  # the AUTH user, None without AUTH


@dataclass
class SmtpServer:
    """An aiosmtpd server on ``host:port`` and what it received (``received``).

    AUTH (PLAIN, LOGIN) is offered without TLS for ``user``/``password``;
    ``require_auth = True`` refuses MAIL FROM before it (530).
    ``refuse("x@y")`` answers 550 to RCPT TO that address.
    """

    host: str
    port: int
    user: str
    password: str
    require_auth: bool = False
    received: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, address: str) -> None:
        self.refused.add(address.lower())

    # aiosmtpd handler hooks (run in the controller's thread)

    async def handle_MAIL(  # aiosmtpd hook names
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        with self.lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), content, login)
            )
        return "250 OK: queued"

    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user.encode()
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


@contextlib.contextmanager
def start_smtp() -> Iterator[SmtpServer]:
    """An aiosmtpd server on a free port of 127.0.0.1, stopped on leaving."""
    server = SmtpServer(HOST, free_port(), SMTP_USER, SMTP_PASSWORD)
    # aiosmtpd logs a deprecation warning (its own Session.login_data) at every AUTH.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    controller = Controller(
        server,
        hostname=HOST,
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
        enable_SMTPUTF8=True,
        data_size_limit=50 * 1024 * 1024,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server for the test (AUTH optional, see :class:`SmtpServer`)."""
    with start_smtp() as server:
        yield server
