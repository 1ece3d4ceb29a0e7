"""The event log itself, page by page, filtered by aggregate, event type, region and record time.

Auditors and admins read all of it; a region system reads its own region's events: with ``region``, the
log answers exactly what that region's feed carries (``projections.region_index``, the feed's rule).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from eventsourcing.utils import get_topic
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from api.context import ApiContext
from api.errors import problems
from api.guards import reads_log
from api.schemas import LOG_POSITION_MAX, EventPage, LoggedEvent, no_aggregate
from domain.events import EVENT_CLASSES, describe

# Scanning stops after this many events per request (the page then says there is more), so a narrow
# filter never makes one request read the whole log.
SCAN_LIMIT = 1000

EVENT_TYPES: dict[str, str] = {cls.__qualname__: get_topic(cls) for cls in EVENT_CLASSES}
_decode_state = msgspec.json.Decoder(dict[str, Any])


def read_log(
    context: NamedDependency[ApiContext],
    *,
    after: int,
    limit: int,
    aggregate_ids: frozenset[UUID] | None,
    types: tuple[str, ...],
    region: str | None,
    since: datetime | None,
    until: datetime | None,
) -> EventPage:
    recorder = context.app.recorder
    mapper = context.app.mapper
    topics = [EVENT_TYPES[t] for t in types]
    # With a region, the page ends where the region index does: beyond it, no event is known to
    # concern the region yet (the next page has it).
    stop = context.region_index.catch_up() if region is not None else None
    found: list[LoggedEvent] = []
    position, scanned = after, 0
    while len(found) < limit and scanned < SCAN_LIMIT:
        batch = recorder.select_notifications(
            start=position,
            limit=min(500, SCAN_LIMIT - scanned),
            stop=stop,
            topics=topics,
            inclusive_of_start=False,
        )
        if not batch:
            return EventPage(events=tuple(found), position=position, more=False)
        for notification in batch:
            position = notification.id
            scanned += 1
            if aggregate_ids is not None and notification.originator_id not in aggregate_ids:
                continue
            if region is not None and not context.region_index.concerns(region, notification.id):
                continue
            event = mapper.to_domain_event(notification)
            if since is not None and event.timestamp < since:
                continue
            if until is not None and event.timestamp > until:
                continue
            info = describe(event)
            found.append(
                LoggedEvent(
                    id=notification.id,
                    aggregate_id=notification.originator_id,
                    aggregate_version=notification.originator_version,
                    type=type(event).__qualname__,
                    aggregate_kind=str(info.aggregate_kind),
                    slug=info.slug,
                    recorded_at=event.timestamp,
                    principal=getattr(event, "principal", None),
                    concerns=info.concerns,
                    state=_decode_state.decode(notification.state),
                )
            )
            if len(found) == limit:
                break
    return EventPage(events=tuple(found), position=position, more=True)


def _aggregates_named(context: ApiContext, name: str, region: str | None) -> frozenset[UUID]:
    """The aggregates ``name`` names; none names a 400, but in one region's log an empty page, as
    another region's aggregate gives: a region system learns nothing of what lies outside it."""
    named = context.aggregates_named(name)
    if not named and region is None:
        raise no_aggregate(name, key="aggregate_id")
    return frozenset(named)


class EventController(Controller):
    path = "/events"
    tags = ["event log"]

    @get(
        "/",
        guards=[reads_log],
        sync_to_thread=True,
        summary="The event log, paged and filtered",
        responses=problems(400, 401, 403, 503),
    )
    def list_events(
        self,
        context: NamedDependency[ApiContext],
        after: Annotated[
            int,
            QueryParameter(ge=0, le=LOG_POSITION_MAX, description="Events after this log position"),
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        aggregate_id: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                description=(
                    "The aggregate by its id (a UUID) or its slug as the maps give it "
                    "(e.g. zuid-limburg: every aggregate of that slug, a region and a cooperation alike)"
                ),
            ),
        ] = None,
        event_type: Annotated[
            list[str] | None,
            QueryParameter(
                name="type", description="Event types, e.g. AccountHoldership.HolderAssigned"
            ),
        ] = None,
        region: Annotated[
            str | None,
            QueryParameter(description="Only the events this region's feed carries (given once)"),
        ] = None,
        since: Annotated[
            datetime | None, QueryParameter(description="Recorded at or after")
        ] = None,
        until: Annotated[
            datetime | None, QueryParameter(description="Recorded at or before")
        ] = None,
    ) -> EventPage:
        types = tuple(event_type or ())
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown:
            raise ValidationException(
                "unknown event type",
                extra=[
                    {"message": f"unknown event type {t!r}", "key": "type", "source": "query"}
                    for t in unknown
                ],
            )
        for moment in (since, until):
            if moment is not None and moment.tzinfo is None:
                raise ValidationException(
                    "times need a time zone",
                    extra=[
                        {
                            "message": "give a time zone, e.g. 2025-01-01T00:00:00Z",
                            "key": "since/until",
                            "source": "query",
                        }
                    ],
                )
        return read_log(
            context,
            after=after,
            limit=limit,
            aggregate_ids=None
            if aggregate_id is None
            else _aggregates_named(context, aggregate_id, region),
            types=types,
            region=region,
            since=since,
            until=until,
        )
