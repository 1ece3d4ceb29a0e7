"""A rebuild replays the whole log into fresh tables and swaps them in; the old ones answer meanwhile."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from eventsourcing.utils import get_topic
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from adapters.nats.server import NatsServer
from adapters.sql import create_engine, migrate
from domain.base import GovernanceAggregate
from projections.link_sorting import sorted_file
from projections.queries import GovernanceMaps, PositionProbe
from projections.rebuild import REBUILD_BATCH_SIZE, rebuild
from projections.runner import ProjectionRunner
from projections.schema import (
    EVENTS,
    FACTS,
    SWAPPED_TABLES,
    ReadModelTables,
    lease_table,
    read_model_tables,
)
from projections.worker import ReplayWorker
from services.application import GovernanceApplication
from tests.integration.projections.scenario import (
    build_world,
    grow_history,
    nats_env,
    read_model_rows,
)


def indexed_columns(engine: Engine) -> list[tuple[str, tuple[str, ...]]]:
    found = inspect(engine)
    return sorted(
        (table, tuple(index["column_names"]))
        for table in (FACTS, EVENTS)
        for index in found.get_indexes(table)
    )


def indexed_columns_of(tables: ReadModelTables) -> list[tuple[str, tuple[str, ...]]]:
    return sorted(
        (index.table.name, tuple(column.name for column in index.columns))
        for index in tables.indexes()
    )


def test_the_migrated_schema_is_the_schema_the_code_writes(engine: Engine) -> None:
    tables = read_model_tables()
    lease_table(tables.metadata)

    # Other parts of the service (the API's tokens) keep tables of their own in the same database.
    def owned(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "table" or name in tables.metadata.tables

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": owned})
        differences = compare_metadata(context, tables.metadata)
    assert differences == []


def test_a_rebuild_equals_the_caught_up_tables_and_keeps_answering_meanwhile(
    facts_app: GovernanceApplication, engine: Engine
) -> None:
    ProjectionRunner(facts_app, engine).catch_up()
    caught_up = read_model_rows(engine)
    maps = GovernanceMaps(engine)
    expected_map = maps.cooperation_map("nmz-limburg")
    answered_meanwhile = []

    def query_the_old_tables(position: int, head: int) -> None:
        answered_meanwhile.append(maps.cooperation_map("nmz-limburg").roles == expected_map.roles)

    position = rebuild(facts_app, engine, progress=query_the_old_tables, batch_size=100)
    assert position == facts_app.recorder.max_notification_id()
    assert len(answered_meanwhile) > 1 and all(answered_meanwhile)
    assert read_model_rows(engine) == caught_up
    # A second rebuild finds no leftover names in its way, and leaves no tables behind.
    rebuild(facts_app, engine)
    assert read_model_rows(engine) == caught_up
    assert not [t for t in inspect(engine).get_table_names() if "__" in t]
    assert maps.cooperation_map("nmz-limburg").roles == expected_map.roles


def test_the_rebuilt_tables_have_the_keys_and_indexes_of_the_migrated_ones(
    facts_app: GovernanceApplication, engine: Engine
) -> None:
    def keys_and_indexes() -> tuple[list[tuple[str, tuple[str, ...]]], ...]:
        found = inspect(engine)
        keys = sorted(
            (table, tuple(found.get_pk_constraint(table)["constrained_columns"]))
            for table in SWAPPED_TABLES
        )
        return keys, indexed_columns(engine)

    migrated = keys_and_indexes()
    # A rebuild leaves some of them out while it replays (on PostgreSQL the links' key as well).
    rebuild(facts_app, engine)
    assert keys_and_indexes() == migrated


@pytest.mark.parametrize(("setting", "read_back"), [("ON", 1), ("FAST", 2)])
def test_the_old_tables_are_dropped_without_overwriting_their_pages(
    facts_app: GovernanceApplication, tmp_path: Path, setting: str, read_back: int
) -> None:
    """SQLite may be built to zero what is deleted (``secure_delete``), which for the read model's
    tables, copies of the log, only cost writing them once more; the API's tokens share the
    database, so the connection deletes as configured again afterwards."""
    file = tmp_path / "maps.sqlite"
    engine = create_engine(f"sqlite:///{file}", poolclass=SingletonThreadPool)
    migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"PRAGMA secure_delete = {setting}")
    ProjectionRunner(facts_app, engine).catch_up()
    marker = f"only-in-the-old-tables-{uuid.uuid4().hex}"
    events = read_model_tables().events
    last = facts_app.recorder.max_notification_id()
    with engine.begin() as connection:
        connection.execute(
            update(events).where(events.c.position == last).values(description=marker)
        )
    rebuild(facts_app, engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == read_back
    engine.dispose()
    assert marker.encode() in file.read_bytes()


class RebuildDied(Exception):
    pass


def test_a_rebuild_after_one_that_died_midway_starts_afresh(
    facts_app: GovernanceApplication, engine: Engine
) -> None:
    ProjectionRunner(facts_app, engine).catch_up()
    caught_up = read_model_rows(engine)

    def die_after_the_first_batch(position: int, head: int) -> None:
        raise RebuildDied(position)

    with pytest.raises(RebuildDied):
        rebuild(facts_app, engine, progress=die_after_the_first_batch, batch_size=100)
    # The dead rebuild's tables (on SQLite the links to subjects it had not sorted in yet among them).
    assert [t for t in inspect(engine).get_table_names() if "__" in t]

    assert rebuild(facts_app, engine) == facts_app.recorder.max_notification_id()
    assert read_model_rows(engine) == caught_up
    assert not [t for t in inspect(engine).get_table_names() if "__" in t]


def test_the_links_of_events_recorded_while_the_links_are_sorted_are_moved_in_too(
    nats_server: NatsServer, engine: Engine, tmp_path: Path
) -> None:
    """On SQLite the links the replay wrote are sorted in a file of their own while the indexes are
    built, from the position the replay reached; the rebuild then applies what was recorded
    meanwhile, whose links join them. The rebuilt rows are a plain catch-up's, and the file is gone."""
    app = GovernanceApplication(env=nats_env(nats_server))
    recorded_meanwhile: list[dict[str, str]] = []

    def record_after_the_replay(position: int, head: int) -> None:
        if position == head and not recorded_meanwhile:
            world = build_world(app, prefix=f"tijdens-{uuid.uuid4().hex[:6]}-")
            recorded_meanwhile.append(world)

    try:
        grow_history(app, build_world(app), municipalities=20)
        position = rebuild(app, engine, progress=record_after_the_replay, batch_size=40)
        assert recorded_meanwhile and position == app.recorder.max_notification_id()
        reference = create_engine(f"sqlite:///{tmp_path / 'caught-up.sqlite'}")
        migrate(reference)
        ProjectionRunner(app, reference).catch_up()
        rebuilt = read_model_rows(engine)
        assert rebuilt == read_model_rows(reference)
        links = rebuilt[read_model_tables().event_subjects.name]
        assert [link for link in links if link[1] == recorded_meanwhile[0]["region_a"]]
        reference.dispose()
        file = sorted_file(engine)
        assert file is None or (file.parent.exists() and not file.exists())
    finally:
        app.close()


def test_a_rebuild_into_a_database_in_memory_sorts_the_links_in_line(
    facts_app: GovernanceApplication,
) -> None:
    """A second connection cannot open a database in memory, so the links are sorted in by the
    rebuild's own connection, all of them."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    migrate(engine)
    ProjectionRunner(facts_app, engine).catch_up()
    caught_up = read_model_rows(engine)
    assert caught_up[read_model_tables().event_subjects.name]
    assert sorted_file(engine) is None
    assert rebuild(facts_app, engine) == facts_app.recorder.max_notification_id()
    assert read_model_rows(engine) == caught_up
    assert not [t for t in inspect(engine).get_table_names() if "__" in t]
    engine.dispose()


def test_a_live_runner_carries_on_from_the_rebuilt_tables(
    facts_app: GovernanceApplication, engine: Engine
) -> None:
    runner = ProjectionRunner(facts_app, engine)
    runner.start()
    try:
        assert runner.wait_until(facts_app.recorder.max_notification_id() or 0)
        rebuild(facts_app, engine)
        world = build_world(facts_app, prefix=f"herbouw-{uuid.uuid4().hex[:6]}-")
        assert runner.wait_until(facts_app.recorder.max_notification_id() or 0)
        maps = GovernanceMaps(engine)
        assert [m.municipality.slug for m in maps.region_map(world["region_a"]).members] == [
            world["municipality_a"]
        ]
    finally:
        runner.stop()
    assert runner.error is None
    fresh = read_model_rows(engine)
    rebuild(facts_app, engine)
    assert read_model_rows(engine) == fresh


def test_history_rows_computed_in_a_second_process_equal_those_computed_in_line(
    nats_server: NatsServer, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = GovernanceApplication(env=nats_env(nats_server))
    try:
        grow_history(app, build_world(app), municipalities=61)
        topics = {n.topic for n in app.recorder.select_notifications(start=0, limit=10_000)}
        assert get_topic(GovernanceAggregate.FactCorrected) in topics  # met halfway through
        ProjectionRunner(app, engine).catch_up()
        in_line = read_model_rows(engine)
        batches_from_worker: list[object] = []
        batches = ReplayWorker.batches
        monkeypatch.setattr(
            ReplayWorker,
            "batches",
            lambda self, size: (batches_from_worker.append(b) or b for b in batches(self, size)),
        )
        # Its JetStream ids span far more than a batch, its events do not: no worker is started.
        assert app.recorder.max_notification_id() > REBUILD_BATCH_SIZE
        rebuild(app, engine)
        assert batches_from_worker == [] and read_model_rows(engine) == in_line
        rebuild(app, engine, batch_size=40)  # more than a batch: a worker reads the log
        assert len(batches_from_worker) > 3
        assert read_model_rows(engine) == in_line
        # The indexes corrections need, created at the first one, are there once and only once.
        assert indexed_columns(engine) == indexed_columns_of(read_model_tables())
    finally:
        app.close()


def test_a_position_probe_follows_the_runner_and_a_rebuild(
    facts_app: GovernanceApplication, engine: Engine
) -> None:
    """The API's watch keeps one probe open for its lifetime: it sees every commit, also after a
    rebuild swapped the tables it reads, and the last position at which the facts changed, the same
    in the rebuilt tables."""
    probe = PositionProbe(engine)
    try:
        assert probe() == (None, None)
        head = ProjectionRunner(facts_app, engine).catch_up()
        caught_up = probe()
        assert caught_up.position == head == GovernanceMaps(engine).position()
        assert caught_up.facts_position == facts_position(engine)
        rebuild(facts_app, engine)
        assert probe() == caught_up
    finally:
        probe.close()


def facts_position(engine: Engine) -> int:
    """The last position at which a fact row was written or superseded, read row by row."""
    facts = read_model_tables().facts
    with engine.connect() as connection:
        rows = connection.execute(
            select(facts.c.recorded_position, facts.c.superseded_position)
        ).all()
    return max(p for row in rows for p in row if p is not None)
