"""Moving files out of the inbox without ever losing, overwriting or following one.

Three rules, each learnt from a file lost or a crash:

- **Names are claimed, not checked.** Another ``ingest`` or the watcher may
  file something under the same name at the same moment: every name is taken
  with an exclusive operation (``link``, ``O_EXCL``) that fails if it exists,
  and a failure means "try the next name". A check followed by a rename is a
  race (four reason notes in 2,400 were lost that way).
- **Notes appear whole.** A reason note is written to a hidden temporary file,
  flushed, then linked under its name: a reader, or a crash, never sees half a
  note.
- **A link is moved as a link.** Nothing here opens the target of a symbolic
  link, a FIFO or a device; ``link`` and ``rename`` act on the entry itself.

A move into another file system (``archive/`` on a network share: ``EXDEV``)
is a copy, flushed to disk, then the removal of the original: the file is in
one place or (briefly, if killed) in both, never in neither.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

from entretien_forms.inbox.preflight import INBOX_NOTE_SUFFIX

# File names are limited to 255 bytes on every file system we meet (ext4, NTFS in
# UTF-16 units, APFS, SMB shares).
NAME_MAX = 255
NOTE_SUFFIX = ".txt"
# Room kept for "-<n>" when a name is taken.
_COUNTER_ROOM = 7
# Suffixes longer than this are not an extension but part of a long name.
_MAX_SUFFIX = 16
# Errors meaning "this file system cannot make hard links here": fall back to rename.
_NO_LINK = frozenset(
    getattr(errno, name)
    for name in ("EPERM", "EACCES", "ENOTSUP", "EOPNOTSUPP", "EMLINK", "ENOSYS", "EINVAL")
    if hasattr(errno, name)
)


def display_name(path: Path) -> str:
    """``path.name`` as text a person can read and SQLite can store.

    A name that is not valid UTF-8 (copied from an old Windows share or a ZIP)
    comes from the OS with surrogate escapes, which no encoder accepts: the
    undecodable bytes are shown as « � ».
    """
    return os.fsencode(path.name).decode("utf-8", "replace")


def fit_name(name: str, room: int) -> str:
    """``name`` shortened (its stem, keeping the extension) so that ``room`` more bytes fit.

    A name of 252 bytes is legal, but its reason note ``<name>.txt`` is not.
    """
    limit = NAME_MAX - room
    if len(os.fsencode(name)) <= limit:
        return name
    stem, suffix = _split(name)
    budget = limit - len(os.fsencode(suffix))
    while stem and len(os.fsencode(stem)) > budget:
        stem = stem[:-1]
    return (stem or "fichier") + suffix


def _split(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0 or len(os.fsencode(name[dot:])) > _MAX_SUFFIX:
        return name, ""
    return name[:dot], name[dot:]


def candidates(name: str, room: int) -> Iterator[str]:
    """``name``, then ``stem-2.ext``, ``stem-3.ext``... each leaving ``room`` bytes free."""
    yield fit_name(name, room)
    stem, suffix = _split(fit_name(name, room + _COUNTER_ROOM))
    for n in range(2, 100_000):
        yield f"{stem}-{n}{suffix}"


# --------------------------------------------------------------------------- notes


def write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` if no file has that name; False if one has.

    Written in full to a hidden temporary file of the same folder, flushed,
    then linked to its name: the name is claimed atomically with its content.
    """
    tmp = _temporary(path)
    try:
        _write_flushed(tmp, text)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            return _write_exclusive(path, text)  # FAT, some network shares: no hard links
        return True
    finally:
        with suppress(OSError):
            tmp.unlink()


def replace_note(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, replacing our earlier note of that name."""
    tmp = _temporary(path)
    try:
        _write_flushed(tmp, text)
        tmp.replace(path)
    finally:
        with suppress(OSError):
            tmp.unlink()


def inbox_note(path: Path) -> Path:
    """Where the note goes for a file that could neither be taken nor moved: beside it."""
    return path.with_name(fit_name(path.name, len(INBOX_NOTE_SUFFIX)) + INBOX_NOTE_SUFFIX)


_TEMPORARY = re.compile(r"\.[0-9a-f]{32}\.part")


def remove_orphan_temporaries(folder: Path) -> int:
    """Delete the temporary files a killed write left in ``folder`` and below it.

    Only our own names (``_temporary``: a dot, 32 hex digits, ``.part``) and only
    files: a copy half done is never a file anyone filed. Returns how many.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.rglob(".*.part"):
        if _TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            with suppress(OSError):
                path.unlink()
                removed += 1
    return removed


# A reason note starts with this line (``ingest._note_text``): a ``.txt`` HR dropped in
# rejected/ never does, so only our own notes are ever removed.
NOTE_FIRST_LINE = "Fichier : "
# A note younger than this may belong to a move another process is making right now.
_ORPHAN_AGE_SECONDS = 120.0


def remove_orphan_notes(folder: Path, *, now: float | None = None) -> int:
    """Delete reason notes whose file is not beside them: a kill between note and move.

    ``set_aside`` writes the note before moving the file, so that a file in
    ``rejected/`` always has its reason; a kill in between leaves a note about a
    file still in the inbox, which the next run sets aside again with a new
    note. Only our notes, only old enough not to be another process's move in
    progress. Returns how many.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    now = time.time() if now is None else now
    for note in folder.glob(f"*{NOTE_SUFFIX}"):
        target = note.with_name(note.name[: -len(NOTE_SUFFIX)])
        if os.path.lexists(target) or note.is_symlink() or not note.is_file():
            continue
        try:
            if now - note.stat().st_mtime < _ORPHAN_AGE_SECONDS:
                continue
            with note.open("rb") as handle:
                head = handle.read(len(NOTE_FIRST_LINE.encode()))
            if head != NOTE_FIRST_LINE.encode():
                continue
            note.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def _temporary(path: Path) -> Path:
    # Hidden and ".part": ignored by the inbox and the watcher if seen meanwhile.
    return path.with_name(f".{uuid.uuid4().hex}.part")


def _write_flushed(path: Path, text: str) -> None:
    # "replace": a note must be written whatever the text (a name with stray bytes).
    with path.open("x", encoding="utf-8", errors="replace", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _write_exclusive(path: Path, text: str) -> bool:
    try:
        _write_flushed(path, text)
    except FileExistsError:
        return False
    return True


# --------------------------------------------------------------------------- moves


def move_new(source: Path, target: Path) -> None:
    """Move the entry ``source`` to ``target``; ``FileExistsError`` if ``target`` exists.

    Never overwrites, never follows a link. ``FileNotFoundError`` if ``source``
    is gone (another process took it): nothing is left at ``target`` then.
    """
    try:
        _link_entry(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            _move_across(source, target)
            return
        if exc.errno not in _NO_LINK:
            raise
        _rename_into_claimed(source, target)  # no hard links here, or not to this file
        return
    try:
        source.unlink()
    except FileNotFoundError:
        # Another process linked the same file elsewhere and removed it first: the
        # file is filed there; our link to it goes, and the caller says so.
        target.unlink()
        raise
    except BaseException:
        with suppress(OSError):
            target.unlink()
        raise
    _sync_folder(target.parent)


def _link_entry(source: Path, target: Path) -> None:
    """A hard link to the entry itself (a symbolic link stays a link, never its target)."""
    if os.link not in os.supports_follow_symlinks and source.is_symlink():
        raise OSError(errno.ENOTSUP, "cannot link a symbolic link here", str(source))
    os.link(source, target, follow_symlinks=os.link not in os.supports_follow_symlinks)


def _rename_into_claimed(source: Path, target: Path) -> None:
    """Claim ``target`` with an empty file (``O_EXCL``), then rename over it."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        source.replace(target)
    except BaseException:
        with suppress(OSError):
            target.unlink()
        raise
    _sync_folder(target.parent)


def _move_across(source: Path, target: Path) -> None:
    """Copy to the other file system, flush, claim the name, then remove the original."""
    info = source.lstat()
    tmp = _temporary(target)
    if stat.S_ISLNK(info.st_mode):
        tmp.symlink_to(source.readlink())  # the link itself, never what it points to
    elif stat.S_ISREG(info.st_mode):
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(source, flags), "rb") as src, tmp.open("xb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        with suppress(OSError):
            shutil.copystat(source, tmp, follow_symlinks=False)
    else:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(source))
    try:
        try:
            _link_entry(tmp, target)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            _rename_into_claimed(tmp, target)
        _sync_folder(target.parent)
        try:
            source.unlink()
        except FileNotFoundError:
            target.unlink()  # another process took the original meanwhile
            raise
    finally:
        with suppress(OSError):
            tmp.unlink()


def set_aside(source: Path, folder: Path, note: Callable[[str], str]) -> tuple[Path, Path]:
    """Move ``source`` into ``folder`` beside a reason note; (new place, note).

    The pair is ``<name>`` and ``<name>.txt``, with the first free name, free
    both ways: neither name may be taken, and a name ending in ``.txt`` is not
    used when the name without it is there (it would read as that file's note).
    ``note(new_name)`` gives the note's text once the name is known.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in candidates(source.name, len(NOTE_SUFFIX)):
        target, reason = folder / name, folder / (name + NOTE_SUFFIX)
        if os.path.lexists(target) or os.path.lexists(reason):
            continue
        if name.endswith(NOTE_SUFFIX) and os.path.lexists(folder / name[: -len(NOTE_SUFFIX)]):
            continue
        if not write_new(reason, note(name)):
            continue
        try:
            move_new(source, target)
        except FileExistsError:
            reason.unlink()
            continue
        except BaseException:
            with suppress(OSError):
                reason.unlink()
            raise
        return target, reason
    raise FileExistsError(errno.EEXIST, "no free name left", str(folder / source.name))


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename itself) where the OS allows it."""
    if os.name != "posix":
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
