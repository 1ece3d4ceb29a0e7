"""The projection's handlers: for each event class that changes a governance map's fact rows, the
function that writes them into a batch (``projections.batch``). The registry's events and the
agreements' events each have a module of their own, and so do the steps of a mandate's plans, the
norms with their assessments, the plans of approach and the regions' commitments to modules."""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.base import GovernanceAggregate
from projections.handlers import (
    agreements,
    compliance,
    modules,
    plans,
    plans_of_approach,
    registry,
)

HANDLERS: dict[type, Any] = {
    **registry.HANDLERS,
    **agreements.HANDLERS,
    **plans.HANDLERS,
    **modules.HANDLERS,
    **compliance.HANDLERS,
    **plans_of_approach.HANDLERS,
}
# Every other event (accounts opened, milestones) changes only the history.

# The topics of the events that change fact rows (all events change the history).
FACT_TOPICS = tuple(get_topic(cls) for cls in (*HANDLERS, GovernanceAggregate.FactCorrected))
