"""Maps served from encoded bytes: a map changes only when the read model applies an event, so each
worker keeps the JSON of the maps it served, keyed by what was asked (subject, ``as_of``, ``known_at``)
and valid while the read model's position is the one it was computed at.

A thread per worker watches the position, so a request never waits on the database when its map is
cached. The watch reads the position when the projection runner says it applied events
(``adapters.nats.read_model_signal``), and every ``FALLBACK_SECONDS`` in case a signal was lost;
without a signal (a log not on NATS) every ``POLL_SECONDS``. A map asked for the first time after a
change is computed once on a worker thread, however many requests ask for it meanwhile. ``as_of``
defaults to today and is part of the key, so maps turn over at midnight. Each encoded map carries an
entity tag of its bytes, so a client that has them gets 304 Not Modified instead of them again.

Every map names the log position it reflects (``POSITION_HEADER``): the read model had applied the
events up to at least that position when it was computed. A client that has just recorded a command
(whose answer names the position of its last event) asks for a map at least that far with
``min_position``; the request waits for the watch to see the read model get there, at most
``MIN_POSITION_WAIT_SECONDS`` (the read model usually follows within milliseconds). A waiting request is
woken when the watch reads a new position, not by polling: a thousand requests that polled every 10 ms
for 2 s cost a worker 1.4 s of CPU.

The maps asked for since the position last moved are computed again as soon as the watch sees it move
(at most ``REFRESHED_MAPS`` of them), not when the next request for one comes: a client that reads the
map right after its command finds the new map computed, or being computed, instead of starting it.

Every map is read from the read model's facts, and most events change none of a map's (a milestone, a
plan's step) or no facts at all. The watch reads with each position the last position at which any
fact row was written or superseded (``projections.queries.ReadModelAt``): a map read at or after that
position is the map at the new position too, and is carried there, its header naming the new position,
instead of being computed again (a region's map: 0.7 ms against 7 ms and more). As with a position that
did not move, the facts at a position are taken to be the same after a rebuild swapped the tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import anyio.to_thread
import msgspec
from litestar.exceptions import ValidationException
from litestar.response.base import ASGIResponse

from adapters.nats.read_model_signal import ReadModelSignal
from api.compression import accepts_gzip, gzipped
from projections.queries import PositionProbe, ReadModelAt
from projections.views import MapHeader

POLL_SECONDS = 0.01
FALLBACK_SECONDS = 0.5
CACHED_MAPS = 2048
REFRESHED_MAPS = 64
MIN_POSITION_WAIT_SECONDS = 2.0
POSITION_HEADER = "Regiekaart-Position"

_encoder = msgspec.json.Encoder()
log = logging.getLogger("regiekaart.api.maps")


class PositionWatch:
    """The read model's position, refreshed by a thread: woken by ``signal``, or polling without one.
    Whoever waits on an event loop for the position to move is told on that loop (``when_moved``)."""

    def __init__(self, probe: PositionProbe, signal: ReadModelSignal | None = None) -> None:
        self._probe = probe
        self._signal = signal
        self._stop_listening: Callable[[], None] | None = None
        # Replaced whole, never changed in place: a reader on another thread gets one reading.
        self.read_model: ReadModelAt = probe()
        self._stopped = threading.Event()
        self._moved = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="map-position", daemon=True)
        self._listeners_lock = threading.Lock()
        self._listeners: dict[asyncio.AbstractEventLoop, list[Callable[[], None]]] = {}

    @property
    def position(self) -> int | None:
        return self.read_model.position

    def start(self) -> None:
        if self._signal is not None:
            self._stop_listening = self._signal.listen(self._moved.set)
        self._thread.start()

    def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
        self._stopped.set()
        self._moved.set()
        self._thread.join(timeout=5)
        self._probe.close()

    def when_moved(self, moved: Callable[[], None]) -> Callable[[], None]:
        """Calls ``moved()`` on the running event loop each time the watch reads a new position;
        returns what stops it."""
        loop = asyncio.get_running_loop()
        with self._listeners_lock:
            self._listeners.setdefault(loop, []).append(moved)

        def stop() -> None:
            with self._listeners_lock:
                listeners = self._listeners.get(loop, [])
                if moved in listeners:
                    listeners.remove(moved)
                if not listeners:
                    self._listeners.pop(loop, None)

        return stop

    async def reached(self, min_position: int, wait_seconds: float) -> bool:
        """Whether the read model gets to ``min_position`` within ``wait_seconds``, as the watch sees it."""
        if (self.position or 0) >= min_position:
            return True
        moved = asyncio.Event()
        stop = self.when_moved(moved.set)
        try:
            async with asyncio.timeout(wait_seconds):
                # Checked after listening: a position read meanwhile is not missed.
                while (self.position or 0) < min_position:
                    await moved.wait()
                    moved.clear()
            return True
        except TimeoutError:
            return False
        finally:
            stop()

    def _watch(self) -> None:
        interval = POLL_SECONDS if self._signal is None else FALLBACK_SECONDS
        while True:
            self._moved.wait(interval)
            # Cleared before reading: a signal that comes during the read is read again after it.
            self._moved.clear()
            if self._stopped.is_set():
                return
            try:
                read_model = self._probe()
            except Exception:
                log.warning("could not read the read model's position", exc_info=True)
                continue
            if read_model != self.read_model:
                self.read_model = read_model
                self._tell_listeners()

    def _tell_listeners(self) -> None:
        with self._listeners_lock:
            told = [(loop, tuple(listeners)) for loop, listeners in self._listeners.items()]
        for loop, listeners in told:
            with contextlib.suppress(RuntimeError):  # the loop is closed: its server is gone
                loop.call_soon_threadsafe(_call_each, listeners)


def _call_each(callbacks: Iterable[Callable[[], None]]) -> None:
    for callback in callbacks:
        callback()


class EncodedMap:
    """A map's JSON, its entity tag and the log position it reflects, with its answers made once: the
    JSON, the JSON gzipped (``api.compression``) and 304 without a body. Made per request, a Litestar
    response with its headers encoded was a fifth of a cached map's time, and its gzip ten times the
    rest. An ASGI response sends fresh messages each time it is called, so one serves every request
    for the map."""

    __slots__ = (
        "body",
        "etag",
        "gzipped",
        "header",
        "header_length",
        "not_modified",
        "position",
        "whole",
    )

    def __init__(self, position: int | None, body: bytes, header: MapHeader | None = None) -> None:
        self.position = position
        self.body = body
        # A map's header as its body begins with it, to carry the map to a later position.
        self.header = header
        self.header_length = 0 if header is None else len(_encoder.encode(header)) - 1
        self.etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'  # quoted, as sent
        headers = {"ETag": self.etag, POSITION_HEADER: str(position or 0)}
        self.whole = ASGIResponse(body=body, media_type="application/json", headers=headers)
        self.not_modified = ASGIResponse(status_code=304, headers=headers)
        compressed = gzipped(body)
        self.gzipped = (
            self.whole
            if compressed is None
            else ASGIResponse(
                body=compressed,
                media_type="application/json",
                headers={**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        )

    def holds_at(self, read_model: ReadModelAt) -> bool:
        """Whether this map is the map at ``read_model``'s position: it was read at a position no
        earlier than the last change to the facts and no later than that position."""
        read_at = None if self.header is None else self.header.position
        position, changed = read_model.position, read_model.facts_position
        return (
            read_at is not None
            and position is not None
            and read_at <= position
            and (changed is None or changed <= read_at)
        )

    def at(self, position: int) -> EncodedMap:
        """This map with its header (and ``POSITION_HEADER``) naming ``position``; see ``holds_at``."""
        assert self.header is not None
        header = msgspec.structs.replace(self.header, position=position)
        head = _encoder.encode(header)[:-1]
        return EncodedMap(position, head + self.body[self.header_length :], header)

    def matches(self, if_none_match: str | None) -> bool:
        """Whether an ``If-None-Match`` header names this map (weak comparison, RFC 9110 13.1.2)."""
        if if_none_match is None:
            return False
        if if_none_match.strip() == "*":
            return True
        return self.etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))

    def answer(
        self, if_none_match: str | None, request_headers: Iterable[tuple[bytes, bytes]]
    ) -> ASGIResponse:
        """The map (gzipped if the request accepts it), or 304 without a body if ``If-None-Match``
        names it."""
        if self.matches(if_none_match):
            return self.not_modified
        return self.gzipped if accepts_gzip(request_headers) else self.whole


def _encode(position: int | None, compute: Callable[[], Any]) -> EncodedMap:
    document = compute()
    body = _encoder.encode(document)
    return EncodedMap(position, body, _header(document, body))


def _header(document: Any, body: bytes) -> MapHeader | None:
    """The header a map's JSON begins with (a map document's first fields are ``MapHeader``'s, in
    its order); None for anything else, which is then computed again at each position."""
    if getattr(document, "__struct_fields__", ())[:3] != MapHeader.__struct_fields__:
        return None
    header = MapHeader(as_of=document.as_of, known_at=document.known_at, position=document.position)
    return header if body.startswith(_encoder.encode(header)[:-1]) else None


class MapCache:
    def __init__(self, watch: PositionWatch, size: int = CACHED_MAPS) -> None:
        self.watch = watch
        self.size = size
        # Each map with how it is computed (to compute it again when the read model moves).
        self._maps: OrderedDict[tuple[Any, ...], tuple[EncodedMap, Callable[[], Any]]] = (
            OrderedDict()
        )
        self._computing: dict[tuple[Any, ...], asyncio.Future[EncodedMap]] = {}
        # The maps asked for since the position last moved, with how each is computed.
        self._asked: OrderedDict[tuple[Any, ...], Callable[[], Any]] = OrderedDict()
        self._refreshing_on: asyncio.AbstractEventLoop | None = None
        self._stop_refreshing: Callable[[], None] = _nothing

    def fresh(self, key: tuple[Any, ...]) -> EncodedMap | None:
        """The map of ``key`` if it is cached at the read model's position, else None."""
        key = (*key, date.today())
        cached = self._maps.get(key)
        if cached is None or cached[0].position != self.watch.position:
            return None
        self._ask(key, cached[1])
        return cached[0]

    async def encoded(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> EncodedMap:
        """The JSON of ``compute()``, from the cache while the read model has not moved."""
        loop = asyncio.get_running_loop()
        if self._refreshing_on is not loop:  # the first request, or of a server started again
            self._stop_refreshing()
            self._stop_refreshing = self.watch.when_moved(self._refresh)
            self._refreshing_on = loop
        key = (*key, date.today())
        self._ask(key, compute)
        read_model = self.watch.read_model
        cached = self._maps.get(key)
        if cached is not None and cached[0].position == read_model.position:
            return cached[0]
        # Shielded: a client that hangs up does not cancel the map the others wait for.
        return await asyncio.shield(self._computed(key, read_model, compute))

    def _ask(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> None:
        self._asked[key] = compute
        self._asked.move_to_end(key)
        if len(self._asked) > REFRESHED_MAPS:
            self._asked.popitem(last=False)

    def _computed(
        self, key: tuple[Any, ...], read_model: ReadModelAt, compute: Callable[[], Any]
    ) -> asyncio.Future[EncodedMap]:
        """The map of ``key`` at ``read_model``'s position: being computed already, or from now on."""
        position = read_model.position
        computing = self._computing.get((*key, position))
        if computing is None:
            computing = asyncio.ensure_future(self._compute(key, read_model, compute))
            self._computing[(*key, position)] = computing
            computing.add_done_callback(lambda _: self._computing.pop((*key, position), None))
        return computing

    def _refresh(self) -> None:
        """Starts computing again the maps asked for at the position the read model has left."""
        read_model = self.watch.read_model
        asked, self._asked = self._asked, OrderedDict()
        for key, compute in asked.items():
            cached = self._maps.get(key)
            if cached is None or cached[0].position != read_model.position:
                # A map that fails here (its subject gone) fails again for whoever asks for it.
                self._computed(key, read_model, compute).add_done_callback(_failure_seen)

    async def _compute(
        self, key: tuple[Any, ...], read_model: ReadModelAt, compute: Callable[[], Any]
    ) -> EncodedMap:
        """The map of ``key`` at ``read_model``'s position: the cached one carried there if its facts
        have not changed since it was read, else computed (on a worker thread either way: carrying
        gzips the map again)."""
        position = read_model.position
        cached = self._maps.get(key)
        if position is not None and cached is not None and cached[0].holds_at(read_model):
            encoded = await anyio.to_thread.run_sync(cached[0].at, position)
        else:
            encoded = await anyio.to_thread.run_sync(_encode, position, compute)
        self._maps[key] = (encoded, compute)
        self._maps.move_to_end(key)
        while len(self._maps) > self.size:
            self._maps.popitem(last=False)
        return encoded


def _nothing() -> None:
    pass


def _failure_seen(computed: asyncio.Future[EncodedMap]) -> None:
    if not computed.cancelled():
        computed.exception()


def utc(moment: datetime | None, parameter: str = "known_at") -> datetime | None:
    """A ``known_at`` without a time zone is read as UTC. One whose offset puts it outside the years
    1 to 9999 in UTC (``9999-12-31T23:59:59-12:00``) is a 400 naming ``parameter``: the read models
    compare record times in UTC, and Python's dates end there (an OverflowError, a 500)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValidationException(
            f"{parameter} lies outside the years 1 to 9999 in UTC: {moment.isoformat()}",
            extra=[
                {
                    "message": "a moment between 0001-01-01 and 9999-12-31 in UTC",
                    "key": parameter,
                    "source": "query",
                }
            ],
        ) from None
    return moment
