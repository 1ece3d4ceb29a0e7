"""Who may record what: the scope rule for coordinators, on the real governance facts (in memory)."""

from __future__ import annotations

import pytest

from domain.values import PartialDate, PlanRef
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


def test_a_cooperation_decides_whichever_region_it_names(facts) -> None:
    admit = c.AdmitRegionToCooperation(
        authority=EXTERNAL,
        cooperation="g7-gelderland", region="zuid-limburg", principal="x"
    )
    authorise_command(G7, admit, facts)
    with pytest.raises(NotAuthorised):
        authorise_command(NMZ, admit, facts)


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
    opt_out = c.StartMembership(municipality="wijchen", region="regio-nijmegen", principal="x", authority=EXTERNAL)
    authorise_command(NIJMEGEN, opt_out, facts)
    # regio Nijmegen takes part in G7 Gelderland, so its coordinators may record there too
    authorise_command(G7, opt_out, facts)
    elsewhere = c.StartMembership(municipality="venlo", region="noord-limburg", principal="x", authority=EXTERNAL)
    with pytest.raises(NotAuthorised, match="does not coordinate noord-limburg"):
        authorise_command(G7, elsewhere, facts)


def test_facts_outside_any_cooperation_or_region_are_for_admins(facts) -> None:
    municipality = c.RegisterMunicipality(municipality="nieuwstad", name="Nieuwstad", principal="x", authority=EXTERNAL)
    with pytest.raises(NotAuthorised, match="only an admin"):
        authorise_command(G7, municipality, facts)
    authorise_command(Principal(name="root", role=Role.ADMIN), municipality, facts)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REGION_SYSTEM])
def test_auditors_and_region_systems_record_nothing(facts, role: Role) -> None:
    reader = Principal(
        name="r", role=role, cooperations=("nmz-limburg",), regions=("zuid-limburg",)
    )
    with pytest.raises(NotAuthorised, match="records nothing"):
        authorise_command(reader, TRANSFER_NMZ, facts)


def test_the_principal_is_named_by_role_and_name() -> None:
    assert G7.id == "coordinator:alice"
