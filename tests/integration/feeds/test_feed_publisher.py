"""Publishing to a region's feed on a real nats-server, at a moment when no stream hears the feed."""

from __future__ import annotations

import threading
import time
import uuid

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


def test_a_publish_that_no_stream_hears_yet_is_sent_again_until_the_stream_takes_it(nats_server):
    """In a cluster a feed's new stream is heard on the other nodes a moment after it was created;
    a publish in that moment reaches nobody and must wait for the stream, not fail the fan-out."""
    layout = FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.handle(c.RegisterRegion(region="r1", name="R1", principal="test", authority=EXTERNAL))
    [notification] = app.recorder.select_notifications(start=1, limit=1)
    event = app.mapper.to_domain_event(notification)
    publisher = FeedPublisher(NatsClient(nats_server.url), layout)
    operator = NatsClient(nats_server.url)
    stream = layout.stream(REGION)
    publisher.ensure_feed(REGION)  # the publisher knows the feed, empty
    operator.run(operator.api(f"$JS.API.STREAM.DELETE.{stream}"))  # and now nobody hears it

    def create_the_stream_later() -> None:
        time.sleep(UNHEARD_SECONDS)
        config = feed_stream_config(stream, layout.subjects(REGION), 1)
        operator.run(operator.api(f"$JS.API.STREAM.CREATE.{stream}", config))

    creator = threading.Thread(target=create_the_stream_later)
    creator.start()
    try:
        started = time.monotonic()
        assert publisher.publish(event, notification.id, frozenset({REGION})) == 1
        waited = time.monotonic() - started
        creator.join()
        info = operator.run(operator.api(f"$JS.API.STREAM.INFO.{stream}"))
        assert info["state"]["messages"] == 1
        assert waited >= UNHEARD_SECONDS * 0.9  # it was sent while nobody heard it, and waited
    finally:
        creator.join()
        operator.run(operator.api(f"$JS.API.STREAM.DELETE.{stream}"))
        publisher.client.close()
        operator.close()
        app.close()


def test_a_feed_whose_stream_was_deleted_is_made_again_by_the_next_publish(nats_server):
    """A publish that nobody hears until the client's timeout fails; the next one does not trust the
    feed it knew but looks it up, finds it gone and makes it again."""
    layout = FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.handle(c.RegisterRegion(region="r1", name="R1", principal="test", authority=EXTERNAL))
    [notification] = app.recorder.select_notifications(start=1, limit=1)
    event = app.mapper.to_domain_event(notification)
    publisher = FeedPublisher(NatsClient(nats_server.url, timeout=0.5), layout)
    operator = NatsClient(nats_server.url)
    stream = layout.stream(REGION)
    try:
        publisher.ensure_feed(REGION)
        operator.run(operator.api(f"$JS.API.STREAM.DELETE.{stream}"))
        with pytest.raises(NoRespondersError):
            publisher.publish(event, notification.id, frozenset({REGION}))
        assert publisher.publish(event, notification.id, frozenset({REGION})) == 1
        info = operator.run(operator.api(f"$JS.API.STREAM.INFO.{stream}"))
        assert info["state"]["messages"] == 1
    finally:
        operator.run(operator.api(f"$JS.API.STREAM.DELETE.{stream}"))
        publisher.client.close()
        operator.close()
        app.close()
