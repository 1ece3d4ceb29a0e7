"""Liveness, readiness and metrics: public, for orchestrators and Prometheus."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from adapters.event_log_format import EVENTS_PER_MESSAGE
from api.context import ApiContext, event_store_connected
from api.schemas import Health
from api.security import PublicOperation
from projections.audit import LogStatus
from projections.work_status import FEEDS_WORKER, set_aside_events, worker_positions

# The read models count as caught up while they trail the log by at most about a hundred saves (a log
# position is a message's stream sequence × EVENTS_PER_MESSAGE + the event's index in it).
READY_LAG = 100 * EVENTS_PER_MESSAGE
CAUGHT_UP = "caught up"
# How many set-aside events /ready names at most (all of them: /audit/set-aside-events).
_NAMED = 3


class SystemController(Controller):
    tags = ["system"]
    opt = {"exclude_from_auth": True}

    @get(
        "/health", summary="Liveness: the process serves requests", operation_class=PublicOperation
    )
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        summary="Readiness: the event store is connected, the read models and feeds caught up",
        description=(
            "503 at once while the event store is unreachable (the service reconnects by itself), "
            "and while the read models or the region feeds trail the log. Events that a worker "
            "could not process and set aside are named under `set_aside_events` (listed at "
            "`/audit/set-aside-events`); they do not make the service unready, as the workers go on "
            "with the events after them."
        ),
        responses={503: ResponseSpec(data_container=Health, description="Not ready, and why")},
        operation_class=PublicOperation,
    )
    async def ready(
        self, context: NamedDependency[ApiContext], event_log_status_file: NamedDependency[Path]
    ) -> Response[Health]:
        if not event_store_connected(context.app):
            # Asking an unreachable store for its head would only wait for a timeout.
            checks = {"event_store": "unreachable (reconnecting)"}
        else:
            checks = await anyio.to_thread.run_sync(lambda: work_checks(context))
        checks["event_log"] = event_log_state(event_log_status_file)
        ready = not checks["event_log"].startswith("fault") and all(
            value in ("connected", CAUGHT_UP)
            for name, value in checks.items()
            if name not in ("set_aside_events", "event_log")
        )
        return Response(
            Health(status="ready" if ready else "not ready", checks=checks),
            status_code=200 if ready else 503,
            headers={} if ready else {"Retry-After": "1"},
        )


def work_checks(context: ApiContext) -> dict[str, str]:
    """The event store's connection, how far the read models and the region feeds are, and the
    events set aside."""
    checks = {"event_store": "connected"}
    try:
        head = context.app.recorder.max_notification_id() or 0
    except Exception:  # noqa: BLE001 - the store went away meanwhile
        return {"event_store": "unreachable (no answer)"}
    checks["read_models"] = _lag(context.position_watch.position or 0, head)
    try:
        feeds = worker_positions(context.engine).get(FEEDS_WORKER)
        set_aside = set_aside_events(context.engine, limit=_NAMED + 1)
    except Exception:  # noqa: BLE001 - the database is away; the maps check reports it already
        return checks
    if feeds is not None:  # None: no process of this deployment fans out (to region feeds) yet
        checks["region_feeds"] = _lag(feeds, head)
    if set_aside:
        named = ", ".join(
            f"{event.worker} at {event.position} ({event.event_type})"
            for event in set_aside[:_NAMED]
        )
        checks["set_aside_events"] = named + (", …" if len(set_aside) > _NAMED else "")
    return checks


def _lag(position: int, head: int) -> str:
    return CAUGHT_UP if head - position <= READY_LAG else f"behind ({position} of {head})"


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
