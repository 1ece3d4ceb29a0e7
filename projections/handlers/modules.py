"""How the regions' commitments to modules, their mandates and the modules' cost keys change the
governance maps' fact rows: a commitment and each mandate are facts of the region's place in the module
(``domain.modules.ModuleCommitment``), each region's share a fact of the module's cost key, so the
module commitments can be read ``as_of`` a day as known at ``known_at``."""

from __future__ import annotations

from typing import Any

from domain.modules import CostKey, ModuleCommitment
from domain.values import SubjectKind, SubjectRef
from projections.batch import Batch, EventStamp
from projections.facts import FactKind


def _place_fact(
    batch: Batch, at: EventStamp, e: Any, key: str, kind: FactKind, **columns: Any
) -> None:
    """A fact of the region's place in the module: its commitment is the subject."""
    commitment = SubjectRef(SubjectKind.MODULE_COMMITMENT, e.commitment)
    place = {"cooperation": e.cooperation, "region": e.region}
    batch.state_of(at, e, key, kind, commitment, {"module": e.module}, **place, **columns)


def _committed(batch: Batch, at: EventStamp, e: ModuleCommitment.Committed) -> None:
    key = f"module-commitment:{e.commitment}"
    _place_fact(batch, at, e, key, FactKind.MODULE_COMMITMENT, scope=e.content)


def _mandate_given(batch: Batch, at: EventStamp, e: ModuleCommitment.MandateGiven) -> None:
    key = f"module-mandate:{e.commitment}:{at.position}"
    _place_fact(batch, at, e, key, FactKind.MODULE_MANDATE, role=str(e.mandate))


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
    cost_key = SubjectRef(SubjectKind.COST_KEY, e.cost_key)
    for share in e.shares:
        key = f"cost-share:{e.cost_key}:{at.position}:{share.region}"
        details = {"module": e.module, "percentage": share.percentage}
        columns = {"cooperation": e.cooperation, "region": share.region}
        batch.state_of(at, e, key, FactKind.COST_SHARE, cost_key, details, **columns)


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
