"""Schema migrations of the SQL database, with Alembic, run by the service itself at start-up.

Each part of the service that keeps tables here (the read models, the API's tokens and idempotency records)
has its own Alembic branch: its first revision has ``down_revision = None`` and a ``branch_labels`` naming
the part, so parts can evolve their tables independently. ``migrate`` brings every branch to its head.

To write a new revision by hand::

    alembic -c adapters/sql/migrations/alembic.ini revision -m "what changes" --head <branch>@head
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_HERE = Path(__file__).parent


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Brings the database behind ``engine`` to the newest schema of every branch."""
    command.upgrade(alembic_config(engine), "heads")
