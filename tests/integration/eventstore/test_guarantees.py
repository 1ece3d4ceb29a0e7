"""What the event store promises beyond the library's cases: one winner per race, atomic saves across
aggregates, an immutable stream, honest errors when a write's outcome is unknown, and reconnects."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import nats
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from adapters.nats import NatsApplicationRecorder, PublishOutcomeUnknown
from adapters.nats.client import NatsClient
from adapters.nats.server import thread_states


def event(originator_id: uuid.UUID, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=version, topic="t", state=state
    )


@pytest.fixture
def recorder(nats_server, stream_name):
    client = NatsClient(nats_server.url)
    yield NatsApplicationRecorder(client, stream_name)
    client.close()


def test_racing_writers_have_exactly_one_winner_per_round(nats_server, stream_name):
    writers = 5
    clients = [NatsClient(nats_server.url) for _ in range(writers)]
    recorders = [NatsApplicationRecorder(client, stream_name) for client in clients]
    aggregate = uuid.uuid4()
    try:
        for version in range(1, 11):
            barrier = threading.Barrier(writers)
            outcomes: list[str] = []

            def write(recorder: NatsApplicationRecorder, state: bytes) -> None:
                barrier.wait()
                try:
                    recorder.insert_events([event(aggregate, version, state)])
                    outcomes.append("won")
                except IntegrityError as error:
                    assert str(aggregate) in str(error)
                    outcomes.append("conflict")

            threads = [
                threading.Thread(target=write, args=(r, f"writer {i}".encode()))
                for i, r in enumerate(recorders)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["won"]
        stored = recorders[0].select_events(aggregate)
        assert [e.originator_version for e in stored] == list(range(1, 11))
    finally:
        for client in clients:
            client.close()


def test_a_save_with_one_conflicting_aggregate_stores_nothing(recorder):
    first, second = uuid.uuid4(), uuid.uuid4()
    recorder.insert_events([event(first, 1)])
    before = recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(second, 1), event(first, 1)])
    assert recorder.select_events(second) == []
    assert recorder.max_notification_id() == before


def test_a_conflict_from_another_process_is_detected_despite_a_stale_cache(
    nats_server, stream_name
):
    clients = [NatsClient(nats_server.url) for _ in range(2)]
    mine, theirs = (NatsApplicationRecorder(c, stream_name) for c in clients)
    aggregate = uuid.uuid4()
    try:
        mine.insert_events([event(aggregate, 1)])
        theirs.insert_events([event(aggregate, 2)])
        with pytest.raises(IntegrityError, match="nothing of this save was stored"):
            mine.insert_events([event(aggregate, 2)])
        mine.insert_events([event(aggregate, 3)])
        assert [e.originator_version for e in theirs.select_events(aggregate)] == [1, 2, 3]
    finally:
        for client in clients:
            client.close()


def test_the_stream_refuses_deletes_and_purges(nats_server, recorder):
    recorder.insert_events([event(uuid.uuid4(), 1)])

    async def attempt() -> None:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        try:
            with pytest.raises(nats.js.errors.APIError):
                await js.delete_msg(recorder.stream, 1)
            with pytest.raises(nats.js.errors.APIError):
                await js.purge_stream(recorder.stream)
            info = await js.stream_info(recorder.stream)
            assert info.state.messages == 1
        finally:
            await nc.close()

    asyncio.run(attempt())


@pytest.mark.parametrize(
    "change",
    [
        {"max_msgs_per_subject": 1},  # deletes every aggregate's history but its last message
        {"max_age": 3_600_000_000_000},  # every event older than an hour
        {"max_msgs": 2},
        {"max_bytes": 10_000},
        {"subjects": ["{stream}.>", "elsewhere.>"]},  # messages that are no events of the log
    ],
)
def test_no_process_writes_on_a_log_whose_stream_was_changed_to_lose_events(
    nats_server, recorder, change
):
    # NATS refuses to turn deny_delete and deny_purge off, but not a limit that deletes messages,
    # though deny_delete is on: whoever holds the set-up credentials can make the log forget.
    aggregate = uuid.uuid4()
    for version in (1, 2, 3):
        recorder.insert_events([event(aggregate, version)])

    async def change_config() -> None:
        nc = await nats.connect(nats_server.url)
        try:
            info = await nc.jetstream().stream_info(recorder.stream)
            config = {**info.config.as_dict(), **change}
            config["subjects"] = [s.format(stream=recorder.stream) for s in config["subjects"]]
            reply = await nc.request(
                f"$JS.API.STREAM.UPDATE.{recorder.stream}", json.dumps(config).encode()
            )
            assert "error" not in json.loads(reply.data), reply.data
        finally:
            await nc.close()

    asyncio.run(change_config())
    client = NatsClient(nats_server.url)
    try:
        with pytest.raises(RuntimeError, match="loses events") as refused:
            NatsApplicationRecorder(client, recorder.stream)
    finally:
        client.close()
    assert next(iter(change)) in str(refused.value)


def test_a_paused_server_has_stopped_every_thread_when_pause_returns(restartable_nats):
    # Else the test below races the server: a thread still running may answer its write.
    for _ in range(20):
        restartable_nats.pause()
        try:
            states = thread_states(restartable_nats.pid)
            assert len(states) > 1 and set(states) <= {"T", "t"}, states
        finally:
            restartable_nats.resume()


def test_an_unanswered_write_is_reported_as_unknown_never_as_success(restartable_nats, stream_name):
    client = NatsClient(restartable_nats.url, timeout=0.5)
    recorder = NatsApplicationRecorder(client, stream_name)
    aggregate = uuid.uuid4()
    try:
        recorder.insert_events([event(aggregate, 1)])
        restartable_nats.pause()
        try:
            with pytest.raises(PublishOutcomeUnknown, match="may or may not have been stored"):
                recorder.insert_events([event(aggregate, 2)])
        finally:
            restartable_nats.resume()
    finally:
        client.close()


def test_the_recorder_reconnects_after_the_server_restarts(restartable_nats, stream_name):
    client = NatsClient(restartable_nats.url)
    recorder = NatsApplicationRecorder(client, stream_name)
    aggregate = uuid.uuid4()
    try:
        recorder.insert_events([event(aggregate, 1)])
        restartable_nats.stop()
        restartable_nats.start()
        recorder.insert_events([event(aggregate, 2)])
        assert [e.originator_version for e in recorder.select_events(aggregate)] == [1, 2]
    finally:
        client.close()
