"""Request handlers are given what they need through Litestar's dependency injection (registered by
``api.app.create_app``, provided by ``api.dependencies``), not by reaching into ``request.app.state``."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"
# The authentication middleware runs before any handler and before dependency injection: it can only
# reach the token cache through the application. So does the pages' session authentication
# (``api/web/sessions.py``).
MAY_REACH_APP_STATE = {"security.py", "sessions.py"}


def reaches_app_state(tree: ast.AST) -> list[int]:
    """Lines with ``<something>.app.state``: a handler or helper reading the application's state."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "state"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "app"
    ]


def test_no_handler_reaches_into_the_application_state():
    found = {
        str(path.relative_to(API)): lines
        for path in sorted(API.rglob("*.py"))
        if path.name not in MAY_REACH_APP_STATE
        and (lines := reaches_app_state(ast.parse(path.read_text())))
    }
    assert found == {}, (
        f"use a dependency (api/dependencies.py) instead of request.app.state: {found}"
    )
