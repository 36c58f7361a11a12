"""Every exception the library raises, in one place.

Messages are written in French for the person who will read them: the CLI
prints ``str(exc)`` as it is, without a traceback. Each message names the
thing at fault (file, row, column, key) and says what to do.
"""

from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum


class EntretienError(Exception):
    """Base of every error the project raises on purpose (a user-facing problem)."""


class WorkspaceError(EntretienError):
    """The workspace is missing, incomplete or cannot be written."""


class ConfigError(EntretienError):
    """``entretien.toml`` cannot be read or holds an invalid value."""


class RosterError(EntretienError):
    """The file cannot be read as an employee list at all (not a row-level problem)."""


class UnreadableFileError(RosterError):
    """The file is not in a format we read, or is corrupt, encrypted or too large."""


class UnsafeXmlError(UnreadableFileError, ValueError):
    """A workbook part declares a DTD or an entity, which a spreadsheet never needs."""


class WorkbookPartTooLargeError(UnreadableFileError):
    """A workbook part or sheet is beyond the size limits (French message, no file name)."""


class CellValueError(EntretienError, ValueError):
    """A roster cell cannot be read as its field's type (French message, no row or column)."""


class StoreError(EntretienError):
    """The workspace database cannot be opened or is from a newer version."""


class FormDefinitionError(EntretienError):
    """A form definition file in ``templates/`` is invalid (file, field id and reason given)."""


class UnknownFormError(EntretienError):
    """No form definition has the requested id or kind."""


class GenerationError(EntretienError):
    """Forms could not be generated (output folder not writable, nothing to generate...)."""


class RejectionCode(StrEnum):
    """Why a file of the inbox was set aside: the one catalogue, stored beside the French sentence.

    The value is what the audit log keeps (``audit_log.code``), so that HR's
    tools and the reports can count rejections by cause without parsing French;
    values never change once released.
    """

    EMPTY = "empty"  # 0 bytes: the save or the copy failed
    TOO_LARGE = "too_large"  # over the size limit, or a part that inflates beyond reason
    NOT_A_REGULAR_FILE = "not_a_regular_file"  # a link, a folder link, a FIFO, a device
    NOT_READABLE = "not_readable"  # we may not read it (permissions)
    UNSUPPORTED_FORMAT = "unsupported_format"  # a document we do not read: .doc, .odt, .rtf
    WRONG_TYPE = "wrong_type"  # not a document at all: text, image, workbook, plain .zip
    ENCRYPTED = "encrypted"  # password-protected
    DAMAGED = "damaged"  # truncated or corrupt container or XML
    UNSAFE_CONTENT = "unsafe_content"  # macros, XML entities (DOCTYPE)
    AMBIGUOUS = "ambiguous"  # two copies of one part: which one counts cannot be told
    NOT_A_FORM = "not_a_form"  # a readable document without our reference
    UNKNOWN_REFERENCE = "unknown_reference"  # a reference this workspace never issued
    TAMPERED = "tampered"  # the identity does not match the ledger, or its signature fails
    UNVERIFIED_IDENTITY = "unverified_identity"  # a reference alone, nothing signed: HR decides
    TEMPLATE_MISSING = "template_missing"  # the form definition is gone from templates/
    INVALID_TEMPLATE = "invalid_template"  # the form definition in templates/ is broken
    UNREADABLE = "unreadable"  # a reader said no without a more precise code
    UNKNOWN_SENDER = "unknown_sender"  # an e-mail from an address not in the roster or allowed
    NO_ATTACHMENT = "no_attachment"  # an e-mail without any form attached
    TOO_MANY_ATTACHMENTS = "too_many_attachments"  # an e-mail with more files than allowed


class RejectedFile(EntretienError):
    """A file dropped in the inbox cannot be taken: ``str()`` says why, ``advice`` what to do.

    Both are French sentences written into the ``.txt`` left beside the file
    in ``rejected/``, for the HR person who will open that folder; ``code`` is
    the same cause for machines (``RejectionCode``).
    """

    def __init__(
        self, reason: str, advice: str, code: RejectionCode = RejectionCode.UNREADABLE
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice
        self.code = code


# SQLite's primary result codes (the low byte of an extended code) that mean the
# database file itself is damaged: only then may we say it is unreadable.
_SQLITE_CORRUPT = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_SQLITE_PROBLEMS = {
    13: "le disque est plein",  # SQLITE_FULL
    8: "la base est en lecture seule (droits du fichier ou du dossier)",  # SQLITE_READONLY
    3: "l'accès est refusé (droits du fichier ou du dossier)",  # SQLITE_PERM
    23: "l'accès est refusé (droits du fichier ou du dossier)",  # SQLITE_AUTH
    14: "le fichier ne peut pas être ouvert (dossier absent, droits, disque plein)",  # CANTOPEN
    10: "erreur de lecture ou d'écriture sur le disque (disque plein, partage réseau coupé)",
    5: "la base est occupée par un autre programme depuis trop longtemps",  # SQLITE_BUSY
    6: "la base est occupée par un autre programme depuis trop longtemps",  # SQLITE_LOCKED
    7: "la mémoire manque",  # SQLITE_NOMEM
}
_OS_PROBLEMS = {
    getattr(errno, name): words
    for name, words in (
        ("ENOSPC", "le disque est plein"),
        ("EDQUOT", "le quota de disque est atteint"),  # not on Windows
        ("EROFS", "le disque est en lecture seule"),
        ("EACCES", "les droits manquent pour écrire ou lire à cet endroit"),
        ("EPERM", "les droits manquent pour écrire ou lire à cet endroit"),
        ("EIO", "erreur de lecture ou d'écriture sur le disque (disque ou partage réseau)"),
    )
    if hasattr(errno, name)
}


def storage_problem(exc: BaseException) -> str | None:
    """French words for a disk or permission problem behind ``exc``, ``None`` for anything else.

    A full disk or a folder we may not write is not a bug and not damage: the
    data is intact and the fix is the administrator's. Saying « base illisible »
    or « erreur inattendue » instead sends people to delete good files.
    """
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None or code & 0xFF in _SQLITE_CORRUPT:
            return None
        return _SQLITE_PROBLEMS.get(code & 0xFF)
    if isinstance(exc, OSError) and exc.errno is not None:
        return _OS_PROBLEMS.get(exc.errno)
    return None


def is_corruption(exc: BaseException) -> bool:
    """True when SQLite says the database file itself is damaged (not full, not locked)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.DatabaseError)
        and code is not None
        and code & 0xFF in (_SQLITE_CORRUPT)
    )


class MailError(EntretienError):
    """E-mail cannot be prepared, sent or collected (setting, template, password, server)."""


# --- signals inside the readers: caught there, never shown as such ------------------------


class MalformedFieldTreeError(Exception):
    """A PDF's field tree is not a tree (loop, shared node, too deep, not a list)."""


class FieldValueTypeError(Exception):
    """A PDF field's value has a type its field cannot hold."""


class PageTooHeavyError(Exception):
    """A scanned page whose drawing cost cannot be bounded: it is not rendered."""
