"""Days and moments at the edges of what Python's dates hold (years 1 to 9999): a ``known_at`` whose
offset puts it outside them in UTC, or a peildatum whose page reaches past them (the slider runs five
years on, the difference form starts a year back), is a 400 naming the parameter, never a 500."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from api.context import ApiContext
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_web_pages import _sign_in, _token

# In UTC: a moment of the year 10000 and one of the year 0.
PAST_THE_END = "9999-12-31T23:59:59-12:00"
BEFORE_THE_START = "0001-01-01T00:00:00+14:00"


@pytest.mark.parametrize("known_at", [PAST_THE_END, BEFORE_THE_START])
@pytest.mark.parametrize(
    "path",
    [
        "/regions/zuid-limburg/map",
        "/regions/zuid-limburg/history",
        "/regions/zuid-limburg/compliance",
        "/regions/zuid-limburg/plans-of-approach",
        "/cooperations/g7-gelderland/module-commitments",
        "/bodies/g16zlb",
        "/regions",
    ],
)
def test_a_known_at_outside_the_years_in_utc_is_a_400_naming_it(
    client: TestClient, context: ApiContext, path: str, known_at: str
) -> None:
    answer = client.get(path, params={"known_at": known_at}, headers=bearer(context, Role.AUDITOR))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["parameter"] for e in answer.json()["errors"]] == ["known_at"]


@pytest.mark.parametrize(
    "path",
    [
        f"/kaart/regio/zuid-limburg?bekend_op={PAST_THE_END.replace('+', '%2B')}",
        f"/kaart/regio/zuid-limburg?bekend_op={BEFORE_THE_START.replace('+', '%2B')}",
        f"/kaart/regio/zuid-limburg/normen?bekend_op={BEFORE_THE_START.replace('+', '%2B')}",
        "/kaart/regio/zuid-limburg?peildatum=0001-01-01",
        "/kaart/regio/zuid-limburg?peildatum=9999-12-31",
        "/kaart/organisatie/pactum?peildatum=9996-01-01",
    ],
)
def test_a_page_at_the_edges_of_the_years_is_a_400_page(
    client: TestClient, context: ApiContext, path: str
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 400, answer.text[:300]
    assert "Deze vraag klopt niet" in answer.text


def test_the_pages_still_take_the_days_within_them(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    for peildatum in ("0002-01-01", "9994-12-31"):
        answer = client.get(f"/kaart/regio/zuid-limburg?peildatum={peildatum}")
        assert answer.status_code == 200, answer.text[:300]


def test_a_fact_dated_in_the_last_year_leaves_the_map_pages_readable(
    client: TestClient, context: ApiContext
) -> None:
    """A coordinator may record a transfer on 31 December 9999 (a day the API takes); the timeline
    picture's right edge was 1 January of the year after the last date, and every map page of the
    subjects the transfer touches answered 500, for every reader."""
    body = {
        "cooperation": "nmz-limburg",
        "organisation": "pactum",
        "agreement": "nmz-pactum-9999",
        "handover": "9999-12-31",
        "holder_region": "zuid-limburg",
        "authority": {
            "body": "nmz-bestuurlijk-overleg",
            "decision_date": "2026-11-20",
            "document": "besluitenlijst 2026-11",
        },
    }
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("nmz-limburg",))
    recorded = client.post(
        "/agreements/account-holderships/transfer", json=body, headers=coordinator
    )
    assert recorded.status_code == 201, recorded.text
    ProjectionRunner(context.app, context.engine).catch_up()
    _sign_in(client, _token(context, Role.AUDITOR))
    for page in ("/kaart/organisatie/pactum", "/kaart/regio/zuid-limburg"):
        answer = client.get(page, headers={"Accept": "text/html"})
        assert answer.status_code == 200, answer.text[:300]
        assert "9999" in answer.text
