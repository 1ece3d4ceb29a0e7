"""A CORS preflight (OPTIONS) needs no token: the bearer middleware and the pages' session let it
through (``api.security``), and Litestar answers it with the allowed methods, running no handler. The
routes whose controller carries a guard (tokens, the audit page, the decision form) answered it 500,
"'user' is not defined in scope, install an AuthMiddleware to set it": the guard looked for a
principal no preflight has."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/tokens", {"GET", "POST", "OPTIONS"}),
        ("/tokens/rk-some-id", {"DELETE", "OPTIONS"}),
        ("/controle", {"GET", "OPTIONS"}),
        ("/controle/export", {"GET", "OPTIONS"}),
        ("/besluiten/overdracht-accounthouderschap", {"GET", "POST", "OPTIONS"}),
        ("/regions/zuid-limburg/map", {"GET", "OPTIONS"}),
    ],
)
def test_a_preflight_without_a_token_is_answered_with_the_allowed_methods(
    client: TestClient, path: str, allowed: set[str]
) -> None:
    answer = client.options(path)
    assert answer.status_code == 204, answer.text
    assert {m.strip() for m in answer.headers["allow"].split(",")} == allowed
    assert answer.content == b""
