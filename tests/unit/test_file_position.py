"""Where a feed follower keeps its position on disk (``regiekaart_client.FilePosition``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from regiekaart_client import FilePosition


def test_a_saved_position_is_on_disk_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new file's content and its rename into place both reach the disk before save returns:
    the rename is kept only once its directory is synced, and without that a machine that crashed
    came back with an older position, the handler getting again every event since."""
    synced: list[str] = []
    fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append("directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    positions = FilePosition(tmp_path / "feed.position")

    positions.save(41)
    positions.save(42)

    assert synced == ["file", "directory"] * 2
    assert positions.load() == 42
    assert [path.name for path in tmp_path.iterdir()] == ["feed.position"]
