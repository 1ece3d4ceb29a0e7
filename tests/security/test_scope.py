"""Scope holes found by attacking the running service after findings 1-5 were fixed, each through the
real service: what a token may read or record, however the request is put."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.service import Service

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id", "errors", "rule"}


def feed_status(client: httpx.Client, region: str) -> tuple[int, str, bytes]:
    """The status, media type and (for a refusal, whole; for a stream, first) bytes of a feed."""
    with client.stream("GET", f"/regions/{region}/feed", timeout=10) as answer:
        first = next(answer.iter_bytes(), b"") if answer.status_code == 200 else answer.read()
        return answer.status_code, answer.headers.get("content-type", ""), first


@pytest.fixture(scope="module")
def g7_coordinator(service: Service) -> Iterator[httpx.Client]:
    token = service.token("coordinator", "scope-g7", cooperations=["g7-gelderland"])
    with service.client(token) as client:
        yield client


# -- a region's feed is the log as the region receives it: the log's readers only ------------------
@pytest.mark.parametrize("region", ["regio-nijmegen", "zuid-limburg"])
def test_a_coordinator_follows_no_regions_feed_as_it_reads_no_raw_log(
    g7_coordinator: httpx.Client, region: str
) -> None:
    # regio Nijmegen takes part in the coordinator's cooperation; Zuid-Limburg does not
    assert g7_coordinator.get("/events", params={"region": region}).status_code == 403
    status, media_type, body = feed_status(g7_coordinator, region)
    assert status == 403, body[:300]
    assert media_type == "application/problem+json"
    assert b"data:" not in body
    assert set(httpx.Response(403, content=body).json()) <= PROBLEM_FIELDS


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_auditors_and_admins_still_follow_every_feed(service: Service, role: str) -> None:
    token = service.admin_token if role == "admin" else service.token("auditor", "scope-auditor")
    with service.client(token) as client:
        status, media_type, _ = feed_status(client, "zuid-limburg")
    assert (status, media_type.split(";")[0]) == (200, "text/event-stream")
