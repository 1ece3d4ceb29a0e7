"""Two service processes (`regiekaart serve`) on one 3-node cluster and one PostgreSQL database: the one
holding the projection lease applies the events; when it is killed (SIGKILL) while commands keep coming,
the other takes over, and the maps it leaves equal a clean rebuild from the log."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import Engine, select

from adapters.sql import create_engine, migrate
from projections.projector import PROJECTION_NAME
from projections.runner import ProjectionRunner
from projections.schema import lease_table
from services.application import GovernanceApplication
from tests.integration.projections.scenario import build_world, read_model_rows

LEASE_SECONDS = 2
# Generous: catches a stand-by that never takes over, not a slow one.
TAKEOVER_BOUND_SECONDS = 60.0


def lease_holder(engine: Engine) -> int | None:
    """The process id of the service holding the projection lease ("host:pid:…"); the table also
    holds the region feeds' lease."""
    leases = lease_table()
    with engine.connect() as connection:
        holder = connection.execute(
            select(leases.c.holder).where(leases.c.name == PROJECTION_NAME)
        ).scalar()
    return None if holder is None else int(holder.split(":")[1])


def wait_until_applied(engine: Engine, app: GovernanceApplication) -> None:
    head = app.recorder.max_notification_id() or 0
    runner = ProjectionRunner(app, engine)  # only to read the position, never started
    deadline = time.monotonic() + TAKEOVER_BOUND_SECONDS
    while (runner.position() or 0) < head:
        assert time.monotonic() < deadline, "no service applied the events"
        time.sleep(0.1)


@pytest.mark.slow
def test_the_standby_service_takes_over_the_projections_and_the_maps_equal_a_rebuild(
    nats_cluster, postgres_server, tmp_path, own_service, cluster_signing_key
):
    database_url = postgres_server.create_database(f"failover_{uuid.uuid4().hex[:8]}")
    settings = {
        "REGIEKAART_NATS_URL": nats_cluster.urls,
        "REGIEKAART_NATS_REPLICAS": "3",
        "REGIEKAART_PROJECTION_LEASE_SECONDS": str(LEASE_SECONDS),
        "REGIEKAART_SIGNING_KEY_FILE": cluster_signing_key,
    }
    services = {}
    for name in ("first", "second"):
        service = own_service(
            tmp_path / name, database_url=database_url, workers=1, settings=settings
        )
        services[service.process.pid] = service
    engine = create_engine(database_url)
    coordinator = GovernanceApplication(
        env={
            "PERSISTENCE_MODULE": "adapters.nats",
            "NATS_URL": nats_cluster.urls,
            "NATS_REPLICAS": "3",
            "NATS_SIGNING_KEY_FILE": cluster_signing_key,
        }
    )
    try:
        build_world(coordinator, prefix="voor-")
        wait_until_applied(engine, coordinator)
        applying = lease_holder(engine)
        assert applying in services

        # Commands keep coming while the applying service dies.
        build_world(coordinator, prefix="tijdens-a-")
        services.pop(applying).kill()
        build_world(coordinator, prefix="tijdens-b-")
        wait_until_applied(engine, coordinator)
        (standby,) = services
        assert lease_holder(engine) == standby

        rebuilt = create_engine(postgres_server.create_database(f"clean_{uuid.uuid4().hex[:8]}"))
        migrate(rebuilt)
        ProjectionRunner(coordinator, rebuilt).catch_up()
        assert read_model_rows(engine) == read_model_rows(rebuilt)
        rebuilt.dispose()
    finally:
        coordinator.close()
        engine.dispose()
        for service in services.values():
            service.stop()
