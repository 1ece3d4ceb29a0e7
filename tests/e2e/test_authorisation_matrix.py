"""Every role against every endpoint of the served OpenAPI document: allowed, or refused with 401/403.

"Allowed" means the request got past authentication and authorisation (any answer but 401/403: an empty
command body then answers 400). Scope rules are checked with real bodies below the matrix.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.service import Service

OWN_REGION, OTHER_REGION = "regio-nijmegen", "zuid-limburg"
ROLES = ["anonymous", "revoked", "admin", "coordinator", "region-system", "auditor"]
PUBLIC = {"/health", "/ready", "/audit/public-key"}


@pytest.fixture(scope="module")
def tokens(service: Service) -> dict[str, str | None]:
    revoked = service.token("auditor", "former-auditor")
    with service.client(service.admin_token) as admin:
        token_id = revoked.split("_")[1]
        assert admin.delete(f"/tokens/{token_id}").status_code == 204
    return {
        "anonymous": None,
        "revoked": revoked,
        "admin": service.admin_token,
        "coordinator": service.token("coordinator", "alice", cooperations=["g7-gelderland"]),
        "region-system": service.token("region-system", "nijmegen-systeem", regions=[OWN_REGION]),
        "auditor": service.token("auditor", "accountant"),
    }


def operations(service: Service) -> list[tuple[str, str]]:
    with service.client() as client:
        schema = client.get("/schema/openapi.json").json()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


def expected(role: str, method: str, template: str, path: str, query: dict[str, str]) -> str:
    """'allowed', 401 or 403 — the authorisation matrix of the API."""
    if template in PUBLIC:
        return "allowed"
    if role in ("anonymous", "revoked"):
        return "401"
    if role == "admin":
        return "allowed"
    if template.startswith("/tokens"):
        return "403"
    if template.startswith("/audit/"):  # checkpoints and the export: auditors (and admins) only
        return "allowed" if role == "auditor" else "403"
    if method == "POST":  # commands
        return "allowed" if role == "coordinator" else "403"
    if template == "/events":
        if role == "auditor":
            return "allowed"
        return "allowed" if role == "region-system" and query.get("region") == OWN_REGION else "403"
    if "{region}" in template:
        return "allowed" if role != "region-system" or f"/{OWN_REGION}" in path else "403"
    return "403" if role == "region-system" else "allowed"


def requests_for(method: str, path: str) -> list[tuple[str, dict[str, str]]]:
    """The concrete requests to try for an operation: path parameters filled in, scoped variants."""
    if "{region}" in path:
        return [(path.replace("{region}", r), {}) for r in (OWN_REGION, OTHER_REGION)]
    filled = re.sub(r"\{[^}]+\}", "x", path)
    if filled == "/events":
        return [(filled, {}), (filled, {"region": OWN_REGION}), (filled, {"region": OTHER_REGION})]
    return [(filled, {})]


def test_every_role_against_every_endpoint(service: Service, tokens) -> None:
    outcomes = []
    clients = {role: service.client(tokens[role]) for role in ROLES}
    for method, template in operations(service):
        for path, query in requests_for(method, template):
            for role in ROLES:
                answer = clients[role].request(
                    method, path, params=query, json={} if method in ("POST", "PUT") else None
                )
                got = str(answer.status_code) if answer.status_code in (401, 403) else "allowed"
                want = expected(role, method, template, path, query)
                outcomes.append((role, method, path, query, want, got, answer.status_code))
                assert answer.status_code < 500, (role, method, path, answer.text)
    for client in clients.values():
        client.close()
    wrong = [o for o in outcomes if o[4] != o[5]]
    assert not wrong, "\n".join(map(str, wrong))
    assert len(outcomes) > 200


def test_a_coordinator_of_g7_gelderland_cannot_record_in_nmz_limburg(
    service: Service, tokens
) -> None:
    body = {
        "cooperation": "nmz-limburg",
        "organisation": "koraalgroep",
        "agreement": "nmz-accounthouder-koraalgroep",
        "holder_region": "zuid-limburg",
        "authority": {
            "body": "nmz-bestuurlijk-overleg",
            "decision_date": "2026-01-15",
            "document": "Besluitenlijst NMZ 2026-01",
        },
    }
    with service.client(tokens["coordinator"]) as client:
        refused = client.post("/agreements/account-holderships", json=body)
        assert refused.status_code == 403
        assert "g7-gelderland, not nmz-limburg" in refused.json()["detail"]
        own = client.post(
            "/agreements/account-holderships",
            json={
                **body,
                "cooperation": "g7-gelderland",
                "holder_region": "achterhoek",
                "agreement": "g7-accounthouder-koraalgroep",
                "authority": {
                    "body": "g7-bestuurlijk-overleg",
                    "decision_date": "2026-01-15",
                    "document": "Besluitenlijst G7 2026-01",
                },
            },
        )
        assert own.status_code == 201, own.text


def test_an_auditor_cannot_write_even_a_valid_command(service: Service, tokens) -> None:
    with service.client(tokens["auditor"]) as client:
        answer = client.post("/regions", json={"region": "nieuw", "name": "Nieuw"})
    assert answer.status_code == 403


def test_a_region_system_reads_its_own_feed_and_not_another_regions(
    service: Service, tokens
) -> None:
    with service.client(tokens["region-system"]) as client:
        own = client.get("/events", params={"region": OWN_REGION, "limit": 5})
        assert own.status_code == 200
        assert all(OWN_REGION in e["concerns"]["regions"] for e in own.json()["events"])
        assert client.get("/events", params={"region": OTHER_REGION}).status_code == 403


def test_a_region_system_follows_its_own_feed_over_http(service: Service, tokens) -> None:
    with service.client(tokens["region-system"]) as client:
        assert client.get(f"/regions/{OTHER_REGION}/feed").status_code == 403
        with client.stream("GET", f"/regions/{OWN_REGION}/feed") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            first = next(line for line in lines if line.startswith("data:"))
    assert f"feed.{OWN_REGION}." in first or OWN_REGION in first
