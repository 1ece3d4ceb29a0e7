"""How fast an auditor can verify the event log: from NATS and from an export file.

Run: ``.venv/bin/python -m tests.benchmarks.audit [--events N] [--aggregates N] [--rounds N]``

Writes its section of ``tests/benchmarks/RESULTS.md``. The log is generated directly in the
recorder's envelope (pipelined publishes, each event chained to its
aggregate's previous one), not through the application: the application's save rate is not what is
measured here. The stream lives on a nats-server of the benchmark's own, started from a temporary
directory with the store's default sync interval, so generating the log takes seconds, not minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import struct
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
from nacl.signing import SigningKey

from adapters.audit import open_export
from adapters.event_log_format import (
    EVENTS_PER_MESSAGE,
    EventRecord,
    encode_record,
    event_hash,
    subject_token,
)
from adapters.nats.audit import NatsCheckpointStore, NatsLog
from adapters.nats.client import NatsClient
from adapters.nats.log_reading import scan_log
from adapters.nats.recorders import JetStreamRecorder
from adapters.nats.server import NatsServer
from adapters.seal import SEAL_HEADER, Sealer
from projections.audit import CheckpointWriter, export_log, verify_export, verify_log
from projections.audit.log_claims import GENESIS_LOG_HASH
from tests.benchmarks.reference_reader import read_log
from tests.benchmarks.results import RunConditions, write_section

SECTION = "## Audit"
STREAM = "BENCH_AUDIT"
TOPIC = "domain.registry:Municipality.MembershipStarted"
_IN_FLIGHT = 20_000


def _state(n: int) -> bytes:
    """An event's stored JSON of about the size of the real ones' smaller half (~330 bytes)."""
    return msgspec.json.encode(
        {
            "timestamp": "2026-12-02T05:58:35.025357Z",
            "originator_topic": "domain.registry:Municipality",
            "municipality": f"gemeente-{n % 342}",
            "membership_id": f"m-{n}",
            "region": f"regio-{n % 42}",
            "scope": None,
            "valid_from": {"value": "2022-01-01", "precision": "day"},
            "valid_until": {"value": None, "precision": "unknown"},
            "authority": {
                "body": "ab-jeugd",
                "decision_date": {"value": "2021-11-01", "precision": "month"},
                "document": "regiovisie-2022",
            },
            "principal": "importer:governance-facts",
            "provenance": {"sources": [f"regiovisie-2022:L{n % 900}"], "inferred": False},
        }
    )


async def _fill(url: str, events: int, aggregates: int, sealer: Sealer) -> None:
    """Publishes `events` chained events over `aggregates` aggregates, round robin, pipelined, each
    message sealed as the service seals it."""
    import nats

    nc = await nats.connect(url, pending_size=256 * 1024 * 1024)
    ids = [str(uuid.UUID(int=n + 1)) for n in range(aggregates)]
    subjects = [f"{STREAM}.e.{subject_token(uuid.UUID(i))}" for i in ids]
    heads = [""] * aggregates
    acked = 0
    drained = asyncio.Event()

    async def on_ack(message) -> None:  # type: ignore[no-untyped-def]
        nonlocal acked
        if b'"error"' in message.data:
            raise RuntimeError(message.data.decode())
        acked += 1
        if acked >= sent - _IN_FLIGHT // 2:
            drained.set()

    inbox = nc.new_inbox()
    await nc.subscribe(inbox, cb=on_ack)
    encode = msgspec.msgpack.encode
    sent = 0
    for n in range(events):
        a = n % aggregates
        version = n // aggregates + 1
        state = _state(n)
        hash_hex = event_hash(heads[a], ids[a], version, TOPIC, state)
        record = EventRecord(ids[a], True, version, TOPIC, state, heads[a], hash_hex)
        heads[a] = hash_hex
        await nc.publish(
            subjects[a],
            encode([record]),
            reply=inbox,
            headers={SEAL_HEADER: sealer.seal(STREAM, hash_hex)},
        )
        sent += 1
        if sent - acked > _IN_FLIGHT:
            drained.clear()
            await nc.flush()
            await drained.wait()
    await nc.flush()
    while acked < sent:
        await asyncio.sleep(0.01)
    await nc.close()


_decode_stored = msgspec.msgpack.Decoder(list[EventRecord[str]]).decode
_sha256 = hashlib.sha256
_digest = type(hashlib.sha256()).digest
_log_link = struct.Struct(">32sQ32s").pack


class Floor:
    """The least any verifier of the log must do an event beyond the reference reader's reading: decode
    the payload to the fields the event hash covers (the aggregate's id as stored, a string), compute
    the event hash and compare it with the stored one, and compute the log hash, the two SHA-256 as
    ``LogVerifier.event`` computes them. Nothing else: no link, order, seal or subject check, no
    checkpoint (the seals under a trusted checkpoint cost a verifier a prefix test, not a signature).
    Positions are counted, not read from the reply subject (every message of the benchmark's log is an
    event message). Its log hash at the end is the verifier's: the same hashing was done."""

    def __init__(self) -> None:
        self.sequence = 0
        self.log_hash = GENESIS_LOG_HASH

    def decode(self, payload: bytes) -> list[EventRecord[str]]:
        records = _decode_stored(payload)
        self.sequence += 1
        position = self.sequence * EVENTS_PER_MESSAGE
        log_hash = self.log_hash
        for record in records:
            digest = _digest(
                _sha256(
                    encode_record(
                        (
                            record.prev_hash,
                            record.originator_id,
                            record.originator_version,
                            record.topic,
                            record.state,
                        )
                    )
                )
            )
            if digest.hex() != record.hash:
                raise ValueError(f"event at position {position} does not match its hash")
            log_hash = _digest(_sha256(_log_link(log_hash, position, digest)))
            position += 1
        self.log_hash = log_hash
        return records


def _read_floor(url: str) -> tuple[int, str]:
    """The floor over the whole log: the events read, and the log hash computed."""
    floor = Floor()
    events = asyncio.run(read_log(url, STREAM, floor.decode))
    return events, floor.log_hash.hex()


def _scan_floor(client: NatsClient) -> tuple[int, str]:
    """The floor's work an event on the messages as `audit verify` reads them (``scan_log``, the
    client's own reading, which costs less CPU than the reference reader's): no verifier can spend less
    than this with that reading."""
    floor = Floor()
    events = 0

    def accept(_: int, __: object, payloads: Sequence[bytes], ___: object) -> bool:
        nonlocal events
        for payload in payloads:  # every message of the benchmark's log is an event message
            events += len(floor.decode(payload))
        return True

    client.run(scan_log(client, STREAM, 1, accept))
    return events, floor.log_hash.hex()


def _timed(action: Callable[[], object], rounds: int) -> tuple[tuple[float, float], object]:
    """Median (wall seconds, CPU seconds of this process and of the processes it started and ended
    meanwhile) of `rounds` runs of `action`, and its last result. On a shared machine the CPU seconds
    say what the step costs, the wall seconds what it took."""
    walls, cpus, result = [], [], None
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), _cpu_seconds()
        result = action()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu_seconds() - cpu)
    return (statistics.median(walls), statistics.median(cpus)), result


def _cpu_seconds() -> float:
    """This process's CPU seconds (to the nanosecond) and its ended children's (`audit verify --file`
    starts one; `os.times` counts them in clock ticks)."""
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


@dataclass(frozen=True)
class AuditRun:
    events: int
    steps: list[tuple[str, tuple[float, float]]]  # each step's (wall seconds, CPU seconds)
    verified_from_nats: int  # events `audit verify` checked
    verified_from_file: int
    read_by_reference: int  # events the reference reader decoded
    read_by_floor: int  # events the floor decoded and hashed

    def seconds(self, step: str) -> tuple[float, float]:
        return next(seconds for label, seconds in self.steps if label.startswith(step))


def measure(events: int, aggregates: int, rounds: int) -> AuditRun:
    with (
        tempfile.TemporaryDirectory() as tmp,
        NatsServer(Path(tmp) / "nats", sync_interval="2m") as server,
    ):
        client = NatsClient(server.url, timeout=30)
        JetStreamRecorder(client, STREAM)
        key = SigningKey.generate()
        fill_seconds, _ = _timed(
            lambda: asyncio.run(_fill(server.url, events, aggregates, Sealer(key))), 1
        )
        log = NatsLog(client, STREAM)

        writer = CheckpointWriter(
            log, NatsCheckpointStore(client, STREAM).append, key, interval=3600
        )
        sign_seconds, checkpoint = _timed(writer.write_checkpoint, 1)
        assert checkpoint is not None, writer.fault
        trusted = [key.verify_key.encode().hex()]

        # The reference, the floor and `audit verify` in turn, round after round, so that load from
        # elsewhere on a shared machine hits all alike.
        reference_runs, floor_runs, scan_floor_runs, nats_runs = [], [], [], []
        for _ in range(rounds):
            reference_runs.append(_timed(lambda: asyncio.run(read_log(server.url, STREAM)), 1))
            floor_runs.append(_timed(lambda: _read_floor(server.url), 1))
            scan_floor_runs.append(_timed(lambda: _scan_floor(client), 1))
            nats_runs.append(_timed(lambda: verify_log(log, trusted), 1))
        reference_seconds, read = _medians(reference_runs)
        floor_seconds, (floored, floor_log_hash) = _medians(floor_runs)
        scan_floor_seconds, (scan_floored, scan_floor_log_hash) = _medians(scan_floor_runs)
        nats_seconds, verified = _medians(nats_runs)
        assert verified.checkpoint is not None
        assert floor_log_hash == scan_floor_log_hash == verified.log_hash, (
            "the floor hashed otherwise than the verifier"
        )
        assert scan_floored == floored

        export_path = Path(tmp) / "export.jsonl"

        def export() -> object:
            with export_path.open("wb") as out:
                return export_log(log, out)

        export_seconds, _ = _timed(export, 1)
        size = export_path.stat().st_size

        def verify_file() -> object:
            with open_export(export_path) as source:  # as `audit verify --file` reads it
                return verify_export(source, trusted)

        file_seconds, verified_file = _timed(verify_file, rounds)
        assert verified_file.log_hash == verified.log_hash
        client.close()
    return AuditRun(
        events,
        [
            (
                f"generate the log, sealed (pipelined publishes, {_IN_FLIGHT:,} in flight)",
                fill_seconds,
            ),
            (
                "checkpoint writer: read and verify the whole log, every seal, and sign it once",
                sign_seconds,
            ),
            (
                "reference reader from NATS: read and decode every message, nothing else",
                reference_seconds,
            ),
            (
                "floor: the reference reader plus each event's two SHA-256 as a verifier computes "
                "them, nothing else",
                floor_seconds,
            ),
            (
                "floor through the client's own reading (`scan_log`, as `audit verify` reads)",
                scan_floor_seconds,
            ),
            ("`audit verify` from NATS (short-lived consumers, no acks)", nats_seconds),
            (f"`audit export` to a file ({size / 1e6:,.0f} MB)", export_seconds),
            ("`audit verify --file` (offline)", file_seconds),
        ],
        verified.events,
        verified_file.events,
        read,
        floored,
    )


def _medians(runs: list[tuple[tuple[float, float], object]]) -> tuple[tuple[float, float], object]:
    """The median wall and CPU seconds of runs timed one by one, and the last run's result."""
    walls = [wall for (wall, _), _ in runs]
    cpus = [cpu for (_, cpu), _ in runs]
    return (statistics.median(walls), statistics.median(cpus)), runs[-1][1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--aggregates", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    conditions = RunConditions()
    run = measure(args.events, args.aggregates, args.rounds)
    n = args.events
    rows = "\n".join(
        f"| {step} | {wall:.1f} | {n / wall:,.0f} | {cpu:.1f} | {n / cpu:,.0f} |"
        for step, (wall, cpu) in run.steps
    )
    (reference_wall, reference_cpu) = run.seconds("reference reader")
    (floor_wall, floor_cpu) = run.seconds("floor:")
    (scan_floor_wall, scan_floor_cpu) = run.seconds("floor through")
    (nats_wall, nats_cpu) = run.seconds("`audit verify` from NATS")
    (file_wall, file_cpu) = run.seconds("`audit verify --file`")
    ratios = "\n".join(
        f"| {what} | {wall / reference_wall:.2f}× | {cpu / reference_cpu:.2f}× "
        f"| {reference_wall / wall:.2f}× |"
        for what, (wall, cpu) in [
            ("the floor from NATS", (floor_wall, floor_cpu)),
            ("the floor through `scan_log`", (scan_floor_wall, scan_floor_cpu)),
            ("`audit verify` from NATS", (nats_wall, nats_cpu)),
            ("`audit verify` from the file", (file_wall, file_cpu)),
        ]
    )

    def micro(cpu: float) -> str:  # CPU µs an event
        return f"{cpu / n * 1e6:.1f}"

    body = f"""{SECTION}

Verifying the event log: every event's hash, link and seal, that no message is missing, and the signed
checkpoint over the whole log (whose seals the checkpoint covers are checked by the writer, not again).
{n:,} events over {
        args.aggregates:,} aggregates (one event per message, ~330-byte states), generated
in the recorder's envelope on a nats-server of the benchmark's own. Beside `audit verify`, the
reference reader (`tests/benchmarks/reference_reader.py`: the NATS protocol over one asyncio
connection, an ephemeral pull consumer, frames split, each payload decoded with msgspec into the
stored records, nothing else) reads the same stream, and so does the floor: the reference reader
plus the least any verifier must do an event (decode it to the fields its hash covers, compute and
compare its hash, compute the log hash: the two SHA-256 as `LogVerifier.event` computes them, to the
same log hash), and the same floor through the client's own reading (`scan_log`), the four in turn
in each of {args.rounds} rounds (medians); one run for the other steps but the offline verification
(median of {args.rounds}). Target: at least 100,000 events/s.

| step | seconds | events/s | CPU seconds | events per CPU second |
| --- | ---: | ---: | ---: | ---: |
{rows}

| against the reference reader | wall seconds | CPU seconds | events/s |
| --- | ---: | ---: | ---: |
{ratios}

Per event, CPU of the client: reference {micro(reference_cpu)} µs, floor {micro(floor_cpu)} µs,
floor through `scan_log` {micro(scan_floor_cpu)} µs, `audit verify` from NATS {micro(nats_cpu)} µs.
The floor through `scan_log` is the least `audit verify` can spend with its reading (issue #26 asks
for 0.75× the reference's rate); the floor with the reference's reading costs more, as that reading
does.

CPU seconds are the benchmark process's own (client side: reading, decoding, hashing, verifying), plus
the second process `audit verify --file` starts for a file of 128 MiB or more (its wall time is about
the longer of the two); the nats-server's share comes on top for the steps that read from NATS.

{
        conditions.describe(
            f".venv/bin/python -m tests.benchmarks.audit --events {n} --aggregates {args.aggregates} "
            f"--rounds {args.rounds}"
        )
    }
"""
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
