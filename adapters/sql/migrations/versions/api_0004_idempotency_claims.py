"""An idempotency record names who runs its command and until when (a lease), so that a retry can take
over the key of a worker that died while it ran the command, instead of finding it in progress for good.

Keys whose write's outcome is unknown can be taken over at once, as before (their lease has run out);
keys still in progress when this runs keep no lease, and stay in progress, as they would have: what
their command wrote, if anything, was not written down.

Revision ID: api_0004
Revises: api_0003
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "api_0004"
down_revision: str | Sequence[str] | None = "api_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The claim every key of unknown outcome had before claims had ids: any retry may take it over.
_CLAIM_BEFORE_LEASES = "0" * 32


def upgrade() -> None:
    with op.batch_alter_table("api_idempotency") as table:
        table.add_column(sa.Column("claim_id", sa.String(32), nullable=True))
        table.add_column(sa.Column("lease_until", sa.Float, nullable=True))
    op.execute(
        sa.text(
            "UPDATE api_idempotency SET claim_id = :claim, lease_until = 0 "
            "WHERE status_code IS NULL AND unknown_outcome IS NOT NULL"
        ).bindparams(claim=_CLAIM_BEFORE_LEASES)
    )


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency") as table:
        table.drop_column("lease_until")
        table.drop_column("claim_id")
