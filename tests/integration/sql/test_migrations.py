from alembic import command
from sqlalchemy import Engine, inspect

from adapters.sql import migrate
from adapters.sql.migrations import alembic_config
from projections.queries import PositionProbe
from projections.runner import ProjectionRunner
from projections.schema import TRACKING
from services.application import GovernanceApplication
from services.importer import import_governance_facts


def test_migrations_run_on_a_fresh_database_and_again_without_change(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert "alembic_version" in tables
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == tables


def test_an_upgraded_read_model_knows_where_its_facts_last_changed(engine: Engine) -> None:
    """Revision 0003 fills in the tracking row's facts_position from the fact rows: the same position
    the projector keeps from then on, so an upgraded read model and one replayed from the log agree."""
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    ProjectionRunner(app, engine).catch_up()
    projected = PositionProbe(engine)()
    assert projected.facts_position is not None and projected.facts_position > 0
    config = alembic_config(engine)
    command.downgrade(config, "0002_read_models")
    assert "facts_position" not in {c["name"] for c in inspect(engine).get_columns(TRACKING)}
    migrate(engine)
    assert PositionProbe(engine)() == projected
