from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import (
    DomainError,
    InvalidMerger,
    InvalidPeriod,
    MembershipAfterMerger,
    OverlappingMembership,
)
from domain.registry import Municipality, StructuralChange
from domain.values import UNKNOWN_DATE, Attribution, ChangeKind, PartialDate, ValidPeriod
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.unit.strategies import partial_dates

WHO = Attribution(principal="test")
D = PartialDate.parse


def municipality(slug: str = "wijchen") -> Municipality:
    return Municipality(
        municipality=slug,
        name=slug.title(),
        source_spelling=None,
        notes=None,
        valid_from=UNKNOWN_DATE,
        valid_until=UNKNOWN_DATE,
        **WHO.event_fields(),
    )


def join(
    m: Municipality,
    region: str,
    scope: str | None = None,
    period: ValidPeriod | None = None,
    membership_id: str | None = None,
) -> None:
    m.start_membership(
        membership_id=membership_id or f"{region}:{len(m.memberships)}",
        region=region,
        scope=scope,
        period=period or ValidPeriod(),
        attribution=WHO,
    )


def test_two_full_memberships_that_could_overlap_are_refused() -> None:
    m = municipality("velsen")
    join(m, "ijmond")
    with pytest.raises(OverlappingMembership) as error:
        join(m, "zuid-kennemerland", period=ValidPeriod(D("2023"), UNKNOWN_DATE))
    assert "Velsen already has full membership of ijmond from an unknown date" in str(error.value)
    assert "a full membership of zuid-kennemerland from 2023" in str(error.value)
    assert str(error.value).endswith("at most one membership per scope at a time")


def test_partial_memberships_for_different_scopes_may_coexist_but_not_for_the_same_scope() -> None:
    m = municipality()
    join(m, "regio-nijmegen", scope="jeugdhulp met verblijf")
    join(m, "regio-nijmegen", scope="jeugdbescherming en jeugdreclassering")
    with pytest.raises(
        OverlappingMembership, match="partial membership \\(jeugdhulp met verblijf\\)"
    ):
        join(m, "other-region", scope="jeugdhulp met verblijf")
    with pytest.raises(OverlappingMembership):
        join(m, "other-region")  # a full membership overlaps every partial one


def test_consecutive_memberships_do_not_conflict() -> None:
    m = municipality("heerhugowaard")
    join(m, "noord-kennemerland", period=ValidPeriod(UNKNOWN_DATE, D("2021-12-31")))
    join(m, "elsewhere", period=ValidPeriod(D("2022-01-01"), UNKNOWN_DATE))


def test_ending_a_membership_records_its_last_day() -> None:
    m = municipality()
    join(
        m,
        "regio-nijmegen",
        membership_id="regio-nijmegen:wijchen",
        period=ValidPeriod(D("2015"), UNKNOWN_DATE),
    )
    m.end_membership(membership_id="regio-nijmegen:wijchen", valid_until=D("2018"), attribution=WHO)
    assert m.memberships["regio-nijmegen:wijchen"].period == ValidPeriod(D("2015"), D("2018"))
    with pytest.raises(DomainError, match="already ended"):
        m.end_membership(
            membership_id="regio-nijmegen:wijchen", valid_until=D("2019"), attribution=WHO
        )


def test_no_membership_after_a_merger() -> None:
    m = municipality("weesp")
    join(m, "gooi-en-vechtstreek")
    m.merge_into(
        successor_municipality="amsterdam", change="c", date=D("2022-03-24"), attribution=WHO
    )
    assert m.memberships["gooi-en-vechtstreek:0"].period.valid_until == D("2022-03-23")
    with pytest.raises(MembershipAfterMerger, match="merged into amsterdam on 2022-03-24"):
        join(m, "amsterdam-amstelland", period=ValidPeriod(D("2022-04-01"), UNKNOWN_DATE))


def test_a_membership_running_past_the_merger_is_a_contradiction() -> None:
    m = municipality("beemster")
    join(m, "zaanstreek-waterland", period=ValidPeriod(UNKNOWN_DATE, D("2022-06-30")))
    with pytest.raises(InvalidMerger, match="runs past its merger"):
        m.merge_into(
            successor_municipality="purmerend", change="c", date=D("2022-01-01"), attribution=WHO
        )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["r1", "r2", "r3"]),
            st.sampled_from([None, "verblijf", "ambulant"]),
            partial_dates,
            partial_dates,
        ),
        max_size=10,
    )
)
def test_random_memberships_never_overlap_for_the_same_scope(script: list[tuple]) -> None:
    m = municipality()
    for region, scope, start, end in script:
        if end.latest < start.earliest:
            with pytest.raises(InvalidPeriod):
                ValidPeriod(start, end)
            continue
        period = ValidPeriod(start, end)
        # The oracle: refused exactly when an accepted membership of the same scope, or a full one,
        # could overlap it; otherwise it must be accepted.
        conflicting = [
            other
            for other in m.memberships.values()
            if (other.scope is None or scope is None or other.scope == scope)
            and other.period.could_overlap(period)
        ]
        if conflicting:
            with pytest.raises(OverlappingMembership):
                join(m, region, scope, period)
        else:
            join(m, region, scope, period)
    memberships = list(m.memberships.values())
    for i, one in enumerate(memberships):
        for other in memberships[i + 1 :]:
            if one.scope is None or other.scope is None or one.scope == other.scope:
                assert not one.period.could_overlap(other.period), (one, other)


# -- mergers through the application ----------------------------------------------------------------------
def setup(app: GovernanceApplication, *municipalities: str) -> None:
    for region in ("noord-kennemerland", "zaanstreek-waterland"):
        app.register_region(
            c.RegisterRegion(region=region, name=region, principal="test", authority=EXTERNAL)
        )
    for slug in municipalities:
        app.register_municipality(
            c.RegisterMunicipality(
                municipality=slug, name=slug.title(), principal="test", authority=EXTERNAL
            )
        )


def test_a_new_municipality_takes_over_the_memberships_of_the_merged_ones(
    app: GovernanceApplication,
) -> None:
    setup(app, "heerhugowaard", "langedijk", "dijk-en-waard")
    for old in ("heerhugowaard", "langedijk"):
        app.start_membership(
            c.StartMembership(
                municipality=old, region="noord-kennemerland", principal="test", authority=EXTERNAL
            )
        )
    app.merge_municipalities(
        c.MergeMunicipalities(
            authority=EXTERNAL,
            change="merger",
            from_municipalities=("heerhugowaard", "langedijk"),
            into_municipality="dijk-en-waard",
            date=D("2022-01-01"),
            principal="test",
        )
    )
    for old in ("heerhugowaard", "langedijk"):
        ended = app.get(Municipality, old).memberships[f"noord-kennemerland:{old}"]
        assert ended.period.valid_until == D("2021-12-31")
    (started,) = app.get(Municipality, "dijk-en-waard").memberships.values()
    assert (started.region, started.period) == (
        "noord-kennemerland",
        ValidPeriod(D("2022-01-01"), UNKNOWN_DATE),
    )
    assert app.get(Municipality, "dijk-en-waard").membership_open_on(D("2022-01-01"))


def test_an_absorbing_municipality_keeps_its_own_memberships(app: GovernanceApplication) -> None:
    setup(app, "beemster", "purmerend")
    for slug in ("beemster", "purmerend"):
        app.start_membership(
            c.StartMembership(
                municipality=slug,
                region="zaanstreek-waterland",
                principal="test",
                authority=EXTERNAL,
            )
        )
    app.merge_municipalities(
        c.MergeMunicipalities(
            authority=EXTERNAL,
            change="merger",
            from_municipalities=("beemster", "purmerend"),
            into_municipality="purmerend",
            date=D("2022-01-01"),
            principal="test",
        )
    )
    assert app.get(Municipality, "beemster").memberships[
        "zaanstreek-waterland:beemster"
    ].period.valid_until == D("2021-12-31")
    assert list(app.get(Municipality, "purmerend").memberships) == [
        "zaanstreek-waterland:purmerend"
    ]
    assert app.get(Municipality, "purmerend").merger is None


def test_a_merger_needs_a_date_and_registered_municipalities(app: GovernanceApplication) -> None:
    setup(app, "a")
    with pytest.raises(InvalidMerger, match="has no date"):
        app.merge_municipalities(
            c.MergeMunicipalities(
                authority=EXTERNAL,
                change="x",
                from_municipalities=("a",),
                into_municipality="b",
                date=UNKNOWN_DATE,
                principal="test",
            )
        )
    with pytest.raises(DomainError, match="municipality 'b' is not registered"):
        app.merge_municipalities(
            c.MergeMunicipalities(
                authority=EXTERNAL,
                change="x",
                from_municipalities=("a",),
                into_municipality="b",
                date=D("2022"),
                principal="test",
            )
        )


def test_a_merger_is_refused_as_a_plain_structural_change_and_nothing_is_recorded(
    app: GovernanceApplication,
) -> None:
    setup(app, "a", "b")
    position = app.recorder.max_notification_id()
    with pytest.raises(InvalidMerger, match="record the merger x with merge_municipalities"):
        app.record_structural_change(
            c.RecordStructuralChange(
                authority=EXTERNAL,
                change="x",
                change_kind=ChangeKind.MERGER,
                valid_from=D("2022"),
                principal="test",
            )
        )
    assert not app.exists(StructuralChange, "x")
    assert app.recorder.max_notification_id() == position
