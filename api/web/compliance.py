"""A region's norms page: the norms it does not meet, or is not known to meet, on a peildatum as
known at a moment, each with its verdict as the source wrote it, the action, who acts and by when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from api.context import ApiContext
from api.controllers.norms import compliance_maps
from api.controllers.reads import view
from api.guards import require_region
from api.schemas import SlugPath
from api.web.maps import BekendOp, Peildatum, _known_at
from api.web.pages import page_context
from domain.accountability import Deadline, Owner
from domain.compliance import Standing
from projections.compliance import ComplianceMaps
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
        return Template(
            "norms.html",
            context=page_context(
                request,
                slug=slug,
                view=shown,
                as_of=as_of,
                bekend_op=bekend_op or "",
                standing_labels=STANDING_LABELS,
                owner_label=owner_label,
                deadline_label=deadline_label,
            ),
        )
