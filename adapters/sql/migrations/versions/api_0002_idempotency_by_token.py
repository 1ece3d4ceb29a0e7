"""Idempotency records belong to a token (its id), no longer to a principal's display name, which
two tokens could share.

Revision ID: api_0002
Revises: api_0001
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "api_0002"
down_revision: str | Sequence[str] | None = "api_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Records keyed by a display name cannot tell two tokens of that name apart; they only serve
    # retries of the last minutes, so they are dropped rather than guessed at.
    op.execute(sa.text("DELETE FROM api_idempotency"))
    with op.batch_alter_table("api_idempotency") as table:
        table.alter_column("principal", new_column_name="token_id", existing_type=sa.String(240))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM api_idempotency"))
    with op.batch_alter_table("api_idempotency") as table:
        table.alter_column("token_id", new_column_name="principal", existing_type=sa.String(240))
