"""The API under load: the region-map endpoint against a trivial JSON endpoint of the same server, and
how soon a recorded command can be seen in the map.

The service runs as `regiekaart serve` runs it (embedded nats-server, the governance facts, the projection
runner, granian with 2 workers), with the access log off (``REGIEKAART_LOG_LEVEL=WARNING``) so that the
figures measure serving, not writing log lines to a pipe. `wrk` (Debian's package; installed with apt-get
if missing) loads each endpoint in turn at 64 connections, alternating, ``ROUNDS`` times; each figure is
the median over the rounds. The load generator shares the 2 cores with the server.

The command latency runs from the moment a command's 201 answer arrives (the event is stored) until the
map shows the read model's position at or past the command's last event (polling every 2 ms).

    .venv/bin/python -m tests.benchmarks.api [seconds per run] [commands]
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.benchmarks.results import write_section
from tests.fixtures.processes import start_service

SECTION = "## API"
CONNECTIONS = 64
ROUNDS = 3
REGION = "zuid-limburg"
MAP_PATH = f"/regions/{REGION}/map"
TRIVIAL_PATH = "/health"


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


def load(wrk: str, url: str, seconds: int, token: str | None) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
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


def command_latency(url: str, token: str, commands: int) -> list[float]:
    latencies = []
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
            while (client.get(MAP_PATH).json()["position"] or 0) < last:
                time.sleep(0.002)
            latencies.append((time.perf_counter() - accepted) * 1000)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(seconds: int, commands: int) -> tuple[dict[str, dict[str, float]], list[float]]:
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as directory:
        service = start_service(Path(directory), workers=2, log_level="WARNING")
        try:
            token = service.token("region-system", "bench", regions=[REGION])
            with service.client(token) as client:
                client.get(MAP_PATH).raise_for_status()
            runs: dict[str, list[dict[str, float]]] = {"trivial": [], "map": []}
            for _ in range(ROUNDS):
                runs["trivial"].append(load(wrk, service.url + TRIVIAL_PATH, seconds, None))
                runs["map"].append(load(wrk, service.url + MAP_PATH, seconds, token))
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
    commands = int(argv[1]) if len(argv) > 1 else 300
    load_before = os.getloadavg()[0]
    medians, latencies = measure(seconds, commands)
    load_after = os.getloadavg()[0]
    trivial, region_map = medians["trivial"], medians["map"]
    ratio = region_map["rps"] / trivial["rps"]
    body = f"""{SECTION}

The region-map endpoint (`GET {MAP_PATH}`, region-system token, served from the worker's cache of encoded
maps) against a trivial JSON endpoint of the same server (`GET {TRIVIAL_PATH}`), loaded in turn with `wrk`
at {CONNECTIONS} connections, {seconds} s per run, {ROUNDS} alternating rounds (medians). `regiekaart serve`
with granian, 2 workers, access log off; wrk on the same 2 cores. Target: the map at ≥ 0.5× the trivial
endpoint's requests/s, p99 under 25 ms.

| endpoint | requests/s | p50 ms | p99 ms |
| --- | ---: | ---: | ---: |
| trivial `{TRIVIAL_PATH}` | {trivial["rps"]:,.0f} | {trivial["p50"]:.2f} | {trivial["p99"]:.2f} |
| region map `{MAP_PATH}` | {region_map["rps"]:,.0f} | {region_map["p50"]:.2f} | {region_map["p99"]:.2f} |
| map / trivial | {ratio:.2f}× | | |

A recorded command (a milestone of a Zuid-Limburg agreement, by the admin, one after another), from its
201 answer until the region map shows its events, over {len(latencies)} commands:

| accepted → queryable | p50 ms | p99 ms | max ms |
| --- | ---: | ---: | ---: |
| region map | {percentile(latencies, 0.5):.1f} | {percentile(latencies, 0.99):.1f} | {max(latencies):.1f} |

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, 2 cores,
load average {load_before:.1f} before the run and {load_after:.1f} after it; wrk shares the 2 cores
with the service, and on a busy machine the ratio says more than absolute figures and p99s),
Python {platform.python_version()}:
`.venv/bin/python -m tests.benchmarks.api {seconds} {commands}`.
"""
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
