"""What a page's answer tells the browser and any cache between: a page shows what one session may
see (a region system only its own region), so no cache keeps it for another session or for the back
button after signing out, and no other site frames it or has it read as another type. Every answer
on a page's path, the error pages and the redirect to the sign-in page included; the assets keep
their day in the cache."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from api.context import ApiContext
from services.authorisation import Role
from tests.integration.api.test_web_pages import _csrf, _sign_in, _token

HTML = {"Accept": "text/html"}


def _assert_kept_to_this_session(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.headers.get("cache-control") == "no-store", answer.headers
    assert answer.headers.get("x-frame-options") == "DENY"
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", "")
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert answer.headers.get("referrer-policy") == "same-origin"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/zoeken?q=limburg",
        "/kaart/regio/zuid-limburg",
        "/kaart/regio/zuid-limburg/normen",
        "/kaart/regio/zuid-limburg/verschil?van=2020-01-01&tot=2024-01-01",
    ],
)
def test_a_region_systems_pages_are_kept_by_no_cache(
    client: TestClient, context: ApiContext, path: str
) -> None:
    _sign_in(client, _token(context, Role.REGION_SYSTEM, regions=("zuid-limburg",)))
    answer = client.get(path, headers=HTML)
    assert answer.status_code == 200 and "Zuid-Limburg" in answer.text
    _assert_kept_to_this_session(answer)


def test_the_form_an_error_page_and_a_refused_form_are_kept_by_no_cache(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.COORDINATOR, cooperations=("nmz-limburg",)))
    form = client.get("/besluiten/overdracht-accounthouderschap", headers=HTML)
    assert form.status_code == 200 and 'name="_csrf_token"' in form.text
    _assert_kept_to_this_session(form)
    unknown = client.get("/kaart/regio/nergens", headers=HTML)
    assert unknown.status_code == 404 and "Niet gevonden" in unknown.text
    _assert_kept_to_this_session(unknown)
    without_csrf = client.post(
        "/besluiten/overdracht-accounthouderschap", data={"cooperation": "x"}, headers=HTML
    )
    assert without_csrf.status_code == 403 and "Formulier verlopen" in without_csrf.text
    _assert_kept_to_this_session(without_csrf)


def test_the_sign_in_page_and_the_redirect_to_it_are_kept_by_no_cache(client: TestClient) -> None:
    redirect = client.get("/kaart/regio/zuid-limburg", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/aanmelden"
    _assert_kept_to_this_session(redirect)
    sign_in = client.get("/aanmelden")
    assert _csrf(sign_in.text)
    _assert_kept_to_this_session(sign_in)


def test_the_assets_and_the_api_keep_their_own_caching(
    client: TestClient, context: ApiContext
) -> None:
    asset = client.get("/static/regiekaart.css")
    assert asset.status_code == 200 and "max-age=86400" in asset.headers["cache-control"]
    region_map = client.get(
        "/regions/zuid-limburg/map",
        headers={"Authorization": f"Bearer {_token(context, Role.AUDITOR)}"},
    )
    assert region_map.status_code == 200 and "etag" in region_map.headers
    assert "cache-control" not in region_map.headers  # revalidated by ETag, as documented
