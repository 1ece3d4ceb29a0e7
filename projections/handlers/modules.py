"""How the regions' commitments to modules, their mandates and the modules' cost keys change the
governance maps' fact rows: a commitment and each mandate are facts of the region's place in the module
(``domain.modules.ModuleCommitment``), each region's share a fact of the module's cost key, so the
module commitments can be read ``as_of`` a day as known at ``known_at``."""

from __future__ import annotations

from typing import Any

from domain.modules import CostKey, ModuleCommitment
from domain.values import SubjectKind
from projections.batch import Batch, EventStamp
from projections.facts import FactKind


def _place_columns(e: Any) -> dict[str, Any]:
    return {"subject_slug": e.commitment, "cooperation": e.cooperation, "region": e.region}


def _committed(batch: Batch, at: EventStamp, e: ModuleCommitment.Committed) -> None:
    batch.state(
        at,
        f"module-commitment:{e.commitment}",
        FactKind.MODULE_COMMITMENT,
        SubjectKind.MODULE_COMMITMENT,
        e.valid_from,
        e.valid_until,
        {"module": e.module},
        scope=e.content,
        **_place_columns(e),
    )


def _mandate_given(batch: Batch, at: EventStamp, e: ModuleCommitment.MandateGiven) -> None:
    batch.state(
        at,
        f"module-mandate:{e.commitment}:{at.position}",
        FactKind.MODULE_MANDATE,
        SubjectKind.MODULE_COMMITMENT,
        e.valid_from,
        e.valid_until,
        {"module": e.module},
        role=str(e.mandate),
        **_place_columns(e),
    )


def _mandate_ended(batch: Batch, at: EventStamp, e: ModuleCommitment.MandateEnded) -> None:
    facts = batch.tables.facts
    open_mandates = [
        row
        for row in batch.current_where(
            facts.c.fact_kind == str(FactKind.MODULE_MANDATE),
            facts.c.subject_slug == e.commitment,
            facts.c.role == str(e.mandate),
        )
        if row["valid_until_precision"] == "unknown"
        and row["valid_from_earliest"] == e.valid_from.earliest
        and row["valid_from_precision"] == str(e.valid_from.precision)
    ]
    if open_mandates:
        last = max(open_mandates, key=lambda row: row["recorded_position"])
        batch.revise_version(at, last, valid_until=e.valid_until)


def _shares(batch: Batch, at: EventStamp, e: CostKey.Agreed | CostKey.Revised) -> None:
    for share in e.shares:
        batch.state(
            at,
            f"cost-share:{e.cost_key}:{at.position}:{share.region}",
            FactKind.COST_SHARE,
            SubjectKind.COST_KEY,
            e.valid_from,
            e.valid_until,
            {"module": e.module, "percentage": share.percentage},
            subject_slug=e.cost_key,
            cooperation=e.cooperation,
            region=share.region,
        )


def _revised(batch: Batch, at: EventStamp, e: CostKey.Revised) -> None:
    facts = batch.tables.facts
    for share in batch.current_where(
        facts.c.fact_kind == str(FactKind.COST_SHARE), facts.c.subject_slug == e.cost_key
    ):
        if share["valid_until_precision"] == "unknown":
            batch.revise_version(at, share, valid_until=e.valid_from.day_before())
    _shares(batch, at, e)


HANDLERS: dict[type, Any] = {
    ModuleCommitment.Committed: _committed,
    ModuleCommitment.MandateGiven: _mandate_given,
    ModuleCommitment.MandateEnded: _mandate_ended,
    CostKey.Agreed: _shares,
    CostKey.Revised: _revised,
}
