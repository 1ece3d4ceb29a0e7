"""Modular cooperation (principle C): regions commit to the modules of a cooperation's agenda, their
regions give mandates for the content and the costs, and a module's costs are divided by a cost key.
Read per cooperation or per region: which commitments count, and which lack a mandate."""

from __future__ import annotations

import functools
from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.commands import command_route
from api.controllers.reads import READ_PROBLEMS, AsOf, KnownAt, view
from api.guards import reads_everything, require_region
from api.schemas import SlugPath
from domain.modules import MandateKind
from projections import module_commitments as queries
from projections.module_commitments import ModuleCommitments
from projections.queries import GovernanceMaps
from services import commands as c

Lacking = Annotated[
    MandateKind | None,
    QueryParameter(
        description="Only the commitments that lack a mandate of this kind on the day asked"
    ),
]


class ModuleCommitmentController(Controller):
    path = "/module-commitments"
    tags = ["module commitments"]

    commit = command_route("/", c.CommitToModule, "A region commits to a module (principle C)")
    give_mandate = command_route(
        "/mandates", c.GiveModuleMandate, "A region's mandate for a module's content or costs"
    )
    end_mandate = command_route(
        "/mandates/end", c.EndModuleMandate, "A region withdraws its mandate for a module"
    )
    agree_cost_key = command_route(
        "/cost-keys", c.AgreeCostKey, "Agree a module's cost key (verdeelsleutel)"
    )
    revise_cost_key = command_route(
        "/cost-keys/revise", c.ReviseCostKey, "Revise a module's cost key from a date"
    )


class ModuleCommitmentReads(Controller):
    """The module commitments beside a cooperation's and a region's maps."""

    path = "/"
    tags = ["module commitments"]

    @get(
        "/cooperations/{cooperation:str}/module-commitments",
        guards=[reads_everything],
        summary="A cooperation's module commitments: which count, which lack a mandate",
        responses=READ_PROBLEMS,
    )
    async def cooperation_module_commitments(
        self,
        maps: NamedDependency[GovernanceMaps],
        cooperation: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        lacking: Lacking = None,
    ) -> ModuleCommitments:
        query = functools.partial(queries.cooperation_commitments, lacking=lacking)
        result: ModuleCommitments = await view(maps, query, cooperation, as_of, known_at)
        return result

    @get(
        "/regions/{region:str}/module-commitments",
        summary="A region's module commitments: which count, which lack a mandate",
        responses=READ_PROBLEMS,
    )
    async def region_module_commitments(
        self,
        request: Request,
        maps: NamedDependency[GovernanceMaps],
        region: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        lacking: Lacking = None,
    ) -> ModuleCommitments:
        require_region(request, region)
        query = functools.partial(queries.region_commitments, lacking=lacking)
        result: ModuleCommitments = await view(maps, query, region, as_of, known_at)
        return result
