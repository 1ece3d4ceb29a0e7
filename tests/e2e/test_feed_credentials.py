"""A region system gets credentials from the command line while the service runs, and reads its feed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import nats

from tests.fixtures.processes import free_port, process_environment, start_service


def feeds_command(
    data_dir, *args: str, nats_port: int | None = None, database_url: str | None = None
) -> subprocess.CompletedProcess:
    env = process_environment()
    if database_url:  # the command line checks the region against the service's registry
        env["REGIEKAART_DATABASE_URL"] = database_url
    if nats_port is not None:
        env["REGIEKAART_NATS_PORT"] = str(nats_port)
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints", "feeds", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "the running service" in result.stderr and "now" in result.stderr, result.stderr
    return result


def issue(
    data_dir, region: str, nats_port: int | None = None, database_url: str | None = None
) -> dict:
    command = feeds_command(
        data_dir, "credentials", region, nats_port=nats_port, database_url=database_url
    )
    return json.loads(command.stdout)


def test_credentials_issued_to_a_running_service_admit_the_region_system(
    tmp_path, own_database_url, own_service
):
    service = own_service(tmp_path, database_url=own_database_url, workers=1)
    url = next(line.split()[2] for line in service.lines if line.startswith("event store:"))
    credentials = issue(tmp_path, "zuid-limburg", database_url=own_database_url)

    async def read_feed() -> list:
        nc = await nats.connect(
            url,
            user=credentials["user"],
            password=credentials["password"],
            inbox_prefix=credentials["inbox_prefix"],
        )
        subscription = await nc.jetstream(prefix=credentials["api_prefix"]).pull_subscribe(
            credentials["subjects"], durable="dashboard", stream=credentials["stream"]
        )
        messages = await subscription.fetch(5, timeout=20)
        await nc.close()
        return messages

    messages = asyncio.run(read_feed())
    assert messages and all(m.subject.startswith("feed.zuid-limburg.") for m in messages)
    service.stop()


async def connect(credentials: dict, url: str | None = None) -> nats.NATS:
    """A region system's connection, which gives up rather than reconnects when it is closed."""
    return await nats.connect(
        url or credentials["url"],
        user=credentials["user"],
        password=credentials["password"],
        inbox_prefix=credentials["inbox_prefix"],
        allow_reconnect=False,
        error_cb=_ignore,
    )


def feed_api(nc: nats.NATS, credentials: dict) -> Any:
    """JetStream as the region system reaches it: its feed's API, imported into its own account."""
    return nc.jetstream(prefix=credentials["api_prefix"])


async def _ignore(_: Exception) -> None:
    """Errors are what these tests look at through the connection's state."""


async def wait_closed(nc: nats.NATS) -> bool:
    for _ in range(200):
        if nc.is_closed:
            return True
        await asyncio.sleep(0.05)
    return False


async def refused(credentials: dict) -> bool:
    try:
        nc = await connect(credentials)
    except Exception as error:  # noqa: BLE001 - nats-py raises the server's -ERR as it comes
        return "authorization" in str(error).lower()
    await nc.close()
    return False


def test_credentials_name_a_stable_url_and_are_rotated_and_revoked_without_restart(
    tmp_path, own_database_url
):
    nats_port = free_port()
    settings = {"REGIEKAART_NATS_PORT": str(nats_port)}
    service = start_service(tmp_path, database_url=own_database_url, workers=1, settings=settings)
    try:
        first = issue(tmp_path, "zuid-limburg", nats_port, own_database_url)
        assert first["url"] == f"nats://127.0.0.1:{nats_port}"
        service.stop()
        service = start_service(
            tmp_path, database_url=own_database_url, workers=1, settings=settings
        )
        assert issue(tmp_path, "zuid-limburg", nats_port, own_database_url) == first, (
            "issued once, the same URL"
        )

        async def rotate_then_revoke() -> None:
            before = await connect(first)
            assert (await feed_api(before, first).stream_info(first["stream"])).config.name
            rotated = json.loads(
                feeds_command(
                    tmp_path,
                    "rotate",
                    "zuid-limburg",
                    nats_port=nats_port,
                    database_url=own_database_url,
                ).stdout
            )
            assert rotated["password"] != first["password"] and rotated["url"] == first["url"]
            assert await wait_closed(before), "the connection with the old password stayed open"
            assert await refused(first)
            after = await connect(rotated)
            assert (await feed_api(after, rotated).stream_info(rotated["stream"])).config.name
            feeds_command(
                tmp_path,
                "revoke",
                "zuid-limburg",
                nats_port=nats_port,
                database_url=own_database_url,
            )
            assert await wait_closed(after), "the connection with revoked credentials stayed open"
            assert await refused(rotated)

        asyncio.run(rotate_then_revoke())
    finally:
        service.stop()
