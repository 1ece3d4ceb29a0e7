"""Reading a region's feed from a position and then live (what the SSE endpoint serves)."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats

from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher, follow_feed
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL


def test_a_reader_resumes_after_a_sequence_and_then_follows_live(nats_server):
    layout = FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for number in range(5):
        app.handle(
            c.RegisterRegion(
                region=f"r{number}", name=f"R{number}", principal="test", authority=EXTERNAL
            )
        )
    notifications = app.recorder.select_notifications(start=1, limit=10)
    events = [(n.id, app.mapper.to_domain_event(n)) for n in notifications]
    client = NatsClient(nats_server.url)
    publisher = FeedPublisher(client, layout)
    for position, event in events[:3]:
        assert publisher.publish(event, position, frozenset({"west"})) == 1

    async def read(after: int, count: int, publish_meanwhile: bool = False) -> list:
        nc = await nats.connect(nats_server.url)
        received = []
        feed = follow_feed(nc, layout, "west", after)
        async for message in feed:
            received.append(message)
            if publish_meanwhile and len(received) == 1:
                for position, event in events[3:]:
                    await asyncio.to_thread(publisher.publish, event, position, frozenset({"west"}))
            if len(received) == count:
                break
        await feed.aclose()
        await nc.close()
        return received

    try:
        everything = asyncio.run(read(0, 3))
        assert [m.sequence for m in everything] == [1, 2, 3]
        rest = asyncio.run(read(1, 4, publish_meanwhile=True))
        assert [m.sequence for m in rest] == [2, 3, 4, 5]
        assert [m.headers["ce-id"] for m in rest[:2]] == [
            m.headers["ce-id"] for m in everything[1:]
        ]
        structured = json.loads(rest[0].structured())
        assert structured["specversion"] == "1.0"
        assert structured["id"] == rest[0].headers["ce-id"]
        assert structured["data"]["region"] == "r1"
    finally:
        client.close()


def test_two_publishers_racing_store_each_event_once(nats_server):
    layout = FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for number in range(20):
        app.handle(
            c.RegisterRegion(
                region=f"r{number}", name=f"R{number}", principal="test", authority=EXTERNAL
            )
        )
    events = [
        (n.id, app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, 100)
    ]
    clients = [NatsClient(nats_server.url) for _ in range(2)]
    publishers = [FeedPublisher(client, layout) for client in clients]
    regions = frozenset({"west", "oost"})
    try:
        # The second publisher learns each feed's state before the first writes: its idea is stale.
        for publisher in publishers:
            for region in regions:
                publisher.ensure_feed(region)

        def run(publisher: FeedPublisher) -> int:
            return sum(publisher.publish(event, position, regions) for position, event in events)

        async def race() -> list[int]:
            return await asyncio.gather(*(asyncio.to_thread(run, p) for p in publishers))

        assert sum(asyncio.run(race())) == len(events) * len(regions)
        for region in regions:
            info = clients[0].run(clients[0].api(f"$JS.API.STREAM.INFO.{layout.stream(region)}"))
            assert info["state"]["messages"] == len(events)
    finally:
        for client in clients:
            client.close()
