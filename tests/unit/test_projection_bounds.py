"""How imprecise valid-time bounds are stored and how they answer `as_of` (no database needed)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.values import UNKNOWN_DATE, PartialDate, ValidPeriod
from projections.facts import period_columns


def could_hold(valid_from: PartialDate, valid_until: PartialDate, day: date) -> bool:
    """The filter the queries put in SQL, on the columns the projector stores."""
    columns = period_columns(valid_from, valid_until)
    return columns["valid_from_earliest"] <= day <= columns["valid_until_latest"]


def test_bounds_store_the_earliest_and_latest_day_they_can_stand_for() -> None:
    columns = period_columns(PartialDate.parse("2017-12"), PartialDate.parse("2021"))
    assert columns == {
        "valid_from_earliest": date(2017, 12, 1),
        "valid_from_latest": date(2017, 12, 31),
        "valid_from_precision": "month",
        "valid_until_earliest": date(2021, 1, 1),
        "valid_until_latest": date(2021, 12, 31),
        "valid_until_precision": "year",
    }
    unknown = period_columns(UNKNOWN_DATE, UNKNOWN_DATE)
    assert (unknown["valid_from_earliest"], unknown["valid_until_latest"]) == (date.min, date.max)


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "day", "could", "certain"),
    [
        ("2022-01-01", None, date(2022, 1, 1), True, True),  # from the day itself, no end recorded
        ("2022-01-01", None, date(2021, 12, 31), False, False),
        ("2017-12", None, date(2017, 12, 15), True, False),  # some day in December 2017
        ("2017-12", None, date(2018, 1, 1), True, True),
        (None, None, date(1990, 1, 1), True, False),  # unknown start: could, never certainly
        ("2015", "2021", date(2021, 6, 1), True, False),  # ended some day in 2021
        ("2015", "2021", date(2020, 12, 31), True, True),
        ("2015", "2021", date(2022, 1, 1), False, False),
        (None, "2021-12-31", date(2021, 12, 31), True, False),
    ],
)
def test_a_fact_could_hold_when_some_reading_of_its_bounds_covers_the_day(
    valid_from: str | None, valid_until: str | None, day: date, could: bool, certain: bool
) -> None:
    start, end = PartialDate.parse(valid_from), PartialDate.parse(valid_until)
    assert could_hold(start, end, day) is could
    assert (could and ValidPeriod(start, end).certainly_holds_on(day)) is certain
