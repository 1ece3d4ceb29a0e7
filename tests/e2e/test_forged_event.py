"""An event published onto the log with the service's NATS credentials (which sit in the data directory),
its hash recomputed and linked to its aggregate's last event, is named by `regiekaart audit verify` at its
position; the running service signs no checkpoint over it and says so on /ready and /metrics."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import httpx
import msgspec
from eventsourcing.persistence import StoredEvent

from adapters.audit import public_key_path
from adapters.nats.access import FeedAccess, url_with_credentials
from adapters.nats.audit import NatsLog
from adapters.nats.client import NatsClient
from adapters.nats.recorders import NatsApplicationRecorder
from adapters.settings import Settings
from domain.registry import Municipality
from entrypoints.runtime import event_store
from tests.fixtures.processes import free_port, process_environment, start_service

STREAM = "REGIEKAART_EVENTS"


def _until(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def test_a_forged_event_is_named_and_the_service_signs_nothing_past_it(tmp_path, own_database_url):
    service = start_service(
        tmp_path,
        database_url=own_database_url,
        workers=1,
        settings={"REGIEKAART_CHECKPOINT_INTERVAL": "1"},
    )
    try:
        [nats_url] = [
            m.group(1) for line in service.lines if (m := re.match(r"event store: (\S+)", line))
        ]
        # What someone who read the data directory holds: the service's NATS credentials.
        credentials = FeedAccess(tmp_path / "access").service()
        url = url_with_credentials(nats_url, credentials)
        client = NatsClient(url)
        recorder = NatsApplicationRecorder(client, STREAM)
        venlo = Municipality.id_for("venlo")
        head = recorder.select_events(venlo, desc=True, limit=1)[0]
        state = msgspec.json.encode(
            {
                "timestamp": "2026-12-05T08:00:00Z",
                "principal": "coordinator:mallory",
                "name": "Venlo",
            }
        )
        [forged] = recorder.insert_events(
            [StoredEvent(venlo, head.originator_version + 1, head.topic, state)]
        )

        def not_ready() -> dict | None:
            answer = httpx.get(f"{service.url}/ready")
            return answer.json() if answer.status_code == 503 else None

        ready = _until(not_ready, "/ready reports the forged event")
        assert f"position {forged}: unsealed event" in ready["checks"]["event_log"], ready
        metrics = httpx.get(f"{service.url}/metrics").text
        assert "regiekaart_event_log_verified 0" in metrics.splitlines()

        verified = subprocess.run(
            [
                sys.executable,
                "-m",
                "entrypoints",
                "audit",
                "verify",
                "--nats-url",
                nats_url.replace("://", f"://{credentials.user}@", 1),
                "--public-key",
                public_key_path(tmp_path).read_text().strip(),
                "--data-dir",
                str(tmp_path / "auditor"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            # The password from the environment: one on a command line is refused.
            env=process_environment(REGIEKAART_NATS_PASSWORD=credentials.password),
        )
        assert verified.returncode == 1, verified.stdout + verified.stderr
        assert f"position {forged}: unsealed event" in verified.stderr
    finally:
        client.close()
        service.stop()
    # Not even the last checkpoint, signed on stopping, covers the forged event.
    # On a port of its own, not the default 4222 that a test beside this one may be using too.
    with event_store(Settings(data_dir=tmp_path, nats_port=free_port())) as (_, service_url):
        reader = NatsClient(service_url)
        checkpoints = [json.loads(p) for p in NatsLog(reader, STREAM).checkpoint_payloads()]
        reader.close()
    assert checkpoints and max(c["position"] for c in checkpoints) < forged
