"""A region system gets credentials from the command line while the service runs, and reads its feed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import nats

from tests.e2e.service import start_service


def issue(data_dir, region: str, database_url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIEKAART_")}
    if database_url:  # the command line checks the region against the service's registry
        env["REGIEKAART_DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "api", "feeds", "credentials", region, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "admits them now" in result.stderr
    return json.loads(result.stdout)


def test_credentials_issued_to_a_running_service_admit_the_region_system(tmp_path, own_database_url):
    service = start_service(tmp_path, database_url=own_database_url, workers=1)
    try:
        url = next(line.split()[2] for line in service.lines if line.startswith("event store:"))
        credentials = issue(tmp_path, "zuid-limburg", own_database_url)

        async def read_feed() -> list:
            nc = await nats.connect(
                url,
                user=credentials["user"],
                password=credentials["password"],
                inbox_prefix=credentials["inbox_prefix"],
            )
            subscription = await nc.jetstream().pull_subscribe(
                credentials["subjects"], durable="dashboard", stream=credentials["stream"]
            )
            messages = await subscription.fetch(5, timeout=20)
            await nc.close()
            return messages

        messages = asyncio.run(read_feed())
        assert messages and all(m.subject.startswith("feed.zuid-limburg.") for m in messages)
    finally:
        service.stop()
