"""The state of one batch of the projection (``projections.projector``): the fact rows it writes and
the current version of every fact it has touched.

A batch reads the current versions its events revise up front, a few hundred keys per statement, and
keeps the current version of every fact it touched in memory, so it needs no SELECT per event; it
writes its rows with a few bulk statements (``projections.writer``: updates of superseded rows first,
then inserts, so the unique "one current version per key" index holds at every statement).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from domain.values import PartialDate, SubjectRef
from projections.facts import FactKind, period_columns, ref_columns
from projections.history import row_form, to_utc_naive
from projections.schema import ReadModelTables
from projections.writer import BulkWriter

ROWS_PER_EVENT = 64  # version_id = position * ROWS_PER_EVENT + n
PREFETCH_CHUNK = 500  # keys per statement, well within every driver's parameter limit

_encoder = msgspec.json.Encoder()


class EventStamp:
    """What every row an event writes shares: its position, record time and attribution."""

    def __init__(self, position: int, event: Any, attribution: str) -> None:
        """``attribution``: ``history.attribution_of(event)``, which the event's history row holds."""
        self.position = position
        self.event = event
        self.recorded_at = to_utc_naive(event.timestamp)
        self.ref = f"{event.originator_id}:{event.originator_version}"
        self.attribution = attribution
        self._rows = 0

    def next_version_id(self) -> int:
        if self._rows >= ROWS_PER_EVENT:
            raise ValueError(f"event at {self.position} writes more than {ROWS_PER_EVENT} rows")
        self._rows += 1
        return self.position * ROWS_PER_EVENT + self._rows - 1


_ROW_DEFAULTS = {
    "subject_slug": None,
    "name": None,
    "region": None,
    "municipality": None,
    "cooperation": None,
    "organisation": None,
    "agreement": None,
    "agreement_kind": None,
    "role": None,
    "status": None,
    "scope": None,
    "changed_by": None,
    "superseded_position": None,
    "superseded_at": None,
}


class Batch:
    """The rows one batch writes, and the current version of every fact it has touched."""

    def __init__(self, connection: Connection, tables: ReadModelTables) -> None:
        self.connection = connection
        self.tables = tables
        # History rows are built as tuples in the form the driver stores (see BulkWriter).
        self.row_form = row_form(connection.dialect.name == "sqlite")
        self.current: dict[str, dict[str, Any] | None] = {}
        self.inserts: dict[int, dict[str, Any]] = {}
        self.supersessions: list[tuple[int, datetime, int]] = []
        self.keys_by_agreement: dict[str, set[str]] = {}  # facts of an agreement this batch stated
        # The position of the last event in the batch that wrote or superseded a fact row.
        self.facts_changed_at: int | None = None

    # -- reading ---------------------------------------------------------------------------------
    def prefetch(self, keys: set[str]) -> None:
        """Reads the current versions of ``keys`` in a few statements rather than one per event."""
        facts = self.tables.facts
        wanted = sorted(key for key in keys if key not in self.current)
        for start in range(0, len(wanted), PREFETCH_CHUNK):
            chunk = wanted[start : start + PREFETCH_CHUNK]
            self.current.update(dict.fromkeys(chunk))
            for row in self.connection.execute(
                select(facts).where(
                    facts.c.fact_key.in_(chunk), facts.c.superseded_position.is_(None)
                )
            ).mappings():
                self.current[row["fact_key"]] = dict(row)

    def current_version(self, key: str) -> dict[str, Any] | None:
        if key not in self.current:
            facts = self.tables.facts
            row = (
                self.connection.execute(
                    select(facts).where(
                        facts.c.fact_key == key, facts.c.superseded_position.is_(None)
                    )
                )
                .mappings()
                .first()
            )
            self.current[key] = dict(row) if row else None
        return self.current[key]

    def current_where(self, *conditions: Any) -> list[dict[str, Any]]:
        """Current versions matching SQL ``conditions``; writes the batch so far first so that the
        database sees them (this path serves rare events: corrections, reassigned leads)."""
        self.flush()
        facts = self.tables.facts
        rows = self.connection.execute(
            select(facts).where(facts.c.superseded_position.is_(None), *conditions)
        ).mappings()
        found = []
        for row in rows:
            version = self.current.get(row["fact_key"]) or dict(row)
            self.current[row["fact_key"]] = version
            found.append(version)
        return found

    def current_of_agreement(self, agreement: str, fact_kind: FactKind) -> list[dict[str, Any]]:
        """Current versions of an agreement's facts of one kind: the database's, overlaid with what
        this batch did to them, plus the ones this batch stated."""
        facts = self.tables.facts
        found: dict[str, dict[str, Any] | None] = {}
        for row in self.connection.execute(
            select(facts).where(
                facts.c.agreement == agreement,
                facts.c.fact_kind == str(fact_kind),
                facts.c.superseded_position.is_(None),
            )
        ).mappings():
            key = row["fact_key"]
            if key not in self.current:
                self.current[key] = dict(row)
            found[key] = self.current[key]
        for key in self.keys_by_agreement.get(agreement, ()):
            found[key] = self.current[key]
        return [
            version
            for version in found.values()
            if version is not None and version["fact_kind"] == fact_kind
        ]

    # -- writing ---------------------------------------------------------------------------------
    def state(
        self,
        at: EventStamp,
        key: str,
        fact_kind: FactKind,
        subject_kind: str,
        valid_from: PartialDate,
        valid_until: PartialDate,
        details: dict[str, Any] | None = None,
        **columns: Any,
    ) -> None:
        """A new fact. Keys are stated once (the domain refuses a second membership, term, opt-out...
        of the same identity, and keys that could recur carry their event's position), so only this
        batch is looked at for a version to replace; the unique index refuses anything else."""
        previous = self.current.get(key)
        if previous is not None:
            self._supersede(previous, at)
        row = {
            **_ROW_DEFAULTS,
            **columns,
            "version_id": at.next_version_id(),
            "fact_key": key,
            "fact_kind": str(fact_kind),
            "subject_kind": str(subject_kind),
            "details": _encoder.encode(details or {}).decode(),
            "attribution": at.attribution,
            **period_columns(valid_from, valid_until),
            "stated_by": at.ref,
            "recorded_position": at.position,
            "recorded_at": at.recorded_at,
        }
        self._insert(key, row)

    def state_of(
        self,
        at: EventStamp,
        e: Any,
        key: str,
        fact_kind: FactKind,
        subject: SubjectRef,
        details: dict[str, Any] | None = None,
        **columns: Any,
    ) -> None:
        """A new fact about ``subject`` that holds as long as ``e`` (its event, or a period) says: the
        subject's slug is the row's ``subject_slug`` and, for a kind with a slug column, fills that
        column too."""
        self.state(
            at,
            key,
            fact_kind,
            subject.kind,
            e.valid_from,
            e.valid_until,
            details,
            subject_slug=subject.slug,
            **ref_columns(subject),
            **columns,
        )

    def revise(
        self,
        at: EventStamp,
        key: str,
        valid_from: PartialDate | None = None,
        valid_until: PartialDate | None = None,
        **changes: Any,
    ) -> None:
        """The next version of a current fact: new validity bounds and/or column values."""
        previous = self.current_version(key)
        if previous is None:
            return
        self.revise_version(at, previous, valid_from, valid_until, **changes)

    def revise_version(
        self,
        at: EventStamp,
        previous: dict[str, Any],
        valid_from: PartialDate | None = None,
        valid_until: PartialDate | None = None,
        **changes: Any,
    ) -> None:
        self._supersede(previous, at)
        row = {
            **previous,
            **changes,
            "version_id": at.next_version_id(),
            "changed_by": at.ref,
            "recorded_position": at.position,
            "recorded_at": at.recorded_at,
            "superseded_position": None,
            "superseded_at": None,
        }
        if valid_from is not None:
            row.update(
                valid_from_earliest=valid_from.earliest,
                valid_from_latest=valid_from.latest,
                valid_from_precision=str(valid_from.precision),
            )
        if valid_until is not None:
            row.update(
                valid_until_earliest=valid_until.earliest,
                valid_until_latest=valid_until.latest,
                valid_until_precision=str(valid_until.precision),
            )
        self._insert(previous["fact_key"], row)

    def retract(self, at: EventStamp, version: dict[str, Any]) -> None:
        self._supersede(version, at)
        self.current[version["fact_key"]] = None

    def _insert(self, key: str, row: dict[str, Any]) -> None:
        self.facts_changed_at = row["recorded_position"]
        self.inserts[row["version_id"]] = row
        self.current[key] = row
        if row["agreement"] is not None:
            self.keys_by_agreement.setdefault(row["agreement"], set()).add(key)

    def _supersede(self, version: dict[str, Any], at: EventStamp) -> None:
        self.facts_changed_at = at.position
        pending = self.inserts.get(version["version_id"])
        if pending is not None and pending["recorded_position"] == at.position:
            del self.inserts[version["version_id"]]  # replaced by the event that wrote it
        elif pending is not None:
            pending.update(superseded_position=at.position, superseded_at=at.recorded_at)
        else:
            self.supersessions.append((at.position, at.recorded_at, version["version_id"]))

    def flush(self) -> None:
        """Writes the fact rows so far: supersessions first, then the new rows (see the module
        docstring)."""
        writer = BulkWriter(self.connection)
        if self.supersessions:
            writer.supersede(self.tables.facts, self.supersessions)
            self.supersessions = []
        if self.inserts:
            writer.insert(self.tables.facts, list(self.inserts.values()))
        self.inserts = {}
