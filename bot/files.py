"""Files the bot writes are readable by the bot's own user only.

The database, the Matrix store (login, sync state, encryption keys) and the
exported files hold personal data and secrets: files are 0600 and folders 0700.
``samvaer`` sets the umask to 077 when it starts, so everything it creates gets
these modes; the helpers here also tighten what an older version left open.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_umask() -> int:
    """Make every file and folder this process creates private; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def private_folder(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it 0700."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)
    return path


def make_private(path: Path) -> None:
    """Make an existing file 0600 (a missing one is left alone)."""
    with contextlib.suppress(FileNotFoundError):
        path.chmod(FILE_MODE)


def open_private(path: Path) -> int:
    """Open ``path`` for writing from the start as a 0600 file, whatever it was before."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    return descriptor


def write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to a 0600 file."""
    with os.fdopen(open_private(path), "wb") as handle:
        handle.write(content)
