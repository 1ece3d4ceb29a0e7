"""What the API sends and receives, as msgspec Structs (the OpenAPI document is generated from them).

Command bodies are the commands of ``services.commands`` without ``principal``: the principal always
comes from the bearer token, and a body that names one is refused like any other unknown field.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import msgspec

from domain.concerns import Concerns
from services import commands as c
from services.authorisation import Role

# Log positions are signed 64-bit integers in every event store (PostgreSQL's BIGINT); a larger
# ``after`` is the client's mistake and gets a 400, not a database overflow.
LOG_POSITION_MAX = 2**63 - 1


@cache
def command_body(command_class: type[c.Command]) -> type[msgspec.Struct]:
    """The request body of ``command_class``: its fields but ``principal``; unknown fields refused."""
    fields = [_field(f) for f in msgspec.structs.fields(command_class) if f.name != "principal"]
    return msgspec.defstruct(
        command_class.__name__,
        fields,  # type: ignore[arg-type]
        kw_only=True,
        frozen=True,
        forbid_unknown_fields=True,
        module=__name__,
    )


def _field(info: msgspec.structs.FieldInfo) -> tuple[Any, ...]:
    if info.required:
        return (info.name, info.type)
    if info.default_factory is not msgspec.NODEFAULT:
        return (info.name, info.type, msgspec.field(default_factory=info.default_factory))
    return (info.name, info.type, info.default)


def to_command(command_class: type[c.Command], body: msgspec.Struct, principal: str) -> c.Command:
    values = {name: getattr(body, name) for name in body.__struct_fields__}
    return command_class(**values, principal=principal)


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
    name: str
    role: Role
    cooperations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    checks: dict[str, str] = {}
