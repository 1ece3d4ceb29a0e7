"""Reading plans of approach from the fact rows: a region's plans (its own and those of the
cooperations it is a member of on the day asked), their actions with the status each had on that day,
their milestones and recommendations; and the actions overdue on a day or that became overdue between
two days (the rule is ``domain.plans_of_approach``'s). Every answer is read as known at ``known_at``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec

from domain.accountability import Deadline, Owner
from domain.plans_of_approach import ActionStatus, Goal, became_overdue_between, is_overdue_on
from domain.values import Authority, PartialDate, Participation, SubjectKind
from projections.facts import FactKind
from projections.map_rows import MapQuery
from projections.row_values import attribution_decoder, details_of, partial_date
from projections.views import Fact, MapHeader, Named

_PLAN_KINDS = (
    FactKind.PLAN_OF_APPROACH,
    FactKind.ACTION,
    FactKind.PLAN_MILESTONE,
    FactKind.RECOMMENDATION,
)


class ActionEntry(Fact, frozen=True, kw_only=True):
    """An action, with the status it had on ``as_of`` (None: none recorded by then) and whether it
    was overdue on that day."""

    plan_of_approach: str
    owner: Named  # of the plan
    action: str
    what: str
    for_whom: str = ""
    owners: tuple[Owner, ...] = ()
    deadline: Deadline
    deadline_last_day: date | None = None
    goal: str | None = None
    answers: str | None = None
    status: ActionStatus | None = None
    status_note: str = ""
    status_since: PartialDate = PartialDate()
    # Who recorded the status, on whose authority (the fields above say who recorded the action).
    status_authority: Authority | None = None
    status_principal: str | None = None
    overdue: bool = False


class MilestoneEntry(Fact, frozen=True, kw_only=True):
    plan_of_approach: str
    milestone: str
    what: str
    deadline: Deadline
    deadline_last_day: date | None = None
    parties: tuple[Named, ...] = ()
    other_parties: tuple[str, ...] = ()


class RecommendationEntry(Fact, frozen=True, kw_only=True):
    plan_of_approach: str
    recommendation: str
    number: str = ""
    text: str
    issued_by: str = ""
    expected_result: str = ""
    result: str | None = None
    answered_by: tuple[str, ...] = ()  # the actions that answer it


class PlanEntry(Fact, frozen=True, kw_only=True):
    plan_of_approach: str
    owner: Named
    title: str
    goals: tuple[Goal, ...] = ()
    notes: str | None = None
    actions: tuple[ActionEntry, ...] = ()
    milestones: tuple[MilestoneEntry, ...] = ()
    recommendations: tuple[RecommendationEntry, ...] = ()


class RegionPlans(MapHeader, frozen=True, kw_only=True):
    region: Named
    plans: tuple[PlanEntry, ...] = ()


class OverdueActions(MapHeader, frozen=True, kw_only=True):
    """Actions overdue on ``as_of``; with ``since``, only those that were not yet overdue on it."""

    since: date | None = None
    actions: tuple[ActionEntry, ...] = ()


def _owner_of(q: MapQuery, row: Any) -> Named:
    if row["region"] is not None:
        return q.named(SubjectKind.REGION, row["region"]) or Named(kind=SubjectKind.REGION, slug="")
    return Named(
        kind=SubjectKind.COOPERATION,
        slug=row["cooperation"],
        name=q.names.get((str(SubjectKind.COOPERATION), row["cooperation"])),
    )


def _statuses(q: MapQuery, plans: Iterable[str]) -> dict[tuple[str, str], Any]:
    """The status row of each action of ``plans`` that holds on the query's day."""
    facts = q.facts
    slugs = sorted(set(plans))
    if not slugs:
        return {}
    rows = q.rows(facts.c.fact_kind == FactKind.ACTION_STATUS, facts.c.subject_slug.in_(slugs))
    return {(row["subject_slug"], details_of(row)["action"]): row for row in rows}


def _action(q: MapQuery, row: Any, status_row: Any | None) -> ActionEntry:
    details = details_of(row)
    deadline = msgspec.convert(details["deadline"], Deadline)
    status = ActionStatus(status_row["status"]) if status_row is not None else None
    recorded = (
        attribution_decoder.decode(status_row["attribution"]) if status_row is not None else None
    )
    return ActionEntry(
        **q.fact(row),
        plan_of_approach=row["subject_slug"],
        owner=_owner_of(q, row),
        action=details["action"],
        what=details["what"],
        for_whom=details["for_whom"],
        owners=msgspec.convert(details["owners"], tuple[Owner, ...]),
        deadline=deadline,
        deadline_last_day=deadline.last_day,
        goal=details["goal"],
        answers=details["answers"],
        status=status,
        status_note=details_of(status_row)["status_note"] if status_row is not None else "",
        status_since=partial_date(
            status_row["valid_from_earliest"], status_row["valid_from_precision"]
        )
        if status_row is not None
        else PartialDate(),
        status_authority=recorded.authority if recorded else None,
        status_principal=recorded.principal if recorded else None,
        overdue=is_overdue_on(deadline, status, q.as_of),
    )


def _milestone(q: MapQuery, row: Any) -> MilestoneEntry:
    details = details_of(row)
    deadline = msgspec.convert(details["deadline"], Deadline)
    return MilestoneEntry(
        **q.fact(row),
        plan_of_approach=row["subject_slug"],
        milestone=details["milestone"],
        what=details["what"],
        deadline=deadline,
        deadline_last_day=deadline.last_day,
        parties=tuple(q.named_ref(p["kind"], p["slug"]) for p in details["parties"]),
        other_parties=tuple(details["other_parties"]),
    )


def _recommendation(q: MapQuery, row: Any, actions: Iterable[ActionEntry]) -> RecommendationEntry:
    details = details_of(row)
    slug = details["recommendation"]
    return RecommendationEntry(
        **q.fact(row),
        plan_of_approach=row["subject_slug"],
        recommendation=slug,
        number=details["number"],
        text=details["text"],
        issued_by=details["issued_by"],
        expected_result=details["expected_result"],
        result=details["result"],
        answered_by=tuple(
            a.action
            for a in actions
            if a.answers == slug and a.plan_of_approach == row["subject_slug"]
        ),
    )


def _plan_rows(q: MapQuery, region: str) -> list[Any]:
    """The rows of the plans of ``region`` and of the cooperations it is a member of on the day."""
    facts = q.facts
    cooperations = sorted(
        r["cooperation"]
        for r in q.rows(
            facts.c.fact_kind == FactKind.PARTICIPATION,
            facts.c.region == region,
            facts.c.role == str(Participation.MEMBER),
        )
    )
    return q.rows(
        facts.c.fact_kind.in_(_PLAN_KINDS),
        (facts.c.region == region) | facts.c.cooperation.in_(cooperations),
    )


def _actions(q: MapQuery, rows: list[Any]) -> list[ActionEntry]:
    action_rows = [r for r in rows if r["fact_kind"] == FactKind.ACTION]
    statuses = _statuses(q, (r["subject_slug"] for r in action_rows))
    return [
        _action(q, r, statuses.get((r["subject_slug"], details_of(r)["action"])))
        for r in action_rows
    ]


def _load_names(q: MapQuery, rows: list[Any]) -> None:
    q.want_rows(rows)
    for row in rows:
        if row["fact_kind"] == FactKind.PLAN_MILESTONE:
            q.want(*(p["slug"] for p in details_of(row)["parties"]))
    q.load_names()


def region_plans(q: MapQuery, region: str) -> RegionPlans:
    q.registration(SubjectKind.REGION, region)
    rows = _plan_rows(q, region)
    _load_names(q, rows)
    actions = _actions(q, rows)
    plans = []
    for row in sorted(
        (r for r in rows if r["fact_kind"] == FactKind.PLAN_OF_APPROACH),
        key=lambda r: r["subject_slug"],
    ):
        slug = row["subject_slug"]
        details = details_of(row)
        mine = [r for r in rows if r["subject_slug"] == slug]
        plans.append(
            PlanEntry(
                **q.fact(row),
                plan_of_approach=slug,
                owner=_owner_of(q, row),
                title=details["title"],
                goals=msgspec.convert(details["goals"], tuple[Goal, ...]),
                notes=details["notes"],
                actions=tuple(a for a in actions if a.plan_of_approach == slug),
                milestones=tuple(
                    _milestone(q, r) for r in mine if r["fact_kind"] == FactKind.PLAN_MILESTONE
                ),
                recommendations=tuple(
                    _recommendation(q, r, actions)
                    for r in mine
                    if r["fact_kind"] == FactKind.RECOMMENDATION
                ),
            )
        )
    return RegionPlans(
        **q.header(),
        region=q.named(SubjectKind.REGION, region) or Named(kind=SubjectKind.REGION, slug=region),
        plans=tuple(plans),
    )


def overdue_actions(q: MapQuery, since: MapQuery | None, region: str | None) -> OverdueActions:
    """The actions overdue on ``q``'s day (of ``region``'s plans, or of every plan); with ``since``
    (the same reading on an earlier day), only those that became overdue after that day."""
    facts = q.facts
    if region is not None:
        q.registration(SubjectKind.REGION, region)
    rows = (
        _plan_rows(q, region)
        if region is not None
        else q.rows(facts.c.fact_kind == FactKind.ACTION)
    )
    _load_names(q, rows)
    actions = [a for a in _actions(q, rows) if a.overdue]
    if since is not None:
        before = _statuses(since, (a.plan_of_approach for a in actions))
        actions = [
            a
            for a in actions
            if became_overdue_between(
                a.deadline,
                _status_of(before.get((a.plan_of_approach, a.action))),
                a.status,
                since.as_of,
                q.as_of,
            )
        ]
    return OverdueActions(
        **q.header(),
        since=since.as_of if since is not None else None,
        actions=tuple(sorted(actions, key=lambda a: (a.plan_of_approach, a.action))),
    )


def _status_of(row: Any | None) -> ActionStatus | None:
    return ActionStatus(row["status"]) if row is not None else None
