"""Region feeds: latency from a command's acknowledgement to delivery at a subscribed region system.

The service is started as `regiekaart serve` starts it, through the same composition root
(``entrypoints.runtime.Runtime``): the embedded nats-server with the generated access configuration
and `sync_interval: always`, the governance facts imported, then the region feeds (with their lease and
work status in the read models' database), the projection runner and the checkpoint writer. Only the
HTTP workers are left out: commands go straight to the application. The Zuid-Limburg system, issued
credentials as `regiekaart feeds credentials` issues them, follows its feed (a durable pull
consumer, acknowledging every message). Each decision records an agreement with
Zuid-Limburg as a party; its latency runs from the moment `handle` returns (the event is stored) until
the region system receives it. Commands are sent one after another, as a coordinator would;
everything runs in this process on the shared 2-core machine, so the region system competes with the
service for the CPU.

    .venv/bin/python -m tests.benchmarks.feeds [decisions]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from adapters.nats.access import FEED_API_PREFIX, Credentials, feed_access
from adapters.nats.feeds import FeedLayout
from adapters.settings import Settings
from domain.values import AgreementKind, SubjectKind, SubjectRef
from entrypoints.runtime import Runtime
from services import commands as c
from tests.authorities import EXTERNAL
from tests.benchmarks.results import RunConditions, percentile, write_section
from tests.fixtures.processes import free_port

REGION = "zuid-limburg"
SECTION = "## Region feeds"
# Seconds the fan-out may take to publish the governance facts, and the decisions to arrive after the
# last one is stored.
CATCH_UP_SECONDS = 180
DELIVERY_SECONDS = 60


class RegionSystem:
    """The Zuid-Limburg system on a loop of its own, as region systems follow their feeds: a durable
    pull consumer (from new messages on), one message asked for at a time, each acknowledged; notes
    when each event id arrives."""

    def __init__(self, url: str, credentials: Credentials, layout: FeedLayout) -> None:
        self.arrivals: dict[str, float] = {}
        self.arrived = threading.Condition()
        self._following = True
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self._nc = self._run(
            nats.connect(
                url,
                user=credentials.user,
                password=credentials.password,
                inbox_prefix=credentials.inbox_prefix,
            )
        )
        subscription = self._run(
            self._nc.jetstream(prefix=FEED_API_PREFIX).pull_subscribe(
                layout.subjects(REGION),
                durable="benchmark",
                stream=layout.stream(REGION),
                config=ConsumerConfig(
                    deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT
                ),
            )
        )
        self._reading = asyncio.run_coroutine_threadsafe(self._follow(subscription), self._loop)

    def _run(self, work):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(30)

    async def _follow(self, subscription) -> None:  # type: ignore[no-untyped-def]
        while self._following:
            try:
                messages = await subscription.fetch(1, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                arrival = time.perf_counter()
                await message.ack()
                with self.arrived:
                    self.arrivals[message.headers["ce-id"]] = arrival
                    self.arrived.notify_all()

    def wait_for(self, ids: list[str], timeout: float) -> None:
        with self.arrived:
            self.arrived.wait_for(lambda: all(i in self.arrivals for i in ids), timeout)

    def close(self) -> None:
        self._following = False
        self._reading.result(30)
        self._run(self._nc.close())
        self._loop.call_soon_threadsafe(self._loop.stop)


def decision(number: int) -> c.RecordAgreement:
    return c.RecordAgreement(
        authority=EXTERNAL,
        agreement=f"benchmark-afspraak-{number}",
        agreement_kind=AgreementKind.SAMENWERKINGSAFSPRAAK,
        terms=c.AgreementTerms(parties=(SubjectRef(SubjectKind.REGION, REGION),)),
        principal="coordinator:benchmark",
    )


@dataclass(frozen=True)
class FeedRun:
    decisions: int
    commands_per_second: float
    latencies_ms: list[float]  # of the decisions delivered, in ascending order

    @property
    def delivered(self) -> int:
        return len(self.latencies_ms)


def measure(decisions: int) -> FeedRun:
    layout = FeedLayout()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), nats_port=free_port())
        credentials = feed_access(settings).region(REGION)  # before the server reads the access
        with Runtime(settings) as runtime:
            assert runtime.app is not None
            runtime.import_facts()
            feeds = runtime.start_feeds()
            runtime.start_projections()
            runtime.start_checkpoints()
            head = runtime.app.recorder.max_notification_id() or 0
            if not feeds.wait_for(head, timeout=CATCH_UP_SECONDS):
                raise RuntimeError(
                    f"the region feeds reached log position {feeds.position} of {head} "
                    f"within {CATCH_UP_SECONDS} s"
                )
            region = RegionSystem(runtime.nats_url, credentials, layout)
            try:
                acknowledged: dict[str, float] = {}
                started = time.perf_counter()
                for number in range(decisions):
                    recorded = runtime.app.handle(decision(number))
                    # The feeds' event id (ce-id) of the agreement's one event.
                    acknowledged[f"{recorded.aggregate_id}:{recorded.version}"] = (
                        time.perf_counter()
                    )
                elapsed = time.perf_counter() - started
                region.wait_for(list(acknowledged), timeout=DELIVERY_SECONDS)
                with region.arrived:  # late ones may still come in
                    arrivals = dict(region.arrivals)
            finally:
                region.close()
    latencies = sorted((arrivals[i] - t) * 1000 for i, t in acknowledged.items() if i in arrivals)
    return FeedRun(decisions, decisions / elapsed, latencies)


def table(run: FeedRun) -> str:
    if not run.latencies_ms:
        raise RuntimeError(f"none of {run.decisions} decisions reached the region system")
    latencies = run.latencies_ms
    return "\n".join(
        [
            "| decisions | delivered | commands/s | p50 ms | p99 ms | max ms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {run.decisions:,} | {run.delivered:,} | {run.commands_per_second:,.0f} "
            f"| {percentile(latencies, 0.5):.1f} | {percentile(latencies, 0.99):.1f} "
            f"| {latencies[-1]:.1f} |",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    decisions = int(argv[0]) if argv else 10_000
    conditions = RunConditions()
    run = measure(decisions)
    body = f"""{SECTION}

Latency from a command's acknowledgement (`handle` returned: the event is stored) to delivery at the
Zuid-Limburg system, following its feed with its own credentials (durable pull consumer, one message
per request, explicit acks). The service started through `entrypoints.runtime.Runtime` as `regiekaart serve` starts
it (embedded nats-server 2.15.1 with the generated access configuration and `sync_interval: always`,
the governance facts imported, the feeds holding their lease, the projection runner and checkpoint
writer running; no HTTP workers); commands one after another; service, fan-out and region system in
one process. Target: p99 under 50 ms.

{table(run)}

{conditions.describe(f".venv/bin/python -m tests.benchmarks.feeds {decisions}")}
"""
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
