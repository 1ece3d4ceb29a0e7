"""Dates with their precision and the valid time of facts (re-exported by ``domain.values``).

Valid time
----------
Every fact holds during a period ``valid_from``..``valid_until`` (``valid_until`` is the last day it held,
inclusive). Each bound is a :class:`PartialDate` with a precision: ``day``, ``month``, ``year`` or
``unknown``. An unknown date is a null date, never an invented one. A month- or year-precision date is
stored as the first day of its month or year; it stands for *some* day in that month or year.

A bound therefore covers a range of days, from :attr:`PartialDate.earliest` to :attr:`PartialDate.latest`.
An unknown start is open towards the past, an unknown end open towards the future.

Overlap rule (used by every "at most one at a time" invariant): two periods **conflict if they could
overlap**, i.e. if some choice of days within their imprecise bounds makes them share a day::

    a.valid_from.earliest <= b.valid_until.latest  and  b.valid_from.earliest <= a.valid_until.latest

This is deliberately strict: a fact with an unknown start and no end conflicts with every other fact of
the same kind. Facts that follow each other by an explicit handover (a transfer) are ordered by that
handover, so they are never compared with this rule (see ``domain.agreements.AccountHoldership``).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from enum import StrEnum

import msgspec

from domain.errors import InvalidPeriod, InvalidValue


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


# The sources' notations, in ASCII digits only: int() and \d also take a sign, spaces, underscores
# and other scripts' digits, each of which was once read as a date.
DATE_NOTATION = r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"
_NOTATION = re.compile(DATE_NOTATION)
_DATE_FORMS = {
    4: Precision.YEAR,
    7: Precision.MONTH,
    10: Precision.DAY,
}
_NOTATIONS = {Precision.YEAR: "YYYY", Precision.MONTH: "YYYY-MM", Precision.DAY: "YYYY-MM-DD"}
_FINENESS = {Precision.UNKNOWN: 0, Precision.YEAR: 1, Precision.MONTH: 2, Precision.DAY: 3}
# The members, read once: on Python 3.11 each ``Precision.DAY`` costs about 150 ns (a module global
# 15), and every date decoded from the log is checked (close to four an event).
_DAY, _MONTH, _YEAR, _UNKNOWN = Precision.DAY, Precision.MONTH, Precision.YEAR, Precision.UNKNOWN


class PartialDate(msgspec.Struct, frozen=True):
    """A date known to a day, a month, a year, or not at all (then ``value`` is None)."""

    value: date | None = None
    precision: Precision = Precision.UNKNOWN

    def __post_init__(self) -> None:
        # Every event decoded from the log checks its dates here; the common cases return first.
        value, precision = self.value, self.precision
        if value is None:
            if precision is not _UNKNOWN:
                raise InvalidValue(f"a date of precision {precision} must have a value (got None)")
            return
        if precision is _DAY:
            return
        if precision is _UNKNOWN:
            raise InvalidValue(f"a date of precision unknown must not have a value (got {value})")
        if precision is _MONTH and value.day != 1:
            raise InvalidValue(f"a month-precision date is the 1st of its month (got {value})")
        if precision is _YEAR and (value.month, value.day) != (1, 1):
            raise InvalidValue(f"a year-precision date is 1 January of its year (got {value})")

    @classmethod
    def parse(cls, text: str | int | date | None) -> PartialDate:
        """From the sources' notation: ``"2015"``, ``"2017-12"``, ``"2022-01-01"`` or None (unknown)."""
        if text is None:
            return UNKNOWN_DATE
        if isinstance(text, date):
            return cls(text, Precision.DAY)
        text = str(text)
        precision = _DATE_FORMS.get(len(text)) if _NOTATION.fullmatch(text) else None
        try:
            if precision is Precision.YEAR:
                return cls(date(int(text), 1, 1), precision)
            if precision is Precision.MONTH:
                return cls(date(int(text[:4]), int(text[5:7]), 1), precision)
            if precision is Precision.DAY:
                return cls(date.fromisoformat(text), precision)
        except ValueError as exc:
            raise InvalidValue(f"not a date: {text!r} ({exc})") from exc
        raise InvalidValue(f"not a date in the form YYYY, YYYY-MM or YYYY-MM-DD: {text!r}")

    @classmethod
    def written(cls, text: str | None, precision: Precision) -> PartialDate:
        """A date written out with its precision (``{"value": "2027-01", "precision": "month"}``):
        the notation gives at least that precision (a month as ``2027-01`` or ``2027-01-01``), and
        the date stands for its whole month or year."""
        if text is None or precision is Precision.UNKNOWN:
            return cls(None if text is None else cls.parse(text).value, precision)
        notation = cls.parse(text)
        if _FINENESS[notation.precision] < _FINENESS[precision]:
            raise InvalidValue(
                f"a date of precision {precision} is written {_NOTATIONS[precision]} (got {text!r})"
            )
        return cls(notation.value, precision)

    @classmethod
    def day(cls, value: date) -> PartialDate:
        return cls(value, Precision.DAY)

    @property
    def is_known(self) -> bool:
        return self.value is not None

    @property
    def earliest(self) -> date:
        """The first day this date can stand for; an unknown date reaches back to the beginning."""
        return date.min if self.value is None else self.value

    @property
    def latest(self) -> date:
        """The last day this date can stand for; an unknown date reaches into the future."""
        if self.value is None:
            return date.max
        if self.precision is _YEAR:
            return date(self.value.year, 12, 31)
        if self.precision is _MONTH:
            # December's last day directly: the day before the next 1st was 1 January 10000 for
            # December 9999, which no date holds.
            year, month = self.value.year, self.value.month
            return date(year, month, calendar.monthrange(year, month)[1])
        return self.value

    def day_before(self) -> PartialDate:
        """The last day before this one; at month or year precision the boundary lies within it."""
        if self.precision is Precision.DAY and self.value is not None and self.value > date.min:
            return PartialDate(self.value - timedelta(days=1), Precision.DAY)
        return self

    def __str__(self) -> str:
        if self.value is None:
            return "an unknown date"
        if self.precision is Precision.YEAR:
            return f"{self.value.year}"
        if self.precision is Precision.MONTH:
            return f"{self.value:%Y-%m}"
        return self.value.isoformat()


UNKNOWN_DATE = PartialDate()


class ValidPeriod(msgspec.Struct, frozen=True):
    """The valid time of a fact: first and last day (inclusive), each a PartialDate."""

    valid_from: PartialDate = UNKNOWN_DATE
    valid_until: PartialDate = UNKNOWN_DATE

    def __post_init__(self) -> None:
        if self.valid_until.latest < self.valid_from.earliest:
            raise InvalidPeriod(
                f"a period cannot end ({self.valid_until}) before it starts ({self.valid_from})"
            )

    def ended(self, valid_until: PartialDate, what: str) -> ValidPeriod:
        """This period ended on ``valid_until``; refused in the user's terms when that is before
        ``what`` (the fact, as the user knows it) started."""
        if valid_until.latest < self.valid_from.earliest:
            raise InvalidPeriod(
                f"{what} holds from {self.valid_from}; an end on {valid_until} comes before that. "
                f"Give its last day, on or after {self.valid_from}, or if it started on another "
                "day, correct that fact instead"
            )
        return ValidPeriod(self.valid_from, valid_until)

    def could_overlap(self, other: ValidPeriod) -> bool:
        """True if some reading of both periods' imprecise bounds shares at least one day."""
        return (
            self.valid_from.earliest <= other.valid_until.latest
            and other.valid_from.earliest <= self.valid_until.latest
        )

    @property
    def is_open(self) -> bool:
        """No end recorded: the fact holds until an end is recorded."""
        return not self.valid_until.is_known

    def could_hold_on(self, day: date) -> bool:
        return self.valid_from.earliest <= day <= self.valid_until.latest

    def certainly_holds_on(
        self, day: date, known_to_hold_since: PartialDate = UNKNOWN_DATE
    ) -> bool:
        """Whether a fact that could hold on ``day`` certainly does: its start is known and on or before
        ``day`` (to the precision it is known), and it is open or ends on or after ``day`` whatever
        reading of the end is taken. An unknown start counts as certain only from the day evidence
        shows the fact held (``known_to_hold_since``, see :func:`evidence_of_holding`): the sources did
        not say since when, but a source that states the fact shows it held on its own date."""
        start = self.valid_from if self.valid_from.is_known else known_to_hold_since
        if not start.is_known or start.latest > day:
            return False
        return self.is_open or day <= self.valid_until.earliest

    def __str__(self) -> str:
        start = (
            "from an unknown date" if not self.valid_from.is_known else f"from {self.valid_from}"
        )
        if self.is_open:
            return f"{start} (no end recorded)"
        return f"{start} until {self.valid_until}"
