"""Municipalities (gemeenten): registration, region memberships and mergers."""

from litestar import Controller, get
from litestar.di import NamedDependency

from api.commands import command_route
from api.controllers.reads import READ_PROBLEMS, KnownAt, history, list_route
from api.guards import reads_everything
from api.schemas import SlugPath
from domain.values import SubjectKind
from projections.queries import GovernanceMaps
from projections.views import HistoryEntry
from services import commands as c


class MunicipalityController(Controller):
    path = "/municipalities"
    tags = ["municipalities"]

    register = command_route("/", c.RegisterMunicipality, "Register a municipality")
    start_membership = command_route(
        "/memberships", c.StartMembership, "A municipality joins a region (fully or for a scope)"
    )
    end_membership = command_route(
        "/memberships/end", c.EndMembership, "A municipality's region membership ends"
    )
    merge = command_route("/mergers", c.MergeMunicipalities, "Municipalities merge")

    list_municipalities = list_route(GovernanceMaps.municipalities, "All municipalities")

    @get(
        "/{municipality:str}/history",
        guards=[reads_everything],
        summary="Every recorded change of a municipality",
        responses=READ_PROBLEMS,
    )
    async def municipality_history(
        self,
        maps: NamedDependency[GovernanceMaps],
        municipality: SlugPath,
        known_at: KnownAt = None,
    ) -> list[HistoryEntry]:
        return await history(maps, SubjectKind.MUNICIPALITY, municipality, known_at)
