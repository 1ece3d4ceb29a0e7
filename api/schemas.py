"""What the API sends and receives, as msgspec Structs (the OpenAPI document is generated from them).

Command bodies are the commands of ``services.commands`` without ``principal``: the principal always
comes from the bearer token, and a body that names one is refused like any other unknown field, at
any depth. Every text field is bounded by its kind (``domain.text``: slugs, names, documents, notes)
and every list by ``LIST_MAX_ITEMS``; the OpenAPI document shows the bounds.
"""

from __future__ import annotations

import functools
import operator
import re
import types
import typing
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import msgspec
from litestar.exceptions import ValidationException
from litestar.params import Parameter

from domain.concerns import Concerns
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
from domain.values import Authority, MunicipalOrgan, PartialDate
from services import commands as c
from services.authorisation import Role

S = TypeVar("S", bound=msgspec.Struct)

# Log positions are signed 64-bit integers in every event store (PostgreSQL's BIGINT); a larger
# ``after`` is the client's mistake and gets a 400, not a database overflow.
LOG_POSITION_MAX = 2**63 - 1


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
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$(?!\n)",
        max_length=10,
        description="YYYY, YYYY-MM or YYYY-MM-DD; the notation gives the precision",
        examples=["2026-01-15"],
    ),
]


class AuthorityBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The authority a decision cites, in one of three forms (``kind``):

    - ``body`` (the default): ``body``, the slug of a registered decision body competent for the
      subject (e.g. ``g16zlb`` for Zuid-Limburg);
    - ``municipality``: the ``organ`` (college, raad, burgemeester) of a registered ``municipality``
      concerned by the decision or a member of a region it concerns;
    - ``external``: a named authority outside the registry (``external``, e.g. a ministry).

    Each gives the ``decision_date`` (with its precision: ``"2026-01-15"``, ``"2026-01"``,
    ``"2026"``, or ``{"value": ..., "precision": ...}``) and the ``document`` that records it.
    """

    kind: Literal["body", "municipality", "external"] = "body"
    body: Slug | None = None
    municipality: Slug | None = None
    organ: MunicipalOrgan | None = None
    external: Name | None = None
    decision_date: DateNotation | _value_body(PartialDate) | None = None  # type: ignore[valid-type]
    document: Document | None = None


def to_command(command_class: type[c.Command], body: msgspec.Struct, principal: str) -> c.Command:
    """The command ``body`` asks for, recorded by ``principal``; a value breaking its own rules (an
    authority without its document, a month-precision date on the 15th) is a 400 naming the field."""
    values = msgspec.to_builtins(body)
    authority = values.get("authority")
    if authority is None:
        values.pop("authority", None)
    elif isinstance(authority.get("decision_date"), str):
        try:
            date = PartialDate.parse(authority["decision_date"])
        except InvalidValue as exc:
            raise _invalid(str(exc), "authority.decision_date") from None
        authority["decision_date"] = msgspec.to_builtins(date)
    elif authority.get("decision_date") is None:
        authority.pop("decision_date", None)
    try:
        return msgspec.convert({**values, "principal": principal}, command_class)
    except msgspec.ValidationError as exc:
        raise invalid_field(exc) from None


def body_from_values(body_class: type[S], values: dict[str, Any]) -> S:
    """A command body from plain values (a page's form), refused as a JSON body would be: a 400
    naming the field."""
    try:
        return msgspec.convert(values, body_class)
    except msgspec.ValidationError as exc:
        raise invalid_field(exc) from None


def invalid_field(exc: msgspec.ValidationError) -> ValidationException:
    """msgspec's complaint (``… - at `$.a.b[0]```) as a 400 naming the field (``a.b.0``)."""
    message, _, path = str(exc).rpartition(" - at `$.")
    if not message:
        return _invalid(str(exc), "data")
    key = re.sub(r"\[(\d+)\]", r".\1", path.rstrip("`"))
    return _invalid(message, key)


def _invalid(message: str, key: str) -> ValidationException:
    return ValidationException(
        f"{key}: {message}", extra=[{"message": message, "key": key, "source": "body"}]
    )


class CommandAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """The command was recorded: the events it stored, by their position in the event log, and the
    new version of its aggregate (send it as ``If-Match`` with the next command on that aggregate)."""

    command: str
    aggregate_id: UUID
    version: int
    event_ids: tuple[int, ...]


class FieldProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One invalid part of the request: where (a JSON path into the body, or a parameter) and why."""

    detail: str
    pointer: str | None = None


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
