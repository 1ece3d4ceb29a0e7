"""On SQLite, the history's and the facts' integer keys become the tables' rowids, and the history
links a table that is its own primary key (WITHOUT ROWID): one B-tree per table fewer to keep up to
date while projecting. PostgreSQL's tables do not change.

The tables are copied into their new form with their rows, so no replay is needed after upgrading.

Revision ID: 0002_read_models
Revises: 0001_read_models
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_read_models"
down_revision: str | None = "0001_read_models"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INTEGER_KEYS = (("map_events", "position"), ("map_facts", "version_id"))


def upgrade() -> None:
    _convert(integer=sa.Integer(), with_rowid=False)


def downgrade() -> None:
    _convert(integer=sa.BigInteger(), with_rowid=True)


def _convert(integer: sa.types.TypeEngine, with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column in _INTEGER_KEYS:
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.alter_column(column, type_=integer, existing_nullable=False)
    with op.batch_alter_table(
        "map_event_subjects", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass
