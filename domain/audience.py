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

A corrected membership or participation no longer counts for the events after its correction (nor do
a corrected municipality's or cooperation's, correcting its founding event): a municipality wrongly
recorded in a region would otherwise keep bringing that region its news.
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

_NOBODY: frozenset[str] = frozenset()


class Audience:
    """The state the rule needs, built from the log in order, and the rule itself."""

    def __init__(self) -> None:
        # municipality -> membership id -> its membership (as on the Municipality aggregate)
        self._memberships: dict[str, dict[str, Membership]] = {}
        # cooperation -> region -> its latest participation (as on the Cooperation aggregate)
        self._participants: dict[str, dict[str, CooperationParticipant]] = {}
        # The events the two above are made of, (version, what it says) in log order: what they are
        # made of again when one is corrected.
        self._membership_facts: dict[str, list[tuple[int, Membership]]] = {}
        self._participation_facts: dict[str, list[tuple[int, CooperationParticipant]]] = {}
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
            self._withdraw(event)
        else:
            regions = self._named_and_related(event)
            self._observe(event)
        shared = self._shared.setdefault(regions, regions)
        heard = self._heard.get(event.originator_id)
        if heard is None:
            heard = self._heard[event.originator_id] = []
        gap = event.originator_version - 1 - len(heard)
        if gap > 0:  # events set aside before they were read: nobody heard of them
            heard.extend([_NOBODY] * gap)
        heard.append(shared)
        return shared

    def _heard_of(self, aggregate_id: UUID, version: int) -> frozenset[str]:
        heard = self._heard.get(aggregate_id, [])
        if version == 1:
            return _NOBODY.union(*heard)
        return heard[version - 1] if version <= len(heard) else _NOBODY

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
        version = event.originator_version
        if isinstance(event, Municipality.MembershipStarted | Municipality.MembershipEnded):
            membership = Membership(event.membership_id, event.region, event.scope, period)
            self._membership_facts.setdefault(event.municipality, []).append((version, membership))
            self._memberships.setdefault(event.municipality, {})[event.membership_id] = membership
        elif isinstance(event, Cooperation.RegionJoined):
            participant = CooperationParticipant(event.region, event.participation, period)
            self._participation_facts.setdefault(event.cooperation, []).append(
                (version, participant)
            )
            self._participants.setdefault(event.cooperation, {})[event.region] = participant
        elif isinstance(event, Region.Registered):
            self.known_regions.add(event.region)

    def _withdraw(self, correction: Any) -> None:
        """Takes the corrected membership or participation (all of them, for a corrected founding
        event) out of the state, leaving what the other events of its subject say."""
        slug, corrected = correction.subject.slug, correction.corrects_version

        def kept(facts: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
            return [(version, fact) for version, fact in facts if corrected not in (1, version)]

        if correction.subject.kind is SubjectKind.MUNICIPALITY and slug in self._memberships:
            memberships = self._membership_facts[slug] = kept(self._membership_facts[slug])
            self._memberships[slug] = {m.membership_id: m for _, m in memberships}
        elif correction.subject.kind is SubjectKind.COOPERATION and slug in self._participants:
            participants = self._participation_facts[slug] = kept(self._participation_facts[slug])
            self._participants[slug] = {p.region: p for _, p in participants}
