"""Regression tests of issue 19's scope findings 1-5, each through the real service: a token never
reads or records outside its scope, however the request is put."""

from __future__ import annotations

import itertools
import json
import time

import httpx
import pytest

from tests.e2e.service import Service
from tests.security.conftest import G7_AUTHORITY, REGION_AUTHORITY, EventLog

_names = itertools.count(1)


def token_id(token: str) -> str:
    return token.split("_")[1]


def milestone(what: str) -> dict:
    return {
        "agreement": "g7-trekker-essentiele-functies",
        "milestone": {"date": {"value": "2026-06-01", "precision": "month"}, "what": what},
        "authority": G7_AUTHORITY,
    }


@pytest.fixture(scope="module")
def g7(service: Service) -> str:
    return service.token("coordinator", "findings-g7", cooperations=["g7-gelderland"])


def assert_problem(answer: httpx.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    for word in words:
        assert word in answer.text, answer.text


# -- 1. repeated query parameters ------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "region=zuid-limburg&region=noord-limburg",
        "region=noord-limburg&region=zuid-limburg",
        "region=zuid-limburg&limit=5&region=noord-limburg",
    ],
)
def test_a_region_system_cannot_read_another_region_by_repeating_region(
    service: Service, query: str
) -> None:
    token = service.token("region-system", f"zl-repeat-{next(_names)}", regions=["zuid-limburg"])
    with service.client(token) as system:
        answer = system.get(f"/events?{query}")
    assert_problem(answer, 400, "region")
    assert "noord-limburg" not in answer.text.replace(query, "")


def test_every_single_valued_parameter_is_refused_when_repeated(service: Service) -> None:
    with service.client(service.admin_token) as admin:
        answer = admin.get("/regions/zuid-limburg/map?as_of=2020-01-01&as_of=2026-01-01")
        assert_problem(answer, 400, "as_of")
        # a list parameter still takes several values
        types = "type=Region.Registered&type=Cooperation.Registered"
        listed = admin.get(f"/events?{types}&limit=500")
    assert listed.status_code == 200, listed.text
    assert {e["type"] for e in listed.json()["events"]} == {
        "Region.Registered",
        "Cooperation.Registered",
    }


# -- 2. /events?region=R answers what R's feed carries ---------------------------------------------
def feed_positions(service: Service, region: str, until: int, deadline: float) -> list[int]:
    """The log positions in ``region``'s feed (SSE), read until the one at ``until`` arrived."""
    positions: list[int] = []
    with (
        service.client(service.admin_token) as admin,
        admin.stream("GET", f"/regions/{region}/feed", timeout=10) as stream,
    ):
        assert stream.status_code == 200, stream.read()
        for line in stream.iter_lines():
            if line.startswith("data:"):
                positions.append(int(json.loads(line[5:])["sequence"]))
                if positions[-1] >= until:
                    return positions
            assert time.monotonic() < deadline, f"the feed stopped short of {until}"
    raise AssertionError("the feed ended")


def log_positions(client: httpx.Client, region: str) -> list[int]:
    positions, after = [], 0
    while True:
        page = client.get("/events", params={"region": region, "after": after, "limit": 500})
        assert page.status_code == 200, page.text
        positions += [e["id"] for e in page.json()["events"]]
        after = page.json()["position"]
        if not page.json()["more"]:
            return positions


@pytest.mark.parametrize("region", ["zuid-limburg", "regio-nijmegen"])
def test_events_of_a_region_are_exactly_its_feed_over_the_real_facts(
    service: Service, admin: httpx.Client, region: str
) -> None:
    # A fact that names the region marks the end: once the feed carries it, it carries all before
    # it.
    marker = admin.post(
        "/decisions/conflicting-claims",
        json={
            "claims": f"security-feed-marker-{region}",
            "topic": "marker of the feed comparison",
            "claim_values": [{"value": "a", "sources": []}],
            "subject": {"kind": "region", "slug": region},
            "authority": REGION_AUTHORITY[region],
        },
    )
    assert marker.status_code == 201, marker.text
    end = marker.json()["event_ids"][-1]
    feed = feed_positions(service, region, end, time.monotonic() + 60)
    token = service.token("region-system", f"{region}-compare-{next(_names)}", regions=[region])
    with service.client(token) as system:
        logged = [p for p in log_positions(system, region) if p <= end]
    assert logged == feed
    # the feed carries events that concern the region without naming it (a cooperation's decisions)
    with service.client(service.admin_token) as reader:
        named = [
            e["id"]
            for e in reader.get("/events", params={"limit": 500, "after": 0}).json()["events"]
            if region in e["concerns"]["regions"]
        ]
    assert set(logged) > set(p for p in named if p <= end)


# -- 3. who takes part in a cooperation is for admins ----------------------------------------------
def test_a_coordinator_cannot_admit_a_region_to_their_cooperation(
    service: Service, g7: str, log: EventLog
) -> None:
    before = log.end()
    with service.client(g7) as coordinator:
        admitted = coordinator.post(
            "/cooperations/regions",
            json={
                "cooperation": "g7-gelderland",
                "region": "amsterdam-amstelland",
                "authority": G7_AUTHORITY,
            },
        )
        involved = coordinator.post(
            "/cooperations/organisations",
            json={
                "cooperation": "g7-gelderland",
                "organisation": "pactum",
                "authority": G7_AUTHORITY,
            },
        )
        ended = coordinator.post(
            "/municipalities/memberships/end",
            json={
                "municipality": "amstelveen",
                "membership_id": "amsterdam-amstelland:amstelveen",
                "valid_until": {"value": "2026-12-31", "precision": "day"},
                "authority": G7_AUTHORITY,
            },
        )
        participants = coordinator.get("/cooperations/g7-gelderland/map").text
    assert_problem(admitted, 403, "admins")
    assert_problem(involved, 403, "admins")
    assert_problem(ended, 403)
    assert log.end() == before
    assert "amsterdam-amstelland" not in participants


# -- 4. corrections are scoped like the commands they correct --------------------------------------
def test_a_coordinator_cannot_retract_their_cooperations_registration(
    service: Service, g7: str, admin: httpx.Client, log: EventLog
) -> None:
    registered = admin.get("/events", params={"type": "Cooperation.Registered", "limit": 500})
    (cooperation,) = [e for e in registered.json()["events"] if e["slug"] == "g7-gelderland"]
    before = log.end()
    with service.client(g7) as coordinator:
        answer = coordinator.post(
            "/decisions/corrections",
            json={
                "aggregate_id": cooperation["aggregate_id"],
                "version": 1,
                "reason": "erase the cooperation",
                "authority": G7_AUTHORITY,
            },
        )
        assert_problem(answer, 403, "registry fact")
        assert log.end() == before
        map_ = coordinator.get("/cooperations/g7-gelderland/map")
    assert map_.status_code == 200, map_.text
    assert "Gelderland" in map_.text and "regio-nijmegen" in map_.text


def test_a_coordinator_corrects_a_fact_of_their_own_cooperation(service: Service, g7: str) -> None:
    with service.client(g7) as coordinator:
        recorded = coordinator.post("/agreements/milestones", json=milestone("te corrigeren"))
        assert recorded.status_code == 201, recorded.text
        corrected = coordinator.post(
            "/decisions/corrections",
            json={
                "aggregate_id": recorded.json()["aggregate_id"],
                "version": recorded.json()["version"],
                "reason": "recorded twice",
                "authority": G7_AUTHORITY,
            },
        )
    assert corrected.status_code == 201, corrected.text


# -- 5. idempotency keys belong to a token ---------------------------------------------------------
def test_token_names_are_unique_per_role(service: Service, admin: httpx.Client) -> None:
    service.token("coordinator", "dubbel", cooperations=["g7-gelderland"])
    again = admin.post(
        "/tokens", json={"name": "dubbel", "role": "coordinator", "cooperations": ["nmz-limburg"]}
    )
    assert_problem(again, 400, "dubbel", "exists already")
    names = [t["name"] for t in admin.get("/tokens").json() if t["role"] == "coordinator"]
    assert names.count("dubbel") == 1


def test_an_idempotency_key_is_never_answered_for_another_token(
    service: Service, admin: httpx.Client, log: EventLog
) -> None:
    first = service.token("coordinator", "dora", cooperations=["g7-gelderland"])
    body, key = milestone("idempotentie per token"), {"Idempotency-Key": "dora-1"}
    with service.client(first) as dora:
        recorded = dora.post("/agreements/milestones", json=body, headers=key)
    assert recorded.status_code == 201, recorded.text
    assert admin.delete(f"/tokens/{token_id(first)}").status_code == 204
    # A new holder of the name, of another cooperation, sends the same key and body.
    second = service.token("coordinator", "dora", cooperations=["nmz-limburg"])
    before = log.end()
    with service.client(second) as other_dora:
        answer = other_dora.post("/agreements/milestones", json=body, headers=key)
    assert "idempotent-replayed" not in answer.headers
    assert_problem(answer, 403, "g7-gelderland")
    assert log.end() == before
    # and every event names the token that recorded it, not only its holder's name
    (event,) = log.after(recorded.json()["event_ids"][0] - 1)[:1]
    assert event["principal"] == f"coordinator:dora#{token_id(first)}"
