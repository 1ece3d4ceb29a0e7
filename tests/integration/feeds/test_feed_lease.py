"""Two service processes on one log and one read-model database: only the holder of the feeds' lease fans
out, and when it stops or dies the other takes over, every event reaching its feeds exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select

from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from adapters.nats.server import NatsServer
from domain.audience import Audience
from projections.feeds import FEEDS_LEASE_NAME, FeedProjection
from projections.lease import Lease
from projections.schema import lease_table
from services.application import GovernanceApplication
from tests.integration.projections.scenario import build_world
from tests.integration.region_systems import feed_contents

# Long enough that a busy machine does not make the holder miss a renewal.
LEASE_SECONDS = 5
# Generous: catches a projection that never gets there, not a slow one.
CATCH_UP_SECONDS = 60


class Process:
    """What one service process runs of the fan-out: its own application, connection and lease."""

    def __init__(
        self, env: dict[str, str], url: str, layout: FeedLayout, engine: Engine, holder: str
    ):
        self.app = GovernanceApplication(env=env)
        lease = Lease(engine, LEASE_SECONDS, name=FEEDS_LEASE_NAME, holder=holder)
        self.projection = FeedProjection(self.app, FeedPublisher(NatsClient(url), layout), lease)

    def caught_up(self) -> bool:
        return self.projection.wait_for(
            self.app.recorder.max_notification_id() or 0, CATCH_UP_SECONDS
        )

    def stop(self) -> None:
        self.projection.stop()
        self.projection.publisher.client.close()
        self.app.close()


@pytest.fixture
def layout() -> FeedLayout:
    return FeedLayout(
        stream_prefix=f"F{uuid.uuid4().hex[:8]}", subject_prefix=f"f{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture
def processes(
    nats_server: NatsServer, nats_env: dict[str, str], layout: FeedLayout, engine: Engine
) -> Iterator[Callable[[str], Process]]:
    started: dict[str, Process] = {}

    def process(holder: str) -> Process:
        started[holder] = Process(nats_env, nats_server.url, layout, engine, holder)
        return started[holder]

    yield process
    for running in started.values():
        running.stop()


def lease_holder(engine: Engine) -> str | None:
    leases = lease_table()
    with engine.connect() as connection:
        return connection.execute(
            select(leases.c.holder).where(leases.c.name == FEEDS_LEASE_NAME)
        ).scalar()


def expected_feeds(app: GovernanceApplication) -> dict[str, list[int]]:
    """The log positions each region's feed must hold, in order: the audience rule over the whole log."""
    audience = Audience()
    feeds: dict[str, list[int]] = {}
    for notification in app.recorder.select_notifications(start=1, limit=100_000):
        for region in audience.regions_concerned(app.mapper.to_domain_event(notification)):
            feeds.setdefault(region, []).append(notification.id)
    return feeds


def test_only_the_holder_fans_out_and_the_other_takes_over_when_it_stops(
    processes: Callable[[str], Process], nats_server: NatsServer, layout: FeedLayout, engine: Engine
) -> None:
    first = processes("first")
    build_world(first.app, prefix="voor-")
    first.projection.start()
    assert first.caught_up()
    second = processes("second")
    second.projection.start()

    build_world(first.app, prefix="tijdens-")
    assert first.caught_up()
    assert lease_holder(engine) == "first"
    assert second.projection.position == 0, "the stand-by fanned out while the other held the lease"

    first.projection.stop()  # gives the lease up
    build_world(second.app, prefix="na-")
    assert second.caught_up()
    assert lease_holder(engine) == "second"
    expected = expected_feeds(second.app)
    assert {"voor-oost", "tijdens-oost", "na-oost"} <= set(expected)
    assert feed_contents(nats_server.url, layout) == expected


def test_a_holder_that_died_is_taken_over_once_its_lease_expired(
    processes: Callable[[str], Process], nats_server: NatsServer, layout: FeedLayout, engine: Engine
) -> None:
    # A process killed while it held the lease never gives it up; its last renewal was a short one.
    assert Lease(engine, 0.5, name=FEEDS_LEASE_NAME, holder="killed").acquire()
    second = processes("second")
    build_world(second.app)
    second.projection.start()
    assert second.caught_up()
    assert lease_holder(engine) == "second"
    assert feed_contents(nats_server.url, layout) == expected_feeds(second.app)
