"""A region's plan of approach (plan van aanpak) after an inspection: its goals and findings, the
actions that answer them (what, for whom, who acts, by when, and their status over time), the
milestones of an improvement plan (what, by when, which parties) and the recommendations the plan
answers, each linked to the actions that answer it and the result reported.

A plan belongs to a region or to a cooperation of regions (``owner``); every event carries that owner,
so the regions concerned hear of it (``domain.audience``). Deadlines and owners are those of
``domain.accountability``.

An action's status changes by a new event that takes effect on a day (its valid time): the statuses
before that day stay as they were. A status change dated before the status it follows is refused
(``StatusOutOfOrder``): a status wrongly recorded is corrected (``FactCorrected``), not overwritten.
An action is **overdue on a day** when its deadline has passed on that day and its status on that
day is not closed (afgerond or vervallen); it **became overdue between** two days when it was not
overdue on the first and is on the second.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import msgspec
from eventsourcing.domain import event

from domain.accountability import Deadline, Owner
from domain.base import GovernanceAggregate, decision
from domain.errors import AlreadyRecorded, InvalidValue, StatusOutOfOrder, UnknownReference
from domain.values import (
    UNKNOWN_DATE,
    Attribution,
    PartialDate,
    SubjectKind,
    SubjectRef,
    ValidPeriod,
)


class ActionStatus(StrEnum):
    """Where an action stands, in the words the plans use."""

    GEPLAND = "gepland"  # planned, not started ("wordt nog gepland", "intentie uitgesproken")
    IN_UITVOERING = "in-uitvoering"  # under way ("werkgroep start", "stapsgewijs ingevoerd")
    AFGEROND = "afgerond"  # done
    VERVALLEN = "vervallen"  # dropped: no longer to be done


CLOSED_STATUSES = frozenset({ActionStatus.AFGEROND, ActionStatus.VERVALLEN})


def is_overdue_on(deadline: Deadline, status: ActionStatus | None, day: date) -> bool:
    """Whether an action with ``deadline`` and, on ``day``, ``status`` is overdue on ``day``."""
    return deadline.is_overdue_on(day, done=status in CLOSED_STATUSES)


def became_overdue_between(
    deadline: Deadline, status_on_first: ActionStatus | None, status_on_second: ActionStatus | None,
    first: date, second: date,
) -> bool:  # fmt: skip
    """Whether an action was not overdue on ``first`` and is overdue on ``second``."""
    return not is_overdue_on(deadline, status_on_first, first) and is_overdue_on(
        deadline, status_on_second, second
    )


class Goal(msgspec.Struct, frozen=True, kw_only=True):
    """A goal of a plan ("Tijdig een vaste jeugdbeschermer") with the findings that explain it."""

    number: str
    title: str
    findings: tuple[str, ...] = ()


class StatusPeriod(msgspec.Struct, frozen=True):
    """An action's status from a day (unknown: from the start) until the next status takes over."""

    status: ActionStatus
    valid_from: PartialDate = UNKNOWN_DATE
    note: str = ""


class Action(msgspec.Struct, frozen=True, kw_only=True):
    """An action of a plan and its statuses in the order they took effect."""

    action: str
    deadline: Deadline
    statuses: tuple[StatusPeriod, ...]
    answers: str | None = None  # the recommendation it answers

    def status_on(self, day: date) -> ActionStatus | None:
        """The status that held on ``day``: the last one that took effect on or before it."""
        current = None
        for period in self.statuses:
            if not period.valid_from.is_known or period.valid_from.earliest <= day:
                current = period.status
        return current

    def is_overdue_on(self, day: date) -> bool:
        return is_overdue_on(self.deadline, self.status_on(day), day)

    def check_next(self, status: ActionStatus, valid_from: PartialDate, note: str) -> None:
        last = self.statuses[-1]
        if (status, note) == (last.status, last.note):
            raise AlreadyRecorded(
                f"action {self.action} already has status {status} — {AlreadyRecorded.rule}"
            )
        if not valid_from.is_known:
            raise InvalidValue(f"a status change of action {self.action} says from which day")
        if last.valid_from.is_known and valid_from.earliest < last.valid_from.earliest:
            raise StatusOutOfOrder(
                f"action {self.action} is {last.status} from {last.valid_from}; a status from "
                f"{valid_from} would rewrite that — {StatusOutOfOrder.rule}"
            )


class PlanOfApproach(GovernanceAggregate):
    """A plan of approach of a region or a cooperation: goals, actions, milestones, recommendations."""

    kind = SubjectKind.PLAN_OF_APPROACH
    slug_attribute = "plan_of_approach"
    repeated_attributes = ("plan_of_approach", "owner")

    @event("Recorded")
    @decision
    def __init__(
        self,
        plan_of_approach: str,
        owner: SubjectRef,
        title: str,
        goals: tuple[Goal, ...],
        notes: str | None,
    ) -> None:
        if owner.kind not in (SubjectKind.REGION, SubjectKind.COOPERATION):
            raise InvalidValue(
                f"a plan of approach belongs to a region or a cooperation, not {owner}"
            )
        self.plan_of_approach = plan_of_approach
        self.owner = owner
        self.goals = goals
        self.actions: dict[str, Action] = {}
        self.milestones: set[str] = set()
        self.recommendations: dict[str, str | None] = {}  # slug -> result reported

    def _check_goal(self, goal: str | None) -> None:
        if goal is not None and goal not in {g.number for g in self.goals}:
            raise UnknownReference(
                f"{self.plan_of_approach} has no goal {goal!r} — {UnknownReference.rule}"
            )

    def action(self, action: str) -> Action:
        if action not in self.actions:
            raise UnknownReference(
                f"{self.plan_of_approach} has no action {action!r} — {UnknownReference.rule}"
            )
        return self.actions[action]

    # -- actions -----------------------------------------------------------------------------------
    def record_action(
        self,
        *,
        action: str,
        what: str,
        for_whom: str,
        owners: tuple[Owner, ...],
        deadline: Deadline,
        status: ActionStatus,
        status_note: str,
        goal: str | None,
        answers: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        if action in self.actions:
            raise AlreadyRecorded(
                f"{self.plan_of_approach} already has action {action!r} — {AlreadyRecorded.rule}"
            )
        self._check_goal(goal)
        if answers is not None and answers not in self.recommendations:
            raise UnknownReference(
                f"{self.plan_of_approach} has no recommendation {answers!r} — {UnknownReference.rule}"
            )
        self._action_recorded(
            action=action,
            what=what,
            for_whom=for_whom,
            owners=owners,
            deadline=deadline,
            status=status,
            status_note=status_note,
            goal=goal,
            answers=answers,
            **self._fact(period, attribution),
        )

    @event("ActionRecorded")
    @decision
    def _action_recorded(
        self,
        plan_of_approach: str,
        owner: SubjectRef,
        action: str,
        what: str,
        for_whom: str,
        owners: tuple[Owner, ...],
        deadline: Deadline,
        status: ActionStatus,
        status_note: str,
        goal: str | None,
        answers: str | None,
        valid_from: PartialDate,
    ) -> None:
        first = StatusPeriod(status, valid_from, status_note)
        self.actions[action] = Action(
            action=action, deadline=deadline, statuses=(first,), answers=answers
        )

    def change_action_status(
        self,
        *,
        action: str,
        status: ActionStatus,
        status_note: str,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        current = self.action(action)
        current.check_next(status, period.valid_from, status_note)
        self._action_status_changed(
            action=action,
            status=status,
            status_note=status_note,
            previous_status=current.statuses[-1].status,
            **self._fact(period, attribution),
        )

    @event("ActionStatusChanged")
    @decision
    def _action_status_changed(
        self,
        plan_of_approach: str,
        owner: SubjectRef,
        action: str,
        status: ActionStatus,
        status_note: str,
        previous_status: ActionStatus,
        valid_from: PartialDate,
    ) -> None:
        current = self.actions[action]
        period = StatusPeriod(status, valid_from, status_note)
        self.actions[action] = msgspec.structs.replace(
            current, statuses=(*current.statuses, period)
        )

    # -- milestones --------------------------------------------------------------------------------
    def record_milestone(
        self,
        *,
        milestone: str,
        what: str,
        deadline: Deadline,
        parties: tuple[SubjectRef, ...],
        other_parties: tuple[str, ...],
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        if milestone in self.milestones:
            raise AlreadyRecorded(
                f"{self.plan_of_approach} already has milestone {milestone!r} — {AlreadyRecorded.rule}"
            )
        self._milestone_set(
            milestone=milestone,
            what=what,
            deadline=deadline,
            parties=parties,
            other_parties=other_parties,
            **self._fact(ValidPeriod(), attribution),
        )

    @event("MilestoneSet")
    @decision
    def _milestone_set(
        self,
        plan_of_approach: str,
        owner: SubjectRef,
        milestone: str,
        what: str,
        deadline: Deadline,
        parties: tuple[SubjectRef, ...],
        other_parties: tuple[str, ...],
    ) -> None:
        self.milestones.add(milestone)

    # -- recommendations ---------------------------------------------------------------------------
    def record_recommendation(
        self,
        *,
        recommendation: str,
        number: str,
        text: str,
        issued_by: str,
        expected_result: str,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        if recommendation in self.recommendations:
            raise AlreadyRecorded(
                f"{self.plan_of_approach} already has recommendation {recommendation!r} — "
                f"{AlreadyRecorded.rule}"
            )
        self._recommendation_recorded(
            recommendation=recommendation,
            number=number,
            text=text,
            issued_by=issued_by,
            expected_result=expected_result,
            **self._fact(ValidPeriod(), attribution),
        )

    @event("RecommendationRecorded")
    @decision
    def _recommendation_recorded(
        self,
        plan_of_approach: str,
        owner: SubjectRef,
        recommendation: str,
        number: str,
        text: str,
        issued_by: str,
        expected_result: str,
    ) -> None:
        self.recommendations[recommendation] = None

    def report_result(
        self, *, recommendation: str, result: str, period: ValidPeriod, attribution: Attribution
    ) -> None:
        self.check_not_retracted()
        if recommendation not in self.recommendations:
            raise UnknownReference(
                f"{self.plan_of_approach} has no recommendation {recommendation!r} — "
                f"{UnknownReference.rule}"
            )
        if self.recommendations[recommendation] == result:
            raise AlreadyRecorded(f"this result is already reported — {AlreadyRecorded.rule}")
        self._result_reported(
            recommendation=recommendation,
            result=result,
            **self._fact(period, attribution),
        )

    @event("ResultReported")
    @decision
    def _result_reported(
        self, plan_of_approach: str, owner: SubjectRef, recommendation: str, result: str
    ) -> None:
        self.recommendations[recommendation] = result
