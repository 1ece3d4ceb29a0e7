"""The tracking row keeps the last log position at which a fact row was written or superseded: the
API's position watch reads it with each position (``projections.queries.PositionProbe``), and a
cached map whose facts did not change since is carried to the new position instead of being computed
again (``api.maps``). Filled in from the fact rows, so a read model upgraded and one replayed from
the log agree.

Revision ID: 0003_read_models
Revises: 0002_read_models
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_read_models"
down_revision: str | None = "0002_read_models"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projection_tracking") as table:
        table.add_column(sa.Column("facts_position", sa.BigInteger, nullable=True))
    op.execute(
        sa.text(
            "UPDATE projection_tracking SET facts_position = (SELECT MAX(p) FROM ("
            " SELECT recorded_position AS p FROM map_facts"
            " UNION ALL SELECT superseded_position FROM map_facts) AS changes)"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("projection_tracking") as table:
        table.drop_column("facts_position")
