"""Plans of approach over HTTP on the imported real facts: a region's plans, its actions' status on a
day, overdue actions as of a day and known at a moment, milestones with their parties, the
recommendation register, and who may record what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.audience import Audience
from domain.plans_of_approach import PlanOfApproach
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer

GV = "gooi-en-vechtstreek"
GV_PLAN = "gooi-en-vechtstreek-pva-2021"
ZICHT = "gv-zicht-wachtende-jeugdigen"
COLLEGE_GOOISE_MEREN = {
    "kind": "municipality",
    "municipality": "gooise-meren",
    "organ": "college",
    "decision_date": "2021-11-23",
    "document": "Voortgangsrapportage plan van aanpak november 2021",
}
DONE = {
    "plan_of_approach": GV_PLAN,
    "action": ZICHT,
    "status": "afgerond",
    "status_note": "Aantal wachtende jeugdigen in beeld",
    "valid_from": {"value": "2021-11-22", "precision": "day"},
    "authority": COLLEGE_GOOISE_MEREN,
}


@pytest.fixture
def gv_coordinator(context):
    return bearer(context, Role.COORDINATOR, "gert-jan", regions=(GV,))


@pytest.fixture
def reader(context):
    return bearer(context, Role.AUDITOR)


def _overdue(client, headers, path: str, **query: str) -> list[str]:
    answer = client.get(path, params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return [a["action"] for a in answer.json()["actions"]]


def _apply(context) -> None:
    ProjectionRunner(context.app, context.engine).catch_up()


def test_the_waiting_youths_action_is_overdue_on_new_year_2022_not_on_30_november(
    client, reader
) -> None:
    path = f"/regions/{GV}/overdue-actions"
    assert ZICHT in _overdue(client, reader, path, as_of="2022-01-01")
    assert ZICHT not in _overdue(client, reader, path, as_of="2021-11-30")
    assert ZICHT in _overdue(client, reader, path, as_of="2021-12-01")


def test_recorded_done_it_leaves_the_overdue_list_from_when_that_is_known(
    client, context, gv_coordinator, reader
) -> None:
    before = datetime.now(UTC).replace(tzinfo=None).isoformat()
    answer = client.post("/plans-of-approach/actions/status", json=DONE, headers=gv_coordinator)
    assert answer.status_code == 201, answer.text
    _apply(context)
    path = f"/regions/{GV}/overdue-actions"
    assert ZICHT in _overdue(client, reader, path, as_of="2022-01-01", known_at=before)
    assert ZICHT not in _overdue(client, reader, path, as_of="2022-01-01")
    assert ZICHT not in _overdue(
        client, reader, "/plans-of-approach/overdue-actions", as_of="2022-01-01"
    )
    plans = client.get(
        f"/regions/{GV}/plans-of-approach", params={"as_of": "2022-01-01"}, headers=reader
    ).json()
    (gv_plan,) = [p for p in plans["plans"] if p["plan_of_approach"] == GV_PLAN]
    (zicht,) = [a for a in gv_plan["actions"] if a["action"] == ZICHT]
    assert zicht["status"] == "afgerond"
    assert zicht["status_note"] == "Aantal wachtende jeugdigen in beeld"
    assert zicht["status_authority"]["municipality"] == "gooise-meren"
    assert zicht["status_principal"].startswith("coordinator:gert-jan#")
    assert zicht["provenance"]["sources"] == [
        "noord-holland-oplegger-2021:L143",
        "noord-holland-oplegger-2021:L141",
    ]
    assert zicht["overdue"] is False
    history = client.get(f"/regions/{GV}/history", headers=reader).json()
    assert any(
        entry["summary"].startswith(
            f"De status van actie {ZICHT} in {GV_PLAN} wordt afgerond (was gepland) per 2021-11-22"
        )
        for entry in history
    )
    # On a day before it was done, it still had the status the plan gave it.
    earlier = client.get(
        f"/regions/{GV}/plans-of-approach", params={"as_of": "2021-11-21"}, headers=reader
    ).json()
    (gv_plan,) = [p for p in earlier["plans"] if p["plan_of_approach"] == GV_PLAN]
    assert {a["action"]: a["status"] for a in gv_plan["actions"]}[ZICHT] == "gepland"


def test_became_overdue_between_two_days_lists_only_what_passed_its_deadline_between_them(
    client, reader
) -> None:
    path = f"/regions/{GV}/overdue-actions"
    between = _overdue(client, reader, path, as_of="2022-01-01", since="2021-11-30")
    assert ZICHT in between
    # Due in October 2021: overdue by then already, so it did not become overdue in between.
    assert "gv-sessie-gemeenten-jeugdbeschermers" not in between
    assert "gv-sessie-gemeenten-jeugdbeschermers" in _overdue(
        client, reader, path, as_of="2022-01-01"
    )


def test_the_nw4_tariff_milestone_appears_with_its_parties_on_each_nw4_region(
    client, reader
) -> None:
    plans = client.get(
        "/regions/kop-van-noord-holland/plans-of-approach",
        params={"as_of": "2021-11-01"},
        headers=reader,
    ).json()
    (verbeterplan,) = [
        p for p in plans["plans"] if p["plan_of_approach"] == "nw4-verbeterplan-jeugdbescherming"
    ]
    assert verbeterplan["owner"]["slug"] == "nw4"
    (tariff,) = [m for m in verbeterplan["milestones"] if m["milestone"] == "nw4-tarief-2022"]
    assert tariff["deadline"]["notation"] == "2021-12-01"
    assert tariff["deadline_last_day"] == "2021-12-01"
    assert {p["slug"] for p in tariff["parties"]} == {
        "kop-van-noord-holland",
        "ijmond",
        "noord-kennemerland",
        "zuid-kennemerland",
        "de-jeugd-en-gezinsbeschermers",
        "jeugdautoriteit",
    }
    assert tariff["provenance"]["sources"][0] == "noord-holland-oplegger-2021:L342"


def test_westfriesland_recommendations_name_the_actions_that_answer_them(client, reader) -> None:
    plans = client.get("/regions/westfriesland/plans-of-approach", headers=reader).json()
    (plan,) = [p for p in plans["plans"] if p["plan_of_approach"] == "westfriesland-pva-2021"]
    register = {r["recommendation"]: r for r in plan["recommendations"]}
    assert len(register) == 6
    assert register["wf-aanbeveling-1"]["text"] == "Regionaal Expertteam"
    assert register["wf-aanbeveling-1"]["answered_by"] == ["wf-expertteam"]
    assert register["wf-aanbeveling-5b"]["answered_by"] == ["wf-agenda-rgw"]


def test_a_coordinator_outside_the_region_is_refused_and_nothing_is_recorded(
    client, context, reader
) -> None:
    outsider = bearer(context, Role.COORDINATOR, "outsider", regions=("westfriesland",))
    events_before = context.app.repository.get(PlanOfApproach.id_for(GV_PLAN)).version
    answer = client.post("/plans-of-approach/actions/status", json=DONE, headers=outsider)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert GV in answer.json()["detail"]
    assert context.app.repository.get(PlanOfApproach.id_for(GV_PLAN)).version == events_before
    _apply(context)
    assert ZICHT in _overdue(client, reader, f"/regions/{GV}/overdue-actions", as_of="2022-01-01")


def test_a_status_dated_before_the_current_one_is_a_domain_problem(
    client, context, gv_coordinator
) -> None:
    assert (
        client.post("/plans-of-approach/actions/status", json=DONE, headers=gv_coordinator)
    ).status_code == 201
    earlier = {
        **DONE,
        "status": "vervallen",
        "valid_from": {"value": "2021-11-01", "precision": "month"},
    }
    answer = client.post("/plans-of-approach/actions/status", json=earlier, headers=gv_coordinator)
    assert answer.status_code == 422
    assert "history is never rewritten" in answer.json()["rule"]


@pytest.mark.parametrize(
    "query",
    [
        "as_of=2022-01-01&since=2022-01-01",
        "as_of=2022-01-01&as_of=2021-01-01",
        "as_of=not-a-day",
    ],
)
def test_bad_overdue_queries_are_problems(client, reader, query: str) -> None:
    answer = client.get(f"/regions/{GV}/overdue-actions?{query}", headers=reader)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_unknown_region_has_no_overdue_actions_to_read(client, reader) -> None:
    answer = client.get("/regions/atlantis/overdue-actions", headers=reader)
    assert answer.status_code == 404


def test_plan_events_reach_the_feeds_of_the_regions_concerned(context) -> None:
    audience = Audience()
    notifications = context.app.recorder.select_notifications(start=1, limit=1_000_000)
    routed = [
        (event, audience.regions_concerned(event))
        for event in map(context.app.mapper.to_domain_event, notifications)
    ]
    by_item = {
        getattr(e, "action", None) or getattr(e, "milestone", None): regions
        for e, regions in routed
        if isinstance(e, PlanOfApproach.ActionRecorded | PlanOfApproach.MilestoneSet)
    }
    assert by_item[ZICHT] == {GV}
    assert by_item["nw4-tarief-2022"] == {
        "kop-van-noord-holland",
        "ijmond",
        "noord-kennemerland",
        "zuid-kennemerland",
    }


def test_an_action_owned_by_a_region_outside_the_coordinators_scope_is_refused(
    client, context, gv_coordinator
) -> None:
    body = {
        "plan_of_approach": GV_PLAN,
        "action": "gv-nieuwe-actie",
        "what": "Gezamenlijke pool jeugdbeschermers",
        "owners": [{"kind": "region", "slug": "westfriesland"}],
        "deadline": {"notation": "2022-Q2", "as_written": "tweede kwartaal 2022"},
        "authority": COLLEGE_GOOISE_MEREN,
    }
    refused = client.post("/plans-of-approach/actions", json=body, headers=gv_coordinator)
    assert refused.status_code == 403
    assert "westfriesland" in refused.json()["detail"]
    assert (
        "gv-nieuwe-actie" not in context.app.repository.get(PlanOfApproach.id_for(GV_PLAN)).actions
    )
    own = {
        **body,
        "owners": [{"kind": "region", "slug": GV}, {"kind": "workgroup", "name": "Werkgroep W&S"}],
    }
    recorded = client.post("/plans-of-approach/actions", json=own, headers=gv_coordinator)
    assert recorded.status_code == 201, recorded.text
    assert (
        context.app.repository.get(PlanOfApproach.id_for(GV_PLAN))
        .actions["gv-nieuwe-actie"]
        .deadline.notation
        == "2022-Q2"
    )


def test_a_corrected_status_change_no_longer_counts_and_the_action_is_overdue_again(
    client, context, gv_coordinator, reader
) -> None:
    done = client.post("/plans-of-approach/actions/status", json=DONE, headers=gv_coordinator)
    assert done.status_code == 201, done.text
    _apply(context)
    path = f"/regions/{GV}/overdue-actions"
    assert ZICHT not in _overdue(client, reader, path, as_of="2022-01-01")
    correction = {
        "aggregate_id": str(PlanOfApproach.id_for(GV_PLAN)),
        "version": done.json()["version"],
        "reason": "Nog niet afgerond: het aantal wachtenden is nog niet compleet",
    }
    corrected = client.post("/decisions/corrections", json=correction, headers=gv_coordinator)
    assert corrected.status_code == 201, corrected.text
    _apply(context)
    assert ZICHT in _overdue(client, reader, path, as_of="2022-01-01")
