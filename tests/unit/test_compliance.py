"""Norms and assessments in the domain: the closed set of verdicts, a verdict history that never
rewrites, remarks beside a verdict, who may record what, and which region's feed hears of it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.accountability import Deadline, Owner, OwnerKind
from domain.audience import Audience
from domain.compliance import (
    ComplianceAssessment,
    NormFramework,
    NormRequirement,
    RequiredAction,
    Standing,
    Verdict,
)
from domain.errors import InvalidValue, UnknownReference
from domain.values import Attribution, PartialDate, SubjectKind, SubjectRef, ValidPeriod
from services import commands as c
from services.application import GovernanceApplication
from services.authorisation import NotAuthorised, Principal, Role, authorise_command
from tests.authorities import EXTERNAL

WHO = Attribution(principal="test", authority=EXTERNAL)
NOORD = SubjectRef(SubjectKind.REGION, "noord-limburg")


def _norm(**links: tuple[str, ...]) -> NormRequirement:
    return NormRequirement.register(
        norm="kamerbrief-r1-2g",
        framework=NormFramework.KAMERBRIEF,
        code="R1.2g",
        theme="1. Gemeenten verstevigen hun opdrachtgeverschap door regionale samenwerking",
        title="Aanpak wachtlijstbeheer",
        text="",
        sub_items=(),
        duplicate_of=links.get("duplicate_of", ()),
        relates_to=links.get("relates_to", ()),
        period=ValidPeriod(),
        attribution=WHO,
    )


def _assess(assessment: ComplianceAssessment, verdict: Verdict, day: date) -> None:
    assessment.assess(
        verdict=verdict,
        verdict_as_written=str(verdict),
        explanation="",
        assessed_by=NOORD,
        assessed_on=PartialDate.day(day),
        action=RequiredAction(
            owner=Owner(kind=OwnerKind.WORKGROUP, name="Werkgroep wachtlijsten"),
            target=Deadline(notation="2022"),
        ),
        attribution=WHO,
    )


def _assessment() -> ComplianceAssessment:
    return ComplianceAssessment.open(
        norm="kamerbrief-r1-2g", region="noord-limburg", attribution=WHO
    )


def test_the_verdicts_keep_no_apart_from_not_known_not_applicable_unreadable_and_empty() -> None:
    assert len({*Verdict}) == 9
    assert Verdict.NEE.standing is Standing.VOLDOET_NIET
    assert Verdict.NOG_NIET.standing is Standing.VOLDOET_NIET
    assert Verdict.NIET_VAN_TOEPASSING.standing is Standing.VOLDOET
    uncertain = {v for v in Verdict if v.standing is Standing.ONZEKER}
    assert uncertain == {
        Verdict.LIJKT_TE_VOLDOEN,
        Verdict.ONBEKEND,
        Verdict.ONLEESBAAR,
        Verdict.LEEG,
    }


def test_a_norm_does_not_link_to_itself() -> None:
    with pytest.raises(InvalidValue):
        _norm(duplicate_of=("kamerbrief-r1-2g",))


def test_the_verdict_on_a_day_is_the_latest_assessed_by_then() -> None:
    assessment = _assessment()
    _assess(assessment, Verdict.NEE, date(2020, 5, 1))
    _assess(assessment, Verdict.JA, date(2023, 3, 1))
    _assess(assessment, Verdict.GEDEELTELIJK, date(2022, 1, 1))  # recorded late, assessed earlier
    verdict_on = assessment.verdict_on
    assert verdict_on(PartialDate.parse("2019")) is None
    assert verdict_on(PartialDate.parse("2021-06-01")).verdict is Verdict.NEE  # type: ignore[union-attr]
    assert verdict_on(PartialDate.parse("2022-06-01")).verdict is Verdict.GEDEELTELIJK  # type: ignore[union-attr]
    assert verdict_on(PartialDate.parse("2024-01-01")).verdict is Verdict.JA  # type: ignore[union-attr]


def test_an_assessment_is_made_by_a_region_or_a_body() -> None:
    with pytest.raises(InvalidValue):
        _assessment().assess(
            verdict=Verdict.JA,
            verdict_as_written="Ja",
            explanation="",
            assessed_by=SubjectRef(SubjectKind.MUNICIPALITY, "venlo"),
            assessed_on=PartialDate.parse("2020"),
            action=RequiredAction(),
            attribution=WHO,
        )


def test_a_remark_changes_no_verdict_and_names_a_verdict_that_exists() -> None:
    assessment = _assessment()
    _assess(assessment, Verdict.NEE, date(2020, 5, 1))
    before = list(assessment.verdicts)
    assessment.annotate(reviewer="Monique", remark="klopt dit?", on_version=2, attribution=WHO)
    assert assessment.verdicts == before and assessment.has_annotation("Monique", "klopt dit?")
    with pytest.raises(UnknownReference):
        assessment.annotate(reviewer="Claudia", remark="?", on_version=9, attribution=WHO)


verdict_sequences = st.lists(
    st.tuples(st.sampled_from(list(Verdict)), st.integers(0, 2000)), min_size=1, max_size=8
)


@settings(max_examples=40, deadline=None)
@given(sequence=verdict_sequences)
def test_any_sequence_of_verdicts_reads_back_in_order_and_never_rewrites(sequence) -> None:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assessment = _assessment()
    app.save(assessment)
    seen = []
    for verdict, offset in sequence:
        assessment = app.repository.get(assessment.id)
        _assess(assessment, verdict, date(2020, 1, 1) + timedelta(days=offset))
        app.save(assessment)
        stored = app.repository.get(assessment.id).verdicts
        assert stored[: len(seen)] == seen  # the earlier verdicts are as they were recorded
        seen = list(stored)
    assert [(v.verdict, v.assessed_on.value) for v in seen] == [
        (verdict, date(2020, 1, 1) + timedelta(days=offset)) for verdict, offset in sequence
    ]
    assert [v.version for v in seen] == list(range(2, len(sequence) + 2))


def test_a_corrected_verdict_no_longer_counts_and_the_versions_stay() -> None:
    assessment = _assessment()
    _assess(assessment, Verdict.NEE, date(2020, 5, 1))
    _assess(assessment, Verdict.JA, date(2023, 3, 1))
    _assess(assessment, Verdict.NOG_NIET, date(2023, 4, 1))
    assessment.correct(version=3, reason="wrong region", attribution=WHO)
    assert [(v.version, v.verdict) for v in assessment.verdicts] == [
        (2, Verdict.NEE),
        (4, Verdict.NOG_NIET),
    ]
    _assess(assessment, Verdict.GEDEELTELIJK, date(2023, 5, 1))
    assert [v.version for v in assessment.verdicts] == [2, 4, 6]


def test_an_assessment_reaches_the_assessed_regions_feed_only() -> None:
    assessment = _assessment()
    _assess(assessment, Verdict.NEE, date(2020, 5, 1))
    audience = Audience()
    opened, assessed = assessment.collect_events()
    assert audience.regions_concerned(opened) == {"noord-limburg"}
    assert audience.regions_concerned(assessed) == {"noord-limburg"}


def _record(region: str) -> c.RecordAssessment:
    return c.RecordAssessment(
        principal="coordinator:x",
        authority=EXTERNAL,
        norm="kamerbrief-r1-2g",
        region=region,
        verdict=Verdict.JA,
        assessed_by=SubjectRef(SubjectKind.REGION, region),
    )


def test_a_coordinator_records_verdicts_of_their_own_region_and_no_norms() -> None:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    noord = Principal(name="x", role=Role.COORDINATOR, regions=("noord-limburg",))
    authorise_command(noord, _record("noord-limburg"), app)
    with pytest.raises(NotAuthorised, match="midden-limburg-west"):
        authorise_command(noord, _record("midden-limburg-west"), app)
    register = c.RegisterNorm(
        principal="coordinator:x",
        authority=EXTERNAL,
        norm="kamerbrief-r9-9",
        framework=NormFramework.KAMERBRIEF,
        code="R9.9",
        title="Een norm",
    )
    with pytest.raises(NotAuthorised, match="admins"):
        authorise_command(noord, register, app)
