"""The region-feed projection: follows the event log and fans each event out to the regions it concerns.

It reads the log through the application's recorder (``subscribe``) and decodes events with the
application's mapper, so it does not depend on how the recorder lays out its messages. Which regions an
event concerns is ``domain.audience``; publishing, positions and exactly-once are
``adapters.nats.feeds``.

On start it reads the log from the beginning: the audience rule needs every membership, participation
and party recorded before an event, and each feed's own position decides what is still to publish. A
failed publish (NATS restarting, say) is retried until it succeeds or the projection stops; nothing is
skipped.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from adapters.nats.feeds import FeedPublisher
from domain.audience import Audience

log = logging.getLogger(__name__)
_RETRY_SECONDS = 0.5


class FeedProjection:
    def __init__(self, app: Any, publisher: FeedPublisher) -> None:
        self.app = app
        self.publisher = publisher
        self.audience = Audience()
        self._position = 0
        self._progress = threading.Condition()
        self._stopped = threading.Event()
        self._subscription: Any = None
        self._thread: threading.Thread | None = None

    @property
    def position(self) -> int:
        """The log position of the last event fanned out (or found already in its feeds)."""
        return self._position

    def start(self) -> FeedProjection:
        self._thread = threading.Thread(target=self._run, name="region-feeds", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.stop()
        if self._thread is not None:
            self._thread.join(10)

    def wait_for(self, position: int, timeout: float | None = None) -> bool:
        """Blocks until the projection has reached log ``position``; False if ``timeout`` ran out."""
        with self._progress:
            return self._progress.wait_for(lambda: self._position >= position, timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._follow()
            except Exception:  # noqa: BLE001 - the log or NATS is away; resume where we stopped
                log.exception("region feeds: reading the event log failed; retrying")
                self._stopped.wait(_RETRY_SECONDS)

    def _follow(self) -> None:
        with self.app.recorder.subscribe(gt=self._position or None) as subscription:
            self._subscription = subscription
            if self._stopped.is_set():
                return
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
