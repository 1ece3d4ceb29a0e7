"""The connection under ``NatsClient``: nats-py's client with a leaner protocol parser and *raw*
subscriptions.

Bulk reads of the log bypass nats-py's per-message work (header parsing, a Msg object, a queue and a
coroutine per message, which cap a reader at a few tens of thousands of messages a second): a raw
subscription hands its messages' subjects, reply subjects, payloads and undecoded headers straight to a
plain function on the client's loop, all the messages of one read of the socket in one call, so that a
reader can handle them together (one decode for a run of messages). The connection itself
(authentication, TLS, pings, reconnects and resubscribing) stays nats-py's.

A write can put its frame on the socket from the writer's own thread (``Connection.send_direct``), under a
lock that nats-py's own writes take too.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable
from operator import itemgetter
from typing import NamedTuple

from nats.aio.client import Client
from nats.aio.transport import TcpTransport
from nats.errors import ConnectionClosedError, ProtocolError
from nats.protocol.parser import AWAITING_CONTROL_LINE, Parser

# A message as it came off the wire: (subject, reply, payload, headers), the headers undecoded (None
# when the message has none).
RawFrame = tuple[bytes, bytes, bytes, bytes | None]
# Called with consecutive messages of one raw subscription, in the order they arrived (at least one).
RawHandler = Callable[[list[RawFrame]], None]
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


def _keep_read_buffers_off_mmap() -> None:
    """asyncio receives each read of the socket into a new bytes object of 256 KiB and shrinks it to
    what came. glibc serves a block that large with mmap (its threshold starts at 128 KiB), so every
    read, one per save's acknowledgement, paid an mmap, an mremap and a munmap, the last with a TLB
    flush on the other core: 35-45 µs of CPU per single-event save (RESULTS.md, "Event store"), until
    something else in the process happened to free a block that large. Freeing one block larger than
    a read raises glibc's threshold above it for the whole process (its dynamic mmap threshold,
    mallopt(3)); reads' buffers then come from the heap. Elsewhere a no-op."""
    bytearray(1 << 20)


class _DirectWay(NamedTuple):
    """The connection's socket, as writers put frames on it from their own threads."""

    transport: TcpTransport  # nats-py's, whose writes take the connection's write lock
    stream_transport: asyncio.Transport  # asyncio's under it, which buffers what the socket refused
    sock: socket.socket
    loop: asyncio.AbstractEventLoop


class Connection(Client):
    """nats-py's client, with a leaner parser, subscriptions whose messages go straight to a
    RawHandler, and frames put on the socket from the writer's own thread (``send_direct``)."""

    def __init__(self) -> None:
        super().__init__()
        self._ps = LeanParser(self)
        self.raw_handlers: dict[int, RawHandler] = {}
        _keep_read_buffers_off_mmap()
        # Held by every write to the socket, nats-py's on the loop and ``send_direct`` on a writer's
        # thread, so that frames go out whole, one after another.
        self.write_lock = threading.Lock()
        # None until the connection is up with its subscriptions sent, after each reconnect until
        # they are sent again, and always under TLS or over a websocket.
        self._direct: _DirectWay | None = None

    def allow_direct_writes(self) -> None:
        """Lets writers put frames on the socket from their own threads (``send_direct``), every write
        of nats-py's taking the same lock. Called on the loop once the connection is up and its
        subscriptions sent: a frame sent before a subscription's SUB would find the server without
        it, and the answer to a write would be lost."""
        transport = self._transport
        if type(transport) is not TcpTransport or transport._io_writer is None:
            return
        stream_transport = transport._io_writer.transport
        sock = getattr(stream_transport, "_sock", None)
        if stream_transport.get_extra_info("sslcontext") is not None or sock is None:
            return
        lock = self.write_lock
        write, writelines = TcpTransport.write, TcpTransport.writelines

        def write_locked(payload: bytes) -> None:
            with lock:
                write(transport, payload)

        def writelines_locked(payload: list[bytes]) -> None:
            with lock:
                writelines(transport, payload)

        transport.write = write_locked  # type: ignore[method-assign]
        transport.writelines = writelines_locked  # type: ignore[method-assign]
        self._direct = _DirectWay(transport, stream_transport, sock, asyncio.get_running_loop())

    def send_direct(self, command: bytes, size: int, deadline: float) -> bool:
        """Puts a framed message (`size`: its payload's) on the socket from the calling thread, unless
        something waits to be written before it, the connection is not up or the socket is not free
        before `deadline` (``time.monotonic()``); False if it must go through the loop.
        ConnectionClosedError if the socket took part of it and no more by `deadline`
        (``_send_rest``): the connection is then broken, the part dropped by the server.

        A save waits for its acknowledgement anyway; sending on its own thread spares it waking the
        loop's thread to send (a write to the loop's self-pipe, a turn of the loop): 70-95 µs of the
        250-290 µs of CPU the process spent on a single-event save (RESULTS.md, "Event store")."""
        direct = self._direct
        if direct is None:
            return False
        # Another writer's frame going out to a slow server holds the socket: the write then meets
        # its timeout on the loop's way instead of waiting here past it.
        if not self.write_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return False
        try:
            # What nats-py would write before this frame is in its pending list or in asyncio's
            # buffer; both only grow through writes that take the lock.
            stream_transport = direct.stream_transport
            if (
                self._transport is not direct.transport
                or self._status != Client.CONNECTED
                or self._pending
                or stream_transport.get_write_buffer_size()
                or stream_transport.is_closing()
            ):
                return False
            try:
                sent = direct.sock.send(command)
            except OSError:
                return False  # nothing sent; the loop's way holds it until the connection is back
            if sent < len(command):
                self._send_rest(direct, memoryview(command)[sent:], deadline)
            self.stats["out_msgs"] += 1
            self.stats["out_bytes"] += size
            return True
        finally:
            self.write_lock.release()

    def _send_rest(self, direct: _DirectWay, rest: memoryview, deadline: float) -> None:
        """The rest of a frame of which the socket took only a part, sent before anything else may be
        written (the caller holds the lock) as room comes. A frame that cannot be finished by the
        write's deadline breaks the connection, which nats-py then makes anew (the server drops the
        part it has); ConnectionClosedError then."""
        writable = select.poll()
        writable.register(direct.sock, select.POLLOUT)
        try:
            while rest:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the socket took no more of a frame")
                writable.poll(remaining * 1000)
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    rest = rest[direct.sock.send(rest) :]
        except OSError as error:
            # Shut at once, before the lock is let go: the loop breaks the connection only when it
            # gets to it, and a frame written meanwhile (as the server reads again) would land in
            # the torn frame's payload. Shut, every further send fails instead.
            with contextlib.suppress(OSError):
                direct.sock.shutdown(socket.SHUT_RDWR)
            direct.loop.call_soon_threadsafe(direct.stream_transport.abort)
            raise ConnectionClosedError from error

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
