"""Youth-care regions (jeugdzorgregio's)."""

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from api.commands import command_route
from api.context import ApiContext
from api.controllers.norms import compliance_maps
from api.controllers.plans_of_approach import Since, overdue_actions
from api.controllers.reads import (
    READ_PROBLEMS,
    AsOf,
    IfNoneMatch,
    KnownAt,
    MinPosition,
    cached_map,
    history,
    list_route,
    map_route,
    view,
)
from api.examples import MAP_EXAMPLES
from api.guards import require_region
from api.map_documents import RegionMapDocument
from api.schemas import SlugPath
from domain.values import SubjectKind
from projections.compliance import ComplianceMaps, RegionCompliance
from projections.plans_of_approach import OverdueActions, RegionPlans
from projections.queries import GovernanceMaps
from projections.views import HistoryEntry
from services import commands as c
from services.authorisation import may_read_region


class RegionController(Controller):
    path = "/regions"
    tags = ["regions"]

    register = command_route("/", c.RegisterRegion, "Register a region")

    list_regions = list_route(GovernanceMaps.regions, "All regions")

    @map_route(
        "/{region:str}/map",
        cached=(GovernanceMaps.region_map, may_read_region),
        summary="The governance map of a region",
        example=MAP_EXAMPLES["/regions/{region}/map"],
    )
    async def region_map(
        self,
        request: Request,
        context: NamedDependency[ApiContext],
        region: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        if_none_match: IfNoneMatch = None,
        min_position: MinPosition = None,
    ) -> Response[RegionMapDocument]:
        require_region(request, region)
        return await cached_map(
            context, GovernanceMaps.region_map, region, as_of, known_at, if_none_match, min_position
        )

    @get(
        "/{region:str}/compliance",
        summary="The norms a region does not (fully, or not known to) meet, with owner and target",
        responses=READ_PROBLEMS,
    )
    async def region_compliance(
        self,
        request: Request,
        context: NamedDependency[ApiContext],
        region: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
    ) -> RegionCompliance:
        require_region(request, region)
        result: RegionCompliance = await view(
            compliance_maps(context), ComplianceMaps.region_compliance, region, as_of, known_at
        )
        return result

    @get(
        "/{region:str}/history",
        summary="Every recorded change of a region",
        responses=READ_PROBLEMS,
    )
    async def region_history(
        self,
        request: Request,
        maps: NamedDependency[GovernanceMaps],
        region: SlugPath,
        known_at: KnownAt = None,
    ) -> list[HistoryEntry]:
        require_region(request, region)
        return await history(maps, SubjectKind.REGION, region, known_at)

    @get(
        "/{region:str}/plans-of-approach",
        summary="A region's plans of approach (its own and its cooperations'), with the status of "
        "each action on a day",
        responses=READ_PROBLEMS,
    )
    async def region_plans(
        self,
        request: Request,
        maps: NamedDependency[GovernanceMaps],
        region: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
    ) -> RegionPlans:
        require_region(request, region)
        return await view(maps, GovernanceMaps.region_plans, region, as_of, known_at)  # type: ignore[no-any-return]

    @get(
        "/{region:str}/overdue-actions",
        summary="The actions of a region's plans overdue on a day, or that became overdue since a day",
        responses=READ_PROBLEMS,
    )
    async def region_overdue_actions(
        self,
        request: Request,
        maps: NamedDependency[GovernanceMaps],
        region: SlugPath,
        as_of: AsOf = None,
        since: Since = None,
        known_at: KnownAt = None,
    ) -> OverdueActions:
        require_region(request, region)
        return await overdue_actions(maps, region, as_of, since, known_at)
