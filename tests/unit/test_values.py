from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidPeriod, InvalidValue
from domain.values import (
    UNKNOWN_DATE,
    Contract,
    PartialDate,
    Precision,
    Provenance,
    TermStructure,
    ValidPeriod,
    evidence_of_holding,
)


def test_the_sources_date_forms_keep_their_precision() -> None:
    assert PartialDate.parse("2015") == PartialDate(date(2015, 1, 1), Precision.YEAR)
    assert PartialDate.parse("2017-12") == PartialDate(date(2017, 12, 1), Precision.MONTH)
    assert PartialDate.parse("2022-01-01") == PartialDate(date(2022, 1, 1), Precision.DAY)
    assert PartialDate.parse(None) == UNKNOWN_DATE


@pytest.mark.parametrize(
    "written",
    [
        "2027x01",
        "2027x01x01",
        "+201",
        " 201",
        "2_02",
        "٢٠٢٧",
        "２０２７",
        "2027-1-01",
        "2027-01-1 ",
    ],
)
def test_a_date_in_another_notation_is_refused_not_read_as_something_else(written: str) -> None:
    # int() takes a sign, spaces, underscores and other scripts' digits: each was read as a date.
    with pytest.raises(InvalidValue, match="not a date"):
        PartialDate.parse(written)


def test_an_unknown_date_is_null_not_invented() -> None:
    assert UNKNOWN_DATE.value is None and UNKNOWN_DATE.precision is Precision.UNKNOWN
    with pytest.raises(InvalidValue):
        PartialDate(date(2020, 1, 1), Precision.UNKNOWN)
    with pytest.raises(InvalidValue):
        PartialDate(None, Precision.DAY)


def test_imprecise_dates_are_stored_as_the_first_day_of_their_period() -> None:
    with pytest.raises(InvalidValue, match="1st of its month"):
        PartialDate(date(2017, 12, 15), Precision.MONTH)
    with pytest.raises(InvalidValue, match="1 January"):
        PartialDate(date(2017, 12, 1), Precision.YEAR)
    with pytest.raises(InvalidValue):
        PartialDate.parse("medio 2018")


def test_a_partial_date_spans_its_earliest_and_latest_day() -> None:
    assert PartialDate.parse("2024-02").latest == date(2024, 2, 29)
    assert PartialDate.parse("2017-12").latest == date(2017, 12, 31)
    assert PartialDate.parse("2015").earliest == date(2015, 1, 1)
    assert PartialDate.parse("2015").latest == date(2015, 12, 31)
    assert UNKNOWN_DATE.earliest == date.min and UNKNOWN_DATE.latest == date.max


def test_periods_conflict_if_they_could_overlap() -> None:
    until_2021 = ValidPeriod(UNKNOWN_DATE, PartialDate.parse("2021-12-31"))
    from_2022 = ValidPeriod(PartialDate.parse("2022-01-01"), UNKNOWN_DATE)
    assert not until_2021.could_overlap(from_2022)
    # "until some day in 2021" and "from some day in 2021" could share a day.
    assert ValidPeriod(UNKNOWN_DATE, PartialDate.parse("2021")).could_overlap(
        ValidPeriod(PartialDate.parse("2021"), UNKNOWN_DATE)
    )
    # An unknown start is open to the past, an unknown end open to the future.
    assert ValidPeriod().could_overlap(from_2022) and ValidPeriod().could_overlap(until_2021)


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidPeriod, match="cannot end"):
        ValidPeriod(PartialDate.parse("2022"), PartialDate.parse("2021-12-31"))
    ValidPeriod(PartialDate.parse("2021"), PartialDate.parse("2021-03"))  # could be consistent


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
partial_dates = st.one_of(
    st.just(UNKNOWN_DATE),
    days.map(PartialDate.day),
    days.map(lambda d: PartialDate(d.replace(day=1), Precision.MONTH)),
    days.map(lambda d: PartialDate(d.replace(month=1, day=1), Precision.YEAR)),
)


@given(partial_dates, partial_dates, partial_dates, partial_dates)
def test_could_overlap_is_symmetric_and_matches_a_shared_possible_day(a0, a1, b0, b1) -> None:
    # A period is refused exactly when it ends before it starts; any other is a case of the test.
    refusable = a1.latest < a0.earliest or b1.latest < b0.earliest
    try:
        a, b = ValidPeriod(a0, a1), ValidPeriod(b0, b1)
    except InvalidPeriod:
        assert refusable, (a0, a1, b0, b1)
        return
    assert not refusable, (a0, a1, b0, b1)
    assert a.could_overlap(b) == b.could_overlap(a)
    shared = max(a.valid_from.earliest, b.valid_from.earliest)
    assert a.could_overlap(b) == (shared <= min(a.valid_until.latest, b.valid_until.latest))


@pytest.mark.parametrize(
    ("notation", "initial", "options", "max_years"),
    [
        ("4+3+3", "4", ("3", "3"), "10"),
        ("2,5+2+2+2+1", "2.5", ("2", "2", "2", "1"), "9.5"),
        ("2+4+4", "2", ("4", "4"), "10"),
        ("2", "2", (), "2"),
    ],
)
def test_term_notation_is_initial_term_plus_extension_options(
    notation, initial, options, max_years
) -> None:
    term = TermStructure.parse(notation)
    assert term is not None
    assert term.initial_years == Decimal(initial)
    assert term.extension_options == tuple(Decimal(o) for o in options)
    assert term.max_years == Decimal(max_years)
    assert term.notation == notation


def test_a_described_term_is_not_a_notation() -> None:
    assert TermStructure.parse("meerjarig (no term given)") is None
    assert TermStructure.parse("open house met tussentijdse toetreding") is None


def test_a_contract_max_must_match_its_term() -> None:
    with pytest.raises(InvalidValue, match="differs from the sum"):
        Contract(term=TermStructure.parse("4+3+3"), max_years=Decimal(9))


def test_source_references_have_the_citation_form() -> None:
    Provenance(
        sources=("zuid-limburg-regiovisie-2024:L351", "noord-limburg-beleidsplan-2022:L2710-L2718")
    )
    with pytest.raises(InvalidValue, match="source reference"):
        Provenance(sources=("page 12",))
    # Decoding applies the same checks.
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"sources": ["page 12"]}', type=Provenance)


def test_a_source_dated_d_makes_a_fact_of_unknown_start_certain_from_d_on() -> None:
    unknown_start = ValidPeriod()
    source = PartialDate.parse("2021-12")
    since = evidence_of_holding(unknown_start, source, "in-force")
    assert since == source
    assert not unknown_start.certainly_holds_on(date(2024, 1, 1))
    assert not unknown_start.certainly_holds_on(date(2021, 12, 15), since)
    assert unknown_start.certainly_holds_on(date(2021, 12, 31), since)
    assert unknown_start.certainly_holds_on(date(2024, 1, 1), since)
    ended = ValidPeriod(valid_until=PartialDate.parse("2023-06-30"))
    assert not ended.certainly_holds_on(date(2023, 7, 1), since)


def test_no_evidence_from_a_source_where_the_start_is_known_or_the_fact_did_not_hold_then() -> None:
    source = PartialDate.parse("2021")
    assert evidence_of_holding(ValidPeriod(PartialDate.parse("2022")), source) == UNKNOWN_DATE
    for status in ("intended", "being-explored", "ended"):
        assert evidence_of_holding(ValidPeriod(), source, status) == UNKNOWN_DATE
    assert evidence_of_holding(ValidPeriod(), UNKNOWN_DATE) == UNKNOWN_DATE
    assert evidence_of_holding(ValidPeriod(), source) == source


@pytest.mark.parametrize(
    ("text", "precision", "value"),
    [
        ("2027-01", Precision.MONTH, date(2027, 1, 1)),
        ("2027-01-01", Precision.MONTH, date(2027, 1, 1)),
        ("2027", Precision.YEAR, date(2027, 1, 1)),
        ("2027-01-15", Precision.DAY, date(2027, 1, 15)),
        (None, Precision.UNKNOWN, None),
    ],
)
def test_a_date_written_with_its_precision(text, precision, value) -> None:
    assert PartialDate.written(text, precision) == PartialDate(value, precision)


@pytest.mark.parametrize(
    ("text", "precision", "complaint"),
    [
        ("2027", Precision.DAY, "precision day is written YYYY-MM-DD"),
        ("2027-01", Precision.DAY, "precision day is written YYYY-MM-DD"),
        ("2027-01-15", Precision.MONTH, "1st of its month"),
        ("2027", Precision.UNKNOWN, "must not have a value"),
        (None, Precision.MONTH, "must have a value"),
    ],
)
def test_a_date_written_less_precisely_than_it_claims_is_refused(
    text, precision, complaint
) -> None:
    with pytest.raises(InvalidValue, match=complaint):
        PartialDate.written(text, precision)


def test_an_end_before_the_start_names_the_fact_and_what_to_do() -> None:
    period = ValidPeriod(PartialDate.parse("2027-01-01"), UNKNOWN_DATE)
    with pytest.raises(InvalidPeriod) as refused:
        period.ended(PartialDate.parse("2026-12"), "Zuid-Limburg's account holdership")
    assert str(refused.value) == (
        "Zuid-Limburg's account holdership holds from 2027-01-01; an end on 2026-12 comes before "
        "that. Give its last day, on or after 2027-01-01, or if it started on another day, correct "
        "that fact instead"
    )
    assert period.ended(PartialDate.parse("2027-01"), "it").valid_until == PartialDate.parse(
        "2027-01"
    )
