"""What the API sends and receives, as msgspec Structs (the OpenAPI document is generated from them).

Command bodies are the commands of ``services.commands`` without ``principal``: the principal always
comes from the bearer token, and a body that names one is refused like any other unknown field, at
any depth. Every text field is bounded by its kind (``domain.text``: slugs, names, documents, notes)
and every list by ``LIST_MAX_ITEMS``; the OpenAPI document shows the bounds.
"""

from __future__ import annotations

import functools
import operator
import types
import typing
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import msgspec
from litestar.exceptions import ValidationException
from litestar.params import Parameter

from api import field_problems
from domain.concerns import Concerns
from domain.dates import DATE_NOTATION
from domain.errors import InvalidValue
from domain.text import (
    LIST_MAX_ITEMS,
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    Document,
    Name,
    Slug,
    text_type,
)
from domain.values import Authority, MunicipalOrgan, PartialDate, Precision
from services import commands as c
from services.authorisation import Role

S = TypeVar("S", bound=msgspec.Struct)

# Log positions are signed 64-bit integers in every event store (PostgreSQL's BIGINT); a larger
# ``after`` is the client's mistake and gets a 400, not a database overflow.
LOG_POSITION_MAX = 2**63 - 1


def log_number(text: str) -> int | None:
    """The log position or aggregate version ``text`` writes (a header's or a form's), else None.
    ASCII digits only: str.isdigit takes "²" (a header's byte 0xB2, read as Latin-1), which int()
    refuses; and no more of them than a position can have, before int() reads them (past 4,300
    digits int() refuses too). A version is at most a position: each version is an event of the log."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(LOG_POSITION_MAX))):
        return None
    number = int(text)
    return number if number <= LOG_POSITION_MAX else None


# A region, cooperation, organisation or municipality in a path: anything but a slug is a 400.
SlugPath = Annotated[
    str,
    Parameter(
        pattern=SLUG_PATTERN,
        max_length=SLUG_MAX_LENGTH,
        description="a slug: lowercase ASCII letters, digits and hyphens, at most 64",
    ),
]


@cache
def command_body(command_class: type[c.Command]) -> type[msgspec.Struct]:
    """The request body of ``command_class``: its fields but ``principal``, every text bounded by its
    kind (``domain.text``), unknown fields refused at every depth."""
    fields = [_field(f) for f in msgspec.structs.fields(command_class) if f.name != "principal"]
    return _define(command_class.__name__, fields)


def _define(name: str, fields: list[tuple[Any, ...]]) -> type[msgspec.Struct]:
    return msgspec.defstruct(
        name,
        fields,  # type: ignore[arg-type]
        kw_only=True,
        frozen=True,
        forbid_unknown_fields=True,
        module=__name__,
    )


def _field(info: msgspec.structs.FieldInfo) -> tuple[Any, ...]:
    annotation = _bounded(info.type, info.name)
    if info.type is Authority and not info.required:
        # The commands that decide nothing (registering a source, correcting the record).
        return (info.name, AuthorityBody | None, None)
    if info.required:
        return (info.name, annotation)
    if info.default_factory is not msgspec.NODEFAULT:
        return (info.name, annotation, msgspec.field(default_factory=info.default_factory))
    return (info.name, annotation, info.default)


def _bounded(annotation: Any, name: str) -> Any:
    """``annotation`` as the edge accepts it: text bounded by the kind its field ``name`` gives,
    lists bounded, nested values refusing unknown fields."""
    if annotation is str:
        return text_type(name)
    if annotation is Authority:
        return AuthorityBody
    if annotation is PartialDate:
        return DateInput
    if annotation is UUID:
        return AggregateName
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(
            operator.or_, [_bounded(arg, name) for arg in typing.get_args(annotation)]
        )
    if origin is tuple:
        item, *rest = typing.get_args(annotation)
        assert rest == [Ellipsis], f"{name}: only homogeneous tuples are bounded"
        return Annotated[
            tuple[_bounded(item, name), ...],  # type: ignore[misc]
            msgspec.Meta(max_length=LIST_MAX_ITEMS),
        ]
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return _value_body(annotation)
    return annotation


@cache
def _value_body(value_class: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """A value object as a request body carries it (a copy of its fields, bounded); the command it
    is converted to checks the value's own rules."""
    fields = [_field(f) for f in msgspec.structs.fields(value_class)]
    return _define(value_class.__name__ + "Body", fields)


DateNotation = Annotated[
    str,
    msgspec.Meta(
        pattern=f"^{DATE_NOTATION}$(?!\\n)",
        max_length=10,
        description="YYYY, YYYY-MM or YYYY-MM-DD; the notation gives the precision",
        examples=["2027-01-01", "2027-01", "2027"],
    ),
]


class DateWithPrecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A date with its precision written out, the form maps and events give: ``value`` in the
    notation of the precision or a finer one (a month as ``"2027-01"`` or ``"2027-01-01"``, the 1st),
    and ``{"precision": "unknown"}`` (no value) for a date the sources do not give."""

    value: DateNotation | None = None
    precision: Precision = Precision.UNKNOWN


DateInput = Annotated[
    DateNotation | DateWithPrecision,
    msgspec.Meta(
        description=(
            'A date with its precision: its notation alone ("2027-01-01" a day, "2027-01" a '
            'month, "2027" a year) or an object '
            '({"value": "2027-01", "precision": "month"}; {"precision": "unknown"} for no date). '
            "Maps and events always give the object."
        ),
        examples=["2027-01-01", "2027-01", "2027", {"value": "2027-01", "precision": "month"}],
    ),
]


def read_date(written: str | dict[str, Any]) -> PartialDate:
    """The date a body writes in either form of ``DateInput``."""
    if isinstance(written, str):
        return PartialDate.parse(written)
    return PartialDate.written(written.get("value"), Precision(written["precision"]))


class AuthorityBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The authority a decision cites, in one of three forms (``kind``):

    - ``body`` (the default): ``body``, the slug of a registered decision body competent for the
      subject (e.g. ``g16zlb`` for Zuid-Limburg);
    - ``municipality``: the ``organ`` (college, raad, burgemeester) of a registered ``municipality``
      concerned by the decision or a member of a region it concerns;
    - ``external``: a named authority outside the registry (``external``, e.g. a ministry).

    Each gives the ``decision_date`` (a ``DateInput``: ``"2026-01-15"``, ``"2026-01"``, ``"2026"``,
    or ``{"value": ..., "precision": ...}``) and the ``document`` that records it.
    """

    kind: Literal["body", "municipality", "external"] = "body"
    body: Slug | None = None
    municipality: Slug | None = None
    organ: MunicipalOrgan | None = None
    external: Name | None = None
    decision_date: DateInput | None = None
    document: Document | None = None


def to_command(command_class: type[c.Command], body: msgspec.Struct, principal: str) -> c.Command:
    """The command ``body`` asks for, recorded by ``principal``; values breaking their own rules (an
    authority without its document, a month-precision date on the 15th) are a 400 naming each field."""
    values = msgspec.to_builtins(body)
    authority = values.get("authority")
    if authority is None:
        values.pop("authority", None)
    elif authority.get("decision_date") is None:
        authority.pop("decision_date", None)
    values, found = _dates_read(type(body), values, ())
    values["principal"] = principal
    if not found:
        try:
            return msgspec.convert(values, command_class)
        except msgspec.ValidationError:
            pass  # every field is checked on its own below
    raise invalid(_besides(found, field_problems.problems(command_class, values)))


def body_problems(body_class: type[msgspec.Struct], values: Any) -> list[tuple[str, str]]:
    """Every invalid field of a body's plain values: their types and bounds, and the dates."""
    _, found = _dates_read(body_class, values, ())
    return _besides(found, field_problems.problems(body_class, values))


def _besides(dates: list[tuple[str, str]], others: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The problems of the dates, and the others but those about the same dates."""
    dated = {where for where, _ in dates}
    return dates + [
        (where, what)
        for where, what in others
        if where not in dated and not any(where.startswith(d + "/") for d in dated)
    ]


def _dates_read(annotation: Any, value: Any, path: tuple[str | int, ...]) -> tuple[Any, list[Any]]:
    """``value`` (a body's plain values, of type ``annotation``) with every ``DateInput`` it writes
    in the object form the domain reads, and the problems of the dates that are none."""
    if value is None:
        return value, []
    if annotation == DateInput:
        try:
            written = msgspec.to_builtins(msgspec.convert(value, DateInput))
        except msgspec.ValidationError:
            return value, []  # not in either form: reported with the other fields
        try:
            return msgspec.to_builtins(read_date(written)), []
        except InvalidValue as exc:
            return value, [(field_problems.pointer(path), str(exc))]
    inner = (
        typing.get_args(annotation)[0] if typing.get_origin(annotation) is Annotated else annotation
    )
    if typing.get_origin(inner) in (typing.Union, types.UnionType):
        given = [arg for arg in typing.get_args(inner) if arg is not type(None)]
        return _dates_read(given[0], value, path) if len(given) == 1 else (value, [])
    found: list[Any] = []
    if isinstance(inner, type) and issubclass(inner, msgspec.Struct) and isinstance(value, dict):
        types_by_name = {f.encode_name: f.type for f in msgspec.structs.fields(inner)}
        read = {}
        for name, item in value.items():
            # An unknown field has no type here: it is reported as unknown, not read.
            read[name], problems = _dates_read(types_by_name.get(name), item, (*path, name))
            found += problems
        return read, found
    if typing.get_origin(inner) is tuple and isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            read_item, problems = _dates_read(typing.get_args(inner)[0], item, (*path, index))
            items.append(read_item)
            found += problems
        return items, found
    return value, []


def body_from_values(body_class: type[S], values: dict[str, Any]) -> S:
    """A command body from plain values (a page's form), refused as a JSON body would be: a 400
    naming each invalid field."""
    try:
        return msgspec.convert(values, body_class)
    except msgspec.ValidationError:
        raise invalid(body_problems(body_class, values)) from None


AggregateName = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        description="an aggregate by its id (a UUID) or by its slug as the maps give it",
        examples=["zuid-limburg", "nmz-limburg:pactum"],
    ),
]


def no_aggregate(name: str, **where: str) -> ValidationException:
    """A 400: ``name`` names no recorded aggregate; ``where`` the ``pointer`` or query ``key``
    that gave it."""
    return ValidationException(
        f"no aggregate is recorded as {name!r}",
        extra=[
            {
                "message": f"no aggregate has the id or slug {name!r}: "
                "take the slug a map gives, or an id from /events",
                "source": "query" if "key" in where else "body",
                **where,
            }
        ],
    )


def invalid(found: list[tuple[str, str]]) -> ValidationException:
    """A 400 listing every problem found, each with its JSON pointer."""
    return ValidationException(
        "; ".join(f"{where}: {what}" for where, what in found),
        extra=[{"message": what, "pointer": where, "source": "body"} for where, what in found],
    )


class CommandAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """The command was recorded: the events it stored, by their position in the event log, and the
    new version of its aggregate (send it as ``If-Match`` with the next command on that aggregate)."""

    command: str
    aggregate_id: UUID
    version: int
    event_ids: tuple[int, ...]


class FieldProblem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One invalid part of the request and why: a field of the body (``pointer``, a JSON pointer
    such as ``#/valid_from/value``) or a query, path or header parameter (``parameter``, its name)."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem: ``type`` identifies the kind of problem, ``detail`` explains this one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: tuple[FieldProblem, ...] = ()
    # The domain rule a refused command broke.
    rule: str | None = None
    # On a version conflict: the aggregate's current version.
    current_version: int | None = None


class LoggedEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    aggregate_id: UUID
    aggregate_version: int
    type: str  # e.g. "AccountHoldership.HolderTransferred"
    aggregate_kind: str
    slug: str
    recorded_at: datetime
    principal: str | None
    concerns: Concerns
    state: dict[str, Any]


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events after ``after`` that match the filters; pass ``position`` as ``after`` for the next page.
    ``more`` is false when the page reached the end of the log."""

    events: tuple[LoggedEvent, ...]
    position: int
    more: bool


class TokenRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Slug  # it becomes part of the principal named in every event the token records
    role: Role
    cooperations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    checks: dict[str, str] = {}
