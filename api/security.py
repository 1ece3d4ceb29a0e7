"""Bearer token authentication: every request but health, readiness, metrics and the docs names a
principal (``request.user``); tokens are looked up by their hash (``api.tokens``)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.spec import Operation

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


class BearerTokenAuthentication(AbstractAuthenticationMiddleware):
    """A refused token is answered by ``api.errors.MiddlewareRefusals``, logged with its 401."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = _bearer_token(connection)
        principal = await connection.app.state.context.token_cache.principal(token)
        if principal is None:
            raise NotAuthorizedException("the bearer token is unknown or revoked")
        return AuthenticationResult(user=principal, auth=None)


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
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("send a bearer token: Authorization: Bearer <token>")
    return token.strip()
