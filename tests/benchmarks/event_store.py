"""Event store benchmark: our JetStream recorder beside raw JetStream publishes and the library's SQLite
recorder, on the same machine and the same nats-server in one run.

    .venv/bin/python -m tests.benchmarks.event_store [--sync always|2m] [--events 100000] [--saves 2000]

Writes are sequential (each save awaits its acknowledgement before the next), as one command handler
makes them, each run on a fresh stream. Every figure is the median of three rounds, and each round runs
every measure once, so that a burst of load from elsewhere on a shared machine hits all columns alike.
The log that is read back
holds `--events` single-event saves (the most messages per event a log can have), written through the
recorder itself so that reads see exactly what the service stores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
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

STATE = (
    b'{"valid_from":{"value":"2024-01-01","precision":"day"},"principal":"bench","sources":[]}' * 2
)
READ_PAGE = 10_000
FILL_WRITERS = 16


class Measured:
    """Median rate and CPU time per item of each run over three rounds; every round runs each once,
    in turn. CPU time is this process's (all threads) and, if given, the nats-server's: on a shared
    machine it says what a run costs, where the rate also says how much of the machine it got."""

    def __init__(self, runs: dict[str, Callable[[], tuple[int, float]]], server_pid: int) -> None:
        rates: dict[str, list[float]] = {name: [] for name in runs}
        client_cpu: dict[str, list[float]] = {name: [] for name in runs}
        server_cpu: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(3):
            for name, run in runs.items():
                client_before, server_before = time.process_time(), process_cpu(server_pid)
                count, seconds = run()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sync", default="always", help="nats-server sync_interval (embedded default: always)"
    )
    parser.add_argument("--events", type=int, default=100_000, help="events in the log to read")
    parser.add_argument("--saves", type=int, default=2_000, help="sequential saves per write run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="regiekaart-bench-"))
    with NatsServer(work / "nats", sync_interval=args.sync) as server:
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

        load_before = os.getloadavg()
        writes = Measured(
            {
                "raw": lambda: raw_publishes(server.url, ours().stream, args.saves),
                "single": lambda: sequential_saves(ours(), args.saves, 1),
                "single sqlite": lambda: sequential_saves(sqlite(), args.saves, 1),
                "ten": lambda: sequential_saves(ours(), args.saves // 4, 10),
                "ten sqlite": lambda: sequential_saves(sqlite(), args.saves // 4, 10),
            },
            server.pid,
        )

        log = ours()
        fill_log(log, args.events)
        reference = sqlite()
        for first in range(0, args.events, READ_PAGE):
            reference.insert_events(
                [
                    StoredEvent(uuid.uuid4(), 1, "bench", STATE)
                    for _ in range(min(READ_PAGE, args.events - first))
                ]
            )
        reads = Measured(
            {
                "select": lambda: read_by_pages(pages(log), args.events),
                "select sqlite": lambda: read_by_pages(pages(reference), args.events),
                "subscribe": lambda: read_by_subscription(log, args.events),
            },
            server.pid,
        )
        load_after = os.getloadavg()
        client.close()

    raw, single = writes.rate["raw"], writes.rate["single"]
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
            f"read {args.events:,} events, `select_notifications` (events/s)",
            f"{reads.rate['select']:,.0f}",
            f"{reads.rate['select sqlite']:,.0f}",
        ),
        (
            f"read {args.events:,} events, `subscribe` (events/s)",
            f"{reads.rate['subscribe']:,.0f}",
            "— (not supported)",
        ),
    ]
    print(
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"nats-server sync_interval={args.sync}, {args.saves:,} saves per write run, "
        f"load average {load_before[0]:.1f} before and {load_after[0]:.1f} after"
    )
    print()
    print("| measure | JetStream (ours) | SQLite (library) |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    # Reads are CPU-bound (writes wait for the disk): what an event costs says what an idle machine
    # would give, where the rate says what this run got.
    print("| CPU time per event read (µs) | this process (all threads) | nats-server |")
    print("| --- | --- | --- |")
    for name in ("select", "subscribe"):
        client, nats_server = reads.client_cpu[name] * 1e6, reads.server_cpu[name] * 1e6
        print(f"| `{name}` | {client:,.1f} | {nats_server:,.1f} |")


if __name__ == "__main__":
    main()
