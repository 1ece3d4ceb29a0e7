"""The importer's checks of the real governance facts, run again with the JetStream store underneath."""

from __future__ import annotations

import uuid

import pytest

from services.application import GovernanceApplication
from services.importer import ImportReport, import_governance_facts
from tests.unit.test_importer import *  # noqa: F403 - the same tests, collected here against NATS


@pytest.fixture(scope="module")
def loaded(nats_server) -> tuple[GovernanceApplication, ImportReport]:
    app = GovernanceApplication(
        env={
            "PERSISTENCE_MODULE": "adapters.nats",
            "NATS_URL": nats_server.url,
            "NATS_STREAM": f"IMPORT{uuid.uuid4().hex[:8].upper()}",
        }
    )
    yield app, import_governance_facts(app)
    app.close()
