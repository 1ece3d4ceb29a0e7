"""A valid request for every command route, for the authorisation matrix: a recipe gives the
commands an admin records first (with fresh slugs, so that the same recipe can be played again)
and the command to try, which could then succeed. Commands are built as `services.commands`
structs, so a body is valid by construction and follows the command's fields wherever they
change.

A recipe plays in a world: OWN is the coordinator's cooperation (G7 Gelderland) and its regions,
FOREIGN a cooperation the coordinator has nothing to do with (NMZ Limburg). Slugs are of the real
facts (services/data/governance-facts.yaml); every command cites a full authority of a body of the
world.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from domain.accountability import Deadline, Owner, OwnerKind
from domain.compliance import NormFramework, Verdict
from domain.modules import CostShare, MandateKind
from domain.plans_of_approach import ActionStatus
from domain.values import (
    AgreementKind,
    AgreementStatus,
    Authority,
    AuthorityKind,
    BodyRole,
    ChangeKind,
    Claim,
    Contract,
    CooperationKind,
    Milestone,
    MunicipalOrgan,
    PartialDate,
    PlanKind,
    PlanRef,
    SubjectKind,
    SubjectRef,
    TermStructure,
)
from services import commands as c
from tests.authorities import EXTERNAL, decided_by

DAY = PartialDate.day(date(2026, 1, 15))
_REGIONS_OWN = (c.RecordAssessment, c.AnnotateAssessment)
EARLIER = PartialDate.day(date(2020, 1, 1))


@dataclass(frozen=True)
class World:
    name: str
    cooperation: str
    region: str  # a member region of the cooperation
    other_region: str  # another one
    municipality: str  # a member municipality of `region`
    body: str  # the cooperation's decision body
    source_ref: str

    def authority(self) -> Authority:
        return decided_by(self.body)

    def command(self, cls: type[c.Command], **fields: Any) -> c.Command:
        # The registry (regions, municipalities, who takes part in what) is set by authorities above
        # the cooperation, e.g. a ministry; the cooperation's own body decides its agreements.
        # A municipality decides on its own membership of a region (its college).
        if cls.__name__ in ADMIN_ONLY or cls is c.CorrectFact:
            authority = EXTERNAL
        elif cls in (c.StartMembership, c.EndMembership, *_REGIONS_OWN):
            # A region's verdict on a norm concerns the region: a member municipality decides it.
            authority = Authority(
                kind=AuthorityKind.MUNICIPALITY,
                municipality=fields.get("municipality", self.municipality),
                organ=MunicipalOrgan.COLLEGE,
                decision_date=DAY,
                document="Collegebesluit 2026-01",
            )
        else:
            authority = self.authority()
        return cls(principal="matrix", authority=authority, **fields)

    @property
    def owner(self) -> SubjectRef:
        return SubjectRef(SubjectKind.COOPERATION, self.cooperation)


OWN = World(
    "own",
    "g7-gelderland",
    "regio-nijmegen",
    "achterhoek",
    "beuningen",
    "g7-bestuurlijk-overleg",
    "nijmegen-regiobeeld-2021:L630",
)
FOREIGN = World(
    "foreign",
    "nmz-limburg",
    "noord-limburg",
    "zuid-limburg",
    "venlo",
    "nmz-bestuurlijk-overleg",
    "zuid-limburg-regiovisie-2024:L332",
)

# A recipe: (world, fresh suffix) -> (commands an admin records first, the command to try given the
# answers to those), keyed by the command's class name (":variant" when a command has two recipes).
Answers = list[dict[str, Any]]
Recipe = Callable[[World, str], tuple[list[c.Command], Callable[[Answers], c.Command]]]
RECIPES: dict[str, Recipe] = {}

# Registry facts and who takes part in a cooperation are an admin's to record (README, "Roles and
# tokens"; issue 19 findings 3 and 4); a coordinator records the rest within their cooperation.
ADMIN_ONLY = {
    "RegisterSource",
    "RegisterMunicipality",
    "RegisterRegion",
    "RegisterCooperation",
    "RegisterOrganisation",
    "MergeMunicipalities",
    "AdmitRegionToCooperation",
    "InvolveOrganisationInCooperation",
    "RegisterDecisionBody",
    "ChangeBodyRole",
    "CorrectFact:registration",
    "RegisterNorm",
}


def recipe(name: str) -> Callable[[Recipe], Recipe]:
    def register(function: Recipe) -> Recipe:
        RECIPES[name] = function
        return function

    return register


def body_of(struct: msgspec.Struct) -> dict[str, Any]:
    """The JSON body of a command: its fields but the principal, which the token gives."""
    body = msgspec.to_builtins(struct)
    body.pop("principal", None)
    return body


def route_of_command(schema: dict[str, Any]) -> dict[str, str]:
    """Command class name -> the path of its POST route, from the OpenAPI document."""
    routes = {}
    for path, item in schema["paths"].items():
        body = item.get("post", {}).get("requestBody")
        if body:
            routes[body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]] = path
    return routes


def just(command: c.Command) -> Callable[[Answers], c.Command]:
    return lambda _answers: command


# -- setup pieces ---------------------------------------------------------------------------------
def organisation(w: World, f: str) -> c.Command:
    return w.command(
        c.RegisterOrganisation,
        organisation=f"org-{f}",
        name=f"Org {f}",
        organisation_kind="aanbieder",
    )


def municipality(w: World, f: str, n: int = 0) -> c.Command:
    return w.command(c.RegisterMunicipality, municipality=f"gem-{n}-{f}", name=f"Gemeente {n} {f}")


def region(w: World, f: str) -> c.Command:
    return w.command(c.RegisterRegion, region=f"regio-{f}", name=f"Regio {f}")


def holder(w: World, f: str) -> c.Command:
    return w.command(
        c.AssignAccountHoldership,
        agreement=f"acc-{f}",
        cooperation=w.cooperation,
        organisation=f"org-{f}",
        holder_region=w.region,
        valid_from=EARLIER,
    )


def procurement(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordJointProcurement,
        agreement=f"inkoop-{f}",
        owner=w.owner,
        participants=(SubjectRef(SubjectKind.REGION, w.region),),
        contract=Contract(start=EARLIER, term=TermStructure.parse("2+1+1")),
    )


def mandate(w: World, f: str) -> c.Command:
    return w.command(
        c.GrantExpertiseCentreMandate,
        agreement=f"mandaat-{f}",
        cooperation=w.cooperation,
        holder_municipality=w.municipality,
        expertise_centre=f"org-{f}",
        adoption_route=("concept", "vaststelling"),
        annual_plan=True,
    )


def lead(w: World, f: str) -> c.Command:
    return w.command(
        c.AssignLead,
        agreement=f"trekker-{f}",
        cooperation=w.cooperation,
        item=f"Thema {f}",
        lead_region=w.region,
    )


def agreement(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordAgreement,
        agreement=f"afspraak-{f}",
        agreement_kind=AgreementKind.SAMENWERKINGSAFSPRAAK,
        owner=w.owner,
    )


def claims(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordConflictingClaims,
        claims=f"claims-{f}",
        topic="aantal leden",
        subject=w.owner,
        claim_values=(Claim("7", (w.source_ref,)), Claim("4", (w.source_ref,))),
    )


def body(w: World, f: str) -> c.Command:
    return w.command(
        c.RegisterDecisionBody,
        body=f"orgaan-{f}",
        name=f"Orgaan {f}",
        of=w.owner,
        role=BodyRole.DECIDES,
    )


# -- the registry ---------------------------------------------------------------------------------
@recipe("RegisterSource")
def _(w, f):
    return [], just(
        w.command(c.RegisterSource, source=f"bron-{f}", file=f"bron-{f}.md", title="Bron")
    )


@recipe("RegisterMunicipality")
def _(w, f):
    return [], just(municipality(w, f))


@recipe("RegisterRegion")
def _(w, f):
    return [], just(region(w, f))


@recipe("RegisterCooperation")
def _(w, f):
    return [], just(
        w.command(
            c.RegisterCooperation,
            cooperation=f"samenwerking-{f}",
            name=f"Samenwerking {f}",
            cooperation_kind=CooperationKind.NETWERK,
        )
    )


@recipe("RegisterOrganisation")
def _(w, f):
    return [], just(organisation(w, f))


@recipe("MergeMunicipalities")
def _(w, f):
    return [municipality(w, f, 1), municipality(w, f, 2)], just(
        w.command(
            c.MergeMunicipalities,
            change=f"fusie-{f}",
            from_municipalities=(f"gem-1-{f}",),
            into_municipality=f"gem-2-{f}",
            date=DAY,
        )
    )


@recipe("StartMembership")
def _(w, f):
    return [municipality(w, f)], just(
        w.command(c.StartMembership, municipality=f"gem-0-{f}", region=w.region)
    )


@recipe("EndMembership")
def _(w, f):
    start = w.command(
        c.StartMembership, municipality=f"gem-0-{f}", region=w.region, valid_from=EARLIER
    )
    return [municipality(w, f), start], just(
        w.command(
            c.EndMembership,
            municipality=f"gem-0-{f}",
            membership_id=f"{w.region}:gem-0-{f}",
            valid_until=DAY,
        )
    )


@recipe("AdmitRegionToCooperation")
def _(w, f):
    return [region(w, f)], just(
        w.command(c.AdmitRegionToCooperation, cooperation=w.cooperation, region=f"regio-{f}")
    )


@recipe("InvolveOrganisationInCooperation")
def _(w, f):
    return [organisation(w, f)], just(
        w.command(
            c.InvolveOrganisationInCooperation, cooperation=w.cooperation, organisation=f"org-{f}"
        )
    )


@recipe("RegisterDecisionBody")
def _(w, f):
    return [], just(body(w, f))


@recipe("ChangeBodyRole")
def _(w, f):
    return [body(w, f)], just(
        w.command(c.ChangeBodyRole, body=f"orgaan-{f}", role=BodyRole.ADVISES)
    )


# -- structural changes, claims and corrections ---------------------------------------------------
@recipe("RecordStructuralChange")
def _(w, f):
    return [], just(
        w.command(
            c.RecordStructuralChange,
            change=f"wijziging-{f}",
            subject=w.owner,
            change_kind=ChangeKind.GOVERNANCE_CHANGE,
            valid_from=DAY,
        )
    )


@recipe("RecordConflictingClaims")
def _(w, f):
    return [], just(claims(w, f))


@recipe("AddClaim")
def _(w, f):
    return [claims(w, f)], just(
        w.command(c.AddClaim, claims=f"claims-{f}", claim=Claim("5", (w.source_ref,)))
    )


@recipe("CorrectFact")
def _(w, f):
    """Corrects an account holder the coordinator could have recorded."""
    return [organisation(w, f), holder(w, f)], lambda answers: w.command(
        c.CorrectFact,
        aggregate_id=answers[-1]["aggregate_id"],
        version=answers[-1]["version"],
        reason="wrong holder region",
    )


@recipe("CorrectFact:registration")
def _(w, f):
    """Retracts a region's registration: a registry fact, though the region takes part in the
    world's cooperation (issue 19 finding 4)."""
    admitted = w.command(c.AdmitRegionToCooperation, cooperation=w.cooperation, region=f"regio-{f}")
    return [region(w, f), admitted], lambda answers: w.command(
        c.CorrectFact, aggregate_id=answers[0]["aggregate_id"], version=1, reason="never existed"
    )


# -- agreements -----------------------------------------------------------------------------------
@recipe("AssignAccountHoldership")
def _(w, f):
    return [organisation(w, f)], just(holder(w, f))


@recipe("TransferAccountHoldership")
def _(w, f):
    return [organisation(w, f), holder(w, f)], just(
        w.command(
            c.TransferAccountHoldership,
            cooperation=w.cooperation,
            organisation=f"org-{f}",
            agreement=f"acc-2-{f}",
            handover=DAY,
            holder_region=w.other_region,
        )
    )


@recipe("EndAccountHoldership")
def _(w, f):
    return [organisation(w, f), holder(w, f)], just(
        w.command(
            c.EndAccountHoldership,
            cooperation=w.cooperation,
            organisation=f"org-{f}",
            valid_until=DAY,
        )
    )


@recipe("RecordJointProcurement")
def _(w, f):
    return [], just(procurement(w, f))


@recipe("OptOutOfProcurement")
def _(w, f):
    return [procurement(w, f)], just(
        w.command(
            c.OptOutOfProcurement,
            agreement=f"inkoop-{f}",
            municipality=w.municipality,
            scope="ambulante jeugdhulp",
        )
    )


@recipe("ExerciseExtensionOption")
def _(w, f):
    return [procurement(w, f)], just(
        w.command(c.ExerciseExtensionOption, agreement=f"inkoop-{f}", option_number=1)
    )


@recipe("DeclineExtensionOption")
def _(w, f):
    return [procurement(w, f)], just(
        w.command(c.DeclineExtensionOption, agreement=f"inkoop-{f}", option_number=1)
    )


@recipe("GrantExpertiseCentreMandate")
def _(w, f):
    return [organisation(w, f)], just(mandate(w, f))


@recipe("RecordPlanStep")
def _(w, f):
    return [organisation(w, f), mandate(w, f)], just(
        w.command(
            c.RecordPlanStep,
            agreement=f"mandaat-{f}",
            step_number=1,
            plan=PlanRef(plan_kind=PlanKind.ANNUAL_PLAN, year=2026),
        )
    )


@recipe("AdoptPlan")
def _(w, f):
    plan = PlanRef(plan_kind=PlanKind.ANNUAL_PLAN, year=2026)
    step = w.command(c.RecordPlanStep, agreement=f"mandaat-{f}", step_number=1, plan=plan)
    return [organisation(w, f), mandate(w, f), step], just(
        w.command(c.AdoptPlan, agreement=f"mandaat-{f}", plan=plan)
    )


@recipe("AssignLead")
def _(w, f):
    return [], just(lead(w, f))


@recipe("ReassignLead")
def _(w, f):
    return [lead(w, f)], just(
        w.command(c.ReassignLead, agreement=f"trekker-{f}", lead_region=w.other_region)
    )


@recipe("RecordAgreement")
def _(w, f):
    return [], just(agreement(w, f))


@recipe("RecordMilestone")
def _(w, f):
    return [agreement(w, f)], just(
        w.command(
            c.RecordMilestone,
            agreement=f"afspraak-{f}",
            milestone=Milestone(date=DAY, what="Evaluatie"),
        )
    )


@recipe("ChangeAgreementStatus")
def _(w, f):
    return [agreement(w, f)], just(
        w.command(
            c.ChangeAgreementStatus, agreement=f"afspraak-{f}", status=AgreementStatus.INTENDED
        )
    )


# -- modular cooperation (principle C) ------------------------------------------------------------
# A fresh region taking part in the cooperation commits to module 2 of the G7 agenda: a region commits
# to a module once. Its mandate is given in the region, by a body of its own.
def module_member(w: World, f: str) -> list[c.Command]:
    return [
        region(w, f),
        w.command(
            c.AdmitRegionToCooperation,
            cooperation=w.cooperation,
            region=f"regio-{f}",
            valid_from=EARLIER,
        ),
    ]


@recipe("CommitToModule")
def _(w, f):
    return module_member(w, f), just(
        w.command(
            c.CommitToModule,
            cooperation=w.cooperation,
            module=2,
            region=f"regio-{f}",
            content="Spoed Eisende Zorg",
        )
    )


@recipe("GiveModuleMandate")
def _(w, f):
    regional_body = w.command(
        c.RegisterDecisionBody,
        body=f"raad-{f}",
        name=f"Raad {f}",
        of=SubjectRef(SubjectKind.REGION, f"regio-{f}"),
        role=BodyRole.DECIDES,
    )
    return [*module_member(w, f), regional_body], just(
        c.GiveModuleMandate(
            principal="matrix",
            authority=decided_by(f"raad-{f}"),
            cooperation=w.cooperation,
            module=2,
            region=f"regio-{f}",
            mandate=MandateKind.COSTS,
        )
    )


def cost_key(
    w: World, f: str, command: type[c.Command] = c.AgreeCostKey, own: int = 60, **fields: Any
) -> c.Command:
    return w.command(
        command,
        cost_key=f"sleutel-{f}",
        cooperation=w.cooperation,
        module=2,
        shares=(CostShare(w.region, Decimal(own)), CostShare(f"regio-{f}", Decimal(100 - own))),
        **fields,
    )


@recipe("AgreeCostKey")
def _(w, f):
    return module_member(w, f), just(cost_key(w, f))


@recipe("ReviseCostKey")
def _(w, f):
    # Only the own cooperation has a module 2 on its agenda to agree a key for; in the other one the
    # coordinator is refused before any key is looked up.
    agreed = [cost_key(w, f)] if w is OWN else []
    return [*module_member(w, f), *agreed], just(
        cost_key(w, f, c.ReviseCostKey, own=50, valid_from=DAY)
    )


@recipe("EndModuleMandate")
def _(w, f):
    setup, give = RECIPES["GiveModuleMandate"](w, f)
    # Only the own cooperation has a module 2 to give a mandate for; in the other one the
    # coordinator is refused before any mandate is looked up.
    given = [give([])] if w is OWN else []
    return [*setup, *given], just(
        c.EndModuleMandate(
            principal="matrix",
            authority=decided_by(f"raad-{f}"),
            cooperation=w.cooperation,
            module=2,
            region=f"regio-{f}",
            mandate=MandateKind.COSTS,
            valid_until=DAY,
        )
    )


# -- norms and assessments --------------------------------------------------------------------------
def norm(w: World, f: str) -> c.Command:
    return w.command(
        c.RegisterNorm, norm=f"norm-{f}", framework=NormFramework.IGJ, code="N1", title="Norm"
    )


def assessment(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordAssessment,
        norm=f"norm-{f}",
        region=w.region,
        verdict=Verdict.NEE,
        assessed_by=SubjectRef(SubjectKind.REGION, w.region),
        assessed_on=DAY,
    )


@recipe("RegisterNorm")
def _(w, f):
    return [], just(norm(w, f))


@recipe("RecordAssessment")
def _(w, f):
    return [norm(w, f)], just(assessment(w, f))


@recipe("AnnotateAssessment")
def _(w, f):
    return [norm(w, f), assessment(w, f)], just(
        w.command(
            c.AnnotateAssessment, norm=f"norm-{f}", region=w.region, reviewer="R", remark="Klopt?"
        )
    )


# -- plans of approach: of the world's cooperation ------------------------------------------------
def plan(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordPlanOfApproach, plan_of_approach=f"pva-{f}", owner=w.owner, title=f"Plan {f}"
    )


def action(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordAction,
        plan_of_approach=f"pva-{f}",
        action=f"actie-{f}",
        what="Zicht op wachtenden",
        owners=(Owner(kind=OwnerKind.REGION, slug=w.region, name="Hele regio"),),
        deadline=Deadline(notation="2026-11", as_written="uiterlijk november 2026"),
        valid_from=EARLIER,
    )


def recommendation(w: World, f: str) -> c.Command:
    return w.command(
        c.RecordRecommendation,
        plan_of_approach=f"pva-{f}",
        recommendation=f"aanbeveling-{f}",
        text="Regionaal expertteam",
    )


@recipe("RecordPlanOfApproach")
def _(w, f):
    return [], just(plan(w, f))


@recipe("RecordAction")
def _(w, f):
    return [plan(w, f)], just(action(w, f))


@recipe("ChangeActionStatus")
def _(w, f):
    return [plan(w, f), action(w, f)], just(
        w.command(
            c.ChangeActionStatus,
            plan_of_approach=f"pva-{f}",
            action=f"actie-{f}",
            status=ActionStatus.AFGEROND,
            valid_from=DAY,
        )
    )


@recipe("SetPlanMilestone")
def _(w, f):
    return [plan(w, f)], just(
        w.command(
            c.SetPlanMilestone,
            plan_of_approach=f"pva-{f}",
            milestone=f"mijlpaal-{f}",
            what="Tarief 2027",
            deadline=Deadline(notation="2026-12-01"),
            parties=(SubjectRef(SubjectKind.REGION, w.region),),
        )
    )


@recipe("RecordRecommendation")
def _(w, f):
    return [plan(w, f)], just(recommendation(w, f))


@recipe("ReportResult")
def _(w, f):
    return [plan(w, f), recommendation(w, f)], just(
        w.command(
            c.ReportResult,
            plan_of_approach=f"pva-{f}",
            recommendation=f"aanbeveling-{f}",
            result="Expertteam ingebed",
            valid_from=DAY,
        )
    )
