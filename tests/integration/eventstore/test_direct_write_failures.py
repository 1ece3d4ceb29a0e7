"""A write's frame put on the socket from the writer's thread, when the socket cannot take all of it
in time (a server that stopped reading): the frame is torn, and nothing may follow it on that socket,
nor may the writers of other messages lose their outcomes."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.protocol.command import pub_cmd

from adapters.nats.client import NatsClient
from adapters.nats.server import NatsServer

# Larger than what a socket with a small send buffer takes at once, below nats-server's max_payload.
_LARGE = 512 * 1024


@contextmanager
def stopped(server: NatsServer) -> Iterator[None]:
    """The server stopped (SIGSTOP): it reads nothing more until the block ends."""
    assert server.pid is not None
    os.kill(server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.pid, signal.SIGCONT)


@pytest.fixture
def client(restartable_nats: NatsServer) -> Iterator[NatsClient]:
    client = NatsClient(restartable_nats.url, timeout=1.0)
    # A socket with little room fills with few frames.
    client.nc._direct.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    yield client
    client.close()


def test_nothing_follows_a_frame_the_socket_could_not_finish(client, restartable_nats):
    """The loop may not get to break the connection at once (busy here): a frame sent in the meantime
    would go on the wire right after the torn one, and the server would read it as the rest of the
    torn frame's payload (a corrupted message, or one that completes the torn one)."""
    busy = threading.Event()
    client._loop.call_soon_threadsafe(busy.wait, 10)
    frame = pub_cmd("test.torn", "", b"x" * _LARGE)
    try:
        with stopped(restartable_nats), pytest.raises(ConnectionClosedError):
            for _ in range(200):
                client.nc.send_direct(frame, _LARGE, time.monotonic() + client.timeout)
        # The server reads again; the loop has not yet broken the connection.
        after = pub_cmd("test.after", "", b"after")
        assert not client.nc.send_direct(after, 5, time.monotonic() + client.timeout)
    finally:
        busy.set()


def test_writes_sent_together_get_their_outcomes_when_one_is_torn(client, restartable_nats):
    """``write_all`` returns an outcome for every message, in its place, when one of them could not
    be finished on the socket; those sent before it are on their way and must not be orphaned by an
    exception that stands for all."""
    messages = [("test.torn", b"x" * _LARGE, {}) for _ in range(40)]
    client.write_all([("test.warm", b"", {})])  # the answers' subscription made beforehand
    with stopped(restartable_nats):
        outcomes = client.write_all(messages)
    assert len(outcomes) == len(messages)
    assert any(isinstance(outcome, ConnectionClosedError) for outcome in outcomes)


def test_a_write_waits_for_the_socket_no_longer_than_its_timeout(client):
    """Another writer holds the socket (its frame still going out to a slow server, here the lock
    held by the test): a write meets its timeout instead of waiting for the socket past it."""
    returned = threading.Event()
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            client.write("test.waiting", b"waiting", {})
        except BaseException as error:  # noqa: BLE001 - checked by the test
            outcome.append(error)
        returned.set()

    client.write_all([("test.warm", b"", {})])  # the answers' subscription made beforehand
    writer = threading.Thread(target=write)
    with client.nc.write_lock:
        writer.start()
        returned.wait(5 * client.timeout)
        assert returned.is_set(), "the write waited for the socket past its timeout"
    writer.join()
    assert [type(error) for error in outcome] == [NatsTimeoutError]


def test_an_answer_that_came_in_time_counts_though_the_loop_turn_ran_long(client, monkeypatch):
    """A write's answer is handed over when the loop next waits; a turn that runs long after the
    answer came (a large read decoded in it, a write waiting for the socket) must not turn an
    acknowledgement that arrived in time into a timeout, which says the save may not be stored."""
    answered = client._answered

    def answered_then_busy(frames):
        answered(frames)
        time.sleep(1.5 * client.timeout)

    client.write_all([("test.warm", b"", {})])  # the answers' subscription made beforehand
    monkeypatch.setitem(
        client.nc.raw_handlers, next(iter(client.nc.raw_handlers)), answered_then_busy
    )
    subject = f"test.echo.{time.monotonic_ns()}"

    async def echo(message):
        await message.respond(b"answer to " + message.data)

    client.subscribe(subject, echo)
    assert client.write(subject, b"question", {}) == b"answer to question"


def test_a_call_that_meets_a_closing_client_is_not_left_waiting(client):
    """close() stops the loop, then closes it: a call coming from another thread in between (a read
    while the service shuts down) was queued on a loop that never ran it again, its caller waiting
    for ever (run() without a timeout)."""
    client._loop.call_soon_threadsafe(client._loop.stop)  # where close() has got to
    client._thread.join(5)
    outcome: list[BaseException] = []

    async def nothing() -> None:
        """A call of the loop's."""

    def call() -> None:
        try:
            client.run(nothing())
        except BaseException as error:  # noqa: BLE001 - checked by the test
            outcome.append(error)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(5 * client.timeout)
    assert not caller.is_alive(), "the call waited for a loop that had stopped"
    assert [type(error) for error in outcome] == [ConnectionClosedError]
    # The loop run again, for the fixture's close() to end the connection's tasks on it.
    client._thread = threading.Thread(target=client._loop.run_forever, daemon=True)
    client._thread.start()
