"""The map of a region, of a cooperation and of an organisation, each composed from the fact rows that
name it (``projections.map_rows``) and the sections beside them (``projections.map_sections``). Each
reads through one ``MapQuery``: ``GovernanceMaps`` (``projections.queries``) opens it on one snapshot,
with the map's ``as_of`` and ``known_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from domain.values import SubjectKind
from projections import map_sections
from projections.facts import FactKind
from projections.map_rows import ROLE_KINDS, MapQuery, is_role
from projections.row_values import details_of, sorted_by, view_from
from projections.views import CooperationMap, Named, OrganisationView, RegionMap, Role

T = TypeVar("T")


def _of(rows: Iterable[Any], *kinds: FactKind) -> Iterator[Any]:
    return (r for r in rows if r["fact_kind"] in kinds)


def _all_parts(parts: dict[str, list[Any]]) -> Iterator[Any]:
    return (p for ps in parts.values() for p in ps)


def _load_names(q: MapQuery, rows: Iterable[Any], parts: dict[str, list[Any]]) -> None:
    """Reads the names of everything the map's rows and their agreements' parts refer to, at once."""
    q.want_rows((*rows, *_all_parts(parts)))
    q.load_names()


def _roles(
    q: MapQuery, rows: Iterable[Any], claims: dict[str, Any], *order: str
) -> tuple[Role, ...]:
    """The roles of ``rows``, each with the sources' conflicting claims about its agreement."""
    return sorted_by((q.role(r, claims.get(r["agreement"])) for r in rows), *order)


def _by_agreement(
    read: Callable[[Any, Any], T], rows: Iterable[Any], parts: dict[str, list[Any]]
) -> tuple[T, ...]:
    """Procurements or agreements: each head row read with its agreement's parts, in agreement order."""
    return sorted_by((read(r, parts[r["agreement"]]) for r in rows), "agreement")


class _SubjectFacts(NamedTuple):
    registration: Any
    rows: list[Any]
    parts: dict[str, list[Any]]
    claims: dict[str, list[Any]]


def _subject_facts(
    q: MapQuery,
    kind: SubjectKind,
    slug: str,
    with_parts: tuple[FactKind, ...],
    roles: tuple[FactKind, ...],
) -> _SubjectFacts:
    """A cooperation's or an organisation's registration and the fact rows that name it; the parts of
    the agreements of its rows of a kind in ``with_parts``; the claims about the agreements of its rows
    of a kind in ``roles``. The names of all of them are loaded."""
    registration = q.registration(kind, slug)
    rows = q.rows(q.tables.facts.c[kind.value] == slug)
    parts = q.agreement_parts(r["agreement"] for r in rows if r["fact_kind"] in with_parts)
    claims = q.claims_about(r["agreement"] for r in rows if r["fact_kind"] in roles)
    _load_names(q, rows, parts)
    return _SubjectFacts(registration, rows, parts, claims)


def _involved(q: MapQuery, rows: Iterable[Any], kind: SubjectKind) -> tuple[Named, ...]:
    """The organisations a cooperation involves, or the cooperations that involve an organisation."""
    involved = {
        q.named(kind, r[kind.value]) for r in rows if r["fact_kind"] == FactKind.INVOLVEMENT
    }
    return tuple(sorted(involved, key=lambda n: n.slug))


def region_map(q: MapQuery, region: str) -> RegionMap:
    facts = q.tables.facts
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
    _load_names(q, (*own, *via_members, *in_cooperations), parts)

    def held_here(row: Any) -> bool:
        return row["region"] == region or row["municipality"] in municipalities

    roles = {
        r["version_id"]: r
        for r in (*own, *via_members, *in_cooperations)
        if r["fact_kind"] in ROLE_KINDS and held_here(r) and is_role(r)
    }
    towards = {r["version_id"]: r for r in in_cooperations if not held_here(r) and is_role(r)}
    claims = q.claims_about(r["agreement"] for r in (*roles.values(), *towards.values()))
    return view_from(
        RegionMap,
        details_of(registration),
        **q.header(),
        region=q.named(SubjectKind.REGION, region),
        members=sorted_by(
            (q.member(r) for r in own if r["fact_kind"] == FactKind.MEMBERSHIP), "municipality"
        ),
        cooperations=sorted_by(
            (q.participation(r) for r in own if r["fact_kind"] == FactKind.PARTICIPATION),
            "cooperation",
        ),
        roles=_roles(q, roles.values(), claims, "cooperation", "role", "agreement"),
        procurements=_by_agreement(
            q.procurement, _of(_all_parts(parts), FactKind.PROCUREMENT), parts
        ),
        opt_outs=sorted_by(
            (q.opt_out(r) for r in via_members if r["fact_kind"] == FactKind.OPT_OUT),
            "agreement",
            "municipality",
        ),
        roles_towards=_roles(q, towards.values(), claims, "cooperation", "role", "agreement"),
        conflicts=q.conflicts(own),
        bodies=map_sections.bodies_of(q, SubjectKind.REGION, region),
        decision_route=map_sections.decision_route(q, registration),
    )


def cooperation_map(q: MapQuery, cooperation: str) -> CooperationMap:
    registration, rows, parts, claims = _subject_facts(
        q,
        SubjectKind.COOPERATION,
        cooperation,
        with_parts=(FactKind.PROCUREMENT, FactKind.AGREEMENT),
        roles=ROLE_KINDS,
    )
    roles = _roles(
        q,
        _of(rows, FactKind.ACCOUNT_HOLDER, FactKind.LEAD, FactKind.MANDATE),
        claims,
        "role",
        "agreement",
    )
    mandates = [r for r in rows if r["fact_kind"] == FactKind.MANDATE]
    return view_from(
        CooperationMap,
        details_of(registration),
        **q.header(),
        cooperation=q.named(SubjectKind.COOPERATION, cooperation),
        members=sorted_by(
            (q.participation(r) for r in rows if r["fact_kind"] == FactKind.PARTICIPATION),
            "region",
        ),
        organisations=_involved(q, rows, SubjectKind.ORGANISATION),
        roles=roles,
        procurements=_by_agreement(q.procurement, _of(rows, FactKind.PROCUREMENT), parts),
        agreements=_by_agreement(q.agreement, _of(rows, FactKind.AGREEMENT), parts),
        conflicts=q.conflicts(rows),
        agenda=map_sections.agenda(registration, roles),
        bodies=map_sections.bodies_of(q, SubjectKind.COOPERATION, cooperation),
        adoption_routes=map_sections.adoption_routes(q, mandates),
    )


def organisation_view(q: MapQuery, organisation: str) -> OrganisationView:
    registration, rows, parts, claims = _subject_facts(
        q,
        SubjectKind.ORGANISATION,
        organisation,
        with_parts=(
            FactKind.PROCUREMENT_SUPPLIER,
            FactKind.AGREEMENT_RECIPIENT,
            FactKind.AGREEMENT,
        ),
        roles=(FactKind.ACCOUNT_HOLDER, FactKind.MANDATE),
    )
    heads = list(_of(_all_parts(parts), FactKind.PROCUREMENT, FactKind.AGREEMENT))
    return view_from(
        OrganisationView,
        details_of(registration),
        **q.header(),
        organisation=q.named(SubjectKind.ORGANISATION, organisation),
        account_holders=_roles(
            q, _of(rows, FactKind.ACCOUNT_HOLDER), claims, "cooperation", "agreement"
        ),
        procurements=_by_agreement(q.procurement, _of(heads, FactKind.PROCUREMENT), parts),
        mandates=_roles(q, _of(rows, FactKind.MANDATE), claims, "agreement"),
        agreements=_by_agreement(q.agreement, _of(heads, FactKind.AGREEMENT), parts),
        cooperations=_involved(q, rows, SubjectKind.COOPERATION),
        adoption_routes=map_sections.adoption_routes(q, _of(rows, FactKind.MANDATE)),
        conflicts=q.conflicts(rows),
        procured_by=_procuring_regions(q, heads, parts),
    )


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
