"""Property-based tests of the served API from its own OpenAPI document (schemathesis): generated
requests to every operation, valid (positive mode) and invalid (negative mode), each sent with the
token of a role drawn for it, must pass schemathesis's default checks: no 5xx; documented status
codes, content types, headers and schemas; invalid data refused; valid data not refused as
invalid; authentication not ignored. Afterwards the service must still work: fuzzing records
whatever the schema lets through, and a decision recorded then must still reach a region's feed.

Two settings are the API's own, both of `positive_data_acceptance`: it also takes 422, the answer
to a command that is valid by the schema but breaks a rule of the domain (a generated command names
slugs nothing registered), and 400, the answer to values whose rules the schema does not state (a
month-precision date is the 1st of its month, a source reference reads `<source>:L<n>`, a body has
only the documented fields, a region-system token names one region). Invalid data may also be
refused with 413, a body over the size limit. Operations without an input a request can get wrong
(none at all, or only a path segment of free text) have no invalid request, so negative mode skips
them.

Reproducible: the seed is printed, REGIEKAART_FUZZ_SEED replays a run and REGIEKAART_FUZZ_OPERATIONS
(labels such as "POST /regions", comma-separated) narrows it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.e2e.commands_matrix import HOLDER, ORGANISATION, OWN, body_of
from tests.fixtures.processes import Service

SEED = int(os.environ.get("REGIEKAART_FUZZ_SEED", "20261205"))
# Generated requests per operation and mode: 51 operations, 2 modes, 8 each take about 3 minutes on
# the shared 2-core machine.
EXAMPLES = int(os.environ.get("REGIEKAART_FUZZ_EXAMPLES", "8"))
ROLES = ("admin", "coordinator", "region-system", "auditor")
FEED_REGION = "regio-nijmegen"
FEED_DEADLINE_SECONDS = 60.0

# Valid by the schema, refused by a rule it does not state (400) or by the domain (422).
ACCEPTED_VALID = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
# Invalid data is refused as schemathesis expects, and also by 413: a generated body beyond the
# size limit (a list far over its bound) is refused by the gate before it is read (api.request_body).
REFUSED_INVALID = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"]
CONFIG = {
    # Each request carries the token of the role drawn for it (`call`), so the Authorization header is
    # not schemathesis's to generate: a negative case whose invalid part was that header left out was
    # sent with it, valid but for what the API ignores by design (a query parameter an operation does
    # not take), and reported as invalid data accepted.
    "generation": {"with-security-parameters": False},
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ACCEPTED_VALID},
        "negative_data_rejection": {"expected-statuses": [*REFUSED_INVALID, "429", "5xx"]},
    },
}


def streams(operation: schemathesis.APIOperation) -> bool:
    """A region's feed answers a stream that lasts until the client leaves, which no generated request
    does: tests/e2e/test_feed_sse.py follows it, test_authorisation_matrix.py refuses it."""
    ok = operation.definition.raw["responses"].get("200", {})
    return "text/event-stream" in ok.get("content", {})


def constrained(operation: schemathesis.APIOperation) -> bool:
    """Whether an operation has an input a request can get wrong: a body, or a parameter other than
    a path segment of free text (the token named in `DELETE /tokens/{token_id}` is found or not)."""
    raw = operation.definition.raw
    free_segment = {"in": "path", "schema": {"type": "string"}}
    return bool(raw.get("requestBody")) or any(
        {key: parameter.get(key) for key in free_segment} != free_segment
        for parameter in raw.get("parameters", [])
    )


def fuzz(service: Service, tokens: dict[str, str], mode: GenerationMode) -> dict[str, str]:
    """Fuzzes every operation in `mode` and answers the failures found, per operation."""
    config = schemathesis.Config.from_dict(CONFIG)
    schema = schemathesis.openapi.from_url(f"{service.url}/schema/openapi.json", config=config)
    session = requests.Session()
    sent: Counter[str] = Counter()
    failures: dict[str, str] = {}
    only = os.environ.get("REGIEKAART_FUZZ_OPERATIONS")  # e.g. "POST /regions": replay one
    for operation in (loaded.ok() for loaded in schema.get_all_operations()):
        if only and operation.label not in only.split(","):
            continue
        if streams(operation) or (mode is GenerationMode.NEGATIVE and not constrained(operation)):
            continue

        @hypothesis.seed(SEED)
        @hypothesis.given(case=operation.as_strategy(mode), role=st.sampled_from(ROLES))
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,  # each example is a request to a real service on a shared machine
            database=None,  # a run depends on its seed only
            # Each example is an HTTP request: hundreds of milliseconds is their normal pace, not a
            # slow strategy; and negative generation rejects some drawn values by design.
            suppress_health_check=[
                hypothesis.HealthCheck.too_slow,
                hypothesis.HealthCheck.filter_too_much,
            ],
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def call(case: schemathesis.Case, role: str) -> None:
            sent[operation.label] += 1
            position = (case.query or {}).get("min_position")
            if type(position) is int and position >= 0:
                # A map at a position the maps have not reached is a 503 with Retry-After by design
                # (README, "Reading your own writes"): a valid request asks for one they have.
                case.query["min_position"] = 0
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            case.call_and_validate(
                base_url=service.url, session=session, headers=headers, timeout=60
            )

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - reported together
            failures[f"{mode} {operation.label}"] = str(failure)[:4000]
        if not sent[operation.label]:
            failures[f"{mode} {operation.label}"] = "no request was generated"
    print(f"{mode} mode: {sum(sent.values())} requests to {len(sent)} operations")
    return failures


class FeedStopped(AssertionError):
    """A decision recorded after fuzzing did not reach the region's feed."""


def a_decision_reaches_the_feed(service: Service) -> None:
    """Records an account holder in a region and reads it from the region's feed, in a deadline."""
    fresh = uuid.uuid4().hex[:8]
    agreement = f"acc-{fresh}"
    with service.client(service.admin_token) as admin:
        for path, command in (
            ("/organisations", ORGANISATION.made(OWN, fresh)),
            ("/agreements/account-holderships", HOLDER.made(OWN, fresh)),
        ):
            answer = admin.post(path, json=body_of(command))
            assert answer.status_code == 201, answer.text
        deadline = time.monotonic() + FEED_DEADLINE_SECONDS
        timeout = httpx.Timeout(10.0, read=30.0)
        with admin.stream("GET", f"/regions/{FEED_REGION}/feed", timeout=timeout) as feed:
            assert feed.status_code == 200, feed.read()
            for line in feed.iter_lines():
                if line.startswith("data:") and agreement in line:
                    return
                if time.monotonic() > deadline:
                    break
    raise FeedStopped(f"{agreement} did not reach the feed of {FEED_REGION}")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_generated_requests_pass_the_default_checks_and_the_service_still_works(
    own_service, own_database_url, tmp_path
) -> None:
    """On a service of its own: what fuzzing records must not reach the other tests."""
    service = own_service(tmp_path / "service", database_url=own_database_url)
    tokens = {
        "admin": service.admin_token,
        "coordinator": service.token("coordinator", "fuzz", cooperations=["g7-gelderland"]),
        "region-system": service.token("region-system", "fuzz", regions=[FEED_REGION]),
        "auditor": service.token("auditor", "fuzz"),
    }
    print(f"\nfuzzing with seed {SEED} (REGIEKAART_FUZZ_SEED={SEED} replays it)")
    failures = {}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        failures |= fuzz(service, tokens, mode)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    a_decision_reaches_the_feed(service)
