"""The reference reader of the benchmarks: the least a client must do to read the event log from
JetStream, to set beside our readers (``select_notifications``, ``subscribe``, ``audit verify``).

It speaks the NATS client protocol itself over one asyncio connection: an ephemeral pull consumer
(no acks, in memory), pages of messages asked for with ``$JS.API.CONSUMER.MSG.NEXT``, the incoming
bytes split into ``MSG``/``HMSG`` frames, and each payload decoded with msgspec into the stored records
(``EventRecord``) — nothing else: no notification ids, no hash chain, no seals, no checks of the
subject. The server needs no credentials (the benchmarks' own nats-server).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sized
from typing import TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from adapters.event_log_format import EventRecord

PAGE = 10_000
T = TypeVar("T")
_decode = msgspec.msgpack.Decoder(list[EventRecord[UUID]]).decode
_DELIVERIES = 1  # subscription id of the messages the consumer delivers
_ANSWERS = 2  # subscription id of the JetStream API's answers


class _Connection(asyncio.Protocol):
    """Splits what the server sends into frames; hands each message frame to ``on_message``."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()
        self.on_message = lambda subject, reply, payload, status: None
        # Set once the server refuses something or the connection is lost: every wait ends with it.
        self.failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"the connection was lost ({exc!r})")

    def _fail(self, reason: str) -> None:
        if not self.failed.done():
            self.failed.set_exception(RuntimeError(reason))

    async def until(self, awaitable: Awaitable[T], timeout: float = 30) -> T:
        """``awaitable``'s result, unless the connection fails or ``timeout`` runs out first."""
        task = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {task, self.failed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task not in done:
            task.cancel()
            if self.failed in done:
                self.failed.result()
            raise TimeoutError(f"no answer from the server within {timeout} s")
        return task.result()

    def send(self, *lines: bytes) -> None:
        assert self.transport is not None
        self.transport.write(b"".join(line + b"\r\n" for line in lines))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        start = 0
        while True:
            end = buffer.find(b"\r\n", start)
            if end < 0:
                break
            control = bytes(buffer[start:end])
            if control.startswith((b"MSG ", b"HMSG ")):
                fields = control.split(b" ")
                headed = fields[0] == b"HMSG"
                total = int(fields[-1])
                body_start = end + 2
                if len(buffer) < body_start + total + 2:
                    break  # the rest of the frame is still on its way
                body = bytes(buffer[body_start : body_start + total])
                start = body_start + total + 2
                header_size = int(fields[-2]) if headed else 0
                reply = fields[3] if len(fields) == (6 if headed else 5) else b""
                status = body[9:12] if headed and not reply else b""
                if int(fields[2]) == _ANSWERS:
                    self.answers.put_nowait(body[header_size:])
                else:
                    self.on_message(fields[1], reply, body[header_size:], status)
            else:
                start = end + 2
                if control == b"PING":
                    self.send(b"PONG")
                elif control.startswith(b"-ERR"):
                    self._fail(control.decode())
        del buffer[:start]


async def read_log(url: str, stream: str, decode: Callable[[bytes], Sized] = _decode) -> int:
    """Reads every message the stream holds when the read begins; returns the events decoded.
    `decode` takes each event message's payload to its events (the audit benchmark's floor hashes
    them too; the default only decodes them)."""
    address = urlsplit(url)
    loop = asyncio.get_running_loop()
    _, connection = await loop.create_connection(
        _Connection, address.hostname or "127.0.0.1", address.port or 4222
    )
    options = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True}
    inbox = f"_INBOX.reference.{time.monotonic_ns()}".encode()
    connection.send(
        b"CONNECT " + json.dumps(options).encode(),
        b"SUB " + inbox + b".d " + str(_DELIVERIES).encode(),
        b"SUB " + inbox + b".a " + str(_ANSWERS).encode(),
    )
    try:
        created = json.loads(
            await _api(
                connection,
                f"$JS.API.CONSUMER.CREATE.{stream}".encode(),
                inbox + b".a",
                {
                    "stream_name": stream,
                    "config": {
                        "deliver_policy": "all",
                        "ack_policy": "none",
                        "mem_storage": True,
                        "inactive_threshold": 60_000_000_000,
                    },
                },
            )
        )
        consumer, pending = created["name"], int(created["num_pending"])
        events = 0
        while pending > 0:
            page = min(pending, PAGE)
            received = 0
            page_done = loop.create_future()

            def deliver(
                subject: bytes, reply: bytes, payload: bytes, status: bytes, page: int = page
            ) -> None:
                nonlocal events, received
                if not reply:  # a status: the page ended early (no messages, timeout)
                    if status != b"100" and not page_done.done():
                        page_done.set_exception(RuntimeError(f"the read ended with {status!r}"))
                    return
                if b".e." in subject:
                    events += len(decode(payload))
                received += 1
                if received == page and not page_done.done():
                    page_done.set_result(None)

            connection.on_message = deliver
            request = json.dumps({"batch": page, "no_wait": True}).encode()
            connection.send(
                b"PUB $JS.API.CONSUMER.MSG.NEXT."
                + f"{stream}.{consumer} ".encode()
                + inbox
                + b".d "
                + str(len(request)).encode(),
                request,
            )
            await connection.until(page_done)
            pending -= page
        connection.send(f"PUB $JS.API.CONSUMER.DELETE.{stream}.{consumer} 0".encode(), b"")
        return events
    finally:
        connection.failed.cancel()  # a close of our own is no failure
        assert connection.transport is not None
        connection.transport.close()


async def _api(connection: _Connection, subject: bytes, reply: bytes, request: object) -> bytes:
    body = json.dumps(request).encode()
    connection.send(b"PUB " + subject + b" " + reply + b" " + str(len(body)).encode(), body)
    return await connection.until(connection.answers.get())
