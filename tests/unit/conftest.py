from __future__ import annotations

import pytest

from services.application import GovernanceApplication


@pytest.fixture
def app() -> GovernanceApplication:
    """The application on the library's in-memory (POPO) persistence module."""
    return GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
