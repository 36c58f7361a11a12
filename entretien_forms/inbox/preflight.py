"""First look at a file dropped in the inbox: skip it, refuse it, or say how to read it.

Everything here is decided from the file's name (Office's lock and temporary
files), its directory entry (a link, a FIFO, a device is never opened) and its
first bytes, never from its extension alone: a .docx renamed .pdf is read as
Word, a PDF renamed .docx as a PDF, and a .doc or .odt gets a clear request for
a .docx or a PDF.

The type comes from signatures at offset 0 first (ZIP, OLE, RTF, ``%PDF-``),
and only then from ``%PDF-`` within the first 1,024 bytes, where the PDF
specification allows the header to sit: a Word file whose first part happens to
contain ``%PDF-`` is still a Word file. A ZIP is checked from its central
directory before anything is inflated: number of parts, declared sizes and
compression ratio, and no part name given twice (which copy a reader takes then
depends on the reader: we refuse rather than guess).
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import stat
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import olefile  # type: ignore[import-untyped]
from PIL import Image

from entretien_forms.errors import RejectedFile, RejectionCode

# "message": an e-mail (.eml, or an Outlook .msg): its attachments are the returns
# (``mail/unpack.py``), the message itself is never one.
Format = Literal["docx", "pdf", "odt", "doc", "image", "message"]
MessageKind = Literal["eml", "msg"]

# What ``ingest`` writes beside a file it could neither take nor move (``x.pdf`` →
# ``x.pdf.erreur.txt``): never a submission, so never picked up again.
INBOX_NOTE_SUFFIX = ".erreur.txt"
# Office's lock and temporary files, system files: never processed, never rejected.
_IGNORED = (
    "~$*",
    ".~lock.*#",
    "*.tmp",
    "*.part",
    "*.crdownload",
    "desktop.ini",
    "thumbs.db",
    f"*{INBOX_NOTE_SUFFIX}",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF-"
# What scanners and phones in "scan" mode write: JPEG, PNG, TIFF (both byte orders).
_IMAGE_MAGICS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
# Pillow's names for them: no other format is ever opened (``inbox/scan.py`` reads them).
IMAGE_FORMATS = ("JPEG", "PNG", "TIFF")
# An A3 page scanned at 600 dpi has 70 million pixels; an image declaring more is not
# a scanned page (a blank PNG of 30,000 × 30,000 pixels weighs 1 MB and decodes into
# 900 MB). Below Pillow's own warning threshold (``Image.MAX_IMAGE_PIXELS``, 89 million).
MAX_IMAGE_PIXELS = 80_000_000
# A TIFF's frames whose headers are weighed (a few µs each); the scan reader checks
# every frame again before decoding it.
_IMAGE_FRAMES_WEIGHED = 1_000
# ISO 32000-1 §7.5.2 and Acrobat: the header may follow up to 1,024 bytes of junk.
_PDF_HEADER_WINDOW = 1024
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# Declared sizes beyond these are a zip bomb, not a form (a filled form is < 1 MB).
_MAX_UNCOMPRESSED = 200 * 1024 * 1024
_MAX_RATIO = 200
# A .docx holds 10 to 30 parts (a few hundred with many images); zipfile builds an
# object per entry of the central directory, so a huge one is refused before.
_MAX_ENTRIES = 2000
_MAX_CENTRAL_DIRECTORY = 2_000_000
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22

# [MS-OXMSG] 2.4, 2.1.3: the property stream and string properties of an Outlook message.
_MSG_PROPERTIES = "__properties_version1.0"
_MSG_STRING_PREFIX = "__substg1.0_"
# An Internet message (RFC 5322 §2.2): field names are printable ASCII but ":"; one of
# these is in every message a mail program saves or a server delivers.
_EML_WINDOW = 16_384
_HEADER_NAME = re.compile(rb"[!-9;-~]{1,76}")
_EML_FIELDS = frozenset({b"from", b"received", b"message-id", b"return-path"})

_RESEND = "Enregistrez le formulaire en .docx (Word) ou en PDF et déposez-le à nouveau."
_ASK_ORIGINAL = "Demandez au responsable de renvoyer le formulaire d'origine rempli."


@dataclass(frozen=True)
class Sniffed:
    """The format of a file, and how many bytes reading it may inflate (its weight)."""

    format: Format
    weight: int


def is_ignored(path: Path) -> bool:
    """Lock files (``~$x.docx``, ``.~lock.x#``), temporary and hidden files, ``Thumbs.db``."""
    name = path.name
    if name.startswith("."):
        return True  # hidden files: .DS_Store, our own .part files, editors' swap files
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in _IGNORED)


def check_entry(path: Path, name: str) -> None:
    """Refuse what is not a regular file, from its directory entry alone (``lstat``).

    A link is never followed: ``inbox/x.pdf → /etc/passwd`` would otherwise be
    read, hashed and archived. A FIFO would block the reader forever, a device
    could be read endlessly. ``name`` is the file's name as shown to people.
    """
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISLNK(mode):
        raise RejectedFile(
            f"{name} est un lien (raccourci) vers un autre fichier, pas un fichier déposé : "
            "par sécurité, il n'a pas été ouvert.",
            "Déposez dans inbox/ une copie du formulaire lui-même, pas un lien ; le lien "
            "mis de côté peut être supprimé.",
            RejectionCode.NOT_A_REGULAR_FILE,
        )
    kind = "un dossier" if stat.S_ISDIR(mode) else "un tube, un périphérique ou une socket"
    raise RejectedFile(
        f"{name} n'est pas un fichier ordinaire ({kind}) : il n'a pas été ouvert.",
        "Supprimez-le : déposez dans inbox/ uniquement des formulaires (.docx ou .pdf).",
        RejectionCode.NOT_A_REGULAR_FILE,
    )


def read_regular_file(path: Path, name: str, limit: int) -> bytes:
    """The bytes of ``path``, refused when over ``limit`` bytes or not a regular file.

    Opened without following a link and without blocking (a FIFO swapped in
    after ``check_entry`` cannot hang us), then checked again on the open file.
    """
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except PermissionError as exc:
        raise RejectedFile(
            f"{name} ne peut pas être lu : les droits de ce fichier ne le permettent pas.",
            "Donnez le droit de lecture sur ce fichier (ou déposez-en une copie faite par "
            "vous) puis déposez-le à nouveau dans inbox/.",
            RejectionCode.NOT_READABLE,
        ) from exc
    except FileNotFoundError:
        raise
    except OSError:
        check_entry(path, name)  # ELOOP: a link swapped in since; ENXIO: a socket
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            check_entry(path, name)
        data = b"" if info.st_size > limit else handle.read(limit + 1)
    size = max(info.st_size, len(data))  # a file still growing is judged by what was read
    if size > limit:
        raise RejectedFile(
            f"{name} pèse {-(-size // 1_000_000)} Mo, au-delà de la limite de "
            f"{limit // 1_000_000} Mo pour un formulaire.",
            "Enregistrez le formulaire sans images lourdes (ou scannez-le en 200 dpi, noir "
            "et blanc) ; la limite se règle dans entretien.toml, [retours] taille_max_mo.",
            RejectionCode.TOO_LARGE,
        )
    return data


def sniff(data: bytes, name: str) -> Format:
    """The format of ``data`` by content; ``RejectedFile`` for anything we do not read."""
    return examine(data, name).format


def examine(data: bytes, name: str) -> Sniffed:
    """The format of ``data`` and its weight; ``RejectedFile`` for anything we do not read."""
    if not data:
        raise RejectedFile(
            f"{name} est vide (0 octet) : l'enregistrement ou la copie a échoué.",
            "Enregistrez à nouveau le formulaire rempli et déposez-le une nouvelle fois.",
            RejectionCode.EMPTY,
        )
    # Signatures at offset 0 first: a ZIP's first part may well contain "%PDF-".
    if data.startswith(_ZIP_MAGIC):
        return _zip_format(data, name)
    if data.startswith(_OLE_MAGIC):
        if _is_outlook_message(data):  # before the password test: it may carry a locked file
            return Sniffed("message", len(data))
        if _ENCRYPTED_STREAM in data[:2_000_000]:
            raise RejectedFile(
                f"{name} est protégé par un mot de passe : impossible de lire les réponses.",
                "Ouvrez-le dans Word, retirez le mot de passe (Fichier > Informations > "
                "Protéger le document) et déposez-le à nouveau.",
                RejectionCode.ENCRYPTED,
            )
        return Sniffed("doc", len(data))  # Word 97-2003, or another old Office file
    if data.startswith(b"{\\rtf"):
        raise RejectedFile(
            f"{name} est un document RTF, pas le formulaire envoyé.",
            _RESEND,
            RejectionCode.UNSUPPORTED_FORMAT,
        )
    if data.startswith(_IMAGE_MAGICS):
        return _image(data, name)
    if _is_internet_message(data):  # RFC 5322 headers at offset 0: a signature too
        return Sniffed("message", len(data))
    if _PDF_MAGIC in data[:_PDF_HEADER_WINDOW]:
        return Sniffed("pdf", len(data))
    raise RejectedFile(
        f"{name} n'est ni un document Word (.docx) ni un PDF : type de fichier non pris en charge.",
        "Déposez dans inbox/ uniquement les formulaires d'entretien remplis (.docx ou .pdf).",
        RejectionCode.WRONG_TYPE,
    )


def message_kind(data: bytes) -> MessageKind | None:
    """``"msg"`` for an Outlook message, ``"eml"`` for an Internet message, else ``None``."""
    if data.startswith(_OLE_MAGIC):
        return "msg" if _is_outlook_message(data) else None
    return "eml" if _is_internet_message(data) else None


def _is_outlook_message(data: bytes) -> bool:
    """An OLE file holding Outlook's property streams ([MS-OXMSG] 2.1), not a Word file.

    A .msg has ``__properties_version1.0`` and ``__substg1.0_*`` streams at its
    root; a .doc has ``WordDocument``. Read by olefile (extract-msg's own
    reader); an OLE file it cannot open is left to the Word route, which says why.
    """
    try:
        with olefile.OleFileIO(data) as ole:
            root = {entry[0].lower() for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # olefile's parsing errors have no common class
        return False
    return _MSG_PROPERTIES in root and any(n.startswith(_MSG_STRING_PREFIX) for n in root)


def _is_internet_message(data: bytes) -> bool:
    """Text starting with RFC 5322 header lines, among them ``From:``, ``Received:``...

    Judged on the first lines only, never on the extension: every line up to
    the first blank one (or the end of the window) must be a header field or
    its continuation, and at least one must be a field every sent message
    carries. An mbox ``From `` line first (Thunderbird's saved messages) is allowed.
    """
    head = data[:_EML_WINDOW]
    if head.startswith(b"From "):
        head = head.partition(b"\n")[2]
    lines = head.split(b"\n")
    if len(head) == _EML_WINDOW:
        lines = lines[:-1]  # the last line may be cut by the window
    names: set[bytes] = set()
    for raw in lines:
        line = raw.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if not names:
                return False  # a continuation before any field
            continue
        field_name, colon, _ = line.partition(b":")
        if not colon or not _HEADER_NAME.fullmatch(field_name):
            return False
        names.add(field_name.lower())
    return len(names) >= 2 and bool(names & _EML_FIELDS)


def too_many_pixels(
    shown: str, width: int | None = None, height: int | None = None
) -> RejectedFile:
    """An image declaring more pixels than any scanned page; ``shown`` is the file as named."""
    most = MAX_IMAGE_PIXELS // 1_000_000
    if width is None or height is None:
        size = f"plus de {most} millions de pixels"
    else:
        size = f"{width} × {height} pixels, soit {round(width * height / 1_000_000)} millions"
    return RejectedFile(
        f"{shown} est une image démesurée ({size}) : une page scannée en compte au plus "
        f"{most} millions (format A3 à 600 ppp), c'est un fichier piégé ou mal enregistré.",
        "Scannez de nouveau le formulaire en 200 à 300 ppp (dpi), en noir et blanc ou en "
        "niveaux de gris, puis déposez ce scan.",
        RejectionCode.TOO_LARGE,
    )


def _image(data: bytes, name: str) -> Sniffed:
    """A scanned image, weighed from its header: the pixels its largest frame decodes into.

    Pillow reads the size from the header without decoding anything; a size
    beyond any scanned page is refused here, before a worker decodes it. A
    header Pillow cannot read is left to the scan reader, which says why.
    """
    weight = len(data)
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
            for frame in range(_IMAGE_FRAMES_WEIGHED):
                if frame:
                    image.seek(frame)
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise too_many_pixels(name, width, height)
                # The frame decoded, then its grey copy (``scan.py``).
                weight = max(weight, width * height * (len(image.getbands()) + 1))
                if image.format != "TIFF":
                    break
    except RejectedFile:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels(name) from exc
    except Exception:  # Pillow's parsing errors have no common class
        pass  # the frames weighed so far; the scan reader refuses a damaged image
    return Sniffed("image", weight)


def _damaged(name: str, why: str) -> RejectedFile:
    return RejectedFile(
        f"{name} est un fichier compressé endommagé ({why}) : le document est incomplet ou "
        "corrompu.",
        "Enregistrez à nouveau le formulaire depuis Word et déposez-le une nouvelle fois.",
        RejectionCode.DAMAGED,
    )


def _check_central_directory(data: bytes, name: str) -> None:
    """Refuse a central directory too big to be a form's, before zipfile loads it."""
    tail = data[-(_EOCD_SIZE + 0xFFFF) :]
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return  # no end record: zipfile says the file is damaged
    entries, size = struct.unpack("<HL", tail[at + 10 : at + 16])
    # 0xFFFF and 0xFFFFFFFF mean "see the ZIP64 record": far beyond any form.
    if entries > _MAX_ENTRIES or size > _MAX_CENTRAL_DIRECTORY:
        shown = "plus de 65 000" if entries == 0xFFFF else f"{entries}"
        raise RejectedFile(
            f"{name} contient {shown} parties compressées : c'est anormal pour un formulaire "
            "(fichier piégé ou corrompu).",
            _ASK_ORIGINAL,
            RejectionCode.TOO_LARGE,
        )


def part_key(filename: str) -> str:
    """A ZIP entry's part name as Office compares them: no leading slash, ASCII case folded."""
    return filename.replace("\\", "/").lstrip("/").lower()


def _zip_format(data: bytes, name: str) -> Sniffed:
    _check_central_directory(data, name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            duplicates = [
                part for part, n in Counter(part_key(e.filename) for e in entries).items() if n > 1
            ]
            names = {e.filename for e in entries}
            mimetype = b""
            if not duplicates and "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 200:
                    mimetype = archive.read(info)[:100]
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, RuntimeError) as exc:
        raise _damaged(name, type(exc).__name__) from exc
    if duplicates:
        raise RejectedFile(
            f"{name} contient deux fois la partie {sorted(duplicates)[0]} : impossible de savoir "
            "laquelle compte (fichier modifié hors de Word, ou piégé).",
            _ASK_ORIGINAL + " Le formulaire doit être enregistré depuis Word ou LibreOffice.",
            RejectionCode.AMBIGUOUS,
        )
    total = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if total > _MAX_UNCOMPRESSED or total / packed > _MAX_RATIO:
        raise RejectedFile(
            f"{name} se décompresse en {total // 1_000_000} Mo : c'est anormal pour un "
            "formulaire (fichier piégé ou corrompu).",
            _ASK_ORIGINAL,
            RejectionCode.TOO_LARGE,
        )
    if mimetype.strip() == b"application/vnd.oasis.opendocument.text":
        xml = max((e.file_size for e in entries if e.filename.endswith(".xml")), default=0)
        return Sniffed("odt", max(len(data), xml))
    if b"opendocument" in mimetype:
        raise RejectedFile(
            f"{name} est un document OpenDocument autre qu'un texte (classeur, présentation…), "
            "pas un formulaire d'entretien.",
            _RESEND,
            RejectionCode.WRONG_TYPE,
        )
    if "word/document.xml" in names:
        xml = max((e.file_size for e in entries if e.filename.endswith(".xml")), default=0)
        return Sniffed("docx", max(len(data), xml))
    if any(n.startswith("xl/") for n in names):
        raise RejectedFile(
            f"{name} est un classeur Excel, pas un formulaire d'entretien.",
            _RESEND,
            RejectionCode.WRONG_TYPE,
        )
    raise RejectedFile(
        f"{name} est une archive compressée (.zip), pas un formulaire d'entretien.",
        "Décompressez-la et déposez les formulaires (.docx ou .pdf) un par un.",
        RejectionCode.WRONG_TYPE,
    )
