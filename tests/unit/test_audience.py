"""The rule "which regions an event concerns", on the in-memory application."""

from __future__ import annotations

from typing import Any

import pytest

from domain.agreements import AccountHoldership, AgreementAggregate
from domain.audience import Audience
from domain.base import GovernanceAggregate
from domain.registry import Cooperation, Municipality
from domain.values import (
    AgreementKind,
    AgreementStatus,
    CooperationKind,
    Milestone,
    PartialDate,
    Participation,
    SubjectKind,
    SubjectRef,
)
from services import commands as c
from services.application import GovernanceApplication
from services.importer import import_governance_facts
from tests.authorities import EXTERNAL
from tests.corrections import correct as correct_event
from tests.corrections import host

D = PartialDate.parse
WHO = {"principal": "test", "authority": EXTERNAL}


def routed(app: GovernanceApplication) -> list[tuple[Any, frozenset[str]]]:
    """Every recorded event in log order, with the regions it concerns."""
    audience = Audience()
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    return [(event, audience.regions_concerned(event)) for event in events]


def last_of(app: GovernanceApplication, event_class: type) -> frozenset[str]:
    return [regions for event, regions in routed(app) if isinstance(event, event_class)][-1]


@pytest.fixture
def world(app: GovernanceApplication) -> GovernanceApplication:
    """Three regions, two municipalities, a cooperation of two members and one invited region."""
    for region in ("noord", "zuid", "west"):
        app.handle(c.RegisterRegion(region=region, name=region.title(), **WHO))
    for municipality in ("aa", "bee"):
        app.handle(c.RegisterMunicipality(municipality=municipality, name=municipality, **WHO))
    app.handle(
        c.StartMembership(
            municipality="aa",
            region="noord",
            valid_from=D("2015"),
            valid_until=D("2019-12-31"),
            **WHO,
        )
    )
    app.handle(
        c.StartMembership(
            municipality="aa",
            region="zuid",
            membership_id="zuid:aa",
            valid_from=D("2020-01-01"),
            **WHO,
        )
    )
    app.handle(
        c.RegisterCooperation(
            cooperation="samen", name="Samen", cooperation_kind=CooperationKind.NETWERK, **WHO
        )
    )
    for region, participation in (
        ("noord", Participation.MEMBER),
        ("zuid", Participation.MEMBER),
        ("west", Participation.INVITED),
    ):
        app.handle(
            c.AdmitRegionToCooperation(
                cooperation="samen", region=region, participation=participation, **WHO
            )
        )
    app.handle(
        c.RegisterOrganisation(
            organisation="zorg", name="Zorg", organisation_kind="aanbieder", **WHO
        )
    )
    return app


def test_an_event_concerns_the_regions_it_names(world):
    [(_, regions)] = [(e, r) for e, r in routed(world) if getattr(e, "region", None) == "west"][:1]
    assert regions == {"west"}


def test_a_cooperation_decision_reaches_its_members_not_invited_participants(world):
    world.handle(
        c.InvolveOrganisationInCooperation(cooperation="samen", organisation="zorg", **WHO)
    )
    assert last_of(world, Cooperation.OrganisationInvolved) == {"noord", "zuid"}


def test_a_region_joining_is_news_to_the_members_and_to_itself(world):
    world.handle(c.RegisterRegion(region="oost", name="Oost", **WHO))
    world.handle(c.AdmitRegionToCooperation(cooperation="samen", region="oost", **WHO))
    assert last_of(world, Cooperation.RegionJoined) == {"noord", "zuid", "oost"}


def transfer_from_oost_to_west(world: GovernanceApplication) -> None:
    """Zorg's account in samen, held by oost (which takes no part in samen), goes to west."""
    world.handle(c.RegisterRegion(region="oost", name="Oost", **WHO))
    world.handle(
        c.AssignAccountHoldership(
            agreement="samen-zorg-1",
            cooperation="samen",
            organisation="zorg",
            holder_region="oost",
            **WHO,
        )
    )
    world.handle(
        c.TransferAccountHoldership(
            cooperation="samen",
            organisation="zorg",
            agreement="samen-zorg-2",
            handover=D("2024-01-01"),
            holder_region="west",
            **WHO,
        )
    )


def test_a_transfer_reaches_both_sides_and_the_cooperation_members(world):
    transfer_from_oost_to_west(world)
    assert last_of(world, AccountHoldership.HolderTransferred) == {"oost", "west", "noord", "zuid"}


def test_a_municipality_reaches_the_regions_it_belongs_to_in_the_events_valid_time(world):
    world.handle(c.RegisterRegion(region="oost", name="Oost", contact_municipality="aa", **WHO))
    # Region.Registered with unknown valid time: aa could belong to noord or zuid then.
    regions = next(r for e, r in routed(world) if getattr(e, "region", None) == "oost")
    assert regions == {"oost", "noord", "zuid"}
    host(world, "aa", "2022")
    assert last_of(world, AgreementAggregate.Created) == {"zuid"}


def test_a_merger_reaches_the_regions_of_the_merged_municipalities(world):
    world.handle(c.RegisterMunicipality(municipality="cee", name="Cee", **WHO))
    world.handle(
        c.MergeMunicipalities(
            change="aa-bee-cee",
            from_municipalities=("aa", "bee"),
            into_municipality="cee",
            date=D("2023-01-01"),
            **WHO,
        )
    )
    merged = [r for e, r in routed(world) if isinstance(e, Municipality.Merged)]
    # aa was in zuid until the day before the merger; bee belonged to no region
    assert merged == [frozenset({"zuid"}), frozenset()]
    taken_over = last_of(world, Municipality.MembershipStarted)
    assert taken_over == {"zuid"}


def test_later_decisions_on_an_agreement_reach_its_parties(world):
    world.handle(
        c.RecordAgreement(
            agreement="afspraak",
            agreement_kind=AgreementKind.SAMENWERKINGSAFSPRAAK,
            terms=c.AgreementTerms(parties=(SubjectRef(SubjectKind.REGION, "west"),)),
            **WHO,
        )
    )
    world.handle(
        c.RecordMilestone(
            agreement="afspraak", milestone=Milestone(date=D("2024"), what="signed"), **WHO
        )
    )
    world.handle(c.ChangeAgreementStatus(agreement="afspraak", status=AgreementStatus.ENDED, **WHO))
    assert last_of(world, AgreementAggregate.MilestoneRecorded) == {"west"}
    assert last_of(world, AgreementAggregate.StatusChanged) == {"west"}


def test_the_real_facts_keep_noord_holland_out_of_limburg_decisions(app):
    import_governance_facts(app)
    audience_by_event = routed(app)
    xonar = [
        regions
        for event, regions in audience_by_event
        if isinstance(event, AccountHoldership.HolderAssigned)
        and event.agreement == "nmz-accounthouder-xonar"
    ]
    assert xonar and "zuid-limburg" in xonar[0]
    assert "zaanstreek-waterland" not in xonar[0]
    everything_for_zaanstreek = [e for e, r in audience_by_event if "zaanstreek-waterland" in r]
    assert everything_for_zaanstreek, "the Zaanstreek-Waterland feed has events of its own"
    assert all(
        "limburg" not in (getattr(e, "cooperation", None) or "") for e in everything_for_zaanstreek
    )


def correct(app: GovernanceApplication, event: Any) -> frozenset[str]:
    """Corrects ``event`` and answers the regions the correction concerns."""
    correct_event(app, event)
    return last_of(app, GovernanceAggregate.FactCorrected)


def recorded(app: GovernanceApplication, event_class: type) -> Any:
    return [event for event, _ in routed(app) if isinstance(event, event_class)][-1]


def test_a_correction_does_not_reach_a_region_that_joined_after_the_corrected_fact(world):
    world.handle(
        c.InvolveOrganisationInCooperation(
            cooperation="samen", organisation="zorg", valid_from=D("2021-01-01"), **WHO
        )
    )
    involved = recorded(world, Cooperation.OrganisationInvolved)
    world.handle(c.RegisterRegion(region="oost", name="Oost", **WHO))
    world.handle(
        c.AdmitRegionToCooperation(
            cooperation="samen", region="oost", valid_from=D("2024-01-01"), **WHO
        )
    )
    assert last_of(world, Cooperation.OrganisationInvolved) == {"noord", "zuid"}
    # Oost never received the fact: its correction would tell it of another region's business.
    assert correct(world, involved) == {"noord", "zuid"}


def test_a_correction_does_not_reach_the_region_a_municipality_had_left_before_the_fact(world):
    host(world, "aa", "2022")
    created = recorded(world, AgreementAggregate.Created)
    assert last_of(world, AgreementAggregate.Created) == {"zuid"}
    # aa was in noord until 2019: noord never heard of the agreement, so not of its correction.
    assert correct(world, created) == {"zuid"}


def test_a_correction_of_a_later_fact_reaches_those_that_heard_of_that_fact(world):
    transfer_from_oost_to_west(world)
    transferred = recorded(world, AccountHoldership.HolderTransferred)
    assert correct(world, transferred) == {"oost", "west", "noord", "zuid"}


def test_correcting_a_founding_fact_reaches_every_region_that_heard_of_the_subject(world):
    registered = next(
        event for event, _ in routed(world) if isinstance(event, Cooperation.Registered)
    )
    # Nobody was a member when the cooperation was registered; each region heard of it when it
    # joined (west as invited), and the retraction withdraws all of that.
    assert correct(world, registered) == {"noord", "zuid", "west"}


def first_of_noord(app: GovernanceApplication, event_class: type) -> Any:
    """The first recorded ``event_class`` event that makes noord a member (of a municipality or
    a cooperation)."""
    return next(
        event
        for event, _ in routed(app)
        if isinstance(event, event_class) and event.region == "noord"
    )


def test_a_corrected_membership_no_longer_brings_the_municipalitys_news_to_the_region(world):
    into_noord = first_of_noord(world, Municipality.MembershipStarted)
    assert correct(world, into_noord) == {"noord"}
    host(world, "aa", "2018")
    # aa was never in noord, the record now says: its agreements are none of noord's business.
    assert last_of(world, AgreementAggregate.Created) == {"zuid"}


def test_a_corrected_participation_no_longer_brings_the_cooperations_news_to_the_region(world):
    noord_joined = first_of_noord(world, Cooperation.RegionJoined)
    assert correct(world, noord_joined) == {"noord"}
    world.handle(
        c.InvolveOrganisationInCooperation(cooperation="samen", organisation="zorg", **WHO)
    )
    assert last_of(world, Cooperation.OrganisationInvolved) == {"zuid"}
