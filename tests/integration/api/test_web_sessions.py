"""The pages' sessions as files in the data directory: an expired one is removed, not kept forever."""

from __future__ import annotations

import asyncio
from pathlib import Path

from api.web.sessions import WebSessions


def _files(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


def test_signing_in_removes_the_expired_sessions_and_keeps_the_live_ones(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"

    async def scenario() -> None:
        sessions = WebSessions(directory)
        expired = await sessions.open("token-a", seconds=1)
        live = await sessions.open("token-b")
        await asyncio.sleep(1.1)  # the first session's day is over (StorageObject counts in time)
        assert len(_files(directory)) == 2  # still on disk: nothing read it since
        assert await sessions.token(live) == "token-b"
        newest = await sessions.open("token-c")  # a sign-in sweeps
        assert len(_files(directory)) == 2
        assert await sessions.token(expired) is None
        assert await sessions.token(live) == "token-b" and await sessions.token(newest) == "token-c"

    asyncio.run(scenario())


def test_a_sweep_skips_a_file_another_worker_is_still_writing(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"

    async def scenario() -> None:
        sessions = WebSessions(directory)
        (directory / "abc.tmpxyz").write_bytes(b"half a stor")  # a write in progress elsewhere
        session = await sessions.open("token-a")
        assert await sessions.token(session) == "token-a"
        assert "abc.tmpxyz" in _files(directory)

    asyncio.run(scenario())
