"""What a client without a valid token can take from the served API: no lasting memory for made-up
tokens, no header beyond the bound, and no way to keep others from `/health` with slow connections
(``entrypoints/connection_limits.py``, ``api/security.py``). The figures are printed (`pytest -s`) for the
notes in tests/benchmarks/RESULTS.md."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import secrets
import statistics
import time
from pathlib import Path

import httpx

from tests.e2e.service import Service

MIB = 1024 * 1024
BAD_TOKENS = 10_000
BAD_TOKEN_CHARACTERS = (
    8_000  # a few KB: under the header bound, so each one reaches the token check
)
SLOW_CLIENTS = 1_100
HEALTH_DEADLINE_SECONDS = 10.0


def api_workers(service: Service) -> list[int]:
    """The process ids of the service's granian workers (spawned interpreters under `serve`)."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
        if int(parent.split()[1]) == service.process.pid and b"spawn_main" in command:
            workers.append(int(entry.name))
    return sorted(workers)


def resident_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        total += int(line.split()[1]) * 1024
    return total


async def send_bad_tokens(url: str, count: int, connections: int = 16) -> dict[int, int]:
    """`count` requests, each with a different made-up token, over `connections` kept-alive
    connections; how many got each status. Plain HTTP/1.1 on sockets: a client library would spend
    more time per request than the API does."""
    host, port = url.removeprefix("http://").split(":")
    statuses: dict[int, int] = {}
    remaining = [count]

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                token = "rk_" + secrets.token_urlsafe(BAD_TOKEN_CHARACTERS * 3 // 4)
                writer.write(
                    f"GET /regions HTTP/1.1\r\nHost: {host}\r\n"
                    f"Authorization: Bearer {token}\r\n\r\n".encode()
                )
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(connections)))
    return statuses


def test_made_up_tokens_leave_the_workers_memory_flat(service: Service) -> None:
    workers = api_workers(service)
    assert workers, "no API worker processes found under serve"
    # Warm up first: the code paths of a refused token allocate once (compiled SQL, thread pool).
    asyncio.run(send_bad_tokens(service.url, 1_000))
    before = resident_bytes(workers)
    started = time.monotonic()
    statuses = asyncio.run(send_bad_tokens(service.url, BAD_TOKENS))
    seconds = time.monotonic() - started
    after = resident_bytes(workers)

    assert statuses == {401: BAD_TOKENS}
    growth = after - before
    print(
        f"\n{BAD_TOKENS} made-up tokens of {BAD_TOKEN_CHARACTERS} characters in {seconds:.1f} s: "
        f"RSS of {len(workers)} workers {before / MIB:.1f} -> {after / MIB:.1f} MiB "
        f"({growth / MIB:+.1f} MiB)"
    )
    assert growth < 30 * MIB, f"the workers grew by {growth / MIB:.1f} MiB"


def test_a_head_beyond_the_bound_is_refused_before_the_token_check(service: Service) -> None:
    token = "rk_" + "x" * 200_000
    with service.client() as client:
        refused = client.get("/regions", headers={"Authorization": f"Bearer {token}"})
        # Just under the bound (16 KiB by default), a head still reaches the API and its token check.
        small = client.get("/regions", headers={"Authorization": "Bearer rk_" + "x" * 12_000})
    assert refused.status_code == 431
    assert small.status_code == 401
    assert small.json()["detail"] == "the bearer token is unknown or revoked"


async def _slow_client(host: str, port: int, stop: asyncio.Event, connected: list[int]) -> None:
    """Sends a request head a line at a time, one line every 2 s, never finishing it; reconnects
    whenever the server closes the connection (as a persistent attacker would)."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
        except (OSError, TimeoutError):
            await asyncio.sleep(0.5)
            continue
        connected[0] += 1
        try:
            writer.write(b"GET /health HTTP/1.1\r\nHost: regiekaart\r\n")
            await writer.drain()
            line = 0
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2)
                if reader.at_eof():
                    break
                line += 1
                writer.write(f"X-Slow-{line}: still coming\r\n".encode())
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            writer.close()


def _allow_sockets(count: int) -> None:
    """Raises this process's soft limit of open files, if need be, to hold `count` sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


async def _health_under_slow_clients(url: str) -> tuple[list[float | None], int]:
    host, port = url.removeprefix("http://").split(":")
    stop = asyncio.Event()
    connected = [0]
    attackers = [
        asyncio.create_task(_slow_client(host, int(port), stop, connected))
        for _ in range(SLOW_CLIENTS)
    ]
    deadline = time.monotonic() + 30
    while connected[0] < SLOW_CLIENTS and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # every slow client has begun its head
    latencies: list[float | None] = []
    async with httpx.AsyncClient(base_url=url, timeout=HEALTH_DEADLINE_SECONDS) as client:
        for _ in range(7):
            started = time.monotonic()
            try:
                answer = await client.get("/health", headers={"Connection": "close"})
                latencies.append(time.monotonic() - started if answer.status_code == 200 else None)
            except httpx.TimeoutException:
                latencies.append(None)
            await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*attackers, return_exceptions=True)
    return latencies, connected[0]


def test_slow_clients_do_not_keep_others_from_health(service: Service) -> None:
    _allow_sockets(SLOW_CLIENTS)
    latencies, connections = asyncio.run(_health_under_slow_clients(service.url))
    answered = [latency for latency in latencies if latency is not None]
    print(
        f"\n/health beside {SLOW_CLIENTS} slow clients ({connections} connections opened): "
        f"{len(answered)} of {len(latencies)} answered within {HEALTH_DEADLINE_SECONDS:.0f} s"
        + (
            f", median {statistics.median(answered) * 1000:.1f} ms, "
            f"max {max(answered) * 1000:.1f} ms"
            if answered
            else ""
        )
    )
    assert connections >= SLOW_CLIENTS
    assert len(answered) == len(latencies), (
        f"/health did not answer within {HEALTH_DEADLINE_SECONDS:.0f} s: {latencies}"
    )
