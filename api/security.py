"""Bearer token authentication: every request but health, readiness, metrics and the docs names a
principal (``request.user``); tokens are looked up by their hash (``api.tokens``)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.spec import Operation
from litestar.routes.http import HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from api.tokens import TokenStore
from services.authorisation import Principal

# A revoked token stops working within this many seconds; until then a worker may still know it.
TOKEN_CACHE_SECONDS = 5.0
# Valid tokens a worker remembers at most; there are far fewer than this in practice.
TOKEN_CACHE_SIZE = 10_000


@dataclass
class PublicOperation(Operation):
    """The OpenAPI operation of a public route: `security: []` lifts the document's bearer
    requirement, so clients (and schemathesis) know that no token is needed."""

    def __post_init__(self) -> None:
        self.security = []


class TokenCache:
    """Valid tokens seen recently, so a hot endpoint does not query the token table per request.

    Only verified tokens are kept: remembering unknown ones let anyone fill a worker's memory with
    made-up tokens (1,500 of 200 KB grew a worker by 300 MB). An unknown token costs a look-up by its
    hash, each time."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens
        self._known: dict[str, tuple[float, Principal]] = {}

    async def principal(self, token: str) -> Principal | None:
        now = time.monotonic()
        cached = self._known.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await anyio.to_thread.run_sync(self.tokens.principal, token)
        if principal is None:
            self._known.pop(token, None)  # revoked meanwhile
            return None
        if len(self._known) >= TOKEN_CACHE_SIZE:
            self._known.clear()
        self._known[token] = (now + TOKEN_CACHE_SECONDS, principal)
        return principal

    def forget(self) -> None:
        self._known.clear()


# The code of the handler Litestar makes for a route's OPTIONS when no handler of ours takes them:
# every such handler is a closure of this one function (``self`` is read only when one answers).
_LITESTAR_OPTIONS_CODE = HTTPRoute.create_options_handler(None, "/").fn.__code__  # type: ignore[arg-type]


def answered_by_litestar(scope: Scope) -> bool:
    """An OPTIONS request (a CORS preflight) that Litestar answers itself, with the route's allowed
    methods, running no handler of ours: it needs no principal and passes the guards. An OPTIONS
    handler of our own is authenticated and guarded like any other route."""
    handler = scope.get("route_handler")
    return (
        scope.get("method") == "OPTIONS"
        and handler is not None
        and getattr(handler.fn, "__code__", None) is _LITESTAR_OPTIONS_CODE
    )


class BearerTokenAuthentication:
    """Sets ``scope["user"]`` to the principal of the request's bearer token, on every route but the
    public ones (their paths match ``public``, or their handler's opt says ``exclude_from_auth``) and
    but an OPTIONS request Litestar answers itself (``answered_by_litestar``); refuses the request
    (401) without a known token.

    A plain ASGI middleware reading the raw headers: Litestar's authentication middleware built a
    connection object and parsed every header for it, on each request of a hot route."""

    def __init__(self, app: ASGIApp, public: list[str]) -> None:
        self.app = app
        # Matched at the start of the path, as the patterns say (``^``): searched for instead, the
        # alternation was tried at every position of a path that is not public.
        self.public = re.compile("|".join(public))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._is_public(scope):
            # A refused token is answered by ``api.errors.MiddlewareRefusals``, logged with its 401.
            scope["user"] = await self._principal(scope)
            scope["auth"] = None
        await self.app(scope, receive, send)

    def _is_public(self, scope: Scope) -> bool:
        handler = scope.get("route_handler")
        return (
            self.public.match(scope["path"]) is not None
            or scope["type"] not in ("http", "websocket")
            or answered_by_litestar(scope)
            or (handler is not None and bool(handler.opt.get("exclude_from_auth")))
        )

    @staticmethod
    async def _principal(scope: Scope) -> Principal:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        token = _token_of(header.decode("latin-1"))
        principal = await scope["litestar_app"].state.context.token_cache.principal(token)
        if principal is None:
            raise NotAuthorizedException("the bearer token is unknown or revoked")
        return principal


def token_still_valid(
    connection: ASGIConnection[Any, Any, Any, Any], cache: TokenCache
) -> Callable[[], Awaitable[bool]]:
    """For a request that lasts (a stream): whether its bearer token is still valid, asked again when
    called (through the token cache, so it answers as any new request with the token would)."""
    token = _bearer_token(connection)

    async def still_valid() -> bool:
        return await cache.principal(token) is not None

    return still_valid


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return _token_of(connection.headers.get("authorization", ""))


def _token_of(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 for any other."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("send a bearer token: Authorization: Bearer <token>")
    return token.strip()
