"""The operator's working directory is not where Regiekaart's processes find their code. A command
started there (as the installed ``regiekaart``) starts further Python processes: the rebuild's replay
worker, the API's workers, multiprocessing's resource tracker. Spawned with ``python -c``, such a
process looked for modules in the working directory first, before the standard library, so that a
``multiprocessing/`` left there by someone else ran as part of the rebuild or of the service."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from adapters.settings import Settings
from entrypoints.runtime import Runtime
from projections.rebuild import REBUILD_BATCH_SIZE
from projections.worker import range_size
from tests.benchmarks.national_history import NationalHistory
from tests.benchmarks.projections import NATS_WRITE_CHUNK
from tests.fixtures.processes import (
    INSTALLED_COMMAND,
    free_port,
    process_environment,
    start_service,
)

# A log written, then a command started as a process of its own: out of `make check`.
pytestmark = pytest.mark.slow


def planted_in(working: Path, ran: Path) -> None:
    """Packages that note in ``ran`` that they were imported, then fail the import."""
    for package in ("multiprocessing", "projections", "api"):
        (working / package).mkdir(parents=True)
        (working / package / "__init__.py").write_text(
            f"open({str(ran)!r}, 'a').write({package!r} + '\\n')\nraise ImportError('planted')\n"
        )


def test_a_rebuild_started_in_a_directory_with_planted_modules_runs_none_of_them(
    tmp_path: Path,
) -> None:
    data_dir, working, ran = tmp_path / "data", tmp_path / "shared", tmp_path / "planted code ran"
    with Runtime(Settings(data_dir=data_dir, nats_port=free_port())) as runtime:
        # More than one range of the replay worker (``projections.worker``): the rebuild starts it.
        events = [
            runtime.app.mapper.to_stored_event(event)
            for event in NationalHistory().events(range_size(REBUILD_BATCH_SIZE) + 1_000)
        ]
        for start in range(0, len(events), NATS_WRITE_CHUNK):
            runtime.app.recorder.insert_events(events[start : start + NATS_WRITE_CHUNK])
    planted_in(working, ran)

    rebuilt = subprocess.run(
        [str(INSTALLED_COMMAND), "projections", "rebuild", "--data-dir", str(data_dir)],
        cwd=working,
        env=process_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert not ran.exists(), ran.read_text()
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr


def test_a_service_started_in_a_directory_with_planted_modules_runs_none_of_them(
    tmp_path: Path,
) -> None:
    working, ran = tmp_path / "shared", tmp_path / "planted code ran"
    planted_in(working, ran)

    service = start_service(tmp_path / "data", cwd=working)
    try:
        with service.client(service.admin_token) as client:
            answer = client.get("/regions/zuid-limburg/map")
    finally:
        output = service.stop()

    assert not ran.exists(), ran.read_text()
    assert answer.status_code == 200 and answer.json()["region"]["slug"] == "zuid-limburg"
    assert "planted" not in output
