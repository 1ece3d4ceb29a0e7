"""What a newcomer to the API meets: dates as they are written, every invalid field at once with
where and why, a slug wherever an aggregate is named, and refusals in the user's own terms."""

from __future__ import annotations

import pytest

from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_commands_over_http import TRANSFER, TRANSFER_BODY


@pytest.fixture
def nmz(context):
    return bearer(context, Role.COORDINATOR, "bob", cooperations=("nmz-limburg",))


def _events_of(client, aggregate_id: str, auditor) -> list[dict]:
    answer = client.get(f"/events?aggregate_id={aggregate_id}&limit=500", headers=auditor)
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("2027-01-01", {"value": "2027-01-01", "precision": "day"}),
        ("2027-01", {"value": "2027-01-01", "precision": "month"}),
        ("2027", {"value": "2027-01-01", "precision": "year"}),
        ({"value": "2027-01", "precision": "month"}, {"value": "2027-01-01", "precision": "month"}),
        ({"value": "2027-01-01", "precision": "day"}, {"value": "2027-01-01", "precision": "day"}),
    ],
)
def test_a_date_is_written_as_its_notation_or_as_an_object(client, nmz, written, stored) -> None:
    answer = client.post(TRANSFER, json={**TRANSFER_BODY, "handover": written}, headers=nmz)
    assert answer.status_code == 201, answer.text
    auditor = bearer(client.app.state.context, Role.AUDITOR)
    after = answer.json()["event_ids"][0] - 1
    logged = client.get(f"/events?after={after}&limit=1", headers=auditor).json()["events"][0]
    # The log keeps the object form, whatever the body wrote.
    assert logged["state"]["valid_from"] == stored


def test_a_date_written_less_precisely_than_its_precision_is_refused(client, nmz) -> None:
    body = {**TRANSFER_BODY, "handover": {"value": "2027", "precision": "day"}}
    problem = client.post(TRANSFER, json=body, headers=nmz).json()
    assert problem["status"] == 400
    assert {
        "pointer": "#/handover",
        "detail": "a date of precision day is written YYYY-MM-DD (got '2027')",
    } in problem["errors"]


@pytest.mark.parametrize(
    ("written", "where"),
    [
        ("２０２７", "#/handover"),
        ("٢٠٢٧-٠١", "#/handover"),
        ({"value": "2027-０１-01", "precision": "day"}, "#/handover/value"),
    ],
)
def test_a_date_in_other_digits_than_ascii_is_refused_and_records_nothing(
    client, context, nmz, written, where
) -> None:
    # Python reads "２０２７" (full-width digits) as 2027; the notation is ASCII digits only.
    before = context.app.recorder.max_notification_id()
    problem = client.post(TRANSFER, json={**TRANSFER_BODY, "handover": written}, headers=nmz).json()
    assert problem["status"] == 400, problem
    assert [error["pointer"] for error in problem["errors"]] == [where]
    assert context.app.recorder.max_notification_id() == before


def test_the_schema_documents_both_forms_of_a_date(client) -> None:
    schema = client.get("/schema/openapi.json").json()
    handover = schema["components"]["schemas"]["TransferAccountHoldership"]["properties"][
        "handover"
    ]
    forms = handover.get("oneOf") or handover.get("anyOf")
    assert forms, handover
    text = str(handover) + str(schema["components"]["schemas"].get("DateWithPrecision"))
    assert "2027-01" in text and "YYYY-MM" in text and "precision" in text


def test_every_invalid_field_is_reported_at_once(client, nmz) -> None:
    body = {
        **TRANSFER_BODY,
        "cooperation": 7,
        "handover": {"value": "2027-01-15", "precision": "month"},
        "holder_region": "Not A Slug",
        "authority": {**TRANSFER_BODY["authority"], "decision_date": "2026-13-01"},
    }
    problem = client.post(TRANSFER, json=body, headers=nmz).json()
    assert problem["status"] == 400
    pointers = {error["pointer"]: error["detail"] for error in problem["errors"]}
    assert set(pointers) == {
        "#/cooperation",
        "#/handover",
        "#/holder_region",
        "#/authority/decision_date",
    }, pointers
    assert pointers["#/cooperation"] == "expected text, got a number"
    assert "1st of its month" in pointers["#/handover"]
    assert "lowercase" in pointers["#/holder_region"]
    assert "month must be in 1..12" in pointers["#/authority/decision_date"]
    assert "Expected" not in problem["detail"]


def test_a_date_in_neither_form_is_reported_with_the_other_fields(client, nmz) -> None:
    body = {
        **TRANSFER_BODY,
        "handover": 20270101,
        "authority": {**TRANSFER_BODY["authority"], "decision_date": {"precision": "weekly"}},
    }
    problem = client.post(TRANSFER, json=body, headers=nmz).json()
    pointers = {error["pointer"]: error["detail"] for error in problem["errors"]}
    assert pointers == {
        "#/handover": "expected text or an object, got a number",
        "#/authority/decision_date/precision": "expected one of day, month, year, unknown "
        "('weekly' is none)",
    }, pointers


def test_a_missing_and_an_unknown_field_are_both_reported(client, nmz) -> None:
    body = {k: v for k, v in TRANSFER_BODY.items() if k != "organisation"} | {"colour": "red"}
    problem = client.post(TRANSFER, json=body, headers=nmz).json()
    pointers = {error["pointer"]: error["detail"] for error in problem["errors"]}
    assert set(pointers) == {"#/organisation", "#/colour"}, pointers
    assert pointers["#/organisation"] == "required, but missing"
    assert pointers["#/colour"].startswith(
        "unknown field; the command takes authority, provenance, cooperation,"
    )


def test_a_bad_as_of_names_the_parameter(client) -> None:
    reader = bearer(client.app.state.context, Role.AUDITOR)
    problem = client.get("/regions/zuid-limburg/map?as_of=next-week", headers=reader).json()
    assert problem["status"] == 400
    assert problem["errors"] == [
        {"parameter": "as_of", "detail": "not a date: give a day as YYYY-MM-DD, e.g. 2027-01-01"}
    ]
    assert "ParamType" not in str(problem)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/events?since=-1597607", "since"),
        ("/events?until=1700000000.5", "until"),
        ("/regions/zuid-limburg/map?known_at=1700000000", "known_at"),
        ("/regions/zuid-limburg/map?as_of=20270101", "as_of"),
    ],
)
def test_a_day_or_moment_given_as_a_number_is_refused_naming_the_parameter(
    client, path: str, parameter: str
) -> None:
    # Litestar reads a number as seconds since 1970: /events?since=-1597607 answered the whole log.
    reader = bearer(client.app.state.context, Role.AUDITOR)
    answer = client.get(path, headers=reader)
    assert answer.status_code == 400, answer.text
    assert [error["parameter"] for error in answer.json()["errors"]] == [parameter]
    assert "events" not in answer.json()


def test_a_moment_in_iso_notation_is_still_taken(client) -> None:
    reader = bearer(client.app.state.context, Role.AUDITOR)
    answer = client.get("/events?since=2020-01-01T00:00:00Z&limit=1", headers=reader)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["events"]) == 1


def test_the_event_log_takes_a_slug_for_the_aggregate(client) -> None:
    auditor = bearer(client.app.state.context, Role.AUDITOR)
    events = _events_of(client, "zuid-limburg", auditor)
    assert events
    assert {(e["aggregate_kind"], e["slug"]) for e in events} <= {
        ("region", "zuid-limburg"),
        ("cooperation", "zuid-limburg"),
    }
    by_uuid = _events_of(client, events[0]["aggregate_id"], auditor)
    assert [e["id"] for e in by_uuid] == [
        e["id"] for e in events if e["aggregate_id"] == events[0]["aggregate_id"]
    ]
    unknown = client.get("/events?aggregate_id=no-such-thing", headers=auditor).json()
    assert unknown["status"] == 400
    assert unknown["errors"][0]["parameter"] == "aggregate_id"
    assert "no-such-thing" in unknown["errors"][0]["detail"]


def test_a_known_at_before_the_first_fact_says_when_it_was_first_recorded(client) -> None:
    reader = bearer(client.app.state.context, Role.AUDITOR)
    answer = client.get("/regions/zuid-limburg/map?known_at=2000-01-01T00:00:00Z", headers=reader)
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert "references must be registered first" not in detail
    assert "known_at 2000-01-01" in detail and "first recorded at" in detail
    never = client.get("/regions/atlantis/map", headers=reader).json()["detail"]
    assert "atlantis" in never and "not registered" in never


def test_a_second_transfer_on_the_same_day_says_what_holds_and_what_to_do(client, nmz) -> None:
    assert client.post(TRANSFER, json=TRANSFER_BODY, headers=nmz).status_code == 201
    again = client.post(
        TRANSFER,
        json={**TRANSFER_BODY, "agreement": "another", "holder_region": "noord-limburg"},
        headers=nmz,
    )
    assert again.status_code == 422, again.text
    detail = again.json()["detail"]
    assert "cannot end" not in detail and "before it starts" not in detail
    assert "a transfer on 2027-01-01 is already recorded" in detail
    assert "correct" in detail


def test_a_correction_names_its_aggregate_by_slug(client, nmz) -> None:
    transferred = client.post(TRANSFER, json=TRANSFER_BODY, headers=nmz).json()
    correction = {
        "aggregate_id": "nmz-limburg:pactum",
        "version": transferred["version"],
        "reason": "the handover was decided for another date",
    }
    corrected = client.post("/decisions/corrections", json=correction, headers=nmz)
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["aggregate_id"] == transferred["aggregate_id"]
    nowhere = {**correction, "aggregate_id": "nmz-limburg:nobody"}
    problem = client.post("/decisions/corrections", json=nowhere, headers=nmz).json()
    assert problem["errors"] == [
        {
            "pointer": "#/aggregate_id",
            "detail": "no aggregate has the id or slug 'nmz-limburg:nobody': take the slug a map "
            "gives, or an id from /events",
        }
    ]


def test_a_region_system_cannot_tell_an_unknown_slug_from_another_regions(client, context) -> None:
    # An unknown slug was a 400 and another region's an empty page: a region system could probe
    # which organisations and agreements exist outside its region.
    zuid_limburg = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))

    def page(slug: str) -> tuple[int, dict]:
        answer = client.get(
            f"/events?region=zuid-limburg&aggregate_id={slug}&limit=5", headers=zuid_limburg
        )
        return answer.status_code, answer.json()

    assert page("no-such-organisation") == page("pactum") == page("regio-nijmegen")
    assert page("pactum")[1]["events"] == []
    own = page("zuid-limburg")[1]["events"]
    assert own and {event["slug"] for event in own} == {"zuid-limburg"}
