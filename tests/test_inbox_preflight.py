"""Preflight: what is ignored, what is refused before reading, and the format by content."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from entretien_forms.errors import RejectedFile
from entretien_forms.inbox.preflight import is_ignored, sniff


@pytest.mark.parametrize(
    "name",
    ["~$retien.docx", ".~lock.form.docx#", "x.tmp", ".DS_Store", "Thumbs.db", "desktop.ini",
     ".form.docx.part", "Téléchargement.crdownload"],
)  # fmt: skip
def test_office_and_system_files_are_ignored(name: str) -> None:
    assert is_ignored(Path(name))


@pytest.mark.parametrize("name", ["form.docx", "Lefèvre-annuel.pdf", "scan 01.PDF", "tmp.docx"])
def test_forms_are_not_ignored(name: str) -> None:
    assert not is_ignored(Path(name))


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_format_is_read_from_content_not_extension() -> None:
    assert sniff(b"%PDF-1.7\n...", "formulaire.docx") == "pdf"
    assert sniff(_zip({"word/document.xml": b"<w/>"}), "formulaire.pdf") == "docx"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "f.docx est vide (0 octet) : l'enregistrement ou la copie a échoué."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "f.docx est au format Word 97-2003 (.doc) ou un autre ancien format Office, que "
            "nous ne lisons pas.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "f.docx est protégé par un mot de passe : impossible de lire les réponses.",
        ),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
            "f.docx est un document OpenDocument (.odt, LibreOffice), pas un .docx.",
        ),
        (
            _zip({"xl/workbook.xml": b"<x/>"}),
            "f.docx est un classeur Excel, pas un formulaire d'entretien.",
        ),
        (b"PK\x03\x04garbage", "f.docx est un fichier compressé endommagé (BadZipFile) : le "
         "document est incomplet ou corrompu."),
        (
            _zip({"word/document.xml": b"\0" * 50_000_000}),
            "f.docx se décompresse en 50 Mo : c'est anormal pour un formulaire (fichier piégé "
            "ou corrompu).",
        ),
        (b"{\\rtf1 hello}", "f.docx est un document RTF, pas le formulaire envoyé."),
        (
            b"Bonjour, voici le formulaire",
            "f.docx n'est ni un document Word (.docx) ni un PDF : type de fichier non pris en "
            "charge.",
        ),
    ],
)  # fmt: skip
def test_refusals_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedFile) as caught:
        sniff(data, "f.docx")
    assert caught.value.reason == reason
    assert caught.value.advice
