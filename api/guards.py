"""Route guards: the role a route needs, and the region scope of region systems. The rule for commands
(which cooperations and regions a command touches) lives in ``services.authorisation``.

The guards are coroutines although they never wait: Litestar runs a plain function guard on a worker
thread, a hop per request that cost the hot map route more than the rest of its handling. The region
scope is not a guard but a check the region routes make first (``require_region``): Litestar copies the
route handler for every guard it calls, which cost the region map as much CPU again as /health's whole
answer (about 55 µs of 150 µs a request)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from api.security import answered_by_litestar
from services.authorisation import (
    Principal,
    Role,
    may_read_everything,
    may_read_log,
    may_read_region,
)


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return connection.user  # type: ignore[no-any-return]


def _preflight(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A CORS preflight that Litestar answers, running no handler: the bearer middleware and the
    pages' session let it through without a principal, and a guard a controller sets (so on that
    OPTIONS route too) has nothing to check."""
    return answered_by_litestar(connection.scope)


def roles(*allowed: Role) -> Guard:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _preflight(connection):
            return
        principal = _principal(connection)
        if principal.role not in allowed:
            raise PermissionDeniedException(
                f"{principal.id} may not do this: it needs one of the roles "
                f"{', '.join(sorted(allowed))}"
            )

    return guard


WRITERS = roles(Role.ADMIN, Role.COORDINATOR)
ADMINS = roles(Role.ADMIN)
AUDITORS = roles(Role.ADMIN, Role.AUDITOR)


async def reads_everything(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if _preflight(connection):
        return
    principal = _principal(connection)
    if not may_read_everything(principal):
        raise PermissionDeniedException(
            f"{principal.id} reads only the map, history and feed of {', '.join(principal.regions)}"
        )


def require_region(request: ASGIConnection[Any, Any, Any, Any], region: str) -> None:
    """Refuses a principal that may not read ``region`` (a region system reads only its own)."""
    principal = _principal(request)
    if not may_read_region(principal, region):
        raise PermissionDeniedException(
            f"{principal.id} reads only its own region ({', '.join(principal.regions)}), not {region}"
        )


def require_feed(request: ASGIConnection[Any, Any, Any, Any], region: str) -> None:
    """Refuses a principal that may not follow ``region``'s feed: the feed is the event log as the
    region receives it, so the log's rule decides (``may_read_log``), not the rule of maps."""
    principal = _principal(request)
    if not may_read_log(principal, region):
        if principal.role is Role.REGION_SYSTEM:
            own = ", ".join(principal.regions)
            detail = f"{principal.id} follows only its own region's feed ({own})"
        else:
            detail = (
                f"{principal.id} may not follow a region's feed: like the raw event log, it is for "
                "auditors, admins and the region's own system"
            )
        raise PermissionDeniedException(detail)


async def reads_log(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if _preflight(connection):
        return
    principal = _principal(connection)
    if not may_read_log(principal, connection.query_params.get("region")):
        if principal.role is Role.REGION_SYSTEM:
            detail = f"{principal.id} reads the log only with region={principal.regions[0]}"
        else:
            detail = f"{principal.id} may not read the raw event log: it is for auditors and admins"
        raise PermissionDeniedException(detail)
