"""Commands over HTTP: answers, problem details, idempotency, If-Match and the recorded principal."""

from __future__ import annotations

import msgspec
import pytest
import sqlalchemy.exc

from api.commands import expected_version
from services import commands as c
from services.application import COMMAND_HANDLERS
from services.authorisation import Role
from tests.integration.api.conftest import bearer

TRANSFER = "/agreements/account-holderships/transfer"
TRANSFER_BODY = {
    "cooperation": "nmz-limburg",
    "organisation": "pactum",
    "agreement": "nmz-pactum-2027",
    "handover": {"value": "2027-01-01", "precision": "day"},
    "holder_region": "zuid-limburg",
    "authority": {
        "body": "nmz-bestuurlijk-overleg",
        "decision_date": "2026-11-20",
        "document": "besluitenlijst 2026-11",
    },
}


@pytest.fixture
def nmz(context):
    return bearer(context, Role.COORDINATOR, "bob", cooperations=("nmz-limburg",))


def test_a_command_answers_with_its_event_ids_and_the_new_version(client, nmz) -> None:
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers=nmz)
    assert answer.status_code == 201, answer.text
    accepted = answer.json()
    assert accepted["command"] == "TransferAccountHoldership"
    assert len(accepted["event_ids"]) == 1
    assert answer.headers["ETag"] == f'"{accepted["version"]}"'
    logged = client.get(
        f"/events?after={accepted['event_ids'][0] - 1}&limit=1",
        headers=bearer(client.app.state.context, Role.AUDITOR),
    ).json()["events"][0]
    assert logged["type"] == "AccountHoldership.HolderTransferred"
    assert logged["principal"].startswith("coordinator:bob#")
    assert logged["state"]["authority"]["document"] == "besluitenlijst 2026-11"


def test_the_principal_comes_from_the_token_never_from_the_body(client, nmz) -> None:
    answer = client.post(TRANSFER, json={**TRANSFER_BODY, "principal": "admin:root"}, headers=nmz)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert "#/principal: unknown field" in answer.json()["detail"]


def test_invalid_input_is_a_problem_with_field_level_detail(client, nmz) -> None:
    body = {
        **TRANSFER_BODY,
        "cooperation": 7,
        "handover": {"value": "2027-01-15", "precision": "month"},
    }
    problem = client.post(TRANSFER, json=body, headers=nmz).json()
    assert problem["status"] == 400
    assert problem["type"].endswith("/invalid-request")
    assert {"pointer": "#/cooperation", "detail": "expected text, got a number"} in problem[
        "errors"
    ]
    malformed = client.post(
        TRANSFER, content=b"{not json", headers={**nmz, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "traceback" not in malformed.text.lower()


def test_a_refused_command_names_the_rule_it_broke(client, nmz) -> None:
    assert client.post(TRANSFER, json=TRANSFER_BODY, headers=nmz).status_code == 201
    again = client.post(TRANSFER, json={**TRANSFER_BODY, "agreement": "another"}, headers=nmz)
    assert again.status_code == 422
    problem = again.json()
    assert problem["type"].endswith("/domain-rule")
    assert problem["rule"] and "Zuid-Limburg" in problem["detail"]


def test_the_same_idempotency_key_and_body_record_once(client, nmz) -> None:
    headers = {**nmz, "Idempotency-Key": "transfer-pactum-1"}
    first = client.post(TRANSFER, json=TRANSFER_BODY, headers=headers)
    retry = client.post(TRANSFER, json=TRANSFER_BODY, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    other_body = client.post(TRANSFER, json={**TRANSFER_BODY, "agreement": "x"}, headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["type"].endswith("/idempotency-key-reused")


def test_a_recorded_command_is_answered_201_when_its_answer_cannot_be_kept(
    client, context, nmz, monkeypatch
) -> None:
    """The database did not answer when the answer was to be kept for the key, after the event was
    stored: the caller was told 503 "retry with the same Idempotency-Key", and each such retry found
    the key still in progress (409) for good; a new key would have recorded the command twice."""
    keep = context.idempotency.complete

    def database_away(*args, **kwargs):
        monkeypatch.setattr(context.idempotency, "complete", keep)  # this once
        raise sqlalchemy.exc.OperationalError("UPDATE api_idempotency", {}, Exception("locked"))

    monkeypatch.setattr(context.idempotency, "complete", database_away)
    before = context.app.recorder.max_notification_id()
    headers = {**nmz, "Idempotency-Key": "kept-nowhere"}
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers=headers)
    assert answer.status_code == 201, answer.text
    recorded = answer.json()["event_ids"]
    assert recorded == [context.app.recorder.max_notification_id()] and recorded[0] > before
    retry = client.post(TRANSFER, json=TRANSFER_BODY, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json() == answer.json()
    assert context.app.recorder.max_notification_id() == recorded[0]


def test_a_failed_command_releases_its_idempotency_key(client, nmz) -> None:
    headers = {**nmz, "Idempotency-Key": "k"}
    # a municipality that is not registered: the domain refuses it (a region outside the
    # cooperation would be refused before, by the scope rule)
    body = {**TRANSFER_BODY, "executing_municipality": "nowhere"}
    refused = client.post(TRANSFER, json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert client.post(TRANSFER, json=body, headers=headers).status_code == 422


def test_if_match_records_only_at_the_expected_version(client, nmz) -> None:
    version = client.post(TRANSFER, json=TRANSFER_BODY, headers=nmz).json()["version"]
    end = {
        "cooperation": "nmz-limburg",
        "organisation": "pactum",
        "valid_until": {"value": "2028-12-31", "precision": "day"},
        "authority": TRANSFER_BODY["authority"],
    }
    stale = client.post(
        "/agreements/account-holderships/end",
        json=end,
        headers={**nmz, "If-Match": f'"{version - 1}"'},
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == version
    assert stale.headers["ETag"] == f'"{version}"'
    fresh = client.post(
        "/agreements/account-holderships/end", json=end, headers={**nmz, "If-Match": f'"{version}"'}
    )
    assert fresh.status_code == 201
    assert fresh.json()["version"] == version + 1


def test_a_stale_if_match_is_a_conflict_before_any_domain_rule(client, nmz) -> None:
    """A transfer with the If-Match of the version before the winning transfer answers 409 with the
    current version, although applied to the current version it would break a domain rule (422)."""
    body = {
        **TRANSFER_BODY,
        "handover": {"value": "2027-03-01", "precision": "day"},
        "authority": {
            "body": "nmz-bestuurlijk-overleg",
            "decision_date": {"value": "2026-01-15", "precision": "day"},
            "document": "Besluitenlijst NMZ 2026-01",
        },
    }
    auditor = bearer(client.app.state.context, Role.AUDITOR)
    won = client.post(TRANSFER, json=body, headers=nmz)
    assert won.status_code == 201, won.text
    version = won.json()["version"]
    after_won = f"/events?after={won.json()['event_ids'][-1]}"
    assert client.get(after_won, headers=auditor).json()["events"] == []

    stale = client.post(TRANSFER, json=body, headers={**nmz, "If-Match": f'"{version - 1}"'})

    assert stale.status_code == 409, stale.text
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_version"] == version
    assert client.get(after_won, headers=auditor).json()["events"] == []
    # Without the precondition the same transfer breaks a rule of the domain: that is what a stale
    # If-Match used to answer.
    assert client.post(TRANSFER, json=body, headers=nmz).status_code == 422


def test_if_match_must_be_a_version(client, nmz) -> None:
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers={**nmz, "If-Match": "yesterday"})
    assert answer.status_code == 400
    assert expected_version('W/"12"') == 12


@pytest.mark.parametrize(
    "if_match",
    [
        b'"' + b"9" * 5000 + b'"',  # past int()'s 4,300 digits
        b'"9223372036854775808"',  # past the largest version a log can hold
    ],
)
def test_an_if_match_that_no_version_can_be_is_a_400_and_records_nothing(
    client, context, nmz, if_match: bytes
) -> None:
    before = context.app.recorder.max_notification_id()
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers={**nmz, "If-Match": if_match})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["parameter"] == "If-Match"
    assert context.app.recorder.max_notification_id() == before


def test_a_handover_in_the_last_month_of_the_last_year_is_recorded(client, context, nmz) -> None:
    """December 9999's last day was reckoned as the day before 1 January 10000: a ValueError, a 500
    for a date the API takes."""
    handover = {"value": "9999-12", "precision": "month"}
    answer = client.post(TRANSFER, json={**TRANSFER_BODY, "handover": handover}, headers=nmz)
    assert answer.status_code == 201, answer.text
    logged = client.get(
        f"/events?after={answer.json()['event_ids'][0] - 1}&limit=1",
        headers=bearer(context, Role.AUDITOR),
    ).json()["events"][0]
    assert logged["state"]["valid_from"] == {"value": "9999-12-01", "precision": "month"}


def test_every_command_has_an_endpoint(client) -> None:
    schema = client.get("/schema/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    # Every command has a handler and nothing else does (tests/unit/test_command_handlers.py).
    commands = {cls.__name__ for cls in COMMAND_HANDLERS}
    assert commands <= operations, commands - operations


def test_the_event_log_pages_and_filters(client, context) -> None:
    auditor = bearer(context, Role.AUDITOR)
    first = client.get("/events?limit=3", headers=auditor).json()
    assert [e["id"] for e in first["events"]] == sorted(e["id"] for e in first["events"])
    assert first["more"] is True
    second = client.get(f"/events?limit=3&after={first['position']}", headers=auditor).json()
    assert second["events"][0]["id"] > first["events"][-1]["id"]
    regions = client.get(
        "/events?region=regio-nijmegen&type=Municipality.MembershipStarted", headers=auditor
    ).json()
    assert regions["events"]
    assert all(
        "regio-nijmegen" in e["concerns"]["regions"]
        and e["type"] == "Municipality.MembershipStarted"
        for e in regions["events"]
    )
    one = regions["events"][0]
    of_aggregate = client.get(f"/events?aggregate_id={one['aggregate_id']}", headers=auditor).json()
    assert {e["aggregate_id"] for e in of_aggregate["events"]} == {one["aggregate_id"]}
    unknown = client.get("/events?type=Nothing.Happened", headers=auditor)
    assert unknown.status_code == 400
    last_position = client.get(f"/events?after={2**63 - 1}", headers=auditor).json()
    assert last_position["events"] == [] and last_position["more"] is False
    beyond_any_position = client.get(f"/events?after={2**63}", headers=auditor)
    assert beyond_any_position.status_code == 400


def test_a_revoked_token_is_refused(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    issued = client.post("/tokens", json={"name": "eve", "role": "auditor"}, headers=admin).json()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/events?limit=1", headers=headers).status_code == 200
    assert client.delete(f"/tokens/{issued['info']['token_id']}", headers=admin).status_code == 204
    refused = client.get("/events?limit=1", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_responses_carry_a_request_id(client) -> None:
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    problem = client.get("/events").json()
    assert problem["status"] == 401 and len(problem["request_id"]) == 32


def test_command_bodies_are_the_commands_without_principal() -> None:
    from api.schemas import command_body

    body = msgspec.json.decode(
        msgspec.json.encode(TRANSFER_BODY), type=command_body(c.TransferAccountHoldership)
    )
    assert not hasattr(body, "principal")
