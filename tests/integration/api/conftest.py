"""The API in-process (Litestar's test client) on the real facts in memory and a real SQL database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent
from litestar.testing import TestClient

from adapters.sql import create_engine, migrate
from api.app import create_app
from api.context import ApiContext
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from services.authorisation import Role
from services.importer import import_governance_facts

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@dataclass(frozen=True)
class RealFacts:
    """The log of the imported facts and the read models projected from it, made once per run."""

    stored_events: list[StoredEvent]
    database: Path


@pytest.fixture(scope="session")
def real_facts(tmp_path_factory: pytest.TempPathFactory) -> RealFacts:
    app = GovernanceApplication(env=IN_MEMORY)
    import_governance_facts(app)
    database = tmp_path_factory.mktemp("real-facts") / "api.sqlite"
    engine = create_engine(f"sqlite:///{database}")
    migrate(engine)
    ProjectionRunner(app, engine).catch_up()
    engine.dispose()
    stored = [
        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        for n in app.recorder.select_notifications(1, 1_000_000)
    ]
    return RealFacts(stored, database)


@pytest.fixture
def context(tmp_path: Path, real_facts: RealFacts) -> Iterator[ApiContext]:
    """A log and read models of the real facts of this test's own: the stored events written into
    a new log (the same positions as the import gave them) and a copy of the projected database,
    instead of importing and projecting again for every test."""
    app = GovernanceApplication(env=IN_MEMORY)
    app.recorder.insert_events(real_facts.stored_events)
    database = tmp_path / "api.sqlite"
    shutil.copyfile(real_facts.database, database)
    engine = create_engine(f"sqlite:///{database}")
    migrate(engine)
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
