"""Property-based tests of the served API from its own OpenAPI document (schemathesis): generated
requests to every operation, valid and invalid, must never meet a 5xx, and every answer must match the
documented status codes, content types and schemas."""

from __future__ import annotations

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.processes import Service

CASES = 1000  # generated cases per run, spread evenly over the operations


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
def test_generated_requests_meet_no_server_error_and_match_the_schema(service: Service) -> None:
    headers = {"Authorization": f"Bearer {service.admin_token}"}
    schema = schemathesis.openapi.from_url(f"{service.url}/schema/openapi.json")
    operations = [loaded.ok() for loaded in schema.get_all_operations()]
    per_operation = -(-CASES // len(operations))
    session = requests.Session()
    cases = 0
    failures: dict[str, str] = {}
    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=per_operation,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def call(case: schemathesis.Case) -> None:
            nonlocal cases
            cases += 1
            case.call_and_validate(
                base_url=service.url, session=session, headers=headers, checks=CHECKS, timeout=60
            )

        try:
            call()
        except Exception as failure:  # noqa: BLE001 - collected per operation, reported together
            causes = getattr(failure, "exceptions", ()) or [failure.__cause__ or failure]
            failures[operation.label] = "\n".join(str(c)[:2000] for c in causes)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert cases >= CASES
