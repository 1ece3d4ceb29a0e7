"""Norms (the requirements of the Kamerbrief, the NvO, the IGJ) and each region's verdicts on them: a
norm is registered by an admin; a coordinator records the verdicts, and reviewers' remarks, of the
regions within their scope. A region's unmet norms are read under ``/regions/{region}/compliance``."""

from litestar import Controller, get
from litestar.di import NamedDependency

from api.commands import command_route
from api.context import ApiContext
from api.controllers.reads import READ_PROBLEMS, AsOf, KnownAt, summaries, view
from api.guards import reads_everything
from api.schemas import SlugPath
from projections.compliance import ComplianceMaps, NormSummary, NormView
from services import commands as c


def compliance_maps(context: ApiContext) -> ComplianceMaps:
    return ComplianceMaps(context.engine, context.maps.tables)


class NormController(Controller):
    path = "/norms"
    tags = ["norms"]

    register = command_route("/", c.RegisterNorm, "Register a norm of a framework")
    assess = command_route(
        "/assessments", c.RecordAssessment, "Record (or revise) a region's verdict on a norm"
    )
    annotate = command_route(
        "/assessments/remarks", c.AnnotateAssessment, "A reviewer's remark beside an assessment"
    )

    @get("/", guards=[reads_everything], summary="All norms", responses=READ_PROBLEMS)
    async def list_norms(
        self, context: NamedDependency[ApiContext], known_at: KnownAt = None
    ) -> list[NormSummary]:
        return await summaries(compliance_maps(context), ComplianceMaps.norms, known_at)  # type: ignore[arg-type]

    @get(
        "/{norm:str}",
        guards=[reads_everything],
        summary="A norm: its links, every region's verdict side by side, and their history",
        responses=READ_PROBLEMS,
    )
    async def norm(
        self,
        context: NamedDependency[ApiContext],
        norm: SlugPath,
        as_of: AsOf = None,
        known_at: KnownAt = None,
    ) -> NormView:
        result: NormView = await view(
            compliance_maps(context), ComplianceMaps.norm, norm, as_of, known_at
        )
        return result
