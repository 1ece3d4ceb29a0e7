"""The values in the fact rows of the governance maps, as the maps serve them: dates with their
precision, moments in UTC, a row's details and attribution decoded, a view filled from its details, and
the order a map lists its entries in. ``projections.map_rows`` reads the rows with these; the
projection's handlers store a fact's details by the same field list (``view_details``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar, get_args

import msgspec

from domain.values import Authority, PartialDate, Precision, Provenance
from projections import views
from projections.schema import read_model_tables
from projections.views import Fact, MapHeader, Named


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


def view_details(view: type[msgspec.Struct], event: Any, **details: Any) -> dict[str, Any]:
    """The details a fact row stores for ``view``: each field of the view that ``event`` carries under
    the same name, as it carries it, and ``details`` (values worked out from the event, which take
    precedence, and what the map cites without showing: a basis, notes). ``view_from`` reads them
    back, so a field added to an event and to its view needs no line in its handler. Left out are the
    fields the row keeps in columns (the fact's period and attribution, its agreement, status, role
    ...), a map's moment and position, and those a map composes (a registered thing by its name, a
    contract, conflicts)."""
    carried = {name: getattr(event, name) for name in _stored(view) if hasattr(event, name)}
    return {**carried, **details}


# The columns of a fact row besides its details: a view field of one of these names is read from them.
_COLUMNS = frozenset(read_model_tables().facts.columns.keys())


@cache
def _stored(view: type[msgspec.Struct]) -> tuple[str, ...]:
    own = {*Fact.__struct_fields__, *MapHeader.__struct_fields__, *_COLUMNS}
    return tuple(name for name, kind in _fields(view) if name not in own and not _composed(kind))


def _composed(kind: Any) -> bool:
    """Whether a field's values are structs of the maps (``projections.views``), which a map composes
    from names and other rows rather than reading them from the event."""
    if isinstance(kind, type) and kind.__module__ == views.__name__:
        return True
    return any(_composed(inner) for inner in get_args(kind))


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
