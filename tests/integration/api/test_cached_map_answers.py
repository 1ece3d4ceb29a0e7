"""A map the worker has cached is answered before its route handler (``api.controllers.reads
.CachedMapAnswers``), and only where the handler would answer it the same: a cached map never reaches a
token, region, day, moment or encoding it was not asked for."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from api.context import ApiContext
from services.authorisation import Role
from tests.integration.api.conftest import bearer

REGION_MAP = "/regions/zuid-limburg/map"


@pytest.fixture
def cached(client: TestClient, context: ApiContext) -> dict[str, bytes]:
    """The maps an admin read, so that the worker has them cached: their bodies by path."""
    admin = bearer(context, Role.ADMIN)
    paths = (
        REGION_MAP,
        "/cooperations/nmz-limburg/map",
        "/organisations/pactum/map",
        "/bodies/g16zlb",
    )
    bodies = {}
    for path in paths:
        answer = client.get(path, headers=admin)
        assert answer.status_code == 200, (path, answer.text)
        bodies[path] = answer.content
    return bodies


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        (("noord-limburg",), REGION_MAP),
        (("zuid-limburg",), "/cooperations/nmz-limburg/map"),
        (("zuid-limburg",), "/organisations/pactum/map"),
        (("noord-limburg",), "/bodies/g16zlb"),
    ],
)
def test_a_cached_map_is_refused_to_a_region_system_of_another_scope(
    client: TestClient, context: ApiContext, cached: dict[str, bytes], scope: tuple, path: str
) -> None:
    system = bearer(context, Role.REGION_SYSTEM, regions=scope)

    answer = client.get(path, headers=system)

    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.content != cached[path]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer rk_made_up"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}],
)
def test_a_cached_map_is_refused_without_a_known_token(
    client: TestClient, cached: dict[str, bytes], headers: dict[str, str]
) -> None:
    answer = client.get(REGION_MAP, headers=headers)

    assert answer.status_code == 401
    assert answer.content != cached[REGION_MAP]


def test_a_region_system_gets_its_own_cached_map_as_the_handler_made_it(
    client: TestClient, context: ApiContext, cached: dict[str, bytes]
) -> None:
    system = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))

    plain = client.get(REGION_MAP, headers={**system, "Accept-Encoding": "identity"})
    zipped = client.get(REGION_MAP, headers={**system, "Accept-Encoding": "gzip"})

    assert plain.content == cached[REGION_MAP]
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == cached[REGION_MAP]  # as the client unpacks it
    assert plain.headers["ETag"] == zipped.headers["ETag"]
    assert plain.headers["x-request-id"] != zipped.headers["x-request-id"]


def test_a_day_or_moment_asked_for_is_not_the_cached_map_of_today(
    client: TestClient, context: ApiContext, cached: dict[str, bytes]
) -> None:
    admin = bearer(context, Role.ADMIN)

    long_ago = client.get(REGION_MAP, params={"as_of": "2015-01-01"}, headers=admin).json()
    before_the_facts = client.get(
        REGION_MAP, params={"known_at": "2000-01-01T00:00:00Z"}, headers=admin
    )

    assert long_ago["as_of"] == "2015-01-01"
    assert before_the_facts.status_code == 404
    assert "nothing was known of it then" in before_the_facts.json()["detail"]


@pytest.mark.parametrize(
    "query",
    ["as_of=2026-01-01&as_of=2015-01-01", "as_of=1700000000", "min_position=-1", "as_of="],
)
def test_a_query_the_handler_refuses_is_refused_with_the_map_cached(
    client: TestClient, context: ApiContext, cached: dict[str, bytes], query: str
) -> None:
    answer = client.get(f"{REGION_MAP}?{query}", headers=bearer(context, Role.ADMIN))

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_several_if_none_match_headers_are_read_as_the_handler_reads_them(
    client: TestClient, context: ApiContext, cached: dict[str, bytes]
) -> None:
    admin = bearer(context, Role.ADMIN)
    etag = client.get(REGION_MAP, headers=admin).headers["ETag"]

    for given in ([etag], ['"other"', etag], ['"other"']):
        answer = client.get(
            REGION_MAP,
            headers=[*admin.items(), *(("If-None-Match", value) for value in given)],
        )
        handler = client.get(
            f"{REGION_MAP}?min_position=0",  # a query: answered by the handler
            headers=[*admin.items(), *(("If-None-Match", value) for value in given)],
        )
        assert (answer.status_code, answer.content) == (handler.status_code, handler.content)
