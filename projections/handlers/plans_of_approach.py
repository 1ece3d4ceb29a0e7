"""How the events of plans of approach change the governance maps' fact rows: a plan, each action,
each milestone and each recommendation is a fact of the plan's region or cooperation; an action's
statuses are facts of their own, one per status, valid from the day it took effect until the next
one took over, so a map shows an action's status on its ``as_of`` day as known at ``known_at``."""

from __future__ import annotations

from typing import Any

import msgspec

from domain.plans_of_approach import PlanOfApproach
from domain.values import SubjectKind, SubjectRef, ValidPeriod
from projections.batch import Batch, EventStamp
from projections.facts import FactKind, ref_columns

_PLAN = SubjectKind.PLAN_OF_APPROACH
_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode


def _plan_fact(
    batch: Batch,
    at: EventStamp,
    e: Any,
    details: dict[str, Any],
    key: str,
    fact_kind: FactKind,
    held: ValidPeriod | None = None,
    **columns: Any,
) -> None:
    """A fact of the plan of approach ``e`` names, with its ``details``, holding as long as ``e``
    says unless ``held`` says otherwise; the plan's owner fills that kind's slug column."""
    plan = SubjectRef(_PLAN, e.plan_of_approach)
    columns.update(ref_columns(e.owner))
    batch.state_of(at, e if held is None else held, key, fact_kind, plan, details, **columns)


def _status_key(e: Any, at: EventStamp) -> str:
    return f"action-status:{e.plan_of_approach}:{e.action}:{at.position}"


def _plan_recorded(batch: Batch, at: EventStamp, e: PlanOfApproach.Recorded) -> None:
    details = {"title": e.title, "goals": msgspec.to_builtins(e.goals), "notes": e.notes}
    key = f"plan-of-approach:{e.plan_of_approach}"
    _plan_fact(batch, at, e, details, key, FactKind.PLAN_OF_APPROACH)


def _action_recorded(batch: Batch, at: EventStamp, e: PlanOfApproach.ActionRecorded) -> None:
    details = {
        "action": e.action,
        "what": e.what,
        "for_whom": e.for_whom,
        "owners": msgspec.to_builtins(e.owners),
        "deadline": msgspec.to_builtins(e.deadline),
        "goal": e.goal,
        "answers": e.answers,
    }
    key = f"action:{e.plan_of_approach}:{e.action}"
    _plan_fact(batch, at, e, details, key, FactKind.ACTION, held=ValidPeriod())
    _status(batch, at, e)


def _status(batch: Batch, at: EventStamp, e: Any) -> None:
    details = {"action": e.action, "status_note": e.status_note}
    _plan_fact(
        batch, at, e, details, _status_key(e, at), FactKind.ACTION_STATUS, status=str(e.status)
    )


def _action_status_changed(
    batch: Batch, at: EventStamp, e: PlanOfApproach.ActionStatusChanged
) -> None:
    facts = batch.tables.facts
    prefix = f"action-status:{e.plan_of_approach}:{e.action}:"
    for previous in batch.current_where(
        facts.c.fact_kind == str(FactKind.ACTION_STATUS), facts.c.fact_key.startswith(prefix)
    ):
        # The status it follows holds until the day before; the domain refuses an earlier day.
        if previous["valid_until_precision"] == "unknown":
            batch.revise_version(at, previous, valid_until=e.valid_from.day_before())
    _status(batch, at, e)


def _milestone_set(batch: Batch, at: EventStamp, e: PlanOfApproach.MilestoneSet) -> None:
    details = {
        "milestone": e.milestone,
        "what": e.what,
        "deadline": msgspec.to_builtins(e.deadline),
        "parties": msgspec.to_builtins(e.parties),
        "other_parties": list(e.other_parties),
    }
    key = f"plan-milestone:{e.plan_of_approach}:{e.milestone}"
    _plan_fact(batch, at, e, details, key, FactKind.PLAN_MILESTONE)


def _recommendation_recorded(
    batch: Batch, at: EventStamp, e: PlanOfApproach.RecommendationRecorded
) -> None:
    details = {
        "recommendation": e.recommendation,
        "number": e.number,
        "text": e.text,
        "issued_by": e.issued_by,
        "expected_result": e.expected_result,
        "result": None,
    }
    key = f"recommendation:{e.plan_of_approach}:{e.recommendation}"
    _plan_fact(batch, at, e, details, key, FactKind.RECOMMENDATION)


def _result_reported(batch: Batch, at: EventStamp, e: PlanOfApproach.ResultReported) -> None:
    previous = batch.current_version(f"recommendation:{e.plan_of_approach}:{e.recommendation}")
    if previous is None:
        return
    details = {**_decode(previous["details"]), "result": e.result}
    batch.revise_version(at, previous, details=_encode(details).decode())


HANDLERS: dict[type, Any] = {
    PlanOfApproach.Recorded: _plan_recorded,
    PlanOfApproach.ActionRecorded: _action_recorded,
    PlanOfApproach.ActionStatusChanged: _action_status_changed,
    PlanOfApproach.MilestoneSet: _milestone_set,
    PlanOfApproach.RecommendationRecorded: _recommendation_recorded,
    PlanOfApproach.ResultReported: _result_reported,
}
