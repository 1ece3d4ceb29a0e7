"""The fact rows by the log positions that wrote and superseded them: the API's position watch reads
the last position at which the facts changed with each position it reads (``projections.queries``),
and a cached map whose facts did not change since is carried to the new position instead of being
computed again (``api.maps``).

Revision ID: 0003_read_models
Revises: 0002_read_models
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_read_models"
down_revision: str | None = "0002_read_models"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_map_facts_recorded_g0", "recorded_position"),
    ("ix_map_facts_superseded_g0", "superseded_position"),
)


def upgrade() -> None:
    for name, column in _INDEXES:
        op.create_index(name, "map_facts", [column], unique=False)


def downgrade() -> None:
    for name, _ in _INDEXES:
        op.drop_index(name, table_name="map_facts")
