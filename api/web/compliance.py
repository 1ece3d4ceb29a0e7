"""A region's page of commitments and compliance, on a peildatum as known at a moment: the norms it
does not meet, or is not known to meet (its verdict as the source wrote it, the action, who acts and
by when), the actions of its plans of approach that are overdue, and its commitments to modules with
the mandates they still lack."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from api.context import ApiContext
from api.controllers.norms import compliance_maps
from api.controllers.plans_of_approach import overdue_actions
from api.controllers.reads import view
from api.guards import require_region
from api.schemas import SlugPath
from api.web.labels import dutch_date
from api.web.maps import BekendOp, Peildatum, _known_at
from api.web.pages import page_context
from domain.accountability import Deadline, Owner
from domain.compliance import Standing
from domain.modules import MandateKind
from projections import module_commitments
from projections.compliance import ComplianceMaps
from projections.queries import GovernanceMaps
from services.authorisation import Principal

STANDING_LABELS = {
    Standing.VOLDOET_NIET: "voldoet niet",
    Standing.ONZEKER: "niet zeker",
    Standing.VOLDOET: "voldoet",
}


def owner_label(owner: Owner | None) -> str:
    if owner is None:
        return "niet genoemd"
    return owner.name or owner.slug or str(owner.kind)


MANDATE_LABELS = {MandateKind.CONTENT: "inhoud", MandateKind.COSTS: "kosten"}


def deadline_label(deadline: Deadline) -> str:
    if deadline.as_written:
        return deadline.as_written
    return deadline.notation or "onbekend"


class CompliancePages(Controller):
    path = "/kaart"
    include_in_schema = False

    @get("/regio/{slug:str}/normen")
    async def region_norms(
        self,
        request: Request[Principal, Any, Any],
        context: NamedDependency[ApiContext],
        maps: NamedDependency[GovernanceMaps],
        slug: SlugPath,
        peildatum: Peildatum = None,
        bekend_op: BekendOp = None,
    ) -> Template:
        require_region(request, slug)
        as_of = peildatum or datetime.now(UTC).date()
        shown = await view(
            compliance_maps(context),
            ComplianceMaps.region_compliance,
            slug,
            as_of,
            _known_at(bekend_op),
        )
        overdue = await overdue_actions(maps, slug, as_of, None, _known_at(bekend_op))
        modules = await view(
            maps, module_commitments.region_commitments, slug, as_of, _known_at(bekend_op)
        )
        return Template(
            "norms.html",
            context=page_context(
                request,
                slug=slug,
                view=shown,
                overdue=overdue.actions,
                commitments=modules.commitments,
                mandate_labels=MANDATE_LABELS,
                dutch_date=dutch_date,
                as_of=as_of,
                bekend_op=bekend_op or "",
                standing_labels=STANDING_LABELS,
                owner_label=owner_label,
                deadline_label=deadline_label,
            ),
        )
