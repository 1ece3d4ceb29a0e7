"""Region feeds on a real nats-server that runs the generated access configuration, with the real facts.

The Zuid-Limburg system receives what concerns Zuid-Limburg, is refused everything else, and its durable
consumer resumes after a restart without loss or duplicates; re-running the fan-out adds nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from adapters.nats.access import FeedAccess, include_authorization, url_with_credentials
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from adapters.nats.server import NatsServer
from domain.values import PartialDate
from projections.feeds import FeedProjection
from services import commands as c
from services.application import GovernanceApplication
from services.importer import import_governance_facts
from tests.integration.region_systems import connect_as, drain, refused
from tests.authorities import EXTERNAL

ZUID = "zuid-limburg"
ZAANSTREEK = "zaanstreek-waterland"
LAYOUT = FeedLayout()


class Service:
    def __init__(self, server: NatsServer, access: FeedAccess) -> None:
        self.server = server
        self.access = access
        self.url = url_with_credentials(server.url, access.service())
        self.app = GovernanceApplication(env={"PERSISTENCE_MODULE": "adapters.nats", "NATS_URL": self.url})
        self.projection: FeedProjection | None = None

    def start_fan_out(self) -> FeedProjection:
        self.projection = FeedProjection(self.app, FeedPublisher(NatsClient(self.url), LAYOUT)).start()
        return self.projection

    def stop_fan_out(self) -> None:
        assert self.projection is not None
        self.projection.stop()
        self.projection.publisher.client.close()
        self.projection = None

    def caught_up(self) -> None:
        assert self.projection is not None
        assert self.projection.wait_for(self.app.recorder.max_notification_id() or 0, timeout=60)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory: Path = tmp_path_factory.mktemp("secured")
    access = FeedAccess(directory / "access", LAYOUT)
    for region in (ZUID, ZAANSTREEK):
        access.region(region)
    access.write_server_config(directory / "nats")
    with NatsServer(directory / "nats", extra_config=include_authorization()) as server:
        running = Service(server, access)
        import_governance_facts(running.app)
        running.start_fan_out()
        running.caught_up()
        yield running
        running.stop_fan_out()
        running.app.close()


def transfer_xonar(service: Service, to_region: str, agreement: str, handover: str) -> None:
    service.app.handle(
        c.TransferAccountHoldership(
            authority=EXTERNAL,
            cooperation="nmz-limburg",
            organisation="xonar",
            agreement=agreement,
            handover=PartialDate.parse(handover),
            holder_region=to_region,
            principal="coordinator:test",
        )
    )
    service.caught_up()


def feed_counts(service: Service) -> dict[str, tuple[int, int]]:
    client = NatsClient(service.url)
    try:
        counts = {}
        for region in service.access.regions() + ["noord-limburg", "amsterdam-amstelland"]:
            info = client.run(client.api(f"$JS.API.STREAM.INFO.{LAYOUT.stream(region)}"))
            counts[region] = (info["state"]["messages"], info["state"]["last_seq"])
        return counts
    finally:
        client.close()


def test_zuid_limburg_receives_a_transfer_concerning_it(service: Service) -> None:
    async def scenario() -> list[Any]:
        nc = await connect_as(service.server.url, service.access, ZUID)
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            f"feed.{ZUID}.AccountHoldership.>",
            durable="transfers",
            stream=LAYOUT.stream(ZUID),
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        await asyncio.to_thread(transfer_xonar, service, "noord-limburg", "nmz-xonar-noord", "2025-01-01")
        messages = await drain(subscription, expected=1)
        await nc.close()
        return messages

    [message] = asyncio.run(scenario())
    headers = message.headers
    assert message.subject == f"feed.{ZUID}.AccountHoldership.HolderTransferred"
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "nl.regiekaart.AccountHoldership.HolderTransferred"
    assert headers["ce-subject"] == "account-holdership/nmz-limburg:xonar"
    assert headers["ce-time"] == "2025-01-01T00:00:00Z"
    assert headers["ce-recordedtime"].endswith("Z")
    assert int(headers["ce-sequence"]) > 0
    assert headers["Nats-Msg-Id"] == f"{headers['ce-id']}:{ZUID}"
    body = msgspec.json.decode(message.data)
    assert body["previous_holder_region"] == ZUID
    assert body["holder_region"] == "noord-limburg"


def test_the_transfer_reaches_the_other_side_and_not_noord_holland(service: Service) -> None:
    before = feed_counts(service)
    transfer_xonar(service, ZUID, "nmz-xonar-zuid", "2026-01-01")
    after = feed_counts(service)
    assert after["noord-limburg"][0] == before["noord-limburg"][0] + 1
    assert after[ZUID][0] == before[ZUID][0] + 1
    assert after[ZAANSTREEK] == before[ZAANSTREEK]


def test_zuid_limburg_may_not_read_zaanstreek_waterland(service: Service) -> None:
    async def scenario() -> list[Exception]:
        errors: list[Exception] = []
        nc = await connect_as(service.server.url, service.access, ZUID, errors)
        js = nc.jetstream(timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.pull_subscribe(
                f"feed.{ZAANSTREEK}.>", durable="peek", stream=LAYOUT.stream(ZAANSTREEK)
            )
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer(
                LAYOUT.stream(ZAANSTREEK),
                ConsumerConfig(durable_name="peek", filter_subject=f"feed.{ZAANSTREEK}.>"),
            )
        await nc.subscribe(f"feed.{ZAANSTREEK}.>")
        await nc.flush()
        await asyncio.sleep(0.2)
        await nc.close()
        return errors

    violations = refused(asyncio.run(scenario()))
    zaanstreek_stream = LAYOUT.stream(ZAANSTREEK).lower()
    assert f'publish to "$js.api.consumer.info.{zaanstreek_stream}.peek"' in str(violations)
    assert f'publish to "$js.api.consumer.durable.create.{zaanstreek_stream}.peek"' in str(violations)
    assert f'subscription to "feed.{ZAANSTREEK}.>"' in str(violations)


def test_zuid_limburg_may_not_read_the_event_stream_nor_delete_streams(service: Service) -> None:
    events_stream = service.app.recorder.stream

    async def scenario() -> list[Exception]:
        errors: list[Exception] = []
        nc = await connect_as(service.server.url, service.access, ZUID, errors)
        js = nc.jetstream(timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.pull_subscribe(f"{events_stream}.>", durable="log", stream=events_stream)
        await nc.subscribe(f"{events_stream}.>")
        for stream in (LAYOUT.stream(ZUID), events_stream):
            with pytest.raises(nats.errors.TimeoutError):
                await js.delete_stream(stream)
        with pytest.raises(nats.errors.TimeoutError):
            await nc.request(f"feed.{ZUID}.AccountHoldership.HolderTransferred", b"{}", timeout=1)
        await nc.flush()
        await asyncio.sleep(0.2)
        await nc.close()
        return errors

    violations = str(refused(asyncio.run(scenario())))
    events, own = events_stream.lower(), LAYOUT.stream(ZUID).lower()
    assert f'publish to "$js.api.consumer.info.{events}.log"' in violations
    assert f'subscription to "{events}.>"' in violations
    assert f'publish to "$js.api.stream.delete.{own}"' in violations
    assert f'publish to "$js.api.stream.delete.{events}"' in violations
    assert f'publish to "feed.{ZUID}.accountholdership.holdertransferred"' in violations
    assert feed_counts(service)[ZUID][0] > 0


def test_a_durable_consumer_resumes_after_a_restart_without_loss_or_duplicates(service: Service) -> None:
    stream = LAYOUT.stream(ZUID)

    async def read(count: int | None) -> list[Any]:
        nc = await connect_as(service.server.url, service.access, ZUID)
        subscription = await nc.jetstream().pull_subscribe(f"feed.{ZUID}.>", durable="contracts", stream=stream)
        received: list[Any] = []
        if count is None:
            received = await drain(subscription)
        else:
            for message in await subscription.fetch(count, timeout=5):
                await message.ack_sync()
                received.append(message)
        await nc.close()  # the region system stops (or crashes after acknowledging)
        return received

    total = feed_counts(service)[ZUID][0]
    first = asyncio.run(read(10))
    transfer_xonar(service, "noord-limburg", "nmz-xonar-noord-2", "2027-01-01")
    rest = asyncio.run(read(None))
    sequences = [m.metadata.sequence.stream for m in first + rest]
    assert sequences == list(range(1, total + 2))
    ids = [m.headers["ce-id"] for m in first + rest]
    assert len(set(ids)) == len(ids)


def shorten_duplicate_windows(service: Service, regions: list[str]) -> None:
    """So that the server's own deduplication (Nats-Msg-Id) would no longer catch a re-publish."""
    client = NatsClient(service.url)
    try:
        for region in regions:
            stream = LAYOUT.stream(region)
            config = client.run(client.api(f"$JS.API.STREAM.INFO.{stream}"))["config"]
            config["duplicate_window"] = 100_000_000  # 0.1 s
            client.run(client.api(f"$JS.API.STREAM.UPDATE.{stream}", config))
    finally:
        client.close()


def test_rerunning_the_fan_out_from_the_start_leaves_every_feed_unchanged(service: Service) -> None:
    before = feed_counts(service)
    service.stop_fan_out()
    shorten_duplicate_windows(service, list(before))
    time.sleep(0.3)
    service.start_fan_out()
    service.caught_up()
    assert feed_counts(service) == before
