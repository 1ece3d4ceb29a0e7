"""An unexpected error answers 500 with a request id, and its log line carries that same id, so the
operator can find the error the client reports (``api/errors.py``, ``api/observability.py``)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from litestar import get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.testing import TestClient

from api.app import create_app
from api.context import ApiContext
from api.observability import JsonFormatter
from services.authorisation import Role
from tests.integration.api.conftest import bearer


@get("/broken", sync_to_thread=True)
def broken() -> None:
    raise RuntimeError("a fault inside the service")


def test_the_log_line_of_an_unexpected_error_carries_the_request_id_of_its_500(
    context: ApiContext,
) -> None:
    log_lines = io.StringIO()
    app = create_app(context)
    app.register(broken)
    handler = logging.StreamHandler(log_lines)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("regiekaart").addHandler(handler)
    try:
        with TestClient(app) as client:
            answer = client.get("/broken", headers=bearer(context, Role.ADMIN))
    finally:
        logging.getLogger("regiekaart").removeHandler(handler)

    assert answer.status_code == 500
    problem = answer.json()
    assert problem["detail"] == "the error was logged with this request's id"
    assert "a fault inside the service" not in answer.text
    request_id = answer.headers["x-request-id"]
    assert problem["request_id"] == request_id
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    errors = [line for line in lines if line["message"] == "unexpected error"]
    assert len(errors) == 1, lines
    assert errors[0]["request_id"] == request_id
    assert "a fault inside the service" in errors[0]["error"]
    access = [line for line in lines if line["logger"] == "regiekaart.access"]
    assert [(line["request_id"], line["status"]) for line in access] == [(request_id, 500)]


@get("/misconfigured", sync_to_thread=True)
def misconfigured() -> None:
    raise ImproperlyConfiguredException("'user' is not defined in scope, install an AuthMiddleware")


def test_a_500_raised_as_an_http_exception_is_logged_and_not_told(context: ApiContext) -> None:
    """Litestar's own 500s (an ImproperlyConfiguredException) were answered with their words, about
    the service's insides, and logged with no trace: answered and logged as any unexpected error."""
    app = create_app(context)
    app.register(misconfigured)
    with TestClient(app) as client:
        answer = client.get("/misconfigured", headers=bearer(context, Role.ADMIN))
    assert answer.status_code == 500
    assert answer.json()["detail"] == "the error was logged with this request's id"
    assert "AuthMiddleware" not in answer.text


def test_an_invalid_query_parameter_is_pointed_at_by_its_location_and_name(client, context) -> None:
    answer = client.get("/events", params={"after": "-1"}, headers=bearer(context, Role.AUDITOR))
    assert answer.status_code == 400, answer.text
    assert [error["parameter"] for error in answer.json()["errors"]] == ["after"]


@pytest.mark.parametrize(
    ("method", "url", "content", "headers", "status"),
    [
        ("GET", "/regions/zuid-limburg/map?as_of=2027-01-01&as_of=2027-01-02", None, {}, 400),
        ("POST", "/regions", b"{" * 300_000, {"Content-Type": "application/json"}, 413),
        ("POST", "/regions", b"{}", {"Content-Type": "text/plain"}, 415),
        ("POST", "/regions", b"[" * 1000, {"Content-Type": "application/json"}, 400),
    ],
)
def test_a_request_refused_before_its_route_is_logged_with_its_status_and_id(
    client, context, caplog, method, url, content, headers, status
) -> None:
    # The query and body gates refuse before the route; their refusals passed the access log by
    # as errors: logged as 500s and answered without the request's id.
    caplog.set_level(logging.INFO, logger="regiekaart.access")
    answer = client.request(
        method, url, content=content, headers={**bearer(context, Role.ADMIN), **headers}
    )
    assert answer.status_code == status, answer.text
    request_id = answer.headers.get("x-request-id")
    assert answer.json()["request_id"] == request_id
    access = [r for r in caplog.records if r.name == "regiekaart.access"]
    assert [(r.request_id, r.status) for r in access] == [(request_id, status)]
