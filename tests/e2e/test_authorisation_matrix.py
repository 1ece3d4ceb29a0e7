"""Every role against every route of the API, with requests that would succeed: allowed, or refused
having recorded and returned nothing.

- Reads: every GET route (those left out of the OpenAPI document too: the AsyncAPI document, metrics
  and the docs), with both regions for a region route and repeated or conflicting
  query parameters. Allowed is a 2xx whose content stays within the token's scope; refused is a 401
  or 403 problem that carries no data.
- Commands: every command route with a valid body (`commands_matrix.RECIPES`: the facts it needs are
  first recorded by an admin, with fresh slugs, so each send could succeed), sent by every role, and
  by the coordinator once more outside their cooperation. Allowed is a 201 that recorded events;
  refused is a 401/403 problem after which the event log is exactly as it was.
- Tokens: issuing and revoking, for every role.

A test checks that the tables cover every route the served OpenAPI document lists, so a new route
cannot be left out.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.commands_matrix import (
    ADMIN_ONLY,
    FOREIGN,
    OWN,
    RECIPES,
    body_of,
    route_of_command,
)
from tests.fixtures.processes import Service

OWN_REGION, OTHER_REGION = "regio-nijmegen", "zuid-limburg"
ROLES = ["anonymous", "revoked", "admin", "coordinator", "region-system", "auditor"]
OWN_REGION_BODY = "/bodies/wethoudersoverleg-regio-nijmegen"
PUBLIC = {
    "/health",
    "/ready",
    "/audit/public-key",
    "/asyncapi.yaml",
    "/metrics",
    "/schema",
    "/schema/openapi.json",
}
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id", "errors", "rule"}
FEED_DEADLINE_SECONDS = 30.0

# The GET routes, with the concrete paths and query strings to try (a list of pairs: repeated keys).
Query = tuple[tuple[str, str], ...]
READS: list[tuple[str, str, Query]] = [
    ("/health", "/health", ()),
    ("/ready", "/ready", ()),
    ("/metrics", "/metrics", ()),
    ("/schema", "/schema", ()),
    ("/schema/openapi.json", "/schema/openapi.json", ()),
    ("/asyncapi.yaml", "/asyncapi.yaml", ()),
    ("/audit/public-key", "/audit/public-key", ()),
    ("/audit/checkpoints", "/audit/checkpoints", ()),
    ("/audit/set-aside-events", "/audit/set-aside-events", ()),
    ("/audit/export", "/audit/export", ()),
    ("/tokens", "/tokens", ()),
    ("/regions", "/regions", ()),
    ("/cooperations", "/cooperations", ()),
    ("/organisations", "/organisations", ()),
    ("/municipalities", "/municipalities", ()),
    ("/cooperations/{cooperation}/map", "/cooperations/g7-gelderland/map", ()),
    ("/cooperations/{cooperation}/history", "/cooperations/g7-gelderland/history", ()),
    (
        "/cooperations/{cooperation}/module-commitments",
        "/cooperations/g7-gelderland/module-commitments",
        (("lacking", "costs"),),
    ),
    ("/organisations/{organisation}/map", "/organisations/koraalgroep/map", ()),
    ("/organisations/{organisation}/history", "/organisations/koraalgroep/history", ()),
    ("/municipalities/{municipality}/history", "/municipalities/beuningen/history", ()),
    ("/bodies", "/bodies", ()),
    ("/norms", "/norms", ()),
    ("/norms/{norm}", "/norms/kamerbrief-r1-2g", ()),
    ("/bodies/{decision_body}", OWN_REGION_BODY, ()),
    ("/bodies/{decision_body}", "/bodies/g16zlb", ()),  # of the other region
    ("/bodies/{decision_body}", "/bodies/g7-ambtelijk-overleg", ()),  # of a cooperation
    ("/events", "/events", ()),
    ("/events", "/events", (("region", OWN_REGION),)),
    ("/events", "/events", (("region", OTHER_REGION),)),
    ("/events", "/events", (("region", OWN_REGION), ("region", OTHER_REGION))),
    ("/events", "/events", (("region", OTHER_REGION), ("region", OWN_REGION))),
    ("/events", "/events", (("region", OWN_REGION), ("limit", "5"), ("limit", "500"))),
    ("/plans-of-approach/overdue-actions", "/plans-of-approach/overdue-actions", ()),
] + [
    (f"/regions/{{region}}/{what}", f"/regions/{region}/{what}", query)
    for what in (
        "map",
        "history",
        "feed",
        "module-commitments",
        "compliance",
        "plans-of-approach",
        "overdue-actions",
    )
    for region in (OWN_REGION, OTHER_REGION)
    # a query parameter naming another region never widens what the path names
    for query in ((), (("region", OTHER_REGION if region == OWN_REGION else OWN_REGION),))
]


def read_expectation(role: str, template: str, path: str, query: Query) -> str:
    """'allowed' or 'refused': the read side of the matrix (README, "Roles and tokens")."""
    if template in PUBLIC:
        return "allowed"
    if role in ("anonymous", "revoked"):
        return "refused"
    if role == "admin":
        return "allowed"
    if template.startswith(("/tokens", "/audit/")):  # tokens: admins; checkpoints, export: auditors
        return "allowed" if role == "auditor" and template.startswith("/audit/") else "refused"
    if template == "/events" or template.endswith("/feed"):  # the raw log, whole or a region's part
        if role == "auditor":
            return "allowed"
        if template.endswith("/feed"):
            own = role == "region-system" and path.startswith(f"/regions/{OWN_REGION}/")
            return "allowed" if own else "refused"
        regions = {value for key, value in query if key == "region"}
        return "allowed" if role == "region-system" and regions == {OWN_REGION} else "refused"
    if template.startswith("/regions/{region}"):
        return (
            "allowed"
            if role != "region-system" or path.startswith(f"/regions/{OWN_REGION}/")
            else "refused"
        )
    if template == "/bodies/{decision_body}":  # a region system reads its own region's bodies
        return "allowed" if role != "region-system" or path == OWN_REGION_BODY else "refused"
    return "refused" if role == "region-system" else "allowed"


def _read_case(role: str, template: str, path: str, query: Query) -> pytest.param:
    label = f"{role}-{path}?" + "&".join(f"{k}={v}" for k, v in query)
    return pytest.param(role, template, path, query, id=label)


READ_CASES = [_read_case(role, *read) for read in READS for role in ROLES]


# -- fixtures and helpers -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokens(service: Service) -> dict[str, str | None]:
    # Names of this module's own: token names may have to be unique per role (issue 19 finding 5).
    revoked = service.token("auditor", "matrix-former-auditor")
    with service.client(service.admin_token) as admin:
        token_id = revoked.split("_")[1]
        assert admin.delete(f"/tokens/{token_id}").status_code == 204
    return {
        "anonymous": None,
        "revoked": revoked,
        "admin": service.admin_token,
        "coordinator": service.token("coordinator", "matrix-g7", cooperations=["g7-gelderland"]),
        "region-system": service.token("region-system", "matrix-nijmegen", regions=[OWN_REGION]),
        "auditor": service.token("auditor", "matrix-accountant"),
    }


@pytest.fixture(scope="module")
def clients(service: Service, tokens: dict[str, str | None]) -> Iterator[dict[str, httpx.Client]]:
    opened = {role: service.client(tokens[role]) for role in ROLES}
    yield opened
    for client in opened.values():
        client.close()


@pytest.fixture(scope="module")
def schema(service: Service) -> dict:
    with service.client() as client:
        return client.get("/schema/openapi.json").json()


class Log:
    """The event log's head, read as an admin from /events (cheaply: from the last head seen)."""

    def __init__(self, admin: httpx.Client) -> None:
        self.admin, self.position = admin, 0

    def head(self) -> int:
        while True:
            page = self.admin.get("/events", params={"after": self.position, "limit": 500})
            assert page.status_code == 200, page.text
            body = page.json()
            if body["position"] == self.position and not body["events"]:
                return self.position
            self.position = body["position"]


@pytest.fixture(scope="module")
def log(clients: dict[str, httpx.Client]) -> Log:
    return Log(clients["admin"])


def assert_refused_with_a_problem(
    role: str, answer: httpx.Response, ambiguous: bool = False
) -> None:
    """401 without a valid token, else 403; a request with repeated parameters may be refused as
    ambiguous (400) whoever sends it. A problem document either way, with no data in it."""
    refusals = (401,) if role in ("anonymous", "revoked") else (403,)
    if ambiguous:
        refusals = (*refusals, 400)
    assert answer.status_code in refusals, (role, answer.status_code, answer.text[:500])
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
    assert set(answer.json()) <= PROBLEM_FIELDS, answer.text[:500]


def first_feed_event(answer: httpx.Response) -> str:
    deadline = time.monotonic() + FEED_DEADLINE_SECONDS
    for line in answer.iter_lines():
        if line.startswith("data:") and line.removeprefix("data:").strip():
            return line
        assert time.monotonic() < deadline, "the feed sent no event"
    raise AssertionError("the feed ended without an event")


# -- reads ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "template", "path", "query"), READ_CASES)
def test_reads(clients, log: Log, role: str, template: str, path: str, query: Query) -> None:
    client, want = clients[role], read_expectation(role, template, path, query)
    before = log.head()
    params = list(query)
    if template.endswith("/feed"):
        timeout = httpx.Timeout(10.0, read=FEED_DEADLINE_SECONDS)
        with client.stream("GET", path, params=params, timeout=timeout) as answer:
            if want == "allowed":
                assert answer.status_code == 200, answer.read()
                assert answer.headers["content-type"].startswith("text/event-stream")
                event = first_feed_event(answer)
                region = path.split("/")[2]
                assert f"feed.{region}." in event or f'"{region}"' in event, event[:300]
            else:
                # A feed let through streams without end: refuse to read it, or the test hangs.
                assert not answer.headers.get("content-type", "").startswith("text/event-stream"), (
                    f"{role} follows {path}"
                )
                answer.read()
                assert_refused_with_a_problem(role, answer)
        assert log.head() == before
        return
    answer = client.get(path, params=params)
    if want == "refused":
        assert_refused_with_a_problem(role, answer, ambiguous=len(query) > len(dict(query)))
    elif template == "/events" and len(query) > len(dict(query)):
        # Repeated parameters may be answered as a whole or refused as ambiguous, never half-read.
        assert answer.status_code in (200, 400), answer.text[:500]
        if answer.status_code == 200 and role == "region-system":
            _assert_within_the_own_region(template, answer, clients["auditor"])
    else:
        assert 200 <= answer.status_code < 300, (answer.status_code, answer.text[:500])
    if answer.status_code == 200 and role == "region-system":
        _assert_within_the_own_region(template, answer, clients["auditor"])
    assert log.head() == before, "a read recorded something"


def _assert_within_the_own_region(
    template: str, answer: httpx.Response, auditor: httpx.Client
) -> None:
    if template == "/events":
        # What concerns a region is the feeds' rule (tests/security compares it with the feed
        # itself): the region system gets no event that the rule does not give its region.
        events = answer.json()["events"]
        own = auditor.get("/events", params={"region": OWN_REGION, "limit": 500})
        assert events and {e["id"] for e in events} <= {e["id"] for e in own.json()["events"]}
    elif template == "/regions/{region}/map":
        assert answer.json()["region"]["slug"] == OWN_REGION
    elif template == "/regions/{region}/history":
        assert answer.json(), "the own region's history is empty"


# -- commands -------------------------------------------------------------------------------------
def command_expectation(role: str, recipe: str, world: str) -> int:
    if role in ("anonymous", "revoked"):
        return 401
    if role == "admin":
        return 201
    if role == "coordinator" and world == OWN.name and recipe not in ADMIN_ONLY:
        return 201
    return 403


def _command_case(recipe: str, role: str, world: str) -> pytest.param:
    return pytest.param(recipe, role, world, id=f"{recipe}-{role}-{world}")


COMMAND_CASES = [_command_case(recipe, role, OWN.name) for recipe in RECIPES for role in ROLES] + [
    _command_case(recipe, "coordinator", FOREIGN.name)
    for recipe in RECIPES
    if recipe not in ADMIN_ONLY
]


@pytest.mark.parametrize(("recipe", "role", "world"), COMMAND_CASES)
def test_commands(clients, log: Log, schema: dict, recipe: str, role: str, world: str) -> None:
    setup, make_probe = RECIPES[recipe](OWN if world == OWN.name else FOREIGN, uuid.uuid4().hex[:8])
    routes = route_of_command(schema)
    answers = []
    for command in setup:
        made = clients["admin"].post(routes[type(command).__name__], json=body_of(command))
        assert made.status_code == 201, (type(command).__name__, made.text)
        answers.append(made.json())
    probe = make_probe(answers)
    before = log.head()
    answer = clients[role].post(routes[type(probe).__name__], json=body_of(probe))
    want = command_expectation(role, recipe, world)
    if want == 201:
        assert answer.status_code == 201, answer.text
        assert answer.json()["event_ids"] and log.head() > before
    else:
        assert_refused_with_a_problem(role, answer)
        assert log.head() == before, "a refused command recorded events"


def test_the_tables_cover_every_route_of_the_openapi_document(schema: dict) -> None:
    reads = {template for template, _, _ in READS}
    commands = set(route_of_command(schema))
    recipes = {name.split(":")[0] for name in RECIPES}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method == "get":
                assert path in reads, f"GET {path} is not in the matrix"
            elif method == "post" and path != "/tokens":
                name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert name.split("/")[-1] in recipes, f"POST {path} has no recipe"
            else:
                assert (method, path) in {("post", "/tokens"), ("delete", "/tokens/{token_id}")}
    assert recipes <= commands


# -- tokens ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_issuing_a_token(clients, role: str) -> None:
    name = f"issued-by-{role}-{uuid.uuid4().hex[:6]}"
    answer = clients[role].post("/tokens", json={"name": name, "role": "auditor"})
    issued = [t["name"] for t in clients["admin"].get("/tokens").json()]
    if role == "admin":
        assert answer.status_code == 201, answer.text
        assert answer.json()["token"].startswith("rk_") and name in issued
    else:
        assert_refused_with_a_problem(role, answer)
        assert "rk_" not in answer.text and name not in issued


@pytest.mark.parametrize("role", ROLES)
def test_revoking_a_token(service: Service, clients, role: str) -> None:
    victim = service.token("auditor", f"victim-of-{role}-{uuid.uuid4().hex[:6]}")
    answer = clients[role].delete(f"/tokens/{victim.split('_')[1]}")
    with service.client(victim) as as_victim:
        still = as_victim.get("/regions").status_code
    if role == "admin":
        assert answer.status_code == 204, answer.text
        assert still == 401
    else:
        assert_refused_with_a_problem(role, answer)
        assert still == 200


# -- the scope rules, by name ---------------------------------------------------------------------
def test_a_coordinator_of_g7_gelderland_cannot_record_in_nmz_limburg(clients, log: Log) -> None:
    body = {
        "cooperation": "nmz-limburg",
        "organisation": "koraalgroep",
        "agreement": f"nmz-accounthouder-{uuid.uuid4().hex[:8]}",
        "holder_region": "zuid-limburg",
        "authority": body_of(OWN.authority()),
    }
    before = log.head()
    refused = clients["coordinator"].post("/agreements/account-holderships", json=body)
    assert refused.status_code == 403
    assert "g7-gelderland, not nmz-limburg" in refused.json()["detail"]
    assert log.head() == before
