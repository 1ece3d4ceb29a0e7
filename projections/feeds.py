"""The region-feed projection: follows the event log and fans each event out to the regions it concerns.

It reads the log through the application's recorder (``subscribe``) and decodes events with the
application's mapper, so it does not depend on how the recorder lays out its messages. Which regions an
event concerns is ``domain.audience``; publishing, positions and exactly-once are
``adapters.nats.feeds``.

On start it reads the log from the beginning: the audience rule needs every membership, participation
and party recorded before an event, and each feed's own position decides what is still to publish. A
failed publish (NATS restarting, say) is retried until it succeeds or the projection stops; nothing is
skipped.

Only one process fans out at a time when several serve one log and one database: the projection holds
a lease of its own (``projections.lease``, named ``region-feeds``) while it follows, renews it from a
thread of its own (the log can be quiet for longer than the lease lasts), and stands by, retrying,
while another process holds it. Having lost it, it stops following and stands by again. As with the
maps, the lease only saves work: a feed's own position keeps each event in it once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from adapters.nats.feeds import FeedPublisher
from domain.audience import Audience
from projections.lease import Lease

log = logging.getLogger(__name__)
_RETRY_SECONDS = 0.5
FEEDS_LEASE_NAME = "region-feeds"


class FeedProjection:
    def __init__(self, app: Any, publisher: FeedPublisher, lease: Lease | None = None) -> None:
        self.app = app
        self.publisher = publisher
        self.lease = lease
        self.audience = Audience()
        self._position = 0
        self._progress = threading.Condition()
        self._stopped = threading.Event()
        self._subscription: Any = None
        self._thread: threading.Thread | None = None

    @property
    def position(self) -> int:
        """The log position of the last event this process fanned out (or found already in its feeds);
        it stays put while another process holds the lease."""
        return self._position

    def start(self) -> FeedProjection:
        self._thread = threading.Thread(target=self._run, name="region-feeds", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops following the log; returns once nothing of the projection runs any more.

        It waits for the thread without a time limit: every read and publish it may be in has a NATS
        timeout, and the connections must outlive them (a call on a closed connection never returns).
        """
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.stop()
        if self._thread is not None:
            self._thread.join()
        if self.lease is not None:
            self.lease.release()

    def wait_for(self, position: int, timeout: float | None = None) -> bool:
        """Blocks until the projection has reached log ``position``; False if ``timeout`` ran out."""
        with self._progress:
            return self._progress.wait_for(lambda: self._position >= position, timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                if self.lease is not None and not self.lease.acquire():
                    self._stopped.wait(self.lease.retry_seconds)
                    continue
                self._follow()
            except Exception:  # noqa: BLE001 - the log, NATS or the database is away; resume
                log.exception("region feeds: reading the event log failed; retrying")
                self._stopped.wait(_RETRY_SECONDS)

    def _follow(self) -> None:
        with self.app.recorder.subscribe(gt=self._position or None) as subscription:
            self._subscription = subscription
            if self._stopped.is_set():
                return
            if self.lease is None:
                self._fan_out(subscription)
                return
            following = threading.Event()
            keeper = threading.Thread(
                target=self._keep_lease,
                args=(self.lease, subscription, following),
                name="region-feeds-lease",
                daemon=True,
            )
            keeper.start()
            try:
                self._fan_out(subscription)
            finally:
                following.set()
                keeper.join()

    def _keep_lease(self, lease: Lease, subscription: Any, following: threading.Event) -> None:
        """Renews the lease while the fan-out follows; once it is lost (or cannot be renewed), ends
        the subscription, so the fan-out stops and stands by."""
        while not following.wait(lease.retry_seconds):
            try:
                if lease.renew():
                    continue
                log.info("region feeds: another process holds the lease now; standing by")
            except Exception:  # noqa: BLE001 - unrenewable is as good as lost once it expires
                log.exception("region feeds: renewing the lease failed; standing by")
            subscription.stop()
            return

    def _fan_out(self, subscription: Any) -> None:
        for notification in subscription:
            event = self.app.mapper.to_domain_event(notification)
            regions = self.audience.regions_concerned(event)
            self._publish(event, notification.id, regions)
            with self._progress:
                self._position = notification.id
                self._progress.notify_all()
            if self._stopped.is_set():
                return

    def _publish(self, event: Any, position: int, regions: frozenset[str]) -> None:
        while True:
            try:
                for region in self.audience.known_regions - self.publisher.known_feeds:
                    self.publisher.ensure_feed(region)
                self.publisher.publish(event, position, regions)
                return
            except Exception:  # noqa: BLE001 - retry the same event: skipping it would lose it
                if self._stopped.is_set():
                    raise
                log.exception("region feeds: publishing log position %s failed; retrying", position)
                self._stopped.wait(_RETRY_SECONDS)
