"""Read-model benchmark: rebuild of the governance maps from a synthetic national history into SQLite
and PostgreSQL, catch-up from JetStream, region-map latency as of today and ten years ago, and the
memory of a process that serves maps.

    .venv/bin/python -m tests.benchmarks.projections [--events 1000000] [--nats-events 200000] [--queries 300]

The history (``tests.benchmarks.national_history``) is written once into the library's SQLite event
store, so that the rebuild figures measure the projection (reading, decoding, applying, indexing,
swapping) rather than a network; the JetStream figure replays the first ``--nats-events`` of it through
our recorder. Prints a markdown table; the figures in RESULTS.md come from it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from adapters.nats.server import NatsServer
from adapters.sql import create_engine, migrate
from projections.queries import GovernanceMaps
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from tests.benchmarks.national_history import NationalHistory
from tests.benchmarks.results import write_section
from tests.fixtures.postgres import running_postgres

WRITE_CHUNK = 5_000
# A save becomes one atomic JetStream batch with a message per aggregate; the server takes up to 1,000.
NATS_WRITE_CHUNK = 400


def fill_event_store(app: GovernanceApplication, events: int) -> float:
    """Writes the synthetic history through the application's recorder; returns seconds taken."""
    started = time.perf_counter()
    chunk = []
    for event in NationalHistory().events(events):
        chunk.append(app.mapper.to_stored_event(event))
        if len(chunk) == WRITE_CHUNK:
            app.recorder.insert_events(chunk)
            chunk = []
    if chunk:
        app.recorder.insert_events(chunk)
    return time.perf_counter() - started


def timed_rebuild(app: GovernanceApplication, url: str) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of a rebuild (the machine is shared: CPU time shows
    what the projection costs when others hold the cores)."""
    engine = create_engine(url)
    migrate(engine)
    started, cpu = time.perf_counter(), time.process_time()
    rebuild(app, engine)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return seconds, cpu_seconds


def latencies(url: str, as_of: date, queries: int) -> tuple[float, float, int]:
    """p50 and p99 (ms) of region maps of random regions ``as_of``, and the mean number of roles."""
    engine = create_engine(url)
    maps = GovernanceMaps(engine)
    regions = [r.slug for r in maps.regions()]
    rng = random.Random(7)
    times, sizes = [], []
    for _ in range(queries):
        region = rng.choice(regions)
        started = time.perf_counter()
        view = maps.region_map(region, as_of=as_of)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(view.roles) + len(view.roles_towards) + len(view.procurements))
    engine.dispose()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], int(statistics.mean(sizes))


def serving_rss_mb(url: str, queries: int) -> float:
    """Peak RSS of a fresh process that answers ``queries`` region maps from the read model."""
    code = (
        "import random, resource, sys\n"
        "from datetime import date\n"
        "from adapters.sql import create_engine\n"
        "from projections.queries import GovernanceMaps\n"
        "maps = GovernanceMaps(create_engine(sys.argv[1]))\n"
        "regions = [r.slug for r in maps.regions()]\n"
        "for n in range(int(sys.argv[2])):\n"
        "    maps.region_map(random.choice(regions), as_of=date(2016 + n % 15, 6, 1))\n"
        # VmHWM, not ru_maxrss: the latter still counts the parent's pages from before the exec.
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, url, str(queries)], capture_output=True, text=True, check=True
    )
    return int(output.stdout.strip()) / 1024  # kB


def nats_catch_up(sqlite_source: GovernanceApplication, events: int, folder: Path) -> tuple[float, int]:
    """Copies the first ``events`` of the history into JetStream through our recorder, then times a
    runner's catch-up from there into a fresh SQLite read model."""
    with NatsServer(folder / "nats") as server:
        app = GovernanceApplication(
            env={"PERSISTENCE_MODULE": "adapters.nats", "NATS_URL": server.url, "NATS_STREAM": "BENCH"}
        )
        copied, position = 0, None
        while copied < events:
            page = sqlite_source.recorder.select_notifications(
                start=position, limit=min(NATS_WRITE_CHUNK, events - copied), inclusive_of_start=False
            )
            if not page:
                break
            app.recorder.insert_events(page)
            copied += len(page)
            position = page[-1].id
        engine = create_engine(f"sqlite:///{folder / 'nats-maps.sqlite'}")
        migrate(engine)
        started = time.perf_counter()
        ProjectionRunner(app, engine, batch_size=20_000).catch_up()
        seconds = time.perf_counter() - started
        engine.dispose()
        app.close()
    return seconds, copied


class _Rows(list[tuple[str, str, str]]):
    """Table rows, printed as they are measured (a long run on a shared machine shows its progress)."""

    def append(self, row: tuple[str, str, str]) -> None:
        super().append(row)
        print(_table_row(row), flush=True)

    def __iadd__(self, rows: object) -> _Rows:
        for row in rows:  # type: ignore[attr-defined]
            self.append(row)
        return self


def _table_row(row: tuple[str, str, str]) -> str:
    return f"| {' | '.join(row)} |"


SECTION = "## Read models"
ABOUT = """Rebuild of the governance maps (`regiekaart projections rebuild`: replay into fresh tables, with the
history rows computed in a second process while the first applies the facts, build the query indexes,
swap) from a synthetic national history (`tests/benchmarks/national_history.py`: 42
regions, 342 municipalities with mergers, 40 cooperations, 300 organisations, forty years of account
handovers, procurements, agreements, leads, mandates and milestones) held in the library's SQLite event
store; catch-up of a runner from JetStream; region-map latency as of today and ten years ago; peak memory
of a process that serves region maps. Targets: rebuild of 1M events under 60 s on SQLite; as-of queries
within 2x the latency of the current map; the serving process under 300 MB at 1M events."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--nats-events", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="regiekaart-bench-"))
    source = GovernanceApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "log.sqlite")}
    )
    print("| measurement | rate / latency | total |")
    print("| --- | ---: | ---: |")
    rows = _Rows()
    fill_seconds = fill_event_store(source, args.events)
    rows += [("synthetic history written to the event store", f"{args.events:,} events", f"{fill_seconds:.1f} s")]
    sqlite_url = f"sqlite:///{folder / 'maps.sqlite'}"
    seconds, cpu = timed_rebuild(source, sqlite_url)
    rows.append(
        ("rebuild into SQLite", f"{args.events / seconds:,.0f} events/s", f"{seconds:.1f} s (CPU {cpu:.1f} s)")
    )
    with running_postgres() as postgres:
        postgres_url = postgres.create_database("bench")
        seconds, cpu = timed_rebuild(source, postgres_url)
        rows.append(
            (
                "rebuild into PostgreSQL",
                f"{args.events / seconds:,.0f} events/s",
                f"{seconds:.1f} s (CPU of this process {cpu:.1f} s)",
            )
        )
        today = date.today()
        ten_years_ago = today.replace(year=today.year - 10)
        for name, url in (("SQLite", sqlite_url), ("PostgreSQL", postgres_url)):
            for label, as_of in (("today", today), ("ten years ago", ten_years_ago)):
                p50, p99, size = latencies(url, as_of, args.queries)
                rows.append(
                    (f"region map as of {label}, {name} ({size} roles and procurements)", f"p50 {p50:.1f} ms", f"p99 {p99:.1f} ms")
                )
    rss = serving_rss_mb(sqlite_url, args.queries * 4)
    rows.append(("peak RSS of a process serving region maps (SQLite)", f"{rss:.0f} MB", f"{args.queries * 4} maps"))
    if args.nats_events:
        seconds, copied = nats_catch_up(source, args.nats_events, folder)
        rows.append(("catch-up from JetStream into SQLite", f"{copied / seconds:,.0f} events/s", f"{copied:,} events in {seconds:.1f} s"))
    source.close()
    shutil.rmtree(folder, ignore_errors=True)
    measured = (
        f"Measured {datetime.now():%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end), Python "
        f"{platform.python_version()}: `.venv/bin/python -m tests.benchmarks.projections "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}`; peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB."
    )
    print()
    print(measured)
    table = ["| measurement | rate / latency | total |", "| --- | ---: | ---: |", *map(_table_row, rows)]
    write_section(SECTION, "\n\n".join([SECTION, ABOUT, "\n".join(table), measured]))


if __name__ == "__main__":
    main()
