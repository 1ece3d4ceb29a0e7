"""The event classes of the governance domain, in one list, and what each event concerns.

The catalogue of every event, its fields and the value types they use is ``domain/events.md``,
generated from these classes by ``domain/catalogue.py`` (a test keeps it current): read it there, or
run ``.venv/bin/python -m domain.catalogue``. Event classes are nested in their aggregate class (topic
``<module>:<Aggregate>.<Event>``) and are frozen dataclasses; value objects are in ``domain.values``.

Changing an event (upcasting)
-----------------------------
Stored events are never rewritten. A field added with a default on the ``@event`` method needs nothing
more: a stored event without it is read with that default (``GovernanceAggregate.Event.stored_defaults``),
so the event keeps version 1. Put it after the method's own fields, e.g.
``def _holder_transferred(self, ..., notes: str | None, toelichting: str | None = None)``.

To change an event's attributes otherwise (rename, retype, remove), give the aggregate an explicit
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
from domain.compliance import ComplianceAssessment, NormRequirement
from domain.concerns import Concerns, concerns
from domain.modules import CostKey, ModuleCommitment
from domain.plans_of_approach import PlanOfApproach
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
    ModuleCommitment,
    CostKey,
    NormRequirement,
    ComplianceAssessment,
    PlanOfApproach,
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
    ModuleCommitment.Opened,
    ModuleCommitment.Committed,
    ModuleCommitment.MandateGiven,
    ModuleCommitment.MandateEnded,
    CostKey.Agreed,
    CostKey.Revised,
    NormRequirement.Registered,
    ComplianceAssessment.Opened,
    ComplianceAssessment.Assessed,
    ComplianceAssessment.Annotated,
    PlanOfApproach.Recorded,
    PlanOfApproach.ActionRecorded,
    PlanOfApproach.ActionStatusChanged,
    PlanOfApproach.MilestoneSet,
    PlanOfApproach.RecommendationRecorded,
    PlanOfApproach.ResultReported,
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


def slug_attribute(event_class: type) -> str:
    """The attribute of an event of ``event_class`` that holds its aggregate's slug (a correction's
    names its subject instead)."""
    return _aggregate_of(event_class)[1]


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
