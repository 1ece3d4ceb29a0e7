"""Who must do what by when: the deadline of a commitment, an action or a milestone, and its owner.

Deadlines in the sources come at every precision: a day ("1-4-2021"), a month ("uiterlijk november
2021"), a quarter ("Q1 2021"), a season ("voorjaar 2021"), a year ("Streven van de regio: 2022"), or not
at all ("Er is nog geen datum bekend"). A :class:`Deadline` keeps the precision it was given in and the
words it was written in; it stands for the last day of its period. Something due by a deadline is
**overdue on a day** when that day comes after the deadline's last day and it is not done: "November
2021" is overdue on 2021-12-01, not on 2021-11-30. An unknown deadline is never overdue.

Seasons are the meteorological ones: voorjaar March to May, zomer June to August, najaar September to
November, winter December to February (winter 2021 ends in February 2022).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

import msgspec

from domain.dates import PartialDate, Precision
from domain.errors import InvalidValue
from domain.text import require_slug


class DeadlinePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    SEASON = "season"
    YEAR = "year"
    UNKNOWN = "unknown"


# A season's first month and how many months it spans.
SEASON_MONTHS = {"voorjaar": 3, "zomer": 6, "najaar": 9, "winter": 12}
_NOTATION = re.compile(
    r"^(?P<year>\d{4})(?:-(?:(?P<quarter>Q[1-4])|(?P<season>voorjaar|zomer|najaar|winter)"
    r"|(?P<month>\d{2})(?:-(?P<day>\d{2}))?))?$(?!\n)"
)
NOTATION_HELP = (
    "YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Q1..Q4, YYYY-voorjaar/zomer/najaar/winter, or none (unknown)"
)


def _month_end(year: int, month: int) -> date:
    """The last day of ``month`` of ``year``; months past December run on into the next year (a
    ValueError past the year 9999, as for any date)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return PartialDate(date(year, month, 1), Precision.MONTH).latest


class Deadline(msgspec.Struct, frozen=True, kw_only=True):
    """A deadline in the notation of :data:`NOTATION_HELP` (None: not known), with the words the
    source used (``as_written``: "afgerond uiterlijk november 2021")."""

    notation: str | None = None
    as_written: str = ""

    def __post_init__(self) -> None:
        if self.notation is not None:
            self.last_day  # noqa: B018 - refuses a notation that names no period

    @property
    def precision(self) -> DeadlinePrecision:
        if self.notation is None:
            return DeadlinePrecision.UNKNOWN
        parts = self._parts()
        for name in ("day", "month", "quarter", "season"):
            if parts[name]:
                return DeadlinePrecision(name)
        return DeadlinePrecision.YEAR

    def _parts(self) -> dict[str, str | None]:
        match = _NOTATION.match(self.notation or "")
        if match is None:
            raise InvalidValue(f"not a deadline: {self.notation!r}; write {NOTATION_HELP}")
        return match.groupdict()

    @property
    def last_day(self) -> date | None:
        """The last day the deadline allows; None when it is not known."""
        if self.notation is None:
            return None
        parts = self._parts()
        year = int(parts["year"] or 0)
        try:
            if parts["day"]:
                return date(year, int(parts["month"] or 0), int(parts["day"]))
            if parts["month"]:
                month = date(year, int(parts["month"]), 1).month  # refuses month 13
                return _month_end(year, month)
            if parts["quarter"]:
                return _month_end(year, 3 * int(parts["quarter"][1]))
            if parts["season"]:
                return _month_end(year, SEASON_MONTHS[parts["season"]] + 2)
            return date(year, 12, 31)
        except ValueError as error:
            raise InvalidValue(f"not a deadline: {self.notation!r} ({error})") from error

    @property
    def is_known(self) -> bool:
        return self.notation is not None

    def is_overdue_on(self, day: date, *, done: bool = False) -> bool:
        """Whether something due by this deadline and not ``done`` is overdue on ``day``."""
        last = self.last_day
        return not done and last is not None and day > last

    def became_overdue_between(self, first: date, second: date) -> bool:
        """Whether it was not yet overdue on ``first`` and is overdue on ``second`` (not done)."""
        return not self.is_overdue_on(first) and self.is_overdue_on(second)


UNKNOWN_DEADLINE = Deadline()


class OwnerKind(StrEnum):
    """Who owns an action or a commitment. The registered kinds are named by their slug; a workgroup
    or another party the registry does not hold ("Werkgroep wachtlijsten", "Rijk") by its name."""

    REGION = "region"
    MUNICIPALITY = "municipality"
    COOPERATION = "cooperation"  # "Bovenregionaal": the cooperation above the regions
    BODY = "body"
    ORGANISATION = "organisation"  # a provider, a GI, a network
    WORKGROUP = "workgroup"
    OTHER = "other"


REGISTERED_OWNERS = frozenset(
    {
        OwnerKind.REGION,
        OwnerKind.MUNICIPALITY,
        OwnerKind.COOPERATION,
        OwnerKind.BODY,
        OwnerKind.ORGANISATION,
    }
)


class Owner(msgspec.Struct, frozen=True, kw_only=True):
    """Who acts: a registered subject (``slug``), or a named party outside the registry (``name``).
    A registered owner may carry a name too, as the source wrote it ("Hele regio")."""

    kind: OwnerKind
    slug: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind in REGISTERED_OWNERS:
            if self.slug is None:
                raise InvalidValue(f"an owner of kind {self.kind} is named by its slug")
            require_slug(self.slug, f"the {self.kind} owning it")
        elif self.slug is not None or not self.name.strip():
            raise InvalidValue(f"an owner of kind {self.kind} has a name and no slug")
