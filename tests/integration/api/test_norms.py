"""Norms and each region's verdicts on them, over HTTP, from the imported Limburg gap analysis: a
region's unmet norms with owner and target, two regions' verdicts side by side, duplicate rows linked,
a coordinator refused outside their region, and a revised verdict read by ``as_of`` and ``known_at``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer

WACHTLIJSTBEHEER = "kamerbrief-r1-2g"
AUTHORITY = {
    "body": "pho-sociaal-domein-noord-limburg",
    "decision_date": "2023-03-01",
    "document": "besluitenlijst PHO Sociaal Domein 2023-03",
}


def _get(client, context, path: str) -> Any:
    answer = client.get(path, headers=bearer(context, Role.AUDITOR))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _by_region(verdicts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {v["region"]["slug"]: v for v in verdicts}


def _assessment(verdict: str, assessed_on: str) -> dict[str, Any]:
    return {
        "norm": WACHTLIJSTBEHEER,
        "region": "noord-limburg",
        "verdict": verdict,
        "verdict_as_written": verdict.capitalize(),
        "explanation": "Aanpak wachtlijstbeheer vastgesteld.",
        "assessed_by": {"kind": "region", "slug": "noord-limburg"},
        "assessed_on": {"value": assessed_on, "precision": "day"},
        "action": {
            "what": "Aanpak uitvoeren",
            "owner": {"kind": "workgroup", "name": "Werkgroep wachtlijsten"},
            "target": {"notation": "2024", "as_written": "2024"},
        },
        "authority": AUTHORITY,
    }


def test_noord_limburg_does_not_meet_wachtlijstbeheer_the_werkgroep_acts_by_2022(
    client, context
) -> None:
    compliance = _get(client, context, "/regions/noord-limburg/compliance?as_of=2021-01-01")
    gaps = {g["norm"]["code"]: g for g in compliance["gaps"]}
    gap = gaps["R1.2g"]
    assert gap["norm"]["title"] == "Aanpak wachtlijstbeheer"
    assert (gap["verdict"], gap["standing"], gap["verdict_as_written"]) == (
        "nee",
        "voldoet-niet",
        "Nee",
    )
    assert gap["owner"] == {"kind": "workgroup", "slug": None, "name": "Werkgroep wachtlijsten"}
    assert gap["target"]["notation"] == "2022"
    assert gap["statutory_deadline"]["notation"] is None  # "Er is nog geen datum bekend"
    # Met norms are not listed; every row of the table has a verdict for Noord-Limburg.
    assert "R1.2a" not in gaps and compliance["assessed"] == 38
    # Before the analysis was written, no verdict held yet.
    assert _get(client, context, "/regions/noord-limburg/compliance?as_of=2019-06-01")["gaps"] == []


def test_midden_limburg_west_seems_to_meet_it_beside_noord_limburgs_no(client, context) -> None:
    norm = _get(client, context, f"/norms/{WACHTLIJSTBEHEER}?as_of=2021-01-01")
    side_by_side = _by_region(norm["verdicts"])
    assert side_by_side["noord-limburg"]["verdict"] == "nee"
    mlw = side_by_side["midden-limburg-west"]
    assert (mlw["verdict"], mlw["verdict_as_written"]) == ("lijkt-te-voldoen", "Lijkt te voldoen.")
    assert mlw["standing"] == "onzeker"  # seeming to meet is not meeting


def test_the_repeated_self_regulation_rows_are_linked_as_duplicates(client, context) -> None:
    r2_1 = _get(client, context, "/norms/kamerbrief-r2-1")
    r1_4 = _get(client, context, "/norms/kamerbrief-r1-4")
    assert r2_1["duplicate_of"] == ["kamerbrief-r1-4"]
    assert r1_4["duplicated_by"] == ["kamerbrief-r2-1"]
    remarks = [r["remark"] for r in r2_1["remarks"]]
    assert remarks == ["lijkt een herhaling?"]
    listed = {n["code"] for n in _get(client, context, "/norms")}
    assert {"R1.4", "R2.1", "R7.2"} <= listed and len(listed) == 38


def test_a_coordinator_outside_the_region_is_refused_and_nothing_is_recorded(
    client, context
) -> None:
    before = context.app.recorder.max_notification_id()
    zuid = bearer(context, Role.COORDINATOR, regions=("zuid-limburg",))
    answer = client.post("/norms/assessments", json=_assessment("ja", "2023-03-01"), headers=zuid)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert "noord-limburg" in answer.json()["detail"]
    assert context.app.recorder.max_notification_id() == before


def test_an_unknown_norm_or_a_bad_verdict_is_a_problem_and_records_nothing(client, context) -> None:
    before = context.app.recorder.max_notification_id()
    noord = bearer(context, Role.COORDINATOR, regions=("noord-limburg",))
    unknown = client.post(
        "/norms/assessments",
        json={**_assessment("ja", "2023-03-01"), "norm": "kamerbrief-r9-9"},
        headers=noord,
    )
    bad = client.post(
        "/norms/assessments",
        json={**_assessment("ja", "2023-03-01"), "verdict": "misschien"},
        headers=noord,
    )
    assert (unknown.status_code, bad.status_code) == (422, 400)
    assert {unknown.headers["content-type"], bad.headers["content-type"]} == {
        "application/problem+json"
    }
    assert context.app.recorder.max_notification_id() == before
    missing = client.get("/norms/kamerbrief-r9-9", headers=bearer(context, Role.AUDITOR))
    assert missing.status_code == 404


def test_a_revised_verdict_reads_by_as_of_and_known_at_and_the_earlier_stays(
    client, context
) -> None:
    noord = bearer(context, Role.COORDINATOR, regions=("noord-limburg",))
    first = client.post("/norms/assessments", json=_assessment("ja", "2023-03-01"), headers=noord)
    assert first.status_code == 201, first.text
    ProjectionRunner(context.app, context.engine).catch_up()
    between = datetime.now(UTC).replace(tzinfo=None).isoformat()
    revised = client.post(
        "/norms/assessments", json=_assessment("gedeeltelijk", "2023-09-01"), headers=noord
    )
    assert revised.status_code == 201, revised.text
    ProjectionRunner(context.app, context.engine).catch_up()

    def verdict(query: str) -> str:
        norm = _get(client, context, f"/norms/{WACHTLIJSTBEHEER}?{query}")
        return str(_by_region(norm["verdicts"])["noord-limburg"]["verdict"])

    assert verdict("as_of=2021-01-01") == "nee"  # the imported analysis
    assert verdict("as_of=2023-06-01") == "ja"
    assert verdict("as_of=2024-01-01") == "gedeeltelijk"
    assert verdict(f"as_of=2024-01-01&known_at={between}") == "ja"  # the revision not yet known
    compliance = _get(client, context, "/regions/noord-limburg/compliance?as_of=2023-06-01")
    assert "R1.2g" not in {g["norm"]["code"] for g in compliance["gaps"]}

    history = _get(client, context, f"/norms/{WACHTLIJSTBEHEER}")["history"]
    noord_history = [v for v in history if v["region"]["slug"] == "noord-limburg"]
    assert [v["verdict"] for v in noord_history] == ["nee", "ja", "gedeeltelijk"]
    assert noord_history[0]["action"]["owner"]["name"] == "Werkgroep wachtlijsten"
    assert noord_history[1]["assessed_on"] == {"value": "2023-03-01", "precision": "day"}
    earlier = _get(client, context, f"/norms/{WACHTLIJSTBEHEER}?known_at={between}")["history"]
    assert [v for v in earlier if v["region"]["slug"] == "noord-limburg"] == noord_history[:2]


def test_the_regions_history_tells_its_verdicts_and_remarks_in_dutch(client, context) -> None:
    history = _get(client, context, "/regions/noord-limburg/history")
    sentences = [entry["summary"] for entry in history]
    assert "Oordeel van Noord-Limburg over norm kamerbrief-r1-2g: nee per 2020." in sentences
    assert any(
        s.startswith("Opmerking van Claudia bij het oordeel van Noord-Limburg") for s in sentences
    )


def test_a_verdict_reaches_the_feed_of_the_region_assessed_only(client, context) -> None:
    mlw = bearer(context, Role.REGION_SYSTEM, regions=("midden-limburg-west",))
    types_and_subjects = set()
    after = 0
    while True:
        page = client.get(
            f"/events?region=midden-limburg-west&after={after}&limit=500", headers=mlw
        )
        assert page.status_code == 200, page.text
        events = page.json()["events"]
        if not events:
            break
        types_and_subjects |= {(e["type"], e["state"].get("region")) for e in events}
        after = events[-1]["id"]
    assessed = {
        region for kind, region in types_and_subjects if kind == "ComplianceAssessment.Assessed"
    }
    assert assessed == {"midden-limburg-west"}
    assert ("ComplianceAssessment.Annotated", "noord-limburg") not in types_and_subjects


def test_norms_whose_codes_order_oddly_leave_the_list_readable(client, context) -> None:
    """The list orders codes with their numbers as numbers; a code with "²" (a digit to str.isdigit,
    not to int()), or one starting with a number beside codes starting with letters, made GET /norms
    a 500 for every reader once an admin registered it."""
    admin = bearer(context, Role.ADMIN)
    body = {
        "norm": "igj-2021-kwadraat",
        "framework": "igj",
        "code": "IGJ-2021²",
        "theme": "Jeugdbescherming",
        "title": "Een code met een superscript",
        "authority": {
            "kind": "external",
            "external": "Inspectie Gezondheidszorg en Jeugd",
            "decision_date": "2021-06-01",
            "document": "Rapport Noord-Holland 2021",
        },
    }
    assert client.post("/norms", json=body, headers=admin).status_code == 201
    # A code that starts with a number: its number was compared with another code's letters.
    numbered = {**body, "norm": "igj-2021-genummerd", "code": "1.2"}
    assert client.post("/norms", json=numbered, headers=admin).status_code == 201
    ProjectionRunner(context.app, context.engine).catch_up()
    listed = client.get("/norms", headers=bearer(context, Role.AUDITOR))
    assert listed.status_code == 200, listed.text
    assert "igj-2021-kwadraat" in listed.text and "igj-2021-genummerd" in listed.text
