"""Scope holes found by attacking the running service after findings 1-5 were fixed, each through the
real service: what a token may read or record, however the request is put."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.settings import Settings
from api.app import create_app
from tests.e2e.service import Service
from tests.security.conftest import G7_AUTHORITY, EventLog

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id", "errors", "rule"}


def feed_status(client: httpx.Client, region: str) -> tuple[int, str, bytes]:
    """The status, media type and (for a refusal, whole; for a stream, first) bytes of a feed."""
    with client.stream("GET", f"/regions/{region}/feed", timeout=10) as answer:
        first = next(answer.iter_bytes(), b"") if answer.status_code == 200 else answer.read()
        return answer.status_code, answer.headers.get("content-type", ""), first


@pytest.fixture(scope="module")
def g7_coordinator(service: Service) -> Iterator[httpx.Client]:
    token = service.token("coordinator", "scope-g7", cooperations=["g7-gelderland"])
    with service.client(token) as client:
        yield client


# -- routes the attack matrix (test_attacks, from the OpenAPI document) does not see ----------------
# Each route the OpenAPI document leaves out, and where its scope is checked: a new hidden route must
# be added here, so that no route escapes the attacks unnoticed (the feed once did).
HIDDEN_ROUTES = {
    "/metrics": "public: counts per route template, never a slug",
    "/asyncapi.yaml": "public: the AsyncAPI document of the feeds",
    # The web pages (api/web/): a session instead of a bearer token, the API's rules
    # (tests/integration/api/test_web_*.py, tests/browser/).
    "/": "test_a_region_system_sees_only_its_own_region (overview)",
    "/zoeken": "test_the_search_partial_lists_only_what_matches",
    "/aanmelden": "public: the sign-in form (test_an_unknown_token_is_refused_with_a_message)",
    "/afmelden": "test_signing_out_ends_the_session",
    "/kaart/regio/{slug}": "test_a_region_system_reads_only_its_own_region_map",
    "/kaart/samenwerkingsverband/{slug}": "reads_everything, as /cooperations/{cooperation}/map",
    "/kaart/organisatie/{slug}": "test_a_region_system_reads_only_its_own_region_map",
    "/kaart/regio/{slug}/verschil": "test_a_region_system_reads_only_its_own_region_map",
    "/kaart/regio/{slug}/normen": "test_a_region_system_reads_only_its_own_regions_norms",
    "/kaart/samenwerkingsverband/{slug}/verschil": "reads_everything, as the map page",
    "/kaart/organisatie/{slug}/verschil": "reads_everything, as the map page",
    "/besluiten/overdracht-accounthouderschap": "test_an_auditor_gets_no_decision_form; the "
    "command's scope rule (test_a_region_outside_the_cooperation_is_refused_naming_the_rule)",
    "/controle": "test_a_coordinator_and_a_region_system_get_no_audit_page",
    "/controle/export": "test_a_coordinator_and_a_region_system_get_no_audit_page",
    "/static/{file_path}": "public: the pages' CSS and script (no data)",
}


def test_every_route_outside_the_openapi_document_is_known(
    admin: httpx.Client, tmp_path: Path
) -> None:
    app = create_app(settings=Settings(data_dir=tmp_path, nats_url="nats://127.0.0.1:1"))
    documented = set(admin.get("/schema/openapi.json").json()["paths"])
    served = {re.sub(r":\w+}", "}", route.path) for route in app.routes}
    hidden = {path for path in served - documented if not path.startswith("/schema")}
    assert hidden == set(HIDDEN_ROUTES)


# -- a region's feed is the log as the region receives it: the log's readers only ------------------
@pytest.mark.parametrize("region", ["regio-nijmegen", "zuid-limburg"])
def test_a_coordinator_follows_no_regions_feed_as_it_reads_no_raw_log(
    g7_coordinator: httpx.Client, region: str
) -> None:
    # regio Nijmegen takes part in the coordinator's cooperation; Zuid-Limburg does not
    assert g7_coordinator.get("/events", params={"region": region}).status_code == 403
    status, media_type, body = feed_status(g7_coordinator, region)
    assert status == 403, body[:300]
    assert media_type == "application/problem+json"
    assert b"data:" not in body
    assert set(httpx.Response(403, content=body).json()) <= PROBLEM_FIELDS


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_auditors_and_admins_still_follow_every_feed(service: Service, role: str) -> None:
    token = service.admin_token if role == "admin" else service.token("auditor", "scope-auditor")
    with service.client(token) as client:
        status, media_type, _ = feed_status(client, "zuid-limburg")
    assert (status, media_type.split(";")[0]) == (200, "text/event-stream")


# -- a cooperation decides only for the regions that take part in it -------------------------------
def g7_decision(path: str, body: dict) -> tuple[str, dict]:
    return path, {**body, "authority": G7_AUTHORITY}


# Zuid-Limburg takes no part in G7 Gelderland; each command names G7 and makes Zuid-Limburg a
# participant, a holder or a party of a G7 decision.
NAMING_A_REGION_OUTSIDE_THE_COOPERATION = [
    g7_decision(
        "/agreements/joint-procurements",
        {
            "agreement": "scope-g7-procurement-zl",
            "owner": {"kind": "cooperation", "slug": "g7-gelderland"},
            "participants": [{"kind": "region", "slug": "zuid-limburg"}],
        },
    ),
    g7_decision(
        "/agreements/account-holderships",
        {
            "agreement": "scope-g7-account-zl",
            "cooperation": "g7-gelderland",
            "organisation": "koraalgroep",
            "holder_region": "zuid-limburg",
        },
    ),
    g7_decision(
        "/agreements",
        {
            "agreement": "scope-g7-agreement-zl",
            "agreement_kind": "samenwerkingsafspraak",
            "owner": {"kind": "cooperation", "slug": "g7-gelderland"},
            "terms": {"parties": [{"kind": "region", "slug": "zuid-limburg"}]},
        },
    ),
]


@pytest.mark.parametrize(
    ("path", "body"), NAMING_A_REGION_OUTSIDE_THE_COOPERATION, ids=lambda v: str(v)[:40]
)
def test_a_coordinator_records_no_region_outside_their_cooperation_in_its_decisions(
    g7_coordinator: httpx.Client, admin: httpx.Client, log: EventLog, path: str, body: dict
) -> None:
    before = log.end()
    answer = g7_coordinator.post(path, json=body)
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "zuid-limburg" in answer.json()["detail"]
    assert log.end() == before
    zuid_limburg = admin.get("/regions/zuid-limburg/map").text
    assert body["agreement"] not in zuid_limburg


def test_a_coordinator_still_records_a_decision_naming_a_region_of_their_cooperation(
    g7_coordinator: httpx.Client, admin: httpx.Client, log: EventLog
) -> None:
    path, body = NAMING_A_REGION_OUTSIDE_THE_COOPERATION[0]
    own = {**body, "agreement": "scope-g7-procurement-achterhoek"}
    own["participants"] = [{"kind": "region", "slug": "achterhoek"}]
    before = log.end()
    answer = g7_coordinator.post(path, json=own)
    assert answer.status_code == 201, answer.text
    assert [e["slug"] for e in log.after(before)] == [own["agreement"]]
    # The map reflects the command once the read model reached its position; read sooner, it may not yet.
    position = answer.headers["Regiekaart-Position"]
    reflected = admin.get("/regions/achterhoek/map", params={"min_position": position})
    assert reflected.status_code == 200, reflected.text
    assert own["agreement"] in reflected.text


# -- a municipality reaches its region: naming one is naming the region -----------------------------
# Maastricht belongs to Zuid-Limburg, which takes no part in G7 Gelderland.
NAMING_A_MUNICIPALITY_OUTSIDE_THE_COOPERATION = [
    g7_decision(
        "/agreements/mandates",
        {
            "agreement": "scope-g7-mandate-maastricht",
            "cooperation": "g7-gelderland",
            "holder_municipality": "maastricht",
            "expertise_centre": "koraalgroep",
        },
    ),
    g7_decision(
        "/agreements",
        {
            "agreement": "scope-g7-agreement-maastricht",
            "agreement_kind": "samenwerkingsregeling",
            "owner": {"kind": "cooperation", "slug": "g7-gelderland"},
            "terms": {"host_municipality": "maastricht"},
        },
    ),
]


@pytest.mark.parametrize(
    ("path", "body"), NAMING_A_MUNICIPALITY_OUTSIDE_THE_COOPERATION, ids=lambda v: str(v)[:40]
)
def test_a_coordinator_names_no_municipality_of_a_region_outside_their_cooperation(
    g7_coordinator: httpx.Client, admin: httpx.Client, log: EventLog, path: str, body: dict
) -> None:
    before = log.end()
    answer = g7_coordinator.post(path, json=body)
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "zuid-limburg" in answer.json()["detail"]
    assert log.end() == before
    reached = admin.get("/events", params={"region": "zuid-limburg", "after": before})
    assert reached.json()["events"] == []


def test_a_coordinator_still_names_a_municipality_of_their_cooperations_regions(
    g7_coordinator: httpx.Client, log: EventLog
) -> None:
    path, body = NAMING_A_MUNICIPALITY_OUTSIDE_THE_COOPERATION[0]
    own = {**body, "agreement": "scope-g7-mandate-nijmegen", "holder_municipality": "nijmegen"}
    before = log.end()
    answer = g7_coordinator.post(path, json=own)
    assert answer.status_code == 201, answer.text
    assert [e["slug"] for e in log.after(before)] == [own["agreement"]]
