"""The event log keeps its promise when a server dies: on a 3-node cluster with 3 replicas, writers keep
saving while the stream's leader is killed (SIGKILL), round after round. Writes resume on a new leader;
after the killed node returns and catches up, every acknowledged event is stored exactly once and in the
same order on every replica. A write whose acknowledgement was lost may be stored or not, never twice.

Each replica is read on its own: the cluster is stopped and each node's store is opened alone by a
standalone server, so what is compared is what each node wrote to its disk, not what the leader serves.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent

from adapters.nats import NatsFactory, PublishOutcomeUnknown

ROUNDS = 5
WRITERS = 4
STREAM = "REGIEKAART_EVENTS"
# Generous on purpose: this catches a cluster that does not recover, not a slow one. How long the
# recovery takes is reported (tests/benchmarks/RESULTS.md, "Cluster failover").
RESUME_BOUND_SECONDS = 30.0
_RETRY_PAUSE = 0.05


@dataclass
class Writer:
    """Saves events to an aggregate of its own, one or two at a time, until stopped."""

    urls: str
    aggregate: uuid.UUID = field(default_factory=uuid.uuid4)
    acknowledged: list[tuple[float, bytes]] = field(default_factory=list)
    unknown: list[bytes] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def run(self) -> None:
        factory = NatsFactory(
            {
                "NATS_URL": self.urls,
                "NATS_STREAM": STREAM,
                "NATS_REPLICAS": "3",
                "NATS_TIMEOUT": "2",
            }
        )
        try:
            recorder = factory.application_recorder()
            version = 0
            while not self.stop.is_set():
                size = 2 if len(self.acknowledged) % 5 == 4 else 1
                ids = [uuid.uuid4().hex.encode() for _ in range(size)]
                save = [
                    StoredEvent(self.aggregate, version + 1 + i, "failover", event_id)
                    for i, event_id in enumerate(ids)
                ]
                started = time.monotonic()
                try:
                    recorder.insert_events(save)
                except PublishOutcomeUnknown:
                    self.unknown.extend(ids)
                    version = self._last_version(recorder)
                    continue
                except IntegrityError:
                    # An earlier write whose acknowledgement was lost had been stored after all.
                    version = self._last_version(recorder)
                    continue
                except PersistenceError:
                    # No leader yet, for instance: nothing of this save was stored.
                    time.sleep(_RETRY_PAUSE)
                    continue
                self.acknowledged.extend((started, event_id) for event_id in ids)
                version += size
        except BaseException as error:  # noqa: BLE001 - reported by the test, not lost in a thread
            self.error = error
        finally:
            factory.close()

    def _last_version(self, recorder) -> int:  # type: ignore[no-untyped-def]
        while True:
            try:
                last = recorder.select_events(self.aggregate, desc=True, limit=1)
                return last[0].originator_version if last else 0
            except PersistenceError:
                time.sleep(_RETRY_PAUSE)

    def acknowledged_since(self, moment: float) -> bool:
        return any(started >= moment for started, _ in self.acknowledged[-50:])


def wait_until_every_writer_resumed(writers: list[Writer], killed_at: float) -> float:
    deadline = killed_at + RESUME_BOUND_SECONDS
    while not all(w.acknowledged_since(killed_at) for w in writers):
        assert time.monotonic() < deadline, (
            "writes did not resume after the stream leader was killed"
        )
        assert not any(w.error for w in writers), [w.error for w in writers]
        time.sleep(0.01)
    return time.monotonic() - killed_at


@pytest.mark.slow
def test_every_acknowledged_event_survives_leader_kills_exactly_once_on_every_replica(
    nats_cluster,
):
    writers = [Writer(nats_cluster.urls) for _ in range(WRITERS)]
    threads = [threading.Thread(target=w.run, name=f"writer-{i}") for i, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    resumed_after: list[float] = []
    elected_after: list[float | None] = []
    caught_up_after: list[float] = []
    try:
        for _ in range(ROUNDS):
            wait_until_every_writer_resumed(writers, time.monotonic())
            time.sleep(0.3)
            leader = nats_cluster.stream_leader(STREAM)
            killed_at, killed_at_wall_clock = time.monotonic(), time.time()
            nats_cluster.kill(leader)
            resumed_after.append(wait_until_every_writer_resumed(writers, killed_at))
            elected = nats_cluster.leader_elected_at(STREAM, after=killed_at_wall_clock)
            elected_after.append(None if elected is None else elected - killed_at_wall_clock)
            restarted_at = time.monotonic()
            nats_cluster.restart(leader)
            nats_cluster.wait_until_current(STREAM)
            caught_up_after.append(time.monotonic() - restarted_at)
    finally:
        for writer in writers:
            writer.stop.set()
        for thread in threads:
            thread.join(30)
    assert not any(w.error for w in writers), [w.error for w in writers]

    nats_cluster.wait_until_current(STREAM)
    states = [nats_cluster.replica_state(node, STREAM) for node in range(3)]
    assert len({(s["first_seq"], s["last_seq"], s["messages"]) for s in states}) == 1, states
    nats_cluster.stop()
    replicas = [nats_cluster.read_replica(node, STREAM) for node in range(3)]
    assert replicas[0] == replicas[1] == replicas[2], "the replicas hold different logs"

    stored = Counter(event_id for _, event_id in replicas[0])
    acknowledged = [event_id for w in writers for _, event_id in w.acknowledged]
    unknown = {event_id for w in writers for event_id in w.unknown}
    assert [i for i in acknowledged if stored[i] != 1] == [], "acknowledged, but not stored once"
    assert [i for i in unknown if stored[i] > 1] == [], "an unacknowledged write stored twice"
    assert set(stored) <= set(acknowledged) | unknown, "stored events nobody wrote"
    position = {event_id: sequence for sequence, event_id in replicas[0]}
    for writer in writers:
        sequences = [position[event_id] for _, event_id in writer.acknowledged]
        assert sequences == sorted(sequences), "acknowledged saves stored out of order"

    print(
        f"\ncluster failover: {ROUNDS} leader kills, {len(acknowledged)} events acknowledged, "
        f"{len(unknown)} with unknown outcome ({sum(stored[i] for i in unknown)} of them stored); "
        f"writes resumed after {', '.join(f'{s:.1f}' for s in resumed_after)} s "
        f"(a new leader elected after {', '.join(f'{s:.1f}' if s else '?' for s in elected_after)} s); "
        f"restarted node current after {', '.join(f'{s:.1f}' for s in caught_up_after)} s"
    )
