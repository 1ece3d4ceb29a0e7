"""The API in-process (Litestar's test client) on the real facts in memory and a real SQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.sql import create_engine, migrate
from api.app import create_app
from api.context import ApiContext
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from services.authorisation import Role
from services.importer import import_governance_facts


@pytest.fixture
def context(tmp_path: Path) -> Iterator[ApiContext]:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    engine = create_engine(f"sqlite:///{tmp_path / 'api.sqlite'}")
    migrate(engine)
    ProjectionRunner(app, engine).catch_up()
    yield ApiContext(app, engine)
    engine.dispose()


@pytest.fixture
def client(context: ApiContext) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as client:
        yield client


def bearer(
    context: ApiContext, role: Role, name: str | None = None, **scope: tuple[str, ...]
) -> dict[str, str]:
    # Token names are unique per role: unnamed test tokens get a name of their own.
    name = name or f"someone-{uuid.uuid4().hex[:8]}"
    token = context.tokens.create(name=name, role=role, **scope).token
    return {"Authorization": f"Bearer {token}"}
