"""The service under test: `regiekaart serve` once per session and database, with its SQL database from
one fixture (`e2e_database_url`), so the same suite runs on SQLite and on PostgreSQL: `make test` runs
it on both, E2E_DATABASES=sqlite (or postgresql) on one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures.processes import Service, start_service

# The read-model databases the suite runs on: both unless E2E_DATABASES names fewer.
E2E_DATABASES = [
    name.strip() for name in os.environ.get("E2E_DATABASES", "sqlite,postgresql").split(",")
]


@pytest.fixture(scope="session", params=E2E_DATABASES)
def e2e_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The service's SQL database: SQLite or PostgreSQL, one run of the suite each."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_server").create_database("regiekaart_e2e")
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'regiekaart.sqlite'}"


@pytest.fixture
def own_database_url(request: pytest.FixtureRequest, e2e_database_url: str) -> str | None:
    """For a test that starts a service of its own: a fresh database of the kind the suite runs on
    (None on SQLite: the default file in the service's data directory)."""
    if e2e_database_url.startswith("postgresql"):
        server = request.getfixturevalue("postgres_server")
        return server.create_database(f"e2e_{uuid.uuid4().hex[:12]}")
    return None


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, e2e_database_url: str) -> Iterator[Service]:
    running = start_service(tmp_path_factory.mktemp("e2e"), database_url=e2e_database_url)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def cluster_signing_key(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one signing key of every service on the session's NATS cluster, whose log they share: as in
    production (deploy/), replicas seal with the same key, or each would refuse the others' events."""
    return str(tmp_path_factory.mktemp("keys") / "signing.key")
