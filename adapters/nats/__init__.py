"""The eventsourcing persistence module on NATS JetStream.

Select it the library's way: ``PERSISTENCE_MODULE=adapters.nats``, with

- ``NATS_URL``: the server or cluster (default ``nats://127.0.0.1:4222``; several URLs comma-separated);
- ``NATS_STREAM``: the event stream's name (default ``REGIEKAART_EVENTS``); snapshots go to
  ``<NATS_STREAM>_SNAPSHOTS``;
- ``NATS_REPLICAS``: stream replicas (1 on a single node, 3 on a cluster);
- ``NATS_TIMEOUT``: seconds to wait for an acknowledgement before a write's outcome counts as unknown;
- ``NATS_SIGNING_KEY_FILE``: the key that seals every event message written (``adapters.seal``),
  created there if missing; without it messages go unsealed.

As with the library's own modules, each may be prefixed with the application's name.
"""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment, EnvType, resolve_topic

from adapters.nats.client import NatsClient
from adapters.nats.recorders import (
    MutableEventLog,
    NatsAggregateRecorder,
    NatsApplicationRecorder,
    NatsProcessRecorder,
    NatsTrackingRecorder,
    PublishOutcomeUnknown,
)
from adapters.seal import Sealer, load_signing_key

__all__ = [
    "NatsAggregateRecorder",
    "NatsApplicationRecorder",
    "NatsFactory",
    "NatsProcessRecorder",
    "NatsTrackingRecorder",
    "PublishOutcomeUnknown",
]


class NatsFactory(InfrastructureFactory[TrackingRecorder]):
    NATS_URL = "NATS_URL"
    NATS_STREAM = "NATS_STREAM"
    NATS_REPLICAS = "NATS_REPLICAS"
    NATS_TIMEOUT = "NATS_TIMEOUT"
    NATS_SIGNING_KEY_FILE = "NATS_SIGNING_KEY_FILE"

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        self.stream = self.env.get(self.NATS_STREAM) or "REGIEKAART_EVENTS"
        self.replicas = int(self.env.get(self.NATS_REPLICAS) or 1)
        # Connected before the signing key is loaded: a server that is not there then leaves no
        # new key behind (``load_signing_key`` makes one on first use).
        self.client = NatsClient(
            self.env.get(self.NATS_URL) or "nats://127.0.0.1:4222",
            timeout=float(self.env.get(self.NATS_TIMEOUT) or 5.0),
        )
        key_file = self.env.get(self.NATS_SIGNING_KEY_FILE)
        self.sealer = Sealer(load_signing_key(Path(key_file))) if key_file else None

    def aggregate_recorder(self, purpose: str = "events") -> NatsAggregateRecorder:
        stream = self.stream if purpose == "events" else f"{self.stream}_{purpose.upper()}"
        # Snapshots are not part of the log: only the event stream's messages are sealed.
        sealer = self.sealer if purpose == "events" else None
        return NatsAggregateRecorder(self.client, stream, self.replicas, sealer)

    def application_recorder(self) -> NatsApplicationRecorder:
        try:
            return NatsApplicationRecorder(self.client, self.stream, self.replicas, self.sealer)
        except MutableEventLog:
            # No application is made, so nothing else closes the connection; left to the garbage
            # collector, it may be closed from its own loop's thread, which cannot be done.
            self.close()
            raise

    def tracking_recorder(
        self, tracking_recorder_class: type[TrackingRecorder] | None = None
    ) -> TrackingRecorder:
        topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
        cls = tracking_recorder_class or (resolve_topic(topic) if topic else NatsTrackingRecorder)
        return cls(self.client, self.stream, self.replicas, self.sealer)  # type: ignore[call-arg]

    def process_recorder(self) -> NatsProcessRecorder:
        return NatsProcessRecorder(self.client, self.stream, self.replicas, self.sealer)

    def close(self) -> None:
        self.client.close()
