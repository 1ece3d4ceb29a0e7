from __future__ import annotations

import dataclasses
from decimal import Decimal
from uuid import uuid4

import msgspec
import pytest
from eventsourcing.domain import DomainEvent, event
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.codec import MsgspecMapper, MsgspecTranscoder
from domain.base import GovernanceAggregate, decision, fact_fields
from domain.events import EVENT_CLASSES, describe
from domain.registry import Municipality
from domain.values import UNKNOWN_DATE, Attribution, PartialDate, SubjectKind, ValidPeriod
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.unit.strategies import events_of

mapper = MsgspecMapper()


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_every_event_class_above_version_1_upcasts_each_older_version(event_class: type) -> None:
    """What stored events need: a step from each older version (a field added with a default needs
    none; ``test_a_field_added_with_a_default_loads_from_events_stored_without_it``)."""
    for version in range(1, event_class.class_version):
        assert callable(getattr(event_class, f"upcast_v{version}_v{version + 1}", None)), version


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__qualname__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_event_class_round_trips_typed(event_class: type, data: st.DataObject) -> None:
    event = data.draw(events_of(event_class))
    stored = mapper.to_stored_event(event)
    decoded = mapper.to_domain_event(stored)
    assert type(decoded) is event_class
    assert decoded == event
    for name, value in vars(event).items():
        assert type(getattr(decoded, name)) is type(value), name
    assert describe(decoded) == describe(event)
    assert describe(event).event_name == event_class.__name__


def a_municipality(slug: str, name: str) -> Municipality:
    """A municipality registered from 2022 on, its end unknown."""
    return Municipality(
        municipality=slug,
        name=name,
        source_spelling=None,
        notes=None,
        valid_from=PartialDate.parse("2022-01-01"),
        valid_until=UNKNOWN_DATE,
        **Attribution(principal="test").event_fields(),
    )


def test_uuid_date_and_decimal_come_back_as_their_types() -> None:
    municipality = a_municipality("dijk-en-waard", "Dijk en Waard")
    municipality.correct(version=1, reason="test", attribution=Attribution(principal="test"))
    for recorded in municipality.collect_events():
        decoded = mapper.to_domain_event(mapper.to_stored_event(recorded))
        assert decoded == recorded
    assert isinstance(decoded.corrects_id, type(municipality.id))
    assert decoded.valid_from == ValidPeriod().valid_from


def test_the_application_uses_the_msgspec_codec_not_the_json_transcoder(
    app: GovernanceApplication,
) -> None:
    assert isinstance(app.mapper, MsgspecMapper)
    assert isinstance(app.mapper.transcoder, MsgspecTranscoder)


class NoteRecorded(DomainEvent):
    """Version 2 of an event whose attribute 'notes' became 'remarks'."""

    remarks: str | None
    when: PartialDate
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict) -> None:
        state["remarks"] = state.pop("notes")


def test_an_older_stored_event_is_upcast_then_decoded_typed() -> None:
    v1_state = (
        b'{"timestamp":"2024-01-02T03:04:05+00:00","notes":"medio 2018",'
        b'"when":{"value":"2018-01-01","precision":"year"}}'
    )
    stored = StoredEvent(uuid4(), 1, f"{__name__}:NoteRecorded", v1_state)
    decoded = mapper.to_domain_event(stored)
    assert decoded.remarks == "medio 2018"
    assert decoded.when == PartialDate.parse("2018")
    assert not hasattr(decoded, "notes")
    # A current event stores its class_version and takes the typed path back.
    again = mapper.to_domain_event(mapper.to_stored_event(decoded))
    assert b'"class_version":2' in mapper.to_stored_event(decoded).state
    assert again == decoded


class Remark(GovernanceAggregate):
    """Test-only: both events gained ``toelichting`` with a default after events were stored."""

    kind = SubjectKind.SOURCE
    slug_attribute = "remark"

    @event("Made")
    @decision
    def __init__(self, remark: str, text: str, toelichting: str | None = None) -> None:
        self.remark, self.text, self.toelichting = remark, text, toelichting

    @event("Amended")
    @decision
    def amend(self, text: str, toelichting: str | None = "(geen)") -> None:
        self.text, self.toelichting = text, toelichting


def test_a_field_added_with_a_default_loads_from_events_stored_without_it() -> None:
    fields = fact_fields(ValidPeriod(), Attribution(principal="test"))
    remark = Remark(remark="r", text="eerste", toelichting="nieuw", **fields)
    remark.amend(text="tweede", **fields)
    events = remark.collect_events()
    assert events[1].toelichting == "(geen)"
    before_the_field = []
    for stored in map(mapper.to_stored_event, events):
        state = msgspec.json.decode(stored.state)
        del state["toelichting"]
        before_the_field.append(dataclasses.replace(stored, state=msgspec.json.encode(state)))
    made, amended = map(mapper.to_domain_event, before_the_field)
    assert made.toelichting is None
    assert amended.toelichting == "(geen)"
    assert (made.text, amended.text, amended.valid_from) == ("eerste", "tweede", UNKNOWN_DATE)
    loaded = amended.mutate(made.mutate(None))
    assert (loaded.text, loaded.toelichting) == ("tweede", "(geen)")


def test_undecodable_state_names_the_event() -> None:
    stored = StoredEvent(
        uuid4(), 3, "domain.registry:Municipality.MembershipStarted", b'{"region": 1}'
    )
    with pytest.raises(MapperDeserialisationError, match="originator_version 3"):
        mapper.to_domain_event(stored)


def test_decimal_is_exact() -> None:
    assert msgspec.json.decode(MsgspecTranscoder().encode(Decimal("9.5")), type=Decimal) == Decimal(
        "9.5"
    )


def test_an_event_recorded_before_authorities_were_required_still_loads() -> None:
    """Today's logs hold authorities of the old shape (no kind; body, date, document each optional):
    they load as they were stored, never rewritten, with ``kind`` None."""
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.handle(
        c.RegisterMunicipality(
            municipality="venlo", name="Venlo", principal="importer:x", authority=EXTERNAL
        )
    )
    stored = app.recorder.select_notifications(start=1, limit=1)[0]
    state = msgspec.json.decode(stored.state)
    state["authority"] = {
        "body": None,
        "decision_date": {"value": None, "precision": "unknown"},
        "document": "gemeenten-2026: Gemeentelijke indeling 2026",
    }
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=msgspec.json.encode(state),
    )
    event = MsgspecMapper().to_domain_event(old)
    assert event.authority.kind is None
    assert event.authority.body is None
    assert event.authority.document == "gemeenten-2026: Gemeentelijke indeling 2026"
    assert event.municipality == "venlo"


@pytest.mark.parametrize(
    "bad_date",
    [
        {"value": "2017-12-15", "precision": "month"},
        {"value": "2017-12-01", "precision": "year"},
        {"value": "2017-12-01", "precision": "unknown"},
        {"value": None, "precision": "day"},
    ],
)
def test_a_date_its_precision_does_not_allow_fails_to_load_from_the_log(bad_date: dict) -> None:
    """Dates decoded from the log are checked as dates made in the domain are."""
    municipality = a_municipality("venlo", "Venlo")
    stored = mapper.to_stored_event(municipality.collect_events()[0])
    assert mapper.to_domain_event(stored).valid_from == PartialDate.parse("2022-01-01")
    state = msgspec.json.decode(stored.state)
    state["valid_from"] = bad_date
    bad = dataclasses.replace(stored, state=msgspec.json.encode(state))
    with pytest.raises(MapperDeserialisationError, match="originator_version 1"):
        mapper.to_domain_event(bad)
