"""Maps, history and lists over HTTP, from the read models, with the worker's cache of encoded maps."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from litestar.testing import TestClient

from api.app import create_app
from api.context import ApiContext
from api.security import TOKEN_CACHE_SECONDS
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer

# Noord-Limburg's members in the real facts (services/data/governance-facts.yaml), since a date the
# sources do not give: so they could be members on any day, and certainly on none.
NOORD_LIMBURG = {
    "beesel",
    "bergen-limburg",
    "gennep",
    "horst-aan-de-maas",
    "peel-en-maas",
    "venlo",
    "venray",
}


def _members(region_map: dict) -> set[str]:
    return {m["municipality"]["slug"] for m in region_map["members"]}


def test_a_region_map_as_of_a_day_and_as_known_at_a_moment(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    today = client.get("/regions/noord-limburg/map", headers=reader)
    assert today.status_code == 200, today.text
    body = today.json()
    assert body["region"] == {"kind": "region", "slug": "noord-limburg", "name": "Noord-Limburg"}
    assert _members(body) == NOORD_LIMBURG
    assert body["position"] == context.maps.position()

    long_ago = client.get("/regions/noord-limburg/map?as_of=1990-01-01", headers=reader)
    assert long_ago.status_code == 200, long_ago.text
    assert long_ago.json()["as_of"] == "1990-01-01"
    assert _members(long_ago.json()) == NOORD_LIMBURG
    assert not any(m["certain"] for m in long_ago.json()["members"])

    # As known when the third membership had just been recorded: the first three, no more.
    by_position = sorted(body["members"], key=lambda m: m["recorded_position"])
    moment = by_position[2]["recorded_at"]
    then = client.get("/regions/noord-limburg/map", params={"known_at": moment}, headers=reader)
    assert then.status_code == 200, then.text
    assert _members(then.json()) == {m["municipality"]["slug"] for m in by_position[:3]}

    before = client.get(
        "/regions/noord-limburg/map?as_of=1990-01-01&known_at=2000-01-01T00:00:00Z", headers=reader
    )
    assert before.status_code == 404, before.text
    assert before.headers["content-type"] == "application/problem+json"
    assert "noord-limburg' was first recorded at" in before.json()["detail"]


def test_unknown_subjects_are_404_problems(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    for path in (
        "/regions/atlantis/map",
        "/cooperations/atlantis/map",
        "/organisations/atlantis/map",
        "/regions/atlantis/history",
    ):
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


TRANSFER_TO_ZUID_LIMBURG = {
    "cooperation": "nmz-limburg",
    "organisation": "pactum",
    "agreement": "nmz-pactum-2020",
    "handover": {"value": "2020-01-01", "precision": "day"},
    "holder_region": "zuid-limburg",
    "authority": {
        "body": "nmz-bestuurlijk-overleg",
        "decision_date": "2019-11",
        "document": "Besluitenlijst NMZ 2019-11",
    },
}


def _pactum_holders(cooperation_map: dict) -> set[str]:
    return {
        r["holder_region"]["slug"]
        for r in cooperation_map["roles"]
        if r["role"] == "account-holder"
        and r.get("organisation", {}).get("slug") == "pactum"
        and r.get("holder_region")  # a field at its default (None) is left out of a map
    }


def _record_and_apply(client, context, admin: dict[str, str]) -> int:
    """Records the transfer, applies it to the read model and waits until the worker's watch sees it."""
    recorded = client.post(
        "/agreements/account-holderships/transfer", json=TRANSFER_TO_ZUID_LIMBURG, headers=admin
    )
    assert recorded.status_code == 201, recorded.text
    position = ProjectionRunner(context.app, context.engine).catch_up()
    deadline = time.monotonic() + 10
    while context.position_watch.position != position and time.monotonic() < deadline:
        time.sleep(0.01)
    return position


def test_a_cached_map_follows_the_read_model(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    before = client.get("/cooperations/nmz-limburg/map", headers=admin).json()
    assert "zuid-limburg" not in _pactum_holders(before)
    position = _record_and_apply(client, context, admin)
    after = client.get("/cooperations/nmz-limburg/map", headers=admin).json()
    assert after["position"] == position > before["position"]
    assert "zuid-limburg" in _pactum_holders(after)


def test_a_map_known_at_an_earlier_moment_stays_as_it_was_known(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    moment = datetime.now(UTC).isoformat()
    earlier = f"/cooperations/nmz-limburg/map?known_at={moment.replace('+00:00', 'Z')}"
    assert "zuid-limburg" not in _pactum_holders(client.get(earlier, headers=admin).json())
    _record_and_apply(client, context, admin)
    assert "zuid-limburg" in _pactum_holders(
        client.get("/cooperations/nmz-limburg/map", headers=admin).json()
    )
    assert "zuid-limburg" not in _pactum_holders(client.get(earlier, headers=admin).json())


def test_a_client_with_the_current_map_gets_304_until_it_changes(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    first = client.get("/regions/zuid-limburg/map", headers=admin)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        same = client.get(
            "/regions/zuid-limburg/map", headers={**admin, "If-None-Match": if_none_match}
        )
        assert same.status_code == 304, if_none_match
        assert same.content == b"" and same.headers["ETag"] == etag
    other = client.get("/regions/zuid-limburg/map", headers={**admin, "If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == first.content
    _record_and_apply(client, context, admin)
    changed = client.get("/regions/zuid-limburg/map", headers={**admin, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_revoked_token_is_refused_by_every_worker_within_the_promised_time(context) -> None:
    """Workers keep verified tokens briefly; one that did not revoke it must refuse it within
    ``TOKEN_CACHE_SECONDS`` (the README promises 5 s)."""
    admin = bearer(context, Role.ADMIN)
    issued = context.tokens.create(name="eve", role=Role.AUDITOR)
    eve = {"Authorization": f"Bearer {issued.token}"}
    other_worker = ApiContext(context.app, context.engine)
    with TestClient(create_app(context)) as revoking, TestClient(create_app(other_worker)) as other:
        assert other.get("/regions/zuid-limburg/map", headers=eve).status_code == 200
        answer = revoking.delete(f"/tokens/{issued.info.token_id}", headers=admin)
        assert answer.status_code == 204
        assert revoking.get("/regions/zuid-limburg/map", headers=eve).status_code == 401
        revoked_at = time.monotonic()
        while other.get("/regions/zuid-limburg/map", headers=eve).status_code == 200:
            assert time.monotonic() - revoked_at <= TOKEN_CACHE_SECONDS + 0.5
            time.sleep(0.1)
    assert TOKEN_CACHE_SECONDS <= 5


def test_ready_when_the_read_models_caught_up(client) -> None:
    answer = client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {
        "event_store": "connected",
        "read_models": "caught up",
        "event_log": "not checked",
    }
