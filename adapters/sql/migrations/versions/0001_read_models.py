"""The governance maps' tables: bitemporal facts, the history, the tracking position and the lease.

A snapshot of ``projections.schema`` as first released; later changes get revisions of their own on
the ``read_models`` branch (tests/integration/projections/test_schema.py checks they stay in step).

Revision ID: 0001_read_models
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_read_models"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("read_models",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "map_event_subjects",
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_slug", sa.String(length=200), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "subject_kind", "subject_slug", "position", name="pk_map_event_subjects_g0"
        ),
    )
    op.create_table(
        "map_events",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("event_name", sa.String(length=60), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_slug", sa.String(length=200), nullable=True),
        sa.Column("originator_id", sa.String(length=40), nullable=False),
        sa.Column("originator_version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.String(length=12), nullable=True),
        sa.Column("valid_from_precision", sa.String(length=8), nullable=False),
        sa.Column("valid_until", sa.String(length=12), nullable=True),
        sa.Column("valid_until_precision", sa.String(length=8), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("corrects_position", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("position", name="pk_map_events_g0"),
    )
    op.create_index(
        "ix_map_events_originator_g0",
        "map_events",
        ["originator_id", "originator_version"],
        unique=False,
    )
    op.create_table(
        "map_facts",
        sa.Column("version_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("fact_key", sa.String(length=400), nullable=False),
        sa.Column("fact_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_slug", sa.String(length=200), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("municipality", sa.String(length=200), nullable=True),
        sa.Column("cooperation", sa.String(length=200), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("agreement", sa.String(length=200), nullable=True),
        sa.Column("agreement_kind", sa.String(length=40), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("valid_from_earliest", sa.Date(), nullable=False),
        sa.Column("valid_from_latest", sa.Date(), nullable=False),
        sa.Column("valid_from_precision", sa.String(length=8), nullable=False),
        sa.Column("valid_until_earliest", sa.Date(), nullable=False),
        sa.Column("valid_until_latest", sa.Date(), nullable=False),
        sa.Column("valid_until_precision", sa.String(length=8), nullable=False),
        sa.Column("stated_by", sa.String(length=60), nullable=False),
        sa.Column("changed_by", sa.String(length=60), nullable=True),
        sa.Column("recorded_position", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_position", sa.BigInteger(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", name="pk_map_facts_g0"),
    )
    op.create_index(
        "ix_map_facts_agreement_g0", "map_facts", ["agreement", "fact_kind"], unique=False
    )
    op.create_index("ix_map_facts_changed_by_g0", "map_facts", ["changed_by"], unique=False)
    op.create_index(
        "ix_map_facts_cooperation_g0", "map_facts", ["cooperation", "fact_kind"], unique=False
    )
    op.create_index(
        "ix_map_facts_current_key_g0",
        "map_facts",
        ["fact_key"],
        unique=True,
        sqlite_where=sa.text("superseded_position IS NULL"),
        postgresql_where=sa.text("superseded_position IS NULL"),
    )
    op.create_index(
        "ix_map_facts_municipality_g0", "map_facts", ["municipality", "fact_kind"], unique=False
    )
    op.create_index(
        "ix_map_facts_organisation_g0", "map_facts", ["organisation", "fact_kind"], unique=False
    )
    op.create_index("ix_map_facts_region_g0", "map_facts", ["region", "fact_kind"], unique=False)
    op.create_index("ix_map_facts_stated_by_g0", "map_facts", ["stated_by"], unique=False)
    op.create_index(
        "ix_map_facts_subject_g0", "map_facts", ["subject_kind", "subject_slug"], unique=False
    )
    op.create_table(
        "projection_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "projection_tracking",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_projection_tracking_g0"),
    )


def downgrade() -> None:
    op.drop_table("projection_tracking")
    op.drop_table("projection_leases")
    op.drop_index("ix_map_facts_subject_g0", table_name="map_facts")
    op.drop_index("ix_map_facts_stated_by_g0", table_name="map_facts")
    op.drop_index("ix_map_facts_region_g0", table_name="map_facts")
    op.drop_index("ix_map_facts_organisation_g0", table_name="map_facts")
    op.drop_index("ix_map_facts_municipality_g0", table_name="map_facts")
    op.drop_index(
        "ix_map_facts_current_key_g0",
        table_name="map_facts",
        sqlite_where=sa.text("superseded_position IS NULL"),
        postgresql_where=sa.text("superseded_position IS NULL"),
    )
    op.drop_index("ix_map_facts_cooperation_g0", table_name="map_facts")
    op.drop_index("ix_map_facts_changed_by_g0", table_name="map_facts")
    op.drop_index("ix_map_facts_agreement_g0", table_name="map_facts")
    op.drop_table("map_facts")
    op.drop_index("ix_map_events_originator_g0", table_name="map_events")
    op.drop_table("map_events")
    op.drop_table("map_event_subjects")
