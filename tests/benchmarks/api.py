"""The API under load: the region-map endpoint (plain and gzipped) and a trivial JSON endpoint of the
same server beside a bare Litestar app on the same granian settings (``tests.benchmarks.bare_app``),
and how soon a recorded command can be seen in the map.

The service runs as `regiekaart serve` runs it (embedded nats-server, the governance facts, the projection
runner, granian with 2 workers), with the access log off (``REGIEKAART_LOG_LEVEL=WARNING``) so that the
figures measure serving, not writing log lines to a pipe; then `/health` once more on a second service
with the access log on, as production runs, beside the bare app again. `wrk` (Debian's package; installed with apt-get
if missing) loads each endpoint (the bare app's included) in turn at 64 connections, alternating,
``ROUNDS`` times; each figure is the median over the rounds. The load generator shares the 2 cores with
the servers.

The command latency runs from the moment a command's 201 answer arrives (the event is stored) until the
map shows the read model's position at or past the command's last event, read two ways, command by
command in turn: polling the map every 2 ms, and one request with ``min_position`` (the command's last
event), which the server answers once its position watch is told the read model got there (push).

    .venv/bin/python -m tests.benchmarks.api [seconds per run] [commands]
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.benchmarks.bare_app import PATH as BARE_PATH
from tests.benchmarks.results import RunConditions, percentile, write_section
from tests.fixtures.processes import free_port, process_environment, start_service

SECTION = "## API"
CONNECTIONS = 64
ROUNDS = 3
REGION = "zuid-limburg"
MAP_PATH = f"/regions/{REGION}/map"
TRIVIAL_PATH = "/health"
WORKERS = 2


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL
    )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and apt-get could not install it")
    return found


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT[unit]


def load(wrk: str, url: str, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, flags=re.MULTILINE))
    if set(latency) != {"50", "99"}:
        raise SystemExit(f"{url}: no latency distribution in wrk's output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} answers were not 2xx:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
    }


POLLED, WAITED = "polled", "waited"


def command_latency(url: str, token: str, commands: int) -> dict[str, list[float]]:
    """Milliseconds from each command's 201 to its events on the map, by how the map was read."""
    latencies: dict[str, list[float]] = {POLLED: [], WAITED: []}
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        for number in range(commands):
            answer = client.post(
                "/agreements/milestones",
                json={
                    "agreement": "zl-governance-afspraken",
                    "authority": {
                        "body": "g16zlb",
                        "decision_date": "2026-01-15",
                        "document": "Besluitenlijst G16zLB 2026-01",
                    },
                    "milestone": {
                        "date": {"value": "2027-01-01", "precision": "day"},
                        "what": f"voortgangsrapportage {number}",
                    },
                },
            )
            accepted = time.perf_counter()
            answer.raise_for_status()
            last = answer.json()["event_ids"][-1]
            how = POLLED if number % 2 == 0 else WAITED
            if how == WAITED:
                waited = client.get(MAP_PATH, params={"min_position": last})
                # The map has arrived: decoding its 38 KB (about 0.6 ms) is the client's own work.
                seen = time.perf_counter()
                waited.raise_for_status()
                assert waited.json()["position"] >= last
            else:
                while True:
                    polled = client.get(MAP_PATH)
                    seen = time.perf_counter()  # timed as the waited read is, before decoding
                    if (polled.json()["position"] or 0) >= last:
                        break
                    time.sleep(0.002)
            latencies[how].append((seen - accepted) * 1000)
    return latencies


@contextmanager
def bare_server(workers: int) -> Iterator[str]:
    """The reference server (``tests.benchmarks.bare_app``) on a free port; yields its trivial URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.bare_app", str(port), str(workers)],
        env=process_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{BARE_PATH}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the bare Litestar app did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(
    seconds: int, commands: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    wrk = ensure_wrk()
    with bare_server(WORKERS) as bare_url:
        medians, latencies = _measure_quiet_service(wrk, bare_url, seconds, commands)
        medians["trivial_logged"] = _measure_logged_health(wrk, bare_url, seconds)
    return medians, latencies


def _measure_logged_health(wrk: str, bare_url: str, seconds: int) -> dict[str, float]:
    """`/health` of a service with the access log on (as production runs it): a JSON line per
    request on its stderr, a pipe this process drains in blocks without reading the lines, as a log
    collector takes them (what the collector then does is its own cost). Alternated with the
    bare app again, each round's figure taken as a ratio of that round's bare app, so that the ratio
    compares like with like; the requests/s given are the median round's."""
    with tempfile.TemporaryDirectory() as directory:
        service = start_service(
            Path(directory), workers=WORKERS, log_level="INFO", keep_output=False
        )
        try:
            rounds = []
            for _ in range(ROUNDS):
                bare = load(wrk, bare_url, seconds, {})
                logged = load(wrk, service.url + TRIVIAL_PATH, seconds, {})
                rounds.append(logged | {"ratio": logged["rps"] / bare["rps"]})
        finally:
            service.stop()
    return sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]


def _measure_quiet_service(
    wrk: str, bare_url: str, seconds: int, commands: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    with tempfile.TemporaryDirectory() as directory:
        service = start_service(Path(directory), workers=WORKERS, log_level="WARNING")
        try:
            token = service.token("region-system", "bench", regions=[REGION])
            with service.client(token) as client:
                client.get(MAP_PATH).raise_for_status()
            bearer = {"Authorization": f"Bearer {token}"}
            targets = {
                "bare": (bare_url, {}),
                "trivial": (service.url + TRIVIAL_PATH, {}),
                "map": (service.url + MAP_PATH, bearer),
                # As the region systems' HTTP clients and the browsers ask for it.
                "map_gzip": (service.url + MAP_PATH, bearer | {"Accept-Encoding": "gzip"}),
            }
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
            for _ in range(ROUNDS):
                for name, (url, headers) in targets.items():
                    runs[name].append(load(wrk, url, seconds, headers))
            medians = {
                name: {k: statistics.median(r[k] for r in results) for k in ("rps", "p50", "p99")}
                for name, results in runs.items()
            }
            latencies = command_latency(service.url, service.admin_token or "", commands)
        finally:
            service.stop()
    return medians, latencies


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    seconds = int(argv[0]) if argv else 10
    # 500 read each way: with 150, as before, the p99 was the second-slowest read, one disk flush.
    commands = int(argv[1]) if len(argv) > 1 else 1000
    conditions = RunConditions()
    medians, latencies = measure(seconds, commands)
    bare, trivial, region_map = medians["bare"], medians["trivial"], medians["map"]
    gzipped_map = medians["map_gzip"]

    def latency_row(label: str, figures: list[float]) -> str:
        return (
            f"| {label} | {percentile(figures, 0.5):.1f} | {percentile(figures, 0.99):.1f} "
            f"| {max(figures):.1f} |"
        )

    def row(label: str, figures: dict[str, float]) -> str:
        ratio = figures.get("ratio", figures["rps"] / bare["rps"])
        return (
            f"| {label} | {figures['rps']:,.0f} | {ratio:.2f}× "
            f"| {figures['p50']:.2f} | {figures['p99']:.2f} |"
        )

    body = f"""{SECTION}

Three servers' endpoints loaded in turn with `wrk` at {CONNECTIONS} connections, {seconds} s per run,
{ROUNDS} alternating rounds (medians): a bare Litestar app on granian with the service's settings
(`tests/benchmarks/bare_app.py`: one trivial route, {WORKERS} workers, none of our request path), our
`GET {TRIVIAL_PATH}` (the same trivial answer through our shared request path: metrics, logging,
request ids, authentication) and the region map (`GET {MAP_PATH}`, region-system token, served from
the worker's cache of encoded maps; plain JSON, and gzipped for a client that accepts it, as HTTP
clients and browsers do). `regiekaart serve` with granian, {WORKERS} workers, access log off; wrk on
the same 2 cores. The ratio to the bare app is the cost of our request path. Targets: `{TRIVIAL_PATH}` at
≥ 0.67× the bare app's requests/s; the map at ≥ 0.8× `{TRIVIAL_PATH}`'s, p99 under 25 ms. Production
runs with the access log on: the row "access log on" is `{TRIVIAL_PATH}` of a second service started so
(a JSON line per request on its stderr, a pipe this benchmark drains in blocks), alternated with the bare app
again; its ratio is its median round's to that round's bare app.

| endpoint | requests/s | × bare | p50 ms | p99 ms |
| --- | ---: | ---: | ---: | ---: |
{row(f"bare Litestar `{BARE_PATH}`", bare)}
{row(f"our trivial `{TRIVIAL_PATH}`", trivial)}
{row(f"our trivial `{TRIVIAL_PATH}`, access log on", medians["trivial_logged"])}
{row(f"region map `{MAP_PATH}`", region_map)}
{row("region map, gzip accepted", gzipped_map)}
| map / `{TRIVIAL_PATH}` | {region_map["rps"] / trivial["rps"]:.2f}× | | | |
| map (gzip) / `{TRIVIAL_PATH}` | {gzipped_map["rps"] / trivial["rps"]:.2f}× | | | |

A recorded command (a milestone of a Zuid-Limburg agreement, by the admin, one after another), from its
201 answer until the region map shows its events, over {commands} commands, read in turn by polling the
map every 2 ms and by one request with `min_position` (answered when the read model's signal arrives):

| accepted → queryable | p50 ms | p99 ms | max ms |
| --- | ---: | ---: | ---: |
{latency_row("region map, polled every 2 ms", latencies[POLLED])}
{latency_row("region map, `min_position` (push)", latencies[WAITED])}

{conditions.describe(f".venv/bin/python -m tests.benchmarks.api {seconds} {commands}")}
"""
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
