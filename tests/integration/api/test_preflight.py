"""A CORS preflight (OPTIONS) needs no token: the bearer middleware and the pages' session let it
through (``api.security``), and Litestar answers it with the allowed methods, running no handler. The
routes whose controller carries a guard (tokens, the audit page, the decision form) answered it 500,
"'user' is not defined in scope, install an AuthMiddleware to set it": the guard looked for a
principal no preflight has."""

from __future__ import annotations

import pytest
from litestar import Controller, Litestar, Request, get, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient

from api.guards import WRITERS
from api.security import BearerTokenAuthentication
from services.authorisation import Role
from tests.integration.api.conftest import bearer


@pytest.mark.parametrize(
    "path",
    [
        "/tokens",
        "/tokens/rk-some-id",
        "/controle",
        "/controle/export",
        "/besluiten/overdracht-accounthouderschap",
        "/regions/zuid-limburg/map",
    ],
)
def test_a_preflight_without_a_token_is_answered_with_the_allowed_methods(
    client: TestClient, path: str
) -> None:
    answer = client.options(path)
    assert answer.status_code == 204, answer.text
    assert "OPTIONS" in answer.headers["allow"]
    assert answer.content == b""


def test_an_options_handler_of_our_own_is_authenticated_and_guarded(context) -> None:
    """Only the OPTIONS answer Litestar makes itself passes without a principal: a route of our own
    that takes OPTIONS (none does yet) is refused without a token, and to a role its guard refuses,
    and its handler does not run."""
    ran: list[str] = []

    class Own(Controller):
        path = "/own"
        guards = [WRITERS]

        @route("/", http_method=HttpMethod.OPTIONS, status_code=204)
        async def own_options(self, request: Request) -> None:
            ran.append(request.user.id)

        @get("/read")
        async def read(self) -> str:
            return "read"

    app = Litestar(
        [Own],
        middleware=[DefineMiddleware(BearerTokenAuthentication, public=["^/public"])],
        state=State({"context": context}),
    )
    with TestClient(app) as client:
        assert client.options("/own").status_code == 401
        region_system = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))
        assert client.options("/own", headers=region_system).status_code == 403
        assert ran == []
        admin = bearer(context, Role.ADMIN, name="beheer")
        assert client.options("/own", headers=admin).status_code == 204
        assert len(ran) == 1 and ran[0].startswith("admin:beheer#")
        litestars = client.options("/own/read")
        assert (litestars.status_code, litestars.headers["allow"]) == (204, "GET, OPTIONS")
