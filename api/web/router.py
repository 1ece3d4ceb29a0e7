"""The pages' router: templates, the locally served assets, CSRF protection and the session."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from api.compression import SENT_AS_IS
from api.web.audit import AuditPages
from api.web.compliance import CompliancePages
from api.web.decisions import DecisionPages
from api.web.maps import MapPages
from api.web.pages import WebPages
from api.web.sessions import SIGN_IN_PATH, SessionAuthentication, csrf_secret

HERE = Path(__file__).parent
TEMPLATE_CONFIG = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
# Assets change only with a release: a day in the browser's cache, revalidated after.
STATIC_CACHE = CacheControlHeader(public=True, max_age=86_400)


class CSRFCookieSecureOverTLS:
    """Litestar's CSRF middleware with its cookie Secure when the request came over https, as the
    session cookie is (``session_cookie_secure``): its config fixes ``cookie_secure`` for every
    request, so one middleware per scheme, chosen per request. ``always``: the service is reached
    over TLS ended by a reverse proxy (``Settings.web_cookies_secure``), Secure on every request."""

    def __init__(self, app: ASGIApp, config: CSRFConfig, always: bool = False) -> None:
        self.plain = CSRFMiddleware(app, replace(config, cookie_secure=always))
        self.over_tls = CSRFMiddleware(app, replace(config, cookie_secure=True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        middleware = self.over_tls if scope.get("scheme") in ("https", "wss") else self.plain
        await middleware(scope, receive, send)


def web_routers(web_dir: Path | None, *, cookies_secure: bool = False) -> list[Router]:
    """The pages (signed in through a session, forms checked for a CSRF token) and their assets;
    ``web_dir`` holds the sessions and the CSRF secret (None: in this process's memory);
    ``cookies_secure``: the cookies are Secure on every request, not only on https ones."""
    csrf = CSRFConfig(
        secret=csrf_secret(web_dir),
        cookie_name="regiekaart_csrf",
        cookie_httponly=True,
        cookie_samesite="strict",
        header_name="x-csrftoken",
    )
    pages = Router(
        path="/",
        route_handlers=[WebPages, MapPages, CompliancePages, DecisionPages, AuditPages],
        middleware=[
            DefineMiddleware(CSRFCookieSecureOverTLS, config=csrf, always=cookies_secure),
            DefineMiddleware(SessionAuthentication, exclude=[f"^{SIGN_IN_PATH}"]),
        ],
        include_in_schema=False,
        opt=SENT_AS_IS,  # a page's CSRF token beside the visitor's text: see api.compression
    )
    static = create_static_files_router(
        path="/static",
        directories=[HERE / "static"],
        cache_control=STATIC_CACHE,
        include_in_schema=False,
    )
    return [pages, static]
