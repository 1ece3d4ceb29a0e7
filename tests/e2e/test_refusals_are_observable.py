"""A refused token is logged with its status (401, 403) and the request id its problem names, and is
counted in /metrics by status, like every other answer."""

from __future__ import annotations

import json
import re
import time

from tests.e2e.service import Service

MAP_PATH = "/regions/{region}/map"


def _count(metrics: str, status: int) -> float:
    pattern = re.compile(
        r'^regiekaart_requests_total\{[^}]*path="' + re.escape(MAP_PATH) + r'"[^}]*'
        r'status_code="' + str(status) + r'"[^}]*\} (\S+)$'
    )
    return sum(
        float(match.group(1)) for line in metrics.splitlines() if (match := pattern.match(line))
    )


def _log_line(service: Service, request_id: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(service.lines):
            if request_id in line and line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "regiekaart.access":
                    return entry
        time.sleep(0.1)
    raise AssertionError(f"no access log line with request id {request_id}")


def test_refused_tokens_are_logged_and_counted_with_their_status(service: Service) -> None:
    region_token = service.token("region-system", "observability-zl", regions=["zuid-limburg"])
    with service.client() as client:
        before = client.get("/metrics").text
        unknown = client.get(
            "/regions/zuid-limburg/map",
            headers={"Authorization": "Bearer rk_made_up", "X-Request-ID": "refused-401-check"},
        )
        forbidden = client.get(
            "/regions/noord-limburg/map",
            headers={
                "Authorization": f"Bearer {region_token}",
                "X-Request-ID": "refused-403-check",
            },
        )
        after = client.get("/metrics").text

    for answer, status, request_id in (
        (unknown, 401, "refused-401-check"),
        (forbidden, 403, "refused-403-check"),
    ):
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.headers["x-request-id"] == request_id
        assert answer.json()["request_id"] == request_id
        logged = _log_line(service, request_id)
        assert (logged["status"], logged["path"]) == (status, answer.request.url.path)
        assert _count(after, status) - _count(before, status) == 1, status
    assert _log_line(service, "refused-401-check")["principal"] is None
