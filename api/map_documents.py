"""A map as the API serves it: each authority and each provenance named once, rows referring to them.

The read models answer with the structs of ``projections.views``, where every fact carries its own
``authority`` and ``provenance``; on a region's map most facts share a handful of them, and repeating
them on every row made a map three times the size of what it says. A map document keeps the map's shape
but puts every distinct authority in ``authorities`` and every distinct provenance in ``provenances``,
keyed by a short id derived from its content (the same authority has the same id on every map), and a
row's ``authority``/``provenance`` is that id. Fields at their default (an unknown name, no scope, an
empty list, an unknown date) are left out.

The conversion walks the structs rather than listing the sections of a map: a field added to a view
struct is carried along, and any ``Authority`` or ``Provenance`` in it becomes a reference.
"""

from __future__ import annotations

import hashlib
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any

import msgspec

from domain.values import UNKNOWN_DATE, Authority, PartialDate, Provenance
from projections import views
from projections.views import BodyMap, CooperationMap, MapHeader, OrganisationView, RegionMap

REFERENCED = (Authority, Provenance)  # the values named once per map and referred to by id
TABLES = {Authority: "authorities", Provenance: "provenances"}


def _is_compacted(cls: type) -> bool:
    return cls in REFERENCED or cls.__module__ == views.__name__


def _annotation(tp: Any, *, referenced: bool) -> Any:
    """``tp`` with every view struct replaced by its compact form, and (``referenced``) every
    authority and provenance by the id that refers to it."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and _is_compacted(tp):
        if referenced and tp in REFERENCED:
            return str
        return compact_type(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:  # a Dutch label, for the pages only
        return _annotation(args[0], referenced=referenced)
    if not args:
        return tp
    mapped = tuple(a if a is Ellipsis else _annotation(a, referenced=referenced) for a in args)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[mapped]  # noqa: UP007 - built from a tuple of types
    return origin[mapped]


@cache
def compact_type(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The struct a view struct is served as: the same fields, defaults left out, and (within a map)
    authorities and provenances as ids. A map (a ``MapHeader``) also gets the two tables."""
    fields: list[tuple[str, Any, Any]] = []
    for field in msgspec.structs.fields(cls):
        default = (
            field.default
            if field.default is not msgspec.NODEFAULT
            else msgspec.field(default_factory=field.default_factory)
            if field.default_factory is not msgspec.NODEFAULT
            else msgspec.NODEFAULT
        )
        tp = _annotation(field.type, referenced=cls not in REFERENCED)
        if default is msgspec.NODEFAULT and field.type is PartialDate:
            default = UNKNOWN_DATE  # a bound nobody knows goes unsaid
        fields.append(
            (field.name, tp) if default is msgspec.NODEFAULT else (field.name, tp, default)
        )
    if issubclass(cls, MapHeader):
        fields.extend((TABLES[c], dict[str, compact_type(c)], {}) for c in REFERENCED)
        name = f"{cls.__name__}Document"
    else:
        name = f"Compact{cls.__name__}"
    return msgspec.defstruct(
        name, fields, kw_only=True, frozen=True, omit_defaults=True, module=__name__
    )


def _short_id(value: msgspec.Struct) -> str:
    return hashlib.blake2b(msgspec.json.encode(value), digest_size=4).hexdigest()


class _References:
    """The authorities and provenances a map refers to, by id."""

    def __init__(self) -> None:
        self.tables: dict[type, dict[str, Any]] = {cls: {} for cls in REFERENCED}

    def refer(self, value: msgspec.Struct) -> str:
        table = self.tables[type(value)]
        ref = _short_id(value)
        if ref not in table:  # most rows share a few: each is compacted once
            table[ref] = _compact(value, self, referenced=False)
        return ref


# Values a map holds as they are; most of a map's values are these, so they are told apart first.
_LEAVES = frozenset({str, int, float, bool, type(None), date, datetime})


def _compact(value: Any, refs: _References, *, referenced: bool = True) -> Any:
    if type(value) in _LEAVES:
        return value
    if isinstance(value, msgspec.Struct) and _is_compacted(type(value)):
        if referenced and isinstance(value, REFERENCED):
            return refs.refer(value)
        inner = type(value) not in REFERENCED
        return compact_type(type(value))(
            **{
                name: _compact(getattr(value, name), refs, referenced=inner)
                for name in value.__struct_fields__
            }
        )
    if isinstance(value, PartialDate) and value == UNKNOWN_DATE:
        return UNKNOWN_DATE  # omit_defaults leaves out the default object itself, not its equals
    if isinstance(value, tuple | list):
        return tuple(_compact(item, refs, referenced=referenced) for item in value)
    return value


def map_document(view: MapHeader) -> msgspec.Struct:
    """``view`` as it is served: authorities and provenances named once, rows referring to them."""
    refs = _References()
    rows = _compact(view, refs)
    return msgspec.structs.replace(rows, **{TABLES[c]: refs.tables[c] for c in REFERENCED})


RegionMapDocument = compact_type(RegionMap)
CooperationMapDocument = compact_type(CooperationMap)
OrganisationViewDocument = compact_type(OrganisationView)
BodyMapDocument = compact_type(BodyMap)
