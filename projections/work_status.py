"""What the service's background workers (the region-feed fan-out, the projection runner, the
checkpoint writer) report about their progress, in the SQL database every process of a deployment
shares: how far each got in the log, and which events each set aside.

An event is *set aside* when a worker cannot process it however often it tries: a region slug that no
feed can carry (``evil.>``, recorded before such slugs were refused at the edge), an event that no
longer decodes, a row the read model refuses; and at once when it must not be used: an event not
sealed by the service's key (``adapters.seal.SealCheck``), published onto the log past the service
with its NATS credentials. The log is immutable, so retrying such an event forever would stop the
worker for good, and every event after it with it (stopping, too, would leave every other region
without its feed for good). Instead the worker records it here
(position, type, why) and goes on with the next; ``/metrics`` counts these rows per worker, ``/ready``
reports them, and admins and auditors list them at ``/audit/set-aside-events``. An event that fails for
a passing reason (NATS or the database away) is never set aside: the worker waits and tries again.

The API's workers are other processes than the ones doing this work, so both tables live in the
database rather than in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

FEEDS_WORKER = "region-feeds"
PROJECTIONS_WORKER = "projections"
CHECKPOINTS_WORKER = "checkpoints"

_metadata = MetaData()
set_aside_table = Table(
    "set_aside_events",
    _metadata,
    Column("worker", String(50), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_aside_at", DateTime(timezone=True), nullable=False),
)
progress_table = Table(
    "worker_progress",
    _metadata,
    Column("worker", String(50), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class SetAsideEvent(msgspec.Struct, frozen=True, kw_only=True):
    worker: str
    position: int
    event_type: str
    reason: str
    set_aside_at: datetime


class WorkStatus:
    """One worker's reports."""

    def __init__(self, engine: Engine, worker: str) -> None:
        self.engine = engine
        self.worker = worker

    def set_aside(self, position: int, event_type: str, reason: str) -> None:
        """Records that the event at ``position`` was skipped, and why (once: a worker that meets it
        again after a restart keeps the first record)."""
        row = {
            "worker": self.worker,
            "position": position,
            "event_type": event_type[:200],
            "reason": reason,
            "set_aside_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(set_aside_table).values(row))
        except IntegrityError:
            pass

    def reached(self, position: int) -> None:
        """Records the log position up to which the worker has done its work."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(progress_table)
                .where(progress_table.c.worker == self.worker)
                .values(position=position, updated_at=now)
            ).rowcount
            if not changed:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(progress_table).values(
                                worker=self.worker, position=position, updated_at=now
                            )
                        )
                except IntegrityError:  # another process inserted it first: the next report updates
                    pass


def set_aside_events(engine: Engine, after: int = 0, limit: int = 1000) -> list[SetAsideEvent]:
    """The events set aside, in log order (``after`` a position, at most ``limit``)."""
    query = (
        select(set_aside_table)
        .where(set_aside_table.c.position > after)
        .order_by(set_aside_table.c.position, set_aside_table.c.worker)
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [SetAsideEvent(**{**row, "set_aside_at": _utc(row["set_aside_at"])}) for row in rows]


def set_aside_counts(engine: Engine) -> dict[str, int]:
    """How many events each worker has set aside."""
    query = select(set_aside_table.c.worker, func.count()).group_by(set_aside_table.c.worker)
    with engine.connect() as connection:
        return {worker: count for worker, count in connection.execute(query)}


def worker_positions(engine: Engine) -> dict[str, int]:
    """The log position each worker last reported."""
    query = select(progress_table.c.worker, progress_table.c.position)
    with engine.connect() as connection:
        return {worker: position for worker, position in connection.execute(query)}


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
