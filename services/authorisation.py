"""Who may do what: the roles, the scope a token grants, and the one rule for commands.

A coordinator records decisions only within the cooperations (and regions) they coordinate. What a
command touches is what it names (``domain.concerns``, the same naming convention as events) plus, for a
command about an existing agreement, decision body, set of claims or corrected fact, everything that
aggregate's history concerns. The rule:

- a command is within scope when every cooperation it touches is one of the coordinator's, and every
  region it touches is the coordinator's own or takes part in a cooperation the command touches (with
  none, in one of the coordinator's): a cooperation decides only for the regions that take part in it,
  so naming one's own cooperation never makes another region a holder, participant or party; the
  regions of the municipalities a command names count among the regions it touches (they only narrow
  the scope: a command that touches no cooperation or region stays for admins);
- a command that touches neither (registering a municipality or a source, a merger) is for admins only;
- a registry command (``REGISTRY_COMMANDS``: registering regions, municipalities, cooperations,
  organisations, decision bodies, sources and the norms of a framework, and changing who takes part
  in a cooperation) is for admins only, whatever it names: who takes part in a cooperation decides
  whose decisions its coordinators may record, so a coordinator who could admit a region would grant
  themselves rights over it;
- a correction is scoped like the command it corrects: it touches what the corrected aggregate's history
  touches, and a fact a registry command recorded (``records_registry_fact``) is corrected by admins only.

Region systems read only their own region; auditors read everything and write nothing; admins do both
and manage tokens.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from domain.base import GovernanceAggregate
from domain.compliance import NormRequirement
from domain.registry import (
    Cooperation,
    DecisionBody,
    Municipality,
    Organisation,
    Region,
    SourceDocument,
)
from services import commands as c
from services.application import GovernanceApplication
from services.subjects import touched


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    REGION_SYSTEM = "region-system"
    AUDITOR = "auditor"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The holder of a token: a person or system, its role, the scope the role is limited to, and the
    token it holds (empty for principals that hold none, such as the importer)."""

    name: str
    role: Role
    cooperations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    token_id: str = ""

    @property
    def id(self) -> str:
        """How recorded events name the principal, e.g. ``coordinator:alice#3f0c1a2b3c4d``: the token
        id after ``#`` tells apart two holders of one name (a name is unique per role only among the
        tokens not revoked)."""
        holder = f"{self.role}:{self.name}"
        return f"{holder}#{self.token_id}" if self.token_id else holder


class NotAuthorised(Exception):
    """The principal may not do this; nothing was recorded."""

    def __init__(self, principal: Principal, message: str) -> None:
        super().__init__(f"{principal.id} {message}")
        self.principal = principal


# Commands that register who and what exists, and who takes part in a cooperation: only admins run them.
REGISTRY_COMMANDS: frozenset[type[c.Command]] = frozenset(
    {
        c.RegisterSource,
        c.RegisterMunicipality,
        c.RegisterRegion,
        c.RegisterCooperation,
        c.AdmitRegionToCooperation,
        c.InvolveOrganisationInCooperation,
        c.RegisterOrganisation,
        c.RegisterDecisionBody,
        c.ChangeBodyRole,
        c.MergeMunicipalities,
        c.RegisterNorm,
    }
)
# Every event of these aggregates is recorded by a registry command.
_REGISTRY_AGGREGATES = (
    SourceDocument,
    Region,
    Cooperation,
    Organisation,
    DecisionBody,
    NormRequirement,
)
# A municipality's memberships are recorded by coordinators; its registration and merger are not.
_COORDINATOR_MUNICIPALITY_EVENTS = (Municipality.MembershipStarted, Municipality.MembershipEnded)


def records_registry_fact(aggregate: GovernanceAggregate, version: int) -> bool:
    """Whether event ``version`` of ``aggregate`` was recorded by a registry command. A municipality's
    version that does not exist counts as one: whether it exists is then for an admin to learn."""
    if isinstance(aggregate, _REGISTRY_AGGREGATES):
        return True
    if isinstance(aggregate, Municipality):
        history = aggregate.history()
        if not 1 <= version <= len(history):
            return True
        return not isinstance(history[version - 1], _COORDINATOR_MUNICIPALITY_EVENTS)
    return False


def participants(app: GovernanceApplication, cooperations: tuple[str, ...]) -> set[str]:
    """The regions that take part (at any time, in any way) in any of ``cooperations``."""
    regions: set[str] = set()
    for slug in cooperations:
        if app.exists(Cooperation, slug):
            regions |= set(app.get(Cooperation, slug).participants)
    return regions


def regions_of(app: GovernanceApplication, municipalities: tuple[str, ...]) -> set[str]:
    """The regions ``municipalities`` belong or belonged to (any membership, at any time): a fact that
    names a municipality reaches its regions (``domain.audience``)."""
    regions: set[str] = set()
    for slug in municipalities:
        if app.exists(Municipality, slug):
            regions |= {m.region for m in app.get(Municipality, slug).memberships.values()}
    return regions


def authorise_command(principal: Principal, command: c.Command, app: GovernanceApplication) -> None:
    """Raises NotAuthorised unless ``principal`` may record ``command`` (see the module's rule)."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.COORDINATOR:
        raise NotAuthorised(principal, f"is a {principal.role} and records nothing")
    if type(command) in REGISTRY_COMMANDS:
        raise NotAuthorised(
            principal,
            f"may not run {type(command).__name__}: registering regions, municipalities, "
            "cooperations, organisations, decision bodies and sources, and changing who takes part "
            "in a cooperation, is for admins",
        )
    if isinstance(command, c.CorrectFact):
        _authorise_correction(principal, command, app)
    scope = touched(command, app)
    if not scope.cooperations and not scope.regions:
        raise NotAuthorised(
            principal,
            "may not record this: it touches no cooperation or region, and only an admin records such facts",
        )
    outside = [s for s in scope.cooperations if s not in principal.cooperations]
    if outside:
        raise NotAuthorised(
            principal,
            f"coordinates {_names(principal.cooperations)}, not {_names(outside)}: "
            "a coordinator records decisions only within the cooperations they coordinate",
        )
    # A cooperation decides only for the regions that take part in it: naming a cooperation never
    # lets a coordinator record a holder, participant or party that is a region outside it.
    deciding = scope.cooperations or principal.cooperations
    own = set(principal.regions) | participants(app, deciding)
    # A municipality's regions bound what a coordinator may say of it (they never widen the scope):
    # a decision naming a municipality of a region outside the cooperation reaches that region too.
    reached = (*scope.regions, *sorted(regions_of(app, scope.municipalities) - set(scope.regions)))
    outside = [s for s in reached if s not in own]
    if outside:
        raise NotAuthorised(
            principal,
            f"does not coordinate {_names(outside)}: a coordinator records decisions only within "
            "their own regions and the regions of their cooperations",
        )


def _authorise_correction(
    principal: Principal, command: c.CorrectFact, app: GovernanceApplication
) -> None:
    if command.aggregate_id not in app.repository:
        return  # nothing to correct: the application refuses it, and the scope rule below too
    aggregate = app.repository.get(command.aggregate_id)
    if isinstance(aggregate, GovernanceAggregate) and records_registry_fact(
        aggregate, command.version
    ):
        raise NotAuthorised(
            principal,
            f"may not correct version {command.version} of {aggregate.ref}: it is a registry fact, "
            "and only an admin corrects what only an admin records",
        )


def may_read_region(principal: Principal, region: str) -> bool:
    return principal.role is not Role.REGION_SYSTEM or region in principal.regions


def may_read_everything(principal: Principal) -> bool:
    """Admins, auditors and coordinators read every map and history; region systems only their own."""
    return principal.role is not Role.REGION_SYSTEM


def may_read_log(principal: Principal, region: str | None) -> bool:
    """The raw event log: auditors and admins all of it, a region system its own region's feed."""
    if principal.role in (Role.ADMIN, Role.AUDITOR):
        return True
    return (
        principal.role is Role.REGION_SYSTEM and region is not None and region in principal.regions
    )


def _names(slugs: Any) -> str:
    return ", ".join(sorted(slugs)) or "nothing"
