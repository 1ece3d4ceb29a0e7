"""An event published onto the log with the service's own NATS credentials (which sit in the data
directory), its hash recomputed and linked to its aggregate's last event but without the service's seal,
reaches no region feed, not a region's log over HTTP (``/events?region=``) and not the maps: the
fan-out and the projection runner set it aside, saying why, and go on with the genuine events after it,
a later one of the same aggregate included. A rebuild of the maps from the log sets it aside too. The
service as ``regiekaart serve`` wires it (``Runtime``, and an API worker's ``worker_context``), on its
embedded nats-server with the generated access configuration."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent
from nacl.signing import SigningKey

from adapters.event_log_format import (
    EVENTS_PER_MESSAGE,
    EventRecord,
    encode_record,
    event_message,
    event_subject,
)
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedLayout
from adapters.nats.log_reading import scan_log
from adapters.nats.recorders import NatsApplicationRecorder
from adapters.seal import SEAL_HEADER, Sealer
from adapters.settings import Settings
from api.context import ApiContext
from api.controllers.events import read_log
from api.schemas import LoggedEvent
from domain.values import PartialDate
from entrypoints.runtime import Runtime, worker_context
from projections.queries import GovernanceMaps
from projections.rebuild import rebuild
from projections.work_status import FEEDS_WORKER, PROJECTIONS_WORKER, set_aside_events
from services import commands as c
from tests.authorities import EXTERNAL
from tests.fixtures.processes import free_port

NOORD = "noord-limburg"
ZUID = "zuid-limburg"
_YEARS = itertools.count(2040)
# Who holds Xonar's account as the maps have it: Zuid-Limburg in the real facts.
_holder = {"region": ZUID}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir: Path = tmp_path_factory.mktemp("forged")
    with Runtime(Settings(data_dir=data_dir, nats_port=free_port())) as running:
        running.import_facts()
        running.start_checkpoints()
        running.start_feeds()
        running.start_projections()
        yield running


def transfer_xonar(runtime: Runtime, region: str, agreement: str) -> int:
    """A genuine transfer of Xonar's account holdership, by a command; its log position."""
    assert runtime.app is not None
    recorded = runtime.app.handle(
        c.TransferAccountHoldership(
            authority=EXTERNAL,
            cooperation="nmz-limburg",
            organisation="xonar",
            agreement=agreement,
            handover=PartialDate.parse(f"{next(_YEARS)}-01-01"),
            holder_region=region,
            principal="coordinator:test",
        )
    )
    return recorded.notification_ids[-1]


def forge_transfer(
    runtime: Runtime, agreement: str, region: str, key: SigningKey | None = None
) -> int:
    """A copy of the last transfer of Xonar with another agreement and holder, published as the next
    event of its aggregate with the service's NATS credentials: unsealed, or sealed with `key`."""
    client = NatsClient(runtime.service_url)
    try:
        sealer = Sealer(key) if key is not None else None
        recorder = NatsApplicationRecorder(client, runtime.settings.nats_stream, sealer=sealer)
        assert runtime.app is not None
        last = runtime.app.recorder.max_notification_id()
        [genuine] = [
            n
            for n in runtime.app.recorder.select_notifications(last, 1)
            if n.topic.endswith("HolderTransferred")
        ]
        state = msgspec.json.decode(genuine.state)
        state.update(agreement=agreement, holder_region=region, principal="coordinator:mallory")
        [position] = recorder.insert_events(
            [
                StoredEvent(
                    genuine.originator_id,
                    genuine.originator_version + 1,
                    genuine.topic,
                    msgspec.json.encode(state),
                )
            ]
        )
        return position
    finally:
        client.close()


def forge_under_a_copied_seal(runtime: Runtime, agreement: str, region: str) -> int:
    """The next event of Xonar's aggregate with another agreement and holder, published with the
    service's NATS credentials and carrying the hash and the seal of the aggregate's last genuine
    message, whose signature therefore holds."""
    client = NatsClient(runtime.service_url)
    try:
        assert runtime.app is not None
        stream = runtime.settings.nats_stream
        last = runtime.app.recorder.max_notification_id()
        [genuine] = [
            n
            for n in runtime.app.recorder.select_notifications(last, 1)
            if n.topic.endswith("HolderTransferred")
        ]
        subject = event_subject(stream, genuine.originator_id)
        message = client.run(client.nc.jetstream().get_last_msg(stream, subject))
        [record] = msgspec.msgpack.decode(message.data, type=list[EventRecord[str]])
        state = msgspec.json.decode(record.state)
        state.update(agreement=agreement, holder_region=region, principal="coordinator:mallory")
        forged = msgspec.structs.replace(
            record,
            originator_version=record.originator_version + 1,
            state=msgspec.json.encode(state),
            prev_hash=record.hash,
        )
        assert message.headers is not None
        answer = client.run(
            client.nc.request(
                subject,
                event_message([encode_record(forged)]),
                headers={
                    SEAL_HEADER: message.headers[SEAL_HEADER],
                    "Nats-Expected-Last-Subject-Sequence": str(message.seq),
                },
            )
        )
        return int(msgspec.json.decode(answer.data)["seq"]) * EVENTS_PER_MESSAGE
    finally:
        client.close()


def feed_positions(runtime: Runtime, region: str) -> dict[int, bytes]:
    """The events in `region`'s feed: each one's log position (``ce-sequence``) and body."""
    client = NatsClient(runtime.service_url)
    found: dict[int, bytes] = {}

    def accept(
        _: int, __: Sequence[bytes], payloads: Sequence[bytes], headers: Sequence[bytes | None]
    ) -> bool:
        for payload, block in zip(payloads, headers, strict=True):
            match = re.search(rb"ce-sequence: (\d+)", block or b"")
            assert match is not None, block
            found[int(match.group(1))] = payload
        return True

    try:
        client.run(scan_log(client, FeedLayout().stream(region), 1, accept))
    finally:
        client.close()
    return found


def region_log(context: ApiContext, region: str) -> dict[int, LoggedEvent]:
    """The events of the log that ``/events?region=`` answers `region`'s system, by position."""
    found: dict[int, LoggedEvent] = {}
    position, more = 0, True
    while more:
        page = read_log(
            context,
            after=position,
            limit=500,
            aggregate_ids=None,
            types=(),
            region=region,
            since=None,
            until=None,
        )
        found.update((event.id, event) for event in page.events)
        position, more = page.position, page.more
    return found


def caught_up(runtime: Runtime, position: int) -> None:
    assert runtime.feeds is not None and runtime.feeds.wait_for(position, timeout=60)
    assert runtime.engine is not None
    maps = GovernanceMaps(runtime.engine)
    for _ in range(600):
        if (maps.position() or 0) >= position:
            return
        time.sleep(0.1)
    raise AssertionError(f"the maps did not reach position {position}")


def xonar(runtime: Runtime) -> str:
    """Xonar's view on the maps, as JSON, in the years the transfers take effect."""
    assert runtime.engine is not None
    view = GovernanceMaps(runtime.engine).organisation_view("xonar", as_of=date(2100, 1, 1))
    return msgspec.json.encode(view).decode()


@pytest.mark.parametrize("sealed_by", ["nobody", "another key", "a copied seal"])
def test_a_forged_transfer_reaches_no_feed_nor_the_maps_and_is_set_aside(
    runtime: Runtime, sealed_by: str
) -> None:
    tag = sealed_by.replace(" ", "-")
    holder = _holder["region"]
    other = NOORD if holder == ZUID else ZUID
    before = transfer_xonar(runtime, other, f"nmz-xonar-before-{tag}")
    key = SigningKey.generate() if sealed_by == "another key" else None
    if sealed_by == "a copied seal":
        forged = forge_under_a_copied_seal(runtime, f"nmz-xonar-forged-{tag}", holder)
    else:
        forged = forge_transfer(runtime, f"nmz-xonar-forged-{tag}", holder, key)
    # A genuine event of the same aggregate after it: the service links it to the forged one (and
    # takes the forged holder for the current one: not a transfer to the same region).
    after = transfer_xonar(runtime, other, f"nmz-xonar-after-{tag}")
    _holder["region"] = other
    caught_up(runtime, after)

    feeds = {region: feed_positions(runtime, region) for region in (NOORD, ZUID)}
    for feed in feeds.values():
        assert forged not in feed
        agreements = {msgspec.json.decode(body).get("agreement") for body in feed.values()}
        assert f"nmz-xonar-forged-{tag}" not in agreements
    assert f"nmz-xonar-before-{tag}".encode() in feeds[other][before]
    assert f"nmz-xonar-after-{tag}".encode() in feeds[other][after]

    # What a region system reads of the log over HTTP (/events?region=...) is what its feed carries.
    assert runtime.engine is not None and runtime.app is not None
    # An API worker's own context, as `serve` starts one (on the service's NATS and database).
    worker = msgspec.structs.replace(runtime.settings, nats_url=runtime.service_url)
    with worker_context(worker) as context:
        for region in (NOORD, ZUID):
            logged = region_log(context, region)
            assert forged not in logged
            agreements = {event.state.get("agreement") for event in logged.values()}
            assert f"nmz-xonar-forged-{tag}" not in agreements
        assert after in region_log(context, other)

    view = xonar(runtime)
    assert f"nmz-xonar-forged-{tag}" not in view, view
    assert f"nmz-xonar-before-{tag}" in view and f"nmz-xonar-after-{tag}" in view

    assert runtime.engine is not None
    set_aside = {
        (event.worker, event.position): event for event in set_aside_events(runtime.engine)
    }
    expected = {
        "nobody": "unsealed event",
        "another key": "which is not a trusted key",
        "a copied seal": "its content is not what its hash and seal cover",
    }[sealed_by]
    for worker in (FEEDS_WORKER, PROJECTIONS_WORKER):
        event = set_aside[(worker, forged)]
        assert expected in event.reason, event
        assert event.event_type.endswith("HolderTransferred")
    # Nothing else was set aside meanwhile.
    assert {position for _, position in set_aside if position > before} == {forged}

    # The maps rebuilt from the log leave it out too.
    assert (
        rebuild(runtime.app, runtime.engine, seals=runtime.seal_checks(f"rebuild-{tag}")) >= after
    )
    view = xonar(runtime)
    assert f"nmz-xonar-forged-{tag}" not in view and f"nmz-xonar-after-{tag}" in view
