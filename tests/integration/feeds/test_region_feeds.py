"""Region feeds on a real nats-server that runs the generated access configuration, with the real facts.

The Zuid-Limburg system receives what concerns Zuid-Limburg, is refused everything else, and its durable
consumer resumes after a restart without loss or duplicates; re-running the fan-out adds nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
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
from adapters.nats.feeds import MAX_CONSUMERS_PER_FEED, FeedLayout, FeedPublisher
from adapters.nats.server import NatsServer
from domain.values import PartialDate
from projections.feeds import FeedProjection
from services import commands as c
from services.application import GovernanceApplication
from services.importer import import_governance_facts
from tests.authorities import EXTERNAL
from tests.fixtures.processes import free_port
from tests.integration.region_systems import connect_as, drain, feed_jetstream, refused

ZUID = "zuid-limburg"
ZAANSTREEK = "zaanstreek-waterland"
LAYOUT = FeedLayout()


class Service:
    def __init__(self, server: NatsServer, access: FeedAccess) -> None:
        self.server = server
        self.access = access
        self.url = url_with_credentials(server.url, access.service())
        self.app = GovernanceApplication(
            env={"PERSISTENCE_MODULE": "adapters.nats", "NATS_URL": self.url}
        )
        self.projection: FeedProjection | None = None

    def start_fan_out(self) -> FeedProjection:
        self.projection = FeedProjection(
            self.app, FeedPublisher(NatsClient(self.url), LAYOUT)
        ).start()
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
    with NatsServer(
        directory / "nats",
        port=free_port(),
        monitor_port=free_port(),
        extra_config=include_authorization(),
    ) as server:
        running = Service(server, access)
        import_governance_facts(running.app)
        running.start_fan_out()
        running.caught_up()
        yield running
        running.stop_fan_out()
        running.app.close()


# Xonar's account holdership moves on each transfer; the tests run in any order, so each handover
# falls after the one before it, whichever test made that.
_HANDOVER_YEARS = itertools.count(2030)


def next_handover() -> str:
    return f"{next(_HANDOVER_YEARS)}-01-01"


# Who holds Xonar's account in NMZ Limburg now: Zuid-Limburg in the real facts.
_holder = {"region": ZUID}


def hold_at(service: Service, region: str) -> None:
    """Makes ``region`` Xonar's account holder (if it is not already), so that a test starts from the
    holder it needs whichever tests ran before it."""
    if _holder["region"] != region:
        transfer_xonar(
            service, region, f"nmz-xonar-{region}-{next(_HANDOVER_YEARS)}", next_handover()
        )


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
    _holder["region"] = to_region
    service.caught_up()


def feed_counts(service: Service) -> dict[str, tuple[int, int]]:
    client = NatsClient(service.url)
    try:
        counts = {}
        for region in [*service.access.regions(), "noord-limburg", "amsterdam-amstelland"]:
            info = client.run(client.api(f"$JS.API.STREAM.INFO.{LAYOUT.stream(region)}"))
            counts[region] = (info["state"]["messages"], info["state"]["last_seq"])
        return counts
    finally:
        client.close()


def test_zuid_limburg_receives_a_transfer_concerning_it(service: Service) -> None:
    handover: dict[str, str] = {}

    hold_at(service, ZUID)  # before the consumer: it sees only the transfer below

    async def scenario() -> list[Any]:
        nc = await connect_as(service.server.url, service.access, ZUID)
        js = feed_jetstream(nc)
        subscription = await js.pull_subscribe(
            f"feed.{ZUID}.AccountHoldership.>",
            durable="transfers",
            stream=LAYOUT.stream(ZUID),
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        handover["day"] = next_handover()
        await asyncio.to_thread(
            transfer_xonar, service, "noord-limburg", "nmz-xonar-noord", handover["day"]
        )
        messages = await drain(subscription, expected=1)
        await nc.close()
        return messages

    [message] = asyncio.run(scenario())
    headers = message.headers
    assert message.subject == f"feed.{ZUID}.AccountHoldership.HolderTransferred"
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "nl.regiekaart.AccountHoldership.HolderTransferred"
    assert headers["ce-subject"] == "account-holdership/nmz-limburg:xonar"
    assert headers["ce-time"] == f"{handover['day']}T00:00:00Z"
    assert headers["ce-recordedtime"].endswith("Z")
    assert int(headers["ce-sequence"]) > 0
    assert headers["Nats-Msg-Id"] == f"{headers['ce-id']}:{ZUID}"
    body = msgspec.json.decode(message.data)
    assert body["previous_holder_region"] == ZUID
    assert body["holder_region"] == "noord-limburg"


def test_the_transfer_reaches_the_other_side_and_not_noord_holland(service: Service) -> None:
    hold_at(service, "noord-limburg")
    before = feed_counts(service)
    transfer_xonar(service, ZUID, "nmz-xonar-zuid", next_handover())
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
    assert f'publish to "$js.api.consumer.durable.create.{zaanstreek_stream}.peek"' in str(
        violations
    )
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


def test_zuid_limburg_cannot_deliver_its_feed_into_zaanstreek_waterlands_subscriptions(
    service: Service,
) -> None:
    """A push consumer on Zuid-Limburg's own feed may name any deliver subject, and the server delivers
    to whoever subscribes to it. Zaanstreek-Waterland subscribes only within its inbox, whose prefix
    holds a token of its password that Zuid-Limburg cannot name, and may not subscribe to feed
    subjects. Delivery into Zuid-Limburg's own inbox shows the consumers do deliver."""
    zaanstreek_inbox = service.access.region(ZAANSTREEK).inbox_prefix
    zuid_inbox = service.access.region(ZUID).inbox_prefix
    before = feed_counts(service)[ZAANSTREEK]

    async def scenario() -> tuple[int, list[Any], list[str]]:
        errors: list[Exception] = []
        zuid = await connect_as(service.server.url, service.access, ZUID)
        zaanstreek = await connect_as(service.server.url, service.access, ZAANSTREEK, errors)
        foreign: list[Any] = []

        async def receive(message: Any) -> None:
            foreign.append(message)

        # Exact subscriptions, as a region system's own push consumer or live reader would make.
        await zaanstreek.subscribe(f"{zaanstreek_inbox}.push", cb=receive)
        await zaanstreek.subscribe(f"feed.{ZAANSTREEK}.Feed.Live", cb=receive)
        await zaanstreek.flush()
        own = await zuid.subscribe(f"{zuid_inbox}.control")
        targets = {
            "inbox": f"_INBOX.{ZAANSTREEK}.push",  # the inbox as another region can name it
            "feed": f"feed.{ZAANSTREEK}.Feed.Live",
            "control": f"{zuid_inbox}.control",
        }
        js = feed_jetstream(zuid)
        for name, subject in targets.items():
            await js.add_consumer(
                LAYOUT.stream(ZUID),
                ConsumerConfig(durable_name=f"push-{name}", deliver_subject=subject),
            )
        # Once the control consumer has delivered the whole feed, so would the others have.
        total = feed_counts(service)[ZUID][0]
        for _ in range(total):
            await own.next_msg(timeout=10)
        await zaanstreek.flush()
        for name in targets:
            await js.delete_consumer(LAYOUT.stream(ZUID), f"push-{name}")
        await zuid.close()
        await zaanstreek.close()
        return total, foreign, refused(errors)

    delivered, foreign, violations = asyncio.run(scenario())
    assert delivered > 0
    assert [m.subject for m in foreign] == []
    assert f'subscription to "feed.{ZAANSTREEK}.feed.live"' in str(violations)
    assert feed_counts(service)[ZAANSTREEK] == before


def test_a_region_system_may_keep_only_so_many_consumers(service: Service) -> None:
    async def scenario() -> tuple[int, int, str]:
        nc = await connect_as(service.server.url, service.access, ZUID)
        js = feed_jetstream(nc)
        stream = LAYOUT.stream(ZUID)
        existing = (await js.stream_info(stream)).state.consumer_count
        created = 0
        try:
            while created <= MAX_CONSUMERS_PER_FEED:
                await js.add_consumer(stream, ConsumerConfig(durable_name=f"many-{created}"))
                created += 1
            refusal = ""
        except nats.js.errors.APIError as error:
            refusal = str(error)
        finally:
            for number in range(created):
                await js.delete_consumer(stream, f"many-{number}")
            await nc.close()
        return existing, created, refusal

    existing, created, refusal = asyncio.run(scenario())
    assert existing + created == MAX_CONSUMERS_PER_FEED
    assert "maximum consumers limit reached" in refusal


async def connect_until_refused(server: NatsServer, access: FeedAccess, region: str, most: int):
    """Connections of `region`'s system, opened one after another until the server refuses one (or
    `most` are open), and the refusal."""
    opened: list[Any] = []
    while len(opened) < most:
        try:
            # Refused at once rather than tried again: nats-py retries a refused first connection.
            opened.append(await connect_as(server.url, access, region, allow_reconnect=False))
        except nats.errors.Error as error:
            return opened, str(error)
    return opened, ""


def test_a_region_system_may_hold_only_so_many_connections_and_another_region_still_connects(
    service: Service,
) -> None:
    """Each region system is in a NATS account of its own, whose connections are bounded: Zuid-Limburg
    opening ever more connections is refused past its limit, and Zaanstreek-Waterland still connects
    and reads its feed meanwhile."""
    limit = service.access.limits.max_connections

    async def scenario() -> tuple[int, str, int]:
        zuid, refusal = await connect_until_refused(service.server, service.access, ZUID, limit + 5)
        try:
            zaanstreek = await connect_as(service.server.url, service.access, ZAANSTREEK)
            info = await feed_jetstream(zaanstreek).stream_info(LAYOUT.stream(ZAANSTREEK))
            await zaanstreek.close()
        finally:
            for connection in zuid:
                await connection.close()
        return len(zuid), refusal, info.state.messages

    opened, refusal, zaanstreek_messages = asyncio.run(scenario())
    assert opened == limit
    assert "maximum account active connections exceeded" in refusal
    assert zaanstreek_messages == feed_counts(service)[ZAANSTREEK][0] > 0


def test_a_durable_consumer_resumes_after_a_restart_without_loss_or_duplicates(
    service: Service,
) -> None:
    stream = LAYOUT.stream(ZUID)

    async def read(count: int | None) -> list[Any]:
        nc = await connect_as(service.server.url, service.access, ZUID)
        subscription = await feed_jetstream(nc).pull_subscribe(
            f"feed.{ZUID}.>", durable="contracts", stream=stream
        )
        received: list[Any] = []
        if count is None:
            received = await drain(subscription)
        else:
            for message in await subscription.fetch(count, timeout=5):
                await message.ack_sync()
                received.append(message)
        await nc.close()  # the region system stops (or crashes after acknowledging)
        return received

    hold_at(service, ZUID)
    total = feed_counts(service)[ZUID][0]
    first = asyncio.run(read(10))
    transfer_xonar(service, "noord-limburg", "nmz-xonar-noord-2", next_handover())
    rest = asyncio.run(read(None))
    sequences = [m.metadata.sequence.stream for m in first + rest]
    assert sequences == list(range(1, total + 2))
    ids = [m.headers["ce-id"] for m in first + rest]
    assert len(set(ids)) == len(ids)


def shorten_duplicate_windows(service: Service, regions: list[str]) -> None:
    """So that the server's own deduplication (Nats-Msg-Id) would no longer catch a re-publish. Changing
    a stream takes the set-up user: the service's own may not."""
    client = NatsClient(url_with_credentials(service.server.url, service.access.setup()))
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


def test_the_service_user_may_not_delete_change_or_purge_a_stream(service: Service) -> None:
    events_stream = service.app.recorder.stream
    feed = LAYOUT.stream(ZUID)

    async def scenario() -> list[Exception]:
        errors: list[Exception] = []

        async def collect(error: Exception) -> None:
            errors.append(error)

        nc = await nats.connect(service.url, error_cb=collect, max_reconnect_attempts=0)
        js = nc.jetstream(timeout=1)
        info = await js.stream_info(events_stream)
        for stream in (events_stream, feed):
            with pytest.raises(nats.errors.TimeoutError):
                await js.delete_stream(stream)
            with pytest.raises(nats.errors.TimeoutError):
                await js.purge_stream(stream)
        with pytest.raises(nats.errors.TimeoutError):
            await js.update_stream(dataclasses.replace(info.config, deny_delete=False))
        await nc.flush()
        await asyncio.sleep(0.2)
        await nc.close()
        return errors

    before = feed_counts(service)[ZUID]
    head = service.app.recorder.max_notification_id()
    violations = str(refused(asyncio.run(scenario())))
    for stream in (events_stream.lower(), feed.lower()):
        assert f'publish to "$js.api.stream.delete.{stream}"' in violations
        assert f'publish to "$js.api.stream.purge.{stream}"' in violations
    assert f'publish to "$js.api.stream.update.{events_stream.lower()}"' in violations
    # Nothing was removed, and the log still denies deletes.
    assert feed_counts(service)[ZUID] == before
    assert service.app.recorder.max_notification_id() == head
    client = NatsClient(service.url)
    try:
        config = client.run(client.api(f"$JS.API.STREAM.INFO.{events_stream}"))["config"]
    finally:
        client.close()
    assert config["deny_delete"] is True and config["deny_purge"] is True
