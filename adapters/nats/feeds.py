"""Region feeds on JetStream: one stream per region, CloudEvents in binary mode, exactly once per feed.

Layout: the feed of region ``<region>`` is the stream ``<STREAM_PREFIX>_<region>`` with the subjects
``feed.<region>.<Aggregate>.<Event>`` (``feed.zuid-limburg.AccountHoldership.HolderTransferred``), so a
region system may filter on one aggregate kind (``feed.<region>.AccountHoldership.>``) or one event type.
A stream per region makes NATS permissions exact (a region's rights name its own stream, so it cannot
read or consume another region's consumers or messages) and makes stream sequences the region's own:
a region system resumes from a sequence of its feed without learning how busy other regions are.

Messages follow the CloudEvents 1.0 NATS binding in binary mode: attributes in headers, the event as
msgspec JSON in the body.

- the attributes of ``adapters.cloudevents``, each prefixed ``ce-``: ``ce-specversion`` ``1.0``;
  ``ce-id`` ``<aggregate id>:<version>`` (an event's identity, the same in every feed and on every
  re-run); ``ce-source`` ``/regiekaart/events``; ``ce-type`` ``nl.regiekaart.<Aggregate>.<Event>``;
  ``ce-subject`` ``<kind>/<slug>`` of the aggregate; ``ce-time``: the start of the fact's valid time,
  when known (its precision is in the body's ``valid_from``); ``ce-recordedtime``: when it was recorded;
- ``ce-sequence``: its position in the log;
- ``Content-Type: application/json``; ``Nats-Msg-Id`` ``<ce-id>:<region>``.

Exactly once into each feed: every publish carries ``Nats-Expected-Last-Sequence`` (the feed's last
sequence as this publisher knows it), and a feed's last message records the log position it came from
(``ce-sequence``). A publisher that starts (or restarts, or races another) reads each feed's position
and publishes only events after it, so re-running the fan-out from the start of the log adds nothing,
however long after the duplicate window. Region systems read at least once: a message redelivered after
a missed acknowledgement has the same ``ce-id``, which is their deduplication id.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.js.api import ConsumerConfig, DeliverPolicy

from adapters.cloudevents import event_attributes, rfc3339
from adapters.event_log_format import stream_config
from adapters.nats.client import JetStreamApiError, NatsClient, OutgoingMessage, raise_for_error
from domain.events import describe

WRONG_LAST_SEQUENCE = 10071
_ATTEMPTS = 10
# How long a publish that no stream heard waits before it is sent again.
_UNHEARD_PAUSE_SECONDS = 0.05
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class FeedLayout(msgspec.Struct, frozen=True, kw_only=True):
    """Where the feeds live: stream names and subjects (tests give each server its own prefixes)."""

    stream_prefix: str = "REGIEKAART_FEED"
    subject_prefix: str = "feed"

    def stream(self, region: str) -> str:
        return f"{self.stream_prefix}_{check_region(region)}"

    def subjects(self, region: str) -> str:
        return f"{self.subject_prefix}.{check_region(region)}.>"

    def subject(self, region: str, event_type: str) -> str:
        return f"{self.subject_prefix}.{check_region(region)}.{event_type}"


def check_region(region: str) -> str:
    """A region slug, which must be usable as one subject token and in a stream name."""
    if not _REGION.match(region):
        raise ValueError(
            f"not a region slug: {region!r} (lower-case letters, digits and hyphens, e.g. zuid-limburg)"
        )
    return region


def usable_region(region: str) -> bool:
    """Whether a feed can be made for the region slug (the log may hold slugs recorded before they
    were checked at the edge)."""
    return bool(_REGION.match(region)) and len(region) <= 64


# Consumers a region's feed may have at once: its system's durable consumers, and one per reader of the
# feed through the API (Server-Sent Events). Bounds what one region system can make the server keep.
MAX_CONSUMERS_PER_FEED = 100


def feed_stream_config(name: str, subjects: str, replicas: int = 1) -> dict[str, Any]:
    """A region's feed is kept whole and unchangeable, like the log it comes from: a region system may
    start from the beginning at any time. Its consumers are bounded (MAX_CONSUMERS_PER_FEED)."""
    return {
        **stream_config(name, replicas),
        "subjects": [subjects],
        "max_consumers": MAX_CONSUMERS_PER_FEED,
    }


def event_type(event: Any) -> str:
    """``<Aggregate>.<Event>``: event names alone repeat across aggregates (``Registered``)."""
    return type(event).__qualname__


def cloudevent_headers(event: Any, position: int) -> dict[str, str]:
    """The CloudEvents attributes of ``event`` (stored at log ``position``) as NATS headers."""
    info = describe(event)
    attributes = event_attributes(
        originator_id=event.originator_id,
        version=event.originator_version,
        event_type=event_type(event),
        subject=f"{info.aggregate_kind}/{info.slug}",
        recorded_at=rfc3339(event.timestamp),
        valid_from=event.valid_from.value,
    )
    headers = {f"ce-{name}": value for name, value in attributes.items()}
    headers["ce-sequence"] = str(position)
    headers["Content-Type"] = "application/json"
    return headers


_encode = msgspec.json.Encoder().encode


def cloudevent_body(event: Any) -> bytes:
    return _encode(vars(event))


class _Feed(msgspec.Struct):
    """What the publisher knows of one feed: its last stream sequence and the log position it holds."""

    last_sequence: int
    position: int


class _Changed(Exception):
    """Another publisher wrote to a feed since this one last knew it."""


class FeedPublisher:
    """Publishes events to region feeds, each at most once per feed, over a connection of its own."""

    def __init__(self, client: NatsClient, layout: FeedLayout = FeedLayout(), replicas: int = 1):
        self.client = client
        self.layout = layout
        self.replicas = replicas
        self._feeds: dict[str, _Feed] = {}

    @property
    def known_feeds(self) -> frozenset[str]:
        return frozenset(self._feeds)

    def position(self, region: str) -> int:
        """The log position of the last event in the region's feed (0 for an empty feed)."""
        return self.client.run(self._feed(region)).position

    def ensure_feed(self, region: str) -> None:
        self.client.run(self._feed(region))

    def publish(self, event: Any, position: int, regions: frozenset[str]) -> int:
        """Publishes ``event`` to each region's feed that does not hold it yet; returns how many did.

        Works on the caller's thread, as a save does (``NatsClient.write_all``): the copies for all
        the regions go on the socket together and their answers are awaited together; the client's
        loop is asked for nothing else unless a feed must be looked up. Through the loop (a task,
        nats-py's request and flusher) the fan-out took 0.45-0.85 ms (p50, load 6-14) from an event
        decoded to its publish sent, on the way from a command to the region systems."""
        if not regions:
            return 0
        body = cloudevent_body(event)
        headers = cloudevent_headers(event, position)
        subject_tail = event_type(event)
        published = 0
        failures: list[BaseException] = []
        left = sorted(regions)
        # Each conflict means another publisher made progress on a feed, so this ends quickly.
        for _ in range(_ATTEMPTS):
            sending = {
                region: feed for region in left if (feed := self._known(region)).position < position
            }
            answers = self._send_all(
                {
                    region: (
                        self.layout.subject(region, subject_tail),
                        body,
                        {
                            **headers,
                            "Nats-Msg-Id": f"{headers['ce-id']}:{region}",
                            "Nats-Expected-Last-Sequence": str(feed.last_sequence),
                        },
                    )
                    for region, feed in sending.items()
                }
            )
            left = []
            for region, outcome in answers.items():
                try:
                    if self._took(region, outcome, position):
                        published += 1
                except _Changed:
                    left.append(region)
                except Exception as error:  # noqa: BLE001 - raised below, once every answer is in
                    failures.append(error)
            if failures:
                # The feeds that took the event know it (above); the fan-out tries this one again.
                raise failures[0]
            if not left:
                return published
        raise JetStreamApiError(409, WRONG_LAST_SEQUENCE, f"the feed of {left[0]} keeps changing")

    def _known(self, region: str) -> _Feed:
        feed = self._feeds.get(region)
        return feed if feed is not None else self.client.run(self._feed(region))

    def _took(self, region: str, outcome: bytes | BaseException, position: int) -> bool:
        """Whether the feed took the event now (False: it had it already); raises _Changed if another
        publisher wrote to it first, or the publish's error."""
        if isinstance(outcome, NoRespondersError):
            # Still unheard after the client's timeout: the feed's stream may be gone (an operator
            # deleted it), so the next attempt looks it up, and makes it, afresh.
            self._feeds.pop(region, None)
        if isinstance(outcome, BaseException):
            raise outcome
        answer = msgspec.json.decode(outcome)
        error = answer.get("error")
        if error and error.get("err_code") == WRONG_LAST_SEQUENCE:
            # Another publisher wrote to this feed: learn its position and decide again.
            self._feeds.pop(region, None)
            raise _Changed
        raise_for_error(answer)
        if answer.get("duplicate"):
            # Published before within the duplicate window, but unknown to us: read the feed back.
            self._feeds.pop(region, None)
            return False
        self._feeds[region] = _Feed(last_sequence=int(answer["seq"]), position=position)
        return True

    def _send_all(self, messages: dict[str, OutgoingMessage]) -> dict[str, bytes | BaseException]:
        """Publishes each region's message and returns JetStream's answers, by region. A feed's stream
        created a moment ago in a cluster may not be heard on the node this connection reaches yet
        (the stream's interest travels the cluster's routes): nobody took the message then, so it is
        sent again, until the client's timeout, rather than failing the fan-out."""
        deadline = time.monotonic() + self.client.timeout
        outcomes: dict[str, bytes | BaseException] = {}
        while messages:
            unheard = {}
            answers = self.client.write_all(list(messages.values()))
            for (region, message), outcome in zip(messages.items(), answers, strict=True):
                if (
                    isinstance(outcome, NoRespondersError)
                    and time.monotonic() + _UNHEARD_PAUSE_SECONDS < deadline
                ):
                    unheard[region] = message
                else:
                    outcomes[region] = outcome
            if unheard:
                time.sleep(_UNHEARD_PAUSE_SECONDS)
            messages = unheard
        return outcomes

    async def _feed(self, region: str) -> _Feed:
        feed = self._feeds.get(region)
        if feed is not None:
            return feed
        stream = self.layout.stream(region)
        try:
            info = await self.client.api(f"$JS.API.STREAM.INFO.{stream}", repeatable=True)
        except JetStreamApiError as error:
            if error.code != 404:
                raise
            config = feed_stream_config(stream, self.layout.subjects(region), self.replicas)
            info = await self.client.api(f"$JS.API.STREAM.CREATE.{stream}", config)
        last_sequence = int(info["state"]["last_seq"])
        position = 0
        if last_sequence:
            last = await self.client.request(
                f"$JS.API.DIRECT.GET.{stream}",
                msgspec.json.encode({"seq": last_sequence}),
                repeatable=True,
            )
            position = int(_header(last, "ce-sequence"))
        feed = self._feeds[region] = _Feed(last_sequence=last_sequence, position=position)
        return feed


def _header(message: Msg, name: str) -> str:
    headers = message.headers or {}
    if name not in headers:
        raise JetStreamApiError(
            int(headers.get("Status", 500)), 0, f"feed message without {name}: {headers}"
        )
    return headers[name]


class FeedMessage(msgspec.Struct, frozen=True):
    """One message of a region's feed, with its sequence in that feed."""

    sequence: int
    headers: dict[str, str]
    data: bytes

    def structured(self) -> bytes:
        """The CloudEvent in structured mode (JSON), for readers that get no headers (SSE)."""
        attributes = {
            name.removeprefix("ce-"): value
            for name, value in self.headers.items()
            if name.startswith("ce-")
        }
        attributes["datacontenttype"] = self.headers.get("Content-Type", "application/json")
        return b"".join((_encode(attributes)[:-1], b',"data":', self.data or b"null", b"}"))


async def follow_feed(
    nc: Any, layout: FeedLayout, region: str, after: int = 0
) -> AsyncIterator[FeedMessage]:
    """The region's feed from the message after sequence ``after``, then live, until cancelled.

    Reads with an ordered consumer (ephemeral, acknowledgement-free, recreated by the client if a
    message goes missing), so a reader that goes away leaves nothing behind on the server.
    """
    js = nc.jetstream()
    options: dict[str, Any] = (
        {
            "deliver_policy": DeliverPolicy.BY_START_SEQUENCE,
            "config": ConsumerConfig(opt_start_seq=after + 1),
        }
        if after
        else {"deliver_policy": DeliverPolicy.ALL}
    )
    subscription = await js.subscribe(
        layout.subjects(region), stream=layout.stream(region), ordered_consumer=True, **options
    )
    try:
        async for message in subscription.messages:
            yield FeedMessage(
                sequence=message.metadata.sequence.stream,
                headers=dict(message.headers or {}),
                data=message.data,
            )
    finally:
        await subscription.unsubscribe()
