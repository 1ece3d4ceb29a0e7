"""One event the region feeds cannot carry does not silence them: a log that already holds region
registrations with unusable slugs (``evil.>``, ``Bad Region``, recorded as the code before slugs were
checked would have recorded them) is fanned out past them; they are set aside, counted in /metrics,
listed for auditors and named by /ready."""

from __future__ import annotations

import uuid

import httpx

from adapters.nats.client import JetStreamApiError, NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from adapters.settings import Settings
from entrypoints.runtime import governance_application
from tests.e2e.healing import service_nats_url, unchecked_region, wait_for
from tests.e2e.service import start_service

UNUSABLE = ["evil.>", "Bad Region"]


def test_an_unusable_region_slug_is_set_aside_and_the_feeds_go_on(tmp_path, own_database_url):
    service = start_service(tmp_path, database_url=own_database_url, workers=1)
    url = service_nats_url(service, tmp_path)
    app = governance_application(Settings(data_dir=tmp_path), url)
    client = NatsClient(url)
    try:
        poisoned = [app.save(unchecked_region(slug))[0].notification.id for slug in UNUSABLE]
        later = f"nieuw-{uuid.uuid4().hex[:8]}"
        position = app.save(unchecked_region(later))[0].notification.id

        def feed_position() -> int:
            """The feed's position, read afresh; 0 while the fan-out has not made the feed."""
            try:
                client.run(client.api(f"$JS.API.STREAM.INFO.{FeedLayout().stream(later)}"))
            except JetStreamApiError:
                return 0
            return FeedPublisher(client).position(later)

        wait_for(lambda: feed_position() >= position, 60, f"the feed of {later}")

        with service.client(service.admin_token) as admin:
            set_aside = admin.get("/audit/set-aside-events").json()
            ready = wait_for(
                lambda: (r := httpx.get(f"{service.url}/ready")).status_code == 200 and r,
                60,
                "ready",
            ).json()
            metrics = admin.get("/metrics").text
        feeds_set_aside = [e for e in set_aside if e["worker"] == "region-feeds"]
        assert [e["position"] for e in feeds_set_aside] == poisoned
        assert all(e["event_type"] == "Region.Registered" for e in feeds_set_aside)
        assert "'evil.>'" in feeds_set_aside[0]["reason"]
        assert "'Bad Region'" in feeds_set_aside[1]["reason"]
        assert ready["checks"]["region_feeds"] == "caught up"
        assert (
            f"region-feeds at {poisoned[0]} (Region.Registered)"
            in ready["checks"]["set_aside_events"]
        )
        assert 'regiekaart_events_set_aside_total{worker="region-feeds"} 2.0' in metrics
    finally:
        client.close()
        app.close()
        service.stop()
