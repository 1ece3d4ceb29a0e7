"""Rebuild the governance maps from the whole log, while the old tables keep answering.

The log is replayed into a fresh set of tables (``<table>__rebuild``, indexes tagged with a new
generation; those only the queries need are built after the replay, those only corrections need at
the first correction) by a runner of its own. The links of events to their subjects are written
without their key meanwhile: on SQLite into a table of their own, sorted in a second file while the
query indexes are built and moved into the fresh ``map_event_subjects`` at the end
(``projections.link_sorting``); on PostgreSQL into the fresh table, whose key is built at the end
with the query indexes. When it has caught up with the log's head, one transaction renames the live
tables away and the fresh ones into their place, and a second drops the old ones. Queries read the
old tables until the swap commits and the new ones after it; a live runner then finds the tracking
position moved (its compare-and-set fails), and resumes from the rebuilt tables' position.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import Connection, Engine, Table, inspect, text
from sqlalchemy.schema import AddConstraint, DropConstraint

from projections.link_sorting import UNSORTED_SUFFIX, LinkSorter, sorted_file, unsorted_table
from projections.log_source import LogSource, SealChecks
from projections.runner import ProjectionRunner
from projections.schema import (
    CORRECTION_INDEX,
    REPLAY_INDEX,
    SWAPPED_TABLES,
    read_model_tables,
)
from projections.work_status import PROJECTIONS_WORKER, WorkStatus

REBUILD_SUFFIX = "__rebuild"
OLD_SUFFIX = "__old"
# Events per transaction of a rebuild (the worker reads an eighth of that at a time).
REBUILD_BATCH_SIZE = 100_000
# PostgreSQL's memory for sorting while it builds the indexes at the end of a rebuild (its default
# is 64 MB): the key of the links to subjects alone sorts 2.2 million rows at a million events.
INDEX_BUILD_MEMORY = "256MB"


def rebuild(
    app: LogSource,
    engine: Engine,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = REBUILD_BATCH_SIZE,
    seals: SealChecks | None = None,
) -> int | None:
    """Replays the log into fresh tables and swaps them in; returns the position they reached.
    ``progress`` is told (position reached, log head) after each batch; with ``seals``, events not
    sealed by a trusted key are set aside (``projections.runner``)."""
    _drop_leftovers(engine)
    fresh = read_model_tables(REBUILD_SUFFIX, generation=uuid.uuid4().hex[:8])
    fresh.metadata.create_all(engine)
    postgresql = engine.dialect.name == "postgresql"
    unsorted_links = None if postgresql else unsorted_table(fresh.event_subjects, REBUILD_SUFFIX)
    if unsorted_links is not None:
        unsorted_links.create(engine)
    # On PostgreSQL the links' key is an index beside the rows, not their order: it is built after
    # the load like the query indexes, in one sort, rather than kept up to date link by link in an
    # index that outgrows the server's buffers (a sorted pass through a second table, as on SQLite,
    # cost its server 7 s more at a million events than the keyed inserts).
    links_key = fresh.event_subjects.primary_key if postgresql else None
    if links_key is not None:
        with engine.begin() as connection:
            connection.execute(DropConstraint(links_key))
    # Indexes only the queries need are built once at the end: cheaper than keeping them up to date.
    # Those corrections need are built by the projector at the first correction, if that comes first.
    deferred = [index for index in fresh.indexes() if not index.info.get(REPLAY_INDEX)]
    for index in deferred:
        index.drop(engine)
    runner = ProjectionRunner(
        app,
        engine,
        tables=fresh if unsorted_links is None else fresh._replace(event_subjects=unsorted_links),
        batch_size=batch_size,
        parallel_replay=True,
        indexes_on_first_correction=fresh.indexes(CORRECTION_INDEX),
        discarded_on_crash=True,  # by _drop_leftovers, before the next rebuild
        status=WorkStatus(engine, PROJECTIONS_WORKER),
        seals=seals,
    )
    head = app.recorder.max_notification_id() or 0

    def after_batch(position: int) -> None:
        if postgresql:
            _vacuum(engine, fresh.facts)
        if progress is not None:
            progress(position, head)

    replayed = runner.catch_up(head, progress=after_batch) or 0
    links = (
        None
        if unsorted_links is None
        else LinkSorter(engine, unsorted_links, fresh.event_subjects, up_to=replayed)
    )
    try:
        with engine.begin() as connection:
            if postgresql:
                connection.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"))
            if links_key is not None:
                connection.execute(AddConstraint(links_key))
            for index in deferred:
                index.create(connection, checkfirst=True)
        # What was recorded meanwhile, so that the swap leaves the live runner little to redo.
        position = runner.catch_up()
        if links is not None:
            links.move()
    finally:
        if links is not None:
            links.close()
    if unsorted_links is not None:
        with engine.begin() as connection:
            _drop_tables(connection, [unsorted_links.name])
    _swap(engine)
    return position


def _vacuum(engine: Engine, facts: Table) -> None:
    """Vacuums the fresh facts after a batch (PostgreSQL). A batch looks facts up by key and by
    agreement in indexes that keep an entry for every version it superseded, dead or not, until a
    VACUUM removes the dead ones; left to autovacuum, when it came to the table varied from rebuild to
    rebuild, and the look-ups with it: 12-54 s of the replaying session's CPU at a million events
    (perf: `heap_hot_search_buffer` 12-29 % of its samples where slow; with autovacuum off 98 s and
    counting), against 16 s with a VACUUM after each batch, which passes over what the batch added."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM {_quoted(engine, facts.name)}"))


def _quoted(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def _drop_tables(connection: Connection, names: list[str]) -> None:
    """Drops the tables ``names`` of the read model, in ``connection``'s transaction. SQLite is
    often built to overwrite deleted content with zeros (``secure_delete``, Debian's build among
    them), which for a dropped table writes each of its pages once more, through the WAL: 191 MB
    for the tables of a read model of 200,000 events, 1 s of CPU and 4-6 s on a busy machine,
    against 0.1 s and 0.5 s without. These tables hold what the log holds, which keeps every
    fact, so their pages are freed as they are; the connection's setting is restored for
    whatever it deletes next (the API's tokens share the database)."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        secure_delete = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
        connection.exec_driver_sql("PRAGMA secure_delete = OFF")
    try:
        for name in names:
            connection.execute(text(f"DROP TABLE {_quoted(connection.engine, name)}"))
    finally:
        if sqlite:
            # As read back: 0, 1, or 2 for FAST, which setting it to 2 would make ON.
            setting = ("OFF", "ON", "FAST")[int(secure_delete)]
            connection.exec_driver_sql(f"PRAGMA secure_delete = {setting}")


def _drop_leftovers(engine: Engine) -> None:
    """Tables of a rebuild that did not finish (its process died) are dropped before a new one, and
    the file it sorted the links in (``projections.link_sorting``) removed."""
    leftover_file = sorted_file(engine)
    if leftover_file is not None:
        leftover_file.unlink(missing_ok=True)
    existing = set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        _drop_tables(
            connection,
            [
                leftover
                for table in SWAPPED_TABLES
                for leftover in (
                    table + REBUILD_SUFFIX,
                    table + OLD_SUFFIX,
                    table + UNSORTED_SUFFIX,
                )
                if leftover in existing
            ],
        )


def _swap(engine: Engine) -> None:
    q = lambda name: _quoted(engine, name)  # noqa: E731
    with engine.begin() as connection:
        for table in SWAPPED_TABLES:
            connection.execute(text(f"ALTER TABLE {q(table)} RENAME TO {q(table + OLD_SUFFIX)}"))
            connection.execute(
                text(f"ALTER TABLE {q(table + REBUILD_SUFFIX)} RENAME TO {q(table)}")
            )
    with engine.begin() as connection:
        _drop_tables(connection, [table + OLD_SUFFIX for table in SWAPPED_TABLES])
