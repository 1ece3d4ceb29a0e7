"""How each event changes the governance maps' tables (``projections.schema``).

``GovernanceProjector.apply`` takes a batch of decoded events with their log positions and writes, in the
caller's transaction, the fact row versions they state (``projections.handlers``, into a
``projections.batch.Batch``), the supersessions they cause, the history rows (``projections.history``),
and the new tracking position — all or nothing.

Corrections (``FactCorrected``) retract the rows the corrected event stated and restore the validity
of rows it changed (the version before the change), the read-model counterpart of the aggregate
rebuilding itself without the corrected event. Correcting version 1 retracts everything its aggregate
stated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Index, and_, insert, select, update

from domain.base import GovernanceAggregate
from projections.batch import Batch, EventStamp
from projections.facts import PERIOD_COLUMNS
from projections.handlers import HANDLERS
from projections.handlers.keys import REVISED_KEYS, no_keys
from projections.history import ATTRIBUTION, History, history_of
from projections.schema import ReadModelTables
from projections.writer import BulkWriter

PROJECTION_NAME = "governance_maps"


class PositionConflict(Exception):
    """The tables have moved on since this batch was read (another runner or a rebuild's swap)."""


def tracking_position(connection: Connection, tables: ReadModelTables) -> int | None:
    return connection.execute(
        select(tables.tracking.c.position).where(tables.tracking.c.name == PROJECTION_NAME)
    ).scalar()


class GovernanceProjector:
    """Applies events to one set of read-model tables."""

    def __init__(
        self, tables: ReadModelTables, indexes_on_first_correction: Sequence[Index] = ()
    ) -> None:
        """``indexes_on_first_correction``: indexes of ``tables`` that corrections need and a
        rebuild leaves out until the first correction (``schema.CORRECTION_INDEX``)."""
        self.tables = tables
        self.indexes_on_first_correction = tuple(indexes_on_first_correction)

    def apply(
        self,
        connection: Connection,
        events: Sequence[tuple[int, Any]],
        expected_position: int | None,
        *,
        up_to: int | None = None,
        history: History | None = None,
    ) -> int | None:
        """Applies ``events`` (position, domain event) after ``expected_position`` and moves the tracking
        position to ``up_to`` (default: the last event's), in ``connection``'s transaction. Raises
        PositionConflict (and writes nothing the caller should commit) if the tables are no longer at
        ``expected_position``.

        ``history`` holds the history rows of the other events up to ``up_to`` when they were
        computed elsewhere (``projections.worker``); ``events`` then hold only the events that
        change facts (``FACT_TOPICS``), whose rows are computed here."""
        new_position = up_to if up_to is not None else (events[-1][0] if events else None)
        if new_position is None:
            return expected_position
        self._move_tracking(connection, expected_position, new_position)
        batch = Batch(connection, self.tables)
        batch.prefetch(
            {key for _, event in events for key in REVISED_KEYS.get(type(event), no_keys)(event)}
        )
        described = history_of(events, batch.row_form)
        # An event's fact rows carry the attribution its history row does: computed once, there.
        for (position, event), row in zip(events, described.events, strict=True):
            if isinstance(event, GovernanceAggregate.FactCorrected):
                self._ensure_correction_indexes(connection)
                self._correct(batch, EventStamp(position, event, row[ATTRIBUTION]))
            elif (handler := HANDLERS.get(type(event))) is not None:
                handler(batch, EventStamp(position, event, row[ATTRIBUTION]), event)
        batch.flush()
        if batch.facts_changed_at is not None:
            tracking = self.tables.tracking
            connection.execute(
                update(tracking)
                .where(tracking.c.name == PROJECTION_NAME)
                .values(facts_position=batch.facts_changed_at)
            )
        rows = described if history is None else described.merged(history)
        self._resolve_corrections(connection, rows)
        BulkWriter(connection).write_history(self.tables, rows)
        return new_position

    def _move_tracking(
        self, connection: Connection, expected: int | None, new_position: int
    ) -> None:
        tracking = self.tables.tracking
        if expected is None:
            exists = tracking_position(connection, self.tables)
            if exists is not None:
                raise PositionConflict(f"expected an empty read model, found position {exists}")
            connection.execute(insert(tracking).values(name=PROJECTION_NAME, position=new_position))
            return
        moved = connection.execute(
            update(tracking)
            .where(and_(tracking.c.name == PROJECTION_NAME, tracking.c.position == expected))
            .values(position=new_position)
        )
        if moved.rowcount != 1:
            raise PositionConflict(
                f"the read model is no longer at position {expected} "
                f"(now {tracking_position(connection, self.tables)})"
            )

    # -- corrections ----------------------------------------------------------------------------
    def _ensure_correction_indexes(self, connection: Connection) -> None:
        # In the batch's transaction: if it rolls back, so does the index, and the next batch
        # with a correction creates it again.
        for index in self.indexes_on_first_correction:
            index.create(connection, checkfirst=True)

    def _correct(self, batch: Batch, at: EventStamp) -> None:
        event = at.event
        corrected = f"{event.corrects_id}:{event.corrects_version}"
        facts = self.tables.facts
        if event.corrects_version == 1:
            prefix = f"{event.corrects_id}:"
            stated = batch.current_where(facts.c.stated_by.startswith(prefix, autoescape=True))
        else:
            stated = batch.current_where(facts.c.stated_by == corrected)
        for version in stated:
            batch.retract(at, version)
        for version in batch.current_where(facts.c.changed_by == corrected):
            before = (
                batch.connection.execute(
                    select(facts).where(
                        facts.c.fact_key == version["fact_key"],
                        facts.c.superseded_position == version["recorded_position"],
                    )
                )
                .mappings()
                .first()
            )
            if before is not None:
                restored = {name: before[name] for name in (*PERIOD_COLUMNS, "status", "role")}
                batch.revise_version(at, version, **restored)

    def _resolve_corrections(self, connection: Connection, history: History) -> None:
        """Fills in the log position each correction in ``history`` corrects."""
        if not history.corrections:
            return
        in_batch = history.positions()
        index_of = {row[0]: index for index, row in enumerate(history.events)}
        events = self.tables.events
        for correction_position, corrected in history.corrections:
            index = index_of[correction_position]
            position = in_batch.get(corrected)
            if position is None:
                originator_id, version = corrected.rsplit(":", 1)
                position = connection.execute(
                    select(events.c.position).where(
                        events.c.originator_id == originator_id,
                        events.c.originator_version == int(version),
                    )
                ).scalar()
            history.events[index] = (*history.events[index][:-1], position)
