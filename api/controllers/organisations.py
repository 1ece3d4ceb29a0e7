"""Organisations: care providers, expertise centres, procurement bureaus, ..."""

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
from api.map_documents import OrganisationViewDocument
from api.schemas import SlugPath
from domain.values import SubjectKind
from projections.queries import GovernanceMaps
from projections.views import HistoryEntry
from services import commands as c


class OrganisationController(Controller):
    path = "/organisations"
    tags = ["organisations"]

    register = command_route("/", c.RegisterOrganisation, "Register an organisation")

    list_organisations = list_route(GovernanceMaps.organisations, "All organisations")

    @map_route(
        "/{organisation:str}/map",
        guards=[reads_everything],
        cached=(GovernanceMaps.organisation_view, read_by_all_but_region_systems),
        summary="An organisation's account holders and arrangements",
        example=MAP_EXAMPLES["/organisations/{organisation}/map"],
    )
    async def organisation_view(
        self,
        context: NamedDependency[ApiContext],
        organisation: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        if_none_match: IfNoneMatch = None,
        min_position: MinPosition = None,
    ) -> Response[OrganisationViewDocument]:
        return await cached_map(
            context,
            GovernanceMaps.organisation_view,
            organisation,
            as_of,
            known_at,
            if_none_match,
            min_position,
        )

    @get(
        "/{organisation:str}/history",
        guards=[reads_everything],
        summary="Every recorded change of an organisation",
        responses=READ_PROBLEMS,
    )
    async def organisation_history(
        self,
        maps: NamedDependency[GovernanceMaps],
        organisation: SlugPath,
        known_at: KnownAt = None,
    ) -> list[HistoryEntry]:
        return await history(maps, SubjectKind.ORGANISATION, organisation, known_at)
