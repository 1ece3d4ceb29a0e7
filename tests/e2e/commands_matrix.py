"""A valid request for every command route, for the authorisation matrix: a recipe gives the
commands an admin records first (with fresh slugs, so that the same recipe can be played again)
and the command to try, which could then succeed. The recipes are data (``TABLE``: each a row of
``Step``s) that one function, ``Step.made``, turns into commands. Commands are built as `services.commands`
structs, so a body is valid by construction and follows the command's fields wherever they
change.

A recipe plays in a world: OWN is the coordinator's cooperation (G7 Gelderland) and its regions,
FOREIGN a cooperation the coordinator has nothing to do with (NMZ Limburg). Slugs are of the real
facts (services/data/governance-facts.yaml); every command cites a full authority of a body of the
world.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import FunctionType
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
        # A command decided in a body of its own names it (``authority`` among the fields). Otherwise:
        # the registry (regions, municipalities, who takes part in what) is set by authorities above
        # the cooperation, e.g. a ministry; the cooperation's own body decides its agreements.
        # A municipality decides on its own membership of a region (its college).
        if "authority" in fields:
            authority = fields["authority"]
        elif cls.__name__ in ADMIN_ONLY or cls is c.CorrectFact:
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
        return cls(principal="matrix", **{"authority": authority, **fields})

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

Answers = list[dict[str, Any]]
# A recipe: (world, fresh suffix) -> (commands an admin records first, the command to try given the
# answers to those), keyed by the command's class name (":variant" when a command has two recipes).
Recipe = Callable[[World, str], tuple[list[c.Command], Callable[[Answers], c.Command]]]
WorldValue = Callable[[World, str], Any]


@dataclass(frozen=True)
class Answer:
    """A field taken from the answer to one of the recipe's first commands (``index`` in order)."""

    index: int
    field: str


@dataclass(frozen=True)
class Step:
    """A command of a recipe as data. In its fields, a string is a template of the world ``w`` and
    the fresh suffix ``f`` (``"org-{f}"``, ``"{w.region}"``), also within a tuple; a function of
    both gives a value built from them; an ``Answer`` is read from the answers to the commands
    recorded first; any other value stands as it is."""

    command: type[c.Command]
    fields: dict[str, Any]
    # Only the own cooperation has module 2 on its agenda: in the other one the coordinator is
    # refused before a key or a mandate is looked up, so none is recorded first.
    own_only: bool = False

    def made(self, w: World, f: str, answers: Sequence[dict[str, Any]] = ()) -> c.Command:
        def value(template: Any) -> Any:
            if type(template) is str:
                return template.format(w=w, f=f)
            if isinstance(template, tuple):
                return tuple(value(item) for item in template)
            if isinstance(template, Answer):
                return answers[template.index][template.field]
            return template(w, f) if isinstance(template, FunctionType) else template

        return w.command(self.command, **{name: value(v) for name, v in self.fields.items()})


def step(command: type[c.Command], own_only: bool = False, **fields: Any) -> Step:
    return Step(command, fields, own_only)


def _owner(w: World, _f: str) -> SubjectRef:
    return w.owner


def _own_region(w: World, _f: str) -> SubjectRef:
    return SubjectRef(SubjectKind.REGION, w.region)


def _claim(value: str) -> WorldValue:
    return lambda w, _f: Claim(value, (w.source_ref,))


def _decided_in_the_fresh_region(_w: World, f: str) -> Authority:
    return decided_by(f"raad-{f}")


def _shares(own: int) -> WorldValue:
    return lambda w, f: (
        CostShare(w.region, Decimal(own)),
        CostShare(f"regio-{f}", Decimal(100 - own)),
    )


# -- commands that recipes record first -------------------------------------------------------------
ORGANISATION = step(
    c.RegisterOrganisation, organisation="org-{f}", name="Org {f}", organisation_kind="aanbieder"
)
MUNICIPALITY = step(c.RegisterMunicipality, municipality="gem-0-{f}", name="Gemeente 0 {f}")
REGION = step(c.RegisterRegion, region="regio-{f}", name="Regio {f}")
HOLDER = step(
    c.AssignAccountHoldership,
    agreement="acc-{f}",
    cooperation="{w.cooperation}",
    organisation="org-{f}",
    holder_region="{w.region}",
    valid_from=EARLIER,
)
PROCUREMENT = step(
    c.RecordJointProcurement,
    agreement="inkoop-{f}",
    owner=_owner,
    participants=lambda w, _f: (SubjectRef(SubjectKind.REGION, w.region),),
    contract=Contract(start=EARLIER, term=TermStructure.parse("2+1+1")),
)
MANDATE = step(
    c.GrantExpertiseCentreMandate,
    agreement="mandaat-{f}",
    cooperation="{w.cooperation}",
    holder_municipality="{w.municipality}",
    expertise_centre="org-{f}",
    adoption_route=("concept", "vaststelling"),
    annual_plan=True,
)
LEAD = step(
    c.AssignLead,
    agreement="trekker-{f}",
    cooperation="{w.cooperation}",
    item="Thema {f}",
    lead_region="{w.region}",
)
AGREEMENT = step(
    c.RecordAgreement,
    agreement="afspraak-{f}",
    agreement_kind=AgreementKind.SAMENWERKINGSAFSPRAAK,
    owner=_owner,
)
CLAIMS = step(
    c.RecordConflictingClaims,
    claims="claims-{f}",
    topic="aantal leden",
    subject=_owner,
    claim_values=lambda w, f: (_claim("7")(w, f), _claim("4")(w, f)),
)
BODY = step(
    c.RegisterDecisionBody, body="orgaan-{f}", name="Orgaan {f}", of=_owner, role=BodyRole.DECIDES
)
ANNUAL_PLAN = PlanRef(plan_kind=PlanKind.ANNUAL_PLAN, year=2026)
PLAN_STEP = step(c.RecordPlanStep, agreement="mandaat-{f}", step_number=1, plan=ANNUAL_PLAN)
ADMITTED = step(c.AdmitRegionToCooperation, cooperation="{w.cooperation}", region="regio-{f}")
# A fresh region taking part in the cooperation commits to module 2 of the G7 agenda: a region commits
# to a module once. Its mandate is given in the region, by a body of its own.
MODULE_MEMBER = (
    REGION,
    step(
        c.AdmitRegionToCooperation,
        cooperation="{w.cooperation}",
        region="regio-{f}",
        valid_from=EARLIER,
    ),
)
REGIONAL_BODY = step(
    c.RegisterDecisionBody,
    body="raad-{f}",
    name="Raad {f}",
    of=lambda _w, f: SubjectRef(SubjectKind.REGION, f"regio-{f}"),
    role=BodyRole.DECIDES,
)
IN_MODULE = {
    "cooperation": "{w.cooperation}",
    "module": 2,
    "region": "regio-{f}",
}
MODULE_MANDATE = {
    **IN_MODULE,
    "authority": _decided_in_the_fresh_region,
    "mandate": MandateKind.COSTS,
}
COST_KEY = {"cost_key": "sleutel-{f}", "cooperation": "{w.cooperation}", "module": 2}
NORM = step(c.RegisterNorm, norm="norm-{f}", framework=NormFramework.IGJ, code="N1", title="Norm")
ASSESSMENT = step(
    c.RecordAssessment,
    norm="norm-{f}",
    region="{w.region}",
    verdict=Verdict.NEE,
    assessed_by=_own_region,
    assessed_on=DAY,
)
PLAN = step(c.RecordPlanOfApproach, plan_of_approach="pva-{f}", owner=_owner, title="Plan {f}")
ACTION = step(
    c.RecordAction,
    plan_of_approach="pva-{f}",
    action="actie-{f}",
    what="Zicht op wachtenden",
    owners=lambda w, _f: (Owner(kind=OwnerKind.REGION, slug=w.region, name="Hele regio"),),
    deadline=Deadline(notation="2026-11", as_written="uiterlijk november 2026"),
    valid_from=EARLIER,
)
RECOMMENDATION = step(
    c.RecordRecommendation,
    plan_of_approach="pva-{f}",
    recommendation="aanbeveling-{f}",
    text="Regionaal expertteam",
)

# -- the recipes: name -> (commands recorded first, the command to try) ---------------------------
TABLE: dict[str, tuple[tuple[Step, ...], Step]] = {
    # the registry
    "RegisterSource": (
        (),
        step(c.RegisterSource, source="bron-{f}", file="bron-{f}.md", title="Bron"),
    ),
    "RegisterMunicipality": ((), MUNICIPALITY),
    "RegisterRegion": ((), REGION),
    "RegisterCooperation": (
        (),
        step(
            c.RegisterCooperation,
            cooperation="samenwerking-{f}",
            name="Samenwerking {f}",
            cooperation_kind=CooperationKind.NETWERK,
        ),
    ),
    "RegisterOrganisation": ((), ORGANISATION),
    "MergeMunicipalities": (
        (
            step(c.RegisterMunicipality, municipality="gem-1-{f}", name="Gemeente 1 {f}"),
            step(c.RegisterMunicipality, municipality="gem-2-{f}", name="Gemeente 2 {f}"),
        ),
        step(
            c.MergeMunicipalities,
            change="fusie-{f}",
            from_municipalities=("gem-1-{f}",),
            into_municipality="gem-2-{f}",
            date=DAY,
        ),
    ),
    "StartMembership": (
        (MUNICIPALITY,),
        step(c.StartMembership, municipality="gem-0-{f}", region="{w.region}"),
    ),
    "EndMembership": (
        (
            MUNICIPALITY,
            step(
                c.StartMembership, municipality="gem-0-{f}", region="{w.region}", valid_from=EARLIER
            ),
        ),
        step(
            c.EndMembership,
            municipality="gem-0-{f}",
            membership_id="{w.region}:gem-0-{f}",
            valid_until=DAY,
        ),
    ),
    "AdmitRegionToCooperation": ((REGION,), ADMITTED),
    "InvolveOrganisationInCooperation": (
        (ORGANISATION,),
        step(
            c.InvolveOrganisationInCooperation,
            cooperation="{w.cooperation}",
            organisation="org-{f}",
        ),
    ),
    "RegisterDecisionBody": ((), BODY),
    "ChangeBodyRole": ((BODY,), step(c.ChangeBodyRole, body="orgaan-{f}", role=BodyRole.ADVISES)),
    # structural changes, claims and corrections
    "RecordStructuralChange": (
        (),
        step(
            c.RecordStructuralChange,
            change="wijziging-{f}",
            subject=_owner,
            change_kind=ChangeKind.GOVERNANCE_CHANGE,
            valid_from=DAY,
        ),
    ),
    "RecordConflictingClaims": ((), CLAIMS),
    "AddClaim": ((CLAIMS,), step(c.AddClaim, claims="claims-{f}", claim=_claim("5"))),
    # Corrects an account holder the coordinator could have recorded.
    "CorrectFact": (
        (ORGANISATION, HOLDER),
        step(
            c.CorrectFact,
            aggregate_id=Answer(-1, "aggregate_id"),
            version=Answer(-1, "version"),
            reason="wrong holder region",
        ),
    ),
    # Retracts a region's registration: a registry fact, though the region takes part in the world's
    # cooperation (issue 19 finding 4).
    "CorrectFact:registration": (
        (REGION, ADMITTED),
        step(
            c.CorrectFact,
            aggregate_id=Answer(0, "aggregate_id"),
            version=1,
            reason="never existed",
        ),
    ),
    # agreements
    "AssignAccountHoldership": ((ORGANISATION,), HOLDER),
    "TransferAccountHoldership": (
        (ORGANISATION, HOLDER),
        step(
            c.TransferAccountHoldership,
            cooperation="{w.cooperation}",
            organisation="org-{f}",
            agreement="acc-2-{f}",
            handover=DAY,
            holder_region="{w.other_region}",
        ),
    ),
    "EndAccountHoldership": (
        (ORGANISATION, HOLDER),
        step(
            c.EndAccountHoldership,
            cooperation="{w.cooperation}",
            organisation="org-{f}",
            valid_until=DAY,
        ),
    ),
    "RecordJointProcurement": ((), PROCUREMENT),
    "OptOutOfProcurement": (
        (PROCUREMENT,),
        step(
            c.OptOutOfProcurement,
            agreement="inkoop-{f}",
            municipality="{w.municipality}",
            scope="ambulante jeugdhulp",
        ),
    ),
    "ExerciseExtensionOption": (
        (PROCUREMENT,),
        step(c.ExerciseExtensionOption, agreement="inkoop-{f}", option_number=1),
    ),
    "DeclineExtensionOption": (
        (PROCUREMENT,),
        step(c.DeclineExtensionOption, agreement="inkoop-{f}", option_number=1),
    ),
    "GrantExpertiseCentreMandate": ((ORGANISATION,), MANDATE),
    "RecordPlanStep": ((ORGANISATION, MANDATE), PLAN_STEP),
    "AdoptPlan": (
        (ORGANISATION, MANDATE, PLAN_STEP),
        step(c.AdoptPlan, agreement="mandaat-{f}", plan=ANNUAL_PLAN),
    ),
    "AssignLead": ((), LEAD),
    "ReassignLead": (
        (LEAD,),
        step(c.ReassignLead, agreement="trekker-{f}", lead_region="{w.other_region}"),
    ),
    "RecordAgreement": ((), AGREEMENT),
    "RecordMilestone": (
        (AGREEMENT,),
        step(
            c.RecordMilestone,
            agreement="afspraak-{f}",
            milestone=Milestone(date=DAY, what="Evaluatie"),
        ),
    ),
    "ChangeAgreementStatus": (
        (AGREEMENT,),
        step(c.ChangeAgreementStatus, agreement="afspraak-{f}", status=AgreementStatus.INTENDED),
    ),
    # modular cooperation (principle C)
    "CommitToModule": (
        MODULE_MEMBER,
        step(c.CommitToModule, **IN_MODULE, content="Spoed Eisende Zorg"),
    ),
    "GiveModuleMandate": (
        (*MODULE_MEMBER, REGIONAL_BODY),
        step(c.GiveModuleMandate, **MODULE_MANDATE),
    ),
    "AgreeCostKey": (MODULE_MEMBER, step(c.AgreeCostKey, **COST_KEY, shares=_shares(60))),
    "ReviseCostKey": (
        (*MODULE_MEMBER, step(c.AgreeCostKey, own_only=True, **COST_KEY, shares=_shares(60))),
        step(c.ReviseCostKey, **COST_KEY, shares=_shares(50), valid_from=DAY),
    ),
    "EndModuleMandate": (
        (
            *MODULE_MEMBER,
            REGIONAL_BODY,
            step(c.GiveModuleMandate, own_only=True, **MODULE_MANDATE),
        ),
        step(c.EndModuleMandate, **MODULE_MANDATE, valid_until=DAY),
    ),
    # norms and assessments
    "RegisterNorm": ((), NORM),
    "RecordAssessment": ((NORM,), ASSESSMENT),
    "AnnotateAssessment": (
        (NORM, ASSESSMENT),
        step(
            c.AnnotateAssessment,
            norm="norm-{f}",
            region="{w.region}",
            reviewer="R",
            remark="Klopt?",
        ),
    ),
    # plans of approach: of the world's cooperation
    "RecordPlanOfApproach": ((), PLAN),
    "RecordAction": ((PLAN,), ACTION),
    "ChangeActionStatus": (
        (PLAN, ACTION),
        step(
            c.ChangeActionStatus,
            plan_of_approach="pva-{f}",
            action="actie-{f}",
            status=ActionStatus.AFGEROND,
            valid_from=DAY,
        ),
    ),
    "SetPlanMilestone": (
        (PLAN,),
        step(
            c.SetPlanMilestone,
            plan_of_approach="pva-{f}",
            milestone="mijlpaal-{f}",
            what="Tarief 2027",
            deadline=Deadline(notation="2026-12-01"),
            parties=lambda w, _f: (SubjectRef(SubjectKind.REGION, w.region),),
        ),
    ),
    "RecordRecommendation": ((PLAN,), RECOMMENDATION),
    "ReportResult": (
        (PLAN, RECOMMENDATION),
        step(
            c.ReportResult,
            plan_of_approach="pva-{f}",
            recommendation="aanbeveling-{f}",
            result="Expertteam ingebed",
            valid_from=DAY,
        ),
    ),
}


def _recipe(first: tuple[Step, ...], probe: Step) -> Recipe:
    def play(w: World, f: str) -> tuple[list[c.Command], Callable[[Answers], c.Command]]:
        setup = [s.made(w, f) for s in first if w is OWN or not s.own_only]
        return setup, lambda answers: probe.made(w, f, answers)

    return play


RECIPES: dict[str, Recipe] = {name: _recipe(*row) for name, row in TABLE.items()}

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
