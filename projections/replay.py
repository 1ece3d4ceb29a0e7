"""Rebuilding the governance maps from the event log alone, and checking the live read model against it.

An auditor replays the log into a scratch database of their own with the same projector the service
runs, then reads the maps from it on any valid date (``as_of``) and record time (``known_at``), or
compares it with the service's read model row by row: every table of the read model holds each version
of each fact with its valid and record time, so a row-by-row comparison covers the maps on every date at
once. The comparison stops the replay at the live read model's position and reads the live read model
in one snapshot taken at that position, so neither events recorded since nor a runner applying them
while the comparison runs (the service goes on serving) count as differences.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, Table, select

from adapters.sql import migrate, snapshot_reading
from projections.log_source import LogSource
from projections.projector import tracking_position
from projections.queries import GovernanceMaps
from projections.rebuild import REBUILD_BATCH_SIZE
from projections.runner import ProjectionRunner
from projections.schema import read_model_tables


def replay(app: LogSource, scratch: Engine, until: int | None = None) -> int | None:
    """Projects the log (up to position `until`, default all of it) into the empty database `scratch`;
    returns the position reached."""
    migrate(scratch)
    # Read and described by a second process as a rebuild is, when the log is long enough.
    runner = ProjectionRunner(app, scratch, batch_size=REBUILD_BATCH_SIZE, parallel_replay=True)
    return runner.catch_up(until)


class GovernanceSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Every map as it stood on `as_of` according to what was known at `known_at`."""

    position: int | None
    as_of: date | None
    known_at: datetime | None
    regions: list[Any]
    cooperations: list[Any]
    organisations: list[Any]


def snapshot(
    maps: GovernanceMaps, as_of: date | None, known_at: datetime | None
) -> GovernanceSnapshot:
    at = {"as_of": as_of, "known_at": known_at}
    return GovernanceSnapshot(
        position=maps.position(),
        as_of=as_of,
        known_at=known_at,
        regions=[maps.region_map(s.slug, **at) for s in maps.regions(known_at=known_at)],
        cooperations=[
            maps.cooperation_map(s.slug, **at) for s in maps.cooperations(known_at=known_at)
        ],
        organisations=[
            maps.organisation_view(s.slug, **at) for s in maps.organisations(known_at=known_at)
        ],
    )


class RowDifference(msgspec.Struct, frozen=True, kw_only=True):
    """A row of the read model that differs between the live database and the replay of the log."""

    table: str
    key: dict[str, Any]
    # column -> (live value, replayed value); empty when the whole row is on one side only
    columns: dict[str, tuple[Any, Any]]
    only_in: str | None = None  # "live" or "replay"

    def describe(self) -> str:
        key = ", ".join(f"{name}={value}" for name, value in self.key.items())
        if self.only_in == "live":
            return f"{self.table} [{key}]: in the live read model, but the log does not produce it"
        if self.only_in == "replay":
            return (
                f"{self.table} [{key}]: produced by the log, but missing from the live read model"
            )
        changes = "; ".join(
            f"{column} is {live!r} live, {replayed!r} from the log"
            for column, (live, replayed) in self.columns.items()
        )
        return f"{self.table} [{key}]: {changes}"


def compare_with_log(
    live: Engine, replayed: Engine, replay_until: Callable[[int | None], int | None]
) -> tuple[int | None, list[RowDifference]]:
    """Every row of the read model's tables that the live database and a replay of the log do not
    share, in key order, and the position compared at. ``replay_until(position)`` replays the log into
    ``replayed`` up to the live read model's position and returns the position it reached. The live
    rows are read in the snapshot that position was read in: a runner commits while the log is
    replayed, and its rows, read afterwards outside that snapshot, would be differences."""
    tables = read_model_tables()
    with snapshot_reading(live) as live_snapshot:
        position = replay_until(tracking_position(live_snapshot, tables))
        with replayed.connect() as replay:
            differences: list[RowDifference] = []
            for table in (tables.facts, tables.events, tables.event_subjects, tables.tracking):
                differences.extend(_compare_table(table, live_snapshot, replay))
    return position, differences


def _rows(table: Table, connection: Connection) -> dict[tuple[Any, ...], dict[str, Any]]:
    key_columns = list(table.primary_key.columns)
    result = connection.execute(select(table).order_by(*key_columns)).mappings()
    return {tuple(row[c.name] for c in key_columns): dict(row) for row in result}


def _compare_table(table: Table, live: Connection, replayed: Connection) -> list[RowDifference]:
    key_names = [c.name for c in table.primary_key.columns]
    live_rows, replayed_rows = _rows(table, live), _rows(table, replayed)
    differences = []
    for key in sorted(live_rows.keys() | replayed_rows.keys()):
        named_key = dict(zip(key_names, key, strict=True))
        live_row, replayed_row = live_rows.get(key), replayed_rows.get(key)
        if replayed_row is None:
            differences.append(
                RowDifference(table=table.name, key=named_key, columns={}, only_in="live")
            )
        elif live_row is None:
            differences.append(
                RowDifference(table=table.name, key=named_key, columns={}, only_in="replay")
            )
        elif live_row != replayed_row:
            changed = {
                column: (live_row[column], replayed_row[column])
                for column in live_row
                if live_row[column] != replayed_row[column]
            }
            differences.append(RowDifference(table=table.name, key=named_key, columns=changed))
    return differences
