"""A correction on a real nats-server reaches the feeds that carried the fact it corrects, and no other:
not a region that joined the cooperation after the fact, nor one the municipality it names had left."""

from __future__ import annotations

import uuid
from typing import Any

from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from domain.agreements import AgreementAggregate
from domain.dates import PartialDate
from domain.registry import Cooperation
from domain.values import AgreementKind, CooperationKind
from projections.feeds import FeedProjection
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.integration.region_systems import feed_contents

D = PartialDate.parse
WHO = {"principal": "test", "authority": EXTERNAL}


def recorded(app: GovernanceApplication, event_class: type) -> tuple[int, Any]:
    """The log position and event of the last ``event_class`` event recorded."""
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    return [
        (n.id, event)
        for n in notifications
        if isinstance(event := app.mapper.to_domain_event(n), event_class)
    ][-1]


def correct(app: GovernanceApplication, event: Any) -> int:
    """Corrects ``event``; answers the correction's log position."""
    app.handle(
        c.CorrectFact(
            aggregate_id=event.originator_id,
            version=event.originator_version,
            reason="wrongly recorded",
            principal="test",
        )
    )
    return app.recorder.max_notification_id()


def test_a_correction_reaches_only_the_feeds_that_carried_the_corrected_fact(
    nats_server, nats_env
) -> None:
    app = GovernanceApplication(env=nats_env)
    layout = FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )
    projection = FeedProjection(app, FeedPublisher(NatsClient(nats_server.url), layout)).start()
    try:
        for region in ("noord", "zuid", "oost"):
            app.handle(c.RegisterRegion(region=region, name=region.title(), **WHO))
        app.handle(c.RegisterMunicipality(municipality="aa", name="Aa", **WHO))
        app.handle(
            c.StartMembership(municipality="aa", region="noord", valid_until=D("2019-12-31"), **WHO)
        )
        app.handle(
            c.StartMembership(
                municipality="aa",
                region="zuid",
                membership_id="zuid:aa",
                valid_from=D("2020"),
                **WHO,
            )
        )
        app.handle(
            c.RegisterCooperation(
                cooperation="samen",
                name="Samen",
                cooperation_kind=CooperationKind.NETWERK,
                **WHO,
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
        # Hosted by aa in 2022, when aa belonged to zuid only.
        app.handle(
            c.RecordAgreement(
                agreement="host",
                agreement_kind=AgreementKind.SAMENWERKINGSREGELING,
                terms=c.AgreementTerms(host_municipality="aa"),
                valid_from=D("2022"),
                **WHO,
            )
        )
        # Oost joins after the organisation was involved.
        app.handle(
            c.AdmitRegionToCooperation(
                cooperation="samen", region="oost", valid_from=D("2024-01-01"), **WHO
            )
        )
        involved_at, involved = recorded(app, Cooperation.OrganisationInvolved)
        hosted_at, hosted = recorded(app, AgreementAggregate.Created)
        involvement_corrected = correct(app, involved)
        hosting_corrected = correct(app, hosted)
        assert projection.wait_for(hosting_corrected, timeout=60)

        feeds = feed_contents(nats_server.url, layout)
    finally:
        projection.stop()
        projection.publisher.client.close()
        app.close()
    carried_involvement = {
        region for region, positions in feeds.items() if involved_at in positions
    }
    carried_hosting = {region for region, positions in feeds.items() if hosted_at in positions}
    assert carried_involvement == {"noord", "zuid"}
    assert carried_hosting == {"zuid"}
    assert {r for r, p in feeds.items() if involvement_corrected in p} == carried_involvement
    assert {r for r, p in feeds.items() if hosting_corrected in p} == carried_hosting
    assert "oost" in feeds and involvement_corrected not in feeds["oost"]
