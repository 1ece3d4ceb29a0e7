"""A service starts only on the log its read models were built from: a log that ends before what the
maps have applied (a cluster whose streams stayed in another NATS account, a wrong stream or URL, lost
NATS volumes) is refused before anything is written to it; a rebuild may start on any log."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from adapters.nats.client import NatsClient
from adapters.settings import Settings
from entrypoints.runtime import ForeignEventLog, Runtime


def stream_messages(url: str, stream: str) -> int:
    client = NatsClient(url)
    try:
        info = client.run(client.api(f"$JS.API.STREAM.INFO.{stream}"))
        return info["state"]["messages"]
    finally:
        client.close()


def test_a_log_shorter_than_the_maps_is_refused_and_nothing_is_written(nats_server, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        nats_url=nats_server.url,
        nats_stream=f"MAPS{uuid.uuid4().hex[:8].upper()}",
        checkpoint_interval=3600,
    )
    with Runtime(settings) as runtime:
        assert runtime.app is not None
        runtime.import_facts()
        head = runtime.app.recorder.max_notification_id()
        assert head, "the real facts were imported"
        assert runtime.start_projections().wait_until(head, timeout=60)

    # The same read models, another log.
    elsewhere = msgspec.structs.replace(
        settings, nats_stream=f"OTHER{uuid.uuid4().hex[:8].upper()}"
    )
    with pytest.raises(ForeignEventLog) as refused, Runtime(elsewhere) as runtime:
        runtime.import_facts()
    assert f"applied the event log up to position {head}" in str(refused.value)
    assert f"{elsewhere.nats_stream} at" in str(refused.value)
    assert stream_messages(nats_server.url, elsewhere.nats_stream) == 0

    # The log they were built from is still accepted, and a rebuild may start on the other one.
    with Runtime(settings) as runtime:
        assert runtime.app is not None
        assert runtime.app.recorder.max_notification_id() == head
    with Runtime(elsewhere, rebuilding=True) as runtime:
        assert runtime.app is not None
        assert runtime.app.recorder.max_notification_id() is None
