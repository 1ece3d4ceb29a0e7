"""A correction on a real nats-server reaches the feeds that carried the fact it corrects, and no other:
not a region that joined the cooperation after the fact, nor one the municipality it names had left.
A corrected membership brings the region nothing more of the municipality's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from domain.agreements import AgreementAggregate
from domain.dates import PartialDate
from domain.registry import Cooperation, Municipality
from domain.values import CooperationKind
from projections.feeds import FeedProjection
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.corrections import correct, host
from tests.integration.region_systems import feed_contents

D = PartialDate.parse
WHO = {"principal": "test", "authority": EXTERNAL}


class FanOut:
    """An application on the NATS log whose events a feed projection fans out to feeds of its own."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.app = GovernanceApplication(env=env)
        self.layout = FeedLayout(
            stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
        )
        publisher = FeedPublisher(NatsClient(url), self.layout)
        self.projection = FeedProjection(self.app, publisher).start()

    def feeds(self) -> dict[str, list[int]]:
        """Every feed's log positions, once the projection has fanned out everything recorded."""
        assert self.projection.wait_for(self.app.recorder.max_notification_id(), timeout=60)
        return feed_contents(self.url, self.layout)


@pytest.fixture
def fan_out(nats_server, nats_env) -> Iterator[FanOut]:
    running = FanOut(nats_server.url, nats_env)
    yield running
    running.projection.stop()
    running.projection.publisher.client.close()
    running.app.close()


def recorded(app: GovernanceApplication, event_class: type) -> tuple[int, Any]:
    """The log position and event of the last ``event_class`` event recorded."""
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    return [
        (n.id, event)
        for n in notifications
        if isinstance(event := app.mapper.to_domain_event(n), event_class)
    ][-1]


def carrying(feeds: dict[str, list[int]], position: int) -> set[str]:
    return {region for region, positions in feeds.items() if position in positions}


def test_a_correction_reaches_only_the_feeds_that_carried_the_corrected_fact(fan_out) -> None:
    app = fan_out.app
    for region in ("noord", "zuid", "oost"):
        app.handle(c.RegisterRegion(region=region, name=region.title(), **WHO))
    app.handle(c.RegisterMunicipality(municipality="aa", name="Aa", **WHO))
    app.handle(
        c.StartMembership(municipality="aa", region="noord", valid_until=D("2019-12-31"), **WHO)
    )
    app.handle(
        c.StartMembership(
            municipality="aa", region="zuid", membership_id="zuid:aa", valid_from=D("2020"), **WHO
        )
    )
    app.handle(
        c.RegisterCooperation(
            cooperation="samen", name="Samen", cooperation_kind=CooperationKind.NETWERK, **WHO
        )
    )
    for region in ("noord", "zuid"):
        app.handle(c.AdmitRegionToCooperation(cooperation="samen", region=region, **WHO))
    app.handle(
        c.RegisterOrganisation(
            organisation="zorg", name="Zorg", organisation_kind="aanbieder", **WHO
        )
    )
    app.handle(
        c.InvolveOrganisationInCooperation(
            cooperation="samen", organisation="zorg", valid_from=D("2021-01-01"), **WHO
        )
    )
    hosted_at = host(app, "aa", "2022")  # in 2022, when aa belonged to zuid only
    # Oost joins after the organisation was involved.
    app.handle(
        c.AdmitRegionToCooperation(
            cooperation="samen", region="oost", valid_from=D("2024-01-01"), **WHO
        )
    )
    involved_at, involved = recorded(app, Cooperation.OrganisationInvolved)
    involvement_corrected = correct(app, involved)
    hosting_corrected = correct(app, recorded(app, AgreementAggregate.Created)[1])

    feeds = fan_out.feeds()
    assert carrying(feeds, involved_at) == {"noord", "zuid"}
    assert carrying(feeds, hosted_at) == {"zuid"}
    assert carrying(feeds, involvement_corrected) == {"noord", "zuid"}
    assert carrying(feeds, hosting_corrected) == {"zuid"}
    assert "oost" in feeds and involvement_corrected not in feeds["oost"]


def test_a_corrected_membership_brings_the_region_no_more_of_the_municipalitys_news(
    fan_out,
) -> None:
    app = fan_out.app
    for region in ("noord", "zuid"):
        app.handle(c.RegisterRegion(region=region, name=region.title(), **WHO))
    app.handle(c.RegisterMunicipality(municipality="aa", name="Aa", **WHO))
    app.handle(c.StartMembership(municipality="aa", region="noord", **WHO))
    corrected_at = correct(app, recorded(app, Municipality.MembershipStarted)[1])
    app.handle(c.StartMembership(municipality="aa", region="zuid", membership_id="zuid:aa", **WHO))
    hosted_at = host(app, "aa", "2022")

    feeds = fan_out.feeds()
    assert carrying(feeds, corrected_at) == {"noord"}
    # aa was never in noord, the record now says: its agreements are none of noord's business.
    assert carrying(feeds, hosted_at) == {"zuid"}
