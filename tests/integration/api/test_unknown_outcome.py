"""A command whose write got no answer from NATS (the node holding it died, the acknowledgement was
lost): the API answers 503 "outcome unknown" and a retry with the same Idempotency-Key finds out what
happened, on a real NATS server. Stored: the retry gets the answer the first attempt would have had and
nothing is recorded twice. Not stored: the retry records the command, once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError
from litestar.testing import TestClient
from nats.errors import TimeoutError as NatsTimeoutError

from adapters.sql import create_engine, migrate
from api.app import create_app
from api.context import ApiContext
from api.keyed_runs import unknown_write
from domain.compliance import ComplianceAssessment, NormFramework, Verdict
from domain.registry import Municipality
from domain.values import PartialDate, SubjectKind, SubjectRef
from services import commands as c
from services.application import GovernanceApplication
from services.authorisation import Role
from tests.authorities import EXTERNAL
from tests.integration.api.conftest import bearer

BODY = {
    "municipality": "zwijgdorp",
    "name": "Zwijgdorp",
    "authority": {
        "kind": "external",
        "external": "Ministerie van BZK",
        "decision_date": "2026-01-15",
        "document": "Staatscourant 2026-01",
    },
}


@pytest.fixture
def context(nats_env: dict[str, str], tmp_path: Path) -> Iterator[ApiContext]:
    app = GovernanceApplication(env=nats_env)
    engine = create_engine(f"sqlite:///{tmp_path / 'api.sqlite'}")
    migrate(engine)
    try:
        yield ApiContext(app, engine)
    finally:
        engine.dispose()
        app.factory.close()


def losing_the_first_answer(context: ApiContext, *, stored: bool) -> None:
    """The next write to NATS gets no answer: sent (``stored``) or never sent."""
    client = context.app.recorder.client
    write: Callable[..., bytes] = client.write

    def unanswered(*args: object) -> bytes:
        client.write = write
        if stored:
            write(*args)
        raise NatsTimeoutError

    client.write = unanswered


def committing_the_first_write_after_the_look_up(context: ApiContext) -> None:
    """The next write to NATS is held back and gets no answer; it is committed right after the
    retry has looked for it and not found it (a replica catching up late)."""
    recorder = context.app.recorder
    client, write, look_up = recorder.client, recorder.client.write, recorder.stored_ids
    held: list[tuple[object, ...]] = []

    def unanswered(*args: object) -> bytes:
        client.write = write
        held.append(args)
        raise NatsTimeoutError

    def looked_up_then_committed(attempted: object) -> object:
        recorder.stored_ids = look_up
        found = look_up(attempted)
        write(*held[0])
        return found

    client.write, recorder.stored_ids = unanswered, looked_up_then_committed


def registrations(context: ApiContext) -> list[object]:
    return list(context.app.recorder.select_events(Municipality.id_for("zwijgdorp")))


def post(client: TestClient, headers: dict[str, str]) -> object:
    return client.post("/municipalities/", json=BODY, headers=headers)


def test_a_retry_of_a_stored_write_gets_the_first_answer_and_records_nothing_again(context):
    headers = {**bearer(context, Role.ADMIN), "Idempotency-Key": "zwijgdorp-1"}
    losing_the_first_answer(context, stored=True)
    with TestClient(create_app(context)) as client:
        unknown = post(client, headers)
        assert unknown.status_code == 503, unknown.text
        assert unknown.json()["type"].endswith("/outcome-unknown")
        retried = post(client, headers)
        assert retried.status_code == 201, retried.text
        assert retried.headers["Idempotent-Replayed"] == "true"
        accepted = retried.json()
        (stored,) = registrations(context)
        (notification,) = context.app.recorder.select_notifications(start=None, limit=10)
        assert accepted == {
            "command": "RegisterMunicipality",
            "aggregate_id": str(Municipality.id_for("zwijgdorp")),
            "version": stored.originator_version,
            "event_ids": [notification.id],
        }
        assert retried.headers["ETag"] == f'"{stored.originator_version}"'
        assert retried.headers["Regiekaart-Position"] == str(notification.id)
        again = post(client, headers)
        assert (again.status_code, again.json()) == (201, accepted)
    assert len(registrations(context)) == 1


def test_a_retry_of_a_write_never_stored_records_the_command_once(context):
    headers = {**bearer(context, Role.ADMIN), "Idempotency-Key": "zwijgdorp-2"}
    losing_the_first_answer(context, stored=False)
    with TestClient(create_app(context)) as client:
        unknown = post(client, headers)
        assert unknown.status_code == 503, unknown.text
        assert registrations(context) == []
        retried = post(client, headers)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        again = post(client, headers)
        assert again.json() == retried.json()
        assert again.headers["Idempotent-Replayed"] == "true"
    assert len(registrations(context)) == 1


def test_a_write_stored_after_the_retry_looked_for_it_still_gets_the_first_answer(context):
    """The first attempt's write is not in the log when the retry looks, and is committed right
    after (a replica catching up): the retry's own run is refused for it ("already registered"), and
    the retry answers as the first attempt would have, instead of the refusal."""
    headers = {**bearer(context, Role.ADMIN), "Idempotency-Key": "zwijgdorp-3"}
    committing_the_first_write_after_the_look_up(context)
    with TestClient(create_app(context)) as api:
        assert post(api, headers).status_code == 503
        retried = post(api, headers)
        assert retried.status_code == 201, retried.text
        assert retried.headers["Idempotent-Replayed"] == "true"
        assert post(api, headers).json() == retried.json()
    assert len(registrations(context)) == 1


def test_a_retry_while_the_log_cannot_be_read_is_503_and_the_next_one_finds_out(context):
    """NATS away when the retry looks the first write up: 503 again, nothing run, and the key still
    waits for a retry that can tell."""
    headers = {**bearer(context, Role.ADMIN), "Idempotency-Key": "zwijgdorp-4"}
    recorder = context.app.recorder
    look_up = recorder.stored_ids

    def log_away(attempted: object) -> object:
        recorder.stored_ids = look_up
        raise OperationalError("no JetStream server answered (test)")

    losing_the_first_answer(context, stored=True)
    recorder.stored_ids = log_away
    with TestClient(create_app(context)) as api:
        assert post(api, headers).status_code == 503
        away = post(api, headers)
        assert away.status_code == 503, away.text
        assert len(registrations(context)) == 1
        found = post(api, headers)
        assert found.status_code == 201, found.text
        assert found.headers["Idempotent-Replayed"] == "true"
    assert len(registrations(context)) == 1


# A remark beside an assessment is a command the domain takes twice (two reviewers may say the same),
# so nothing but the retry's own care keeps a late first write from being recorded a second time.
REMARK = {
    "norm": "n-1",
    "region": "regio-stil",
    "reviewer": "Auditor",
    "remark": "Klopt dit?",
    "authority": BODY["authority"],
}


def an_assessment(context: ApiContext) -> None:
    region = SubjectRef(kind=SubjectKind.REGION, slug="regio-stil")
    decided = {"principal": "admin", "authority": EXTERNAL}
    for command in (
        c.RegisterNorm(norm="n-1", framework=NormFramework.IGJ, code="N1", title="N", **decided),
        c.RegisterRegion(region="regio-stil", name="Regio Stil", **decided),
        c.RecordAssessment(
            norm="n-1",
            region="regio-stil",
            verdict=Verdict.NEE,
            assessed_by=region,
            assessed_on=PartialDate.parse("2026-01-15"),
            **decided,
        ),
    ):
        context.app.handle(command)


def remarks(context: ApiContext) -> list[object]:
    assessment = ComplianceAssessment.id_for(ComplianceAssessment.slug_for("n-1", "regio-stil"))
    return [
        e for e in context.app.recorder.select_events(assessment) if e.topic.endswith("Annotated")
    ]


def the_remark_is_answered_once_after(context: ApiContext, *, unanswered: int) -> None:
    """`unanswered` attempts of the remark get 503; the next retry gets the first attempt's answer,
    and the remark is in the log once, at the version that answer names."""
    headers = {**bearer(context, Role.ADMIN), "Idempotency-Key": "remark"}
    with TestClient(create_app(context)) as api:
        for _ in range(unanswered):
            unknown = api.post("/norms/assessments/remarks", json=REMARK, headers=headers)
            assert unknown.status_code == 503, unknown.text
        retried = api.post("/norms/assessments/remarks", json=REMARK, headers=headers)
        assert retried.status_code == 201, retried.text
        assert retried.headers["Idempotent-Replayed"] == "true"
    (remark,) = remarks(context)
    assert retried.json()["version"] == remark.originator_version


def test_a_command_taken_twice_is_recorded_once_when_its_first_write_lands_after_the_look_up(
    context,
):
    """The first attempt's write is committed after the retry looked for it and before the retry
    loads the assessment: run again, the remark would be saved a second time, at the next version.
    The retry saves only from the version the first write started at; the assessment moved on, so
    it looks again, finds the write, and answers as the first attempt would have."""
    an_assessment(context)
    committing_the_first_write_after_the_look_up(context)
    the_remark_is_answered_once_after(context, unanswered=1)


def test_a_retry_after_another_write_took_the_first_attempts_version_records_the_command_once(
    context,
):
    """The first write never reached NATS and another remark was recorded before the retry: the
    first write can never be stored now, so the retry records the command (once), from the newer
    version."""
    an_assessment(context)
    headers = {**bearer(context, Role.ADMIN), "Idempotency-Key": "remark-2"}
    other = {**bearer(context, Role.ADMIN), "Idempotency-Key": "remark-other"}
    losing_the_first_answer(context, stored=False)
    with TestClient(create_app(context)) as api:
        first = api.post("/norms/assessments/remarks", json=REMARK, headers=headers)
        assert first.status_code == 503, first.text
        another = {**REMARK, "reviewer": "Tweede lezer"}
        assert (
            api.post("/norms/assessments/remarks", json=another, headers=other).status_code == 201
        )
        retried = api.post("/norms/assessments/remarks", json=REMARK, headers=headers)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
    assert [r.originator_version for r in remarks(context)] == [
        retried.json()["version"] - 1,
        retried.json()["version"],
    ]


def test_a_first_write_stored_after_a_retrys_own_write_went_unanswered_too_gets_its_answer(
    context,
):
    """The first write gets no answer; the retry's own write gets none either (it never reached
    NATS); then a replica commits the first one. The next retry looks for both writes, finds the
    first, and answers as that attempt would have: the remark is recorded once."""
    an_assessment(context)
    client = context.app.recorder.client
    write = client.write
    held: list[tuple[object, ...]] = []

    def unanswered(*args: object) -> bytes:
        if held:  # the retry's write: lost, and the first one committed late
            client.write = write
            write(*held[0])
        else:
            held.append(args)
        raise NatsTimeoutError

    client.write = unanswered
    the_remark_is_answered_once_after(context, unanswered=2)


def test_a_write_kept_before_earlier_attempts_were_kept_still_reads():
    """A key left unknown by the release before this one holds no earlier attempts."""
    kept = (
        b'{"command":"RegisterMunicipality","attempted":'
        b'[["3c1e2a55-6f7b-4c1d-9a4e-2b8f6d0c1e3a","R.e.3c1e",1,1,"ab"]]}'
    )
    write = unknown_write.decode(kept)
    assert (write.command, write.earlier) == ("RegisterMunicipality", ())
    assert write.attempted[0].version == 1
