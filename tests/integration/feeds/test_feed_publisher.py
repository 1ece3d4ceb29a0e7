"""Publishing to a region's feed on a real nats-server, at moments when no stream hears the feed."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from nats.errors import NoRespondersError

from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher, feed_stream_config
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL

REGION = "west"
# Long enough that the publish certainly finds nobody listening first; well within the client's timeout.
UNHEARD_SECONDS = 0.5


@dataclass
class Feed:
    """A region's feed that its publisher knows, empty, and whose stream an operator deletes."""

    layout: FeedLayout
    operator: NatsClient
    event: Any
    position: int

    @property
    def stream(self) -> str:
        return self.layout.stream(REGION)

    def publisher(self, url: str, timeout: float = 5.0) -> FeedPublisher:
        publisher = FeedPublisher(NatsClient(url, timeout=timeout), self.layout)
        publisher.ensure_feed(REGION)
        return publisher

    def delete_the_stream(self) -> None:
        self.operator.run(self.operator.api(f"$JS.API.STREAM.DELETE.{self.stream}"))

    def messages(self) -> int:
        info = self.operator.run(self.operator.api(f"$JS.API.STREAM.INFO.{self.stream}"))
        return info["state"]["messages"]


@pytest.fixture
def feed(nats_server) -> Iterator[Feed]:
    layout = FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.handle(c.RegisterRegion(region="r1", name="R1", principal="test", authority=EXTERNAL))
    [notification] = app.recorder.select_notifications(start=1, limit=1)
    operator = NatsClient(nats_server.url)
    feed = Feed(layout, operator, app.mapper.to_domain_event(notification), notification.id)
    try:
        yield feed
        feed.delete_the_stream()
    finally:
        operator.close()
        app.close()


def test_a_publish_that_no_stream_hears_yet_is_sent_again_until_the_stream_takes_it(
    nats_server, feed: Feed
) -> None:
    """In a cluster a feed's new stream is heard on the other nodes a moment after it was created;
    a publish in that moment reaches nobody and must wait for the stream, not fail the fan-out."""
    publisher = feed.publisher(nats_server.url)
    feed.delete_the_stream()  # nobody hears the feed now

    def create_the_stream_later() -> None:
        time.sleep(UNHEARD_SECONDS)
        config = feed_stream_config(feed.stream, feed.layout.subjects(REGION), 1)
        feed.operator.run(feed.operator.api(f"$JS.API.STREAM.CREATE.{feed.stream}", config))

    creator = threading.Thread(target=create_the_stream_later)
    creator.start()
    try:
        started = time.monotonic()
        assert publisher.publish(feed.event, feed.position, frozenset({REGION})) == 1
        waited = time.monotonic() - started
        creator.join()
        assert feed.messages() == 1
        assert waited >= UNHEARD_SECONDS * 0.9  # it was sent while nobody heard it, and waited
    finally:
        creator.join()
        publisher.client.close()


def test_a_feed_whose_stream_was_deleted_is_made_again_by_the_next_publish(
    nats_server, feed: Feed
) -> None:
    """A publish that nobody hears until the client's timeout fails; the next one does not trust the
    feed it knew but looks it up, finds it gone and makes it again."""
    publisher = feed.publisher(nats_server.url, timeout=0.5)
    try:
        feed.delete_the_stream()
        with pytest.raises(NoRespondersError):
            publisher.publish(feed.event, feed.position, frozenset({REGION}))
        assert publisher.publish(feed.event, feed.position, frozenset({REGION})) == 1
        assert feed.messages() == 1
    finally:
        publisher.client.close()
