"""Log files for bug reports: one new file per problem, never overwriting another.

A crash log is what a user attaches to a bug report, so two of them must never
share a name: two commands failing in the same second, or one ``ingest`` whose
files fail one after the other, each get their own file. The name carries the
date to the second (to sort), the process id (two processes) and a counter
(one process); the file is created with ``O_EXCL`` so that nothing, not even a
name computed twice, can make one overwrite another.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

LOGS_FOLDER = "logs"


def write_log(folder: Path, prefix: str, text: str, *, now: datetime | None = None) -> Path:
    """Write ``text`` to a new file ``<prefix>-<date>-<pid>[-n].log`` in ``folder``.

    Raises ``OSError`` when the folder cannot be written (disk full, read
    only): the caller decides what to say then.
    """
    now = now or datetime.now()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{prefix}-{now:%Y%m%d-%H%M%S}-{os.getpid()}"
    n = 1
    while True:
        path = folder / (stem if n == 1 else f"{stem}-{n}")
        path = path.with_name(path.name + ".log")
        try:
            with path.open("x", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
        except FileExistsError:
            n += 1
            continue
        return path
