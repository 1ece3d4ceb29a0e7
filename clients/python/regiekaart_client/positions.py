"""Where a follower keeps the position of the last event it handled, so that a restart resumes after
it. The caller chooses the store: a file (``FilePosition``), or a table of its own beside the data the
handler writes, through any object with ``load`` and ``save``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol


class PositionPastFeed(Exception):
    """The stored position is past the feed's last message: not a position of this feed (a store of
    another installation or region). Following from it would pass over everything until the feed
    got that far."""


class PositionStore(Protocol):
    def load(self) -> int:
        """The position of the last event handled (0: none yet)."""

    def save(self, position: int) -> None:
        """Remembers that the event at ``position`` was handled; called after the handler returns."""


class FilePosition:
    """The position in a file, replaced whole on each save (never half written), on disk when
    ``save`` returns."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> int:
        try:
            return int(self.path.read_text().strip() or 0)
        except FileNotFoundError:
            return 0

    def save(self, position: int) -> None:
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("w") as file:
            file.write(str(position))
            file.flush()
            os.fsync(file.fileno())
        partial.replace(self.path)
        # The rename is kept only once the directory is synced: without it, a machine that crashes
        # may come back with an earlier position, and the handler gets every event since again.
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
