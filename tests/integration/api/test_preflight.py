"""A CORS preflight (OPTIONS) needs no token: the bearer middleware and the pages' session let it
through (``api.security``), and Litestar answers it with the allowed methods, running no handler. The
routes whose controller carries a guard (tokens, the audit page, the decision form) answered it 500,
"'user' is not defined in scope, install an AuthMiddleware to set it": the guard looked for a
principal no preflight has."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient


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
