"""Every role against every route of the served OpenAPI document, with every scope-widening trick:
repeated query parameters, other regions' and cooperations' slugs in the path, the query and the
body, corrections of facts outside the token's scope, and another token's idempotency key.

Nothing outside a token's scope may be read (a refused read answers a problem document, with no map,
history or event in it) or recorded (the event log ends where it ended before every refused
request).

The tokens: a coordinator of G7 Gelderland (its participants include regio Nijmegen), a region
system of regio Nijmegen, an auditor and an admin. "Foreign" is what none of them but the admin and
auditor may touch: NMZ Limburg, Zuid-Limburg, Maastricht, an NMZ agreement.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.e2e.service import Service
from tests.security.conftest import G7_AUTHORITY, NMZ_AUTHORITY, EventLog

OWN_REGION = "regio-nijmegen"
FOREIGN = {
    "region": "zuid-limburg",
    "cooperation": "nmz-limburg",
    "municipality": "maastricht",
    "organisation": "koraalgroep",
    "agreement": "nmz-expertisecentrum-mandaat-roermond",
    "body": "nmz-bestuurlijk-overleg",
    "decision_body": "g16zlb",  # a body of the foreign region
}
OWN_PATH = {
    "region": OWN_REGION,
    "cooperation": "g7-gelderland",
    "municipality": "nijmegen",
    "organisation": "koraalgroep",
    "decision_body": "wethoudersoverleg-regio-nijmegen",
    "token_id": "000000000000",
}
ROLES = ("admin", "coordinator", "region-system", "auditor")
PUBLIC = {"/health", "/ready", "/audit/public-key"}
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id", "errors", "rule"}
# A day and a moment for the query parameters that take one.
QUERY_VALUES = {
    "as_of": ("2020-01-01", "2026-01-01"),
    "known_at": ("2020-01-01T00:00:00", "2026-01-01T00:00:00"),
    "after": ("0", "1"),
    "limit": ("5", "500"),
    "min_position": ("0", "1"),
    "region": (OWN_REGION, FOREIGN["region"]),
    "aggregate_id": (
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
    ),
    "since": ("2020-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    "until": ("2100-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    "lacking": ("content", "costs"),
}


@pytest.fixture(scope="module")
def tokens(service: Service) -> dict[str, str]:
    return {
        "admin": service.admin_token or "",
        "coordinator": service.token("coordinator", "attack-g7", cooperations=["g7-gelderland"]),
        "region-system": service.token("region-system", "attack-nijmegen", regions=[OWN_REGION]),
        "auditor": service.token("auditor", "attack-auditor"),
    }


@pytest.fixture(scope="module")
def clients(service: Service, tokens: dict[str, str]) -> Any:
    opened = {role: service.client(token) for role, token in tokens.items()}
    yield opened
    for client in opened.values():
        client.close()


@pytest.fixture(scope="module")
def openapi(admin: httpx.Client) -> dict:
    return admin.get("/schema/openapi.json").json()


@pytest.fixture(scope="module")
def aggregate_ids(admin: httpx.Client) -> dict[str, str]:
    """Aggregate ids by slug, from the log."""
    ids: dict[str, str] = {}
    after = 0
    while True:
        page = admin.get("/events", params={"after": after, "limit": 500}).json()
        for event in page["events"]:
            ids.setdefault(f"{event['aggregate_kind']}:{event['slug']}", event["aggregate_id"])
        after = page["position"]
        if not page["more"]:
            return ids


def operations(openapi: dict, method: str) -> list[tuple[str, dict]]:
    return [
        (path, item[method])
        for path, item in openapi["paths"].items()
        if method in item and path not in PUBLIC
    ]


def assert_refused(answer: httpx.Response, *statuses: int) -> None:
    """A refusal: one of ``statuses``, as a problem document that carries no data of any kind."""
    where = f"{answer.request.method} {answer.request.url}"
    assert answer.status_code in statuses, (where, answer.status_code, answer.text[:500])
    assert answer.headers["content-type"] == "application/problem+json", (where, answer.text[:300])
    assert set(answer.json()) <= PROBLEM_FIELDS, (where, answer.text[:300])


# -- the bodies: every command filled in with foreign slugs ----------------------------------------
def _slug_for(name: str) -> str | None:
    for kind, slug in FOREIGN.items():
        plural = "municipalities" if kind == "municipality" else f"{kind}s"
        if name in (kind, plural) or name.endswith((f"_{kind}", f"_{plural}")):
            return slug
    if name in ("expertise_centre", "suppliers"):
        return FOREIGN["organisation"]
    if name == "part_of":
        return FOREIGN["agreement"]
    return None


class ForeignBody:
    """A command body from its OpenAPI schema: the required fields, plus every field that names a
    region, cooperation, municipality, organisation, agreement or body, all naming foreign ones."""

    def __init__(self, openapi: dict, aggregate_ids: dict[str, str]) -> None:
        self.schemas = openapi["components"]["schemas"]
        self.foreign_aggregate = aggregate_ids[f"agreement:{FOREIGN['agreement']}"]

    def of(self, schema: dict) -> dict:
        return self._value(schema, "")

    def _value(self, schema: dict, name: str) -> Any:
        if "$ref" in schema:
            component = schema["$ref"].rsplit("/", 1)[1]
            special = {
                "PartialDate": {"value": "2026-06-01", "precision": "day"},
                "DateWithPrecision": {"value": "2026-06-01", "precision": "day"},
                "SubjectRef": {"kind": "region", "slug": FOREIGN["region"]},
            }
            if component in special:
                return special[component]
            if component.startswith("Authority"):  # in full, naming the foreign cooperation's body
                return NMZ_AUTHORITY
            return self._value(self.schemas[component], name)
        if "oneOf" in schema:
            # A date is a bare string or an object (its notation is not in the schema): the object.
            branches = [s for s in schema["oneOf"] if s.get("type") != "null"]
            dated = [s for s in branches if s.get("$ref", "").endswith("/DateWithPrecision")]
            return self._value((dated or branches)[0], name)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            required = set(schema.get("required", ()))
            return {
                field: self._value(sub, field)
                for field, sub in schema.get("properties", {}).items()
                if field in required or _slug_for(field) or field == "authority"
            }
        if kind == "array":
            wanted = _slug_for(name) or name in ("claim_values", "participants")
            return [self._value(schema["items"], name)] if wanted else []
        if kind == "integer":
            return 1
        if kind == "boolean":
            return False
        if schema.get("format") == "uuid" or name == "aggregate_id":
            return self.foreign_aggregate
        if schema.get("format") == "date":
            return "2026-06-01"
        if name == "membership_id":  # <region>:<municipality>, the form its pattern asks for
            return f"{FOREIGN['region']}:{FOREIGN['municipality']}"
        # (a slug where the field takes one: ``cost_key``)
        return _slug_for(name) or f"attack-{(name or 'value').replace('_', '-')}"


# -- reads -----------------------------------------------------------------------------------------
def test_a_region_system_reads_nothing_of_another_region_by_path_or_query(
    openapi: dict, clients: dict, log: EventLog
) -> None:
    system = clients["region-system"]
    before = log.end()
    tried = 0
    for path, _ in operations(openapi, "get"):
        foreign_path = re.sub(
            r"\{(\w+)\}", lambda m: FOREIGN.get(m.group(1), OWN_PATH.get(m.group(1), "x")), path
        )
        for query in ({}, {"region": FOREIGN["region"]}):
            answer = system.get(foreign_path, params=query)
            tried += 1
            assert_refused(answer, 403)
    # its own feed and log only: another region's feed, or the log with another region, is refused
    assert_refused(system.get(f"/regions/{FOREIGN['region']}/feed"), 403)
    assert log.end() == before
    assert tried > 25


def test_a_query_parameter_a_route_does_not_take_changes_nothing(clients: dict) -> None:
    system = clients["region-system"]
    for path in (f"/regions/{OWN_REGION}/map", f"/regions/{OWN_REGION}/history"):
        plain = system.get(path)
        assert plain.status_code == 200, plain.text
        for extra in ({"region": FOREIGN["region"]}, {"regions": FOREIGN["region"]}):
            widened = system.get(path, params=extra)
            assert widened.status_code == 200, widened.text
            assert widened.json() == plain.json()
    own = system.get("/events", params={"region": OWN_REGION, "limit": 500})
    assert own.status_code == 200
    regions_named = {r for e in own.json()["events"] for r in e["concerns"]["regions"]}
    assert OWN_REGION in regions_named


@pytest.mark.parametrize("role", ROLES)
def test_every_single_valued_query_parameter_given_twice_is_refused(
    role: str, openapi: dict, clients: dict, log: EventLog
) -> None:
    client = clients[role]
    before = log.end()
    tried = 0
    for path, operation in operations(openapi, "get"):
        own_path = re.sub(r"\{(\w+)\}", lambda m: OWN_PATH.get(m.group(1), "x"), path)
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] != "query" or '"array"' in json.dumps(parameter.get("schema")):
                continue  # a list parameter takes several values
            values = QUERY_VALUES[name]
            query = "&".join(f"{name}={value}" for value in values)
            answer = client.get(f"{own_path}?{query}")
            tried += 1
            assert_refused(answer, 400)
            assert name in answer.json()["detail"], answer.text
    assert log.end() == before
    assert tried >= 15


# -- writes ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["coordinator", "region-system", "auditor"])
def test_no_command_with_foreign_slugs_is_recorded(
    role: str, openapi: dict, aggregate_ids: dict, clients: dict, log: EventLog
) -> None:
    bodies = ForeignBody(openapi, aggregate_ids)
    client = clients[role]
    tried = []
    for path, operation in operations(openapi, "post"):
        if path == "/tokens":
            body: dict = {"name": f"widened-{role}", "role": "admin"}
        else:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            body = bodies.of(schema)
        before = log.end()
        answer = client.post(path, json=body)
        tried.append(path)
        assert_refused(answer, 403)
        assert log.end() == before, (path, body)
    assert len(tried) >= 30


@pytest.mark.parametrize("role", ["coordinator", "region-system", "auditor"])
def test_no_token_but_an_admin_revokes_a_token(
    role: str, service: Service, tokens: dict, clients: dict
) -> None:
    victim = tokens["auditor" if role != "auditor" else "coordinator"]
    answer = clients[role].delete(f"/tokens/{victim.split('_')[1]}")
    assert_refused(answer, 403)
    with service.client(victim) as still:
        assert still.get("/regions").status_code in (200, 403)  # authenticated: not 401


def test_a_coordinator_corrects_nothing_outside_their_scope_or_of_the_registry(
    aggregate_ids: dict, clients: dict, log: EventLog
) -> None:
    out_of_scope = [
        "cooperation:g7-gelderland",  # their own cooperation's registration: a registry fact
        f"region:{OWN_REGION}",  # a region of their cooperation: a registry fact
        "municipality:nijmegen",  # a municipality's registration: a registry fact
        "cooperation:nmz-limburg",
        f"region:{FOREIGN['region']}",
        f"agreement:{FOREIGN['agreement']}",
    ]
    for role in ("coordinator", "region-system", "auditor"):
        for subject in out_of_scope:
            before = log.end()
            answer = clients[role].post(
                "/decisions/corrections",
                json={
                    "aggregate_id": aggregate_ids[subject],
                    "version": 1,
                    "reason": "widen the scope",
                    "authority": G7_AUTHORITY,
                },
            )
            assert_refused(answer, 403)
            assert log.end() == before, (role, subject)


def test_no_token_gets_the_answer_to_another_tokens_idempotency_key(
    service: Service, clients: dict, log: EventLog
) -> None:
    body = {
        "agreement": "g7-trekker-essentiele-functies",
        "milestone": {"date": {"value": "2026-07-01", "precision": "month"}, "what": "aanval"},
        "authority": G7_AUTHORITY,
    }
    key = {"Idempotency-Key": "attack-shared-key"}
    first = clients["coordinator"].post("/agreements/milestones", json=body, headers=key)
    assert first.status_code == 201, first.text
    other_coordinator = service.token("coordinator", "attack-nmz", cooperations=["nmz-limburg"])
    with service.client(other_coordinator) as other:
        others = {"other coordinator": other.post("/agreements/milestones", json=body, headers=key)}
    for role in ("region-system", "auditor"):
        others[role] = clients[role].post("/agreements/milestones", json=body, headers=key)
    for who, answer in others.items():
        assert "idempotent-replayed" not in answer.headers, who
        assert_refused(answer, 403)
    before = log.end()
    # the admin runs it as a command of its own (a fact is recorded once: 422), never as a replay
    admin = clients["admin"].post("/agreements/milestones", json=body, headers=key)
    assert "idempotent-replayed" not in admin.headers
    assert_refused(admin, 422)
    assert log.end() == before
