"""Valid time and record time: what the maps say `as_of` a day, as it was known at a moment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from domain.agreements import AccountHoldership
from domain.values import PartialDate, SubjectKind
from projections.queries import GovernanceMaps
from projections.runner import ProjectionRunner
from services import commands as c
from services.application import GovernanceApplication
from tests.integration.projections.scenario import attribution, build_world, transfer_account

TODAY = date.today()
NEXT_MONTH = TODAY + timedelta(days=31)


@pytest.fixture
def app(nats_env: dict[str, str]) -> Iterator[GovernanceApplication]:
    app = GovernanceApplication(env=nats_env)
    yield app
    app.close()


@pytest.fixture
def runner(app: GovernanceApplication, engine: Engine) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(app, engine)
    runner.start()
    yield runner
    runner.stop()


def settled(app: GovernanceApplication, runner: ProjectionRunner) -> None:
    head = app.recorder.max_notification_id()
    assert head is not None and runner.wait_until(head)


def account_holder(
    maps: GovernanceMaps, s: dict[str, str], **when: object
) -> tuple[str | None, ...]:
    (role,) = [
        r
        for r in maps.organisation_view(s["organisation"], **when).account_holders  # type: ignore[arg-type]
    ]
    return role.holder_region.slug, role.holder_municipality.slug  # type: ignore[union-attr]


def test_a_transfer_recorded_today_valid_next_month(
    app: GovernanceApplication, runner: ProjectionRunner, engine: Engine
) -> None:
    maps = GovernanceMaps(engine)
    s = build_world(app)
    settled(app, runner)
    before_recording = datetime.now(UTC)
    transfer_account(app, s, NEXT_MONTH, "accounthouder-west")
    settled(app, runner)

    assert account_holder(maps, s, as_of=TODAY) == (s["region_a"], s["municipality_a"])
    assert account_holder(maps, s, as_of=NEXT_MONTH) == (s["region_b"], s["municipality_b"])
    # The old term now ends the day before the handover; the cooperation map shows both in their time.
    terms = maps.cooperation_map(s["cooperation"], as_of=TODAY).roles
    (old,) = [r for r in terms if r.role == "account-holder"]
    assert old.valid_until == PartialDate.day(NEXT_MONTH - timedelta(days=1)) and old.certain

    # Known a moment before the recording: neither the transfer nor its record.
    assert account_holder(maps, s, as_of=NEXT_MONTH, known_at=before_recording) == (
        s["region_a"],
        s["municipality_a"],
    )
    (then,) = maps.organisation_view(
        s["organisation"], as_of=NEXT_MONTH, known_at=before_recording
    ).account_holders
    assert not then.valid_until.is_known
    events = [e.event for e in maps.history(SubjectKind.ORGANISATION, s["organisation"])]
    assert events[-1] == "AccountHoldership.HolderTransferred"
    earlier = maps.history(SubjectKind.ORGANISATION, s["organisation"], known_at=before_recording)
    assert "AccountHoldership.HolderTransferred" not in [e.event for e in earlier]
    # The region maps agree: the role moves from one region to the other next month.
    assert [r.role for r in maps.region_map(s["region_b"], as_of=NEXT_MONTH).roles] == [
        "account-holder"
    ]
    assert [r.role for r in maps.region_map(s["region_b"], as_of=TODAY).roles] == []
    towards = maps.region_map(s["region_b"], as_of=TODAY).roles_towards
    assert {(r.role, r.holder_region.slug) for r in towards} == {  # type: ignore[union-attr]
        ("account-holder", s["region_a"]),
        ("lead", s["region_a"]),
    }


def test_before_anything_was_recorded_nothing_is_known(
    app: GovernanceApplication, runner: ProjectionRunner, engine: Engine
) -> None:
    moment = datetime.now(UTC) - timedelta(seconds=1)
    s = build_world(app)
    settled(app, runner)
    maps = GovernanceMaps(engine)
    from domain.errors import UnknownReference

    with pytest.raises(UnknownReference):
        maps.region_map(s["region_a"], known_at=moment)
    assert maps.regions(known_at=moment) == []


def test_a_correction_retracts_the_transfer_and_restores_the_old_term(
    app: GovernanceApplication, runner: ProjectionRunner, engine: Engine
) -> None:
    maps = GovernanceMaps(engine)
    s = build_world(app)
    transfer_account(app, s, NEXT_MONTH, "accounthouder-west")
    settled(app, runner)
    after_transfer = datetime.now(UTC)
    account = app.get(AccountHoldership, f"{s['cooperation']}:{s['organisation']}")
    app.handle(
        c.CorrectFact(
            aggregate_id=account.id,
            version=account.version,
            reason="the transfer was recorded on the wrong organisation",
            **attribution(),
        )
    )
    settled(app, runner)

    assert account_holder(maps, s, as_of=NEXT_MONTH) == (s["region_a"], s["municipality_a"])
    (restored,) = maps.organisation_view(s["organisation"], as_of=NEXT_MONTH).account_holders
    assert not restored.valid_until.is_known
    assert account_holder(maps, s, as_of=NEXT_MONTH, known_at=after_transfer) == (
        s["region_b"],
        s["municipality_b"],
    )
    (correction,) = [
        e
        for e in maps.history(SubjectKind.ORGANISATION, s["organisation"])
        if e.event == "GovernanceAggregate.FactCorrected"
    ]
    transfer = next(
        e
        for e in maps.history(SubjectKind.ORGANISATION, s["organisation"])
        if e.event == "AccountHoldership.HolderTransferred"
    )
    assert correction.corrects_position == transfer.position


def test_a_reassigned_lead_and_an_ended_term(
    app: GovernanceApplication, runner: ProjectionRunner, engine: Engine
) -> None:
    maps = GovernanceMaps(engine)
    s = build_world(app)
    app.handle(
        c.ReassignLead(
            agreement=s["lead"],
            lead_region=s["region_b"],
            valid_from=PartialDate.parse("2024-05"),
            **attribution(),
        )
    )
    app.handle(
        c.EndAccountHoldership(
            cooperation=s["cooperation"],
            organisation=s["organisation"],
            valid_until=PartialDate.parse("2025-12-31"),
            **attribution(),
        )
    )
    settled(app, runner)

    def leads(as_of: date) -> list[tuple[str, bool]]:
        roles = maps.cooperation_map(s["cooperation"], as_of=as_of).roles
        return [(r.holder_region.slug, r.certain) for r in roles if r.role == "lead"]  # type: ignore[union-attr]

    assert leads(date(2023, 6, 1)) == [(s["region_a"], True)]
    # The handover happened some day in May 2024: on a day within it, either could have led.
    assert sorted(leads(date(2024, 5, 15))) == sorted(
        [(s["region_a"], False), (s["region_b"], False)]
    )
    assert leads(date(2024, 6, 1)) == [(s["region_b"], True)]
    assert account_holder(maps, s, as_of=date(2025, 12, 31)) == (s["region_a"], s["municipality_a"])
    assert maps.organisation_view(s["organisation"], as_of=date(2026, 1, 1)).account_holders == ()
    # Ten years ago the cooperation had no lead and the account no holder yet.
    assert leads(date(2016, 6, 1)) == []
