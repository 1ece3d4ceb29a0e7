"""The five fields every decision carries are declared once (``domain.base.decision``); each event class
still lists them last, in one order, so its stored form is what it was when every method listed them."""

from __future__ import annotations

import dataclasses

import pytest

from domain.events import EVENT_CLASSES
from domain.registry import Municipality
from domain.values import PartialDate, ValidPeriod
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL

# As every @event method listed them before ``decision`` declared them once: the stored order.
DECISION_NAMES = ["valid_from", "valid_until", "authority", "principal", "provenance"]


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda e: e.__qualname__)
def test_every_event_class_ends_with_the_decision_fields_in_order(event_class: type) -> None:
    names = [f.name for f in dataclasses.fields(event_class)]
    assert names[-len(DECISION_NAMES) :] == DECISION_NAMES
    assert names.count("valid_from") == 1


def test_an_event_method_receives_the_decision_fields_it_names() -> None:
    app = GovernanceApplication()
    for command in (
        c.RegisterMunicipality(principal="test", authority=EXTERNAL, municipality="m", name="M"),
        c.RegisterRegion(principal="test", authority=EXTERNAL, region="r", name="R"),
    ):
        app.handle(command)
    app.handle(
        c.StartMembership(
            principal="test",
            authority=EXTERNAL,
            municipality="m",
            region="r",
            valid_from=PartialDate.parse("2020"),
        )
    )
    municipality = app.get(Municipality, "m")
    started = municipality.history()[-1]
    assert isinstance(started, Municipality.MembershipStarted)
    assert started.principal == "test" and started.authority == EXTERNAL
    # _membership_started names valid_from and valid_until, and keeps them in the membership.
    assert municipality.memberships["r:m"].period == ValidPeriod(PartialDate.parse("2020"))
