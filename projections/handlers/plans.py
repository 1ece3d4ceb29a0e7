"""How the steps of an expertise centre's plans along their adoption route change the governance maps'
fact rows: each recorded step, and the adoption, is a fact of the mandate's agreement, so a map shows
how far each plan has got on its ``as_of`` day as known at ``known_at``."""

from __future__ import annotations

from typing import Any

from domain.agreements import ExpertiseCentreMandate
from domain.values import AgreementKind, PlanRef, SubjectKind
from projections.batch import Batch, EventStamp
from projections.facts import FactKind, ref_columns

_EXPERTISECENTRUM_MANDAAT = str(AgreementKind.EXPERTISECENTRUM_MANDAAT)


def _plan_details(plan: PlanRef) -> dict[str, Any]:
    return {"plan_key": plan.key, "plan": str(plan), "title": plan.title}


def _plan_step_recorded(
    batch: Batch, at: EventStamp, e: ExpertiseCentreMandate.PlanStepRecorded
) -> None:
    batch.state(
        at,
        f"plan-step:{e.agreement}:{e.plan.key}:{e.step_number}",
        FactKind.PLAN_STEP,
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {**_plan_details(e.plan), "step_number": e.step_number, "step": e.step},
        agreement=e.agreement,
        agreement_kind=_EXPERTISECENTRUM_MANDAAT,
        **ref_columns(e.owner),
    )


def _plan_adopted(batch: Batch, at: EventStamp, e: ExpertiseCentreMandate.PlanAdopted) -> None:
    batch.state(
        at,
        f"plan-adopted:{e.agreement}:{e.plan.key}",
        FactKind.PLAN_ADOPTED,
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {**_plan_details(e.plan), "step": e.step},
        agreement=e.agreement,
        agreement_kind=_EXPERTISECENTRUM_MANDAAT,
        **ref_columns(e.owner),
    )


HANDLERS: dict[type, Any] = {
    ExpertiseCentreMandate.PlanStepRecorded: _plan_step_recorded,
    ExpertiseCentreMandate.PlanAdopted: _plan_adopted,
}
