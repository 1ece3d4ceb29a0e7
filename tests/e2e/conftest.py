"""The service under test: `regiekaart serve` once per session, with its SQL database from one fixture
(`e2e_database_url`), so the same suite can run on PostgreSQL by overriding that fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.service import Service, start_service


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The service's SQL database. SQLite here; override this fixture to run the suite on PostgreSQL."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'regiekaart.sqlite'}"


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, e2e_database_url: str) -> Iterator[Service]:
    running = start_service(tmp_path_factory.mktemp("e2e"), database_url=e2e_database_url)
    yield running
    running.stop()
