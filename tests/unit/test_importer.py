from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from domain.agreements import (
    AccountHoldership,
    Agreement,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.modules import MandateKind, ModuleCommitment
from domain.registry import (
    ConflictingClaims,
    Cooperation,
    DecisionBody,
    Municipality,
    Organisation,
    Region,
    SourceDocument,
    StructuralChange,
)
from domain.values import UNKNOWN_DATE, BodyRole, PartialDate, Participation, Precision, SubjectKind
from services import commands as c
from services.application import GovernanceApplication
from services.importer import (
    PRINCIPAL,
    ImportReport,
    claims_slug,
    import_governance_facts,
    load_facts,
)

FACTS = load_facts()


@pytest.fixture(scope="module")
def loaded() -> tuple[GovernanceApplication, ImportReport]:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return app, import_governance_facts(app)


@pytest.fixture(scope="module")
def app(loaded: tuple[GovernanceApplication, ImportReport]) -> GovernanceApplication:
    return loaded[0]


def test_the_package_ships_its_own_copy_of_the_facts() -> None:
    assert {
        "sources",
        "municipalities",
        "regions",
        "cooperations",
        "organisations",
        "bodies",
        "agreements",
        "claims_in_conflict",
        "changes",
    } <= set(FACTS)


def test_every_record_is_loaded(app: GovernanceApplication) -> None:
    for section, cls in [
        ("sources", SourceDocument),
        ("municipalities", Municipality),
        ("regions", Region),
        ("cooperations", Cooperation),
        ("organisations", Organisation),
        ("bodies", DecisionBody),
        ("changes", StructuralChange),
    ]:
        for record in FACTS[section]:
            assert app.exists(cls, record["id"]), (section, record["id"])
    for record in FACTS["agreements"]:
        if record["kind"] == "accounthouderschap":
            slug = AccountHoldership.account_slug(
                record["cooperation"], record["subject_organisation"], record["id"]
            )
            assert record["id"] in app.get(AccountHoldership, slug).terms
        else:
            assert app.exists(AgreementAggregate, record["id"]), record["id"]
    for region in FACTS["regions"]:
        for member in region["members"]:
            assert (
                f"{region['id']}:{member['municipality']}"
                in app.get(Municipality, member["municipality"]).memberships
            )


def test_every_claims_in_conflict_entry_is_kept_side_by_side(app: GovernanceApplication) -> None:
    for entry in FACTS["claims_in_conflict"]:
        claims = app.get(ConflictingClaims, claims_slug(entry))
        assert [(c.value, c.sources) for c in claims.claim_values] == [
            (claim["value"], (claim["src"],)) for claim in entry["claims"]
        ]
        assert claims.subject is None or claims.subject.slug == entry["subject"]


def test_a_second_import_records_nothing(
    loaded: tuple[GovernanceApplication, ImportReport],
) -> None:
    app, first = loaded
    before = app.recorder.max_notification_id()
    second = import_governance_facts(app)
    assert second.total_recorded == 0
    assert sum(second.skipped.values()) == first.total_recorded
    assert app.recorder.max_notification_id() == before


def test_an_imported_fact_once_corrected_is_not_imported_again() -> None:
    # Every service process runs the import when it starts: a fact it put back would undo the
    # correction on the next restart, unsaid (a membership corrected by a coordinator came back).
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    imported = [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=1, limit=1_000_000)
    ]
    corrected = 0
    for event in imported:
        if event.originator_version > 1 and event.principal == PRINCIPAL:
            app.handle(
                c.CorrectFact(
                    principal="admin:root",
                    aggregate_id=event.originator_id,
                    version=event.originator_version,
                    reason="wrongly read from the source",
                )
            )
            corrected += 1
    assert corrected > 100
    before = app.recorder.max_notification_id()
    again = import_governance_facts(app)
    assert dict(again.recorded) == {}
    assert app.recorder.max_notification_id() == before


def holder(
    app: GovernanceApplication, cooperation: str, organisation: str
) -> tuple[str | None, str | None]:
    term = app.get(AccountHoldership, f"{cooperation}:{organisation}").current_term()
    assert term is not None
    return term.holder_region, term.executing_municipality


def test_the_five_limburg_account_holderships(app: GovernanceApplication) -> None:
    assert holder(app, "nmz-limburg", "pactum") == ("noord-limburg", "venlo")
    assert holder(app, "nmz-limburg", "mutsaersstichting") == ("noord-limburg", "venlo")
    for organisation in ("xonar", "mondriaan", "bjz-limburg"):
        assert holder(app, "nmz-limburg", organisation) == ("zuid-limburg", "maastricht")


def test_the_three_g7_account_holderships(app: GovernanceApplication) -> None:
    assert holder(app, "g7-gelderland", "jeugdbescherming-gelderland") == (
        "centraal-gelderland",
        None,
    )
    assert holder(app, "g7-gelderland", "s-heeren-loo") == (None, "ermelo")
    assert holder(app, "g7-gelderland", "pactum") == (None, "arnhem")


def test_account_records_without_cooperation_or_organisation_keep_their_details(
    app: GovernanceApplication,
) -> None:
    nml = app.get(AccountHoldership, "unattributed:nml-landelijk-accounthouderschap-noord-limburg")
    assert (nml.cooperation, nml.organisation) == ("noord-midden-limburg", None)
    assert nml.history()[0].subject_count == 2
    nh = app.get(AccountHoldership, "unattributed:nh-accounthoudende-wethouders-gi")
    term = nh.terms["nh-accounthoudende-wethouders-gi"]
    assert (nh.cooperation, nh.organisation, term.holder_region, term.executing_municipality) == (
        None,
    ) * 4


def test_imported_facts_keep_sources_inferred_flags_unknown_dates_and_authority(
    app: GovernanceApplication,
) -> None:
    pactum = app.get(AccountHoldership, "nmz-limburg:pactum").history()[1]
    assert pactum.principal == PRINCIPAL
    assert pactum.provenance.sources == (
        "zuid-limburg-regiovisie-2024:L351",
        "zuid-limburg-regiovisie-2024:L349",
    )
    assert pactum.valid_from == UNKNOWN_DATE and pactum.valid_from.precision is Precision.UNKNOWN
    assert pactum.authority.document.startswith(
        "zuid-limburg-regiovisie-2024: Regiovisie op de governance"
    )
    beekdaelen = app.get(Municipality, "beekdaelen")
    assert beekdaelen.history()[0].provenance.inferred
    membership = beekdaelen.memberships["zuid-limburg:beekdaelen"]
    assert membership.period.valid_from == PartialDate.parse("2019-01-01")
    rob = app.get(Agreement, "rob-samenwerkingsovereenkomst").history()[0]
    assert rob.authority.body == "wethoudersoverleg-regio-nijmegen"


def test_roermonds_mandate_and_its_adoption_route(app: GovernanceApplication) -> None:
    mandate = app.get(ExpertiseCentreMandate, "nmz-expertisecentrum-mandaat-roermond")
    assert (mandate.holder_municipality, mandate.expertise_centre) == (
        "roermond",
        "expertisecentrum-limburg",
    )
    assert mandate.adoption_route is not None and len(mandate.adoption_route) == 4
    assert mandate.adoption_route[0].startswith("gemeente Roermond drafts")
    assert mandate.adoption_route[-1].startswith("gemeente Roermond adopts")
    assert mandate.annual_plan is True
    boeg = app.get(ExpertiseCentreMandate, "g7-boeg-mandaat-nijmegen")
    assert boeg.adoption_route is None and boeg.annual_plan is None


def test_the_zuid_limburg_opt_outs(app: GovernanceApplication) -> None:
    verwerving = app.get(JointProcurement, "zl-verwerving")
    assert [o.municipality for o in verwerving.opt_outs] == ["heerlen", "voerendaal", "landgraaf"]
    assert all("ambulant" in o.scope for o in verwerving.opt_outs)


def test_contract_terms_and_umbrella(app: GovernanceApplication) -> None:
    gikj = app.get(JointProcurement, "zl-gik-j")
    assert gikj.contract is not None and gikj.contract.term is not None
    assert gikj.contract.term.notation == "2,5+2+2+2+1" and str(gikj.contract.max_years) == "9.5"
    assert gikj.contract.start == PartialDate.parse("2022-07-01")
    assert gikj.history()[0].part_of == "zl-verwerving"
    crisis = app.get(JointProcurement, "zl-crisis")
    assert crisis.contract.term is None and crisis.contract.term_text.startswith(
        "extended by 2 years"
    )


def test_the_dijk_en_waard_merger(app: GovernanceApplication) -> None:
    for old in ("heerhugowaard", "langedijk"):
        municipality = app.get(Municipality, old)
        membership = municipality.memberships[f"noord-kennemerland:{old}"]
        assert membership.period.valid_until == PartialDate.parse("2021-12-31")
        assert (
            municipality.merger is not None
            and municipality.merger.successor_municipality == "dijk-en-waard"
        )
        assert municipality.merger.date == PartialDate.parse("2022-01-01")
        # The member row already ended the membership: the merger did not end it a second time.
        assert [type(e).__name__ for e in municipality.history()] == [
            "Registered",
            "MembershipStarted",
            "Merged",
        ]
    successor = app.get(Municipality, "dijk-en-waard")
    assert list(successor.memberships) == ["noord-kennemerland:dijk-en-waard"]
    assert successor.memberships[
        "noord-kennemerland:dijk-en-waard"
    ].period.valid_from == PartialDate.parse("2022-01-01")
    assert app.get(StructuralChange, "change-dijk-en-waard-2022").date == PartialDate.parse(
        "2022-01-01"
    )


def test_wijchens_partial_membership(app: GovernanceApplication) -> None:
    wijchen = app.get(Municipality, "wijchen").memberships["regio-nijmegen:wijchen"]
    assert wijchen.scope is not None and wijchen.scope.startswith("Partial.")
    kinds = {
        app.get(StructuralChange, c).change_kind
        for c in ("change-wijchen-partial-exit-2018", "change-wijchen-return-2021")
    }
    assert kinds == {"partial-withdrawal", "stepwise-return"}


def test_cooperation_participants_and_bodies(app: GovernanceApplication) -> None:
    jbjr = app.get(Cooperation, "jbjr")
    assert jbjr.participants["westfriesland"].participation is Participation.ASSOCIATED
    assert jbjr.participants["gooi-en-vechtstreek"].participation is Participation.INVITED
    assert jbjr.members_on(app.get(Cooperation, "jbjr").participants["ijmond"].period) == {
        "kop-van-noord-holland",
        "ijmond",
        "noord-kennemerland",
        "zuid-kennemerland",
    }
    assert app.get(DecisionBody, "nmz-bestuurlijk-overleg").role is BodyRole.ALIGNS
    assert app.get(DecisionBody, "g16zlb").decides


def test_the_g7_leads_are_members(app: GovernanceApplication) -> None:
    leads = {r["id"]: r["lead_region"] for r in FACTS["agreements"] if r["kind"] == "trekkerschap"}
    assert len(leads) == 5
    for slug, region in leads.items():
        assert app.get(Trekkerschap, slug).lead_region == region


def test_the_kinds_of_agreement_are_all_recorded(app: GovernanceApplication) -> None:
    kinds = Counter(
        app.get(AgreementAggregate, r["id"]).kind_of_agreement
        for r in FACTS["agreements"]
        if r["kind"] != "accounthouderschap"
    )
    assert set(kinds) == {r["kind"] for r in FACTS["agreements"]} - {"accounthouderschap"}
    tariff = app.get(Agreement, "nw4-tariefproces-gi")
    assert len(tariff.milestones) == 4 and tariff.milestones[0].date.precision is Precision.MONTH


def test_subjects_of_changes_and_claims_resolve_to_their_kind(app: GovernanceApplication) -> None:
    assert (
        app.get(StructuralChange, "change-vng-accounthoudende-regios-2017")
        .history()[0]
        .subject.kind
        is SubjectKind.ORGANISATION
    )
    undated = app.get(StructuralChange, "change-nl-cooperation-principle")
    assert undated.date == UNKNOWN_DATE
    assert undated.history()[0].valid_from.earliest == date.min


def test_the_g7_module_commitments_lack_both_mandates(app: GovernanceApplication) -> None:
    # The sources name commitments to modules 1-3 but no region's mandate for content or costs.
    day = date(2021, 6, 1)
    for module in (1, 2, 3):
        for region in ("regio-nijmegen", "achterhoek", "centraal-gelderland"):
            place = app.get(ModuleCommitment, f"g7-gelderland:m{module}:{region}")
            assert place.has_commitment()
            assert place.lacks(day) == (MandateKind.CONTENT, MandateKind.COSTS)
            assert not place.counts_on(day)
    sez = app.get(ModuleCommitment, "g7-gelderland:m2:achterhoek")
    assert sez.content is not None and "Jeugdbescherming Gelderland" in sez.content
    [_opened, committed] = sez.history()
    assert committed.provenance.sources == ("nijmegen-regiobeeld-2021:L673",)
    assert not committed.provenance.inferred
    hic = app.get(ModuleCommitment, "g7-gelderland:m1:achterhoek").history()[-1]
    assert hic.provenance.inferred and "all seven" in (hic.provenance.inferred_note or "")
    assert not app.exists(ModuleCommitment, "g7-gelderland:m4:achterhoek")
