"""Hypothesis strategies for the domain's value objects and events."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, date
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import strategies as st

from domain.accountability import REGISTERED_OWNERS, Deadline, Owner, OwnerKind
from domain.values import (
    UNKNOWN_DATE,
    Authority,
    AuthorityKind,
    Contract,
    MunicipalOrgan,
    PartialDate,
    Precision,
    Provenance,
    TermStructure,
    ValidPeriod,
)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
partial_dates = st.one_of(
    st.just(UNKNOWN_DATE),
    days.map(PartialDate.day),
    days.map(lambda d: PartialDate(d.replace(day=1), Precision.MONTH)),
    days.map(lambda d: PartialDate(d.replace(month=1, day=1), Precision.YEAR)),
)
slugs = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
source_refs = st.builds(
    lambda s, a, b: f"{s}:L{a}" if b is None else f"{s}:L{a}-L{a + b}",
    slugs,
    st.integers(1, 5000),
    st.none() | st.integers(0, 50),
)
years = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(10), places=1)
term_structures = st.builds(TermStructure, years, st.lists(years, max_size=4).map(tuple))


def _contract(
    start: PartialDate,
    term: TermStructure | None,
    term_text: str | None,
    funding: str | None,
    with_max: bool,
) -> Contract:
    return Contract(
        start=start,
        term=term,
        term_text=term_text,
        max_years=term.max_years if term and with_max else None,
        funding=funding,
    )


@st.composite
def _valid_periods(draw: st.DrawFn) -> ValidPeriod:
    a, b = draw(partial_dates), draw(partial_dates)
    if b.latest < a.earliest:
        a, b = b, a
    if b.latest < a.earliest:
        return ValidPeriod(a, UNKNOWN_DATE)
    return ValidPeriod(a, b)


st.register_type_strategy(PartialDate, partial_dates)
st.register_type_strategy(ValidPeriod, _valid_periods())
st.register_type_strategy(TermStructure, term_structures)
st.register_type_strategy(Decimal, st.decimals(allow_nan=False, allow_infinity=False, places=2))
st.register_type_strategy(
    Provenance,
    st.builds(
        Provenance,
        sources=st.lists(source_refs, max_size=3).map(tuple),
        inferred=st.booleans(),
        inferred_note=st.none() | st.text(max_size=20),
    ),
)
_known_dates = partial_dates.filter(lambda d: d.is_known)
_texts = st.text(min_size=1, max_size=20)
st.register_type_strategy(
    Authority,
    st.one_of(
        # as events recorded before every decision had to cite one: any part may be missing
        st.builds(
            Authority,
            body=st.none() | slugs,
            decision_date=partial_dates,
            document=st.none() | _texts,
        ),
        st.builds(
            Authority,
            kind=st.just(AuthorityKind.BODY),
            body=slugs,
            decision_date=_known_dates,
            document=_texts,
        ),
        st.builds(
            Authority,
            kind=st.just(AuthorityKind.MUNICIPALITY),
            municipality=slugs,
            organ=st.sampled_from(MunicipalOrgan),
            decision_date=_known_dates,
            document=_texts,
        ),
        st.builds(
            Authority,
            kind=st.just(AuthorityKind.EXTERNAL),
            external=_texts,
            decision_date=_known_dates,
            document=_texts,
        ),
        st.builds(
            Authority,
            kind=st.just(AuthorityKind.SOURCE),
            body=st.none() | slugs,
            decision_date=partial_dates,
            document=_texts,
        ),
    ),
)
st.register_type_strategy(
    Contract,
    st.builds(
        _contract,
        partial_dates,
        st.none() | term_structures,
        st.none() | st.text(max_size=10),
        st.none() | st.text(max_size=10),
        st.booleans(),
    ),
)

_notations = st.one_of(
    st.none(),
    days.map(lambda d: f"{d:%Y}"),
    days.map(lambda d: f"{d:%Y-%m}"),
    days.map(lambda d: d.isoformat()),
    st.tuples(days, st.sampled_from(["Q1", "Q2", "Q3", "Q4", "voorjaar", "winter"])).map(
        lambda pair: f"{pair[0]:%Y}-{pair[1]}"
    ),
)
st.register_type_strategy(
    Deadline, st.builds(Deadline, notation=_notations, as_written=st.text(max_size=20))
)
st.register_type_strategy(
    Owner,
    st.one_of(
        st.builds(Owner, kind=st.sampled_from(sorted(REGISTERED_OWNERS)), slug=slugs),
        st.builds(
            Owner,
            kind=st.sampled_from([OwnerKind.WORKGROUP, OwnerKind.OTHER]),
            name=st.text(min_size=1, max_size=20).filter(str.strip),
        ),
    ),
)


def for_type(hint: Any) -> st.SearchStrategy[Any]:
    """Like st.from_type, but building msgspec Structs field by field (with registered overrides)."""
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        registered = (
            PartialDate,
            ValidPeriod,
            TermStructure,
            Provenance,
            Contract,
            Authority,
            Deadline,
            Owner,
        )
        return st.from_type(hint) if hint in registered else _struct(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(for_type(args[0]), max_size=3).map(tuple)
        return st.tuples(*(for_type(a) for a in args))
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(for_type(a) for a in args))
    if hint is str:
        return st.text(max_size=20)
    if hint is type(None):
        return st.none()
    return st.from_type(hint)


def _struct(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{name: for_type(hints[name]) for name in cls.__struct_fields__})


def events_of(event_class: type) -> st.SearchStrategy[Any]:
    """Any instance of a domain event class, with aware UTC timestamps."""
    hints = typing.get_type_hints(event_class)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in dataclasses.fields(event_class):
        if field.name == "timestamp":
            fields[field.name] = st.datetimes(timezones=st.just(UTC))
        elif field.name in ("originator_id", "corrects_id"):
            fields[field.name] = st.uuids()
        elif field.name == "originator_version":
            fields[field.name] = st.integers(1, 10_000)
        elif field.name == "originator_topic":
            fields[field.name] = st.just(
                f"{event_class.__module__}:{event_class.__qualname__.split('.')[0]}"
            )
        else:
            fields[field.name] = for_type(hints[field.name])
    return st.builds(event_class, **fields)
