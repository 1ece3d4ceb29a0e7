"""A plan of approach: actions with their status over time, overdue on a day, milestones with their
parties, recommendations answered by actions and their reported result."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.accountability import Deadline, Owner, OwnerKind
from domain.base import fact_fields
from domain.errors import AlreadyRecorded, InvalidValue, StatusOutOfOrder, UnknownReference
from domain.plans_of_approach import (
    ActionStatus,
    Goal,
    PlanOfApproach,
    became_overdue_between,
    is_overdue_on,
)
from domain.values import Attribution, PartialDate, SubjectKind, SubjectRef, ValidPeriod

WHO = Attribution(principal="test")
NOVEMBER_2021 = Deadline(notation="2021-11", as_written="afgerond uiterlijk november 2021")
REGION = SubjectRef(SubjectKind.REGION, "gooi-en-vechtstreek")


def _plan() -> PlanOfApproach:
    plan = PlanOfApproach(
        plan_of_approach="pva",
        owner=REGION,
        title="Plan van aanpak",
        goals=(Goal(number="3", title="Tijdig passende hulp"),),
        notes=None,
        **fact_fields(ValidPeriod(), WHO),
    )
    plan.record_action(
        action="zicht",
        what="Zicht op wachtende jeugdigen",
        for_whom="jeugdigen met een maatregel",
        owners=(Owner(kind=OwnerKind.REGION, slug="gooi-en-vechtstreek"),),
        deadline=NOVEMBER_2021,
        status=ActionStatus.IN_UITVOERING,
        status_note="",
        goal="3",
        answers=None,
        period=ValidPeriod(PartialDate.parse("2021-10")),
        attribution=WHO,
    )
    return plan


def _change(plan: PlanOfApproach, status: ActionStatus, day: str) -> None:
    plan.change_action_status(
        action="zicht",
        status=status,
        status_note="",
        period=ValidPeriod(PartialDate.parse(day)),
        attribution=WHO,
    )


def test_an_open_action_is_overdue_the_day_after_its_deadline_month_not_on_its_last_day() -> None:
    action = _plan().action("zicht")
    assert not action.is_overdue_on(date(2021, 11, 30))
    assert action.is_overdue_on(date(2021, 12, 1))
    assert action.is_overdue_on(date(2022, 1, 1))


def test_an_action_done_before_the_day_is_not_overdue_on_it_but_was_before_it_was_done() -> None:
    plan = _plan()
    _change(plan, ActionStatus.AFGEROND, "2021-12-15")
    action = plan.action("zicht")
    assert action.status_on(date(2021, 12, 14)) is ActionStatus.IN_UITVOERING
    assert action.is_overdue_on(date(2021, 12, 14))
    assert not action.is_overdue_on(date(2022, 1, 1))


def test_a_dropped_action_is_never_overdue_and_an_unknown_deadline_never() -> None:
    assert not is_overdue_on(NOVEMBER_2021, ActionStatus.VERVALLEN, date(2022, 1, 1))
    assert not is_overdue_on(Deadline(), ActionStatus.GEPLAND, date(2099, 1, 1))


def test_became_overdue_between_two_days_only_when_the_deadline_passed_between_them() -> None:
    open_ = ActionStatus.GEPLAND
    assert became_overdue_between(NOVEMBER_2021, open_, open_, date(2021, 11, 1), date(2022, 1, 1))
    assert not became_overdue_between(
        NOVEMBER_2021, open_, open_, date(2021, 12, 2), date(2022, 1, 1)
    )
    assert not became_overdue_between(
        NOVEMBER_2021, open_, ActionStatus.AFGEROND, date(2021, 11, 1), date(2022, 1, 1)
    )


def test_a_status_dated_before_the_one_it_follows_is_refused() -> None:
    plan = _plan()
    _change(plan, ActionStatus.AFGEROND, "2021-12-15")
    with pytest.raises(StatusOutOfOrder):
        _change(plan, ActionStatus.VERVALLEN, "2021-12-01")
    assert plan.action("zicht").status_on(date(2022, 1, 1)) is ActionStatus.AFGEROND


def test_a_status_change_says_from_which_day_and_differs_from_the_current_one() -> None:
    plan = _plan()
    with pytest.raises(InvalidValue):
        plan.change_action_status(
            action="zicht",
            status=ActionStatus.AFGEROND,
            status_note="",
            period=ValidPeriod(),
            attribution=WHO,
        )
    with pytest.raises(AlreadyRecorded):
        _change(plan, ActionStatus.IN_UITVOERING, "2021-11-01")


def test_an_action_answers_only_a_recommendation_of_its_plan_and_the_result_is_reported() -> None:
    plan = _plan()
    with pytest.raises(UnknownReference):
        plan.record_action(
            action="expertteam",
            what="Expertteam",
            for_whom="",
            owners=(),
            deadline=Deadline(),
            status=ActionStatus.GEPLAND,
            status_note="",
            goal=None,
            answers="aanbeveling-1",
            period=ValidPeriod(),
            attribution=WHO,
        )
    plan.record_recommendation(
        recommendation="aanbeveling-1",
        number="1",
        text="Regionaal Expertteam",
        issued_by="Inspectie/ministerie",
        expected_result="Expertteam structureel ingebed",
        attribution=WHO,
    )
    plan.report_result(
        recommendation="aanbeveling-1",
        result="ingebed",
        period=ValidPeriod(PartialDate.parse("2022-01")),
        attribution=WHO,
    )
    assert plan.recommendations == {"aanbeveling-1": "ingebed"}


def test_a_plan_belongs_to_a_region_or_a_cooperation_only() -> None:
    with pytest.raises(InvalidValue):
        PlanOfApproach(
            plan_of_approach="pva",
            owner=SubjectRef(SubjectKind.MUNICIPALITY, "hilversum"),
            title="Plan",
            goals=(),
            notes=None,
            **fact_fields(ValidPeriod(), WHO),
        )


_STATUSES = st.sampled_from(list(ActionStatus))


@given(st.lists(st.tuples(_STATUSES, st.integers(-40, 40)), max_size=8))
def test_status_history_never_rewrites(changes: list[tuple[ActionStatus, int]]) -> None:
    """Whatever status changes are asked for, in any order of days: every recorded event stays as
    it was, and an accepted change leaves the status of every day before it, and before the last
    status recorded, as it was. The oracle: a change is refused exactly when it repeats the last
    status or starts before it, so a build that refuses every change fails here too."""
    plan = _plan()
    start = date(2021, 11, 1)
    days = [start + timedelta(days=n) for n in range(-60, 90)]
    for status, offset in changes:
        before_events = plan.history()
        before_status = {day: plan.action("zicht").status_on(day) for day in days}
        current = plan.action("zicht").statuses[-1]
        last = current.valid_from.earliest
        day = start + timedelta(days=offset)
        refusable = (status, "") == (current.status, current.note) or (
            current.valid_from.is_known and day < last
        )
        try:
            _change(plan, status, day.isoformat())
        except (StatusOutOfOrder, AlreadyRecorded):
            assert refusable, f"{status} from {day} refused after {current}"
            assert plan.history() == before_events
            continue
        assert not refusable, f"{status} from {day} accepted after {current}"
        assert plan.history()[: len(before_events)] == before_events
        kept = [d for d in days if d < max(day, last)]
        assert all(plan.action("zicht").status_on(d) == before_status[d] for d in kept)
