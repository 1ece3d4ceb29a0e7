from __future__ import annotations

import msgspec
import pytest

from domain.agreements import AccountHoldership
from domain.concerns import Concerns
from domain.errors import NotCorrectable, OverlappingAccountHolder, Retracted, UnknownReference
from domain.events import describe
from domain.registry import Municipality
from domain.values import UNKNOWN_DATE, Authority, PartialDate, Provenance, SubjectKind, ValidPeriod
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL

D = PartialDate.parse


def limburg(app: GovernanceApplication) -> None:
    for command in (
        c.RegisterCooperation(
            authority=EXTERNAL,
            cooperation="nmz-limburg",
            name="NMZ Limburg",
            cooperation_kind="bestuurlijk-overleg",
            principal="test",
        ),
        c.RegisterOrganisation(
            authority=EXTERNAL,
            organisation="pactum",
            name="Pactum",
            organisation_kind="zorgaanbieder",
            principal="test",
        ),
        c.RegisterRegion(
            region="noord-limburg", name="Noord-Limburg", principal="test", authority=EXTERNAL
        ),
        c.RegisterRegion(
            region="zuid-limburg", name="Zuid-Limburg", principal="test", authority=EXTERNAL
        ),
        c.RegisterMunicipality(
            municipality="venlo", name="Venlo", principal="test", authority=EXTERNAL
        ),
        c.RegisterMunicipality(
            municipality="maastricht", name="Maastricht", principal="test", authority=EXTERNAL
        ),
    ):
        app.handle(command)


ASSIGN = c.AssignAccountHoldership(
    agreement="nmz-accounthouder-pactum",
    cooperation="nmz-limburg",
    organisation="pactum",
    holder_region="noord-limburg",
    executing_municipality="venlo",
    valid_from=D("2018-01-01"),
    principal="coordinator:alice",
    authority=Authority(
        body="nmz-bestuurlijk-overleg", decision_date=D("2017-12"), document="verslag NMZ"
    ),
    provenance=Provenance(sources=("zuid-limburg-regiovisie-2024:L351",)),
)


def test_the_second_holder_error_names_rule_and_conflicting_fact(
    app: GovernanceApplication,
) -> None:
    limburg(app)
    app.assign_account_holdership(ASSIGN)
    with pytest.raises(OverlappingAccountHolder) as error:
        app.assign_account_holdership(
            c.AssignAccountHoldership(
                authority=EXTERNAL,
                agreement="other",
                cooperation="nmz-limburg",
                organisation="pactum",
                holder_region="zuid-limburg",
                executing_municipality="maastricht",
                principal="coordinator:bob",
            )
        )
    assert str(error.value).startswith(
        "Pactum already has account holder Noord-Limburg (via Venlo) in NMZ Limburg from 2018-01-01"
    )
    assert str(error.value).endswith(
        "at most one holder per cooperation and organisation at a time"
    )


def test_transfer_and_end_through_the_application(app: GovernanceApplication) -> None:
    limburg(app)
    app.assign_account_holdership(ASSIGN)
    app.transfer_account_holdership(
        c.TransferAccountHoldership(
            authority=EXTERNAL,
            cooperation="nmz-limburg",
            organisation="pactum",
            agreement="pactum-2025",
            holder_region="zuid-limburg",
            executing_municipality="maastricht",
            handover=D("2025-01-01"),
            principal="coordinator:alice",
        )
    )
    app.end_account_holdership(
        c.EndAccountHoldership(
            authority=EXTERNAL,
            cooperation="nmz-limburg",
            organisation="pactum",
            valid_until=D("2026-06-30"),
            principal="coordinator:alice",
        )
    )
    account = app.get(AccountHoldership, "nmz-limburg:pactum")
    assert account.terms["nmz-accounthouder-pactum"].period == ValidPeriod(
        D("2018-01-01"), D("2024-12-31")
    )
    assert account.terms["pactum-2025"].period == ValidPeriod(D("2025-01-01"), D("2026-06-30"))
    with pytest.raises(UnknownReference, match="pactum has no account holdership in g7-gelderland"):
        app.end_account_holdership(
            c.EndAccountHoldership(
                authority=EXTERNAL,
                cooperation="g7-gelderland",
                organisation="pactum",
                valid_until=D("2026"),
                principal="x",
            )
        )


def test_commands_naming_unregistered_things_are_refused(app: GovernanceApplication) -> None:
    limburg(app)
    with pytest.raises(UnknownReference, match="region 'noord-limbrug' is not registered"):
        app.handle(
            c.StartMembership(
                municipality="venlo", region="noord-limbrug", principal="test", authority=EXTERNAL
            )
        )
    with pytest.raises(UnknownReference, match="organisation 'mondriaan' is not registered"):
        app.handle(
            c.AssignAccountHoldership(
                authority=EXTERNAL,
                agreement="x",
                cooperation="nmz-limburg",
                organisation="mondriaan",
                principal="test",
            )
        )


def test_events_carry_authority_principal_provenance_and_valid_time(
    app: GovernanceApplication,
) -> None:
    limburg(app)
    app.assign_account_holdership(ASSIGN)
    assigned = app.repository.get(AccountHoldership.id_for("nmz-limburg:pactum")).history()[-1]
    assert assigned.principal == "coordinator:alice"
    assert assigned.authority == ASSIGN.authority
    assert assigned.provenance.sources == ("zuid-limburg-regiovisie-2024:L351",)
    assert (assigned.valid_from, assigned.valid_until) == (D("2018-01-01"), UNKNOWN_DATE)


def test_a_correction_names_what_it_corrects_and_the_fact_stops_counting(
    app: GovernanceApplication,
) -> None:
    limburg(app)
    app.handle(
        c.StartMembership(
            municipality="venlo", region="zuid-limburg", principal="test", authority=EXTERNAL
        )
    )
    venlo = app.get(Municipality, "venlo")
    app.correct_fact(
        c.CorrectFact(
            aggregate_id=venlo.id,
            version=2,
            reason="Venlo is in Noord-Limburg",
            principal="coordinator:alice",
        )
    )
    venlo = app.get(Municipality, "venlo")
    assert venlo.memberships == {}
    correction = venlo.history()[-1]
    assert (correction.corrects_id, correction.corrects_version, correction.reason) == (
        venlo.id,
        2,
        "Venlo is in Noord-Limburg",
    )
    assert correction.corrected_concerns == Concerns(
        regions=("zuid-limburg",), municipalities=("venlo",)
    )
    assert [type(e).__name__ for e in venlo.history()] == [
        "Registered",
        "MembershipStarted",
        "FactCorrected",
    ]
    app.handle(
        c.StartMembership(
            municipality="venlo", region="noord-limburg", principal="test", authority=EXTERNAL
        )
    )
    with pytest.raises(
        NotCorrectable, match="version 2 of municipality venlo was already corrected"
    ):
        app.correct_fact(
            c.CorrectFact(aggregate_id=venlo.id, version=2, reason="again", principal="x")
        )
    with pytest.raises(NotCorrectable, match="is itself a correction"):
        app.correct_fact(
            c.CorrectFact(aggregate_id=venlo.id, version=3, reason="undo", principal="x")
        )
    with pytest.raises(NotCorrectable, match="has no version 9"):
        app.correct_fact(c.CorrectFact(aggregate_id=venlo.id, version=9, reason="?", principal="x"))


def test_a_retracted_registration_takes_no_further_facts(app: GovernanceApplication) -> None:
    limburg(app)
    app.correct_fact(
        c.CorrectFact(
            aggregate_id=Municipality.id_for("maastricht"),
            version=1,
            reason="duplicate",
            principal="x",
        )
    )
    with pytest.raises(Retracted, match="municipality maastricht was retracted"):
        app.handle(
            c.StartMembership(
                municipality="maastricht",
                region="zuid-limburg",
                principal="test",
                authority=EXTERNAL,
            )
        )


def test_commands_decode_from_json_as_an_api_would(app: GovernanceApplication) -> None:
    limburg(app)
    body = b"""{"agreement": "nmz-accounthouder-pactum", "cooperation": "nmz-limburg", "organisation": "pactum",
               "holder_region": "noord-limburg", "executing_municipality": "venlo",
               "valid_from": {"value": "2018-01-01", "precision": "day"}, "principal": "coordinator:alice",
               "authority": {"kind": "external", "external": "Ministerie van VWS", "document": "Kamerbrief",
                             "decision_date": {"value": "2017-12-01", "precision": "month"}}}"""
    command = msgspec.json.decode(body, type=c.AssignAccountHoldership)
    assert app.handle(command).aggregate_id == AccountHoldership.id_for("nmz-limburg:pactum")


def test_describe_names_aggregate_slug_and_what_an_event_concerns(
    app: GovernanceApplication,
) -> None:
    limburg(app)
    app.assign_account_holdership(ASSIGN)
    opened, assigned = app.get(AccountHoldership, "nmz-limburg:pactum").history()
    info = describe(assigned)
    assert (info.event_name, info.aggregate_kind, info.slug) == (
        "HolderAssigned",
        SubjectKind.ACCOUNT,
        "nmz-limburg:pactum",
    )
    assert info.concerns == Concerns(
        regions=("noord-limburg",),
        cooperations=("nmz-limburg",),
        organisations=("pactum",),
        municipalities=("venlo",),
    )
    assert describe(opened).concerns.regions == ()
