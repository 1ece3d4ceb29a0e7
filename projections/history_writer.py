"""A rebuild's history rows written by a thread of their own, while the next batch is computed.

Applying a batch used to be one round of waits: this process computed the batch while the database
idled, then the database stored the rows while this process waited. The history rows (an event row
for every event, and its links to subjects) are most of what the database stores, and nothing the
projector computes depends on them but the rare look-up of a corrected event's position. On
PostgreSQL a thread with a connection of its own copies them in, in transactions of their own,
while the batch's facts commit and the next batch is computed: the server's work overlaps this
process's.

Only for tables a crash leaves to be dropped (a rebuild's fresh ones, see ``projections.rebuild``):
a batch's history rows no longer commit with its tracking position, so a crash could leave a
position without the rows before it. Nothing reads those tables before the swap, which comes after
``close()`` has seen every batch's rows committed, and a rebuild that died is started afresh.
"""

from __future__ import annotations

import queue
import threading

from sqlalchemy import Engine

from projections.history import History
from projections.schema import ReadModelTables
from projections.writer import BulkWriter

# Batches handed over and not yet written: one being copied and one waiting, so that the applying
# thread never waits unless the database has fallen a whole batch behind (a batch of a rebuild
# holds a few hundred thousand rows, the memory of each stays bounded).
_WAITING_BATCHES = 1


class HistoryWriterFailed(Exception):
    """The thread writing the history rows failed; the rebuild cannot go on."""


class BackgroundHistoryWriter:
    """Writes ``History`` batches into ``tables`` in a thread, each in a transaction of its own."""

    def __init__(self, engine: Engine, tables: ReadModelTables) -> None:
        self._engine = engine
        self._tables = tables
        self._queue: queue.Queue[History | None] = queue.Queue(maxsize=_WAITING_BATCHES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def write(self, history: History) -> None:
        """Hands ``history`` over (waits while the thread is a batch behind)."""
        self._raise_if_failed()
        self._queue.put(history)

    def wait(self) -> None:
        """Returns once every batch handed over is committed: another connection sees its rows."""
        self._queue.join()
        self._raise_if_failed()

    def close(self) -> None:
        """Waits for the batches handed over and stops the thread; raises if it failed."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise_if_failed()

    def __enter__(self) -> BackgroundHistoryWriter:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        # On an error of the caller's the thread is stopped too, and the caller's error is the one
        # that propagates.
        try:
            self.close()
        except HistoryWriterFailed:
            if exc_type is None:
                raise

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise HistoryWriterFailed("writing the history rows failed") from self._error

    def _run(self) -> None:
        while True:
            history = self._queue.get()
            try:
                if history is None:
                    return
                if self._error is None:  # after a failure the rest is only taken off the queue
                    self._write(history)
            except BaseException as error:  # noqa: BLE001 - handed to the applying thread
                self._error = error
            finally:
                self._queue.task_done()

    def _write(self, history: History) -> None:
        with self._engine.begin() as connection:
            # See ``ProjectionRunner.apply``: a crash discards these tables, so no commit of theirs
            # need wait for the log to reach the disk.
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            BulkWriter(connection).write_history(self._tables, history)
