"""The application's commands on norms, a region's verdicts on them, and the plans of approach that
answer an inspection's findings.

``GovernanceApplication`` takes these methods from :class:`ComplianceCommands`; the rules are the
domain's (``domain.compliance``, ``domain.plans_of_approach``), these check that what the command names
is registered.
"""

from __future__ import annotations

from uuid import UUID

from domain.compliance import ComplianceAssessment, NormRequirement
from domain.plans_of_approach import PlanOfApproach
from domain.registry import Region
from domain.values import SubjectKind, SubjectRef
from services import commands as c
from services.command_methods import CommandMethods, arguments


class ComplianceCommands(CommandMethods):
    """The command methods of norms, assessments and plans of approach, mixed into
    ``GovernanceApplication``."""

    # -- norms and assessments ------------------------------------------------------------------------
    def register_norm(self, cmd: c.RegisterNorm) -> UUID:
        self._require_all(NormRequirement, [*cmd.duplicate_of, *cmd.relates_to])
        norm = NormRequirement.register(**arguments(cmd, NormRequirement.register))
        return self._register(NormRequirement, cmd.norm, lambda: norm)

    def record_assessment(self, cmd: c.RecordAssessment) -> UUID:
        self.get(NormRequirement, cmd.norm)
        self.get(Region, cmd.region)
        self.require(cmd.assessed_by)
        slug = ComplianceAssessment.slug_for(cmd.norm, cmd.region)
        if self.exists(ComplianceAssessment, slug):
            assessment = self.get(ComplianceAssessment, slug)
        else:
            assessment = ComplianceAssessment.open(
                norm=cmd.norm, region=cmd.region, attribution=cmd.attribution
            )
        assessment.assess(**arguments(cmd, ComplianceAssessment.assess))
        self.save(assessment)
        return assessment.id

    def annotate_assessment(self, cmd: c.AnnotateAssessment) -> UUID:
        slug = ComplianceAssessment.slug_for(cmd.norm, cmd.region)
        return self._change(cmd, ComplianceAssessment, slug, ComplianceAssessment.annotate)

    # -- plans of approach --------------------------------------------------------------------------------
    def record_plan_of_approach(self, cmd: c.RecordPlanOfApproach) -> UUID:
        self.require(cmd.owner)
        return self._register_from(cmd, PlanOfApproach, cmd.plan_of_approach)

    def record_action(self, cmd: c.RecordAction) -> UUID:
        for owner in cmd.owners:
            if owner.slug is not None:
                self.require(SubjectRef(SubjectKind(owner.kind), owner.slug))
        return self._change(cmd, PlanOfApproach, cmd.plan_of_approach, PlanOfApproach.record_action)

    def change_action_status(self, cmd: c.ChangeActionStatus) -> UUID:
        return self._change(
            cmd, PlanOfApproach, cmd.plan_of_approach, PlanOfApproach.change_action_status
        )

    def set_plan_milestone(self, cmd: c.SetPlanMilestone) -> UUID:
        self._require_owner(None, cmd.parties)
        return self._change(
            cmd, PlanOfApproach, cmd.plan_of_approach, PlanOfApproach.record_milestone
        )

    def record_recommendation(self, cmd: c.RecordRecommendation) -> UUID:
        return self._change(
            cmd, PlanOfApproach, cmd.plan_of_approach, PlanOfApproach.record_recommendation
        )

    def report_result(self, cmd: c.ReportResult) -> UUID:
        return self._change(cmd, PlanOfApproach, cmd.plan_of_approach, PlanOfApproach.report_result)
