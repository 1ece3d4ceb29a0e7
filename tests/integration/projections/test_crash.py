"""SIGKILL the projection runner (`regiekaart projections run`) at random moments of its catch-up: after
every restart the tables equal, row for row, a clean projection of the log up to the same position."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.nats.server import NatsServer
from adapters.sql import create_engine, migrate
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from tests.fixtures.processes import start_projection_runner
from tests.integration.projections.scenario import (
    build_world,
    fresh_database_url,
    grow_history,
    nats_env,
    read_model_rows,
)

ROUNDS = 20
LEASE_SECONDS = "0.3"  # a killed runner's lease runs out quickly, so the next one starts at once


@pytest.fixture(scope="module")
def history(nats_server: NatsServer) -> Iterator[tuple[GovernanceApplication, dict[str, str]]]:
    env = nats_env(nats_server)
    app = GovernanceApplication(env=env)
    grow_history(app, build_world(app), municipalities=400)
    yield app, env
    app.close()


def start_runner(env: dict[str, str], database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    return start_projection_runner(
        env["NATS_URL"],
        "--batch-size",
        "7",
        stderr=subprocess.PIPE,
        REGIEKAART_NATS_STREAM=env["NATS_STREAM"],
        REGIEKAART_DATABASE_URL=database_url,
        REGIEKAART_DATA_DIR=str(data_dir),
        REGIEKAART_PROJECTION_LEASE_SECONDS=LEASE_SECONDS,
    )


def wait_for_progress(
    runner: ProjectionRunner, beyond: int, process: subprocess.Popen[bytes]
) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        position = runner.position() or 0
        if position > beyond:
            return position
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        time.sleep(0.005)
    raise AssertionError(f"the runner made no progress beyond {beyond}")


@pytest.mark.slow
@pytest.mark.timeout(900)  # twenty process starts: on a busy shared machine each takes seconds
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_catch_up_never_leaves_a_half_applied_batch(
    history: tuple[GovernanceApplication, dict[str, str]],
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    app, env = history
    head = app.recorder.max_notification_id()
    assert head is not None
    database_url = fresh_database_url(request, tmp_path, backend)
    engine = create_engine(database_url)
    migrate(engine)
    reference = create_engine(fresh_database_url(request, tmp_path, backend))
    migrate(reference)
    observed = ProjectionRunner(app, engine)
    clean = ProjectionRunner(app, reference)
    rng = random.Random(20261202)
    position, killed_during_catch_up = 0, 0
    for _ in range(ROUNDS):
        process = start_runner(env, database_url, tmp_path)
        if position < head:
            wait_for_progress(observed, position, process)
            time.sleep(rng.uniform(0, 0.03))  # a few batches: most kills land before the head
        process.send_signal(signal.SIGKILL)
        process.wait()
        position = observed.position() or 0
        killed_during_catch_up += position < head
        clean.catch_up(until=position)
        assert clean.position() == position
        assert read_model_rows(engine) == read_model_rows(reference), f"after a kill at {position}"
    assert killed_during_catch_up >= ROUNDS // 2, "the kills should fall within the catch-up"

    process = start_runner(env, database_url, tmp_path)
    try:
        assert observed.wait_until(head, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    clean.catch_up()
    assert read_model_rows(engine) == read_model_rows(reference)
    engine.dispose()
    reference.dispose()
