"""Faults injected into the running service during a paced burst of commands: nats-server killed, an
API worker killed, a projection runner killed (each SIGKILL, one after the other, each once the
service has recovered from the one before).

Afterwards every command that got a 2xx is in the log exactly once, every other got a 409 or 503
(never a 500, never a dropped connection once retried with its Idempotency-Key), the maps show every
recorded municipality, the region feeds caught up, and the service was ready again by itself after
each fault. The recovery times are printed (``-s``) and recorded in tests/benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.e2e.healing import (
    Burst,
    api_worker_pids,
    nats_server_pid,
    ready_answer,
    service_nats_url,
    wait_for,
)
from tests.e2e.service import start_service
from tests.e2e.test_healing import assert_answers_hold
from tests.fixtures.processes import start_projection_runner

LEASE_SECONDS = "2"  # a killed runner's lease runs out soon, so the other takes over soon


def start_runner(nats_url: str, database_url: str, data_dir) -> subprocess.Popen[bytes]:
    """A projection runner of its own (`regiekaart projections run`) beside the service's, sharing its
    database: one of the two applies while the other stands by."""
    return start_projection_runner(
        nats_url,
        "--data-dir",
        str(data_dir),
        REGIEKAART_DATABASE_URL=database_url,
        REGIEKAART_PROJECTION_LEASE_SECONDS=LEASE_SECONDS,
    )


def test_the_service_heals_from_injected_faults_during_a_burst(tmp_path, own_database_url):
    data_dir = tmp_path / "service"
    database_url = own_database_url or f"sqlite:///{(data_dir / 'maps.sqlite').resolve()}"
    service = start_service(
        data_dir,
        database_url=database_url,
        workers=2,
        settings={"REGIEKAART_PROJECTION_LEASE_SECONDS": LEASE_SECONDS},
    )
    runner = start_runner(service_nats_url(service, data_dir), database_url, tmp_path / "runner")
    recovery: dict[str, float] = {}
    try:
        with Burst(service, service.admin_token) as burst:

            def answered(more: int) -> None:
                target = burst.count() + more
                wait_for(lambda: burst.count() >= target, 120, f"{more} more commands answered")

            def ready() -> bool:
                answer = ready_answer(service)
                return answer is not None and answer.status_code == 200

            answered(10)
            killed_at = time.monotonic()
            os.kill(nats_server_pid(data_dir), signal.SIGKILL)
            wait_for(ready, 120, "ready after nats-server was killed")
            recovery["nats-server killed: ready again"] = time.monotonic() - killed_at
            answered(10)

            workers = api_worker_pids(service)
            victim = min(workers)
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            wait_for(
                lambda: len(w := api_worker_pids(service)) == len(workers) and victim not in w,
                120,
                "the killed worker replaced",
            )
            wait_for(ready, 120, "ready after a worker was killed")
            recovery["API worker killed: replaced and ready"] = time.monotonic() - killed_at
            answered(10)

            killed_at = time.monotonic()
            runner.kill()
            runner.wait()
            answered(10)
            wait_for(ready, 120, "ready after the projection runner was killed")
            recovery["projection runner killed: maps caught up"] = time.monotonic() - killed_at
            answered(10)

        statuses = assert_answers_hold(service, burst)
        recorded = {a.municipality for a in burst.answers if a.status == 201}
        with service.client(service.admin_token) as admin:

            def maps_show_every_recorded_municipality() -> bool:
                listed = {m["slug"] for m in admin.get("/municipalities").json()}
                return recorded <= listed

            wait_for(maps_show_every_recorded_municipality, 120, "the maps caught up")
        checks = wait_for(ready, 60, "ready") and ready_answer(service).json()["checks"]
        assert checks["read_models"] == "caught up" and checks["region_feeds"] == "caught up"
        assert service.process.poll() is None
        print(f"\nanswers: {dict(statuses)}")
        for fault, seconds in recovery.items():
            print(f"{fault}: {seconds:.1f} s")
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        service.stop()
