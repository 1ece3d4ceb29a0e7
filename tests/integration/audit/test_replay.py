"""`audit replay --compare`: the live read model of the real facts matches a replay of the log; a row
changed or removed behind the service's back is reported, and only that row."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import delete, select, update

from adapters.sql import create_engine, migrate
from projections.runner import ProjectionRunner
from projections.schema import read_model_tables
from services.application import GovernanceApplication
from tests.integration.audit.conftest import run_audit


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, served, tmp_path):
    """The service's read model of the facts, kept by the projection runner as the service does."""
    settings, _ = served
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'maps.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database(
            f"a_{uuid.uuid4().hex[:12]}"
        )
    engine = create_engine(url)
    migrate(engine)
    app = GovernanceApplication(
        env={
            "PERSISTENCE_MODULE": "adapters.nats",
            "NATS_URL": settings.nats_url,
            "NATS_STREAM": settings.nats_stream,
        }
    )
    ProjectionRunner(app, engine).catch_up()
    app.close()
    yield settings, url, engine
    engine.dispose()


def compare(settings, url, tmp_path) -> tuple[int, str]:
    return run_audit(
        "replay",
        "--compare",
        "--nats-url",
        settings.nats_url,
        "--database-url",
        url,
        stream=settings.nats_stream,
        data_dir=tmp_path,
    )


def test_the_live_read_model_of_the_real_facts_matches_the_log(live, tmp_path):
    settings, url, _ = live
    code, output = compare(settings, url, tmp_path)
    assert code == 0, output
    assert "no differences" in output


def test_a_row_changed_behind_the_services_back_is_the_one_difference(live, tmp_path):
    settings, url, engine = live
    facts = read_model_tables().facts
    with engine.begin() as connection:
        version_id, name = connection.execute(
            select(facts.c.version_id, facts.c.name).where(
                facts.c.fact_kind == "registered", facts.c.subject_slug == "zuid-limburg"
            )
        ).one()
        connection.execute(
            update(facts).where(facts.c.version_id == version_id).values(name="Regio Nergens")
        )
    code, output = compare(settings, url, tmp_path)
    assert code == 1
    lines = output.strip().splitlines()
    assert lines[:-1] == [
        f"map_facts [version_id={version_id}]: name is 'Regio Nergens' live, {name!r} from the log"
    ]
    assert "1 difference(s)" in lines[-1]


def test_a_row_removed_behind_the_services_back_is_reported_missing(live, tmp_path):
    settings, url, engine = live
    events = read_model_tables().events
    with engine.begin() as connection:
        position = connection.execute(select(events.c.position).limit(1)).scalar_one()
        connection.execute(delete(events).where(events.c.position == position))
    code, output = compare(settings, url, tmp_path)
    assert code == 1
    assert f"map_events [position={position}]: produced by the log, but missing" in output


def test_the_maps_rebuilt_from_the_log_are_printed_for_a_valid_date(served, tmp_path):
    settings, _ = served
    code, output = run_audit(
        "replay",
        "--nats-url",
        settings.nats_url,
        "--as-of",
        "2023-06-01",
        stream=settings.nats_stream,
        data_dir=tmp_path,
    )
    assert code == 0, output
    maps = json.loads(output)
    assert maps["as_of"] == "2023-06-01"
    assert {"zuid-limburg", "noord-limburg"} <= {m["region"]["slug"] for m in maps["regions"]}
