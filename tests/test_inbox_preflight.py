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
    # The ZIP signature at offset 0 wins over "%PDF-" in the first part's bytes.
    assert sniff(_zip({"word/document.xml": b"%PDF-1.7 <w/>"}), "formulaire.pdf") == "docx"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "doc"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
         "odt"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image"),
        (b"II*\x00" + b"\0" * 20, "image"),
        (b"MM\x00*" + b"\0" * 20, "image"),
    ],
)  # fmt: skip
def test_other_formats_managers_send_are_told_apart(data: bytes, expected: str) -> None:
    assert sniff(data, "f.pdf") == expected


def test_our_notes_left_in_the_inbox_are_never_taken_for_submissions() -> None:
    assert is_ignored(Path("formulaire.docx.erreur.txt"))
    assert not is_ignored(Path("erreur.txt"))


@pytest.mark.parametrize(
    ("data", "reason", "code"),
    [
        (b"", "f.docx est vide (0 octet) : l'enregistrement ou la copie a échoué.", "empty"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "f.docx est protégé par un mot de passe : impossible de lire les réponses.",
            "encrypted",
        ),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                  "content.xml": b"<x/>"}),
            "f.docx est un document OpenDocument autre qu'un texte (classeur, présentation…), "
            "pas un formulaire d'entretien.",
            "wrong_type",
        ),
        (
            _zip({"xl/workbook.xml": b"<x/>"}),
            "f.docx est un classeur Excel, pas un formulaire d'entretien.",
            "wrong_type",
        ),
        (b"PK\x03\x04garbage", "f.docx est un fichier compressé endommagé (BadZipFile) : le "
         "document est incomplet ou corrompu.", "damaged"),
        (
            _zip({"word/document.xml": b"\0" * 50_000_000}),
            "f.docx se décompresse en 50 Mo : c'est anormal pour un formulaire (fichier piégé "
            "ou corrompu).",
            "too_large",
        ),
        (b"{\\rtf1 hello}", "f.docx est un document RTF, pas le formulaire envoyé.",
         "unsupported_format"),
        (
            b"Bonjour, voici le formulaire",
            "f.docx n'est ni un document Word (.docx) ni un PDF : type de fichier non pris en "
            "charge.",
            "wrong_type",
        ),
        (
            _zip({"word/document.xml": b"<a/>", "WORD/document.xml": b"<b/>"}),
            "f.docx contient deux fois la partie word/document.xml : impossible de savoir "
            "laquelle compte (fichier modifié hors de Word, ou piégé).",
            "ambiguous",
        ),
    ],
)  # fmt: skip
def test_refusals_say_why(data: bytes, reason: str, code: str) -> None:
    with pytest.raises(RejectedFile) as caught:
        sniff(data, "f.docx")
    assert caught.value.reason == reason
    assert caught.value.advice
    assert caught.value.code == code
