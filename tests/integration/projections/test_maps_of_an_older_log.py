"""A log written by an earlier release still loads, and today's code builds the same maps from it.

The code of main as it was before the restructuring (the commit the audit tests also read logs of)
imports the real governance facts into a log and projects them; today's code projects the same log
into a database of its own. Every region, cooperation and organisation map, at several dates, must
serve each value the earlier code served, unchanged (later releases may add fields beside them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from adapters.settings import Settings
from entrypoints.runtime import Runtime
from projections.user_text import reader_text
from tests.fixtures.processes import process_environment
from tests.integration.audit.test_seals import MAIN_BEFORE_SEALS, REPO

# Runs under both codes: the same queries, dumped as JSON.
DUMP_MAPS = """
import msgspec
from datetime import date
from projections.queries import GovernanceMaps

def dump_maps(engine):
    maps = GovernanceMaps(engine)
    dumped = {}
    for as_of in (date(2015, 1, 1), date(2020, 6, 1), date(2024, 1, 1), date(2026, 6, 1)):
        for summary in maps.regions():
            dumped[f"region {summary.slug} {as_of}"] = maps.region_map(summary.slug, as_of=as_of)
        for summary in maps.cooperations():
            dumped[f"cooperation {summary.slug} {as_of}"] = maps.cooperation_map(
                summary.slug, as_of=as_of
            )
        for summary in maps.organisations():
            dumped[f"organisation {summary.slug} {as_of}"] = maps.organisation_view(
                summary.slug, as_of=as_of
            )
    dumped = msgspec.json.decode(msgspec.json.encode(dumped))
    for served in dumped.values():
        served.pop("known_at")  # the moment of asking, not a fact of the log
    return dumped
"""

EARLIER_RELEASE = (
    "import json, sys\n"
    "from pathlib import Path\n"
    "from adapters.settings import Settings\n"
    "from services.runtime import Runtime\n"
    + DUMP_MAPS
    + "settings = Settings(data_dir=Path(sys.argv[1]), nats_url=sys.argv[2], nats_stream=sys.argv[3],"
    " checkpoint_interval=3600)\n"
    "with Runtime(settings) as runtime:\n"
    "    runtime.import_facts()\n"
    "    head = runtime.app.recorder.max_notification_id()\n"
    "    assert runtime.start_projections().wait_until(head, timeout=120)\n"
    "    Path(sys.argv[4]).write_text(json.dumps(dump_maps(runtime.engine)))\n"
)


def newly_certain_on_evidence(served: dict[str, Any], now: dict[str, Any]) -> bool:
    """A fact of unknown start that the earlier code called uncertain and today's code calls certain
    because a dated source states it (``known_to_hold_since``): the one value allowed to change."""
    return served.get("certain") is False and now.get("known_to_hold_since") is not None


def served_before(served: Any, now: Any, where: str = "") -> list[str]:
    """Where ``now`` does not serve a value ``served`` did (keys it adds are not counted; notes
    and sources as the reader-text rule of ``projections.user_text`` changes them)."""
    if isinstance(served, dict) and isinstance(now, dict):
        return [
            difference
            for key, value in served.items()
            if not (key == "certain" and newly_certain_on_evidence(served, now))
            for difference in (
                served_before(value, now[key], f"{where}.{key}")
                if key in now
                else [f"{where}.{key}: gone"]
            )
        ]
    if where.endswith(".sources") and isinstance(now, list) and now[: len(served)] == served:
        return []  # the lines a note cites are added to its fact's sources (user_text.py)
    if isinstance(served, str) and isinstance(now, str) and (reader_text(served) or "") == now:
        return []  # notes are served without the curators' line citations and remarks
    if isinstance(served, list) and isinstance(now, list) and len(served) == len(now):
        return [
            difference
            for index, (before, after) in enumerate(zip(served, now, strict=True))
            for difference in served_before(before, after, f"{where}[{index}]")
        ]
    return [] if served == now else [f"{where}: {served!r} became {now!r}"]


def test_the_maps_of_a_log_written_by_an_earlier_release_are_served_unchanged(
    nats_server, stream_name, tmp_path
):
    code = tmp_path / "earlier-code"
    code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", MAIN_BEFORE_SEALS], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    earlier_maps = tmp_path / "earlier-maps.json"
    env = process_environment()
    subprocess.run(
        [
            sys.executable,
            "-c",
            EARLIER_RELEASE,
            str(tmp_path / "earlier"),
            nats_server.url,
            stream_name,
            str(earlier_maps),
        ],
        cwd=code,
        env=env,
        check=True,
        timeout=300,
    )

    namespace: dict[str, Any] = {}
    exec(DUMP_MAPS, namespace)
    settings = Settings(
        data_dir=tmp_path / "today", nats_url=nats_server.url, nats_stream=stream_name
    )
    with Runtime(settings) as runtime:
        assert runtime.app is not None and runtime.engine is not None
        head = runtime.app.recorder.max_notification_id()
        assert head, "the earlier release wrote the facts"
        assert runtime.start_projections().wait_until(head, timeout=120)
        maps_now = namespace["dump_maps"](runtime.engine)

    maps_before = json.loads(earlier_maps.read_text())
    assert len(maps_before) > 100, sorted(maps_before)[:5]
    assert sorted(maps_before) == sorted(maps_now)
    differences = served_before(maps_before, maps_now)
    assert not differences, differences[:20]
