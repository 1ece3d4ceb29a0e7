"""The API's tables (tokens, idempotency records) as migrated are the tables its code writes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from api.idempotency import idempotency_table
from api.tokens import tokens_table


def test_the_migrated_api_tables_are_the_tables_the_code_writes(engine: Engine) -> None:
    metadata = sa.MetaData()
    for table in (tokens_table, idempotency_table):
        table.to_metadata(metadata)

    def owned(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "table" or name in metadata.tables

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": owned})
        assert compare_metadata(context, metadata) == []
