"""Commands through HTTP against the running service (granian workers, embedded NATS): an account
holdership recorded, transferred and ended; a retried command recorded once; a race decided by If-Match."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fixtures.processes import Service, events_of

ACCOUNT = "/agreements/account-holderships"


@pytest.fixture(scope="module")
def g7(service: Service) -> str:
    # Token names are unique per role: other modules of the session hold an "alice" already.
    return service.token("coordinator", "alice-commands", cooperations=["g7-gelderland"])


def events_recorded(service: Service, aggregate_id: str) -> list[dict]:
    with service.client(service.admin_token) as admin:
        return events_of(admin, aggregate_id)


def holders_of(
    service: Service, token: str, organisation: str, *, as_of: str, after: int = 0
) -> set:
    """The account holders of ``organisation`` in G7 Gelderland on ``as_of``, once the map has applied
    log position ``after``."""
    with service.client(token) as client:
        for _ in range(500):
            view = client.get("/cooperations/g7-gelderland/map", params={"as_of": as_of}).json()
            if (view["position"] or 0) >= after:
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"the map did not reach position {after}")
    return {
        r["holder_region"]["slug"]
        for r in view["roles"]
        if r["role"] == "account-holder" and r.get("organisation", {}).get("slug") == organisation
    }


G7_AUTHORITY = {
    "body": "g7-bestuurlijk-overleg",
    "decision_date": "2025-12",
    "document": "G7 besluitenlijst 2025-12",
}


def test_record_transfer_and_end_an_account_holdership(service: Service, g7: str) -> None:
    assert holders_of(service, g7, "leger-des-heils", as_of="2026-06-01") == set()
    with service.client(g7) as client:
        assigned = client.post(
            ACCOUNT,
            json={
                "agreement": "g7-accounthouder-leger-des-heils",
                "cooperation": "g7-gelderland",
                "organisation": "leger-des-heils",
                "holder_region": "regio-nijmegen",
                "valid_from": {"value": "2026-01-01", "precision": "day"},
                "authority": G7_AUTHORITY,
            },
        )
        assert assigned.status_code == 201, assigned.text
        account = assigned.json()
        transferred = client.post(
            f"{ACCOUNT}/transfer",
            json={
                "cooperation": "g7-gelderland",
                "organisation": "leger-des-heils",
                "agreement": "g7-accounthouder-leger-des-heils-2027",
                "handover": {"value": "2027-01-01", "precision": "day"},
                "holder_region": "achterhoek",
                "authority": G7_AUTHORITY,
            },
            headers={"If-Match": f'"{account["version"]}"'},
        )
        assert transferred.status_code == 201, transferred.text
        ended = client.post(
            f"{ACCOUNT}/end",
            json={
                "cooperation": "g7-gelderland",
                "organisation": "leger-des-heils",
                "valid_until": {"value": "2028-12-31", "precision": "day"},
                "reason": "the care moved to a national contract",
                "authority": G7_AUTHORITY,
            },
        )
        assert ended.status_code == 201, ended.text
        assert ended.json()["version"] == transferred.json()["version"] + 1
    last = ended.json()["event_ids"][-1]
    assert holders_of(service, g7, "leger-des-heils", as_of="2026-06-01", after=last) == {
        "regio-nijmegen"
    }
    assert holders_of(service, g7, "leger-des-heils", as_of="2027-06-01", after=last) == {
        "achterhoek"
    }
    assert holders_of(service, g7, "leger-des-heils", as_of="2029-06-01", after=last) == set()
    types = [e["type"] for e in events_recorded(service, account["aggregate_id"])]
    assert types[-3:] == [
        "AccountHoldership.HolderAssigned",
        "AccountHoldership.HolderTransferred",
        "AccountHoldership.HolderEnded",
    ]
    principals = {e["principal"] for e in events_recorded(service, account["aggregate_id"])[-3:]}
    assert len(principals) == 1 and principals.pop().startswith("coordinator:alice-commands#")


def test_a_retried_command_with_the_same_idempotency_key_records_once(
    service: Service, g7: str
) -> None:
    body = {
        "agreement": "g7-trekker-essentiele-functies",
        "authority": G7_AUTHORITY,
        "milestone": {
            "date": {"value": "2026-06-01", "precision": "month"},
            "what": "tussenrapportage",
        },
    }
    with service.client(g7) as client:
        answers = [
            client.post("/agreements/milestones", json=body, headers={"Idempotency-Key": "g7-ms-1"})
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [201, 201, 201], answers[0].text
    assert len({a.text for a in answers}) == 1
    aggregate = answers[0].json()["aggregate_id"]
    recorded = [
        e for e in events_recorded(service, aggregate) if e["type"].endswith("MilestoneRecorded")
    ]
    assert len([e for e in recorded if e["state"]["milestone"]["what"] == "tussenrapportage"]) == 1


def test_concurrent_retries_with_one_key_record_once(service: Service, g7: str) -> None:
    body = {
        "agreement": "g7-trekker-essentiele-functies",
        "authority": G7_AUTHORITY,
        "milestone": {
            "date": {"value": "2026-09-01", "precision": "month"},
            "what": "eindrapportage",
        },
    }

    def send(_: int):
        with service.client(g7) as client:
            return client.post(
                "/agreements/milestones", json=body, headers={"Idempotency-Key": "g7-ms-2"}
            )

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert {a.status_code for a in answers} <= {201, 409}
    accepted = {a.text for a in answers if a.status_code == 201}
    assert len(accepted) == 1
    aggregate = next(a.json()["aggregate_id"] for a in answers if a.status_code == 201)
    recorded = [
        e
        for e in events_recorded(service, aggregate)
        if e["type"].endswith("MilestoneRecorded")
        and e["state"]["milestone"]["what"] == "eindrapportage"
    ]
    assert len(recorded) == 1


def test_two_concurrent_conflicting_commands_one_succeeds_one_gets_409(
    service: Service, g7: str
) -> None:
    with service.client(g7) as client:
        current = client.post(
            "/agreements/milestones",
            json={
                "agreement": "g7-trekker-uha-gelderland",
                "authority": G7_AUTHORITY,
                "milestone": {"what": "start", "date": {"value": "2026-01-01", "precision": "day"}},
            },
        )
        assert current.status_code == 201, current.text
        version = current.json()["version"]

    def record(what: str):
        with service.client(g7) as client:
            return client.post(
                "/agreements/milestones",
                json={
                    "agreement": "g7-trekker-uha-gelderland",
                    "authority": G7_AUTHORITY,
                    "milestone": {
                        "what": what,
                        "date": {"value": "2026-02-01", "precision": "day"},
                    },
                },
                headers={"If-Match": f'"{version}"'},
            )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(record, ["left", "right"]))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    conflict = next(a for a in answers if a.status_code == 409).json()
    assert conflict["current_version"] == version + 1
    assert conflict["type"].endswith("/version-conflict")


def test_an_if_match_of_a_latin_1_digit_is_a_400_and_records_nothing(
    service: Service, g7: str
) -> None:
    """A header's bytes are read as Latin-1, where 0xB2 is "²": str.isdigit took it and int() did not,
    a 500 on every command route (the test client sends headers as UTF-8, so only a real server shows
    it)."""
    agreement = "g7-trekker-essentiele-functies"
    before = events_recorded(service, agreement)
    body = {
        "agreement": agreement,
        "authority": G7_AUTHORITY,
        "milestone": {"date": {"value": "2026-07", "precision": "month"}, "what": "superscript"},
    }
    with service.client(g7) as client:
        answer = client.post("/agreements/milestones", json=body, headers={"If-Match": b'"\xb2"'})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["parameter"] == "If-Match"
    assert events_recorded(service, agreement) == before != []
