"""Deadlines of every precision the sources use, the overdue rule, and owners."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.accountability import (
    UNKNOWN_DEADLINE,
    Deadline,
    DeadlinePrecision,
    Owner,
    OwnerKind,
)
from domain.errors import InvalidValue

LAST_DAYS = {
    "2021-11-30": date(2021, 11, 30),
    "2021-11": date(2021, 11, 30),
    "2024-02": date(2024, 2, 29),
    "2021-Q1": date(2021, 3, 31),
    "2021-Q4": date(2021, 12, 31),
    "2021-voorjaar": date(2021, 5, 31),
    "2020-zomer": date(2020, 8, 31),
    "2021-najaar": date(2021, 11, 30),
    "2021-winter": date(2022, 2, 28),
    "2022": date(2022, 12, 31),
    # The last months dates hold (their end was once reckoned from 1 January 10000, and refused).
    "9999-12": date(9999, 12, 31),
    "9999-Q4": date(9999, 12, 31),
    "9999-najaar": date(9999, 11, 30),
}


@pytest.mark.parametrize(("notation", "last"), LAST_DAYS.items())
def test_a_deadline_stands_for_the_last_day_of_its_period(notation: str, last: date) -> None:
    assert Deadline(notation=notation).last_day == last


def test_each_notation_keeps_its_precision() -> None:
    precisions = [Deadline(notation=n).precision for n in LAST_DAYS]
    assert precisions == [
        DeadlinePrecision.DAY,
        DeadlinePrecision.MONTH,
        DeadlinePrecision.MONTH,
        DeadlinePrecision.QUARTER,
        DeadlinePrecision.QUARTER,
        DeadlinePrecision.SEASON,
        DeadlinePrecision.SEASON,
        DeadlinePrecision.SEASON,
        DeadlinePrecision.SEASON,
        DeadlinePrecision.YEAR,
        DeadlinePrecision.MONTH,
        DeadlinePrecision.QUARTER,
        DeadlinePrecision.SEASON,
    ]
    assert UNKNOWN_DEADLINE.precision is DeadlinePrecision.UNKNOWN


def test_november_2021_is_overdue_on_the_first_of_december_not_on_the_last_of_november() -> None:
    november = Deadline(notation="2021-11", as_written="afgerond uiterlijk november 2021")
    assert not november.is_overdue_on(date(2021, 11, 30))
    assert november.is_overdue_on(date(2021, 12, 1))
    assert not november.is_overdue_on(date(2022, 1, 1), done=True)
    assert november.became_overdue_between(date(2021, 11, 1), date(2022, 1, 1))
    assert not november.became_overdue_between(date(2021, 12, 1), date(2022, 1, 1))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)))
def test_an_unknown_deadline_is_never_overdue(day: date) -> None:
    assert not UNKNOWN_DEADLINE.is_overdue_on(day)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.sampled_from(["day", "month", "quarter", "season", "year"]),
)
def test_a_deadline_is_overdue_from_the_day_after_its_last_day_on(day: date, form: str) -> None:
    notation = {
        "day": day.isoformat(),
        "month": day.isoformat()[:7],
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "season": f"{day.year}-{['winter', 'voorjaar', 'zomer', 'najaar'][day.month % 12 // 3]}",
        "year": str(day.year),
    }[form]
    deadline = Deadline(notation=notation)
    last = deadline.last_day
    assert last is not None
    # The period the notation names holds ``day`` (a December day is in that year's winter)...
    assert last >= day
    # ...and overdue begins exactly the day after its last day.
    assert not deadline.is_overdue_on(last)
    assert deadline.is_overdue_on(last + timedelta(days=1))


@pytest.mark.parametrize(
    "notation", ["2021-13", "2021-Q5", "2021-lente", "21", "2021-02-30", "", "9999-winter"]
)
def test_a_notation_that_names_no_period_is_refused(notation: str) -> None:
    with pytest.raises(InvalidValue, match="not a deadline"):
        Deadline(notation=notation)


def test_a_registered_owner_is_named_by_slug_and_another_party_by_name() -> None:
    assert Owner(kind=OwnerKind.REGION, slug="noord-limburg", name="Hele regio").slug
    assert Owner(kind=OwnerKind.WORKGROUP, name="Werkgroep wachtlijsten").name
    with pytest.raises(InvalidValue, match="slug"):
        Owner(kind=OwnerKind.BODY, name="Stuurgroep")
    with pytest.raises(InvalidValue, match="name and no slug"):
        Owner(kind=OwnerKind.WORKGROUP, slug="wachtlijsten")
    with pytest.raises(InvalidValue, match="not a slug"):
        Owner(kind=OwnerKind.REGION, slug="Noord Limburg")
