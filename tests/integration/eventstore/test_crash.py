"""Acknowledged means stored: nats-server is killed (SIGKILL) in the middle of a stream of saves and
restarted from the same data directory; every acknowledged save must be read back intact, in order,
and once. A writer ends only on the stop or on an error that a dying server explains (no answer, no
server); any other error is collected and fails the test in the main thread."""

from __future__ import annotations

import random
import threading
import time
import traceback
import uuid
from collections import Counter

from eventsourcing.persistence import OperationalError, StoredEvent

from adapters.nats import NatsApplicationRecorder
from adapters.nats.client import NatsClient
from adapters.nats.recorders import PublishOutcomeUnknown

ROUNDS = 20
# What a save may raise when the server is killed under it: it was not reachable, or its
# acknowledgement never came. Anything else (an integrity error, a bug) is a failure of the test.
SERVER_GONE = (OperationalError, PublishOutcomeUnknown)


def test_acknowledged_saves_survive_a_server_kill(restartable_nats, stream_name):
    server = restartable_nats
    aggregates = [uuid.uuid4() for _ in range(3)]
    versions = dict.fromkeys(aggregates, 0)
    acknowledged: list[StoredEvent] = []
    unexpected: list[str] = []
    rng = random.Random(20261124)

    for _ in range(ROUNDS):
        client = NatsClient(server.url, timeout=1.0)
        recorder = NatsApplicationRecorder(client, stream_name)
        stop = threading.Event()

        def write() -> None:
            while not stop.is_set():
                aggregate = rng.choice(aggregates)
                size = rng.choice([1, 1, 3])
                first = versions[aggregate] + 1
                save = [
                    StoredEvent(aggregate, v, "crash-test", f"{aggregate}:{v}".encode())
                    for v in range(first, first + size)
                ]
                try:
                    recorder.insert_events(save)
                except SERVER_GONE:
                    # Outcome unknown or server gone: the next round reads back what is there.
                    return
                except BaseException:  # noqa: BLE001 - handed to the main thread, which fails on it
                    unexpected.append(traceback.format_exc())
                    return
                versions[aggregate] += size
                acknowledged.extend(save)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(rng.uniform(0.05, 0.25))
        server.kill()
        stop.set()
        writer.join()
        client.close()
        server.start()

        client = NatsClient(server.url)
        reader = NatsApplicationRecorder(client, stream_name)
        stored = reader.select_notifications(start=None, limit=1_000_000)
        client.close()
        failures = "\n".join(unexpected)
        assert not unexpected, f"a writer failed otherwise than by the kill:\n{failures}"
        times = Counter((n.originator_id, n.originator_version) for n in stored)
        repeated = [key for key, count in times.items() if count > 1]
        assert not repeated, f"events stored more than once: {repeated[:5]}"
        position = {(n.originator_id, n.originator_version): n for n in stored}
        for saved in acknowledged:
            found = position[(saved.originator_id, saved.originator_version)]
            assert (found.topic, found.state) == (saved.topic, saved.state)
        ids = [position[(s.originator_id, s.originator_version)].id for s in acknowledged]
        assert ids == sorted(ids), (
            "acknowledged saves must be read back in the order they were made"
        )
        # A save whose acknowledgement was lost may have been stored: continue after what is there.
        for aggregate in aggregates:
            versions[aggregate] = max(
                [n.originator_version for n in stored if n.originator_id == aggregate], default=0
            )
    assert len(acknowledged) > ROUNDS
