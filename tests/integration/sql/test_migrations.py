from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, inspect

from adapters.sql import migrate
from adapters.sql.migrations import alembic_config
from api.idempotency import Claim, IdempotencyStore, Lapsed, StillInProgress
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


def test_upgraded_idempotency_keys_of_unknown_outcome_can_be_taken_over_and_others_stay(
    engine: Engine,
) -> None:
    """Revision api_0004 gives keys leases. A key whose write's outcome was unknown before it can be
    found out and taken over by a retry at once, as before; a key in progress before it, whose
    command's write was not written down, stays in progress (a retry could record it twice)."""
    command.downgrade(alembic_config(engine), "api_0003")
    rows = sa.table(
        "api_idempotency",
        *(
            sa.column(name)
            for name in ("token_id", "idempotency_key", "request_sha256", "created_at")
        ),
        sa.column("unknown_outcome", sa.LargeBinary),
    )
    with engine.begin() as connection:
        for key, attempt in (("unknown", b'{"command":"C","attempted":[]}'), ("running", None)):
            connection.execute(
                rows.insert().values(
                    token_id="t",
                    idempotency_key=key,
                    request_sha256="h",
                    created_at=datetime.now(UTC),
                    unknown_outcome=attempt,
                )
            )
    migrate(engine)
    store = IdempotencyStore(engine, wait_seconds=0.1)
    lapsed = store.claim("t", "unknown", "h")
    assert isinstance(lapsed, Lapsed)
    assert lapsed.attempt == b'{"command":"C","attempted":[]}'
    assert isinstance(store.take_over("t", "unknown", lapsed), Claim)
    with pytest.raises(StillInProgress):
        store.claim("t", "running", "h")
