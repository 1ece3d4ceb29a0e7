"""Read-model benchmark: rebuild of the governance maps from a synthetic national history into SQLite
and PostgreSQL, catch-up from JetStream, region-map latency as of today and ten years ago, and the
memory of a process that serves maps.

    .venv/bin/python -m tests.benchmarks.projections [--events 1000000] [--nats-events 1000000]
        [--catch-up-events 100000] [--queries 300] [--rebuilds 3]

The history (``tests.benchmarks.national_history``) is written once into the library's SQLite event
store, and the rebuilds into SQLite and PostgreSQL read it from there: those figures measure the
projection (reading, decoding, applying, indexing, swapping) rather than a network. Its first
``--nats-events`` are then copied into JetStream through our recorder, for the rebuild as it runs in
production (from JetStream) and a live runner's catch-up over the first ``--catch-up-events``. Prints
a markdown table; the figures in RESULTS.md come from it.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from adapters.nats.server import NatsServer
from adapters.sql import create_engine, migrate
from projections.queries import GovernanceMaps
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from tests.benchmarks.national_history import NationalHistory
from tests.benchmarks.results import RunConditions, write_section
from tests.fixtures.postgres import production_settings, running_postgres

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


def timed_sqlite_rebuilds(
    app: GovernanceApplication, folder: Path, runs: int
) -> tuple[str, float, str]:
    """Rebuilds into ``runs`` fresh SQLite files; returns the last one's URL, the median seconds and
    the figures as text (the same rebuild varies by a fifth from run to run on these machines)."""
    timings = []
    for run in range(runs):
        url = f"sqlite:///{folder / f'maps-{run}.sqlite'}"
        timings.append(timed_rebuild(app, url))
    seconds = statistics.median(wall for wall, _ in timings)
    cpu = statistics.median(cpu for _, cpu in timings)
    spread = ", ".join(f"{wall:.1f}" for wall, _ in timings)
    return (
        url,
        seconds,
        f"{seconds:.1f} s median (runs: {spread} s; CPU of this process {cpu:.1f} s)",
    )


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


def nats_figures(
    sqlite_source: GovernanceApplication,
    events: int,
    catch_up_events: int,
    rebuilds: int,
    folder: Path,
) -> tuple[int, float, str, float]:
    """Copies the first ``events`` of the history into JetStream through our recorder, then times
    ``rebuilds`` rebuilds from there into fresh SQLite read models (what ``regiekaart projections
    rebuild`` does in production), and a live runner's catch-up over the first ``catch_up_events``
    into another. Returns the events copied, the rebuilds' median seconds and figures, and the
    catch-up's seconds."""
    with NatsServer(folder / "nats") as server:
        app = GovernanceApplication(
            env={
                "PERSISTENCE_MODULE": "adapters.nats",
                "NATS_URL": server.url,
                "NATS_STREAM": "BENCH",
            }
        )
        copied, position, catch_up_until = 0, None, None
        while copied < events:
            page = sqlite_source.recorder.select_notifications(
                start=position,
                limit=min(NATS_WRITE_CHUNK, events - copied),
                inclusive_of_start=False,
            )
            if not page:
                break
            ids = app.recorder.insert_events(page) or []
            copied += len(page)
            position = page[-1].id
            if catch_up_until is None and copied >= catch_up_events:
                catch_up_until = ids[-1 - (copied - catch_up_events)]
        _, seconds, figures = timed_sqlite_rebuilds(app, folder / "from-jetstream", rebuilds)
        engine = create_engine(f"sqlite:///{folder / 'nats-catch-up.sqlite'}")
        migrate(engine)
        started = time.perf_counter()
        ProjectionRunner(app, engine, batch_size=20_000).catch_up(catch_up_until)
        catch_up_seconds = time.perf_counter() - started
        engine.dispose()
        app.close()
    return copied, seconds, figures, catch_up_seconds


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
ABOUT = """Rebuild of the governance maps (`regiekaart projections rebuild`: replay into fresh tables, with a
second process reading the log and computing the history rows of the events that change no facts,
while the first applies the others and writes every row, build the query indexes, swap) from a
synthetic national history (`tests/benchmarks/national_history.py`: 42 regions, 342 municipalities
with mergers, 40 cooperations, 300 organisations, forty years of account handovers, procurements,
agreements, leads, mandates and milestones), read from the library's SQLite event store and, as in
production, from JetStream;
catch-up of a live runner from JetStream; region-map latency as of today and ten years ago; peak memory
of a process that serves region maps. Targets: rebuild of 1M events under 60 s on SQLite; as-of queries
within 2x the latency of the current map; the serving process under 300 MB at 1M events."""


def measure(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """The table's rows, each printed as it is measured."""
    print("| measurement | rate / latency | total |")
    print("| --- | ---: | ---: |")
    folder = Path(tempfile.mkdtemp(prefix="regiekaart-bench-"))
    source = GovernanceApplication(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(folder / "log.sqlite"),
        }
    )
    rows = _Rows()
    fill_seconds = fill_event_store(source, args.events)
    rows += [
        (
            "synthetic history written to the event store",
            f"{args.events:,} events",
            f"{fill_seconds:.1f} s",
        )
    ]
    sqlite_url, seconds, figures = timed_sqlite_rebuilds(source, folder, args.rebuilds)
    rows.append(("rebuild into SQLite", f"{args.events / seconds:,.0f} events/s", figures))
    with running_postgres(production_settings()) as postgres:
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
                    (
                        f"region map as of {label}, {name} ({size} roles and procurements)",
                        f"p50 {p50:.1f} ms",
                        f"p99 {p99:.1f} ms",
                    )
                )
    rss = serving_rss_mb(sqlite_url, args.queries * 4)
    rows.append(
        (
            "peak RSS of a process serving region maps (SQLite)",
            f"{rss:.0f} MB",
            f"{args.queries * 4} maps",
        )
    )
    if args.nats_events:
        copied, seconds, figures, catch_up_seconds = nats_figures(
            source, args.nats_events, args.catch_up_events, args.rebuilds, folder
        )
        rows.append(
            (
                f"rebuild into SQLite from JetStream ({copied:,} events)",
                f"{copied / seconds:,.0f} events/s",
                figures,
            )
        )
        catch_up = min(args.catch_up_events, copied)
        rows.append(
            (
                "catch-up of a live runner from JetStream into SQLite",
                f"{catch_up / catch_up_seconds:,.0f} events/s",
                f"{catch_up:,} events in {catch_up_seconds:.1f} s",
            )
        )
    source.close()
    shutil.rmtree(folder, ignore_errors=True)
    return rows


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--nats-events", type=int, default=1_000_000)
    parser.add_argument("--catch-up-events", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rebuilds", type=int, default=3, help="rebuilds into SQLite, each way")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    conditions = RunConditions()
    rows = measure(arguments(argv))
    command = " ".join(
        [".venv/bin/python -m tests.benchmarks.projections", *(argv or sys.argv[1:])]
    )
    measured = (
        f"{conditions.describe(command)} Peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB."
    )
    print()
    print(measured)
    table = [
        "| measurement | rate / latency | total |",
        "| --- | ---: | ---: |",
        *map(_table_row, rows),
    ]
    write_section(SECTION, "\n\n".join([SECTION, ABOUT, "\n".join(table), measured]))


if __name__ == "__main__":
    main()
