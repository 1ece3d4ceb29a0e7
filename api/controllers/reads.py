"""The read side shared by the resource controllers: maps (``as_of``, ``known_at``), history and lists,
from the read models (``projections.queries.GovernanceMaps``); maps are served as cached JSON
(``api.maps``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from litestar import Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Guard, Receive, Scope, Send

from api.compression import SENT_AS_IS
from api.context import ApiContext
from api.errors import problems
from api.examples import MapExample
from api.guards import reads_everything
from api.map_documents import map_document
from api.maps import MIN_POSITION_WAIT_SECONDS, POSITION_HEADER, EncodedMap, utc
from api.openapi import with_examples
from api.schemas import LOG_POSITION_MAX
from domain.errors import UnknownReference
from domain.events import AGGREGATE_BY_KIND
from domain.values import SubjectKind
from projections.map_rows import not_registered
from projections.queries import GovernanceMaps
from projections.views import HistoryEntry, Summary
from services.authorisation import Principal, may_read_everything

T = TypeVar("T")

AsOf = Annotated[
    date | None, QueryParameter(description="The day the map is of (valid time); default today")
]
KnownAt = Annotated[
    datetime | None,
    QueryParameter(
        description="As it was known at this moment (record time; UTC without a zone); default now"
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        description="The ETag of a copy of this map: 304 without a body while the map is the same.",
        required=False,
    ),
]
MinPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=LOG_POSITION_MAX,
        description=(
            "A map that reflects at least this log position (e.g. the Regiekaart-Position of a "
            "command's answer, to read your own write). The request waits up to "
            f"{MIN_POSITION_WAIT_SECONDS:g} s for the read model to get there; if it does not, "
            "503 with Retry-After and the position it has in Regiekaart-Position."
        ),
    ),
]
READ_PROBLEMS = problems(400, 401, 403, 404, 503)
# The kind of subject each cached map is of, by its query.
MAP_SUBJECTS = {
    GovernanceMaps.region_map.__name__: SubjectKind.REGION,
    GovernanceMaps.cooperation_map.__name__: SubjectKind.COOPERATION,
    GovernanceMaps.organisation_view.__name__: SubjectKind.ORGANISATION,
    GovernanceMaps.body_map.__name__: SubjectKind.BODY,
}


_PATH_PARAMETER = re.compile(r"\{(\w+):")


def read_by_all_but_region_systems(principal: Principal, _: str) -> bool:
    """Who may read any cooperation's or organisation's map (the guard ``reads_everything``)."""
    return may_read_everything(principal)


def map_key(
    query: Callable[..., Any], slug: str, as_of: date | None, known_at: datetime | None
) -> tuple[Any, ...]:
    """What a map is cached by in the worker's cache (``api.maps.MapCache``)."""
    return (query.__name__, slug, as_of, utc(known_at))


class CachedMapAnswers:
    """Answers a plain request for a map (no query, ``If-None-Match`` at most once) that the worker
    has cached at the read model's position and that the request's principal may read, without the
    route handler: Litestar's request object, parameters and response took most of a cached map's
    time (in-process CPU: 28 µs of 74 µs, more than its answer). The middleware before it have run as
    for any request (the request id, the metrics and the log line, the bearer token); every other
    request, and every refusal, is left to the handler."""

    def __init__(
        self,
        app: ASGIApp,
        query: Callable[..., Any],
        parameter: str,
        may_read: Callable[[Principal, str], bool],
    ) -> None:
        self.app = app
        self.query = query
        self.parameter = parameter
        self.may_read = may_read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoded = self._cached(scope)
        if encoded is None:
            await self.app(scope, receive, send)
            return
        given = [value for name, value in scope["headers"] if name == b"if-none-match"]
        if len(given) > 1:  # one header of several values, as the handler reads it
            await self.app(scope, receive, send)
            return
        if_none_match = given[0].decode("latin-1") if given else None
        await encoded.answer(if_none_match, scope["headers"])(scope, receive, send)

    def _cached(self, scope: Scope) -> EncodedMap | None:
        if scope["method"] != "GET" or scope.get("query_string"):
            return None
        slug = scope["path_params"].get(self.parameter)
        principal = scope.get("user")
        if not isinstance(slug, str) or not isinstance(principal, Principal):
            return None
        if not self.may_read(principal, slug):
            return None
        context: ApiContext = scope["litestar_app"].state.context
        return context.map_cache.fresh(map_key(self.query, slug, None, None))


def map_route(
    path: str,
    *,
    summary: str,
    example: MapExample,
    cached: tuple[Callable[..., Any], Callable[[Principal, str], bool]],
    guards: list[Guard] | None = None,
) -> Callable[..., HTTPRouteHandler]:
    """The GET of a map: cached JSON with its ``ETag``, or 304 for a client that has it; its answer
    is documented with ``example``. ``cached`` names the map's query and who may read it (the rule
    the route's guards and handler apply): a plain request of such a principal for a cached map is
    answered before the handler (``CachedMapAnswers``)."""
    query, may_read = cached
    parameter = _PATH_PARAMETER.search(path).group(1)  # type: ignore[union-attr]
    return get(
        path,
        guards=guards,
        middleware=[
            DefineMiddleware(CachedMapAnswers, query=query, parameter=parameter, may_read=may_read)
        ],
        opt=SENT_AS_IS,  # compressed once, in the worker's cache of maps (``api.maps``)
        summary=summary,
        operation_class=with_examples(answer=example.openapi()),
        responses={
            **READ_PROBLEMS,
            304: ResponseSpec(None, description="Not modified: the map has the given ETag"),
        },
        response_headers=[
            # Documented only (the handler sets it); the value gives the header's schema, a string.
            ResponseHeader(
                name="ETag",
                value='"<entity tag>"',
                description="The map's entity tag",
                documentation_only=True,
            ),
            ResponseHeader(
                name=POSITION_HEADER,
                value="1234",
                description="The log position the map reflects: every event up to it is applied",
                documentation_only=True,
            ),
        ],
    )


async def cached_map(
    context: ApiContext,
    query: Callable[..., Any],
    slug: str,
    as_of: date | None,
    known_at: datetime | None,
    if_none_match: str | None,
    min_position: int | None = None,
) -> Response[bytes]:
    """The map ``query(maps, slug, as_of=, known_at=)`` as JSON (a map document, with authorities and
    provenances named once: ``api.map_documents``), from the worker's cache when fresh; 304 without a
    body if ``If-None-Match`` names it. Either names the log position it reflects; with
    ``min_position``, once the read model has got that far (503 if it does not in time).

    A map's handler takes the whole ``context`` as its one dependency: Litestar resolves two or more
    dependencies of a handler in a task group, which doubled the CPU time of a cached map."""
    maps = context.maps
    moment = utc(known_at)
    watch = context.position_watch
    if min_position is not None and (watch.position or 0) < min_position:
        # A subject the log does not know is not known at any position: 404 now, not after the
        # wait. One the read model does not know yet may be what the awaited command registered.
        kind = MAP_SUBJECTS[query.__name__]
        if (kind, slug) not in context.recorded_subjects:
            if not await anyio.to_thread.run_sync(
                context.app.exists, AGGREGATE_BY_KIND[kind], slug
            ):
                raise NotFoundException(str(not_registered(kind, slug)))
            context.recorded_subjects.add((kind, slug))
    if min_position is not None and not await watch.reached(
        min_position, MIN_POSITION_WAIT_SECONDS
    ):
        reached = watch.position or 0
        raise ServiceUnavailableException(
            f"the maps reflect the log up to position {reached}, not yet {min_position}; "
            "ask again shortly",
            headers={"Retry-After": "1", POSITION_HEADER: str(reached)},
        )
    try:
        encoded = await context.map_cache.encoded(
            map_key(query, slug, as_of, known_at),
            lambda: map_document(query(maps, slug, as_of=as_of, known_at=moment)),
        )
    except UnknownReference as error:
        raise NotFoundException(str(error)) from None
    return CachedMap(encoded, if_none_match)


class CachedMap(Response[bytes]):
    """A map's answer from the worker's cache (``api.maps.EncodedMap``): made beforehand, sent as it is."""

    def __init__(self, encoded: EncodedMap, if_none_match: str | None) -> None:
        super().__init__(encoded.body)
        self.encoded = encoded
        self.if_none_match = if_none_match

    def to_asgi_response(self, app: Any, request: Any, **layers: Any) -> ASGIResponse:
        # A map route has no headers, cookies or background task of its own (its layers would add
        # them here) to add to the answers made beforehand.
        assert not (layers.get("headers") or layers.get("cookies") or layers.get("background"))
        return self.encoded.answer(self.if_none_match, request.scope["headers"])


async def read(compute: Callable[[], T]) -> T:
    """``compute`` (a read-model query) on a worker thread; an unknown subject is 404."""
    try:
        return await anyio.to_thread.run_sync(compute)
    except UnknownReference as error:
        raise NotFoundException(str(error)) from None


async def history(
    maps: GovernanceMaps, kind: SubjectKind, slug: str, known_at: datetime | None
) -> list[HistoryEntry]:
    return await read(lambda: maps.history(kind, slug, known_at=utc(known_at)))


async def summaries(
    maps: GovernanceMaps,
    query: Callable[..., list[Summary]],
    known_at: datetime | None,
) -> list[Summary]:
    return await read(lambda: query(maps, known_at=utc(known_at)))


def list_route(query: Callable[..., list[Summary]], summary: str) -> HTTPRouteHandler:
    """The GET of every subject of a kind, each summarised: ``query`` is the ``GovernanceMaps`` method
    that lists them (``GovernanceMaps.regions``), and names the endpoint (``list_regions``)."""

    async def list_subjects(
        self: object, maps: NamedDependency[GovernanceMaps], known_at: KnownAt = None
    ) -> list[Summary]:
        return await summaries(maps, query, known_at)

    list_subjects.__name__ = list_subjects.__qualname__ = f"list_{query.__name__}"
    return get("/", guards=[reads_everything], summary=summary, responses=READ_PROBLEMS)(
        list_subjects
    )


async def view(
    maps: GovernanceMaps,
    query: Callable[..., Any],
    slug: str,
    as_of: date | None,
    known_at: datetime | None,
) -> Any:
    """The map ``query(maps, slug, as_of=, known_at=)`` as its view struct (for the pages); 404 for
    an unknown subject, as on the JSON routes."""
    return await read(lambda: query(maps, slug, as_of=as_of, known_at=utc(known_at)))
