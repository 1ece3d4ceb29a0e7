"""Alembic revisions, one branch per part of the service (see adapters.sql.migrations)."""
