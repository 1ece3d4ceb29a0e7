"""A live subscription to the log hands on each new event as soon as the stream holds it, also when its
wake-up (a core NATS copy of the message) came before JetStream had stored the message."""

from __future__ import annotations

import threading
import uuid

from eventsourcing.persistence import StoredEvent

from adapters.nats import NatsApplicationRecorder, log_reading
from adapters.nats.client import NatsClient


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
