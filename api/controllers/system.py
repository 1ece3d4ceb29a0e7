"""Liveness, readiness and metrics: public, for orchestrators and Prometheus."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get

from adapters.nats.recorders import EVENTS_PER_MESSAGE
from api.context import ApiContext
from api.schemas import Health
from services.application import GovernanceApplication
from services.audit import LogStatus

# The read models count as caught up while they trail the log by at most about a hundred saves (a log
# position is a message's stream sequence × EVENTS_PER_MESSAGE + the event's index in it).
READY_LAG = 100 * EVENTS_PER_MESSAGE


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
        context: ApiContext = request.app.state.context
        checks = {
            "event_store": "connected" if event_store_connected(context.app) else "disconnected",
            "read_models": await anyio.to_thread.run_sync(lambda: read_models_state(context)),
            "event_log": event_log_state(request.app.state.event_log_status_file),
        }
        ready = (
            checks["event_store"] == "connected"
            and checks["read_models"] == "caught up"
            and not checks["event_log"].startswith("fault")
        )
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


def read_event_log_status(path: Path) -> LogStatus | None:
    """What the checkpoint writer last found, or None if it has not run (yet) on this data directory."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=LogStatus)
    except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def event_log_state(status_file: Path) -> str:
    """``verified up to N``; ``fault at …`` when the checkpoint writer found an event it cannot verify
    (it signs nothing past it, and the service is not ready until the log is mended); ``not checked``
    while no writer has reported on this data directory."""
    status = read_event_log_status(status_file)
    if status is None:
        return "not checked"
    if status.verified:
        return f"verified up to {status.position}"
    return f"fault at {status.fault}"


def event_log_metrics(status: LogStatus) -> bytes:
    return (
        "# HELP regiekaart_event_log_verified 1 while the checkpoint writer verifies the whole event "
        "log, 0 once it found an event it cannot verify (and signs nothing past it).\n"
        "# TYPE regiekaart_event_log_verified gauge\n"
        f"regiekaart_event_log_verified {int(status.verified)}\n"
        "# HELP regiekaart_event_log_verified_position The log position verified up to.\n"
        "# TYPE regiekaart_event_log_verified_position gauge\n"
        f"regiekaart_event_log_verified_position {status.position}\n"
    ).encode()
