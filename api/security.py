"""Bearer token authentication: every request but health, readiness, metrics and the docs names a
principal (``request.user``); tokens are looked up by their hash (``api.tokens``)."""

from __future__ import annotations

import time
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


@dataclass
class PublicOperation(Operation):
    """The OpenAPI operation of a public route: `security: []` lifts the document's bearer
    requirement, so clients (and schemathesis) know that no token is needed."""

    def __post_init__(self) -> None:
        self.security = []


class TokenCache:
    """Valid tokens seen recently, so a hot endpoint does not query the token table per request."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens
        self._known: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, token: str) -> Principal | None:
        now = time.monotonic()
        cached = self._known.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await anyio.to_thread.run_sync(self.tokens.principal, token)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[token] = (now + TOKEN_CACHE_SECONDS, principal)
        return principal

    def forget(self) -> None:
        self._known.clear()


class BearerTokenAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("send a bearer token: Authorization: Bearer <token>")
        principal = await connection.app.state.context.token_cache.principal(token.strip())
        if principal is None:
            raise NotAuthorizedException("the bearer token is unknown or revoked")
        return AuthenticationResult(user=principal, auth=None)
