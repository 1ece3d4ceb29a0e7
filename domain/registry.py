"""The registry: sources, municipalities (with their region memberships), regions, cooperations,
organisations, decision bodies, structural changes and conflicting claims.

Region membership lives on the Municipality aggregate: the rule it must keep — at most one membership per
scope at a time — is about one municipality, so that is its consistency boundary. A membership with
``scope`` None is a full membership; a partial one (Wijchen in regio Nijmegen, for some contract areas
only) names its scope. Two memberships conflict if their periods could overlap (see ``domain.values``) and
either is full or both have the same scope.

The module is longer than most because every stored event's topic names it
(``domain.registry:Municipality.MembershipStarted``): moving an aggregate elsewhere would need a topic
alias for every event already in a log, so they stay together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
from eventsourcing.domain import event

from domain.base import GovernanceAggregate, decision, fact_fields
from domain.errors import (
    AlreadyRecorded,
    InvalidMerger,
    MembershipAfterMerger,
    OverlappingMembership,
    UnknownReference,
)
from domain.values import (
    UNKNOWN_DATE,
    AgendaItem,
    Attribution,
    BodyLevel,
    BodyRole,
    ChangeKind,
    Claim,
    CooperationKind,
    CooperationScope,
    DecisionException,
    DecisionRoute,
    PartialDate,
    Participation,
    RegionKind,
    SubjectKind,
    SubjectRef,
    Subregion,
    ValidPeriod,
)


class SourceDocument(GovernanceAggregate):
    """A source document the facts cite (``<source id>:L<n>``)."""

    kind = SubjectKind.SOURCE
    slug_attribute = "source"

    @event("Registered")
    @decision
    def __init__(
        self,
        source: str,
        file: str,
        title: str,
        title_note: str | None,
        date: PartialDate,
        date_inferred: bool,
        date_note: str | None,
    ) -> None:
        self.source = source
        self.file = file
        self.title = title
        self.date = date

    @property
    def label(self) -> str:
        return self.title


class Membership(msgspec.Struct, frozen=True):
    membership_id: str
    region: str
    scope: str | None
    period: ValidPeriod

    def conflicts_with(self, region: str, scope: str | None, period: ValidPeriod) -> bool:
        same_scope = self.scope is None or scope is None or self.scope == scope
        return same_scope and self.period.could_overlap(period)

    def describe(self) -> str:
        scope = "full membership" if self.scope is None else f"partial membership ({self.scope})"
        return f"{scope} of {self.region} {self.period}"


def memberships_during(memberships: Iterable[Membership], period: ValidPeriod) -> list[Membership]:
    """The memberships that could hold during some part of ``period``: the one rule for which regions a
    municipality belongs to when (a merger's successor and the region feeds' audience ask it)."""
    return [m for m in memberships if m.period.could_overlap(period)]


class Merger(msgspec.Struct, frozen=True):
    successor_municipality: str
    change: str
    date: PartialDate


class Municipality(GovernanceAggregate):
    """A gemeente and its memberships of youth-care regions."""

    kind = SubjectKind.MUNICIPALITY
    slug_attribute = "municipality"
    repeated_attributes = ("municipality",)

    @event("Registered")
    @decision
    def __init__(
        self,
        municipality: str,
        name: str,
        source_spelling: str | None,
        notes: str | None,
    ) -> None:
        self.municipality = municipality
        self.name = name
        self.memberships: dict[str, Membership] = {}
        self.merger: Merger | None = None

    # -- rules -----------------------------------------------------------------------------------
    def has_membership(self, membership_id: str) -> bool:
        return membership_id in self.memberships

    def check_no_overlapping_membership(
        self, region: str, scope: str | None, period: ValidPeriod
    ) -> None:
        for other in self.memberships.values():
            if other.conflicts_with(region, scope, period):
                wanted = "a full membership" if scope is None else f"a membership for '{scope}'"
                raise OverlappingMembership(
                    f"{self.name} already has {other.describe()}; {wanted} of {region} {period} could "
                    f"overlap it — {OverlappingMembership.rule}"
                )

    def check_not_merged_before(self, period: ValidPeriod) -> None:
        if self.merger and period.valid_from.earliest >= self.merger.date.earliest:
            raise MembershipAfterMerger(
                f"{self.name} merged into {self.merger.successor_municipality} on {self.merger.date}; a "
                f"membership {period} starts after that — {MembershipAfterMerger.rule}"
            )

    def membership_open_on(self, day: PartialDate) -> list[Membership]:
        """Memberships that could hold on ``day`` (for a merger: the day before it)."""
        return memberships_during(self.memberships.values(), ValidPeriod(day, day))

    # -- commands --------------------------------------------------------------------------------
    def start_membership(
        self,
        *,
        membership_id: str,
        region: str,
        scope: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        if self.has_membership(membership_id):
            raise AlreadyRecorded(
                f"{self.name} already has membership {membership_id!r}: "
                f"{self.memberships[membership_id].describe()} — {AlreadyRecorded.rule}"
            )
        self.check_not_merged_before(period)
        self.check_no_overlapping_membership(region, scope, period)
        self._membership_started(
            membership_id=membership_id,
            region=region,
            scope=scope,
            **self._fact(period, attribution),
        )

    def end_membership(
        self, *, membership_id: str, valid_until: PartialDate, attribution: Attribution
    ) -> None:
        self.check_not_retracted()
        membership = self.memberships.get(membership_id)
        if membership is None:
            raise UnknownReference(
                f"{self.name} has no membership {membership_id!r} to end — {UnknownReference.rule}"
            )
        if not membership.period.is_open:
            raise AlreadyRecorded(
                f"{self.name}'s {membership.describe()} has already ended — {AlreadyRecorded.rule}"
            )
        period = membership.period.ended(valid_until, f"{self.name}'s {membership.describe()}")
        self._membership_ended(
            membership_id=membership_id,
            region=membership.region,
            scope=membership.scope,
            **self._fact(period, attribution),
        )

    def merge_into(
        self,
        *,
        successor_municipality: str,
        change: str,
        date: PartialDate,
        attribution: Attribution,
    ) -> None:
        """Merge away: memberships still open end the day before the merger."""
        self.check_not_retracted()
        if self.merger is not None:
            raise AlreadyRecorded(
                f"{self.name} already merged into {self.merger.successor_municipality} on "
                f"{self.merger.date} — {AlreadyRecorded.rule}"
            )
        last_day = date.day_before()
        for membership in list(self.memberships.values()):
            if membership.period.is_open:
                self.end_membership(
                    membership_id=membership.membership_id,
                    valid_until=last_day,
                    attribution=attribution,
                )
            elif membership.period.valid_until.earliest >= date.earliest:
                raise InvalidMerger(
                    f"{self.name}'s {membership.describe()} runs past its merger into "
                    f"{successor_municipality} on {date} — {MembershipAfterMerger.rule}"
                )
        self._merged(
            successor_municipality=successor_municipality,
            change=change,
            **self._fact(ValidPeriod(date, UNKNOWN_DATE), attribution),
        )

    def take_over_memberships(
        self,
        *,
        predecessors: Sequence[Municipality],
        change: str,
        date: PartialDate,
        attribution: Attribution,
    ) -> None:
        """A new municipality formed by a merger joins the regions its predecessors belonged to on the
        day before the merger, from the merger date, unless it already has a membership there."""
        self.check_not_retracted()
        period = ValidPeriod(date, UNKNOWN_DATE)
        for predecessor in predecessors:
            for held in predecessor.membership_open_on(date.day_before()):
                if any(
                    m.region == held.region and m.period.could_hold_on(date.earliest)
                    for m in self.memberships.values()
                ):
                    continue
                self.start_membership(
                    membership_id=f"{held.region}:{self.municipality}:{change}",
                    region=held.region,
                    scope=held.scope,
                    period=period,
                    attribution=attribution,
                )

    # -- events ----------------------------------------------------------------------------------
    @event("MembershipStarted")
    @decision
    def _membership_started(
        self,
        municipality: str,
        membership_id: str,
        region: str,
        scope: str | None,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        self.memberships[membership_id] = Membership(
            membership_id, region, scope, ValidPeriod(valid_from, valid_until)
        )

    @event("MembershipEnded")
    @decision
    def _membership_ended(
        self,
        municipality: str,
        membership_id: str,
        region: str,
        scope: str | None,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        if membership_id in self.memberships:
            self.memberships[membership_id] = Membership(
                membership_id, region, scope, ValidPeriod(valid_from, valid_until)
            )

    @event("Merged")
    @decision
    def _merged(
        self,
        municipality: str,
        successor_municipality: str,
        change: str,
        valid_from: PartialDate,
    ) -> None:
        self.merger = Merger(successor_municipality, change, valid_from)


class Region(GovernanceAggregate):
    """A youth-care region (jeugdzorgregio) or another named area. Its members are recorded on the
    municipalities (``Municipality.MembershipStarted``)."""

    kind = SubjectKind.REGION
    slug_attribute = "region"

    @event("Registered")
    @decision
    def __init__(
        self,
        region: str,
        name: str,
        region_kind: RegionKind,
        aliases: tuple[str, ...],
        province: str | None,
        contact_municipality: str | None,
        contact_label: str | None,
        contact_note: str | None,
        members_complete: bool,
        subregions: tuple[Subregion, ...],
        decision_route: DecisionRoute | None,
        notes: str | None,
    ) -> None:
        self.region = region
        self.name = name
        self.region_kind = region_kind
        self.contact_municipality = contact_municipality


class CooperationParticipant(msgspec.Struct, frozen=True):
    region: str
    participation: Participation
    period: ValidPeriod
    participation_note: str | None = None


def members_during(
    participants: Iterable[CooperationParticipant], period: ValidPeriod
) -> frozenset[str]:
    """Regions that are members (not associated or invited) during some part of ``period``: the one
    rule for who is a cooperation's member when (a lead's check and the region feeds' audience ask it)."""
    return frozenset(
        p.region
        for p in participants
        if p.participation is Participation.MEMBER and p.period.could_overlap(period)
    )


class Cooperation(GovernanceAggregate):
    """A supra-regional cooperation (samenwerkingsverband, overleg, netwerk) and the regions taking part."""

    kind = SubjectKind.COOPERATION
    slug_attribute = "cooperation"
    repeated_attributes = ("cooperation",)

    @event("Registered")
    @decision
    def __init__(
        self,
        cooperation: str,
        name: str,
        cooperation_kind: CooperationKind,
        members_complete: bool,
        member_count: int | None,
        formalised: bool | None,
        cadence: str | None,
        decision_rule: str | None,
        decision_exceptions: tuple[DecisionException, ...],
        process_owner_body: str | None,
        principles: tuple[str, ...],
        agenda: tuple[AgendaItem, ...],
        themes: tuple[str, ...],
        scope: CooperationScope | None,
        related_cooperations: tuple[str, ...],
        date_note: str | None,
        notes: str | None,
    ) -> None:
        self.cooperation = cooperation
        self.name = name
        self.agenda = agenda
        self.participants: dict[str, CooperationParticipant] = {}
        self.organisations: set[str] = set()

    def members_on(self, period: ValidPeriod) -> frozenset[str]:
        """Regions that are members (not associated or invited) during some part of ``period``."""
        return members_during(self.participants.values(), period)

    def participation_during(
        self, region: str, period: ValidPeriod
    ) -> CooperationParticipant | None:
        """The region's participation, if it could overlap ``period``: a region takes part once at a
        time."""
        current = self.participants.get(region)
        return current if current is not None and current.period.could_overlap(period) else None

    def involves(self, organisation: str) -> bool:
        return organisation in self.organisations

    def admit_region(
        self,
        *,
        region: str,
        participation: Participation,
        participation_note: str | None,
        cadence: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        current = self.participation_during(region, period)
        if current is not None:
            raise AlreadyRecorded(
                f"{region} already takes part in {self.name} as {current.participation} {current.period} — "
                f"a region takes part in a cooperation once at a time"
            )
        self._region_joined(
            region=region,
            participation=participation,
            participation_note=participation_note,
            cadence=cadence,
            **self._fact(period, attribution),
        )

    def involve_organisation(
        self, *, organisation: str, period: ValidPeriod, attribution: Attribution
    ) -> None:
        self.check_not_retracted()
        if self.involves(organisation):
            raise AlreadyRecorded(
                f"{organisation} is already involved in {self.name} — {AlreadyRecorded.rule}"
            )
        self._organisation_involved(
            organisation=organisation,
            **self._fact(period, attribution),
        )

    @event("RegionJoined")
    @decision
    def _region_joined(
        self,
        cooperation: str,
        region: str,
        participation: Participation,
        participation_note: str | None,
        cadence: str | None,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        self.participants[region] = CooperationParticipant(
            region, participation, ValidPeriod(valid_from, valid_until), participation_note
        )

    @event("OrganisationInvolved")
    @decision
    def _organisation_involved(
        self,
        cooperation: str,
        organisation: str,
    ) -> None:
        self.organisations.add(organisation)


class Organisation(GovernanceAggregate):
    """A care provider, certified institution (GI), expertise centre, Veilig Thuis, procurement bureau,
    national body, ... ``organisation_kind`` keeps the sources' category."""

    kind = SubjectKind.ORGANISATION
    slug_attribute = "organisation"

    @event("Registered")
    @decision
    def __init__(
        self,
        organisation: str,
        name: str,
        organisation_kind: str,
        aliases: tuple[str, ...],
        member_organisations: tuple[str, ...],
        legal_entity: bool | None,
        notes: str | None,
    ) -> None:
        self.organisation = organisation
        self.name = name
        self.organisation_kind = organisation_kind


class DecisionBody(GovernanceAggregate):
    """A governing body of a region or cooperation, and whether it decides or only aligns.

    Its role may change (``RoleChanged``, with the valid time of the new role): ``role`` is the one
    recorded last, and :meth:`role_on` the one it had on a day, which is what decides whether it could
    authorise a decision taken that day (``domain.competence``).
    """

    kind = SubjectKind.BODY
    slug_attribute = "body"
    repeated_attributes = ("body", "of")

    @event("Registered")
    @decision
    def __init__(
        self,
        body: str,
        name: str,
        of: SubjectRef,
        role: BodyRole,
        level: BodyLevel | None,
        composition: str | None,
        member_municipalities: tuple[str, ...],
        cadence: str | None,
        commissioned_by_body: str | None,
        notes: str | None,
    ) -> None:
        self.body = body
        self.name = name
        self.of = of
        self.role = role
        # Each role with the valid time it was recorded for, in log order. The registered role stands
        # for as long as the record knows of the body, whatever valid time the body was registered with.
        self.roles: list[tuple[ValidPeriod, BodyRole]] = [(ValidPeriod(), role)]

    def role_on(self, day: PartialDate) -> BodyRole:
        """The role the body had on ``day``: of the roles that could hold on it, the one taken up last
        (its valid time starting latest; of two starting alike, the one recorded last). A day known only
        to a month or a year, in which the role changed, gets the role taken up in it: give the day to
        be exact."""
        on_day = ValidPeriod(day, day)
        # The registered role could hold on any day, so there is always one.
        return max(
            (period.valid_from.earliest, order, role)
            for order, (period, role) in enumerate(self.roles)
            if period.could_overlap(on_day)
        )[2]

    @property
    def decides(self) -> bool:
        return self.role is BodyRole.DECIDES

    def change_role(self, *, role: BodyRole, period: ValidPeriod, attribution: Attribution) -> None:
        self.check_not_retracted()
        if role is self.role:
            raise AlreadyRecorded(f"{self.name} already has role {role} — {AlreadyRecorded.rule}")
        self._role_changed(role=role, **self._fact(period, attribution))

    @event("RoleChanged")
    @decision
    def _role_changed(
        self,
        body: str,
        of: SubjectRef,
        role: BodyRole,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        self.role = role
        self.roles.append((ValidPeriod(valid_from, valid_until), role))


class StructuralChange(GovernanceAggregate):
    """A dated structural change: a merger, a partial withdrawal, a stepwise return, the start of a
    cooperation, a national framework, ... The change's date is its ``valid_from``."""

    kind = SubjectKind.CHANGE
    slug_attribute = "change"

    # The factories hold the rules a new change must keep; ``__init__`` also rebuilds stored changes, so
    # it checks nothing.
    @classmethod
    def record_merger(
        cls,
        *,
        change: str,
        from_municipalities: tuple[str, ...],
        from_names: tuple[str, ...],
        into_municipality: str,
        description: str,
        date_note: str | None,
        date: PartialDate,
        attribution: Attribution,
    ) -> StructuralChange:
        """A merger of ``from_municipalities`` into ``into_municipality`` on ``date``, which must be
        known: the merged municipalities' memberships end the day before it."""
        if not date.is_known:
            raise InvalidMerger(f"the merger {change} has no date — {InvalidMerger.rule}")
        return cls(
            change=change,
            change_kind=ChangeKind.MERGER,
            from_municipalities=from_municipalities,
            from_names=from_names,
            into_municipality=into_municipality,
            subject=SubjectRef(SubjectKind.MUNICIPALITY, into_municipality),
            description=description,
            date_note=date_note,
            **fact_fields(ValidPeriod(date, UNKNOWN_DATE), attribution),
        )

    @classmethod
    def record(
        cls,
        *,
        change: str,
        change_kind: ChangeKind,
        subject: SubjectRef | None,
        description: str,
        date_note: str | None,
        period: ValidPeriod,
        attribution: Attribution,
    ) -> StructuralChange:
        """Any change but a merger, which changes memberships and goes through ``record_merger``."""
        if change_kind is ChangeKind.MERGER:
            raise InvalidMerger(
                f"record the merger {change} with merge_municipalities — {InvalidMerger.rule}"
            )
        return cls(
            change=change,
            change_kind=change_kind,
            from_municipalities=(),
            from_names=(),
            into_municipality=None,
            subject=subject,
            description=description,
            date_note=date_note,
            **fact_fields(period, attribution),
        )

    @event("Recorded")
    @decision
    def __init__(
        self,
        change: str,
        change_kind: ChangeKind,
        from_municipalities: tuple[str, ...],
        from_names: tuple[str, ...],
        into_municipality: str | None,
        subject: SubjectRef | None,
        description: str,
        date_note: str | None,
        valid_from: PartialDate,
    ) -> None:
        self.change = change
        self.change_kind = change_kind
        self.date = valid_from


class ConflictingClaims(GovernanceAggregate):
    """A topic on which the sources disagree. All claims are kept side by side; none is preferred."""

    kind = SubjectKind.CLAIMS
    slug_attribute = "claims"
    repeated_attributes = ("claims", "subject")

    @event("Recorded")
    @decision
    def __init__(
        self,
        claims: str,
        topic: str,
        subject: SubjectRef | None,
        claim_values: tuple[Claim, ...],
        note: str | None,
    ) -> None:
        self.claims = claims
        self.topic = topic
        self.subject = subject
        self.claim_values: list[Claim] = list(claim_values)

    def add_claim(self, *, claim: Claim, attribution: Attribution) -> None:
        self.check_not_retracted()
        if claim in self.claim_values:
            raise AlreadyRecorded(
                f"claim {claim.value!r} ({', '.join(claim.sources)}) is already recorded on "
                f"'{self.topic}' — {AlreadyRecorded.rule}"
            )
        self._claim_added(
            claim=claim,
            **self._fact(ValidPeriod(), attribution),
        )

    @event("ClaimAdded")
    @decision
    def _claim_added(
        self,
        claims: str,
        subject: SubjectRef | None,
        claim: Claim,
    ) -> None:
        self.claim_values.append(claim)
