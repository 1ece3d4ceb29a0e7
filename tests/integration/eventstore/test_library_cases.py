"""The eventsourcing library's own recorder test cases, run against our JetStream module.

Our notification ids increase in commit order but are not contiguous (stream sequence * 1000 + index,
see adapters.nats.recorders). The library's cases allow for that (EXPECT_CONTIGUOUS_NOTIFICATION_IDS),
except `test_insert_select`, which spells out the ids 1, 2 and 3: it is replaced here by the same checks
over the ids the recorder returned.
"""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, TrackingRecorder
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
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False

    def create_recorder(self) -> NatsApplicationRecorder:
        return NatsApplicationRecorder(self.client, self.stream)

    def test_insert_select(self) -> None:
        recorder = self.create_recorder()
        assert recorder.select_notifications(start=None, limit=3) == []
        assert recorder.select_notifications(start=None, limit=3, topics=["topic1"]) == []
        assert recorder.max_notification_id() is None

        first, second = uuid.uuid4(), uuid.uuid4()
        event3 = StoredEvent(second, 1, "topic3", b"state3")
        id1, id2 = recorder.insert_events(
            [StoredEvent(first, 1, "topic1", b"state1"), StoredEvent(first, 2, "topic2", b"state2")]
        )
        (id3,) = recorder.insert_events([event3])
        assert id1 < id2 < id3
        assert len(recorder.select_events(first)) == 2
        assert len(recorder.select_events(second)) == 1
        with pytest.raises(IntegrityError):
            recorder.insert_events([event3])
        assert recorder.max_notification_id() == id3

        one = (id1, first, "topic1", b"state1")
        two = (id2, first, "topic2", b"state2")
        three = (id3, second, "topic3", b"state3")
        cases = [
            ((None, 10), {}, [one, two, three]),
            ((id1, 10), {}, [one, two, three]),
            ((None, 10), {"stop": id2}, [one, two]),
            ((id1, 10), {"inclusive_of_start": False}, [two, three]),
            ((id2, 10), {"inclusive_of_start": False}, [three]),
            ((None, 10), {"topics": ["topic1", "topic2", "topic3"]}, [one, two, three]),
            ((id1, 10), {"topics": ["topic1"]}, [one]),
            ((id1, 3), {"topics": ["topic2"]}, [two]),
            ((id1, 3), {"topics": ["topic3"]}, [three]),
            ((id1, 3), {"topics": ["topic1", "topic3"]}, [one, three]),
            ((None, 1), {}, [one]),
            ((id2, 1), {}, [two]),
            ((id1, 1), {"inclusive_of_start": False}, [two]),
            ((id2, 2), {}, [two, three]),
            ((id3, 1), {}, [three]),
            ((id3, 1), {"inclusive_of_start": False}, []),
            ((id2, 10), {"stop": id2}, [two]),
            ((id1, 10), {"stop": id2}, [one, two]),
            ((id1, 10), {"stop": id2, "inclusive_of_start": False}, [two]),
            # Positions that are no notification id: between ids, and after the last.
            ((id1 + 1, 10), {}, [two, three]),
            ((None, 10), {"stop": id3 - 1}, [one, two]),
            ((id3 + 1, 10), {}, []),
        ]
        for args, kwargs, expected in cases:
            selected = [
                (n.id, n.originator_id, n.topic, n.state)
                for n in recorder.select_notifications(*args, **kwargs)
            ]
            assert selected == expected, (args, kwargs)

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
