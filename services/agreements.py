"""The application's commands on agreements: accounthouderschap (an account and its holders' terms),
joint procurement, expertise-centre mandates, trekkerschap and the agreements identified by slug.

``GovernanceApplication`` takes these methods from :class:`AgreementCommands`; the rules are the
domain's (``domain.agreements``), these load the parties each command names and the account it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.agreements import (
    AccountHoldership,
    Agreement,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.base import fact_fields
from domain.errors import UnknownReference
from domain.registry import Cooperation, DecisionBody, Municipality, Organisation, Region
from domain.values import SubjectKind, SubjectRef, ValidPeriod
from services import commands as c
from services.command_methods import CommandMethods, arguments


class AgreementCommands(CommandMethods):
    """The command methods of agreements, mixed into ``GovernanceApplication``."""

    # -- accounthouderschap -------------------------------------------------------------------------------
    def _account(
        self, cooperation: str | None, organisation: str | None, agreement: str
    ) -> AccountHoldership:
        slug = AccountHoldership.account_slug(cooperation, organisation, agreement)
        if self.exists(AccountHoldership, slug):
            return self.get(AccountHoldership, slug)
        raise UnknownReference(
            f"{organisation or 'the organisation'} has no account holdership in {cooperation or 'the cooperation'} "
            f"— {UnknownReference.rule}"
        )

    def _account_labels(
        self,
        cooperation: str | None,
        organisation: str | None,
        region: str | None,
        municipality: str | None,
        account: AccountHoldership | None = None,
    ) -> dict[str, str]:
        """Names for the messages of the account's rules: of the command's and the account's holders."""
        holders = [(region, municipality)] + [
            (t.holder_region, t.executing_municipality)
            for t in (account.terms.values() if account else ())
        ]
        return self._labels(
            (Cooperation, cooperation),
            (Organisation, organisation),
            *((Region, r) for r, _ in holders),
            *((Municipality, m) for _, m in holders),
        )

    def _holder_change(
        self,
        cmd: c.AssignAccountHoldership | c.TransferAccountHoldership,
        account: AccountHoldership,
        method: Callable[..., None],
    ) -> UUID:
        """Assign or transfer a term of ``account``, with the names its rules' messages use."""
        labels = self._account_labels(
            cmd.cooperation,
            cmd.organisation,
            cmd.holder_region,
            cmd.executing_municipality,
            account,
        )
        method(account, **arguments(cmd, method, labels=labels))
        self.save(account)
        return account.id

    def assign_account_holdership(self, cmd: c.AssignAccountHoldership) -> UUID:
        slug = AccountHoldership.account_slug(cmd.cooperation, cmd.organisation, cmd.agreement)
        if self.exists(AccountHoldership, slug):
            account = self.get(AccountHoldership, slug)
        else:
            # The account itself holds for as long as any of its terms: its own period is unknown.
            account = AccountHoldership(
                **arguments(
                    cmd,
                    AccountHoldership,
                    account=slug,
                    **fact_fields(ValidPeriod(), cmd.attribution),
                )
            )
        return self._holder_change(cmd, account, AccountHoldership.assign)

    def transfer_account_holdership(self, cmd: c.TransferAccountHoldership) -> UUID:
        account = self._account(cmd.cooperation, cmd.organisation, cmd.agreement)
        return self._holder_change(cmd, account, AccountHoldership.transfer)

    def end_account_holdership(self, cmd: c.EndAccountHoldership) -> UUID:
        account = self._account(cmd.cooperation, cmd.organisation, "")
        labels = self._account_labels(cmd.cooperation, cmd.organisation, None, None, account)
        account.end(**arguments(cmd, AccountHoldership.end, labels=labels))
        self.save(account)
        return account.id

    # -- agreements identified by slug --------------------------------------------------------------------
    def record_joint_procurement(self, cmd: c.RecordJointProcurement) -> UUID:
        self._require_owner(cmd.owner, cmd.participants)
        self._require_all(Organisation, cmd.suppliers)
        return self._register_from(cmd, JointProcurement, cmd.agreement)

    def opt_out_of_procurement(self, cmd: c.OptOutOfProcurement) -> UUID:
        self.get(Municipality, cmd.municipality)
        return self._change(cmd, JointProcurement, cmd.agreement, JointProcurement.opt_out)

    def exercise_extension_option(self, cmd: c.ExerciseExtensionOption) -> UUID:
        return self._change(
            cmd, JointProcurement, cmd.agreement, JointProcurement.exercise_extension_option
        )

    def decline_extension_option(self, cmd: c.DeclineExtensionOption) -> UUID:
        return self._change(
            cmd, JointProcurement, cmd.agreement, JointProcurement.decline_extension_option
        )

    def grant_expertise_centre_mandate(self, cmd: c.GrantExpertiseCentreMandate) -> UUID:
        self.get(Cooperation, cmd.cooperation)
        self.get(Municipality, cmd.holder_municipality)
        self.get(Organisation, cmd.expertise_centre)
        return self._register_from(
            cmd,
            ExpertiseCentreMandate,
            cmd.agreement,
            owner=SubjectRef(SubjectKind.COOPERATION, cmd.cooperation),
        )

    def record_plan_step(self, cmd: c.RecordPlanStep) -> UUID:
        return self._change(
            cmd, ExpertiseCentreMandate, cmd.agreement, ExpertiseCentreMandate.record_plan_step
        )

    def adopt_plan(self, cmd: c.AdoptPlan) -> UUID:
        return self._change(
            cmd, ExpertiseCentreMandate, cmd.agreement, ExpertiseCentreMandate.adopt_plan
        )

    def assign_lead(self, cmd: c.AssignLead) -> UUID:
        self.get(Region, cmd.lead_region)
        members = self.get(Cooperation, cmd.cooperation).members_on(cmd.period)
        return self._register(
            AgreementAggregate,
            cmd.agreement,
            lambda: Trekkerschap.assign(
                **arguments(cmd, Trekkerschap.assign, cooperation_members=members)
            ),
        )

    def reassign_lead(self, cmd: c.ReassignLead) -> UUID:
        self.get(Region, cmd.lead_region)
        lead = self.get(Trekkerschap, cmd.agreement)
        assert lead.owner is not None
        members = self.get(Cooperation, lead.owner.slug).members_on(cmd.period)
        lead.reassign_lead(
            **arguments(cmd, Trekkerschap.reassign_lead, cooperation_members=members)
        )
        self.save(lead)
        return lead.id

    def record_agreement(self, cmd: c.RecordAgreement) -> UUID:
        self._require_owner(cmd.owner, cmd.terms.parties)
        self._require_all(
            Municipality, [cmd.terms.holder_municipality, cmd.terms.host_municipality]
        )
        self._require_all(Organisation, [cmd.terms.provider, *cmd.terms.recipients])
        self._require_all(DecisionBody, [cmd.terms.holder_body])
        return self._register(
            AgreementAggregate,
            cmd.agreement,
            lambda: Agreement.record(**arguments(cmd, Agreement.record)),
        )

    def record_milestone(self, cmd: c.RecordMilestone) -> UUID:
        return self._change(
            cmd, AgreementAggregate, cmd.agreement, AgreementAggregate.record_milestone
        )

    def change_agreement_status(self, cmd: c.ChangeAgreementStatus) -> UUID:
        return self._change(
            cmd, AgreementAggregate, cmd.agreement, AgreementAggregate.change_status
        )
