from sqlalchemy import Engine, inspect

from adapters.sql import migrate


def test_migrations_run_on_a_fresh_database_and_again_without_change(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert "alembic_version" in tables
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == tables
