"""A synchronous facade over one nats-py connection, for the synchronous, threaded eventsourcing library.

nats-py is asyncio; the library calls recorders from many threads. The client owns an event loop in a
thread of its own and a connection that reconnects forever, so the service survives a restart of its
NATS server without being restarted. Callers submit coroutines and wait for their results; nothing here
may be called from the client's own loop.

Bulk reads of the log bypass nats-py's per-message work (header parsing, a Msg object, a queue and a
coroutine per message, which cap a reader at a few tens of thousands of messages a second): a *raw*
subscription hands each message's subject, reply subject, payload and undecoded headers straight to a
plain function on the client's loop. The connection itself (authentication, TLS, pings, reconnects and
resubscribing) stays nats-py's.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoRespondersError, TimeoutError as NatsTimeoutError

T = TypeVar("T")


class JetStreamApiError(Exception):
    def __init__(self, code: int, err_code: int, description: str) -> None:
        super().__init__(f"{description} (code {code}, err_code {err_code})")
        self.code = code
        self.err_code = err_code
        self.description = description


# Called with (subject, reply, payload, headers) as they came off the wire; headers stay undecoded.
RawHandler = Callable[[bytes, bytes, bytes, bytes], None]


class _Connection(Client):
    """nats-py's client, with subscriptions whose messages go straight to a RawHandler."""

    def __init__(self) -> None:
        super().__init__()
        self.raw_handlers: dict[int, RawHandler] = {}

    async def _process_msg(
        self, sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes
    ) -> None:
        handler = self.raw_handlers.get(sid)
        if handler is None:
            await super()._process_msg(sid, subject, reply, data, headers)
            return
        self.stats["in_msgs"] += 1
        self.stats["in_bytes"] += len(data)
        handler(subject, reply, data, headers)


# Raised when a request got no answer: the server may or may not have acted on it.
NoAnswer = (NatsTimeoutError, asyncio.TimeoutError, ConnectionClosedError, NoRespondersError)


class NatsClient:
    def __init__(self, url: str, *, timeout: float = 5.0, name: str = "regiekaart") -> None:
        self.url = url
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-client", daemon=True)
        self._thread.start()
        self.nc: _Connection = self.run(self._connect(name))

    async def _connect(self, name: str) -> _Connection:
        async def ignore(*_: object) -> None:
            """Reconnects are routine; errors surface on the calls that meet them."""

        connection = _Connection()
        await connection.connect(
            # A cluster is given as its nodes' URLs, comma-separated; the client fails over between them.
            [server.strip() for server in self.url.split(",")],
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.25,
            connect_timeout=self.timeout,
            error_cb=ignore,
            disconnected_cb=ignore,
            reconnected_cb=ignore,
            pending_size=64 * 1024 * 1024,
        )
        return connection

    def run(self, coro: Awaitable[T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return future.result(timeout)

    async def request(
        self, subject: str, payload: bytes = b"", headers: dict[str, str] | None = None
    ) -> Msg:
        return await self.nc.request(subject, payload, timeout=self.timeout, headers=headers)

    async def api(self, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A JetStream API request; an error answer raises JetStreamApiError."""
        reply = await self.request(subject, json.dumps(body).encode() if body is not None else b"")
        answer = json.loads(reply.data or b"{}")
        raise_for_error(answer)
        return answer

    def subscribe(self, subject: str, callback: Callable[[Msg], Awaitable[None]]) -> Any:
        return self.run(self.nc.subscribe(subject, cb=callback))

    @asynccontextmanager
    async def raw_subscription(self, subject: str, handler: RawHandler) -> AsyncIterator[None]:
        """Delivers the subject's messages to `handler` on the client's loop while the block runs.
        The handler must not raise: an exception would end nats-py's reading of the connection."""
        subscription = await self.nc.subscribe(subject)
        self.nc.raw_handlers[subscription._id] = handler
        try:
            yield
        finally:
            self.nc.raw_handlers.pop(subscription._id, None)
            try:
                await subscription.unsubscribe()
            except NoAnswer:
                pass  # the connection is gone, and the subscription with it

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self.run(self.nc.close(), timeout=self.timeout)
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the real error
            pass
        try:
            self.run(_cancel_remaining_tasks(), timeout=self.timeout)
        except Exception:  # noqa: BLE001 - as above
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout)
        self._loop.close()


async def _cancel_remaining_tasks() -> None:
    """nats-py leaves reader and flusher tasks behind on a dead connection; end them before the loop."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def raise_for_error(answer: dict[str, Any]) -> None:
    error = answer.get("error")
    if error:
        raise JetStreamApiError(
            error.get("code", 0), error.get("err_code", 0), error.get("description", "")
        )
