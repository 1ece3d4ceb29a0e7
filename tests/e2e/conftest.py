"""End-to-end tests of one service run twice, through ``service_environment``: with the read models in
SQLite (the default) and in PostgreSQL. Tests of several services sharing a database use PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def service_environment(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of the service under test, without the caller's REGIEKAART_* settings; on
    PostgreSQL with a fresh database of its own."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REGIEKAART_")}
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        database = server.create_database(f"e2e_{uuid.uuid4().hex[:12]}")
        environment["REGIEKAART_DATABASE_URL"] = database
    return environment
