"""What every answer on a page's path tells the browser and the caches between: a page shows what one
session may see (a region system only its own region, the signed-in name in its header), so

- no cache keeps it (``no-store``): a shared cache keyed by the address would hand a coordinator's map
  of Noord-Limburg to Zuid-Limburg's staff, and the browser's would show a page again from the back
  button after Afmelden;
- no other site frames it (the forms are one click from recording a decision) and the browser runs
  only the service's own script and style (``Content-Security-Policy``: the templates escape stored
  text, and this bounds what a slip there could do); htmx is told not to add its inline style;
- the browser reads each answer as its declared type only, and the full address of a page (its
  peildatum, its subject) goes to no other site as a referrer.

An ASGI middleware at the app's level, outside ``api.errors.MiddlewareRefusals``, so that the answers
made from a refusal (a form without its CSRF token, the redirect to the sign-in page) get them too;
the assets under ``/static/`` keep their own caching (``api.web.router``), and so do the API docs'
files (``api.openapi_ui``), whose page has these headers too."""

from __future__ import annotations

import re

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.openapi_ui import OPENAPI_PATH, SWAGGER_UI_ASSETS_PATH
from api.web import WEB_PATHS

# The pages, and the API docs' page and documents (not their files, which keep their own caching).
_DOCS_FILES = re.escape(SWAGGER_UI_ASSETS_PATH.removeprefix(OPENAPI_PATH))
_PAGE_PATHS = re.compile(
    "|".join(
        (
            *(path for path in WEB_PATHS if path != "^/static/"),
            f"^{re.escape(OPENAPI_PATH)}(?!{_DOCS_FILES}/)",
        )
    )
)
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class PageHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _PAGE_PATHS.match(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in PAGE_HEADERS.items():
                    headers[name] = value  # replaces any of the same name
            await send(message)

        await self.app(scope, receive, send_with_headers)
