"""Region feeds over HTTP: Server-Sent Events for region systems that cannot speak NATS, and the
AsyncAPI document of the NATS feeds.

`GET /regions/{region}/feed` streams the region's feed: each event is one SSE message whose ``id`` is its
sequence in the region's feed, whose ``event`` is its CloudEvents type and whose ``data`` is the
CloudEvent in structured mode (JSON, attributes and ``data``). A client that reconnects with
``Last-Event-ID`` receives exactly the messages after that one. Idle streams get a comment every
``KEEP_ALIVE_SECONDS`` so that proxies keep them open.

A stream is a request that lasts: it ends once its token no longer admits it, like every other request
after a revocation (``api.security.TOKEN_CACHE_SECONDS``). The token is checked again every
``ACCESS_CHECK_SECONDS``, through the worker's token cache, so the stream ends at most that much later.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.response import Response, ServerSentEvent, ServerSentEventMessage

from adapters.nats.client import JetStreamApiError, raise_for_error
from adapters.nats.feeds import FeedLayout, FeedMessage, check_region, follow_feed
from api.asyncapi import DOCUMENT_PATH
from api.schemas import log_number

KEEP_ALIVE_SECONDS = 15.0
ACCESS_CHECK_SECONDS = 1.0

# Whether the stream's token still admits it (checked again while the stream lasts).
StillAllowed = Callable[[], Awaitable[bool]]


def resume_after(last_event_id: str | None) -> int:
    """The feed sequence a reconnecting client last received (0: from the beginning)."""
    if last_event_id is None or last_event_id == "":
        return 0
    sequence = log_number(last_event_id)
    if sequence is None:
        raise ValidationException(
            f"Last-Event-ID must be the id of a message of this feed (a sequence number), "
            f"not {last_event_id!r}"
        )
    return sequence


async def _feed_end(nc: Any, layout: FeedLayout, region: str) -> int:
    """The sequence of the feed's last message (0: none yet); NotFound if the region has no feed."""
    try:
        check_region(region)
        reply = await nc.request(f"$JS.API.STREAM.INFO.{layout.stream(region)}", b"", timeout=5)
        info = msgspec.json.decode(reply.data or b"{}")
        raise_for_error(info)
        return int(info["state"]["last_seq"])
    except ValueError as error:
        raise NotFoundException(f"no region {region!r}: {error}") from error
    except JetStreamApiError as error:
        if error.code == 404:
            raise NotFoundException(
                f"region {region!r} has no feed (not a registered region)"
            ) from None
        raise


async def _messages(
    nc: Any, layout: FeedLayout, region: str, after: int, still_allowed: StillAllowed
) -> AsyncIterator[ServerSentEventMessage]:
    queue: asyncio.Queue[FeedMessage] = asyncio.Queue(maxsize=1000)

    async def pump() -> None:
        async for message in follow_feed(nc, layout, region, after):
            await queue.put(message)

    reader = asyncio.create_task(pump())
    checked = idle_since = time.monotonic()
    try:
        while True:
            if time.monotonic() - checked >= ACCESS_CHECK_SECONDS:
                if not await still_allowed():
                    yield ServerSentEventMessage(comment="the token was revoked; the stream ends")
                    return
                checked = time.monotonic()
            try:
                message = await asyncio.wait_for(queue.get(), ACCESS_CHECK_SECONDS)
            except TimeoutError:
                if reader.done():
                    reader.result()  # the feed ended with an error: end the stream with it
                    return
                if time.monotonic() - idle_since >= KEEP_ALIVE_SECONDS:
                    idle_since = time.monotonic()
                    yield ServerSentEventMessage(comment="keep-alive")
                continue
            idle_since = time.monotonic()
            yield ServerSentEventMessage(
                id=message.sequence,
                event=message.headers.get("ce-type"),
                data=message.structured().decode(),
            )
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def region_feed_response(
    nc: Any, layout: FeedLayout, region: str, last_event_id: str | None, still_allowed: StillAllowed
) -> ServerSentEvent:
    after = resume_after(last_event_id)
    end = await _feed_end(nc, layout, region)
    if after > end:
        # Never an id of this feed (nothing in it is deleted): a position of another installation or
        # region. Followed, it would pass over everything the feed gets until it got that far.
        raise ValidationException(
            f"Last-Event-ID {after} is past the last message of this feed ({end}): "
            "not the id of one of its messages"
        )
    return ServerSentEvent(_messages(nc, layout, region, after, still_allowed))


@get("/asyncapi.yaml", media_type="application/yaml", include_in_schema=False, sync_to_thread=False)
def asyncapi_document_route() -> Response[bytes]:
    """The AsyncAPI 3 document of the region feeds on NATS."""
    return Response(DOCUMENT_PATH.read_bytes(), media_type="application/yaml")


def last_event_id(request: Request[Any, Any, Any]) -> str | None:
    # Several different ids have no one meaning: taking the first would make the answer depend on
    # the headers' order (one order streamed, the other was refused as past the feed's end).
    given = set(request.headers.getall("last-event-id", []))
    if len(given) > 1:
        raise ValidationException(
            f"Last-Event-ID given more than once, with different ids: {sorted(given)!r}"
        )
    return given.pop() if given else None
