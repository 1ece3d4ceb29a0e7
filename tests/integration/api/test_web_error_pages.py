"""A page that fails answers with a Dutch page in the site's layout, with the same status code as the
API's problem details; the API's routes, and clients that do not ask for HTML, keep RFC 9457 JSON."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from api.context import ApiContext
from api.web.maps import REGION
from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_web_pages import _sign_in, _token

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _is_error_page(page: str, heading: str) -> None:
    assert 'lang="nl"' in page and "utrecht-page" in page  # the site's layout
    assert f'<h1 class="utrecht-heading-1">{heading}</h1>' in page
    assert '<a class="utrecht-link" href="/">Terug naar het overzicht</a>' in page
    assert "application/problem+json" not in page and '"status"' not in page


def test_an_unknown_region_is_a_dutch_not_found_page(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    answer = client.get("/kaart/regio/atlantis", headers=BROWSER)
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    _is_error_page(answer.text, "Niet gevonden")
    assert re.search(r"Aangemeld als [^<]+ \(auditor\)", answer.text)  # the signed-in layout


def test_a_region_outside_the_scope_is_a_dutch_forbidden_page(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.REGION_SYSTEM, regions=("zuid-limburg",)))
    answer = client.get("/kaart/regio/noord-limburg", headers=BROWSER)
    assert answer.status_code == 403
    _is_error_page(answer.text, "Geen toegang")
    assert "regiosysteem ziet alleen de eigen regio" in answer.text


def test_a_peildatum_that_is_no_date_is_a_dutch_bad_request_page_naming_the_field(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    answer = client.get("/kaart/regio/zuid-limburg?peildatum=morgen", headers=BROWSER)
    assert answer.status_code == 400
    _is_error_page(answer.text, "Deze vraag klopt niet")
    assert "Controleer: peildatum." in answer.text


def test_a_page_that_breaks_is_a_dutch_page_with_the_request_id(
    client: TestClient, context: ApiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the read model")

    monkeypatch.setattr(REGION, "query", broken)
    answer = client.get("/kaart/regio/zuid-limburg", headers=BROWSER)
    assert answer.status_code == 500
    _is_error_page(answer.text, "Er ging iets mis")
    assert "a bug in the read model" not in answer.text  # no internals
    assert f"kenmerk {answer.headers['x-request-id']}" in answer.text


def test_the_api_and_clients_not_asking_for_html_keep_problem_details(
    client: TestClient, context: ApiContext
) -> None:
    api = client.get("/regions/atlantis", headers={**BROWSER, **bearer(context, Role.AUDITOR)})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["status"] == 404 and api.json()["instance"] == "/regions/atlantis"
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get("/kaart/regio/atlantis", headers={"Accept": "application/json"})
    assert page.status_code == 404 and page.json()["title"] == "Not found"


def test_a_form_without_its_csrf_token_is_a_dutch_stale_form_page(client: TestClient) -> None:
    client.get("/aanmelden")
    answer = client.post("/aanmelden", data={"token": "whatever"}, headers=BROWSER)
    assert answer.status_code == 403
    _is_error_page(answer.text, "Formulier verlopen")
    assert "Laad de pagina opnieuw" in answer.text
