"""First look at a file dropped in the inbox: skip it, refuse it, or say how to read it.

Everything here is decided from the file's name (Office's lock and temporary
files) and its first bytes, never from its extension alone: a .docx renamed
.pdf is read as Word, a PDF renamed .docx as a PDF, and a .doc or .odt gets a
clear request for a .docx or a PDF.
"""

from __future__ import annotations

import fnmatch
import io
import zipfile
from pathlib import Path
from typing import Literal

from entretien_forms.errors import RejectedFile

Format = Literal["docx", "pdf"]

# Office's lock and temporary files, system files: never processed, never rejected.
_IGNORED = ("~$*", ".~lock.*#", "*.tmp", "*.part", "*.crdownload", "desktop.ini", "thumbs.db")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# Declared sizes beyond these are a zip bomb, not a form (a filled form is < 1 MB).
_MAX_UNCOMPRESSED = 200 * 1024 * 1024
_MAX_RATIO = 200

_RESEND = "Enregistrez le formulaire en .docx (Word) ou en PDF et déposez-le à nouveau."


def is_ignored(path: Path) -> bool:
    """Lock files (``~$x.docx``, ``.~lock.x#``), temporary and hidden files, ``Thumbs.db``."""
    name = path.name
    if name.startswith("."):
        return True  # hidden files: .DS_Store, our own .part files, editors' swap files
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in _IGNORED)


def sniff(data: bytes, name: str) -> Format:
    """The format of ``data`` by content; ``RejectedFile`` for anything we do not read."""
    if not data:
        raise RejectedFile(
            f"{name} est vide (0 octet) : l'enregistrement ou la copie a échoué.",
            "Enregistrez à nouveau le formulaire rempli et déposez-le une nouvelle fois.",
        )
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data, name)
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data[:2_000_000]:
            raise RejectedFile(
                f"{name} est protégé par un mot de passe : impossible de lire les réponses.",
                "Ouvrez-le dans Word, retirez le mot de passe (Fichier > Informations > "
                "Protéger le document) et déposez-le à nouveau.",
            )
        raise RejectedFile(
            f"{name} est au format Word 97-2003 (.doc) ou un autre ancien format Office, "
            "que nous ne lisons pas.",
            "Ouvrez-le dans Word et enregistrez-le en « Document Word (.docx) », ou "
            "exportez-le en PDF, puis déposez-le à nouveau.",
        )
    if data.startswith(b"{\\rtf"):
        raise RejectedFile(f"{name} est un document RTF, pas le formulaire envoyé.", _RESEND)
    raise RejectedFile(
        f"{name} n'est ni un document Word (.docx) ni un PDF : type de fichier non pris en charge.",
        "Déposez dans inbox/ uniquement les formulaires d'entretien remplis (.docx ou .pdf).",
    )


def _zip_format(data: bytes, name: str) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, RuntimeError) as exc:
        raise RejectedFile(
            f"{name} est un fichier compressé endommagé ({type(exc).__name__}) : le document "
            "est incomplet ou corrompu.",
            "Enregistrez à nouveau le formulaire depuis Word et déposez-le une nouvelle fois.",
        ) from exc
    total = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if total > _MAX_UNCOMPRESSED or total / packed > _MAX_RATIO:
        raise RejectedFile(
            f"{name} se décompresse en {total // 1_000_000} Mo : c'est anormal pour un "
            "formulaire (fichier piégé ou corrompu).",
            "Demandez au responsable de renvoyer le formulaire d'origine rempli.",
        )
    if b"opendocument" in mimetype:
        raise RejectedFile(
            f"{name} est un document OpenDocument (.odt, LibreOffice), pas un .docx.",
            "Dans LibreOffice : Fichier > Enregistrer sous > « Word 2007-365 (.docx) », "
            "ou Fichier > Exporter au format PDF, puis déposez-le à nouveau.",
        )
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        raise RejectedFile(f"{name} est un classeur Excel, pas un formulaire d'entretien.", _RESEND)
    raise RejectedFile(
        f"{name} est une archive compressée (.zip), pas un formulaire d'entretien.",
        "Décompressez-la et déposez les formulaires (.docx ou .pdf) un par un.",
    )
