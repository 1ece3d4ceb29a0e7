"""Who may record what: the scope rule for coordinators, on the real governance facts (in memory)."""

from __future__ import annotations

import msgspec
import pytest

from domain.agreements import AgreementAggregate
from domain.registry import Cooperation, Municipality
from domain.values import ChangeKind, PartialDate, PlanRef, SubjectKind, SubjectRef
from services import commands as c
from services.application import GovernanceApplication
from services.authorisation import NotAuthorised, Principal, Role, authorise_command, touched
from services.importer import import_governance_facts
from tests.authorities import EXTERNAL

D = PartialDate.parse
G7 = Principal(name="alice", role=Role.COORDINATOR, cooperations=("g7-gelderland",))
NMZ = Principal(name="bob", role=Role.COORDINATOR, cooperations=("nmz-limburg",))
NIJMEGEN = Principal(name="carol", role=Role.COORDINATOR, regions=("regio-nijmegen",))


@pytest.fixture(scope="module")
def facts() -> GovernanceApplication:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    return app


TRANSFER_NMZ = c.TransferAccountHoldership(
    authority=EXTERNAL,
    cooperation="nmz-limburg",
    organisation="pactum",
    agreement="nmz-pactum-2027",
    handover=D("2027-01-01"),
    holder_region="zuid-limburg",
    principal="x",
)


def test_a_coordinator_of_g7_gelderland_cannot_record_in_nmz_limburg(facts) -> None:
    with pytest.raises(NotAuthorised, match="coordinates g7-gelderland, not nmz-limburg"):
        authorise_command(G7, TRANSFER_NMZ, facts)
    authorise_command(NMZ, TRANSFER_NMZ, facts)


def test_a_cooperation_decides_only_for_the_regions_that_take_part_in_it(facts) -> None:
    lead = c.AssignLead(
        authority=EXTERNAL,
        agreement="g7-lead-elsewhere",
        cooperation="g7-gelderland",
        item="inkoop",
        lead_region="achterhoek",
        principal="x",
    )
    authorise_command(G7, lead, facts)
    with pytest.raises(NotAuthorised):
        authorise_command(NMZ, lead, facts)
    # Zuid-Limburg takes no part in G7 Gelderland: its coordinator may not make it a holder there,
    # nor may a coordinator of both cooperations carry Zuid-Limburg over from NMZ Limburg.
    account = c.AssignAccountHoldership(
        authority=EXTERNAL,
        agreement="g7-account-elsewhere",
        cooperation="g7-gelderland",
        organisation="koraalgroep",
        holder_region="zuid-limburg",
        principal="x",
    )
    both = Principal(name="d", role=Role.COORDINATOR, cooperations=("g7-gelderland", "nmz-limburg"))
    for coordinator in (G7, both):
        with pytest.raises(NotAuthorised, match="does not coordinate zuid-limburg"):
            authorise_command(coordinator, account, facts)


@pytest.mark.parametrize(
    "command",
    [
        c.AdmitRegionToCooperation(
            authority=EXTERNAL,
            cooperation="g7-gelderland",
            region="amsterdam-amstelland",
            principal="x",
        ),
        c.InvolveOrganisationInCooperation(
            authority=EXTERNAL, cooperation="g7-gelderland", organisation="pactum", principal="x"
        ),
        c.RegisterRegion(authority=EXTERNAL, region="nieuw", name="Nieuw", principal="x"),
    ],
    ids=type,
)
def test_changing_who_takes_part_in_a_cooperation_is_for_admins(facts, command) -> None:
    with pytest.raises(NotAuthorised, match="is for admins"):
        authorise_command(G7, command, facts)
    authorise_command(Principal(name="root", role=Role.ADMIN), command, facts)


def test_a_command_on_an_existing_agreement_is_scoped_by_what_the_agreement_concerns(facts) -> None:
    step = c.RecordPlanStep(
        authority=EXTERNAL,
        agreement="nmz-expertisecentrum-mandaat-roermond",
        plan=PlanRef(plan_kind="jaarplan", year=2027),
        step_number=1,
        principal="x",
    )
    assert "nmz-limburg" in touched(step, facts).cooperations
    authorise_command(NMZ, step, facts)
    with pytest.raises(NotAuthorised, match="not nmz-limburg"):
        authorise_command(G7, step, facts)


def test_without_a_cooperation_a_coordinator_records_only_in_their_regions(facts) -> None:
    opt_out = c.StartMembership(
        municipality="wijchen", region="regio-nijmegen", principal="x", authority=EXTERNAL
    )
    authorise_command(NIJMEGEN, opt_out, facts)
    # regio Nijmegen takes part in G7 Gelderland, so its coordinators may record there too
    authorise_command(G7, opt_out, facts)
    elsewhere = c.StartMembership(
        municipality="venlo", region="noord-limburg", principal="x", authority=EXTERNAL
    )
    with pytest.raises(NotAuthorised, match="does not coordinate noord-limburg"):
        authorise_command(G7, elsewhere, facts)


def test_facts_outside_any_cooperation_or_region_are_for_admins(facts) -> None:
    municipality = c.RegisterMunicipality(
        municipality="nieuwstad", name="Nieuwstad", principal="x", authority=EXTERNAL
    )
    with pytest.raises(NotAuthorised, match="for admins"):
        authorise_command(G7, municipality, facts)
    authorise_command(Principal(name="root", role=Role.ADMIN), municipality, facts)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REGION_SYSTEM])
def test_auditors_and_region_systems_record_nothing(facts, role: Role) -> None:
    reader = Principal(
        name="r", role=role, cooperations=("nmz-limburg",), regions=("zuid-limburg",)
    )
    with pytest.raises(NotAuthorised, match="records nothing"):
        authorise_command(reader, TRANSFER_NMZ, facts)


def test_the_principal_is_named_by_role_name_and_token() -> None:
    assert G7.id == "coordinator:alice"  # no token: the importer, or a test
    holder = Principal(name="alice", role=Role.COORDINATOR, token_id="3f0c1a2b3c4d")
    assert holder.id == "coordinator:alice#3f0c1a2b3c4d"


def test_a_coordinator_may_not_retract_a_cooperations_registration(facts) -> None:
    registration = c.CorrectFact(
        aggregate_id=Cooperation.id_for("g7-gelderland"), version=1, reason="x", principal="x"
    )
    with pytest.raises(NotAuthorised, match="registry fact"):
        authorise_command(G7, registration, facts)
    authorise_command(Principal(name="root", role=Role.ADMIN), registration, facts)


def test_a_coordinator_corrects_facts_of_their_own_agreements_only(facts) -> None:
    agreement = facts.get(AgreementAggregate, "nmz-expertisecentrum-mandaat-roermond")
    correction = c.CorrectFact(aggregate_id=agreement.id, version=1, reason="x", principal="x")
    authorise_command(NMZ, correction, facts)
    with pytest.raises(NotAuthorised, match="not nmz-limburg"):
        authorise_command(G7, correction, facts)


def test_a_coordinator_corrects_a_membership_in_their_region_but_not_the_registration(
    facts,
) -> None:
    wijchen = Municipality.id_for("wijchen")  # v1 registered, v2 joins regio Nijmegen
    membership = c.CorrectFact(aggregate_id=wijchen, version=2, reason="x", principal="x")
    authorise_command(NIJMEGEN, membership, facts)
    registration = c.CorrectFact(aggregate_id=wijchen, version=1, reason="x", principal="x")
    with pytest.raises(NotAuthorised, match="registry fact"):
        authorise_command(NIJMEGEN, registration, facts)


def test_a_municipality_of_a_region_outside_the_cooperation_is_outside_its_decisions(facts) -> None:
    mandate = c.GrantExpertiseCentreMandate(
        authority=EXTERNAL,
        agreement="g7-mandate-elsewhere",
        cooperation="g7-gelderland",
        holder_municipality="maastricht",  # of Zuid-Limburg, which takes no part in G7
        expertise_centre="koraalgroep",
        principal="x",
    )
    with pytest.raises(NotAuthorised, match="does not coordinate zuid-limburg"):
        authorise_command(G7, mandate, facts)
    authorise_command(G7, msgspec.structs.replace(mandate, holder_municipality="nijmegen"), facts)
    # a municipality's regions never widen the scope: a change about Wijchen alone stays for admins
    change = c.RecordStructuralChange(
        authority=EXTERNAL,
        change="wijchen-elsewhere",
        change_kind=ChangeKind.PARTIAL_WITHDRAWAL,
        subject=SubjectRef(SubjectKind.MUNICIPALITY, "wijchen"),
        principal="x",
    )
    with pytest.raises(NotAuthorised, match="only an admin"):
        authorise_command(NIJMEGEN, change, facts)
