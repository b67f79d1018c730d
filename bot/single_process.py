"""SQLite is for one process: a second ``samvaer run`` on the same file is refused."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url


class AlreadyRunning(Exception):
    """Another process is using this SQLite database.

    ``key`` and ``values`` name the message in the catalogs (``cli.config.<key>``); the
    exception's own text is the English."""

    key = "already_running"

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(
            f"{path} is already in use by process {holder}. SQLite serves one bot process; "
            "stop the other one, or point [database] url at PostgreSQL to run several."
        )
        self.values = {"path": str(path), "holder": holder}


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, None for other databases or in-memory ones."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def lock_sqlite(url: str) -> IO[str] | None:
    """Hold an exclusive lock next to the SQLite file for the life of the process."""
    path = sqlite_path(url)
    if path is None:
        return None
    lock_path = path.with_name(path.name + ".lock")
    handle = lock_path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise AlreadyRunning(path, holder) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
