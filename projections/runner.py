"""Keeps the governance maps up to date with the event log, exactly once, live.

The runner reads the log through the application recorder's notification API (``select_notifications``
to catch up, ``subscribe`` to follow), decodes with the application's mapper, and applies batches with
``GovernanceProjector.apply``: each batch's rows and the new tracking position commit in one transaction,
and the tracking update is a compare-and-set on the position the batch was read from. A crash at any
moment therefore leaves each event applied once or not at all, and a restarted runner resumes from the
position in the table. New events wake the runner (the recorder's subscription is woken by a core NATS
subscription on the log's subjects), and each applied batch wakes the API workers' position watches
(``adapters.nats.read_model_signal``): from a command's answer to its events on the maps nothing waits
for a poll. If the position moved under it (a rebuild swapped fresh tables in, or another
runner got there first), the batch is rolled back and the runner resumes from the table's position.

Only one process applies at a time when several serve one database: the runner holds a lease
(``projections.lease``) while it applies and stands by while another process holds it.

Following the log, a batch that fails for a reason other than the database being away is applied again
an event at a time, and an event that fails on its own a few times over is set aside
(``projections.work_status``): the position moves past it with nothing applied, so one event the
projector cannot take does not stop the maps for good.

Given the check of seals (``SealCheck``), an event of a message that is not sealed by a trusted key
(published onto the log with the service's NATS credentials, past the service) is set aside at once,
unread, whether followed or caught up with. What a checkpoint signed by a trusted key covers is not
checked again, so a catch-up hands its replay worker only that much of the log.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import ListenNotifySubscription, Notification, ShutDown
from sqlalchemy import Engine, Index
from sqlalchemy.exc import DisconnectionError, InterfaceError
from sqlalchemy.exc import OperationalError as DatabaseAway

from adapters.cycle_collection import cycle_collection_paused
from adapters.nats.read_model_signal import read_model_signal
from adapters.seal import RefusedNotification, SealCheck
from projections.handlers import FACT_TOPICS
from projections.history import History
from projections.lease import Lease, follow_while_held
from projections.log_source import LogSource, SealChecks, select_notifications, subscribe
from projections.projector import GovernanceProjector, PositionConflict, tracking_position
from projections.schema import ReadModelTables, read_model_tables
from projections.work_status import WorkStatus
from projections.worker import ReplayWorker, range_size

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
# Tries of one event that fails while the database answers, before it is set aside.
ATTEMPTS_BEFORE_SETTING_ASIDE = 3
_PASSING_ERRORS = (DatabaseAway, InterfaceError, DisconnectionError, PositionConflict)


class ProjectionRunner:
    """Keeps the read model up to date with the event log, exactly once, live."""

    def __init__(
        self,
        app: LogSource,
        engine: Engine,
        *,
        tables: ReadModelTables | None = None,
        lease: Lease | None = None,
        batch_size: int = BATCH_SIZE,
        parallel_replay: bool = False,
        indexes_on_first_correction: Sequence[Index] = (),
        status: WorkStatus | None = None,
        discarded_on_crash: bool = False,
        seals: SealChecks | None = None,
    ) -> None:
        """``discarded_on_crash``: ``tables`` are a rebuild's fresh ones, which nothing reads before
        they are swapped in and which a rebuild that died drops (``projections.rebuild``): on
        PostgreSQL their batches then commit without waiting for the disk."""
        self.app = app
        self.engine = engine
        self.tables = tables or read_model_tables()
        self.projector = GovernanceProjector(self.tables, indexes_on_first_correction)
        self.lease = lease
        self.batch_size = batch_size
        # A catch-up longer than one of its ranges has a second process read the log and compute
        # the history rows of the events that change no facts (projections.worker).
        self.parallel_replay = parallel_replay
        self.discarded_on_crash = discarded_on_crash and engine.dialect.name == "postgresql"
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._applied = threading.Condition()
        # Wakes the API workers' position watches after each applied batch (a log on NATS only).
        self._signal = read_model_signal(app.recorder)
        self.error: BaseException | None = None
        self.status = status
        self.seals = seals
        self.set_aside: list[int] = []

    # -- position ------------------------------------------------------------------------------------
    def position(self) -> int | None:
        with self.engine.connect() as connection:
            return tracking_position(connection, self.tables)

    def apply(
        self,
        notifications: Sequence[Notification],
        expected: int | None,
        *,
        up_to: int | None = None,
        history: History | None = None,
    ) -> int | None:
        """Applies ``notifications`` (which follow ``expected``) in one transaction and moves the
        position to ``up_to`` (default: the last notification's). ``history``, if given, holds the
        history rows of the other events up to ``up_to``, computed elsewhere; ``notifications`` then
        hold only the events that change facts."""
        if not notifications and up_to is None:
            return expected
        to_event = self.app.mapper.to_domain_event
        with cycle_collection_paused(), self.engine.begin() as connection:
            if self.discarded_on_crash:
                # A commit normally waits until the server has written the log (WAL) up to it to
                # disk. A crash can lose these commits, but it loses the whole rebuild anyway (the
                # next one drops its tables and starts afresh), and the swap that makes them live
                # is a commit of its own that does wait: the log is written in order, so when the
                # swap is on disk every batch before it is too.
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            position = self.projector.apply(
                connection,
                [(n.id, to_event(n)) for n in notifications],
                expected,
                up_to=up_to if up_to is not None else notifications[-1].id,
                history=history,
            )
        with self._applied:
            self._applied.notify_all()
        if self._signal is not None and position is not None:
            self._signal.announce(position)
        return position

    def catch_up(
        self,
        until: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int | None:
        """Applies everything recorded up to ``until`` (default: the log's head now); returns the
        position reached. ``progress`` is told the position after each batch."""
        head = self.app.recorder.max_notification_id() if until is None else until
        position = self.position()
        if head is None or (position or 0) >= head:
            return position
        seals = self.seals() if self.seals is not None else None
        # The worker reads the log without checking seals: it is given what a checkpoint covers.
        checked = head if seals is None else min(head, seals.checked_up_to)
        # With a worker at hand the first page is one of its ranges: whether more than that remains
        # is known only by reading, as ids need not be dense (JetStream's are a thousand apart per
        # message). If it does, the worker reads the log from the start again, that range included.
        first = range_size(self.batch_size) if self.parallel_replay else self.batch_size
        page = self._page_after(position, head, seals, first)
        if (
            self.parallel_replay
            and len(page) == first
            and page[-1].id < checked
            and ReplayWorker.can_read(self.app.env)
        ):
            position = self._catch_up_with_worker(position, checked, progress)
            page = self._page_after(position, head, seals) if (position or 0) < head else []
        while page:
            position = self._apply_sealed(page, position)
            if progress is not None and position is not None:
                progress(position)
            page = self._page_after(position, head, seals) if (position or 0) < head else []
        return position

    def _page_after(
        self, position: int | None, head: int, seals: SealCheck | None, limit: int | None = None
    ) -> Sequence[Notification]:
        """The next batch (or ``limit`` events) after ``position``."""
        with cycle_collection_paused():
            return select_notifications(
                self.app,
                seals,
                start=position,
                limit=limit or self.batch_size,
                stop=head,
                inclusive_of_start=False,
            )

    def _apply_sealed(self, batch: Sequence[Notification], position: int | None) -> int | None:
        """Applies ``batch`` but its refused events, which are set aside; the position moves to
        the batch's last event either way."""
        return self.apply(self._without_refused(batch), position, up_to=batch[-1].id)

    def _without_refused(self, batch: Sequence[Notification]) -> Sequence[Notification]:
        """``batch`` without the events whose seal was refused, each of them set aside."""
        refused = [n for n in batch if isinstance(n, RefusedNotification)]
        for notification in refused:
            self._report_set_aside(notification, notification.reason)
        if not refused:
            return batch
        return [n for n in batch if not isinstance(n, RefusedNotification)]

    def _catch_up_with_worker(
        self, position: int | None, head: int, progress: Callable[[int], None] | None
    ) -> int | None:
        """The worker reads the log and describes it (``projections.worker``); this process applies
        the facts and writes the rows, a batch at a time. The cycle collector stays paused from
        batch to batch, not only while one is applied: decoding a batch from the worker and making
        its notifications allocate millions of objects too, and the collector went over the
        batch's rows again and again meanwhile."""
        with (
            cycle_collection_paused(),
            ReplayWorker(
                type(self.app),
                dict(self.app.env),
                sqlite=self.engine.dialect.name == "sqlite",
                fact_topics=FACT_TOPICS,
                after=position or 0,
                head=head,
            ) as worker,
        ):
            for batch in worker.batches(self.batch_size):
                position = self.apply(
                    [fact.notification() for fact in batch.facts],
                    position,
                    up_to=batch.stop,
                    history=batch.history,
                )
                if progress is not None and position is not None:
                    progress(position)
        return position

    # -- live ----------------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="projection-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.lease is not None:
            self.lease.release()

    def wait_until(self, position: int, timeout: float = 10.0) -> bool:
        """True once ``position`` is applied (by this runner or any other), False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            applied = self.position()
            if applied is not None and applied >= position:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._applied:
                self._applied.wait(min(remaining, 0.05))

    def _run(self) -> None:
        follow_while_held(self.lease, self._stopped, self._follow, self._failed, 1.0)

    def _failed(self, error: Exception) -> None:
        self.error = error
        log.exception("projection runner failed; retrying")

    def _follow(self) -> None:
        """Follows the log from the table's position until stopped, the lease is lost or the
        position moves under it."""
        position = self.position()
        subscription = subscribe(self.app, position, self.seals)
        pages = _Pages(subscription)
        try:
            while not self._stopped.is_set():
                if self.lease is not None and not self.lease.renew():
                    return
                batch = pages.take(self.batch_size, timeout=0.2)
                if batch is None:  # the subscription ended without an error: follow it anew
                    return
                if not batch:
                    continue
                try:
                    position = self._apply_setting_aside(batch, position)
                except PositionConflict as conflict:
                    log.info("read model moved on (%s); resuming from its position", conflict)
                    return
        finally:
            subscription.stop()

    def _apply_setting_aside(
        self, batch: Sequence[Notification], position: int | None
    ) -> int | None:
        """Applies ``batch`` (its refused events set aside); if that fails other than for the
        database being away, applies it an event at a time and sets aside each event that keeps
        failing on its own."""
        try:
            return self._apply_sealed(batch, position)
        except _PASSING_ERRORS:
            raise
        except Exception:
            log.exception("projection runner: a batch failed; applying it an event at a time")
        for notification in batch:
            if isinstance(notification, RefusedNotification):  # set aside already
                continue
            for attempt in range(1, ATTEMPTS_BEFORE_SETTING_ASIDE + 1):
                try:
                    position = self.apply([notification], position)
                    break
                except _PASSING_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - retried, then set aside
                    if attempt < ATTEMPTS_BEFORE_SETTING_ASIDE:
                        continue
                    self._report_set_aside(notification, f"applying failed: {error!r}")
                    position = self.apply([], position, up_to=notification.id)
        if (position or 0) < batch[-1].id:  # the batch ends with refused events
            position = self.apply([], position, up_to=batch[-1].id)
        return position

    def _report_set_aside(self, notification: Notification, reason: str) -> None:
        log.error(
            "projection runner: setting aside log position %s (%s): %s",
            notification.id,
            notification.topic,
            reason,
        )
        if self.status is not None:
            self.status.set_aside(notification.id, notification.topic, reason)
        self.set_aside.append(notification.id)


class _Pages:
    """The pages of notifications a subscription's pull thread has read, taken by the applying thread
    itself. A thread between them used to hand the notifications on one at a time through a queue of
    its own: one more hand-over, and one more wait for the GIL, on every event's way to the maps.

    Every subscription the runner can follow is the library's ``ListenNotifySubscription`` (NATS,
    PostgreSQL, in memory), whose pull thread puts each page it reads on ``_notifications_queue``, as
    ``adapters.nats.log_reading.NatsSubscription`` relies on too."""

    def __init__(self, subscription: ListenNotifySubscription[Any]) -> None:
        self._subscription = subscription
        self._queue = subscription._notifications_queue
        self._left: list[Notification] = []

    def take(self, limit: int, timeout: float) -> list[Notification] | None:
        """At most ``limit`` notifications, in log order: those read so far, waiting up to
        ``timeout`` for the first (an empty list if none came). None once the subscription has
        ended; the error that ended it, if any, is raised."""
        batch = self._left
        if not batch:
            try:
                batch = list(self._queue.get(timeout=timeout))
            except queue.Empty:
                return []
            except ShutDown:
                return self._ended()
        while len(batch) < limit:
            try:
                batch.extend(self._queue.get_nowait())
            except (queue.Empty, ShutDown):
                break
        batch, self._left = batch[:limit], batch[limit:]
        return batch

    def _ended(self) -> None:
        error = self._subscription._thread_error
        if error is not None:
            raise error
