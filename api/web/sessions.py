"""Signing in to the pages with an existing bearer token: the token is kept server-side (a file store
in the data directory, shared by the API's workers), the browser gets only a random session id in an
HttpOnly, SameSite=Strict cookie (Secure over TLS). Every page asks the API's token cache for the
token's principal, so a revoked token ends its sessions within the same 5 s as it stops the API."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.response import Redirect
from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.types import Receive, Scope, Send

from adapters.private_files import private_directory, write_private_file

SESSION_COOKIE = "regiekaart_sessie"
SESSION_SECONDS = 8 * 3600  # a working day
SIGN_IN_PATH = "/aanmelden"
# A session's file: the SHA-256 of its id (``WebSessions._key``), nothing else.
_SESSION_FILE = re.compile(r"[0-9a-f]{64}")


class WebSessions:
    """Session id → bearer token, stored under the SHA-256 of the id (a stolen store names no
    cookie)."""

    def __init__(self, directory: Path | None) -> None:
        # One process (an app on a given context, as in tests) keeps them in memory; the workers of
        # a server share the directory.
        self.store: Store = (
            MemoryStore() if directory is None else FileStore(private_directory(directory))
        )

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()

    async def open(self, token: str, seconds: int = SESSION_SECONDS) -> str:
        """A new session for ``token``; every sign-in first removes the sessions whose day is over
        (a store read only by key would keep them forever)."""
        await self.sweep()
        session_id = secrets.token_urlsafe(32)
        await self.store.set(self._key(session_id), token, expires_in=seconds)
        return session_id

    async def sweep(self) -> None:
        """Remove the expired sessions. Safe beside other workers: a session is never renewed, so an
        expired file stays expired, and removing one twice is no error; a file another worker is
        still writing (``<key>.tmp…``, renamed into place when complete) is left alone."""
        if not isinstance(self.store, FileStore):
            await self.store.delete_expired()
            return
        for path in Path(self.store.path).iterdir():
            if not _SESSION_FILE.fullmatch(path.name):
                continue
            try:
                stored = StorageObject.from_bytes(path.read_bytes())
            except FileNotFoundError:
                continue  # removed meanwhile by another worker's sweep or sign-out
            if stored.expired:
                path.unlink(missing_ok=True)

    async def token(self, session_id: str) -> str | None:
        stored = await self.store.get(self._key(session_id))
        return None if stored is None else stored.decode()

    async def close(self, session_id: str) -> None:
        await self.store.delete(self._key(session_id))


def csrf_secret(directory: Path | None) -> str:
    """The secret the CSRF tokens are signed with, the same for every worker (made once); a random
    one for a single process."""
    if directory is None:
        return secrets.token_hex(32)
    path = private_directory(directory) / "csrf-secret"
    if not path.exists():
        write_private_file(path, secrets.token_hex(32))
    return path.read_text().strip()


def session_cookie_secure(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Secure over https, and always where TLS ends at a proxy (``Settings.web_cookies_secure``)."""
    return bool(connection.app.state.get("web_cookies_secure")) or connection.url.scheme == "https"


class SessionAuthentication(AbstractAuthenticationMiddleware):
    """The pages' counterpart of ``api.security.BearerTokenAuthentication``: the principal comes
    from the session's token; without a valid one a page redirects to the sign-in page."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except NotAuthorizedException:
            response = Redirect(SIGN_IN_PATH, status_code=303)
            if dict(scope["headers"]).get(b"hx-request"):
                # htmx follows a redirect inside the page; this asks it to load the sign-in page.
                response = Redirect(
                    SIGN_IN_PATH, status_code=303, headers={"HX-Redirect": SIGN_IN_PATH}
                )
            await response.to_asgi_response(app=None, request=None)(scope, receive, send)  # type: ignore[arg-type]

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        session_id = connection.cookies.get(SESSION_COOKIE)
        sessions: WebSessions = connection.app.state.web_sessions
        token = await sessions.token(session_id) if session_id else None
        principal = (
            await connection.app.state.context.token_cache.principal(token) if token else None
        )
        if principal is None:
            if session_id and token:
                await sessions.close(session_id)  # the token was revoked: the session ends with it
            raise NotAuthorizedException("sign in")
        return AuthenticationResult(user=principal, auth=session_id)
