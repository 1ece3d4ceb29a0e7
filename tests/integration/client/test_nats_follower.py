"""The NATS feed follower of ``clients/python`` against a feed stream of its own on the session's
nats-server (configured as the service configures a region's feed), for what the running service
cannot easily be made to do: a follower that died with messages fetched and not handled, a handler
that raises, a consumer whose place is not the follower's."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import msgspec
import nats
import pytest
from nats.js.client import JetStreamContext
from regiekaart_client import FeedEvent, FilePosition, PositionPastFeed
from regiekaart_client.nats_feed import follow_nats_feed

from adapters.nats.feeds import FeedLayout, feed_stream_config
from adapters.nats.server import NatsServer
from tests.fixtures.processes import free_port

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
    nc = await nats.connect(
        credentials["url"], user=credentials["user"], password=credentials["password"]
    )
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


def handler_failed_at_the_second_of_five(
    credentials: dict[str, Any], tmp_path: Any
) -> FilePosition:
    """Events 1-5 published, a follower's handler handled 1 and raised at 2: its stored position."""
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 6)))
    assert asyncio.run(follow(credentials, positions, until=5, fails_at=2)) == [1]
    return positions


def test_after_a_handler_raised_a_restart_hands_that_event_before_any_later_one(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    # The consumer delivered 1-5 in one fetch; 2-5 were neither handled nor acknowledged. The
    # restarted follower's consumer went on with what came after (6), and 2-5, delivered again half
    # a minute later, were at or before the stored position: passed over, never handled.
    positions = handler_failed_at_the_second_of_five(credentials, tmp_path)
    asyncio.run(publish(credentials, range(6, 7)))

    assert asyncio.run(follow(credentials, positions, until=6)) == [2, 3, 4, 5, 6]
    assert positions.load() == 6


def test_after_a_handler_raised_a_restart_hands_that_event_without_waiting_for_more(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    # No later event to show the consumer's place wrong: 2-5 came only when the server gave up on
    # their acknowledgement, half a minute later.
    positions = handler_failed_at_the_second_of_five(credentials, tmp_path)

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


def test_a_follower_told_to_stop_hands_no_further_event_and_a_restart_goes_on_from_there(
    credentials: dict[str, Any], tmp_path: Any
) -> None:
    # `stop` was read between fetches only: the rest of a fetch (up to 100 events) was handed after it.
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 6)))

    assert asyncio.run(follow(credentials, positions, until=2)) == [1, 2]
    assert positions.load() == 2
    assert asyncio.run(follow(credentials, positions, until=5)) == [3, 4, 5]


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


def test_messages_lost_on_their_way_to_a_running_follower_are_handed_in_their_place(
    credentials: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch's answer lost with the connection, as when it is cut while a batch is under way: the
    server counts the messages delivered, and its next ones come first. They were handed and the
    lost ones passed over when they came again, after the position had gone past them."""
    fetch = JetStreamContext.PullSubscription.fetch
    lost: list[int] = []

    async def loses_the_first_answer(self: Any, batch: int = 1, **options: Any) -> Any:
        messages = await fetch(self, 2 if not lost else batch, **options)
        if not lost:
            lost.extend(m.metadata.sequence.stream for m in messages)
            raise TimeoutError  # what the follower saw of it
        return messages

    monkeypatch.setattr(JetStreamContext.PullSubscription, "fetch", loses_the_first_answer)
    positions = FilePosition(tmp_path / "position")
    asyncio.run(publish(credentials, range(1, 6)))

    assert asyncio.run(follow(credentials, positions, until=5)) == [1, 2, 3, 4, 5]
    assert lost == [1, 2]


def _quick_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    """nats-py's reconnect attempts 0.05 s apart instead of 2 s: its default budget of attempts
    (60, two minutes with one server) then runs out in three seconds."""
    connect = nats.connect

    async def quick(*args: Any, **options: Any) -> Any:
        return await connect(*args, **{"reconnect_time_wait": 0.05, **options})

    monkeypatch.setattr(nats, "connect", quick)


def _server(tmp_path: Path, port: int, monitor_port: int, password: str) -> NatsServer:
    return NatsServer(
        tmp_path / "nats",
        port=port,
        monitor_port=monitor_port,
        extra_config=f'authorization {{ users: [{{user: "west", password: "{password}"}}] }}',
    )


def _own_feed(server: NatsServer, password: str) -> dict[str, Any]:
    async def create() -> None:
        nc = await nats.connect(server.url, user="west", password=password)
        await nc.request(
            "$JS.API.STREAM.CREATE.FEED",
            msgspec.json.encode(feed_stream_config("FEED", "feed.west.>")),
        )
        await nc.close()

    asyncio.run(create())
    return {
        "url": server.url,
        "user": "west",
        "password": password,
        "inbox_prefix": "_INBOX",
        "api_prefix": "$JS.API",
        "stream": "FEED",
        "subjects": "feed.west.>",
    }


def test_the_follower_waits_out_a_server_down_longer_than_nats_py_reconnects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SSE follower does: it ended with ConnectionClosedError once nats-py's attempts ran out
    (two minutes of maintenance, with one server)."""
    _quick_reconnects(monkeypatch)
    port, monitor_port = free_port(), free_port()
    server = _server(tmp_path, port, monitor_port, "secret")
    server.start()
    try:
        credentials = _own_feed(server, "secret")
        positions = FilePosition(tmp_path / "position")

        async def scenario() -> list[int]:
            handled: list[int] = []
            stop = asyncio.Event()

            async def handle(event: FeedEvent) -> None:
                handled.append(event.id)
                stop.set()

            follower = asyncio.create_task(
                follow_nats_feed(credentials, handle, positions, durable="d", stop=stop)
            )
            await asyncio.sleep(0.5)
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(4)
            await asyncio.to_thread(server.start)
            await publish(credentials, range(1, 2))
            await asyncio.wait_for(follower, timeout=20)
            return handled

        assert asyncio.run(scenario()) == [1]
    finally:
        server.stop()


def test_a_follower_whose_credentials_are_refused_on_reconnecting_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revoked (or rotated) while it followed: no reconnect mends that, as the SSE follower ends on
    401. Reconnecting for ever must not hide it."""
    _quick_reconnects(monkeypatch)
    port, monitor_port = free_port(), free_port()
    server = _server(tmp_path, port, monitor_port, "secret")
    rotated = _server(tmp_path, port, monitor_port, "rotated")
    server.start()
    try:
        credentials = _own_feed(server, "secret")

        async def scenario() -> None:
            follower = asyncio.create_task(
                follow_nats_feed(
                    credentials, handle, FilePosition(tmp_path / "position"), durable="d"
                )
            )
            await asyncio.sleep(0.5)
            await asyncio.to_thread(server.stop)
            await asyncio.to_thread(rotated.start)
            await asyncio.wait_for(follower, timeout=10)

        async def handle(event: FeedEvent) -> None:
            raise AssertionError(f"nothing was published, yet {event} was handled")

        with pytest.raises(nats.errors.Error, match=r"(?i)authori"):
            asyncio.run(scenario())
        # Refused from the start: it ends at once, too.
        with pytest.raises(nats.errors.Error, match=r"(?i)authori"):
            asyncio.run(
                asyncio.wait_for(
                    follow_nats_feed(
                        credentials, handle, FilePosition(tmp_path / "position"), durable="d"
                    ),
                    timeout=10,
                )
            )
    finally:
        server.stop()
        rotated.stop()


def test_a_follower_waiting_for_its_first_connection_stops_when_told(tmp_path: Path) -> None:
    """No server yet (it reconnects for as long as that lasts): ``stop`` still ends it, as between
    fetches, rather than a shutdown waiting for a server that may never come."""
    credentials = {
        "url": f"nats://127.0.0.1:{free_port()}",
        "user": None,
        "password": None,
        "inbox_prefix": "_INBOX",
        "api_prefix": "$JS.API",
        "stream": "FEED",
        "subjects": "feed.west.>",
    }

    async def handle(event: FeedEvent) -> None:
        raise AssertionError(f"there is no server, yet {event} was handled")

    async def scenario() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, stop.set)
        await asyncio.wait_for(
            follow_nats_feed(
                credentials, handle, FilePosition(tmp_path / "position"), durable="d", stop=stop
            ),
            timeout=10,
        )

    asyncio.run(scenario())
