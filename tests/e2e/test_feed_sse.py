"""A region system that cannot speak NATS follows its feed as Server-Sent Events through the served API:
connect, receive, disconnect, reconnect with Last-Event-ID, receive exactly the rest (and what comes live)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.processes import Service

REGION = "zuid-limburg"
# How long one read of the feed may take in all: a feed that stops delivering fails the test this
# soon, rather than holding it open until the suite's 300 s timeout.
READ_DEADLINE_SECONDS = 40.0


class SseEvent(dict):
    @property
    def id(self) -> int:
        return int(self["id"])

    @property
    def cloudevent(self) -> dict:
        return json.loads(self["data"])


def events(response: httpx.Response, deadline: float) -> Iterator[SseEvent]:
    """The SSE messages of a streamed response until the `time.monotonic()` deadline, which every
    line, keep-alives too, checks. Comments are skipped, and so is a message without data, as the
    SSE specification says: a keep-alive arrives as a comment with an empty `data:` line."""
    current = SseEvent()
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the feed did not deliver the events awaited within {READ_DEADLINE_SECONDS:.0f} s"
            )
        if not line:
            if current.get("data"):
                yield current
            current = SseEvent()
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value.removeprefix(" ")


def read(
    service: Service,
    token: str,
    count: int | None = None,
    last_event_id: str | None = None,
    until_agreement: str | None = None,
) -> list[SseEvent]:
    """Reads `count` events, or until an event of agreement `until_agreement`; then disconnects."""
    # Asking for gzip as browsers do: the feed must still come uncompressed, event by event.
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    received: list[SseEvent] = []
    deadline = time.monotonic() + READ_DEADLINE_SECONDS
    # A read gets no further bytes for this long only if even the keep-alives stopped.
    timeout = httpx.Timeout(10.0, read=READ_DEADLINE_SECONDS / 2)
    with httpx.stream(
        "GET", f"{service.url}/regions/{REGION}/feed", headers=headers, timeout=timeout
    ) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in answer.headers
        for event in events(answer, deadline):
            received.append(event)
            data = event.cloudevent["data"]
            if len(received) == count or (
                until_agreement and data.get("agreement") == until_agreement
            ):
                break
    return received


@pytest.fixture(scope="module")
def region_token(service: Service) -> str:
    return service.token("region-system", "zuid-limburg-dashboard", regions=[REGION])


def test_a_reconnecting_reader_gets_exactly_the_rest(service: Service, region_token: str) -> None:
    first = read(service, region_token, count=5)
    assert [e.id for e in first] == [1, 2, 3, 4, 5]
    assert all(e["event"] == e.cloudevent["type"] for e in first)

    with service.client(service.admin_token) as admin:
        recorded = admin.post(
            "/agreements/account-holderships/transfer",
            json={
                "cooperation": "nmz-limburg",
                "organisation": "xonar",
                "agreement": "nmz-xonar-sse",
                "handover": {"value": "2025-01-01", "precision": "day"},
                "holder_region": "noord-limburg",
                "authority": {
                    "body": "nmz-bestuurlijk-overleg",
                    "decision_date": "2024-11",
                    "document": "Besluitenlijst NMZ 2024-11",
                },
            },
        )
        assert recorded.status_code == 201, recorded.text

    rest = read(service, region_token, last_event_id="5", until_agreement="nmz-xonar-sse")
    assert [e.id for e in rest] == list(range(6, 6 + len(rest)))
    transfer = rest[-1].cloudevent
    assert transfer["type"] == "nl.regiekaart.AccountHoldership.HolderTransferred"
    assert transfer["time"] == "2025-01-01T00:00:00Z"
    assert transfer["data"]["previous_holder_region"] == REGION
    ids = [e.cloudevent["id"] for e in first + rest]
    assert len(set(ids)) == len(ids)


def test_a_region_system_may_not_follow_another_regions_feed(
    service: Service, region_token: str
) -> None:
    with service.client(region_token) as client:
        refused = client.get("/regions/zaanstreek-waterland/feed")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "last_event_id",
    # "²" (Latin-1 0xB2) is a digit to str.isdigit but not to int(); 5,000 digits are more than
    # int() reads; 2**64 is past every log position. Each was a 500.
    ["yesterday", "-1", b"\xb2", "9" * 5000, str(2**64)],
)
def test_a_malformed_last_event_id_is_a_clear_error(
    service: Service, region_token: str, last_event_id: str | bytes
) -> None:
    with service.client(region_token) as client:
        answer = client.get(f"/regions/{REGION}/feed", headers={"Last-Event-ID": last_event_id})
    assert answer.status_code == 400, answer.text
    assert "Last-Event-ID" in answer.json()["detail"]


def test_a_last_event_id_past_the_end_of_the_feed_is_a_clear_error(
    service: Service, region_token: str
) -> None:
    # A position of another installation: the stream stayed open, silent until the feed got there,
    # and passed over everything before it.
    with (
        service.client(region_token) as client,
        client.stream(
            "GET", f"/regions/{REGION}/feed", headers={"Last-Event-ID": "1000000"}, timeout=10
        ) as answer,
    ):
        assert answer.status_code == 400  # before a 200 that would stream on
        assert "past the last message" in json.loads(answer.read())["detail"]


def test_the_asyncapi_document_is_served(service: Service) -> None:
    with service.client() as client:
        answer = client.get("/asyncapi.yaml")
    assert answer.status_code == 200
    assert answer.text.startswith("asyncapi: 3.0.0")
