"""An API worker's map position follows the projection runner when the runner says it applied events,
not when the worker next happens to ask the database."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import api.maps
from api.context import ApiContext
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from tests.integration.projections.scenario import build_world


@pytest.fixture
def app(nats_env: dict[str, str]) -> Iterator[GovernanceApplication]:
    app = GovernanceApplication(env=nats_env)
    yield app
    app.close()


def test_each_applied_batch_wakes_the_workers_position_watch(
    app: GovernanceApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The watch's own reads come an hour apart here: only the runner's signal can move it in time.
    monkeypatch.setattr(api.maps, "FALLBACK_SECONDS", 3600.0)
    watch = ApiContext(app, engine).position_watch
    watch.start()
    runner = ProjectionRunner(app, engine)
    runner.start()
    try:
        build_world(app)
        head = app.recorder.max_notification_id()
        assert head is not None and runner.wait_until(head)
        deadline = time.monotonic() + 20
        while watch.position != head and time.monotonic() < deadline:
            time.sleep(0.01)
        assert watch.position == head == runner.position()
    finally:
        runner.stop()
        watch.stop()
