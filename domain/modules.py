"""Modular cooperation (principle C of the G7): a region's commitment to a module of its cooperation's
uitvoeringsagenda, the regional mandates behind it, and the cost key that divides a module's costs.

- :class:`ModuleCommitment` — one region's part in one module: what it commits to, and the mandates
  its region gave for the **content** and for the **costs**. The rule (:func:`standing`): a commitment
  **counts** on a day only when it holds then and a mandate of each kind holds then. Mandates may be
  recorded before the commitment, in any order; the aggregate opens on the first of them.
- :class:`CostKey` — a module's verdeelsleutel: each participating region's share in percent, which
  together make exactly 100 (:func:`check_cost_shares`), agreed from a date and revised from a later one.

A mandate is obtained *in the region*: the authority it cites is one of the region's own bodies or
one of its municipalities (:func:`check_regional_authority`), or, for imported facts, the source.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

import msgspec
from eventsourcing.domain import event

from domain.base import GovernanceAggregate, decision, fact_fields
from domain.errors import (
    AlreadyRecorded,
    CostKeyInvalid,
    IncompetentAuthority,
    NoCurrentMandate,
    NotCommittable,
)
from domain.values import (
    Attribution,
    Authority,
    AuthorityKind,
    PartialDate,
    SubjectKind,
    SubjectRef,
    ValidPeriod,
)

HUNDRED = Decimal(100)


class MandateKind(StrEnum):
    """What a regional mandate covers (principle C: "mandaat ... voor de inhoud en de kosten")."""

    CONTENT = "content"  # inhoud
    COSTS = "costs"  # kosten


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a region's commitment to a module counts: it is committed, and which mandates it lacks."""

    committed: bool
    lacks: tuple[MandateKind, ...]

    @property
    def counts(self) -> bool:
        return self.committed and not self.lacks


def standing(committed: bool, mandates: Iterable[MandateKind]) -> Standing:
    """The rule of principle C: a commitment counts only with a mandate for the content and one for
    the costs. ``mandates`` are the kinds of the mandates that hold (on the day in question)."""
    held = set(mandates)
    return Standing(committed=committed, lacks=tuple(k for k in MandateKind if k not in held))


def check_regional_authority(authority: Authority, region: str, body_of: SubjectRef | None) -> None:
    """A regional mandate is given in the region: by a body of the region (``body_of`` is what the
    cited body is "of"), by a municipality of it (``domain.competence`` checks membership), by an
    external authority named as such, or, for an imported fact, as its source documents it."""
    if authority.kind is AuthorityKind.BODY and body_of != SubjectRef(SubjectKind.REGION, region):
        raise IncompetentAuthority(
            f"decision body {authority.body!r} is a body of {body_of}, not of region {region}: a "
            f"regional mandate is given in the region — {IncompetentAuthority.rule}"
        )


class MandateTerm(msgspec.Struct, frozen=True):
    mandate: MandateKind
    period: ValidPeriod


class ModuleCommitment(GovernanceAggregate):
    """One region's commitment to one module of a cooperation's agenda, and its regional mandates.

    Identified by ``<cooperation>:m<module>:<region>``. A region commits once (a correction retracts
    it); it may record several mandates of a kind for different periods, each once.
    """

    kind = SubjectKind.MODULE_COMMITMENT
    slug_attribute = "commitment"
    repeated_attributes = ("commitment", "cooperation", "module", "region")

    @staticmethod
    def slug_for(cooperation: str, module: int, region: str) -> str:
        return f"{cooperation}:m{module}:{region}"

    @classmethod
    def open(
        cls, *, cooperation: str, module: int, region: str, attribution: Attribution
    ) -> ModuleCommitment:
        """The region's place in the module; it holds as long as what is recorded on it."""
        return cls(
            commitment=cls.slug_for(cooperation, module, region),
            cooperation=cooperation,
            module=module,
            region=region,
            **fact_fields(ValidPeriod(), attribution),
        )

    @event("Opened")
    @decision
    def __init__(self, commitment: str, cooperation: str, module: int, region: str) -> None:
        self.commitment = commitment
        self.cooperation = cooperation
        self.module = module
        self.region = region
        self.committed: ValidPeriod | None = None
        self.content: str | None = None
        self.mandates: list[MandateTerm] = []

    # -- rules -----------------------------------------------------------------------------------
    def has_commitment(self) -> bool:
        return self.committed is not None

    def has_mandate(self, mandate: MandateKind, period: ValidPeriod) -> bool:
        return MandateTerm(mandate, period) in self.mandates

    def standing_on(self, day: date) -> Standing:
        return standing(
            self.committed is not None and self.committed.could_hold_on(day),
            (m.mandate for m in self.mandates if m.period.could_hold_on(day)),
        )

    def counts_on(self, day: date) -> bool:
        return self.standing_on(day).counts

    def lacks(self, day: date) -> tuple[MandateKind, ...]:
        return self.standing_on(day).lacks

    # -- commands --------------------------------------------------------------------------------
    def commit(self, *, content: str, period: ValidPeriod, attribution: Attribution) -> None:
        self.check_not_retracted()
        if not content.strip():
            raise NotCommittable(
                f"{self.region}'s commitment to module {self.module} of {self.cooperation} must say "
                f"what it commits to — {NotCommittable.rule}"
            )
        if self.committed is not None:
            raise AlreadyRecorded(
                f"{self.region} has already committed to module {self.module} of {self.cooperation} "
                f"{self.committed} — {AlreadyRecorded.rule}"
            )
        self._committed(
            content=content,
            **self._fact(period, attribution),
        )

    def give_mandate(
        self, *, mandate: MandateKind, period: ValidPeriod, attribution: Attribution
    ) -> None:
        self.check_not_retracted()
        if self.has_mandate(mandate, period):
            raise AlreadyRecorded(
                f"{self.region}'s mandate for the {mandate} of module {self.module} of "
                f"{self.cooperation} {period} is already recorded — {AlreadyRecorded.rule}"
            )
        self._mandate_given(
            mandate=mandate,
            **self._fact(period, attribution),
        )

    def end_mandate(
        self, *, mandate: MandateKind, valid_until: PartialDate, attribution: Attribution
    ) -> None:
        """The region withdraws its mandate of this kind: the last one without a recorded end holds
        until ``valid_until`` (its last day); from the day after, the commitment no longer counts."""
        self.check_not_retracted()
        open_terms = [m for m in self.mandates if m.mandate is mandate and m.period.is_open]
        if not open_terms:
            raise NoCurrentMandate(
                f"{self.region} has no {mandate} mandate for module {self.module} of "
                f"{self.cooperation} without a recorded end — {NoCurrentMandate.rule}"
            )
        period = ValidPeriod(open_terms[-1].period.valid_from, valid_until)
        self._mandate_ended(
            mandate=mandate,
            **self._fact(period, attribution),
        )

    # -- events ----------------------------------------------------------------------------------
    @event("Committed")
    @decision
    def _committed(
        self,
        commitment: str,
        cooperation: str,
        module: int,
        region: str,
        content: str,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        self.committed = ValidPeriod(valid_from, valid_until)
        self.content = content

    @event("MandateGiven")
    @decision
    def _mandate_given(
        self,
        commitment: str,
        cooperation: str,
        module: int,
        region: str,
        mandate: MandateKind,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        self.mandates.append(MandateTerm(mandate, ValidPeriod(valid_from, valid_until)))

    @event("MandateEnded")
    @decision
    def _mandate_ended(
        self,
        commitment: str,
        cooperation: str,
        module: int,
        region: str,
        mandate: MandateKind,
        valid_from: PartialDate,
        valid_until: PartialDate,
    ) -> None:
        ended = MandateTerm(mandate, ValidPeriod(valid_from))
        # (none when a correction retracted the mandate this event ended)
        for index in reversed(range(len(self.mandates))):
            if self.mandates[index] == ended:
                self.mandates[index] = MandateTerm(mandate, ValidPeriod(valid_from, valid_until))
                return


# ---------------------------------------------------------------------------------------------------
# Verdeelsleutel
# ---------------------------------------------------------------------------------------------------
class CostShare(msgspec.Struct, frozen=True):
    """A region's share of a module's costs, in percent."""

    region: str
    percentage: Decimal


def check_cost_shares(shares: tuple[CostShare, ...], members: frozenset[str] | None = None) -> None:
    """A cost key names each region once, with a positive share, and the shares make exactly 100%;
    with ``members``, every region named is a member of the cooperation."""
    regions = [s.region for s in shares]
    if not shares:
        raise CostKeyInvalid(f"a cost key names at least one region — {CostKeyInvalid.rule}")
    if len(set(regions)) != len(regions):
        raise CostKeyInvalid(
            f"a cost key names each region once (got {', '.join(regions)}) — {CostKeyInvalid.rule}"
        )
    for share in shares:
        if not share.percentage.is_finite() or share.percentage <= 0:
            raise CostKeyInvalid(
                f"{share.region}'s share is {share.percentage}%; a share is more than 0% — "
                f"{CostKeyInvalid.rule}"
            )
    total = sum((s.percentage for s in shares), Decimal(0))
    if total != HUNDRED:
        raise CostKeyInvalid(f"the shares make {total}%, not 100% — {CostKeyInvalid.rule}")
    if members is not None and (outside := sorted(set(regions) - members)):
        raise CostKeyInvalid(
            f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not a member of the "
            f"cooperation then (members: {', '.join(sorted(members)) or 'none recorded'}) — "
            f"{CostKeyInvalid.rule}"
        )


class CostKey(GovernanceAggregate):
    """A verdeelsleutel of one module of a cooperation: the regions' shares of its costs over time.

    Identified by its own slug, like an agreement: a module's costs may be divided by more than one
    key (the extra project capacity of principle D, the care itself). A revision holds from its
    ``valid_from``; the shares before it end the day before.
    """

    kind = SubjectKind.COST_KEY
    slug_attribute = "cost_key"
    repeated_attributes = ("cost_key", "cooperation", "module")

    @classmethod
    def agree(
        cls,
        *,
        cost_key: str,
        cooperation: str,
        module: int,
        shares: tuple[CostShare, ...],
        members: frozenset[str],
        period: ValidPeriod,
        attribution: Attribution,
    ) -> CostKey:
        check_cost_shares(shares, members)
        return cls(
            cost_key=cost_key,
            cooperation=cooperation,
            module=module,
            shares=shares,
            **fact_fields(period, attribution),
        )

    @event("Agreed")
    @decision
    def __init__(
        self,
        cost_key: str,
        cooperation: str,
        module: int,
        shares: tuple[CostShare, ...],
        valid_from: PartialDate,
    ) -> None:
        self.cost_key = cost_key
        self.cooperation = cooperation
        self.module = module
        self.shares = shares
        self.shares_from = valid_from

    def revise(
        self,
        *,
        cooperation: str,
        module: int,
        shares: tuple[CostShare, ...],
        members: frozenset[str],
        period: ValidPeriod,
        attribution: Attribution,
    ) -> None:
        self.check_not_retracted()
        if (cooperation, module) != (self.cooperation, self.module):
            raise CostKeyInvalid(
                f"{self.cost_key} is the cost key of module {self.module} of {self.cooperation}, not "
                f"of module {module} of {cooperation} — {CostKeyInvalid.rule}"
            )
        check_cost_shares(shares, members)
        starts = period.valid_from
        if not starts.is_known or (
            self.shares_from.is_known and starts.earliest <= self.shares_from.latest
        ):
            raise CostKeyInvalid(
                f"a revision of the cost key of module {self.module} of {self.cooperation} holds from a "
                f"known date after the shares it revises ({self.shares_from}) — {CostKeyInvalid.rule}"
            )
        if set(shares) == set(self.shares):
            raise AlreadyRecorded(
                f"module {self.module} of {self.cooperation} already has these shares — "
                f"{AlreadyRecorded.rule}"
            )
        self._revised(
            shares=shares,
            previous_shares=self.shares,
            **self._fact(period, attribution),
        )

    @event("Revised")
    @decision
    def _revised(
        self,
        cost_key: str,
        cooperation: str,
        module: int,
        shares: tuple[CostShare, ...],
        previous_shares: tuple[CostShare, ...],
        valid_from: PartialDate,
    ) -> None:
        self.shares = shares
        self.shares_from = valid_from
