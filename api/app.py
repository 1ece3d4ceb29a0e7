"""The Litestar application: ``create_app()`` (the factory granian runs in each worker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from adapters.audit import public_key_path
from adapters.nats.client import server_urls
from adapters.settings import Settings
from api.context import ApiContext
from api.controllers.agreements import AgreementController
from api.controllers.audit import AuditController
from api.controllers.cooperations import CooperationController
from api.controllers.decisions import DecisionController
from api.controllers.events import EventController
from api.controllers.feeds import FeedController
from api.controllers.municipalities import MunicipalityController
from api.controllers.organisations import OrganisationController
from api.controllers.regions import RegionController
from api.controllers.system import SystemController
from api.controllers.tokens import TokenController
from api.errors import EXCEPTION_HANDLERS
from api.feeds import asyncapi_document_route
from api.observability import RequestIdMiddleware, configure_logging
from api.openapi import StrictStructSchemaPlugin
from api.request_body import MAX_BODY_BYTES, RequestBodyGate
from api.security import BearerTokenAuthentication
from services.runtime import Runtime

API_TITLE = "Regiekaart"
PUBLIC_PATHS = [
    "^/schema",
    "^/metrics",
    "^/health",
    "^/ready",
    "^/asyncapi.yaml",
    "^/audit/public-key",
]


class Metrics(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    opt = {"exclude_from_auth": True}


def create_app(context: ApiContext | None = None, settings: Settings | None = None) -> Litestar:
    """The API on ``context``; without one (as granian starts it), on the service of the settings
    (``REGIEKAART_*``), which must name the NATS server ``regiekaart serve`` runs."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def serving(app: Litestar, serving_context: ApiContext) -> AsyncIterator[None]:
        app.state.context = serving_context
        serving_context.position_watch.start()
        try:
            yield
        finally:
            serving_context.position_watch.stop()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.feed_connection = None
        if context is not None:
            async with serving(app, context):
                yield
            return
        if not settings.nats_url:
            raise RuntimeError("REGIEKAART_NATS_URL must name the event store's NATS server")
        with Runtime(settings) as runtime:
            assert runtime.app is not None and runtime.engine is not None
            # The region feeds stream from NATS on this server loop (the application has its own).
            app.state.feed_connection = await nats.connect(
                server_urls(settings.nats_url), name="regiekaart-api-feeds"
            )
            try:
                async with serving(app, ApiContext(runtime.app, runtime.engine)):
                    yield
            finally:
                await app.state.feed_connection.close()

    prometheus = PrometheusConfig(app_name="regiekaart", prefix="regiekaart", group_path=True)
    return Litestar(
        route_handlers=[
            SystemController,
            Metrics,
            MunicipalityController,
            RegionController,
            CooperationController,
            OrganisationController,
            AgreementController,
            DecisionController,
            EventController,
            AuditController,
            FeedController,
            asyncapi_document_route,
            TokenController,
        ],
        lifespan=[lifespan],
        state=State({"public_key_file": public_key_path(settings.data_dir)}),
        middleware=[
            RequestIdMiddleware,
            prometheus.middleware,
            RequestBodyGate,
            DefineMiddleware(BearerTokenAuthentication, exclude=PUBLIC_PATHS),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[StrictStructSchemaPlugin()],
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title=API_TITLE,
            version="0.1.0",
            description=(
                "The governance map of Dutch youth-care regions: commands, maps, history and the event "
                "log. Authenticate with `Authorization: Bearer <token>` (create tokens with "
                "`regiekaart tokens create`). Errors are RFC 9457 problem details."
            ),
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="regiekaart token"
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
        debug=False,
    )
