"""The real service (`regiekaart serve`: embedded NATS, granian workers, SQLite read models), once for
these tests, and the Python client of `clients/python` importable as a region system installs it."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.processes import Service, start_service
from tests.integration.client.recording import REGION

CLIENT_SOURCE = Path(__file__).resolve().parents[3] / "clients" / "python"
if str(CLIENT_SOURCE) not in sys.path:
    sys.path.insert(0, str(CLIENT_SOURCE))


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
