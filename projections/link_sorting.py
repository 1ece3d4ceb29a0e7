"""The links of events to their subjects, moved into a rebuild's fresh table in its key's order (SQLite).

``map_event_subjects`` is its key on SQLite (WITHOUT ROWID), and a batch of a replay links its events
to thousands of subjects spread over that key: inserted there, every transaction rewrote most of the
table's pages, more of them than the page cache holds as the table grew. A rebuild into SQLite
therefore appends the links to a table without a key (``unsorted_table``) and moves them in, sorted,
once at the end, so that each page of the fresh table is written once.

That sort (2.2 million links at a million events, 4-5 s of CPU) used to run after the query indexes
were built, while the second core was idle (the replay's worker has finished by then). A database
file takes one writer at a time, but a second file does not wait for it: ``LinkSorter`` sorts the
links the replay wrote into a file of its own beside the database, in a thread of its own (SQLite
leaves Python's lock while it sorts), while the rebuild's connection builds the query indexes. The
sorted links are then copied in, in key order, which is no sort and writes each page once; the few
links of the events applied after the sort began are sorted in after them.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from adapters.private_files import private_file

UNSORTED_SUFFIX = "__rebuild_unsorted"  # the links to subjects as the replay writes them
SORTED_FILE_SUFFIX = ".rebuild-links"  # beside the database: the links sorted while indexes build
_SORTED = "links"  # the sorted links' table in that file
_ATTACHED = "rebuild_links"
# The sort's memory, as the service's own connections have (adapters.sql): less would sort in more runs.
_CACHE_SIZE = -65536


def unsorted_table(event_subjects: Table, suffix: str) -> Table:
    """A table of ``event_subjects``' columns without its key, where the replay appends the links;
    ``suffix`` is the one the fresh tables' names carry."""
    return Table(
        event_subjects.name.removesuffix(suffix) + UNSORTED_SUFFIX,
        MetaData(),
        *(Column(column.name, column.type, nullable=False) for column in event_subjects.columns),
    )


def sorted_file(engine: Engine) -> Path | None:
    """Where a rebuild into ``engine``'s database sorts the links: beside its file (None if the
    database is not a file, which a second connection cannot open)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + SORTED_FILE_SUFFIX)


class LinkSorter:
    """Sorts the links of the events up to ``up_to`` from ``unsorted`` in a thread of its own (see the
    module docstring), and moves them into ``event_subjects`` when asked to (``move``)."""

    def __init__(self, engine: Engine, unsorted: Table, event_subjects: Table, up_to: int) -> None:
        self.engine = engine
        self.unsorted = unsorted
        self.event_subjects = event_subjects
        self.up_to = up_to
        self.file = sorted_file(engine)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-links")
        self._sorted: Future[None] | None = None
        if self.file is not None:
            self._sorted = self._thread.submit(self._sort, self.file)

    def _sort(self, file: Path) -> None:
        database = self.engine.url.database
        connection = sqlite3.connect(private_file(file), isolation_level=None)
        try:
            # The file is thrown away once its links are moved (or by the next rebuild, if this
            # one dies): nothing in it needs a journal or waits for the disk.
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute(f"PRAGMA cache_size = {_CACHE_SIZE}")
            connection.execute("ATTACH DATABASE ? AS replayed", (database,))
            links = self.event_subjects.to_metadata(MetaData(), name=_SORTED)
            connection.execute(str(CreateTable(links).compile(dialect=sqlite.dialect())))
            columns = ", ".join(column.name for column in links.columns)
            key = ", ".join(column.name for column in links.primary_key)
            connection.execute("BEGIN")
            connection.execute(
                f'INSERT INTO {_SORTED} ({columns}) SELECT {columns} FROM replayed."{self.unsorted.name}"'
                f" WHERE position <= ? ORDER BY {key}",
                (self.up_to,),
            )
            connection.execute("COMMIT")
        finally:
            connection.close()

    def move(self) -> None:
        """Moves the links into ``event_subjects``: those sorted meanwhile as they are, then those of
        the events applied since (all of them if the database is not a file)."""
        with self.engine.connect() as connection:
            if self._sorted is not None and self.file is not None:
                self._sorted.result()
                # Outside a transaction, where SQLite attaches and detaches.
                connection.exec_driver_sql(f"ATTACH DATABASE ? AS {_ATTACHED}", (str(self.file),))
                connection.commit()
                try:
                    # "SELECT *" of a table of the same columns and key: SQLite copies the
                    # records as they are, in key order.
                    connection.exec_driver_sql(
                        f'INSERT INTO "{self.event_subjects.name}" SELECT * FROM {_ATTACHED}.{_SORTED}'
                    )
                    self._move_unsorted(connection, after=self.up_to)
                    connection.commit()
                finally:
                    connection.rollback()
                    connection.exec_driver_sql(f"DETACH DATABASE {_ATTACHED}")
                    connection.commit()
            else:
                self._move_unsorted(connection, after=None)
                connection.commit()

    def _move_unsorted(self, connection: Connection, after: int | None) -> None:
        """Inserts the links of ``unsorted`` after position ``after`` (all if None) in key order."""
        unsorted = self.unsorted
        query = select(unsorted).order_by(
            *(unsorted.c[column.name] for column in self.event_subjects.primary_key)
        )
        if after is not None:
            query = query.where(unsorted.c.position > after)
        connection.execute(
            self.event_subjects.insert().from_select(
                [column.name for column in unsorted.columns], query
            )
        )

    def close(self) -> None:
        """Waits for the sort (if a rebuild failed meanwhile) and removes its file."""
        self._thread.shutdown(wait=True)
        if self.file is not None:
            self.file.unlink(missing_ok=True)
