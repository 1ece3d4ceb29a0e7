"""The governance maps, answered from the read model in a few indexed statements per map.

Every map takes ``as_of`` (valid time, default today) and ``known_at`` (record time, default now):

- ``known_at`` keeps the fact row versions recorded at or before it and not yet superseded then. Without
  ``known_at`` the current versions are read directly (``superseded_position IS NULL``).
- ``as_of`` keeps the facts that *could* hold on that day (``valid_from_earliest <= as_of <=
  valid_until_latest``). Each fact says whether it *certainly* holds (``certain``): its start is known and
  on or before ``as_of`` (to the precision it is known), and it has no recorded end before ``as_of``. An
  end that is not recorded counts as open: the fact holds until an end is recorded. An unknown start
  never counts as certain — the sources did not say since when. The rule is the domain's
  (``ValidPeriod.certainly_holds_on``); this module only reads the bounds back from the columns.

Names of regions, municipalities, cooperations and organisations come from their registration rows,
regardless of valid time (a municipality that merged away keeps its name on old maps).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from domain.errors import UnknownReference
from domain.values import (
    AgreementKind,
    Authority,
    PartialDate,
    Precision,
    Provenance,
    SubjectKind,
    ValidPeriod,
)
from projections.facts import SLUG_COLUMNS, FactKind
from projections.history import to_utc_naive
from projections.projector import PROJECTION_NAME, tracking_position
from projections.schema import ReadModelTables, read_model_tables
from projections.views import (
    AgreementEntry,
    CooperationMap,
    HistoryEntry,
    Member,
    Named,
    OptOut,
    OrganisationView,
    Participation,
    Procurement,
    RegionMap,
    Role,
    Summary,
)


class _Attribution(msgspec.Struct, frozen=True):
    authority: Authority
    principal: str
    provenance: Provenance


_attribution = msgspec.json.Decoder(_Attribution)
_details_decoder = msgspec.json.Decoder(dict[str, Any])

_NAMED_KINDS = (
    SubjectKind.REGION,
    SubjectKind.MUNICIPALITY,
    SubjectKind.COOPERATION,
    SubjectKind.ORGANISATION,
    SubjectKind.BODY,
)
_ROLE_KINDS = (FactKind.ACCOUNT_HOLDER, FactKind.LEAD, FactKind.MANDATE, FactKind.AGREEMENT)
# The role a fact of each kind gives its holder, as the maps serve it.
_ROLE_NAMES = {
    FactKind.ACCOUNT_HOLDER: "account-holder",
    FactKind.LEAD: "lead",
    FactKind.MANDATE: "mandate-holder",
}


def _partial(earliest: date, precision: str) -> PartialDate:
    if precision == Precision.UNKNOWN:
        return PartialDate()
    return PartialDate(earliest, Precision(precision))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class _Query:
    """One map's reading: the filters of its ``as_of``/``known_at`` and the names it needs."""

    def __init__(
        self,
        maps: GovernanceMaps,
        connection: Connection,
        as_of: date | None,
        known_at: datetime | None,
    ) -> None:
        self.maps = maps
        self.connection = connection
        self.facts = maps.tables.facts
        self.as_of = as_of or date.today()
        self.known_at = known_at
        self.names: dict[tuple[str, str], str | None] = {}
        self.wanted: set[str] = set()

    def known(self) -> ColumnElement[bool]:
        facts = self.facts
        if self.known_at is None:
            return facts.c.superseded_position.is_(None)
        moment = to_utc_naive(self.known_at)
        return and_(
            facts.c.recorded_at <= moment,
            or_(facts.c.superseded_at.is_(None), facts.c.superseded_at > moment),
        )

    def holding(self) -> ColumnElement[bool]:
        return and_(
            self.known(),
            self.facts.c.valid_from_earliest <= self.as_of,
            self.facts.c.valid_until_latest >= self.as_of,
        )

    def rows(self, *conditions: Any) -> list[Any]:
        return list(
            self.connection.execute(
                select(self.facts).where(self.holding(), *conditions)
            ).mappings()
        )

    def registration(self, kind: SubjectKind, slug: str) -> Any:
        facts = self.facts
        row = (
            self.connection.execute(
                select(facts).where(
                    self.known(),
                    facts.c.fact_kind == FactKind.REGISTERED,
                    facts.c.subject_kind == str(kind),
                    facts.c.subject_slug == slug,
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise UnknownReference(f"{kind} {slug!r} is not registered — {UnknownReference.rule}")
        self.names[(str(kind), slug)] = row["name"]
        return row

    # -- names -----------------------------------------------------------------------------------
    def want(self, *slugs: str | None) -> None:
        self.wanted.update(s for s in slugs if s)

    def want_rows(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self.want(row["region"], row["municipality"], row["cooperation"], row["organisation"])
            if row["fact_kind"] == FactKind.AGREEMENT:
                self.want(_details(row)["holder_body"])

    def load_names(self) -> None:
        missing = {s for s in self.wanted if not any((k, s) in self.names for k in _NAMED_KINDS)}
        if not missing:
            return
        facts = self.facts
        for row in self.connection.execute(
            select(facts.c.subject_kind, facts.c.subject_slug, facts.c.name).where(
                self.known(),
                facts.c.fact_kind == FactKind.REGISTERED,
                facts.c.subject_kind.in_([str(k) for k in _NAMED_KINDS]),
                facts.c.subject_slug.in_(sorted(missing)),
            )
        ):
            self.names[(row.subject_kind, row.subject_slug)] = row.name

    def named(self, kind: SubjectKind, slug: str | None) -> Named | None:
        if slug is None:
            return None
        return Named(kind=kind, slug=slug, name=self.names.get((str(kind), slug)))

    def named_ref(self, kind: str | None, slug: str) -> Named:
        subject_kind = SubjectKind(kind) if kind else SubjectKind.ORGANISATION
        return Named(kind=subject_kind, slug=slug, name=self.names.get((str(subject_kind), slug)))

    # -- rows into views -------------------------------------------------------------------------
    def fact(self, row: Any) -> dict[str, Any]:
        attribution = _attribution.decode(row["attribution"])
        valid_from = _partial(row["valid_from_earliest"], row["valid_from_precision"])
        valid_until = _partial(row["valid_until_earliest"], row["valid_until_precision"])
        return {
            "valid_from": valid_from,
            "valid_until": valid_until,
            # Rows reach here through ``holding()``, so their bounds make a valid period.
            "certain": ValidPeriod(valid_from, valid_until).certainly_holds_on(self.as_of),
            "authority": attribution.authority,
            "principal": attribution.principal,
            "provenance": attribution.provenance,
            "recorded_at": _utc(row["recorded_at"]),
            "recorded_position": row["recorded_position"],
        }

    def member(self, row: Any) -> Member:
        return Member(
            **self.fact(row),
            municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            region=self.named(SubjectKind.REGION, row["region"]),
            scope=row["scope"],
            partial=row["scope"] is not None,
        )

    def participation(self, row: Any) -> Participation:
        return Participation(
            **self.fact(row),
            cooperation=self.named(SubjectKind.COOPERATION, row["cooperation"]),
            region=self.named(SubjectKind.REGION, row["region"]),
            participation=row["role"],
            note=_details(row).get("participation_note"),
        )

    def role(self, row: Any) -> Role:
        details = _details(row)
        kind = row["fact_kind"]
        return Role(
            **self.fact(row),
            role=_ROLE_NAMES.get(kind, f"{row['agreement_kind']}-holder"),
            agreement=row["agreement"],
            agreement_kind=row["agreement_kind"],
            status=row["status"],
            cooperation=self.named(SubjectKind.COOPERATION, row["cooperation"]),
            holder_region=self.named(SubjectKind.REGION, row["region"]),
            holder_municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            holder_body=self.named(SubjectKind.BODY, details.get("holder_body")),
            organisation=self.named(SubjectKind.ORGANISATION, row["organisation"]),
            subject=row["scope"] if kind in (FactKind.LEAD, FactKind.AGREEMENT) else None,
            module=details.get("module"),
        )

    def opt_out(self, row: Any) -> OptOut:
        return OptOut(
            **self.fact(row),
            agreement=row["agreement"],
            municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            scope=row["scope"],
            reason=_details(row).get("reason"),
        )

    def owner(self, row: Any) -> Named | None:
        if row["cooperation"]:
            return self.named(SubjectKind.COOPERATION, row["cooperation"])
        if row["region"]:
            return self.named(SubjectKind.REGION, row["region"])
        return None

    def parties(self, rows: Sequence[Any]) -> tuple[Named, ...]:
        parties = []
        for row in rows:
            kind = SubjectKind(row["role"]) if row["role"] else SubjectKind.ORGANISATION
            slug = row[SLUG_COLUMNS.get(kind, "organisation")]
            if slug:
                parties.append(self.named_ref(kind, slug))
        return tuple(parties)

    def procurement(self, row: Any, parts: Sequence[Any]) -> Procurement:
        details = _details(row)
        start = details.get("contract_start")
        return Procurement(
            **self.fact(row),
            agreement=row["agreement"],
            status=row["status"],
            owner=self.owner(row),
            participants=self.parties(
                [p for p in parts if p["fact_kind"] == "procurement-participant"]
            ),
            suppliers=tuple(
                self.named(SubjectKind.ORGANISATION, p["organisation"])
                for p in parts
                if p["fact_kind"] == FactKind.PROCUREMENT_SUPPLIER
            ),
            segments=tuple(details.get("segments") or ()),
            lots=tuple(details.get("lots") or ()),
            contract_start=msgspec.convert(start, PartialDate) if start else None,
            term=details.get("term"),
            term_text=details.get("term_text"),
            part_of=details.get("part_of"),
            opt_outs=tuple(self.opt_out(p) for p in parts if p["fact_kind"] == FactKind.OPT_OUT),
        )

    def agreement(self, row: Any, parts: Sequence[Any]) -> AgreementEntry:
        details = _details(row)
        kind = row["fact_kind"]
        return AgreementEntry(
            **self.fact(row),
            agreement=row["agreement"],
            agreement_kind=row["agreement_kind"],
            status=row["status"],
            holder_region=self.named(SubjectKind.REGION, row["region"])
            if kind in (FactKind.LEAD, FactKind.ACCOUNT_HOLDER)
            else None,
            holder_municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            holder_body=self.named(SubjectKind.BODY, details.get("holder_body")),
            organisation=self.named(SubjectKind.ORGANISATION, row["organisation"]),
            subject=row["scope"],
            parties=self.parties([p for p in parts if p["fact_kind"] == "agreement-party"]),
        )

    def agreement_parts(self, agreements: Iterable[str]) -> dict[str, list[Any]]:
        agreements = sorted(set(agreements))
        parts: dict[str, list[Any]] = {a: [] for a in agreements}
        if not agreements:
            return parts
        for row in self.rows(self.facts.c.agreement.in_(agreements)):
            parts[row["agreement"]].append(row)
        return parts

    def header(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "known_at": self.known_at or datetime.now(UTC),
            "position": tracking_position(self.connection, self.maps.tables),
        }


def _details(row: Any) -> dict[str, Any]:
    return _details_decoder.decode(row["details"])


def _sorted(items: Iterable[Any], *keys: str) -> tuple[Any, ...]:
    def key(item: Any) -> tuple[Any, ...]:
        values = []
        for name in keys:
            value = getattr(item, name)
            values.append(value.slug if isinstance(value, Named) else (value or ""))
        return (*values, item.recorded_position)

    return tuple(sorted(items, key=key))


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
    ) -> Iterator[_Query]:
        """One map's statements read one snapshot (a runner may commit meanwhile), so a map and the
        position it reports always agree: SQLite gives a read transaction that, PostgreSQL needs
        REPEATABLE READ for it."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield _Query(self, connection, as_of, known_at)

    # -- region ------------------------------------------------------------------------------------
    def region_map(
        self, region: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> RegionMap:
        with self._reading(as_of, known_at) as q:
            return self._region_map(q, region)

    def _region_map(self, q: _Query, region: str) -> RegionMap:
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
            q.rows(facts.c.cooperation.in_(cooperations), facts.c.fact_kind.in_(_ROLE_KINDS))
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
            if r["fact_kind"] in _ROLE_KINDS and held_here(r) and _is_role(r)
        }
        towards = {r["version_id"]: r for r in in_cooperations if not held_here(r) and _is_role(r)}
        procurements = [
            q.procurement(r, parts[r["agreement"]])
            for ps in parts.values()
            for r in ps
            if r["fact_kind"] == FactKind.PROCUREMENT
        ]
        details = _details(registration)
        return RegionMap(
            **q.header(),
            region=q.named(SubjectKind.REGION, region),
            region_kind=details.get("region_kind"),
            province=details.get("province"),
            members=_sorted(
                (q.member(r) for r in own if r["fact_kind"] == FactKind.MEMBERSHIP), "municipality"
            ),
            cooperations=_sorted(
                (q.participation(r) for r in own if r["fact_kind"] == FactKind.PARTICIPATION),
                "cooperation",
            ),
            roles=_sorted((q.role(r) for r in roles.values()), "cooperation", "role", "agreement"),
            procurements=_sorted(procurements, "agreement"),
            opt_outs=_sorted(
                (q.opt_out(r) for r in via_members if r["fact_kind"] == FactKind.OPT_OUT),
                "agreement",
                "municipality",
            ),
            roles_towards=_sorted(
                (q.role(r) for r in towards.values()), "cooperation", "role", "agreement"
            ),
        )

    # -- cooperation -------------------------------------------------------------------------------
    def cooperation_map(
        self, cooperation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> CooperationMap:
        with self._reading(as_of, known_at) as q:
            return self._cooperation_map(q, cooperation)

    def _cooperation_map(self, q: _Query, cooperation: str) -> CooperationMap:
        facts = self.tables.facts
        registration = q.registration(SubjectKind.COOPERATION, cooperation)
        rows = q.rows(facts.c.cooperation == cooperation)
        owned = {
            r["agreement"]
            for r in rows
            if r["fact_kind"] in (FactKind.PROCUREMENT, FactKind.AGREEMENT)
        }
        parts = q.agreement_parts(owned)
        q.want_rows((*rows, *(p for ps in parts.values() for p in ps)))
        q.load_names()
        details = _details(registration)
        return CooperationMap(
            **q.header(),
            cooperation=q.named(SubjectKind.COOPERATION, cooperation),
            cooperation_kind=details.get("cooperation_kind"),
            decision_rule=details.get("decision_rule"),
            members=_sorted(
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
            roles=_sorted(
                (
                    q.role(r)
                    for r in rows
                    if r["fact_kind"] in (FactKind.ACCOUNT_HOLDER, FactKind.LEAD, FactKind.MANDATE)
                ),
                "role",
                "agreement",
            ),
            procurements=_sorted(
                (
                    q.procurement(r, parts[r["agreement"]])
                    for r in rows
                    if r["fact_kind"] == FactKind.PROCUREMENT
                ),
                "agreement",
            ),
            agreements=_sorted(
                (
                    q.agreement(r, parts[r["agreement"]])
                    for r in rows
                    if r["fact_kind"] == FactKind.AGREEMENT
                ),
                "agreement",
            ),
        )

    # -- organisation ------------------------------------------------------------------------------
    def organisation_view(
        self, organisation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> OrganisationView:
        with self._reading(as_of, known_at) as q:
            return self._organisation_view(q, organisation)

    def _organisation_view(self, q: _Query, organisation: str) -> OrganisationView:
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
            organisation_kind=_details(registration).get("organisation_kind"),
            account_holders=_sorted(
                (q.role(r) for r in rows if r["fact_kind"] == FactKind.ACCOUNT_HOLDER),
                "cooperation",
                "agreement",
            ),
            procurements=_sorted(
                (
                    q.procurement(r, parts[r["agreement"]])
                    for r in heads
                    if r["fact_kind"] == FactKind.PROCUREMENT
                ),
                "agreement",
            ),
            mandates=_sorted(
                (q.role(r) for r in rows if r["fact_kind"] == FactKind.MANDATE), "agreement"
            ),
            agreements=_sorted(
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
        )

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
            names.load_names()
        entries = []
        for row in rows:
            attribution = _attribution.decode(row["attribution"])
            subject_kind = SubjectKind(row["subject_kind"])
            entries.append(
                HistoryEntry(
                    position=row["position"],
                    recorded_at=_utc(row["recorded_at"]),
                    event=row["event_name"],
                    subject=Named(
                        kind=subject_kind,
                        slug=row["subject_slug"],
                        name=names.names.get((str(subject_kind), row["subject_slug"])),
                    ),
                    description=row["description"],
                    valid_from=_stored_partial(row["valid_from"], row["valid_from_precision"]),
                    valid_until=_stored_partial(row["valid_until"], row["valid_until_precision"]),
                    authority=attribution.authority,
                    principal=attribution.principal,
                    provenance=attribution.provenance,
                    corrects_position=row["corrects_position"],
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
                    category=_details(row).get(category),
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


def _is_role(row: Any) -> bool:
    """Agreements other than accounts, leads and mandates are roles when someone holds them."""
    if row["fact_kind"] != FactKind.AGREEMENT:
        return True
    return row["agreement_kind"] in (
        AgreementKind.BESLISBEVOEGDHEID,
        AgreementKind.EXPERTTEAM_MANDAAT,
    )


def _stored_partial(value: str | None, precision: str) -> PartialDate:
    if value is None:
        return PartialDate()
    return PartialDate(date.fromisoformat(value), Precision(precision))
