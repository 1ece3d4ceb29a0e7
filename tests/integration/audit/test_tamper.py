"""Tamper evidence on the real governance facts: an export altered by hand, and a log written to past the
service, are caught at the exact position with the kind of fault; the untouched log verifies."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import msgspec
import pytest

from adapters.audit import CHECKPOINT_TYPE, load_signing_key, public_key_path
from adapters.event_log_format import EVENTS_PER_MESSAGE, EventRecord, event_hash, log_entries
from adapters.nats.audit import NatsCheckpointStore, NatsLog
from adapters.nats.client import NatsClient
from projections.audit import CheckpointWriter
from services.application import GovernanceApplication
from services.commands import RegisterMunicipality
from tests.authorities import EXTERNAL
from tests.export_lines import relinked
from tests.integration.audit.conftest import run_audit


def verify(*args: str, stream: str, data_dir: Path) -> tuple[int, str]:
    return run_audit("verify", *args, stream=stream, data_dir=data_dir)


@pytest.fixture
def auditor(served, tmp_path) -> dict[str, object]:
    """What an auditor holds: the export, the published key, and a data directory of their own."""
    settings, export = served
    return {
        "lines": export.read_bytes().splitlines(keepends=True),
        "key": public_key_path(settings.data_dir).read_text().strip(),
        "stream": settings.nats_stream,
        "data_dir": tmp_path,
    }


def verify_copy(auditor, lines: list[bytes]) -> tuple[int, str]:
    copy = auditor["data_dir"] / "altered.jsonl"
    copy.write_bytes(b"".join(lines))
    return verify(
        "--file",
        str(copy),
        "--public-key",
        auditor["key"],
        stream=auditor["stream"],
        data_dir=auditor["data_dir"],
    )


def position(line: bytes) -> int:
    return json.loads(line)["position"]


def test_the_untouched_export_verifies_up_to_its_last_checkpoint(auditor):
    lines = auditor["lines"]
    last_event = max(position(line) for line in lines)
    code, output = verify_copy(auditor, lines)
    assert code == 0, output
    assert f"verified up to position {last_event}" in output
    assert f"covers position {last_event}" in output
    assert "not yet signed" not in output


def test_a_changed_event_is_named_by_its_position(auditor):
    lines = list(auditor["lines"])
    index = 200
    original = lines[index]
    assert b'"principal":"importer:governance-facts"' in original
    lines[index] = original.replace(
        b'"principal":"importer:governance-facts"', b'"principal":"mallory"'
    )
    code, output = verify_copy(auditor, lines)
    assert code == 1
    assert f"position {position(original)}: changed content" in output


def test_a_removed_event_is_named_by_its_position(auditor):
    lines = list(auditor["lines"])
    removed = lines.pop(300)
    code, output = verify_copy(auditor, lines)
    assert code == 1
    assert f"position {position(removed)}: missing event" in output


def test_two_swapped_events_are_named_as_reordered(auditor):
    lines = list(auditor["lines"])
    lines[100], lines[101] = lines[101], lines[100]
    code, output = verify_copy(auditor, lines)
    assert code == 1
    assert f"position {position(auditor['lines'][100])}: reordered events" in output
    assert f"position {position(auditor['lines'][101])}" in output


# --- an export altered and made consistent again: hashes, links and log hashes recomputed ----------


def rehashed(raw: bytes, **changes: object) -> dict:
    """An export line with `changes` and its event hash recomputed."""
    line = {**msgspec.json.decode(raw), **changes}
    state = msgspec.json.encode(line["data"])
    line["data"] = msgspec.Raw(state)
    line["hash"] = event_hash(
        line.get("predecessorhash", ""),
        line["subject"],
        line["aggregateversion"],
        line["topic"],
        state,
    )
    return line


def event_lines(lines: list[bytes]) -> list[int]:
    return [i for i, raw in enumerate(lines) if CHECKPOINT_TYPE.encode() not in raw]


def test_an_edited_event_with_recomputed_hashes_is_named_by_its_seal(auditor):
    lines = list(auditor["lines"])
    index = event_lines(lines)[200]
    data = msgspec.json.decode(lines[index])["data"]
    assert data["principal"] != "mallory"
    line = rehashed(lines[index], data={**data, "principal": "mallory"})
    lines[index] = msgspec.json.encode(line) + b"\n"
    code, output = verify_copy(auditor, relinked(lines))
    assert code == 1
    assert f"position {line['position']}: bad event seal" in output


def test_an_inserted_event_with_recomputed_hashes_is_named_as_unsealed(auditor):
    lines = list(auditor["lines"])
    index = event_lines(lines)[300]
    original = msgspec.json.decode(lines[index])
    # A new first event of a new aggregate, one position after a real one: hash and links all hold.
    forged = rehashed(
        lines[index],
        subject=str(uuid.uuid4()),
        id="forged",
        position=original["position"] + 1,
        aggregateversion=1,
        predecessorhash="",
        seal=None,
    )
    lines.insert(index + 1, msgspec.json.encode(forged) + b"\n")
    code, output = verify_copy(auditor, relinked(lines))
    assert code == 1
    assert f"position {forged['position']}: unsealed event" in output


def test_a_removed_event_with_its_successor_relinked_is_named_at_the_successor(auditor):
    lines = list(auditor["lines"])
    decoded = [msgspec.json.decode(raw) for raw in lines]
    # An event with a later event of the same aggregate: remove it, relink the later one to its
    # predecessor and recompute its hash.
    index, successor = next(
        (i, j)
        for i in event_lines(lines)[100:]
        for j in range(i + 1, len(lines))
        if decoded[j]["type"] != CHECKPOINT_TYPE and decoded[j]["subject"] == decoded[i]["subject"]
    )
    relinked_successor = rehashed(
        lines[successor], predecessorhash=decoded[index].get("predecessorhash", "")
    )
    lines[successor] = msgspec.json.encode(relinked_successor) + b"\n"
    del lines[index]
    code, output = verify_copy(auditor, relinked(lines))
    assert code == 1
    assert f"position {decoded[successor]['position']}: bad event seal" in output


def test_events_of_one_aggregate_reordered_with_recomputed_log_hashes_are_named(auditor):
    lines = list(auditor["lines"])
    decoded = [msgspec.json.decode(raw) for raw in lines]
    first, second = next(
        (i, j)
        for i in event_lines(lines)[100:]
        for j in range(i + 1, len(lines))
        if decoded[j]["type"] != CHECKPOINT_TYPE and decoded[j]["subject"] == decoded[i]["subject"]
    )
    # Swap their places and positions, so positions still increase down the file.
    a, b = decoded[first], decoded[second]
    a["position"], b["position"] = b["position"], a["position"]
    lines[first], lines[second] = msgspec.json.encode(b) + b"\n", msgspec.json.encode(a) + b"\n"
    code, output = verify_copy(auditor, relinked(lines))
    assert code == 1
    assert f"position {b['position']}: broken link" in output


def test_the_log_on_nats_verifies_with_the_published_key(served, tmp_path):
    settings, _ = served
    code, output = verify(
        "--nats-url",
        settings.nats_url,
        "--public-key",
        public_key_path(settings.data_dir).read_text().strip(),
        stream=settings.nats_stream,
        data_dir=tmp_path,
    )
    assert code == 0, output
    assert "verified up to position" in output and "checkpoint signed at" in output


def test_a_log_signed_by_another_key_is_refused_at_its_first_sealed_event(served, tmp_path):
    settings, export = served
    first = position(export.read_bytes().splitlines()[0])
    code, output = verify(
        "--nats-url",
        settings.nats_url,
        "--public-key",
        "00" * 32,
        stream=settings.nats_stream,
        data_dir=tmp_path,
    )
    assert code == 1
    assert f"position {first}: sealed with another key" in output


# --- a writer that bypasses the service ------------------------------------------------------------


@pytest.fixture
def small_log(nats_env, stream_name, tmp_path):
    """A few municipalities recorded through the service, with a signed checkpoint."""
    app = GovernanceApplication(env=nats_env)
    ids = [
        app.register_municipality(
            RegisterMunicipality(
                principal="importer:test", municipality=slug, name=slug.title(), authority=EXTERNAL
            )
        )
        for slug in ("venlo", "venray", "horst-aan-de-maas")
    ]
    client = NatsClient(nats_env["NATS_URL"])
    log = NatsLog(client, stream_name)
    writer = CheckpointWriter(
        log,
        NatsCheckpointStore(client, stream_name).append,
        load_signing_key(tmp_path),
        interval=3600,
    )
    writer.write_checkpoint()
    yield client, log, writer, ids
    client.close()
    app.close()


def _publish(client: NatsClient, subject: str, payload: bytes) -> int:
    async def publish() -> int:
        reply = await client.request(subject, payload)
        return int(json.loads(reply.data)["seq"])

    return client.run(publish())


def test_an_event_appended_past_the_service_is_flagged(small_log, stream_name, tmp_path):
    client, _log, writer, ids = small_log
    target = ids[1]
    state = b'{"principal":"mallory","name":"Venray-Oost"}'
    forged_prev = "f" * 64
    record = EventRecord(
        originator_id=str(target),
        id_is_uuid=True,
        originator_version=2,
        topic="domain.registry:Municipality.Registered",
        state=state,
        prev_hash=forged_prev,
        hash=event_hash(
            forged_prev, str(target), 2, "domain.registry:Municipality.Registered", state
        ),
    )
    subject, payload = f"{stream_name}.e.{target.hex}", msgspec.msgpack.encode([record])
    sequence = _publish(client, subject, payload)
    [(position, _)] = log_entries(sequence, subject, payload)

    code, output = verify(
        "--nats-url",
        client.url,
        stream=stream_name,
        data_dir=tmp_path,
    )
    assert code == 1
    assert f"position {position}: broken link" in output
    # The service signs nothing past an event it did not write.
    assert writer.write_checkpoint() is None
    assert writer.fault is not None and writer.fault.position == position


def test_a_message_that_is_not_an_event_is_flagged(small_log, stream_name, tmp_path):
    client, *_ = small_log
    sequence = _publish(client, f"{stream_name}.e.{uuid.uuid4().hex}", b"not an event")
    code, output = verify("--nats-url", client.url, stream=stream_name, data_dir=tmp_path)
    assert code == 1
    assert f"position {sequence * EVENTS_PER_MESSAGE}: unreadable entry" in output
