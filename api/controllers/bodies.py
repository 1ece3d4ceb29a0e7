"""Decision bodies (bestuurlijke overleggen, stuurgroepen, programmagroepen, ...): who sits in them, who
chairs them, how often they meet, what they may decide and who commissions whom. They are registered
under ``/decisions/bodies``; here they are read."""

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException

from api.context import ApiContext
from api.controllers.reads import (
    READ_PROBLEMS,
    AsOf,
    IfNoneMatch,
    KnownAt,
    MinPosition,
    cached_map,
    map_route,
    read_by_all_but_region_systems,
    summaries,
)
from api.examples import MAP_EXAMPLES
from api.guards import reads_everything, require_region
from api.map_documents import BodyMapDocument
from api.schemas import SlugPath
from domain.errors import UnknownReference
from projections.queries import GovernanceMaps
from projections.views import Summary
from services.authorisation import Role


class BodyController(Controller):
    path = "/bodies"
    tags = ["decisions"]

    @get("/", guards=[reads_everything], summary="All decision bodies", responses=READ_PROBLEMS)
    async def list_bodies(
        self, maps: NamedDependency[GovernanceMaps], known_at: KnownAt = None
    ) -> list[Summary]:
        return await summaries(maps, GovernanceMaps.bodies, known_at)

    @map_route(
        "/{decision_body:str}",
        cached=(GovernanceMaps.body_map, read_by_all_but_region_systems),
        summary="A decision body: composition, chair, cadence, competence",
        example=MAP_EXAMPLES["/bodies/{decision_body}"],
    )
    async def body_map(
        self,
        request: Request,
        context: NamedDependency[ApiContext],
        decision_body: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        if_none_match: IfNoneMatch = None,
        min_position: MinPosition = None,
    ) -> Response[BodyMapDocument]:
        if request.user.role is Role.REGION_SYSTEM:
            # A region system reads its own region's things only: the bodies of its region. An
            # unknown body is refused like another region's, so that it learns no other's slugs.
            try:
                region = await anyio.to_thread.run_sync(context.maps.body_region, decision_body)
            except UnknownReference:
                region = None
            if region is None:
                raise PermissionDeniedException(
                    f"{request.user.id} reads only the bodies of its own region "
                    f"({', '.join(request.user.regions)})"
                )
            require_region(request, region)
        return await cached_map(
            context,
            GovernanceMaps.body_map,
            decision_body,
            as_of,
            known_at,
            if_none_match,
            min_position,
        )
