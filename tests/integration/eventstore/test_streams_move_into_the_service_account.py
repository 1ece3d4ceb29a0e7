"""A data directory from before the NATS accounts: its embedded server kept the streams in the global
account `$G`, which a configuration cannot name (nor export from to the region systems' accounts). The
embedded event store moves them into the service's account before it starts the server: every event
recorded before is still there, in order, and the service records on after them; a region system then
reads its feed through its own account."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from adapters.nats.access import SERVICE_ACCOUNT, feed_access, url_with_credentials
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from adapters.nats.server import GLOBAL_ACCOUNT, NatsServer
from adapters.settings import Settings
from entrypoints.runtime import event_store, governance_application
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
from tests.fixtures.processes import free_port
from tests.integration.region_systems import connect_as, drain, feed_jetstream

ZUID = "zuid-limburg"


def register(app: GovernanceApplication, region: str) -> None:
    app.handle(
        c.RegisterRegion(region=region, name=region.title(), principal="test", authority=EXTERNAL)
    )


def recorded(app: GovernanceApplication) -> list[tuple[str, int]]:
    return [
        (str(n.originator_id), n.originator_version)
        for n in app.recorder.select_notifications(start=1, limit=1000)
    ]


def global_account_configuration(settings: Settings) -> str:
    """The access configuration as it was before the accounts: users only, all in `$G`."""
    service = feed_access(settings).service()
    user = {"user": service.user, "password": service.password}
    return f"authorization {{\n  users = [ {json.dumps(user)} ]\n}}\n"


def test_an_event_log_in_the_global_account_is_kept_and_recorded_on(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_port=0)
    old = NatsServer(
        settings.nats_data_dir,
        port=free_port(),
        monitor_port=free_port(),
        extra_config=global_account_configuration(settings),
    )
    with old:
        url = url_with_credentials(old.url, feed_access(settings).service())
        app = governance_application(settings, url)
        for region in ("noord-limburg", ZUID):
            register(app, region)
        before = recorded(app)
        app.close()
    assert (old.store_dir / "jetstream" / GLOBAL_ACCOUNT).is_dir()
    feed_access(settings).region(ZUID)

    with event_store(settings) as (server_url, service_url):
        app = governance_application(settings, service_url)
        register(app, "zaanstreek-waterland")
        after = recorded(app)
        publisher = FeedPublisher(NatsClient(service_url), FeedLayout())
        for notification in app.recorder.select_notifications(start=1, limit=len(after)):
            event = app.mapper.to_domain_event(notification)
            publisher.publish(event, notification.id, frozenset({ZUID}))
        publisher.client.close()
        app.close()

        async def read_feed() -> int:
            nc = await connect_as(server_url, feed_access(settings), ZUID)
            subscription = await feed_jetstream(nc).pull_subscribe(
                f"feed.{ZUID}.>", durable="dashboard", stream=FeedLayout().stream(ZUID)
            )
            messages = await drain(subscription)
            await nc.close()
            return len(messages)

        read = asyncio.run(read_feed())

    assert after[: len(before)] == before and len(after) > len(before)
    assert read == len(after)
    assert not (old.store_dir / "jetstream" / GLOBAL_ACCOUNT).exists()
    assert (old.store_dir / "jetstream" / SERVICE_ACCOUNT).is_dir()
