"""Rows written in bulk (binary COPY on PostgreSQL, executemany on SQLite) read back exactly as
given, at the edges of their column types; and a value its column cannot hold is refused, leaving
nothing written."""

from __future__ import annotations

from datetime import date, datetime

import psycopg
import pytest
from sqlalchemy import Float, Integer, Numeric, Table, select

from adapters.sql import create_engine, migrate
from projections.history import SQLITE_NULL
from projections.schema import read_model_tables
from projections.writer import BulkWriter
from tests.integration.projections.scenario import fresh_database_url

# Text a person could enter: combining accents, right-to-left script, an emoji outside the BMP,
# a line break and a tab, a backslash and quotes (COPY's text form escapes these), and length.
ODD_TEXT = "Cafe\u0301 \u05e9\u05dc\u05d5\u05dd \U0001f3db\ufe0f\n\t\\N \\. \"'" + "x" * 20_000


def fact_row(**changes: object) -> dict[str, object]:
    """A fact row with every column at an edge of its type; the columns that may be empty, empty."""
    row: dict[str, object] = {c.name: None for c in read_model_tables().facts.columns if c.nullable}
    row |= {
        "version_id": 2**62,
        "fact_key": "region:zuid-limburg:member:" + "m" * 300,
        "fact_kind": "membership",
        "subject_kind": "region",
        "subject_slug": "zuid-limburg",
        "name": ODD_TEXT,
        "region": "zuid-limburg",
        "scope": "",
        "details": '{"opt_out":["\\u0000 is no character of text, but its escape is"]}',
        "attribution": ODD_TEXT,
        "valid_from_earliest": date.min,
        "valid_from_latest": date(1, 12, 31),
        "valid_from_precision": "year",
        "valid_until_earliest": date(9999, 12, 1),
        "valid_until_latest": date.max,
        "valid_until_precision": "month",
        "stated_by": "00000000-0000-4000-8000-000000000000:2147483648",
        "recorded_position": 2**63 - 1,
        "recorded_at": datetime(2026, 12, 7, 3, 40, 1, 999_999),
    }
    row.update(changes)
    return row


@pytest.fixture
def engine(request, tmp_path, backend):
    engine = create_engine(fresh_database_url(request, tmp_path, backend))
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_rows_read_back_as_written_at_the_edges_of_their_types(engine):
    facts = read_model_tables().facts
    row = fact_row()
    with engine.begin() as connection:
        BulkWriter(connection).insert(facts, [row])
    with engine.connect() as connection:
        (stored,) = connection.execute(select(facts)).mappings().all()
    assert dict(stored) == row


# Only PostgreSQL: SQLite does not hold text to a column's declared length.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_value_too_long_for_its_column_is_refused_and_nothing_is_written(engine):
    facts = read_model_tables().facts
    # The driver's own error: the writer copies through its cursor, below SQLAlchemy.
    with pytest.raises(psycopg.errors.DataError, match="too long"), engine.begin() as connection:
        BulkWriter(connection).insert(
            facts, [fact_row(version_id=1), fact_row(version_id=2, fact_kind="k" * 41)]
        )
    with engine.connect() as connection:
        assert connection.execute(select(facts)).all() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_values_that_resemble_the_stand_in_for_null_read_back_as_written(engine):
    """On SQLite the writer binds NULL in nullable columns as a number the statement turns back into
    NULL (binding None costs Python's sqlite3 module ten times as much): text that reads like that
    number, and a nullable number next to it, stay what they were."""
    facts = read_model_tables().facts
    rows = [
        fact_row(version_id=1, region="-1", scope="-1", changed_by="-1", superseded_position=0),
        fact_row(version_id=2, name="NULL", superseded_position=1),
    ]
    with engine.begin() as connection:
        BulkWriter(connection).insert(facts, rows)
    with engine.connect() as connection:
        stored = connection.execute(select(facts).order_by(facts.c.version_id)).mappings().all()
    assert [dict(row) for row in stored] == rows


def test_every_nullable_number_of_the_read_models_is_a_position_never_negative() -> None:
    """The stand-in for NULL on SQLite is a negative number (``projections.history.SQLITE_NULL``):
    a nullable number column that could hold it would read back NULL. A new one fails here first."""
    nullable_numbers = {
        f"{table.name}.{column.name}"
        for table in read_model_tables()
        if isinstance(table, Table)
        for column in table.columns
        if column.nullable and isinstance(column.type, Integer | Numeric | Float)
    }
    assert SQLITE_NULL < 0
    assert nullable_numbers == {
        "map_facts.superseded_position",
        "map_events.corrects_position",
        "projection_tracking.facts_position",
    }
