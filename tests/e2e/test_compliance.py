"""A region's verdict on a norm through the running service: recorded, revised, and read as in force
on a day (``as_of``) and as known at a moment (``known_at``), the imported verdict kept before both."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.fixtures.processes import Service

WACHTLIJSTBEHEER = "kamerbrief-r1-2g"
PHO_NOORD_LIMBURG = {
    "body": "pho-sociaal-domein-noord-limburg",
    "decision_date": "2023-03-01",
    "document": "besluitenlijst PHO Sociaal Domein 2023-03",
}


def _assessment(verdict: str, assessed_on: str) -> dict[str, Any]:
    return {
        "norm": WACHTLIJSTBEHEER,
        "region": "noord-limburg",
        "verdict": verdict,
        "verdict_as_written": verdict.capitalize(),
        "assessed_by": {"kind": "region", "slug": "noord-limburg"},
        "assessed_on": {"value": assessed_on, "precision": "day"},
        "authority": PHO_NOORD_LIMBURG,
    }


def _noord_limburg_history(reader: httpx.Client, wanted: int, **params: str) -> list[dict]:
    """Noord-Limburg's verdicts on the norm, once the projection shows ``wanted`` of them."""
    for _ in range(500):
        history = reader.get(f"/norms/{WACHTLIJSTBEHEER}", params=params).json()["history"]
        own = [v for v in history if v["region"]["slug"] == "noord-limburg"]
        if len(own) >= wanted:
            return own
        time.sleep(0.02)
    raise AssertionError(f"the norm's history did not reach {wanted} verdicts of Noord-Limburg")


def _verdict_on(reader: httpx.Client, **params: str) -> str:
    norm = reader.get(f"/norms/{WACHTLIJSTBEHEER}", params=params)
    assert norm.status_code == 200, norm.text
    return next(
        v["verdict"] for v in norm.json()["verdicts"] if v["region"]["slug"] == "noord-limburg"
    )


def test_a_verdict_recorded_and_revised_reads_by_as_of_and_known_at(service: Service) -> None:
    coordinator = service.token("coordinator", "e2e-compliance", regions=["noord-limburg"])
    auditor = service.token("auditor", "e2e-compliance-reader")
    with service.client(coordinator) as noord, service.client(auditor) as reader:
        first = noord.post("/norms/assessments", json=_assessment("ja", "2023-03-01"))
        assert first.status_code == 201, first.text
        _noord_limburg_history(reader, 2)
        between = datetime.now(UTC).replace(tzinfo=None).isoformat()
        time.sleep(0.01)  # the revision is recorded strictly after ``between``
        revised = noord.post("/norms/assessments", json=_assessment("gedeeltelijk", "2023-09-01"))
        assert revised.status_code == 201, revised.text
        history = _noord_limburg_history(reader, 3)

        assert [v["verdict"] for v in history] == ["nee", "ja", "gedeeltelijk"]
        assert _verdict_on(reader, as_of="2021-01-01") == "nee"  # the imported gap analysis
        assert _verdict_on(reader, as_of="2023-06-01") == "ja"
        assert _verdict_on(reader, as_of="2024-01-01") == "gedeeltelijk"
        # As known before the revision was recorded: the first verdict still holds in 2024.
        assert _verdict_on(reader, as_of="2024-01-01", known_at=between) == "ja"
        assert _noord_limburg_history(reader, 2, known_at=between) == history[:2]
