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
from typing import Any

from sqlalchemy import Engine, select

from domain.errors import UnknownReference
from domain.values import (
    SubjectKind,
)
from projections import map_sections, plans_of_approach
from projections.facts import FactKind
from projections.history import to_utc_naive
from projections.history_sentences import described_attributes, history_sentence, wanted_slugs
from projections.map_rows import (
    ROLE_KINDS,
    MapQuery,
    attribution_decoder,
    details_of,
    is_role,
    sorted_by,
    stored_partial,
    utc,
)
from projections.projector import PROJECTION_NAME, tracking_position
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


class PositionProbe:
    """The read model's position as ``GovernanceMaps.position`` reads it, for a watch that asks a hundred
    times a second: one statement compiled once, on a database connection of its own. Checking a
    connection out of the pool and compiling the statement for each read cost several times the
    database's own answer (about 0.8 ms of CPU a read, 8% of a core at that rate)."""

    def __init__(self, engine: Engine, tables: ReadModelTables | None = None) -> None:
        tracking = (tables or read_model_tables()).tracking
        statement = select(tracking.c.position).where(tracking.c.name == PROJECTION_NAME)
        self._sql = str(
            statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        )
        self._engine = engine
        self._connection: Any = None

    def __call__(self) -> int | None:
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
        return None if row is None else row[0]

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
        position it reports always agree: SQLite gives a read transaction that, PostgreSQL needs
        REPEATABLE READ for it."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield MapQuery(self.tables, connection, as_of, known_at)

    # The sections served beside the maps read through the same snapshot (``projections.module_commitments``).
    reading = _reading

    # -- region ------------------------------------------------------------------------------------
    def region_map(
        self, region: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> RegionMap:
        with self._reading(as_of, known_at) as q:
            return self._region_map(q, region)

    def _region_map(self, q: MapQuery, region: str) -> RegionMap:
        facts = self.tables.facts
        registration = q.registration(SubjectKind.REGION, region)
        own = q.rows(facts.c.region == region)
        municipalities = sorted(
            {r["municipality"] for r in own if r["fact_kind"] == FactKind.MEMBERSHIP}
        )
        cooperations = sorted(
            {r["cooperation"] for r in own if r["fact_kind"] == FactKind.PARTICIPATION}
        )
        via_members = (
            q.rows(
                facts.c.municipality.in_(municipalities),
                facts.c.fact_kind.in_(
                    (
                        FactKind.ACCOUNT_HOLDER,
                        FactKind.MANDATE,
                        FactKind.AGREEMENT,
                        FactKind.OPT_OUT,
                        FactKind.PROCUREMENT_PARTICIPANT,
                    )
                ),
            )
            if municipalities
            else []
        )
        in_cooperations = (
            q.rows(facts.c.cooperation.in_(cooperations), facts.c.fact_kind.in_(ROLE_KINDS))
            if cooperations
            else []
        )
        procurement_slugs = {
            r["agreement"]
            for r in (*own, *via_members)
            if r["fact_kind"]
            in (FactKind.PROCUREMENT_PARTICIPANT, FactKind.PROCUREMENT, FactKind.OPT_OUT)
        }
        parts = q.agreement_parts(procurement_slugs)
        q.want_rows(
            (*own, *via_members, *in_cooperations, *(p for ps in parts.values() for p in ps))
        )
        q.load_names()

        def held_here(row: Any) -> bool:
            return row["region"] == region or row["municipality"] in municipalities

        roles = {
            r["version_id"]: r
            for r in (*own, *via_members, *in_cooperations)
            if r["fact_kind"] in ROLE_KINDS and held_here(r) and is_role(r)
        }
        towards = {r["version_id"]: r for r in in_cooperations if not held_here(r) and is_role(r)}
        claims = q.claims_about(r["agreement"] for r in (*roles.values(), *towards.values()))
        procurements = [
            q.procurement(r, parts[r["agreement"]])
            for ps in parts.values()
            for r in ps
            if r["fact_kind"] == FactKind.PROCUREMENT
        ]
        details = details_of(registration)
        return RegionMap(
            **q.header(),
            region=q.named(SubjectKind.REGION, region),
            region_kind=details.get("region_kind"),
            province=details.get("province"),
            members=sorted_by(
                (q.member(r) for r in own if r["fact_kind"] == FactKind.MEMBERSHIP), "municipality"
            ),
            cooperations=sorted_by(
                (q.participation(r) for r in own if r["fact_kind"] == FactKind.PARTICIPATION),
                "cooperation",
            ),
            roles=sorted_by(
                (q.role(r, claims.get(r["agreement"])) for r in roles.values()),
                "cooperation",
                "role",
                "agreement",
            ),
            procurements=sorted_by(procurements, "agreement"),
            opt_outs=sorted_by(
                (q.opt_out(r) for r in via_members if r["fact_kind"] == FactKind.OPT_OUT),
                "agreement",
                "municipality",
            ),
            roles_towards=sorted_by(
                (q.role(r, claims.get(r["agreement"])) for r in towards.values()),
                "cooperation",
                "role",
                "agreement",
            ),
            conflicts=q.conflicts(own),
            bodies=map_sections.bodies_of(q, SubjectKind.REGION, region),
            decision_route=map_sections.decision_route(q, registration),
        )

    # -- cooperation -------------------------------------------------------------------------------
    def cooperation_map(
        self, cooperation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> CooperationMap:
        with self._reading(as_of, known_at) as q:
            return self._cooperation_map(q, cooperation)

    def _cooperation_map(self, q: MapQuery, cooperation: str) -> CooperationMap:
        facts = self.tables.facts
        registration = q.registration(SubjectKind.COOPERATION, cooperation)
        rows = q.rows(facts.c.cooperation == cooperation)
        owned = {
            r["agreement"]
            for r in rows
            if r["fact_kind"] in (FactKind.PROCUREMENT, FactKind.AGREEMENT)
        }
        parts = q.agreement_parts(owned)
        claims = q.claims_about(r["agreement"] for r in rows if r["fact_kind"] in ROLE_KINDS)
        q.want_rows((*rows, *(p for ps in parts.values() for p in ps)))
        q.load_names()
        details = details_of(registration)
        roles = sorted_by(
            (
                q.role(r, claims.get(r["agreement"]))
                for r in rows
                if r["fact_kind"] in (FactKind.ACCOUNT_HOLDER, FactKind.LEAD, FactKind.MANDATE)
            ),
            "role",
            "agreement",
        )
        mandates = [r for r in rows if r["fact_kind"] == FactKind.MANDATE]
        return CooperationMap(
            **q.header(),
            cooperation=q.named(SubjectKind.COOPERATION, cooperation),
            cooperation_kind=details.get("cooperation_kind"),
            decision_rule=details.get("decision_rule"),
            members=sorted_by(
                (q.participation(r) for r in rows if r["fact_kind"] == FactKind.PARTICIPATION),
                "region",
            ),
            organisations=tuple(
                sorted(
                    (
                        q.named(SubjectKind.ORGANISATION, r["organisation"])
                        for r in rows
                        if r["fact_kind"] == FactKind.INVOLVEMENT
                    ),
                    key=lambda n: n.slug,
                )
            ),
            roles=roles,
            procurements=sorted_by(
                (
                    q.procurement(r, parts[r["agreement"]])
                    for r in rows
                    if r["fact_kind"] == FactKind.PROCUREMENT
                ),
                "agreement",
            ),
            agreements=sorted_by(
                (
                    q.agreement(r, parts[r["agreement"]])
                    for r in rows
                    if r["fact_kind"] == FactKind.AGREEMENT
                ),
                "agreement",
            ),
            conflicts=q.conflicts(rows),
            formalised=details.get("formalised"),
            member_count=details.get("member_count"),
            principles=tuple(details.get("principles") or ()),
            agenda=map_sections.agenda(registration, roles),
            bodies=map_sections.bodies_of(q, SubjectKind.COOPERATION, cooperation),
            adoption_routes=map_sections.adoption_routes(q, mandates),
        )

    # -- organisation ------------------------------------------------------------------------------
    def organisation_view(
        self, organisation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> OrganisationView:
        with self._reading(as_of, known_at) as q:
            return self._organisation_view(q, organisation)

    def _organisation_view(self, q: MapQuery, organisation: str) -> OrganisationView:
        facts = self.tables.facts
        registration = q.registration(SubjectKind.ORGANISATION, organisation)
        rows = q.rows(facts.c.organisation == organisation)
        related = {
            r["agreement"]
            for r in rows
            if r["fact_kind"]
            in (FactKind.PROCUREMENT_SUPPLIER, FactKind.AGREEMENT_RECIPIENT, FactKind.AGREEMENT)
        }
        parts = q.agreement_parts(related)
        claims = q.claims_about(
            r["agreement"]
            for r in rows
            if r["fact_kind"] in (FactKind.ACCOUNT_HOLDER, FactKind.MANDATE)
        )
        q.want_rows((*rows, *(p for ps in parts.values() for p in ps)))
        q.load_names()
        heads = [
            p
            for ps in parts.values()
            for p in ps
            if p["fact_kind"] in (FactKind.PROCUREMENT, FactKind.AGREEMENT)
        ]
        return OrganisationView(
            **q.header(),
            organisation=q.named(SubjectKind.ORGANISATION, organisation),
            organisation_kind=details_of(registration).get("organisation_kind"),
            account_holders=sorted_by(
                (
                    q.role(r, claims.get(r["agreement"]))
                    for r in rows
                    if r["fact_kind"] == FactKind.ACCOUNT_HOLDER
                ),
                "cooperation",
                "agreement",
            ),
            procurements=sorted_by(
                (
                    q.procurement(r, parts[r["agreement"]])
                    for r in heads
                    if r["fact_kind"] == FactKind.PROCUREMENT
                ),
                "agreement",
            ),
            mandates=sorted_by(
                (
                    q.role(r, claims.get(r["agreement"]))
                    for r in rows
                    if r["fact_kind"] == FactKind.MANDATE
                ),
                "agreement",
            ),
            agreements=sorted_by(
                (
                    q.agreement(r, parts[r["agreement"]])
                    for r in heads
                    if r["fact_kind"] == FactKind.AGREEMENT
                ),
                "agreement",
            ),
            cooperations=tuple(
                sorted(
                    {
                        q.named(SubjectKind.COOPERATION, r["cooperation"])
                        for r in rows
                        if r["fact_kind"] == FactKind.INVOLVEMENT
                    },
                    key=lambda n: n.slug,
                )
            ),
            adoption_routes=map_sections.adoption_routes(
                q, (r for r in rows if r["fact_kind"] == FactKind.MANDATE)
            ),
            conflicts=q.conflicts(rows),
            procured_by=self._procuring_regions(q, heads, parts),
        )

    @staticmethod
    def _procuring_regions(
        q: MapQuery, heads: list[Any], parts: dict[str, list[Any]]
    ) -> tuple[Named, ...]:
        """The regions that own, or take part in, the procurements an organisation supplies to."""
        regions = set()
        for head in heads:
            if head["fact_kind"] != FactKind.PROCUREMENT:
                continue
            regions.add(head["region"])
            regions.update(
                p["region"]
                for p in parts[head["agreement"]]
                if p["fact_kind"] == FactKind.PROCUREMENT_PARTICIPANT
            )
        return tuple(
            named
            for slug in sorted(r for r in regions if r)
            if (named := q.named(SubjectKind.REGION, slug)) is not None
        )

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
