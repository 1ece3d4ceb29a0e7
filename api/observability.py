"""What is kept of every request: a request id (``X-Request-ID``, on every response and log line), one
access log line (JSON) and the request metrics (``api.request_metrics``), in one ASGI middleware that
wraps ``send`` once; what a loop turn's requests left to write is written at the turn's end.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import random
import re
import select
import sys
import time
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.request_metrics import RequestMetrics

_encoder = msgspec.json.Encoder()
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("regiekaart.access")
# The id of the request being served, for every log line written while it is (also from the worker
# threads that run blocking handlers: they run in a copy of the request's context).
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed as ``extra`` and goes into the JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := current_request_id.get()) is not None:
            line["request_id"] = request_id
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return _encoded(line).decode()


def _encoded(line: dict[str, Any] | msgspec.Struct) -> bytes:
    """A log line as JSON. A text that UTF-8 cannot hold (a lone surrogate: undecodable bytes of a
    URL, as a server may pass them on in the path) is written with that character escaped: a line
    that could not be encoded would leave the request out of the log altogether."""
    try:
        return _encoder.encode(line)
    except UnicodeEncodeError:
        fields = msgspec.structs.asdict(line) if isinstance(line, msgspec.Struct) else line
        return _encoder.encode(
            {
                name: value.encode("utf-8", "backslashreplace").decode()
                if isinstance(value, str)
                else value
                for name, value in fields.items()
            }
        )


# While requests keep coming, the access lines are written at most once in this time, unless those
# held reach this many bytes: a pipe takes PIPE_BUF bytes (4,096 on Linux) in one piece, never
# mixed with another writer's (the workers share their stderr), so no write is longer
# (``_whole_line_pieces``). Why: a write to a pipe whose reader sleeps cost the writer 10.7 µs of
# CPU and the reader 17.3 (800 bytes; 2.2 and 2.1 when the reader was awake), and under load a
# loop's turn carried about four requests, so a write a turn cost more than making the turn's
# lines, on the cores the workers share with the log's reader.
_WRITE_INTERVAL = 0.005
_WRITE_BYTES = select.PIPE_BUF


class _JsonLinesHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """JSON lines on a stream. Access lines come already encoded, and those of one turn of the event
    loop are held (``hold``) and written together at the turn's end (``END_OF_TURN``): a write per
    request was a system call each, and a wake-up of the log's reader for each line. When the last
    write was less than ``_WRITE_INTERVAL`` ago, the turn's lines wait for the write that follows it
    by that interval, with the lines of the turns until then (``turn_ended``). A line is written
    before any other line this handler writes (a reader sees the lines in the order they were
    logged), and before the stream is flushed or closed (``logging`` flushes every handler at exit).
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        # The access lines of this loop turn, not yet written. Held without the handler's lock
        # (taking it cost 0.2 µs a line, a deque's append 0.03): a deque's append and popleft are
        # atomic, and only the writer, which holds the lock, takes lines out, so a line added while
        # another thread writes is written then or with the next write, never lost or split.
        self._held: collections.deque[bytes] = collections.deque()
        self.hold = self._held.append
        self._written_at = -math.inf  # time.monotonic() of the last write of access lines
        # The loop a timed write of access lines is queued on (see ``_EndOfTurn``: a loop, not a flag).
        self._timed_write_on: asyncio.AbstractEventLoop | None = None

    def holds_lines(self) -> bool:
        return bool(self._held)

    def write_held(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_held_or_report()

    def turn_ended(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The lines held at the end of a turn of ``loop`` (None: no loop, a script's line): written
        now if the last write is ``_WRITE_INTERVAL`` ago or they are ``_WRITE_BYTES`` already, else
        by a write queued on the loop for when the interval has passed."""
        now = time.monotonic()
        timed = self._timed_write_on
        if timed is not None and not timed.is_running():
            timed = self._timed_write_on = None  # a stopped loop's: it will never write
        if (
            loop is None
            or now - self._written_at >= _WRITE_INTERVAL
            or sum(map(len, self._held)) >= _WRITE_BYTES
        ):
            self._written_at = now
            self.write_held()
        elif timed is None:
            self._timed_write_on = loop
            loop.call_later(self._written_at + _WRITE_INTERVAL - now, self._timed_write)

    def _timed_write(self) -> None:
        self._timed_write_on = None
        self._written_at = time.monotonic()
        self.write_held()

    def emit(self, record: logging.LogRecord) -> None:
        self._write_held_or_report()  # the access lines logged before this record go before it
        super().emit(record)

    def flush(self) -> None:
        # A stream that cannot be written raises here, as ``StreamHandler.flush`` does: whoever
        # flushes decides. ``logging.shutdown`` at exit passes over a closed stream in silence
        # (pytest closes the stream it captured before the interpreter exits).
        with self.lock:  # type: ignore[union-attr]
            self._write_held()
            super().flush()

    def _write_held_or_report(self) -> None:
        # As ``emit`` does: a log it cannot write (a closed or broken stream) never fails a request.
        try:
            self._write_held()
        except (OSError, ValueError):
            if logging.raiseExceptions:
                traceback.print_exc(file=sys.stderr)

    def _write_held(self) -> None:
        """Writes the access lines held; the caller holds the handler's lock."""
        held = self._held
        if not held:
            return
        lines = [held.popleft() for _ in range(len(held))]
        # To the bytes under the text stream if it has them: decoding the lines for the text
        # layer to encode them again was a third of the write (1.8 of 5.7 µs a line to a pipe).
        # The text layer holds nothing back meanwhile: every write through it is flushed.
        binary = getattr(self.stream, "buffer", None)
        for piece in _whole_line_pieces(lines):
            if binary is None:
                self.stream.write(piece.decode())
                self.stream.flush()
            else:
                binary.write(piece)
                binary.flush()


def _whole_line_pieces(lines: list[bytes]) -> Iterator[bytes]:
    """``lines`` joined into as few writes as keep every line whole on a pipe the workers share: at
    most ``_WRITE_BYTES`` (PIPE_BUF) each, which a pipe takes in one piece, never mixed with another
    writer's (a longer write, once the pipe was full, could be cut and another worker's line land in
    the middle of a line). A line longer than that goes alone."""
    piece: list[bytes] = []
    size = 0
    for line in lines:
        if piece and size + len(line) > _WRITE_BYTES:
            yield b"".join(piece)
            piece, size = [], 0
        piece.append(line)
        size += len(line)
    if piece:
        yield b"".join(piece)


# The handler ``configure_logging`` installed, while it is the only one the access log reaches.
_service_handler: _JsonLinesHandler | None = None


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the service's own loggers."""
    global _service_handler
    if _service_handler is not None:
        _service_handler.write_held()  # the access lines it holds, before it is replaced
    handler = _JsonLinesHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("regiekaart")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    _service_handler = handler


class _AccessLine(msgspec.Struct):
    """The access log's line, in the order ``JsonFormatter`` writes a record's fields."""

    time: str
    level: str
    logger: str
    message: str
    request_id: str
    method: str
    path: str
    status: int
    duration_ms: float
    principal: str | None


def _direct_handler() -> _JsonLinesHandler | None:
    """The service's JSON handler if an access line reaches it and nothing else: no handler or filter
    added to the access log or the service's logger since (a test capturing records, an operator's
    own handler), which then get a LogRecord as usual."""
    handler = _service_handler
    service = access_log.parent
    if (
        handler is None
        or access_log.handlers
        or access_log.filters
        or not access_log.propagate
        or service is None
        or service.propagate
        or service.filters
        or service.handlers != [handler]
        or handler.filters
        or type(handler.formatter) is not JsonFormatter
        or handler.level > logging.INFO
    ):
        return None
    return handler


# The fields a request's line adds to a log line's own (time, level, logger, message), in order.
_REQUEST_FIELDS = _AccessLine.__struct_fields__[4:]


def log_request(fields: dict[str, Any]) -> None:
    """One access log line, of the request ``fields`` (``_REQUEST_FIELDS``)."""
    _log_request(*(fields[name] for name in _REQUEST_FIELDS))


def _log_request(
    request_id: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    principal: str | None,
) -> None:
    """One access log line. A LogRecord and its formatting cost a third of /health's CPU in a worker
    (about 25 µs of 85), so while the service's own JSON handler is the only one the line reaches, the
    line is encoded directly, as that handler would have written it. The fields come as arguments,
    not in a dict: making the dict and unpacking it took about 0.4 of the direct line's 2.9 µs."""
    handler = _direct_handler()
    if handler is None:
        fields = dict(
            zip(
                _REQUEST_FIELDS,
                (request_id, method, path, status, duration_ms, principal),
                strict=True,
            )
        )
        # Made and handed to the handlers directly: ``access_log.info`` would first look for its
        # caller in the stack, for a file and line the JSON line does not show.
        access_log.handle(
            access_log.makeRecord(
                access_log.name, logging.INFO, __file__, 0, "request", (), None, extra=fields
            )
        )
        return
    line = _AccessLine(
        _utc_now(),
        "info",
        access_log.name,
        "request",
        request_id,
        method,
        path,
        status,
        duration_ms,
        principal,
    )
    handler.hold(_encoded(line) + b"\n")
    END_OF_TURN.soon()


# The second the access log's last line was written in, and its date and time of day, formatted.
_second: tuple[int, str] = (0, "")
# Each millisecond's end of a line's time, made once: formatting it took half of ``_utc_now``'s 0.6 µs.
_MILLISECOND_ENDS = [f".{millisecond:03d}+00:00" for millisecond in range(1000)]


def _utc_now() -> str:
    """Now, as ``JsonFormatter`` writes a record's time (``datetime.isoformat`` of the moment in UTC,
    to the millisecond, truncated after rounding to the microsecond as ``datetime`` does), with the
    date and time of day formatted once a second: ``isoformat`` took 2 of its 2.5 µs a line."""
    global _second
    now = time.time()
    second = int(now)
    micros = round((now - second) * 1_000_000)
    if micros == 1_000_000:
        second, micros = second + 1, 0
    if _second[0] != second:
        _second = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return _second[1] + _MILLISECOND_ENDS[micros // 1000]


def _new_request_id() -> str:
    """32 random hex digits. Not from ``uuid4``: its ``os.urandom`` call was the costliest single step
    of a cached map's answer on this machine's VM (about 18 µs), and a request id needs uniqueness, not
    unpredictability (each worker's generator is seeded from the OS when the process starts). The
    number's 16 bytes as hex, not formatted as a number: the same 32 digits in half the time (0.25
    against 0.56 µs)."""
    return random.getrandbits(128).to_bytes(16, "big").hex()


class _EndOfTurn:
    """Writes what the requests of an event loop's turn left to write, their metrics and access
    lines (or, for the lines, leaves it to the handler's timed write: ``turn_ended``), once the loop
    has run what is ready: one callback a turn for both (a callback of the access lines' own cost
    1.2 µs a request when each request had a turn to itself). Outside an event loop (a script, a
    test) it writes at once."""

    def __init__(self) -> None:
        # The loop a write is queued on. Kept as the loop, not a flag: a loop that stopped with the
        # write still queued (a test's) must not keep the writes of the next loop waiting.
        self._queued_on: asyncio.AbstractEventLoop | None = None

    def soon(self) -> None:
        queued = self._queued_on
        if queued is not None and queued.is_running():
            return  # queued already (asking for the running loop first took ten times as long)
        loop = asyncio._get_running_loop()
        if loop is None:
            self.write()
        else:
            self._queued_on = loop
            loop.call_soon(self.write)

    def write(self) -> None:
        loop, self._queued_on = self._queued_on, None
        if loop is not None and not loop.is_running():
            loop = None  # called at once, outside a loop, after a loop stopped with a write queued
        try:
            REQUEST_METRICS.write()
        finally:  # the metrics failing to write must not hold the access lines back
            handler = _service_handler
            if handler is not None and handler.holds_lines():
                handler.turn_ended(loop)


END_OF_TURN = _EndOfTurn()
# One per process, as the metrics are: /metrics writes what is counted before it reads them.
REQUEST_METRICS = RequestMetrics(END_OF_TURN.soon)


def _request_id(scope: Scope) -> str:
    """The caller's X-Request-ID if it is a sensible one, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(given):
                return given
            break
    return _new_request_id()


class RequestObservation:
    """Takes the caller's X-Request-ID (or makes one) and returns it; logs one line per request and
    counts it, with its duration, in the metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = REQUEST_METRICS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        id_header = (b"x-request-id", request_id.encode())
        scope.setdefault("state", {})["request_id"] = request_id
        request_context = current_request_id.set(request_id)
        method, route = scope["method"], scope["path_template"]
        self.metrics.started(method, route)
        status = 500
        answered = 0.0

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "http.response.body":
                answered = time.perf_counter()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(request_context)
            self.metrics.answered(method, route, status, max(answered - started, 0.0))
            if access_log.isEnabledFor(logging.INFO):
                _log_request(
                    request_id,
                    method,
                    scope["path"],
                    status,
                    round((time.perf_counter() - started) * 1000, 3),
                    getattr(scope.get("user"), "id", None),
                )
