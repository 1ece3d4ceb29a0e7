"""Every answer is counted in /metrics by its route (the path template, not the path asked for) and its
status, with its duration, whether the handler answered, the authentication refused or a middleware
refused the request (a repeated query parameter) (``api.observability``)."""

from __future__ import annotations

import re

from services.authorisation import Role
from tests.integration.api.conftest import bearer

MAP_ROUTE = "/regions/{region}/map"


def _sample(metrics: str, name: str, route: str, status: int) -> float:
    pattern = re.compile(
        rf'^{name}\{{app_name="regiekaart",method="GET",path="{re.escape(route)}",'
        rf'status_code="{status}"\}} (\S+)$',
        re.MULTILINE,
    )
    found = pattern.search(metrics)
    return float(found.group(1)) if found else 0.0


def test_answers_are_counted_by_route_and_status_with_their_durations(client, context) -> None:
    region_system = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))
    counted = (
        ("regiekaart_requests_total", MAP_ROUTE, 200),
        ("regiekaart_requests_total", MAP_ROUTE, 403),
        ("regiekaart_requests_total", MAP_ROUTE, 401),
        ("regiekaart_requests_total", MAP_ROUTE, 400),
        ("regiekaart_requests_total", MAP_ROUTE, 500),
        ("regiekaart_requests_total", "/health", 200),
        ("regiekaart_request_duration_seconds_count", MAP_ROUTE, 200),
    )
    before = client.get("/metrics").text

    assert client.get("/regions/zuid-limburg/map", headers=region_system).status_code == 200
    assert client.get("/regions/zuid-limburg/map", headers=region_system).status_code == 200
    assert client.get("/regions/noord-limburg/map", headers=region_system).status_code == 403
    unknown = {"Authorization": "Bearer rk_made_up"}
    assert client.get("/regions/zuid-limburg/map", headers=unknown).status_code == 401
    repeated = "/regions/zuid-limburg/map?as_of=2026-01-01&as_of=2027-01-01"
    assert client.get(repeated, headers=region_system).status_code == 400
    assert client.get("/health").status_code == 200
    after = client.get("/metrics").text

    assert {
        (name, route, status): _sample(after, name, route, status)
        - _sample(before, name, route, status)
        for name, route, status in counted
    } == {
        ("regiekaart_requests_total", MAP_ROUTE, 200): 2,
        ("regiekaart_requests_total", MAP_ROUTE, 403): 1,
        ("regiekaart_requests_total", MAP_ROUTE, 401): 1,
        ("regiekaart_requests_total", MAP_ROUTE, 400): 1,
        ("regiekaart_requests_total", MAP_ROUTE, 500): 0,
        ("regiekaart_requests_total", "/health", 200): 1,
        ("regiekaart_request_duration_seconds_count", MAP_ROUTE, 200): 2,
    }
    # None of them is still in progress once answered.
    in_progress = re.findall(
        rf'^regiekaart_requests_in_progress\{{[^}}]*path="{re.escape(MAP_ROUTE)}"[^}}]*\}} (\S+)$',
        after,
        re.MULTILINE,
    )
    assert [float(value) for value in in_progress] == [0.0]
