"""`regiekaart serve` on the embedded default event store: starts its own NATS, loads the facts once,
keeps the governance maps in its database, stops cleanly."""

from __future__ import annotations

import time

from adapters.settings import Settings
from adapters.sql import create_engine
from projections.queries import GovernanceMaps
from tests.e2e.service import Service


def wait_for_the_maps(maps: GovernanceMaps, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while maps.position() is None:
        assert time.monotonic() < deadline, "the service did not apply the governance facts"
        time.sleep(0.1)


def test_serve_loads_the_facts_once_and_keeps_them_across_restarts(tmp_path, service_environment):
    first = Service(tmp_path, service_environment)
    assert any("commands recorded, 0 already present" in line for line in first.lines), first.lines
    settings = Settings.from_env(service_environment, data_dir=tmp_path)
    engine = create_engine(settings.effective_database_url)
    maps = GovernanceMaps(engine)
    wait_for_the_maps(maps)
    nmz = maps.cooperation_map("nmz-limburg")
    assert "zuid-limburg" in [member.region.slug for member in nmz.members]
    assert "stopped" in first.stop()

    second = Service(tmp_path, service_environment)
    assert any(line.startswith("governance facts: 0 commands recorded") for line in second.lines)
    second.stop()
    engine.dispose()
