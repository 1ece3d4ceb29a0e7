"""Requests to a server that leaves the first copy unanswered, as a stream leader that has just died does
until the others elect a new one: a read is asked again and the later copy's answer counts; a write is
sent once, so its outcome stays unknown rather than being stored twice."""

from __future__ import annotations

import uuid

import pytest
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError

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
