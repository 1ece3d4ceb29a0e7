"""The regions' commitments to the modules of a cooperation's agenda, read per cooperation or per region
as of a day (``as_of``) as known at a moment (``known_at``): each commitment with the regional mandates
that hold that day, whether it counts and which mandate it lacks (the domain's rule,
``domain.modules.standing``), and the modules' cost keys.

A region's place in a module is listed once anything is recorded on it: a mandate recorded before the
commitment shows as not (yet) committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from domain.modules import MandateKind, standing
from domain.values import SubjectKind
from projections.facts import FactKind
from projections.map_rows import MapQuery
from projections.queries import GovernanceMaps
from projections.row_values import details_of
from projections.user_text import reader_text
from projections.views import Fact, MapHeader, Named

_KINDS = (FactKind.MODULE_COMMITMENT, FactKind.MODULE_MANDATE, FactKind.COST_SHARE)


class ModuleMandate(Fact, frozen=True, kw_only=True):
    """A region's mandate for the content or the costs of its commitment; ``authority`` says which
    regional body or municipality gave it, and when."""

    mandate: MandateKind


class Commitment(Fact, frozen=True, kw_only=True):
    """What the region committed to, and since when."""

    content: str


class ModuleCommitmentEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One region's part in one module on the day asked: its commitment (None: none recorded that
    holds then), the mandates that hold, which kinds it ``lacks`` and whether it ``counts``."""

    cooperation: Named
    module: int
    item: str | None
    region: Named
    commitment: Commitment | None
    mandates: tuple[ModuleMandate, ...]
    lacks: tuple[MandateKind, ...]
    counts: bool


class CostShareEntry(Fact, frozen=True, kw_only=True):
    region: Named
    percentage: Decimal


class CostKeyEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A verdeelsleutel of a module on the day asked: each region's share, together 100%."""

    cost_key: str
    cooperation: Named
    module: int
    item: str | None
    shares: tuple[CostShareEntry, ...]


class ModuleCommitments(MapHeader, frozen=True, kw_only=True):
    """The module commitments of a cooperation (``cooperation``) or of a region (``region``)."""

    cooperation: Named | None = None
    region: Named | None = None
    commitments: tuple[ModuleCommitmentEntry, ...]
    cost_keys: tuple[CostKeyEntry, ...]


def cooperation_commitments(
    maps: GovernanceMaps,
    cooperation: str,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    lacking: MandateKind | None = None,
) -> ModuleCommitments:
    with maps.reading(as_of, known_at) as q:
        q.registration(SubjectKind.COOPERATION, cooperation)
        rows = q.rows(q.facts.c.cooperation == cooperation, q.facts.c.fact_kind.in_(_KINDS))
        return _answer(q, rows, lacking, cooperation=q.named(SubjectKind.COOPERATION, cooperation))


def region_commitments(
    maps: GovernanceMaps,
    region: str,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    lacking: MandateKind | None = None,
) -> ModuleCommitments:
    """A region's commitments, and the whole cost key of every module it has a share in."""
    with maps.reading(as_of, known_at) as q:
        q.registration(SubjectKind.REGION, region)
        facts = q.facts
        rows = q.rows(facts.c.region == region, facts.c.fact_kind.in_(_KINDS))
        keys = {r["subject_slug"] for r in rows if r["fact_kind"] == FactKind.COST_SHARE}
        others = (
            q.rows(
                facts.c.fact_kind == FactKind.COST_SHARE,
                facts.c.subject_slug.in_(sorted(keys)),
                facts.c.region != region,
            )
            if keys
            else []
        )
        return _answer(q, [*rows, *others], lacking, region=q.named(SubjectKind.REGION, region))


def _agenda_items(q: MapQuery, cooperations: Iterable[str]) -> dict[tuple[str, int], str]:
    items = {}
    for cooperation in cooperations:
        registration = q.registration(SubjectKind.COOPERATION, cooperation)
        for entry in details_of(registration).get("agenda") or ():
            if entry.get("module") is not None:
                items[(cooperation, entry["module"])] = entry["item"]
    return items


def _answer(
    q: MapQuery, rows: list[Any], lacking: MandateKind | None, **subject: Named | None
) -> ModuleCommitments:
    q.want_rows(rows)
    q.load_names()
    items = _agenda_items(q, sorted({r["cooperation"] for r in rows}))
    places: dict[tuple[str, int, str], list[Any]] = defaultdict(list)
    keys: dict[tuple[str, int, str], list[Any]] = defaultdict(list)
    for row in rows:
        module = details_of(row)["module"]
        if row["fact_kind"] == FactKind.COST_SHARE:
            keys[(row["cooperation"], module, row["subject_slug"])].append(row)
        else:
            places[(row["cooperation"], module, row["region"])].append(row)
    entries = [_entry(q, place, found, items) for place, found in sorted(places.items())]
    if lacking is not None:
        entries = [e for e in entries if e.commitment is not None and lacking in e.lacks]
    return ModuleCommitments(
        **q.header(),
        **subject,
        commitments=tuple(entries),
        cost_keys=tuple(
            CostKeyEntry(
                cost_key=cost_key,
                cooperation=_named(q, SubjectKind.COOPERATION, cooperation),
                module=module,
                item=items.get((cooperation, module)),
                shares=tuple(
                    CostShareEntry(
                        **q.fact(r),
                        region=_named(q, SubjectKind.REGION, r["region"]),
                        percentage=Decimal(str(details_of(r)["percentage"])),
                    )
                    for r in sorted(shares, key=lambda r: r["region"])
                ),
            )
            for (cooperation, module, cost_key), shares in sorted(keys.items())
        ),
    )


def _named(q: MapQuery, kind: SubjectKind, slug: str) -> Named:
    return Named(kind=kind, slug=slug, name=q.names.get((str(kind), slug)))


def _entry(
    q: MapQuery,
    place: tuple[str, int, str],
    rows: list[Any],
    items: dict[tuple[str, int], str],
) -> ModuleCommitmentEntry:
    cooperation, module, region = place
    committed = [r for r in rows if r["fact_kind"] == FactKind.MODULE_COMMITMENT]
    mandates = tuple(
        ModuleMandate(**q.fact(r), mandate=MandateKind(r["role"]))
        for r in sorted(rows, key=lambda r: r["recorded_position"])
        if r["fact_kind"] == FactKind.MODULE_MANDATE
    )
    result = standing(bool(committed), (m.mandate for m in mandates))
    return ModuleCommitmentEntry(
        cooperation=_named(q, SubjectKind.COOPERATION, cooperation),
        module=module,
        item=items.get((cooperation, module)),
        region=_named(q, SubjectKind.REGION, region),
        commitment=Commitment(
            **q.fact(committed[0]), content=reader_text(committed[0]["scope"]) or ""
        )
        if committed
        else None,
        mandates=mandates,
        lacks=result.lacks,
        counts=result.counts,
    )
