"""Event store benchmark: our JetStream recorder beside raw JetStream publishes, the library's SQLite
recorder and, for reads, the reference reader (``tests.benchmarks.reference_reader``: the least a
client does to read the log), on the same machine and the same nats-server in one run.

    .venv/bin/python -m tests.benchmarks.event_store [--sync always|2m] [--events 100000] [--saves 2000]

Writes are sequential (each save awaits its acknowledgement before the next), as one command handler
makes them, each run on a fresh stream. Every figure is the median of three rounds, and each round runs
every measure once, so that a burst of load from elsewhere on a shared machine hits all columns alike.
The log that is read back
holds `--events` single-event saves (the most messages per event a log can have), written through the
recorder itself so that reads see exactly what the service stores. Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import nats
from eventsourcing.persistence import ApplicationRecorder, Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from adapters.nats import NatsApplicationRecorder
from adapters.nats.client import NatsClient
from adapters.nats.server import NatsServer
from tests.benchmarks.reference_reader import read_log
from tests.benchmarks.results import RunConditions, write_section

STATE = (
    b'{"valid_from":{"value":"2024-01-01","precision":"day"},"principal":"bench","sources":[]}' * 2
)
READ_PAGE = 10_000
SECTION = "## Event store"
FILL_WRITERS = 16


class Measured:
    """Median rate and CPU time per item of each run over three rounds; every round runs each once,
    in turn. CPU time is this process's (all threads) and, if given, the nats-server's: on a shared
    machine it says what a run costs, where the rate also says how much of the machine it got."""

    def __init__(self, runs: dict[str, Callable[[], tuple[int, float]]], server_pid: int) -> None:
        self.counts: dict[str, int] = {}  # items each measure handled (in its last round)
        rates: dict[str, list[float]] = {name: [] for name in runs}
        client_cpu: dict[str, list[float]] = {name: [] for name in runs}
        server_cpu: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(3):
            for name, run in runs.items():
                client_before, server_before = time.process_time(), process_cpu(server_pid)
                count, seconds = run()
                self.counts[name] = count
                rates[name].append(count / seconds)
                client_cpu[name].append((time.process_time() - client_before) / count)
                server_cpu[name].append((process_cpu(server_pid) - server_before) / count)
        self.rate = {name: statistics.median(values) for name, values in rates.items()}
        self.client_cpu = {name: statistics.median(v) for name, v in client_cpu.items()}
        self.server_cpu = {name: statistics.median(v) for name, v in server_cpu.items()}


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sequential_saves(
    recorder: ApplicationRecorder, saves: int, events_per_save: int
) -> tuple[int, float]:
    """`saves` saves of a new aggregate each, one after the other; returns (saves, seconds)."""
    aggregates = [uuid.uuid4() for _ in range(saves)]
    batches = [
        [
            StoredEvent(aggregate, version, "bench", STATE)
            for version in range(1, events_per_save + 1)
        ]
        for aggregate in aggregates
    ]
    started = time.perf_counter()
    for batch in batches:
        recorder.insert_events(batch)
    return saves, time.perf_counter() - started


def raw_publishes(url: str, stream: str, publishes: int) -> tuple[int, float]:
    """nats-py's `js.publish` of the same payload to a new subject of our stream, awaiting each ack."""

    async def run() -> tuple[int, float]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        subjects = [f"{stream}.e.{uuid.uuid4().hex}" for _ in range(publishes)]
        started = time.perf_counter()
        for subject in subjects:
            await js.publish(subject, STATE)
        seconds = time.perf_counter() - started
        await nc.close()
        return publishes, seconds

    return asyncio.run(run())


def fill_log(recorder: ApplicationRecorder, events: int) -> None:
    """Writes `events` single-event saves through the recorder, several writers at once to go faster."""

    def write(share: range) -> None:
        for _ in share:
            recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "bench", STATE)])

    writers = [
        threading.Thread(target=write, args=(range(w, events, FILL_WRITERS),))
        for w in range(FILL_WRITERS)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()


def read_by_pages(
    select: Callable[[int, int], Sequence[Notification]], events: int
) -> tuple[int, float]:
    started = time.perf_counter()
    count, position = 0, 0
    while count < events:
        page = select(position, READ_PAGE)
        if not page:
            break
        count += len(page)
        position = page[-1].id
    if count != events:
        raise RuntimeError(f"read {count} events of {events}")
    return count, time.perf_counter() - started


def read_by_subscription(recorder: ApplicationRecorder, events: int) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    with recorder.subscribe(gt=None) as subscription:
        for _ in subscription:
            count += 1
            if count == events:
                break
    return count, time.perf_counter() - started


def read_by_reference(url: str, stream: str, events: int) -> tuple[int, float]:
    """The reference reader (``tests.benchmarks.reference_reader``) over the same stream."""
    started = time.perf_counter()
    count = asyncio.run(read_log(url, stream))
    if count != events:
        raise RuntimeError(f"the reference reader read {count} events of {events}")
    return count, time.perf_counter() - started


def measure(sync: str, events: int, saves: int) -> tuple[Measured, Measured]:
    """Writes (raw publishes, our single- and ten-event saves, SQLite's) and reads of a log of
    ``events`` events (ours by pages and by subscription, the reference reader, SQLite's by pages)."""
    work = Path(tempfile.mkdtemp(prefix="regiekaart-bench-"))
    with NatsServer(work / "nats", sync_interval=sync) as server:
        client = NatsClient(server.url)

        def ours() -> NatsApplicationRecorder:
            return NatsApplicationRecorder(client, f"B{uuid.uuid4().hex[:12].upper()}")

        def sqlite() -> SQLiteApplicationRecorder:
            datastore = SQLiteDatastore(str(work / f"{uuid.uuid4().hex}.sqlite"))
            recorder = SQLiteApplicationRecorder(datastore)
            recorder.create_table()
            return recorder

        def pages(recorder: ApplicationRecorder) -> Callable[[int, int], Sequence[Notification]]:
            return lambda position, limit: recorder.select_notifications(
                position, limit, inclusive_of_start=False
            )

        writes = Measured(
            {
                "raw": lambda: raw_publishes(server.url, ours().stream, saves),
                "single": lambda: sequential_saves(ours(), saves, 1),
                "single sqlite": lambda: sequential_saves(sqlite(), saves, 1),
                "ten": lambda: sequential_saves(ours(), max(saves // 4, 1), 10),
                "ten sqlite": lambda: sequential_saves(sqlite(), max(saves // 4, 1), 10),
            },
            server.pid,
        )

        log = ours()
        fill_log(log, events)
        reference = sqlite()
        for first in range(0, events, READ_PAGE):
            reference.insert_events(
                [
                    StoredEvent(uuid.uuid4(), 1, "bench", STATE)
                    for _ in range(min(READ_PAGE, events - first))
                ]
            )
        reads = Measured(
            {
                "select": lambda: read_by_pages(pages(log), events),
                "select sqlite": lambda: read_by_pages(pages(reference), events),
                "subscribe": lambda: read_by_subscription(log, events),
                "reference": lambda: read_by_reference(server.url, log.stream, events),
            },
            server.pid,
        )
        client.close()
    shutil.rmtree(work, ignore_errors=True)
    return writes, reads


def tables(writes: Measured, reads: Measured, events: int) -> str:
    raw, single, floor = writes.rate["raw"], writes.rate["single"], reads.rate["reference"]
    rows = [
        ("raw `js.publish`, awaiting each ack (publishes/s)", f"{raw:,.0f}", "—"),
        (
            "single-event save (saves/s)",
            f"{single:,.0f} ({single / raw:.2f}× raw)",
            f"{writes.rate['single sqlite']:,.0f}",
        ),
        (
            "10-event save (saves/s)",
            f"{writes.rate['ten']:,.0f}",
            f"{writes.rate['ten sqlite']:,.0f}",
        ),
        (
            f"read {events:,} events, reference reader (events/s)",
            f"{floor:,.0f}",
            "—",
        ),
        (
            f"read {events:,} events, `select_notifications` (events/s)",
            f"{reads.rate['select']:,.0f} ({reads.rate['select'] / floor:.2f}× reference)",
            f"{reads.rate['select sqlite']:,.0f} ({reads.rate['select sqlite'] / floor:.2f}× "
            "reference)",
        ),
        (
            f"read {events:,} events, `subscribe` (events/s)",
            f"{reads.rate['subscribe']:,.0f} ({reads.rate['subscribe'] / floor:.2f}× reference)",
            "— (not supported)",
        ),
    ]
    lines = [
        "| measure | JetStream (ours) | SQLite (library) |",
        "| --- | --- | --- |",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        # Reads are CPU-bound (writes wait for the disk): what an event costs says what an idle
        # machine would give, where the rate says what this run got.
        "| CPU time per event read (µs) | this process (all threads) | × reference | nats-server |",
        "| --- | ---: | ---: | ---: |",
    ]
    reference_cpu = reads.client_cpu["reference"]
    for name, label in (
        ("reference", "reference reader"),
        ("select", "`select_notifications`"),
        ("subscribe", "`subscribe`"),
        ("select sqlite", "`select_notifications`, SQLite (library)"),
    ):
        client, nats_server = reads.client_cpu[name] * 1e6, reads.server_cpu[name] * 1e6
        server_column = "—" if "sqlite" in name else f"{nats_server:,.1f}"
        lines.append(
            f"| {label} | {client:,.1f} | {reads.client_cpu[name] / reference_cpu:.2f}× "
            f"| {server_column} |"
        )
    lines += [
        "",
        # Writes wait for the disk, so their rate says little of what our part costs: the CPU does.
        "| CPU time per save (µs) | this process (all threads) | nats-server |",
        "| --- | ---: | ---: |",
    ]
    for name, label in (
        ("raw", "raw `js.publish`"),
        ("single", "single-event save"),
        ("ten", "10-event save"),
    ):
        lines.append(
            f"| {label} | {writes.client_cpu[name] * 1e6:,.1f} | {writes.server_cpu[name] * 1e6:,.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sync", default="always", help="nats-server sync_interval (embedded default: always)"
    )
    parser.add_argument("--events", type=int, default=100_000, help="events in the log to read")
    parser.add_argument("--saves", type=int, default=2_000, help="sequential saves per write run")
    args = parser.parse_args(argv)
    conditions = RunConditions()
    writes, reads = measure(args.sync, args.events, args.saves)
    command = " ".join(
        [".venv/bin/python -m tests.benchmarks.event_store", *(argv or sys.argv[1:])]
    )
    body = f"""{SECTION}

Our JetStream recorder beside raw publishes, the library's SQLite recorder and the reference reader
(`tests/benchmarks/reference_reader.py`: the NATS protocol spoken over one asyncio connection, an
ephemeral pull consumer, frames split and each payload decoded with msgspec into the stored records,
nothing else), on one nats-server (`sync_interval={args.sync}`) in one run; {args.saves:,} sequential
saves per write run, a log of {args.events:,} single-event saves read back; medians of three rounds,
each round running every measure once. The ratios say what our reading adds to the least a client
must do.

{tables(writes, reads, args.events)}

{conditions.describe(command)}
"""
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
