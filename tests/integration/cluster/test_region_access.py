"""Region systems on the 3-node cluster get the single node's access rules: the Zuid-Limburg system
follows its own feed through whichever node it reaches, resuming on another node where it left off, and
every node refuses it the Zaanstreek-Waterland feed, the event stream and publishing anything. What the
nodes run is what an operator gets from `regiekaart feeds`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from click.testing import CliRunner
from nats.js.api import ConsumerConfig

from adapters.nats.access import AUTHORIZATION_FILE, SERVICE_USER, Credentials, url_with_credentials
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from entrypoints.cli import main
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.fixtures.nats_cluster import NatsCluster
from tests.integration.region_systems import connect_as, feed_jetstream, fetch_once_led, refused

ZUID = "zuid-limburg"
ZAANSTREEK = "zaanstreek-waterland"
REGIONS = (ZUID, ZAANSTREEK, "noord-limburg")
LAYOUT = FeedLayout()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NatsCluster, str]]:
    """The cluster with credentials issued to two region systems, and the name of its event stream.
    The service records a registration per region and publishes all of them to both systems' feeds,
    each feed replicated on all three nodes."""
    cluster = NatsCluster(tmp_path_factory.mktemp("secured-cluster"))
    for region in (ZUID, ZAANSTREEK):
        cluster.access.region(region)
    with cluster:
        app = GovernanceApplication(
            env={
                "PERSISTENCE_MODULE": "adapters.nats",
                "NATS_URL": cluster.urls,
                "NATS_REPLICAS": "3",
            }
        )
        publisher = FeedPublisher(NatsClient(cluster.urls), LAYOUT, replicas=3)
        try:
            for region in REGIONS:
                app.handle(
                    c.RegisterRegion(
                        region=region, name=region.title(), principal="test", authority=EXTERNAL
                    )
                )
            for notification in app.recorder.select_notifications(start=1, limit=len(REGIONS)):
                event = app.mapper.to_domain_event(notification)
                assert publisher.publish(event, notification.id, frozenset({ZUID, ZAANSTREEK})) == 2
            # Both feeds led, with every replica current, and every node healthy (its metadata leader
            # known) before a test asks a node for them: a run saw the metadata leader change just
            # after the cluster formed, and the tests' nodes answer "stream not found".
            for region in (ZUID, ZAANSTREEK):
                cluster.wait_until_current(LAYOUT.stream(region))
            yield cluster, app.recorder.stream
        finally:
            publisher.client.close()
            app.close()


def test_a_region_system_follows_its_feed_through_any_node(
    secured: tuple[NatsCluster, str],
) -> None:
    cluster, _ = secured

    async def read_one_through(node: int) -> Any:
        nc = await connect_as(cluster.nodes[node].url, cluster.access, ZUID)
        subscription = await feed_jetstream(nc).pull_subscribe(
            LAYOUT.subjects(ZUID), durable="dashboard", stream=LAYOUT.stream(ZUID)
        )
        [message] = await fetch_once_led(subscription, 1, timeout=10)
        await message.ack_sync()
        await nc.close()
        return message

    messages = [asyncio.run(read_one_through(node)) for node in range(len(cluster.nodes))]
    assert [m.metadata.sequence.stream for m in messages] == [1, 2, 3]
    assert all(m.subject.startswith(f"feed.{ZUID}.") for m in messages)
    assert cluster.stream_info(LAYOUT.stream(ZUID))["config"]["num_replicas"] == 3


@pytest.mark.parametrize("node", [0, 1, 2], ids=["n1", "n2", "n3"])
def test_every_node_refuses_a_region_system_everything_but_its_own_feed(
    secured: tuple[NatsCluster, str], node: int
) -> None:
    cluster, events = secured
    own, other = LAYOUT.stream(ZUID), LAYOUT.stream(ZAANSTREEK)

    async def scenario() -> list[Exception]:
        errors: list[Exception] = []
        nc = await connect_as(cluster.nodes[node].url, cluster.access, ZUID, errors)
        js = nc.jetstream(timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.pull_subscribe(f"feed.{ZAANSTREEK}.>", durable="peek", stream=other)
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer(
                other, ConsumerConfig(durable_name="peek", filter_subject=f"feed.{ZAANSTREEK}.>")
            )
        await nc.subscribe(f"feed.{ZAANSTREEK}.>")
        with pytest.raises(nats.errors.TimeoutError):
            await js.pull_subscribe(f"{events}.>", durable="log", stream=events)
        await nc.subscribe(f"{events}.>")
        with pytest.raises(nats.errors.TimeoutError):
            await nc.request(f"feed.{ZUID}.Region.Registered", b"{}", timeout=1)
        await nc.publish(f"{events}.e.intruder", b"{}")
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_stream(own)
        await nc.flush()
        await asyncio.sleep(0.2)
        await nc.close()
        return errors

    before = cluster.stream_info(own)["state"]["messages"]
    violations = str(refused(asyncio.run(scenario())))
    other_lower, events_lower, own_lower = other.lower(), events.lower(), own.lower()
    assert f'publish to "$js.api.consumer.info.{other_lower}.peek"' in violations
    assert f'publish to "$js.api.consumer.durable.create.{other_lower}.peek"' in violations
    assert f'subscription to "feed.{ZAANSTREEK}.>"' in violations
    assert f'publish to "$js.api.consumer.info.{events_lower}.log"' in violations
    assert f'subscription to "{events_lower}.>"' in violations
    assert f'publish to "feed.{ZUID}.region.registered"' in violations
    assert f'publish to "{events_lower}.e.intruder"' in violations
    assert f'publish to "$js.api.stream.delete.{own_lower}"' in violations
    assert cluster.stream_info(own)["state"]["messages"] == before
    assert cluster.stream_info(own)["config"]["num_replicas"] == 3


def test_the_nodes_run_what_the_operator_gets_from_the_command_line(
    secured: tuple[NatsCluster, str],
) -> None:
    cluster, events = secured
    # The cluster keeps its credentials where `regiekaart feeds` keeps those of a data directory.
    data_dir = str(cluster.base_dir)
    runner = CliRunner()
    server_config = runner.invoke(main, ["feeds", "server-config", "--data-dir", data_dir])
    password = runner.invoke(main, ["feeds", "service-password", "--data-dir", data_dir])
    assert server_config.exit_code == 0 and password.exit_code == 0
    for node in cluster.nodes:
        assert (node.data_dir / AUTHORIZATION_FILE).read_text() == server_config.output
    service = Credentials(user=SERVICE_USER, password=password.output.strip())
    client = NatsClient(url_with_credentials(cluster.nodes[2].url, service))
    try:
        info = client.run(client.api(f"$JS.API.STREAM.INFO.{events}"))
    finally:
        client.close()
    assert info["config"]["num_replicas"] == 3
