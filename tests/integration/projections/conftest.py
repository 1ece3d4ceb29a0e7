"""The real governance facts on a real JetStream store, projected into real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from adapters.nats.server import NatsServer
from adapters.sql import create_engine, migrate
from projections.queries import GovernanceMaps
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from services.importer import import_governance_facts
from tests.integration.projections.scenario import fresh_database_url, nats_application


@pytest.fixture(scope="module")
def facts_app(nats_server: NatsServer) -> Iterator[GovernanceApplication]:
    """The governance facts imported once per module."""
    app = nats_application(nats_server)
    import_governance_facts(app)
    yield app
    app.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def facts_engine(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    facts_app: GovernanceApplication,
) -> Iterator[Engine]:
    """A read model of the facts, caught up once per module and database."""
    engine = create_engine(
        fresh_database_url(request, tmp_path_factory.mktemp("maps"), request.param)
    )
    migrate(engine)
    ProjectionRunner(facts_app, engine).catch_up()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def maps(facts_engine: Engine) -> GovernanceMaps:
    return GovernanceMaps(facts_engine)
