"""A synchronous facade over one nats-py connection, for the synchronous, threaded eventsourcing library.

nats-py is asyncio; the library calls recorders from many threads. The client owns an event loop in a
thread of its own and a connection that reconnects forever, so the service survives a restart of its
NATS server without being restarted. Callers submit coroutines and wait for their results; nothing here
may be called from the client's own loop.

Bulk reads of the log go through *raw* subscriptions of the connection (``adapters.nats.connection``).

Writes take a lean path of their own (``write``): the caller's thread frames the request and puts it on
the socket itself (through the loop, in one callback, only while the connection is not up or something
is queued before it), and the answer, read off the wire by a raw subscription, wakes the caller when the
loop next waits; no task, future or flush round of the loop in between.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import itertools
import json
import selectors
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from eventsourcing.persistence import OperationalError
from nats.aio.msg import Msg
from nats.errors import (
    ConnectionClosedError,
    NoRespondersError,
    NoServersError,
)
from nats.errors import (
    Error as NatsError,
)
from nats.errors import (
    TimeoutError as NatsTimeoutError,
)
from nats.protocol.command import hpub_cmd, pub_cmd

from adapters.nats.connection import Connection, RawFrame, RawHandler
from adapters.settings import redacted, server_urls

# A message to publish: subject, payload and headers.
OutgoingMessage = tuple[str, bytes, dict[str, str]]

T = TypeVar("T")

# How often a repeatable request (a read) is sent again while it has no answer. Short next to the
# client's timeout, long next to an answer on a working cluster (milliseconds).
REPEAT_SECONDS = 0.5


class JetStreamApiError(Exception):
    def __init__(self, code: int, err_code: int, description: str) -> None:
        super().__init__(f"{description} (code {code}, err_code {err_code})")
        self.code = code
        self.err_code = err_code
        self.description = description


class _HandOverSelector(selectors.DefaultSelector):
    """The loop's selector, which wakes the threads waiting for an outcome of the loop's (a write's
    answer, a coroutine's result) when the loop is about to wait again, its thread about to let go of
    the GIL. Woken as soon as the outcome was there, a thread found the loop's thread still holding the
    GIL for the rest of its turn and slept again until it let go: five futex calls and two wake-ups per
    save instead of one (strace), each wake-up waiting for a free core on a busy machine."""

    def __init__(self) -> None:
        super().__init__()
        self.waking: list[_thread.LockType] = []  # released in turn; only touched on the loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self.wake()
        return super().select(timeout)

    def wake(self) -> None:
        waking, self.waking = self.waking, []
        for lock in waking:
            lock.release()


class _AwaitedAnswer:
    """A write's answer, as the loop hands it to the thread that waits for it."""

    __slots__ = ("arrived", "error", "headers", "payload")

    def __init__(self) -> None:
        self.arrived = _thread.allocate_lock()
        self.arrived.acquire()
        self.payload: bytes | None = None  # None until the answer came
        self.headers: bytes | None = None
        self.error: BaseException | None = None

    def give(self, payload: bytes, headers: bytes | None, selector: _HandOverSelector) -> None:
        """Keeps the answer; its writer wakes when the loop next waits (``_HandOverSelector``)."""
        self.headers = headers
        self.payload = payload  # last: once it is set, the answer is whole
        selector.waking.append(self.arrived)

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.arrived.release()


# The status line of the answer NATS gives to a request that no subscriber took.
_NO_RESPONDERS = b"NATS/1.0 503"

# Raised when a request got no answer: the server may or may not have acted on it.
NoAnswer = (NatsTimeoutError, asyncio.TimeoutError, ConnectionClosedError, NoRespondersError)


# JetStream's answer when it cannot serve a request at the moment (no leader, no quorum).
JETSTREAM_UNAVAILABLE = 503


# How often a call waiting for the loop makes sure that the loop's thread still runs (seconds).
_LOOP_CHECK_SECONDS = 0.5

# How long a connection waits before it tries a server again (seconds).
_RECONNECT_WAIT = 0.25


def _wait_slice(deadline: float | None) -> float:
    """How long a call waits for its outcome before it looks at the loop's thread again."""
    if deadline is None:
        return _LOOP_CHECK_SECONDS
    return max(0.0, min(_LOOP_CHECK_SECONDS, deadline - time.monotonic()))


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means NATS (or JetStream behind it) did not answer, so that the same request
    may well succeed later; anything else is the request's own fault."""
    if isinstance(error, JetStreamApiError):
        return error.code == JETSTREAM_UNAVAILABLE
    if isinstance(error, NoAnswer | OSError | TimeoutError | OperationalError):
        return True
    cause = error.__cause__
    return cause is not None and unreachable(cause)


class NatsUnreachable(NoServersError):
    """No server answered the first connection (a ``NoServersError`` that says where it looked)."""

    def __init__(self, url: str, waited: float, last_error: BaseException | None = None) -> None:
        super().__init__()
        self.url, self.waited, self.last_error = url, waited, last_error

    def __str__(self) -> str:
        tried = f" (tried for {self.waited:.0f} s)" if self.waited >= 1 else ""
        # A server that refused the credentials did answer: without its reason the operator would
        # look for a server that is down. (nats-py's errors name no URL, so no password.)
        said = f"no NATS server answered at {redacted(self.url)}{tried}"
        if self.last_error is None:
            return said
        return f"{said}; the last attempt: {str(self.last_error) or type(self.last_error).__name__}"


class NatsClient:
    def __init__(
        self, url: str, *, timeout: float = 5.0, name: str = "regiekaart", reconnect: bool = True
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._selector = _HandOverSelector()
        self._loop = asyncio.SelectorEventLoop(self._selector)
        self._sending: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="nats-client", daemon=True
        )
        self._thread.start()
        began = time.monotonic()
        self._connect_error: BaseException | None = None
        try:
            self.nc: Connection = self.run(self._connect(name, reconnect))
        except BaseException as error:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if isinstance(error, NoServersError):
                raise NatsUnreachable(url, time.monotonic() - began, self._connect_error) from None
            # Without reconnects nats-py raises the one attempt's own error (a refused password,
            # a reset): the same failure to reach the log, and said the same way.
            if isinstance(error, NatsError | OSError | TimeoutError):
                raise NatsUnreachable(url, time.monotonic() - began, error) from None
            raise
        # Writes' answers, by the reply subject they were sent with; the subscription that receives
        # them is made by the first write (a reader's account need not be allowed it).
        self._awaited: dict[bytes, _AwaitedAnswer] = {}
        self._answers_inbox = b""
        self._reply_numbers = itertools.count()

    async def _connect(self, name: str, reconnect: bool) -> Connection:
        connection = Connection()
        servers = server_urls(self.url)
        # Bounded as a whole too: an address that black-holes costs ``connect_timeout`` an attempt,
        # and the attempts below are counted for refused ones (measured: 111 s for 10.255.255.1).
        # Each node may take its one slow attempt, so a dead node before a live one still connects.
        deadline = self.timeout * (len(servers) + 1)
        try:
            await asyncio.wait_for(
                self._first_connection(connection, servers, name, reconnect), deadline
            )
        except TimeoutError:
            raise NoServersError from None
        if reconnect:
            connection.options["max_reconnect_attempts"] = -1
        connection.allow_direct_writes()
        return connection

    async def _first_connection(
        self, connection: Connection, servers: list[str], name: str, reconnect: bool
    ) -> None:
        async def ignore(*_: object) -> None:
            """Reconnects are routine; errors surface on the calls that meet them."""

        async def remember(error: BaseException) -> None:
            """Kept for the failure of the first connection, which nats-py reports without it. A
            server's answer (a refused password) is kept over the reset of its closed socket."""
            if isinstance(error, NatsError) or not isinstance(self._connect_error, NatsError):
                self._connect_error = error

        async def allow_direct_writes() -> None:
            """Called once a reconnect has sent the subscriptions again."""
            connection.allow_direct_writes()

        await connection.connect(
            servers,
            name=name,
            # A one-off reader (an auditor's command) rather fails at once than waits for a server.
            allow_reconnect=reconnect,
            # The first connection is tried for about ``timeout`` (a refused one at once, again
            # every ``_RECONNECT_WAIT``), then fails readably: nats-py's "for ever" would leave a
            # command, or a service its supervisor would restart, waiting in silence for a server
            # that is not there. Once connected, reconnects go on for ever (`_connect`).
            max_reconnect_attempts=max(1, round(self.timeout / _RECONNECT_WAIT))
            if reconnect
            else 1,
            reconnect_time_wait=_RECONNECT_WAIT,
            connect_timeout=self.timeout,
            error_cb=remember,
            disconnected_cb=ignore,
            reconnected_cb=allow_direct_writes,
            pending_size=64 * 1024 * 1024,
        )

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Runs `coro` on the client's loop and returns its result (or raises its exception).

        Reads and saves of several messages wait here, so the hand-over is kept lean: a bare lock,
        released once the task is done when the loop next waits (``_HandOverSelector``), where
        `asyncio.run_coroutine_threadsafe` chains a concurrent Future through a Condition and further
        callbacks (measured: about half the latency per call on 2 busy cores).
        """
        finished = _thread.allocate_lock()
        finished.acquire()
        started: list[asyncio.Task[T]] = []

        def start() -> None:
            task = self._loop.create_task(coro)
            task.add_done_callback(lambda _: self._selector.waking.append(finished))
            started.append(task)

        self._loop.call_soon_threadsafe(start)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not finished.acquire(timeout=_wait_slice(deadline)):
            if not self._thread.is_alive():
                # close() stopped the loop with this call queued or unfinished: nothing would
                # release it.
                break
            if deadline is not None and time.monotonic() >= deadline:
                self._loop.call_soon_threadsafe(lambda: [task.cancel() for task in started])
                raise TimeoutError(f"no outcome within {timeout} s")
        if not started:
            coro.close()
        if not started or not started[0].done() or started[0].cancelled():
            # Only close() cancels or stops: to the caller it is a connection that went away.
            raise ConnectionClosedError
        return started[0].result()

    def send_soon(self, subject: str, payload: bytes) -> None:
        """Publishes on core NATS without waiting for it, for a message that may be lost (a wake-up):
        one sent while the connection is away, or that nats-py refuses, is dropped.

        Framed on the caller's thread and put on the socket by the one loop callback that takes it, as
        ``write`` does: through nats-py's publish a task ran it and the flusher, a task of its own, wrote
        it a turn later, on a loop that the live subscriptions' reads share (the read model's signal
        waited behind them between a batch applied and the API workers told)."""
        command = pub_cmd(subject, "", payload)

        def send() -> None:
            if not self.nc.is_connected or self._put_on_socket(command, payload):
                return
            task = self._loop.create_task(self._publish_or_drop(subject, payload))
            self._sending.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._sending.discard)

        with contextlib.suppress(RuntimeError):  # the loop is closed: the client is gone
            self._loop.call_soon_threadsafe(send)

    async def _publish_or_drop(self, subject: str, payload: bytes) -> None:
        with contextlib.suppress(Exception):
            await self.nc.publish(subject, payload)

    async def request(
        self,
        subject: str,
        payload: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        repeatable: bool = False,
    ) -> Msg:
        """A request answered within the client's timeout. A `repeatable` one (a read, safe to send
        twice) is sent again every REPEAT_SECONDS while unanswered, and the first answer counts:
        requests to a stream leader that has just died go unanswered until the others elect a new
        one, and the copy sent after the election is answered then, not at the end of the timeout."""
        if not repeatable:
            return await self.nc.request(subject, payload, timeout=self.timeout, headers=headers)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        sent: set[asyncio.Task[Msg]] = set()
        try:
            while (remaining := deadline - loop.time()) > 0:
                sent.add(
                    loop.create_task(
                        self.nc.request(subject, payload, timeout=remaining, headers=headers)
                    )
                )
                answered, sent = await asyncio.wait(
                    sent,
                    timeout=min(REPEAT_SECONDS, remaining),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for request in answered:
                    if not isinstance(request.exception(), NatsTimeoutError):
                        return request.result()
            raise NatsTimeoutError
        finally:
            for request in sent:
                request.cancel()

    def write(self, subject: str, payload: bytes, headers: dict[str, str]) -> bytes:
        """Publishes a message and returns the payload of its answer (a JetStream acknowledgement),
        waiting on the caller's thread; sent once, like ``request`` without `repeatable`.

        Every save waits here, so the loop does as little as it can: through ``run`` and nats-py's
        request a save took nine turns of it (a task, a future with a timeout, the flusher), here
        two (the answer read and handed on), the message being put on the socket on this thread."""
        [outcome] = self.write_all([(subject, payload, headers)])
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def write_all(self, messages: Sequence[OutgoingMessage]) -> list[bytes | BaseException]:
        """Publishes the messages as ``write`` does, all put on the socket before the first answer is
        awaited, and returns each one's answer payload, or the error it met instead (no answer in
        time, nobody heard it, the connection went away), in their order. Several feeds' copies of
        one event then wait for the server together, not one after another."""
        if not self._answers_inbox:
            self.run(self._subscribe_to_answers())
        # The timeout counts from here: a write waiting for the socket (another writer's frame going
        # out to a slow server) or finishing its own frame on it spends it too.
        deadline = time.monotonic() + self.timeout
        sending = []
        through_loop = []  # once one message must go through the loop, those after it do too
        for subject, payload, headers in messages:
            reply = b"%s.%d" % (self._answers_inbox, next(self._reply_numbers))
            header_block = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            command = hpub_cmd(
                subject, reply.decode(), f"NATS/1.0\r\n{header_block}\r\n".encode(), payload
            )
            answer = self._awaited[reply] = _AwaitedAnswer()
            sending.append((reply, answer))
            try:
                sent = not through_loop and self.nc.send_direct(command, len(payload), deadline)
            except ConnectionClosedError as error:
                # Torn on the socket, which is shut: this one failed, in its place; those before
                # it are on their way and those after it try the socket (and then the loop) anew.
                self._awaited.pop(reply, None)
                answer.fail(error)
                continue
            if not sent:
                through_loop.append((command, subject, payload, headers, reply))
        if through_loop:
            self._loop.call_soon_threadsafe(self._send_all, through_loop)
        return [self._outcome(reply, answer, deadline) for reply, answer in sending]

    def _outcome(
        self, reply: bytes, answer: _AwaitedAnswer, deadline: float
    ) -> bytes | BaseException:
        arrived = answer.arrived.acquire(timeout=max(0.0, deadline - time.monotonic()))
        if not arrived and self._awaited.pop(reply, None) is not None:
            return NatsTimeoutError()  # no answer came
        if answer.payload is None and answer.error is None:
            return NatsTimeoutError()  # taken off the wire this very moment, not kept yet
        # Handed over, or kept in time and not yet handed over (the loop's turn ran long after it).
        if answer.error is not None:
            return answer.error
        if answer.headers is not None and answer.headers.startswith(_NO_RESPONDERS):
            return NoRespondersError()
        return answer.payload

    async def _subscribe_to_answers(self) -> None:
        if not self._answers_inbox:
            inbox = self.nc.new_inbox()
            subscription = await self.nc.subscribe(f"{inbox}.*")
            self.nc.raw_handlers[subscription._id] = self._answered
            self._answers_inbox = inbox.encode()

    def _answered(self, frames: list[RawFrame]) -> None:
        for subject, _, payload, headers in frames:
            answer = self._awaited.pop(subject, None)
            if answer is not None:  # None: its writer gave up waiting
                answer.give(payload, headers, self._selector)

    def _send_all(self, sending: list[tuple[bytes, str, bytes, dict[str, str], bytes]]) -> None:
        # Once one message has to take nats-py's publish, those after it do too (its queue is no
        # longer empty), so they stay in order.
        for command, subject, payload, headers, reply in sending:
            self._send(command, subject, payload, headers, reply)

    def _send(
        self, command: bytes, subject: str, payload: bytes, headers: dict[str, str], reply: bytes
    ) -> None:
        if self._put_on_socket(command, payload):
            return
        # Reconnecting, draining or commands queued: nats-py's own publish keeps the order and holds
        # the message across a reconnect.
        publish = self._loop.create_task(
            self.nc.publish(subject, payload, reply=reply.decode(), headers=headers)
        )
        publish.add_done_callback(lambda done: self._publish_failed(done, reply))

    def _put_on_socket(self, command: bytes, payload: bytes) -> bool:
        """Writes a framed message straight to the socket if nothing is queued before it (on the
        loop); False if it cannot go so and must take nats-py's publish."""
        nc = self.nc
        # nats-py's private state, read as its own flusher does: with nothing queued before it, the
        # message goes straight to the socket.
        if nc.is_connected and not nc.is_draining and not nc._pending and nc._transport:
            nc._transport.write(command)
            nc.stats["out_msgs"] += 1
            nc.stats["out_bytes"] += len(payload)
            return True
        return False

    def _publish_failed(self, publish: asyncio.Task[None], reply: bytes) -> None:
        error = ConnectionClosedError() if publish.cancelled() else publish.exception()
        if error is None:
            return
        answer = self._awaited.pop(reply, None)
        if answer is not None:
            answer.fail(error)

    async def api(
        self, subject: str, body: dict[str, Any] | None = None, *, repeatable: bool = False
    ) -> dict[str, Any]:
        """A JetStream API request; an error answer raises JetStreamApiError."""
        payload = json.dumps(body).encode() if body is not None else b""
        reply = await self.request(subject, payload, repeatable=repeatable)
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
            with contextlib.suppress(
                NoAnswer
            ):  # the connection is gone, and the subscription with it
                await subscription.unsubscribe()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        # Closing a broken connection must not hide the error that broke it.
        with contextlib.suppress(Exception):
            self.run(self.nc.close(), timeout=self.timeout)
        for reply in list(self._awaited):  # writes still waiting: their connection went away
            answer = self._awaited.pop(reply, None)
            if answer is not None:
                answer.fail(ConnectionClosedError())
        with contextlib.suppress(Exception):
            self.run(_cancel_remaining_tasks(), timeout=self.timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout)
        self._selector.wake()  # outcomes the stopped loop had not yet handed over
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
