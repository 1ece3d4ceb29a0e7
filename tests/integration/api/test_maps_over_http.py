"""Maps, history and lists over HTTP, from the read models, with the worker's cache of encoded maps."""

from __future__ import annotations

import time

from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer


def test_a_region_map_as_of_a_day_and_as_known_at_a_moment(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    today = client.get("/regions/noord-limburg/map", headers=reader)
    assert today.status_code == 200, today.text
    body = today.json()
    assert body["region"]["slug"] == "noord-limburg"
    assert body["members"]
    assert body["position"] == context.maps.position()
    before = client.get("/regions/noord-limburg/map?as_of=1990-01-01&known_at=2000-01-01T00:00:00Z", headers=reader)
    assert before.status_code in (200, 404)


def test_unknown_subjects_are_404_problems(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    for path in ("/regions/atlantis/map", "/cooperations/atlantis/map", "/organisations/atlantis/map",
                 "/regions/atlantis/history"):
        answer = client.get(path, headers=reader)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


def test_lists_and_history(client, context) -> None:
    reader = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    regions = client.get("/regions", headers=reader).json()
    assert "zuid-limburg" in {r["slug"] for r in regions}
    assert client.get("/municipalities", headers=reader).status_code == 200
    history = client.get("/cooperations/nmz-limburg/history", headers=reader).json()
    assert history and history[0]["principal"] == "importer:governance-facts"
    assert client.get("/organisations/pactum/map", headers=reader).json()["account_holders"]


def test_a_region_system_reads_only_its_own_region(client, context) -> None:
    system = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))
    assert client.get("/regions/zuid-limburg/map", headers=system).status_code == 200
    assert client.get("/regions/zuid-limburg/history", headers=system).status_code == 200
    assert client.get("/regions/noord-limburg/map", headers=system).status_code == 403
    assert client.get("/cooperations/nmz-limburg/map", headers=system).status_code == 403
    assert client.get("/regions", headers=system).status_code == 403


def test_a_cached_map_follows_the_read_model(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    before = client.get("/cooperations/nmz-limburg/map", headers=admin).json()
    recorded = client.post(
        "/agreements/account-holderships/transfer",
        json={
            "cooperation": "nmz-limburg",
            "organisation": "pactum",
            "agreement": "nmz-pactum-2020",
            "handover": {"value": "2020-01-01", "precision": "day"},
            "holder_region": "zuid-limburg",
        },
        headers=admin,
    )
    assert recorded.status_code == 201, recorded.text
    position = ProjectionRunner(context.app, context.engine).catch_up()
    deadline = time.monotonic() + 10
    while context.position_watch.position != position and time.monotonic() < deadline:
        time.sleep(0.01)
    after = client.get("/cooperations/nmz-limburg/map", headers=admin).json()
    assert after["position"] == position > before["position"]
    holders = {
        r["holder_region"]["slug"] for r in after["roles"]
        if r["role"] == "account-holder" and r["organisation"]["slug"] == "pactum" and r["holder_region"]
    }
    assert "zuid-limburg" in holders


def test_ready_when_the_read_models_caught_up(client) -> None:
    answer = client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {"event_store": "connected", "read_models": "caught up"}
