"""A second process for a long catch-up (a rebuild): it reads the log and computes most history
rows, while the first process applies the facts and writes every row.

On 2 cores the work of a replay splits in two: reading, decoding and describing every event (the
history, which every event has and four in five events have only) and applying the events that
change facts and writing all rows to the database, which only one process can do. ``ReplayWorker``
does the first: it reads the log in ranges and hands each range over as one MessagePack message
(``Range``): the position it ends at, the notifications of the events in it that change facts, and
the history rows of the others, which it describes from their light events
(``projections.light_events``: the attributes a history row reads, without the domain event). The
first process decodes the fact events anyway, so it describes them itself (a fifth of the events;
with it, neither process waits long for the other, on SQLite or on JetStream). It does not read
the log at all: on JetStream, which cannot filter messages by the topics of the events they carry, it
used to read every message to find the fact events among them (6 to 12 s of its CPU per million
events), and the server sent every message twice.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Notification

from adapters.cycle_collection import cycle_collection_paused
from projections.history import History, history_of, row_form
from projections.light_events import LightEvents
from projections.log_source import LogSourceFactory


# gc=False: records of strings, bytes and numbers only, a range holds tens of thousands.
class FactNotification(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """A notification of an event that changes facts, as it crosses between the processes."""

    id: int
    # The originator's id crosses as a UUID when it is one, which msgspec encodes and decodes in C
    # (str() and UUID() of it cost each process a microsecond or two a fact event), else as text.
    originator_uuid: UUID | None
    originator_name: str | None
    originator_version: int
    topic: str
    state: bytes

    @classmethod
    def of(cls, notification: Notification) -> FactNotification:
        originator_id = notification.originator_id
        is_uuid = isinstance(originator_id, UUID)
        return cls(
            notification.id,
            originator_id if is_uuid else None,
            None if is_uuid else str(originator_id),
            notification.originator_version,
            notification.topic,
            notification.state,
        )

    def notification(self) -> Notification:
        return Notification(
            id=self.id,
            originator_id=self.originator_name
            if self.originator_uuid is None
            else self.originator_uuid,
            originator_version=self.originator_version,
            topic=self.topic,
            state=self.state,
        )


class Range(msgspec.Struct, array_like=True):
    """A run of the log, read and described by the worker."""

    stop: int  # the position it ends at: its last event's, or the head of the catch-up
    facts: list[FactNotification]
    history: History

    def followed_by(self, later: Range) -> Range:
        """This run and the one after it, as one."""
        return Range(
            later.stop,
            self.facts + later.facts,
            History(
                *(mine + theirs for mine, theirs in zip(self.history, later.history, strict=True))
            ),
        )


# Rows cross as MessagePack: a third of the time pickle takes, which memoizes every one of a range's
# strings. A naive timestamp crosses as ISO text, which PostgreSQL's COPY reads as the same timestamp.
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Range)


RANGES_PER_BATCH = 8


def range_size(batch_size: int) -> int:
    """The events of one of the worker's ranges, for batches of ``batch_size``."""
    return max(batch_size // RANGES_PER_BATCH, 1)


class _Reader:
    """The worker's side: its own application on the log, and how far it has read."""

    def __init__(
        self,
        open_log: LogSourceFactory,
        env: dict[str, str],
        sqlite: bool,
        fact_topics: frozenset[str],
        after: int,
        head: int,
    ) -> None:
        self.app = open_log(env=env)  # the worker's own, as configured
        self.row_form = row_form(sqlite)
        self.light_events = LightEvents(self.app.mapper)
        self.fact_topics = fact_topics
        self.position = after
        self.head = head

    def next_range(self, limit: int) -> bytes:
        light_event = self.light_events
        with cycle_collection_paused():
            notifications = (
                self.app.recorder.select_notifications(
                    start=self.position, limit=limit, stop=self.head, inclusive_of_start=False
                )
                if self.position < self.head
                else []
            )
            # Ids need not be dense (JetStream's are a thousand apart per message): a short page is
            # the end of the catch-up, a full one ends at its last event.
            stop = notifications[-1].id if len(notifications) == limit else self.head
            self.position = stop
            facts, others = [], []
            for notification in notifications:
                if notification.topic in self.fact_topics:
                    facts.append(FactNotification.of(notification))
                else:
                    others.append((notification.id, light_event(notification)))
            return _encoder.encode(Range(stop, facts, history_of(others, self.row_form)))


_reader: _Reader | None = None


def _start(*args: Any) -> None:
    global _reader
    _reader = _Reader(*args)


def _next_range(limit: int) -> bytes:
    assert _reader is not None
    return _reader.next_range(limit)


class ReplayWorker:
    """A second process that reads the log from ``after`` up to ``head``, one range after another,
    and describes each (see the module docstring). It runs an application built from the same
    ``env`` as the caller's (persistence, cipher and compressor included), so the log must be one that
    a second process can open: not an in-memory one. ``open_log`` builds it there from ``env``: the
    caller's application class, which pickles by name."""

    def __init__(
        self,
        open_log: LogSourceFactory,
        env: dict[str, str],
        *,
        sqlite: bool,
        fact_topics: Collection[str],
        after: int,
        head: int,
    ) -> None:
        self.head = head
        # Spawned, not forked: the parent holds database connections and threads a fork would copy.
        # One process runs the ranges in the order they were asked for, each from where the last ended.
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(open_log, env, sqlite, frozenset(fact_topics), after, head),
        )

    @staticmethod
    def can_read(env: Mapping[str, str]) -> bool:
        return env.get("PERSISTENCE_MODULE", "eventsourcing.popo") != "eventsourcing.popo"

    def batches(self, batch_size: int) -> Iterator[Range]:
        """The log up to the head in batches of ``batch_size`` events (fewer at the head). The worker
        reads ranges of an eighth of that (``range_size``), a batch ahead of the caller. The first
        batches are a range, two, four: the caller starts as soon as the worker's first range is
        read, and then its transactions grow to a batch, which costs less to commit than as many
        events in smaller ones (pages that several transactions touch are written to the log again
        by each)."""
        size = range_size(batch_size)
        pending: deque[Future[bytes]] = deque()
        ranges = 1
        stop = None

        def next_range() -> Range:
            # A batch's worth stays asked for, so the worker reads on while the caller applies.
            while len(pending) <= RANGES_PER_BATCH:
                pending.append(self._pool.submit(_next_range, size))
            return _decoder.decode(pending.popleft().result())

        while stop != self.head:
            batch = next_range()
            for _ in range(ranges - 1):
                if batch.stop == self.head:
                    break
                batch = batch.followed_by(next_range())
            ranges = min(ranges * 2, RANGES_PER_BATCH)
            stop = batch.stop
            yield batch

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> ReplayWorker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
