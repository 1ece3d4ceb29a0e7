"""A revoked token's open feed stream ends, as every other request with it is refused, within the
token cache's few seconds (``api/feeds.py``), rather than streaming on for as long as it stays open."""

from __future__ import annotations

import time

import httpx

from tests.e2e.service import Service

REGION = "zuid-limburg"
DEADLINE_SECONDS = (
    20.0  # the stream's keep-alives come every 15 s: an open stream shows within this
)


def test_a_revoked_tokens_open_stream_ends(service: Service) -> None:
    with service.client(service.admin_token) as admin:
        issued = admin.post(
            "/tokens",
            json={"name": "feed-revocation", "role": "region-system", "regions": [REGION]},
        )
        assert issued.status_code == 201, issued.text
    token, token_id = issued.json()["token"], issued.json()["info"]["token_id"]

    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(30, read=DEADLINE_SECONDS)
    feed = f"{service.url}/regions/{REGION}/feed"
    with httpx.stream("GET", feed, headers=headers, timeout=timeout) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        received = 0
        for line in lines:
            received += line.startswith("data:")
            if received == 3:
                break
        with service.client(service.admin_token) as admin:
            assert admin.delete(f"/tokens/{token_id}").status_code == 204
        revoked = time.monotonic()
        after_revocation: list[str] = []
        for line in lines:  # to the end of the stream
            after_revocation.append(line)
            assert time.monotonic() - revoked < DEADLINE_SECONDS, "the stream goes on"
        ended_after = time.monotonic() - revoked

    print(f"\nthe revoked token's stream ended {ended_after:.1f} s after the revocation")
    assert ": the token was revoked; the stream ends" in after_revocation
    with service.client(token) as client:
        assert client.get(f"/regions/{REGION}/map").status_code == 401
