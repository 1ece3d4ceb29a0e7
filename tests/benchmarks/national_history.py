"""A synthetic national history for the read-model benchmark: all 42 regions, ~340 municipalities (some
merging), 40 cooperations, 300 organisations, and forty years of decisions — account holders handing
over, procurements with participants and opt-outs, agreements, leads, mandates, milestones.

The events are built as the domain's own event objects (with the attributes the aggregates would give
them) and encoded by the application's mapper, in log order, without running the aggregates' rules:
writing a million events through the commands would take hours. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from domain.agreements import (
    AccountHoldership,
    Agreement,
    AgreementAggregate,
    AgreementTerms,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.registry import Cooperation, Municipality, Organisation, Region
from domain.values import (
    UNKNOWN_DATE,
    AgreementKind,
    AgreementStatus,
    Authority,
    CooperationKind,
    Milestone,
    PartialDate,
    Participation,
    PlanKind,
    PlanRef,
    Provenance,
    RegionKind,
    SubjectKind,
    SubjectRef,
)

REGIONS = 42
MUNICIPALITIES = 342
COOPERATIONS = 40
ORGANISATIONS = 300
FIRST_YEAR, LAST_YEAR = 1990, 2030
RECORDING_STARTS = datetime(2016, 1, 1, tzinfo=UTC)

PRINCIPAL = "coordinator:synthetic"
PROVENANCE = Provenance(sources=("synthetic-history:L1",))


def _day(value: date) -> PartialDate:
    return PartialDate.day(value)


class NationalHistory:
    """Yields the history as domain events, in log order: ``events(total)`` scales each year's
    decisions to the total (so a smaller history still spans the forty years) and stops at it."""

    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.scale = 1.0  # of the yearly decisions: 1.0 for a history of a million events
        self.versions: dict[UUID, int] = {}
        self.count = 0
        self.regions = [f"regio-{n:02d}" for n in range(REGIONS)]
        self.members: dict[str, list[str]] = {r: [] for r in self.regions}
        self.cooperations = [f"samenwerking-{n:02d}" for n in range(COOPERATIONS)]
        self.cooperation_regions: dict[str, list[str]] = {}
        self.organisations = [f"aanbieder-{n:03d}" for n in range(ORGANISATIONS)]
        self.accounts: dict[str, dict[str, Any]] = {}
        self.leads: dict[str, tuple[str, str]] = {}  # lead agreement → (cooperation, lead region)
        self.agreements: list[tuple[type, str, SubjectRef]] = []

    # -- event construction ---------------------------------------------------------------------
    def _event(
        self,
        cls: type,
        aggregate: type,
        slug: str,
        valid_from: PartialDate = UNKNOWN_DATE,
        valid_until: PartialDate = UNKNOWN_DATE,
        decided: date | None = None,
        **attributes: Any,
    ) -> DomainEventProtocol[UUID]:
        originator_id = aggregate.id_for(slug)
        version = self.versions.get(originator_id, 0) + 1
        self.versions[originator_id] = version
        if version == 1:
            attributes["originator_topic"] = get_topic(aggregate)
        self.count += 1
        timestamp = RECORDING_STARTS + timedelta(seconds=self.count * 0.25)
        return cls(
            originator_id=originator_id,
            originator_version=version,
            timestamp=timestamp,
            valid_from=valid_from,
            valid_until=valid_until,
            authority=Authority(
                body=None,
                decision_date=_day(decided) if decided else UNKNOWN_DATE,
                document=f"besluit {self.count}",
            ),
            principal=PRINCIPAL,
            provenance=PROVENANCE,
            **attributes,
        )

    def _scaled(self, count: int) -> int:
        return max(1, round(count * self.scale))

    def _some_day(self, year: int) -> date:
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    # -- the registry ---------------------------------------------------------------------------
    def registry(self) -> Iterator[DomainEventProtocol[UUID]]:
        for region in self.regions:
            yield self._event(
                Region.Registered, Region, region,
                region=region, name=region.title(), region_kind=RegionKind.JEUGDZORGREGIO,
                aliases=(), province=None, contact_municipality=None, contact_label=None,
                contact_note=None, members_complete=True, subregions=(), decision_route=None, notes=None,
            )  # fmt: skip
        for n in range(MUNICIPALITIES):
            municipality, region = f"gemeente-{n:03d}", self.regions[n % REGIONS]
            self.members[region].append(municipality)
            yield self._event(
                Municipality.Registered, Municipality, municipality,
                municipality=municipality, name=f"Gemeente {n}", source_spelling=None, notes=None,
            )  # fmt: skip
            yield self._event(
                Municipality.MembershipStarted, Municipality, municipality,
                valid_from=_day(date(1990, 1, 1)) if n % 3 else UNKNOWN_DATE,
                municipality=municipality, membership_id=f"{region}:{municipality}", region=region,
                scope=None if n % 17 else "some contract areas",
            )  # fmt: skip
        for cooperation in self.cooperations:
            yield self._event(
                Cooperation.Registered, Cooperation, cooperation,
                cooperation=cooperation, name=cooperation.title(),
                cooperation_kind=CooperationKind.SAMENWERKINGSVERBAND, members_complete=True,
                member_count=None, formalised=True, cadence=None, decision_rule="unanimity",
                decision_exceptions=(), process_owner_body=None, principles=(), agenda=(), themes=(),
                scope=None, related_cooperations=(), date_note=None, notes=None,
            )  # fmt: skip
            regions = self.rng.sample(self.regions, 10)
            self.cooperation_regions[cooperation] = regions
            for region in regions:
                yield self._event(
                    Cooperation.RegionJoined, Cooperation, cooperation,
                    valid_from=PartialDate.parse(str(self.rng.randrange(1995, 2015))),
                    cooperation=cooperation, region=region, participation=Participation.MEMBER,
                    participation_note=None, cadence=None,
                )  # fmt: skip
        for organisation in self.organisations:
            yield self._event(
                Organisation.Registered, Organisation, organisation,
                organisation=organisation, name=organisation.title(), organisation_kind="aanbieder",
                aliases=(), member_organisations=(), legal_entity=True, notes=None,
            )  # fmt: skip

    # -- a year of decisions --------------------------------------------------------------------
    def _holder(self, cooperation: str) -> tuple[str, str]:
        region = self.rng.choice(self.cooperation_regions[cooperation])
        return region, self.rng.choice(self.members[region])

    def year(self, year: int, filler: int) -> Iterator[DomainEventProtocol[UUID]]:
        rng = self.rng
        for _ in range(self._scaled(25)):  # new accounts
            cooperation, organisation = (
                rng.choice(self.cooperations),
                rng.choice(self.organisations),
            )
            account = f"{cooperation}:{organisation}"
            if account in self.accounts:
                continue
            region, municipality = self._holder(cooperation)
            term = f"accounthouder-{account}-{year}"
            yield self._event(
                AccountHoldership.Opened, AccountHoldership, account,
                account=account, cooperation=cooperation, organisation=organisation, subject_count=None,
            )  # fmt: skip
            yield self._event(
                AccountHoldership.HolderAssigned, AccountHoldership, account,
                valid_from=_day(self._some_day(year)), account=account, agreement=term,
                cooperation=cooperation, organisation=organisation, holder_region=region,
                executing_municipality=municipality, status=AgreementStatus.IN_FORCE, basis=None,
                obligations=(), notes=None,
            )  # fmt: skip
            self.accounts[account] = {"term": term, "region": region, "municipality": municipality}
        for account in rng.sample(
            sorted(self.accounts), min(len(self.accounts), self._scaled(300))
        ):  # handovers
            current = self.accounts[account]
            cooperation, organisation = account.split(":")
            region, municipality = self._holder(cooperation)
            if (region, municipality) == (current["region"], current["municipality"]):
                continue
            term = f"accounthouder-{account}-{year}-{self.count}"
            yield self._event(
                AccountHoldership.HolderTransferred, AccountHoldership, account,
                valid_from=_day(self._some_day(year)), account=account, agreement=term,
                previous_agreement=current["term"], cooperation=cooperation, organisation=organisation,
                holder_region=region, executing_municipality=municipality,
                previous_holder_region=current["region"],
                previous_executing_municipality=current["municipality"], basis=None, notes=None,
            )  # fmt: skip
            self.accounts[account] = {"term": term, "region": region, "municipality": municipality}
        for n in range(self._scaled(600)):  # procurements, a few years each
            slug = f"inkoop-{year}-{n}"
            owner_region = rng.choice(self.regions)
            owner = SubjectRef(SubjectKind.REGION, owner_region)
            start = self._some_day(year)
            end = start + timedelta(days=365 * rng.randrange(2, 6))
            participants = (owner, SubjectRef(SubjectKind.REGION, rng.choice(self.regions)))
            yield self._event(
                JointProcurement.Recorded, JointProcurement, slug,
                valid_from=_day(start), valid_until=_day(end), decided=start - timedelta(days=60),
                agreement=slug, owner=owner, participants=participants, segments=("jeugdhulp",),
                lots=(), contract=None, part_of=None, suppliers=tuple(rng.sample(self.organisations, 2)),
                supplier_count=None, principles=(), status=AgreementStatus.IN_FORCE, basis=None,
                date_note=None, notes=None,
            )  # fmt: skip
            if n % 4 == 0:
                yield self._event(
                    JointProcurement.OptedOut, JointProcurement, slug, valid_from=_day(start),
                    agreement=slug, owner=owner, municipality=rng.choice(self.members[owner_region]),
                    scope="ambulante jeugdhulp", reason=None,
                )  # fmt: skip
            self.agreements.append((JointProcurement, slug, owner))
        for n in range(self._scaled(1000)):  # other agreements within cooperations
            slug = f"afspraak-{year}-{n}"
            cooperation = rng.choice(self.cooperations)
            owner = SubjectRef(SubjectKind.COOPERATION, cooperation)
            start = self._some_day(year)
            yield self._event(
                Agreement.Recorded, Agreement, slug,
                valid_from=_day(start), valid_until=_day(start + timedelta(days=365 * 4)),
                agreement=slug, agreement_kind=AgreementKind.SAMENWERKINGSAFSPRAAK, owner=owner,
                terms=AgreementTerms(
                    parties=tuple(
                        SubjectRef(SubjectKind.REGION, r)
                        for r in rng.sample(self.cooperation_regions[cooperation], 2)
                    ),
                    subject="bovenregionale zorg",
                ),
                part_of=None, status=AgreementStatus.IN_FORCE, basis=None, date_note=None, notes=None,
            )  # fmt: skip
            self.agreements.append((Agreement, slug, owner))
        for n in range(self._scaled(40)):  # leads of agenda items, reassigned over the years
            cooperation = rng.choice(self.cooperations)
            slug = f"trekker-{cooperation}-{year}-{n}"
            region = rng.choice(self.cooperation_regions[cooperation])
            yield self._event(
                Trekkerschap.LeadAssigned, Trekkerschap, slug, valid_from=_day(self._some_day(year)),
                agreement=slug, owner=SubjectRef(SubjectKind.COOPERATION, cooperation), module=n,
                item=f"thema {n}", lead_region=region, content=None, status=AgreementStatus.IN_FORCE,
                basis=None, notes=None,
            )  # fmt: skip
            self.leads[slug] = (cooperation, region)
        for slug in rng.sample(sorted(self.leads), min(len(self.leads), self._scaled(60))):
            cooperation, previous = self.leads[slug]
            owner = SubjectRef(SubjectKind.COOPERATION, cooperation)
            region = rng.choice(self.cooperation_regions[cooperation])
            if region == previous:
                continue
            yield self._event(
                Trekkerschap.LeadReassigned, Trekkerschap, slug, valid_from=_day(self._some_day(year)),
                agreement=slug, owner=owner, module=None, item="thema", lead_region=region,
                previous_lead_region=previous,
            )  # fmt: skip
            self.leads[slug] = (cooperation, region)
        for n in range(self._scaled(10)):  # expertise-centre mandates and their plans
            cooperation = rng.choice(self.cooperations)
            slug = f"mandaat-{year}-{n}"
            holder = rng.choice(self.members[rng.choice(self.cooperation_regions[cooperation])])
            owner = SubjectRef(SubjectKind.COOPERATION, cooperation)
            centre = rng.choice(self.organisations)
            yield self._event(
                ExpertiseCentreMandate.Granted, ExpertiseCentreMandate, slug,
                valid_from=_day(self._some_day(year)), agreement=slug, owner=owner,
                holder_municipality=holder, expertise_centre=centre,
                adoption_route=("draft", "align", "adopt"), annual_plan=True,
                status=AgreementStatus.IN_FORCE, basis=None, notes=None,
            )  # fmt: skip
            for step in (1, 2):
                yield self._event(
                    ExpertiseCentreMandate.PlanStepRecorded, ExpertiseCentreMandate, slug,
                    valid_from=_day(self._some_day(year)), agreement=slug, owner=owner,
                    holder_municipality=holder, expertise_centre=centre,
                    plan=PlanRef(plan_kind=PlanKind.ANNUAL_PLAN, year=year), step_number=step,
                    step=("draft", "align")[step - 1],
                )  # fmt: skip
        for _ in range(filler):  # milestones and status changes of agreements recorded before
            cls, slug, owner = rng.choice(self.agreements)
            kind = (
                cls.agreement_kind if cls is not Agreement else AgreementKind.SAMENWERKINGSAFSPRAAK
            )
            day = self._some_day(year)
            if rng.random() < 0.9:
                yield self._event(
                    AgreementAggregate.MilestoneRecorded, cls, slug, valid_from=_day(day),
                    valid_until=_day(day), agreement=slug, agreement_kind=kind, owner=owner,
                    milestone=Milestone(date=_day(day), what="evaluatie"),
                )  # fmt: skip
            else:
                yield self._event(
                    AgreementAggregate.StatusChanged, cls, slug, valid_from=_day(day),
                    agreement=slug, agreement_kind=kind, owner=owner, status=AgreementStatus.INTENDED,
                )  # fmt: skip
        for n in range(2):  # a merger now and then
            region = self.rng.choice(self.regions)
            if len(self.members[region]) < 3:
                continue
            merged, successor = self.members[region][0], f"fusiegemeente-{year}-{n}"
            day = date(year, 1, 1)
            yield self._event(
                Municipality.Registered, Municipality, successor, valid_from=_day(day),
                municipality=successor, name=f"Fusiegemeente {year} {n}", source_spelling=None, notes=None,
            )  # fmt: skip
            yield self._event(
                Municipality.MembershipEnded, Municipality, merged,
                valid_until=_day(day - timedelta(days=1)), municipality=merged,
                membership_id=f"{region}:{merged}", region=region, scope=None,
            )  # fmt: skip
            yield self._event(
                Municipality.Merged, Municipality, merged, valid_from=_day(day), municipality=merged,
                successor_municipality=successor, change=f"fusie-{year}-{n}",
            )  # fmt: skip
            yield self._event(
                Municipality.MembershipStarted, Municipality, successor, valid_from=_day(day),
                municipality=successor, membership_id=f"{region}:{successor}", region=region, scope=None,
            )  # fmt: skip
            self.members[region] = [*self.members[region][1:], successor]

    def events(self, total: int) -> Iterator[DomainEventProtocol[UUID]]:
        self.scale = total / 1_000_000
        years = LAST_YEAR - FIRST_YEAR + 1
        produced = 0
        for event in self.registry():
            produced += 1
            yield event
        per_year = max((total - produced) // years, 0)
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            quota = per_year if year < LAST_YEAR else total - produced
            # The fixed decisions of a year come to about 2,250 events; milestones fill the rest.
            for event in self.year(year, filler=max(quota - round(2_250 * self.scale), 0)):
                if produced >= total:
                    return
                produced += 1
                yield event
