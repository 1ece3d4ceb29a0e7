"""Every decision cites a real, competent authority; names are slugs or one-script display names; every
text has a bound. Each refusal names what was wrong, and nothing is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.authorisation import Role
from tests.integration.api.conftest import bearer

TRANSFER = "/agreements/account-holderships/transfer"
NMZ_AUTHORITY = {
    "body": "nmz-bestuurlijk-overleg",
    "decision_date": "2026-11-20",
    "document": "Besluitenlijst NMZ 2026-11",
}
TRANSFER_BODY = {
    "cooperation": "nmz-limburg",
    "organisation": "pactum",
    "agreement": "nmz-pactum-2027",
    "handover": {"value": "2027-01-01", "precision": "day"},
    "holder_region": "noord-limburg",
    "authority": NMZ_AUTHORITY,
}
EXTERNAL = {
    "kind": "external",
    "external": "Ministerie van VWS",
    "decision_date": "2026-01",
    "document": "Kamerbrief jeugdzorg 2026-01",
}


@pytest.fixture
def admin(context):
    return bearer(context, Role.ADMIN, "root")


def _refused(client, context, headers, path: str, body: dict, status: int) -> dict:
    before = context.app.recorder.max_notification_id()
    answer = client.post(path, json=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert context.app.recorder.max_notification_id() == before
    problem: dict = answer.json()
    return problem


def _logged_authority(client, context, answer) -> dict:
    position = answer.json()["event_ids"][0]
    page = client.get(
        f"/events?after={position - 1}&limit=1", headers=bearer(context, Role.AUDITOR)
    ).json()
    authority: dict = page["events"][0]["state"]["authority"]
    return authority


# -- finding 6: the authority is mandatory and checked --------------------------------------------
def test_a_decision_without_an_authority_is_a_400_naming_the_field(client, context, admin) -> None:
    body = {k: v for k, v in TRANSFER_BODY.items() if k != "authority"}
    problem = _refused(client, context, admin, TRANSFER, body, 400)
    assert "authority" in problem["detail"]


def test_misspelt_authority_fields_are_refused_not_dropped(client, context, admin) -> None:
    body = {**TRANSFER_BODY, "authority": {"bodie": "nmz-bestuurlijk-overleg", "documnet": "x"}}
    problem = _refused(client, context, admin, TRANSFER, body, 400)
    pointers = {error["pointer"]: error["detail"] for error in problem["errors"]}
    assert set(pointers) == {"#/authority/bodie", "#/authority/documnet"}
    assert pointers["#/authority/bodie"].startswith("unknown field; authority takes kind, body,")


def test_unknown_fields_are_refused_at_every_depth(client, context, admin) -> None:
    body = {**TRANSFER_BODY, "handover": {"value": "2027-01-01", "precision": "day", "extra": 1}}
    problem = _refused(client, context, admin, TRANSFER, body, 400)
    assert "#/handover/extra: unknown field" in problem["detail"]


def test_an_authority_without_its_document_is_a_400_naming_it(client, context, admin) -> None:
    authority = {k: v for k, v in NMZ_AUTHORITY.items() if k != "document"}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 400
    )
    assert "must give document" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "#/authority"


def test_a_body_that_is_not_registered_is_a_422_naming_the_rule(client, context, admin) -> None:
    authority = {**NMZ_AUTHORITY, "body": "nmz-bestuurlijk-overleggen"}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 422
    )
    assert (
        problem["rule"] == "an authority names a registered decision body, municipality or source"
    )
    assert "nmz-bestuurlijk-overleggen" in problem["detail"]


def test_a_body_of_another_subject_is_not_competent(client, context, admin) -> None:
    authority = {**NMZ_AUTHORITY, "body": "g7-bestuurlijk-overleg"}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 422
    )
    assert problem["rule"] == "an authority is competent for the subject it decides on"
    assert "cooperation g7-gelderland" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "role"),
    [("g16zla", "advises"), ("contractregieteams-zuid-limburg", "executes")],
)
def test_a_body_that_only_advises_or_executes_authorises_no_decision(
    client, context, admin, body, role
) -> None:
    # Both are bodies of Zuid-Limburg, which the transfer to it concerns: only their role refuses.
    authority = {**NMZ_AUTHORITY, "body": body}
    transfer = {**TRANSFER_BODY, "holder_region": "zuid-limburg", "authority": authority}
    problem = _refused(client, context, admin, TRANSFER, transfer, 422)
    assert problem["rule"] == "an authority is competent for the subject it decides on"
    assert f"{body!r} {role}" in problem["detail"]


def test_a_body_authorises_by_the_role_it_had_on_the_decisions_date(client, context, admin) -> None:
    # The G16zla advises; from 2026-12-01 it decides. A decision of November was not its to take.
    change = {
        "body": "g16zla",
        "role": "decides",
        "valid_from": "2026-12-01",
        "authority": {**NMZ_AUTHORITY, "body": "g16zlb"},
    }
    answer = client.post("/decisions/bodies/role", json=change, headers=admin)
    assert answer.status_code == 201, answer.text
    november = {**NMZ_AUTHORITY, "body": "g16zla", "decision_date": "2026-11-20"}
    transfer = {**TRANSFER_BODY, "holder_region": "zuid-limburg", "authority": november}
    problem = _refused(client, context, admin, TRANSFER, transfer, 422)
    assert problem["rule"] == "an authority is competent for the subject it decides on"
    assert "'g16zla' advises" in problem["detail"]
    december = {**november, "decision_date": "2026-12-02"}
    answer = client.post(TRANSFER, json={**transfer, "authority": december}, headers=admin)
    assert answer.status_code == 201, answer.text
    assert _logged_authority(client, context, answer)["body"] == "g16zla"


def test_a_competent_body_is_recorded_with_its_date_and_precision(client, context, admin) -> None:
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers=admin)
    assert answer.status_code == 201, answer.text
    authority = _logged_authority(client, context, answer)
    assert authority["kind"] == "body"
    assert authority["body"] == "nmz-bestuurlijk-overleg"
    assert authority["decision_date"] == {"value": "2026-11-20", "precision": "day"}


def test_a_municipal_organ_of_a_member_decides_for_its_region(client, context, admin) -> None:
    college = {
        "kind": "municipality",
        "municipality": "venlo",
        "organ": "college",
        "decision_date": "2026-11",
        "document": "Collegebesluit Venlo 2026-11",
    }
    answer = client.post(TRANSFER, json={**TRANSFER_BODY, "authority": college}, headers=admin)
    assert answer.status_code == 201, answer.text
    authority = _logged_authority(client, context, answer)
    assert (authority["kind"], authority["municipality"], authority["organ"]) == (
        "municipality",
        "venlo",
        "college",
    )
    assert authority["decision_date"] == {"value": "2026-11-01", "precision": "month"}


def test_an_external_authority_is_recorded_as_external(client, context, admin) -> None:
    answer = client.post(TRANSFER, json={**TRANSFER_BODY, "authority": EXTERNAL}, headers=admin)
    assert answer.status_code == 201, answer.text
    authority = _logged_authority(client, context, answer)
    assert (authority["kind"], authority["external"]) == ("external", "Ministerie van VWS")


@pytest.mark.parametrize(
    ("authority", "blank"),
    [
        ({**NMZ_AUTHORITY, "document": "   "}, "document"),
        ({**NMZ_AUTHORITY, "document": "\u00a0\t\u200b"}, "document"),
        ({**EXTERNAL, "external": " \u3000 "}, "external"),
    ],
)
def test_an_authority_whose_document_or_name_is_blank_is_refused(
    client, context, admin, authority, blank
) -> None:
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 422
    )
    assert problem["rule"] == "every decision cites an authority"
    assert f"its {blank} is blank" in problem["detail"]


@pytest.mark.parametrize(
    "decided", ["2999-01-01", "2999", {"value": "2999-06", "precision": "month"}]
)
def test_an_authority_dated_after_the_day_it_is_recorded_is_refused(
    client, context, admin, decided
) -> None:
    authority = {**NMZ_AUTHORITY, "decision_date": decided}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 422
    )
    assert (
        problem["rule"]
        == "a decision cites an authority that has decided: not after the day it is recorded"
    )
    assert "2999" in problem["detail"]


def test_an_authority_dated_this_month_or_year_is_recorded(client, context, admin) -> None:
    this_month = datetime.now(UTC).strftime("%Y-%m")
    authority = {**NMZ_AUTHORITY, "decision_date": this_month}
    answer = client.post(TRANSFER, json={**TRANSFER_BODY, "authority": authority}, headers=admin)
    assert answer.status_code == 201, answer.text


def test_the_api_does_not_take_an_import_only_authority(client, context, admin) -> None:
    source = {"kind": "source", "document": "a source"}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": source}, 400
    )
    assert problem["errors"][0]["pointer"] == "#/authority/kind"


def test_openapi_request_bodies_refuse_additional_properties(client) -> None:
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    transfer = schemas["TransferAccountHoldership"]
    assert transfer["additionalProperties"] is False
    assert "authority" in transfer["required"]
    authority = next(s for name, s in schemas.items() if name.endswith("AuthorityBody"))
    assert authority["additionalProperties"] is False


# -- finding 7: names are validated ---------------------------------------------------------------
@pytest.mark.parametrize("slug", ["Bad Region", "zuid-limburg\n", "g7-g\u0435lderland", "x" * 65])
def test_a_slug_that_is_none_is_a_400(client, context, admin, slug) -> None:
    body = {"region": slug, "name": "Nieuwe regio", "authority": EXTERNAL}
    problem = _refused(client, context, admin, "/regions", body, 400)
    assert problem["errors"][0]["pointer"] == "#/region"
    assert "expected a slug" in problem["detail"] or "too long" in problem["detail"]


def test_a_name_mixing_scripts_is_refused(client, context, admin) -> None:
    body = {"region": "nieuw", "name": "G7 G\u0435lderland", "authority": EXTERNAL}
    problem = _refused(client, context, admin, "/regions", body, 422)
    assert "mixes scripts (CYRILLIC, LATIN)" in problem["detail"]


def test_an_external_authority_whose_name_mixes_scripts_is_refused(client, context, admin) -> None:
    # "Мinisterie van VWS" with a Cyrillic М reads as the ministry, and is another name.
    authority = {**EXTERNAL, "external": "\u041cinisterie van VWS"}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 422
    )
    assert "mixes scripts (CYRILLIC, LATIN)" in problem["detail"]


def test_a_display_name_is_recorded_nfc_normalised(client, context, admin) -> None:
    decomposed = "Frysla\u0302n"
    body = {"region": "fryslan", "name": decomposed, "authority": EXTERNAL}
    answer = client.post("/regions", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    position = answer.json()["event_ids"][0]
    event = client.get(
        f"/events?after={position - 1}&limit=1", headers=bearer(context, Role.AUDITOR)
    ).json()["events"][0]
    assert event["state"]["name"] == "Frysl\u00e2n"


@pytest.mark.parametrize("path", ["/regions/zuid-limburg%0A/feed", "/regions/zuid-limburg%0A/map"])
def test_a_path_slug_that_is_none_is_a_400(client, admin, path) -> None:
    answer = client.get(path, headers=admin)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["parameter"] == "region"


@pytest.mark.parametrize(
    "scope, named",
    [
        (
            {"regions": ["zuid-limburgg"]},
            "region 'zuid-limburgg' is not registered (did you mean zuid-limburg?)",
        ),
        ({"cooperations": ["g7-gelderlnd"]}, "cooperation 'g7-gelderlnd' is not registered"),
    ],
)
def test_a_token_may_name_only_scopes_that_exist(client, context, admin, scope, named) -> None:
    before = len(context.tokens.list())
    answer = client.post(
        "/tokens", json={"name": "typo", "role": "coordinator", **scope}, headers=admin
    )
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["detail"]
    assert len(context.tokens.list()) == before


# -- finding 8: every text has a documented bound -------------------------------------------------
@pytest.mark.parametrize("field, bound", [("notes", 2000), ("agreement", 64)])
def test_a_text_over_its_bound_is_a_400_naming_the_field(
    client, context, admin, field, bound
) -> None:
    body = {**TRANSFER_BODY, field: "x" * (bound + 1)}
    problem = _refused(client, context, admin, TRANSFER, body, 400)
    assert problem["errors"][0]["pointer"] == f"#/{field}"
    assert f"too long: at most {bound} characters" in problem["detail"]


def test_a_participation_note_over_its_bound_is_a_400(client, context, admin) -> None:
    body = {
        "cooperation": "g7-gelderland",
        "region": "regio-nijmegen",
        "participation_note": "x" * 2001,
        "authority": EXTERNAL,
    }
    problem = _refused(client, context, admin, "/cooperations/regions", body, 400)
    assert problem["errors"][0]["pointer"] == "#/participation_note"


DATE_OBJECT = "#/components/schemas/DateWithPrecision"


def test_every_text_field_of_every_command_documents_its_bound(client) -> None:
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    unbounded = []

    def visit(where: str, schema: dict, bounded: bool = False) -> None:
        # Litestar puts the bound of an optional string on the union around it; it drops the
        # pattern of a date's notation in its union with the object form, which is enforced all the
        # same (test_a_decision_date_is_a_date_notation) and which the union's description gives.
        bounded = bounded or "maxLength" in schema or "pattern" in schema or "maxItems" in schema
        bounded = bounded or {"$ref": DATE_OBJECT} in schema.get("oneOf", ())
        # Decimals (contract years, cost shares) travel as strings; their value, not their text, is
        # bounded (a cost key's shares make exactly 100).
        decimal = where.endswith(("_years", ".percentage"))
        free_text = schema.get("format") not in ("date", "date-time", "uuid")
        plain = "enum" not in schema and free_text
        if schema.get("type") == "string" and not (bounded or decimal) and plain:
            unbounded.append(where)
        if schema.get("type") == "array" and not bounded:
            unbounded.append(where)
        for key in ("anyOf", "oneOf", "allOf"):
            for part in schema.get(key, ()):
                visit(where, part, bounded)
        if "items" in schema:
            # (litestar drops an item's own bound from the document; the list's is shown)
            visit(where + "[]", schema["items"], True)
        for name, part in schema.get("properties", {}).items():
            visit(f"{where}.{name}", part)

    command_bodies = {
        name: schema
        for name, schema in schemas.items()
        if schema.get("additionalProperties") is False and name != "TokenRequest"
    }
    assert len(command_bodies) > 30
    for name, schema in command_bodies.items():
        visit(name, schema)
    assert unbounded == [], unbounded


def test_a_decision_date_is_a_date_notation(client, context, admin) -> None:
    authority = {**NMZ_AUTHORITY, "decision_date": "2026-11-20" + "x" * 1000}
    problem = _refused(
        client, context, admin, TRANSFER, {**TRANSFER_BODY, "authority": authority}, 400
    )
    assert problem["errors"][0]["pointer"] == "#/authority/decision_date"
