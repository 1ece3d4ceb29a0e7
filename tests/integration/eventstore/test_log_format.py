"""The log as auditors and region feeds read it: one message per aggregate per save, decoded by
`log_entries`, with each event chained to its predecessor; and reads that survive lost deliveries."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import nats
import pytest
from eventsourcing.persistence import Notification, PersistenceError, StoredEvent, Tracking

from adapters.event_log_format import EVENTS_PER_MESSAGE, event_hash, log_entries
from adapters.nats import NatsApplicationRecorder, NatsProcessRecorder, log_reading
from adapters.nats.client import NatsClient


@pytest.fixture
def client(nats_server):
    client = NatsClient(nats_server.url)
    yield client
    client.close()


@pytest.fixture
def recorder(client, stream_name):
    return NatsApplicationRecorder(client, stream_name)


def raw_log(url: str, stream: str) -> list[tuple[int, str, bytes]]:
    """Every message of the stream as (sequence, subject, data), read with plain nats-py."""

    async def read() -> list[tuple[int, str, bytes]]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        info = await js.stream_info(stream)
        messages = []
        for sequence in range(1, info.state.last_seq + 1):
            message = await js.get_msg(stream, sequence)
            messages.append((message.seq, message.subject, message.data))
        await nc.close()
        return messages

    return asyncio.run(read())


def events(aggregate: uuid.UUID, versions: range) -> list[StoredEvent]:
    return [StoredEvent(aggregate, v, f"topic{v % 3}", f"state {v}".encode()) for v in versions]


def test_a_save_of_one_aggregate_is_one_message_with_chained_events(nats_server, recorder):
    aggregate = uuid.uuid4()
    first_ids = recorder.insert_events(events(aggregate, range(1, 4)))
    second_ids = recorder.insert_events(events(aggregate, range(4, 6)))

    log = raw_log(nats_server.url, recorder.stream)
    assert len(log) == 2
    entries = [entry for message in log for entry in log_entries(*message)]
    assert [notification_id for notification_id, _ in entries] == first_ids + second_ids
    assert first_ids == [log[0][0] * EVENTS_PER_MESSAGE + i for i in range(3)]
    prev_hash = ""
    for version, (_, record) in enumerate(entries, start=1):
        assert (record.originator_id, record.originator_version) == (str(aggregate), version)
        assert record.prev_hash == prev_hash
        assert record.hash == event_hash(
            prev_hash, str(aggregate), version, record.topic, record.state
        )
        prev_hash = record.hash


def test_a_save_of_several_aggregates_is_one_message_each_and_ids_follow_the_events(
    nats_server, recorder
):
    first, second = uuid.uuid4(), uuid.uuid4()
    save = [
        StoredEvent(first, 1, "t", b"first 1"),
        StoredEvent(second, 1, "t", b"second 1"),
        StoredEvent(first, 2, "t", b"first 2"),
    ]
    ids = recorder.insert_events(save)

    assert len(raw_log(nats_server.url, recorder.stream)) == 2
    by_id = {n.id: n for n in recorder.select_notifications(None, 10)}
    assert [by_id[i].state for i in ids] == [b"first 1", b"second 1", b"first 2"]
    assert [e.state for e in recorder.select_events(first)] == [b"first 1", b"first 2"]


def test_a_save_larger_than_one_message_continues_on_the_same_subject(nats_server, recorder):
    aggregate = uuid.uuid4()
    save = events(aggregate, range(1, EVENTS_PER_MESSAGE + 3))
    ids = recorder.insert_events(save)

    log = raw_log(nats_server.url, recorder.stream)
    assert [len(log_entries(*message)) for message in log] == [EVENTS_PER_MESSAGE, 2]
    assert ids == sorted(ids) and len(set(ids)) == len(save)
    stored = recorder.select_events(aggregate)
    assert [e.originator_version for e in stored] == [e.originator_version for e in save]
    records = [record for message in log for _, record in log_entries(*message)]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))


def test_tracking_records_are_no_log_entries(nats_server, client, stream_name):
    recorder = NatsProcessRecorder(client, stream_name)
    recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"{}")], tracking=Tracking("up", 7))

    log = raw_log(nats_server.url, stream_name)
    assert [len(log_entries(*message)) for message in log] == [1, 0]
    assert recorder.max_tracking_id("up") == 7
    assert recorder.max_notification_id() == log[0][0] * EVENTS_PER_MESSAGE


def test_reading_in_many_small_pages_returns_everything_in_order(monkeypatch, recorder):
    monkeypatch.setattr(log_reading, "READ_PAGE", 3)
    saved = [recorder.insert_events(events(uuid.uuid4(), range(1, n % 3 + 2))) for n in range(10)]
    expected = [i for ids in saved for i in ids]

    assert [n.id for n in recorder.select_notifications(None, 100)] == expected
    assert [n.id for n in recorder.select_notifications(expected[4], 5)] == expected[4:9]


def test_a_read_that_misses_a_delivery_resumes_after_the_last_message_received(
    monkeypatch, recorder
):
    saved = [recorder.insert_events(events(uuid.uuid4(), range(1, 3))) for _ in range(6)]
    expected = [i for ids in saved for i in ids]
    deliver = log_reading._ConsumerRead._on_frames
    delivered = itertools.count(1)
    dropped = []

    def lose_the_third(self, frames):  # type: ignore[no-untyped-def]
        # A frame with a reply subject is a delivery; a status has none.
        kept = [frame for frame in frames if not frame[1] or next(delivered) != 3]
        dropped.append(len(frames) - len(kept))
        if kept:
            deliver(self, kept)

    monkeypatch.setattr(log_reading._ConsumerRead, "_on_frames", lose_the_third)
    assert [n.id for n in recorder.select_notifications(None, 100)] == expected
    assert sum(dropped) == 1


def test_reads_work_after_the_server_restarts(restartable_nats, stream_name):
    client = NatsClient(restartable_nats.url)
    try:
        recorder = NatsApplicationRecorder(client, stream_name)
        ids = recorder.insert_events(events(uuid.uuid4(), range(1, 3)))
        restartable_nats.stop()
        restartable_nats.start()
        assert [n.id for n in recorder.select_notifications(None, 10)] == ids
        with recorder.subscribe(gt=None) as subscription:
            assert [next(subscription).id for _ in ids] == ids
    finally:
        client.close()


def test_a_save_too_large_for_one_message_is_split_by_size(nats_server, recorder):
    aggregate = uuid.uuid4()
    quarter = recorder.client.nc.max_payload // 4
    save = [StoredEvent(aggregate, v, "t", bytes([v]) * quarter) for v in range(1, 7)]
    recorder.insert_events(save)

    log = raw_log(nats_server.url, recorder.stream)
    assert len(log) > 1
    assert [e.state for e in recorder.select_events(aggregate)] == [e.state for e in save]


def test_an_event_larger_than_a_message_is_refused_and_nothing_is_stored(recorder):
    aggregate = uuid.uuid4()
    too_large = b"x" * recorder.client.nc.max_payload
    with pytest.raises(PersistenceError, match="more than the"):
        recorder.insert_events(
            [StoredEvent(aggregate, 1, "t", b"{}"), StoredEvent(aggregate, 2, "t", too_large)]
        )
    assert recorder.select_events(aggregate) == []


def test_notifications_read_back_are_the_librarys_own_with_uuid_and_string_ids(recorder):
    """Read back, each event is a Notification equal to one the library builds itself, with the id
    of its aggregate as it was saved: a UUID as a UUID, any other id as a string, even one that
    reads like a UUID."""
    by_uuid, by_name, by_uuid_text = uuid.uuid4(), "gemeente-maastricht", str(uuid.uuid4())
    saved = [
        StoredEvent(by_uuid, 1, "t.First", b'{"a":1}'),
        StoredEvent(by_uuid, 2, "t.Second", b'{"a":2}'),
        StoredEvent(by_name, 1, "t.Named", b"{}"),
        StoredEvent(by_uuid_text, 1, "t.Texted", b"{}"),
    ]
    ids = recorder.insert_events(saved)
    read = recorder.select_notifications(None, 10)
    assert read == [
        Notification(event.originator_id, event.originator_version, event.topic, event.state, id_)
        for event, id_ in zip(saved, ids, strict=True)
    ]
    assert [type(n.originator_id) for n in read] == [uuid.UUID, uuid.UUID, str, str]
    assert [repr(n) for n in read] == [
        repr(Notification(n.originator_id, n.originator_version, n.topic, n.state, n.id))
        for n in read
    ]
    assert len({*read, *read}) == len(saved)  # hashable, and equal ones hash alike
