"""Bodies no command could be: each a 4xx problem naming what was wrong, and nothing recorded."""

from __future__ import annotations

import json

import pytest

from api.errors import MAX_LISTED_PROBLEMS
from api.request_body import MAX_BODY_BYTES, MAX_JSON_DEPTH
from services.authorisation import Role
from tests.integration.api.conftest import bearer

TRANSFER = "/agreements/account-holderships/transfer"
TRANSFER_BODY = {
    "cooperation": "nmz-limburg",
    "organisation": "pactum",
    "agreement": "nmz-pactum-2027",
    "handover": {"value": "2027-01-01", "precision": "day"},
    "holder_region": "noord-limburg",
    "authority": {
        "body": "nmz-bestuurlijk-overleg",
        "decision_date": {"value": "2026-11-20", "precision": "day"},
        "document": "Besluitenlijst NMZ 2026-11",
    },
}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def admin(context):
    return bearer(context, Role.ADMIN, "root")


def _refused(client, context, admin, content: bytes, headers: dict[str, str]) -> dict:
    before = context.app.recorder.max_notification_id()
    answer = client.post(TRANSFER, content=content, headers={**admin, **headers})
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    assert context.app.recorder.max_notification_id() == before
    return {"status": answer.status_code, **answer.json()}


def test_a_body_that_is_not_utf8_is_a_400(client, context, admin) -> None:
    content = json.dumps(TRANSFER_BODY).encode().replace(b"pactum", b"pact\xffm")
    problem = _refused(client, context, admin, content, JSON)
    assert problem["status"] == 400
    assert "not UTF-8" in problem["detail"]


@pytest.mark.parametrize("opening, closing", [(b"[", b"]"), (b'{"a":', b"}")])
def test_json_nested_ten_thousand_levels_is_a_400(client, context, admin, opening, closing) -> None:
    content = opening * 10_000 + b"1" + closing * 10_000
    problem = _refused(client, context, admin, content, JSON)
    assert problem["status"] == 400
    assert f"deeper than {MAX_JSON_DEPTH} levels" in problem["detail"]


def test_brackets_inside_strings_nest_nothing(client, context, admin) -> None:
    body = {**TRANSFER_BODY, "notes": "[[[[" * 20 + "{{{{" * 20}
    answer = client.post(TRANSFER, json=body, headers=admin)
    assert answer.status_code == 201, answer.text


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(client, context, admin) -> None:
    # Not even JSON: the size alone refuses it, so nothing tries to parse it.
    content = b"{" + b"x" * MAX_BODY_BYTES
    problem = _refused(client, context, admin, content, JSON)
    assert problem["status"] == 413
    assert problem["type"].endswith("/body-too-large")
    assert f"the limit of {MAX_BODY_BYTES} bytes" in problem["detail"]


def test_a_megabyte_text_field_is_a_413(client, context, admin) -> None:
    content = json.dumps({**TRANSFER_BODY, "notes": "x" * 1_000_000}).encode()
    problem = _refused(client, context, admin, content, JSON)
    assert problem["status"] == 413


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_json_sent_as_another_media_type_is_a_415(client, context, admin, content_type) -> None:
    content = json.dumps(TRANSFER_BODY).encode()
    problem = _refused(client, context, admin, content, {"Content-Type": content_type})
    assert problem["status"] == 415
    assert problem["type"].endswith("/unsupported-media-type")
    assert "application/json" in problem["detail"] or "UTF-8" in problem["detail"]


def test_json_with_a_utf8_charset_is_accepted(client, admin) -> None:
    answer = client.post(
        TRANSFER,
        content=json.dumps(TRANSFER_BODY).encode(),
        headers={**admin, "Content-Type": "application/json; charset=utf-8"},
    )
    assert answer.status_code == 201, answer.text


def test_ten_thousand_unknown_fields_get_an_answer_of_bounded_size(client, context, admin) -> None:
    # Each unknown field used to be listed twice, with the fields the command takes: a body of
    # 120 kB was answered with 3.5 MB.
    body = {**TRANSFER_BODY, **{f"field{i:05}": 0 for i in range(10_000)}}
    problem = _refused(client, context, admin, json.dumps(body).encode(), JSON)
    assert problem["status"] == 400
    assert len(problem["errors"]) == MAX_LISTED_PROBLEMS
    assert problem["errors"][0]["pointer"] == "#/field00000"
    assert f"and {10_000 - MAX_LISTED_PROBLEMS} more invalid fields" in problem["detail"]
    assert len(json.dumps(problem)) < 50_000


def test_a_huge_unknown_field_name_is_not_echoed_whole(client, context, admin) -> None:
    name = "x" * 100_000 + "\n\x1b[31m"
    problem = _refused(
        client, context, admin, json.dumps({**TRANSFER_BODY, name: 1}).encode(), JSON
    )
    assert problem["status"] == 400
    [error] = problem["errors"]
    assert error["pointer"].startswith("#/xxxx") and error["pointer"].endswith("…")
    assert len(json.dumps(problem)) < 5_000


@pytest.mark.parametrize(
    "content, named",
    [
        # The organisation named twice: the decoder would have recorded the transfer for the last.
        (
            json.dumps(TRANSFER_BODY).replace(
                '"organisation": "pactum"', '"organisation": "pactum", "organisation": "andere"'
            ),
            "organisation",
        ),
        # Inside the authority: which document decided it?
        (
            json.dumps(TRANSFER_BODY).replace(
                '"document": "Besluitenlijst NMZ 2026-11"',
                '"document": "Besluitenlijst NMZ 2026-11", "document": "Iets anders"',
            ),
            "document",
        ),
        # The same name written two ways is one name.
        (
            json.dumps(TRANSFER_BODY).replace(
                '"holder_region": "noord-limburg"',
                '"holder_region": "noord-limburg", "holder_\\u0072egion": "zuid-limburg"',
            ),
            "holder_region",
        ),
        # A name no UTF-8 can carry (a lone surrogate, escaped): quoted escaped, not a 500.
        (json.dumps(TRANSFER_BODY)[:-1] + ', "\\ud800": 1, "\\ud800": 2}', "\ud800"),
    ],
)
def test_a_field_named_twice_in_one_object_is_a_400(client, context, admin, content, named):
    problem = _refused(client, context, admin, content.encode(), JSON)
    assert problem["status"] == 400
    assert f"names the field {named!r} twice" in problem["detail"]


def test_a_long_field_name_named_twice_is_not_echoed_whole(client, context, admin) -> None:
    name = "x" * 5_000
    content = json.dumps(TRANSFER_BODY)[:-1] + f', "{name}": 1, "{name}": 2}}'
    problem = _refused(client, context, admin, content.encode(), JSON)
    assert problem["status"] == 400
    assert "x" * 60 + "…" in problem["detail"] and len(problem["detail"]) < 200


def test_the_same_name_in_different_objects_is_accepted(client, admin) -> None:
    """Names repeat across objects (the handover's and the authority's decision date both have a
    "value"): only one object naming a field twice is refused."""
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers=admin)
    assert answer.status_code == 201, answer.text
