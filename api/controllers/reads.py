"""The read side shared by the resource controllers: maps (``as_of``, ``known_at``), history and lists,
from the read models (``projections.queries.GovernanceMaps``); maps are served as cached JSON
(``api.maps``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from litestar import Response, get
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter
from litestar.response.base import ASGIResponse
from litestar.types import Guard

from api.compression import SENT_AS_IS
from api.context import ApiContext
from api.errors import problems
from api.examples import MapExample
from api.map_documents import map_document
from api.maps import MIN_POSITION_WAIT_SECONDS, POSITION_HEADER, EncodedMap, utc
from api.openapi import with_examples
from domain.errors import UnknownReference
from domain.events import AGGREGATE_BY_KIND
from domain.values import SubjectKind
from projections.map_rows import not_registered
from projections.queries import GovernanceMaps
from projections.views import HistoryEntry, Summary

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


def map_route(
    path: str, *, summary: str, example: MapExample, guards: list[Guard] | None = None
) -> Callable[..., HTTPRouteHandler]:
    """The GET of a map: cached JSON with its ``ETag``, or 304 for a client that has it; its answer
    is documented with ``example``."""
    return get(
        path,
        guards=guards,
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
        if not await anyio.to_thread.run_sync(context.app.exists, AGGREGATE_BY_KIND[kind], slug):
            raise NotFoundException(str(not_registered(kind, slug)))
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
            (query.__name__, slug, as_of, moment),
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
