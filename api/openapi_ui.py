"""The interactive API docs at ``/schema`` (Swagger UI) load every file from the API itself, never from
a CDN, so they work on a machine without internet. The files are vendored in ``api/static/openapi/``
(its README names the package and version); the script that starts Swagger UI is ours
(``api/static/openapi-start/``).

The page runs no inline script or style, so it has the pages' Content-Security-Policy
(``api.web.page_headers``): the OpenAPI document travels in a data block, which the browser does not
run, and our script hands it to Swagger UI. Litestar's own page starts Swagger UI from an inline
script holding the whole document."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

OPENAPI_PATH = "/schema"
SWAGGER_UI_DIR = Path(__file__).parent / "static" / "openapi"
START_DIR = Path(__file__).parent / "static" / "openapi-start"
# The vendored release names the URLs its files are served at: another release gets other URLs, so a
# browser may keep each file for good and never mixes the files of two releases.
SWAGGER_UI_VERSION: str = json.loads((SWAGGER_UI_DIR / "package.json").read_bytes())["version"]
SWAGGER_UI_ASSETS_PATH = f"{OPENAPI_PATH}/assets/swagger-ui-{SWAGGER_UI_VERSION}"
ONE_YEAR = 365 * 24 * 60 * 60
# Our start script changes without Swagger UI's version: its address names its contents too.
_START_SCRIPT = (
    f"{SWAGGER_UI_ASSETS_PATH}/start.js"
    f"?{hashlib.sha256((START_DIR / 'start.js').read_bytes()).hexdigest()[:12]}"
)


def swagger_ui_assets_router() -> Router:
    """Serves the vendored Swagger UI files (public, like the rest of ``/schema``)."""
    return create_static_files_router(
        path=SWAGGER_UI_ASSETS_PATH,
        directories=[SWAGGER_UI_DIR, START_DIR],
        # A name of its own: handler names are unique in an app, and "static" is the default.
        name="openapi-ui-assets",
        cache_control=CacheControlHeader(public=True, max_age=ONE_YEAR, immutable=True),
        include_in_schema=False,
    )


class SwaggerUiPage(SwaggerRenderPlugin):
    """The Swagger UI page, with no inline script or style (see the module's docstring)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # "<" escaped in the JSON: a "</script>" in a description cannot end the data block.
        document = self.render_json(request, openapi_schema).replace(b"<", b"\\u003c")
        head = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(openapi_schema['info']['title'])}</title>{self.favicon}"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link href="{self.css_url}" rel="stylesheet"></head>'
            '<body><div id="swagger-container"></div>'
            '<script type="application/json" id="openapi-document">'
        )
        scripts = "".join(
            f'<script src="{src}"></script>'
            for src in (self.js_url, self.standalone_preset_js_url, _START_SCRIPT)
        )
        return b"".join(
            (head.encode(), document, b"</script>", scripts.encode(), b"</body></html>")
        )

    def receive_router(self, router: Router) -> None:
        """No OAuth2 redirect page (Litestar's runs inline script): tokens here are bearer tokens."""


def swagger_ui_plugin() -> SwaggerRenderPlugin:
    """The Swagger UI page at ``/schema``, pointed at the files ``swagger_ui_assets_router`` serves
    (Litestar's defaults are CDN addresses, its favicon too)."""
    assets = SWAGGER_UI_ASSETS_PATH
    return SwaggerUiPage(
        path="/",
        js_url=f"{assets}/swagger-ui-bundle.js",
        css_url=f"{assets}/swagger-ui.css",
        standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{assets}/favicon-32x32.png'>",
    )
