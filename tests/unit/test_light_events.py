"""Light events: the replay worker describes an event from the attributes its history row reads,
without the domain event, and the row is the domain event's."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import MapperDeserialisationError, Notification
from eventsourcing.utils import Environment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.codec import MsgspecMapper
from domain.agreements import AgreementAggregate
from domain.events import EVENT_CLASSES
from projections.handlers import FACT_TOPICS
from projections.history import POSTGRESQL_ROWS, SQLITE_ROWS, History, history_of
from projections.light_events import LightEvents, light_event_class
from projections.worker import Range, _decoder, _Reader
from tests.unit.strategies import events_of

PLAIN = MsgspecMapper()
CIPHERED_AND_COMPRESSED = MsgspecMapper(
    compressor=ZlibCompressor(),
    cipher=AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(16)})),
)


def notification(mapper: MsgspecMapper, event: Any, position: int = 7) -> Notification:
    stored = mapper.to_stored_event(event)
    return Notification(id=position, **vars(stored))


def rows(history: History) -> tuple[Any, ...]:
    # Links are a set per event: their order is not part of the rows.
    return history.events, sorted(history.subjects), history.corrections


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__qualname__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_a_light_event_has_the_history_rows_of_its_domain_event(
    event_class: type, data: st.DataObject
) -> None:
    event = data.draw(events_of(event_class))
    for mapper in (PLAIN, CIPHERED_AND_COMPRESSED):
        light = LightEvents(mapper)(notification(mapper, event))
        # A correction is its domain event (``describe`` tells it by its class).
        assert type(light) is (light_event_class(event_class) or event_class)
        for form in (SQLITE_ROWS, POSTGRESQL_ROWS):
            assert rows(history_of([(7, light)], form)) == rows(history_of([(7, event)], form))


def test_a_light_event_holds_only_what_its_history_row_reads() -> None:
    light = light_event_class(AgreementAggregate.MilestoneRecorded)
    assert light is not None and light.__qualname__ == "AgreementAggregate.MilestoneRecorded"
    assert "milestone" not in light.__struct_fields__  # neither described nor naming anything
    assert {"agreement", "owner", "authority", "valid_from"} <= set(light.__struct_fields__)


def test_undecodable_state_names_the_event() -> None:
    broken = Notification(
        id=3,
        originator_id="x",
        originator_version=2,
        topic="domain.agreements:AgreementAggregate.MilestoneRecorded",
        state=b'{"agreement": 5}',
    )
    with pytest.raises(MapperDeserialisationError, match=r"MilestoneRecorded.*'x'"):
        LightEvents(PLAIN)(broken)


class _CountingMapper(MsgspecMapper):
    def __init__(self) -> None:
        super().__init__()
        self.domain_events = 0

    def to_domain_event(self, stored_event: Any) -> Any:
        self.domain_events += 1
        return super().to_domain_event(stored_event)


class _Log:
    """A log of ``events`` whose mapper counts the domain events it makes."""

    def __init__(self, events: list[Any]) -> None:
        self.mapper = _CountingMapper()
        self.recorder = self
        self.notifications = [notification(self.mapper, e, i) for i, e in enumerate(events, 1)]

    def select_notifications(self, start: int, limit: int, **_: Any) -> list[Notification]:
        return self.notifications[start : start + limit]


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_the_worker_makes_no_domain_event_of_an_event_that_changes_no_facts(
    data: st.DataObject,
) -> None:
    others = [c for c in EVENT_CLASSES if f"{c.__module__}:{c.__qualname__}" not in FACT_TOPICS]
    assert others
    log = _Log([data.draw(events_of(c)) for c in others])
    reader = _Reader(lambda env: log, {}, True, frozenset(FACT_TOPICS), 0, len(others))
    described = _decoder.decode(reader.next_range(len(others)))
    assert isinstance(described, Range) and len(described.history.events) == len(others)
    assert log.mapper.domain_events == 0
