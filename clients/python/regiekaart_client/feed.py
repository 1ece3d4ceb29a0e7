"""Following a region's feed over Server-Sent Events (``GET /regions/{region}/feed``).

Each message's id is its sequence in the region's feed. The follower remembers the last one it handled
in the caller's ``PositionStore`` and reconnects with ``Last-Event-ID`` set to it, after a dropped
connection as after a restart, so the service sends exactly the messages after it. The handler is
called once per message id: an id at or before the stored position is passed over, whatever the
connection delivers.

The position is saved after the handler returns. A crash between the two calls the handler again for
that one message after a restart; a handler that must never see it twice saves the position in the
same transaction as its own effects (its ``PositionStore`` reading that table).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec

from regiekaart_client.client import Backoff, RegiekaartClient
from regiekaart_client.positions import PositionStore

# The service sends a keep-alive every 15 s: this long without a byte means the connection is gone.
SILENCE_SECONDS = 45.0
# An event is one message of the event store (NATS: at most 1 MiB by default); a message of the feed
# carries it as JSON, escaped. Longer is not the service's feed, and is not read on into memory.
MAX_MESSAGE_CHARS = 4 * 1024 * 1024


class FeedTooLarge(Exception):
    """A feed message longer than ``MAX_MESSAGE_CHARS``: not a message of the service's feed."""


class CloudEvent(msgspec.Struct, frozen=True, kw_only=True, rename={"type_": "type"}):
    """A feed message's CloudEvent (structured mode): ``id`` is ``<aggregate id>:<version>``,
    ``sequence`` the event's position in the event log, ``data`` the event. The attributes are the
    service's (``adapters/cloudevents.py``), as its AsyncAPI document (``/asyncapi.yaml``) publishes
    them; named here again because the client is installed without the service."""

    id: str
    type_: str
    source: str
    subject: str | None = None
    time: str | None = None
    recordedtime: str | None = None
    sequence: str | None = None
    data: dict[str, Any]


class FeedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One message of a region's feed: its sequence in the feed and its CloudEvent."""

    id: int
    cloudevent: CloudEvent


_cloudevent = msgspec.json.Decoder(CloudEvent)


def _messages(answer: httpx.Response) -> Iterator[FeedEvent | None]:
    """The messages of an SSE stream, and None for each comment (a keep-alive), so that the reader
    may look up between them; messages without data are skipped, as the SSE specification says."""
    fields: dict[str, str] = {}
    size = 0
    for line in _lines(answer):
        size = 0 if line == "" else size + len(line)
        if size > MAX_MESSAGE_CHARS:
            raise FeedTooLarge(f"a feed message longer than {MAX_MESSAGE_CHARS} characters")
        if line.startswith(":"):
            yield None
        elif line == "":
            if fields.get("data") and fields.get("id", "").isdigit():
                yield FeedEvent(id=int(fields["id"]), cloudevent=_cloudevent.decode(fields["data"]))
            fields = {}
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = (
                fields[name] + "\n" + value if name == "data" and name in fields else value
            )


def _lines(answer: httpx.Response) -> Iterator[str]:
    """The lines of an SSE stream, ended by CRLF, LF or CR as the specification allows, each read at
    most ``MAX_MESSAGE_CHARS`` at a time (``httpx``'s lines gather a line whole, however long)."""
    text = io.TextIOWrapper(
        io.BufferedReader(_Chunks(answer.iter_bytes())), encoding="utf-8", newline=None
    )
    while line := text.readline(MAX_MESSAGE_CHARS + 1):
        if not line.endswith("\n"):
            if len(line) > MAX_MESSAGE_CHARS:
                raise FeedTooLarge(f"a feed line longer than {MAX_MESSAGE_CHARS} characters")
            return  # the stream ended within a line: an incomplete message is dropped
        yield line[:-1]


class _Chunks(io.RawIOBase):
    """A response's chunks as a raw stream: each read gives what has arrived, without waiting for
    more (a keep-alive is read when it comes)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._rest = chunk
        taken = self._rest[: len(buffer)]
        buffer[: len(taken)] = taken
        self._rest = self._rest[len(taken) :]
        return len(taken)


def follow_feed(
    client: RegiekaartClient,
    region: str,
    handler: Callable[[FeedEvent], None],
    positions: PositionStore,
    *,
    stop: threading.Event | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Calls ``handler`` for each message of ``region``'s feed after the stored position, in order, until
    ``stop`` is set (checked between messages and keep-alives, and while it waits to reconnect, as
    long as the service's ``Retry-After`` asks) or an error that a reconnect does not
    mend (a revoked token, an unknown region: ``httpx.HTTPStatusError``)."""
    stop = stop or threading.Event()
    backoff = backoff or client.backoff
    position = positions.load()
    failures = 0
    while not stop.is_set():
        headers = {"Last-Event-ID": str(position)} if position else {}
        retry_after = None
        try:
            with client.http.stream(
                "GET",
                f"/regions/{region}/feed",
                headers=headers,
                timeout=httpx.Timeout(10.0, read=SILENCE_SECONDS),
            ) as answer:
                if answer.status_code < 500:
                    answer.raise_for_status()
                    failures = 0
                    for event in _messages(answer):
                        if event is not None and event.id > position:
                            handler(event)
                            positions.save(event.id)
                            position = event.id
                        if stop.is_set():
                            return
                # A busy service (503) says how long to leave it be.
                retry_after = answer.headers.get("Retry-After")
        except httpx.TransportError:
            pass  # the connection dropped: resume after the last message handled
        stop.wait(backoff.pause(min(failures, backoff.attempts), retry_after))
        failures += 1
