"""Every error as an RFC 9457 problem (``application/problem+json``), never a stack trace.

- invalid input (bodies, parameters): 400 listing every invalid field in ``errors`` (the first
  ``MAX_LISTED_PROBLEMS``), a body's by its JSON pointer (``api.field_problems``), a parameter by
  its name;
- a command the domain refuses: 422 naming the ``rule`` it broke and the fact it collided with;
- a version conflict (``If-Match`` or a concurrent command): 409 with the ``current_version``;
- no or an unknown token: 401; a token whose role or scope does not allow it: 403;
- an event store write whose outcome is unknown: 503 (retry with the same ``Idempotency-Key``);
- the event store unreachable (NATS restarting, the service reconnecting by itself) or too slow to
  answer, or the database likewise: 503 with ``Retry-After``;
- anything unexpected: 500, logged with the request id, with no detail of the internals.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import sqlalchemy.exc
from eventsourcing.persistence import OperationalError
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    ImproperlyConfiguredException,
    InternalServerException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.nats.client import NoAnswer
from adapters.nats.recorders import PublishOutcomeUnknown
from api import field_problems
from api.idempotency import KeyReused, StillInProgress
from api.request_body import BODY_STATE_KEY
from api.schemas import FieldProblem, Problem, body_problems
from domain.errors import DomainError
from services.application import VersionConflict
from services.authorisation import NotAuthorised

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://regiekaart.nl/problems/"
# A body may be invalid in many more places than anyone reads; the answer lists the first ones, so
# that its size does not grow with the body's (10,000 unknown fields answered with megabytes).
MAX_LISTED_PROBLEMS = 50
_encoder = msgspec.json.Encoder()
log = logging.getLogger("regiekaart.api")


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    *,
    kind: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[bytes]:
    problem = Problem(
        type=PROBLEM_BASE + kind if kind else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=_request_id(request),
        **extra,
    )
    return Response(
        _encoder.encode(problem),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    """The id ``api.observability`` gave the request: in the problem and in the error's log line."""
    return request.scope.get("state", {}).get("request_id")


def _field_problems(extra: Any) -> tuple[FieldProblem, ...]:
    if not isinstance(extra, list):
        return ()
    problems = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        source = item.get("source")
        source = getattr(source, "value", source)  # litestar names parameter sources by an enum
        detail = field_problems.words(str(item.get("message", "invalid")))
        if "pointer" in item:
            problems.append(FieldProblem(detail=detail, pointer=item["pointer"]))
        elif key == "data":  # the body as a whole (e.g. an unknown field)
            problems.append(FieldProblem(detail=detail, pointer="#"))
        elif key and source in ("body", None):
            problems.append(FieldProblem(detail=detail, pointer="#/" + key.replace(".", "/")))
        else:  # a query, path or header parameter, by its name
            problems.append(FieldProblem(detail=detail, parameter=key))
    return tuple(problems)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    errors = _body_problems(request, exc) or _field_problems(exc.extra)
    listed = errors[:MAX_LISTED_PROBLEMS]
    detail = "; ".join(f"{e.pointer or e.parameter}: {e.detail}" for e in listed)
    if len(errors) > len(listed):
        detail += f"; and {len(errors) - len(listed)} more invalid fields"
    return problem_response(
        request,
        400,
        "The request is not valid",
        kind="invalid-request",
        detail=detail or str(exc.detail),
        errors=listed,
    )


def _body_problems(
    request: Request[Any, Any, Any], exc: ValidationException
) -> tuple[FieldProblem, ...]:
    """Every invalid field of a body the decoder refused at its first (``api.field_problems``)."""
    body = request.scope.get("state", {}).get(BODY_STATE_KEY)
    handler = request.scope.get("route_handler")
    data = handler.parsed_fn_signature.parameters.get("data") if handler is not None else None
    from_body = isinstance(exc.extra, list) and any(
        isinstance(item, dict) and item.get("source") in ("body", None) and "pointer" not in item
        for item in exc.extra
    )
    if body is None or data is None or not from_body:
        return ()
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return ()  # not JSON at all: the decoder's own words say where
    return tuple(
        FieldProblem(detail=what, pointer=where)
        for where, what in body_problems(data.annotation, value)
    )


def http_problem(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if exc.status_code == 500 and isinstance(
        exc, (ImproperlyConfiguredException, InternalServerException)
    ):
        # Litestar's own 500s speak of the service's insides: answered and logged as any unexpected
        # error (its 503, ServiceUnavailableException, is an InternalServerException too, and keeps
        # its words). A 500 the service raises itself names what an auditor must know (an export
        # that meets a fault in the log, api.controllers.audit) and keeps its words.
        return _unexpected(request, exc)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="regiekaart"')
    errors = _field_problems(exc.extra)
    return problem_response(
        request,
        exc.status_code,
        _TITLES.get(exc.status_code, "The request could not be served"),
        kind=_KINDS.get(exc.status_code),
        detail=str(exc.detail) if exc.detail else None,
        headers=headers,
        errors=errors,
    )


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    return problem_response(
        request,
        422,
        "The command breaks a rule of the governance domain; nothing was recorded",
        kind="domain-rule",
        detail=str(exc),
        rule=exc.rule,
    )


def _conflict(request: Request[Any, Any, Any], exc: VersionConflict) -> Response[bytes]:
    return problem_response(
        request,
        409,
        "The aggregate changed meanwhile; nothing was recorded",
        kind="version-conflict",
        detail=str(exc),
        current_version=exc.current_version,
        headers={"ETag": f'"{exc.current_version}"'},
    )


def _not_authorised(request: Request[Any, Any, Any], exc: NotAuthorised) -> Response[bytes]:
    return problem_response(
        request, 403, "Not allowed for this token", kind="forbidden", detail=str(exc)
    )


def _key_reused(request: Request[Any, Any, Any], exc: KeyReused) -> Response[bytes]:
    return problem_response(
        request, 422, "Idempotency-Key reused", kind="idempotency-key-reused", detail=str(exc)
    )


def _in_progress(request: Request[Any, Any, Any], exc: StillInProgress) -> Response[bytes]:
    return problem_response(
        request,
        409,
        "A request with this Idempotency-Key is in progress",
        kind="idempotency-in-progress",
        detail=str(exc),
        headers={"Retry-After": "1"},
    )


def _outcome_unknown(
    request: Request[Any, Any, Any], exc: PublishOutcomeUnknown
) -> Response[bytes]:
    return problem_response(
        request,
        503,
        "The event store did not confirm the write",
        kind="outcome-unknown",
        detail=f"{exc}; retry with the same Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, sqlalchemy.exc.OperationalError):
        # SQLite answers "database is locked" when a writer keeps the lock past the busy timeout;
        # PostgreSQL may be restarting. Both pass: the client should retry.
        log.warning(
            "database unavailable",
            extra={
                "path": request.url.path,
                "error": str(exc.orig),
                "request_id": _request_id(request),
            },
        )
    return problem_response(
        request,
        503,
        "The event store or the database did not answer in time",
        kind="unavailable",
        detail="retry shortly (a command: with the same Idempotency-Key)",
        headers={"Retry-After": "1"},
    )


def _store_unreachable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    return problem_response(
        request,
        503,
        "The event store is unreachable at the moment",
        kind="event-store-unavailable",
        detail=f"{exc}; retry shortly (a command: with the same Idempotency-Key)",
        headers={"Retry-After": "2"},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception(
        "unexpected error", extra={"path": request.url.path, "request_id": _request_id(request)}
    )
    return problem_response(
        request,
        500,
        "Internal error",
        detail="the error was logged with this request's id",
    )


_KINDS = {400: "invalid-request", 413: "body-too-large", 415: "unsupported-media-type"}

_TITLES = {
    400: "The request is not valid",
    401: "A valid bearer token is required",
    403: "Not allowed for this token",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "The request cannot be processed",
    429: "Too many requests",
    503: "Service unavailable",
}

EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ValidationException: _validation,
    HTTPException: http_problem,
    DomainError: _domain,
    VersionConflict: _conflict,
    NotAuthorised: _not_authorised,
    KeyReused: _key_reused,
    StillInProgress: _in_progress,
    PublishOutcomeUnknown: _outcome_unknown,
    TimeoutError: _unavailable,
    OperationalError: _store_unreachable,
    **{kind: _store_unreachable for kind in NoAnswer if kind is not TimeoutError},
    sqlalchemy.exc.OperationalError: _unavailable,
    Exception: _unexpected,
}


def problem_spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem, description=description, media_type=PROBLEM_MEDIA_TYPE
    )


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the problems an operation may answer with."""
    return {status: problem_spec(_TITLES.get(status, "Problem")) for status in statuses}


class MiddlewareRefusals:
    """Answers a refusal raised by the middleware inside it (a repeated query parameter, a body too
    large or not JSON, an unknown token) with the app's exception handlers, here, inside the
    request-id and metrics middleware, so that it is logged and counted with its status and
    answered with its request id: raised further, it passed them by as an error, logged as a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except HTTPException as refusal:
            request: Request[Any, Any, Any] = Request(scope, receive, send)
            handlers = request.app.exception_handlers
            handler = next(kind for kind in type(refusal).__mro__ if kind in handlers)
            response = handlers[handler](request, refusal)
            await response.to_asgi_response(app=None, request=request)(scope, receive, send)
