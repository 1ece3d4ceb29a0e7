"""Liveness, readiness and metrics: public, for orchestrators and Prometheus."""

from __future__ import annotations

import anyio.to_thread
from litestar import Controller, Request, Response, get

from adapters.nats.recorders import EVENTS_PER_MESSAGE
from api.context import ApiContext
from api.schemas import Health
from api.security import PublicOperation
from services.application import GovernanceApplication

# The read models count as caught up while they trail the log by at most about a hundred saves (a log
# position is a message's stream sequence × EVENTS_PER_MESSAGE + the event's index in it).
READY_LAG = 100 * EVENTS_PER_MESSAGE


def event_store_connected(app: GovernanceApplication) -> bool:
    client = getattr(app.factory, "client", None)  # None: an in-process store, always there
    return client is None or bool(client.nc.is_connected)


class SystemController(Controller):
    tags = ["system"]
    opt = {"exclude_from_auth": True}

    @get("/health", summary="Liveness: the process serves requests", operation_class=PublicOperation)
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        summary="Readiness: the event store is connected and the read models caught up",
        operation_class=PublicOperation,
    )
    async def ready(self, request: Request) -> Response[Health]:
        context: ApiContext = request.app.state.context
        checks = {
            "event_store": "connected" if event_store_connected(context.app) else "disconnected",
            "read_models": await anyio.to_thread.run_sync(lambda: read_models_state(context)),
        }
        ready = checks == {"event_store": "connected", "read_models": "caught up"}
        return Response(
            Health(status="ready" if ready else "not ready", checks=checks),
            status_code=200 if ready else 503,
        )


def read_models_state(context: ApiContext) -> str:
    try:
        head = context.app.recorder.max_notification_id() or 0
    except Exception:  # noqa: BLE001 - the event store check reports the cause
        return "unknown"
    applied = context.position_watch.position or 0
    return "caught up" if head - applied <= READY_LAG else f"behind ({applied} of {head})"
