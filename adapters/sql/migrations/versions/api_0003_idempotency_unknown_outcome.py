"""An idempotency record can hold a command whose write's outcome is unknown: what the write attempted,
so that the retry with the same key finds out whether it was stored instead of running it again.

Revision ID: api_0003
Revises: api_0002
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "api_0003"
down_revision: str | Sequence[str] | None = "api_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_idempotency") as table:
        table.add_column(sa.Column("unknown_outcome", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency") as table:
        table.drop_column("unknown_outcome")
