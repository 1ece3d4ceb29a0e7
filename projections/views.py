"""What the governance maps answer: frozen msgspec Structs, returned by ``GovernanceMaps`` and served as-is.

Every fact on a map says when it holds (``valid_from``/``valid_until``, each a ``PartialDate``), whether it
certainly holds on the map's ``as_of`` day or only could (``certain``: False when an imprecise or unknown
bound leaves it open), on whose authority it was recorded, by whom, from which sources, and when and at
which log position it was recorded.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from domain.values import Authority, PartialDate, Provenance, SubjectKind


class Named(msgspec.Struct, frozen=True, kw_only=True):
    """A registered thing by kind and slug, with its name when it is registered."""

    kind: SubjectKind
    slug: str
    name: str | None = None


class Fact(msgspec.Struct, frozen=True, kw_only=True):
    """When a fact holds, and where it comes from."""

    valid_from: PartialDate
    valid_until: PartialDate
    certain: bool
    authority: Authority
    principal: str
    provenance: Provenance
    recorded_at: datetime
    recorded_position: int


class Member(Fact, frozen=True, kw_only=True):
    """A municipality's membership of a region; ``scope`` names the part a partial membership covers."""

    municipality: Named
    region: Named
    scope: str | None = None
    partial: bool = False


class Participation(Fact, frozen=True, kw_only=True):
    """A region taking part in a cooperation: member, associated or invited."""

    cooperation: Named
    region: Named
    participation: str
    note: str | None = None


class Role(Fact, frozen=True, kw_only=True):
    """A role held under an agreement: account holder, lead (trekker), mandate holder, decision holder.

    ``holder_region`` and ``holder_municipality`` say who holds it (either may be unknown), ``cooperation``
    within which, ``organisation`` for whom (the account's organisation, the mandate's expertise centre),
    ``subject`` what about (the lead's agenda item, an agreement's subject).
    """

    role: str
    agreement: str
    agreement_kind: str
    status: str | None = None
    cooperation: Named | None = None
    holder_region: Named | None = None
    holder_municipality: Named | None = None
    holder_body: Named | None = None
    organisation: Named | None = None
    subject: str | None = None
    module: int | None = None


class OptOut(Fact, frozen=True, kw_only=True):
    agreement: str
    municipality: Named
    scope: str
    reason: str | None = None


class Procurement(Fact, frozen=True, kw_only=True):
    """A joint procurement (gezamenlijke inkoop): its owner, participants, suppliers, term and opt-outs."""

    agreement: str
    status: str | None = None
    owner: Named | None = None
    participants: tuple[Named, ...] = ()
    suppliers: tuple[Named, ...] = ()
    segments: tuple[str, ...] = ()
    lots: tuple[str, ...] = ()
    contract_start: PartialDate | None = None
    term: str | None = None
    term_text: str | None = None
    part_of: str | None = None
    opt_outs: tuple[OptOut, ...] = ()


class AgreementEntry(Fact, frozen=True, kw_only=True):
    """Any agreement within a cooperation, with its holder and subject."""

    agreement: str
    agreement_kind: str
    status: str | None = None
    holder_region: Named | None = None
    holder_municipality: Named | None = None
    holder_body: Named | None = None
    organisation: Named | None = None
    subject: str | None = None
    parties: tuple[Named, ...] = ()


class MapHeader(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    known_at: datetime
    position: int | None  # the log position the read model had applied when it answered


class RegionMap(MapHeader, frozen=True, kw_only=True):
    region: Named
    region_kind: str | None = None
    province: str | None = None
    members: tuple[Member, ...] = ()
    cooperations: tuple[Participation, ...] = ()
    roles: tuple[Role, ...] = ()  # held by the region or by one of its member municipalities
    procurements: tuple[Procurement, ...] = ()  # the region (or its municipalities) takes part in
    opt_outs: tuple[OptOut, ...] = ()  # by its member municipalities
    roles_towards: tuple[Role, ...] = ()  # held by others in the cooperations it takes part in


class CooperationMap(MapHeader, frozen=True, kw_only=True):
    cooperation: Named
    cooperation_kind: str | None = None
    decision_rule: str | None = None
    members: tuple[Participation, ...] = ()
    organisations: tuple[Named, ...] = ()
    roles: tuple[Role, ...] = ()  # account holders, leads, mandates within it
    procurements: tuple[Procurement, ...] = ()
    agreements: tuple[AgreementEntry, ...] = ()  # every other agreement it owns


class OrganisationView(MapHeader, frozen=True, kw_only=True):
    organisation: Named
    organisation_kind: str | None = None
    account_holders: tuple[Role, ...] = ()  # one per cooperation (at most one holder at a time)
    procurements: tuple[Procurement, ...] = ()  # where it supplies
    mandates: tuple[Role, ...] = ()  # where it is the expertise centre
    agreements: tuple[AgreementEntry, ...] = ()  # where it provides or receives
    cooperations: tuple[Named, ...] = ()


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded change, in log order."""

    position: int
    recorded_at: datetime
    event: str  # "<Aggregate>.<Event>", e.g. "AccountHoldership.HolderTransferred"
    subject: Named
    description: str
    valid_from: PartialDate
    valid_until: PartialDate
    authority: Authority
    principal: str
    provenance: Provenance
    corrects_position: int | None = None  # for a correction: the position of the event it corrects
    summary: str = ""  # the entry as a Dutch sentence, with display names (history_sentences.py)


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a list of regions, cooperations, organisations or municipalities."""

    kind: SubjectKind
    slug: str
    name: str | None
    category: str | None = None  # region_kind, cooperation_kind or organisation_kind
