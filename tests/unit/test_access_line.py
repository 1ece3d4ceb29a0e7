"""The access log's line is the same whether it is encoded directly (the service's own JSON handler
alone) or made as a LogRecord (any other handler or filter in the way), and a handler added later
still gets its records."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import subprocess
import sys
import weakref

import msgspec
import pytest

from api import observability
from api.observability import access_log, configure_logging, log_request

FIELDS = {
    "request_id": "0123456789abcdef0123456789abcdef",
    "method": "GET",
    "path": "/regions/zuid-limburg/map",
    "status": 200,
    "duration_ms": 1.234,
    "principal": "region-system:zuid#abc",
}


@pytest.fixture
def stream() -> io.StringIO:
    service = logging.getLogger("regiekaart")
    before = (service.handlers[:], service.level, service.propagate, observability._service_handler)
    configure_logging()
    stream = io.StringIO()
    service.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    service.handlers[:], service.level, service.propagate = before[:3]
    observability._service_handler = before[3]


def lines(stream: io.StringIO) -> list[dict]:
    return [msgspec.json.decode(line) for line in stream.getvalue().splitlines()]


def test_the_direct_line_and_the_logrecord_line_are_the_same(stream) -> None:
    service = logging.getLogger("regiekaart")
    service.handlers[:] = service.handlers[:1]  # without pytest's capturing handlers
    assert observability._direct_handler() is not None
    log_request(FIELDS)
    passing = logging.Filter()  # a filter that lets everything through, but is in the way
    access_log.addFilter(passing)
    try:
        assert observability._direct_handler() is None
        log_request(FIELDS)
    finally:
        access_log.removeFilter(passing)
    direct, recorded = lines(stream)
    assert list(direct) == list(recorded)  # the same fields in the same order
    assert {**direct, "time": None} == {**recorded, "time": None}
    assert direct["logger"] == "regiekaart.access" and direct["message"] == "request"


def test_a_handler_added_to_the_access_log_gets_a_record(stream) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    access_log.addHandler(handler)
    try:
        log_request(FIELDS)
    finally:
        access_log.removeHandler(handler)
    assert [(r.getMessage(), r.status, r.path) for r in records] == [  # type: ignore[attr-defined]
        ("request", 200, "/regions/zuid-limburg/map")
    ]
    assert len(lines(stream)) == 1  # and the service's handler its line


def test_a_line_that_cannot_be_written_does_not_fail_the_request(stream, capsys) -> None:
    service = logging.getLogger("regiekaart")
    service.handlers[:] = service.handlers[:1]
    stream.close()  # stderr gone: a broken pipe, a closed terminal
    log_request(FIELDS)  # raises nothing
    assert "I/O operation on closed file" in capsys.readouterr().err


def test_lines_held_for_a_stream_closed_before_the_process_exits_leave_no_traceback(
    stream, capsys
) -> None:
    """As pytest leaves it: the stream it captured closed, access lines still held; logging's
    flush at exit stays silent instead of printing a traceback into the run's output."""
    handler = observability._service_handler
    handler.hold(b'{"message": "request"}\n')
    stream.close()
    logging.shutdown([weakref.ref(handler)])
    assert capsys.readouterr().err == ""


def test_on_a_text_stream_over_bytes_the_lines_keep_their_order_and_form(stream) -> None:
    """stderr is such a stream: the access line goes to its bytes, the others through its text."""
    service = logging.getLogger("regiekaart")
    service.handlers[:] = service.handlers[:1]
    binary = io.BytesIO()
    text = io.TextIOWrapper(binary, encoding="utf-8", line_buffering=True)
    service.handlers[0].setStream(text)  # type: ignore[attr-defined]
    logging.getLogger("regiekaart.api").warning("before")
    log_request(FIELDS)
    logging.getLogger("regiekaart.api").warning("after")
    text.flush()
    written = [msgspec.json.decode(line) for line in binary.getvalue().splitlines()]
    assert [line["message"] for line in written] == ["before", "request", "after"]
    assert written[1]["path"] == FIELDS["path"]
    # The time as JsonFormatter writes it: ISO 8601 in UTC, to the millisecond.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", written[1]["time"])


def test_a_path_utf8_cannot_hold_is_logged_escaped_not_left_out(stream) -> None:
    """A lone surrogate in the path (undecodable bytes of a URL) made the line unencodable: the
    request went unlogged, by either way of writing the line."""
    service = logging.getLogger("regiekaart")
    service.handlers[:] = service.handlers[:1]
    odd = {**FIELDS, "path": '/regions/x\udcff"\n'}
    log_request(odd)
    passing = logging.Filter()
    access_log.addFilter(passing)
    try:
        log_request(odd)
    finally:
        access_log.removeFilter(passing)
    direct, recorded = lines(stream)
    assert direct["path"] == recorded["path"] == '/regions/x\\udcff"\n'


class _CountedBytes(io.BytesIO):
    """The bytes under a text stream, counting the writes that reach them."""

    writes = 0

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        self.writes += 1
        return super().write(data)


def _text_over(binary: io.BytesIO) -> io.TextIOWrapper:
    text = io.TextIOWrapper(binary, encoding="utf-8", line_buffering=True)
    service = logging.getLogger("regiekaart")
    service.handlers[:] = service.handlers[:1]
    service.handlers[0].setStream(text)  # type: ignore[attr-defined]
    return text


def _messages(binary: io.BytesIO) -> list[str]:
    return [msgspec.json.decode(line)["message"] for line in binary.getvalue().splitlines()]


def test_the_access_lines_of_a_loop_turn_are_written_together_before_the_loop_waits(
    stream,
) -> None:
    binary = _CountedBytes()
    _text_over(binary)

    async def three_requests_in_one_turn() -> tuple[int, int]:
        for _ in range(3):
            log_request(FIELDS)
        during_the_turn = len(binary.getvalue().splitlines())
        await asyncio.sleep(0.01)  # the loop has nothing ready: it waits
        return during_the_turn, len(binary.getvalue().splitlines())

    assert asyncio.run(three_requests_in_one_turn()) == (0, 3)
    assert binary.writes == 1


def test_a_line_logged_after_access_lines_is_written_after_them(stream) -> None:
    """A reader of the log sees the lines in the order they were logged, held or not."""
    binary = io.BytesIO()
    text = _text_over(binary)

    async def a_request_then_a_warning() -> None:
        log_request(FIELDS)
        logging.getLogger("regiekaart.api").warning("after")

    asyncio.run(a_request_then_a_warning())
    text.flush()
    assert _messages(binary) == ["request", "after"]


def test_metrics_that_fail_to_be_written_do_not_hold_the_access_lines_back(
    stream, monkeypatch
) -> None:
    binary = io.BytesIO()
    text = _text_over(binary)

    def broken() -> None:
        raise OSError("the metrics file is gone")

    monkeypatch.setattr(observability.REQUEST_METRICS, "write", broken)
    with pytest.raises(OSError, match="the metrics file is gone"):
        log_request(
            FIELDS
        )  # outside a loop the turn's end is now: the metrics first, then the line
    text.flush()
    assert _messages(binary) == ["request"]


def test_access_lines_held_when_the_loop_stops_are_written_when_the_process_exits() -> None:
    """The loop stopped before the turn's lines were written (their write was still queued):
    logging's flush at exit writes them."""
    program = f"""
import asyncio
from api.observability import configure_logging, log_request
configure_logging()
loop = asyncio.new_event_loop()
async def a_request_then_stop():
    log_request({FIELDS!r})
    loop.stop()
loop.run_until_complete(a_request_then_stop())
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    written = [msgspec.json.decode(line) for line in done.stderr.splitlines()]
    assert [(line["message"], line["path"]) for line in written] == [("request", FIELDS["path"])]


def test_a_loop_that_stopped_before_its_turn_ended_does_not_hold_the_next_loops_lines(
    stream,
) -> None:
    """One process, one loop after another (as tests run apps): the first stopped with its turn's
    write still queued; the next loop's turn writes both lines."""
    binary = io.BytesIO()
    _text_over(binary)
    stopped = asyncio.new_event_loop()

    async def a_request_then_stop() -> None:
        log_request(FIELDS)
        stopped.stop()

    stopped.run_until_complete(a_request_then_stop())
    assert _messages(binary) == []  # its write is still queued on the stopped loop

    async def a_request_then_wait() -> None:
        log_request(FIELDS)
        await asyncio.sleep(0.01)

    asyncio.run(a_request_then_wait())
    stopped.close()
    assert _messages(binary) == ["request", "request"]


def test_while_requests_keep_coming_their_lines_are_written_once_an_interval(
    stream, monkeypatch
) -> None:
    """A turn that ends less than the interval after the last write holds its lines for the write
    that follows that one by the interval, together with the lines of the turns until then."""
    monkeypatch.setattr(observability, "_WRITE_INTERVAL", 0.2)
    binary = _CountedBytes()
    _text_over(binary)

    async def turns_in_a_row() -> tuple[int, int, int]:
        log_request(FIELDS)
        await asyncio.sleep(0)  # the turn ends: nothing written before, so written now
        first = binary.writes
        for _ in range(3):
            log_request(FIELDS)
            await asyncio.sleep(0)
        during_the_interval = binary.writes
        await asyncio.sleep(0.4)  # the loop waits past the interval
        return first, during_the_interval, binary.writes

    assert asyncio.run(turns_in_a_row()) == (1, 1, 2)
    assert _messages(binary) == ["request"] * 4


def test_lines_that_fill_a_write_are_written_at_the_turns_end_within_the_interval(
    stream, monkeypatch
) -> None:
    monkeypatch.setattr(observability, "_WRITE_INTERVAL", 0.2)
    binary = _CountedBytes()
    _text_over(binary)
    long_path = {**FIELDS, "path": "/" + "x" * 1000}

    async def a_turn_then_a_full_one() -> tuple[int, int]:
        log_request(FIELDS)
        await asyncio.sleep(0)
        for _ in range(4):  # more than a write's 4,096 bytes
            log_request(long_path)
        await asyncio.sleep(0)
        return binary.writes, len(_messages(binary))

    # The first turn's line in one write, the full turn's 4.4 KB in two (a pipe's 4,096 bytes each).
    assert asyncio.run(a_turn_then_a_full_one()) == (3, 5)


def test_a_line_outside_a_loop_is_written_at_once_after_a_loop_stopped_with_its_turn_queued(
    stream, monkeypatch
) -> None:
    monkeypatch.setattr(observability, "_WRITE_INTERVAL", 10.0)
    binary = io.BytesIO()
    _text_over(binary)
    log_request(FIELDS)  # a write, less than the interval before the last line below
    stopped = asyncio.new_event_loop()

    async def a_request_then_stop() -> None:
        log_request(FIELDS)
        stopped.stop()

    stopped.run_until_complete(a_request_then_stop())
    log_request(FIELDS)  # no loop runs: its turn is now, and the stopped loop's line goes with it
    stopped.close()
    assert _messages(binary) == ["request"] * 3


class _RecordedWrites(io.BytesIO):
    """The bytes under a text stream, keeping each write that reaches them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        self.writes.append(bytes(data))
        return super().write(data)


def test_no_write_is_longer_than_a_pipe_takes_whole_and_each_holds_whole_lines(stream) -> None:
    """The workers share one pipe: a write longer than PIPE_BUF can be cut when the pipe is full, and
    another worker's line land inside one of these."""
    binary = _RecordedWrites()
    _text_over(binary)
    paths = [f"/{n}" + "x" * (300 + 97 * n) for n in range(30)]  # lines of 0.5-3.3 KB, 51 KB in all

    async def one_turn() -> None:
        for path in paths:
            log_request({**FIELDS, "path": path})

    asyncio.run(one_turn())
    assert [msgspec.json.decode(line)["path"] for line in binary.getvalue().splitlines()] == paths
    assert len(binary.writes) > 1
    assert all(len(write) <= observability.select.PIPE_BUF for write in binary.writes)
    assert all(write.endswith(b"\n") for write in binary.writes)
