"""The tables of the governance maps, and how valid time and record time are kept in them.

``map_facts`` holds one row per *version* of a fact: a membership, a region taking part in a cooperation,
an account holder's term, a lead, a mandate and each recorded step of its plans, a procurement and who
takes part in it or opts out, any other agreement and its parties, and the registration of every region,
cooperation, organisation, municipality and decision body (``fact_kind`` says which). Each row carries

- **valid time**: each bound of the period a fact holds, as the earliest and latest day it can stand for
  plus its precision (``domain.values.PartialDate``). A fact *could hold* on day D when
  ``valid_from_earliest <= D <= valid_until_latest`` and *certainly holds* by the domain's rule
  (``ValidPeriod.certainly_holds_on``: a known start on or before D, and no end recorded or an end on or
  after D); the maps show every fact that could hold and flag whether it certainly does (``certain``), so
  an imprecise or unknown bound never hides a fact.
- **record time**: the log position and timestamp of the event that recorded this version
  (``recorded_position``/``recorded_at``) and of the event that replaced it (``superseded_position``/
  ``superseded_at``, NULL while it is current knowledge). A later event that changes a fact's validity (a
  transfer ends the previous term, a merger ends memberships) or retracts it (a correction) supersedes the
  row and, unless it retracts, inserts the next version. So a map ``known_at`` T reads the rows recorded at
  or before T and not superseded by then, and a map ``as_of`` D filters those on valid time.

``fact_key`` names a fact across its versions; at most one version per key is current. ``version_id`` is
``recorded_position * 64 + n`` (n counts the rows one event writes), so rows know their id before they are
inserted and whole batches go in with one executemany.

``map_events`` is the history: one row per event with its authority, principal and sources, linked by
``map_event_subjects`` to every region, cooperation, organisation, municipality, agreement (and the
aggregate itself) it concerns.

``projection_tracking`` holds the log position the tables have reached; it is written in the same
transaction as the rows, so the maps and their position never disagree (exactly-once application).

A rebuild fills a second set of these tables (``suffix``) and swaps it in by renaming (see
``projections.rebuild``). Index names carry a ``generation`` (as do primary keys) so that the fresh set's
never collide with the names of the set being replaced; the first migration creates generation ``"0"``.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

FACTS = "map_facts"
EVENTS = "map_events"
EVENT_SUBJECTS = "map_event_subjects"
TRACKING = "projection_tracking"
LEASES = "projection_leases"

SWAPPED_TABLES = (FACTS, EVENTS, EVENT_SUBJECTS, TRACKING)
REPLAY_INDEX = "needed_while_replaying"
# Indexes that only corrections need while replaying (to find what a correction corrects). Most logs
# hold few corrections, so a rebuild creates these when it meets the first one, not before.
CORRECTION_INDEX = "needed_by_corrections"
CURRENT = text("superseded_position IS NULL")


class ReadModelTables(NamedTuple):
    metadata: MetaData
    facts: Table
    events: Table
    event_subjects: Table
    tracking: Table

    def indexes(self, needed: str | None = None) -> list[Index]:
        """The tables' indexes, or those tagged ``needed`` (REPLAY_INDEX, CORRECTION_INDEX)."""
        return [
            index
            for table in self.metadata.sorted_tables
            for index in table.indexes
            if needed is None or index.info.get(needed)
        ]


# On SQLite a single INTEGER primary key is the table's rowid: no second B-tree to keep up to date.
_POSITION = BigInteger().with_variant(Integer(), "sqlite")


def _slug(name: str) -> Column:
    return Column(name, String(200))


def read_model_tables(suffix: str = "", generation: str = "0") -> ReadModelTables:
    """The swapped tables, named ``<table><suffix>``, their indexes tagged with ``generation``."""
    metadata = MetaData()

    def index(table: str, purpose: str, *columns: str, **kwargs: object) -> Index:
        return Index(f"ix_{table}_{purpose}_g{generation}", *columns, **kwargs)  # type: ignore[arg-type]

    def primary_key(table: str, *columns: str) -> PrimaryKeyConstraint:
        return PrimaryKeyConstraint(*columns, name=f"pk_{table}_g{generation}")

    facts = Table(
        FACTS + suffix,
        metadata,
        Column("version_id", _POSITION, nullable=False, autoincrement=False),
        Column("fact_key", String(400), nullable=False),
        Column("fact_kind", String(40), nullable=False),
        Column("subject_kind", String(40), nullable=False),
        _slug("subject_slug"),
        Column("name", Text),
        _slug("region"),
        _slug("municipality"),
        _slug("cooperation"),
        _slug("organisation"),
        _slug("agreement"),
        Column("agreement_kind", String(40)),
        Column("role", String(40)),
        Column("status", String(40)),
        Column("scope", Text),
        Column("details", Text, nullable=False),
        Column("attribution", Text, nullable=False),
        Column("valid_from_earliest", Date, nullable=False),
        Column("valid_from_latest", Date, nullable=False),
        Column("valid_from_precision", String(8), nullable=False),
        Column("valid_until_earliest", Date, nullable=False),
        Column("valid_until_latest", Date, nullable=False),
        Column("valid_until_precision", String(8), nullable=False),
        # "<originator id>:<version>" of the event that stated the fact, and of the one that last
        # changed its validity: a correction of either event finds the rows it affects by these.
        Column("stated_by", String(60), nullable=False),
        Column("changed_by", String(60)),
        Column("recorded_position", BigInteger, nullable=False),
        Column("recorded_at", DateTime, nullable=False),
        Column("superseded_position", BigInteger),
        Column("superseded_at", DateTime),
        primary_key(FACTS, "version_id"),
    )
    # The projector looks facts up by key and agreement while it applies, and by stating/changing
    # event when it applies a correction; the maps' queries use the others, which a rebuild therefore
    # creates after loading (REPLAY_INDEX, CORRECTION_INDEX).
    for purpose, columns, needed in (
        ("region", ("region", "fact_kind"), None),
        ("cooperation", ("cooperation", "fact_kind"), None),
        ("organisation", ("organisation", "fact_kind"), None),
        ("municipality", ("municipality", "fact_kind"), None),
        ("agreement", ("agreement", "fact_kind"), REPLAY_INDEX),
        ("subject", ("subject_kind", "subject_slug"), None),
        ("stated_by", ("stated_by",), CORRECTION_INDEX),
        ("changed_by", ("changed_by",), CORRECTION_INDEX),
    ):
        facts.append_constraint(
            index(FACTS, purpose, *columns, info={needed: True} if needed else {})
        )
    facts.append_constraint(
        index(
            FACTS,
            "current_key",
            "fact_key",
            unique=True,
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
            info={REPLAY_INDEX: True},
        )
    )

    events = Table(
        EVENTS + suffix,
        metadata,
        Column("position", _POSITION, nullable=False, autoincrement=False),
        Column("recorded_at", DateTime, nullable=False),
        Column("event_name", String(60), nullable=False),
        Column("subject_kind", String(40), nullable=False),
        _slug("subject_slug"),
        Column("originator_id", String(40), nullable=False),
        Column("originator_version", Integer, nullable=False),
        Column("description", Text, nullable=False),
        Column("valid_from", String(12)),
        Column("valid_from_precision", String(8), nullable=False),
        Column("valid_until", String(12)),
        Column("valid_until_precision", String(8), nullable=False),
        Column("attribution", Text, nullable=False),
        Column("corrects_position", BigInteger),
        primary_key(EVENTS, "position"),
    )
    events.append_constraint(
        index(
            EVENTS,
            "originator",
            "originator_id",
            "originator_version",
            info={CORRECTION_INDEX: True},
        )
    )

    event_subjects = Table(
        EVENT_SUBJECTS + suffix,
        metadata,
        Column("subject_kind", String(40), nullable=False),
        Column("subject_slug", String(200), nullable=False),
        Column("position", BigInteger, nullable=False, autoincrement=False),
        primary_key(EVENT_SUBJECTS, "subject_kind", "subject_slug", "position"),
        # The rows are their primary key: kept once, in its order, not as a table plus an index.
        sqlite_with_rowid=False,
    )

    tracking = Table(
        TRACKING + suffix,
        metadata,
        Column("name", String(100), nullable=False),
        Column("position", BigInteger, nullable=False),
        # The last position at which a fact row was written or superseded (``Batch.facts_changed_at``):
        # a map read at or after it is still the map at ``position`` (``api.maps``).
        Column("facts_position", BigInteger, nullable=True),
        primary_key(TRACKING, "name"),
    )
    return ReadModelTables(metadata, facts, events, event_subjects, tracking)


def lease_table(metadata: MetaData | None = None) -> Table:
    """Who may apply projections: one row per projection, held until ``expires_at`` unless renewed."""
    return Table(
        LEASES,
        metadata or MetaData(),
        Column("name", String(100), primary_key=True),
        Column("holder", String(200), nullable=False),
        Column("expires_at", DateTime, nullable=False),
    )
