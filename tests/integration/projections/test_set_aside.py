"""One event the projector cannot take does not stop the maps: the runner sets it aside (recorded with
the reason), moves past it and applies the events after it."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import StoredEvent

from adapters.sql import create_engine, migrate
from projections.queries import GovernanceMaps
from projections.runner import ProjectionRunner
from projections.work_status import PROJECTIONS_WORKER, WorkStatus, set_aside_events
from services import commands as c
from tests.authorities import EXTERNAL
from tests.integration.projections.scenario import nats_application


def test_an_event_that_does_not_decode_is_set_aside_and_the_maps_go_on(nats_server, tmp_path):
    app = nats_application(nats_server)
    engine = create_engine(f"sqlite:///{tmp_path / 'maps.sqlite'}")
    migrate(engine)
    runner = ProjectionRunner(app, engine, status=WorkStatus(engine, PROJECTIONS_WORKER))
    runner.start()
    try:
        app.handle(
            c.RegisterRegion(
                region="voor-de-fout", name="Voor", principal="test", authority=EXTERNAL
            )
        )
        # An event of a kind this code does not know (written by another version, say).
        poison = app.recorder.insert_events(
            [StoredEvent(uuid.uuid4(), 1, "domain.nowhere:Unknown.Happened", b"{}")]
        )
        later = app.handle(
            c.RegisterRegion(region="na-de-fout", name="Na", principal="test", authority=EXTERNAL)
        )
        assert runner.wait_until(later.notification_ids[-1], timeout=30)
        set_aside = set_aside_events(engine)
        assert [(e.worker, e.position, e.event_type) for e in set_aside] == [
            (PROJECTIONS_WORKER, poison[0], "domain.nowhere:Unknown.Happened")
        ]
        assert "Unknown" in set_aside[0].reason
        regions = {summary.slug for summary in GovernanceMaps(engine).regions()}
        assert {"voor-de-fout", "na-de-fout"} <= regions
    finally:
        runner.stop()
        engine.dispose()
        app.close()
