"""The event catalogue: every event the governance domain records, and what it concerns.

Event classes are nested in their aggregate class (topic ``<module>:<Aggregate>.<Event>``) and are frozen
dataclasses. Besides the library's ``originator_id`` (UUID), ``originator_version`` and ``timestamp``
(record time), **every event carries**:

- ``valid_from``, ``valid_until`` — ``PartialDate`` {value: date | None, precision: day|month|year|unknown};
  the valid time of the fact the event states (``valid_until`` = last day, inclusive; unknown = null).
- ``authority`` — ``Authority`` {body: body slug | None, decision_date: PartialDate, document: str | None}.
- ``principal`` — who recorded it (``"importer:governance-facts"``, ``"coordinator:alice"``).
- ``provenance`` — ``Provenance`` {sources: ("<source id>:L<n>[-L<m>]", ...), inferred: bool,
  inferred_note: str | None}.

and the slugs of what it names (see ``domain.concerns``). Attributes below exclude those common ones.
Value objects are in ``domain.values``.

SourceDocument (kind ``source``)
    Registered(source, file, title, title_note, date: PartialDate, date_inferred, date_note)
        A source document the facts cite.

Municipality (``municipality``)
    Registered(municipality, name, source_spelling, notes)
        A gemeente exists (valid_from: when it was formed, if known).
    MembershipStarted(municipality, membership_id, region, scope: str | None)
        The municipality belongs to a region during valid_from..valid_until. scope None = full
        membership; otherwise the part it covers (Wijchen: some contract areas only).
    MembershipEnded(municipality, membership_id, region, scope)
        The membership ended; valid_until is its last day (valid_from repeats its start).
    Merged(municipality, successor_municipality, change)
        The municipality merged into the successor on valid_from (its open memberships end the day before).

Region (``region``)
    Registered(region, name, region_kind: jeugdzorgregio|gebied, aliases, province, contact_municipality,
               contact_label, contact_note, members_complete, subregions: (Subregion, ...),
               decision_route: DecisionRoute | None, notes)

Cooperation (``cooperation``)
    Registered(cooperation, name, cooperation_kind, members_complete, member_count, formalised, cadence,
               decision_rule, decision_exceptions: (DecisionException, ...), process_owner_body, principles,
               agenda: (AgendaItem, ...), themes, scope: CooperationScope | None, related_cooperations,
               date_note, notes)
    RegionJoined(cooperation, region, participation: member|associated|invited, participation_note, cadence)
        A region takes part (members decide along; associated/invited participants only join the talks).
    OrganisationInvolved(cooperation, organisation)

Organisation (``organisation``)
    Registered(organisation, name, organisation_kind, aliases, member_organisations, legal_entity, notes)

DecisionBody (``body``)
    Registered(body, name, of: SubjectRef (region or cooperation), role: decides|advises|aligns|executes|steers,
               level, composition, member_municipalities, cadence, commissioned_by_body, notes)
    RoleChanged(body, of, role)

StructuralChange (``change``)
    Recorded(change, change_kind: merger|partial-withdrawal|stepwise-return|cooperation-start|..., from_municipalities,
             from_names, into_municipality, subject: SubjectRef | None, description, date_note)
        A dated structural change; its date is valid_from. Mergers also emit Municipality.Merged,
        MembershipEnded and MembershipStarted in the same save.

ConflictingClaims (``claims``)
    Recorded(claims, topic, subject: SubjectRef | None, claim_values: (Claim{value, sources}, ...), note)
        The sources disagree; all claims are kept side by side, none is preferred.
    ClaimAdded(claims, subject, claim: Claim)

AccountHoldership (``account-holdership``; one per cooperation and organisation, slug
``<cooperation>:<organisation>``, or ``unattributed:<agreement>`` when either is unknown)
    Opened(account, cooperation | None, organisation | None, subject_count | None)
    HolderAssigned(account, agreement, cooperation, organisation, holder_region | None,
                   executing_municipality | None, status, basis, obligations, notes)
        ``agreement`` names the term (the accounthouderschap agreement's slug).
    HolderTransferred(account, agreement, previous_agreement, cooperation, organisation, holder_region,
                      executing_municipality, previous_holder_region, previous_executing_municipality, basis, notes)
        Handover on valid_from; the previous term ends the day before.
    HolderEnded(account, agreement, cooperation, organisation, holder_region, executing_municipality, reason)
        The current term ended; valid_until is its last day.

Agreements identified by their slug (``agreement``); all share
    AgreementAggregate.StatusChanged(agreement, agreement_kind, owner: SubjectRef | None, status)
    AgreementAggregate.MilestoneRecorded(agreement, agreement_kind, owner, milestone: Milestone{date, what, date_note})

JointProcurement (gezamenlijke inkoop)
    Recorded(agreement, owner, participants: (SubjectRef, ...), segments, lots: (Lot, ...),
             contract: Contract{start, term: TermStructure{initial_years, extension_options}, term_text,
             max_years, funding} | None, part_of, suppliers, supplier_count, principles, status, basis,
             date_note, notes)
    OptedOut(agreement, owner, municipality, scope, reason)
    ExtensionOptionExercised(agreement, owner, option_number, years: Decimal)
    ExtensionOptionDeclined(agreement, owner, option_number, years)
        Valid time of an option: the years it adds, when the contract start is known to the day.

ExpertiseCentreMandate (expertisecentrum-mandaat)
    Granted(agreement, owner (the cooperation), holder_municipality, expertise_centre,
            adoption_route: (str, ...) | None, annual_plan: bool | None, status, basis, notes)
    PlanStepRecorded(agreement, owner, holder_municipality, expertise_centre, plan: PlanRef{plan_kind, year,
                     title}, step_number, step)
    PlanAdopted(agreement, owner, holder_municipality, expertise_centre, plan, step | None)

Trekkerschap (lead region of an agenda item)
    LeadAssigned(agreement, owner (the cooperation), module, item, lead_region, content, status, basis, notes)
    LeadReassigned(agreement, owner, module, item, lead_region, previous_lead_region)

Agreement (samenwerkingsregeling, subsidiering, samenwerkingsafspraak, bestuurlijke-afspraak,
gezamenlijke-bekostiging, beslisbevoegdheid, expertteam-mandaat)
    Recorded(agreement, agreement_kind, owner, terms: AgreementTerms{parties, other_parties, subject,
             holder_municipality, holder_body, provider, mechanism, recipients, recipient_count,
             host_municipality, tasks, exit_terms}, part_of, status, basis, date_note, notes)

Every aggregate
    GovernanceAggregate.FactCorrected(corrects_id, corrects_version, corrects_event, reason,
                                      subject: SubjectRef, corrected_concerns: Concerns)
        The fact stated by event ``corrects_version`` of aggregate ``corrects_id`` no longer counts; it
        stays in the history. Correcting version 1 retracts the aggregate.

Changing an event (upcasting)
-----------------------------
Stored events are never rewritten. To change an event's attributes, give the aggregate an explicit
event class under the same name, raise its version and add a static upcast method per step, e.g.::

    class Municipality(GovernanceAggregate):
        class MembershipStarted(GovernanceAggregate.Event):
            class_version = 2
            ...attributes of version 2...

            @staticmethod
            def upcast_v1_v2(state: dict) -> None:
                state["contract_areas"] = []

        @event(MembershipStarted)
        def _membership_started(self, ...): ...

The codec (``adapters.codec``) stores ``class_version`` and, for an older stored event, runs
``upcast_v1_v2``, ``upcast_v2_v3``, ... on its JSON state (strings for UUIDs, dates and Decimals; lists
for tuples; dicts for value objects) before decoding it typed. Add a codec round-trip test for the old
shape alongside.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from domain.agreements import (
    AccountHoldership,
    Agreement,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.base import GovernanceAggregate
from domain.concerns import Concerns, concerns
from domain.registry import (
    ConflictingClaims,
    Cooperation,
    DecisionBody,
    Municipality,
    Organisation,
    Region,
    SourceDocument,
    StructuralChange,
)
from domain.values import SubjectKind

AGGREGATE_CLASSES: tuple[type[GovernanceAggregate], ...] = (
    SourceDocument,
    Municipality,
    Region,
    Cooperation,
    Organisation,
    DecisionBody,
    StructuralChange,
    ConflictingClaims,
    AccountHoldership,
    JointProcurement,
    ExpertiseCentreMandate,
    Trekkerschap,
    Agreement,
)

EVENT_CLASSES: tuple[type[GovernanceAggregate.Event], ...] = (
    SourceDocument.Registered,
    Municipality.Registered,
    Municipality.MembershipStarted,
    Municipality.MembershipEnded,
    Municipality.Merged,
    Region.Registered,
    Cooperation.Registered,
    Cooperation.RegionJoined,
    Cooperation.OrganisationInvolved,
    Organisation.Registered,
    DecisionBody.Registered,
    DecisionBody.RoleChanged,
    StructuralChange.Recorded,
    ConflictingClaims.Recorded,
    ConflictingClaims.ClaimAdded,
    AccountHoldership.Opened,
    AccountHoldership.HolderAssigned,
    AccountHoldership.HolderTransferred,
    AccountHoldership.HolderEnded,
    AgreementAggregate.StatusChanged,
    AgreementAggregate.MilestoneRecorded,
    JointProcurement.Recorded,
    JointProcurement.OptedOut,
    JointProcurement.ExtensionOptionExercised,
    JointProcurement.ExtensionOptionDeclined,
    ExpertiseCentreMandate.Granted,
    ExpertiseCentreMandate.PlanStepRecorded,
    ExpertiseCentreMandate.PlanAdopted,
    Trekkerschap.LeadAssigned,
    Trekkerschap.LeadReassigned,
    Agreement.Recorded,
    GovernanceAggregate.FactCorrected,
)

_AGGREGATE_BY_NAME = {cls.__name__: cls for cls in (*AGGREGATE_CLASSES, AgreementAggregate)}

# The aggregate that records the subjects of each kind: one registry, derived from the classes above
# (every kind of agreement is loaded through their common base, ``AgreementAggregate``).
AGGREGATE_BY_KIND: dict[SubjectKind, type[GovernanceAggregate]] = {
    **{cls.kind: cls for cls in AGGREGATE_CLASSES if not issubclass(cls, AgreementAggregate)},
    AgreementAggregate.kind: AgreementAggregate,
}


class EventInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What a read model or a region feed needs to route an event, without looking anything up."""

    event_name: str  # e.g. "HolderAssigned"
    aggregate_kind: SubjectKind  # e.g. SubjectKind.ACCOUNT
    slug: str  # the aggregate's slug
    concerns: Concerns


@cache
def _aggregate_of(event_class: type) -> tuple[SubjectKind, str]:
    """The kind of aggregate an event class belongs to, and the attribute that holds its slug."""
    aggregate = _AGGREGATE_BY_NAME[event_class.__qualname__.split(".")[0]]
    return aggregate.kind, aggregate.slug_attribute


def describe(event: Any) -> EventInfo:
    """The aggregate kind and slug of ``event`` and the regions, cooperations, organisations and
    municipalities it concerns."""
    if isinstance(event, GovernanceAggregate.FactCorrected):
        kind, slug = event.subject.kind, event.subject.slug
    else:
        kind, slug_attribute = _aggregate_of(type(event))
        slug = getattr(event, slug_attribute)
    return EventInfo(
        event_name=type(event).__name__, aggregate_kind=kind, slug=slug, concerns=concerns(event)
    )
