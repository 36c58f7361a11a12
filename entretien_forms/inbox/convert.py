"""Turn a Word 97-2003 form (.doc) into a .docx with LibreOffice, when it is installed.

A manager whose Word saves in the old format sends a .doc: we do not parse
that binary format ourselves. LibreOffice converts it, in a process of its
own, so that whatever a hostile file does to the converter stays there:

- headless, with a user profile made for this one conversion in a temporary
  folder (no shared state, no lock on the user's own profile), macros
  disabled, untrusted links and update checks off, proxies removed from its
  environment; the file is written there under a fixed name (the sender's
  name never reaches the command line);
- a time limit, after which LibreOffice and its children are killed;
- an output size limit, checked before the result is read.

What survives, checked on real round trips (``tests/test_inbox_odt.py``):
the custom properties (the identity) and every answer as text; no content
control survives the .doc format, so the .docx is read from its table
cells (``table_cell``), like a flattened form.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from entretien_forms.errors import RejectedFile, RejectionCode

# A converted form is a few hundred kilobytes; 50 MB is a file that is not one.
MAX_OUTPUT_BYTES = 50_000_000
# The usual places of LibreOffice outside PATH (Windows installers, macOS bundle).
_INSTALL_PATHS = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
# The export filter of "Word 2007-365 (.docx)".
_DOCX_FILTER = "docx:MS Word 2007 XML"
# Environment variables that could make LibreOffice reach the network.
_PROXIES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")
# The user profile's settings: no macro runs, no link to an untrusted place is
# followed, no update check.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop \
oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop \
oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop \
oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Jobs/Jobs/org.openoffice.Office.Jobs:Job['UpdateCheck']\
/Arguments"><prop oor:name="AutoCheckEnabled" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""
_SAVE_AS_DOCX = (
    "Ouvrez le formulaire dans Word ou LibreOffice, choisissez « Enregistrer sous » "
    "au format « Document Word (.docx) » et déposez le fichier .docx."
)


def libreoffice() -> str | None:
    """The LibreOffice program (``soffice``) to convert with, None if it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found is not None:
            return found
    return next((path for path in _INSTALL_PATHS if Path(path).is_file()), None)


def doc_to_docx(
    data: bytes,
    name: str,
    *,
    timeout: float = 60,
    soffice: str | None = None,
    max_output: int = MAX_OUTPUT_BYTES,
) -> bytes:
    """The .docx LibreOffice makes of the Word 97-2003 document ``data``.

    ``name`` is the file's name, for messages only. ``soffice`` overrides the
    program found by ``libreoffice()``. Raises ``RejectedFile`` (French reason
    and advice) when LibreOffice is missing, takes longer than ``timeout``
    seconds, fails, or writes more than ``max_output`` bytes.
    """
    program = soffice or libreoffice()
    if program is None:
        raise RejectedFile(
            f"{name} est au format Word 97-2003 (.doc), que nous ne lisons qu'en le "
            "convertissant avec LibreOffice, qui n'est pas installé sur ce poste.",
            _SAVE_AS_DOCX,
            RejectionCode.UNSUPPORTED_FORMAT,
        )
    with tempfile.TemporaryDirectory(prefix="entretien-conversion-") as folder:
        work = Path(folder)
        source = work / "formulaire.doc"
        source.write_bytes(data)
        profile = work / "profil"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        output = work / "converti"
        output.mkdir()
        command = [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            _DOCX_FILTER,
            "--outdir",
            str(output),
            str(source),
        ]
        _run(command, work, timeout, name)
        result = output / "formulaire.docx"
        if not result.is_file():
            raise _failed(name)
        size = result.stat().st_size
        if size > max_output:
            raise RejectedFile(
                f"{name} n'a pas été lu par sécurité : sa conversion au format .docx fait "
                f"{size / 1_000_000:.0f} Mo, ce qui est anormal pour un formulaire.",
                _SAVE_AS_DOCX,
                RejectionCode.TOO_LARGE,
            )
        return result.read_bytes()


def _run(command: list[str], work: Path, timeout: float, name: str) -> None:
    """Run LibreOffice in a process group of its own, killed whole on timeout."""
    environment = {k: v for k, v in os.environ.items() if k.lower() not in _PROXIES}
    environment.update(HOME=str(work), TMPDIR=str(work), TMP=str(work), TEMP=str(work))
    windows = sys.platform == "win32"
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=work,
            env=environment,
            start_new_session=not windows,
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if windows else 0,
        )
    except OSError as exc:
        raise _failed(name) from exc
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise RejectedFile(
            f"{name} est au format Word 97-2003 (.doc) et sa conversion par LibreOffice "
            f"n'a pas abouti en {timeout:g} secondes (fichier trop complexe ou piégé).",
            _SAVE_AS_DOCX,
            RejectionCode.UNREADABLE,
        ) from None


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop LibreOffice and the processes it started (its group), then reap it."""
    if sys.platform == "win32":
        process.kill()
    else:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _failed(name: str) -> RejectedFile:
    return RejectedFile(
        f"{name} est au format Word 97-2003 (.doc) et LibreOffice n'a pas pu le convertir "
        "(fichier endommagé, protégé par un mot de passe ou d'un autre format).",
        _SAVE_AS_DOCX,
        RejectionCode.UNREADABLE,
    )
