"""Module commitments (G7 principle C) over HTTP, on the real facts and a real SQLite read model: the
imported G7 commitments lack their regional mandates; recording them through the API makes a commitment
count as of a later ``known_at`` while the earlier one still shows it lacking; a coordinator outside
the scope is refused and nothing is recorded; cost keys must make 100%."""

from __future__ import annotations

from datetime import date

from domain.modules import MandateKind, ModuleCommitment
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer

G7_COMMITMENTS = "/cooperations/g7-gelderland/module-commitments"
MANDATES = "/module-commitments/mandates"
COST_KEYS = "/module-commitments/cost-keys"


def _mandate(kind: str, body: str = "wethoudersoverleg-regio-nijmegen") -> dict:
    return {
        "cooperation": "g7-gelderland",
        "module": 2,
        "region": "regio-nijmegen",
        "mandate": kind,
        "valid_from": {"value": "2022-01-01", "precision": "day"},
        "authority": {
            "kind": "body",
            "body": body,
            "decision_date": {"value": "2021-12-09", "precision": "day"},
            "document": "besluitenlijst wethoudersoverleg 2021-12",
        },
    }


def _entry(body: dict, region: str, module: int) -> dict:
    [entry] = [
        e for e in body["commitments"] if e["region"]["slug"] == region and e["module"] == module
    ]
    return entry


def _catch_up(context) -> None:
    ProjectionRunner(context.app, context.engine).catch_up()


def test_an_imported_g7_commitment_without_a_cost_mandate_is_listed_as_such(
    client, context
) -> None:
    reader = bearer(context, Role.AUDITOR)
    answer = client.get(f"{G7_COMMITMENTS}?as_of=2021-06-01&lacking=costs", headers=reader)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    sez = _entry(body, "achterhoek", 2)
    assert sez["item"] == "Spoed Eisende Zorg"
    assert "Jeugdbescherming Gelderland" in sez["commitment"]["content"]
    assert sez["commitment"]["provenance"]["sources"] == ["nijmegen-regiobeeld-2021:L673"]
    assert sez["lacks"] == ["content", "costs"]
    assert sez["counts"] is False
    assert {(e["module"], e["region"]["slug"]) for e in body["commitments"]} == {
        (module, region)
        for module in (1, 2, 3)
        for region in (
            "regio-nijmegen",
            "achterhoek",
            "centraal-gelderland",
            "midden-ijssel-oost-veluwe",
        )
    }
    assert body["cost_keys"] == []


def test_a_commitment_counts_once_both_mandates_are_recorded_and_not_before(
    client, context
) -> None:
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    reader = bearer(context, Role.AUDITOR)
    content = client.post(MANDATES, json=_mandate("content"), headers=coordinator)
    assert content.status_code == 201, content.text
    _catch_up(context)
    listed = client.get(f"{G7_COMMITMENTS}?as_of=2022-03-01", headers=reader).json()
    [content_mandate] = _entry(listed, "regio-nijmegen", 2)["mandates"]
    # As known when the content mandate was recorded, and before the cost mandate was.
    before_costs = content_mandate["recorded_at"].replace("+00:00", "").removesuffix("Z")
    costs = client.post(MANDATES, json=_mandate("costs"), headers=coordinator)
    assert costs.status_code == 201, costs.text
    _catch_up(context)

    now = client.get(f"{G7_COMMITMENTS}?as_of=2022-03-01", headers=reader).json()
    nijmegen = _entry(now, "regio-nijmegen", 2)
    assert nijmegen["counts"] is True and nijmegen["lacks"] == []
    assert [m["mandate"] for m in nijmegen["mandates"]] == ["content", "costs"]
    assert nijmegen["mandates"][1]["authority"]["body"] == "wethoudersoverleg-regio-nijmegen"
    assert _entry(now, "achterhoek", 2)["lacks"] == ["content", "costs"]

    earlier = client.get(
        f"{G7_COMMITMENTS}?as_of=2022-03-01&known_at={before_costs}", headers=reader
    ).json()
    assert _entry(earlier, "regio-nijmegen", 2)["lacks"] == ["costs"]
    assert _entry(earlier, "regio-nijmegen", 2)["counts"] is False
    # Before the mandates hold (valid time), it does not count either.
    old = client.get(f"{G7_COMMITMENTS}?as_of=2021-06-01", headers=reader).json()
    assert _entry(old, "regio-nijmegen", 2)["counts"] is False
    lacking = client.get(f"{G7_COMMITMENTS}?as_of=2022-03-01&lacking=costs", headers=reader)
    assert ("regio-nijmegen", 2) not in {
        (e["region"]["slug"], e["module"]) for e in lacking.json()["commitments"]
    }
    history = client.get("/regions/regio-nijmegen/history", headers=reader).json()
    sentences = [e["summary"] for e in history if "mandaat" in e["summary"]]
    assert sentences[-1].startswith(
        "Regio Nijmegen geeft mandaat voor de kosten van module 2 van G7"
    ), sentences
    assert "per 2022-01-01, besloten door" in sentences[-1], sentences
    region = client.get(
        "/regions/regio-nijmegen/module-commitments?as_of=2022-03-01", headers=reader
    )
    assert {e["module"]: e["counts"] for e in region.json()["commitments"]} == {
        1: False,
        2: True,
        3: False,
    }


def test_a_coordinator_outside_the_scope_is_refused_and_nothing_is_recorded(
    client, context
) -> None:
    outsider = bearer(context, Role.COORDINATOR, cooperations=("nmz-limburg",))
    before = context.app.recorder.max_notification_id()
    refused = client.post(MANDATES, json=_mandate("costs"), headers=outsider)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "g7-gelderland" in refused.json()["detail"]
    assert context.app.recorder.max_notification_id() == before
    _catch_up(context)
    listed = client.get(
        f"{G7_COMMITMENTS}?as_of=2022-03-01", headers=bearer(context, Role.AUDITOR)
    ).json()
    assert _entry(listed, "regio-nijmegen", 2)["mandates"] == []


def test_a_mandate_is_given_in_the_region_not_by_the_cooperation(client, context) -> None:
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    before = context.app.recorder.max_notification_id()
    refused = client.post(
        MANDATES, json=_mandate("costs", body="g7-bestuurlijk-overleg"), headers=coordinator
    )
    assert refused.status_code == 422, refused.text
    assert "given in the region" in refused.json()["detail"]
    assert context.app.recorder.max_notification_id() == before


def test_a_cost_key_must_make_100_percent(client, context) -> None:
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    key = {
        "cost_key": "g7-sez-capaciteit",
        "cooperation": "g7-gelderland",
        "module": 2,
        "shares": [
            {"region": "regio-nijmegen", "percentage": "40"},
            {"region": "achterhoek", "percentage": "35.5"},
        ],
        "authority": {
            "kind": "body",
            "body": "g7-bestuurlijk-overleg",
            "decision_date": {"value": "2021-11-01", "precision": "day"},
            "document": "besluitenlijst G7 2021-11",
        },
    }
    before = context.app.recorder.max_notification_id()
    refused = client.post(COST_KEYS, json=key, headers=coordinator)
    assert refused.status_code == 422, refused.text
    assert "75.5%, not 100%" in refused.json()["detail"]
    assert context.app.recorder.max_notification_id() == before
    key["shares"].append({"region": "centraal-gelderland", "percentage": "24.5"})
    assert client.post(COST_KEYS, json=key, headers=coordinator).status_code == 201
    _catch_up(context)
    region = client.get(
        "/regions/achterhoek/module-commitments", headers=bearer(context, Role.AUDITOR)
    ).json()
    [sez] = region["cost_keys"]
    assert (sez["cost_key"], sez["module"], sez["item"]) == (
        "g7-sez-capaciteit",
        2,
        "Spoed Eisende Zorg",
    )
    assert {s["region"]["slug"]: s["percentage"] for s in sez["shares"]} == {
        "achterhoek": "35.5",
        "centraal-gelderland": "24.5",
        "regio-nijmegen": "40",
    }

    revised = {
        **key,
        "shares": [
            {"region": "regio-nijmegen", "percentage": "50"},
            {"region": "achterhoek", "percentage": "50"},
        ],
        "valid_from": {"value": "2023-01-01", "precision": "day"},
    }
    answer = client.post(f"{COST_KEYS}/revise", json=revised, headers=coordinator)
    assert answer.status_code == 201, answer.text
    _catch_up(context)
    reader = bearer(context, Role.AUDITOR)

    def shares_on(day: str) -> dict[str, str]:
        listed = client.get(f"{G7_COMMITMENTS}?as_of={day}", headers=reader).json()
        [key_then] = listed["cost_keys"]
        return {s["region"]["slug"]: s["percentage"] for s in key_then["shares"]}

    assert shares_on("2023-06-01") == {"achterhoek": "50", "regio-nijmegen": "50"}
    assert shares_on("2022-12-31")["centraal-gelderland"] == "24.5"


def test_bad_input_is_a_problem(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    unknown = client.get("/cooperations/nowhere/module-commitments", headers=reader)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    wrong = client.get(f"{G7_COMMITMENTS}?lacking=money", headers=reader)
    assert wrong.status_code == 400
    assert wrong.headers["content-type"] == "application/problem+json"
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    off_agenda = client.post(MANDATES, json={**_mandate("costs"), "module": 9}, headers=coordinator)
    assert off_agenda.status_code == 422
    assert "no module 9" in off_agenda.json()["detail"]


def test_a_corrected_cost_mandate_no_longer_counts(client, context) -> None:
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    reader = bearer(context, Role.AUDITOR)
    client.post(MANDATES, json=_mandate("content"), headers=coordinator)
    costs = client.post(MANDATES, json=_mandate("costs"), headers=coordinator).json()
    _catch_up(context)
    assert _entry(client.get(G7_COMMITMENTS, headers=reader).json(), "regio-nijmegen", 2)["counts"]
    correction = {
        "aggregate_id": costs["aggregate_id"],
        "version": costs["version"],
        "reason": "the wethoudersoverleg did not decide on the costs",
    }
    corrected = client.post("/decisions/corrections", json=correction, headers=coordinator)
    assert corrected.status_code == 201, corrected.text
    _catch_up(context)
    nijmegen = _entry(client.get(G7_COMMITMENTS, headers=reader).json(), "regio-nijmegen", 2)
    assert (nijmegen["counts"], nijmegen["lacks"]) == (False, ["costs"])
    assert context.app.get(ModuleCommitment, "g7-gelderland:m2:regio-nijmegen").lacks(
        date.today()
    ) == (MandateKind.COSTS,)


def test_a_withdrawn_cost_mandate_counts_until_its_last_day(client, context) -> None:
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("g7-gelderland",))
    reader = bearer(context, Role.AUDITOR)
    for kind in ("content", "costs"):
        assert client.post(MANDATES, json=_mandate(kind), headers=coordinator).status_code == 201
    withdrawal = {key: value for key, value in _mandate("costs").items() if key != "valid_from"} | {
        "valid_until": {"value": "2022-12-31", "precision": "day"}
    }
    ended = client.post(f"{MANDATES}/end", json=withdrawal, headers=coordinator)
    assert ended.status_code == 201, ended.text
    _catch_up(context)

    def nijmegen_on(day: str) -> dict:
        listed = client.get(f"{G7_COMMITMENTS}?as_of={day}", headers=reader).json()
        return _entry(listed, "regio-nijmegen", 2)

    assert nijmegen_on("2022-12-31")["counts"] is True
    assert nijmegen_on("2023-01-01")["lacks"] == ["costs"]
    again = client.post(f"{MANDATES}/end", json=withdrawal, headers=coordinator)
    assert again.status_code == 422
    assert "without a recorded end" in again.json()["detail"]
