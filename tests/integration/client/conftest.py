"""The real service (`regiekaart serve`: embedded NATS, granian workers, SQLite read models), once for
these tests; the Python client of `clients/python` is installed beside the service by `make setup`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures.processes import Service, start_service
from tests.integration.client.recording import REGION


@pytest.fixture(scope="session")
def running_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_service(tmp_path_factory.mktemp("client-service"))
    yield service
    service.stop()


@pytest.fixture(scope="session")
def region_token(running_service: Service) -> str:
    return running_service.token(
        "region-system", f"zl-client-{uuid.uuid4().hex[:6]}", regions=[REGION]
    )
