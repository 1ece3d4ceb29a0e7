"""Property-based tests of the served API from its own OpenAPI document (schemathesis): generated
requests to every operation, valid and invalid, must never meet a 5xx, and every answer must match the
documented status codes, content types and schemas."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.service import Service

CASES_PER_OPERATION = 30  # × the ~40 operations: over 1,000 generated cases per run


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.slow
def test_generated_requests_meet_no_server_error_and_match_the_schema(service: Service) -> None:
    headers = {"Authorization": f"Bearer {service.admin_token}"}
    schema = schemathesis.openapi.from_url(f"{service.url}/schema/openapi.json")
    cases = 0
    failures: dict[str, str] = {}
    for loaded in schema.get_all_operations():
        operation = loaded.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=CASES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def call(case: schemathesis.Case) -> None:
            nonlocal cases
            cases += 1
            case.call_and_validate(base_url=service.url, headers=headers, checks=CHECKS)

        try:
            call()
        except Exception as failure:  # noqa: BLE001 - collected per operation, reported together
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert cases >= 1000
