"""A region system as it follows its feed: connected with its own credentials and inbox prefix, reading
with a pull consumer, and the permission violations the server reports to it. Shared by the tests on
the single node (feeds/) and on the cluster (cluster/)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import nats
import nats.js.errors

from adapters.nats.access import FEED_API_PREFIX, FeedAccess
from adapters.nats.feeds import FeedLayout


async def connect_as(
    url: str,
    access: FeedAccess,
    region: str,
    errors: list[Exception] | None = None,
    **options: Any,
) -> Any:
    """Connected to the server(s) at `url` as `region`'s system; `errors` collects what the server
    reports asynchronously, permission violations among them; `options` go to ``nats.connect``."""
    credentials = access.region(region)

    async def collect(error: Exception) -> None:
        if errors is not None:
            errors.append(error)

    return await nats.connect(
        url,
        user=credentials.user,
        password=credentials.password,
        inbox_prefix=credentials.inbox_prefix,
        error_cb=collect,
        **{"max_reconnect_attempts": 0, **options},
    )


def feed_jetstream(nc: Any, timeout: float = 5) -> Any:
    """JetStream as a region system reaches it: its feed's API imported into its own account."""
    return nc.jetstream(prefix=FEED_API_PREFIX, timeout=timeout)


async def fetch_once_led(subscription: Any, count: int, timeout: float) -> list[Any]:
    """``count`` messages fetched within ``timeout``. A replicated consumer just made on a cluster
    has no leader known to every node at once: until the node asked knows it, nobody answers (503),
    as a region system's follower sees and waits out (``follow_nats_feed``)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await subscription.fetch(count, timeout=max(0.1, deadline - time.monotonic()))
        except nats.js.errors.ServiceUnavailableError:
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.2)


async def drain(subscription: Any, expected: int | None = None) -> list[Any]:
    """Every message the pull consumer has now (fetch until it answers with none)."""
    received: list[Any] = []
    while True:
        try:
            batch = await subscription.fetch(500, timeout=1)
        except TimeoutError:
            # Not only nats-py's own (a subclass): its fetch raises asyncio's when its time runs
            # out between its two pulls (seen once in CI, at the suite's load).
            return received
        for message in batch:
            await message.ack_sync()
        received.extend(batch)
        if expected is not None and len(received) >= expected:
            return received


def refused(errors: list[Exception]) -> list[str]:
    """The permission violations the server reported (nats-py lower-cases them)."""
    return [str(e) for e in errors if "permissions violation" in str(e)]


def feed_contents(url: str, layout: FeedLayout) -> dict[str, list[int]]:
    """The log position (``ce-sequence``) of every message in every feed of ``layout``."""

    async def read() -> dict[str, list[int]]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        contents = {}
        for info in await js.streams_info():
            name = info.config.name
            if not name.startswith(f"{layout.stream_prefix}_"):
                continue
            messages = [await js.get_msg(name, seq) for seq in range(1, info.state.last_seq + 1)]
            region = name.removeprefix(f"{layout.stream_prefix}_")
            contents[region] = [int(m.headers["ce-sequence"]) for m in messages]
        await nc.close()
        return contents

    return asyncio.run(read())
