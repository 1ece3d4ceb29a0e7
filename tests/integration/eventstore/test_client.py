"""Requests to a server that leaves the first copy unanswered, as a stream leader that has just died does
until the others elect a new one: a read is asked again and the later copy's answer counts; a write is
sent once, so its outcome stays unknown rather than being stored twice. Saves' writes take a lean path of
their own (``NatsClient.write``), which keeps those promises and nats-py's across a reconnect."""

from __future__ import annotations

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
