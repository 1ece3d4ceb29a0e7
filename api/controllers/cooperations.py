"""Supra-regional cooperations (bovenregionale samenwerkingsverbanden) and who takes part."""

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from api.commands import command_route
from api.context import ApiContext
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
    read_by_all_but_region_systems,
)
from api.examples import MAP_EXAMPLES
from api.guards import reads_everything
from api.map_documents import CooperationMapDocument
from api.schemas import SlugPath
from domain.values import SubjectKind
from projections.queries import GovernanceMaps
from projections.views import HistoryEntry
from services import commands as c


class CooperationController(Controller):
    path = "/cooperations"
    tags = ["cooperations"]

    register = command_route("/", c.RegisterCooperation, "Register a cooperation")
    admit_region = command_route(
        "/regions", c.AdmitRegionToCooperation, "A region takes part in a cooperation"
    )
    involve_organisation = command_route(
        "/organisations", c.InvolveOrganisationInCooperation, "An organisation is involved"
    )

    list_cooperations = list_route(GovernanceMaps.cooperations, "All cooperations")

    @map_route(
        "/{cooperation:str}/map",
        guards=[reads_everything],
        cached=(GovernanceMaps.cooperation_map, read_by_all_but_region_systems),
        summary="The governance map of a cooperation",
        example=MAP_EXAMPLES["/cooperations/{cooperation}/map"],
    )
    async def cooperation_map(
        self,
        context: NamedDependency[ApiContext],
        cooperation: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        if_none_match: IfNoneMatch = None,
        min_position: MinPosition = None,
    ) -> Response[CooperationMapDocument]:
        return await cached_map(
            context,
            GovernanceMaps.cooperation_map,
            cooperation,
            as_of,
            known_at,
            if_none_match,
            min_position,
        )

    @get(
        "/{cooperation:str}/history",
        guards=[reads_everything],
        summary="Every recorded change of a cooperation",
        responses=READ_PROBLEMS,
    )
    async def cooperation_history(
        self, maps: NamedDependency[GovernanceMaps], cooperation: SlugPath, known_at: KnownAt = None
    ) -> list[HistoryEntry]:
        return await history(maps, SubjectKind.COOPERATION, cooperation, known_at)
