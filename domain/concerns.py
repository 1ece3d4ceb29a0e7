"""Which regions, cooperations, organisations and municipalities an event concerns.

Events keep the slugs of everything they name, so read models and region feeds need no lookups. Slug
attributes are named by what they refer to, and :func:`concerns` relies on that convention:

- ``region``/``regions`` or a name ending in ``_region``/``_regions``  → regions
- ``municipality``/``municipalities`` or ending in ``_municipality``/``_municipalities`` → municipalities
- ``cooperation`` or ending in ``_cooperation`` → cooperations
- ``organisation``/``organisations`` or ending in ``_organisation``/``_organisations``, and
  ``expertise_centre``, ``suppliers``, ``recipients``, ``provider`` → organisations
- any :class:`~domain.values.SubjectRef` (or tuple of them) → by its kind
- ``corrected_concerns`` (on ``FactCorrected``) → what the corrected event concerned

Nested value objects (msgspec Structs such as ``AgreementTerms``) are searched by the same convention.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

import msgspec

from domain.values import SubjectKind, SubjectRef


class Concerns(msgspec.Struct, frozen=True, kw_only=True):
    regions: tuple[str, ...] = ()
    cooperations: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()


_ORGANISATION_FIELDS = frozenset({"expertise_centre", "suppliers", "recipients", "provider"})
_CATEGORY_BY_KIND = {
    SubjectKind.REGION: "regions",
    SubjectKind.COOPERATION: "cooperations",
    SubjectKind.ORGANISATION: "organisations",
    SubjectKind.MUNICIPALITY: "municipalities",
}


def _union(a: tuple[str, ...], b: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))


@cache
def _category(name: str) -> str | None:
    for word, category in (
        ("region", "regions"),
        ("municipality", "municipalities"),
        ("cooperation", "cooperations"),
        ("organisation", "organisations"),
    ):
        plural = category
        if name in (word, plural) or name.endswith((f"_{word}", f"_{plural}")):
            return category
    return "organisations" if name in _ORGANISATION_FIELDS else None


def _collect(attributes: Iterable[tuple[str, Any]], found: dict[str, list[str]]) -> None:
    for name, value in attributes:
        if isinstance(value, Concerns):
            for category, slugs in found.items():
                slugs.extend(getattr(value, category))
            continue
        category = _category(name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, SubjectRef):
                kind_category = _CATEGORY_BY_KIND.get(item.kind)
                if kind_category:
                    found[kind_category].append(item.slug)
            elif isinstance(item, msgspec.Struct):
                if _may_concern(type(item)):
                    _collect(((f, getattr(item, f)) for f in item.__struct_fields__), found)
            elif category and isinstance(item, str):
                found[category].append(item)


@cache
def _may_concern(struct_type: type[msgspec.Struct]) -> bool:
    """Whether values of this Struct type can name anything (dates, authorities and sources cannot);
    read models call :func:`concerns` for every event they replay, so the others are skipped."""
    return any(
        _category(field.name) or _type_may_concern(field.type)
        for field in msgspec.structs.fields(struct_type)
    )


def _type_may_concern(annotation: Any) -> bool:
    if annotation is SubjectRef or annotation is Concerns:
        return True
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return _may_concern(annotation)
    return any(_type_may_concern(arg) for arg in typing.get_args(annotation))


def concerns(event: Any) -> Concerns:
    """The slugs of the regions, cooperations, organisations and municipalities ``event`` (or a
    command, which follows the same naming convention) names."""
    found: dict[str, list[str]] = {
        c: [] for c in ("regions", "cooperations", "organisations", "municipalities")
    }
    if isinstance(event, msgspec.Struct):  # a command names what it touches the same way
        _collect(((f, getattr(event, f)) for f in event.__struct_fields__), found)
    else:
        _collect(vars(event).items(), found)
    return Concerns(**{k: _union((), v) for k, v in found.items()})
