"""Domain errors. Every message names the rule that was broken and the fact it collided with."""

from __future__ import annotations


class DomainError(Exception):
    """A command broke a rule of the governance domain; nothing was recorded."""

    rule: str = "domain rule"


class InvalidValue(DomainError, ValueError):
    """A value object was given an impossible value (a month-precision date on the 15th, ...)."""

    rule = "valid value"


class UnknownReference(DomainError, LookupError):
    """A command names a municipality, region, cooperation, ... that has not been registered."""

    rule = "references must be registered first"


class AlreadyRecorded(DomainError):
    """The fact (an aggregate or a sub-fact such as a membership) has already been recorded."""

    rule = "a fact is recorded once"


class Retracted(DomainError):
    """The aggregate's founding fact was corrected away; it takes no further facts."""

    rule = "a retracted fact takes no further facts"


class OverlappingMembership(DomainError):
    rule = "a municipality has at most one membership per scope at a time"


class MembershipAfterMerger(DomainError):
    rule = "a municipality that merged away takes no memberships after the merger"


class OverlappingAccountHolder(DomainError):
    rule = "at most one holder per cooperation and organisation at a time"


class NoCurrentAccountHolder(DomainError):
    rule = "only a current account holder can be transferred or ended"


class InvalidPeriod(DomainError, ValueError):
    rule = "a period cannot end before it starts"


class LeadNotMember(DomainError):
    rule = "the lead region (trekker) must be a member of the cooperation"


class NoAdoptionRoute(DomainError):
    rule = "plan steps follow the mandate's adoption route"


class PlanStepOutOfOrder(DomainError):
    rule = "plan steps are recorded in the order of the adoption route"


class PlanNotReady(DomainError):
    rule = "a plan is adopted only after every earlier step of its route is recorded"


class ExtensionOptionInvalid(DomainError):
    rule = "extension options are exercised in order, within the term structure"


class AgreementEnded(DomainError):
    rule = "an ended agreement takes no further changes"


class NotCorrectable(DomainError):
    rule = "a correction names an existing, uncorrected fact of the same aggregate"


class InvalidMerger(DomainError):
    rule = "a merger names registered municipalities and a date"


class MissingAuthority(DomainError):
    rule = "every decision cites an authority"


class UnknownAuthority(DomainError, LookupError):
    rule = "an authority names a registered decision body, municipality or source"


class IncompetentAuthority(DomainError):
    rule = "an authority is competent for the subject it decides on"


class UndecidedAuthority(DomainError):
    rule = "a decision cites an authority that has decided: not after the day it is recorded"


class NotCommittable(DomainError):
    rule = "a region commits to a module on its cooperation's agenda, saying what it commits to"


class CostKeyInvalid(DomainError):
    rule = "a cost key gives each member region a positive share, and the shares make exactly 100%"


class NoCurrentMandate(DomainError):
    rule = "only a mandate without a recorded end can be ended"


class StatusOutOfOrder(DomainError):
    rule = (
        "a status change takes effect on or after the status it follows; history is never rewritten"
    )
