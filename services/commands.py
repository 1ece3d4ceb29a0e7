"""Commands: what a coordinator (or the importer) asks the application to record.

Each command is a frozen msgspec Struct, so an API can decode a request body straight into it. Every
command names the recording ``principal`` and cites an ``authority`` (who decided, when, in which
document; see ``domain.values.Authority``), and may give ``provenance`` (source references, inferred
flag). Only the two commands that decide nothing, registering a source and correcting the record,
may go without an authority. Commands that state a fact with a valid time carry
``valid_from``/``valid_until`` (PartialDates; unknown by default). Commands of one family that carry
the same fields take them from a base of their own (``AgreementFactCommand``, ``ModulePlaceCommand``,
``CostKeyCommand``, ``ExtensionOptionCommand``); the request bodies the API documents are unchanged
by it, as msgspec lays a base's fields out in each command's schema.

The module stays whole at about 500 lines: it is the one list of every command and its fields (the API
decodes its request bodies into them, the importer and the command line build them), in sections per
family of facts, and splitting it would scatter the place a reader looks a command up.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from domain.accountability import UNKNOWN_DEADLINE, Deadline, Owner
from domain.agreements import AgreementTerms
from domain.compliance import NormFramework, RequiredAction, Verdict
from domain.modules import CostShare, MandateKind
from domain.plans_of_approach import ActionStatus, Goal
from domain.values import (
    UNKNOWN_DATE,
    AgendaItem,
    AgreementKind,
    AgreementStatus,
    Attribution,
    Authority,
    BodyLevel,
    BodyRole,
    ChangeKind,
    Claim,
    Contract,
    CooperationKind,
    CooperationScope,
    DecisionException,
    DecisionRoute,
    Lot,
    Milestone,
    PartialDate,
    Participation,
    PlanRef,
    Provenance,
    RegionKind,
    SubjectRef,
    Subregion,
    ValidPeriod,
)


class Command(msgspec.Struct, frozen=True, kw_only=True):
    principal: str
    # Every decision cites its authority; the application checks that it is competent.
    authority: Authority
    provenance: Provenance = Provenance()

    @property
    def attribution(self) -> Attribution:
        return Attribution(
            principal=self.principal, authority=self.authority, provenance=self.provenance
        )


class FactCommand(Command, frozen=True, kw_only=True):
    valid_from: PartialDate = UNKNOWN_DATE
    valid_until: PartialDate = UNKNOWN_DATE

    @property
    def period(self) -> ValidPeriod:
        return ValidPeriod(self.valid_from, self.valid_until)


# -- registry ------------------------------------------------------------------------------------
class RegisterSource(FactCommand, frozen=True, kw_only=True):
    authority: Authority = Authority()  # a source document records decisions, it takes none
    source: str
    file: str
    title: str
    title_note: str | None = None
    date: PartialDate = UNKNOWN_DATE
    date_inferred: bool = False
    date_note: str | None = None


class RegisterMunicipality(FactCommand, frozen=True, kw_only=True):
    municipality: str
    name: str
    source_spelling: str | None = None
    notes: str | None = None


class RegisterRegion(FactCommand, frozen=True, kw_only=True):
    region: str
    name: str
    region_kind: RegionKind = RegionKind.JEUGDZORGREGIO
    aliases: tuple[str, ...] = ()
    province: str | None = None
    contact_municipality: str | None = None
    contact_label: str | None = None
    contact_note: str | None = None
    members_complete: bool = False
    subregions: tuple[Subregion, ...] = ()
    decision_route: DecisionRoute | None = None
    notes: str | None = None


class StartMembership(FactCommand, frozen=True, kw_only=True):
    """A municipality joins a region; ``scope`` None is a full membership, else what it covers."""

    municipality: str
    region: str
    scope: str | None = None
    membership_id: str | None = None

    @property
    def effective_membership_id(self) -> str:
        return self.membership_id or f"{self.region}:{self.municipality}"


class EndMembership(Command, frozen=True, kw_only=True):
    municipality: str
    membership_id: str
    valid_until: PartialDate


class RegisterCooperation(FactCommand, frozen=True, kw_only=True):
    cooperation: str
    name: str
    cooperation_kind: CooperationKind
    members_complete: bool = False
    member_count: int | None = None
    formalised: bool | None = None
    cadence: str | None = None
    decision_rule: str | None = None
    decision_exceptions: tuple[DecisionException, ...] = ()
    process_owner_body: str | None = None
    principles: tuple[str, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    themes: tuple[str, ...] = ()
    scope: CooperationScope | None = None
    related_cooperations: tuple[str, ...] = ()
    date_note: str | None = None
    notes: str | None = None


class AdmitRegionToCooperation(FactCommand, frozen=True, kw_only=True):
    cooperation: str
    region: str
    participation: Participation = Participation.MEMBER
    participation_note: str | None = None
    cadence: str | None = None


class InvolveOrganisationInCooperation(FactCommand, frozen=True, kw_only=True):
    cooperation: str
    organisation: str


class RegisterOrganisation(FactCommand, frozen=True, kw_only=True):
    organisation: str
    name: str
    organisation_kind: str
    aliases: tuple[str, ...] = ()
    member_organisations: tuple[str, ...] = ()
    legal_entity: bool | None = None
    notes: str | None = None


class RegisterDecisionBody(FactCommand, frozen=True, kw_only=True):
    body: str
    name: str
    of: SubjectRef
    role: BodyRole
    level: BodyLevel | None = None
    composition: str | None = None
    member_municipalities: tuple[str, ...] = ()
    cadence: str | None = None
    commissioned_by_body: str | None = None
    notes: str | None = None


class ChangeBodyRole(FactCommand, frozen=True, kw_only=True):
    body: str
    role: BodyRole


# -- structural changes and conflicting claims --------------------------------------------------------
class MergeMunicipalities(Command, frozen=True, kw_only=True):
    """Municipalities merge on ``date``: the merged ones' memberships end the day before; a new successor
    takes over their memberships from ``date`` (an absorbing one keeps its own)."""

    change: str
    from_municipalities: tuple[str, ...]
    into_municipality: str
    date: PartialDate
    from_names: tuple[str, ...] = ()
    description: str = ""
    date_note: str | None = None


class RecordStructuralChange(FactCommand, frozen=True, kw_only=True):
    """Any other dated structural change; its date is ``valid_from``."""

    change: str
    change_kind: ChangeKind
    subject: SubjectRef | None = None
    description: str = ""
    date_note: str | None = None


class RecordConflictingClaims(Command, frozen=True, kw_only=True):
    claims: str
    topic: str
    claim_values: tuple[Claim, ...]
    subject: SubjectRef | None = None
    note: str | None = None


class AddClaim(Command, frozen=True, kw_only=True):
    claims: str
    claim: Claim


class CorrectFact(Command, frozen=True, kw_only=True):
    """Correct the fact recorded by event ``version`` of aggregate ``aggregate_id``, saying why."""

    authority: Authority = Authority()  # corrects the record; ``reason`` says why
    aggregate_id: UUID
    version: int
    reason: str


# -- agreements ------------------------------------------------------------------------------------------
class AgreementFactCommand(FactCommand, frozen=True, kw_only=True):
    """The fields every command that records an agreement (or an account holder's term) gives: its
    slug, its status and the basis and notes the sources give for it."""

    agreement: str
    status: AgreementStatus = AgreementStatus.IN_FORCE
    basis: str | None = None
    notes: str | None = None


class AssignAccountHoldership(AgreementFactCommand, frozen=True, kw_only=True):
    cooperation: str | None = None
    organisation: str | None = None
    subject_count: int | None = None
    holder_region: str | None = None
    executing_municipality: str | None = None
    obligations: tuple[str, ...] = ()


class TransferAccountHoldership(Command, frozen=True, kw_only=True):
    """The current holder hands over on ``handover``; ``agreement`` names the new holder's term."""

    cooperation: str
    organisation: str
    agreement: str
    handover: PartialDate
    holder_region: str | None = None
    executing_municipality: str | None = None
    basis: str | None = None
    notes: str | None = None


class EndAccountHoldership(Command, frozen=True, kw_only=True):
    cooperation: str
    organisation: str
    valid_until: PartialDate
    reason: str | None = None


class RecordJointProcurement(AgreementFactCommand, frozen=True, kw_only=True):
    owner: SubjectRef | None = None
    participants: tuple[SubjectRef, ...] = ()
    segments: tuple[str, ...] = ()
    lots: tuple[Lot, ...] = ()
    contract: Contract | None = None
    part_of: str | None = None
    suppliers: tuple[str, ...] = ()
    supplier_count: int | None = None
    principles: tuple[str, ...] = ()
    date_note: str | None = None


class OptOutOfProcurement(FactCommand, frozen=True, kw_only=True):
    agreement: str
    municipality: str
    scope: str
    reason: str | None = None


class ExtensionOptionCommand(Command, frozen=True, kw_only=True):
    """Decides on extension option ``option_number`` of a joint procurement's contract."""

    agreement: str
    option_number: int


class ExerciseExtensionOption(ExtensionOptionCommand, frozen=True, kw_only=True):
    pass


class DeclineExtensionOption(ExtensionOptionCommand, frozen=True, kw_only=True):
    pass


class GrantExpertiseCentreMandate(AgreementFactCommand, frozen=True, kw_only=True):
    cooperation: str
    holder_municipality: str
    expertise_centre: str
    adoption_route: tuple[str, ...] | None = None
    annual_plan: bool | None = None


class RecordPlanStep(FactCommand, frozen=True, kw_only=True):
    agreement: str
    plan: PlanRef
    step_number: int


class AdoptPlan(FactCommand, frozen=True, kw_only=True):
    agreement: str
    plan: PlanRef


class AssignLead(AgreementFactCommand, frozen=True, kw_only=True):
    cooperation: str
    item: str
    lead_region: str
    module: int | None = None
    content: str | None = None


class ReassignLead(FactCommand, frozen=True, kw_only=True):
    agreement: str
    lead_region: str


class RecordAgreement(AgreementFactCommand, frozen=True, kw_only=True):
    agreement_kind: AgreementKind
    owner: SubjectRef | None = None
    terms: AgreementTerms = AgreementTerms()
    part_of: str | None = None
    date_note: str | None = None


class RecordMilestone(Command, frozen=True, kw_only=True):
    agreement: str
    milestone: Milestone


class ChangeAgreementStatus(FactCommand, frozen=True, kw_only=True):
    agreement: str
    status: AgreementStatus


# -- modular cooperation (principle C) -------------------------------------------------------------------
class ModulePlaceCommand(FactCommand, frozen=True, kw_only=True):
    """The region's place in a module of its cooperation's agenda, which a command records on."""

    cooperation: str
    module: int
    region: str


class CommitToModule(ModulePlaceCommand, frozen=True, kw_only=True):
    """A region commits to a module of its cooperation's agenda; it counts once the region's mandates
    for the content and the costs are recorded too."""

    content: str


class GiveModuleMandate(ModulePlaceCommand, frozen=True, kw_only=True):
    """The region gives its mandate for the content or the costs of its part in a module; the authority
    is the regional body or municipality that gave it."""

    mandate: MandateKind


class EndModuleMandate(Command, frozen=True, kw_only=True):
    """The region withdraws its mandate for the content or the costs; ``valid_until`` is its last day."""

    cooperation: str
    module: int
    region: str
    mandate: MandateKind
    valid_until: PartialDate


class CostKeyCommand(FactCommand, frozen=True, kw_only=True):
    """The shares of a module's cost key (verdeelsleutel), in percent per member region."""

    cost_key: str
    cooperation: str
    module: int
    shares: tuple[CostShare, ...]


class AgreeCostKey(CostKeyCommand, frozen=True, kw_only=True):
    """A verdeelsleutel of a module: each member region's share in percent, together exactly 100."""


class ReviseCostKey(CostKeyCommand, frozen=True, kw_only=True):
    """New shares of a module's cost key, from ``valid_from``; the previous shares end the day before."""


# -- norms and assessments ---------------------------------------------------------------------------
class RegisterNorm(FactCommand, frozen=True, kw_only=True):
    """A requirement of a framework (Kamerbrief, NvO, IGJ); it may repeat (``duplicate_of``) or refer
    to (``relates_to``) norms registered before it."""

    norm: str
    framework: NormFramework
    code: str
    theme: str = ""
    title: str
    text: str = ""
    sub_items: tuple[str, ...] = ()
    duplicate_of: tuple[str, ...] = ()
    relates_to: tuple[str, ...] = ()


class RecordAssessment(Command, frozen=True, kw_only=True):
    """A region's verdict on a norm, holding from ``assessed_on``; a later one revises it and the
    earlier stays in the history. ``assessed_by`` is the region or a decision body."""

    norm: str
    region: str
    verdict: Verdict
    verdict_as_written: str = ""
    explanation: str = ""
    assessed_by: SubjectRef
    assessed_on: PartialDate = UNKNOWN_DATE
    action: RequiredAction = RequiredAction()


class AnnotateAssessment(Command, frozen=True, kw_only=True):
    """A reviewer's remark beside a region's assessment of a norm (on the verdict recorded at
    ``on_version``, if given); it changes no verdict."""

    norm: str
    region: str
    reviewer: str
    remark: str
    on_version: int | None = None


# -- plans of approach ---------------------------------------------------------------------------------
class RecordPlanOfApproach(FactCommand, frozen=True, kw_only=True):
    """A region's (or a cooperation's) plan of approach, with its goals and their findings."""

    plan_of_approach: str
    owner: SubjectRef
    title: str
    goals: tuple[Goal, ...] = ()
    notes: str | None = None


class RecordAction(FactCommand, frozen=True, kw_only=True):
    """An action of a plan; ``valid_from`` is the day its first ``status`` took effect."""

    plan_of_approach: str
    action: str
    what: str
    for_whom: str = ""
    owners: tuple[Owner, ...] = ()
    deadline: Deadline = UNKNOWN_DEADLINE
    status: ActionStatus = ActionStatus.GEPLAND
    status_note: str = ""
    goal: str | None = None
    answers: str | None = None


class ChangeActionStatus(FactCommand, frozen=True, kw_only=True):
    """The action has ``status`` from ``valid_from`` on."""

    plan_of_approach: str
    action: str
    status: ActionStatus
    status_note: str = ""


class SetPlanMilestone(Command, frozen=True, kw_only=True):
    plan_of_approach: str
    milestone: str
    what: str
    deadline: Deadline
    parties: tuple[SubjectRef, ...] = ()
    other_parties: tuple[str, ...] = ()


class RecordRecommendation(Command, frozen=True, kw_only=True):
    plan_of_approach: str
    recommendation: str
    number: str = ""
    text: str
    issued_by: str = ""
    expected_result: str = ""


class ReportResult(FactCommand, frozen=True, kw_only=True):
    """The result reported on a recommendation; ``valid_from`` is the day it was reported."""

    plan_of_approach: str
    recommendation: str
    result: str
