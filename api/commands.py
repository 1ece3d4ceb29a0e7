"""Command endpoints: one POST per command of ``services.commands``, made the same way for every resource.

Each answers 201 with the recorded event ids and the aggregate's new version (also as ``ETag``). Send
``If-Match: "<version>"`` to record only if the aggregate is still at that version, and an
``Idempotency-Key`` to make a retry safe (a replayed answer carries ``Idempotent-Replayed: true``).
``Regiekaart-Position`` is the log position of the last event recorded: a map read with
``min_position`` set to it reflects the command (``api.maps``).
"""

from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, Response, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import HeaderParameter, JSONBody

from api.context import ApiContext
from api.errors import problems
from api.examples import COMMAND_EXAMPLES, named
from api.guards import WRITERS
from api.idempotency import request_hash
from api.maps import POSITION_HEADER
from api.openapi import with_examples
from api.schemas import CommandAccepted, command_body, log_number, no_aggregate, to_command
from services import commands as c
from services.application import COMMAND_HANDLERS

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Makes a retried command safe: the same key and body record once.",
        max_length=200,
        min_length=1,
        required=False,
    ),
]
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='Record only if the aggregate is at this version, e.g. "3" (0: it must not exist).',
        required=False,
    ),
]

# 413 and 415 come from the gate every body passes first (api.request_body).
COMMAND_PROBLEMS = problems(400, 401, 403, 409, 413, 415, 422, 503)


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    version = log_number(if_match.strip().removeprefix("W/").strip('"'))
    if version is None:
        raise ValidationException(
            'If-Match must be an aggregate version, e.g. "3"',
            extra=[
                {"message": f"not a version: {if_match!r}", "key": "If-Match", "source": "header"}
            ],
        )
    return version


_accepted = msgspec.json.Decoder(CommandAccepted)


def the_aggregate(context: ApiContext, name: str) -> str:
    """The id of the one aggregate ``name`` (an id or a slug) names in a command body."""
    named = context.aggregates_named(name)
    if not named:
        raise no_aggregate(name, pointer="#/aggregate_id")
    if len(named) > 1:
        kinds = " and a ".join(sorted(named.values()))
        raise ValidationException(
            f"{name!r} names a {kinds}",
            extra=[
                {
                    "message": f"{name!r} names a {kinds}: give the id of the one you mean "
                    f"(/events?aggregate_id={name} lists their events)",
                    "pointer": "#/aggregate_id",
                    "source": "body",
                }
            ],
        )
    return str(next(iter(named)))


def command_route(path: str, command_class: type[c.Command], summary: str) -> HTTPRouteHandler:
    """The POST endpoint at ``path`` that records ``command_class``."""
    body_class = command_body(command_class)

    async def record(
        self: object,
        request: Request,
        data: JSONBody[body_class],  # type: ignore[valid-type]
        context: NamedDependency[ApiContext],
        idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> Response[CommandAccepted]:
        principal = request.user
        request_sha256 = request_hash(request.url.path, msgspec.json.encode(data))
        if isinstance(getattr(data, "aggregate_id", None), str):  # a correction, by id or slug
            name = data.aggregate_id
            named = await anyio.to_thread.run_sync(lambda: the_aggregate(context, name))
            data = msgspec.structs.replace(data, aggregate_id=named)
        command = to_command(command_class, data, principal.id)
        version = expected_version(if_match)
        stored, replayed = await anyio.to_thread.run_sync(
            lambda: context.execute(
                principal,
                command,
                idempotency_key=idempotency_key,
                request_sha256=request_sha256,
                expected_version=version,
            )
        )
        accepted = _accepted.decode(stored.body)
        headers = {"ETag": f'"{accepted.version}"'}
        if accepted.event_ids:
            headers[POSITION_HEADER] = str(max(accepted.event_ids))
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            stored.body,
            status_code=stored.status_code,
            media_type="application/json",
            headers=headers,
        )

    # The endpoint is named after the application's handler of the command (``register_region``).
    record.__name__ = record.__qualname__ = COMMAND_HANDLERS[command_class].__name__
    return post(
        path,
        summary=summary,
        description=(command_class.__doc__ or "").strip() or None,
        operation_id=command_class.__name__,
        status_code=201,
        guards=[WRITERS],
        responses=COMMAND_PROBLEMS,
        operation_class=with_examples(request=named(*COMMAND_EXAMPLES.get(command_class, ()))),
        response_headers=[
            ResponseHeader(
                name=POSITION_HEADER,
                value="1234",
                description="The log position of the last event recorded (min_position of a map)",
                documentation_only=True,
            )
        ],
    )(record)
