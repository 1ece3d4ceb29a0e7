"""Which regions, cooperations, organisations and municipalities an event concerns.

Events keep the slugs of everything they name, so read models and region feeds need no lookups. Slug
attributes are named by what they refer to, and :func:`concerns` relies on that convention:

- ``region``/``regions`` or a name ending in ``_region``/``_regions``  → regions
- ``municipality``/``municipalities`` or ending in ``_municipality``/``_municipalities`` → municipalities
- ``cooperation`` or ending in ``_cooperation`` → cooperations
- ``organisation``/``organisations`` or ending in ``_organisation``/``_organisations``, and
  ``expertise_centre``, ``suppliers``, ``recipients``, ``provider`` → organisations
- any :class:`~domain.values.SubjectRef` (or tuple of them) → by its kind, and so any registered
  :class:`~domain.accountability.Owner` of an action (a workgroup or another party names nothing)
- ``corrected_concerns`` (on ``FactCorrected``) → what the corrected event concerned

Nested value objects (msgspec Structs such as ``AgreementTerms``) are searched by the same convention.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

import msgspec

from domain.accountability import Owner
from domain.values import SubjectKind, SubjectRef


class Concerns(msgspec.Struct, frozen=True, kw_only=True):
    regions: tuple[str, ...] = ()
    cooperations: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()


# Who decided and where it is written say nothing about what a fact concerns: a municipality's
# college deciding for its region does not make the decision concern that municipality.
_NEVER_TELLING = frozenset({"authority", "provenance"})
_ORGANISATION_FIELDS = frozenset({"expertise_centre", "suppliers", "recipients", "provider"})
# The category of ``Concerns`` that holds a subject of each kind.
CATEGORY_BY_KIND = {
    SubjectKind.REGION: "regions",
    SubjectKind.COOPERATION: "cooperations",
    SubjectKind.ORGANISATION: "organisations",
    SubjectKind.MUNICIPALITY: "municipalities",
}


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


# (attribute, index into the four categories its name gives, or None)
_Telling = tuple[tuple[str, int | None], ...]
_CATEGORIES = ("regions", "cooperations", "organisations", "municipalities")
_INDEX = {category: index for index, category in enumerate(_CATEGORIES)}
_INDEX_BY_KIND = {kind: _INDEX[category] for kind, category in CATEGORY_BY_KIND.items()}
_INDEX_BY_OWNER_KIND = {str(kind): index for kind, index in _INDEX_BY_KIND.items()}


def _index(name: str) -> int | None:
    category = _category(name)
    return None if category is None else _INDEX[category]


def _collect(attributes: Iterable[tuple[int | None, Any]], found: tuple[list[str], ...]) -> None:
    """Adds the slugs in ``attributes`` (the category a name gives, value) to ``found``."""
    for index, value in attributes:
        if isinstance(value, Concerns):
            for category, slugs in zip(_CATEGORIES, found, strict=True):
                slugs.extend(getattr(value, category))
            continue
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, SubjectRef):
                kind_index = _INDEX_BY_KIND.get(item.kind)
                if kind_index is not None:
                    found[kind_index].append(item.slug)
            elif isinstance(item, Owner):
                owner_index = _INDEX_BY_OWNER_KIND.get(item.kind)
                if owner_index is not None and item.slug is not None:
                    found[owner_index].append(item.slug)
            elif isinstance(item, msgspec.Struct):
                telling = _telling_fields(type(item))
                if telling:
                    _collect([(i, getattr(item, name)) for name, i in telling], found)
            elif index is not None and isinstance(item, str):
                found[index].append(item)


@cache
def _telling_fields(struct_type: type[msgspec.Struct]) -> _Telling:
    """The fields of a Struct type that can name anything (dates, authorities and sources cannot);
    read models call :func:`concerns` for every event they replay, so the others are skipped."""
    return tuple(
        (field.name, _index(field.name))
        for field in msgspec.structs.fields(struct_type)
        if field.name not in _NEVER_TELLING
        and (_category(field.name) or _type_may_concern(field.type))
    )


def _type_may_concern(annotation: Any) -> bool:
    if annotation in (SubjectRef, Concerns, Owner):
        return True
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return bool(_telling_fields(annotation))
    return any(_type_may_concern(arg) for arg in typing.get_args(annotation))


@cache
def _telling_attributes(event_class: type) -> _Telling | None:
    """The attributes of a dataclass event that can name anything (by name or by type); None for
    other classes, whose attributes are all looked at."""
    if not dataclasses.is_dataclass(event_class):
        return None
    hints = typing.get_type_hints(event_class)
    return tuple(
        (field.name, _index(field.name))
        for field in dataclasses.fields(event_class)
        if field.name not in _NEVER_TELLING
        and (_category(field.name) or _type_may_concern(hints[field.name]))
    )


def telling_attributes(event_class: type) -> tuple[str, ...]:
    """The attributes of an event (a dataclass) of ``event_class`` that :func:`concerns` looks at."""
    return tuple(name for name, _ in _telling_attributes(event_class) or ())


def concerns(event: Any) -> Concerns:
    """The slugs of the regions, cooperations, organisations and municipalities ``event`` (or a
    command, which follows the same naming convention) names."""
    found: tuple[list[str], ...] = ([], [], [], [])
    if isinstance(event, msgspec.Struct):  # a command names what it touches the same way
        _collect([(i, getattr(event, name)) for name, i in _telling_fields(type(event))], found)
    else:
        telling = _telling_attributes(type(event))
        attributes = vars(event)
        _collect(
            [(_index(name), value) for name, value in attributes.items()]
            if telling is None
            else [(i, attributes[name]) for name, i in telling],
            found,
        )
    regions, cooperations, organisations, municipalities = found
    return Concerns(
        regions=_unique(regions),
        cooperations=_unique(cooperations),
        organisations=_unique(organisations),
        municipalities=_unique(municipalities),
    )


def _unique(slugs: list[str]) -> tuple[str, ...]:
    # Read models describe every event they replay, and most name one thing or none.
    return tuple(dict.fromkeys(slugs)) if len(slugs) > 1 else tuple(slugs)
