"""One process at a time owns a data directory: a second `regiekaart serve` (or any command that would
start the embedded nats-server on it) is refused at once, naming the holder, and the first keeps serving
the one log. Commands meant to run beside the service (tokens) still work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from tests.e2e.service import free_port, start_service
from tests.fixtures.processes import process_environment


def regiekaart(
    *args: str, database_url: str | None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    env = process_environment()
    if database_url:
        env["REGIEKAART_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # a command that was not refused is ended with all it started
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n(still running after {timeout:.0f} s: not refused)"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_second_instance_on_a_data_dir_in_use_is_refused_and_the_first_keeps_serving(
    tmp_path, own_database_url
):
    first = start_service(tmp_path, database_url=own_database_url, workers=1)
    try:
        admin = {"Authorization": f"Bearer {first.admin_token}"}
        before = httpx.get(f"{first.url}/events?limit=500", headers=admin).json()
        ends_at = before["position"]
        while before["more"]:
            before = httpx.get(
                f"{first.url}/events?after={ends_at}&limit=500", headers=admin
            ).json()
            ends_at = before["position"]

        second_port = free_port()
        second = regiekaart(
            "serve",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(second_port),
            database_url=own_database_url,
        )

        assert second.returncode != 0
        refusal = second.stdout + second.stderr
        assert f"in use by process {first.process.pid} (regiekaart serve)" in refusal, refusal
        assert str(tmp_path.resolve()) in refusal
        # Refused before it started anything: no API on its port, and the first one serves on.
        try:
            httpx.get(f"http://127.0.0.1:{second_port}/health", timeout=2)
            raise AssertionError("the refused instance answers on its port")
        except httpx.ConnectError:
            pass
        assert httpx.get(f"{first.url}/ready").status_code == 200
        after = httpx.get(f"{first.url}/events?after={ends_at}", headers=admin).json()
        assert after["events"] == [], "the log grew while nothing was recorded"

        for command in (["import-facts"], ["projections", "rebuild"], ["audit", "export"]):
            refused = regiekaart(
                *command, "--data-dir", str(tmp_path), database_url=own_database_url
            )
            assert refused.returncode != 0, command
            assert f"in use by process {first.process.pid}" in refused.stdout + refused.stderr

        # Tokens live in the SQL database, which keeps concurrent writers apart itself: shared safely.
        listed = regiekaart(
            "tokens", "list", "--data-dir", str(tmp_path), database_url=own_database_url
        )
        assert listed.returncode == 0, listed.stderr
        assert "first-admin" in listed.stdout
    finally:
        first.stop()

    # Once the first has stopped, the data directory is free again.
    again = start_service(tmp_path, database_url=own_database_url, workers=1)
    again.stop()
