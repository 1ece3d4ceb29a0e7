from __future__ import annotations

import pytest

from domain.agreements import Agreement, AgreementTerms, ExpertiseCentreMandate, JointProcurement
from domain.errors import (
    AgreementEnded,
    AlreadyRecorded,
    DomainError,
    ExtensionOptionInvalid,
    InvalidValue,
    LeadNotMember,
    NoAdoptionRoute,
    PlanNotReady,
    PlanStepOutOfOrder,
)
from domain.values import (
    UNKNOWN_DATE,
    AgreementKind,
    AgreementStatus,
    Attribution,
    Contract,
    Milestone,
    PartialDate,
    PlanKind,
    PlanRef,
    SubjectKind,
    SubjectRef,
    TermStructure,
    ValidPeriod,
)
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL

WHO = Attribution(principal="test")
D = PartialDate.parse
ZL = SubjectRef(SubjectKind.REGION, "zuid-limburg")


def procurement(term: str | None = "4+3+3", start: str = "2023-01-01") -> JointProcurement:
    structure = TermStructure.parse(term) if term else None
    return JointProcurement(
        agreement="zl-wonen",
        owner=ZL,
        participants=(ZL,),
        segments=("Wonen",),
        lots=(),
        contract=Contract(start=D(start), term=structure, term_text=None if structure else term),
        part_of="zl-verwerving",
        suppliers=(),
        supplier_count=2,
        principles=(),
        status=AgreementStatus.IN_FORCE,
        basis=None,
        date_note=None,
        notes=None,
        valid_from=D(start),
        valid_until=UNKNOWN_DATE,
        **WHO.event_fields(),
    )


def test_extension_options_are_exercised_in_order_with_their_valid_time() -> None:
    p = procurement()
    with pytest.raises(
        ExtensionOptionInvalid, match="option 1 of zl-wonen is the next to decide, not option 2"
    ):
        p.exercise_extension_option(option_number=2, attribution=WHO)
    p.exercise_extension_option(option_number=1, attribution=WHO)
    exercised = p.collect_events()[-1]
    assert (exercised.option_number, exercised.years) == (1, 3)
    assert ValidPeriod(exercised.valid_from, exercised.valid_until) == ValidPeriod(
        D("2027-01-01"), D("2029-12-31")
    )
    with pytest.raises(ExtensionOptionInvalid, match=r"has options 1..2 \(term 4\+3\+3\), not 3"):
        p.exercise_extension_option(option_number=3, attribution=WHO)


def test_half_years_in_a_term_are_counted_in_months() -> None:
    p = procurement("2,5+2+2+2+1", start="2022-07-01")
    assert p.extension_period(1) == ValidPeriod(D("2025-01-01"), D("2026-12-31"))
    assert p.extension_period(4) == ValidPeriod(
        D("2031-01-01"), D("2031-12-31")
    )  # 9.5 years in all


def test_a_declined_option_lets_later_options_lapse() -> None:
    p = procurement()
    p.decline_extension_option(option_number=1, attribution=WHO)
    with pytest.raises(
        ExtensionOptionInvalid, match="option 1 of zl-wonen was declined, so option 2 has lapsed"
    ):
        p.exercise_extension_option(option_number=2, attribution=WHO)


def test_a_contract_without_options_has_none_to_exercise() -> None:
    with pytest.raises(ExtensionOptionInvalid, match="no extension options \\(term: meerjarig"):
        procurement("meerjarig (no term given)").exercise_extension_option(
            option_number=1, attribution=WHO
        )
    with pytest.raises(ExtensionOptionInvalid, match="no extension options"):
        procurement("2").exercise_extension_option(option_number=1, attribution=WHO)


def test_an_ended_procurement_takes_no_further_decisions() -> None:
    p = procurement()
    p.change_status(
        status=AgreementStatus.ENDED,
        period=ValidPeriod(UNKNOWN_DATE, D("2026-12-31")),
        attribution=WHO,
    )
    with pytest.raises(AgreementEnded, match="zl-wonen has ended"):
        p.exercise_extension_option(option_number=1, attribution=WHO)
    with pytest.raises(AgreementEnded):
        p.change_status(status=AgreementStatus.IN_FORCE, period=ValidPeriod(), attribution=WHO)


def test_opt_outs_keep_their_scope_and_are_recorded_once() -> None:
    p = procurement()
    p.opt_out(
        municipality="heerlen",
        scope="ambulante basishulp",
        reason="JenS",
        period=ValidPeriod(),
        attribution=WHO,
    )
    p.opt_out(
        municipality="heerlen", scope="crisis", reason=None, period=ValidPeriod(), attribution=WHO
    )
    with pytest.raises(
        AlreadyRecorded, match="heerlen already opted out of zl-wonen for 'ambulante basishulp'"
    ):
        p.opt_out(
            municipality="heerlen",
            scope="ambulante basishulp",
            reason=None,
            period=ValidPeriod(),
            attribution=WHO,
        )
    with pytest.raises(InvalidValue, match="must say what it covers"):
        p.opt_out(
            municipality="vaals", scope=" ", reason=None, period=ValidPeriod(), attribution=WHO
        )


ROUTE = (
    "gemeente Roermond drafts the beleidsdocument and, every year, a jaarplan",
    "bestuurlijk overleg NMZ",
    "consultation with the achterban ('met de achterban')",
    "gemeente Roermond adopts (stelt vast) the beleidsdocument and the jaarplannen",
)
PLAN_2024 = PlanRef(plan_kind=PlanKind.ANNUAL_PLAN, year=2024)


def mandate(
    route: tuple[str, ...] | None = ROUTE, annual_plan: bool | None = True
) -> ExpertiseCentreMandate:
    return ExpertiseCentreMandate(
        agreement="nmz-expertisecentrum-mandaat-roermond",
        owner=SubjectRef(SubjectKind.COOPERATION, "nmz-limburg"),
        holder_municipality="roermond",
        expertise_centre="expertisecentrum-limburg",
        adoption_route=route,
        annual_plan=annual_plan,
        status=AgreementStatus.IN_FORCE,
        basis=None,
        notes=None,
        valid_from=UNKNOWN_DATE,
        valid_until=UNKNOWN_DATE,
        **WHO.event_fields(),
    )


def step(m: ExpertiseCentreMandate, number: int, plan: PlanRef = PLAN_2024) -> None:
    m.record_plan_step(plan=plan, step_number=number, period=ValidPeriod(), attribution=WHO)


def test_a_plan_is_adopted_after_its_route_in_order() -> None:
    m = mandate()
    for number in (1, 2, 3):
        step(m, number)
    m.adopt_plan(plan=PLAN_2024, period=ValidPeriod(D("2024-03"), UNKNOWN_DATE), attribution=WHO)
    adopted = m.collect_events()[-1]
    assert adopted.step == ROUTE[-1] and adopted.holder_municipality == "roermond"
    with pytest.raises(AlreadyRecorded, match=r"annual plan 2024 .* is already adopted"):
        m.adopt_plan(plan=PLAN_2024, period=ValidPeriod(), attribution=WHO)


def test_steps_are_recorded_in_the_order_of_the_route() -> None:
    m = mandate()
    step(m, 1)
    with pytest.raises(PlanStepOutOfOrder) as error:
        step(m, 3)
    assert str(error.value) == (
        "step 3 ('consultation with the achterban ('met de achterban')') of the annual plan 2024 cannot be recorded "
        "before step 2 ('bestuurlijk overleg NMZ') — plan steps are recorded in the order of the adoption route"
    )
    with pytest.raises(PlanStepOutOfOrder, match="is the adoption itself"):
        step(m, 4)
    with pytest.raises(AlreadyRecorded):
        step(m, 1)


def test_a_plan_cannot_be_adopted_before_the_earlier_steps() -> None:
    m = mandate()
    step(m, 1)
    with pytest.raises(PlanNotReady) as error:
        m.adopt_plan(plan=PLAN_2024, period=ValidPeriod(), attribution=WHO)
    assert (
        "cannot be adopted by roermond: step 2 ('bestuurlijk overleg NMZ') is not recorded"
        in str(error.value)
    )
    # Each plan follows the route on its own.
    policy = PlanRef(
        plan_kind=PlanKind.POLICY_DOCUMENT, title="Bovenregionale Expertisecentrum Jeugd Limburg"
    )
    with pytest.raises(PlanNotReady, match="step 1"):
        m.adopt_plan(plan=policy, period=ValidPeriod(), attribution=WHO)


def test_a_mandate_without_route_records_no_steps() -> None:
    boeg = mandate(route=None, annual_plan=None)
    with pytest.raises(NoAdoptionRoute, match="has no recorded adoption route"):
        step(boeg, 1)
    boeg.adopt_plan(plan=PLAN_2024, period=ValidPeriod(), attribution=WHO)
    assert boeg.collect_events()[-1].step is None
    with pytest.raises(NoAdoptionRoute, match="provides no annual plans"):
        step(mandate(annual_plan=False), 1)


def test_milestones_are_recorded_once() -> None:
    p = procurement()
    milestone = Milestone(D("2022-01"), "dialogue meetings with providers", "jan-mei 2022")
    p.record_milestone(milestone=milestone, attribution=WHO)
    assert p.collect_events()[-1].valid_from == D("2022-01")
    with pytest.raises(
        AlreadyRecorded, match="milestone 'dialogue meetings with providers' on 2022-01"
    ):
        p.record_milestone(milestone=milestone, attribution=WHO)


def test_a_generic_agreement_records_the_other_kinds_only() -> None:
    spuk = Agreement.record(
        agreement="nmz-beslisbevoegdheid-spuk-roermond",
        agreement_kind=AgreementKind.BESLISBEVOEGDHEID,
        owner=SubjectRef(SubjectKind.COOPERATION, "nmz-limburg"),
        terms=AgreementTerms(holder_municipality="roermond", subject="SPUK-vastgoedtransitie"),
        part_of=None,
        status=AgreementStatus.IN_FORCE,
        basis="NMZ-afspraak",
        date_note=None,
        notes=None,
        period=ValidPeriod(),
        attribution=WHO,
    )
    assert spuk.kind_of_agreement is AgreementKind.BESLISBEVOEGDHEID
    with pytest.raises(InvalidValue, match="have their own commands"):
        Agreement.record(
            agreement="x",
            agreement_kind=AgreementKind.ACCOUNTHOUDERSCHAP,
            owner=None,
            terms=AgreementTerms(),
            part_of=None,
            status=AgreementStatus.IN_FORCE,
            basis=None,
            date_note=None,
            notes=None,
            period=ValidPeriod(),
            attribution=WHO,
        )


# -- trekkerschap through the application ----------------------------------------------------------------
def g7(app: GovernanceApplication) -> None:
    for region in ("achterhoek", "centraal-gelderland", "regio-haarlemmermeer"):
        app.register_region(
            c.RegisterRegion(
                region=region, name=region.title(), principal="test", authority=EXTERNAL
            )
        )
    app.register_cooperation(
        c.RegisterCooperation(
            authority=EXTERNAL,
            cooperation="g7-gelderland",
            name="G7",
            cooperation_kind="netwerk",
            principal="test",
        )
    )
    for region in ("achterhoek", "centraal-gelderland"):
        app.admit_region_to_cooperation(
            c.AdmitRegionToCooperation(
                cooperation="g7-gelderland", region=region, principal="test", authority=EXTERNAL
            )
        )
    app.admit_region_to_cooperation(
        c.AdmitRegionToCooperation(
            authority=EXTERNAL,
            cooperation="g7-gelderland",
            region="regio-haarlemmermeer",
            participation="invited",
            principal="test",
        )
    )


def test_the_lead_region_must_be_a_member_of_the_cooperation(app: GovernanceApplication) -> None:
    g7(app)
    app.assign_lead(
        c.AssignLead(
            authority=EXTERNAL,
            agreement="g7-trekker-uha",
            cooperation="g7-gelderland",
            module=7,
            item="pilot UHA Gelderland",
            lead_region="achterhoek",
            principal="test",
        )
    )
    with pytest.raises(LeadNotMember) as error:
        app.assign_lead(
            c.AssignLead(
                authority=EXTERNAL,
                agreement="g7-trekker-x",
                cooperation="g7-gelderland",
                module=2,
                item="SEZ",
                lead_region="regio-haarlemmermeer",
                principal="test",
            )
        )
    assert str(error.value) == (
        "regio-haarlemmermeer is not a member of g7-gelderland from an unknown date (no end recorded) "
        "(members: achterhoek, centraal-gelderland) — the lead region (trekker) must be a member of the cooperation"
    )
    app.reassign_lead(
        c.ReassignLead(
            authority=EXTERNAL,
            agreement="g7-trekker-uha",
            lead_region="centraal-gelderland",
            principal="test",
        )
    )
    with pytest.raises(LeadNotMember):
        app.reassign_lead(
            c.ReassignLead(
                authority=EXTERNAL,
                agreement="g7-trekker-uha",
                lead_region="regio-haarlemmermeer",
                principal="test",
            )
        )


def test_an_agreement_slug_is_recorded_once(app: GovernanceApplication) -> None:
    g7(app)
    command = c.AssignLead(
        authority=EXTERNAL,
        agreement="g7-trekker-uha",
        cooperation="g7-gelderland",
        item="UHA",
        lead_region="achterhoek",
        principal="test",
    )
    app.assign_lead(command)
    with pytest.raises(DomainError, match="agreement 'g7-trekker-uha' is already registered"):
        app.assign_lead(command)
