"""What a command touches: the regions, cooperations, organisations and municipalities it names, and
those of the existing aggregates it changes (their history tells). One rule, used both to decide who
may record a command (``services.authorisation``) and which authority is competent for it
(``services.command_checks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.agreements import AgreementAggregate
from domain.base import GovernanceAggregate
from domain.concerns import Concerns, concerns
from domain.plans_of_approach import PlanOfApproach
from domain.registry import ConflictingClaims, DecisionBody, Municipality
from services import commands as c

if TYPE_CHECKING:
    from services.application import GovernanceApplication

# The command attribute that names an existing aggregate whose history tells what the command touches.
_SUBJECT_BY_ATTRIBUTE: dict[str, type[GovernanceAggregate]] = {
    "agreement": AgreementAggregate,
    "body": DecisionBody,
    "claims": ConflictingClaims,
    "plan_of_approach": PlanOfApproach,
}


def merge(*parts: Concerns) -> Concerns:
    def union(category: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for part in parts for s in getattr(part, category)))

    return Concerns(
        regions=union("regions"),
        cooperations=union("cooperations"),
        organisations=union("organisations"),
        municipalities=union("municipalities"),
    )


def history_concerns(aggregate: GovernanceAggregate, *, only: Any = None) -> list[Concerns]:
    return [concerns(e) for e in aggregate.history() if only is None or only(e)]


def touched(command: c.Command, app: GovernanceApplication) -> Concerns:
    """The regions, cooperations, organisations and municipalities ``command`` touches."""
    parts = [concerns(command)]
    for attribute, cls in _SUBJECT_BY_ATTRIBUTE.items():
        slug = getattr(command, attribute, None)
        if isinstance(slug, str) and app.exists(cls, slug):
            parts += history_concerns(app.get(cls, slug))
    if isinstance(command, c.CorrectFact) and command.aggregate_id in app.repository:
        aggregate = app.repository.get(command.aggregate_id)
        if isinstance(aggregate, GovernanceAggregate):
            parts += history_concerns(aggregate)
    if isinstance(command, c.EndMembership) and app.exists(Municipality, command.municipality):
        membership = command.membership_id
        parts += [
            Concerns(regions=(e.region,))
            for e in app.get(Municipality, command.municipality).history()
            if getattr(e, "membership_id", None) == membership
        ]
    return merge(*parts)
