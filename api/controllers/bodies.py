"""Decision bodies (bestuurlijke overleggen, stuurgroepen, programmagroepen, ...): who sits in them, who
chairs them, how often they meet, what they may decide and who commissions whom. They are registered
under ``/decisions/bodies``; here they are read."""

import anyio.to_thread
from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException

from api.context import ApiContext
from api.controllers.reads import (
    AsOf,
    IfNoneMatch,
    KnownAt,
    MinPosition,
    cached_map,
    list_route,
    map_route,
    read_by_all_but_region_systems,
)
from api.examples import MAP_EXAMPLES
from api.guards import require_region
from api.map_documents import BodyMapDocument
from api.schemas import SlugPath
from domain.errors import UnknownReference
from projections.queries import GovernanceMaps
from services.authorisation import Role


class BodyController(Controller):
    path = "/bodies"
    tags = ["decisions"]

    list_bodies = list_route(GovernanceMaps.bodies, "All decision bodies")

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
