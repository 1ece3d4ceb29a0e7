"""Liveness, readiness and metrics: public, for orchestrators and Prometheus."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from api.schemas import Health
from services.application import GovernanceApplication


def event_store_connected(app: GovernanceApplication) -> bool:
    client = getattr(app.factory, "client", None)  # None: an in-process store, always there
    return client is None or bool(client.nc.is_connected)


class SystemController(Controller):
    tags = ["system"]
    opt = {"exclude_from_auth": True}

    @get("/health", summary="Liveness: the process serves requests")
    async def health(self) -> Health:
        return Health(status="ok")

    @get("/ready", summary="Readiness: the event store is connected and the read models caught up")
    async def ready(self, request: Request) -> Response[Health]:
        context = request.app.state.context
        checks = {"event_store": "connected" if event_store_connected(context.app) else "disconnected"}
        ready = all(v == "connected" for v in checks.values())
        return Response(
            Health(status="ready" if ready else "not ready", checks=checks),
            status_code=200 if ready else 503,
        )
