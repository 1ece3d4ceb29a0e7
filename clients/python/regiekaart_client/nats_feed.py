"""Following a region's feed on NATS JetStream, with the credentials ``regiekaart feeds credentials``
prints (url, user, password, inbox_prefix, api_prefix, stream, subjects). Needs nats-py
(``pip install regiekaart-client[nats]``).

A durable pull consumer keeps the region system's place on the server; delivery is at least once (a
message whose acknowledgement was lost comes again), so the handler is called once per feed sequence
as in ``regiekaart_client.feed``: a message at or before the stored position is acknowledged and
passed over, and the position is saved after the handler returns, before the acknowledgement. The
stored position, not the consumer, says what comes next: the feed has no gaps, so a consumer that
hands a later message than the one after the position is made again from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import nats
import nats.errors
import nats.js.errors
from nats.js.api import ConsumerConfig, DeliverPolicy

from regiekaart_client.feed import CloudEvent, FeedEvent
from regiekaart_client.positions import PositionPastFeed, PositionStore

# How long a follower waits before it asks again for a consumer nobody answered for.
_RESUBSCRIBE_PAUSE = 0.5
# What nats-server answers a connection whose credentials it does not admit.
_AUTHORIZATION_VIOLATION = "Authorization Violation"

_log = logging.getLogger(__name__)


def _servers(url: str) -> list[str]:
    """A cluster's nodes, which its credentials give comma-separated (nats-py wants a list, and
    refuses the string): the follower goes over to another node when it loses the one it is on."""
    return [server.strip() for server in url.split(",") if server.strip()]


def _cloudevent(message: Any) -> CloudEvent:
    """The CloudEvent of a message in binary mode: attributes in ``ce-`` headers, the event as body."""
    attributes = {
        name.removeprefix("ce-"): value
        for name, value in (message.headers or {}).items()
        if name.startswith("ce-")
    }
    return msgspec.convert({**attributes, "data": msgspec.json.decode(message.data)}, CloudEvent)


async def _pull_subscription(
    js: Any, credentials: dict[str, Any], durable: str, positions: PositionStore
) -> Any:
    """The durable consumer, made if it does not exist. Where it starts when it is made: after the
    stored position, which must be in the feed; once it exists it keeps its own place (made again if
    that is not the position's: ``follow_nats_feed``)."""
    position, last = positions.load(), (await js.stream_info(credentials["stream"])).state.last_seq
    if position > last:
        raise PositionPastFeed(
            f"the stored position {position} is past the last message of "
            f"{credentials['stream']} ({last}): not a position of this feed"
        )
    return await js.pull_subscribe(
        credentials["subjects"],
        durable=durable,
        stream=credentials["stream"],
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=position + 1
        ),
    )


async def _forget_consumer(js: Any, feed: Any, credentials: dict[str, Any], durable: str) -> None:
    """The consumer deleted, to be made again from the stored position. Nobody answering, or it
    being gone already, is fine: a consumer found again at the wrong place is forgotten again."""
    await feed.unsubscribe()
    with contextlib.suppress(
        nats.errors.TimeoutError,
        nats.js.errors.NotFoundError,
        nats.js.errors.ServiceUnavailableError,
    ):
        await js.delete_consumer(credentials["stream"], durable)


async def follow_nats_feed(
    credentials: dict[str, Any],
    handler: Callable[[FeedEvent], Awaitable[None]],
    positions: PositionStore,
    *,
    durable: str,
    stop: asyncio.Event | None = None,
    url: str | None = None,
) -> None:
    """Calls ``handler`` for each message of the region's feed after the stored position until ``stop``
    is set (checked after each message). ``url`` overrides the credentials' (a cluster's address as
    the region system sees it); a cluster's nodes are given comma-separated."""
    stop = stop or asyncio.Event()
    refused: list[Exception] = []
    connected = False

    async def on_error(error: Exception) -> None:
        _log.warning("NATS: %s", error)
        if isinstance(error, nats.errors.AuthorizationError) or _AUTHORIZATION_VIOLATION in str(
            error
        ):
            if not connected:
                raise error  # out of nats.connect: the credentials are wrong from the start
            refused.append(error)

    connecting = asyncio.ensure_future(
        nats.connect(
            _servers(url or credentials["url"]),
            user=credentials["user"],
            password=credentials["password"],
            inbox_prefix=credentials["inbox_prefix"],
            # Reconnects for as long as the server is away, as the SSE follower does (nats-py's own
            # budget, 60 attempts 2 s apart per server, ended it after two minutes of maintenance);
            # credentials refused (revoked, rotated) end it instead, since no reconnect mends them.
            max_reconnect_attempts=-1,
            error_cb=on_error,
        )
    )
    stopping = asyncio.ensure_future(stop.wait())
    # Until a server answers, ``stop`` is all that can end it.
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not connecting.done():
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
        return
    nc = connecting.result()
    connected = True
    try:
        js = nc.jetstream(prefix=credentials["api_prefix"])
        feed = None
        while not stop.is_set():
            if refused:
                raise refused[0]
            try:
                if feed is None:
                    feed = await _pull_subscription(js, credentials, durable, positions)
                    info = await feed.consumer_info()
                    if info.delivered.stream_seq > positions.load():
                        # Found past the position (it delivered messages never handled: a handler
                        # that raised, a follower killed after its fetch), it would hand them again
                        # only when their acknowledgement's wait runs out, or skip them.
                        await _forget_consumer(js, feed, credentials, durable)
                        feed = None
                        continue
                messages = await feed.fetch(100, timeout=1)
            except nats.errors.ConnectionClosedError:
                if refused:  # closed by nats-py on the refusal
                    raise refused[0] from None
                raise
            except TimeoutError:
                # Nothing came in time. Not only ``nats.errors.TimeoutError``: nats-py's fetch
                # raises asyncio's (the builtin) when its time runs out between its two pulls.
                continue
            except nats.js.errors.ServiceUnavailableError:
                # Nobody answered for the consumer: a cluster is electing its leader (a node
                # left, or it was just made) or it was deleted. Made or found again after a pause,
                # from the stored position; what was delivered and not acknowledged comes again.
                if feed is not None:
                    await feed.unsubscribe()
                    feed = None
                await asyncio.sleep(_RESUBSCRIBE_PAUSE)
                continue
            for message in messages:
                sequence = message.metadata.sequence.stream
                position = positions.load()
                if sequence > position + 1:
                    # The feed has no gaps (nothing in it is ever deleted): the consumer's place is
                    # past events not handled here. Delivered earlier and never handled (a handler
                    # that raised, a follower killed after its fetch, an answer lost with the
                    # connection), they would come again only after the acknowledgement's wait and
                    # be passed over then, being at or before the position saved meanwhile.
                    await _forget_consumer(js, feed, credentials, durable)
                    feed = None
                    break
                if sequence == position + 1:
                    await handler(FeedEvent(id=sequence, cloudevent=_cloudevent(message)))
                    positions.save(sequence)
                await message.ack()
                if stop.is_set():
                    # The rest of the fetch, unacknowledged, is the next start's (see above).
                    break
    finally:
        await nc.close()
