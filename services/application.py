"""The governance application: its methods are the commands.

Each method takes a command from ``services.commands``, loads the aggregates it needs, lets them apply
the domain's rules (a ``domain.errors.DomainError`` says which rule and which fact stopped it) and saves
what changed in one atomic save. It runs on any eventsourcing persistence module (``PERSISTENCE_MODULE``;
the library's in-memory POPO module by default) and stores events with the msgspec codec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording

from domain.agreements import (
    AccountHoldership,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.base import GovernanceAggregate
from domain.compliance import ComplianceAssessment
from domain.errors import AlreadyRecorded, UnknownReference
from domain.events import AGGREGATE_BY_KIND
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
from domain.values import Attribution, AuthorityKind, SubjectRef, ValidPeriod
from services import commands as c
from services.agreements import AgreementCommands
from services.command_checks import checked
from services.command_methods import arguments
from services.compliance import ComplianceCommands
from services.module_commitments import ModuleCommitmentCommands

A = TypeVar("A", bound=GovernanceAggregate)


class Recorded(msgspec.Struct, frozen=True, kw_only=True):
    """What a command recorded: its (first) aggregate, that aggregate's new version, and the log
    positions (notification ids) of the events it stored."""

    aggregate_id: UUID
    version: int
    notification_ids: tuple[int, ...]


class VersionConflict(Exception):
    """The aggregate was not at the version the command expected (an ``If-Match``), or another command
    stored events on it first. Nothing of the command was recorded."""

    def __init__(self, aggregate_id: UUID, current_version: int, expected_version: int) -> None:
        super().__init__(
            f"aggregate {aggregate_id} is at version {current_version}, "
            f"the command expected version {expected_version}; nothing was recorded"
        )
        self.aggregate_id = aggregate_id
        self.current_version = current_version
        self.expected_version = expected_version


class AttemptOvertaken(Exception):
    """A command run again after its first write's outcome was unknown would save from another version
    than that write did: the aggregate moved on since, by that very write (stored late) or by another
    (then that write can never be stored). Nothing was recorded; the caller finds out which."""


@dataclass
class _Recording:
    expected_version: int | None
    # A retry of a write of unknown outcome: the aggregate and version the save must start from, as
    # the first attempt's did. From a later version it would be recorded beside that write, should a
    # replica have committed it after the retry looked for it.
    starting_at: tuple[UUID, int] | None = None
    # Called with what each write of the command is about to store, before it is sent (the API
    # writes it down beside the command's Idempotency-Key); it may refuse the write by raising.
    before_write: Callable[[Any], None] | None = None
    # The kind of aggregate the command changes when it exists already (see _TARGETS): the one whose
    # version ``expected_version`` names, checked as soon as it is loaded, before any domain rule runs.
    target: type[Aggregate] | None = None
    # An imported fact (documented in its sources): its attribution and period, which the target must
    # not have recorded and seen corrected (``GovernanceAggregate.check_not_a_corrected_import``).
    imported: tuple[Attribution, ValidPeriod | None] | None = None
    aggregate: Aggregate | None = None
    recordings: list[Recording[UUID]] = field(default_factory=list)


# The command being handled on this thread (the API runs commands on worker threads).
_current: ContextVar[_Recording | None] = ContextVar("current_command", default=None)


class GovernanceApplication(
    AgreementCommands, ComplianceCommands, ModuleCommitmentCommands, Application[UUID]
):
    """The command methods of each family of facts live in a module of their own (``AgreementCommands``,
    ``ComplianceCommands``, ``ModuleCommitmentCommands``); the registry's and the corrections stay here,
    beside the loading, saving and dispatch every command shares."""

    env: ClassVar[dict[str, str]] = {
        "MAPPER_TOPIC": "adapters.codec:MsgspecMapper",
        "TRANSCODER_TOPIC": "adapters.codec:MsgspecTranscoder",
    }

    # -- queries the commands (and the importer) need ------------------------------------------------
    def get(self, cls: type[A], slug: str) -> A:
        """The aggregate of kind ``cls`` with ``slug``, or UnknownReference."""
        try:
            aggregate = self.repository.get(cls.id_for(slug))
        except AggregateNotFoundError:
            raise UnknownReference(
                f"{cls.kind} {slug!r} is not registered — {UnknownReference.rule}"
            ) from None
        if not isinstance(aggregate, cls):
            raise UnknownReference(
                f"{slug!r} is recorded as a {type(aggregate).kind}, not as a {cls.kind} — "
                f"{UnknownReference.rule}"
            )
        self._check_precondition(aggregate)
        return aggregate

    def _check_precondition(self, aggregate: Aggregate) -> None:
        """Refuses a command whose ``If-Match`` names another version of the aggregate it changes, as
        soon as that aggregate is loaded: a stale precondition is a conflict (409), whatever the domain
        rules would say about the command applied to the newer version. Likewise an imported fact
        that this aggregate recorded and saw corrected, before a rule can fail on what the correction
        took away (a commitment whose participation was corrected too)."""
        recording = _current.get()
        if recording is None or recording.target is None:
            return
        if isinstance(aggregate, recording.target):
            recording.target = None  # only the first aggregate of that kind is the command's
            expected = recording.expected_version
            if expected is not None and aggregate.version != expected:
                raise VersionConflict(aggregate.id, aggregate.version, expected)
            if recording.imported is not None and isinstance(aggregate, GovernanceAggregate):
                aggregate.check_not_a_corrected_import(*recording.imported)

    def exists(self, cls: type[GovernanceAggregate], slug: str) -> bool:
        return cls.id_for(slug) in self.repository

    def require(self, ref: SubjectRef) -> None:
        self.get(AGGREGATE_BY_KIND[ref.kind], ref.slug)

    def _require_all(self, cls: type[GovernanceAggregate], slugs: Iterable[str | None]) -> None:
        for slug in slugs:
            if slug is not None:
                self.get(cls, slug)

    def _require_owner(self, owner: SubjectRef | None, parties: Iterable[SubjectRef] = ()) -> None:
        for ref in (owner, *parties):
            if ref is not None:
                self.require(ref)

    def _labels(self, *pairs: tuple[type[GovernanceAggregate], str | None]) -> dict[str, str]:
        return {slug: self.get(cls, slug).label for cls, slug in pairs if slug is not None}

    def _register(self, cls: type[A], slug: str, factory: Callable[[], A]) -> UUID:
        if self.exists(cls, slug):
            raise AlreadyRecorded(
                f"{cls.kind} {slug!r} is already registered — {AlreadyRecorded.rule}"
            )
        aggregate = factory()
        self.save(aggregate)
        return aggregate.id

    def handle(
        self,
        command: c.Command,
        *,
        expected_version: int | None = None,
        starting_at: tuple[UUID, int] | None = None,
        before_write: Callable[[Any], None] | None = None,
    ) -> Recorded:
        """Run any command (the API and the importer use this). With ``expected_version``, the command's
        first aggregate must be at that version, else VersionConflict; so must it be if another command
        saves it concurrently. With ``starting_at`` (a retry of a write whose outcome was unknown), its
        first save must be of that aggregate from that version, else AttemptOvertaken. A recorder that
        can lose a write's answer calls ``before_write`` with what each write attempts, before sending
        it (see ``_Recording``)."""
        handler = COMMAND_HANDLERS[type(command)]
        command = checked(command, self)
        with self._recording(expected_version, starting_at, before_write) as recording:
            recording.target = _TARGETS.get(type(command))
            if command.authority.kind is AuthorityKind.SOURCE:
                period = command.period if isinstance(command, c.FactCommand) else None
                recording.imported = (command.attribution, period)
            aggregate_id = handler(self, command)
        notification_ids = tuple(r.notification.id for r in recording.recordings)
        version = recording.aggregate.version if recording.aggregate else 0
        return Recorded(
            aggregate_id=aggregate_id, version=version, notification_ids=notification_ids
        )

    @contextmanager
    def _recording(
        self,
        expected_version: int | None,
        starting_at: tuple[UUID, int] | None,
        before_write: Callable[[Any], None] | None,
    ) -> Iterator[_Recording]:
        recording = _Recording(
            expected_version=expected_version, starting_at=starting_at, before_write=before_write
        )
        token = _current.set(recording)
        try:
            yield recording
        finally:
            _current.reset(token)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        recording = _current.get()
        aggregates = [o for o in objs if isinstance(o, Aggregate)]
        if recording is None or not aggregates:
            return super().save(*objs, **kwargs)
        first = aggregates[0]
        stored_version = first.version - len(first.pending_events)
        expected = recording.expected_version
        if expected is not None and expected != stored_version:
            raise VersionConflict(first.id, stored_version, expected)
        starting_at = recording.starting_at
        if starting_at is not None and starting_at != (first.id, stored_version):
            raise AttemptOvertaken(f"{first.id} from version {stored_version}, not {starting_at}")
        if recording.before_write is not None:
            kwargs["before_write"] = recording.before_write
        try:
            recordings = super().save(*objs, **kwargs)
        except IntegrityError:
            current = self.repository.get(first.id).version if first.id in self.repository else 0
            raise VersionConflict(first.id, current, stored_version) from None
        recording.aggregate = first
        recording.recordings.extend(recordings)
        return recordings

    def _change(
        self, cmd: c.Command, cls: type[A], slug: str, method: Callable[..., None], **given: Any
    ) -> UUID:
        """Load the aggregate of kind ``cls`` with ``slug``, let ``method`` (one of its commands) apply
        the command's fields to it, save it."""
        aggregate = self.get(cls, slug)
        method(aggregate, **arguments(cmd, method, **given))
        self.save(aggregate)
        return aggregate.id

    def _register_from(self, cmd: c.Command, cls: type[A], slug: str, **given: Any) -> UUID:
        """Register a new aggregate of kind ``cls`` made from the command's fields."""
        return self._register(cls, slug, lambda: cls(**arguments(cmd, cls, **given)))

    # -- registry ---------------------------------------------------------------------------------------
    def register_source(self, cmd: c.RegisterSource) -> UUID:
        return self._register_from(cmd, SourceDocument, cmd.source)

    def register_municipality(self, cmd: c.RegisterMunicipality) -> UUID:
        return self._register_from(cmd, Municipality, cmd.municipality)

    def register_region(self, cmd: c.RegisterRegion) -> UUID:
        self._require_all(Municipality, [cmd.contact_municipality])
        return self._register_from(cmd, Region, cmd.region)

    def start_membership(self, cmd: c.StartMembership) -> UUID:
        self.get(Region, cmd.region)
        return self._change(
            cmd,
            Municipality,
            cmd.municipality,
            Municipality.start_membership,
            membership_id=cmd.effective_membership_id,
        )

    def end_membership(self, cmd: c.EndMembership) -> UUID:
        return self._change(cmd, Municipality, cmd.municipality, Municipality.end_membership)

    def register_cooperation(self, cmd: c.RegisterCooperation) -> UUID:
        return self._register_from(cmd, Cooperation, cmd.cooperation)

    def admit_region_to_cooperation(self, cmd: c.AdmitRegionToCooperation) -> UUID:
        self.get(Region, cmd.region)
        return self._change(cmd, Cooperation, cmd.cooperation, Cooperation.admit_region)

    def involve_organisation_in_cooperation(self, cmd: c.InvolveOrganisationInCooperation) -> UUID:
        self.get(Organisation, cmd.organisation)
        return self._change(cmd, Cooperation, cmd.cooperation, Cooperation.involve_organisation)

    def register_organisation(self, cmd: c.RegisterOrganisation) -> UUID:
        return self._register_from(cmd, Organisation, cmd.organisation)

    def register_decision_body(self, cmd: c.RegisterDecisionBody) -> UUID:
        self.require(cmd.of)
        self._require_all(Municipality, cmd.member_municipalities)
        return self._register_from(cmd, DecisionBody, cmd.body)

    def change_body_role(self, cmd: c.ChangeBodyRole) -> UUID:
        return self._change(cmd, DecisionBody, cmd.body, DecisionBody.change_role)

    # -- structural changes, claims, corrections ----------------------------------------------------------
    def merge_municipalities(self, cmd: c.MergeMunicipalities) -> UUID:
        change = StructuralChange.record_merger(**arguments(cmd, StructuralChange.record_merger))
        if self.exists(StructuralChange, cmd.change):
            raise AlreadyRecorded(
                f"change {cmd.change!r} is already recorded — {AlreadyRecorded.rule}"
            )
        successor = self.get(Municipality, cmd.into_municipality)
        merged = [
            self.get(Municipality, slug)
            for slug in cmd.from_municipalities
            if slug != cmd.into_municipality
        ]
        for municipality in merged:
            municipality.merge_into(
                successor_municipality=cmd.into_municipality,
                change=cmd.change,
                date=cmd.date,
                attribution=cmd.attribution,
            )
        if cmd.into_municipality not in cmd.from_municipalities:
            successor.take_over_memberships(
                predecessors=merged, change=cmd.change, date=cmd.date, attribution=cmd.attribution
            )
        self.save(change, *merged, successor)
        return change.id

    def record_structural_change(self, cmd: c.RecordStructuralChange) -> UUID:
        change = StructuralChange.record(**arguments(cmd, StructuralChange.record))
        if cmd.subject is not None:
            self.require(cmd.subject)
        return self._register(StructuralChange, cmd.change, lambda: change)

    def record_conflicting_claims(self, cmd: c.RecordConflictingClaims) -> UUID:
        if cmd.subject is not None:
            self.require(cmd.subject)
        return self._register_from(cmd, ConflictingClaims, cmd.claims)

    def add_claim(self, cmd: c.AddClaim) -> UUID:
        return self._change(cmd, ConflictingClaims, cmd.claims, ConflictingClaims.add_claim)

    def correct_fact(self, cmd: c.CorrectFact) -> UUID:
        try:
            aggregate = self.repository.get(cmd.aggregate_id)
        except AggregateNotFoundError:
            raise UnknownReference(
                f"no aggregate {cmd.aggregate_id} — {UnknownReference.rule}"
            ) from None
        self._check_precondition(aggregate)
        aggregate.correct(version=cmd.version, reason=cmd.reason, attribution=cmd.attribution)
        self.save(aggregate)
        return aggregate.id


# Which method handles each command (``handle`` dispatches through this table, for the API, the importer
# and the command line alike): search here for a command's class to find its handler.
COMMAND_HANDLERS: dict[type[c.Command], Callable[[GovernanceApplication, Any], UUID]] = {
    c.RegisterSource: GovernanceApplication.register_source,
    c.RegisterMunicipality: GovernanceApplication.register_municipality,
    c.RegisterRegion: GovernanceApplication.register_region,
    c.StartMembership: GovernanceApplication.start_membership,
    c.EndMembership: GovernanceApplication.end_membership,
    c.RegisterCooperation: GovernanceApplication.register_cooperation,
    c.AdmitRegionToCooperation: GovernanceApplication.admit_region_to_cooperation,
    c.InvolveOrganisationInCooperation: GovernanceApplication.involve_organisation_in_cooperation,
    c.RegisterOrganisation: GovernanceApplication.register_organisation,
    c.RegisterDecisionBody: GovernanceApplication.register_decision_body,
    c.ChangeBodyRole: GovernanceApplication.change_body_role,
    c.MergeMunicipalities: GovernanceApplication.merge_municipalities,
    c.RecordStructuralChange: GovernanceApplication.record_structural_change,
    c.RecordConflictingClaims: GovernanceApplication.record_conflicting_claims,
    c.AddClaim: GovernanceApplication.add_claim,
    c.CorrectFact: GovernanceApplication.correct_fact,
    c.AssignAccountHoldership: GovernanceApplication.assign_account_holdership,
    c.TransferAccountHoldership: GovernanceApplication.transfer_account_holdership,
    c.EndAccountHoldership: GovernanceApplication.end_account_holdership,
    c.RecordJointProcurement: GovernanceApplication.record_joint_procurement,
    c.OptOutOfProcurement: GovernanceApplication.opt_out_of_procurement,
    c.ExerciseExtensionOption: GovernanceApplication.exercise_extension_option,
    c.DeclineExtensionOption: GovernanceApplication.decline_extension_option,
    c.GrantExpertiseCentreMandate: GovernanceApplication.grant_expertise_centre_mandate,
    c.RecordPlanStep: GovernanceApplication.record_plan_step,
    c.AdoptPlan: GovernanceApplication.adopt_plan,
    c.AssignLead: GovernanceApplication.assign_lead,
    c.ReassignLead: GovernanceApplication.reassign_lead,
    c.RecordAgreement: GovernanceApplication.record_agreement,
    c.RecordMilestone: GovernanceApplication.record_milestone,
    c.ChangeAgreementStatus: GovernanceApplication.change_agreement_status,
    c.CommitToModule: GovernanceApplication.commit_to_module,
    c.GiveModuleMandate: GovernanceApplication.give_module_mandate,
    c.EndModuleMandate: GovernanceApplication.end_module_mandate,
    c.AgreeCostKey: GovernanceApplication.agree_cost_key,
    c.ReviseCostKey: GovernanceApplication.revise_cost_key,
    c.RegisterNorm: GovernanceApplication.register_norm,
    c.RecordAssessment: GovernanceApplication.record_assessment,
    c.AnnotateAssessment: GovernanceApplication.annotate_assessment,
    c.RecordPlanOfApproach: GovernanceApplication.record_plan_of_approach,
    c.RecordAction: GovernanceApplication.record_action,
    c.ChangeActionStatus: GovernanceApplication.change_action_status,
    c.SetPlanMilestone: GovernanceApplication.set_plan_milestone,
    c.RecordRecommendation: GovernanceApplication.record_recommendation,
    c.ReportResult: GovernanceApplication.report_result,
}

# The aggregate each command changes when it exists before the command (those that register a new
# aggregate check ``If-Match`` when saving): ``_check_precondition`` compares its version on loading.
_TARGETS: dict[type, type[Aggregate]] = {
    c.StartMembership: Municipality,
    c.EndMembership: Municipality,
    c.AdmitRegionToCooperation: Cooperation,
    c.InvolveOrganisationInCooperation: Cooperation,
    c.ChangeBodyRole: DecisionBody,
    c.AddClaim: ConflictingClaims,
    c.CorrectFact: GovernanceAggregate,
    c.AssignAccountHoldership: AccountHoldership,
    c.TransferAccountHoldership: AccountHoldership,
    c.EndAccountHoldership: AccountHoldership,
    c.OptOutOfProcurement: JointProcurement,
    c.ExerciseExtensionOption: JointProcurement,
    c.DeclineExtensionOption: JointProcurement,
    c.RecordPlanStep: ExpertiseCentreMandate,
    c.AdoptPlan: ExpertiseCentreMandate,
    c.ReassignLead: Trekkerschap,
    c.RecordMilestone: AgreementAggregate,
    c.ChangeAgreementStatus: AgreementAggregate,
    c.CommitToModule: ModuleCommitment,
    c.GiveModuleMandate: ModuleCommitment,
    c.EndModuleMandate: ModuleCommitment,
    c.ReviseCostKey: CostKey,
    c.RecordAssessment: ComplianceAssessment,
    c.AnnotateAssessment: ComplianceAssessment,
    c.RecordAction: PlanOfApproach,
    c.ChangeActionStatus: PlanOfApproach,
    c.SetPlanMilestone: PlanOfApproach,
    c.RecordRecommendation: PlanOfApproach,
    c.ReportResult: PlanOfApproach,
}
