"""Maps served from encoded bytes: a map changes only when the read model applies an event, so each
worker keeps the JSON of the maps it served, keyed by what was asked (subject, ``as_of``, ``known_at``)
and valid while the read model's position is the one it was computed at.

A thread per worker watches the position (one small query every ``POLL_SECONDS``), so a request never
waits on the database when its map is cached; a map asked for the first time after a change is computed
on a worker thread. ``as_of`` defaults to today and is part of the key, so maps turn over at midnight.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import anyio.to_thread
import msgspec

POLL_SECONDS = 0.01
CACHED_MAPS = 2048

_encoder = msgspec.json.Encoder()


class PositionWatch:
    """The read model's position, refreshed by a thread (``position()`` of the maps)."""

    def __init__(self, read_position: Callable[[], int | None]) -> None:
        self._read_position = read_position
        self.position: int | None = read_position()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="map-position", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stopped.wait(POLL_SECONDS):
            try:
                self.position = self._read_position()
            except Exception:  # noqa: BLE001 - a database hiccup: keep the last known position
                continue


class MapCache:
    def __init__(self, watch: PositionWatch, size: int = CACHED_MAPS) -> None:
        self.watch = watch
        self.size = size
        self._maps: OrderedDict[tuple[Any, ...], tuple[int | None, bytes]] = OrderedDict()

    async def encoded(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> bytes:
        """The JSON of ``compute()``, from the cache while the read model has not moved."""
        key = (*key, date.today())
        position = self.watch.position
        cached = self._maps.get(key)
        if cached is not None and cached[0] == position:
            return cached[1]
        encoded = await anyio.to_thread.run_sync(lambda: _encoder.encode(compute()))
        self._maps[key] = (position, encoded)
        self._maps.move_to_end(key)
        while len(self._maps) > self.size:
            self._maps.popitem(last=False)
        return encoded


def utc(moment: datetime | None) -> datetime | None:
    """A ``known_at`` without a time zone is read as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
