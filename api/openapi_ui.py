"""The interactive API docs at ``/schema`` (Swagger UI) load every file from the API itself, never from
a CDN, so they work on a machine without internet. The files are vendored in ``api/static/openapi/``
(its README names the package and version)."""

from __future__ import annotations

import json
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

OPENAPI_PATH = "/schema"
SWAGGER_UI_DIR = Path(__file__).parent / "static" / "openapi"
# The vendored release names the URLs its files are served at: another release gets other URLs, so a
# browser may keep each file for good and never mixes the files of two releases.
SWAGGER_UI_VERSION: str = json.loads((SWAGGER_UI_DIR / "package.json").read_bytes())["version"]
SWAGGER_UI_ASSETS_PATH = f"{OPENAPI_PATH}/assets/swagger-ui-{SWAGGER_UI_VERSION}"
ONE_YEAR = 365 * 24 * 60 * 60


def swagger_ui_assets_router() -> Router:
    """Serves the vendored Swagger UI files (public, like the rest of ``/schema``)."""
    return create_static_files_router(
        path=SWAGGER_UI_ASSETS_PATH,
        directories=[SWAGGER_UI_DIR],
        # A name of its own: handler names are unique in an app, and "static" is the default.
        name="openapi-ui-assets",
        cache_control=CacheControlHeader(public=True, max_age=ONE_YEAR, immutable=True),
        include_in_schema=False,
    )


def swagger_ui_plugin() -> SwaggerRenderPlugin:
    """Litestar's Swagger UI page at ``/schema``, pointed at the files ``swagger_ui_assets_router``
    serves (Litestar's defaults are CDN addresses, its favicon too)."""
    assets = SWAGGER_UI_ASSETS_PATH
    return SwaggerRenderPlugin(
        path="/",
        js_url=f"{assets}/swagger-ui-bundle.js",
        css_url=f"{assets}/swagger-ui.css",
        standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{assets}/favicon-32x32.png'>",
    )
