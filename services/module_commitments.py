"""The application's commands on modular cooperation (principle C): a region's commitment to a module,
its regional mandates for the content and the costs, and a module's cost key.

``GovernanceApplication`` takes these methods from :class:`ModuleCommitmentCommands`; the rules are the
domain's (``domain.modules``), these load what they need: the cooperation (is the module on its agenda,
is the region a member) and, for a mandate, what the cited body is "of".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import NotCommittable
from domain.modules import CostKey, ModuleCommitment, check_regional_authority
from domain.registry import Cooperation, DecisionBody, Region
from domain.values import ValidPeriod
from services import commands as c
from services.command_methods import CommandMethods

if TYPE_CHECKING:
    from services.application import GovernanceApplication


def _agenda_cooperation(
    app: GovernanceApplication, cooperation: str, module: int, period: ValidPeriod
) -> tuple[Cooperation, frozenset[str]]:
    """The cooperation, which must have ``module`` on its agenda, and its members during ``period``."""
    found = app.get(Cooperation, cooperation)
    modules = {item.module for item in found.agenda if item.module is not None}
    if module not in modules:
        listed = ", ".join(str(m) for m in sorted(modules)) or "none"
        raise NotCommittable(
            f"{cooperation} has no module {module} on its agenda (modules: {listed}) — "
            f"{NotCommittable.rule}"
        )
    return found, found.members_on(period)


class ModuleCommitmentCommands(CommandMethods):
    """The command methods of modular cooperation, mixed into ``GovernanceApplication``."""

    def _module_place(self, cmd: c.CommitToModule | c.GiveModuleMandate) -> ModuleCommitment:
        """The region's place in the module, opened on the first fact recorded on it. An existing
        place is loaded before the rule is checked, so that what a command must find on it
        (``GovernanceApplication._check_precondition``) is checked first."""
        self.get(Region, cmd.region)
        slug = ModuleCommitment.slug_for(cmd.cooperation, cmd.module, cmd.region)
        place = self.get(ModuleCommitment, slug) if self.exists(ModuleCommitment, slug) else None
        _, members = _agenda_cooperation(self, cmd.cooperation, cmd.module, cmd.period)
        if cmd.region not in members:
            raise NotCommittable(
                f"{cmd.region} is not a member of {cmd.cooperation} {cmd.period} — "
                f"{NotCommittable.rule}"
            )
        if place is not None:
            return place
        return ModuleCommitment.open(
            cooperation=cmd.cooperation,
            module=cmd.module,
            region=cmd.region,
            attribution=cmd.attribution,
        )

    def _save_place(self, place: ModuleCommitment) -> UUID:
        self.save(place)
        return place.id

    def commit_to_module(self, cmd: c.CommitToModule) -> UUID:
        place = self._module_place(cmd)
        place.commit(content=cmd.content, period=cmd.period, attribution=cmd.attribution)
        return self._save_place(place)

    def _check_regional_authority(self, cmd: c.GiveModuleMandate | c.EndModuleMandate) -> None:
        """Loads what the cited body is "of", for the domain's check that a mandate is given in the
        region."""
        body_of = self.get(DecisionBody, cmd.authority.body).of if cmd.authority.body else None
        check_regional_authority(cmd.authority, cmd.region, body_of)

    def give_module_mandate(self, cmd: c.GiveModuleMandate) -> UUID:
        self._check_regional_authority(cmd)
        place = self._module_place(cmd)
        place.give_mandate(mandate=cmd.mandate, period=cmd.period, attribution=cmd.attribution)
        return self._save_place(place)

    def end_module_mandate(self, cmd: c.EndModuleMandate) -> UUID:
        self._check_regional_authority(cmd)
        place = self.get(
            ModuleCommitment, ModuleCommitment.slug_for(cmd.cooperation, cmd.module, cmd.region)
        )
        place.end_mandate(
            mandate=cmd.mandate, valid_until=cmd.valid_until, attribution=cmd.attribution
        )
        return self._save_place(place)

    def _cost_key_arguments(self, cmd: c.AgreeCostKey | c.ReviseCostKey) -> dict[str, Any]:
        _, members = _agenda_cooperation(self, cmd.cooperation, cmd.module, cmd.period)
        return {
            "shares": cmd.shares,
            "members": members,
            "period": cmd.period,
            "attribution": cmd.attribution,
        }

    def agree_cost_key(self, cmd: c.AgreeCostKey) -> UUID:
        arguments = self._cost_key_arguments(cmd)
        return self._register(
            CostKey,
            cmd.cost_key,
            lambda: CostKey.agree(
                cost_key=cmd.cost_key, cooperation=cmd.cooperation, module=cmd.module, **arguments
            ),
        )

    def revise_cost_key(self, cmd: c.ReviseCostKey) -> UUID:
        key = self.get(CostKey, cmd.cost_key)
        key.revise(cooperation=cmd.cooperation, module=cmd.module, **self._cost_key_arguments(cmd))
        self.save(key)
        return key.id
