"""The governance maps, answered from the read model in a few indexed statements per map.

Every map takes ``as_of`` (valid time, default today) and ``known_at`` (record time, default now):

- ``known_at`` keeps the fact row versions recorded at or before it and not yet superseded then. Without
  ``known_at`` the current versions are read directly (``superseded_position IS NULL``).
- ``as_of`` keeps the facts that *could* hold on that day (``valid_from_earliest <= as_of <=
  valid_until_latest``). Each fact says whether it *certainly* holds (``certain``): its start is known and
  on or before ``as_of`` (to the precision it is known), and it has no recorded end before ``as_of``. An
  end that is not recorded counts as open: the fact holds until an end is recorded. An unknown start
  counts as certain only from the date of a source that states the fact (``known_to_hold_since``).
  The rule is the domain's (``ValidPeriod.certainly_holds_on``, ``evidence_of_holding``); the maps
  only read the bounds back from the columns and the sources' dates from their rows.

Names of regions, municipalities, cooperations and organisations come from their registration rows,
regardless of valid time (a municipality that merged away keeps its name on old maps).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, select

from adapters.sql import snapshot_reading
from domain.errors import UnknownReference
from domain.values import SubjectKind
from projections import map_sections, plans_of_approach, subject_maps
from projections.facts import FactKind
from projections.history import to_utc_naive
from projections.history_sentences import described_attributes, history_sentence, wanted_slugs
from projections.map_rows import MapQuery
from projections.projector import PROJECTION_NAME, tracking_position
from projections.row_values import attribution_decoder, details_of, stored_partial, utc
from projections.schema import ReadModelTables, read_model_tables
from projections.user_text import reader_provenance, reader_text
from projections.views import (
    BodyMap,
    CooperationMap,
    HistoryEntry,
    Named,
    OrganisationView,
    RegionMap,
    Summary,
)


class ReadModelAt(NamedTuple):
    """Where the read model is: the last log position it applied, and the last position at which its
    facts changed (a fact row recorded or superseded; None before any). Every map is read from the
    facts, so a map read at a position at or after ``facts_position`` is the map at ``position``."""

    position: int | None
    facts_position: int | None


class PositionProbe:
    """The read model's position as ``GovernanceMaps.position`` reads it, with the last position at
    which its facts changed (``ReadModelAt``), for a watch that asks a hundred times a second: one
    statement (one row of the tracking table) compiled once, on a database connection of its own.
    Checking a connection out of the pool and compiling the statement for each read cost several times
    the database's own answer (about 0.8 ms of CPU a read, 8% of a core at that rate)."""

    def __init__(self, engine: Engine, tables: ReadModelTables | None = None) -> None:
        tracking = (tables or read_model_tables()).tracking
        statement = select(tracking.c.position, tracking.c.facts_position).where(
            tracking.c.name == PROJECTION_NAME
        )
        self._sql = str(
            statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        )
        self._engine = engine
        self._connection: Any = None

    def __call__(self) -> ReadModelAt:
        if self._connection is None:
            self._connection = self._engine.raw_connection()
        try:
            cursor = self._connection.cursor()
            try:
                cursor.execute(self._sql)
                row = cursor.fetchone()
            finally:
                cursor.close()
            self._connection.rollback()  # no transaction stays open between reads
        except Exception:
            self._connection.invalidate()  # a broken connection: the next read opens another
            self._connection = None
            raise
        return ReadModelAt(None, None) if row is None else ReadModelAt(*row)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class GovernanceMaps:
    """The queries of the governance maps (see the module docstring for ``as_of`` and ``known_at``)."""

    def __init__(self, engine: Engine, tables: ReadModelTables | None = None) -> None:
        self.engine = engine
        self.tables = tables or read_model_tables()

    def position(self) -> int | None:
        """The last log position (notification id) the read model has applied."""
        with self.engine.connect() as connection:
            return tracking_position(connection, self.tables)

    @contextmanager
    def _reading(
        self, as_of: date | None = None, known_at: datetime | None = None
    ) -> Iterator[MapQuery]:
        """One map's statements read one snapshot (a runner may commit meanwhile), so a map and the
        position it reports always agree."""
        with snapshot_reading(self.engine) as connection:
            yield MapQuery(self.tables, connection, as_of, known_at)

    # The sections served beside the maps read through the same snapshot (``projections.module_commitments``).
    reading = _reading

    # -- region ------------------------------------------------------------------------------------
    def region_map(
        self, region: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> RegionMap:
        with self._reading(as_of, known_at) as q:
            return subject_maps.region_map(q, region)

    # -- cooperation -------------------------------------------------------------------------------
    def cooperation_map(
        self, cooperation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> CooperationMap:
        with self._reading(as_of, known_at) as q:
            return subject_maps.cooperation_map(q, cooperation)

    # -- organisation ------------------------------------------------------------------------------
    def organisation_view(
        self, organisation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> OrganisationView:
        with self._reading(as_of, known_at) as q:
            return subject_maps.organisation_view(q, organisation)

    # -- decision body -----------------------------------------------------------------------------
    def body_map(
        self, body: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> BodyMap:
        with self._reading(as_of, known_at) as q:
            return BodyMap(**q.header(), body=map_sections.body(q, body))

    def body_region(self, body: str) -> str | None:
        """The region a decision body belongs to, as known now (None for a cooperation's body)."""
        with self._reading() as q:
            return q.registration(SubjectKind.BODY, body)["region"]

    def bodies(self, *, known_at: datetime | None = None) -> list[Summary]:
        with self._reading(None, known_at) as q:
            return map_sections.body_summaries(q)

    # -- plans of approach (``projections.plans_of_approach``) ----------------------------------------
    def region_plans(
        self, region: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> plans_of_approach.RegionPlans:
        with self._reading(as_of, known_at) as q:
            return plans_of_approach.region_plans(q, region)

    def overdue_actions(
        self,
        *,
        region: str | None = None,
        as_of: date | None = None,
        since: date | None = None,
        known_at: datetime | None = None,
    ) -> plans_of_approach.OverdueActions:
        """Actions overdue on ``as_of``; with ``since``, those that became overdue after it."""
        with self._reading(as_of, known_at) as q:
            earlier = None if since is None else MapQuery(q.tables, q.connection, since, known_at)
            return plans_of_approach.overdue_actions(q, earlier, region)

    # -- history and lists -------------------------------------------------------------------------
    def history(
        self, kind: SubjectKind, slug: str, *, known_at: datetime | None = None
    ) -> list[HistoryEntry]:
        events, links = self.tables.events, self.tables.event_subjects
        query = (
            select(events)
            .join(links, links.c.position == events.c.position)
            .where(links.c.subject_kind == str(kind), links.c.subject_slug == slug)
            .order_by(events.c.position)
        )
        if known_at is not None:
            query = query.where(events.c.recorded_at <= to_utc_naive(known_at))
        with self._reading(None, known_at) as names:
            rows = list(names.connection.execute(query).mappings())
            if not rows:
                raise UnknownReference(
                    f"{kind} {slug!r} has no recorded history — {UnknownReference.rule}"
                )
            names.want(*{r["subject_slug"] for r in rows})
            for row in rows:
                names.want(*wanted_slugs(described_attributes(row["description"])))
                names.want(attribution_decoder.decode(row["attribution"]).authority.body)
            names.load_names()
        entries = []
        for row in rows:
            attribution = attribution_decoder.decode(row["attribution"])
            subject_kind = SubjectKind(row["subject_kind"])
            subject_name = names.names.get((str(subject_kind), row["subject_slug"]))
            valid_from = stored_partial(row["valid_from"], row["valid_from_precision"])
            entries.append(
                HistoryEntry(
                    position=row["position"],
                    recorded_at=utc(row["recorded_at"]),
                    event=row["event_name"],
                    subject=Named(
                        kind=subject_kind,
                        slug=row["subject_slug"],
                        name=subject_name,
                    ),
                    description=reader_text(row["description"]) or "",
                    valid_from=valid_from,
                    valid_until=stored_partial(row["valid_until"], row["valid_until_precision"]),
                    authority=attribution.authority,
                    principal=attribution.principal,
                    provenance=reader_provenance(attribution.provenance, row["description"]),
                    corrects_position=row["corrects_position"],
                    summary=history_sentence(
                        row["event_name"],
                        row["description"],
                        subject_name or row["subject_slug"],
                        lambda kind, slug: names.names.get((kind, slug)) or slug,
                        valid_from,
                        attribution.authority,
                    ),
                )
            )
        return entries

    def _summaries(
        self, kind: SubjectKind, known_at: datetime | None, category: str
    ) -> list[Summary]:
        facts = self.tables.facts
        with self._reading(None, known_at) as q:
            rows = q.connection.execute(
                select(facts.c.subject_slug, facts.c.name, facts.c.details)
                .where(
                    q.known(),
                    facts.c.fact_kind == FactKind.REGISTERED,
                    facts.c.subject_kind == str(kind),
                )
                .order_by(facts.c.subject_slug)
            ).mappings()
            return [
                Summary(
                    kind=kind,
                    slug=row["subject_slug"],
                    name=row["name"],
                    category=details_of(row).get(category),
                )
                for row in rows
            ]

    def regions(self, *, known_at: datetime | None = None) -> list[Summary]:
        return self._summaries(SubjectKind.REGION, known_at, "region_kind")

    def cooperations(self, *, known_at: datetime | None = None) -> list[Summary]:
        return self._summaries(SubjectKind.COOPERATION, known_at, "cooperation_kind")

    def organisations(self, *, known_at: datetime | None = None) -> list[Summary]:
        return self._summaries(SubjectKind.ORGANISATION, known_at, "organisation_kind")

    def municipalities(self, *, known_at: datetime | None = None) -> list[Summary]:
        return self._summaries(SubjectKind.MUNICIPALITY, known_at, "category")
