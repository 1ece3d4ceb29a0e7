"""Which regions an event concerns: the one rule behind the region feeds.

A region learns of an event when

- the event names the region (a holder, the previous holder, a lead region, a party, a member joining...);
- the event names a cooperation of which the region is a *member* during the event's valid time
  (associated and invited participants only join the talks; they learn of what names them);
- the event names a municipality that belongs to the region during the event's valid time or on the day
  before it starts (a merger or a move takes effect on a day, and is news to the region being left);
- the event belongs to an agreement whose founding event concerned the region (its parties keep hearing
  of its status changes and milestones).

A correction (``FactCorrected``) concerns exactly the regions the corrected event concerned when it was
recorded, the ones whose feed carries it: the correction withdraws that fact and adds none, so nobody
else has anything to withdraw, and it names what the fact concerned and why it was wrong, which a
region that never received the fact may not read. Asked afresh, the rule would give a correction (whose
valid time is open) every region ever a member of a cooperation or municipality it names: one that
joined after the fact, one that had left before it. Correcting a founding event (version 1) retracts
the whole subject, so it concerns every region that received any of the subject's events.

The answer depends on what was recorded before the event (memberships, participations, parties), in the
order of the log: :class:`Audience` is fed every event in that order and answers for each one. An event
concerns only the regions known to be concerned when it was recorded; a region that joins a cooperation
later does not receive the cooperation's earlier decisions.

Known limit: a correction of a membership or participation does not withdraw it from this state, so the
corrected membership still counts for later events of that municipality or cooperation.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import GovernanceAggregate
from domain.events import describe
from domain.registry import (
    Cooperation,
    CooperationParticipant,
    Membership,
    Municipality,
    Region,
    members_during,
    memberships_during,
)
from domain.values import SubjectKind, ValidPeriod


class Audience:
    """The state the rule needs, built from the log in order, and the rule itself."""

    def __init__(self) -> None:
        # municipality -> membership id -> its membership (as on the Municipality aggregate)
        self._memberships: dict[str, dict[str, Membership]] = {}
        # cooperation -> region -> its latest participation (as on the Cooperation aggregate)
        self._participants: dict[str, dict[str, CooperationParticipant]] = {}
        # agreement -> regions its founding event concerned
        self._parties: dict[str, frozenset[str]] = {}
        # regions registered so far: each has a feed, whether or not an event concerned it yet
        self.known_regions: set[str] = set()
        # aggregate -> the regions each of its events concerned, at index version - 1: what a
        # correction concerns. The sets are shared (``_shared``), so an event costs a list slot.
        self._heard: dict[UUID, list[frozenset[str]]] = {}
        self._shared: dict[frozenset[str], frozenset[str]] = {}

    def regions_concerned(self, event: Any) -> frozenset[str]:
        """The regions ``event`` concerns; then takes the event into account for the events after it."""
        if isinstance(event, GovernanceAggregate.FactCorrected):
            regions = self._heard_of(event.corrects_id, event.corrects_version)
        else:
            regions = self._named_and_related(event)
            self._observe(event)
        shared = self._shared.setdefault(regions, regions)
        heard = self._heard.setdefault(event.originator_id, [])
        # An event set aside before it was read leaves a gap in the versions: nobody heard of it.
        heard.extend([frozenset()] * (event.originator_version - 1 - len(heard)))
        heard.append(shared)
        return shared

    def _heard_of(self, aggregate_id: UUID, version: int) -> frozenset[str]:
        heard = self._heard.get(aggregate_id, [])
        if version == 1:
            return frozenset().union(*heard)
        return heard[version - 1] if version <= len(heard) else frozenset()

    def _named_and_related(self, event: Any) -> frozenset[str]:
        info = describe(event)
        period = ValidPeriod(event.valid_from, event.valid_until)
        regions = set(info.concerns.regions)
        for cooperation in info.concerns.cooperations:
            regions.update(self._members_during(cooperation, period))
        for municipality in info.concerns.municipalities:
            regions.update(self._regions_of(municipality, period))
        if info.aggregate_kind is SubjectKind.AGREEMENT:
            regions.update(self._parties.setdefault(info.slug, frozenset(regions)))
        return frozenset(regions)

    def _members_during(self, cooperation: str, period: ValidPeriod) -> frozenset[str]:
        return members_during(self._participants.get(cooperation, {}).values(), period)

    def _regions_of(self, municipality: str, period: ValidPeriod) -> set[str]:
        with_day_before = ValidPeriod(period.valid_from.day_before(), period.valid_until)
        memberships = self._memberships.get(municipality, {}).values()
        return {m.region for m in memberships_during(memberships, with_day_before)}

    def _observe(self, event: Any) -> None:
        period = ValidPeriod(event.valid_from, event.valid_until)
        if isinstance(event, Municipality.MembershipStarted | Municipality.MembershipEnded):
            memberships = self._memberships.setdefault(event.municipality, {})
            memberships[event.membership_id] = Membership(
                event.membership_id, event.region, event.scope, period
            )
        elif isinstance(event, Cooperation.RegionJoined):
            participants = self._participants.setdefault(event.cooperation, {})
            participants[event.region] = CooperationParticipant(
                event.region, event.participation, period
            )
        elif isinstance(event, Region.Registered):
            self.known_regions.add(event.region)
