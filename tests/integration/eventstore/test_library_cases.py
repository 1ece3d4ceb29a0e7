"""The eventsourcing library's own recorder test cases, run against our JetStream module."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import TrackingRecorder
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment

from adapters.nats import (
    NatsAggregateRecorder,
    NatsApplicationRecorder,
    NatsFactory,
    NatsProcessRecorder,
    NatsTrackingRecorder,
)
from adapters.nats.client import NatsClient


class NatsRecorderFixture:
    """Gives each test a client on the session's server and a fresh stream name."""

    @pytest.fixture(autouse=True)
    def _nats(self, nats_server):
        self.client = NatsClient(nats_server.url)
        self.stream = f"T{uuid.uuid4().hex[:12].upper()}"
        yield
        self.client.close()


class TestAggregateRecorder(NatsRecorderFixture, AggregateRecorderTestCase):
    def create_recorder(self) -> NatsAggregateRecorder:
        return NatsAggregateRecorder(self.client, self.stream)


class TestApplicationRecorder(NatsRecorderFixture, ApplicationRecorderTestCase):
    def create_recorder(self) -> NatsApplicationRecorder:
        return NatsApplicationRecorder(self.client, self.stream)

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_concurrent_no_conflicts(self) -> None:
        super().test_concurrent_no_conflicts()


class TestNonInterleavingNotificationIDs(
    NatsRecorderFixture, NonInterleavingNotificationIDsBaseCase
):
    def create_recorder(self) -> NatsApplicationRecorder:
        return NatsApplicationRecorder(self.client, self.stream)


class TestTrackingRecorder(NatsRecorderFixture, TrackingRecorderTestCase):
    def create_recorder(self) -> NatsTrackingRecorder:
        return NatsTrackingRecorder(self.client, self.stream)


class TestProcessRecorder(NatsRecorderFixture, ProcessRecorderTestCase):
    def create_recorder(self) -> NatsProcessRecorder:
        return NatsProcessRecorder(self.client, self.stream)


class _CustomTrackingRecorder(NatsTrackingRecorder):
    pass


class TestInfrastructureFactory(InfrastructureFactoryTestCase[NatsFactory]):
    @pytest.fixture(autouse=True)
    def _env(self, nats_server):
        type(self).env = Environment(
            "TestCase",
            {
                "PERSISTENCE_MODULE": "adapters.nats",
                "NATS_URL": nats_server.url,
                "NATS_STREAM": f"T{uuid.uuid4().hex[:12].upper()}",
            },
        )

    def expected_factory_class(self) -> type[NatsFactory]:
        return NatsFactory

    def expected_aggregate_recorder_class(self) -> type[NatsAggregateRecorder]:
        return NatsAggregateRecorder

    def expected_application_recorder_class(self) -> type[NatsApplicationRecorder]:
        return NatsApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return NatsTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return _CustomTrackingRecorder

    def expected_process_recorder_class(self) -> type[NatsProcessRecorder]:
        return NatsProcessRecorder
