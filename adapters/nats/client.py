"""A synchronous facade over one nats-py connection, for the synchronous, threaded eventsourcing library.

nats-py is asyncio; the library calls recorders from many threads. The client owns an event loop in a
thread of its own and a connection that reconnects forever, so the service survives a restart of its
NATS server without being restarted. Callers submit coroutines and wait for their results; nothing here
may be called from the client's own loop.

Bulk reads of the log bypass nats-py's per-message work (header parsing, a Msg object, a queue and a
coroutine per message, which cap a reader at a few tens of thousands of messages a second): a *raw*
subscription hands its messages' subjects, reply subjects, payloads and undecoded headers straight to a
plain function on the client's loop, all the messages of one read of the socket in one call, so that a
reader can handle them together (one decode for a run of messages). The connection itself
(authentication, TLS, pings, reconnects and resubscribing) stays nats-py's.

Writes take a lean path of their own (``write``): the caller's thread frames the request, the loop puts
it on the socket in one callback and the answer, read off the wire by a raw subscription, releases the
caller; no task, future or flush round of the loop in between.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from operator import itemgetter
from typing import Any, TypeVar

from eventsourcing.persistence import OperationalError
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.transport import TcpTransport
from nats.errors import (
    ConnectionClosedError,
    NoRespondersError,
    ProtocolError,
)
from nats.errors import (
    TimeoutError as NatsTimeoutError,
)
from nats.protocol.command import hpub_cmd, pub_cmd
from nats.protocol.parser import AWAITING_CONTROL_LINE, Parser

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


# A message as it came off the wire: (subject, reply, payload, headers), the headers undecoded (None
# when the message has none).
RawFrame = tuple[bytes, bytes, bytes, bytes | None]
# Called with consecutive messages of one raw subscription, in the order they arrived (at least one).
RawHandler = Callable[[list[RawFrame]], None]
# A message to publish: subject, payload and headers.
OutgoingMessage = tuple[str, bytes, dict[str, str]]
# A frame's payload, whose bytes a run handed on adds to the connection's statistics.
_payload = itemgetter(2)


class LeanParser(Parser):
    """nats-py's protocol parser with a fast path for whole MSG and HMSG frames.

    The stock parser tries regular expressions on every frame; reading the log, that was a third of
    the client's time. Complete MSG/HMSG frames at the front of the buffer are split here with plain
    byte operations, from one copy of the buffer per read (slices of it are the frames' bytes, so each
    frame is copied once and the buffer is cut once per read, not per frame); frames for a raw
    subscription go straight to its handler, without a coroutine, each run of them in one call (a run
    ends where a frame of another subscription comes between, so the order of what is handed on stays
    the order of the wire). Anything else (PING, PONG, INFO, +OK, -ERR, a frame the stock parser has
    begun) is left to the stock parser, with the same buffer and state.
    """

    def reset(self) -> None:
        """A new connection (nats-py resets the parser on each): nothing of the old one's is awaited."""
        super().reset()
        # The buffer's length at which the frame at its front is complete (0: not known): a large
        # frame arriving in many reads is not copied again on each of them.
        self._complete_at = 0

    async def parse(self, data: bytes = b"") -> None:
        buf = self.buf
        buf.extend(data)
        if len(buf) < self._complete_at:
            return
        self._complete_at = 0
        fast = self.state == AWAITING_CONTROL_LINE and buf[:1] in (b"M", b"H")
        if fast and not await self._frames(buf):
            return  # the frame now at the front is still on its way
        if buf:
            await super().parse()

    async def _frames(self, buf: bytearray) -> bool:
        """Hands on the complete MSG/HMSG frames at the front of `buf` and cuts them off it. False if
        they are followed by a frame still on its way, True if by anything else (or nothing)."""
        frames = bytes(buf)
        available = len(frames)
        find = frames.find
        handlers = self.nc.raw_handlers
        done = 0  # where the frames handed on end
        handed = volume = 0  # what went to raw handlers, counted as nats-py counts what it handles
        run: list[RawFrame] = []  # frames for the raw handler `run_handler`, not yet handed on
        run_sid = b""  # its subscription id as on the wire
        run_handler: RawHandler | None = None
        try:
            while True:
                end = find(b"\r\n", done)
                if end < 0:
                    return False  # the rest of the control line is still on its way
                # HMSG <subject> <sid> [reply] <hdr size> <size>; MSG <subject> <sid> [reply] <size>
                args = frames[done:end].split()
                body = end + 2
                # A consumer's delivery (headers and a reply subject) for the raw subscription of the
                # frame before it, as nearly every frame of a read of the log is, takes the shortest
                # way: three comparisons settle what the general way below checks of it.
                if len(args) == 6 and args[2] == run_sid and args[0] == b"HMSG":
                    try:
                        header_size, size = int(args[4]), int(args[5])
                        if not 0 <= header_size <= size:
                            raise ValueError(args)  # slices of the wrong bytes, else
                    except ValueError:
                        raise ProtocolError("nats: malformed MSG") from None
                    if available < body + size + 2:
                        self._complete_at = body + size + 2 - done
                        return False  # the payload is still on its way
                    payload_at = body + header_size
                    done = body + size
                    run.append((args[1], args[3], frames[payload_at:done], frames[body:payload_at]))
                    done += 2
                    continue
                kind = args[0] if args else b""
                if kind == b"HMSG":
                    fixed = 5
                elif kind == b"MSG":
                    fixed = 4
                else:
                    return True
                count = len(args)
                try:
                    if count != fixed and count != fixed + 1:
                        raise ValueError(args)
                    reply = args[3] if count > fixed else b""
                    size = int(args[-1])
                    header_size = int(args[-2]) if fixed == 5 else 0
                    if not 0 <= header_size <= size:
                        raise ValueError(args)
                    sid = int(args[2]) if args[2] != run_sid else 0
                except ValueError:
                    raise ProtocolError("nats: malformed MSG") from None
                if available < body + size + 2:
                    self._complete_at = body + size + 2 - done
                    return False  # the payload is still on its way
                headers = frames[body : body + header_size] if fixed == 5 else None
                payload = frames[body + header_size : body + size]
                done = body + size + 2
                if args[2] != run_sid:
                    if run_handler is not None:
                        handed += len(run)
                        volume += sum(map(len, map(_payload, run)))
                        run_handler(run)
                        run = []
                    run_handler = handlers.get(sid)
                    if run_handler is None:
                        run_sid = b""
                        await self.nc._process_msg(sid, args[1], reply, payload, headers)
                        continue
                    run_sid = args[2]
                run.append((args[1], reply, payload, headers))
        finally:
            if run_handler is not None:
                handed += len(run)
                volume += sum(map(len, map(_payload, run)))
                run_handler(run)
            del buf[:done]
            if handed:
                stats = self.nc.stats
                stats["in_msgs"] += handed
                stats["in_bytes"] += volume


# The most a read of the socket hands the parser (nats-py: 32 KiB), as much as one receive of asyncio's
# takes off the socket.
_READ_SIZE = 256 * 1024


class _Connection(Client):
    """nats-py's client, with a leaner parser and subscriptions whose messages go straight to a
    RawHandler."""

    def __init__(self) -> None:
        super().__init__()
        self._ps = LeanParser(self)
        self.raw_handlers: dict[int, RawHandler] = {}

    async def _read_loop(self) -> None:
        # nats-py's reading of the connection (started anew on each connection), but taking up to
        # _READ_SIZE bytes at a time instead of its 32 KiB: what a read of the log costs per read of
        # the socket (a turn of the loop, a parse, a run handed to a reader and decoded) then falls on
        # several hundred messages instead of about sixty.
        transport = self._transport
        if type(transport) is TcpTransport:
            read_some = TcpTransport.read

            async def read(_: int) -> bytes:
                return await read_some(transport, _READ_SIZE)

            transport.read = read  # type: ignore[method-assign]
        await super()._read_loop()

    async def _process_msg(
        self, sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes | None
    ) -> None:
        # Frames the stock parser handles (one it had begun) come here, raw subscriptions' too.
        handler = self.raw_handlers.get(sid)
        if handler is None:
            await super()._process_msg(sid, subject, reply, data, headers)
            return
        self.stats["in_msgs"] += 1
        self.stats["in_bytes"] += len(data)
        handler([(subject, reply, data, headers)])


class _AwaitedAnswer:
    """A write's answer, as the loop hands it to the thread that waits for it."""

    __slots__ = ("arrived", "error", "headers", "payload")

    def __init__(self) -> None:
        self.arrived = _thread.allocate_lock()
        self.arrived.acquire()
        self.payload = b""
        self.headers: bytes | None = None
        self.error: BaseException | None = None

    def give(self, payload: bytes, headers: bytes | None) -> None:
        self.payload, self.headers = payload, headers
        self.arrived.release()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.arrived.release()


# The status line of the answer NATS gives to a request that no subscriber took.
_NO_RESPONDERS = b"NATS/1.0 503"

# Raised when a request got no answer: the server may or may not have acted on it.
NoAnswer = (NatsTimeoutError, asyncio.TimeoutError, ConnectionClosedError, NoRespondersError)


# JetStream's answer when it cannot serve a request at the moment (no leader, no quorum).
JETSTREAM_UNAVAILABLE = 503


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means NATS (or JetStream behind it) did not answer, so that the same request
    may well succeed later; anything else is the request's own fault."""
    if isinstance(error, JetStreamApiError):
        return error.code == JETSTREAM_UNAVAILABLE
    if isinstance(error, NoAnswer | OSError | TimeoutError | OperationalError):
        return True
    cause = error.__cause__
    return cause is not None and unreachable(cause)


def server_urls(url: str) -> list[str]:
    """A cluster is given as its nodes' URLs, comma-separated; clients fail over between them."""
    return [server.strip() for server in url.split(",") if server.strip()]


class NatsClient:
    def __init__(
        self, url: str, *, timeout: float = 5.0, name: str = "regiekaart", reconnect: bool = True
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._sending: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="nats-client", daemon=True
        )
        self._thread.start()
        self.nc: _Connection = self.run(self._connect(name, reconnect))
        # Writes' answers, by the reply subject they were sent with; the subscription that receives
        # them is made by the first write (a reader's account need not be allowed it).
        self._awaited: dict[bytes, _AwaitedAnswer] = {}
        self._answers_inbox = b""
        self._reply_numbers = itertools.count()

    async def _connect(self, name: str, reconnect: bool) -> _Connection:
        async def ignore(*_: object) -> None:
            """Reconnects are routine; errors surface on the calls that meet them."""

        connection = _Connection()
        await connection.connect(
            server_urls(self.url),
            name=name,
            # A one-off reader (an auditor's command) rather fails at once than waits for a server.
            allow_reconnect=reconnect,
            max_reconnect_attempts=-1 if reconnect else 1,
            reconnect_time_wait=0.25,
            connect_timeout=self.timeout,
            error_cb=ignore,
            disconnected_cb=ignore,
            reconnected_cb=ignore,
            pending_size=64 * 1024 * 1024,
        )
        return connection

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Runs `coro` on the client's loop and returns its result (or raises its exception).

        Every save waits here, so the hand-over is kept lean: a bare lock released by the task's done
        callback, where `asyncio.run_coroutine_threadsafe` chains a concurrent Future through a
        Condition and further callbacks (measured: about half the latency per call on 2 busy cores).
        """
        finished = _thread.allocate_lock()
        finished.acquire()
        started: list[asyncio.Task[T]] = []

        def start() -> None:
            task = self._loop.create_task(coro)
            task.add_done_callback(lambda _: finished.release())
            started.append(task)

        self._loop.call_soon_threadsafe(start)
        if not finished.acquire(timeout=-1 if timeout is None else timeout):
            self._loop.call_soon_threadsafe(lambda: [task.cancel() for task in started])
            raise TimeoutError(f"no outcome within {timeout} s")
        task = started[0]
        if task.cancelled():
            # Only close() cancels: to the caller it is a connection that went away mid-call.
            raise ConnectionClosedError
        return task.result()

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
        three (the message put on the socket; the answer read and handed on)."""
        [outcome] = self.write_all([(subject, payload, headers)])
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def write_all(self, messages: Sequence[OutgoingMessage]) -> list[bytes | BaseException]:
        """Publishes the messages as ``write`` does, all put on the socket by one loop callback before
        the first answer is awaited, and returns each one's answer payload, or the error it met instead
        (no answer in time, nobody heard it, the connection went away), in their order. Several feeds'
        copies of one event then wait for the server together, not one after another."""
        if not self._answers_inbox:
            self.run(self._subscribe_to_answers())
        sending = []
        for subject, payload, headers in messages:
            reply = b"%s.%d" % (self._answers_inbox, next(self._reply_numbers))
            header_block = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            command = hpub_cmd(
                subject, reply.decode(), f"NATS/1.0\r\n{header_block}\r\n".encode(), payload
            )
            answer = self._awaited[reply] = _AwaitedAnswer()
            sending.append((command, subject, payload, headers, reply, answer))
        self._loop.call_soon_threadsafe(self._send_all, sending)
        deadline = time.monotonic() + self.timeout
        return [self._outcome(reply, answer, deadline) for *_, reply, answer in sending]

    def _outcome(
        self, reply: bytes, answer: _AwaitedAnswer, deadline: float
    ) -> bytes | BaseException:
        if not answer.arrived.acquire(timeout=max(0.0, deadline - time.monotonic())):
            self._awaited.pop(reply, None)
            return NatsTimeoutError()
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
                answer.give(payload, headers)

    def _send_all(self, sending: list[tuple[Any, ...]]) -> None:
        # Once one message has to take nats-py's publish, those after it do too (its queue is no
        # longer empty), so they stay in order.
        for command, subject, payload, headers, reply, _ in sending:
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
