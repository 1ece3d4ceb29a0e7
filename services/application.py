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
    Agreement,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.base import GovernanceAggregate, fact_fields
from domain.errors import AlreadyRecorded, UnknownReference
from domain.events import AGGREGATE_BY_KIND
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
from domain.values import SubjectKind, SubjectRef, ValidPeriod
from services import commands as c
from services.command_checks import checked

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


@dataclass
class _Recording:
    expected_version: int | None
    # The kind of aggregate the command changes when it exists already (see _TARGETS): the one whose
    # version ``expected_version`` names, checked as soon as it is loaded, before any domain rule runs.
    target: type[Aggregate] | None = None
    aggregate: Aggregate | None = None
    recordings: list[Recording[UUID]] = field(default_factory=list)


# The command being handled on this thread (the API runs commands on worker threads).
_current: ContextVar[_Recording | None] = ContextVar("current_command", default=None)


class GovernanceApplication(Application[UUID]):
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
                f"{cls.kind} {slug!r} is a {type(aggregate).__name__}, not a {cls.__name__} — {UnknownReference.rule}"
            )
        self._check_precondition(aggregate)
        return aggregate

    def _check_precondition(self, aggregate: Aggregate) -> None:
        """Refuses a command whose ``If-Match`` names another version of the aggregate it changes, as
        soon as that aggregate is loaded: a stale precondition is a conflict (409), whatever the domain
        rules would say about the command applied to the newer version."""
        recording = _current.get()
        if recording is None or recording.expected_version is None or recording.target is None:
            return
        if isinstance(aggregate, recording.target):
            recording.target = None  # only the first aggregate of that kind is the command's
            if aggregate.version != recording.expected_version:
                raise VersionConflict(aggregate.id, aggregate.version, recording.expected_version)

    def exists(self, cls: type[GovernanceAggregate], slug: str) -> bool:
        return cls.id_for(slug) in self.repository

    def require(self, ref: SubjectRef) -> None:
        self.get(AGGREGATE_BY_KIND[ref.kind], ref.slug)

    def _require_all(self, cls: type[GovernanceAggregate], slugs: Iterable[str | None]) -> None:
        for slug in slugs:
            if slug is not None:
                self.get(cls, slug)

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

    def handle(self, command: c.Command, *, expected_version: int | None = None) -> Recorded:
        """Run any command (the API and the importer use this). With ``expected_version``, the command's
        first aggregate must be at that version, else VersionConflict; so must it be if another command
        saves it concurrently."""
        handler = COMMAND_HANDLERS[type(command)]
        command = checked(command, self)
        with self._recording(expected_version) as recording:
            recording.target = _TARGETS.get(type(command))
            aggregate_id = handler(self, command)
        notification_ids = tuple(r.notification.id for r in recording.recordings)
        version = recording.aggregate.version if recording.aggregate else 0
        return Recorded(
            aggregate_id=aggregate_id, version=version, notification_ids=notification_ids
        )

    @contextmanager
    def _recording(self, expected_version: int | None) -> Iterator[_Recording]:
        recording = _Recording(expected_version=expected_version)
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
        try:
            recordings = super().save(*objs, **kwargs)
        except IntegrityError:
            current = self.repository.get(first.id).version if first.id in self.repository else 0
            raise VersionConflict(first.id, current, stored_version) from None
        recording.aggregate = first
        recording.recordings.extend(recordings)
        return recordings

    # -- registry ---------------------------------------------------------------------------------------
    def register_source(self, cmd: c.RegisterSource) -> UUID:
        return self._register(
            SourceDocument,
            cmd.source,
            lambda: SourceDocument(
                source=cmd.source,
                file=cmd.file,
                title=cmd.title,
                title_note=cmd.title_note,
                date=cmd.date,
                date_inferred=cmd.date_inferred,
                date_note=cmd.date_note,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def register_municipality(self, cmd: c.RegisterMunicipality) -> UUID:
        return self._register(
            Municipality,
            cmd.municipality,
            lambda: Municipality(
                municipality=cmd.municipality,
                name=cmd.name,
                source_spelling=cmd.source_spelling,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def register_region(self, cmd: c.RegisterRegion) -> UUID:
        self._require_all(Municipality, [cmd.contact_municipality])
        return self._register(
            Region,
            cmd.region,
            lambda: Region(
                region=cmd.region,
                name=cmd.name,
                region_kind=cmd.region_kind,
                aliases=cmd.aliases,
                province=cmd.province,
                contact_municipality=cmd.contact_municipality,
                contact_label=cmd.contact_label,
                contact_note=cmd.contact_note,
                members_complete=cmd.members_complete,
                subregions=cmd.subregions,
                decision_route=cmd.decision_route,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def start_membership(self, cmd: c.StartMembership) -> UUID:
        self.get(Region, cmd.region)
        municipality = self.get(Municipality, cmd.municipality)
        municipality.start_membership(
            membership_id=cmd.effective_membership_id,
            region=cmd.region,
            scope=cmd.scope,
            period=cmd.period,
            attribution=cmd.attribution,
        )
        self.save(municipality)
        return municipality.id

    def end_membership(self, cmd: c.EndMembership) -> UUID:
        municipality = self.get(Municipality, cmd.municipality)
        municipality.end_membership(
            membership_id=cmd.membership_id,
            valid_until=cmd.valid_until,
            attribution=cmd.attribution,
        )
        self.save(municipality)
        return municipality.id

    def register_cooperation(self, cmd: c.RegisterCooperation) -> UUID:
        return self._register(
            Cooperation,
            cmd.cooperation,
            lambda: Cooperation(
                cooperation=cmd.cooperation,
                name=cmd.name,
                cooperation_kind=cmd.cooperation_kind,
                members_complete=cmd.members_complete,
                member_count=cmd.member_count,
                formalised=cmd.formalised,
                cadence=cmd.cadence,
                decision_rule=cmd.decision_rule,
                decision_exceptions=cmd.decision_exceptions,
                process_owner_body=cmd.process_owner_body,
                principles=cmd.principles,
                agenda=cmd.agenda,
                themes=cmd.themes,
                scope=cmd.scope,
                related_cooperations=cmd.related_cooperations,
                date_note=cmd.date_note,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def admit_region_to_cooperation(self, cmd: c.AdmitRegionToCooperation) -> UUID:
        self.get(Region, cmd.region)
        cooperation = self.get(Cooperation, cmd.cooperation)
        cooperation.admit_region(
            region=cmd.region,
            participation=cmd.participation,
            participation_note=cmd.participation_note,
            cadence=cmd.cadence,
            period=cmd.period,
            attribution=cmd.attribution,
        )
        self.save(cooperation)
        return cooperation.id

    def involve_organisation_in_cooperation(self, cmd: c.InvolveOrganisationInCooperation) -> UUID:
        self.get(Organisation, cmd.organisation)
        cooperation = self.get(Cooperation, cmd.cooperation)
        cooperation.involve_organisation(
            organisation=cmd.organisation, period=cmd.period, attribution=cmd.attribution
        )
        self.save(cooperation)
        return cooperation.id

    def register_organisation(self, cmd: c.RegisterOrganisation) -> UUID:
        return self._register(
            Organisation,
            cmd.organisation,
            lambda: Organisation(
                organisation=cmd.organisation,
                name=cmd.name,
                organisation_kind=cmd.organisation_kind,
                aliases=cmd.aliases,
                member_organisations=cmd.member_organisations,
                legal_entity=cmd.legal_entity,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def register_decision_body(self, cmd: c.RegisterDecisionBody) -> UUID:
        self.require(cmd.of)
        self._require_all(Municipality, cmd.member_municipalities)
        return self._register(
            DecisionBody,
            cmd.body,
            lambda: DecisionBody(
                body=cmd.body,
                name=cmd.name,
                of=cmd.of,
                role=cmd.role,
                level=cmd.level,
                composition=cmd.composition,
                member_municipalities=cmd.member_municipalities,
                cadence=cmd.cadence,
                commissioned_by_body=cmd.commissioned_by_body,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def change_body_role(self, cmd: c.ChangeBodyRole) -> UUID:
        body = self.get(DecisionBody, cmd.body)
        body.change_role(role=cmd.role, period=cmd.period, attribution=cmd.attribution)
        self.save(body)
        return body.id

    # -- structural changes, claims, corrections ----------------------------------------------------------
    def merge_municipalities(self, cmd: c.MergeMunicipalities) -> UUID:
        change = StructuralChange.record_merger(
            change=cmd.change,
            from_municipalities=cmd.from_municipalities,
            from_names=cmd.from_names,
            into_municipality=cmd.into_municipality,
            description=cmd.description,
            date_note=cmd.date_note,
            date=cmd.date,
            attribution=cmd.attribution,
        )
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
        change = StructuralChange.record(
            change=cmd.change,
            change_kind=cmd.change_kind,
            subject=cmd.subject,
            description=cmd.description,
            date_note=cmd.date_note,
            period=cmd.period,
            attribution=cmd.attribution,
        )
        if cmd.subject is not None:
            self.require(cmd.subject)
        return self._register(StructuralChange, cmd.change, lambda: change)

    def record_conflicting_claims(self, cmd: c.RecordConflictingClaims) -> UUID:
        if cmd.subject is not None:
            self.require(cmd.subject)
        return self._register(
            ConflictingClaims,
            cmd.claims,
            lambda: ConflictingClaims(
                claims=cmd.claims,
                topic=cmd.topic,
                subject=cmd.subject,
                claim_values=cmd.claim_values,
                note=cmd.note,
                **fact_fields(ValidPeriod(), cmd.attribution),
            ),
        )

    def add_claim(self, cmd: c.AddClaim) -> UUID:
        claims = self.get(ConflictingClaims, cmd.claims)
        claims.add_claim(claim=cmd.claim, attribution=cmd.attribution)
        self.save(claims)
        return claims.id

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

    # -- accounthouderschap -------------------------------------------------------------------------------
    def _account(
        self, cooperation: str | None, organisation: str | None, agreement: str
    ) -> AccountHoldership:
        slug = AccountHoldership.account_slug(cooperation, organisation, agreement)
        if self.exists(AccountHoldership, slug):
            return self.get(AccountHoldership, slug)
        raise UnknownReference(
            f"{organisation or 'the organisation'} has no account holdership in {cooperation or 'the cooperation'} "
            f"— {UnknownReference.rule}"
        )

    def _account_labels(
        self,
        cooperation: str | None,
        organisation: str | None,
        region: str | None,
        municipality: str | None,
        account: AccountHoldership | None = None,
    ) -> dict[str, str]:
        """Names for the messages of the account's rules: of the command's and the account's holders."""
        holders = [(region, municipality)] + [
            (t.holder_region, t.executing_municipality)
            for t in (account.terms.values() if account else ())
        ]
        return self._labels(
            (Cooperation, cooperation),
            (Organisation, organisation),
            *((Region, r) for r, _ in holders),
            *((Municipality, m) for _, m in holders),
        )

    def assign_account_holdership(self, cmd: c.AssignAccountHoldership) -> UUID:
        slug = AccountHoldership.account_slug(cmd.cooperation, cmd.organisation, cmd.agreement)
        if self.exists(AccountHoldership, slug):
            account = self.get(AccountHoldership, slug)
        else:
            account = AccountHoldership(
                account=slug,
                cooperation=cmd.cooperation,
                organisation=cmd.organisation,
                subject_count=cmd.subject_count,
                **fact_fields(ValidPeriod(), cmd.attribution),
            )
        labels = self._account_labels(
            cmd.cooperation,
            cmd.organisation,
            cmd.holder_region,
            cmd.executing_municipality,
            account,
        )
        account.assign(
            agreement=cmd.agreement,
            holder_region=cmd.holder_region,
            executing_municipality=cmd.executing_municipality,
            status=cmd.status,
            basis=cmd.basis,
            obligations=cmd.obligations,
            notes=cmd.notes,
            period=cmd.period,
            attribution=cmd.attribution,
            labels=labels,
        )
        self.save(account)
        return account.id

    def transfer_account_holdership(self, cmd: c.TransferAccountHoldership) -> UUID:
        account = self._account(cmd.cooperation, cmd.organisation, cmd.agreement)
        labels = self._account_labels(
            cmd.cooperation,
            cmd.organisation,
            cmd.holder_region,
            cmd.executing_municipality,
            account,
        )
        account.transfer(
            agreement=cmd.agreement,
            holder_region=cmd.holder_region,
            executing_municipality=cmd.executing_municipality,
            handover=cmd.handover,
            basis=cmd.basis,
            notes=cmd.notes,
            attribution=cmd.attribution,
            labels=labels,
        )
        self.save(account)
        return account.id

    def end_account_holdership(self, cmd: c.EndAccountHoldership) -> UUID:
        account = self._account(cmd.cooperation, cmd.organisation, "")
        account.end(valid_until=cmd.valid_until, reason=cmd.reason, attribution=cmd.attribution)
        self.save(account)
        return account.id

    # -- agreements identified by slug --------------------------------------------------------------------
    def _new_agreement(self, slug: str, factory: Callable[[], AgreementAggregate]) -> UUID:
        return self._register(AgreementAggregate, slug, factory)

    def _require_owner(self, owner: SubjectRef | None, parties: Iterable[SubjectRef] = ()) -> None:
        for ref in (owner, *parties):
            if ref is not None:
                self.require(ref)

    def record_joint_procurement(self, cmd: c.RecordJointProcurement) -> UUID:
        self._require_owner(cmd.owner, cmd.participants)
        self._require_all(Organisation, cmd.suppliers)
        return self._new_agreement(
            cmd.agreement,
            lambda: JointProcurement(
                agreement=cmd.agreement,
                owner=cmd.owner,
                participants=cmd.participants,
                segments=cmd.segments,
                lots=cmd.lots,
                contract=cmd.contract,
                part_of=cmd.part_of,
                suppliers=cmd.suppliers,
                supplier_count=cmd.supplier_count,
                principles=cmd.principles,
                status=cmd.status,
                basis=cmd.basis,
                date_note=cmd.date_note,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def opt_out_of_procurement(self, cmd: c.OptOutOfProcurement) -> UUID:
        self.get(Municipality, cmd.municipality)
        procurement = self.get(JointProcurement, cmd.agreement)
        procurement.opt_out(
            municipality=cmd.municipality,
            scope=cmd.scope,
            reason=cmd.reason,
            period=cmd.period,
            attribution=cmd.attribution,
        )
        self.save(procurement)
        return procurement.id

    def exercise_extension_option(self, cmd: c.ExerciseExtensionOption) -> UUID:
        procurement = self.get(JointProcurement, cmd.agreement)
        procurement.exercise_extension_option(
            option_number=cmd.option_number, attribution=cmd.attribution
        )
        self.save(procurement)
        return procurement.id

    def decline_extension_option(self, cmd: c.DeclineExtensionOption) -> UUID:
        procurement = self.get(JointProcurement, cmd.agreement)
        procurement.decline_extension_option(
            option_number=cmd.option_number, attribution=cmd.attribution
        )
        self.save(procurement)
        return procurement.id

    def grant_expertise_centre_mandate(self, cmd: c.GrantExpertiseCentreMandate) -> UUID:
        self.get(Cooperation, cmd.cooperation)
        self.get(Municipality, cmd.holder_municipality)
        self.get(Organisation, cmd.expertise_centre)
        return self._new_agreement(
            cmd.agreement,
            lambda: ExpertiseCentreMandate(
                agreement=cmd.agreement,
                owner=SubjectRef(SubjectKind.COOPERATION, cmd.cooperation),
                holder_municipality=cmd.holder_municipality,
                expertise_centre=cmd.expertise_centre,
                adoption_route=cmd.adoption_route,
                annual_plan=cmd.annual_plan,
                status=cmd.status,
                basis=cmd.basis,
                notes=cmd.notes,
                **fact_fields(cmd.period, cmd.attribution),
            ),
        )

    def record_plan_step(self, cmd: c.RecordPlanStep) -> UUID:
        mandate = self.get(ExpertiseCentreMandate, cmd.agreement)
        mandate.record_plan_step(
            plan=cmd.plan,
            step_number=cmd.step_number,
            period=cmd.period,
            attribution=cmd.attribution,
        )
        self.save(mandate)
        return mandate.id

    def adopt_plan(self, cmd: c.AdoptPlan) -> UUID:
        mandate = self.get(ExpertiseCentreMandate, cmd.agreement)
        mandate.adopt_plan(plan=cmd.plan, period=cmd.period, attribution=cmd.attribution)
        self.save(mandate)
        return mandate.id

    def assign_lead(self, cmd: c.AssignLead) -> UUID:
        self.get(Region, cmd.lead_region)
        members = self.get(Cooperation, cmd.cooperation).members_on(cmd.period)
        return self._new_agreement(
            cmd.agreement,
            lambda: Trekkerschap.assign(
                agreement=cmd.agreement,
                cooperation=cmd.cooperation,
                module=cmd.module,
                item=cmd.item,
                lead_region=cmd.lead_region,
                content=cmd.content,
                cooperation_members=members,
                status=cmd.status,
                basis=cmd.basis,
                notes=cmd.notes,
                period=cmd.period,
                attribution=cmd.attribution,
            ),
        )

    def reassign_lead(self, cmd: c.ReassignLead) -> UUID:
        self.get(Region, cmd.lead_region)
        lead = self.get(Trekkerschap, cmd.agreement)
        assert lead.owner is not None
        members = self.get(Cooperation, lead.owner.slug).members_on(cmd.period)
        lead.reassign_lead(
            lead_region=cmd.lead_region,
            cooperation_members=members,
            period=cmd.period,
            attribution=cmd.attribution,
        )
        self.save(lead)
        return lead.id

    def record_agreement(self, cmd: c.RecordAgreement) -> UUID:
        self._require_owner(cmd.owner, cmd.terms.parties)
        self._require_all(
            Municipality, [cmd.terms.holder_municipality, cmd.terms.host_municipality]
        )
        self._require_all(Organisation, [cmd.terms.provider, *cmd.terms.recipients])
        self._require_all(DecisionBody, [cmd.terms.holder_body])
        return self._new_agreement(
            cmd.agreement,
            lambda: Agreement.record(
                agreement=cmd.agreement,
                agreement_kind=cmd.agreement_kind,
                owner=cmd.owner,
                terms=cmd.terms,
                part_of=cmd.part_of,
                status=cmd.status,
                basis=cmd.basis,
                date_note=cmd.date_note,
                notes=cmd.notes,
                period=cmd.period,
                attribution=cmd.attribution,
            ),
        )

    def record_milestone(self, cmd: c.RecordMilestone) -> UUID:
        agreement = self.get(AgreementAggregate, cmd.agreement)
        agreement.record_milestone(milestone=cmd.milestone, attribution=cmd.attribution)
        self.save(agreement)
        return agreement.id

    def change_agreement_status(self, cmd: c.ChangeAgreementStatus) -> UUID:
        agreement = self.get(AgreementAggregate, cmd.agreement)
        agreement.change_status(status=cmd.status, period=cmd.period, attribution=cmd.attribution)
        self.save(agreement)
        return agreement.id


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
}
