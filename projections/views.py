"""What the governance maps answer: frozen msgspec Structs, returned by ``GovernanceMaps`` and served as-is.

Every fact on a map says when it holds (``valid_from``/``valid_until``, each a ``PartialDate``), whether it
certainly holds on the map's ``as_of`` day or only could (``certain``: False when an imprecise or unknown
bound leaves it open), on whose authority it was recorded, by whom, from which sources, and when and at
which log position it was recorded.

A field's Dutch label on the map pages is declared with it (``Meta(title=...)``), unless several views
share its name: those names have one label each in ``api.web.labels``. The labels are the pages'; the
API's map documents leave them out (``api.map_documents``) and keep the English field names.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from domain.values import Authority, PartialDate, Provenance, SubjectKind


class Named(msgspec.Struct, frozen=True, kw_only=True):
    """A registered thing by kind and slug, with its name when it is registered."""

    kind: Annotated[SubjectKind, Meta(title="Soort")]
    slug: Annotated[str, Meta(title="Kenmerk")]
    name: Annotated[str | None, Meta(title="Naam")] = None


class HoldingEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """Why a fact whose start is unknown is known to hold: the source that states it, dated ``since``
    (a fact stated in a source dated D held on D). ``date_inferred``: the source is undated and its
    date was read from its contents."""

    since: PartialDate
    source: str
    title: str | None = None
    date_inferred: bool = False


class Fact(msgspec.Struct, frozen=True, kw_only=True):
    """When a fact holds, and where it comes from. ``known_to_hold_since``: where the start is unknown,
    the dated source that shows it held ("at least since D"), which ``certain`` takes into account."""

    valid_from: PartialDate
    valid_until: PartialDate
    certain: bool
    authority: Authority
    principal: str
    provenance: Provenance
    recorded_at: datetime
    recorded_position: int
    known_to_hold_since: HoldingEvidence | None = None


class ConflictingClaim(msgspec.Struct, frozen=True, kw_only=True):
    """One source's version of a disputed fact."""

    value: Annotated[str, Meta(title="Bewering")]
    sources: Annotated[tuple[str, ...], Meta(title="Bronnen")]


class Conflict(msgspec.Struct, frozen=True, kw_only=True):
    """A topic on which the sources disagree about the fact or section it stands beside: every claim
    side by side, each with its sources; none is preferred."""

    claims_id: Annotated[str, Meta(title="Kenmerk")]
    topic: Annotated[str, Meta(title="Waarover de bronnen verschillen")]
    subject: Named | None = None
    claims: Annotated[tuple[ConflictingClaim, ...], Meta(title="Wat de bronnen zeggen")] = ()
    note: str | None = None


class ExtensionOption(msgspec.Struct, frozen=True, kw_only=True):
    """One extension option of a contract term, in order; ``decision`` is ``exercised``, ``declined``
    or None while undecided. A decided option says from when the extension runs (``extends_from``),
    and is shown whatever day the map is of."""

    number: int
    years: Annotated[Decimal, Meta(title="Jaren")]
    decision: Annotated[str | None, Meta(title="Besluit")] = None
    extends_from: Annotated[PartialDate | None, Meta(title="Verlengd vanaf")] = None


class ContractTerms(msgspec.Struct, frozen=True, kw_only=True):
    """A procurement's contract in full: start, the term in the sources' notation (or their wording in
    ``term_text``), the initial years, the extension options and which were decided, the maximum
    years and how it is funded."""

    start: Annotated[PartialDate | None, Meta(title="Start")] = None
    term: str | None = None
    term_text: str | None = None
    initial_years: Annotated[Decimal | None, Meta(title="Eerste looptijd")] = None
    extension_options: Annotated[tuple[ExtensionOption, ...], Meta(title="Verlengingsopties")] = ()
    max_years: Annotated[Decimal | None, Meta(title="Maximale looptijd")] = None
    funding: Annotated[str | None, Meta(title="Bekostiging")] = None


class Member(Fact, frozen=True, kw_only=True):
    """A municipality's membership of a region; ``scope`` names the part a partial membership covers."""

    municipality: Named
    region: Named
    scope: str | None = None
    partial: Annotated[bool, Meta(title="Gedeeltelijk")] = False


class Participation(Fact, frozen=True, kw_only=True):
    """A region taking part in a cooperation: member, associated or invited."""

    cooperation: Named
    region: Named
    participation: Annotated[str, Meta(title="Deelname")]
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
    # what an account holder undertakes (accounthouderschap)
    obligations: Annotated[tuple[str, ...], Meta(title="Verplichtingen")] = ()
    conflicts: tuple[Conflict, ...] = ()  # the sources' disagreements about this agreement


class OptOut(Fact, frozen=True, kw_only=True):
    agreement: str
    municipality: Named
    scope: str
    reason: Annotated[str | None, Meta(title="Reden")] = None


class Procurement(Fact, frozen=True, kw_only=True):
    """A joint procurement (gezamenlijke inkoop): its owner, participants, suppliers, term and opt-outs."""

    agreement: str
    status: str | None = None
    owner: Annotated[Named | None, Meta(title="Eigenaar")] = None
    participants: Annotated[tuple[Named, ...], Meta(title="Deelnemers")] = ()
    suppliers: Annotated[tuple[Named, ...], Meta(title="Leveranciers")] = ()
    segments: Annotated[tuple[str, ...], Meta(title="Segmenten")] = ()
    lots: Annotated[tuple[str, ...], Meta(title="Percelen")] = ()
    contract_start: Annotated[PartialDate | None, Meta(title="Start contract")] = None
    term: str | None = None
    term_text: str | None = None
    part_of: str | None = None
    opt_outs: tuple[OptOut, ...] = ()
    contract: Annotated[ContractTerms | None, Meta(title="Contract")] = None
    conflicts: tuple[Conflict, ...] = ()  # the sources' disagreements about this procurement


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
    parties: Annotated[tuple[Named, ...], Meta(title="Partijen")] = ()
    conflicts: tuple[Conflict, ...] = ()  # the sources' disagreements about this agreement


class Body(Fact, frozen=True, kw_only=True):
    """A decision body (bestuurlijk overleg, stuurgroep, programmagroep, ...) of a region or cooperation:
    who sits in it, who chairs it, how often it meets, what it may decide (``role``: decides, advises,
    aligns, executes or steers) and who commissions it or whom it commissions."""

    body: Named
    of: Annotated[Named | None, Meta(title="Van")] = None
    role: str | None = None
    level: Annotated[str | None, Meta(title="Niveau")] = None
    # the source's words: who sits in it and who chairs it
    composition: Annotated[str | None, Meta(title="Samenstelling")] = None
    member_municipalities: Annotated[tuple[Named, ...], Meta(title="Deelnemende gemeenten")] = ()
    cadence: Annotated[str | None, Meta(title="Vergaderfrequentie")] = None
    # the body that gives it its assignment (opdrachtgever)
    commissioned_by: Annotated[Named | None, Meta(title="Opdrachtgever")] = None
    # the bodies it commissions
    commissions: Annotated[tuple[Named, ...], Meta(title="Opdrachtnemers")] = ()
    notes: Annotated[str | None, Meta(title="Toelichting")] = None


class RouteStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a decision or adoption route: a decision body, or a step the source describes."""

    number: int
    # the body's name, or the source's description of the step
    step: Annotated[str, Meta(title="Stap")]
    body: Named | None = None


class PlanProgress(msgspec.Struct, frozen=True, kw_only=True):
    """How far one plan has got along its route: the steps recorded for it, and whether it is adopted."""

    plan: Annotated[str, Meta(title="Plan")]  # "policy document", "annual plan 2026"
    title: Annotated[str | None, Meta(title="Titel")] = None
    steps_done: Annotated[int, Meta(title="Stappen gezet")]
    last_step: Annotated[str | None, Meta(title="Laatst gezette stap")] = None
    adopted: Annotated[bool, Meta(title="Vastgesteld")] = False


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """A decision or adoption route and how far each plan has got along it.

    A region's decision route (``agreement`` None) has no plans: the log records no steps along it. A
    mandate's adoption route lists every plan of which a step or the adoption is recorded."""

    applies_to: Annotated[str, Meta(title="Voor")]
    agreement: str | None = None
    holder_municipality: Named | None = None
    organisation: Named | None = None  # the expertise centre whose plans take the route
    steps: Annotated[tuple[RouteStep, ...], Meta(title="Stappen")] = ()
    final_step: Annotated[str | None, Meta(title="Laatste stap")] = None
    plans: Annotated[tuple[PlanProgress, ...], Meta(title="Plannen")] = ()


class AgendaModule(msgspec.Struct, frozen=True, kw_only=True):
    """An item (module) of a cooperation's uitvoeringsagenda and who leads it (trekkers: the lead
    regions of its trekkerschap agreements)."""

    module: int | None = None
    item: Annotated[str, Meta(title="Onderwerp")]
    leads: Annotated[tuple[Role, ...], Meta(title="Trekkers")] = ()


class MapHeader(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    known_at: datetime
    position: int | None  # the log position the read model had applied when it answered


class RegionMap(MapHeader, frozen=True, kw_only=True):
    region: Named
    region_kind: Annotated[str | None, Meta(title="Soort regio")] = None
    province: Annotated[str | None, Meta(title="Provincie")] = None
    members: tuple[Member, ...] = ()
    cooperations: tuple[Participation, ...] = ()
    roles: tuple[Role, ...] = ()  # held by the region or by one of its member municipalities
    procurements: tuple[Procurement, ...] = ()  # the region (or its municipalities) takes part in
    opt_outs: tuple[OptOut, ...] = ()  # by its member municipalities
    roles_towards: tuple[Role, ...] = ()  # held by others in the cooperations it takes part in
    conflicts: tuple[Conflict, ...] = ()  # the sources' disagreements about the region itself
    bodies: tuple[Body, ...] = ()  # the decision bodies of the region
    decision_route: Route | None = None  # the bodies a regional decision passes


class CooperationMap(MapHeader, frozen=True, kw_only=True):
    cooperation: Named
    cooperation_kind: Annotated[str | None, Meta(title="Soort samenwerkingsverband")] = None
    decision_rule: Annotated[str | None, Meta(title="Besluitvorming")] = None
    members: tuple[Participation, ...] = ()
    organisations: tuple[Named, ...] = ()
    roles: tuple[Role, ...] = ()  # account holders, leads, mandates within it
    procurements: tuple[Procurement, ...] = ()
    agreements: tuple[AgreementEntry, ...] = ()  # every other agreement it owns
    conflicts: tuple[Conflict, ...] = ()  # the sources' disagreements about the cooperation itself
    # None: the sources do not say
    formalised: Annotated[bool | None, Meta(title="Geformaliseerd")] = None
    # as the sources give it; ``members`` lists those named
    member_count: Annotated[int | None, Meta(title="Aantal leden volgens de bronnen")] = None
    principles: tuple[str, ...] = ()
    agenda: tuple[AgendaModule, ...] = ()  # its uitvoeringsagenda, module by module
    bodies: tuple[Body, ...] = ()  # the decision bodies of the cooperation
    adoption_routes: tuple[Route, ...] = ()  # of the mandates within it


class OrganisationView(MapHeader, frozen=True, kw_only=True):
    organisation: Named
    organisation_kind: Annotated[str | None, Meta(title="Soort organisatie")] = None
    account_holders: tuple[Role, ...] = ()  # one per cooperation (at most one holder at a time)
    procurements: tuple[Procurement, ...] = ()  # where it supplies
    mandates: tuple[Role, ...] = ()  # where it is the expertise centre
    agreements: tuple[AgreementEntry, ...] = ()  # where it provides or receives
    cooperations: tuple[Named, ...] = ()
    adoption_routes: tuple[Route, ...] = ()  # of the mandates where it is the expertise centre
    conflicts: tuple[Conflict, ...] = ()  # the sources' disagreements about the organisation itself
    # The regions that procure from it: owners of, or regions taking part in, its procurements.
    procured_by: tuple[Named, ...] = ()


class BodyMap(MapHeader, frozen=True, kw_only=True):
    """One decision body on ``as_of`` as known at ``known_at``."""

    body: Body


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
