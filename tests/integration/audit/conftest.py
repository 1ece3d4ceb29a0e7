"""The real governance facts recorded by the service on the session's NATS server, once per module."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.nats.audit import NatsLog
from adapters.nats.client import NatsClient
from adapters.settings import Settings
from entrypoints.cli import main
from entrypoints.runtime import Runtime
from projections.audit import export_log


def run_audit(*args: str, stream: str, data_dir: Path) -> tuple[int, str]:
    """`regiekaart audit ARGS` as an auditor runs it: exit code and output."""
    result = CliRunner().invoke(
        main,
        ["audit", *args],
        env={"REGIEKAART_NATS_STREAM": stream, "REGIEKAART_DATA_DIR": str(data_dir)},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def served(nats_server, tmp_path_factory) -> tuple[Settings, Path]:
    """The service with the real facts imported, stopped (which signs a last checkpoint), then exported."""
    data_dir = tmp_path_factory.mktemp("service")
    settings = Settings(
        data_dir=data_dir,
        nats_url=nats_server.url,
        nats_stream=f"AUDIT{uuid.uuid4().hex[:8].upper()}",
        checkpoint_interval=3600,
    )
    with Runtime(settings) as runtime:
        runtime.start_checkpoints()
        runtime.import_facts()
    export = data_dir / "export.jsonl"
    client = NatsClient(nats_server.url)
    try:
        with export.open("wb") as out:
            export_log(NatsLog(client, settings.nats_stream), out)
    finally:
        client.close()
    return settings, export
