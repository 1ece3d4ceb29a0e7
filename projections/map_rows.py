"""Reading the fact rows of the governance maps: a ``MapQuery`` keeps the ``as_of`` and ``known_at`` of one
map request and turns the rows it selects into the structs of ``projections.views`` (members, roles,
procurements, agreements, authorities, names). ``projections.subject_maps`` composes the maps from it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from domain.errors import UnknownReference
from domain.values import (
    AgreementKind,
    PartialDate,
    Provenance,
    SubjectKind,
    TermStructure,
    ValidPeriod,
    evidence_of_holding,
)
from projections.facts import SLUG_COLUMNS, FactKind
from projections.history import to_utc_naive
from projections.projector import tracking_position
from projections.row_values import (
    attribution_decoder,
    details_of,
    partial_date,
    utc,
    view_from,
)
from projections.schema import ReadModelTables
from projections.user_text import reader_provenance, reader_text
from projections.views import (
    AgreementEntry,
    Conflict,
    ConflictingClaim,
    ContractTerms,
    ExtensionOption,
    HoldingEvidence,
    Member,
    Named,
    OptOut,
    Participation,
    Procurement,
    Role,
)

NAMED_KINDS = (
    SubjectKind.REGION,
    SubjectKind.MUNICIPALITY,
    SubjectKind.COOPERATION,
    SubjectKind.ORGANISATION,
    SubjectKind.BODY,
)
ROLE_KINDS = (FactKind.ACCOUNT_HOLDER, FactKind.LEAD, FactKind.MANDATE, FactKind.AGREEMENT)
# The role a fact of each kind gives its holder, as the maps serve it.
ROLE_NAMES = {
    FactKind.ACCOUNT_HOLDER: "account-holder",
    FactKind.LEAD: "lead",
    FactKind.MANDATE: "mandate-holder",
}


def not_registered(kind: SubjectKind, slug: str) -> UnknownReference:
    """What a map of a subject never registered says (404)."""
    return UnknownReference(f"{kind} {slug!r} is not registered: check the slug")


class MapQuery:
    """One map's reading: the filters of its ``as_of``/``known_at`` and the names it needs."""

    def __init__(
        self,
        tables: ReadModelTables,
        connection: Connection,
        as_of: date | None,
        known_at: datetime | None,
    ) -> None:
        self.tables = tables
        self.connection = connection
        self.facts = tables.facts
        self.as_of = as_of or date.today()
        self.known_at = known_at
        self.names: dict[tuple[str, str], str | None] = {}
        self.wanted: set[str] = set()
        self._sources: dict[str, tuple[PartialDate, bool, str | None]] | None = None

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
            raise self._not_known(kind, slug)
        self.names[(str(kind), slug)] = row["name"]
        return row

    def _not_known(self, kind: SubjectKind, slug: str) -> UnknownReference:
        """Why nothing is known of ``kind`` ``slug``, and what to ask instead: a ``known_at``
        before its registration was recorded knows nothing of it yet."""
        facts = self.facts
        first = self.connection.execute(
            select(func.min(facts.c.recorded_at)).where(
                facts.c.fact_kind == FactKind.REGISTERED,
                facts.c.subject_kind == str(kind),
                facts.c.subject_slug == slug,
            )
        ).scalar()
        if first is None or self.known_at is None or to_utc_naive(self.known_at) >= first:
            return not_registered(kind, slug)
        return UnknownReference(
            f"{kind} {slug!r} was first recorded at {first:%Y-%m-%dT%H:%M:%SZ}; "
            f"known_at {to_utc_naive(self.known_at):%Y-%m-%dT%H:%M:%SZ} precedes it, so nothing "
            "was known of it then: ask with a later known_at, or none for what is known now"
        )

    # -- names -----------------------------------------------------------------------------------
    def want(self, *slugs: str | None) -> None:
        self.wanted.update(s for s in slugs if s)

    def want_rows(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self.want(row["region"], row["municipality"], row["cooperation"], row["organisation"])
            if row["fact_kind"] == FactKind.AGREEMENT:
                self.want(details_of(row)["holder_body"])

    def load_names(self) -> None:
        missing = {s for s in self.wanted if not any((k, s) in self.names for k in NAMED_KINDS)}
        if not missing:
            return
        facts = self.facts
        for row in self.connection.execute(
            select(facts.c.subject_kind, facts.c.subject_slug, facts.c.name).where(
                self.known(),
                facts.c.fact_kind == FactKind.REGISTERED,
                facts.c.subject_kind.in_([str(k) for k in NAMED_KINDS]),
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
    def source_dates(self) -> dict[str, tuple[PartialDate, bool, str | None]]:
        """Every registered source's date, whether it was inferred, and its title (read once)."""
        if self._sources is None:
            facts = self.facts
            self._sources = {}
            for row in self.connection.execute(
                select(facts.c.subject_slug, facts.c.name, facts.c.details).where(
                    self.known(),
                    facts.c.fact_kind == FactKind.REGISTERED,
                    facts.c.subject_kind == str(SubjectKind.SOURCE),
                )
            ).mappings():
                details = details_of(row)
                self._sources[row["subject_slug"]] = (
                    msgspec.convert(details["date"], PartialDate),
                    bool(details.get("date_inferred")),
                    row["name"],
                )
        return self._sources

    def evidence(
        self, period: ValidPeriod, provenance: Provenance, status: str | None
    ) -> HoldingEvidence | None:
        """The source a fact cites first, as evidence that it held on the source's date."""
        if period.valid_from.is_known or not provenance.sources:
            return None
        source = provenance.sources[0].split(":")[0]
        dated = self.source_dates().get(source)
        if dated is None:
            return None
        since = evidence_of_holding(period, dated[0], status)
        if not since.is_known:
            return None
        return HoldingEvidence(since=since, source=source, title=dated[2], date_inferred=dated[1])

    def fact(self, row: Any) -> dict[str, Any]:
        attribution = attribution_decoder.decode(row["attribution"])
        # The lines a row's notes cite become references of its provenance (``reader_text``).
        notes = (row["scope"], *(v for v in details_of(row).values() if isinstance(v, str)))
        valid_from = partial_date(row["valid_from_earliest"], row["valid_from_precision"])
        valid_until = partial_date(row["valid_until_earliest"], row["valid_until_precision"])
        # Rows reach here through ``holding()``, so their bounds make a valid period.
        period = ValidPeriod(valid_from, valid_until)
        evidence = self.evidence(period, attribution.provenance, row["status"])
        return {
            "valid_from": valid_from,
            "valid_until": valid_until,
            "certain": period.certainly_holds_on(
                self.as_of, evidence.since if evidence else PartialDate()
            ),
            "authority": attribution.authority,
            "principal": attribution.principal,
            "provenance": reader_provenance(attribution.provenance, *notes),
            "recorded_at": utc(row["recorded_at"]),
            "recorded_position": row["recorded_position"],
            "known_to_hold_since": evidence,
        }

    def member(self, row: Any) -> Member:
        return Member(
            **self.fact(row),
            municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            region=self.named(SubjectKind.REGION, row["region"]),
            scope=reader_text(row["scope"]),
            partial=row["scope"] is not None,
        )

    def participation(self, row: Any) -> Participation:
        return Participation(
            **self.fact(row),
            cooperation=self.named(SubjectKind.COOPERATION, row["cooperation"]),
            region=self.named(SubjectKind.REGION, row["region"]),
            participation=row["role"],
            note=reader_text(details_of(row).get("participation_note")),
        )

    def role(self, row: Any, parts: Sequence[Any] | None = None) -> Role:
        details = details_of(row)
        kind = row["fact_kind"]
        return view_from(
            Role,
            details,
            **self.fact(row),
            role=ROLE_NAMES.get(kind, f"{row['agreement_kind']}-holder"),
            agreement=row["agreement"],
            agreement_kind=row["agreement_kind"],
            status=row["status"],
            cooperation=self.named(SubjectKind.COOPERATION, row["cooperation"]),
            holder_region=self.named(SubjectKind.REGION, row["region"]),
            holder_municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            holder_body=self.named(SubjectKind.BODY, details.get("holder_body")),
            organisation=self.named(SubjectKind.ORGANISATION, row["organisation"]),
            subject=reader_text(row["scope"])
            if kind in (FactKind.LEAD, FactKind.AGREEMENT)
            else None,
            conflicts=self.conflicts(parts or ()),
        )

    def opt_out(self, row: Any) -> OptOut:
        details = details_of(row)
        return view_from(
            OptOut,
            details,
            **self.fact(row),
            agreement=row["agreement"],
            municipality=self.named(SubjectKind.MUNICIPALITY, row["municipality"]),
            scope=reader_text(row["scope"]) or "",
            reason=reader_text(details.get("reason")),
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
        details = details_of(row)
        return view_from(
            Procurement,
            details,
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
            term_text=reader_text(details.get("term_text")),
            opt_outs=tuple(self.opt_out(p) for p in parts if p["fact_kind"] == FactKind.OPT_OUT),
            contract=self.contract(details, parts),
            conflicts=self.conflicts(parts),
        )

    @staticmethod
    def contract(details: dict[str, Any], parts: Sequence[Any]) -> ContractTerms | None:
        """The contract terms of a procurement row, with the decisions on its extension options."""
        start, notation = details.get("contract_start"), details.get("term")
        if start is None and notation is None and details.get("term_text") is None:
            return None
        term = TermStructure.parse(notation) if notation else None
        decided = {
            details_of(p)["option_number"]: p
            for p in parts
            if p["fact_kind"] == FactKind.EXTENSION_OPTION
        }
        max_years = details.get("max_years")
        return ContractTerms(
            start=msgspec.convert(start, PartialDate) if start else None,
            term=notation,
            term_text=details.get("term_text"),
            initial_years=term.initial_years if term else None,
            extension_options=tuple(
                ExtensionOption(
                    number=number,
                    years=years,
                    decision=decided[number]["status"] if number in decided else None,
                    extends_from=partial_date(
                        decided[number]["valid_from_earliest"],
                        decided[number]["valid_from_precision"],
                    )
                    if number in decided
                    else None,
                )
                for number, years in enumerate(term.extension_options if term else (), start=1)
            ),
            max_years=term.max_years
            if term
            else (Decimal(str(max_years)) if max_years is not None else None),
            funding=details.get("funding"),
        )

    def conflicts(self, rows: Iterable[Any]) -> tuple[Conflict, ...]:
        """The conflicting claims among ``rows``, one entry per disputed topic (claims added later
        joined to the topic's first), in the order they were recorded."""
        topics: dict[str, Conflict] = {}
        for row in sorted(
            (r for r in rows if r["fact_kind"] == FactKind.CONFLICTING_CLAIMS),
            key=lambda r: r["recorded_position"],
        ):
            details = details_of(row)
            claims = tuple(
                ConflictingClaim(value=c["value"], sources=tuple(c["sources"]))
                for c in details["claims"]
            )
            slug = row["subject_slug"]
            if slug in topics:
                topics[slug] = msgspec.structs.replace(
                    topics[slug], claims=(*topics[slug].claims, *claims)
                )
                continue
            kind = details.get("subject_kind")
            topics[slug] = Conflict(
                claims_id=slug,
                topic=details.get("topic") or "",
                subject=self.named_ref(kind, details["subject_slug"])
                if details.get("subject_slug")
                else None,
                claims=claims,
                note=details.get("note"),
            )
        return tuple(topics.values())

    def agreement(self, row: Any, parts: Sequence[Any]) -> AgreementEntry:
        details = details_of(row)
        kind = row["fact_kind"]
        return view_from(
            AgreementEntry,
            details,
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
            subject=reader_text(row["scope"]),
            parties=self.parties([p for p in parts if p["fact_kind"] == "agreement-party"]),
            conflicts=self.conflicts(parts),
        )

    def agreement_parts(self, agreements: Iterable[str]) -> dict[str, list[Any]]:
        agreements = sorted(set(agreements))
        parts: dict[str, list[Any]] = {a: [] for a in agreements}
        if not agreements:
            return parts
        facts = self.facts
        # A decision on an extension option is shown whatever day the map is of: the row's period is
        # the extension's, which may lie ahead (or behind) while the decision is already known.
        for row in self.connection.execute(
            select(facts).where(
                self.known(),
                facts.c.agreement.in_(agreements),
                or_(
                    and_(
                        facts.c.valid_from_earliest <= self.as_of,
                        facts.c.valid_until_latest >= self.as_of,
                    ),
                    facts.c.fact_kind == FactKind.EXTENSION_OPTION,
                ),
            )
        ).mappings():
            parts[row["agreement"]].append(row)
        return parts

    def claims_about(self, agreements: Iterable[str | None]) -> dict[str, list[Any]]:
        """The conflicting claims on each of ``agreements`` (for roles, read without their parts)."""
        found: dict[str, list[Any]] = {}
        slugs = sorted({a for a in agreements if a})
        if slugs:
            for row in self.rows(
                self.facts.c.fact_kind == FactKind.CONFLICTING_CLAIMS,
                self.facts.c.agreement.in_(slugs),
            ):
                found.setdefault(row["agreement"], []).append(row)
        return found

    def header(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "known_at": self.known_at or datetime.now(UTC),
            "position": tracking_position(self.connection, self.tables),
        }


def is_role(row: Any) -> bool:
    """Agreements other than accounts, leads and mandates are roles when someone holds them."""
    if row["fact_kind"] != FactKind.AGREEMENT:
        return True
    return row["agreement_kind"] in (
        AgreementKind.BESLISBEVOEGDHEID,
        AgreementKind.EXPERTTEAM_MANDAAT,
    )
