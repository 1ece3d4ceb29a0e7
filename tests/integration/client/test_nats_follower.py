"""The NATS feed follower of ``clients/python`` against a feed stream of its own on the session's
nats-server (configured as the service configures a region's feed), for what the running service
cannot easily be made to do: a follower that died with messages fetched and not handled, a handler
that raises, a consumer whose place is not the follower's."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import nats
import pytest
from nats.js.client import JetStreamContext
from regiekaart_client import FeedEvent, FilePosition
from regiekaart_client.nats_feed import follow_nats_feed
from regiekaart_client.positions import PositionPastFeed

from adapters.nats.feeds import FeedLayout, feed_stream_config
from adapters.nats.server import NatsServer

REGION = "west"


@pytest.fixture
def credentials(nats_server: NatsServer) -> dict[str, Any]:
    """A fresh feed on the session's server, and credentials for it as `feeds credentials` prints
    them (the server has no users: no user, no password, the default inbox and API)."""
    unique = uuid.uuid4().hex[:8]
    layout = FeedLayout(stream_prefix=f"F{unique.upper()}", subject_prefix=f"f{unique}")
    stream, subjects = layout.stream(REGION), layout.subjects(REGION)

    async def create() -> None:
        nc = await nats.connect(nats_server.url)
        reply = await nc.request(
            f"$JS.API.STREAM.CREATE.{stream}",
            msgspec.json.encode(feed_stream_config(stream, subjects)),
        )
        assert "error" not in msgspec.json.decode(reply.data), reply.data
        await nc.close()

    asyncio.run(create())
    return {
        "url": nats_server.url,
        "user": None,
        "password": None,
        "inbox_prefix": "_INBOX",
        "api_prefix": "$JS.API",
        "stream": stream,
        "subjects": subjects,
    }


async def publish(credentials: dict[str, Any], numbers: range) -> None:
    """Feed messages as the service publishes them: the CloudEvent's attributes in ``ce-`` headers."""
    nc = await nats.connect(credentials["url"])
    js = nc.jetstream()
    subject = credentials["subjects"].removesuffix(">") + "Region.Registered"
    for number in numbers:
        await js.publish(
            subject,
            msgspec.json.encode({"number": number}),
            headers={"ce-id": f"r:{number}", "ce-type": "Region.Registered", "ce-source": "test"},
        )
    await nc.close()


async def follow(
    credentials: dict[str, Any],
    positions: FilePosition,
    *,
    until: int,
    fails_at: int | None = None,
    durable: str = "contracts",
    timeout: float = 20,
) -> list[int]:
    """The feed sequences handled until ``until`` was, or until the handler raised at ``fails_at``."""
    handled: list[int] = []
    stop = asyncio.Event()

    async def handle(event: FeedEvent) -> None:
        if event.id == fails_at:
            raise RuntimeError("the handler's database is down")
        handled.append(event.id)
        if event.id == until:
            stop.set()

    try:
        await asyncio.wait_for(
            follow_nats_feed(credentials, handle, positions, durable=durable, stop=stop),
            timeout=timeout,
        )
    except RuntimeError:
        assert fails_at is not None
    return handled


def test_after_a_handler_raised_a_restart_hands_that_event_before_any_later_one(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    # The consumer delivered 1-5 in one fetch; 2-5 were neither handled nor acknowledged. The
    # restarted follower's consumer went on with what came after (6), and 2-5, delivered again half
    # a minute later, were at or before the stored position: passed over, never handled.
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 6)))
    assert asyncio.run(follow(credentials, positions, until=5, fails_at=2)) == [1]
    asyncio.run(publish(credentials, range(6, 7)))

    assert asyncio.run(follow(credentials, positions, until=6)) == [2, 3, 4, 5, 6]
    assert positions.load() == 6


def test_after_a_handler_raised_a_restart_hands_that_event_without_waiting_for_more(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    # No later event to show the consumer's place wrong: 2-5 came only when the server gave up on
    # their acknowledgement, half a minute later.
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 6)))
    assert asyncio.run(follow(credentials, positions, until=5, fails_at=2)) == [1]

    assert asyncio.run(follow(credentials, positions, until=5, timeout=10)) == [2, 3, 4, 5]


def test_messages_delivered_to_a_follower_that_died_are_handed_after_its_restart(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    """Killed between its fetch and its handler (or its fetch's answer lost with the connection):
    the server counts the messages delivered and waits for their acknowledgement."""
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 2)))
    assert asyncio.run(follow(credentials, positions, until=1)) == [1]
    asyncio.run(publish(credentials, range(2, 4)))

    async def fetched_and_lost() -> None:
        nc = await nats.connect(credentials["url"])
        feed = await nc.jetstream().pull_subscribe(
            credentials["subjects"], durable="contracts", stream=credentials["stream"]
        )
        assert [m.metadata.sequence.stream for m in await feed.fetch(2, timeout=5)] == [2, 3]
        await nc.close()

    asyncio.run(fetched_and_lost())
    asyncio.run(publish(credentials, range(4, 5)))

    assert asyncio.run(follow(credentials, positions, until=4)) == [2, 3, 4]


def test_a_position_past_the_end_of_the_feed_is_refused(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    """A position store of another installation, or of another region's feed: its consumer would
    start at 1001 and pass over, without a word, everything the feed gets until then."""
    positions = FilePosition(tmp_path / "position")
    positions.save(1000)
    asyncio.run(publish(credentials, range(1, 4)))

    with pytest.raises(PositionPastFeed, match=r"1000 .* \(3\)"):
        asyncio.run(follow(credentials, positions, until=3, timeout=10))
    assert positions.load() == 1000


def test_a_fetch_out_of_time_between_its_two_pulls_is_waited_out(
    credentials: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nats-py's fetch raises asyncio's TimeoutError, not its own, when its time runs out between its
    first pull and its lingering one (the first's "no messages" answer late, on a loaded machine, as
    seen on the cluster): the follower died of an idle moment."""
    fetch = JetStreamContext.PullSubscription.fetch
    calls: list[int] = []

    async def out_of_time_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(calls))
        if len(calls) == 1:
            raise TimeoutError
        return await fetch(self, *args, **kwargs)

    monkeypatch.setattr(JetStreamContext.PullSubscription, "fetch", out_of_time_once)
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 3)))

    assert asyncio.run(follow(credentials, positions, until=2)) == [1, 2]
    assert len(calls) >= 2
