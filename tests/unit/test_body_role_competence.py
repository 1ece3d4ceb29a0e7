"""A body's competence is judged by the role it had on the decision's date, not by its role today:
a body that advised then authorised nothing then, and one that decided then did, whatever it does now."""

from __future__ import annotations

import pytest

from domain.errors import IncompetentAuthority
from domain.registry import DecisionBody
from domain.values import (
    Authority,
    AuthorityKind,
    BodyRole,
    MunicipalOrgan,
    PartialDate,
    SubjectKind,
    SubjectRef,
)
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL

D = PartialDate.parse
WHO = {"principal": "test", "authority": EXTERNAL}
BODY = "bestuur-noord"


def by_body(decision_date: str) -> Authority:
    return Authority(
        kind=AuthorityKind.BODY,
        body=BODY,
        decision_date=D(decision_date),
        document=f"Besluitenlijst {decision_date}",
    )


def join(app: GovernanceApplication, municipality: str, decision_date: str) -> None:
    """Records a membership of noord, a decision concerning noord, authorised by the body."""
    app.handle(c.RegisterMunicipality(municipality=municipality, name=municipality, **WHO))
    app.handle(
        c.StartMembership(
            municipality=municipality,
            region="noord",
            valid_from=D("2020"),
            principal="test",
            authority=by_body(decision_date),
        )
    )


def body_with_roles(app: GovernanceApplication, registered: BodyRole, *changes) -> DecisionBody:
    app.handle(c.RegisterRegion(region="noord", name="Noord", **WHO))
    app.handle(
        c.RegisterDecisionBody(
            body=BODY,
            name="Bestuur Noord",
            of=SubjectRef(SubjectKind.REGION, "noord"),
            role=registered,
            **WHO,
        )
    )
    for role, valid_from, valid_until in changes:
        app.handle(
            c.ChangeBodyRole(
                body=BODY,
                role=role,
                valid_from=D(valid_from) if valid_from else PartialDate(),
                valid_until=D(valid_until) if valid_until else PartialDate(),
                **WHO,
            )
        )
    found: DecisionBody = app.get(DecisionBody, BODY)
    return found


def test_a_body_that_advises_now_authorised_what_it_decided_before_its_role_changed(app):
    body_with_roles(app, BodyRole.DECIDES, (BodyRole.ADVISES, "2025-01-01", None))
    join(app, "aa", "2024-06-01")
    with pytest.raises(IncompetentAuthority, match="'bestuur-noord' advises"):
        join(app, "bee", "2025-02-01")


def test_a_body_that_decides_now_authorised_nothing_while_it_only_advised(app):
    body_with_roles(app, BodyRole.ADVISES, (BodyRole.DECIDES, "2025-01-01", None))
    with pytest.raises(IncompetentAuthority, match="'bestuur-noord' advises"):
        join(app, "aa", "2024-06-01")
    join(app, "bee", "2025-02-01")


def test_a_role_held_for_a_period_applies_in_it_and_the_earlier_role_after_it(app):
    body_with_roles(app, BodyRole.DECIDES, (BodyRole.EXECUTES, "2024-01-01", "2024-12-31"))
    with pytest.raises(IncompetentAuthority, match="'bestuur-noord' executes"):
        join(app, "aa", "2024-06-01")
    join(app, "bee", "2025-06-01")
    join(app, "cee", "2023-06-01")


@pytest.mark.parametrize(
    ("day", "role"),
    [
        ("2019-06-01", BodyRole.DECIDES),
        ("2021-06-01", BodyRole.ALIGNS),
        ("2023-06-01", BodyRole.ADVISES),
        # Known only to the year of a change: the role taken up in it.
        ("2022", BodyRole.ADVISES),
        # Unknown: the role taken up last.
        ("", BodyRole.ADVISES),
    ],
)
def test_the_role_on_a_day_is_the_one_taken_up_last_by_then(app, day, role):
    body = body_with_roles(
        app,
        BodyRole.DECIDES,
        # Recorded out of order: the later change first.
        (BodyRole.ADVISES, "2022-03-01", None),
        (BodyRole.ALIGNS, "2020-01-01", None),
    )
    assert body.role_on(D(day) if day else PartialDate()) is role


def test_a_role_change_without_a_date_holds_from_when_the_record_knows_nothing_earlier(app):
    body = body_with_roles(app, BodyRole.DECIDES, (BodyRole.ADVISES, None, None))
    assert body.role_on(D("2010-01-01")) is BodyRole.ADVISES
    assert body.role is BodyRole.ADVISES


def test_a_corrected_role_change_no_longer_counts(app):
    body = body_with_roles(app, BodyRole.DECIDES, (BodyRole.ADVISES, "2025-01-01", None))
    app.handle(
        c.CorrectFact(
            aggregate_id=body.id, version=body.version, reason="never changed", principal="test"
        )
    )
    join(app, "aa", "2025-06-01")
    assert app.get(DecisionBody, BODY).role_on(D("2025-06-01")) is BodyRole.DECIDES


def by_college_of(municipality: str, decision_date: str) -> Authority:
    return Authority(
        kind=AuthorityKind.MUNICIPALITY,
        municipality=municipality,
        organ=MunicipalOrgan.COLLEGE,
        decision_date=D(decision_date),
        document=f"Collegebesluit {decision_date}",
    )


def test_a_municipality_decides_for_a_region_only_on_a_date_it_was_a_member(app):
    for region in ("noord", "zuid"):
        app.handle(c.RegisterRegion(region=region, name=region.title(), **WHO))
    app.handle(c.RegisterMunicipality(municipality="aa", name="Aa", **WHO))
    app.handle(
        c.StartMembership(municipality="aa", region="noord", valid_until=D("2019-12-31"), **WHO)
    )
    app.handle(c.RegisterMunicipality(municipality="bee", name="Bee", **WHO))

    def bee_joins_noord(decision_date: str) -> None:
        app.handle(
            c.StartMembership(
                municipality="bee",
                region="noord",
                membership_id=f"noord:bee:{decision_date}",
                valid_from=D(decision_date),
                valid_until=D(decision_date),
                principal="test",
                authority=by_college_of("aa", decision_date),
            )
        )

    bee_joins_noord("2018-06-01")  # aa was a member of noord then
    with pytest.raises(IncompetentAuthority, match="municipality 'aa'"):
        bee_joins_noord("2024-06-01")
