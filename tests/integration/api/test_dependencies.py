"""The API's handlers, given their dependencies by Litestar: command endpoints are named after the
application's handlers, and a dependency that cannot serve (the audit trail without NATS) refuses only
after the request's parameters were checked, as before."""

from __future__ import annotations

from litestar.testing import TestClient

from services.application import COMMAND_HANDLERS
from services.authorisation import Role
from tests.integration.api.conftest import bearer


def test_each_command_endpoint_is_named_after_its_handler(client: TestClient):
    endpoints = {
        handler.operation_id: handler.handler_name
        for route in client.app.routes
        for handler in getattr(route, "route_handlers", ())
        if isinstance(handler.operation_id, str)
    }
    for command_class, handler in COMMAND_HANDLERS.items():
        assert endpoints[command_class.__name__] == handler.__name__


def test_the_audit_trail_checks_parameters_before_it_needs_nats(client: TestClient):
    auditor = bearer(client.app.state.context, Role.AUDITOR)
    invalid = client.get("/audit/checkpoints", params={"after": "-1"}, headers=auditor)
    assert invalid.status_code == 400
    assert invalid.headers["content-type"].startswith("application/problem+json")
    assert "after" in invalid.text
    for path in ("/audit/checkpoints", "/audit/export"):
        refused = client.get(path, headers=auditor)
        assert refused.status_code == 503, path
        assert refused.json()["detail"] == "the audit trail needs the NATS event store"
