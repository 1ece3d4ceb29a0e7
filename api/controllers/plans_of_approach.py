"""Plans of approach (plannen van aanpak): recording plans, actions, status changes, milestones,
recommendations and results, and reading the actions overdue on a day (or that became overdue
between two days) across every plan. A region's plans are read under ``/regions`` (``api.controllers.
regions``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from api.commands import command_route
from api.controllers.reads import READ_PROBLEMS, AsOf, KnownAt, read
from api.guards import reads_everything
from api.maps import utc
from projections.plans_of_approach import OverdueActions
from projections.queries import GovernanceMaps
from services import commands as c

Since = Annotated[
    date | None,
    QueryParameter(
        description="Only the actions not yet overdue on this day (before as_of) and overdue on as_of"
    ),
]


def overdue_day(as_of: date | None, since: date | None) -> date:
    """The day overdue actions are read on (default today); ``since`` must come before it."""
    day = as_of or date.today()
    if since is not None and since >= day:
        raise ValidationException(
            f"since ({since}) must be before as_of ({day})",
            extra=[{"message": "give a day before as_of", "key": "since", "source": "query"}],
        )
    return day


async def overdue_actions(
    maps: GovernanceMaps,
    region: str | None,
    as_of: date | None,
    since: date | None,
    known_at: datetime | None,
) -> OverdueActions:
    """The actions overdue on ``as_of`` (of ``region``'s plans, or of every plan); with ``since``,
    those that became overdue after it."""
    day = overdue_day(as_of, since)
    return await read(
        lambda: maps.overdue_actions(region=region, as_of=day, since=since, known_at=utc(known_at))
    )


class PlanOfApproachController(Controller):
    path = "/plans-of-approach"
    tags = ["plans of approach"]

    record_plan = command_route("/", c.RecordPlanOfApproach, "Record a plan of approach")
    record_action = command_route("/actions", c.RecordAction, "Record an action of a plan")
    change_status = command_route(
        "/actions/status", c.ChangeActionStatus, "Record an action's new status from a day"
    )
    set_milestone = command_route("/milestones", c.SetPlanMilestone, "Record a plan's milestone")
    record_recommendation = command_route(
        "/recommendations", c.RecordRecommendation, "Record a recommendation a plan answers"
    )
    report_result = command_route(
        "/recommendations/results", c.ReportResult, "Report the result on a recommendation"
    )

    @get(
        "/overdue-actions",
        guards=[reads_everything],
        summary="The actions of every plan overdue on a day, or that became overdue since a day",
        responses=READ_PROBLEMS,
    )
    async def all_overdue_actions(
        self,
        maps: NamedDependency[GovernanceMaps],
        as_of: AsOf = None,
        since: Since = None,
        known_at: KnownAt = None,
    ) -> OverdueActions:
        return await overdue_actions(maps, None, as_of, since, known_at)
