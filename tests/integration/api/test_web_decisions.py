"""The decision form: a coordinator records the transfer of an account holdership through the same
command path as the API; refusals are shown from its problem details; a stale form (If-Match) is
refused with 409 and records nothing."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from api.context import ApiContext
from domain.values import SubjectKind
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.test_web_pages import _csrf, _sign_in, _token

FORM = "/besluiten/overdracht-accounthouderschap"
PACTUM_IN_NMZ = {"samenwerkingsverband": "nmz-limburg", "organisatie": "pactum"}
FILLED = {
    "agreement": "nmz-pactum-2027",
    "handover": "2027-01-01",
    "holder_region": "zuid-limburg",
    "authority_body": "nmz-bestuurlijk-overleg",
    "authority_decision_date": "2026-11-20",
    "authority_document": "besluitenlijst 2026-11",
}


def _open_form(client: TestClient) -> dict[str, str]:
    page = client.get(FORM, params=PACTUM_IN_NMZ)
    assert page.status_code == 200, page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version, "the form carries no version"
    return {
        "_csrf_token": _csrf(page.text),
        "version": version.group(1),
        "cooperation": "nmz-limburg",
        "organisation": "pactum",
    }


def _transfers(context: ApiContext) -> list[str]:
    ProjectionRunner(context.app, context.engine).catch_up()
    return [
        entry.description
        for entry in context.maps.history(SubjectKind.ORGANISATION, "pactum")
        if entry.event == "AccountHoldership.HolderTransferred"
    ]


def _coordinator(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.COORDINATOR, cooperations=("nmz-limburg",)))


def test_a_coordinator_records_a_transfer_and_sees_it_on_the_map(
    client: TestClient, context: ApiContext
) -> None:
    _coordinator(client, context)
    page = client.get(FORM, params=PACTUM_IN_NMZ).text
    assert 'for="authority_body"' in page and "nmz-bestuurlijk-overleg" in page
    answer = client.post(FORM, data={**_open_form(client), **FILLED}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/kaart/organisatie/pactum?peildatum=2027-01-01")
    assert len(_transfers(context)) == 1
    recorded = client.get(answer.headers["location"]).text
    assert "De overdracht is vastgelegd" in recorded
    holders = recorded.split('id="kop-account_holders"')[1].split("</section>")[0]
    assert "Zuid-Limburg" in holders and "nmz-pactum-2027" in holders


def test_a_stale_form_is_refused_with_409_and_records_nothing(
    client: TestClient, context: ApiContext
) -> None:
    _coordinator(client, context)
    first, second = _open_form(client), _open_form(client)
    assert client.post(FORM, data={**first, **FILLED}, follow_redirects=False).status_code == 303
    stale = client.post(
        FORM,
        data={**second, **FILLED, "agreement": "nmz-pactum-2028", "handover": "2028-01-01"},
        follow_redirects=False,
    )
    assert stale.status_code == 409
    assert "intussen gewijzigd" in stale.text and "niets vastgelegd" in stale.text
    transfers = _transfers(context)
    assert len(transfers) == 1 and "nmz-pactum-2028" not in transfers[0]


def test_an_invalid_field_is_shown_beside_it_from_the_problem_details(
    client: TestClient, context: ApiContext
) -> None:
    _coordinator(client, context)
    answer = client.post(FORM, data={**_open_form(client), **FILLED, "agreement": "Geen Kenmerk!"})
    assert answer.status_code == 400
    error = re.search(r'id="agreement-fout">([^<]+)<', answer.text)
    assert error and "expected a slug" in error.group(1)
    assert re.search(r'id="agreement"[^>]*aria-invalid="true"', answer.text)
    assert 'value="Geen Kenmerk!"' in answer.text  # what was typed stays
    assert _transfers(context) == []


def test_a_region_outside_the_cooperation_is_refused_naming_the_rule(
    client: TestClient, context: ApiContext
) -> None:
    _coordinator(client, context)
    answer = client.post(FORM, data={**_open_form(client), **FILLED, "holder_region": "achterhoek"})
    assert answer.status_code in (403, 422)
    assert "Niet vastgelegd" in answer.text and "achterhoek" in answer.text
    assert _transfers(context) == []


def test_an_auditor_gets_no_decision_form(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    assert client.get(FORM, params=PACTUM_IN_NMZ).status_code == 403
    assert "Overdracht accounthouderschap" not in client.get("/").text


def test_a_version_that_no_version_can_be_is_refused_and_records_nothing(
    client: TestClient, context: ApiContext
) -> None:
    """The form's hidden version is what the browser sends back: "²" passed str.isdigit and broke
    int() (a 500), as did more digits than int() reads."""
    _coordinator(client, context)
    for version in ("\u00b2", "9" * 5000):
        answer = client.post(
            FORM,
            data={**_open_form(client), **FILLED, "version": version},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert answer.status_code == 400, answer.text[:300]
        assert "Overdracht accounthouderschap" in answer.text
    assert _transfers(context) == []


def test_after_a_transfer_the_map_opens_on_the_day_recorded_not_on_the_text_sent(
    client: TestClient, context: ApiContext
) -> None:
    """The handover is read with its spaces trimmed; the map it leads to was given the text as sent,
    and a transfer just recorded answered with the page "Deze vraag klopt niet" (400)."""
    _coordinator(client, context)
    answer = client.post(
        FORM,
        data={**_open_form(client), **FILLED, "handover": "2027-01-01 \r\n"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert len(_transfers(context)) == 1
    location = answer.headers["location"]
    assert location == "/kaart/organisatie/pactum?peildatum=2027-01-01&vastgelegd=overdracht"
    shown = client.get(location, headers={"Accept": "text/html"})
    assert shown.status_code == 200 and "De overdracht is vastgelegd" in shown.text
