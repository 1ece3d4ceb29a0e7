from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.agreements import AccountHoldership
from domain.errors import (
    AlreadyRecorded,
    InvalidPeriod,
    NoCurrentAccountHolder,
    OverlappingAccountHolder,
)
from domain.values import UNKNOWN_DATE, AgreementStatus, Attribution, PartialDate, ValidPeriod
from tests.unit.strategies import partial_dates

WHO = Attribution(principal="test")


def account(
    cooperation: str | None = "nmz-limburg", organisation: str | None = "pactum"
) -> AccountHoldership:
    return AccountHoldership(
        account=AccountHoldership.account_slug(cooperation, organisation, "x"),
        cooperation=cooperation,
        organisation=organisation,
        subject_count=None,
        valid_from=UNKNOWN_DATE,
        valid_until=UNKNOWN_DATE,
        **WHO.event_fields(),
    )


def assign(
    acc: AccountHoldership,
    agreement: str,
    region: str | None,
    municipality: str | None,
    period: ValidPeriod | None = None,
    **labels: str,
) -> None:
    acc.assign(
        agreement=agreement,
        holder_region=region,
        executing_municipality=municipality,
        status=AgreementStatus.IN_FORCE,
        basis=None,
        obligations=(),
        notes=None,
        period=period or ValidPeriod(),
        attribution=WHO,
        labels=labels,
    )


D = PartialDate.parse


def test_a_second_holder_that_could_overlap_is_refused_with_the_conflicting_fact() -> None:
    acc = account()
    assign(
        acc,
        "nmz-accounthouder-pactum",
        "noord-limburg",
        "venlo",
        ValidPeriod(D("2018-01-01"), UNKNOWN_DATE),
    )
    labels = {
        "pactum": "Pactum",
        "noord-limburg": "Noord-Limburg",
        "venlo": "Venlo",
        "nmz-limburg": "NMZ Limburg",
    }
    with pytest.raises(OverlappingAccountHolder) as error:
        assign(
            acc,
            "other",
            "zuid-limburg",
            "maastricht",
            ValidPeriod(D("2020"), UNKNOWN_DATE),
            **labels,
        )
    assert str(error.value) == (
        "Pactum already has account holder Noord-Limburg (via Venlo) in NMZ Limburg from 2018-01-01 "
        "(no end recorded) (nmz-accounthouder-pactum); a new holder from 2020 (no end recorded) could overlap "
        "it — at most one holder per cooperation and organisation at a time"
    )


def test_holders_that_cannot_overlap_are_both_kept() -> None:
    acc = account()
    assign(acc, "first", "noord-limburg", "venlo", ValidPeriod(D("2015"), D("2019-12-31")))
    assign(acc, "second", "zuid-limburg", "maastricht", ValidPeriod(D("2020-01-01"), UNKNOWN_DATE))
    assert [t.agreement for t in acc.holders_on(date(2019, 6, 1))] == ["first"]
    assert [t.agreement for t in acc.holders_on(date(2021, 6, 1))] == ["second"]


def test_the_same_organisation_has_its_own_account_per_cooperation() -> None:
    limburg, gelderland = account("nmz-limburg", "pactum"), account("g7-gelderland", "pactum")
    assert limburg.id != gelderland.id
    assign(limburg, "nmz-accounthouder-pactum", "noord-limburg", "venlo")
    assign(gelderland, "g7-accounthouder-pactum", None, "arnhem")


def test_a_transfer_hands_over_the_day_before() -> None:
    acc = account()
    assign(acc, "a", "noord-limburg", "venlo", ValidPeriod(D("2018-01-01"), UNKNOWN_DATE))
    acc.transfer(
        agreement="b",
        holder_region="zuid-limburg",
        executing_municipality="maastricht",
        handover=D("2023-07-01"),
        basis=None,
        notes=None,
        attribution=WHO,
    )
    assert acc.terms["a"].period.valid_until == D("2023-06-30")
    assert acc.terms["b"].period == ValidPeriod(D("2023-07-01"), UNKNOWN_DATE)
    assert [t.agreement for t in acc.holders_on(date(2023, 6, 30))] == ["a"]
    assert [t.agreement for t in acc.holders_on(date(2023, 7, 1))] == ["b"]


def test_a_transfer_with_an_imprecise_handover_is_ordered_by_the_transfer() -> None:
    acc = account()
    assign(acc, "a", "noord-limburg", "venlo")
    acc.transfer(
        agreement="b",
        holder_region=None,
        executing_municipality="roermond",
        handover=D("2023"),
        basis=None,
        notes=None,
        attribution=WHO,
    )
    assert acc.terms["a"].period.valid_until == D("2023")
    assert acc.current_term().agreement == "b"


def test_transfer_and_end_need_a_current_holder() -> None:
    acc = account()
    with pytest.raises(NoCurrentAccountHolder, match=r"no current .* to transfer"):
        acc.transfer(
            agreement="b",
            holder_region="x",
            executing_municipality=None,
            handover=D("2023"),
            basis=None,
            notes=None,
            attribution=WHO,
        )
    assign(acc, "a", "noord-limburg", "venlo")
    acc.end(valid_until=D("2024-12-31"), reason="provider closed", attribution=WHO)
    with pytest.raises(NoCurrentAccountHolder, match="to end"):
        acc.end(valid_until=D("2025"), reason=None, attribution=WHO)


def test_a_handover_before_the_holder_started_is_refused() -> None:
    acc = account()
    assign(acc, "a", "noord-limburg", "venlo", ValidPeriod(D("2020-01-01"), UNKNOWN_DATE))
    with pytest.raises(InvalidPeriod, match="would end it before it began"):
        acc.transfer(
            agreement="b",
            holder_region="zuid-limburg",
            executing_municipality=None,
            handover=D("2019-05"),
            basis=None,
            notes=None,
            attribution=WHO,
        )


def test_a_transfer_to_the_same_holder_and_a_repeated_agreement_are_refused() -> None:
    acc = account()
    assign(acc, "a", "noord-limburg", "venlo")
    with pytest.raises(AlreadyRecorded, match="needs a new holder"):
        acc.transfer(
            agreement="b",
            holder_region="noord-limburg",
            executing_municipality="venlo",
            handover=D("2023"),
            basis=None,
            notes=None,
            attribution=WHO,
        )
    with pytest.raises(AlreadyRecorded, match="already recorded"):
        assign(acc, "a", "noord-limburg", "venlo")


def test_records_with_unknown_cooperation_or_organisation_are_representable() -> None:
    anonymous = account(None, None)
    assign(anonymous, "nh-accounthoudende-wethouders-gi", None, None)
    assert anonymous.account == "unattributed:x"
    assert anonymous.terms["nh-accounthoudende-wethouders-gi"].holder({}) == "an unnamed holder"


def test_a_corrected_holder_no_longer_blocks_a_new_one() -> None:
    acc = account()
    assign(acc, "wrong", "zuid-limburg", "maastricht")
    with pytest.raises(OverlappingAccountHolder):
        assign(acc, "right", "noord-limburg", "venlo")
    acc.correct(version=2, reason="holder misread from the source", attribution=WHO)
    assign(acc, "right", "noord-limburg", "venlo")
    assert list(acc.terms) == ["right"]
    assert [type(e).__name__ for e in acc.history()] == [
        "Opened",
        "HolderAssigned",
        "FactCorrected",
        "HolderAssigned",
    ]


# -- property: never two holders at one instant ---------------------------------------------------------
BASE = date(2015, 1, 1)
day_offsets = st.integers(0, 3000)
regions = st.sampled_from(
    ["noord-limburg", "zuid-limburg", "midden-limburg-oost", "midden-limburg-west"]
)
precise_dates = st.one_of(
    st.just(UNKNOWN_DATE), day_offsets.map(lambda n: PartialDate.day(BASE + timedelta(n)))
)

commands = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), regions, precise_dates, precise_dates),
        st.tuples(
            st.just("transfer"),
            regions,
            day_offsets.map(lambda n: PartialDate.day(BASE + timedelta(n))),
        ),
        st.tuples(st.just("end"), day_offsets.map(lambda n: PartialDate.day(BASE + timedelta(n)))),
    ),
    max_size=12,
)


# What a random script may be refused for; any other error is a failure of the test.
REFUSALS = (OverlappingAccountHolder, NoCurrentAccountHolder, InvalidPeriod, AlreadyRecorded)


def run(acc: AccountHoldership, script: list[tuple]) -> list[int]:
    """Plays the script and answers which of its commands were accepted (their indexes)."""
    accepted = []
    for n, (action, *args) in enumerate(script):
        try:
            if action == "assign":
                region, start, end = args
                assign(acc, f"t{n}", region, None, ValidPeriod(start, end))
            elif action == "transfer":
                region, handover = args
                acc.transfer(
                    agreement=f"t{n}",
                    holder_region=region,
                    executing_municipality=None,
                    handover=handover,
                    basis=None,
                    notes=None,
                    attribution=WHO,
                )
            else:
                acc.end(valid_until=args[0], reason=None, attribution=WHO)
        except REFUSALS:
            continue
        accepted.append(n)
    return accepted


def first_valid_assignment(script: list[tuple]) -> int | None:
    """The oracle: on a new account transfers and ends are refused (no current holder) until the
    first assignment whose period is valid, which nothing can refuse: the first accepted command."""
    for n, (action, *args) in enumerate(script):
        if action == "assign" and args[2].latest >= args[1].earliest:
            return n
    return None


@settings(max_examples=300, deadline=None)
@given(commands)
def test_random_commands_never_yield_two_holders_on_one_day(script: list[tuple]) -> None:
    acc = account()
    accepted = run(acc, script)
    assert accepted[:1] == [n for n in [first_valid_assignment(script)] if n is not None]
    terms = list(acc.terms.values())
    boundaries = {BASE - timedelta(1), BASE + timedelta(4000)}
    for t in terms:
        for bound in (t.period.valid_from, t.period.valid_until):
            if bound.value is not None:
                boundaries |= {bound.value - timedelta(1), bound.value, bound.value + timedelta(1)}
    for day in boundaries:
        assert len(acc.holders_on(day)) <= 1, (day, terms)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["assign", "transfer", "end"]), regions, partial_dates, partial_dates
        ),
        max_size=10,
    )
)
def test_with_imprecise_dates_independent_holders_could_never_overlap(script: list[tuple]) -> None:
    acc = account()
    normalised = []
    for action, region, a, b in script:
        if action == "assign":
            normalised.append((action, region, a, b))
        elif action == "transfer":
            normalised.append((action, region, a))
        else:
            normalised.append((action, b))
    accepted = run(acc, normalised)
    assert accepted[:1] == [n for n in [first_valid_assignment(normalised)] if n is not None]
    terms = list(acc.terms.values())
    for i, one in enumerate(terms):
        for other in terms[i + 1 :]:
            if one.chain != other.chain:
                assert not one.period.could_overlap(other.period), (one, other)
