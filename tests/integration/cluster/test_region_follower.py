"""A region system's follower (``follow_nats_feed`` of ``clients/python``) on the 3-node cluster, with
the credentials `regiekaart feeds credentials` prints for it (the nodes' URLs, comma-separated): the
node that leads its consumer is killed, then the node it is connected to, and it hands every event of
its feed once and in order throughout."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from regiekaart_client import FeedEvent, FilePosition
from regiekaart_client.nats_feed import follow_nats_feed

from adapters.nats.access import FEED_API_PREFIX
from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer
from adapters.nats.feeds import FeedLayout, FeedPublisher
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.fixtures.nats_cluster import NatsCluster

ZUID = "zuid-limburg"
LAYOUT = FeedLayout()
DURABLE = "contracts"
ROUND = 4  # events published per round


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    cluster = NatsCluster(tmp_path / "cluster")
    cluster.access.region(ZUID)
    with cluster:
        yield cluster


def _events(count: int) -> list[tuple[int, Any]]:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for number in range(count):
        app.handle(
            c.RegisterRegion(
                region=f"r{number}", name=f"R{number}", principal="test", authority=EXTERNAL
            )
        )
    return [
        (n.id, app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, count)
    ]


def _connected_node(cluster: NatsCluster, user: str) -> int:
    """The node the region system's connection is on, from the nodes' monitoring endpoints (waited
    for: it may be reconnecting)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for node, server in enumerate(cluster.nodes):
            if not server.running:
                continue
            url = f"{server.monitor_url}/connz?auth=true"
            with urllib.request.urlopen(url, timeout=5) as answer:
                connections = json.load(answer).get("connections") or []
            if any(connection.get("authorized_user") == user for connection in connections):
                return node
        time.sleep(0.2)
    raise LookupError(f"{user} is connected to no node")


def _consumer_leader(cluster: NatsCluster) -> int:
    info = cluster.client.run(
        cluster.client.api(f"$JS.API.CONSUMER.INFO.{LAYOUT.stream(ZUID)}.{DURABLE}")
    )
    return [cluster.name(node) for node in range(len(cluster.nodes))].index(
        info["cluster"]["leader"]
    )


def test_the_follower_hands_each_event_once_while_its_nodes_are_killed(
    cluster: NatsCluster, tmp_path: Path
) -> None:
    issued = cluster.access.region(ZUID)
    credentials = {
        "url": ",".join(node.url for node in cluster.nodes),
        "user": issued.user,
        "password": issued.password,
        "inbox_prefix": issued.inbox_prefix,
        "api_prefix": FEED_API_PREFIX,
        "stream": LAYOUT.stream(ZUID),
        "subjects": LAYOUT.subjects(ZUID),
    }
    events = _events(3 * ROUND)
    publisher = FeedPublisher(NatsClient(cluster.urls, timeout=10.0), LAYOUT, replicas=3)
    publisher.ensure_feed(ZUID)  # as the service makes it for each registered region
    positions = FilePosition(tmp_path / "position")

    def publish(round_: int) -> None:
        """As the service's fan-out does: an event the feed did not hear (its stream electing a
        leader after a kill) is published again; a feed that has it already does not take it twice."""
        for position, event in events[round_ * ROUND : (round_ + 1) * ROUND]:
            deadline = time.monotonic() + 30
            while True:
                try:
                    publisher.publish(event, position, frozenset({ZUID}))
                    break
                except (JetStreamApiError, *NoAnswer):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    async def scenario() -> list[int]:
        handled: list[int] = []
        reached = asyncio.Event()
        stop = asyncio.Event()

        async def handle(event: FeedEvent) -> None:
            handled.append(event.id)
            if len(handled) % ROUND == 0:
                reached.set()

        async def round_handled(round_: int) -> None:
            await asyncio.to_thread(publish, round_)
            waiting = asyncio.ensure_future(reached.wait())
            await asyncio.wait({waiting, follower}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if follower.done():
                follower.result()  # it ended: with its error
            assert reached.is_set(), f"round {round_} was not handled: {handled}"
            reached.clear()

        follower = asyncio.create_task(
            follow_nats_feed(credentials, handle, positions, durable=DURABLE, stop=stop)
        )
        try:
            await round_handled(0)
            leader = await asyncio.to_thread(_consumer_leader, cluster)
            cluster.kill(leader)
            await round_handled(1)
            await asyncio.to_thread(cluster.restart, leader)
            connected = await asyncio.to_thread(_connected_node, cluster, issued.user)
            cluster.kill(connected)
            await round_handled(2)
        finally:
            stop.set()
            await asyncio.wait_for(follower, timeout=30)
        return handled

    try:
        handled = asyncio.run(scenario())
    finally:
        publisher.client.close()
    assert handled == list(range(1, 3 * ROUND + 1))
    assert positions.load() == 3 * ROUND
