"""Region feeds: latency from a command's acknowledgement to delivery at a subscribed region system.

The service as `regiekaart serve` runs it (embedded nats-server with the generated access configuration
and `sync_interval: always`, the governance facts loaded, the feed projection following the log); the
Zuid-Limburg system subscribes with its own credentials (a durable push consumer with a callback,
acknowledging every message). Each decision records an agreement with Zuid-Limburg as a party; its
latency runs from the moment `handle` returns (the event is stored) until the region system's callback
sees it. Commands are sent one after another, as a coordinator would; everything runs in this process on
the shared 2-core machine, so the region system competes with the service for the CPU.

    .venv/bin/python -m tests.benchmarks.feeds [decisions]
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from adapters.nats.access import (
    FEED_API_PREFIX,
    FeedAccess,
    include_authorization,
    url_with_credentials,
)
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout, FeedPublisher
from adapters.nats.server import NatsServer
from domain.values import AgreementKind, SubjectKind, SubjectRef
from projections.feeds import FeedProjection
from services import commands as c
from services.application import GovernanceApplication
from services.importer import import_governance_facts
from tests.authorities import EXTERNAL
from tests.benchmarks.results import write_section

REGION = "zuid-limburg"
SECTION = "## Region feeds"


class RegionSystem:
    """The Zuid-Limburg system on a loop of its own: notes when each event id arrives."""

    def __init__(self, url: str, access: FeedAccess, layout: FeedLayout) -> None:
        self.arrivals: dict[str, float] = {}
        self.arrived = threading.Condition()
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        credentials = access.region(REGION)
        self._nc = asyncio.run_coroutine_threadsafe(
            nats.connect(
                url,
                user=credentials.user,
                password=credentials.password,
                inbox_prefix=credentials.inbox_prefix,
            ),
            self._loop,
        ).result()
        asyncio.run_coroutine_threadsafe(self._subscribe(layout), self._loop).result()

    async def _subscribe(self, layout: FeedLayout) -> None:
        async def received(message: nats.aio.msg.Msg) -> None:
            arrival = time.perf_counter()
            await message.ack()
            with self.arrived:
                self.arrivals[message.headers["ce-id"]] = arrival
                self.arrived.notify_all()

        await self._nc.jetstream(prefix=FEED_API_PREFIX).subscribe(
            layout.subjects(REGION),
            stream=layout.stream(REGION),
            durable="benchmark",
            cb=received,
            manual_ack=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT),
        )

    def wait_for(self, ids: list[str], timeout: float) -> None:
        with self.arrived:
            self.arrived.wait_for(lambda: all(i in self.arrivals for i in ids), timeout)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._nc.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


def decision(number: int) -> c.RecordAgreement:
    return c.RecordAgreement(
        authority=EXTERNAL,
        agreement=f"benchmark-afspraak-{number}",
        agreement_kind=AgreementKind.SAMENWERKINGSAFSPRAAK,
        terms=c.AgreementTerms(parties=(SubjectRef(SubjectKind.REGION, REGION),)),
        principal="coordinator:benchmark",
    )


def measure(decisions: int) -> dict[str, float]:
    layout = FeedLayout()
    with tempfile.TemporaryDirectory() as directory:
        access = FeedAccess(Path(directory) / "access", layout)
        access.region(REGION)
        access.write_server_config(Path(directory) / "nats")
        with NatsServer(Path(directory) / "nats", extra_config=include_authorization()) as server:
            url = url_with_credentials(server.url, access.service())
            app = GovernanceApplication(
                env={"PERSISTENCE_MODULE": "adapters.nats", "NATS_URL": url}
            )
            import_governance_facts(app)
            publisher_client = NatsClient(url)
            projection = FeedProjection(app, FeedPublisher(publisher_client, layout)).start()
            projection.wait_for(app.recorder.max_notification_id() or 0, timeout=120)
            region = RegionSystem(server.url, access, layout)
            acknowledged: dict[str, float] = {}
            started = time.perf_counter()
            for number in range(decisions):
                aggregate_id = app.handle(decision(number))
                acknowledged[f"{aggregate_id}:1"] = time.perf_counter()
            elapsed = time.perf_counter() - started
            region.wait_for(list(acknowledged), timeout=120)
            latencies = sorted(
                (region.arrivals[i] - t) * 1000
                for i, t in acknowledged.items()
                if i in region.arrivals
            )
            region.close()
            projection.stop()
            publisher_client.close()
            app.close()
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "decisions": decisions,
        "delivered": len(latencies),
        "commands_per_second": decisions / elapsed,
        "p50": quantiles[49],
        "p99": quantiles[98],
        "max": latencies[-1],
    }


def table(result: dict[str, float]) -> str:
    return "\n".join(
        [
            "| decisions | delivered | commands/s | p50 ms | p99 ms | max ms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {result['decisions']:,} | {result['delivered']:,} | {result['commands_per_second']:,.0f} "
            f"| {result['p50']:.1f} | {result['p99']:.1f} | {result['max']:.1f} |",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    decisions = int(argv[0]) if argv else 10_000
    result = measure(decisions)
    body = f"""{SECTION}

Latency from a command's acknowledgement (`handle` returned: the event is stored) to delivery at the
Zuid-Limburg system, subscribed with its own credentials to its feed (durable push consumer, callback,
explicit acks). Embedded nats-server 2.15.1 with the generated access configuration and
`sync_interval: always`; the governance facts loaded; commands one after another; service, fan-out and
region system in one process. Target: p99 under 50 ms.

{table(result)}

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, 2 cores,
load average {os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}:
`.venv/bin/python -m tests.benchmarks.feeds {decisions}`.
"""
    write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()
