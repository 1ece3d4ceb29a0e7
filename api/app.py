"""The Litestar application: ``create_app()`` (``entrypoints.server`` runs it in each granian worker)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from pathlib import Path

import anyio.to_thread
import nats
from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.audit import event_log_status_path
from adapters.seal import public_key_file
from adapters.settings import Settings, server_urls
from api.compression import COMPRESSION
from api.context import ApiContext
from api.controllers.agreements import AgreementController
from api.controllers.audit import AuditController
from api.controllers.bodies import BodyController
from api.controllers.cooperations import CooperationController
from api.controllers.decisions import DecisionController
from api.controllers.events import EventController
from api.controllers.feeds import FeedController
from api.controllers.modules import ModuleCommitmentController, ModuleCommitmentReads
from api.controllers.municipalities import MunicipalityController
from api.controllers.norms import NormController
from api.controllers.organisations import OrganisationController
from api.controllers.plans_of_approach import PlanOfApproachController
from api.controllers.regions import RegionController
from api.controllers.system import (
    SystemController,
    event_log_metrics,
    read_event_log_status,
)
from api.controllers.tokens import TokenController
from api.dependencies import Providers
from api.errors import EXCEPTION_HANDLERS, MiddlewareRefusals
from api.feeds import asyncapi_document_route
from api.observability import REQUEST_METRICS, RequestObservation, configure_logging
from api.openapi import StrictStructSchemaPlugin
from api.openapi_ui import OPENAPI_PATH, swagger_ui_assets_router, swagger_ui_plugin
from api.query import SingleValuedQueryMiddleware
from api.request_body import MAX_BODY_BYTES, RequestBodyGate
from api.security import BearerTokenAuthentication
from api.web import WEB_PATHS
from api.web.error_pages import page_aware
from api.web.page_headers import PageHeaders
from api.web.router import TEMPLATE_CONFIG, web_routers
from api.web.sessions import WebSessions
from projections.work_status import FEEDS_WORKER, PROJECTIONS_WORKER, set_aside_counts

API_TITLE = "Regiekaart"
# Opens the service a granian worker serves (its own connections to the event store and database) for
# as long as the app runs; ``entrypoints.server`` supplies it.
ContextOpener = Callable[[Settings], AbstractContextManager[ApiContext]]
PUBLIC_PATHS = [
    f"^{OPENAPI_PATH}",
    "^/metrics",
    "^/health",
    "^/ready",
    "^/asyncapi.yaml",
    "^/audit/public-key",
    *WEB_PATHS,  # the pages sign in through a session of their own (api.web.sessions)
]


class SetAsideCollector:
    """``regiekaart_events_set_aside_total{worker=…}``, counted in the database the workers report to
    (they run in other processes than the API's, and their count outlives a restart)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "regiekaart_events_set_aside",
            "Events a background worker could not process and set aside, going on with the next",
            labels=["worker"],
        )
        try:
            counts = set_aside_counts(self.engine)
        except SQLAlchemyError:
            counts = {}
        for worker in (FEEDS_WORKER, PROJECTIONS_WORKER, *sorted(counts)):
            family.add_metric([worker], counts.pop(worker, 0))
        yield family


class Metrics(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get()
    async def get(
        self, engine: NamedDependency[Engine], event_log_status_file: NamedDependency[Path]
    ) -> Response[bytes]:
        REQUEST_METRICS.write()  # this worker's requests counted since the loop last turned
        registry = REGISTRY
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        own = CollectorRegistry()
        own.register(SetAsideCollector(engine))
        body = generate_latest(registry)
        body += await anyio.to_thread.run_sync(generate_latest, own)
        # Whether the checkpoint writer (another process) last found the event log intact.
        status = read_event_log_status(event_log_status_file)
        if status is not None:
            body += event_log_metrics(status)
        return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _leave_interrupts_to_the_main_process() -> None:
    """A granian worker stops when the main process tells it to (SIGTERM), not on the terminal's
    Ctrl-C, which reaches every process of the foreground group: granian 2.8's worker hung for good
    when it got the Ctrl-C's SIGINT and then its main process's SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return  # not a granian worker (a test client runs the app on a thread of its own)
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def create_app(
    context: ApiContext | None = None,
    settings: Settings | None = None,
    *,
    open_context: ContextOpener | None = None,
) -> Litestar:
    """The API on ``context``; without one (as granian starts it), on the context ``open_context``
    opens for the settings (``REGIEKAART_*``, which must name the NATS server ``regiekaart serve``
    runs) while the app runs. The opener comes from the caller (``entrypoints.server``), so the HTTP
    layer never wires the service itself."""
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
        if open_context is None:
            raise RuntimeError("create_app needs a context, or open_context to open one per worker")
        _leave_interrupts_to_the_main_process()
        with open_context(settings) as worker_context:
            # The region feeds stream from NATS on this server loop (the application has its own).
            app.state.feed_connection = await nats.connect(
                server_urls(settings.nats_url),
                name="regiekaart-api-feeds",
                # The embedded server is restarted when it dies: wait for it however long it takes.
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
            )
            try:
                async with serving(app, worker_context):
                    yield
            finally:
                await app.state.feed_connection.close()

    # The pages' sessions: shared by the workers of a server through the data directory; an app on a
    # given context is one process and keeps them in memory.
    web_dir = None if context is not None else settings.data_dir / "web"
    state = State(
        {
            "public_key_file": public_key_file(settings.effective_signing_key_file),
            "event_log_status_file": event_log_status_path(settings.data_dir),
            "web_sessions": WebSessions(None if web_dir is None else web_dir / "sessions"),
            "web_cookies_secure": settings.web_cookies_secure,
        }
    )
    provide = Providers(state)
    return Litestar(
        route_handlers=[
            SystemController,
            Metrics,
            MunicipalityController,
            RegionController,
            CooperationController,
            OrganisationController,
            AgreementController,
            ModuleCommitmentController,
            ModuleCommitmentReads,
            PlanOfApproachController,
            DecisionController,
            BodyController,
            NormController,
            EventController,
            AuditController,
            FeedController,
            asyncapi_document_route,
            TokenController,
            swagger_ui_assets_router(),
            *web_routers(web_dir, cookies_secure=settings.web_cookies_secure),
        ],
        template_config=TEMPLATE_CONFIG,
        lifespan=[lifespan],
        # What the handlers are given by parameter name (``api.dependencies``).
        dependencies={
            "context": Provide(provide.context, sync_to_thread=False),
            "engine": Provide(provide.engine, sync_to_thread=False),
            "maps": Provide(provide.maps, sync_to_thread=False),
            "tokens": Provide(provide.tokens, sync_to_thread=False),
            "token_cache": Provide(provide.token_cache, sync_to_thread=False),
            "audit_log": Provide(provide.audit_log, sync_to_thread=False),
            "feed_connection": Provide(provide.feed_connection, sync_to_thread=False),
            "public_key_file": Provide(provide.public_key_file, sync_to_thread=False),
            "event_log_status_file": Provide(provide.event_log_status_file, sync_to_thread=False),
            "web_sessions": Provide(provide.web_sessions, sync_to_thread=False),
        },
        state=state,
        middleware=[
            RequestObservation,
            PageHeaders,
            MiddlewareRefusals,
            SingleValuedQueryMiddleware,
            DefineMiddleware(RequestBodyGate, exempt=WEB_PATHS),
            DefineMiddleware(BearerTokenAuthentication, public=PUBLIC_PATHS),
        ],
        exception_handlers=page_aware(EXCEPTION_HANDLERS),
        plugins=[StrictStructSchemaPlugin()],
        request_max_body_size=MAX_BODY_BYTES,
        compression_config=COMPRESSION,
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title=API_TITLE,
            version="0.1.0",
            description=(
                "The governance map of Dutch youth-care regions: commands, maps, history and the event "
                "log. Authenticate with `Authorization: Bearer <token>` (create tokens with "
                "`regiekaart tokens create`). Errors are RFC 9457 problem details."
            ),
            path=OPENAPI_PATH,
            render_plugins=[swagger_ui_plugin(), JsonRenderPlugin()],
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
