"""`audit replay --compare`: the live read model of the real facts matches a replay of the log; a row
changed or removed behind the service's back is reported, and only that row."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import delete, select, update

from adapters.sql import create_engine, migrate
from projections.queries import GovernanceMaps
from projections.replay import compare_with_log, replay
from projections.runner import ProjectionRunner
from projections.schema import read_model_tables
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL
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
    app = application(settings)
    ProjectionRunner(app, engine).catch_up()
    app.close()
    yield settings, url, engine
    engine.dispose()


def application(settings) -> GovernanceApplication:
    return GovernanceApplication(
        env={
            "PERSISTENCE_MODULE": "adapters.nats",
            "NATS_URL": settings.nats_url,
            "NATS_STREAM": settings.nats_stream,
        }
    )


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


def test_a_runner_applying_new_events_during_the_comparison_adds_no_difference(live, tmp_path):
    """The service goes on while an auditor compares: events are recorded and applied to the live read
    model after the comparison has taken its position, before it reads the live rows."""
    settings, _, engine = live
    app = application(settings)
    scratch = create_engine(f"sqlite:///{tmp_path / 'replay.sqlite'}")
    compared_at = GovernanceMaps(engine).position()

    def replay_while_the_service_goes_on(until):
        app.handle(
            c.RegisterRegion(
                region=f"tijdens-de-audit-{uuid.uuid4().hex[:8]}",
                name="Tijdens",
                principal="test",
                authority=EXTERNAL,
            )
        )
        ProjectionRunner(app, engine).catch_up()
        return replay(app, scratch, until)

    try:
        position, differences = compare_with_log(engine, scratch, replay_while_the_service_goes_on)
        moved_on_to = GovernanceMaps(engine).position()
    finally:
        app.close()
        scratch.dispose()
    assert moved_on_to > compared_at  # the live read model did move on meanwhile
    assert position == compared_at
    assert [difference.describe() for difference in differences] == []


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
