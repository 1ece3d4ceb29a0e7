"""A live subscription to the log hands on each new event as soon as the stream holds it, also when its
wake-up (a core NATS copy of the message) came before JetStream had stored the message; and its read
of what was just written is one direct get, going on through a consumer only for a longer read, and
hands on the seals it read for the check of seals."""

from __future__ import annotations

import threading
import uuid

from eventsourcing.persistence import Notification, StoredEvent, Tracking
from nacl.signing import SigningKey

from adapters.nats import NatsApplicationRecorder, NatsProcessRecorder, log_reading
from adapters.nats.client import NatsClient
from adapters.seal import RefusedNotification, SealCheck, Sealer


class StoredLate(NatsApplicationRecorder):
    """A recorder whose first read that finds something finds nothing instead, as a read does that
    the wake-up started before the stream stored the announced message."""

    def __init__(self, client: NatsClient, stream: str) -> None:
        super().__init__(client, stream)
        self.missed = False

    def select_notifications(self, start, limit, stop=None, topics=(), **kwargs):  # type: ignore[no-untyped-def]
        found = super().select_notifications(start, limit, stop, topics, **kwargs)
        if found and not self.missed:
            self.missed = True
            return []
        return found


def test_an_announced_event_the_first_read_misses_is_read_again_without_another_wake_up(
    nats_server, stream_name, monkeypatch
):
    # No poll to fall back on: only reading again after the announcement can find the event.
    monkeypatch.setattr(log_reading, "_SUBSCRIPTION_POLL_SECONDS", 3600.0)
    client = NatsClient(nats_server.url)
    try:
        recorder = StoredLate(client, stream_name)
        (first,) = NatsApplicationRecorder(client, stream_name).insert_events(
            [StoredEvent(uuid.uuid4(), 1, "t", b"{}")]
        )
        with recorder.subscribe(gt=first) as subscription:
            received: list[int] = []
            reader = threading.Thread(target=lambda: received.append(next(subscription).id))
            reader.start()
            (second,) = recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"{}")])
            reader.join(timeout=30)
            alive = reader.is_alive()
            subscription.stop()
            reader.join(timeout=30)
        assert not alive, "the announced event was never read"
        assert recorder.missed
        assert received == [second]
    finally:
        client.close()


def consumers_created(monkeypatch) -> list[int]:
    """The first sequences of the consumers that reads create from now on."""
    created: list[int] = []
    run = log_reading._ConsumerRead.run

    async def counted(read: log_reading._ConsumerRead) -> bool:
        created.append(read.first_sequence)
        return await run(read)

    monkeypatch.setattr(log_reading._ConsumerRead, "run", counted)
    return created


def test_a_live_read_of_what_was_just_written_is_one_direct_get_and_creates_no_consumer(
    nats_server, stream_name, monkeypatch
):
    client = NatsClient(nats_server.url)
    try:
        recorder = NatsApplicationRecorder(client, stream_name)
        (before,) = recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"{}")])
        written = [
            i
            for n in range(3)
            for i in recorder.insert_events(
                [
                    StoredEvent(aggregate, v, "t", b"{}")
                    for aggregate in [uuid.uuid4()]
                    for v in range(1, n + 2)
                ]
            )
        ]
        created = consumers_created(monkeypatch)
        read = recorder.select_notifications(
            before, 100, inclusive_of_start=False, just_written=True
        )
        past_the_end = recorder.select_notifications(
            written[-1], 100, inclusive_of_start=False, just_written=True
        )
        assert [n.id for n in read] == written
        assert past_the_end == []
        assert created == []
    finally:
        client.close()


def test_a_live_read_longer_than_one_direct_get_goes_on_through_a_consumer_and_misses_nothing(
    nats_server, stream_name, monkeypatch
):
    client = NatsClient(nats_server.url)
    try:
        recorder = NatsProcessRecorder(client, stream_name)
        for n in range(12):  # saves of one to three events, a tracking record after every third
            aggregate = uuid.uuid4()
            save = [StoredEvent(aggregate, v, "t", b"{}") for v in range(1, n % 3 + 2)]
            tracking = Tracking("upstream", n + 1) if n % 3 == 2 else None
            recorder.insert_events(save, tracking=tracking)
        monkeypatch.setattr(log_reading, "_DIRECT_BATCH", 4)
        created = consumers_created(monkeypatch)
        everything = [n.id for n in recorder.select_notifications(None, 1000)]
        assert len(created) == 1
        for start in (0, everything[2], everything[9]):
            created.clear()
            read = recorder.select_notifications(
                start, 1000, inclusive_of_start=False, just_written=True
            )
            assert [n.id for n in read] == [i for i in everything if i > start]
            assert len(created) == 1 and created[0] > 1  # only after the direct get's messages
    finally:
        client.close()


def test_a_subscription_catching_up_reads_through_a_consumer_and_once_caught_up_by_a_direct_get(
    nats_server, stream_name, monkeypatch
):
    monkeypatch.setattr(log_reading, "READ_PAGE", 5)
    direct_gets: list[int] = []
    direct_batch = log_reading._direct_batch

    async def counted(client, stream, first_sequence, at_most):  # type: ignore[no-untyped-def]
        direct_gets.append(first_sequence)
        return await direct_batch(client, stream, first_sequence, at_most)

    monkeypatch.setattr(log_reading, "_direct_batch", counted)
    client = NatsClient(nats_server.url)
    try:
        recorder = NatsApplicationRecorder(client, stream_name)
        written = [
            i
            for _ in range(12)
            for i in recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"{}")])
        ]
        with recorder.subscribe(gt=None) as subscription:
            received = [next(subscription).id for _ in written]  # three pages: 5, 5 and 2
            # Reads of the log after the last event read (from the message that holds it) only.
            assert min(direct_gets, default=written[-1] // 1000) >= written[-1] // 1000
            (live,) = recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"{}")])
            received.append(next(subscription).id)
        assert received == [*written, live]
        assert len(direct_gets) >= 1  # the read of the new event (and of nothing, after a wake-up)
    finally:
        client.close()


def test_a_live_read_by_one_direct_get_checks_each_messages_seal(
    nats_server, stream_name, monkeypatch
):
    key = SigningKey.generate()
    client = NatsClient(nats_server.url)
    try:
        service = NatsApplicationRecorder(client, stream_name, sealer=Sealer(key))
        forger = NatsApplicationRecorder(client, stream_name)
        (before,) = service.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"{}")])
        genuine = service.insert_events(
            [StoredEvent(aggregate, v, "t", b"{}") for aggregate in [uuid.uuid4()] for v in (1, 2)]
        )
        forged = forger.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b'{"forged": 1}')])
        created = consumers_created(monkeypatch)
        seals = SealCheck(stream_name, [key.verify_key.encode().hex()])
        read = service.select_notifications(
            before, 100, inclusive_of_start=False, just_written=True, seals=seals
        )
        assert created == []  # one direct get, no consumer
        assert [(n.id, type(n)) for n in read] == [
            *((position, Notification) for position in genuine),
            (forged[0], RefusedNotification),
        ]
        assert read[-1].state == b""
        assert "unsealed" in read[-1].reason
    finally:
        client.close()
