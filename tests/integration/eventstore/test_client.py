"""Requests to a server that leaves the first copy unanswered, as a stream leader that has just died does
until the others elect a new one: a read is asked again and the later copy's answer counts; a write is
sent once, so its outcome stays unknown rather than being stored twice. Saves' writes take a lean path of
their own (``NatsClient.write``), which keeps those promises and nats-py's across a reconnect."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid

import msgspec
import pytest
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from adapters.nats import NatsApplicationRecorder
from adapters.nats.client import NatsClient
from adapters.nats.connection import Connection


@pytest.fixture
def client(nats_server):
    client = NatsClient(nats_server.url, timeout=3.0)
    yield client
    client.close()


def responder_ignoring_the_first_request(client: NatsClient) -> tuple[str, list[bytes]]:
    subject = f"test.requests.{uuid.uuid4().hex}"
    received: list[bytes] = []

    async def answer(message: Msg) -> None:
        received.append(message.data)
        if len(received) > 1:
            await message.respond(b"answer to copy %d" % len(received))

    client.subscribe(subject, answer)
    return subject, received


def test_an_unanswered_read_is_asked_again_and_the_later_answer_counts(client):
    subject, received = responder_ignoring_the_first_request(client)
    reply = client.run(client.request(subject, b"read", repeatable=True))
    assert reply.data == b"answer to copy 2"
    assert received == [b"read", b"read"]


def test_an_unanswered_write_is_not_sent_again(client):
    subject, received = responder_ignoring_the_first_request(client)
    with pytest.raises(NatsTimeoutError):
        client.run(client.request(subject, b"write"))
    assert received == [b"write"]


def test_an_unanswered_write_through_the_lean_path_is_sent_once_and_the_next_is_answered(client):
    subject, received = responder_ignoring_the_first_request(client)
    with pytest.raises(NatsTimeoutError):
        client.write(subject, b"first", {})
    assert client.write(subject, b"second", {"Regiekaart-Test": "1"}) == b"answer to copy 2"
    assert received == [b"first", b"second"]


def test_a_write_nobody_takes_says_so(client):
    with pytest.raises(NoRespondersError):
        client.write(f"test.nobody.{uuid.uuid4().hex}", b"write", {})


def test_writes_sent_together_each_get_their_own_outcome_in_order(client):
    """A fan-out's copies of one event go out together: each answer goes to its own message, and one
    that nobody takes or that goes unanswered fails alone, in its place."""
    subject, received = responder_ignoring_the_first_request(client)
    echo = f"test.echo.{uuid.uuid4().hex}"

    async def answer(message: Msg) -> None:
        await message.respond(b"echo " + message.data)

    client.subscribe(echo, answer)
    outcomes = client.write_all(
        [
            (subject, b"ignored", {}),
            (echo, b"one", {"Regiekaart-Test": "1"}),
            (f"test.nobody.{uuid.uuid4().hex}", b"lost", {}),
            (echo, b"two", {}),
        ]
    )
    assert isinstance(outcomes[0], NatsTimeoutError)
    assert outcomes[1] == b"echo one"
    assert isinstance(outcomes[2], NoRespondersError)
    assert outcomes[3] == b"echo two"
    assert received == [b"ignored"]


def test_a_write_while_the_connection_is_down_is_sent_once_it_is_back(
    restartable_nats, stream_name
):
    client = NatsClient(restartable_nats.url, timeout=15.0)
    try:
        NatsApplicationRecorder(client, stream_name)  # creates the stream
        restartable_nats.stop()
        while client.nc.is_connected:
            time.sleep(0.01)
        restart = threading.Timer(0.5, restartable_nats.start)
        restart.start()
        answer = msgspec.json.decode(
            client.write(
                f"{stream_name}.e.{uuid.uuid4().hex}",
                b"written while the server was away",
                {"Nats-Expected-Last-Subject-Sequence": "0"},
            )
        )
        restart.join()
        assert answer == {"stream": stream_name, "seq": 1}
        # Once the subscriptions are sent again, writes go straight on the new connection's socket
        # (nats-py keeps its transport object across a reconnect; asyncio's under it is new).
        deadline = time.monotonic() + 5
        while client.nc._direct.stream_transport is not client.nc._transport._io_writer.transport:
            assert time.monotonic() < deadline, "writes never went straight on the socket again"
            time.sleep(0.01)
        sent_directly = []
        send_direct = client.nc.send_direct

        def recorded_send_direct(*args: object) -> bool:
            sent_directly.append(send_direct(*args))
            return sent_directly[-1]

        client.nc.send_direct = recorded_send_direct
        answer = msgspec.json.decode(
            client.write(
                f"{stream_name}.e.{uuid.uuid4().hex}",
                b"written on the new connection's socket",
                {"Nats-Expected-Last-Subject-Sequence": "0"},
            )
        )
        assert answer == {"stream": stream_name, "seq": 2}
        assert sent_directly == [True]
    finally:
        client.close()


def test_a_message_sent_soon_is_put_on_the_socket_and_arrives_in_order(client):
    """``send_soon`` (the read model's signal) puts each message on the socket behind whatever was
    queued before it: each arrives, in the order sent."""
    subject = f"test.soon.{uuid.uuid4().hex}"
    received: list[bytes] = []
    arrived = threading.Event()

    async def note(message: Msg) -> None:
        received.append(message.data)
        if len(received) == 50:
            arrived.set()

    client.subscribe(subject, note)
    for number in range(50):
        client.send_soon(subject, b"%d" % number)
    assert arrived.wait(5)
    assert received == [b"%d" % number for number in range(50)]


def test_frames_the_socket_takes_in_parts_arrive_whole_and_in_order(client, monkeypatch):
    """A write's frame is put on the socket from the writer's own thread; one larger than the room
    the socket has is finished there before any other frame (another writer's, nats-py's own) goes
    out, so that every frame arrives whole."""
    finished_in_parts: list[int] = []
    send_rest = Connection._send_rest

    def counted(self, direct, rest, deadline):
        finished_in_parts.append(len(rest))
        send_rest(self, direct, rest, deadline)

    monkeypatch.setattr(Connection, "_send_rest", counted)
    # A socket with little room, as a busy connection has.
    client.nc._direct.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    subject = f"test.large.{uuid.uuid4().hex}"
    soon_subject = f"test.soon.{uuid.uuid4().hex}"
    soon: list[bytes] = []

    async def digest(message: Msg) -> None:
        await message.respond(hashlib.sha256(message.data).hexdigest().encode())

    async def note(message: Msg) -> None:
        soon.append(message.data)

    client.subscribe(subject, digest)
    client.subscribe(soon_subject, note)
    size = 256 * 1024
    answers: dict[int, bytes] = {}

    def writer(first: int) -> None:
        for number in range(first, first + 4):
            client.send_soon(soon_subject, b"%d" % number)
            answers[number] = client.write(subject, bytes([number]) * size, {})

    writers = [threading.Thread(target=writer, args=(first,)) for first in (0, 4, 8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert answers == {
        number: hashlib.sha256(bytes([number]) * size).hexdigest().encode() for number in range(12)
    }
    assert finished_in_parts, "no frame was put on the socket in parts"
    deadline = time.monotonic() + 5
    while len(soon) < 12 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(soon, key=int) == [b"%d" % number for number in range(12)]
