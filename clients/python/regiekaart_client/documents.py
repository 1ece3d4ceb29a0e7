"""The documents of the Regiekaart API as typed structs: the maps and a command's answer.

Written by ``python -m api.client_documents`` from the service's own structs; do not edit by hand.
Fields the service adds later are ignored when decoding, and coded values are ``str``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec

# AuthorityKind: one of 'body', 'municipality', 'external', 'source'
AuthorityKind = str
# MunicipalOrgan: one of 'college', 'raad', 'burgemeester'
MunicipalOrgan = str
# Precision: one of 'day', 'month', 'year', 'unknown'
Precision = str
# SubjectKind: one of 'municipality', 'region', 'cooperation', 'organisation', 'body',
#   'agreement', 'change', 'source', 'claims', 'account-holdership', 'module-commitment',
#   'cost-key', 'norm', 'assessment', 'plan-of-approach'
SubjectKind = str


class Named(msgspec.Struct, kw_only=True, frozen=True):
    kind: SubjectKind
    slug: str
    name: str | None = None


class PartialDate(msgspec.Struct, kw_only=True, frozen=True):
    """A date known to a day, a month, a year, or not at all (then ``value`` is None)."""

    value: date | None = None
    precision: Precision = "unknown"


class HoldingEvidence(msgspec.Struct, kw_only=True, frozen=True):
    since: PartialDate = msgspec.field(default_factory=PartialDate)
    source: str
    title: str | None = None
    date_inferred: bool = False


class Member(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
    municipality: Named
    region: Named
    scope: str | None = None
    partial: bool = False


class Participation(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
    cooperation: Named
    region: Named
    participation: str
    note: str | None = None


class ConflictingClaim(msgspec.Struct, kw_only=True, frozen=True):
    value: str
    sources: tuple[str, ...]


class Conflict(msgspec.Struct, kw_only=True, frozen=True):
    claims_id: str
    topic: str
    subject: Named | None = None
    claims: tuple[ConflictingClaim, ...] = ()
    note: str | None = None


class Role(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
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
    obligations: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


class OptOut(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
    agreement: str
    municipality: Named
    scope: str
    reason: str | None = None


class ExtensionOption(msgspec.Struct, kw_only=True, frozen=True):
    number: int
    years: Decimal
    decision: str | None = None
    extends_from: PartialDate | None = None


class ContractTerms(msgspec.Struct, kw_only=True, frozen=True):
    start: PartialDate | None = None
    term: str | None = None
    term_text: str | None = None
    initial_years: Decimal | None = None
    extension_options: tuple[ExtensionOption, ...] = ()
    max_years: Decimal | None = None
    funding: str | None = None


class Procurement(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
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
    contract: ContractTerms | None = None
    conflicts: tuple[Conflict, ...] = ()


class Body(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
    body: Named
    of: Named | None = None
    role: str | None = None
    level: str | None = None
    composition: str | None = None
    member_municipalities: tuple[Named, ...] = ()
    cadence: str | None = None
    commissioned_by: Named | None = None
    commissions: tuple[Named, ...] = ()
    notes: str | None = None


class RouteStep(msgspec.Struct, kw_only=True, frozen=True):
    number: int
    step: str
    body: Named | None = None


class PlanProgress(msgspec.Struct, kw_only=True, frozen=True):
    plan: str
    title: str | None = None
    steps_done: int
    last_step: str | None = None
    adopted: bool = False


class Route(msgspec.Struct, kw_only=True, frozen=True):
    applies_to: str
    agreement: str | None = None
    holder_municipality: Named | None = None
    organisation: Named | None = None
    steps: tuple[RouteStep, ...] = ()
    final_step: str | None = None
    plans: tuple[PlanProgress, ...] = ()


class Authority(msgspec.Struct, kw_only=True, frozen=True):
    body: str | None = None
    decision_date: PartialDate = msgspec.field(default_factory=PartialDate)
    document: str | None = None
    kind: AuthorityKind | None = None
    municipality: str | None = None
    organ: MunicipalOrgan | None = None
    external: str | None = None


class Provenance(msgspec.Struct, kw_only=True, frozen=True):
    sources: tuple[str, ...] = ()
    inferred: bool = False
    inferred_note: str | None = None


class RegionMap(msgspec.Struct, kw_only=True, frozen=True):
    as_of: date
    known_at: datetime
    position: int | None
    region: Named
    region_kind: str | None = None
    province: str | None = None
    members: tuple[Member, ...] = ()
    cooperations: tuple[Participation, ...] = ()
    roles: tuple[Role, ...] = ()
    procurements: tuple[Procurement, ...] = ()
    opt_outs: tuple[OptOut, ...] = ()
    roles_towards: tuple[Role, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    bodies: tuple[Body, ...] = ()
    decision_route: Route | None = None
    authorities: dict[str, Authority] = msgspec.field(default_factory=dict)
    provenances: dict[str, Provenance] = msgspec.field(default_factory=dict)


class AgreementEntry(msgspec.Struct, kw_only=True, frozen=True):
    valid_from: PartialDate = msgspec.field(default_factory=PartialDate)
    valid_until: PartialDate = msgspec.field(default_factory=PartialDate)
    certain: bool
    authority: str
    principal: str
    provenance: str
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None
    agreement: str
    agreement_kind: str
    status: str | None = None
    holder_region: Named | None = None
    holder_municipality: Named | None = None
    holder_body: Named | None = None
    organisation: Named | None = None
    subject: str | None = None
    parties: tuple[Named, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


class AgendaModule(msgspec.Struct, kw_only=True, frozen=True):
    module: int | None = None
    item: str
    leads: tuple[Role, ...] = ()


class CooperationMap(msgspec.Struct, kw_only=True, frozen=True):
    as_of: date
    known_at: datetime
    position: int | None
    cooperation: Named
    cooperation_kind: str | None = None
    decision_rule: str | None = None
    members: tuple[Participation, ...] = ()
    organisations: tuple[Named, ...] = ()
    roles: tuple[Role, ...] = ()
    procurements: tuple[Procurement, ...] = ()
    agreements: tuple[AgreementEntry, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    formalised: bool | None = None
    member_count: int | None = None
    principles: tuple[str, ...] = ()
    agenda: tuple[AgendaModule, ...] = ()
    bodies: tuple[Body, ...] = ()
    adoption_routes: tuple[Route, ...] = ()
    authorities: dict[str, Authority] = msgspec.field(default_factory=dict)
    provenances: dict[str, Provenance] = msgspec.field(default_factory=dict)


class OrganisationView(msgspec.Struct, kw_only=True, frozen=True):
    as_of: date
    known_at: datetime
    position: int | None
    organisation: Named
    organisation_kind: str | None = None
    account_holders: tuple[Role, ...] = ()
    procurements: tuple[Procurement, ...] = ()
    mandates: tuple[Role, ...] = ()
    agreements: tuple[AgreementEntry, ...] = ()
    cooperations: tuple[Named, ...] = ()
    adoption_routes: tuple[Route, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    procured_by: tuple[Named, ...] = ()
    authorities: dict[str, Authority] = msgspec.field(default_factory=dict)
    provenances: dict[str, Provenance] = msgspec.field(default_factory=dict)


class CommandAccepted(msgspec.Struct, kw_only=True, frozen=True):
    """The command was recorded: the events it stored, by their position in the event log, and the
    new version of its aggregate (send it as ``If-Match`` with the next command on that aggregate)."""

    command: str
    aggregate_id: UUID
    version: int
    event_ids: tuple[int, ...]
