"""Every exception the library raises, in one place.

Messages are written in French for the person who will read them: the CLI
prints ``str(exc)`` as it is, without a traceback. Each message names the
thing at fault (file, row, column, key) and says what to do.
"""

from __future__ import annotations


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


class StoreError(EntretienError):
    """The workspace database cannot be opened or is from a newer version."""


class EntretienWarning(UserWarning):
    """Read, but something looked odd (kept going)."""


class FormDefinitionError(EntretienError):
    """A form definition file in ``templates/`` is invalid (file, field id and reason given)."""


class UnknownFormError(EntretienError):
    """No form definition has the requested id or kind."""


class GenerationError(EntretienError):
    """Forms could not be generated (output folder not writable, nothing to generate...)."""


class RejectedFile(EntretienError):
    """A file dropped in the inbox cannot be taken: ``str()`` says why, ``advice`` what to do.

    Both are French sentences written into the ``.txt`` left beside the file
    in ``rejected/``, for the HR person who will open that folder.
    """

    def __init__(self, reason: str, advice: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice
