"""Agreements between regions, municipalities and organisations.

- :class:`AccountHoldership` — the account of one organisation within one cooperation: who holds it
  (a region, carried out by a municipality; either may be unknown), assigned, transferred and ended.
- :class:`JointProcurement` — gezamenlijke inkoop: participants, opt-outs, contract term and options.
- :class:`ExpertiseCentreMandate` — a municipality's mandate for an expertise centre and the adoption
  route of its plans.
- :class:`Trekkerschap` — the lead region for an agenda item (module) of a cooperation.
- :class:`Agreement` — every other kind (samenwerkingsregeling, subsidiering, ...).

All but AccountHoldership are identified by the agreement's slug and share status and milestones.

The module is longer than most because every stored event's topic names it
(``domain.agreements:AccountHoldership.HolderTransferred``): moving an aggregate elsewhere would need
a topic alias for every event already in a log, so they stay together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import ClassVar

import msgspec
from eventsourcing.domain import event

from domain.base import GovernanceAggregate, decision, fact_fields
from domain.errors import (
    AgreementEnded,
    AlreadyRecorded,
    ExtensionOptionInvalid,
    InvalidPeriod,
    InvalidValue,
    LeadNotMember,
    NoAdoptionRoute,
    NoCurrentAccountHolder,
    OverlappingAccountHolder,
    PlanNotReady,
    PlanStepOutOfOrder,
)
from domain.values import (
    UNKNOWN_DATE,
    AgreementKind,
    AgreementStatus,
    Attribution,
    Contract,
    Lot,
    Milestone,
    PartialDate,
    PlanKind,
    PlanRef,
    Precision,
    SubjectKind,
    SubjectRef,
    ValidPeriod,
)


# ---------------------------------------------------------------------------------------------------
# Accounthouderschap
# ---------------------------------------------------------------------------------------------------
class HolderTerm(msgspec.Struct, frozen=True):
    """One holder's term on an account. ``chain`` is the agreement that started the chain of transfers
    this term belongs to: terms of one chain follow each other by handover and never overlap."""

    agreement: str
    holder_region: str | None
    executing_municipality: str | None
    period: ValidPeriod
    chain: str

    def holder(self, labels: Mapping[str, str]) -> str:
        region = labels.get(self.holder_region or "", self.holder_region)
        municipality = labels.get(self.executing_municipality or "", self.executing_municipality)
        if region and municipality:
            return f"{region} (via {municipality})"
        if municipality:
            return f"{municipality} (region unknown)"
        return region or "an unnamed holder"


class AccountHoldership(GovernanceAggregate):
    """The account of one organisation within one cooperation, and its holders over time.

    Rule: at most one holder per (cooperation, organisation) at any instant of valid time. Terms from
    different assignments conflict if their periods could overlap (``domain.values``); a transfer hands
    over at one instant, so the terms of one chain of transfers are never compared with each other.
    Records whose cooperation or organisation is unknown get an account of their own (keyed by the
    agreement), as nothing can be checked against them.
    """

    kind = SubjectKind.ACCOUNT
    slug_attribute = "account"
    repeated_attributes = ("account", "cooperation", "organisation")

    @staticmethod
    def account_slug(cooperation: str | None, organisation: str | None, agreement: str) -> str:
        if cooperation and organisation:
            return f"{cooperation}:{organisation}"
        return f"unattributed:{agreement}"

    @event("Opened")
    @decision
    def __init__(
        self,
        account: str,
        cooperation: str | None,
        organisation: str | None,
        subject_count: int | None,
    ) -> None:
        self.account = account
        self.cooperation = cooperation
        self.organisation = organisation
        self.terms: dict[str, HolderTerm] = {}

    @property
    def checks_overlap(self) -> bool:
        return bool(self.cooperation and self.organisation)

    def current_term(self) -> HolderTerm | None:
        open_terms = [t for t in self.terms.values() if t.period.is_open]
        return open_terms[-1] if open_terms else None

    def has_term(self, agreement: str) -> bool:
        return agreement in self.terms

    def holders_on(self, day: date) -> list[HolderTerm]:
        return [t for t in self.terms.values() if t.period.could_hold_on(day)]

    # -- rules -----------------------------------------------------------------------------------
    def check_new_term(
        self, agreement: str, period: ValidPeriod, chain: str, labels: Mapping[str, str]
    ) -> None:
        self.check_not_retracted()
        if self.has_term(agreement):
            raise AlreadyRecorded(
                f"account holdership {agreement!r} is already recorded for {self.organisation} in "
                f"{self.cooperation}: give a new holder an agreement slug of its own, or correct "
                f"the recorded one — {AlreadyRecorded.rule}"
            )
        if not self.checks_overlap:
            return
        for term in self.terms.values():
            if term.chain != chain and term.period.could_overlap(period):
                organisation = labels.get(self.organisation or "", self.organisation)
                cooperation = labels.get(self.cooperation or "", self.cooperation)
                raise OverlappingAccountHolder(
                    f"{organisation} already has account holder {term.holder(labels)} in {cooperation} "
                    f"{term.period} ({term.agreement}); a new holder {period} could overlap it — "
                    f"{OverlappingAccountHolder.rule}"
                )

    def check_current(self, action: str) -> HolderTerm:
        current = self.current_term()
        if current is None:
            raise NoCurrentAccountHolder(
                f"{self.organisation or 'the organisation'} has no current (open-ended) account holder in "
                f"{self.cooperation or 'the cooperation'} to {action} — {NoCurrentAccountHolder.rule}"
            )
        return current

    # -- commands --------------------------------------------------------------------------------
    def assign(
        self,
        *,
        agreement: str,
        holder_region: str | None,
        executing_municipality: str | None,
        status: AgreementStatus,
        basis: str | None,
        obligations: tuple[str, ...],
        notes: str | None,
        period: ValidPeriod,
        attribution: Attribution,
        labels: Mapping[str, str] = {},
    ) -> None:
        self.check_new_term(agreement, period, agreement, labels)
        self._holder_assigned(
            agreement=agreement,
            holder_region=holder_region,
            executing_municipality=executing_municipality,
            status=status,
            basis=basis,
            obligations=obligations,
            notes=notes,
            **self._fact(period, attribution),
        )

    def transfer(
        self,
        *,
        agreement: str,
        holder_region: str | None,
        executing_municipality: str | None,
        handover: PartialDate,
        basis: str | None,
        notes: str | None,
        attribution: Attribution,
        labels: Mapping[str, str] = {},
    ) -> None:
        """The current holder hands the account over on ``handover``: its term ends the day before."""
        current = self.check_current("transfer")
        if handover.day_before().latest < current.period.valid_from.earliest:
            # The current holder would end before its own first day.
            how = "transfer" if current.agreement != current.chain else "assignment"
            raise InvalidPeriod(
                f"{'a' if how == 'transfer' else 'an'} {how} on {current.period.valid_from} is already recorded "
                f"({current.holder(labels)}, {current.agreement}); a transfer on {handover} would "
                f"end it before it began, as a transfer hands over after the current holder's "
                f"first day. To change who holds the account from {current.period.valid_from}, "
                f"correct that {how} instead"
            )
        if (holder_region, executing_municipality) == (
            current.holder_region,
            current.executing_municipality,
        ):
            raise AlreadyRecorded(
                f"{current.holder(labels)} already holds the account — a transfer needs a new holder"
            )
        period = ValidPeriod(handover, UNKNOWN_DATE)
        self.check_new_term(agreement, period, current.chain, labels)
        self._holder_transferred(
            agreement=agreement,
            previous_agreement=current.agreement,
            holder_region=holder_region,
            executing_municipality=executing_municipality,
            previous_holder_region=current.holder_region,
            previous_executing_municipality=current.executing_municipality,
            basis=basis,
            notes=notes,
            **self._fact(period, attribution),
        )

    def end(
        self,
        *,
        valid_until: PartialDate,
        reason: str | None,
        attribution: Attribution,
        labels: Mapping[str, str] = {},
    ) -> None:
        current = self.check_current("end")
        period = current.period.ended(
            valid_until, f"{current.holder(labels)}'s account holdership ({current.agreement})"
        )
        self._holder_ended(
            agreement=current.agreement,
            holder_region=current.holder_region,
            executing_municipality=current.executing_municipality,
            reason=reason,
            **self._fact(period, attribution),
        )

    # -- events ----------------------------------------------------------------------------------
    @event("HolderAssigned")
    @decision
    def _holder_assigned(
        self,
        account: str,
        agreement: str,
        cooperation: str | None,
        organisation: str | None,
        holder_region: str | None,
        executing_municipality: str | None,
        status: AgreementStatus,
        basis: str | None,
        obligations: tuple[str, ...],
        notes: str | None,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        self.terms[agreement] = HolderTerm(
            agreement,
            holder_region,
            executing_municipality,
            ValidPeriod(valid_from, valid_until),
            agreement,
        )

    @event("HolderTransferred")
    @decision
    def _holder_transferred(
        self,
        account: str,
        agreement: str,
        previous_agreement: str,
        cooperation: str | None,
        organisation: str | None,
        holder_region: str | None,
        executing_municipality: str | None,
        previous_holder_region: str | None,
        previous_executing_municipality: str | None,
        basis: str | None,
        notes: str | None,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        previous = self.terms.get(previous_agreement)
        chain = agreement
        if previous is not None:
            chain = previous.chain
            self.terms[previous_agreement] = msgspec.structs.replace(
                previous, period=ValidPeriod(previous.period.valid_from, valid_from.day_before())
            )
        self.terms[agreement] = HolderTerm(
            agreement,
            holder_region,
            executing_municipality,
            ValidPeriod(valid_from, valid_until),
            chain,
        )

    @event("HolderEnded")
    @decision
    def _holder_ended(
        self,
        account: str,
        agreement: str,
        cooperation: str | None,
        organisation: str | None,
        holder_region: str | None,
        executing_municipality: str | None,
        reason: str | None,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        term = self.terms.get(agreement)
        if term is not None:
            self.terms[agreement] = msgspec.structs.replace(
                term, period=ValidPeriod(valid_from, valid_until)
            )


# ---------------------------------------------------------------------------------------------------
# Agreements identified by their slug
# ---------------------------------------------------------------------------------------------------
class AgreementAggregate(GovernanceAggregate):
    """Shared by agreements identified by their slug: a status and dated milestones."""

    kind = SubjectKind.AGREEMENT
    slug_attribute = "agreement"
    repeated_attributes = ("agreement", "owner")
    # Instance attributes are set by _init_agreement (class annotations would become event attributes).
    agreement_kind: ClassVar[AgreementKind]

    @property
    def kind_of_agreement(self) -> AgreementKind:
        return self.agreement_kind

    def _init_agreement(
        self, agreement: str, owner: SubjectRef | None, status: AgreementStatus
    ) -> None:
        self.agreement = agreement
        self.owner = owner
        self.status = status
        self.milestones: list[Milestone] = []

    def has_milestone(self, milestone: Milestone) -> bool:
        return milestone in self.milestones

    def check_not_ended(self) -> None:
        self.check_not_retracted()
        if self.status is AgreementStatus.ENDED:
            raise AgreementEnded(f"{self.agreement} has ended — {AgreementEnded.rule}")

    def change_status(
        self, *, status: AgreementStatus, period: ValidPeriod, attribution: Attribution
    ) -> None:
        self.check_not_ended()
        if status is self.status:
            raise AlreadyRecorded(
                f"{self.agreement} already has status {status} — {AlreadyRecorded.rule}"
            )
        self._status_changed(
            agreement_kind=self.kind_of_agreement,
            status=status,
            **self._fact(period, attribution),
        )

    def record_milestone(self, *, milestone: Milestone, attribution: Attribution) -> None:
        self.check_not_retracted()
        if self.has_milestone(milestone):
            raise AlreadyRecorded(
                f"milestone '{milestone.what}' on {milestone.date} is already recorded on {self.agreement} — "
                f"{AlreadyRecorded.rule}"
            )
        self._milestone_recorded(
            agreement_kind=self.kind_of_agreement,
            milestone=milestone,
            **self._fact(ValidPeriod(milestone.date, milestone.date), attribution),
        )

    @event("StatusChanged")
    @decision
    def _status_changed(
        self,
        agreement: str,
        agreement_kind: AgreementKind,
        owner: SubjectRef | None,
        status: AgreementStatus,
    ) -> None:
        self.status = status

    @event("MilestoneRecorded")
    @decision
    def _milestone_recorded(
        self,
        agreement: str,
        agreement_kind: AgreementKind,
        owner: SubjectRef | None,
        milestone: Milestone,
    ) -> None:
        self.milestones.append(milestone)


class OptOut(msgspec.Struct, frozen=True):
    municipality: str
    scope: str
    reason: str | None = None


def _add_years(start: date, years: Decimal) -> date | None:
    months = years * 12
    if months != months.to_integral_value():
        return None
    total = start.month - 1 + int(months)
    try:
        return start.replace(year=start.year + total // 12, month=total % 12 + 1)
    except ValueError:
        return None


class JointProcurement(AgreementAggregate):
    """Gezamenlijke inkoop: who procures together, who opts out of what, and the contract's term."""

    agreement_kind = AgreementKind.GEZAMENLIJKE_INKOOP

    @event("Recorded")
    @decision
    def __init__(
        self,
        agreement: str,
        owner: SubjectRef | None,
        participants: tuple[SubjectRef, ...],
        segments: tuple[str, ...],
        lots: tuple[Lot, ...],
        contract: Contract | None,
        part_of: str | None,
        suppliers: tuple[str, ...],
        supplier_count: int | None,
        principles: tuple[str, ...],
        status: AgreementStatus,
        basis: str | None,
        date_note: str | None,
        notes: str | None,
    ) -> None:
        self._init_agreement(agreement, owner, status)
        self.participants = participants
        self.contract = contract
        self.opt_outs: list[OptOut] = []
        self.exercised_options: list[int] = []
        self.declined_options: list[int] = []

    @property
    def options(self) -> tuple[Decimal, ...]:
        if self.contract is None or self.contract.term is None:
            return ()
        return self.contract.term.extension_options

    def has_opted_out(self, municipality: str, scope: str) -> bool:
        return any(o.municipality == municipality and o.scope == scope for o in self.opt_outs)

    def opt_out(
        self,
        *,
        municipality: str,
        scope: str,
        reason: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        if not scope.strip():
            raise InvalidValue(
                f"an opt-out of {self.agreement} by {municipality} must say what it covers"
            )
        opt_out = OptOut(municipality, scope, reason)
        if self.has_opted_out(municipality, scope):
            raise AlreadyRecorded(
                f"{municipality} already opted out of {self.agreement} for '{scope}' — {AlreadyRecorded.rule}"
            )
        self._opted_out(
            municipality=opt_out.municipality,
            scope=opt_out.scope,
            reason=opt_out.reason,
            **self._fact(period, attribution),
        )

    def check_option_decidable(self, option_number: int) -> Decimal:
        self.check_not_ended()
        if not self.options:
            term = self.contract.term_text if self.contract and self.contract.term_text else "none"
            raise ExtensionOptionInvalid(
                f"{self.agreement} has no extension options (term: {term}) — {ExtensionOptionInvalid.rule}"
            )
        if not 1 <= option_number <= len(self.options):
            raise ExtensionOptionInvalid(
                f"{self.agreement} has options 1..{len(self.options)} (term {self.contract.term.notation}), "  # type: ignore[union-attr]
                f"not {option_number} — {ExtensionOptionInvalid.rule}"
            )
        if self.declined_options:
            raise ExtensionOptionInvalid(
                f"option {self.declined_options[0]} of {self.agreement} was declined, so option {option_number} "
                f"has lapsed — {ExtensionOptionInvalid.rule}"
            )
        expected = len(self.exercised_options) + 1
        if option_number != expected:
            raise ExtensionOptionInvalid(
                f"option {expected} of {self.agreement} is the next to decide, not option {option_number} "
                f"(exercised so far: {self.exercised_options or 'none'}) — {ExtensionOptionInvalid.rule}"
            )
        return self.options[option_number - 1]

    def extension_period(self, option_number: int) -> ValidPeriod:
        """The valid time an option adds, when the contract start is known to the day."""
        if (
            self.contract is None
            or self.contract.term is None
            or self.contract.start.precision is not Precision.DAY
        ):
            return ValidPeriod()
        assert self.contract.start.value is not None
        years_before = self.contract.term.initial_years + sum(
            self.options[: option_number - 1], Decimal(0)
        )
        start = _add_years(self.contract.start.value, years_before)
        end = _add_years(self.contract.start.value, years_before + self.options[option_number - 1])
        if start is None or end is None:
            return ValidPeriod()
        return ValidPeriod(PartialDate.day(start), PartialDate.day(end).day_before())

    def exercise_extension_option(self, *, option_number: int, attribution: Attribution) -> None:
        years = self.check_option_decidable(option_number)
        self._extension_option_exercised(
            option_number=option_number,
            years=years,
            **self._fact(self.extension_period(option_number), attribution),
        )

    def decline_extension_option(self, *, option_number: int, attribution: Attribution) -> None:
        years = self.check_option_decidable(option_number)
        self._extension_option_declined(
            option_number=option_number,
            years=years,
            **self._fact(self.extension_period(option_number), attribution),
        )

    @event("OptedOut")
    @decision
    def _opted_out(
        self,
        agreement: str,
        owner: SubjectRef | None,
        municipality: str,
        scope: str,
        reason: str | None,
    ) -> None:
        self.opt_outs.append(OptOut(municipality, scope, reason))

    @event("ExtensionOptionExercised")
    @decision
    def _extension_option_exercised(
        self,
        agreement: str,
        owner: SubjectRef | None,
        option_number: int,
        years: Decimal,
    ) -> None:
        self.exercised_options.append(option_number)

    @event("ExtensionOptionDeclined")
    @decision
    def _extension_option_declined(
        self,
        agreement: str,
        owner: SubjectRef | None,
        option_number: int,
        years: Decimal,
    ) -> None:
        self.declined_options.append(option_number)


class ExpertiseCentreMandate(AgreementAggregate):
    """A municipality's mandate for an expertise centre, and the adoption route of its plans.

    The route's steps are recorded per plan, in order; its last step is the adoption itself
    (``adopt_plan``), which needs every earlier step. A mandate without a known route (BOEG) records
    no steps; its plans can be adopted without a route to check.
    """

    agreement_kind = AgreementKind.EXPERTISECENTRUM_MANDAAT

    @event("Granted")
    @decision
    def __init__(
        self,
        agreement: str,
        owner: SubjectRef | None,
        holder_municipality: str,
        expertise_centre: str,
        adoption_route: tuple[str, ...] | None,
        annual_plan: bool | None,
        status: AgreementStatus,
        basis: str | None,
        notes: str | None,
    ) -> None:
        self._init_agreement(agreement, owner, status)
        self.holder_municipality = holder_municipality
        self.expertise_centre = expertise_centre
        self.adoption_route = adoption_route
        self.annual_plan = annual_plan
        self.plan_steps: dict[str, list[int]] = {}
        self.adopted_plans: set[str] = set()

    def check_plan(self, plan: PlanRef) -> None:
        self.check_not_ended()
        if plan.plan_kind is PlanKind.ANNUAL_PLAN and self.annual_plan is False:
            raise NoAdoptionRoute(f"the mandate {self.agreement} provides no annual plans")
        if plan.key in self.adopted_plans:
            raise AlreadyRecorded(
                f"the {plan} under {self.agreement} is already adopted — {AlreadyRecorded.rule}"
            )

    def record_plan_step(
        self, *, plan: PlanRef, step_number: int, period: ValidPeriod, attribution: Attribution
    ) -> None:
        self.check_plan(plan)
        route = self.adoption_route
        if not route:
            raise NoAdoptionRoute(
                f"the mandate {self.agreement} of {self.holder_municipality} for {self.expertise_centre} has no "
                f"recorded adoption route — {NoAdoptionRoute.rule}"
            )
        if not 1 <= step_number < len(route):
            raise PlanStepOutOfOrder(
                f"the route of {self.agreement} has steps 1..{len(route) - 1} before adoption (step "
                f"{len(route)}, '{route[-1]}', is the adoption itself); not step {step_number} — "
                f"{PlanStepOutOfOrder.rule}"
            )
        done = self.plan_steps.get(plan.key, [])
        if step_number in done:
            raise AlreadyRecorded(
                f"step {step_number} ('{route[step_number - 1]}') of the {plan} is already recorded — "
                f"{AlreadyRecorded.rule}"
            )
        expected = len(done) + 1
        if step_number != expected:
            raise PlanStepOutOfOrder(
                f"step {step_number} ('{route[step_number - 1]}') of the {plan} cannot be recorded before step "
                f"{expected} ('{route[expected - 1]}') — {PlanStepOutOfOrder.rule}"
            )
        self._plan_step_recorded(
            holder_municipality=self.holder_municipality,
            expertise_centre=self.expertise_centre,
            plan=plan,
            step_number=step_number,
            step=route[step_number - 1],
            **self._fact(period, attribution),
        )

    def adopt_plan(self, *, plan: PlanRef, period: ValidPeriod, attribution: Attribution) -> None:
        self.check_plan(plan)
        route = self.adoption_route or ()
        done = self.plan_steps.get(plan.key, [])
        if route and len(done) < len(route) - 1:
            missing = len(done) + 1
            raise PlanNotReady(
                f"the {plan} under {self.agreement} cannot be adopted by {self.holder_municipality}: step {missing} "
                f"('{route[missing - 1]}') is not recorded — {PlanNotReady.rule}"
            )
        self._plan_adopted(
            holder_municipality=self.holder_municipality,
            expertise_centre=self.expertise_centre,
            plan=plan,
            step=route[-1] if route else None,
            **self._fact(period, attribution),
        )

    @event("PlanStepRecorded")
    @decision
    def _plan_step_recorded(
        self,
        agreement: str,
        owner: SubjectRef | None,
        holder_municipality: str,
        expertise_centre: str,
        plan: PlanRef,
        step_number: int,
        step: str,
    ) -> None:
        self.plan_steps.setdefault(plan.key, []).append(step_number)

    @event("PlanAdopted")
    @decision
    def _plan_adopted(
        self,
        agreement: str,
        owner: SubjectRef | None,
        holder_municipality: str,
        expertise_centre: str,
        plan: PlanRef,
        step: str | None,
    ) -> None:
        self.adopted_plans.add(plan.key)


class Trekkerschap(AgreementAggregate):
    """The lead region (trekker) of an agenda item (module) of a cooperation.

    The lead must be a member of the cooperation during the lead's period: the application passes the
    cooperation's members (``Cooperation.members_on``) and the check is here.
    """

    agreement_kind = AgreementKind.TREKKERSCHAP

    @staticmethod
    def check_lead_is_member(
        cooperation: str, lead_region: str, cooperation_members: frozenset[str], period: ValidPeriod
    ) -> None:
        if lead_region not in cooperation_members:
            members = ", ".join(sorted(cooperation_members)) or "none recorded"
            raise LeadNotMember(
                f"{lead_region} is not a member of {cooperation} {period} (members: {members}) — "
                f"{LeadNotMember.rule}"
            )

    @classmethod
    def assign(
        cls,
        *,
        agreement: str,
        cooperation: str,
        module: int | None,
        item: str,
        lead_region: str,
        content: str | None,
        cooperation_members: frozenset[str],
        status: AgreementStatus,
        basis: str | None,
        notes: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> Trekkerschap:
        cls.check_lead_is_member(cooperation, lead_region, cooperation_members, period)
        return cls(
            agreement=agreement,
            owner=SubjectRef(SubjectKind.COOPERATION, cooperation),
            module=module,
            item=item,
            lead_region=lead_region,
            content=content,
            status=status,
            basis=basis,
            notes=notes,
            **fact_fields(period, attribution),
        )

    @event("LeadAssigned")
    @decision
    def __init__(
        self,
        agreement: str,
        owner: SubjectRef | None,
        module: int | None,
        item: str,
        lead_region: str,
        content: str | None,
        status: AgreementStatus,
        basis: str | None,
        notes: str | None,
    ) -> None:
        self._init_agreement(agreement, owner, status)
        self.module = module
        self.item = item
        self.lead_region = lead_region

    def reassign_lead(
        self,
        *,
        lead_region: str,
        cooperation_members: frozenset[str],
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_ended()
        assert self.owner is not None
        if lead_region == self.lead_region:
            raise AlreadyRecorded(
                f"{lead_region} already leads {self.item} — {AlreadyRecorded.rule}"
            )
        self.check_lead_is_member(self.owner.slug, lead_region, cooperation_members, period)
        self._lead_reassigned(
            module=self.module,
            item=self.item,
            lead_region=lead_region,
            previous_lead_region=self.lead_region,
            **self._fact(period, attribution),
        )

    @event("LeadReassigned")
    @decision
    def _lead_reassigned(
        self,
        agreement: str,
        owner: SubjectRef | None,
        module: int | None,
        item: str,
        lead_region: str,
        previous_lead_region: str,
    ) -> None:
        self.lead_region = lead_region


GENERIC_KINDS = frozenset(
    {
        AgreementKind.SAMENWERKINGSREGELING,
        AgreementKind.SUBSIDIERING,
        AgreementKind.SAMENWERKINGSAFSPRAAK,
        AgreementKind.BESTUURLIJKE_AFSPRAAK,
        AgreementKind.GEZAMENLIJKE_BEKOSTIGING,
        AgreementKind.BESLISBEVOEGDHEID,
        AgreementKind.EXPERTTEAM_MANDAAT,
    }
)


class AgreementTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What the other agreement kinds say, each field used by the kinds the sources give it for:
    parties/participants (all), subject (samenwerkingsafspraak, bestuurlijke-afspraak; the topic of a
    beslisbevoegdheid; the scope of an expertteam-mandaat), holders (beslisbevoegdheid, expertteam-mandaat),
    provider and mechanism (gezamenlijke-bekostiging), recipients (subsidiering), host, tasks and exit
    (samenwerkingsregeling)."""

    parties: tuple[SubjectRef, ...] = ()
    other_parties: tuple[str, ...] = ()
    subject: str | None = None
    holder_municipality: str | None = None
    holder_body: str | None = None
    provider: str | None = None
    mechanism: str | None = None
    recipients: tuple[str, ...] = ()
    recipient_count: int | None = None
    host_municipality: str | None = None
    tasks: tuple[str, ...] = ()
    exit_terms: str | None = None


class Agreement(AgreementAggregate):
    """Any other kind of agreement: samenwerkingsregeling, subsidiering, samenwerkingsafspraak,
    bestuurlijke-afspraak, gezamenlijke-bekostiging, beslisbevoegdheid, expertteam-mandaat."""

    @classmethod
    def record(
        cls,
        *,
        agreement: str,
        agreement_kind: AgreementKind,
        owner: SubjectRef | None,
        terms: AgreementTerms,
        part_of: str | None,
        status: AgreementStatus,
        basis: str | None,
        date_note: str | None,
        notes: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> Agreement:
        if agreement_kind not in GENERIC_KINDS:
            raise InvalidValue(
                f"{agreement_kind} agreements have their own commands; {agreement} cannot be recorded as a "
                f"generic agreement"
            )
        return cls(
            agreement=agreement,
            agreement_kind=agreement_kind,
            owner=owner,
            terms=terms,
            part_of=part_of,
            status=status,
            basis=basis,
            date_note=date_note,
            notes=notes,
            **fact_fields(period, attribution),
        )

    @event("Recorded")
    @decision
    def __init__(
        self,
        agreement: str,
        agreement_kind: AgreementKind,
        owner: SubjectRef | None,
        terms: AgreementTerms,
        part_of: str | None,
        status: AgreementStatus,
        basis: str | None,
        date_note: str | None,
        notes: str | None,
    ) -> None:
        self._init_agreement(agreement, owner, status)
        self.recorded_kind = agreement_kind
        self.terms = terms

    @property
    def kind_of_agreement(self) -> AgreementKind:
        return self.recorded_kind
