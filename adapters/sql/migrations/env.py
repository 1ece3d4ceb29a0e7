"""Alembic's entry point: runs the revisions on the engine the service passes, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    # render_as_batch lets SQLite alter tables (it copies them), as it cannot ALTER most columns in place.
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
