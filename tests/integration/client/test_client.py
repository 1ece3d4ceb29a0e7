"""The Python client of ``clients/python`` against the running service: typed maps, a command retried
after its answer was lost recorded once, its own writes read back, and a region's feed followed over
SSE with the connection cut in the middle and the follower restarted, each event handled once, and on
NATS with the region's own credentials across a restart."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest
from regiekaart_client import (
    Backoff,
    FeedEvent,
    FilePosition,
    RegiekaartClient,
    RegionMap,
    follow_feed,
)
from regiekaart_client.documents import Member
from regiekaart_client.feed import MAX_MESSAGE_CHARS, FeedTooLarge
from regiekaart_client.nats_feed import follow_nats_feed

from tests.e2e.test_feed_credentials import issue
from tests.fixtures.processes import Service, events_of
from tests.integration.client.recording import (
    REGION,
    membership,
    new_member_of_the_region,
    new_slug,
    registration,
)


class LosesFirstAnswer(httpx.BaseTransport):
    """The network between client and service: the answer to the first command is lost after the
    service received (and recorded) it, as when a connection drops mid-answer."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent_keys: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        if request.method == "POST":
            self.sent_keys.append(request.headers.get("Idempotency-Key"))
            if len(self.sent_keys) == 1:
                answer.read()
                answer.close()
                raise httpx.ReadError("the connection dropped before the answer", request=request)
        return answer


class _CutStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, chunks: int) -> None:
        self.inner, self.chunks = inner, chunks

    def __iter__(self) -> Iterator[bytes]:
        for number, chunk in enumerate(self.inner, start=1):
            yield chunk
            if number == self.chunks:
                raise httpx.ReadError("the connection dropped mid-stream")

    def close(self) -> None:
        self.inner.close()


class CutsTheFeedOnce(httpx.BaseTransport):
    """The network: the first feed stream breaks off after a few chunks, possibly mid-message."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.last_event_ids: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        if request.url.path.endswith("/feed"):
            self.last_event_ids.append(request.headers.get("Last-Event-ID"))
            if len(self.last_event_ids) == 1:
                answer.stream = _CutStream(answer.stream, chunks=3)  # type: ignore[arg-type]
        return answer


@pytest.fixture
def admin(running_service: Service) -> Iterator[httpx.Client]:
    with running_service.client(running_service.admin_token) as admin:
        yield admin


def test_a_region_map_reads_as_typed_structs(running_service: Service, region_token: str) -> None:
    with RegiekaartClient(running_service.url, region_token) as client:
        region_map = client.region_map(REGION)
    assert isinstance(region_map, RegionMap)
    assert region_map.region.slug == REGION
    assert region_map.members and all(isinstance(m, Member) for m in region_map.members)
    assert {m.municipality.slug for m in region_map.members} >= {"maastricht", "heerlen"}
    assert all(m.authority in region_map.authorities for m in region_map.members)


def test_a_command_retried_after_its_answer_was_lost_is_recorded_once(
    running_service: Service, admin: httpx.Client
) -> None:
    network = LosesFirstAnswer()
    slug = new_slug()
    with RegiekaartClient(
        running_service.url, running_service.admin_token, transport=network
    ) as client:
        recorded = client.record(*registration(slug))

    assert len(network.sent_keys) == 2 and network.sent_keys[0] == network.sent_keys[1]
    assert recorded.replayed
    assert recorded.accepted.command == "RegisterMunicipality"
    events = events_of(admin, str(recorded.accepted.aggregate_id))
    assert [event["type"] for event in events] == ["Municipality.Registered"]
    assert events[0]["state"]["municipality"] == slug


def test_a_post_without_an_idempotency_key_is_not_sent_again(running_service: Service) -> None:
    # Sent again after a lost answer, it would be recorded twice (or refused as a duplicate).
    network = LosesFirstAnswer()
    path, body = registration(new_slug())
    with (
        RegiekaartClient(
            running_service.url, running_service.admin_token, transport=network
        ) as client,
        pytest.raises(httpx.ReadError),
    ):
        client.request("POST", path, json=body)
    assert network.sent_keys == [None]


def test_the_client_reads_its_own_writes(running_service: Service) -> None:
    slug = new_slug()
    with RegiekaartClient(running_service.url, running_service.admin_token) as client:
        client.record(*registration(slug))
        joined = client.record(*membership(slug))
        region_map = client.region_map(REGION)
    assert joined.position is not None and client.last_position == joined.position
    assert region_map.position is not None and region_map.position >= joined.position
    assert slug in {member.municipality.slug for member in region_map.members}


def _follow_until(
    service: Service,
    token: str,
    positions: FilePosition,
    slug: str,
    transport: httpx.BaseTransport | None = None,
) -> list[FeedEvent]:
    """Follows the feed in a thread until the membership of ``slug`` comes by; what was handled."""
    handled: list[FeedEvent] = []
    stop = threading.Event()

    def handle(event: FeedEvent) -> None:
        handled.append(event)
        if (
            event.cloudevent.data.get("municipality") == slug
            and "Membership" in event.cloudevent.type_
        ):
            stop.set()

    with RegiekaartClient(service.url, token, transport=transport) as client:
        follower = threading.Thread(
            target=follow_feed, args=(client, REGION, handle, positions), kwargs={"stop": stop}
        )
        follower.start()
        follower.join(timeout=60)
        stop.set()
        follower.join(timeout=60)
    return handled


def test_the_feed_is_handled_once_per_event_across_a_cut_connection_and_a_restart(
    running_service: Service, region_token: str, admin: httpx.Client, tmp_path: Path
) -> None:
    positions = FilePosition(tmp_path / "zuid-limburg.position")
    first_slug, _ = new_member_of_the_region(admin)
    network = CutsTheFeedOnce()

    first = _follow_until(running_service, region_token, positions, first_slug, network)

    assert len(network.last_event_ids) >= 2, "the stream was not cut"
    assert network.last_event_ids[0] is None
    assert [event.id for event in first] == list(range(1, len(first) + 1))
    # It reconnected where it had got to, not at the start, and handled every event once, in order.
    assert 0 < int(network.last_event_ids[1]) < first[-1].id
    assert first[-1].cloudevent.data["municipality"] == first_slug
    assert positions.load() == first[-1].id

    # The region system restarts: it resumes after the stored position.
    second_slug, _ = new_member_of_the_region(admin)
    second = _follow_until(running_service, region_token, positions, second_slug)

    assert [event.id for event in second] == list(
        range(first[-1].id + 1, first[-1].id + 1 + len(second))
    )
    assert second[-1].cloudevent.data["municipality"] == second_slug
    ids = [event.cloudevent.id for event in first + second]
    assert len(set(ids)) == len(ids)


def test_the_nats_feed_is_handled_once_per_event_across_a_restart(
    running_service: Service, admin: httpx.Client, tmp_path: Path
) -> None:
    url = next(line.split()[2] for line in running_service.lines if line.startswith("event store:"))
    credentials = issue(running_service.data_dir, REGION)
    positions = FilePosition(tmp_path / "nats.position")

    async def follow_until(slug: str, durable: str) -> list[FeedEvent]:
        handled: list[FeedEvent] = []
        stop = asyncio.Event()

        async def handle(event: FeedEvent) -> None:
            handled.append(event)
            if (
                event.cloudevent.data.get("municipality") == slug
                and "Membership" in event.cloudevent.type_
            ):
                stop.set()

        await asyncio.wait_for(
            follow_nats_feed(credentials, handle, positions, durable=durable, stop=stop, url=url),
            timeout=60,
        )
        return handled

    first_slug, _ = new_member_of_the_region(admin)
    first = asyncio.run(follow_until(first_slug, durable="contracts"))
    second_slug, _ = new_member_of_the_region(admin)
    # Restarted with a consumer of its own made anew: it starts after the stored position.
    second = asyncio.run(follow_until(second_slug, durable="contracts-again"))

    ids = [event.id for event in first + second]
    assert ids == list(range(1, len(ids) + 1))
    assert first[-1].cloudevent.data["municipality"] == first_slug
    assert second[-1].cloudevent.data["municipality"] == second_slug
    assert positions.load() == ids[-1]


def test_the_nats_feed_goes_on_after_its_consumer_is_gone(
    running_service: Service, admin: httpx.Client, tmp_path: Path
) -> None:
    """The consumer deleted under a follower (by the region's own tooling, or lost with a node):
    nobody answers its fetch (503). The follower makes it again from its stored position and hands
    on what came after, each event once, instead of dying."""
    url = next(line.split()[2] for line in running_service.lines if line.startswith("event store:"))
    credentials = issue(running_service.data_dir, REGION)
    positions = FilePosition(tmp_path / "nats.position")
    first_slug, _ = new_member_of_the_region(admin)
    slugs = [first_slug]

    async def follow() -> list[FeedEvent]:
        handled: list[FeedEvent] = []
        stop = asyncio.Event()
        other = await nats.connect(
            url,
            user=credentials["user"],
            password=credentials["password"],
            inbox_prefix=credentials["inbox_prefix"],
        )

        async def handle(event: FeedEvent) -> None:
            handled.append(event)
            if "Membership" not in event.cloudevent.type_:
                return
            if event.cloudevent.data.get("municipality") == slugs[0]:
                js = other.jetstream(prefix=credentials["api_prefix"])
                assert await js.delete_consumer(credentials["stream"], "kept")
                slugs.append(new_member_of_the_region(admin)[0])
            elif event.cloudevent.data.get("municipality") == slugs[-1]:
                stop.set()

        try:
            await asyncio.wait_for(
                follow_nats_feed(
                    credentials, handle, positions, durable="kept", stop=stop, url=url
                ),
                timeout=60,
            )
        finally:
            await other.close()
        return handled

    handled = asyncio.run(follow())
    ids = [event.id for event in handled]
    assert ids == list(range(1, len(ids) + 1))
    assert len(slugs) == 2 and handled[-1].cloudevent.data["municipality"] == slugs[1]
    assert positions.load() == ids[-1]


class _EndlessLine(httpx.SyncByteStream):
    """What a server in the middle sends instead of the feed: bytes without a line's end, counted."""

    def __init__(self) -> None:
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        chunk = b"data: " + b"x" * 65_536
        while self.sent < 16 * MAX_MESSAGE_CHARS:
            self.sent += len(chunk)
            yield chunk


class SendsAnEndlessLine(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.stream = _EndlessLine()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        answer.close()
        return httpx.Response(
            200, headers={"Content-Type": "text/event-stream"}, stream=self.stream
        )


def test_a_feed_line_without_end_is_refused_once_it_exceeds_a_message(
    running_service: Service, region_token: str, tmp_path: Path
) -> None:
    # The lines were gathered whole before they were read: a line without end took memory without end.
    network = SendsAnEndlessLine()
    handled: list[FeedEvent] = []
    with (
        RegiekaartClient(running_service.url, region_token, transport=network) as client,
        pytest.raises(FeedTooLarge, match="longer than"),
    ):
        follow_feed(client, REGION, handled.append, FilePosition(tmp_path / "position"))
    assert handled == []
    assert network.stream.sent < 2 * MAX_MESSAGE_CHARS


class BusyThenStops(httpx.BaseTransport):
    """The service's first answer to the feed is 503 with ``Retry-After`` (as when its log is out
    of reach); the second request sets ``stop`` and gets the feed."""

    def __init__(self, retry_after: str, stop: threading.Event) -> None:
        self.inner = httpx.HTTPTransport()
        self.retry_after, self.stop = retry_after, stop
        self.sent_at: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent_at.append(time.monotonic())
        if len(self.sent_at) == 1:
            return httpx.Response(503, headers={"Retry-After": self.retry_after})
        self.stop.set()
        return self.inner.handle_request(request)


def test_the_feed_follower_waits_as_long_as_a_busy_service_asks(
    running_service: Service, region_token: str, tmp_path: Path
) -> None:
    # It waited its own backoff only (here none), and came back at once to a service that asked
    # for two seconds' peace.
    stop = threading.Event()
    network = BusyThenStops("2", stop)
    with RegiekaartClient(running_service.url, region_token, transport=network) as client:
        follow_feed(
            client,
            REGION,
            lambda _: None,
            FilePosition(tmp_path / "position"),
            stop=stop,
            backoff=Backoff(first_seconds=0, max_seconds=0),
        )
    first, second = network.sent_at
    assert second - first >= 2


def test_a_feed_follower_told_to_stop_while_it_waits_out_a_busy_service_stops(
    running_service: Service, region_token: str, tmp_path: Path
) -> None:
    stop = threading.Event()
    network = BusyThenStops("3600", stop)
    threading.Timer(0.5, stop.set).start()
    began = time.monotonic()
    with RegiekaartClient(running_service.url, region_token, transport=network) as client:
        follow_feed(client, REGION, lambda _: None, FilePosition(tmp_path / "p"), stop=stop)
    assert time.monotonic() - began < 60  # not the hour the service asked for
    assert len(network.sent_at) == 1
