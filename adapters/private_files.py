"""Files only the service's own user may read: the data directory (mode 0700) and the secrets in it
(mode 0600): the read models with token hashes and stored answers, NATS credentials and configuration,
the signing key, the first admin token.

Modes are set when a file or directory is made, rather than by a process-wide umask, so that what the
service writes for others (an audit export, for instance) keeps the user's own umask. A directory made
0700 also hides whatever a subprocess (nats-server) puts in it with modes of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """Makes ``path`` (and every missing folder above it) readable by its owner only, creating it if
    need be. Folders that already existed above it are left as they are: they may be the user's."""
    path = Path(path)
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
    os.chmod(path, DIRECTORY_MODE)  # mkdir's mode is masked by the umask; an old one may be wider
    return path


def private_file(path: Path) -> Path:
    """Makes sure the file ``path`` exists and is readable by its owner only (before anything else
    opens it: SQLite, for instance, gives its journal files the mode of the database file)."""
    path = Path(path)
    if not path.parent.exists():
        private_directory(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def write_private_file(path: Path, content: str | bytes) -> Path:
    """Writes ``content`` to ``path`` (mode 0600) in one step: a reader sees the old file or the new one,
    never half of it, and never a moment in which the file is readable by others."""
    path = Path(path)
    if not path.parent.exists():
        private_directory(path.parent)
    data = content.encode() if isinstance(content, str) else content
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.chmod(temporary, FILE_MODE)
    os.replace(temporary, path)
    return path
