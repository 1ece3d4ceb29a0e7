"""The background workers' reports: events they set aside, and how far each got in the log
(``projections.work_status``).

Revision ID: work_status_0001
Revises:
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "work_status_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("work_status",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "set_aside_events",
        sa.Column("worker", sa.String(50), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "worker_progress",
        sa.Column("worker", sa.String(50), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("worker_progress")
    op.drop_table("set_aside_events")
