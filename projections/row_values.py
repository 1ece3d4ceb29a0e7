"""The values in the fact rows of the governance maps, as the maps serve them: dates with their
precision, moments in UTC, a row's details and attribution decoded, a view filled from its details, and
the order a map lists its entries in. ``projections.map_rows`` reads the rows with these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar

import msgspec

from domain.values import Authority, PartialDate, Precision, Provenance
from projections.views import Named


class _Attribution(msgspec.Struct, frozen=True):
    authority: Authority
    principal: str
    provenance: Provenance


attribution_decoder = msgspec.json.Decoder(_Attribution)
details_decoder = msgspec.json.Decoder(dict[str, Any])


def partial_date(earliest: date, precision: str) -> PartialDate:
    if precision == Precision.UNKNOWN:
        return PartialDate()
    return PartialDate(earliest, Precision(precision))


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def details_of(row: Any) -> dict[str, Any]:
    return details_decoder.decode(row["details"])


V = TypeVar("V", bound=msgspec.Struct)


def view_from(view: type[V], details: Mapping[str, Any], **read: Any) -> V:
    """A view of a fact row: the fields ``read`` from its columns (or reworked), and each other field of
    ``view`` its details hold as the projection stored it. The view's fields are the one list: a field
    the handler puts in the details and the view declares needs no line here. A null keeps the view's
    default."""
    carried = {
        name: msgspec.convert(details[name], kind)
        for name, kind in _fields(view)
        if name not in read and details.get(name) is not None
    }
    return view(**read, **carried)


@cache
def _fields(view: type[msgspec.Struct]) -> tuple[tuple[str, Any], ...]:
    # Once per view: ``msgspec.structs.fields`` resolves every annotation again on each call.
    return tuple((field.name, field.type) for field in msgspec.structs.fields(view))


def sorted_by(items: Iterable[Any], *keys: str) -> tuple[Any, ...]:
    def key(item: Any) -> tuple[Any, ...]:
        values = []
        for name in keys:
            value = getattr(item, name)
            values.append(value.slug if isinstance(value, Named) else (value or ""))
        return (*values, item.recorded_position)

    return tuple(sorted(items, key=key))


def stored_partial(value: str | None, precision: str) -> PartialDate:
    if value is None:
        return PartialDate()
    return PartialDate(date.fromisoformat(value), Precision(precision))
