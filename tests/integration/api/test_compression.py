"""Answers travel gzipped when the client accepts it: a region's map of the real facts arrives at
under a third of the size it had when each row repeated its authority and provenance; the answers
gzip would endanger or hold back (pages with a CSRF token, a new token's secret) go as they are."""

from __future__ import annotations

import gzip
from datetime import date

import msgspec
import pytest
from litestar.testing import TestClient

from api.compression import COMPRESSION
from projections.queries import GovernanceMaps
from services.authorisation import Role
from tests.integration.api.conftest import bearer

AS_OF = "2027-06-01"
GZIP = {"Accept-Encoding": "gzip"}


def _on_the_wire(client: TestClient, path: str, **kwargs) -> tuple[dict[str, str], bytes]:
    """The headers and the body bytes as sent, before the client would decode them."""
    with client.stream("GET", path, **kwargs) as answer:
        assert answer.status_code == 200, answer.read()
        return dict(answer.headers), b"".join(answer.iter_raw())


@pytest.mark.parametrize("region", ["zuid-limburg", "regio-nijmegen", "noord-limburg"])
def test_a_region_map_arrives_gzipped_at_under_a_third_of_its_repeated_rendering(
    client, context, region: str
) -> None:
    headers = bearer(context, Role.ADMIN)
    path, params = f"/regions/{region}/map", {"as_of": AS_OF}
    sent, body = _on_the_wire(client, path, headers=headers | GZIP, params=params)
    plain = client.get(path, headers=headers | {"Accept-Encoding": "identity"}, params=params)

    assert sent["content-encoding"] == "gzip"
    assert "accept-encoding" in sent["vary"].lower()  # caches keep the two forms apart
    assert gzip.decompress(body) == plain.content  # the same document
    assert "content-encoding" not in plain.headers
    repeated = msgspec.json.encode(
        GovernanceMaps(context.engine).region_map(region, as_of=date.fromisoformat(AS_OF))
    )
    # Measured on the real facts: 0.07-0.09 of the rendering that repeats authorities and provenances.
    assert len(body) <= len(repeated) / 3, (len(body), len(repeated))


def test_a_script_of_the_pages_arrives_gzipped(client) -> None:
    sent, body = _on_the_wire(client, "/static/vendor/htmx/htmx.min.js", headers=GZIP)
    assert sent["content-encoding"] == "gzip"
    assert b"htmx" in gzip.decompress(body)


def test_a_page_with_its_csrf_token_goes_uncompressed(client) -> None:
    sent, body = _on_the_wire(client, "/aanmelden", headers=GZIP)
    assert "content-encoding" not in sent
    assert b'name="_csrf_token"' in body


def test_a_new_tokens_secret_goes_uncompressed(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    scope = {
        kind: [s["slug"] for s in client.get(f"/{kind}", headers=admin).json()]
        for kind in ("regions", "cooperations")
    }
    answer = client.post(
        "/tokens", json={"name": "zipped", "role": "coordinator", **scope}, headers=admin | GZIP
    )
    assert answer.status_code == 201, answer.text
    # Every region and cooperation in its scope: long enough that it would be compressed.
    assert len(answer.content) >= COMPRESSION.minimum_size
    assert "content-encoding" not in answer.headers
    assert answer.json()["token"]
