"""Principle C of the G7 as rules of the domain: a region's commitment to a module counts exactly when
its commitment and a mandate for the content and one for the costs hold, in whatever order they were
recorded; a cost key is accepted exactly when its shares make 100%."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audience import Audience
from domain.errors import (
    AlreadyRecorded,
    CostKeyInvalid,
    IncompetentAuthority,
    NoCurrentMandate,
)
from domain.modules import (
    CostKey,
    CostShare,
    MandateKind,
    ModuleCommitment,
    check_cost_shares,
    check_regional_authority,
    standing,
)
from domain.values import (
    Attribution,
    Authority,
    AuthorityKind,
    PartialDate,
    SubjectKind,
    SubjectRef,
    ValidPeriod,
)
from services import commands as c
from services.application import GovernanceApplication
from services.importer import import_governance_facts

WHO = Attribution(principal="test")
DAY = date(2022, 6, 1)
REGIONS = ("achterhoek", "centraal-gelderland", "regio-nijmegen", "midden-ijssel-oost-veluwe")
G7 = frozenset(REGIONS)


def _opened() -> ModuleCommitment:
    return ModuleCommitment.open(
        cooperation="g7-gelderland", module=2, region="achterhoek", attribution=WHO
    )


# What can be recorded on a region's place in a module, in any order.
STEPS = ("commit", MandateKind.CONTENT, MandateKind.COSTS)


@given(st.lists(st.sampled_from(STEPS), unique=True).flatmap(st.permutations))
def test_a_commitment_counts_exactly_when_it_and_both_mandates_are_recorded(order) -> None:
    commitment = _opened()
    for step in order:
        assert not commitment.counts_on(DAY)
        if step == "commit":
            commitment.commit(content="SEZ", period=ValidPeriod(), attribution=WHO)
        else:
            commitment.give_mandate(mandate=step, period=ValidPeriod(), attribution=WHO)
    assert commitment.counts_on(DAY) is (len(order) == len(STEPS))
    assert set(commitment.lacks(DAY)) == {s for s in STEPS if s != "commit"} - set(order)


@given(
    committed=st.booleans(),
    mandates=st.lists(st.sampled_from(list(MandateKind))),
)
def test_the_rule_counts_a_commitment_only_with_both_mandates(committed, mandates) -> None:
    result = standing(committed, mandates)
    assert result.counts is (committed and set(mandates) == set(MandateKind))
    assert set(result.lacks) == set(MandateKind) - set(mandates)


def test_a_mandate_counts_only_on_the_days_it_holds() -> None:
    commitment = _opened()
    commitment.commit(content="SEZ", period=ValidPeriod(), attribution=WHO)
    commitment.give_mandate(mandate=MandateKind.CONTENT, period=ValidPeriod(), attribution=WHO)
    costs_2022 = ValidPeriod(PartialDate.parse("2022"), PartialDate.parse("2022"))
    commitment.give_mandate(mandate=MandateKind.COSTS, period=costs_2022, attribution=WHO)
    assert commitment.counts_on(date(2022, 3, 1))
    assert commitment.lacks(date(2023, 3, 1)) == (MandateKind.COSTS,)
    with pytest.raises(AlreadyRecorded):
        commitment.give_mandate(mandate=MandateKind.COSTS, period=costs_2022, attribution=WHO)


def test_a_region_commits_once() -> None:
    commitment = _opened()
    commitment.commit(content="SEZ", period=ValidPeriod(), attribution=WHO)
    with pytest.raises(AlreadyRecorded):
        commitment.commit(content="SEZ again", period=ValidPeriod(), attribution=WHO)


percentages = st.decimals(min_value=Decimal("-10"), max_value=Decimal(110), places=2)


@given(st.lists(percentages, min_size=1, max_size=len(REGIONS)))
def test_a_cost_key_is_accepted_exactly_when_its_positive_shares_make_100(values) -> None:
    shares = tuple(CostShare(r, p) for r, p in zip(REGIONS, values, strict=False))
    valid = sum(values, Decimal(0)) == 100 and all(v > 0 for v in values)
    try:
        CostKey.agree(
            cost_key="g7-sez",
            cooperation="g7-gelderland",
            module=2,
            shares=shares,
            members=G7,
            period=ValidPeriod(),
            attribution=WHO,
        )
    except CostKeyInvalid:
        assert not valid
    else:
        assert valid


@given(st.integers(min_value=1, max_value=len(REGIONS)))
def test_an_even_split_that_makes_exactly_100_is_accepted(count) -> None:
    share = Decimal(100) / count
    shares = [CostShare(r, share.quantize(Decimal("0.01"))) for r in REGIONS[:count]]
    rest = Decimal(100) - sum((s.percentage for s in shares[1:]), Decimal(0))
    shares[0] = CostShare(REGIONS[0], rest)
    check_cost_shares(tuple(shares), G7)


def test_a_cost_key_names_members_only_and_each_once() -> None:
    with pytest.raises(CostKeyInvalid, match="zuid-limburg is not a member"):
        check_cost_shares((CostShare("zuid-limburg", Decimal(100)),), G7)
    with pytest.raises(CostKeyInvalid, match="each region once"):
        check_cost_shares(
            (CostShare("achterhoek", Decimal(50)), CostShare("achterhoek", Decimal(50))), G7
        )


def test_a_revised_cost_key_holds_from_a_known_date() -> None:
    key = CostKey.agree(
        cost_key="g7-sez",
        cooperation="g7-gelderland",
        module=2,
        shares=(CostShare("achterhoek", Decimal(100)),),
        members=G7,
        period=ValidPeriod(),
        attribution=WHO,
    )
    split = (CostShare("achterhoek", Decimal(40)), CostShare("regio-nijmegen", Decimal(60)))
    with pytest.raises(CostKeyInvalid, match="from a known date"):
        key.revise(
            cooperation="g7-gelderland",
            module=2,
            shares=split,
            members=G7,
            period=ValidPeriod(),
            attribution=WHO,
        )
    key.revise(
        cooperation="g7-gelderland",
        module=2,
        shares=split,
        members=G7,
        period=ValidPeriod(PartialDate.parse("2023-01-01")),
        attribution=WHO,
    )
    assert key.shares == split


def test_a_mandate_is_given_in_the_region() -> None:
    body = Authority(
        kind=AuthorityKind.BODY,
        body="g7-bestuurlijk-overleg",
        decision_date=PartialDate.parse("2022-01-10"),
        document="besluitenlijst",
    )
    g7 = SubjectRef(SubjectKind.COOPERATION, "g7-gelderland")
    with pytest.raises(IncompetentAuthority, match="given in the region"):
        check_regional_authority(body, "achterhoek", g7)
    check_regional_authority(body, "achterhoek", SubjectRef(SubjectKind.REGION, "achterhoek"))


def test_a_regions_mandate_reaches_the_feeds_of_the_cooperations_members() -> None:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    app.handle(
        c.GiveModuleMandate(
            cooperation="g7-gelderland",
            module=2,
            region="regio-nijmegen",
            mandate=MandateKind.COSTS,
            principal="test",
            authority=Authority(
                kind=AuthorityKind.BODY,
                body="wethoudersoverleg-regio-nijmegen",
                decision_date=PartialDate.parse("2021-12-09"),
                document="besluitenlijst",
            ),
        )
    )
    audience = Audience()
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    routed = [
        (event, audience.regions_concerned(event))
        for event in map(app.mapper.to_domain_event, notifications)
    ]
    [regions] = [r for e, r in routed if isinstance(e, ModuleCommitment.MandateGiven)]
    assert regions == G7
    committed = [r for e, r in routed if isinstance(e, ModuleCommitment.Committed)]
    assert committed and all(r == G7 for r in committed)


def test_a_withdrawn_mandate_counts_up_to_its_last_day() -> None:
    commitment = _opened()
    commitment.commit(content="SEZ", period=ValidPeriod(), attribution=WHO)
    for kind in MandateKind:
        since_2022 = ValidPeriod(PartialDate.parse("2022-01-01"))
        commitment.give_mandate(mandate=kind, period=since_2022, attribution=WHO)
    commitment.end_mandate(
        mandate=MandateKind.COSTS, valid_until=PartialDate.parse("2022-12-31"), attribution=WHO
    )
    assert commitment.counts_on(date(2022, 12, 31))
    assert commitment.lacks(date(2023, 1, 1)) == (MandateKind.COSTS,)
    with pytest.raises(NoCurrentMandate):
        commitment.end_mandate(
            mandate=MandateKind.COSTS, valid_until=PartialDate.parse("2023"), attribution=WHO
        )
