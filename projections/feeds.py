"""The region-feed projection: follows the event log and fans each event out to the regions it concerns.

It reads the log through the application's recorder (``subscribe``) and decodes events with the
application's mapper, so it does not depend on how the recorder lays out its messages. Which regions an
event concerns is ``domain.audience``; publishing, positions and exactly-once are
``adapters.nats.feeds``.

On start it reads the log from the beginning: the audience rule needs every membership, participation
and party recorded before an event, and each feed's own position decides what is still to publish. A
publish that fails because NATS is away (restarting, say) is retried until it succeeds or the
projection stops. An event that cannot be fanned out however often it is tried (it does not decode, it
names a region whose slug cannot be a subject token or stream name, JetStream refuses it) is set aside
(``projections.work_status``) and the fan-out goes on with the next one: the log is immutable, so one
such event would otherwise stop every region's feed for good. An event that names a usable region
beside an unusable one still reaches the usable region's feed.

Given the check of seals (``SealCheck``), an event of a message that is not sealed by a trusted key
(published onto the log with the service's NATS credentials, past the service) is set aside the same
way, before it is decoded: it reaches no feed and does not change the audience rule's memberships.

Only one process fans out at a time when several serve one log and one database: the projection holds
a lease of its own (``projections.lease``, named ``region-feeds``) while it follows, renews it from a
thread of its own (the log can be quiet for longer than the lease lasts), and stands by, retrying,
while another process holds it. Having lost it, it stops following and stands by again. As with the
maps, the lease only saves work: a feed's own position keeps each event in it once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from adapters.nats.client import unreachable
from adapters.nats.feeds import FeedPublisher, usable_region
from adapters.seal import RefusedNotification
from domain.audience import Audience
from projections.lease import Lease, follow_while_held
from projections.log_source import SealChecks, subscribe
from projections.work_status import FEEDS_WORKER, WorkStatus

log = logging.getLogger(__name__)
_RETRY_SECONDS = 0.5
# Tries of an event that fails while NATS answers, before it is set aside.
_ATTEMPTS_BEFORE_SETTING_ASIDE = 3
# How often at most the fan-out reports its position to the shared database (for /ready).
_REPORT_SECONDS = 1.0
FEEDS_LEASE_NAME = FEEDS_WORKER


class FeedProjection:
    def __init__(
        self,
        app: Any,
        publisher: FeedPublisher,
        lease: Lease | None = None,
        status: WorkStatus | None = None,
        seals: SealChecks | None = None,
    ) -> None:
        self.app = app
        self.seals = seals
        self.publisher = publisher
        self.lease = lease
        self.status = status
        self.set_aside: list[int] = []
        self.audience = Audience()
        self._position = 0
        self._progress = threading.Condition()
        self._stopped = threading.Event()
        self._subscription: Any = None
        self._thread: threading.Thread | None = None
        self._reporter: threading.Thread | None = None

    @property
    def position(self) -> int:
        """The log position of the last event this process fanned out (or found already in its feeds);
        it stays put while another process holds the lease."""
        return self._position

    def start(self) -> FeedProjection:
        self._thread = threading.Thread(target=self._run, name="region-feeds", daemon=True)
        self._thread.start()
        if self.status is not None:
            self._reporter = threading.Thread(
                target=self._report_progress, name="region-feeds-progress", daemon=True
            )
            self._reporter.start()
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
        if self._reporter is not None:
            self._reporter.join()
        if self.lease is not None:
            self.lease.release()

    def wait_for(self, position: int, timeout: float | None = None) -> bool:
        """Blocks until the projection has reached log ``position``; False if ``timeout`` ran out."""
        with self._progress:
            return self._progress.wait_for(lambda: self._position >= position, timeout)

    def _run(self) -> None:
        follow_while_held(self.lease, self._stopped, self._follow, self._failed, _RETRY_SECONDS)

    @staticmethod
    def _failed(_error: Exception) -> None:
        log.exception("region feeds: reading the event log failed; retrying")

    def _follow(self) -> None:
        with subscribe(self.app, self._position or None, self.seals) as subscription:
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
            except Exception:
                log.exception("region feeds: renewing the lease failed; standing by")
            subscription.stop()
            return

    def _fan_out(self, subscription: Any) -> None:
        for notification in subscription:
            self._fan_out_one(notification)
            with self._progress:
                self._position = notification.id
                self._progress.notify_all()
            if self._stopped.is_set():
                return

    def _fan_out_one(self, notification: Any) -> None:
        position = notification.id
        if isinstance(notification, RefusedNotification):
            self._set_aside(position, notification.topic, notification.reason)
            return
        try:
            event = self.app.mapper.to_domain_event(notification)
            regions = self.audience.regions_concerned(event)
        except Exception as error:  # noqa: BLE001 - decoding is pure: it fails the same way each time
            self._set_aside(position, notification.topic, f"the event cannot be read: {error!r}")
            return
        unusable = sorted(region for region in regions if not usable_region(region))
        if unusable:
            self._set_aside(
                position,
                type(event).__qualname__,
                f"no feed can carry region slug(s) {', '.join(map(repr, unusable))}",
            )
        self._publish(event, position, frozenset(regions).difference(unusable))

    def _publish(self, event: Any, position: int, regions: frozenset[str]) -> None:
        attempts = 0
        while True:
            try:
                for region in self.audience.known_regions - self.publisher.known_feeds:
                    if usable_region(region):
                        self.publisher.ensure_feed(region)
                self.publisher.publish(event, position, regions)
                return
            except Exception as error:
                if self._stopped.is_set():
                    raise
                if not unreachable(error):
                    attempts += 1
                    if attempts >= _ATTEMPTS_BEFORE_SETTING_ASIDE:
                        self._set_aside(
                            position, type(event).__qualname__, f"publishing failed: {error!r}"
                        )
                        return
                log.exception("region feeds: publishing log position %s failed; retrying", position)
                self._stopped.wait(_RETRY_SECONDS)

    def _set_aside(self, position: int, event_type: str, reason: str) -> None:
        log.error(
            "region feeds: setting aside log position %s (%s): %s", position, event_type, reason
        )
        self.set_aside.append(position)
        if self.status is not None:
            self._reporting(lambda status: status.set_aside(position, event_type, reason))

    def _report_progress(self) -> None:
        """Tells the shared database how far the fan-out got, every _REPORT_SECONDS while it moves
        (``/ready`` reports a feed that stays behind the log). Nothing is reported before this
        process moves: a stand-by would otherwise overwrite the lease holder's position with its own."""
        reported = self._position
        while not self._stopped.wait(_REPORT_SECONDS):
            if self._position != reported and self.status is not None:
                reported = self._position
                self._reporting(lambda status, at=reported: status.reached(at))

    def _reporting(self, report: Callable[[WorkStatus], None]) -> None:
        assert self.status is not None
        try:
            report(self.status)
        except Exception:
            log.exception("region feeds: reporting to the database failed")
