"""The history rows of the governance maps: one ``map_events`` row per event and its ``map_event_subjects``
links, computed from the event alone.

Nothing here reads the database, so a large catch-up (a rebuild) can compute these rows in a second
process (``projections.worker``) while the first applies the events that change facts. The one value
that needs the tables, the log position a correction corrects, is left to the projector
(``History.corrections``).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

import msgspec

from domain.base import GovernanceAggregate
from domain.concerns import CATEGORY_BY_KIND, telling_attributes
from domain.events import describe, slug_attribute
from domain.values import Precision, SubjectKind, SubjectRef

# The columns of a history row and of a history link, in the order they are built here.
EVENT_COLUMNS = (
    "position",
    "recorded_at",
    "event_name",
    "subject_kind",
    "subject_slug",
    "originator_id",
    "originator_version",
    "description",
    "valid_from",
    "valid_from_precision",
    "valid_until",
    "valid_until_precision",
    "attribution",
    "corrects_position",
)
SUBJECT_COLUMNS = ("subject_kind", "subject_slug", "position")
_ORIGINATOR_ID, _ORIGINATOR_VERSION = (
    EVENT_COLUMNS.index("originator_id"),
    EVENT_COLUMNS.index("originator_version"),
)
ATTRIBUTION = EVENT_COLUMNS.index("attribution")

_encoder = msgspec.json.Encoder()


def to_utc_naive(moment: datetime) -> datetime:
    """Record times are stored as naive UTC; a naive input is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def sqlite_value(value: Any) -> Any:
    """The text SQLAlchemy's SQLite types store for dates and timestamps (so its queries compare them)."""
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_is(value: Any) -> Any:
    return value


def sqlite_record_time(moment: datetime) -> str:
    """``sqlite_value(to_utc_naive(moment))``; a UTC timestamp (as the log's are) is formatted
    directly, without the naive copy, which took half the time of a history row's record time."""
    if moment.tzinfo is UTC:
        return moment.isoformat(" ", "microseconds")[:-6]  # without "+00:00"
    return sqlite_value(to_utc_naive(moment))


# Stands for NULL in a nullable column of a row bound on SQLite; the writer's statement turns it back
# into NULL (``NULLIF``, ``projections.writer``). Python's sqlite3 module binds text and numbers
# directly but sends None through its adapter look-up first (a tuple built, a dict and two attribute
# look-ups): 0.3 µs a value against 0.03 µs for a number, and a fact row holds about eight Nones, a
# history row one or two. No column holds a negative number (positions, versions and ids count from 0
# or 1), and in ``NULLIF`` a number never equals text.
SQLITE_NULL = -1


class RowForm(NamedTuple):
    """How a database's driver takes a row's values: a record time, and NULL."""

    record_time: Callable[[datetime], Any]
    null: Any


SQLITE_ROWS = RowForm(sqlite_record_time, SQLITE_NULL)
POSTGRESQL_ROWS = RowForm(to_utc_naive, None)


def row_form(sqlite: bool) -> RowForm:
    return SQLITE_ROWS if sqlite else POSTGRESQL_ROWS


def attribution_of(event: Any) -> str:
    """The authority, principal and provenance of ``event`` as stored with every row it writes."""
    return _encoder.encode(
        {
            "authority": _without_defaults(event.authority),
            "principal": event.principal,
            "provenance": _without_defaults(event.provenance),
        }
    ).decode()


def _without_defaults(value: msgspec.Struct) -> dict[str, Any]:
    """A Struct's fields that differ from their defaults: the readers' decoder fills in the rest, and
    a million history rows are a fifth smaller without the rest."""
    return {
        name: field_value
        for name, default in _defaults(type(value))
        if (field_value := getattr(value, name)) != default
    }


@cache
def _defaults(struct_type: type[msgspec.Struct]) -> tuple[tuple[str, Any], ...]:
    return tuple((field.name, field.default) for field in msgspec.structs.fields(struct_type))


class History(NamedTuple):
    """The history rows of a run of events, in ``EVENT_COLUMNS`` and ``SUBJECT_COLUMNS`` order."""

    events: list[tuple[Any, ...]]
    subjects: list[tuple[str, str, int]]
    # (position, "<originator id>:<version>" it corrects) of each correction, whose
    # ``corrects_position`` the projector fills in.
    corrections: list[tuple[int, str]]

    def merged(self, other: History) -> History:
        """These rows and those of ``other`` (of other events), in log order."""
        return History(
            sorted(self.events + other.events, key=itemgetter(0)),
            self.subjects + other.subjects,
            self.corrections + other.corrections,
        )

    def positions(self) -> dict[str, int]:
        """ "<originator id>:<version>" → position, of the events in these rows."""
        return {f"{row[_ORIGINATOR_ID]}:{row[_ORIGINATOR_VERSION]}": row[0] for row in self.events}


def history_of(events: Sequence[tuple[int, Any]], form: RowForm) -> History:
    """The history rows of ``events`` (position, domain event), their values in the ``form`` the
    database's driver takes (``SQLITE_ROWS`` or ``POSTGRESQL_ROWS``)."""
    record_time, null = form
    rows: list[tuple[Any, ...]] = []
    links: list[tuple[str, str, int]] = []
    corrections: list[tuple[int, str]] = []
    for position, event in events:
        info = describe(event)
        name, described = _described_attributes(type(event))
        if isinstance(event, GovernanceAggregate.FactCorrected):
            corrections.append((position, f"{event.corrects_id}:{event.corrects_version}"))
        valid_from, valid_until = event.valid_from, event.valid_until
        rows.append(
            (
                position,
                record_time(event.timestamp),
                name,
                _TEXT[info.aggregate_kind],
                info.slug,
                str(event.originator_id),
                event.originator_version,
                _description(event, name, info.slug, described),
                null if valid_from.value is None else valid_from.value.isoformat(),
                _TEXT[valid_from.precision],
                null if valid_until.value is None else valid_until.value.isoformat(),
                _TEXT[valid_until.precision],
                attribution_of(event),
                null,  # corrects_position: filled in by the projector for a correction
            )
        )
        links.extend([(kind, slug, position) for kind, slug in _history_subjects(event, info)])
    return History(rows, links, corrections)


# The text of an enumeration's member, looked up rather than converted: three per history row.
_TEXT: dict[Any, str] = {
    member: member.value for enum in (SubjectKind, Precision) for member in enum
}


def _description(event: Any, name: str, slug: str, described: tuple[str, ...]) -> str:
    """A one-line account of the event: its name, subject and the attributes that say what changed."""
    parts = []
    for attribute in described:
        value = getattr(event, attribute)
        if isinstance(value, SubjectRef):
            parts.append(f"{attribute}={value.kind}:{value.slug}")
        elif isinstance(value, int) or (isinstance(value, str) and len(value) <= 120):
            parts.append(f"{attribute}={value}")
        else:
            continue
        if len(parts) == 8:
            break
    return f"{name} {slug}: " + ", ".join(parts)


@cache
def _described_attributes(event_class: type) -> tuple[str, tuple[str, ...]]:
    """An event class's name and the attributes its description may show: those whose values can
    be a reference, a number or text (the decoder gives every attribute its annotated type). The
    class is a domain event's (a dataclass) or a light event's (``projections.light_events``: a
    Struct of the attributes read here, typed and ordered as the domain event's)."""
    return event_class.__qualname__, tuple(
        name
        for name, annotation in _annotated_attributes(event_class)
        if name not in _COMMON_ATTRIBUTES
        and name != "originator_id"
        and _may_be_described(annotation)
    )


def _annotated_attributes(event_class: type) -> list[tuple[str, Any]]:
    if issubclass(event_class, msgspec.Struct):
        return [(field.name, field.type) for field in msgspec.structs.fields(event_class)]
    hints = typing.get_type_hints(event_class)
    return [(field.name, hints[field.name]) for field in dataclasses.fields(event_class)]


def attributes_read(event_class: type) -> frozenset[str]:
    """The attributes of an event of ``event_class`` (a domain event class) that ``history_of``
    reads: what a light event of it holds (``projections.light_events``)."""
    return frozenset(
        {
            *_COMMON_ATTRIBUTES,
            *_described_attributes(event_class)[1],
            *_LINKED_ATTRIBUTES,
            slug_attribute(event_class),
            *telling_attributes(event_class),
        }
    )


def _may_be_described(annotation: Any) -> bool:
    if annotation is Any or annotation is object:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, SubjectRef | int | str)
    return any(_may_be_described(arg) for arg in typing.get_args(annotation))


_COMMON_ATTRIBUTES = frozenset(
    {
        "originator_version",
        "timestamp",
        "valid_from",
        "valid_until",
        "authority",
        "principal",
        "provenance",
        "corrected_concerns",
    }
)

# Each category of ``Concerns`` with the kind of subject it holds, as history rows store it.
_CATEGORIES = tuple((str(kind), category) for kind, category in CATEGORY_BY_KIND.items())
_AGREEMENT = str(SubjectKind.AGREEMENT)
# The attributes that link an event's history row to an agreement or to the subject they refer to.
_REFERENCES = ("owner", "subject", "of")
_LINKED_ATTRIBUTES = ("agreement", *_REFERENCES)


def _history_subjects(event: Any, info: Any) -> set[tuple[str, str]]:
    """Everything an event's history row is linked to: its aggregate, what it concerns, the
    agreement it belongs to and the subjects it refers to."""
    concerned = info.concerns
    seen = {(_TEXT[info.aggregate_kind], info.slug)}
    for kind, category in _CATEGORIES:
        for slug in getattr(concerned, category):
            seen.add((kind, slug))
    agreement = getattr(event, "agreement", None)
    if isinstance(agreement, str):
        seen.add((_AGREEMENT, agreement))
    for pair in _REFERENCES:
        ref = getattr(event, pair, None)
        if isinstance(ref, SubjectRef):
            seen.add((_TEXT[ref.kind], ref.slug))
    return seen
