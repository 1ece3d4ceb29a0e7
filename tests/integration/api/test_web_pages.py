"""The pages: signing in with a bearer token (a session cookie), CSRF on every form, the overview and
its search partial, the assets served locally, and a region system that sees only its region."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import TestClient

from adapters.settings import Settings
from api.app import create_app
from api.context import ApiContext
from services.authorisation import Role
from tests.integration.api.conftest import bearer


def _token(context: ApiContext, role: Role, **scope: tuple[str, ...]) -> str:
    return bearer(context, role, **scope)["Authorization"].removeprefix("Bearer ")


def _csrf(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def _sign_in(client: TestClient, token: str) -> None:
    form = client.get("/aanmelden")
    answer = client.post(
        "/aanmelden",
        data={"token": token, "_csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_a_page_without_a_session_redirects_to_the_sign_in_page(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/aanmelden"


def test_signing_in_sets_a_strict_httponly_session_cookie_and_shows_the_overview(
    client: TestClient, context: ApiContext
) -> None:
    form = client.get("/aanmelden")
    assert (
        'lang="nl"' in form.text and '<label class="utrecht-form-label" for="token">' in form.text
    )
    answer = client.post(
        "/aanmelden",
        data={"token": _token(context, Role.AUDITOR), "_csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    cookie = next(
        header for header in answer.headers.get_list("set-cookie") if "regiekaart_sessie" in header
    )
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here; over TLS it is Secure
    overview = client.get("/")
    assert "Regio&#39;s" in overview.text or "Regio's" in overview.text
    assert "Samenwerkingsverbanden" in overview.text and "zuid-limburg" in overview.text


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, context: ApiContext) -> None:
    client.get("/aanmelden")
    answer = client.post(
        "/aanmelden", data={"token": _token(context, Role.AUDITOR)}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "regiekaart_sessie" not in answer.headers.get("set-cookie", "")


def test_an_unknown_token_is_refused_with_a_message(client: TestClient) -> None:
    form = client.get("/aanmelden")
    answer = client.post(
        "/aanmelden", data={"token": "rk_nonsense", "_csrf_token": _csrf(form.text)}
    )
    assert answer.status_code == 401
    assert "onbekend of ingetrokken" in answer.text


def test_a_revoked_token_ends_the_session(client: TestClient, context: ApiContext) -> None:
    token = _token(context, Role.AUDITOR)
    _sign_in(client, token)
    assert client.get("/", follow_redirects=False).status_code == 200
    token_id = token.split("_")[1]
    context.tokens.revoke(token_id)
    context.token_cache.forget()  # what the 5 s of the cache would do
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/aanmelden"


def test_signing_out_ends_the_session(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    overview = client.get("/")
    answer = client.post(
        "/afmelden", data={"_csrf_token": _csrf(overview.text)}, follow_redirects=False
    )
    assert answer.status_code == 303
    client.cookies.delete("regiekaart_sessie")  # as the browser does on the expired cookie
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_search_partial_lists_only_what_matches(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.COORDINATOR, cooperations=("g7-gelderland",)))
    partial = client.get("/zoeken", params={"q": "limburg"}, headers={"HX-Request": "true"})
    assert "zuid-limburg" in partial.text and "<html" not in partial.text
    assert "achterhoek" not in partial.text


def test_a_region_system_sees_only_its_own_region(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.REGION_SYSTEM, regions=("zuid-limburg",)))
    overview = client.get("/")
    assert "zuid-limburg" in overview.text
    assert "achterhoek" not in overview.text and "Samenwerkingsverbanden" not in overview.text


def test_the_assets_are_served_locally_with_a_cache_header(client: TestClient) -> None:
    answer = client.get("/static/vendor/htmx/htmx.min.js")
    assert answer.status_code == 200 and "htmx" in answer.text
    assert "max-age=86400" in answer.headers["cache-control"]
    assert client.get("/static/vendor/utrecht-component-library-css/index.css").status_code == 200


def test_the_json_api_with_a_bearer_token_needs_no_csrf_token(
    client: TestClient, context: ApiContext
) -> None:
    answer = client.get("/regions", headers=bearer(context, Role.AUDITOR))
    assert answer.status_code == 200 and any(r["slug"] == "zuid-limburg" for r in answer.json())


def test_over_tls_the_session_cookie_is_secure(context: ApiContext) -> None:
    with TestClient(create_app(context), base_url="https://testserver.local") as client:
        form = client.get("/aanmelden")
        answer = client.post(
            "/aanmelden",
            data={"token": _token(context, Role.AUDITOR), "_csrf_token": _csrf(form.text)},
            follow_redirects=False,
        )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "regiekaart_sessie" in c)
    assert "; secure" in cookie.lower()


def _csrf_cookie(answer_headers: object) -> str:
    return next(c for c in answer_headers.get_list("set-cookie") if "regiekaart_csrf" in c)  # type: ignore[attr-defined]


def test_over_tls_the_csrf_cookie_is_secure(context: ApiContext) -> None:
    with TestClient(create_app(context), base_url="https://testserver.local") as client:
        cookie = _csrf_cookie(client.get("/aanmelden").headers)
    assert "; secure" in cookie.lower() and "httponly" in cookie.lower()


def test_over_plain_http_the_csrf_cookie_is_not_secure(client: TestClient) -> None:
    # a browser would drop a Secure cookie on plain HTTP, and no form could be sent
    cookie = _csrf_cookie(client.get("/aanmelden").headers)
    assert "secure" not in cookie.lower() and "httponly" in cookie.lower()


def test_behind_a_proxy_that_ends_tls_the_setting_makes_both_cookies_secure(
    context: ApiContext, tmp_path: Path
) -> None:
    settings = Settings.from_env({"REGIEKAART_WEB_COOKIES_SECURE": "true"}, data_dir=tmp_path)
    with TestClient(create_app(context, settings)) as client:  # plain http, as the proxy forwards
        form = client.get("/aanmelden")
        csrf_cookie = _csrf_cookie(form.headers).split(";")[0]
        answer = client.post(  # the client keeps a Secure cookie for https: sent by hand here
            "/aanmelden",
            data={"token": _token(context, Role.AUDITOR), "_csrf_token": _csrf(form.text)},
            headers={"Cookie": csrf_cookie},
            follow_redirects=False,
        )
    session = next(c for c in answer.headers.get_list("set-cookie") if "regiekaart_sessie" in c)
    assert "; secure" in _csrf_cookie(form.headers).lower() and "; secure" in session.lower()
